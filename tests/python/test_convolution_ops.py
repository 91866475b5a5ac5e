"""MXNet 1.9.1's spatial operators (frontends/cpp/ops/ConvolutionOps.cpp):
Convolution, Deconvolution and Pooling.

Forward values and the gradients of data, weight and bias are compared live
against MXNet 1.9.1 (tests/python/mxnet_oracle.py runs the same snippet under
both frameworks, with autograd in both); numeric gradient checks run in
float64; errors are checked in kiln, and that MXNet refuses the same inputs.

MXNet 1.9.1 facts these rely on (measured): channel-last Convolution weight
is (num_filter, kernel..., C / num_group), Deconvolution's (C, kernel...,
num_filter / num_group); lp pooling is (sum x^p)^(1/p) without abs (p = 1 is
the plain sum, p = 3 the real cube root); averages divide by the window
clipped to the input plus pad (count_include_pad) or to the input; a window
wholly in the padding 'full' adds averages and sums to 0 and its max is the
dtype's lowest finite value; Deconvolution allows an empty output extent and
takes pad and adj of every dimension from target_shape when any entry is
nonzero.

Where kiln deliberately differs from MXNet 1.9.1 (each checked below):
  * channel-last Convolution and Deconvolution (NHWC, NDHWC) run in kiln;
    MXNet's CPU refuses them (oneDNN cannot make the primitive; its float64
    path takes channel-first only), so kiln is compared with MXNet's
    channel-first result on transposed arrays. NWC, which MXNet's
    Convolution and Deconvolution do not list, is refused as there;
  * Deconvolution: kiln runs float64 3-D and dilated 3-D (MXNet's CPU has
    no loops for 3-D and its oneDNN path refuses dilate in 3-D); a
    target_shape that asks for a pad other than `pad` runs in float32 too
    (MXNet's oneDNN path refuses it; its float64 path computes it, as
    kiln); and a dilated kernel with stride > 1 in float64 puts its terms
    where MXNet's float32 does (MXNet's float64 loops misplace them);
  * Pooling's pooling_convention='same' runs in kiln for 1-D input with the
    windows MXNet's kernels compute (from the first element on, clipped at
    the end, out = ceil(x / stride); no pad); MXNet 1.9.1's shape check reads
    pad[1] and pad[2] and so refuses every 1-D call whose pad has one entry
    (it runs only with pad=(0, 0, 0), against which kiln is compared);
  * Pooling of float16 pools in float32 and rounds once;
  * the gradient of a gradient through Convolution and Deconvolution exists
    in kiln (MXNet: _backward_Convolution is non-differentiable); it is
    checked against finite differences;
  * num_group=0 is an error in kiln (MXNet's process dies).
"""
import itertools

import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient
from mxnet_oracle import (SNIPPET_HELPERS, bad_input_tests, compare_outputs,
                          requires_oracle, run_both)

nd = mx.nd
RNG = np.random.default_rng(31)

# Shared by the snippets: random arrays from a seeded legacy RandomState
# (the same numbers under either framework's numpy), and channel-last
# calls that MXNet's CPU refuses, run there channel-first on transposed
# arrays.
HELPERS = SNIPPET_HELPERS + """
KILN = mx.__name__ != "mxnet"
rs = np.random.RandomState(7)

def normal(*shape):
    return rs.standard_normal(shape)

def first(a):  # channel-last -> channel-first (numpy)
    return a.transpose((0, a.ndim - 1) + tuple(range(1, a.ndim - 1)))

def last(a):   # channel-first -> channel-last (numpy)
    return a.transpose((0,) + tuple(range(2, a.ndim)) + (1,))

def record_channel_last(name, op, layout, arrays, **kwargs):
    # As record, for op(data, weight, bias...) in a channel-last layout;
    # MXNet runs it channel-first on transposed copies of data and weight
    # (its backward through a transposed weight fails) and its results
    # are transposed back.
    swap = (lambda a: a) if KILN else first
    back = (lambda a: a) if KILN else last
    xs = [mx.nd.array(swap(a) if i < 2 else a, dtype=a.dtype)
          for i, a in enumerate(arrays)]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        y = op(*xs, layout=layout, **kwargs) if KILN else op(*xs, **kwargs)
    out = back(y.asnumpy())
    y.backward(mx.nd.array(swap(head_like(out)), dtype=y.dtype))
    outputs[name + "/out0"] = out
    for i, x in enumerate(xs):
        g = x.grad.asnumpy()
        outputs["%s/grad%d" % (name, i)] = back(g) if i < 2 else g
"""


def loosen(expected, marker, tolerance):
    """Tolerances for every output whose key contains marker."""
    return {key: tolerance for key in expected if marker in key}


# Convolution against MXNet 1.9.1.

CONVOLUTIONS = [
    # (data shape, kwargs); weight and bias follow from them.
    ((2, 3, 9), dict(kernel=(3,), num_filter=4)),
    ((2, 4, 11), dict(kernel=(3,), stride=(2,), pad=(2,), dilate=(2,),
                      num_filter=6, num_group=2)),
    ((2, 3, 7, 8), dict(kernel=(3, 3), num_filter=5)),
    ((2, 4, 7, 8), dict(kernel=(3, 2), stride=(2, 1), pad=(1, 0),
                        dilate=(1, 2), num_filter=6, num_group=2)),
    ((1, 4, 6, 6), dict(kernel=(3, 3), pad=(1, 1), num_filter=4,
                        num_group=4)),  # depthwise
    ((1, 4, 6, 6), dict(kernel=(3, 3), stride=(2, 2), num_filter=8,
                        num_group=4, no_bias=True)),  # depthwise, 2 per group
    ((2, 2, 5, 6, 4), dict(kernel=(2, 3, 2), stride=(1, 2, 1), pad=(1, 1, 0),
                           num_filter=3)),
    ((1, 4, 5, 5, 5), dict(kernel=(3, 2, 3), dilate=(2, 1, 1), pad=(0, 1, 1),
                           num_filter=2, num_group=2, no_bias=True)),
    ((2, 3, 5, 5), dict(kernel=(1, 1), num_filter=4)),  # 1x1
    ((1, 2, 4, 4), dict(kernel=(4, 4), num_filter=3)),  # kernel = input
    # Sizes where oneDNN picks blocked formats and its JIT kernels.
    ((4, 16, 14, 14), dict(kernel=(3, 3), pad=(1, 1), num_filter=32)),
    ((2, 32, 12, 12), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                           num_filter=32, num_group=32, no_bias=True)),
]


