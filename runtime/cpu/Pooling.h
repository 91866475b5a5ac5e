//===- Pooling.h - pooling kernels for compiled code ------------*- C++ -*-===//
//
// The library calls kiln.pool and kiln.pool_backward lower to. Buffers are
// channel-first (N, C, spatial...) with 1 to 3 spatial dimensions. `params`
// holds the kind (0 max, 1 avg), count_include_pad (0/1), then window,
// strides, padding_low and padding_high, one entry per spatial dimension
// each. f32 runs on oneDNN; 2-D max pooling's backward (whose oneDNN form
// needs the forward's workspace, which would mean running the forward
// again), f64 and whatever oneDNN declines run on direct loops.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_POOLING_H
#define KILN_RUNTIME_CPU_POOLING_H

#include "runtime/cpu/DnnlMatmul.h" // UnrankedMemRef

namespace kiln {

extern "C" {
void kiln_pool_f32(UnrankedMemRef *input, UnrankedMemRef *output,
                   UnrankedMemRef *params);
void kiln_pool_f64(UnrankedMemRef *input, UnrankedMemRef *output,
                   UnrankedMemRef *params);
void kiln_pool_backward_f32(UnrankedMemRef *input, UnrankedMemRef *outputGrad,
                            UnrankedMemRef *inputGrad, UnrankedMemRef *params);
void kiln_pool_backward_f64(UnrankedMemRef *input, UnrankedMemRef *outputGrad,
                            UnrankedMemRef *inputGrad, UnrankedMemRef *params);
}

/// The vector instructions 2-D max pooling's own 2x2, stride-2 rows run on
/// this CPU: "avx512", "avx2" or "scalar" (ONEDNN_MAX_CPU_ISA or
/// DNNL_MAX_CPU_ISA caps it, as it caps oneDNN's kernels).
const char *maxPoolVectorIsa();

} // namespace kiln

#endif // KILN_RUNTIME_CPU_POOLING_H
