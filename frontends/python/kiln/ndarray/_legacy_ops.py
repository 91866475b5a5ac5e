"""mx.nd.op operators of MXNet 1.9.1 that kiln's C++ registry lacks: the
pre-1.0 layers (Convolution_v1, Pooling_v1, BatchNorm_v1),
softmax_cross_entropy and IdentityAttachKLSparseReg, over kiln's operators.

BatchNorm_v1 and IdentityAttachKLSparseReg have auxiliary states that
MXNet's generated ndarray functions cannot pass (their signatures stop at
the inputs), so MXNet's imperative calls always fail; here they raise the
same MXNetError (their symbolic forms are the ones models use).
"""
import numpy as _np

from ..base import MXNetError
from . import op as _op
from .. import _core
from .. import _op_gen

__all__ = ["Convolution_v1", "Pooling_v1", "BatchNorm_v1",
           "softmax_cross_entropy", "IdentityAttachKLSparseReg"]


def _given(value, default):
    return default if value is None else value


def Convolution_v1(data=None, weight=None, bias=None, kernel=None,
                   stride=None, dilate=None, pad=None, num_filter=None,
                   num_group=None, workspace=None, no_bias=None,
                   cudnn_tune=None, cudnn_off=None, layout=None, out=None,
                   name=None, **kwargs):
    """MXNet's first convolution: Convolution's results for 2-D kernels
    (NCHW). kernel and num_filter are required. MXNetError for 1-D kernels
    (MXNet's refuses them) and 3-D ones (MXNet's fails to run them)."""
    if kernel is None or kernel == ():
        raise MXNetError("Required parameter kernel of Shape(tuple) is not "
                         "presented, in operator Convolution_v1")
    kernel = tuple(kernel)
    if len(kernel) == 1:
        raise MXNetError("Convolution_v1: 1D convolution not supported "
                         "(kernel %s)" % (kernel,))
    if len(kernel) == 3:
        raise MXNetError("Convolution_v1: Volume convolution is not "
                         "implemented (kernel %s); use Convolution" % (kernel,))
    params = {"kernel": kernel, "num_filter": num_filter,
              "stride": _given(stride, ()), "dilate": _given(dilate, ()),
              "pad": _given(pad, ()), "num_group": _given(num_group, 1),
              "no_bias": _given(no_bias, False)}
    if no_bias:
        return _op.Convolution(data, weight, out=out, **params)
    return _op.Convolution(data, weight, bias, out=out, **params)


def Pooling_v1(data=None, kernel=None, pool_type=None, global_pool=None,
               pooling_convention=None, stride=None, pad=None, out=None,
               name=None, **kwargs):
    """MXNet's first pooling over 4-D (NCHW) or 5-D data: pool_type 'max'
    (default), 'avg' or 'sum'; 'valid' or 'full' convention. Unlike
    Pooling, max pooling counts the zero padding as values (a window over
    negative data next to the border gives 0), and average pooling always
    divides by the whole window. MXNetError for other pool types, other
    ranks, and a kernel that is not 2-D or 3-D without global_pool."""
    pool_type = _given(pool_type, "max")
    if pool_type not in ("avg", "max", "sum"):
        raise MXNetError("Invalid Input: '%s', valid values are: {'avg', "
                         "'max', 'sum'}, in operator Pooling_v1" % pool_type)
    global_pool = bool(_given(global_pool, False))
    kernel = tuple(_given(kernel, ()))
    if data.ndim not in (4, 5):
        raise MXNetError("Pooling_v1: Input data should be 4D in (batch, "
                         "channel, y, x) Or 5D in (batch, channel, d, y, x), "
                         "got shape %s" % (data.shape,))
    if not global_pool and len(kernel) not in (2, 3):
        raise MXNetError("Pooling_v1: %dD pooling not supported (kernel %s)"
                         % (len(kernel), kernel))
    spatial = data.ndim - 2
    if global_pool:
        return _op.Pooling(data, kernel=kernel or (1,) * spatial,
                           pool_type=pool_type, global_pool=True, out=out)
    params = {"kernel": kernel, "pool_type": pool_type,
              "pooling_convention": _given(pooling_convention, "valid"),
              "stride": _given(stride, ())}
    pad = tuple(_given(pad, ()))
    if pool_type == "max" and any(pad):
        # The padding takes part as zeros: pad explicitly, pool unpadded.
        widths = (0, 0, 0, 0) + sum(((p, p) for p in pad), ())
        padded = _op.pad(data, mode="constant", constant_value=0,
                         pad_width=widths)
        return _op.Pooling(padded, out=out, **params)
    return _op.Pooling(data, pad=pad, count_include_pad=True, out=out,
                       **params)


