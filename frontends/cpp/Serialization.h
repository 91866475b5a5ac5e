//===- Serialization.h - MXNet's NDArray file format ------------*- C++ -*-===//
//
// mx.nd.save / mx.nd.load in Apache MXNet 1.x's binary format (the .params
// files of Gluon and Module), so files move both ways between MXNet and
// kiln: a list magic (0x112), the arrays (each with its own magic, storage
// type, shape, context, type flag and raw little-endian data) and optional
// names. Loading reads the V1, V2 and V3 (numpy-shape) array layouts;
// saving writes V2, as MXNet 1.x does by default.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_SERIALIZATION_H
#define KILN_FRONTENDS_CPP_SERIALIZATION_H

#include "frontends/cpp/NDArray.h"

#include <string>
#include <vector>

namespace kiln {

struct NamedArrays {
  std::vector<NDArray> arrays;
  /// Empty, or one name per array.
  std::vector<std::string> names;
};

/// The arrays (waited for) in MXNet's format.
std::string serializeNDArrays(const NamedArrays &contents);
/// Parses MXNet's format; kiln::Error naming what is wrong on bad input.
NamedArrays deserializeNDArrays(const std::string &bytes);

void saveNDArrays(const std::string &path, const NamedArrays &contents);
NamedArrays loadNDArrays(const std::string &path);

} // namespace kiln

#endif // KILN_FRONTENDS_CPP_SERIALIZATION_H
