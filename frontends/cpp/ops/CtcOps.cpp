//===- CtcOps.cpp - CTCLoss (connectionist temporal classification) -------===//
//
// MXNet 1.9.1's CTCLoss (also ctc_loss, _contrib_CTCLoss, _contrib_ctc_loss)
// runs the runtime's CPU forward-backward (runtime/cpu/Ctc.h), pushed to the
// engine with data and labels read and the loss written. As in MXNet, the
// gradient with respect to data comes out of the forward pass (the softmax
// minus the alpha-beta posteriors): while a backward pass may follow
// (training, data taking a gradient) the kernel writes it too and it is kept
// for the op's gradient rule (SavedForBackward), which scales it by the head
// gradient of each batch item. A rule that finds nothing kept (recorded in
// predict mode, or a second backward through a retained graph) runs the
// kernel again. Labels and lengths are read as integers (truncated, as
// MXNet's casts); their values are checked in the kernel, so a bad one
// raises at the next wait on the loss.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Ops.h"
#include "frontends/cpp/ops/SavedForBackward.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Engine.h"
#include "runtime/Error.h"
#include "runtime/cpu/Ctc.h"

namespace kiln {
namespace ops {
namespace {

struct Inputs {
  NDArray data, label, dataLengths, labelLengths;
  CtcOptions options;
};

void requireVector(const std::string &op, const char *name, const NDArray &x,
                   int64_t batch) {
  if (x.shape().size() != 1 || x.shape()[0] != batch)
    throw Error(formatMessage(op, ": ", name, " expected shape (", batch,
                              ",) (one length per batch item), got ",
                              shapeToString(x.shape())));
  if (x.dtype() == DType::Bool)
    throw Error(formatMessage(op, ": ", name, " expected a numeric dtype, got ",
                              dtypeName(x.dtype())));
}

Inputs parse(const std::string &op, const std::vector<NDArray> &in,
             const Attrs &attrs) {
  const bool useData = attrs.getBool("use_data_lengths");
  const bool useLabel = attrs.getBool("use_label_lengths");
  const bool blankFirst =
      attrs.getChoice("blank_label", {"first", "last"}) == "first";
  const size_t expected = 2 + useData + useLabel;
  if (in.size() != expected)
    throw Error(formatMessage(
        op, ": expected ", expected, " input arrays (data, label",
        useData ? ", data_lengths" : "", useLabel ? ", label_lengths" : "",
        ") with use_data_lengths=", useData ? "True" : "False",
        " and use_label_lengths=", useLabel ? "True" : "False", ", got ",
        in.size()));
  Inputs inputs;
  inputs.data = in[0];
  inputs.label = in[1];
  const Shape &data = in[0].shape(), &label = in[1].shape();
  if (data.size() != 3)
    throw Error(formatMessage(op,
                              ": data expected 3 dimensions (seq_len, "
                              "batch, alphabet_size), got shape ",
                              shapeToString(data)));
  const DType dtype = in[0].dtype();
  if (dtype != DType::Float32 && dtype != DType::Float64)
    throw Error(formatMessage(op, ": data expected dtype float32 or float64, ",
                              "got ", dtypeName(dtype)));
  if (data[2] < 1)
    throw Error(formatMessage(op, ": data expected alphabet_size >= 1 (the ",
                              "blank's channel), got shape ",
                              shapeToString(data)));
  if (label.size() != 2)
    throw Error(formatMessage(op, ": label expected 2 dimensions (batch, ",
                              "label_len), got shape ", shapeToString(label)));
  if (in[1].dtype() == DType::Bool)
    throw Error(formatMessage(op, ": label expected a numeric dtype, got ",
                              dtypeName(in[1].dtype())));
  if (label[0] != data[1])
    throw Error(formatMessage(op, ": label expected batch size ", data[1],
                              " (data's), got shape ", shapeToString(label)));
  if (label[1] > data[0])
    throw Error(formatMessage(op, ": label_len (", label[1],
                              ") exceeds data's seq_len (", data[0], ")"));
  if (useData) {
    inputs.dataLengths = in[2];
    requireVector(op, "data_lengths", in[2], data[1]);
  }
  if (useLabel) {
    inputs.labelLengths = in[2 + useData];
    requireVector(op, "label_lengths", in[2 + useData], data[1]);
  }
  inputs.options.blank = blankFirst ? 0 : data[2] - 1;
  inputs.options.padding = blankFirst ? 0 : -1;
  return inputs;
}

struct Result {
  NDArray loss;
  NDArray grad; // none unless asked for
};

/// `x` as a contiguous int64 array.
NDArray integers(const NDArray &x) {
  return x.isNone() ? x : dispatch::cast(x, DType::Int64);
}

Tensor tensorOf(const NDArray &x) { return x.isNone() ? Tensor() : x.tensor(); }

/// Pushes the kernel: the loss into `out` when it fits (else a new array),
/// and the gradient when `wantGrad`.
Result run(const std::string &op, const Inputs &inputs, bool wantGrad,
           const NDArray &out = NDArray()) {
  const NDArray &x = inputs.data;
  NDArray data = x.tensor().isContiguous() ? x : dispatch::cast(x, x.dtype());
  NDArray label = integers(inputs.label);
  NDArray dataLengths = integers(inputs.dataLengths);
  NDArray labelLengths = integers(inputs.labelLengths);
  const Shape lossShape{x.shape()[1]};
  Result result;
  result.loss = !out.isNone() && out.shape() == lossShape &&
                        out.dtype() == x.dtype() && out.tensor().isContiguous()
                    ? out
                    : NDArray::empty(lossShape, x.dtype());
  std::vector<VarPtr> reads{data.var(), label.var()}, writes{result.loss.var()};
  for (const NDArray *lengths : {&dataLengths, &labelLengths})
    if (!lengths->isNone())
      reads.push_back(lengths->var());
  if (wantGrad) {
    result.grad = NDArray::empty(x.shape(), x.dtype());
    writes.push_back(result.grad.var());
  }
  Engine::global().push(
      [op, data = data.tensor(), label = label.tensor(),
       dataLengths = tensorOf(dataLengths),
       labelLengths = tensorOf(labelLengths), options = inputs.options,
       loss = result.loss.tensor(), grad = tensorOf(result.grad)] {
        ctcLoss(op, data, label, dataLengths, labelLengths, options, loss,
                grad);
      },
      x.device(), reads, writes, 0, op);
  return result;
}

SavedForBackward<NDArray> &savedGradients() {
  static auto *saved = new SavedForBackward<NDArray>;
  return *saved;
}

OpSpec ctcSpec(const std::string &name) {
  OpSpec spec;
  spec.name = name;
  spec.inputs = {"data", "label", "data_lengths?", "label_lengths?"};
  spec.attrs = {{"use_data_lengths", AttrSpec::Kind::Bool, "False"},
                {"use_label_lengths", AttrSpec::Kind::Bool, "False"},
                {"blank_label", AttrSpec::Kind::String, "first"}};
  spec.doc =
      "Connectionist Temporal Classification loss (Graves et al.), one value "
      "per batch item. data (seq_len, batch, alphabet_size): unnormalized "
      "activations (softmax is applied inside), float32 or float64 (MXNet "
      "1.9.1 takes float32 only); label (batch, label_len), any numeric "
      "dtype, label_len <= seq_len. blank_label 'first': channel 0 is the "
      "blank, labels are 1 .. alphabet_size - 1 and 0 pads; 'last': channel "
      "alphabet_size - 1 is the blank, labels are 0 .. alphabet_size - 2 and "
      "-1 pads. use_data_lengths / use_label_lengths: data_lengths / "
      "label_lengths (batch,) give each item's steps / label count (the "
      "inputs follow label in that order, each only when its flag is set). "
      "Returns (batch,) in data's dtype; an item whose labels cannot be "
      "aligned in its steps (labels plus repeated neighbours exceed them) "
      "has loss 0 and gradient 0, as MXNet's 0. The gradient with respect "
      "to data is softmax(data) minus the posteriors of the alignments, "
      "times the head gradient, 0 past an item's length. Errors at the "
      "call: shapes, dtypes, the input count against the flags; at the next "
      "wait: a label outside [0, alphabet_size) or equal to the blank, a "
      "length out of range.";
  spec.compute = [name](const std::vector<NDArray> &in, const Attrs &attrs,
                        const NDArray &out) {
    const Inputs inputs = parse(name, in, attrs);
    // Kept only where a backward pass may follow (recording trains by
    // default); invokeOp runs this op unrecorded, so ask the training flag.
    const bool wantGrad =
        autograd::isTraining() && autograd::takesGradient(in[0]);
    Result result = run(name, inputs, wantGrad, out);
    if (wantGrad)
      savedGradients().save(result.loss,
                            std::make_shared<NDArray>(result.grad));
    return result.loss;
  };
  spec.gradient = [name](const GradientArgs &args) -> std::vector<NDArray> {
    // The gradient is a kernel's result that records nothing: under
    // create_graph it would silently be a constant. MXNet 1.9.1 has no
    // second order here either.
    if (autograd::isRecording())
      throw Error(formatMessage(name, ": is not differentiable again ",
                                "(create_graph=True); second-order gradients ",
                                "through CTCLoss are not supported"));
    std::shared_ptr<NDArray> saved = savedGradients().take(args.output);
    NDArray grad = saved ? *saved
                         : run(name, parse(name, args.inputs, args.attrs),
                               /*wantGrad=*/true)
                               .grad;
    const int64_t batch = grad.shape()[1];
    NDArray head = dispatch::reshape(args.outputGrad, {1, batch, 1});
    std::vector<NDArray> grads(args.inputs.size());
    grads[0] = dispatch::elementwise(name, "mul", {grad, head}, grad.dtype());
    return grads;
  };
  return spec;
}

} // namespace

void registerCtcOps(OpRegistry &registry) {
  for (const char *name :
       {"CTCLoss", "ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"})
    registry.add(ctcSpec(name));
}

} // namespace ops
} // namespace kiln
