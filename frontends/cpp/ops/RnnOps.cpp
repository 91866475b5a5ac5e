//===- RnnOps.cpp - MXNet's fused RNN operator ----------------------------===//
//
// RNN: vanilla (relu, tanh), LSTM (with projection and cell clipping) and
// GRU layers, stacked and bidirectional, on parameters packed as MXNet 1.9.1
// packs them, so that its saved weights load and give the same outputs.
//
// Per layer and direction, one matmul projects every time step's input at
// once; the recurrence is then one engine op that, step by step, multiplies
// the previous state by the hidden weights (oneDNN) and applies the gates
// with one fused graph kernel, writing the state, the cell and the gate
// activations in place. Backward is the op's own rule: the same loop run
// backwards with fused gate-gradient kernels, then the weight gradients of
// all steps as one matmul each. It reads the activations the forward pass
// kept while training (MXNet's reserve space); without them (recorded
// outside training) it first runs the forward pass again.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"
#include "frontends/cpp/ops/SavedForBackward.h"

#include "compiler/GraphBuilder.h"
#include "compiler/KernelCache.h"
#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "frontends/cpp/SymbolInference.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"

#include <cmath>
#include <cstdint>
#include <utility>

namespace kiln {
namespace ops {
namespace {

constexpr const char *kOp = "RNN";

enum class Mode { RnnRelu, RnnTanh, Lstm, Gru };

/// The op's attributes and the extents of its inputs, checked.
struct Config {
  Mode mode = Mode::Lstm;
  int64_t gates = 4;
  int64_t layers = 1, directions = 1;
  /// H: state_size, the width of gates and cells.
  int64_t hidden = 0;
  /// P, or 0 without a projection.
  int64_t projection = 0;
  /// R: the recurrent state's width (P with a projection, else H).
  int64_t state = 0;
  int64_t steps = 0, batch = 0, inputSize = 0;
  double dropout = 0;
  bool stateOutputs = false;
  bool clip = false, clipNan = false;
  double clipMin = 0, clipMax = 0;
  /// use_sequence_length.
  bool masked = false;
  DType dtype = DType::Float32;

