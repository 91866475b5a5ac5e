"""mx.mon / mx.monitor and mx.viz / mx.visualization against MXNet 1.9.1:
Monitor on an Executor and through Module.fit, print_summary's table text
for LeNet and a small ResNet block, plot_network's Graphviz calls (through
a stand-in graphviz module, so neither side needs the real one), and bad
input raising MXNet's error classes."""
import re
import textwrap

import numpy as np
import pytest

import kiln as mx
import kiln.monitor  # noqa: F401  (mx.mon once kiln/__init__.py imports it)
import kiln.visualization  # noqa: F401  (mx.viz likewise)
from mxnet_oracle import (assert_mxnet_error_classes, requires_oracle,
                          run_both)


@pytest.mark.skipif(not hasattr(mx, "mon") or not hasattr(mx, "viz"),
                    reason="kiln/__init__.py does not import monitor and "
                    "visualization yet")
def test_mx_mon_and_mx_viz_aliases():
    assert mx.mon is mx.monitor
    assert mx.viz is mx.visualization


MLP = """
import re

def mlp():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=4, name="fc1")
    act = mx.sym.Activation(fc, act_type="relu", name="relu1")
    fc2 = mx.sym.FullyConnected(act, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(fc2, name="softmax")

def bound():
    exe = mlp().simple_bind(mx.cpu(), data=(2, 3))
    for name in sorted(exe.arg_dict):
        v = exe.arg_dict[name]
        v[:] = np.arange(v.size).reshape(v.shape) * 0.1 - 0.2
    return exe

def record(key, results):
    # toc()'s (batch, name, text): names and batches as they are, each
    # text's tab-separated numbers parsed (their last digits may print
    # differently), and whether every text ends with a tab.
    outputs[key + "/names"] = np.array([r[1] for r in results] or [""])
    outputs[key + "/steps"] = np.array([r[0] for r in results] or [-1])
    outputs[key + "/tabbed"] = np.array(all(r[2].endswith("\\t")
                                            for r in results))
    values = [float(v) for r in results
              for v in re.findall(r"-?[0-9.]+(?:e-?[0-9]+)?", r[2])]
    outputs[key + "/values"] = np.array(values or [0.0])
"""

MONITOR = MLP + """
exe = bound()
mon = mx.monitor.Monitor(1)
mon.install(exe)
mon.tic()
exe.forward(is_train=False)
record("default", mon.toc())
record("idle", mon.toc())          # not collecting: []

exe = bound()
mon = mx.monitor.Monitor(2, stat_func=lambda x: [x.sum(), x.max()],
                         pattern="fc.*", sort=True)
mon.install(exe)
for batch in range(3):
    mon.tic()
    exe.forward(is_train=False)
    record("interval/%d" % batch, mon.toc())

exe = bound()
mon = mx.monitor.Monitor(1, stat_func=lambda x: mx.nd.abs(x).max(axis=0),
                         pattern=".*output")
mon.install(exe)
mon.tic()
exe.forward(is_train=False)
record("vectors", mon.toc())

# Two executors share one monitor.
mon = mx.monitor.Monitor(1, pattern="fc2_.*")
exes = [bound(), bound()]
for exe in exes:
    mon.install(exe)
mon.tic()
for exe in exes:
    exe.forward(is_train=False)
record("two", mon.toc())

# Module.fit(monitor=...) logs 'Batch: ...' lines through toc_print.
import logging
lines = []
class Catch(logging.Handler):
    def emit(self, record):
        lines.append(record.getMessage())
logging.getLogger().addHandler(Catch())
logging.getLogger().setLevel(logging.INFO)
it = mx.io.NDArrayIter(inputs["x"], inputs["y"], batch_size=4)
mod = mx.mod.Module(mlp())
mon = mx.monitor.Monitor(2, pattern="(?!.*backward).*(output|weight)$")
mod.fit(it, num_epoch=1, monitor=mon, optimizer="sgd",
        initializer=mx.init.Constant(0.1),
        optimizer_params={"learning_rate": 0.5})
logged = [line.split() for line in lines if line.startswith("Batch:")]
outputs["fit/names"] = np.array([fields[2] for fields in logged])
outputs["fit/steps"] = np.array([int(fields[1]) for fields in logged])
outputs["fit/values"] = np.array([float(fields[3]) for fields in logged])
"""


def _batches(seed):
    """12 samples of 3 features and their labels among 3 classes."""
    rng = np.random.RandomState(seed)
    return dict(x=rng.randn(12, 3).astype(np.float32),
                y=rng.randint(0, 3, 12).astype(np.float32))


