"""sort, argsort, topk, gather_nd, scatter_nd, pad and the random helpers
(randint, randn, exponential, shuffle) against numpy and MXNet 1.9.1's
results, and the errors bad calls raise."""
import numpy as np
import pytest

import kiln as mx

nd = mx.nd
RNG = np.random.default_rng(5)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "int8", "uint8"])
@pytest.mark.parametrize("axis", [-1, 0, 1, None])
def test_sort_and_argsort_match_numpy(dtype, axis):
    x = RNG.integers(0, 50, size=(4, 5, 3)).astype(dtype)
    a = nd.array(x, dtype=dtype)
    for ascending in (True, False):
        expected = np.sort(x, axis=axis)
        if not ascending:
            expected = np.flip(expected, axis=axis if axis is not None else 0)
        np.testing.assert_array_equal(nd.sort(a, axis=axis, is_ascend=ascending).asnumpy(),
                                      expected)
    order = nd.argsort(a, axis=axis).asnumpy()
    assert order.dtype == np.float32
    np.testing.assert_array_equal(order, np.argsort(x, axis=axis, kind="stable"))


def test_topk_kinds_match_mxnet():
    x = nd.array([[3, 1, 2, 5], [0, 9, 7, 7]])
    # Values recorded from Apache MXNet 1.9.1.
    np.testing.assert_array_equal(nd.topk(x, k=2).asnumpy(), [[3, 0], [1, 2]])
    np.testing.assert_array_equal(nd.topk(x, k=2, ret_typ="value").asnumpy(), [[5, 3], [9, 7]])
    np.testing.assert_array_equal(nd.topk(x, k=1, axis=0, ret_typ="mask").asnumpy(),
                                  [[1, 0, 0, 0], [0, 1, 1, 1]])
    values, indices = nd.topk(x, k=2, ret_typ="both", is_ascend=True)
    np.testing.assert_array_equal(values.asnumpy(), [[1, 2], [0, 7]])
    np.testing.assert_array_equal(indices.asnumpy(), [[1, 2], [0, 2]])
    np.testing.assert_array_equal(x.topk(k=0, ret_typ="value").asnumpy(), [[5, 3, 2, 1], [9, 7, 7, 0]])
    assert nd.topk(x, k=1, dtype="int64").dtype == np.int64


def test_large_sort_runs_in_parallel_rows():
    x = RNG.standard_normal((300, 500)).astype(np.float32)
    np.testing.assert_array_equal(nd.sort(nd.array(x)).asnumpy(), np.sort(x, axis=-1))


def test_gather_and_scatter_nd():
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    indices = np.array([[1, 0], [2, 1]])
    gathered = nd.gather_nd(nd.array(data), nd.array(indices)).asnumpy()
    np.testing.assert_array_equal(gathered, data[tuple(indices)])
    np.testing.assert_array_equal(
        nd.gather_nd(nd.array(data), nd.array([[1], [2], [3]])).asnumpy(), [data[1, 2, 3]])
    updates = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], dtype=np.float32)
    scattered = nd.scatter_nd(nd.array(updates), nd.array(indices), shape=(2, 3, 4)).asnumpy()
    expected = np.zeros((2, 3, 4), np.float32)
    expected[tuple(indices)] = updates
    np.testing.assert_array_equal(scattered, expected)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_pad_matches_numpy(mode):
    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    widths = (0, 0, 0, 0, 1, 2, 2, 1)
    kwargs = {"constant_value": 7} if mode == "constant" else {}
    result = nd.pad(nd.array(x), mode=mode, pad_width=widths, **kwargs).asnumpy()
    numpy_kwargs = {"constant_values": 7} if mode == "constant" else {}
    expected = np.pad(x, list(zip(widths[::2], widths[1::2])), mode=mode, **numpy_kwargs)
    np.testing.assert_array_equal(result, expected)


def test_random_helpers():
    mx.random.seed(3)
    ints = nd.random.randint(-3, 4, shape=(2000,))
    values = ints.asnumpy()
    assert ints.dtype == np.int32 and values.min() == -3 and values.max() == 3
    assert nd.random.randint(0, 5, shape=(3,), dtype="int64").dtype == np.int64
    assert nd.random.randn(2, 3).shape == (2, 3)
    samples = nd.random.exponential(2.0, shape=(20000,)).asnumpy()
    assert samples.min() >= 0 and abs(samples.mean() - 2.0) < 0.1
    data = nd.array(np.arange(50.0).reshape(25, 2))
    shuffled = nd.random.shuffle(data).asnumpy()
    assert not np.array_equal(shuffled, data.asnumpy())
    np.testing.assert_array_equal(np.sort(shuffled[:, 0]), data.asnumpy()[:, 0])
    np.testing.assert_array_equal(shuffled[:, 1] - shuffled[:, 0], np.ones(25))
    mx.random.seed(3)
    np.testing.assert_array_equal(nd.random.randint(-3, 4, shape=(2000,)).asnumpy(), values)


