"""mx.test_utils: MXNet 1.9.1's testing helpers, for kiln's tests and users'.

Test files do ``from mxnet.test_utils import *``: as with MXNet's module,
that brings every public name here, `mx` (the package) and `np` (numpy)
included, so there is no __all__.

The Symbol and optimizer checks (check_symbolic_forward/backward,
check_numeric_gradient on a Symbol, check_consistency, check_speed,
simple_forward, same_symbol_structure, compare_optimizer,
check_gluon_hybridize_consistency) live in kiln/_symbol_checks.py, the
data helpers (download, get_mnist, ..., DummyIter) in kiln/_test_data.py;
both are re-exported here.

Differences from MXNet:
  * check_numeric_gradient and numeric_grad also take a Python function
    of NDArrays (of numpy arrays for numeric_grad) where MXNet takes a
    Symbol (an executor): the function form compares autograd's gradient
    of sum(f(*inputs) * random_projection) with central differences.
  * sparse helpers (rand_sparse_ndarray, create_sparse_array) raise
    MXNetError, as kiln has no sparse storage yet.
"""
# The standard modules MXNet's test_utils imports are part of what its star
# import hands to test files; they are imported here for the same reason.
import bz2  # noqa: F401
import errno  # noqa: F401
import gzip  # noqa: F401
import json  # noqa: F401
import logging  # noqa: F401
import numbers
import os
import platform
import struct  # noqa: F401
import sys
import time  # noqa: F401
import traceback  # noqa: F401
import zipfile  # noqa: F401
from collections import OrderedDict
from contextlib import contextmanager

import numpy as np
import numpy.random as rnd
import numpy.testing as npt

import kiln as mx  # `mx` is part of the star import, as in MXNet

from . import autograd as _autograd
from . import ndarray as _nd
from .base import MXNetError
from .context import Context, current_context
from .ndarray import array  # noqa: F401
from .runtime import Features
from .symbol import Symbol  # noqa: F401  (MXNet's module has the name)
from ._symbol_checks import (  # noqa: F401
    _parse_aux_states, _parse_location, check_consistency,
    check_gluon_hybridize_consistency, check_speed, check_symbolic_backward,
    check_symbolic_forward, compare_optimizer, same_symbol_structure,
    simple_forward)
from . import _symbol_checks
from ._test_data import (  # noqa: F401
    DummyIter, download, download_model, get_bz2_data, get_cifar10,
    get_im2rec_path, get_mnist, get_mnist_iterator, get_mnist_pkl,
    get_mnist_ubyte, get_zip_data)
from .util import get_cuda_compute_capability, getenv, setenv, use_np  # noqa: F401


class _Symbol(Symbol):
    """Stands for MXNet's NumPy-interface symbol class (mx.sym.np._Symbol),
    which MXNet's test_utils names np_symbol; kiln has no NumPy front end,
    so no symbol is one and isinstance(sym, np_symbol) is False."""


np_symbol = _Symbol


def default_context():
    """The context tests run on: the thread's current context (cpu(0)
    unless set_default_context or a `with ctx:` block says otherwise)."""
    return current_context()


def set_default_context(ctx):
    """Makes `ctx` the thread's current context."""
    Context._default_ctx.value = ctx


def default_dtype():
    """The dtype tests use unless they say otherwise: numpy.float32."""
    return np.float32


def default_rtols():
    """MXNet's default relative tolerance per numpy.dtype."""
    return {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4,
            np.dtype(np.float64): 1e-5, np.dtype(np.bool_): 0,
            np.dtype(np.int8): 0, np.dtype(np.uint8): 0,
            np.dtype(np.int32): 0, np.dtype(np.uint32): 0,
            np.dtype(np.int64): 0, np.dtype(np.uint64): 0}


def default_atols():
    """MXNet's default absolute tolerance per numpy.dtype."""
    return {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3,
            np.dtype(np.float64): 1e-20, np.dtype(np.bool_): 0,
            np.dtype(np.int8): 0, np.dtype(np.uint8): 0,
            np.dtype(np.int32): 0, np.dtype(np.uint32): 0,
            np.dtype(np.int64): 0, np.dtype(np.uint64): 0}


