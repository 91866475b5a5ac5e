"""mx.nd.ndarray: the NDArray class's Python side and the dense functions
of MXNet's mxnet/ndarray/ndarray.py (array, zeros, arange, add, maximum,
equal, moveaxis, waitall, DLPack, ...).

Operations return at once; the dependency engine runs them in the background.
Reading values (``asnumpy``, ``wait_to_read``) waits for them. The registry's
operators live in op.py and _internal.py; this module binds the ones
NDArray's methods and operators need.
"""
import numbers as _numbers
import re as _re
import warnings as _warnings
import weakref as _weakref

import numpy as _np

from .. import _core
from .. import _op_gen
from ..base import MXNetError, numeric_types
from ..context import Context, current_context
from . import _internal
from . import op

NDArray = _core.NDArray

# MXNet's default element type for data that does not carry one.
_DEFAULT_DTYPE = _np.float32


def _check_context(ctx, where):
    """The context an array would be made on (ctx, else the current one);
    MXNetError unless it is host memory, the only place kiln keeps arrays.
    A string names one as MXNet's operators parse it ("cpu(0)"; "cpu" too),
    MXNetError for any other string."""
    if ctx is None:
        context = current_context()
    elif isinstance(ctx, str):
        match = _re.fullmatch(r"(cpu|gpu|cpu_pinned|cpu_shared)(?:\((\d+)\))?",
                              ctx.strip())
        if match is None:
            raise MXNetError("%s: invalid context string %r; expected e.g. "
                             "'cpu(0)'" % (where, ctx))
        context = Context(match.group(1), int(match.group(2) or 0))
    else:
        context = Context(ctx)
    if context.device_type not in ("cpu", "cpu_pinned", "cpu_shared"):
        raise MXNetError("%s: ctx %s is not available; kiln runs on the CPU "
                         "(mx.cpu())" % (where, context))
    return context


def _ndarray_repr(self):
    shape = "x".join(str(extent) for extent in self.shape)
    return "\n%s\n<NDArray %s @%s>" % (self.asnumpy(), shape, self.context)


def _context(self):
    """The Context the array lives on: where it was made (ctx), else its
    op's first input's, as MXNet. Every CPU id is the same host memory."""
    device_typeid, device_id = self._device
    return Context(Context.devtype2str[device_typeid], device_id)


NDArray.__repr__ = _ndarray_repr
NDArray.context = property(_context)
NDArray.ctx = NDArray.context


def array(source_array, ctx=None, dtype=None):
    """Creates a dense array from any array-like (list, tuple, numpy array,
    NDArray): a copy of its values.

    As in MXNet 1.x, the dtype is `dtype` if given, else the source's dtype
    when the source is an NDArray, else float32 (numpy arrays included).
    As MXNet: TypeError for what is not array-like (ragged lists, strings)
    or an unknown dtype, AttributeError for a ctx that is no Context,
    MXNetError for complex data or a GPU ctx.
    """
    if ctx is not None and not isinstance(ctx, Context):
        raise AttributeError("array: ctx expected a Context (mx.cpu()), got %r "
                             "of type %s" % (ctx, type(ctx).__name__))
    context = _check_context(ctx, "array")
    if isinstance(source_array, _np.ndarray) and source_array.dtype.kind == "c":
        raise MXNetError("array: unsupported dtype %s; expected a real or "
                         "boolean array" % source_array.dtype)
    if dtype is None:
        dtype = source_array.dtype if isinstance(source_array, NDArray) else _DEFAULT_DTYPE
    if isinstance(source_array, NDArray):
        source_array = source_array.asnumpy()
    elif not isinstance(source_array, _np.ndarray):
        try:
            source_array = _np.array(source_array, dtype=dtype)
        except (TypeError, ValueError) as error:
            raise TypeError("source_array must be array like object: %s"
                            % error) from None
    # order="C" rather than ascontiguousarray, which turns 0-d into 1-d.
    source = _np.asarray(source_array, dtype=dtype, order="C")
    return NDArray.from_numpy(source, context)


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
    "eq": (op.broadcast_equal, _internal._equal_scalar),
    "ne": (op.broadcast_not_equal, _internal._not_equal_scalar),
    "gt": (op.broadcast_greater, _internal._greater_scalar),
    "ge": (op.broadcast_greater_equal, _internal._greater_equal_scalar),
    "lt": (op.broadcast_lesser, _internal._lesser_scalar),
    "le": (op.broadcast_lesser_equal, _internal._lesser_equal_scalar),
}
for _name, (_array_op, _scalar_op) in _COMPARISONS.items():
    setattr(NDArray, "__%s__" % _name, _comparison(_array_op, _scalar_op))
