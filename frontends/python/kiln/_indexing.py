"""NDArray indexing, as MXNet's: ints, slices (views, negative steps too),
Ellipsis and None; index arrays along one axis (take) or as a tuple
(gather_nd); and assignment through basic indexing or one index array along
the first axis."""
import builtins as _builtins
import numbers as _numbers

import numpy as _np

from . import _core
from . import _op_gen
from . import ndarray as _nd
from .base import MXNetError


def _index_list(key, shape):
    """Basic indexing: (begin, end, step) per leading axis and the integer
    axes to drop, from ints, slices, Ellipsis and None (new axes)."""
    if not isinstance(key, tuple):
        key = (key,)
    if _builtins.sum(1 for item in key if item is Ellipsis) > 1:
        raise IndexError("Cannot use more than one ellipsis (`...`) for "
                         "indexing")
    for item in key:
        _check_item(item)
    concrete = _builtins.sum(1 for item in key if item is not None and item is not Ellipsis)
    if concrete > len(shape):
        raise IndexError("too many indices (%d) for array with %d dimensions"
                         % (concrete, len(shape)))
    begin, end, step, dropped, new_axes = [], [], [], [], []
    axis = 0
    for item in key:
        if item is Ellipsis:
            for _ in range(len(shape) - concrete):
                begin.append(None), end.append(None), step.append(None)
                axis += 1
        elif item is None:
            new_axes.append(axis + len(new_axes))
        elif isinstance(item, (int, _np.integer)):
            index = int(item)
            extent = shape[axis]
            if not -extent <= index < extent:
                raise IndexError("index %d is out of bounds for axis %d with "
                                 "size %d" % (index, axis, extent))
            index += extent if index < 0 else 0
            begin.append(index), end.append(index + 1), step.append(None)
            dropped.append(axis)
            axis += 1
        elif isinstance(item, _builtins.slice):
            begin.append(item.start), end.append(item.stop), step.append(item.step)
            axis += 1
    return begin, end, step, dropped, new_axes


def _check_item(item):
    """The exception MXNet raises for an index item of the wrong kind:
    ValueError for a key type it does not index with (float, str),
    TypeError for a slice bound that is no integer, ValueError for a slice
    step of 0."""
    if isinstance(item, _builtins.slice):
        for bound in (item.start, item.stop, item.step):
            if bound is not None and not isinstance(bound, (int, _np.integer)):
                raise TypeError("slice indices must be integers or None, got "
                                "%r of type %s" % (bound, type(bound).__name__))
        if item.step == 0:
            raise ValueError("slice step cannot be zero")
    elif not (item is None or item is Ellipsis or
              isinstance(item, (int, _np.integer)) or _is_index_array(item)):
        raise ValueError("NDArray does not support slicing with key %r of "
                         "type %s; expected int, slice, None, Ellipsis or an "
                         "NDArray/list of indices" % (item, type(item)))


def _is_index_array(item):
    return isinstance(item, (_nd.NDArray, list)) or (
        isinstance(item, _np.ndarray) and item.ndim > 0)


def _is_advanced(key):
    if isinstance(key, tuple):
        return any(_is_index_array(item) for item in key)
    return _is_index_array(key)


def _index_array(item, extent=None, axis=0):
    """An index list/array as an int64 NDArray, bounds-checked at once
    (IndexError, as MXNet and numpy; an NDArray of indices is read back to
    check it, as MXNet does). As MXNet, float and bool indices are taken as
    integers (True is 1); others (str, object) are TypeError."""
    if isinstance(item, _nd.NDArray):
        if extent is None:
            return item
        values = item.asnumpy()
    else:
        try:
            values = _np.asarray(item)
        except ValueError:  # ragged lists
            raise TypeError("index arrays must be array like objects of "
                            "integers, got %r" % (item,))
    if values.dtype.kind not in "iufb":
        raise TypeError("index arrays must hold numbers, got dtype %s"
                        % values.dtype)
    if values.dtype.kind != "i":
        values = values.astype(_np.int64)
    if extent is not None and values.size and (
            values.max() >= extent or values.min() < -extent):
        bad = values.max() if values.max() >= extent else values.min()
        raise IndexError("index %d is out of bounds for axis %d with size %d"
                         % (bad, axis, extent))
    if isinstance(item, _nd.NDArray) and values.min(initial=0) >= 0:
        return item
    return _nd.array(_np.where(values < 0, values + (extent or 0), values),
                 dtype="int64")