def default_numeric_eps():
    """The finite-difference step per float dtype (powers of two, so adding
    it to an input drops no bits)."""
    return {np.dtype(np.float16): 1.0 / 2 ** 6,
            np.dtype(np.float32): 1.0 / 2 ** 9,
            np.dtype(np.float64): 1.0 / 2 ** 14}


def effective_dtype(dat):
    """The numpy.dtype whose tolerances apply to `dat` (an NDArray or numpy
    array): its own dtype on kiln's CPU (MXNet lowers float32 to float16
    only for TF32 GPU math)."""
    return np.dtype(dat.dtype)


def _with_dtype(value):
    """value itself if it has a dtype, else a numpy array of it."""
    return value if hasattr(value, "dtype") else np.asarray(value)


def get_tolerance(dat, tol, default_tol):
    """tol if it is a number, else tol[dtype of dat] if tol is a dict that has
    it, else default_tol[dtype of dat] (0 for a dtype it lacks)."""
    if isinstance(tol, numbers.Number):
        return tol
    dtype = effective_dtype(_with_dtype(dat))
    tol = {} if tol is None else tol
    return tol.get(dtype, default_tol.get(dtype, 0))


def get_tols(x, y, rtol, atol):
    """(rtol, atol) for comparing x with y: the given ones, else the larger
    default of the two dtypes."""
    rtol = max(get_tolerance(x, rtol, default_rtols()),
               get_tolerance(y, rtol, default_rtols()))
    atol = max(get_tolerance(x, atol, default_atols()),
               get_tolerance(y, atol, default_atols()))
    return rtol, atol


def get_rtol(rtol=None, dtype=np.dtype(np.float64)):
    """rtol, else the default relative tolerance of `dtype` (float64)."""
    return default_rtols()[np.dtype(dtype)] if rtol is None else rtol


def get_atol(atol=None, dtype=np.dtype(np.float64)):
    """atol, else the default absolute tolerance of `dtype` (float64)."""
    return default_atols()[np.dtype(dtype)] if atol is None else atol


def get_etol(etol=None):
    """The fraction of elements allowed to mismatch (0 by default)."""
    return 0 if etol is None else etol


def _as_numpy(value):
    if isinstance(value, _nd.NDArray):
        return value.asnumpy()
    return np.asarray(value)


