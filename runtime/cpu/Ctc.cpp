//===- Ctc.cpp ------------------------------------------------------------===//
//
// Graves et al.'s forward-backward over the label sequence with blanks
// interleaved (S = 2L + 1 positions): alpha_t(s) sums the paths that emit
// position s at step t, beta_t(s) those that continue from it to the end,
// both including step t's emission, so alpha_t(s) + beta_t(s) - log y_t(k)
// is the log mass through (t, s) and the gradient with respect to the
// activation u_t(k) is y_t(k) - sum_{s: l'(s) = k} exp(that - log P).
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Ctc.h"

#include "runtime/Error.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace kiln {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

/// log(exp(a) + exp(b)), exact at -inf.
double logAdd(double a, double b) {
  if (a == kNegInf)
    return b;
  if (b == kNegInf)
    return a;
  return a > b ? a + std::log1p(std::exp(b - a))
               : b + std::log1p(std::exp(a - b));
}

/// One batch item: its time steps and its labels.
struct Item {
  int64_t steps = 0;
  std::vector<int64_t> labels;
};

/// The items of the batch, every length and label checked.
std::vector<Item> readItems(const std::string &op, const Tensor &data,
                            const Tensor &labels, const Tensor &dataLengths,
                            const Tensor &labelLengths,
                            const CtcOptions &options) {
  const int64_t seqLen = data.shape()[0], batch = data.shape()[1];
  const int64_t alphabet = data.shape()[2], width = labels.shape()[1];
  const auto *label = static_cast<const int64_t *>(labels.data());
  const auto *steps = dataLengths.storage()
                          ? static_cast<const int64_t *>(dataLengths.data())
                          : nullptr;
  const auto *counts = labelLengths.storage()
                           ? static_cast<const int64_t *>(labelLengths.data())
                           : nullptr;
  std::vector<Item> items(batch);
  for (int64_t b = 0; b < batch; ++b) {
    Item &item = items[b];
    item.steps = steps ? steps[b] : seqLen;
    if (item.steps < 0 || item.steps > seqLen)
      throw Error(formatMessage(op, ": data_lengths[", b, "] expected in [0, ",
                                seqLen, "], got ", item.steps));
    const int64_t *row = label + b * width;
    int64_t count = width;
    if (counts) {
      count = counts[b];
      if (count < 0 || count > width)
        throw Error(formatMessage(op, ": label_lengths[", b,
                                  "] expected in [0, ", width, "], got ",
                                  count));
    } else {
      count = std::find(row, row + width, options.padding) - row;
    }
    for (int64_t i = 0; i < count; ++i) {
      if (row[i] < 0 || row[i] >= alphabet)
        throw Error(formatMessage(op, ": label[", b, ", ", i,
                                  "] expected in [0, ", alphabet, "), got ",
                                  row[i]));
      if (row[i] == options.blank)
        throw Error(formatMessage(op, ": label[", b, ", ", i, "] is ", row[i],
                                  ", the blank label's channel"));
    }
    item.labels.assign(row, row + count);
  }
  return items;
}

