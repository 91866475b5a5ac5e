//===- FusedGraph.cpp - formulas as one fused kernel or as recorded ops ---===//
#include "frontends/cpp/ops/FusedGraph.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>
#include <cstdio>

namespace kiln {
namespace ops {

namespace {

[[noreturn]] void internal(const std::string &op, const std::string &what) {
  throw Error(formatMessage(op, ": internal: ", what));
}

bool isComparison(const std::string &op) {
  return op == "gt" || op == "ge" || op == "lt" || op == "le" || op == "eq" ||
         op == "ne" || op == "logical_and" || op == "logical_or";
}

} // namespace

GValue FusedGraph::make(DType dtype, uint64_t units, bool scalar) {
  GValue value;
  value.graph_ = this;
  value.name_ = "%v" + std::to_string(values_++);
  value.dtype_ = dtype;
  value.units_ = units;
  value.scalar_ = scalar;
  return value;
}

std::string FusedGraph::type(const GValue &value) const {
  std::string text = "tensor<";
  if (!value.scalar_)
    for (int64_t dim = 0; dim < rank_; ++dim)
      text += value.units_ >> dim & 1 ? "1x" : "?x";
  return text + dispatch::mlirElementType(value.dtype_) + ">";
}

GValue FusedGraph::input(const NDArray &array, DType dtype, uint64_t units) {
  const int64_t rank = array.shape().size();
  if (rank != 0 && rank != rank_)
    internal(op_, formatMessage("an input of rank ", rank,
                                " in a graph of rank ", rank_));
  for (int64_t dim = 0; rank != 0 && dim < rank; ++dim)
    if ((units >> dim & 1) && array.shape()[dim] != 1)
      internal(op_, formatMessage("input ", shapeToString(array.shape()),
                                  " broadcast along dimension ", dim));
  GValue value = make(array.dtype(), units, rank == 0);
  inputs_.push_back(array);
  arguments_ +=
      (arguments_.empty() ? "" : ", ") + value.name_ + ": " + type(value);
  return value.dtype_ == dtype ? value : cast(value, dtype);
}

GValue FusedGraph::number(double value, DType dtype) {
  return input(dispatch::scalar(value, dtype), dtype);
}

GValue FusedGraph::literal(double value, DType dtype) {
  GValue result = make(dtype, 0, true);
  char text[64];
  std::snprintf(text, sizeof text, "%.17e", value);
  body_ += "  " + result.name_ + " = kiln.constant dense<" + text +
           "> : " + type(result) + "\n";
  return result;
}

GValue FusedGraph::unary(const char *op, const GValue &x) {
  GValue result = make(x.dtype_, x.units_, x.scalar_);
  body_ += "  " + result.name_ + " = kiln." + op + " " + x.name_ + " : " +
           type(x) + "\n";
  return result;
}

GValue FusedGraph::binary(const char *op, const GValue &x, const GValue &y) {
  if (x.dtype_ != y.dtype_)
    internal(op_, formatMessage("kiln.", op, " of ", dtypeName(x.dtype_),
                                " and ", dtypeName(y.dtype_)));
  const bool scalar = x.scalar_ && y.scalar_;
  const uint64_t units = x.scalar_   ? y.units_
                         : y.scalar_ ? x.units_
                                     : x.units_ & y.units_;
  GValue result =
      make(isComparison(op) ? DType::Bool : x.dtype_, units, scalar);
  body_ += "  " + result.name_ + " = kiln." + op + " " + x.name_ + ", " +
           y.name_ + " : " + type(x) + ", " + type(y) + "\n";
  return result;
}

GValue FusedGraph::select(const GValue &condition, const GValue &onTrue,
                          const GValue &onFalse) {
  bool scalar = true;
  uint64_t units = ~uint64_t{0};
  for (const GValue *value : {&condition, &onTrue, &onFalse})
    if (!value->scalar_) {
      scalar = false;
      units &= value->units_;
    }
  GValue result = make(onTrue.dtype_, scalar ? 0 : units, scalar);
  body_ += "  " + result.name_ + " = kiln.select " + condition.name_ + ", " +
           onTrue.name_ + ", " + onFalse.name_ + " : " + type(condition) +
           ", " + type(onTrue) + ", " + type(onFalse) + "\n";
  return result;
}

GValue FusedGraph::cast(const GValue &x, DType dtype) {
  // The JIT cannot link float64 -> float16 conversions (no __truncdfhf2):
  // through float32, which rounds far below float16's ulp.
  if (x.dtype_ == DType::Float64 &&
      (dtype == DType::Float16 || dtype == DType::BFloat16))
    return cast(cast(x, DType::Float32), dtype);
  GValue result = make(dtype, x.units_, x.scalar_);
  body_ += "  " + result.name_ + " = kiln.cast " + x.name_ + " : " + type(x) +
           " to " + type(result) + "\n";
  return result;
}

GValue FusedGraph::reduce(const char *kind, const GValue &x,
                          const std::vector<int64_t> &axes) {
  std::string list;
  uint64_t units = x.units_;
  for (int64_t axis : axes) {
    list += (list.empty() ? "" : ", ") + std::to_string(axis);
    units |= uint64_t{1} << axis;
  }
  GValue result = make(x.dtype_, units, false);
  body_ += "  " + result.name_ + " = kiln.reduce_" + kind + " " + x.name_ +
           " {axes = array<i64: " + list + ">, keepdims = true} : " + type(x) +
           " -> " + type(result) + "\n";
  return result;
}

NDArray FusedGraph::run(const GValue &result, const Shape &shape, DType dtype,
                        bool splitRows) {
  if (result.scalar_ || static_cast<int64_t>(shape.size()) != rank_)
    internal(op_, "a graph result must be an array of the graph's rank");
  const GValue out = result.dtype_ == dtype ? result : cast(result, dtype);
  const std::string outType = type(out);
  const std::string source = "func.func @fused(" + arguments_ + ") -> " +
                             outType + " {\n" + body_ + "  return " +
                             out.name_ + " : " + outType + "\n}\n";
  return dispatch::graph(op_, source, inputs_, shape, dtype, splitRows);
}

std::vector<NDArray> deliverOutputs(const std::string &op,
                                    std::vector<NDArray> results,
                                    const std::vector<NDArray> &outs) {
  if (outs.empty())
    return results;
  if (outs.size() != results.size())
    throw Error(formatMessage(op, ": out has ", outs.size(),
                              " arrays, expected ", results.size()));
  for (size_t i = 0; i < results.size(); ++i)
    results[i] = dispatch::cast(results[i], results[i].dtype(), outs[i]);
  return results;
}

GValue fn(const char *primitive, const GValue &x) {
  return x.graph()->unary(primitive, x);
}
GValue fn(const char *primitive, const GValue &x, const GValue &y) {
  return x.graph()->binary(primitive, x, y);
}
GValue select(const GValue &condition, const GValue &onTrue,
              const GValue &onFalse) {
  return onTrue.graph()->select(condition, onTrue, onFalse);
}
GValue number(const GValue &like, double value) {
  return like.graph()->literal(value, like.dtype());
}
GValue reduceOver(const char *kind, const GValue &x,
                  const std::vector<int64_t> &axes) {
  return x.graph()->reduce(kind, x, axes);
}

EValue fn(const char *primitive, const EValue &x) {
  return {x.e, dispatch::elementwise(x.e->op(), primitive, {x.a}, x.a.dtype())};
}
EValue fn(const char *primitive, const EValue &x, const EValue &y) {
  return {x.e, dispatch::elementwise(x.e->op(), primitive, {x.a, y.a},
                                     isComparison(primitive) ? DType::Bool
                                                             : x.a.dtype())};
}
EValue select(const EValue &condition, const EValue &onTrue,
              const EValue &onFalse) {
  return {onTrue.e, dispatch::elementwise(onTrue.e->op(), "select",
                                          {condition.a, onTrue.a, onFalse.a},
                                          onTrue.a.dtype())};
}
EValue number(const EValue &like, double value) {
  return {like.e, dispatch::scalar(value, like.a.dtype())};
}
EValue reduceOver(const char *kind, const EValue &x,
                  const std::vector<int64_t> &axes) {
  std::vector<int64_t> sorted = axes;
  std::sort(sorted.begin(), sorted.end());
  return {x.e, dispatch::reduction(std::string("reduce_") + kind, x.a, sorted,
                                   /*keepdims=*/true, x.a.dtype())};
}

} // namespace ops
} // namespace kiln
