//===- ConvolutionOps.cpp - Convolution, Deconvolution, Pooling -----------===//
//
// MXNet's spatial operators over the library-backed primitives
// kiln.convolution (and its backward-data form, which is a transposed
// convolution) and kiln.pool. Channel-last layouts run as views transposed
// to channel-first, which the library reads through their strides. Shapes
// and attributes are checked here, before anything is queued, with MXNet's
// rules (src/operator/nn/convolution.cc, deconvolution-inl.h, pooling.cc).
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "frontends/cpp/ElementwiseFusion.h"
#include "runtime/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln {
namespace ops {
namespace {

/// The spatial attributes of a convolution-like call, filled to one entry
/// per spatial dimension with MXNet's defaults.
struct Window {
  int64_t spatial = 0;
  std::vector<int64_t> kernel, stride, dilate, pad;
};

std::string tupleText(const std::vector<int64_t> &values) {
  std::string text = "(";
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + (values.size() == 1 ? ",)" : ")");
}

/// `name`'s tuple: empty means `fill` in every dimension (unless
/// `required`); otherwise it needs one entry per spatial dimension, each at
/// least `least`.
std::vector<int64_t> spatialTuple(const std::string &op, const Attrs &attrs,
                                  const std::string &name, int64_t spatial,
                                  int64_t fill, int64_t least,
                                  bool required = false) {
  std::vector<int64_t> values = attrs.getIntTuple(name);
  if (values.empty() && !required)
    return std::vector<int64_t>(spatial, fill);
  if (static_cast<int64_t>(values.size()) != spatial)
    throw Error(formatMessage(op, ": ", name, " expected ", spatial,
                              " entries (one per spatial dimension of the ",
                              spatial + 2, "-D input), got ",
                              tupleText(values)));
  // Window attributes stay within int32 (as MXNet's own index type does),
  // so products like dilate * (kernel - 1) never overflow and no window
  // takes hours to scan.
  constexpr int64_t kMost = std::numeric_limits<int32_t>::max();
  for (int64_t value : values)
    if (value < least || value > kMost)
      throw Error(formatMessage(op, ": ", name, " entries expected in [", least,
                                ", ", kMost, "], got ", tupleText(values)));
  return values;
}

/// MXNet's layouts: channel-first (NCW, NCHW, NCDHW) or channel-last (NWC,
/// NHWC, NDHWC), for an input of `rank`. MXNet's Convolution and
/// Deconvolution do not list NWC (`withNwc` false). A name outside the list
/// is an error listing it (as MXNet's "Invalid Input ... valid values
/// are"); one in it but of another rank says which layouts fit the input.
bool channelLast(const std::string &op, const Attrs &attrs, int64_t rank,
                 bool withNwc = true) {
  if (attrs.isNone("layout"))
    return false;
  const std::string layout = attrs.getString("layout");
  static const char *const first[] = {"NCW", "NCHW", "NCDHW"};
  static const char *const last[] = {"NWC", "NHWC", "NDHWC"};
  const bool listed =
      std::find(std::begin(first), std::end(first), layout) !=
          std::end(first) ||
      (std::find(std::begin(last), std::end(last), layout) != std::end(last) &&
       (withNwc || layout != "NWC"));
  if (!listed)
    throw Error(formatMessage(
        op, ": layout expected None, 'NCDHW', 'NCHW', 'NCW', ",
        withNwc ? "'NDHWC', 'NHWC' or 'NWC'" : "'NDHWC' or 'NHWC'", ", got '",
        layout, "'"));
  if (rank >= 3 && rank <= 5) {
    if (layout == first[rank - 3])
      return false;
    if (layout == last[rank - 3])
      return true;
  }
  const bool known = rank >= 3 && rank <= 5;
  throw Error(formatMessage(
      op, ": layout '", layout, "' does not fit a ", rank, "-D input",
      known ? formatMessage(" (expected ", first[rank - 3],
                            withNwc || rank != 3
                                ? formatMessage(" or ", last[rank - 3])
                                : std::string(),
                            ")")
            : std::string(" (expected 3 to 5 dimensions)")));
}

/// `shape` (of a channel-last array when `last`) in channel-first order.
Shape channelFirstShape(const Shape &shape, bool last) {
  if (!last)
    return shape;
  Shape first = {shape[0], shape.back()};
  first.insert(first.end(), shape.begin() + 1, shape.end() - 1);
  return first;
}

/// The channel-first view of a channel-last array, and back.
NDArray toChannelFirst(const NDArray &x) {
  std::vector<int64_t> axes = {0, static_cast<int64_t>(x.shape().size()) - 1};
  for (size_t d = 1; d + 1 < x.shape().size(); ++d)
    axes.push_back(static_cast<int64_t>(d));
  return call("transpose", {x}, {{"axes", tupleText(axes)}});
}
NDArray toChannelLast(const NDArray &x) {
  std::vector<int64_t> axes = {0};
  for (size_t d = 2; d < x.shape().size(); ++d)
    axes.push_back(static_cast<int64_t>(d));
  axes.push_back(1);
  return call("transpose", {x}, {{"axes", tupleText(axes)}});
}

/// data's rank (3 to 5: MXNet's 1-3 spatial dimensions) and dtype (float32
/// or float64; float16 too where `half`).
void requireSpatialInput(const std::string &op, const NDArray &data,
                         bool half = false) {
  const int64_t rank = data.shape().size();
  if (rank < 3 || rank > 5)
    throw Error(formatMessage(op,
                              ": data expected 3 to 5 dimensions (batch, "
                              "channel, 1 to 3 spatial), got shape ",
                              shapeToString(data.shape())));
  const DType dtype = data.dtype();
  if (dtype != DType::Float32 && dtype != DType::Float64 &&
      !(half && dtype == DType::Float16))
    throw Error(formatMessage(op, ": data expected float32",
                              half ? ", float64 or float16" : " or float64",
                              ", got ", dtypeName(dtype)));
}

void requireShape(const std::string &op, const std::string &name,
                  const NDArray &array, const Shape &expected) {
  if (array.shape() != expected)
    throw Error(formatMessage(op, ": ", name, " expected shape ",
                              shapeToString(expected), ", got ",
                              shapeToString(array.shape())));
}

void requireDType(const std::string &op, const std::string &name,
                  const NDArray &array, DType dtype) {
  if (array.dtype() != dtype)
    throw Error(formatMessage(op, ": ", name, " expected dtype ",
                              dtypeName(dtype), " (data's), got ",
                              dtypeName(array.dtype())));
}

/// Checks in[1], the weight: MXNet's (outer, inner, kernel...), or (outer,
/// kernel..., inner) channel-last; and in[2], the bias (filters,), when
/// there is one.
void checkWeight(const std::string &op, const std::vector<NDArray> &in,
                 bool noBias, bool last, const std::vector<int64_t> &kernel,
                 int64_t outer, int64_t inner, int64_t filters) {
  Shape given = {outer};
  if (!last)
    given.push_back(inner);
  given.insert(given.end(), kernel.begin(), kernel.end());
  if (last)
    given.push_back(inner);
  requireShape(op, "weight", in[1], given);
  requireDType(op, "weight", in[1], in[0].dtype());
  if (!noBias) {
    requireShape(op, "bias", in[2], {filters});
    requireDType(op, "bias", in[2], in[0].dtype());
  }
}

compiler::KernelSignature convolutionSignature(const char *primitive,
                                               const Window &w,
                                               const std::vector<int64_t> &low,
                                               const std::vector<int64_t> &high,
                                               int64_t groups) {
  compiler::KernelSignature signature{primitive, {}, {}};
  signature.attributes["strides"] = w.stride;
  signature.attributes["padding_low"] = low;
  signature.attributes["padding_high"] = high;
  signature.attributes["dilations"] = w.dilate;
  signature.attributes["groups"] = {groups};
  return signature;
}

/// y + bias along the channel axis (1).
NDArray addBias(const std::string &op, const NDArray &y, const NDArray &bias) {
  Shape along(y.shape().size(), 1);
  along[1] = bias.shape()[0];
  return dispatch::elementwise(op, "add", {y, dispatch::reshape(bias, along)},
                               y.dtype());
}

const std::vector<AttrSpec> kConvolutionAttrs = {
    {"kernel", AttrSpec::Kind::IntTuple, std::nullopt},
    {"stride", AttrSpec::Kind::IntTuple, "()"},
    {"dilate", AttrSpec::Kind::IntTuple, "()"},
    {"pad", AttrSpec::Kind::IntTuple, "()"},
    {"num_filter", AttrSpec::Kind::Int, std::nullopt},
    {"num_group", AttrSpec::Kind::Int, "1"},
    {"workspace", AttrSpec::Kind::Int, "1024"},
    {"no_bias", AttrSpec::Kind::Bool, "False"},
    {"cudnn_tune", AttrSpec::Kind::String, "None"},
    {"cudnn_off", AttrSpec::Kind::Bool, "False"},
    {"layout", AttrSpec::Kind::String, "None"}};

/// What Convolution and Deconvolution check alike, before anything is
/// queued: the inputs, the layout, the window attributes, num_filter and
/// num_group.
struct ConvolutionCall {
  bool noBias = false, last = false;
  Shape data; // channel-first
  Window w;
  int64_t filters = 0, groups = 1;

