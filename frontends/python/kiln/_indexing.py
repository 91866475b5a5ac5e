"""NDArray indexing, x[key] and x[key] = value, as MXNet 1.9.1's legacy
NDArray does it (mxnet/ndarray/ndarray.py: __getitem__, __setitem__ and
their helpers).

A key is expanded first: Ellipsis becomes full slices, Python bools and
0-d bool arrays are dropped (legacy mode ignores them), a bool NDArray is
refused (ValueError: legacy mode has no boolean indexing; numpy bool arrays
are index arrays of 0 and 1, as in MXNet). Then:

- **basic indexing** (ints, slices, None): the result shares memory with
  the array when the region is contiguous (x[1], x[1:3], x[1, 2:4]) and
  is a copy otherwise (x[::2], x[:, 1]); ints drop their axis, None adds
  one, and a result with no axis left has shape (1,).
- **advanced indexing** (any list, tuple, range, numpy array or NDArray in
  the key): every int, array and non-trailing slice becomes an index array;
  the arrays broadcast together (their block stays in place when the
  advanced items are adjacent in the key, Nones counted, and leads
  otherwise) and one gather_nd reads the result. New axes go where
  MXNet's rule puts them, which differs from numpy's when None follows an
  adjacent block (x[[0, 1], None] has shape (1, 2, ...) in MXNet).

MXNet's public helpers for this, indexing_key_expand_implicit_axes,
get_indexing_dispatch_code, get_oshape_of_gather_nd_op and
check_boolean_array_dimension (mxnet.ndarray.ndarray's), are defined here
with MXNet's results.

Assignment writes through the same regions: a scalar, a numpy array or a
list, or an NDArray, broadcast to the region (leading axes of extent 1
trimmed, MXNet's squeeze of the new axes applied).

Errors are MXNet's classes: IndexError for too many indices, an index out
of range or more than one Ellipsis; ValueError for an item of the wrong
type before the first index array, a zero slice step or a value that does
not broadcast; RuntimeError for an item of the wrong type after an index
array; TypeError for a non-integer slice bound or a value that is not array
like; AttributeError for a 0-d NDArray as an index (legacy arrays lack the
`item` MXNet calls); MXNetError for a 0-d numpy index array and for writes
while autograd records into arrays the graph holds.

Where kiln departs from MXNet 1.9.1, on purpose:
- Keys that select nothing (x[3:1], x[:, 4:], x[[]]) give numpy's empty
  result, and assigning to them writes nothing. MXNet fails on most of
  them in internal checks (a reshape that reads 0 as "keep this extent",
  an assert, "Invalid slicing range").
- Out-of-range index arrays in assignment raise IndexError, and negative
  ones wrap (in assignment and in x[key]'s gradient); MXNet's scatter
  writes outside the array for both.
- A 0-d array takes x[()] = 3 and x[:] = an NDArray of one element; MXNet
  fails there (its legacy shape () reads as "unknown").
"""
import builtins as _builtins

import numpy as _np

from . import _core
from . import _op_gen
from . import ndarray as _nd
from .base import MXNetError, integer_types, numeric_types

# Items that make a key advanced (MXNet's _NDARRAY_ADVANCED_INDEXING).
_ARRAY_LIKE = (_core.NDArray, _np.ndarray, list, tuple, range)


def _tuple_attr(values):
    text = ", ".join("None" if v is None else str(int(v)) for v in values)
    return "(%s,)" % text if len(values) == 1 else "(%s)" % text


def _view(op_name, array, **attrs):
    """The registry op's result as a view of `array` (shared memory), as
    _op_gen.invoke_view, with the tuple attributes formatted here (this
    runs on every x[i])."""
    if not isinstance(array, _core.NDArray):  # jit's traced arrays
        # (A global's reads while a function is traced were lifted into
        # the trace by getitem; what reaches here is a write's region.)
        return _op_gen.invoke_view(op_name, array, **attrs)
    return _core.invoke(op_name, [array], {
        name: _tuple_attr(value) for name, value in attrs.items()},
        share_memory=True)


