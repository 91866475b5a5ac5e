//===- Primitives.h - the kiln dialect's primitives, for frontends -*- C++
//-*-===//
//
// What the frontends need to know about each primitive, read from the
// dialect's ODS definitions (traits and interfaces) so that no layer keeps
// its own list of primitive names: which are elementwise, which take float
// operands only, which give i1, which have a gradient. Free of MLIR headers,
// like KernelCache.h, so frontend files stay quick to compile.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_PRIMITIVES_H
#define KILN_COMPILER_PRIMITIVES_H

#include <string>
#include <vector>

namespace kiln {
namespace compiler {

struct PrimitiveInfo {
  /// The op's mnemonic, as kernel signatures name it ("add", "reduce_sum").
  std::string name;
  /// Computed element by element with numpy broadcasting
  /// (ElementwiseOpInterface): buildable as a kernel from its definition.
  bool elementwise = false;
  /// Operands must be floating point (Kiln_FloatOperands).
  bool floatOperands = false;
  /// The result is i1 (Kiln_BooleanResult).
  bool booleanResult = false;
  /// A gradient flows through it (no Kiln_NoGradient trait): autograd must
  /// have a rule for it.
  bool differentiable = false;
  /// The dialect has its gradient rule (GradientOpInterface), which
  /// kiln-autodiff builds graph gradients from.
  bool hasGradientRule = false;
  /// A single-primitive kernel can be built for it (every primitive except
  /// kiln.constant, which only appears inside graphs).
  bool buildable = false;
};

/// Every op of the kiln dialect, sorted by name.
const std::vector<PrimitiveInfo> &primitives();

/// The primitive `name`; kiln::Error if the dialect has no such op.
const PrimitiveInfo &primitive(const std::string &name);

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_PRIMITIVES_H