def random_arrays(*shapes):
    """Standard-normal numpy arrays (default_dtype) of the shapes: one array
    (a 0-d one for ()) or a list of them."""
    arrays = [np.array(np.random.randn(), dtype=default_dtype()) if len(shape) == 0
              else np.random.randn(*shape).astype(default_dtype())
              for shape in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def random_uniform_arrays(*shapes, **kwargs):
    """A list of numpy arrays uniform in [low, high) (keywords low=0,
    high=1, dtype=default_dtype()); TypeError for other keywords."""
    low = kwargs.pop("low", 0.0)
    high = kwargs.pop("high", 1.0)
    dtype = kwargs.pop("dtype", default_dtype())
    if kwargs:
        raise TypeError("Got unexpected argument/s : " + str(kwargs.keys()))
    return [np.random.uniform(low, high, size=shape).astype(dtype)
            for shape in shapes]


def random_sample(population, k):
    """k distinct elements of the list `population`, in random order."""
    assert 0 <= k <= len(population)
    shuffled = population[:]
    np.random.shuffle(shuffled)
    return shuffled[0:k]


def np_reduce(dat, axis, keepdims, numpy_reduce_func):
    """numpy_reduce_func (e.g. np.sum) applied to the numpy array dat over
    `axis` (an int, a tuple, or None for all), one axis at a time, keeping
    the reduced axes as 1 when keepdims."""
    if isinstance(axis, int):
        axis = [axis]
    else:
        axis = list(axis) if axis is not None else range(len(dat.shape))
    result = dat
    for index in reversed(sorted(axis)):
        result = numpy_reduce_func(result, axis=index)
    if keepdims:
        shape = list(dat.shape)
        for index in axis:
            shape[index] = 1
        result = result.reshape(tuple(shape))
    return result


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    """A random 2-d shape with extents in [1, dim] ([0, dim] with
    allow_zero_size)."""
    low = 0 if allow_zero_size else 1
    return rnd.randint(low, dim0 + 1), rnd.randint(low, dim1 + 1)


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    """A random 3-d shape, as rand_shape_2d."""
    low = 0 if allow_zero_size else 1
    return (rnd.randint(low, dim0 + 1), rnd.randint(low, dim1 + 1),
            rnd.randint(low, dim2 + 1))


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    """A random shape of num_dim extents in [1, dim] ([0, dim] with
    allow_zero_size)."""
    low = 0 if allow_zero_size else 1
    return tuple(rnd.randint(low, dim + 1, size=num_dim))


def rand_coord_2d(x_low, x_high, y_low, y_high):
    """A random (x, y) with x in [x_low, x_high), y in [y_low, y_high)."""
    return (np.random.randint(x_low, x_high, dtype=np.int64),
            np.random.randint(y_low, y_high, dtype=np.int64))


def rand_ndarray(shape, stype="default", density=None, dtype=None,
                 modifier_func=None, shuffle_csr_indices=False,
                 distribution=None, ctx=None):
    """A standard-normal NDArray of `shape` (float32 unless dtype says), as
    MXNet's; modifier_func, if given, maps the numpy values first. A sparse
    stype raises MXNetError."""
    if stype != "default":
        return rand_sparse_ndarray(shape, stype, density=density, dtype=dtype)
    values = random_arrays(shape)
    if modifier_func is not None:
        values = modifier_func(values)
    return _nd.array(values, dtype=dtype, ctx=ctx or default_context())


def rand_sparse_ndarray(shape, stype, density=None, dtype=None, **kwargs):
    """MXNetError: kiln has no sparse storage yet."""
    from .ndarray.sparse import _unsupported
    _unsupported("rand_sparse_ndarray(stype=%r)" % (stype,))


def create_sparse_array(shape, stype, **kwargs):
    """MXNetError: kiln has no sparse storage yet."""
    return rand_sparse_ndarray(shape, stype)


def create_vector(size, dtype=np.int64):
    """mx.nd.arange(0, size) as `dtype` (int64)."""
    return mx.nd.arange(0, size, dtype=dtype)


def create_2d_tensor(rows, columns, dtype=np.int64):
    """A rows x columns NDArray whose row i is all i (int64)."""
    column = mx.nd.arange(0, rows, dtype=dtype).reshape(rows, 1)
    return mx.nd.broadcast_to(column, shape=(rows, columns))


def get_identity_mat(size):
    """A size x size float32 identity NDArray."""
    return mx.nd.eye(size)


def get_identity_mat_batch(size):
    """Two size x size identity matrices: an NDArray of shape (2, size, size)."""
    identity = np.eye(size, dtype=np.float32)
    return mx.nd.array([identity, identity])


def assign_each(the_input, function):
    """function applied to each element of a numpy array (a float64 array
    of the same shape); a copy of the input when function is None."""
    if function is None:
        return np.array(the_input)
    return np.vectorize(function, otypes=[np.float64])(the_input).reshape(
        np.shape(the_input))


def assign_each2(input1, input2, function):
    """function applied to each pair of elements of two numpy arrays of the
    same shape (float64); a copy of input1 when function is None."""
    if function is None:
        return np.array(input1)
    assert input1.shape == input2.shape
    return np.vectorize(function, otypes=[np.float64])(input1, input2).reshape(
        input1.shape)


def _find_max_violation(a, b, rtol, atol):
    """(index, ratio) of the element whose |a - b| / (atol + rtol |b|) is
    largest; equal values (infinities included) count as 0."""
    absdiff = np.where(np.equal(a, b), 0, np.abs(a - b))
    violation = absdiff / (atol + rtol * np.abs(b) + 1e-20)
    index = np.unravel_index(np.argmax(violation), violation.shape)
    return index, np.max(violation)


def locationError(a, b, index, names, maxError=False):
    """'Location of error: <index>, a=<value>, b=<value>' for messages."""
    return "Location of %serror: %s, %s=%.8f, %s=%.8f" % (
        "maximum " if maxError else "", str(index), names[0], a[index],
        names[1], b[index])


def same(a, b):
    """Whether two arrays (NDArrays or array-likes) have the same shape and
    values."""
    return np.array_equal(_as_numpy(a), _as_numpy(b))


def checkShapes(a, b):
    """AssertionError unless a and b have the same shape."""
    if np.shape(a) != np.shape(b):
        raise AssertionError(npt.build_err_msg(
            [a, b], err_msg="a.shape = %s and b.shape = %s are not equal"
            % (np.shape(a), np.shape(b))))


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """Whether |a - b| <= atol + rtol * |b| everywhere. As in MXNet, missing
    tolerances are float64's defaults (rtol 1e-5, atol 1e-20) whatever the
    dtypes; use_broadcast=False also requires equal shapes (else
    AssertionError)."""
    a, b = _as_numpy(a), _as_numpy(b)
    if not use_broadcast:
        checkShapes(a, b)
    return bool(np.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol),
                            equal_nan=equal_nan))


