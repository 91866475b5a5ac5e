"""Zero-copy argument and result passing of captured graphs.

A hybridized block or kiln.jit function called without autograd lends its
data arrays' memory to the executable and takes over the executable's
result buffers (frontends/cpp/ArgumentBinding.h) instead of copying. The
values a caller sees must be those of the copying path: results stay
valid across later calls, writes to an argument after the call do not
reach its result, a result that is a bound array (a parameter, a closure
constant) is a copy, and recorded calls, which copy, mix with lent ones.
"""
import numpy as np
import pytest

import kiln as mx
from kiln import autograd, gluon
from kiln.jit import jit


def _expr(a, b):
    return mx.nd.exp(a * 0.5) * b + a


def _expected(a, b):
    return np.exp(a * 0.5) * b + a


def _check(got, want):
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-5)


def _arrays(n=1 << 12, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(n).astype(np.float32),
            rng.standard_normal(n).astype(np.float32))


def test_results_stay_valid_across_calls():
    f = jit(_expr)
    a, b = _arrays()
    c, d = _arrays(seed=1)
    x, y = mx.nd.array(a), mx.nd.array(b)
    first = f(x, y)
    second = f(mx.nd.array(c), mx.nd.array(d))
    third = f(x, y)
    _check(first, _expected(a, b))
    _check(second, _expected(c, d))
    _check(third, _expected(a, b))
    assert first.asnumpy().tolist() == third.asnumpy().tolist()


def test_writes_after_the_call_do_not_reach_the_result():
    f = jit(_expr)
    a, b = _arrays(1 << 18)
    for round in range(4):
        x, y = mx.nd.array(a), mx.nd.array(b)
        result = f(x, y)
        x[:] = 7.0  # pushed before the kernel can have run
        y += 1.0
        _check(result, _expected(a, b))
    again = f(x, y)
    _check(again, _expected(np.full_like(a, 7.0), b + 1))


def test_writes_to_a_result_do_not_reach_the_next_call():
    f = jit(_expr)
    a, b = _arrays()
    x, y = mx.nd.array(a), mx.nd.array(b)
    result = f(x, y)
    result[:] = -1.0
    _check(f(x, y), _expected(a, b))
    assert (result.asnumpy() == -1.0).all()


def test_views_and_repeated_arguments():
    f = jit(_expr)
    a, b = _arrays(4096)
    x = mx.nd.array(np.concatenate([a, b]).reshape(2, 4096))
    # Contiguous rows (views with an offset) and a strided view.
    _check(f(x[1], x[0]), _expected(b, a))
    wide = mx.nd.array(np.stack([a, b], axis=1))  # (4096, 2)
    strided = wide[:, 1]
    _check(f(strided, strided), _expected(b, b))
    same = mx.nd.array(a)
    _check(f(same, same), _expected(a, a))


def test_identity_results_keep_the_arguments_intact():
    @jit
    def passthrough(x, y):
        return x, y * 2, x + 0

    x = mx.nd.array(np.ones(6, dtype=np.float32))
    y = mx.nd.array(np.arange(6, dtype=np.float32))
    for _ in range(2):
        same, doubled, shifted = passthrough(x, y)
        same[:] = 5
        shifted[:] = 3
        assert (x.asnumpy() == 1).all()
        assert doubled.asnumpy().tolist() == [0, 2, 4, 6, 8, 10]
        assert (y.asnumpy() == np.arange(6)).all()


class _Dense(gluon.HybridBlock):
    def __init__(self):
        super().__init__()
        self.dense = gluon.nn.Dense(8, in_units=16)

    def hybrid_forward(self, F, x):
        return F.broadcast_add(F.tanh(self.dense(x)),
                               x.sum(axis=1, keepdims=True))


def test_hybridized_inference_mixed_with_recorded_calls():
    net = _Dense()
    net.initialize(mx.init.Xavier())
    rng = np.random.default_rng(2)
    data = [mx.nd.array(rng.standard_normal((4, 16)).astype(np.float32))
            for _ in range(3)]
    eager = [net(x).asnumpy() for x in data]
    net.hybridize()
    results = [net(data[0])]  # lent
    with autograd.record():
        loss = net(data[1]).sum()  # copied into the same slot's buffers
    loss.backward()
    results.append(net(data[1]))
    results.append(net(data[2]))
    data[2][:] = 0  # after the call: the result keeps the old value
    for got, want in zip(results, eager):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5,
                                   atol=1e-6)
    grad = net.dense.weight.grad().asnumpy()
    assert np.abs(grad).sum() > 0


def test_parameter_results_keep_their_memory():
    class Weights(gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            self.w = self.params.get("w", shape=(3,), init=mx.init.One())

        def hybrid_forward(self, F, x, w):
            return w, x + w

    block = Weights()
    block.initialize()
    block.hybridize()
    x = mx.nd.zeros((3,))
    for _ in range(2):
        w, shifted = block(x)
        w[:] = 42
    assert (block.w.data().asnumpy() == 1).all()
    assert (shifted.asnumpy() == 1).all()
