//===- FusedGraph.cpp - formulas as one fused kernel or as recorded ops ---===//
#include "frontends/cpp/ops/FusedGraph.h"

#include "compiler/Primitives.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>

namespace kiln {
namespace ops {

namespace {

[[noreturn]] void internal(const std::string &op, const std::string &what) {
  throw Error(formatMessage(op, ": internal: ", what));
}

} // namespace

GValue FusedGraph::input(const NDArray &array, DType dtype, uint64_t units) {
  const int64_t rank = array.shape().size();
  if (rank != 0 && rank != rank_)
    internal(op_, formatMessage("an input of rank ", rank,
                                " in a graph of rank ", rank_));
  for (int64_t dim = 0; rank != 0 && dim < rank; ++dim)
    if ((units >> dim & 1) && array.shape()[dim] != 1)
      internal(op_, formatMessage("input ", shapeToString(array.shape()),
                                  " broadcast along dimension ", dim));
  inputs_.push_back(array);
  return graph_.cast(
      graph_.argument(array.dtype(), rank, rank == 0 ? 0 : units), dtype);
}

GValue FusedGraph::number(double value, DType dtype) {
  return input(dispatch::scalar(value, dtype), dtype);
}

NDArray FusedGraph::run(const GValue &result, const Shape &shape, DType dtype,
                        bool splitRows) {
  if (result.rank() != rank_ || static_cast<int64_t>(shape.size()) != rank_)
    internal(op_, "a graph result must be an array of the graph's rank");
  if (graph_.numResults() != 0)
    internal(op_, "a fused graph runs once");
  graph_.result(graph_.cast(result, dtype));
  return dispatch::graph(op_, graph_.source(), inputs_, shape, dtype,
                         splitRows);
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

namespace {
bool isComparison(const std::string &primitive) {
  return compiler::primitive(primitive).booleanResult;
}
} // namespace

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
  return x.graph()->reduce(std::string("reduce_") + kind, x, axes,
                           /*keepdims=*/true);
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