def test_errors():
    x = nd.ones((2, 3))
    with pytest.raises(mx.MXNetError, match="sort: axis 2"):
        nd.sort(x, axis=2)
    with pytest.raises(mx.MXNetError, match="topk: k"):
        nd.topk(x, k=4)
    with pytest.raises(mx.MXNetError, match="ret_typ"):
        nd.topk(x, ret_typ="everything")
    with pytest.raises(mx.MXNetError, match=r"indices.shape\[0\] is 3"):
        nd.gather_nd(x, nd.ones((3, 1)))
    with pytest.raises(mx.MXNetError, match="scatter_nd: data has shape"):
        nd.scatter_nd(nd.ones((3,)), nd.ones((1, 2)), shape=(2, 3))
    with pytest.raises(mx.MXNetError, match="pad: pad_width has 2"):
        nd.pad(x, pad_width=(1, 1))
    with pytest.raises(mx.MXNetError, match="pad: mode"):
        nd.pad(x, mode="wrap", pad_width=(0, 0, 1, 1))
    with pytest.raises(mx.MXNetError, match="reflect"):
        nd.pad(x, mode="reflect", pad_width=(0, 0, 3, 0))
    with pytest.raises(mx.MXNetError, match="randint: low"):
        nd.random.randint(3, 3, shape=(2,))


def test_multinomial_samples_follow_the_probabilities():
    mx.random.seed(11)
    probabilities = nd.array([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]])
    samples = nd.random.multinomial(probabilities, shape=20000)
    assert samples.shape == (2, 20000) and samples.dtype == np.int32
    for row, expected in zip(samples.asnumpy(), probabilities.asnumpy()):
        frequencies = np.bincount(row, minlength=3) / row.size
        np.testing.assert_allclose(frequencies, expected, atol=0.015)
    assert nd.random.multinomial(nd.array([0.2, 0.8])).shape == (1,)  # as MXNet
    drawn, log_probability = nd.random.multinomial(probabilities, get_prob=True)
    assert drawn.shape == (2,) and log_probability.shape == (2,)
    np.testing.assert_allclose(
        log_probability.asnumpy(),
        np.log(probabilities.asnumpy()[np.arange(2), drawn.asnumpy()]), rtol=1e-6)
    with pytest.raises(mx.MXNetError, match="rank 1 or more"):
        nd.random.multinomial(nd.array(np.array(1.0)).reshape(()))


def test_float16_sorts_as_mxnet():
    # float16 (and bfloat16) were refused ("dtype float16 is not
    # supported"); MXNet 1.9.1 sorts them (argsort, sort, topk indices),
    # indices in the requested dtype. Values below are MXNet's.
    x = mx.nd.array([[1, 5, 3, 2], [9, 0, 4, 7.5]], dtype="float16")
    top = mx.nd.topk(x, k=2)
    assert top.dtype == np.float32 and top.asnumpy().tolist() == [[1, 2], [0, 3]]
    ordered = mx.nd.sort(x)
    assert ordered.dtype == np.float16
    assert ordered.asnumpy().tolist() == [[1, 2, 3, 5], [0, 4, 7.5, 9]]
    indices = mx.nd.argsort(x, dtype="int32")
    assert indices.dtype == np.int32
    assert indices.asnumpy().tolist() == [[0, 3, 2, 1], [1, 2, 3, 0]]
    assert mx.nd.topk(x, k=2, ret_typ="mask").asnumpy().tolist() == [
        [0, 1, 1, 0], [1, 0, 0, 1]]
    assert mx.sym.argsort(mx.sym.var("x")).infer_type(x="float16")[1] == [
        np.float32]
    x.attach_grad()
    with mx.autograd.record():
        values = mx.nd.topk(x, k=2, ret_typ="value")
    values.backward()
    assert values.dtype == np.float16
    assert x.grad.asnumpy().tolist() == [[0, 1, 1, 0], [1, 0, 0, 1]]
    bf16 = mx.nd.cast(mx.nd.array([[3, 1, 2]]), dtype="bfloat16")
    assert mx.nd.cast(mx.nd.sort(bf16), dtype="float32").asnumpy().tolist() \
        == [[1, 2, 3]]
