"""Gradients that take over memory instead of being copied.

A hybridized block's backward leaves each gradient in a buffer of its
executor; the tape gives a parameter's grad_req='write' gradient that
buffer's memory (and the executor the old gradient's) rather than copying
it. These tests pin what that must not change: values over several steps
with updates in between, views of the gradient, sums over several calls,
grad_req='add', gradient buffers that are views of larger arrays, and
user Functions, whose returned arrays stay theirs.
"""
import numpy as np
import pytest

import kiln as mx
import kiln.gluon  # noqa: F401  (attaches mx.gluon)

nd = mx.nd
nn = mx.gluon.nn


def _net():
    net = nn.HybridSequential()
    with net.name_scope():
            net.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(),
                nn.Activation("relu"), nn.Flatten(), nn.Dense(5))
    net.initialize(mx.init.Xavier())
    return net


def _twins():
    """A hybridized net and an imperative one with the same parameters."""
    mx.random.seed(3)
    hybrid, plain = _net(), _net()
    x = nd.array(np.zeros((2, 3, 6, 6), np.float32))
    hybrid(x), plain(x)
    for a, b in zip(hybrid.collect_params().values(),
                    plain.collect_params().values()):
        b.set_data(a.data().copy())
    hybrid.hybridize()
    return hybrid, plain


def _inputs(step):
    rng = np.random.default_rng(step)
    return (nd.array(rng.standard_normal((2, 3, 6, 6)).astype(np.float32)),
            nd.array(rng.integers(0, 5, 2).astype(np.float32)))


def _backward(nets, x):
    """A recorded forward and backward of each of `nets` on `x`."""
    for net in nets:
        with mx.autograd.record():
            out = net(x)
        out.backward()


def _grads(net):
    """Parameter name (without the net's prefix) -> gradient."""
    return {name[len(net.prefix):]: p.grad().asnumpy()
            for name, p in net.collect_params().items()
            if p.grad_req != "null"}


def test_gradients_over_steps_with_updates_equal_imperative():
    hybrid, plain = _twins()
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    trainers = [mx.gluon.Trainer(net.collect_params(), "sgd",
                                 {"learning_rate": 0.1, "momentum": 0.9})
                for net in (hybrid, plain)]
    for step in range(4):
        x, y = _inputs(step)
        for net, trainer in zip((hybrid, plain), trainers):
            with mx.autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(2)
        got, want = _grads(hybrid), _grads(plain)
        assert sorted(got) == sorted(want) and len(want) == 6
        for name in want:
            np.testing.assert_allclose(got[name], want[name], rtol=1e-5,
                                       atol=1e-6, err_msg="%s, step %d"
                                       % (name, step))


def test_views_of_a_gradient_see_each_new_gradient():
    hybrid, plain = _twins()
    weight = hybrid.collect_params()[hybrid.prefix + "dense0_weight"]
    flat = weight.grad().reshape((-1,))
    first_row = weight.grad()[0]
    for step in range(3):
        _backward((hybrid, plain), _inputs(step)[0])
        want = plain.collect_params()[plain.prefix + "dense0_weight"]
        want = want.grad().asnumpy()
        np.testing.assert_allclose(flat.asnumpy(), want.reshape(-1),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(first_row.asnumpy(), want[0], rtol=1e-5,
                                   atol=1e-6)


def test_gradient_kept_by_the_caller_is_not_overwritten_by_the_next_step():
    hybrid, _ = _twins()
    weight = hybrid.collect_params()[hybrid.prefix + "dense0_weight"]
    results = []
    for step in range(3):
        _backward((hybrid,), _inputs(step)[0])
        results.append((weight.grad(), weight.grad().asnumpy()))
    for kept, value in results:
        # The same array (a Parameter's gradient), holding the last step's.
        np.testing.assert_array_equal(kept.asnumpy(), results[-1][1])
    assert not np.array_equal(results[0][1], results[-1][1])


def test_block_called_twice_sums_both_gradients():
    hybrid, plain = _twins()
    x1, _ = _inputs(1)
    x2, _ = _inputs(2)
    for net in (hybrid, plain):
        with mx.autograd.record():
            out = net(x1) * 2 + net(x2)
        out.backward()
    got, want = _grads(hybrid), _grads(plain)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5,
                                   atol=1e-6, err_msg=name)


def test_grad_req_add_accumulates_across_steps():
    hybrid, plain = _twins()
    for net in (hybrid, plain):
        for p in net.collect_params().values():
            if p.grad_req != "null":
                p.grad_req = "add"
    for step in range(3):
        _backward((hybrid, plain), _inputs(step)[0])
    got, want = _grads(hybrid), _grads(plain)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5,
                                   atol=1e-5, err_msg=name)


class _Scale(mx.autograd.Function):
    """y = 3x, whose backward returns an array the test keeps."""

    def __init__(self, returned):
        super(_Scale, self).__init__()
        self.returned = returned

    def forward(self, x):
        return x * 3

    def backward(self, dy):
        return self.returned


def test_user_function_gradient_array_stays_the_users():
    kept = nd.array([1.0, 2.0, 3.0])
    x = nd.array([5.0, 6.0, 7.0])
    x.attach_grad()
    with mx.autograd.record():
        y = _Scale(kept)(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [1, 2, 3])
    x.grad[:] = 0
    np.testing.assert_array_equal(kept.asnumpy(), [1, 2, 3])


@pytest.mark.parametrize("donates", [False, True])
def test_gradient_buffer_inside_a_larger_array_is_written_in_place(donates):
    big = nd.array(np.full((3, 3), -1.0, np.float32))
    x = nd.array([5.0, 6.0, 7.0])
    mx.autograd.mark_variables([x], [big[1]])
    scale = _Scale(nd.array([1.0, 2.0, 3.0]))
    scale._donates_gradients = donates
    with mx.autograd.record():
        y = scale(x)
    y.backward()
    np.testing.assert_array_equal(
        big.asnumpy(), [[-1, -1, -1], [1, 2, 3], [-1, -1, -1]])


