//===- TestFiles.h - scratch files for compiler tests -----------*- C++ -*-===//
//
// Fresh directories under the test's temporary directory and whole-file reads
// and writes: what the disk cache's tests need to inspect and damage entries.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TESTS_COMPILER_TESTFILES_H
#define KILN_TESTS_COMPILER_TESTFILES_H

#include <string>

namespace kiln {
namespace testing_support {

/// A path under the test's temporary directory that does not exist yet
/// (anything left there by an earlier run is removed), unique per call.
std::string freshDirectory(const std::string &name);
/// The whole file at `path` ("" when it cannot be read).
std::string readFile(const std::string &path);
/// Replaces the file at `path` with `bytes`.
void writeFile(const std::string &path, const std::string &bytes);
bool exists(const std::string &path);

} // namespace testing_support
} // namespace kiln

#endif // KILN_TESTS_COMPILER_TESTFILES_H
