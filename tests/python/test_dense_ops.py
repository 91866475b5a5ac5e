"""FullyConnected (frontends/cpp/ops/DenseOps.cpp): forward and gradients of
data, weight and bias against the real MXNet 1.9.1 (float32 and float64,
flatten both ways, no_bias), numeric gradients, `out=`, and bad inputs.
"""
import json

import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient
from mxnet_oracle import requires_oracle, run_mxnet

nd = mx.nd

# One case, run as is by kiln here and by MXNet in the oracle: the output
# and the gradients after backward with the given head gradient.
RUNNER = '''
def run_case(mx, np, arrays, kw):
    nd = mx.nd
    inputs = [nd.array(a, dtype=a.dtype) for a in arrays[:-1]]
    for array in inputs:
        array.attach_grad()
    with mx.autograd.record():
        y = nd.FullyConnected(*inputs, **kw)
    y.backward(nd.array(arrays[-1], dtype=arrays[-1].dtype))
    result = {"out": y.asnumpy()}
    for name, array in zip(("ddata", "dweight", "dbias"), inputs):
        result[name] = array.grad.asnumpy()
    return result
'''

ORACLE = RUNNER + '''
import json
for i, (count, kw) in enumerate(json.loads(CASES)):
    arrays = [inputs["%d_%d" % (i, k)] for k in range(count)]
    for k, v in run_case(mx, np, arrays, kw).items():
        outputs["%d_%s" % (i, k)] = v
'''


def build_cases():
    """(arrays: data, weight[, bias], head gradient; attributes)."""
    rng = np.random.default_rng(7)
    cases = []
    for dtype in (np.float32, np.float64):
        for shape, hidden, flatten in [((4, 6), 5, True),
                                       ((3, 2, 4), 7, True),
                                       ((2, 3, 2, 2), 3, True),
                                       ((6,), 4, True),
                                       ((3, 2, 4), 5, False),
                                       ((2, 2, 3, 5), 2, False),
                                       ((5,), 3, False),
                                       ((33, 70), 20, True)]:
            units = (int(np.prod(shape[1:])) if flatten else shape[-1])
            out_shape = ((shape[0], hidden) if flatten else
                         shape[:-1] + (hidden,))
            for no_bias in (False, True):
                arrays = [rng.standard_normal(shape).astype(dtype),
                          rng.standard_normal((hidden, units)).astype(dtype)]
                if not no_bias:
                    arrays.append(rng.standard_normal(hidden).astype(dtype))
                arrays.append(rng.standard_normal(out_shape).astype(dtype))
                kw = {"num_hidden": hidden, "flatten": flatten}
                if no_bias:
                    kw["no_bias"] = True
                cases.append((arrays, kw))
    return cases


@requires_oracle
def test_forward_and_gradients_match_mxnet():
    cases = build_cases()
    given = {"%d_%d" % (i, k): array
             for i, (arrays, _) in enumerate(cases)
             for k, array in enumerate(arrays)}
    plan = json.dumps([(len(arrays), kw) for arrays, kw in cases])
    expected = run_mxnet("CASES = %r\n" % plan + ORACLE, **given)
    namespace = {}
    exec(RUNNER, namespace)
    failures = []
    for i, (arrays, kw) in enumerate(cases):
        got = namespace["run_case"](mx, np, arrays, kw)
        single = arrays[0].dtype == np.float32
        rtol, atol = (1e-4, 1e-5) if single else (1e-10, 1e-12)
        assert sorted(k for k in expected if k.startswith("%d_" % i)) == \
            sorted("%d_%s" % (i, k) for k in got)
        for name, value in got.items():
            want = expected["%d_%s" % (i, name)]
            try:
                assert value.shape == want.shape, (value.shape, want.shape)
                assert value.dtype == want.dtype, (value.dtype, want.dtype)
                np.testing.assert_allclose(value, want, rtol=rtol, atol=atol)
            except AssertionError as error:
                failures.append("case %d %s %s %s: %s" % (
                    i, arrays[0].shape, kw, name,
                    str(error).splitlines()[-3:]))
    assert not failures, "\n".join(failures[:10])