def assert_almost_equal(a, b, rtol=None, atol=None, names=("a", "b"),
                        equal_nan=False, use_broadcast=True, mismatches=(10, 10)):
    """AssertionError unless a and b (NDArrays, numpy arrays or array-likes)
    are almost equal: |a - b| <= atol + rtol * |b| everywhere.

    Missing tolerances are the larger per-dtype default of a's and b's
    (default_rtols/default_atols: float32 1e-4/1e-3). Boolean arrays must
    be equal. The message names the worst element and, printed first, up
    to mismatches[0] of the failing ones, worst first.
    """
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = _as_numpy(a), _as_numpy(b)
    if not use_broadcast:
        checkShapes(a, b)
    if a.dtype == np.bool_ and b.dtype == np.bool_:
        np.testing.assert_equal(a, b)
        return
    if np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    a, b = np.broadcast_arrays(a, b)
    index, ratio = _find_max_violation(a, b, rtol, atol)
    if index != ():
        close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
        failing = np.argwhere(~close)
        print("\n*** Maximum errors for vector of size %d:  rtol=%s, atol=%s\n"
              % (a.size, rtol, atol))
        absdiff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        ratios = absdiff / (atol + rtol * np.abs(b.astype(np.float64)) + 1e-20)
        order = np.argsort(-ratios[tuple(failing.T)], kind="stable")
        for rank, position in enumerate(order[:mismatches[0]]):
            location = tuple(failing[position])
            print("%3d: Error %f  %s" % (rank + 1, ratios[location],
                                         locationError(a, b, location, names)))
        message = ("Error %f exceeds tolerance rtol=%e, atol=%e (mismatch %f%%).\n%s"
                   % (ratio, rtol, atol, 100.0 * len(failing) / a.size,
                      locationError(a, b, index, names, maxError=True)))
    else:
        message = "Error %f exceeds tolerance rtol=%e, atol=%e.\n" % (ratio, rtol, atol)
    with np.printoptions(threshold=4, suppress=True):
        raise AssertionError(npt.build_err_msg([a, b], err_msg=message,
                                               names=names))


def assert_allclose(a, b, rtol=1e-07, atol=0, equal_nan=True):
    """assert_almost_equal with numpy.testing.assert_allclose's defaults."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_with_err(a, b, rtol=None, atol=None, etol=None,
                                 names=("a", "b"), equal_nan=False,
                                 mismatches=(10, 10)):
    """assert_almost_equal that lets a fraction etol of the elements
    mismatch (AssertionError beyond it)."""
    etol = get_etol(etol)
    if etol <= 0:
        assert_almost_equal(a, b, rtol=rtol, atol=atol, names=names,
                            equal_nan=equal_nan, mismatches=mismatches)
        return
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = _as_numpy(a), _as_numpy(b)
    close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    error = 1 - np.count_nonzero(close) / close.size
    if error > etol:
        index, ratio = _find_max_violation(*np.broadcast_arrays(a, b), rtol, atol)
        raise AssertionError(
            "Error %f exceeds tolerance rtol=%e, atol=%e for %f%% of the "
            "elements (etol=%f).\n%s" % (ratio, rtol, atol, 100 * error, etol,
                                         locationError(*np.broadcast_arrays(a, b),
                                                       index, names, maxError=True)))


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=("a", "b")):
    """assert_almost_equal where a position that is NaN in either counts as
    equal."""
    a = np.array(_as_numpy(a), copy=True)
    b = np.array(_as_numpy(b), copy=True)
    nan_mask = np.logical_or(np.isnan(a), np.isnan(b))
    a[nan_mask] = 0
    b[nan_mask] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def assert_exception(f, exception_type, *args, **kwargs):
    """AssertionError unless f(*args, **kwargs) raises exception_type."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError("%s was not raised" % exception_type.__name__)


