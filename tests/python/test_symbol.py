"""mx.sym against MXNet 1.9.1: construction and automatic names, the
list_* queries, attributes, composition, shape and type inference, MXNet's
JSON format both ways, and the errors for graphs that do not fit."""
import json

import numpy as np
import pytest

import kiln as mx
import kiln.symbol  # noqa: F401

from mxnet_oracle import requires_oracle, run_both, run_mxnet

# Graphs built the same way under both frameworks; each snippet leaves its
# symbols in `nets` (name -> Symbol).
NETS = """
# Fresh automatic-name counters, whatever ran before in this process.
mx.name.NameManager._current.value = mx.name.NameManager()
nets = {}
data = mx.sym.var('data')
net = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1),
                         name='c1')
net = mx.sym.BatchNorm(net, name='bn1', fix_gamma=False)
net = mx.sym.Activation(net, act_type='relu')
net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type='max')
net = mx.sym.flatten(net)
net = mx.sym.FullyConnected(net, num_hidden=5, name='fc')
nets['cnn'] = mx.sym.SoftmaxOutput(net, name='softmax')
fc = mx.sym.FullyConnected(data, num_hidden=3, no_bias=True)
nets['auto_names'] = mx.sym.Group([fc, mx.sym.FullyConnected(fc, num_hidden=2),
                                   data + 1, data * data, 2 - data])
nets['rnn'] = mx.sym.RNN(data, state_size=6, num_layers=2, mode='lstm',
                         state_outputs=True, name='rnn')
nets['split'] = mx.sym.split(data, num_outputs=3, axis=1, name='sp')[1:]
nets['bn_stats'] = mx.sym.BatchNorm(data, output_mean_var=True, name='bn')
nets['prelu'] = mx.sym.LeakyReLU(data, act_type='prelu', name='pr')
nets['embed'] = mx.sym.Embedding(data, input_dim=10, output_dim=4, name='em')
nets['concat'] = mx.sym.concat(data, mx.sym.var('other'), dim=1, name='cat')
nets['deconv'] = mx.sym.Deconvolution(data, num_filter=6, kernel=(2, 2),
                                      stride=(2, 2), no_bias=False, name='dc')
nets['layernorm'] = mx.sym.LayerNorm(data, name='ln')
nets['linear'] = mx.sym.LinearRegressionOutput(
    mx.sym.FullyConnected(data, num_hidden=1, name='lin'), name='lro')
"""

SHAPES = {"cnn": {"data": (2, 3, 8, 8)}, "auto_names": {"data": (4, 6)},
          "rnn": {"data": (5, 2, 3)}, "split": {"data": (2, 6)},
          "bn_stats": {"data": (2, 3, 4)}, "prelu": {"data": (2, 3, 4)},
          "embed": {"data": (2, 5)}, "concat": {"data": (2, 3), "other": (2, 4)},
          "deconv": {"data": (1, 3, 4, 4)}, "layernorm": {"data": (2, 7)},
          "linear": {"data": (3, 4)}}


def _describe(code):
    return NETS + code + """
import json as _json
for key in sorted(nets):
    s = nets[key]
    outputs[key + '/args'] = np.array(s.list_arguments())
    outputs[key + '/outs'] = np.array(s.list_outputs())
    outputs[key + '/aux'] = np.array(s.list_auxiliary_states() or [''])
    outputs[key + '/internals'] = np.array(s.get_internals().list_outputs())
    outputs[key + '/attrs'] = np.array(_json.dumps(s.attr_dict(),
                                                   sort_keys=True))
    args, outs, aux = s.infer_shape(**SHAPES[key])
    outputs[key + '/arg_shapes'] = np.array(str(args))
    outputs[key + '/out_shapes'] = np.array(str(outs))
    outputs[key + '/aux_shapes'] = np.array(str(aux))
    types = s.infer_type(**{k: 'float32' for k in SHAPES[key]})
    outputs[key + '/types'] = np.array(str([[np.dtype(t).name for t in part]
                                            for part in types]))
"""


@requires_oracle
def test_graph_queries_match_mxnet():
    got, want = run_both(_describe("SHAPES = %r\n" % SHAPES), mx)
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        assert got[key].tolist() == want[key].tolist(), key