# Arrays stay hashable by identity, as in MXNet.
NDArray.__hash__ = object.__hash__
NDArray.__neg__ = lambda self: op.negative(self)
NDArray.__abs__ = lambda self: op.abs(self)
NDArray.__pos__ = lambda self: self


def _method(operator):
    def method(self, *args, **kwargs):
        return operator(self, *args, **kwargs)
    method.__name__ = operator.__name__
    method.__doc__ = operator.__doc__
    return method


# NDArray methods that are the operator of the same name applied to self, as
# in MXNet (x.sum(axis=1) is mx.nd.sum(x, axis=1)).
for _name in ("sum", "mean", "max", "min", "prod", "argmax", "argmin", "abs",
              "sign", "square", "sqrt", "rsqrt", "exp", "expm1", "log",
              "log1p", "tanh", "sigmoid", "relu", "sin", "cos", "floor",
              "ceil", "round", "rint", "fix", "trunc", "reciprocal", "norm",
              "clip", "softmax", "log_softmax", "flip", "tile", "repeat",
              "pick", "take", "one_hot", "reshape_like", "broadcast_to",
              "broadcast_like", "zeros_like", "ones_like", "slice",
              "slice_axis", "dot", "batch_dot", "sort", "argsort", "topk",
              "pad", "arcsin", "arccos", "arctan", "arcsinh", "arccosh",
              "arctanh", "sinh", "cosh", "tan", "log2", "log10", "cbrt",
              "rcbrt", "degrees", "radians", "nansum", "nanprod", "softmin",
              "diag", "slice_like", "shape_array", "size_array",
              "depth_to_space", "space_to_depth", "argmax_channel",
              "broadcast_axes"):
    setattr(NDArray, _name, _method(getattr(op, _name)))


