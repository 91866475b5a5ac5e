"""MXNet 1.9.1's dense indexing, shape and sequence operators (IndexOps.cpp,
SequenceOps.cpp): values against numpy or measured with mxnet==1.9.1 (as
noted), gradients against finite differences and MXNet's, and errors."""
import numpy as np
import pytest

import kiln as mx
from kiln import _core
from kiln._op_gen import attr_string
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient

nd = mx.nd
RNG = np.random.default_rng(5)


def rand(*shape):
    return RNG.uniform(-2, 2, size=shape)


def invoke(name, *inputs, **attrs):
    """Calls registry op `name` directly: the forms that leave an optional
    input out (SequenceMask without sequence_length, _histogram with
    bin_cnt) until kiln._op_gen knows input names ending in '?'."""
    return _core.invoke(name, list(inputs),
                        {k: attr_string(v) for k, v in attrs.items()})


def grad_of(function, *arrays, head=None):
    arrays = [nd.array(a) for a in arrays]
    for a in arrays:
        a.attach_grad()
    with mx.autograd.record():
        out = function(*arrays)
    out.backward(None if head is None else nd.array(head))
    return [a.grad.asnumpy() for a in arrays]


def raises(pattern, function):
    with pytest.raises(MXNetError, match=pattern):
        function()


# --- slice_like, shape_array, size_array -----------------------------------

def test_slice_like():
    x = nd.array(np.arange(12).reshape(3, 4))
    y = nd.zeros((2, 3))
    np.testing.assert_array_equal(nd.slice_like(x, y).asnumpy(),
                                  np.arange(12).reshape(3, 4)[:2, :3])
    assert nd.slice_like(x, y, axes=(0,)).shape == (2, 4)
    assert nd.slice_like(x, y, axes=(-1,)).shape == (3, 3)
    assert nd.slice_like(x, nd.zeros((2, 3, 1)), axes=(0,)).shape == (2, 4)
    assert nd.slice_like(x.astype("int32"), y).dtype == np.int32
    out = nd.slice_like(x, y)
    out[0, 0] = 100  # a copy, as MXNet's
    assert x.asnumpy()[0, 0] == 0
    check_numeric_gradient(lambda a: nd.slice_like(a, nd.zeros((2, 2))),
                           [rand(3, 4)], dtype=np.float64)
    raises(r"slice_like: data has rank 2 and shape_like rank 3",
           lambda: nd.slice_like(x, nd.zeros((2, 3, 1))))
    raises(r"slice_like: shape_like's axis 0 has extent 5, more than data's 3",
           lambda: nd.slice_like(x, nd.zeros((5, 3))))
    raises(r"slice_like: axis 2 is out of range",
           lambda: nd.slice_like(x, nd.zeros((2, 3, 1)), axes=(2,)))


def test_shape_and_size_array():
    x = nd.zeros((3, 4))
    a = nd.shape_array(x)
    assert a.dtype == np.int64 and a.asnumpy().tolist() == [3, 4]
    b = nd.size_array(x)
    assert b.dtype == np.int64 and b.asnumpy().tolist() == [12]


# --- diag ------------------------------------------------------------------

def test_diag_extracts():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    for k in range(-3, 5):
        np.testing.assert_array_equal(nd.diag(nd.array(x), k=k).asnumpy(),
                                      np.diag(x, k=k))
    y = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for k, a1, a2 in [(0, 0, 1), (1, 0, 2), (-1, 2, 0), (0, -2, -1)]:
        got = nd.diag(nd.array(y), k=k, axis1=a1, axis2=a2).asnumpy()
        np.testing.assert_array_equal(got, np.diagonal(y, k, a1, a2))
    # Measured with mxnet==1.9.1: diag((2, 3, 4), k=1, axis1=0, axis2=2).
    assert nd.diag(nd.array(y), k=1, axis1=0, axis2=2).asnumpy().tolist() == \
        [[1, 14], [5, 18], [9, 22]]
    check_numeric_gradient(lambda a: nd.diag(a, k=1), [rand(3, 3)],
                           dtype=np.float64)
    # MXNet 1.9.1's gradient: ones on the diagonal taken.
    np.testing.assert_array_equal(
        grad_of(lambda a: nd.diag(a, k=1), np.ones((3, 3)))[0],
        [[0, 1, 0], [0, 0, 1], [0, 0, 0]])


