"""Max pooling's backward on 2-D windows (runtime/cpu/Pooling.cpp's direct
loops): the gradient of each window goes to its first largest element. Also
the forward's own 2x2 stride-2 path (AVX-512), against the rule oneDNN's
forward follows.

The 2x2 stride-2 tiling (the common CNN case) has a branch-free path of its
own (sixteen windows at a time on AVX-512, eight on AVX2, one in scalar
code; test_every_vector_path runs the 2x2 tests again under each narrower
ISA the CPU allows, in a child process with ONEDNN_MAX_CPU_ISA); other windows (overlapping, padded, partial tilings) take the general
path. Both are checked against a numpy statement of the rule, with ties,
NaN and infinities, for float32 and float64, in NCHW and through NHWC
(strided) views.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import kiln as mx
from kiln import autograd

from mxnet_oracle import requires_oracle, run_both


def reference_backward(x, grad, kernel, stride, pad):
    """The rule (MXNet 1.9.1's): per window (clipped to the input), the
    first largest element in row-major order takes the output gradient, by
    a running maximum that moves on a strictly larger value, so NaN never
    wins. float32 (MXNet's oneDNN path) starts it at the lowest finite
    value on the window's first position, padding included: a window of
    nothing above that (-inf, NaN, -FLT_MAX) gives the gradient to its
    first position, or to nobody when that is padding. float64 (MXNet's
    unpool_max) starts at -inf on nobody: a window of -inf and NaN gives
    nobody the gradient."""
    n, c, h, w = x.shape
    oh, ow = grad.shape[2:]
    result = np.zeros_like(x)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    top, left = i * stride[0] - pad[0], j * stride[1] - pad[1]
                    ys = range(max(top, 0), min(top + kernel[0], h))
                    xs = range(max(left, 0), min(left + kernel[1], w))
                    cells = [(y, z) for y in ys for z in xs]
                    if not cells:
                        continue
                    if x.dtype == np.float32:
                        best = cells[0] if cells[0] == (top, left) else None
                        value = np.finfo(np.float32).min
                    else:
                        best, value = None, -np.inf
                    for cell in cells:
                        if x[b, ch][cell] > value:  # never NaN
                            best, value = cell, x[b, ch][cell]
                    if best is not None:
                        result[b, ch][best] += grad[b, ch, i, j]
    return result


def pooled_gradient(x, grad, layout="NCHW", **kwargs):
    data = mx.nd.array(x, dtype=x.dtype)
    if layout == "NHWC":
        data = mx.nd.array(x.transpose(0, 2, 3, 1), dtype=x.dtype)
    data.attach_grad()
    with autograd.record():
        out = mx.nd.Pooling(data, pool_type="max", layout=layout, **kwargs)
    head = grad if layout == "NCHW" else grad.transpose(0, 2, 3, 1)
    out.backward(mx.nd.array(head, dtype=x.dtype))
    result = data.grad.asnumpy()
    return result if layout == "NCHW" else result.transpose(0, 3, 1, 2)


def tied_input(shape, dtype, rng):
    # Few distinct values: most windows hold ties.
    x = rng.integers(0, 3, size=shape).astype(dtype)
    x.flat[::7] = np.nan
    x.flat[3::11] = np.inf
    x.flat[5::13] = -np.inf
    return x


CASES = [
    ((2, 3, 8, 6), dict(kernel=(2, 2), stride=(2, 2))),            # tiling
    # Rows of 35 windows: two whole vectors of 16 and a tail on AVX-512.
    ((1, 2, 4, 70), dict(kernel=(2, 2), stride=(2, 2))),
    # On AVX2 (eight windows a vector): tails of 7 and 4 windows (LeNet's
    # 24x24 and 8x8 maps), and a row of exactly one vector.
    ((2, 3, 4, 30), dict(kernel=(2, 2), stride=(2, 2))),
    ((2, 2, 4, 24), dict(kernel=(2, 2), stride=(2, 2))),
    ((2, 2, 8, 8), dict(kernel=(2, 2), stride=(2, 2))),
    ((1, 2, 2, 16), dict(kernel=(2, 2), stride=(2, 2))),
    ((2, 3, 7, 9), dict(kernel=(2, 2), stride=(2, 2))),            # partial
    ((1, 2, 9, 8), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),
    ((1, 2, 6, 7), dict(kernel=(3, 2), stride=(1, 1))),            # overlap
    ((1, 2, 6, 6), dict(kernel=(3, 3), stride=(3, 3))),            # tiling 3x3
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kwargs", CASES)
def test_gradient_goes_to_the_first_largest(shape, kwargs, dtype):
    rng = np.random.default_rng(len(shape) + shape[-1])
    x = tied_input(shape, dtype, rng)
    stride = kwargs["stride"]
    pad = kwargs.get("pad", (0, 0))
    out_shape = mx.nd.Pooling(mx.nd.array(x, dtype=dtype), pool_type="max",
                              **kwargs).shape
    grad = rng.standard_normal(out_shape).astype(dtype)
    expected = reference_backward(x, grad, kwargs["kernel"], stride, pad)
    got = pooled_gradient(x, grad, **kwargs)
    np.testing.assert_array_equal(got, expected)


def test_channel_last_views_take_the_strided_path():
    rng = np.random.default_rng(5)
    x = tied_input((2, 4, 6, 8), np.float32, rng)
    grad = rng.standard_normal((2, 4, 3, 4)).astype(np.float32)
    expected = reference_backward(x, grad, (2, 2), (2, 2), (0, 0))
    got = pooled_gradient(x, grad, layout="NHWC", kernel=(2, 2),
                          stride=(2, 2))
    np.testing.assert_array_equal(got, expected)


def test_special_gradients_pass_unchanged():
    # The winner's gradient is copied bit for bit: -0.0, inf, NaN.
    x = np.array([[[[1, 5], [2, 3]]]], dtype=np.float32)
    for value in (-0.0, np.inf, -np.inf, np.nan):
        grad = np.full((1, 1, 1, 1), value, dtype=np.float32)
        got = pooled_gradient(x, grad, kernel=(2, 2), stride=(2, 2))
        expected = np.zeros_like(x)
        expected[0, 0, 0, 1] = value
        np.testing.assert_array_equal(got, expected)
        assert np.signbit(got[0, 0, 0, 1]) == np.signbit(value)
        assert not np.signbit(got[0, 0, 0, 0])


def test_nan_never_takes_the_gradient_from_a_number():
    # MXNet 1.9.1: the forward gives 3 and the gradient goes to the 3.
    x = np.array([np.nan, 1, 2, 3], dtype=np.float32).reshape(1, 1, 2, 2)
    grad = np.ones((1, 1, 1, 1), dtype=np.float32)
    got = pooled_gradient(x, grad, kernel=(2, 2), stride=(2, 2))
    assert got.ravel().tolist() == [0, 0, 0, 1]
    # Overlapping windows, and a window of NaN only (its first element).
    x = np.array([[1, np.nan, 3], [2, 5, 4]], dtype=np.float32)[None, None]
    got = pooled_gradient(x, np.ones((1, 1, 1, 2), np.float32),
                          kernel=(2, 2), stride=(1, 1))
    assert got.ravel().tolist() == [0, 0, 0, 0, 2, 0]
    x = np.full((1, 1, 2, 2), np.nan, dtype=np.float32)
    got = pooled_gradient(x, np.ones((1, 1, 1, 1), np.float32),
                          kernel=(2, 2), stride=(2, 2))
    assert got.ravel().tolist() == [1, 0, 0, 0]


@requires_oracle
def test_windows_of_nothing_above_the_lowest_value_match_mxnet():
    # Windows whose largest value is -FLT_MAX or less (-inf, NaN): MXNet's
    # float32 (oneDNN) and float64 (its own loops) rules differ, and padding
    # matters (tiled 2x2 row kernels, the tiled loop, the general one).
    lowest = np.finfo(np.float32).min
    windows = [[-np.inf, lowest, -np.inf, -np.inf], [-np.inf] * 4,
               [np.nan, -np.inf, lowest, np.nan], [lowest, -np.inf, 1, 2],
               [np.nan] * 4, [np.nan, 1.0, 2.0, 0.5], [3.0, 3.0, 1.0, 3.0]]
    # One row of seven 2x2 windows (the row kernels, a vector tail on AVX2).
    row = np.array(windows, np.float64).reshape(7, 2, 2)
    row = row.transpose(1, 0, 2).reshape(1, 1, 2, 14)
    cases = [(row, dict(kernel=(2, 2), stride=(2, 2))),
             (np.repeat(np.repeat(row, 3, axis=2), 1, axis=3)[:, :, :6, :12],
              dict(kernel=(3, 3), stride=(3, 3))),
             (np.full((1, 2, 2, 3), -np.inf),
              dict(kernel=(2, 2), stride=(2, 2), pad=(1, 1))),
             (row, dict(kernel=(2, 3), stride=(1, 2), pad=(0, 1)))]
    arrays, code = {}, ""
    for k, (x, kwargs) in enumerate(cases):
        arrays["x%d" % k] = x
        code += """
for dtype in ('float32', 'float64'):
    x = mx.nd.array(inputs['x%d'], dtype=dtype)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Pooling(x, pool_type='max', **%r)
    y.backward(mx.nd.ones(y.shape, dtype=dtype))
    outputs['y%d' + dtype] = y.asnumpy()
    outputs['g%d' + dtype] = x.grad.asnumpy()
""" % (k, kwargs, k, k)
    got, want = run_both(code, mx, **arrays)
    assert sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def reference_forward_2x2(x):
    """oneDNN's (and MXNet 1.9.1's) max over each 2x2 window in row-major
    order, m = v > m ? v : m from the lowest finite float: NaN never wins,
    a window of NaN or -inf gives the lowest finite value, of equal zeros
    the first."""
    n, c, h, w = x.shape
    out = np.empty((n, c, h // 2, w // 2), x.dtype)
    for index in np.ndindex(out.shape):
        b, ch, i, j = index
        best = np.finfo(x.dtype).min
        for v in x[b, ch, 2 * i:2 * i + 2, 2 * j:2 * j + 2].ravel():
            best = v if v > best else best
        out[index] = best
    return out


@pytest.mark.parametrize("shape", [(2, 3, 8, 6), (1, 2, 4, 70), (1, 2, 3, 3),
                                   (2, 1, 5, 41), (1, 1, 2, 2), (1, 2, 4, 30),
                                   (2, 2, 8, 8), (1, 2, 2, 16), (1, 2, 2, 27)])
def test_forward_2x2_takes_the_first_largest(shape):
    # Rows of 1 to 35 windows (whole vectors of 16 or 8 and tails of every
    # length on AVX2: 1, 3, 4, 5 (from 13), 7), odd extents
    # (the last row and column left out), ties, NaN, infinities and zeros.
    rng = np.random.default_rng(shape[-1])
    x = tied_input(shape, np.float32, rng)
    x.flat[1::17] = -0.0
    got = mx.nd.Pooling(mx.nd.array(x), kernel=(2, 2), stride=(2, 2),
                        pool_type="max").asnumpy()
    expected = reference_forward_2x2(x)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))



ISA_LEVELS = ["scalar", "avx2", "avx512"]


@pytest.mark.parametrize("cap,level", [("AVX2", "avx2"), ("SSE41", "scalar")])
def test_every_vector_path(cap, level):
    # Each row kernel is chosen once per process by the CPU, so the paths a
    # CPU with AVX-512 would never take run in a child process under oneDNN's
    # ISA cap: this file's 2x2 tests again (rows of whole vectors of 8 and
    # tails, ties, NaN, infinities, signed zeros).
    cpu = mx._core.max_pool_vector_isa()
    if ISA_LEVELS.index(cpu) < ISA_LEVELS.index(level):
        pytest.skip("this CPU's widest path is %s, below %s" % (cpu, level))
    env = dict(os.environ, ONEDNN_MAX_CPU_ISA=cap)
    env.pop("DNNL_MAX_CPU_ISA", None)
    probe = subprocess.run(
        [sys.executable, "-c",
         "import kiln; print(kiln._core.max_pool_vector_isa())"],
        env=env, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == level
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         os.path.abspath(__file__), "-k", "not every_vector_path"],
        env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout


GENERAL_POOLINGS = [
    ((2, 5, 9, 11), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                         pool_type="max")),
    ((2, 12, 7, 7), dict(kernel=(3, 3), stride=(1, 1), pad=(1, 1),
                         pool_type="avg")),
    ((2, 12, 7, 7), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                         pool_type="avg", count_include_pad=False)),
    ((3, 9, 10), dict(kernel=(3,), stride=(2,), pool_type="avg")),
    ((1, 8, 4, 6, 5), dict(kernel=(2, 3, 2), stride=(1, 2, 2),
                           pool_type="max")),
    ((2, 16, 5, 5), dict(kernel=(1, 1), global_pool=True, pool_type="avg")),
]

GENERAL_CHILD = """
import sys, numpy as np, kiln as mx
from kiln import autograd
cases = eval(sys.argv[1])
out = {}
for k, (shape, kw) in enumerate(cases):
    rng = np.random.RandomState(k)
    x = mx.nd.array(rng.randn(*shape).astype(np.float32))
    x.attach_grad()
    with autograd.record():
        y = mx.nd.Pooling(x, **kw)
    y.backward(mx.nd.array(rng.randn(*y.shape).astype(np.float32)))
    out["y%d" % k], out["g%d" % k] = y.asnumpy(), x.grad.asnumpy()
np.savez(sys.argv[2], **out)
"""


def test_general_pooling_under_an_avx2_cap(tmp_path):
    # Under ONEDNN_MAX_CPU_ISA=AVX2 oneDNN 2.6 has only reference kernels for
    # plain layouts, so float32 pooling runs on its blocked (nCx8c) kernels
    # between reorders. Forward and backward equal the float64 loops (which
    # never touch oneDNN) within float32 rounding.
    path = str(tmp_path / "general.npz")
    env = dict(os.environ, ONEDNN_MAX_CPU_ISA="AVX2")
    env.pop("DNNL_MAX_CPU_ISA", None)
    run = subprocess.run(
        [sys.executable, "-c", GENERAL_CHILD, repr(GENERAL_POOLINGS), path],
        env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    got = np.load(path)
    for k, (shape, kw) in enumerate(GENERAL_POOLINGS):
        rng = np.random.RandomState(k)
        x = mx.nd.array(rng.randn(*shape), dtype="float64")
        x.attach_grad()
        with autograd.record():
            y = mx.nd.Pooling(x, **kw)
        y.backward(mx.nd.array(
            rng.randn(*y.shape).astype(np.float32), dtype="float64"))
        for name, want in (("y", y.asnumpy()), ("g", x.grad.asnumpy())):
            np.testing.assert_allclose(got["%s%d" % (name, k)], want,
                                       rtol=1e-5, atol=1e-6,
                                       err_msg="%s %s" % (name, kw))