def _reshape(self, *shape, **kwargs):
    """MXNet's NDArray.reshape: a shape tuple or the extents as arguments,
    with the special codes 0, -1, -2, -3, -4 and reverse=."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
        kwargs.pop("shape", None)
    elif shape:
        kwargs.pop("shape", None)
    else:
        shape = kwargs.pop("shape", None)
        # AssertionError, as MXNet's method asserts it.
        assert shape, "Shape must be provided."
    reverse = kwargs.pop("reverse", False)
    if kwargs:
        raise TypeError("Got unknown keywords in reshape: %s. Accepted "
                        "keyword arguments are 'shape' and 'reverse'."
                        % ", ".join(kwargs))
    if isinstance(shape, (int, _np.integer)):
        shape = (shape,)
    for extent in shape:
        if not isinstance(extent, (int, _np.integer)):
            raise TypeError("reshape: shape extents must be integers, got %r "
                            "of type %s" % (extent, type(extent).__name__))
    # The method, unlike the reshape operator, shares memory with self, as
    # MXNet's does (ValueError when the sizes differ).
    return _op_gen.invoke_view("reshape", self, shape=tuple(shape),
                               reverse=reverse)


NDArray.reshape = _reshape
NDArray.T = property(lambda self: op.transpose(self))
def _transpose_method(self, *axes, **kwargs):
    """MXNet's NDArray.transpose: axes as arguments, as one tuple, or as
    axes=; none reverses them."""
    if "axes" in kwargs:
        if axes:
            raise TypeError("transpose() got axes both positionally and as "
                            "a keyword")
        axes = kwargs.pop("axes")
    elif len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = axes[0]
    if axes is None:
        axes = ()
    return op.transpose(self, axes=tuple(axes), **kwargs)


NDArray.transpose = _transpose_method
NDArray.expand_dims = lambda self, axis: op.expand_dims(self, axis=axis)
NDArray.squeeze = lambda self, axis=None: op.squeeze(self, axis=axis)
NDArray.flatten = lambda self: op.flatten(self)
NDArray.swapaxes = lambda self, dim1, dim2: op.swapaxes(self, dim1=dim1, dim2=dim2)


# The element types an NDArray may have, as MXNet's _DTYPE_NP_TO_MX lists.
_NDARRAY_DTYPES = ("float32", "float64", "float16", "uint8", "int32", "int8",
                   "int64", "bool")


def _ndarray_dtype(dtype):
    """numpy's name for `dtype` (float32 for None), as MXNet's NDArray
    methods look it up: TypeError from numpy for a name it does not know,
    KeyError for a numpy type NDArray cannot hold (complex64, object)."""
    if dtype is None:
        return "float32"
    name = _np.dtype(dtype).name
    if name not in _NDARRAY_DTYPES:
        raise KeyError(_np.dtype(dtype).type)
    return name


def _astype(self, dtype, copy=True):
    """The array converted to `dtype`; the array itself when it already has
    that dtype and copy is False."""
    if not copy and _np.dtype(dtype) == self.dtype:
        return self
    return op.cast(self, dtype=_ndarray_dtype(dtype))


NDArray.astype = _astype


def _asscalar(self):
    """The single element as a numpy scalar (ValueError unless size is 1,
    as MXNet)."""
    if self.size != 1:
        raise ValueError("The current array is not a scalar: asscalar needs "
                         "exactly one element, the array has shape %s"
                         % (self.shape,))
    return self.asnumpy().reshape(-1)[0]


def _copyto(self, other):
    """Copies into `other` (an NDArray of the same shape) or to a new array on
    the context `other`."""
    if isinstance(other, NDArray):
        if other._same_data(self):
            return other
        _core.assign(other, self)
        return other
    if not isinstance(other, Context):
        raise TypeError("copyto does not support type %s; expected an NDArray "
                        "or a Context" % type(other))
    context = _check_context(other, "copyto")
    if context == self.context and _op_gen.tracing():
        # A global or closure array copied inside kiln.jit: an operator of
        # the trace (as copy()), so the copy follows the array's updates.
        return _copy(self)
    return _core.copy_to(self, context)


def _copy(self):
    """A new array with the same values."""
    return op.cast(self, dtype=_np.dtype(self.dtype).name)


def _as_in_context(self, context):
    """self on `context`: self itself when it is there already, else a copy
    there (copyto); MXNetError for a GPU context, TypeError for anything but
    a Context (as MXNet's copyto)."""
    if not isinstance(context, Context):
        raise TypeError("copyto does not support type %s; as_in_context "
                        "expects a Context" % type(context))
    if context == self.context:
        return self
    return _core.copy_to(self, _check_context(context, "as_in_context"))


def _tostype(self, stype):
    """A dense copy for stype 'default'; MXNetError for 'csr' and
    'row_sparse' (kiln has no sparse storage yet)."""
    from .sparse import cast_storage
    return cast_storage(self, stype=stype)


def _attach_grad(self, grad_req="write", stype=None):
    """Gives the array a zero gradient buffer (grad_req 'write', 'add' or
    'null'); MXNetError for a sparse stype."""
    if stype not in (None, "default"):
        from .sparse import _unsupported
        _unsupported("attach_grad(stype=%r)" % (stype,))
    if grad_req not in ("write", "add", "null"):
        # KeyError, as MXNet's lookup in _GRAD_REQ_MAP raises.
        raise KeyError("attach_grad: grad_req expected 'write', 'add' or "
                       "'null', got %r" % (grad_req,))
    _core_attach_grad(self, grad_req)


_core_attach_grad = NDArray.attach_grad

NDArray.asscalar = _asscalar
NDArray.copy = _copy
NDArray.copyto = _copyto
NDArray.as_in_context = _as_in_context
NDArray.as_in_ctx = _as_in_context
NDArray.tostype = _tostype
NDArray.attach_grad = _attach_grad
NDArray.stype = property(lambda self: "default")
NDArray.writable = property(lambda self: True)
NDArray.as_nd_ndarray = lambda self: self


def _as_np_ndarray(self):
    """MXNetError: mx.np arrays (numpy mode) are not supported by kiln."""
    raise MXNetError("as_np_ndarray: numpy mode (mx.np) is not supported; "
                     "kiln runs MXNet 1.x's mx.nd semantics")


NDArray.as_np_ndarray = _as_np_ndarray
NDArray.__len__ = lambda self: self.shape[0] if self.shape else 0
NDArray.__array__ = lambda self, dtype=None: (
    self.asnumpy() if dtype is None else self.asnumpy().astype(dtype))
# np.asarray(x) works through __array__, but numpy's operators and ufuncs
# must not take an NDArray over (np.float32(3) * x would give a numpy array
# and fall out of autograd): they return NotImplemented, so Python calls the
# NDArray's reflected operator, as with MXNet's NDArray, which numpy cannot
# convert at all.
NDArray.__array_ufunc__ = None
NDArray.__reduce__ = lambda self: (array, (self.asnumpy(), None, self.dtype))
NDArray.split = lambda self, *args, **kwargs: op.split(self, *args, **kwargs)


def _setstate(self, state):
    """Restores values pickled by MXNet ({'handle': the array's bytes}) into
    self: an NDArray(None), which MXNet's pickles make first (so that
    pickle.loads reads them), or an array of the pickled shape and dtype
    (kiln arrays cannot change either in place: MXNetError otherwise);
    kiln's own pickles go through __reduce__ and never call this."""
    from .utils import _load_raw_bytes
    handle = state.get("handle") if isinstance(state, dict) else None
    if handle is None:
        raise MXNetError("__setstate__: expected a dict with the array's "
                         "bytes under 'handle'")
    source = _load_raw_bytes(handle)
    if self._is_none:
        self._adopt(source)
        return
    if source.shape != self.shape or source.dtype != self.dtype:
        raise MXNetError("__setstate__: the pickled array is %s %s, this one %s "
                         "%s; kiln arrays cannot change shape or dtype in place"
                         % (source.shape, _np.dtype(source.dtype).name,
                            self.shape, _np.dtype(self.dtype).name))
    _core.assign(self, source)


NDArray.__setstate__ = _setstate

# _fresh_grad: MXNet's flag that backward has written the gradient since the
# optimizer last read it (gluon.Trainer warns of stale gradients otherwise):
# on the autograd variable of arrays that have one (backward sets it there),
# beside the array (by identity, NDArray's == being elementwise) otherwise.
_FRESH_GRAD = {}


def _get_fresh_grad(self):
    fresh = _core.autograd_fresh_grad(self)
    return _FRESH_GRAD.get(id(self), False) if fresh is None else fresh


def _set_fresh_grad(self, state):
    if _core.autograd_set_fresh_grad(self, bool(state)):
        return
    key = id(self)
    if key not in _FRESH_GRAD:
        _weakref.finalize(self, _FRESH_GRAD.pop, key, None)
    _FRESH_GRAD[key] = bool(state)


NDArray._fresh_grad = property(_get_fresh_grad, _set_fresh_grad)


def _slice_region(shape, begin, end, step):
    """The basic-indexing key for MXNet's slice_assign arguments (None in
    begin/end/step means the whole extent)."""
    step = step or (None,) * len(begin)
    return tuple(slice(b, e, s) for b, e, s in zip(begin, end, step))


def _slice_assign(self, rhs, begin, end, step):
    """self[begin:end:step] = rhs (an NDArray), in place; returns self."""
    self[_slice_region(self.shape, begin, end, step)] = rhs
    return self


def _slice_assign_scalar(self, value, begin, end, step):
    """self[begin:end:step] = value (a number), in place; returns self."""
    self[_slice_region(self.shape, begin, end, step)] = float(value)
    return self


NDArray.slice_assign = _slice_assign
NDArray.slice_assign_scalar = _slice_assign_scalar


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
from .. import _indexing  # noqa: E402
from .._indexing import (  # noqa: E402,F401  (MXNet's ndarray.py has them)
    check_boolean_array_dimension, get_indexing_dispatch_code,
    get_oshape_of_gather_nd_op, indexing_key_expand_implicit_axes)

NDArray.__getitem__ = _indexing.getitem
NDArray.__setitem__ = _indexing.setitem

NDArray.topk = _method(op.topk)


def _shape(shape, where="zeros"):
    """A creation function's shape as a tuple of ints: MXNetError for
    anything else (None, a str, float extents), as MXNet's operators parse
    their shape attribute."""
    if isinstance(shape, (int, _np.integer)):
        return (int(shape),)
    if isinstance(shape, (tuple, list)) and all(
            isinstance(extent, (int, _np.integer)) for extent in shape):
        return tuple(int(extent) for extent in shape)
    extents = shape if isinstance(shape, (tuple, list)) else (shape,)
    for extent in extents:
        if _op_gen.is_traced(extent):
            # A kiln.jit traced array as an extent: its error names the
            # user's line and says what to do instead.
            extent._trace.value_needed("a shape (%s(x.sum()))" % where)
    raise MXNetError("%s: invalid parameter format for shape: expected a tuple "
                     "of integers, got %r" % (where, shape))


def _dtype_name(dtype):
    return "float32" if dtype is None else _np.dtype(dtype).name


def concatenate(arrays, axis=0, always_copy=True):
    """The arrays joined along `axis` (their other extents must match)."""
    return op.concat(*arrays, dim=axis)


def eye(N, M=0, k=0, ctx=None, dtype=None, **kwargs):
    """An N x M (M=N when 0) array with ones on diagonal k, float32 unless
    dtype says otherwise. As MXNet's, `name` and __dunder__ keywords are
    taken and ignored; MXNetError for other keywords."""
    context = _check_context(ctx, "eye")
    unknown = [key for key in kwargs
               if key != "name" and not _op_gen.is_hidden_attr(key)]
    if unknown:
        raise MXNetError("eye: unknown argument '%s'; expected N, M, k, ctx, "
                         "dtype" % unknown[0])
    for name, extent in (("N", N), ("M", M)):
        if not isinstance(extent, (int, _np.integer)) or extent < 0:
            raise MXNetError("eye: %s expected a non-negative integer, got %r"
                             % (name, extent))
    columns = M or N
    return array(_np.eye(N, columns, k), context, _dtype_name(dtype))


def zeros(shape, ctx=None, dtype=None, **kwargs):
    """A dense array of zeros (float32 unless dtype says otherwise)."""
    context = _check_context(ctx, "zeros")
    return _internal._zeros(shape=_shape(shape), dtype=_dtype_name(dtype),
                            ctx=context, **kwargs)


def ones(shape, ctx=None, dtype=None, **kwargs):
    """A dense array of ones (float32 unless dtype says otherwise)."""
    context = _check_context(ctx, "ones")
    return _internal._ones(shape=_shape(shape, "ones"), dtype=_dtype_name(dtype),
                           ctx=context, **kwargs)


def full(shape, val, ctx=None, dtype=None, out=None):
    """A dense array filled with `val` (float32 unless dtype says)."""
    context = _check_context(ctx, "full")
    if not isinstance(val, (_numbers.Number, _np.generic)):
        # As MXNet's full: val assigned into a new array (out[:] = val), so
        # an array broadcasts and what is not array-like is TypeError.
        result = empty(shape, context, dtype) if out is None else out
        result[:] = val
        return result
    shape = _shape(shape, "full")
    if out is None and 0 in shape:
        # MXNet's full fills empty(shape), which makes zero-size arrays that
        # the _full operator refuses (kiln/_legacy_shapes.py).
        return empty(shape, context, dtype)
    return _internal._full(shape=shape, value=val, dtype=_dtype_name(dtype),
                           ctx=context, out=out)


def empty(shape, ctx=None, dtype=None):
    """A dense array to be overwritten (kiln gives zeros). As MXNet's, which
    passes the shape through ctypes: TypeError for extents that are no
    integers, OverflowError for negative ones, KeyError for a dtype an
    NDArray cannot hold, AttributeError for a ctx that is no Context."""
    if isinstance(shape, (int, _np.integer)):
        shape = (shape,)
    for extent in shape:
        if not isinstance(extent, (int, _np.integer)):
            raise TypeError("empty: shape extents must be integers, got %r"
                            % (extent,))
        if extent < 0:
            raise OverflowError("empty: can't convert negative extent %d of "
                                "shape %s to unsigned int" % (extent, tuple(shape)))
    if ctx is not None and not isinstance(ctx, Context):
        raise AttributeError("empty: ctx expected a Context (mx.cpu()), got %r"
                             % (ctx,))
    # Not through zeros(): MXNet's empty runs no operator, so (0, 3) is
    # fine here while zeros refuses it (kiln/_legacy_shapes.py).
    return _core.invoke("_zeros", [], {
        "shape": _op_gen.attr_string(tuple(int(extent) for extent in shape)),
        "dtype": _ndarray_dtype(dtype)}, None,
        ctx=_check_context(ctx, "empty"))


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None,
           dtype=None):
    """Evenly spaced values in [start, stop) (or [0, start) without stop),
    each repeated `repeat` times; float32 unless dtype says otherwise."""
    context = _check_context(ctx, "arange")
    return _internal._arange(start=start, stop=stop, step=step, repeat=repeat,
                             dtype=_dtype_name(dtype), ctx=context)