def test_diag_builds():
    for k in [0, 2, -1, -7]:
        v = np.array([1, 2, 3], dtype=np.int32)
        got = nd.diag(nd.array(v, dtype="int32"), k=k)
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got.asnumpy(), np.diag(v, k=k))
    check_numeric_gradient(lambda a: nd.diag(a, k=-1), [rand(3)],
                           dtype=np.float64)


def test_diag_errors():
    x = nd.zeros((3, 4))
    raises(r"diag: k=5 names no diagonal .* expected -3 <= k <= 4",
           lambda: nd.diag(x, k=5))
    raises(r"diag: k=-4 names no diagonal", lambda: nd.diag(x, k=-4))
    raises(r"diag: axis1 and axis2 both refer to axis 1",
           lambda: nd.diag(nd.zeros((2, 3, 4)), axis1=1, axis2=-2))
    raises(r"diag: axis 3 is out of range",
           lambda: nd.diag(nd.zeros((2, 3, 4)), axis1=3))
    raises(r"diag: data must have rank 1 or more",
           lambda: nd.diag(nd.zeros((1,)).reshape(())))


# --- depth_to_space, space_to_depth ----------------------------------------

def test_depth_to_space_and_back():
    x = np.arange(24, dtype=np.float32).reshape(1, 4, 2, 3)
    # Measured with mxnet==1.9.1 (and MXNet's documentation example).
    expected = [[[[0, 6, 1, 7, 2, 8], [12, 18, 13, 19, 14, 20],
                  [3, 9, 4, 10, 5, 11], [15, 21, 16, 22, 17, 23]]]]
    y = nd.depth_to_space(nd.array(x), 2)
    assert y.asnumpy().tolist() == expected
    np.testing.assert_array_equal(nd.space_to_depth(y, block_size=2).asnumpy(),
                                  x)
    # numpy's form of MXNet's definition (reshape, transpose, reshape).
    z = RNG.uniform(size=(2, 2, 6, 3)).astype(np.float32)
    expected = z.reshape(2, 2, 2, 3, 1, 3).transpose(0, 3, 5, 1, 2, 4) \
        .reshape(2, 18, 2, 1)
    np.testing.assert_array_equal(nd.space_to_depth(nd.array(z), 3).asnumpy(),
                                  expected)
    np.testing.assert_array_equal(
        nd.depth_to_space(nd.array(expected), 3).asnumpy(), z)
    check_numeric_gradient(lambda a: nd.depth_to_space(a, 2),
                           [rand(1, 8, 2, 2)], dtype=np.float64)
    check_numeric_gradient(lambda a: nd.space_to_depth(a, 2),
                           [rand(2, 1, 4, 2)], dtype=np.float64)


def test_depth_to_space_errors():
    raises(r"depth_to_space: the channels \(4, axis 1\) must be a multiple of "
           r"block_size\^2 \(9\)",
           lambda: nd.depth_to_space(nd.zeros((1, 4, 2, 3)), 3))
    raises(r"depth_to_space: data must have rank 4 \(N, C, H, W\), got shape "
           r"\(4, 2, 3\)", lambda: nd.depth_to_space(nd.zeros((4, 2, 3)), 2))
    raises(r"depth_to_space: block_size expected an integer from 1 to 2147483647, got 0",
           lambda: nd.depth_to_space(nd.zeros((1, 4, 2, 3)), 0))
    raises(r"space_to_depth: the width \(6, axis 3\) must be a multiple of "
           r"block_size \(4\)",
           lambda: nd.space_to_depth(nd.zeros((1, 1, 4, 6)), 4))
    raises(r"depth_to_space: missing required argument 'block_size'",
           lambda: nd.depth_to_space(nd.zeros((1, 4, 2, 3))))


