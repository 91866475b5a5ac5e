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
#include "runtime/Error.h"

#include <cmath>

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

/// `name`'s tuple: empty means `fill` in every dimension; otherwise it needs
/// one entry per spatial dimension, each at least `least`.
std::vector<int64_t> spatialTuple(const std::string &op, const Attrs &attrs,
                                  const std::string &name, int64_t spatial,
                                  int64_t fill, int64_t least) {
  std::vector<int64_t> values = attrs.getIntTuple(name);
  if (values.empty())
    return std::vector<int64_t>(spatial, fill);
  if (static_cast<int64_t>(values.size()) != spatial)
    throw Error(formatMessage(op, ": ", name, " expected ", spatial,
                              " entries (one per spatial dimension of the ",
                              spatial + 2, "-D input), got ",
                              tupleText(values)));
  for (int64_t value : values)
    if (value < least)
      throw Error(formatMessage(op, ": ", name, " entries must be >= ", least,
                                ", got ", tupleText(values)));
  return values;
}

/// MXNet's layouts: channel-first (NCW, NCHW, NCDHW) or channel-last (NWC,
/// NHWC, NDHWC), for an input of `rank`.
bool channelLast(const std::string &op, const Attrs &attrs, int64_t rank) {
  if (attrs.isNone("layout"))
    return false;
  const std::string layout = attrs.getString("layout");
  static const char *const first[] = {"NCW", "NCHW", "NCDHW"};
  static const char *const last[] = {"NWC", "NHWC", "NDHWC"};
  if (rank >= 3 && rank <= 5) {
    if (layout == first[rank - 3])
      return false;
    if (layout == last[rank - 3])
      return true;
  }
  throw Error(formatMessage(op, ": layout '", layout, "' does not fit a ", rank,
                            "-D input (expected NCW/NWC, NCHW/NHWC or "
                            "NCDHW/NDHWC)"));
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

void requireSpatialInput(const std::string &op, const NDArray &data) {
  const int64_t rank = data.shape().size();
  if (rank < 3 || rank > 5)
    throw Error(formatMessage(op,
                              ": data expected 3 to 5 dimensions (batch, "
                              "channel, 1 to 3 spatial), got shape ",
                              shapeToString(data.shape())));
  if (data.dtype() != DType::Float32 && data.dtype() != DType::Float64)
    throw Error(formatMessage(op, ": data expected float32 or float64, got ",
                              dtypeName(data.dtype())));
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

/// Checks in[1] (the weight, MXNet's (outer, inner, kernel...), or
/// (outer, kernel..., inner) channel-last) and in[2] (the bias, when there
/// is one: (filters,)); returns the channel-first weight.
NDArray checkedWeight(const std::string &op, const std::vector<NDArray> &in,
                      bool noBias, bool last,
                      const std::vector<int64_t> &kernel, int64_t outer,
                      int64_t inner, int64_t filters, DType dtype) {
  Shape given = {outer};
  if (!last)
    given.push_back(inner);
  given.insert(given.end(), kernel.begin(), kernel.end());
  if (last)
    given.push_back(inner);
  requireShape(op, "weight", in[1], given);
  requireDType(op, "weight", in[1], dtype);
  if (!noBias) {
    requireShape(op, "bias", in[2], {filters});
    requireDType(op, "bias", in[2], dtype);
  }
  return last ? toChannelFirst(in[1]) : in[1];
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

/// Reads and checks the attributes common to Convolution and
/// Deconvolution.
Window readWindow(const std::string &op, const Attrs &attrs,
                  const NDArray &data) {
  requireSpatialInput(op, data);
  Window w;
  w.spatial = static_cast<int64_t>(data.shape().size()) - 2;
  w.kernel = attrs.getIntTuple("kernel");
  if (static_cast<int64_t>(w.kernel.size()) != w.spatial)
    throw Error(formatMessage(op, ": kernel expected ", w.spatial,
                              " entries (one per spatial dimension of the ",
                              w.spatial + 2, "-D input), got ",
                              tupleText(w.kernel)));
  for (int64_t k : w.kernel)
    if (k < 1)
      throw Error(formatMessage(op, ": kernel entries must be >= 1, got ",
                                tupleText(w.kernel)));
  w.stride = spatialTuple(op, attrs, "stride", w.spatial, 1, 1);
  w.dilate = spatialTuple(op, attrs, "dilate", w.spatial, 1, 1);
  w.pad = spatialTuple(op, attrs, "pad", w.spatial, 0, 0);
  return w;
}

NDArray convolution(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "Convolution";
  const bool noBias = attrs.getBool("no_bias");
  if (in.size() != (noBias ? 2u : 3u))
    throw Error(formatMessage(op, ": expected ", noBias ? 2 : 3,
                              " inputs (data, weight", noBias ? "" : ", bias",
                              "), got ", in.size()));
  const bool last = channelLast(op, attrs, in[0].shape().size());
  NDArray data = last ? toChannelFirst(in[0]) : in[0];
  const Window w = readWindow(op, attrs, data);
  const int64_t filters = attrs.getInt("num_filter"),
                groups = attrs.getInt("num_group");
  if (filters < 1)
    throw Error(formatMessage(op, ": num_filter must be >= 1, got ", filters));
  if (groups < 1)
    throw Error(formatMessage(op, ": num_group must be >= 1, got ", groups));
  const int64_t channels = data.shape()[1];
  if (channels % groups != 0 || filters % groups != 0)
    throw Error(formatMessage(op, ": num_group ", groups,
                              " must divide the input channels (", channels,
                              ") and num_filter (", filters, ")"));
  for (int64_t d = 0; d < w.spatial; ++d) {
    const int64_t padded = data.shape()[d + 2] + 2 * w.pad[d];
    const int64_t span = w.dilate[d] * (w.kernel[d] - 1) + 1;
    if (padded < span)
      throw Error(formatMessage(
          op, ": kernel ", tupleText(w.kernel), " (dilated extent ", span,
          ") is larger than the padded input extent ", padded,
          " of spatial dimension ", d, " (data shape ",
          shapeToString(in[0].shape()), ")"));
  }
  NDArray weight = checkedWeight(op, in, noBias, last, w.kernel, filters,
                                 channels / groups, filters, data.dtype());
  Shape shape = {data.shape()[0], filters};
  for (int64_t d = 0; d < w.spatial; ++d)
    shape.push_back((data.shape()[d + 2] + 2 * w.pad[d] -
                     (w.dilate[d] * (w.kernel[d] - 1) + 1)) /
                        w.stride[d] +
                    1);
  NDArray y = dispatch::generate(
      op, convolutionSignature("convolution", w, w.pad, w.pad, groups),
      {data, weight}, shape, data.dtype());
  if (!noBias)
    y = addBias(op, y, in[2]);
  return last ? toChannelLast(y) : y;
}

NDArray deconvolution(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "Deconvolution";
  const bool noBias = attrs.getBool("no_bias");
  if (in.size() != (noBias ? 2u : 3u))
    throw Error(formatMessage(op, ": expected ", noBias ? 2 : 3,
                              " inputs (data, weight", noBias ? "" : ", bias",
                              "), got ", in.size()));
  const bool last = channelLast(op, attrs, in[0].shape().size());
  NDArray data = last ? toChannelFirst(in[0]) : in[0];
  const Window w = readWindow(op, attrs, data);
  const int64_t filters = attrs.getInt("num_filter"),
                groups = attrs.getInt("num_group");
  if (filters < 1 || groups < 1)
    throw Error(formatMessage(op,
                              ": num_filter and num_group must be >= 1, "
                              "got ",
                              filters, " and ", groups));
  const int64_t channels = data.shape()[1];
  if (channels % groups != 0 || filters % groups != 0)
    throw Error(formatMessage(op, ": num_group ", groups,
                              " must divide the input channels (", channels,
                              ") and num_filter (", filters, ")"));
  std::vector<int64_t> adj = spatialTuple(op, attrs, "adj", w.spatial, 0, 0);
  std::vector<int64_t> pad = w.pad;
  const std::vector<int64_t> target = attrs.getIntTuple("target_shape");
  if (!target.empty() && static_cast<int64_t>(target.size()) != w.spatial)
    throw Error(formatMessage(op, ": target_shape expected ", w.spatial,
                              " entries, got ", tupleText(target)));
  Shape shape = {data.shape()[0], filters};
  for (int64_t d = 0; d < w.spatial; ++d) {
    const int64_t span = w.dilate[d] * (w.kernel[d] - 1) + 1;
    const int64_t full = w.stride[d] * (data.shape()[d + 2] - 1) + span;
    if (!target.empty() && target[d] > 0) {
      // MXNet derives pad and adj from the wanted extent.
      if (full < target[d])
        throw Error(formatMessage(op, ": target_shape ", tupleText(target),
                                  " is too big: at most ", full,
                                  " in spatial dimension ", d));
      const int64_t total = full - target[d];
      adj[d] = total % 2;
      pad[d] = (total + 1) / 2;
    } else if (adj[d] >= w.stride[d] && adj[d] > 0) {
      throw Error(formatMessage(op, ": adj ", tupleText(adj),
                                " must be smaller than stride ",
                                tupleText(w.stride)));
    }
    const int64_t extent = full - 2 * pad[d] + adj[d];
    if (extent < 1)
      throw Error(formatMessage(op, ": pad ", tupleText(pad),
                                " leaves no output in spatial dimension ", d));
    shape.push_back(extent);
  }
  NDArray weight = checkedWeight(op, in, noBias, last, w.kernel, channels,
                                 filters / groups, filters, data.dtype());
  // A transposed convolution is the input gradient of the convolution from
  // the output (shape) to the data: padding `pad` on both sides, less `adj`
  // at the end. Where adj exceeds pad the last rows get no terms: the
  // result is computed without them and padded with zeros.
  std::vector<int64_t> high(w.spatial), extra(w.spatial);
  Shape computed = shape;
  bool padded = false;
  for (int64_t d = 0; d < w.spatial; ++d) {
    high[d] = std::max<int64_t>(pad[d] - adj[d], 0);
    extra[d] = std::max<int64_t>(adj[d] - pad[d], 0);
    computed[d + 2] -= extra[d];
    padded |= extra[d] > 0;
  }
  NDArray y = dispatch::generate(
      op,
      convolutionSignature("convolution_backward_data", w, pad, high, groups),
      {data, weight}, computed, data.dtype());
  if (padded) {
    std::vector<int64_t> padWidth(2 * shape.size(), 0);
    for (int64_t d = 0; d < w.spatial; ++d)
      padWidth[2 * (d + 2) + 1] = extra[d];
    y = call("pad", {y},
             {{"mode", "constant"}, {"pad_width", tupleText(padWidth)}});
  }
  if (!noBias)
    y = addBias(op, y, in[2]);
  return last ? toChannelLast(y) : y;
}

NDArray pooling(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "Pooling";
  const bool last = channelLast(op, attrs, in[0].shape().size());
  NDArray data = last ? toChannelFirst(in[0]) : in[0];
  requireSpatialInput(op, data);
  const int64_t spatial = static_cast<int64_t>(data.shape().size()) - 2;
  const std::string type =
      attrs.getChoice("pool_type", {"max", "avg", "sum", "lp"});
  const std::string convention =
      attrs.getChoice("pooling_convention", {"valid", "full", "same"});
  const bool global = attrs.getBool("global_pool");
  std::vector<int64_t> kernel, stride, pad;
  if (global) {
    kernel.assign(data.shape().begin() + 2, data.shape().end());
    stride.assign(spatial, 1);
    pad.assign(spatial, 0);
  } else {
    kernel = attrs.getIntTuple("kernel");
    if (static_cast<int64_t>(kernel.size()) != spatial)
      throw Error(formatMessage(op, ": kernel expected ", spatial,
                                " entries (one per spatial dimension of the ",
                                spatial + 2, "-D input), got ",
                                tupleText(kernel)));
    for (int64_t k : kernel)
      if (k < 1)
        throw Error(formatMessage(op, ": kernel entries must be >= 1, got ",
                                  tupleText(kernel)));
    stride = spatialTuple(op, attrs, "stride", spatial, 1, 1);
    pad = spatialTuple(op, attrs, "pad", spatial, 0, 0);
  }
  if (convention == "same" && spatial != 1)
    throw Error(formatMessage(op,
                              ": pooling_convention 'same' expects a 3-D "
                              "input (MXNet supports it in 1-D only), got "
                              "shape ",
                              shapeToString(data.shape())));
  // Output extents and the padding at the end that makes them.
  std::vector<int64_t> low = pad, high = pad;
  Shape shape = {data.shape()[0], data.shape()[1]};
  bool clipped = false; // a window reaches past the input plus its padding
  for (int64_t d = 0; d < spatial; ++d) {
    const int64_t extent = data.shape()[d + 2];
    if (!global && extent + 2 * pad[d] < kernel[d])
      throw Error(formatMessage(op, ": kernel ", tupleText(kernel),
                                " is larger than the padded input extent ",
                                extent + 2 * pad[d], " of spatial dimension ",
                                d, " (data shape ",
                                shapeToString(in[0].shape()), ")"));
    int64_t out;
    if (convention == "valid") {
      out = (extent + 2 * pad[d] - kernel[d]) / stride[d] + 1;
    } else if (convention == "full") {
      out = (extent + 2 * pad[d] - kernel[d] + stride[d] - 1) / stride[d] + 1;
    } else {
      out = (extent + stride[d] - 1) / stride[d];
      const int64_t total =
          std::max<int64_t>((out - 1) * stride[d] + kernel[d] - extent, 0);
      low[d] = total / 2;
      high[d] = total - low[d];
    }
    const int64_t reach = (out - 1) * stride[d] + kernel[d];
    if (convention == "full" && reach > extent + 2 * pad[d]) {
      high[d] = reach - extent - pad[d];
      clipped = true;
    }
    shape.push_back(out);
  }
  const bool includePad = attrs.isNone("count_include_pad")
                              ? true
                              : attrs.getBool("count_include_pad");
  auto pool = [&](const NDArray &x, bool max, bool countPad) {
    compiler::KernelSignature signature{"pool", {}, {}};
    signature.attributes["kind"] = {max ? 0 : 1};
    signature.attributes["window"] = kernel;
    signature.attributes["strides"] = stride;
    signature.attributes["padding_low"] = low;
    signature.attributes["padding_high"] = high;
    signature.attributes["count_include_pad"] = {countPad ? 1 : 0};
    return dispatch::generate(op, signature, {x}, shape, x.dtype());
  };
  // MXNet counts a window's elements up to the input plus `pad`, never the
  // extra padding 'full' adds at the end; a sum counts the padded zeros.
  // Where they differ from kiln.pool's whole-window divisor, the in-bounds
  // average is rescaled by a constant per output position.
  auto windowCounts = [&](bool toPadded) {
    int64_t total = 1;
    for (int64_t d = 0; d < spatial; ++d)
      total *= shape[d + 2];
    std::vector<double> counts(total, 1.0);
    std::vector<int64_t> index(spatial, 0);
    for (int64_t i = 0; i < total; ++i) {
      double count = 1;
      for (int64_t d = 0; d < spatial; ++d) {
        const int64_t extent = data.shape()[d + 2];
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
    y = pool(data, true, true);
  } else if (type == "avg") {
    y = clipped && includePad
            ? scaledByCounts(pool(data, false, false), true, true)
            : pool(data, false, includePad);
  } else {
    NDArray x = data;
    int64_t p = 1;
    if (type == "lp") {
      if (attrs.isNone("p_value"))
        throw Error(formatMessage(op, ": p_value is required for lp pooling"));
      p = attrs.getInt("p_value");
      if (p < 1 || p > 3)
        throw Error(formatMessage(op, ": p_value expected 1, 2 or 3, got ", p));
      if (p > 1)
        x = callScalar("_power_scalar", data, static_cast<double>(p));
    }
    // A sum is the in-bounds average times the in-bounds count.
    y = scaledByCounts(pool(x, false, false), false, false);
    if (p == 2)
      y = dispatch::elementwise(op, "sqrt", {y}, y.dtype());
    else if (p == 3)
      y = call("cbrt", {y}, {});
  }
  return last ? toChannelLast(y) : y;
}

} // namespace

void registerConvolutionOps(OpRegistry &registry) {
  registry.add(
      {"Convolution",
       {"data", "weight", "bias?"},
       kConvolutionAttrs,
       "N-D convolution (MXNet's Convolution): data (N, C, spatial...) with "
       "1-3 spatial dimensions, weight (num_filter, C / num_group, kernel...), "
       "bias (num_filter,) unless no_bias. Output extent (x + 2 pad - "
       "(dilate (k - 1) + 1)) / stride + 1. stride/dilate default to 1, pad "
       "to 0. layout NCW/NCHW/NCDHW (default) or NWC/NHWC/NDHWC (then weight "
       "is (num_filter, kernel..., C / num_group)). float32 on oneDNN, "
       "float64 on direct loops. Errors: kernel/stride/dilate/pad of the "
       "wrong length, channels not divisible by num_group, a kernel larger "
       "than the padded input, weight or bias of the wrong shape.",
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
       "spatial...), weight (C, num_filter / num_group, kernel...), bias "
       "(num_filter,) when no_bias=False (default True). Output extent "
       "stride (x - 1) + dilate (k - 1) + 1 - 2 pad + adj; target_shape, when "
       "given, sets pad and adj as MXNet does. The input gradient of the "
       "matching Convolution, on oneDNN's backward-data primitive.",
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
       "Pooling over 1-3 spatial dimensions (MXNet's Pooling): pool_type "
       "max, avg, sum or lp (p_value 1-3); global_pool pools each whole "
       "feature map; pooling_convention valid (floor), full (ceil) or same "
       "(1-D only); count_include_pad (default True) counts the padding in "
       "averages. stride defaults to 1, pad to 0. Errors: kernel/stride/pad "
       "of the wrong length, a kernel larger than the padded input.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return pooling(in, attrs);
       }});
}

} // namespace ops
} // namespace kiln
