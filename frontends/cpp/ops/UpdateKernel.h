//===- UpdateKernel.h - fused optimizer-update kernels ----------*- C++ -*-===//
//
// The optimizer updates (OptimizerOps, AdaptiveOptimizerOps,
// MultiTensorOptimizerOps) each write one array per kernel: a formula over
// the weight, gradient and states, written with the arithmetic operators
// below, becomes one kiln function (a compiler::Graph, GraphBuilder.h)
// compiled once and cached. The arrays (all of the weight's shape) are seen
// flat, so the kernel is one vectorized loop over all elements, run in
// parallel slices as flat elementwise kernels are. Every number
// in a formula (a hyperparameter, even a 1) is a rank-0 kernel input, so
// one kernel serves every step of a learning-rate schedule.
//
// A kernel may write several arrays in one pass over memory (an update's
// states and its weight: SGD with momentum then reads and writes 5
// weight-sized arrays instead of 7, Adam 7 instead of 12). It is compiled one
// pass (Graph::requireOnePass: element i of every input is read before
// element i of any result is written), so it writes its arrays in place.
// Should the compiler fail to make one loop of it, each result that
// overwrites an input goes to a new array instead, which then takes the
// place of the one it replaces (adoptMemory).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_OPS_UPDATEKERNEL_H
#define KILN_FRONTENDS_CPP_OPS_UPDATEKERNEL_H

#include "frontends/cpp/OpRegistry.h"

#include "compiler/GraphBuilder.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln {
namespace ops {

class UpdateKernel;

/// A value of an update formula: an array of the kernel's rank or a rank-0
/// scalar, of one dtype (Bool for comparisons).
class KValue {
public:
  DType dtype() const { return value_.dtype(); }
  bool isArray() const { return value_.rank() != 0; }
  UpdateKernel *kernel() const { return kernel_; }

private:
  friend class UpdateKernel;
  UpdateKernel *kernel_ = nullptr;
  compiler::Value value_;
};

class UpdateKernel {
public:
  /// A kernel of `op` over arrays of `rank`.
  UpdateKernel(std::string op, int64_t rank)
      : op_(std::move(op)), rank_(rank), graph_("update", op_) {}
  UpdateKernel(const UpdateKernel &) = delete;
  UpdateKernel &operator=(const UpdateKernel &) = delete;

  /// `array` as an input: of the kernel's rank, or rank 0 (a scalar).
  KValue input(const NDArray &array);
  /// `array` as an input converted to `dtype` when it has another.
  KValue input(const NDArray &array, DType dtype);
  /// A number as a rank-0 input of `dtype`.
  KValue number(double value, DType dtype);

  KValue unary(const char *op, const KValue &x);
  /// x op y; both of one dtype, scalars broadcast. Comparisons give Bool.
  KValue binary(const char *op, const KValue &x, const KValue &y);
  KValue select(const KValue &condition, const KValue &onTrue,
                const KValue &onFalse);
  KValue cast(const KValue &x, DType dtype);
  /// The sum of every element of x: a scalar.
  KValue sumAll(const KValue &x);

  /// Compiles (or finds) the kernel and queues it, writing `result` into
  /// `target` (which may be one of the inputs: an in-place update). Once
  /// per kernel.
  void into(const KValue &result, const NDArray &target);
  /// Several array results in one kernel, result i into targets[i]. Every
  /// input is read as it was before the kernel: a formula that needs a
  /// state's new value uses that result's KValue, not input(state). Once
  /// per kernel; not with sumAll.
  void into(const std::vector<KValue> &results,
            const std::vector<NDArray> &targets);
  /// The same into a new array of `shape` (the arrays' shape; none for a
  /// scalar result).
  NDArray run(const KValue &result, const Shape &shape);

private:
  KValue wrap(const compiler::Value &value);
  /// Runs the kernel into `target`, contiguous and rank 1.
  void writeFlat(const NDArray &target);

  std::string op_;
  int64_t rank_;
  /// The elements of every array input (they are seen flat); -1 until the
  /// first.
  int64_t size_ = -1;
  compiler::Graph graph_;
  std::vector<NDArray> inputs_;
  bool reduces_ = false;
};

KValue operator+(const KValue &x, const KValue &y);
KValue operator-(const KValue &x, const KValue &y);
KValue operator*(const KValue &x, const KValue &y);
KValue operator/(const KValue &x, const KValue &y);
KValue operator-(const KValue &x);
/// With a number: the number is a rank-0 input of x's dtype.
KValue operator+(const KValue &x, double y);
KValue operator-(const KValue &x, double y);
KValue operator*(const KValue &x, double y);
KValue operator+(double x, const KValue &y);
KValue operator-(double x, const KValue &y);
KValue operator*(double x, const KValue &y);
KValue operator/(double x, const KValue &y);
KValue operator>(const KValue &x, const KValue &y);
KValue operator>(const KValue &x, double y);
KValue operator==(const KValue &x, double y);
KValue operator||(const KValue &x, const KValue &y);
KValue sqrt(const KValue &x);
KValue abs(const KValue &x);
KValue sign(const KValue &x);
KValue square(const KValue &x);
KValue maximum(const KValue &x, const KValue &y);
KValue minimum(const KValue &x, const KValue &y);
KValue maximum(const KValue &x, double y);
KValue minimum(const KValue &x, double y);
KValue select(const KValue &condition, const KValue &onTrue,
              const KValue &onFalse);
KValue logicalAnd(const KValue &x, const KValue &y);
/// x clipped to [-bound, bound] when bound >= 0 (MXNet's clip_gradient and
/// clip_weights: a negative bound turns clipping off).
KValue clipTo(const KValue &x, double bound);
/// 1 where x is finite (not NaN or infinite), else 0.
KValue isFinite(const KValue &x);

//===----------------------------------------------------------------------===//
// Argument checks shared by the updates
//===----------------------------------------------------------------------===//

/// `op: <name> has shape S, expected the weight's W` / `... has dtype D,
/// expected E` unless `array` has `shape` and `dtype`.
void requireLike(const std::string &op, const std::string &name,
                 const NDArray &array, const Shape &shape, DType dtype);
/// `array`'s single element as a rank-0 view (r1, r2, rescale_grad); an
/// error naming `op` and `name` when it is empty.
NDArray elementOf(const std::string &op, const std::string &name,
                  const NDArray &array, int64_t index = 0);
/// The array an update writes its new weight to: `out` (checked against
/// the weight's shape and `dtype`), else a new one.
NDArray updateTarget(const std::string &op, const NDArray &out,
                     const Shape &shape, DType dtype);

} // namespace ops
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_OPS_UPDATEKERNEL_H
