"""The ctypes layout of DLPack's structures, under the names MXNet 1.9.1's
mxnet.ndarray.ndarray gives them (DLContext, DLDataType, DLTensor,
DLManagedTensor, DeleterFunc, PyCapsuleDestructor, and the deleter of a
DLManagedTensor that holds a Python object, dl_managed_tensor_deleter).

kiln exchanges DLPack capsules in C++ (NDArray.to_dlpack_for_read,
from_dlpack, from_numpy); these are for code that builds or reads the
structures itself through ctypes, as MXNet's from_numpy does.
"""
import ctypes

__all__ = ["DLContext", "DLDataType", "DLTensor", "DLManagedTensor",
           "DeleterFunc", "PyCapsuleDestructor", "dl_managed_tensor_deleter"]

# The destructor a PyCapsule calls with the capsule (PyObject *).
PyCapsuleDestructor = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class DLContext(ctypes.Structure):
    """DLPack's device: device_type (1: CPU, 2: GPU, ...) and device_id."""
    _fields_ = [("device_type", ctypes.c_int),
                ("device_id", ctypes.c_int)]


class DLDataType(ctypes.Structure):
    """DLPack's element type: type_code (0 int, 1 uint, 2 float), bits,
    lanes. TYPE_MAP: numpy dtype name -> (type_code, bits, lanes) for the
    dtypes MXNet exchanges."""
    _fields_ = [("type_code", ctypes.c_uint8),
                ("bits", ctypes.c_uint8),
                ("lanes", ctypes.c_uint16)]
    TYPE_MAP = {
        "int32": (0, 32, 1),
        "int64": (0, 64, 1),
        "bool": (1, 1, 1),
        "uint8": (1, 8, 1),
        "uint32": (1, 32, 1),
        "uint64": (1, 64, 1),
        "float16": (2, 16, 1),
        "float32": (2, 32, 1),
        "float64": (2, 64, 1),
    }


class DLTensor(ctypes.Structure):
    """DLPack's tensor view: data pointer, device, rank, element type,
    shape and strides (int64 arrays; strides NULL: C order) and a byte
    offset into data."""
    _fields_ = [("data", ctypes.c_void_p),
                ("ctx", DLContext),
                ("ndim", ctypes.c_int),
                ("dtype", DLDataType),
                ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("byte_offset", ctypes.c_uint64)]


class DLManagedTensor(ctypes.Structure):
    """A DLTensor with its owner: manager_ctx (here a Python object's
    address) and the deleter the consumer calls when done."""


# The deleter's type: void (*)(DLManagedTensor *).
DeleterFunc = ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensor))

DLManagedTensor._fields_ = [("dl_tensor", DLTensor),
                            ("manager_ctx", ctypes.c_void_p),
                            ("deleter", DeleterFunc)]


@DeleterFunc
def dl_managed_tensor_deleter(dl_managed_tensor_handle):
    """Releases the Python object (one reference) that a DLManagedTensor's
    manager_ctx holds, when its consumer is done with it."""
    holder = ctypes.cast(dl_managed_tensor_handle.contents.manager_ctx,
                         ctypes.py_object)
    ctypes.pythonapi.Py_DecRef(holder)
