"""Edge cases for contrib.BatchNormWithReLU, the executor's BatchNorm->relu
fusion, zero-copy reshape views inside graphs and autograd, and the 2x2
max-pooling backward (AVX-512 rows).

Regression tests pin behaviour checked against MXNet 1.9.1 (or, where MXNet
only defines the MKL-DNN float32 4-D case, against kiln's own BatchNorm
followed by relu); strict xfails record confirmed divergences.
"""
import os
import tempfile

import numpy as np
import pytest

import kiln as mx
import kiln.gluon  # noqa: F401  (attaches mx.gluon)
from mxnet_oracle import requires_oracle, run_both, run_mxnet

nd = mx.nd
sym = mx.sym


# -- BatchNormWithReLU, imperative --------------------------------------------

def _bn_relu_step(mxm, op, dtype="float32", shape=(4, 3, 5, 5), train=True,
                  req="write", xdata=None, **kw):
    """One recorded BatchNorm(+relu) step; returns the outputs, the gradients
    of data, gamma and beta, then moving_mean, moving_var and gamma."""
    axis = kw.get("axis", 1)
    channels = shape[axis]
    size = int(np.prod(shape))
    if xdata is None:
        xdata = np.sin(np.arange(size) * 0.7).reshape(shape) * 2
    x = mxm.nd.array(xdata, dtype=dtype)
    pdt = "float32" if dtype == "float16" else dtype
    g = mxm.nd.array(np.linspace(0.5, 1.5, channels), dtype=pdt)
    b = mxm.nd.array(np.linspace(-0.2, 0.3, channels), dtype=pdt)
    mm = mxm.nd.array(np.linspace(-0.1, 0.1, channels), dtype=pdt)
    mv = mxm.nd.array(np.linspace(0.5, 2, channels), dtype=pdt)
    for a in (x, g, b):
        a.attach_grad(grad_req=req)
        if req == "add":
            a.grad[:] = 0.5
    head = mxm.nd.array(np.cos(np.arange(size)).reshape(shape), dtype=dtype)
    with mxm.autograd.record(train_mode=train):
        if op == "fused":
            y = mxm.nd.contrib.BatchNormWithReLU(x, g, b, mm, mv, **kw)
        else:
            y = mxm.nd.BatchNorm(x, g, b, mm, mv, **kw)
            y = ([mxm.nd.relu(y[0])] + list(y[1:])
                 if isinstance(y, (list, tuple)) else mxm.nd.relu(y))
        first = y[0] if isinstance(y, (list, tuple)) else y
    first.backward(head)
    outs = list(y) if isinstance(y, (list, tuple)) else [y]
    return [a.asnumpy() for a in outs + [x.grad, g.grad, b.grad, mm, mv, g]]


_FUSED_CASES = [
    {}, dict(eps=0.1), dict(momentum=0.3), dict(fix_gamma=False),
    dict(use_global_stats=True, fix_gamma=False),
    dict(output_mean_var=True, fix_gamma=False),
    dict(axis=-1, fix_gamma=False), dict(axis=3), dict(axis=-4),
    dict(shape=(6, 3)), dict(shape=(2, 3, 7), axis=2),
    dict(shape=(7,), axis=-1), dict(shape=(2, 3, 2, 3, 20), axis=-1),
    dict(shape=(0, 3, 2, 2)), dict(shape=(1, 3, 1, 1)),
    dict(shape=(64, 70, 3, 3)), dict(dtype="float16"),
    dict(dtype="float16", axis=-1, shape=(3, 4, 5, 33)),
    dict(dtype="float64", shape=(64, 70, 3, 3)),
    dict(shape=(4, 3), xdata=np.full((4, 3), 5.0)),  # zero variance
]


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("req", ["write", "add"])
def test_bn_relu_equals_batchnorm_then_relu_bitwise(train, req):
    # MXNet runs BatchNormWithReLU only through MKL-DNN (4-D float32,
    # axis 1); elsewhere kiln's must equal its own BatchNorm then relu.
    for case in _FUSED_CASES:
        kw = dict(case, train=train, req=req)
        fused = _bn_relu_step(mx, "fused", **kw)
        parts = _bn_relu_step(mx, "sep", **kw)
        assert len(fused) == len(parts)
        for got, want in zip(fused, parts):
            assert got.dtype == want.dtype and got.shape == want.shape, case
            np.testing.assert_array_equal(got, want, err_msg=str(case))