# --- ravel_multi_index, unravel_index --------------------------------------

def test_ravel_and_unravel():
    a = nd.array([[3, 6, 6], [4, 5, 1]])
    for name in ["ravel_multi_index", "_ravel_multi_index"]:
        op = getattr(nd, name, None) or getattr(nd._internal, name)
        for shape in [(7, 6), (-1, 6)]:
            got = op(a, shape=shape)
            assert got.dtype == np.float32
            assert got.asnumpy().tolist() == [22, 41, 37]
    assert nd.ravel_multi_index(a.astype("int64"), shape=(7, 6)).dtype == \
        np.int64
    flat = nd.array([22, 41, 37])
    for shape in [(7, 6), (-1, 6)]:
        assert nd.unravel_index(flat, shape=shape).asnumpy().tolist() == \
            [[3, 6, 6], [4, 5, 1]]
    # Measured with mxnet==1.9.1: the first axis is not wrapped, division
    # truncates, the dtype is data's.
    assert nd.unravel_index(nd.array([22, 41, 47]), shape=(7, 6)) \
        .asnumpy().tolist() == [[3, 6, 7], [4, 5, 5]]
    assert nd.unravel_index(nd.array([-1]), shape=(2, 3)).asnumpy().tolist() \
        == [[0], [-1]]
    got = nd.unravel_index(nd.array([5], dtype="int32"), shape=(2, 3))
    assert got.dtype == np.int32 and got.asnumpy().tolist() == [[1], [2]]
    idx = RNG.integers(0, 60, size=20)
    np.testing.assert_array_equal(
        nd.unravel_index(nd.array(idx, dtype="int64"), shape=(3, 4, 5))
        .asnumpy(), np.unravel_index(idx, (3, 4, 5)))


def test_ravel_errors():
    a = nd.array([[3, 6, 6], [4, 5, 1]])
    raises(r"_ravel_multi_index: data has shape \(2, 3\), expected \(3, N\)",
           lambda: nd.ravel_multi_index(a, shape=(7, 6, 2)))
    raises(r"_ravel_multi_index: shape expected a non-empty tuple, got 'None'",
           lambda: nd.ravel_multi_index(a))
    raises(r"_ravel_multi_index: shape expected positive extents",
           lambda: nd.ravel_multi_index(a, shape=(7, -1)))
    raises(r"_unravel_index: data must have rank 1",
           lambda: nd.unravel_index(a, shape=(7, 6)))


# --- khatri_rao ------------------------------------------------------------

def test_khatri_rao():
    a = np.array([[1, -1], [2, -3]], dtype=np.float32)
    b = np.array([[1, 4], [2, 5], [3, 6]], dtype=np.float32)
    got = nd.khatri_rao(nd.array(a), nd.array(b)).asnumpy()
    # MXNet's documentation example (and measured with mxnet==1.9.1).
    assert got.tolist() == [[1, -4], [2, -5], [3, -6], [2, -12], [4, -15],
                            [6, -18]]
    c = RNG.uniform(size=(2, 2)).astype(np.float32)
    expected = np.stack([np.kron(np.kron(a[:, k], b[:, k]), c[:, k])
                         for k in range(2)], axis=1)
    np.testing.assert_allclose(
        nd.khatri_rao(nd.array(a), nd.array(b), nd.array(c)).asnumpy(),
        expected, rtol=1e-6)
    assert nd.khatri_rao(nd.array(a)).asnumpy().tolist() == a.tolist()
    check_numeric_gradient(lambda x, y: nd.khatri_rao(x, y),
                           [rand(2, 3), rand(4, 3)], dtype=np.float64)
    raises(r"khatri_rao: input 1 has 3 columns, expected 2",
           lambda: nd.khatri_rao(nd.array(a), nd.zeros((1, 3))))
    raises(r"khatri_rao: input 0 must be a matrix \(rank 2\), got shape \(2,\)",
           lambda: nd.khatri_rao(nd.zeros((2,)), nd.zeros((2, 2))))
    raises(r"khatri_rao: .*int32",
           lambda: nd.khatri_rao(nd.zeros((2, 2), dtype="int32")))


