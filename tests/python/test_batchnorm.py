"""BatchNorm (frontends/cpp/ops/BatchNormOps.cpp) against the real MXNet
1.9.1, run live through mxnet_oracle: forward outputs (with
output_mean_var), gamma after fix_gamma, moving statistics after forward and
after backward, and the gradients of data, gamma and beta, for every
attribute and both train modes of forward and backward. Plus numeric
gradient checks in float64, a large case against numpy, and bad inputs."""
import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient
from mxnet_oracle import requires_oracle, run_mxnet

nd = mx.nd

# Runs one case; executed as is by kiln here and by MXNet in the oracle.
RUNNER = '''
def run_case(mx, np, arrays, kw, fwd_train, bwd_train):
    nd = mx.nd
    x, g, b, mm, mv, dy = arrays
    X, DY = nd.array(x, dtype=x.dtype), nd.array(dy, dtype=x.dtype)
    G, B, MM, MV = (nd.array(a, dtype=a.dtype) for a in (g, b, mm, mv))
    X.attach_grad()
    G.attach_grad()
    B.attach_grad()
    with mx.autograd.record(train_mode=fwd_train):
        out = nd.BatchNorm(X, G, B, MM, MV, **kw)
    outs = out if isinstance(out, list) else [out]
    result = {"count": np.array(len(outs))}
    for i, o in enumerate(outs):
        result["out%d" % i] = o.asnumpy()
    result["gamma_fwd"] = G.asnumpy()
    result["mm_fwd"] = MM.asnumpy()
    result["mv_fwd"] = MV.asnumpy()
    outs[0].backward(DY, train_mode=bwd_train)
    result["dx"] = X.grad.asnumpy()
    result["dgamma"] = G.grad.asnumpy()
    result["dbeta"] = B.grad.asnumpy()
    result["mm"] = MM.asnumpy()
    result["mv"] = MV.asnumpy()
    return result
'''

ORACLE = RUNNER + '''
import json
for i, (kw, fwd, bwd) in enumerate(json.loads(CASES)):
    arrays = [inputs["%d_%s" % (i, k)] for k in ("x", "g", "b", "mm", "mv", "dy")]
    for k, v in run_case(mx, np, arrays, kw, fwd, bwd).items():
        outputs["%d_%s" % (i, k)] = v
'''


def make_arrays(seed, shape, axis, dtype):
    rng = np.random.default_rng(seed)
    channels = shape[axis]
    param = np.float32 if dtype == np.float16 else dtype
    x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
    g = (rng.random(channels) + 0.5).astype(param)
    b = rng.standard_normal(channels).astype(param)
    mm = rng.standard_normal(channels).astype(param)
    mv = (rng.random(channels) + 0.5).astype(param)
    dy = rng.standard_normal(shape).astype(dtype)
    return [x, g, b, mm, mv, dy]


def build_cases():
    """(arrays, attributes, forward train mode, backward train mode)."""
    cases = []
    layouts = [((4, 3, 5), 1), ((6, 3), 1), ((6, 3), -1), ((2, 3, 4, 5), 1),
               ((2, 3, 4, 5), -1), ((2, 3, 4, 5), 2), ((3, 2, 4, 5), 0),
               ((2, 3, 2, 2, 2), 1), ((5,), 0), ((2, 3, 1, 2, 1, 2), 1)]
    for dtype in (np.float32, np.float64):
        for shape, axis in layouts:
            for fix_gamma in (True, False):
                kw = dict(axis=axis, fix_gamma=fix_gamma, output_mean_var=True)
                cases.append((shape, axis, dtype, kw, True, True))
        shape, axis = (2, 3, 4, 5), 1
        for fwd, bwd in ((True, False), (False, True), (False, False)):
            cases.append((shape, axis, dtype,
                          dict(fix_gamma=False, output_mean_var=True), fwd, bwd))
        for fix_gamma in (True, False):
            for fwd in (True, False):
                cases.append((shape, axis, dtype,
                              dict(fix_gamma=fix_gamma, use_global_stats=True,
                                   output_mean_var=True), fwd, True))
        cases.append((shape, axis, dtype, dict(), True, True))
        cases.append((shape, axis, dtype,
                      dict(fix_gamma=False, eps=1e-5, momentum=0.7), True, True))
        cases.append((shape, -1, dtype,
                      dict(axis=-1, fix_gamma=False, eps=0.1, momentum=0.0,
                           cudnn_off=True, min_calib_range=-1.0,
                           max_calib_range=1.0), True, True))
    # float16 data, float32 parameters.
    cases.append(((2, 3, 4, 5), 1, np.float16,
                  dict(fix_gamma=False, output_mean_var=True), True, True))
    cases.append(((2, 3, 4, 5), 1, np.float16,
                  dict(fix_gamma=False, use_global_stats=True), True, True))
    return [(make_arrays(i, shape, axis, dtype), kw, fwd, bwd)
            for i, (shape, axis, dtype, kw, fwd, bwd) in enumerate(cases)]