@requires_oracle
def test_monitor_matches_mxnet():
    got, want = run_both(MONITOR, mx, **_batches(1))
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        if want[key].dtype.kind in "fc":
            np.testing.assert_allclose(got[key], want[key], rtol=1e-5,
                                       atol=1e-6, err_msg=key)
        else:
            assert got[key].tolist() == want[key].tolist(), key
    # The test sees what it means to: statistics were collected.
    assert "fc1_output" in want["default/names"].tolist()
    assert want["fit/names"].size > 0


@requires_oracle
def test_monitor_all_names_match_mxnet():
    code = MLP + """
exe = bound()
mon = mx.monitor.Monitor(1, monitor_all=True)
mon.install(exe)
mon.tic()
exe.forward(is_train=False)
record("all", mon.toc())
"""
    got, want = run_both(code, mx)
    assert got["all/names"].tolist() == want["all/names"].tolist()


# Every array each executor reports, node by node, for an MLP and a small
# conv net (BatchNorm's hidden mean and var, Activation's input0, a
# residual add), monitor_all both ways, predicting and training with
# backward; then Monitor(interval, pattern, sort) through Module.fit with
# backward nodes included.
NODE_BY_NODE = MLP + """
def convnet():
    data = mx.sym.var("data")
    c = mx.sym.Convolution(data, kernel=(3, 3), num_filter=2, name="conv1")
    b = mx.sym.BatchNorm(c, fix_gamma=False, name="bn1")
    a = mx.sym.Activation(b, act_type="relu", name="relu1")
    s = mx.sym.elemwise_add(a, c, name="add1")
    p = mx.sym.Pooling(s, kernel=(2, 2), pool_type="avg", name="pool1")
    f = mx.sym.flatten(p, name="flat1")
    fc = mx.sym.FullyConnected(f, num_hidden=3, name="fc1")
    return mx.sym.SoftmaxOutput(fc, name="softmax")

nets = {"mlp": (mlp, (2, 3)), "conv": (convnet, (2, 1, 6, 6))}
for net, (make, shape) in sorted(nets.items()):
    for monitor_all in (False, True):
        for train in (False, True):
            exe = make().simple_bind(mx.cpu(), data=shape)
            for seed, name in enumerate(sorted(exe.arg_dict)):
                v = exe.arg_dict[name]
                v[:] = (np.cos(np.arange(v.size) + seed) * 0.5).reshape(
                    v.shape)
            exe.arg_dict["softmax_label"][:] = np.array([0, 2])
            mon = mx.monitor.Monitor(1, monitor_all=monitor_all)
            mon.install(exe)
            mon.tic()
            exe.forward(is_train=train)
            if train:
                exe.backward()
            key = "%s/%s/%s" % (net, monitor_all, train)
            record(key, mon.toc())
            outputs[key + "/tail"] = np.array(len(exe.arg_arrays) +
                                              len(exe.aux_arrays))
            outputs[key + "/grads"] = np.array([
                exe.grad_dict[name].asnumpy().sum()
                for name in sorted(exe.grad_dict)] if train else [0.0])

it = mx.io.NDArrayIter(inputs["x"], inputs["y"], batch_size=4)
mod = mx.mod.Module(mlp())
mon = mx.monitor.Monitor(3, pattern=".*backward.*|.*output", sort=True)
mod.fit(it, num_epoch=1, monitor=mon, optimizer="sgd",
        initializer=mx.init.Constant(0.1),
        optimizer_params={"learning_rate": 0.5})
mod.forward(mx.io.DataBatch([mx.nd.array(inputs["x"][:4])],
                            [mx.nd.array(inputs["y"][:4])]), is_train=True)
mon.tic()
mod.forward(mx.io.DataBatch([mx.nd.array(inputs["x"][:4])],
                            [mx.nd.array(inputs["y"][:4])]), is_train=True)
mod.backward()
record("module", mon.toc())
"""

# What MXNet reports that kiln does not (kiln/_executor_monitor.py): the
# helper nodes of its gradient graph and, with monitor_all, the backward
# nodes' inputs (each variable input named again before them).
_NOT_REPORTED = re.compile(r"sum_grad_|zeros_without_dtype|_head_grad_|"
                           r".*_backward_input[0-9]+$")


