"""Shared definitions, as MXNet's mxnet/base.py has them: the error types,
the Python type groups (integer_types, numeric_types, string_types), and
small helpers (py_str, _as_list, classproperty, with_metaclass, data_dir).

MXNet's ctypes types and helpers (c_str, c_array, NDArrayHandle, ...,
check_call) come from kiln/_ctypes_api.py; there is no _LIB: kiln's C++
core is a pybind11 module (kiln._core), not a C library driven through
ctypes.
"""
import inspect as _inspect
import os as _os
import platform as _platform
import sys as _sys

import numpy as _np

from ._core import MXNetError  # a RuntimeError, as in MXNet

# Tracebacks name it where users import it from.
MXNetError.__module__ = __name__

# Python 2 names MXNet still exports.
basestring = str
long = int

integer_types = (int, _np.int32, _np.int64)
numeric_types = (float, int, _np.generic)
string_types = (str,)

# MXNet's default real type.
mx_real_t = _np.float32

from ._ctypes_api import (  # noqa: E402,F401  (MXNet's base has them)
    CachedOpHandle, CudaKernelHandle, CudaModuleHandle, DataIterCreatorHandle,
    DataIterHandle, DLPackHandle, ExecutorHandle, FunctionHandle,
    KVStoreHandle, MXCallbackList, NDArrayHandle, OpHandle, ProfileHandle,
    RecordIOHandle, RtcHandle, SymbolHandle, c2pyerror, c_array, c_array_buf, c_handle_array,
    c_str, c_str_array, check_call, ctypes2buffer, ctypes2numpy_shared,
    get_last_ffi_error, mx_float, mx_float_p, mx_int, mx_int64, mx_uint)


def py_str(data):
    """bytes from the C++ side as a str (UTF-8)."""
    return data.decode("utf-8")


def _as_list(obj):
    """obj itself if it is a list or tuple, else [obj]."""
    if isinstance(obj, (list, tuple)):
        return obj
    return [obj]


class _NullType(object):
    """The placeholder default of operator arguments left unset."""

    def __repr__(self):
        return "_Null"


_Null = _NullType()


def data_dir_default():
    """Where MXNet keeps downloaded data by default: ~/.mxnet (%APPDATA%
    \\mxnet on Windows)."""
    if _platform.system() == "Windows":
        return _os.path.join(_os.environ.get("APPDATA"), "mxnet")
    return _os.path.join(_os.path.expanduser("~"), ".mxnet")


def data_dir():
    """$MXNET_HOME, else data_dir_default()."""
    return _os.getenv("MXNET_HOME", data_dir_default())


# Error classes by name, for code that registers its own (register_error).
error_types = {}


def register_error(func_name=None, cls=None):
    """Registers an error class under its name (or `func_name`) in
    error_types; usable as a decorator, with or without the name."""
    if callable(func_name):
        cls = func_name
        func_name = cls.__name__

    def register(error_class):
        name = func_name if isinstance(func_name, str) else error_class.__name__
        error_types[name] = error_class
        return error_class
    if cls is None:
        return register
    return register(cls)


def _describe_call(kind, function, alias, args):
    message = "Function %s" % function.__name__
    if alias:
        message += ' (namely operator "%s")' % alias
    if args:
        message += " with arguments (%s)" % ", ".join(str(type(a)) for a in args)
    return message + kind


@register_error
class NotImplementedForSymbol(MXNetError):
    """Raised by a function that exists for NDArray but not for Symbol."""

    def __init__(self, function, alias, *args):
        super(NotImplementedForSymbol, self).__init__()
        self.function, self.alias, self.args = function.__name__, alias, list(args)
        self._message = _describe_call(
            " is not implemented for Symbol and only available in NDArray.",
            function, alias, args)

    def __str__(self):
        return self._message


