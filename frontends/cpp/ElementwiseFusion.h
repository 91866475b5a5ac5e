//===- ElementwiseFusion.h - elementwise chains as one kernel ---*- C++ -*-===//
//
// While a graph is captured into an Executable (runtime/Executable.h),
// elementwise primitives are not pushed one by one: dispatch::elementwise
// hands each to the thread's ElementwiseFusion, which appends it to a
// pending group, a compiler::Graph (GraphBuilder.h) over the arrays the
// group reads. The group becomes one kernel (compiled by the usual pipeline,
// whose kiln-fuse-elementwise pass merges the ops into one loop) when
// something else needs its values: a launch that reads or writes an array
// the group computes (or writes one it reads), a view of such an array, or
// the end of the capture. Only the values somebody still holds are written
// out: a chain's intermediates that only the chain used never reach memory.
// This is fusion across the operators of a graph (forward, and the backward
// that autograd builds from the primitives' gradient rules, alike), for the
// Executor, hybridize() and @kiln.jit, which all run through captures.
//
// A group computes over one domain, the shape of its members' outputs; its
// inputs are that shape, broadcast into it (extent-1 dimensions, fewer
// dimensions) or scalars. When all of them are contiguous with the domain's
// shape or scalars, the kernel is compiled flat (rank 1, identity layouts)
// and runs as MXNet's and dispatch's flat kernels do; otherwise at the
// domain's rank over strided arrays. Either way its dimensions are dynamic,
// so a new batch size reuses the kernel. Scalars made by dispatch::scalar
// (MXNet's scalar operands) become constants in the kernel.
//
// KILN_FUSION=0 turns it off (each primitive is then its own launch, as in
// eager mode).
//
// MXNET_BACKWARD_DO_MIRROR=1 (MXNet's switch for recomputing cheap
// activations in backward): a value that only autograd's tape holds (kept
// for a gradient rule) is not written by the forward; the group's graph
// with it as a result is kept as a recipe, which the next capture on the
// thread (the backward) pushes where it first reads the value. The value's
// buffer then lives only in the backward, and the recipe's arguments until
// it runs. Ops that are not elementwise give recipes of their own for
// values the forward must write but the backward could recompute
// (rematerialize: BatchNormWithReLU's output), and autograd's backward
// reads the recomputation in their place (recomputedFor).
//
// Those recipes run by default, mirror or not (KILN_BACKWARD_RECOMPUTE=0
// turns them off): recomputing BatchNormWithReLU's output reads one tensor
// the backward keeps anyway (the normalization's input) and writes one, so
// a ResNet's step keeps one activation per convolution instead of two
// (ResNet-18, batch 32, 32x32: 153 -> 116 MiB planned) for one elementwise
// pass each. PyTorch's torch.compile makes the same trade by default (its
// min-cut partitioner recomputes fusible pointwise ops in backward).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_ELEMENTWISEFUSION_H
#define KILN_FRONTENDS_CPP_ELEMENTWISEFUSION_H

#include "frontends/cpp/NDArray.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kiln {
class ExecutableCapture;

namespace fusion {

class ElementwiseFusion {
public:
  /// Fuses the elementwise primitives `capture` records on this thread
  /// until finish(). Does nothing when KILN_FUSION=0 (enabled() is false).
  explicit ElementwiseFusion(ExecutableCapture &capture);
  /// Uninstalls without pushing what is pending (finish() pushes it).
  ~ElementwiseFusion();
  ElementwiseFusion(const ElementwiseFusion &) = delete;
  ElementwiseFusion &operator=(const ElementwiseFusion &) = delete;

  /// The fusion of this thread's capture, or null.
  static ElementwiseFusion *current();
  static bool enabled();

  /// Takes `primitive` over `inputs` into the pending group, to write
  /// `output` (of the broadcast shape and its dtype) when the group runs;
  /// `given` says the caller gave `output` (out=) rather than the
  /// dispatcher making it, and then it is always written. False when it
  /// cannot (then the caller pushes it as usual).
  bool defer(const std::string &op, const std::string &primitive,
             const std::vector<NDArray> &inputs, const NDArray &output,
             bool given);
  /// `array` (rank 0) holds `value` for good: a constant in kernels.
  void noteScalar(const NDArray &array, double value);
  /// Before `array`'s storage is seen another way (a view): pushes the
  /// pending group if it computes `array`.
  void beforeAlias(const NDArray &array);
  /// `alias` is `array`'s elements under another handle (a detached copy,
  /// autograd's): the group writes `array` if either is still held.
  void noteAlias(const NDArray &array, const NDArray &alias);
  /// Pushes the pending group as one kernel (nothing if empty).
  void flush();