# --- choose_element_0index, fill_element_0index, batch_take, argmax_channel -

def test_choose_element_0index_is_pick():
    x = nd.array([[1, 2], [3, 4], [5, 6]])
    assert nd.choose_element_0index(x, nd.array([0, 1, 5])).asnumpy() \
        .tolist() == [1, 4, 6]
    assert nd.choose_element_0index(x, nd.array([0, 1]), axis=0).asnumpy() \
        .tolist() == [1, 4]


def test_fill_element_0index():
    lhs = nd.array([[1, 2], [3, 4], [5, 6]])
    got = nd.fill_element_0index(lhs, nd.array([7, 8, 9]), nd.array([0, 1, 1]))
    assert got.asnumpy().tolist() == [[7, 2], [3, 8], [5, 9]]
    # Measured with mxnet==1.9.1: indices outside the row change nothing.
    got = nd.fill_element_0index(lhs, nd.array([7, 8, 9]),
                                 nd.array([0, 5, -1]))
    assert got.asnumpy().tolist() == [[7, 2], [3, 4], [5, 6]]
    index = nd.array([1, 0, 1])
    check_numeric_gradient(
        lambda l, m: nd.fill_element_0index(l, m, index),
        [rand(3, 2), rand(3)], dtype=np.float64)
    raises(r"fill_element_0index: expected lhs \(n, m\), mhs \(n,\) and rhs "
           r"\(n,\), got \(3, 2\), \(2,\) and \(2,\)",
           lambda: nd.fill_element_0index(lhs, nd.array([7, 8]),
                                          nd.array([0, 1])))
    raises(r"fill_element_0index: mhs has dtype float64, expected float32",
           lambda: nd.fill_element_0index(lhs, nd.array([7, 8, 9],
                                                        dtype="float64"),
                                          nd.array([0, 1, 1])))


def test_batch_take():
    x = nd.array([[1, 2], [3, 4], [5, 6]])
    idx = nd.array([0, 5, -1], dtype="int32")
    # Measured with mxnet==1.9.1: indices clip into the row.
    assert nd.batch_take(x, idx).asnumpy().tolist() == [1, 4, 5]
    y = nd.array(np.arange(12).reshape(3, 4), dtype="int32")
    got = nd.batch_take(y, nd.array([[0, 1, 3]], dtype="int32"))
    assert got.dtype == np.int32 and got.asnumpy().tolist() == [[0, 5, 11]]
    check_numeric_gradient(
        lambda a: nd.batch_take(a, nd.array([1, 0, 2], dtype="int32")),
        [rand(3, 3)], dtype=np.float64)
    raises(r"batch_take: indices has 2 elements, expected 3 \(one per row",
           lambda: nd.batch_take(x, nd.array([0, 1], dtype="int32")))


def test_argmax_channel():
    x = nd.array([[0, 1, 2], [3, 4, 5]])
    assert nd.argmax_channel(x).asnumpy().tolist() == [2, 2]
    # Measured with mxnet==1.9.1: axis 1 of higher ranks, data's dtype.
    got = nd.argmax_channel(nd.array(np.arange(24).reshape(2, 3, 4)))
    assert got.shape == (2, 4) and got.asnumpy().tolist() == [[2] * 4] * 2
    assert nd.argmax_channel(x.astype("int32")).dtype == np.int32
    raises(r"argmax_channel: data must have rank 2 or more",
           lambda: nd.argmax_channel(nd.zeros((4,))))


