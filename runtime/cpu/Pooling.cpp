//===- Pooling.cpp - pooling kernels for compiled code --------------------===//
#include "runtime/cpu/Pooling.h"

#include "runtime/ThreadPool.h"
#include "runtime/cpu/DnnlSupport.h"
#include "runtime/cpu/StridedView.h"

#include <immintrin.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

namespace kiln {
namespace {

struct PoolParams {
  bool max = true, countIncludePad = true;
  std::vector<int64_t> window, strides, low, high;

  PoolParams(const std::vector<int64_t> &params, int64_t spatial) {
    max = params[0] == 0;
    countIncludePad = params[1] != 0;
    auto take = [&](int64_t which) {
      return std::vector<int64_t>(params.begin() + 2 + which * spatial,
                                  params.begin() + 2 + (which + 1) * spatial);
    };
    window = take(0);
    strides = take(1);
    low = take(2);
    high = take(3);
  }
};

/// Calls visit(outputIndex, inputIndices, divisor) for every output element
/// with the full indices of its window's in-bounds input elements, in
/// row-major order.
template <typename Visit>
void forEachWindow(const std::vector<int64_t> &input,
                   const std::vector<int64_t> &output, const PoolParams &p,
                   Visit visit) {
  const int64_t rank = input.size(), spatial = rank - 2;
  std::vector<int64_t> out(rank, 0), offset(spatial);
  std::vector<std::vector<int64_t>> members;
  int64_t count = 1;
  for (int64_t extent : output)
    count *= extent;
  for (int64_t i = 0; i < count; ++i) {
    members.clear();
    std::fill(offset.begin(), offset.end(), 0);
    int64_t padded = 1;
    for (int64_t d = 0; d < spatial; ++d) {
      // The window clipped to the padded input, as MXNet and oneDNN count it.
      const int64_t start = out[d + 2] * p.strides[d] - p.low[d];
      const int64_t end =
          std::min(start + p.window[d], input[d + 2] + p.high[d]);
      padded *= end - start;
    }
    for (bool more = true; more;) {
      std::vector<int64_t> in(out);
      bool inside = true;
      for (int64_t d = 0; d < spatial; ++d) {
        in[d + 2] = out[d + 2] * p.strides[d] - p.low[d] + offset[d];
        inside &= in[d + 2] >= 0 && in[d + 2] < input[d + 2];
      }
      if (inside)
        members.push_back(in);
      more = false;
      for (int64_t d = spatial; d-- > 0;) {
        if (++offset[d] < p.window[d]) {
          more = true;
          break;
        }
        offset[d] = 0;
      }
    }
    const int64_t divisor =
        p.countIncludePad ? padded : static_cast<int64_t>(members.size());
    visit(out.data(), members, divisor);
    for (int64_t d = rank; d-- > 0;) {
      if (++out[d] < output[d])
        break;
      out[d] = 0;
    }
  }
}

template <typename T>
void referencePool(const StridedView<T> &input, const StridedView<T> &output,
                   const PoolParams &p) {
  forEachWindow(input.sizes, output.sizes, p,
                [&](const int64_t *out,
                    const std::vector<std::vector<int64_t>> &members,
                    int64_t divisor) {
                  T result;
                  if (p.max) {
                    // An empty window (wholly in padding) gives the lowest
                    // finite value, as MXNet and oneDNN.
                    result = std::numeric_limits<T>::lowest();
                    for (const auto &in : members)
                      result = std::max(result, input.at(in.data()));
                  } else {
                    result = T(0);
                    for (const auto &in : members)
                      result += input.at(in.data());
                    result = divisor > 0 ? result / T(divisor) : T(0);
                  }
                  output.at(out) = result;
                });
}

/// Which element of a max-pooling window takes its gradient: MXNet 1.9.1's
/// two rules, each a running maximum that moves on a strictly larger value
/// (so NaN never wins, and of equal values the first does), started at
/// maxPoolStartingBest from maxPoolStartsAtOrigin's position.
///  * float32 is MXNet's oneDNN path: the maximum starts at the lowest
///    finite value on the window's first position, padding included. A
///    window whose values are none above that (-inf, NaN, -FLT_MAX) gives
///    the gradient to its first position, or to nobody when that is
///    padding.
///  * float64 is MXNet's own (unpool_max): the first element equal to the
///    forward's maximum, nobody when none is (a window of -inf or NaN).
template <typename T> constexpr T maxPoolStartingBest() {
  return std::is_same_v<T, float> ? std::numeric_limits<T>::lowest()
                                  : -std::numeric_limits<T>::infinity();
}
template <typename T> constexpr bool maxPoolStartsAtOrigin() {
  return std::is_same_v<T, float>;
}

template <typename T>
void referencePoolBackward(const StridedView<T> &input,
                           const StridedView<T> &outputGrad,
                           const StridedView<T> &inputGrad,
                           const PoolParams &p) {
  fillZero(inputGrad);
  forEachWindow(input.sizes, outputGrad.sizes, p,
                [&](const int64_t *out,
                    const std::vector<std::vector<int64_t>> &members,
                    int64_t divisor) {
                  if (members.empty())
                    return;
                  const T grad = outputGrad.at(out);
                  if (p.max) {
                    // The first largest element takes the whole gradient
                    // (maxPoolStartingBest for the rest of the rule).
                    const std::vector<int64_t> *winner = nullptr;
                    if (maxPoolStartsAtOrigin<T>()) {
                      bool inside = true; // The window's first position.
                      for (size_t d = 2; d < members.front().size(); ++d)
                        inside &= members.front()[d] ==
                                  out[d] * p.strides[d - 2] - p.low[d - 2];
                      winner = inside ? &members.front() : nullptr;
                    }
                    T best = maxPoolStartingBest<T>();
                    for (const auto &in : members)
                      if (input.at(in.data()) > best) {
                        best = input.at(in.data());
                        winner = &in;
                      }
                    if (winner)
                      inputGrad.at(winner->data()) += grad;
                  } else {
                    for (const auto &in : members)
                      inputGrad.at(in.data()) += grad / T(divisor);
                  }
                });
}

/// `value` where `keep`, else +0.0, without a branch: bitwise, so a
/// negative, infinite or NaN value passes unchanged.
inline float keepOrZero(float value, bool keep) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  bits &= 0u - static_cast<uint32_t>(keep);
  std::memcpy(&value, &bits, sizeof bits);
  return value;
}

/// `candidate` where `take`, else `current`, without a branch.
inline int64_t pick(int64_t current, int64_t candidate, bool take) {
  return current ^ ((current ^ candidate) & -static_cast<int64_t>(take));
}

/// One row of 2x2, stride-2 windows over contiguous rows: the gradient of
/// each window goes to its first largest element, the other three get
/// zero. Branch-free (random data makes every comparison a coin flip: the
/// branching form ran at mispredictions' pace), so it also vectorizes.
void maxPoolBackwardRow2x2(const float *top, const float *bottom,
                           const float *grad, float *gradTop, float *gradBottom,
                           int64_t outWidth) {
  for (int64_t ox = 0; ox < outWidth; ++ox) {
    const float a = top[2 * ox], b = top[2 * ox + 1];
    const float c = bottom[2 * ox], d = bottom[2 * ox + 1];
    // The first largest wins; NaN never does (the forward's max skips it),
    // and the first takes it when none is above the lowest finite value
    // (maxPoolStartingBest). std::max keeps its first argument unless the
    // second is larger, so `best` skips NaN too.
    int64_t winner = 0;
    float best = std::max(std::numeric_limits<float>::lowest(), a);
    winner = pick(winner, 1, b > best);
    best = std::max(best, b);
    winner = pick(winner, 2, c > best);
    best = std::max(best, c);
    winner = pick(winner, 3, d > best);
    const float g = grad[ox];
    gradTop[2 * ox] = keepOrZero(g, winner == 0);
    gradTop[2 * ox + 1] = keepOrZero(g, winner == 1);
    gradBottom[2 * ox] = keepOrZero(g, winner == 2);
    gradBottom[2 * ox + 1] = keepOrZero(g, winner == 3);
  }
}

/// One row of 2x2, stride-2 max windows over contiguous rows: out = the
/// window's maximum in row-major order as oneDNN's forward gives it
/// (m = v > m ? v : m from the lowest finite value: NaN never wins, a window
/// of NaN or -inf gives the lowest finite value, and of equal zeros the
/// first).
void maxPoolRow2x2(const float *top, const float *bottom, float *out,
                   int64_t outWidth) {
  for (int64_t ox = 0; ox < outWidth; ++ox) {
    float m = std::numeric_limits<float>::lowest();
    for (const float v :
         {top[2 * ox], top[2 * ox + 1], bottom[2 * ox], bottom[2 * ox + 1]})
      m = v > m ? v : m;
    out[ox] = m;
  }
}

/// The row kernels, each chosen once for the CPU it runs on.
using RowForward = void (*)(const float *top, const float *bottom, float *out,
                            int64_t outWidth);
using RowBackward = void (*)(const float *top, const float *bottom,
                             const float *grad, float *gradTop,
                             float *gradBottom, int64_t outWidth);

/// The widest vector instructions kiln's own pooling kernels use: the
/// CPU's, capped by ONEDNN_MAX_CPU_ISA (or DNNL_MAX_CPU_ISA) as oneDNN caps
/// its own, so that one machine can run, and test, every path.
enum class VectorIsa { Scalar, Avx2, Avx512 };

VectorIsa vectorIsa() {
  static const VectorIsa isa = [] {
#if defined(__x86_64__) && defined(__GNUC__)
    const VectorIsa cpu = __builtin_cpu_supports("avx512f") ? VectorIsa::Avx512
                          : __builtin_cpu_supports("avx2")  ? VectorIsa::Avx2
                                                            : VectorIsa::Scalar;
#else
    const VectorIsa cpu = VectorIsa::Scalar;
#endif
    // An empty value counts as unset, as oneDNN reads it.
    const char *cap = std::getenv("ONEDNN_MAX_CPU_ISA");
    if (!cap || !*cap)
      cap = std::getenv("DNNL_MAX_CPU_ISA");
    if (!cap || !*cap)
      return cpu;
    std::string name(cap);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    auto startsWith = [&](const char *prefix) {
      return name.rfind(prefix, 0) == 0;
    };
    // oneDNN's names: SSE41, AVX, AVX2, AVX2_VNNI, AVX512_CORE..., AMX...,
    // ALL.
    VectorIsa limit = VectorIsa::Avx512;
    if (startsWith("SSE") || name == "AVX")
      limit = VectorIsa::Scalar;
    else if (startsWith("AVX2"))
      limit = VectorIsa::Avx2;
    return std::min(cpu, limit);
  }();
  return isa;
}

/// The one of `avx512`, `avx2` and `scalar` that vectorIsa() picks.
template <typename T> T forVectorIsa(T avx512, T avx2, T scalar) {
  switch (vectorIsa()) {
  case VectorIsa::Avx512:
    return avx512;
  case VectorIsa::Avx2:
    return avx2;
  case VectorIsa::Scalar:
    break;
  }
  return scalar;
}

#if defined(__x86_64__) && defined(__GNUC__)
/// Up to sixteen 2x2 windows of a row pair on AVX-512, from window `ox` on:
/// masks of the windows and of their input elements (2 per window, over
/// two vectors: masked at a row's end) and the windows' elements, lane i
/// holding window ox + i: a b on the top row, c d on the bottom one.
struct Windows2x2 {
  __mmask16 windows, low, high;
  __m512 a, b, c, d;
};

__attribute__((target("avx512f"), always_inline)) inline Windows2x2
loadWindows2x2(const float *top, const float *bottom, int64_t ox,
               int64_t outWidth) {
  // Lanes 0..15 of a pair of vectors (low, high) holding the windows'
  // first and second columns.
  const __m512i firstColumn = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16,
                                                18, 20, 22, 24, 26, 28, 30);
  const __m512i secondColumn = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17,
                                                 19, 21, 23, 25, 27, 29, 31);
  Windows2x2 w;
  const int64_t count = std::min<int64_t>(16, outWidth - ox);
  const int64_t lowCount = std::min<int64_t>(16, 2 * count);
  w.windows = static_cast<__mmask16>((1u << count) - 1);
  w.low = static_cast<__mmask16>((uint32_t{1} << lowCount) - 1);
  w.high = static_cast<__mmask16>((uint32_t{1} << (2 * count - lowCount)) - 1);
  const float *t = top + 2 * ox, *b = bottom + 2 * ox;
  const __m512 topLow = _mm512_maskz_loadu_ps(w.low, t);
  const __m512 topHigh = _mm512_maskz_loadu_ps(w.high, t + 16);
  const __m512 bottomLow = _mm512_maskz_loadu_ps(w.low, b);
  const __m512 bottomHigh = _mm512_maskz_loadu_ps(w.high, b + 16);
  w.a = _mm512_permutex2var_ps(topLow, firstColumn, topHigh);
  w.b = _mm512_permutex2var_ps(topLow, secondColumn, topHigh);
  w.c = _mm512_permutex2var_ps(bottomLow, firstColumn, bottomHigh);
  w.d = _mm512_permutex2var_ps(bottomLow, secondColumn, bottomHigh);
  return w;
}