  /// MXNET_BACKWARD_DO_MIRROR=1 is set: the backward recomputes values
  /// rather than keeping them from the forward.
  bool mirrors() const { return mirror_; }
  /// Ops' own recipes (rematerialize) are kept: unless
  /// KILN_BACKWARD_RECOMPUTE=0, or always with mirrors().
  bool rematerializes() const { return rematerialize_; }
  /// For a value this capture's op wrote and its gradient rules read again
  /// (BatchNormWithReLU's output): the backward, the next capture on this
  /// thread, reads `recomputed` in `value`'s place (recomputedFor), which
  /// `launch` pushes (reading `reads`, writing `recomputed`) where the
  /// backward first reads it. `value` then lives only while the forward
  /// reads it. Only while rematerializes().
  void rematerialize(const NDArray &value, const NDArray &recomputed,
                     std::function<void()> launch, std::vector<VarPtr> reads,
                     std::string name);
  /// Cancels rematerialize() for the value `array` views, if this capture
  /// made one: the backward reads the forward's copy. For readers whose own
  /// backward reads the value and costs about as much as recomputing it
  /// (max pooling), where the recomputation would double their backward's
  /// memory traffic for the memory it saves.
  void keepFromForward(const NDArray &array);
  /// What the backward reads in place of `array`: the same view (shape,
  /// strides, offset) of the recomputation the previous capture left for
  /// the value `array` views (rematerialize), else `array` itself, which it
  /// also is while the value is held outside autograd's tape.
  NDArray recomputedFor(const NDArray &array) const;
  /// Whether recomputedFor may return anything but its argument.
  bool hasRecomputations() const { return !recomputedValues_.empty(); }
  /// Pushes what is pending and uninstalls.
  void finish();

  struct Stats {
    size_t deferred = 0;   // Primitives taken into groups.
    size_t kernels = 0;    // Fused kernels pushed.
    size_t results = 0;    // Values they write.
    size_t mirrored = 0;   // Values left for a recomputation.
    size_t recomputed = 0; // Recomputations pushed.
  };
  const Stats &stats() const { return stats_; }

  struct Recipe;
  /// A value's recomputation (rematerialize).
  struct Recomputed {
    VarPtr value; // Keeps the key's variable alive.
    /// The value's own handle: while anything else holds it (a graph
    /// output), the value stays in memory anyway and is read as it is.
    std::weak_ptr<const void> handle;
    const Storage *storage = nullptr; // The value's; its views share it.
    DType dtype = DType::Float32;
    NDArray recomputed;
    uint64_t capture = 0; // The capture that made it (captureNumber).
  };

private:
  class Group;
  void beforeLaunch(const std::vector<VarPtr> &reads,
                    const std::vector<VarPtr> &writes);
  /// Pushes the recipe that computes `var`'s array, if there is one.
  void compute(const Var *var);
  /// compute() for what a launch reads and writes, and for the recipes
  /// reading what it writes.
  void computeRecipesTouching(const std::vector<VarPtr> &reads,
                              const std::vector<VarPtr> &writes);

  ExecutableCapture &capture_;
  std::unique_ptr<Group> group_;
  /// Scalars made while capturing, by variable: kept alive with their value.
  std::unordered_map<const Var *, std::pair<VarPtr, double>> scalars_;
  /// MXNET_BACKWARD_DO_MIRROR=1: values only autograd's tape holds are not
  /// written by the forward but recomputed where first read.
  bool mirror_ = false;
  bool rematerialize_ = false;
  uint64_t captureNumber_ = 0;
  /// The recipes of values not written yet, by their variables: this
  /// capture's and those the previous capture on this thread left.
  std::unordered_map<const Var *, std::shared_ptr<Recipe>> recipes_;
  /// Values whose readers in the backward take a recomputation instead
  /// (rematerialize), by the value's variable: this capture's and the
  /// previous capture's, as recipes_.
  std::unordered_map<const Var *, Recomputed> recomputedValues_;
  Stats stats_;
  ElementwiseFusion *previous_ = nullptr;
  bool installed_ = false;
  bool flushing_ = false;
};

} // namespace fusion
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_ELEMENTWISEFUSION_H
