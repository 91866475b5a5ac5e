//===- OpRegistry.cpp - MXNet's operators, defined once -------------------===//
#include "frontends/cpp/OpRegistry.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "frontends/cpp/ops/Ops.h"
#include "runtime/Error.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace kiln {
namespace {

std::string trim(const std::string &text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])))
    ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1])))
    --end;
  return text.substr(begin, end - begin);
}

bool parseInt(const std::string &text, int64_t &value) {
  const std::string t = trim(text);
  if (t.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  value = std::strtoll(t.c_str(), &end, 10);
  // Out of int64's range is a bad value, not the saturated extreme.
  return *end == '\0' && errno != ERANGE;
}

} // namespace

Attrs::Attrs(const std::string &op, const std::vector<AttrSpec> &specs,
             const AttrMap &given)
    : op_(op) {
  for (const auto &[name, value] : given) {
    bool known = false;
    for (const AttrSpec &spec : specs)
      known |= spec.name == name;
    if (!known) {
      std::string names;
      for (const AttrSpec &spec : specs)
        names += (names.empty() ? "" : ", ") + spec.name;
      throw Error(formatMessage(
          op, ": unknown argument '", name,
          "'; expected one of: ", names.empty() ? "(none)" : names));
    }
  }
  for (const AttrSpec &spec : specs) {
    if (spec.kind == AttrSpec::Kind::Float32)
      float32Names_.push_back(spec.name);
    auto found = given.find(spec.name);
    if (found != given.end())
      values_[spec.name] = found->second;
    else if (spec.defaultValue)
      values_[spec.name] = *spec.defaultValue;
    else
      throw Error(
          formatMessage(op, ": missing required argument '", spec.name, "'"));
  }
}

const std::string &Attrs::raw(const std::string &name) const {
  auto found = values_.find(name);
  if (found == values_.end())
    throw Error(formatMessage(op_, ": no argument '", name, "'"));
  return found->second;
}

void Attrs::fail(const std::string &name, const char *expected) const {
  throw Error(formatMessage(op_, ": argument '", name, "' expected ", expected,
                            ", got '", raw(name), "'"));
}

int64_t Attrs::getInt(const std::string &name) const {
  int64_t value;
  if (!parseInt(raw(name), value))
    fail(name, "an integer");
  return value;
}

double Attrs::getFloat(const std::string &name) const {
  const std::string t = trim(raw(name));
  char *end = nullptr;
  double value = std::strtod(t.c_str(), &end);
  if (t.empty() || *end != '\0')
    fail(name, "a number");
  for (const std::string &float32Name : float32Names_)
    if (float32Name == name)
      return static_cast<float>(value);
  return value;
}

bool Attrs::getBool(const std::string &name) const {
  const std::string t = trim(raw(name));
  if (t == "True" || t == "true" || t == "1")
    return true;
  if (t == "False" || t == "false" || t == "0")
    return false;
  fail(name, "a boolean");
}

