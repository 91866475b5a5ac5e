"""mx.nd.op: the public operators of kiln's C++ registry, with MXNet's names
(broadcast_add, sum, dot, exp, ...) and signatures.

Besides the generated functions, MXNet operators that kiln's registry has
only in part are completed here from registry operators: split (and its
old name SliceChannel), and topk with ret_typ='both'.
"""
from .. import _op_gen
from ..base import MXNetError

__all__ = _op_gen.populate(globals(), "op")

# The registry's topk returns one array; MXNet's ret_typ='both' returns two.
_registry_topk = globals()["topk"]


def topk(data, axis=-1, k=1, ret_typ="indices", is_ascend=False,
         dtype="float32", out=None, name=None):
    """The k largest (or smallest, is_ascend=True) elements along axis.

    ret_typ: 'indices' (default; as `dtype`, float32 by default), 'value',
    'mask' (data's shape, 1 where chosen) or 'both' ([values, indices]).
    Raises MXNetError for an axis out of range or k above its extent."""
    if ret_typ == "both":
        # The registry op gives both (its 'value' call, then 'indices').
        values_out, indices_out = _two_outs("topk", out)
        return list(_registry_topk(
            data, axis=axis, k=k, ret_typ="both", is_ascend=is_ascend,
            dtype=dtype, out=None if out is None else [values_out,
                                                       indices_out]))
    return _registry_topk(data, axis=axis, k=k, ret_typ=ret_typ,
                          is_ascend=is_ascend, dtype=dtype, out=out)


def _two_outs(op, out):
    """out= of an op with two results: None, or a list/tuple of two arrays."""
    if out is None:
        return None, None
    if not isinstance(out, (list, tuple)) or len(out) != 2:
        raise MXNetError("%s: out expected a list of 2 NDArrays, got %r"
                         % (op, out))
    return out[0], out[1]

# MXNet's legacy operators (Convolution_v1, Pooling_v1, ...), kiln/ndarray/_legacy_ops.py.
from . import _legacy_ops  # noqa: E402
from ._legacy_ops import *  # noqa: E402,F401,F403
__all__ += _legacy_ops.__all__
