//===- DType.h - element types ----------------------------------*- C++ -*-===//
#ifndef KILN_RUNTIME_DTYPE_H
#define KILN_RUNTIME_DTYPE_H

#include <cstddef>
#include <string>

namespace kiln {

/// Element types. The numbering follows MXNet's type flags (mshadow) so that
/// serialized arrays and the C API agree with Apache MXNet.
enum class DType : int {
  Float32 = 0,
  Float64 = 1,
  Float16 = 2,
  UInt8 = 3,
  Int32 = 4,
  Int8 = 5,
  Int64 = 6,
  Bool = 7,
  BFloat16 = 12,
};

/// Size in bytes of one element.
size_t dtypeSize(DType dtype);

/// numpy's name for the type ("float32", "int64", ...).
std::string dtypeName(DType dtype);

} // namespace kiln

#endif // KILN_RUNTIME_DTYPE_H
