"""Pickles of optimizer states in Apache MXNet's layout, both ways.

MXNet pickles an NDArray as ``mxnet.ndarray.ndarray.NDArray`` rebuilt from
``{'handle': bytearray(the array in MXNet's save format)}``, and names
every class by its ``mxnet.`` module. `dumps` writes that layout (kiln's
``kiln.X`` classes named ``mxnet.X``), so MXNet 1.9.1 loads what kiln's
Updater.get_states gives; `loads` reads it, and kiln's own pickles, mapping
``mxnet.X`` back to ``kiln.X`` (without importing Apache MXNet where it is
installed too).

Both use the pure-Python pickle classes: the C ones cannot write a class
under another module's name, nor replace an object while loading.
"""
import io
import os
import pickle
import tempfile

from ..ndarray import NDArray, save
from ..ndarray.utils import _load_raw_bytes

# MXNet's list file around one array: magic, reserved and count before it,
# the (empty) name list after it.
_LIST_HEADER_BYTES = 24
_LIST_TRAILER_BYTES = 8
_PROTOCOL = 4  # Python 3.8-3.13's default, what MXNet's pickle.dumps writes


class _MXNetNDArray(object):
    """Stands for mxnet.ndarray.ndarray.NDArray in a pickle being written."""


class _PendingNDArray(object):
    """An MXNet NDArray being loaded: made by REDUCE, replaced at BUILD."""

    def __init__(self, *args):
        pass


def _raw_bytes(array):
    """`array` in MXNet's single-NDArray format (shape, dtype, data)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "array.params")
        save(path, [array])
        with open(path, "rb") as handle:
            framed = handle.read()
    return framed[_LIST_HEADER_BYTES:len(framed) - _LIST_TRAILER_BYTES]


def _mxnet_module(module):
    if module == "kiln" or (module or "").startswith("kiln."):
        return "mxnet" + module[len("kiln"):]
    return None


class _Pickler(pickle._Pickler):  # pylint: disable=protected-access

    def reducer_override(self, obj):
        if isinstance(obj, NDArray):
            return (_MXNetNDArray, (None,),
                    {"handle": bytearray(_raw_bytes(obj))})
        return NotImplemented

    def save_global(self, obj, name=None):
        if obj is _MXNetNDArray:
            module, name = "mxnet.ndarray.ndarray", "NDArray"
        else:
            module = _mxnet_module(getattr(obj, "__module__", None))
            if module is None:
                pickle._Pickler.save_global(self, obj, name)
                return
            name = name or obj.__qualname__
        self.save(module)
        self.save(name)
        self.write(pickle.STACK_GLOBAL)
        self.memoize(obj)


class _Unpickler(pickle._Unpickler):  # pylint: disable=protected-access

    dispatch = dict(pickle._Unpickler.dispatch)

    def find_class(self, module, name):
        if module == "mxnet" or module.startswith("mxnet."):
            module = "kiln" + module[len("mxnet"):]
        if (module, name) == ("kiln.ndarray.ndarray", "NDArray"):
            return _PendingNDArray
        return pickle._Unpickler.find_class(self, module, name)

    def load_build(self):
        if not isinstance(self.stack[-2], _PendingNDArray):
            pickle._Unpickler.load_build(self)
            return
        state = self.stack.pop()
        pending = self.stack[-1]
        loaded = _load_raw_bytes(state["handle"])
        self.stack[-1] = loaded
        for key, value in self.memo.items():
            if value is pending:
                self.memo[key] = loaded

    dispatch[pickle.BUILD[0]] = load_build


def dumps(obj):
    """Pickle bytes of `obj` in MXNet's layout."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=_PROTOCOL).dump(obj)
    return buffer.getvalue()


def loads(data):
    """The object pickled in `data`, by MXNet or by kiln."""
    return _Unpickler(io.BytesIO(bytes(data))).load()
