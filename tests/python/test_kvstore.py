"""mx.kv / mx.kvstore against MXNet 1.9.1: the package's names, create()'s
types, a store's init/push/pull/pushpull/broadcast with int and str keys,
lists of keys and of values on several contexts, updaters, optimizers and
their saved states, 2-bit gradient compression, TestStore, Gluon's
Trainer and Module given a KVStore object, and bad input refused with
MXNet's error classes."""
import textwrap

import numpy as np
import pytest

import kiln as mx
import kiln.kvstore  # noqa: F401  (mx.kv once kiln/__init__.py imports it)
from mxnet_oracle import (assert_mxnet_error_classes, compare_outputs,
                          requires_oracle, run_both, run_mxnet)


@pytest.mark.skipif(not hasattr(mx, "kv"),
                    reason="kiln/__init__.py does not import kvstore yet")
def test_mx_kv_is_mx_kvstore():
    assert mx.kv is mx.kvstore
    assert mx.kv.create is mx.kvstore.base.create


@requires_oracle
def test_names_and_types_match_mxnet():
    code = """
outputs["names"] = np.array(sorted(n for n in dir(mx.kvstore)
                                   if not n.startswith("__")))
outputs["methods"] = np.array(sorted(
    n for n in dir(mx.kvstore.KVStore) if not n.startswith("__")))
kinds = []
for name in ["local", "device", "LOCAL", "Device", "foo", "teststore"]:
    kv = mx.kvstore.create(name)
    kinds.append("%s %s %d %d" % (type(kv).__name__, kv.type, kv.rank,
                                  kv.num_workers))
outputs["kinds"] = np.array(kinds)
outputs["default"] = np.array(mx.kvstore.create().type)
kv = mx.kvstore.create("local")
outputs["capable"] = np.array([kv.is_capable("optimizer"),
                               kv.is_capable("OPTIMIZER"),
                               mx.kvstore.create("teststore").is_capable(
                                   "optimizer")])
outputs["isbase"] = np.array(isinstance(kv, mx.kvstore.KVStoreBase))
outputs["optimizer"] = np.array(mx.kvstore.KVStoreBase.OPTIMIZER)
"""
    got, want = run_both(code, mx)
    # Every public name and MXNet's private ones that other code calls
    # (_set_updater, _barrier, ...); kiln has no ctypes callbacks
    # (_updater_func, _str_updater_func) and no p3 switch (_is_p3).
    mxnet_only = {"_is_p3", "_str_updater_func", "_updater_func"}
    want["methods"] = np.array([m for m in want["methods"]
                                if m not in mxnet_only])
    got["methods"] = np.array([m for m in got["methods"]
                               if not m.startswith("_") or
                               m in want["methods"]])
    for key in want:
        assert got[key].tolist() == want[key].tolist(), key


def test_register_makes_a_store_by_lower_cased_name():
    @mx.kvstore.KVStoreBase.register
    class MyKVStoreForTest(mx.kvstore.KVStoreBase):
        pass
    try:
        assert type(mx.kvstore.create("MyKVStoreForTest")) is MyKVStoreForTest
        with pytest.warns(UserWarning, match="is overriding existing kvstore"):
            mx.kvstore.KVStoreBase.register(
                type("MyKVStoreForTest", (mx.kvstore.KVStoreBase,), {}))
    finally:
        mx.kvstore.KVStoreBase.kv_registry.pop("mykvstorefortest", None)
    with pytest.raises(NotImplementedError):
        mx.kvstore.KVStoreBase().pushpull(0, mx.nd.ones((1,)))


