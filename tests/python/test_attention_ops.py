"""MXNet 1.9.1's interleaved multi-head attention products (AttentionOps.cpp):
mx.nd.contrib.interleaved_matmul_{selfatt,encdec}_{qk,valatt}. Values and
gradients measured with mxnet==1.9.1 (float32, CPU) on the inputs built
below, numeric gradient checks in float64, and errors."""
import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient

nd = mx.nd
contrib = nd.contrib
RNG = np.random.default_rng(17)

# (seq_length, batch, heads, head_dim); Lq queries for encdec.
L, B, H, D = 3, 2, 2, 2
LQ = 2


def pattern(shape, modulus, offset, scale):
    return (np.arange(np.prod(shape)).reshape(shape) % modulus - offset) / scale


QKV = pattern((L, B, H * 3 * D), 7, 3, 4.0)
ATT = pattern((B * H, L, L), 5, 2, 2.0)
Q = pattern((LQ, B, H * D), 5, 2, 2.0)
KV = pattern((L, B, H * 2 * D), 7, 3, 4.0)
ATT2 = pattern((B * H, LQ, L), 5, 2, 2.0)


def f32(x):
    return nd.array(x, dtype="float32")


def close(got, expected):
    np.testing.assert_allclose(got.asnumpy(), np.array(expected), rtol=1e-5,
                               atol=1e-6)


def raises(pattern_, function):
    with pytest.raises(MXNetError, match=pattern_):
        function()


# Measured with mxnet==1.9.1.
SELFATT_QK = [
    [[0.13258252, -0.53033006, 0.35355338], [0.0, 0.13258252, -0.04419417],
     [-0.13258252, -0.13258252, -0.13258252]],
    [[-0.13258252, -0.13258252, -0.13258252], [0.08838835, -0.04419417, 0.13258252],
     [-0.30935922, 0.35355338, -0.53033006]],
    [[-0.53033006, 0.13258252, -0.13258252], [0.35355338, -0.04419417, -0.13258252],
     [-0.30935922, 0.08838835, -0.13258252]],
    [[-0.13258252, -0.04419417, 0.35355338], [-0.13258252, 0.13258252, -0.53033006],
     [-0.13258252, 0.0, 0.13258252]]]
SELFATT_VALATT = [
    [[0.125, -0.25, -0.625, 1.0], [0.875, 1.0, -0.625, -0.25]],
    [[-0.625, -0.5, 0.125, -0.375], [-0.125, -0.125, 0.375, 0.0]],
    [[-0.125, -0.125, -0.375, 0.125], [-0.5, -0.625, 0.75, 0.875]]]
ENCDEC_QK = [
    [[0.70710677, 0.17677669, -0.35355338], [-0.61871845, -0.08838835, 0.44194174]],
    [[0.17677669, -0.26516503, -0.08838835], [-0.35355338, -0.26516503, 0.44194174]],
    [[-0.17677669, -0.17677669, -0.17677669], [-0.08838835, 0.08838835, 0.26516503]],
    [[-0.17677669, 0.26516503, 0.08838835], [-0.17677669, -0.17677669, -0.17677669]]]
ENCDEC_VALATT = [
    [[0.125, -0.25, -0.375, 0.5], [-0.5, -0.125, -0.875, -0.75]],
    [[-0.625, 1.25, 1.25, -0.625], [-0.25, -0.625, 0.5, 0.5]]]
# Gradients for the output gradient pattern((out shape), 3, 1, 1).
SELFATT_QK_GRAD = [
    [[-0.17677669, -0.17677669, 0.0, 0.70710677, 0.0, 0.0, -0.17677669,
      -0.17677669, -0.70710677, 0.0, 0.0, 0.0],
     [1.06066012, -0.17677669, -0.17677669, -0.70710677, 0.0, 0.0, -0.17677669,
      1.06066012, 0.35355338, -0.17677669, 0.0, 0.0]],
    [[-0.17677669, -0.17677669, 0.0, 0.0, 0.0, 0.0, -0.17677669, -0.17677669,
      0.0, 0.0, 0.0, 0.0],
     [1.06066012, -0.17677669, 0.0, 0.0, 0.0, 0.0, -0.17677669, 1.06066012,
      0.0, 0.0, 0.0, 0.0]],
    [[-0.17677669, -0.17677669, 0.0, -0.70710677, 0.0, 0.0, -0.17677669,
      -0.17677669, 0.70710677, 0.0, 0.0, 0.0],
     [1.06066012, -0.17677669, 0.17677669, 0.70710677, 0.0, 0.0, -0.17677669,
      1.06066012, -0.35355338, 0.17677669, 0.0, 0.0]]]
