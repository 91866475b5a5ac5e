"""Which calibration ranges quantize_model sets, as MXNet 1.9.1: with
MXNET_SUBGRAPH_BACKEND unset (MXNet's default MKLDNN backend) its fp32 run
fuses every Convolution / FullyConnected and what follows them, so their
requantize nodes get no range (and a NaN weight is harmless); with NONE
every layer is calibrated (and a NaN range is refused). Compared with the
MXNet oracle, as is the set of layers the backend hides."""
import json

import numpy as np

import kiln as mx
import kiln.contrib.quantization as quantization
from kiln.contrib import _quantize_graph
from mxnet_oracle import requires_oracle, run_mxnet

# Expressions (over d = data, A = Activation, C = 2-D convolution) and the
# data shape; the same text builds the symbol under kiln and MXNet.
NETS = [
    ("c_bn_relu_pool", "S.Pooling(A(S.BatchNorm(C(d, 'conv0'), name='bn0'),"
     " act_type='relu', name='relu0'), kernel=(2, 2), pool_type='max', "
     "name='pool0')", (1, 2, 4, 4)),
    ("c_branch", "S.Group([A(C(d, 'conv0'), act_type='relu', name='relu0'),"
     " S.BatchNorm(S.var('x') * 0 + C(d, 'conv0'), name='bn0')])",
     (1, 2, 4, 4)),
    ("c_tanh", "A(C(d, 'conv0'), act_type='tanh', name='t0')", (1, 2, 4, 4)),
    ("c_sum_relu", "A(S.elemwise_add(C(d, 'conv0'), S.Pooling(d, kernel=(1,"
     " 1), pool_type='max', name='pool0'), name='add0'), act_type='relu', "
     "name='relu1')", (1, 2, 4, 4)),
    ("c_c_sum", "S.elemwise_add(C(d, 'conv0'), C(d, 'conv1'), name='add0')",
     (1, 2, 4, 4)),
    ("c_relu_bn", "S.BatchNorm(A(C(d, 'conv0'), act_type='relu', "
     "name='relu0'), name='bn0')", (1, 2, 4, 4)),
    ("pool_bn_relu", "A(S.BatchNorm(S.Pooling(d, kernel=(1, 1), "
     "pool_type='max', name='pool0'), name='bn0'), act_type='relu', "
     "name='relu0')", (1, 2, 4, 4)),
    ("fc_relu_relu", "A(A(S.FullyConnected(d, num_hidden=3, name='fc0'), "
     "act_type='relu', name='relu0'), act_type='relu', name='relu1')",
     (2, 5)),
    ("fc_clip", "S.clip(S.FullyConnected(d, num_hidden=3, name='fc0'), 0, 1,"
     " name='a0')", (2, 5)),
    ("fc_add", "S.elemwise_add(S.FullyConnected(d, num_hidden=3, "
     "name='fc0'), d * 0 + 1, name='add0')", (2, 3)),
    ("conv1d_relu", "A(S.Convolution(d, kernel=(3,), num_filter=2, "
     "name='conv0'), act_type='relu', name='relu0')", (1, 2, 6)),
]

_BUILD = '''
S = mx.sym
A = S.Activation
C = lambda x, name: S.Convolution(x, kernel=(1, 1), num_filter=2, name=name)
d = S.var("data")
'''

_HIDDEN = _BUILD + '''
import importlib, json, os
os.environ.pop("MXNET_SUBGRAPH_BACKEND", None)
q = importlib.import_module("mxnet.contrib.quantization")
rng = np.random.RandomState(0)
for tag, text, shape in NETS:
    sym = eval(text)
    if tag == "c_branch":   # the same conv0 node twice
        conv = C(d, "conv0")
        sym = S.Group([A(conv, act_type="relu", name="relu0"),
                       S.BatchNorm(conv, name="bn0")])
    arg_shapes, _, aux_shapes = sym.infer_shape(data=shape)
    args = {n: mx.nd.array(rng.randn(*s)) for n, s in
            zip(sym.list_arguments(), arg_shapes) if n != "data"}
    aux = {n: mx.nd.ones(s) for n, s in
           zip(sym.list_auxiliary_states(), aux_shapes)}
    it = mx.io.NDArrayIter(mx.nd.array(rng.randn(*shape)),
                           batch_size=shape[0])
    names = [n for n in sym.get_internals().list_outputs()
             if n.endswith("_output")]
    mod = mx.mod.Module(symbol=sym, data_names=("data",), label_names=None)
    mod.bind(for_training=False, data_shapes=it.provide_data)
    mod.set_params(args, aux)
    th, _ = q._collect_layer_output_min_max(
        mod, it, "int8", include_layer=names, max_num_examples=shape[0])
    outputs[tag] = np.asarray(json.dumps(
        sorted(n for n in names if n not in th)))
'''


