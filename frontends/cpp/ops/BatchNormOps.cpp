//===- BatchNormOps.cpp - BatchNorm, forward and backward -----------------===//
//
// MXNet 1.9.1's BatchNorm, with the semantics measured on it:
//
// * Forward, when training (autograd's train mode) and not use_global_stats:
//   normalize with the batch mean and biased variance of each channel;
//   otherwise with moving_mean and moving_var. The hidden outputs are the
//   mean and the inverse standard deviation 1/sqrt(var + eps) that were
//   used (batch or moving); output_mean_var shows them.
// * fix_gamma writes 1 into gamma (in place, as MXNet does) and its
//   gradient is 0.
// * Backward, when training (backward's train_mode) and not
//   use_global_stats: the batch-statistics gradient with the saved mean and
//   inverse std, and only then moving_mean/moving_var are updated, in the
//   backward pass:  moving = moving * momentum + stat * (1 - momentum), stat
//   the saved mean and the variance 1/invstd^2 - eps. Otherwise the
//   gradient is that of a fixed scale by the moving statistics.
//
// Speed: data is seen as (P, C, Q) around the channel axis (P the axes
// before it, Q those after it, flattened; views, no copy) and cut into
// blocks that fit in a core's cache, processed in parallel, so that the
// passes over a block after the first read it from the cache. Where each
// channel's elements come in runs of Q >= kMinChannelRun, a block is a
// group of whole channels: forward, one graph kernel computes a block's
// mean, then variance, and a second normalizes it; backward, one sums dy and
// dy (x - mean) and a second computes dx. Where runs are short (channels
// last, 2-D data), reading a channel at a time would stride through memory,
// so a block is a group of rows: each block's partial statistics (its mean
// and squared deviations, or its sums), combined across blocks by a small
// kernel (Chan et al.'s formula for the variance), then the normalization
// or dx by row blocks. Either way data is read from memory about twice and
// written once per pass.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"
#include "frontends/cpp/ops/SavedForBackward.h"
#include "frontends/cpp/ops/UpdateKernel.h"

#include "compiler/GraphBuilder.h"
#include "compiler/KernelCache.h"
#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "frontends/cpp/ElementwiseFusion.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <string_view>
#include <tuple>

namespace kiln {
namespace ops {
namespace {

const char *const kOp = "BatchNorm";

using compiler::Value;

//===----------------------------------------------------------------------===//
// Layouts and running kernels block by block
//===----------------------------------------------------------------------===//

/// Elements per block: a block's data stays in a core's cache between the
/// passes its kernels make over it.
constexpr int64_t kBlockElements = 1 << 15;
/// Channels whose elements lie in contiguous runs at least this long are
/// processed a channel block at a time; shorter runs (channels last, 2-D
/// data) a block of rows at a time, so that memory is read in order.
constexpr int64_t kMinChannelRun = 16;

/// How one pass sees an argument of a blocked kernel: sliced to the block's
/// range along dimension 0, to the block's index along dimension 0 (the
/// partial results of a row block), or whole.
enum class Slice { Range, Block, Whole };

struct Argument {
  Tensor tensor;
  Slice slice;
};

struct Step {
  KernelEntryFn kernel;
  std::vector<Argument> arguments;
};

/// Steps run over [0, extent) in blocks of `perBlock` (in parallel), or
/// once over whole arrays when `perBlock` is 0.
struct Phase {
  std::vector<Step> steps;
  int64_t extent = 0, perBlock = 0;
};

/// Tensor `t` with dimension 0 narrowed to [begin, begin + count).
Tensor narrowed(const Tensor &t, int64_t begin, int64_t count) {
  Shape shape = t.shape();
  shape[0] = count;
  return t.strided(shape, t.strides(), t.offset() + begin * t.strides()[0]);
}

void runStep(const Step &step, int64_t block, int64_t begin, int64_t count) {
  constexpr size_t kMaxArguments = 16;
  Tensor sliced[kMaxArguments];
  const Tensor *pointers[kMaxArguments];
  const size_t n = step.arguments.size();
  for (size_t i = 0; i < n; ++i) {
    const Argument &argument = step.arguments[i];
    sliced[i] =
        argument.slice == Slice::Range ? narrowed(argument.tensor, begin, count)
        : argument.slice == Slice::Block ? narrowed(argument.tensor, block, 1)
                                         : argument.tensor;
    pointers[i] = &sliced[i];
  }
  invokeKernel(step.kernel, pointers, n);
}

/// Pushes `phases` as one engine op reading `reads` and writing `writes`.
void pushPhases(std::vector<Phase> phases, std::vector<VarPtr> reads,
                std::vector<VarPtr> writes) {
  Engine::global().push(
      [phases = std::move(phases)] {
        for (const Phase &phase : phases) {
          if (phase.perBlock == 0) {
            for (const Step &step : phase.steps)
              runStep(step, 0, 0, 0);
            continue;
          }
          const int64_t blocks =
              (phase.extent + phase.perBlock - 1) / phase.perBlock;
          ThreadPool::global().parallelFor(
              0, blocks, 1, [&](int64_t first, int64_t last) {
                for (int64_t block = first; block < last; ++block) {
                  const int64_t begin = block * phase.perBlock;
                  const int64_t count =
                      std::min(phase.perBlock, phase.extent - begin);
                  for (const Step &step : phase.steps)
                    runStep(step, block, begin, count);
                }
              });
        }
      },
      Device::cpu(), reads, writes, /*priority=*/0, kOp);
}

/// What the graph kernels of a layout see (see "Graph kernels"). Blocks of
/// whole channels: t (c, P, Q) reduced over axes 1, 2. Blocks of rows: t
/// (p, C) or (p, C, Q) reduced over 0 (and 2). k is a per-channel value of
/// the block ((c, 1, 1), or (1, C) / (1, C, 1)), s a scalar. The rows
/// layout adds per-block partial results, p ((blocks, C) or (blocks, C,
/// 1)), and each block's count of elements per channel, n ((blocks, 1) or
/// (blocks, 1, 1)).
struct KernelTypes {
  compiler::TensorType t, k, p, n, s;
  std::vector<int64_t> axes;
};

/// The data's shape as (P, C, Q) around the channel axis, and which way it
/// is cut into blocks.
struct Layout {
  int64_t channels = 0, outer = 1, inner = 1;
  /// Blocks of rows (else of channels).
  bool rows = false;
  int64_t perBlock = 1, blocks = 0;
  DType dtype = DType::Float32;

