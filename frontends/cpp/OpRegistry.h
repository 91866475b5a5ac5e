//===- OpRegistry.h - MXNet's operators, defined once -----------*- C++ -*-===//
//
// Every frontend operator is registered here once, under its MXNet name,
// with its inputs, its attribute schema (names, kinds and defaults, given in
// MXNet's string forms) and the function that checks its arguments eagerly
// and queues its kernels. The Python package generates mx.nd.<op> from this
// table, so C++ and Python share one definition.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_OPREGISTRY_H
#define KILN_FRONTENDS_CPP_OPREGISTRY_H

#include "frontends/cpp/NDArray.h"

#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// Attribute values as MXNet writes them: "3", "(0, 1)", "True", "float32".
using AttrMap = std::map<std::string, std::string>;

struct AttrSpec {
  enum class Kind {
    Int,
    Float,
    /// MXNet's `float` parameter field: the number rounded to float32 as
    /// MXNet parses it (the optimizers' lr, wd, beta1, ...), so that
    /// 1 - beta2 and lr of a float64 weight's update are MXNet's.
    Float32,
    Bool,
    IntTuple,
    /// MXNet's tuple of <float>: "(0.1, 0.2)" (multi_sgd_update's lrs).
    FloatTuple,
    OptionalIntTuple,
    OptionalInt,
    /// A tuple whose items may be None: slice's begin/end "(None, 2)".
    OptionalIntList,
    DType,
    String
  };
  std::string name;
  Kind kind;
  /// The default in MXNet's string form; nullopt makes the attribute required.
  std::optional<std::string> defaultValue;
};

/// The dtype MXNet's name `name` stands for ("float32", "int64", ...), or
/// nullopt for a name kiln has no dtype of.
std::optional<DType> dtypeFromName(const std::string &name);

/// Typed access to an op's attributes, parsed from their string forms; every
/// bad value is a kiln::Error naming the op, the attribute, expected and got.
class Attrs {
public:
  Attrs(const std::string &op, const std::vector<AttrSpec> &specs,
        const AttrMap &given);

  int64_t getInt(const std::string &name) const;
  /// The number; rounded to float32 for a Kind::Float32 attribute.
  double getFloat(const std::string &name) const;
  bool getBool(const std::string &name) const;
  std::vector<int64_t> getIntTuple(const std::string &name) const;
  std::vector<double> getFloatTuple(const std::string &name) const;
  /// Empty when the value is "None".
  std::optional<std::vector<int64_t>>
  getOptionalIntTuple(const std::string &name) const;
  std::optional<int64_t> getOptionalInt(const std::string &name) const;
  std::vector<std::optional<int64_t>>
  getOptionalIntList(const std::string &name) const;
  DType getDType(const std::string &name) const;
  /// The value as given, quotes removed.
  std::string getString(const std::string &name) const;
  /// getString(name), which must be one of `choices`; else the error
  /// "op: name expected 'a', 'b' or 'c', got 'value'".
  std::string getChoice(const std::string &name,
                        std::initializer_list<const char *> choices) const;
  /// Whether the value is "None".
  bool isNone(const std::string &name) const;

private:
  const std::string &raw(const std::string &name) const;
  [[noreturn]] void fail(const std::string &name, const char *expected) const;

  std::string op_;
  AttrMap values_;
  std::vector<std::string> float32Names_; // Of the Kind::Float32 specs.
};

/// What an op's gradient rule sees: the recorded inputs and output (carrying
/// their autograd places, so rules built from ops differentiate again) and
/// the gradient flowing into the output.
struct GradientArgs {
  const std::vector<NDArray> &inputs;
  const NDArray &output;
  const NDArray &outputGrad;
  const Attrs &attrs;
};

/// An op's gradient rule: one gradient per input, each of that input's shape
/// and dtype (a none NDArray for inputs that take none, such as indices).
/// Rules are written with invokeOp, so backward runs through the same ops and
/// kernel cache, and is itself recorded for higher-order gradients.
using GradientFn = std::function<std::vector<NDArray>(const GradientArgs &)>;

/// The same for an op with several outputs (gelqf, syevd, slogdet): every
/// output and the gradient flowing into each (zeros where none flows).
struct OutputsGradientArgs {
  const std::vector<NDArray> &inputs;
  const std::vector<NDArray> &outputs;
  const std::vector<NDArray> &outputGrads;
  const Attrs &attrs;
};
using OutputsGradientFn =
    std::function<std::vector<NDArray>(const OutputsGradientArgs &)>;

