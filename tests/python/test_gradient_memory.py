"""A captured backward stores each variable's gradient as soon as it is
complete (as MXNet's executor writes each gradient when computed), so the
planned arena does not hold every weight's gradient until the end."""
import numpy as np

import kiln as mx

UNITS = 1024
WEIGHT_BYTES = UNITS * UNITS * 4


def _bound_mlp(layers):
    data = mx.sym.var("data")
    net = data
    for index in range(layers):
        net = mx.sym.FullyConnected(net, num_hidden=UNITS, no_bias=True,
                                    name="fc%d" % index)
    net = mx.sym.make_loss(mx.sym.sum(net))
    executor = net.simple_bind(mx.cpu(), data=(2, UNITS), grad_req="write")
    rng = np.random.default_rng(0)
    for name, array in executor.arg_dict.items():
        array[:] = rng.standard_normal(array.shape).astype(np.float32) * 0.01
    return executor


def test_weight_gradients_do_not_stay_in_the_arena_until_the_end():
    executor = _bound_mlp(4)
    for _ in range(2):  # the second run is the captured one
        executor.forward(is_train=True)
        executor.backward()
    mx.nd.waitall()
    stats = executor._memory_stats
    assert stats is not None
    # Four 4 MiB weight gradients, each computed into a temporary: held
    # together until the end they took 16 MiB; stored as they complete,
    # at most two overlap.
    assert stats["arena_bytes"] < 2.5 * WEIGHT_BYTES, stats


def test_gradients_stored_early_are_the_gradients():
    executor = _bound_mlp(3)
    executor.forward(is_train=True)
    executor.backward()
    x = executor.arg_dict["data"].asnumpy()
    weights = [executor.arg_dict["fc%d_weight" % i].asnumpy() for i in range(3)]
    activations = [x]
    for w in weights:
        activations.append(activations[-1] @ w.T)
    grad = np.ones_like(activations[-1])
    expected = {}
    for i in reversed(range(3)):
        expected["fc%d_weight" % i] = grad.T @ activations[i]
        grad = grad @ weights[i]
    expected["data"] = grad
    for name, want in expected.items():
        np.testing.assert_allclose(executor.grad_dict[name].asnumpy(), want,
                                   rtol=1e-4, atol=1e-5, err_msg=name)