_ORACLE_BN_RELU = """
def step(kw, train=True):
    x = mx.nd.array(inputs["x"]); g = mx.nd.array([0.5, 1.0, 1.5])
    b = mx.nd.array([-0.2, 0.05, 0.3]); mm = mx.nd.array([-0.1, 0.0, 0.1])
    mv = mx.nd.array([0.5, 1.25, 2.0])
    for a in (x, g, b):
        a.attach_grad()
    with mx.autograd.record(train_mode=train):
        y = mx.nd.contrib.BatchNormWithReLU(x, g, b, mm, mv, **kw)
        first = y[0] if isinstance(y, (list, tuple)) else y
    first.backward(mx.nd.array(inputs["head"]))
    outs = list(y) if isinstance(y, (list, tuple)) else [y]
    return outs + [x.grad, g.grad, b.grad, mm, mv, g]
cases = {"default": {}, "eps": dict(eps=0.1), "mom": dict(momentum=0.3),
         "nofix": dict(fix_gamma=False),
         "global": dict(use_global_stats=True, fix_gamma=False),
         "omv": dict(output_mean_var=True, fix_gamma=False),
         "cudnn": dict(cudnn_off=True, fix_gamma=False)}
for name, kw in cases.items():
    for i, a in enumerate(step(kw)):
        outputs["%s/%d" % (name, i)] = a.asnumpy()
x = mx.nd.array(inputs["x"])
p = [mx.nd.ones((3,)), mx.nd.zeros((3,)), mx.nd.zeros((3,)), mx.nd.ones((3,))]
o = mx.nd.zeros(x.shape)
r = mx.nd.contrib.BatchNormWithReLU(x, *p, out=o)
outputs["out/o"] = o.asnumpy(); outputs["out/r"] = r.asnumpy()
d = mx.sym.var("data")
s = mx.sym.contrib.BatchNormWithReLU(d, name="bnr", fix_gamma=False,
                                     eps=1e-4, momentum=0.8)
outputs["sym/args"] = np.array(s.list_arguments())
outputs["sym/aux"] = np.array(s.list_auxiliary_states())
outputs["sym/outs"] = np.array(s.list_outputs())
s2 = mx.sym.contrib.BatchNormWithReLU(d, name="bnr", output_mean_var=True)
outputs["sym/omv_outs"] = np.array(s2.list_outputs())
ex = s.simple_bind(mx.cpu(), data=(4, 3, 5, 5))
ex.arg_dict["data"][:] = inputs["x"]
ex.arg_dict["bnr_gamma"][:] = mx.nd.array([0.5, 1.0, 2.0])
ex.arg_dict["bnr_beta"][:] = mx.nd.array([0.1, -0.1, 0.0])
for t in range(2):
    outputs["exec/out%d" % t] = ex.forward(is_train=True)[0].asnumpy()
    ex.backward(mx.nd.array(inputs["head"]))
for k in ("data", "bnr_gamma", "bnr_beta"):
    outputs["exec/grad_" + k] = ex.grad_dict[k].asnumpy()
for k in ("bnr_moving_mean", "bnr_moving_var"):
    outputs["exec/" + k] = ex.aux_dict[k].asnumpy()
"""


@requires_oracle
def test_bn_relu_matches_mxnet_float32_nchw():
    rs = np.random.RandomState(0)
    x = rs.randn(4, 3, 5, 5).astype(np.float32)
    head = rs.randn(4, 3, 5, 5).astype(np.float32)
    got, want = run_both(_ORACLE_BN_RELU, mx, x=x, head=head)
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        if want[key].dtype.kind in "US":
            assert got[key].tolist() == want[key].tolist(), key
        else:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-4,
                                       atol=1e-4, err_msg=key)


def test_bn_relu_bad_inputs_name_the_problem():
    x = nd.ones((2, 3, 2, 2))

    def params(n=3, dtype="float32"):
        return [nd.ones((n,), dtype=dtype), nd.zeros((n,), dtype=dtype),
                nd.zeros((n,), dtype=dtype), nd.ones((n,), dtype=dtype)]
    bad = [
        (lambda: nd.contrib.BatchNormWithReLU(
            x, nd.ones((4,)), *params()[1:]), "gamma expected shape (3,)"),
        (lambda: nd.contrib.BatchNormWithReLU(
            x, *params()[:3], nd.ones((2,))), "moving_var expected shape"),
        (lambda: nd.contrib.BatchNormWithReLU(
            x, *params(dtype="float64")), "expected dtype float32"),
        (lambda: nd.contrib.BatchNormWithReLU(
            nd.ones((2, 3, 2, 2), dtype="int32"), *params()), "int32"),
        (lambda: nd.contrib.BatchNormWithReLU(x, *params(), axis=4),
         "axis 4 is out of range"),
        (lambda: nd.contrib.BatchNormWithReLU(x, *params(), foo=1), "foo"),
        (lambda: nd.contrib.BatchNormWithReLU(
            x, *params(), out=nd.zeros((2, 3, 2, 3))),
         "expected shape (2, 3, 2, 2)"),
        (lambda: nd.contrib.BatchNormWithReLU(
            x, *params(), out=nd.zeros((2, 3, 2, 2), dtype="float64")),
         "float64"),
    ]
    for call, text in bad:
        with pytest.raises(mx.base.MXNetError) as info:
            call()
        assert "BatchNormWithReLU" in str(info.value), str(info.value)
        assert text in str(info.value), str(info.value)