class NotSupportedForSparseNDArray(MXNetError):
    """Raised by a function that exists for dense NDArrays only."""

    def __init__(self, function, alias, *args):
        super(NotSupportedForSparseNDArray, self).__init__()
        self.function, self.alias, self.args = function.__name__, alias, list(args)
        self._message = _describe_call(
            " is not supported for SparseNDArray and only available in NDArray.",
            function, alias, args)

    def __str__(self):
        return self._message


class _MXClassPropertyDescriptor(object):
    """What classproperty returns: a property read (and, with a setter,
    written) on the class itself."""

    def __init__(self, fget, fset=None):
        self.fget = fget
        self.fset = fset

    def __get__(self, obj, cls=None):
        if cls is None:
            cls = type(obj)
        return self.fget.__get__(obj, cls)()

    def __set__(self, obj, value):
        if not self.fset:
            raise MXNetError("cannot use the setter: %s to set attribute"
                             % obj.__name__)
        if _inspect.isclass(obj):
            owner, obj = obj, None
        else:
            owner = type(obj)
        return self.fset.__get__(obj, owner)(value)

    def setter(self, func):
        if not isinstance(func, (classmethod, staticmethod)):
            func = classmethod(func)
        self.fset = func
        return self


class _MXClassPropertyMetaClass(type):
    """Lets `Cls.prop = value` go through a classproperty's setter."""

    def __setattr__(cls, key, value):
        descriptor = cls.__dict__.get(key)
        if descriptor and isinstance(descriptor, _MXClassPropertyDescriptor):
            return descriptor.__set__(cls, value)
        return super(_MXClassPropertyMetaClass, cls).__setattr__(key, value)


def classproperty(func):
    """A property of the class (Context.default_ctx); the class's metaclass
    must be _MXClassPropertyMetaClass for its setter to work."""
    if not isinstance(func, (classmethod, staticmethod)):
        func = classmethod(func)
    return _MXClassPropertyDescriptor(func)


def with_metaclass(meta, *bases):
    """A base class that gives its subclasses the metaclass `meta`."""
    class metaclass(type):
        def __new__(cls, name, this_bases, namespace):
            return meta(name, bases, namespace)

        @classmethod
        def __prepare__(cls, name, this_bases):
            return meta.__prepare__(name, bases)
    return type.__new__(metaclass, "temporary_class", (), {})


def build_param_doc(arg_names, arg_types, arg_descs, remove_dup=True):
    """The 'Parameters' section of a numpy-style docstring from parallel
    lists of argument names, type descriptions and descriptions."""
    seen = set()
    entries = []
    for name, type_info, description in zip(arg_names, arg_types, arg_descs):
        if (name in seen and remove_dup) or name == "num_args":
            continue
        seen.add(name)
        entry = "%s : %s" % (name, type_info)
        if description:
            entry += "\n    " + description
        entries.append(entry)
    return "Parameters\n----------\n%s\n" % "\n".join(entries)


def add_fileline_to_docstring(module, incursive=True):
    """Appends 'From:<file>:<line>' to the docstring of each function (and,
    with incursive, each class's methods) defined in `module` (a module or
    its name)."""
    def add_fileline(obj):
        if obj.__doc__ is None or "From:" in obj.__doc__:
            return
        try:
            filename = _inspect.getsourcefile(obj)
            line = _inspect.getsourcelines(obj)[-1]
        except (IOError, OSError, TypeError):
            return
        if filename is not None:
            obj.__doc__ += "\n\nFrom:%s:%d" % (filename, line)

    if isinstance(module, str):
        module = _sys.modules[module]
    for _, obj in _inspect.getmembers(module):
        if _inspect.isbuiltin(obj):
            continue
        if _inspect.isfunction(obj):
            add_fileline(obj)
        if _inspect.ismethod(obj):
            add_fileline(obj.__func__)
        if _inspect.isclass(obj) and incursive:
            add_fileline_to_docstring(obj, False)


__all__ = ["MXNetError"]
