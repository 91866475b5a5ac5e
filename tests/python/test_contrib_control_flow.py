"""mx.nd.contrib's Python-level functions: foreach, while_loop and cond
(imperative, with autograd through them), isnan/isinf/isfinite, the AdamW
and LAMB wrappers, rand_zipfian and quadratic, against values and errors
measured with mxnet==1.9.1 (the oracle venv)."""
import math

import numpy as np
import pytest

import kiln as mx
from kiln.test_utils import assert_almost_equal, check_numeric_gradient

nd = mx.nd
contrib = mx.nd.contrib


# --- foreach -----------------------------------------------------------------
def test_foreach_structures():
    data = nd.array([[1, 2], [3, 4], [5, 6]])
    # Nested outputs keep their structure; states are the last ones.
    outs, states = contrib.foreach(
        lambda d, s: ([d * 2, [d + s[0]]], [s[0] + d]), data, [nd.zeros(2)])
    assert isinstance(outs, list) and isinstance(outs[1], list)
    assert_almost_equal(outs[0].asnumpy(), [[2, 4], [6, 8], [10, 12]])
    assert_almost_equal(outs[1][0].asnumpy(), [[1, 2], [4, 6], [9, 12]])
    assert_almost_equal(states[0].asnumpy(), [9, 12])
    # A list of data arrays gives the body a list of slices; a bare output
    # and a bare state stay bare (mxnet==1.9.1: [[11, 22], [33, 44]], [1, 1]).
    out, state = contrib.foreach(
        lambda d, s: (d[0] + d[1], s),
        [nd.array([[1, 2], [3, 4]]), nd.array([[10, 20], [30, 40]])],
        nd.ones(2))
    assert isinstance(out, nd.NDArray) and isinstance(state, nd.NDArray)
    assert_almost_equal(out.asnumpy(), [[11, 22], [33, 44]])
    assert_almost_equal(state.asnumpy(), [1, 1])


def test_foreach_errors():
    a = nd.array([1.0, 2.0])
    with pytest.raises(AssertionError, match=r"foreach input must be "
                       r"\(nested\) list of NDArray, but got 1 of type"):
        contrib.foreach(lambda d, s: (d, s), [1, 2], [a])
    with pytest.raises(AssertionError, match=r"foreach states must be "
                       r"\(nested\) list of NDArray, but got 3"):
        contrib.foreach(lambda d, s: (d, s), a, 3)
    with pytest.raises(AssertionError, match=r"foreach output must be "
                       r"\(nested\) list of NDArray, but got 3"):
        contrib.foreach(lambda d, s: (3, s), a, [a])
    with pytest.raises(mx.MXNetError, match=r"foreach: data expected at "
                       r"least one slice on axis 0, got shape \(0, 2\)"):
        contrib.foreach(lambda d, s: (d, s), nd.empty((0, 2)), [a])
    with pytest.raises(mx.MXNetError, match=r"foreach: data\[1\] expected 2 "
                       r"slices on axis 0 \(as data\[0\]\), got shape \(3,\)"):
        contrib.foreach(lambda d, s: (d[0], s), [nd.zeros((2,)),
                                                 nd.zeros((3,))], [a])


def test_foreach_gradient():
    # mxnet==1.9.1 gives x.grad == [20, 200] for this program.
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        out, states = contrib.foreach(
            lambda d, s: (d * s[0], [s[0] * d]),
            nd.array([[1.0, 2.0], [3.0, 4.0]]) * x, [x])
        y = out.sum() + states[0].sum()
    y.backward()
    assert_almost_equal(x.grad.asnumpy(), [20, 200])

    def rnn(data, h):
        outs, last = contrib.foreach(
            lambda d, s: (nd.tanh(d + s[0]), [nd.tanh(d + s[0]) * 0.5]),
            data, [h])
        return outs.sum(axis=0) + last[0]
    rng = np.random.default_rng(0)
    check_numeric_gradient(rnn, [rng.uniform(-1, 1, (3, 2)),
                                 rng.uniform(-1, 1, (2,))],
                           numeric_eps=1e-4, rtol=1e-3, atol=1e-5,
                           dtype=np.float64)