def conv_weight_shape(data, kwargs):
    return ((kwargs["num_filter"], data[1] // kwargs.get("num_group", 1)) +
            tuple(kwargs["kernel"]))


@requires_oracle
def test_convolution_matches_mxnet():
    code = HELPERS + """
for i, (shape, kwargs) in enumerate(CASES):
    w_shape = WEIGHTS[i]
    x, w, b = normal(*shape), normal(*w_shape), normal(kwargs["num_filter"])
    for dtype in ("float32", "float64"):
        arrays = [x.astype(dtype), w.astype(dtype)]
        if not kwargs.get("no_bias"):
            arrays.append(b.astype(dtype))
        record("conv%d/%s" % (i, dtype),
               lambda *a: mx.nd.Convolution(*a, **kwargs), arrays)
"""
    code = ("CASES = %r\nWEIGHTS = %r\n" % (
        CONVOLUTIONS, [conv_weight_shape(s, k) for s, k in CONVOLUTIONS]) +
        code)
    got, expected = run_both(code, mx)
    compare_outputs(got, expected, tolerances=winograd_tolerances(got))


def winograd_tolerances(outputs):
    # The float32 3x3 stride-1 case whose channels fill blocks of 16 runs on
    # oneDNN's Winograd kernels (runtime/cpu/Convolution.cpp, winogradPays),
    # whose errors are ~1e-5 of the outputs' scale (about 10 here) where
    # MXNet's direct kernels' are ~1e-6: (rtol, atol) of 1e-5 of that
    # scale. test_winograd_switch checks the direct kernels under
    # KILN_CONV_WINOGRAD=0.
    index = next(i for i, (shape, kwargs) in enumerate(CONVOLUTIONS)
                 if shape[1] % 16 == 0 and kwargs["kernel"] == (3, 3) and
                 kwargs.get("num_group", 1) == 1 and "stride" not in kwargs)
    prefix = "conv%d/float32/" % index
    return {key: (1e-4, 1e-4) for key in outputs if key.startswith(prefix)}


WINOGRAD_SWITCH = """
import numpy as np, kiln as mx
rng = np.random.RandomState(3)
x = mx.nd.array(rng.randn(2, 16, 9, 9))
w = mx.nd.array(rng.randn(32, 16, 3, 3) / 12)
x.attach_grad()
w.attach_grad()
with mx.autograd.record():
    y = mx.nd.Convolution(x, w, kernel=(3, 3), pad=(1, 1), num_filter=32,
                          no_bias=True)
y.backward(mx.nd.array(np.cos(np.arange(y.size)).reshape(y.shape)))
np.save(OUT, np.concatenate([a.asnumpy().ravel()
                             for a in (y, x.grad, w.grad)]))
"""


def _has_avx512_core():
    """Whether this CPU has what oneDNN calls avx512_core (F, BW, VL, DQ)."""
    try:
        with open("/proc/cpuinfo") as info:
            flags = next((line.split() for line in info
                          if line.startswith("flags")), [])
    except OSError:
        return False
    return {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= set(flags)


@pytest.mark.parametrize("setting", [None, "1", "0"])
def test_winograd_switch(tmp_path, setting):
    # KILN_CONV_WINOGRAD=0 (read once per process) keeps 3x3 stride-1
    # convolutions on oneDNN's direct kernels, as MXNet's: their results
    # differ from the Winograd kernels' in the last bits. Both agree with
    # float64 to 1e-5 of the outputs' scale.
    import os
    import subprocess
    import sys
    env = dict(os.environ)
    env.pop("KILN_CONV_WINOGRAD", None)
    runs = {}
    for name, value in (("given", setting), ("direct", "0")):
        if value is not None:
            env["KILN_CONV_WINOGRAD"] = value
        else:
            env.pop("KILN_CONV_WINOGRAD", None)
        out = str(tmp_path / (name + ".npy"))
        subprocess.run([sys.executable, "-c",
                        "OUT = %r\n" % out + WINOGRAD_SWITCH],
                       env=env, check=True)
        runs[name] = np.load(out)
    if setting == "0" or not _has_avx512_core():
        # (oneDNN 2.6's Winograd kernels need AVX-512: elsewhere the switch
        # changes nothing.)
        np.testing.assert_array_equal(runs["given"], runs["direct"])
    else:
        assert not np.array_equal(runs["given"], runs["direct"])
    rng = np.random.RandomState(3)
    x = mx.nd.array(rng.randn(2, 16, 9, 9), dtype="float64")
    w = mx.nd.array(rng.randn(32, 16, 3, 3) / 12, dtype="float64")
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Convolution(x, w, kernel=(3, 3), pad=(1, 1), num_filter=32,
                              no_bias=True)
    y.backward(mx.nd.array(np.cos(np.arange(y.size)).reshape(y.shape),
                           dtype="float64"))
    want = np.concatenate([a.asnumpy().ravel() for a in (y, x.grad, w.grad)])
    for got in runs.values():
        np.testing.assert_allclose(got, want, rtol=0,
                                   atol=1e-5 * np.abs(want).max())


@requires_oracle
def test_convolution_views_and_channel_last_match_mxnet():
    """A transposed and a sliced (strided) input, read through its strides;
    channel-last layouts (MXNet: channel-first on transposed arrays)."""
    code = HELPERS + """
conv = mx.nd.Convolution
for dtype in ("float32", "float64"):
    x = normal(2, 3, 8, 7).astype(dtype)
    w = normal(4, 3, 3, 3).astype(dtype)
    b = normal(4).astype(dtype)
    record("transposed/" + dtype, lambda a, w, b: conv(
        a.transpose((0, 1, 3, 2)), w, b, kernel=(3, 3), num_filter=4,
        pad=(1, 0)), [x, w, b])
    record("sliced/" + dtype, lambda a, w, b: conv(
        a[:, :, 1:7, 2:], w, b, kernel=(3, 3), num_filter=4, stride=(2, 1)),
        [x, w, b])
    record("channel_sliced/" + dtype, lambda a, w, b: conv(
        a[:, 1:], w[:, 1:], b, kernel=(3, 3), num_filter=4), [x, w, b])
    for layout, xs, ws, kw in (
            ("NHWC", (2, 6, 7, 4), (6, 3, 2, 2),
             dict(kernel=(3, 2), num_filter=6, num_group=2, pad=(1, 0),
                  stride=(1, 2))),
            ("NDHWC", (1, 4, 5, 3, 2), (3, 2, 3, 2, 2),
             dict(kernel=(2, 3, 2), num_filter=3, dilate=(2, 1, 1)))):
        arrays = [normal(*xs).astype(dtype), normal(*ws).astype(dtype),
                  normal(kw["num_filter"]).astype(dtype)]
        record_channel_last("%s/%s" % (layout, dtype), conv, layout,
                            arrays, **kw)
"""
    got, expected = run_both(code, mx)
    compare_outputs(got, expected)


DECONVOLUTIONS = [
    # (data shape, kwargs, dtypes)
    ((2, 3, 5), dict(kernel=(3,), num_filter=4)),
    ((2, 4, 5), dict(kernel=(3,), stride=(2,), pad=(1,), adj=(1,),
                     num_filter=6, num_group=2, no_bias=False)),
    ((1, 2, 4), dict(kernel=(3,), stride=(3,), adj=(2,), num_filter=3,
                     no_bias=False)),  # adj > pad: trailing rows of bias
    ((1, 2, 4), dict(kernel=(2,), stride=(3,), pad=(1,), adj=(2,),
                     dilate=(2,), num_filter=2)),
    ((2, 3, 4, 5), dict(kernel=(3, 3), num_filter=2, no_bias=False)),
    ((2, 4, 4, 3), dict(kernel=(3, 2), stride=(2, 3), pad=(1, 0),
                        adj=(1, 2), dilate=(1, 2), num_filter=4,
                        num_group=2, no_bias=False)),
    ((1, 3, 3, 3), dict(kernel=(2, 2), stride=(2, 2), num_filter=3,
                        num_group=3)),  # depthwise
    ((1, 2, 3, 4, 3), dict(kernel=(2, 3, 2), stride=(2, 1, 2),
                           pad=(0, 1, 1), adj=(1, 0, 1), num_filter=3,
                           no_bias=False)),
    ((1, 4, 3, 3, 2), dict(kernel=(2, 2, 2), pad=(1, 0, 1), num_filter=2,
                           num_group=2)),
    ((1, 2, 2, 2), dict(kernel=(5, 5), num_filter=2)),  # kernel > input
    ((1, 2, 4), dict(kernel=(3,), pad=(3,), num_filter=2)),  # empty output
]
# target_shape: MXNet's float32 path refuses a target that asks for a pad
# other than `pad`; its float64 path computes pad and adj from it.
TARGETS = [
    ((1, 2, 4), dict(kernel=(3,), stride=(2,), target_shape=(8,),
                     num_filter=3, no_bias=False)),
    ((1, 2, 4), dict(kernel=(3,), stride=(2,), target_shape=(3,),
                     num_filter=3)),
    ((1, 2, 4, 5), dict(kernel=(3, 3), stride=(2, 2), pad=(4, 0),
                        target_shape=(8, 10), num_filter=3)),
    ((1, 2, 4, 5), dict(kernel=(3, 2), stride=(2, 2), target_shape=(6, 0),
                        num_filter=3)),  # 0: that extent too from the target
    ((1, 2, 3, 3, 3), dict(kernel=(2, 2, 2), stride=(2, 2, 2),
                           target_shape=(5, 6, 4), num_filter=2)),
]


def deconv_weight_shape(data, kwargs):
    return ((data[1], kwargs["num_filter"] // kwargs.get("num_group", 1)) +
            tuple(kwargs["kernel"]))


def deconv_dtypes(shape, kwargs):
    """The dtypes MXNet 1.9.1 gets right for a Deconvolution case."""
    if len(shape) == 5:
        return ("float32",)  # 3-D runs on oneDNN only.
    if kwargs.get("pad") == (3,):
        return ("float64",)  # Its float32 backward fails on an empty output.
    if max(kwargs.get("dilate", (1,))) > 1 and max(kwargs.get("stride",
                                                               (1,))) > 1:
        # Its float64 loops add a dilated kernel's terms at the wrong
        # places when stride > 1 (see test_mxnet_float64_dilated_...).
        return ("float32",)
    return ("float32", "float64")


@requires_oracle
def test_deconvolution_matches_mxnet():
    code = HELPERS + """
for i, (shape, kwargs, dtypes) in enumerate(CASES):
    x, w, b = normal(*shape), normal(*WEIGHTS[i]), normal(kwargs["num_filter"])
    for dtype in dtypes:
        arrays = [x.astype(dtype), w.astype(dtype)]
        if kwargs.get("no_bias") is False:
            arrays.append(b.astype(dtype))
        record("deconv%d/%s" % (i, dtype),
               lambda *a: mx.nd.Deconvolution(*a, **kwargs), arrays)
"""
    cases = ([(s, k, deconv_dtypes(s, k)) for s, k in DECONVOLUTIONS] +
             [(s, k, ("float64",)) for s, k in TARGETS if len(s) < 5])
    code = ("CASES = %r\nWEIGHTS = %r\n" % (
        cases, [deconv_weight_shape(s, k) for s, k, _ in cases]) + code)
    got, expected = run_both(code, mx)
    compare_outputs(got, expected)


def test_deconvolution_target_shape_in_float32():
    """kiln's float32 target_shape (MXNet refuses it) equals its float64."""
    for shape, kwargs in TARGETS:
        x = RNG.standard_normal(shape)
        w = RNG.standard_normal(deconv_weight_shape(shape, kwargs))
        b = RNG.standard_normal(kwargs["num_filter"])
        results = []
        for dtype in ("float32", "float64"):
            args = [nd.array(x, dtype=dtype), nd.array(w, dtype=dtype)]
            if kwargs.get("no_bias") is False:
                args.append(nd.array(b, dtype=dtype))
            results.append(nd.Deconvolution(*args, **kwargs).asnumpy())
        assert results[0].shape == results[1].shape
        np.testing.assert_allclose(results[0], results[1], rtol=1e-4,
                                   atol=1e-5)


@requires_oracle
def test_deconvolution_channel_last_matches_mxnet():
    code = HELPERS + """
for layout, xs, ws, kw in (
        ("NHWC", (2, 4, 3, 4), (4, 3, 2, 3),
         dict(kernel=(3, 2), num_filter=6, num_group=2, stride=(2, 1),
              pad=(1, 0), adj=(1, 0), no_bias=False)),
        ("NDHWC", (1, 3, 2, 3, 2), (2, 2, 2, 1, 3),
         dict(kernel=(2, 2, 1), num_filter=3, stride=(1, 2, 1),
              no_bias=False))):
    for dtype in ("float32", "float64")[:6 - len(xs)]:  # 3-D: float32
        arrays = [normal(*xs).astype(dtype), normal(*ws).astype(dtype),
                  normal(kw["num_filter"]).astype(dtype)]
        record_channel_last("%s/%s" % (layout, dtype), mx.nd.Deconvolution,
                            layout, arrays, **kw)
"""
    got, expected = run_both(code, mx)
    compare_outputs(got, expected)


# Pooling against MXNet 1.9.1. Random normal data has no ties, so max
# pooling's gradient is well defined.

POOLINGS = [
    # (data shape, kwargs)
    ((2, 3, 9), dict(kernel=(3,))),
    ((2, 3, 10), dict(kernel=(3,), stride=(2,), pad=(1,), pool_type="avg")),
    ((2, 3, 10), dict(kernel=(3,), stride=(2,), pad=(1,), pool_type="avg",
                      count_include_pad=False)),
    ((2, 3, 10), dict(kernel=(4,), stride=(3,), pad=(1,), pool_type="avg",
                      pooling_convention="full")),
    ((2, 3, 10), dict(kernel=(4,), stride=(3,), pad=(1,), pool_type="avg",
                      pooling_convention="full", count_include_pad=False)),
    ((2, 3, 10), dict(kernel=(4,), stride=(3,), pad=(1,), pool_type="max",
                      pooling_convention="full")),
    ((2, 3, 10), dict(kernel=(4,), stride=(3,), pad=(1,), pool_type="sum",
                      pooling_convention="full")),
    ((1, 2, 8), dict(kernel=(3,), stride=(2,), pool_type="sum")),
    ((2, 3, 7, 8), dict(kernel=(2, 3))),
    ((2, 3, 7, 8), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),
    ((2, 3, 7, 8), dict(kernel=(3, 2), stride=(2, 3), pad=(1, 0),
                        pool_type="avg")),
    ((2, 3, 7, 8), dict(kernel=(3, 2), stride=(2, 3), pad=(1, 1),
                        pool_type="avg", count_include_pad=False)),
    ((2, 3, 7, 8), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                        pool_type="avg", pooling_convention="full")),
    ((2, 3, 7, 8), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                        pool_type="avg", pooling_convention="full",
                        count_include_pad=False)),
    ((2, 3, 7, 8), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                        pooling_convention="full")),
    ((2, 3, 6, 6), dict(kernel=(2, 2), stride=(2, 2), pool_type="sum",
                        pad=(1, 0))),
    ((2, 3, 7, 8), dict(kernel=(2, 2), global_pool=True)),
    ((2, 3, 7, 8), dict(kernel=(2, 2), global_pool=True, pool_type="avg")),
    ((2, 3, 7, 8), dict(global_pool=True, pool_type="sum")),
    ((2, 3, 7), dict(global_pool=True, pool_type="avg")),
    ((1, 2, 3, 4, 5), dict(global_pool=True)),
    ((1, 2, 5, 6, 7), dict(kernel=(2, 3, 2), stride=(2, 1, 2), pad=(1, 1, 0))),
    ((1, 2, 5, 6, 7), dict(kernel=(2, 3, 2), stride=(2, 1, 2), pad=(1, 1, 0),
                           pool_type="avg")),
    ((1, 2, 5, 6, 7), dict(kernel=(3, 3, 3), stride=(2, 2, 2), pad=(1, 1, 1),
                           pool_type="avg", count_include_pad=False,
                           pooling_convention="full")),
    ((1, 2, 5, 6, 7), dict(kernel=(2, 2, 2), stride=(2, 2, 2),
                           pool_type="sum", pooling_convention="full")),
    ((4, 16, 15, 15), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),
    ((4, 16, 15, 15), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                           pool_type="avg", pooling_convention="full")),
]
LP = [
    ((2, 3, 9), dict(kernel=(3,), stride=(2,), pad=(1,))),
    ((2, 3, 7, 8), dict(kernel=(3, 2), stride=(2, 2), pad=(1, 0))),
    ((1, 2, 4, 5, 6), dict(kernel=(2, 2, 3), stride=(1, 2, 2))),
    ((2, 3, 6, 5), dict(global_pool=True)),
    ((2, 3, 7, 8), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                        pooling_convention="full")),
]
POOL_LAYOUTS = [
    ((2, 9, 3), dict(kernel=(3,), stride=(2,), layout="NWC")),
    ((2, 9, 3), dict(kernel=(3,), pad=(1,), layout="NWC", pool_type="avg")),
    ((2, 7, 8, 3), dict(kernel=(3, 2), stride=(2, 1), pad=(1, 1),
                        layout="NHWC")),
    ((2, 7, 8, 3), dict(kernel=(3, 2), stride=(2, 1), pad=(1, 1),
                        layout="NHWC", pool_type="avg",
                        count_include_pad=False)),
    ((2, 7, 8, 3), dict(kernel=(2, 2), layout="NHWC", pool_type="sum")),
    ((2, 7, 8, 3), dict(global_pool=True, layout="NHWC", pool_type="avg")),
    ((1, 5, 6, 4, 2), dict(kernel=(2, 2, 2), stride=(2, 1, 2),
                           layout="NDHWC")),
    ((1, 5, 6, 4, 2), dict(kernel=(2, 2, 2), pad=(1, 0, 1), layout="NDHWC",
                           pool_type="avg")),
    ((2, 7, 8, 3), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                        layout="NHWC", pool_type="avg",
                        pooling_convention="full")),
]