SELFATT_VALATT_GRAD_QKV = [
    [[0.0, 0.0, 0.0, 0.0, 1.5, -1.0, 0.0, 0.0, 0.0, 0.0, 2.0, -1.0],
     [0.0, 0.0, 0.0, 0.0, 1.5, -0.5, 0.0, 0.0, 0.0, 0.0, -1.0, 1.5]],
    [[0.0, 0.0, 0.0, 0.0, 1.5, -1.0, 0.0, 0.0, 0.0, 0.0, -0.5, 1.5],
     [0.0, 0.0, 0.0, 0.0, -1.0, 2.0, 0.0, 0.0, 0.0, 0.0, -1.0, 1.5]],
    [[0.0, 0.0, 0.0, 0.0, -1.0, 1.5, 0.0, 0.0, 0.0, 0.0, -0.5, 1.5],
     [0.0, 0.0, 0.0, 0.0, -1.0, -0.5, 0.0, 0.0, 0.0, 0.0, -1.0, -1.0]]]
SELFATT_VALATT_GRAD_ATT = [
    [[-0.25, 0.75, 0.0], [-0.25, -0.25, -0.25], [0.5, -0.5, 0.25]],
    [[-0.25, 1.5, -0.25], [0.25, -0.75, 0.0], [0.0, -0.75, 0.25]],
    [[0.0, 0.75, -0.25], [0.25, -0.5, 0.5], [-0.25, -0.25, -0.25]],
    [[0.5, -0.25, 0.75], [-0.25, -0.25, -0.25], [-0.25, 0.5, -0.5]]]


def test_values_match_mxnet():
    close(contrib.interleaved_matmul_selfatt_qk(f32(QKV), heads=H), SELFATT_QK)
    close(contrib.interleaved_matmul_selfatt_valatt(f32(QKV), f32(ATT), heads=H),
          SELFATT_VALATT)
    close(contrib.interleaved_matmul_encdec_qk(f32(Q), f32(KV), heads=H),
          ENCDEC_QK)
    close(contrib.interleaved_matmul_encdec_valatt(f32(KV), f32(ATT2), heads=H),
          ENCDEC_VALATT)


def test_output_shapes_and_dtype():
    out = contrib.interleaved_matmul_selfatt_qk(f32(QKV), heads=H)
    assert out.shape == (B * H, L, L) and out.dtype == np.float32
    out = contrib.interleaved_matmul_encdec_valatt(
        nd.array(KV, dtype="float64"), nd.array(ATT2, dtype="float64"), heads=H)
    assert out.shape == (LQ, B, H * D) and out.dtype == np.float64
    # A single head: the projections are used as they are.
    qkv = RNG.uniform(-1, 1, size=(4, 1, 9))
    got = contrib.interleaved_matmul_selfatt_qk(f32(qkv), heads=1).asnumpy()
    q, k = qkv[:, 0, 0:3], qkv[:, 0, 3:6]
    np.testing.assert_allclose(got[0], q @ k.T / np.sqrt(3), rtol=1e-5,
                               atol=1e-6)


def test_gradients_match_mxnet():
    x = f32(QKV)
    x.attach_grad()
    with mx.autograd.record():
        out = contrib.interleaved_matmul_selfatt_qk(x, heads=H)
    out.backward(f32(pattern(out.shape, 3, 1, 1)))
    close(x.grad, SELFATT_QK_GRAD)

    x, a = f32(QKV), f32(ATT)
    x.attach_grad()
    a.attach_grad()
    with mx.autograd.record():
        out = contrib.interleaved_matmul_selfatt_valatt(x, a, heads=H)
    out.backward(f32(pattern(out.shape, 3, 1, 1)))
    close(x.grad, SELFATT_VALATT_GRAD_QKV)
    close(a.grad, SELFATT_VALATT_GRAD_ATT)


def test_numeric_gradients():
    def u(*shape):
        return RNG.uniform(-1, 1, size=shape)

    check_numeric_gradient(
        lambda x: contrib.interleaved_matmul_selfatt_qk(x, heads=H),
        [u(L, B, H * 3 * D)], dtype=np.float64)
    check_numeric_gradient(
        lambda x, a: contrib.interleaved_matmul_selfatt_valatt(x, a, heads=H),
        [u(L, B, H * 3 * D), u(B * H, L, L)], dtype=np.float64)
    check_numeric_gradient(
        lambda q, kv: contrib.interleaved_matmul_encdec_qk(q, kv, heads=H),
        [u(LQ, B, H * D), u(L, B, H * 2 * D)], dtype=np.float64)
    check_numeric_gradient(
        lambda kv, a: contrib.interleaved_matmul_encdec_valatt(kv, a, heads=H),
        [u(L, B, H * 2 * D), u(B * H, LQ, L)], dtype=np.float64)