def compare_ndarray_tuple(t1, t2, rtol=None, atol=None):
    """assert_almost_equal over two (nested) tuples of arrays; None skips."""
    if t1 is None or t2 is None:
        return
    if isinstance(t1, tuple):
        for s1, s2 in zip(t1, t2):
            compare_ndarray_tuple(s1, s2, rtol, atol)
    else:
        assert_almost_equal(t1, t2, rtol=rtol, atol=atol)


def same_array(array1, array2):
    """Whether two NDArrays share memory: adds 1 to array1 in place, looks
    whether array2 follows, and restores array1."""
    array1[:] += 1
    if not same(array1.asnumpy(), array2.asnumpy()):
        array1[:] -= 1
        return False
    array1[:] -= 1
    return same(array1.asnumpy(), array2.asnumpy())


def retry(n):
    """A decorator that runs a test up to n times (n > 0) until it passes;
    only AssertionError counts as a failure to retry."""
    assert n > 0

    def decorate(test):
        def wrapper(*args, **kwargs):
            for attempt in range(n):
                try:
                    test(*args, **kwargs)
                    return
                except AssertionError:
                    if attempt == n - 1:
                        raise
                    mx.nd.waitall()
        wrapper.__name__ = test.__name__
        wrapper.__doc__ = test.__doc__
        return wrapper
    return decorate


@contextmanager
def discard_stderr():
    """Sends file descriptor 2 (the C++ side's stderr too) to /dev/null for
    the block."""
    with open(os.devnull, "w") as bit_bucket:
        try:
            stderr_fileno = sys.stderr.fileno()
        except (AttributeError, ValueError, OSError):
            # stderr replaced by an object without a file descriptor
            yield
            return
        saved = os.dup(stderr_fileno)
        try:
            os.dup2(bit_bucket.fileno(), stderr_fileno)
            yield
        finally:
            os.dup2(saved, stderr_fileno)
            os.close(saved)


def set_env_var(key, val, default_val=""):
    """Sets environment variable `key` to `val`; returns its previous value
    (default_val when it was unset)."""
    previous = os.environ.get(key, default_val)
    os.environ[key] = val
    return previous


@contextmanager
def environment(*args):
    """Sets environment variables for a block: environment('NAME', 'value')
    or environment({'NAME': 'value', ...}); None unsets. Pending work is
    finished before the old values come back."""
    if len(args) == 1 and isinstance(args[0], dict):
        values = args[0]
    elif len(args) == 2:
        values = {args[0]: args[1]}
    else:
        raise ValueError("environment: expected (name, value) or a dict")
    saved = {name: os.environ.get(name) for name in values}

    def apply(settings):
        for name, value in settings.items():
            setenv(name, value)
    apply(values)
    try:
        yield
    finally:
        # The engine may still run work that reads the changed variables.
        mx.nd.waitall()
        apply(saved)


def collapse_sum_like(a, shape):
    """The numpy array a summed over the axes that broadcasting `shape` to
    a.shape would have expanded: the gradient of a broadcast."""
    assert len(a.shape) >= len(shape)
    if np.prod(shape) == 0 or a.size == 0:
        return np.zeros(shape, dtype=a.dtype)
    extra = len(a.shape) - len(shape)
    axes = list(range(extra))
    for index, extent in enumerate(shape):
        if extent != a.shape[index + extra]:
            assert extent == 1
            axes.append(index + extra)
    return np.sum(a, axis=tuple(axes)).reshape(shape)


def list_gpus():
    """The GPU ids tests may use: none in kiln."""
    return range(mx.util.get_gpu_count())


def is_cd_run():
    """Whether this runs in MXNet's CD pipeline ($CD_JOB == '1')."""
    return os.environ.get("CD_JOB", 0) == "1"


def is_aarch64_run():
    """Whether the host is aarch64."""
    return platform.machine() == "aarch64"


def has_tvm_ops():
    """Whether the build has TVM operators: never in kiln."""
    return Features().is_enabled("TVM_OP")


