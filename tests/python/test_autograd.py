"""mx.autograd: numeric gradient checks for every differentiable operator,
MXNet's recording semantics, higher-order gradients, custom Functions and
the errors misuse raises."""
import numpy as np
import pytest

import kiln as mx
from kiln import _core
from kiln.test_utils import assert_almost_equal, check_numeric_gradient

nd = mx.nd
RNG = np.random.default_rng(11)


def rand(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape)


def positive(*shape):
    return rand(*shape, low=0.5, high=2.0)


def apart(*shape):
    """Values at least 0.1 apart, so max/min/relu-like kinks are not crossed
    by the finite differences."""
    values = RNG.permutation(np.prod(shape, dtype=int)) * 0.3 - 1.0
    return values.reshape(shape) + 0.05


# (operator name, function of the inputs, inputs). Every operator with a
# gradient rule must appear here (test_every_rule_is_checked).
CASES = [
    ("broadcast_add", lambda a, b: nd.broadcast_add(a, b), [rand(2, 3), rand(1, 3)]),
    ("broadcast_sub", lambda a, b: nd.broadcast_sub(a, b), [rand(2, 3), rand(2, 1)]),
    ("broadcast_minus", lambda a, b: nd.broadcast_minus(a, b), [rand(2, 3), rand(3)]),
    ("broadcast_mul", lambda a, b: nd.broadcast_mul(a, b), [rand(2, 3), rand(2, 1)]),
    ("broadcast_div", lambda a, b: nd.broadcast_div(a, b), [rand(2, 3), positive(3)]),
    ("broadcast_mod", lambda a, b: nd.broadcast_mod(a, b), [positive(3) + 2.05, positive(3)]),
    ("broadcast_power", lambda a, b: nd.broadcast_power(a, b), [positive(2, 3), rand(3)]),
    ("broadcast_maximum", lambda a, b: nd.broadcast_maximum(a, b), [apart(2, 3), apart(3) + 0.1]),
    ("broadcast_minimum", lambda a, b: nd.broadcast_minimum(a, b), [apart(2, 3), apart(3) + 0.1]),
    ("elemwise_add", lambda a, b: nd.elemwise_add(a, b), [rand(2, 3), rand(2, 3)]),
    ("elemwise_sub", lambda a, b: nd.elemwise_sub(a, b), [rand(2, 3), rand(2, 3)]),
    ("elemwise_mul", lambda a, b: nd.elemwise_mul(a, b), [rand(2, 3), rand(2, 3)]),
    ("elemwise_div", lambda a, b: nd.elemwise_div(a, b), [rand(2, 3), positive(2, 3)]),
    ("_plus_scalar", lambda a: a + 3, [rand(4)]),
    ("_minus_scalar", lambda a: a - 3, [rand(4)]),
    ("_rminus_scalar", lambda a: 3 - a, [rand(4)]),
    ("_mul_scalar", lambda a: a * 3, [rand(4)]),
    ("_div_scalar", lambda a: a / 3, [rand(4)]),
    ("_rdiv_scalar", lambda a: 3 / a, [positive(4)]),
    ("_mod_scalar", lambda a: a % 1.5, [apart(4) + 2.0]),
    ("_rmod_scalar", lambda a: 5.0 % a, [positive(4) + 0.03]),
    ("_power_scalar", lambda a: a ** 3, [rand(4)]),
    ("_rpower_scalar", lambda a: 2 ** a, [rand(4)]),
    ("_maximum_scalar", lambda a: nd._maximum_scalar(a, scalar=0.02), [apart(6)]),
    ("_minimum_scalar", lambda a: nd._minimum_scalar(a, scalar=0.02), [apart(6)]),
    ("negative", lambda a: -a, [rand(4)]),
    ("abs", lambda a: nd.abs(a), [apart(6)]),
    ("square", lambda a: nd.square(a), [rand(4)]),
    ("relu", lambda a: nd.relu(a), [apart(6)]),
    ("sigmoid", lambda a: nd.sigmoid(a), [rand(4)]),
    ("exp", lambda a: nd.exp(a), [rand(4)]),
    ("expm1", lambda a: nd.expm1(a), [rand(4)]),
    ("log", lambda a: nd.log(a), [positive(4)]),
    ("log1p", lambda a: nd.log1p(a), [positive(4)]),
    ("sqrt", lambda a: nd.sqrt(a), [positive(4)]),
    ("rsqrt", lambda a: nd.rsqrt(a), [positive(4)]),
    ("tanh", lambda a: nd.tanh(a), [rand(4)]),
    ("sin", lambda a: nd.sin(a), [rand(4)]),
    ("cos", lambda a: nd.cos(a), [rand(4)]),
    ("reciprocal", lambda a: nd.reciprocal(a), [positive(4)]),
    ("erf", lambda a: nd.erf(a), [rand(4)]),
    ("arcsin", lambda a: nd.arcsin(a), [rand(4, low=-0.9, high=0.9)]),
    ("arccos", lambda a: nd.arccos(a), [rand(4, low=-0.9, high=0.9)]),
    ("arctan", lambda a: nd.arctan(a), [rand(4)]),
    ("cast", lambda a: nd.cast(a, dtype="float32").astype("float64"), [rand(4)], "float32"),
    ("Cast", lambda a: nd.Cast(a, dtype="float32"), [rand(4)], "float32"),
    ("clip", lambda a: nd.clip(a, -0.5, 0.5), [apart(8)]),
    ("sum", lambda a: nd.sum(a, axis=1), [rand(2, 3, 2)]),
    ("sum_axis", lambda a: nd.sum_axis(a, axis=0), [rand(2, 3)]),
    ("mean", lambda a: nd.mean(a, axis=(0, 2), keepdims=True), [rand(2, 3, 2)]),
    ("max", lambda a: nd.max(a, axis=1, exclude=True), [apart(2, 3, 2)]),
    ("min", lambda a: nd.min(a), [apart(2, 3)]),
    ("prod", lambda a: nd.prod(a, axis=0), [positive(3, 2)]),
    ("norm", lambda a: nd.norm(a, axis=1), [rand(3, 4)]),
    ("Reshape", lambda a: nd.Reshape(a, shape=(-1, 2)), [rand(2, 3, 2)]),
    ("reshape", lambda a: nd.reshape(a, shape=(0, -3)), [rand(2, 3, 2)]),
    ("Flatten", lambda a: nd.Flatten(a), [rand(2, 3, 2)]),
    ("flatten", lambda a: nd.flatten(a), [rand(2, 3, 2)]),
    ("expand_dims", lambda a: nd.expand_dims(a, axis=1) * nd.array([[1.0], [2.0]], dtype="float64"), [rand(2, 3)]),
    ("squeeze", lambda a: nd.squeeze(a), [rand(2, 1, 3)]),
    ("broadcast_to", lambda a: nd.broadcast_to(a, shape=(2, 3, 4)), [rand(3, 1)]),
    ("broadcast_like", lambda a, b: nd.broadcast_like(a, b), [rand(1, 3), rand(4, 3)]),
    ("transpose", lambda a: nd.transpose(a, axes=(1, 2, 0)), [rand(2, 3, 4)]),
    ("SwapAxis", lambda a: nd.SwapAxis(a, dim1=0, dim2=2), [rand(2, 3, 4)]),
    ("swapaxes", lambda a: nd.swapaxes(a, dim1=0, dim2=1), [rand(2, 3)]),
    ("slice", lambda a: nd.slice(a, begin=(None, 1), end=(None, None), step=(-1, 2)), [rand(3, 5)]),
    ("crop", lambda a: nd.crop(a, begin=(1,), end=(3,)), [rand(4, 2)]),
    ("slice_axis", lambda a: nd.slice_axis(a, axis=1, begin=1, end=-1), [rand(2, 5)]),
    ("_slice_scatter", lambda a: nd._slice_scatter(a, shape=(4, 3), begin=(1,), end=(3,)), [rand(2, 3)]),
    ("reverse", lambda a: nd.reverse(a, axis=(0,)), [rand(3, 2)]),
    # A view of a non-contiguous view: the view rule's storage-buffer path.
    ("view_of_view", lambda a: nd.slice(a.T, begin=(1, None), end=(3, None), step=(1, -1)),
     [rand(2, 4)]),
    ("flip", lambda a: nd.flip(a, axis=1), [rand(3, 2)]),
    ("dot", lambda a, b: nd.dot(a, b), [rand(3, 4), rand(4, 2)]),
    ("batch_dot", lambda a, b: nd.batch_dot(a, b, transpose_b=True), [rand(2, 3, 4), rand(2, 5, 4)]),
    ("softmax", lambda a: nd.softmax(a, axis=0, temperature=2.0), [rand(3, 4)]),
    ("log_softmax", lambda a: nd.log_softmax(a), [rand(3, 4)]),
    ("where", lambda c, a, b: nd.where(c, a, b), [np.array([[1, 0, 1], [0, 0, 1]]), rand(2, 3), rand(2, 3)]),
    ("take", lambda a: nd.take(a, nd.array([[2, 0], [2, 1]])), [rand(3, 2)]),
    ("Concat", lambda a, b: nd.Concat(a, b, dim=1), [rand(2, 3), rand(2, 1)]),
    ("concat", lambda a, b: nd.concat(a, b, dim=0), [rand(2, 3), rand(1, 3)]),
    ("stack", lambda a, b: nd.stack(a, b, axis=1), [rand(2, 3), rand(2, 3)]),
    # Composites: differentiated through their parts.
    ("sort", lambda a: nd.sort(a, axis=0, is_ascend=False) * nd.array([[1.0], [2.0], [3.0]], dtype="float64"),
     [apart(3, 2)]),
    ("topk", lambda a: nd.topk(a, k=2, ret_typ="value") * nd.array([1.0, 3.0], dtype="float64"),
     [apart(2, 4)]),
    ("pick", lambda a: nd.pick(a, nd.array([0, 2, 1]), axis=1), [rand(3, 4)]),
    ("tile", lambda a: nd.tile(a, reps=(2, 1, 2)), [rand(2, 3)]),
    ("repeat", lambda a: nd.repeat(a, repeats=2, axis=0), [rand(2, 3)]),
    ("reshape_like", lambda a, b: nd.reshape_like(a, b), [rand(2, 3), rand(3, 2)]),
    ("gather_nd", lambda a: nd.gather_nd(a, nd.array([[1, 0, 1], [2, 2, 0]])), [rand(2, 3, 2)]),
    ("scatter_nd", lambda a: nd.scatter_nd(a, nd.array([[1, 0], [2, 2]]), shape=(2, 3, 2)),
     [rand(2, 2)]),
    ("pad_constant", lambda a: nd.pad(a, mode="constant", pad_width=(0, 0, 1, 2), constant_value=3),
     [rand(2, 3)]),
    ("pad_edge", lambda a: nd.pad(a, mode="edge", pad_width=(1, 0, 2, 1)), [rand(2, 3)]),
    ("pad_reflect", lambda a: nd.pad(a, mode="reflect", pad_width=(1, 1, 2, 1)), [rand(3, 4)]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_numeric_gradient(case):
    name, function, inputs = case[:3]
    grad_nodes = [1, 2] if name == "where" else None
    # In float64, except where the op itself rounds to float32.
    tolerance = (dict(numeric_eps=1e-2, rtol=1e-3, atol=1e-4) if case[3:]
                 else dict(numeric_eps=1e-5, rtol=1e-4, atol=1e-6))
    check_numeric_gradient(function, [np.array(x, dtype=np.float64) for x in inputs],
                           grad_nodes=grad_nodes, dtype=np.float64, **tolerance)


def test_every_primitive_rule_is_exercised():
    # Gradients come from the primitives the ops dispatch: the cases above
    # must, between them, run every primitive's rule.
    for case in CASES:
        inputs = [nd.array(np.array(x, dtype=np.float64), dtype="float64") for x in case[2]]
        for array in inputs:
            array.attach_grad()
        with mx.autograd.record():
            output = case[1](*inputs)
        output.backward()
    # Higher order runs view_scatter's rule (the gradient of a view's rule).
    x = nd.array([[1.0, 2.0], [3.0, 4.0]], dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        (g,) = mx.autograd.grad((x.T * x.T * x.T).sum(), x, create_graph=True)
        total = g.sum()
    total.backward()
    assert_almost_equal(x.grad, 6 * x.asnumpy())
    # Through a view of a non-contiguous view, twice.
    with mx.autograd.record():
        inner = x.T[::-1]
        (g,) = mx.autograd.grad((inner * inner * inner).sum(), x,
                               create_graph=True)
        total = (g * g).sum()
    total.backward()
    assert_almost_equal(x.grad, 36 * x.asnumpy() ** 3)
    # ... and scatter_add's (the gradient of take's rule).
    v = nd.array([1.0, 2.0, 3.0], dtype="float64")
    v.attach_grad()
    with mx.autograd.record():
        picked = nd.take(v, nd.array([2, 0, 2]))
        (g,) = mx.autograd.grad((picked * picked).sum(), v, create_graph=True)
        total = g.sum()
    total.backward()
    assert_almost_equal(g, [2.0, 0.0, 12.0])
    assert_almost_equal(v.grad, [2.0, 0.0, 4.0])
    # The library-backed primitives: Convolution records convolution,
    # Deconvolution convolution_backward_data, Pooling pool, and the
    # weight gradient taken with create_graph convolution_backward_filter
    # and pool_backward.
    rng = np.random.default_rng(0)
    data = nd.array(rng.random((1, 2, 5, 5)), dtype="float64")
    weight = nd.array(rng.random((3, 2, 3, 3)), dtype="float64")
    back = nd.array(rng.random((3, 2, 3, 3)), dtype="float64")
    for array in (data, weight, back):
        array.attach_grad()
    with mx.autograd.record():
        y = nd.Convolution(data, weight, kernel=(3, 3), num_filter=3,
                           no_bias=True)
        z = nd.Deconvolution(y, back, kernel=(3, 3), num_filter=2)
        (gw,) = mx.autograd.grad(nd.Pooling(z, kernel=(2, 2), pool_type="avg")
                                 .sum(), weight, create_graph=True)
        total = (gw * gw).sum()
    total.backward()
    assert data.grad.shape == data.shape and back.grad.shape == back.shape
    # No mx.nd op dispatches these kernel primitives (the frontends make
    # them as views); tests/frontends:primitive_gradient_test runs their rules.
    kernel_only = {"transpose", "reshape", "pad", "slice"}
    missing = sorted(set(_core.differentiable_primitives()) - kernel_only
                     - set(_core.recorded_primitives()))
    assert not missing, "primitive gradient rules no test case runs: %s" % missing


def test_float32_mlp_gradient_matches_numeric():
    def mlp(x, w1, b1, w2):
        hidden = nd.relu(nd.dot(x, w1) + b1)
        return nd.log_softmax(nd.dot(hidden, w2))
    check_numeric_gradient(mlp, [rand(4, 5), rand(5, 6), rand(6), rand(6, 3)],
                           grad_nodes=[1, 2, 3], numeric_eps=1e-2, rtol=5e-2,
                           atol=5e-3)


def test_backward_writes_and_default_head_gradient():
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = x * x + 2 * x
    y.backward()
    assert_almost_equal(x.grad, [4.0, 6.0, 8.0])
    with mx.autograd.record():
        y = x * x
    y.backward(nd.array([1.0, 0.0, 2.0]))
    assert_almost_equal(x.grad, [2.0, 0.0, 12.0])  # written, not added


def test_grad_req_add_accumulates_and_null_skips():
    x = nd.array([1.0, 2.0])
    x.attach_grad(grad_req="add")
    z = nd.array([5.0, 6.0])
    z.attach_grad(grad_req="null")
    for _ in range(3):
        with mx.autograd.record():
            y = x * 3 + z
        y.backward()
    assert_almost_equal(x.grad, [9.0, 9.0])
    assert_almost_equal(z.grad, [0.0, 0.0])


def test_grad_buffer_is_stable_and_reused_across_steps():
    w = nd.array([[1.0, 2.0]])
    w.attach_grad()
    buffer = w.grad
    with mx.autograd.record():
        (w * 2).sum().backward()
    assert_almost_equal(buffer, [[2.0, 2.0]])


def test_variable_used_twice_sums_its_gradients():
    x = nd.array([2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = x * x * x + nd.exp(x) * x
    y.backward()
    expected = 3 * 4 + np.exp(2.0) * 3
    assert_almost_equal(x.grad, [expected], rtol=1e-5)


def test_multiple_heads_and_autograd_backward():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        a = x * 2
        b = x * x
    mx.autograd.backward([a, b], [nd.ones((2,)), nd.array([1.0, 10.0])])
    assert_almost_equal(x.grad, [2 + 2, 2 + 40.0])


def test_recording_flags_and_scopes():
    assert not mx.autograd.is_recording() and not mx.autograd.is_training()
    with mx.autograd.record():
        assert mx.autograd.is_recording() and mx.autograd.is_training()
        with mx.autograd.pause():
            assert not mx.autograd.is_recording()
            assert not mx.autograd.is_training()
        with mx.autograd.predict_mode():
            assert mx.autograd.is_recording() and not mx.autograd.is_training()
    with mx.autograd.record(train_mode=False):
        assert not mx.autograd.is_training()
    with mx.autograd.train_mode():
        assert mx.autograd.is_training() and not mx.autograd.is_recording()
    assert mx.autograd.set_recording(True) is False
    assert mx.autograd.set_recording(False) is True


def test_paused_and_detached_operations_are_constants():
    x = nd.array([3.0])
    x.attach_grad()
    with mx.autograd.record():
        with mx.autograd.pause():
            constant = x * 10
        y = x * constant + x.detach() * x
    y.backward()
    assert_almost_equal(x.grad, [30.0 + 3.0])


def test_grad_returns_without_writing_buffers():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = (x ** 2).sum()
    # A list also for one NDArray variable, as MXNet 1.9.1 returns it.
    g = mx.autograd.grad(y, x)
    assert isinstance(g, list) and len(g) == 1
    assert_almost_equal(g[0], [2.0, 4.0])
    assert_almost_equal(x.grad, [0.0, 0.0])
    with mx.autograd.record():
        y = x * 5
    gs = mx.autograd.grad([y], [x])
    assert isinstance(gs, list) and len(gs) == 1
    assert_almost_equal(gs[0], [5.0, 5.0])


def test_second_and_third_order_gradients():
    x = nd.array([0.5, 1.5])
    x.attach_grad()
    with mx.autograd.record():
        y = nd.sin(x) * x
        (dy,) = mx.autograd.grad(y, x, create_graph=True)
        (d2y,) = mx.autograd.grad(dy, x, create_graph=True)
    d2y.backward()
    v = np.array([0.5, 1.5])
    assert_almost_equal(dy, np.cos(v) * v + np.sin(v), rtol=1e-5)
    assert_almost_equal(d2y, -np.sin(v) * v + 2 * np.cos(v), rtol=1e-5)
    assert_almost_equal(x.grad, -np.cos(v) * v - 3 * np.sin(v), rtol=1e-5)


def test_retain_graph_and_freed_graph_error():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_almost_equal(x.grad, [2.0, 4.0])
    with pytest.raises(mx.MXNetError, match="retain_graph"):
        y.backward()


def test_mark_variables():
    x = nd.array([1.0, 2.0])
    g = nd.zeros((2,))
    mx.autograd.mark_variables([x], [g])
    with mx.autograd.record():
        y = x * 4
    y.backward()
    assert_almost_equal(g, [4.0, 4.0])
    assert x.grad is not None


def test_custom_function():
    class Sigmoid(mx.autograd.Function):
        def forward(self, x):
            y = 1 / (1 + nd.exp(-x))
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            y, = self.saved_tensors
            return dy * y * (1 - y)

    x = nd.array([-1.0, 0.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        z = Sigmoid()(x) * 2
    z.backward()
    s = 1 / (1 + np.exp(-np.array([-1.0, 0.0, 2.0])))
    assert_almost_equal(z, 2 * s)
    assert_almost_equal(x.grad, 2 * s * (1 - s), rtol=1e-5)


def test_custom_function_with_two_outputs_and_reuse_error():
    class SplitScale(mx.autograd.Function):
        def forward(self, x):
            return x * 2, x * 3

        def backward(self, da, db):
            return da * 2 + db * 3

    x = nd.array([1.0])
    x.attach_grad()
    f = SplitScale()
    with mx.autograd.record():
        a, b = f(x)
        y = a + b * b
    y.backward()
    assert_almost_equal(x.grad, [2 + 2 * 3.0 * 3])  # y = 2x + (3x)^2
    with pytest.raises(mx.MXNetError, match="called once"):
        f(x)


def test_errors():
    x = nd.array([1.0, 2.0])
    with pytest.raises(mx.MXNetError, match="cannot differentiate"):
        (x * 2).backward()
    x.attach_grad()
    with mx.autograd.record():
        y = x * 2
    with pytest.raises(mx.MXNetError, match="shape"):
        y.backward(nd.ones((3,)))
    with pytest.raises(KeyError, match="grad_req"):  # as mxnet==1.9.1
        x.attach_grad(grad_req="sometimes")
    with pytest.raises(mx.MXNetError, match="in-place"):
        with mx.autograd.record():
            x += 1
    with pytest.raises(mx.MXNetError, match="part of the recorded graph"):
        with mx.autograd.record():
            h = x * 2
            nd.square(h, out=h)  # backward would read the overwritten h
    with pytest.raises(mx.MXNetError, match="attach_grad"):
        mx.autograd.grad(y, nd.array([1.0]))
    with pytest.raises(mx.MXNetError, match="Symbol"):
        check_numeric_gradient("not a function", [np.ones(2)])


def test_update_outside_record_keeps_variable():
    w = nd.array([1.0, 1.0])
    w.attach_grad()
    for _ in range(2):
        with mx.autograd.record():
            loss = (w * w).sum()
        loss.backward()
        w -= 0.25 * w.grad
    assert_almost_equal(w, [0.25, 0.25])
    assert_almost_equal(w.grad, [1.0, 1.0])


def test_indexing_is_differentiable():
    x = nd.array(np.arange(12.0).reshape(3, 4))
    x.attach_grad()
    with mx.autograd.record():
        y = x[1:, ::2].sum() + x[0, 3] * 2 + x[[2, 2]].sum()
    y.backward()
    expected = np.zeros((3, 4))
    expected[1:, ::2] += 1
    expected[0, 3] += 2
    expected[2] += 2
    assert_almost_equal(x.grad, expected)


@pytest.mark.parametrize("n", [5000, (1 << 21) + 3])
def test_gradients_through_flat_and_streaming_kernels(n):
    # Mid-size contiguous arrays run flat kernels, 8 MB and more streaming
    # ones: both must be recorded like the general kernels.
    values = RNG.random(n).astype(np.float32)
    x = nd.array(values)
    x.attach_grad()
    with mx.autograd.record():
        y = (nd.exp(x) * x + 1).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), np.exp(values) * (1 + values), rtol=1e-5)


def test_numeric_gradient_of_non_contiguous_inputs():
    # A transposed numpy input once gave all-zero numeric gradients (the
    # perturbation went into a copy) and the check failed.
    a = np.arange(6, dtype=np.float64).reshape(2, 3).T
    check_numeric_gradient(lambda x: (x * x).sum(), [a], dtype=np.float64,
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-7)


def test_second_order_through_pooling():
    # avg pooling's gradient is linear: its own gradient is the pooling
    # again, so d/dx sum(g * g) with g = d pool(x)^2 / dx matches numpy.
    x = nd.array(np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4))
    x.attach_grad()
    with mx.autograd.record():
        (g,) = mx.autograd.grad((nd.Pooling(x, kernel=(2, 2), stride=(2, 2),
                                            pool_type="avg") ** 2).sum(),
                                x, create_graph=True)
        total = (g * g).sum()
    total.backward()
    pooled = x.asnumpy().reshape(2, 2, 2, 2).mean(axis=(1, 3))
    expected_g = np.repeat(np.repeat(pooled / 2, 2, axis=0), 2, axis=1)
    assert_almost_equal(g.asnumpy()[0, 0], expected_g)
    # total = sum over windows of 4 * (p / 2)^2 = sum p^2, p the window mean.
    expected = np.repeat(np.repeat(2 * pooled / 4, 2, axis=0), 2, axis=1)
    assert_almost_equal(x.grad.asnumpy()[0, 0], expected)
    # max pooling's has none, as in MXNet: an error, not a silent zero.
    with mx.autograd.record():
        (g,) = mx.autograd.grad((nd.Pooling(x, kernel=(2, 2)) ** 2).sum(), x,
                                create_graph=True)
        total = (g * g).sum()
    with pytest.raises(mx.base.MXNetError, match="not differentiable again"):
        total.backward()


UNARY_GRADIENT_CASES = [
    ("relu", -1.0, 1.0), ("abs", -1.0, 1.0), ("square", -1.0, 1.0),
    ("sigmoid", -3.0, 3.0), ("tanh", -3.0, 3.0), ("exp", -3.0, 3.0),
    ("expm1", -1.0, 1.0), ("log", 0.1, 3.0), ("log1p", 0.1, 3.0),
    ("sqrt", 0.1, 3.0), ("rsqrt", 0.1, 3.0), ("sin", -3.0, 3.0),
    ("cos", -3.0, 3.0), ("arcsin", -0.9, 0.9), ("arccos", -0.9, 0.9),
    ("arctan", -3.0, 3.0), ("reciprocal", 0.5, 3.0), ("erf", -2.0, 2.0)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name, low, high", UNARY_GRADIENT_CASES)
def test_fused_unary_gradient_matches_the_recorded_rule(name, low, high, dtype):
    # A backward nobody differentiates again runs the primitive's gradient
    # as one kernel derived from the dialect's rule (kiln-autodiff); under
    # create_graph it runs as recorded primitives. Both give the same
    # gradient, on a transposed (non-contiguous) input too.
    rng = np.random.default_rng(0)
    data = rng.uniform(low, high, size=(7, 5)).astype(dtype)
    head = rng.uniform(-1, 1, size=(5, 7)).astype(dtype)
    op = getattr(nd, name)
    x = nd.array(data, dtype=dtype)
    x.attach_grad()
    with mx.autograd.record():
        y = op(x.T)
    y.backward(nd.array(head, dtype=dtype))
    fused = x.grad.asnumpy()
    x2 = nd.array(data, dtype=dtype)
    x2.attach_grad()
    with mx.autograd.record():
        (recorded,) = mx.autograd.grad(op(x2.T), x2,
                                       head_grads=nd.array(head, dtype=dtype),
                                       create_graph=True)
    tolerance = 2e-3 if dtype == "float16" else 1e-6
    np.testing.assert_allclose(fused, recorded.asnumpy(), rtol=tolerance,
                               atol=tolerance)


BINARY_GRADIENT_CASES = [
    ("broadcast_mul", -1.0, 1.0, -1.0, 1.0), ("broadcast_div", -1.0, 1.0, 0.5, 2.0),
    ("broadcast_power", 0.5, 2.0, -1.0, 1.0),
    ("broadcast_maximum", -1.0, 1.0, -1.0, 1.0),
    ("broadcast_minimum", -1.0, 1.0, -1.0, 1.0),
    ("broadcast_mod", 2.2, 2.8, 1.0, 1.05)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("which", ["both", "lhs", "rhs"])
@pytest.mark.parametrize("rhs_shape", [(5, 7), (1, 7)])
@pytest.mark.parametrize("name, low, high, rlow, rhigh", BINARY_GRADIENT_CASES)
def test_fused_binary_gradient_matches_the_recorded_rule(
        name, low, high, rlow, rhigh, rhs_shape, which, dtype):
    # Operands of one shape: both gradients from one kernel of the dialect's
    # rule; a broadcast rhs (1, 7) takes the recorded rule and its sums.
    # Only the operands that take gradients get them.
    rng = np.random.default_rng(1)
    a = rng.uniform(low, high, size=(5, 7)).astype(dtype)
    b = rng.uniform(rlow, rhigh, size=rhs_shape).astype(dtype)
    if name in ("broadcast_maximum", "broadcast_minimum"):
        b.flat[::3] = a.flat[:b.size:3]  # ties go to the left, as MXNet
    head = rng.uniform(-1, 1, size=(5, 7)).astype(dtype)
    op = getattr(nd, name)

    def gradients(create_graph):
        x, y = nd.array(a, dtype=dtype), nd.array(b, dtype=dtype)
        inputs = [v for v, on in ((x, which != "rhs"), (y, which != "lhs")) if on]
        for v in inputs:
            v.attach_grad()
        with mx.autograd.record():
            out = op(x, y)
            if create_graph:
                return [g.asnumpy() for g in mx.autograd.grad(
                    out, inputs, head_grads=nd.array(head, dtype=dtype),
                    create_graph=True)]
        out.backward(nd.array(head, dtype=dtype))
        return [v.grad.asnumpy() for v in inputs]

    for fused, recorded in zip(gradients(False), gradients(True)):
        np.testing.assert_allclose(fused, recorded, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["relu", "exp", "tanh"])
def test_unary_gradient_of_a_strided_vector(name):
    # A column is a strided rank-1 view, which a flat kernel cannot read:
    # its gradient takes the recorded primitives' path, and is right.
    data = np.arange(12, dtype=np.float32).reshape(4, 3) / 6 - 1
    x = nd.array(data)
    x.attach_grad()
    with mx.autograd.record():
        y = getattr(nd, name)(x[:, 1])
    y.backward()
    expected = np.zeros_like(data)
    column = data[:, 1]
    expected[:, 1] = {"relu": (column > 0).astype(np.float32),
                      "exp": np.exp(column),
                      "tanh": 1 - np.tanh(column) ** 2}[name]
    np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-6,
                               atol=1e-7)


@pytest.mark.parametrize("name", ["relu", "maximum"])
def test_elementwise_backward_is_one_kernel(name, tmp_path):
    # relu's gradient (g where x > 0) was three kernels and two temporary
    # arrays eagerly (compare, cast, multiply), maximum's six; fused, each
    # is one kernel.
    x = nd.array(np.linspace(-1, 1, 10000, dtype=np.float32))
    z = nd.array(np.linspace(1, -1, 10000, dtype=np.float32))
    x.attach_grad()
    z.attach_grad()
    with mx.autograd.record():
        y = nd.relu(x) if name == "relu" else nd.maximum(x, z)
    mx.nd.waitall()
    mx.profiler.set_config(profile_all=True, filename=str(tmp_path / "t.json"),
                           aggregate_stats=True)
    _core.profiler.clear()
    mx.profiler.set_state("run")
    y.backward()
    mx.nd.waitall()
    mx.profiler.set_state("stop")
    mx.profiler.dump()
    import json
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    names = [e["name"] for e in events if e["ph"] == "X"]
    _core.profiler.clear()
    assert names.count("_backward_" + name) == 1, names
    if name == "relu":
        expected = (x.asnumpy() > 0).astype(np.float32)
    else:
        expected = (x.asnumpy() >= z.asnumpy()).astype(np.float32)
        np.testing.assert_array_equal(z.grad.asnumpy(), 1 - expected)
    np.testing.assert_array_equal(x.grad.asnumpy(), expected)


@pytest.mark.parametrize("grad_req, want", [("write", [0, 0]), ("add", [7, 7])])
def test_variable_no_gradient_reaches_gets_zero_under_write(grad_req, want):
    # softmax's length takes no gradient: under 'write' its gradient is
    # written as 0 (MXNet 1.9.1 gives [0, 0] here), not left as it was;
    # 'add' adds nothing.
    x = mx.nd.array(np.arange(6.0).reshape(2, 3))
    length = mx.nd.array([2, 3], dtype="int32")
    x.attach_grad()
    length.attach_grad(grad_req=grad_req)
    length.grad[:] = 7
    with mx.autograd.record():
        y = mx.nd.softmax(x, length=length, use_length=True, axis=-1)
    y.backward(mx.nd.array(np.arange(6.0).reshape(2, 3)))
    assert length.grad.asnumpy().tolist() == want
    assert _core.autograd_fresh_grad(length)
    np.testing.assert_allclose(
        x.grad.asnumpy(), [[-0.1966, 0.1966, 0], [-0.1418, -0.1408, 0.2826]],
        atol=1e-4)


@pytest.mark.parametrize("expression", [
    lambda x, u: x * 2 + (u > 0),
    lambda x, u: x * 2 + mx.nd.round(u),
    lambda x, u: x * 2 + mx.nd.zeros_like(u),
    lambda x, u: x * 2 + mx.nd.ones_like(u) * 0,
    lambda x, u: x * (u.reshape((3, 1)) > 0).reshape((3,)),
], ids=["comparison", "round", "zeros_like", "ones_like", "through-views"])
def test_variable_read_only_without_a_gradient_gets_zero(expression):
    # MXNet 1.9.1 writes a zero gradient into a variable that only ops
    # without a gradient read (its results here: u.grad [0, 0, 0]); kiln
    # left the old gradient in place, and Gluon's Trainer then refused to
    # step ("has not been updated by backward").
    x = mx.nd.array([1.0, 2.0, 3.0])
    u = mx.nd.array([-1.0, 2.0, 3.0])
    x.attach_grad()
    u.attach_grad()
    u.grad[:] = np.nan
    with mx.autograd.record():
        y = expression(x, u)
    y.backward()
    assert u.grad.asnumpy().tolist() == [0, 0, 0]
    assert _core.autograd_fresh_grad(u)
    assert np.isfinite(x.grad.asnumpy()).all()


def test_parameter_used_only_as_a_mask_steps_with_zero_gradient():
    # As MXNet: the Trainer steps (the mask's parameter gets 0), hybridized
    # or not.
    class Masked(mx.gluon.HybridBlock):
        def __init__(self):
            super(Masked, self).__init__()
            with self.name_scope():
                self.w = self.params.get("w", shape=(3,), init=mx.init.One())
                self.m = self.params.get("m", shape=(3,),
                                         init=mx.init.Constant(0.5))

        def hybrid_forward(self, F, x, w, m):
            return x * w * (m > 0)

    for hybridize in (False, True):
        net = Masked()
        net.initialize()
        if hybridize:
            net.hybridize()
        trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                                   {"learning_rate": 0.1})
        for _ in range(2):
            with mx.autograd.record():
                loss = net(mx.nd.array([1.0, 2.0, 3.0])).sum()
            loss.backward()
            trainer.step(1)
        assert net.m.grad().asnumpy().tolist() == [0, 0, 0]
        np.testing.assert_allclose(net.m.data().asnumpy(), [0.5] * 3)
        np.testing.assert_allclose(net.w.data().asnumpy(),
                                   [0.8, 0.6, 0.4], rtol=1e-6)


def test_head_computed_only_without_gradients_gives_zeros():
    # MXNet 1.9.1: (u > 0).sum().backward() writes u.grad = 0, also as one
    # head among others; kiln raised "cannot differentiate head".
    u = mx.nd.array([[-1.0, 2.0]])
    x = mx.nd.array([1.0, 2.0])
    u.attach_grad()
    x.attach_grad()
    u.grad[:] = 7
    with mx.autograd.record():
        y = (u > 0).sum()
    y.backward()
    assert u.grad.asnumpy().tolist() == [[0, 0]]
    u.grad[:] = 7
    with mx.autograd.record():
        heads = [x * 2, u > 0]
    mx.autograd.backward(heads)
    assert x.grad.asnumpy().tolist() == [2, 2]
    assert u.grad.asnumpy().tolist() == [[0, 0]]


@pytest.mark.parametrize("make", [
    lambda u: mx.nd.argsort(u),
    lambda u: mx.nd.topk(u, k=2, ret_typ="indices"),
    lambda u: mx.nd.shape_array(u).astype("float32").reshape((1, 2)).sum()
    * mx.nd.ones((2, 3)),
    lambda u: mx.nd.random.uniform_like(u),
    lambda u: mx.nd.ravel_multi_index(u.abs(), shape=(9, 9)).reshape(
        (1, 3)).broadcast_to((2, 3)),
], ids=["argsort", "topk", "shape_array", "uniform_like", "ravel_multi_index"])
def test_ops_without_gradients_give_their_inputs_zeros(make):
    # As MXNet 1.9.1 (its results here: u.grad all 0): index results,
    # shapes and random draws like u take no gradient, and u's old one is
    # overwritten; ravel_multi_index's arithmetic is not differentiated.
    u = mx.nd.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    w = mx.nd.ones((1,))
    u.attach_grad()
    w.attach_grad()
    u.grad[:] = 7
    with mx.autograd.record():
        y = (make(u) * w).sum()
    y.backward()
    assert u.grad.asnumpy().tolist() == [[0, 0, 0], [0, 0, 0]]
    assert np.isfinite(w.grad.asnumpy()).all()