def reference(x, w, b, flatten):
    rows = x.reshape(x.shape[0], -1) if flatten else x
    y = rows @ w.T
    return y if b is None else y + b.reshape(-1)


@pytest.mark.parametrize("flatten", [True, False])
@pytest.mark.parametrize("no_bias", [False, True])
def test_numeric_gradient(flatten, no_bias):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 2, 4))
    w = rng.standard_normal((5, 8 if flatten else 4))
    arrays = [x, w] + ([] if no_bias else [rng.standard_normal(5)])

    def layer(*inputs):
        return nd.FullyConnected(*inputs, num_hidden=5, flatten=flatten,
                                 no_bias=no_bias)

    check_numeric_gradient(layer, arrays, numeric_eps=1e-6, rtol=1e-6,
                           atol=1e-8, dtype=np.float64)


def test_large_float32_against_numpy():
    # The MLP's and the classifier's shapes, on oneDNN, a transposed data view
    # among them; the same shapes twice reuse the cached primitive.
    rng = np.random.default_rng(5)
    for rows, units, hidden in [(256, 784, 256), (128, 500, 10),
                                (32, 512, 1000), (256, 784, 256)]:
        x = rng.standard_normal((rows, units)).astype(np.float32)
        w = rng.standard_normal((hidden, units)).astype(np.float32)
        b = rng.standard_normal(hidden).astype(np.float32)
        got = nd.FullyConnected(nd.array(x), nd.array(w), nd.array(b),
                                num_hidden=hidden).asnumpy()
        np.testing.assert_allclose(got, reference(x, w, b, True), rtol=1e-4,
                                   atol=1e-3)
    # Views: transposed data, a transposed weight's transpose, every other
    # element of a bias.
    xt = rng.standard_normal((64, 48)).astype(np.float32)
    wt = rng.standard_normal((64, 10)).astype(np.float32)
    b2 = rng.standard_normal(20).astype(np.float32)
    for bias in (None, nd.array(b2)[::2]):
        inputs = [nd.array(xt).T, nd.array(wt).T] + (
            [] if bias is None else [bias])
        got = nd.FullyConnected(*inputs, num_hidden=10,
                                no_bias=bias is None).asnumpy()
        want = reference(xt.T, wt.T, None if bias is None else b2[::2], True)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_weight_gradient_only_and_out():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    w = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    kw, kx, kb = nd.array(w), nd.array(x), nd.array(b)
    kw.attach_grad()
    with mx.autograd.record():
        y = nd.FullyConnected(kx, kw, kb, num_hidden=2)
    y.backward()
    np.testing.assert_allclose(kw.grad.asnumpy(),
                               np.ones((4, 2), np.float32).T @ x, rtol=1e-5)
    out = nd.zeros((4, 2))
    result = nd.FullyConnected(kx, kw, kb, num_hidden=2, out=out)
    assert result is out
    np.testing.assert_allclose(out.asnumpy(), reference(x, w, b, True),
                               rtol=1e-5, atol=1e-6)
    out3 = nd.zeros((2, 2, 2))
    nd.FullyConnected(kx.reshape((2, 2, 3)), kw, num_hidden=2, flatten=False,
                      no_bias=True, out=out3)
    np.testing.assert_allclose(out3.asnumpy(), (x @ w.T).reshape(2, 2, 2),
                               rtol=1e-5, atol=1e-6)