@requires_oracle
def test_kiln_json_loads_in_mxnet_and_back():
    """tojson from kiln, read by MXNet (list_* and infer_shape agree), and
    MXNet's tojson read by kiln."""
    scope = {"mx": mx, "np": np, "outputs": {}}
    exec(NETS, scope)
    texts = {key: net.tojson() for key, net in scope["nets"].items()}
    code = """
import json
texts = json.loads(str(inputs['texts']))
shapes = json.loads(str(inputs['shapes']))
for key, text in texts.items():
    s = mx.sym.load_json(text)
    outputs[key + '/args'] = np.array(s.list_arguments())
    outputs[key + '/outs'] = np.array(s.list_outputs())
    outputs[key + '/shapes'] = np.array(str(s.infer_shape(
        **{k: tuple(v) for k, v in shapes[key].items()})))
    outputs[key + '/json'] = np.array(s.tojson())
"""
    inputs = dict(texts=np.array(json.dumps(texts)),
                  shapes=np.array(json.dumps(SHAPES)))
    got, want = run_both(code, mx, **inputs)
    for key in scope["nets"]:
        for part in ("args", "outs", "shapes"):
            assert got[key + "/" + part].tolist() == \
                want[key + "/" + part].tolist(), (key, part)
        # MXNet's own JSON of the graph, loaded by kiln, is the same graph.
        back = mx.sym.load_json(str(want[key + "/json"]))
        assert json.loads(back.tojson())["nodes"] == \
            json.loads(texts[key])["nodes"], key


@requires_oracle
def test_mxnet_checkpoint_runs_in_kiln(tmp_path):
    """A -symbol.json and -0000.params saved by MXNet 1.9.1 load in kiln
    and give MXNet's outputs."""
    prefix = str(tmp_path / "net")
    x = np.random.RandomState(0).rand(2, 3, 8, 8).astype(np.float32)
    want = run_mxnet(NETS + """
net = nets['cnn']
mod_args, _, mod_aux = net.infer_shape(data=(2, 3, 8, 8))
rng = np.random.RandomState(1)
args = {n: mx.nd.array(rng.uniform(-0.5, 0.5, s))
        for n, s in zip(net.list_arguments(), mod_args)}
aux = {n: mx.nd.array(rng.uniform(0.5, 1.5, s))
       for n, s in zip(net.list_auxiliary_states(), mod_aux)}
args['data'] = mx.nd.array(inputs['x'])
mx.model.save_checkpoint(str(inputs['prefix']), 0, net,
                         {k: v for k, v in args.items() if k != 'data'}, aux)
exe = net.bind(mx.cpu(), args=args, aux_states=aux, grad_req='null')
outputs['y'] = exe.forward(is_train=False)[0].asnumpy()
""", x=x, prefix=np.array(prefix))
    net = mx.sym.load(prefix + "-symbol.json")
    params = mx.nd.load(prefix + "-0000.params")
    args = {k[4:]: v for k, v in params.items() if k.startswith("arg:")}
    aux = {k[4:]: v for k, v in params.items() if k.startswith("aux:")}
    args["data"] = mx.nd.array(x)
    args["softmax_label"] = mx.nd.zeros((2,))
    exe = net.bind(mx.cpu(), args=args, aux_states=aux, grad_req="null")
    np.testing.assert_allclose(exe.forward()[0].asnumpy(), want["y"],
                               rtol=1e-4, atol=1e-6)


def test_automatic_names_and_prefix():
    data = mx.sym.var("data")
    with mx.name.Prefix("net_"):
        fc = mx.sym.FullyConnected(data, num_hidden=2)
    assert fc.name.startswith("net_fullyconnected")
    assert fc.list_arguments() == ["data", fc.name + "_weight",
                                   fc.name + "_bias"]
    with mx.AttrScope(ctx_group="dev1", lr_mult="2"):
        named = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    assert named.attr("ctx_group") == "dev1"
    assert named.list_attr()["__lr_mult__"] == "2"
    assert named.attr_dict()["fc_weight"]["lr_mult"] == "2"