def _host_array(values):
    """A small host-made NDArray (index arrays, scalars to write)."""
    return _core.NDArray.from_numpy(_np.ascontiguousarray(values))


def _too_many(count, ndim):
    return IndexError("too many indices (%d) for array with %d dimensions"
                      % (count, ndim))


def _out_of_bounds(index, axis, extent):
    return IndexError("index %d is out of bounds for axis %d with size %d"
                      % (index, axis, extent))


# --- The key ---------------------------------------------------------------

# MXNet's codes (mxnet/ndarray/ndarray.py): how a key indexes, and what
# a 0-d bool item in it asked for.
_NDARRAY_UNSUPPORTED_INDEXING = -1
_NDARRAY_BASIC_INDEXING = 0
_NDARRAY_ADVANCED_INDEXING = 1
_NDARRAY_EMPTY_TUPLE_INDEXING = 2
_NDARRAY_NO_ZERO_DIM_BOOL_ARRAY = -1
_NDARRAY_ZERO_DIM_BOOL_ARRAY_FALSE = 0
_NDARRAY_ZERO_DIM_BOOL_ARRAY_TRUE = 1


def check_boolean_array_dimension(array_shape, axis, bool_shape):
    """IndexError unless a boolean index of `bool_shape` matches
    array_shape's extents from `axis` on (MXNet's helper of the same
    name)."""
    for offset, extent in enumerate(bool_shape):
        if axis + offset >= len(array_shape) or \
                array_shape[axis + offset] != extent:
            raise IndexError(
                "boolean index did not match indexed array along axis %d; "
                "size is %s but corresponding boolean size is %d"
                % (axis + offset, array_shape[axis + offset]
                   if axis + offset < len(array_shape) else "none", extent))


def indexing_key_expand_implicit_axes(key, shape):
    """(key as a tuple with Ellipsis, or the missing trailing axes, spelled
    out as full slices, what its 0-d bool items asked for), as MXNet
    1.9.1's helper of the same name in legacy mode: Python bools and 0-d
    bool NDArrays are dropped (the second value says the last one's truth:
    _NDARRAY_ZERO_DIM_BOOL_ARRAY_TRUE/FALSE, else
    _NDARRAY_NO_ZERO_DIM_BOOL_ARRAY); a bool NDArray of more dimensions is
    refused (IndexError when its shape does not fit, else ValueError: legacy
    mode has no boolean indexing); a 0-d NDArray of numbers is refused with
    AttributeError (MXNet reads it with NDArray.item, which legacy arrays
    lack); more than one Ellipsis is IndexError."""
    if not isinstance(key, tuple):
        key = (key,)
    ellipsis_at, nones, items, axis = None, 0, [], 0
    prepend = _NDARRAY_NO_ZERO_DIM_BOOL_ARRAY
    for position, item in enumerate(key):
        if item is Ellipsis:
            if ellipsis_at is not None:
                raise IndexError("Cannot use more than one ellipsis (`...`) "
                                 "for indexing")
            # MXNet splits the remaining items at the Ellipsis' position in
            # the key as given (dropped bools before it shift the split).
            ellipsis_at = position
            continue
        if isinstance(item, bool) or (isinstance(item, _nd.NDArray) and
                                      item.ndim == 0 and
                                      item.dtype == _np.bool_):
            prepend = (_NDARRAY_ZERO_DIM_BOOL_ARRAY_TRUE if bool(item) else
                       _NDARRAY_ZERO_DIM_BOOL_ARRAY_FALSE)
            continue
        if isinstance(item, _nd.NDArray) and item.ndim == 0:
            raise AttributeError(
                "'NDArray' object has no attribute 'item': MXNet 1.9.1 reads "
                "a 0-d index array with NDArray.item, which legacy arrays "
                "lack; index with int(index.asscalar()) instead")
        if isinstance(item, _nd.NDArray) and item.dtype == _np.bool_:
            check_boolean_array_dimension(shape, axis, item.shape)
            raise ValueError("Cannot perform boolean indexing in legacy "
                             "mode: MXNet 1.9.1 needs numpy semantics "
                             "(npx.set_np()) for a bool NDArray index; index "
                             "with its positions (a numpy bool array is taken "
                             "as indices 0 and 1)")
        if item is None:
            nones += 1
        items.append(item)
        axis += 1
    if ellipsis_at is None:
        ellipsis_at = len(items)
    fill = len(shape) + nones - len(items)
    return (tuple(items[:ellipsis_at]) + (slice(None),) * fill +
            tuple(items[ellipsis_at:])), prepend


