"""mx.nd.image.resize with interp 2 (bicubic), 3 (area) and 4 (Lanczos4),
compared with MXNet 1.9.1 live (its resize is OpenCV 3.4's cv::resize) and
with the numpy model of it in tools/compat/opencv_resize_model.py.

uint8 and float32 results must equal MXNet's bit for bit (the same tap
tables, the same order of additions, OpenCV's SIMD orders included),
float64 up to the C library's sin and cos.
"""
import os
import sys

import numpy as np
import pytest

import kiln as mx
from mxnet_oracle import requires_oracle, run_mxnet

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tools", "compat"))
import opencv_resize_model as model  # noqa: E402

# (input shape, size, keep_ratio): shrinking (integer and not), growing and
# mixed, HWC and NHWC, 1 and 3 channels, widths whose rows are and are not
# a multiple of 8 values (OpenCV's SSE2 cubic pass on uint8).
CASES = [
    ((8, 8, 3), (4, 4), False),      # area 2x2 blocks
    ((9, 12, 3), (4, 3), False),     # area 3x3 blocks
    ((12, 8, 1), (4, 4), False),     # area 2x3 blocks
    ((8, 18, 1), (9, 4), False),     # 2x2, 1 channel: 8 SIMD values + 1
    ((6, 16, 4), (8, 3), False),     # 2x2, 4 channels
    ((16, 20, 1), (5, 4), False),    # 4x4 blocks
    ((13, 17, 3), (5, 6), False),    # non-integer shrink
    ((5, 7, 3), (11, 9), False),     # growing
    ((9, 6, 3), (10, 4), False),     # wider, shorter
    ((6, 10, 1), (3, 13), False),    # narrower, taller
    ((7, 23, 3), (31, 3), False),
    ((4, 4, 3), (4, 4), False),      # same size
    ((3, 2, 3), (1, 1), False),
    ((1, 5, 3), (7, 2), False),
    ((2, 6, 9, 3), (5, 4), False),   # NHWC
    ((2, 10, 7, 1), (3, 3), False),
    ((10, 6, 3), (4,), False),
    ((10, 6, 3), (4,), True),        # short edge 4, long one kept in ratio
    ((6, 15, 3), (9,), True),
]
INTERPS = (2, 3, 4)
# 0 and 1 too: bilinear halving is OpenCV's area average.
ALL_INTERPS = (0, 1, 2, 3, 4)


def _inputs(dtype):
    rng = np.random.default_rng(7)
    arrays = {}
    for i, (shape, _, _) in enumerate(CASES):
        if dtype == "uint8":
            # Some hard edges (0 next to 255) so that cubic and Lanczos
            # overshoot and saturate.
            x = rng.integers(0, 256, shape).astype(np.uint8)
            x[..., ::3, :] = 255
            x[..., 1::4, :] = 0
        else:
            x = rng.uniform(-100, 300, shape).astype(dtype)
        arrays["x%d" % i] = x
    return arrays


def _kiln(arrays, dtype, interps=INTERPS):
    results = {}
    for i, (_, size, keep) in enumerate(CASES):
        for interp in interps:
            x = mx.nd.array(arrays["x%d" % i], dtype=dtype)
            results["y%d_%d" % (i, interp)] = mx.nd.image.resize(
                x, size=size, keep_ratio=keep, interp=interp).asnumpy()
    return results


def _mxnet(arrays, dtype):
    return run_mxnet("""
    for i, (shape, size, keep) in enumerate(%r):
        for interp in %r:
            x = mx.nd.array(inputs["x%%d" %% i], dtype=%r)
            outputs["y%%d_%%d" %% (i, interp)] = mx.nd.image.resize(
                x, size=size, keep_ratio=keep, interp=interp).asnumpy()
    """ % (CASES, ALL_INTERPS, dtype), **arrays)


@requires_oracle
@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
def test_resize_modes_match_mxnet(dtype):
    arrays = _inputs(dtype)
    got, want = _kiln(arrays, dtype, ALL_INTERPS), _mxnet(arrays, dtype)
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        assert got[key].dtype == want[key].dtype, key
        assert got[key].shape == want[key].shape, key
        if dtype == "float64":
            # Lanczos4's weights come from sin and cos, which may differ in
            # the last bit between C libraries.
            np.testing.assert_allclose(got[key], want[key], rtol=1e-12,
                                       atol=1e-12, err_msg=key)
        else:
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_resize_modes_equal_the_opencv_model(dtype):
    arrays = _inputs(dtype)
    got = _kiln(arrays, dtype)
    compared = 0
    for i, (shape, size, keep) in enumerate(CASES):
        if len(shape) != 3 or keep or len(size) != 2:
            continue
        for interp in INTERPS:
            want = model.resize(arrays["x%d" % i], size[0], size[1], interp)
            message = str((shape, size, interp))
            if dtype == "uint8":
                np.testing.assert_array_equal(got["y%d_%d" % (i, interp)],
                                              want, err_msg=message)
            else:
                # The model adds area blocks in numpy's order and Lanczos4's
                # x + 3 in double; OpenCV (and kiln) differ in the last bit.
                np.testing.assert_allclose(got["y%d_%d" % (i, interp)], want,
                                           rtol=1e-6, atol=1e-3,
                                           err_msg=message)
            compared += 1
    assert compared == 42


def test_resize_modes_batch_is_per_image():
    x = np.random.default_rng(3).uniform(0, 255, (3, 7, 5, 3))
    x = x.astype(np.float32)
    for interp in INTERPS:
        batch = mx.nd.image.resize(mx.nd.array(x), size=(4, 9),
                                   interp=interp).asnumpy()
        for n in range(3):
            one = mx.nd.image.resize(mx.nd.array(x[n]), size=(4, 9),
                                     interp=interp).asnumpy()
            np.testing.assert_array_equal(batch[n], one)


@pytest.mark.parametrize("interp", INTERPS)
def test_resize_modes_gradient_is_numeric(interp):
    # kiln's resize is gathers and multiply-adds, affine in x: a wide step
    # is exact, and the gradient is the transposed interpolation.
    from kiln.test_utils import check_numeric_gradient
    x = np.random.default_rng(interp).uniform(10, 200, (5, 7, 2))
    for size in [(4, 3), (9, 6), (3, 8), (7, 5)]:
        check_numeric_gradient(
            lambda a, size=size: mx.nd.image.resize(a, size=size,
                                                    interp=interp),
            [x], numeric_eps=1.0, rtol=1e-3, atol=1e-3, dtype=np.float64)


@requires_oracle
def test_resize_bad_interp():
    # MXNet passes interp to OpenCV, which refuses values other than 0-5
    # (5 is INTER_LINEAR_EXACT, which kiln also refuses).
    got = run_mxnet("""
    x = mx.nd.ones((4, 4, 3))
    for interp in (-1, 6, 7):
        try:
            mx.nd.image.resize(x, size=(2, 2), interp=interp).asnumpy()
            outputs["e%d" % (interp + 1)] = np.array("")
        except mx.base.MXNetError as error:
            outputs["e%d" % (interp + 1)] = np.array(str(error))
    """)
    for interp in (-1, 6, 7):
        assert "Unknown interpolation method" in str(got["e%d" % (interp + 1)])
        with pytest.raises(mx.base.MXNetError,
                           match=r"_image_resize: interp expected 0 "
                           r"\(nearest\), 1 \(bilinear\), 2 \(bicubic\), 3 "
                           r"\(area\) or 4 \(Lanczos4\), got %d" % interp):
            mx.nd.image.resize(mx.nd.ones((4, 4, 3)), size=(2, 2),
                               interp=interp)
