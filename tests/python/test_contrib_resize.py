"""contrib.BilinearResize2D and contrib.AdaptiveAvgPooling2D
(frontends/cpp/ops/ResizeOps.cpp, runtime/cpu/AdaptivePool.cpp).

Values and gradients are compared live against MXNet 1.9.1 (the oracle venv,
tests/python/mxnet_oracle.py): each oracle test runs one snippet under both
frameworks, over every resize mode, both align_corners settings, up- and
downsampling, uneven and overlapping pooling windows, float16/32/64.
Numeric gradient checks run in float64; bad inputs raise MXNetError at the
call, naming the op, the argument, expected and got, and MXNet refuses the
same inputs.

Where kiln deliberately differs from MXNet 1.9.1 (each checked below):
  * BilinearResize2D refuses output extents past 32767 (MXNet keeps them in
    int16 and wraps: 65537 becomes 1);
  * integer data is refused at the call (MXNet fails when it runs);
  * AdaptiveAvgPooling2D refuses an empty image pooled to a non-empty
    output (MXNet divides 0 by 0).
"""
import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient
from mxnet_oracle import (SNIPPET_HELPERS, bad_input_tests, compare_outputs,
                          requires_oracle, run_both)

nd = mx.nd
RNG = np.random.default_rng(2024)


def half_loosely(expected):
    """float16's tolerances (MXNet rounds each step to half)."""
    return {key: (1e-2, 1e-2) for key in expected if "float16" in key}


# BilinearResize2D.

@requires_oracle
def test_bilinear_resize_sizes_match_mxnet():
    arrays = dict(x=RNG.standard_normal((2, 3, 5, 7)),
                  tall=RNG.standard_normal((1, 2, 17, 4)))
    code = SNIPPET_HELPERS + """
B = mx.nd.contrib.BilinearResize2D
for dtype in ("float32", "float64", "float16"):
    x, tall = (inputs[k].astype(dtype) for k in ("x", "tall"))
    for align in (True, False):
        for size in ((4, 9), (8, 3), (1, 1), (1, 6), (5, 7), (10, 14),
                     (5, 3), (2, 7)):
            record("size/%s/%s/%d,%d" % (dtype, align, size[0], size[1]),
                   lambda a: B(a, height=size[0], width=size[1],
                               align_corners=align), [x])
        record("down/%s/%s" % (dtype, align),
               lambda a: B(a, height=3, width=2, align_corners=align), [tall])
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected,
                    tolerances=half_loosely(expected))


@requires_oracle
def test_bilinear_resize_modes_match_mxnet():
    arrays = dict(odd=RNG.standard_normal((2, 2, 5, 7)),
                  even=RNG.standard_normal((1, 3, 6, 4)),
                  target=RNG.standard_normal((2, 2, 8, 3)))
    code = SNIPPET_HELPERS + """
B = mx.nd.contrib.BilinearResize2D
for dtype in ("float32", "float64"):
    odd, even, like = (inputs[k].astype(dtype)
                       for k in ("odd", "even", "target"))
    for name, x in (("odd", odd), ("even", even)):
        for mode in ("to_even_down", "to_even_up", "to_odd_down",
                     "to_odd_up"):
            for align in (True, False):
                record("%s/%s/%s/%s" % (mode, name, dtype, align),
                       lambda a: B(a, mode=mode, align_corners=align), [x])
        for scales in ((2.0, 3.0), (0.5, 0.5), (1.5, 0.7)):
            record("odd_scale/%s/%s/%s" % (name, dtype, scales),
                   lambda a: B(a, mode="odd_scale", scale_height=scales[0],
                               scale_width=scales[1]), [x])
            record("scale/%s/%s/%s" % (name, dtype, scales),
                   lambda a: B(a, scale_height=scales[0],
                               scale_width=scales[1], align_corners=False),
                   [x])
    # like's gradient is zeros (MXNet zeroes data's batch count of like's
    # images: like of a smaller batch corrupts its heap).
    record("like/" + dtype, lambda a, b: B(a, b, mode="like"), [odd, like])
    # Without scale_height, MXNet takes width, not scale_width.
    record("scale_width_alone/" + dtype,
           lambda a: B(a, scale_width=3.0, height=3, width=4), [odd])
    record("empty/" + dtype,
           lambda a: B(a, scale_height=0.1, scale_width=0.1), [odd], wrt=[])
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected)


