//===- KilnOps.td - kiln primitive operations --------------*- tablegen -*-===//
//
// Conventions shared by the elementwise primitives:
// * Operands of a binary (or ternary) primitive broadcast as in numpy: shapes
//   align at the right, a missing leading dimension or a dimension of static
//   extent 1 stretches to the other operand's extent. Only a *static* 1
//   broadcasts: a dynamic extent must equal the other operand's at run time.
//   Kernel signatures therefore carry which dimensions are unit (the
//   broadcast pattern), and one kernel serves every shape with that pattern.
// * Operands have one element type; mixed types are cast by the frontend
//   first, following MXNet's promotion rules.
// * Floating-point math on f16 and bf16 is computed in f32 and rounded once.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_OPS_TD
#define KILN_OPS_TD

include "dialects/kiln/KilnDialect.td"
include "dialects/kiln/KilnAttributes.td"
include "dialects/kiln/KilnInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Kiln_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64]>;
def Kiln_NumericTensor : RankedTensorOf<[F16, BF16, F32, F64, I8, UI8, I32, I64]>;
def Kiln_BoolTensor : RankedTensorOf<[I1]>;

// The gradient rule of a primitive (KilnGradients.cpp), unless `traits` mark
// it constant to autograd.
class Kiln_GradientUnless<list<Trait> traits> {
  list<Trait> traitList =
      !if(!empty(!filter(t, traits, !eq(t, Kiln_NoGradient))),
          [DeclareOpInterfaceMethods<Kiln_GradientOpInterface>], []);
}

//===----------------------------------------------------------------------===//
// Elementwise unary operations
//===----------------------------------------------------------------------===//

// `traits` adds to the family's: Kiln_NoGradient for ops whose result is
// piecewise constant (sign, rounding, logical not).
class Kiln_UnaryOp<string mnemonic, Type operandType, string formula,
                   list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat(traits,
        Kiln_GradientUnless<traits>.traitList,
        !if(!eq(operandType, Kiln_FloatTensor), [Kiln_FloatOperands], []), [
        Pure, SameOperandsAndResultType,
        DeclareOpInterfaceMethods<Kiln_ElementwiseOpInterface>])> {
  let arguments = (ins operandType:$operand);
  let results = (outs operandType:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand)";
  let description = "Elementwise `" # formula # "`; the result has the "
      # "operand's type.\n\nExample:\n\n```mlir\n%r = kiln." # mnemonic
      # " %x : tensor<?x4xf32>\n```";
}

