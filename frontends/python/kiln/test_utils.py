"""mx.test_utils: MXNet's testing helpers, for kiln's tests and users' own.

check_numeric_gradient takes a Python function of NDArrays where MXNet takes
a Symbol (kiln has no symbols yet): it compares autograd's gradient of
sum(f(*inputs) * random_projection) with central finite differences.
"""
import contextlib
import os
import random as _pyrandom

import numpy as _np

from . import autograd as _autograd
from . import ndarray as _nd
from .base import MXNetError
from .context import Context, cpu

_DEFAULT_CONTEXT = [cpu()]


def default_context():
    """The context tests run on (cpu(0) unless set_default_context says)."""
    return _DEFAULT_CONTEXT[0]


def set_default_context(ctx):
    _DEFAULT_CONTEXT[0] = Context(ctx)


def default_dtype():
    return _np.float32


def _as_numpy(value):
    if isinstance(value, _nd.NDArray):
        return value.asnumpy()
    return _np.asarray(value)


_TOLERANCES = {  # dtype -> (rtol, atol), as MXNet's defaults
    _np.dtype(_np.float16): (1e-2, 1e-4),
    _np.dtype(_np.float32): (1e-4, 1e-5),
    _np.dtype(_np.float64): (1e-5, 1e-20),
}


