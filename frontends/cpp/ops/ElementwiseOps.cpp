//===- ElementwiseOps.cpp - MXNet's elementwise operators -----------------===//
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

namespace kiln {
namespace ops {
namespace {

bool isComparisonOrLogical(const std::string &primitive) {
  return primitive == "eq" || primitive == "ne" || primitive == "lt" ||
         primitive == "le" || primitive == "gt" || primitive == "ge" ||
         primitive == "logical_and" || primitive == "logical_or" ||
         primitive == "logical_xor";
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

/// MXNet's unary ops and their primitives; `floatOnly` ones run on a
/// float32 copy of integer arrays and are cast back (MXNet computes them in
/// the array's own type, truncating).
struct UnaryOp {
  const char *name;
  const char *primitive;
  bool floatOnly;
};
const UnaryOp kUnary[] = {
    {"negative", "neg", false},   {"abs", "abs", false},
    {"sign", "sign", false},      {"square", "square", false},
    {"relu", "relu", false},      {"logical_not", "logical_not", false},
    {"sigmoid", "sigmoid", true}, {"exp", "exp", true},
    {"expm1", "expm1", true},     {"log", "log", true},
    {"log1p", "log1p", true},     {"sqrt", "sqrt", true},
    {"rsqrt", "rsqrt", true},     {"tanh", "tanh", true},
    {"sin", "sin", true},         {"cos", "cos", true},
    {"floor", "floor", true},     {"ceil", "ceil", true},
    {"round", "round", true},     {"reciprocal", "reciprocal", true},
    {"erf", "erf", true}};

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
                 suffix == "sub" ? std::vector<std::string>{"broadcast_minus"}
                                 : std::vector<std::string>{});
    // The same-shape elemwise_* forms.
    if (suffix == "add" || suffix == "sub" || suffix == "mul" ||
        suffix == "div") {
      const std::string name = "elemwise_" + suffix;
      registry.add(
          {name,
           {"lhs", "rhs"},
           {},
           "Elementwise " + suffix + " of two arrays of one shape.",
           [name, primitive = primitive](const std::vector<NDArray> &in,
                                         const Attrs &, const NDArray &out) {
             if (in[0].shape() != in[1].shape())
               throw Error(
                   formatMessage(name,
                                 ": operands must have the same shape, got "
                                 "lhs ",
                                 shapeToString(in[0].shape()), " and rhs ",
                                 shapeToString(in[1].shape())));
             return binary(name, primitive, in[0], in[1], out);
           }});
    }
  }

  // Scalar forms: `x op scalar` and, for the non-commutative ones, the
  // reversed `scalar op x`. The scalar takes the array's dtype.
  const std::vector<std::tuple<std::string, std::string, bool>> scalarOps = {
      {"_plus_scalar", "add", false},
      {"_minus_scalar", "sub", false},
      {"_rminus_scalar", "sub", true},
      {"_mul_scalar", "mul", false},
      {"_div_scalar", "div", false},
      {"_rdiv_scalar", "div", true},
      {"_mod_scalar", "mod", false},
      {"_rmod_scalar", "mod", true},
      {"_power_scalar", "pow", false},
      {"_rpower_scalar", "pow", true},
      {"_maximum_scalar", "maximum", false},
      {"_minimum_scalar", "minimum", false},
      {"_equal_scalar", "eq", false},
      {"_not_equal_scalar", "ne", false},
      {"_greater_scalar", "gt", false},
      {"_greater_equal_scalar", "ge", false},
      {"_lesser_scalar", "lt", false},
      {"_lesser_equal_scalar", "le", false}};
  for (const auto &[name, primitive, reversed] : scalarOps)
    registry.add({name,
                  {"data"},
                  {{"scalar", AttrSpec::Kind::Float, "1"}},
                  "Elementwise op with a scalar.",
                  [name = name, primitive = primitive, reversed = reversed](
                      const std::vector<NDArray> &in, const Attrs &attrs,
                      const NDArray &out) {
                    NDArray value = dispatch::scalar(attrs.getFloat("scalar"),
                                                     in[0].dtype());
                    return reversed
                               ? binary(name, primitive, value, in[0], out)
                               : binary(name, primitive, in[0], value, out);
                  }});

  for (const UnaryOp &unary : kUnary) {
    const std::string name = unary.name;
    const std::string primitive = unary.primitive;
    const bool floatOnly = unary.floatOnly;
    registry.add(
        {name,
         {"data"},
         {},
         "Elementwise " + name + ".",
         [name, primitive, floatOnly](const std::vector<NDArray> &in,
                                      const Attrs &, const NDArray &out) {
           const NDArray &x = in[0];
           if (!floatOnly || isFloatDType(x.dtype()))
             return dispatch::elementwise(name, primitive, {x}, x.dtype(), out);
           NDArray asFloat = dispatch::cast(x, DType::Float32);
           NDArray result = dispatch::elementwise(name, primitive, {asFloat},
                                                  DType::Float32);
           return dispatch::cast(result, x.dtype(), out);
         }});
  }
}

} // namespace ops
} // namespace kiln
