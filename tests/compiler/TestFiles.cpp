//===- TestFiles.cpp - scratch files for compiler tests -------------------===//
#include "tests/compiler/TestFiles.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kiln {
namespace testing_support {

std::string freshDirectory(const std::string &name) {
  static int counter = 0;
  std::string path = testing::TempDir() + "/" + name + "." +
                     std::to_string(::getpid()) + "." +
                     std::to_string(counter++);
  std::string command = "rm -rf '" + path + "'";
  EXPECT_EQ(std::system(command.c_str()), 0);
  return path;
}

std::string readFile(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << bytes;
}

bool exists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

} // namespace testing_support
} // namespace kiln