def linspace(start, stop, num, endpoint=True, ctx=None, dtype=_np.float32):
    """`num` evenly spaced values from start to stop (stop included unless
    endpoint=False), float32 by default."""
    context = _check_context(ctx, "linspace")
    return array(_np.linspace(start, stop, num, endpoint=endpoint), context,
                 dtype)


def moveaxis(tensor, source, destination):
    """tensor with axis `source` moved to position `destination` (a
    transpose). Raises ValueError for an axis out of range."""
    rank = tensor.ndim
    for name, axis in (("source", source), ("destination", destination)):
        if not -rank <= axis < rank:
            raise ValueError("moveaxis: %s axis %d is out of range for an "
                             "array of rank %d" % (name, axis, rank))
    axes = list(range(rank))
    axes.pop(source % rank)
    axes.insert(destination % rank, source % rank)
    return op.transpose(tensor, axes=tuple(axes))


def onehot_encode(indices, out):
    """Writes the one-hot rows of `indices` (shape (n,)) into `out` (shape
    (n, depth)) and returns out."""
    encoded = op.one_hot(indices, depth=out.shape[1],
                         dtype=_np.dtype(out.dtype).name)
    _core.assign(out, encoded)
    return out


def from_numpy(ndarray, zero_copy=True, array_cls=NDArray):
    """An NDArray of a numpy array's values: sharing its memory when
    zero_copy (the numpy array must then be C-contiguous, else ValueError,
    and must not be written while the NDArray lives), else a copy with the
    same dtype."""
    if not zero_copy:
        return array(ndarray, dtype=ndarray.dtype)
    if not ndarray.flags["C_CONTIGUOUS"]:
        raise ValueError("from_numpy: zero_copy needs a C-contiguous numpy "
                         "array; pass zero_copy=False to copy it")
    return _core.from_dlpack(ndarray)