/// What the symbolic API (mx.sym) knows of an op beyond running it: MXNet's
/// FListInputNames, FMutateInputs, FListOutputNames and the half of
/// FInferShape that tells parameters' shapes from the data's. Every member
/// is optional; the defaults suit an op with fixed inputs and one output.
struct SymbolTraits {
  /// The inputs a node of this op has under its attributes (default: the
  /// spec's inputs without the optional ones).
  std::function<std::vector<std::string>(const Attrs &)> listInputs;
  /// Inputs that are auxiliary states, which the op updates rather than
  /// learns (BatchNorm's moving_mean and moving_var).
  std::vector<std::string> auxInputs;
  /// The visible outputs' names (default {"output"}): the arrays compute or
  /// computeOutputs returns, in order.
  std::function<std::vector<std::string>(const Attrs &)> listOutputs;
  /// Fills in the shapes of inputs that follow from the others' and the
  /// attributes (a weight's from the data's), in `shapes` (one per listed
  /// input; nullopt: unknown; an extent of 0: unknown, as in MXNet 1.x).
  /// Throws kiln::Error when the known shapes contradict each other.
  std::function<void(const Attrs &, std::vector<std::optional<Shape>> &)>
      inferInputShapes;
  /// The __init__ attribute (an initializer's dumps()) of variables made
  /// for inputs the caller leaves out, by input name (MXNet's
  /// FSetInputVarAttrOnCompose: BatchNorm's moving_var starts at one).
  std::map<std::string, std::string> inputInitializers;
  /// Fills in the dtypes of inputs left unknown that follow from the
  /// attributes and the known ones (MXNet's FInferType, backward half), in
  /// `dtypes` (one per listed input; nullopt: unknown): BatchNorm's
  /// float32 statistics beside float16 data, Embedding's weight of its
  /// `dtype`. Inputs it leaves unknown take the first known input's dtype
  /// (MXNet's default rule).
  std::function<void(const Attrs &, std::vector<std::optional<DType>> &)>
      inferInputTypes;
};

struct OpSpec {
  std::string name;
  /// MXNet's input names. A single "*data" takes one or more arrays
  /// (concat); names ending in '?', last in the list, are optional inputs
  /// the caller may leave out (SequenceMask's "sequence_length?"): compute
  /// then gets fewer arrays.
  std::vector<std::string> inputs;
  std::vector<AttrSpec> attrs;
  std::string doc;
  /// Checks, queues the kernels, returns the result (written into `out` when
  /// that is not none).
  std::function<NDArray(const std::vector<NDArray> &inputs, const Attrs &attrs,
                        const NDArray &out)>
      compute;
  /// Ops with several outputs (the multi-tensor optimizer updates) give
  /// this instead of `compute`: it returns every output, written into
  /// `outs` when that is not empty (then one array per output). They run
  /// unrecorded; autograd records them whole when they give
  /// `outputsGradient`, and not at all otherwise.
  std::function<std::vector<NDArray>(const std::vector<NDArray> &inputs,
                                     const Attrs &attrs,
                                     const std::vector<NDArray> &outs)>
      computeOutputs = nullptr;
  /// Empty for ops whose output is constant to autograd (comparisons,
  /// argmax, creation): recording then leaves the output out of the graph.
  GradientFn gradient = nullptr;
  /// The gradient rule of an op with `computeOutputs`.
  OutputsGradientFn outputsGradient = nullptr;
  /// Single-output ops whose attributes may ask for several outputs, each
  /// the op's own call with other attributes (topk's ret_typ='both' is its
  /// 'value' call, then its 'indices' call): the attributes of those calls,
  /// or none for the one output. Each call is recorded as the op is, so
  /// every output differentiates as its single form does.
  std::function<std::vector<AttrMap>(const Attrs &attrs, const AttrMap &given)>
      splitCalls = nullptr;
  SymbolTraits symbol;
};

class OpRegistry {
public:
  static OpRegistry &global();

  /// Registers `spec` (and the same op under each of `aliases`).
  void add(OpSpec spec, const std::vector<std::string> &aliases = {});
  /// Gives the op `name` (and its aliases' entries, looked up by the same
  /// name) a gradient rule; kiln::Error if no op has that name.
  void setGradient(const std::string &name, GradientFn gradient);
  /// Gives the op `name` (and its aliases) its symbolic traits; kiln::Error
  /// if no op has that name.
  void setSymbolTraits(const std::string &name, SymbolTraits traits);
  /// The op named `name`, or null.
  const OpSpec *find(const std::string &name) const;
  /// The name a graph records for the op called `name`, as MXNet's
  /// (nnvm's) graphs do: the canonical name of an alias (a + b is
  /// elemwise_add), or the one setGraphName gave.
  std::string canonicalName(const std::string &name) const;
  /// Makes graphs record the op called `name` as `graphName` (another
  /// registered name for the same op), where MXNet's canonical name is not
  /// kiln's (MXNet records pad as Pad, linalg_gemm as _linalg_gemm).
  void setGraphName(const std::string &name, const std::string &graphName);
  std::vector<const OpSpec *> all() const;

private:
  std::map<std::string, OpSpec> ops_;
  /// Each alias's canonical name.
  std::map<std::string, std::string> aliasOf_;
  /// Names graphs record instead of canonicalName's default.
  std::map<std::string, std::string> graphNameOf_;
};

/// Runs the op `name` (kiln::Error if unknown, or on bad inputs/attributes).
/// While autograd records and an input takes a gradient, the call is
/// recorded with the op's gradient rule.
NDArray invokeOp(const std::string &name, const std::vector<NDArray> &inputs,
                 const AttrMap &attrs, const NDArray &out = NDArray());
/// The same for an op already looked up (callers on hot paths keep it).
NDArray invokeOp(const OpSpec &op, const std::vector<NDArray> &inputs,
                 const AttrMap &attrs, const NDArray &out = NDArray());

/// Runs an op and returns all its outputs (one for ops with `compute`),
/// written into `outs` when that is not empty.
std::vector<NDArray> invokeOpOutputs(const OpSpec &op,
                                     const std::vector<NDArray> &inputs,
                                     const AttrMap &attrs,
                                     const std::vector<NDArray> &outs = {});

} // namespace kiln

#endif // KILN_FRONTENDS_CPP_OPREGISTRY_H
