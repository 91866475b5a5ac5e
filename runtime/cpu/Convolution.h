//===- Convolution.h - convolution kernels for compiled code ----*- C++ -*-===//
//
// The library calls kiln.convolution and its two backward primitives lower
// to (kiln-library-call-to-func). Buffers are channel-first (N, C,
// spatial...) with 1 to 3 spatial dimensions and any strides. `params` holds
// strides, padding_low, padding_high and dilations (one entry per spatial
// dimension each) and then groups. f32 runs on oneDNN, with its primitives
// cached by shapes, strides and parameters; f64 (and any f32 case oneDNN
// declines) runs on direct loops.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_CONVOLUTION_H
#define KILN_RUNTIME_CPU_CONVOLUTION_H

#include "runtime/cpu/DnnlMatmul.h" // UnrankedMemRef

namespace kiln {

extern "C" {
/// output = convolution(input, filter).
void kiln_convolution_f32(UnrankedMemRef *input, UnrankedMemRef *filter,
                          UnrankedMemRef *output, UnrankedMemRef *params);
void kiln_convolution_f64(UnrankedMemRef *input, UnrankedMemRef *filter,
                          UnrankedMemRef *output, UnrankedMemRef *params);
/// inputGrad = the input gradient of convolution for outputGrad.
void kiln_convolution_backward_data_f32(UnrankedMemRef *outputGrad,
                                        UnrankedMemRef *filter,
                                        UnrankedMemRef *inputGrad,
                                        UnrankedMemRef *params);
void kiln_convolution_backward_data_f64(UnrankedMemRef *outputGrad,
                                        UnrankedMemRef *filter,
                                        UnrankedMemRef *inputGrad,
                                        UnrankedMemRef *params);
/// filterGrad = the filter gradient of convolution for outputGrad.
void kiln_convolution_backward_filter_f32(UnrankedMemRef *input,
                                          UnrankedMemRef *outputGrad,
                                          UnrankedMemRef *filterGrad,
                                          UnrankedMemRef *params);
void kiln_convolution_backward_filter_f64(UnrankedMemRef *input,
                                          UnrankedMemRef *outputGrad,
                                          UnrankedMemRef *filterGrad,
                                          UnrankedMemRef *params);
}

} // namespace kiln

#endif // KILN_RUNTIME_CPU_CONVOLUTION_H