/// maxPoolBackwardRow2x2 sixteen windows at a time on AVX-512 (the runtime
/// is built for baseline x86-64, where the scalar form runs in SSE scalars:
/// 1.0-1.5 ms for the main job's first pooling, 128x32x28x28, about 6% of
/// its training step). The same compare-and-select sequence as the scalar
/// form, lane by lane, so the winner (first largest, NaN skipped) is the
/// same; a row's tail goes through masked loads and stores.
__attribute__((target("avx512f"))) void
maxPoolBackwardRow2x2Avx512(const float *top, const float *bottom,
                            const float *grad, float *gradTop,
                            float *gradBottom, int64_t outWidth) {
  // First and second columns back into pairs of lanes.
  const __m512i interleaveLow =
      _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i interleaveHigh = _mm512_setr_epi32(
      8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512 lowest = _mm512_set1_ps(std::numeric_limits<float>::lowest());
  for (int64_t ox = 0; ox < outWidth; ox += 16) {
    const Windows2x2 w = loadWindows2x2(top, bottom, ox, outWidth);
    // std::max(lowest, a): a, or the lowest finite value where a is NaN or
    // below it (max_ps returns its second operand when either is NaN).
    __m512 best = _mm512_max_ps(w.a, lowest);
    const __mmask16 takesB = _mm512_cmp_ps_mask(w.b, best, _CMP_GT_OQ);
    best = _mm512_mask_blend_ps(takesB, best, w.b);
    const __mmask16 takesC = _mm512_cmp_ps_mask(w.c, best, _CMP_GT_OQ);
    best = _mm512_mask_blend_ps(takesC, best, w.c);
    const __mmask16 takesD = _mm512_cmp_ps_mask(w.d, best, _CMP_GT_OQ);
    const __mmask16 winsD = takesD;
    const __mmask16 winsC = takesC & ~takesD;
    const __mmask16 winsB = takesB & ~takesC & ~takesD;
    const __mmask16 winsA = ~(takesB | takesC | takesD);
    const __m512 g = _mm512_maskz_loadu_ps(w.windows, grad + ox);
    const __m512 ga = _mm512_maskz_mov_ps(winsA, g);
    const __m512 gb = _mm512_maskz_mov_ps(winsB, g);
    const __m512 gc = _mm512_maskz_mov_ps(winsC, g);
    const __m512 gd = _mm512_maskz_mov_ps(winsD, g);
    float *gt = gradTop + 2 * ox, *gbm = gradBottom + 2 * ox;
    _mm512_mask_storeu_ps(gt, w.low,
                          _mm512_permutex2var_ps(ga, interleaveLow, gb));
    _mm512_mask_storeu_ps(gt + 16, w.high,
                          _mm512_permutex2var_ps(ga, interleaveHigh, gb));
    _mm512_mask_storeu_ps(gbm, w.low,
                          _mm512_permutex2var_ps(gc, interleaveLow, gd));
    _mm512_mask_storeu_ps(gbm + 16, w.high,
                          _mm512_permutex2var_ps(gc, interleaveHigh, gd));
  }
}

/// One row of 2x2, stride-2 max windows over contiguous rows, sixteen
/// windows at a time: maxPoolRow2x2's result (max_ps(v, m) is exactly
/// v > m ? v : m).
__attribute__((target("avx512f"))) void maxPoolRow2x2Avx512(const float *top,
                                                            const float *bottom,
                                                            float *out,
                                                            int64_t outWidth) {
  const __m512 lowest = _mm512_set1_ps(std::numeric_limits<float>::lowest());
  for (int64_t ox = 0; ox < outWidth; ox += 16) {
    const Windows2x2 w = loadWindows2x2(top, bottom, ox, outWidth);
    __m512 m = _mm512_max_ps(w.a, lowest);
    m = _mm512_max_ps(w.b, m);
    m = _mm512_max_ps(w.c, m);
    m = _mm512_max_ps(w.d, m);
    _mm512_mask_storeu_ps(out + ox, w.windows, m);
  }
}

/// Eight 2x2 windows of a row pair on AVX2, from window `ox` on (all eight
/// inside the row), in the lane order an in-lane shuffle leaves them:
/// windows 0 1 4 5 | 2 3 6 7. That order is what unpacklo/unpackhi need to
/// write pairs back in place, so only the forward's result and the
/// backward's gradient cross lanes (one permute each).
struct Windows2x2Avx2 {
  __m256 a, b, c, d;
};

/// The windows of sixteen elements of a row pair (two vectors a row).
__attribute__((target("avx2"), always_inline)) inline Windows2x2Avx2
windowsOfRows(__m256 top0, __m256 top1, __m256 bottom0, __m256 bottom1) {
  Windows2x2Avx2 w;
  w.a = _mm256_shuffle_ps(top0, top1, _MM_SHUFFLE(2, 0, 2, 0));
  w.b = _mm256_shuffle_ps(top0, top1, _MM_SHUFFLE(3, 1, 3, 1));
  w.c = _mm256_shuffle_ps(bottom0, bottom1, _MM_SHUFFLE(2, 0, 2, 0));
  w.d = _mm256_shuffle_ps(bottom0, bottom1, _MM_SHUFFLE(3, 1, 3, 1));
  return w;
}

__attribute__((target("avx2"), always_inline)) inline Windows2x2Avx2
loadWindows2x2Avx2(const float *top, const float *bottom, int64_t ox) {
  const float *t = top + 2 * ox, *b = bottom + 2 * ox;
  const __m256 top0 = _mm256_loadu_ps(t), top1 = _mm256_loadu_ps(t + 8);
  const __m256 bottom0 = _mm256_loadu_ps(b), bottom1 = _mm256_loadu_ps(b + 8);
  return windowsOfRows(top0, top1, bottom0, bottom1);
}

/// The first `count` (0..8) lanes of a vector set, for masked loads and
/// stores.
__attribute__((target("avx2"), always_inline)) inline __m256i
firstLanesAvx2(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// The masks of a row's last `count` (0..7) windows: of their elements in
/// each of the row pair's two vectors a row (`first`, `second`), and of the
/// windows themselves (`windows`: one lane each, as the output is laid out).
struct TailMasksAvx2 {
  __m256i first, second, windows;
};

__attribute__((target("avx2"), always_inline)) inline TailMasksAvx2
tailMasksAvx2(int64_t count) {
  return {firstLanesAvx2(std::min<int64_t>(2 * count, 8)),
          firstLanesAvx2(std::max<int64_t>(2 * count - 8, 0)),
          firstLanesAvx2(count)};
}

/// The row's last windows from window `ox` on (`masks` of their count), as
/// loadWindows2x2Avx2 lays them out: masked loads (AVX2's maskload neither
/// reads nor faults past the row), the missing windows' lanes zero.
/// Handling the tail in vectors matters: LeNet's rows are 12 and 4
/// windows wide, and their tails in scalar code took half of the
/// pooling's time on a Zen 3.
__attribute__((target("avx2"), always_inline)) inline Windows2x2Avx2
loadTailWindows2x2Avx2(const float *top, const float *bottom, int64_t ox,
                       const TailMasksAvx2 &masks) {
  const float *t = top + 2 * ox, *b = bottom + 2 * ox;
  const __m256 top0 = _mm256_maskload_ps(t, masks.first),
               top1 = _mm256_maskload_ps(t + 8, masks.second);
  const __m256 bottom0 = _mm256_maskload_ps(b, masks.first),
               bottom1 = _mm256_maskload_ps(b + 8, masks.second);
  return windowsOfRows(top0, top1, bottom0, bottom1);
}

/// Swaps the middle 64-bit quarters: natural window order <-> the order of
/// Windows2x2Avx2 (the permutation is its own inverse).
__attribute__((target("avx2"), always_inline)) inline __m256
swapMiddleQuarters(__m256 value) {
  return _mm256_castpd_ps(
      _mm256_permute4x64_pd(_mm256_castps_pd(value), _MM_SHUFFLE(3, 1, 2, 0)));
}

/// maxPoolBackwardRow2x2 eight windows at a time on AVX2 (the runtime is
/// built for baseline x86-64): the same compare-and-select sequence lane by
/// lane, so the same winner; the row's last windows through masked loads
/// and stores.
__attribute__((target("avx2"))) void
maxPoolBackwardRow2x2Avx2(const float *top, const float *bottom,
                          const float *grad, float *gradTop, float *gradBottom,
                          int64_t outWidth) {
  const __m256 lowest = _mm256_set1_ps(std::numeric_limits<float>::lowest());
  // The last iteration's, where the row does not end on a whole vector.
  const TailMasksAvx2 masks = tailMasksAvx2(outWidth % 8);
  for (int64_t ox = 0; ox < outWidth; ox += 8) {
    const bool whole = ox + 8 <= outWidth;
    const Windows2x2Avx2 w =
        whole ? loadWindows2x2Avx2(top, bottom, ox)
              : loadTailWindows2x2Avx2(top, bottom, ox, masks);
    // std::max(lowest, a): a, or the lowest finite value where a is NaN or
    // below it (max_ps returns its second operand when either is NaN).
    __m256 best = _mm256_max_ps(w.a, lowest);
    const __m256 takesB = _mm256_cmp_ps(w.b, best, _CMP_GT_OQ);
    best = _mm256_blendv_ps(best, w.b, takesB);
    const __m256 takesC = _mm256_cmp_ps(w.c, best, _CMP_GT_OQ);
    best = _mm256_blendv_ps(best, w.c, takesC);
    const __m256 takesD = _mm256_cmp_ps(w.d, best, _CMP_GT_OQ);
    const __m256 winsC = _mm256_andnot_ps(takesD, takesC);
    const __m256 winsB = _mm256_andnot_ps(_mm256_or_ps(takesC, takesD), takesB);
    const __m256 g = swapMiddleQuarters(
        whole ? _mm256_loadu_ps(grad + ox)
              : _mm256_maskload_ps(grad + ox, masks.windows));
    // andnot(mask, g): g where no later element won, i.e. where a did.
    const __m256 ga =
        _mm256_andnot_ps(_mm256_or_ps(takesB, _mm256_or_ps(takesC, takesD)), g);
    const __m256 gb = _mm256_and_ps(winsB, g);
    const __m256 gc = _mm256_and_ps(winsC, g);
    const __m256 gd = _mm256_and_ps(takesD, g);
    float *gt = gradTop + 2 * ox, *gbm = gradBottom + 2 * ox;
    if (whole) {
      _mm256_storeu_ps(gt, _mm256_unpacklo_ps(ga, gb));
      _mm256_storeu_ps(gt + 8, _mm256_unpackhi_ps(ga, gb));
      _mm256_storeu_ps(gbm, _mm256_unpacklo_ps(gc, gd));
      _mm256_storeu_ps(gbm + 8, _mm256_unpackhi_ps(gc, gd));
      continue;
    }
    _mm256_maskstore_ps(gt, masks.first, _mm256_unpacklo_ps(ga, gb));
    _mm256_maskstore_ps(gt + 8, masks.second, _mm256_unpackhi_ps(ga, gb));
    _mm256_maskstore_ps(gbm, masks.first, _mm256_unpacklo_ps(gc, gd));
    _mm256_maskstore_ps(gbm + 8, masks.second, _mm256_unpackhi_ps(gc, gd));
  }
}

/// maxPoolRow2x2 eight windows at a time on AVX2; the row's last windows
/// through masked loads and stores.
__attribute__((target("avx2"))) void maxPoolRow2x2Avx2(const float *top,
                                                       const float *bottom,
                                                       float *out,
                                                       int64_t outWidth) {
  const __m256 lowest = _mm256_set1_ps(std::numeric_limits<float>::lowest());
  // The last iteration's, where the row does not end on a whole vector.
  const TailMasksAvx2 masks = tailMasksAvx2(outWidth % 8);
  for (int64_t ox = 0; ox < outWidth; ox += 8) {
    const bool whole = ox + 8 <= outWidth;
    const Windows2x2Avx2 w =
        whole ? loadWindows2x2Avx2(top, bottom, ox)
              : loadTailWindows2x2Avx2(top, bottom, ox, masks);
    __m256 m = _mm256_max_ps(w.a, lowest);
    m = _mm256_max_ps(w.b, m);
    m = _mm256_max_ps(w.c, m);
    m = _mm256_max_ps(w.d, m);
    if (whole)
      _mm256_storeu_ps(out + ox, swapMiddleQuarters(m));
    else
      _mm256_maskstore_ps(out + ox, masks.windows, swapMiddleQuarters(m));
  }
}

RowForward maxPoolRowKernel() {
  return forVectorIsa<RowForward>(maxPoolRow2x2Avx512, maxPoolRow2x2Avx2,
                                  maxPoolRow2x2);
}

RowBackward maxPoolBackwardRowKernel() {
  return forVectorIsa<RowBackward>(maxPoolBackwardRow2x2Avx512,
                                   maxPoolBackwardRow2x2Avx2,
                                   maxPoolBackwardRow2x2);
}
#else
RowForward maxPoolRowKernel() { return maxPoolRow2x2; }
RowBackward maxPoolBackwardRowKernel() { return maxPoolBackwardRow2x2; }
#endif

/// Max pooling over 2x2, stride-2 windows without padding (the usual CNN
/// pooling; a last odd row or column is left out, as 'valid' does) of
/// float32 planes with contiguous rows: false where that does not apply.
/// oneDNN's forward reads the input at a third of memory speed here on
/// AVX-512 (1.25 ms for the main job's first pooling, 128x32x28x28, where
/// this takes 0.4), and on AVX2 it has only its reference code for plain
/// layouts (24 ms for the same pooling on a Zen 3).
bool maxPool2x2(const StridedView<float> &input,
                const StridedView<float> &output, const PoolParams &p) {
  if (!p.max || input.rank() != 4 || p.window[0] != 2 || p.window[1] != 2 ||
      p.strides[0] != 2 || p.strides[1] != 2 || p.low[0] != 0 ||
      p.low[1] != 0 || p.high[0] != 0 || p.high[1] != 0 ||
      input.strides[3] != 1 || output.strides[3] != 1)
    return false;
  const int64_t channels = input.sizes[1];
  const int64_t outHeight = output.sizes[2], outWidth = output.sizes[3];
  if (2 * outHeight > input.sizes[2] || 2 * outWidth > input.sizes[3])
    return false;
  const int64_t inN = input.strides[0], inC = input.strides[1],
                inH = input.strides[2];
  const int64_t outN = output.strides[0], outC = output.strides[1],
                outH = output.strides[2];
  const float *inputData = input.data;
  float *outputData = output.data;
  const int64_t planes = input.sizes[0] * channels;
  const int64_t grain = std::max<int64_t>(
      1, (int64_t{1} << 15) / std::max<int64_t>(1, 4 * outHeight * outWidth));
  const RowForward row = maxPoolRowKernel();
  ThreadPool::global().parallelFor(
      0, planes, grain, [=](int64_t first, int64_t last) {
        for (int64_t plane = first; plane < last; ++plane) {
          const int64_t n = plane / channels, c = plane % channels;
          const float *in = inputData + n * inN + c * inC;
          float *out = outputData + n * outN + c * outC;
          for (int64_t oy = 0; oy < outHeight; ++oy)
            row(in + 2 * oy * inH, in + (2 * oy + 1) * inH, out + oy * outH,
                outWidth);
        }
      });
  return true;
}

/// Max pooling's backward over 2-D windows (rank-4 arrays, any strides),
/// one (batch, channel) plane per task: the gradient goes to the first
/// largest element of each window, as referencePoolBackward gives it.
/// oneDNN's backward needs its forward's workspace, which kiln.pool does not
/// keep, so it reran the forward on plain layouts: 6.3 ms for the main job's
/// first pooling (128x32x28x28, 2x2); this pass takes about 0.5 ms.
template <typename T>
void maxPoolBackward2d(const StridedView<T> &input,
                       const StridedView<T> &outputGrad,
                       const StridedView<T> &inputGrad, const PoolParams &p) {
  // Plain locals: the loops below store through T pointers, which the
  // compiler would otherwise assume may change anything read by reference.
  const int64_t channels = input.sizes[1];
  const int64_t height = input.sizes[2], width = input.sizes[3];
  const int64_t outHeight = outputGrad.sizes[2], outWidth = outputGrad.sizes[3];
  const int64_t windowH = p.window[0], windowW = p.window[1];
  const int64_t strideH = p.strides[0], strideW = p.strides[1];
  const int64_t lowH = p.low[0], lowW = p.low[1];
  const int64_t inN = input.strides[0], inC = input.strides[1],
                inH = input.strides[2], inW = input.strides[3];
  const int64_t gN = outputGrad.strides[0], gC = outputGrad.strides[1],
                gH = outputGrad.strides[2], gW = outputGrad.strides[3];
  const int64_t dN = inputGrad.strides[0], dC = inputGrad.strides[1],
                dH = inputGrad.strides[2], dW = inputGrad.strides[3];
  const T *inputData = input.data;
  const T *gradData = outputGrad.data;
  T *inputGradData = inputGrad.data;
  // Windows that tile the plane exactly (the usual 2x2, stride 2).
  const bool tiles = strideH == windowH && strideW == windowW && lowH == 0 &&
                     lowW == 0 && outHeight * windowH == height &&
                     outWidth * windowW == width;
  const int64_t planes = input.sizes[0] * channels;
  const int64_t work =
      height * width + outHeight * outWidth * windowH * windowW;
  const int64_t grain =
      std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, work));
  ThreadPool::global().parallelFor(
      0, planes, grain, [=](int64_t first, int64_t last) {
        for (int64_t plane = first; plane < last; ++plane) {
          const int64_t n = plane / channels, c = plane % channels;
          const T *in = inputData + n * inN + c * inC;
          const T *grad = gradData + n * gN + c * gC;
          T *inGrad = inputGradData + n * dN + c * dC;
          if constexpr (std::is_same_v<T, float>) {
            if (tiles && windowH == 2 && windowW == 2 && inW == 1 && dW == 1 &&
                gW == 1) {
              const RowBackward row = maxPoolBackwardRowKernel();
              for (int64_t oy = 0; oy < outHeight; ++oy)
                row(in + 2 * oy * inH, in + (2 * oy + 1) * inH, grad + oy * gH,
                    inGrad + 2 * oy * dH, inGrad + (2 * oy + 1) * dH, outWidth);
              continue;
            }
          }
          if (tiles) {
            // Each element belongs to exactly one window: written once, the
            // winner with its gradient, the others with zero.
            for (int64_t oy = 0; oy < outHeight; ++oy)
              for (int64_t ox = 0; ox < outWidth; ++ox) {
                const int64_t y0 = oy * windowH, x0 = ox * windowW;
                // maxPoolStartingBest: NaN never wins; float32's first
                // position wins where nothing is above the lowest value.
                T best = maxPoolStartingBest<T>();
                int64_t winnerY = maxPoolStartsAtOrigin<T>() ? y0 : -1;
                int64_t winnerX = x0;
                for (int64_t y = y0; y < y0 + windowH; ++y)
                  for (int64_t x = x0; x < x0 + windowW; ++x) {
                    const T value = in[y * inH + x * inW];
                    const bool better = value > best;
                    best = better ? value : best;
                    winnerY = better ? y : winnerY;
                    winnerX = better ? x : winnerX;
                  }
                const T g = grad[oy * gH + ox * gW];
                for (int64_t y = y0; y < y0 + windowH; ++y)
                  for (int64_t x = x0; x < x0 + windowW; ++x)
                    inGrad[y * dH + x * dW] =
                        y == winnerY && x == winnerX ? g : T(0);
              }
            continue;
          }
          for (int64_t y = 0; y < height; ++y)
            for (int64_t x = 0; x < width; ++x)
              inGrad[y * dH + x * dW] = T(0);
          for (int64_t oy = 0; oy < outHeight; ++oy) {
            const int64_t top = oy * strideH - lowH;
            const int64_t y0 = std::max<int64_t>(top, 0);
            const int64_t y1 = std::min(top + windowH, height);
            for (int64_t ox = 0; ox < outWidth; ++ox) {
              const int64_t left = ox * strideW - lowW;
              const int64_t x0 = std::max<int64_t>(left, 0);
              const int64_t x1 = std::min(left + windowW, width);
              if (y0 >= y1 || x0 >= x1)
                continue; // a window wholly in the padding
              // maxPoolStartingBest: NaN never wins; float32's first
              // position wins where nothing is above the lowest value, and
              // nobody does when that position is padding.
              T best = maxPoolStartingBest<T>();
              int64_t winnerAt =
                  maxPoolStartsAtOrigin<T>() && top >= 0 && left >= 0
                      ? y0 * dH + x0 * dW
                      : -1;
              // Branch-free: on random data the comparisons are coin flips.
              for (int64_t y = y0; y < y1; ++y)
                for (int64_t x = x0; x < x1; ++x) {
                  const T value = in[y * inH + x * inW];
                  const bool better = value > best;
                  best = better ? value : best;
                  winnerAt = better ? y * dH + x * dW : winnerAt;
                }
              if (winnerAt >= 0)
                inGrad[winnerAt] += grad[oy * gH + ox * gW];
            }
          }
        }
      });
}

