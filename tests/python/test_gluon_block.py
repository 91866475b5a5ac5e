"""mx.gluon Block, HybridBlock and SymbolBlock against MXNet 1.9.1.

* What a user observes, in one snippet under both frameworks: prefixes and
  names, collect_params (with select), structural names, reprs, summary,
  hooks, apply, deferred shapes, infer_shape/infer_type, outputs and
  gradients imperatively and hybridized, and which mistakes raise what.
* Files both ways: save_parameters/load_parameters and export/imports,
  each written by one framework and read by the other.
* Hybridized against imperative kiln, exactly: outputs, parameter and
  input gradients and BatchNorm's running statistics over training steps
  with in-place updates, a block called twice in one recorded graph,
  several inputs and nested outputs, parameters shared with the outside,
  recording in predict mode, inference, new batch sizes, grad_req 'add'.
* The errors of issue #14 (uninitialized block, input contradicting the
  weights, load_parameters with missing or extra names), each leaving the
  block usable.
"""
import io
import contextlib
import warnings

import numpy as np
import pytest

import kiln as mx
import kiln.gluon  # noqa: F401  (attaches mx.gluon before __init__ does)
from kiln import gluon
from kiln.gluon import nn
from mxnet_oracle import compare_outputs, requires_oracle, run_both, \
    run_mxnet