def is_op_runnable():
    """Whether operators can run on the current context: True on the CPU,
    False on a GPU context (kiln has no GPU back end)."""
    return current_context().device_type != "gpu"


def mean_check(generator, mu, sigma, nsamples=1000000):
    """Whether the mean of generator(nsamples) is within 3 standard errors of
    mu (for a distribution with standard deviation sigma)."""
    samples = np.array(generator(nsamples))
    margin = 3 * sigma / np.sqrt(nsamples)
    return bool(mu - margin < samples.mean() < mu + margin)


def var_check(generator, sigma, nsamples=1000000):
    """Whether the sample variance of generator(nsamples) is within 3
    standard errors of sigma ** 2."""
    samples = np.array(generator(nsamples))
    margin = 3 * np.sqrt(2 * sigma ** 4 / (nsamples - 1))
    return bool(sigma ** 2 - margin < samples.var(ddof=1) < sigma ** 2 + margin)


def gen_buckets_probs_with_ppf(ppf, nbuckets):
    """nbuckets equal-probability buckets [(low, high), ...] from a
    distribution's inverse CDF `ppf`, and their probabilities."""
    assert nbuckets > 0
    probs = [1.0 / nbuckets for _ in range(nbuckets)]
    buckets = [(ppf(i / float(nbuckets)), ppf((i + 1) / float(nbuckets)))
               for i in range(nbuckets)]
    return buckets, probs


def chi_square_check(generator, buckets, probs, nsamples=1000000):
    """Chi-square test of generator(nsamples) against bucket probabilities:
    (p-value, observed counts, expected counts). Buckets are (low, high)
    ranges for a continuous distribution or values for a discrete one.
    Needs scipy (ImportError without it)."""
    import scipy.stats as ss
    assert isinstance(buckets, list) and len(probs) == len(buckets)
    samples = np.asarray(generator(nsamples))
    expected = (nsamples * np.array(probs, dtype=np.float32)).astype(np.int32)
    observed = np.zeros(len(buckets), dtype=np.int64)
    for index, bucket in enumerate(buckets):
        if isinstance(bucket, (list, tuple)):
            assert bucket[0] <= bucket[1]
            observed[index] = np.count_nonzero((samples >= bucket[0]) & (samples < bucket[1]))
        else:
            observed[index] = np.count_nonzero(samples == bucket)
    _, p_value = ss.chisquare(f_obs=observed, f_exp=expected)
    return p_value, observed, expected


def verify_generator(generator, buckets, probs, nsamples=1000000, nrepeat=5,
                     success_rate=0.2, alpha=0.05):
    """Runs chi_square_check nrepeat times; AssertionError unless at least
    success_rate of them have p > alpha. Returns the p-values."""
    results = [chi_square_check(generator, buckets, probs, nsamples)
               for _ in range(nrepeat)]
    p_values = [result[0] for result in results]
    if (np.array(p_values) > alpha).sum() < nrepeat * success_rate:
        raise AssertionError(
            "Generator test fails, Chi-square p=%s, obs_freq=%s, expected_freq=%s."
            "\nbuckets=%s, probs=%s" % (p_values, [r[1] for r in results],
                                        [r[2] for r in results], buckets, probs))
    return p_values


def new_orthonormal_matrix_2d(n):
    """A random n x n orthonormal numpy matrix."""
    x = np.random.randn(n, n)
    return np.linalg.qr(np.matmul(x.T, x))[0]


def new_sym_matrix_with_real_eigvals_2d(n):
    """A random symmetric n x n numpy matrix, eigenvalues in [-10, 10]."""
    q = new_orthonormal_matrix_2d(n)
    return np.matmul(np.matmul(q.T, np.diag(np.random.uniform(-10.0, 10.0, n))), q)


def new_sym_matrix_with_real_eigvals_nd(shape):
    """A batch (shape[:-2]) of new_sym_matrix_with_real_eigvals_2d."""
    count = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return np.array([new_sym_matrix_with_real_eigvals_2d(shape[-1])
                     for _ in range(count)]).reshape(shape)