STORE = """
shape = (2, 3)
def arr(v, ctx=mx.cpu(0), dtype="float32"):
    return mx.nd.array(np.full(shape, v), ctx=ctx, dtype=dtype)

# int keys: init, push of one value and of several (summed), pull to
# one array and to several, a float64 out (cast)
kv = mx.kvstore.create("local")
kv.init(3, arr(2))
a = mx.nd.zeros(shape)
kv.pull(3, out=a)
outputs["int/init"] = a.asnumpy()
kv.push(3, [arr(1), arr(3), arr(0.5)])
b = mx.nd.zeros(shape, dtype="float64")
kv.pull(3, out=[a, b])
outputs["int/sum"] = a.asnumpy()
outputs["int/sum64"] = b.asnumpy()
kv.push(3, arr(5, ctx=mx.cpu(1)))
kv.pull(3, out=a)
outputs["int/replaced"] = a.asnumpy()
kv.push(3, [arr(1, ctx=mx.cpu(0)), arr(2, ctx=mx.cpu(1))])
outs = [mx.nd.zeros(shape, ctx=mx.cpu(0)), mx.nd.zeros(shape, ctx=mx.cpu(1))]
kv.pull(3, out=outs)
outputs["int/contexts"] = np.stack([o.asnumpy() for o in outs])
outputs["int/out_contexts"] = np.array([str(o.context) for o in outs])

# lists of keys, each with a list of values; a key twice in one push
kv.init([4, 5], [arr(1), arr(2)])
kv.push([4, 5], [[arr(1), arr(2)], [arr(3), arr(4)]])
outs = [[mx.nd.zeros(shape), mx.nd.zeros(shape)], [mx.nd.zeros(shape)]]
kv.pull([4, 5], out=outs)
outputs["list/pull"] = np.stack([outs[0][0].asnumpy(), outs[0][1].asnumpy(),
                                 outs[1][0].asnumpy()])
kv.push([4, 4], [arr(1), arr(10)])
kv.pull((4,), out=(a,))
outputs["list/repeated"] = a.asnumpy()

# pushpull into out and in place, broadcast (init + pull), negative keys
c = arr(7)
kv.pushpull(4, c)
outputs["pp/inplace"] = c.asnumpy()
kv.pushpull(5, [arr(1), arr(2)], out=a)
outputs["pp/out"] = a.asnumpy()
kv.broadcast(-1, arr(4), out=[a, c])
outputs["bcast"] = np.stack([a.asnumpy(), c.asnumpy()])

# str keys, an updater (str keys arrive as bytes)
kv = mx.kvstore.create("device")
seen = []
def update(key, pushed, stored):
    seen.append(repr(key))
    stored[:] += pushed * 2
kv._set_updater(update)
kv.init(["w", "v"], [arr(1), arr(2)])
kv.push("w", [arr(1), arr(1)])
kv.push(["w", "v"], [arr(1), arr(3)])
outs = [mx.nd.zeros(shape), mx.nd.zeros(shape)]
kv.pull(["w", "v"], out=outs)
outputs["str/updater"] = np.stack([o.asnumpy() for o in outs])
outputs["str/seen"] = np.array(seen)

# an optimizer on the store, its states saved and loaded
for name, opt in [("sgd", mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)),
                  ("adam", mx.optimizer.Adam(learning_rate=0.01))]:
    kv = mx.kvstore.create("local")
    w = arr(0.5)
    kv.init(0, w)
    kv.set_optimizer(opt)
    for step in range(3):
        kv.push(0, [arr(1 + step), arr(-0.5)])
        kv.pull(0, out=w)
    outputs["opt/%s" % name] = w.asnumpy()
    kv.save_optimizer_states(str(inputs["states"]) + name)
    kv.load_optimizer_states(str(inputs["states"]) + name)
    kv.pushpull(0, arr(1), out=w)
    outputs["opt/%s/after_load" % name] = w.asnumpy()
    kv.save_optimizer_states(str(inputs["states"]) + name, dump_optimizer=True)
    kv.load_optimizer_states(str(inputs["states"]) + name)
    outputs["opt/%s/lr" % name] = np.array(kv._updater.optimizer.lr)

# 2-bit gradient compression on a 'device' store: each value quantized
# to 0 or +-threshold with its residual kept per key and source
kv = mx.kvstore.create("device")
kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})
kv.init(1, arr(0))
vals = np.linspace(-1, 1, 6).reshape(shape)
for step in range(4):
    kv.push(1, [mx.nd.array(vals * 0.7), mx.nd.array(vals * 0.3 + 0.2)])
    kv.pull(1, out=a)
    outputs["gc/%d" % step] = a.asnumpy()
kv = mx.kvstore.create("device")
kv.set_gradient_compression({"type": "2bit"})
kv.init(1, arr(0))
kv.set_optimizer(mx.optimizer.SGD(learning_rate=1.0))
kv.pushpull(1, [arr(0.3), arr(0.7)], out=a)
outputs["gc/default_threshold_sgd"] = a.asnumpy()

# MXNet's TestStore
ts = mx.kvstore.create("teststore")
outs = [mx.nd.zeros(shape), mx.nd.zeros(shape)]
ts.broadcast(0, arr(3), out=outs)
outputs["test/bcast"] = np.stack([o.asnumpy() for o in outs])
vals = [arr(1), arr(2)]
ts.pushpull(0, vals)
outputs["test/pp"] = np.stack([v.asnumpy() for v in vals])
ts.pushpull(0, [arr(1), arr(4)], out=a)
outputs["test/pp_out"] = a.asnumpy()
"""