/// Prepared pooling primitives and the layouts they take: kiln's plain
/// ones, or oneDNN's blocked ones (blockedTag) that dnnl_support::execute
/// reorders kiln's buffers from and to.
struct PoolPlan {
  dnnl::primitive forward, backward;
  dnnl::memory::desc input, output, outputGrad, inputGrad;
  dnnl::memory::desc forwardScratchpad, backwardScratchpad, workspace;
};

/// The blocked layout (channels in blocks of 8) oneDNN's AVX2 pooling
/// kernels take, for a rank-3 to -5 activation. For plain layouts oneDNN 2.6
/// has only its reference code on AVX2 (a 3x3 stride-2 max pooling of
/// 32x64x16x16 took 5.4 ms, an average one of 128x64x14x14 39 ms); the
/// blocked kernels with the two reorders take a fraction of that.
dnnl::memory::format_tag blockedTag(size_t rank) {
  using Tag = dnnl::memory::format_tag;
  return rank == 3 ? Tag::aBc8b : rank == 4 ? Tag::aBcd8b : Tag::aBcde8b;
}

bool isReferenceKernel(const char *implementation) {
  const std::string name(implementation ? implementation : "");
  return name.rfind("ref", 0) == 0 || name.rfind("simple", 0) == 0;
}

dnnl_support::PlanCache<PoolPlan> &planCache() {
  static auto *cache = new dnnl_support::PlanCache<PoolPlan>();
  return *cache;
}