@requires_oracle
def test_bn_relu_json_loads_in_mxnet():
    d = sym.var("data")
    s = sym.contrib.BatchNormWithReLU(d, name="bnr", fix_gamma=False,
                                      eps=1e-4, momentum=0.8)
    text = s.tojson()
    assert "_contrib_BatchNormWithReLU" in text
    again = sym.load_json(text)
    assert again.tojson() == text
    x = np.random.RandomState(1).randn(2, 3, 4, 4).astype(np.float32)
    ex = again.simple_bind(mx.cpu(), data=x.shape)
    ex.arg_dict["data"][:] = x
    ex.arg_dict["bnr_gamma"][:] = nd.array([0.5, 1.0, 2.0])
    mine = ex.forward(is_train=True)[0].asnumpy()
    want = run_mxnet("""
        s = mx.sym.load_json(str(inputs["json"]))
        ex = s.simple_bind(mx.cpu(), data=inputs["x"].shape)
        ex.arg_dict["data"][:] = inputs["x"]
        ex.arg_dict["bnr_gamma"][:] = mx.nd.array([0.5, 1.0, 2.0])
        outputs["y"] = ex.forward(is_train=True)[0].asnumpy()
        outputs["attrs"] = np.array(sorted(s.attr_dict()["bnr"].items()))
    """, json=np.array(text), x=x)
    np.testing.assert_allclose(mine, want["y"], rtol=1e-4, atol=1e-5)
    assert (sorted(map(list, again.attr_dict()["bnr"].items())) ==
            want["attrs"].tolist())


# -- BatchNormWithReLU: confirmed divergences ---------------------------------

@requires_oracle
def test_bn_relu_propagates_nan_like_mxnet():
    x = np.random.RandomState(0).randn(2, 3, 2, 2).astype(np.float32)
    x[0, 0, 0, 0] = np.nan
    want = run_mxnet("""
        p = [mx.nd.ones((3,)), mx.nd.zeros((3,)), mx.nd.zeros((3,)),
             mx.nd.ones((3,))]
        outputs["y"] = mx.nd.contrib.BatchNormWithReLU(
            mx.nd.array(inputs["x"]), *p).asnumpy()
    """, x=x)
    assert np.isnan(want["y"][0, 0, 0, 0])
    p = [nd.ones((3,)), nd.zeros((3,)), nd.zeros((3,)), nd.ones((3,))]
    got = nd.contrib.BatchNormWithReLU(nd.array(x), *p).asnumpy()
    np.testing.assert_array_equal(got, want["y"])


@pytest.mark.parametrize("make", [sym.contrib.BatchNormWithReLU,
                                  sym.BatchNorm])
def test_bn_float16_infer_type_keeps_params_float32(make):
    s = make(sym.var("data"), name="bn")
    args, outs, aux = s.infer_type(data="float16")
    # MXNet 1.9.1: [float16, float32, float32], [float16], [float32]*2
    assert args == [np.float16, np.float32, np.float32]
    assert outs == [np.float16]
    assert aux == [np.float32, np.float32]
    # float64 data keeps float64 parameters.
    assert s.infer_type(data="float64")[0] == [np.float64] * 3
    # simple_bind makes them so, and the graph runs on them.
    executor = s.simple_bind(mx.cpu(), data=(2, 3, 2, 2),
                             type_dict={"data": "float16"})
    assert executor.arg_dict["bn_gamma"].dtype == np.float32
    assert executor.aux_dict["bn_moving_var"].dtype == np.float32
    executor.arg_dict["data"][:] = np.arange(24).reshape(2, 3, 2, 2) - 12
    executor.arg_dict["bn_gamma"][:] = 1
    executor.aux_dict["bn_moving_var"][:] = 1
    out = executor.forward(is_train=False)[0]
    assert out.dtype == np.float16
    want = np.arange(24).reshape(2, 3, 2, 2) - 12.0
    want = want / np.sqrt(1 + 1e-3)
    if make is sym.contrib.BatchNormWithReLU:
        want = np.maximum(want, 0)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=2e-3, atol=2e-3)


@pytest.mark.xfail(strict=True, reason="with fix_gamma and grad_req 'add' "
                   "kiln adds 0 to gamma's gradient; MXNet 1.9.1's "
                   "BatchNormWithReLU (MKL-DNN) writes 0")
def test_bn_relu_fix_gamma_add_zeroes_gamma_grad():
    x = nd.array(np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2))
    g = nd.ones((3,))
    g.attach_grad(grad_req="add")
    g.grad[:] = 0.5
    with mx.autograd.record():
        y = nd.contrib.BatchNormWithReLU(x, g, nd.zeros((3,)), nd.zeros((3,)),
                                         nd.ones((3,)))
    y.backward()
    # MXNet 1.9.1 prints [0. 0. 0.] here.
    np.testing.assert_array_equal(g.grad.asnumpy(), np.zeros(3, np.float32))


# -- executor fusion ------------------------------------------------------------