@requires_oracle
def test_hidden_layers_match_mxnets_default_backend():
    got = run_mxnet("NETS = %r\n" % (NETS,) + _HIDDEN)
    scope = {"mx": mx, "np": np}
    exec(_BUILD, scope)
    for tag, text, _ in NETS:
        sym = eval(text, scope)
        if tag == "c_branch":
            conv = scope["C"](scope["d"], "conv0")
            sym = mx.sym.Group([
                mx.sym.Activation(conv, act_type="relu", name="relu0"),
                mx.sym.BatchNorm(conv, name="bn0")])
        names = [n for n in sym.get_internals().list_outputs()
                 if n.endswith("_output")]
        hidden = _quantize_graph.mkldnn_hidden_layers(sym.tojson())
        assert sorted(n for n in names if n in hidden) == json.loads(
            str(got[tag])), tag


_QUANTIZE = '''
import importlib, json, logging, os
q = importlib.import_module(mx.__name__ + ".contrib.quantization")
S = mx.sym
d = S.var("data")
results = {}
for backend in (None, "NONE"):
    if backend is None:
        os.environ.pop("MXNET_SUBGRAPH_BACKEND", None)
    else:
        os.environ["MXNET_SUBGRAPH_BACKEND"] = backend
    for tag in ("fc", "conv"):
        for nan in (False, True):
            if tag == "fc":
                net = S.FullyConnected(S.Activation(S.FullyConnected(
                    d, num_hidden=4, name="fc0"), act_type="relu",
                    name="relu0"), num_hidden=3, name="fc1")
            else:
                net = S.Convolution(S.Activation(S.Convolution(
                    d, kernel=(3, 3), num_filter=4, name="conv0"),
                    act_type="relu", name="relu0"), kernel=(3, 3),
                    num_filter=2, name="conv1")
            shape = inputs[tag + "_data"].shape
            args = {n: mx.nd.array(inputs[tag + "_" + n])
                    for n in net.list_arguments() if n != "data"}
            if nan:
                weight = args["%s0_weight" % tag].asnumpy()
                weight.flat[0] = np.nan
                args["%s0_weight" % tag] = mx.nd.array(weight)
            it = mx.io.NDArrayIter(mx.nd.array(inputs[tag + "_data"]),
                                   batch_size=shape[0])
            key = "%s/%s/%s" % (backend, tag, nan)
            try:
                qsym, _, _ = q.quantize_model(
                    net, args, {}, ctx=mx.cpu(), calib_mode="naive",
                    calib_data=it, num_calib_examples=shape[0],
                    quantized_dtype="int8", logger=logging.getLogger("q"))
            except mx.base.MXNetError as error:
                results[key] = ["error", str(error)]
                continue
            nodes = json.loads(qsym.tojson())["nodes"]
            results[key] = ["ok", [
                [n["name"], n["attrs"]["min_calib_range"],
                 n["attrs"]["max_calib_range"]] for n in nodes
                if "min_calib_range" in n.get("attrs", {})]]
os.environ.pop("MXNET_SUBGRAPH_BACKEND", None)
'''


@requires_oracle
def test_quantize_model_calibrates_as_mxnets_backends(monkeypatch):
    rng = np.random.RandomState(3)
    arrays = {}
    fc = mx.sym.FullyConnected(mx.sym.Activation(mx.sym.FullyConnected(
        mx.sym.var("data"), num_hidden=4, name="fc0"), act_type="relu",
        name="relu0"), num_hidden=3, name="fc1")
    conv = mx.sym.Convolution(mx.sym.Activation(mx.sym.Convolution(
        mx.sym.var("data"), kernel=(3, 3), num_filter=4, name="conv0"),
        act_type="relu", name="relu0"), kernel=(3, 3), num_filter=2,
        name="conv1")
    for tag, net, shape in (("fc", fc, (2, 5)), ("conv", conv, (1, 2, 8, 8))):
        arg_shapes = net.infer_shape(data=shape)[0]
        for name, arg_shape in zip(net.list_arguments(), arg_shapes):
            arrays["%s_%s" % (tag, name)] = rng.randn(*arg_shape).astype(
                np.float32)
    got = run_mxnet(_QUANTIZE + "outputs['r'] = np.asarray("
                    "json.dumps(results))", **arrays)
    expected = json.loads(str(got["r"]))
    scope = {"mx": mx, "np": np, "inputs": arrays}
    monkeypatch.delenv("MXNET_SUBGRAPH_BACKEND", raising=False)
    exec(_QUANTIZE.replace("mx.__name__", "'kiln'"), scope)
    mine = scope["results"]
    assert sorted(mine) == sorted(expected)
    for key, want in expected.items():
        have = mine[key]
        assert have[0] == want[0], (key, have, want)
        if want[0] == "error":
            assert "value='nan'" in have[1] and "requantize" in have[1], key
            continue
        assert [n for n, _, _ in have[1]] == [n for n, _, _ in want[1]], key
        for (_, low, high), (_, want_low, want_high) in zip(have[1],
                                                            want[1]):
            np.testing.assert_allclose([float(low), float(high)],
                                       [float(want_low), float(want_high)],
                                       rtol=1e-5, err_msg=key)
    # The default backend calibrates only the data; NONE the requantizes.
    assert [n for n, _, _ in mine["None/fc/False"][1]] == ["data_quantize"]
    assert "requantize_conv1" in [n for n, _, _ in
                                  mine["NONE/conv/False"][1]]