  ConvolutionCall(const std::string &op, const std::vector<NDArray> &in,
                  const Attrs &attrs) {
    noBias = attrs.getBool("no_bias");
    if (!attrs.isNone("cudnn_tune")) // Only checked: there is no cuDNN.
      attrs.getChoice("cudnn_tune", {"off", "limited_workspace", "fastest"});
    if (in.size() != (noBias ? 2u : 3u))
      throw Error(formatMessage(op, ": expected ", noBias ? 2 : 3,
                                " inputs (data, weight", noBias ? "" : ", bias",
                                ") with no_bias=", noBias ? "True" : "False",
                                ", got ", in.size()));
    requireSpatialInput(op, in[0]);
    last = channelLast(op, attrs, in[0].shape().size(), false);
    data = channelFirstShape(in[0].shape(), last);
    w.spatial = static_cast<int64_t>(data.size()) - 2;
    w.kernel = spatialTuple(op, attrs, "kernel", w.spatial, 0, 1, true);
    w.stride = spatialTuple(op, attrs, "stride", w.spatial, 1, 1);
    w.dilate = spatialTuple(op, attrs, "dilate", w.spatial, 1, 1);
    w.pad = spatialTuple(op, attrs, "pad", w.spatial, 0, 0);
    filters = attrs.getInt("num_filter");
    groups = attrs.getInt("num_group");
    if (filters < 1)
      throw Error(
          formatMessage(op, ": num_filter must be >= 1, got ", filters));
    if (groups < 1)
      throw Error(formatMessage(op, ": num_group must be >= 1, got ", groups));
    if (data[1] % groups != 0 || filters % groups != 0)
      throw Error(formatMessage(op, ": num_group ", groups,
                                " must divide the input channels (", data[1],
                                ") and num_filter (", filters, ")"));
  }

