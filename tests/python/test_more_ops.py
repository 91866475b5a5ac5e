"""Three operators of MXNet 1.9.1 that gluon and legacy models use:

* SVMOutput (frontends/cpp/ops/OutputOps.cpp): the data itself forward, the
  L2- or L1-SVM hinge gradient from the label backward;
* Correlation (frontends/cpp/ops/CorrelationOps.cpp on
  runtime/cpu/Correlation.cpp): FlowNet's correlation layer;
* _rnn_param_concat (frontends/cpp/ops/JoinOps.cpp): Concat under the name
  gluon.rnn's exported graphs record, so that MXNet's exported LSTMs load.

Forward outputs and gradients are compared live against MXNet 1.9.1 (the
oracle venv, tests/python/mxnet_oracle.py): one snippet runs under both
frameworks, in mx.nd and through mx.sym's executor. Gradients are also
checked against finite differences (Correlation's with
check_numeric_gradient, SVMOutput's against the hinge loss it is the
gradient of). Bad inputs raise MXNetError at the call, naming the op, the
argument, expected and got; MXNet refuses the same ones.

Where kiln deliberately differs from MXNet 1.9.1 (checked below):
  * Correlation refuses data2 of another shape than data1's, stride2 = 0 and
    a negative pad_size at the call (MXNet reads out of bounds, divides by
    zero or wraps around, and crashes), and an even kernel_size at the call
    (MXNet when the kernel runs);
  * Correlation's float64 absolute differences are taken in float64 (MXNet:
    fabsf, float32), and float16 computes in float32 (MXNet: in float16);
  * Correlation refuses a second-order gradient (MXNet has none).
"""
import json
import os

import numpy as np
import pytest

import kiln as mx
import kiln.gluon  # noqa: F401  (SymbolBlock for the exported LSTM)
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient
from mxnet_oracle import (SNIPPET_HELPERS, bad_input_tests, compare_outputs,
                          requires_oracle, run_both, run_mxnet)

nd = mx.nd
RNG = np.random.default_rng(1913)


