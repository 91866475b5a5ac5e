//===- Correlation.cpp ----------------------------------------------------===//
#include "runtime/cpu/Correlation.h"

#include "runtime/Error.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <memory>

namespace kiln {
namespace {

/// Extents of the inputs, their padded channel-last copies and the output.
struct Geometry {
  int64_t batch, channels, height, width;
  int64_t paddedHeight, paddedWidth;
  int64_t outChannels, outHeight, outWidth;

  Geometry(const Shape &data, const CorrelationParams &p)
      : batch(data[0]), channels(data[1]), height(data[2]), width(data[3]),
        paddedHeight(data[2] + 2 * p.padSize),
        paddedWidth(data[3] + 2 * p.padSize), outChannels(p.outputChannels()),
        outHeight(p.outputExtent(data[2])), outWidth(p.outputExtent(data[3])) {}

  int64_t paddedSize() const {
    return batch * paddedHeight * paddedWidth * channels;
  }
  /// The offset of padded position (n, y, x), channel 0.
  int64_t at(int64_t n, int64_t y, int64_t x) const {
    return ((n * paddedHeight + y) * paddedWidth + x) * channels;
  }
};

/// One patch comparison: data1's patch at padded (y1, x1) against data2's
/// displaced by (dy, dx).
struct Patch {
  int64_t y1, x1, dy, dx;
};

/// Visits (n, i, j, q) for every output of the batch items [begin, end) in
/// output rows: y1/x1 the top-left of data1's patch, dy/dx the
/// displacement of channel q.
template <typename Visit>
void forEachPatch(const Geometry &g, const CorrelationParams &p,
                  int64_t rowBegin, int64_t rowEnd, Visit visit) {
  const int64_t radius = p.gridRadius(), width = p.gridWidth();
  for (int64_t row = rowBegin; row < rowEnd; ++row) {
    const int64_t n = row / g.outHeight, i = row % g.outHeight;
    for (int64_t j = 0; j < g.outWidth; ++j)
      for (int64_t q = 0; q < g.outChannels; ++q)
        visit(n, i, j, q,
              Patch{i * p.stride1 + p.maxDisplacement,
                    j * p.stride1 + p.maxDisplacement,
                    (q / width - radius) * p.stride2,
                    (q % width - radius) * p.stride2});
  }
}

/// `data` (N, C, H, W) zero-padded by `pad` into (N, H + 2 pad, W + 2 pad,
/// C), in parallel over padded rows.
template <typename T>
std::unique_ptr<T[]> padChannelsLast(const T *data, const Geometry &g,
                                     int64_t pad) {
  std::unique_ptr<T[]> padded(new T[g.paddedSize()]);
  T *dst = padded.get();
  const int64_t rowSize = g.paddedWidth * g.channels;
  ThreadPool::global().parallelFor(
      0, g.batch * g.paddedHeight, std::max<int64_t>(1, 4096 / (rowSize + 1)),
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const int64_t n = row / g.paddedHeight, y = row % g.paddedHeight;
          T *out = dst + row * rowSize;
          std::fill(out, out + rowSize, T(0));
          if (y < pad || y >= pad + g.height)
            continue;
          for (int64_t c = 0; c < g.channels; ++c) {
            const T *in =
                data + ((n * g.channels + c) * g.height + (y - pad)) * g.width;
            for (int64_t x = 0; x < g.width; ++x)
              out[(x + pad) * g.channels + c] = in[x];
          }
        }
      });
  return padded;
}

/// The unpadded part of a padded channel-last `padded` back into (N, C, H,
/// W) `data`, in parallel over planes.
template <typename T>
void unpadChannelsFirst(const T *padded, const Geometry &g, int64_t pad,
                        T *data) {
  ThreadPool::global().parallelFor(
      0, g.batch * g.channels,
      std::max<int64_t>(1, 4096 / (g.height * g.width + 1)),
      [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
          const int64_t n = plane / g.channels, c = plane % g.channels;
          T *out = data + plane * g.height * g.width;
          for (int64_t y = 0; y < g.height; ++y)
            for (int64_t x = 0; x < g.width; ++x)
              out[y * g.width + x] = padded[g.at(n, y + pad, x + pad) + c];
        }
      });
}

