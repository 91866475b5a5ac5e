"""MXNet 1.9.1's dense _contrib_ operators (ContribOps.cpp), called by their
registry names through mx.nd._internal-free paths: values against numpy or
measured with mxnet==1.9.1 (as noted), gradients against finite differences
and MXNet's, and errors."""
import numpy as np
import pytest

import kiln as mx
from kiln import _core
from kiln._op_gen import attr_string
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient

nd = mx.nd
RNG = np.random.default_rng(9)


def op(name):
    """mx.nd.contrib.<name> (registered as _contrib_<name>)."""
    return getattr(nd.contrib, name)


def rand(*shape):
    return RNG.uniform(-2, 2, size=shape)


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


def test_registered_under_contrib_names():
    names = {spec[0] for spec in _core.list_ops()}
    for name in ["boolean_mask", "index_copy", "index_array", "arange_like",
                 "div_sqrt_dim", "allclose", "round_ste", "sign_ste",
                 "gradientmultiplier"]:
        assert "_contrib_" + name in names


def test_boolean_mask():
    data = nd.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    bm = op("boolean_mask")
    for index in [nd.array([0, 1, 1]), nd.array([0, 1, 1], dtype="int32"),
                  nd.array([0, 1, 1], dtype="bool")]:
        assert bm(data, index).asnumpy().tolist() == [[4, 5, 6], [7, 8, 9]]
    # Measured with mxnet==1.9.1: nothing kept gives (0, 3); NaN counts.
    assert bm(data, nd.array([0, 0, 0])).shape == (0, 3)
    assert bm(data, nd.array([np.nan, 0.5, -1])).shape == (3, 3)
    # Any axis (MXNet 1.9.1 allows only 0).
    assert bm(data, nd.array([1, 0, 1]), axis=-1).asnumpy().tolist() == \
        [[1, 3], [4, 6], [7, 9]]
    # The index may still be being computed: the op waits for it.
    pending = nd.broadcast_greater(nd.array([0.5, 2, 3]), nd.array([1.0]))
    assert bm(data, pending).shape == (2, 3)
    index = nd.array([0, 1, 1])
    check_numeric_gradient(lambda d: bm(d, index), [rand(3, 2)],
                           dtype=np.float64)
    # MXNet 1.9.1's gradient (measured).
    np.testing.assert_array_equal(
        grad_of(lambda d: bm(d, index), np.ones((3, 2)),
                head=np.arange(4).reshape(2, 2))[0],
        [[0, 0], [0, 1], [2, 3]])
    raises(r"_contrib_boolean_mask: index has shape \(2,\), expected \(3,\)",
           lambda: bm(data, nd.array([0, 1])))
    raises(r"_contrib_boolean_mask: axis 2 is out of range",
           lambda: bm(data, index, axis=2))


def test_index_copy():
    ic = op("index_copy")
    new = nd.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    got = ic(nd.zeros((5, 3)), nd.array([0, 4, 2]), new)
    assert got.asnumpy().tolist() == [[1, 2, 3], [0, 0, 0], [7, 8, 9],
                                      [0, 0, 0], [4, 5, 6]]
    # Measured with mxnet==1.9.1: the last of repeated indices wins; indices
    # outside the rows are ignored; int64 indices; rank 1.
    got = ic(nd.zeros((5, 3)), nd.array([0, 0, 2], dtype="int64"), new)
    assert got.asnumpy()[0].tolist() == [4, 5, 6]
    got = ic(nd.zeros((5, 3)), nd.array([0, 7, 2]), new)
    assert got.asnumpy()[4].tolist() == [0, 0, 0]
    got = ic(nd.zeros((5,)), nd.array([0, 4, 2]), nd.array([1, 2, 3]))
    assert got.asnumpy().tolist() == [1, 0, 3, 0, 2]
    index = nd.array([0, 2])
    check_numeric_gradient(lambda o, n: ic(o, index, n),
                           [rand(3, 2), rand(2, 2)], dtype=np.float64)
    old_grad, new_grad = grad_of(lambda o, n: ic(o, index, n), np.ones((3, 2)),
                                 np.ones((2, 2)),
                                 head=np.arange(6).reshape(3, 2))
    # MXNet 1.9.1's gradients (measured).
    assert old_grad.tolist() == [[0, 0], [2, 3], [0, 0]]
    assert new_grad.tolist() == [[0, 1], [4, 5]]
    raises(r"_contrib_index_copy: new_tensor has shape \(3, 3\), expected "
           r"\(2, 3\)", lambda: ic(nd.zeros((5, 3)), nd.array([0, 4]), new))
    raises(r"_contrib_index_copy: new_tensor has dtype float64, expected "
           r"float32", lambda: ic(nd.zeros((5, 3)), nd.array([0, 4, 2]),
                                  new.astype("float64")))
    raises(r"_contrib_index_copy: index_vector must have rank 1",
           lambda: ic(nd.zeros((5, 3)), nd.array([[0, 4, 2]]), new))


