"""mx.sym.contrib.foreach, while_loop and cond (kiln/symbol/_control_flow.py)
against MXNet 1.9.1: names, infer_shape, forward and gradients through
bind/simple_bind and Module, JSON round trips, and bad calls."""
import numpy as np
import pytest

import kiln as mx
import kiln.symbol._control_flow as _control_flow
from mxnet_oracle import requires_oracle, run_mxnet

# The graphs, built the same way under both: `C` is the contrib module.
_GRAPHS = """
def foreach_graph(C):
    data = mx.sym.var('data'); h0 = mx.sym.var('h0'); c0 = mx.sym.var('c0')
    w = mx.sym.var('w'); b = mx.sym.var('b')
    def body(x, states):
        h, c = states
        z = mx.sym.FullyConnected(mx.sym.concat(x, h, dim=1), weight=w,
                                  bias=b, num_hidden=3, name='fc')
        new_c = c * 0.5 + mx.sym.tanh(z)
        new_h = mx.sym.sigmoid(new_c) * 2
        return [new_h, new_c * 3], [new_h, new_c]
    outs, states = C.foreach(body, data, [h0, c0])
    return mx.sym.Group(outs + states)

def while_graph(C):
    i = mx.sym.var('i'); s = mx.sym.var('s'); k = mx.sym.var('k')
    def cond(i, s):
        return i < 3
    def func(i, s):
        return [i * k + s, s * s], [i + 1, s * 1.5 + i * k]
    outs, final = C.while_loop(cond, func, [i, s], max_iterations=5)
    return mx.sym.Group(outs + final)

def cond_graph(C):
    a = mx.sym.var('a'); b = mx.sym.var('b')
    return mx.sym.Group(C.cond(mx.sym.sum(a) > mx.sym.sum(b),
                               lambda: [a * 2 + b, mx.sym.exp(b)],
                               lambda: [a * b, b - a]))

def run(mx, graph, arrays, grads_of, heads):
    ex = graph.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in arrays.items()},
                    args_grad={k: mx.nd.zeros(arrays[k].shape)
                               for k in grads_of})
    outs = [o.asnumpy() for o in ex.forward(is_train=True)]
    ex.backward([mx.nd.array(h) for h in heads])
    return outs, {k: ex.grad_dict[k].asnumpy() for k in grads_of}
"""

_RNG = np.random.RandomState(0)
_FOREACH = dict(data=_RNG.randn(4, 2, 3).astype(np.float32),
                h0=_RNG.randn(2, 3).astype(np.float32),
                c0=_RNG.randn(2, 3).astype(np.float32),
                w=_RNG.randn(3, 6).astype(np.float32) * 0.5,
                b=_RNG.randn(3).astype(np.float32))
_FOREACH_HEADS = [_RNG.randn(4, 2, 3).astype(np.float32),
                  _RNG.randn(4, 2, 3).astype(np.float32),
                  _RNG.randn(2, 3).astype(np.float32),
                  _RNG.randn(2, 3).astype(np.float32)]
_WHILE = dict(i=np.array([0.], np.float32), s=np.array([0.5], np.float32),
              k=np.array([2.], np.float32))
_WHILE_HEADS = [_RNG.randn(5, 1).astype(np.float32),
                _RNG.randn(5, 1).astype(np.float32),
                np.ones((1,), np.float32), np.ones((1,), np.float32)]
_COND_HEADS = [_RNG.randn(3).astype(np.float32),
               _RNG.randn(3).astype(np.float32)]
_COND_TRUE = dict(a=np.array([3., 2., 1.], np.float32),
                  b=np.array([0.5, -1., 2.], np.float32))
_COND_FALSE = dict(a=-_COND_TRUE["a"], b=_COND_TRUE["b"])

