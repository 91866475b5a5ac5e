//===- ResizeOps.cpp - contrib's BilinearResize2D, AdaptiveAvgPooling2D ---===//
//
// MXNet 1.9.1's two contrib resampling ops on NCHW float data.
//
// * BilinearResize2D is a separable decomposition (the width, then the
//   height) into gathers (take) and elementwise arithmetic, so autograd
//   differentiates it (take's gradient is scatter_add) and differentiates
//   the gradient again; it costs a few passes over the data (faster than
//   MXNet's loop, six times in backward). A product with dense
//   interpolation matrices would cost a multiply-add per input pixel and
//   output column, and spread one NaN or infinity over whole rows. It
//   computes what MXNet's loop does, operation for operation: source
//   positions and weights in float as MXNet's area_pixel_compute_*
//   (align_corners or half-pixel centres clamped at 0),
//   the second tap on the same pixel at the last row or column, and
//   h0 * (w0 * a + w1 * b) + h1 * (w0 * c + w1 * d) in the data's dtype.
//   Output extents follow MXNet's modes, including its quirks: mode 'size'
//   takes the width from scale_width only when scale_height is given too,
//   and extents live in int16 there (kiln refuses those past 32767 rather
//   than wrap). Equal extents copy, as MXNet's special case. `like` takes no
//   gradient (MXNet writes zeros).
// * AdaptiveAvgPooling2D's windows vary in size and may overlap: no strided
//   pooling expresses them, and gathering them took several passes (three
//   times MXNet's time on uneven windows). It runs the runtime's loops
//   (runtime/cpu/AdaptivePool.h, MXNet's arithmetic), and its gradient is
//   the internal _adaptive_avg_pooling2d_backward, whose own gradient is the
//   pooling again (both linear), so second order works as for the first.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Elementwise.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Engine.h"
#include "runtime/Error.h"
#include "runtime/cpu/AdaptivePool.h"

#include <cmath>
#include <cstdint>
#include <utility>