def _normal(shape, dtype=np.float32, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(dtype)


def _compare_cases(cases, call, tolerances=None):
    """Runs record(name, lambda *xs: <call>, arrays) under kiln and MXNet
    for each (name, kw, arrays) case (`call` sees `xs` and `kw`) and
    compares outputs and gradients."""
    spec = [(name, kw, len(arrays)) for name, kw, arrays in cases]
    code = SNIPPET_HELPERS + (
        "import json\n"
        "for name, kw, count in json.loads(%r):\n"
        "    arrays = [inputs['%%s_%%d' %% (name, k)] for k in range(count)]\n"
        "    record(name, lambda *xs: %s, arrays)\n") % (json.dumps(spec), call)
    got, expected = run_both(
        code, mx, **{"%s_%d" % (name, k): array for name, _, arrays in cases
                     for k, array in enumerate(arrays)})
    compare_outputs(got, expected, tolerances=tolerances)


def _split_text(outputs):
    """The string outputs (JSON text) taken out of `outputs`, decoded."""
    text = {k: json.loads(str(v)) for k, v in outputs.items()
            if v.dtype.kind == "U"}
    for key in text:
        del outputs[key]
    return text


#===-------------------------------------------------------------------===#
# Correlation
#===-------------------------------------------------------------------===#

def _correlation_cases():
    pair = lambda shape, dtype=np.float32: [_normal(shape, dtype),  # noqa
                                            _normal(shape, dtype)]
    return [
        ("default", {}, pair((2, 3, 8, 8))),
        ("k3_d2_pad2", dict(kernel_size=3, max_displacement=2, pad_size=2),
         pair((2, 3, 8, 8))),
        ("strides", dict(kernel_size=3, max_displacement=2, stride1=3,
                         stride2=2, pad_size=1), pair((2, 3, 8, 8))),
        ("wide", dict(max_displacement=4, stride1=2, stride2=2, pad_size=4),
         pair((1, 5, 9, 11))),
        ("uneven_grid", dict(max_displacement=3, stride2=2, pad_size=1),
         pair((2, 4, 7, 6))),
        ("one_channel", dict(kernel_size=5, max_displacement=0, pad_size=1),
         pair((2, 2, 6, 7))),
        ("abs_k3", dict(kernel_size=3, max_displacement=1, pad_size=1,
                        is_multiply=False), pair((2, 3, 6, 6))),
        ("abs_strides", dict(max_displacement=3, stride1=2, stride2=3,
                             is_multiply=False), pair((2, 4, 7, 9))),
        ("f64", dict(kernel_size=3, max_displacement=2, pad_size=2),
         pair((2, 3, 6, 5), np.float64)),
        ("f64_abs", dict(kernel_size=3, max_displacement=1, stride2=1,
                         is_multiply=False), pair((1, 3, 7, 7), np.float64)),
        ("f16", dict(kernel_size=3, max_displacement=1, pad_size=1),
         pair((1, 4, 6, 6), np.float16)),
    ]


@requires_oracle
def test_correlation_matches_mxnet():
    # MXNet sums float16 in float16; kiln in float32.
    loose = {"f16/" + key: (2e-2, 2e-3) for key in ("out0", "grad0", "grad1")}
    _compare_cases(_correlation_cases(), "mx.nd.Correlation(*xs, **kw)", loose)


@requires_oracle
def test_correlation_symbol_matches_mxnet():
    a, b = _normal((2, 3, 8, 8)), _normal((2, 3, 8, 8))
    code = SNIPPET_HELPERS + """
import json
kw = dict(kernel_size=3, max_displacement=2, stride2=2, pad_size=1)
s = mx.sym.Correlation(mx.sym.var("a"), mx.sym.Variable("b"), name="corr",
                       **kw)
args, outs, auxs = s.infer_shape(a=(2, 3, 8, 8), b=(2, 3, 8, 8))
node = json.loads(s.tojson())["nodes"][-1]
outputs["interface"] = np.array(json.dumps(dict(
    arguments=s.list_arguments(), outputs=s.list_outputs(),
    shapes=[args, outs, auxs], node=node)))
ex = s.simple_bind(mx.cpu(), a=(2, 3, 8, 8), b=(2, 3, 8, 8))
ex.forward(is_train=True, a=mx.nd.array(inputs["a"]),
           b=mx.nd.array(inputs["b"]))
outputs["out"] = ex.outputs[0].asnumpy()
ex.backward([mx.nd.array(head_like(outputs["out"]))])
outputs["grad_a"] = ex.grad_dict["a"].asnumpy()
outputs["grad_b"] = ex.grad_dict["b"].asnumpy()
loaded = mx.sym.load_json(s.tojson())
outputs["reloaded"] = loaded.eval(ctx=mx.cpu(), a=mx.nd.array(inputs["a"]),
                                  b=mx.nd.array(inputs["b"]))[0].asnumpy()
"""
    got, expected = run_both(code, mx, a=a, b=b)
    assert _split_text(got) == _split_text(expected)
    compare_outputs(got, expected)


def test_correlation_nd_and_out():
    a, b = _normal((1, 2, 5, 5)), _normal((1, 2, 5, 5))
    y = nd.Correlation(nd.array(a), nd.array(b))
    assert y.shape == (1, 9, 3, 3) and isinstance(y, nd.NDArray)
    # One displacement by hand: q = 5 is (dy, dx) = (0, 1).
    np.testing.assert_allclose(
        y.asnumpy()[0, 5],
        (a[0, :, 1:4, 1:4] * b[0, :, 1:4, 2:5]).sum(axis=0) / 2, rtol=1e-5)
    out = nd.zeros((1, 9, 3, 3))
    nd.Correlation(nd.array(a), nd.array(b), out=out)
    np.testing.assert_array_equal(out.asnumpy(), y.asnumpy())
    # Non-contiguous inputs (transposed views) give the same values.
    at = nd.array(a.transpose(0, 1, 3, 2)).transpose((0, 1, 3, 2))
    np.testing.assert_allclose(nd.Correlation(at, nd.array(b)).asnumpy(),
                               y.asnumpy(), rtol=1e-6)
    # An empty batch is an empty result.
    empty = nd.Correlation(nd.empty((0, 2, 5, 5)), nd.empty((0, 2, 5, 5)))
    assert empty.shape == (0, 9, 3, 3)


@pytest.mark.parametrize("kw", [
    dict(kernel_size=3, max_displacement=1, stride1=2, pad_size=2),
    dict(max_displacement=2, stride2=2, pad_size=1),
    dict(kernel_size=3, max_displacement=1, pad_size=1, is_multiply=False),
], ids=["multiply", "strided", "abs"])
def test_correlation_numeric_gradient(kw):
    a, b = _normal((2, 2, 5, 6), np.float64), _normal((2, 2, 5, 6), np.float64)
    check_numeric_gradient(lambda x, y: nd.Correlation(x, y, **kw), [a, b],
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-8,
                           dtype=np.float64)


def test_correlation_refuses_second_order():
    a, b = nd.array(_normal((1, 2, 5, 5))), nd.array(_normal((1, 2, 5, 5)))
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        y = nd.Correlation(a, b)
        with pytest.raises(MXNetError, match="Correlation: is not "
                           "differentiable again"):
            mx.autograd.grad(y, [a], create_graph=True)


CORRELATION_PRELUDE = """
a = mx.nd.ones((2, 3, 8, 8))
"""

CORRELATION_REFUSED_BY_BOTH = [
    ("rank3", "mx.nd.Correlation(mx.nd.ones((2, 3, 8)), mx.nd.ones((2, 3, 8)))",
     r"Correlation: data1 expected 4 dimensions \(N, C, H, W\), got shape "
     r"\(2, 3, 8\)"),
    ("even_kernel", "mx.nd.Correlation(a, a, kernel_size=2)",
     "Correlation: kernel_size expected an odd number, got 2"),
    ("zero_kernel", "mx.nd.Correlation(a, a, kernel_size=0)",
     "Correlation: kernel_size expected an integer from 1 to .*, got 0"),
    ("zero_stride1", "mx.nd.Correlation(a, a, stride1=0)",
     "Correlation: stride1 expected an integer from 1 to .*, got 0"),
    ("no_fit", "mx.nd.Correlation(a, a, max_displacement=4)",
     r"Correlation: the neighbourhood and kernel do not fit: height \+ 2 \* "
     r"pad_size expected more than 2 \* \(max_displacement \+ kernel_size "
     r"// 2\) = 8, got 8"),
    ("no_fit_width", "mx.nd.Correlation(mx.nd.ones((1, 1, 9, 4)), "
     "mx.nd.ones((1, 1, 9, 4)), kernel_size=3, max_displacement=1)",
     "Correlation: the neighbourhood and kernel do not fit: width .* "
     "= 4, got 4"),
    ("dtype_mismatch", "mx.nd.Correlation(a, a.astype('float64'))",
     "Correlation: data2 expected data1's dtype float32, got float64"),
    ("int_dtype", "mx.nd.Correlation(a.astype('int32'), a.astype('int32'))",
     "Correlation: data1 expected dtype float16, float32 or float64, got "
     "int32"),
]

CORRELATION_KILN_ONLY = [
    # MXNet reads out of bounds (and crashes) on each of these.
    ("shape_mismatch", "mx.nd.Correlation(a, mx.nd.ones((2, 3, 9, 9)))",
     r"Correlation: data2 expected data1's shape \(2, 3, 8, 8\), got "
     r"\(2, 3, 9, 9\)"),
    ("zero_stride2", "mx.nd.Correlation(a, a, stride2=0)",
     "Correlation: stride2 expected an integer from 1 to .*, got 0"),
    ("negative_pad", "mx.nd.Correlation(a, a, pad_size=-1)",
     "Correlation: pad_size expected an integer from 0 to .*, got -1"),
    ("negative_displacement", "mx.nd.Correlation(a, a, max_displacement=-1)",
     "Correlation: max_displacement expected an integer from 0 to .*, got -1"),
    ("bad_bool", "mx.nd.Correlation(a, a, is_multiply='maybe')",
     "Correlation: .*is_multiply"),
]

(test_correlation_bad_inputs_raise_at_the_call,
 test_mxnet_refuses_the_same_correlation_inputs) = bad_input_tests(
     mx, CORRELATION_PRELUDE, CORRELATION_REFUSED_BY_BOTH,
     CORRELATION_KILN_ONLY, MXNetError)


def test_correlation_symbol_refuses_bad_shapes():
    s = mx.sym.Correlation(mx.sym.var("a"), mx.sym.var("b"),
                           max_displacement=4)
    with pytest.raises(MXNetError, match="Correlation: the neighbourhood"):
        s.infer_shape(a=(2, 3, 8, 8), b=(2, 3, 8, 8))


#===-------------------------------------------------------------------===#
# SVMOutput
#===-------------------------------------------------------------------===#

def _svm_labels(shape, classes, dtype=np.float32):
    # Mostly classes, some out of range (-1, classes, classes + 2) and some
    # fractional (truncated).
    labels = RNG.integers(-1, classes + 3, size=shape).astype(np.float64)
    labels += RNG.choice([0.0, 0.0, 0.7], size=shape)
    return labels.astype(dtype)


def _svm_cases():
    x = _normal((6, 5), scale=1.5)
    lab = _svm_labels((6,), 5)
    x3 = _normal((2, 3, 4), scale=1.5)
    lab3 = _svm_labels((2, 3), 4)
    x64 = _normal((5, 4), np.float64, 1.5)
    lab64 = _svm_labels((5,), 4, np.float64)
    x16 = _normal((4, 6), np.float16, 1.5)
    lab16 = _svm_labels((4,), 6, np.float16)
    return [
        ("l2_default", {}, [x, lab]),
        ("l2_margin", dict(margin=0.7, regularization_coefficient=2.5),
         [x, lab]),
        ("l1_default", dict(use_linear=True), [x, lab]),
        ("l1_margin", dict(margin=0.3, regularization_coefficient=0.5,
                           use_linear=True), [x, lab]),
        ("rank3", dict(margin=0.8), [x3, lab3]),
        ("rank3_l1", dict(use_linear=True), [x3, lab3]),
        ("f64", dict(margin=0.7, regularization_coefficient=1.3), [x64, lab64]),
        ("f64_l1", dict(use_linear=True, margin=0.2), [x64, lab64]),
        ("f16", dict(margin=0.7), [x16, lab16]),
    ]


@requires_oracle
def test_svm_output_matches_mxnet():
    # record() backs a head gradient of cosines: the layer must ignore it.
    _compare_cases(_svm_cases(), "mx.nd.SVMOutput(*xs, **kw)")


@requires_oracle
def test_svm_output_symbol_matches_mxnet():
    x, lab = _normal((6, 5), scale=1.5), _svm_labels((6,), 5)
    code = SNIPPET_HELPERS + """
import json
s = mx.sym.SVMOutput(mx.sym.var("data"), name="svm", margin=0.5,
                     use_linear=True)
args, outs, auxs = s.infer_shape(data=(6, 5))
outputs["interface"] = np.array(json.dumps(dict(
    arguments=s.list_arguments(), outputs=s.list_outputs(),
    shapes=[args, outs, auxs], nodes=json.loads(s.tojson())["nodes"],
    shapes3=s.infer_shape(data=(2, 3, 4))[0])))
ex = s.simple_bind(mx.cpu(), data=(6, 5))
ex.forward(is_train=True, data=mx.nd.array(inputs["x"]),
           svm_label=mx.nd.array(inputs["lab"]))
outputs["out"] = ex.outputs[0].asnumpy()
ex.backward()
outputs["grad"] = ex.grad_dict["data"].asnumpy()
outputs["grad_label"] = ex.grad_dict["svm_label"].asnumpy()
"""
    got, expected = run_both(code, mx, x=x, lab=lab)
    assert _split_text(got) == _split_text(expected)
    compare_outputs(got, expected)


def _hinge_loss(x, label, margin, coefficient, linear):
    """The loss whose gradient SVMOutput's backward is (classes last)."""
    rows = x.reshape(-1, x.shape[-1])
    classes = np.arange(rows.shape[1])
    truncated = np.trunc(label.reshape(-1, 1))
    sign = np.where(classes[None, :] == truncated, -1.0, 1.0)
    slack = np.maximum(margin + sign * rows, 0)
    return coefficient * (slack if linear else slack ** 2).sum()


@pytest.mark.parametrize("linear", [False, True], ids=["l2", "l1"])
def test_svm_output_gradient_is_the_hinge_loss_gradient(linear):
    x = _normal((2, 3, 5), np.float64, 1.5)
    label = _svm_labels((2, 3), 5, np.float64)
    margin, coefficient = 0.75, 1.5  # exact in float32, as MXNet's params
    data = nd.array(x, dtype="float64")
    data.attach_grad()
    with mx.autograd.record():
        y = nd.SVMOutput(data, nd.array(label, dtype="float64"), margin=margin,
                         regularization_coefficient=coefficient,
                         use_linear=linear)
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), x)
    eps = 1e-6
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        numeric[index] = (
            _hinge_loss(x + step, label, margin, coefficient, linear) -
            _hinge_loss(x - step, label, margin, coefficient, linear)) / (2 * eps)
    np.testing.assert_allclose(data.grad.asnumpy(), numeric, rtol=1e-6,
                               atol=1e-6)


