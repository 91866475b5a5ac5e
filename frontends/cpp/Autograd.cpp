//===- Autograd.cpp - recording and backpropagation -----------------------===//
#include "frontends/cpp/Autograd.h"

#include "frontends/cpp/ArgumentBinding.h"
#include "frontends/cpp/Dispatch.h"
#include "frontends/cpp/ElementwiseFusion.h"
#include "frontends/cpp/OpRegistry.h"
#include "frontends/cpp/ops/Calls.h"
#include "runtime/Engine.h"
#include "runtime/Error.h"

#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace kiln {
namespace autograd {

/// One recorded call. Inputs are kept with the autograd places they had when
/// recorded (a later in-place write to an input does not rewire the graph);
/// outputs are kept as plain values plus weak links to their places, so an
/// output and its node do not keep each other alive.
struct Node {
  std::string name;
  std::vector<NDArray> inputs;
  std::vector<NDArray> outputValues;
  std::vector<std::weak_ptr<Entry>> outputEntries;
  BackwardFn backward;
  bool donatesGradients = false; // See recordFunction.
  bool freed = false;
  /// Recorded only so that backward reaches the variables behind it: a
  /// call with no gradient (a comparison, rounding, a cast from bool) of
  /// arrays that take one. Its output takes no gradient and it keeps no
  /// values; a variable only such calls read gets a zero gradient, which
  /// MXNet writes (its gradient of such ops is zeros), rather than keeping
  /// its last one.
  bool reachOnly = false;
  /// Inputs read for their shapes only (recordShapeReads): backward reaches
  /// them with no gradient, as it does a reach-only node's inputs. Places
  /// only, like a reach-only node's.
  std::vector<NDArray> shapeReads;
};

namespace {

thread_local bool recordingFlag = false;
thread_local bool trainingFlag = false;
thread_local bool retainingGraphFlag = false;

bool takesGradient(const std::shared_ptr<Entry> &entry) {
  return entry && ((entry->node && !entry->node->reachOnly) ||
                   (entry->isVariable && entry->gradReq != GradReq::Null));
}

/// Whether `entry` is the output of a reach-only call (Node::reachOnly).
bool reachesOnly(const std::shared_ptr<Entry> &entry) {
  return entry && entry->node && entry->node->reachOnly;
}

/// Ones (the default head gradient) or zeros shaped like `like`.
NDArray filled(const NDArray &like, const char *op) {
  DeviceScope device(like.device());
  return invokeOp(op, {},
                  {{"shape", ops::shapeAttr(like.shape())},
                   {"dtype", dtypeName(like.dtype())}});
}

NDArray sumOf(std::vector<NDArray> &terms) {
  NDArray total = terms.front();
  for (size_t i = 1; i < terms.size(); ++i)
    total = invokeOp("elemwise_add", {total, terms[i]}, {});
  return total;
}

void recordNode(const std::string &name, const std::vector<NDArray> &inputs,
                const std::vector<NDArray> &outputs, BackwardFn backward,
                bool donatesGradients = false, bool reachOnly = false) {
  auto node = std::make_shared<Node>();
  node->name = name;
  node->backward = std::move(backward);
  node->donatesGradients = donatesGradients;
  node->reachOnly = reachOnly;
  // A reach-only node keeps its inputs' places, not their values: holding
  // them would make a capture's fusion write values it keeps in registers.
  for (const NDArray &input : inputs)
    node->inputs.push_back(
        reachOnly ? NDArray::placeOnly(input.autogradEntry())
                  : input.withAutogradEntry(input.autogradEntry()));
  for (size_t i = 0; i < outputs.size(); ++i) {
    auto entry = std::make_shared<Entry>();
    entry->node = node;
    entry->outputIndex = i;
    node->outputValues.push_back(reachOnly
                                     ? NDArray::placeOnly(nullptr)
                                     : outputs[i].withAutogradEntry(nullptr));
    node->outputEntries.push_back(entry);
    outputs[i].setAutogradEntry(std::move(entry));
  }
}

/// The backward pass shared by backward() and grad(): returns each entry's
/// summed gradient.
class BackwardPass {
public:
  /// Called once per variable whose gradient is complete: every node that
  /// read it has run. Set before run().
  using VariableDone = std::function<void(const std::shared_ptr<Entry> &)>;