def _reported_by_kiln(names, values, tail, inputs):
    """MXNet's [(name, value)] less what kiln does not report (with
    `inputs`, monitor_all's, also the variables named before backward
    inputs); the last `tail` (toc's arguments and auxiliary states) kept
    as they are."""
    pairs = list(zip(names, values))
    body, end = pairs[:len(pairs) - tail], pairs[len(pairs) - tail:]
    kept, backward = [], False
    for name, value in body:
        backward = backward or "_backward_" in name
        if _NOT_REPORTED.match(name) or (inputs and backward and
                                         "_backward_" not in name):
            continue
        kept.append((name, value))
    return kept + end


@requires_oracle
def test_monitor_reports_every_node_as_mxnet():
    got, want = run_both(NODE_BY_NODE, mx, **_batches(2))
    assert sorted(got) == sorted(want)
    # The test sees what it means to: hidden outputs, positional input
    # names, backward nodes and the helper nodes left out.
    assert "bn1_var" in want["conv/False/False/names"].tolist()
    assert "relu1_input0" in want["conv/True/False/names"].tolist()
    assert "sum_grad_output" in want["conv/False/True/names"].tolist()
    assert "fc1_backward_output1" in want["module/names"].tolist()
    keys = sorted(key[:-len("/names")] for key in want
                  if key.endswith("/names"))
    assert len(keys) == 9
    for key in keys:
        names = want[key + "/names"].tolist()
        tail = 0 if key == "module" else int(want[key + "/tail"])
        expected = _reported_by_kiln(
            names, list(zip(want[key + "/values"], want[key + "/steps"])),
            tail, "/True/" in key)
        assert got[key + "/names"].tolist() == [n for n, _ in expected], key
        # Module binds data with grad_req 'null': MXNet's executor leaves
        # that gradient output unwritten (its buffer holds another array's
        # values); kiln reports the gradient.
        compared = [index for index, (name, _) in enumerate(expected)
                    if not (key == "module" and
                            name == "fc1_backward_output0")]
        np.testing.assert_allclose(got[key + "/values"][compared],
                                   [expected[i][1][0] for i in compared],
                                   rtol=1e-4, atol=1e-5, err_msg=key)
        assert got[key + "/steps"].tolist() == [s for _, (_, s) in expected]
        if key != "module":
            np.testing.assert_allclose(got[key + "/grads"],
                                       want[key + "/grads"], rtol=1e-4,
                                       atol=1e-5, err_msg=key)


def test_monitored_training_equals_the_captured_run():
    # The node-by-node run behind a monitor (grad_req 'add', given head
    # gradients, BatchNorm's moving statistics) gives the captured run's
    # arrays.
    scope = {"mx": mx, "np": np, "outputs": {}, "inputs": {}}
    exec(textwrap.dedent(NODE_BY_NODE.split("nets = {")[0]), scope)
    arrays = []
    for monitored in (False, True):
        exe = scope["convnet"]().simple_bind(mx.cpu(), data=(2, 1, 6, 6),
                                             grad_req="add")
        for seed, name in enumerate(sorted(exe.arg_dict)):
            v = exe.arg_dict[name]
            v[:] = (np.cos(np.arange(v.size) + seed) * 0.5).reshape(v.shape)
        if monitored:
            seen = []
            exe.set_monitor_callback(lambda name, _: seen.append(name), True)
        for _ in range(2):
            exe.forward(is_train=True)
            exe.backward(out_grads=[mx.nd.ones((2, 3)) * 0.5])
        arrays.append({name: array.asnumpy() for name, array in
                       list(exe.grad_dict.items()) +
                       list(exe.aux_dict.items()) +
                       [("output", exe.outputs[0])]})
    assert "conv1_backward_output1" in seen and "bn1_mean" in seen
    assert arrays[0]["bn1_moving_var"].sum() != 2  # updated by training
    for name in arrays[0]:
        np.testing.assert_allclose(arrays[1][name], arrays[0][name],
                                   rtol=1e-6, atol=1e-7, err_msg=name)


def test_monitor_all_reports_operator_inputs():
    scope = {"mx": mx, "np": np, "outputs": {}}
    exec(textwrap.dedent(MLP + """
exe = bound()
mon = mx.monitor.Monitor(1, monitor_all=True, pattern="fc1_.*")
mon.install(exe)
mon.tic()
exe.forward(is_train=False)
record("all", mon.toc())
"""), scope)
    # As MXNet: a variable input under its own name, then as the input.
    assert scope["outputs"]["all/names"].tolist() == [
        "fc1_data", "fc1_weight", "fc1_weight", "fc1_bias", "fc1_bias",
        "fc1_output", "fc1_weight", "fc1_bias"]