def test_svm_output_gradient_flows_on_and_ignores_the_head():
    x = nd.array(_normal((4, 3), scale=1.5))
    x.attach_grad()
    label = nd.array([0, 1, 2, 1])
    grads = []
    for head in (None, nd.ones((4, 3)) * 7):
        with mx.autograd.record():
            y = nd.SVMOutput(x * 2, label)
        y.backward(head)
        grads.append(x.grad.asnumpy().copy())
    np.testing.assert_array_equal(grads[0], grads[1])
    # x * 2's chain rule doubles the layer's gradient.
    out = 2 * x.asnumpy()
    sign = np.where(np.arange(3)[None, :] == label.asnumpy()[:, None], -1, 1)
    expected = 2 * (2 * np.maximum(1 + sign * out, 0) * sign)
    np.testing.assert_allclose(grads[0], expected, rtol=1e-6)


SVM_PRELUDE = """
x = mx.nd.ones((3, 4))
"""

SVM_REFUSED_BY_BOTH = [
    ("int_data", "mx.nd.SVMOutput(x.astype('int32'), "
     "mx.nd.ones((3,), dtype='int32'))",
     "SVMOutput: data expected a floating-point array, got int32"),
    ("label_dtype", "mx.nd.SVMOutput(x, mx.nd.ones((3,), dtype='float64'))",
     r"SVMOutput: label expected dtype float32 \(data's\), got float64"),
    ("label_shape", "mx.nd.SVMOutput(x, mx.nd.ones((4,)))",
     r"SVMOutput: label expected shape \(3,\) \(data's without its last "
     r"axis\), got \(4,\)"),
    ("label_full_shape", "mx.nd.SVMOutput(x, mx.nd.ones((3, 4)))",
     r"SVMOutput: label expected shape \(3,\) .*got \(3, 4\)"),
    ("rank1_label", "mx.nd.SVMOutput(mx.nd.ones((3,)), mx.nd.ones((1,)))",
     r"SVMOutput: label expected shape \(\) .*got \(1,\)"),
    ("bad_margin", "mx.nd.SVMOutput(x, mx.nd.ones((3,)), margin='wide')",
     "SVMOutput: .*margin"),
]