/// sum(a[i] * b[i]) or sum(|a[i] - b[i]|) over n values, in eight
/// independent partial sums so that the compiler can vectorize without
/// reassociating.
template <typename T, bool Multiply>
T combine(const T *a, const T *b, int64_t n) {
  constexpr int kLanes = 8;
  T lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l)
      lane[l] += Multiply ? a[i + l] * b[i + l] : std::abs(a[i + l] - b[i + l]);
  T tail = 0;
  for (; i < n; ++i)
    tail += Multiply ? a[i] * b[i] : std::abs(a[i] - b[i]);
  return ((lane[0] + lane[4]) + (lane[1] + lane[5])) +
         ((lane[2] + lane[6]) + (lane[3] + lane[7])) + tail;
}

/// The work of one output row in multiply-adds, for the parallel grain.
int64_t rowCost(const Geometry &g, const CorrelationParams &p) {
  return std::max<int64_t>(1, g.outWidth * g.outChannels * p.kernelSize *
                                  p.kernelSize * g.channels);
}

template <typename T, bool Multiply>
void forward(const Tensor &data1, const Tensor &data2,
             const CorrelationParams &p, const Tensor &out) {
  const Geometry g(data1.shape(), p);
  const auto padded1 =
      padChannelsLast(static_cast<const T *>(data1.data()), g, p.padSize);
  const auto padded2 =
      padChannelsLast(static_cast<const T *>(data2.data()), g, p.padSize);
  const T *a = padded1.get(), *b = padded2.get();
  T *y = static_cast<T *>(out.data());
  const int64_t run = p.kernelSize * g.channels; // one patch row
  const T elements = static_cast<T>(p.kernelSize * p.kernelSize * g.channels);
  ThreadPool::global().parallelFor(
      0, g.batch * g.outHeight, std::max<int64_t>(1, (1 << 16) / rowCost(g, p)),
      [&](int64_t begin, int64_t end) {
        forEachPatch(
            g, p, begin, end,
            [&](int64_t n, int64_t i, int64_t j, int64_t q,
                const Patch &patch) {
              T sum = 0;
              for (int64_t h = 0; h < p.kernelSize; ++h)
                sum += combine<T, Multiply>(
                    a + g.at(n, patch.y1 + h, patch.x1),
                    b + g.at(n, patch.y1 + patch.dy + h, patch.x1 + patch.dx),
                    run);
              y[((n * g.outChannels + q) * g.outHeight + i) * g.outWidth + j] =
                  sum / elements;
            });
      });
}

template <typename T, bool Multiply>
void backward(const Tensor &outGrad, const Tensor &data1, const Tensor &data2,
              const CorrelationParams &p, const Tensor &grad1,
              const Tensor &grad2) {
  const Geometry g(data1.shape(), p);
  const auto padded1 =
      padChannelsLast(static_cast<const T *>(data1.data()), g, p.padSize);
  const auto padded2 =
      padChannelsLast(static_cast<const T *>(data2.data()), g, p.padSize);
  std::unique_ptr<T[]> sum1(new T[g.paddedSize()]), sum2(new T[g.paddedSize()]);
  const T *a = padded1.get(), *b = padded2.get();
  T *da = sum1.get(), *db = sum2.get();
  const T *dy = static_cast<const T *>(outGrad.data());
  const T elements = static_cast<T>(p.kernelSize * p.kernelSize * g.channels);
  // Channels are independent in backward: each task takes a block of
  // channels of one batch item through every output, so no two write the
  // same value.
  const int64_t block = std::min<int64_t>(std::max<int64_t>(g.channels, 1), 64);
  const int64_t blocks = (g.channels + block - 1) / block;
  ThreadPool::global().parallelFor(
      0, g.batch * blocks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t task = begin; task < end; ++task) {
          const int64_t n = task / blocks;
          const int64_t c0 = (task % blocks) * block;
          const int64_t c1 = std::min(g.channels, c0 + block);
          for (int64_t y = 0; y < g.paddedHeight; ++y)
            for (int64_t x = 0; x < g.paddedWidth; ++x) {
              std::fill(da + g.at(n, y, x) + c0, da + g.at(n, y, x) + c1, T(0));
              std::fill(db + g.at(n, y, x) + c0, db + g.at(n, y, x) + c1, T(0));
            }
          forEachPatch(
              g, p, n * g.outHeight, (n + 1) * g.outHeight,
              [&](int64_t, int64_t i, int64_t j, int64_t q,
                  const Patch &patch) {
                const T scale = dy[((n * g.outChannels + q) * g.outHeight + i) *
                                       g.outWidth +
                                   j] /
                                elements;
                for (int64_t h = 0; h < p.kernelSize; ++h)
                  for (int64_t w = 0; w < p.kernelSize; ++w) {
                    const int64_t first = g.at(n, patch.y1 + h, patch.x1 + w);
                    const int64_t second = g.at(n, patch.y1 + patch.dy + h,
                                                patch.x1 + patch.dx + w);
                    for (int64_t c = c0; c < c1; ++c) {
                      if (Multiply) {
                        da[first + c] += scale * b[second + c];
                        db[second + c] += scale * a[first + c];
                      } else {
                        const T sign = a[first + c] >= b[second + c] ? 1 : -1;
                        da[first + c] += scale * sign;
                        db[second + c] -= scale * sign;
                      }
                    }
                  }
              });
        }
      });
  unpadChannelsFirst(da, g, p.padSize, static_cast<T *>(grad1.data()));
  unpadChannelsFirst(db, g, p.padSize, static_cast<T *>(grad2.data()));
}

