//===- ElementwiseOps.cpp - MXNet's elementwise operators -----------------===//
#include "frontends/cpp/ops/Ops.h"

#include "compiler/Primitives.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

namespace kiln {
namespace ops {
namespace {

/// Comparisons and logical ops: the dialect says which give i1.
bool isComparisonOrLogical(const std::string &primitive) {
  return compiler::primitive(primitive).booleanResult;
}

/// For elemwise_<op>, which never broadcasts (MXNet's rule), where to turn
/// to: a user writing `a * b` on symbols gets elemwise_mul.
std::string broadcastHint(const std::string &op) {
  const std::string prefix = "elemwise_";
  if (op.compare(0, prefix.size(), prefix) != 0)
    return "";
  return " (elemwise ops do not broadcast, as in MXNet; broadcast_" +
         op.substr(prefix.size()) + " does)";
}

/// A binary primitive on two arrays of one dtype. Comparisons and logical
/// ops return 1/0 in the operands' dtype, as in MXNet.
NDArray binary(const std::string &op, const std::string &primitive,
               const NDArray &lhs, const NDArray &rhs, const NDArray &out) {
  if (lhs.dtype() != rhs.dtype())
    throw Error(formatMessage(op, ": operands must have the same dtype, got ",
                              dtypeName(lhs.dtype()), " and ",
                              dtypeName(rhs.dtype())));
  if (!isComparisonOrLogical(primitive))
    return dispatch::elementwise(op, primitive, {lhs, rhs}, lhs.dtype(), out);
  NDArray truth = dispatch::elementwise(op, primitive, {lhs, rhs}, DType::Bool);
  return dispatch::cast(truth, lhs.dtype(), out);
}

const std::vector<std::pair<std::string, std::string>> kBinary = {
    {"add", "add"},
    {"sub", "sub"},
    {"mul", "mul"},
    {"div", "div"},
    {"mod", "mod"},
    {"power", "pow"},
    {"maximum", "maximum"},
    {"minimum", "minimum"},
    {"equal", "eq"},
    {"not_equal", "ne"},
    {"greater", "gt"},
    {"greater_equal", "ge"},
    {"lesser", "lt"},
    {"lesser_equal", "le"},
    {"logical_and", "logical_and"},
    {"logical_or", "logical_or"},
    {"logical_xor", "logical_xor"}};

/// How a unary op treats integer arrays.
enum class OnIntegers {
  /// The primitive runs on the integers themselves (abs, sign, square).
  Native,
  /// Computed in floating point and cast back, truncating, as MXNet does
  /// (sqrt of int32 9 is 3). int32/int64 go through float64, whose 53-bit
  /// mantissa holds every int32 and far more int64 values than float32's 24.
  ViaFloat,
  /// Rounding: integers are already whole, so the op is the identity
  /// (MXNet's floor of int32 50000001 is 50000001).
  Identity
};

/// MXNet's unary ops and their primitives; `rounds` marks the rounding
/// ops, the identity on integers. The others run on integers natively
/// unless the dialect says the primitive takes floats only
/// (Kiln_FloatOperands): see onIntegers().
struct UnaryOp {
  const char *name;
  const char *primitive;
  bool rounds = false;
};
const UnaryOp kUnary[] = {{"negative", "neg"},
                          {"abs", "abs"},
                          {"sign", "sign"},
                          {"square", "square"},
                          {"relu", "relu"},
                          {"logical_not", "logical_not"},
                          {"sigmoid", "sigmoid"},
                          {"exp", "exp"},
                          {"expm1", "expm1"},
                          {"log", "log"},
                          {"log1p", "log1p"},
                          {"sqrt", "sqrt"},
                          {"rsqrt", "rsqrt"},
                          {"tanh", "tanh"},
                          {"sin", "sin"},
                          {"cos", "cos"},
                          {"reciprocal", "reciprocal"},
                          {"erf", "erf"},
                          {"arcsin", "asin"},
                          {"arccos", "acos"},
                          {"arctan", "atan"},
                          {"floor", "floor", true},
                          {"ceil", "ceil", true},
                          {"round", "round", true}};

OnIntegers onIntegers(const UnaryOp &op) {
  if (op.rounds)
    return OnIntegers::Identity;
  return compiler::primitive(op.primitive).floatOperands ? OnIntegers::ViaFloat
                                                         : OnIntegers::Native;
}

/// The floating-point type integer arrays of `dtype` are computed in.
DType computeFloatType(DType dtype) {
  return dtype == DType::Int32 || dtype == DType::Int64 ? DType::Float64
                                                        : DType::Float32;
}

/// `x` copied into `out` (or a new array): the identity of integer rounding.
NDArray copyOf(const NDArray &x, const NDArray &out) {
  return dispatch::cast(x, x.dtype(), out);
}

NDArray truncateTowardZero(const NDArray &x, const NDArray &out) {
  // where(x < 0, ceil(x), floor(x)): four small kernels eagerly, one when a
  // whole graph is fused.
  NDArray zero = dispatch::scalar(0, x.dtype());
  NDArray negative =
      dispatch::elementwise("trunc", "lt", {x, zero}, DType::Bool);
  NDArray up = dispatch::elementwise("trunc", "ceil", {x}, x.dtype());
  NDArray down = dispatch::elementwise("trunc", "floor", {x}, x.dtype());
  return dispatch::elementwise("trunc", "select", {negative, up, down},
                               x.dtype(), out);
}

NDArray roundHalfDown(const NDArray &x, const NDArray &out) {
  // MXNet's rint: the nearer of floor(x) and ceil(x), floor at a tie (2.5 ->
  // 2, -2.5 -> -3), unlike numpy's half-to-even.
  const DType dtype = x.dtype();
  NDArray down = dispatch::elementwise("rint", "floor", {x}, dtype);
  NDArray fraction = dispatch::elementwise("rint", "sub", {x, down}, dtype);
  NDArray takeFloor = dispatch::elementwise(
      "rint", "le", {fraction, dispatch::scalar(0.5, dtype)}, DType::Bool);
  NDArray up = dispatch::elementwise("rint", "ceil", {x}, dtype);
  return dispatch::elementwise("rint", "select", {takeFloor, down, up}, dtype,
                               out);
}

} // namespace

bool isFloatDType(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64 ||
         dtype == DType::Float16 || dtype == DType::BFloat16;
}

void requireFloatDType(const std::string &op, DType dtype) {
  if (!isFloatDType(dtype))
    throw Error(formatMessage(
        op, ": dtype expected a floating-point type, got ", dtypeName(dtype)));
}

void requireFloat(const std::string &op, const NDArray &array) {
  if (!isFloatDType(array.dtype()))
    throw Error(formatMessage(op, ": expected a floating-point array, got ",
                              dtypeName(array.dtype())));
}

void registerElementwiseOps(OpRegistry &registry) {
  for (const auto &[suffix, primitive] : kBinary) {
    const std::string broadcastName = "broadcast_" + suffix;
    registry.add({broadcastName,
                  {"lhs", "rhs"},
                  {},
                  "Elementwise " + suffix + " with numpy broadcasting.",
                  [broadcastName,
                   primitive = primitive](const std::vector<NDArray> &in,
                                          const Attrs &, const NDArray &out) {
                    return binary(broadcastName, primitive, in[0], in[1], out);
                  }},
                 suffix == "sub"   ? std::vector<std::string>{"broadcast_minus"}
                 : suffix == "add" ? std::vector<std::string>{"broadcast_plus"}
                                   : std::vector<std::string>{});
  }

  // The same-shape forms (no broadcasting), under MXNet's names and old
  // aliases: elemwise_add is also _add, _plus, _Plus and _grad_add; _mod is
  // _Mod; ...
  const std::vector<
      std::tuple<std::string, std::string, std::vector<std::string>>>
      sameShapeOps = {
          {"elemwise_add", "add", {"_add", "_plus", "_Plus", "_grad_add"}},
          {"elemwise_sub", "sub", {"_sub", "_minus", "_Minus"}},
          {"elemwise_mul", "mul", {"_mul", "_Mul"}},
          {"elemwise_div", "div", {"_div", "_Div"}},
          {"_mod", "mod", {"_Mod"}},
          {"_power", "pow", {"_Power"}},
          {"_maximum", "maximum", {"_Maximum"}},
          {"_minimum", "minimum", {"_Minimum"}},
          {"_equal", "eq", {"_Equal"}},
          {"_not_equal", "ne", {"_Not_Equal"}},
          {"_greater", "gt", {"_Greater"}},
          {"_greater_equal", "ge", {"_Greater_Equal"}},
          {"_lesser", "lt", {"_Lesser"}},
          {"_lesser_equal", "le", {"_Lesser_Equal"}},
          {"_logical_and", "logical_and", {"_Logical_And"}},
          {"_logical_or", "logical_or", {"_Logical_Or"}},
          {"_logical_xor", "logical_xor", {"_Logical_Xor"}}};
  for (const auto &[name, primitive, aliases] : sameShapeOps)
    registry.add(
        {name,
         {"lhs", "rhs"},
         {},
         "Elementwise " + primitive +
             " of two arrays of one shape and dtype (no broadcasting), as "
             "MXNet 1.9.1's " +
             name +
             ". Comparisons and logical ops give 1/0 in the operands' "
             "dtype. Errors: operands of different shapes or dtypes.",
         [name = name, primitive = primitive](const std::vector<NDArray> &in,
                                              const Attrs &,
                                              const NDArray &out) {
           if (in[0].shape() != in[1].shape())
             throw Error(formatMessage(
                 name, ": operands must have the same shape, got lhs ",
                 shapeToString(in[0].shape()), " and rhs ",
                 shapeToString(in[1].shape()), broadcastHint(name)));
           return binary(name, primitive, in[0], in[1], out);
         }},
        aliases);

  // Scalar forms: `x op scalar` and, for the non-commutative ones, the
  // reversed `scalar op x`. The scalar takes the array's dtype.
  // MXNet's old CamelCase names are aliases.
  const std::vector<std::tuple<std::string, std::string, bool, std::string>>
      scalarOps = {
          {"_plus_scalar", "add", false, "_PlusScalar"},
          {"_minus_scalar", "sub", false, "_MinusScalar"},
          {"_rminus_scalar", "sub", true, "_RMinusScalar"},
          {"_mul_scalar", "mul", false, "_MulScalar"},
          {"_div_scalar", "div", false, "_DivScalar"},
          {"_rdiv_scalar", "div", true, "_RDivScalar"},
          {"_mod_scalar", "mod", false, "_ModScalar"},
          {"_rmod_scalar", "mod", true, "_RModScalar"},
          {"_power_scalar", "pow", false, "_PowerScalar"},
          {"_rpower_scalar", "pow", true, "_RPowerScalar"},
          {"_maximum_scalar", "maximum", false, "_MaximumScalar"},
          {"_minimum_scalar", "minimum", false, "_MinimumScalar"},
          {"_equal_scalar", "eq", false, "_EqualScalar"},
          {"_not_equal_scalar", "ne", false, "_NotEqualScalar"},
          {"_greater_scalar", "gt", false, "_GreaterScalar"},
          {"_greater_equal_scalar", "ge", false, "_GreaterEqualScalar"},
          {"_lesser_scalar", "lt", false, "_LesserScalar"},
          {"_lesser_equal_scalar", "le", false, "_LesserEqualScalar"},
          {"_logical_and_scalar", "logical_and", false, "_LogicalAndScalar"},
          {"_logical_or_scalar", "logical_or", false, "_LogicalOrScalar"},
          {"_logical_xor_scalar", "logical_xor", false, "_LogicalXorScalar"}};
  for (const auto &[name, primitive, reversed, alias] : scalarOps)
    registry.add(
        {name,
         {"data"},
         {{"scalar", AttrSpec::Kind::Float, "1"}},
         "Elementwise op with a scalar.",
         [name = name, primitive = primitive,
          reversed = reversed](const std::vector<NDArray> &in,
                               const Attrs &attrs, const NDArray &out) {
           const double scalar = attrs.getFloat("scalar");
           // x ** 2 and x ** 3 on floats as products: the pow
           // kernel calls libm's powf per element, which does not
           // vectorize (x ** 3 on 2^20 floats: 4.7 ms against
           // 0.5 for x * x * x); x * x is the correctly rounded
           // square, x * x * x within an ulp of powf in float32 and
           // float64 (in float16, rounding x * x first is an ulp off on
           // 8% of the values: its cubes stay on pow).
           const DType dtype = in[0].dtype();
           if (name == "_power_scalar" && isFloatDType(dtype) &&
               (scalar == 2 || (scalar == 3 && (dtype == DType::Float32 ||
                                                dtype == DType::Float64)))) {
             if (scalar == 2)
               return binary(name, "mul", in[0], in[0], out);
             return binary(name, "mul",
                           binary(name, "mul", in[0], in[0], NDArray()), in[0],
                           out);
           }
           NDArray value = dispatch::scalar(scalar, dtype);
           return reversed ? binary(name, primitive, value, in[0], out)
                           : binary(name, primitive, in[0], value, out);
         }},
        {alias});

  for (const UnaryOp &unary : kUnary) {
    const std::string name = unary.name;
    const std::string primitive = unary.primitive;
    const OnIntegers onIntegers = ops::onIntegers(unary);
    registry.add(
        {name,
         {"data"},
         {},
         "Elementwise " + name + ".",
         [name, primitive, onIntegers](const std::vector<NDArray> &in,
                                       const Attrs &, const NDArray &out) {
           const NDArray &x = in[0];
           if (onIntegers == OnIntegers::Native || isFloatDType(x.dtype()))
             return dispatch::elementwise(name, primitive, {x}, x.dtype(), out);
           if (onIntegers == OnIntegers::Identity)
             return copyOf(x, out);
           const DType computeType = computeFloatType(x.dtype());
           NDArray asFloat = dispatch::cast(x, computeType);
           NDArray result =
               dispatch::elementwise(name, primitive, {asFloat}, computeType);
           return dispatch::cast(result, x.dtype(), out);
         }});
  }

  // Rounding toward zero (trunc; fix is MXNet's other name for it) and to
  // the nearest integer, ties down (rint), as decompositions of primitives (the
  // fusion pass makes each one kernel in a compiled graph). The identity on
  // integers, as MXNet.
  const std::pair<const char *, NDArray (*)(const NDArray &, const NDArray &)>
      kDecomposedRounding[] = {{"trunc", truncateTowardZero},
                               {"fix", truncateTowardZero},
                               {"rint", roundHalfDown}};
  for (const auto &[name, compute] : kDecomposedRounding)
    registry.add({name,
                  {"data"},
                  {},
                  std::string("Elementwise ") + name +
                      ": rounding of floats; integers are returned as they "
                      "are.",
                  [compute = compute](const std::vector<NDArray> &in,
                                      const Attrs &, const NDArray &out) {
                    if (!isFloatDType(in[0].dtype()))
                      return copyOf(in[0], out);
                    return compute(in[0], out);
                  }});
}

} // namespace ops
} // namespace kiln