_SNIPPET = r'''
import io, contextlib, warnings
gluon = mx.gluon
nn = gluon.nn

def error_of(name, f):
    try:
        r = f()
        if hasattr(r, "asnumpy"):
            r.asnumpy()
        outputs["err/" + name] = np.array("none")
    except Exception as e:
        kinds = [k.__name__ for k in type(e).__mro__
                 if k.__name__ in ("AssertionError", "ValueError",
                                   "RuntimeError", "TypeError", "KeyError",
                                   "DeferredInitializationError")]
        outputs["err/" + name] = np.array(kinds[0])

class Inner(gluon.HybridBlock):
    def __init__(self, **kw):
        super(Inner, self).__init__(**kw)
        with self.name_scope():
            self.w = self.params.get("w", shape=(3, 0),
                                     allow_deferred_init=True)
            self.fc = nn.Dense(3, in_units=3, activation="tanh")
            self.bn = nn.BatchNorm()
    def hybrid_forward(self, F, x, w):
        h = F.FullyConnected(x, w, no_bias=True, num_hidden=3)
        return self.bn(self.fc(h))

class Outer(gluon.Block):
    def __init__(self, **kw):
        super(Outer, self).__init__(**kw)
        with self.name_scope():
            self.a = Inner()
            self.b = Inner(prefix="bee_")
            self.c = nn.Dense(2)
    def forward(self, x):
        return self.c(self.b(self.a(x)))

o = Outer()
o2 = Outer()
outputs["names"] = np.array([o.prefix, o.name, o2.prefix, o.a.prefix,
                             o.b.prefix, o.c.prefix, o.a.fc.prefix,
                             o.b.fc.name, o.a.bn.name])
outputs["keys"] = np.array(list(o.collect_params().keys()))
outputs["select"] = np.array(list(o.collect_params(
    ".*fc.*weight|.*_w$|.*running.*").keys()))
outputs["struct"] = np.array(sorted(o._collect_params_with_prefix()))
outputs["repr"] = np.array(repr(o))
outputs["params_repr"] = np.array(repr(o.collect_params()))
outputs["children"] = np.array(list(o._children.keys()))

calls = []
pre = o.a.register_forward_pre_hook(
    lambda block, args: calls.append("pre " + block.name))
post = o.c.register_forward_hook(
    lambda block, args, out: calls.append("post %s %s" % (block.name,
                                                          out.shape)))
visited = []
o.apply(lambda block: visited.append(block.name))
outputs["apply"] = np.array(visited)

o.initialize(mx.init.Constant(0.1))
error_of("deferred", lambda: o.a.w.data())
x = mx.nd.array(np.arange(8, dtype=np.float32).reshape(2, 4) / 8.0)
o(x)  # MXNet's summary cannot run hooks during deferred initialization
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    o.summary(x)
outputs["summary"] = np.array(buf.getvalue())
outputs["calls"] = np.array(calls)
pre.detach()
with post:
    o(x)
o(x)
outputs["calls_after"] = np.array(calls)
outputs["inferred"] = np.array([str(p.shape) for p in
                                o.collect_params().values()])

# Training steps, imperative then hybridized (a fresh copy of the same
# values), outputs and gradients.
def steps(block, xs):
    result = []
    for step, value in enumerate(xs):
        with mx.autograd.record():
            y = block(value)
            loss = (y * y).sum()
        loss.backward()
        result.append(y.asnumpy())
        for p in block.collect_params().values():
            if p.grad_req != "null":
                result.append(p.grad().asnumpy())
                p.set_data(p.data() - 0.1 * p.grad())
    result += [p.data().asnumpy() for p in block.collect_params().values()]
    return result

def make_seq():
    net = nn.HybridSequential(prefix="seq_")
    with net.name_scope():
        net.add(nn.Conv2D(3, 3, padding=1, activation="relu"),
                nn.BatchNorm(), nn.Flatten(), nn.Dense(4), Inner())
    net.initialize(mx.init.Constant(0.05))
    return net

xs = [mx.nd.array(np.sin(np.arange(2 * 2 * 4 * 4) * (k + 1)).reshape(
    2, 2, 4, 4).astype(np.float32)) for k in range(2)]
for i, v in enumerate(steps(make_seq(), xs)):
    outputs["imperative/%d" % i] = v
seq = make_seq()
seq.hybridize()
for i, v in enumerate(steps(seq, xs)):
    outputs["hybrid/%d" % i] = v
outputs["infer_keys"] = np.array(list(seq.collect_params().keys()))
inference = seq(xs[0])
outputs["predict"] = inference.asnumpy()

t = Inner(prefix="t_")
t.infer_shape(mx.nd.ones((5, 7)))
outputs["infer_shape"] = np.array([str(p.shape) for p in
                                   t.collect_params().values()])
t.infer_type(mx.nd.ones((5, 7)))
outputs["infer_type"] = np.array([str(np.dtype(p.dtype))
                                  for p in t.collect_params().values()])

# Mistakes.
fresh = nn.Dense(3, in_units=4)
error_of("uninitialized", lambda: fresh(mx.nd.ones((2, 4))))
fresh.hybridize()
error_of("uninitialized_hybrid", lambda: fresh(mx.nd.ones((2, 4))))
fresh.initialize()
error_of("wide_input", lambda: fresh(mx.nd.ones((2, 5))))
error_of("export_unrun", lambda: nn.Dense(2).export("/nonexistent/x"))
h = gluon.HybridBlock()
error_of("block_child", lambda: h.register_child(gluon.Block()))
error_of("retype", lambda: setattr(o, "a", 3))
error_of("mixed", lambda: o.a(mx.nd.ones((2, 4)), mx.sym.var("y")))
seq2 = make_seq()
seq2.hybridize()
seq2(xs[0])
error_of("summary_hybrid", lambda: seq2.summary(xs[0]))
error_of("deferred_bad", lambda: nn.Dense(2, in_units=3).initialize() or
         nn.Dense(3)(mx.nd.ones((2, 4))))
'''


@requires_oracle
def test_blocks_behave_as_mxnet():
    got, want = run_both(_SNIPPET, mx)
    texts = [{key: str(value.tolist()) for key, value in outputs.items()
              if value.dtype.kind in "US"} for outputs in (got, want)]
    assert texts[0] == texts[1]  # reprs, messages, error classes
    compare_outputs(*[{key: value for key, value in outputs.items()
                       if key not in texts[0]} for outputs in (got, want)])
    # Within kiln the hybridized run equals the imperative one exactly.
    hybrid = sorted(key for key in got if key.startswith("hybrid/"))
    assert len(hybrid) > 20
    for key in hybrid:
        np.testing.assert_array_equal(
            got[key], got[key.replace("hybrid/", "imperative/")], key)


# -- hybridized against imperative, exactly ----------------------------------
class _Two(gluon.HybridBlock):
    """Dense, BatchNorm, Dense; with a second input, nested outputs."""

    def __init__(self, **kwargs):
        super(_Two, self).__init__(**kwargs)
        with self.name_scope():
            self.a = nn.Dense(4, activation="tanh")
            self.bn = nn.BatchNorm()
            self.b = nn.Dense(3)

    def hybrid_forward(self, F, x, y=None):
        h = self.bn(self.a(x))
        out = self.b(h)
        if y is None:
            return out
        return F.broadcast_add(out, F.sum(y, axis=1, keepdims=True)), \
            [h, F.relu(y)]