def test_column_bias():
    # MXNet's shape check also takes a (num_hidden, 1) bias (its kernels then
    # fail on it, forward in float32 and backward in any dtype); kiln adds it
    # as the (num_hidden,) one and gives its gradient in its shape.
    rng = np.random.default_rng(13)
    x, w, b = (rng.standard_normal(s) for s in [(3, 4), (2, 4), (2, 1)])
    got = nd.FullyConnected(nd.array(x, dtype="float64"),
                            nd.array(w, dtype="float64"),
                            nd.array(b, dtype="float64"), num_hidden=2)
    np.testing.assert_allclose(got.asnumpy(), reference(x, w, b, True),
                               rtol=1e-12)
    check_numeric_gradient(
        lambda *a: nd.FullyConnected(*a, num_hidden=2), [x, w, b],
        numeric_eps=1e-6, rtol=1e-6, atol=1e-8, dtype=np.float64)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_empty_extents(dtype):
    y = nd.FullyConnected(nd.empty((0, 3), dtype=dtype),
                          nd.ones((2, 3), dtype=dtype),
                          nd.ones(2, dtype=dtype), num_hidden=2)
    assert y.shape == (0, 2)
    # No input units: the bias alone.
    y = nd.FullyConnected(nd.empty((3, 0), dtype=dtype),
                          nd.empty((2, 0), dtype=dtype),
                          nd.array([1.5, -2], dtype=dtype), num_hidden=2)
    np.testing.assert_array_equal(y.asnumpy(), [[1.5, -2]] * 3)


@pytest.mark.parametrize("call, message", [
    (lambda x, w, b: nd.FullyConnected(x, nd.ones((5, 7)), b, num_hidden=5),
     r"FullyConnected: weight expected shape \(5, 6\) \(num_hidden, input "
     r"units\), got \(5, 7\)"),
    (lambda x, w, b: nd.FullyConnected(x, nd.ones((4, 6)), b, num_hidden=5),
     r"weight expected shape \(5, 6\).*got \(4, 6\)"),
    (lambda x, w, b: nd.FullyConnected(x, nd.ones((5, 6, 1)), b,
                                       num_hidden=5),
     r"weight expected shape \(5, 6\).*got \(5, 6, 1\)"),
    (lambda x, w, b: nd.FullyConnected(x, w, b, num_hidden=5, flatten=False),
     r"weight expected shape \(5, 2\).*got \(5, 6\)"),
    (lambda x, w, b: nd.FullyConnected(x, w, nd.ones(4), num_hidden=5),
     r"FullyConnected: bias expected shape \(5,\) \(num_hidden,\), got "
     r"\(4,\)"),
    (lambda x, w, b: nd.FullyConnected(x, w, nd.ones((1, 5)), num_hidden=5),
     r"bias expected shape \(5,\).*got \(1, 5\)"),
    (lambda x, w, b: nd.FullyConnected(x, w, b, num_hidden=0),
     r"FullyConnected: num_hidden expected >= 1, got 0"),
    (lambda x, w, b: nd.FullyConnected(x, w, num_hidden=5),
     r"FullyConnected: expected 3 inputs \(data, weight, bias\), got 2"),
    (lambda x, w, b: nd.FullyConnected(x, w, b, num_hidden=5, no_bias=True),
     r"FullyConnected: with no_bias=True expected 2 inputs \(data, "
     r"weight\), got 3"),
    (lambda x, w, b: nd.FullyConnected(x, num_hidden=5),
     r"FullyConnected: missing input 'weight'"),
    (lambda x, w, b: nd.FullyConnected(x, w.astype("float64"), b,
                                       num_hidden=5),
     r"FullyConnected: weight expected dtype float32 \(data's\), got "
     r"float64"),
    (lambda x, w, b: nd.FullyConnected(x, w, b.astype("float64"),
                                       num_hidden=5),
     r"FullyConnected: bias expected dtype float32 \(data's\), got float64"),
    (lambda x, w, b: nd.FullyConnected(x.astype("int32"), w.astype("int32"),
                                       b.astype("int32"), num_hidden=5),
     r"FullyConnected: data expected a floating-point dtype, got int32"),
    (lambda x, w, b: nd.FullyConnected(nd.array(3.0).reshape(()), w, b,
                                       num_hidden=5),
     r"FullyConnected: data expected rank 1 or more, got shape \(\)"),
    (lambda x, w, b: nd.FullyConnected(x, w, b),
     r"FullyConnected: missing required argument 'num_hidden'"),
])
def test_bad_inputs(call, message):
    x, w, b = nd.ones((4, 3, 2)), nd.ones((5, 6)), nd.ones(5)
    with pytest.raises(MXNetError, match=message):
        call(x, w, b)
