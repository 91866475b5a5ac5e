//===- KernelSignature.h - what identifies a compiled kernel ----*- C++ -*-===//
#ifndef KILN_COMPILER_KERNELSIGNATURE_H
#define KILN_COMPILER_KERNELSIGNATURE_H

#include "runtime/DType.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln {
namespace compiler {

/// Kernels are compiled for ranks 0 to this.
constexpr int64_t kMaxKernelRank = 16;

/// The type of one kernel argument: element type, rank and which dimensions
/// are unit (extent 1: the ones an elementwise operand broadcasts along).
/// Other extents are not part of it: kernels are shape-polymorphic, sizes and
/// strides arrive at run time.
struct ArgumentType {
  DType dtype;
  int64_t rank;
  uint32_t unitDims = 0; // Bit d set: dimension d has extent 1.

  bool isUnitDim(int64_t dim) const { return (unitDims >> dim) & 1u; }
};

/// Everything a compiled kernel depends on. Two calls with equal signatures
/// share one compiled kernel.
struct KernelSignature {
  std::string primitive; // "add"
  std::vector<ArgumentType> inputs;
  std::vector<ArgumentType> outputs;
  /// The primitive's attributes, as named lists of integers: reductions'
  /// "axes" and "keepdims" (0 or 1), argmax's "axis".
  std::map<std::string, std::vector<int64_t>> attributes;
  /// Floating-point attributes: the random generators' bounds.
  std::map<std::string, std::vector<double>> floatAttributes;

  /// A stable, readable key: "add(float32[2],float32[2])->(float32[2])";
  /// with unit dimensions the shape pattern replaces the rank:
  /// "add(float32[?,?],float32[1,?])->(float32[2])"; attributes follow in
  /// braces: "reduce_sum(float32[3])->(float32[1]){axes=0,2;keepdims=0}".
  std::string key() const;
};

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_KERNELSIGNATURE_H