def Kiln_NegOp : Kiln_UnaryOp<"neg", Kiln_NumericTensor, "-x"> {
  let summary = "elementwise negation";
}
def Kiln_AbsOp : Kiln_UnaryOp<"abs", Kiln_NumericTensor, "|x|"> {
  let summary = "elementwise absolute value";
}
def Kiln_SignOp : Kiln_UnaryOp<"sign", Kiln_NumericTensor,
    "x > 0 ? 1 : x < 0 ? -1 : 0 (NaN gives 0, as in MXNet)", [Kiln_NoGradient]> {
  let summary = "elementwise sign";
}
def Kiln_SquareOp : Kiln_UnaryOp<"square", Kiln_NumericTensor, "x * x"> {
  let summary = "elementwise square";
}
def Kiln_ReluOp : Kiln_UnaryOp<"relu", Kiln_NumericTensor,
                               "x <= 0 ? 0 : x (NaN stays NaN, as in MXNet's relu)"> {
  let summary = "rectified linear unit";
}
def Kiln_ExpOp : Kiln_UnaryOp<"exp", Kiln_FloatTensor, "e^x"> {
  let summary = "elementwise exponential";
}
def Kiln_Expm1Op : Kiln_UnaryOp<"expm1", Kiln_FloatTensor, "e^x - 1, exact near 0"> {
  let summary = "elementwise exp(x) - 1";
}
def Kiln_LogOp : Kiln_UnaryOp<"log", Kiln_FloatTensor, "ln x"> {
  let summary = "elementwise natural logarithm";
}
def Kiln_Log1pOp : Kiln_UnaryOp<"log1p", Kiln_FloatTensor, "ln(1 + x), exact near 0"> {
  let summary = "elementwise log(1 + x)";
}
def Kiln_SqrtOp : Kiln_UnaryOp<"sqrt", Kiln_FloatTensor, "sqrt(x)"> {
  let summary = "elementwise square root";
}
def Kiln_RsqrtOp : Kiln_UnaryOp<"rsqrt", Kiln_FloatTensor, "1 / sqrt(x)"> {
  let summary = "elementwise reciprocal square root";
}
def Kiln_TanhOp : Kiln_UnaryOp<"tanh", Kiln_FloatTensor, "tanh(x)"> {
  let summary = "elementwise hyperbolic tangent";
}
def Kiln_SigmoidOp : Kiln_UnaryOp<"sigmoid", Kiln_FloatTensor, "1 / (1 + e^-x)"> {
  let summary = "elementwise logistic sigmoid";
}
def Kiln_ErfOp : Kiln_UnaryOp<"erf", Kiln_FloatTensor, "erf(x)"> {
  let summary = "elementwise Gauss error function";
}
def Kiln_SinOp : Kiln_UnaryOp<"sin", Kiln_FloatTensor, "sin(x)"> {
  let summary = "elementwise sine";
}
def Kiln_CosOp : Kiln_UnaryOp<"cos", Kiln_FloatTensor, "cos(x)"> {
  let summary = "elementwise cosine";
}
def Kiln_AsinOp : Kiln_UnaryOp<"asin", Kiln_FloatTensor,
    "arcsin(x) in [-pi/2, pi/2]; NaN outside [-1, 1]"> {
  let summary = "elementwise inverse sine";
}
def Kiln_AcosOp : Kiln_UnaryOp<"acos", Kiln_FloatTensor,
    "arccos(x) in [0, pi]; NaN outside [-1, 1]"> {
  let summary = "elementwise inverse cosine";
}
def Kiln_AtanOp : Kiln_UnaryOp<"atan", Kiln_FloatTensor,
    "arctan(x) in (-pi/2, pi/2)"> {
  let summary = "elementwise inverse tangent";
}
def Kiln_FloorOp : Kiln_UnaryOp<"floor", Kiln_FloatTensor, "floor(x)",
    [Kiln_NoGradient]> {
  let summary = "elementwise floor";
}
def Kiln_CeilOp : Kiln_UnaryOp<"ceil", Kiln_FloatTensor, "ceil(x)",
    [Kiln_NoGradient]> {
  let summary = "elementwise ceiling";
}
def Kiln_RoundOp : Kiln_UnaryOp<"round", Kiln_FloatTensor,
                                "round(x), halves away from zero, as in MXNet",
    [Kiln_NoGradient]> {
  let summary = "elementwise rounding to the nearest integer";
}
def Kiln_ReciprocalOp : Kiln_UnaryOp<"reciprocal", Kiln_FloatTensor, "1 / x"> {
  let summary = "elementwise reciprocal";
}
def Kiln_LogicalNotOp : Kiln_UnaryOp<"logical_not", Kiln_Tensor,
                                     "x == 0 ? 1 : 0, in x's type (MXNet's)",
    [Kiln_NoGradient]> {
  let summary = "elementwise logical not";
}

//===----------------------------------------------------------------------===//
// Elementwise binary operations with broadcasting
//===----------------------------------------------------------------------===//

