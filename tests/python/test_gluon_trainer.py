"""gluon.Trainer against Apache MXNet 1.9.1: a small Dense network trained
a few steps from the same parameters on the same batches (SGD with momentum,
Adam, an Optimizer object, lr_mult / wd_mult, a learning-rate scheduler,
set_learning_rate, grad_req 'null', allreduce_grads + update, several
contexts with and without a store) ends with MXNet's parameters; the states
file moves between kiln and MXNet both ways; stale gradients and bad
arguments raise what MXNet raises."""
import numpy as np
import pytest

import kiln as mx
import kiln.gluon.loss  # noqa: F401 (attach the submodules, as
import kiln.gluon.nn  # noqa: F401 mx.gluon's __init__ will)
import kiln.gluon.trainer  # noqa: F401
import kiln.lr_scheduler  # noqa: F401
import kiln.optimizer  # noqa: F401
from mxnet_oracle import compare_outputs, requires_oracle, run_both, run_mxnet



RNG = np.random.default_rng(15)
STEPS = 4
# Sorted parameter names of NET (net_fc1_bias, net_fc1_weight, net_fc2_bias,
# net_fc2_weight) and their shapes.
PARAM_SHAPES = [(6,), (6, 5), (3,), (3, 6)]
INPUTS = {"p%d" % k: (RNG.standard_normal(shape) * 0.5).astype(np.float32)
          for k, shape in enumerate(PARAM_SHAPES)}
INPUTS.update({"x%d" % s: RNG.standard_normal((4, 5)).astype(np.float32)
               for s in range(STEPS)})
INPUTS.update({"y%d" % s: RNG.integers(0, 3, 4).astype(np.float32)
               for s in range(STEPS)})

# Runs under kiln and MXNet alike: builds the net from the given parameters
# and trains it; `train` records the learning rate after every step and the
# parameters at the end under outputs[tag/...].
NET = "STEPS = %d\n" % STEPS + """
nn = mx.gluon.nn

def make_net(ctx=None, hybridize=False):
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(nn.Dense(6, in_units=5, activation="relu", prefix="fc1_"))
        net.add(nn.Dense(3, in_units=6, prefix="fc2_"))
    net.initialize(ctx=ctx)
    params = net.collect_params()
    for k, name in enumerate(sorted(params.keys())):
        params[name].set_data(mx.nd.array(inputs["p%d" % k]))
    if hybridize:
        net.hybridize()
    return net

loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()

def backward(net, step, ctxs=None):
    x, y = mx.nd.array(inputs["x%d" % step]), mx.nd.array(inputs["y%d" % step])
    if ctxs is None:
        with mx.autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        return
    half = x.shape[0] // len(ctxs)
    parts = [(x[k * half:(k + 1) * half].as_in_context(c),
              y[k * half:(k + 1) * half].as_in_context(c))
             for k, c in enumerate(ctxs)]
    with mx.autograd.record():
        losses = [loss_fn(net(xs), ys) for xs, ys in parts]
    mx.autograd.backward(losses)

def record_params(tag, net, ctx=None):
    for name, param in sorted(net.collect_params().items()):
        outputs[tag + "/" + name] = param.data(ctx).asnumpy()

def train(tag, trainer_args, steps=range(STEPS), ctxs=None, hybridize=False,
          before=None, each=None, net=None):
    net = net or make_net(ctxs, hybridize)
    trainer = mx.gluon.trainer.Trainer(net.collect_params(), *trainer_args[:2],
                               **trainer_args[2] if len(trainer_args) > 2 else {})
    if before:
        before(net, trainer)
    for step in steps:
        backward(net, step, ctxs)
        if each:
            each(net, trainer, step)
        else:
            trainer.step(4)
        outputs[tag + "/lr%d" % step] = np.array(trainer.learning_rate)
    record_params(tag, net)
    if ctxs:
        for c in ctxs[1:]:
            record_params(tag + "/" + str(c), net, c)
    return net, trainer
"""

