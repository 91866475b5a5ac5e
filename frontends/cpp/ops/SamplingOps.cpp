//===- SamplingOps.cpp - UpSampling, grid sampling, ROIPooling, im2col ----===//
//
// MXNet 1.9.1's spatial sampling operators, each a decomposition into
// primitives and ops that autograd differentiates:
//
// * UpSampling 'nearest' is a reshape and broadcast_to (its gradient sums
//   each scale x scale block, as MXNet's); 'bilinear' is MXNet's own
//   lowering, a per-channel Deconvolution with kernel 2s - s % 2, stride s
//   and pad ceil((s - 1) / 2).
// * GridGenerator is a matmul against the target grid (affine) or the
//   normalized flow (warp); BilinearSampler takes each output's four
//   neighbours from the data viewed as (batch * height * width, channel)
//   rows and weighs them with bilinear weights zeroed where a neighbour lies
//   outside the image, so the gradients of data (take's scatter_add) and of
//   the grid (through the weights) are MXNet's. SpatialTransformer is the
//   two in sequence, as in MXNet.
// * ROIPooling reads the ROIs (they decide the bins, and MXNet's bins round
//   in the data's dtype), lists each bin's candidate pixels, finds the
//   first maximum (argmax) unrecorded and takes that one element, so the
//   gradient goes where MXNet's argmax points and the ROIs take none.
// * im2col is a gather (take) of the image, flattened with a zero appended
//   for the padding, by a (kernel position, block) index table; col2im the
//   matching scatter_add (its adjoint), so each is the other's gradient.
//   The table costs K * blocks indices (a convolution with one-hot filters
//   would cost C * K^2 values and multiply-adds).
//
// The host-side tables (grids, ROI bins, window indices) are bounded by
// kTableLimit entries and every size is overflow-checked, so that absurd
// attributes raise an error naming them rather than allocate or wrap.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Elementwise.h"
#include "frontends/cpp/ops/Matrices.h"
#include "frontends/cpp/ops/Ops.h"
#include "runtime/ShapeOnly.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>

