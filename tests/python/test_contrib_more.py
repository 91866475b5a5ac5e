"""More of MXNet 1.9.1's contrib operators (kiln/_contrib_ops: signal.py,
hawkes.py, composed.py) against the real MXNet: hawkesll with its
gradients, BatchNormWithReLU and SyncBatchNorm (training steps, moving
statistics, inference outputs), quadratic and fft in mx.sym with MXNet's
JSON both ways, backward_gradientmultiplier's dtypes, and bad inputs.

MXNet runs fft, ifft and count_sketch only on GPUs (its CPU build raises
"only available for GPU"), so those are checked against numpy's DFT, the
documented example and finite differences.
"""
import json

import numpy as np
import pytest

import kiln as mx
import kiln._contrib_ops.composed  # noqa: F401
import kiln._contrib_ops.hawkes  # noqa: F401
import kiln._contrib_ops.signal  # noqa: F401
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient
from mxnet_oracle import (SNIPPET_HELPERS, bad_input_tests, compare_outputs,
                          requires_oracle, run_both, run_mxnet)

nd = mx.nd


# -- fft, ifft, count_sketch (GPU-only in MXNet) -----------------------------
def test_fft_is_the_dft_as_real_imag_pairs():
    rng = np.random.RandomState(0)
    for shape in [(3, 4), (2, 1, 3, 5)]:
        x = rng.randn(*shape).astype(np.float32)
        got = nd.contrib.fft(nd.array(x), compute_size=2).asnumpy()
        want = np.fft.fft(x.astype(np.float64), axis=-1)
        assert got.shape == shape[:-1] + (2 * shape[-1],)
        np.testing.assert_allclose(got[..., 0::2], want.real, atol=1e-5)
        np.testing.assert_allclose(got[..., 1::2], want.imag, atol=1e-5)
        # ifft is unnormalized (MXNet: "consistent with caffe").
        back = nd.contrib.ifft(nd.contrib.fft(nd.array(x))).asnumpy()
        np.testing.assert_allclose(back, x * shape[-1], rtol=1e-5, atol=1e-5)
    y = rng.randn(2, 6)
    got = nd.contrib.ifft(nd.array(y, dtype="float64")).asnumpy()
    want = (np.fft.ifft(y[:, 0::2] + 1j * y[:, 1::2]) * 3).real
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_fft_ifft_gradients():
    x = np.random.RandomState(1).randn(2, 3)
    check_numeric_gradient(lambda a: nd.contrib.fft(a), [x],
                           numeric_eps=1e-4, rtol=1e-4, atol=1e-6,
                           dtype=np.float64)
    check_numeric_gradient(lambda a: nd.contrib.ifft(a), [np.tile(x, 2)],
                           numeric_eps=1e-4, rtol=1e-4, atol=1e-6,
                           dtype=np.float64)


def test_count_sketch_example_and_gradient():
    # MXNet's documented example.
    out = nd.contrib.count_sketch(nd.array([[1.2, 2.5, 3.4], [3.2, 5.7, 6.6]]),
                                  nd.array([[0, 3, 4]]),
                                  nd.array([[1, -1, 1]]), out_dim=5)
    np.testing.assert_allclose(out.asnumpy(), [[1.2, 0, 0, -2.5, 3.4],
                                               [3.2, 0, 0, -5.7, 6.6]],
                               rtol=1e-6)
    # Shared buckets accumulate; 4-D data keeps its leading axes.
    data = np.random.RandomState(2).randn(2, 1, 2, 4)
    h, s = np.array([[1, 1, 0, 2]]), np.array([[1, -1, -1, 1]])
    out = nd.contrib.count_sketch(nd.array(data, dtype="float64"),
                                  nd.array(h, dtype="float64"),
                                  nd.array(s, dtype="float64"), out_dim=3)
    want = np.stack([-data[..., 2], data[..., 0] - data[..., 1],
                     data[..., 3]], axis=-1)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-12)
    check_numeric_gradient(
        lambda a: nd.contrib.count_sketch(a, nd.array(h, dtype="float64"),
                                          nd.array(s, dtype="float64"),
                                          out_dim=3),
        [data], numeric_eps=1e-4, rtol=1e-4, atol=1e-6, dtype=np.float64)


