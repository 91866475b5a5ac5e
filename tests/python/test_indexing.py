"""Indexing and the indexing operators: basic and advanced __getitem__,
__setitem__, slice/slice_axis/flip views, broadcast_to, pick, tile, repeat,
split, norm, batch_dot; NDArray conveniences (asscalar, copyto, pickling,
__array__); and the errors bad calls raise."""
import pickle

import numpy as np
import pytest

import kiln as mx

nd = mx.nd
BASE = np.arange(60, dtype=np.float32).reshape(3, 4, 5)


@pytest.mark.parametrize("key", [
    1, -1, (1, 2), (0, -1, 4), slice(1, 3), (slice(None), 2),
    (slice(None, None, -1), slice(1, None, 2)), (Ellipsis, 3), (1, Ellipsis),
    (None, 1), (slice(0, 3, 2), None, slice(4, 0, -2)), slice(5, 9),
    (slice(-2, None), slice(None, -1), slice(None, None, 3))])
def test_basic_getitem_matches_numpy(key):
    result = nd.array(BASE)[key]
    expected = BASE[key]
    if expected.ndim == 0:
        expected = expected.reshape(1)  # MXNet's legacy arrays have no rank 0
    np.testing.assert_array_equal(result.asnumpy(), expected)


def test_advanced_getitem_takes_rows():
    a = nd.array(BASE)
    np.testing.assert_array_equal(a[[2, 0, 2]].asnumpy(), BASE[[2, 0, 2]])
    np.testing.assert_array_equal(a[nd.array([1, 1])].asnumpy(), BASE[[1, 1]])
    np.testing.assert_array_equal(a[[-1]].asnumpy(), BASE[[-1]])


@pytest.mark.parametrize("key", [
    (slice(None), [3, 0]), (slice(None), slice(None), np.array([4, -1, 0])),
    ([1, 0], [2, 1]), (np.array([2, 0]), [3, 3], [4, 0]), ([[0, 1], [1, 2]], [[1, 1], [0, 3]])])
def test_advanced_getitem_matches_numpy(key):
    np.testing.assert_array_equal(nd.array(BASE)[key].asnumpy(), BASE[key])


def test_advanced_setitem_writes_rows():
    a = nd.zeros((4, 2))
    a[[3, 1]] = nd.array([[1, 2], [3, 4]])
    a[np.array([0])] = 9
    a[nd.array([2])] = [[5, 6]]
    np.testing.assert_array_equal(a.asnumpy(), [[9, 9], [3, 4], [5, 6], [1, 2]])
    a[[1, 1]] = nd.array([[7, 7], [8, 8]])  # the last write wins
    np.testing.assert_array_equal(a.asnumpy()[1], [8, 8])


@pytest.mark.parametrize("key, value", [
    ((0, 1), 7.0), (slice(1, 3), np.float32(-1)),
    ((slice(None), 2, slice(None, None, 2)), nd.array([1, 2, 3])),
    ((Ellipsis, 0), nd.array(np.ones((3, 4)) * 9)),
    ((2,), [[5, 6, 7, 8, 9]])])
def test_setitem_writes_the_region(key, value):
    a = nd.array(BASE)
    a[key] = value
    expected = BASE.copy()
    expected[key] = value.asnumpy() if isinstance(value, nd.NDArray) else value
    np.testing.assert_array_equal(a.asnumpy(), expected)


def test_views_see_later_writes_in_order():
    a = nd.zeros((4, 4))
    row = a[1]
    a[1, 2] = 5
    assert row.asnumpy()[2] == 5


def test_slice_operators():
    a = nd.array(BASE)
    np.testing.assert_array_equal(
        nd.slice(a, begin=(0, None, 1), end=(2, None, None), step=(1, -1, 2)).asnumpy(),
        BASE[0:2, ::-1, 1::2])
    np.testing.assert_array_equal(nd.slice_axis(a, axis=-1, begin=1, end=None).asnumpy(),
                                  BASE[..., 1:])
    np.testing.assert_array_equal(nd.flip(a, axis=(0, 2)).asnumpy(), BASE[::-1, :, ::-1])