def test_toc_print_logs_each_statistic(caplog):
    scope = {"mx": mx, "np": np, "outputs": {}}
    exec(textwrap.dedent(MLP), scope)
    exe = scope["bound"]()
    mon = mx.monitor.Monitor(1, pattern="softmax_output")
    mon.install(exe)
    mon.tic()
    exe.forward(is_train=False)
    with caplog.at_level("INFO"):
        mon.toc_print()
    assert re.fullmatch(r"Batch:       1 softmax_output {17}[0-9.]+\t",
                        caplog.records[0].getMessage())


# ---- visualization ---------------------------------------------------------

NETS = """
def lenet():
    data = mx.sym.var("data")
    c1 = mx.sym.Convolution(data, kernel=(5, 5), num_filter=20, name="conv1")
    t1 = mx.sym.Activation(c1, act_type="tanh", name="tanh1")
    p1 = mx.sym.Pooling(t1, pool_type="max", kernel=(2, 2), stride=(2, 2),
                        name="pool1")
    c2 = mx.sym.Convolution(p1, kernel=(5, 5), num_filter=50, name="conv2")
    t2 = mx.sym.Activation(c2, act_type="tanh", name="tanh2")
    p2 = mx.sym.Pooling(t2, pool_type="avg", kernel=(2, 2), name="pool2")
    f = mx.sym.flatten(p2, name="flat")
    fc1 = mx.sym.FullyConnected(f, num_hidden=500, name="fc1")
    t3 = mx.sym.LeakyReLU(fc1, act_type="elu", name="elu")
    fc2 = mx.sym.FullyConnected(t3, num_hidden=10, no_bias=True, name="fc2")
    return mx.sym.SoftmaxOutput(fc2, name="softmax")

def resblock():
    data = mx.sym.var("data")
    bn1 = mx.sym.BatchNorm(data, fix_gamma=False, name="bn1")
    a1 = mx.sym.Activation(bn1, act_type="relu", name="relu1")
    c1 = mx.sym.Convolution(a1, num_filter=8, kernel=(3, 3), pad=(1, 1),
                            no_bias=True, name="conv1")
    bn2 = mx.sym.BatchNorm(c1, fix_gamma=False, name="bn2")
    a2 = mx.sym.LeakyReLU(bn2, name="leaky")
    c2 = mx.sym.Convolution(a2, num_filter=8, kernel=(3, 3), pad=(1, 1),
                            num_group=4, stride=(1, 1), name="conv2")
    sc = mx.sym.Convolution(a1, num_filter=8, kernel=(1, 1), no_bias=True,
                            name="sc")
    s = mx.sym.elemwise_add(c2, sc, name="add")
    cat = mx.sym.Concat(s, sc, dim=1, name="cat")
    parts = mx.sym.split(cat, num_outputs=2, axis=1, name="split")
    r = mx.sym.Reshape(parts[1], shape=(0, -1), name="reshape")
    e = mx.sym.Embedding(mx.sym.var("idx"), input_dim=10, output_dim=4,
                         name="emb")
    return mx.sym.Group([r, e])
"""

SUMMARY = NETS + """
import contextlib, io
def summary(key, *args, **kwargs):
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        mx.visualization.print_summary(*args, **kwargs)
    outputs[key] = np.array(text.getvalue())

summary("lenet", lenet(), shape={"data": (1, 1, 28, 28)})
summary("lenet_no_shape", lenet())
summary("lenet_narrow", lenet(), shape={"data": (2, 1, 28, 28)},
        line_length=60, positions=[.5, .7, .8, 1.])
summary("res", resblock(), shape={"data": (2, 4, 8, 8), "idx": (2,)})
summary("res_columns", resblock(), shape={"data": (2, 4, 8, 8), "idx": (2,)},
        line_length=90, positions=[30, 55, 70, 90])
"""


@requires_oracle
def test_print_summary_text_matches_mxnet():
    got, want = run_both(SUMMARY, mx)
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        assert str(got[key]) == str(want[key]), key
    assert "conv1(Convolution)" in str(want["lenet"])


