//===- KernelSignature.h - what identifies a compiled kernel ----*- C++ -*-===//
#ifndef KILN_COMPILER_KERNELSIGNATURE_H
#define KILN_COMPILER_KERNELSIGNATURE_H

#include "runtime/DType.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace compiler {

/// The type of one kernel argument: element type and rank. Extents are not
/// part of it: kernels are shape-polymorphic, sizes and strides arrive at run
/// time.
struct ArgumentType {
  DType dtype;
  int64_t rank;
};

/// Everything a compiled kernel depends on. Two calls with equal signatures
/// share one compiled kernel.
struct KernelSignature {
  std::string primitive;            // "add"
  std::vector<ArgumentType> inputs;
  std::vector<ArgumentType> outputs;

  /// A stable, readable key: "add(float32[2],float32[2])->(float32[2])".
  std::string key() const;
};

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_KERNELSIGNATURE_H
