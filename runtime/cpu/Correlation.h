//===- Correlation.h - FlowNet's correlation layer on the CPU ---*- C++ -*-===//
//
// MXNet's Correlation compares each k x k patch of data1 with the patches of
// data2 around it (every stride2-th displacement up to max_displacement) and
// writes one channel per displacement. In generated code it would be one
// strided product and box sum per displacement (81 to 441 of them in
// FlowNet); these loops make one pass, as MXNet's do: both inputs are
// zero-padded into channel-last copies (MXNet's tmp1 and tmp2), so a patch
// row is one contiguous run of k * C values. The arithmetic is MXNet
// 1.9.1's: patch (i, j) of data1 starts at padded (i * stride1 +
// max_displacement, j * stride1 + max_displacement), the value is the sum of
// the products (or absolute differences) divided by k * k * C, and the
// gradient reaches only the unpadded positions, with sign(a - b) taken as +1
// where a == b.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_CORRELATION_H
#define KILN_RUNTIME_CPU_CORRELATION_H

#include "runtime/Tensor.h"

namespace kiln {

struct CorrelationParams {
  int64_t kernelSize = 1;      // odd, >= 1
  int64_t maxDisplacement = 1; // >= 0
  int64_t stride1 = 1;         // >= 1
  int64_t stride2 = 1;         // >= 1
  int64_t padSize = 0;         // >= 0
  bool multiply = true;        // false: absolute differences

  int64_t kernelRadius() const { return (kernelSize - 1) / 2; }
  /// Displacements per side: max_displacement / stride2.
  int64_t gridRadius() const { return maxDisplacement / stride2; }
  int64_t gridWidth() const { return 2 * gridRadius() + 1; }
  /// One output channel per displacement.
  int64_t outputChannels() const { return gridWidth() * gridWidth(); }
  /// The output extent along a spatial axis of `extent`: ceil((extent + 2 *
  /// pad - 2 * (max_displacement + radius)) / stride1); 0 or less when the
  /// neighbourhood and kernel do not fit.
  int64_t outputExtent(int64_t extent) const {
    const int64_t room =
        extent + 2 * padSize - 2 * (maxDisplacement + kernelRadius());
    return room <= 0 ? 0 : (room + stride1 - 1) / stride1;
  }
};

/// `out` (N, outputChannels, outputExtent(H), outputExtent(W)) from `data1`
/// and `data2` (N, C, H, W), all contiguous, float32 or float64 alike; both
/// output extents >= 1.
void correlationForward(const Tensor &data1, const Tensor &data2,
                        const CorrelationParams &params, const Tensor &out);

/// The gradients of correlationForward: `outGrad` (out's shape) into `grad1`
/// and `grad2` (data1's shape, overwritten). Same layout and dtype rules.
void correlationBackward(const Tensor &outGrad, const Tensor &data1,
                         const Tensor &data2, const CorrelationParams &params,
                         const Tensor &grad1, const Tensor &grad2);

} // namespace kiln

#endif // KILN_RUNTIME_CPU_CORRELATION_H
