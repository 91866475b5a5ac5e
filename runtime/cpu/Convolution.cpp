//===- Convolution.cpp - convolution kernels for compiled code ------------===//
#include "runtime/cpu/Convolution.h"

#include "runtime/Tensor.h"
#include "runtime/ThreadPool.h"
#include "runtime/cpu/DnnlSupport.h"
#include "runtime/cpu/StridedView.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

extern "C" void dgemm_(const char *transa, const char *transb, const int *m,
                       const int *n, const int *k, const double *alpha,
                       const double *a, const int *lda, const double *b,
                       const int *ldb, const double *beta, double *c,
                       const int *ldc, size_t, size_t);

namespace kiln {
namespace {

enum class ConvolutionKind { Forward, BackwardData, BackwardFilter };

/// The attributes of one call, read from its params buffer.
struct ConvolutionParams {
  std::vector<int64_t> strides, low, high, dilations;
  int64_t groups = 1;

  ConvolutionParams(const std::vector<int64_t> &params, int64_t spatial) {
    auto take = [&](int64_t which) {
      return std::vector<int64_t>(params.begin() + which * spatial,
                                  params.begin() + (which + 1) * spatial);
    };
    strides = take(0);
    low = take(1);
    high = take(2);
    dilations = take(3);
    groups = params[4 * spatial];
  }
};

//===----------------------------------------------------------------------===//
// Direct loops: f64, and f32 where oneDNN declines
//===----------------------------------------------------------------------===//

/// Calls visit(inputIndex, filterIndex, outputIndex) for every product term
/// of the convolution whose input position is inside the input.
template <typename Visit>
void forEachTerm(const std::vector<int64_t> &input,
                 const std::vector<int64_t> &filter,
                 const std::vector<int64_t> &output, const ConvolutionParams &p,
                 Visit visit) {
  const int64_t rank = input.size(), spatial = rank - 2;
  const int64_t perGroupIn = filter[1],
                perGroupOut = filter[0] / std::max<int64_t>(p.groups, 1);
  std::vector<int64_t> in(rank), fi(rank), out(rank);
  // Odometer over output positions and window offsets.
  std::vector<int64_t> position(spatial, 0), offset(spatial, 0);
  for (int64_t n = 0; n < output[0]; ++n)
    for (int64_t o = 0; o < output[1]; ++o) {
      const int64_t group = o / perGroupOut;
      std::fill(position.begin(), position.end(), 0);
      bool outputsLeft = true;
      for (int64_t d = 0; d < spatial; ++d)
        outputsLeft &= output[d + 2] > 0;
      while (outputsLeft) {
        std::fill(offset.begin(), offset.end(), 0);
        bool windowLeft = true;
        for (int64_t d = 0; d < spatial; ++d)
          windowLeft &= filter[d + 2] > 0;
        while (windowLeft) {
          bool inside = true;
          for (int64_t d = 0; d < spatial && inside; ++d) {
            const int64_t at = position[d] * p.strides[d] +
                               offset[d] * p.dilations[d] - p.low[d];
            inside = at >= 0 && at < input[d + 2];
            in[d + 2] = at;
            fi[d + 2] = offset[d];
            out[d + 2] = position[d];
          }
          if (inside)
            for (int64_t c = 0; c < perGroupIn; ++c) {
              in[0] = n;
              in[1] = group * perGroupIn + c;
              fi[0] = o;
              fi[1] = c;
              out[0] = n;
              out[1] = o;
              visit(in.data(), fi.data(), out.data());
            }
          windowLeft = false;
          for (int64_t d = spatial; d-- > 0;) {
            if (++offset[d] < filter[d + 2]) {
              windowLeft = true;
              break;
            }
            offset[d] = 0;
          }
        }
        outputsLeft = false;
        for (int64_t d = spatial; d-- > 0;) {
          if (++position[d] < output[d + 2]) {
            outputsLeft = true;
            break;
          }
          position[d] = 0;
        }
      }
    }
}

template <typename T>
void referenceConvolution(ConvolutionKind kind, const StridedView<T> &input,
                          const StridedView<T> &filter,
                          const StridedView<T> &output,
                          const ConvolutionParams &p) {
  // The view written to is zeroed, then every product term accumulates.
  switch (kind) {
  case ConvolutionKind::Forward:
    fillZero(output);
    forEachTerm(input.sizes, filter.sizes, output.sizes, p,
                [&](const int64_t *i, const int64_t *f, const int64_t *o) {
                  output.at(o) += input.at(i) * filter.at(f);
                });
    break;
  case ConvolutionKind::BackwardData:
    fillZero(input);
    forEachTerm(input.sizes, filter.sizes, output.sizes, p,
                [&](const int64_t *i, const int64_t *f, const int64_t *o) {
                  input.at(i) += output.at(o) * filter.at(f);
                });
    break;
  case ConvolutionKind::BackwardFilter:
    fillZero(filter);
    forEachTerm(input.sizes, filter.sizes, output.sizes, p,
                [&](const int64_t *i, const int64_t *f, const int64_t *o) {
                  filter.at(f) += output.at(o) * input.at(i);
                });
    break;
  }
}

//===----------------------------------------------------------------------===//
// float64 as products of patches, on BLAS
//===----------------------------------------------------------------------===//

/// Advances a row-major odometer over the spatial extents of `sizes`
/// (index[d] runs over sizes[d + 2]).
void stepSpatial(std::vector<int64_t> &index,
                 const std::vector<int64_t> &sizes) {
  for (size_t d = index.size(); d-- > 0;) {
    if (++index[d] < sizes[d + 2])
      return;
    index[d] = 0;
  }
}

/// Output pixels per image and filter taps per channel of a convolution.
struct PatchExtent {
  int64_t pixels = 1, taps = 1;