def test_composition_indexing_and_copy():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    expr = x * 2 + y
    composed = expr(x=mx.sym.var("a") + 1)
    assert composed.list_arguments() == ["a", "y"]
    assert expr.list_arguments() == ["x", "y"]  # the original is unchanged
    out = composed.eval(a=mx.nd.array([1.0, 2.0]), y=mx.nd.array([10.0, 0.0]))
    np.testing.assert_allclose(out[0].asnumpy(), [14.0, 6.0])
    group = mx.sym.Group([x, expr])
    assert len(group) == 2 and group[1].list_outputs() == expr.list_outputs()
    assert group[expr.list_outputs()[0]].name == expr.name
    assert [s.name for s in group] == ["x", expr.name]
    assert x.get_children() is None
    positional = expr(mx.sym.var("p"), mx.sym.var("q"))
    assert positional.list_arguments() == ["p", "q"]


def test_fluent_methods_and_scalar_operators():
    x = mx.sym.var("x")
    graph = (x.reshape((2, 2)).sum(axis=1) ** 2 - 1) / 2
    result = graph.eval(x=mx.nd.array([1.0, 2.0, 3.0, 4.0]))[0]
    np.testing.assert_allclose(result.asnumpy(), [4.0, 24.0])
    compare = (x > 2).eval(x=mx.nd.array([1.0, 3.0]))[0]
    np.testing.assert_allclose(compare.asnumpy(), [0.0, 1.0])


@pytest.mark.parametrize("statement", ["x += 1", "x -= y", "x *= 2",
                                       "x /= y"])
def test_in_place_operators_raise_as_mxnet(statement):
    # A Symbol is immutable: MXNet 1.9.1 raises NotImplementedForSymbol (an
    # MXNetError) rather than rebinding x to a new graph.
    x, y = mx.sym.var("x"), mx.sym.var("y")
    original = x
    with pytest.raises(mx.base.NotImplementedForSymbol,
                       match="Function .* \\(namely operator \"[-+*/]=\"\\)"):
        exec(statement, {}, {"x": x, "y": y})
    assert original.list_arguments() == ["x"]
    # The out-of-place forms still build graphs.
    assert (x + 1).list_arguments() == ["x"]


def test_variable_attributes():
    v = mx.sym.var("w", shape=(3, 4), lr_mult=0.5, wd_mult=2, dtype="float16",
                   init=mx.init.Zero(), __custom__="x")
    attrs = v.list_attr()
    assert attrs["__shape__"] == "(3, 4)"
    assert attrs["__lr_mult__"] == "0.5" and attrs["lr_mult"] == "0.5"
    assert attrs["__dtype__"] == "2"
    assert attrs["__init__"] == mx.init.Zero().dumps()
    assert attrs["__custom__"] == "x"
    assert v.infer_shape()[0] == [(3, 4)]
    assert v.infer_type()[0] == [np.float16]
    with pytest.raises(ValueError, match="must start and end with double"):
        mx.sym.var("w", custom="x")


def test_partial_inference():
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(mx.sym.FullyConnected(data, num_hidden=4),
                                num_hidden=2)
    with pytest.warns(UserWarning, match="Cannot decide shape"):
        assert net.infer_shape() == (None, None, None)
    args, outs, _ = net.infer_shape_partial(data=(0, 5))
    assert args[1] == (4, 5)
    # Shapes only: nothing is computed or compiled, random draws untouched.
    mx.random.seed(3)
    expected = mx.nd.random.uniform(shape=(4,)).asnumpy()
    mx.random.seed(3)
    mx.sym.Dropout(data, p=0.5).infer_shape(data=(1000, 1000))
    np.testing.assert_array_equal(mx.nd.random.uniform(shape=(4,)).asnumpy(),
                                  expected)