# -- hawkesll -------------------------------------------------------------------
HAWKES = SNIPPET_HELPERS + """
names = ["lda", "alpha", "beta", "state", "lags", "marks", "valid", "tmax"]
for case in range(3):
    arrays = [inputs["%s%d" % (n, case)] for n in names]
    def f(*xs):
        return mx.nd.contrib.hawkesll(*xs)
    record("hawkes%d" % case, f, arrays, wrt=[0, 1, 2, 3])
"""


@requires_oracle
def test_hawkesll_and_gradients_match_mxnet():
    rng = np.random.RandomState(3)
    arrays = {}
    for case, (n, t, k) in enumerate([(4, 4, 3), (3, 6, 2), (2, 5, 1)]):
        arrays["lda%d" % case] = rng.uniform(0.5, 2, (n, k)).astype("f")
        arrays["alpha%d" % case] = rng.uniform(0.1, 0.6, (k,)).astype("f")
        arrays["beta%d" % case] = rng.uniform(0.5, 3, (k,)).astype("f")
        arrays["state%d" % case] = (rng.uniform(0, 1, (n, k)) *
                                    (case > 0)).astype("f")
        arrays["lags%d" % case] = rng.uniform(0.1, 2, (n, t)).astype("f")
        arrays["marks%d" % case] = rng.randint(0, k, (n, t)).astype("int32")
        arrays["valid%d" % case] = rng.randint(0, t + 1, (n,)).astype("f")
        arrays["tmax%d" % case] = (arrays["lags%d" % case].sum(axis=1) +
                                   rng.uniform(0, 3, (n,))).astype("f")
    got, expected = run_both(HAWKES, mx, **arrays)
    compare_outputs(got, expected, rtol=1e-4, atol=1e-4)


# -- BatchNormWithReLU, SyncBatchNorm ---------------------------------------------
BATCHNORM = SNIPPET_HELPERS + """
x = inputs["x"]
gamma, beta = inputs["gamma"], inputs["beta"]
for op, extra in [("BatchNormWithReLU", {}), ("SyncBatchNorm", {"key": "k"})]:
    f_op = getattr(mx.nd.contrib, op)
    for fix in (True, False):
        mm, mv = mx.nd.array(inputs["mm"]), mx.nd.array(inputs["mv"])
        def f(a, g, b):
            return f_op(a, g, b, mm, mv, fix_gamma=fix, momentum=0.8,
                        **extra)
        tag = "%s_%d" % (op, fix)
        record(tag, f, [x, gamma, beta])
        outputs[tag + "/mm"] = mm.asnumpy()
        outputs[tag + "/mv"] = mv.asnumpy()
    mm, mv = mx.nd.array(inputs["mm"]), mx.nd.array(inputs["mv"])
    ys = f_op(mx.nd.array(x), mx.nd.array(gamma), mx.nd.array(beta), mm, mv,
              output_mean_var=True, use_global_stats=True, **extra)
    # MXNet's SyncBatchNorm leaves mean and var unwritten outside training.
    for k, y in enumerate(ys if op == "BatchNormWithReLU" else ys[:1]):
        outputs["%s_infer/out%d" % (op, k)] = y.asnumpy()
"""