  PatchExtent(const std::vector<int64_t> &filter,
              const std::vector<int64_t> &output) {
    for (size_t d = 2; d < output.size(); ++d) {
      pixels *= output[d];
      taps *= filter[d];
    }
  }
};

/// Where each filter tap of each output pixel reads an image's channel:
/// the input offset (elements, through `input`'s strides) of (pixel, tap)
/// at [pixel * taps + tap], -1 where the tap reads padding.
template <typename T>
std::vector<int64_t>
patchOffsets(const StridedView<T> &input, const std::vector<int64_t> &filter,
             const std::vector<int64_t> &output, const ConvolutionParams &p,
             int64_t &pixels, int64_t &taps) {
  const size_t spatial = input.sizes.size() - 2;
  const PatchExtent extent(filter, output);
  pixels = extent.pixels;
  taps = extent.taps;
  std::vector<int64_t> offsets, position(spatial, 0), tap(spatial, 0);
  offsets.reserve(pixels * taps);
  for (int64_t pixel = 0; pixel < pixels; ++pixel) {
    for (int64_t t = 0; t < taps; ++t) {
      int64_t offset = 0;
      bool inside = true;
      for (size_t d = 0; d < spatial; ++d) {
        const int64_t at =
            position[d] * p.strides[d] + tap[d] * p.dilations[d] - p.low[d];
        inside &= at >= 0 && at < input.sizes[d + 2];
        offset += at * input.strides[d + 2];
      }
      offsets.push_back(inside ? offset : -1);
      stepSpatial(tap, filter);
    }
    stepSpatial(position, output);
  }
  return offsets;
}

/// Elements a chunk of the patch paths' gather and scatter loops gets on the
/// thread pool: waking a helper costs tens of microseconds on a virtual
/// machine, about what 2^15 strided copies take.
constexpr int64_t kMinElementsPerChunk = int64_t{1} << 15;

/// body(begin, end) over [0, extent) on the thread pool, in chunks of at
/// least kMinElementsPerChunk elements (`perItem` elements an item). Each
/// item's elements are its own, so the results do not depend on the split.
template <typename Body>
void parallelOver(int64_t extent, int64_t perItem, Body body) {
  const int64_t grain = std::max<int64_t>(1, kMinElementsPerChunk /
                                                 std::max<int64_t>(1, perItem));
  ThreadPool::global().parallelFor(0, extent, grain, body);
}

/// The offsets (through `view`'s strides) of its first `count` spatial
/// positions (sizes (I, J, spatial...)) in row-major order.
template <typename T>
std::vector<int64_t> spatialOffsets(const StridedView<T> &view, int64_t count) {
  const size_t spatial = view.sizes.size() - 2;
  std::vector<int64_t> position(spatial, 0), offsets;
  for (int64_t k = 0; k < count; ++k) {
    int64_t offset = 0;
    for (size_t d = 0; d < spatial; ++d)
      offset += position[d] * view.strides[d + 2];
    offsets.push_back(offset);
    stepSpatial(position, view.sizes);
  }
  return offsets;
}

/// visit(i, j, k, element) over `view` (sizes (I, J, spatial...)), k
/// counting its `count` spatial positions in row-major order; `i` split
/// across the thread pool, so visit must only touch what (i, j, k) owns.
template <typename T, typename Visit>
void forEachElement(const StridedView<T> &view, int64_t count, Visit visit) {
  const std::vector<int64_t> offsets = spatialOffsets(view, count);
  parallelOver(
      view.sizes[0], view.sizes[1] * count, [&](int64_t first, int64_t last) {
        for (int64_t i = first; i < last; ++i)
          for (int64_t j = 0; j < view.sizes[1]; ++j) {
            T *base = view.data + i * view.strides[0] + j * view.strides[1];
            for (int64_t k = 0; k < count; ++k)
              visit(i, j, k, base[offsets[k]]);
          }
      });
}

/// The bias where the library did not take it: added along the channels of
/// a forward's `output`, or, for a filter gradient, `bias` (its gradient)
/// written as the sums of the output gradient `output` over the images and
/// positions, channel by channel in a fixed order (in double for float).
template <typename T>
void applyBias(ConvolutionKind kind, const StridedView<T> &output,
               const StridedView<T> &bias) {
  int64_t count = 1;
  for (size_t d = 2; d < output.sizes.size(); ++d)
    count *= output.sizes[d];
  if (kind == ConvolutionKind::Forward) {
    forEachElement(output, count, [&](int64_t, int64_t o, int64_t, T &element) {
      element += bias.data[o * bias.strides[0]];
    });
    return;
  }
  const std::vector<int64_t> offsets = spatialOffsets(output, count);
  parallelOver(bias.sizes[0], output.sizes[0] * count,
               [&](int64_t first, int64_t last) {
                 for (int64_t o = first; o < last; ++o) {
                   double sum = 0;
                   for (int64_t n = 0; n < output.sizes[0]; ++n) {
                     const T *base = output.data + n * output.strides[0] +
                                     o * output.strides[1];
                     for (int64_t k = 0; k < count; ++k)
                       sum += base[offsets[k]];
                   }
                   bias.data[o * bias.strides[0]] = static_cast<T>(sum);
                 }
               });
}

/// Copies `view` (sizes (I, J, spatial...)) into `to`, dense and row-major,
/// `I` split across the thread pool. The filter of a convolution cut to its
/// live taps is such a view (ResNet-18's 512x512x3x3 at 1x1: every ninth
/// element). Plain loops over locals, since forEachElement's callback
/// reloaded its captures for every element: that forward (batch 32) took
/// 0.82 ms with it, 0.64 ms with this.
template <typename T> void gatherDense(const StridedView<T> &view, T *to) {
  int64_t count = 1;
  for (size_t d = 2; d < view.sizes.size(); ++d)
    count *= view.sizes[d];
  const std::vector<int64_t> offsets = spatialOffsets(view, count);
  const T *const from = view.data;
  const int64_t inner = view.sizes[1], outerStride = view.strides[0],
                innerStride = view.strides[1];
  const int64_t *const at = offsets.data();
  parallelOver(view.sizes[0], inner * count, [=](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      T *row = to + i * inner * count;
      for (int64_t j = 0; j < inner; ++j) {
        const T *base = from + i * outerStride + j * innerStride;
        if (count == 1) {
          row[j] = base[at[0]];
          continue;
        }
        for (int64_t k = 0; k < count; ++k)
          row[j * count + k] = base[at[k]];
      }
    }
  });
}

/// Image n of `view` alone.
template <typename T> StridedView<T> sliceOf(StridedView<T> view, int64_t n) {
  view.data += n * view.strides[0];
  view.sizes[0] = 1;
  return view;
}

/// The call of `kind` on `patches` (DoublePatches or PatchConvolution).
template <typename Patches>
void runPatches(Patches &&patches, ConvolutionKind kind) {
  switch (kind) {
  case ConvolutionKind::Forward:
    return patches.forward();
  case ConvolutionKind::BackwardData:
    return patches.backwardData();
  case ConvolutionKind::BackwardFilter:
    return patches.backwardFilter();
  }
}

/// C (m x n, row-major, leading dimension ldc) = A B + beta C for row-major
/// A (m x k; stored k x m and transposed where transA) and B (k x n; stored
/// n x k where transB), on the system BLAS: Fortran's column-major C^T =
/// B^T A^T.
void gemmRowMajor(bool transA, bool transB, int m, int n, int k,
                  const double *a, int lda, const double *b, int ldb,
                  double beta, double *c, int ldc) {
  const char first = transB ? 'T' : 'N', second = transA ? 'T' : 'N';
  const double one = 1;
  dgemm_(&first, &second, &n, &m, &k, &one, b, &ldb, a, &lda, &beta, c, &ldc, 1,
         1);
}

/// A float64 convolution with groups 1, image by image as products of its
/// filter (O x K) and its patches (K x P: K = channels x taps, P = output
/// pixels), as MXNet's float64 CPU path computes (im2col and BLAS); the
/// direct loops took 6-8 times MXNet's time on ResNet blocks. Every output
/// element is written; buffers may have any strides.
class DoublePatches {
public:
  DoublePatches(const StridedView<double> &input,
                const StridedView<double> &filter,
                const StridedView<double> &output, const ConvolutionParams &p)
      : input_(input), filter_(filter), output_(output),
        channels_(input.sizes[1]), outChannels_(output.sizes[1]),
        offsets_(patchOffsets(input, filter.sizes, output.sizes, p, pixels_,
                              taps_)) {}

  void forward() {
    std::vector<double> w = filterMatrix(), patches(rows() * pixels_),
                        out(outChannels_ * pixels_);
    for (int64_t n = 0; n < output_.sizes[0]; ++n) {
      gatherPatches(n, patches);
      gemmRowMajor(false, false, outChannels_, pixels_, rows(), w.data(),
                   rows(), patches.data(), pixels_, 0, out.data(), pixels_);
      forEachElement(sliceOf(output_, n), pixels_,
                     [&](int64_t, int64_t o, int64_t pixel, double &element) {
                       element = out[o * pixels_ + pixel];
                     });
    }
  }

  void backwardData() {
    std::vector<double> w = filterMatrix(), grads(outChannels_ * pixels_),
                        patchGrads(rows() * pixels_);
    fillZero(input_);
    for (int64_t n = 0; n < output_.sizes[0]; ++n) {
      gatherOutput(n, grads);
      gemmRowMajor(true, false, rows(), pixels_, outChannels_, w.data(), rows(),
                   grads.data(), pixels_, 0, patchGrads.data(), pixels_);
      for (int64_t c = 0; c < channels_; ++c) {
        double *base =
            input_.data + n * input_.strides[0] + c * input_.strides[1];
        for (int64_t t = 0; t < taps_; ++t) {
          const double *from = patchGrads.data() + (c * taps_ + t) * pixels_;
          for (int64_t pixel = 0; pixel < pixels_; ++pixel)
            if (const int64_t offset = offsets_[pixel * taps_ + t]; offset >= 0)
              base[offset] += from[pixel];
        }
      }
    }
  }

  void backwardFilter() {
    std::vector<double> grads(outChannels_ * pixels_),
        patches(rows() * pixels_), sum(outChannels_ * rows(), 0.0);
    for (int64_t n = 0; n < output_.sizes[0]; ++n) {
      gatherPatches(n, patches);
      gatherOutput(n, grads);
      gemmRowMajor(false, true, outChannels_, rows(), pixels_, grads.data(),
                   pixels_, patches.data(), pixels_, 1, sum.data(), rows());
    }
    forEachElement(filter_, taps_,
                   [&](int64_t o, int64_t c, int64_t t, double &element) {
                     element = sum[o * rows() + c * taps_ + t];
                   });
  }

private:
  /// K: the patch length.
  int64_t rows() const { return channels_ * taps_; }

  std::vector<double> filterMatrix() {
    std::vector<double> w(outChannels_ * rows());
    forEachElement(filter_, taps_,
                   [&](int64_t o, int64_t c, int64_t t, double &element) {
                     w[o * rows() + c * taps_ + t] = element;
                   });
    return w;
  }

