"""User mistakes raise what MXNet 1.9.1 raises, and sizes never overflow.

Where MXNet raises a builtin exception (ValueError for a reshape whose sizes
differ, IndexError for an index out of bounds, TypeError for an unknown
keyword or dtype), kiln raises a class that is both that builtin and
MXNetError, so `except ValueError` and `except MXNetError` both catch it.
Element counts computed from user-given extents (op attributes, loaded
files) that overflow are MXNetError at the call, never a crash.
"""
import struct

import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError


def test_reshape_method_with_other_size_is_value_error():
    x = mx.nd.ones((2, 3, 5))
    with pytest.raises(ValueError, match=r"reshape"):
        x.reshape((2, 3))
    with pytest.raises(MXNetError):
        x.reshape((2, 3))
    with pytest.raises(ValueError):
        x.reshape((-1, 7))


def test_reshape_method_rejects_unknown_keywords_with_type_error():
    with pytest.raises(TypeError, match="unknown keywords"):
        mx.nd.ones((2, 3)).reshape((3, 2), order="F")


def test_reshape_method_keeps_reverse():
    x = mx.nd.ones((10, 5, 4))
    assert x.reshape((-1, 0), reverse=True).shape == (50, 4)


def test_index_out_of_bounds_is_index_error():
    x = mx.nd.ones((2, 3))
    with pytest.raises(IndexError):
        x[5]
    with pytest.raises(IndexError):
        x[0, -4]


def test_unknown_dtype_is_type_error():
    with pytest.raises(TypeError):
        mx.nd.ones((2,)).astype("foo")


def test_operator_errors_stay_mxnet_errors():
    with pytest.raises(MXNetError) as info:
        mx.nd.ones((2, 2)) + mx.nd.ones((3,))
    assert not isinstance(info.value, (ValueError, IndexError, TypeError))


@pytest.mark.parametrize("make", [
    lambda: mx.nd.zeros((2**32, 2**32)),
    lambda: mx.nd.zeros((2**31, 2**31)),
    lambda: mx.nd.ones((2**62, 4)),
    lambda: mx.nd.full((2**62 + 1, 4), 1.0),
    lambda: mx.nd.one_hot(mx.nd.ones((1, 2), dtype="int32"), depth=2**62),
    lambda: mx.nd.broadcast_to(mx.nd.ones((1, 1)), shape=(2**40, 2**40)),
    # Zero-size inputs with a long axis: the overflow comes from the
    # attributes, without allocating anything first.
    lambda: mx.nd.tile(mx.nd.ones((2**31, 0)), reps=(2**40, 1)),
    lambda: mx.nd.repeat(mx.nd.ones((2**31, 0)), repeats=2**40, axis=0),
    lambda: mx.nd.random.uniform(shape=(2**40, 2**40)),
    lambda: mx.nd.arange(0, 1e30),
    lambda: mx.nd.ones((2, 3)).reshape((2**62, 2**62, 0)),
], ids=["zeros", "zeros_bytes", "ones", "full", "one_hot", "broadcast_to",
        "tile", "repeat", "uniform", "arange", "reshape"])
def test_sizes_that_overflow_are_mxnet_errors(make):
    with pytest.raises(MXNetError):
        make().asnumpy()


def test_one_hot_overflow_names_the_op():
    with pytest.raises(MXNetError, match="^one_hot: "):
        mx.nd.one_hot(mx.nd.ones((1, 2), dtype="int32"), depth=2**62)


def _params_file(shape):
    """An MXNet .params buffer (list, V2 layout) of one float32 array that
    declares `shape` but carries only 4 elements of data."""
    body = struct.pack("<QQQ", 0x112, 0, 1)
    body += struct.pack("<Ii", 0xF993FAC9, 0)  # V2 magic, dense storage
    body += struct.pack("<i", len(shape)) + struct.pack("<%dq" % len(shape), *shape)
    body += struct.pack("<iii", 1, 0, 0)  # cpu(0), float32
    body += struct.pack("<4f", 1, 2, 3, 4)
    return body + struct.pack("<Q", 0)


def test_loading_a_declared_shape_that_overflows_is_an_error():
    np.testing.assert_array_equal(
        mx.nd.load_frombuffer(_params_file((1, 4)))[0].asnumpy(), [[1, 2, 3, 4]])
    with pytest.raises(MXNetError):
        mx.nd.load_frombuffer(_params_file((2**62 + 1, 4)))
    with pytest.raises(MXNetError):
        mx.nd.load_frombuffer(_params_file((2**32, 2**32)))
