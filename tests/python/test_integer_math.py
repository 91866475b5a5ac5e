"""Integer arrays through the unary ops, as MXNet 1.9.1 computes them.

Rounding (floor, ceil, round, rint, trunc, fix) is the identity on integers:
no trip through float32, which holds integers exactly only up to 2**24. Other
math ops compute integers in floating point and truncate back (int32/int64
through float64). Expected values were measured with mxnet==1.9.1.
"""
import numpy as np
import pytest

import kiln as mx

ROUNDING = ["floor", "ceil", "round", "rint", "trunc", "fix"]


@pytest.mark.parametrize("op", ROUNDING)
@pytest.mark.parametrize("dtype", ["int32", "int64", "int8", "uint8"])
def test_rounding_is_the_identity_on_integers(op, dtype):
    values = {"int32": [50000001, -7, 3, 2**31 - 1],
              "int64": [2**53 + 1, -(2**40) - 3, 7, 50000001],
              "int8": [-128, 127, 5, -3], "uint8": [255, 0, 17, 129]}[dtype]
    x = mx.nd.array(values, dtype=dtype)
    result = getattr(mx.nd, op)(x)
    assert result.dtype == np.dtype(dtype).type
    np.testing.assert_array_equal(result.asnumpy(), np.array(values, dtype=dtype))


@pytest.mark.parametrize("op", ROUNDING)
def test_rounding_of_integers_writes_into_out(op):
    x = mx.nd.array([50000001, -7], dtype="int32")
    out = mx.nd.zeros((2,), dtype="int32")
    getattr(mx.nd, op)(x, out=out)
    np.testing.assert_array_equal(out.asnumpy(), [50000001, -7])


def test_rounding_of_floats_follows_mxnet():
    x = mx.nd.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6, 3.0])
    # MXNet's rint takes floor at a tie (not numpy's half-to-even);
    # round takes halves away from zero; trunc and fix go toward zero.
    np.testing.assert_array_equal(mx.nd.rint(x).asnumpy(),
                                  [0, 1, 2, -1, -2, -3, 2, -3, 3])
    np.testing.assert_array_equal(mx.nd.round(x).asnumpy(),
                                  [1, 2, 3, -1, -2, -3, 2, -3, 3])
    np.testing.assert_array_equal(mx.nd.trunc(x).asnumpy(),
                                  [0, 1, 2, 0, -1, -2, 2, -2, 3])
    np.testing.assert_array_equal(mx.nd.fix(x).asnumpy(),
                                  mx.nd.trunc(x).asnumpy())


def test_rounding_of_float64_keeps_large_values():
    x = mx.nd.array([2.0**51 + 1.5, -(2.0**40) - 0.25], dtype="float64")
    np.testing.assert_array_equal(mx.nd.trunc(x).asnumpy(), [2.0**51 + 1, -(2.0**40)])


def test_rounding_has_zero_gradient():
    x = mx.nd.array([0.3, 1.7, -2.2])
    x.attach_grad()
    with mx.autograd.record():
        y = (mx.nd.rint(x) + mx.nd.trunc(x) * 2 + x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [1, 1, 1])


def test_math_on_int64_goes_through_float64():
    # float32 would turn 2**40 + 1 into 2**40 before the square root; MXNet
    # gives 1048576 either way, but log2-sized values show the difference.
    x = mx.nd.array([2**53 - 1, 9, 50000001], dtype="int64")
    np.testing.assert_array_equal(mx.nd.sqrt(x).asnumpy(),
                                  [94906265, 3, 7071])
    assert mx.nd.sqrt(x).dtype == np.int64


def test_math_on_int32_truncates_as_mxnet():
    x = mx.nd.array([50000001, 9, 3], dtype="int32")
    np.testing.assert_array_equal(mx.nd.sqrt(x).asnumpy(), [7071, 3, 1])
    np.testing.assert_array_equal(mx.nd.log(x).asnumpy(), [17, 2, 1])
    np.testing.assert_array_equal(mx.nd.sigmoid(x).asnumpy(), [1, 0, 0])


# MXNet 1.9.1 computes integer powers in float32 (powf) and converts back
# as x86 truncates: values past 2**24 round, results that do not fit become
# the lowest int32 (int64 for int64), 8-bit types keep the low byte of that
# int32. Measured with mxnet==1.9.1 (elementwise, scalar and reversed
# scalar forms; broadcast_power below).
POWER_BASES = [3, 7, -3, 2, 5, 0]
POWER_EXPONENTS = [19, 11, 19, 62, 2, 0]
POWERS = {
    "int32": ([1162261504, 1977326720, -1162261504, -2147483648, 25, 1],
              [1162261504, -2147483648, -1162261504, 524288, -2147483648, 0],
              [524288, 2048, 524288, -2147483648, 4, 1]),
    "int64": ([1162261504, 1977326720, -1162261504, 4611686018427387904, 25,
               1],
              [1162261504, 11398894743191552, -1162261504, 524288,
               19073486290944, 0],
              [524288, 2048, 524288, 4611686018427387904, 4, 1]),
    "uint8": ([0, 128, 0, 0, 25, 1], [0] * 6, [0, 0, 0, 0, 4, 1]),
    "int8": ([0, -128, 0, 0, 25, 1], [0] * 6, [0, 0, 0, 0, 4, 1]),
}


@pytest.mark.parametrize("dtype", sorted(POWERS))
def test_integer_power_goes_through_float32(dtype):
    a = mx.nd.array(POWER_BASES, dtype=dtype)
    b = mx.nd.array(POWER_EXPONENTS, dtype=dtype)
    elementwise, scalar_exponent, scalar_base = POWERS[dtype]
    for got, expected in [(a ** b, elementwise), (a ** 19, scalar_exponent),
                          (2 ** b, scalar_base)]:
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got.asnumpy(),
                                      np.array(expected, dtype=dtype))


def test_integer_power_of_negative_exponents_and_large_values():
    a = mx.nd.array([2, 0, -1, -2, 1, 16777217, -5], dtype="int32")
    b = mx.nd.array([-1, -1, -1, -1, -3, 1, 3], dtype="int32")
    np.testing.assert_array_equal(
        mx.nd.power(a, b).asnumpy(),
        [0, -2147483648, -1, 0, 1, 16777216, -125])
    np.testing.assert_array_equal(
        mx.nd.broadcast_power(a.reshape((7, 1)),
                              b[:2].reshape((1, 2))).asnumpy(),
        [[0, 0], [-2147483648] * 2, [-1, -1], [0, 0], [1, 1], [0, 0], [0, 0]])
    big = mx.nd.array([16777217, 2**40 + 1, -3], dtype="int64")
    np.testing.assert_array_equal((big ** 1).asnumpy(),
                                  [16777216, 1099511627776, -3])
    np.testing.assert_array_equal((big ** 2).asnumpy(),
                                  [281474976710656, -2**63, 9])
