//===- ElementwiseFusion.cpp ----------------------------------------------===//
#include "frontends/cpp/ElementwiseFusion.h"

#include "compiler/GraphBuilder.h"
#include "compiler/KernelCache.h"
#include "runtime/Error.h"
#include "runtime/Executable.h"
#include "runtime/KernelAbi.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace kiln {
namespace fusion {
/// Values a training forward did not write (MXNET_BACKWARD_DO_MIRROR=1):
/// the kernel that computes them from the group's arguments, pushed when
/// something first reads them (the backward, usually).
struct ElementwiseFusion::Recipe {
  std::string source;
  bool flat = false;
  Device device;
  std::vector<Tensor> tensors; // Arguments, then the values.
  std::vector<VarPtr> reads, writes;
  std::string name;
  uint64_t capture = 0; // The capture that kept it (captureNumber).
  /// Set for an op's own recomputation (rematerialize): pushes it; the
  /// graph fields are then unused.
  std::function<void()> launch;
};

namespace {

/// The recipes a capture left for the next one on this thread (a training
/// forward's, for the backward captured right after it).
thread_local std::unordered_map<const Var *,
                                std::shared_ptr<ElementwiseFusion::Recipe>>
    recipesForNext;
/// And the values whose readers take those recipes' results instead.
thread_local std::unordered_map<const Var *, ElementwiseFusion::Recomputed>
    recomputedForNext;

thread_local ElementwiseFusion *currentFusion = nullptr;
/// Numbers the fusions of this thread's captures.
thread_local uint64_t capturesFused = 0;

/// Launches `kernel` over `tensors` (arguments, then results): flat kernels
/// in rebased slices, others in slices along dimension 0.
void pushKernel(KernelEntryFn kernel, std::vector<Tensor> tensors, bool flat,
                Device device, const std::vector<VarPtr> &reads,
                const std::vector<VarPtr> &writes, std::string name) {
  // A fused group (or a recomputation) keeps its own name, made of its
  // members', wherever autograd is in its backward.
  ScopedOpLabel ownName("");
  Engine::global().push(
      [kernel, tensors = std::move(tensors), flat] {
        if (flat)
          invokeFlatKernel(kernel, tensors);
        else
          invokeElementwiseKernel(kernel, tensors);
      },
      device, reads, writes, /*priority=*/0, std::move(name));
}

/// Bounds on one group: its kernel's arguments and the values it computes
/// (each a possible result), so that the flat kernels' descriptors fit
/// invokeFlatKernel's and the kernel's source stays quick to compile.
constexpr size_t kMaxArguments = 16;
constexpr size_t kMaxMembers = 32;
static_assert(kMaxArguments + kMaxMembers <= kMaxFlatKernelArguments,
              "a flat group's arguments and results must fit one call");

/// An input array by what the kernel reads: the buffer (through its
/// variable), the element layout and the dtype.
using ArgumentKey = std::tuple<const Var *, int64_t, Shape, Shape, DType>;

ArgumentKey keyOf(const NDArray &array) {
  const Tensor &tensor = array.tensor();
  return {array.var().get(), tensor.offset(), tensor.shape(), tensor.strides(),
          tensor.dtype()};
}

/// The broadcast rule of dispatch's kernels: an input's extent-1 dimension
/// is a static 1 only where the domain's extent is not 1.
uint64_t broadcastUnits(const Shape &input, const Shape &domain) {
  uint64_t units = 0;
  const size_t lead = domain.size() - input.size();
  for (size_t dim = 0; dim < input.size(); ++dim)
    if (input[dim] == 1 && domain[lead + dim] != 1)
      units |= uint64_t{1} << dim;
  return units;
}

} // namespace

/// The pending group: a graph over the arrays it reads, and the arrays it
/// will write.
class ElementwiseFusion::Group {
public:
  Group(Shape domain, Device device, bool flat)
      : graph("fused_elementwise", "fusion"), domain(std::move(domain)),
        device(device), flat(flat) {}

  compiler::Graph graph;
  Shape domain;
  Device device;
  /// Compiled at rank 1 with identity layouts: every input is contiguous
  /// with the domain's shape, or a scalar.
  bool flat;
  std::vector<Tensor> argumentTensors;
  std::vector<VarPtr> argumentVars;
  std::map<ArgumentKey, compiler::Value> argumentValues;
  std::unordered_set<const Var *> readVars;
  std::unordered_map<const Var *, compiler::Value> literals;