def get_indexing_dispatch_code(key):
    """How an expanded key (a tuple) indexes, as MXNet's helper of the same
    name: _NDARRAY_ADVANCED_INDEXING once an index array (list, tuple,
    range, numpy array, NDArray) comes, _NDARRAY_EMPTY_TUPLE_INDEXING when
    that is an empty tuple, else _NDARRAY_BASIC_INDEXING; ValueError for an
    item of another type before the first array."""
    assert isinstance(key, tuple)
    for item in key:
        if isinstance(item, _ARRAY_LIKE):
            if isinstance(item, tuple) and not item:
                return _NDARRAY_EMPTY_TUPLE_INDEXING
            return _NDARRAY_ADVANCED_INDEXING
        if not (item is None or isinstance(item, (slice,) + integer_types)):
            raise ValueError("NDArray does not support slicing with key %r "
                             "of type %s; expected int, slice, None, "
                             "Ellipsis or an index array" % (item, type(item)))
    return _NDARRAY_BASIC_INDEXING


def get_oshape_of_gather_nd_op(dshape, ishape):
    """The shape gather_nd gives for data of `dshape` and indices of
    `ishape`: ishape[1:] followed by dshape's axes past ishape[0] (MXNet's
    helper of the same name)."""
    assert len(dshape) > 0 and len(ishape) > 0
    return tuple(ishape[1:]) + tuple(dshape[ishape[0]:])


def _check_item(item):
    """The error MXNet raises for one basic key item (kiln.jit's tracer
    checks its keys with this): ValueError for a type that does not index,
    TypeError for a slice bound that is no integer, ValueError for a slice
    step of 0."""
    if isinstance(item, slice):
        for bound in (item.start, item.stop, item.step):
            if bound is not None and not isinstance(bound, (int, _np.integer)):
                raise TypeError("slice indices must be integers or None, got "
                                "%r of type %s" % (bound, type(bound).__name__))
        if item.step == 0:
            raise ValueError("slice step cannot be zero")
    elif not (item is None or item is Ellipsis or
              isinstance(item, integer_types + _ARRAY_LIKE)):
        raise ValueError("NDArray does not support slicing with key %r of "
                         "type %s; expected int, slice, None, Ellipsis or an "
                         "index array" % (item, type(item)))


def _int_to_slice(index):
    return slice(-1, None) if index == -1 else slice(index, index + 1)


def _new_axes_basic(key):
    """Where each None of a basic key lands in the result: after the
    items before it that keep an axis (MXNet's
    _new_axes_after_basic_indexing)."""
    positions, kept = [], 0
    for item in key:
        if item is None:
            positions.append(kept)
        if not isinstance(item, integer_types):
            kept += 1
    return positions


def _is_contiguous_region(ranges, shape):
    """MXNet's rule for basic indexing sharing memory: from the last axis
    on, once an axis is a proper subset every earlier axis selects at most
    one element; a strided or reversed axis of several elements is never
    contiguous."""
    counts = [len(range(*r)) for r in ranges]
    if _np.prod(counts) in (0, 1):
        return True
    subset = False
    for (_, _, step), count, extent in zip(ranges[::-1], counts[::-1],
                                           shape[::-1]):
        if count == 0:
            return True
        if count > 1 and step != 1:
            return False
        if subset:
            if count > 1:
                return False
        elif count < extent:
            subset = True
    return True