def _run(hybridize, scenario):
    """Three training steps of _Two (the last with a new batch size) in
    `scenario`; every output, gradient and parameter value seen."""
    mx.random.seed(3)
    net = _Two(prefix="two_")
    net.initialize(mx.init.Xavier())
    outside = nn.Dense(3, in_units=3, prefix="outside_")
    outside.initialize(mx.init.Xavier())
    if scenario == "add":
        net.collect_params().setattr("grad_req", "add")
    if hybridize:
        net.hybridize()
    rng = np.random.RandomState(0)
    seen = []
    for step in range(3):
        rows = 5 + (step == 2)
        x = mx.nd.array(rng.randn(rows, 6))
        x.attach_grad()
        y = mx.nd.array(rng.randn(rows, 2))
        y.attach_grad()
        if scenario == "inference":
            seen.append(net(x).asnumpy())
            with mx.autograd.train_mode():
                seen.append(net(x).asnumpy())
            continue
        with mx.autograd.record(train_mode=scenario != "predict_record"):
            if scenario == "twice":
                first, second = net(x), net(x * 2)
                loss = (first * second).sum()
                seen.append(second.asnumpy())
            elif scenario == "multi":
                first, (h, r) = net(x, y)
                loss = (first * first).sum() + h.sum() * 0.5 + (r * r).sum()
                seen += [h.asnumpy(), r.asnumpy()]
            elif scenario == "outside":
                first = net(x)
                loss = (outside(first) * first).sum()
            else:
                first = net(x)
                loss = (first * first).sum()
        loss.backward()
        seen += [first.asnumpy(), x.grad.asnumpy()]
        if scenario == "multi":
            seen.append(y.grad.asnumpy())
        for param in (list(net.collect_params().values()) +
                      list(outside.collect_params().values())):
            if param.grad_req != "null":
                seen.append(param.grad().asnumpy().copy())
                # In place: the compiled graph must see the new values.
                param.data()[:] = param.data() - 0.1 * param.grad()
    seen += [param.data().asnumpy()
             for param in net.collect_params().values()]
    return seen, net


@pytest.mark.parametrize("scenario", ["plain", "twice", "multi", "outside",
                                      "predict_record", "inference", "add"])
def test_hybridized_equals_imperative(scenario):
    imperative, _ = _run(False, scenario)
    hybrid, net = _run(True, scenario)
    assert len(imperative) == len(hybrid) > 10
    for index, (want, got) in enumerate(zip(imperative, hybrid)):
        np.testing.assert_array_equal(got, want, "item %d" % index)
    if scenario != "predict_record":
        # It ran compiled: one executor per batch size (two when the block
        # is called twice in one recorded graph).
        slots = net._cached_op._slots
        assert sorted(len(s) for s in slots.values()) == (
            [2, 2] if scenario == "twice" else [1, 1])


def test_hybridized_follows_parameter_changes():
    net = _Two(prefix="two_")
    net.initialize(mx.init.One())
    net.hybridize()
    x = mx.nd.array(np.random.RandomState(1).randn(2, 6))
    before = net(x).asnumpy()
    # New arrays (force_reinit), a cast, a grad_req change: the cached
    # graph follows each.
    net.initialize(mx.init.Constant(0.5), force_reinit=True)
    reinit = net(x).asnumpy()
    assert not np.array_equal(before, reinit)
    assert len(net._cached_op._bindings) == 2  # old arrays, new arrays
    net.hybridize(False)
    np.testing.assert_array_equal(net(x).asnumpy(), reinit)
    net.hybridize()
    net.cast("float64")
    assert net(x.astype("float64")).dtype == np.float64
    net.cast("float32")
    net.a.weight.grad_req = "null"
    with mx.autograd.record():
        loss = net(x).sum()
    loss.backward()
    with pytest.raises(mx.base.MXNetError, match="grad_req='null'"):
        net.a.weight.grad()
    assert net.b.weight.grad().asnumpy().any()