@requires_oracle
def test_batchnorm_relu_and_sync_batchnorm_match_mxnet():
    rng = np.random.RandomState(4)
    got, expected = run_both(
        BATCHNORM, mx, x=rng.randn(3, 4, 2, 2).astype("f"),
        gamma=rng.uniform(0.5, 1.5, 4).astype("f"),
        beta=rng.randn(4).astype("f"),
        mm=rng.randn(4).astype("f") * 0.1,
        mv=rng.uniform(0.5, 1.5, 4).astype("f"))
    compare_outputs(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape,axis,dtype", [
    ((2, 3, 5, 5), 1, "float32"),   # channel blocks (runs of 25)
    ((2, 3, 5, 5), 1, "float64"),
    ((4, 6, 3), -1, "float32"),     # channels last: row blocks
    ((2, 3, 5, 5), 1, "float16"),
])
def test_batchnorm_relu_equals_batchnorm_then_relu(shape, axis, dtype):
    # BatchNormWithReLU applies the relu in BatchNorm's own kernels and its
    # gradient as they read: the same numbers as the two operators.
    rng = np.random.RandomState(2)
    channels = shape[axis]
    param_dtype = "float32" if dtype == "float16" else dtype
    x0 = rng.randn(*shape).astype(dtype)
    head = rng.randn(*shape).astype(dtype)
    results = []
    for fused in (False, True):
        x = mx.nd.array(x0, dtype=dtype)
        gamma = mx.nd.array(rng.uniform(0.5, 1.5, channels), dtype=param_dtype)
        beta = mx.nd.array(np.linspace(-0.5, 0.5, channels), dtype=param_dtype)
        mm = mx.nd.zeros((channels,), dtype=param_dtype)
        mv = mx.nd.ones((channels,), dtype=param_dtype)
        for a in (x, gamma, beta):
            a.attach_grad()
        with mx.autograd.record():
            if fused:
                y = mx.nd.contrib.BatchNormWithReLU(
                    x, gamma, beta, mm, mv, fix_gamma=False, axis=axis)
            else:
                y = mx.nd.relu(mx.nd.BatchNorm(x, gamma, beta, mm, mv,
                                               fix_gamma=False, axis=axis))
        y.backward(mx.nd.array(head, dtype=dtype))
        results.append([a.asnumpy() for a in
                        (y, x.grad, gamma.grad, beta.grad, mm, mv)])
        rng = np.random.RandomState(2)
        rng.randn(*shape)
        rng.randn(*shape)
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_array_equal(got, expected)
    assert (results[1][0] >= 0).all() and (results[1][0] == 0).any()


# -- symbols and MXNet's JSON -------------------------------------------------------
SYMBOLS = """
x, h, s = mx.sym.var("x"), mx.sym.var("h"), mx.sym.var("s")
syms = {
    "quadratic": mx.sym.contrib.quadratic(x, a=1.5, b=-2, c=0.25, name="q"),
    "fft": mx.sym.contrib.fft(x, compute_size=4, name="f"),
    "ifft": mx.sym.contrib.ifft(x, name="i"),
    "sketch": mx.sym.contrib.count_sketch(x, h, s, out_dim=5, name="c"),
    "sync": mx.sym.contrib.SyncBatchNorm(x, key="k", ndev=1, name="bn"),
    "bnrelu": mx.sym.contrib.BatchNormWithReLU(x, fix_gamma=False,
                                               name="bnr"),
    "hawkes": mx.sym.contrib.hawkesll(*[mx.sym.var(n) for n in
        "lda alpha beta state lags marks valid_length max_time".split()],
        name="hk"),
}
for key, sym in syms.items():
    outputs["json/" + key] = np.array(sym.tojson())
    outputs["args/" + key] = np.array(",".join(sym.list_arguments()))
    outputs["aux/" + key] = np.array(",".join(sym.list_auxiliary_states()))
    outputs["outs/" + key] = np.array(",".join(sym.list_outputs()))
q = syms["quadratic"]
ex = q.bind(mx.cpu(), {"x": mx.nd.array(inputs["x"])},
            args_grad={"x": mx.nd.zeros(inputs["x"].shape)})
ex.forward(is_train=True)
ex.backward(mx.nd.ones(inputs["x"].shape))
outputs["quadratic/out"] = ex.outputs[0].asnumpy()
outputs["quadratic/grad"] = ex.grad_dict["x"].asnumpy()
"""