SVM_KILN_ONLY = [
    # MXNet 1.9.1 has no 0-d arrays outside its numpy mode.
    ("scalar_data", "mx.nd.SVMOutput(mx.nd.array(np.float32(1)).reshape(()), "
     "mx.nd.ones((1,)))",
     "SVMOutput: data expected an array of rank 1 or more, got a scalar"),
]

(test_svm_output_bad_inputs_raise_at_the_call,
 test_mxnet_refuses_the_same_svm_output_inputs) = bad_input_tests(
     mx, SVM_PRELUDE, SVM_REFUSED_BY_BOTH, SVM_KILN_ONLY, MXNetError)


#===-------------------------------------------------------------------===#
# _rnn_param_concat
#===-------------------------------------------------------------------===#

@requires_oracle
def test_rnn_param_concat_matches_mxnet():
    code = SNIPPET_HELPERS + """
import json
concat = mx.nd._internal._rnn_param_concat
record("flat", lambda *xs: concat(*xs, dim=0),
       [inputs["a"], inputs["b"], inputs["c"]])
record("rows", lambda p, q: concat(p, q), [inputs["p"], inputs["q"]])
record("axis0", lambda p, q: concat(p, q, dim=0),
       [inputs["p"], inputs["p"]])
s = mx.sym._internal._rnn_param_concat(mx.sym.var("x"), mx.sym.var("y"),
                                       dim=0, num_args=2, name="pc")
outputs["interface"] = np.array(json.dumps(dict(
    arguments=s.list_arguments(), outputs=s.list_outputs(),
    nodes=json.loads(s.tojson())["nodes"],
    shapes=s.infer_shape(x=(3,), y=(4,)))))
"""
    got, expected = run_both(code, mx, a=_normal((3,)), b=_normal((5,)),
                             c=_normal((1,)), p=_normal((2, 3)),
                             q=_normal((2, 4)))
    assert _split_text(got) == _split_text(expected)
    compare_outputs(got, expected)