# --- Crop ------------------------------------------------------------------

def test_crop():
    x = nd.array(np.arange(24).reshape(1, 2, 3, 4))
    a = np.arange(24).reshape(1, 2, 3, 4)
    np.testing.assert_array_equal(
        nd.Crop(x, h_w=(2, 2), offset=(1, 1)).asnumpy(), a[:, :, 1:3, 1:3])
    np.testing.assert_array_equal(
        nd.Crop(x, num_args=1, h_w=(1, 2), center_crop=True).asnumpy(),
        a[:, :, 1:2, 1:3])
    np.testing.assert_array_equal(
        nd.Crop(x, nd.zeros((5, 5, 2, 3)), num_args=2, offset=(1, 0))
        .asnumpy(), a[:, :, 1:3, 0:3])
    np.testing.assert_array_equal(
        nd.Crop(x, nd.zeros((5, 5, 2, 2)), center_crop=True).asnumpy(),
        a[:, :, 0:2, 1:3])
    check_numeric_gradient(lambda d: nd.Crop(d, h_w=(1, 2), offset=(1, 0)),
                           [rand(1, 1, 2, 3)], dtype=np.float64)
    raises(r"Crop: offset \(1, 1\) puts the crop \(3, 2\) outside the data's "
           r"\(3, 4\)", lambda: nd.Crop(x, h_w=(3, 2), offset=(1, 1)))
    raises(r"Crop: data must have rank 4", lambda: nd.Crop(nd.zeros((2, 3, 4)),
                                                           h_w=(1, 1)))
    raises(r"Crop: h_w expected a height and width of 1 or more",
           lambda: nd.Crop(x))
    raises(r"Crop: expected 1 or 2 inputs", lambda: nd.Crop(x, x, x))


# --- _histogram (two outputs) ----------------------------------------------

DATA = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, -1, 7]


def test_histogram_with_edges():
    counts, edges = nd._internal._histogram(nd.array(DATA),
                                            nd.array([0, 1, 2.5, 4]))
    # Measured with mxnet==1.9.1.
    assert counts.dtype == np.int64 and counts.asnumpy().tolist() == [1, 3, 4]
    assert edges.dtype == np.float32
    assert edges.asnumpy().tolist() == [0, 1, 2.5, 4]
    counts, _ = nd._internal._histogram(nd.array(DATA).reshape((2, 5)),
                                        nd.array([0, 1, 2.5, 4]))
    assert counts.asnumpy().tolist() == [1, 3, 4]
    values = RNG.normal(size=1000)
    bins = np.array([-3, -1, -0.5, 0, 0.1, 2, 3])
    counts, edges = nd._internal._histogram(nd.array(values, dtype="float64"),
                                            nd.array(bins, dtype="float64"))
    np.testing.assert_array_equal(counts.asnumpy(),
                                  np.histogram(values, bins)[0])


