"""mx.nd.utils: the creation and file functions that take every storage
type in MXNet (zeros, empty, array with stype or scipy sparse input) and
save/load in MXNet's binary format. kiln stores arrays densely: a sparse
request raises MXNetError (see sparse.py)."""
import os as _os
import struct as _struct

from .. import _core
from ..base import MXNetError
from . import ndarray as _dense
from .ndarray import NDArray


def _is_dense(stype):
    return stype in (None, "default")


def zeros(shape, ctx=None, dtype=None, stype=None, **kwargs):
    """An array of zeros of `shape` (an int or tuple), float32 unless dtype
    says otherwise. stype 'csr'/'row_sparse' raise MXNetError."""
    if not _is_dense(stype):
        from .sparse import zeros as sparse_zeros
        return sparse_zeros(stype, shape, ctx=ctx, dtype=dtype, **kwargs)
    return _dense.zeros(shape, ctx=ctx, dtype=dtype, **kwargs)


def empty(shape, ctx=None, dtype=None, stype=None):
    """An array of `shape` to be overwritten (kiln gives zeros); a sparse
    stype raises MXNetError."""
    if not _is_dense(stype):
        from .sparse import empty as sparse_empty
        return sparse_empty(stype, shape, ctx=ctx, dtype=dtype)
    return _dense.empty(shape, ctx=ctx, dtype=dtype)


def _is_scipy_sparse(source):
    return type(source).__module__.startswith("scipy.sparse")


def array(source_array, ctx=None, dtype=None):
    """A new array from an array-like (see ndarray.array for dtypes); a
    scipy.sparse matrix raises MXNetError, as kiln has no sparse storage."""
    if _is_scipy_sparse(source_array):
        from .sparse import array as sparse_array
        return sparse_array(source_array, ctx=ctx, dtype=dtype)
    return _dense.array(source_array, ctx=ctx, dtype=dtype)


def save(fname, data):
    """Writes arrays to `fname` in MXNet's binary format: an NDArray, a list
    of them, or a dict of name -> NDArray (Gluon's .params files). As
    MXNet: ValueError for other data, TypeError for a list or dict holding
    other values or a dict key that is not a string, AttributeError for a
    file name that is no string (an os.PathLike is taken too); MXNetError
    when the file cannot be written."""
    if not isinstance(fname, (str, _os.PathLike)):
        raise AttributeError("save: fname expected a str, got %r of type %s"
                             % (fname, type(fname).__name__))
    if isinstance(data, NDArray):
        arrays, names = [data], []
    elif isinstance(data, dict):
        names = list(data.keys())
        arrays = list(data.values())
        for name in names:
            if not isinstance(name, str):
                raise TypeError("save only accept dict str->NDArray or list "
                                "of NDArray: dict key %r is a %s"
                                % (name, type(name).__name__))
    elif isinstance(data, (list, tuple)):
        arrays, names = list(data), []
    else:
        raise ValueError("data needs to either be a NDArray, dict of str, "
                         "NDArray pairs or a list of NDarrays; got %s"
                         % type(data).__name__)
    for index, value in enumerate(arrays):
        if not isinstance(value, NDArray):
            raise TypeError("save only accept dict str->NDArray or list of "
                            "NDArray: item %s is a %s"
                            % (names[index] if names else index,
                               type(value).__name__))
    _core.save_ndarrays(_os.fspath(fname), arrays, names)


def _loaded(arrays, names):
    if names:
        return dict(zip(names, arrays))
    return arrays


def load(fname):
    """Reads a file written by save (or by Apache MXNet): a list of
    NDArrays, or a dict of name -> NDArray when the file has names.
    TypeError for a file name that is no string (an os.PathLike is taken
    too), as MXNet; MXNetError for a file missing or not in the format."""
    if not isinstance(fname, (str, _os.PathLike)):
        raise TypeError("fname required to be a string, got %r of type %s"
                        % (fname, type(fname).__name__))
    return _loaded(*_core.load_ndarrays(_os.fspath(fname)))


def load_frombuffer(buf):
    """load() from the bytes of such a file."""
    return _loaded(*_core.load_ndarrays_from_buffer(bytes(buf)))


# MXNet's list file: magic, reserved, the arrays, the names.
_LIST_MAGIC = 0x112


def _load_raw_bytes(raw):
    """The one array in `raw`, MXNet's bytes of a single NDArray (what its
    NDArray pickles hold), read by wrapping them as a one-array list file."""
    framed = (_struct.pack("<QQQ", _LIST_MAGIC, 0, 1) + bytes(raw)
              + _struct.pack("<Q", 0))
    arrays, _ = _core.load_ndarrays_from_buffer(framed)
    return arrays[0]


__all__ = ["zeros", "empty", "array", "load", "load_frombuffer", "save"]