def test_broadcast_pick_tile_repeat():
    x = np.array([[1.0], [2.0]], dtype=np.float32)
    np.testing.assert_array_equal(nd.broadcast_to(nd.array(x), shape=(0, 3)).asnumpy(),
                                  np.broadcast_to(x, (2, 3)))
    np.testing.assert_array_equal(
        nd.broadcast_like(nd.array(x), nd.zeros((4, 2, 3))).asnumpy(),
        np.broadcast_to(x, (4, 2, 3)))
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    index = np.array([0, 3, 5], dtype=np.float32)  # 5 clips to 3
    np.testing.assert_array_equal(nd.pick(nd.array(data), nd.array(index)).asnumpy(),
                                  [0, 7, 11])
    np.testing.assert_array_equal(
        nd.pick(nd.array(data), nd.array([1, 2, 0, 1]), axis=0, keepdims=True).asnumpy(),
        [[4, 9, 2, 7]])
    np.testing.assert_array_equal(
        nd.pick(nd.array(data), nd.array([-1, 4, 1]), mode="wrap").asnumpy(), [3, 4, 9])
    np.testing.assert_array_equal(nd.tile(nd.array(data), reps=(2, 1, 2)).asnumpy(),
                                  np.tile(data, (2, 1, 2)))
    np.testing.assert_array_equal(nd.repeat(nd.array(data), repeats=2, axis=1).asnumpy(),
                                  np.repeat(data, 2, axis=1))
    np.testing.assert_array_equal(nd.repeat(nd.array(data), repeats=3).asnumpy(),
                                  np.repeat(data, 3))


def test_split_norm_batch_dot_like_ops():
    a = nd.array(BASE)
    parts = nd.split(a, num_outputs=5, axis=2, squeeze_axis=True)
    assert len(parts) == 5
    np.testing.assert_array_equal(parts[3].asnumpy(), BASE[:, :, 3])
    halves = a.split(num_outputs=2, axis=1)
    np.testing.assert_array_equal(halves[1].asnumpy(), BASE[:, 2:])
    np.testing.assert_allclose(nd.norm(a).asnumpy(), [np.linalg.norm(BASE)], rtol=1e-6)
    np.testing.assert_allclose(nd.norm(a, ord=1, axis=(0, 2)).asnumpy(),
                               np.abs(BASE).sum(axis=(0, 2)), rtol=1e-6)
    x = np.random.rand(2, 3, 4).astype(np.float32)
    y = np.random.rand(2, 5, 4).astype(np.float32)
    np.testing.assert_allclose(
        nd.batch_dot(nd.array(x), nd.array(y), transpose_b=True).asnumpy(),
        x @ y.transpose(0, 2, 1), rtol=1e-5)
    np.testing.assert_array_equal(nd.zeros_like(a).asnumpy(), np.zeros_like(BASE))
    np.testing.assert_array_equal(nd.ones_like(a).asnumpy(), np.ones_like(BASE))
    np.testing.assert_array_equal(
        nd.reshape_like(a, nd.zeros((5, 12))).asnumpy(), BASE.reshape(5, 12))
    np.testing.assert_array_equal(nd.eye(3, 4, k=1).asnumpy(), np.eye(3, 4, 1))


def test_ndarray_conveniences():
    a = nd.array([[1.5, 2.5]])
    assert a[0, 1].asscalar() == np.float32(2.5)
    assert len(a) == 1 and a.stype == "default"
    np.testing.assert_array_equal(np.asarray(a), a.asnumpy())
    b = nd.zeros((1, 2))
    assert a.copyto(b) is b
    np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())
    c = a.copy()
    c[:] = 0
    assert a.asnumpy()[0, 0] == 1.5
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.asnumpy(), a.asnumpy())
    assert restored.dtype == a.dtype
    assert [row.shape for row in nd.zeros((3, 2))] == [(2,)] * 3
    assert bool(nd.array([1])) and not bool(nd.array([0]))


def test_out_argument_for_ops_that_make_new_arrays():
    out = nd.zeros((2, 4))
    result = nd.tile(nd.array([[1, 2]]), reps=(2, 2), out=out)
    np.testing.assert_array_equal(out.asnumpy(), [[1, 2, 1, 2]] * 2)
    np.testing.assert_array_equal(result.asnumpy(), out.asnumpy())


