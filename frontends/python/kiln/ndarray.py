"""mx.nd: imperative arrays.

Operations return at once; the dependency engine runs them in the background.
Reading values (``asnumpy``, ``wait_to_read``) waits for them.
"""
import numpy as _np

from . import _core
from .context import Context, cpu

NDArray = _core.NDArray

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


def elemwise_add(lhs, rhs):
    """``lhs + rhs`` for arrays of one shape and dtype."""
    return _core.elemwise_add(lhs, rhs)


def waitall():
    """Waits for all pending operations; raises the first pending error."""
    _core.waitall()


__all__ = ["NDArray", "array", "elemwise_add", "waitall"]