  BackwardPass(const char *api, bool retainGraph)
      : api_(api), retainGraph_(retainGraph) {}

  void onVariableDone(VariableDone done) { variableDone_ = std::move(done); }

  void run(const std::vector<NDArray> &heads,
           const std::vector<NDArray> &headGrads) {
    if (!headGrads.empty() && headGrads.size() != heads.size())
      throw Error(formatMessage(api_, ": got ", headGrads.size(),
                                " head gradients for ", heads.size(),
                                " heads"));
    for (size_t i = 0; i < heads.size(); ++i) {
      const NDArray &head = heads[i];
      if (head.isNone())
        throw Error(formatMessage(api_, ": head ", i, " is an empty array"));
      const std::shared_ptr<Entry> &entry = head.autogradEntry();
      if (reachesOnly(entry)) {
        // Computed only by ops without a gradient ((u > 0).sum()): nothing
        // flows, but the variables behind it get MXNet's zeros.
        visit(entry);
        continue;
      }
      if (!takesGradient(entry))
        throw Error(formatMessage(
            api_, ": cannot differentiate head ", i,
            ": it was not computed from arrays with attached gradients "
            "while recording (use attach_grad() and autograd.record())"));
      NDArray seed;
      if (i < headGrads.size() && !headGrads[i].isNone()) {
        seed = headGrads[i];
        if (seed.shape() != head.shape())
          throw Error(formatMessage(api_, ": head gradient ", i, " has shape ",
                                    shapeToString(seed.shape()),
                                    ", expected the head's shape ",
                                    shapeToString(head.shape())));
        if (seed.dtype() != head.dtype())
          seed = dispatch::cast(seed, head.dtype());
      } else {
        seed = filled(head, "_ones");
      }
      addGradient(entry, seed);
      visit(entry);
    }
    // Each variable's readers among the nodes to run: once the last has
    // run its gradient is complete, and the caller can store it then
    // rather than holding every gradient until the pass ends.
    std::unordered_map<Entry *, size_t> readers;
    if (variableDone_)
      for (Node *node : order_)
        for (const NDArray &input : node->inputs) {
          const std::shared_ptr<Entry> &entry = input.autogradEntry();
          if (takesGradient(entry) && entry->isVariable)
            ++readers[entry.get()];
        }
    // The variables behind a reach-only node, through any nodes between
    // (u.reshape(...) > 0): consumers come before producers in reverse
    // post-order.
    std::unordered_set<Node *> behindReachOnly;
    auto readWithoutGradient = [&](const NDArray &input) {
      const std::shared_ptr<Entry> &entry = input.autogradEntry();
      if (!entry)
        return;
      if (entry->isVariable)
        readByReachOnly_.insert(entry.get());
      else if (entry->node)
        behindReachOnly.insert(entry->node.get());
    };
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
      Node *node = *it;
      for (const NDArray &input : node->shapeReads)
        readWithoutGradient(input);
      if (!node->reachOnly && !behindReachOnly.count(node))
        continue;
      for (const NDArray &input : node->inputs)
        readWithoutGradient(input);
    }
    // Nodes' gradients (a captured graph's backward) ask whether they run
    // again on the same forward values.
    struct RetainingScope {
      bool previous;
      explicit RetainingScope(bool retaining) : previous(retainingGraphFlag) {
        retainingGraphFlag = retaining;
      }
      ~RetainingScope() { retainingGraphFlag = previous; }
    } retaining(retainGraph_);
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
      runNode(**it);
      if (!variableDone_)
        continue;
      for (const NDArray &input : (*it)->inputs) {
        const std::shared_ptr<Entry> &entry = input.autogradEntry();
        if (takesGradient(entry) && entry->isVariable &&
            --readers[entry.get()] == 0)
          variableDone_(entry);
      }
    }
    if (!retainGraph_)
      for (Node *node : order_) {
        node->freed = true;
        node->inputs.clear();
        node->shapeReads.clear();
        node->outputValues.clear();
        node->backward = nullptr;
      }
  }