def test_histogram_with_count_and_range():
    # Measured with mxnet==1.9.1 (the same as numpy for floats).
    for dtype in ["float32", "float64"]:
        counts, edges = invoke("_histogram", nd.array(DATA, dtype=dtype),
                               bin_cnt=4, range=(1, 4))
        assert counts.asnumpy().tolist() == [2, 1, 2, 2]
        assert edges.dtype == np.dtype(dtype)
        assert edges.asnumpy().tolist() == [1, 1.75, 2.5, 3.25, 4]
    # Integer data bins by the edges in its dtype (measured).
    counts, edges = invoke("_histogram", nd.array(DATA, dtype="int32"),
                           bin_cnt=4, range=(1, 4))
    assert counts.asnumpy().tolist() == [0, 2, 2, 3]
    assert edges.asnumpy().tolist() == [1, 1, 2, 3, 4]
    # NaN is not counted; an empty range widens by 0.5 (measured).
    counts, _ = invoke("_histogram", nd.array([np.nan, 1, 2]), bin_cnt=2,
                       range=(0, 2))
    assert counts.asnumpy().tolist() == [0, 2]
    counts, edges = invoke("_histogram", nd.array([1, 1, 2]), bin_cnt=2,
                           range=(1, 1))
    assert counts.asnumpy().tolist() == [0, 2]
    assert edges.asnumpy().tolist() == [0.5, 1, 1.5]
    values = RNG.normal(size=5000)
    counts, edges = invoke("_histogram", nd.array(values, dtype="float64"),
                           bin_cnt=13, range=(-2, 2.5))
    expected_counts, expected_edges = np.histogram(values, 13, (-2, 2.5))
    np.testing.assert_array_equal(counts.asnumpy(), expected_counts)
    np.testing.assert_allclose(edges.asnumpy(), expected_edges)


def test_histogram_out_and_errors():
    counts, edges = nd.zeros((3,), dtype="int64"), nd.zeros((4,))
    result = nd._internal._histogram(nd.array(DATA), nd.array([0, 1, 2.5, 4]),
                                     out=[counts, edges])
    assert result[0] is counts and counts.asnumpy().tolist() == [1, 3, 4]
    raises(r"_histogram: give bins \(an array of bin edges\), or bin_cnt and "
           r"range together", lambda: invoke("_histogram", nd.array(DATA),
                                             bin_cnt=4))
    raises(r"_histogram: give either bins .* not both",
           lambda: nd._internal._histogram(nd.array(DATA), nd.array([0, 1]),
                                           bin_cnt=3, range=(1, 4)))
    raises(r"_histogram: range expected low <= high, got \(4, 1\)",
           lambda: invoke("_histogram", nd.array(DATA), bin_cnt=4,
                          range=(4, 1)))
    raises(r"_histogram: bin_cnt expected an integer from 1 to 67108864, got 0",
           lambda: invoke("_histogram", nd.array(DATA), bin_cnt=0,
                          range=(1, 4)))
    raises(r"_histogram: bins has dtype int32, expected float32",
           lambda: nd._internal._histogram(nd.array(DATA),
                                           nd.array([0, 1], dtype="int32")))
    raises(r"_histogram: bins must be a rank-1 array of 2 or more",
           lambda: nd._internal._histogram(nd.array(DATA), nd.array([0])))
    raises(r"_histogram: expected 1 to 2 input arrays, got 3",
           lambda: invoke("_histogram", nd.array(DATA), nd.array(DATA),
                          nd.array(DATA)))


# --- SequenceMask, SequenceLast, SequenceReverse ---------------------------

SEQ = np.arange(18, dtype=np.float32).reshape(3, 2, 3)