  Layout(const Shape &shape, int64_t axis, DType type) : dtype(type) {
    channels = shape[axis];
    for (int64_t d = 0; d < axis; ++d)
      outer *= shape[d];
    for (int64_t d = axis + 1; d < static_cast<int64_t>(shape.size()); ++d)
      inner *= shape[d];
    rows = inner < kMinChannelRun && outer > 1;
    const int64_t blockWidth = rows ? channels * inner : outer * inner;
    perBlock =
        std::max<int64_t>(1, kBlockElements / std::max<int64_t>(blockWidth, 1));
    const int64_t extent = rows ? outer : channels;
    blocks = (extent + perBlock - 1) / perBlock;
  }
  int64_t perChannel() const { return outer * inner; }
  int64_t extent() const { return rows ? outer : channels; }
  /// Rows with Q == 1 are 2-D blocks, so that the inner loop runs over the
  /// channels.
  bool flat() const { return rows && inner == 1; }
  /// Which of the three forms its kernels take: channel blocks, 2-D row
  /// blocks, 3-D row blocks.
  int kind() const { return !rows ? 0 : flat() ? 1 : 2; }

  /// A contiguous tensor of the data's shape as the kernels see it: (C, P,
  /// Q) (strided), or (P, C) / (P, C, Q).
  Tensor data(const Tensor &t) const {
    if (!rows)
      return t.strided({channels, outer, inner}, {inner, channels * inner, 1},
                       t.offset());
    return flat() ? t.reshaped({outer, channels})
                  : t.reshaped({outer, channels, inner});
  }
  /// A (C,) tensor as a per-channel value: (C, 1, 1), (1, C) or (1, C, 1).
  Tensor channel(const Tensor &t) const {
    const int64_t stride = t.strides()[0];
    if (!rows)
      return t.strided({channels, 1, 1}, {stride, 1, 1}, t.offset());
    if (flat())
      return t.strided({1, channels}, {channels * stride, stride}, t.offset());
    return t.strided({1, channels, 1}, {channels * stride, stride, 1},
                     t.offset());
  }
  /// A new array of per-block partial results: (blocks, C) or (blocks, C,
  /// 1).
  Tensor partial() const {
    return flat() ? Tensor::empty({blocks, channels}, dtype)
                  : Tensor::empty({blocks, channels, 1}, dtype);
  }
  /// Each row block's element count per channel: (blocks, 1) or (blocks,
  /// 1, 1).
  Tensor counts() const {
    Tensor counts = flat() ? Tensor::empty({blocks, 1}, dtype)
                           : Tensor::empty({blocks, 1, 1}, dtype);
    for (int64_t b = 0; b < blocks; ++b) {
      const double count = std::min(perBlock, outer - b * perBlock) * inner;
      if (dtype == DType::Float64)
        static_cast<double *>(counts.data())[b] = count;
      else
        static_cast<float *>(counts.data())[b] = static_cast<float>(count);
    }
    return counts;
  }

  /// The types its graph kernels see (see "Graph kernels").
  KernelTypes types() const {
    using compiler::TensorType;
    KernelTypes types;
    types.s = TensorType::scalar(dtype);
    if (!rows) {
      types.t = TensorType::dynamic(dtype, 3);
      types.k = TensorType::dynamic(dtype, 3, 0b110);
      types.axes = {1, 2};
    } else if (flat()) {
      types.t = types.p = TensorType::dynamic(dtype, 2);
      types.k = TensorType::dynamic(dtype, 2, 0b01);
      types.n = TensorType::dynamic(dtype, 2, 0b10);
      types.axes = {0};
    } else {
      types.t = TensorType::dynamic(dtype, 3);
      types.k = TensorType::dynamic(dtype, 3, 0b101);
      types.p = TensorType::dynamic(dtype, 3, 0b100);
      types.n = TensorType::dynamic(dtype, 3, 0b110);
      types.axes = {0, 2};
    }
    return types;
  }
  /// A phase over the blocks.
  Phase blocked(std::vector<Step> steps) const {
    return {std::move(steps), extent(), perBlock};
  }
};

//===----------------------------------------------------------------------===//
// Graph kernels
//===----------------------------------------------------------------------===//

// Forward: normalize with mean and scale = gamma * invstd.
// Backward: dx = a dy + b (x - mean) + c. With batch statistics (n
// elements per channel, invn = 1/n, batch = 1):
//   dx = gamma invstd (dy - mean(dy) - (x - mean) invstd^2 mean(dy (x - mean)))
// With moving statistics (batch = 0): dx = gamma invstd dy.
// dgamma = invstd sum(dy (x - mean)), dbeta = sum(dy).

/// One kernel of a layout being built: its graph, the layout's types, and
/// the arithmetic its formulas use (one operation per statement, so that
/// the text does not depend on the order C++ evaluates arguments in).
struct KernelGraph {
  compiler::Graph graph;
  KernelTypes types;

  DType dtype;

