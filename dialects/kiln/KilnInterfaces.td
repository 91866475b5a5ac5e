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