_ORACLE_CODE = _GRAPHS + """
import json
g = foreach_graph(mx.sym.contrib)
shapes = {k: v.shape for k, v in FOREACH.items() if k != 'w' and k != 'b'}
outputs['foreach_names'] = np.array(json.dumps([g.list_arguments(), g.list_outputs()]))
arg, out, aux = g.infer_shape(**shapes)
outputs['foreach_shapes'] = np.array(json.dumps([arg, out]))
outs, grads = run(mx, g, FOREACH, ['data', 'h0', 'c0', 'w', 'b'], FOREACH_HEADS)
for n, o in enumerate(outs): outputs['foreach_out%d' % n] = o
for k, v in grads.items(): outputs['foreach_grad_' + k] = v
g = while_graph(mx.sym.contrib)
outputs['while_names'] = np.array(json.dumps([g.list_arguments(), g.list_outputs()]))
outs, grads = run(mx, g, WHILE, ['i', 's', 'k'], WHILE_HEADS)
for n, o in enumerate(outs): outputs['while_out%d' % n] = o
for k, v in grads.items(): outputs['while_grad_' + k] = v
g = cond_graph(mx.sym.contrib)
outputs['cond_names'] = np.array(json.dumps([g.list_arguments(), g.list_outputs()]))
for label, arrays in (('true', COND_TRUE), ('false', COND_FALSE)):
    outs, grads = run(mx, g, arrays, ['a', 'b'], COND_HEADS)
    for n, o in enumerate(outs): outputs['cond_%s_out%d' % (label, n)] = o
    for k, v in grads.items(): outputs['cond_%s_grad_%s' % (label, k)] = v
"""


class _Contrib(object):
    foreach = staticmethod(_control_flow.foreach)
    while_loop = staticmethod(_control_flow.while_loop)
    cond = staticmethod(_control_flow.cond)


def _kiln_namespace():
    namespace = {"mx": mx, "np": np}
    exec(_GRAPHS, namespace)
    return namespace


@pytest.fixture(scope="module")
def oracle():
    import json
    prelude = "FOREACH = %r\nFOREACH_HEADS = %r\nWHILE = %r\nWHILE_HEADS = %r\n" \
              "COND_HEADS = %r\nCOND_TRUE = %r\nCOND_FALSE = %r\n" % tuple(
                  _literal(v) for v in (_FOREACH, _FOREACH_HEADS, _WHILE,
                                        _WHILE_HEADS, _COND_HEADS,
                                        _COND_TRUE, _COND_FALSE))
    got = run_mxnet("from numpy import array, float32\n" + prelude +
                    _ORACLE_CODE)
    got["json"] = json
    return got