def _bind_run(symbol, req="write", train=True, steps=2, shape=(4, 3, 5, 5),
              dtype="float32", simple=True):
    """Two forward/backward steps of `symbol`; the outputs of each step, then
    the gradients and auxiliary states (sorted by name)."""
    if simple:
        ex = symbol.simple_bind(mx.cpu(), grad_req=req, data=shape,
                                type_dict={"data": dtype})
    else:
        arg_shapes, _, aux_shapes = symbol.infer_shape(data=shape)
        args = {n: nd.zeros(s, dtype=dtype)
                for n, s in zip(symbol.list_arguments(), arg_shapes)}
        grads = {n: nd.zeros(a.shape, dtype=dtype) for n, a in args.items()}
        aux = {n: nd.zeros(s, dtype=dtype)
               for n, s in zip(symbol.list_auxiliary_states(), aux_shapes)}
        ex = symbol.bind(mx.cpu(), args, args_grad=grads, grad_req=req,
                         aux_states=aux)
    for name, array in sorted(ex.arg_dict.items()):
        if name == "data":
            array[:] = nd.array(np.sin(np.arange(array.size) * 0.37)
                                .reshape(array.shape) * 2)
        else:
            array[:] = nd.array(np.linspace(0.5, 1.5, array.size)
                                .reshape(array.shape))
    for name, array in ex.aux_dict.items():
        array[:] = 1 if "var" in name else 0.1
    if req == "add":
        for grad in ex.grad_dict.values():
            if grad is not None:
                grad[:] = 0.25
    outs = []
    for _ in range(steps):
        results = ex.forward(is_train=train)
        outs += [a.copy() for a in results]
        if train:
            ex.backward([nd.array(np.cos(np.arange(a.size)).reshape(a.shape))
                         .astype(a.dtype) for a in results])
    grads = [ex.grad_dict[k] for k in sorted(ex.grad_dict)
             if ex.grad_dict[k] is not None]
    return [a.asnumpy() for a in
            outs + grads + [ex.aux_dict[k] for k in sorted(ex.aux_dict)]]


def _graphs():
    d = sym.var("data")

    def bn(x, name="bn", **kw):
        return sym.BatchNorm(x, name=name, **kw)

    def act(x):
        return sym.Activation(x, act_type="relu")
    graphs = {
        "basic": act(bn(d)),
        "nofix": act(bn(d, fix_gamma=False)),
        "relu_op": sym.relu(bn(d, fix_gamma=False)),
        "global": act(bn(d, fix_gamma=False, use_global_stats=True)),
        "axis-1": act(bn(d, fix_gamma=False, axis=-1)),
        "eps_mom": act(bn(d, fix_gamma=False, momentum=0.5, eps=0.3)),
        "omv": (lambda b: sym.Group([act(b[0]), b[1], b[2]]))(
            bn(d, fix_gamma=False, output_mean_var=True)),
        "chain": act(bn(act(bn(d, fix_gamma=False, name="bn1")),
                        fix_gamma=False, name="bn2")),
        "conv": act(bn(sym.Convolution(d, kernel=(3, 3), num_filter=4,
                                       pad=(1, 1), name="c"),
                       fix_gamma=False)),
        "two_readers": (lambda b: act(b) + b * 2)(bn(d, fix_gamma=False)),
        "two_relus": (lambda b: act(b) + sym.relu(b))(bn(d, fix_gamma=False)),
        "flatten_fc": sym.FullyConnected(sym.flatten(act(bn(
            d, fix_gamma=False))), num_hidden=3, name="fc"),
    }
    shared = bn(d, fix_gamma=False)
    graphs["bn_is_output"] = sym.Group([act(shared), shared])
    graphs["internals"] = act(bn(d, fix_gamma=False)).get_internals()
    return graphs


def _with_fusion(monkeypatch, on, run):
    monkeypatch.setenv("KILN_FUSE_BN_RELU", "1" if on else "0")
    return run()


def test_executor_fusion_matches_unfused_bitwise(monkeypatch):
    variants = [dict(), dict(train=False), dict(req="add"),
                dict(simple=False)]
    for name, graph in _graphs().items():
        for kw in variants:
            fused = _with_fusion(monkeypatch, True,
                                 lambda: _bind_run(graph, **kw))
            plain = _with_fusion(monkeypatch, False,
                                 lambda: _bind_run(graph, **kw))
            assert len(fused) == len(plain), (name, kw)
            for a, b in zip(fused, plain):
                np.testing.assert_array_equal(a, b, err_msg="%s %s" % (name,
                                                                       kw))