def test_index_array():
    ia = op("index_array")
    got = ia(nd.ones((3, 2)))
    assert got.dtype == np.int64
    np.testing.assert_array_equal(
        got.asnumpy(), np.stack(np.indices((3, 2)), axis=-1))
    # MXNet's documentation example (and measured with mxnet==1.9.1).
    got = ia(nd.ones((3, 2, 2)), axes=(1, 0))
    np.testing.assert_array_equal(
        got.asnumpy(), np.stack(np.indices((3, 2, 2))[[1, 0]], axis=-1))
    assert ia(nd.ones((3, 2)), axes=(-1,)).asnumpy()[:, :, 0].tolist() == \
        [[0, 1]] * 3
    raises(r"_contrib_index_array: axis 2 is out of range",
           lambda: ia(nd.ones((3, 2)), axes=(2,)))


def test_arange_like():
    al = op("arange_like")
    x = nd.zeros((3, 4))
    np.testing.assert_array_equal(al(x).asnumpy(),
                                  np.arange(12).reshape(3, 4))
    # Measured with mxnet==1.9.1.
    assert al(x, start=2, step=0.5, repeat=2).asnumpy().tolist() == \
        [[2, 2, 2.5, 2.5], [3, 3, 3.5, 3.5], [4, 4, 4.5, 4.5]]
    assert al(x, start=1, axis=-1).asnumpy().tolist() == [1, 2, 3, 4]
    assert al(x, start=1, axis=0, repeat=2).asnumpy().tolist() == [1, 1, 2]
    got = al(x.astype("int32"), step=0.5)  # step truncates to 0 for ints
    assert got.dtype == np.int32 and got.asnumpy().sum() == 0
    got = al(x.astype("float64"), step=0.1)
    np.testing.assert_allclose(got.asnumpy().ravel(), np.arange(12) * 0.1)
    assert al(x, ctx="cpu(0)").shape == (3, 4)
    raises(r"_contrib_arange_like: axis 2 is out of range",
           lambda: al(x, axis=2))
    raises(r"_contrib_arange_like: repeat expected a positive integer, got 0",
           lambda: al(x, repeat=0))


def test_div_sqrt_dim():
    dsd = op("div_sqrt_dim")
    x = rand(2, 9)
    np.testing.assert_allclose(dsd(nd.array(x, dtype="float64")).asnumpy(),
                               x / 3)
    got = dsd(nd.array([[5, 5, 5, 5]], dtype="int32"))
    assert got.dtype == np.int32 and got.asnumpy().tolist() == [[2] * 4]
    check_numeric_gradient(dsd, [rand(2, 4)], dtype=np.float64)
    raises(r"_contrib_div_sqrt_dim: data must have rank 1 or more",
           lambda: dsd(nd.zeros((1,)).reshape(())))