TRAINING = NET + """
sgd = ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3})
adam = ("adam", {"learning_rate": 0.01})
train("sgd_momentum", sgd)
train("adam", adam)
train("adam_hybridized", adam, hybridize=True)
train("nag_clip", ("nag", {"learning_rate": 0.1, "momentum": 0.5,
                           "clip_gradient": 0.05}))
train("optimizer_object", (mx.optimizer.Adam(learning_rate=0.02, wd=0.01),))
train("rescale", ("sgd", {"learning_rate": 0.1, "rescale_grad": 0.5}))

def set_mults(net, trainer):
    params = net.collect_params()
    params["net_fc1_weight"].lr_mult = 0.5
    params["net_fc2_weight"].wd_mult = 3.0
    params["net_fc1_bias"].lr_mult = 0.0
train("mults", ("sgd", {"learning_rate": 0.1, "wd": 0.01, "momentum": 0.5}),
      before=set_mults)

net = make_net()
net.collect_params()["net_fc2_bias"].grad_req = "null"
train("grad_req_null", sgd, net=net)

def scheduled():
    return ("sgd", {"lr_scheduler": mx.lr_scheduler.FactorScheduler(
        step=2, factor=0.5, base_lr=0.2), "momentum": 0.9})
train("scheduler", scheduled())

def change_lr(net, trainer, step):
    trainer.step(4)
    if step == 1:
        trainer.set_learning_rate(0.05)
train("set_learning_rate", sgd, each=change_lr)

def clip_between(net, trainer, step):
    trainer.allreduce_grads()
    for p in net.collect_params().values():
        for g in p.list_grad():
            g[:] = mx.nd.clip(g, -0.1, 0.1)
    trainer.update(2)
train("allreduce_update", sgd, each=clip_between)
"""

# Several contexts: (tag, trainer arguments). 'device' and 'local' update on
# the store; update_on_kvstore=False sums on the store and updates on each
# context; kvstore=None updates each context from its own gradient.
MULTI_CONFIGS = """[
    ("device_store", ("adam", {"learning_rate": 0.01})),
    ("local_store_sgd", ("sgd", {"learning_rate": 0.1, "momentum": 0.9},
                         {"kvstore": "local"})),
    ("local_no_store_update", ("adam", {"learning_rate": 0.01},
                               {"kvstore": "local", "update_on_kvstore": False})),
    ("no_kvstore", ("adam", {"learning_rate": 0.01}, {"kvstore": None})),
]"""

# The gradients are written by hand on each context (and marked fresh, as
# backward would), so only the Trainer is under test.
MULTI = NET + """
ctxs = [mx.cpu(0), mx.cpu(1)]
for tag, args in %s:
    net = make_net(ctxs)
    trainer = mx.gluon.trainer.Trainer(net.collect_params(), *args[:2],
                                       **(args[2] if len(args) > 2 else {}))
    for step in range(3):
        for k, (name, p) in enumerate(sorted(net.collect_params().items())):
            for c, (w, g) in enumerate(zip(p.list_data(), p.list_grad())):
                g[:] = mx.nd.array(np.cos(np.arange(g.size) * (k + 1) + 3 * step
                                          + c).reshape(g.shape))
                w._fresh_grad = True
        trainer.step(2)
    record_params(tag, net)
    record_params(tag + "/cpu(1)", net, mx.cpu(1))
    outputs[tag + "/grad_cpu(1)"] = net.collect_params()[
        "net_fc1_weight"].grad(mx.cpu(1)).asnumpy()
""" % MULTI_CONFIGS

# The same, with each context's gradient from its half of the batch.
MULTI_FORWARD = NET + """
for tag, args in %s:
    train(tag, args, ctxs=[mx.cpu(0), mx.cpu(1)])
""" % MULTI_CONFIGS


@requires_oracle
def test_training_steps_match_mxnet():
    got, expected = run_both(TRAINING, mx, **INPUTS)
    compare_outputs(got, expected, rtol=1e-4, atol=1e-6)


@requires_oracle
def test_several_contexts_with_and_without_a_store_match_mxnet():
    got, expected = run_both(MULTI, mx, **INPUTS)
    compare_outputs(got, expected, rtol=1e-4, atol=1e-6)
    # With a store the contexts agree; without one they differ.
    assert np.array_equal(got["device_store/net_fc1_weight"],
                          got["device_store/cpu(1)/net_fc1_weight"])
    assert not np.allclose(got["no_kvstore/net_fc1_weight"],
                           got["no_kvstore/cpu(1)/net_fc1_weight"])


@requires_oracle
def test_several_contexts_trained_through_forward_match_mxnet():
    got, expected = run_both(MULTI_FORWARD, mx, **INPUTS)
    compare_outputs(got, expected, rtol=1e-4, atol=1e-6)


# Two steps, then the states file: run_mxnet / run_both with "states" in
# the inputs load it into a fresh Trainer and take the next two steps.
SAVE = NET + """
import os, tempfile
path = os.path.join(tempfile.mkdtemp(), "trainer.states")
for tag, args in [("sgd", ("sgd", {"learning_rate": 0.1, "momentum": 0.9})),
                  ("adam", ("adam", {"learning_rate": 0.01, "wd": 0.001}))]:
    net, trainer = train(tag, args, steps=range(2))
    trainer.save_states(path)
    with open(path, "rb") as f:
        outputs[tag + "/states"] = np.frombuffer(f.read(), np.uint8)
"""

