//===- SymbolInference.cpp ------------------------------------------------===//
#include "frontends/cpp/SymbolInference.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/ops/Ops.h"
#include "runtime/Error.h"
#include "runtime/ShapeOnly.h"

namespace kiln {
namespace symbolic {
namespace {

const OpSpec &findOp(const std::string &op) {
  const OpSpec *spec = OpRegistry::global().find(op);
  if (!spec)
    throw Error(formatMessage("unknown operator '", op, "'"));
  return *spec;
}

bool isVariadic(const OpSpec &spec) {
  return spec.inputs.size() == 1 && spec.inputs[0].front() == '*';
}

/// Restores the random draw count on the way out: shape-only evaluation of
/// a random op must not move mx.random's sequence.
class RandomDrawsKept {
public:
  RandomDrawsKept() : count_(ops::randomDrawCount()) {}
  ~RandomDrawsKept() { ops::setRandomDrawCount(count_); }

private:
  uint64_t count_;
};

} // namespace

bool isKnown(const std::optional<Shape> &shape) {
  if (!shape)
    return false;
  for (int64_t extent : *shape)
    if (extent <= 0)
      return false;
  return true;
}

void setInputShape(std::vector<std::optional<Shape>> &shapes, size_t index,
                   const Shape &expected, const char *name) {
  if (index >= shapes.size())
    return;
  std::optional<Shape> &shape = shapes[index];
  if (!shape) {
    shape = expected;
    return;
  }
  bool consistent = shape->size() == expected.size();
  for (size_t d = 0; consistent && d < expected.size(); ++d) {
    int64_t &extent = (*shape)[d];
    if (extent == 0)
      extent = expected[d];
    else if (expected[d] != 0 && extent != expected[d])
      consistent = false;
  }
  if (!consistent)
    throw Error(formatMessage(name, " expected shape ", shapeToString(expected),
                              ", got ", shapeToString(*shape)));
}

NodeInterface nodeInterface(const std::string &op, const AttrMap &attrs) {
  const OpSpec &spec = findOp(op);
  NodeInterface interface;
  interface.inputInitializers = spec.symbol.inputInitializers;
  // Variadic ops count their inputs in num_args, which is not an attribute
  // of their spec.
  AttrMap opAttrs = attrs;
  if (isVariadic(spec))
    opAttrs.erase("num_args");
  if (isVariadic(spec) && spec.symbol.listInputs) {
    // A variadic op whose inputs are named by its attributes (bilinear
    // UpSampling: data and weight); an empty list means "by num_args".
    interface.inputs = spec.symbol.listInputs(Attrs(op, spec.attrs, opAttrs));
    if (!interface.inputs.empty()) {
      interface.outputs = {"output"};
      return interface;
    }
  }
  if (isVariadic(spec)) {
    // MXNet's variadic ops count their inputs in num_args.
    auto found = attrs.find("num_args");
    if (found == attrs.end())
      throw Error(formatMessage(op, ": missing required argument 'num_args'"));
    int64_t count = 0;
    try {
      count = std::stoll(found->second);
    } catch (const std::exception &) {
      count = -1;
    }
    if (count < 1 || count > kMaxNodeArity)
      throw Error(formatMessage(op,
                                ": argument 'num_args' expected an integer "
                                "from 1 to ",
                                kMaxNodeArity, ", got '", found->second, "'"));
    for (int64_t i = 0; i < count; ++i)
      interface.inputs.push_back("arg" + std::to_string(i));
    interface.outputs =
        spec.symbol.listOutputs
            ? spec.symbol.listOutputs(Attrs(op, spec.attrs, opAttrs))
            : std::vector<std::string>{"output"};
    return interface;
  }
  const Attrs parsed(op, spec.attrs, attrs);
  if (spec.symbol.listInputs) {
    interface.inputs = spec.symbol.listInputs(parsed);
  } else {
    for (const std::string &input : spec.inputs)
      if (input.back() != '?')
        interface.inputs.push_back(input);
  }
  interface.auxInputs = spec.symbol.auxInputs;
  interface.outputs = spec.symbol.listOutputs
                          ? spec.symbol.listOutputs(parsed)
                          : std::vector<std::string>{"output"};
  return interface;
}

NodeInference inferNode(const std::string &op, const AttrMap &attrs,
                        std::vector<ValueInfo> inputs, bool training) {
  const OpSpec &spec = findOp(op);
  // Attributes that are not the op's (num_args of a variadic op) stay out.
  AttrMap opAttrs;
  for (const auto &[name, value] : attrs)
    for (const AttrSpec &attr : spec.attrs)
      if (attr.name == name)
        opAttrs[name] = value;
  const Attrs parsed(op, spec.attrs, isVariadic(spec) ? opAttrs : attrs);

  if (spec.symbol.inferInputShapes) {
    std::vector<std::optional<Shape>> shapes;
    for (const ValueInfo &input : inputs)
      shapes.push_back(input.shape);
    try {
      spec.symbol.inferInputShapes(parsed, shapes);
    } catch (const Error &error) {
      const std::string message = error.what();
      if (message.compare(0, op.size() + 1, op + ":") == 0)
        throw;
      throw Error(op + ": " + message, error.kind());
    }
    for (size_t i = 0; i < inputs.size() && i < shapes.size(); ++i)
      inputs[i].shape = shapes[i];
  }
  if (spec.symbol.inferInputTypes) {
    std::vector<std::optional<DType>> dtypes;
    for (const ValueInfo &input : inputs)
      dtypes.push_back(input.dtype);
    spec.symbol.inferInputTypes(parsed, dtypes);
    for (size_t i = 0; i < inputs.size() && i < dtypes.size(); ++i)
      if (!inputs[i].dtype)
        inputs[i].dtype = dtypes[i];
  }
  std::optional<DType> common;
  for (const ValueInfo &input : inputs)
    if (input.dtype) {
      common = input.dtype;
      break;
    }
  for (ValueInfo &input : inputs)
    if (!input.dtype)
      input.dtype = common;

  NodeInference result{inputs, {}};
  for (const ValueInfo &input : inputs)
    if (!isKnown(input.shape) || !input.dtype)
      return result;

  ShapeOnlyScope shapesOnly;
  RandomDrawsKept randomDraws;
  autograd::RecordingScope unrecorded(false);
  autograd::TrainingScope mode(training);
  std::vector<NDArray> arrays;
  for (const ValueInfo &input : inputs)
    arrays.push_back(NDArray::empty(*input.shape, *input.dtype));
  const std::vector<NDArray> outputs =
      invokeOpOutputs(spec, arrays, isVariadic(spec) ? opAttrs : attrs);
  for (const NDArray &output : outputs)
    result.outputs.push_back({output.shape(), output.dtype()});
  return result;
}

} // namespace symbolic
} // namespace kiln
