//===- Ctc.h - connectionist temporal classification on the CPU -*- C++ -*-===//
//
// CTCLoss's forward-backward runs here rather than in generated code: it is
// a dynamic program over (time, label position) whose extent depends on the
// label values, which only exist when the op runs. One call computes the
// loss and, when asked, the gradient with respect to the activations (the
// softmax minus the alpha-beta posteriors), as MXNet's warp-ctc kernel does
// in its forward pass. Probabilities are kept in log space, in double for
// both float32 and float64 data. Batch items run in parallel.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_CTC_H
#define KILN_RUNTIME_CPU_CTC_H

#include "runtime/Tensor.h"

#include <string>

namespace kiln {

struct CtcOptions {
  /// The blank's channel: 0 or alphabet_size - 1.
  int64_t blank = 0;
  /// The value that ends a label sequence when no label lengths are given
  /// (MXNet's padding: 0 with the blank first, -1 with it last).
  int64_t padding = 0;
};

/// The CTC loss of each batch item of `data` (seq_len, batch, alphabet),
/// unnormalized activations (float32 or float64, contiguous), against
/// `labels` (batch, label_len) int64, into `loss` (batch,) of data's dtype;
/// into `grad` (data's shape and dtype) d loss / d data unless `grad` is an
/// empty Tensor. `dataLengths` and `labelLengths` ((batch,) int64, or empty
/// Tensors) give each item's time steps and label count; without them an
/// item has seq_len steps and its labels end at the first `padding`. An
/// item whose labels cannot be aligned in its time (length plus repeated
/// neighbours over the steps) has loss 0 and gradient 0, as MXNet's 0; the
/// gradient is 0 past an item's length. A label outside [0, alphabet), the
/// blank among the labels, or a length out of range throws kiln::Error
/// naming `op`, the item and the value (nothing is written then).
void ctcLoss(const std::string &op, const Tensor &data, const Tensor &labels,
             const Tensor &dataLengths, const Tensor &labelLengths,
             const CtcOptions &options, const Tensor &loss, const Tensor &grad);

} // namespace kiln

#endif // KILN_RUNTIME_CPU_CTC_H
