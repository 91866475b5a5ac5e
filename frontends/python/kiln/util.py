"""mx.util: MXNet's general helpers: the numpy-mode switches, environment
variables, GPU queries, decorators for numpy-style functions.

kiln runs MXNet 1.x semantics (mx.nd) only. The numpy-mode switches exist
and report False; turning numpy shape or array semantics on (set_np,
set_np_shape(True), np_shape(), np_array(), a call of a function decorated
with use_np) raises MXNetError. Turning them off is always allowed.
"""
import functools as _functools
import inspect as _inspect
import os as _os

from .base import MXNetError


def _numpy_mode_unsupported(what):
    raise MXNetError("%s: numpy mode (mx.np, numpy shape/array semantics) is "
                     "not supported; kiln runs MXNet 1.x's mx.nd semantics"
                     % what)


def is_np_shape():
    """Whether numpy shape semantics (0-d and zero-size arrays) are on:
    always False in kiln."""
    return False


def is_np_array():
    """Whether numpy array semantics (mx.np) are on: always False in kiln."""
    return False


def set_np_shape(active):
    """Turns numpy shape semantics on or off; returns the previous state
    (False). MXNetError when `active` is true."""
    if active:
        _numpy_mode_unsupported("set_np_shape(True)")
    return False


def set_np(shape=True, array=True):
    """Turns numpy shape and array semantics on or off. ValueError for
    array without shape (as MXNet); MXNetError for either on."""
    if not shape and array:
        raise ValueError("NumPy Shape semantics is required in using NumPy "
                         "array semantics.")
    if shape or array:
        _numpy_mode_unsupported("set_np(shape=%s, array=%s)" % (shape, array))


def reset_np():
    """Turns numpy semantics off (they always are in kiln)."""
    set_np(shape=False, array=False)


class _NumpyModeScope(object):
    """A `with` block under numpy shape or array semantics: MXNetError on
    entry when active, nothing otherwise."""

    def __init__(self, what, active):
        self._what = what
        self._active = active

    def __enter__(self):
        if self._active:
            _numpy_mode_unsupported(self._what)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        pass


def np_shape(active=True):
    """``with np_shape(active):`` runs the block under numpy shape semantics
    (MXNetError when active) or without them."""
    return _NumpyModeScope("np_shape(True)", active)


def np_array(active=True):
    """``with np_array(active):`` runs the block under numpy array semantics
    (MXNetError when active) or without them."""
    return _NumpyModeScope("np_array(True)", active)


def _numpy_mode_decorator(what):
    """A decorator whose functions (or a class's methods) raise MXNetError
    when called, since they would run in numpy mode. Decorating itself
    works, so modules that use it still import."""
    def decorate(func):
        if _inspect.isclass(func):
            for name, method in _inspect.getmembers(func, _inspect.isfunction):
                setattr(func, name, decorate(method))
            return func
        if not callable(func):
            raise TypeError("%s can only decorate a class or a function, got %s"
                            % (what, type(func).__name__))

        @_functools.wraps(func)
        def unsupported(*args, **kwargs):
            _numpy_mode_unsupported("%s(%s)" % (what, func.__name__))
        return unsupported
    return decorate


use_np_shape = _numpy_mode_decorator("use_np_shape")
use_np_array = _numpy_mode_decorator("use_np_array")
use_np = _numpy_mode_decorator("use_np")


def set_module(module):
    """A decorator setting a function's __module__ (for docs and repr)."""
    def decorator(func):
        if module is not None:
            func.__module__ = module
        return func
    return decorator


# numpy ufunc keywords and their defaults, for wrap_np_*_func.
_np_ufunc_default_kwargs = {"where": True, "casting": "same_kind", "order": "K",
                            "dtype": None, "subok": True}


def np_ufunc_legal_option(key, value):
    """Whether `value` is a legal value of the numpy ufunc keyword `key`."""
    if key == "where":
        return True
    if key == "casting":
        return value in ("no", "equiv", "safe", "same_kind", "unsafe")
    if key == "order":
        return isinstance(value, str)
    if key == "dtype":
        import numpy as np
        return value in (np.int8, np.uint8, np.int32, np.int64, np.float16,
                         np.float32, np.float64, "int8", "uint8", "int32",
                         "int64", "float16", "float32", "float64")
    if key == "subok":
        return isinstance(value, bool)
    return False


def _check_ufunc_kwargs(func, kwargs):
    for key, value in kwargs.items():
        if key not in _np_ufunc_default_kwargs:
            raise TypeError("%s is an invalid keyword to function '%s'"
                            % (key, func.__name__))
        if value != _np_ufunc_default_kwargs[key]:
            if np_ufunc_legal_option(key, value):
                raise NotImplementedError("%s=%s is not implemented yet for "
                                          "operator %s" % (key, value, func.__name__))
            raise TypeError("%s=%s not understood for operator %s"
                            % (key, value, func.__name__))


def wrap_np_unary_func(func):
    """func(x, out=None) accepting numpy's ufunc keywords at their defaults
    (TypeError for unknown ones, NotImplementedError for other values)."""
    @_functools.wraps(func)
    def wrapper(x, out=None, **kwargs):
        _check_ufunc_kwargs(func, kwargs)
        return func(x, out=out)
    return wrapper


def wrap_np_binary_func(func):
    """func(x1, x2, out=None) accepting numpy's ufunc keywords at their
    defaults, as wrap_np_unary_func."""
    @_functools.wraps(func)
    def wrapper(x1, x2, out=None, **kwargs):
        _check_ufunc_kwargs(func, kwargs)
        return func(x1, x2, out=out)
    return wrapper


def getenv(name):
    """The environment variable `name` as the C++ side sees it, or None."""
    return _os.environ.get(name)


def setenv(name, value):
    """Sets (or, with None, unsets) an environment variable for Python and
    the C++ side alike."""
    if value is None:
        _os.environ.pop(name, None)
    else:
        _os.environ[name] = str(value)


def makedirs(d):
    """Creates directory `d` and its parents; no error if it exists."""
    _os.makedirs(_os.path.expanduser(d), exist_ok=True)


def get_gpu_count():
    """How many GPUs kiln can use: 0."""
    return 0


def get_gpu_memory(gpu_dev_id):
    """(free, total) bytes of a GPU in MXNet; MXNetError in kiln."""
    raise MXNetError("get_gpu_memory: no GPU is available to kiln "
                     "(get_gpu_count() is 0)")


def get_cuda_compute_capability(ctx):
    """A GPU's CUDA compute capability in MXNet: ValueError for a context
    that is not a GPU, MXNetError otherwise (kiln has no CUDA)."""
    if ctx.device_type != "gpu":
        raise ValueError("Expecting a gpu context to get cuda compute "
                         "capability, while received ctx %s" % ctx)
    raise MXNetError("get_cuda_compute_capability: kiln has no CUDA back end")


__all__ = ["is_np_shape", "is_np_array", "set_np_shape", "set_np", "reset_np",
           "np_shape", "np_array", "use_np_shape", "use_np_array", "use_np",
           "set_module", "np_ufunc_legal_option", "wrap_np_unary_func",
           "wrap_np_binary_func", "getenv", "setenv", "makedirs",
           "get_gpu_count", "get_gpu_memory", "get_cuda_compute_capability"]