def _ufunc_helper(lhs, rhs, fn_array, fn_scalar, lfn_scalar, rfn_scalar=None):
    """lhs (op) rhs for any mix of NDArrays and numbers, as MXNet's: numbers
    compute in Python, array-number uses the scalar operator (rfn_scalar
    when the number is on the left of a non-commutative op), arrays
    broadcast."""
    if isinstance(lhs, numeric_types):
        if isinstance(rhs, numeric_types):
            return fn_scalar(lhs, rhs)
        if rfn_scalar is None:  # commutative
            return lfn_scalar(rhs, float(lhs))
        return rfn_scalar(rhs, float(lhs))
    if isinstance(rhs, numeric_types):
        return lfn_scalar(lhs, float(rhs))
    if isinstance(rhs, NDArray) or _op_gen.is_traced(rhs):
        return fn_array(lhs, rhs)
    raise TypeError("type %s not supported" % type(rhs).__name__)


def _scalar(operator):
    """The registry's `operator(array, scalar=...)` as f(array, number)."""
    return lambda data, value: operator(data, scalar=value)


def _with_filled(operator):
    """f(array, number) for a broadcast operator that has no scalar form:
    the number becomes an array of data's rank and dtype."""
    def apply(data, value):
        filled = full((1,) * max(data.ndim, 1), value, dtype=data.dtype)
        return operator(data, filled)
    return apply