def test_sequence_mask():
    x = nd.array(SEQ)
    got = nd.SequenceMask(x, nd.array([2, 3]), use_sequence_length=True,
                          value=-1).asnumpy()
    expected = SEQ.copy()
    expected[2, 0] = -1
    np.testing.assert_array_equal(got, expected)
    # Measured with mxnet==1.9.1: lengths truncate; above T keeps all; the
    # value converts to data's dtype; axis=1 is (B, T, ...).
    got = nd.SequenceMask(x, nd.array([1.7, 2.2]), use_sequence_length=True)
    assert got.asnumpy()[:, :, 0].tolist() == [[0, 3], [0, 9], [0, 0]]
    got = nd.SequenceMask(x, nd.array([5, 0], dtype="int32"),
                          use_sequence_length=True)
    assert got.asnumpy()[:, :, 0].tolist() == [[0, 0], [6, 0], [12, 0]]
    got = nd.SequenceMask(x.astype("int32"), nd.array([1, 2]),
                          use_sequence_length=True, value=2.5)
    assert got.dtype == np.int32 and got.asnumpy()[:, :, 0].tolist() == \
        [[0, 3], [2, 9], [2, 2]]
    got = nd.SequenceMask(nd.array(np.arange(12).reshape(2, 3, 2)),
                          nd.array([1, 2]), use_sequence_length=True, axis=1)
    assert got.asnumpy().tolist() == [[[0, 1], [0, 0], [0, 0]],
                                      [[6, 7], [8, 9], [0, 0]]]
    # Without use_sequence_length the result is data; a length given then
    # is refused, as MXNet 1.9.1 counts the inputs by the flag.
    with pytest.raises(MXNetError, match="expects 1 inputs, but got 2"):
        nd.SequenceMask(x, nd.array([1, 1]))
    np.testing.assert_array_equal(invoke("SequenceMask", x).asnumpy(), SEQ)
    lengths = nd.array([1, 3])
    check_numeric_gradient(
        lambda d: nd.SequenceMask(d, lengths, use_sequence_length=True,
                                  value=7), [rand(3, 2, 2)], dtype=np.float64)
    # MXNet 1.9.1's gradient: the head gradient where kept, 0 where masked.
    np.testing.assert_array_equal(
        grad_of(lambda d: nd.SequenceMask(d, lengths, use_sequence_length=True,
                                          value=7), np.ones((3, 2)),
                head=np.arange(6).reshape(3, 2) + 1)[0],
        [[1, 2], [0, 4], [0, 6]])


def test_sequence_last():
    x = nd.array(SEQ)
    np.testing.assert_array_equal(
        nd.SequenceLast(x, nd.array([2, 3]), use_sequence_length=True)
        .asnumpy(), [SEQ[1, 0], SEQ[2, 1]])
    np.testing.assert_array_equal(invoke("SequenceLast", x).asnumpy(), SEQ[2])
    # Measured with mxnet==1.9.1: lengths truncate; axis=1; rank 2.
    got = nd.SequenceLast(x, nd.array([1.9, 2.5]), use_sequence_length=True)
    assert got.asnumpy().tolist() == [[0, 1, 2], [9, 10, 11]]
    got = nd.SequenceLast(nd.array(np.arange(12).reshape(2, 3, 2)),
                          nd.array([1, 3]), use_sequence_length=True, axis=1)
    assert got.asnumpy().tolist() == [[0, 1], [10, 11]]
    got = nd.SequenceLast(nd.array(np.arange(6).reshape(3, 2)),
                          nd.array([2, 3]), use_sequence_length=True)
    assert got.asnumpy().tolist() == [2, 5]
    lengths = nd.array([1, 3])
    check_numeric_gradient(
        lambda d: nd.SequenceLast(d, lengths, use_sequence_length=True),
        [rand(3, 2, 2)], dtype=np.float64)
    check_numeric_gradient(
        lambda d: nd.SequenceLast(d, lengths, use_sequence_length=True,
                                  axis=1), [rand(2, 3, 2)], dtype=np.float64)
    # MXNet 1.9.1's gradient (measured).
    np.testing.assert_array_equal(
        grad_of(lambda d: nd.SequenceLast(d, lengths,
                                          use_sequence_length=True),
                np.ones((3, 2, 2)), head=np.arange(4).reshape(2, 2))[0],
        [[[0, 1], [0, 0]], [[0, 0], [0, 0]], [[0, 0], [2, 3]]])