  bool lstm() const { return mode == Mode::Lstm; }
  int64_t width() const { return gates * hidden; }
  int64_t inputOf(int64_t layer) const {
    return layer == 0 ? inputSize : state * directions;
  }
  /// Layers times directions: the rows of state and state_cell.
  int64_t cells() const { return layers * directions; }
  size_t outputCount() const { return stateOutputs ? (lstm() ? 3 : 2) : 1; }
};

/// Where one layer and direction's parameters start in the flat vector.
struct Slot {
  int64_t wx = 0, wh = 0, wr = 0, bx = 0, bh = 0;
};

/// MXNet's packing: every weight first, by layer then direction: i2h
/// (G*H x input), h2h (G*H x R) and, with a projection, h2r (P x H); then
/// every bias, in the same order: i2h and h2h (G*H each). Gates are stacked
/// in MXNet's order: LSTM i, f, g, o; GRU r, z, n. Returns the count of
/// parameters; fills `slots` (one per layer and direction) when given.
int64_t parameterLayout(const Config &c, std::vector<Slot> *slots = nullptr) {
  if (slots)
    slots->assign(c.cells(), Slot());
  Slot unused;
  auto slotOf = [&](int64_t layer, int64_t k) -> Slot & {
    return slots ? (*slots)[layer * c.directions + k] : unused;
  };
  int64_t offset = 0;
  // Extents come from the user (an empty data array may be very wide).
  auto advance = [&offset](int64_t rows, int64_t cols) {
    int64_t size;
    if (__builtin_mul_overflow(rows, cols, &size) ||
        __builtin_add_overflow(offset, size, &offset))
      throw Error(formatMessage(kOp, ": the parameters would have more than ",
                                INT64_MAX, " elements"));
  };
  for (int64_t layer = 0; layer < c.layers; ++layer)
    for (int64_t k = 0; k < c.directions; ++k) {
      Slot &slot = slotOf(layer, k);
      slot.wx = offset;
      advance(c.width(), c.inputOf(layer));
      slot.wh = offset;
      advance(c.width(), c.state);
      if (c.projection) {
        slot.wr = offset;
        advance(c.projection, c.hidden);
      }
    }
  for (int64_t layer = 0; layer < c.layers; ++layer)
    for (int64_t k = 0; k < c.directions; ++k) {
      Slot &slot = slotOf(layer, k);
      slot.bx = offset;
      advance(1, c.width());
      slot.bh = offset;
      advance(1, c.width());
    }
  return offset;
}

struct Inputs {
  NDArray data, params, state, cell, lengths;
};

/// A positive extent attribute, small enough for the products of two.
int64_t extentAttr(const Attrs &attrs, const char *name) {
  const int64_t value = attrs.getInt(name);
  if (value < 1 || value > (int64_t{1} << 31))
    throw Error(formatMessage(kOp, ": ", name,
                              " expected a positive integer, got ", value));
  return value;
}

void checkShape(const char *what, const NDArray &array, const Shape &expected,
                const char *meaning) {
  if (array.shape() != expected)
    throw Error(formatMessage(kOp, ": ", what, " expected shape ",
                              shapeToString(expected), " (", meaning, "), got ",
                              shapeToString(array.shape())));
}

/// Checks everything before anything is queued.
/// The attributes' half of the configuration (no extents from arrays).
Config parseAttrs(const Attrs &attrs) {
  Config c;
  const std::string mode =
      attrs.getChoice("mode", {"rnn_relu", "rnn_tanh", "lstm", "gru"});
  c.mode = mode == "rnn_relu"   ? Mode::RnnRelu
           : mode == "rnn_tanh" ? Mode::RnnTanh
           : mode == "lstm"     ? Mode::Lstm
                                : Mode::Gru;
  c.gates = c.mode == Mode::Lstm ? 4 : c.mode == Mode::Gru ? 3 : 1;
  c.hidden = extentAttr(attrs, "state_size");
  c.layers = extentAttr(attrs, "num_layers");
  if (c.layers > (int64_t{1} << 20)) // Keeps the checks below instant.
    throw Error(formatMessage(kOp, ": num_layers expected at most ",
                              int64_t{1} << 20, ", got ", c.layers));
  c.directions = attrs.getBool("bidirectional") ? 2 : 1;
  c.stateOutputs = attrs.getBool("state_outputs");
  c.masked = attrs.getBool("use_sequence_length");
  c.dropout = attrs.getFloat("p");
  if (!(c.dropout >= 0 && c.dropout <= 1))
    throw Error(
        formatMessage(kOp, ": p expected a value in [0, 1], got ", c.dropout));
  if (std::optional<int64_t> projection =
          attrs.getOptionalInt("projection_size")) {
    if (!c.lstm())
      throw Error(formatMessage(kOp,
                                ": projection_size is only supported "
                                "with mode 'lstm', got mode '",
                                mode, "'"));
    if (*projection < 1 || *projection > (int64_t{1} << 31))
      throw Error(formatMessage(
          kOp, ": projection_size expected a positive integer, got ",
          *projection));
    c.projection = *projection;
  }
  c.state = c.projection ? c.projection : c.hidden;
  const bool hasMin = !attrs.isNone("lstm_state_clip_min"),
             hasMax = !attrs.isNone("lstm_state_clip_max");
  if (hasMin != hasMax)
    throw Error(
        formatMessage(kOp,
                      ": lstm_state_clip_min and "
                      "lstm_state_clip_max must be given "
                      "together, got only ",
                      hasMin ? "lstm_state_clip_min" : "lstm_state_clip_max"));
  if (hasMin) {
    c.clipMin = attrs.getFloat("lstm_state_clip_min");
    c.clipMax = attrs.getFloat("lstm_state_clip_max");
    if (!(c.clipMin <= c.clipMax))
      throw Error(formatMessage(kOp, ": lstm_state_clip_min (", c.clipMin,
                                ") must not exceed lstm_state_clip_max (",
                                c.clipMax, ")"));
    // As in MXNet, clipping is an LSTM option; other modes ignore it.
    c.clip = c.lstm();
    c.clipNan = attrs.getBool("lstm_state_clip_nan");
  }
  return c;
}

Config parse(const std::vector<NDArray> &in, const Attrs &attrs,
             Inputs &inputs) {
  Config c = parseAttrs(attrs);
  const std::string mode = attrs.getString("mode");
  const size_t expected = (c.lstm() ? 4 : 3) + (c.masked ? 1 : 0);
  if (in.size() != expected)
    throw Error(formatMessage(
        kOp, ": mode '", mode, "'", c.masked ? " with use_sequence_length" : "",
        " expects ", expected, " input arrays (data, parameters, state",
        c.lstm() ? ", state_cell" : "", c.masked ? ", sequence_length" : "",
        "), got ", in.size()));
  inputs.data = in[0];
  inputs.params = in[1];
  inputs.state = in[2];
  if (c.lstm())
    inputs.cell = in[3];
  if (c.masked)
    inputs.lengths = in.back();

  const NDArray &data = inputs.data;
  c.dtype = data.dtype();
  if (c.dtype != DType::Float32 && c.dtype != DType::Float64)
    throw Error(formatMessage(kOp,
                              ": data expected dtype float32 or float64, "
                              "got ",
                              dtypeName(c.dtype)),
                Error::Kind::Type);
  if (data.shape().size() != 3)
    throw Error(formatMessage(kOp,
                              ": data expected rank 3 (sequence length, "
                              "batch size, input size: layout TNC), got shape ",
                              shapeToString(data.shape())));
  c.steps = data.shape()[0];
  c.batch = data.shape()[1];
  c.inputSize = data.shape()[2];
  const char *names[] = {"parameters", "state", "state_cell"};
  for (size_t i = 1; i < (c.lstm() ? 4u : 3u); ++i)
    if (in[i].dtype() != c.dtype)
      throw Error(formatMessage(kOp, ": ", names[i - 1], " expected dtype ",
                                dtypeName(c.dtype),
                                " (the dtype of data), got ",
                                dtypeName(in[i].dtype())),
                  Error::Kind::Type);

  const int64_t total = parameterLayout(c);
  const NDArray &params = inputs.params;
  if (params.shape().size() != 1 || params.shape()[0] != total)
    throw Error(formatMessage(
        kOp, ": parameters expected shape ", shapeToString({total}), " (",
        total, " values for mode '", mode, "', ", c.layers, " layer",
        c.layers > 1 ? "s" : "", c.directions == 2 ? ", bidirectional" : "",
        ", input size ", c.inputSize, ", state_size ", c.hidden,
        c.projection ? formatMessage(", projection_size ", c.projection) : "",
        "), got shape ", shapeToString(params.shape())));
  checkShape("state", inputs.state, {c.cells(), c.batch, c.state},
             c.directions == 2 ? "2 * num_layers, batch size, state width"
                               : "num_layers, batch size, state width");
  if (c.lstm())
    checkShape("state_cell", inputs.cell, {c.cells(), c.batch, c.hidden},
               c.directions == 2 ? "2 * num_layers, batch size, state_size"
                                 : "num_layers, batch size, state_size");
  if (c.masked) {
    checkShape("sequence_length", inputs.lengths, {c.batch},
               "one length per batch element");
    if (inputs.lengths.dtype() == DType::Bool)
      throw Error(formatMessage(kOp, ": sequence_length expected a numeric "
                                     "dtype, got bool"),
                  Error::Kind::Type);
  }
  return c;
}

//===----------------------------------------------------------------------===//
// Views
//===----------------------------------------------------------------------===//

/// The contiguous array itself, else a contiguous copy.
NDArray contiguous(const NDArray &x) {
  return x.tensor().isContiguous() ? x : dispatch::cast(x, x.dtype());
}

/// A `rows` x `cols` matrix of the flat `params` at `offset`; transposed
/// (cols x rows) when `transpose`.
NDArray matrixAt(const NDArray &params, int64_t offset, int64_t rows,
                 int64_t cols, bool transpose = false) {
  const Tensor &t = params.tensor();
  return params.view(
      transpose ? t.strided({cols, rows}, {1, cols}, t.offset() + offset)
                : t.strided({rows, cols}, {cols, 1}, t.offset() + offset));
}

/// Plane `index` of a rank-3 view, as a matrix.
Tensor plane(const Tensor &t, int64_t index) {
  return t.strided({t.shape()[1], t.shape()[2]},
                   {t.strides()[1], t.strides()[2]},
                   t.offset() + index * t.strides()[0]);
}

/// Columns [begin, begin + width) of a matrix.
Tensor columns(const Tensor &t, int64_t begin, int64_t width) {
  return t.strided({t.shape()[0], width}, t.strides(),
                   t.offset() + begin * t.strides()[1]);
}

/// Planes [begin, begin + count) of a rank-3 view.
Tensor planes(const Tensor &t, int64_t begin, int64_t count) {
  return t.strided({count, t.shape()[1], t.shape()[2]}, t.strides(),
                   t.offset() + begin * t.strides()[0]);
}

/// Channels [begin, begin + width) along the last axis of a rank-3 view.
Tensor channels(const Tensor &t, int64_t begin, int64_t width) {
  return t.strided({t.shape()[0], t.shape()[1], width}, t.strides(),
                   t.offset() + begin * t.strides()[2]);
}

/// A contiguous rank-3 array seen as a matrix of its first two axes by the
/// last.
NDArray flatRows(const NDArray &x) {
  return x.view(
      x.tensor().reshaped({x.shape()[0] * x.shape()[1], x.shape()[2]}));
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

KernelEntryFn matmulKernel(DType dtype) {
  return compiler::KernelCache::global().get(
      {"matmul", {{dtype, 2}, {dtype, 2}}, {{dtype, 2}}});
}

/// Queues `run` on the engine, reading and writing the given arrays.
void enqueue(const std::vector<NDArray> &reads,
             const std::vector<NDArray> &writes, std::function<void()> run) {
  std::vector<VarPtr> readVars, writeVars;
  for (const NDArray &array : reads)
    readVars.push_back(array.var());
  for (const NDArray &array : writes)
    writeVars.push_back(array.var());
  Engine::global().push(std::move(run), Device::cpu(), readVars, writeVars,
                        /*priority=*/0, kOp);
}

/// out = a @ b (matrices), into `out`, which may be a view.
void matmulInto(const NDArray &a, const NDArray &b, const NDArray &out) {
  KernelEntryFn kernel = matmulKernel(out.dtype());
  std::vector<Tensor> arguments{a.tensor(), b.tensor(), out.tensor()};
  enqueue({a, b}, {out},
          [kernel, arguments] { invokeKernel(kernel, arguments); });
}

/// One kiln function of 2-D arrays for a step of the recurrence, over a
/// compiler::Graph: each value is a full (batch x width) array, a row
/// (1 x width, a bias), a column of booleans (batch x 1, the sequence mask)
/// or a scalar.
class StepGraph {
public:
  using Value = compiler::Value;

  explicit StepGraph(DType dtype) : dtype_(dtype), graph_("rnn_step", kOp) {}

  Value full() { return graph_.argument(dtype_, 2); }
  Value row() { return graph_.argument(dtype_, 2, /*unitDims=*/0b01); }
  Value mask() { return graph_.argument(DType::Bool, 2, /*unitDims=*/0b10); }

  /// A literal; NaN and infinities (lstm_state_clip_min/max of -inf/inf)
  /// included.
  Value constant(double value) { return graph_.literal(value, dtype_); }
  Value unary(const char *op, const Value &x) { return graph_.unary(op, x); }
  /// Comparisons give booleans.
  Value binary(const char *op, const Value &a, const Value &b) {
    return graph_.binary(op, a, b);
  }
  Value add(const Value &a, const Value &b) { return binary("add", a, b); }
  Value sub(const Value &a, const Value &b) { return binary("sub", a, b); }
  Value mul(const Value &a, const Value &b) { return binary("mul", a, b); }
  Value mul(const Value &a, const Value &b, const Value &c) {
    return mul(mul(a, b), c);
  }
  Value select(const Value &m, const Value &a, const Value &b) {
    return graph_.select(m, a, b);
  }
  /// x * (1 - x): the derivative of a sigmoid from its value.
  Value sigmoidSlope(const Value &x) { return mul(x, sub(one(), x)); }
  /// 1 - x * x: the derivative of tanh from its value.
  Value tanhSlope(const Value &x) { return sub(one(), mul(x, x)); }
  Value one() {
    if (!one_.valid())
      one_ = constant(1);
    return one_;
  }
  Value zero() {
    if (!zero_.valid())
      zero_ = constant(0);
    return zero_;
  }

  void result(const Value &value) { graph_.result(value); }

  KernelEntryFn kernel() const { return graph_.compile(); }

private:
  DType dtype_;
  compiler::Graph graph_;
  Value one_, zero_;
};

/// What a step kernel is built for.
struct StepOptions {
  Mode mode;
  DType dtype;
  bool masked, projection, clip, clipNan;
  double clipMin, clipMax;
};

/// `cell` limited to [clipMin, clipMax]; NaN stays NaN unless clipNan
/// (then it becomes clipMin, as fmax/fmin do in cuDNN's clipping).
StepGraph::Value clipCell(StepGraph &g, StepGraph::Value cell,
                          const StepOptions &o) {
  const StepGraph::Value low = g.constant(o.clipMin),
                         high = g.constant(o.clipMax);
  if (o.clipNan)
    cell = g.select(g.binary("ne", cell, cell), low, cell);
  cell = g.select(g.binary("lt", cell, low), low, cell);
  return g.select(g.binary("gt", cell, high), high, cell);
}

/// LSTM, one step forward.
///   in:  x_i, x_f, x_g, x_o (input projections), h_i .. h_o (hidden
///        projections), b_i .. b_o (bias rows), c_prev, [mask, h_prev]
///   out: i, f, g, o (activations), c, h (before the projection, if any)
KernelEntryFn lstmForwardKernel(const StepOptions &o) {
  StepGraph g(o.dtype);
  StepGraph::Value x[4], h[4], b[4];
  for (auto &v : x)
    v = g.full();
  for (auto &v : h)
    v = g.full();
  for (auto &v : b)
    v = g.row();
  const StepGraph::Value cellPrev = g.full();
  StepGraph::Value mask, statePrev;
  if (o.masked) {
    mask = g.mask();
    if (!o.projection)
      statePrev = g.full();
  }
  StepGraph::Value gate[4];
  for (int k = 0; k < 4; ++k) {
    const StepGraph::Value sum = g.add(g.add(x[k], h[k]), b[k]);
    gate[k] = g.unary(k == 2 ? "tanh" : "sigmoid", sum);
  }
  StepGraph::Value cell =
      g.add(g.mul(gate[1], cellPrev), g.mul(gate[0], gate[2]));
  if (o.clip)
    cell = clipCell(g, cell, o);
  StepGraph::Value out = g.mul(gate[3], g.unary("tanh", cell));
  if (o.masked) {
    cell = g.select(mask, cell, cellPrev);
    if (!o.projection)
      out = g.select(mask, out, statePrev);
  }
  for (const auto &v : gate)
    g.result(v);
  g.result(cell);
  g.result(out);
  return g.kernel();
}

/// GRU, one step forward (MXNet's and cuDNN's form: the reset gate scales
/// the hidden projection of n with its bias).
///   in:  x_r, x_z, x_n, h_r, h_z, h_n, b_r, b_z (both biases summed),
///        bx_n, bh_n, h_prev, [mask]
///   out: r, z, n, h_n + bh_n, h
KernelEntryFn gruForwardKernel(const StepOptions &o) {
  StepGraph g(o.dtype);
  StepGraph::Value x[3], h[3];
  for (auto &v : x)
    v = g.full();
  for (auto &v : h)
    v = g.full();
  const StepGraph::Value br = g.row(), bz = g.row(), bxn = g.row(),
                         bhn = g.row(), statePrev = g.full();
  StepGraph::Value mask;
  if (o.masked)
    mask = g.mask();
  const StepGraph::Value r = g.unary("sigmoid", g.add(g.add(x[0], h[0]), br));
  const StepGraph::Value z = g.unary("sigmoid", g.add(g.add(x[1], h[1]), bz));
  const StepGraph::Value hn = g.add(h[2], bhn);
  const StepGraph::Value n =
      g.unary("tanh", g.add(g.add(x[2], bxn), g.mul(r, hn)));
  // (1 - z) * n + z * h_prev, as n + z * (h_prev - n).
  StepGraph::Value out = g.add(n, g.mul(z, g.sub(statePrev, n)));
  if (o.masked)
    out = g.select(mask, out, statePrev);
  for (const auto &v : {r, z, n, hn, out})
    g.result(v);
  return g.kernel();
}

/// Vanilla RNN, one step forward.
///   in:  x, h, b, [mask, h_prev]      out: h
KernelEntryFn vanillaForwardKernel(const StepOptions &o) {
  StepGraph g(o.dtype);
  const StepGraph::Value x = g.full(), h = g.full(), b = g.row();
  StepGraph::Value mask, statePrev;
  if (o.masked) {
    mask = g.mask();
    statePrev = g.full();
  }
  StepGraph::Value out =
      g.unary(o.mode == Mode::RnnTanh ? "tanh" : "relu", g.add(g.add(x, h), b));
  if (o.masked)
    out = g.select(mask, out, statePrev);
  g.result(out);
  return g.kernel();
}

/// With a projection and a mask: the projected state, or the previous one
/// where the sequence has ended.   in: r, r_prev, mask   out: state
KernelEntryFn blendKernel(DType dtype) {
  StepGraph g(dtype);
  const StepGraph::Value fresh = g.full(), prev = g.full(), mask = g.mask();
  g.result(g.select(mask, fresh, prev));
  return g.kernel();
}

/// The gradient reaching a step's state: from the output (dy) and from the
/// next step (dr, plus the carried part when the state can pass a step
/// unchanged). Returns it masked, setting `carry` to what passes on
/// unchanged where the sequence has ended.
StepGraph::Value stateGradient(StepGraph &g, const StepGraph::Value &dy,
                               const StepGraph::Value &dr,
                               const StepGraph::Value *carryIn,
                               const StepGraph::Value *mask,
                               StepGraph::Value *carry) {
  const StepGraph::Value future = carryIn ? g.add(dr, *carryIn) : dr;
  const StepGraph::Value total = g.add(dy, future);
  if (!mask)
    return total;
  *carry = g.select(*mask, g.zero(), future);
  return g.select(*mask, total, g.zero());
}

/// `values` as the graph's results, zero where `mask` (when given) is
/// false: no gradient reaches a step past its sequence's end.
void maskedResults(StepGraph &g, const std::vector<StepGraph::Value> &values,
                   const StepGraph::Value *mask) {
  for (const StepGraph::Value &value : values)
    g.result(mask ? g.select(*mask, value, g.zero()) : value);
}

/// LSTM, one step backward.
///   in:  i, f, g, o, c, c_prev, then dy, dr, dc_next, [mask, carry]; with a
///        projection dh (already through it), dc_next, [mask]
///   out: di, df, dg, do (pre-activation), dc_prev, [carry]
KernelEntryFn lstmBackwardKernel(const StepOptions &o) {
  StepGraph g(o.dtype);
  StepGraph::Value gate[4];
  for (auto &v : gate)
    v = g.full();
  const StepGraph::Value cell = g.full(), cellPrev = g.full();
  StepGraph::Value dh, dy, dr, mask, carryIn, carry;
  if (o.projection)
    dh = g.full();
  else {
    dy = g.full();
    dr = g.full();
  }
  const StepGraph::Value dcNext = g.full();
  if (o.masked) {
    mask = g.mask();
    if (!o.projection)
      carryIn = g.full();
  }
  if (!o.projection)
    dh = stateGradient(g, dy, dr, o.masked ? &carryIn : nullptr,
                       o.masked ? &mask : nullptr, &carry);
  const StepGraph::Value &i = gate[0], &f = gate[1], &cand = gate[2],
                         &out = gate[3];
  const StepGraph::Value tc = g.unary("tanh", cell);
  StepGraph::Value dc = g.add(dcNext, g.mul(dh, out, g.tanhSlope(tc)));
  if (o.clip) {
    // Zero where the cell was clipped (the saved cell is the clipped one).
    const StepGraph::Value inside =
        g.binary("logical_and", g.binary("gt", cell, g.constant(o.clipMin)),
                 g.binary("lt", cell, g.constant(o.clipMax)));
    dc = g.select(inside, dc, g.zero());
  }
  maskedResults(g,
                {g.mul(dc, cand, g.sigmoidSlope(i)),
                 g.mul(dc, cellPrev, g.sigmoidSlope(f)),
                 g.mul(dc, i, g.tanhSlope(cand)),
                 g.mul(dh, tc, g.sigmoidSlope(out))},
                o.masked ? &mask : nullptr);
  // Past a sequence's end the cell passes on unchanged.
  const StepGraph::Value dcPrev = g.mul(dc, f);
  g.result(o.masked ? g.select(mask, dcPrev, dcNext) : dcPrev);
  if (o.masked && !o.projection)
    g.result(carry);
  return g.kernel();
}

/// With a projection: the gradient of the projected state.
///   in: dy, dr, [mask, carry]      out: dstate, [carry]
KernelEntryFn projectionGradientKernel(const StepOptions &o) {
  StepGraph g(o.dtype);
  const StepGraph::Value dy = g.full(), dr = g.full();
  StepGraph::Value mask, carryIn, carry;
  if (o.masked) {
    mask = g.mask();
    carryIn = g.full();
  }
  g.result(stateGradient(g, dy, dr, o.masked ? &carryIn : nullptr,
                         o.masked ? &mask : nullptr, &carry));
  if (o.masked)
    g.result(carry);
  return g.kernel();
}

/// GRU, one step backward.
///   in:  r, z, n, hn (h_n + bh_n), h_prev, dy, dr, carry, [mask]
///   out: the input-side gradients dr, dz, dn; the hidden-side ones (dn
///        times r); and the gradient passed on to h_prev directly (carry)
KernelEntryFn gruBackwardKernel(const StepOptions &o) {
  StepGraph g(o.dtype);
  const StepGraph::Value r = g.full(), z = g.full(), n = g.full(),
                         hn = g.full(), statePrev = g.full(), dy = g.full(),
                         dr = g.full(), carryIn = g.full();
  StepGraph::Value mask;
  if (o.masked)
    mask = g.mask();
  const StepGraph::Value future = g.add(dr, carryIn);
  StepGraph::Value dh = g.add(dy, future);
  if (o.masked)
    dh = g.select(mask, dh, g.zero());
  const StepGraph::Value dn = g.mul(dh, g.sub(g.one(), z), g.tanhSlope(n));
  const StepGraph::Value dz = g.mul(dh, g.sub(statePrev, n), g.sigmoidSlope(z));
  const StepGraph::Value dReset = g.mul(dn, hn, g.sigmoidSlope(r));
  // The hidden side's r and z parts equal the input side's; each result
  // needs a value of its own, so they are computed again in another order.
  const StepGraph::Value dResetAgain = g.mul(g.mul(dn, g.sigmoidSlope(r)), hn);
  const StepGraph::Value dzAgain =
      g.mul(g.mul(dh, g.sigmoidSlope(z)), g.sub(statePrev, n));
  maskedResults(g, {dReset, dz, dn, dResetAgain, dzAgain, g.mul(dn, r)},
                o.masked ? &mask : nullptr);
  const StepGraph::Value carry = g.mul(dh, z);
  g.result(o.masked ? g.select(mask, carry, future) : carry);
  return g.kernel();
}

/// Vanilla RNN, one step backward.
///   in: h, dy, dr, [mask, carry]      out: da, [carry]
KernelEntryFn vanillaBackwardKernel(const StepOptions &o) {
  StepGraph g(o.dtype);
  const StepGraph::Value h = g.full(), dy = g.full(), dr = g.full();
  StepGraph::Value mask, carryIn, carry;
  if (o.masked) {
    mask = g.mask();
    carryIn = g.full();
  }
  const StepGraph::Value dh =
      stateGradient(g, dy, dr, o.masked ? &carryIn : nullptr,
                    o.masked ? &mask : nullptr, &carry);
  g.result(o.mode == Mode::RnnTanh
               ? g.mul(dh, g.tanhSlope(h))
               : g.select(g.binary("gt", h, g.zero()), dh, g.zero()));
  if (o.masked)
    g.result(carry);
  return g.kernel();
}

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

/// One layer and direction's sequences, indexed by time. `states` has
/// steps + 1 planes: the initial state first (forward direction) or last
/// (reverse), so that step t reads its previous state at plane t (forward)
/// or t + 1 (reverse) and writes its own at the other. `cells` likewise.
struct Sequences {
  NDArray states, cells;
  /// The gate activations (LSTM i, f, g, o; GRU r, z, n, h_n + bh_n), one
  /// plane per step (one plane reused when not kept for backward).
  NDArray gates;
  /// With a projection: the LSTM output before it.
  NDArray unprojected;
};

/// What backward needs from forward (MXNet's reserve space).
struct Saved {
  Config config;
  Inputs inputs;
  /// Each layer's input, (T, N, input), after dropout; the first is data.
  std::vector<NDArray> layerInputs;
  /// The scaled dropout mask of each layer's input (none for layer 0, or
  /// when not training).
  std::vector<NDArray> dropMasks;
  std::vector<Sequences> sequences; // layer * directions + direction
  /// (T, N, 1) booleans: step t of batch element n is within its sequence.
  NDArray stepMask;
};

int64_t previousPlane(bool reverse, int64_t t) { return reverse ? t + 1 : t; }
int64_t ownPlane(bool reverse, int64_t t) { return reverse ? t : t + 1; }

StepOptions stepOptions(const Config &c) {
  return {c.mode, c.dtype,   c.masked,  c.projection != 0,
          c.clip, c.clipNan, c.clipMin, c.clipMax};
}

/// Runs the recurrence of one layer and direction over `projected` (the
/// input projections of every step, (T, N, G*H)) as one engine op.
void runRecurrence(const Config &c, bool reverse, const NDArray &projected,
                   const NDArray &params, const Slot &slot, const NDArray &bias,
                   const NDArray &stepMask, const Sequences &seq,
                   bool keepGates) {
  const StepOptions options = stepOptions(c);
  KernelEntryFn step = c.mode == Mode::Lstm  ? lstmForwardKernel(options)
                       : c.mode == Mode::Gru ? gruForwardKernel(options)
                                             : vanillaForwardKernel(options);
  KernelEntryFn matmul = matmulKernel(c.dtype);
  KernelEntryFn blend =
      c.projection && c.masked ? blendKernel(c.dtype) : nullptr;
  const Tensor hiddenT =
      matrixAt(params, slot.wh, c.width(), c.state, true).tensor();
  const Tensor projectionT =
      c.projection
          ? matrixAt(params, slot.wr, c.projection, c.hidden, true).tensor()
          : Tensor();
  const Tensor biasSum = bias.tensor();
  // GRU's n gate keeps its two biases apart (r scales the hidden one).
  const bool gru = c.mode == Mode::Gru;
  const Tensor gruInputBias =
      gru ? matrixAt(params, slot.bx + 2 * c.hidden, 1, c.hidden).tensor()
          : Tensor();
  const Tensor gruHiddenBias =
      gru ? matrixAt(params, slot.bh + 2 * c.hidden, 1, c.hidden).tensor()
          : Tensor();
  const Tensor hiddenPart =
      Tensor::empty({c.batch, c.width()}, c.dtype); // h_prev @ W_h^T
  const Tensor projectedState =
      c.projection && c.masked ? Tensor::empty({c.batch, c.projection}, c.dtype)
                               : Tensor();
  const Tensor xs = projected.tensor(),
               mask = stepMask.isNone() ? Tensor() : stepMask.tensor();
  const Tensor states = seq.states.tensor(),
               cells = c.lstm() ? seq.cells.tensor() : Tensor(),
               gates = seq.gates.isNone() ? Tensor() : seq.gates.tensor(),
               unprojected = c.projection ? seq.unprojected.tensor() : Tensor();
  const Config config = c;
  std::vector<NDArray> reads{projected, params, bias};
  if (!stepMask.isNone())
    reads.push_back(stepMask);
  std::vector<NDArray> writes{seq.states};
  for (const NDArray *array : {&seq.cells, &seq.gates, &seq.unprojected})
    if (!array->isNone())
      writes.push_back(*array);
  enqueue(reads, writes, [=] {
    const Config &c = config;
    const int64_t h = c.hidden;
    for (int64_t s = 0; s < c.steps; ++s) {
      const int64_t t = reverse ? c.steps - 1 - s : s;
      const Tensor statePrev = plane(states, previousPlane(reverse, t));
      const Tensor stateOut = plane(states, ownPlane(reverse, t));
      invokeKernel(matmul, {statePrev, hiddenT, hiddenPart});
      const Tensor x = plane(xs, t);
      const Tensor gate =
          gates.storage() ? plane(gates, keepGates ? t : 0) : Tensor();
      std::vector<Tensor> args;
      if (c.mode == Mode::Lstm) {
        for (int k = 0; k < 4; ++k)
          args.push_back(columns(x, k * h, h));
        for (int k = 0; k < 4; ++k)
          args.push_back(columns(hiddenPart, k * h, h));
        for (int k = 0; k < 4; ++k)
          args.push_back(columns(biasSum, k * h, h));
        args.push_back(plane(cells, previousPlane(reverse, t)));
        if (c.masked) {
          args.push_back(plane(mask, t));
          if (!c.projection)
            args.push_back(statePrev);
        }
        for (int k = 0; k < 4; ++k)
          args.push_back(columns(gate, k * h, h));
        args.push_back(plane(cells, ownPlane(reverse, t)));
        args.push_back(c.projection ? plane(unprojected, keepGates ? t : 0)
                                    : stateOut);
      } else if (c.mode == Mode::Gru) {
        for (int k = 0; k < 3; ++k)
          args.push_back(columns(x, k * h, h));
        for (int k = 0; k < 3; ++k)
          args.push_back(columns(hiddenPart, k * h, h));
        args.push_back(columns(biasSum, 0, h));
        args.push_back(columns(biasSum, h, h));
        args.push_back(gruInputBias);
        args.push_back(gruHiddenBias);
        args.push_back(statePrev);
        if (c.masked)
          args.push_back(plane(mask, t));
        for (int k = 0; k < 4; ++k)
          args.push_back(columns(gate, k * h, h));
        args.push_back(stateOut);
      } else {
        args = {x, hiddenPart, biasSum};
        if (c.masked) {
          args.push_back(plane(mask, t));
          args.push_back(statePrev);
        }
        args.push_back(stateOut);
      }
      invokeElementwiseKernel(step, args);
      if (c.projection) {
        const Tensor out = plane(unprojected, keepGates ? t : 0);
        if (!c.masked) {
          invokeKernel(matmul, {out, projectionT, stateOut});
        } else {
          invokeKernel(matmul, {out, projectionT, projectedState});
          invokeElementwiseKernel(
              blend, {projectedState, statePrev, plane(mask, t), stateOut});
        }
      }
    }
  });
}

/// The (T, N, 1) mask of steps within each sequence.
NDArray stepMaskOf(const Config &c, const NDArray &lengths) {
  NDArray times = dispatch::iota(kOp, {c.steps, 1}, 0, DType::Float64);
  // Lengths truncate to integers, as cuDNN takes them.
  NDArray bounds =
      dispatch::cast(dispatch::cast(lengths, DType::Int64), DType::Float64);
  NDArray within =
      dispatch::elementwise(kOp, "lt", {times, bounds}, DType::Bool);
  return dispatch::reshape(within, {c.steps, c.batch, 1});
}

/// The planes of `seq.states` that hold the outputs of steps 0 .. T-1.
NDArray outputStates(const Sequences &seq, bool reverse, int64_t steps) {
  return seq.states.view(planes(seq.states.tensor(), reverse ? 0 : 1, steps));
}

/// Runs the whole forward pass; keeps what backward needs in `saved` when
/// given. Returns output, [hy, [cy]], written into `outs` when given.
/// `masks` (one per layer) replaces the dropout masks drawn when training.
std::vector<NDArray> forward(const Config &c, const Inputs &in, bool training,
                             Saved *saved, const std::vector<NDArray> &outs,
                             const std::vector<NDArray> *masks = nullptr) {
  std::vector<Slot> slots;
  parameterLayout(c, &slots);
  const NDArray params = contiguous(in.params);
  const NDArray state = contiguous(in.state);
  const NDArray cell = c.lstm() ? contiguous(in.cell) : NDArray();
  const NDArray stepMask = c.masked ? stepMaskOf(c, in.lengths) : NDArray();
  const Shape outShape{c.steps, c.batch, c.state * c.directions};
  const NDArray output =
      outs.empty() ? NDArray::empty(outShape, c.dtype) : outs[0];
  const NDArray hy =
      outs.size() > 1  ? outs[1]
      : c.stateOutputs ? NDArray::empty({c.cells(), c.batch, c.state}, c.dtype)
                       : NDArray();
  const NDArray cy =
      outs.size() > 2 ? outs[2]
      : c.stateOutputs && c.lstm()
          ? NDArray::empty({c.cells(), c.batch, c.hidden}, c.dtype)
          : NDArray();
  if (saved) {
    saved->config = c;
    saved->inputs = in;
    saved->stepMask = stepMask;
  }
  const bool keep = saved != nullptr;
  NDArray layerInput = contiguous(in.data);
  NDArray dropMask;
  for (int64_t layer = 0; layer < c.layers; ++layer) {
    if (saved) {
      saved->layerInputs.push_back(layerInput);
      saved->dropMasks.push_back(dropMask);
    }
    const bool last = layer + 1 == c.layers;
    const NDArray layerOutput =
        last ? output : NDArray::empty(outShape, c.dtype);
    const int64_t inputSize = c.inputOf(layer);
    for (int64_t k = 0; k < c.directions; ++k) {
      const bool reverse = k == 1;
      const int64_t cellIndex = layer * c.directions + k;
      const Slot &slot = slots[cellIndex];
      const NDArray projected = dispatch::matmul(
          flatRows(layerInput),
          matrixAt(params, slot.wx, c.width(), inputSize, true));
      const NDArray bias =
          dispatch::elementwise(kOp, "add",
                                {matrixAt(params, slot.bx, 1, c.width()),
                                 matrixAt(params, slot.bh, 1, c.width())},
                                c.dtype);
      Sequences seq;
      const int64_t planesKept = keep ? c.steps : 1;
      seq.states = NDArray::empty({c.steps + 1, c.batch, c.state}, c.dtype);
      const int64_t initial = reverse ? c.steps : 0;
      auto planeOf = [](const NDArray &x, int64_t index) {
        return x.view(plane(x.tensor(), index));
      };
      dispatch::cast(planeOf(state, cellIndex), c.dtype,
                     planeOf(seq.states, initial));
      if (c.lstm()) {
        seq.cells = NDArray::empty({c.steps + 1, c.batch, c.hidden}, c.dtype);
        dispatch::cast(planeOf(cell, cellIndex), c.dtype,
                       planeOf(seq.cells, initial));
      }
      // LSTM's i, f, g, o; GRU's r, z, n and h_n + bh_n.
      if (c.mode == Mode::Lstm || c.mode == Mode::Gru)
        seq.gates =
            NDArray::empty({planesKept, c.batch, 4 * c.hidden}, c.dtype);
      if (c.projection)
        seq.unprojected =
            NDArray::empty({planesKept, c.batch, c.hidden}, c.dtype);
      runRecurrence(c, reverse,
                    projected.view(projected.tensor().reshaped(
                        {c.steps, c.batch, c.width()})),
                    params, slot, bias, stepMask, seq, keep);
      // The outputs (zero past each sequence's end) into the layer's output.
      const NDArray target = layerOutput.view(
          channels(layerOutput.tensor(), k * c.state, c.state));
      const NDArray states = outputStates(seq, reverse, c.steps);
      if (c.masked)
        dispatch::elementwise(kOp, "select",
                              {stepMask, states, dispatch::scalar(0, c.dtype)},
                              c.dtype, target);
      else
        dispatch::cast(states, c.dtype, target);
      if (!hy.isNone())
        dispatch::cast(planeOf(seq.states, reverse ? 0 : c.steps), c.dtype,
                       planeOf(hy, cellIndex));
      if (!cy.isNone())
        dispatch::cast(planeOf(seq.cells, reverse ? 0 : c.steps), c.dtype,
                       planeOf(cy, cellIndex));
      if (saved)
        saved->sequences.push_back(seq);
    }
    if (last)
      break;
    layerInput = layerOutput;
    dropMask = NDArray();
    if (masks) {
      dropMask = (*masks)[layer + 1];
    } else if (training && c.dropout > 0) {
      // Inverted dropout between layers, as MXNet's CPU kernels (its oneDNN
      // build ignores p): kept values scaled by 1 / (1 - p).
      NDArray uniform =
          call("_random_uniform", {},
               {{"shape", shapeAttr(outShape)}, {"dtype", dtypeName(c.dtype)}});
      NDArray kept = dispatch::elementwise(
          kOp, "ge", {uniform, dispatch::scalar(c.dropout, c.dtype)},
          DType::Bool);
      dropMask = dispatch::elementwise(
          kOp, "select",
          {kept,
           dispatch::scalar(c.dropout < 1 ? 1 / (1 - c.dropout) : 0, c.dtype),
           dispatch::scalar(0, c.dtype)},
          c.dtype);
    }
    if (!dropMask.isNone())
      layerInput =
          dispatch::elementwise(kOp, "mul", {layerOutput, dropMask}, c.dtype);
  }
  std::vector<NDArray> results{output};
  if (c.stateOutputs) {
    results.push_back(hy);
    if (c.lstm())
      results.push_back(cy);
  }
  return results;
}

//===----------------------------------------------------------------------===//
// Backward
//===----------------------------------------------------------------------===//

/// Gradients flowing into one layer and direction's recurrence.
struct StepGradients {
  /// (T, N, G*H): the gate pre-activations' gradients, input side and
  /// hidden side (the same array except for GRU).
  NDArray inputSide, hiddenSide;
  /// With a projection: (T, N, P), the projected states' gradients.
  NDArray projected;
};

/// Runs one layer and direction's recurrence backwards as one engine op;
/// writes the initial states' gradients into `dState` and `dCell` (planes
/// of the op's gradients).
StepGradients
runRecurrenceBackward(const Config &c, bool reverse, const Saved &saved,
                      const Sequences &seq, const NDArray &params,
                      const Slot &slot, const NDArray &dOutput,
                      const NDArray &dStateFinal, const NDArray &dCellFinal,
                      const NDArray &dState, const NDArray &dCell) {
  const StepOptions options = stepOptions(c);
  const bool lstm = c.mode == Mode::Lstm, gru = c.mode == Mode::Gru;
  KernelEntryFn step = lstm  ? lstmBackwardKernel(options)
                       : gru ? gruBackwardKernel(options)
                             : vanillaBackwardKernel(options);
  KernelEntryFn projectionStep =
      c.projection ? projectionGradientKernel(options) : nullptr;
  KernelEntryFn matmul = matmulKernel(c.dtype);
  // Whether a part of the state's gradient passes a step unchanged (GRU's
  // z * h_prev, and every state where a sequence has ended).
  const bool carries = gru || c.masked;
  const Shape rows{c.batch, c.state};
  StepGradients grads;
  grads.inputSide = NDArray::empty({c.steps, c.batch, c.width()}, c.dtype);
  grads.hiddenSide =
      gru ? NDArray::empty({c.steps, c.batch, c.width()}, c.dtype)
          : grads.inputSide;
  if (c.projection)
    grads.projected = NDArray::empty({c.steps, c.batch, c.projection}, c.dtype);
  // The running gradients, seeded with those of the final states.
  NDArray dr = dispatch::cast(dStateFinal, c.dtype);
  NDArray carry[2], dc[2];
  if (carries) {
    carry[0] = zerosOf(rows, c.dtype);
    carry[1] = NDArray::empty(rows, c.dtype);
  }
  if (lstm) {
    dc[0] = dispatch::cast(dCellFinal, c.dtype);
    dc[1] = NDArray::empty({c.batch, c.hidden}, c.dtype);
  }
  const Tensor hiddenW = matrixAt(params, slot.wh, c.width(), c.state).tensor();
  const Tensor projectionW =
      c.projection ? matrixAt(params, slot.wr, c.projection, c.hidden).tensor()
                   : Tensor();
  const Tensor dUnprojected =
      c.projection ? Tensor::empty({c.batch, c.hidden}, c.dtype) : Tensor();
  const Tensor states = seq.states.tensor(),
               cells = lstm ? seq.cells.tensor() : Tensor(),
               gates = seq.gates.isNone() ? Tensor() : seq.gates.tensor(),
               mask = c.masked ? saved.stepMask.tensor() : Tensor(),
               dy = dOutput.tensor(), dxs = grads.inputSide.tensor(),
               dhs = grads.hiddenSide.tensor(),
               dps = c.projection ? grads.projected.tensor() : Tensor();
  const Tensor drT = dr.tensor();
  const Tensor carryT[2] = {carries ? carry[0].tensor() : Tensor(),
                            carries ? carry[1].tensor() : Tensor()};
  const Tensor dcT[2] = {lstm ? dc[0].tensor() : Tensor(),
                         lstm ? dc[1].tensor() : Tensor()};
  const Config config = c;
  std::vector<NDArray> reads{seq.states, params, dOutput};
  for (const NDArray *array : {&seq.cells, &seq.gates, &saved.stepMask})
    if (!array->isNone())
      reads.push_back(*array);
  std::vector<NDArray> writes{grads.inputSide, grads.hiddenSide, dr};
  for (const NDArray *array :
       {&grads.projected, &carry[0], &carry[1], &dc[0], &dc[1]})
    if (!array->isNone())
      writes.push_back(*array);
  enqueue(reads, writes, [=] {
    const Config &c = config;
    const int64_t h = c.hidden;
    for (int64_t s = 0; s < c.steps; ++s) {
      // Backwards through the steps as forward ran them.
      const int64_t t = reverse ? s : c.steps - 1 - s;
      const int in = s % 2, out = 1 - in;
      const Tensor dyT = plane(dy, t), dx = plane(dxs, t);
      const Tensor maskT = c.masked ? plane(mask, t) : Tensor();
      std::vector<Tensor> args;
      if (c.mode == Mode::Lstm) {
        const Tensor gate = plane(gates, t);
        for (int k = 0; k < 4; ++k)
          args.push_back(columns(gate, k * h, h));
        args.push_back(plane(cells, ownPlane(reverse, t)));
        args.push_back(plane(cells, previousPlane(reverse, t)));
        if (c.projection) {
          std::vector<Tensor> first{dyT, drT};
          if (c.masked) {
            first.push_back(maskT);
            first.push_back(carryT[in]);
          }
          const Tensor dp = plane(dps, t);
          first.push_back(dp);
          if (c.masked)
            first.push_back(carryT[out]);
          invokeElementwiseKernel(projectionStep, first);
          invokeKernel(matmul, {dp, projectionW, dUnprojected});
          args.push_back(dUnprojected);
          args.push_back(dcT[in]);
          if (c.masked)
            args.push_back(maskT);
        } else {
          args.push_back(dyT);
          args.push_back(drT);
          args.push_back(dcT[in]);
          if (c.masked) {
            args.push_back(maskT);
            args.push_back(carryT[in]);
          }
        }
        for (int k = 0; k < 4; ++k)
          args.push_back(columns(dx, k * h, h));
        args.push_back(dcT[out]);
        if (c.masked && !c.projection)
          args.push_back(carryT[out]);
      } else if (c.mode == Mode::Gru) {
        const Tensor gate = plane(gates, t);
        for (int k = 0; k < 4; ++k)
          args.push_back(columns(gate, k * h, h));
        args.push_back(plane(states, previousPlane(reverse, t)));
        args.push_back(dyT);
        args.push_back(drT);
        args.push_back(carryT[in]);
        if (c.masked)
          args.push_back(maskT);
        const Tensor dh = plane(dhs, t);
        for (int k = 0; k < 3; ++k)
          args.push_back(columns(dx, k * h, h));
        for (int k = 0; k < 3; ++k)
          args.push_back(columns(dh, k * h, h));
        args.push_back(carryT[out]);
      } else {
        args = {plane(states, ownPlane(reverse, t)), dyT, drT};
        if (c.masked) {
          args.push_back(maskT);
          args.push_back(carryT[in]);
        }
        args.push_back(dx);
        if (c.masked)
          args.push_back(carryT[out]);
      }
      invokeElementwiseKernel(step, args);
      // The gradient reaching the previous state through the hidden weights.
      invokeKernel(matmul, {plane(dhs, t), hiddenW, drT});
    }
  });
  // After T steps the running values sit in buffer T % 2.
  const int last = static_cast<int>(c.steps % 2);
  if (carries)
    dispatch::elementwise(kOp, "add", {dr, carry[last]}, c.dtype, dState);
  else
    dispatch::cast(dr, c.dtype, dState);
  if (lstm)
    dispatch::cast(dc[last], c.dtype, dCell);
  return grads;
}

/// The gradients of data, parameters, state and state_cell.
std::vector<NDArray> backward(const Saved &saved, const NDArray &dOutput,
                              const NDArray &dHy, const NDArray &dCy,
                              bool wantData) {
  const Config &c = saved.config;
  std::vector<Slot> slots;
  const int64_t total = parameterLayout(c, &slots);
  const NDArray params = contiguous(saved.inputs.params);
  NDArray dParams = NDArray::empty({total}, c.dtype);
  NDArray dState = NDArray::empty({c.cells(), c.batch, c.state}, c.dtype);
  NDArray dCell = c.lstm()
                      ? NDArray::empty({c.cells(), c.batch, c.hidden}, c.dtype)
                      : NDArray();
  NDArray ones = call("_ones", {},
                      {{"shape", shapeAttr({1, c.steps * c.batch})},
                       {"dtype", dtypeName(c.dtype)}});
  auto planeOf = [](const NDArray &x, int64_t index) {
    return x.view(plane(x.tensor(), index));
  };
  auto transposed = [](const NDArray &x) { return dispatch::swapLastTwo(x); };
  NDArray dLayerOutput = contiguous(dOutput);
  NDArray dData;
  for (int64_t layer = c.layers - 1; layer >= 0; --layer) {
    const NDArray &layerInput = saved.layerInputs[layer];
    const int64_t inputSize = c.inputOf(layer);
    const bool needInput = layer > 0 || wantData;
    NDArray dInput;
    for (int64_t k = 0; k < c.directions; ++k) {
      const bool reverse = k == 1;
      const int64_t cellIndex = layer * c.directions + k;
      const Slot &slot = slots[cellIndex];
      const Sequences &seq = saved.sequences[cellIndex];
      const NDArray dy = dLayerOutput.view(
          channels(dLayerOutput.tensor(), k * c.state, c.state));
      const StepGradients grads = runRecurrenceBackward(
          c, reverse, saved, seq, params, slot, dy,
          dHy.isNone() ? zerosOf({c.batch, c.state}, c.dtype)
                       : planeOf(dHy, cellIndex),
          !c.lstm()      ? NDArray()
          : dCy.isNone() ? zerosOf({c.batch, c.hidden}, c.dtype)
                         : planeOf(dCy, cellIndex),
          planeOf(dState, cellIndex),
          c.lstm() ? planeOf(dCell, cellIndex) : NDArray());
      const NDArray dxs = flatRows(grads.inputSide),
                    dhs = flatRows(grads.hiddenSide);
      // The layer input's gradient first: the layer below waits for it.
      if (needInput) {
        NDArray part = dispatch::matmul(
            dxs, matrixAt(params, slot.wx, c.width(), inputSize));
        dInput =
            dInput.isNone()
                ? part
                : dispatch::elementwise(kOp, "add", {dInput, part}, c.dtype);
      }
      // The weights' gradients over every step at once.
      const NDArray previous = seq.states.view(
          planes(seq.states.tensor(), reverse ? 1 : 0, c.steps));
      matmulInto(transposed(dxs), flatRows(layerInput),
                 matrixAt(dParams, slot.wx, c.width(), inputSize));
      matmulInto(transposed(dhs), flatRows(contiguous(previous)),
                 matrixAt(dParams, slot.wh, c.width(), c.state));
      matmulInto(ones, dxs, matrixAt(dParams, slot.bx, 1, c.width()));
      matmulInto(ones, dhs, matrixAt(dParams, slot.bh, 1, c.width()));
      if (c.projection)
        matmulInto(transposed(flatRows(grads.projected)),
                   flatRows(seq.unprojected),
                   matrixAt(dParams, slot.wr, c.projection, c.hidden));
    }
    if (!needInput)
      break;
    dInput =
        dInput.view(dInput.tensor().reshaped({c.steps, c.batch, inputSize}));
    if (layer == 0) {
      dData = dInput;
      break;
    }
    const NDArray &mask = saved.dropMasks[layer];
    dLayerOutput =
        mask.isNone()
            ? dInput
            : dispatch::elementwise(kOp, "mul", {dInput, mask}, c.dtype);
  }
  std::vector<NDArray> result{dData, dParams, dState};
  if (c.lstm())
    result.push_back(dCell);
  if (c.masked)
    result.push_back(NDArray());
  return result;
}

SavedForBackward<Saved> &savedForwards() {
  static auto *saved = new SavedForBackward<Saved>;
  return *saved;
}

std::vector<NDArray> compute(const std::vector<NDArray> &in, const Attrs &attrs,
                             const std::vector<NDArray> &outs) {
  Inputs inputs;
  const Config c = parse(in, attrs, inputs);
  if (!outs.empty()) {
    if (outs.size() != c.outputCount())
      throw Error(formatMessage(kOp, ": out has ", outs.size(),
                                " arrays, expected ", c.outputCount()));
    const Shape shapes[] = {{c.steps, c.batch, c.state * c.directions},
                            {c.cells(), c.batch, c.state},
                            {c.cells(), c.batch, c.hidden}};
    for (size_t i = 0; i < outs.size(); ++i)
      if (outs[i].shape() != shapes[i] || outs[i].dtype() != c.dtype)
        throw Error(formatMessage(kOp, ": out ", i, " expected shape ",
                                  shapeToString(shapes[i]), " and dtype ",
                                  dtypeName(c.dtype), ", got shape ",
                                  shapeToString(outs[i].shape()), " and dtype ",
                                  dtypeName(outs[i].dtype())));
  }
  const bool training = autograd::isTraining();
  // Kept only where a backward pass may follow: recording (which trains by
  // default) with an input that takes a gradient.
  std::shared_ptr<Saved> saved;
  if (training && autograd::anyTakesGradient(in))
    saved = std::make_shared<Saved>();
  std::vector<NDArray> results =
      forward(c, inputs, training, saved.get(), outs);
  if (saved)
    savedForwards().save(results[0], std::move(saved));
  return results;
}

std::vector<NDArray> gradient(const OutputsGradientArgs &args) {
  // The rule runs fused kernels that record nothing: under create_graph
  // its result would silently be a constant. MXNet 1.9.1 has no second
  // order here either.
  if (autograd::isRecording())
    throw Error("RNN: is not differentiable again (create_graph=True); "
                "second-order gradients through RNN are not supported");
  autograd::RecordingScope paused(false);
  std::shared_ptr<Saved> saved = savedForwards().take(args.outputs[0]);
  if (!saved || saved->sequences.empty()) {
    // Recorded outside training, or differentiated again through a retained
    // graph (only the dropout masks were kept): run forward again with the
    // same masks, keeping its activations.
    const std::shared_ptr<Saved> masks = saved;
    saved = std::make_shared<Saved>();
    Inputs inputs;
    const Config c = parse(args.inputs, args.attrs, inputs);
    forward(c, inputs, /*training=*/false, saved.get(), {},
            masks ? &masks->dropMasks : nullptr);
  }
  // The dropout masks cannot be drawn again: keep them (not the larger
  // activations) for another backward through a retained graph.
  for (const NDArray &mask : saved->dropMasks)
    if (!mask.isNone()) {
      auto kept = std::make_shared<Saved>();
      kept->dropMasks = saved->dropMasks;
      savedForwards().save(args.outputs[0], std::move(kept));
      break;
    }
  const Config &c = saved->config;
  const NDArray none;
  return backward(*saved, args.outputGrads[0],
                  c.stateOutputs ? args.outputGrads[1] : none,
                  c.stateOutputs && c.lstm() ? args.outputGrads[2] : none,
                  autograd::takesGradient(args.inputs[0]));
}

} // namespace

void registerRnnOps(OpRegistry &registry) {
  OpSpec spec;
  spec.name = kOp;
  spec.inputs = {"data", "parameters", "state", "state_cell?",
                 "sequence_length?"};
  spec.attrs = {{"state_size", AttrSpec::Kind::Int, std::nullopt},
                {"num_layers", AttrSpec::Kind::Int, std::nullopt},
                {"bidirectional", AttrSpec::Kind::Bool, "False"},
                {"mode", AttrSpec::Kind::String, std::nullopt},
                {"p", AttrSpec::Kind::Float, "0"},
                {"state_outputs", AttrSpec::Kind::Bool, "False"},
                {"projection_size", AttrSpec::Kind::OptionalInt, "None"},
                {"lstm_state_clip_min", AttrSpec::Kind::Float, "None"},
                {"lstm_state_clip_max", AttrSpec::Kind::Float, "None"},
                {"lstm_state_clip_nan", AttrSpec::Kind::Bool, "False"},
                {"use_sequence_length", AttrSpec::Kind::Bool, "False"}};
  spec.doc =
      "Recurrent layers over data (seq_len, batch, input_size; layout TNC): "
      "mode rnn_relu, rnn_tanh, lstm or gru, num_layers stacked, "
      "bidirectional (outputs concatenated, forward first). Inputs: data, "
      "parameters (every weight, then every bias, as MXNet packs them: per "
      "layer and direction i2h (G*H x input), h2h (G*H x R), with "
      "projection_size h2r (P x H); then i2h and h2h biases; gates LSTM "
      "i,f,g,o, GRU r,z,n), state (layers*directions, batch, R), state_cell "
      "for lstm (layers*directions, batch, state_size), and sequence_length "
      "(batch,) with use_sequence_length: steps past a sequence's end keep "
      "the state and output zeros (cuDNN's semantics; MXNet's CPU build "
      "ignores it). R is projection_size (lstm only) or state_size. Returns "
      "output (seq_len, batch, directions*R), and with state_outputs also the "
      "final state and (lstm) cell. p: dropout between layers while training; "
      "lstm_state_clip_min/max (both or neither) clip the cell, "
      "lstm_state_clip_nan turns NaN into the minimum (as cuDNN; MXNet's CPU "
      "build ignores clipping). float32 or float64, all inputs alike. Errors: "
      "a parameter vector of the wrong length (expected vs got), states of "
      "the wrong shape, an unknown mode, the wrong number of inputs.";
  spec.computeOutputs = compute;
  spec.outputsGradient = gradient;
  spec.symbol.listInputs = [](const Attrs &attrs) {
    std::vector<std::string> names = {"data", "parameters", "state"};
    if (attrs.getString("mode") == "lstm")
      names.push_back("state_cell");
    if (attrs.getBool("use_sequence_length"))
      names.push_back("sequence_length");
    return names;
  };
  spec.symbol.listOutputs = [](const Attrs &attrs) {
    std::vector<std::string> names = {"output"};
    if (attrs.getBool("state_outputs")) {
      names.push_back("state_output");
      if (attrs.getString("mode") == "lstm")
        names.push_back("statecell_output");
    }
    return names;
  };
  // The packed parameter vector and the states from data (seq_len, batch,
  // input_size), as MXNet's RNN infers them.
  spec.symbol.inferInputShapes = [](const Attrs &attrs,
                                    std::vector<std::optional<Shape>> &shapes) {
    if (!shapes[0] || shapes[0]->size() != 3)
      return;
    Config c = parseAttrs(attrs);
    const Shape &data = *shapes[0];
    c.batch = data[1];
    c.inputSize = data[2];
    if (c.inputSize > 0)
      symbolic::setInputShape(shapes, 1, {parameterLayout(c)}, "parameters");
    symbolic::setInputShape(shapes, 2, {c.cells(), c.batch, c.state}, "state");
    size_t next = 3;
    if (c.lstm())
      symbolic::setInputShape(shapes, next++, {c.cells(), c.batch, c.hidden},
                              "state_cell");
    if (c.masked)
      symbolic::setInputShape(shapes, next, {c.batch}, "sequence_length");
  };
  registry.add(std::move(spec));
}

} // namespace ops
} // namespace kiln
