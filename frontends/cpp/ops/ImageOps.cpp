//===- ImageOps.cpp - MXNet's _image_ operators (mx.nd.image) -------------===//
//
// MXNet 1.9.1's fifteen image operators: to_tensor, normalize, crop, resize,
// the flips and their random forms, the random colour transforms
// (brightness, contrast, saturation, hue, colour jitter) and the AlexNet
// lighting noise (adjust_lighting, random_lighting). Images are HWC (to_tensor,
// crop and resize also take NHWC; normalize takes CHW or NCHW), any numeric
// dtype, as MXNet's.
//
// Every op is a decomposition into registered ops and primitives, so its
// gradient comes from them (MXNet's own gradients are missing or the
// identity for most of these; kiln's are the derivative of the forward).
//
// resize is MXNet's call to OpenCV's cv::resize (3.4.2 in the pip wheel),
// reproduced bit for bit on uint8 and float32 (float64 to rounding):
// the source positions and weights of each output row and column are
// computed on the host exactly as OpenCV does (pixel centres, clamped taps,
// float weights; uint8 weights in 11-bit fixed point), and the image is
// interpolated with gathers (take) and arithmetic, separably (columns, then
// rows). uint8 follows OpenCV's fixed-point vertical pass
// ((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16) + 2) >> 2, whose
// rounding differs from a float computation in the last unit. Bicubic (4
// taps) and Lanczos4 (8) work the same way; area averages whole blocks
// (integer factors), computeResizeAreaTab's partial cells (other shrinking
// factors) or takes OpenCV's bilinear form (growing). The order of every
// addition, and the parts of a row OpenCV's SIMD loops cover, follow
// OpenCV, so float32 is bit for bit too. A runtime kernel would be faster,
// but the tables are O(H+W) and the rest is gathers and elementwise kernels.
//
// The colour transforms compute in float32 and store with MXNet's
// saturate_cast (clamp to the dtype's range, then truncate); their random
// factors are drawn on the host from kiln's random ops, so mx.random.seed
// reproduces them.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace kiln {
namespace ops {
namespace {

using Kind = AttrSpec::Kind;

NDArray binary(const std::string &op, const std::string &primitive,
               const NDArray &a, const NDArray &b) {
  const DType dtype = a.dtype();
  return dispatch::elementwise(op, primitive, {a, b}, dtype);
}
NDArray withScalar(const std::string &op, const std::string &primitive,
                   const NDArray &a, double value) {
  return binary(op, primitive, a, dispatch::scalar(value, a.dtype()));
}
NDArray select(const std::string &op, const NDArray &condition,
               const NDArray &a, const NDArray &b) {
  return dispatch::elementwise(op, "select", {condition, a, b}, a.dtype());
}
NDArray compare(const std::string &op, const std::string &primitive,
                const NDArray &a, const NDArray &b) {
  return dispatch::elementwise(op, primitive, {a, b}, DType::Bool);
}

/// A host vector as a float32 array of `shape`.
NDArray floats(const std::vector<float> &values, const Shape &shape) {
  return NDArray::fromData(values.data(), shape, DType::Float32);
}

/// `count` numbers from kiln's random ops (so mx.random.seed reproduces
/// them), read back to the host: U[0, 1) or N(0, 1).
std::vector<float> hostRandom(int64_t count, bool normal) {
  NDArray drawn = call(normal ? "_random_normal" : "_random_uniform", {},
                       {{"shape", shapeAttr({count})}});
  std::vector<float> values(count);
  drawn.copyTo(values.data());
  return values;
}
/// MXNet's uniform_real_distribution<float>(low, high): low + (high - low) u
/// (high may be below low).
float uniformBetween(float low, float high) {
  return low + (high - low) * hostRandom(1, false)[0];
}

std::string shapeText(const NDArray &x) { return shapeToString(x.shape()); }

void requireNumeric(const std::string &op, const NDArray &data) {
  if (data.dtype() == DType::Bool)
    throw Error(formatMessage(op, ": data expected a numeric dtype, got bool"));
}

/// An image op's input: rank 3 (HWC), or also rank 4 (NHWC) when
/// `batched`; the message says which layouts the op takes.
void requireImage(const std::string &op, const NDArray &data, bool batched) {
  requireNumeric(op, data);
  const size_t rank = data.shape().size();
  if (rank == 3 || (batched && rank == 4))
    return;
  throw Error(formatMessage(op, ": data expected shape (height, width, ",
                            "channels)",
                            batched ? " or (N, height, width, channels)" : "",
                            ", got ", shapeText(data)));
}

/// MXNet's check on the channel axis of the flips and colour ops (and crop):
/// 1 or 3 channels.
void requireOneOrThreeChannels(const std::string &op, const NDArray &data) {
  const int64_t channels = data.shape().back();
  if (channels != 1 && channels != 3)
    throw Error(formatMessage(op, ": data expected 1 or 3 channels (the last ",
                              "axis), got shape ", shapeText(data)));
}

/// The largest float32 value not above `value` (the clamp bounds of
/// saturate_cast, kept inside the integer type).
double floatBelow(double value) {
  float f = static_cast<float>(value);
  if (static_cast<double>(f) > value)
    f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

/// MXNet's saturate_cast<DType>(float): clamp to the dtype's range, then
/// convert (integers truncate toward zero).
NDArray saturateTo(const std::string &op, const NDArray &value, DType dtype) {
  if (dtype == value.dtype())
    return value;
  double low, high;
  switch (dtype) {
  case DType::UInt8:
    low = 0, high = 255;
    break;
  case DType::Int8:
    low = -128, high = 127;
    break;
  case DType::Int32:
    low = -2147483648.0, high = floatBelow(2147483647.0);
    break;
  case DType::Int64:
    low = -9223372036854775808.0, high = floatBelow(9223372036854775807.0);
    break;
  case DType::Float16:
    low = -65504, high = 65504;
    break;
  default: // float64, bfloat16: every float32 value fits (or rounds).
    return dispatch::cast(value, dtype);
  }
  NDArray clamped =
      withScalar(op, "minimum", withScalar(op, "maximum", value, low), high);
  return dispatch::cast(clamped, dtype);
}

NDArray asFloat32(const NDArray &x) {
  return x.dtype() == DType::Float32 ? x : dispatch::cast(x, DType::Float32);
}

/// A copy of `view` (image ops return new arrays, as MXNet's do).
NDArray copied(const NDArray &view) {
  return dispatch::cast(view, view.dtype());
}

/// Channel `c` of an HWC image, keeping the axis: (H, W, 1).
NDArray channel(const NDArray &x, int64_t c) {
  return call("slice_axis", {x},
              {{"axis", "-1"},
               {"begin", std::to_string(c)},
               {"end", std::to_string(c + 1)}});
}

//===--- to_tensor, normalize ---------------------------------------------===//

NDArray toTensor(const std::vector<NDArray> &in, const Attrs &) {
  const std::string op = "_image_to_tensor";
  const NDArray &data = in[0];
  requireImage(op, data, true);
  // x / 255 in float32, HWC -> CHW (a transposed view of the quotient).
  NDArray scaled = withScalar(op, "div", asFloat32(data), 255.0);
  const bool batched = data.shape().size() == 4;
  return call("transpose", {scaled},
              {{"axes", batched ? "(0, 3, 1, 2)" : "(2, 0, 1)"}});
}

NDArray normalize(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "_image_normalize";
  const NDArray &data = in[0];
  requireNumeric(op, data);
  const Shape &shape = data.shape();
  if (shape.size() != 3 && shape.size() != 4)
    throw Error(formatMessage(op, ": data expected shape (channels, height, ",
                              "width) or (N, channels, height, width), got ",
                              shapeText(data)));
  const int64_t channels = shape[shape.size() - 3];
  if (channels != 1 && channels != 3)
    throw Error(formatMessage(op, ": data expected 1 or 3 channels (axis ",
                              shape.size() - 3, "), got shape ",
                              shapeText(data)));
  std::vector<float> mean, std;
  for (const char *name : {"mean", "std"}) {
    std::vector<double> given = attrs.getFloatTuple(name);
    // MXNet's defaults, (0, 0, 0, 0) and (1, 1, 1, 1), fail this check as
    // they do in MXNet 1.9.1: mean and std must be given.
    if (given.size() != 1 && static_cast<int64_t>(given.size()) != channels)
      throw Error(formatMessage(op, ": ", name, " expected 1 or ", channels,
                                " values (one per channel), got ", given.size(),
                                " (", attrs.getString(name), ")"));
    std::vector<float> &values = name[0] == 'm' ? mean : std;
    for (int64_t c = 0; c < channels; ++c)
      values.push_back(
          static_cast<float>(given.size() == 1 ? given[0] : given[c]));
  }
  // (x - mean[c]) / std[c], in float64 for float64 data, else float32.
  const DType compute =
      data.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  NDArray x = data.dtype() == compute ? data : dispatch::cast(data, compute);
  NDArray meanArray = floats(mean, {channels, 1, 1});
  NDArray stdArray = floats(std, {channels, 1, 1});
  if (compute != DType::Float32) {
    meanArray = dispatch::cast(meanArray, compute);
    stdArray = dispatch::cast(stdArray, compute);
  }
  NDArray result = binary(op, "div", binary(op, "sub", x, meanArray), stdArray);
  const DType dtype = data.dtype();
  if (dtype == compute || isFloatDType(dtype))
    return dtype == compute ? result : dispatch::cast(result, dtype);
  // MXNet converts as C does on x86: truncation, 8-bit types wrapping
  // (through int32), as (uint8)(200 / 0.5) == 144.
  if (dtype == DType::Int64)
    return dispatch::cast(result, dtype);
  NDArray whole = dispatch::cast(result, DType::Int32);
  return dtype == DType::Int32 ? whole : dispatch::cast(whole, dtype);
}

//===--- crop, flips ------------------------------------------------------===//

NDArray crop(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "_image_crop";
  const NDArray &data = in[0];
  requireImage(op, data, true);
  requireOneOrThreeChannels(op, data);
  const Shape &shape = data.shape();
  const int64_t rank = shape.size();
  const int64_t height = shape[rank - 3], width = shape[rank - 2];
  const int64_t x = attrs.getInt("x"), y = attrs.getInt("y");
  const int64_t w = attrs.getInt("width"), h = attrs.getInt("height");
  if (w <= 0 || h <= 0)
    throw Error(formatMessage(op, ": width and height expected > 0, got ", w,
                              " and ", h));
  // MXNet reads out of bounds for negative x or y; kiln refuses them.
  if (x < 0 || y < 0)
    throw Error(
        formatMessage(op, ": x and y expected >= 0, got ", x, " and ", y));
  if (x + w > width)
    throw Error(formatMessage(op, ": x + width expected <= the image width ",
                              width, ", got ", x, " + ", w));
  if (y + h > height)
    throw Error(formatMessage(op, ": y + height expected <= the image height ",
                              height, ", got ", y, " + ", h));
  NDArray rows = call("slice_axis", {data},
                      {{"axis", std::to_string(rank - 3)},
                       {"begin", std::to_string(y)},
                       {"end", std::to_string(y + h)}});
  return copied(call("slice_axis", {rows},
                     {{"axis", std::to_string(rank - 2)},
                      {"begin", std::to_string(x)},
                      {"end", std::to_string(x + w)}}));
}

/// flip_left_right reverses axis 1 (width), flip_top_bottom axis 0.
NDArray flip(const std::string &op, const NDArray &data, int axis) {
  requireImage(op, data, false);
  requireOneOrThreeChannels(op, data);
  return copied(call("reverse", {data}, {{"axis", std::to_string(axis)}}));
}

NDArray randomFlip(const std::string &op, const NDArray &data, int axis) {
  requireImage(op, data, false);
  requireOneOrThreeChannels(op, data);
  // Flipped with probability 1/2, as MXNet's.
  if (hostRandom(1, false)[0] < 0.5f)
    return flip(op, data, axis);
  return copied(data);
}

//===--- resize -----------------------------------------------------------===//

/// For each output position along one axis, OpenCV's two source taps and
/// their weights.
struct Taps {
  std::vector<int64_t> first, second;
  std::vector<float> firstWeight, secondWeight;
};

/// cv::resize's INTER_LINEAR tables (resizeGeneric_): the source position
/// of output d is (d + 0.5) * scale - 0.5 in float, scale = 1 / (dst /
/// src) in double; taps floor(p) and floor(p) + 1 with weights 1 - frac and
/// frac. Columns (`clampWeights`) before the first pixel or past the last
/// take that pixel alone; rows keep their weights and clamp the row index.
Taps linearTaps(int64_t src, int64_t dst, bool clampWeights) {
  const double scale = 1.0 / (static_cast<double>(dst) / src);
  Taps taps;
  for (int64_t d = 0; d < dst; ++d) {
    float fraction = static_cast<float>((d + 0.5) * scale - 0.5);
    int64_t start = static_cast<int64_t>(std::floor(fraction));
    fraction -= static_cast<float>(start);
    if (clampWeights) {
      if (start < 0)
        start = 0, fraction = 0;
      if (start >= src - 1)
        start = src - 1, fraction = 0;
    }
    taps.first.push_back(std::clamp<int64_t>(start, 0, src - 1));
    taps.second.push_back(std::clamp<int64_t>(start + 1, 0, src - 1));
    taps.firstWeight.push_back(1.0f - fraction);
    taps.secondWeight.push_back(fraction);
  }
  return taps;
}

/// cv::resize's INTER_NEAREST source index (resizeNN):
/// min(floor(d * (1 / (dst / src))), src - 1).
std::vector<int64_t> nearestTaps(int64_t src, int64_t dst) {
  const double inverse = 1.0 / (static_cast<double>(dst) / src);
  std::vector<int64_t> index;
  for (int64_t d = 0; d < dst; ++d)
    index.push_back(std::min<int64_t>(
        static_cast<int64_t>(std::floor(d * inverse)), src - 1));
  return index;
}

NDArray indexArray(const std::vector<int64_t> &index) {
  return NDArray::fromData(index.data(), {static_cast<int64_t>(index.size())},
                           DType::Int64);
}

NDArray gather(const NDArray &x, const std::vector<int64_t> &index,
               int64_t axis) {
  return call("take", {x, indexArray(index)}, {{"axis", std::to_string(axis)}});
}

/// Weights along `axis` of a rank-`rank` image (shape (n, 1) for the
/// width, (n, 1, 1) for the height), as `dtype`.
NDArray weightArray(const std::vector<float> &weights, int64_t axis,
                    int64_t rank, DType dtype) {
  Shape shape{static_cast<int64_t>(weights.size())};
  for (int64_t d = axis + 1; d < rank; ++d)
    shape.push_back(1);
  if (dtype == DType::Int32) {
    // OpenCV's fixed point: saturate_cast<short>(w * 2048), rounded to
    // nearest even.
    std::vector<int32_t> fixed;
    for (float w : weights)
      fixed.push_back(static_cast<int32_t>(std::nearbyint(w * 2048.0f)));
    return NDArray::fromData(fixed.data(), shape, DType::Int32);
  }
  NDArray array = floats(weights, shape);
  return dtype == DType::Float32 ? array : dispatch::cast(array, dtype);
}

//===--- resize: bicubic, area, Lanczos4 ----------------------------------===//

/// One axis of a separable pass: output d reads source index[j][d] with
/// weight[j][d], for each tap j (tap-major, so each tap is one gather).
/// Weights are float32 values (or OpenCV's fixed-point integers), held as
/// doubles.
struct TapTable {
  std::vector<std::vector<int64_t>> index;
  std::vector<std::vector<double>> weight;
  explicit TapTable(size_t count) : index(count), weight(count) {}
};

/// OpenCV's interpolateCubic (A = -0.75) at fraction x, in float.
std::vector<float> cubicCoefficients(float x) {
  const float a = -0.75f;
  const float c0 = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
  const float c1 = ((a + 2) * x - (a + 3)) * x * x + 1;
  const float c2 = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
  return {c0, c1, c2, 1.f - c0 - c1 - c2};
}

/// OpenCV's interpolateLanczos4 at fraction x: the sine ratios in double,
/// stored as float and normalized by their float sum.
std::vector<float> lanczos4Coefficients(float x) {
  if (x < std::numeric_limits<float>::epsilon())
    return {0, 0, 0, 1, 0, 0, 0, 0};
  const double s45 = 0.70710678118654752440084436210485;
  const double cs[8][2] = {{1, 0},  {-s45, -s45}, {0, 1},  {s45, -s45},
                           {-1, 0}, {s45, s45},   {0, -1}, {-s45, s45}};
  const double pi4 = 3.14159265358979323846 * 0.25;
  // x + 3 and x + 3 - i are float sums, as OpenCV's.
  const double y0 = -(x + 3) * pi4, s0 = std::sin(y0), c0 = std::cos(y0);
  std::vector<float> coeffs(8);
  float sum = 0;
  for (int i = 0; i < 8; ++i) {
    const double y = -(x + 3 - i) * pi4;
    coeffs[i] = static_cast<float>((cs[i][0] * s0 + cs[i][1] * c0) / (y * y));
    sum += coeffs[i];
  }
  const float inverse = 1.f / sum;
  for (float &c : coeffs)
    c *= inverse;
  return coeffs;
}

/// cv::resize's tables for INTER_CUBIC (2, 4 taps), INTER_LANCZOS4 (4, 8
/// taps) and INTER_AREA's bilinear form when an axis grows (3, 2 taps):
/// taps start at floor(p) - taps / 2 + 1 and clamp into [0, src - 1].
TapTable separableTaps(int64_t src, int64_t dst, int64_t interp) {
  const double inverse = static_cast<double>(dst) / src;
  const double scale = 1.0 / inverse; // OpenCV's scale_x
  const size_t count = interp == 2 ? 4 : interp == 4 ? 8 : 2;
  TapTable table(count);
  for (int64_t d = 0; d < dst; ++d) {
    float fraction;
    int64_t start;
    if (interp != 3) {
      fraction = static_cast<float>((d + 0.5) * scale - 0.5);
      start = static_cast<int64_t>(std::floor(fraction));
      fraction -= static_cast<float>(start);
    } else {
      start = static_cast<int64_t>(std::floor(d * scale));
      fraction = static_cast<float>((d + 1) - (start + 1) * inverse);
      fraction = fraction <= 0 ? 0.f : fraction - std::floor(fraction);
      if (start < 0)
        start = 0, fraction = 0;
      if (start >= src - 1)
        start = src - 1, fraction = 0;
    }
    const std::vector<float> coeffs =
        interp == 2   ? cubicCoefficients(fraction)
        : interp == 4 ? lanczos4Coefficients(fraction)
                      : std::vector<float>{1.f - fraction, fraction};
    const int64_t first = start - static_cast<int64_t>(count) / 2 + 1;
    for (size_t j = 0; j < count; ++j) {
      table.index[j].push_back(
          std::clamp<int64_t>(first + static_cast<int64_t>(j), 0, src - 1));
      table.weight[j].push_back(coeffs[j]);
    }
  }
  return table;
}

/// computeResizeAreaTab (INTER_AREA shrinking by a non-integer factor):
/// each output averages the source cells it covers, the first and last
/// partially, weights / cell width. Outputs with fewer cells than the most
/// are padded with weight-0 taps on their last cell.
TapTable areaTaps(int64_t src, int64_t dst) {
  const double scale = 1.0 / (static_cast<double>(dst) / src);
  std::vector<std::vector<std::pair<int64_t, float>>> cells(dst);
  size_t count = 0;
  for (int64_t d = 0; d < dst; ++d) {
    const double f1 = d * scale, f2 = f1 + scale;
    const double cell = std::min(scale, src - f1);
    const int64_t s2 =
        std::min<int64_t>(static_cast<int64_t>(std::floor(f2)), src - 1);
    const int64_t s1 =
        std::min<int64_t>(static_cast<int64_t>(std::ceil(f1)), s2);
    if (s1 - f1 > 1e-3)
      cells[d].push_back({s1 - 1, static_cast<float>((s1 - f1) / cell)});
    for (int64_t s = s1; s < s2; ++s)
      cells[d].push_back({s, static_cast<float>(1.0 / cell)});
    if (f2 - s2 > 1e-3)
      cells[d].push_back(
          {s2,
           static_cast<float>(std::min(std::min(f2 - s2, 1.0), cell) / cell)});
    count = std::max(count, cells[d].size());
  }
  TapTable table(count);
  for (int64_t d = 0; d < dst; ++d)
    for (size_t j = 0; j < count; ++j) {
      const bool real = j < cells[d].size();
      table.index[j].push_back(real ? cells[d][j].first
                                    : cells[d].back().first);
      table.weight[j].push_back(real ? cells[d][j].second : 0.0);
    }
  return table;
}

/// Weights along `axis` of a rank-`rank` image, as `dtype`; `fixed` gives
/// OpenCV's 11-bit fixed point, saturate_cast<short>(w * 2048) (float
/// product, rounded to nearest even).
NDArray tapWeights(const std::vector<double> &weights, int64_t axis,
                   int64_t rank, DType dtype, bool fixed) {
  Shape shape{static_cast<int64_t>(weights.size())};
  for (int64_t d = axis + 1; d < rank; ++d)
    shape.push_back(1);
  std::vector<double> values;
  for (double w : weights)
    values.push_back(fixed ? std::clamp<double>(
                                 std::nearbyint(static_cast<float>(w) * 2048.f),
                                 -32768, 32767)
                           : w);
  return dispatch::cast(NDArray::fromData(values.data(), shape, DType::Float64),
                        dtype);
}

/// The taps of one table along `axis`, as terms added in tap order (as
/// OpenCV's passes add them); `x` is in `compute`.
NDArray interpolateAxis(const std::string &op, const NDArray &x,
                        const TapTable &table, int64_t axis, int64_t rank,
                        DType compute, bool fixed) {
  NDArray sum;
  for (size_t j = 0; j < table.index.size(); ++j) {
    NDArray term =
        binary(op, "mul", gather(x, table.index[j], axis),
               tapWeights(table.weight[j], axis, rank, compute, fixed));
    sum = j == 0 ? term : binary(op, "add", sum, term);
  }
  return sum;
}

/// Round half to even (cvRound, _mm_cvtps_epi32), elementwise.
NDArray roundHalfEven(const std::string &op, const NDArray &x) {
  NDArray down = dispatch::elementwise(op, "floor", {x}, x.dtype());
  NDArray fraction = binary(op, "sub", x, down);
  NDArray up = withScalar(op, "add", down, 1);
  NDArray half = withScalar(op, "mul", down, 0.5);
  NDArray downEven = compare(
      op, "eq", half, dispatch::elementwise(op, "floor", {half}, x.dtype()));
  NDArray atHalf = select(op, downEven, down, up);
  NDArray exactHalf =
      compare(op, "eq", fraction, dispatch::scalar(0.5, x.dtype()));
  NDArray below = compare(op, "lt", fraction, dispatch::scalar(0.5, x.dtype()));
  return select(op, exactHalf, atHalf, select(op, below, down, up));
}

NDArray floorOf(const std::string &op, const NDArray &x) {
  return dispatch::elementwise(op, "floor", {x}, x.dtype());
}

/// A (width, channels) mask of the values an OpenCV SIMD loop covers in
/// each row: the first multiple of `lanes` of width * channels.
NDArray simdLanes(int64_t width, int64_t channels, int64_t lanes) {
  std::vector<uint8_t> covered(width * channels, 0);
  std::fill_n(covered.begin(), width * channels / lanes * lanes, 1);
  return NDArray::fromData(covered.data(), {width, channels}, DType::Bool);
}

/// INTER_AREA shrinking by integer factors (fx, fy): each output is its
/// block's sum times float(1 / (fx fy)). OpenCV adds the block row-major,
/// four values at a time (sum += ((a + b) + c) + d); float32 2x2 blocks of 1
/// or 4 channels take its SIMD form, (r00 + r01) + (r10 + r11), over the
/// first multiple of 4 values of each row. uint8 sums exactly and rounds:
/// (sum + 2) >> 2 for 2x2, else cvRound(sum * float(1 / area)).
NDArray areaBlocks(const std::string &op, const NDArray &data, int64_t fy,
                   int64_t fx, int64_t newHeight, int64_t newWidth) {
  const int64_t rank = data.shape().size();
  const DType dtype = data.dtype();
  const bool uint8 = dtype == DType::UInt8;
  NDArray x = dispatch::cast(data, uint8 ? DType::Float64 : dtype);
  std::vector<NDArray> values; // the block's values, row-major
  for (int64_t k = 0; k < fy; ++k) {
    std::vector<int64_t> rows;
    for (int64_t d = 0; d < newHeight; ++d)
      rows.push_back(d * fy + k);
    NDArray band = gather(x, rows, rank - 3);
    for (int64_t l = 0; l < fx; ++l) {
      std::vector<int64_t> columns;
      for (int64_t d = 0; d < newWidth; ++d)
        columns.push_back(d * fx + l);
      values.push_back(gather(band, columns, rank - 2));
    }
  }
  auto add = [&](const NDArray &a, const NDArray &b) {
    return binary(op, "add", a, b);
  };
  NDArray sum;
  for (size_t k = 0; k < values.size();) {
    NDArray group = values[k];
    const size_t end = k + 4 <= values.size() ? k + 4 : k + 1;
    for (++k; k < end; ++k)
      group = add(group, values[k]);
    sum = sum.isNone() ? group : add(sum, group);
  }
  const int64_t channels = data.shape().back();
  if (dtype == DType::Float32 && fx == 2 && fy == 2 &&
      (channels == 1 || channels == 4) && newWidth * channels >= 4)
    sum =
        select(op, simdLanes(newWidth, channels, 4),
               add(add(values[0], values[1]), add(values[2], values[3])), sum);
  const float inverse = 1.f / static_cast<float>(fx * fy);
  if (!uint8)
    return withScalar(op, "mul", sum, inverse);
  if (fx == 2 && fy == 2)
    return saturateTo(
        op,
        floorOf(op, withScalar(op, "mul", withScalar(op, "add", sum, 2), 0.25)),
        DType::UInt8);
  NDArray scaled =
      withScalar(op, "mul", dispatch::cast(sum, DType::Float32), inverse);
  return saturateTo(op, roundHalfEven(op, scaled), DType::UInt8);
}

/// interp 2 (bicubic), 3 (area) and 4 (Lanczos4) of an HWC or NHWC image,
/// as OpenCV 3.4's cv::resize (see tools/compat/opencv_resize_model.py).
NDArray resizeSeparable(const std::string &op, const NDArray &data,
                        int64_t interp, int64_t newHeight, int64_t newWidth) {
  const Shape &shape = data.shape();
  const int64_t rank = shape.size();
  const int64_t heightAxis = rank - 3, widthAxis = rank - 2;
  const int64_t height = shape[heightAxis], width = shape[widthAxis];
  const DType dtype = data.dtype();
  const bool uint8 = dtype == DType::UInt8;
  // OpenCV's scale_x = 1 / inv_scale_x, inv_scale_x = dst / src.
  const double scaleX = 1.0 / (static_cast<double>(newWidth) / width);
  const double scaleY = 1.0 / (static_cast<double>(newHeight) / height);
  if (interp == 3 && scaleX >= 1 && scaleY >= 1) {
    const int64_t fx = static_cast<int64_t>(std::llround(scaleX));
    const int64_t fy = static_cast<int64_t>(std::llround(scaleY));
    if (scaleX == fx && scaleY == fy)
      return areaBlocks(op, data, fy, fx, newHeight, newWidth);
    // General shrinking: float sums (uint8 rounded at the end).
    const DType compute = uint8 ? DType::Float32 : dtype;
    NDArray x = dispatch::cast(data, compute);
    NDArray rows = interpolateAxis(op, x, areaTaps(width, newWidth), widthAxis,
                                   rank, compute, false);
    NDArray result = interpolateAxis(op, rows, areaTaps(height, newHeight),
                                     heightAxis, rank, compute, false);
    return uint8 ? saturateTo(op, roundHalfEven(op, result), DType::UInt8)
                 : result;
  }
  const TapTable columns = separableTaps(width, newWidth, interp);
  const TapTable rowTaps = separableTaps(height, newHeight, interp);
  if (!uint8) {
    NDArray rows =
        interpolateAxis(op, data, columns, widthAxis, rank, dtype, false);
    return interpolateAxis(op, rows, rowTaps, heightAxis, rank, dtype, false);
  }
  // uint8: fixed-point weights; integer sums, exact in float64.
  NDArray x = dispatch::cast(data, DType::Float64);
  NDArray rows =
      interpolateAxis(op, x, columns, widthAxis, rank, DType::Float64, true);
  NDArray result;
  if (interp == 3) {
    // OpenCV's bilinear vertical pass:
    // ((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16) + 2) >> 2.
    NDArray sum;
    for (size_t j = 0; j < 2; ++j) {
      NDArray shifted = floorOf(
          op, withScalar(op, "mul", gather(rows, rowTaps.index[j], heightAxis),
                         1.0 / 16));
      NDArray term = floorOf(
          op, withScalar(op, "mul",
                         binary(op, "mul", shifted,
                                tapWeights(rowTaps.weight[j], heightAxis, rank,
                                           DType::Float64, true)),
                         1.0 / 65536));
      sum = j == 0 ? term : binary(op, "add", sum, term);
    }
    result =
        floorOf(op, withScalar(op, "mul", withScalar(op, "add", sum, 2), 0.25));
  } else {
    // Fixed point: (sum + 2^21) >> 22.
    NDArray sum = interpolateAxis(op, rows, rowTaps, heightAxis, rank,
                                  DType::Float64, true);
    result =
        floorOf(op, withScalar(op, "mul", withScalar(op, "add", sum, 1 << 21),
                               1.0 / (1 << 22)));
    const int64_t channels = shape.back();
    if (interp == 2 && newWidth * channels >= 8) {
      // OpenCV's SSE2 cubic pass covers the first multiple of 8 values of
      // each row (width * channels) in float: sum of float(h) * float(b /
      // 2048^2) in tap order, rounded to nearest even.
      NDArray h = dispatch::cast(rows, DType::Float32);
      const float unit = 1.f / (2048.f * 2048.f);
      NDArray fsum;
      for (size_t j = 0; j < 4; ++j) {
        std::vector<double> betas;
        for (double w : rowTaps.weight[j])
          betas.push_back(static_cast<float>(
              std::clamp<double>(std::nearbyint(static_cast<float>(w) * 2048.f),
                                 -32768, 32767) *
              unit));
        NDArray term =
            binary(op, "mul", gather(h, rowTaps.index[j], heightAxis),
                   tapWeights(betas, heightAxis, rank, DType::Float32, false));
        fsum = j == 0 ? term : binary(op, "add", fsum, term);
      }
      NDArray vectorised =
          dispatch::cast(roundHalfEven(op, fsum), DType::Float64);
      result = select(op, simdLanes(newWidth, channels, 8), vectorised, result);
    }
  }
  return saturateTo(op, result, DType::UInt8);
}

NDArray resize(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "_image_resize";
  const NDArray &data = in[0];
  requireImage(op, data, true);
  const DType dtype = data.dtype();
  if (dtype != DType::UInt8 && dtype != DType::Float32 &&
      dtype != DType::Float64)
    throw Error(formatMessage(op, ": data expected dtype uint8, float32 or ",
                              "float64, got ", dtypeName(dtype)));
  const Shape &shape = data.shape();
  const int64_t rank = shape.size();
  const int64_t heightAxis = rank - 3, widthAxis = rank - 2;
  const int64_t height = shape[heightAxis], width = shape[widthAxis];
  std::vector<int64_t> size = attrs.getIntTuple("size");
  if (size.size() != 1 && size.size() != 2)
    throw Error(formatMessage(op, ": size expected (width, height) or (size,),",
                              " got ", attrs.getString("size")));
  for (size_t i = 0; i < size.size(); ++i)
    if (size[i] <= 0)
      throw Error(formatMessage(op, ": size expected positive extents, got ",
                                attrs.getString("size"),
                                size.size() == 1 ? ""
                                : i == 0         ? " (width)"
                                                 : " (height)"));
  const int64_t interp = attrs.getInt("interp");
  if (interp < 0 || interp > 4)
    throw Error(formatMessage(op, ": interp expected 0 (nearest), 1 ",
                              "(bilinear), 2 (bicubic), 3 (area) or 4 ",
                              "(Lanczos4), got ", interp));
  if (height == 0 || width == 0)
    throw Error(formatMessage(op, ": data expected a non-empty image, got ",
                              "shape ", shapeText(data)));
  int64_t newWidth, newHeight;
  if (size.size() == 2) {
    newWidth = size[0], newHeight = size[1];
  } else if (!attrs.getBool("keep_ratio")) {
    newWidth = newHeight = size[0];
  } else if (height > width) {
    // The short edge becomes size; the long one keeps the ratio (rounded
    // down, as MXNet's integer arithmetic does).
    newWidth = size[0], newHeight = height * size[0] / width;
  } else {
    newHeight = size[0], newWidth = width * size[0] / height;
  }
  Shape result = shape;
  result[heightAxis] = newHeight;
  result[widthAxis] = newWidth;
  if (shape[0] == 0 || shape.back() == 0)
    return zerosOf(result, dtype);

  if (interp == 0)
    return gather(gather(data, nearestTaps(width, newWidth), widthAxis),
                  nearestTaps(height, newHeight), heightAxis);

  if (interp > 1)
    return resizeSeparable(op, data, interp, newHeight, newWidth);
  // cv::resize averages 2x2 blocks (INTER_AREA) for bilinear halving.
  if (interp == 1 && width == 2 * newWidth && height == 2 * newHeight)
    return areaBlocks(op, data, 2, 2, newHeight, newWidth);

  const Taps columns = linearTaps(width, newWidth, true);
  const Taps rows = linearTaps(height, newHeight, false);
  const DType compute = dtype == DType::UInt8 ? DType::Int32 : dtype;
  NDArray x = dtype == compute ? data : dispatch::cast(data, compute);
  auto weighted = [&](const NDArray &source, const std::vector<int64_t> &taps,
                      const std::vector<float> &weights, int64_t axis) {
    return binary(op, "mul", gather(source, taps, axis),
                  weightArray(weights, axis, rank, compute));
  };
  // Columns first, then rows, as OpenCV's separable passes.
  NDArray horizontal = binary(
      op, "add", weighted(x, columns.first, columns.firstWeight, widthAxis),
      weighted(x, columns.second, columns.secondWeight, widthAxis));
  if (dtype != DType::UInt8)
    return binary(
        op, "add",
        weighted(horizontal, rows.first, rows.firstWeight, heightAxis),
        weighted(horizontal, rows.second, rows.secondWeight, heightAxis));
  // uint8: the horizontal sums carry 11 fractional bits; OpenCV's vertical
  // pass: ((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16) + 2) >> 2.
  // Every value is non-negative, so division truncates as the shifts do.
  auto term = [&](const std::vector<int64_t> &taps,
                  const std::vector<float> &weights) {
    NDArray shifted =
        withScalar(op, "div", gather(horizontal, taps, heightAxis), 16);
    return withScalar(
        op, "div",
        binary(op, "mul", shifted,
               weightArray(weights, heightAxis, rank, DType::Int32)),
        65536);
  };
  NDArray sum = binary(op, "add", term(rows.first, rows.firstWeight),
                       term(rows.second, rows.secondWeight));
  NDArray rounded = withScalar(op, "div", withScalar(op, "add", sum, 2), 4);
  return saturateTo(op, rounded, DType::UInt8);
}

//===--- colour -----------------------------------------------------------===//

void requireColourImage(const std::string &op, const NDArray &data) {
  requireImage(op, data, false);
  requireOneOrThreeChannels(op, data);
}

/// The AlexNet lighting noise: x[c] + sum_k eig[c][k] * alpha[k], with
/// MXNet's eigenvectors scaled by their eigenvalues (float, as MXNet).
NDArray adjustLighting(const std::string &op, const NDArray &data,
                       const std::vector<float> &alpha) {
  static const float eig[3][3] = {
      {static_cast<float>(55.46 * -0.5675), static_cast<float>(4.794 * 0.7192),
       static_cast<float>(1.148 * 0.4009)},
      {static_cast<float>(55.46 * -0.5808), static_cast<float>(4.794 * -0.0045),
       static_cast<float>(1.148 * -0.8140)},
      {static_cast<float>(55.46 * -0.5836), static_cast<float>(4.794 * -0.6948),
       static_cast<float>(1.148 * 0.4203)}};
  if (data.shape().back() != 3)
    throw Error(formatMessage(op, ": data expected 3 channels (RGB), got ",
                              "shape ", shapeText(data)));
  std::vector<float> shift(3);
  for (int c = 0; c < 3; ++c)
    shift[c] =
        eig[c][0] * alpha[0] + eig[c][1] * alpha[1] + eig[c][2] * alpha[2];
  return saturateTo(op, binary(op, "add", asFloat32(data), floats(shift, {3})),
                    data.dtype());
}

NDArray adjustBrightness(const std::string &op, const NDArray &data,
                         float alpha) {
  return saturateTo(op, withScalar(op, "mul", asFloat32(data), alpha),
                    data.dtype());
}

/// Gray weights of ITU-R BT.601, as MXNet's.
const std::vector<float> kGray = {0.299f, 0.587f, 0.114f};

/// x * alpha + (1 - alpha) * mean gray level of the image (the mean of
/// the only channel for gray images).
NDArray adjustContrast(const std::string &op, const NDArray &data,
                       float alpha) {
  NDArray x = asFloat32(data);
  const Shape &shape = data.shape();
  const int64_t pixels = shape[0] * shape[1];
  NDArray gray = shape[2] == 3 ? binary(op, "mul", x, floats(kGray, {3})) : x;
  NDArray total =
      dispatch::reduction("reduce_sum", gray, {0, 1, 2}, false, DType::Float32);
  NDArray mean = withScalar(op, "div", total,
                            static_cast<float>(std::max<int64_t>(pixels, 1)));
  NDArray beta = withScalar(op, "mul", mean, 1.0f - alpha);
  return saturateTo(op,
                    binary(op, "add", withScalar(op, "mul", x, alpha), beta),
                    data.dtype());
}

/// x * alpha + (1 - alpha) * gray per pixel. MXNet 1.9.1's gray is the
/// blue channel times 0.114 alone (its loop assigns each channel's term
/// instead of adding them); kiln computes MXNet's values. Gray images are
/// copied.
NDArray adjustSaturation(const std::string &op, const NDArray &data,
                         float alpha) {
  if (data.shape()[2] == 1)
    return copied(data);
  NDArray x = asFloat32(data);
  NDArray gray = withScalar(
      op, "mul", withScalar(op, "mul", channel(x, 2), kGray[2]), 1.0f - alpha);
  return saturateTo(op,
                    binary(op, "add", withScalar(op, "mul", x, alpha), gray),
                    data.dtype());
}

/// Rotates the hue by alpha * 360 degrees through HLS (OpenCV's RGB <->
/// HLS formulas on values in [0, 1], as MXNet's). Gray images are copied.
NDArray adjustHue(const std::string &op, const NDArray &data, float alpha) {
  if (data.shape()[2] == 1)
    return copied(data);
  NDArray x = withScalar(op, "div", asFloat32(data), 255.0);
  NDArray r = channel(x, 0), g = channel(x, 1), b = channel(x, 2);
  auto f = [](double v) { return dispatch::scalar(v, DType::Float32); };
  auto add = [&](const NDArray &a, const NDArray &c) {
    return binary(op, "add", a, c);
  };
  auto sub = [&](const NDArray &a, const NDArray &c) {
    return binary(op, "sub", a, c);
  };
  auto mul = [&](const NDArray &a, const NDArray &c) {
    return binary(op, "mul", a, c);
  };
  auto div = [&](const NDArray &a, const NDArray &c) {
    return binary(op, "div", a, c);
  };
  // RGB -> HLS.
  NDArray vmax = binary(op, "maximum", binary(op, "maximum", r, g), b);
  NDArray vmin = binary(op, "minimum", binary(op, "minimum", r, g), b);
  NDArray diff = sub(vmax, vmin);
  NDArray l = mul(add(vmax, vmin), f(0.5));
  NDArray chromatic =
      compare(op, "gt", diff, f(std::numeric_limits<float>::epsilon()));
  NDArray s =
      select(op, compare(op, "lt", l, f(0.5)), div(diff, add(vmax, vmin)),
             div(diff, sub(sub(f(2), vmax), vmin)));
  s = select(op, chromatic, s, f(0));
  NDArray scale = div(f(60), diff);
  NDArray h = select(op, compare(op, "eq", vmax, r), mul(sub(g, b), scale),
                     select(op, compare(op, "eq", vmax, g),
                            add(mul(sub(b, r), scale), f(120)),
                            add(mul(sub(r, g), scale), f(240))));
  h = select(op, compare(op, "lt", h, f(0)), add(h, f(360)), h);
  h = select(op, chromatic, h, f(0));
  // Rotate, then HLS -> RGB: hue in sixths of a turn, wrapped into [0, 6).
  h = mul(add(h, f(alpha * 360.0f)), f(1.0f / 60.0f));
  h = sub(h, mul(call("floor", {mul(h, f(1.0 / 6.0))}), f(6)));
  h = select(op, compare(op, "ge", h, f(6)), sub(h, f(6)), h);
  NDArray p2 = select(op, compare(op, "le", l, f(0.5)), mul(l, add(f(1), s)),
                      sub(add(l, s), mul(l, s)));
  NDArray p1 = sub(mul(f(2), l), p2);
  NDArray sector = call("floor", {h});
  NDArray t = sub(h, sector);
  NDArray spread = sub(p2, p1);
  // The four values of OpenCV's table: p2, p1, falling and rising edges.
  const NDArray tab[4] = {p2, p1, add(p1, mul(spread, sub(f(1), t))),
                          add(p1, mul(spread, t))};
  // For sectors 0..5, which table entry each of b, g, r takes.
  static const int sectors[6][3] = {{1, 3, 0}, {1, 0, 2}, {3, 0, 1},
                                    {0, 2, 1}, {0, 1, 3}, {2, 1, 0}};
  NDArray rgb[3];
  for (int c = 0; c < 3; ++c) {
    // Output channel c (r, g, b) is entry sectors[k][2 - c].
    NDArray value = tab[sectors[5][2 - c]];
    for (int k = 4; k >= 0; --k)
      value = select(op, compare(op, "eq", sector, f(k)),
                     tab[sectors[k][2 - c]], value);
    rgb[c] = select(op, compare(op, "ne", s, f(0)), value, l);
  }
  NDArray joined = call("Concat", {rgb[0], rgb[1], rgb[2]}, {{"dim", "2"}});
  return saturateTo(op, mul(joined, f(255)), data.dtype());
}

/// min_factor and max_factor of the random colour ops: MXNet's parameters
/// are bounded below by 0.
std::pair<float, float> factorRange(const std::string &op, const Attrs &attrs) {
  const double low = attrs.getFloat("min_factor");
  const double high = attrs.getFloat("max_factor");
  for (auto [name, value] : {std::pair<const char *, double>{"min_factor", low},
                             {"max_factor", high}})
    if (value < 0)
      throw Error(formatMessage(op, ": ", name, " expected >= 0, got ", value));
  return {static_cast<float>(low), static_cast<float>(high)};
}

using Adjust = NDArray (*)(const std::string &, const NDArray &, float);

NDArray randomAdjust(const std::string &op, const NDArray &data,
                     const Attrs &attrs, Adjust adjust) {
  requireColourImage(op, data);
  auto [low, high] = factorRange(op, attrs);
  return adjust(op, data, uniformBetween(low, high));
}

/// Brightness, contrast, saturation and hue in a random order, each with a
/// factor drawn around 1 (hue: around 0); a zero (or negative) amount
/// skips that step. Each step stores the dtype's values, as MXNet's.
NDArray colorJitter(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "_image_random_color_jitter";
  const NDArray &data = in[0];
  requireColourImage(op, data);
  std::vector<float> order = hostRandom(4, false);
  int steps[4] = {0, 1, 2, 3};
  std::sort(std::begin(steps), std::end(steps),
            [&](int a, int b) { return order[a] < order[b]; });
  static const char *const amounts[4] = {"brightness", "contrast", "saturation",
                                         "hue"};
  static const Adjust adjusts[4] = {adjustBrightness, adjustContrast,
                                    adjustSaturation, adjustHue};
  NDArray result = data;
  bool changed = false;
  for (int step : steps) {
    const float amount = static_cast<float>(attrs.getFloat(amounts[step]));
    if (!(amount > 0))
      continue;
    const float factor =
        (step == 3 ? 0.0f : 1.0f) + uniformBetween(-amount, amount);
    result = adjusts[step](op, result, factor);
    changed = true;
  }
  return changed ? result : copied(data);
}

} // namespace

void registerImageOps(OpRegistry &registry) {
  registry.add({"_image_to_tensor",
                {"data"},
                {},
                "An image (H, W, C) or batch (N, H, W, C) with values in [0, "
                "255] as float32 (C, H, W) or (N, C, H, W) in [0, 1]: x / 255 "
                "with the channels first.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &) { return toTensor(in, attrs); }});
  registry.add(
      {"_image_normalize",
       {"data"},
       {{"mean", Kind::FloatTuple, "(0, 0, 0, 0)"},
        {"std", Kind::FloatTuple, "(1, 1, 1, 1)"}},
       "(x - mean[c]) / std[c] over a tensor (C, H, W) or (N, C, H, W) with "
       "1 or 3 channels; mean and std have 1 value or one per channel (their "
       "4-value defaults are refused, as in MXNet 1.9.1). The dtype is "
       "data's.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return normalize(in, attrs);
       }});
  registry.add({"_image_crop",
                {"data"},
                {{"x", Kind::Int, std::nullopt},
                 {"y", Kind::Int, std::nullopt},
                 {"width", Kind::Int, std::nullopt},
                 {"height", Kind::Int, std::nullopt}},
                "The region [y, y + height) x [x, x + width) of an image (H, "
                "W, C) or batch (N, H, W, C) with 1 or 3 channels.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &) { return crop(in, attrs); }});
  registry.add(
      {"_image_resize",
       {"data"},
       {{"size", Kind::IntTuple, "()"},
        {"keep_ratio", Kind::Bool, "False"},
        {"interp", Kind::Int, "1"}},
       "An image (H, W, C) or batch (N, H, W, C) of uint8, float32 or "
       "float64 resized to size (width, height), or (size,): both edges, or "
       "with keep_ratio the short edge (the long one keeps the ratio). interp "
       "(OpenCV's numbering) 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 "
       "Lanczos4, all as OpenCV 3.4's cv::resize (MXNet's): bit for bit on "
       "uint8 and float32. Other interp values raise MXNetError.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return resize(in, attrs);
       }});
  for (const bool random : {false, true})
    for (const bool leftRight : {true, false}) {
      const std::string name =
          std::string("_image_") + (random ? "random_" : "") +
          (leftRight ? "flip_left_right" : "flip_top_bottom");
      const int axis = leftRight ? 1 : 0;
      registry.add(
          {name,
           {"data"},
           {},
           std::string(random ? "With probability 1/2, " : "") +
               "An image (H, W, C) with 1 or 3 channels " +
               (leftRight ? "mirrored left to right" : "turned upside down") +
               (random ? "; else a copy." : "."),
           [name, random, axis](const std::vector<NDArray> &in, const Attrs &,
                                const NDArray &) {
             return random ? randomFlip(name, in[0], axis)
                           : flip(name, in[0], axis);
           }});
    }
  const std::vector<AttrSpec> factors = {
      {"min_factor", Kind::Float, std::nullopt},
      {"max_factor", Kind::Float, std::nullopt}};
  struct RandomColour {
    const char *name;
    Adjust adjust;
    const char *doc;
  };
  for (const RandomColour &colour :
       {RandomColour{"_image_random_brightness", adjustBrightness,
                     "x * f, f uniform in [min_factor, max_factor]"},
        RandomColour{"_image_random_contrast", adjustContrast,
                     "x * f + (1 - f) * the image's mean gray level, f "
                     "uniform in [min_factor, max_factor]"},
        RandomColour{"_image_random_saturation", adjustSaturation,
                     "x * f + (1 - f) * 0.114 * blue (MXNet 1.9.1's gray "
                     "level), f uniform in [min_factor, max_factor]; gray "
                     "images are copied"},
        RandomColour{"_image_random_hue", adjustHue,
                     "the hue turned by f * 360 degrees (through HLS), f "
                     "uniform in [min_factor, max_factor]; gray images are "
                     "copied"}}) {
    const std::string name = colour.name;
    const Adjust adjust = colour.adjust;
    registry.add({name,
                  {"data"},
                  factors,
                  std::string("An image (H, W, C) with 1 or 3 channels: ") +
                      colour.doc +
                      ", computed in float32 and saturated to data's dtype.",
                  [name, adjust](const std::vector<NDArray> &in,
                                 const Attrs &attrs, const NDArray &) {
                    return randomAdjust(name, in[0], attrs, adjust);
                  }});
  }
  registry.add(
      {"_image_random_color_jitter",
       {"data"},
       {{"brightness", Kind::Float, std::nullopt},
        {"contrast", Kind::Float, std::nullopt},
        {"saturation", Kind::Float, std::nullopt},
        {"hue", Kind::Float, std::nullopt}},
       "random_brightness, random_contrast, random_saturation (factors 1 +- "
       "the amount) and random_hue (factor +- hue) in a random order; an "
       "amount <= 0 skips its step.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return colorJitter(in, attrs);
       }});
  registry.add(
      {"_image_adjust_lighting",
       {"data"},
       {{"alpha", Kind::FloatTuple, std::nullopt}},
       "AlexNet's PCA lighting noise on an RGB image (H, W, 3): x[c] + sum_k "
       "eigval[k] * eigvec[c][k] * alpha[k] (alpha has 3 values).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const std::string op = "_image_adjust_lighting";
         requireColourImage(op, in[0]);
         std::vector<double> alpha = attrs.getFloatTuple("alpha");
         if (alpha.size() != 3)
           throw Error(formatMessage(op, ": alpha expected 3 values (R, G, ",
                                     "B), got ", alpha.size(), " (",
                                     attrs.getString("alpha"), ")"));
         return adjustLighting(op, in[0],
                               {static_cast<float>(alpha[0]),
                                static_cast<float>(alpha[1]),
                                static_cast<float>(alpha[2])});
       }});
  registry.add(
      {"_image_random_lighting",
       {"data"},
       {{"alpha_std", Kind::Float, "0.05"}},
       "adjust_lighting with alpha drawn from N(0, alpha_std^2).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const std::string op = "_image_random_lighting";
         requireColourImage(op, in[0]);
         const float deviation =
             static_cast<float>(attrs.getFloat("alpha_std"));
         std::vector<float> alpha = hostRandom(3, true);
         for (float &a : alpha)
           a *= deviation;
         return adjustLighting(op, in[0], alpha);
       }});
}

} // namespace ops
} // namespace kiln