  /// Image n's patches as (K x P).
  void gatherPatches(int64_t n, std::vector<double> &patches) {
    for (int64_t c = 0; c < channels_; ++c) {
      const double *base =
          input_.data + n * input_.strides[0] + c * input_.strides[1];
      for (int64_t t = 0; t < taps_; ++t) {
        double *to = patches.data() + (c * taps_ + t) * pixels_;
        for (int64_t pixel = 0; pixel < pixels_; ++pixel) {
          const int64_t offset = offsets_[pixel * taps_ + t];
          to[pixel] = offset >= 0 ? base[offset] : 0.0;
        }
      }
    }
  }

  /// Image n's output gradient as (O x P).
  void gatherOutput(int64_t n, std::vector<double> &grads) {
    forEachElement(sliceOf(output_, n), pixels_,
                   [&](int64_t, int64_t o, int64_t pixel, double &element) {
                     grads[o * pixels_ + pixel] = element;
                   });
  }

  StridedView<double> input_, filter_, output_;
  int64_t channels_, outChannels_, pixels_ = 1, taps_ = 1;
  /// patchOffsets': [pixel * taps + tap].
  std::vector<int64_t> offsets_;
};

/// Whether DoublePatches can run the call: groups 1, and sizes within
/// BLAS's 32-bit integers.
bool doublePatchesFit(const StridedView<double> &input,
                      const StridedView<double> &filter,
                      const StridedView<double> &output, int64_t groups) {
  const auto [pixels, taps] = PatchExtent(filter.sizes, output.sizes);
  const int64_t limit = std::numeric_limits<int>::max();
  return groups == 1 && pixels <= limit && input.sizes[1] * taps <= limit &&
         output.sizes[1] <= limit &&
         input.sizes[1] * taps * std::max(pixels, output.sizes[1]) <=
             (int64_t{1} << 28);
}

//===----------------------------------------------------------------------===//
// Taps that only ever meet padding
//===----------------------------------------------------------------------===//

/// The part of the filter that meets the input at some output position,
/// per spatial dimension, and the padding that keeps the output's extent
/// for it. The taps outside multiply padding zeros at every position: they
/// add nothing to the output or the input gradient, and their gradient is
/// 0. A 3x3 filter over a 1x1 input with padding 1 (ResNet-18's last stage
/// on 32x32 images) is its centre tap alone: a ninth of the filter to
/// convert between layouts and of the products to compute.
struct LiveWindow {
  std::vector<int64_t> first, size;
  ConvolutionParams params;

