//===- Convolution.h - convolution kernels for compiled code ----*- C++ -*-===//
//
// The library calls kiln.convolution and its two backward primitives lower
// to (kiln-library-call-to-func). Buffers are channel-first (N, C,
// spatial...) with 1 to 3 spatial dimensions and any strides. `params` holds
// strides, padding_low, padding_high and dilations (one entry per spatial
// dimension each) and then groups. f32 runs on oneDNN, with its primitives
// cached by shapes, strides and parameters; f64 on the system BLAS (im2col
// products, groups 1) or direct loops (grouped, and any f32 case oneDNN
// declines).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_CONVOLUTION_H
#define KILN_RUNTIME_CPU_CONVOLUTION_H

#include "runtime/cpu/DnnlMatmul.h" // UnrankedMemRef
#include "runtime/cpu/StridedView.h"

#include <cstdint>
#include <vector>

namespace kiln {

/// Whether convolutionBackward beats the two backward library calls for a
/// float32 convolution with these channel counts: where oneDNN's blocked
/// kernels scale with cores, the two run one after the other on every core
/// anyway, and one call converts the output gradient to oneDNN's layout
/// once instead of twice. Elsewhere (channels-last kernels) the two calls
/// running side by side on one core each are faster.
bool convolutionBackwardTogether(int64_t inChannels, int64_t outChannels,
                                 int64_t groups);

/// inputGrad and filterGrad of a float32 convolution for outputGrad, in one
/// call (see convolutionBackwardTogether), and the bias's gradient into
/// `biasGrad` where not null. Buffers are channel-first with any strides;
/// `params` as the library calls' (strides, padding_low, padding_high,
/// dilations, then groups). Falls back to each gradient on its own where
/// oneDNN declines.
void convolutionBackward(const StridedView<float> &input,
                         const StridedView<float> &filter,
                         const StridedView<float> &outputGrad,
                         const StridedView<float> &inputGrad,
                         const StridedView<float> &filterGrad,
                         const std::vector<int64_t> &params,
                         const StridedView<float> *biasGrad = nullptr);

/// filterGrad and biasGrad (O) of a float32 convolution with a bias for
/// outputGrad, in one library call: oneDNN's backward weights computes the
/// bias gradient while it reads the output gradient, which a separate sum
/// would read again. Buffers and `params` as convolutionBackward's.
void convolutionFilterGradient(const StridedView<float> &input,
                               const StridedView<float> &outputGrad,
                               const StridedView<float> &filterGrad,
                               const StridedView<float> &biasGrad,
                               const std::vector<int64_t> &params);

extern "C" {
/// output = convolution(input, filter).
void kiln_convolution_f32(UnrankedMemRef *input, UnrankedMemRef *filter,
                          UnrankedMemRef *output, UnrankedMemRef *params);
void kiln_convolution_f64(UnrankedMemRef *input, UnrankedMemRef *filter,
                          UnrankedMemRef *output, UnrankedMemRef *params);
/// output = convolution(input, filter) + bias (O) along the channels.
void kiln_convolution_bias_f32(UnrankedMemRef *input, UnrankedMemRef *filter,
                               UnrankedMemRef *bias, UnrankedMemRef *output,
                               UnrankedMemRef *params);
void kiln_convolution_bias_f64(UnrankedMemRef *input, UnrankedMemRef *filter,
                               UnrankedMemRef *bias, UnrankedMemRef *output,
                               UnrankedMemRef *params);
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
