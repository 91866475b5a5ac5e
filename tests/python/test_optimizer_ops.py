"""MXNet's fused optimizer updates (sgd_update, sgd_mom_update, adam_update)
against their formulas as Apache MXNet 1.9.1 applies them (checked against
the real package: weight decay joins the gradient before Adam's clip, after
SGD's), in place, with every option."""
import numpy as np
import pytest

import kiln as mx

nd = mx.nd
RNG = np.random.default_rng(2)


def arrays(*shape):
    w = RNG.standard_normal(shape)
    g = RNG.standard_normal(shape) * 3
    m = RNG.random(shape)
    v = RNG.random(shape)
    return w, g, m, v


@pytest.mark.parametrize("clip", [-1.0, 0.3])
@pytest.mark.parametrize("shape", [(3, 4), (70000,), (5, 1, 3)])
def test_adam_update(clip, shape):
    w0, g0, m0, v0 = arrays(*shape)
    w, g, m, v = (nd.array(a, dtype="float64") for a in (w0, g0, m0, v0))
    lr, wd, rescale, b1, b2, eps = 0.01, 0.1, 0.5, 0.8, 0.99, 1e-6
    result = nd.adam_update(w, g, m, v, out=w, lr=lr, wd=wd, rescale_grad=rescale,
                            clip_gradient=clip, beta1=b1, beta2=b2, epsilon=eps)
    assert result is w or result._same_data(w)
    # MXNet reads the parameters as float32 (float fields), also for a
    # float64 weight.
    lr, wd, rescale, b1, b2, eps, clip = (
        float(np.float32(value)) for value in (lr, wd, rescale, b1, b2, eps, clip))
    grad = rescale * g0 + wd * w0
    if clip >= 0:
        grad = np.clip(grad, -clip, clip)
    mean = b1 * m0 + (1 - b1) * grad
    var = b2 * v0 + (1 - b2) * grad * grad
    np.testing.assert_allclose(m.asnumpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(v.asnumpy(), var, rtol=1e-12)
    np.testing.assert_allclose(w.asnumpy(), w0 - lr * mean / (np.sqrt(var) + eps), rtol=1e-12)


@pytest.mark.parametrize("clip", [-1.0, 0.3])
def test_sgd_and_momentum_updates(clip):
    w0, g0, m0, _ = arrays(4, 5)
    # Parameters as MXNet reads them: float32 (float fields).
    lr, momentum, wd, rounded_clip = (float(np.float32(value))
                                      for value in (0.1, 0.9, 0.01, clip))
    grad = rescaled = 0.5 * g0
    if clip >= 0:
        rescaled = np.clip(rescaled, -rounded_clip, rounded_clip)
    grad = rescaled + wd * w0
    w, mom = nd.array(w0, dtype="float64"), nd.array(m0, dtype="float64")
    nd.sgd_mom_update(w, nd.array(g0, dtype="float64"), mom, out=w, lr=0.1, momentum=0.9,
                      wd=0.01, rescale_grad=0.5, clip_gradient=clip)
    expected_mom = momentum * m0 - lr * grad
    np.testing.assert_allclose(mom.asnumpy(), expected_mom, rtol=1e-12)
    np.testing.assert_allclose(w.asnumpy(), w0 + expected_mom, rtol=1e-12)
    w = nd.array(w0, dtype="float64")
    fresh = nd.sgd_update(w, nd.array(g0, dtype="float64"), lr=0.1, wd=0.01,
                          rescale_grad=0.5, clip_gradient=clip)
    np.testing.assert_allclose(fresh.asnumpy(), w0 - lr * grad, rtol=1e-12)
    np.testing.assert_array_equal(w.asnumpy(), w0)  # without out=, w is kept


def test_one_kernel_serves_a_learning_rate_schedule():
    w, g, m, v = (nd.array(a) for a in arrays(8))
    nd.adam_update(w, g, m, v, out=w, lr=0.1)
    nd.waitall()
    before = mx._core.kernel_cache_stats()["compilations"]
    for step in range(1, 5):
        nd.adam_update(w, g, m, v, out=w, lr=0.1 / step, wd=0.01 * step)
    nd.waitall()
    assert mx._core.kernel_cache_stats()["compilations"] == before


def test_errors():
    w = nd.ones((2, 3))
    with pytest.raises(mx.MXNetError, match="grad has shape"):
        nd.sgd_update(w, nd.ones((3, 2)), lr=0.1)
    with pytest.raises(mx.MXNetError, match="mean has dtype"):
        nd.adam_update(w, w, nd.ones((2, 3), dtype="float64"), w, lr=0.1)
    with pytest.raises(mx.MXNetError, match="missing required argument 'lr'"):
        nd.sgd_update(w, w)
    with pytest.raises(mx.MXNetError, match="floating-point"):
        nd.sgd_update(nd.ones((2,), dtype="int32"), nd.ones((2,), dtype="int32"), lr=1)


def test_arguments_passed_twice_follow_mxnets_statement_order():
    # One array as two arguments: MXNet's kernels write the state first and
    # read it back for the weight (values from MXNet 1.9.1). kiln's updates
    # otherwise read every input before writing (one pass), which would give
    # 1.849, 3.898 here.
    W, G, M = [1.0, 2.0], [0.5, -1.0], [0.2, 0.4]
    w, g = nd.array(W), nd.array(G)
    nd.sgd_mom_update(w, g, w, out=w, lr=0.1, momentum=0.9, wd=0.01)
    np.testing.assert_allclose(w.asnumpy(), [1.698, 3.796], rtol=1e-6)
    w, g, m = nd.array(W), nd.array(G), nd.array(M)
    nd.adam_update(w, g, m, m, out=w, lr=0.1)
    np.testing.assert_allclose(w.asnumpy(), [0.9520396, 1.9489373],
                               rtol=1e-6)
    np.testing.assert_allclose(m.asnumpy(), [0.23002, 0.26073995], rtol=1e-6)
    kw = dict(lr=0.1, momentum=0.9, wd=0.01)
    w, g, m = nd.array(W), nd.array(G), nd.array(M)
    nd.nag_mom_update(w, g, m, out=m, **kw)
    np.testing.assert_allclose(m.asnumpy(), [1.0141, 2.6082], rtol=1e-5)
    np.testing.assert_allclose(w.asnumpy(), W)
    w, g = nd.array(W), nd.array(G)
    nd.nag_mom_update(w, g, g, out=w, **kw)
    np.testing.assert_allclose(w.asnumpy(), [1.3176, 1.3572001], rtol=1e-5)
    np.testing.assert_allclose(g.asnumpy(), [0.40368238, -0.8113572],
                               rtol=1e-6)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_mixed_precision_forms_take_a_float32_weight(momentum):
    # The weight and its master copy are then one value of the kernel: it
    # writes the master copy and copies it to the weight (MXNet 1.9.1 gives
    # both [0.95, 2.05, 2.9] without momentum).
    w, g = nd.array([1.0, 2.0, 3.0]), nd.array([0.5, -0.5, 1.0])
    w32 = nd.array([1.0, 2.0, 3.0])
    want = np.array([1.0, 2.0, 3.0]) - 0.1 * np.array([0.5, -0.5, 1.0])
    if momentum:
        mom = nd.zeros(3)
        nd.mp_sgd_mom_update(w, g, mom, w32, out=w, lr=0.1, momentum=momentum)
        np.testing.assert_allclose(mom.asnumpy(), want - [1, 2, 3], rtol=1e-6)
    else:
        nd.mp_sgd_update(w, g, w32, out=w, lr=0.1)
    np.testing.assert_allclose(w.asnumpy(), want, rtol=1e-6)
    np.testing.assert_allclose(w32.asnumpy(), want, rtol=1e-6)


@pytest.mark.parametrize("alias,want", [
    (None, [0.148892, -0.097901, 0.309172, -0.102804]),
    ("out=grad", [0.148892, -0.097901, 0.309172, -0.102804]),
    ("grad=weight", [0.07903, 0.111697, 0.219353, -0.302424]),
])
def test_mixed_precision_nag_reads_every_input_first(alias, want):
    # MXNet 1.9.1's mp_nag_mom_update reads its inputs before writing mom,
    # weight32 and out (values from MXNet; the momentum decays with the new
    # master weight).
    w0 = np.array([1.0, -2.0, 0.5, 3.0], np.float16)
    g0 = np.array([0.3, 0.1, -0.4, 1.0], np.float16)
    w, g = nd.array(w0, dtype="float16"), nd.array(g0, dtype="float16")
    m = nd.array([0.2, -0.1, 0.3, 0.0])
    w32 = nd.array(w0.astype(np.float32))
    kw = dict(lr=0.1, momentum=0.9, wd=0.01)
    if alias == "out=grad":
        nd.mp_nag_mom_update(w, g, m, w32, out=g, **kw)
        written = g
    elif alias == "grad=weight":
        nd.mp_nag_mom_update(w, w, m, w32, out=w, **kw)
        written = w
    else:
        nd.mp_nag_mom_update(w, g, m, w32, out=w, **kw)
        written = w
    np.testing.assert_allclose(m.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(written.asnumpy(),
                                  w32.asnumpy().astype(np.float16))


def test_update_parameters_are_read_as_mxnet_floats():
    # MXNet's update parameters are `float` fields: 1 - beta2 is
    # 1.f - 0.999f = 0.00099998713 (kiln computed 0.001 in double, 1.3e-5
    # relative off in every Adam/FTML/LAMB/RMSProp state), and a float64
    # weight's step uses lr rounded to float32. The expected values are
    # MXNet 1.9.1's.
    w, g = mx.nd.array([0.5]), mx.nd.array([1.0])
    m, v = mx.nd.zeros((1,)), mx.nd.zeros((1,))
    mx.nd.adam_update(w, g, m, v, lr=0.1, out=w)
    np.testing.assert_array_equal(m.asnumpy(), np.float32(0.10000002384185791))
    np.testing.assert_array_equal(v.asnumpy(), np.float32(0.0009999871253967285))
    np.testing.assert_array_equal(w.asnumpy(), np.float32(0.18377023935317993))
    w64 = mx.nd.array([0.5], dtype="float64")
    mx.nd.signsgd_update(w64, mx.nd.array([1.0], dtype="float64"), lr=0.1,
                         out=w64)
    np.testing.assert_allclose(w64.asnumpy(), [0.3999999985098839],
                               rtol=1e-15)
