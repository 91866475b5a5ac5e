"""mx.nd creation functions and mx.nd.random / mx.random.seed."""
import numpy as np
import pytest

import kiln as mx
from kiln import _core


@pytest.mark.parametrize("dtype", [None, "float32", "float64", "int32", "uint8",
                                   np.int64])
def test_zeros_ones_full(dtype):
    expected_dtype = np.float32 if dtype is None else np.dtype(dtype)
    for function, value in ((mx.nd.zeros, 0), (mx.nd.ones, 1)):
        array = function((2, 3), dtype=dtype)
        assert array.dtype == expected_dtype and array.shape == (2, 3)
        np.testing.assert_array_equal(array.asnumpy(), np.full((2, 3), value))
    full = mx.nd.full(4, 7, dtype=dtype)
    np.testing.assert_array_equal(full.asnumpy(), np.full(4, 7, dtype=expected_dtype))
    # MXNet 1.x reads a 0 extent as unknown: zeros/ones refuse it, empty
    # makes the array (tests/python/test_compat_fixes.py checks the rest).
    with pytest.raises(mx.base.MXNetError, match="_zeros inferring shapes"):
        mx.nd.zeros((0, 5))
    assert mx.nd.empty((0, 5)).shape == (0, 5)
    assert mx.nd.ones(()).shape == ()


def test_like_functions():
    base = mx.nd.array(np.arange(6, dtype=np.int32).reshape(2, 3), dtype="int32")
    assert mx.nd.zeros_like(base).dtype == np.int32
    np.testing.assert_array_equal(mx.nd.ones_like(base).asnumpy(), np.ones((2, 3)))


@pytest.mark.parametrize("args, kwargs", [
    ((5,), {}), ((1, 3, 0.5), {}), ((10, 0, -2.5), {}), ((3,), {"repeat": 2}),
    ((2, 7), {"dtype": "int32"})])
def test_arange_matches_mxnet(args, kwargs):
    result = mx.nd.arange(*args, **kwargs)
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (list(args) + [1])[:3]
    expected = np.arange(start, stop, step).astype(kwargs.get("dtype", "float32"))
    expected = np.repeat(expected, kwargs.get("repeat", 1))
    assert result.dtype == expected.dtype
    np.testing.assert_allclose(result.asnumpy(), expected)


def test_random_is_seeded_reproducible_and_distributed():
    mx.random.seed(7)
    first = mx.nd.random.uniform(-1, 2, shape=(1000,)).asnumpy()
    second = mx.nd.random.uniform(-1, 2, shape=(1000,)).asnumpy()
    mx.random.seed(7)
    again = mx.nd.random.uniform(-1, 2, shape=(1000,)).asnumpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)
    assert first.min() >= -1 and first.max() < 2
    normal = mx.nd.random.normal(3, 0.5, shape=(200000,), dtype="float64").asnumpy()
    assert normal.dtype == np.float64
    assert abs(normal.mean() - 3) < 0.01 and abs(normal.std() - 0.5) < 0.01


def test_random_calls_reuse_one_kernel():
    # The key is a kernel input, not part of the kernel: new draws, no new
    # kernels (memory or disk).
    mx.nd.random.uniform(shape=(3,)).wait_to_read()
    before = _core.kernel_cache_stats()
    draws = [mx.nd.random.uniform(shape=(3,)).asnumpy() for _ in range(20)]
    after = _core.kernel_cache_stats()
    assert after["misses"] == before["misses"]
    assert after["hits"] >= before["hits"] + 20
    assert len({tuple(draw) for draw in draws}) == 20


@pytest.mark.parametrize("call, message", [
    (lambda: mx.nd.zeros((2, -1)), "zeros: shape .* has a negative extent"),
    (lambda: mx.nd.arange(0, 5, 0), "arange: step must not be 0"),
    (lambda: mx.nd.random.uniform(2, 1, shape=(3,)), "low expected <= high"),
    (lambda: mx.nd.random.normal(0, -1, shape=(3,)), "scale expected > 0"),
    (lambda: mx.nd.random.uniform(shape=(3,), dtype="int32"),
     "dtype expected one of 'None', 'float16', 'float32', 'float64', got 'int32'"),
])
def test_bad_creation_calls(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()