  /// Forgets `entry`'s gradient (stored by the caller).
  void release(const std::shared_ptr<Entry> &entry) {
    pending_.erase(entry.get());
  }

  /// The summed gradient of `entry`, or none when nothing reached it.
  NDArray gradientOf(const std::shared_ptr<Entry> &entry) {
    auto found = pending_.find(entry.get());
    if (found == pending_.end() || found->second.terms.empty())
      return NDArray();
    Pending &pending = found->second;
    if (pending.terms.size() > 1) {
      pending.terms = {sumOf(pending.terms)};
      pending.donated = true; // A new array nothing else holds.
    }
    return pending.terms.front();
  }

  /// Whether gradientOf(entry) is an array whose memory nobody else reads:
  /// a donating node's gradient, or a sum made here.
  bool isDonated(const std::shared_ptr<Entry> &entry) const {
    auto found = pending_.find(entry.get());
    return found != pending_.end() && found->second.terms.size() == 1 &&
           found->second.donated;
  }

  const std::vector<std::shared_ptr<Entry>> &variables() const {
    return variables_;
  }

  /// Whether a reach-only node (Node::reachOnly) reads `variable`, directly
  /// or through other nodes.
  bool readByReachOnly(const std::shared_ptr<Entry> &variable) const {
    return readByReachOnly_.count(variable.get()) > 0;
  }

private:
  void addGradient(const std::shared_ptr<Entry> &entry, const NDArray &grad,
                   bool donated = false) {
    Pending &pending = pending_[entry.get()];
    pending.donated = pending.terms.empty() && donated;
    pending.terms.push_back(grad);
    alive_.insert(entry);
  }

  /// Depth-first from `root`, leaving the nodes in post-order.
  void visit(const std::shared_ptr<Entry> &root) {
    std::vector<std::pair<Node *, size_t>> stack;
    auto enter = [&](const std::shared_ptr<Entry> &entry) {
      if (entry->isVariable) {
        if (seenVariables_.insert(entry.get()).second)
          variables_.push_back(entry);
        return;
      }
      Node *node = entry->node.get();
      if (!seenNodes_.insert(node).second)
        return;
      if (node->freed)
        throw Error(formatMessage(
            api_, ": the graph through '", node->name,
            "' was freed by an earlier backward; pass retain_graph=True to "
            "that backward to differentiate the same graph again"));
      stack.push_back({node, 0});
    };
    enter(root);
    while (!stack.empty()) {
      auto &[node, next] = stack.back();
      const size_t inputs = node->inputs.size();
      if (next < inputs + node->shapeReads.size()) {
        const size_t index = next++;
        const std::shared_ptr<Entry> &entry =
            index < inputs ? node->inputs[index].autogradEntry()
                           : node->shapeReads[index - inputs].autogradEntry();
        if (takesGradient(entry) || reachesOnly(entry))
          enter(entry);
        continue;
      }
      order_.push_back(node);
      stack.pop_back();
    }
  }