namespace kiln {
namespace ops {
namespace {

using Kind = AttrSpec::Kind;

/// data: rank 4 (N, C, H, W) of a float dtype (MXNet's real types).
void requireImages(const std::string &op, const NDArray &data) {
  if (data.shape().size() != 4)
    throw Error(formatMessage(op, ": data expected 4 dimensions (N, C, H, W), ",
                              "got shape ", shapeToString(data.shape())));
  const DType dtype = data.dtype();
  if (dtype != DType::Float16 && dtype != DType::Float32 &&
      dtype != DType::Float64)
    throw Error(formatMessage(op, ": data expected dtype float16, float32 or ",
                              "float64, got ", dtypeName(dtype)));
}

NDArray indexArray(const std::vector<int64_t> &index) {
  return NDArray::fromData(index.data(), {static_cast<int64_t>(index.size())},
                           DType::Int64);
}

/// `values` as an array of `dtype` with extent n along `axis` of a rank-4
/// image and 1 after it (broadcasting against (N, C, H, W)).
NDArray alongAxis(const std::vector<float> &values, int64_t axis, DType dtype) {
  Shape shape{static_cast<int64_t>(values.size())};
  for (int64_t d = axis + 1; d < 4; ++d)
    shape.push_back(1);
  NDArray array = NDArray::fromData(values.data(), shape, DType::Float32);
  return dtype == DType::Float32 ? array : dispatch::cast(array, dtype);
}

NDArray gather(const NDArray &x, const std::vector<int64_t> &index,
               int64_t axis) {
  return call("take", {x, indexArray(index)}, {{"axis", std::to_string(axis)}});
}

//===--- BilinearResize2D -------------------------------------------------===//

/// One axis's taps: each output's source index, the next one (the same at
/// the last pixel), and the second tap's weight, in float.
struct Taps {
  std::vector<int64_t> first, second;
  std::vector<float> weight;
};

/// MXNet's area_pixel_compute_scale and _source_index (float arithmetic).
Taps bilinearTaps(int64_t in, int64_t out, bool alignCorners) {
  float scale = 0;
  if (out > 1)
    scale = alignCorners ? static_cast<float>(in - 1) / (out - 1)
                         : static_cast<float>(in) / out;
  Taps taps;
  for (int64_t d = 0; d < out; ++d) {
    float source;
    if (alignCorners) {
      source = scale * d;
    } else {
      source = static_cast<float>(scale * (d + 0.5) - 0.5);
      source = source < 0 ? 0.0f : source;
    }
    const int64_t index = static_cast<int>(source);
    taps.first.push_back(index);
    taps.second.push_back(index < in - 1 ? index + 1 : index);
    taps.weight.push_back(source - index);
  }
  return taps;
}

/// w0 * x[first] + w1 * x[second] along `axis`, w1 the taps' weight in the
/// data's dtype and w0 = 1 - w1 computed there, as MXNet's lambdas.
NDArray interpolate(const std::string &op, const NDArray &x, const Taps &taps,
                    int64_t axis) {
  const Ew ew(op, x.dtype());
  NDArray w1 = alongAxis(taps.weight, axis, x.dtype());
  NDArray w0 = ew.sub(ew.c(1), w1);
  return ew.add(ew.mul(w0, gather(x, taps.first, axis)),
                ew.mul(w1, gather(x, taps.second, axis)));
}

/// An output extent, refused outside MXNet's int16 (negative extents are
/// MXNet's errors too; it wraps larger ones).
int64_t extent(const std::string &op, const char *what, double value) {
  if (!(value > -1) || value >= 32768)
    throw Error(formatMessage(op, ": output ", what, " expected in [0, 32767] ",
                              "(MXNet keeps it in int16), got ", value));
  return static_cast<int64_t>(value); // truncates toward 0, as C's casts
}

/// The attribute `name` (optional float) as MXNet's float; its absence is
/// an error saying `why` it is needed.
float requiredScale(const std::string &op, const Attrs &attrs, const char *name,
                    const std::string &why) {
  if (attrs.isNone(name))
    throw Error(
        formatMessage(op, ": ", name, " expected a value ", why, ", got None"));
  return static_cast<float>(attrs.getFloat(name));
}

std::pair<int64_t, int64_t> resizedExtents(const std::string &op,
                                           const std::vector<NDArray> &in,
                                           const Attrs &attrs,
                                           const std::string &mode) {
  const int64_t h = in[0].shape()[2], w = in[0].shape()[3];
  if (mode == "size") {
    const int64_t height = attrs.getInt("height"),
                  width = attrs.getInt("width");
    if (height < 1 || width < 1)
      throw Error(formatMessage(op, ": ", height < 1 ? "height" : "width",
                                " expected >= 1, got ",
                                height < 1 ? height : width));
    if (attrs.isNone("scale_height"))
      return {extent(op, "height", height), extent(op, "width", width)};
    // MXNet reads scale_width only when scale_height is given.
    const float sh = static_cast<float>(attrs.getFloat("scale_height"));
    const float sw =
        requiredScale(op, attrs, "scale_width", "when scale_height is given");
    return {extent(op, "height", std::trunc(sh * static_cast<float>(h))),
            extent(op, "width", std::trunc(sw * static_cast<float>(w)))};
  }
  if (mode == "odd_scale") {
    const std::string why = "with mode 'odd_scale'";
    const float sh = requiredScale(op, attrs, "scale_height", why);
    const float sw = requiredScale(op, attrs, "scale_width", why);
    auto scaled = [&](const char *what, int64_t size, float scale) {
      return size % 2 == 0
                 ? extent(op, what,
                          std::trunc(static_cast<float>(size) * scale))
                 : extent(op, what,
                          std::trunc(static_cast<float>(size - 1) * scale)) +
                       1;
    };
    return {scaled("height", h, sh), scaled("width", w, sw)};
  }
  if (mode == "like") {
    const Shape &like = in[1].shape();
    if (like.size() < 4)
      throw Error(formatMessage(op, ": like expected 4 dimensions (N, C, H, ",
                                "W), got shape ", shapeToString(like)));
    return {extent(op, "height", like[2]), extent(op, "width", like[3])};
  }
  const bool even = mode == "to_even_down" || mode == "to_even_up";
  const int64_t step = mode == "to_even_up" || mode == "to_odd_up" ? 1 : -1;
  auto adjusted = [&](int64_t size) {
    return (size % 2 == 0) == even ? size : size + step;
  };
  return {extent(op, "height", adjusted(h)), extent(op, "width", adjusted(w))};
}

NDArray bilinearResize(const std::string &op, const std::vector<NDArray> &in,
                       const Attrs &attrs) {
  const std::string mode =
      attrs.getChoice("mode", {"size", "odd_scale", "like", "to_even_down",
                               "to_even_up", "to_odd_down", "to_odd_up"});
  const size_t expected = mode == "like" ? 2 : 1;
  if (in.size() != expected)
    throw Error(formatMessage(op, ": expected ", expected, " input array",
                              expected == 2 ? "s (data, like)" : " (data)",
                              " with mode '", mode, "', got ", in.size()));
  const NDArray &data = in[0];
  requireImages(op, data);
  const bool alignCorners = attrs.getBool("align_corners");
  const auto [height, width] = resizedExtents(op, in, attrs, mode);
  const Shape &shape = data.shape();
  const Shape result{shape[0], shape[1], height, width};
  if (height == shape[2] && width == shape[3])
    return call("identity", {data}); // MXNet's copy, NaN-exact
  if (numElements(result) == 0)
    return zerosOf(result, data.dtype());
  if (data.size() == 0)
    throw Error(formatMessage(op, ": data expected a non-empty image to ",
                              "resize to ", shapeToString(result), ", got ",
                              "shape ", shapeToString(shape)));
  // Columns, then rows: h0 * (w0 * a + w1 * b) + h1 * (w0 * c + w1 * d).
  NDArray rows =
      interpolate(op, data, bilinearTaps(shape[3], width, alignCorners), 3);
  return interpolate(op, rows, bilinearTaps(shape[2], height, alignCorners), 2);
}

//===--- AdaptiveAvgPooling2D ---------------------------------------------===//

/// Pushes `kernel(in, out)` over a contiguous copy of `x` (float16 computes
/// in float32) into a new array of `shape`, returned in x's dtype.
NDArray runPlanes(const std::string &op, const NDArray &x, const Shape &shape,
                  void (*kernel)(const Tensor &, const Tensor &)) {
  const DType dtype = x.dtype();
  const DType compute = dtype == DType::Float16 ? DType::Float32 : dtype;
  NDArray input = dtype == compute && x.tensor().isContiguous()
                      ? x
                      : dispatch::cast(x, compute);
  NDArray output = NDArray::empty(shape, compute);
  Engine::global().push(
      [kernel, in = input.tensor(), out = output.tensor()] { kernel(in, out); },
      x.device(), {input.var()}, {output.var()}, 0, op);
  return compute == dtype ? output : dispatch::cast(output, dtype);
}

constexpr const char *kPool = "_contrib_AdaptiveAvgPooling2D";
constexpr const char *kPoolBackward = "_adaptive_avg_pooling2d_backward";

NDArray adaptiveAvgPooling(const std::vector<NDArray> &in, const Attrs &attrs) {
  const NDArray &data = in[0];
  requireImages(kPool, data);
  const std::vector<int64_t> size = attrs.getIntTuple("output_size");
  // MXNet: () and tuples of 3 or more give 1 x 1.
  int64_t height = 1, width = 1;
  if (size.size() == 1)
    height = width = size[0];
  else if (size.size() == 2)
    height = size[0], width = size[1];
  if (height < 0 || width < 0)
    throw Error(formatMessage(kPool, ": output_size expected non-negative ",
                              "extents, got ", attrs.getString("output_size")));
  const Shape &shape = data.shape();
  const Shape result{shape[0], shape[1], height, width};
  if (checkedNumElements(formatMessage(kPool, ": output_size"), result,
                         data.dtype()) == 0)
    return zerosOf(result, data.dtype());
  if (shape[2] == 0 || shape[3] == 0)
    throw Error(formatMessage(kPool, ": data expected a non-empty image to ",
                              "pool to ", shapeToString(result), ", got shape ",
                              shapeToString(shape)));
  return runPlanes(kPool, data, result, adaptiveAvgPool2d);
}

/// The gradient of pooling to grad's extents from (height, width): a linear
/// map whose own gradient is the pooling again.
NDArray adaptiveAvgPoolingBackward(const std::vector<NDArray> &in,
                                   const Attrs &attrs) {
  const NDArray &grad = in[0];
  requireImages(kPoolBackward, grad);
  const Shape &shape = grad.shape();
  const Shape result{shape[0], shape[1], attrs.getInt("height"),
                     attrs.getInt("width")};
  if (result[2] < 1 || result[3] < 1)
    throw Error(formatMessage(kPoolBackward, ": height and width expected ",
                              ">= 1, got ", shapeToString(result)));
  if (checkedNumElements(kPoolBackward, result, grad.dtype()) == 0 ||
      grad.size() == 0)
    return zerosOf(result, grad.dtype());
  return runPlanes(kPoolBackward, grad, result, adaptiveAvgPool2dBackward);
}

} // namespace

void registerResizeOps(OpRegistry &registry) {
  registry.add(
      {"_contrib_BilinearResize2D",
       {"data", "like?"},
       {{"height", Kind::Int, "1"},
        {"width", Kind::Int, "1"},
        {"scale_height", Kind::Float, "None"},
        {"scale_width", Kind::Float, "None"},
        {"mode", Kind::String, "size"},
        {"align_corners", Kind::Bool, "True"}},
       "Bilinear resize of data (N, C, H, W), float16/32/64, to (N, C, "
       "height, width). mode 'size': height and width (each >= 1), or with "
       "scale_height int(scale_height * H) and int(scale_width * W) (MXNet "
       "ignores scale_width without scale_height); 'odd_scale': extents d "
       "even give int(d * scale), odd int((d - 1) * scale) + 1 (both scales "
       "required); 'like': the extents of the second input like (N, C, H', "
       "W'); 'to_even_down'/'to_even_up'/'to_odd_down'/'to_odd_up': the "
       "nearest even/odd extent below/above an odd/even one. align_corners: "
       "corner pixels map to corner pixels (source = d * (in - 1) / (out - "
       "1)); otherwise half-pixel centres (source = (d + 0.5) * in / out - "
       "0.5, at least 0). Output extents must lie in [0, 32767] (MXNet's "
       "int16). Errors: data not 4-D or not float, a missing or extra like, "
       "a missing scale, a negative or too large extent, an unknown mode. "
       "MXNet's _contrib_BilinearResize2D; like takes no gradient.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return bilinearResize("_contrib_BilinearResize2D", in, attrs);
       }});
  registry.add(
      {kPool,
       {"data"},
       {{"output_size", Kind::IntTuple, "()"}},
       "Adaptive average pooling of data (N, C, H, W), float16/32/64, to (N, "
       "C, h, w): output_size () gives 1 x 1 (so do tuples of 3 or more, as "
       "in MXNet), s gives s x s, (h, w) gives h x w. Output (i, j) averages "
       "rows [floor(i * H / h), ceil((i + 1) * H / h)) and the matching "
       "columns (windows may overlap when h > H). Errors: data not 4-D or not "
       "float, a negative extent, an empty image pooled to a non-empty "
       "output. MXNet's _contrib_AdaptiveAvgPooling2D.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return adaptiveAvgPooling(in, attrs);
       },
       nullptr,
       [](const GradientArgs &args) -> std::vector<NDArray> {
         const Shape &shape = args.inputs[0].shape();
         return {call(kPoolBackward, {args.outputGrad},
                      {{"height", std::to_string(shape[2])},
                       {"width", std::to_string(shape[3])}})};
       }});
  registry.add(
      {kPoolBackward,
       {"grad"},
       {{"height", Kind::Int, std::nullopt},
        {"width", Kind::Int, std::nullopt}},
       "The gradient of _contrib_AdaptiveAvgPooling2D from (height, width) "
       "to grad's extents, with respect to its data: each of grad (N, C, h, "
       "w) divided by its window's size and spread over the window, giving "
       "(N, C, height, width). Internal (autograd's); differentiable again.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return adaptiveAvgPoolingBackward(in, attrs);
       },
       nullptr,
       [](const GradientArgs &args) -> std::vector<NDArray> {
         const Shape &shape = args.inputs[0].shape();
         return {call(kPool, {args.outputGrad},
                      {{"output_size", shapeAttr({shape[2], shape[3]})}})};
       }});
}

} // namespace ops
} // namespace kiln