def _python_comparison(compare):
    return lambda x, y: 1 if compare(x, y) else 0


def add(lhs, rhs):
    """lhs + rhs with broadcasting (NDArrays or numbers)."""
    return _ufunc_helper(lhs, rhs, op.broadcast_add, lambda x, y: x + y,
                         _scalar(_internal._plus_scalar))


def subtract(lhs, rhs):
    """lhs - rhs with broadcasting (NDArrays or numbers)."""
    return _ufunc_helper(lhs, rhs, op.broadcast_sub, lambda x, y: x - y,
                         _scalar(_internal._minus_scalar),
                         _scalar(_internal._rminus_scalar))


def multiply(lhs, rhs):
    """lhs * rhs with broadcasting (NDArrays or numbers)."""
    return _ufunc_helper(lhs, rhs, op.broadcast_mul, lambda x, y: x * y,
                         _scalar(_internal._mul_scalar))


def divide(lhs, rhs):
    """lhs / rhs with broadcasting (NDArrays or numbers)."""
    return _ufunc_helper(lhs, rhs, op.broadcast_div, lambda x, y: x / y,
                         _scalar(_internal._div_scalar),
                         _scalar(_internal._rdiv_scalar))


true_divide = divide


def modulo(lhs, rhs):
    """lhs % rhs with broadcasting (NDArrays or numbers)."""
    return _ufunc_helper(lhs, rhs, op.broadcast_mod, lambda x, y: x % y,
                         _scalar(_internal._mod_scalar),
                         _scalar(_internal._rmod_scalar))