  void runNode(Node &node) {
    if (node.reachOnly)
      return; // No gradient to compute: it is there to be traversed.
    std::vector<NDArray> outputs, outputGrads;
    bool any = false;
    for (size_t k = 0; k < node.outputValues.size(); ++k) {
      std::shared_ptr<Entry> entry = node.outputEntries[k].lock();
      NDArray grad = entry ? gradientOf(entry) : NDArray();
      any |= !grad.isNone();
      outputGrads.push_back(grad);
      outputs.push_back(node.outputValues[k].withAutogradEntry(entry));
    }
    if (!any)
      return;
    // The gradient lives where the recorded op ran (what its rule makes
    // without inputs: zeros, constants).
    DeviceScope device(node.outputValues.front().device());
    for (size_t k = 0; k < outputGrads.size(); ++k)
      if (outputGrads[k].isNone())
        outputGrads[k] = filled(outputs[k], "_zeros");
    std::vector<NDArray> inputGrads;
    {
      ScopedOpLabel label("_backward_" + node.name);
      // Values the forward capture left to be recomputed
      // (MXNET_BACKWARD_DO_MIRROR=1) are read from their recomputation.
      fusion::ElementwiseFusion *fusion = fusion::ElementwiseFusion::current();
      if (fusion && fusion->hasRecomputations()) {
        std::vector<NDArray> inputs;
        for (const NDArray &input : node.inputs)
          inputs.push_back(fusion->recomputedFor(input));
        for (NDArray &output : outputs)
          output = fusion->recomputedFor(output);
        inputGrads = node.backward(inputs, outputs, outputGrads);
      } else {
        inputGrads = node.backward(node.inputs, outputs, outputGrads);
      }
    }
    if (inputGrads.size() != node.inputs.size())
      throw Error(formatMessage(
          api_, ": the gradient of '", node.name, "' returned ",
          inputGrads.size(), " gradients for ", node.inputs.size(), " inputs"));
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const NDArray &input = node.inputs[i];
      const std::shared_ptr<Entry> &entry = input.autogradEntry();
      if (!takesGradient(entry) || inputGrads[i].isNone())
        continue;
      if (inputGrads[i].shape() != input.shape())
        throw Error(formatMessage(api_, ": the gradient of '", node.name,
                                  "' for input ", i, " has shape ",
                                  shapeToString(inputGrads[i].shape()),
                                  ", expected ", shapeToString(input.shape())));
      NDArray grad = inputGrads[i];
      bool donated = node.donatesGradients;
      if (grad.dtype() != input.dtype()) {
        grad = dispatch::cast(grad, input.dtype());
        donated = true;
      }
      addGradient(entry, grad, donated);
    }
  }

  const char *api_;
  bool retainGraph_;
  VariableDone variableDone_;
  /// The gradients reaching an entry, summed when first asked for.
  struct Pending {
    std::vector<NDArray> terms;
    bool donated = false; // Of the single term; see isDonated.
  };
  std::unordered_map<Entry *, Pending> pending_;
  std::unordered_set<std::shared_ptr<Entry>> alive_;
  std::unordered_set<Node *> seenNodes_;
  std::unordered_set<Entry *> seenVariables_;
  std::unordered_set<Entry *> readByReachOnly_;
  std::vector<std::shared_ptr<Entry>> variables_;
  std::vector<Node *> order_;
};

std::mutex recordedMutex;
std::set<std::string> &recordedNames() {
  static auto *names = new std::set<std::string>();
  return *names;
}

void noteRecorded(const std::string &name) {
  std::lock_guard<std::mutex> lock(recordedMutex);
  recordedNames().insert(name);
}

/// A strided layout over some storage, in elements.
struct Layout {
  Shape shape, strides;
  int64_t offset;
  static Layout of(const Tensor &tensor) {
    return {tensor.shape(), tensor.strides(), tensor.offset()};
  }
};

/// How a view sits in its base's storage, for the view primitive's rules.
struct ViewGeometry {
  Layout base, view;
  int64_t capacity; // Elements in the storage.
  bool baseContiguous;
  DType dtype;
};

NDArray contiguous(const NDArray &x) {
  return x.tensor().isContiguous() ? x : dispatch::cast(x, x.dtype());
}

/// Whether `view` reads every element of a contiguous `base` in its order
/// (a reshape: Flatten, NDArray.reshape): then the view's gradient is the
/// output gradient reshaped, with no zeros to fill and nothing to copy.
bool isReshapeOf(const Layout &view, const Layout &base) {
  if (view.offset != base.offset)
    return false;
  int64_t expected = 1;
  for (size_t i = view.shape.size(); i-- > 0;) {
    if (view.shape[i] != 1 && view.strides[i] != expected)
      return false;
    expected *= view.shape[i];
  }
  int64_t baseElements = 1;
  for (int64_t extent : base.shape)
    baseElements *= extent;
  return expected == baseElements;
}