/// Item `b`'s loss, and its gradient rows when `grad` is not null (the
/// caller zeroed them).
template <typename T>
void itemLoss(const T *data, int64_t batch, int64_t alphabet, int64_t b,
              const Item &item, int64_t blank, T *loss, T *grad) {
  const int64_t steps = item.steps;
  const int64_t count = item.labels.size();
  int64_t repeats = 0;
  for (int64_t i = 1; i < count; ++i)
    repeats += item.labels[i] == item.labels[i - 1];
  // No alignment fits (each repeat needs a blank between): MXNet's cost 0.
  if (count + repeats > steps || steps == 0) {
    loss[b] = 0;
    return;
  }
  const int64_t positions = 2 * count + 1;
  std::vector<int64_t> symbol(positions, blank);
  for (int64_t i = 0; i < count; ++i)
    symbol[2 * i + 1] = item.labels[i];
  // Position s may be reached from s - 2 (skipping a blank) when it is a
  // label different from the one before the blank.
  std::vector<char> skip(positions, 0);
  for (int64_t s = 2; s < positions; ++s)
    skip[s] = symbol[s] != blank && symbol[s] != symbol[s - 2];

  // Log-softmax of each step's activations.
  std::vector<double> logProb(steps * alphabet);
  for (int64_t t = 0; t < steps; ++t) {
    const T *row = data + (t * batch + b) * alphabet;
    double *out = logProb.data() + t * alphabet;
    double top = kNegInf;
    for (int64_t k = 0; k < alphabet; ++k)
      top = std::max(top, static_cast<double>(row[k]));
    double sum = 0;
    for (int64_t k = 0; k < alphabet; ++k)
      sum += std::exp(row[k] - top);
    const double shift = top + std::log(sum);
    for (int64_t k = 0; k < alphabet; ++k)
      out[k] = row[k] - shift;
  }

  std::vector<double> alpha(steps * positions, kNegInf);
  alpha[0] = logProb[blank];
  if (positions > 1)
    alpha[1] = logProb[symbol[1]];
  for (int64_t t = 1; t < steps; ++t) {
    const double *before = alpha.data() + (t - 1) * positions;
    double *now = alpha.data() + t * positions;
    const double *emit = logProb.data() + t * alphabet;
    for (int64_t s = 0; s < positions; ++s) {
      double sum = before[s];
      if (s >= 1)
        sum = logAdd(sum, before[s - 1]);
      if (skip[s])
        sum = logAdd(sum, before[s - 2]);
      now[s] = sum == kNegInf ? kNegInf : sum + emit[symbol[s]];
    }
  }
  const double *last = alpha.data() + (steps - 1) * positions;
  const double logLikelihood =
      positions > 1 ? logAdd(last[positions - 1], last[positions - 2])
                    : last[0];
  loss[b] = static_cast<T>(-logLikelihood);
  if (!grad)
    return;

  std::vector<double> beta(positions, kNegInf), next(positions);
  std::vector<double> mass(alphabet);
  for (int64_t t = steps - 1; t >= 0; --t) {
    const double *emit = logProb.data() + t * alphabet;
    if (t == steps - 1) {
      beta[positions - 1] = emit[blank];
      if (positions > 1)
        beta[positions - 2] = emit[symbol[positions - 2]];
    } else {
      next.swap(beta);
      for (int64_t s = 0; s < positions; ++s) {
        double sum = next[s];
        if (s + 1 < positions)
          sum = logAdd(sum, next[s + 1]);
        if (s + 2 < positions && skip[s + 2])
          sum = logAdd(sum, next[s + 2]);
        beta[s] = sum == kNegInf ? kNegInf : sum + emit[symbol[s]];
      }
    }
    std::fill(mass.begin(), mass.end(), kNegInf);
    const double *forward = alpha.data() + t * positions;
    for (int64_t s = 0; s < positions; ++s)
      if (forward[s] != kNegInf && beta[s] != kNegInf)
        mass[symbol[s]] = logAdd(mass[symbol[s]], forward[s] + beta[s]);
    T *row = grad + (t * batch + b) * alphabet;
    for (int64_t k = 0; k < alphabet; ++k) {
      double g = std::exp(emit[k]);
      if (mass[k] != kNegInf)
        g -= std::exp(mass[k] - emit[k] - logLikelihood);
      row[k] = static_cast<T>(g);
    }
  }
}

template <typename T>
void ctcTyped(const Tensor &data, const std::vector<Item> &items, int64_t blank,
              const Tensor &loss, const Tensor &grad) {
  const int64_t seqLen = data.shape()[0], batch = data.shape()[1];
  const int64_t alphabet = data.shape()[2];
  const T *in = static_cast<const T *>(data.data());
  T *out = static_cast<T *>(loss.data());
  T *gradient = grad.storage() ? static_cast<T *>(grad.data()) : nullptr;
  if (gradient)
    std::fill(gradient, gradient + seqLen * batch * alphabet, T(0));
  ThreadPool::global().parallelFor(
      0, batch, 1, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b)
          itemLoss<T>(in, batch, alphabet, b, items[b], blank, out, gradient);
      });
}

} // namespace

void ctcLoss(const std::string &op, const Tensor &data, const Tensor &labels,
             const Tensor &dataLengths, const Tensor &labelLengths,
             const CtcOptions &options, const Tensor &loss,
             const Tensor &grad) {
  if (!data.isContiguous() || !labels.isContiguous())
    throw Error(formatMessage(op, ": data and label must be contiguous"));
  const std::vector<Item> items =
      readItems(op, data, labels, dataLengths, labelLengths, options);
  switch (data.dtype()) {
  case DType::Float32:
    return ctcTyped<float>(data, items, options.blank, loss, grad);
  case DType::Float64:
    return ctcTyped<double>(data, items, options.blank, loss, grad);
  default:
    throw Error(formatMessage(op, ": dtype ", dtypeName(data.dtype()),
                              " is not supported"));
  }
}

} // namespace kiln