def test_donated_gradient_memory_is_taken_not_copied():
    donated = nd.array([1.0, 2.0, 3.0])
    x = nd.array([5.0, 6.0, 7.0])
    x.attach_grad()
    buffer = x.grad
    scale = _Scale(donated)
    scale._donates_gradients = True
    with mx.autograd.record():
        y = scale(x)
    y.backward()
    np.testing.assert_array_equal(buffer.asnumpy(), [1, 2, 3])
    np.testing.assert_array_equal(x.grad.asnumpy(), [1, 2, 3])
    # The donor got the buffer's old memory (attach_grad's zeros): the
    # gradient was exchanged, not copied.
    np.testing.assert_array_equal(donated.asnumpy(), [0, 0, 0])


def test_gradient_exported_through_dlpack_keeps_its_memory():
    # A DLPack consumer holds the gradient's address: the next gradient is
    # written there (copied), not exchanged into other memory.
    hybrid, plain = _twins()
    weight = hybrid.collect_params()[hybrid.prefix + "dense0_weight"]
    _backward((hybrid,), _inputs(0)[0])
    exported = np.from_dlpack(weight.grad())
    for step in range(1, 3):
        _backward((hybrid, plain), _inputs(step)[0])
        want = plain.collect_params()[plain.prefix + "dense0_weight"]
        # A DLPack consumer reads the memory directly: wait for the writes.
        weight.grad().wait_to_read()
        np.testing.assert_allclose(exported, want.grad().asnumpy(),
                                   rtol=1e-5, atol=1e-6)
        plain.collect_params().zero_grad()


def test_optimizer_update_in_place_over_an_exported_weight():
    w = nd.array(np.arange(6, dtype=np.float32))
    g = nd.array(np.ones(6, np.float32))
    mom = nd.zeros(6)
    exported = np.from_dlpack(w)
    nd.sgd_mom_update(w, g, mom, lr=0.5, momentum=0.9, out=w)
    nd.waitall()
    np.testing.assert_allclose(exported, np.arange(6) - 0.5)
    np.testing.assert_allclose(mom.asnumpy(), np.full(6, -0.5))


def _mlp(units):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(units, in_units=units), nn.Dense(units,
                                                          in_units=units))
    net.initialize(mx.init.Xavier())
    return net


def test_executors_of_many_batch_sizes_share_one_set_of_gradient_buffers():
    # Each input signature has an executor of its own; each kept a
    # gradient buffer per parameter, so 8 batch sizes held 8 sets besides
    # the parameters' own gradients. The buffers are now lent per backward.
    units = 512
    net = _mlp(units)
    net.hybridize()
    param_bytes = sum(p.data().size * 4
                      for p in net.collect_params().values())
    stats = mx._core.profiler.memory_stats
    for _ in range(2):
        for batch in range(1, 9):
            x = nd.ones((batch, units))
            with mx.autograd.record():
                out = net(x)
            out.backward()
            mx.nd.waitall()
    in_use = stats()["bytes_in_use"]
    # Parameters, their gradients and small activations: under 3 sets
    # where 8 signatures' own buffers made about 10.
    assert in_use < 3 * param_bytes, (in_use, param_bytes)


def test_lent_gradient_buffers_give_the_imperative_gradients():
    # A parameter read only through BlockGrad (the backward never writes
    # its buffer), a block called twice in one graph, a second backward
    # under retain_graph, a data input's gradient, grad_req write and add,
    # with stale bytes in the gradients between steps.
    class Net(mx.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super(Net, self).__init__(**kwargs)
            with self.name_scope():
                self.dense = nn.Dense(4, in_units=3)
                self.offset = self.params.get("offset", shape=(4,))

        def hybrid_forward(self, F, x, offset):
            return F.broadcast_add(self.dense(x), F.BlockGrad(offset))

    def run(hybridize, req):
        net = Net(prefix="net_")
        net.initialize(mx.init.Constant(0.5))
        for p in net.collect_params().values():
            p.grad_req = req
        if hybridize:
            net.hybridize()
        x = nd.array(np.arange(6, dtype=np.float32).reshape(2, 3))
        x.attach_grad()
        steps = []
        for step in range(4):
            if req == "write":
                for p in net.collect_params().values():
                    p.grad()[:] = 7
            with mx.autograd.record():
                loss = (net(x) * (step + 1) + net(x) * 2).sum()
            loss.backward(retain_graph=step == 1)
            if step == 1:
                loss.backward()
            grads = {name: p.grad().asnumpy()
                     for name, p in net.collect_params().items()}
            grads["x"] = x.grad.asnumpy()
            steps.append(grads)
        return steps

    for req in ("write", "add"):
        for want, got in zip(run(False, req), run(True, req)):
            for name in want:
                np.testing.assert_allclose(got[name], want[name], rtol=1e-6,
                                           err_msg="%s %s" % (req, name))


def test_zero_size_batches_run_op_by_op_between_captured_ones():
    # Eagerly a zero-size batch works; hybridized, it did only on the
    # block's first call (later ones failed in shape inference).
    net = nn.Dense(3, in_units=4)
    net.initialize(mx.init.Constant(0.5))
    net.hybridize()
    for batch in [0, 3, 0, 2, 0]:
        x = nd.array(np.ones((batch, 4), np.float32))
        with mx.autograd.record():
            y = net(x)
        y.backward()
        assert y.shape == (batch, 3)
        np.testing.assert_allclose(net.weight.grad().asnumpy(),
                                   np.full((3, 4), float(batch)))