  /// data and weight, channel-first.
  NDArray firstData(const std::vector<NDArray> &in) const {
    return last ? toChannelFirst(in[0]) : in[0];
  }
  NDArray firstWeight(const std::vector<NDArray> &in) const {
    return last ? toChannelFirst(in[1]) : in[1];
  }
  /// y (channel-first) plus the bias, in the caller's layout.
  /// y (channel-first) in the layout the call asked for.
  NDArray inLayout(const NDArray &y) const {
    return last ? toChannelLast(y) : y;
  }
  NDArray finish(const std::string &op, NDArray y,
                 const std::vector<NDArray> &in) const {
    if (!noBias)
      y = addBias(op, y, in[2]);
    return inLayout(y);
  }
};

NDArray convolution(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "Convolution";
  const ConvolutionCall c(op, in, attrs);
  const Window &w = c.w;
  Shape shape = {c.data[0], c.filters};
  for (int64_t d = 0; d < w.spatial; ++d) {
    const int64_t padded = c.data[d + 2] + 2 * w.pad[d];
    const int64_t span = w.dilate[d] * (w.kernel[d] - 1) + 1;
    if (padded < span)
      throw Error(formatMessage(
          op, ": kernel ", tupleText(w.kernel), " (dilated extent ", span,
          ") is larger than the padded input extent ", padded,
          " of spatial dimension ", d, " (data shape ",
          shapeToString(in[0].shape()), ")"));
    shape.push_back((padded - span) / w.stride[d] + 1);
  }
  checkWeight(op, in, c.noBias, c.last, w.kernel, c.filters,
              c.data[1] / c.groups, c.filters);
  // The bias is the primitive's third operand: the library adds it as it
  // writes the output and computes its gradient with the filter's.
  std::vector<NDArray> operands = {c.firstData(in), c.firstWeight(in)};
  if (!c.noBias)
    operands.push_back(in[2]);
  NDArray y = dispatch::generate(
      op, convolutionSignature("convolution", w, w.pad, w.pad, c.groups),
      operands, shape, in[0].dtype());
  return c.inLayout(y);
}

NDArray deconvolution(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "Deconvolution";
  const ConvolutionCall c(op, in, attrs);
  const Window &w = c.w;
  std::vector<int64_t> adj = spatialTuple(op, attrs, "adj", w.spatial, 0, 0);
  std::vector<int64_t> pad = w.pad;
  const std::vector<int64_t> target = attrs.getIntTuple("target_shape");
  if (!target.empty() && static_cast<int64_t>(target.size()) != w.spatial)
    throw Error(formatMessage(op, ": target_shape expected ", w.spatial,
                              " entries, got ", tupleText(target)));
  // MXNet derives pad and adj of every dimension from target_shape when
  // any of its entries is nonzero (a 0 entry then asks for an empty
  // extent).
  const bool targeted =
      std::any_of(target.begin(), target.end(), [](int64_t t) { return t; });
  Shape shape = {c.data[0], c.filters};
  for (int64_t d = 0; d < w.spatial; ++d) {
    const int64_t span = w.dilate[d] * (w.kernel[d] - 1) + 1;
    const int64_t full = w.stride[d] * (c.data[d + 2] - 1) + span;
    if (targeted) {
      if (target[d] < 0 || full < target[d])
        throw Error(formatMessage(op, ": target_shape ", tupleText(target),
                                  " expected entries in [0, ", full,
                                  "] in spatial dimension ", d,
                                  " (stride (x - 1) + dilated kernel)"));
      const int64_t total = full - target[d];
      adj[d] = total % 2;
      pad[d] = (total + 1) / 2;
    } else if (adj[d] >= w.stride[d] && adj[d] > 0) {
      throw Error(formatMessage(op, ": adj ", tupleText(adj),
                                " must be smaller than stride ",
                                tupleText(w.stride)));
    }
    const int64_t extent = full - 2 * pad[d] + adj[d];
    if (extent < 0) // MXNet allows an empty output, not a negative one.
      throw Error(formatMessage(op, ": pad ", tupleText(pad),
                                " leaves a negative output extent ", extent,
                                " in spatial dimension ", d, " (data shape ",
                                shapeToString(in[0].shape()), ")"));
    shape.push_back(extent);
  }
  checkWeight(op, in, c.noBias, c.last, w.kernel, c.data[1],
              c.filters / c.groups, c.filters);
  // A transposed convolution is the input gradient of the convolution from
  // the output (shape) to the data: padding `pad` on both sides, less `adj`
  // at the end. Where adj exceeds pad the last rows get no terms: the
  // result is computed without them and padded with zeros.
  std::vector<int64_t> high(w.spatial), extra(w.spatial);
  Shape computed = shape;
  bool padded = false;
  for (int64_t d = 0; d < w.spatial; ++d) {
    high[d] = std::max<int64_t>(pad[d] - adj[d], 0);
    extra[d] = std::min(std::max<int64_t>(adj[d] - pad[d], 0), shape[d + 2]);
    computed[d + 2] -= extra[d];
    padded |= extra[d] > 0;
  }
  NDArray y = dispatch::generate(
      op,
      convolutionSignature("convolution_backward_data", w, pad, high, c.groups),
      {c.firstData(in), c.firstWeight(in)}, computed, in[0].dtype());
  if (padded) {
    std::vector<int64_t> padWidth(2 * shape.size(), 0);
    for (int64_t d = 0; d < w.spatial; ++d)
      padWidth[2 * (d + 2) + 1] = extra[d];
    y = call("pad", {y},
             {{"mode", "constant"}, {"pad_width", tupleText(padWidth)}});
  }
  return c.finish(op, y, in);
}

NDArray pooling(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "Pooling";
  requireSpatialInput(op, in[0], /*half=*/true);
  const bool last = channelLast(op, attrs, in[0].shape().size());
  const Shape data = channelFirstShape(in[0].shape(), last);
  const int64_t spatial = static_cast<int64_t>(data.size()) - 2;
  const std::string type =
      attrs.getChoice("pool_type", {"max", "avg", "sum", "lp"});
  const std::string convention =
      attrs.getChoice("pooling_convention", {"valid", "full", "same"});
  const bool global = attrs.getBool("global_pool");
  // The tuples are checked also under global_pool, which then ignores
  // them (MXNet refuses them there too).
  std::vector<int64_t> kernel =
      spatialTuple(op, attrs, "kernel", spatial, 0, 1, !global);
  std::vector<int64_t> stride =
      spatialTuple(op, attrs, "stride", spatial, 1, 1);
  std::vector<int64_t> pad = spatialTuple(op, attrs, "pad", spatial, 0, 0);
  if (global) {
    kernel.assign(data.begin() + 2, data.end());
    stride.assign(spatial, 1);
    pad.assign(spatial, 0);
  }
  if (convention == "same") {
    if (spatial != 1)
      throw Error(formatMessage(op,
                                ": pooling_convention 'same' expects a 3-D "
                                "input (MXNet supports it in 1-D only), got "
                                "shape ",
                                shapeToString(in[0].shape())));
    if (pad[0] != 0)
      throw Error(formatMessage(op,
                                ": pooling_convention 'same' takes no pad, "
                                "got ",
                                tupleText(pad)));
  }
  int64_t p = 1;
  if (type == "lp") {
    if (attrs.isNone("p_value"))
      throw Error(formatMessage(op, ": p_value is required for lp pooling"));
    p = attrs.getInt("p_value");
    if (p < 1 || p > 3)
      throw Error(formatMessage(op, ": p_value expected 1, 2 or 3, got ", p));
  }
  // Max and lp pooling's backward reads the input and costs about what
  // recomputing it would (one pass over it): a BatchNorm+relu output pooled
  // here is kept from the forward (the main job's CNN: 2.3 ms of a 37 ms
  // step were its two recomputations). Convolutions' backward dwarfs it.
  if (type == "max" || type == "lp")
    if (fusion::ElementwiseFusion *fusion =
            fusion::ElementwiseFusion::current())
      fusion->keepFromForward(in[0]);
  // Output extents, and the padding at the end that makes them: 'full'
  // (ceil) may reach past the input plus its padding, 'same' starts its
  // windows at the first element and reaches past the end.
  std::vector<int64_t> low = pad, high = pad;
  Shape shape = {data[0], data[1]};
  bool clipped = false;
  for (int64_t d = 0; d < spatial; ++d) {
    const int64_t extent = data[d + 2];
    if (!global && extent + 2 * pad[d] < kernel[d])
      throw Error(formatMessage(op, ": kernel ", tupleText(kernel),
                                " is larger than the padded input extent ",
                                extent + 2 * pad[d], " of spatial dimension ",
                                d, " (data shape ",
                                shapeToString(in[0].shape()), ")"));
    int64_t out;
    if (convention == "valid")
      out = (extent + 2 * pad[d] - kernel[d]) / stride[d] + 1;
    else if (convention == "full")
      out = (extent + 2 * pad[d] - kernel[d] + stride[d] - 1) / stride[d] + 1;
    else
      out = (extent + stride[d] - 1) / stride[d];
    const int64_t reach = (out - 1) * stride[d] + kernel[d];
    if (!global && reach > extent + 2 * pad[d]) {
      high[d] = reach - extent - pad[d];
      clipped = true;
    }
    shape.push_back(out);
  }
  const bool includePad = attrs.isNone("count_include_pad")
                              ? true
                              : attrs.getBool("count_include_pad");
  NDArray x = last ? toChannelFirst(in[0]) : in[0];
  if (x.dtype() == DType::Float16) // Pooled in float32, rounded once.
    x = dispatch::cast(x, DType::Float32);
  auto pool = [&](const NDArray &input, bool max, bool countPad) {
    compiler::KernelSignature signature{"pool", {}, {}};
    signature.attributes["kind"] = {max ? 0 : 1};
    signature.attributes["window"] = kernel;
    signature.attributes["strides"] = stride;
    signature.attributes["padding_low"] = low;
    signature.attributes["padding_high"] = high;
    signature.attributes["count_include_pad"] = {countPad ? 1 : 0};
    return dispatch::generate(op, signature, {input}, shape, input.dtype());
  };
  // MXNet counts a window's elements up to the input plus `pad`, never the
  // extra padding 'full' and 'same' add at the end; a sum counts the padded
  // zeros. Where they differ from kiln.pool's whole-window divisor, the
  // in-bounds average is rescaled by a constant per output position.
  auto windowCounts = [&](bool toPadded) {
    int64_t total = 1;
    for (int64_t d = 0; d < spatial; ++d)
      total *= shape[d + 2];
    std::vector<double> counts(total, 1.0);
    std::vector<int64_t> index(spatial, 0);
    for (int64_t i = 0; i < total; ++i) {
      double count = 1;
      for (int64_t d = 0; d < spatial; ++d) {
        const int64_t extent = data[d + 2];
        const int64_t start = index[d] * stride[d] - low[d];
        const int64_t lowest = toPadded ? -pad[d] : 0;
        const int64_t highest = toPadded ? extent + pad[d] : extent;
        count *= std::max<int64_t>(
            std::min(start + kernel[d], highest) - std::max(start, lowest), 0);
      }
      counts[i] = count;
      for (int64_t d = spatial; d-- > 0;) {
        if (++index[d] < shape[d + 2])
          break;
        index[d] = 0;
      }
    }
    return counts;
  };
  auto scaledByCounts = [&](const NDArray &average, bool toPadded,
                            bool divide) {
    std::vector<double> inside = windowCounts(false),
                        wanted = windowCounts(toPadded);
    std::vector<double> factor(inside.size());
    for (size_t i = 0; i < factor.size(); ++i)
      factor[i] =
          divide ? (wanted[i] > 0 ? inside[i] / wanted[i] : 0) : inside[i];
    Shape along(shape.size(), 1);
    for (int64_t d = 0; d < spatial; ++d)
      along[d + 2] = shape[d + 2];
    NDArray scale =
        dispatch::cast(NDArray::fromData(factor.data(), along, DType::Float64),
                       average.dtype());
    return dispatch::elementwise(op, "mul", {average, scale}, average.dtype());
  };
  NDArray y;
  if (type == "max") {
    y = pool(x, true, true);
  } else if (type == "avg") {
    y = clipped && includePad
            ? scaledByCounts(pool(x, false, false), true, true)
            : pool(x, false, includePad);
  } else {
    // sum, and lp: (sum of x^p)^(1/p), MXNet's x^p without abs (p = 1 is
    // the plain sum) and its real cube root (p = 3).
    if (p > 1)
      x = callScalar("_power_scalar", x, static_cast<double>(p));
    // A sum is the in-bounds average times the in-bounds count.
    y = scaledByCounts(pool(x, false, false), false, false);
    if (p == 2)
      y = dispatch::elementwise(op, "sqrt", {y}, y.dtype());
    else if (p == 3)
      y = call("cbrt", {y}, {});
  }
  if (in[0].dtype() == DType::Float16)
    y = dispatch::cast(y, DType::Float16);
  return last ? toChannelLast(y) : y;
}

} // namespace

void registerConvolutionOps(OpRegistry &registry) {
  registry.add(
      {"Convolution",
       {"data", "weight", "bias?"},
       kConvolutionAttrs,
       "N-D convolution (MXNet's Convolution): data (N, C, spatial...) with "
       "1-3 spatial dimensions, float32 or float64; weight (num_filter, C / "
       "num_group, kernel...) and bias (num_filter,) (unless no_bias) of "
       "data's dtype. Output extent (x + 2 pad - (dilate (k - 1) + 1)) / "
       "stride + 1; stride and dilate default to 1, pad to 0; num_group = C "
       "is a depthwise convolution. layout NCW/NCHW/NCDHW (default) or "
       "NHWC/NDHWC (weight (num_filter, kernel..., C / num_group); MXNet's "
       "CPU refuses these, its GPU runs them); NWC is refused, as in MXNet. "
       "float32 on oneDNN, float64 on BLAS (im2col; grouped: direct loops); "
       "strided (transposed, "
       "sliced) inputs are read in place. Errors (MXNetError at the call): "
       "rank other than 3-5, another dtype, kernel/stride/dilate/pad of the "
       "wrong length or below 1 (pad below 0), num_filter or num_group below "
       "1, num_group not dividing C and num_filter, a dilated kernel larger "
       "than the padded input, weight or bias of the wrong shape or dtype, a "
       "bias missing or given against no_bias.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return convolution(in, attrs);
       }});
  std::vector<AttrSpec> deconvolutionAttrs = kConvolutionAttrs;
  for (AttrSpec &spec : deconvolutionAttrs)
    if (spec.name == "no_bias")
      spec.defaultValue = "True";
  deconvolutionAttrs.push_back({"adj", AttrSpec::Kind::IntTuple, "()"});
  deconvolutionAttrs.push_back(
      {"target_shape", AttrSpec::Kind::IntTuple, "()"});
  registry.add(
      {"Deconvolution",
       {"data", "weight", "bias?"},
       deconvolutionAttrs,
       "Transposed convolution (MXNet's Deconvolution): data (N, C, "
       "spatial...) with 1-3 spatial dimensions, float32 or float64; weight "
       "(C, num_filter / num_group, kernel...), bias (num_filter,) when "
       "no_bias=False (default True). Output extent stride (x - 1) + dilate "
       "(k - 1) + 1 - 2 pad + adj (adj < stride; 0 is an empty output); a "
       "target_shape with any nonzero entry sets pad and adj of every "
       "dimension as MXNet does (total = full - target, adj = total % 2, pad "
       "= ceil(total / 2)). layout as Convolution's (NHWC/NDHWC weight (C, "
       "kernel..., num_filter / num_group)). The input gradient of the "
       "matching Convolution, on oneDNN's backward-data primitive (kiln "
       "also runs the 3-D dilated and float64 3-D cases MXNet's CPU "
       "refuses). Errors: Convolution's, and adj or target_shape of the "
       "wrong length, adj >= stride, a target_shape larger than stride (x - "
       "1) + dilated kernel, a pad that leaves a negative extent.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return deconvolution(in, attrs);
       }});
  registry.add(
      {"Pooling",
       {"data"},
       {{"kernel", AttrSpec::Kind::IntTuple, "()"},
        {"pool_type", AttrSpec::Kind::String, "max"},
        {"global_pool", AttrSpec::Kind::Bool, "False"},
        {"cudnn_off", AttrSpec::Kind::Bool, "False"},
        {"pooling_convention", AttrSpec::Kind::String, "valid"},
        {"stride", AttrSpec::Kind::IntTuple, "()"},
        {"pad", AttrSpec::Kind::IntTuple, "()"},
        {"p_value", AttrSpec::Kind::OptionalInt, "None"},
        {"count_include_pad", AttrSpec::Kind::String, "None"},
        {"layout", AttrSpec::Kind::String, "None"}},
       "Pooling over 1-3 spatial dimensions (MXNet's Pooling) of float32, "
       "float64 or float16 data (float16 pools in float32): pool_type max, "
       "avg, sum or lp (p_value 1-3: (sum x^p)^(1/p), x^p without abs, as "
       "MXNet); global_pool pools each whole feature map (kernel, stride and "
       "pad ignored); pooling_convention valid (floor), full (ceil) or same "
       "(1-D only, no pad: out = ceil(x / stride), windows from the first "
       "element, clipped at the end; MXNet 1.9.1 refuses a one-entry pad "
       "there). Averages divide by the window clipped to the input plus pad "
       "(count_include_pad True, the default) or to the input (False), as "
       "MXNet's kernels; windows wholly outside average to 0. layout "
       "NCW/NCHW/NCDHW (default) or NWC/NHWC/NDHWC. stride defaults to 1, "
       "pad to 0. Errors: rank other than 3-5, another dtype, kernel/stride/"
       "pad of the wrong length or out of range, a kernel larger than the "
       "padded input, lp without p_value or with p_value outside 1-3, 'same' "
       "on 2-D/3-D or with pad, a layout that does not fit the rank.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return pooling(in, attrs);
       }});
}

} // namespace ops
} // namespace kiln
