"""Contexts other than cpu(0) against Apache MXNet 1.9.1: arrays made on
mx.cpu(1) (or any id) report it and keep it through ops, creation, random
sampling, copyto / as_in_context, autograd's gradients, a bound executor,
Gluon parameters loaded or moved there and a Module's devices; an op's
result is on its first input's context (CPU ids may mix, as in MXNet); a
hybridized block refuses parameters on another context; Gluon training on
[cpu(0), cpu(1)] takes the one-context step, without stale-gradient
errors; and every CPU id shares one pool of engine workers.
"""
import os
import warnings

import numpy as np
import pytest

import kiln as mx
import kiln.gluon.loss  # noqa: F401 (attach the submodules, as
import kiln.gluon.nn  # noqa: F401 mx.gluon's __init__ will)
import kiln.gluon.trainer  # noqa: F401
import kiln.gluon.utils  # noqa: F401
import kiln.io  # noqa: F401
import kiln.module  # noqa: F401
from mxnet_oracle import requires_oracle, run_both

# Records str(context) of each case under outputs["ctx/<case>"], and a few
# values under outputs["value/<case>"].
CONTEXTS = """
import os, tempfile
a = mx.nd.ones((2, 3), ctx=mx.cpu(1))
b = mx.nd.ones((2, 3))
c2 = mx.nd.array([1, 0], ctx=mx.cpu(2))
cases = {
    "ones": a, "plus_scalar": a + 1, "relu": mx.nd.relu(a), "sum": a.sum(),
    "transpose": a.T, "index": a[0], "reshape": a.reshape(3, 2),
    "astype": a.astype("int32"), "copy": a.copy(), "a_plus_b": a + b,
    "b_plus_a": b + a, "dot": mx.nd.dot(a, b.T),
    "concat_ab": mx.nd.concat(a, b, dim=0),
    "concat_ba": mx.nd.concat(b, a, dim=0),
    "where": mx.nd.where(a > 0, a, b), "stack": mx.nd.stack(a, a),
    "split": mx.nd.split(mx.nd.ones((2, 4), ctx=mx.cpu(1)), 2)[1],
    "broadcast_to": mx.nd.broadcast_to(a[0:1], (4, 3)),
    "ones_like": mx.nd.ones_like(a), "zeros_like": mx.nd.zeros_like(a),
    "one_hot": mx.nd.one_hot(c2, 3),
    "out_elsewhere": mx.nd.elemwise_add(
        a, a, out=mx.nd.zeros((2, 3), ctx=mx.cpu(2))),
    "array": mx.nd.array([1, 2], ctx=mx.cpu(3)),
    "zeros": mx.nd.zeros((2,), ctx=mx.cpu(1)),
    "arange": mx.nd.arange(3, ctx=mx.cpu(1)),
    "full": mx.nd.full((2,), 3, ctx=mx.cpu(1)),
    "empty": mx.nd.empty((2,), ctx=mx.cpu(1)),
    "eye": mx.nd.eye(2, ctx=mx.cpu(1)),
    "linspace": mx.nd.linspace(0, 1, 3, ctx=mx.cpu(1)),
    "ctx_string": mx.nd.ones((2,), ctx="cpu(2)"),
    "uniform": mx.nd.random.uniform(shape=(2,), ctx=mx.cpu(1)),
    "normal": mx.nd.random.normal(shape=(2,), ctx=mx.cpu(2)),
    "randint": mx.nd.random.randint(0, 5, shape=(2,), ctx=mx.cpu(1)),
    "uniform_arrays": mx.nd.random.uniform(c2, c2 + 1),
    "copyto_ctx": a.copyto(mx.cpu(2)),
    "as_in_context": a.as_in_context(mx.cpu(0)),
    "copyto_array": a.copyto(mx.nd.zeros((2, 3))),
}
with mx.cpu(4):
    cases["with_ones"] = mx.nd.ones((2,))
    cases["with_uniform"] = mx.nd.random.uniform(shape=(2,))
    cases["with_relu"] = mx.nd.relu(a)
assigned = mx.nd.zeros((2, 3))
assigned[:] = a * 2
cases["assigned"] = assigned
path = os.path.join(tempfile.mkdtemp(), "x.params")
mx.nd.save(path, {"a": a})
cases["loaded"] = mx.nd.load(path)["a"]

x = mx.nd.array(np.arange(6).reshape(2, 3), ctx=mx.cpu(1))
x.attach_grad()
cases["attached_grad"] = x.grad
with mx.autograd.record():
    y = (x * x).sum() + (x[0] * 2).sum() + mx.nd.broadcast_to(
        x[1:2], (3, 3)).sum()
y.backward()
cases["grad"] = x.grad

s = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=4)
ex = s.simple_bind(ctx=mx.cpu(1), data=(2, 3))
ex.arg_dict["data"][:] = 1
ex.forward(is_train=True)
ex.backward(mx.nd.ones((2, 4), ctx=mx.cpu(1)))
for k, arr in enumerate(ex.arg_arrays):
    cases["bind_arg%d" % k] = arr
for k, arr in enumerate(ex.grad_arrays):
    cases["bind_grad%d" % k] = arr
cases["bind_out"] = ex.outputs[0]

net = mx.gluon.nn.Dense(3, in_units=2)
net.initialize()
path = os.path.join(tempfile.mkdtemp(), "net.params")
net.save_parameters(path)
net = mx.gluon.nn.Dense(3, in_units=2)
net.load_parameters(path, ctx=[mx.cpu(1), mx.cpu(2)])
for k, (data, grad) in enumerate(zip(net.weight.list_data(),
                                     net.weight.list_grad())):
    cases["loaded_param%d" % k], cases["loaded_grad%d" % k] = data, grad
cases["loaded_net_out"] = net(mx.nd.ones((1, 2), ctx=mx.cpu(2)))
net.collect_params().reset_ctx(mx.cpu(3))
cases["reset_param"], cases["reset_grad"] = net.weight.data(), net.weight.grad()

mod = mx.mod.Module(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2,
                                          name="fc"),
                    context=[mx.cpu(1), mx.cpu(2)], label_names=None)
mod.bind(data_shapes=[("data", (4, 3))])
mod.init_params()
mod.forward(mx.io.DataBatch([mx.nd.ones((4, 3))]), is_train=False)
for k, out in enumerate(mod.get_outputs(merge_multi_context=False)[0]):
    cases["module_out%d" % k] = out
cases["module_merged"] = mod.get_outputs()[0]

for name, arr in cases.items():
    outputs["ctx/" + name] = np.array(str(arr.context))
for name in ("a_plus_b", "b_plus_a", "dot", "concat_ba", "where", "grad",
             "copyto_ctx", "assigned", "with_relu"):
    outputs["value/" + name] = cases[name].asnumpy()
outputs["same_object"] = np.array(a.as_in_context(mx.cpu(1)) is a)
outputs["repr_tail"] = np.array(repr(a).splitlines()[-1])
"""