@requires_oracle
def test_pooling_matches_mxnet():
    cases = POOLINGS + POOL_LAYOUTS + [
        (s, dict(k, pool_type="lp", p_value=p)) for s, k in LP
        for p in (1, 2, 3)]
    code = "CASES = %r\n" % cases + HELPERS + """
for i, (shape, kwargs) in enumerate(CASES):
    x = normal(*shape)
    for dtype in ("float32", "float64"):
        record("pool%d/%s" % (i, dtype),
               lambda a: mx.nd.Pooling(a, **kwargs), [x.astype(dtype)])
"""
    got, expected = run_both(code, mx)
    compare_outputs(got, expected)


@requires_oracle
def test_pooling_edges_match_mxnet():
    """'full' windows wholly in the added padding (stride > kernel), float16,
    and 'same' (MXNet: only with pad=(0, 0, 0), and its float32 path
    refuses most kernels there, so float64)."""
    code = HELPERS + """
x = normal(2, 3, 10)
for dtype in ("float32", "float64"):
    for pool_type in ("max", "avg", "sum"):
        for cip in (True, False):
            record("full_gap/%s/%s/%s" % (pool_type, cip, dtype),
                   lambda a: mx.nd.Pooling(
                       a, kernel=(2,), stride=(3,), pool_type=pool_type,
                       pooling_convention="full", count_include_pad=cip),
                   [x[:, :, :6].astype(dtype)])
for pool_type in ("max", "avg", "sum"):
    for kwargs in (dict(kernel=(3,)), dict(kernel=(3,), stride=(2,), pad=(1,)),
                   dict(kernel=(2, 2), stride=(2, 1)), dict(global_pool=True)):
        shape = (2, 3, 5, 6) if len(kwargs.get("kernel", ())) == 2 else (2, 3, 9)
        record("half/%s/%s" % (pool_type, sorted(kwargs.items())),
               lambda a: mx.nd.Pooling(a, pool_type=pool_type, **kwargs),
               [normal(*shape).astype("float16")])
for kernel, stride in ((4, 2), (3, 1), (2, 2), (3, 2), (1, 1), (4, 3)):
    for pool_type in ("max", "avg", "sum"):
        same = {} if KILN else {"pad": (0, 0, 0)}
        record("same/%d/%d/%s" % (kernel, stride, pool_type),
               lambda a: mx.nd.Pooling(
                   a, kernel=(kernel,), stride=(stride,), pool_type=pool_type,
                   pooling_convention="same", **same), [x[:, :, :7]])
"""
    got, expected = run_both(code, mx)
    tolerances = loosen(expected, "half", (1e-2, 1e-2))
    compare_outputs(got, expected, tolerances=tolerances)


