"""The gradient of _sample_multinomial (mx.nd.sample_multinomial,
mx.nd._internal._sample_multinomial) with get_prob=True, as MXNet 1.9.1's
_backward_sample_multinomial: each sample j of a row adds
head_grad_prob[j] / data[row, sample[j]] at its category; the samples
themselves take no gradient.

kiln and MXNet draw different samples, so the tests check each framework's
gradient against that rule applied to its own samples, and compare directly
where the draw is certain (rows with all their mass on one category).
"""
import numpy as np
import pytest

import kiln as mx
from mxnet_oracle import requires_oracle, run_mxnet

# (data shape, samples per row or None)
CASES = [((5,), None), ((2, 4), (3,)), ((2, 3, 6), (2, 2)), ((3, 4), None)]


def _probabilities(shape, seed):
    p = np.random.default_rng(seed).uniform(0.2, 1.0, shape)
    return (p / p.sum(axis=-1, keepdims=True)).astype(np.float32)


def _rule(p, samples, head):
    """grad[..., s_j] += head[j] / p[..., s_j], per row, in numpy."""
    categories = p.shape[-1]
    rows = p.reshape(-1, categories).astype(np.float64)
    s = samples.reshape(rows.shape[0], -1).astype(np.int64)
    g = head.reshape(rows.shape[0], -1).astype(np.float64)
    grad = np.zeros_like(rows)
    for r in range(rows.shape[0]):
        for j in range(s.shape[1]):
            grad[r, s[r, j]] += g[r, j] / rows[r, s[r, j]]
    return grad.reshape(p.shape)


def _sample_shape(shape, per_row):
    out = shape[:-1] + (per_row or ())
    return out or (1,)


def _kiln_gradient(p, per_row, head, dtype="float32", internal=False):
    data = mx.nd.array(p, dtype=dtype)
    data.attach_grad()
    kwargs = {"get_prob": True}
    if per_row is not None:
        kwargs["shape"] = per_row
    op = (mx.nd._internal._sample_multinomial if internal
          else mx.nd.sample_multinomial)
    with mx.autograd.record():
        samples, log_prob = op(data, **kwargs)
    log_prob.backward(mx.nd.array(head, dtype=dtype))
    return samples.asnumpy(), log_prob.asnumpy(), data.grad.asnumpy()


@requires_oracle
def test_gradient_follows_mxnets_rule():
    arrays = {}
    for i, (shape, per_row) in enumerate(CASES):
        arrays["p%d" % i] = _probabilities(shape, i)
        arrays["g%d" % i] = np.random.default_rng(10 + i).uniform(
            -2, 2, _sample_shape(shape, per_row)).astype(np.float32)
    want = run_mxnet("""
    for i, (shape, per_row) in enumerate(%r):
        data = mx.nd.array(inputs["p%%d" %% i])
        data.attach_grad()
        kwargs = {"get_prob": True}
        if per_row is not None:
            kwargs["shape"] = per_row
        with mx.autograd.record():
            samples, log_prob = mx.nd.sample_multinomial(data, **kwargs)
        log_prob.backward(mx.nd.array(inputs["g%%d" %% i]))
        outputs["s%%d" %% i] = samples.asnumpy()
        outputs["d%%d" %% i] = data.grad.asnumpy()
    """ % (CASES,), **arrays)
    for i, (shape, per_row) in enumerate(CASES):
        p, head = arrays["p%d" % i], arrays["g%d" % i]
        # The rule is MXNet's ...
        np.testing.assert_allclose(want["d%d" % i],
                                   _rule(p, want["s%d" % i], head),
                                   rtol=1e-5, atol=1e-6)
        # ... and kiln's, on its own samples, through either name.
        for internal in (False, True):
            samples, log_prob, grad = _kiln_gradient(p, per_row, head,
                                                     internal=internal)
            assert samples.shape == want["s%d" % i].shape
            assert grad.shape == p.shape and grad.dtype == np.float32
            np.testing.assert_allclose(grad, _rule(p, samples, head),
                                       rtol=1e-5, atol=1e-6)


@requires_oracle
def test_certain_draws_match_mxnet():
    # Every row has all its mass on one category: both frameworks draw it.
    p = np.zeros((2, 3, 5), np.float32)
    for r, c in enumerate([4, 0, 2, 3, 1, 2]):
        p.reshape(6, 5)[r, c] = 1.0
    head = np.random.default_rng(1).uniform(-1, 1, (2, 3, 4))
    head = head.astype(np.float32)
    want = run_mxnet("""
    data = mx.nd.array(inputs["p"])
    data.attach_grad()
    with mx.autograd.record():
        s, lp = mx.nd.sample_multinomial(data, shape=(4,), get_prob=True)
        y = lp * mx.nd.array(inputs["g"]) + s.astype("float32")
    y.backward()
    outputs["s"], outputs["lp"] = s.asnumpy(), lp.asnumpy()
    outputs["grad"] = data.grad.asnumpy()
    """, p=p, g=head)
    data = mx.nd.array(p)
    data.attach_grad()
    with mx.autograd.record():
        s, lp = mx.nd.sample_multinomial(data, shape=(4,), get_prob=True)
        y = lp * mx.nd.array(head) + s.astype("float32")
    y.backward()
    np.testing.assert_array_equal(s.asnumpy(), want["s"])
    np.testing.assert_array_equal(lp.asnumpy(), want["lp"])
    np.testing.assert_allclose(data.grad.asnumpy(), want["grad"], rtol=1e-6)
    assert np.abs(want["grad"]).sum() > 1  # the rule did add something


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_gradient_in_datas_dtype(dtype):
    p = _probabilities((3, 4), 5)
    head = np.random.default_rng(2).uniform(-1, 1, (3, 2))
    samples, _, grad = _kiln_gradient(p, (2,), head, dtype=dtype)
    assert grad.dtype == np.dtype(dtype)
    want = _rule(p.astype(dtype), samples, head.astype(dtype))
    np.testing.assert_allclose(grad, want,
                               rtol=1e-10 if dtype == "float64" else 2e-3)


def test_samples_alone_take_no_gradient():
    data = mx.nd.array(_probabilities((2, 4), 3))
    data.attach_grad()
    with mx.autograd.record():
        samples = mx.nd.sample_multinomial(data, shape=(3,))
    samples.backward()
    np.testing.assert_array_equal(data.grad.asnumpy(), np.zeros((2, 4)))