RNN_CONCAT_PRELUDE = """
concat = mx.nd._internal._rnn_param_concat
"""

(test_rnn_param_concat_bad_inputs_raise_at_the_call,
 test_mxnet_refuses_the_same_rnn_param_concat_inputs) = bad_input_tests(
     mx, RNN_CONCAT_PRELUDE, [
         ("off_dim", "concat(mx.nd.ones((2, 3)), mx.nd.ones((3, 3)))",
          r"_rnn_param_concat: array 1 has shape \(3, 3\), which does not "
          r"match \(2, 3\) off dimension 1"),
         ("dim_range", "concat(mx.nd.ones((2,)), mx.nd.ones((2,)), dim=1)",
          "_rnn_param_concat: dim 1 is out of range for arrays of rank 1"),
     ], [], MXNetError)


# MXNet exports a hybridized 2-layer bidirectional LSTM (its parameters
# packed by _rnn_param_concat), runs it and its gradients; kiln imports the
# export, runs the same and exports it again for MXNet to import.
LSTM_EXPORT = """
import os
folder = %r
net = mx.gluon.rnn.LSTM(4, num_layers=2, bidirectional=True, input_size=3,
                        prefix="lstm0_")
net.initialize(mx.init.Uniform(0.5))
net.hybridize()
x, h0, c0 = (mx.nd.array(inputs[k]) for k in ("x", "h0", "c0"))
net(x, [h0, c0])
net.export(os.path.join(folder, "mx_lstm"))
"""