@requires_oracle
def test_symbols_and_json_match_mxnet():
    x = np.random.RandomState(5).randn(2, 4).astype("f")
    expected = run_mxnet(SYMBOLS, x=x)
    scope = {"mx": mx, "np": np, "inputs": {"x": x}, "outputs": {}}
    exec(SYMBOLS, scope)
    got = scope["outputs"]
    for key in sorted(expected):
        if key.startswith("json/"):
            mine, theirs = (json.loads(str(v)) for v in (got[key],
                                                         expected[key]))
            assert [(n["op"], n["name"], n.get("attrs"), n["inputs"])
                    for n in mine["nodes"]] == \
                [(n["op"], n["name"], n.get("attrs"), n["inputs"])
                 for n in theirs["nodes"]], key
        elif key.startswith(("args/", "aux/", "outs/")):
            assert str(got[key]) == str(expected[key]), key
        else:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-5,
                                       err_msg=key)
    # MXNet's JSON loads into kiln and runs through an Executor.
    for key in ("json/fft", "json/hawkes", "json/sync"):
        loaded = mx.sym.load_json(str(expected[key]))
        assert loaded.tojson() and loaded.list_outputs() == \
            str(expected["outs/" + key[5:]]).split(",")
    fft = mx.sym.load_json(str(expected["json/fft"]))
    ex = fft.bind(mx.cpu(), {"x": nd.array(x)},
                  args_grad={"x": nd.zeros(x.shape)})
    ex.forward(is_train=True)
    np.testing.assert_allclose(ex.outputs[0].asnumpy()[:, 0::2],
                               np.fft.fft(x).real, rtol=1e-4, atol=1e-5)
    ex.backward(nd.ones((2, 8)))
    want = nd.contrib.ifft(nd.ones((2, 8))).asnumpy()  # fft's gradient
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), want, atol=1e-5)


def test_sync_batchnorm_in_module_training_updates_moving_stats():
    data = mx.sym.var("data")
    net = mx.sym.contrib.SyncBatchNorm(data, key="k", name="bn")
    ex = net.simple_bind(mx.cpu(), data=(4, 3))
    x = np.random.RandomState(6).randn(4, 3).astype("f") + 2
    ex.forward(is_train=True, data=nd.array(x))
    ex.backward(nd.ones((4, 3)))
    mean = ex.aux_dict["bn_moving_mean"].asnumpy()
    np.testing.assert_allclose(mean, x.mean(axis=0) * 0.1, rtol=1e-4)


# -- backward operators MXNet's API exposes ------------------------------------------
GRADMULT = """
for dt in ["int32", "float64", "float16", "int8", "uint8", "float32"]:
    for is_int in (True, False):
        r = mx.nd.contrib.backward_gradientmultiplier(
            mx.nd.array([1, -3, 4], dtype=dt), scalar=2.5, is_int=is_int)
        outputs["%s_%d" % (dt, is_int)] = r.asnumpy()
outputs["default"] = mx.nd.contrib.backward_gradientmultiplier(
    mx.nd.array([1.5, 2])).asnumpy()
"""


@requires_oracle
def test_backward_gradientmultiplier_matches_mxnet():
    got, expected = run_both(GRADMULT, mx)
    compare_outputs(got, expected)