def test_inference_errors_name_the_operator():
    data = mx.sym.var("data")
    conv = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), name="c1")
    with pytest.raises(mx.MXNetError, match="Error in operator c1"):
        conv.infer_shape(data=(2, 3, 8))
    fc = mx.sym.FullyConnected(data, num_hidden=5, name="f")
    with pytest.raises(mx.MXNetError, match=r"weight expected shape \(5, 3\)"):
        fc.infer_shape(data=(2, 3), f_weight=(4, 3))
    with pytest.raises(mx.MXNetError, match="no argument or auxiliary state"):
        fc.infer_shape(nonsense=(2, 3))
    mask = mx.sym.contrib.boolean_mask(data, mx.sym.var("index"))
    with pytest.raises(mx.MXNetError, match="depends on the values"):
        mask.infer_shape(data=(3, 2), index=(3,))


def test_construction_errors():
    data = mx.sym.var("data")
    with pytest.raises(mx.MXNetError, match="num_hidden"):
        mx.sym.FullyConnected(data)
    with pytest.raises(mx.MXNetError, match="unknown argument 'bogus'"):
        mx.sym.FullyConnected(data, num_hidden=2, bogus=1)
    with pytest.raises(mx.MXNetError, match="unknown input 'label'"):
        mx.sym.FullyConnected(data, num_hidden=2, label=data)
    with pytest.raises(mx.MXNetError, match="3 outputs"):
        mx.sym.relu(mx.sym.split(data, num_outputs=3))
    with pytest.raises(TypeError, match="Symbol"):
        mx.sym.relu(mx.nd.ones((2,)))
    with pytest.raises(mx.MXNetError, match="from 1 to 65536"):
        mx.sym.split(data, num_outputs=3000000000)
    with pytest.raises(mx.MXNetError, match="from 1 to 65536"):
        mx._core.symbol_interface("concat", {"num_args": "100000"})
    with pytest.raises(IndexError):
        data[3]
    with pytest.raises(ValueError, match="no outputs named"):
        data["nope"]


@pytest.mark.parametrize("text, message", [
    ("{bad", "not valid JSON"),
    ("[]", "'nodes' list"),
    ('{"nodes": [{"op": "Foo", "name": "x", "inputs": []}], "heads": '
     '[[0, 0, 0]]}', "operator 'Foo' is not one kiln has"),
    ('{"nodes": [{"op": "null", "name": "x", "inputs": []}], "heads": '
     '[[1, 0, 0]]}', "head"),
    ('{"nodes": [{"op": "null", "name": "x", "inputs": []}, {"op": "relu", '
     '"name": "r", "inputs": [[5, 0, 0]]}], "heads": [[1, 0, 0]]}',
     "does not come before it"),
    ('{"nodes": [{"op": "null", "name": "x", "inputs": []}, {"op": '
     '"FullyConnected", "name": "f", "attrs": {"num_hidden": "2"}, '
     '"inputs": [[0, 0, 0]]}], "heads": [[1, 0, 0]], "attrs": '
     '{"mxnet_version": ["int", 10901]}}', "expects 3 inputs"),
    ('{"nodes": [{"op": "null", "name": "x", "inputs": []}], "heads": '
     '[[0, 0, 0]], "attrs": {"mxnet_version": ["int", 20000]}}',
     "MXNet 2.0.0"),
    ('{"nodes": [{"op": "null", "name": 3, "inputs": []}], "heads": []}',
     "node 0: 'name' expected a string, got 3"),
])
def test_malformed_json_is_an_error(text, message):
    with pytest.raises(mx.MXNetError, match=message):
        mx.sym.load_json(text)


def test_save_and_load_file(tmp_path):
    data = mx.sym.var("data")
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=3),
                               name="softmax")
    path = str(tmp_path / "net-symbol.json")
    net.save(path)
    loaded = mx.sym.load(path)
    assert loaded.tojson() == net.tojson()
    with pytest.raises(mx.MXNetError, match="cannot read"):
        mx.sym.load(str(tmp_path / "missing.json"))