  struct Pending {
    NDArray array; // The group's reference; others' make it a result.
    compiler::Value value;
    /// Other handles of the same elements (NDArray::withAutogradEntry).
    std::vector<std::weak_ptr<const void>> aliases;
    /// An array the caller gave (out=): handles made before the group took
    /// it are unknown, so it is always written.
    bool given = false;

    /// Held, but only through aliases (autograd's tape).
    bool heldOnlyByAliases() const {
      return !given && array.useCount() == 1 && held();
    }

    bool held() const {
      if (given || array.useCount() > 1)
        return true;
      for (const std::weak_ptr<const void> &alias : aliases)
        if (!alias.expired())
          return true;
      return false;
    }
  };
  std::vector<Pending> pending;
  std::unordered_map<const Var *, size_t> pendingOfVar;
  size_t members = 0;
  std::vector<std::string> ops; // For the launch's name.
};

ElementwiseFusion::ElementwiseFusion(ExecutableCapture &capture)
    : capture_(capture) {
  if (!enabled())
    return;
  previous_ = currentFusion;
  currentFusion = this;
  installed_ = true;
  const char *mirror = std::getenv("MXNET_BACKWARD_DO_MIRROR");
  mirror_ = mirror && std::strcmp(mirror, "1") == 0;
  const char *recompute = std::getenv("KILN_BACKWARD_RECOMPUTE");
  rematerialize_ = mirror_ || !recompute || std::strcmp(recompute, "0") != 0;
  recipes_ = std::move(recipesForNext);
  recipesForNext.clear();
  recomputedValues_ = std::move(recomputedForNext);
  recomputedForNext.clear();
  captureNumber_ = ++capturesFused;
  capture_.setBeforeLaunch([this](const std::vector<VarPtr> &reads,
                                  const std::vector<VarPtr> &writes) {
    beforeLaunch(reads, writes);
  });
}

ElementwiseFusion::~ElementwiseFusion() {
  if (installed_) {
    capture_.setBeforeLaunch(nullptr);
    currentFusion = previous_;
    installed_ = false;
  }
}

ElementwiseFusion *ElementwiseFusion::current() {
  // Only while its capture is the one recording (a nested capture takes
  // the pushes meanwhile).
  ElementwiseFusion *fusion = currentFusion;
  return fusion && Executable::current() == &fusion->capture_ ? fusion
                                                              : nullptr;
}

bool ElementwiseFusion::enabled() {
  const char *setting = std::getenv("KILN_FUSION");
  return !setting || std::strcmp(setting, "0") != 0;
}

void ElementwiseFusion::noteScalar(const NDArray &array, double value) {
  // Kept in the group being built next; a scalar's variable lives as long
  // as any group that names it (it holds the array as an argument or the
  // value as a literal).
  scalars_[array.var().get()] = {array.var(), value};
}

bool ElementwiseFusion::defer(const std::string &op,
                              const std::string &primitive,
                              const std::vector<NDArray> &inputs,
                              const NDArray &output, bool given) {
  if (inputs.empty() || inputs.size() > 3 ||
      (inputs.size() == 3 && primitive != "select") ||
      !output.tensor().isContiguous())
    return false;
  // A copy (cast to its own dtype) of a value the group computes is that
  // value written twice; a copy of anything else would make a result that
  // is an argument, and stays its own launch.
  // The graph builder converts float64 to float16/bfloat16 through float32
  // (rounding twice) where the eager cast kernel rounds once: such casts
  // stay launches of their own, so fused and unfused runs agree.
  if (primitive == "cast" && inputs[0].dtype() == DType::Float64 &&
      (output.dtype() == DType::Float16 || output.dtype() == DType::BFloat16))
    return false;
  const bool copy = primitive == "cast" && inputs[0].dtype() == output.dtype();
  if (copy && !(group_ && group_->pendingOfVar.count(inputs[0].var().get())))
    return false;
  if (!recipes_.empty()) {
    std::vector<VarPtr> reads;
    for (const NDArray &input : inputs)
      reads.push_back(input.var());
    computeRecipesTouching(reads, {output.var()});
  }
  const Shape &domain = output.shape();
  auto isScalarConstant = [&](const NDArray &input) {
    return input.shape().empty() && scalars_.count(input.var().get());
  };
  auto pendingIn = [&](const NDArray &input) -> const Group::Pending * {
    if (!group_)
      return nullptr;
    auto found = group_->pendingOfVar.find(input.var().get());
    if (found == group_->pendingOfVar.end())
      return nullptr;
    return &group_->pending[found->second];
  };
  auto flatInput = [&](const NDArray &input) {
    return input.shape().empty() ||
           (input.shape() == domain && input.tensor().isContiguous());
  };

  // Start a new group when this one cannot take the primitive.
  if (group_) {
    bool fits =
        group_->domain == domain && group_->device == output.device() &&
        group_->members < kMaxMembers &&
        group_->argumentTensors.size() + inputs.size() <= kMaxArguments &&
        // Writing an array the group reads: element i would be
        // written before a later loop of the kernel reads it.
        !group_->readVars.count(output.var().get());
    for (const NDArray &input : inputs) {
      const Group::Pending *pending = pendingIn(input);
      if (pending) {
        // Only the array itself (views flush the group first).
        fits &= pending->array.tensor().storage() == input.tensor().storage() &&
                input.shape() == domain;
      } else if (group_->flat && !isScalarConstant(input)) {
        fits &= flatInput(input);
      }
    }
    if (!fits)
      flush();
  }
  if (!group_) {
    bool flat = true;
    for (const NDArray &input : inputs)
      flat &= isScalarConstant(input) || flatInput(input);
    group_ = std::make_unique<Group>(domain, output.device(), flat);
  }
  Group &group = *group_;

  try {
    std::vector<compiler::Value> operands;
    for (const NDArray &input : inputs) {
      if (const Group::Pending *pending = pendingIn(input)) {
        operands.push_back(pending->value);
        continue;
      }
      const Var *var = input.var().get();
      // pow's scalar stays an argument: a constant exponent or base lets
      // LLVM rewrite powf (x**2 as x*x, x**0.5 as sqrt), which rounds
      // differently from the call eager kiln and MXNet make.
      if (input.shape().empty() && primitive != "pow") {
        auto scalar = scalars_.find(var);
        if (scalar != scalars_.end()) {
          auto known = group.literals.find(var);
          if (known == group.literals.end())
            known = group.literals
                        .emplace(var, group.graph.literal(scalar->second.second,
                                                          input.dtype()))
                        .first;
          operands.push_back(known->second);
          continue;
        }
      }
      const ArgumentKey key = keyOf(input);
      auto found = group.argumentValues.find(key);
      if (found != group.argumentValues.end()) {
        operands.push_back(found->second);
        continue;
      }
      compiler::TensorType type;
      Tensor tensor = input.tensor();
      if (input.shape().empty()) {
        type = compiler::TensorType::scalar(input.dtype());
      } else if (group.flat) {
        type = compiler::TensorType::dynamic(input.dtype(), 1);
        tensor = tensor.reshaped({input.size()});
      } else {
        type = compiler::TensorType::dynamic(
            input.dtype(), static_cast<int64_t>(input.shape().size()),
            broadcastUnits(input.shape(), domain));
      }
      compiler::Value argument = group.graph.argument(type);
      group.argumentTensors.push_back(std::move(tensor));
      group.argumentVars.push_back(input.var());
      group.argumentValues.emplace(key, argument);
      group.readVars.insert(var);
      operands.push_back(argument);
    }

    compiler::Value result;
    if (copy && group.pendingOfVar.count(inputs[0].var().get()))
      result = operands[0];
    else if (copy)
      return false; // The group was pushed to take it: not a value in it.
    else if (primitive == "cast")
      result = group.graph.cast(operands[0], output.dtype());
    else if (primitive == "select")
      result = group.graph.select(operands[0], operands[1], operands[2]);
    else if (operands.size() == 1)
      result = group.graph.unary(primitive, operands[0]);
    else
      result = group.graph.binary(primitive, operands[0], operands[1]);
    // A broadcast of constants only (the domain comes from elsewhere) or a
    // dtype the dispatcher converts: not this group's business.
    if (result.dtype() != output.dtype() ||
        result.rank() != (group.flat && !domain.empty()
                              ? 1
                              : static_cast<int64_t>(domain.size())))
      return false;

    auto overwritten = group.pendingOfVar.find(output.var().get());
    if (overwritten != group.pendingOfVar.end()) {
      // An out= into an array the group computes: later readers see the
      // new value.
      group.pending[overwritten->second].value = result;
      group.pending[overwritten->second].given |= given;
    } else {
      group.pendingOfVar.emplace(output.var().get(), group.pending.size());
      group.pending.push_back({output, result, {}, given});
    }
  } catch (const Error &) {
    // A primitive the graph builder does not take (or operands it
    // rejects): pushed on its own. Anything it added to the graph is
    // unused there.
    return false;
  }
  ++group.members;
  if (group.ops.size() < 4)
    group.ops.push_back(primitive);
  ++stats_.deferred;
  return true;
}

void ElementwiseFusion::beforeAlias(const NDArray &array) {
  if (flushing_)
    return;
  compute(array.var().get());
  if (group_ && group_->pendingOfVar.count(array.var().get()))
    flush();
}

void ElementwiseFusion::noteAlias(const NDArray &array, const NDArray &alias) {
  if (!group_)
    return;
  auto found = group_->pendingOfVar.find(array.var().get());
  if (found != group_->pendingOfVar.end())
    group_->pending[found->second].aliases.push_back(alias.weakHandle());
}

void ElementwiseFusion::beforeLaunch(const std::vector<VarPtr> &reads,
                                     const std::vector<VarPtr> &writes) {
  if (flushing_)
    return;
  computeRecipesTouching(reads, writes);
  if (!group_)
    return;
  for (const VarPtr &var : reads)
    if (group_->pendingOfVar.count(var.get())) {
      flush();
      return;
    }
  for (const VarPtr &var : writes)
    if (group_->pendingOfVar.count(var.get()) ||
        group_->readVars.count(var.get())) {
      flush();
      return;
    }
}

void ElementwiseFusion::flush() {
  if (!group_ || flushing_)
    return;
  std::unique_ptr<Group> group = std::move(group_);
  struct Guard {
    bool &flag;
    ~Guard() { flag = false; }
  } guard{flushing_ = true};

  // The values somebody besides the group still holds are its results;
  // the rest were only read inside it and never reach memory.
  std::vector<Tensor> tensors = group->argumentTensors;
  std::vector<VarPtr> writes;
  std::vector<const Group::Pending *> results, mirrored;
  for (const Group::Pending &pending : group->pending) {
    if (!pending.held())
      continue;
    // Only autograd's tape holds it: with MXNET_BACKWARD_DO_MIRROR=1 the
    // backward recomputes it from the group's arguments instead of
    // keeping it from the forward.
    (mirror_ && pending.heldOnlyByAliases() ? mirrored : results)
        .push_back(&pending);
  }
  const bool flat = group->flat && !group->domain.empty();
  std::string name;
  for (size_t i = 0; i < group->ops.size(); ++i)
    name += (i ? "," : ":") + group->ops[i];
  if (group->members > group->ops.size())
    name += ",...";
  if (!mirrored.empty()) {
    // The same graph with these values as its results (its source taken
    // before the group's own results are added).
    auto recipe = std::make_shared<Recipe>();
    for (const Group::Pending *value : mirrored)
      group->graph.result(value->value);
    recipe->source = group->graph.source();
    group->graph.clearResults();
    recipe->flat = flat;
    recipe->device = group->device;
    recipe->tensors = group->argumentTensors;
    recipe->reads = group->argumentVars;
    for (const Group::Pending *value : mirrored) {
      const Tensor &tensor = value->array.tensor();
      recipe->tensors.push_back(flat ? tensor.reshaped({value->array.size()})
                                     : tensor);
      recipe->writes.push_back(value->array.var());
    }
    recipe->name = "recompute" + name;
    recipe->capture = captureNumber_;
    for (const VarPtr &var : recipe->writes)
      recipes_[var.get()] = recipe;
    stats_.mirrored += mirrored.size();
  }
  for (const Group::Pending *result : results) {
    const Group::Pending &pending = *result;
    group->graph.result(pending.value);
    const Tensor &tensor = pending.array.tensor();
    tensors.push_back(group->flat && !group->domain.empty()
                          ? tensor.reshaped({pending.array.size()})
                          : tensor);
    writes.push_back(pending.array.var());
  }
  if (writes.empty())
    return;
  KernelEntryFn kernel = compiler::KernelCache::global().getGraph(
      group->graph.source(), /*identityLayouts=*/group->flat);
  name = "fused" + name;
  if (flat && writes.size() == 1) {
    // One result: the kernel's last loop writes it, element i after
    // reading element i of every argument, so a captured executable may
    // give it the bytes of an argument that dies here (as pushFlat's).
    const size_t elementBytes = dtypeSize(tensors.back().dtype());
    const size_t bytes =
        static_cast<size_t>(tensors.back().numElements()) * elementBytes;
    bool inPlace = true;
    for (const Tensor &argument : group->argumentTensors)
      if (argument.rank() != 0)
        inPlace &= argument.offset() == 0 &&
                   dtypeSize(argument.dtype()) == elementBytes &&
                   argument.storage()->bytes() == bytes;
    if (inPlace)
      capture_.markInPlaceSafe();
  }
  ++stats_.kernels;
  stats_.results += writes.size();
  pushKernel(kernel, std::move(tensors), flat, group->device,
             group->argumentVars, writes, std::move(name));
}

void ElementwiseFusion::finish() {
  flush();
  scalars_.clear();
  if (!installed_)
    return;
  // This capture's recipes go to the next one (a training forward's to
  // its backward); older ones, unread by now, are dropped.
  recipesForNext.clear();
  for (auto &[var, recipe] : recipes_)
    if (recipe->capture == captureNumber_)
      recipesForNext.emplace(var, recipe);
  recipes_.clear();
  recomputedForNext.clear();
  for (auto &[var, recomputed] : recomputedValues_)
    if (recomputed.capture == captureNumber_)
      recomputedForNext.emplace(var, std::move(recomputed));
  recomputedValues_.clear();
}

void ElementwiseFusion::rematerialize(const NDArray &value,
                                      const NDArray &recomputed,
                                      std::function<void()> launch,
                                      std::vector<VarPtr> reads,
                                      std::string name) {
  if (!rematerialize_)
    return;
  auto recipe = std::make_shared<Recipe>();
  recipe->device = recomputed.device();
  recipe->reads = std::move(reads);
  recipe->writes = {recomputed.var()};
  recipe->name = std::move(name);
  recipe->capture = captureNumber_;
  recipe->launch = std::move(launch);
  recipes_[recomputed.var().get()] = recipe;
  recomputedValues_[value.var().get()] = {
      value.var(),   value.weakHandle(), value.tensor().storage().get(),
      value.dtype(), recomputed,         captureNumber_};
  ++stats_.mirrored;
}

void ElementwiseFusion::keepFromForward(const NDArray &array) {
  if (array.isNone())
    return;
  auto found = recomputedValues_.find(array.var().get());
  if (found == recomputedValues_.end() ||
      found->second.capture != captureNumber_)
    return;
  recipes_.erase(found->second.recomputed.var().get());
  recomputedValues_.erase(found);
  --stats_.mirrored;
}

NDArray ElementwiseFusion::recomputedFor(const NDArray &array) const {
  if (array.isNone())
    return array;
  auto found = recomputedValues_.find(array.var().get());
  if (found == recomputedValues_.end())
    return array;
  const Recomputed &value = found->second;
  // The forward itself reads its own value; one kept for a caller costs
  // nothing more to read.
  if (value.capture == captureNumber_ || !value.handle.expired())
    return array;
  const Tensor &tensor = array.tensor();
  // Views of the value (slices, transposes) share its variable: the same
  // view of the recomputation, which is laid out as the value was.
  if (tensor.storage().get() != value.storage || tensor.dtype() != value.dtype)
    return array;
  const Tensor &again = value.recomputed.tensor();
  return value.recomputed
      .view(again.strided(tensor.shape(), tensor.strides(), tensor.offset()))
      .withAutogradEntry(array.autogradEntry());
}

void ElementwiseFusion::compute(const Var *var) {
  auto found = recipes_.find(var);
  if (found == recipes_.end())
    return;
  std::shared_ptr<Recipe> recipe = found->second;
  for (const VarPtr &written : recipe->writes)
    recipes_.erase(written.get());
  if (recipe->launch) {
    ++stats_.recomputed;
    ScopedOpLabel label(recipe->name); // Not the reader's name.
    recipe->launch();
    return;
  }
  // The push's own hook computes the recipe's arguments first, if they
  // are recipes' values too.
  KernelEntryFn kernel = compiler::KernelCache::global().getGraph(
      recipe->source, /*identityLayouts=*/recipe->flat);
  ++stats_.recomputed;
  pushKernel(kernel, recipe->tensors, recipe->flat, recipe->device,
             recipe->reads, recipe->writes, recipe->name);
}

void ElementwiseFusion::computeRecipesTouching(
    const std::vector<VarPtr> &reads, const std::vector<VarPtr> &writes) {
  if (recipes_.empty())
    return;
  for (const VarPtr &var : reads)
    compute(var.get());
  for (const VarPtr &var : writes) {
    compute(var.get());
    // A recipe reading what is about to change is computed now, while
    // its arguments still hold the values it was made from.
    std::vector<const Var *> stale;
    for (const auto &[value, recipe] : recipes_)
      for (const VarPtr &read : recipe->reads)
        if (read.get() == var.get())
          stale.push_back(value);
    for (const Var *value : stale)
      compute(value);
  }
}

} // namespace fusion
} // namespace kiln