def test_deferred_initialization_from_first_input():
    for hybridize in (False, True):
        net = nn.HybridSequential(prefix="d_")
        with net.name_scope():
            net.add(nn.Dense(5), nn.Dense(2))
        net.initialize()
        if hybridize:
            net.hybridize()
        with pytest.raises(gluon.parameter.DeferredInitializationError):
            net[0].weight.data()
        assert net(mx.nd.ones((3, 7))).shape == (3, 2)
        assert net[0].weight.shape == (5, 7)
        assert net[1].weight.shape == (2, 5)


# -- the errors of issue #14 --------------------------------------------------
@pytest.mark.parametrize("hybridize", [False, True])
def test_uninitialized_block_names_parameter(hybridize):
    net = nn.Dense(3, in_units=4, prefix="fc_")
    if hybridize:
        net.hybridize()
    with pytest.raises(mx.base.MXNetError,
                       match="Parameter 'fc_weight' has not been "
                       "initialized"):
        net(mx.nd.ones((2, 4)))
    net.initialize()
    assert net(mx.nd.ones((2, 4))).shape == (2, 3)


@pytest.mark.parametrize("hybridize", [False, True])
def test_input_contradicting_weights_names_block(hybridize):
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(nn.Dense(3, in_units=4), nn.Dense(2))
    net.initialize()
    if hybridize:
        net.hybridize()
    assert net(mx.nd.ones((2, 4))).shape == (2, 2)
    # The block (hybridized: the one whose graph runs) and the operator
    # (named after the layer).
    with pytest.raises(mx.base.MXNetError,
                       match=r"(Dense 'net_dense0'|HybridSequential 'net'): "
                       r".*FullyConnected: weight expected shape \(3, 5\)"
                       r".*got \(3, 4\)"):
        net(mx.nd.ones((2, 5)))
    with mx.autograd.record():
        with pytest.raises(mx.base.MXNetError, match="net_dense0"):
            net(mx.nd.ones((2, 5)))
    # Usable afterwards, gradients included.
    x = mx.nd.ones((6, 4))
    with mx.autograd.record():
        loss = net(x).sum()
    loss.backward()
    assert net[0].weight.grad().shape == (3, 4)


def test_deferred_shape_that_cannot_be_inferred():
    net = nn.HybridSequential(prefix="bad_")
    with net.name_scope():
        net.add(nn.Dense(2, in_units=3))
    net.initialize()
    with pytest.raises(mx.base.MXNetError, match="expected shape"):
        net(mx.nd.ones((2, 4)))
    assert net(mx.nd.ones((2, 3))).shape == (2, 2)


def _stack(count, prefix="s_", units=2):
    net = nn.HybridSequential(prefix=prefix)
    with net.name_scope():
        for _ in range(count):
            net.add(nn.Dense(units, in_units=2))
    net.initialize()
    return net


def test_load_parameters_missing_and_extra(tmp_path):
    path = str(tmp_path / "two.params")
    two = _stack(2)
    two.save_parameters(path)
    assert sorted(mx.nd.load(path)) == ["0.bias", "0.weight", "1.bias",
                                        "1.weight"]
    three = _stack(3)
    with pytest.raises(AssertionError, match="Parameter '2.weight' is "
                       "missing in file '.*two.params', which contains "
                       "parameters: '0.weight'"):
        three.load_parameters(path)
    with pytest.raises(mx.base.MXNetError, match="2.weight"):
        three.load_parameters(path)
    three.load_parameters(path, allow_missing=True)
    np.testing.assert_array_equal(three[1].weight.data().asnumpy(),
                                  two[1].weight.data().asnumpy())
    one = _stack(1)
    with pytest.raises(ValueError, match="Parameter '1.weight' loaded from "
                       "file '.*' is not present in ParameterDict, which "
                       "contains parameters '0.weight', '0.bias'"):
        one.load_parameters(path)
    with pytest.raises(mx.base.MXNetError, match="ignore_extra=True"):
        one.load_parameters(path)
    one.load_parameters(path, ignore_extra=True)
    wide = _stack(1, units=3)
    with pytest.raises(mx.base.MXNetError, match=r"Parameter 's_dense0_"
                       r"weight' from saved params: shape incompatible "
                       r"expected \(3, 2\) vs saved \(2, 2\)"):
        wide.load_parameters(path, ignore_extra=True)
    # Every block is usable afterwards.
    for block, units in ((three, 2), (one, 2), (wide, 3)):
        assert block(mx.nd.ones((1, 2))).shape == (1, units)
    np.testing.assert_array_equal(one(mx.nd.ones((1, 2))).asnumpy(),
                                  two[0](mx.nd.ones((1, 2))).asnumpy())