@requires_oracle
def test_mxnet_float64_dilated_deconvolution_misplaces_terms():
    """Why deconv_dtypes leaves float64 out for dilate and stride > 1:
    MXNet 1.9.1's float64 loops put the second tap of a one-hot input at a
    second place; its float32 (oneDNN) and kiln (both dtypes) agree."""
    code = """
x = np.zeros((1, 1, 4)); x[0, 0, 1] = 1
w = np.array([[[1.0, 10.0]]])
for dtype in ("float32", "float64"):
    outputs[dtype] = mx.nd.Deconvolution(
        mx.nd.array(x, dtype=dtype), mx.nd.array(w, dtype=dtype),
        kernel=(2,), stride=(3,), pad=(1,), dilate=(2,),
        num_filter=1).asnumpy().ravel()
"""
    got, expected = run_both(code, mx)
    want = np.zeros(10)
    want[[2, 4]] = [1, 10]  # input 1 at 3 * 1 - 1 + (0, 2)
    np.testing.assert_array_equal(expected["float32"], want)
    assert not np.array_equal(expected["float64"], want)
    for dtype in ("float32", "float64"):
        np.testing.assert_array_equal(got[dtype], want)


# Deconvolution is the input gradient of Convolution (kiln also where MXNet
# refuses: 3-D with dilate, 3-D float64).

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,kwargs", [
    ((1, 4, 3, 4, 3), dict(kernel=(2, 3, 2), stride=(2, 1, 2), pad=(1, 1, 0),
                           dilate=(2, 1, 2), num_filter=2, num_group=2)),
    ((2, 3, 5, 4), dict(kernel=(3, 2), stride=(3, 2), dilate=(2, 2),
                        pad=(2, 1), num_filter=3, num_group=3)),
    ((2, 2, 6), dict(kernel=(3,), stride=(2,), dilate=(3,), num_filter=4)),
])
def test_deconvolution_is_the_convolution_input_gradient(shape, kwargs,
                                                          dtype):
    y = RNG.standard_normal(shape)
    w = RNG.standard_normal(deconv_weight_shape(shape, kwargs))
    deconv = nd.Deconvolution(nd.array(y, dtype=dtype),
                              nd.array(w, dtype=dtype), **kwargs)
    # The convolution from deconv's output shape back to y's.
    x = nd.zeros(deconv.shape, dtype=dtype)
    x.attach_grad()
    conv_kwargs = dict(kwargs, num_filter=shape[1], no_bias=True)
    with mx.autograd.record():
        out = nd.Convolution(x, nd.array(w, dtype=dtype), **conv_kwargs)
    assert out.shape == shape
    out.backward(nd.array(y, dtype=dtype))
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(deconv.asnumpy(), x.grad.asnumpy(),
                               rtol=tolerance, atol=tolerance)


# Numeric gradients (float64, finite differences).

def numeric(op, arrays, **kwargs):
    check_numeric_gradient(lambda *a: op(*a, **kwargs),
                           [np.asarray(a, dtype=np.float64) for a in arrays],
                           numeric_eps=1e-6, rtol=1e-6, atol=1e-8,
                           dtype=np.float64)


def run_convolution(dtype, x0, w0, kwargs, transpose_x=False,
                    transpose_dy=False, x_grad=None, w_grad=None,
                    w_grad_req="write", with_bias=False, x_grad_req="write",
                    b_grad_req=None):
    # y, x.grad and w.grad (numpy; None where not asked for) of
    # Convolution(x0, w0) in `dtype` after backward from cos(arange) as the
    # output gradient, and b.grad with_bias (a bias sin(arange), its
    # gradient buffer set as w's). transpose_x / transpose_dy pass x / the
    # output gradient as transposed views of their last two axes; x_grad /
    # w_grad set the gradient buffers first (w_grad also the bias's: its
    # first elements, or the scalar); b_grad_req defaults to w_grad_req.
    swap = tuple(range(x0.ndim - 2)) + (x0.ndim - 1, x0.ndim - 2)
    x = (mx.nd.array(x0.transpose(swap), dtype=dtype).transpose(swap)
         if transpose_x else mx.nd.array(x0, dtype=dtype))
    w = mx.nd.array(w0, dtype=dtype)
    b = mx.nd.array(np.sin(np.arange(w0.shape[0])), dtype=dtype)
    x.attach_grad(grad_req=x_grad_req)
    w.attach_grad(grad_req=w_grad_req)
    b_grad_req = b_grad_req or w_grad_req
    b.attach_grad(grad_req=b_grad_req)
    if x_grad is not None:
        x.grad[:] = x_grad
    if w_grad is not None:
        w.grad[:] = w_grad
        b.grad[:] = (w_grad if np.isscalar(w_grad)
                     else np.ravel(w_grad)[:w0.shape[0]])
    with mx.autograd.record():
        if with_bias:
            y = mx.nd.Convolution(x, w, b, num_filter=w0.shape[0], **kwargs)
        else:
            y = mx.nd.Convolution(x, w, num_filter=w0.shape[0], no_bias=True,
                                  **kwargs)
    dy0 = np.cos(np.arange(y.size)).reshape(y.shape)
    dy = (mx.nd.array(dy0.transpose(swap), dtype=dtype).transpose(swap)
          if transpose_dy else mx.nd.array(dy0, dtype=dtype))
    y.backward(dy)
    grads = [None if a.grad is None or req == "null" else a.grad.asnumpy()
             for a, req in ((x, x_grad_req), (w, w_grad_req))]
    if with_bias:
        grads.append(None if b_grad_req == "null" else b.grad.asnumpy())
    return (y.asnumpy(), *grads)


def assert_all_close(got, want, **tolerances):
    # Elementwise over two results of run_convolution.
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert (g is None) == (w is None)
        if g is not None:
            np.testing.assert_allclose(g, w, **tolerances)


@pytest.mark.parametrize("kwargs", [
    dict(kernel=(3, 3), pad=(1, 1)),
    dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1)),
    dict(kernel=(1, 1), stride=(2, 2)),
])
@pytest.mark.parametrize("with_bias", [False, True])
def test_both_gradients_in_one_call_equal_float64(kwargs, with_bias):
    # Channels in whole blocks of 16: both gradients (and the bias's) come
    # from one runtime call that converts the output gradient to oneDNN's
    # layout once (runtime convolutionBackward). They equal the float64
    # direct loops', including through strided (transposed) views of x and
    # dy.
    rng = np.random.RandomState(5)
    x0 = rng.randn(3, 16, 9, 9)
    w0 = rng.randn(32, 16, *kwargs["kernel"]) * 0.1
    results = {dtype: run_convolution(dtype, x0, w0, kwargs,
                                      transpose_x=True, with_bias=with_bias)
               for dtype in ("float64", "float32")}
    assert_all_close(results["float32"], results["float64"], rtol=1e-4,
                     atol=1e-4)


@pytest.mark.parametrize("x_shape,w_shape,kwargs", [
    # ResNet-18's last stage on 32x32 images: only the centre tap meets
    # the 1x1 input; both gradients in one call (channels fill blocks).
    ((4, 32, 1, 1), (32, 32, 3, 3), dict(kernel=(3, 3), pad=(1, 1))),
    # Its stride-2 entry, 2x2 -> 1x1: a 2x2 corner of the kernel.
    ((4, 32, 2, 2), (64, 32, 3, 3),
     dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),
    # Cut along one dimension only; channels that fill no blocks (each
    # gradient in a call of its own, channels-last kernels).
    ((3, 5, 1, 6), (7, 5, 3, 3), dict(kernel=(3, 3), pad=(1, 1))),
    ((2, 16, 3, 3), (32, 16, 7, 7), dict(kernel=(7, 7), pad=(3, 3))),
    ((2, 16, 2, 2), (32, 16, 3, 3),
     dict(kernel=(3, 3), pad=(2, 2), dilate=(2, 2))),
    ((2, 32, 1, 1), (32, 16, 3, 3),
     dict(kernel=(3, 3), pad=(1, 1), num_group=2)),
    ((2, 16, 1), (16, 16, 3), dict(kernel=(3,), pad=(1,))),
    ((2, 16, 1, 2, 1), (16, 16, 3, 3, 3),
     dict(kernel=(3, 3, 3), pad=(1, 1, 1))),
])
@pytest.mark.parametrize("grad_req", ["write", "add"])
@pytest.mark.parametrize("with_bias", [False, True])
def test_taps_that_only_meet_padding(x_shape, w_shape, kwargs, grad_req,
                                     with_bias):
    # Filter taps that read padding at every output position are left out
    # of the oneDNN calls (runtime/cpu/Convolution.cpp, LiveWindow): the
    # float32 results equal the float64 direct loops', which compute every
    # tap, and the left-out taps' weight gradient is written as 0 over
    # whatever the gradient buffer held (NaN here), or adds 0 under 'add'.
    rng = np.random.RandomState(11)
    x0, w0 = rng.randn(*x_shape), rng.randn(*w_shape)
    prior = rng.randn(*w_shape)
    results = {dtype: run_convolution(
        dtype, x0, w0, kwargs, w_grad_req=grad_req,
        w_grad=prior if grad_req == "add" else np.nan, with_bias=with_bias)
        for dtype in ("float64", "float32")}
    assert_all_close(results["float32"], results["float64"], rtol=1e-4,
                     atol=1e-4)
    weight_grad = results["float32"][2]
    assert np.isfinite(weight_grad).all()
    if x_shape[2:] == (1, 1) and kwargs.get("stride") is None:
        before = prior.astype(np.float32) if grad_req == "add" else 0 * prior
        assert (weight_grad[..., 0, 0] == before[..., 0, 0]).all()


