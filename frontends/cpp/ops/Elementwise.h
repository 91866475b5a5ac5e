//===- Elementwise.h - composites of elementwise primitives -----*- C++ -*-===//
//
// Ew dispatches elementwise primitives on arrays of one dtype under the name
// of the op being decomposed (so errors and profiles show that op). MathOps'
// special functions and RandomOps' samplers and densities are written with
// it; autograd differentiates them through the primitives' rules.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_OPS_ELEMENTWISE_H
#define KILN_FRONTENDS_CPP_OPS_ELEMENTWISE_H

#include "frontends/cpp/Dispatch.h"

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace kiln {
namespace ops {

/// Elementwise primitives on arrays of one dtype, dispatched under the name
/// of the op they decompose (errors and profiles show it).
class Ew {
public:
  Ew(std::string op, DType dtype) : op_(std::move(op)), dtype_(dtype) {}

  NDArray operator()(const char *primitive,
                     const std::vector<NDArray> &inputs) const {
    return dispatch::elementwise(op_, primitive, inputs, dtype_);
  }
  /// A rank-0 constant of the dtype.
  NDArray c(double value) const { return dispatch::scalar(value, dtype_); }
  NDArray add(const NDArray &a, const NDArray &b) const {
    return (*this)("add", {a, b});
  }
  NDArray sub(const NDArray &a, const NDArray &b) const {
    return (*this)("sub", {a, b});
  }
  NDArray mul(const NDArray &a, const NDArray &b) const {
    return (*this)("mul", {a, b});
  }
  NDArray div(const NDArray &a, const NDArray &b) const {
    return (*this)("div", {a, b});
  }
  NDArray neg(const NDArray &a) const { return (*this)("neg", {a}); }
  /// `a comparison b` ("lt", "eq", ...) as a bool array.
  NDArray test(const char *comparison, const NDArray &a,
               const NDArray &b) const {
    return dispatch::elementwise(op_, comparison, {a, b}, DType::Bool);
  }
  NDArray both(const NDArray &a, const NDArray &b) const {
    return dispatch::elementwise(op_, "logical_and", {a, b}, DType::Bool);
  }
  NDArray select(const NDArray &condition, const NDArray &a,
                 const NDArray &b) const {
    return (*this)("select", {condition, a, b});
  }
  /// The polynomial with `coefficients` (highest power first) at x, by
  /// Horner's rule.
  NDArray horner(const NDArray &x,
                 std::initializer_list<double> coefficients) const {
    auto coefficient = coefficients.begin();
    NDArray sum = c(*coefficient);
    for (++coefficient; coefficient != coefficients.end(); ++coefficient)
      sum = add(mul(sum, x), c(*coefficient));
    return sum;
  }
  /// fn(|x|) for x >= 0 and -fn(|x|) below: odd functions computed where
  /// their formula is accurate. |x| is taken by a select, not abs, so that
  /// the gradient at 0 is fn'(0) (abs's would multiply it by sign(0) = 0).
  template <typename Fn> NDArray odd(const NDArray &x, Fn fn) const {
    NDArray negative = test("lt", x, c(0));
    NDArray result = fn(select(negative, neg(x), x));
    return select(negative, neg(result), result);
  }
  const std::string &op() const { return op_; }
  DType dtype() const { return dtype_; }

private:
  std::string op_;
  DType dtype_;
};

} // namespace ops
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_OPS_ELEMENTWISE_H