  /// `filter` (or its gradient) cut to the live taps.
  template <typename T>
  StridedView<T> crop(const StridedView<T> &filter) const {
    StridedView<T> view = filter;
    for (size_t d = 0; d < first.size(); ++d) {
      view.data += first[d] * filter.strides[d + 2];
      view.sizes[d + 2] = size[d];
    }
    return view;
  }
};

/// The live window where it is smaller than the filter; none where every
/// tap meets the input, or where no tap does (the output is then all
/// zeros, which the uncut call computes).
std::optional<LiveWindow> liveWindow(const std::vector<int64_t> &input,
                                     const std::vector<int64_t> &filter,
                                     const std::vector<int64_t> &output,
                                     const ConvolutionParams &p) {
  const size_t spatial = input.size() - 2;
  LiveWindow live{{}, {}, p};
  bool cut = false;
  for (size_t d = 0; d < spatial; ++d) {
    const int64_t in = input[d + 2], out = output[d + 2], taps = filter[d + 2];
    const int64_t stride = p.strides[d], dilation = p.dilations[d];
    live.first.push_back(0);
    live.size.push_back(taps);
    if (stride < 1 || dilation < 1)
      return std::nullopt;
    int64_t first = taps, last = -1;
    for (int64_t tap = 0; tap < taps; ++tap) {
      // Where the tap reads for output position 0, and the first position
      // at which it reads inside the input.
      const int64_t start = tap * dilation - p.low[d];
      const int64_t position = start >= 0 ? 0 : (-start + stride - 1) / stride;
      if (position < out && position * stride + start < in) {
        first = std::min(first, tap);
        last = tap;
      }
    }
    if (last < 0)
      return std::nullopt;
    if (first == 0 && last == taps - 1)
      continue;
    const int64_t size = last - first + 1, low = p.low[d] - first * dilation;
    const int64_t high =
        (out - 1) * stride + (size - 1) * dilation + 1 - in - low;
    if (low < 0 || high < 0)
      continue;
    live.first.back() = first;
    live.size.back() = size;
    live.params.low[d] = low;
    live.params.high[d] = high;
    cut = true;
  }
  if (!cut)
    return std::nullopt;
  return live;
}

/// Computes a filter gradient through its live taps: `compute` writes the
/// live taps' gradient into a dense (O, C, live sizes...) array (scratch
/// slot 4), then `filterGrad` is written out channel by channel: zeroed,
/// then given its live taps while the row is in the cache. Zeroing the
/// whole gradient first and then writing the live
/// taps element by element through its strides went over each of its cache
/// lines three times: the backward of ResNet-18's 512->512 3x3 at 1x1
/// (batch 32; a 9.4 MB filter, its centre tap live) took 3.4 ms, 2.0 ms
/// like this. `compute` returns false when it wrote nothing (oneDNN
/// declined); so does this, writing nothing.
template <typename Compute>
bool withLiveFilterGradient(const StridedView<float> &filterGrad,
                            const LiveWindow &live, Compute compute) {
  const StridedView<float> cropped = live.crop(filterGrad);
  auto *dense = static_cast<float *>(
      dnnl_support::threadScratch(4, cropped.count() * sizeof(float)));
  if (!compute(StridedView<float>(dense, cropped.sizes,
                                  contiguousStrides(cropped.sizes))))
    return false;
  const int64_t channels = filterGrad.sizes[1];
  const int64_t taps = filterGrad.count() / (filterGrad.sizes[0] * channels);
  const int64_t liveTaps = cropped.count() / (cropped.sizes[0] * channels);
  // Where each tap of the whole filter is, and where each live one is.
  const std::vector<int64_t> offsets = spatialOffsets(filterGrad, taps);
  std::vector<int64_t> liveOffsets = spatialOffsets(cropped, liveTaps);
  for (int64_t &offset : liveOffsets)
    offset += cropped.data - filterGrad.data;
  // Where each out channel's (channel, tap) block is dense (the usual
  // case), it is zeroed whole and then given its live taps while it is in
  // the cache: one pass to memory, and a vectorized fill rather than a
  // lookup per element (a 512x512x3x3 filter on one core: 0.5 against
  // 2.9 ms).
  bool denseRows = filterGrad.strides[1] == taps;
  for (int64_t t = 0; t < taps; ++t)
    denseRows &= offsets[t] == t;
  const int64_t channelStride = filterGrad.strides[1];
  parallelOver(
      filterGrad.sizes[0], channels * taps, [&](int64_t first, int64_t last) {
        for (int64_t o = first; o < last; ++o) {
          float *row = filterGrad.data + o * filterGrad.strides[0];
          const float *from = dense + o * channels * liveTaps;
          if (denseRows)
            std::memset(row, 0, channels * taps * sizeof(float));
          else
            for (int64_t c = 0; c < channels; ++c)
              for (int64_t t = 0; t < taps; ++t)
                row[c * channelStride + offsets[t]] = 0.0f;
          for (int64_t c = 0; c < channels; ++c)
            for (int64_t j = 0; j < liveTaps; ++j)
              row[c * channelStride + liveOffsets[j]] = from[c * liveTaps + j];
        }
      });
  return true;
}

//===----------------------------------------------------------------------===//
// oneDNN
//===----------------------------------------------------------------------===//

struct ConvolutionPlan {
  dnnl::primitive primitive;
  /// bias: the forward's bias or the filter gradient's bias gradient, where
  /// the plan takes one.
  dnnl::memory::desc input, filter, output, bias, scratchpad;
};

dnnl_support::PlanCache<ConvolutionPlan> &planCache() {
  static auto *cache = new dnnl_support::PlanCache<ConvolutionPlan>();
  return *cache;
}

/// The filter's user descriptor: grouped filters are (G, O/G, I/G, k...).
dnnl::memory::desc filterDesc(const StridedView<float> &filter,
                              int64_t groups) {
  if (groups == 1)
    return dnnl_support::plainDesc(filter.sizes, filter.strides);
  std::vector<int64_t> sizes = {groups, filter.sizes[0] / groups},
                       strides = {filter.strides[0] *
                                      (filter.sizes[0] / groups),
                                  filter.strides[0]};
  sizes.insert(sizes.end(), filter.sizes.begin() + 1, filter.sizes.end());
  strides.insert(strides.end(), filter.strides.begin() + 1,
                 filter.strides.end());
  return dnnl_support::plainDesc(sizes, strides);
}

/// Whether the forward should ask oneDNN 2.6 for its training kernels
/// (blocked nChw16c, the layouts the backward primitives use) rather than
/// its inference ones (brgconv on NHWC). Measured with the reorders from
/// and to kiln's plain buffers (2 threads, AVX-512): blocked wins for few
/// input channels (1->32 at 28x28, batch 128: 0.69 against 1.67 ms) and
/// where both channel counts fill whole blocks of 16 (ResNet-18's 512->512
/// at 4x4, batch 32: 8.3 against 12.3 ms; 32->64 at 14x14 ties); NHWC
/// wins where they do not (LeNet's 20->50 at 12x12: 2.7 against 3.9 ms).
bool blockedForwardPays(const dnnl::memory::desc &input,
                        const dnnl::memory::desc &output) {
  const int64_t inChannels = input.dims()[1], outChannels = output.dims()[1];
  return inChannels < 16 || (inChannels % 16 == 0 && outChannels % 16 == 0);
}

/// Whether the convolution's primitives run faster on all cores than on one
/// each beside another call (OpenMPLease's Turn). oneDNN 2.6's AVX-512
/// direct kernels split their work over all of the cores where the output
/// channels fill whole blocks of 16: for the main job's 32->64 at 14x14,
/// batch 128, backward data and weights one after the other on both cores
/// take 10.0 ms, side by side on one core each 13.1; its 1->32 backward
/// weights takes 1.9 ms on two cores, 2.8 on one. Elsewhere they do not:
/// LeNet's 20->50 at 12x12 (channels-last) takes 14.1 ms one after the
/// other, 6.2 side by side, and its 1->20 backward weights 2.7 ms on two
/// cores, 1.9 on one. Its AVX2 kernels (8-channel blocks) split LeNet's
/// shapes well (2-core Zen 3, batch 128, medians of oneDNN's own timings):
/// 1->20 backward weights 7.6 ms on both cores against 14.3 on one;
/// 20->50 backward weights 3.8-5.2 against 8.2, backward data 5.1-6.3
/// against 10.9 side by side, forward 3.3-4.0 against 6.2 (LeNet's whole
/// training step 41-45 ms against 47-50 on that noisy VM).
bool scalesWithCores(int64_t inChannels, int64_t outChannels, int64_t groups) {
  if (groups != 1)
    return false;
  if (!dnnl_support::hasAvx512Kernels())
    return true;
  return outChannels % 16 == 0 && (inChannels < 16 || inChannels % 16 == 0);
}

/// The channels-last tag of an activation of `rank` (NWC, NHWC, NDHWC).
dnnl::memory::format_tag channelsLast(size_t rank) {
  using Tag = dnnl::memory::format_tag;
  return rank == 3 ? Tag::nwc : rank == 4 ? Tag::nhwc : Tag::ndhwc;
}

/// The plan of `kind`. Activations are left to oneDNN (`any`) or, with
/// `channelsLastActivations`, laid out channels-last. `withBias`: the
/// forward adds a bias, the filter gradient also writes the bias's.
std::shared_ptr<ConvolutionPlan>
createPlan(ConvolutionKind kind, const dnnl::memory::desc &input,
           const dnnl::memory::desc &filter, const dnnl::memory::desc &output,
           const ConvolutionParams &p, bool channelsLastActivations,
           dnnl::algorithm algorithm, bool withBias) {
  using Tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  auto any = [](const dnnl::memory::desc &desc) {
    return dnnl::memory::desc(desc.dims(), dt::f32, Tag::any);
  };
  auto activation = [&](const dnnl::memory::desc &desc) {
    return channelsLastActivations
               ? dnnl::memory::desc(desc.dims(), dt::f32,
                                    channelsLast(desc.dims().size()))
               : any(desc);
  };
  const dnnl::memory::dims strides(p.strides.begin(), p.strides.end()),
      low(p.low.begin(), p.low.end()), high(p.high.begin(), p.high.end());
  // oneDNN counts dilation from 0 (1 means one gap), MXNet and kiln from 1.
  dnnl::memory::dims dilations;
  for (int64_t d : p.dilations)
    dilations.push_back(d - 1);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::engine &engine = dnnl_support::cpuEngine();
  auto plan = std::make_shared<ConvolutionPlan>();
  const dnnl::memory::desc bias({output.dims()[1]}, dt::f32, Tag::x);
  auto forwardDesc = [&](dnnl::prop_kind prop) {
    if (withBias)
      return dnnl::convolution_forward::desc(
          prop, algorithm, activation(input), any(filter), bias,
          activation(output), strides, dilations, low, high);
    return dnnl::convolution_forward::desc(prop, algorithm, activation(input),
                                           any(filter), activation(output),
                                           strides, dilations, low, high);
  };
  switch (kind) {
  case ConvolutionKind::Forward: {
    dnnl::convolution_forward::primitive_desc pd(
        forwardDesc(blockedForwardPays(input, output)
                        ? dnnl::prop_kind::forward_training
                        : dnnl::prop_kind::forward_inference),
        attr, engine);
    plan->primitive = dnnl::convolution_forward(pd);
    plan->input = pd.src_desc();
    plan->filter = pd.weights_desc();
    plan->output = pd.dst_desc();
    plan->bias = pd.bias_desc();
    plan->scratchpad = pd.scratchpad_desc();
    break;
  }
  case ConvolutionKind::BackwardData: {
    dnnl::convolution_forward::primitive_desc hint(
        forwardDesc(dnnl::prop_kind::forward_training), engine);
    dnnl::convolution_backward_data::primitive_desc pd(
        dnnl::convolution_backward_data::desc(algorithm, activation(input),
                                              any(filter), activation(output),
                                              strides, dilations, low, high),
        attr, engine, hint);
    plan->primitive = dnnl::convolution_backward_data(pd);
    plan->input = pd.diff_src_desc();
    plan->filter = pd.weights_desc();
    plan->output = pd.diff_dst_desc();
    plan->scratchpad = pd.scratchpad_desc();
    break;
  }
  case ConvolutionKind::BackwardFilter: {
    dnnl::convolution_forward::primitive_desc hint(
        forwardDesc(dnnl::prop_kind::forward_training), engine);
    dnnl::convolution_backward_weights::primitive_desc pd(
        withBias ? dnnl::convolution_backward_weights::desc(
                       algorithm, activation(input), any(filter), bias,
                       activation(output), strides, dilations, low, high)
                 : dnnl::convolution_backward_weights::desc(
                       algorithm, activation(input), any(filter),
                       activation(output), strides, dilations, low, high),
        attr, engine, hint);
    plan->primitive = dnnl::convolution_backward_weights(pd);
    plan->input = pd.src_desc();
    plan->filter = pd.diff_weights_desc();
    plan->output = pd.diff_dst_desc();
    plan->bias = pd.diff_bias_desc();
    plan->scratchpad = pd.scratchpad_desc();
    break;
  }
  }
  return plan;
}

/// Whether oneDNN's Winograd convolution (F(4x4, 3x3) on AVX-512: 2.25
/// times fewer multiplications) should be asked for first: 2-D 3x3 filters
/// at stride 1 without dilation, both channel counts in blocks of 16.
/// Forward and both gradients, with the reorders, on 2 cores (batch 32
/// unless noted): the main job's 32->64 at 14x14, batch 128, 14.3 against
/// 10.4 ms; 64 channels at 8x8 2.4 against 1.6, at 32x32 39.7 against
/// 18.5, at 56x56 119 against 67; 128 at 16x16 34.5 against 16.1, at 4x4
/// 3.9 against 3.2; 16 at 28x28 2.9 against 2.2. Its results differ from
/// the direct kernels' by a few units in the sixth digit (relative to the
/// largest element), as a different order of summation does; the direct
/// kernels (MXNet's with oneDNN) stay a switch away: KILN_CONV_WINOGRAD=0.
bool winogradPays(const dnnl::memory::desc &input,
                  const dnnl::memory::desc &filter,
                  const ConvolutionParams &p) {
  static const bool enabled = [] {
    const char *setting = std::getenv("KILN_CONV_WINOGRAD");
    return !setting || std::string(setting) != "0";
  }();
  if (!enabled)
    return false;
  const dnnl::memory::dims dims = input.dims(), taps = filter.dims();
  if (dims.size() != 4 || taps.size() != 4 || p.groups != 1)
    return false;
  for (size_t d = 0; d < 2; ++d)
    if (taps[d + 2] != 3 || p.strides[d] != 1 || p.dilations[d] != 1)
      return false;
  return taps[0] % 16 == 0 && taps[1] % 16 == 0;
}

/// The plan of `kind`: Winograd where it pays (winogradPays) and oneDNN
/// takes it; otherwise the backward primitives run channels-last where the
/// channels do not fill oneDNN's blocks of 16, as the forward does there
/// (LeNet's 20->50 at 12x12, batch 128, one thread, with the reorders:
/// backward data 6.1 against 8.4 ms, backward weights 5.1 against 8.6;
/// the padded blocks waste the difference). Blocked layouts elsewhere, and
/// wherever oneDNN declines channels-last.
std::shared_ptr<ConvolutionPlan>
createPlan(ConvolutionKind kind, const dnnl::memory::desc &input,
           const dnnl::memory::desc &filter, const dnnl::memory::desc &output,
           const ConvolutionParams &p, bool withBias) {
  if (winogradPays(input, filter, p))
    try {
      return createPlan(kind, input, filter, output, p, false,
                        dnnl::algorithm::convolution_winograd, withBias);
    } catch (const dnnl::error &) {
    }
  const auto direct = dnnl::algorithm::convolution_direct;
  if (kind != ConvolutionKind::Forward && !blockedForwardPays(input, output))
    try {
      return createPlan(kind, input, filter, output, p, true, direct,
                        withBias);
    } catch (const dnnl::error &) {
    }
  return createPlan(kind, input, filter, output, p, false, direct, withBias);
}

/// kiln's (plain, strided) descriptors of a call's three buffers.
struct UserDescs {
  dnnl::memory::desc input, filter, output;
};

UserDescs userDescs(const StridedView<float> &input,
                    const StridedView<float> &filter,
                    const StridedView<float> &output, int64_t groups) {
  return {dnnl_support::plainDesc(input.sizes, input.strides),
          filterDesc(filter, groups),
          dnnl_support::plainDesc(output.sizes, output.strides)};
}

/// The cached plan of a call of `kind` on these buffers (`user`: their
/// descriptors), run on `threads` threads; `withBias` as createPlan's.
std::shared_ptr<ConvolutionPlan>
cachedPlan(ConvolutionKind kind, const StridedView<float> &input,
           const StridedView<float> &filter, const StridedView<float> &output,
           const UserDescs &user, const ConvolutionParams &p, int threads,
           bool withBias = false) {
  std::string key = std::to_string(static_cast<int>(kind)) + ':';
  for (const auto *view : {&input, &filter, &output}) {
    dnnl_support::appendKey(key, view->sizes);
    dnnl_support::appendKey(key, view->strides);
  }
  for (const auto *values : {&p.strides, &p.low, &p.high, &p.dilations})
    dnnl_support::appendKey(key, *values);
  key += std::to_string(p.groups);
  key += ";threads=" + std::to_string(threads);
  if (withBias)
    key += ";bias";
  return planCache().get(key, [&] {
    return createPlan(kind, user.input, user.filter, user.output, p, withBias);
  });
}

//===----------------------------------------------------------------------===//
// Products of patches, for feature maps of a few pixels
//===----------------------------------------------------------------------===//

/// Whether a float32 convolution runs faster as matrix products of its
/// input patches (im2col) than on oneDNN's convolution primitives. Where an
/// image has a few output pixels and the channels are many (ResNet-18's
/// last two stages on 32x32 images: 256 channels at 2x2, 512 at 1x1, batch
/// 32), oneDNN's direct kernels spend more time converting the filter and
/// activations to and from their blocked layouts than computing; the
/// products read kiln's buffers as they are. Measured on ResNet-18's
/// training step (batch 32, 32x32, interleaved runs): 66.3-73.5 against
/// 63.4-66.1 ms; its 512->512 3x3 at 1x1 forward and backward, 4.7 against
/// 1.5 ms. The patch matrix is bounded (64 MiB) since it lives in scratch.
bool patchProductsPay(const std::vector<int64_t> &input,
                      const std::vector<int64_t> &filter,
                      const std::vector<int64_t> &output, int64_t groups) {
  const auto [pixels, taps] = PatchExtent(filter, output);
  const int64_t channels = input[1];
  return groups == 1 && pixels <= 4 && channels >= 64 && output[1] >= 64 &&
         output[0] * pixels * channels * taps <= (int64_t{1} << 24);
}

/// A convolution as matrix products. Rows of the patch matrix are output
/// pixels (image, position), columns are filter taps (channel, offset):
///   forward          out (P x O) = patches (P x K) filter^T (K x O)
///   backward data    patch grads (P x K) = out grads (P x O) filter (O x K)
///   backward filter  filter grad (O x K) = out grads^T (O x P) patches
class PatchConvolution {
public:
  PatchConvolution(const StridedView<float> &input,
                   const StridedView<float> &filter,
                   const StridedView<float> &output, const ConvolutionParams &p)
      : input_(input), filter_(filter), output_(output),
        images_(input.sizes[0]), channels_(input.sizes[1]),
        outChannels_(output.sizes[1]),
        offsets_(patchOffsets(input, filter.sizes, output.sizes, p, pixels_,
                              taps_)) {}

