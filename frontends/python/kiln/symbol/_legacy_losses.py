"""mx.sym.softmax_cross_entropy and mx.sym.IdentityAttachKLSparseReg:
MXNet 1.9.1 operators kiln's C++ registry lacks, as graph nodes (Python
operators, kiln/_python_ops.py, as kiln/symbol/_legacy_ops.py makes the
v1 layers).

* softmax_cross_entropy(data, label): data (batch, classes), label
  (batch,) of data's dtype; output (1,), the summed cross entropy. A call
  runs kiln/ndarray/_legacy_ops.py's form, whose composed operators give
  the gradient (softmax(data) - one_hot(label) for data).
* IdentityAttachKLSparseReg(data): the identity, with an auxiliary state
  moving_avg of shape (data.shape[1],) (initializer 'zero'). Backward, as
  MXNet's, first updates moving_avg = momentum * moving_avg +
  (1 - momentum) * mean(data over the batch axis 0), then adds
  penalty * (-sparseness_target / moving_avg + (1 - sparseness_target) /
  (1 - moving_avg)) to the output gradient along axis 1; MXNetError for
  data of another rank than 2 (MXNet's backward fails too). Defaults:
  sparseness_target 0.1, penalty 0.001, momentum 0.9. Outputs are float32,
  which MXNet requires of data too (kiln's type inference does not refuse
  other dtypes here).

Registered on import; mx.nd's functions stay kiln/ndarray/_legacy_ops.py's
(the imperative IdentityAttachKLSparseReg refuses, as MXNet's).
"""
import numpy as _np

from .. import _python_ops, autograd as _autograd
from .._contrib_ops._params import FLOAT, Param, Params
from ..base import MXNetError
from ..ndarray import _legacy_ops as _nd_legacy
from ._gen import make_symbol_operator

__all__ = ["softmax_cross_entropy", "IdentityAttachKLSparseReg"]

_SCE = "softmax_cross_entropy"
_KL = "IdentityAttachKLSparseReg"
_KL_PARAMS = Params(_KL, [Param("sparseness_target", FLOAT, 0.1),
                          Param("penalty", FLOAT, 0.001),
                          Param("momentum", FLOAT, 0.9)])


def _known(shape):
    return shape is not None and 0 not in shape


# -- softmax_cross_entropy --------------------------------------------------
def _sce_infer(parsed, shapes, dtypes):
    data, label = shapes
    if _known(data) and len(data) != 2:
        raise MXNetError("softmax_cross_entropy: SoftmaxCrossEntropy only "
                         "accept 2D data, got shape %s" % (data,))
    if _known(label) and len(label) != 1:
        raise MXNetError("softmax_cross_entropy: SoftmaxCrossEntropy only "
                         "accept 1D label, got shape %s" % (label,))
    if _known(data) and _known(label) and data[0] != label[0]:
        raise MXNetError("softmax_cross_entropy: data label shape mismatch "
                         "(%d vs. %d)" % (data[0], label[0]))
    if data is not None and label is None:
        label = (data[0],)
    dtype = dtypes[0] or dtypes[1]
    if dtypes[0] and dtypes[1] and dtypes[0] != dtypes[1]:
        raise MXNetError("softmax_cross_entropy: Incompatible attr at 1-th "
                         "input (label): expected %s, got %s"
                         % (dtypes[0], dtypes[1]))
    return [(data, dtype), (label, dtype)], [((1,), dtype)]


def _sce_call(parsed, inputs, out, ctx):
    return [_nd_legacy.softmax_cross_entropy(*inputs, out=out)]


# -- IdentityAttachKLSparseReg -----------------------------------------------
def _kl_interface(parsed):
    return (["data", "moving_avg"], ["moving_avg"], ["output"],
            {"moving_avg": '["zero", {}]'})


def _kl_infer(parsed, shapes, dtypes):
    data, _ = shapes
    if _known(data) and len(data) < 2:
        raise MXNetError("IdentityAttachKLSparseReg: data expected 2 or "
                         "more axes (batch, units, ...), got shape %s"
                         % (data,))
    avg = (data[1],) if _known(data) else None
    return [(data, "float32"), (avg, "float32")], [(data, "float32")]


class _KLSparseReg(_autograd.Function):
    """Identity forward; backward updates moving_avg and adds the KL
    sparseness penalty's gradient."""

    def __init__(self, parsed, moving_avg):
        super(_KLSparseReg, self).__init__()
        self._parsed = parsed
        self._moving_avg = moving_avg

    def forward(self, data):
        self.save_for_backward(data)
        return data.copy()

    def backward(self, out_grad):
        data, = self.saved_tensors
        if data.ndim != 2:
            # MXNet's backward fails too ("reduction dimension do not
            # match"): its moving average reduces 2-D data only.
            raise MXNetError("IdentityAttachKLSparseReg: backward takes 2-D "
                             "data (batch, units), got shape %s"
                             % (data.shape,))
        target = self._parsed.sparseness_target
        momentum = self._parsed.momentum
        avg = self._moving_avg
        avg[:] = momentum * avg + (1 - momentum) * data.mean(axis=0)
        penalty = self._parsed.penalty * (-target / avg +
                                             (1 - target) / (1 - avg))
        return out_grad + penalty.reshape((1, -1))


def _kl_call(parsed, inputs, out, ctx):
    data, moving_avg = inputs
    if _autograd.is_recording():
        result = _KLSparseReg(parsed, moving_avg)(data)
    else:
        result = data.copy()
    if out is not None:
        out[:] = result
        return [out]
    return [result]


for _name, _fields in [
        (_SCE, dict(infer=_sce_infer, call=_sce_call,
                    inputs=["data", "label"], parse=Params(_SCE, []).parse,
                    doc="Sum of the softmax cross entropy of data "
                        "(batch, classes) against label (batch,).")),
        (_KL, dict(infer=_kl_infer, call=_kl_call, interface=_kl_interface,
                   parse=_KL_PARAMS.parse, params=_KL_PARAMS.specs,
                   doc="The identity, attaching a KL sparseness penalty "
                       "to the gradient (auxiliary state moving_avg)."))]:
    if _python_ops.lookup(_name) is None:
        _python_ops.register(_name, functions=False, **_fields)

softmax_cross_entropy = make_symbol_operator(
    _SCE, ["data", "label"], [], _python_ops.lookup(_SCE).doc, _SCE,
    __name__, hint=_SCE)
IdentityAttachKLSparseReg = make_symbol_operator(
    _KL, ["data"], _KL_PARAMS.specs, _python_ops.lookup(_KL).doc, _KL, __name__,
    hint=_KL.lower())