LOAD = NET + """
import os, tempfile
path = os.path.join(tempfile.mkdtemp(), "trainer.states")
for tag, args in [("sgd", ("sgd", {"learning_rate": 0.5})),
                  ("adam", ("adam", {"learning_rate": 0.5}))]:
    with open(path, "wb") as f:
        f.write(inputs[tag + "/states"].tobytes())
    net = make_net()
    for k, name in enumerate(sorted(net.collect_params().keys())):
        net.collect_params()[name].set_data(mx.nd.array(inputs[tag + "/" + name]))
    def load(net, trainer):
        trainer.load_states(path)
        outputs[tag + "/loaded_lr"] = np.array(trainer.learning_rate)
        outputs[tag + "/loaded_type"] = np.array(type(trainer.optimizer).__name__)
    train(tag, args, steps=range(2, 4), net=net, before=load)
"""


def _train_and_save_in_kiln():
    scope = {"mx": mx, "np": np, "inputs": dict(INPUTS), "outputs": {}}
    exec(SAVE, scope)
    return scope["outputs"]


def _continue_in_both(saved):
    inputs = dict(INPUTS)
    inputs.update({k: v for k, v in saved.items() if "/lr" not in k})
    got, expected = run_both(LOAD, mx, **inputs)
    for key in [k for k in expected if k.endswith("_type")]:
        assert str(got.pop(key)) == str(expected.pop(key)), key
    compare_outputs(got, expected, rtol=1e-4, atol=1e-6)
    return got


@requires_oracle
def test_states_saved_by_kiln_load_in_mxnet():
    saved = _train_and_save_in_kiln()
    got = _continue_in_both(saved)
    # The loaded optimizer replaced the one given (learning_rate 0.5).
    assert float(got["sgd/loaded_lr"]) == pytest.approx(0.1)


@requires_oracle
def test_states_saved_by_mxnet_load_in_kiln():
    saved = run_mxnet(SAVE, **INPUTS)
    # Uninterrupted training in kiln ends where save-and-resume does.
    scope = {"mx": mx, "np": np, "inputs": dict(INPUTS), "outputs": {}}
    exec(NET + 'train("sgd", ("sgd", {"learning_rate": 0.1, "momentum": 0.9}))',
         scope)
    resumed = _continue_in_both(saved)
    for name in ("net_fc1_weight", "net_fc2_bias"):
        np.testing.assert_allclose(resumed["sgd/" + name],
                                   scope["outputs"]["sgd/" + name], rtol=1e-5)


STALE = NET + """
def attempt(tag, f):
    try:
        f()
        outputs[tag] = np.array("accepted")
    except Exception as error:
        outputs[tag] = np.array("%s: %s" % (type(error).__name__, error))

net = make_net()
trainer = mx.gluon.trainer.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
backward(net, 0)
trainer.step(4)
attempt("again", lambda: trainer.step(4))         # nothing fresh
record_params("after_refusal", net)
# Only the first layer takes part: the second's gradients are stale.
x = mx.nd.array(inputs["x1"])
with mx.autograd.record():
    out = net[0](x).sum()
out.backward()
attempt("partial", lambda: trainer.step(4))
record_params("after_partial_refusal", net)
attempt("ignored", lambda: trainer.step(4, ignore_stale_grad=True))
record_params("after_ignore", net)
"""


@requires_oracle
def test_stale_gradients_raise_as_in_mxnet():
    got, expected = run_both(STALE, mx, **INPUTS)
    for key in ("again", "partial", "ignored"):
        assert str(got.pop(key)) == str(expected.pop(key)), key
    compare_outputs(got, expected, rtol=1e-5, atol=1e-6)


ERRORS = NET + """
net = make_net()
params = net.collect_params()
cases = {
    "unknown_optimizer": lambda: mx.gluon.trainer.Trainer(params, "nosuch"),
    "object_and_params": lambda: mx.gluon.trainer.Trainer(
        params, mx.optimizer.SGD(), {"learning_rate": 0.1}),
    "not_params": lambda: mx.gluon.trainer.Trainer(3, "sgd"),
    "list_of_non_params": lambda: mx.gluon.trainer.Trainer([params["net_fc1_bias"], 3], "sgd"),
    "set_lr_with_scheduler": lambda: mx.gluon.trainer.Trainer(params, "sgd", {
        "lr_scheduler": mx.lr_scheduler.FactorScheduler(step=2)}
        ).set_learning_rate(0.1),
    "allreduce_on_store": lambda: mx.gluon.trainer.Trainer(
        make_net([mx.cpu(0), mx.cpu(1)]).collect_params(), "sgd").allreduce_grads(),
    "update_on_store": lambda: mx.gluon.trainer.Trainer(
        make_net([mx.cpu(0), mx.cpu(1)]).collect_params(), "sgd").update(4),
}
for name, case in sorted(cases.items()):
    try:
        case()
        outputs[name] = np.array("accepted")
    except Exception as error:
        outputs[name] = np.array(type(error).__name__)
"""