// `booleanResult`: comparisons and logical ops produce i1; the others the
// operands' element type.
class Kiln_BroadcastBinaryOp<string mnemonic, Type operandType, string formula,
                             bit booleanResult = 0, list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat(traits,
        // A truth value has no gradient.
        !if(booleanResult, [Kiln_BooleanResult, Kiln_NoGradient],
            [DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]), [
        Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>,
        DeclareOpInterfaceMethods<Kiln_ElementwiseOpInterface>])> {
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)
  }];
  let hasVerifier = 1;
  let description = "Elementwise `" # formula # "` with numpy broadcasting."
      # !if(booleanResult, " The result is i1.",
            " The result has the operands' element type.")
      # "\n\nExample:\n\n```mlir\n%r = kiln." # mnemonic
      # " %x, %y : tensor<?x4xf32>, tensor<1x4xf32>\n// %r : tensor<?x4x"
      # !if(booleanResult, "i1", "f32") # ">\n```";
  let extraClassDeclaration = [{
    // Dynamic and static extents that agree are compatible result types.
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_AddOp : Kiln_BroadcastBinaryOp<"add", Kiln_Tensor,
                                        "x + y (or, for i1)", 0, [Commutative]> {
  let summary = "elementwise addition";
}
def Kiln_SubOp : Kiln_BroadcastBinaryOp<"sub", Kiln_NumericTensor, "x - y"> {
  let summary = "elementwise subtraction";
}
def Kiln_MulOp : Kiln_BroadcastBinaryOp<"mul", Kiln_Tensor,
                                        "x * y (and, for i1)", 0, [Commutative]> {
  let summary = "elementwise multiplication";
}
def Kiln_DivOp : Kiln_BroadcastBinaryOp<"div", Kiln_NumericTensor,
    "x / y; integers truncate, and x / 0 is 0 rather than a trap"> {
  let summary = "elementwise division";
}
def Kiln_PowOp : Kiln_BroadcastBinaryOp<"pow", Kiln_NumericTensor,
    "x ^ y; integers as MXNet computes them, in float32 (powf) converted "
    "back toward zero, the lowest int32 (int64) where that does not fit, "
    "8-bit types the low byte of that int32"> {
  let summary = "elementwise power";
}
def Kiln_MaximumOp : Kiln_BroadcastBinaryOp<"maximum", Kiln_Tensor,
    "max(x, y), NaN if either is NaN", 0, [Commutative]> {
  let summary = "elementwise maximum";
}
def Kiln_MinimumOp : Kiln_BroadcastBinaryOp<"minimum", Kiln_Tensor,
    "min(x, y), NaN if either is NaN", 0, [Commutative]> {
  let summary = "elementwise minimum";
}
def Kiln_ModOp : Kiln_BroadcastBinaryOp<"mod", Kiln_NumericTensor,
    "x mod y with the sign of y (Python's and MXNet's), and x mod 0 = 0"> {
  let summary = "elementwise modulo";
}
def Kiln_EqOp : Kiln_BroadcastBinaryOp<"eq", Kiln_Tensor, "x == y", 1,
                                       [Commutative]> {
  let summary = "elementwise equality";
}
def Kiln_NeOp : Kiln_BroadcastBinaryOp<"ne", Kiln_Tensor,
                                       "x != y (true for NaN)", 1, [Commutative]> {
  let summary = "elementwise inequality";
}
def Kiln_LtOp : Kiln_BroadcastBinaryOp<"lt", Kiln_Tensor, "x < y", 1> {
  let summary = "elementwise less-than";
}
def Kiln_LeOp : Kiln_BroadcastBinaryOp<"le", Kiln_Tensor, "x <= y", 1> {
  let summary = "elementwise less-or-equal";
}
def Kiln_GtOp : Kiln_BroadcastBinaryOp<"gt", Kiln_Tensor, "x > y", 1> {
  let summary = "elementwise greater-than";
}
def Kiln_GeOp : Kiln_BroadcastBinaryOp<"ge", Kiln_Tensor, "x >= y", 1> {
  let summary = "elementwise greater-or-equal";
}
def Kiln_LogicalAndOp : Kiln_BroadcastBinaryOp<"logical_and", Kiln_Tensor,
    "x != 0 and y != 0", 1, [Commutative]> {
  let summary = "elementwise logical and";
}
def Kiln_LogicalOrOp : Kiln_BroadcastBinaryOp<"logical_or", Kiln_Tensor,
    "x != 0 or y != 0", 1, [Commutative]> {
  let summary = "elementwise logical or";
}
def Kiln_LogicalXorOp : Kiln_BroadcastBinaryOp<"logical_xor", Kiln_Tensor,
    "(x != 0) != (y != 0)", 1, [Commutative]> {
  let summary = "elementwise logical exclusive or";
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Kiln_ConstantOp : Kiln_Op<"constant", [
    Pure, ConstantLike, AllTypesMatch<["value", "result"]>, Kiln_NoGradient]> {
  let summary = "a constant tensor";
  let description = [{
    A tensor given by its elements attribute; scalars in MXNet programs
    (`x * 2`) become rank-0 constants that the elementwise ops broadcast,
    and fusion folds them into the fused kernel's body.

    ```mlir
    %two = kiln.constant dense<2.0> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Selection and conversion
//===----------------------------------------------------------------------===//

def Kiln_SelectOp : Kiln_Op<"select", [
    Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>,
    DeclareOpInterfaceMethods<Kiln_ElementwiseOpInterface>]> {
  let summary = "elementwise choice between two tensors";
  let description = [{
    `condition ? on_true : on_false`, elementwise, with the three operands
    broadcast together as in numpy. The result has the element type of
    `on_true` and `on_false`, which must agree.

    ```mlir
    %r = kiln.select %mask, %a, %b : tensor<4x1xi1>, tensor<4x3xf32>, tensor<3xf32>
    // %r : tensor<4x3xf32>
    ```
  }];
  let arguments = (ins Kiln_BoolTensor:$condition, Kiln_Tensor:$on_true,
                   Kiln_Tensor:$on_false);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:` type($condition) `,`
    type($on_true) `,` type($on_false)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_CastOp : Kiln_Op<"cast", [
    Pure, DeclareOpInterfaceMethods<Kiln_ElementwiseOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "elementwise conversion to another element type";
  let description = [{
    Converts each element to the result's element type as numpy's `astype`
    does: floats to integers truncate toward zero (out-of-range values are
    unspecified, as in C), to i1 is `x != 0`, from i1 gives 0 or 1. The shape
    is unchanged.

    ```mlir
    %i = kiln.cast %x : tensor<?x3xf32> to tensor<?x3xi32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$operand);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand) `to` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Kiln_ReduceOp<string mnemonic, Type operandType, string what>
    : Kiln_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>,
                         DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let arguments = (ins operandType:$operand, DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $operand attr-dict `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
  let description = "The " # what # [{ of the operand's elements along
    `axes` (distinct, in [0, rank), any order; empty reduces nothing). The
    reduced dimensions are dropped, or kept with extent 1 when `keepdims`.
    Floating-point accumulation may be reassociated (vectorized); f16 and
    bf16 accumulate in f32.
  }] # "\n\nExample:\n\n```mlir\n%r = kiln." # mnemonic
     # " %x {axes = array<i64: 1>} : tensor<?x4xf32> -> tensor<?xf32>\n"
     # "%k = kiln." # mnemonic # " %x {axes = array<i64: 1>, keepdims = true}"
     # " : tensor<?x4xf32> -> tensor<?x1xf32>\n```";
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_ReduceSumOp : Kiln_ReduceOp<"reduce_sum", Kiln_NumericTensor, "sum"> {
  let summary = "sum along axes";
}
def Kiln_ReduceProdOp : Kiln_ReduceOp<"reduce_prod", Kiln_NumericTensor,
                                      "product"> {
  let summary = "product along axes";
}
def Kiln_ReduceMeanOp : Kiln_ReduceOp<"reduce_mean", Kiln_FloatTensor,
    "mean (the sum divided by the number of reduced elements; NaN when there are none)"> {
  let summary = "mean along axes";
}
def Kiln_ReduceMaxOp : Kiln_ReduceOp<"reduce_max", Kiln_NumericTensor,
    "maximum (NaN if any element is NaN; the type's lowest value when nothing is reduced)"> {
  let summary = "maximum along axes";
}
def Kiln_ReduceMinOp : Kiln_ReduceOp<"reduce_min", Kiln_NumericTensor,
    "minimum (NaN if any element is NaN; the type's highest value when nothing is reduced)"> {
  let summary = "minimum along axes";
}

class Kiln_ArgReduceOp<string mnemonic, string what>
    : Kiln_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>,
                         Kiln_NoGradient]> {
  let arguments = (ins Kiln_NumericTensor:$operand, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = [{
    $operand attr-dict `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
  let description = "The index (i64) of the " # what # [{ along `axis`;
    the first one on ties. The axis is dropped, or kept with extent 1 when
    `keepdims`. NaN compares false, so a NaN is never chosen over a number
    seen before it.
  }] # "\n\nExample:\n\n```mlir\n%i = kiln." # mnemonic
     # " %x {axis = 1 : i64} : tensor<?x4xf32> -> tensor<?xi64>\n```";
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_ArgmaxOp : Kiln_ArgReduceOp<"argmax", "largest element"> {
  let summary = "index of the maximum along an axis";
}
def Kiln_ArgminOp : Kiln_ArgReduceOp<"argmin", "smallest element"> {
  let summary = "index of the minimum along an axis";
}

//===----------------------------------------------------------------------===//
// Data movement and generators
//===----------------------------------------------------------------------===//

def Kiln_TransposeOp : Kiln_Op<"transpose", [
    Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "permutation of dimensions";
  let description = [{
    `result[i_p0, ..., i_pn] = operand[i_0, ..., i_n]` where `permutation`
    lists, for each result dimension, the operand dimension it comes from
    (numpy's `transpose(axes)`).

    Example:

    ```mlir
    %t = kiln.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x?x4xf32> -> tensor<4x2x?xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$operand, DenseI64ArrayAttr:$permutation);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_BroadcastToOp : Kiln_Op<"broadcast_to", [
    Pure, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "numpy's broadcast_to";
  let description = [{
    Stretches the operand to the result's shape by numpy's rules (aligned at
    the right; only static 1s and missing leading dimensions stretch). Each
    dynamic result extent is an index operand, in order.

    ```mlir
    %b = kiln.broadcast_to %x, %n : tensor<1x3xf32> -> tensor<?x3xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$operand, Variadic<Index>:$dynamic_extents);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $operand (`,` $dynamic_extents^)? attr-dict `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Kiln_IotaOp : Kiln_Op<"iota", [Pure, Kiln_NoGradient]> {
  let summary = "indices along a dimension";
  let description = [{
    `result[i_0, ..., i_n] = i_dimension`, converted to the element type.
    Each dynamic result extent is an index operand, in order.

    Example:

    ```mlir
    %i = kiln.iota {dimension = 0 : i64} : tensor<5xi32>
    // [0, 1, 2, 3, 4]
    ```
  }];
  let arguments = (ins Variadic<Index>:$dynamic_extents, I64Attr:$dimension);
  let results = (outs Kiln_NumericTensor:$result);
  let assemblyFormat = "($dynamic_extents^)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_SliceOp : Kiln_Op<"slice", [
    Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "strided slice, as x[begin:end:step] per dimension";
  let description = [{
    Python slicing on every dimension: negative `begin`/`end` count from the
    end, out-of-range bounds clamp, `step` is positive. `begin`, `end` and
    `step` have one entry per dimension; INT64_MIN in `begin` or `end` means
    "from the start" / "to the end" (Python's None).

    Example:

    ```mlir
    // x[1:-1:2, ::3] of a 10x8 tensor
    %s = kiln.slice %x {begin = array<i64: 1, 0>, end = array<i64: -1, 8>, step = array<i64: 2, 3>} : tensor<10x8xf32> -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$operand, DenseI64ArrayAttr:$begin,
                   DenseI64ArrayAttr:$end, DenseI64ArrayAttr:$step);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_ConcatOp : Kiln_Op<"concat", [
    Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "concatenation along an axis";
  let description = [{
    The operands, of one element type and rank and equal extents except
    along `axis`, one after another along `axis`.

    Example:

    ```mlir
    %c = kiln.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x?xf32> -> tensor<2x?xf32>
    ```
  }];
  let arguments = (ins Variadic<Kiln_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_TakeOp : Kiln_Op<"take", [
    Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "gather along an axis (numpy's take)";
  let description = [{
    `result[a..., i..., b...] = operand[a..., indices[i...], b...]` with the
    indices along `axis`: the result's shape is the operand's with `axis`
    replaced by the indices' shape. Out-of-range indices are clipped to the
    ends (`clip`, MXNet's default) or wrapped (`#kiln<index_mode wrap>`);
    never an out-of-bounds read.

    Example:

    ```mlir
    %g = kiln.take %x, %i {axis = 0 : i64} : tensor<5x3xf32>, tensor<2x4xi64> -> tensor<2x4x3xf32>
    %w = kiln.take %x, %i {axis = 0 : i64, mode = #kiln<index_mode wrap>} : tensor<5x3xf32>, tensor<2x4xi64> -> tensor<2x4x3xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$operand, RankedTensorOf<[I32, I64]>:$indices,
                   I64Attr:$axis, DefaultValuedAttr<Kiln_IndexModeAttr,
                                     "::mlir::kiln::IndexMode::clip">:$mode);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $operand `,` $indices attr-dict `:` type($operand) `,` type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_ReshapeOp : Kiln_Op<"reshape", [
    Pure, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "the same elements in another shape (row-major)";
  let description = [{
    The operand's elements, in row-major order, seen with the result's shape;
    the element counts must agree (the frontend checks shapes it knows only
    at run time). Each dynamic result extent is an index operand, in order.

    Example:

    ```mlir
    %r = kiln.reshape %x : tensor<2x3xf32> -> tensor<3x2xf32>
    %d = kiln.reshape %y, %n : tensor<?x3xf32> -> tensor<?xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$operand, Variadic<Index>:$dynamic_extents);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $operand (`,` $dynamic_extents^)? attr-dict `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Kiln_PadOp : Kiln_Op<"pad", [
    Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "constant padding";
  let description = [{
    The operand surrounded by `low[d]` elements before and `high[d]` after
    along each dimension d, all equal to `value` (converted to the element
    type). Pads are non-negative.

    Example:

    ```mlir
    %p = kiln.pad %x {low = array<i64: 1, 0>, high = array<i64: 0, 2>, value = 0.0} : tensor<2x3xf32> -> tensor<3x5xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$operand, DenseI64ArrayAttr:$low,
                   DenseI64ArrayAttr:$high,
                   DefaultValuedAttr<F64Attr, "0.0">:$value);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_ScatterAddOp : Kiln_Op<"scatter_add", [
    Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "adds updates into a tensor at indices along an axis";
  let description = [{
    The inverse of `take` (and its gradient): the result is `dest` with
    `updates[a..., i..., b...]` added at `[a..., indices[i...], b...]`;
    repeated indices accumulate. `updates` has take's result shape for
    `dest` and `indices`. Out-of-range indices are clipped or wrapped like
    take's `mode`.

    Example:

    ```mlir
    %s = kiln.scatter_add %dest, %i, %u {axis = 0 : i64} : tensor<4x2xf32>, tensor<3xi64>, tensor<3x2xf32> -> tensor<4x2xf32>
    ```
  }];
  let arguments = (ins Kiln_NumericTensor:$dest,
                   RankedTensorOf<[I32, I64]>:$indices,
                   Kiln_NumericTensor:$updates, I64Attr:$axis,
                   DefaultValuedAttr<Kiln_IndexModeAttr,
                                     "::mlir::kiln::IndexMode::clip">:$mode);
  let results = (outs Kiln_NumericTensor:$result);
  let assemblyFormat = [{
    $dest `,` $indices `,` $updates attr-dict `:` type($dest) `,` type($indices) `,` type($updates) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

class Kiln_RandomOp<string mnemonic, string distribution, string example>
    : Kiln_Op<mnemonic, [Pure, Kiln_NoGradient]> {
  let description = "Samples from " # distribution # [{, element by element
    from a counter-based generator (Philox 4x32-10 keyed by `seed`, a rank-0
    i64 tensor read at run time so one kernel serves every seed; the counter
    is the element's linear index), so a seed gives the same tensor whatever
    the threading. Each dynamic result extent is an index operand, in order.
  }] # "\n\nExample:\n\n```mlir\n" # example # "\n```";
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = [{
    $seed (`,` $dynamic_extents^)? attr-dict `:` type($seed) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Kiln_RandomUniformOp : Kiln_RandomOp<"random_uniform",
                                         "the uniform distribution on [low, high)",
    "%u = kiln.random_uniform %seed {low = 0.0, high = 1.0} : tensor<i64> -> tensor<4x3xf32>"> {
  let summary = "uniform random numbers";
  let arguments = (ins 0DTensorOf<[I64]>:$seed, Variadic<Index>:$dynamic_extents,
                   F64Attr:$low, F64Attr:$high);
}

def Kiln_RandomNormalOp : Kiln_RandomOp<"random_normal",
    "the normal distribution with `mean` and `stddev` (Box-Muller)",
    "%n = kiln.random_normal %seed, %count {mean = 0.0, stddev = 1.0} : tensor<i64> -> tensor<?xf32>"> {
  let summary = "normal random numbers";
  let arguments = (ins 0DTensorOf<[I64]>:$seed, Variadic<Index>:$dynamic_extents,
                   F64Attr:$mean, F64Attr:$stddev);
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def Kiln_MatmulOp : Kiln_Op<"matmul", [
    Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "(batched) matrix product";
  let description = [{
    numpy's `matmul` for operands of rank 2 or more: the last two dimensions
    are matrices, `lhs` M x K and `rhs` K x N, giving M x N; the leading
    (batch) dimensions broadcast as in numpy. f32 runs on oneDNN; other float
    types accumulate in f32 (f64 in f64) in compiled loops.

    ```mlir
    %c = kiln.matmul %a, %b : tensor<8x1x?x64xf32>, tensor<4x64x32xf32>
    // %c : tensor<8x4x?x32xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$lhs, Kiln_FloatTensor:$rhs);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

//===----------------------------------------------------------------------===//
// Library-backed neural-network primitives
//
// Convolution and pooling over channel-first (N, C, spatial...) tensors with
// 1 to 3 spatial dimensions, f32 (on oneDNN) or f64 (compiled loops in the
// runtime). Their attributes hold one entry per spatial dimension. The
// backward ops are primitives too, so gradient rules are calls of them and
// a transposed convolution is a backward-data convolution.
//===----------------------------------------------------------------------===//

def Kiln_SpatialTensor : RankedTensorOf<[F32, F64]>;

class Kiln_ConvolutionOp<string mnemonic, list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat([
        Pure, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>], traits)> {
  dag convolutionAttributes = (ins DenseI64ArrayAttr:$strides,
                                   DenseI64ArrayAttr:$padding_low,
                                   DenseI64ArrayAttr:$padding_high,
                                   DenseI64ArrayAttr:$dilations,
                                   I64Attr:$groups);
}

def Kiln_ConvolutionOp : Kiln_ConvolutionOp<"convolution", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "grouped, strided, dilated convolution (cross-correlation)";
  let description = [{
    `result[n, o, y...] = sum over c in o's group, k... of
    input[n, c, y * stride + k * dilation - padding_low] * filter[o, c, k...]`
    with zeros outside the input. `input` is (N, C, spatial...), `filter`
    (O, C / groups, window...); each output extent is
    `(extent + low + high - dilation * (window - 1) - 1) / stride + 1`.
    The optional `bias` (O) is added along the channel axis, as MXNet's
    `Convolution` does unless `no_bias`: the library adds it as it writes
    the output, and computes its gradient with the filter's, rather than a
    separate pass over the output and another over its gradient.

    Example:

    ```mlir
    %y = kiln.convolution %x, %w {strides = array<i64: 1, 1>,
        padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>,
        dilations = array<i64: 1, 1>, groups = 1 : i64}
        : tensor<?x64x56x56xf32>, tensor<64x64x3x3xf32> -> tensor<?x64x56x56xf32>
    %z = kiln.convolution %x, %w, %b {strides = array<i64: 1, 1>,
        padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>,
        dilations = array<i64: 1, 1>, groups = 1 : i64}
        : tensor<?x64x56x56xf32>, tensor<64x64x3x3xf32>, tensor<64xf32>
        -> tensor<?x64x54x54xf32>
    ```
  }];
  let arguments = !con((ins Kiln_SpatialTensor:$input,
                            Kiln_SpatialTensor:$filter,
                            Optional<RankedTensorOf<[F32, F64]>>:$bias),
                       convolutionAttributes);
  let results = (outs Kiln_SpatialTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter (`,` $bias^)? attr-dict `:` type($input) `,`
    type($filter) (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_ConvolutionBackwardDataOp
    : Kiln_ConvolutionOp<"convolution_backward_data"> {
  let summary = "gradient of a convolution with respect to its input";
  let description = [{
    The input-shaped result of `kiln.convolution`'s transpose: each
    `output_grad` element, times the filter, added into the input positions
    it was computed from. The result type gives the input's shape (strides
    make it ambiguous); each dynamic extent is an index operand, in order.
    This is also MXNet's `Deconvolution` (a transposed convolution).

    Example:

    ```mlir
    %dx = kiln.convolution_backward_data %dy, %w, %n {strides = array<i64: 2>,
        padding_low = array<i64: 0>, padding_high = array<i64: 0>,
        dilations = array<i64: 1>, groups = 1 : i64}
        : tensor<?x8x5xf32>, tensor<8x3x3xf32> -> tensor<?x3x11xf32>
    ```
  }];
  let arguments = !con((ins Kiln_SpatialTensor:$output_grad,
                            Kiln_SpatialTensor:$filter,
                            Variadic<Index>:$dynamic_extents),
                       convolutionAttributes);
  let results = (outs Kiln_SpatialTensor:$result);
  let assemblyFormat = [{
    $output_grad `,` $filter (`,` $dynamic_extents^)? attr-dict `:`
    type($output_grad) `,` type($filter) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Kiln_ConvolutionBackwardFilterOp
    : Kiln_ConvolutionOp<"convolution_backward_filter"> {
  let summary = "gradient of a convolution with respect to its filter";
  let description = [{
    `result[o, c, k...] = sum over n, y... of output_grad[n, o, y...] *
    input[n, c', y * stride + k * dilation - padding_low]` (c' the input
    channel of c in o's group). The result type gives the filter's shape;
    each dynamic extent is an index operand, in order.

    Example:

    ```mlir
    %dw = kiln.convolution_backward_filter %x, %dy {strides = array<i64: 1, 1>,
        padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>,
        dilations = array<i64: 1, 1>, groups = 1 : i64}
        : tensor<?x1x28x28xf32>, tensor<?x20x24x24xf32> -> tensor<20x1x5x5xf32>
    ```
  }];
  let arguments = !con((ins Kiln_SpatialTensor:$input,
                            Kiln_SpatialTensor:$output_grad,
                            Variadic<Index>:$dynamic_extents),
                       convolutionAttributes);
  let results = (outs Kiln_SpatialTensor:$result);
  let assemblyFormat = [{
    $input `,` $output_grad (`,` $dynamic_extents^)? attr-dict `:`
    type($input) `,` type($output_grad) `->` type($result)
  }];
  let hasVerifier = 1;
}

class Kiln_PoolingOp<string mnemonic, list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat([
        Pure, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>], traits)> {
  dag poolingAttributes = (ins Kiln_PoolKindAttr:$kind,
                               DenseI64ArrayAttr:$window,
                               DenseI64ArrayAttr:$strides,
                               DenseI64ArrayAttr:$padding_low,
                               DenseI64ArrayAttr:$padding_high,
                               BoolAttr:$count_include_pad);
}

def Kiln_PoolOp : Kiln_PoolingOp<"pool", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "max or average pooling over spatial windows";
  let description = [{
    Each output element is the max or the mean of one window of the input
    (N, C, spatial...): window position `y * stride - padding_low`, extent
    `(extent + low + high - window) / stride + 1`. Padding never wins a max;
    an average divides by the whole window when `count_include_pad`, else by
    the in-bounds elements. MXNet's `Pooling` (max/avg).

    Example:

    ```mlir
    %p = kiln.pool %x {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>,
        strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>,
        padding_high = array<i64: 0, 0>, count_include_pad = true}
        : tensor<?x20x24x24xf32> -> tensor<?x20x12x12xf32>
    ```
  }];
  let arguments = !con((ins Kiln_SpatialTensor:$input), poolingAttributes);
  let results = (outs Kiln_SpatialTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_PoolBackwardOp : Kiln_PoolingOp<"pool_backward", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "gradient of kiln.pool with respect to its input";
  let description = [{
    Routes each `output_grad` element back over its window: to the window's
    first largest input element (max), or spread evenly by the same divisor
    as the forward (avg). `input` is the forward's input, which max pooling
    needs to find the winners. Linear in `output_grad`: for avg its gradient
    is kiln.pool of the incoming gradient; for max (a gather at the winners)
    the gradient rule refuses, as MXNet 1.9.1 has none.

    Example:

    ```mlir
    %dx = kiln.pool_backward %x, %dy {kind = #kiln<pool_kind max>,
        window = array<i64: 2, 2>, strides = array<i64: 2, 2>,
        padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>,
        count_include_pad = true}
        : tensor<?x20x24x24xf32>, tensor<?x20x12x12xf32> -> tensor<?x20x24x24xf32>
    ```
  }];
  let arguments = !con((ins Kiln_SpatialTensor:$input,
                            Kiln_SpatialTensor:$output_grad),
                       poolingAttributes);
  let results = (outs Kiln_SpatialTensor:$result);
  let assemblyFormat = [{
    $input `,` $output_grad attr-dict `:` type($input) `,` type($output_grad)
    `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

//===----------------------------------------------------------------------===//
// Lowering-stage ops
//===----------------------------------------------------------------------===//

def Kiln_LibraryCallOp : Kiln_Op<"library_call", [
    AttrSizedOperandSegments, DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    Kiln_LoweringStage]> {
  let summary = "a call into the runtime's kernel library (lowering stage)";
  let description = [{
    Not a primitive: convert-kiln-to-linalg lowers the library-backed
    primitives (convolution, pooling) to it. On tensors it writes `outputs`
    (destination-passing style, so bufferization writes the result in place)
    and returns them; on buffers it has no results, reads its inputs and
    writes its outputs whole, and kiln-library-call-to-func turns it into a
    call of `callee` with every buffer as an unranked memref and `params` as
    a constant i64 buffer last.

    Example:

    ```mlir
    %y = kiln.library_call "kiln_pool_f32" ins(%x : tensor<?x?x?x?xf32>)
        outs(%init : tensor<?x?x?x?xf32>) {params = array<i64: 0, 1, 2, 2>}
        -> tensor<?x?x?x?xf32>
    ```
  }];
  let arguments = (ins StrAttr:$callee, DenseI64ArrayAttr:$params,
                       Variadic<AnyShaped>:$inputs,
                       Variadic<AnyShaped>:$outputs);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $callee (`ins` `(` $inputs^ `:` type($inputs) `)`)?
    `outs` `(` $outputs `:` type($outputs) `)` attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutputsMutable();
    }
  }];
}

#endif // KILN_OPS_TD