  void forward() {
    float *patches = gatherPatches(0);
    float *result = outputMatrix(2);
    dnnlMatmulReproducible({patches, rows(), columns(), columns(), 1},
                           filterT(3), resultMatrix(result));
    scatterOutput(result);
  }

  void backwardData() {
    float *grads = gatherOutput(1);
    float *patchGrads = static_cast<float *>(
        dnnl_support::threadScratch(0, rows() * columns() * sizeof(float)));
    const StridedMatrix f = filterT(3);
    // filter (O x K) is filter^T (K x O) transposed.
    dnnlMatmulReproducible(
        resultMatrix(grads),
        {f.data, f.columns, f.rows, f.columnStride, f.rowStride},
        {patchGrads, rows(), columns(), columns(), 1});
    fillZero(input_);
    // Images apart: each adds into its own part of the input gradient.
    parallelOver(
        images_, pixels_ * columns(), [&](int64_t first, int64_t last) {
          for (int64_t n = first; n < last; ++n)
            for (int64_t c = 0; c < channels_; ++c) {
              float *base =
                  input_.data + n * input_.strides[0] + c * input_.strides[1];
              for (int64_t pixel = 0; pixel < pixels_; ++pixel) {
                const float *from =
                    patchGrads + (n * pixels_ + pixel) * columns() + c * taps_;
                const int64_t *offsets = offsets_.data() + pixel * taps_;
                for (int64_t t = 0; t < taps_; ++t)
                  if (offsets[t] >= 0)
                    base[offsets[t]] += from[t];
              }
            }
        });
  }

  void backwardFilter() {
    float *patches = gatherPatches(0);
    float *grads = gatherOutput(1);
    const StridedMatrix g = resultMatrix(grads);
    const StridedMatrix gT = {g.data, g.columns, g.rows, g.columnStride,
                              g.rowStride};
    if (filterRowsDense()) {
      dnnlMatmulReproducible(
          gT, {patches, rows(), columns(), columns(), 1},
          {filter_.data, outChannels_, columns(), filter_.strides[0], 1});
      return;
    }
    auto *result = static_cast<float *>(dnnl_support::threadScratch(
        3, outChannels_ * columns() * sizeof(float)));
    dnnlMatmulReproducible(gT, {patches, rows(), columns(), columns(), 1},
                           {result, outChannels_, columns(), columns(), 1});
    forEachFilterElement([&](int64_t o, int64_t k, float &element) {
      element = result[o * columns() + k];
    });
  }

private:
  int64_t rows() const { return images_ * pixels_; }
  int64_t columns() const { return channels_ * taps_; }