def _tolerances(a, b, rtol, atol):
    dtype = _np.result_type(a.dtype, b.dtype)
    default_rtol, default_atol = _TOLERANCES.get(_np.dtype(dtype), (1e-4, 1e-5))
    return (default_rtol if rtol is None else rtol,
            default_atol if atol is None else atol)


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """Whether |a - b| <= atol + rtol * |b| everywhere."""
    a, b = _as_numpy(a), _as_numpy(b)
    rtol, atol = _tolerances(a, b, rtol, atol)
    if not use_broadcast and a.shape != b.shape:
        return False
    return bool(_np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def assert_almost_equal(a, b, rtol=None, atol=None, names=("a", "b"),
                        equal_nan=False, use_broadcast=True, mismatches=(10, 10)):
    """Raises AssertionError, naming the worst element, unless a and b are
    almost equal (MXNet's check)."""
    a_np, b_np = _as_numpy(a), _as_numpy(b)
    rtol, atol = _tolerances(a_np, b_np, rtol, atol)
    if not use_broadcast and a_np.shape != b_np.shape:
        raise AssertionError("shapes differ: %s %s vs %s %s"
                             % (names[0], a_np.shape, names[1], b_np.shape))
    if _np.allclose(a_np, b_np, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    a64, b64 = _np.broadcast_arrays(a_np.astype(_np.float64), b_np.astype(_np.float64))
    error = _np.abs(a64 - b64) / (atol + rtol * _np.abs(b64))
    error = _np.where(_np.isnan(error), _np.inf, error)
    index = _np.unravel_index(_np.argmax(error), error.shape) if error.ndim else ()
    raise AssertionError(
        "Items are not equal:\nError %f exceeds tolerance rtol=%g, atol=%g. "
        "Location of maximum error: %s, %s=%r, %s=%r\n %s: %s\n %s: %s"
        % (float(error[index]), rtol, atol, index, names[0], a64[index],
           names[1], b64[index], names[0], a_np, names[1], b_np))


def same(a, b):
    """Exact equality of two arrays (values and shape)."""
    return _np.array_equal(_as_numpy(a), _as_numpy(b))


def assert_exception(f, exception_type, *args, **kwargs):
    """Asserts that f(*args, **kwargs) raises exception_type."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError("%s was not raised" % exception_type.__name__)


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    low = 0 if allow_zero_size else 1
    return _pyrandom.randint(low, dim0), _pyrandom.randint(low, dim1)


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    low = 0 if allow_zero_size else 1
    return (_pyrandom.randint(low, dim0), _pyrandom.randint(low, dim1),
            _pyrandom.randint(low, dim2))


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    low = 0 if allow_zero_size else 1
    return tuple(_np.random.randint(low, dim + 1, size=num_dim).tolist())


def random_arrays(*shapes):
    """Standard-normal float32 numpy arrays of the shapes (a scalar for ())."""
    arrays = [_np.array(_np.random.randn(), dtype=_np.float32) if shape == ()
              else _np.random.randn(*shape).astype(_np.float32)
              for shape in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def rand_ndarray(shape, stype="default", density=None, dtype=None,
                 modifier_func=None, shuffle_csr_indices=False,
                 distribution=None, ctx=None):
    """A random dense NDArray (uniform in [0, 1), as MXNet's)."""
    if stype != "default":
        raise MXNetError("rand_ndarray: stype '%s' is not supported; kiln "
                         "has dense arrays only" % stype)
    values = _np.random.uniform(size=shape)
    if modifier_func is not None:
        values = modifier_func(values)
    return _nd.array(values, dtype=dtype or _np.float32)


@contextlib.contextmanager
def environment(*args):
    """Sets environment variables for a block: environment('NAME', 'value')
    or environment({'NAME': 'value', ...}); None unsets."""
    if len(args) == 2:
        values = {args[0]: args[1]}
    elif len(args) == 1 and isinstance(args[0], dict):
        values = args[0]
    else:
        raise ValueError("environment: expected (name, value) or a dict")
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = str(value)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _locations(location, dtype):
    if isinstance(location, dict):
        names = list(location)
        values = [location[name] for name in names]
    else:
        values = list(location) if isinstance(location, (list, tuple)) else [location]
        names = ["arg%d" % index for index in range(len(values))]
    return names, [_np.array(_as_numpy(value), dtype=dtype) for value in values]


def numeric_grad(executor, location, eps=1e-4, dtype=_np.float32):
    """Central differences of the scalar function `executor(list of numpy
    arrays)` at `location` (a list of numpy arrays)."""
    grads = []
    for index, value in enumerate(location):
        grad = _np.zeros(value.shape, dtype=_np.float64)
        flat = value.reshape(-1)
        for position in range(flat.size):
            original = flat[position]
            flat[position] = original + eps / 2
            plus = executor(location)
            flat[position] = original - eps / 2
            minus = executor(location)
            flat[position] = original
            grad.reshape(-1)[position] = (plus - minus) / eps
        grads.append(grad)
    return grads


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=1e-3,
                           rtol=1e-2, atol=None, grad_nodes=None,
                           use_forward_train=True, ctx=None,
                           grad_stype_dict=None, dtype=_np.float32):
    """Checks autograd's gradient of `sym` against finite differences.

    sym: a function of NDArrays returning one NDArray (kiln's stand-in for
    MXNet's Symbol); location: its inputs (a list, or a dict of name ->
    array, passed by keyword); grad_nodes: the names (or indices) to check.
    """
    if not callable(sym):
        raise MXNetError("check_numeric_gradient: expected a function of "
                         "NDArrays (kiln has no Symbol yet), got %s"
                         % type(sym).__name__)
    names, values = _locations(location, dtype)
    keyword = isinstance(location, dict)
    if grad_nodes is None:
        checked = list(range(len(values)))
    else:
        checked = [names.index(node) if isinstance(node, str) else int(node)
                   for node in grad_nodes]

    def call(arrays):
        if keyword:
            return sym(**dict(zip(names, arrays)))
        return sym(*arrays)

    arrays = [_nd.array(value, dtype=dtype) for value in values]
    for index in checked:
        arrays[index].attach_grad()
    with _autograd.record(train_mode=use_forward_train):
        output = call(arrays)
    projection = _np.random.normal(0, 1.0, size=output.shape).astype(dtype)
    output.backward(_nd.array(projection, dtype=dtype))
    analytic = [arrays[index].grad.asnumpy() for index in checked]

    def projected(numpy_values):
        with _autograd.pause(train_mode=use_forward_train):
            result = call([_nd.array(value, dtype=dtype) for value in numpy_values])
        return float(_np.sum(result.asnumpy().astype(_np.float64) * projection))

    numeric = numeric_grad(projected, values, eps=numeric_eps, dtype=dtype)
    for position, index in enumerate(checked):
        assert_almost_equal(numeric[index], analytic[position], rtol=rtol,
                            atol=1e-3 if atol is None else atol,
                            names=("NUMERICAL_%s" % names[index],
                                   "BACKWARD_%s" % names[index]))


__all__ = ["default_context", "set_default_context", "default_dtype",
           "almost_equal", "assert_almost_equal", "same", "assert_exception",
           "rand_shape_2d", "rand_shape_3d", "rand_shape_nd", "random_arrays",
           "rand_ndarray", "environment", "numeric_grad",
           "check_numeric_gradient"]