void check(const char *what, const Tensor &data1, const Tensor &data2,
           const CorrelationParams &p, const Tensor &out) {
  const Shape &shape = data1.shape();
  const bool fits =
      data1.rank() == 4 && data2.shape() == shape && out.rank() == 4 &&
      data1.isContiguous() && data2.isContiguous() && out.isContiguous() &&
      data2.dtype() == data1.dtype() && out.dtype() == data1.dtype() &&
      p.kernelSize >= 1 && p.kernelSize % 2 == 1 && p.maxDisplacement >= 0 &&
      p.stride1 >= 1 && p.stride2 >= 1 && p.padSize >= 0 &&
      out.shape() == Shape{shape[0], p.outputChannels(),
                           p.outputExtent(shape[2]), p.outputExtent(shape[3])};
  if (!fits)
    throw Error(formatMessage(
        what,
        ": expected contiguous (N, C, H, W) inputs of one shape and the "
        "output of their correlation, got shapes ",
        shapeToString(shape), ", ", shapeToString(data2.shape()), " and ",
        shapeToString(out.shape())));
}

template <bool Multiply>
void dispatchForward(const Tensor &data1, const Tensor &data2,
                     const CorrelationParams &p, const Tensor &out) {
  if (data1.dtype() == DType::Float32)
    return forward<float, Multiply>(data1, data2, p, out);
  return forward<double, Multiply>(data1, data2, p, out);
}

template <bool Multiply>
void dispatchBackward(const Tensor &outGrad, const Tensor &data1,
                      const Tensor &data2, const CorrelationParams &p,
                      const Tensor &grad1, const Tensor &grad2) {
  if (data1.dtype() == DType::Float32)
    return backward<float, Multiply>(outGrad, data1, data2, p, grad1, grad2);
  return backward<double, Multiply>(outGrad, data1, data2, p, grad1, grad2);
}

void requireFloat(const char *what, DType dtype) {
  if (dtype != DType::Float32 && dtype != DType::Float64)
    throw Error(formatMessage(what, ": dtype ", dtypeName(dtype),
                              " is not supported (float32 or float64)"));
}

} // namespace

void correlationForward(const Tensor &data1, const Tensor &data2,
                        const CorrelationParams &params, const Tensor &out) {
  const char *what = "correlationForward";
  check(what, data1, data2, params, out);
  requireFloat(what, data1.dtype());
  if (out.numElements() == 0)
    return;
  if (params.multiply)
    return dispatchForward<true>(data1, data2, params, out);
  dispatchForward<false>(data1, data2, params, out);
}

void correlationBackward(const Tensor &outGrad, const Tensor &data1,
                         const Tensor &data2, const CorrelationParams &params,
                         const Tensor &grad1, const Tensor &grad2) {
  const char *what = "correlationBackward";
  check(what, data1, data2, params, outGrad);
  check(what, grad1, grad2, params, outGrad);
  if (grad1.shape() != data1.shape() || grad1.dtype() != data1.dtype())
    throw Error(formatMessage(what, ": gradients expected shape ",
                              shapeToString(data1.shape()), ", got ",
                              shapeToString(grad1.shape())));
  requireFloat(what, data1.dtype());
  if (params.multiply)
    return dispatchBackward<true>(outGrad, data1, data2, params, grad1, grad2);
  dispatchBackward<false>(outGrad, data1, data2, params, grad1, grad2);
}

} // namespace kiln