def new_matrix_with_real_eigvals_2d(n):
    """A random well-conditioned n x n numpy matrix with real eigenvalues
    in [-10, 10] (a similarity transform of a diagonal one)."""
    while True:
        v = np.random.uniform(-1.0, 1.0, (n, 1))
        v /= np.linalg.norm(v, axis=-2, keepdims=True)
        householder = np.eye(n) - 2 * np.matmul(v, v.T)
        q = np.matmul(householder, np.diag(np.random.uniform(-1.0, 1.0, n)))
        if np.linalg.cond(q, 2) < 3:
            break
    diagonal = np.diag(np.random.uniform(-10.0, 10.0, n))
    return np.matmul(np.matmul(np.linalg.inv(q), diagonal), q)


def new_matrix_with_real_eigvals_nd(shape):
    """A batch (shape[:-2]) of new_matrix_with_real_eigvals_2d."""
    count = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return np.array([new_matrix_with_real_eigvals_2d(shape[-1])
                     for _ in range(count)]).reshape(shape)


def _is_symbol(value):
    return hasattr(value, "list_arguments")


def _locations(location, dtype):
    if isinstance(location, dict):
        names = list(location)
        values = [location[name] for name in names]
    else:
        values = list(location) if isinstance(location, (list, tuple)) else [location]
        names = ["arg%d" % index for index in range(len(values))]
    return names, [np.array(_as_numpy(value), dtype=dtype) for value in values]


def numeric_grad(executor, location, aux_states=None, eps=1e-4,
                 use_forward_train=True, dtype=np.float32):
    """Central differences, as MXNet's: of sum(executor.outputs[0]) for an
    Executor (location: a dict of numpy arrays by argument name; a dict of
    gradients back), or of the scalar function `executor(list of numpy
    arrays)` at `location` (a list of numpy arrays, changed and restored
    in place; a list of float64 gradients back)."""
    if not callable(executor):
        return _symbol_checks.numeric_grad(executor, location, aux_states,
                                           eps, use_forward_train, dtype)
    grads = []
    for index, value in enumerate(location):
        # A view of the array itself: reshape(-1) of a non-contiguous array
        # (a transposed one) would be a copy, and perturbing it would change
        # nothing (all-zero gradients).
        if not value.flags.c_contiguous:
            value = location[index] = np.ascontiguousarray(value)
        grad = np.zeros(value.shape, dtype=np.float64)
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


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=None,
                           rtol=None, atol=None, grad_nodes=None,
                           use_forward_train=True, ctx=None,
                           grad_stype_dict=None, dtype=np.float32):
    """Checks a gradient against finite differences; AssertionError when
    they differ.

    sym: a Symbol (MXNet's check: its executor's backward of
    make_loss(sym * random projection); location and aux_states are lists
    in list_arguments()/list_auxiliary_states() order or dicts; tolerances
    default per dtype), or a function of NDArrays returning one NDArray
    (autograd's gradient; location a list, or a dict passed by keyword;
    numeric_eps 1e-3 and rtol 1e-2 by default). grad_nodes: the names (or,
    for a function, indices) to check, all by default.
    """
    if _is_symbol(sym):
        return _symbol_checks.check_numeric_gradient(
            sym, location, aux_states, numeric_eps, rtol, atol, grad_nodes,
            use_forward_train, ctx, grad_stype_dict, dtype)
    if not callable(sym):
        raise MXNetError("check_numeric_gradient: sym expected a Symbol or a "
                         "function of NDArrays, got %s" % type(sym).__name__)
    numeric_eps = 1e-3 if numeric_eps is None else numeric_eps
    rtol = 1e-2 if rtol is None else rtol
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
    projection = np.random.normal(0, 1.0, size=output.shape).astype(dtype)
    output.backward(_nd.array(projection, dtype=dtype))
    analytic = [arrays[index].grad.asnumpy() for index in checked]

    def projected(numpy_values):
        with _autograd.pause(train_mode=use_forward_train):
            result = call([_nd.array(value, dtype=dtype) for value in numpy_values])
        return float(np.sum(result.asnumpy().astype(np.float64) * projection))

    numeric = numeric_grad(projected, values, eps=numeric_eps, dtype=dtype)
    for position, index in enumerate(checked):
        assert_almost_equal(numeric[index], analytic[position], rtol=rtol,
                            atol=1e-3 if atol is None else atol,
                            names=("NUMERICAL_%s" % names[index],
                                   "BACKWARD_%s" % names[index]))