_ORACLE_GRAPHS = """
d = mx.sym.var("data")
def bn(x, name="bn", **kw): return mx.sym.BatchNorm(x, name=name, **kw)
def act(x): return mx.sym.Activation(x, act_type="relu")
graphs = {"nofix": act(bn(d, fix_gamma=False)),
          "relu_op": mx.sym.relu(bn(d, fix_gamma=False)),
          "chain": act(bn(act(bn(d, fix_gamma=False, name="bn1")),
                          fix_gamma=False, name="bn2"))}
shared = bn(d, fix_gamma=False)
graphs["bn_is_output"] = mx.sym.Group([act(shared), shared])
for name, g in graphs.items():
    ex = g.simple_bind(mx.cpu(), data=(4, 3, 5, 5))
    for n, a in sorted(ex.arg_dict.items()):
        if n == "data":
            a[:] = mx.nd.array(np.sin(np.arange(a.size) * 0.37)
                               .reshape(a.shape) * 2)
        else:
            a[:] = mx.nd.array(np.linspace(0.5, 1.5, a.size).reshape(a.shape))
    for n, a in ex.aux_dict.items():
        a[:] = 1 if "var" in n else 0.1
    for step in range(2):
        res = ex.forward(is_train=True)
        for i, a in enumerate(res):
            outputs["%s/out%d_%d" % (name, step, i)] = a.asnumpy()
        ex.backward([mx.nd.array(np.cos(np.arange(a.size)).reshape(a.shape))
                     for a in res])
    for k in sorted(ex.grad_dict):
        outputs["%s/grad_%s" % (name, k)] = ex.grad_dict[k].asnumpy()
    for k in sorted(ex.aux_dict):
        outputs["%s/aux_%s" % (name, k)] = ex.aux_dict[k].asnumpy()
"""


@requires_oracle
def test_executor_fusion_matches_mxnet(monkeypatch):
    monkeypatch.setenv("KILN_FUSE_BN_RELU", "1")
    got, want = run_both(_ORACLE_GRAPHS, mx)
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-4, atol=1e-4,
                                   err_msg=key)


def test_monitor_installed_after_capture_sees_batchnorm_output():
    d = sym.var("data")
    y = sym.Activation(sym.BatchNorm(d, fix_gamma=False, name="bn"),
                       act_type="relu", name="act")
    ex = y.simple_bind(mx.cpu(), data=(4, 3, 2, 2))
    ex.arg_dict["data"][:] = nd.array(np.sin(np.arange(48)).reshape(4, 3, 2,
                                                                    2))
    ex.forward(is_train=True)  # captures the fused program
    ex.backward(nd.ones((4, 3, 2, 2)))
    seen = []
    ex.set_monitor_callback(lambda name, array: seen.append(name),
                            monitor_all=True)
    ex.forward(is_train=True)  # a monitored step: node by node
    ex.backward(nd.ones((4, 3, 2, 2)))
    del seen[:]
    ex.forward(is_train=False)
    # As MXNet 1.9.1's names (bytes there).
    assert sorted(set(seen)) == [
        "act_input0", "act_output", "bn_beta", "bn_data", "bn_gamma",
        "bn_mean", "bn_moving_mean", "bn_moving_var", "bn_output", "bn_var",
        "data"]
    np.testing.assert_allclose(ex.aux_dict["bn_moving_mean"].asnumpy(),
                               [0.04420149, -0.07285516, 0.05104114],
                               rtol=1e-5)


def test_fused_error_names_the_batchnorm_node(monkeypatch):
    monkeypatch.setenv("KILN_FUSE_BN_RELU", "1")
    d = sym.var("data")
    y = sym.Activation(sym.BatchNorm(d, name="bn"), act_type="relu",
                       name="act")
    # Found at bind, as MXNet's, naming the BatchNorm.
    with pytest.raises(mx.base.MXNetError) as info:
        y.bind(mx.cpu(), {"data": nd.ones((2, 3, 2, 2)),
                          "bn_gamma": nd.ones((4,)),
                          "bn_beta": nd.ones((3,))},
               aux_states={"bn_moving_mean": nd.zeros((3,)),
                           "bn_moving_var": nd.ones((3,))})
    # Unfused: "Error in operator bn: BatchNorm: gamma expected shape ..."
    assert "operator bn:" in str(info.value), str(info.value)
    assert "_contrib_BatchNormWithReLU" not in str(info.value)


# -- Gluon ---------------------------------------------------------------------

def _gluon_steps(net, hybridize=True, static=False, pred=False, steps=3):
    net.initialize(mx.init.Constant(0.3))
    for name, p in sorted(net.collect_params().items()):
        if "running_var" in name:
            p.set_data(nd.ones(p.shape) * 1.5)
        elif "running_mean" in name:
            p.set_data(nd.ones(p.shape) * 0.1)
        else:
            p.set_data(nd.array(np.linspace(-0.5, 0.8, int(np.prod(p.shape)))
                                .reshape(p.shape)))
    if hybridize:
        net.hybridize(static_alloc=static, static_shape=static)
    x = nd.array(np.random.RandomState(0).randn(4, 3, 6, 6))
    outs = []
    for _ in range(steps):
        with mx.autograd.record(train_mode=not pred):
            y = net(x)
            if isinstance(y, (list, tuple)):
                y = y[0] + y[1]
            loss = (y * nd.array(np.cos(np.arange(y.size)).reshape(y.shape))
                    ).sum()
        loss.backward()
        outs.append(y.asnumpy())
    # In the blocks' order: names carry global counters (conv9_, conv10_),
    # so sorting them would pair different parameters of two nets built
    # one after the other.
    params = list(net.collect_params().items())
    return outs + [p.data().asnumpy() for _, p in params] + [
        p.grad().asnumpy() for _, p in params if p.grad_req != "null"]


