"""kiln/_python_ops.py: operators implemented in Python, registered once,
as mx.nd / mx.sym functions, symbol nodes (inference, Executor, JSON,
hybridized Gluon) and autograd calls.

A toy operator, registered here under a contrib name kiln's C++ registry
does not have, checks each layer; Custom (tests/python/test_custom_op.py)
and the detection operators (test_contrib_detection.py) are clients too.
"""
import json

import numpy as np
import pytest

import kiln as mx
import kiln.operator  # noqa: F401  (mx.sym's routing, as the package does)
from kiln import _python_ops
from kiln.base import MXNetError

OP = "_contrib_kiln_test_scaled_sum"


def _parse(attrs):
    unknown = [key for key in attrs if key != "factor"]
    if unknown:
        raise MXNetError("Cannot find argument '%s'" % unknown[0])
    return float(attrs.get("factor", "1"))


def _infer(factor, shapes, dtypes):
    # out = factor * (a + b) and the row sums of a: (N, M) -> (N, M), (N,)
    known = shapes[0] if shapes[0] is not None else shapes[1]
    if shapes[0] is not None and shapes[1] is not None and \
            tuple(shapes[0]) != tuple(shapes[1]):
        raise MXNetError("kiln_test_scaled_sum: shapes %s and %s differ"
                         % (shapes[0], shapes[1]))
    dtype = dtypes[0] or dtypes[1]  # None while unknown
    rows = None if known is None else (known[0],)
    return [(known, dtype), (known, dtype)], [(known, dtype), (rows, dtype)]


def _forward(factor, arrays, is_train):
    CALLS.append(is_train)
    a, b = arrays
    total = factor * (a + b)
    return [total, a.sum(axis=1), np.array(factor)]  # the last one hidden


def _backward(factor, arrays, outputs, out_grads):
    assert outputs[2] == factor  # hidden outputs reach backward
    grad = factor * out_grads[0] + out_grads[1][:, None]
    return [grad, factor * out_grads[0]]


CALLS = []
if _python_ops.lookup(OP) is None:
    _python_ops.register(OP, inputs=["a", "b"], outputs=["out", "rows"],
                         params=[("factor", "1.0")], parse=_parse,
                         infer=_infer, forward=_forward, backward=_backward,
                         aliases=["_contrib_kiln_test_scaled_sum_alias"],
                         doc="A test operator.")


def test_functions_and_autograd():
    a = mx.nd.array([[1, 2], [3, 4]])
    b = mx.nd.ones((2, 2))
    out, rows = mx.nd.contrib.kiln_test_scaled_sum(a, b, 2)
    assert out.asnumpy().tolist() == [[4, 6], [8, 10]]
    assert rows.asnumpy().tolist() == [3, 7]
    alias = mx.nd.contrib.kiln_test_scaled_sum_alias(a, b=b, factor=3)
    assert alias[0].asnumpy().tolist() == [[6, 9], [12, 15]]
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        out, rows = mx.nd.contrib.kiln_test_scaled_sum(a, b, factor=2)
        loss = (out * out).sum() + rows.sum()
    loss.backward()
    # d/da: 2 * 2 * out + 1 (rows), d/db: 2 * 2 * out
    np.testing.assert_allclose(a.grad.asnumpy(),
                               4 * out.asnumpy() + 1)
    np.testing.assert_allclose(b.grad.asnumpy(), 4 * out.asnumpy())
    targets = [mx.nd.zeros((2, 2)), mx.nd.zeros((2,))]
    returned = mx.nd.contrib.kiln_test_scaled_sum(a, b, out=targets)
    assert returned is targets
    assert targets[1].asnumpy().tolist() == [3, 7]
    assert OP in mx.operator.get_all_registered_operators()


def test_bad_calls_raise():
    a = mx.nd.ones((2, 2))
    with pytest.raises(MXNetError, match="Cannot find argument 'scale'"):
        mx.nd.contrib.kiln_test_scaled_sum(a, a, scale=2)
    with pytest.raises(MXNetError, match="shapes \\(2, 2\\) and \\(3, 2\\)"):
        mx.nd.contrib.kiln_test_scaled_sum(a, mx.nd.ones((3, 2)))
    with pytest.raises(MXNetError, match="already registered"):
        _python_ops.register(OP, infer=_infer, forward=_forward)
    with pytest.raises(MXNetError, match="C\\+\\+ registry"):
        _python_ops.register("_contrib_box_decode_not", infer=_infer,
                             forward=_forward, aliases=["dot"])


def test_symbol_inference_executor_and_json():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    node = mx.sym.contrib.kiln_test_scaled_sum_alias(mx.sym.exp(a), b,
                                                     factor=0.5, name="t")
    assert node.list_outputs() == ["t_out", "t_rows"]
    net = mx.sym.Group([node[0] * 2, node[1]])
    assert net.infer_shape(a=(3, 2)) == ([(3, 2), (3, 2)],
                                         [(3, 2), (3,)], [])
    assert net.infer_type(a=np.float64)[1] == [np.float64, np.float64]
    text = net.tojson()
    ops = [n["op"] for n in json.loads(text)["nodes"]]
    assert OP in ops and "_contrib_kiln_test_scaled_sum_alias" not in ops
    loaded = mx.sym.load_json(text)
    assert loaded.tojson() == text
    values = np.arange(6, dtype=np.float32).reshape(3, 2) / 6
    exe = loaded.simple_bind(mx.cpu(), a=(3, 2), b=(3, 2))
    del CALLS[:]
    for _ in range(2):
        outs = exe.forward(is_train=True, a=values, b=np.ones((3, 2)))
        exe.backward([mx.nd.ones((3, 2)), mx.nd.ones((3,))])
    assert CALLS == [1, 1]  # interpreted: the Python runs every forward
    np.testing.assert_allclose(outs[0].asnumpy(), np.exp(values) + 1,
                               rtol=1e-5)
    np.testing.assert_allclose(outs[1].asnumpy(), np.exp(values).sum(1),
                               rtol=1e-5)
    # d/da of 2 * 0.5 (exp(a) + b) + rowsum(exp(a)) = 2 exp(a)
    np.testing.assert_allclose(exe.grad_dict["a"].asnumpy(),
                               2 * np.exp(values), rtol=1e-5)
    np.testing.assert_allclose(exe.grad_dict["b"].asnumpy(),
                               np.ones((3, 2)), rtol=1e-5)
    bad = json.loads(text)
    for n in bad["nodes"]:
        if n["op"] == OP:
            n["inputs"] = n["inputs"][:1]
    with pytest.raises(MXNetError, match="operator %s expects 2 inputs "
                       "\\(a, b\\), got 1" % OP):
        mx.sym.load_json(json.dumps(bad))


def test_hybridized_block():
    class Net(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.contrib.kiln_test_scaled_sum(x, x * 2, factor=2)[0] + 1

    net = Net()
    net.hybridize()
    x = mx.nd.array([[1, 2]])
    x.attach_grad()
    for _ in range(2):
        with mx.autograd.record():
            y = net(x)
        y.backward()
    assert y.asnumpy().tolist() == [[7, 13]]
    assert x.grad.asnumpy().tolist() == [[6, 6]]
