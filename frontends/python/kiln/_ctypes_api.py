"""The ctypes half of MXNet 1.9.1's mxnet/base.py, for code that imports
it: the C types (mx_int, mx_uint, mx_int64, mx_float, mx_float_p), the
handle types (NDArrayHandle, SymbolHandle, ... all ctypes.c_void_p),
MXCallbackList, the
array and string converters (c_str, c_str_array, c_array, c_array_buf,
c_handle_array, ctypes2buffer, ctypes2numpy_shared) and the error
translation (c2pyerror, get_last_ffi_error, check_call).

kiln.base re-exports them. kiln's core is a pybind11 module, not a C
library called through ctypes, so there is no _LIB and nothing here calls
one: check_call raises for a nonzero status code as MXNet's does, with the
error from get_last_ffi_error, which says that no C API call recorded
one.
"""
import ctypes

import numpy as np

mx_int = ctypes.c_int
mx_uint = ctypes.c_uint
mx_int64 = ctypes.c_int64
mx_float = ctypes.c_float
mx_float_p = ctypes.POINTER(mx_float)
NDArrayHandle = ctypes.c_void_p
FunctionHandle = ctypes.c_void_p
OpHandle = ctypes.c_void_p
CachedOpHandle = ctypes.c_void_p
SymbolHandle = ctypes.c_void_p
ExecutorHandle = ctypes.c_void_p
DataIterCreatorHandle = ctypes.c_void_p
DataIterHandle = ctypes.c_void_p
KVStoreHandle = ctypes.c_void_p
RecordIOHandle = ctypes.c_void_p
RtcHandle = ctypes.c_void_p
CudaModuleHandle = ctypes.c_void_p
CudaKernelHandle = ctypes.c_void_p
ProfileHandle = ctypes.c_void_p
DLPackHandle = ctypes.c_void_p


class MXCallbackList(ctypes.Structure):
    """The callbacks a C custom operator's property hands over: their
    count, the functions and their context pointers (MXNet's layout)."""
    _fields_ = [
        ("num_callbacks", ctypes.c_int),
        ("callbacks", ctypes.POINTER(ctypes.CFUNCTYPE(ctypes.c_int))),
        ("contexts", ctypes.POINTER(ctypes.c_void_p)),
    ]


def c_str(string):
    """A ctypes char * holding `string` in UTF-8."""
    return ctypes.c_char_p(string.encode("utf-8"))


def c_str_array(strings):
    """A ctypes char *[] holding each of `strings` in UTF-8."""
    array = (ctypes.c_char_p * len(strings))()
    array[:] = [string.encode("utf-8") for string in strings]
    return array


def c_array(ctype, values):
    """A ctypes array of `ctype` holding `values` (a list or tuple)."""
    array = (ctype * len(values))()
    array[:] = values
    return array


def c_array_buf(ctype, buf):
    """A ctypes array of `ctype` over the writable buffer `buf` (an
    array.array), sharing its memory."""
    return (ctype * len(buf)).from_buffer(buf)


def c_handle_array(objs):
    """A ctypes void *[] of the objects' `handle` attributes."""
    array = (ctypes.c_void_p * len(objs))()
    array[:] = [obj.handle for obj in objs]
    return array


def ctypes2buffer(cptr, length):
    """A bytearray copy of `length` bytes at cptr (a POINTER(c_char);
    TypeError for another pointer type)."""
    if not isinstance(cptr, ctypes.POINTER(ctypes.c_char)):
        raise TypeError("expected char pointer")
    result = bytearray(length)
    target = (ctypes.c_char * length).from_buffer(result)
    if not ctypes.memmove(target, cptr, length):
        raise RuntimeError("memmove failed")
    return result


def ctypes2numpy_shared(cptr, shape):
    """A float32 numpy array of `shape` over the memory at cptr (a
    POINTER(mx_float); RuntimeError for another type), sharing it."""
    if not isinstance(cptr, ctypes.POINTER(mx_float)):
        raise RuntimeError("expected float pointer")
    size = int(np.prod(shape, dtype=np.int64)) if len(shape) else 1
    buffer = (mx_float * size).from_address(ctypes.addressof(cptr.contents))
    return np.frombuffer(buffer, dtype=np.float32).reshape(shape)


def _error_name(line):
    """The error class named before the first ':' of a message's first
    line (letters, digits, '_' and '.'), else None."""
    name, colon, _ = line.partition(":")
    if colon and name and all(c.isalnum() or c in "_." for c in name):
        return name
    return None


def c2pyerror(err_msg):
    """(message, error class name or None) of a C++ error message: the
    "Stack trace:" block's indented lines become a Python-style traceback
    (innermost last) ahead of the remaining lines."""
    lines = err_msg.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    kind = _error_name(lines[0]) if lines else None
    frames, message, in_trace = [], [], False
    for line in lines:
        if in_trace and not line.startswith("  "):
            in_trace = False
        if in_trace:
            frames.append(line)
        elif line.startswith("Stack trace"):
            in_trace = True
        else:
            message.append(line)
    text = ""
    if frames:
        text = ("Traceback (most recent call last):\n" +
                "\n".join(reversed(frames)) + "\n")
    return text + "\n".join(message), kind


def get_last_ffi_error():
    """The error of the last failed C API call, as MXNet's: kiln makes no
    C API calls, so an MXNetError that says so."""
    from .base import MXNetError
    return MXNetError("kiln has no C library: no C API call recorded an "
                      "error (kiln's errors are raised where they occur)")


def check_call(ret):
    """Raises get_last_ffi_error() when `ret`, a C API status, is nonzero."""
    if ret != 0:
        raise get_last_ffi_error()