bool dnnlPool(const StridedView<float> &input, const StridedView<float> &output,
              const StridedView<float> *inputGrad, const PoolParams &p) {
  if (input.rank() > 5)
    return false;
  // oneDNN's averages count the padding, or exclude it, over the same
  // windows; its windows may not start inside padding_high alone.
  try {
    const dnnl::memory::desc inputDesc =
        dnnl_support::plainDesc(input.sizes, input.strides);
    const dnnl::memory::desc outputDesc =
        dnnl_support::plainDesc(output.sizes, output.strides);
    dnnl::memory::desc gradDesc;
    if (inputGrad)
      gradDesc = dnnl_support::plainDesc(inputGrad->sizes, inputGrad->strides);
    std::string key = inputGrad ? "b:" : "f:";
    dnnl_support::appendKey(key, input.sizes);
    dnnl_support::appendKey(key, input.strides);
    dnnl_support::appendKey(key, output.strides);
    if (inputGrad)
      dnnl_support::appendKey(key, inputGrad->strides);
    for (const auto *values : {&p.window, &p.strides, &p.low, &p.high})
      dnnl_support::appendKey(key, *values);
    key += p.max ? "max" : p.countIncludePad ? "avg_in" : "avg_ex";
    const auto algorithm = p.max ? dnnl::algorithm::pooling_max
                           : p.countIncludePad
                               ? dnnl::algorithm::pooling_avg_include_padding
                               : dnnl::algorithm::pooling_avg_exclude_padding;
    dnnl_support::OpenMPLease lease;
    key += ";threads=" + std::to_string(lease.threads());
    std::shared_ptr<PoolPlan> plan = planCache().get(key, [&] {
      const dnnl::memory::dims strides(p.strides.begin(), p.strides.end()),
          window(p.window.begin(), p.window.end()),
          low(p.low.begin(), p.low.end()), high(p.high.begin(), p.high.end());
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      dnnl::engine &engine = dnnl_support::cpuEngine();
      // The primitives on (input, output, input gradient) layouts.
      auto build = [&](const dnnl::memory::desc &in,
                       const dnnl::memory::desc &out,
                       const dnnl::memory::desc &grad) {
        auto result = std::make_shared<PoolPlan>();
        // The backward's forward writes its output to scratch: the caller
        // only wants the input gradient.
        const dnnl::memory::desc forwardOutput =
            inputGrad
                ? dnnl::memory::desc(out.dims(), dnnl::memory::data_type::f32,
                                     dnnl::memory::format_tag::any)
                : out;
        dnnl::pooling_forward::primitive_desc forward(
            dnnl::pooling_forward::desc(
                inputGrad ? dnnl::prop_kind::forward_training
                          : dnnl::prop_kind::forward_inference,
                algorithm, in, forwardOutput, strides, window, low, high),
            attr, engine);
        const bool reference = isReferenceKernel(forward.impl_info_str());
        result->forward = dnnl::pooling_forward(forward);
        result->forwardScratchpad = forward.scratchpad_desc();
        result->input = in;
        result->output = forward.dst_desc();
        if (inputGrad) {
          result->workspace = forward.workspace_desc();
          dnnl::pooling_backward::primitive_desc backward(
              dnnl::pooling_backward::desc(algorithm, grad, out, strides,
                                           window, low, high),
              attr, engine, forward);
          result->backward = dnnl::pooling_backward(backward);
          result->backwardScratchpad = backward.scratchpad_desc();
          result->outputGrad = out;
          result->inputGrad = grad;
        }
        return std::make_pair(result, reference);
      };
      auto [plain, reference] = build(inputDesc, outputDesc, gradDesc);
      if (!reference)
        return plain;
      const auto tag = blockedTag(input.rank());
      const dnnl::memory::desc blockedIn(inputDesc.dims(),
                                         dnnl::memory::data_type::f32, tag),
          blockedOut(outputDesc.dims(), dnnl::memory::data_type::f32, tag);
      try {
        auto [blocked, stillReference] =
            build(blockedIn, blockedOut, blockedIn);
        return stillReference ? plain : blocked;
      } catch (const dnnl::error &) {
        return plain;
      }
    });
    // dnnl_support::execute reorders into its scratch slots from 0 and puts
    // the scratchpad in slot 7; the backward's forward output and the
    // winners live in 5 and 6.
    using dnnl_support::Argument;
    if (!inputGrad) {
      dnnl_support::execute(
          plan->forward,
          {Argument{DNNL_ARG_SRC, inputDesc, plan->input, input.data, false},
           Argument{DNNL_ARG_DST, outputDesc, plan->output, output.data, true}},
          plan->forwardScratchpad);
      return true;
    }
    std::vector<Argument> backwardArguments = {
        Argument{DNNL_ARG_DIFF_DST, outputDesc, plan->outputGrad, output.data,
                 false},
        Argument{DNNL_ARG_DIFF_SRC, gradDesc, plan->inputGrad, inputGrad->data,
                 true}};
    if (p.max) {
      // The backward needs the forward's winners (its workspace).
      void *forwardOutput =
          dnnl_support::threadScratch(5, plan->output.get_size());
      void *winners =
          dnnl_support::threadScratch(6, plan->workspace.get_size());
      dnnl_support::execute(
          plan->forward,
          {Argument{DNNL_ARG_SRC, inputDesc, plan->input, input.data, false},
           Argument{DNNL_ARG_DST, plan->output, plan->output, forwardOutput,
                    true},
           Argument{DNNL_ARG_WORKSPACE, plan->workspace, plan->workspace,
                    winners, true}},
          plan->forwardScratchpad);
      backwardArguments.push_back(Argument{DNNL_ARG_WORKSPACE, plan->workspace,
                                           plan->workspace, winners, false});
    }
    dnnl_support::execute(plan->backward, backwardArguments,
                          plan->backwardScratchpad);
    return true;
  } catch (const dnnl::error &) {
    return false;
  }
}

