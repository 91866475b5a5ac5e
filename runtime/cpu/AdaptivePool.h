//===- AdaptivePool.h - adaptive average pooling on the CPU -----*- C++ -*-===//
//
// contrib.AdaptiveAvgPooling2D's windows vary in size and may overlap, so no
// strided pooling (oneDNN's, kiln.pool) expresses them, and gathers of each
// window cost several passes over the data; these loops make one, as
// MXNet's do, with its arithmetic: output (i, j) of an (H, W) plane pooled
// to (h, w) sums rows [floor(i * H / h), ceil((i + 1) * H / h)) and the
// matching columns (bounds computed in float), row by row, then divides by
// the window's width and then its height. Planes run in parallel.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_ADAPTIVEPOOL_H
#define KILN_RUNTIME_CPU_ADAPTIVEPOOL_H

#include "runtime/Tensor.h"

namespace kiln {

/// Pools `input` (N, C, H, W) into `output` (N, C, h, w): both contiguous,
/// float32 or float64 alike, H and W >= 1.
void adaptiveAvgPool2d(const Tensor &input, const Tensor &output);

/// The gradient: each output gradient divided by its window's height, then
/// width, added to every input of the window; `gradOutput` (N, C, h, w)
/// into `gradInput` (N, C, H, W), overwritten. Contiguous, one float dtype.
void adaptiveAvgPool2dBackward(const Tensor &gradOutput,
                               const Tensor &gradInput);

} // namespace kiln

#endif // KILN_RUNTIME_CPU_ADAPTIVEPOOL_H
