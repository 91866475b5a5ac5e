"""MXNet 1.9.1's math operators that kiln builds from its primitives
(frontends/cpp/ops/MathOps.cpp), their legacy aliases, and the utility ops
beside them (identity, stop_gradient, add_n, nansum, moments, cumsum,
all_finite, amp_cast, amp_multicast, reset_arrays).

References: Python's math module (float64), numpy, and values measured with
mxnet==1.9.1 (marked "mxnet==1.9.1" where they appear).
"""
import math

import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient

nd = mx.nd
RNG = np.random.default_rng(5)


def assert_almost_equal(actual, expected, rtol=1e-7, atol=0, equal_nan=True):
    """numpy's assert_allclose on NDArrays too (NaN equals NaN)."""
    if isinstance(actual, nd.NDArray):
        actual = actual.asnumpy()
    if isinstance(expected, nd.NDArray):
        expected = expected.asnumpy()
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol,
                               equal_nan=equal_nan)

# (op, reference on one float, sample inputs inside its domain)
UNARY = [
    ("sinh", math.sinh, [-3.0, -1e-9, 0.0, 0.5, 2.0, 20.0]),
    ("cosh", math.cosh, [-3.0, 0.0, 1e-9, 0.5, 2.0, 20.0]),
    ("tan", math.tan, [-1.5, -0.3, 0.0, 0.7, 1.2, 3.0]),
    ("arcsinh", math.asinh, [-1e10, -3.0, -1e-9, 0.0, 0.5, 7.0, 1e200]),
    ("arccosh", math.acosh, [1.0, 1.0 + 1e-9, 1.5, 2.0, 10.0, 1e200]),
    ("arctanh", math.atanh, [-0.999, -0.5, -1e-9, 0.0, 0.3, 0.9999]),
    ("log2", math.log2, [1e-300, 0.1, 0.75, 1.0, 3.0, 1e300]),
    ("log10", math.log10, [1e-300, 0.2, 1.0, 7.0, 12345.0, 1e300]),
    ("cbrt", lambda v: math.copysign(abs(v) ** (1 / 3), v),
     [-1e300, -2.0, -1e-9, 0.0, 0.5, 10.0, 1e-300]),
    ("rcbrt", lambda v: 1 / math.copysign(abs(v) ** (1 / 3), v),
     [-1e30, -2.0, 0.5, 10.0, 3e-300]),
    ("degrees", math.degrees, [-7.0, 0.0, 1.0, 3.14159, 100.0]),
    ("radians", math.radians, [-720.0, 0.0, 1.0, 90.0, 1e5]),
    ("softsign", lambda v: v / (1 + abs(v)), [-1e6, -2.0, 0.0, 0.5, 3.0]),
    ("gamma", math.gamma, [-4.5, -0.5, 1e-8, 0.5, 1.0, 3.7, 10.0, 100.3, 170.5]),
    ("gammaln", math.lgamma, [-1e3 + 0.5, -4.5, -0.5, 1e-8, 0.5, 1.5, 2.5, 10.0,
                              1e5, 1e300]),
]


@pytest.mark.parametrize("op,reference,values", UNARY, ids=[u[0] for u in UNARY])
def test_float64_matches_the_math_module(op, reference, values):
    result = getattr(nd, op)(nd.array(values, dtype="float64"))
    assert result.dtype == np.float64
    expected = np.array([reference(v) for v in values])
    # gammaln's absolute error is ~1e-15 near its zeros; gamma's power
    # t^(x - 1/2) carries t's rounding into ~1e-13 relative near 170.
    assert_almost_equal(result.asnumpy(), expected, atol=1e-14,
                        rtol=1e-12 if op == "gamma" else 1e-13)