def _gluon_nets():
    nn = mx.gluon.nn

    class Two(nn.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.bn = nn.BatchNorm(in_channels=3)
            self.act = nn.Activation("relu")

        def hybrid_forward(self, F, x):
            b = self.bn(x)
            return [self.act(b), b]

    def seq():
        net = nn.HybridSequential()
        net.add(nn.Conv2D(4, 3, in_channels=3),
                nn.BatchNorm(in_channels=4, scale=True),
                nn.Activation("relu"), nn.Conv2D(2, 1, in_channels=4),
                nn.BatchNorm(in_channels=2, center=False),
                nn.Activation("relu"))
        return net

    def last_axis():
        net = nn.HybridSequential()
        net.add(nn.BatchNorm(in_channels=6, axis=-1), nn.Activation("relu"),
                nn.Flatten(), nn.Dense(5, in_units=108))
        return net
    return {"seq": seq, "two": Two, "last_axis": last_axis}


def test_gluon_hybridized_fusion_matches_unfused(monkeypatch):
    for name, make in _gluon_nets().items():
        for kw in (dict(), dict(static=True), dict(pred=True)):
            fused = _with_fusion(monkeypatch, True,
                                 lambda: _gluon_steps(make(), **kw))
            plain = _with_fusion(monkeypatch, False,
                                 lambda: _gluon_steps(make(), **kw))
            imperative = _gluon_steps(make(), hybridize=False, **kw)
            for a, b, c in zip(fused, plain, imperative):
                np.testing.assert_array_equal(a, b, err_msg=name)
                np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6,
                                           err_msg=name)


def test_gluon_export_import_runs_fused_like_unfused(monkeypatch):
    def run():
        net = _gluon_nets()["seq"]()
        net.initialize(mx.init.Xavier())
        for name, p in sorted(net.collect_params().items()):
            p.set_data(nd.array(np.linspace(-0.5, 0.8, int(np.prod(p.shape)))
                                .reshape(p.shape) + ("var" in name)))
        net.hybridize()
        x = nd.array(np.random.RandomState(0).randn(4, 3, 6, 6))
        net(x)
        folder = tempfile.mkdtemp()
        net.export(os.path.join(folder, "m"))
        block = mx.gluon.nn.SymbolBlock.imports(
            os.path.join(folder, "m-symbol.json"), ["data"],
            os.path.join(folder, "m-0000.params"))
        block.hybridize()
        first = block(x)
        with mx.autograd.record():
            second = block(x)
        second.backward()
        params = sorted(block.collect_params().items())
        return [first.asnumpy(), second.asnumpy()] + [
            p.data().asnumpy() for _, p in params] + [
            p.grad().asnumpy() for _, p in params if p.grad_req != "null"]
    fused = _with_fusion(monkeypatch, True, run)
    plain = _with_fusion(monkeypatch, False, run)
    for a, b in zip(fused, plain):
        np.testing.assert_array_equal(a, b)


# -- views inside graphs and autograd ----------------------------------------

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def test_executor_view_outputs_do_not_alias_arguments_or_each_other():
    x = sym.var("x")
    y = x * 2
    r = sym.reshape(y, (4, 6))
    graph = sym.Group([sym.reshape(x, (6, 4)), sym.flatten(x),
                       sym.transpose(x), y, r, sym.flatten(r)])
    ex = graph.simple_bind(mx.cpu(), x=(2, 3, 4))
    ex.arg_dict["x"][:] = nd.array(X)
    outs = ex.forward(is_train=True)
    ex.arg_dict["x"][:] = -1  # no output may change
    for a in outs[:3]:
        np.testing.assert_array_equal(np.sort(a.asnumpy().ravel()),
                                      X.ravel())
    outs[3][:] = 7  # nor may its reshapes
    np.testing.assert_array_equal(outs[4].asnumpy().ravel(), X.ravel() * 2)
    np.testing.assert_array_equal(outs[5].asnumpy().ravel(), X.ravel() * 2)
    for a in outs:
        a[:] = 5  # nor the argument
    np.testing.assert_array_equal(ex.arg_dict["x"].asnumpy(), -1)
    ex.backward([nd.ones(a.shape) * (i + 1) for i, a in enumerate(outs)])
    np.testing.assert_array_equal(ex.grad_dict["x"].asnumpy(),
                                  np.full(X.shape, 1 + 2 + 3 + 8 + 10 + 12))


def test_executor_head_gradient_buffers_survive_view_gradients():
    # Backward without head gradients reuses buffers of ones: a reshape's
    # gradient, now a view of one, must not write into it.
    x = sym.var("x")
    for graph, want in [
            (sym.Group([sym.MakeLoss(sym.flatten(x)),
                        sym.MakeLoss(x * 2)]), 3),
            (sym.Group([sym.MakeLoss(sym.reshape(x, (-1,))),
                        sym.MakeLoss(sym.reshape(x, (4, 6)))]), 2),
            (sym.Group([sym.MakeLoss(sym.flatten(x)),
                        sym.MakeLoss(sym.flatten(x) * 3)]), 4)]:
        for req, scale in (("write", [1, 1, 1]), ("add", [1, 2, 3])):
            ex = graph.simple_bind(mx.cpu(), x=(2, 3, 4), grad_req=req)
            ex.arg_dict["x"][:] = nd.array(X)
            for step in range(3):
                ex.forward(is_train=True)
                ex.backward()
                np.testing.assert_array_equal(
                    ex.grad_dict["x"].asnumpy(),
                    np.full(X.shape, want * scale[step], np.float32))