/// The view primitive's two directions: `grad` shaped like the view moved
/// into zeros shaped like the base (the view's gradient, toBase), or
/// `grad` shaped like the base restricted to the view (the gradient of that).
/// Each is recorded with the other as its rule, for higher orders.
NDArray throughView(const NDArray &grad, const ViewGeometry &geometry,
                    bool toBase) {
  const Layout &from = toBase ? geometry.view : geometry.base;
  const Layout &to = toBase ? geometry.base : geometry.view;
  NDArray result;
  {
    RecordingScope paused(false);
    if (geometry.baseContiguous && toBase && grad.dtype() == geometry.dtype &&
        isReshapeOf(geometry.view, geometry.base)) {
      NDArray source = contiguous(grad);
      result = source.view(source.tensor().reshaped(geometry.base.shape));
    } else if (geometry.baseContiguous && toBase) {
      // The base's layout is that of fresh zeros, shifted by its offset.
      result = ops::zerosOf(geometry.base.shape, geometry.dtype);
      dispatch::cast(
          grad, geometry.dtype,
          result.view(result.tensor().strided(
              from.shape, from.strides, from.offset - geometry.base.offset)));
    } else if (geometry.baseContiguous) {
      NDArray source = contiguous(grad);
      const Tensor &t = source.tensor();
      result = source.view(t.strided(
          to.shape, to.strides, t.offset() + to.offset - geometry.base.offset));
    } else {
      // A storage-sized buffer: write through one layout, read the other.
      NDArray buffer = ops::zerosOf({geometry.capacity}, geometry.dtype);
      const Tensor &t = buffer.tensor();
      dispatch::cast(
          grad, geometry.dtype,
          buffer.view(t.strided(from.shape, from.strides, from.offset)));
      result = dispatch::cast(
          buffer.view(t.strided(to.shape, to.strides, to.offset)),
          geometry.dtype);
    }
  }
  if (isRecording())
    recordPrimitive(toBase ? "view_scatter" : "view", {grad}, result,
                    [geometry, toBase](const std::vector<NDArray> &,
                                       const std::vector<NDArray> &,
                                       const std::vector<NDArray> &grads) {
                      return std::vector<NDArray>{
                          throughView(grads[0], geometry, !toBase)};
                    });
  return result;
}

} // namespace

void recordPrimitive(const std::string &name,
                     const std::vector<NDArray> &inputs, const NDArray &output,
                     BackwardFn backward) {
  if (!backward || !anyTakesGradient(inputs)) {
    recordReachOnly(name, inputs, {output});
    return;
  }
  noteRecorded(name);
  recordNode(name, inputs, {output}, std::move(backward));
}

void recordReachOnly(const std::string &name,
                     const std::vector<NDArray> &inputs,
                     const std::vector<NDArray> &outputs) {
  if (!isRecording())
    return;
  const bool reaches =
      std::any_of(inputs.begin(), inputs.end(), [](const NDArray &input) {
        const std::shared_ptr<Entry> &entry = input.autogradEntry();
        return takesGradient(entry) || reachesOnly(entry);
      });
  if (reaches)
    recordNode(name, inputs, outputs, nullptr, false, /*reachOnly=*/true);
}

void recordShapeReads(const std::string &name, const NDArray &result,
                      const std::vector<NDArray> &inputs) {
  if (!isRecording())
    return;
  const std::shared_ptr<Entry> &entry = result.autogradEntry();
  if (!entry || !entry->node) {
    recordReachOnly(name, inputs, {result});
    return;
  }
  for (const NDArray &input : inputs) {
    const std::shared_ptr<Entry> &read = input.autogradEntry();
    if (takesGradient(read) || reachesOnly(read))
      entry->node->shapeReads.push_back(NDArray::placeOnly(read));
  }
}

void recordView(const NDArray &input, const NDArray &view) {
  if (!takesGradient(input.autogradEntry())) {
    recordReachOnly("view", {input}, {view});
    return;
  }
  const Tensor &base = input.tensor();
  ViewGeometry geometry{
      Layout::of(base), Layout::of(view.tensor()),
      static_cast<int64_t>(base.storage()->bytes() / dtypeSize(base.dtype())),
      base.isContiguous(), base.dtype()};
  recordPrimitive("view", {input}, view,
                  [geometry](const std::vector<NDArray> &,
                             const std::vector<NDArray> &,
                             const std::vector<NDArray> &grads) {
                    return std::vector<NDArray>{
                        throughView(grads[0], geometry, /*toBase=*/true)};
                  });
}

std::vector<std::string> recordedPrimitives() {
  std::lock_guard<std::mutex> lock(recordedMutex);
  return {recordedNames().begin(), recordedNames().end()};
}