def power(base, exp):
    """base ** exp with broadcasting (NDArrays or numbers)."""
    return _ufunc_helper(base, exp, op.broadcast_power, lambda x, y: x ** y,
                         _scalar(_internal._power_scalar),
                         _scalar(_internal._rpower_scalar))


def maximum(lhs, rhs):
    """The elementwise maximum with broadcasting (NDArrays or numbers)."""
    return _ufunc_helper(lhs, rhs, op.broadcast_maximum,
                         lambda x, y: x if x > y else y,
                         _scalar(_internal._maximum_scalar))


def minimum(lhs, rhs):
    """The elementwise minimum with broadcasting (NDArrays or numbers)."""
    return _ufunc_helper(lhs, rhs, op.broadcast_minimum,
                         lambda x, y: x if x < y else y,
                         _scalar(_internal._minimum_scalar))


def equal(lhs, rhs):
    """1 where lhs == rhs, else 0 (lhs's dtype), with broadcasting."""
    return _ufunc_helper(lhs, rhs, op.broadcast_equal,
                         _python_comparison(lambda x, y: x == y),
                         _scalar(_internal._equal_scalar))


def not_equal(lhs, rhs):
    """1 where lhs != rhs, else 0, with broadcasting."""
    return _ufunc_helper(lhs, rhs, op.broadcast_not_equal,
                         _python_comparison(lambda x, y: x != y),
                         _scalar(_internal._not_equal_scalar))


def greater(lhs, rhs):
    """1 where lhs > rhs, else 0, with broadcasting."""
    return _ufunc_helper(lhs, rhs, op.broadcast_greater,
                         _python_comparison(lambda x, y: x > y),
                         _scalar(_internal._greater_scalar),
                         _scalar(_internal._lesser_scalar))


def greater_equal(lhs, rhs):
    """1 where lhs >= rhs, else 0, with broadcasting."""
    return _ufunc_helper(lhs, rhs, op.broadcast_greater_equal,
                         _python_comparison(lambda x, y: x >= y),
                         _scalar(_internal._greater_equal_scalar),
                         _scalar(_internal._lesser_equal_scalar))


def lesser(lhs, rhs):
    """1 where lhs < rhs, else 0, with broadcasting."""
    return _ufunc_helper(lhs, rhs, op.broadcast_lesser,
                         _python_comparison(lambda x, y: x < y),
                         _scalar(_internal._lesser_scalar),
                         _scalar(_internal._greater_scalar))


def lesser_equal(lhs, rhs):
    """1 where lhs <= rhs, else 0, with broadcasting."""
    return _ufunc_helper(lhs, rhs, op.broadcast_lesser_equal,
                         _python_comparison(lambda x, y: x <= y),
                         _scalar(_internal._lesser_equal_scalar),
                         _scalar(_internal._greater_equal_scalar))


def logical_and(lhs, rhs):
    """1 where both are non-zero, else 0, with broadcasting."""
    return _ufunc_helper(lhs, rhs, op.broadcast_logical_and,
                         _python_comparison(lambda x, y: x and y),
                         _with_filled(op.broadcast_logical_and))


def logical_or(lhs, rhs):
    """1 where either is non-zero, else 0, with broadcasting."""
    return _ufunc_helper(lhs, rhs, op.broadcast_logical_or,
                         _python_comparison(lambda x, y: x or y),
                         _with_filled(op.broadcast_logical_or))


