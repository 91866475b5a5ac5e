"""mx.nd: imperative arrays.

Operations return at once; the dependency engine runs them in the background.
Reading values (``asnumpy``, ``wait_to_read``) waits for them.
"""
import numbers as _numbers

import numpy as _np

from . import _core
from . import _op_gen
from .base import MXNetError
from .context import Context, cpu

NDArray = _core.NDArray

# mx.nd.<op> for every operator in the C++ registry (broadcast_add, sum, dot,
# exp, ...), with MXNet's names and attributes.
_OPERATORS = _op_gen.generate(globals())

# MXNet's default element type for data that does not carry one.
_DEFAULT_DTYPE = _np.float32


def _ndarray_repr(self):
    shape = "x".join(str(extent) for extent in self.shape)
    return "\n%s\n<NDArray %s @%s>" % (self.asnumpy(), shape, cpu())


NDArray.__repr__ = _ndarray_repr
NDArray.context = property(lambda self: cpu())
NDArray.ctx = NDArray.context


def array(source_array, ctx=None, dtype=None):
    """Creates an array from any array-like (list, tuple, numpy array, NDArray).

    As in MXNet 1.x, the dtype is `dtype` if given, else the source's dtype when
    the source is an NDArray, else float32 (numpy arrays included).
    """
    if ctx is not None and Context(ctx) != cpu():
        raise MXNetError("array: ctx %s is not available; kiln runs on cpu(0)" % ctx)
    if isinstance(source_array, _np.ndarray) and source_array.dtype.kind == "c":
        raise MXNetError("array: unsupported dtype %s; expected a real or "
                         "boolean array" % source_array.dtype)
    if dtype is None:
        dtype = source_array.dtype if isinstance(source_array, NDArray) else _DEFAULT_DTYPE
    if isinstance(source_array, NDArray):
        source_array = source_array.asnumpy()
    # order="C" rather than ascontiguousarray, which turns 0-d into 1-d.
    source = _np.asarray(source_array, dtype=dtype, order="C")
    return NDArray.from_numpy(source)


def _comparison(array_op, scalar_op):
    """A comparison operator: array (op) array broadcasts, array (op) number
    uses the scalar operator, as MXNet's NDArray does."""
    def method(self, other):
        if isinstance(other, NDArray):
            return array_op(self, other)
        if isinstance(other, (_numbers.Number, _np.generic)):
            return scalar_op(self, scalar=float(other))
        return NotImplemented
    return method


# +, -, *, /, %, ** (and their reflected and in-place forms) are bound in
# C++ (frontends/python/OperatorBindings.cpp), straight to the registry ops.

_COMPARISONS = {
    "eq": (broadcast_equal, _equal_scalar),
    "ne": (broadcast_not_equal, _not_equal_scalar),
    "gt": (broadcast_greater, _greater_scalar),
    "ge": (broadcast_greater_equal, _greater_equal_scalar),
    "lt": (broadcast_lesser, _lesser_scalar),
    "le": (broadcast_lesser_equal, _lesser_equal_scalar),
}
for _name, (_array_op, _scalar_op) in _COMPARISONS.items():
    setattr(NDArray, "__%s__" % _name, _comparison(_array_op, _scalar_op))
# Arrays stay hashable by identity, as in MXNet.
NDArray.__hash__ = object.__hash__
NDArray.__neg__ = lambda self: negative(self)
NDArray.__abs__ = lambda self: abs(self)
NDArray.__pos__ = lambda self: self


def _method(operator):
    def method(self, *args, **kwargs):
        return operator(self, *args, **kwargs)
    method.__name__ = operator.__name__
    method.__doc__ = operator.__doc__
    return method


for _name in ("sum", "mean", "max", "min", "prod", "argmax", "argmin", "abs",
              "sign", "square", "sqrt", "rsqrt", "exp", "expm1", "log",
              "log1p", "tanh", "sigmoid", "relu", "sin", "cos", "floor",
              "ceil", "round", "reciprocal", "norm", "clip", "softmax",
              "log_softmax", "flip", "tile", "repeat", "pick", "take",
              "one_hot", "reshape_like", "broadcast_to", "broadcast_like",
              "zeros_like", "ones_like", "slice", "slice_axis", "dot",
              "batch_dot", "sort", "argsort", "topk", "pad"):
    setattr(NDArray, _name, _method(globals()[_name]))