std::vector<int64_t> Attrs::getIntTuple(const std::string &name) const {
  std::string t = trim(raw(name));
  // "(0, 1)", "[0,1]", "(0,)", "0" and "()" all parse.
  if (!t.empty() && (t.front() == '(' || t.front() == '[')) {
    if (t.size() < 2 || (t.back() != ')' && t.back() != ']'))
      fail(name, "a tuple of integers");
    t = t.substr(1, t.size() - 2);
  }
  std::vector<int64_t> values;
  size_t start = 0;
  while (start <= t.size()) {
    size_t comma = t.find(',', start);
    std::string piece = trim(t.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!piece.empty()) {
      int64_t value;
      if (!parseInt(piece, value))
        fail(name, "a tuple of integers");
      values.push_back(value);
    } else if (comma != std::string::npos) {
      // "(,3)" and "(3,,4)": only the last item, after a value, may be
      // empty ("(3,)").
      fail(name, "a tuple of integers");
    }
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return values;
}

std::vector<double> Attrs::getFloatTuple(const std::string &name) const {
  std::string t = trim(raw(name));
  if (!t.empty() && (t.front() == '(' || t.front() == '[')) {
    if (t.size() < 2 || (t.back() != ')' && t.back() != ']'))
      fail(name, "a tuple of numbers");
    t = t.substr(1, t.size() - 2);
  }
  std::vector<double> values;
  size_t start = 0;
  while (start < t.size()) {
    size_t comma = t.find(',', start);
    std::string piece = trim(t.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start));
    char *end = nullptr;
    const double value = std::strtod(piece.c_str(), &end);
    if (!piece.empty() && *end == '\0')
      values.push_back(value);
    else if (!(piece.empty() && comma == std::string::npos))
      fail(name, "a tuple of numbers");
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return values;
}

std::optional<std::vector<int64_t>>
Attrs::getOptionalIntTuple(const std::string &name) const {
  if (trim(raw(name)) == "None")
    return std::nullopt;
  return getIntTuple(name);
}

std::optional<int64_t> Attrs::getOptionalInt(const std::string &name) const {
  if (trim(raw(name)) == "None")
    return std::nullopt;
  return getInt(name);
}

std::vector<std::optional<int64_t>>
Attrs::getOptionalIntList(const std::string &name) const {
  std::string t = trim(raw(name));
  if (!t.empty() && (t.front() == '(' || t.front() == '[')) {
    if (t.size() < 2 || (t.back() != ')' && t.back() != ']'))
      fail(name, "a tuple of integers or None");
    t = t.substr(1, t.size() - 2);
  }
  std::vector<std::optional<int64_t>> values;
  size_t start = 0;
  while (start < t.size()) {
    size_t comma = t.find(',', start);
    std::string piece = trim(t.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start));
    int64_t value;
    if (piece == "None")
      values.push_back(std::nullopt);
    else if (parseInt(piece, value))
      values.push_back(value);
    else if (!(piece.empty() && comma == std::string::npos))
      fail(name, "a tuple of integers or None");
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return values;
}

std::optional<DType> dtypeFromName(const std::string &name) {
  for (DType dtype :
       {DType::Float32, DType::Float64, DType::Float16, DType::UInt8,
        DType::Int32, DType::Int8, DType::Int64, DType::Bool, DType::BFloat16})
    if (name == dtypeName(dtype))
      return dtype;
  return std::nullopt;
}

DType Attrs::getDType(const std::string &name) const {
  if (std::optional<DType> dtype = dtypeFromName(trim(raw(name))))
    return *dtype;
  fail(name, "a dtype name (float32, float64, float16, bfloat16, uint8, int8, "
             "int32, int64, bool)");
}

std::string Attrs::getString(const std::string &name) const {
  std::string t = trim(raw(name));
  if (t.size() >= 2 && (t.front() == '\'' || t.front() == '"') &&
      t.back() == t.front())
    t = t.substr(1, t.size() - 2);
  return t;
}

std::string
Attrs::getChoice(const std::string &name,
                 std::initializer_list<const char *> choices) const {
  const std::string value = getString(name);
  std::string expected;
  size_t index = 0;
  for (const char *choice : choices) {
    if (value == choice)
      return value;
    if (index > 0)
      expected += index + 1 == choices.size() ? " or " : ", ";
    expected += std::string("'") + choice + "'";
    ++index;
  }
  throw Error(formatMessage(op_, ": ", name, " expected ", expected, ", got '",
                            value, "'"));
}

bool Attrs::isNone(const std::string &name) const {
  return trim(raw(name)) == "None";
}

OpRegistry &OpRegistry::global() {
  // Leaked, like the engine: arrays may run ops during static teardown.
  static OpRegistry *registry = [] {
    auto *created = new OpRegistry();
    ops::registerElementwiseOps(*created);
    ops::registerReductionOps(*created);
    ops::registerLinalgOps(*created);
    ops::registerCreationOps(*created);
    ops::registerRandomOps(*created);
    ops::registerRandomDensityOps(*created);
    ops::registerShapeOps(*created);
    ops::registerNeuralOps(*created);
    ops::registerJoinOps(*created);
    ops::registerSliceOps(*created);
    ops::registerGatherOps(*created);
    ops::registerBroadcastOps(*created);
    ops::registerSortOps(*created);
    ops::registerOptimizerOps(*created);
    ops::registerAdaptiveOptimizerOps(*created);
    ops::registerMultiTensorOptimizerOps(*created);
    ops::registerIndexOps(*created);
    ops::registerSequenceOps(*created);
    ops::registerContribOps(*created);
    ops::registerAttentionOps(*created);
    ops::registerMathOps(*created);
    ops::registerMatrixOps(*created);
    ops::registerLapackOps(*created);
    ops::registerImageOps(*created);
    ops::registerConvolutionOps(*created);
    ops::registerBatchNormOps(*created);
    ops::registerOutputOps(*created);
    ops::registerRnnOps(*created);
    ops::registerActivationOps(*created);
    ops::registerNormalizationOps(*created);
    ops::registerSamplingOps(*created);
    ops::registerDenseOps(*created);
    ops::registerCtcOps(*created);
    ops::registerResizeOps(*created);
    ops::registerCorrelationOps(*created);
    ops::registerGradients(*created);
    ops::registerSymbolTraits(*created);
    return created;
  }();
  return *registry;
}

void OpRegistry::add(OpSpec spec, const std::vector<std::string> &aliases) {
  for (const std::string &alias : aliases) {
    OpSpec copy = spec;
    copy.name = alias;
    ops_[alias] = std::move(copy);
    aliasOf_[alias] = spec.name;
  }
  const std::string name = spec.name;
  ops_[name] = std::move(spec);
}

void OpRegistry::setGradient(const std::string &name, GradientFn gradient) {
  auto found = ops_.find(name);
  if (found == ops_.end())
    throw Error(formatMessage("setGradient: unknown operator '", name, "'"));
  for (const auto &[alias, canonical] : aliasOf_)
    if (canonical == name)
      ops_[alias].gradient = gradient;
  found->second.gradient = std::move(gradient);
}

void OpRegistry::setSymbolTraits(const std::string &name, SymbolTraits traits) {
  auto found = ops_.find(name);
  if (found == ops_.end())
    throw Error(
        formatMessage("setSymbolTraits: unknown operator '", name, "'"));
  for (const auto &[alias, canonical] : aliasOf_)
    if (canonical == name)
      ops_[alias].symbol = traits;
  found->second.symbol = std::move(traits);
}

const OpSpec *OpRegistry::find(const std::string &name) const {
  auto found = ops_.find(name);
  return found == ops_.end() ? nullptr : &found->second;
}

std::string OpRegistry::canonicalName(const std::string &name) const {
  auto graphName = graphNameOf_.find(name);
  if (graphName != graphNameOf_.end())
    return graphName->second;
  auto found = aliasOf_.find(name);
  return found == aliasOf_.end() ? name : found->second;
}

void OpRegistry::setGraphName(const std::string &name,
                              const std::string &graphName) {
  if (!find(name) || !find(graphName))
    throw Error(formatMessage("setGraphName: unknown operator '",
                              find(name) ? graphName : name, "'"));
  graphNameOf_[name] = graphName;
}

std::vector<const OpSpec *> OpRegistry::all() const {
  std::vector<const OpSpec *> specs;
  for (const auto &[name, spec] : ops_)
    specs.push_back(&spec);
  return specs;
}

namespace {
/// Whether `a` and `b` are the same elements of the same memory.
bool isSameTensor(const NDArray &a, const NDArray &b) {
  const Tensor &x = a.tensor(), &y = b.tensor();
  return a.var() == b.var() && x.storage() == y.storage() &&
         x.offset() == y.offset() && x.shape() == y.shape() &&
         x.strides() == y.strides() && x.dtype() == y.dtype();
}
} // namespace

NDArray invokeOp(const std::string &name, const std::vector<NDArray> &inputs,
                 const AttrMap &attrs, const NDArray &out) {
  const OpSpec *spec = OpRegistry::global().find(name);
  if (!spec)
    throw Error(formatMessage("unknown operator '", name, "'"));
  return invokeOp(*spec, inputs, attrs, out);
}

namespace {

/// The op's count of inputs: "*data" takes one or more (concat, stack);
/// trailing names ending in '?' may be left out (SequenceMask's
/// "sequence_length?").
void checkInputs(const OpSpec &spec, const std::vector<NDArray> &inputs) {
  const bool variadic =
      spec.inputs.size() == 1 && spec.inputs[0].front() == '*';
  size_t required = spec.inputs.size();
  while (required > 0 && spec.inputs[required - 1].back() == '?')
    --required;
  if (variadic ? inputs.empty()
               : inputs.size() < required || inputs.size() > spec.inputs.size())
    throw Error(
        formatMessage(spec.name, ": expected ",
                      variadic ? std::string("one or more")
                      : required == spec.inputs.size()
                          ? std::to_string(required)
                          : formatMessage(required, " to ", spec.inputs.size()),
                      " input arrays, got ", inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].isNone()) {
      std::string input = spec.inputs[variadic ? 0 : i];
      if (input.back() == '?')
        input.pop_back();
      throw Error(formatMessage(spec.name, ": input '", input,
                                "' is an empty NDArray handle"));
    }
}

/// MXNet's rule for where an op runs: on its first input's device (all
/// inputs on one device type, else the error MXNet gives); an op without
/// inputs (creation, sampling) on the current one, its ctx. CPU ids may mix:
/// they are one host memory, and the result takes the first input's id.
void enterDevice(const OpSpec &spec, const std::vector<NDArray> &inputs,
                 std::optional<DeviceScope> &scope) {
  if (inputs.empty())
    return;
  const Device device = inputs.front().device();
  for (size_t i = 1; i < inputs.size(); ++i)
    if (inputs[i].device().type != device.type)
      throw Error(formatMessage(
          "Operator ", spec.name,
          " require all inputs live on the same context. But the first "
          "argument is on ",
          device.toString(), " while the ", i + 1, "-th argument is on ",
          inputs[i].device().toString()));
  scope.emplace(device);
}

/// A mistake found below the op (an allocation too large, an op it is made
/// of) still names the op the user called.
[[noreturn]] void rethrowNamed(const std::string &name, const Error &error) {
  const std::string message = error.what();
  if (message.compare(0, name.size() + 1, name + ":") == 0)
    throw error;
  throw Error(name + ": " + message, error.kind());
}

} // namespace

std::vector<NDArray> invokeOpOutputs(const OpSpec &op,
                                     const std::vector<NDArray> &inputs,
                                     const AttrMap &attrs,
                                     const std::vector<NDArray> &outs) {
  if (op.splitCalls) {
    std::vector<AttrMap> calls;
    try {
      calls = op.splitCalls(Attrs(op.name, op.attrs, attrs), attrs);
    } catch (const Error &error) {
      rethrowNamed(op.name, error);
    }
    if (!calls.empty()) {
      if (!outs.empty() && outs.size() != calls.size())
        throw Error(formatMessage(op.name, ": out has ", outs.size(),
                                  " arrays, expected ", calls.size()));
      std::vector<NDArray> results;
      for (size_t i = 0; i < calls.size(); ++i)
        results.push_back(
            invokeOp(op, inputs, calls[i], outs.empty() ? NDArray() : outs[i]));
      return results;
    }
  }
  if (!op.computeOutputs) {
    if (outs.size() > 1)
      throw Error(formatMessage(op.name, ": out has ", outs.size(),
                                " arrays, expected 1"));
    return {invokeOp(op, inputs, attrs, outs.empty() ? NDArray() : outs[0])};
  }
  checkInputs(op, inputs);
  for (const NDArray &out : outs)
    if (out.isNone())
      throw Error(formatMessage(op.name, ": out holds an empty NDArray "
                                         "handle"));
  std::optional<DeviceScope> device;
  enterDevice(op, inputs, device);
  Attrs parsed(op.name, op.attrs, attrs);
  const bool record = op.outputsGradient && autograd::isRecording() &&
                      autograd::anyTakesGradient(inputs);
  if (record)
    for (const NDArray &out : outs)
      autograd::checkInPlaceWhileRecording(op.name, out);
  std::vector<NDArray> results;
  {
    autograd::RecordingScope recording(false);
    try {
      results = op.computeOutputs(inputs, parsed, outs);
      if (!outs.empty() && results.size() != outs.size())
        throw Error(formatMessage(op.name, ": out has ", outs.size(),
                                  " arrays, expected ", results.size()));
    } catch (const Error &error) {
      rethrowNamed(op.name, error);
    }
  }
  if (!record && autograd::isRecording()) {
    std::vector<NDArray> untracked;
    for (const NDArray &result : results)
      if (!result.autogradEntry())
        untracked.push_back(result);
    if (!untracked.empty())
      autograd::recordReachOnly(op.name, inputs, untracked);
  }
  if (record) {
    const OpSpec *spec = &op; // Registry entries live for the whole process.
    autograd::recordFunction(
        op.name, inputs, results,
        [spec, parsed](const std::vector<NDArray> &in,
                       const std::vector<NDArray> &outputs,
                       const std::vector<NDArray> &outputGrads) {
          return spec->outputsGradient(
              OutputsGradientArgs{in, outputs, outputGrads, parsed});
        });
  }
  return results;
}

NDArray invokeOp(const OpSpec &op, const std::vector<NDArray> &inputs,
                 const AttrMap &attrs, const NDArray &out) {
  if (!op.compute) {
    // A multi-output op called for one result (C++ callers of LayerNorm,
    // moments): its first output, as MXNet's visible one.
    if (!out.isNone())
      throw Error(formatMessage(op.name, ": has several outputs; pass out "
                                         "as a list of arrays"));
    return invokeOpOutputs(op, inputs, attrs).front();
  }
  const OpSpec *spec = &op;
  const std::string &name = op.name;
  checkInputs(op, inputs);
  std::optional<DeviceScope> device;
  enterDevice(op, inputs, device);
  Attrs parsed(name, spec->attrs, attrs);
  // Gradients come from the primitives the op dispatches, which record
  // themselves; an op with a rule of its own (OpSpec::gradient) runs them
  // unrecorded and is recorded whole instead.
  const bool takesGradient =
      autograd::isRecording() && autograd::anyTakesGradient(inputs);
  if (takesGradient && !out.isNone())
    autograd::checkInPlaceWhileRecording(name, out);
  const bool recordWhole = takesGradient && spec->gradient;
  NDArray result;
  {
    autograd::RecordingScope recording(autograd::isRecording() && !recordWhole);
    try {
      result = spec->compute(inputs, parsed, out);
    } catch (const Error &error) {
      rethrowNamed(name, error);
    }
    // An op that had nothing to do (a reshape to the same shape) still
    // returns a handle of its own, as a view.
    for (const NDArray &input : inputs)
      if (&result.tensor() == &input.tensor()) {
        result = result.view(result.tensor());
        break;
      }
    // Views share their base's variable, so only the very tensor of out
    // (same storage, offset, extents and strides) means the op wrote out.
    if (!out.isNone() && !isSameTensor(result, out)) {
      // An op that made a new array (or a view): copy it into out.
      if (result.shape() != out.shape())
        throw Error(formatMessage(name, ": out has shape ",
                                  shapeToString(out.shape()), ", expected ",
                                  shapeToString(result.shape())));
      // As MXNet: out must have the result's dtype (a silent cast wrote a
      // softmax into an int32 out as zeros).
      if (result.dtype() != out.dtype())
        throw Error(formatMessage(name, ": out has dtype ",
                                  dtypeName(out.dtype()), ", expected ",
                                  dtypeName(result.dtype())));
      // A view of the memory out is in (slice(a, out=a[3:6])) may overlap
      // it: copyInto moves it whole.
      result = dispatch::copyInto(result, out);
    }
  }
  if (recordWhole)
    autograd::recordOp(*spec, parsed, inputs, result);
  else if (autograd::isRecording() && !result.autogradEntry())
    // A result no recorded primitive gave a gradient (argsort, topk's
    // indices, shape_array): its inputs get MXNet's zeros (Autograd.h).
    autograd::recordReachOnly(name, inputs, {result});
  return result;
}

} // namespace kiln