@pytest.mark.parametrize("x_shape,w_shape,kwargs", [
    # One output pixel an image: rows of the products are the images.
    ((4, 64, 1, 1), (64, 64, 3, 3), dict(kernel=(3, 3), pad=(1, 1))),
    # Cut to a 2x2 corner (taps not one stride apart: a packed copy).
    ((4, 64, 2, 2), (128, 64, 3, 3),
     dict(kernel=(3, 3), pad=(1, 1), stride=(2, 2))),
    ((4, 64, 2, 2), (64, 64, 3, 3), dict(kernel=(3, 3), pad=(1, 1))),
    ((4, 64, 4, 4), (128, 64, 1, 1), dict(kernel=(1, 1), stride=(2, 2))),
    ((2, 64, 5, 5), (64, 64, 3, 3), dict(kernel=(3, 3), stride=(2, 2))),
    ((3, 70, 2, 2), (66, 70, 3, 3), dict(kernel=(3, 3), pad=(1, 1))),
    ((2, 64, 3, 3), (64, 64, 2, 2), dict(kernel=(2, 2), dilate=(2, 2))),
    # Every product reads padding: zeros out, zero gradients.
    ((2, 64, 1, 1), (64, 64, 1, 1), dict(kernel=(1, 1), pad=(2, 2),
                                         stride=(3, 3))),
    ((3, 64, 4), (64, 64, 3), dict(kernel=(3,), pad=(1,), stride=(2,))),
    ((2, 64, 2, 2, 1), (64, 64, 3, 3, 3),
     dict(kernel=(3, 3, 3), pad=(1, 1, 1))),
])
@pytest.mark.parametrize("with_bias", [False, True])
def test_few_pixel_convolutions_as_patch_products(x_shape, w_shape, kwargs,
                                                  with_bias):
    # Images of at most 4 output pixels and 64+ channels run as matrix
    # products of their patches (runtime/cpu/Convolution.cpp,
    # PatchConvolution; taps that only read padding are cut first by
    # LiveWindow): forward, both gradients (buffers full of NaN before, so
    # the cut taps' weight gradient must be written as 0) and through
    # transposed views of x and the output gradient, against the float64
    # direct loops.
    rng = np.random.RandomState(12)
    x0, w0 = rng.randn(*x_shape), rng.randn(*w_shape) * 0.1
    results = {dtype: run_convolution(dtype, x0, w0, kwargs,
                                      transpose_x=True, transpose_dy=True,
                                      x_grad=np.nan, w_grad=np.nan,
                                      with_bias=with_bias)
               for dtype in ("float64", "float32")}
    assert_all_close(results["float32"], results["float64"], rtol=1e-4,
                     atol=1e-4)


def distinct_runs(x_shape, filters, scale, repeats):
    # How many different (y, dx, dw) bit patterns `repeats` identical
    # float32 3x3 convolution steps give (1 when they are reproducible).
    rng = np.random.RandomState(0)
    x0 = rng.randn(*x_shape).astype(np.float32)
    w0 = (rng.randn(filters, x_shape[1], 3, 3) * scale).astype(np.float32)
    y_shape = (x_shape[0], filters) + x_shape[2:]
    dy = mx.nd.array(np.cos(np.arange(np.prod(y_shape))).reshape(y_shape))
    runs = set()
    for _ in range(repeats):
        x, w = mx.nd.array(x0), mx.nd.array(w0)
        x.attach_grad()
        w.attach_grad()
        with mx.autograd.record():
            y = mx.nd.Convolution(x, w, kernel=(3, 3), pad=(1, 1),
                                  num_filter=filters, no_bias=True)
        y.backward(dy)
        runs.add(tuple(a.asnumpy().tobytes() for a in (y, x.grad, w.grad)))
    return len(runs)


@pytest.mark.parametrize("x_shape,w_shape,kwargs", [
    # ResNet-18's first stages on 32x32 images (64 channels at 8x8, 128 at
    # 4x4): Winograd and the direct kernels, each gradient in one call.
    ((32, 16, 8, 8), (32, 16, 3, 3), dict(kernel=(3, 3), pad=(1, 1))),
    # An odd batch: pieces of 12 and 13 images.
    ((25, 32, 4, 4), (16, 32, 3, 3),
     dict(kernel=(3, 3), pad=(1, 1), stride=(2, 2))),
    ((24, 16, 6, 6), (16, 16, 1, 1), dict(kernel=(1, 1))),
    # 1-D and 3-D, and the taps cut first (LiveWindow), then the pieces.
    ((16, 16, 9), (16, 16, 3), dict(kernel=(3,), pad=(1,))),
    ((16, 16, 4, 4, 4), (16, 16, 3, 3, 3), dict(kernel=(3, 3, 3),
                                                pad=(1, 1, 1))),
    ((64, 16, 1, 1), (16, 16, 3, 3), dict(kernel=(3, 3), pad=(1, 1))),
])
@pytest.mark.parametrize("grad_req", ["write", "add"])
@pytest.mark.parametrize("with_bias", [False, True])
def test_batch_pieces_equal_float64(x_shape, w_shape, kwargs, grad_req,
                                    with_bias):
    # Small feature maps with whole channel blocks run as pieces of the
    # batch side by side, each a oneDNN call on one core, the later pieces'
    # weight gradients summed into the first's (runtime/cpu/Convolution.cpp,
    # batchPieces): forward and both gradients, through transposed views,
    # over gradient buffers full of NaN (write) or a prior (add), against
    # the float64 direct loops.
    rng = np.random.RandomState(13)
    x0, w0 = rng.randn(*x_shape), rng.randn(*w_shape) * 0.1
    prior = rng.randn(*w_shape)
    results = {dtype: run_convolution(
        dtype, x0, w0, kwargs, transpose_x=True, transpose_dy=True,
        x_grad=np.nan, w_grad=prior if grad_req == "add" else np.nan,
        w_grad_req=grad_req, with_bias=with_bias)
        for dtype in ("float64", "float32")}
    assert_all_close(results["float32"], results["float64"], rtol=1e-4,
                     atol=1e-4)


def test_batch_pieces_give_the_same_bits_every_run():
    # The pieces are cut by the shapes alone, never by the cores free:
    # the weight gradient's sums add up in one order on every run.
    assert distinct_runs((32, 64, 8, 8), 64, 0.05, repeats=8) == 1


@pytest.mark.parametrize("x_shape,w_shape,kwargs", [
    # LeNet's second convolution (channels-last kernels, each gradient a
    # call of its own: the filter's also sums the bias's).
    ((4, 20, 12, 12), (50, 20, 5, 5), dict(kernel=(5, 5))),
    # Its first: one input channel, blocked kernels.
    ((4, 1, 28, 28), (20, 1, 5, 5), dict(kernel=(5, 5))),
    ((3, 16, 9, 9), (32, 16, 3, 3), dict(kernel=(3, 3), pad=(1, 1))),
    ((2, 6, 7), (4, 3, 3), dict(kernel=(3,), num_group=2)),
    ((2, 3, 4, 5, 6), (4, 3, 2, 2, 2), dict(kernel=(2, 2, 2))),
])
@pytest.mark.parametrize("x_grad_req,w_grad_req,b_grad_req", [
    ("write", "write", "write"), ("null", "write", "write"),
    ("write", "null", "null"), ("null", "add", "add"),
    ("write", "null", "write"), ("null", "write", "null")])
def test_bias_in_the_library_call_equals_float64(x_shape, w_shape, kwargs,
                                                 x_grad_req, w_grad_req,
                                                 b_grad_req):
    # The bias is the convolution primitive's third operand: oneDNN adds it
    # in the forward and sums its gradient in the filter gradient's call
    # (runtime convolutionFilterGradient; the float64 paths add and sum
    # it in loops). Every combination of the gradients asked for equals
    # the float64 results, over buffers of NaN (write) or a prior (add).
    rng = np.random.RandomState(17)
    x0, w0 = rng.randn(*x_shape), rng.randn(*w_shape) * 0.1
    prior = rng.randn(*w_shape)
    results = {dtype: run_convolution(
        dtype, x0, w0, kwargs, x_grad_req=x_grad_req, w_grad_req=w_grad_req,
        x_grad=None if x_grad_req == "null" else np.nan,
        w_grad=prior if w_grad_req == "add" else None if w_grad_req == "null"
        else np.nan, with_bias=True, b_grad_req=b_grad_req)
        for dtype in ("float64", "float32")}
    assert_all_close(results["float32"], results["float64"], rtol=1e-4,
                     atol=1e-4)
    y, dx, dw, db = results["float64"]
    dy = np.cos(np.arange(y.size)).reshape(y.shape)
    if b_grad_req != "null":
        before = prior.ravel()[:w_shape[0]] if b_grad_req == "add" else 0
        np.testing.assert_allclose(
            db, before + dy.sum(axis=(0,) + tuple(range(2, dy.ndim))),
            rtol=1e-12, atol=1e-12)