def _slice_args(ranges):
    """begin, end, step tuples for the slice operator from Python ranges
    (stop -1 of a reversed range means past the first element: None)."""
    begin = tuple(start for start, _, _ in ranges)
    end = tuple(None if stop < 0 else stop for _, stop, _ in ranges)
    step = tuple(step for _, _, step in ranges)
    return begin, end, step


def _reshaped(array, shape):
    """array as `shape` (a view; empty results are new empty arrays, since
    the reshape operator reads 0 as "keep this extent", as MXNet's)."""
    shape = tuple(shape)
    if array.size == 0:
        return _nd.empty(shape, dtype=array.dtype)
    if tuple(array.shape) == shape:
        return array
    return _view("reshape", array, shape=shape)


def _basic_region(self, key):
    """(ranges per axis, int axes, new-axis positions) of a basic key,
    checked as MXNet checks it."""
    items = [item for item in key if item is not None]
    if len(items) > self.ndim:
        raise _too_many(len(items), self.ndim)
    int_axes = [axis for axis, item in enumerate(items)
                if isinstance(item, integer_types)]
    for axis in int_axes:
        if not -self.shape[axis] <= items[axis] < self.shape[axis]:
            raise _out_of_bounds(items[axis], axis, self.shape[axis])
    slices = [item if isinstance(item, slice) else _int_to_slice(int(item))
              for item in items]
    # slice.indices raises MXNet's TypeError (non-integer bound) and
    # ValueError (step 0).
    ranges = [s.indices(extent) for s, extent in zip(slices, self.shape)]
    return ranges, int_axes, _new_axes_basic(key)


def _final_shape(sliced_shape, int_axes, new_axes):
    shape = [extent for axis, extent in enumerate(sliced_shape)
             if axis not in int_axes]
    for position in new_axes:
        shape.insert(position, 1)
    return shape or [1]  # legacy arrays have no rank 0: x[i] of a vector


def _basic_getitem(self, key):
    ranges, int_axes, new_axes = _basic_region(self, key)
    if self.ndim == 0:
        raise ValueError("a 0-d NDArray can only be indexed with () or :")
    sliced_shape = [len(range(*r)) for r in ranges]
    final = _final_shape(sliced_shape, int_axes, new_axes)
    if 0 in sliced_shape:
        return _nd.empty(tuple(final), dtype=self.dtype)
    if _is_contiguous_region(ranges, self.shape) and self._is_contiguous:
        # One run of the flat array: a view, as MXNet's MXNDArraySlice.
        sliced = _region_view(self, ranges)
        if not sliced._is_contiguous:  # a reversed axis of one element
            first = 0
            for (start, _, _), extent in zip(ranges, self.shape):
                first = first * extent + start
            count = len(range(*ranges[-1]))
            for extent in sliced_shape[:-1]:
                count *= extent
            flat = _view("reshape", self, shape=(self.size,))
            sliced = _view("slice", flat, begin=(first,),
                           end=(first + count,), step=(1,))
    else:
        begin, end, step = _slice_args(ranges)
        sliced = _nd.slice(self, begin=begin, end=end, step=step)
    return _reshaped(sliced, final)


def _index_array(item, extent):
    """One advanced item as an int64 numpy array of indices into an axis
    of `extent` (bounds are checked once the arrays are broadcast, as
    MXNet's gather_nd checks them)."""
    if isinstance(item, _nd.NDArray):
        return item.asnumpy().astype(_np.int64)  # floats truncate
    if isinstance(item, _np.ndarray):
        if item.ndim == 0:
            raise MXNetError("a 0-d numpy index array cannot be broadcast "
                             "with the other indices (MXNet 1.9.1 fails in "
                             "broadcast_to); index with int(index)")
        try:
            return item.astype(_np.int64)
        except (TypeError, ValueError) as error:
            raise ValueError("index array of dtype %s: %s"
                             % (item.dtype, error))
    if isinstance(item, (list, tuple)):
        try:
            return _np.array(item, dtype=_np.int64)
        except (TypeError, ValueError) as error:
            raise TypeError("source_array must be array like object: index "
                            "%r is no array of integers (%s)" % (item, error))
    if isinstance(item, integer_types):
        return _np.array([int(item)], dtype=_np.int64)
    if isinstance(item, slice):
        return _np.arange(*item.indices(extent), dtype=_np.int64)
    return _np.arange(item.start, item.stop, item.step, dtype=_np.int64)