@requires_oracle
def test_store_operations_match_mxnet(tmp_path):
    got, want = run_both(STORE, mx, states=str(tmp_path / "kiln-"))
    for key in ("str/seen", "int/out_contexts"):
        assert got.pop(key).tolist() == want.pop(key).tolist(), key
    compare_outputs(got, want, rtol=1e-6, atol=1e-7)


@requires_oracle
def test_states_files_move_between_kiln_and_mxnet(tmp_path):
    """kiln's store reads MXNet's optimizer states and MXNet reads kiln's."""
    code = """
kv = mx.kvstore.create("local")
w = mx.nd.ones((4,))
kv.init("w", w)
kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
if str(inputs["load"]):
    kv.load_optimizer_states(str(inputs["load"]))
kv.pushpull("w", mx.nd.array([1, 2, 3, 4]), out=w)
kv.save_optimizer_states(str(inputs["save"]))
outputs["w"] = w.asnumpy()
"""
    from_mxnet = str(tmp_path / "mxnet.states")
    from_kiln = str(tmp_path / "kiln.states")
    run_mxnet(code, load=np.array(""), save=np.array(from_mxnet))
    scope = {"mx": mx, "np": np, "outputs": {},
             "inputs": {"load": np.array(from_mxnet),
                        "save": np.array(from_kiln)}}
    exec(textwrap.dedent(code), scope)
    got = run_mxnet(code, load=np.array(from_kiln),
                    save=np.array(str(tmp_path / "again.states")))
    # MXNet's first step leaves momentum m = -0.1 g; kiln carries it on
    # (m = 0.9 m - 0.1 g, w = 1 + m), and MXNet carries kiln's on.
    g = np.arange(1, 5)
    np.testing.assert_allclose(scope["outputs"]["w"], 1 - 0.19 * g,
                               rtol=1e-6)
    np.testing.assert_allclose(got["w"], 1 - 0.271 * g, rtol=1e-6)


TRAINING = """
def make_net(ctxs):
    net = mx.gluon.nn.Dense(3, in_units=4, prefix="net_")
    net.initialize(mx.init.Constant(0.1), ctx=ctxs)
    return net

def train(net, trainer, ctxs, steps=3):
    x = mx.nd.array(inputs["x"])
    for step in range(steps):
        parts = np.array_split(np.arange(x.shape[0]), len(ctxs))
        with mx.autograd.record():
            losses = [(net(x[p[0]:p[-1] + 1].as_in_context(c)) ** 2).sum()
                      for p, c in zip(parts, ctxs)]
        for loss in losses:
            loss.backward()
        trainer.step(x.shape[0])

cases = {
    "object_one_ctx": ([mx.cpu(0)], lambda: mx.kvstore.create("device"), {}),
    "device_two_ctx_2bit": ([mx.cpu(0), mx.cpu(1)], lambda: "device",
                            {"compression_params": {"type": "2bit",
                                                    "threshold": 0.05}}),
    "object_two_ctx_no_update": ([mx.cpu(0), mx.cpu(1)],
                                 lambda: mx.kvstore.create("local"),
                                 {"update_on_kvstore": False}),
    "teststore": ([mx.cpu(0), mx.cpu(1)],
                  lambda: mx.kvstore.create("teststore"), {}),
}
for name, (ctxs, kv, extra) in sorted(cases.items()):
    net = make_net(ctxs)
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                               {"learning_rate": 0.1, "momentum": 0.9},
                               kvstore=kv(), **extra)
    train(net, trainer, ctxs)
    outputs["trainer/%s/w" % name] = net.weight.data(ctxs[-1]).asnumpy()
    outputs["trainer/%s/on_store" % name] = np.array(
        bool(trainer._update_on_kvstore))
    outputs["trainer/%s/store_type" % name] = np.array(
        str(trainer._kvstore.type))

# Module: a KVStore object on one context updates on the store (keys are
# the parameter names); 'local' on two contexts too; states saved.
data = mx.sym.var("data")
net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=3,
                                                 name="fc"), name="softmax")
for name, ctxs, kv in [("object", [mx.cpu(0)], mx.kvstore.create("local")),
                       ("local2", [mx.cpu(0), mx.cpu(1)], "local"),
                       ("device2", [mx.cpu(0), mx.cpu(1)], "device")]:
    it = mx.io.NDArrayIter(inputs["x"], inputs["y"], batch_size=4)
    mod = mx.mod.Module(net, context=ctxs)
    mod.fit(it, num_epoch=2, kvstore=kv, optimizer="sgd",
            initializer=mx.init.Constant(0.05),
            optimizer_params={"learning_rate": 0.5, "momentum": 0.9})
    args, _ = mod.get_params()
    outputs["module/%s/fc_weight" % name] = args["fc_weight"].asnumpy()
    outputs["module/%s/store" % name] = np.array(
        "%s %s" % (mod._kvstore.type, mod._update_on_kvstore))
    mod.save_optimizer_states(str(inputs["states"]) + name)
    mod.load_optimizer_states(str(inputs["states"]) + name)
    outputs["module/%s/idx2name" % name] = np.array(
        sorted(mod._optimizer.idx2name.values()))
"""


