"""mx.nd.save / load in Apache MXNet 1.x's format: files written by MXNet
1.9.1 (tests/python/data, made with mx.nd.save in its venv) load in kiln,
kiln writes the same bytes MXNet does, round trips, and bad files raise."""
import os
import pickle

import numpy as np
import pytest

import kiln as mx

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
DTYPES = ["float32", "float64", "float16", "uint8", "int32", "int8", "int64"]


def fixture(name):
    return os.path.join(DATA, "mxnet_1.9.1_%s.params" % name)


def test_loads_mxnet_dict_file_with_every_dtype():
    loaded = mx.nd.load(fixture("dict"))
    assert sorted(loaded) == sorted(["arg:%s" % d for d in DTYPES] + ["bool"])
    for index, dtype in enumerate(DTYPES):
        array = loaded["arg:%s" % dtype]
        assert array.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(array.asnumpy(),
                                      (np.arange(6).reshape(2, 3) + index).astype(dtype))
    np.testing.assert_array_equal(loaded["bool"].asnumpy(), [True, False, True])


def test_loads_mxnet_list_and_numpy_shape_files():
    first, second = mx.nd.load(fixture("list"))
    np.testing.assert_array_equal(first.asnumpy(), [[0.5, -1.25]])
    assert second.shape == (1, 2, 1, 2) and second.dtype == np.float64
    scalar, empty = mx.nd.load(fixture("np_shape"))  # MXNet's V3 layout
    assert scalar.shape == () and scalar.asnumpy() == np.float32(3.5)
    assert empty.shape == (2, 0)


def test_writes_the_bytes_mxnet_writes(tmp_path):
    contents = {"arg:%s" % dtype: mx.nd.array(np.arange(6).reshape(2, 3) + index, dtype=dtype)
                for index, dtype in enumerate(DTYPES)}
    contents["bool"] = mx.nd.array([1, 0, 1], dtype=bool)
    target = tmp_path / "kiln.params"
    mx.nd.save(str(target), contents)
    with open(fixture("dict"), "rb") as expected:
        assert target.read_bytes() == expected.read()
    mx.nd.save(str(target), [mx.nd.array([[0.5, -1.25]]), mx.nd.ones((1, 2, 1, 2), dtype="float64")])
    with open(fixture("list"), "rb") as expected:
        assert target.read_bytes() == expected.read()


def test_round_trips_views_and_single_arrays(tmp_path):
    target = str(tmp_path / "a.params")
    base = mx.nd.array(np.arange(12.0).reshape(3, 4))
    mx.nd.save(target, base[:, ::2].T)  # a strided view is written row-major
    loaded, = mx.nd.load(target)
    np.testing.assert_array_equal(loaded.asnumpy(), np.arange(12.0).reshape(3, 4)[:, ::2].T)
    with open(target, "rb") as stream:
        again, = mx.nd.load_frombuffer(stream.read())
    np.testing.assert_array_equal(again.asnumpy(), loaded.asnumpy())


def test_pickle_keeps_values_and_dtype():
    array = mx.nd.array([[1, 2], [3, 4]], dtype="int32")
    restored = pickle.loads(pickle.dumps(array))
    assert restored.dtype == np.int32
    np.testing.assert_array_equal(restored.asnumpy(), array.asnumpy())


def test_bad_files_raise(tmp_path):
    with pytest.raises(mx.MXNetError, match="cannot open"):
        mx.nd.load(str(tmp_path / "missing.params"))
    with pytest.raises(mx.MXNetError, match="not an MXNet NDArray file"):
        mx.nd.load_frombuffer(b"\x00" * 32)
    with open(fixture("dict"), "rb") as stream:
        good = stream.read()
    with pytest.raises(mx.MXNetError, match="ends inside"):
        mx.nd.load_frombuffer(good[:100])
    sparse = bytearray(good)
    sparse[28:32] = (1).to_bytes(4, "little")  # the first array's storage type
    with pytest.raises(mx.MXNetError, match="sparse"):
        mx.nd.load_frombuffer(bytes(sparse))
    unknown = bytearray(good)
    unknown[24:28] = (0x12345678).to_bytes(4, "little")
    with pytest.raises(mx.MXNetError, match="unknown format"):
        mx.nd.load_frombuffer(bytes(unknown))
    # TypeError for values or keys of the wrong type, as mxnet==1.9.1.
    with pytest.raises(TypeError, match="save only accept"):
        mx.nd.save(str(tmp_path / "x"), [np.ones(2)])
    with pytest.raises(TypeError, match="save only accept"):
        mx.nd.save(str(tmp_path / "x"), {1: mx.nd.ones((1,))})
    with pytest.raises(mx.MXNetError, match="cannot open"):
        mx.nd.save(str(tmp_path / "no" / "dir" / "x"), [mx.nd.ones((1,))])