@requires_oracle
def test_contexts_of_ops_creation_copies_and_gradients_match_mxnet():
    got, expected = run_both(CONTEXTS, mx)
    assert sorted(got) == sorted(expected)
    for key in sorted(expected):
        if key.startswith("value/"):
            np.testing.assert_allclose(got[key], expected[key], err_msg=key)
        else:
            assert str(got[key]) == str(expected[key]), key
    # The cases are not all cpu(0): the comparison could fail.
    assert str(got["ctx/relu"]) == "cpu(1)"
    assert str(got["ctx/b_plus_a"]) == "cpu(0)"


# A parameter read on a context it was not initialized on.
REFUSED = """
net = mx.gluon.nn.Dense(3, in_units=2)
net.initialize(ctx=mx.cpu(0))
x = mx.nd.ones((4, 2), ctx=mx.cpu(1))
"""


def _scope(code):
    scope = {"mx": mx, "np": np}
    exec(code, scope)
    return scope


def test_a_block_refuses_input_on_a_context_without_its_parameters():
    scope = _scope(REFUSED)
    with pytest.raises(RuntimeError, match=r"Parameter 'dense\d+_weight' was "
                       r"not initialized on context cpu\(1\). It was only "
                       r"initialized on \[cpu\(0\)\]"):
        scope["net"](scope["x"])


def test_a_hybridized_block_refuses_parameters_on_another_context():
    # MXNet's CachedOp: every input of the graph on the first one's context.
    scope = _scope(REFUSED)
    scope["net"].hybridize()
    with pytest.raises(mx.base.MXNetError, match=r"CachedOp requires all "
                       r"inputs to live on the same context. But data is on "
                       r"cpu\(1\) while dense\d+_weight is on cpu\(0\)"):
        scope["net"](scope["x"])
    # On its own context it runs.
    assert scope["net"](mx.nd.ones((4, 2))).context == mx.cpu(0)