  /// The patch matrix (P x K) in scratch `slot`.
  float *gatherPatches(int slot) {
    auto *patches = static_cast<float *>(
        dnnl_support::threadScratch(slot, rows() * columns() * sizeof(float)));
    parallelOver(
        images_, pixels_ * columns(), [&](int64_t first, int64_t last) {
          for (int64_t n = first; n < last; ++n)
            for (int64_t c = 0; c < channels_; ++c) {
              const float *base =
                  input_.data + n * input_.strides[0] + c * input_.strides[1];
              for (int64_t pixel = 0; pixel < pixels_; ++pixel) {
                float *to =
                    patches + (n * pixels_ + pixel) * columns() + c * taps_;
                const int64_t *offsets = offsets_.data() + pixel * taps_;
                for (int64_t t = 0; t < taps_; ++t)
                  to[t] = offsets[t] >= 0 ? base[offsets[t]] : 0.0f;
              }
            }
        });
    return patches;
  }

  /// Where the output (P x O) is computed: the output itself when an image
  /// has one pixel (its rows are then images), else scratch `slot`.
  float *outputMatrix(int slot) {
    if (pixels_ == 1)
      return nullptr;
    return static_cast<float *>(dnnl_support::threadScratch(
        slot, rows() * outChannels_ * sizeof(float)));
  }

  /// The output (P x O): the output buffer's own view where `scratch` is
  /// null, else the dense scratch.
  StridedMatrix resultMatrix(float *scratch) const {
    if (!scratch)
      return {output_.data, rows(), outChannels_, output_.strides[0],
              output_.strides[1]};
    return {scratch, rows(), outChannels_, outChannels_, 1};
  }

  /// The output gradient as (P x O): read in place for one pixel an image.
  float *gatherOutput(int slot) {
    float *grads = outputMatrix(slot);
    if (!grads)
      return nullptr;
    forEachOutputElement([&](int64_t row, int64_t o, float &element) {
      grads[row * outChannels_ + o] = element;
    });
    return grads;
  }

  void scatterOutput(const float *result) {
    if (!result)
      return;
    forEachOutputElement([&](int64_t row, int64_t o, float &element) {
      element = result[row * outChannels_ + o];
    });
  }

  /// visit(row, channel, element) over the output, rows being (image,
  /// pixel) in order.
  template <typename Visit> void forEachOutputElement(Visit visit) {
    forEachElement(output_, pixels_,
                   [&](int64_t n, int64_t o, int64_t pixel, float &element) {
                     visit(n * pixels_ + pixel, o, element);
                   });
  }

  /// visit(out channel, column, element) over the filter, columns being
  /// (channel, tap) in order.
  template <typename Visit> void forEachFilterElement(Visit visit) {
    forEachElement(filter_, taps_,
                   [&](int64_t o, int64_t c, int64_t tap, float &element) {
                     visit(o, c * taps_ + tap, element);
                   });
  }

  /// Whether each out channel's (channel, tap) block of the filter is
  /// dense, so that the filter is an (O x K) matrix with unit columns.
  bool filterRowsDense() const {
    return isDense(StridedView<float>(
        filter_.data, {filter_.sizes.begin() + 1, filter_.sizes.end()},
        {filter_.strides.begin() + 1, filter_.strides.end()}));
  }

  /// filter^T (K x O): the filter's own view where its rows are dense,
  /// else a dense copy in scratch `slot`.
  StridedMatrix filterT(int slot) {
    if (filterRowsDense())
      return {filter_.data, columns(), outChannels_, 1, filter_.strides[0]};
    auto *copy = static_cast<float *>(dnnl_support::threadScratch(
        slot, outChannels_ * columns() * sizeof(float)));
    gatherDense(filter_, copy);
    return {copy, columns(), outChannels_, 1, columns()};
  }