template <typename T>
void pool(UnrankedMemRef *inputMemRef, UnrankedMemRef *outputMemRef,
          UnrankedMemRef *paramsMemRef) {
  const StridedView<T> input(*inputMemRef), output(*outputMemRef);
  const PoolParams params(libraryParams(*paramsMemRef), input.rank() - 2);
  if (output.count() == 0)
    return;
  if constexpr (std::is_same_v<T, float>) {
    if (input.count() > 0 && (maxPool2x2(input, output, params) ||
                              dnnlPool(input, output, nullptr, params)))
      return;
  }
  referencePool(input, output, params);
}

template <typename T>
void poolBackward(UnrankedMemRef *inputMemRef, UnrankedMemRef *gradMemRef,
                  UnrankedMemRef *inputGradMemRef,
                  UnrankedMemRef *paramsMemRef) {
  const StridedView<T> input(*inputMemRef), outputGrad(*gradMemRef),
      inputGrad(*inputGradMemRef);
  const PoolParams params(libraryParams(*paramsMemRef), input.rank() - 2);
  if (inputGrad.count() == 0)
    return;
  if (params.max && input.rank() == 4) {
    maxPoolBackward2d(input, outputGrad, inputGrad, params);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (outputGrad.count() > 0 &&
        dnnlPool(input, outputGrad, &inputGrad, params))
      return;
  }
  referencePoolBackward(input, outputGrad, inputGrad, params);
}

} // namespace

extern "C" {
void kiln_pool_f32(UnrankedMemRef *input, UnrankedMemRef *output,
                   UnrankedMemRef *params) {
  pool<float>(input, output, params);
}
void kiln_pool_f64(UnrankedMemRef *input, UnrankedMemRef *output,
                   UnrankedMemRef *params) {
  pool<double>(input, output, params);
}
void kiln_pool_backward_f32(UnrankedMemRef *input, UnrankedMemRef *outputGrad,
                            UnrankedMemRef *inputGrad, UnrankedMemRef *params) {
  poolBackward<float>(input, outputGrad, inputGrad, params);
}
void kiln_pool_backward_f64(UnrankedMemRef *input, UnrankedMemRef *outputGrad,
                            UnrankedMemRef *inputGrad, UnrankedMemRef *params) {
  poolBackward<double>(input, outputGrad, inputGrad, params);
}
}

const char *maxPoolVectorIsa() {
  return forVectorIsa<const char *>("avx512", "avx2", "scalar");
}

} // namespace kiln