def test_bilinear_resize_is_interpolation():
    # align_corners: corners map to corners; a linear ramp stays linear.
    ramp = np.add.outer(np.arange(4.0), 10 * np.arange(5.0))[None, None]
    out = nd.contrib.BilinearResize2D(nd.array(ramp, dtype="float64"),
                                      height=7, width=9).asnumpy()[0, 0]
    np.testing.assert_allclose(
        out, np.add.outer(np.linspace(0, 3, 7), 10 * np.linspace(0, 4, 9)),
        rtol=1e-6, atol=1e-6)


def test_bilinear_resize_keeps_nan_local():
    # Each output reads its four neighbours only (a dense interpolation
    # matrix would spread the NaN over whole rows).
    x = np.zeros((1, 1, 6, 6))
    x[0, 0, 0, 0] = np.nan
    out = nd.contrib.BilinearResize2D(nd.array(x), height=12,
                                      width=12).asnumpy()[0, 0]
    assert np.isnan(out[0, 0]) and not np.isnan(out[6:, 6:]).any()


# AdaptiveAvgPooling2D.

@requires_oracle
def test_adaptive_avg_pooling_matches_mxnet():
    arrays = dict(x=RNG.standard_normal((2, 3, 5, 7)),
                  even=RNG.standard_normal((1, 2, 12, 8)),
                  one=RNG.standard_normal((1, 1, 1, 1)))
    code = SNIPPET_HELPERS + """
A = mx.nd.contrib.AdaptiveAvgPooling2D
for dtype in ("float32", "float64", "float16"):
    x, even, one = (inputs[k].astype(dtype) for k in ("x", "even", "one"))
    record("default/" + dtype, lambda a: A(a), [x])
    for size in (1, 3, (2, 4), (4, 2), (5, 7), (7, 9), (11, 2), (2, 4, 5)):
        record("x/%s/%s" % (dtype, size), lambda a: A(a, output_size=size),
               [x])
    for size in ((3, 4), (4, 2), (6, 8), (12, 8), (5, 3), (1, 8)):
        record("even/%s/%s" % (dtype, size), lambda a: A(a, output_size=size),
               [even])
    record("one/" + dtype, lambda a: A(a, output_size=(2, 3)), [one])
    record("zero/" + dtype, lambda a: A(a, output_size=0), [x], wrt=[])
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected,
                    tolerances=half_loosely(expected))


def test_adaptive_avg_pooling_global_is_the_mean():
    x = RNG.standard_normal((3, 4, 9, 11))
    out = nd.contrib.AdaptiveAvgPooling2D(nd.array(x, dtype="float64"))
    np.testing.assert_allclose(out.asnumpy(), x.mean((2, 3), keepdims=True),
                               rtol=1e-12)


def test_adaptive_avg_pooling_keeps_infinity_in_its_window():
    # Padding slots read an appended zero, never inf * 0.
    x = np.ones((1, 1, 5, 7))
    x[0, 0, 0, 0] = np.inf
    out = nd.contrib.AdaptiveAvgPooling2D(nd.array(x),
                                          output_size=(2, 3)).asnumpy()[0, 0]
    assert out[0, 0] == np.inf
    np.testing.assert_allclose(out.ravel()[1:], 1)


# Numeric gradients (float64, finite differences).

def numeric(op, x, **kwargs):
    check_numeric_gradient(lambda a: op(a, **kwargs),
                           [np.asarray(x, dtype=np.float64)],
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-8,
                           dtype=np.float64)


@pytest.mark.parametrize("kwargs", [
    dict(height=7, width=3), dict(height=2, width=9, align_corners=False),
    dict(mode="to_odd_up"), dict(mode="odd_scale", scale_height=0.5,
                                 scale_width=2.0)])
def test_bilinear_resize_numeric_gradient(kwargs):
    numeric(nd.contrib.BilinearResize2D, RNG.standard_normal((2, 2, 4, 5)),
            **kwargs)


@pytest.mark.parametrize("size", [(2, 3), (4, 5), (6, 7), 1, (3, 1)])
def test_adaptive_avg_pooling_numeric_gradient(size):
    numeric(nd.contrib.AdaptiveAvgPooling2D, RNG.standard_normal((2, 2, 4, 5)),
            output_size=size)


def test_second_order_gradients():
    # Both ops are linear in data: the gradient of (x . grad_x(sum(f(x)^2)))
    # is twice the gradient of sum(f(x)^2).
    for op, kwargs in ((nd.contrib.BilinearResize2D, dict(height=5, width=6)),
                       (nd.contrib.AdaptiveAvgPooling2D,
                        dict(output_size=(2, 3)))):
        x = nd.array(RNG.standard_normal((1, 2, 4, 4)), dtype="float64")
        x.attach_grad()
        with mx.autograd.record():
            y = op(x, **kwargs)
            (g,) = mx.autograd.grad((y * y).sum(), [x], create_graph=True)
            z = (g * x).sum()
        z.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), 2 * g.asnumpy(),
                                   rtol=1e-10)


# Bad inputs.

PRELUDE = """
nd = mx.nd
B = nd.contrib.BilinearResize2D
A = nd.contrib.AdaptiveAvgPooling2D
x = nd.ones((2, 3, 5, 7))
"""
BAD = [
    ("br_rank", "B(nd.ones((3, 5, 7)), height=2, width=2)",
     r"_contrib_BilinearResize2D: data expected 4 dimensions \(N, C, H, W\), "
     r"got shape \(3, 5, 7\)"),
    ("br_int", "B(x.astype('int32'), height=2, width=2)",
     r"_contrib_BilinearResize2D: data expected dtype float16, float32 or "
     r"float64, got int32"),
    ("br_like_missing", "B(x, mode='like')",
     r"_contrib_BilinearResize2D: expected 2 input arrays \(data, like\) "
     r"with mode 'like', got 1"),
    ("br_like_extra", "B(x, nd.ones((1, 1, 2, 2)))",
     r"_contrib_BilinearResize2D: expected 1 input array \(data\) with mode "
     r"'size', got 2"),
    ("br_like_rank", "B(x, nd.ones((1, 8, 2)), mode='like')",
     r"_contrib_BilinearResize2D: like expected 4 dimensions \(N, C, H, W\), "
     r"got shape \(1, 8, 2\)"),
    ("br_scale_width_missing", "B(x, scale_height=2.0)",
     r"_contrib_BilinearResize2D: scale_width expected a value when "
     r"scale_height is given, got None"),
    ("br_odd_scale_missing", "B(x, mode='odd_scale', scale_width=2.0)",
     r"_contrib_BilinearResize2D: scale_height expected a value with mode "
     r"'odd_scale', got None"),
    ("br_height_zero", "B(x, height=0, width=3)",
     r"_contrib_BilinearResize2D: height expected >= 1, got 0"),
    ("br_width_zero", "B(x, height=3, width=0)",
     r"_contrib_BilinearResize2D: width expected >= 1, got 0"),
    ("br_height_wraps_negative", "B(x, height=40000, width=3)",
     r"_contrib_BilinearResize2D: output height expected in \[0, 32767\] "
     r"\(MXNet keeps it in int16\), got 40000"),
    ("br_negative_scale", "B(x, scale_height=-1.0, scale_width=1.0)",
     r"_contrib_BilinearResize2D: output height expected in \[0, 32767\] "
     r".*got -5"),
    ("br_mode", "B(x, mode='scale')",
     r"_contrib_BilinearResize2D: mode expected 'size', 'odd_scale', 'like', "
     r"'to_even_down', 'to_even_up', 'to_odd_down' or 'to_odd_up', got "
     r"'scale'"),
    ("ap_rank", "A(nd.ones((3, 5, 7)), output_size=2)",
     r"_contrib_AdaptiveAvgPooling2D: data expected 4 dimensions "
     r"\(N, C, H, W\), got shape \(3, 5, 7\)"),
    ("ap_negative", "A(x, output_size=(-1, 2))",
     r"_contrib_AdaptiveAvgPooling2D: output_size expected non-negative "
     r"extents, got \(-1, 2\)"),
    ("ap_int", "A(x.astype('int32'), output_size=2)",
     r"_contrib_AdaptiveAvgPooling2D: data expected dtype float16, float32 "
     r"or float64, got int32"),
]
KILN_ONLY = [
    # MXNet wraps these in int16 (65537 becomes 1).
    ("br_height_wraps_positive", "B(x, height=65537, width=3)",
     r"_contrib_BilinearResize2D: output height expected in \[0, 32767\] "
     r".*got 65537"),
    ("ap_huge", "A(x, output_size=(2**40, 2**40))",
     r"_contrib_AdaptiveAvgPooling2D: output_size"),
    ("ap_empty_image", "A(nd.empty((1, 1, 0, 3)), output_size=2)",
     r"_contrib_AdaptiveAvgPooling2D: data expected a non-empty image to "
     r"pool to \(1, 1, 2, 2\), got shape \(1, 1, 0, 3\)"),
]

test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, PRELUDE, BAD, KILN_ONLY, MXNetError)