def test_legacy_params_file_by_full_name(tmp_path):
    path = str(tmp_path / "legacy.params")
    net = _stack(2)
    net.collect_params().save(path, strip_prefix=net.prefix)
    assert sorted(mx.nd.load(path)) == ["dense0_bias", "dense0_weight",
                                        "dense1_bias", "dense1_weight"]
    other = _stack(2, prefix="other_")
    other.load_parameters(path)
    np.testing.assert_array_equal(other[1].bias.data().asnumpy(),
                                  net[1].bias.data().asnumpy())


# -- files with MXNet, both ways ----------------------------------------------
_BUILD = '''
gluon = mx.gluon
nn = gluon.nn
class Pair(gluon.HybridBlock):
    def __init__(self, **kw):
        super(Pair, self).__init__(**kw)
        with self.name_scope():
            self.conv = nn.Conv2D(3, 3, padding=1, activation="relu")
            self.bn = nn.BatchNorm()
            self.fc = nn.Dense(4)
    def hybrid_forward(self, F, x, y):
        h = self.fc(F.Flatten(self.bn(self.conv(x))))
        return F.broadcast_mul(h, F.sum(y, axis=1, keepdims=True))
def make():
    net = nn.HybridSequential(prefix="m_")
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, activation="relu"), nn.BatchNorm(),
                nn.MaxPool2D(), nn.Flatten(), nn.Dense(3))
    return net
'''