def test_creation_functions_built_from_registry_ops():
    """mx.sym.eye, linspace and split_v2 (no registry op of their own) give
    mx.nd's values."""
    np.testing.assert_array_equal(mx.sym.eye(3, 4, 1).eval()[0].asnumpy(),
                                  np.eye(3, 4, 1))
    np.testing.assert_array_equal(mx.sym.eye(3, k=-1).eval()[0].asnumpy(),
                                  np.eye(3, k=-1))
    np.testing.assert_allclose(mx.sym.linspace(0, 1, 5).eval()[0].asnumpy(),
                               np.linspace(0, 1, 5), rtol=1e-6)
    np.testing.assert_allclose(
        mx.sym.linspace(2, 3, 4, endpoint=False).eval()[0].asnumpy(),
        np.linspace(2, 3, 4, endpoint=False), rtol=1e-6)
    x = mx.sym.var("x")
    value = np.arange(10, dtype=np.float32).reshape(2, 5)
    parts = mx.sym.split_v2(x, (1, 3), axis=1).eval(x=mx.nd.array(value))
    for got, want in zip(parts, np.split(value, [1, 3], axis=1)):
        np.testing.assert_array_equal(got.asnumpy(), want)
    with pytest.raises(ValueError, match="int or tuple"):
        mx.sym.split_v2(x, [1, 3], axis=1)  # a list: MXNet's refuses it too
    squeezed = mx.sym.split_v2(x, 5, axis=1, squeeze_axis=True)
    assert [o.shape for o in squeezed.eval(x=mx.nd.array(value))] == [(2,)] * 5


def test_astype_and_cpu_subgraph_backends():
    x = mx.sym.var("x")
    y = (x * 2).astype("float16")
    assert y.infer_type(x="float32")[1] == [np.float16]
    optimized = y.optimize_for("MKLDNN")
    assert optimized.tojson() == y.tojson() and optimized is not y
    with pytest.raises(mx.MXNetError, match="'TensorRT' is not registered"):
        y.optimize_for("TensorRT")


@pytest.mark.parametrize("build, message", [
    (lambda: mx.nd.linalg.makediag(mx.nd.ones((3,)), offset=2 ** 63 - 1),
     "side of at most 8192"),
    (lambda: mx.nd.linalg.makediag(mx.nd.ones((3,)), offset=-2 ** 63),
     "side of at most 8192"),
    (lambda: mx.nd.linalg.maketrian(mx.nd.ones((6,)), offset=2 ** 63 - 1),
     "side of at most 8192"),
    (lambda: mx.sym.histogram(mx.sym.var("x"), bins=2 ** 63 - 1,
                              range=(0, 1)).infer_shape(x=(3, 3)),
     "bin_cnt expected an integer from 1 to"),
    (lambda: mx.sym.depth_to_space(mx.sym.var("x"), block_size=2 ** 32)
     .infer_shape(x=(1, 4, 2, 2)), "block_size expected an integer from 1"),
])
def test_wild_integer_attributes_are_errors_not_crashes(build, message):
    """Attributes whose arithmetic overflowed crashed the process (shape
    inference included); they are bounded now."""
    with pytest.raises(mx.MXNetError, match=message):
        build()


@pytest.mark.parametrize("build, given, message", [
    # MXNet 1.9.1: "This layer requires uniform type ... at 'bias'".
    (lambda d: mx.sym.Convolution(d, kernel=(3, 3), num_filter=4,
                                  name="conv"),
     {"data": "float32", "conv_bias": "float64"},
     "operator conv: .*bias expected dtype float32"),
    (lambda d: mx.sym.Convolution(d, kernel=(3, 3), num_filter=4,
                                  name="conv"),
     {"data": "float32", "conv_weight": "float16"},
     "operator conv: .*weight expected dtype float32"),
    # MXNet: "Incompatible attr in node fc at 2-th input".
    (lambda d: mx.sym.FullyConnected(d, num_hidden=3, name="fc"),
     {"data": "float32", "fc_bias": "float64"},
     "operator fc: .*bias expected dtype float32"),
    (lambda d: mx.sym.elemwise_add(d, mx.sym.var("b"), name="plus"),
     {"data": "float32", "b": "float64"}, "operator plus: .*same dtype"),
])
def test_infer_type_rejects_mixed_types_without_shapes(build, given, message):
    net = build(mx.sym.var("data"))
    with pytest.raises(mx.MXNetError, match=message):
        net.infer_type(**given)
    with pytest.raises(mx.MXNetError, match=message):
        net.infer_type_partial(**given)


