"""mx.nd.contrib.group_adagrad_update against MXNet 1.9.1 live.

MXNet runs the operator only for row_sparse gradients (out=weight); kiln
has no sparse storage and takes the dense gradient, which must give what
MXNet gives for that gradient cast to row_sparse (rows of zeros are left
out there and change nothing here). Bad inputs raise MXNetError (TypeError
for arguments that are no NDArray), and MXNet refuses the same ones.
"""
import numpy as np
import pytest

import kiln as mx
from mxnet_oracle import requires_oracle, run_mxnet

# (weight shape, history shape, dtype, parameters)
CASES = [
    ((4, 3), (4, 1), "float32", dict(lr=0.1)),
    ((4, 3), (4,), "float32", dict(lr=0.05, rescale_grad=2.0,
                                   clip_gradient=0.9, epsilon=1e-3)),
    ((5,), (5, 1), "float32", dict(lr=0.2, clip_gradient=0.5)),
    ((3, 2, 4), (3, 1), "float64", dict(lr=0.1, rescale_grad=0.5)),
    ((6, 2), (6, 1), "float64", dict(lr=0.3, clip_gradient=0.0)),
    ((4, 3), (4, 3), "float32", dict(lr=0.1, epsilon=0.5)),
]
STEPS = 3


def _inputs():
    rng = np.random.default_rng(5)
    arrays = {}
    for i, (shape, history, dtype, _) in enumerate(CASES):
        arrays["w%d" % i] = rng.standard_normal(shape).astype(dtype)
        arrays["h%d" % i] = rng.uniform(0, 1, history).astype(dtype)
        for step in range(STEPS):
            grad = rng.standard_normal(shape).astype(dtype)
            grad[rng.integers(0, shape[0])] = 0  # a row MXNet leaves out
            arrays["g%d_%d" % (i, step)] = grad
    return arrays


def _kiln_steps(arrays):
    outputs = {}
    for i, (_, _, dtype, params) in enumerate(CASES):
        weight = mx.nd.array(arrays["w%d" % i], dtype=dtype)
        history = mx.nd.array(arrays["h%d" % i], dtype=dtype)
        for step in range(STEPS):
            grad = mx.nd.array(arrays["g%d_%d" % (i, step)], dtype=dtype)
            mx.nd.contrib.group_adagrad_update(weight, grad, history,
                                               out=weight, **params)
        outputs["w%d" % i] = weight.asnumpy()
        outputs["h%d" % i] = history.asnumpy()
    return outputs


@requires_oracle
def test_updates_match_mxnet_row_sparse():
    arrays = _inputs()
    expected = run_mxnet("""
    CASES = %r
    for i, (_, _, dtype, params) in enumerate(CASES):
        weight = mx.nd.array(inputs["w%%d" %% i], dtype=dtype)
        history = mx.nd.array(inputs["h%%d" %% i], dtype=dtype)
        for step in range(%d):
            grad = mx.nd.array(inputs["g%%d_%%d" %% (i, step)], dtype=dtype)
            mx.nd.contrib.group_adagrad_update(
                weight, grad.tostype("row_sparse"), history, out=weight,
                **params)
        outputs["w%%d" %% i] = weight.asnumpy()
        outputs["h%%d" %% i] = history.asnumpy()
    """ % (CASES, STEPS), **arrays)
    got = _kiln_steps(arrays)
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name].dtype == expected[name].dtype, name
        assert got[name].shape == expected[name].shape, name
        tolerance = 1e-12 if expected[name].dtype == np.float64 else 1e-6
        np.testing.assert_allclose(got[name], expected[name], rtol=tolerance,
                                   atol=tolerance, err_msg=name)
    # The updates moved every weight, but where clip_gradient=0 clips every
    # gradient to 0 (MXNet clips when clip_gradient >= 0).
    for i, (_, _, _, params) in enumerate(CASES):
        frozen = params.get("clip_gradient") == 0
        assert np.allclose(got["w%d" % i], arrays["w%d" % i]) == frozen


