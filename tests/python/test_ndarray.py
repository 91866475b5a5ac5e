"""The Python path end to end: kiln.nd and the mxnet alias."""
import subprocess
import sys

import numpy as np
import pytest

import kiln as mx


def test_array_add_matches_numpy():
    a = mx.nd.array([1, 2, 3])
    result = (a + a).asnumpy()
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, np.array([2, 4, 6], dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.int8])
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 5), (2, 3, 4), (1, 2, 1, 3, 1, 2)])
def test_add_every_dtype_and_rank(dtype, shape):
    rng = np.random.default_rng(0)
    x = rng.integers(-50, 50, size=shape).astype(dtype)
    y = rng.integers(-50, 50, size=shape).astype(dtype)
    result = (mx.nd.array(x, dtype=dtype) + mx.nd.array(y, dtype=dtype)).asnumpy()
    assert result.dtype == dtype
    assert result.shape == shape
    np.testing.assert_array_equal(result, x + y)


def test_default_dtypes_follow_mxnet():
    assert mx.nd.array([1, 2, 3]).dtype == np.float32  # lists: float32
    # MXNet 1.x: numpy sources become float32 too, NDArray sources keep theirs.
    assert mx.nd.array(np.arange(3)).dtype == np.float32
    assert mx.nd.array(np.ones(2, dtype=np.float64)).dtype == np.float32
    assert mx.nd.array(mx.nd.array([1], dtype="int32")).dtype == np.int32
    assert mx.nd.array(np.arange(3), dtype="float64").dtype == np.float64


def test_attributes():
    a = mx.nd.array(np.zeros((2, 3)))
    assert a.shape == (2, 3)
    assert a.size == 6
    assert a.ndim == 2
    assert a.context == mx.cpu()
    assert "<NDArray 2x3 @cpu(0)>" in repr(a)


def test_array_copies_its_source():
    source = np.ones(4, dtype=np.float32)
    a = mx.nd.array(source)
    source[:] = 7
    np.testing.assert_array_equal(a.asnumpy(), np.ones(4, dtype=np.float32))


def test_noncontiguous_numpy_source():
    source = np.arange(12, dtype=np.float32).reshape(3, 4).T
    a = mx.nd.array(source)
    np.testing.assert_array_equal((a + a).asnumpy(), source * 2)


def test_shape_mismatch_raises_mxnet_error_naming_op_and_shapes():
    # `+` broadcasts, as MXNet's NDArray does; shapes that do not broadcast
    # are an error naming the op and both shapes.
    with pytest.raises(mx.MXNetError) as info:
        mx.nd.array([1, 2, 3]) + mx.nd.array([[1, 2]])
    message = str(info.value)
    assert "broadcast_add" in message
    assert "(3,)" in message and "(1, 2)" in message


def test_dtype_mismatch_raises_mxnet_error():
    with pytest.raises(mx.base.MXNetError, match="got float32 and float64"):
        mx.nd.array([1, 2]) + mx.nd.array([1, 2], dtype="float64")


def test_mxnet_error_is_a_runtime_error():
    assert issubclass(mx.MXNetError, RuntimeError)


def test_adding_a_non_array_is_a_type_error():
    with pytest.raises(TypeError):
        mx.nd.array([1, 2]) + "text"


def test_unsupported_source_dtype_raises_mxnet_error():
    with pytest.raises(mx.MXNetError, match="unsupported dtype complex64"):
        mx.nd.array(np.zeros(2, dtype=np.complex64))


def test_unknown_context_raises_mxnet_error():
    with pytest.raises(KeyError, match="unknown device_type"):  # as mxnet==1.9.1
        mx.Context("tpu")


def test_waitall_and_wait_to_read():
    a = mx.nd.array(np.ones((64, 64)))
    total = a
    for _ in range(20):
        total = total + a
    total.wait_to_read()
    mx.nd.waitall()
    np.testing.assert_array_equal(total.asnumpy(), np.full((64, 64), 21.0))


def test_mxnet_alias_is_kiln():
    import mxnet
    import mxnet.ndarray
    from mxnet import nd

    assert mxnet is mx
    assert mxnet.ndarray is mx.ndarray
    assert nd is mx.nd
    assert isinstance(mxnet.nd.array([1]), mx.nd.NDArray)


def test_readme_one_liner_in_a_fresh_interpreter():
    for package in ("kiln", "mxnet"):
        output = subprocess.run(
            [sys.executable, "-c",
             "import %s as mx; a = mx.nd.array([1, 2, 3]); print((a + a).asnumpy())" % package],
            check=True, capture_output=True, text=True).stdout
        assert output.strip() == "[2. 4. 6.]"