  StridedView<float> input_, filter_, output_;
  int64_t images_, channels_, outChannels_, pixels_ = 1, taps_ = 1;
  std::vector<int64_t> offsets_;
};

//===----------------------------------------------------------------------===//
// Batch pieces, for small feature maps
//===----------------------------------------------------------------------===//

/// Output pixels an image up to which a convolution runs as batch pieces.
/// oneDNN 2.6 splits small feature maps poorly over threads: ResNet-18's
/// 64 channels at 8x8 (batch 32, forward and both gradients) take 2.0 ms on
/// one core and 1.67-1.85 ms on two, 1.27 ms as two pieces side by side;
/// the reorders around them scale no better.
constexpr int64_t kMaxPixelsForBatchPieces = 16 * 16;
/// Images a piece gets at least.
constexpr int64_t kMinImagesPerPiece = 8;

/// How many pieces of its batch a convolution on these shapes runs as, side
/// by side on the thread pool, each a call on one core (1: one call on
/// every core). Fixed by the shapes and the pool's size, never by how many
/// cores are free, so that the sums over the batch (backward weights) add
/// up in the same order on every run.
int64_t batchPieces(const std::vector<int64_t> &input,
                    const std::vector<int64_t> &filter,
                    const std::vector<int64_t> &output, int64_t groups) {
  const int64_t threads = ThreadPool::global().numThreads();
  int64_t pixels = 1, imageElements = input[1], filterElements = 1;
  for (size_t d = 2; d < output.size(); ++d) {
    pixels *= output[d];
    imageElements *= input[d];
  }
  for (int64_t extent : filter)
    filterElements *= extent;
  if (threads < 2 || groups != 1 || pixels > kMaxPixelsForBatchPieces ||
      !scalesWithCores(input[1], output[1], groups))
    return 1;
  const int64_t pieces =
      std::min<int64_t>(threads, output[0] / kMinImagesPerPiece);
  // Each piece converts the whole filter again (to oneDNN's blocks, or
  // Winograd's domain): where a piece's images hold fewer elements than the
  // filter, that costs more than the pieces save (ResNet-18's 128 channels
  // at 4x4: 2.2 ms either way).
  if (pieces < 2 || output[0] / pieces * imageElements < filterElements)
    return 1;
  return pieces;
}

/// Images [begin, end) of `view`.
template <typename T>
StridedView<T> imagesOf(StridedView<T> view, int64_t begin, int64_t end) {
  view.data += begin * view.strides[0];
  view.sizes[0] = end - begin;
  return view;
}

/// call(begin, end, filter) for each of `pieces` parts [begin, end) of a
/// batch of `images`, on the thread pool. Where the calls sum a gradient
/// into `filter` (`sums`), the first piece writes `filter` and each later one
/// a dense partial of its own, added into `filter` in piece order at the
/// end; otherwise every piece gets `filter` itself.
template <typename Call>
void inBatchPieces(int64_t pieces, int64_t images,
                   const StridedView<float> &filter, bool sums, Call call) {
  const int64_t filterCount = filter.count();
  // Scratch slot 5: execute() converts arguments in slots 0-2 and keeps
  // the scratchpad in 7; the backward's shared gradient is in 6.
  float *partial = sums ? static_cast<float *>(dnnl_support::threadScratch(
                              5, (pieces - 1) * filterCount * sizeof(float)))
                        : nullptr;
  const std::vector<int64_t> dense = contiguousStrides(filter.sizes);
  ThreadPool::global().parallelFor(
      0, pieces, 1, [&](int64_t first, int64_t last) {
        for (int64_t piece = first; piece < last; ++piece)
          call(images * piece / pieces, images * (piece + 1) / pieces,
               sums && piece > 0
                   ? StridedView<float>(partial + (piece - 1) * filterCount,
                                        filter.sizes, dense)
                   : filter);
      });
  if (!sums)
    return;
  const int64_t taps = filterCount / (filter.sizes[0] * filter.sizes[1]);
  forEachElement(filter, taps,
                 [&](int64_t o, int64_t c, int64_t t, float &element) {
                   const int64_t at = (o * filter.sizes[1] + c) * taps + t;
                   for (int64_t piece = 1; piece < pieces; ++piece)
                     element += partial[(piece - 1) * filterCount + at];
                 });
}

/// The bias argument of a plan taking one: the forward's bias, or the
/// filter gradient's bias gradient (an output).
dnnl_support::Argument biasArgument(ConvolutionKind kind,
                                    const ConvolutionPlan &plan,
                                    const StridedView<float> &bias) {
  const bool gradient = kind == ConvolutionKind::BackwardFilter;
  return {gradient ? DNNL_ARG_DIFF_BIAS : DNNL_ARG_BIAS,
          dnnl_support::plainDesc(bias.sizes, bias.strides), plan.bias,
          bias.data, gradient};
}

/// One oneDNN call of `kind` on these buffers: on the worker's own core
/// (`oneCore`: a batch piece), else under the lease its kind takes. With a
/// `bias` (Forward and BackwardFilter), the call adds it or writes its
/// gradient. Throws dnnl::error where oneDNN declines.
void dnnlConvolutionCall(ConvolutionKind kind, const StridedView<float> &input,
                         const StridedView<float> &filter,
                         const StridedView<float> &output,
                         const ConvolutionParams &p, bool oneCore,
                         const StridedView<float> *bias) {
  const UserDescs user = userDescs(input, filter, output, p.groups);
  // Backward weights sums over the batch per thread: its thread count is
  // fixed per shape so that its bits do not depend on timing.
  using Policy = dnnl_support::OpenMPLease::Policy;
  const bool scales =
      scalesWithCores(input.sizes[1], output.sizes[1], p.groups);
  dnnl_support::OpenMPLease lease(
      oneCore ? Policy::OneCore
      : kind == ConvolutionKind::BackwardFilter
          ? (scales ? Policy::AllCores : Policy::OneCore)
          : (scales ? Policy::Turn : Policy::FreeCores));
  std::shared_ptr<ConvolutionPlan> plan = cachedPlan(
      kind, input, filter, output, user, p, lease.threads(), bias != nullptr);
  const bool forward = kind == ConvolutionKind::Forward;
  const bool data = kind == ConvolutionKind::BackwardData;
  const bool filterOut = kind == ConvolutionKind::BackwardFilter;
  std::vector<dnnl_support::Argument> arguments = {
      {data ? DNNL_ARG_DIFF_SRC : DNNL_ARG_SRC, user.input, plan->input,
       input.data, data},
      {filterOut ? DNNL_ARG_DIFF_WEIGHTS : DNNL_ARG_WEIGHTS, user.filter,
       plan->filter, filter.data, filterOut},
      {forward ? DNNL_ARG_DST : DNNL_ARG_DIFF_DST, user.output, plan->output,
       output.data, forward}};
  if (bias)
    arguments.push_back(biasArgument(kind, *plan, *bias));
  dnnl_support::execute(plan->primitive, arguments, plan->scratchpad);
}

/// The call of `kind` on oneDNN (or its patch products), false where it
/// declines. `bias` as dnnlConvolutionCall's; `biasDone` tells whether the
/// call took it (else the caller applies it).
bool dnnlConvolution(ConvolutionKind kind, const StridedView<float> &input,
                     const StridedView<float> &filter,
                     const StridedView<float> &output,
                     const ConvolutionParams &p,
                     const StridedView<float> *bias, bool &biasDone) {
  biasDone = false;
  if (input.rank() > 5)
    return false;
  if (std::optional<LiveWindow> live =
          liveWindow(input.sizes, filter.sizes, output.sizes, p)) {
    if (kind == ConvolutionKind::BackwardFilter)
      return withLiveFilterGradient(
          filter, *live, [&](const StridedView<float> &liveGrad) {
            return dnnlConvolution(kind, input, liveGrad, output, live->params,
                                   bias, biasDone);
          });
    return dnnlConvolution(kind, input, live->crop(filter), output,
                           live->params, bias, biasDone);
  }
  if (patchProductsPay(input.sizes, filter.sizes, output.sizes, p.groups)) {
    runPatches(PatchConvolution(input, filter, output, p), kind);
    return true;
  }
  try {
    if (const int64_t pieces =
            batchPieces(input.sizes, filter.sizes, output.sizes, p.groups);
        pieces > 1) {
      // A forward's pieces each add the bias to their images; the bias
      // gradient sums over all of them and is left to the caller.
      const bool forward = kind == ConvolutionKind::Forward;
      inBatchPieces(pieces, input.sizes[0], filter,
                    kind == ConvolutionKind::BackwardFilter,
                    [&](int64_t begin, int64_t end,
                        const StridedView<float> &pieceFilter) {
                      dnnlConvolutionCall(kind, imagesOf(input, begin, end),
                                          pieceFilter,
                                          imagesOf(output, begin, end), p,
                                          /*oneCore=*/true,
                                          forward ? bias : nullptr);
                    });
      biasDone = forward;
      return true;
    }
    dnnlConvolutionCall(kind, input, filter, output, p, /*oneCore=*/false,
                        bias);
    biasDone = true;
    return true;
  } catch (const dnnl::error &) {
    return false;
  }
}

/// The call of `kind` on these views, the bias to the library where it
/// takes one (`biasDone` says whether it did).
template <typename T>
void computeConvolution(ConvolutionKind kind, const StridedView<T> &input,
                        const StridedView<T> &filter,
                        const StridedView<T> &output,
                        const ConvolutionParams &params,
                        const StridedView<T> *bias, bool &biasDone) {
  biasDone = false;
  const StridedView<T> &written = kind == ConvolutionKind::Forward ? output
                                  : kind == ConvolutionKind::BackwardData
                                      ? input
                                      : filter;
  if (written.count() == 0)
    return;
  if (input.count() == 0 || output.count() == 0) {
    fillZero(written); // Empty sums.
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (dnnlConvolution(kind, input, filter, output, params, bias, biasDone))
      return;
  }
  if constexpr (std::is_same_v<T, double>) {
    if (doublePatchesFit(input, filter, output, params.groups))
      return runPatches(DoublePatches(input, filter, output, params), kind);
  }
  referenceConvolution(kind, input, filter, output, params);
}

/// The call of `kind` on these views. `bias` (Forward and BackwardFilter
/// only; may be null): the bias the forward adds, or the bias gradient the
/// filter gradient's call also writes.
template <typename T>
void convolutionViews(ConvolutionKind kind, const StridedView<T> &input,
                      const StridedView<T> &filter,
                      const StridedView<T> &output,
                      const ConvolutionParams &params,
                      const StridedView<T> *bias = nullptr) {
  bool biasDone = false;
  computeConvolution(kind, input, filter, output, params, bias, biasDone);
  if (bias && !biasDone)
    applyBias(kind, output, *bias);
}

template <typename T>
void convolution(ConvolutionKind kind, UnrankedMemRef *inputMemRef,
                 UnrankedMemRef *filterMemRef, UnrankedMemRef *outputMemRef,
                 UnrankedMemRef *paramsMemRef,
                 UnrankedMemRef *biasMemRef = nullptr) {
  const StridedView<T> input(*inputMemRef), filter(*filterMemRef),
      output(*outputMemRef);
  std::optional<StridedView<T>> bias;
  if (biasMemRef)
    bias.emplace(*biasMemRef);
  convolutionViews(
      kind, input, filter, output,
      ConvolutionParams(libraryParams(*paramsMemRef), input.rank() - 2),
      bias ? &*bias : nullptr);
}

/// Both backward primitives on these buffers, the output gradient converted
/// once: on the worker's own core (`oneCore`: a batch piece), else on every
/// core. Throws dnnl::error where oneDNN declines.
void dnnlBackwardCall(const StridedView<float> &input,
                      const StridedView<float> &filter,
                      const StridedView<float> &outputGrad,
                      const StridedView<float> &inputGrad,
                      const StridedView<float> &filterGrad,
                      const ConvolutionParams &p, bool oneCore,
                      const StridedView<float> *biasGrad) {
  // Data: (inputGrad, filter, outputGrad); weights: (input, filterGrad,
  // outputGrad), as each backward call of its own sees its buffers.
  const UserDescs dataUser = userDescs(inputGrad, filter, outputGrad, p.groups);
  const UserDescs weightsUser =
      userDescs(input, filterGrad, outputGrad, p.groups);
  const dnnl::memory::desc &outputDesc = dataUser.output;
  // Backward weights sums over the batch per thread: every core, as its
  // own call takes (OpenMPLease::AllCores), so its bits are the same.
  dnnl_support::OpenMPLease lease(
      oneCore ? dnnl_support::OpenMPLease::Policy::OneCore
              : dnnl_support::OpenMPLease::Policy::AllCores);
  std::shared_ptr<ConvolutionPlan> data =
      cachedPlan(ConvolutionKind::BackwardData, inputGrad, filter, outputGrad,
                 dataUser, p, lease.threads());
  std::shared_ptr<ConvolutionPlan> weights = cachedPlan(
      ConvolutionKind::BackwardFilter, input, filterGrad, outputGrad,
      weightsUser, p, lease.threads(), biasGrad != nullptr);
  // The output gradient in the layout both want, converted once into a
  // scratch slot execute() does not use for its own conversions.
  const bool shared = data->output == weights->output &&
                      !dnnl_support::sameLayout(outputDesc, data->output);
  void *converted = nullptr;
  if (shared) {
    dnnl::engine &engine = dnnl_support::cpuEngine();
    dnnl::stream stream(engine);
    dnnl::memory user(outputDesc, engine, outputGrad.data);
    dnnl::memory blocked(
        data->output, engine,
        dnnl_support::threadScratch(6, data->output.get_size()));
    dnnl::reorder(user, blocked).execute(stream, user, blocked);
    stream.wait();
    converted = blocked.get_data_handle();
  }
  auto gradientFor =
      [&](const dnnl::memory::desc &wanted) -> dnnl_support::Argument {
    if (shared)
      return {DNNL_ARG_DIFF_DST, wanted, wanted, converted, false};
    return {DNNL_ARG_DIFF_DST, outputDesc, wanted, outputGrad.data, false};
  };
  dnnl_support::execute(
      data->primitive,
      {{DNNL_ARG_DIFF_SRC, dataUser.input, data->input, inputGrad.data, true},
       {DNNL_ARG_WEIGHTS, dataUser.filter, data->filter, filter.data, false},
       gradientFor(data->output)},
      data->scratchpad);
  std::vector<dnnl_support::Argument> weightsArguments = {
      {DNNL_ARG_SRC, weightsUser.input, weights->input, input.data, false},
      {DNNL_ARG_DIFF_WEIGHTS, weightsUser.filter, weights->filter,
       filterGrad.data, true},
      gradientFor(weights->output)};
  if (biasGrad)
    weightsArguments.push_back(
        biasArgument(ConvolutionKind::BackwardFilter, *weights, *biasGrad));
  dnnl_support::execute(weights->primitive, weightsArguments,
                        weights->scratchpad);
}

/// Both backward primitives with the output gradient converted once.
/// False where oneDNN declines a plan (nothing written then). `biasGrad`
/// and `biasDone` as dnnlConvolution's.
bool dnnlConvolutionBackward(const StridedView<float> &input,
                             const StridedView<float> &filter,
                             const StridedView<float> &outputGrad,
                             const StridedView<float> &inputGrad,
                             const StridedView<float> &filterGrad,
                             const ConvolutionParams &p,
                             const StridedView<float> *biasGrad,
                             bool &biasDone) {
  biasDone = false;
  if (input.rank() > 5)
    return false;
  if (std::optional<LiveWindow> live =
          liveWindow(input.sizes, filter.sizes, outputGrad.sizes, p)) {
    return withLiveFilterGradient(
        filterGrad, *live, [&](const StridedView<float> &liveGrad) {
          return dnnlConvolutionBackward(input, live->crop(filter), outputGrad,
                                         inputGrad, liveGrad, live->params,
                                         biasGrad, biasDone);
        });
  }
  if (patchProductsPay(input.sizes, filter.sizes, outputGrad.sizes, p.groups)) {
    PatchConvolution(inputGrad, filter, outputGrad, p).backwardData();
    PatchConvolution(input, filterGrad, outputGrad, p).backwardFilter();
    return true;
  }
  try {
    if (const int64_t pieces =
            batchPieces(input.sizes, filter.sizes, outputGrad.sizes, p.groups);
        pieces > 1) {
      inBatchPieces(pieces, input.sizes[0], filterGrad, /*sums=*/true,
                    [&](int64_t begin, int64_t end,
                        const StridedView<float> &pieceFilterGrad) {
                      dnnlBackwardCall(imagesOf(input, begin, end), filter,
                                       imagesOf(outputGrad, begin, end),
                                       imagesOf(inputGrad, begin, end),
                                       pieceFilterGrad, p, /*oneCore=*/true,
                                       /*biasGrad=*/nullptr);
                    });
      return true;
    }
    dnnlBackwardCall(input, filter, outputGrad, inputGrad, filterGrad, p,
                     /*oneCore=*/false, biasGrad);
    biasDone = biasGrad != nullptr;
    return true;
  } catch (const dnnl::error &) {
    return false;
  }
}

} // namespace

