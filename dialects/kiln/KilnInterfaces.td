//===- KilnInterfaces.td - what passes ask kiln ops -------*- tablegen -*-===//
//
// Passes and the frontends ask a primitive for these instead of keeping
// lists of op names: a new primitive declares them in KilnOps.td (through
// its family class) and every consumer picks it up.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_INTERFACES_TD
#define KILN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Kiln_ElementwiseOpInterface : OpInterface<"ElementwiseOpInterface"> {
  let cppNamespace = "::mlir::kiln";
  let description = [{
    A primitive computed independently at each element of its result, with
    its operands broadcast together as in numpy. `convert-kiln-to-linalg`
    lowers every such op to one `linalg.generic` whose body is
    `buildScalar`, and `kiln-fuse-elementwise` merges those bodies.
  }];
  let methods = [
    InterfaceMethod<[{
        The op on one element of each operand. `operands` are scalars in the
        computation type: f16 and bf16 have been widened to f32, except for
        the ops that work on stored values (select, cast). `isUnsigned` says
        integers are uint8. Returns the result element (the caller narrows
        it to `resultElement` when they differ), or null when this element
        type has no lowering.
      }],
      "::mlir::Value", "buildScalar",
      (ins "::mlir::kiln::ScalarBuilder &":$builder,
           "::mlir::ValueRange":$operands,
           "::mlir::Type":$resultElement,
           "bool":$isUnsigned)>,
  ];
}

def Kiln_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::mlir::kiln";
  let description = [{
    The primitive's gradient rule: the kiln ops that compute the gradients of
    its operands from the gradients of its results (reverse mode). The rules
    are MXNet 1.9.1's (and kiln's eager autograd's, frontends/cpp): at a
    kink the subgradient MXNet picks (relu'(0) = 0, abs'(0) = 0, ties of
    maximum go to the left operand). `kiln-autodiff` builds a backward
    function from them; every primitive without `Kiln_NoGradient` has one
    (tests/frontends:primitive_coverage_test).
  }];
  let methods = [
    InterfaceMethod<[{
        Builds, at the builder's insertion point, the gradient of each
        operand given `resultGradients` (one per result, each of its result's
        type). `operandGradients` arrives with one null entry per operand;
        the rule sets the entries that have a gradient, each of its operand's
        shape and element type (a dynamic extent may be left dynamic), and
        leaves integer and boolean operands null. Fails, with an error on the
        op, when this instance has no gradient (max pool_backward).
      }],
      "::mlir::LogicalResult", "buildGradient",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGradients,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGradients)>,
  ];
}

// Marker traits (empty C++ classes in KilnTraits.h).

// The result is constant to autograd: no gradient flows back through the op
// (comparisons, rounding, argmax, random numbers). Every other primitive has
// a gradient rule; tests/frontends:primitive_coverage_test checks both ways.
def Kiln_NoGradient : NativeOpTrait<"NoGradient"> {
  let cppNamespace = "::mlir::kiln::OpTrait";
}

// Operands must be floating point: the frontends compute integer arrays
// through a float type for these (sqrt of an int32 array).
def Kiln_FloatOperands : NativeOpTrait<"FloatOperands"> {
  let cppNamespace = "::mlir::kiln::OpTrait";
}

// The result element type is i1 whatever the operands' (comparisons and
// logical ops).
def Kiln_BooleanResult : NativeOpTrait<"BooleanResult"> {
  let cppNamespace = "::mlir::kiln::OpTrait";
}

// Not a primitive: an op that only lowerings create (kiln.library_call).
// The primitive catalog (compiler/Primitives.h) leaves it out.
def Kiln_LoweringStage : NativeOpTrait<"LoweringStage"> {
  let cppNamespace = "::mlir::kiln::OpTrait";
}

#endif // KILN_INTERFACES_TD
