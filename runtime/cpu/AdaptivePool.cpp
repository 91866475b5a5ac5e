//===- AdaptivePool.cpp ---------------------------------------------------===//
#include "runtime/cpu/AdaptivePool.h"

#include "runtime/Error.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace kiln {
namespace {

/// The windows of `in` positions pooled to `out`, as MXNet's START_IND and
/// END_IND compute them (in float).
struct Windows {
  std::vector<int64_t> start, end;

  Windows(int64_t in, int64_t out) {
    for (int64_t o = 0; o < out; ++o) {
      start.push_back(static_cast<int>(
          std::floor(static_cast<float>(o * in) / static_cast<float>(out))));
      end.push_back(static_cast<int>(std::ceil(
          static_cast<float>((o + 1) * in) / static_cast<float>(out))));
    }
  }
};

/// Rows [r0, r1) and columns [c0, c1) of a plane.
struct Window {
  int64_t r0, r1, c0, c1;
  int64_t rows() const { return r1 - r0; }
  int64_t columns() const { return c1 - c0; }
};

/// For every (n, c) plane of `image` (N, C, H, W) pooled to `pooled` (N, C,
/// h, w): start(plane), then visit(plane, k, window) for each pooled value
/// k (row-major) and its window. Planes run in parallel, in chunks of about
/// 32K image elements.
template <typename Start, typename Visit>
void forEachWindow(const Shape &image, const Shape &pooled, Start start,
                   Visit visit) {
  const int64_t height = image[2], width = image[3];
  const int64_t oh = pooled[2], ow = pooled[3];
  const Windows rows(height, oh), columns(width, ow);
  const int64_t grain =
      std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(height * width, 1));
  ThreadPool::global().parallelFor(
      0, image[0] * image[1], grain, [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p) {
          start(p);
          for (int64_t i = 0; i < oh; ++i)
            for (int64_t j = 0; j < ow; ++j)
              visit(p, i * ow + j,
                    Window{rows.start[i], rows.end[i], columns.start[j],
                           columns.end[j]});
        }
      });
}

template <typename T> void forward(const Tensor &input, const Tensor &output) {
  const int64_t width = input.shape()[3];
  const int64_t planeSize = input.shape()[2] * width;
  const int64_t pooledSize = output.shape()[2] * output.shape()[3];
  const T *x = static_cast<const T *>(input.data());
  T *y = static_cast<T *>(output.data());
  forEachWindow(
      input.shape(), output.shape(), [](int64_t) {},
      [&](int64_t p, int64_t k, const Window &w) {
        const T *plane = x + p * planeSize;
        T sum = 0;
        for (int64_t r = w.r0; r < w.r1; ++r)
          for (int64_t c = w.c0; c < w.c1; ++c)
            sum += plane[r * width + c];
        y[p * pooledSize + k] =
            sum / static_cast<T>(w.columns()) / static_cast<T>(w.rows());
      });
}

template <typename T>
void backward(const Tensor &gradOutput, const Tensor &gradInput) {
  const int64_t width = gradInput.shape()[3];
  const int64_t planeSize = gradInput.shape()[2] * width;
  const int64_t pooledSize = gradOutput.shape()[2] * gradOutput.shape()[3];
  const T *g = static_cast<const T *>(gradOutput.data());
  T *dx = static_cast<T *>(gradInput.data());
  forEachWindow(
      gradInput.shape(), gradOutput.shape(),
      [&](int64_t p) {
        std::fill(dx + p * planeSize, dx + (p + 1) * planeSize, T(0));
      },
      [&](int64_t p, int64_t k, const Window &w) {
        T *plane = dx + p * planeSize;
        const T delta = g[p * pooledSize + k] / static_cast<T>(w.rows()) /
                        static_cast<T>(w.columns());
        for (int64_t r = w.r0; r < w.r1; ++r)
          for (int64_t c = w.c0; c < w.c1; ++c)
            plane[r * width + c] += delta;
      });
}

void check(const char *what, const Tensor &a, const Tensor &b) {
  if (!a.isContiguous() || !b.isContiguous() || a.rank() != 4 ||
      b.rank() != 4 || a.dtype() != b.dtype() || a.shape()[0] != b.shape()[0] ||
      a.shape()[1] != b.shape()[1])
    throw Error(formatMessage(what,
                              ": expected contiguous (N, C, H, W) "
                              "tensors of one dtype, got shapes ",
                              shapeToString(a.shape()), " and ",
                              shapeToString(b.shape())));
}

} // namespace

void adaptiveAvgPool2d(const Tensor &input, const Tensor &output) {
  check("adaptiveAvgPool2d", input, output);
  switch (input.dtype()) {
  case DType::Float32:
    return forward<float>(input, output);
  case DType::Float64:
    return forward<double>(input, output);
  default:
    throw Error(formatMessage("adaptiveAvgPool2d: dtype ",
                              dtypeName(input.dtype()), " is not supported"));
  }
}

void adaptiveAvgPool2dBackward(const Tensor &gradOutput,
                               const Tensor &gradInput) {
  check("adaptiveAvgPool2dBackward", gradOutput, gradInput);
  switch (gradOutput.dtype()) {
  case DType::Float32:
    return backward<float>(gradOutput, gradInput);
  case DType::Float64:
    return backward<double>(gradOutput, gradInput);
  default:
    throw Error(formatMessage("adaptiveAvgPool2dBackward: dtype ",
                              dtypeName(gradOutput.dtype()),
                              " is not supported"));
  }
}

} // namespace kiln