@pytest.mark.parametrize("op,reference,values", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_narrow_floats_round_once(op, reference, values, dtype):
    with np.errstate(over="ignore"):
        x = np.array(values, dtype=dtype)
    result = getattr(nd, op)(nd.array(x, dtype=dtype))
    assert result.dtype == np.dtype(dtype).type
    # Computed in float64 from the rounded inputs, then rounded once (to
    # float16 through float32). Inputs that rounded to an infinity or out of
    # the math module's domain (0 for log2) are left out.
    kept, expected = [], []
    for index, value in enumerate(x.astype(np.float64)):
        try:
            expected.append(reference(value))
            kept.append(index)
        except (ValueError, ZeroDivisionError, OverflowError):
            pass
    with np.errstate(over="ignore"):
        expected = np.array(expected).astype(dtype)
    ulp = np.finfo(dtype).eps
    np.testing.assert_allclose(result.asnumpy()[kept], expected, rtol=2 * ulp, atol=1e-30)


def matrix(values, dtype):
    """values as a (2, n/2) array: rank-1 arrays of n and of 1 element
    share a kernel signature today (KernelSignature::key writes both
    'float32[1]'), which can hand one the other's kernel."""
    return nd.array(np.array(values).reshape(2, -1), dtype=dtype)


def test_exact_at_powers_and_cubes():
    for dtype in ["float64", "float32", "int32", "int64"]:
        top = 1000 if dtype == "float64" else 30
        powers = matrix([2.0 ** k for k in range(0, top)], dtype)
        assert (nd.log2(powers).asnumpy().ravel() == np.arange(0, top)).all(), dtype
    # Exact where the literal 1eK is pow(10, K) (1e23 is not: its log10 is
    # within an ulp or two of 23).
    k = np.arange(-300, 300)
    logs = nd.log10(matrix([float("1e%d" % i) for i in k], "float64")).asnumpy().ravel()
    exact = np.array([float("1e%d" % i) == 10.0 ** int(i) for i in k])
    assert exact.sum() > 400 and (logs[exact] == k[exact]).all()
    np.testing.assert_allclose(logs, k, rtol=1e-15)
    negative = nd.log2(matrix([2.0 ** -k for k in range(1, 1071)], "float64"))
    assert (negative.asnumpy().ravel() == -np.arange(1, 1071)).all()
    cubes = (np.arange(-500, 500, dtype=np.int64) ** 3).astype(np.float64)
    assert (nd.cbrt(matrix(cubes, "float64")).asnumpy().ravel()
            == np.arange(-500, 500)).all()
    assert (nd.cbrt(matrix([64, 27, 8, 1], "int32")).asnumpy().ravel() == [4, 3, 2, 1]).all()
    assert (nd.log10(matrix([1000, 10], "int32")).asnumpy().ravel() == [3, 1]).all()


def test_erfinv_inverts_erf():
    x = np.concatenate([np.linspace(-0.999999, 0.999999, 201), [1e-300, -1e-12, 0.0]])
    y = nd.erfinv(nd.array(x, dtype="float64")).asnumpy()
    back = np.array([math.erf(v) for v in y])
    assert_almost_equal(back, x, rtol=1e-14, atol=1e-300)
    # float32: every result within an ulp of the float64 one.
    y32 = nd.erfinv(nd.array(x, dtype="float32")).asnumpy()
    reference = nd.erfinv(nd.array(x.astype(np.float32), dtype="float64")).asnumpy()
    assert_almost_equal(y32, reference, rtol=1.2e-7, atol=1e-38)


def test_special_values():
    inf, nan = math.inf, math.nan
    f64 = "float64"
    # mxnet==1.9.1: gamma(-1) nan, gamma(0) inf; gammaln(-1), gammaln(0) inf;
    # erfinv(+-1) +-inf, erfinv(1.5) nan; arccosh(0.5) nan; arctanh(+-1) +-inf.
    assert_almost_equal(nd.gamma(nd.array([-1, 0, -inf, inf, 171.5], dtype=f64)),
                        [nan, inf, nan, inf, 9.4833675668248e+307],
                        equal_nan=True, rtol=1e-12)
    assert_almost_equal(nd.gamma(nd.array([35.0, 171.5])), [2.952328027141237e+38, inf],
                        rtol=1e-7)
    assert_almost_equal(nd.gammaln(nd.array([-1, 0, 1, 2, inf, -inf], dtype=f64)),
                        [inf, inf, 0, 0, inf, inf])
    assert_almost_equal(nd.erfinv(nd.array([1, -1, 1.5, 0], dtype=f64)),
                        [inf, -inf, nan, 0], equal_nan=True)
    assert_almost_equal(nd.arccosh(nd.array([0.5, 1, 1e20])), [nan, 0, 46.74484634399414],
                        equal_nan=True, rtol=1e-7)
    assert_almost_equal(nd.arctanh(nd.array([1, -1, 2])), [inf, -inf, nan], equal_nan=True)
    # Outside float32's range only in the float64 intermediate (MXNet's
    # float32 sinhf gives the same): sinh(89) = 2.2448e38.
    assert_almost_equal(nd.sinh(nd.array([89.0])), [2.2448063889081578e+38], rtol=1e-7)
    assert_almost_equal(nd.arcsinh(nd.array([3e38])), [89.28999328613281], rtol=1e-7)
    assert_almost_equal(nd.rcbrt(nd.array([0.0, 8.0, -8.0])), [inf, 0.5, -0.5])


# mxnet==1.9.1, int32 input [0, 1, 2, 3, 8, 27, -8]: computed in floating
# point, cast back truncating. (Entries where MXNet's float->int conversion
# of inf/NaN/overflow gives INT_MIN are left out: that is undefined in C.)
INT32_IN = [0, 1, 2, 3, 8, 27, -8]
INT32_MXNET = {
    "sinh": [0, 1, 3, 10, 1490, None, -1490],
    "cosh": [1, 1, 3, 10, 1490, None, 1490],
    "tan": [0, 1, -2, 0, -6, -3, 6],
    "arcsinh": [0, 0, 1, 1, 2, 3, -2],
    "arccosh": [None, 0, 1, 1, 2, 3, None],
    "log2": [None, 0, 1, 1, 3, 4, None],
    "log10": [None, 0, 0, 0, 0, 1, None],
    "cbrt": [0, 1, 1, 1, 2, 3, -2],
    "rcbrt": [None, 1, 0, 0, 0, 0, 0],
    "degrees": [0, 57, 114, 171, 458, 1546, -458],
    "radians": [0, 0, 0, 0, 0, 0, 0],
    "softsign": [0, 0, 0, 0, 0, 0, 0],
    "gamma": [None, 1, 1, 2, 5040, None, None],
    "gammaln": [None, 0, 0, 0, 8, 61, None],
}


@pytest.mark.parametrize("op", sorted(INT32_MXNET))
def test_int32_as_mxnet(op):
    result = getattr(nd, op)(nd.array(INT32_IN, dtype="int32"))
    assert result.dtype == np.int32
    got = result.asnumpy()
    for index, expected in enumerate(INT32_MXNET[op]):
        if expected is not None:
            assert got[index] == expected, (op, INT32_IN[index], got[index])


@pytest.mark.parametrize("dtype", ["int64", "uint8", "int8"])
def test_other_integers_keep_their_dtype(dtype):
    # mxnet==1.9.1 on [1, 2, 3]: log2 [0 1 1], sinh [1 3 10], cbrt [1 1 1].
    x = nd.array([1, 2, 3], dtype=dtype)
    for op, expected in [("log2", [0, 1, 1]), ("sinh", [1, 3, 10]), ("cbrt", [1, 1, 1]),
                         ("gamma", [1, 1, 2]), ("softsign", [0, 0, 0])]:
        result = getattr(nd, op)(x)
        assert result.dtype == np.dtype(dtype).type
        assert result.asnumpy().tolist() == expected, op


def grad_of(function, values, dtype="float32"):
    x = nd.array(values, dtype=dtype)
    x.attach_grad()
    with mx.autograd.record():
        y = function(x)
    y.backward()
    return x.grad.asnumpy()


def test_hard_sigmoid_as_mxnet():
    x = [-2.5, -2.4, 0, 2.5, 2.6, -3, 3]
    # mxnet==1.9.1
    assert_almost_equal(nd.hard_sigmoid(nd.array(x)),
                        [0.0, 0.019999980926513672, 0.5, 1.0, 1.0, 0.0, 1.0], rtol=1e-7)
    assert_almost_equal(grad_of(nd.hard_sigmoid, x),
                        [0.0, 0.20000000298023224, 0.20000000298023224, 0, 0, 0, 0],
                        rtol=1e-7)
    assert_almost_equal(nd.hard_sigmoid(nd.array([1.0]), alpha=0.5, beta=0.1), [0.6])


def test_smooth_l1_as_mxnet():
    x = [-0.25, -0.2, 0, 0.25, 0.3, -1]
    # mxnet==1.9.1, scalar=2 (the quadratic piece inside |x| < 1/4)
    assert_almost_equal(nd.smooth_l1(nd.array(x), scalar=2.0),
                        [0.125, 0.08000000566244125, 0.0, 0.125, 0.17500001192092896,
                         0.875], rtol=1e-6)
    assert_almost_equal(grad_of(lambda a: nd.smooth_l1(a, scalar=2.0), x),
                        [-1.0, -0.800000011920929, 0.0, 1.0, 1.0, -1.0], rtol=1e-6)
    assert_almost_equal(nd.smooth_l1(nd.array([1, 2])), [0.5, 1.5])  # scalar 1
    assert_almost_equal(nd.smooth_l1(nd.array([0.5, 2]), scalar=0), [0, 0])
    # int32, mxnet==1.9.1
    assert nd.smooth_l1(nd.array(INT32_IN, dtype="int32"), scalar=1.0).asnumpy().tolist() \
        == [0, 0, 1, 2, 7, 26, 7]


def test_gradients_that_mxnet_defines_at_edges():
    # mxnet==1.9.1
    assert grad_of(lambda a: nd.stop_gradient(a) * a, [1.0, 2.0]).tolist() == [1.0, 2.0]
    assert grad_of(nd.BlockGrad, [1.0, 2.0]).tolist() == [0.0, 0.0]
    assert grad_of(lambda a: nd.identity(a) * a, [1.0, 2.0]).tolist() == [2.0, 4.0]
    assert_almost_equal(grad_of(nd.softsign, [0.0, 1.0, -2.0]), [1.0, 0.25, 1 / 9])
    assert grad_of(nd.cbrt, [0.0])[0] == math.inf
    assert grad_of(nd.arccosh, [1.0])[0] == math.inf
    assert grad_of(nd.log2, [0.0])[0] == math.inf
    assert_almost_equal(grad_of(nd.arcsinh, [0.0, -1e-30]), [1.0, 1.0])
    assert_almost_equal(grad_of(nd.arctanh, [0.0]), [1.0])
    x, y = nd.array([0.0, 3.0]), nd.array([0.0, 4.0])
    x.attach_grad()
    y.attach_grad()
    with mx.autograd.record():
        z = nd.broadcast_hypot(x, y)
    z.backward()
    assert_almost_equal(x.grad, [math.nan, 0.6], equal_nan=True)
    assert_almost_equal(y.grad, [math.nan, 0.8], equal_nan=True)
    # gamma'(x) = gamma(x) digamma(x), lgamma'(x) = digamma(x) (exact values;
    # mxnet==1.9.1's float32 gives [-3.480232, 0.9347348, -0.12935339] and
    # [-1.9635108, 0.70315677, 0.036489915], within 2e-6).
    assert_almost_equal(grad_of(nd.gamma, [0.5, 2.5, -0.5]),
                        [-3.480230906913262, 0.9347345216260857, -0.12935358979553999], rtol=1e-6)
    assert_almost_equal(grad_of(nd.gammaln, [0.5, 2.5, -0.5, 1.0, 2.0]),
                        [-1.9635100260214235, 0.7031566406452432, 0.0364899739785765, -0.5772156649015329, 0.42278433509846713], rtol=1e-6)
    assert_almost_equal(grad_of(nd.erfinv, [0.0, 0.5]),
                        [0.8862269520759583, 1.1125849485397339], rtol=1e-6)


def inside(low, high, *shape):
    return RNG.uniform(low, high, size=shape)


GRADIENTS = [
    ("sinh", nd.sinh, [inside(-3, 3, 2, 3)]),
    ("cosh", nd.cosh, [inside(-3, 3, 2, 3)]),
    ("tan", nd.tan, [inside(-1.4, 1.4, 5)]),
    ("arcsinh", nd.arcsinh, [inside(-5, 5, 6)]),
    ("arccosh", nd.arccosh, [inside(1.1, 5, 6)]),
    ("arctanh", nd.arctanh, [inside(-0.9, 0.9, 6)]),
    ("log2", nd.log2, [inside(0.2, 5, 6)]),
    ("log10", nd.log10, [inside(0.2, 5, 6)]),
    ("cbrt", nd.cbrt, [np.array([-3.0, -0.7, 0.4, 2.5, 9.0])]),
    ("rcbrt", nd.rcbrt, [np.array([-3.0, -0.7, 0.4, 2.5, 9.0])]),
    ("degrees", nd.degrees, [inside(-3, 3, 4)]),
    ("radians", nd.radians, [inside(-300, 300, 4)]),
    ("softsign", nd.softsign, [inside(-3, 3, 6)]),
    ("hard_sigmoid", lambda a: nd.hard_sigmoid(a, alpha=0.3, beta=0.4),
     [np.array([-3.0, -1.0, 0.2, 1.5, 4.0])]),
    ("smooth_l1", lambda a: nd.smooth_l1(a, scalar=1.5),
     [np.array([-2.0, -0.3, 0.1, 0.35, 1.7])]),
    ("broadcast_hypot", nd.broadcast_hypot, [inside(-3, 3, 2, 3), inside(0.5, 3, 3)]),
    ("_hypot", nd._internal._hypot, [inside(-3, 3, 4), inside(-3, 3, 4)]),
    ("_hypot_scalar", lambda a: nd._internal._hypot_scalar(a, scalar=1.5),
     [inside(-3, 3, 4)]),
    ("gamma", nd.gamma, [np.array([-2.5, -0.3, 0.7, 1.0, 2.0, 4.6])]),
    ("gammaln", nd.gammaln, [np.array([-2.5, -0.3, 0.7, 1.5, 3.0, 40.0])]),
    ("erfinv", nd.erfinv, [inside(-0.95, 0.95, 6)]),
    ("softmin", lambda a: nd.softmin(a, axis=0, temperature=1.7), [inside(-2, 2, 3, 2)]),
    ("identity", nd.identity, [inside(-2, 2, 3)]),
    ("add_n", lambda a, b, c: nd.add_n(a, b, c),
     [inside(-2, 2, 2, 3), inside(-2, 2, 2, 3), inside(-2, 2, 2, 3)]),
    ("nansum", lambda a: nd.nansum(a, axis=1), [inside(-2, 2, 3, 4)]),
    ("nanprod", lambda a: nd.nanprod(a, axis=0, keepdims=True), [inside(0.5, 2, 3, 4)]),
    ("cumsum", lambda a: nd.cumsum(a, axis=1), [inside(-2, 2, 2, 7)]),
    ("cumsum_flat", lambda a: nd.cumsum(a), [inside(-2, 2, 3, 3)]),
    ("broadcast_axis", lambda a: nd.broadcast_axis(a, axis=(0, 2), size=(2, 3)),
     [inside(-2, 2, 1, 2, 1)]),
    ("amp_cast", lambda a: nd.amp_cast(a, dtype="float32"), [inside(-2, 2, 3)]),
]


@pytest.mark.parametrize("case", GRADIENTS, ids=[c[0] for c in GRADIENTS])
def test_numeric_gradient(case):
    _, function, inputs = case
    check_numeric_gradient(function, [np.array(x, dtype=np.float64) for x in inputs],
                           dtype=np.float64, numeric_eps=1e-6, rtol=1e-5, atol=1e-7)


def test_erfinv_gradient_in_float32():
    check_numeric_gradient(nd.erfinv, [np.array([-0.5, 0.1, 0.8])], numeric_eps=1e-3,
                           rtol=1e-2)


# Legacy names, each the same op as its target (mxnet==1.9.1 registers them).
ALIASES = [
    ("broadcast_plus", "broadcast_add"), ("max_axis", "max"), ("min_axis", "min"),
    ("sum_axis", "sum"), ("broadcast_axes", "broadcast_axis"), ("_copy", "identity"),
    ("BlockGrad", "stop_gradient"), ("ElementWiseSum", "add_n"),
]
SAME_SHAPE = {
    "_add": np.add, "_plus": np.add, "_Plus": np.add, "_grad_add": np.add,
    "_sub": np.subtract, "_minus": np.subtract, "_Minus": np.subtract,
    "_mul": np.multiply, "_Mul": np.multiply, "_div": np.divide, "_Div": np.divide,
    "_mod": np.mod, "_Mod": np.mod, "_power": np.power, "_Power": np.power,
    "_maximum": np.maximum, "_Maximum": np.maximum,
    "_minimum": np.minimum, "_Minimum": np.minimum,
    "_equal": np.equal, "_Equal": np.equal, "_not_equal": np.not_equal,
    "_Not_Equal": np.not_equal, "_greater": np.greater, "_Greater": np.greater,
    "_greater_equal": np.greater_equal, "_Greater_Equal": np.greater_equal,
    "_lesser": np.less, "_Lesser": np.less, "_lesser_equal": np.less_equal,
    "_Lesser_Equal": np.less_equal, "_logical_and": np.logical_and,
    "_Logical_And": np.logical_and, "_logical_or": np.logical_or,
    "_Logical_Or": np.logical_or, "_logical_xor": np.logical_xor,
    "_Logical_Xor": np.logical_xor, "_hypot": np.hypot, "_Hypot": np.hypot,
}
SCALAR = {
    "_PlusScalar": lambda a, s: a + s, "_MinusScalar": lambda a, s: a - s,
    "_RMinusScalar": lambda a, s: s - a, "_MulScalar": lambda a, s: a * s,
    "_DivScalar": lambda a, s: a / s, "_RDivScalar": lambda a, s: s / a,
    "_ModScalar": np.mod, "_RModScalar": lambda a, s: np.mod(s, a),
    "_PowerScalar": np.power, "_RPowerScalar": lambda a, s: np.power(s, a),
    "_MaximumScalar": np.maximum, "_MinimumScalar": np.minimum,
    "_EqualScalar": np.equal, "_NotEqualScalar": np.not_equal,
    "_GreaterScalar": np.greater, "_GreaterEqualScalar": np.greater_equal,
    "_LesserScalar": np.less, "_LesserEqualScalar": np.less_equal,
    "_logical_and_scalar": np.logical_and, "_LogicalAndScalar": np.logical_and,
    "_logical_or_scalar": np.logical_or, "_LogicalOrScalar": np.logical_or,
    "_logical_xor_scalar": np.logical_xor, "_LogicalXorScalar": np.logical_xor,
    "_hypot_scalar": np.hypot, "_HypotScalar": np.hypot,
}


@pytest.mark.parametrize("alias,target", ALIASES)
def test_aliases(alias, target):
    function = getattr(nd, alias)
    x = nd.array([[1.0, 5.0], [3.0, 4.0]])
    if target in ("max", "min", "sum"):
        assert_almost_equal(function(x, axis=1), getattr(nd, target)(x, axis=1))
    elif target == "broadcast_axis":
        assert function(nd.ones((1, 2, 1)), axis=(0, 2), size=(2, 3)).shape == (2, 2, 3)
    elif target == "broadcast_add":
        assert_almost_equal(function(x, x), 2 * x.asnumpy())
    elif target == "add_n":
        assert_almost_equal(function(x, x, x), 3 * x.asnumpy())
    else:
        assert_almost_equal(function(x), x.asnumpy())


@pytest.mark.parametrize("name", sorted(SAME_SHAPE))
def test_same_shape_binary_ops(name):
    a = np.array([[1.0, 0.0, 3.5], [-2.0, 4.0, 2.0]])
    b = np.array([[2.0, 1.0, 3.5], [3.0, -1.5, 0.5]])
    if name in ("_mod", "_Mod"):
        a, b = np.abs(a) + 1, np.abs(b) + 1
    if name in ("_power", "_Power"):
        a = np.abs(a) + 0.5
    result = getattr(nd._internal, name)(nd.array(a), nd.array(b))
    assert result.dtype == np.float32
    assert_almost_equal(result, SAME_SHAPE[name](a, b).astype(np.float32), rtol=1e-6)
    # mxnet==1.9.1: no broadcasting ("expected [2], got [2,1]").
    with pytest.raises(MXNetError, match="^" + name + r": .*operands must have the same "
                                                      r"shape"):
        getattr(nd._internal, name)(nd.array([3.0, 0]), nd.array([[4.0], [1]]))


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_scalar_aliases(name):
    a = np.array([1.0, 0.5, 2.5, 4.0])
    result = getattr(nd._internal, name)(nd.array(a), scalar=2.0)
    assert_almost_equal(result, SCALAR[name](a, 2.0).astype(np.float32), rtol=1e-6)


def test_legacy_names_match_mxnet():
    # Every legacy alias mxnet==1.9.1 registers for an op kiln has.
    names = set(dir(nd)) | set(dir(nd._internal))
    expected = {"broadcast_plus", "max_axis", "min_axis", "sum_axis", "broadcast_axes",
                "_copy", "BlockGrad", "ElementWiseSum", "identity", "stop_gradient",
                "add_n"} | set(SAME_SHAPE) | set(SCALAR)
    assert not expected - names


def test_logical_scalar_ops_as_mxnet():
    # mxnet==1.9.1
    assert nd._internal._logical_and_scalar(nd.array([3.0, 0]), scalar=1).asnumpy().tolist() \
        == [1.0, 0.0]
    assert nd._internal._logical_xor_scalar(nd.array([3.0, 0]), scalar=0.0).asnumpy() \
        .tolist() == [1.0, 0.0]


def test_add_n():
    arrays = [nd.array([1, 2]), nd.array([3, 4]), nd.array([5, 6])]
    assert nd.add_n(*arrays).asnumpy().tolist() == [9, 12]
    assert nd.ElementWiseSum(*arrays, num_args=3).asnumpy().tolist() == [9, 12]
    assert nd.add_n(arrays[0]).asnumpy().tolist() == [1, 2]
    ints = nd.add_n(nd.array([1, 2], dtype="int32"), nd.array([3, 4], dtype="int32"))
    assert ints.dtype == np.int32
    out = nd.zeros((2,))
    nd.add_n(*arrays, out=out)
    assert out.asnumpy().tolist() == [9, 12]


def test_nansum_nanprod():
    nan, inf = math.nan, math.inf
    x = nd.array([[1, nan], [3, 4]])
    # mxnet==1.9.1
    assert nd.nansum(x, axis=1).asnumpy().tolist() == [1, 7]
    assert nd.nanprod(x, axis=0).asnumpy().tolist() == [3, 4]
    assert nd.nansum(nd.array([nan, nan])).asnumpy().tolist() == [0]
    assert math.isnan(nd.nansum(nd.array([inf, -inf])).asnumpy()[0])
    assert nd.nansum(x, axis=1, keepdims=True).shape == (2, 1)
    assert nd.nansum(x, axis=1, exclude=True).asnumpy().tolist() == [4, 4]
    ints = nd.array([[1, 2], [3, 4]], dtype="int32")
    assert nd.nansum(ints).dtype == np.int32 and nd.nansum(ints).asnumpy().tolist() == [10]
    assert nd.nanprod(ints).asnumpy().tolist() == [24]
    assert grad_of(nd.nansum, [1, nan, 3]).tolist() == [1, 0, 1]
    assert grad_of(nd.nanprod, [2, nan, 3]).tolist() == [3, 0, 2]


def test_cumsum():
    x = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
    assert nd.cumsum(nd.array(x), axis=1).asnumpy().tolist() == np.cumsum(x, 1).tolist()
    assert nd.cumsum(nd.array(x), axis=0).asnumpy().tolist() == np.cumsum(x, 0).tolist()
    assert nd.cumsum(nd.array(x), axis=-1).asnumpy().tolist() == np.cumsum(x, 1).tolist()
    assert nd.cumsum(nd.array(x)).asnumpy().tolist() == np.cumsum(x).tolist()
    big = RNG.integers(-100, 100, size=(3, 1000)).astype(np.float64)
    assert (nd.cumsum(nd.array(big, dtype="float64"), axis=1).asnumpy()
            == np.cumsum(big, 1)).all()
    # mxnet==1.9.1: integer dtypes are kept (int8 [1, 2, 3, 120] -> [1, 3, 6, 126]).
    for dtype in ["int8", "uint8", "int32", "int64", "float16", "float64"]:
        result = nd.cumsum(nd.array([[1, 2], [3, 120]], dtype=dtype))
        assert result.dtype == np.dtype(dtype).type
        assert result.asnumpy().tolist() == [1, 3, 6, 126]
    converted = nd.cumsum(nd.array([1.5, 2.5]), dtype="int32")
    assert converted.dtype == np.int32 and converted.asnumpy().tolist() == [1, 3]
    assert nd.cumsum(nd.array([[1.0]])).shape == (1,)
    assert nd.cumsum(nd.empty((2, 0)), axis=1).shape == (2, 0)
    # mxnet==1.9.1: the gradient is the reversed cumulative sum.
    a = nd.array(x)
    a.attach_grad()
    with mx.autograd.record():
        y = nd.cumsum(a, axis=1)
    y.backward(nd.array(x))
    assert a.grad.asnumpy().tolist() == [[6, 5, 3], [15, 11, 6]]


def test_broadcast_axis():
    # mxnet==1.9.1
    assert nd.broadcast_axis(nd.array([[1], [2]]), axis=1, size=3).asnumpy().tolist() \
        == [[1, 1, 1], [2, 2, 2]]
    assert nd.broadcast_axes(nd.array([[[1]]]), axis=(0, 2), size=(2, 3)).shape == (2, 1, 3)
    assert nd.broadcast_axis(nd.array([[1], [2]])).shape == (2, 1)
    assert nd.broadcast_axis(nd.array([[1], [2]]), axis=-1, size=4).shape == (2, 4)


def test_softmin():
    # mxnet==1.9.1
    assert_almost_equal(nd.softmin(nd.array([[1, 2, 3]])),
                        [[0.66524094, 0.24472848, 0.09003057]], rtol=1e-6)
    assert_almost_equal(nd.softmin(nd.array([[1, 2, 3]]), temperature=2.0, axis=1),
                        [[0.5064804, 0.3071959, 0.18632373]], rtol=1e-6)


def test_identity_and_stop_gradient_copy():
    x = nd.array([1, 2], dtype="int32")
    for op in [nd.identity, nd._internal._copy, nd.stop_gradient, nd.BlockGrad]:
        y = op(x)
        assert y.dtype == np.int32 and y.asnumpy().tolist() == [1, 2]
        y[0] = 7
        assert x.asnumpy().tolist() == [1, 2]


def test_all_finite():
    inf, nan = math.inf, math.nan
    # mxnet==1.9.1
    assert nd.all_finite(nd.array([1, 2])).asnumpy().tolist() == [1]
    assert nd.all_finite(nd.array([1, inf])).asnumpy().tolist() == [0]
    assert nd.all_finite(nd.array([[1, nan]])).asnumpy().tolist() == [0]
    assert nd.all_finite(nd.array([1, 2], dtype="float16")).dtype == np.float32
    assert nd.all_finite(nd.array([])).asnumpy().tolist() == [1]
    assert nd.multi_all_finite(nd.array([1, 2]), nd.array([3, nan]),
                               num_arrays=2).asnumpy().tolist() == [0]
    assert nd.multi_all_finite(nd.array([1, 2], dtype="float64"), nd.array([3, 4]),
                               num_arrays=2).asnumpy().tolist() == [1]
    # init_output=False accumulates into out (mxnet==1.9.1: 5 stays 5).
    out = nd.array([5.0])
    nd.all_finite(nd.array([1, 2]), init_output=False, out=out)
    assert out.asnumpy().tolist() == [5]
    nd.multi_all_finite(nd.array([1, inf]), init_output=False, out=out)
    assert out.asnumpy().tolist() == [0]


def test_amp_cast_as_mxnet():
    # mxnet==1.9.1: float16/float32 (and bfloat16) are cast, the rest kept.
    table = {"float16": ["float16", "float32", "float64", "int32", "int64", "int8", "uint8"],
             "float32": ["float16", "float32", "float64", "int32", "int64", "int8", "uint8"],
             "float64": ["float64"] * 7, "int32": ["int32"] * 7, "int64": ["int64"] * 7,
             "int8": ["int8"] * 7, "uint8": ["uint8"] * 7}
    targets = ["float16", "float32", "float64", "int32", "int64", "int8", "uint8"]
    for source, results in table.items():
        for target, expected in zip(targets, results):
            y = nd.amp_cast(nd.array([1, 2], dtype=source), dtype=target)
            assert y.dtype == np.dtype(expected).type, (source, target)
    nd.amp_cast(nd.array([1.5]), dtype="bfloat16").wait_to_read()


def multi_output_supported():
    try:
        return isinstance(nd.moments(nd.array([1.0, 2.0]), axes=(0,)), list)
    except Exception:  # noqa: BLE001 - an older _core without several outputs
        return False


needs_multi_output = pytest.mark.skipif(
    not multi_output_supported(),
    reason="this build's _core.invoke returns one array per op")


@needs_multi_output
def test_amp_multicast_as_mxnet():
    def dtypes(*names, **kwargs):
        arrays = [nd.array([1, 2], dtype=name) for name in names]
        result = nd.amp_multicast(*arrays, num_outputs=len(names), **kwargs)
        result = result if isinstance(result, list) else [result]
        return [np.dtype(r.dtype).name for r in result]
    # mxnet==1.9.1
    assert dtypes("float32", "float16") == ["float32", "float32"]
    assert dtypes("float32", "float16", cast_narrow=True) == ["float16", "float16"]
    assert dtypes("float32", "float16", "float64") == ["float32", "float32", "float64"]
    assert dtypes("float32", "float16", "int32") == ["float32", "float32", "int32"]
    assert dtypes("float32", "float16", "int32", cast_narrow=True) \
        == ["float16", "float16", "int32"]
    assert dtypes("float16", "float64") == ["float16", "float64"]
    assert dtypes("uint8", "float16") == ["uint8", "uint8"]
    assert dtypes("uint8", "float16", cast_narrow=True) == ["uint8", "float16"]
    single = nd.amp_multicast(nd.array([1.5, 2.5]), num_outputs=1)
    assert isinstance(single, nd.NDArray) and single.asnumpy().tolist() == [1.5, 2.5]


@needs_multi_output
def test_moments_as_mxnet():
    x = nd.array([[1, 2, 3], [4, 5, 7]])
    mean, var = nd.moments(x, axes=(1,))
    # mxnet==1.9.1
    assert_almost_equal(mean, [2, 5.3333335], rtol=1e-6)
    assert_almost_equal(var, [0.6666667, 1.5555555], rtol=1e-6)
    mean, var = nd.moments(x, axes=(0,), keepdims=True)
    assert mean.shape == var.shape == (1, 3)
    assert_almost_equal(var, [[2.25, 2.25, 4]])
    mean, var = nd.moments(nd.array([[1, 2], [3, 6]], dtype="float64"), axes=(0, 1))
    assert mean.shape == (1,) and mean.dtype == np.float64
    mean, var = nd.moments(nd.array([[1, 2], [3, 6]], dtype="int32"), axes=(0, 1))
    assert mean.asnumpy().tolist() == [3] and var.asnumpy().tolist() == [3]
    mean, var = nd.moments(nd.array([[1, 2], [3, 6]]), axes=(-1,))
    assert mean.asnumpy().tolist() == [1.5, 4.5] and var.asnumpy().tolist() == [0.25, 2.25]


@needs_multi_output
def test_reset_arrays_zeroes_in_place():
    p, q = nd.array([1, 2]), nd.array([[3, 4]], dtype="float64")
    # mxnet==1.9.1 returns an empty list.
    assert nd.reset_arrays(p, q, num_arrays=2) == []
    assert p.asnumpy().tolist() == [0, 0] and q.asnumpy().tolist() == [[0, 0]]


ERRORS = [
    (lambda: nd.hard_sigmoid(nd.array([1, 2], dtype="int32")),
     r"hard_sigmoid: expected a floating-point array, got int32"),
    (lambda: nd.hard_sigmoid(nd.array([1.0]), alpha="x"),
     r"hard_sigmoid: argument 'alpha' expected a number, got 'x'"),
    (lambda: nd.smooth_l1(nd.array([1.0]), scalar="big"),
     r"smooth_l1: argument 'scalar' expected a number, got 'big'"),
    (lambda: nd.broadcast_hypot(nd.array([3.0]), nd.array([4.0], dtype="float64")),
     r"broadcast_hypot: operands must have the same dtype, got float32 and float64"),
    (lambda: nd.broadcast_hypot(nd.ones((2,)), nd.ones((3,))),
     r"broadcast_hypot: operands could not be broadcast"),
    (lambda: nd._internal._hypot(nd.ones((2,)), nd.ones((2, 1))),
     r"_hypot: operands must have the same shape, got lhs \(2,\) and rhs \(2, 1\)"),
    (lambda: nd.softmin(nd.array([1, 2], dtype="int32")),
     r"softmin: expected a floating-point array, got int32"),
    (lambda: nd.softmin(nd.array([1.0, 2.0]), axis=1),
     r"softmin: axis 1 is out of range for an array of rank 1"),
    (lambda: nd.softmin(nd.array([1.0, 2.0]), temperature=0),
     r"softmin: temperature must be positive, got 0"),
    (lambda: nd.add_n(nd.array([1, 2]), nd.array([[3], [4]])),
     r"add_n: array 1 has shape \(2, 1\), expected \(2,\)"),
    (lambda: nd.add_n(nd.array([1, 2]), nd.array([3, 4], dtype="int32")),
     r"add_n: array 1 has dtype int32, expected float32"),
    (lambda: nd.nansum(nd.ones((2, 3)), axis=2),
     r"nansum: axis 2 is out of range for an array of rank 2"),
    (lambda: nd.cumsum(nd.ones((2, 3)), axis=2),
     r"cumsum: axis 2 is out of range for an array of rank 2"),
    (lambda: nd.cumsum(nd.ones((2, 3)), dtype="uint8"),
     r"cumsum: dtype expected 'float16', 'float32', 'float64', 'int32', 'int64' or "
     r"'int8', got 'uint8'"),
    (lambda: nd.all_finite(nd.array([1, 2], dtype="int32")),
     r"all_finite: array 0 expected a floating-point dtype, got int32"),
    (lambda: nd.multi_all_finite(nd.array([1.0]), nd.array([2.0])),
     r"multi_all_finite: num_arrays is 1 but 2 arrays were given"),
    (lambda: nd.all_finite(nd.array([1.0]), init_output=False, out=nd.zeros((2,))),
     r"all_finite: out expected a float32 array of shape \(1,\), got float32 \(2,\)"),
    (lambda: nd.amp_cast(nd.array([1.0]), dtype="bool"),
     r"amp_cast: dtype expected 'float16', 'bfloat16', 'float32', 'float64', 'int32', "
     r"'int64', 'int8' or 'uint8', got 'bool'"),
    (lambda: nd.amp_cast(nd.array([1.0])), r"amp_cast: missing required argument 'dtype'"),
    (lambda: nd.broadcast_axis(nd.array([[1, 2]]), axis=1, size=3),
     r"broadcast_axis: axis 1 expected extent 1, got 2"),
    (lambda: nd.broadcast_axis(nd.array([[1, 2]]), axis=(0, 1), size=3),
     r"broadcast_axis: axis and size expected the same length, got \(0, 1\) and \(3,\)"),
    (lambda: nd.broadcast_axis(nd.array([[1, 2]]), axis=5, size=3),
     r"broadcast_axis: axis 5 is out of range for an array of rank 2"),
]


@pytest.mark.parametrize("call,message", ERRORS, ids=[m[:30] for _, m in ERRORS])
def test_errors_name_the_op_and_argument(call, message):
    with pytest.raises(MXNetError, match=message):
        call()


@needs_multi_output
def test_multi_output_errors():
    with pytest.raises(MXNetError, match=r"moments: axes expected one or more axes, got None"):
        nd.moments(nd.array([1.0, 2.0]))
    with pytest.raises(MXNetError, match=r"moments: axis 1 is repeated"):
        nd.moments(nd.ones((2, 2)), axes=(1, 1))
    with pytest.raises(MXNetError, match=r"moments: axis 2 is out of range"):
        nd.moments(nd.ones((2, 2)), axes=(2,))
    with pytest.raises(MXNetError,
                       match=r"amp_multicast: num_outputs is 3 but 2 arrays were given"):
        nd.amp_multicast(nd.ones(2), nd.ones(2), num_outputs=3)
    with pytest.raises(MXNetError,
                       match=r"reset_arrays: array 0 expected a floating-point dtype, "
                             r"got int32"):
        nd.reset_arrays(nd.ones(2, dtype="int32"), num_arrays=1)
    with pytest.raises(MXNetError, match=r"reset_arrays: num_arrays is 1 but 2 arrays"):
        nd.reset_arrays(nd.ones(2), nd.ones(2), num_arrays=1)


def test_docs_name_mxnet_and_defaults():
    for op in ["sinh", "gamma", "erfinv", "hard_sigmoid", "smooth_l1", "moments",
               "cumsum", "amp_multicast", "add_n", "broadcast_axis"]:
        doc = getattr(nd, op).__doc__
        assert "MXNet 1.9.1" in doc, op
    assert "alpha=0.2" in nd.hard_sigmoid.__doc__
    assert "beta=0.5" in nd.hard_sigmoid.__doc__


# arcsin, arccos, arctan: primitives of their own (kiln.asin, kiln.acos,
# kiln.atan), computed through libm's float64 and rounded once.
@pytest.mark.parametrize("name, reference", [("arcsin", np.arcsin),
                                             ("arccos", np.arccos),
                                             ("arctan", np.arctan)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_inverse_trigonometry_matches_numpy(name, reference, dtype):
    values = np.linspace(-0.999, 0.999, 5001).astype(dtype)
    if name == "arctan":
        values = values * 50
    result = getattr(mx.nd, name)(mx.nd.array(values, dtype=dtype)).asnumpy()
    expected = reference(values.astype(np.float64)).astype(dtype)
    # Within two units in the last place (libm and numpy may differ by one,
    # and float16 rounds through float32).
    np.testing.assert_allclose(result, expected, rtol=2 * np.finfo(dtype).eps, atol=0)
    assert getattr(mx.nd.array(values[:3], dtype=dtype), name)().shape == (3,)


def test_inverse_trigonometry_outside_the_domain_is_nan():
    assert np.isnan(mx.nd.arcsin(mx.nd.array([1.5])).asnumpy()).all()
    assert np.isnan(mx.nd.arccos(mx.nd.array([-1.5])).asnumpy()).all()


def test_inverse_trigonometry_on_integers_truncates_as_mxnet():
    # Measured with mxnet==1.9.1.
    np.testing.assert_array_equal(
        mx.nd.arctan(mx.nd.array([1, 100], dtype="int32")).asnumpy(), [0, 1])
    np.testing.assert_array_equal(
        mx.nd.arcsin(mx.nd.array([1, 0], dtype="int32")).asnumpy(), [1, 0])


@pytest.mark.parametrize("name", ["arcsin", "arccos", "arctan"])
def test_inverse_trigonometry_gradients(name):
    check_numeric_gradient(getattr(mx.nd, name),
                           [np.array([-0.7, -0.2, 0.3, 0.6], dtype=np.float64)],
                           dtype=np.float64, numeric_eps=1e-6, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("axes, keepdims", [((1,), False), ((0, 2), True), ((0, 1, 2), False)])
def test_moments_gradient(axes, keepdims):
    def loss(x):
        mean, var = nd.moments(x, axes=axes, keepdims=keepdims)
        return (mean * 3).sum() + (var * var).sum()
    check_numeric_gradient(loss, [np.random.RandomState(0).randn(2, 3, 4)],
                           dtype=np.float64, numeric_eps=1e-6, rtol=1e-5, atol=1e-7)


def test_amp_multicast_gradient_is_cast_back():
    a = nd.array([1.0, 2.0], dtype="float16")
    b = nd.array([3.0, 4.0], dtype="float32")
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        x, y = nd.amp_multicast(a, b, num_outputs=2)
        (x * 2 + y * 5).sum().backward()
    assert a.grad.dtype == np.float16 and a.grad.asnumpy().tolist() == [2, 2]
    assert b.grad.asnumpy().tolist() == [5, 5]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_square_and_cube_are_products(dtype):
    # x ** 2 and x ** 3 run as x * x and x * x * x (libm's pow per element
    # does not vectorize): x * x is the correctly rounded square, the cube
    # within an ulp of it; special values and the gradient as pow's.
    values = np.array([-2.5, -0.0, 0.0, 1e-30, 3.0, np.inf, -np.inf, np.nan,
                       1e20, -7.25], dtype=dtype)
    x = mx.nd.array(values, dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        np.testing.assert_array_equal((x ** 2).asnumpy(), values * values)
        want = np.power(values.astype(np.float64), 3).astype(dtype)
    np.testing.assert_allclose((x ** 3).asnumpy(), want, rtol=2e-7)
    assert np.signbit((x ** 3).asnumpy()[1])  # (-0) ** 3 is -0
    finite = mx.nd.array(values[np.isfinite(values) & (abs(values) < 1e10)],
                         dtype=dtype)
    finite.attach_grad()
    with mx.autograd.record():
        y = finite ** 3 + finite ** 2
    y.backward()
    f = finite.asnumpy().astype(np.float64)
    np.testing.assert_allclose(finite.grad.asnumpy(), 3 * f * f + 2 * f,
                               rtol=1e-6)
    # In a graph they fuse with their neighbours as products.
    data = mx.sym.var("data")
    executor = ((data ** 3) + 1).simple_bind(mx.cpu(), data=(4,))
    executor.forward(data=mx.nd.array(values[:4], dtype="float32"))
    names = list(executor._forward_programs.values())[0][0].launch_names
    assert any(name.startswith("fused:mul,mul") for name in names), names
    assert not any("pow" in name for name in names), names


def test_half_cube_stays_correctly_rounded():
    # float16 cubes stay on pow: x * x * x rounded twice in half precision
    # is an ulp off on 8% of the values (1.014 ** 3: 1.041, not 1.042).
    values = np.array([1.014, 0.5806, -3.0, 1e-3], dtype=np.float16)
    got = (mx.nd.array(values, dtype="float16") ** 3).asnumpy()
    want = (values.astype(np.float64) ** 3).astype(np.float16)
    np.testing.assert_array_equal(got, want)