def test_returns_the_new_weight_without_out():
    weight = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    history = mx.nd.zeros((2, 1))
    grad = mx.nd.array([[0.5, -0.5], [0.0, 0.0]])
    result = mx.nd.contrib.group_adagrad_update(weight, grad, history, lr=0.1)
    # Row 0: history 0.25, step 0.1 * g / sqrt(0.25 + 1e-5); row 1 unchanged.
    step = 0.1 * 0.5 / np.sqrt(np.float32(0.25) + np.float32(1e-5))
    np.testing.assert_allclose(result.asnumpy(),
                               [[1 - step, 2 + step], [3, 4]], rtol=1e-6)
    np.testing.assert_array_equal(weight.asnumpy(), [[1, 2], [3, 4]])
    np.testing.assert_allclose(history.asnumpy(), [[0.25], [0]])


def test_the_optimizer_takes_the_same_step():
    import kiln.optimizer  # noqa: F401  (attaches mx.optimizer)
    rng = np.random.default_rng(2)
    data = rng.standard_normal((5, 3)).astype(np.float32)
    grads = [rng.standard_normal((5, 3)).astype(np.float32) for _ in range(3)]
    optimizer = mx.optimizer.create("groupadagrad", learning_rate=0.2,
                                    rescale_grad=0.5, clip_gradient=0.7,
                                    eps=1e-4)
    weight = mx.nd.array(data)
    state = optimizer.create_state(0, weight)
    own, history = mx.nd.array(data), mx.nd.zeros((5, 1))
    for grad in grads:
        optimizer.update(0, weight, mx.nd.array(grad), state)
        mx.nd.contrib.group_adagrad_update(
            own, mx.nd.array(grad), history, out=own, lr=0.2,
            rescale_grad=0.5, clip_gradient=0.7, epsilon=1e-4)
    np.testing.assert_allclose(own.asnumpy(), weight.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(history.asnumpy(), state.asnumpy(), rtol=1e-6)


PRELUDE = """
w = mx.nd.ones((4, 3)); g = mx.nd.ones((4, 3)); h = mx.nd.zeros((4, 1))
"""
# (name, call with a dense gradient for kiln, MXNet's spelling, message)
BAD = [
    ("history_rows", "update(w, g, mx.nd.zeros((3, 1)), out=w, lr=0.1)",
     "history has shape \\(3, 1\\), expected 4 rows"),
    ("grad_shape", "update(w, mx.nd.ones((4, 2)), h, out=w, lr=0.1)",
     "grad has shape \\(4, 2\\)"),
    ("weight_decay", "update(w, g, h, out=w, lr=0.1, wd=0.1)",
     "unknown parameter\\(s\\) wd"),
    ("dtype", "update(w, g, mx.nd.zeros((4, 1), dtype='float64'), out=w, "
     "lr=0.1)", "history has dtype float64"),
]


@pytest.mark.parametrize("name,call,message", BAD, ids=[b[0] for b in BAD])
def test_bad_inputs_raise(name, call, message):
    scope = {"mx": mx, "update": mx.nd.contrib.group_adagrad_update}
    exec(PRELUDE, scope)
    with pytest.raises(mx.base.MXNetError, match=message):
        eval(call, scope)


def test_arguments_that_are_no_arrays_raise_type_error():
    with pytest.raises(TypeError, match="grad expected an NDArray"):
        mx.nd.contrib.group_adagrad_update(mx.nd.ones((2, 2)), [[1, 1]] * 2,
                                           mx.nd.zeros((2, 1)), lr=0.1)


@requires_oracle
def test_mxnet_refuses_the_same_inputs():
    code = PRELUDE + "update = mx.nd.contrib.group_adagrad_update\n"
    code += "\n".join(
        "try:\n"
        "    %s\n"
        "    mx.nd.waitall()\n"
        "    outputs[%r] = np.array(False)\n"
        "except Exception:\n"
        "    outputs[%r] = np.array(True)"
        % (call.replace("update(w, g", "update(w, g.tostype('row_sparse')")
           .replace("update(w, mx.nd.ones((4, 2))",
                    "update(w, mx.nd.ones((4, 2)).tostype('row_sparse')"),
           name, name)
        for name, call, _ in BAD)
    refused = run_mxnet(code)
    assert all(bool(v) for v in refused.values()), refused