@requires_oracle
def test_mxnet_refuses_the_same_blocks():
    code = REFUSED + """
for hybridize in (False, True):
    if hybridize:
        net.hybridize()
    try:
        net(x).asnumpy()
        outputs["raises/%s" % hybridize] = np.array(False)
    except Exception:
        outputs["raises/%s" % hybridize] = np.array(True)
"""
    got, expected = run_both(code, mx)
    assert all(expected.values()) and all(got.values()), (got, expected)


def test_a_gpu_context_is_refused():
    a = mx.nd.ones((2,), ctx=mx.cpu(1))
    for call, name in [(lambda: mx.nd.ones((2,), ctx=mx.gpu(0)), "ones"),
                       (lambda: a.copyto(mx.gpu(0)), "copyto"),
                       (lambda: a.as_in_context(mx.gpu(1)), "as_in_context"),
                       (lambda: mx.nd.random.uniform(shape=(2,),
                                                     ctx=mx.gpu(0)),
                        "uniform")]:
        with pytest.raises(mx.base.MXNetError,
                           match=r"%s: ctx gpu\(\d\) is not available" % name):
            call()


def _train_step(ctxs, batch, labels, hybridize):
    """One SGD step of a small Dense net (the same start on every context)
    over the batch split across `ctxs`; the parameters after it, by name
    and context."""
    net = mx.gluon.nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(5, in_units=4, activation="relu",
                                  prefix="fc1_"))
        net.add(mx.gluon.nn.Dense(3, in_units=5, prefix="fc2_"))
    net.initialize(ctx=ctxs)
    params = net.collect_params()
    rng = np.random.default_rng(3)
    for name in sorted(params.keys()):
        params[name].set_data(mx.nd.array(
            rng.standard_normal(params[name].shape) * 0.5))
    if hybridize:
        net.hybridize()
    trainer = mx.gluon.Trainer(params, "sgd", {"learning_rate": 0.5,
                                               "momentum": 0.9})
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    xs = mx.gluon.utils.split_and_load(batch, ctxs)
    ys = mx.gluon.utils.split_and_load(labels, ctxs)
    assert [x.context for x in xs] == ctxs
    with mx.autograd.record():
        losses = [loss_fn(net(x), y) for x, y in zip(xs, ys)]
    mx.autograd.backward(losses)
    for ctx in ctxs:
        for name in params.keys():
            assert params[name].grad(ctx).context == ctx
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no stale gradient on any context
        trainer.step(batch.shape[0])
    return {(name, str(ctx)): params[name].data(ctx).asnumpy()
            for name in sorted(params.keys()) for ctx in ctxs}


@pytest.mark.parametrize("hybridize", [False, True])
def test_two_context_training_step_equals_the_one_context_step(hybridize):
    rng = np.random.default_rng(5)
    batch = rng.standard_normal((6, 4)).astype(np.float32)
    labels = rng.integers(0, 3, 6).astype(np.float32)
    one = _train_step([mx.cpu(0)], batch, labels, hybridize)
    two = _train_step([mx.cpu(0), mx.cpu(1)], batch, labels, hybridize)
    for (name, ctx), value in two.items():
        np.testing.assert_allclose(value, one[(name, "cpu(0)")], rtol=1e-5,
                                   atol=1e-6, err_msg="%s on %s" % (name, ctx))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"),
                    reason="counts threads through Linux's /proc")
def test_cpu_ids_share_one_pool_of_engine_workers():
    def threads():
        return len(os.listdir("/proc/self/task"))

    def work(ctx):
        # Large enough to be pushed to the engine rather than run inline.
        x = mx.nd.ones((256, 256), ctx=ctx)
        y = mx.nd.dot(x, x) + 1
        z = mx.nd.ones((1 << 17,), ctx=ctx) * 2
        return y.sum().asscalar(), z.copyto(mx.cpu(7)).sum().asscalar()

    for _ in range(3):  # helpers some kernels start lazily start here
        expected = work(mx.cpu(0))
    mx.nd.waitall()
    before = threads()
    ids = range(1, 5)
    for device_id in ids:
        assert work(mx.cpu(device_id)) == expected
    mx.nd.waitall()
    # A pool per id would add at least one worker for each new id.
    assert threads() - before < len(ids)