  KernelGraph(const char *name, const Layout &layout)
      : graph(name, kOp), types(layout.types()), dtype(layout.dtype) {}
  Value argument(const compiler::TensorType &type) {
    return graph.argument(type);
  }
  Value add(const Value &x, const Value &y) {
    return graph.binary(compiler::Binary::Add, x, y);
  }
  Value sub(const Value &x, const Value &y) {
    return graph.binary(compiler::Binary::Sub, x, y);
  }
  Value mul(const Value &x, const Value &y) {
    return graph.binary(compiler::Binary::Mul, x, y);
  }
  Value neg(const Value &x) { return graph.unary(compiler::Unary::Neg, x); }
  /// Per channel, kept as extent 1.
  Value sum(const Value &x) {
    return graph.reduce(compiler::Reduction::Sum, x, types.axes, true);
  }
  Value mean(const Value &x) {
    return graph.reduce(compiler::Reduction::Mean, x, types.axes, true);
  }
  /// dy where the fused relu's output is positive, else 0: relu's
  /// gradient as MXNet's (out > 0).
  Value reluGradient(const Value &dy, const Value &out) {
    const Value zero = graph.literal(0, dtype);
    return graph.select(graph.binary(compiler::Binary::Gt, out, zero), dy,
                        zero);
  }
};

/// The kernel `build` (KernelGraph & -> its results) makes for `layout`.
/// Each graph is built once per kernel name (a string literal: the cache
/// keeps a view of it), layout kind and dtype and its text (the kernel
/// cache's key) kept, so that a call costs one lookup.
template <class Build>
KernelEntryFn kernelFor(const char *name, const Layout &layout, Build build) {
  static std::mutex mutex;
  static std::map<std::tuple<std::string_view, int, DType>, std::string>
      sources;
  const std::string *source;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const std::tuple<std::string_view, int, DType> key{name, layout.kind(),
                                                       layout.dtype};
    auto found = sources.find(key);
    if (found == sources.end()) {
      KernelGraph g(name, layout);
      for (const Value &result : build(g))
        g.graph.result(result);
      found = sources.emplace(key, g.graph.source()).first;
    }
    source = &found->second; // Entries are never removed.
  }
  return compiler::KernelCache::global().getGraph(*source);
}

/// The forward coefficients from mean and var: mean, inverse std and
/// gamma * invstd.
std::vector<Value> fromVariance(KernelGraph &g, const Value &mean,
                                const Value &var, const Value &eps,
                                const Value &gamma) {
  const Value ve = g.add(var, eps);
  const Value invstd = g.graph.unary(compiler::Unary::Rsqrt, ve);
  const Value scale = g.mul(gamma, invstd);
  return {mean, invstd, scale};
}

/// A block's mean and squared deviations from it.
std::pair<Value, Value> deviations(KernelGraph &g, const Value &x) {
  const Value mean = g.mean(x);
  const Value d = g.sub(x, mean);
  return {mean, g.mul(d, d)};
}

/// A block's sum(dy) and sum(dy (x - mean)).
std::pair<Value, Value> gradientSums(KernelGraph &g, const Value &x,
                                     const Value &dy, const Value &mean) {
  const Value sdy = g.sum(dy);
  const Value d = g.sub(x, mean);
  const Value p = g.mul(dy, d);
  return {sdy, g.sum(p)};
}

/// Channel blocks, forward: the statistics of whole channels.
///   (x: t, gamma: k, eps: s) -> (mean, invstd, scale: k)
KernelEntryFn statsKernel(const Layout &layout) {
  return kernelFor("batch_norm_stats", layout, [](KernelGraph &g) {
    const Value x = g.argument(g.types.t), gamma = g.argument(g.types.k),
                eps = g.argument(g.types.s);
    const auto [mean, d2] = deviations(g, x);
    const Value var = g.mean(d2);
    return fromVariance(g, mean, var, eps, gamma);
  });
}

/// Row blocks, forward: each block's mean and sum of squared deviations.
///   (x: t) -> (mean, m2: k)
KernelEntryFn partialStatsKernel(const Layout &layout) {
  return kernelFor("batch_norm_partial_stats", layout, [](KernelGraph &g) {
    const Value x = g.argument(g.types.t);
    const auto [mean, d2] = deviations(g, x);
    const Value m2 = g.sum(d2);
    return std::vector<Value>{mean, m2};
  });
}

/// Row blocks, forward: the blocks' statistics combined (Chan et al.:
/// M2 = sum of M2_b + n_b (mean_b - mean)^2).
///   (means, m2s: p, counts: n, invn: s, gamma: k, eps: s)
///   -> (mean, invstd, scale: k)
KernelEntryFn combineStatsKernel(const Layout &layout) {
  return kernelFor("batch_norm_combine_stats", layout, [](KernelGraph &g) {
    const Value means = g.argument(g.types.p), m2s = g.argument(g.types.p),
                counts = g.argument(g.types.n), invn = g.argument(g.types.s),
                gamma = g.argument(g.types.k), eps = g.argument(g.types.s);
    const Value w = g.mul(means, counts);
    const Value sw = g.sum(w);
    const Value mean = g.mul(sw, invn);
    const Value d = g.sub(means, mean);
    const Value d2 = g.mul(d, d);
    const Value cd2 = g.mul(d2, counts);
    const Value t = g.add(m2s, cd2);
    const Value m2 = g.sum(t);
    const Value var = g.mul(m2, invn);
    return fromVariance(g, mean, var, eps, gamma);
  });
}

/// From the moving statistics (the mean output a copy of moving_mean).
///   (gamma, moving_mean, var: k, eps, zero: s) -> (mean, invstd, scale: k)
KernelEntryFn movingKernel(const Layout &layout) {
  return kernelFor("batch_norm_moving", layout, [](KernelGraph &g) {
    const Value gamma = g.argument(g.types.k),
                movingMean = g.argument(g.types.k), var = g.argument(g.types.k),
                eps = g.argument(g.types.s), zero = g.argument(g.types.s);
    const Value mean = g.add(movingMean, zero);
    return fromVariance(g, mean, var, eps, gamma);
  });
}

/// y = (x - mean) * scale + beta, then relu for BatchNormWithReLU.
///   (x: t, mean, scale, beta: k) -> t
std::vector<Value> normalized(KernelGraph &g, bool relu) {
  const Value x = g.argument(g.types.t), mean = g.argument(g.types.k),
              scale = g.argument(g.types.k), beta = g.argument(g.types.k);
  const Value d = g.sub(x, mean);
  const Value t = g.mul(d, scale);
  const Value y = g.add(t, beta);
  return {relu ? g.graph.unary(compiler::Unary::Relu, y) : y};
}

KernelEntryFn normalizeKernel(const Layout &layout, bool relu) {
  return kernelFor(relu ? "batch_norm_normalize_relu" : "batch_norm_normalize",
                   layout,
                   [relu](KernelGraph &g) { return normalized(g, relu); });
}

/// The backward coefficients from sdy = sum(dy) and sp = sum(dy (x -
/// mean)): (dgamma, dbeta = sdy, a, b, c: k).
std::vector<Value> coefficients(KernelGraph &g, const Value &sdy,
                                const Value &sp, const Value &invstd,
                                const Value &gamma, const Value &invn,
                                const Value &batch) {
  const Value dgamma = g.mul(sp, invstd);
  const Value a = g.mul(gamma, invstd);
  const Value i2 = g.mul(invstd, invstd);
  const Value spn = g.mul(sp, invn);
  const Value b0 = g.mul(spn, i2);
  const Value b1 = g.mul(b0, a);
  const Value b2 = g.neg(b1);
  const Value b = g.mul(b2, batch);
  const Value sdyn = g.mul(sdy, invn);
  const Value c0 = g.mul(sdyn, a);
  const Value c1 = g.neg(c0);
  const Value c = g.mul(c1, batch);
  return {dgamma, sdy, a, b, c};
}

/// The backward kernels' x and dy; with the fused relu, also its output
/// `out` (an argument after dy), dy masked by it.
std::pair<Value, Value> gradientInputs(KernelGraph &g, bool relu) {
  const Value x = g.argument(g.types.t), dy = g.argument(g.types.t);
  if (!relu)
    return {x, dy};
  const Value out = g.argument(g.types.t);
  return {x, g.reluGradient(dy, out)};
}

/// Channel blocks, backward: the sums, then the coefficients.
///   (x, dy[, out]: t, mean, invstd, gamma: k, invn, batch: s)
///   -> (dgamma, dbeta, a, b, c: k)
std::vector<Value> gradStats(KernelGraph &g, bool relu) {
  const auto [x, dy] = gradientInputs(g, relu);
  const Value mean = g.argument(g.types.k), invstd = g.argument(g.types.k),
              gamma = g.argument(g.types.k), invn = g.argument(g.types.s),
              batch = g.argument(g.types.s);
  const auto [sdy, sp] = gradientSums(g, x, dy, mean);
  return coefficients(g, sdy, sp, invstd, gamma, invn, batch);
}

KernelEntryFn gradStatsKernel(const Layout &layout, bool relu) {
  return kernelFor(
      relu ? "batch_norm_grad_stats_relu" : "batch_norm_grad_stats", layout,
      [relu](KernelGraph &g) { return gradStats(g, relu); });
}

/// Row blocks, backward: each block's sums.   (x, dy[, out]: t, mean: k)
/// -> (sdy, sp: k)
std::vector<Value> partialGrad(KernelGraph &g, bool relu) {
  const auto [x, dy] = gradientInputs(g, relu);
  const Value mean = g.argument(g.types.k);
  const auto [sdy, sp] = gradientSums(g, x, dy, mean);
  return {sdy, sp};
}

KernelEntryFn partialGradKernel(const Layout &layout, bool relu) {
  return kernelFor(
      relu ? "batch_norm_partial_grad_relu" : "batch_norm_partial_grad", layout,
      [relu](KernelGraph &g) { return partialGrad(g, relu); });
}

/// Row blocks, backward: the blocks' sums added, then the coefficients.
///   (sdys, sps: p, invstd, gamma: k, invn, batch: s)
///   -> (dgamma, dbeta, a, b, c: k)
KernelEntryFn combineGradKernel(const Layout &layout) {
  return kernelFor("batch_norm_combine_grad", layout, [](KernelGraph &g) {
    const Value sdys = g.argument(g.types.p), sps = g.argument(g.types.p),
                invstd = g.argument(g.types.k), gamma = g.argument(g.types.k),
                invn = g.argument(g.types.s), batch = g.argument(g.types.s);
    const Value sdy = g.sum(sdys);
    const Value sp = g.sum(sps);
    return coefficients(g, sdy, sp, invstd, gamma, invn, batch);
  });
}

/// dx = a dy + b (x - mean) + c.   (x, dy[, out]: t, mean, a, b, c: k)
/// -> t
std::vector<Value> gradApply(KernelGraph &g, bool relu) {
  const auto [x, dy] = gradientInputs(g, relu);
  const Value mean = g.argument(g.types.k), a = g.argument(g.types.k),
              b = g.argument(g.types.k), c = g.argument(g.types.k);
  const Value d = g.sub(x, mean);
  const Value u = g.mul(d, b);
  const Value v = g.mul(dy, a);
  const Value w = g.add(u, v);
  const Value dx = g.add(w, c);
  return {dx};
}

KernelEntryFn gradApplyKernel(const Layout &layout, bool relu) {
  return kernelFor(
      relu ? "batch_norm_grad_apply_relu" : "batch_norm_grad_apply", layout,
      [relu](KernelGraph &g) { return gradApply(g, relu); });
}

Argument range(const Tensor &t) { return {t, Slice::Range}; }
Argument whole(const Tensor &t) { return {t, Slice::Whole}; }
Argument ofBlock(const Tensor &t) { return {t, Slice::Block}; }

/// The mean and inverse std a forward pass normalized with, kept for its
/// backward (MXNet's hidden outputs).
struct Statistics {
  NDArray mean, invstd;
};

SavedForBackward<Statistics> &savedStatistics() {
  static auto *saved = new SavedForBackward<Statistics>;
  return *saved;
}

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

struct Arguments {
  /// "BatchNorm", or "_contrib_BatchNormWithReLU" (relu fused).
  const char *op = kOp;
  bool relu = false;
  NDArray data, gamma, beta, movingMean, movingVar;
  int64_t axis = 1;
  /// float32 for float16 data (MXNet keeps the parameters in float32).
  DType paramType = DType::Float32;
  double eps = 1e-3, momentum = 0.9;
  bool fixGamma = true, useGlobalStats = false;
};

const char *const kParamNames[] = {"gamma", "beta", "moving_mean",
                                   "moving_var"};

Arguments checkArguments(const std::vector<NDArray> &in, const Attrs &attrs,
                         const char *op, bool relu) {
  Arguments args;
  args.op = op;
  args.relu = relu;
  args.data = in[0];
  const NDArray &data = in[0];
  const DType dtype = data.dtype();
  if (dtype != DType::Float32 && dtype != DType::Float64 &&
      dtype != DType::Float16)
    throw Error(formatMessage(op,
                              ": data expected float16, float32 or "
                              "float64, got ",
                              dtypeName(dtype)));
  const int64_t rank = data.shape().size();
  if (rank == 0)
    throw Error(formatMessage(op, ": data expected an array of rank 1 or "
                                  "more, got a scalar"));
  const int64_t axis = attrs.getInt("axis");
  if (axis < -rank || axis >= rank)
    throw Error(formatMessage(op, ": axis ", axis,
                              " is out of range for data of shape ",
                              shapeToString(data.shape()), " (expected -", rank,
                              " to ", rank - 1, ")"));
  args.axis = axis < 0 ? axis + rank : axis;
  args.paramType = dtype == DType::Float16 ? DType::Float32 : dtype;
  const Shape expected = {data.shape()[args.axis]};
  for (int i = 0; i < 4; ++i) {
    const NDArray &param = in[i + 1];
    if (param.shape() != expected)
      throw Error(formatMessage(op, ": ", kParamNames[i], " expected shape ",
                                shapeToString(expected),
                                " (the extent of data's axis ", args.axis,
                                " in ", shapeToString(data.shape()), "), got ",
                                shapeToString(param.shape())));
    if (param.dtype() != args.paramType)
      throw Error(formatMessage(op, ": ", kParamNames[i], " expected dtype ",
                                dtypeName(args.paramType), " (for ",
                                dtypeName(dtype), " data), got ",
                                dtypeName(param.dtype())));
  }
  args.gamma = in[1];
  args.beta = in[2];
  args.movingMean = in[3];
  args.movingVar = in[4];
  args.eps = attrs.getFloat("eps");
  // MXNet's momentum is a float parameter: 0.9 is 0.899999976.
  args.momentum = static_cast<float>(attrs.getFloat("momentum"));
  args.fixGamma = attrs.getBool("fix_gamma");
  args.useGlobalStats = attrs.getBool("use_global_stats");
  // Accepted for MXNet's signature, no effect on the CPU (cudnn_off) or
  // outside quantization (the calibration ranges).
  attrs.getBool("cudnn_off");
  return args;
}

/// `x` contiguous (a copy only when it is not).
NDArray contiguous(const NDArray &x) {
  return x.tensor().isContiguous() ? x : dispatch::cast(x, x.dtype());
}

/// Ones of gamma's shape written into gamma (MXNet's fix_gamma).
void fillOnes(const NDArray &gamma) {
  NDArray ones = dispatch::broadcastTo(dispatch::scalar(1, gamma.dtype()),
                                       gamma.shape(), kOp);
  dispatch::cast(ones, gamma.dtype(), gamma);
}

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

/// A per-channel argument: sliced with the channel blocks, whole with the
/// row blocks.
Argument channelArgument(const Layout &layout, const Tensor &t) {
  return layout.rows ? whole(layout.channel(t)) : range(layout.channel(t));
}

/// What a forward pass normalized with: enough to write its output again,
/// as the same kernel over the same values (so the same bits).
struct Normalization {
  NDArray x, mean, scale, beta;
  int64_t axis = 1;
  bool relu = false;
};

/// The forward pass's output, its statistics and how it normalized.
struct Forward {
  NDArray y, mean, invstd;
  Normalization normalization;
};

/// Pushes `normalization`'s output again, into `into` (of x's shape and
/// dtype): the recomputation of BatchNormWithReLU's output for its backward
/// (by default; KILN_BACKWARD_RECOMPUTE=0 keeps the forward's instead).
void pushNormalization(const Normalization &normalization,
                       const NDArray &into) {
  const Layout layout(normalization.x.shape(), normalization.axis,
                      normalization.x.dtype());
  auto channel = [&](const Tensor &t) { return channelArgument(layout, t); };
  const Step normalize{normalizeKernel(layout, normalization.relu),
                       {range(layout.data(normalization.x.tensor())),
                        channel(normalization.mean.tensor()),
                        channel(normalization.scale.tensor()),
                        channel(normalization.beta.tensor()),
                        range(layout.data(into.tensor()))}};
  pushPhases({layout.blocked({normalize})},
             {normalization.x.var(), normalization.mean.var(),
              normalization.scale.var(), normalization.beta.var()},
             {into.var()});
}

/// y, mean, invstd of the forward pass.
Forward forward(const Arguments &args, bool training) {
  if (args.fixGamma)
    fillOnes(args.gamma);
  // float16 data computes in float32, rounded once at the end.
  const DType dtype = args.paramType;
  NDArray x =
      contiguous(args.data.dtype() == dtype ? args.data
                                            : dispatch::cast(args.data, dtype));
  const Layout layout(x.shape(), args.axis, dtype);
  const int64_t channels = layout.channels, n = layout.perChannel();
  NDArray y = NDArray::empty(x.shape(), dtype);
  NDArray mean = NDArray::empty({channels}, dtype);
  NDArray invstd = NDArray::empty({channels}, dtype);
  // gamma * invstd: an array (with a variable) so that a recomputation of
  // the output can read it after this pass.
  NDArray scaleArray = NDArray::empty({channels}, dtype);
  const Tensor &scale = scaleArray.tensor();
  NDArray eps = dispatch::scalar(args.eps, dtype);
  NDArray invn = dispatch::scalar(n > 0 ? 1.0 / n : 0.0, dtype);
  std::vector<VarPtr> reads = {x.var(), args.gamma.var(), args.beta.var(),
                               eps.var(), invn.var()};
  auto channel = [&](const Tensor &t) { return channelArgument(layout, t); };
  const Argument data = range(layout.data(x.tensor()));
  std::vector<Step> first; // The coefficients: mean, invstd, scale.
  std::vector<Phase> phases;
  if (!training) {
    NDArray zero = dispatch::scalar(0, dtype);
    reads.insert(reads.end(),
                 {zero.var(), args.movingMean.var(), args.movingVar.var()});
    first.push_back(
        {movingKernel(layout),
         {channel(args.gamma.tensor()), channel(args.movingMean.tensor()),
          channel(args.movingVar.tensor()), whole(eps.tensor()),
          whole(zero.tensor()), channel(mean.tensor()),
          channel(invstd.tensor()), channel(scale)}});
  } else if (!layout.rows) {
    first.push_back(
        {statsKernel(layout),
         {data, channel(args.gamma.tensor()), whole(eps.tensor()),
          channel(mean.tensor()), channel(invstd.tensor()), channel(scale)}});
  } else {
    const Tensor means = layout.partial(), m2s = layout.partial();
    phases.push_back(layout.blocked(
        {{partialStatsKernel(layout), {data, ofBlock(means), ofBlock(m2s)}}}));
    first.push_back({combineStatsKernel(layout),
                     {whole(means), whole(m2s), whole(layout.counts()),
                      whole(invn.tensor()), channel(args.gamma.tensor()),
                      whole(eps.tensor()), channel(mean.tensor()),
                      channel(invstd.tensor()), channel(scale)}});
  }
  const Step normalize{normalizeKernel(layout, args.relu),
                       {data, channel(mean.tensor()), channel(scale),
                        channel(args.beta.tensor()),
                        range(layout.data(y.tensor()))}};
  if (layout.rows) {
    phases.push_back({std::move(first)});
    phases.push_back(layout.blocked({normalize}));
  } else {
    first.push_back(normalize);
    phases.push_back(layout.blocked(std::move(first)));
  }
  pushPhases(std::move(phases), reads,
             {y.var(), mean.var(), invstd.var(), scaleArray.var()});
  Normalization normalization{x,         mean,      scaleArray,
                              args.beta, args.axis, args.relu};
  if (args.data.dtype() != dtype)
    y = dispatch::cast(y, args.data.dtype());
  return {y, mean, invstd, std::move(normalization)};
}

//===----------------------------------------------------------------------===//
// Backward
//===----------------------------------------------------------------------===//

/// dx, dgamma, dbeta given the statistics the forward pass used (`batch`:
/// the batch's, whose gradient flows through them too).
/// With the fused relu, `out` is the op's output (relu's), whose positive
/// elements pass dy through.
std::vector<NDArray> backward(const Arguments &args, const NDArray &dyGiven,
                              const NDArray &out, const NDArray &mean,
                              const NDArray &invstd, bool batch) {
  const DType dtype = args.paramType;
  auto widened = [&](const NDArray &a) {
    return contiguous(a.dtype() == dtype ? a : dispatch::cast(a, dtype));
  };
  NDArray x = widened(args.data), dy = widened(dyGiven);
  const NDArray relued = args.relu ? widened(out) : NDArray();
  const Layout layout(x.shape(), args.axis, dtype);
  const int64_t channels = layout.channels, n = layout.perChannel();
  NDArray dx = NDArray::empty(x.shape(), dtype);
  NDArray dgamma = NDArray::empty({channels}, dtype);
  NDArray dbeta = NDArray::empty({channels}, dtype);
  const Tensor a = Tensor::empty({channels}, dtype),
               b = Tensor::empty({channels}, dtype),
               c = Tensor::empty({channels}, dtype);
  NDArray invn = dispatch::scalar(n > 0 ? 1.0 / n : 0.0, dtype);
  NDArray flag = dispatch::scalar(batch ? 1 : 0, dtype);
  auto channel = [&](const Tensor &t) { return channelArgument(layout, t); };
  const Argument data = range(layout.data(x.tensor())),
                 grad = range(layout.data(dy.tensor()));
  // x and dy, then the relu's output where it is fused.
  std::vector<Argument> inputs = {data, grad};
  std::vector<VarPtr> reads = {x.var(),      dy.var(),         mean.var(),
                               invstd.var(), args.gamma.var(), invn.var(),
                               flag.var()};
  if (args.relu) {
    inputs.push_back(range(layout.data(relued.tensor())));
    reads.push_back(relued.var());
  }
  // With fix_gamma, gamma holds ones (the forward pass wrote them).
  const std::vector<Argument> coefficients = {channel(invstd.tensor()),
                                              channel(args.gamma.tensor()),
                                              whole(invn.tensor()),
                                              whole(flag.tensor()),
                                              channel(dgamma.tensor()),
                                              channel(dbeta.tensor()),
                                              channel(a),
                                              channel(b),
                                              channel(c)};
  std::vector<Argument> applyArguments = inputs;
  applyArguments.insert(applyArguments.end(),
                        {channel(mean.tensor()), channel(a), channel(b),
                         channel(c), range(layout.data(dx.tensor()))});
  const Step apply{gradApplyKernel(layout, args.relu),
                   std::move(applyArguments)};
  std::vector<Phase> phases;
  if (!layout.rows) {
    std::vector<Argument> arguments = inputs;
    arguments.push_back(channel(mean.tensor()));
    arguments.insert(arguments.end(), coefficients.begin(), coefficients.end());
    phases.push_back(layout.blocked(
        {{gradStatsKernel(layout, args.relu), std::move(arguments)}, apply}));
  } else {
    const Tensor sdys = layout.partial(), sps = layout.partial();
    std::vector<Argument> partial = inputs;
    partial.insert(partial.end(),
                   {channel(mean.tensor()), ofBlock(sdys), ofBlock(sps)});
    phases.push_back(layout.blocked(
        {{partialGradKernel(layout, args.relu), std::move(partial)}}));
    std::vector<Argument> arguments = {whole(sdys), whole(sps)};
    arguments.insert(arguments.end(), coefficients.begin(), coefficients.end());
    phases.push_back({{{combineGradKernel(layout), arguments}}});
    phases.push_back(layout.blocked({apply}));
  }
  pushPhases(std::move(phases), reads, {dx.var(), dgamma.var(), dbeta.var()});
  if (args.data.dtype() != dtype)
    dx = dispatch::cast(dx, args.data.dtype());
  if (args.fixGamma)
    dgamma = zerosOf({channels}, dtype);
  return {dx, dgamma, dbeta};
}

/// moving = moving * momentum + statistic * (1 - momentum), in place.
void updateMoving(const Arguments &args, const NDArray &mean,
                  const NDArray &invstd) {
  const DType dtype = args.paramType;
  {
    UpdateKernel kernel(kOp, 1);
    KValue moving = kernel.input(args.movingMean);
    KValue statistic = kernel.input(mean);
    KValue momentum = kernel.number(args.momentum, dtype);
    kernel.into(moving * momentum + statistic * (1.0 - momentum),
                args.movingMean);
  }
  UpdateKernel kernel(kOp, 1);
  KValue moving = kernel.input(args.movingVar);
  KValue i = kernel.input(invstd);
  KValue momentum = kernel.number(args.momentum, dtype);
  // MXNet recovers the variance from the saved inverse std.
  KValue variance = 1.0 / (i * i) - kernel.number(args.eps, dtype);
  kernel.into(moving * momentum + variance * (1.0 - momentum), args.movingVar);
}

std::vector<NDArray> gradient(const OutputsGradientArgs &grad, const char *op,
                              bool relu) {
  // The rule runs fused kernels that record nothing: under create_graph
  // its result would silently be a constant. MXNet 1.9.1 has no second
  // order here either.
  if (autograd::isRecording())
    throw Error("BatchNorm: is not differentiable again (create_graph=True); "
                "second-order gradients through BatchNorm are not supported");
  const Arguments args = checkArguments(grad.inputs, grad.attrs, op, relu);
  const bool batch = autograd::isTraining() && !args.useGlobalStats;
  std::shared_ptr<Statistics> saved = savedStatistics().take(grad.outputs[0]);
  if (saved) {
    // Kept for another backward through a retained graph.
    savedStatistics().save(grad.outputs[0], saved);
  } else {
    // Not saved (never expected): the statistics the forward pass would
    // have used in this mode.
    autograd::TrainingScope mode(batch);
    Forward again = forward(args, batch);
    saved = std::make_shared<Statistics>(Statistics{again.mean, again.invstd});
  }
  const NDArray &mean = saved->mean, &invstd = saved->invstd;
  std::vector<NDArray> grads;
  if (batch && args.data.size() == 0) {
    // An empty batch has no statistics (0 / 0): the moving ones
    // stay, and gamma and beta, which normalized nothing, get 0.
    const Shape channels = args.gamma.shape();
    grads = {zerosOf(args.data.shape(), args.data.dtype()),
             zerosOf(channels, args.paramType),
             zerosOf(channels, args.paramType)};
  } else if (batch) {
    grads = backward(args, grad.outputGrads[0], grad.outputs[0], mean, invstd,
                     true);
    updateMoving(args, mean, invstd);
  } else {
    // MXNet's gradient here uses the moving statistics, whatever the
    // forward pass normalized with.
    UpdateKernel kernel(kOp, 1);
    KValue var = kernel.input(args.movingVar);
    NDArray movingInvstd =
        kernel.run(1.0 / sqrt(var + kernel.number(args.eps, var.dtype())),
                   args.movingVar.shape());
    grads = backward(args, grad.outputGrads[0], grad.outputs[0],
                     args.movingMean, movingInvstd, false);
  }
  return {grads[0], grads[1], grads[2], NDArray(), NDArray()};
}

/// In a captured training graph (unless KILN_BACKWARD_RECOMPUTE=0): the
/// backward reads a recomputation of BatchNormWithReLU's output (one normalization
/// kernel from x and the saved statistics) instead of the forward's, so the
/// forward's output lives only until the forward's last reader (the next
/// convolution) rather than across the whole backward. It is the largest
/// activation memory of a ResNet's training step after the convolutions'
/// outputs, which BatchNorm's backward needs anyway.
void rematerialize(const Forward &pass, const NDArray &data, const char *op,
                   const std::shared_ptr<Statistics> &statistics) {
  fusion::ElementwiseFusion *fusion = fusion::ElementwiseFusion::current();
  const Normalization &normalization = pass.normalization;
  // Not for float16 (the output is a cast of the normalization) or where
  // x is a contiguous copy of the data, which the recomputation would keep.
  if (!fusion || !fusion->rematerializes() ||
      normalization.x.var() != data.var())
    return;
  NDArray again = NDArray::empty(pass.y.shape(), pass.y.dtype());
  fusion->rematerialize(
      pass.y, again,
      [normalization, again] { pushNormalization(normalization, again); },
      {normalization.x.var(), normalization.mean.var(),
       normalization.scale.var(), normalization.beta.var()},
      std::string("recompute:") + op);
  // The backward's gradient rule finds the statistics by its output.
  savedStatistics().save(again, statistics);
}

/// BatchNorm's spec under `name`; with `relu`, the output passes through
/// relu in the same kernels (MXNet's _contrib_BatchNormWithReLU).
OpSpec batchNormSpec(const char *name, bool relu, std::string doc) {
  OpSpec spec{name,
              {"data", "gamma", "beta", "moving_mean", "moving_var"},
              {{"eps", AttrSpec::Kind::Float, "0.0010000000474974513"},
               {"momentum", AttrSpec::Kind::Float, "0.9"},
               {"fix_gamma", AttrSpec::Kind::Bool, "True"},
               {"use_global_stats", AttrSpec::Kind::Bool, "False"},
               {"output_mean_var", AttrSpec::Kind::Bool, "False"},
               {"axis", AttrSpec::Kind::Int, "1"},
               {"cudnn_off", AttrSpec::Kind::Bool, "False"},
               {"min_calib_range", AttrSpec::Kind::String, "None"},
               {"max_calib_range", AttrSpec::Kind::String, "None"}},
              std::move(doc)};
  spec.computeOutputs = [name, relu](const std::vector<NDArray> &in,
                                     const Attrs &attrs,
                                     const std::vector<NDArray> &outs) {
    const Arguments args = checkArguments(in, attrs, name, relu);
    const bool outputMeanVar = attrs.getBool("output_mean_var");
    const size_t count = outputMeanVar ? 3 : 1;
    if (!outs.empty() && outs.size() != count)
      throw Error(formatMessage(name, ": out has ", outs.size(),
                                " arrays, expected ", count));
    // out, then mean and inverse std: checked before anything runs.
    for (size_t i = 0; i < outs.size(); ++i) {
      const Shape &shape = i == 0 ? args.data.shape() : args.gamma.shape();
      const DType dtype = i == 0 ? args.data.dtype() : args.paramType;
      if (outs[i].shape() != shape || outs[i].dtype() != dtype)
        throw Error(formatMessage(name, ": out[", i, "] expected shape ",
                                  shapeToString(shape), " and dtype ",
                                  dtypeName(dtype), ", got shape ",
                                  shapeToString(outs[i].shape()), " and dtype ",
                                  dtypeName(outs[i].dtype())));
    }
    const bool batch = autograd::isTraining() && !args.useGlobalStats;
    Forward pass = forward(args, batch);
    std::vector<NDArray> results = {pass.y, pass.mean, pass.invstd};
    results.resize(count);
    for (size_t i = 0; i < outs.size(); ++i)
      results[i] = invokeOp("identity", {results[i]}, {}, outs[i]);
    auto statistics =
        std::make_shared<Statistics>(Statistics{pass.mean, pass.invstd});
    savedStatistics().save(results[0], statistics);
    // (computeOutputs runs with recording paused: the op is recorded
    // after it, whole.)
    if (relu && batch && outs.empty())
      rematerialize(pass, in[0], name, statistics);
    return results;
  };
  spec.outputsGradient = [name, relu](const OutputsGradientArgs &grad) {
    return gradient(grad, name, relu);
  };
  return spec;
}

} // namespace

void registerBatchNormOps(OpRegistry &registry) {
  registry.add(batchNormSpec(
      kOp, false,
      "Batch normalization along `axis` (the channel axis, default 1; "
      "negative from the end), as MXNet 1.9.1's BatchNorm.\n\n"
      "data: float16, float32 or float64, rank 1 or more; gamma, beta, "
      "moving_mean, moving_var: shape (C,), C = data.shape[axis], of data's "
      "dtype (float32 for float16 data).\n"
      "Training (autograd train mode, use_global_stats False): out = (data - "
      "mean) / sqrt(var + eps) * gamma + beta with the batch mean and biased "
      "variance of each channel; otherwise moving_mean and moving_var. "
      "fix_gamma (default True) writes 1 into gamma and gives it a zero "
      "gradient. The moving statistics are updated in the backward pass of a "
      "training step (backward train_mode, use_global_stats False): moving = "
      "moving * momentum + batch statistic * (1 - momentum). output_mean_var "
      "returns [out, mean, 1 / sqrt(var + eps)] of the statistics used "
      "(their gradients are ignored). cudnn_off, min_calib_range and "
      "max_calib_range are accepted and have no effect. A training step on "
      "an empty batch (data with no elements) leaves moving_mean and "
      "moving_var unchanged (it has no statistics) and gives gamma and beta "
      "zero gradients.\n"
      "Errors: data not floating point or a scalar, axis out of range, a "
      "parameter of the wrong shape or dtype, out arrays of another shape "
      "or dtype than the outputs'."));
  registry.add(batchNormSpec(
      "_contrib_BatchNormWithReLU", true,
      "BatchNorm followed by relu in the same kernels (MXNet 1.9.1's "
      "contrib.BatchNormWithReLU): BatchNorm's inputs, attributes, "
      "outputs, moving-statistics updates and errors, with out = "
      "max(BatchNorm's out, 0). Its gradient passes the output gradient "
      "where out > 0, as relu's; mean and var (output_mean_var) are "
      "BatchNorm's. kiln's graph executor runs BatchNorm followed by a relu "
      "Activation as this operator."));
}

} // namespace ops
} // namespace kiln