def test_errors():
    ones = nd.ones
    selfqk = contrib.interleaved_matmul_selfatt_qk
    selfva = contrib.interleaved_matmul_selfatt_valatt
    encqk = contrib.interleaved_matmul_encdec_qk
    encva = contrib.interleaved_matmul_encdec_valatt
    raises(r"heads", lambda: selfqk(ones((3, 2, 12))))
    raises(r"_contrib_interleaved_matmul_selfatt_qk: heads must be positive, "
           r"got 0", lambda: selfqk(ones((3, 2, 12)), heads=0))
    raises(r"_contrib_interleaved_matmul_selfatt_qk: queries_keys_values must "
           r"be 3-D .*got shape \(3, 12\)", lambda: selfqk(ones((3, 12)), heads=2))
    raises(r"_contrib_interleaved_matmul_selfatt_qk: queries_keys_values"
           r"\.shape\[2\] must be a multiple of 3 \* heads = 6, got 10",
           lambda: selfqk(ones((3, 2, 10)), heads=2))
    raises(r"_contrib_interleaved_matmul_selfatt_qk: queries_keys_values "
           r"expected a floating-point dtype, got int32",
           lambda: selfqk(ones((3, 2, 12), dtype="int32"), heads=2))
    raises(r"_contrib_interleaved_matmul_selfatt_valatt: attention must be "
           r"3-D .*got shape \(4, 3\)",
           lambda: selfva(ones((3, 2, 12)), ones((4, 3)), heads=2))
    raises(r"_contrib_interleaved_matmul_selfatt_valatt: attention\.shape\[0\] "
           r".* expected 4, got 5",
           lambda: selfva(ones((3, 2, 12)), ones((5, 3, 3)), heads=2))
    raises(r"_contrib_interleaved_matmul_selfatt_valatt: attention\.shape\[2\] "
           r".* expected 3, got 2",
           lambda: selfva(ones((3, 2, 12)), ones((4, 3, 2)), heads=2))
    raises(r"_contrib_interleaved_matmul_selfatt_valatt: attention\.shape\[1\] "
           r".* expected 3, got 2",
           lambda: selfva(ones((3, 2, 12)), ones((4, 2, 3)), heads=2))
    raises(r"_contrib_interleaved_matmul_selfatt_valatt: attention must have "
           r"the dtype of queries_keys_values, expected float32, got float64",
           lambda: selfva(ones((3, 2, 12)), ones((4, 3, 3), dtype="float64"),
                          heads=2))
    raises(r"_contrib_interleaved_matmul_encdec_qk: queries must be 3-D",
           lambda: encqk(ones((4, 8)), ones((3, 2, 8)), heads=2))
    raises(r"_contrib_interleaved_matmul_encdec_qk: keys_values must be 3-D",
           lambda: encqk(ones((4, 2, 4)), ones((3, 16)), heads=2))
    raises(r"_contrib_interleaved_matmul_encdec_qk: queries\.shape\[2\] must be "
           r"a multiple of heads = 2, got 5",
           lambda: encqk(ones((4, 2, 5)), ones((3, 2, 10)), heads=2))
    raises(r"_contrib_interleaved_matmul_encdec_qk: keys_values\.shape\[2\] "
           r".* expected 8, got 12",
           lambda: encqk(ones((4, 2, 4)), ones((3, 2, 12)), heads=2))
    raises(r"_contrib_interleaved_matmul_encdec_qk: keys_values\.shape\[1\] "
           r".* expected 2, got 3",
           lambda: encqk(ones((4, 2, 4)), ones((3, 3, 8)), heads=2))
    raises(r"_contrib_interleaved_matmul_encdec_valatt: keys_values"
           r"\.shape\[2\] must be a multiple of 2 \* heads = 4, got 9",
           lambda: encva(ones((3, 2, 9)), ones((4, 4, 3)), heads=2))
    raises(r"_contrib_interleaved_matmul_encdec_valatt: attention\.shape\[2\] "
           r".* expected 3, got 5",
           lambda: encva(ones((3, 2, 8)), ones((4, 4, 5)), heads=2))
    raises(r"_contrib_interleaved_matmul_encdec_valatt: attention\.shape\[0\] "
           r".* expected 4, got 5",
           lambda: encva(ones((3, 2, 8)), ones((5, 4, 3)), heads=2))