@requires_oracle
def test_imperative_reshape_view_gradients_match_mxnet():
    code = """
    X = inputs["x"]
    def leaf(req="write"):
        a = mx.nd.array(X); a.attach_grad(grad_req=req); return a
    a = leaf()
    with mx.autograd.record():
        z = (a[1:2].reshape((-1,)) * mx.nd.arange(12)).sum()
    z.backward(); outputs["slice_row"] = a.grad.asnumpy()
    a = leaf()
    with mx.autograd.record():
        z = (a[0:2].reshape((-1,)) * mx.nd.arange(24)).sum()
    z.backward(); outputs["slice_all"] = a.grad.asnumpy()
    a = leaf()
    with mx.autograd.record():
        z = (a[:, 1:3].reshape((-1,)) * mx.nd.arange(16)).sum()
    z.backward(); outputs["slice_cols"] = a.grad.asnumpy()
    a = leaf("add"); a.grad[:] = 1; g = mx.nd.ones((24,))
    with mx.autograd.record():
        y = a.reshape((-1,))
    y.backward(g, retain_graph=True); y.backward(g)
    outputs["add_retain"] = a.grad.asnumpy(); outputs["add_head"] = g.asnumpy()
    a = leaf(); g = mx.nd.ones((24,)) * 3
    with mx.autograd.record():
        y = a.reshape((-1,))
    y.backward(g); g[:] = 5
    outputs["head_write"] = a.grad.asnumpy()
    a = leaf(); ga = mx.nd.ones((24,)); gb = mx.nd.ones((6, 4)) * 2
    with mx.autograd.record():
        p = a.reshape((-1,)); q = a.reshape((6, 4))
    mx.autograd.backward([p, q], [ga, gb])
    outputs["two_heads"] = a.grad.asnumpy()
    outputs["two_heads_ga"] = ga.asnumpy(); outputs["two_heads_gb"] = gb.asnumpy()
    a = leaf()
    with mx.autograd.record():
        b = a * 1
        z = ((b.reshape((-1,)) * 2).sum() + (b.reshape((4, 6)) * 3).sum()
             + (b * 5).sum())
    z.backward(); outputs["fanout"] = a.grad.asnumpy()
    a = leaf()
    with mx.autograd.record():
        z = (a.reshape((-1,)).reshape((4, 6)) * mx.nd.arange(24).reshape((4, 6))).sum()
    z.backward(); outputs["double"] = a.grad.asnumpy()
    a = leaf()
    with mx.autograd.record():
        y = a.flatten(); z = (y * y).sum()
    gr = mx.autograd.grad(z, [a], create_graph=True, retain_graph=True)[0]
    outputs["create_graph"] = gr.asnumpy()
    """
    got, want = run_both(code, mx, x=X)
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


@requires_oracle
def test_executor_argument_written_between_forward_and_backward():
    code = """
    x = mx.sym.var("x")
    graphs = [mx.sym.sum(mx.sym.square(mx.sym.reshape(x, (4,)))),
              mx.sym.sum(mx.sym.square(mx.sym.transpose(x))),
              mx.sym.FullyConnected(mx.sym.flatten(x), num_hidden=1,
                                    no_bias=True, name="fc")]
    for i, g in enumerate(graphs):
        ex = g.simple_bind(mx.cpu(), x=(2, 2))
        ex.arg_dict["x"][:] = mx.nd.array([[1, 2], [3, 4]])
        if "fc_weight" in ex.arg_dict:
            ex.arg_dict["fc_weight"][:] = 1
        out = ex.forward(is_train=True)[0]
        ex.arg_dict["x"][:] = 10
        ex.backward(mx.nd.ones(out.shape))
        outputs["grad%d" % i] = np.concatenate(
            [v.asnumpy().ravel() for k, v in sorted(ex.grad_dict.items())])
    """
    got, want = run_both(code, mx)
    # MXNet 1.9.1: [2 4 6 8], [2 4 6 8], fc_weight's gradient [4 6]
    for key in sorted(want):
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_autograd_grad_result_does_not_alias_head_grads():
    a = nd.array([1.0, 2.0, 3.0])
    a.attach_grad()
    head = nd.array([3.0, 3.0, 3.0])
    with mx.autograd.record():
        y = a.reshape((3,))
    grad = mx.autograd.grad(y, [a], head_grads=head)[0]
    grad[:] = 9
    np.testing.assert_array_equal(head.asnumpy(), [3.0, 3.0, 3.0])


# -- max pooling backward, 2x2 stride 2 --------------------------------------