GradReq parseGradReq(const std::string &op, const std::string &name) {
  if (name == "write" || name == "inplace")
    return GradReq::Write;
  if (name == "add")
    return GradReq::Add;
  if (name == "null")
    return GradReq::Null;
  throw Error(formatMessage(op,
                            ": grad_req expected 'write', 'add' or "
                            "'null', got '",
                            name, "'"));
}

bool isRecording() { return recordingFlag; }

bool isRetainingGraph() { return retainingGraphFlag; }
bool setRecording(bool recording) {
  const bool previous = recordingFlag;
  recordingFlag = recording;
  return previous;
}
bool isTraining() { return trainingFlag; }
bool setTraining(bool training) {
  const bool previous = trainingFlag;
  trainingFlag = training;
  return previous;
}

bool takesGradient(const NDArray &array) {
  return takesGradient(array.autogradEntry());
}

bool anyTakesGradient(const std::vector<NDArray> &inputs) {
  for (const NDArray &input : inputs)
    if (takesGradient(input.autogradEntry()))
      return true;
  return false;
}

void checkInPlaceWhileRecording(const std::string &op, const NDArray &out) {
  // Overwriting an array the graph holds (a variable, or a recorded result
  // some node may read in backward) would corrupt the gradients, as MXNet
  // warns; results of unrecorded work may be overwritten freely.
  if (takesGradient(out.autogradEntry()))
    throw Error(formatMessage(
        op, ": in-place operations (+=, x[:] =, out=) on an array that is "
            "part of the recorded graph are not supported while recording; "
            "write to a new array, or run backward first"));
}

void markVariables(const std::vector<NDArray> &variables,
                   const std::vector<NDArray> &gradBuffers,
                   const std::vector<GradReq> &requests) {
  if (gradBuffers.size() != variables.size() ||
      requests.size() != variables.size())
    throw Error(formatMessage("mark_variables: got ", variables.size(),
                              " variables, ", gradBuffers.size(),
                              " gradients and ", requests.size(),
                              " grad_reqs; expected as many of each"));
  for (size_t i = 0; i < variables.size(); ++i) {
    if (gradBuffers[i].shape() != variables[i].shape())
      throw Error(formatMessage("mark_variables: gradient ", i, " has shape ",
                                shapeToString(gradBuffers[i].shape()),
                                ", expected the variable's ",
                                shapeToString(variables[i].shape())));
    auto entry = std::make_shared<Entry>();
    entry->isVariable = true;
    entry->gradReq = requests[i];
    entry->gradBuffer = gradBuffers[i];
    variables[i].setAutogradEntry(std::move(entry));
  }
}

void attachGrad(const NDArray &array, GradReq request) {
  RecordingScope paused(false);
  markVariables({array}, {filled(array, "_zeros")}, {request});
}

NDArray gradBuffer(const NDArray &array) {
  const std::shared_ptr<Entry> &entry = array.autogradEntry();
  return entry && entry->isVariable ? entry->gradBuffer : NDArray();
}

void recordOp(const OpSpec &spec, const Attrs &attrs,
              const std::vector<NDArray> &inputs, const NDArray &output) {
  const OpSpec *op = &spec; // Registry entries live for the whole process.
  recordNode(spec.name, inputs, {output},
             [op, attrs](const std::vector<NDArray> &in,
                         const std::vector<NDArray> &outputs,
                         const std::vector<NDArray> &outputGrads) {
               return op->gradient(
                   GradientArgs{in, outputs[0], outputGrads[0], attrs});
             });
}

void recordFunction(const std::string &name, const std::vector<NDArray> &inputs,
                    const std::vector<NDArray> &outputs, BackwardFn backward,
                    bool donatesGradients) {
  recordNode(name, inputs, outputs, std::move(backward), donatesGradients);
}