def _checked_rows(index, shape):
    """The gather_nd index with each row checked against its axis
    (IndexError, as MXNet's gather_nd) and negative indices wrapped."""
    for axis, row in enumerate(index):
        extent = shape[axis]
        if row.size and (row.max() >= extent or row.min() < -extent):
            bad = row.max() if row.max() >= extent else row.min()
            raise _core.MXNetIndexError(
                "index %d is out of bounds for axis %d with size %d"
                % (bad, axis, extent))
    return _np.where(index < 0, index + _np.array(
        shape[:len(index)], dtype=_np.int64).reshape(
            (-1,) + (1,) * (index.ndim - 1)), index)


def _broadcast_shape(shapes):
    try:
        return tuple(_np.broadcast_shapes(*shapes))
    except ValueError:
        # MXNetError too: MXNet fails in its operators instead where an
        # index is empty (kiln's empty selections).
        raise _core.MXNetValueError(
            "index arrays of shapes %s cannot be broadcast together"
            % ", ".join(map(str, shapes)))


def _is_advanced_item(item):
    if isinstance(item, _ARRAY_LIKE + integer_types):
        return True
    if item is None or isinstance(item, slice):
        return False
    raise RuntimeError("illegal index type %s: an index holding an array "
                       "takes ints, slices, None, Ellipsis and index arrays"
                       % type(item))


def _advanced_indices(self, key):
    """MXNet's _get_index_nd: the gather_nd index of an advanced key, a
    numpy int64 array of shape (k, *block), and where the key's Nones go
    in the gathered result."""
    items = [item for item in key if item is not None]
    if len(items) > self.ndim:
        raise _too_many(len(items), self.ndim)
    advanced_at = [position for position, item in enumerate(key)
                   if _is_advanced_item(item)]
    advanced = [axis for axis, item in enumerate(items)
                if _is_advanced_item(item)]
    adjacent = all(after - before == 1 for before, after
                   in zip(advanced_at, advanced_at[1:]))
    # Trailing full slices stay out of the index (gather_nd keeps them).
    short = len(items)
    while isinstance(items[short - 1], slice) and \
            items[short - 1] == slice(None):
        short -= 1
    if short == 1 and advanced_at == [0] and all(
            item is not None for item in key):
        # x[indices] (trailing full slices): the array indexes axis 0.
        index = _index_array(items[0], self.shape[0])
        return _checked_rows(index.reshape((1,) + index.shape),
                             self.shape), []
    if adjacent:
        order = list(range(short))
        block = advanced
    else:  # the block leads
        order = advanced + [axis for axis in range(short)
                            if axis not in advanced]
        block = list(range(len(advanced)))
    arrays = [_index_array(items[axis], self.shape[axis]) for axis in order]
    block_shape = _broadcast_shape([arrays[i].shape for i in block])
    lead, trail = block[0], len(arrays) - block[-1] - 1
    shape = (tuple(len(arrays[i]) for i in range(lead)) + block_shape +
             tuple(len(arrays[i]) for i in range(block[-1] + 1, len(arrays))))
    placed = [None] * len(arrays)
    for i in block:
        inner = _np.broadcast_to(arrays[i], block_shape)
        placed[i] = _np.broadcast_to(
            inner.reshape((1,) * lead + block_shape + (1,) * trail), shape)
    grown = len(block_shape) - len(block)
    for i in set(range(len(arrays))) - set(block):
        extents = [1] * len(shape)
        extents[i if i < lead else i + grown] = len(arrays[i])
        placed[i] = _np.broadcast_to(arrays[i].reshape(extents), shape)
    # Stacked in the array's axis order.
    index = _checked_rows(
        _np.stack([placed[order.index(axis)] for axis in range(short)]),
        self.shape)
    # MXNet's rule for the Nones: an adjacent block counts as no axis, a
    # leading one as all of its axes.
    new_axes, kept = [], 0 if adjacent else len(block_shape)
    for position, item in enumerate(key):
        if item is None:
            new_axes.append(kept)
        if position not in advanced_at:
            kept += 1
    return index, new_axes