def logical_xor(lhs, rhs):
    """1 where exactly one is non-zero, else 0, with broadcasting."""
    return _ufunc_helper(lhs, rhs, op.broadcast_logical_xor,
                         _python_comparison(lambda x, y: bool(x) != bool(y)),
                         _with_filled(op.broadcast_logical_xor))


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """ary cut along axis into `indices_or_sections` equal parts (an int:
    the extent must divide, else ValueError; 0: ZeroDivisionError and a
    negative number: MXNetError, as MXNet) or at the given indices (a
    tuple): a list of arrays, or the one array when there is one part."""
    extent = ary.shape[axis]
    if isinstance(indices_or_sections, (int, _np.integer)):
        sections = int(indices_or_sections)
        if sections == 0:   # MXNet's split_v2 takes extent % 0
            raise ZeroDivisionError("split_v2: integer modulo by zero: "
                                    "indices_or_sections must be >= 1, got 0")
        if sections < 0:
            raise MXNetError("split_v2: indices_or_sections must be a positive "
                             "number of sections, got %d" % sections)
        if extent % sections:
            raise ValueError("split_v2: axis %d of extent %d does not split "
                             "into %d equal parts" % (axis, extent, sections))
        step = extent // sections
        bounds = [index * step for index in range(sections)] + [extent]
    elif isinstance(indices_or_sections, (tuple, list)):
        bounds = [0] + [int(index) for index in indices_or_sections] + [extent]
    else:
        raise ValueError("split_v2: indices_or_sections must be an int or a "
                         "tuple of ints, got %s" % type(indices_or_sections).__name__)
    parts = []
    for begin, end in zip(bounds[:-1], bounds[1:]):
        if begin < end:
            part = op.slice_axis(ary, axis=axis, begin=begin, end=end)
        else:
            # An empty part, as MXNet's split_v2 gives (slice_axis refuses
            # an empty range; slice clamps).
            part = op.slice(ary, begin=(None,) * axis + (begin,),
                            end=(None,) * axis + (end,))
        parts.append(op.squeeze(part, axis=axis) if squeeze_axis else part)
    return parts[0] if len(parts) == 1 else parts


NDArray.split_v2 = _method(split_v2)


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


def waitall():
    """Waits for all pending operations; raises the first pending error."""
    _core.waitall()


def histogram(a, bins=10, range=None):  # noqa: A002 (MXNet's name)
    """Counts of `a`'s elements in bins, as MXNet's mx.nd.histogram.

    bins: an int (that many equal bins over `range`, a (min, max) pair) or
    an NDArray of increasing bin edges. Returns (counts as int64, edges in
    a's dtype). With an int and no range, numpy computes the result and
    both come back float32 (as MXNet does, with a warning). Raises ValueError when bins is
    neither an int nor an NDArray.
    """
    if isinstance(bins, NDArray):
        return _internal._histogram(a, bins)
    if isinstance(bins, _numbers.Integral) and not isinstance(bins, bool):
        if range is None:
            # As MXNet: numpy's result, converted as mx.nd.array converts
            # (float32 counts and edges), with MXNet's warning.
            _warnings.warn("range is not specified, using numpy's result to "
                           "ensure consistency with numpy")
            counts, edges = _np.histogram(a.asnumpy(), bins=int(bins))
            return array(counts), array(edges)
        return _internal._histogram(a, bin_cnt=int(bins), range=tuple(range))
    raise ValueError("bins argument should be either an integer or an NDArray")


__all__ = ["NDArray", "array", "histogram", "concatenate", "eye", "zeros", "ones", "full",
           "empty", "arange", "linspace", "moveaxis", "onehot_encode",
           "from_numpy", "add", "subtract", "multiply", "divide",
           "true_divide", "modulo", "power", "maximum", "minimum", "equal",
           "not_equal", "greater", "greater_equal", "lesser", "lesser_equal",
           "logical_and", "logical_or", "logical_xor", "split_v2",
           "from_dlpack", "to_dlpack_for_read", "to_dlpack_for_write",
           "waitall", "indexing_key_expand_implicit_axes",
           "get_indexing_dispatch_code", "get_oshape_of_gather_nd_op"]

# MXNet's legacy decoder, mx.nd.imdecode (kiln/ndarray/_cv_image.py).
from ._cv_image import imdecode  # noqa: E402
__all__.append("imdecode")

# MXNet's DLPack ctypes structures (kiln/ndarray/_dlpack.py).
from ._dlpack import *  # noqa: E402,F401,F403