def _reshape(self, *shape, **kwargs):
    """MXNet's NDArray.reshape: a shape tuple or the extents as arguments,
    with the special codes 0, -1, -2, -3, -4 and reverse=."""
    if "shape" in kwargs:
        shape = kwargs.pop("shape")
    elif len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return reshape(self, shape=tuple(shape), **kwargs)


NDArray.reshape = _reshape
NDArray.T = property(lambda self: transpose(self))
NDArray.transpose = lambda self, *axes: transpose(
    self, axes=tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes)
NDArray.expand_dims = lambda self, axis: expand_dims(self, axis=axis)
NDArray.squeeze = lambda self, axis=None: squeeze(self, axis=axis)
NDArray.flatten = lambda self: flatten(self)
NDArray.swapaxes = lambda self, dim1, dim2: swapaxes(self, dim1=dim1, dim2=dim2)


def _astype(self, dtype, copy=True):
    """The array converted to `dtype`; the array itself when it already has
    that dtype and copy is False."""
    if not copy and _np.dtype(dtype) == self.dtype:
        return self
    return cast(self, dtype=_np.dtype(dtype).name)


NDArray.astype = _astype


def _asscalar(self):
    """The single element as a numpy scalar (MXNetError unless size is 1)."""
    if self.size != 1:
        raise MXNetError("asscalar: the array has shape %s, expected exactly one "
                         "element" % (self.shape,))
    return self.asnumpy().reshape(-1)[0]


def _copyto(self, other):
    """Copies into `other` (an NDArray of the same shape) or to a new array on
    the context `other`."""
    if isinstance(other, NDArray):
        if other._same_data(self):
            return other
        _core.assign(other, self)
        return other
    Context(other)  # validates
    return _copy(self)


def _copy(self):
    """A new array with the same values."""
    return cast(self, dtype=self.dtype.name)


def _as_in_context(self, context):
    Context(context)
    return self


NDArray.asscalar = _asscalar
NDArray.copy = _copy
NDArray.copyto = _copyto
NDArray.as_in_context = _as_in_context
NDArray.as_in_ctx = _as_in_context
NDArray.stype = property(lambda self: "default")
NDArray.__len__ = lambda self: self.shape[0] if self.shape else 0
NDArray.__array__ = lambda self, dtype=None: (
    self.asnumpy() if dtype is None else self.asnumpy().astype(dtype))
NDArray.__reduce__ = lambda self: (array, (self.asnumpy(), None, self.dtype))
NDArray.split = lambda self, *args, **kwargs: split(self, *args, **kwargs)


def _bool(self):
    if self.size == 1:
        return bool(self.asscalar())
    if self.size == 0:
        return False
    raise ValueError("The truth value of an NDArray with more than one "
                     "element is ambiguous.")


NDArray.__bool__ = _bool


def _iter(self):
    for index in range(len(self)):
        yield self[index]


NDArray.__iter__ = _iter


# Indexing (x[key], x[key] = value) lives in _indexing.py.
from . import _indexing  # noqa: E402

NDArray.__getitem__ = _indexing.getitem
NDArray.__setitem__ = _indexing.setitem


_topk_one = topk


def topk(data, axis=-1, k=1, ret_typ="indices", is_ascend=False,
         dtype="float32", out=None, name=None):
    """The k largest (or smallest) along axis; ret_typ 'both' gives
    [values, indices] as MXNet's."""
    if ret_typ == "both":
        return [_topk_one(data, axis=axis, k=k, ret_typ="value", is_ascend=is_ascend),
                _topk_one(data, axis=axis, k=k, ret_typ="indices",
                          is_ascend=is_ascend, dtype=dtype)]
    return _topk_one(data, axis=axis, k=k, ret_typ=ret_typ, is_ascend=is_ascend,
                     dtype=dtype, out=out)


NDArray.topk = _method(topk)


def split(data, num_outputs, axis=1, squeeze_axis=False):
    """data cut into num_outputs equal parts along axis (a list, or the
    array itself when num_outputs is 1), as MXNet's split/SliceChannel."""
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
    parts = []
    for index in range(num_outputs):
        part = slice_axis(data, axis=axis, begin=index * step,
                          end=(index + 1) * step)
        if squeeze_axis:
            part = squeeze(part, axis=axis)
        parts.append(part)
    return parts[0] if num_outputs == 1 else parts