def numpy_convolution(x, w, stride, pad, dilate):
    # An independent reference: the sum over filter taps of strided slices
    # of the padded input (groups 1).
    spatial = x.ndim - 2
    padded = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out = [(x.shape[2 + d] + 2 * pad[d] - dilate[d] * (w.shape[2 + d] - 1) -
            1) // stride[d] + 1 for d in range(spatial)]
    y = np.zeros((x.shape[0], w.shape[0]) + tuple(out))
    for taps in itertools.product(*[range(k) for k in w.shape[2:]]):
        window = tuple(slice(taps[d] * dilate[d],
                             taps[d] * dilate[d] + stride[d] * (out[d] - 1) + 1,
                             stride[d]) for d in range(spatial))
        y += np.einsum("nc...,oc->no...", padded[(slice(None),) * 2 + window],
                       w[(slice(None),) * 2 + taps])
    return y


def test_float64_convolutions_against_numpy():
    # float64 runs as im2col products on BLAS (runtime/cpu/Convolution.cpp,
    # DoublePatches): random 1-3-D shapes, strides, dilations and padding
    # against numpy, the gradients through the adjoint identities
    # <dy, conv(e, w)> = <dx, e> and <dy, conv(x, e)> = <dw, e>, with the
    # gradient buffers full of NaN before.
    rng = np.random.default_rng(1)
    for _ in range(40):
        spatial = int(rng.integers(1, 4))
        n, c, o = (int(v) for v in rng.integers(1, 5, size=3))
        kernel = [int(v) for v in rng.integers(1, 4, size=spatial)]
        stride = [int(v) for v in rng.integers(1, 3, size=spatial)]
        dilate = [int(v) for v in rng.integers(1, 3, size=spatial)]
        pad = [int(v) for v in rng.integers(0, 3, size=spatial)]
        size = [int(rng.integers(max(1, dilate[d] * (kernel[d] - 1) + 1 -
                                     2 * pad[d]), 8)) for d in range(spatial)]
        x0 = rng.standard_normal((n, c, *size))
        w0 = rng.standard_normal((o, c, *kernel))
        x, w = nd.array(x0, dtype="float64"), nd.array(w0, dtype="float64")
        x.attach_grad()
        w.attach_grad()
        x.grad[:] = np.nan
        w.grad[:] = np.nan
        with mx.autograd.record():
            y = nd.Convolution(x, w, kernel=tuple(kernel), stride=tuple(stride),
                               dilate=tuple(dilate), pad=tuple(pad),
                               num_filter=o, no_bias=True)
        dy = rng.standard_normal(y.shape)
        y.backward(nd.array(dy, dtype="float64"))
        case = (x0.shape, w0.shape, stride, dilate, pad)
        np.testing.assert_allclose(
            y.asnumpy(), numpy_convolution(x0, w0, stride, pad, dilate),
            rtol=1e-10, atol=1e-10, err_msg=str(case))
        e = rng.standard_normal(x0.shape)
        np.testing.assert_allclose(
            (x.grad.asnumpy() * e).sum(),
            (dy * numpy_convolution(e, w0, stride, pad, dilate)).sum(),
            rtol=1e-9, atol=1e-9, err_msg=str(case))
        e = rng.standard_normal(w0.shape)
        np.testing.assert_allclose(
            (w.grad.asnumpy() * e).sum(),
            (dy * numpy_convolution(x0, e, stride, pad, dilate)).sum(),
            rtol=1e-9, atol=1e-9, err_msg=str(case))


def test_patch_products_give_the_same_bits_every_run():
    # The products of PatchConvolution are split over threads by their
    # shapes alone (dnnlMatmulReproducible): with the split following the
    # cores free at the time, repeated identical steps differed in the last
    # bits of y and dx (a break-it trial's finding).
    assert distinct_runs((32, 512, 1, 1), 512, 0.02, repeats=12) == 1


@pytest.mark.parametrize("shape,kwargs", [
    ((1, 2, 5), dict(kernel=(3,), stride=(2,), pad=(1,), dilate=(2,),
                     num_filter=2)),
    ((2, 4, 4, 3), dict(kernel=(2, 2), stride=(2, 1), pad=(1, 0),
                        num_filter=2, num_group=2)),
    ((1, 2, 3, 3, 3), dict(kernel=(2, 1, 2), pad=(0, 1, 1), num_filter=2)),
])
def test_convolution_numeric_gradient(shape, kwargs):
    w = conv_weight_shape(shape, kwargs)
    numeric(nd.Convolution, [RNG.standard_normal(shape),
                             RNG.standard_normal(w),
                             RNG.standard_normal(kwargs["num_filter"])],
            **kwargs)


def test_convolution_channel_last_numeric_gradient():
    numeric(nd.Convolution, [RNG.standard_normal((1, 4, 3, 2)),
                             RNG.standard_normal((3, 2, 2, 2)),
                             RNG.standard_normal(3)],
            kernel=(2, 2), num_filter=3, layout="NHWC")


@pytest.mark.parametrize("shape,kwargs", [
    ((1, 2, 3), dict(kernel=(3,), stride=(3,), adj=(2,), num_filter=2,
                     no_bias=False)),
    ((1, 4, 2, 3), dict(kernel=(2, 3), stride=(2, 2), pad=(1, 1), adj=(1, 0),
                        num_filter=2, num_group=2, no_bias=False)),
    ((1, 2, 2, 2, 2), dict(kernel=(2, 2, 2), stride=(2, 1, 1), num_filter=1,
                           target_shape=(3, 3, 2), no_bias=False)),
])
def test_deconvolution_numeric_gradient(shape, kwargs):
    w = deconv_weight_shape(shape, kwargs)
    numeric(nd.Deconvolution, [RNG.standard_normal(shape),
                               RNG.standard_normal(w),
                               RNG.standard_normal(kwargs["num_filter"])],
            **kwargs)


def separated(shape):
    """Distinct values at least 0.05 apart: no ties within a step (max) and
    away from 0 (lp's powers)."""
    values = RNG.permutation(np.prod(shape)) * 0.05 + 0.3
    return (values * RNG.choice([-1.0, 1.0], size=values.shape)).reshape(
        shape)


@pytest.mark.parametrize("kwargs", [
    dict(kernel=(3,), stride=(2,), pad=(1,)),
    dict(kernel=(3,), stride=(2,), pad=(1,), pool_type="avg",
         pooling_convention="full"),
    dict(kernel=(2,), stride=(3,), pool_type="avg", count_include_pad=False,
         pad=(1,)),
    dict(kernel=(2,), stride=(2,), pool_type="sum", pad=(1,)),
    dict(kernel=(3,), stride=(1,), pool_type="max",
         pooling_convention="same"),
    dict(kernel=(2,), pool_type="lp", p_value=2),
    dict(kernel=(2,), stride=(2,), pool_type="lp", p_value=3, pad=(1,)),
    dict(global_pool=True, pool_type="avg"),
], ids=str)
def test_pooling_numeric_gradient_1d(kwargs):
    x = separated((1, 2, 7))
    if kwargs.get("pool_type") == "lp":
        x = np.abs(x)  # p = 3: no sum of cubes near 0 under the cube root
    numeric(nd.Pooling, [x], **kwargs)


@pytest.mark.parametrize("kwargs", [
    dict(kernel=(2, 3), stride=(2, 2), pad=(1, 1)),
    dict(kernel=(2, 2), stride=(2, 2), pad=(1, 1), pool_type="avg",
         pooling_convention="full"),
    dict(kernel=(2, 2), pool_type="avg", count_include_pad=False, pad=(1, 0),
         layout="NHWC"),
    dict(kernel=(2, 2, 2), stride=(1, 2, 1), pool_type="max"),
    dict(kernel=(2, 1, 2), pad=(1, 0, 1), pool_type="avg"),
], ids=str)
def test_pooling_numeric_gradient_nd(kwargs):
    shape = (1, 2, 3, 4, 3) if len(kwargs["kernel"]) == 3 else (1, 2, 4, 5)
    numeric(nd.Pooling, [separated(shape)], **kwargs)


# The gradient of a gradient (MXNet 1.9.1 has none: _backward_Convolution
# is non-differentiable; checked below). kiln's convolution primitives are
# each other's gradients, so the first gradient is differentiable again;
# it is checked against finite differences of the first gradient.

@pytest.mark.parametrize("op,shape,kwargs", [
    ("Convolution", (1, 2, 5, 4), dict(kernel=(3, 2), stride=(2, 1),
                                       pad=(1, 1), num_filter=2)),
    ("Convolution", (1, 4, 6), dict(kernel=(3,), dilate=(2,), num_filter=2,
                                    num_group=2)),
    ("Deconvolution", (1, 2, 3, 3), dict(kernel=(2, 2), stride=(2, 2),
                                         adj=(1, 0), num_filter=2)),
], ids=["conv2d", "conv1d_grouped", "deconv2d"])
def test_gradient_of_gradient(op, shape, kwargs):
    """z = sum(R * d/dx sum(tanh(op(x, w)))) depends on x and w through the
    recorded first gradient."""
    function = getattr(nd, op)
    kwargs = dict(kwargs, no_bias=True)
    weight_shape = (conv_weight_shape if op == "Convolution" else
                    deconv_weight_shape)(shape, kwargs)
    x0 = RNG.standard_normal(shape) * 0.5
    w0 = RNG.standard_normal(weight_shape) * 0.5
    r = RNG.standard_normal(shape)

    def z_of(x_values, w_values, create_graph=False):
        x = nd.array(x_values, dtype="float64")
        w = nd.array(w_values, dtype="float64")
        x.attach_grad()
        w.attach_grad()
        with mx.autograd.record():
            y = nd.tanh(function(x, w, **kwargs)).sum()
            (g,) = mx.autograd.grad(y, [x], create_graph=create_graph)
            z = (g * nd.array(r, dtype="float64")).sum()
        return x, w, z

    x, w, z = z_of(x0, w0, create_graph=True)
    z.backward()
    step = 1e-6
    for values, got in ((x0, x.grad), (w0, w.grad)):
        numeric_grad = np.zeros_like(values)
        for index in np.ndindex(values.shape):
            sums = []
            for sign in (1, -1):
                shifted = values.copy()
                shifted[index] += sign * step
                args = (shifted, w0) if values is x0 else (x0, shifted)
                sums.append(z_of(*args)[2].asscalar())
            numeric_grad[index] = (sums[0] - sums[1]) / (2 * step)
        np.testing.assert_allclose(got.asnumpy(), numeric_grad, rtol=1e-5,
                                   atol=1e-7)


@requires_oracle
def test_mxnet_has_no_gradient_of_the_convolution_gradient():
    code = """
x = mx.nd.ones((1, 1, 4)); w = mx.nd.ones((1, 1, 2))
x.attach_grad()
try:
    with mx.autograd.record():
        y = mx.nd.Convolution(x, w, kernel=(2,), num_filter=1, no_bias=True)
        (g,) = mx.autograd.grad(y, [x], create_graph=True)
        z = (g * g).sum()
    z.backward()
    x.grad.asnumpy()
    outputs["refused"] = np.array(False)
except mx.base.MXNetError as error:
    outputs["refused"] = np.array("non-differentiable" in str(error))
"""
    from mxnet_oracle import run_mxnet
    assert run_mxnet(code)["refused"]


# Bad inputs: MXNetError at the call, naming the op, the argument, expected
# and got; MXNet 1.9.1 refuses each of them too (some only when run).

PRELUDE = """
nd = mx.nd
x = nd.ones((1, 2, 5, 5))
w = nd.ones((3, 2, 3, 3))
b = nd.ones((3,))
x1 = nd.ones((1, 2, 5))
dw = nd.ones((2, 3, 3, 3))

def conv(data=x, weight=w, bias=b, **kwargs):
    kwargs.setdefault("kernel", (3, 3))
    kwargs.setdefault("num_filter", 3)
    args = [data, weight] + ([] if bias is None else [bias])
    return nd.Convolution(*args, **kwargs)

def deconv(data=x, weight=dw, **kwargs):
    kwargs.setdefault("kernel", (3, 3))
    kwargs.setdefault("num_filter", 3)
    return nd.Deconvolution(data, weight, **kwargs)
"""
BAD = [
    # Convolution
    ("conv_rank2", "conv(nd.ones((2, 5)), nd.ones((3, 2, 3)), kernel=(3,))",
     r"Convolution: data expected 3 to 5 dimensions .*got shape \(2, 5\)"),
    ("conv_rank6", "conv(nd.ones((1, 1, 2, 2, 2, 2)), nd.ones((3, 1, 1, 1, 1, "
     "1)), kernel=(1, 1, 1, 1))",
     r"Convolution: data expected 3 to 5 dimensions"),
    ("conv_int", 'conv(x.astype("int32"), w.astype("int32"), '
     'b.astype("int32"))',
     "Convolution: data expected float32 or float64, got int32"),
    ("conv_half", 'conv(x.astype("float16"), w.astype("float16"), '
     'b.astype("float16"))',
     "Convolution: data expected float32 or float64, got float16"),
    ("conv_weight_dtype", 'conv(weight=w.astype("float64"))',
     r"Convolution: weight expected dtype float32 \(data's\), got float64"),
    ("conv_bias_dtype", 'conv(bias=b.astype("float64"))',
     r"Convolution: bias expected dtype float32 \(data's\), got float64"),
    ("conv_kernel_length", "conv(kernel=(3,))",
     r"Convolution: kernel expected 2 entries .*, got \(3,\)"),
    ("conv_stride_length", "conv(stride=(1,))",
     r"Convolution: stride expected 2 entries .*, got \(1,\)"),
    ("conv_pad_length", "conv(pad=(1, 1, 1))",
     r"Convolution: pad expected 2 entries .*, got \(1, 1, 1\)"),
    ("conv_dilate_length", "conv(dilate=(1,))",
     r"Convolution: dilate expected 2 entries .*, got \(1,\)"),
    ("conv_stride_zero", "conv(stride=(0, 1))",
     r"Convolution: stride entries expected in \[1, 2147483647\], got \(0, 1\)"),
    ("conv_dilate_zero", "conv(dilate=(0, 1))",
     r"Convolution: dilate entries expected in \[1, 2147483647\], got \(0, 1\)"),
    ("conv_pad_negative", "conv(pad=(-1, 0))",
     r"Convolution: pad entries expected in \[0, 2147483647\], got \(-1, 0\)"),
    ("conv_no_kernel", "nd.Convolution(x, w, b, num_filter=3)", "kernel"),
    ("conv_no_num_filter", "nd.Convolution(x, w, b, kernel=(3, 3))",
     "num_filter"),
    ("conv_num_filter_zero", "conv(num_filter=0)",
     "Convolution: num_filter must be >= 1, got 0"),
    ("conv_group_channels", "conv(nd.ones((1, 3, 5, 5)), nd.ones((4, 1, 3, "
     "3)), nd.ones((4,)), num_filter=4, num_group=2)",
     r"Convolution: num_group 2 must divide the input channels \(3\) and "
     r"num_filter \(4\)"),
    ("conv_group_filters", "conv(nd.ones((1, 4, 5, 5)), nd.ones((3, 2, 3, "
     "3)), num_group=2)",
     r"Convolution: num_group 2 must divide the input channels \(4\) and "
     r"num_filter \(3\)"),
    ("conv_kernel_too_big", "conv(weight=nd.ones((3, 2, 7, 3)), "
     "kernel=(7, 3))",
     r"Convolution: kernel \(7, 3\) \(dilated extent 7\) is larger than the "
     r"padded input extent 5 of spatial dimension 0"),
    ("conv_dilated_too_big", "conv(dilate=(3, 1))",
     r"Convolution: kernel \(3, 3\) \(dilated extent 7\) is larger"),
    ("conv_weight_shape", "conv(weight=nd.ones((3, 2, 3, 2)))",
     r"Convolution: weight expected shape \(3, 2, 3, 3\), got \(3, 2, 3, 2\)"),
    ("conv_weight_groups", "conv(nd.ones((1, 4, 5, 5)), nd.ones((3, 4, 3, "
     "3)), nd.ones((4,)), num_filter=4, num_group=2)",
     r"Convolution: weight expected shape \(4, 2, 3, 3\), got \(3, 4, 3, 3\)"),
    ("conv_bias_shape", "conv(bias=nd.ones((4,)))",
     r"Convolution: bias expected shape \(3,\), got \(4,\)"),
    ("conv_missing_bias", "conv(bias=None)",
     "Convolution: expected 3 inputs .data, weight, bias. with "
     "no_bias=False, got 2"),
    ("conv_extra_bias", "conv(no_bias=True)",
     "Convolution: expected 2 inputs .data, weight. with no_bias=True, got 3"),
    ("conv_layout_nwc", 'conv(x1, nd.ones((3, 3, 2)), kernel=(3,), '
     'layout="NWC")',
     "Convolution: layout expected None, 'NCDHW', 'NCHW', 'NCW', 'NDHWC' "
     "or 'NHWC', got 'NWC'"),
    ("conv_layout_rank", 'conv(layout="NCW")',
     r"Convolution: layout 'NCW' does not fit a 4-D input \(expected NCHW "
     r"or NHWC\)"),
    ("conv_layout_unknown", 'conv(layout="HWCN")',
     "Convolution: layout expected None, .* or 'NHWC', got 'HWCN'"),
    ("conv_cudnn_tune", 'conv(cudnn_tune="bogus")',
     "Convolution: cudnn_tune expected .*got 'bogus'"),
    # Deconvolution
    ("deconv_rank2", "deconv(nd.ones((2, 5)), nd.ones((2, 3, 3)), "
     "kernel=(3,))",
     r"Deconvolution: data expected 3 to 5 dimensions .*got shape \(2, 5\)"),
    ("deconv_int", 'deconv(x.astype("int32"), dw.astype("int32"))',
     "Deconvolution: data expected float32 or float64, got int32"),
    ("deconv_weight_dtype", 'deconv(weight=dw.astype("float64"))',
     r"Deconvolution: weight expected dtype float32 \(data's\), got float64"),
    ("deconv_kernel_length", "deconv(kernel=(3,))",
     r"Deconvolution: kernel expected 2 entries .*, got \(3,\)"),
    ("deconv_stride_length", "deconv(stride=(2, 2, 2))",
     r"Deconvolution: stride expected 2 entries"),
    ("deconv_adj_length", "deconv(stride=(2, 2), adj=(1,))",
     r"Deconvolution: adj expected 2 entries .*, got \(1,\)"),
    ("deconv_adj_stride", "deconv(stride=(2, 2), adj=(2, 0))",
     r"Deconvolution: adj \(2, 0\) must be smaller than stride \(2, 2\)"),
    ("deconv_adj_no_stride", "deconv(adj=(1, 1))",
     r"Deconvolution: adj \(1, 1\) must be smaller than stride \(1, 1\)"),
    ("deconv_target_length", "deconv(stride=(2, 2), target_shape=(10,))",
     r"Deconvolution: target_shape expected 2 entries, got \(10,\)"),
    ("deconv_target_big", "deconv(stride=(2, 2), target_shape=(12, 10))",
     r"Deconvolution: target_shape \(12, 10\) expected entries in \[0, 11\] "
     r"in spatial dimension 0"),
    ("deconv_negative_extent", "deconv(x1, nd.ones((2, 3, 3)), kernel=(3,), "
     "pad=(4,))",
     r"Deconvolution: pad \(4,\) leaves a negative output extent -1"),
    ("deconv_num_filter_zero", "deconv(num_filter=0)",
     "Deconvolution: num_filter must be >= 1, got 0"),
    ("deconv_groups", "deconv(nd.ones((1, 3, 5, 5)), nd.ones((3, 2, 3, 3)), "
     "num_filter=4, num_group=2)",
     r"Deconvolution: num_group 2 must divide the input channels \(3\)"),
    ("deconv_weight_shape", "deconv(weight=nd.ones((3, 2, 3, 3)))",
     r"Deconvolution: weight expected shape \(2, 3, 3, 3\), got "
     r"\(3, 2, 3, 3\)"),
    ("deconv_bias_shape", "nd.Deconvolution(x, dw, nd.ones((2,)), "
     "kernel=(3, 3), num_filter=3, no_bias=False)",
     r"Deconvolution: bias expected shape \(3,\), got \(2,\)"),
    ("deconv_missing_bias", "deconv(no_bias=False)",
     "Deconvolution: expected 3 inputs"),
    ("deconv_layout_nwc", 'deconv(x1, nd.ones((2, 3, 3)), kernel=(3,), '
     'layout="NWC")',
     "Deconvolution: layout expected None, .* got 'NWC'"),
    # Pooling
    ("pool_rank2", "nd.Pooling(nd.ones((2, 5)), kernel=(3,))",
     r"Pooling: data expected 3 to 5 dimensions .*got shape \(2, 5\)"),
    ("pool_int", 'nd.Pooling(x.astype("int32"), kernel=(2, 2))',
     "Pooling: data expected float32, float64 or float16, got int32"),
    ("pool_uint8", 'nd.Pooling(x.astype("uint8"), kernel=(2, 2))',
     "Pooling: data expected float32, float64 or float16, got uint8"),
    ("pool_no_kernel", "nd.Pooling(x)",
     r"Pooling: kernel expected 2 entries .*, got \(\)"),
    ("pool_kernel_length", "nd.Pooling(x, kernel=(2,))",
     r"Pooling: kernel expected 2 entries .*, got \(2,\)"),
    ("pool_kernel_zero", "nd.Pooling(x, kernel=(0, 2))",
     r"Pooling: kernel entries expected in \[1, 2147483647\], got \(0, 2\)"),
    ("pool_stride_length", "nd.Pooling(x, kernel=(2, 2), stride=(1,))",
     r"Pooling: stride expected 2 entries .*, got \(1,\)"),
    ("pool_pad_length", "nd.Pooling(x, kernel=(2, 2), pad=(1,))",
     r"Pooling: pad expected 2 entries .*, got \(1,\)"),
    ("pool_stride_zero", "nd.Pooling(x, kernel=(2, 2), stride=(0, 1))",
     r"Pooling: stride entries expected in \[1, 2147483647\], got \(0, 1\)"),
    ("pool_pad_negative", "nd.Pooling(x, kernel=(2, 2), pad=(-1, 0))",
     r"Pooling: pad entries expected in \[0, 2147483647\], got \(-1, 0\)"),
    ("pool_global_stride", "nd.Pooling(x, kernel=(2, 2), global_pool=True, "
     "stride=(1,))",
     r"Pooling: stride expected 2 entries"),
    ("pool_global_kernel", "nd.Pooling(x, kernel=(2,), global_pool=True)",
     r"Pooling: kernel expected 2 entries"),
    ("pool_kernel_too_big", "nd.Pooling(x, kernel=(7, 3))",
     r"Pooling: kernel \(7, 3\) is larger than the padded input extent 5 of "
     r"spatial dimension 0"),
    ("pool_type", 'nd.Pooling(x, kernel=(2, 2), pool_type="median")',
     "Pooling: pool_type expected 'max', 'avg', 'sum' or 'lp', got 'median'"),
    ("pool_convention", 'nd.Pooling(x, kernel=(2, 2), '
     'pooling_convention="floor")',
     "Pooling: pooling_convention expected 'valid', 'full' or 'same', got "
     "'floor'"),
    ("pool_lp_no_p", 'nd.Pooling(x, kernel=(2, 2), pool_type="lp")',
     "Pooling: p_value is required for lp pooling"),
    ("pool_lp_p4", 'nd.Pooling(x, kernel=(2, 2), pool_type="lp", p_value=4)',
     "Pooling: p_value expected 1, 2 or 3, got 4"),
    ("pool_lp_p0", 'nd.Pooling(x, kernel=(2, 2), pool_type="lp", p_value=0)',
     "Pooling: p_value expected 1, 2 or 3, got 0"),
    ("pool_same_2d", 'nd.Pooling(x, kernel=(2, 2), '
     'pooling_convention="same")',
     r"Pooling: pooling_convention 'same' expects a 3-D input .*got shape "
     r"\(1, 2, 5, 5\)"),
    ("pool_same_pad", 'nd.Pooling(x1, kernel=(2,), pad=(1,), '
     'pooling_convention="same")',
     r"Pooling: pooling_convention 'same' takes no pad, got \(1,\)"),
    ("pool_layout_rank", 'nd.Pooling(x, kernel=(2, 2), layout="NCDHW")',
     "Pooling: layout 'NCDHW' does not fit a 4-D input"),
    ("pool_layout_unknown", 'nd.Pooling(x, kernel=(2, 2), layout="CHWN")',
     "Pooling: layout expected None, 'NCDHW', 'NCHW', 'NCW', 'NDHWC', "
     "'NHWC' or 'NWC', got 'CHWN'"),
]
KILN_ONLY = [
    # MXNet 1.9.1's process dies (a division by zero) on num_group=0.
    ("conv_group_zero", "conv(num_group=0)",
     "Convolution: num_group must be >= 1, got 0"),
]


test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, PRELUDE, BAD, KILN_ONLY, MXNetError)