@requires_oracle
def test_trainer_and_module_take_a_kvstore_as_mxnet(tmp_path):
    rng = np.random.RandomState(0)
    x = rng.randn(8, 4).astype(np.float32)
    y = rng.randint(0, 3, 8).astype(np.float32)
    got, want = run_both(TRAINING, mx, x=x, y=y,
                         states=str(tmp_path / "mod-"))
    for key in [k for k in want if want[k].dtype.kind in "UO"]:
        assert got.pop(key).tolist() == want.pop(key).tolist(), key
    compare_outputs(got, want, rtol=1e-5, atol=1e-6)


def test_module_states_file_is_keyed_by_parameter_name(tmp_path):
    """Updating on the store, the optimizer's states are keyed by the
    store's keys, the parameter names, as in MXNet's file."""
    data = mx.sym.var("data")
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=2,
                                                     name="fc"),
                               name="softmax")
    mod = mx.mod.Module(net, context=mx.cpu())
    mod.bind([("data", (2, 3))], [("softmax_label", (2,))])
    mod.init_params()
    mod.init_optimizer(kvstore=mx.kvstore.create("local"),
                       optimizer_params={"momentum": 0.9})
    batch = mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.zeros((2,))])
    mod.forward_backward(batch)
    mod.update()
    path = str(tmp_path / "m.states")
    mod.save_optimizer_states(path)
    from kiln.optimizer import _mxnet_pickle
    with open(path, "rb") as handle:
        states = _mxnet_pickle.loads(handle.read())
    assert sorted(states) == ["fc_bias", "fc_weight"]


