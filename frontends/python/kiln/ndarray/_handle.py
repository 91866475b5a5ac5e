"""NDArray.handle, as MXNet 1.9.1's attribute: a ctypes.c_void_p naming the
array. MXNet's is its C library's NDArrayHandle, passed to that library's
functions; kiln has no such library, so the handle is an opaque token (the
address of the Python object), the same for the same array and different
for different ones, as code that compares or keys by handles needs."""
import ctypes

from .ndarray import NDArray

__all__ = []


def _handle(self):
    return ctypes.c_void_p(id(self))


NDArray.handle = property(_handle, doc=_handle.__doc__ or __doc__)