def _advanced_getitem(self, key):
    """Index arrays: one array (along axis 0, or along one axis with every
    other item a full slice) takes; a tuple of arrays gathers (gather_nd)."""
    items = key if isinstance(key, tuple) else (key,)
    if all(_is_index_array(item) for item in items):
        if len(items) == 1:
            return _nd.take(self, _index_array(items[0], self.shape[0]), axis=0)
        if len(items) > self.ndim:
            raise IndexError("too many indices (%d) for array with %d "
                             "dimensions" % (len(items), self.ndim))
        arrays = [_index_array(item, self.shape[axis], axis).astype("int64")
                  for axis, item in enumerate(items)]
        shapes = [a.shape for a in arrays]
        try:
            shape = _np.broadcast_shapes(*shapes)
        except ValueError:
            raise ValueError("__getitem__: index arrays of shapes %s cannot be "
                             "broadcast together" % ", ".join(map(str, shapes)))
        arrays = [a if a.shape == shape else _nd.broadcast_to(a, shape=shape)
                  for a in arrays]
        return _nd.gather_nd(self, _nd.stack(*arrays, axis=0))
    arrays = [axis for axis, item in enumerate(items) if _is_index_array(item)]
    full = all(isinstance(item, _builtins.slice) and item == _builtins.slice(None)
               for axis, item in enumerate(items) if axis not in arrays)
    if len(arrays) == 1 and full:
        axis = arrays[0]
        return _nd.take(self, _index_array(items[axis], self.shape[axis], axis),
                        axis=axis)
    if all(isinstance(item, (_builtins.slice, int, _np.integer)) or _is_index_array(item)
           for item in items):
        return _mixed_getitem(self, items)
    raise MXNetError("__getitem__: index arrays mixed with Ellipsis or None are "
                     "not supported; spell out the slices (x[idx, :, :])")


def _mixed_getitem(self, items):
    """Index arrays and ints mixed with slices, as numpy (and MXNet) index:
    the slices apply first; the arrays and ints, broadcast together, gather
    along their axes; the gathered dimensions replace the indexed axes when
    those are adjacent, and come first otherwise."""
    if len(items) > self.ndim:
        raise IndexError("too many indices (%d) for array with %d dimensions"
                         % (len(items), self.ndim))
    items = list(items) + [_builtins.slice(None)] * (self.ndim - len(items))
    indexed = [axis for axis, item in enumerate(items)
               if not isinstance(item, _builtins.slice)]
    # 1. The slices (the indexed axes kept whole).
    begin = tuple(item.start if isinstance(item, _builtins.slice) else None for item in items)
    end = tuple(item.stop if isinstance(item, _builtins.slice) else None for item in items)
    step = tuple((item.step or 1) if isinstance(item, _builtins.slice) else 1 for item in items)
    sliced = _nd.slice(self, begin=begin, end=end, step=step)
    # 2. Index arrays (ints as 0-d ones), bounds-checked, broadcast together.
    arrays = []
    for axis in indexed:
        item = items[axis]
        if isinstance(item, (int, _np.integer)):
            extent = self.shape[axis]
            if not -extent <= int(item) < extent:
                raise IndexError("index %d is out of bounds for axis %d with "
                                 "size %d" % (item, axis, extent))
            item = [int(item) % extent]
            arrays.append(_index_array(item, extent, axis).astype("int64").reshape(()))
            continue
        arrays.append(_index_array(item, self.shape[axis], axis).astype("int64"))
    shapes = [a.shape for a in arrays]
    try:
        shape = _np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError("__getitem__: index arrays of shapes %s cannot be "
                         "broadcast together" % ", ".join(map(str, shapes)))
    arrays = [a if a.shape == shape else _nd.broadcast_to(a.reshape((1,) * (len(shape) - a.ndim) + a.shape), shape=shape)
              for a in arrays]
    # 3. Indexed axes first, gather.
    rest = [axis for axis in range(self.ndim) if axis not in indexed]
    moved = _nd.transpose(sliced, axes=tuple(indexed + rest))
    gathered = _nd.gather_nd(moved, _nd.stack(*arrays, axis=0))
    # 4. Adjacent indexed axes: their result dimensions go where they were.
    adjacent = indexed == list(range(indexed[0], indexed[-1] + 1))
    if adjacent and indexed[0] > 0 and rest:
        before = len([axis for axis in rest if axis < indexed[0]])
        count = len(shape)
        order = (list(range(count, count + before)) + list(range(count))
                 + list(range(count + before, count + len(rest))))
        gathered = _nd.transpose(gathered, axes=tuple(order))
    return gathered