def test_allclose():
    ac = op("allclose")

    def value(a, b, **kwargs):
        got = ac(nd.array(a), nd.array(b), **kwargs)
        assert got.dtype == np.uint8 and got.shape == ()
        return int(got.asnumpy())

    # MXNet's documentation examples, measured with mxnet==1.9.1: in
    # float32 both differ (1e10 and 1.00001e10 are 100352 apart).
    assert value([1e10, 1e-7], [1.00001e10, 1e-8]) == 0
    assert value([1e10, 1e-8], [1.00001e10, 1e-9]) == 0
    assert value([1.0, 2.0], [1.0, 2.00001]) == 1
    assert value([1.0, 2.0], [1.0, 2.1]) == 0
    assert value([1.0, 2.0], [1.0, 2.1], atol=0.2) == 1
    assert value([np.nan], [np.nan]) == 1
    assert value([np.nan], [np.nan], equal_nan=False) == 0
    assert value(np.ones((2, 3)), np.ones((2, 3))) == 1
    assert value(np.zeros((0,)), np.zeros((0,))) == 1
    got = ac(nd.array([1, 2], dtype="int32"), nd.array([1, 2], dtype="int32"))
    assert int(got.asnumpy()) == 1
    raises(r"_contrib_allclose: a has shape \(2,\) and b \(3,\); expected the "
           r"same shape", lambda: ac(nd.array([1, 2]), nd.array([1, 2, 3])))
    raises(r"_contrib_allclose: a has dtype float32 and b float64",
           lambda: ac(nd.array([1, 2]), nd.array([1, 2], dtype="float64")))


def test_allclose_mixed_nan():
    # Measured with mxnet==1.9.1: 1.
    got = op("allclose")(nd.array([np.nan, 1]), nd.array([np.nan, 1]))
    assert int(got.asnumpy()) == 1


def test_straight_through_estimators():
    x = [-1.5, 1.5, -1.9, 1.9, 2.7, 0.5, 2.5]
    # Measured with mxnet==1.9.1: round half away from zero.
    assert op("round_ste")(nd.array(x)).asnumpy().tolist() == \
        [-2, 2, -2, 2, 3, 1, 3]
    assert op("sign_ste")(nd.array([-2, 0, 3])).asnumpy().tolist() == \
        [-1, 0, 1]
    got = op("round_ste")(nd.array([-2, 0, 3], dtype="int32"))
    assert got.dtype == np.int32 and got.asnumpy().tolist() == [-2, 0, 3]
    for name in ["round_ste", "sign_ste"]:
        f = op(name)
        # d/dx = 1 (MXNet 1.9.1's gradient, measured); round's would be 0.
        assert grad_of(lambda v: f(v) * 2, [1.2, -2.7])[0].tolist() == [2, 2]
        assert grad_of(lambda v: f(v * v), [1.5, -2.0])[0].tolist() == \
            [3, -4]


def test_gradientmultiplier():
    gm = op("gradientmultiplier")
    x = nd.array([1, 2])
    assert gm(x, scalar=3).asnumpy().tolist() == [1, 2]
    # MXNet 1.9.1's gradients (measured): scalar times the head gradient,
    # is_int changing nothing.
    assert grad_of(lambda v: gm(v, scalar=3) * 2, [1.2, -2.7])[0].tolist() \
        == [6, 6]
    assert grad_of(lambda v: gm(v, scalar=0.5) * 2, [1.2, -2.7])[0].tolist() \
        == [1, 1]
    assert grad_of(lambda v: gm(v, scalar=-1, is_int=False), [1.0])[0] \
        .tolist() == [-1]
    y = gm(x)
    y[0] = 7  # a copy
    assert x.asnumpy().tolist() == [1, 2]


def test_straight_through_higher_order():
    # The rules are ops, so a second derivative flows through them.
    x = nd.array([1.5, -2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = op("gradientmultiplier")(x * x * x, scalar=2)
        (g,) = mx.autograd.grad(y, [x], create_graph=True)
    g.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * 6 * np.array([1.5, -2.0]))


def test_direct_invoke_names():
    got = _core.invoke("_contrib_div_sqrt_dim", [nd.ones((1, 4))], {})
    assert got.asnumpy().tolist() == [[0.5] * 4]
    got = _core.invoke("_contrib_arange_like", [nd.ones((2,))],
                       {"start": attr_string(1.0)})
    assert got.asnumpy().tolist() == [1, 2]
