"""MXNet's output layers (frontends/cpp/ops/OutputOps.cpp): SoftmaxOutput
(and Softmax), LogisticRegressionOutput, LinearRegressionOutput,
MAERegressionOutput, MakeLoss, make_loss, and BlockGrad. Each case runs
`y = op(x, label); y.backward(head)` in kiln and in the real MXNet 1.9.1
(live, through mxnet_oracle) and compares the forward output and the
gradients of data and label; plus bad inputs."""
import json

import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from mxnet_oracle import requires_oracle, run_mxnet

nd = mx.nd

# Runs one case; executed as is by kiln here and by MXNet in the oracle.
RUNNER = '''
def run_case(mx, np, op, arrays, kw):
    nd = mx.nd
    inputs = [nd.array(a, dtype=a.dtype) for a in arrays[:-1]]
    for array in inputs:
        array.attach_grad()
    with mx.autograd.record():
        y = getattr(nd, op)(*inputs, **kw)
    # A head gradient that the output layers must ignore.
    y.backward(nd.array(arrays[-1], dtype=arrays[-1].dtype))
    result = {"out": y.asnumpy(), "dx": inputs[0].grad.asnumpy()}
    if len(inputs) > 1:
        result["dlabel"] = inputs[1].grad.asnumpy()
    return result
'''

ORACLE = RUNNER + '''
import json
for i, (op, count, kw) in enumerate(json.loads(CASES)):
    arrays = [inputs["%d_%d" % (i, k)] for k in range(count)]
    for k, v in run_case(mx, np, op, arrays, kw).items():
        outputs["%d_%s" % (i, k)] = v
'''


def class_labels(rng, shape, classes, dtype):
    # Some out of range (-1, classes) and some fractional (truncated).
    labels = rng.integers(-1, classes + 1, size=shape).astype(np.float64)
    labels += rng.choice([0.0, 0.0, 0.4], size=shape)
    return labels.astype(dtype)


def softmax_cases(rng, dtype):
    cases = []
    x2 = rng.standard_normal((6, 5)).astype(dtype)
    lab2 = class_labels(rng, (6,), 5, dtype)
    lab2[:2] = [2, 0]  # ignore_label 2 shows up
    for norm in ("null", "batch", "valid"):
        for use_ignore in (False, True):
            for alpha in (0.0, 0.2):
                cases.append(("SoftmaxOutput", [x2, lab2],
                              dict(normalization=norm, use_ignore=use_ignore,
                                   ignore_label=2, smooth_alpha=alpha,
                                   grad_scale=1.5)))
    cases.append(("SoftmaxOutput", [x2, lab2], dict(out_grad=True)))
    cases.append(("Softmax", [x2, lab2], dict(grad_scale=2.0)))
    # Probabilities as the label.
    p2 = rng.random((6, 5)).astype(dtype)
    cases.append(("SoftmaxOutput", [x2, p2], dict(grad_scale=0.5,
                                                  normalization="batch")))
    cases.append(("SoftmaxOutput", [x2, p2], dict(out_grad=True)))
    # 3-D: flattened, preserve_shape, multi_output and its label shapes.
    x3 = rng.standard_normal((2, 3, 4)).astype(dtype)
    cases.append(("SoftmaxOutput", [x3, class_labels(rng, (2, 3), 12, dtype)],
                  dict(normalization="batch")))
    cases.append(("SoftmaxOutput", [x3, class_labels(rng, (2, 3), 4, dtype)],
                  dict(preserve_shape=True, use_ignore=True, ignore_label=1,
                       normalization="valid")))
    cases.append(("SoftmaxOutput", [x3, class_labels(rng, (2, 3), 4, dtype)],
                  dict(preserve_shape=True, smooth_alpha=0.1, out_grad=True)))
    for norm in ("null", "batch", "valid"):
        for use_ignore in (False, True):
            cases.append(("SoftmaxOutput",
                          [x3, class_labels(rng, (2, 4), 3, dtype)],
                          dict(multi_output=True, normalization=norm,
                               use_ignore=use_ignore, ignore_label=0,
                               grad_scale=3.0)))
    cases.append(("SoftmaxOutput", [x3, class_labels(rng, (2, 1, 4), 3, dtype)],
                  dict(multi_output=True, smooth_alpha=0.3, out_grad=True)))
    x4 = rng.standard_normal((2, 3, 2, 2)).astype(dtype)
    cases.append(("SoftmaxOutput",
                  [x4, class_labels(rng, (2, 2, 2), 3, dtype)],
                  dict(multi_output=True, normalization="valid",
                       use_ignore=True, ignore_label=1)))
    cases.append(("SoftmaxOutput", [x4, rng.random((2, 3, 2, 2)).astype(dtype)],
                  dict(multi_output=True)))
    return cases