def test_sequence_reverse():
    x = nd.array(SEQ)
    got = nd.SequenceReverse(x, nd.array([2, 3]), use_sequence_length=True)
    # MXNet's documentation example with (2, 3); measured with mxnet==1.9.1.
    assert got.asnumpy()[:, :, 0].tolist() == [[6, 15], [0, 9], [12, 3]]
    np.testing.assert_array_equal(invoke("SequenceReverse", x).asnumpy(),
                                  SEQ[::-1])
    got = nd.SequenceReverse(x, nd.array([0, 3]), use_sequence_length=True)
    assert got.asnumpy()[:, :, 0].tolist() == [[0, 15], [6, 9], [12, 3]]
    lengths = nd.array([1, 3])
    check_numeric_gradient(
        lambda d: nd.SequenceReverse(d, lengths, use_sequence_length=True),
        [rand(3, 2, 2)], dtype=np.float64)
    np.testing.assert_array_equal(
        grad_of(lambda d: nd.SequenceReverse(d, lengths,
                                             use_sequence_length=True),
                np.ones((3, 2)), head=np.arange(6).reshape(3, 2))[0],
        [[0, 5], [2, 3], [4, 1]])  # measured with mxnet==1.9.1


def test_sequence_errors():
    x = nd.array(SEQ)
    raises(r"SequenceMask: axis expected 0 or 1, got 2",
           lambda: nd.SequenceMask(x, nd.array([1, 2]),
                                   use_sequence_length=True, axis=2))
    raises(r"SequenceReverse: axis expected 0, got 1",
           lambda: nd.SequenceReverse(x, nd.array([1, 2]),
                                      use_sequence_length=True, axis=1))
    raises(r"SequenceLast: data must have rank 2 or more",
           lambda: nd.SequenceLast(nd.zeros((3,)), nd.array([1]),
                                   use_sequence_length=True))
    raises(r"SequenceMask: sequence_length has shape \(3,\), expected \(2,\) "
           r"\(the batch size\)",
           lambda: nd.SequenceMask(x, nd.array([1, 2, 3]),
                                   use_sequence_length=True))
    raises(r"SequenceLast: use_sequence_length is True but no sequence_length",
           lambda: invoke("SequenceLast", x, use_sequence_length=True))
    raises(r"SequenceMask: expected 1 to 2 input arrays, got 3",
           lambda: invoke("SequenceMask", x, x, x))


def test_optional_inputs_through_mx_nd():
    """SequenceMask(data) and _histogram(data, bin_cnt=, range=) leave an
    optional input out (its OpSpec::inputs name ends in '?')."""
    got = nd.SequenceMask(nd.array(SEQ))
    np.testing.assert_array_equal(got.asnumpy(), SEQ)
    np.testing.assert_array_equal(nd.SequenceMask(nd.array(SEQ), None).asnumpy(), SEQ)
    with pytest.raises(MXNetError, match="missing input 'data'"):
        nd.SequenceMask(sequence_length=nd.array([1, 1]))
    got = nd.SequenceMask(data=nd.array(SEQ), sequence_length=nd.array([1, 1]),
                          use_sequence_length=True)
    assert got.asnumpy()[1:].sum() == 0
    counts, _ = nd._internal._histogram(nd.array(DATA), bin_cnt=4,
                                        range=(1, 4))
    assert counts.asnumpy().tolist() == [2, 1, 2, 2]


def test_histogram_wrapper_as_mxnet():
    # Measured with mxnet==1.9.1.
    a = nd.array([1, 2, 2, 3, 4, 4, 4, 5.5])
    counts, edges = nd.histogram(a, bins=4, range=(1, 5))
    assert counts.asnumpy().tolist() == [1, 2, 1, 3] and counts.dtype == np.int64
    assert edges.asnumpy().tolist() == [1, 2, 3, 4, 5]
    counts, edges = nd.histogram(a, bins=nd.array([0, 2, 4, 6]))
    assert counts.asnumpy().tolist() == [1, 3, 4]
    with pytest.warns(UserWarning, match="range is not specified"):
        counts, edges = nd.histogram(a, bins=3)
    assert counts.asnumpy().tolist() == [3, 1, 4] and counts.dtype == np.float32
    assert edges.asnumpy().tolist() == [1, 2.5, 4, 5.5]
    with pytest.raises(ValueError, match="bins argument"):
        nd.histogram(a, bins=2.5)
