//===- Ops.h - the built-in operator families -------------------*- C++ -*-===//
#ifndef KILN_FRONTENDS_CPP_OPS_OPS_H
#define KILN_FRONTENDS_CPP_OPS_OPS_H

#include "frontends/cpp/OpRegistry.h"

namespace kiln {
namespace ops {

/// Broadcasting binary ops, scalar ops, unary math.
void registerElementwiseOps(OpRegistry &registry);
/// sum, mean, max, min, prod, argmax, argmin.
void registerReductionOps(OpRegistry &registry);
/// dot and cast.
void registerLinalgOps(OpRegistry &registry);
/// Concat, _rnn_param_concat, stack, one_hot.
void registerJoinOps(OpRegistry &registry);
/// softmax, log_softmax, clip, where, take.
void registerNeuralOps(OpRegistry &registry);
/// Reshape, transpose, SwapAxis, expand_dims, squeeze, Flatten (views).
void registerShapeOps(OpRegistry &registry);
/// _zeros, _ones, _full, _arange.
void registerCreationOps(OpRegistry &registry);
/// MXNet's random samplers: _random_*, _random_*_like, _sample_*,
/// _sample_multinomial, _shuffle.
void registerRandomOps(OpRegistry &registry);
/// MXNet's densities _random_pdf_* (uniform ... dirichlet).
void registerRandomDensityOps(OpRegistry &registry);

/// slice, slice_axis, reverse/flip (views), _slice_scatter, _set_rows.
void registerSliceOps(OpRegistry &registry);
/// pick, gather_nd, scatter_nd.
void registerGatherOps(OpRegistry &registry);
/// broadcast_to/like, zeros_like, ones_like, reshape_like, pad, tile, repeat.
void registerBroadcastOps(OpRegistry &registry);
/// sgd_update, sgd_mom_update, nag, signsgd, signum, adam_update and the
/// mp_ forms (fused, in place).
void registerOptimizerOps(OpRegistry &registry);
/// rmsprop, rmspropalex, ftml, ftrl, _adamw_update, lamb_update_phase1/2.
void registerAdaptiveOptimizerOps(OpRegistry &registry);
/// multi_*/preloaded_multi_* SGD, _multi_adamw/_multi_lamb, multi_sum_sq,
/// multi_lars.
void registerMultiTensorOptimizerOps(OpRegistry &registry);
/// sort, argsort, topk (on the runtime's CPU sort).
void registerSortOps(OpRegistry &registry);
/// slice_like, shape_array, size_array, diag, depth_to_space,
/// space_to_depth, _ravel_multi_index, _unravel_index, khatri_rao,
/// fill_element_0index, batch_take, argmax_channel, Crop, _histogram.
void registerIndexOps(OpRegistry &registry);
/// SequenceMask, SequenceLast, SequenceReverse.
void registerSequenceOps(OpRegistry &registry);
/// _contrib_boolean_mask, _contrib_index_copy, _contrib_index_array,
/// _contrib_arange_like, _contrib_div_sqrt_dim, _contrib_allclose,
/// _contrib_round_ste, _contrib_sign_ste, _contrib_gradientmultiplier.
void registerContribOps(OpRegistry &registry);
/// _contrib_interleaved_matmul_selfatt_qk/_valatt and
/// _contrib_interleaved_matmul_encdec_qk/_valatt (multi-head attention).
void registerAttentionOps(OpRegistry &registry);
/// MXNet's math beyond the primitives, as decompositions: sinh ... erfinv,
/// hypot, softsign, hard_sigmoid, smooth_l1, softmin; identity,
/// stop_gradient, add_n, nansum/nanprod, moments, cumsum, all_finite,
/// amp_cast/amp_multicast, reset_arrays.
void registerMathOps(OpRegistry &registry);
/// mx.nd.linalg's products and data movement as compositions: gemm, gemm2,
/// syrk, trmm, sumlogdiag, extractdiag, makediag, extracttrian, maketrian
/// (each also as linalg_<name>).
void registerMatrixOps(OpRegistry &registry);
/// mx.nd.linalg's factorizations on LAPACK, with their gradients: potrf,
/// potri, trsm, gelqf, syevd, inverse, det, slogdet.
void registerLapackOps(OpRegistry &registry);
/// mx.nd.image: _image_to_tensor, _image_normalize, _image_crop,
/// _image_resize, the flips, the random colour ops and the lighting noise.
void registerImageOps(OpRegistry &registry);
/// Convolution, Deconvolution, Pooling (on the library-backed kiln.convolution
/// and kiln.pool primitives).
void registerConvolutionOps(OpRegistry &registry);
/// BatchNorm (fused graph kernels, moving statistics updated in backward).
void registerBatchNormOps(OpRegistry &registry);
/// SoftmaxOutput, LogisticRegressionOutput, LinearRegressionOutput,
/// MAERegressionOutput, SVMOutput, MakeLoss: MXNet's output layers, whose
/// gradient comes from the label rather than the head gradient.
void registerOutputOps(OpRegistry &registry);
/// RNN: MXNet's fused recurrent layers (rnn_relu, rnn_tanh, lstm, gru).
void registerRnnOps(OpRegistry &registry);
/// Activation, LeakyReLU, SoftmaxActivation, Dropout, Embedding.
void registerActivationOps(OpRegistry &registry);
/// LayerNorm, InstanceNorm, GroupNorm, L2Normalization, LRN.
void registerNormalizationOps(OpRegistry &registry);
/// UpSampling, GridGenerator, BilinearSampler, SpatialTransformer,
/// ROIPooling, im2col, col2im.
void registerSamplingOps(OpRegistry &registry);
/// FullyConnected (MXNet's dense layer, with its own gradient rule).
void registerDenseOps(OpRegistry &registry);
/// CTCLoss and its aliases (ctc_loss, _contrib_CTCLoss, _contrib_ctc_loss)
/// on the runtime's CPU forward-backward.
void registerCtcOps(OpRegistry &registry);
/// _contrib_BilinearResize2D, _contrib_AdaptiveAvgPooling2D.
void registerResizeOps(OpRegistry &registry);
/// Correlation (FlowNet's correlation layer) on the runtime's CPU loops.
void registerCorrelationOps(OpRegistry &registry);
/// Gives the differentiable ops their gradient rules (after all are added).
void registerGradients(OpRegistry &registry);
/// mx.sym's view of the ops that need more than the defaults (last: it
/// amends registered ops).
void registerSymbolTraits(OpRegistry &registry);

/// The axes a reduction (sum, mean, ...) reduces: MXNet's `axis` (None:
/// all), negative from the end, `exclude` reducing every other axis. Sorted;
/// errors name the op.
std::vector<int64_t> reducedAxes(const std::string &op, const NDArray &x,
                                 const Attrs &attrs);

/// Seeds the random operators (mx.random.seed): the same seed gives the
/// same sequence of random arrays.
void setRandomSeed(int64_t seed);
/// How many random draws were made since the seed was set; shape inference
/// saves and restores it, so inferring draws nothing from the sequence.
uint64_t randomDrawCount();
void setRandomDrawCount(uint64_t count);

/// `op: the dtype expected ... got ...` when `array` is not floating point.
void requireFloat(const std::string &op, const NDArray &array);
bool isFloatDType(DType dtype);
/// `op: dtype expected a floating-point type, got ...`.
void requireFloatDType(const std::string &op, DType dtype);

} // namespace ops
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_OPS_OPS_H