@requires_oracle
def test_bad_arguments_raise_what_mxnet_raises():
    got, expected = run_both(ERRORS, mx, **INPUTS)
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert str(expected[key]) != "accepted", key
        assert str(got[key]) == str(expected[key]), (key, str(got[key]),
                                                     str(expected[key]))


def _make_net():
    scope = {"mx": mx, "np": np, "inputs": dict(INPUTS), "outputs": {}}
    exec(NET, scope)
    return scope


def test_error_messages_name_the_problem():
    scope = _make_net()
    params = scope["make_net"]().collect_params()
    with pytest.raises(ValueError, match="Cannot find optimizer nosuch"):
        mx.gluon.trainer.Trainer(params, "nosuch")
    with pytest.raises(ValueError, match="list or dict of Parameters, got <class 'int'>"):
        mx.gluon.trainer.Trainer(3, "sgd")
    trainer = mx.gluon.trainer.Trainer(params, "sgd", kvstore="dist_sync")
    with pytest.raises(mx.MXNetError, match="dist_sync.*no distributed KVStore"):
        trainer.step(1)
    trainer = mx.gluon.trainer.Trainer(params, "sgd", update_on_kvstore=True)
    with pytest.raises(ValueError, match="update_on_kvstore=True needs a KVStore"):
        trainer.step(1)
    # MXNet's 'local' store takes no gradient compression (a plain
    # Exception, as MXNet's); 'device' does (tests/python/test_kvstore.py).
    trainer = mx.gluon.trainer.Trainer(scope["make_net"]([mx.cpu(0), mx.cpu(1)]).collect_params(),
                               "sgd", kvstore="local",
                               compression_params={"type": "2bit"})
    with pytest.raises(Exception, match="Gradient compression is not "
                       "supported for this type of kvstore"):
        trainer.step(1)


def test_stale_gradient_message_names_parameter_and_context():
    scope = _make_net()
    params = scope["make_net"]().collect_params()
    scope["backward"](scope["make_net"](), 0)  # another net's backward
    trainer = mx.gluon.trainer.Trainer(params, "sgd")
    with pytest.raises(UserWarning, match="Parameter `net_fc1_bias` on context "
                       r"cpu\(0\) has not been updated by backward"):
        trainer.step(4)
    before = params["net_fc1_bias"].data().asnumpy()
    trainer.step(4, ignore_stale_grad=True)  # skips them all
    np.testing.assert_array_equal(params["net_fc1_bias"].data().asnumpy(), before)


def test_properties_and_param_dict():
    scope = _make_net()
    net = scope["make_net"]()
    params = net.collect_params()
    trainer = mx.gluon.trainer.Trainer(params, "adam", {"learning_rate": 0.3})
    assert isinstance(trainer.optimizer, mx.optimizer.Adam)
    assert trainer.learning_rate == pytest.approx(0.3)
    trainer.set_learning_rate(0.2)
    assert trainer.optimizer.lr == pytest.approx(0.2)
    # Indices follow the sorted names; the Parameters themselves carry the
    # multipliers, so later changes apply.
    assert [p.name for _, p in sorted(trainer.optimizer.param_dict.items())] == \
        sorted(params.keys())
    params["net_fc2_weight"].lr_mult = 0.25
    assert trainer.optimizer._get_lr(3) == pytest.approx(0.05)
    sgd = mx.optimizer.SGD(learning_rate=0.1)
    assert mx.gluon.trainer.Trainer([params["net_fc1_bias"]], sgd).optimizer is sgd
    assert sgd.param_dict == {0: params["net_fc1_bias"]}


def test_sparse_grad_embedding_trains_with_update_on_kvstore_on_one_context():
    # MXNet's Trainer ignores update_on_kvstore=True on one context when a
    # parameter asks for a sparse gradient (its sparse-gradient branch
    # makes no store there) and trains; kiln raised "needs a KVStore". A
    # dense model keeps the error (MXNet fails with an AttributeError).
    code = """
net = mx.gluon.nn.Embedding(10, 4, sparse_grad=True)
net.initialize(mx.init.Constant(0.5))
trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                           {"learning_rate": 0.1}, kvstore="device",
                           update_on_kvstore=True)
for _ in range(2):
    with mx.autograd.record():
        loss = (net(mx.nd.array([1, 2, 2])) ** 2).sum()
    loss.backward()
    trainer.step(1)
outputs["weight"] = net.weight.data().asnumpy()
"""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kiln's dense-gradient warning
        got, expected = run_both(code, mx)
    compare_outputs(got, expected)
    assert not np.allclose(got["weight"][1:3], 0.5)  # trained
    np.testing.assert_allclose(got["weight"][0], 0.5)  # untouched row