def BatchNorm_v1(data=None, gamma=None, beta=None, eps=None, momentum=None,
                 fix_gamma=None, use_global_stats=None, output_mean_var=None,
                 out=None, name=None, **kwargs):
    """MXNet's first batch normalization takes five inputs (data, gamma,
    beta and the auxiliary moving_mean, moving_var), of which MXNet's
    generated ndarray function passes three: every imperative call is
    MXNetError, as MXNet's. mx.nd.BatchNorm takes all five."""
    given = sum(array is not None for array in (data, gamma, beta))
    raise MXNetError("Operator BatchNorm_v1 expects 5 inputs (data, gamma, "
                     "beta, moving_mean, moving_var), but got %d instead; "
                     "use mx.nd.BatchNorm" % given)


def IdentityAttachKLSparseReg(data=None, sparseness_target=None,
                              penalty=None, momentum=None, out=None,
                              name=None, **kwargs):
    """MXNet's operator takes data and the auxiliary moving_avg, which its
    generated ndarray function cannot pass: every imperative call is
    MXNetError, as MXNet's."""
    given = int(data is not None)
    raise MXNetError("Operator IdentityAttachKLSparseReg expects 2 inputs "
                     "(data, moving_avg), but got %d instead" % given)


def softmax_cross_entropy(data=None, label=None, out=None, name=None,
                          **kwargs):
    """sum over the batch of -log max(softmax(data)[i, label[i]], 1e-8),
    shape (1,): each row's loss is at most -log(1e-8) ~ 18.42, as MXNet's.
    data: (batch, classes); label: (batch,) class indices of data's dtype,
    clipped into [0, classes). Its gradient for data is softmax(data) -
    one_hot(label), as MXNet's (the cap does not stop it). AssertionError
    for inputs that are not NDArrays; MXNetError for other ranks, a batch
    mismatch or a label dtype unlike data's."""
    for argument, array in (("data", data), ("label", label)):
        if not (isinstance(array, _core.NDArray) or
                _op_gen.is_traced(array)):
            # As MXNet's generated function asserts (kiln.jit's traced
            # arrays stand in for NDArrays).
            raise AssertionError("Argument %s must have NDArray type, but "
                                 "got %s" % (argument, array))
    if data.ndim != 2:
        raise MXNetError("softmax_cross_entropy: SoftmaxCrossEntropy only "
                         "accept 2D data, got shape %s" % (data.shape,))
    if label.ndim != 1:
        raise MXNetError("softmax_cross_entropy: SoftmaxCrossEntropy only "
                         "accept 1D label, got shape %s" % (label.shape,))
    if data.shape[0] != label.shape[0]:
        raise MXNetError("softmax_cross_entropy: data label shape mismatch "
                         "(%d vs. %d)" % (data.shape[0], label.shape[0]))
    if data.dtype != label.dtype:
        raise MXNetError("softmax_cross_entropy: Incompatible attr at 1-th "
                         "input (label): expected %s, got %s"
                         % (_np.dtype(data.dtype).name,
                            _np.dtype(label.dtype).name))
    classes = data.shape[1]
    index = _op.clip(label, 0, classes - 1).detach()
    picked = _op.pick(_op.log_softmax(data, axis=-1), index, axis=-1)
    # The value capped at log(1e-8), the gradient that of the uncapped one:
    # where capped, floor + (picked - picked) (exactly floor; adding the
    # difference of the values instead loses the floor's digits to
    # cancellation against -1e4).
    floor = _op.zeros_like(picked) + float(_np.log(_np.float32(1e-8)))
    picked = _op.where((picked < floor).detach(),
                       floor + (picked - _op.BlockGrad(picked)), picked)
    return _op.reshape(-_op.sum(picked), shape=(1,), out=out)