def _literal(value):
    """value with its arrays as float32 numpy literals (for the snippet)."""
    if isinstance(value, dict):
        return _LiteralDict({k: _literal(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_literal(v) for v in value]
    return _LiteralArray(value)


class _LiteralArray(object):
    def __init__(self, array):
        self.array = array

    def __repr__(self):
        return "array(%r, dtype=float32)" % self.array.tolist()


class _LiteralDict(dict):
    def __repr__(self):
        return "{%s}" % ", ".join("%r: %r" % item for item in self.items())


def _close(got, expected, label):
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5,
                               err_msg=label)


@requires_oracle
def test_foreach_matches_mxnet(oracle):
    json = oracle["json"]
    ns = _kiln_namespace()
    # Fresh automatic names (_foreach0, ...): MXNet's run starts a new
    # process, and other tests in this one may have made such nodes.
    with mx.name.NameManager():
        graph = ns["foreach_graph"](_Contrib)
    assert json.loads(str(oracle["foreach_names"])) == [
        graph.list_arguments(), graph.list_outputs()]
    shapes = {k: v.shape for k, v in _FOREACH.items() if k not in ("w", "b")}
    arg, out, _ = graph.infer_shape(**shapes)
    assert json.loads(str(oracle["foreach_shapes"])) == [
        [list(s) for s in arg], [list(s) for s in out]]
    outs, grads = ns["run"](mx, graph, _FOREACH,
                            ["data", "h0", "c0", "w", "b"], _FOREACH_HEADS)
    for n, value in enumerate(outs):
        _close(value, oracle["foreach_out%d" % n], "foreach output %d" % n)
    for key, value in grads.items():
        _close(value, oracle["foreach_grad_" + key], "foreach grad " + key)
    # simple_bind gives the same, captured as one program.
    ex = graph.simple_bind(mx.cpu(), **{k: v.shape for k, v in
                                        _FOREACH.items()})
    for key, value in _FOREACH.items():
        ex.arg_dict[key][:] = value
    ex.forward(is_train=True)
    ex.backward([mx.nd.array(h) for h in _FOREACH_HEADS])
    _close(ex.outputs[0].asnumpy(), oracle["foreach_out0"], "simple_bind")
    _close(ex.grad_dict["w"].asnumpy(), oracle["foreach_grad_w"],
           "simple_bind grad w")


@requires_oracle
def test_while_loop_matches_mxnet(oracle):
    json = oracle["json"]
    ns = _kiln_namespace()
    # Fresh automatic names (_foreach0, ...): MXNet's run starts a new
    # process, and other tests in this one may have made such nodes.
    with mx.name.NameManager():
        graph = ns["while_graph"](_Contrib)
    assert json.loads(str(oracle["while_names"])) == [
        graph.list_arguments(), graph.list_outputs()]
    outs, grads = ns["run"](mx, graph, _WHILE, ["i", "s", "k"], _WHILE_HEADS)
    steps = 3  # MXNet leaves the rows past the last step unwritten
    for n in range(2):
        _close(outs[n][:steps], oracle["while_out%d" % n][:steps],
               "while output %d" % n)
        np.testing.assert_array_equal(outs[n][steps:], 0)
    for n in (2, 3):
        _close(outs[n], oracle["while_out%d" % n], "while state %d" % n)
    for key, value in grads.items():
        _close(value, oracle["while_grad_" + key], "while grad " + key)


@requires_oracle
def test_cond_matches_mxnet(oracle):
    json = oracle["json"]
    ns = _kiln_namespace()
    # Fresh automatic names (_foreach0, ...): MXNet's run starts a new
    # process, and other tests in this one may have made such nodes.
    with mx.name.NameManager():
        graph = ns["cond_graph"](_Contrib)
    assert json.loads(str(oracle["cond_names"])) == [
        graph.list_arguments(), graph.list_outputs()]
    for label, arrays in (("true", _COND_TRUE), ("false", _COND_FALSE)):
        outs, grads = ns["run"](mx, graph, arrays, ["a", "b"],
                                _COND_HEADS)
        for n, value in enumerate(outs):
            _close(value, oracle["cond_%s_out%d" % (label, n)],
                   "cond %s output %d" % (label, n))
        for key, value in grads.items():
            _close(value, oracle["cond_%s_grad_%s" % (label, key)],
                   "cond %s grad %s" % (label, key))


def test_foreach_in_module_and_json_round_trip():
    """A foreach graph trains through Module (gradient = the manual sum)
    and survives tojson/load_json."""
    data = mx.sym.var("data")
    w = mx.sym.var("w")

    def body(x, state):
        new = state + x * w
        return new, new

    outs, final = _control_flow.foreach(body, data, mx.sym.zeros((2,)) + 0)
    loss = mx.sym.MakeLoss(mx.sym.sum(outs))
    loaded = mx.sym.load_json(loss.tojson())
    values = np.arange(6, dtype=np.float32).reshape(3, 2)
    for graph in (loss, loaded):
        mod = mx.mod.Module(graph, data_names=["data"], label_names=None)
        mod.bind(data_shapes=[("data", (3, 2))])
        mod.init_params(arg_params={"w": mx.nd.ones((2,))},
                        allow_missing=False)
        batch = mx.io.DataBatch([mx.nd.array(values)])
        mod.forward(batch, is_train=True)
        # sum_t sum_{s<=t} x_s * w: d/dw = sum_s (T - s) x_s
        expected = (values * np.array([[3], [2], [1]])).sum(axis=0)
        mod.backward()
        grad = mod._exec_group.grad_arrays[
            mod._exec_group.param_names.index("w")][0].asnumpy()
        np.testing.assert_allclose(grad, expected, rtol=1e-5)
        np.testing.assert_allclose(
            mod.get_outputs()[0].asnumpy(),
            [(np.cumsum(values, axis=0)).sum()], rtol=1e-5)


def test_bad_calls_raise_as_mxnet():
    data, state = mx.sym.var("data"), mx.sym.var("s")
    with pytest.raises(AssertionError, match="different format"):
        _control_flow.foreach(lambda x, s: (x, [s]), data, state)
    with pytest.raises(AssertionError, match="list of Symbol"):
        _control_flow.foreach(lambda x, s: (1, s), data, [state])
    with pytest.raises(ValueError, match="max_iterations"):
        _control_flow.while_loop(lambda i: i < 3, lambda i: ([], [i + 1]),
                                 [state])
    with pytest.raises(TypeError):
        _control_flow.cond(data, 1, lambda: data)
    with pytest.raises(AssertionError, match="differs"):
        _control_flow.cond(data, lambda: [data, data], lambda: [data])
    # A foreach over data whose steps disagree fails at bind/forward.
    other = mx.sym.var("other")
    outs, _ = _control_flow.foreach(lambda xs, s: (xs[0] + xs[1], s),
                                    [data, other], [state])
    ex = outs.bind(mx.cpu(), {"data": mx.nd.ones((3, 2)),
                              "other": mx.nd.ones((4, 2)),
                              "s": mx.nd.ones((2,))})
    with pytest.raises(mx.base.MXNetError, match="first extent"):
        ex.forward()