# --- while_loop ----------------------------------------------------------------
def test_while_loop_mxnet_example():
    # MXNet's docstring example; rows past the 6 steps are padding.
    outputs, states = contrib.while_loop(
        lambda i, s: i <= 5, lambda i, s: ([i + s], [i + 1, s + i]),
        (nd.array([0], dtype="int64"), nd.array([1], dtype="int64")),
        max_iterations=10)
    assert isinstance(outputs, list) and len(outputs) == 1
    assert outputs[0].shape == (10, 1) and outputs[0].dtype == np.int64
    assert outputs[0].asnumpy()[:6].ravel().tolist() == [1, 2, 4, 7, 11, 16]
    assert [s.asnumpy().tolist() for s in states] == [[6], [16]]


def test_while_loop_structures():
    # One loop var: the final state is that NDArray; no step output: [].
    outputs, state = contrib.while_loop(lambda i: i < 3,
                                        lambda i: (None, i + 1),
                                        nd.array([0]), max_iterations=5)
    assert outputs == [] and isinstance(state, nd.NDArray)
    assert state.asnumpy().tolist() == [3]
    # cond false at once: no outputs, states unchanged.
    outputs, states = contrib.while_loop(lambda i: i < 0,
                                         lambda i: (i, i + 1),
                                         [nd.array([0])], max_iterations=5)
    assert outputs == [] and states[0].asnumpy().tolist() == [0]
    # A bare step output stays bare; nested ones keep their structure.
    out, _ = contrib.while_loop(lambda i: i < 2, lambda i: (i * 3, [i + 1]),
                                [nd.array([0])], max_iterations=4)
    assert isinstance(out, nd.NDArray) and out.shape == (4, 1)
    assert out.asnumpy()[:2].ravel().tolist() == [0, 3]
    outs, states = contrib.while_loop(
        lambda i: i < 2, lambda i: ([i, [i * 2]], [i + 1]), [nd.array([0])],
        max_iterations=4)
    assert outs[0].shape == (4, 1) and outs[1][0].shape == (4, 1)
    assert outs[1][0].asnumpy()[:2].ravel().tolist() == [0, 2]
    assert states[0].asnumpy().tolist() == [2]
    # max_iterations stops the loop, and may be an NDArray.
    outs, states = contrib.while_loop(lambda i: i < 100,
                                      lambda i: ([i], [i + 1]),
                                      [nd.array([0])],
                                      max_iterations=nd.array([3]))
    assert outs[0].shape == (3, 1) and states[0].asnumpy().tolist() == [3]