def regression_cases(rng, dtype):
    cases = []
    x = rng.standard_normal((4, 3)).astype(dtype)
    label = rng.random((4, 3)).astype(dtype)
    for op in ("LinearRegressionOutput", "LogisticRegressionOutput",
               "MAERegressionOutput"):
        cases.append((op, [x, label], dict()))
        cases.append((op, [x, label], dict(grad_scale=2.5)))
    x1 = rng.standard_normal((5, 1)).astype(dtype)
    cases.append(("LinearRegressionOutput",
                  [x1, rng.random((5,)).astype(dtype)], dict()))
    x3 = rng.standard_normal((2, 3, 4)).astype(dtype)
    cases.append(("LogisticRegressionOutput",
                  [x3, rng.random((2, 12)).astype(dtype)], dict(grad_scale=3)))
    cases.append(("MAERegressionOutput",
                  [x3, rng.random((2, 3, 4)).astype(dtype)], dict()))
    cases.append(("LinearRegressionOutput",
                  [rng.standard_normal(5).astype(dtype),
                   rng.random(5).astype(dtype)], dict()))
    return cases


def loss_cases(rng, dtype):
    cases = []
    x = rng.standard_normal((4, 3)).astype(dtype)
    for kw in (dict(), dict(grad_scale=3), dict(normalization="batch"),
               dict(normalization="valid"),
               dict(normalization="valid", valid_thresh=0.5, grad_scale=2),
               dict(normalization="null", valid_thresh=0.5)):
        cases.append(("MakeLoss", [x], kw))
    cases.append(("MakeLoss", [rng.standard_normal((2, 3, 2)).astype(dtype)],
                  dict(normalization="batch")))
    cases.append(("MakeLoss", [rng.standard_normal(5).astype(dtype)],
                  dict(normalization="batch", grad_scale=4)))
    cases.append(("MakeLoss", [-np.ones((2, 3), dtype)],
                  dict(normalization="valid")))
    cases.append(("make_loss", [x], dict()))
    cases.append(("BlockGrad", [x], dict()))
    cases.append(("stop_gradient", [x], dict()))
    return cases


def build_cases():
    rng = np.random.default_rng(4)
    cases = []
    for dtype in (np.float32, np.float64):
        cases += softmax_cases(rng, dtype)
        cases += regression_cases(rng, dtype)
        cases += loss_cases(rng, dtype)
    # The head gradient each case passes (and must not matter).
    return [(op, arrays + [(rng.random(arrays[0].shape) + 2).astype(
        arrays[0].dtype)], kw) for op, arrays, kw in cases]


@requires_oracle
def test_output_layers_match_mxnet():
    cases = build_cases()
    given = {"%d_%d" % (i, k): array
             for i, (_, arrays, _) in enumerate(cases)
             for k, array in enumerate(arrays)}
    plan = json.dumps([(op, len(arrays), kw) for op, arrays, kw in cases])
    expected = run_mxnet("CASES = %r\n" % plan + ORACLE, **given)
    namespace = {}
    exec(RUNNER, namespace)
    failures = []
    for i, (op, arrays, kw) in enumerate(cases):
        got = namespace["run_case"](mx, np, op, arrays, kw)
        rtol = 1e-5 if arrays[0].dtype == np.float32 else 1e-12
        for name, value in got.items():
            want = expected["%d_%s" % (i, name)]
            try:
                assert value.shape == want.shape and value.dtype == want.dtype
                np.testing.assert_allclose(value, want, rtol=rtol,
                                           atol=rtol * 0.1)
            except AssertionError as error:
                failures.append("case %d %s %s %s %s: %s" % (
                    i, op, arrays[0].shape, kw, name,
                    str(error).splitlines()[-3:]))
    assert not failures, "\n".join(failures[:10])


