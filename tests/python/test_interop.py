"""numpy and DLPack interop: no copies in either direction, lifetimes, and
the errors bad capsules raise."""
import gc

import numpy as np
import pytest

import kiln as mx

nd = mx.nd


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "uint8",
                                   "int8", "int32", "int64"])
def test_numpy_from_dlpack_shares_kiln_memory(dtype):
    a = nd.array(np.arange(6).reshape(2, 3) % 2, dtype=dtype)
    view = np.from_dlpack(a)
    assert view.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(view, a.asnumpy())
    a[0, 0] = 1
    assert view[0, 0] == 1  # the same memory


def test_bool_round_trips_through_dlpack():
    # numpy 1.24 cannot import DLPack's bool; kiln and PyTorch can.
    a = nd.array([True, False, True], dtype=bool)
    b = nd.from_dlpack(a.to_dlpack_for_read())
    assert b.dtype == np.bool_
    np.testing.assert_array_equal(b.asnumpy(), [True, False, True])


def test_kiln_from_numpy_shares_memory_and_outlives_the_source():
    source = np.arange(12, dtype=np.float32).reshape(3, 4)
    a = nd.from_dlpack(source)
    source[2, 3] = -1
    assert a.asnumpy()[2, 3] == -1
    del source
    gc.collect()
    np.testing.assert_array_equal((a * 2).asnumpy()[2], [16, 18, 20, -2])


def test_strided_views_export_and_import():
    base = nd.array(np.arange(12.0).reshape(3, 4))
    exported = nd.from_dlpack(base.T.to_dlpack_for_read())
    np.testing.assert_array_equal(exported.asnumpy(), np.arange(12.0).reshape(3, 4).T)
    flipped = np.arange(10.0)[::-2]  # a negative stride
    np.testing.assert_array_equal(nd.from_dlpack(flipped).asnumpy(), flipped)


def test_write_export_waits_for_pending_work_and_writes_through():
    a = nd.ones((1000,))
    b = a * 3  # pending when exported
    capsule = b.to_dlpack_for_write()
    alias = nd.from_dlpack(capsule)
    assert np.from_dlpack(alias)[0] == 3
    alias[0] = 7
    assert b.asnumpy()[0] == 7


def test_exported_capsule_outlives_the_array():
    a = nd.array([1.0, 2.0, 3.0])
    capsule = nd.to_dlpack_for_read(a)
    del a
    gc.collect()
    np.testing.assert_array_equal(nd.from_dlpack(capsule).asnumpy(), [1, 2, 3])
    unconsumed = nd.array([4.0]).to_dlpack_for_read()
    del unconsumed  # the capsule's destructor releases it


def test_torch_round_trip_without_copies():
    torch = pytest.importorskip("torch")
    a = nd.array([[1.0, 2.0], [3.0, 4.0]])
    t = torch.utils.dlpack.from_dlpack(a.to_dlpack_for_write())
    t[1, 1] = 40
    assert a.asnumpy()[1, 1] == 40
    back = nd.from_dlpack(torch.utils.dlpack.to_dlpack(t[:, 1]))
    np.testing.assert_array_equal(back.asnumpy(), [2, 40])


def test_numpy_protocols():
    a = nd.array([[1, 2]], dtype="int32")
    np.testing.assert_array_equal(np.asarray(a), [[1, 2]])
    assert np.asarray(a, dtype=np.float64).dtype == np.float64
    assert a.__dlpack_device__() == (1, 0)


def test_dlpack_errors():
    a = nd.array([1.0])
    capsule = a.to_dlpack_for_read()
    nd.from_dlpack(capsule)
    with pytest.raises(mx.MXNetError, match="already consumed"):
        nd.from_dlpack(capsule)
    with pytest.raises(mx.MXNetError, match="DLPack capsule"):
        nd.from_dlpack([1, 2, 3])
    with pytest.raises(mx.MXNetError, match="stream"):
        a.__dlpack__(stream=1)
    with pytest.raises(mx.MXNetError, match="unsupported dtype"):
        nd.from_dlpack(np.array([1 + 2j], dtype=np.complex64))
