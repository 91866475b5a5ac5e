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
        values_out, indices_out = _two_outs("topk", out)
        return [_registry_topk(data, axis=axis, k=k, ret_typ="value",
                               is_ascend=is_ascend, out=values_out),
                _registry_topk(data, axis=axis, k=k, ret_typ="indices",
                               is_ascend=is_ascend, dtype=dtype,
                               out=indices_out)]
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


def split(data, num_outputs, axis=1, squeeze_axis=False, out=None, name=None):
    """data cut into num_outputs equal parts along axis: a list of arrays,
    or the one array when num_outputs is 1 (MXNet's split/SliceChannel).

    squeeze_axis drops the split axis (each part must then have extent 1).
    Raises MXNetError when axis is out of range or the extent does not
    divide evenly."""
    rank = data.ndim
    if not -rank <= axis < rank:
        raise MXNetError("split: axis %d is out of range for an array of rank %d"
                         % (axis, rank))
    axis %= rank
    extent = data.shape[axis]
    if num_outputs < 1 or extent % num_outputs:
        raise MXNetError("split: axis %d of extent %d does not split into %d "
                         "equal parts" % (axis, extent, num_outputs))
    step = extent // num_outputs
    if squeeze_axis and step != 1:
        raise MXNetError("split: squeeze_axis needs parts of extent 1, got %d"
                         % step)
    if out is not None:
        outs = [out] if not isinstance(out, (list, tuple)) else list(out)
        if len(outs) != num_outputs:
            raise MXNetError("split: out expected %d NDArrays, got %d"
                             % (num_outputs, len(outs)))
    parts = []
    for index in range(num_outputs):
        part = slice_axis(data, axis=axis, begin=index * step,  # noqa: F821
                          end=(index + 1) * step)
        if squeeze_axis:
            part = squeeze(part, axis=axis)  # noqa: F821
        if out is not None:
            # Written into the given array, which is what comes back (MXNet).
            part = identity(part, out=outs[index])  # noqa: F821
        parts.append(part)
    return parts[0] if num_outputs == 1 else parts


SliceChannel = split

__all__ += ["split", "SliceChannel"]