_POOL_SNIPPET = """
def poolgrad(x, dt, **kw):
    a = mx.nd.array(x, dtype=dt); a.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Pooling(a, kernel=(2, 2), stride=(2, 2), pool_type="max",
                          **kw)
    y.backward(mx.nd.array(np.arange(1, y.size + 1).reshape(y.shape),
                           dtype=dt))
    return y.asnumpy(), a.grad.asnumpy()
for key in sorted(inputs):
    if key.startswith("w"):
        outputs[key + "/y"], outputs[key + "/g"] = poolgrad(inputs[key],
                                                            "float32")
outputs["nhwc/y"], outputs["nhwc/g"] = poolgrad(inputs["nhwc"], "float32",
                                                layout="NHWC")
outputs["nhwc1/y"], outputs["nhwc1/g"] = poolgrad(inputs["nhwc1"], "float32",
                                                  layout="NHWC")
big = mx.nd.array(inputs["big"]); big.attach_grad()
with mx.autograd.record():
    s = mx.nd.transpose(mx.nd.transpose(big[:, :, :, 3:35], (0, 1, 3, 2)),
                        (0, 1, 3, 2))
    y = mx.nd.Pooling(s, kernel=(2, 2), stride=(2, 2), pool_type="max")
y.backward(mx.nd.array(np.arange(1, y.size + 1).reshape(y.shape)))
outputs["slice/y"] = y.asnumpy(); outputs["slice/g"] = big.grad.asnumpy()
"""


def _pool_inputs():
    rs = np.random.RandomState(0)
    arrays = {}
    for width in range(1, 41):
        for height in (1, 3):
            # Integers in [0, 3): many ties; NaN, inf and -inf sprinkled.
            x = rs.randint(0, 3, size=(2, 2, 2 * height, 2 * width))
            x = x.astype(np.float32)
            mark = rs.rand(*x.shape)
            x[mark < 0.05] = np.nan
            x[(mark >= 0.05) & (mark < 0.08)] = np.inf
            x[(mark >= 0.08) & (mark < 0.11)] = -np.inf
            arrays["w%02d_h%d" % (width, height)] = x
    windows = np.array([
        [np.nan, -np.inf, -np.inf, -np.inf], [-np.inf] * 4, [np.nan] * 4,
        [np.nan, np.nan, 1, np.nan], [1, 1, 1, 1], [-0.0, 0.0, 0.0, -0.0],
        [np.inf, np.inf, np.nan, np.inf], [-np.inf, np.nan, -np.inf, -np.inf],
        [2, np.nan, 2, 3]] * 2)[:17]
    special = np.zeros((1, 1, 2, 34), np.float32)
    for i, (a, b, c, d) in enumerate(windows):
        special[0, 0, 0, 2 * i:2 * i + 2] = a, b
        special[0, 0, 1, 2 * i:2 * i + 2] = c, d
    arrays["w_special"] = special
    arrays["nhwc"] = np.sin(np.arange(2 * 6 * 8 * 3) * 1.3).reshape(
        2, 6, 8, 3).round(1).astype(np.float32)
    arrays["nhwc1"] = np.sin(np.arange(2 * 6 * 8) * 1.3).reshape(
        2, 6, 8, 1).round(1).astype(np.float32)
    arrays["big"] = np.sin(np.arange(2 * 3 * 4 * 40)).reshape(
        2, 3, 4, 40).astype(np.float32)
    return arrays


@requires_oracle
def test_max_pool_2x2_backward_float32_matches_mxnet():
    got, want = run_both(_POOL_SNIPPET, mx, **_pool_inputs())
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        assert got[key].dtype == want[key].dtype, key
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_max_pool_2x2_backward_float32_equals_float64_path():
    # float64 takes the generic tiled loop, float32 the vector rows: the
    # same winner (first largest, NaN skipped) on integer data with ties.
    # Windows of nothing above -FLT_MAX (-inf, NaN) follow MXNet's two
    # rules: float32 gives the gradient to the first element, float64 to
    # nobody.
    for key, x in _pool_inputs().items():
        if not key.startswith("w"):
            continue
        grads = []
        for dtype in ("float32", "float64"):
            a = nd.array(x, dtype=dtype)
            a.attach_grad()
            with mx.autograd.record():
                y = nd.Pooling(a, kernel=(2, 2), stride=(2, 2),
                               pool_type="max")
            y.backward(nd.array(np.arange(1, y.size + 1).reshape(y.shape),
                                dtype=dtype))
            grads.append(a.grad.asnumpy().astype(np.float64))
        n, c, h, w = x.shape
        tiles = x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(
            n, c, h // 2, 2, w // 2, 2)
        lowest = np.finfo(np.float32).min
        with np.errstate(invalid="ignore"):
            empty = ~(tiles > lowest).any(axis=(3, 5))  # NaN compares false
        first = np.zeros_like(x, dtype=bool)
        first[:, :, :h // 2 * 2:2, :w // 2 * 2:2] = empty
        expected = np.where(first, 0.0, grads[0])
        np.testing.assert_array_equal(grads[1], expected, err_msg=key)
        assert (grads[0][first] != 0).all(), key