def test_huge_window_attributes_are_refused_not_wrapped():
    # dilate * (kernel - 1) used to wrap around int64 and return a result.
    data = mx.nd.ones((1, 1, 8, 8))
    with pytest.raises(MXNetError, match=r"Convolution: dilate entries "
                       r"expected in \[1, 2147483647\]"):
        mx.nd.Convolution(data, mx.nd.ones((1, 1, 3, 3)), kernel=(3, 3),
                          num_filter=1, no_bias=True, dilate=(2**62, 1))
    with pytest.raises(MXNetError, match=r"Pooling: kernel entries"):
        mx.nd.Pooling(data, kernel=(2**40, 1), pad=(2**39, 0))


def test_out_of_another_dtype_is_refused():
    data = mx.nd.ones((1, 1, 4, 4))
    out = mx.nd.zeros((1, 1, 2, 2), dtype="int32")
    with pytest.raises(MXNetError, match=r"Pooling: out has dtype int32, "
                       r"expected float32"):
        mx.nd.Pooling(data, kernel=(2, 2), stride=(2, 2), out=out)


def test_malformed_and_overflowing_integer_attributes_are_refused():
    data = mx.nd.ones((1, 1, 4, 4))
    with pytest.raises(MXNetError, match="kernel"):
        mx.nd.Pooling(data, kernel="(,2,2)")
    with pytest.raises(MXNetError, match="num_filter"):
        mx.nd.Convolution(data, mx.nd.ones((1, 1, 2, 2)), kernel=(2, 2),
                          num_filter=2**64 + 4, no_bias=True)