def tolerance(dtype):
    return {np.float16: 2e-2, np.float32: 1e-4, np.float64: 1e-9}[dtype]


@requires_oracle
def test_batchnorm_matches_mxnet():
    import json
    cases = build_cases()
    given = {}
    for i, (arrays, _, _, _) in enumerate(cases):
        for name, array in zip(("x", "g", "b", "mm", "mv", "dy"), arrays):
            given["%d_%s" % (i, name)] = array
    plan = json.dumps([(kw, fwd, bwd) for _, kw, fwd, bwd in cases])
    expected = run_mxnet("CASES = %r\n" % plan + ORACLE, **given)
    namespace = {}
    exec(RUNNER, namespace)
    failures = []
    for i, (arrays, kw, fwd, bwd) in enumerate(cases):
        got = namespace["run_case"](mx, np, arrays, kw, fwd, bwd)
        rtol = tolerance(arrays[0].dtype.type)
        for name, value in got.items():
            want = expected["%d_%s" % (i, name)]
            scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
            try:
                assert value.shape == want.shape
                np.testing.assert_allclose(value.astype(np.float64), want,
                                           rtol=rtol, atol=rtol * 0.1 * scale)
            except AssertionError as error:
                failures.append("case %d %s %s fwd=%s bwd=%s %s: %s" % (
                    i, arrays[0].shape, kw, fwd, bwd, name,
                    str(error).splitlines()[-3:]))
    assert not failures, "\n".join(failures[:10])


def batchnorm_reference(x, gamma, beta, axis, eps):
    """out, mean, invstd in float64 with the batch statistics."""
    axes = tuple(d for d in range(x.ndim) if d != axis % x.ndim)
    shape = [1] * x.ndim
    shape[axis] = -1
    x = x.astype(np.float64)
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    invstd = 1 / np.sqrt(var + eps)
    out = ((x - mean.reshape(shape)) * (invstd * gamma).reshape(shape) +
           beta.reshape(shape))
    return out, mean, var, invstd