LSTM_RUN = """
import os, json
folder, prefix = %r, %r
net = mx.gluon.SymbolBlock.imports(
    os.path.join(folder, prefix + "-symbol.json"), ["data0", "data1", "data2"],
    os.path.join(folder, prefix + "-0000.params"))
x, h0, c0 = (mx.nd.array(inputs[k]) for k in ("x", "h0", "c0"))
with mx.autograd.record():
    ys = net(x, h0, c0)
ys[0].backward(mx.nd.array(np.cos(np.arange(ys[0].size)).reshape(ys[0].shape)))
for k, y in enumerate(ys):
    outputs["out%%d" %% k] = y.asnumpy()
for name, param in net.collect_params().items():
    outputs["grad/" + name] = param.grad().asnumpy()
ops = [n["op"] for n in json.load(open(os.path.join(
    folder, prefix + "-symbol.json")))["nodes"]]
outputs["ops"] = np.array(json.dumps(sorted(set(ops))))
"""


@requires_oracle
def test_exported_lstm_imports_and_round_trips(tmp_path):
    folder = str(tmp_path)
    arrays = dict(x=_normal((5, 2, 3)), h0=_normal((4, 2, 4)),
                  c0=_normal((4, 2, 4)))
    run_mxnet(LSTM_EXPORT % folder, **arrays)
    expected = run_mxnet(LSTM_RUN % (folder, "mx_lstm"), **arrays)
    assert "_rnn_param_concat" in json.loads(str(expected["ops"]))
    # kiln runs MXNet's export.
    scope = {"mx": mx, "np": np, "inputs": arrays, "outputs": {}}
    exec(LSTM_RUN % (folder, "mx_lstm"), scope)
    got = {k: np.asarray(v) for k, v in scope["outputs"].items()}
    assert _split_text(got) == _split_text(expected)
    assert len([k for k in got if k.startswith("grad/")]) == 16
    compare_outputs(got, expected)
    # kiln's own export of the imported block, run by MXNet.
    block = mx.gluon.SymbolBlock.imports(
        os.path.join(folder, "mx_lstm-symbol.json"),
        ["data0", "data1", "data2"],
        os.path.join(folder, "mx_lstm-0000.params"))
    block.hybridize()
    block(*[nd.array(arrays[k]) for k in ("x", "h0", "c0")])
    block.export(os.path.join(folder, "kiln_lstm"))
    again = run_mxnet(LSTM_RUN % (folder, "kiln_lstm"), **arrays)
    assert "_rnn_param_concat" in json.loads(str(again.pop("ops")))
    compare_outputs(again, expected)