SliceChannel = split


def concatenate(arrays, axis=0, always_copy=True):
    return concat(*arrays, dim=axis)


def eye(N, M=0, k=0, ctx=None, dtype=None, **kwargs):
    """An N x M (M=N when 0) array with ones on diagonal k."""
    columns = M or N
    return array(_np.eye(N, columns, k), dtype=_dtype_name(dtype))


def _shape(shape):
    if isinstance(shape, (int, _np.integer)):
        return (int(shape),)
    return tuple(int(extent) for extent in shape)


def _dtype_name(dtype):
    return "float32" if dtype is None else _np.dtype(dtype).name


def zeros(shape, ctx=None, dtype=None, **kwargs):
    """An array of zeros (float32 unless dtype says otherwise)."""
    return _zeros(shape=_shape(shape), dtype=_dtype_name(dtype), **kwargs)


def ones(shape, ctx=None, dtype=None, **kwargs):
    """An array of ones."""
    return _ones(shape=_shape(shape), dtype=_dtype_name(dtype), **kwargs)


def full(shape, val, ctx=None, dtype=None, out=None):
    """An array filled with `val`."""
    return _full(shape=_shape(shape), value=val, dtype=_dtype_name(dtype),
                 out=out)


def empty(shape, ctx=None, dtype=None):
    """An array to be overwritten (kiln gives zeros)."""
    return zeros(shape, ctx, dtype)


def arange(start, stop=None, step=1.0, repeat=1, ctx=None, dtype=None):
    """Evenly spaced values in [start, stop), as MXNet's arange."""
    return _arange(start=start, stop=stop, step=step, repeat=repeat,
                   dtype=_dtype_name(dtype))


from . import _nd_random as random  # noqa: E402  (mx.nd.random.*)


def from_dlpack(dlpack):
    """An NDArray sharing memory with a DLPack capsule, or with any object
    that has __dlpack__ (numpy arrays, torch tensors): no copy."""
    return _core.from_dlpack(dlpack)


def to_dlpack_for_read(data):
    """A DLPack capsule of data's memory, once its pending writes are done."""
    return data.to_dlpack_for_read()


def to_dlpack_for_write(data):
    """A DLPack capsule of data's memory, once all its pending work is done."""
    return data.to_dlpack_for_write()


def save(fname, data):
    """Writes arrays to `fname` in MXNet's binary format: an NDArray, a list
    of them, or a dict of name -> NDArray (Gluon's .params files)."""
    if isinstance(data, NDArray):
        arrays, names = [data], []
    elif isinstance(data, dict):
        names = list(data.keys())
        arrays = list(data.values())
        for name in names:
            if not isinstance(name, str):
                raise MXNetError("save: dict keys must be strings, got %s"
                                 % type(name).__name__)
    elif isinstance(data, (list, tuple)):
        arrays, names = list(data), []
    else:
        raise MXNetError("save: data expected an NDArray, a list or a dict of "
                         "NDArrays, got %s" % type(data).__name__)
    for index, value in enumerate(arrays):
        if not isinstance(value, NDArray):
            raise MXNetError("save: item %s expected an NDArray, got %s"
                             % (names[index] if names else index,
                                type(value).__name__))
    _core.save_ndarrays(str(fname), arrays, names)


def _loaded(arrays, names):
    if names:
        return dict(zip(names, arrays))
    return arrays


def load(fname):
    """Reads a file written by save (or by Apache MXNet): a list, or a dict
    when the file has names."""
    return _loaded(*_core.load_ndarrays(str(fname)))


def load_frombuffer(buf):
    """load() from the bytes of such a file."""
    return _loaded(*_core.load_ndarrays_from_buffer(bytes(buf)))


def waitall():
    """Waits for all pending operations; raises the first pending error."""
    _core.waitall()


__all__ = ["NDArray", "array", "waitall", "zeros", "ones", "full", "empty",
           "arange", "eye", "save", "load", "load_frombuffer",
           "from_dlpack", "to_dlpack_for_read", "to_dlpack_for_write", "split", "SliceChannel", "concatenate",
           "random"] + _OPERATORS