@pytest.mark.parametrize("shape,axis", [
    ((8, 16, 30, 30), 1),    # several channels per block
    ((2, 3, 200, 100), 1),   # one channel larger than a block
    ((2048, 64), 1),         # 2-D: blocks of rows, partial statistics
    ((64, 16, 16, 8), -1),   # channels last
    ((512, 8, 10), 1),       # short runs: rows of (C, Q) blocks
])
def test_large_blocks_against_numpy(shape, axis):
    # Every way the op cuts data into blocks, with several blocks in
    # parallel, against float64 numpy.
    x, g, b, mm, mv, dy = make_arrays(7, shape, axis, np.float32)
    X, G, B, MM, MV = (nd.array(a) for a in (x, g, b, mm, mv))
    X.attach_grad()
    G.attach_grad()
    B.attach_grad()
    with mx.autograd.record():
        y = nd.BatchNorm(X, G, B, MM, MV, fix_gamma=False, eps=1e-5,
                         axis=axis)
    y.backward(nd.array(dy))
    out, mean, var, invstd = batchnorm_reference(x, g, b, axis, 1e-5)
    np.testing.assert_allclose(y.asnumpy(), out, rtol=1e-4, atol=1e-4)
    axes = tuple(d for d in range(x.ndim) if d != axis % x.ndim)
    kept = [1] * x.ndim
    kept[axis] = -1
    xhat = (x - mean.reshape(kept)) * invstd.reshape(kept)
    dy64 = dy.astype(np.float64)
    dx = (g * invstd).reshape(kept) * (
        dy64 - dy64.mean(axis=axes, keepdims=True) -
        xhat * (dy64 * xhat).mean(axis=axes, keepdims=True))
    np.testing.assert_allclose(X.grad.asnumpy(), dx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(G.grad.asnumpy(), (dy64 * xhat).sum(axis=axes),
                               rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(B.grad.asnumpy(), dy64.sum(axis=axes),
                               rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(MM.asnumpy(), mm * 0.9 + mean * 0.1, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(MV.asnumpy(), mv * 0.9 + var * 0.1, rtol=1e-5)


def test_moving_statistics_change_only_in_a_training_backward():
    x, g, b, mm, mv, dy = make_arrays(3, (4, 3, 5), 1, np.float32)
    X, G, B, MM, MV = (nd.array(a) for a in (x, g, b, mm, mv))
    # Forward alone, even in train mode, leaves them alone (as MXNet).
    with mx.autograd.train_mode():
        out, mean, invstd = nd.BatchNorm(X, G, B, MM, MV, output_mean_var=True)
    _, ref_mean, ref_var, ref_invstd = batchnorm_reference(x, g, b, 1, 1e-3)
    np.testing.assert_allclose(mean.asnumpy(), ref_mean, rtol=1e-5)
    np.testing.assert_allclose(invstd.asnumpy(), ref_invstd, rtol=1e-5)
    np.testing.assert_array_equal(MM.asnumpy(), mm)
    np.testing.assert_array_equal(MV.asnumpy(), mv)
    # fix_gamma (the default) wrote ones into gamma.
    np.testing.assert_array_equal(G.asnumpy(), np.ones(3, np.float32))
    # Inference: the moving statistics, one output.
    y = nd.BatchNorm(X, G, B, MM, MV)
    assert isinstance(y, mx.nd.NDArray) and y.shape == x.shape
    expected = (x - mm[:, None]) / np.sqrt(mv[:, None] + 1e-3) + b[:, None]
    np.testing.assert_allclose(y.asnumpy(), expected, rtol=1e-5, atol=1e-6)
    # Two training steps update them twice.
    X.attach_grad()
    for _ in range(2):
        with mx.autograd.record():
            y = nd.BatchNorm(X, G, B, MM, MV)
        y.backward(nd.array(dy))
        mm = mm * np.float32(0.9) + ref_mean * 0.1
        mv = mv * np.float32(0.9) + ref_var * 0.1
        np.testing.assert_allclose(MM.asnumpy(), mm, rtol=1e-5)
        np.testing.assert_allclose(MV.asnumpy(), mv, rtol=1e-5)


def test_out_and_gradient_of_a_temporary():
    x, g, b, mm, mv, dy = make_arrays(5, (3, 4, 2), 1, np.float32)
    X, G, B, MM, MV = (nd.array(a) for a in (x, g, b, mm, mv))
    outs = [nd.zeros((3, 4, 2)), nd.zeros((4,)), nd.zeros((4,))]
    with mx.autograd.train_mode():
        result = nd.BatchNorm(X, G, B, MM, MV, fix_gamma=False,
                              output_mean_var=True, out=outs)
    assert result is outs
    ref, mean, _, invstd = batchnorm_reference(x, g, b, 1, 1e-3)
    np.testing.assert_allclose(outs[0].asnumpy(), ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outs[2].asnumpy(), invstd, rtol=1e-5)
    # The gradient through a temporary output (freed before backward).
    X.attach_grad()
    with mx.autograd.record():
        loss = (nd.BatchNorm(X, G, B, MM, MV, fix_gamma=False) *
                nd.array(dy)).sum()
    loss.backward()
    xhat = (x - mean[:, None]) * invstd[:, None]
    dx = (g * invstd)[:, None] * (dy - dy.mean(axis=(0, 2), keepdims=True) -
                                  xhat * (dy * xhat).mean(axis=(0, 2),
                                                          keepdims=True))
    np.testing.assert_allclose(X.grad.asnumpy(), dx, rtol=1e-4, atol=1e-5)


def test_retained_graph_backward_twice():
    # As MXNet 1.9.1: the same gradient each time, the moving statistics
    # updated by each backward from the statistics saved in the forward.
    x, g, b, mm, mv, dy = make_arrays(9, (4, 3, 5), 1, np.float32)
    X, G, B, MM, MV = (nd.array(a) for a in (x, g, b, mm, mv))
    X.attach_grad()
    with mx.autograd.record():
        y = nd.BatchNorm(X, G, B, MM, MV)
    y.backward(nd.array(dy), retain_graph=True)
    first = X.grad.asnumpy().copy()
    y.backward(nd.array(dy))
    np.testing.assert_allclose(X.grad.asnumpy(), first, rtol=1e-6)
    _, mean, var, _ = batchnorm_reference(x, g, b, 1, 1e-3)
    for _ in range(2):
        mm = mm * np.float32(0.9) + mean * 0.1
        mv = mv * np.float32(0.9) + var * 0.1
    np.testing.assert_allclose(MM.asnumpy(), mm, rtol=1e-5)
    np.testing.assert_allclose(MV.asnumpy(), mv, rtol=1e-5)


@pytest.mark.parametrize("shape,axis", [((0, 3, 4), 1), ((0, 3), 1),
                                        ((2, 3, 0), 1), ((0, 2, 3), -1)])
def test_training_step_on_an_empty_batch_leaves_the_statistics(shape, axis):
    # An empty batch has no mean or variance (0 / 0): kiln keeps the moving
    # statistics rather than writing NaN into them, and gamma and beta get
    # zero gradients. (MXNet 1.9.1 cannot make the empty array.)
    channels = shape[axis]
    x = nd.empty(shape)
    x.attach_grad()
    gamma, beta = nd.ones((channels,)), nd.zeros((channels,))
    gamma.attach_grad()
    beta.attach_grad()
    mm, mv = nd.array(np.arange(channels)), nd.ones((channels,)) * 2
    with mx.autograd.record():
        y = nd.BatchNorm(x, gamma, beta, mm, mv, fix_gamma=False, axis=axis)
    assert y.shape == shape
    y.backward()
    np.testing.assert_array_equal(mm.asnumpy(), np.arange(channels))
    np.testing.assert_array_equal(mv.asnumpy(), np.full(channels, 2))
    np.testing.assert_array_equal(gamma.grad.asnumpy(), np.zeros(channels))
    np.testing.assert_array_equal(beta.grad.asnumpy(), np.zeros(channels))
    assert x.grad.shape == shape


@pytest.mark.parametrize("shape,axis,global_stats", [
    ((4, 3, 5), 1, False), ((5, 3), 1, False), ((2, 3, 2, 3), -1, False),
    ((2, 2, 3, 2, 2), 2, False), ((3, 4, 5), 1, True)])
def test_numeric_gradient(shape, axis, global_stats):
    # Batch statistics (their gradient flows into data too), or the moving
    # statistics with use_global_stats.
    _, g, b, mm, mv, _ = make_arrays(11, shape, axis, np.float64)
    x = np.random.default_rng(1).standard_normal(shape)

    def batchnorm(data, gamma, beta):
        return nd.BatchNorm(data, gamma, beta, nd.array(mm, dtype="float64"),
                            nd.array(mv, dtype="float64"), axis=axis,
                            fix_gamma=False, use_global_stats=global_stats)

    check_numeric_gradient(batchnorm, [x, g, b], numeric_eps=1e-6, rtol=1e-5,
                           atol=1e-7, dtype=np.float64)


def params(channels, dtype="float32"):
    return [nd.ones((channels,), dtype=dtype) for _ in range(4)]


@pytest.mark.parametrize("make,pattern", [
    (lambda: nd.BatchNorm(nd.ones((2, 3, 4)), nd.ones((4,)), *params(3)[1:]),
     r"BatchNorm: gamma expected shape \(3,\) .*got \(4,\)"),
    (lambda: nd.BatchNorm(nd.ones((2, 3, 4)), nd.ones((3,)), nd.ones((3, 1)),
                          *params(3)[2:]),
     r"BatchNorm: beta expected shape \(3,\) .*got \(3, 1\)"),
    (lambda: nd.BatchNorm(nd.ones((2, 3, 4)), *params(3)[:3],
                          nd.ones((2,))),
     r"BatchNorm: moving_var expected shape \(3,\) .*got \(2,\)"),
    (lambda: nd.BatchNorm(nd.ones((2, 3, 4)), *params(3), axis=3),
     r"BatchNorm: axis 3 is out of range for data of shape \(2, 3, 4\) "
     r"\(expected -3 to 2\)"),
    (lambda: nd.BatchNorm(nd.ones((2, 3, 4)), *params(3), axis=-4),
     r"BatchNorm: axis -4 is out of range"),
    (lambda: nd.BatchNorm(nd.ones((2, 3, 4), dtype="float64"), *params(3)),
     r"BatchNorm: gamma expected dtype float64 \(for float64 data\), got "
     r"float32"),
    (lambda: nd.BatchNorm(nd.ones((2, 3), dtype="float16"),
                          *params(3, "float16")),
     r"BatchNorm: gamma expected dtype float32 \(for float16 data\), got "
     r"float16"),
    (lambda: nd.BatchNorm(nd.ones((2, 3), dtype="int32"), *params(3)),
     r"BatchNorm: data expected float16, float32 or float64, got int32"),
    (lambda: nd.BatchNorm(nd.ones(()), *params(1)),
     r"BatchNorm: data expected an array of rank 1 or more"),
    (lambda: nd.BatchNorm(nd.ones((2, 3)), *params(3)[:3]),
     r"BatchNorm: expected 5 input arrays, got 4|missing input"),
    # out= is checked in BatchNorm's terms, before anything runs.
    (lambda: nd.BatchNorm(nd.ones((2, 3, 4)), *params(3),
                          out=nd.zeros((2, 3, 4), dtype="int32")),
     r"BatchNorm: out\[0\] expected shape \(2, 3, 4\) and dtype float32, "
     r"got shape \(2, 3, 4\) and dtype int32"),
    (lambda: nd.BatchNorm(nd.ones((2, 3), dtype="float16"),
                          *params(3), output_mean_var=True,
                          out=[nd.zeros((2, 3), dtype="float16"),
                               nd.zeros((3,), dtype="float16"),
                               nd.zeros((3,))]),
     r"BatchNorm: out\[1\] expected shape \(3,\) and dtype float32, got "
     r"shape \(3,\) and dtype float16"),
    (lambda: nd.BatchNorm(nd.ones((2, 3)), *params(3), output_mean_var=True,
                          out=[nd.zeros((2, 3)), nd.zeros((3,)),
                               nd.zeros((2,))]),
     r"BatchNorm: out\[2\] expected shape \(3,\) and dtype float32, got "
     r"shape \(2,\)"),
])
def test_bad_inputs(make, pattern):
    with pytest.raises(MXNetError, match=pattern):
        make()


def test_bad_input_raises_before_anything_runs():
    # Under record, with a variable: the error comes at the call and the
    # arrays are untouched (gamma not overwritten by fix_gamma).
    x = nd.ones((2, 3, 4))
    x.attach_grad()
    gamma = nd.array([2.0, 3.0, 4.0])
    with pytest.raises(MXNetError, match="moving_mean expected shape"):
        with mx.autograd.record():
            nd.BatchNorm(x, gamma, nd.ones((3,)), nd.ones((4,)), nd.ones((3,)))
    np.testing.assert_array_equal(gamma.asnumpy(), [2.0, 3.0, 4.0])


def test_second_order_is_refused_not_dropped():
    # The rule runs fused kernels that record nothing: under create_graph
    # the term would silently vanish; MXNet 1.9.1 refuses it too.
    x = mx.nd.array(np.random.rand(4, 3, 2, 2))
    x.attach_grad()
    args = [mx.nd.ones((3,)), mx.nd.zeros((3,)), mx.nd.zeros((3,)),
            mx.nd.ones((3,))]
    with pytest.raises(MXNetError, match="BatchNorm: is not differentiable "
                       "again"):
        with mx.autograd.record():
            mx.autograd.grad((mx.nd.BatchNorm(x, *args) ** 2).sum(), x,
                             create_graph=True)