bool convolutionBackwardTogether(int64_t inChannels, int64_t outChannels,
                                 int64_t groups) {
  // The data gradient's channels fill blocks too (so not a 1-channel input,
  // whose gradient nobody asks for anyway).
  return scalesWithCores(inChannels, outChannels, groups) &&
         inChannels % 16 == 0;
}

void convolutionBackward(const StridedView<float> &input,
                         const StridedView<float> &filter,
                         const StridedView<float> &outputGrad,
                         const StridedView<float> &inputGrad,
                         const StridedView<float> &filterGrad,
                         const std::vector<int64_t> &params,
                         const StridedView<float> *biasGrad) {
  const ConvolutionParams p(params, input.rank() - 2);
  bool biasDone = false;
  if (input.count() > 0 && outputGrad.count() > 0 && filter.count() > 0 &&
      dnnlConvolutionBackward(input, filter, outputGrad, inputGrad, filterGrad,
                              p, biasGrad, biasDone)) {
    if (biasGrad && !biasDone)
      applyBias(ConvolutionKind::BackwardFilter, outputGrad, *biasGrad);
    return;
  }
  convolutionViews(ConvolutionKind::BackwardData, inputGrad, filter, outputGrad,
                   p);
  convolutionViews(ConvolutionKind::BackwardFilter, input, filterGrad,
                   outputGrad, p, biasGrad);
}

void convolutionFilterGradient(const StridedView<float> &input,
                               const StridedView<float> &outputGrad,
                               const StridedView<float> &filterGrad,
                               const StridedView<float> &biasGrad,
                               const std::vector<int64_t> &params) {
  convolutionViews(ConvolutionKind::BackwardFilter, input, filterGrad,
                   outputGrad, ConvolutionParams(params, input.rank() - 2),
                   &biasGrad);
}

extern "C" {
void kiln_convolution_f32(UnrankedMemRef *input, UnrankedMemRef *filter,
                          UnrankedMemRef *output, UnrankedMemRef *params) {
  convolution<float>(ConvolutionKind::Forward, input, filter, output, params);
}
void kiln_convolution_f64(UnrankedMemRef *input, UnrankedMemRef *filter,
                          UnrankedMemRef *output, UnrankedMemRef *params) {
  convolution<double>(ConvolutionKind::Forward, input, filter, output, params);
}
void kiln_convolution_bias_f32(UnrankedMemRef *input, UnrankedMemRef *filter,
                               UnrankedMemRef *bias, UnrankedMemRef *output,
                               UnrankedMemRef *params) {
  convolution<float>(ConvolutionKind::Forward, input, filter, output, params,
                     bias);
}
void kiln_convolution_bias_f64(UnrankedMemRef *input, UnrankedMemRef *filter,
                               UnrankedMemRef *bias, UnrankedMemRef *output,
                               UnrankedMemRef *params) {
  convolution<double>(ConvolutionKind::Forward, input, filter, output, params,
                      bias);
}
void kiln_convolution_backward_data_f32(UnrankedMemRef *outputGrad,
                                        UnrankedMemRef *filter,
                                        UnrankedMemRef *inputGrad,
                                        UnrankedMemRef *params) {
  convolution<float>(ConvolutionKind::BackwardData, inputGrad, filter,
                     outputGrad, params);
}
void kiln_convolution_backward_data_f64(UnrankedMemRef *outputGrad,
                                        UnrankedMemRef *filter,
                                        UnrankedMemRef *inputGrad,
                                        UnrankedMemRef *params) {
  convolution<double>(ConvolutionKind::BackwardData, inputGrad, filter,
                      outputGrad, params);
}
void kiln_convolution_backward_filter_f32(UnrankedMemRef *input,
                                          UnrankedMemRef *outputGrad,
                                          UnrankedMemRef *filterGrad,
                                          UnrankedMemRef *params) {
  convolution<float>(ConvolutionKind::BackwardFilter, input, filterGrad,
                     outputGrad, params);
}
void kiln_convolution_backward_filter_f64(UnrankedMemRef *input,
                                          UnrankedMemRef *outputGrad,
                                          UnrankedMemRef *filterGrad,
                                          UnrankedMemRef *params) {
  convolution<double>(ConvolutionKind::BackwardFilter, input, filterGrad,
                      outputGrad, params);
}
}

} // namespace kiln