def test_backward_nodes_compute_gradients():
    # MXNet's backward_quadratic/index_copy/hawkesll take no inputs from
    # Python; as graph nodes they compute the gradients.
    graph = {"nodes": [
        {"op": "null", "name": "g", "inputs": []},
        {"op": "null", "name": "x", "inputs": []},
        {"op": "_contrib_backward_quadratic", "name": "bq",
         "attrs": {"a": "2", "b": "3"}, "inputs": [[0, 0, 0], [1, 0, 0]]}],
        "arg_nodes": [0, 1], "heads": [[2, 0, 0]],
        "attrs": {"mxnet_version": ["int", 10901]}}
    sym = mx.sym.load_json(json.dumps(graph))
    out = sym.eval(ctx=mx.cpu(), g=nd.array([1, 2]), x=nd.array([0.5, -1]))
    np.testing.assert_allclose(out[0].asnumpy(), [5, -2])
    old = nd.array(np.arange(6).reshape(3, 2))
    new = nd.ones((1, 2))
    old.attach_grad()
    new.attach_grad()
    with mx.autograd.record():
        y = nd.contrib.index_copy(old, nd.array([1]), new)
    y.backward(nd.array([[1, 2], [3, 4], [5, 6]]))
    graph["nodes"] = [
        {"op": "null", "name": n, "inputs": []} for n in "gaiz"] + [
        {"op": "_contrib_backward_index_copy", "name": "bi",
         "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0]]}]
    graph["arg_nodes"] = [0, 1, 2, 3]
    graph["heads"] = [[4, 0, 0], [4, 2, 0]]
    outs = mx.sym.load_json(json.dumps(graph)).eval(
        ctx=mx.cpu(), g=nd.array([[1, 2], [3, 4], [5, 6]]), a=old,
        i=nd.array([1]), z=new)
    np.testing.assert_array_equal(outs[0].asnumpy(), old.grad.asnumpy())
    np.testing.assert_array_equal(outs[1].asnumpy(), new.grad.asnumpy())


# -- bad inputs ------------------------------------------------------------------------
PRELUDE = """
x = mx.nd.ones((2, 3, 4, 4)); c = mx.nd.ones((3,))
h = mx.nd.array([[0, 1, 2]]); s = mx.nd.array([[1, -1, 1]])
lda = mx.nd.ones((2, 3)); k = mx.nd.ones((3,)); st = mx.nd.zeros((2, 3))
lags = mx.nd.ones((2, 4)); marks = mx.nd.zeros((2, 4), dtype="int32")
n2 = mx.nd.ones((2,))
"""
test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, PRELUDE, [
        ("sync_no_key", "mx.nd.contrib.SyncBatchNorm(x, c, c, c, c)",
         "Required parameter key of string is not presented"),
        ("bnrelu_unknown_arg",
         "mx.nd.contrib.BatchNormWithReLU(x, c, c, c, c, ndev=2)",
         "unknown argument 'ndev'"),
        ("hawkes_state_shape",
         "mx.nd.contrib.hawkesll(lda, k, k, mx.nd.zeros((3, 3)), lags, "
         "marks, n2, n2)", "state expected"),
        ("hawkes_float_marks",
         "mx.nd.contrib.hawkesll(lda, k, k, st, lags, mx.nd.zeros((2, 4)), "
         "n2, n2)", "marks expected dtype int32"),
        ("backward_quadratic_from_python",
         "mx.nd.contrib.backward_quadratic(n2, n2)",
         "expects 2 inputs .*got 0"),
        ("sync_bad_ndev", "mx.nd.contrib.SyncBatchNorm(x, c, c, c, c, "
         "key='a', ndev='two')", "Invalid Parameter format for ndev"),
    ], [
        # MXNet refuses every fft / ifft / count_sketch call on CPUs.
        ("fft_rank_3", "mx.nd.contrib.fft(mx.nd.ones((2, 3, 4)))",
         "2-D .* or 4-D"),
        ("ifft_odd", "mx.nd.contrib.ifft(mx.nd.ones((2, 5)))",
         "last extent must be even"),
        ("fft_int", "mx.nd.contrib.fft(mx.nd.ones((2, 4), dtype='int32'))",
         "fft: data expected float16, float32 or float64"),
        ("sketch_h_length", "mx.nd.contrib.count_sketch(mx.nd.ones((2, 4)), "
         "h, s, out_dim=3)", "H should be 2D tensor with same length"),
        ("sketch_h_range", "mx.nd.contrib.count_sketch(mx.nd.ones((2, 3)), "
         "h, s, out_dim=2)", r"h expected indices in \[0, 2\)"),
        ("sketch_dtypes", "mx.nd.contrib.count_sketch(mx.nd.ones((2, 3)), "
         "h.astype('float64'), s, out_dim=3)", "requires uniform type"),
        ("hawkes_marks_range",
         "mx.nd.contrib.hawkesll(lda, k, k, st, lags, marks + 3, n2, n2)",
         r"marks expected process ids in \[0, 3\)"),
    ], MXNetError)