@requires_oracle
def test_files_cross_with_mxnet_both_ways(tmp_path):
    rng = np.random.RandomState(7)
    x = rng.randn(2, 1, 8, 8).astype(np.float32)
    y = rng.randn(2, 3).astype(np.float32)
    ours = str(tmp_path / "kiln")
    theirs = str(tmp_path / "mxnet")
    scope = {"mx": mx, "np": np}
    exec(_BUILD, scope)
    net = scope["make"]()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    with mx.autograd.record():  # moves BatchNorm's running statistics
        net(mx.nd.array(x)).backward()
    kiln_out = net(mx.nd.array(x)).asnumpy()
    net.export(ours, 3)
    net.save_parameters(ours + ".params")
    pair = scope["Pair"](prefix="p_")
    pair.initialize(mx.init.Xavier())
    pair.hybridize()
    kiln_pair = pair(mx.nd.array(x), mx.nd.array(y)).asnumpy()
    pair.export(ours + "-pair")
    got = run_mxnet(_BUILD + '''
ours, theirs = inputs["ours"].item(), inputs["theirs"].item()
x, y = mx.nd.array(inputs["x"]), mx.nd.array(inputs["y"])
block = gluon.SymbolBlock.imports(ours + "-symbol.json", ["data"],
                                  ours + "-0003.params")
outputs["imports"] = block(x).asnumpy()
net = make()
net.load_parameters(ours + ".params")
outputs["load_parameters"] = net(x).asnumpy()
pair = gluon.SymbolBlock.imports(ours + "-pair-symbol.json",
                                 ["data0", "data1"],
                                 ours + "-pair-0000.params")
outputs["pair"] = pair(x, y).asnumpy()
mine = make()
mine.initialize(mx.init.Xavier())
mine.hybridize()
with mx.autograd.record():
    mine(x).backward()
outputs["theirs"] = mine(x).asnumpy()
mine.export(theirs, 1)
mine.save_parameters(theirs + ".params")
''', ours=np.array(ours), theirs=np.array(theirs), x=x, y=y)
    np.testing.assert_allclose(got["imports"], kiln_out, rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(got["load_parameters"], kiln_out, rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(got["pair"], kiln_pair, rtol=1e-5, atol=1e-5)
    block = gluon.SymbolBlock.imports(theirs + "-symbol.json", ["data"],
                                      theirs + "-0001.params")
    np.testing.assert_allclose(block(mx.nd.array(x)).asnumpy(),
                               got["theirs"], rtol=1e-5, atol=1e-5)
    mine = scope["make"]()
    mine.load_parameters(theirs + ".params")
    np.testing.assert_allclose(mine(mx.nd.array(x)).asnumpy(),
                               got["theirs"], rtol=1e-5, atol=1e-5)
    # The imported block trains: gradients reach its parameters.
    with mx.autograd.record():
        loss = block(mx.nd.array(x)).sum()
    loss.backward()
    grads = [p.grad().asnumpy() for p in block.collect_params().values()
             if p.grad_req != "null"]
    assert len(grads) == 6 and all(g.any() for g in grads)


def test_export_layout(tmp_path):
    path = str(tmp_path / "net")
    net = _stack(2)
    with pytest.raises(mx.base.MXNetError, match="first call "
                       "block.hybridize"):
        net.export(path)
    net.hybridize()
    net(mx.nd.ones((1, 2)))
    net.export(path, epoch=12)
    keys = sorted(mx.nd.load(path + "-0012.params"))
    assert keys == ["arg:s_dense0_bias", "arg:s_dense0_weight",
                    "arg:s_dense1_bias", "arg:s_dense1_weight"]
    symbol = mx.sym.load(path + "-symbol.json")
    assert symbol.list_arguments()[0] == "data"
    block = gluon.SymbolBlock.imports(path + "-symbol.json", "data",
                                      path + "-0012.params")
    np.testing.assert_array_equal(block(mx.nd.ones((1, 2))).asnumpy(),
                                  net(mx.nd.ones((1, 2))).asnumpy())


def test_symbol_block_from_symbols():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    out = mx.sym.Activation(fc, act_type="relu", name="act")
    block = gluon.SymbolBlock([out, fc], data)
    assert list(block.collect_params()) == ["fc_weight", "fc_bias"]
    block.initialize(mx.init.Constant(0.5))
    first, second = block(mx.nd.ones((2, 4)))
    np.testing.assert_allclose(second.asnumpy(), 2.5)
    assert block.collect_params()["fc_weight"].shape == (3, 4)
    composed = block(mx.sym.var("other"))
    assert composed[0].list_arguments() == ["other", "fc_weight", "fc_bias"]
    assert repr(block) == "SymbolBlock(\n<Symbol group [act, fc]> : 1 -> 2\n)"


# -- structure ---------------------------------------------------------------
def test_children_hooks_and_registration():
    class Net(gluon.Block):
        def __init__(self, **kwargs):
            super(Net, self).__init__(**kwargs)
            with self.name_scope():
                self.first = nn.Dense(2, in_units=2)
                self.hidden = [nn.Dense(2)]  # not registered: warned

        def forward(self, x):
            return self.first(x)

    net = Net(prefix="n_")
    with pytest.warns(UserWarning, match="unregistered container"):
        net.collect_params()
    with pytest.raises(TypeError, match="Changing attribute type for first"):
        net.first = 1
    with pytest.raises(AssertionError, match="Overriding Parameter "
                       "attribute"):
        net.p = gluon.Parameter("p")
        net.p = gluon.Parameter("q")
    net.register_child(nn.Dense(1, in_units=2), "extra")
    assert list(net._children) == ["first", "extra"]
    hybrid = nn.HybridSequential()
    with pytest.raises(ValueError, match="Children of HybridBlock must "
                       "also be HybridBlock"):
        hybrid.register_child(net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unregistered list again
        net.initialize()
    seen = []
    handle = net.register_forward_pre_hook(
        lambda block, args: seen.append(args[0].shape))
    net(mx.nd.ones((3, 2)))
    handle.detach()
    net(mx.nd.ones((4, 2)))
    assert seen == [(3, 2)]


def test_hybridize_with_backend_is_refused():
    net = _stack(1)
    with pytest.raises(mx.base.MXNetError, match="no subgraph backends"):
        net.hybridize(backend="MKLDNN")
    with pytest.raises(ValueError, match='Must specify "backend"'):
        net.optimize_for(mx.nd.ones((1, 2)))


def test_model_save_and_load(tmp_path):
    prefix = str(tmp_path / "model")
    net = _stack(2)
    net.hybridize()
    out = net(mx.nd.ones((1, 2))).asnumpy()
    net.save(prefix)
    again = _stack(2, prefix="renamed_")
    again.load(prefix)
    np.testing.assert_array_equal(again(mx.nd.ones((1, 2))).asnumpy(), out)


def test_summary_prints_the_table():
    net = _stack(2)
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        net.summary(mx.nd.ones((5, 2)))
    lines = text.getvalue().splitlines()
    assert "Dense-1" in lines[4] and "(5, 2)" in lines[4] and "6" in lines[4]
    assert "   Total params: 12" in lines
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net.hybridize()
    with pytest.raises(AssertionError, match="must not be hybridized"):
        net.summary(mx.nd.ones((5, 2)))


def test_hybridize_recurses_through_plain_blocks():
    class Holder(gluon.Block):
        def __init__(self, **kwargs):
            super(Holder, self).__init__(**kwargs)
            with self.name_scope():
                self.inner = _Two()

        def forward(self, x):
            return self.inner(x) * 2

    holder = Holder(prefix="holder_")
    holder.initialize(mx.init.Xavier())
    x = mx.nd.array(np.random.RandomState(2).randn(3, 6))
    imperative = holder(x).asnumpy()
    holder.hybridize()
    assert holder.inner._active and holder.inner.a._active
    np.testing.assert_array_equal(holder(x).asnumpy(), imperative)
    assert holder.inner._cached_op is not None
    assert holder.inner.a._cached_op is None  # traced into its parent
    holder.hybridize(False)
    assert not holder.inner._active
    holder.cast("float64")
    assert holder(x.astype("float64")).dtype == np.float64
    assert holder.inner.b.bias.data().dtype == np.float64


class _Heads(gluon.HybridBlock):
    """Outputs that take no gradient beside one that does."""

    def __init__(self, **kwargs):
        super(_Heads, self).__init__(**kwargs)
        with self.name_scope():
            self.fc = nn.Dense(3, in_units=4)

    def hybrid_forward(self, F, x):
        out = self.fc(x)
        return out, F.argmax(out, axis=1), F.BlockGrad(out * 2)


def test_outputs_without_gradient_under_record():
    results = []
    for hybridize in (False, True):
        net = _Heads(prefix="heads_")
        net.initialize(mx.init.Xavier())
        mx.random.seed(5)
        net.initialize(mx.init.Xavier(), force_reinit=True)
        if hybridize:
            net.hybridize()
        seen = []
        for step in range(3):
            x = mx.nd.array(np.random.RandomState(step).randn(2, 4))
            x.attach_grad()
            with mx.autograd.record():
                out, index, blocked = net(x)
                loss = (out * out).sum()
            loss.backward()
            seen += [out.asnumpy(), index.asnumpy(), blocked.asnumpy(),
                     x.grad.asnumpy(), net.fc.weight.grad().asnumpy()]
        results.append(seen)
    for index, (want, got) in enumerate(zip(*results)):
        np.testing.assert_array_equal(got, want, "item %d" % index)
    assert list(net._cached_op._differentiable.values()) == [False]


def test_data_gradients_only_where_taken():
    net = _Two(prefix="two_")
    net.initialize(mx.init.Xavier())
    net.hybridize()
    z = mx.nd.array(np.random.RandomState(4).randn(5, 6))
    z.attach_grad()
    for _ in range(2):
        with mx.autograd.record():
            loss = net(z * 3).sum() + net(mx.nd.ones((5, 6))).sum()
        loss.backward()
    want = z.grad.asnumpy()
    requests = sorted(set(key[1][0] for key in net._cached_op._slots))
    assert requests == ["null", "write"]  # the data's grad_req, per call
    net.hybridize(False)
    with mx.autograd.record():
        loss = net(z * 3).sum() + net(mx.nd.ones((5, 6))).sum()
    loss.backward()
    np.testing.assert_array_equal(z.grad.asnumpy(), want)


@pytest.mark.parametrize("hybridize", [False, True])
def test_frozen_network_records_nothing(hybridize):
    net = _Two(prefix="two_")
    net.initialize()
    net.collect_params().setattr("grad_req", "null")
    if hybridize:
        net.hybridize()
    with mx.autograd.record():
        loss = net(mx.nd.ones((2, 6))).sum()
    with pytest.raises(mx.base.MXNetError, match="cannot differentiate"):
        loss.backward()


def test_takes_gradient():
    from kiln.gluon._cached_graph import takes_gradient
    fresh = mx.nd.ones((2,))
    attached = mx.nd.ones((2,))
    attached.attach_grad()
    frozen = mx.nd.ones((2,))
    frozen.attach_grad(grad_req="null")
    with mx.autograd.record():
        computed = attached * 2
        untracked = fresh * 2
    assert not takes_gradient(fresh)
    assert takes_gradient(attached)
    assert not takes_gradient(frozen)
    assert takes_gradient(computed)
    assert not takes_gradient(untracked)
    assert not takes_gradient(attached * 2)  # not recorded
    computed.backward()
    np.testing.assert_array_equal(attached.grad.asnumpy(), [2, 2])
    assert takes_gradient(attached)  # the probe wrote nothing


def test_several_contexts():
    contexts = [mx.cpu(0), mx.cpu(1)]
    results = []
    for hybridize in (False, True):
        mx.random.seed(11)
        net = _Two(prefix="two_")
        net.initialize(mx.init.Xavier(), ctx=contexts)
        if hybridize:
            net.hybridize()
        batch = mx.nd.array(np.random.RandomState(8).randn(8, 6))
        seen = []
        for _ in range(2):
            with mx.autograd.record():
                losses = [net(part).sum() for part in
                          gluon.utils.split_and_load(batch, contexts)]
            mx.autograd.backward(losses)
            seen += [loss.asnumpy() for loss in losses]
            seen += [grad.asnumpy() for grad in net.b.weight.list_grad()]
        results.append(seen)
    for want, got in zip(*results):
        np.testing.assert_array_equal(got, want)


def test_signatures_in_turn_are_not_captured_on_every_call():
    # Nine batch sizes in turn, one more than the executors kept: each
    # return of an evicted size used to be captured again (about ten
    # op-by-op calls' time, every call). Now it runs op by op until it has
    # come back _RECAPTURE_AFTER times; outputs and gradients are those of
    # the imperative block.
    from kiln.gluon import _cached_graph
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(8, activation="relu"), mx.gluon.nn.Dense(3))
    net.initialize(mx.init.Xavier())
    rng = np.random.RandomState(1)
    sizes = range(1, _cached_graph._MAX_SIGNATURES + 2)
    inputs = {n: mx.nd.array(rng.randn(n, 5)) for n in sizes}

    def step(x):
        with mx.autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        return [net(x).asnumpy()] + [
            p.grad().asnumpy() for p in net.collect_params().values()]

    want = {n: step(x) for n, x in inputs.items()}
    net.hybridize()
    graph_binds = []
    rounds = 3
    for _ in range(rounds):
        for n, x in inputs.items():
            got = step(x)
            for a, b in zip(got, want[n]):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
            graph = net._cached_op
            if not graph_binds:
                real_bind = graph._bind
                graph._bind = lambda *args: (graph_binds.append(1),
                                             real_bind(*args))[1]
    # Each size once (the first's bind was before counting), none again.
    assert len(graph_binds) == len(inputs) - 1
    assert len(graph._slots) == _cached_graph._MAX_SIGNATURES


def test_executors_kept_for_few_input_signatures():
    # Each input signature's executor holds the arena of its shapes: a
    # block called with ever new shapes (variable-length sequences) kept
    # them all. The least recently used signatures go; one that comes back
    # runs op by op, then is captured again once it stays in use, and gives
    # the same results either way.
    from kiln.gluon import _cached_graph
    net = mx.gluon.nn.Dense(16, flatten=False)
    net.initialize()
    net.hybridize()
    rng = np.random.RandomState(0)
    inputs = {t: mx.nd.array(rng.randn(2, t, 8)) for t in range(1, 13)}
    first = {t: net(x).asnumpy() for t, x in inputs.items()}
    slots = net._cached_op._slots
    assert len(slots) == _cached_graph._MAX_SIGNATURES
    assert [key[0][0][0][1] for key in slots] == list(range(5, 13))
    for call in range(_cached_graph._RECAPTURE_AFTER):
        again = net(inputs[1]).asnumpy()  # evicted: op by op, then captured
        np.testing.assert_allclose(again, first[1], rtol=1e-6, atol=1e-6)
        captured = list(slots)[-1][0][0][0][1] == 1
        assert captured == (call == _cached_graph._RECAPTURE_AFTER - 1)
    np.testing.assert_array_equal(net(inputs[1]).asnumpy(), first[1])
    with mx.autograd.record():
        loss = net(inputs[2]).sum()
    loss.backward()
    np.testing.assert_allclose(net.weight.grad().asnumpy().sum(axis=0),
                               inputs[2].asnumpy().sum(axis=(0, 1)) * 16,
                               rtol=1e-4)