void backward(const std::vector<NDArray> &heads,
              const std::vector<NDArray> &headGrads, bool retainGraph,
              bool trainMode) {
  RecordingScope paused(false);
  TrainingScope training(trainMode);
  BackwardPass pass("backward", retainGraph);
  std::unordered_set<Entry *> stored;
  // A variable's gradient goes to its buffer as soon as it is complete, as
  // MXNet's executor writes each gradient when computed: a captured graph
  // (the Executor's backward) then does not hold every weight's gradient
  // until its end (ResNet-18's last stage alone: 33 MB at the peak).
  auto store = [&](const std::shared_ptr<Entry> &variable) {
    if (!stored.insert(variable.get()).second)
      return;
    NDArray grad = pass.gradientOf(variable);
    NDArray &buffer = variable->gradBuffer;
    if (grad.isNone()) {
      // Read only through calls without a gradient: zero, which 'write'
      // stores, as MXNet does. (A rule that gives an input no gradient,
      // such as SoftmaxOutput's label, leaves it as it was, as MXNet's.)
      if (!pass.readByReachOnly(variable))
        return;
      if (variable->gradReq == GradReq::Write)
        invokeOp("_zeros", {},
                 {{"shape", ops::shapeAttr(buffer.shape())},
                  {"dtype", dtypeName(buffer.dtype())}},
                 buffer);
      variable->freshGrad = true;
      pass.release(variable);
      return;
    }
    if (variable->gradReq == GradReq::Add)
      invokeOp("elemwise_add", {buffer, grad}, {}, buffer);
    else if (!pass.isDonated(variable) || !adoptMemory(buffer, grad))
      copyIntoBuffer(buffer, grad);
    variable->freshGrad = true;
    pass.release(variable);
  };
  pass.onVariableDone(store);
  pass.run(heads, headGrads);
  // Variables no node read (a head that is a variable itself).
  for (const std::shared_ptr<Entry> &variable : pass.variables())
    store(variable);
}

std::optional<bool> freshGrad(const NDArray &array) {
  const std::shared_ptr<Entry> &entry = array.autogradEntry();
  if (!entry || !entry->isVariable)
    return std::nullopt;
  return entry->freshGrad;
}

bool setFreshGrad(const NDArray &array, bool fresh) {
  const std::shared_ptr<Entry> &entry = array.autogradEntry();
  if (!entry || !entry->isVariable)
    return false;
  entry->freshGrad = fresh;
  return true;
}

std::vector<NDArray> grad(const std::vector<NDArray> &heads,
                          const std::vector<NDArray> &variables,
                          const std::vector<NDArray> &headGrads,
                          bool retainGraph, bool createGraph, bool trainMode) {
  for (size_t i = 0; i < variables.size(); ++i) {
    const std::shared_ptr<Entry> &entry = variables[i].autogradEntry();
    if (!entry || !entry->isVariable)
      throw Error(formatMessage("grad: variable ", i,
                                " has no attached gradient (call "
                                "attach_grad() before recording)"));
  }
  RecordingScope recording(createGraph);
  TrainingScope training(trainMode);
  BackwardPass pass("grad", retainGraph);
  pass.run(heads, headGrads);
  // As MXNet, a variable the heads were not computed from is a mistake
  // (one they were computed from but whose gradient is nothing is zeros).
  for (size_t i = 0; i < variables.size(); ++i) {
    const std::shared_ptr<Entry> &entry = variables[i].autogradEntry();
    bool reachable = false;
    for (const std::shared_ptr<Entry> &seen : pass.variables())
      reachable |= seen == entry;
    if (!reachable)
      throw Error(formatMessage("grad: cannot differentiate with respect to "
                                "variable ",
                                i, ": it is unreachable from the heads"));
  }
  std::vector<NDArray> grads;
  for (const NDArray &variable : variables) {
    NDArray grad = pass.gradientOf(variable.autogradEntry());
    if (grad.isNone()) {
      grads.push_back(filled(variable, "_zeros"));
      continue;
    }
    // A gradient passed through unchanged (x + 0) or reshaped is a view of
    // the caller's head gradient; MXNet returns arrays of their own.
    for (const NDArray &head : headGrads)
      if (!head.isNone() &&
          head.tensor().storage() == grad.tensor().storage()) {
        grad = dispatch::cast(grad, grad.dtype());
        break;
      }
    grads.push_back(grad);
  }
  return grads;
}

} // namespace autograd
} // namespace kiln