def test_gradient_ignores_the_head_and_flows_on():
    # A layer before the output layer receives the label's gradient.
    x = nd.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    w = nd.array([[2.0, 1.0, 0.5]])
    w.attach_grad()
    with mx.autograd.record():
        y = nd.SoftmaxOutput(nd.broadcast_mul(x, w), nd.array([2, 0]))
        z = y * 100  # ignored: the output layer starts the gradient afresh
    z.backward()
    p = y.asnumpy()
    onehot = np.array([[0, 0, 1], [1, 0, 0]], np.float32)
    np.testing.assert_allclose(w.grad.asnumpy(),
                               ((p - onehot) * x.asnumpy()).sum(0,
                                                                keepdims=True),
                               rtol=1e-5)


def test_forward_only_and_out():
    x = nd.array([[1.0, 2.0], [3.0, 5.0]])
    out = nd.zeros((2, 2))
    result = nd.LogisticRegressionOutput(x, nd.zeros((2, 2)), out=out)
    assert result is out
    np.testing.assert_allclose(out.asnumpy(), 1 / (1 + np.exp(-x.asnumpy())),
                               rtol=1e-6)
    np.testing.assert_allclose(nd.MakeLoss(x).asnumpy(), x.asnumpy())
    e = np.exp(x.asnumpy() - x.asnumpy().max(1, keepdims=True))
    np.testing.assert_allclose(
        nd.Softmax(x, nd.zeros((2,))).asnumpy(), e / e.sum(1, keepdims=True),
        rtol=1e-6)


@pytest.mark.parametrize("make,pattern", [
    (lambda: nd.SoftmaxOutput(nd.ones((4, 5)), nd.ones((4, 1))),
     r"SoftmaxOutput: label expected shape \(4,\) or data's \(4, 5\), got "
     r"\(4, 1\)"),
    (lambda: nd.SoftmaxOutput(nd.ones((2, 3, 4)), nd.ones((2, 5)),
                              multi_output=True),
     r"SoftmaxOutput: label expected shape \(2, 4\), \(2, 4\), \(2, 1, 4\) "
     r"or data's for data of shape \(2, 3, 4\), got \(2, 5\)"),
    (lambda: nd.SoftmaxOutput(nd.ones((2, 3)), nd.ones((2,), dtype="int32")),
     r"SoftmaxOutput: label expected dtype float32 \(data's\), got int32"),
    (lambda: nd.SoftmaxOutput(nd.ones((2, 3), dtype="int32"),
                              nd.ones((2,), dtype="int32")),
     r"SoftmaxOutput: data expected a floating-point array, got int32"),
    (lambda: nd.SoftmaxOutput(nd.ones((2, 3)), nd.ones((2,)),
                              normalization="foo"),
     r"SoftmaxOutput: normalization expected .*got 'foo'"),
    (lambda: nd.LinearRegressionOutput(nd.ones((4, 1)), nd.ones((1, 4))),
     r"LinearRegressionOutput: label expected data's shape \(4, 1\) or "
     r"another of its size and first extent, got \(1, 4\)"),
    (lambda: nd.MAERegressionOutput(nd.ones((2, 3)), nd.ones((2,))),
     r"MAERegressionOutput: label expected data's shape \(2, 3\).*got \(2,\)"),
    (lambda: nd.LogisticRegressionOutput(nd.ones((2, 3)),
                                         nd.ones((2, 3), dtype="float64")),
     r"LogisticRegressionOutput: label expected dtype float32 \(data's\), "
     r"got float64"),
    (lambda: nd.MakeLoss(nd.ones((2, 3), dtype="int32")),
     r"MakeLoss: expected a floating-point array, got int32"),
    (lambda: nd.MakeLoss(nd.ones((2, 3)), normalization="all"),
     r"MakeLoss: normalization expected .*got 'all'"),
])
def test_bad_inputs(make, pattern):
    with pytest.raises(MXNetError, match=pattern):
        make()


def test_bad_label_raises_at_the_call_while_recording():
    x = nd.ones((4, 5))
    x.attach_grad()
    with pytest.raises(MXNetError, match="SoftmaxOutput: label expected"):
        with mx.autograd.record():
            nd.SoftmaxOutput(x, nd.ones((5,)))