def _advanced_getitem(self, key):
    index, new_axes = _advanced_indices(self, key)
    shape = list(index.shape[1:]) + list(self.shape[index.shape[0]:])
    for position in new_axes:
        shape.insert(position, 1)
    if index.size == 0 or 0 in shape:
        return _nd.empty(tuple(shape), dtype=self.dtype)
    gathered = _nd.gather_nd(self, _host_array(index))
    return _reshaped(gathered, shape)


def getitem(self, key):
    """x[key], as MXNet 1.9.1's legacy NDArray indexes (the module's
    docstring gives the rules and errors)."""
    if _op_gen._traces[0] and isinstance(self, _core.NDArray):
        # A global or closure array while kiln.jit traces a function: the
        # traced arrays' indexing makes it part of the graph.
        traced = _op_gen.traced_array(self)
        if traced is not None:
            return traced[key]
    if isinstance(key, tuple) and not key:
        return self
    if self.ndim == 0 and isinstance(key, slice) and key == slice(None):
        return self
    if isinstance(key, tuple) and len(key) == self.ndim and \
            all(isinstance(item, integer_types) for item in key):
        result = self
        for item in key:
            result = getitem(result, item)
        return result
    if isinstance(key, integer_types):
        return _row(self, int(key))
    if isinstance(key, slice) and key.step in (None, 1):
        if key.start is None and key.stop is None:
            return self
        return _rows(self, key.start, key.stop)
    if isinstance(key, slice) and key.step == 0:
        raise ValueError("slice step cannot be zero")
    key, _ = indexing_key_expand_implicit_axes(key, self.shape)
    if not key:
        raise ValueError("indexing key cannot be an empty tuple")
    code = get_indexing_dispatch_code(key)
    if code == _NDARRAY_EMPTY_TUPLE_INDEXING:
        raise RuntimeError("indexing with an empty tuple inside the key %r "
                           "is not supported" % (key,))
    if code == _NDARRAY_ADVANCED_INDEXING:
        return _advanced_getitem(self, key)
    return _basic_getitem(self, key)


def _row(self, index):
    """x[i]: a view of row i (shape (1,) for a vector, as MXNet's _at)."""
    if self.ndim == 0:
        raise IndexError("too many indices (1) for a 0-d array")
    extent = self.shape[0]
    if not -extent <= index < extent:
        raise _out_of_bounds(index, 0, extent)
    if index < 0:
        index += extent
    if not self._is_contiguous:
        return _basic_getitem(self, (index,) + (slice(None),) *
                              (self.ndim - 1))
    row = _view("slice", self, begin=(index,), end=(index + 1,), step=(1,))
    return _view("reshape", row, shape=tuple(self.shape[1:]) or (1,))


def _rows(self, start, stop):
    """x[start:stop]: a view of those rows (bounds clamped, as MXNet's
    _slice)."""
    if self.ndim == 0:
        raise IndexError("too many indices (1) for a 0-d array")
    if not self._is_contiguous:
        return _basic_getitem(self, (slice(start, stop),) +
                              (slice(None),) * (self.ndim - 1))
    start, stop, _ = slice(start, stop).indices(self.shape[0])
    if start >= stop:
        return _nd.empty((0,) + tuple(self.shape[1:]), dtype=self.dtype)
    return _view("slice", self, begin=(start,), end=(stop,), step=(1,))


# --- Assignment ------------------------------------------------------------

def _not_array_like(self, value):
    return TypeError("%s does not support assignment with non-array-like "
                     "object %r of type %s" % (type(self).__name__, value,
                                               type(value)))


