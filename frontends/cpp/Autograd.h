//===- Autograd.h - MXNet's imperative autograd -----------------*- C++ -*-===//
//
// While recording, every op that reads an array taking a gradient adds a node
// to a graph hanging off its output: the node keeps the op's inputs, output
// and gradient rule. backward() walks that graph from the heads in reverse
// topological order, calling each rule (itself made of ops, so backward runs
// through the kernel cache and, with create_graph, is recorded again for
// higher-order gradients), and writes or adds the sums into the variables'
// gradient buffers. Recording and training flags are per thread, as in MXNet.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_AUTOGRAD_H
#define KILN_FRONTENDS_CPP_AUTOGRAD_H

#include "frontends/cpp/NDArray.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln {
struct OpSpec;
class Attrs;

namespace autograd {

enum class GradReq { Null, Write, Add };

/// "null", "write" or "add" (MXNet's names; "inplace" means write);
/// kiln::Error naming `op` otherwise.
GradReq parseGradReq(const std::string &op, const std::string &name);

/// A node's gradient function: the input gradients (none where an input
/// takes none) from its inputs, outputs and output gradients.
using BackwardFn = std::function<std::vector<NDArray>(
    const std::vector<NDArray> &inputs, const std::vector<NDArray> &outputs,
    const std::vector<NDArray> &outputGrads)>;

struct Node;

/// An array's place in the graph: a variable (marked, with a gradient
/// buffer) or output `outputIndex` of a recorded node.
struct Entry {
  std::shared_ptr<Node> node;
  size_t outputIndex = 0;
  // Variables only.
  bool isVariable = false;
  GradReq gradReq = GradReq::Null;
  NDArray gradBuffer;
  /// MXNet's _fresh_grad: backward wrote gradBuffer since the flag was last
  /// cleared (a Trainer clears it after each update, and warns of stale
  /// gradients otherwise).
  bool freshGrad = false;
};

bool isRecording();
/// Returns the previous state.
bool setRecording(bool recording);
bool isTraining();
bool setTraining(bool training);

/// Whether `array` takes a gradient (a variable, or computed from one while
/// recording): rules skip the gradients of inputs that do not.
bool takesGradient(const NDArray &array);
/// MXNet's _fresh_grad of a variable (nullopt for other arrays), and
/// setting it (false, and nothing set, for arrays that are not variables).
std::optional<bool> freshGrad(const NDArray &array);
bool setFreshGrad(const NDArray &array, bool fresh);
/// Whether an op reading `inputs` must be recorded.
bool anyTakesGradient(const std::vector<NDArray> &inputs);
/// Throws when `out` is part of the recorded graph (a variable or a
/// recorded result): overwriting it would corrupt the gradients.
void checkInPlaceWhileRecording(const std::string &op, const NDArray &out);

/// Marks `variables` as variables with `gradBuffers` and requests.
void markVariables(const std::vector<NDArray> &variables,
                   const std::vector<NDArray> &gradBuffers,
                   const std::vector<GradReq> &requests);
/// attach_grad: a zero buffer of the array's shape and dtype.
void attachGrad(const NDArray &array, GradReq request);
/// The variable's gradient buffer (none when it has none).
NDArray gradBuffer(const NDArray &array);

/// Records a primitive's call (the dispatch layer does this) when recording
/// and an input takes a gradient.
void recordPrimitive(const std::string &name,
                     const std::vector<NDArray> &inputs, const NDArray &output,
                     BackwardFn backward);
/// Records, while recording, a call without a gradient (a comparison,
/// rounding, a cast from bool) of arrays that take one or are results of
/// such calls, so that backward reaches the variables behind it and gives
/// them MXNet's zero gradient; nothing otherwise.
void recordReachOnly(const std::string &name,
                     const std::vector<NDArray> &inputs,
                     const std::vector<NDArray> &outputs);
/// While recording: `result` (already recorded from its other inputs) also
/// read `inputs` for their shapes only (slice_like's shape_like,
/// reshape_like's rhs). Backward reaches them through it with no gradient,
/// so a variable read only so gets MXNet's zero gradient, as its backward
/// writes for those inputs. An untracked result is recorded reach-only.
void recordShapeReads(const std::string &name, const NDArray &result,
                      const std::vector<NDArray> &inputs);
/// Records `view`, a view of `input`'s storage (reshape, transpose, slice,
/// ...), as the "view" primitive: its gradient writes the output gradient
/// through the same layout into zeros of the input's shape.
void recordView(const NDArray &input, const NDArray &view);
/// The names of the primitives recorded so far in this process.
std::vector<std::string> recordedPrimitives();

/// Records a registry op's call, for ops that override their primitives'
/// gradients (invokeOp does this).
void recordOp(const OpSpec &spec, const Attrs &attrs,
              const std::vector<NDArray> &inputs, const NDArray &output);
/// Records a custom function (autograd.Function) whose outputs get entries.
/// With `donatesGradients`, the arrays `backward` returns are the tape's to
/// keep (nothing reads their memory afterwards, as a captured graph's
/// gradient buffers, which its next backward overwrites): a variable's
/// gradient then takes their memory over instead of copying it.
void recordFunction(const std::string &name, const std::vector<NDArray> &inputs,
                    const std::vector<NDArray> &outputs, BackwardFn backward,
                    bool donatesGradients = false);

/// Backpropagates from `heads` (gradients `headGrads`, ones where none),
/// writing or adding into the variables' buffers by their requests.
void backward(const std::vector<NDArray> &heads,
              const std::vector<NDArray> &headGrads, bool retainGraph,
              bool trainMode);

/// Whether the backward pass running on this thread (in a node's gradient,
/// such as a custom function's backward) keeps its graph for another
/// backward (retain_graph=True). False outside backward.
bool isRetainingGraph();

/// The gradients of `heads` with respect to `variables`, returned rather
/// than stored; with `createGraph` they are recorded and differentiable.
std::vector<NDArray> grad(const std::vector<NDArray> &heads,
                          const std::vector<NDArray> &variables,
                          const std::vector<NDArray> &headGrads,
                          bool retainGraph, bool createGraph, bool trainMode);

/// Sets the recording (or training) flag for a scope, restoring it after.
class RecordingScope {
public:
  RecordingScope(bool recording) : previous_(setRecording(recording)) {}
  ~RecordingScope() { setRecording(previous_); }

private:
  bool previous_;
};
class TrainingScope {
public:
  TrainingScope(bool training) : previous_(setTraining(training)) {}
  ~TrainingScope() { setTraining(previous_); }

private:
  bool previous_;
};

} // namespace autograd
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_AUTOGRAD_H