namespace kiln {
namespace ops {
namespace {

/// The most entries a table built on the host (a grid, ROI bins, im2col's
/// window indices) may have: 2^28, 2 GiB of 8-byte values.
constexpr int64_t kTableLimit = int64_t(1) << 28;

/// The product of `factors` (each >= 0), or -1 when it overflows int64 or
/// exceeds `limit`.
int64_t boundedProduct(const std::vector<int64_t> &factors,
                       int64_t limit = INT64_MAX) {
  int64_t total = 1;
  for (int64_t factor : factors)
    if (__builtin_mul_overflow(total, factor, &total) || total > limit)
      return -1;
  return total;
}

void requireRank(const std::string &op, const std::string &name,
                 const NDArray &array, size_t rank, const char *layout) {
  if (array.shape().size() != rank)
    throw Error(formatMessage(op, ": ", name, " expected a ", rank, "-D array ",
                              layout, ", got shape ",
                              shapeToString(array.shape())));
}

void requireSameDType(const std::string &op, const std::string &name,
                      const NDArray &array, DType dtype) {
  if (array.dtype() != dtype)
    throw Error(formatMessage(op, ": ", name, " expected dtype ",
                              dtypeName(dtype), " (data's), got ",
                              dtypeName(array.dtype())));
}

/// MXNet's real types: float16, float32, float64.
void requireFloating(const std::string &op, const std::string &name,
                     const NDArray &array) {
  const DType dtype = array.dtype();
  if (dtype != DType::Float16 && dtype != DType::Float32 &&
      dtype != DType::Float64)
    throw Error(formatMessage(op, ": ", name,
                              " expected float16, float32 or float64, got ",
                              dtypeName(dtype)));
}

/// An array of `shape` and `dtype` holding `values` (given in float64,
/// rounded once to the dtype).
NDArray constantArray(const std::vector<double> &values, const Shape &shape,
                      DType dtype) {
  NDArray wide = NDArray::fromData(values.data(), shape, DType::Float64);
  return dtype == DType::Float64 ? wide : dispatch::cast(wide, dtype);
}

NDArray transposed(const NDArray &x, const Shape &axes) {
  return call("transpose", {x}, {{"axes", shapeAttr(axes)}});
}

/// `x` (N, C, H, W) as rows (N * H * W, C): one row per pixel, for take to
/// gather whole pixels.
NDArray pixelRows(const NDArray &x) {
  const Shape &s = x.shape();
  return dispatch::reshape(transposed(x, {0, 2, 3, 1}),
                           {s[0] * s[2] * s[3], s[1]});
}

// UpSampling.

/// Each pixel of x (N, C, H, W) repeated into a scale x scale block.
NDArray nearest(const NDArray &x, int64_t scale) {
  if (scale == 1)
    return x;
  const Shape &s = x.shape();
  NDArray blocks = dispatch::broadcastTo(
      dispatch::reshape(x, {s[0], s[1], s[2], 1, s[3], 1}),
      {s[0], s[1], s[2], scale, s[3], scale}, "UpSampling");
  return dispatch::reshape(blocks, {s[0], s[1], s[2] * scale, s[3] * scale});
}

NDArray upSampling(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "UpSampling";
  const std::string type =
      attrs.getChoice("sample_type", {"nearest", "bilinear"});
  const std::string mode =
      attrs.getChoice("multi_input_mode", {"concat", "sum"});
  const int64_t scale = attrs.getInt("scale");
  if (scale < 1)
    throw Error(
        formatMessage(op, ": scale expected an integer >= 1, got ", scale));
  if (attrs.getInt("workspace") < 0)
    throw Error(formatMessage(op, ": workspace expected >= 0, got ",
                              attrs.getInt("workspace")));
  const int64_t numFilter = attrs.getInt("num_filter");
  const NDArray &data = in[0];
  requireRank(op, "data", data, 4, "(batch, channel, height, width)");
  requireFloating(op, "data", data);
  const Shape &shape = data.shape();
  // Each input's output, (N, C_i, H * scale, W * scale), checked before
  // any internal shape can overflow.
  auto checkOutput = [&](const std::string &name, const Shape &s,
                         int64_t factor) {
    if (boundedProduct({s[2], factor}) < 0 ||
        boundedProduct({s[3], factor}) < 0 ||
        boundedProduct({s[0], s[1], s[2], factor, s[3], factor}) < 0)
      throw Error(formatMessage(op, ": scale ", scale, " upsamples ", name,
                                " of shape ", shapeToString(s),
                                " past a 64-bit element count"));
  };
  checkOutput("data", shape, scale);
  if (type == "bilinear") {
    if (in.size() != 2)
      throw Error(formatMessage(op,
                                ": sample_type 'bilinear' expects 2 inputs "
                                "(data, weight), got ",
                                in.size()));
    matrices::requireFloat32or64(op, "data", data);
    if (shape[1] < 1)
      throw Error(formatMessage(op,
                                ": sample_type 'bilinear' expected data "
                                "with at least one channel, got shape ",
                                shapeToString(shape)));
    if (scale > INT64_MAX / 2)
      throw Error(formatMessage(op, ": scale expected at most ", INT64_MAX / 2,
                                " for sample_type 'bilinear' (its kernel "
                                "is 2 scale - scale % 2), got ",
                                scale));
    if (numFilter != shape[1])
      throw Error(formatMessage(
          op, ": num_filter expected ", shape[1],
          " (data's channels: bilinear upsampling filters each channel), "
          "got ",
          numFilter));
    const int64_t kernel = 2 * scale - scale % 2, pad = scale / 2;
    const NDArray &weight = in[1];
    if (weight.shape() != Shape{shape[1], 1, kernel, kernel})
      throw Error(formatMessage(op, ": weight expected shape ",
                                shapeToString({shape[1], 1, kernel, kernel}),
                                " (channels, 1, 2 scale - scale % 2, ...), "
                                "got ",
                                shapeToString(weight.shape())));
    requireSameDType(op, "weight", weight, data.dtype());
    const std::string size = shapeAttr({kernel, kernel});
    return call("Deconvolution", {data, weight},
                {{"kernel", size},
                 {"stride", shapeAttr({scale, scale})},
                 {"pad", shapeAttr({pad, pad})},
                 {"num_filter", std::to_string(shape[1])},
                 {"num_group", std::to_string(shape[1])},
                 {"no_bias", "True"}});
  }
  // Nearest: the first input sets the output's extent; every other one must
  // reach it with one integer scale (MXNet 1.9.1 derives it from the height
  // and applies it to both axes).
  const int64_t height = shape[2] * scale, width = shape[3] * scale;
  std::vector<NDArray> pieces;
  for (size_t i = 0; i < in.size(); ++i) {
    const NDArray &x = in[i];
    const std::string name = "input " + std::to_string(i);
    requireRank(op, name, x, 4, "(batch, channel, height, width)");
    requireSameDType(op, name, x, data.dtype());
    const Shape &s = x.shape();
    if (s[0] != shape[0])
      throw Error(formatMessage(op, ": ", name, " has batch ", s[0],
                                ", expected ", shape[0], " (input 0's)"));
    if (s[2] < 1 || s[3] < 1)
      throw Error(formatMessage(op, ": ", name,
                                " expected non-empty height and width, got "
                                "shape ",
                                shapeToString(s)));
    const int64_t factor = i == 0 ? scale : height / s[2];
    if (s[2] * factor != height || s[3] * factor != width)
      throw Error(formatMessage(
          op, ": ", name, " has height and width (", s[2], ", ", s[3],
          "), expected an integer fraction of the output's (", height, ", ",
          width, ") with one scale for both"));
    if (mode == "sum" && s[1] != shape[1])
      throw Error(formatMessage(op, ": ", name, " has ", s[1],
                                " channels, expected ", shape[1],
                                " (multi_input_mode 'sum' adds the inputs)"));
    checkOutput(name, s, factor);
    pieces.push_back(nearest(x, factor));
  }
  if (pieces.size() == 1)
    return pieces[0];
  if (mode == "sum")
    return call("add_n", pieces);
  return call("Concat", pieces, {{"dim", "1"}});
}

// GridGenerator, BilinearSampler, SpatialTransformer.

/// The (height, width) attribute `name`, both >= 1.
std::pair<int64_t, int64_t> heightWidth(const std::string &op,
                                        const Attrs &attrs, const char *name) {
  const std::vector<int64_t> extents = attrs.getIntTuple(name);
  if (extents.size() != 2 || extents[0] < 1 || extents[1] < 1)
    throw Error(formatMessage(op, ": ", name,
                              " expected (height, width), both >= 1, got ",
                              shapeAttr(extents)));
  return {extents[0], extents[1]};
}

/// A value rounded to float when `dtype` is float32 (MXNet computes the
/// grids in the data's dtype).
double inDType(double value, DType dtype) {
  return dtype == DType::Float32 ? static_cast<float>(value) : value;
}

/// The (height, width) attribute `name` of `op`, both >= 1 and, as the
/// grid built on the host holds 3 values a point, at most kTableLimit / 3
/// points.
std::pair<int64_t, int64_t> gridExtents(const std::string &op,
                                        const Attrs &attrs, const char *name) {
  const auto [height, width] = heightWidth(op, attrs, name);
  if (boundedProduct({3, height, width}, kTableLimit) < 0)
    throw Error(formatMessage(op, ": ", name, " expected at most ",
                              kTableLimit / 3, " points (height * width), got ",
                              shapeAttr({height, width})));
  return {height, width};
}

NDArray affineGrid(const NDArray &data, int64_t height, int64_t width) {
  const std::string op = "GridGenerator";
  requireRank(op, "data", data, 2, "(batch, 6) for transform_type 'affine'");
  if (data.shape()[1] != 6)
    throw Error(formatMessage(op,
                              ": data expected shape (batch, 6) (the 2x3 "
                              "affine matrices) for transform_type "
                              "'affine', got ",
                              shapeToString(data.shape())));
  // The target grid (x, y, 1) over (height * width), x and y from -1 to 1
  // as MXNet computes them: -1 + index * (2 / (extent - 1)).
  const DType dtype = data.dtype();
  const double stepX = inDType(2.0 / (width - 1), dtype),
               stepY = inDType(2.0 / (height - 1), dtype);
  const int64_t pixels = height * width;
  std::vector<double> grid(3 * pixels);
  for (int64_t i = 0; i < pixels; ++i) {
    grid[i] = inDType(-1.0 + inDType((i % width) * stepX, dtype), dtype);
    grid[pixels + i] =
        inDType(-1.0 + inDType((i / width) * stepY, dtype), dtype);
    grid[2 * pixels + i] = 1;
  }
  const int64_t batch = data.shape()[0];
  NDArray points = dispatch::matmul(dispatch::reshape(data, {batch * 2, 3}),
                                    constantArray(grid, {3, pixels}, dtype));
  return dispatch::reshape(points, {batch, 2, height, width});
}

NDArray warpGrid(const NDArray &data) {
  const std::string op = "GridGenerator";
  requireRank(op, "data", data, 4,
              "(batch, 2, height, width) for transform_type 'warp'");
  const Shape &s = data.shape();
  if (s[1] != 2)
    throw Error(formatMessage(op,
                              ": data expected shape (batch, 2, height, "
                              "width) (the flow's x and y) for "
                              "transform_type 'warp', got ",
                              shapeToString(s)));
  // (flow + pixel position) / ((extent - 1) / 2) - 1.
  const int64_t height = s[2], width = s[3];
  if (boundedProduct({2, height, width}, kTableLimit) < 0) // an empty batch
    throw Error(formatMessage(op, ": data expected at most ", kTableLimit / 2,
                              " points (height * width), got shape ",
                              shapeToString(s)));
  std::vector<double> position(2 * height * width);
  for (int64_t i = 0; i < height * width; ++i) {
    position[i] = i % width;
    position[height * width + i] = i / width;
  }
  const DType dtype = data.dtype();
  Ew e(op, dtype);
  NDArray halves = constantArray({(width - 1.0) / 2.0, (height - 1.0) / 2.0},
                                 {1, 2, 1, 1}, dtype);
  NDArray moved =
      e.add(data, constantArray(position, {1, 2, height, width}, dtype));
  return e.sub(e.div(moved, halves), e.c(1));
}

/// The bilinear sample of data (N, C, H, W) at grid (N, 2, Ho, Wo) (x, y in
/// [-1, 1]); neighbours outside the image count as 0.
NDArray bilinearSample(const std::string &op, const NDArray &data,
                       const NDArray &grid) {
  const Shape &ds = data.shape(), &gs = grid.shape();
  const int64_t batch = ds[0], height = ds[2], width = ds[3], rows = gs[2],
                columns = gs[3];
  if (height < 1 || width < 1)
    throw Error(formatMessage(op,
                              ": data expected a non-empty height and width, "
                              "got shape ",
                              shapeToString(ds)));
  const DType dtype = data.dtype();
  Ew e(op, dtype);
  // Source coordinates as MXNet computes them, (g + 1) * (extent - 1) / 2
  // in the data's dtype, each (N, Ho, Wo, 1).
  auto coordinate = [&](int64_t channel, int64_t extent) {
    NDArray g = call("slice_axis", {grid},
                     {{"axis", "1"},
                      {"begin", std::to_string(channel)},
                      {"end", std::to_string(channel + 1)}});
    g = dispatch::reshape(g, {batch, rows, columns, 1});
    return e.div(e.mul(e.add(g, e.c(1)), e.c(static_cast<double>(extent - 1))),
                 e.c(2));
  };
  const NDArray x = coordinate(0, width), y = coordinate(1, height);
  const NDArray left = e("floor", {x}), top = e("floor", {y});
  const NDArray fx = e.sub(x, left), fy = e.sub(y, top);
  // The four neighbours along a last axis, in MXNet's order: top-left,
  // top-right, bottom-left, bottom-right. Weight 1 - f at the near one,
  // f at the far one: near + f * sign.
  auto corners = [&](std::vector<double> values) {
    return constantArray(values, {4}, dtype);
  };
  const NDArray dx = corners({0, 1, 0, 1}), dy = corners({0, 0, 1, 1});
  const NDArray xs = e.add(left, dx), ys = e.add(top, dy);
  NDArray weight =
      e.mul(e.add(e.mul(fy, corners({-1, -1, 1, 1})), corners({1, 1, 0, 0})),
            e.add(e.mul(fx, corners({-1, 1, -1, 1})), corners({1, 0, 1, 0})));
  NDArray inside;
  NDArray row;
  {
    // Which neighbours lie in the image, and their rows: constants to
    // autograd.
    autograd::RecordingScope unrecorded(false);
    auto within = [&](const NDArray &v, int64_t extent) {
      return e.both(e.test("ge", v, e.c(0)),
                    e.test("le", v, e.c(static_cast<double>(extent - 1))));
    };
    inside = e.both(within(xs, width), within(ys, height));
    auto clipped = [&](const NDArray &v, int64_t extent) {
      NDArray c = e("minimum", {e("maximum", {v, e.c(0)}),
                                e.c(static_cast<double>(extent - 1))});
      return dispatch::cast(c, DType::Int64);
    };
    Ew i(op, DType::Int64);
    NDArray image = i.mul(dispatch::iota(op, {batch, 1, 1, 1}, 0, DType::Int64),
                          i.c(static_cast<double>(height * width)));
    row = i.add(i.add(image, i.mul(clipped(ys, height),
                                   i.c(static_cast<double>(width)))),
                clipped(xs, width));
  }
  weight = e.select(inside, weight, e.c(0));
  NDArray values =
      call("take", {pixelRows(data), row}, {{"axis", "0"}, {"mode", "clip"}});
  NDArray sum = dispatch::reduction(
      "reduce_sum",
      e.mul(values, dispatch::reshape(weight, {batch, rows, columns, 4, 1})),
      {3}, false, dtype);
  return transposed(sum, {0, 3, 1, 2});
}

NDArray bilinearSampler(const std::vector<NDArray> &in) {
  const std::string op = "BilinearSampler";
  const NDArray &data = in[0], &grid = in[1];
  requireRank(op, "data", data, 4, "(batch, channel, height, width)");
  requireRank(op, "grid", grid, 4, "(batch, 2, height, width)");
  requireFloating(op, "data", data);
  requireSameDType(op, "grid", grid, data.dtype());
  if (grid.shape()[1] != 2 || grid.shape()[0] != data.shape()[0])
    throw Error(formatMessage(op, ": grid expected shape (", data.shape()[0],
                              ", 2, height, width) (data's batch, then x and "
                              "y), got ",
                              shapeToString(grid.shape())));
  if (grid.shape()[2] < 1 || grid.shape()[3] < 1)
    throw Error(formatMessage(op,
                              ": grid expected a non-empty height and "
                              "width, got shape ",
                              shapeToString(grid.shape())));
  return bilinearSample(op, data, grid);
}

// ROIPooling.

/// `value` rounded to the nearest half-precision number (ties to even).
double roundedToHalf(double value) {
  if (value == 0 || !std::isfinite(value))
    return value;
  if (std::fabs(value) >= 65520) // past the largest half, 65504
    return std::copysign(INFINITY, value);
  int exponent;
  std::frexp(value, &exponent);
  // 11 significant bits; subnormals below 2^-14 keep bits down to 2^-24.
  const double unit = std::ldexp(1.0, std::max(exponent, -13) - 11);
  return std::nearbyint(value / unit) * unit;
}

/// `value` in the dtype's arithmetic: MXNet's ROIPooling rounds every
/// product and quotient to the data's dtype (half's through float).
double inRoiDType(double value, DType dtype) {
  switch (dtype) {
  case DType::Float64:
    return value;
  case DType::Float16:
    return roundedToHalf(static_cast<float>(value));
  default:
    return static_cast<float>(value);
  }
}

/// A double as an int the way C converts it, saturated (MXNet's casts of
/// far-out coordinates overflow; these stay far out).
int64_t toInt(double value) {
  return static_cast<int64_t>(std::max(-1e9, std::min(1e9, value)));
}

NDArray roiPooling(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "ROIPooling";
  const NDArray &data = in[0], &rois = in[1];
  const auto [pooledHeight, pooledWidth] =
      heightWidth(op, attrs, "pooled_size");
  const std::vector<int64_t> pooled = {pooledHeight, pooledWidth};
  const double givenScale = attrs.getFloat("spatial_scale");
  if (!(givenScale >= 0 && givenScale <= 1))
    throw Error(formatMessage(op,
                              ": spatial_scale expected a value in [0, 1], "
                              "got ",
                              givenScale));
  requireRank(op, "data", data, 4, "(batch, channel, height, width)");
  requireFloating(op, "data", data);
  requireRank(op, "rois", rois, 2, "(rois, 5)");
  if (rois.shape()[1] != 5)
    throw Error(formatMessage(op,
                              ": rois expected shape (rois, 5) (batch index, "
                              "x1, y1, x2, y2), got ",
                              shapeToString(rois.shape())));
  requireSameDType(op, "rois", rois, data.dtype());
  const DType dtype = data.dtype();
  const Shape &s = data.shape();
  const int64_t batch = s[0], channels = s[1], height = s[2], width = s[3];
  const int64_t count = rois.shape()[0];
  // Every ROI's bins are laid out on the host.
  const int64_t bins = boundedProduct(pooled);
  if (bins < 0 ||
      boundedProduct({std::max<int64_t>(count, 1), bins}, kTableLimit) < 0 ||
      boundedProduct({count, channels, bins}) < 0)
    throw Error(formatMessage(op, ": pooled_size expected at most ",
                              kTableLimit,
                              " bins over all rois (rois * pooled height * "
                              "pooled width), got ",
                              shapeAttr(pooled), " for ", count, " rois"));
  // The output's shape does not depend on the ROIs' values: shape inference
  // (which has no values) stops here.
  if (count == 0 || shapeOnly())
    return zerosOf({count, channels, pooled[0], pooled[1]}, dtype);

  // The bins depend on the ROIs' values: read them (this waits for them).
  std::vector<double> boxes(count * 5);
  dispatch::cast(rois, DType::Float64).copyTo(boxes.data());
  const double scale = static_cast<float>(givenScale); // MXNet's is a float
  // Rows of the pixel table: data's pixels, then 0 (an empty bin's value)
  // and -FLT_MAX (MXNet's starting maximum; a bin whose values are all
  // lower gives it, and no gradient).
  const int64_t zeroRow = batch * height * width, lowestRow = zeroRow + 1;
  struct Bin {
    int64_t image, top, bottom, left, right;
  };
  std::vector<Bin> layout(count * bins);
  int64_t widest = 0;
  for (int64_t r = 0; r < count; ++r) {
    const double *box = &boxes[r * 5];
    for (int k = 0; k < 5; ++k)
      if (!std::isfinite(box[k]))
        throw Error(
            formatMessage(op, ": rois[", r, "] holds a non-finite value"));
    const int64_t image = toInt(box[0]);
    if (image < 0 || image >= batch)
      throw Error(formatMessage(op, ": rois[", r, ", 0] (the batch index) is ",
                                box[0], ", expected 0 to ", batch - 1));
    auto corner = [&](double v) {
      return toInt(std::round(inRoiDType(v * scale, dtype)));
    };
    const int64_t startW = corner(box[1]), startH = corner(box[2]),
                  endW = corner(box[3]), endH = corner(box[4]);
    // Malformed ROIs count as 1 x 1.
    const int64_t roiHeight = std::max<int64_t>(endH - startH + 1, 1),
                  roiWidth = std::max<int64_t>(endW - startW + 1, 1);
    const double binHeight = inRoiDType(
                     static_cast<double>(roiHeight) / pooled[0], dtype),
                 binWidth = inRoiDType(
                     static_cast<double>(roiWidth) / pooled[1], dtype);
    auto edge = [&](int64_t i, double size, bool end, int64_t start,
                    int64_t extent) {
      const double scaled = inRoiDType(i * size, dtype);
      const int64_t at = toInt(end ? std::ceil(scaled) : std::floor(scaled));
      return std::min(std::max(at + start, int64_t(0)), extent);
    };
    for (int64_t ph = 0; ph < pooled[0]; ++ph)
      for (int64_t pw = 0; pw < pooled[1]; ++pw) {
        Bin bin{image, edge(ph, binHeight, false, startH, height),
                edge(ph + 1, binHeight, true, startH, height),
                edge(pw, binWidth, false, startW, width),
                edge(pw + 1, binWidth, true, startW, width)};
        if (bin.bottom <= bin.top || bin.right <= bin.left)
          bin.bottom = bin.top; // empty
        widest =
            std::max(widest, (bin.bottom - bin.top) * (bin.right - bin.left));
        layout[r * bins + ph * pooled[1] + pw] = bin;
      }
  }
  // Each bin's candidates: its starting value (-FLT_MAX, or 0 when empty),
  // then its pixels row by row, padded with -FLT_MAX. The first maximum
  // wins, as MXNet's strict comparison from -FLT_MAX.
  const int64_t slots = widest + 1;
  NDArray table =
      call("Concat",
           {pixelRows(data),
            dispatch::broadcastTo(constantArray({0, -FLT_MAX}, {2, 1}, dtype),
                                  {2, channels}, op)},
           {{"dim", "0"}});
  // Which table element each output takes (row * C + channel), found
  // unrecorded; only the final take of those elements is recorded, so the
  // gradient is a scatter of the outputs alone. ROIs go in chunks that keep
  // the candidates near 4M values.
  const int64_t perChunk = std::max<int64_t>(
      1, (int64_t(1) << 22) / std::max<int64_t>(bins * slots * channels, 1));
  std::vector<NDArray> chosen;
  {
    autograd::RecordingScope unrecorded(false);
    Ew i(op, DType::Int64);
    const NDArray channel =
        dispatch::iota(op, {1, 1, channels}, 2, DType::Int64);
    for (int64_t first = 0; first < count; first += perChunk) {
      const int64_t n = std::min(perChunk, count - first);
      std::vector<int64_t> rowsOf(n * bins * slots, lowestRow);
      for (int64_t b = 0; b < n * bins; ++b) {
        const Bin &bin = layout[first * bins + b];
        int64_t *slot = &rowsOf[b * slots];
        if (bin.bottom == bin.top) {
          *slot = zeroRow;
          continue;
        }
        ++slot;
        for (int64_t h = bin.top; h < bin.bottom; ++h)
          for (int64_t w = bin.left; w < bin.right; ++w)
            *slot++ = (bin.image * height + h) * width + w;
      }
      NDArray rowTable =
          NDArray::fromData(rowsOf.data(), {n * bins * slots}, DType::Int64);
      NDArray candidates =
          call("take", {table, dispatch::reshape(rowTable, {n, bins, slots})},
               {{"axis", "0"}, {"mode", "clip"}}); // (n, bins, slots, C)
      NDArray best = dispatch::reduction("argmax", candidates, {2}, false,
                                         DType::Int64); // (n, bins, C)
      NDArray binStart =
          i.mul(dispatch::iota(op, {n, bins, 1}, 0, DType::Int64),
                i.c(static_cast<double>(bins * slots)));
      binStart = i.add(binStart,
                       i.mul(dispatch::iota(op, {1, bins, 1}, 1, DType::Int64),
                             i.c(static_cast<double>(slots))));
      NDArray row = call("take", {rowTable, i.add(binStart, best)},
                         {{"axis", "0"}, {"mode", "clip"}});
      chosen.push_back(
          i.add(i.mul(row, i.c(static_cast<double>(channels))), channel));
    }
  }
  NDArray elements =
      chosen.size() == 1 ? chosen[0] : call("Concat", chosen, {{"dim", "0"}});
  NDArray pooledRows =
      call("take", {dispatch::reshape(table, {table.size()}), elements},
           {{"axis", "0"}, {"mode", "clip"}}); // (R, bins, C)
  return transposed(
      dispatch::reshape(pooledRows, {count, pooled[0], pooled[1], channels}),
      {0, 3, 1, 2});
}

// im2col and col2im.

/// The sliding window of im2col/col2im: kernel, stride, dilate and pad, one
/// entry per spatial dimension (1 to 3), and its extents checked against an
/// image's (`extents`: the input's for im2col, output_size for col2im).
struct Sliding {
  std::vector<int64_t> kernel, stride, dilate, pad;
  /// prod(kernel), the kernel positions; and the blocks along each
  /// dimension and in all.
  int64_t size = 1, count = 1;
  std::vector<int64_t> blocks;
};

Sliding readSliding(const std::string &op, const Attrs &attrs,
                    const Shape &extents, const char *image) {
  Sliding w;
  w.kernel = attrs.getIntTuple("kernel");
  const size_t spatial = w.kernel.size();
  if (spatial < 1 || spatial > 3)
    throw Error(formatMessage(op, ": kernel expected 1 to 3 entries, got ",
                              shapeAttr(w.kernel)));
  auto tuple = [&](const char *name, int64_t fill, int64_t least) {
    std::vector<int64_t> values = attrs.getIntTuple(name);
    if (values.empty())
      values.assign(spatial, fill);
    if (values.size() != spatial)
      throw Error(formatMessage(op, ": ", name, " expected ", spatial,
                                " entries (as kernel ", shapeAttr(w.kernel),
                                "), got ", shapeAttr(values)));
    for (int64_t v : values)
      if (v < least)
        throw Error(formatMessage(op, ": ", name, " entries must be >= ", least,
                                  ", got ", shapeAttr(values)));
    return values;
  };
  w.kernel = tuple("kernel", 1, 1);
  w.stride = tuple("stride", 1, 1);
  w.dilate = tuple("dilate", 1, 1);
  w.pad = tuple("pad", 0, 0);
  if (extents.size() != spatial)
    return w; // the caller reports the mismatch
  // Overflow-checked: the attributes are 64-bit and unbounded.
  for (size_t d = 0; d < spatial; ++d) {
    int64_t span, twicePad, padded;
    if (__builtin_mul_overflow(w.dilate[d], w.kernel[d] - 1, &span) ||
        __builtin_add_overflow(span, 1, &span))
      throw Error(formatMessage(op, ": kernel ", shapeAttr(w.kernel),
                                " dilated by ", shapeAttr(w.dilate),
                                " spans more than a 64-bit extent holds"));
    if (__builtin_mul_overflow(w.pad[d], 2, &twicePad) ||
        __builtin_add_overflow(extents[d], twicePad, &padded))
      throw Error(formatMessage(op, ": pad ", shapeAttr(w.pad), " around the ",
                                image, " extents ", shapeAttr(extents),
                                " is more than a 64-bit extent holds"));
    if (span > padded)
      throw Error(formatMessage(
          op, ": kernel ", shapeAttr(w.kernel), " (dilated extent ", span,
          ") is larger than the padded ", image, " extent ", padded,
          " of spatial dimension ", d, " (", image, " extents ",
          shapeAttr(extents), ")"));
    w.blocks.push_back((padded - span) / w.stride[d] + 1);
  }
  // The image flattened, with room for the window indices' sums (one term
  // per dimension, each below the pixel count).
  if (boundedProduct({4, boundedProduct(extents)}) < 0)
    throw Error(formatMessage(op, ": ", image, " extents ", shapeAttr(extents),
                              " hold more pixels than a 64-bit count"));
  // Each (kernel position, block) pair is an index computed here (the
  // columns are a gather by these indices), so their count is bounded.
  w.size = boundedProduct(w.kernel);
  w.count = boundedProduct(w.blocks);
  if (boundedProduct({w.size, w.count}, kTableLimit) < 0)
    throw Error(formatMessage(
        op, ": kernel ", shapeAttr(w.kernel), " over ", shapeAttr(w.blocks),
        " blocks expected at most ", kTableLimit,
        " (kernel position, block) pairs, got ",
        w.size < 0 || w.count < 0 ? std::string("more than 2^63")
                                  : formatMessage(w.size, " * ", w.count)));
  return w;
}

/// (kernel positions, blocks) int64: where each block's kernel position
/// falls in the image (N, C, extents...) seen as (N, C, prod(extents) + 1),
/// the last column zeros, which positions in the padding take (an index
/// past it, clipped by take and scatter_add).
NDArray windowIndex(const std::string &op, const Sliding &w,
                    const Shape &extents) {
  const size_t spatial = extents.size();
  const int64_t outside = boundedProduct(extents);
  Ew e(op, DType::Int64);
  NDArray index;
  int64_t pitch = 1;
  for (size_t d = spatial; d-- > 0;) {
    // Along d: kernel position a of block b reads coordinate b * stride +
    // a * dilate - pad, its share of the flat index.
    const int64_t k = w.kernel[d], n = w.blocks[d];
    std::vector<int64_t> shares(k * n);
    for (int64_t a = 0; a < k; ++a)
      for (int64_t b = 0; b < n; ++b) {
        const int64_t at = b * w.stride[d] + a * w.dilate[d] - w.pad[d];
        shares[a * n + b] = at >= 0 && at < extents[d] ? at * pitch : outside;
      }
    Shape shape(2 * spatial, 1);
    shape[d] = k;
    shape[spatial + d] = n;
    NDArray share = NDArray::fromData(shares.data(), shape, DType::Int64);
    index = d + 1 == spatial ? share : e.add(share, index);
    pitch *= extents[d];
  }
  return dispatch::reshape(index, {w.size, w.count});
}

/// The dtype the gather or scatter runs in: float16 through float32
/// (im2col's copies are exact; col2im's sums round once).
DType computeDType(const std::string &op, const NDArray &data) {
  requireFloating(op, "data", data);
  return data.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
}

/// take/scatter_add's attributes: along axis 2, indices clipped.
compiler::KernelSignature gatherAlongAxis2(const char *primitive) {
  compiler::KernelSignature signature{primitive, {}, {}};
  signature.attributes["axis"] = {2};
  signature.attributes["mode"] = {0};
  return signature;
}

NDArray im2col(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "im2col";
  const NDArray &data = in[0];
  const Shape &s = data.shape();
  const Shape extents(s.begin() + std::min<size_t>(2, s.size()), s.end());
  const Sliding w = readSliding(op, attrs, extents, "input");
  const size_t spatial = w.kernel.size();
  if (s.size() != spatial + 2)
    throw Error(formatMessage(op, ": data expected ", spatial + 2,
                              " dimensions (batch, channel and one per "
                              "kernel entry) for kernel ",
                              shapeAttr(w.kernel), ", got shape ",
                              shapeToString(s)));
  if (s[1] < 1)
    throw Error(formatMessage(op,
                              ": data expected at least one channel, got "
                              "shape ",
                              shapeToString(s)));
  const int64_t rows = boundedProduct({s[1], w.size});
  if (rows < 0 || boundedProduct({s[0], rows, w.count}) < 0)
    throw Error(formatMessage(op, ": kernel ", shapeAttr(w.kernel),
                              " on data of shape ", shapeToString(s),
                              " gives more columns than a 64-bit count "
                              "holds"));
  const DType dtype = computeDType(op, data);
  NDArray x = dtype == data.dtype() ? data : dispatch::cast(data, dtype);
  // (N, C, pixels + 1): the image's pixels, then a zero for the padding.
  x = call("Concat",
           {dispatch::reshape(x, {s[0], s[1], boundedProduct(extents)}),
            zerosOf({s[0], s[1], 1}, dtype)},
           {{"dim", "2"}});
  NDArray columns = dispatch::generate(op, gatherAlongAxis2("take"),
                                       {x, windowIndex(op, w, extents)},
                                       {s[0], s[1], w.size, w.count}, dtype);
  columns = dispatch::reshape(columns, {s[0], rows, w.count});
  return dtype == data.dtype() ? columns
                               : dispatch::cast(columns, data.dtype());
}

NDArray col2im(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "col2im";
  const std::vector<int64_t> size = attrs.getIntTuple("output_size");
  for (int64_t v : size)
    if (v < 1)
      throw Error(formatMessage(op, ": output_size entries must be >= 1, got ",
                                shapeAttr(size)));
  const Sliding w = readSliding(op, attrs, Shape(size), "output");
  const size_t spatial = w.kernel.size();
  if (size.size() != spatial)
    throw Error(formatMessage(op, ": output_size expected ", spatial,
                              " entries (as kernel ", shapeAttr(w.kernel),
                              "), got ", shapeAttr(size)));
  const NDArray &data = in[0];
  requireRank(op, "data", data, 3, "(batch, channel * kernel size, blocks)");
  const Shape &s = data.shape();
  if (s[2] != w.count)
    throw Error(formatMessage(op, ": data has ", s[2],
                              " blocks (its last extent), expected ", w.count,
                              " for output_size ", shapeAttr(size),
                              " and this kernel, stride, dilate and pad"));
  if (s[1] < 1 || s[1] % w.size != 0)
    throw Error(formatMessage(op, ": data's second extent is ", s[1],
                              ", expected a positive multiple of the kernel "
                              "size ",
                              w.size));
  const int64_t channels = s[1] / w.size, pixels = boundedProduct(size);
  if (boundedProduct({s[0], channels, pixels + 1}) < 0)
    throw Error(formatMessage(op, ": output_size ", shapeAttr(size), " for ",
                              s[0], " images of ", channels,
                              " channels is more than a 64-bit count holds"));
  const DType dtype = computeDType(op, data);
  NDArray x = dispatch::reshape(
      dtype == data.dtype() ? data : dispatch::cast(data, dtype),
      {s[0], channels, w.size, w.count});
  // Each column added at its pixel; those in the padding land on the extra
  // last pixel, dropped.
  NDArray image =
      dispatch::generate(op, gatherAlongAxis2("scatter_add"),
                         {zerosOf({s[0], channels, pixels + 1}, dtype),
                          windowIndex(op, w, Shape(size)), x},
                         {s[0], channels, pixels + 1}, dtype);
  image =
      call("slice_axis", {image},
           {{"axis", "2"}, {"begin", "0"}, {"end", std::to_string(pixels)}});
  Shape shape = {s[0], channels};
  shape.insert(shape.end(), size.begin(), size.end());
  image = dispatch::reshape(image, shape);
  return dtype == data.dtype() ? image : dispatch::cast(image, data.dtype());
}

const char *kCudnnOff = "cudnn_off";

/// cudnn_off: None or a boolean (no cuDNN here; checked only).
void checkCudnnOff(const Attrs &attrs) {
  if (!attrs.isNone(kCudnnOff))
    attrs.getBool(kCudnnOff);
}

} // namespace

void registerSamplingOps(OpRegistry &registry) {
  registry.add(
      {"UpSampling",
       {"*data"},
       {{"scale", AttrSpec::Kind::Int, std::nullopt},
        {"num_filter", AttrSpec::Kind::Int, "0"},
        {"sample_type", AttrSpec::Kind::String, std::nullopt},
        {"multi_input_mode", AttrSpec::Kind::String, "concat"},
        {"workspace", AttrSpec::Kind::Int, "512"}},
       "Upsamples NCHW data by the integer scale (>= 1), as MXNet 1.9.1's "
       "UpSampling. sample_type 'nearest' repeats each pixel into a scale x "
       "scale block (float16/32/64); more inputs (N, C_i, H_i, W_i) are each "
       "upsampled by the one integer factor that takes them to the first "
       "input's H * scale x W * scale, then joined along the channels "
       "(multi_input_mode 'concat', default) or added ('sum', equal "
       "channels). sample_type 'bilinear' takes (data, weight) and is "
       "MXNet's Deconvolution with weight (C, 1, k, k), k = 2 scale - scale "
       "% 2, stride scale, pad ceil((scale - 1) / 2), num_group = num_filter "
       "= C (num_filter must equal data's channels; float32/float64). "
       "workspace is accepted and unused. The gradient of nearest sums each "
       "block; bilinear's are the Deconvolution's (data and weight).\n\n"
       "Errors: scale < 1, data not 4-D or not floating point, inputs of "
       "another dtype or batch, an input no integer factor takes to the "
       "output's extent, unequal channels in 'sum' mode, bilinear without a "
       "weight, a weight of the wrong shape, num_filter not data's "
       "channels, data with no channels for bilinear, an output past a "
       "64-bit element count.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return upSampling(in, attrs);
       }});
  registry.add(
      {"GridGenerator",
       {"data"},
       {{"transform_type", AttrSpec::Kind::String, std::nullopt},
        {"target_shape", AttrSpec::Kind::IntTuple, "(0, 0)"}},
       "A sampling grid for BilinearSampler, as MXNet 1.9.1's GridGenerator: "
       "(N, 2, H, W) holding source x then y normalized to [-1, 1]. "
       "transform_type 'affine': data (N, 6) is each 2x3 affine matrix, "
       "applied to the target grid (x, y, 1) of target_shape (H, W), where "
       "x and y run from -1 to 1 (an extent of 1 gives NaN, as MXNet). "
       "'warp': data (N, 2, H, W) is an optical flow in pixels, the grid "
       "(flow + pixel position) / ((extent - 1) / 2) - 1; target_shape is "
       "ignored. float32 (MXNet's only dtype) or float64.\n\nErrors: "
       "affine data not (N, 6), warp data not (N, 2, H, W), target_shape "
       "not two extents >= 1 for affine or of more than 2^28 / 3 points "
       "(the target grid is built on the host), other dtypes.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const std::string op = "GridGenerator";
         const std::string type =
             attrs.getChoice("transform_type", {"affine", "warp"});
         matrices::requireFloat32or64(op, "data", in[0]);
         if (type == "warp")
           return warpGrid(in[0]);
         const auto [height, width] = gridExtents(op, attrs, "target_shape");
         return affineGrid(in[0], height, width);
       }});
  registry.add(
      {"BilinearSampler",
       {"data", "grid"},
       {{kCudnnOff, AttrSpec::Kind::String, "None"}},
       "Samples data (N, C, H, W) at grid (N, 2, Ho, Wo) (x then y, "
       "normalized: -1 is the first pixel, 1 the last) with bilinear "
       "interpolation, as MXNet 1.9.1's BilinearSampler: output (N, C, Ho, "
       "Wo); neighbours outside the image count as 0. Gradients of data and "
       "grid as MXNet's (the grid's from the bilinear weights, with the "
       "outside neighbours at 0). cudnn_off is accepted and unused. "
       "float16/32/64.\n\nErrors: data or grid not 4-D, grid's batch not "
       "data's or its second extent not 2, an empty grid, dtypes that "
       "differ or are not floating point.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         checkCudnnOff(attrs);
         return bilinearSampler(in);
       }});
  registry.add(
      {"SpatialTransformer",
       {"data", "loc"},
       {{"target_shape", AttrSpec::Kind::IntTuple, "(0, 0)"},
        {"transform_type", AttrSpec::Kind::String, std::nullopt},
        {"sampler_type", AttrSpec::Kind::String, std::nullopt},
        {kCudnnOff, AttrSpec::Kind::String, "None"}},
       "A spatial transformer, as MXNet 1.9.1's SpatialTransformer: "
       "BilinearSampler(data, GridGenerator(loc, 'affine', target_shape)). "
       "data (N, C, H, W), loc (N, 6) the affine matrices; output (N, C, "
       "target_shape). transform_type must be 'affine' and sampler_type "
       "'bilinear' (MXNet's only choices). float32 or float64.\n\nErrors: "
       "target_shape not two extents >= 1, loc not (N, 6) for data's N, "
       "dtypes that differ or are not float32/float64.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const std::string op = "SpatialTransformer";
         attrs.getChoice("transform_type", {"affine"});
         attrs.getChoice("sampler_type", {"bilinear"});
         checkCudnnOff(attrs);
         const auto [height, width] = gridExtents(op, attrs, "target_shape");
         const NDArray &data = in[0], &loc = in[1];
         requireRank(op, "data", data, 4, "(batch, channel, height, width)");
         matrices::requireFloat32or64(op, "data", data);
         requireSameDType(op, "loc", loc, data.dtype());
         if (loc.shape() != Shape{data.shape()[0], 6})
           throw Error(formatMessage(op, ": loc expected shape (",
                                     data.shape()[0],
                                     ", 6) (data's batch, the 2x3 affine "
                                     "matrices), got ",
                                     shapeToString(loc.shape())));
         return bilinearSample(op, data, affineGrid(loc, height, width));
       }});
  registry.add(
      {"ROIPooling",
       {"data", "rois"},
       {{"pooled_size", AttrSpec::Kind::IntTuple, std::nullopt},
        {"spatial_scale", AttrSpec::Kind::Float, std::nullopt}},
       "Max pooling of regions of interest into pooled_size (PH, PW) bins, "
       "as MXNet 1.9.1's ROIPooling: data (N, C, H, W), rois (R, 5) rows "
       "(batch index, x1, y1, x2, y2) in the data's dtype; output (R, C, PH, "
       "PW). Corners are round(coordinate * spatial_scale) (half away from "
       "zero, spatial_scale a float32 in [0, 1]); a ROI is (x2 - x1 + 1) x "
       "(y2 - y1 + 1), at least 1 x 1; bin (i, j) spans floor(i * h / PH) to "
       "ceil((i + 1) * h / PH) (computed in the data's dtype), clipped to "
       "the image. An empty bin gives 0; a bin gives -FLT_MAX when none of "
       "its values exceeds it (in float16 -inf); NaN never wins. The "
       "gradient goes to the first maximum of each bin; rois take none. "
       "The ROIs are read on the host (the call waits for them).\n\nErrors: "
       "pooled_size not two extents >= 1 or of more than 2^28 bins over all "
       "ROIs (they are laid out on the host), spatial_scale outside [0, 1], "
       "data not 4-D floating point, rois not (R, 5) of data's dtype, a "
       "batch index outside [0, N), non-finite ROI values.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return roiPooling(in, attrs);
       }});
  const std::vector<AttrSpec> slidingAttrs = {
      {"kernel", AttrSpec::Kind::IntTuple, std::nullopt},
      {"stride", AttrSpec::Kind::IntTuple, "()"},
      {"dilate", AttrSpec::Kind::IntTuple, "()"},
      {"pad", AttrSpec::Kind::IntTuple, "()"}};
  registry.add(
      {"im2col",
       {"data"},
       slidingAttrs,
       "The sliding blocks of data (N, C, spatial...) with 1-3 spatial "
       "dimensions as columns, as MXNet 1.9.1's im2col: output (N, C * "
       "prod(kernel), blocks), row c * prod(kernel) + j holding kernel "
       "position j (row-major) of channel c, column b the b-th block "
       "(row-major over the convolution's output extents (x + 2 pad - "
       "(dilate (k - 1) + 1)) / stride + 1). stride and dilate default to "
       "1, pad to 0 (zeros). Its gradient is col2im. Floating-point dtypes "
       "(float16 through float32). A gather by a table of prod(kernel) x "
       "blocks indices, at most 2^28 of them. Unlike MXNet 1.9.1, whose "
       "kernels fail outside 2-D, 1-D and 3-D windows compute.\n\nErrors: "
       "integer data, kernel of 0 or more than 3 entries, stride/dilate/pad "
       "of another length or below 1 (pad below 0), data whose rank is not "
       "the kernel's + 2, a dilated kernel larger than the padded input, "
       "more than 2^28 (kernel position, block) pairs, extents past 64 "
       "bits.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return im2col(in, attrs);
       }});
  std::vector<AttrSpec> col2imAttrs = slidingAttrs;
  col2imAttrs.insert(col2imAttrs.begin(),
                     {"output_size", AttrSpec::Kind::IntTuple, std::nullopt});
  registry.add(
      {"col2im",
       {"data"},
       col2imAttrs,
       "Sums sliding blocks back into an image, as MXNet 1.9.1's col2im "
       "(im2col's adjoint, and its gradient): data (N, C * prod(kernel), "
       "blocks) laid out as im2col's output, result (N, C, output_size...). "
       "Overlapping blocks add up; padding is dropped.\n\nErrors: those of "
       "im2col's attributes, output_size of another length or below 1, data "
       "not 3-D, a second extent not a multiple of prod(kernel), a block "
       "count that does not match output_size, an output past a 64-bit "
       "element count.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return col2im(in, attrs);
       }});
}

} // namespace ops
} // namespace kiln