def _broadcast_to(value, shape):
    """value (an NDArray) broadcast to shape, ValueError when it cannot be
    (as MXNet's NDArray.broadcast_to)."""
    current = tuple(value.shape)
    padded = (1,) * (len(shape) - len(current)) + current
    if len(current) > len(shape) or any(
            have not in (1, want) for have, want in zip(padded, shape)):
        raise ValueError("operands could not be broadcast together with "
                         "remapped shapes [original->remapped]: %s and "
                         "requested shape %s" % (current, tuple(shape)))
    if 0 in shape:
        return _nd.empty(tuple(shape), dtype=value.dtype)
    if padded != current:
        value = _reshaped(value, padded)
    return _nd.broadcast_to(value, shape=tuple(shape))


def _value_array(self, value, shape, squeeze_axes=()):
    """MXNet's _prepare_value_nd: value as an NDArray of self's dtype and
    `shape` (new axes squeezed, leading axes of extent 1 trimmed, then
    broadcast)."""
    shape = tuple(shape)
    if isinstance(value, numeric_types):
        return _nd.full(shape, value, dtype=self.dtype)
    if isinstance(value, _nd.NDArray):
        array = value if value.dtype == self.dtype else value.astype(self.dtype)
    else:
        try:
            array = _nd.array(value, dtype=self.dtype)
        except Exception:
            raise _not_array_like(self, value)
    if squeeze_axes and array.ndim > len(shape):
        axes = tuple(axis for axis in squeeze_axes if axis < array.ndim)
        array = array.squeeze(axis=axes)
    if array.ndim > len(shape):
        leading = 0
        while leading < array.ndim - len(shape) and array.shape[leading] == 1:
            leading += 1
        if leading:
            array = _reshaped(array, array.shape[leading:])
    if tuple(array.shape) != shape:
        if array.size == 0:
            if int(_np.prod(shape)) != 0:
                raise MXNetError("__setitem__: cannot reshape the empty value "
                                 "of shape %s to the region's shape %s"
                                 % (tuple(array.shape), shape))
            return _nd.empty(shape, dtype=self.dtype)
        array = _broadcast_to(array, shape)
    return array


def _guard_recording(self, value, copies):
    """MXNet's checks for writes while autograd records: an array the graph
    holds cannot be written (MXNetError); an array that takes a gradient
    can be written only by a whole-array copy, which is then recorded.
    Returns whether the write must be recorded."""
    if not _core.autograd_is_recording():
        return False
    if _core.autograd_takes_gradient(self):
        raise MXNetError(
            "Assigning to NDArrays that are already in a computational graph "
            "will cause undefined behavior when evaluating gradients. Please "
            "call backward first to clear the graph or do this out of a "
            "record section.")
    needs = isinstance(value, _nd.NDArray) and \
        _core.autograd_takes_gradient(value)
    if needs and not copies:
        raise MXNetError("Inplace operations (+=, -=, x[:]=, etc) are not "
                         "supported when recording with autograd: x[key] = "
                         "value with a value that takes a gradient")
    return needs


def _write(self, region, source, record=False):
    if record:
        _nd._internal._copy(source, out=region)
    else:
        _core.assign(region, source)


def _shape_for_bcast(shape, ndim, new_axes):
    """MXNet's _shape_for_bcast: `shape` spread over ndim axes, ones at
    new_axes when it is shorter, else filled from the right."""
    result = [None] * ndim
    if len(shape) < ndim:
        for axis in new_axes:
            result[axis] = 1
    taken = 1
    for axis in range(1, ndim + 1):
        if result[-axis] is None:
            result[-axis] = shape[-taken] if taken <= len(shape) else 1
            taken += 1
    return tuple(result)


