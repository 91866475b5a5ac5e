//===- FusedGraph.h - formulas as fused kernels or recorded ops -*- C++ -*-===//
//
// The activation and normalization ops (ActivationOps.cpp,
// NormalizationOps.cpp) write each formula once, as a template over a value
// type, and run it two ways:
//
//  * GValue: a value of a FusedGraph, a kiln function (compiler::Graph,
//    GraphBuilder.h) compiled into one kernel (dispatch::graph). Forward
//    passes and gradients that nobody differentiates again run this way:
//    LayerNorm's mean, variance and scaling are one pass per row instead
//    of a dozen kernels.
//  * EValue: an eager array; every operation dispatches a primitive that
//    autograd records. Gradient rules run this way under create_graph, so
//    that they are differentiable again.
//
// Both take the same operators (+ - * / with values or numbers, > with a
// number), fn("exp", x) for unary primitives, select, minimum/maximum,
// meanOver/sumOver (kept as extent 1) and number(), so a formula written
// for one runs on the other.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_OPS_FUSEDGRAPH_H
#define KILN_FRONTENDS_CPP_OPS_FUSEDGRAPH_H

#include "frontends/cpp/ops/Elementwise.h"

#include "compiler/GraphBuilder.h"

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace kiln {
namespace ops {

/// A value of a FusedGraph: an array of the graph's rank whose unit
/// dimensions broadcast, or a scalar (rank 0). Operations on it add to its
/// graph.
using GValue = compiler::Value;

/// A compiler::Graph whose arguments are arrays: it keeps the arrays and
/// runs the kernel on them.
class FusedGraph {
public:
  /// A graph of `op` (errors and profiles name it) over arrays of `rank`.
  FusedGraph(std::string op, int64_t rank)
      : op_(std::move(op)), rank_(rank), graph_("fused", op_) {}
  FusedGraph(const FusedGraph &) = delete;
  FusedGraph &operator=(const FusedGraph &) = delete;

  /// `array` as an input: rank 0, or the graph's rank with extent 1 on the
  /// dimensions in `units` (which then broadcast); converted to `dtype`
  /// inside the kernel when it has another.
  GValue input(const NDArray &array, DType dtype, uint64_t units = 0);
  /// A number passed to the kernel as a rank-0 input (one kernel serves
  /// every value: slopes, eps).
  GValue number(double value, DType dtype);
  /// A number written into the kernel (fixed constants of a formula).
  GValue literal(double value, DType dtype) {
    return graph_.literal(value, dtype);
  }

  /// Compiles (or finds) the kernel and queues it, writing `result`
  /// converted to `dtype` into a new array of `shape`. `splitRows` runs it
  /// in parallel slices of dimension 0, for graphs whose rows are
  /// independent. Once per graph.
  NDArray run(const GValue &result, const Shape &shape, DType dtype,
              bool splitRows);

private:
  std::string op_;
  int64_t rank_;
  compiler::Graph graph_;
  std::vector<NDArray> inputs_;
};

/// An eager array in a formula: each operation dispatches a primitive under
/// `e`'s op name, recorded by autograd while it records.
struct EValue {
  const Ew *e;
  NDArray a;
  DType dtype() const { return a.dtype(); }
};

/// `results` written into `outs` when given (one array each), for the ops
/// with several outputs; errors name `op`.
std::vector<NDArray> deliverOutputs(const std::string &op,
                                    std::vector<NDArray> results,
                                    const std::vector<NDArray> &outs);

/// The dtype a formula computes in: float32 for float16 and bfloat16 (the
/// result is rounded once), else the array's own.
inline DType computeTypeOf(DType dtype) {
  return dtype == DType::Float16 || dtype == DType::BFloat16 ? DType::Float32
                                                             : dtype;
}

// The primitives both value types take; the operators below are made of
// them.
GValue fn(const char *primitive, const GValue &x);
/// A binary primitive, broadcasting; comparisons give bool.
GValue fn(const char *primitive, const GValue &x, const GValue &y);
GValue select(const GValue &condition, const GValue &onTrue,
              const GValue &onFalse);
/// A constant of like's dtype (a literal in the kernel).
GValue number(const GValue &like, double value);
/// reduce_<kind> ("sum", "mean") over `axes`, kept as extent 1.
GValue reduceOver(const char *kind, const GValue &x,
                  const std::vector<int64_t> &axes);

EValue fn(const char *primitive, const EValue &x);
EValue fn(const char *primitive, const EValue &x, const EValue &y);
EValue select(const EValue &condition, const EValue &onTrue,
              const EValue &onFalse);
EValue number(const EValue &like, double value);
EValue reduceOver(const char *kind, const EValue &x,
                  const std::vector<int64_t> &axes);

template <class V>
using IfValue =
    std::enable_if_t<std::is_same_v<V, GValue> || std::is_same_v<V, EValue>, V>;

template <class V> IfValue<V> operator+(const V &x, const V &y) {
  return fn("add", x, y);
}
template <class V> IfValue<V> operator-(const V &x, const V &y) {
  return fn("sub", x, y);
}
template <class V> IfValue<V> operator*(const V &x, const V &y) {
  return fn("mul", x, y);
}
template <class V> IfValue<V> operator/(const V &x, const V &y) {
  return fn("div", x, y);
}
template <class V> IfValue<V> operator>(const V &x, const V &y) {
  return fn("gt", x, y);
}
template <class V> IfValue<V> operator-(const V &x) { return fn("neg", x); }
template <class V> IfValue<V> minimum(const V &x, const V &y) {
  return fn("minimum", x, y);
}
template <class V> IfValue<V> maximum(const V &x, const V &y) {
  return fn("maximum", x, y);
}
template <class V>
IfValue<V> meanOver(const V &x, const std::vector<int64_t> &axes) {
  return reduceOver("mean", x, axes);
}
template <class V>
IfValue<V> sumOver(const V &x, const std::vector<int64_t> &axes) {
  return reduceOver("sum", x, axes);
}

// With numbers.
template <class V> IfValue<V> operator+(const V &x, double y) {
  return x + number(x, y);
}
template <class V> IfValue<V> operator-(const V &x, double y) {
  return x - number(x, y);
}
template <class V> IfValue<V> operator*(const V &x, double y) {
  return x * number(x, y);
}
template <class V> IfValue<V> operator+(double x, const V &y) {
  return number(y, x) + y;
}
template <class V> IfValue<V> operator-(double x, const V &y) {
  return number(y, x) - y;
}
template <class V> IfValue<V> operator*(double x, const V &y) {
  return number(y, x) * y;
}
template <class V> IfValue<V> operator/(double x, const V &y) {
  return number(y, x) / y;
}
template <class V> IfValue<V> operator>(const V &x, double y) {
  return x > number(x, y);
}
template <class V> IfValue<V> minimum(const V &x, double y) {
  return minimum(x, number(x, y));
}
template <class V> IfValue<V> maximum(const V &x, double y) {
  return maximum(x, number(x, y));
}

} // namespace ops
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_OPS_FUSEDGRAPH_H