def test_infer_type_keeps_mixed_types_an_op_takes():
    data, index = mx.sym.var("data"), mx.sym.var("index")
    taken = mx.sym.take(data, index)
    args, outs, _ = taken.infer_type(data="float32", index="int32")
    assert args == [np.float32, np.int32] and outs == [np.float32]
    embedded = mx.sym.Embedding(data, input_dim=10, output_dim=4, name="emb")
    args, outs, _ = embedded.infer_type(data="int32", emb_weight="float32")
    assert args == [np.int32, np.float32] and outs == [np.float32]
    # One type throughout is never questioned.
    conv = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, name="conv")
    assert conv.infer_type(data="float64")[1] == [np.float64]


def test_infer_type_flows_back_from_outputs_to_untyped_inputs():
    # MXNet's type functions unify an op's inputs with its outputs both
    # ways: in q + relu(k) the float16 of q reaches k through relu.
    # kiln inferred forward only, so infer_type gave (None, None, None) and
    # simple_bind made float32 arrays despite type_dict. Expected: MXNet
    # 1.9.1's results.
    q, k, d = mx.sym.var("q"), mx.sym.var("k"), mx.sym.var("d")
    f16, f64 = np.float16, np.float64
    for net, given, arguments in (
            (q + mx.sym.relu(k), {"q": "float16"}, [f16, f16]),
            (q + mx.sym.reshape(mx.sym.exp(k), shape=(-1,)),
             {"q": "float64"}, [f64, f64]),
            (q + mx.sym.FullyConnected(k, num_hidden=3, name="fc"),
             {"q": "float16"}, [f16] * 4),
            (q + mx.sym.sum(mx.sym.transpose(k)), {"q": "float16"},
             [f16, f16]),
            (mx.sym.batch_dot(mx.sym.softmax(mx.sym.batch_dot(
                q, k, transpose_b=True)), d), {"q": "float16"}, [f16] * 3)):
        assert net.infer_type(**given)[0] == arguments
    # Cast's input type does not follow its output's: still unknown.
    assert mx.sym.Cast(k, dtype="float16").__add__(q).infer_type(
        q="float16") == (None, None, None)
    exe = (q + mx.sym.relu(k)).simple_bind(
        mx.cpu(), type_dict={"q": "float16"}, q=(2, 3), k=(2, 3))
    assert exe.arg_dict["k"].dtype == f16 and exe.outputs[0].dtype == f16


def test_infer_shape_partial_carries_unknown_extents_through_ops():
    # MXNet 1.x's 0 is an unknown extent: relu of (0, 3) is (0, 3), and two
    # convolutions over (0, 1, 28, 28) give their weights and (0, 16, 20,
    # 20). kiln stopped at the first unknown extent (outputs ()).
    # Expected: MXNet 1.9.1's results.
    d = mx.sym.var("data")
    assert mx.sym.relu(d).infer_shape_partial(data=(0, 3)) == (
        [(0, 3)], [(0, 3)], [])
    c1 = mx.sym.Convolution(d, kernel=(5, 5), num_filter=6, name="c1")
    c2 = mx.sym.Convolution(c1, kernel=(5, 5), num_filter=16, name="c2")
    assert c2.infer_shape_partial(data=(0, 1, 28, 28)) == (
        [(0, 1, 28, 28), (6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,)],
        [(0, 16, 20, 20)], [])
    assert mx.sym.BatchNorm(d, name="bn").infer_shape_partial(
        data=(0, 3, 4, 4)) == ([(0, 3, 4, 4), (3,), (3,)], [(0, 3, 4, 4)],
                               [(3,), (3,)])
    assert (d + mx.sym.var("e")).infer_shape_partial(data=(0, 3)) == (
        [(0, 3), (0, 3)], [(0, 3)], [])
    assert mx.sym.reshape(d, shape=(-1, 6)).infer_shape_partial(
        data=(0, 3, 4))[1] == [(0, 6)]
    # Still unknown for infer_shape, which needs every extent.
    with pytest.warns(UserWarning):
        assert mx.sym.relu(d).infer_shape(data=(0, 3)) == (None, None, None)