def _set_basic(self, key, value):
    ranges, int_axes, new_axes = _basic_region(self, key)
    shape = [len(range(*r)) for r in ranges]
    value_shape = _final_shape(shape, int_axes, [])
    whole = tuple(shape) == tuple(self.shape) and all(
        step > 0 for _, _, step in ranges)
    if whole and isinstance(value, _np.ndarray):
        # numpy values fill the whole array by a plain copy, which MXNet
        # does not record and lets autograd pass.
        data = value.reshape(_shape_for_bcast(value.shape, self.ndim, int_axes))
        data = _np.broadcast_to(data, self.shape)
        _core.assign(self, _nd.array(_np.asarray(data, dtype=self.dtype),
                                     dtype=self.dtype))
        return
    if isinstance(value, numeric_types):
        _guard_recording(self, value, copies=False)
        if 0 in shape:
            return
        fill = int(value) if isinstance(value, bool) else value
        if not whole:
            fill = float(value)
        region = self if whole else _region_view(self, ranges)
        _core.assign(region, _host_array(_np.full((1,), fill,
                                                  dtype=self.dtype)))
        return
    if whole and value is self:
        return
    source = _value_array(self, value, value_shape, squeeze_axes=new_axes)
    record = _guard_recording(self, value, copies=whole)
    if 0 in shape:
        return
    source = _reshaped(source, shape)
    _write(self, self if whole else _region_view(self, ranges), source,
           record)


def _region_view(self, ranges):
    begin, end, step = _slice_args(ranges)
    return _view("slice", self, begin=begin, end=end, step=step)


def _set_advanced(self, key, value):
    index, new_axes = _advanced_indices(self, key)
    depth = index.shape[0]
    value_shape = tuple(index.shape[1:]) + tuple(self.shape[depth:])
    if isinstance(value, numeric_types):
        # One element; _set_rows broadcasts it.
        source = _host_array(_np.full((1,), value, dtype=self.dtype))
    else:
        source = _value_array(self, value, value_shape, squeeze_axes=new_axes)
    _guard_recording(self, value, copies=False)
    if index.size == 0 or 0 in value_shape:
        return
    # Rows of the leading `depth` axes, flattened: one _set_rows writes
    # them (the last write wins for repeated indices).
    rows = _np.ravel_multi_index(tuple(index), self.shape[:depth]).ravel()
    trailing = tuple(self.shape[depth:])
    flat = _view("reshape", self,
                 shape=(int(_np.prod(self.shape[:depth])),) + trailing)
    if not isinstance(value, numeric_types):
        source = _reshaped(source, (rows.size,) + trailing)
    _nd._set_rows(flat, _host_array(rows), source, out=flat)


def _set_scalar_array(self, key, value):
    """z[()] = value or z[:] = value for a 0-d array z."""
    if not isinstance(key, (tuple, slice)) or (isinstance(key, tuple) and key):
        raise IndexError("scalar tensor can only accept `()` and `:` as index")
    if isinstance(value, numeric_types):
        _guard_recording(self, value, copies=False)
        _core.assign(self, _nd.full((), value, dtype=self.dtype))
    elif isinstance(value, _nd.NDArray) and value.size == 1:
        record = _guard_recording(self, value, copies=True)
        source = value if value.dtype == self.dtype else value.astype(self.dtype)
        _write(self, self, _reshaped(source, ()), record)
    elif isinstance(value, (_np.ndarray, _np.generic)) and value.size == 1:
        _core.assign(self, _nd.array(_np.asarray(value, dtype=self.dtype)
                                     .reshape(()), dtype=self.dtype))
    else:
        raise ValueError("setting an array element with a sequence.")


def setitem(self, key, value):
    """x[key] = value, as MXNet 1.9.1's legacy NDArray assigns (the
    module's docstring gives the rules and errors)."""
    if _op_gen._traces[0]:
        _op_gen.refuse_traced_write(self, value)
    if self.ndim == 0:
        _set_scalar_array(self, key, value)
        return
    if self.size == 0:
        return
    key, _ = indexing_key_expand_implicit_axes(key, self.shape)
    count = _builtins.sum(1 for item in key if item is not None)
    if count > self.ndim:
        raise _too_many(count, self.ndim)
    code = get_indexing_dispatch_code(key)
    if code == _NDARRAY_EMPTY_TUPLE_INDEXING:
        raise ValueError("Indexing NDArray with index %r of type %s is not "
                         "supported" % (key, type(key)))
    if code == _NDARRAY_ADVANCED_INDEXING:
        _set_advanced(self, key, value)
    else:
        _set_basic(self, key, value)
