"""mx.mod.Module against MXNet 1.9.1: an MLP and a small CNN
(Convolution/BatchNorm/Pooling/FullyConnected/SoftmaxOutput) trained with
fit and by hand from the same initial parameters with SGD + momentum
(parameters, moving statistics, predictions, scores and input gradients
equal), several contexts with and without a kvstore, predict's variants,
checkpoints with optimizer states crossing between the two frameworks, and
the errors of calls out of order or of bad shapes and names.

The snippets run under both frameworks: `mx` is MXNet there and, here, a
view of kiln whose `sym`/`mod` are kiln.symbol/kiln.module (kiln's
__init__ may not import them yet).
"""
import logging

import numpy as np
import pytest

import kiln as mx
import kiln.callback  # noqa: F401  (attach the submodules to the package)
import kiln.initializer  # noqa: F401
import kiln.io  # noqa: F401
import kiln.metric  # noqa: F401
import kiln.model  # noqa: F401
import kiln.module  # noqa: F401
import kiln.optimizer  # noqa: F401
import kiln.symbol  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import compare_outputs, requires_oracle, run_both, run_mxnet

# fit after set_params warns that the parameters are initialized already,
# as MXNet's does.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Parameters already initialized")


class _KilnAsMx(object):
    """kiln, with mx.sym and mx.mod spelt as MXNet programs spell them."""
    _ALIASES = {"sym": "symbol", "mod": "module"}

    def __getattr__(self, name):
        return getattr(mx, self._ALIASES.get(name, name))


KMX = _KilnAsMx()

# Networks and data shared by the snippets. Parameters are drawn with
# numpy in the snippet (the same values in both frameworks) and given with
# set_params.
NETS = """
S = mx.sym

def mlp():
    h = S.Activation(S.FullyConnected(S.var("data"), num_hidden=16,
                                      name="fc1"), act_type="relu")
    return S.SoftmaxOutput(S.FullyConnected(h, num_hidden=3, name="fc2"),
                           name="softmax")

def cnn():
    c = S.Convolution(S.var("data"), kernel=(3, 3), num_filter=4,
                      pad=(1, 1), name="conv")
    b = S.BatchNorm(c, fix_gamma=False, name="bn")
    p = S.Pooling(S.Activation(b, act_type="relu"), kernel=(2, 2),
                  stride=(2, 2), pool_type="max")
    return S.SoftmaxOutput(S.FullyConnected(p, num_hidden=3, name="fc"),
                           name="softmax")

NETWORKS = {"mlp": mlp, "cnn": cnn}

def initial_params(mod, seed=7):
    rng = np.random.RandomState(seed)
    arg = {name: mx.nd.array(rng.uniform(-0.4, 0.4, block[0].shape)
                             .astype(np.float32))
           for name, block in zip(mod._param_names,
                                  mod._exec_group.param_arrays)}
    aux = {name: mx.nd.array(rng.uniform(0.5, 1.0, block[0].shape)
                             .astype(np.float32))
           for name, block in zip(mod._aux_names,
                                  mod._exec_group.aux_arrays)}
    return arg, aux

def record_params(mod, tag):
    arg, aux = mod.get_params()
    for name, value in list(arg.items()) + list(aux.items()):
        outputs[tag + "/" + name] = value.asnumpy()
"""


def _blobs(count, shape, seed=0):
    """Three separable classes: class k has mean +2 on a third of the
    features (data float32, labels float32 0..2)."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 3, count)
    data = rng.randn(count, *shape).astype(np.float32) * 0.5
    flat = data.reshape(count, -1)
    third = flat.shape[1] // 3
    for k in range(3):
        flat[labels == k, k * third:(k + 1) * third] += 2.0
    return data, labels.astype(np.float32)


SHAPES = {"mlp": (12,), "cnn": (1, 6, 6)}


@requires_oracle
@pytest.mark.parametrize("net", ["mlp", "cnn"])
def test_training_matches_mxnet(net):
    x, y = _blobs(40, SHAPES[net])
    code = NETS + """