def test_while_loop_errors():
    body = lambda i: (i, i + 1)
    start = [nd.array([0])]
    cases = [
        (lambda: contrib.while_loop(lambda i: i < 3, body, start),
         ValueError, r"max_iterations should be specified"),
        (lambda: contrib.while_loop(lambda: True, lambda: ([], []), [],
                                    max_iterations=3),
         ValueError, r"loop_vars should contain at least one element"),
        (lambda: contrib.while_loop(lambda i: i < 3, body, start,
                                    max_iterations="x"),
         ValueError, r"cannot convert max_iterations to python int"),
        (lambda: contrib.while_loop(lambda i: i < 3,
                                    lambda i: (i, [i + 1, i]), start,
                                    max_iterations=5),
         ValueError, r"func returned 2 loop_vars, expected 1"),
        (lambda: contrib.while_loop(lambda i: i, body, [nd.array([1, 2])],
                                    max_iterations=5),
         ValueError, r"The current array is not a scalar"),
        (lambda: contrib.while_loop(
            lambda i: i < 3, lambda i: ([i] * int(i.asscalar() + 1), [i + 1]),
            start, max_iterations=5),
         ValueError, r"func returned 2 step outputs at step 1, 1 at step 0"),
        (lambda: contrib.while_loop(
            lambda i: i.sum() < 3,
            lambda i: (nd.ones(int(i.sum().asscalar()) + 1), [i + 1]),
            start, max_iterations=5),
         mx.MXNetError, r"step output 0 has shapes \[\(1,\), \(2,\), "
         r"\(3,\)\] in different steps"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()


def test_while_loop_gradient():
    # The outputs are 2x, 2x^2, 2x^3: mxnet==1.9.1 gives x.grad == [12, 34]
    # for the sum of out; adding the last state x^4 adds 4x^3.
    for with_state, expect in [(False, [12, 34]), (True, [16, 66])]:
        x = nd.array([1.0, 2.0])
        x.attach_grad()
        with mx.autograd.record():
            out, states = contrib.while_loop(
                lambda i, v: i < 3, lambda i, v: (v * 2, [i + 1, v * x]),
                [nd.array([0]), x], max_iterations=3)
            y = out.sum() + states[1].sum() if with_state else out.sum()
        y.backward()
        assert_almost_equal(x.grad.asnumpy(), expect)

    def power_sum(x):
        outs, _ = contrib.while_loop(
            lambda i, v: i < 3, lambda i, v: ([v], [i + 1, v * x]),
            [nd.array([0]), x], max_iterations=3)
        return outs[0].sum(axis=0)
    check_numeric_gradient(power_sum, [np.array([0.5, -1.2, 2.0])],
                           numeric_eps=1e-4, rtol=1e-3, atol=1e-5,
                           dtype=np.float64)


# --- cond -----------------------------------------------------------------------
def test_cond():
    a, b = nd.array([1]), nd.array([2])
    out = contrib.cond(a * b < 5, lambda: (a + 5) * (b + 5),
                       lambda: (a - 5) * (b - 5))
    assert out.asnumpy().tolist() == [42]
    # Python values are predicates too; structures pass through unchanged.
    x = nd.array([1.0, 2.0])
    out = contrib.cond(0, lambda: [x, [x]], lambda: [x * 2, [x * 3]])
    assert out[0].asnumpy().tolist() == [2, 4]
    assert out[1][0].asnumpy().tolist() == [3, 6]
    with pytest.raises(ValueError, match=r"The current array is not a "
                       r"scalar"):
        contrib.cond(x, lambda: x, lambda: x)
    with pytest.raises(ValueError, match=r"cond: cannot convert pred to "
                       r"python bool"):
        contrib.cond(object.__new__(type("NoBool", (), {
            "__bool__": lambda self: 1 / 0})), lambda: x, lambda: x)


def test_cond_gradient():
    # mxnet==1.9.1 gives x.grad == [2, 4] (the then branch, x * x).
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = contrib.cond(x.sum() > 2, lambda: x * x, lambda: x * 3)
    y.backward()
    assert_almost_equal(x.grad.asnumpy(), [2, 4])
    check_numeric_gradient(
        lambda x: contrib.cond(x.sum() > 0, lambda: nd.sin(x) * x,
                               lambda: x * 3),
        [np.array([0.3, 0.9])], numeric_eps=1e-4, rtol=1e-3, atol=1e-5,
        dtype=np.float64)


# --- isnan, isinf, isfinite ------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_isnan_isinf_isfinite(dtype):
    x = nd.array([np.inf, -np.inf, np.nan, -1, 0, 3], dtype=dtype)
    for op, expect in [(contrib.isinf, [1, 1, 0, 0, 0, 0]),
                       (contrib.isnan, [0, 0, 1, 0, 0, 0]),
                       (contrib.isfinite, [0, 0, 0, 1, 1, 1])]:
        out = op(x)
        assert np.dtype(out.dtype) == dtype  # as mxnet==1.9.1
        assert out.asnumpy().tolist() == expect
    ints = nd.array([1, 0, 3], dtype="int32")
    assert contrib.isfinite(ints).asnumpy().tolist() == [1, 1, 1]
    assert contrib.isinf(ints).asnumpy().tolist() == [0, 0, 0]


# --- optimizer wrappers ------------------------------------------------------------
# Measured with mxnet==1.9.1 on the arrays of `arrays(seed)`: weight, mean,
# var (and weight32) after one update, rounded to 7 decimals.
EXPECT_ADAMW = [
    [0.0954356, 0.3998985, 0.2109865, 0.1104352, -0.1329945, 0.2740128],
    [0.0060067, 0.1157847, -0.0308472, -0.0859726, -0.0571882,
     0.0627611],
    [0.0777418, 0.0870677, 0.0979789, 0.0798495, 0.0461869, 0.0779757]]
EXPECT_ADAMW_ND_CLIP = [
    [0.0954356, 0.4020664, 0.2146532, 0.1104352, -0.1329945, 0.2740128],
    [0.0060067, 0.1066074, -0.0472135, -0.0859726, -0.0571882,
     0.0627611],
    [0.0777418, 0.0870042, 0.097854, 0.0798495, 0.0461869, 0.0779757]]
EXPECT_MP_ADAMW = [
    [-0.0944824, 0.4384766, -0.9775391, -0.4025879, -0.6933594,
     -0.831543],
    [-0.1786896, 0.0062927, -0.1263733, 0.0462067, -0.0472107,
     0.0846398],
    [0.0155988, 0.0201676, 0.0801685, 0.0967291, 0.0314147, 0.0696933],
    [-0.0944797, 0.4384583, -0.9776837, -0.4026921, -0.6932248,
     -0.8314602]]
EXPECT_MULTI_ADAMW = [
    [-0.0891937, -0.9722264, 0.1388353, -0.1465731, -0.1994276,
     -0.3430217],
    [-0.5907027, 0.2385419, -0.4006906, -0.4663455, 0.2422677,
     0.0582842],
    [-0.1130319, 0.0215274, -0.0888561, 0.0140527, 0.083097, 0.0036254],
    [0.0847948, 0.007993, 0.0505768, 0.0066613, 0.042807, 0.0096456],
    [0.1169182, 0.4379507, -0.3737036, 0.0179562, 0.8228171, 0.750012],
    [-0.7488294, -0.5855142, -0.8970656, -0.1183803, -0.9402476,
     -0.0863336],
    [-0.0330604, -0.0867135, -0.0400394, 0.0068849, -0.1609031,
     0.003687],
    [0.0262582, 0.041688, 0.0288392, 0.0692534, 0.0445672, 0.0156759]]
EXPECT_MULTI_MP_ADAMW = [
    [0.7138672, 0.0982666, 0.9980469, 0.4282227, 0.4069824, -0.5405273],
    [0.9526367, -0.9873047, -0.4941406, -0.1303711, 0.5585938,
     -0.6044922],
    [0.1605774, -0.0117188, -0.1099488, 0.0044861, -0.0325256,
     -0.0808701],
    [0.0053205, 0.0965212, 0.0438102, 0.0948318, 0.0788467, 0.0868877],
    [-0.5454102, 0.7285156, -0.5683594, 0.8583984, 0.0361328, 0.2054443],
    [0.5317383, 0.0368347, -0.4064941, -0.6245117, -0.8383789,
     0.4768066],
    [0.0426064, -0.05784, 0.0277405, -0.1031281, -0.0992737, 0.0109863],
    [0.0630861, 0.0579268, 0.0601028, 0.0269442, 0.0291473, 0.0255621],
    [0.7139371, 0.0982544, 0.997842, 0.4282307, 0.4070911, -0.5404359],
    [-0.5453079, 0.7286462, -0.5684198, 0.8583589, 0.0361288, 0.2054637]]
EXPECT_MULTI_LAMB = [
    [0.7651371, -0.3295131, 0.6683266, -1.0606145, -0.8342741,
     0.1451806],
    [0.0596347, -0.1623851, -0.3291843, 0.2450389, -0.1237171,
     0.4717642],
    [0.00921, -0.002044, -0.0067545, 0.1127443, 0.0452028, 0.0315526],
    [0.0875427, 0.0823199, 0.0055504, 0.0718519, 0.0801521, 0.0737896],
    [-0.7952437, 0.8379219, -0.0799851, 0.397833, 0.9165577, 0.0492623],
    [0.0022409, -0.8558977, -0.463122, -0.000235, 0.35846, 0.6074781],
    [-0.0212065, -0.1637212, -0.084446, 0.0737033, -0.0157446,
     0.0521301],
    [0.0930275, 0.00322, 0.0602093, 0.0949179, 0.0231358, 0.0551632]]
EXPECT_MULTI_MP_LAMB = [
    [0.6928711, 0.8950195, 0.6489258, 0.0753174, -0.4685059, -1.0996094],
    [-0.1390381, -0.1953125, 0.0453491, -0.0432129, 0.1107178, 0.086792],
    [0.0330627, 0.0187012, 0.0260818, -0.0176216, -0.026886, 0.093988],
    [0.0333722, 0.0218974, 0.0065758, 0.0981702, 0.0127863, 0.0322019],
    [-0.8818359, 0.1722412, 0.0736084, -0.5668945, -0.5820312,
     -0.6171875],
    [-0.1629639, -0.5039062, -0.8320312, -0.309082, -0.6665039,
     0.7573242],
    [0.0648926, -0.1333923, -0.0473602, -0.0178139, 0.0049805,
     0.1057801],
    [0.0547508, 0.0704351, 0.0392889, 0.0694841, 0.0828203, 0.0470968],
    [0.6930823, 0.8948339, 0.6486943, 0.075314, -0.4685608, -1.0994338],
    [-0.8816908, 0.1722322, 0.0736379, -0.5667214, -0.5819383,
     -0.6172085]]


def arrays(seed, dtype="float32"):
    r = np.random.RandomState(seed)
    values = (r.uniform(-1, 1, (2, 3)), r.uniform(-1, 1, (2, 3)),
              r.uniform(-.1, .1, (2, 3)), r.uniform(0, .1, (2, 3)))
    return [nd.array(v, dtype=dtype) for v in values]


def check(arrays, expect):
    assert len(arrays) == len(expect)
    for array, values in zip(arrays, expect):
        assert_almost_equal(array.asnumpy().astype(np.float64).ravel(),
                            np.array(values), rtol=1e-5, atol=5e-6)


def test_adamw_update():
    w, g, m, v = arrays(0)
    contrib.adamw_update(w, g, m, v, rescale_grad=0.5, lr=0.1, eta=0.7,
                         wd=0.01, out=w)
    check([w, m, v], EXPECT_ADAMW)
    w, g, m, v = arrays(0)
    contrib.adamw_update(w, g, m, v, rescale_grad=nd.array([0.5]), lr=0.1,
                         eta=0.7, wd=0.01, clip_gradient=0.3, out=w)
    check([w, m, v], EXPECT_ADAMW_ND_CLIP)


def test_mp_adamw_update():
    w, g, m, v = arrays(1, "float16")
    w32, m, v = w.astype("float32"), m.astype("float32"), v.astype("float32")
    contrib.mp_adamw_update(w, g, m, v, w32, rescale_grad=2.0, lr=0.05,
                            eta=1.0, out=w)
    assert w.dtype == np.float16
    check([w, m, v, w32], EXPECT_MP_ADAMW)


def test_multi_adamw_update():
    a, b = arrays(2), arrays(3)
    contrib.multi_adamw_update([a[0], b[0]], [a[1], b[1]], [a[2], b[2]],
                               [a[3], b[3]], rescale_grad=0.8, lrs=(0.1, 0.2),
                               wds=(0.0, 0.1), etas=(1.0, 0.5),
                               out=[a[0], b[0]])
    check(a + b, EXPECT_MULTI_ADAMW)


def _mixed(seed):
    arrs = arrays(seed, "float16")
    arrs[2], arrs[3] = arrs[2].astype("float32"), arrs[3].astype("float32")
    return arrs


def test_multi_mp_adamw_update():
    a, b = _mixed(4), _mixed(5)
    w32 = [a[0].astype("float32"), b[0].astype("float32")]
    contrib.multi_mp_adamw_update([a[0], b[0]], [a[1], b[1]], [a[2], b[2]],
                                  [a[3], b[3]], w32, rescale_grad=1.0,
                                  lrs=(0.1, 0.2), wds=(0.0, 0.1),
                                  etas=(1.0, 0.5), out=[a[0], b[0]])
    check(a + b + w32, EXPECT_MULTI_MP_ADAMW)


def test_multi_lamb_update():
    a, b = arrays(6), arrays(7)
    contrib.multi_lamb_update([a[0], b[0]], [a[1], b[1]], [a[2], b[2]],
                              [a[3], b[3]], step_count=(1, 3), lrs=(0.1, 0.2),
                              wds=(0.01, 0.1), out=[a[0], b[0]])
    check(a + b, EXPECT_MULTI_LAMB)


def test_multi_mp_lamb_update():
    a, b = _mixed(8), _mixed(9)
    w32 = [a[0].astype("float32"), b[0].astype("float32")]
    contrib.multi_mp_lamb_update([a[0], b[0]], [a[1], b[1]], [a[2], b[2]],
                                 [a[3], b[3]], w32, step_count=(2, 5),
                                 lrs=(0.1, 0.2), wds=(0.01, 0.1),
                                 out=[a[0], b[0]])
    check(a + b + w32, EXPECT_MULTI_MP_LAMB)


def test_multi_update_errors():
    a, b = arrays(2), arrays(3)
    with pytest.raises(mx.MXNetError, match=r"multi_adamw_update: the lists "
                       r"expected one length, got weights 2, grads 1"):
        contrib.multi_adamw_update([a[0], b[0]], [a[1]], [a[2], b[2]],
                                   [a[3], b[3]], 1.0, lrs=(0.1, 0.2),
                                   wds=(0, 0), etas=(1, 1))
    with pytest.raises(mx.MXNetError, match=r"multi_lamb_update: weights "
                       r"expected a list of NDArrays, got NDArray"):
        contrib.multi_lamb_update(a[0], [a[1]], [a[2]], [a[3]],
                                  step_count=(1,), lrs=(0.1,), wds=(0,))


# --- rand_zipfian, quadratic --------------------------------------------------------
def test_rand_zipfian():
    mx.random.seed(4)
    samples, count_true, count_sampled = contrib.rand_zipfian(
        nd.array([3, 0, 9]), 4, 10)
    assert samples.dtype == np.int64 and samples.shape == (4,)
    assert count_true.dtype == np.float64 and count_sampled.dtype == np.float64
    # Expected counts of the true classes (mxnet==1.9.1).
    assert_almost_equal(count_true.asnumpy(),
                        [0.37223235534185567, 1.1562593052715513,
                         0.15898972884349014], rtol=1e-12, atol=0)
    s = samples.asnumpy()
    assert ((0 <= s) & (s < 10)).all()
    expect = np.log((s + 2.0) / (s + 1.0)) / math.log(11) * 4
    assert_almost_equal(count_sampled.asnumpy(), expect, rtol=1e-12, atol=0)
    # Small classes are the likely ones: P(0) = log 2 / log 11 ~ 0.29.
    many, _, _ = contrib.rand_zipfian(nd.array([0]), 20000, 10)
    share = (many.asnumpy() == 0).mean()
    assert abs(share - math.log(2) / math.log(11)) < 0.02
    mx.random.seed(4)
    again, _, _ = contrib.rand_zipfian(nd.array([3, 0, 9]), 4, 10)
    assert np.array_equal(again.asnumpy(), s)


def test_quadratic():
    # mxnet==1.9.1: computed as x * (a * x + b) + c in float32, integers
    # truncated back; a, b, c are float32.
    out = contrib.quadratic(nd.array([1, 2, 3], dtype="int32"), a=1.5, b=2,
                            c=1)
    assert out.dtype == np.int32 and out.asnumpy().tolist() == [4, 11, 20]
    out = contrib.quadratic(nd.array([1, -2, 3.5]), a=1.5, b=-2, c=0.25)
    assert out.asnumpy().tolist() == [-0.25, 10.25, 11.625]
    out = contrib.quadratic(nd.array([1, 2], dtype="float64"), a=0.1)
    assert out.asnumpy().tolist() == [0.10000000149011612, 0.4000000059604645]
    assert contrib.quadratic(nd.array([1, 2])).asnumpy().tolist() == [0, 0]
    check_numeric_gradient(lambda x: contrib.quadratic(x, a=2, b=3, c=1),
                           [np.array([0.5, -1.5])], numeric_eps=1e-4,
                           rtol=1e-4, atol=1e-6, dtype=np.float64)
