"""mx.nd: imperative arrays.

Operations return at once; the dependency engine runs them in the background.
Reading values (``asnumpy``, ``wait_to_read``) waits for them.
"""
import numbers as _numbers

import numpy as _np

from . import _core
from . import _op_gen
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

    As in MXNet, the dtype is `dtype` if given, else the source's dtype when the
    source is a numpy array or NDArray, else float32.
    """
    if ctx is not None and Context(ctx) != cpu():
        from .base import MXNetError
        raise MXNetError("array: ctx %s is not available; kiln runs on cpu(0)" % ctx)
    if isinstance(source_array, NDArray):
        source_array = source_array.asnumpy()
    if dtype is None:
        dtype = source_array.dtype if isinstance(source_array, _np.ndarray) else _DEFAULT_DTYPE
    # order="C" rather than ascontiguousarray, which turns 0-d into 1-d.
    source = _np.asarray(source_array, dtype=dtype, order="C")
    return NDArray.from_numpy(source)


def _binary(array_op, scalar_op, reversed_scalar_op=None):
    """An NDArray operator method: array (op) array broadcasts, array (op)
    number uses the scalar operator, as MXNet's NDArray does."""
    def method(self, other):
        if isinstance(other, NDArray):
            return array_op(self, other)
        if isinstance(other, (_numbers.Number, _np.generic)):
            return scalar_op(self, scalar=float(other))
        return NotImplemented

    def reflected(self, other):
        if isinstance(other, (_numbers.Number, _np.generic)):
            return (reversed_scalar_op or scalar_op)(self, scalar=float(other))
        return NotImplemented

    return method, reflected


def _inplace(array_op, scalar_op):
    """``a op= b``: the result written into a's own storage (out=a)."""
    def method(self, other):
        if isinstance(other, NDArray):
            array_op(self, other, out=self)
        elif isinstance(other, (_numbers.Number, _np.generic)):
            scalar_op(self, scalar=float(other), out=self)
        else:
            return NotImplemented
        return self  # The same object, as MXNet's in-place operators.
    return method


_BINARY = {
    "add": (broadcast_add, _plus_scalar, None),
    "sub": (broadcast_sub, _minus_scalar, _rminus_scalar),
    "mul": (broadcast_mul, _mul_scalar, None),
    "truediv": (broadcast_div, _div_scalar, _rdiv_scalar),
    "mod": (broadcast_mod, _mod_scalar, _rmod_scalar),
    "pow": (broadcast_power, _power_scalar, _rpower_scalar),
}
for _name, (_array_op, _scalar_op, _reversed) in _BINARY.items():
    _method, _reflected = _binary(_array_op, _scalar_op, _reversed)
    setattr(NDArray, "__%s__" % _name, _method)
    setattr(NDArray, "__r%s__" % _name, _reflected)
    setattr(NDArray, "__i%s__" % _name, _inplace(_array_op, _scalar_op))
NDArray.__div__ = NDArray.__truediv__

_COMPARISONS = {
    "eq": (broadcast_equal, _equal_scalar),
    "ne": (broadcast_not_equal, _not_equal_scalar),
    "gt": (broadcast_greater, _greater_scalar),
    "ge": (broadcast_greater_equal, _greater_equal_scalar),
    "lt": (broadcast_lesser, _lesser_scalar),
    "le": (broadcast_lesser_equal, _lesser_equal_scalar),
}
for _name, (_array_op, _scalar_op) in _COMPARISONS.items():
    setattr(NDArray, "__%s__" % _name, _binary(_array_op, _scalar_op)[0])
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
              "ceil", "round", "reciprocal"):
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


def zeros_like(data):
    return zeros(data.shape, dtype=data.dtype)


def ones_like(data):
    return ones(data.shape, dtype=data.dtype)


def arange(start, stop=None, step=1.0, repeat=1, ctx=None, dtype=None):
    """Evenly spaced values in [start, stop), as MXNet's arange."""
    return _arange(start=start, stop=stop, step=step, repeat=repeat,
                   dtype=_dtype_name(dtype))


from . import _nd_random as random  # noqa: E402  (mx.nd.random.*)


def waitall():
    """Waits for all pending operations; raises the first pending error."""
    _core.waitall()


__all__ = ["NDArray", "array", "waitall", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "arange", "random"] + _OPERATORS