# Bad input: (name, prelude-scoped expression, kiln's error class, message
# kiln gives). MXNet 1.9.1 must raise the same class for each.
BAD_PRELUDE = """
shape = (2, 3)
kv = mx.kvstore.create("local")
kv.init(3, mx.nd.ones(shape))
skv = mx.kvstore.create("local")
skv.init("s", mx.nd.ones(shape))
dev = mx.kvstore.create("device")
def fresh():
    return mx.kvstore.create("local")
def trainer(**kwargs):
    net = mx.gluon.nn.Dense(2, in_units=2)
    net.initialize()
    return mx.gluon.Trainer(net.collect_params(), "sgd", **kwargs)
"""
BAD_INPUTS = [
    ("create_not_str", "mx.kvstore.create(3)", TypeError,
     "name must be a string"),
    ("create_nccl", "mx.kvstore.create('nccl')", mx.MXNetError,
     "'nccl' needs NVIDIA GPUs"),
    ("create_dist", "mx.kvstore.create('dist_sync')", mx.MXNetError,
     "'dist_sync'.*no distributed KVStore.*parameter server"),
    ("pull_before_init", "fresh().pull(7, out=mx.nd.zeros(shape))",
     mx.MXNetError, "kvstore.pull: key 7 has not been inited"),
    ("push_before_init", "fresh().push(7, mx.nd.ones(shape))",
     mx.MXNetError, "kvstore.push: key 7 has not been inited"),
    ("pushpull_before_init", "fresh().pushpull('x', mx.nd.ones(shape))",
     mx.MXNetError, "key 'x' has not been inited"),
    ("init_twice", "kv.init(3, mx.nd.ones(shape))", mx.MXNetError,
     "duplicate init of key 3"),
    ("init_twice_one_call", "fresh().init(5, [mx.nd.ones(shape)] * 2)",
     mx.MXNetError, "duplicate init of key 5"),
    ("broadcast_twice", "kv.broadcast(3, mx.nd.ones(shape), "
     "out=mx.nd.zeros(shape))", mx.MXNetError, "duplicate init of key 3"),
    ("keys_values_mismatch", "kv.push([3, 4], [mx.nd.ones(shape)])",
     AssertionError, "2 keys but 1 values"),
    ("pull_outs_mismatch", "kv.pull([3, 4], out=[mx.nd.ones(shape)])",
     AssertionError, "2 keys but 1 values"),
    ("pushpull_outs_mismatch", "kv.pushpull([3, 3], [mx.nd.ones(shape)] * 2,"
     " out=[mx.nd.ones(shape)])", AssertionError, "2 keys but 1 values"),
    ("mixed_keys_one_call", "fresh().init([1, 'a'], [mx.nd.ones(shape)] * 2)",
     AssertionError, "inconsistent types of keys"),
    ("str_key_int_store", "kv.pull('3', out=mx.nd.zeros(shape))",
     mx.MXNetError, "key '3' is a str, but this store's keys are ints"),
    ("int_key_str_store", "skv.push(1, mx.nd.ones(shape))", mx.MXNetError,
     "key 1 is an int, but this store's keys are strs"),
    ("float_key", "kv.push(1.5, mx.nd.ones(shape))", AssertionError,
     "unexpected type for keys: <class 'float'>"),
    ("numpy_int_key", "kv.push(np.int64(3), mx.nd.ones(shape))",
     AssertionError, "unexpected type for keys"),
    ("numpy_value", "kv.push(3, np.ones(shape))", AssertionError,
     "value of key 3 must be an NDArray or a list of NDArray, got a list "
     "holding ndarray"),
    ("float_value", "kv.push(3, 2.0)", TypeError,
     "value of key 3 must be an NDArray or a list of NDArray, got float"),
    ("pull_no_out", "kv.pull(3)", AssertionError, "give out="),
    # MXNet reports the push's failure at the next pull of the key.
    ("push_shape", "(kv.push(3, mx.nd.ones((3, 3))), "
     "kv.pull(3, out=mx.nd.zeros(shape)))", mx.MXNetError,
     r"kvstore.push: key 3 holds shape \(2, 3\), got an array of shape "
     r"\(3, 3\)"),
    ("pull_shape", "(lambda k: (k.init(3, mx.nd.ones(shape)), k.pull(3, "
     "out=mx.nd.zeros((3, 3)))))(fresh())", mx.MXNetError,
     r"kvstore.pull: key 3 holds shape \(2, 3\), got an array of shape "
     r"\(3, 3\)"),
    ("compression_on_local", "kv.set_gradient_compression({'type': '2bit'})",
     Exception, "Gradient compression is not supported for this type"),
    ("compression_not_dict", "dev.set_gradient_compression('2bit')",
     AssertionError, "unexpected type for param_dict: <class 'str'>"),
    ("compression_no_type", "dev.set_gradient_compression({'threshold': 1})",
     mx.MXNetError, "needs 'type'"),
    ("compression_bad_type", "dev.set_gradient_compression({'type': '1bit'})",
     mx.MXNetError, "Unknown type for gradient compression 1bit"),
    ("compression_bad_threshold",
     "dev.set_gradient_compression({'type': '2bit', 'threshold': 'x'})",
     mx.MXNetError, "threshold expect float but value='x'"),
    ("compression_threshold_zero",
     "dev.set_gradient_compression({'type': '2bit', 'threshold': 0})",
     mx.MXNetError, "threshold must be greater than 0, got 0.0"),
    ("save_states_without_optimizer", "kv.save_optimizer_states('/nonexistent')",
     AssertionError, "Cannot save states"),
    ("load_states_without_optimizer", "kv.load_optimizer_states('/nonexistent')",
     AssertionError, "Cannot load states"),
    ("unknown_capability", "kv.is_capable('sparse')", ValueError,
     "Unknown capability: sparse"),
    ("row_sparse_pull", "kv.row_sparse_pull(3, out=mx.nd.zeros(shape), "
     "row_ids=mx.nd.array([0]))", mx.MXNetError, "no sparse storage"),
    ("row_sparse_pull_no_row_ids", "kv.row_sparse_pull(3, "
     "out=mx.nd.zeros(shape))", AssertionError, "give row_ids="),
    ("trainer_kvstore_int", "trainer(kvstore=3)._init_kvstore()", TypeError,
     "kvstore must be KVStore, str or None"),
]


@pytest.mark.parametrize("name,expression,error,message", BAD_INPUTS,
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_raises_naming_the_problem(name, expression, error, message):
    scope = {"mx": mx, "np": np}
    exec(textwrap.dedent(BAD_PRELUDE), scope)
    with pytest.raises(error, match=message) as caught:
        eval(expression, scope)
    if error is Exception:  # MXNet's plain Exception, not a subclass
        assert type(caught.value) is Exception


@requires_oracle
def test_mxnet_raises_the_same_classes():
    assert_mxnet_error_classes(BAD_PRELUDE, BAD_INPUTS)