_view = _op_gen.invoke_view


def _basic_view(self, key):
    begin, end, step, dropped, new_axes = _index_list(key, self.shape)
    result = self
    if begin:
        result = _view("slice", self, begin=tuple(begin), end=tuple(end),
                       step=tuple(1 if s is None else s for s in step))
    return result, dropped, new_axes


def getitem(self, key):
    """MXNet's indexing: ints, slices, Ellipsis, None, and an array or list
    of indices along the first axis (a copy, as take).

    As in MXNet, the result shares memory with `self` when the region is
    contiguous (x[1], x[1:3], x[1, 2:4]) and is a copy otherwise (x[::2],
    x[:, 1]): writes into either then never show in the other."""
    if _is_advanced(key):
        return _advanced_getitem(self, key)
    result, dropped, new_axes = _basic_view(self, key)
    if result is not self and not result._is_contiguous:
        result = result.copy()
    if dropped:
        shape = [extent for axis, extent in enumerate(result.shape)
                 if axis not in dropped]
        # MXNet's legacy arrays have no rank 0: x[i] of a vector is (1,).
        result = _view("reshape", result, shape=tuple(shape) if shape else (1,))
    for axis in new_axes:
        result = _view("expand_dims", result,
                       axis=_builtins.min(axis, result.ndim))
    return result


def _value_shape(value):
    return getattr(value, "shape", _np.shape(value))


def _broadcast_value(source, shape):
    """source (an NDArray) broadcast to `shape` for x[key] = source: ValueError,
    as MXNet, when it cannot be (leading extents of 1 beyond shape's rank
    are dropped, as numpy does)."""
    extents = tuple(source.shape)
    while len(extents) > len(shape) and extents[0] == 1:
        extents = extents[1:]
    shape = tuple(shape)
    if len(extents) > len(shape) or any(
            v not in (1, t) for v, t in zip(extents[::-1], shape[::-1])):
        raise ValueError("operands could not be broadcast together with "
                         "remapped shapes [original->remapped]: %s and "
                         "requested shape %s" % (tuple(source.shape), shape))
    if extents != tuple(source.shape):
        source = source.reshape(extents if extents else (1,))
    if source.shape != shape and shape:
        source = _nd.broadcast_to(source, shape=shape)
    return source


def setitem(self, key, value):
    """x[key] = value: writes value (broadcast, converted to x's dtype)
    into the region key selects."""
    if _is_advanced(key):
        if isinstance(key, tuple):
            raise MXNetError("__setitem__: assignment through index arrays "
                             "supports one array along the first axis "
                             "(x[idx] = value)")
        source = value if isinstance(value, _nd.NDArray) else _nd.array(value, dtype=self.dtype)
        rows = _index_array(key, self.shape[0] if self.ndim else None)
        source = _broadcast_value(source, tuple(rows.shape) + tuple(self.shape[1:]))
        _nd._set_rows(self, rows, source, out=self)
        return
    region, dropped, _ = _basic_view(self, key)
    if isinstance(value, _nd.NDArray):
        source = value
    elif isinstance(value, (_numbers.Number, _np.generic)):
        source = _nd.full((1,), value, dtype=self.dtype)
    elif isinstance(value, (_np.ndarray, list, tuple)) or value is None:
        source = _nd.array(value, dtype=self.dtype)
    else:
        raise TypeError("NDArray does not support assignment with "
                        "non-array-like object %r of type %s"
                        % (value, type(value)))
    if region.size == 0:
        return
    if dropped:
        # The value is shaped like the indexed result (integer axes gone).
        squeezed = tuple(extent for axis, extent in enumerate(region.shape)
                         if axis not in dropped)
        source = _broadcast_value(source, squeezed)
        source = source.reshape(region.shape)
    else:
        source = _broadcast_value(source, region.shape)
    _core.assign(region, source)