net = NETWORKS[str(inputs["net"])]()
train = mx.io.NDArrayIter(inputs["x"], inputs["y"], batch_size=8)
mod = mx.mod.Module(net)
mod.bind(train.provide_data, train.provide_label)
arg, aux = initial_params(mod)
mod.set_params(arg, aux)
mod.fit(train, num_epoch=2, optimizer="sgd",
        optimizer_params={"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3})
record_params(mod, "fit")
outputs["predict"] = mod.predict(train).asnumpy()
outputs["score"] = np.array([value for _, value in
                             mod.score(train, ["acc", "ce"])])
outputs["output_shape"] = np.array(mod.output_shapes[0][1])
# Bound again with data gradients: the parameters and the momentum carry
# over; three more steps by hand.
mod.bind(train.provide_data, train.provide_label, inputs_need_grad=True,
         force_rebind=True)
train.reset()
for step, batch in enumerate(train):
    if step == 3:
        break
    mod.forward(batch, is_train=True)
    mod.backward()
    outputs["input_grad%d" % step] = mod.get_input_grads()[0].asnumpy()
    mod.update()
    outputs["out%d" % step] = mod.get_outputs()[0].asnumpy()
record_params(mod, "steps")
"""
    got, want = run_both(code, KMX, x=x, y=y, net=np.array(net))
    compare_outputs(got, want, rtol=1e-4, atol=1e-5)
    assert got["score"][0] > 0.8  # the classes are separable


def test_fit_learns_and_reports(caplog):
    x, y = _blobs(96, (12,), seed=1)
    vx, vy = _blobs(48, (12,), seed=2)
    train = mx.io.NDArrayIter(x, y, batch_size=16, shuffle=True)
    val = mx.io.NDArrayIter(vx, vy, batch_size=16)
    net = kiln.symbol.SoftmaxOutput(kiln.symbol.FullyConnected(
        kiln.symbol.var("data"), num_hidden=3, name="fc"), name="softmax")
    mod = kiln.module.Module(net)
    batches, epochs, evals = [], [], []
    with caplog.at_level(logging.INFO):
        mod.fit(train, eval_data=val, num_epoch=4,
                optimizer_params={"learning_rate": 0.5},
                initializer=mx.init.Xavier(),
                batch_end_callback=lambda p: batches.append(
                    (p.epoch, p.nbatch, p.locals["data_batch"].data[0].shape)),
                epoch_end_callback=lambda *a: epochs.append(a),
                eval_end_callback=lambda p: evals.append(p.nbatch))
    assert batches[:2] == [(0, 0, (16, 12)), (0, 1, (16, 12))]
    assert len(batches) == 4 * 6
    assert [e[0] for e in epochs] == [0, 1, 2, 3]
    assert epochs[0][1] is net and "fc_weight" in epochs[0][2]
    assert evals == [3, 3, 3, 3]
    text = caplog.text
    assert "Epoch[3] Train-accuracy=" in text
    assert "Epoch[0] Time cost=" in text
    assert "Epoch[3] Validation-accuracy=" in text
    (name, accuracy), = mod.score(val, "acc")
    assert name == "accuracy" and accuracy > 0.95


def test_cnn_fit_learns():
    x, y = _blobs(64, (1, 6, 6), seed=3)
    train = mx.io.NDArrayIter(x, y, batch_size=16)
    S = kiln.symbol
    conv = S.Convolution(S.var("data"), kernel=(3, 3), num_filter=4,
                         pad=(1, 1), name="conv")
    pool = S.Pooling(S.Activation(S.BatchNorm(conv, name="bn"),
                                  act_type="relu"),
                     kernel=(2, 2), stride=(2, 2), pool_type="avg")
    net = S.SoftmaxOutput(S.FullyConnected(pool, num_hidden=3, name="fc"),
                          name="softmax")
    mod = kiln.module.Module(net)
    mod.fit(train, num_epoch=4, initializer=mx.init.Xavier(),
            optimizer_params={"learning_rate": 0.2, "momentum": 0.9})
    assert mod.score(train, "acc")[0][1] > 0.9
    # The moving statistics moved off their initial 0 / 1.
    aux = mod.get_params()[1]
    assert sorted(aux) == ["bn_moving_mean", "bn_moving_var"]
    assert np.abs(aux["bn_moving_mean"].asnumpy()).max() > 1e-3


@requires_oracle
def test_several_contexts_match_mxnet():
    x, y = _blobs(30, (12,), seed=4)
    code = NETS + """
for kv in ["local", None]:
    mod = mx.mod.Module(mlp(), context=[mx.cpu(0), mx.cpu(1)],
                        work_load_list=[1, 2])
    train = mx.io.NDArrayIter(inputs["x"], inputs["y"], batch_size=10)
    mod.bind(train.provide_data, train.provide_label)
    mod.set_params(*initial_params(mod))
    mod.fit(train, num_epoch=2, kvstore=kv, optimizer="sgd",
            optimizer_params={"learning_rate": 0.3, "momentum": 0.9})
    record_params(mod, str(kv))
    outputs["%s/predict" % kv] = mod.predict(train).asnumpy()
    outputs["%s/idx" % kv] = np.array(sorted(mod._optimizer.idx2name))
    outputs["%s/slices" % kv] = np.array(
        [[s.start, s.stop] for s in mod._exec_group.slices])
    split = mod.get_outputs(merge_multi_context=False)[0]
    outputs["%s/split" % kv] = np.array([o.shape[0] for o in split])
"""
    got, want = run_both(code, KMX, x=x, y=y)
    compare_outputs(got, want, rtol=1e-4, atol=1e-5)


@requires_oracle
def test_predict_reshape_and_grad_req_match_mxnet():
    x, y = _blobs(10, (12,), seed=5)
    code = NETS + """
net = mlp()
it = mx.io.NDArrayIter(inputs["x"], inputs["y"], batch_size=4,
                       last_batch_handle="pad")
mod = mx.mod.Module(net)
mod.bind(it.provide_data, it.provide_label, for_training=False)
mod.set_params(*initial_params(mod))
outputs["merged"] = mod.predict(it).asnumpy()
parts = mod.predict(it, merge_batches=False)
outputs["parts"] = np.array([[len(p), p[0].shape[0]] for p in parts])
outputs["listed"] = np.array(len(mod.predict(it, always_output_list=True)))
outputs["two_batches"] = mod.predict(it, num_batch=2).asnumpy()
outputs["iter"] = np.concatenate([o[0].asnumpy() for o, i, b in
                                  mod.iter_predict(it)])
outputs["numpy"] = mod.predict(inputs["x"][:4]).asnumpy()
outputs["score"] = np.array(mod.score(it, "acc")[0][1])
# A batch of another size reshapes the executors.
mod.forward(mx.io.DataBatch([mx.nd.array(inputs["x"][:3])],
                           [mx.nd.array(inputs["y"][:3])]))
outputs["reshaped"] = mod.get_outputs()[0].asnumpy()
outputs["data_shape"] = np.array(mod.data_shapes[0].shape)
mod.reshape([("data", (5, 12))], [("softmax_label", (5,))])
outputs["reshape_out"] = np.array(mod.output_shapes[0][1])

# Two outputs (a Group): predict gives a list.
both = mx.sym.Group([net, mx.sym.BlockGrad(net.get_internals()["fc1_output"])])
mod2 = mx.mod.Module(both)
mod2.bind(it.provide_data, it.provide_label, for_training=False)
mod2.set_params(*initial_params(mod2))
merged = mod2.predict(it)
outputs["group0"] = merged[0].asnumpy()
outputs["group1"] = merged[1].asnumpy()
outputs["group_names"] = np.array([name.endswith("_output")
                                   for name in mod2.output_names])

# fixed_param_names, and grad_req='add' accumulating two backwards.
batch = mx.io.DataBatch([mx.nd.array(inputs["x"][:4])],
                        [mx.nd.array(inputs["y"][:4])])
# (A fixed bias: with a FullyConnected weight fixed, MXNet's oneDNN
# backward also drops the bias gradient, which its reference path keeps.)
fixed = mx.mod.Module(net, fixed_param_names=["fc1_bias"])
fixed.bind([("data", (4, 12))], [("softmax_label", (4,))])
fixed.set_params(*initial_params(fixed))
fixed.init_optimizer(optimizer_params={"learning_rate": 0.5})
fixed.forward_backward(batch)
fixed.update()
record_params(fixed, "fixed")
adder = mx.mod.Module(net)
adder.bind([("data", (4, 12))], [("softmax_label", (4,))], grad_req="add")
adder.set_params(*initial_params(adder))
for _ in range(2):
    adder.forward_backward(batch)
grads = adder._exec_group.grad_arrays
outputs["added"] = grads[0][0].asnumpy()
codes = {"null": 0, "write": 1, "add": 2}
outputs["reqs"] = np.array([codes[req] for _, req in
                            sorted(adder._exec_group.grad_req.items())])
"""
    got, want = run_both(code, KMX, x=x, y=y)
    compare_outputs(got, want, rtol=1e-4, atol=1e-5)
    assert got["merged"].shape == (10, 3)


@requires_oracle
def test_checkpoints_cross_frameworks(tmp_path):
    """kiln's checkpoint (with optimizer states) resumes in MXNet and
    MXNet's in kiln, to the same parameters."""
    x, y = _blobs(32, (1, 6, 6), seed=6)
    resume = """
def resume(prefix, tag):
    mod = mx.mod.Module.load(prefix, 1, load_optimizer_states=True)
    it = mx.io.NDArrayIter(inputs["x"], inputs["y"], batch_size=8)
    mod.bind(it.provide_data, it.provide_label)
    outputs[tag + "/predict"] = mod.predict(it).asnumpy()
    it.reset()
    mod.fit(it, num_epoch=2, begin_epoch=1,
            optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
    record_params(mod, tag)
"""
    start = NETS + resume + """
it = mx.io.NDArrayIter(inputs["x"], inputs["y"], batch_size=8)
mod = mx.mod.Module(cnn())
mod.bind(it.provide_data, it.provide_label)
mod.set_params(*initial_params(mod))
mod.fit(it, num_epoch=1,
        optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
mod.save_checkpoint(PREFIX, 1, save_optimizer_states=True)
"""
    kiln_prefix = str(tmp_path / "kiln")
    mx_prefix = str(tmp_path / "mx")
    scope = {"mx": KMX, "np": np, "outputs": {},
             "inputs": {"x": x, "y": y}}
    exec(start.replace("PREFIX", repr(kiln_prefix)), scope)  # noqa: S102
    want = run_mxnet(start.replace("PREFIX", repr(mx_prefix)) + """
resume(%r, "other")   # kiln's checkpoint, in MXNet
resume(%r, "own")
""" % (kiln_prefix, mx_prefix), x=x, y=y)
    scope["outputs"] = {}
    exec(NETS + resume + """
resume(%r, "other")   # MXNet's checkpoint, in kiln
resume(%r, "own")
""" % (mx_prefix, kiln_prefix), scope)  # noqa: S102
    got = scope["outputs"]
    compare_outputs(got, want, rtol=1e-4, atol=1e-5)


# Each case: a name and code that should raise; the snippet records the
# class name of what each raised (or 'none').
BAD_INPUT = NETS + """
import os, warnings
net = mlp()
batch = mx.io.DataBatch([mx.nd.ones((4, 12))], [mx.nd.zeros((4,))])
data, label = [("data", (4, 12))], [("softmax_label", (4,))]

def bound(**kw):
    mod = mx.mod.Module(net)
    mod.bind(data, label, **kw)
    return mod

def ready(**kw):
    mod = bound(**kw)
    mod.init_params()
    return mod

def undefined_label():
    fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc")
    loss = mx.sym.MakeLoss(mx.sym.sum(mx.sym.broadcast_mul(
        fc, mx.sym.var("target"))))
    mod = mx.mod.Module(loss, label_names=["target"])
    mod.bind(data)

def bad_params_file():
    mod = ready()
    fname = os.path.join(inputs["folder"].item(), "bad.params")
    mx.nd.save(fname, {"foo:fc1_weight": mx.nd.ones((1,))})
    mod.load_params(fname)

cases = {
    "forward_before_bind": lambda: mx.mod.Module(net).forward(batch),
    "init_params_before_bind": lambda: mx.mod.Module(net).init_params(),
    "init_optimizer_before_init_params": lambda: bound().init_optimizer(),
    "update_before_init_optimizer": lambda: ready().update(),
    "unknown_data_name": lambda: mx.mod.Module(net, data_names=["x"]),
    "unknown_fixed_param": lambda: mx.mod.Module(
        net, fixed_param_names=["nope"]),
    "bind_wrong_data_name": lambda: mx.mod.Module(net).bind([("x", (4, 12))]),
    "label_batch_mismatch": lambda: mx.mod.Module(net).bind(
        data, [("softmax_label", (3,))]),
    "set_params_missing": lambda: bound().set_params({}, {}),
    "set_params_extra": lambda: ready().set_params(
        {"extra": mx.nd.ones((1,))}, {}, allow_missing=True),
    "input_grads_not_requested": lambda: ready().get_input_grads(),
    "backward_not_for_training": lambda: (
        lambda m: (m.forward(batch), m.backward()))(
            ready(for_training=False)),
    "inference_with_input_grads": lambda: bound(
        for_training=False, inputs_need_grad=True),
    "fit_without_num_epoch": lambda: mx.mod.Module(net).fit(
        mx.io.NDArrayIter(np.ones((4, 12)), np.zeros(4), batch_size=4)),
    "predict_list": lambda: ready().predict([1, 2]),
    "kvstore_not_str": lambda: ready().init_optimizer(kvstore=3),
    "output_shapes_before_bind": lambda: mx.mod.Module(net).output_shapes,
    "label_shape_not_inferable": undefined_label,
    "params_file_bad_key": bad_params_file,
    "get_params_before_init": lambda: bound().get_params(),
}
for name, case in sorted(cases.items()):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case()
        outputs[name] = np.array("none")
    except Exception as error:  # noqa: BLE001
        # The class and its bases: kiln may raise a subclass of MXNet's.
        outputs[name] = np.array(" ".join(
            k.__name__ for k in type(error).__mro__))

# Without label shapes a SoftmaxOutput binds (its label shape is inferred)
# and only warns that the labels were not given.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    mod = mx.mod.Module(net)
    mod.bind(data)
outputs["unlabelled_warns"] = np.array(
    any("label_shapes don't match" in str(w.message) for w in caught))
outputs["unlabelled_label_shapes"] = np.array(mod.label_shapes is None)
"""


@requires_oracle
def test_bad_input_raises_as_mxnet(tmp_path):
    folder = np.array(str(tmp_path))
    want = run_mxnet(BAD_INPUT, folder=folder)
    scope = {"mx": KMX, "np": np, "outputs": {},
             "inputs": {"folder": folder}}
    exec(BAD_INPUT, scope)  # noqa: S102
    got = {k: str(v).split() for k, v in scope["outputs"].items()}
    want = {k: str(v).split()[0] for k, v in want.items()}
    assert sorted(got) == sorted(want)
    for case, name in want.items():
        # kiln raises MXNet's class or a subclass of it.
        assert name in got[case], (case, got[case], name)
    assert want["forward_before_bind"] == "AssertionError"
    # MXNet's simple_bind raises a plain RuntimeError; kiln's MXNetError
    # is one.
    assert want["label_shape_not_inferable"] == "RuntimeError"
    assert got["label_shape_not_inferable"][0] == "MXNetError"


def _mlp_module(**kwargs):
    net = kiln.symbol.SoftmaxOutput(kiln.symbol.FullyConnected(
        kiln.symbol.var("data"), num_hidden=3, name="fc"), name="softmax")
    return kiln.module.Module(net, **kwargs)


def test_error_messages_name_the_problem():
    mod = _mlp_module()
    with pytest.raises(ValueError, match="input with name 'x' is not found"):
        _mlp_module(data_names=["x"])
    with pytest.raises(ValueError, match="don't match names specified by "
                       "data_names"):
        mod.bind([("x", (4, 5))])
    mod.bind([("data", (4, 5))], [("softmax_label", (4,))])
    with pytest.raises(RuntimeError, match="fc_bias is not presented"):
        mod.set_params({"fc_weight": mx.nd.ones((3, 5))}, {})
    with pytest.raises(AssertionError, match="call bind before"):
        _mlp_module().init_params()
    with pytest.raises(AssertionError, match="batch_size = 4, but "
                       "softmax_label has shape"):
        _mlp_module().bind([("data", (4, 5))], [("softmax_label", (2,))])
    mod.init_params()
    with pytest.raises(MXNetError, match="distributed KVStore"):
        mod.init_optimizer(kvstore="dist_sync")
    with pytest.raises(MXNetError, match="group2ctxs"):
        _mlp_module(group2ctxs={"dev1": mx.cpu()}).bind([("data", (4, 5))])


def test_parameters_optimizer_and_files(tmp_path):
    mod = _mlp_module()
    mod.bind([("data", (4, 5))], [("softmax_label", (4,))])
    mod.init_params(initializer=mx.init.One())
    arg, aux = mod.get_params()
    assert sorted(arg) == ["fc_bias", "fc_weight"] and aux == {}
    np.testing.assert_array_equal(arg["fc_weight"].asnumpy(), 1)
    np.testing.assert_array_equal(arg["fc_bias"].asnumpy(), 0)
    # Initialized already: ignored with a warning unless force_init.
    with pytest.warns(UserWarning, match="already initialized"):
        mod.init_params(initializer=mx.init.Zero())
    np.testing.assert_array_equal(mod.get_params()[0]["fc_weight"].asnumpy(),
                                  1)

    sgd = mx.optimizer.SGD(learning_rate=0.1)
    with pytest.warns(UserWarning, match="rescale_grad is not normalized"):
        mod.init_optimizer(optimizer=sgd)
    assert sgd.idx2name == {0: "fc_weight", 1: "fc_bias"}
    mod.init_optimizer(optimizer="sgd", force_init=True,
                       optimizer_params={"learning_rate": 1.0})
    assert mod._optimizer.rescale_grad == 0.25
    batch = mx.io.DataBatch([mx.nd.ones((4, 5))], [mx.nd.zeros((4,))])
    mod.forward_backward(batch)
    mod.update()
    # get_params hands out the same arrays, refreshed in place.
    assert mod.get_params()[0] is arg
    assert arg["fc_weight"].asnumpy()[0, 0] != 1

    fname = str(tmp_path / "p.params")
    mod.save_params(fname)
    assert sorted(mx.nd.load(fname)) == ["arg:fc_bias", "arg:fc_weight"]
    other = _mlp_module()
    other.bind([("data", (4, 5))], [("softmax_label", (4,))])
    other.init_params()
    other.load_params(fname)
    np.testing.assert_array_equal(other.get_params()[0]["fc_weight"].asnumpy(),
                                  arg["fc_weight"].asnumpy())

    # A second module borrows the optimizer (and its states).
    other.borrow_optimizer(mod)
    assert other._updater is mod._updater and other.optimizer_initialized

    # A module bound with shared_module shares the parameter arrays (a
    # bucket of another batch size) and the optimizer.
    bucket = _mlp_module()
    bucket.bind([("data", (2, 5))], [("softmax_label", (2,))],
                shared_module=mod)
    assert bucket.params_initialized and bucket._updater is mod._updater
    assert (bucket._exec_group.param_arrays[0][0] is
            mod._exec_group.param_arrays[0][0])
    bucket.forward(mx.io.DataBatch([mx.nd.ones((2, 5))]), is_train=False)
    mod.forward(batch, is_train=False)
    np.testing.assert_allclose(bucket.get_outputs()[0].asnumpy(),
                               mod.get_outputs()[0].asnumpy()[:2], rtol=1e-6)

    # Monitors are installed on every executor.
    installed = []

    class Monitor(object):
        def install(self, exe):
            installed.append(exe)
    mod.install_monitor(Monitor())
    assert installed == mod._exec_group.execs