GRAPHVIZ_STUB = """
import sys, types, warnings
calls = []
class Digraph(object):
    def __init__(self, name=None, format=None, **kwargs):
        calls.append(repr(("Digraph", name, format, sorted(kwargs.items()))))
    def node(self, name, label=None, **attrs):
        calls.append(repr(("node", name, label, sorted(attrs.items()))))
    def edge(self, tail_name, head_name, **attrs):
        calls.append(repr(("edge", tail_name, head_name,
                           sorted(attrs.items()))))
stub = types.ModuleType("graphviz")
stub.Digraph = Digraph
sys.modules["graphviz"] = stub

def plot(key, *args, **kwargs):
    del calls[:]
    dot = mx.visualization.plot_network(*args, **kwargs)
    outputs[key] = np.array(calls)
    outputs[key + "/type"] = np.array(type(dot).__name__)
"""

PLOTS = NETS + GRAPHVIZ_STUB + """
plot("lenet", lenet())
plot("lenet_shape", lenet(), title="LeNet", save_format="png",
     shape={"data": (1, 1, 28, 28)})
plot("lenet_dtype", lenet(), shape={"data": (1, 1, 28, 28)},
     dtype={"data": np.float32})
plot("res_weights", resblock(), hide_weights=False,
     node_attrs={"shape": "oval", "fixedsize": "false"})
plot("res_shape", resblock(), shape={"data": (2, 4, 8, 8), "idx": (3,)})
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    a = mx.sym.var("x")
    plot("repeated", mx.sym.elemwise_add(a, mx.sym.var("x"), name="sum"))
outputs["repeated/warning"] = np.array(
    [w.category.__name__ for w in caught if "same name" in str(w.message)])
"""


@pytest.fixture
def graphviz_restored(monkeypatch):
    """Puts sys.modules' graphviz entry back after a test that installs
    the stand-in (GRAPHVIZ_STUB) in this process."""
    import sys
    # setitem records the entry (or its absence) for monkeypatch to restore.
    monkeypatch.setitem(sys.modules, "graphviz", sys.modules.get("graphviz"))


@requires_oracle
@pytest.mark.usefixtures("graphviz_restored")
def test_plot_network_calls_graphviz_as_mxnet():
    got, want = run_both(PLOTS, mx)
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        assert got[key].tolist() == want[key].tolist(), key
    assert want["lenet_shape"].size > 10


def test_plot_network_needs_graphviz(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "graphviz", None)
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2)
    with pytest.raises(ImportError, match="Draw network requires graphviz"):
        mx.visualization.plot_network(net)


def test_plot_network_draws_with_the_real_graphviz():
    graphviz = pytest.importorskip("graphviz")
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")
    dot = mx.visualization.plot_network(net, shape={"data": (1, 3)})
    assert isinstance(dot, graphviz.Digraph)
    assert "FullyConnected" in dot.source and "fc -> data" in dot.source


# Bad input: (name, expression, kiln's error class, kiln's message); MXNet
# 1.9.1 raises the same classes (the graphviz stand-in present).
BAD_PRELUDE = NETS + GRAPHVIZ_STUB + """
import re
net = lenet()
"""
BAD_INPUTS = [
    ("summary_not_symbol", "mx.visualization.print_summary(3)", TypeError,
     "symbol must be Symbol"),
    ("summary_incomplete_shape",
     "mx.visualization.print_summary(net, shape={})", ValueError,
     "Input shape is incomplete"),
    ("plot_not_symbol", "mx.visualization.plot_network('net')", TypeError,
     "symbol must be a Symbol"),
    ("plot_incomplete_shape", "mx.visualization.plot_network(net, shape={})",
     ValueError, "Input shape is incomplete"),
    ("monitor_bad_pattern", "mx.monitor.Monitor(1, pattern='(')", re.error,
     "missing \\)"),
    ("monitor_stat_not_ndarray",
     "(lambda m, e: (m.install(e), m.tic(), e.forward(), m.toc()))("
     "mx.monitor.Monitor(1, stat_func=lambda x: 1.0), "
     "net.simple_bind(mx.cpu(), data=(1, 1, 28, 28)))", AssertionError,
     "stat_func must return an NDArray or a list of NDArray, got float"),
]


@pytest.mark.parametrize("name,expression,error,message", BAD_INPUTS,
                         ids=[case[0] for case in BAD_INPUTS])
@pytest.mark.usefixtures("graphviz_restored")
def test_bad_input_raises_naming_the_problem(name, expression, error, message):
    import warnings
    scope = {"mx": mx, "np": np, "outputs": {}}
    exec(textwrap.dedent(BAD_PRELUDE), scope)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # infer_shape's unknown-shape note
        with pytest.raises(error, match=message):
            eval(expression, scope)


@requires_oracle
def test_mxnet_raises_the_same_classes():
    assert_mxnet_error_classes(BAD_PRELUDE, BAD_INPUTS)