def test_indexing_errors():
    a = nd.array(BASE)
    with pytest.raises(IndexError):
        a[3]
    # The classes mxnet==1.9.1 raises.
    with pytest.raises(IndexError, match="too many indices"):
        a[0, 0, 0, 0]
    with pytest.raises(ValueError, match="does not support slicing"):
        a["x"]
    with pytest.raises(ValueError, match="broadcast"):
        a[0] = nd.ones((3,))
    with pytest.raises(mx.MXNetError, match="step must not be 0"):
        nd.slice(a, begin=(0,), end=(2,), step=(0,))
    with pytest.raises(mx.MXNetError, match="begin has 2 items but end has 1"):
        nd.slice(a, begin=(0, 0), end=(2,))
    with pytest.raises(mx.MXNetError, match="slice_axis: axis 3"):
        nd.slice_axis(a, axis=3, begin=0, end=1)
    with pytest.raises(mx.MXNetError, match="cannot broadcast"):
        nd.broadcast_to(nd.ones((2, 3)), shape=(4, 3))
    with pytest.raises(mx.MXNetError, match="pick: index has shape"):
        nd.pick(nd.ones((3, 4)), nd.ones((4,)))
    with pytest.raises(mx.MXNetError, match="tile: reps"):
        nd.tile(nd.ones((2,)), reps=(-1,))
    with pytest.raises(mx.MXNetError, match="split: axis 1 of extent 4"):
        nd.split(nd.ones((2, 4)), num_outputs=3)
    with pytest.raises(mx.MXNetError, match="norm: ord"):
        nd.norm(nd.ones((2,)), ord=3)
    with pytest.raises(mx.MXNetError, match="batch_dot: shapes"):
        nd.batch_dot(nd.ones((2, 3, 4)), nd.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="asscalar"):  # as mxnet==1.9.1
        nd.ones((2,)).asscalar()
    with pytest.raises(IndexError):
        a[[3]]
    with pytest.raises(IndexError):
        a[[0, -4]] = 1
    # A slice mixed with an index array works (numpy's rule, as MXNet).
    np.testing.assert_array_equal(a[1:, [0]].asnumpy(), np.asarray(BASE, dtype=np.float32)[1:, [0]])
    # Ellipsis and None mix with index arrays too (test_indexing_more
    # compares them with MXNet).
    np.testing.assert_array_equal(a[..., [0]].asnumpy(), np.asarray(BASE)[..., [0]])
    # As mxnet==1.9.1: float indices truncate, index arrays broadcast.
    np.testing.assert_array_equal(a[[0.5]].asnumpy(), a[[0]].asnumpy())
    np.testing.assert_array_equal(a[[0, 1], [0]].asnumpy(), a[[0, 1], [0, 0]].asnumpy())
    with pytest.raises(ValueError, match="cannot be broadcast"):
        a[[0, 1], [0, 1, 2]]
    b = nd.zeros((3,))
    with pytest.raises(IndexError, match="out of bounds"):
        b[nd.array([5])] = 1  # MXNet skips it silently


@pytest.mark.parametrize("call, expected", [
    (lambda a, out: nd.dot(a, a.T, out=out), lambda x: x @ x.T),
    (lambda a, out: nd.softmax(a, out=out), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    (lambda a, out: nd.transpose(nd.transpose(a), out=out), lambda x: x),
    (lambda a, out: nd.concat(a[:, :1], a[:, 1:], dim=1, out=out), lambda x: x),
    (lambda a, out: nd.slice_axis(a, axis=0, begin=0, end=None, out=out), lambda x: x),
])
def test_out_for_every_kind_of_op(call, expected):
    x = np.arange(9, dtype=np.float32).reshape(3, 3) / 10
    out = nd.zeros((3, 3))
    result = call(nd.array(x), out)
    np.testing.assert_allclose(out.asnumpy(), expected(x), rtol=1e-6)
    np.testing.assert_allclose(result.asnumpy(), out.asnumpy())
    total = nd.zeros((1,))
    nd.sum(nd.array(x), out=total)
    assert abs(total.asscalar() - x.sum()) < 1e-5
    with pytest.raises(mx.MXNetError, match="out has shape"):
        nd.dot(nd.array(x), nd.array(x), out=nd.zeros((2, 2)))


MIXED_KEYS = [
    (np.array([0, 1]), slice(None), np.array([1, 3])),
    (slice(None), np.array([0, 2]), np.array([1, 3])),
    (slice(None), np.array([0, 2]), 1),
    (1, slice(None), np.array([[0, 1], [2, 3]])),
    (np.array([1, 0]), slice(1, 3), np.array([0, 3]), slice(None, None, 2)),
    (slice(None), np.array([[0], [2]]), np.array([1, 3])),
    (np.array([-1, 0]), slice(None), slice(None), np.array([4, -5])),
]


@pytest.mark.parametrize("key", MIXED_KEYS, ids=[str(i) for i in range(len(MIXED_KEYS))])
def test_index_arrays_mixed_with_slices_follow_numpy(key):
    # MXNet 1.9.1 gives numpy's results for each of these (checked with it):
    # broadcast index dimensions replace adjacent indexed axes, else lead.
    data = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5)
    np.testing.assert_array_equal(mx.nd.array(data)[key].asnumpy(), data[key])


def test_mixed_indexing_gradient_scatters_back():
    data = mx.nd.array(np.arange(24, dtype=np.float64).reshape(2, 3, 4), dtype="float64")
    data.attach_grad()
    with mx.autograd.record():
        picked = data[np.array([0, 1, 1]), :, np.array([1, 3, 3])]
        picked.sum().backward()
    expected = np.zeros((2, 3, 4))
    np.add.at(expected, (np.array([0, 1, 1]), slice(None), np.array([1, 3, 3])), 1)
    np.testing.assert_array_equal(data.grad.asnumpy(), expected)


def test_mixed_indexing_errors():
    x = mx.nd.ones((2, 3, 4))
    with pytest.raises(IndexError):
        x[np.array([0, 2]), :, np.array([0, 1])]
    with pytest.raises(IndexError):
        x[np.array([0]), :, 7]
    with pytest.raises(ValueError, match="broadcast"):
        x[np.array([0, 1]), :, np.array([0, 1, 2])]
