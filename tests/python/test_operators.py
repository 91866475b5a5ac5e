"""mx.nd operators from the C++ registry: results against numpy, MXNet's
semantics where they differ from numpy, and the errors bad calls raise."""
import numpy as np
import pytest

import kiln as mx

RNG = np.random.default_rng(7)


def rand(shape, dtype=np.float32, low=-5, high=5):
    if np.dtype(dtype).kind == "f":
        return RNG.uniform(low, high, size=shape).astype(dtype)
    return RNG.integers(low, high, size=shape).astype(dtype)


BROADCAST_SHAPES = [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((5,), ()),
                    ((0, 3), (1, 3)), ((2, 3, 1, 2), (3, 4, 1))]


@pytest.mark.parametrize("lhs_shape, rhs_shape", BROADCAST_SHAPES)
@pytest.mark.parametrize("name, reference", [
    ("broadcast_add", np.add), ("broadcast_sub", np.subtract),
    ("broadcast_mul", np.multiply), ("broadcast_maximum", np.maximum),
    ("broadcast_minimum", np.minimum)])
def test_broadcast_arithmetic(name, reference, lhs_shape, rhs_shape):
    x, y = rand(lhs_shape), rand(rhs_shape)
    result = getattr(mx.nd, name)(mx.nd.array(x), mx.nd.array(y))
    np.testing.assert_allclose(result.asnumpy(), reference(x, y), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64,
                                   np.int8, np.uint8])
def test_operators_follow_mxnet(dtype):
    x = rand((4, 5), dtype, 1, 9)
    y = rand((5,), dtype, 1, 9)
    a, b = mx.nd.array(x, dtype=dtype), mx.nd.array(y, dtype=dtype)
    np.testing.assert_array_equal((a + b).asnumpy(), x + y)
    np.testing.assert_array_equal((a - b).asnumpy(), (x - y).astype(dtype))
    np.testing.assert_array_equal((a * b).asnumpy(), (x * y).astype(dtype))
    if np.dtype(dtype).kind == "f":
        np.testing.assert_allclose((a / b).asnumpy(), x / y, rtol=1e-6)
    else:
        # MXNet divides integers truncating toward zero.
        np.testing.assert_array_equal((a / b).asnumpy(),
                                      np.trunc(x / y).astype(dtype))
    # Comparisons give 1/0 in the operands' dtype, not bool.
    greater = (a > b).asnumpy()
    assert greater.dtype == dtype
    np.testing.assert_array_equal(greater, (x > y).astype(dtype))
    assert (a == a).asnumpy().all()


def test_scalar_operators_and_reflections():
    x = rand((3, 4), low=1, high=5)
    a = mx.nd.array(x)
    cases = [(a + 2, x + 2), (2 + a, 2 + x), (a - 1.5, x - 1.5),
             (1.5 - a, 1.5 - x), (a * 3, x * 3), (3 * a, 3 * x),
             (a / 4, x / 4), (4 / a, 4 / x), (a ** 2, x ** 2),
             (2 ** a, 2 ** x), (a % 1.5, np.mod(x, 1.5)),
             (7 % a, np.mod(7, x)), (-a, -x), (abs(-a), x),
             (a > 2.5, (x > 2.5).astype(np.float32)),
             (a == a, np.ones_like(x))]
    for got, expected in cases:
        np.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-5)


def test_integer_scalars_take_the_array_dtype():
    a = mx.nd.array([7, -7, 5], dtype="int32")
    # MXNet converts the scalar to the array's type: 2.9 acts as 2.
    np.testing.assert_array_equal((a / 2.9).asnumpy(), [3, -3, 2])
    np.testing.assert_array_equal((a % 3).asnumpy(), [1, 2, 2])  # Python's sign


def test_inplace_operators_write_into_the_array():
    x = rand((3, 4))
    a = mx.nd.array(x)
    alias = a
    a += 1
    a *= mx.nd.array(np.full((4,), 2, dtype=np.float32))
    assert a is alias
    np.testing.assert_allclose(a.asnumpy(), (x + 1) * 2, rtol=1e-6)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid",
                                  "abs", "square", "relu", "sign", "floor",
                                  "ceil", "reciprocal", "expm1", "log1p",
                                  "sin", "cos", "rsqrt", "negative"])
def test_unary_math(name):
    x = rand((4, 7), low=0.1, high=4)
    reference = {
        "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "relu": lambda v: np.maximum(v, 0),
        "rsqrt": lambda v: 1 / np.sqrt(v), "negative": np.negative,
        "reciprocal": np.reciprocal}.get(name, getattr(np, name, None))
    got = getattr(mx.nd, name)(mx.nd.array(x)).asnumpy()
    np.testing.assert_allclose(got, reference(x), rtol=2e-6, atol=1e-7)


def test_float_math_on_integers_truncates_like_mxnet():
    a = mx.nd.array([4, 5, 10], dtype="int32")
    result = mx.nd.sqrt(a)
    assert result.dtype == np.int32
    np.testing.assert_array_equal(result.asnumpy(), [2, 2, 3])


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (1, 2, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(name, axis, keepdims):
    x = rand((3, 4, 5), low=0.5, high=1.5)
    result = getattr(mx.nd, name)(mx.nd.array(x), axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    if np.ndim(expected) == 0:
        expected = np.reshape(expected, (1,))  # MXNet has no rank 0 here
    assert result.shape == expected.shape
    np.testing.assert_allclose(result.asnumpy(), expected, rtol=1e-5)


def test_reduction_exclude_and_methods():
    x = rand((3, 4, 5))
    a = mx.nd.array(x)
    np.testing.assert_allclose(mx.nd.sum(a, axis=1, exclude=True).asnumpy(),
                               x.sum(axis=(0, 2)), rtol=1e-5)
    np.testing.assert_allclose(a.mean(axis=(0, 1)).asnumpy(),
                               x.mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_array_equal(
        mx.nd.mean(mx.nd.array([1, 2, 4], dtype="int32")).asnumpy(), [2])


@pytest.mark.parametrize("dtype", ["int32", "float16", "float64", "int64", "uint8", "float32"])
def test_argmax_indices_have_the_input_dtype(dtype):
    # Measured with mxnet==1.9.1: argmax/argmin keep the input's dtype.
    x = mx.nd.array([[1, 5, 2]], dtype=dtype)
    assert mx.nd.argmax(x, axis=1).dtype == np.dtype(dtype).type
    assert mx.nd.argmin(x).dtype == np.dtype(dtype).type
    assert mx.nd.argmax(x, axis=1).asnumpy().tolist() == [1]


def test_empty_axis_tuple_reduces_everything():
    # Measured with mxnet==1.9.1: axis=() is every axis, exclude or not.
    x = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    assert mx.nd.sum(x, axis=()).asnumpy().tolist() == [21]
    assert mx.nd.max(x, axis=()).asnumpy().tolist() == [6]
    assert mx.nd.mean(x, axis=()).asnumpy().tolist() == [3.5]
    assert mx.nd.sum(x, axis=(), keepdims=True).shape == (1, 1)
    assert mx.nd.sum(x, axis=(), exclude=True).asnumpy().tolist() == [21]


def test_argmax_gives_float32_indices():
    x = rand((4, 6))
    a = mx.nd.array(x)
    result = a.argmax(axis=1)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result.asnumpy(), x.argmax(axis=1))
    np.testing.assert_array_equal(mx.nd.argmin(a, axis=0).asnumpy(),
                                  x.argmin(axis=0))
    flat = mx.nd.argmax(a)
    assert flat.shape == (1,)
    assert flat.asnumpy()[0] == x.argmax()


@pytest.mark.parametrize("lhs_shape, rhs_shape, ta, tb", [
    ((3, 4), (4, 5), False, False), ((4, 3), (4, 5), True, False),
    ((3, 4), (5, 4), False, True), ((4,), (4,), False, False),
    ((4,), (4, 2), False, False), ((3, 4), (4,), False, False),
    ((2, 3, 4), (4, 5), False, False), ((2, 3, 4), (4, 5, 2), False, False)])
def test_dot(lhs_shape, rhs_shape, ta, tb):
    x, y = rand(lhs_shape), rand(rhs_shape)
    result = mx.nd.dot(mx.nd.array(x), mx.nd.array(y), transpose_a=ta,
                       transpose_b=tb)
    left = x.T if ta else x
    right = y.T if tb else y
    expected = np.tensordot(left, right, axes=([left.ndim - 1], [0]))
    if np.ndim(expected) == 0:
        expected = np.reshape(expected, (1,))
    assert result.shape == expected.shape
    np.testing.assert_allclose(result.asnumpy(), expected, rtol=1e-4, atol=1e-5)


def test_astype_and_cast():
    a = mx.nd.array([1.7, -2.5, 300.0])
    np.testing.assert_array_equal(a.astype("int32").asnumpy(), [1, -2, 300])
    assert a.astype(np.float64).dtype == np.float64
    assert a.astype("float32", copy=False) is a
    np.testing.assert_array_equal(mx.nd.cast(a, dtype="uint8").asnumpy(),
                                  np.array([1, -2, 300]).astype(np.uint8))


def test_out_argument():
    x, y = rand((3, 4)), rand((3, 4))
    out = mx.nd.array(np.zeros((3, 4), dtype=np.float32))
    returned = mx.nd.broadcast_add(mx.nd.array(x), mx.nd.array(y), out=out)
    np.testing.assert_allclose(out.asnumpy(), x + y, rtol=1e-6)
    np.testing.assert_allclose(returned.asnumpy(), x + y, rtol=1e-6)


def test_generated_functions_have_mxnet_signatures():
    doc = mx.nd.sum.__doc__
    assert doc.startswith("sum(data, axis=None, keepdims=False, exclude=False, out=None, name=None)")
    import mxnet
    assert mxnet.nd.broadcast_add is mx.nd.broadcast_add


@pytest.mark.parametrize("call, message", [
    (lambda: mx.nd.array([[1, 2]]) + mx.nd.array([1, 2, 3]),
     r"broadcast_add: operands could not be broadcast together with shapes \(1, 2\) and \(3,\)"),
    (lambda: mx.nd.array([1.0]) + mx.nd.array([1], dtype="int32"),
     "broadcast_add: operands must have the same dtype, got float32 and int32"),
    (lambda: mx.nd.sum(mx.nd.array([[1.0]]), axis=2),
     "sum: axis 2 is out of range for an array of rank 2"),
    (lambda: mx.nd.sum(mx.nd.array([[1.0]]), axis=(0, 0)),
     "sum: axis 0 is repeated"),
    (lambda: mx.nd.sum(mx.nd.array([1.0]), axes=0),
     "sum: unknown argument 'axes'; expected one of: axis, keepdims, exclude"),
    (lambda: mx.nd.sum(mx.nd.array([1.0]), keepdims="maybe"),
     "sum: argument 'keepdims' expected a boolean, got 'maybe'"),
    (lambda: mx.nd.cast(mx.nd.array([1.0]), dtype="complex64"),
     "cast: argument 'dtype' expected a dtype name"),
    (lambda: mx.nd.cast(mx.nd.array([1.0])), "cast: missing required argument 'dtype'"),
    (lambda: mx.nd.dot(mx.nd.array([[1.0, 2.0]]), mx.nd.array([[1.0, 2.0]])),
     r"dot: shapes \(1, 2\) and \(1, 2\) do not align"),
    (lambda: mx.nd.dot(mx.nd.array([1], dtype="int32"), mx.nd.array([1], dtype="int32")),
     "dot: expected a floating-point array, got int32"),
    (lambda: mx.nd.elemwise_add(mx.nd.array([1.0]), mx.nd.array([1.0, 2.0])),
     r"elemwise_add: operands must have the same shape, got lhs \(1,\) and rhs "
     r"\(2,\) \(elemwise ops do not broadcast, as in MXNet; broadcast_add does\)"),
    (lambda: mx.nd.elemwise_mul(mx.nd.ones((2, 3)), mx.nd.ones((2, 1))),
     r"elemwise_mul: .* rhs \(2, 1\) \(elemwise ops do not broadcast, as in MXNet; "
     r"broadcast_mul does\)"),
    (lambda: mx.nd.exp(), "exp: missing input 'data'"),
    (lambda: mx.nd.broadcast_add(mx.nd.array([1.0, 2.0]), mx.nd.array([1.0, 2.0]),
                                 out=mx.nd.array([0.0])),
     r"broadcast_add: out has shape \(1,\), expected \(2,\)"),
])
def test_bad_calls_raise_mxnet_error(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()


@pytest.mark.parametrize("codes, reverse, expected", [
    ((0, -1), False, (2, 12)), ((-3, 4), False, (6, 4)),
    ((-4, 1, 2, -2), False, (1, 2, 3, 4)), ((6, -1), False, (6, 4)),
    ((-1,), False, (24,)), ((-1, 4), True, (6, 4)), ((4, -1), True, (4, 6)),
    ((2, -2), False, (2, 3, 4)), ((-4, -1, 1, 0, 0), False, (2, 1, 3, 4))])
def test_reshape_codes_follow_mxnet(codes, reverse, expected):
    # Expected shapes from Apache MXNet 1.9.1.
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    result = mx.nd.array(x).reshape(codes, reverse=reverse)
    assert result.shape == expected
    np.testing.assert_array_equal(result.asnumpy(), x.reshape(expected))


def test_views_read_and_compute_like_numpy():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    a = mx.nd.array(x)
    np.testing.assert_array_equal(a.T.asnumpy(), x.T)
    np.testing.assert_array_equal(a.transpose((1, 0, 2)).asnumpy(), x.transpose(1, 0, 2))
    np.testing.assert_array_equal((a.T + 1).asnumpy(), x.T + 1)
    np.testing.assert_array_equal(a.T.reshape((4, 6)).asnumpy(), x.T.reshape(4, 6))
    np.testing.assert_array_equal(a.swapaxes(0, 2).asnumpy(), x.swapaxes(0, 2))
    assert a.expand_dims(1).shape == (2, 1, 3, 4)
    assert a.expand_dims(-1).shape == (2, 3, 4, 1)
    assert mx.nd.ones((1, 3, 1)).squeeze().shape == (3,)
    assert mx.nd.ones((1, 3, 1)).squeeze(axis=0).shape == (3, 1)
    assert mx.nd.ones((1, 1)).squeeze().shape == (1,)  # MXNet keeps one axis
    np.testing.assert_array_equal(a.flatten().asnumpy(), x.reshape(2, 12))


def test_views_share_data_with_their_array():
    a = mx.nd.zeros((2, 3))
    view = a.reshape((3, 2))
    view += 1  # writes through to a
    np.testing.assert_array_equal(a.asnumpy(), np.ones((2, 3)))


@pytest.mark.parametrize("call, message", [
    (lambda: mx.nd.ones((2, 3)).reshape((4, -1)), "reshape: cannot reshape"),
    (lambda: mx.nd.ones((2, 3)).reshape((-1, -1)), "more than one -1"),
    (lambda: mx.nd.ones((2, 3)).transpose((0, 0)), "transpose: axis 0 is repeated"),
    (lambda: mx.nd.ones((2, 3)).transpose((0,)), "must list each of the 2 axes once"),
    (lambda: mx.nd.ones((2, 3)).squeeze(axis=1), "squeeze: axis 1 has extent 3, not 1"),
    (lambda: mx.nd.ones((2, 3)).expand_dims(5), "expand_dims: axis 5 is out of range"),
])
def test_bad_shape_calls(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("shape, axis", [((4, 5), -1), ((4, 5), 0),
                                         ((2, 3, 6), 1), ((7,), 0),
                                         ((300, 257), -1)])
def test_softmax_and_log_softmax(shape, axis):
    x = rand(shape)
    a = mx.nd.array(x)
    np.testing.assert_allclose(mx.nd.softmax(a, axis=axis).asnumpy(),
                               _softmax(x, axis), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(mx.nd.log_softmax(a, axis=axis).asnumpy(),
                               np.log(_softmax(x, axis)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        mx.nd.softmax(a, axis=axis, temperature=2.0).asnumpy(),
        _softmax(x / 2.0, axis), rtol=1e-5, atol=1e-7)


def test_clip_where_take():
    x = rand((4, 5))
    a = mx.nd.array(x)
    np.testing.assert_array_equal(mx.nd.clip(a, -0.5, 0.5).asnumpy(),
                                  np.clip(x, -0.5, 0.5))
    np.testing.assert_array_equal(mx.nd.where(a > 0, a, -a).asnumpy(), np.abs(x))
    rows = mx.nd.array([1, 0, 1, 0])  # MXNet's 1-D condition picks rows
    np.testing.assert_array_equal(mx.nd.where(rows, a, -a).asnumpy(),
                                  np.where(np.array([1, 0, 1, 0])[:, None] != 0, x, -x))
    np.testing.assert_array_equal(mx.nd.take(a, mx.nd.array([0, 3, 7])).asnumpy(),
                                  x[[0, 3, 3]])  # clipped
    wrapped = mx.nd.take(a, mx.nd.array([[1, -1]]), axis=1, mode="wrap")
    assert wrapped.shape == (4, 1, 2)
    np.testing.assert_array_equal(wrapped.asnumpy()[:, 0, :], x[:, [1, 4]])


@pytest.mark.parametrize("call, message", [
    (lambda: mx.nd.softmax(mx.nd.array([[1.0]]), axis=2), "softmax: axis 2 is out of range"),
    (lambda: mx.nd.softmax(mx.nd.array([1], dtype="int32")), "softmax: expected a floating-point array"),
    (lambda: mx.nd.softmax(mx.nd.array([1.0]), temperature=0), "temperature must be positive"),
    # Non-finite temperatures are invalid parameters (MXNet 1.9.1), not
    # kernel source the compiler cannot parse.
    (lambda: mx.nd.softmax(mx.nd.array([1.0]), temperature=float("nan")),
     "softmax: temperature expected a finite positive value, got nan"),
    (lambda: mx.nd.log_softmax(mx.nd.array([1.0]), temperature=float("inf")),
     "log_softmax: temperature expected a finite positive value, got inf"),
    (lambda: mx.nd.clip(mx.nd.array([1.0]), 2, 1), r"clip: a_min \(2\) must not exceed a_max \(1\)"),
    (lambda: mx.nd.where(mx.nd.array([1.0, 0.0]), mx.nd.array([1.0]), mx.nd.array([1.0])),
     "where: condition must have x's shape"),
    (lambda: mx.nd.take(mx.nd.array([1.0]), mx.nd.array([3.0]), mode="raise"),
     r"take: index 3 is out of bounds for axis 0 with size 1 \(mode 'raise'\)"),
])
def test_bad_neural_calls(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()


def test_bad_arguments_raise_what_mxnet_raises():
    # As mxnet==1.9.1's generated functions: an input that is no NDArray
    # fails their assertion; positional values past the attributes are out
    # and name, so clip(x, 0, 1, 2) has out=2 (TypeError).
    with pytest.raises(AssertionError, match="rhs must have NDArray type, but got int"):
        mx.nd.broadcast_add(mx.nd.array([1.0]), 2)
    with pytest.raises(TypeError, match="clip: out expected an NDArray"):
        mx.nd.clip(mx.nd.array([1.0]), 0, 1, 2)
    with pytest.raises(TypeError, match="takes at most 5 positional arguments"):
        mx.nd.clip(mx.nd.array([1.0]), 0, 1, None, "name", 3)
    out = mx.nd.zeros((2,))
    mx.nd.relu(mx.nd.array([-1.0, 2.0]), out)
    np.testing.assert_array_equal(out.asnumpy(), [0, 2])


@pytest.mark.parametrize("call, message", [
    (lambda: mx.nd.pick(mx.nd.array([[1.0]]), mx.nd.array([0.0]), mode="raise"),
     "pick: mode expected 'clip' or 'wrap', got 'raise'"),
    (lambda: mx.nd.pad(mx.nd.ones((1, 1, 2, 2)), mode="wrap", pad_width=(0, 0, 0, 0, 1, 1, 1, 1)),
     "pad: mode expected 'constant', 'edge' or 'reflect', got 'wrap'"),
])
def test_attributes_outside_their_choices(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()


def test_concat_stack_one_hot():
    x, y = rand((2, 3)), rand((4, 3))
    np.testing.assert_array_equal(
        mx.nd.concat(mx.nd.array(x), mx.nd.array(y), dim=0).asnumpy(),
        np.concatenate([x, y], axis=0))
    np.testing.assert_array_equal(
        mx.nd.concat(mx.nd.array(x), mx.nd.array(x), num_args=2).asnumpy(),
        np.concatenate([x, x], axis=1))
    # A transposed view joins like any array.
    np.testing.assert_array_equal(
        mx.nd.concat(mx.nd.array(y).T, mx.nd.array(x.T), dim=1).asnumpy(),
        np.concatenate([y.T, x.T], axis=1))
    for axis in (0, 1, 2, -1):
        np.testing.assert_array_equal(
            mx.nd.stack(mx.nd.array(x), mx.nd.array(x * 2), axis=axis).asnumpy(),
            np.stack([x, x * 2], axis=axis))
    indices = np.array([1, 0, 5, 2, -1], dtype=np.float32)
    expected = np.zeros((5, 3), dtype=np.float32)
    for row, index in enumerate(indices.astype(int)):
        if 0 <= index < 3:
            expected[row, index] = 1
    np.testing.assert_array_equal(mx.nd.one_hot(mx.nd.array(indices), 3).asnumpy(),
                                  expected)
    typed = mx.nd.one_hot(mx.nd.array([[1], [2]]), depth=4, on_value=7,
                          off_value=-1, dtype="int32")
    assert typed.shape == (2, 1, 4) and typed.dtype == np.int32
    np.testing.assert_array_equal(typed.asnumpy()[:, 0, :],
                                  [[-1, 7, -1, -1], [-1, -1, 7, -1]])


@pytest.mark.parametrize("call, message", [
    (lambda: mx.nd.concat(mx.nd.ones((2, 3)), mx.nd.ones((3, 3)), dim=1),
     r"concat: array 1 has shape \(3, 3\), which does not match \(2, 3\) off dimension 1"),
    (lambda: mx.nd.concat(mx.nd.ones(2), mx.nd.ones(2, dtype="int32"), dim=0),
     "concat: array 1 has dtype int32, expected float32"),
    (lambda: mx.nd.concat(), "concat: expected one or more input arrays, got 0"),
    (lambda: mx.nd.stack(mx.nd.ones(2), mx.nd.ones(3)), r"stack: array 1 has shape \(3,\)"),
    (lambda: mx.nd.one_hot(mx.nd.array([1.0]), -1), "one_hot: depth must not be negative"),
])
def test_bad_join_calls(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_contiguous_kernels_stream_correctly(dtype):
    # Over 8 MB of output: the streaming variant (rank 1, non-temporal
    # stores, 64-byte-aligned slices); odd sizes leave a ragged last slice.
    n = (1 << 21) + 13
    x = (RNG.random(n) + 0.5).astype(dtype)
    y = RNG.random(n).astype(dtype)
    a, b = mx.nd.array(x, dtype=dtype), mx.nd.array(y, dtype=dtype)
    np.testing.assert_allclose(mx.nd.exp(a).asnumpy(), np.exp(x), rtol=1e-6)
    np.testing.assert_allclose(mx.nd.log(a).asnumpy(), np.log(x), rtol=1e-6)
    np.testing.assert_allclose((a * b + 2).asnumpy(), x * y + 2, rtol=1e-6)
    a2 = a.reshape((n,))
    a2 += b  # in place: reads and streams back the same memory
    np.testing.assert_allclose(a2.asnumpy(), x + y, rtol=1e-6)
    # A misaligned output (a view one element in) takes the general kernel.
    big = mx.nd.zeros((n + 1,), dtype=dtype)
    mx.nd.exp(b, out=big[1:])
    np.testing.assert_allclose(big.asnumpy()[1:], np.exp(y), rtol=1e-6)
    assert big.asnumpy()[0] == 0
    # 2-D contiguous arrays stream as rank 1 too.
    m = mx.nd.array(x[: 1 << 21].reshape(1024, 2048), dtype=dtype)
    np.testing.assert_allclose(mx.nd.sqrt(m).asnumpy(), np.sqrt(x[: 1 << 21]).reshape(1024, 2048),
                               rtol=1e-6)


@pytest.mark.parametrize("source", ["float64", "int64", "int32", "float32", "bool"])
@pytest.mark.parametrize("count", [3, 5000, 3000000])
def test_cast_to_float16_rounds_once_at_every_size(source, count):
    # float64 -> float16 once needed a libgcc routine the JIT could not find
    # (__truncdfhf2), and the failed kernel then broke every later compile.
    if source == "bool":
        values = np.arange(count) % 2
    else:
        values = np.linspace(-70000, 70000, count)
    x = mx.nd.array(values, dtype=source)
    with np.errstate(over="ignore"):
        expected = x.asnumpy().astype(np.float16)
    np.testing.assert_array_equal(x.astype("float16").asnumpy(), expected)


def test_rank_one_broadcast_and_plain_operands_use_their_own_kernels():
    # Their kernel signatures once had one key: x - [1, 2, 3] ran the kernel
    # compiled for x - [1].
    x = mx.nd.array([5.0, 7.0, 9.0])
    np.testing.assert_array_equal((x - mx.nd.array([1.0])).asnumpy(), [4, 6, 8])
    np.testing.assert_array_equal((x - mx.nd.array([1.0, 2.0, 3.0])).asnumpy(), [4, 5, 6])
    np.testing.assert_array_equal((mx.nd.array([1.0, 2.0]) <= mx.nd.array([1.0, 2.1])).asnumpy(),
                                  [1, 1])


def test_out_is_returned_itself_as_mxnet_does():
    x = mx.nd.array([-1.0, 2.0])
    out = mx.nd.zeros((2,))
    assert mx.nd.relu(x, out=out) is out
    assert mx.nd.concat(x, x, dim=0, out=mx.nd.zeros((4,))).shape == (4,)
    both = mx.nd.zeros((4,))
    assert mx.nd.concat(x, x, dim=0, out=both) is both
    np.testing.assert_array_equal(out.asnumpy(), [0, 2])


def test_split_and_topk_both_write_into_out_as_mxnet():
    # Measured with mxnet==1.9.1: the given arrays are filled and returned.
    x = mx.nd.array([[1, 2], [3, 4], [5, 6], [7, 8]])
    o1, o2 = mx.nd.zeros((2, 2)), mx.nd.zeros((2, 2))
    parts = mx.nd.split(x, num_outputs=2, axis=0, out=[o1, o2])
    assert parts[0] is o1 and parts[1] is o2
    assert o2.asnumpy().tolist() == [[5, 6], [7, 8]]
    values, indices = mx.nd.zeros((4, 1)), mx.nd.zeros((4, 1))
    got = mx.nd.topk(x, k=1, ret_typ="both", out=[values, indices])
    assert got[0] is values and got[1] is indices
    assert values.asnumpy().ravel().tolist() == [2, 4, 6, 8]
    assert indices.asnumpy().ravel().tolist() == [1, 1, 1, 1]
    with pytest.raises(mx.MXNetError, match="split: out expected 2"):
        mx.nd.split(x, num_outputs=2, axis=0, out=[o1])


def test_transpose_method_takes_axes_as_keyword():
    x = mx.nd.array(np.arange(6).reshape(2, 3))
    assert x.transpose(axes=(1, 0)).shape == (3, 2)
    assert x.transpose(1, 0).shape == (3, 2)
    assert x.transpose((1, 0)).shape == (3, 2)
    assert x.transpose().shape == (3, 2)


def test_numpy_scalars_on_the_left_give_ndarrays_and_keep_gradients():
    # Measured with mxnet==1.9.1: NDArray results, and x.grad = [3, 3].
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.sum(np.float32(3.0) * x)
    y.backward()
    assert x.grad.asnumpy().tolist() == [3, 3]
    assert isinstance(np.float64(2) * x, mx.nd.NDArray)
    assert isinstance(np.int64(1) + x, mx.nd.NDArray)
    assert isinstance(np.float32(1) - x, mx.nd.NDArray)
    assert (np.float32(6) / x).asnumpy().tolist() == [6, 3]
    # A numpy array with an NDArray is a TypeError, as in MXNet.
    with pytest.raises(TypeError):
        x + np.array([1.0, 1.0])
    with pytest.raises(TypeError):
        np.array([1.0, 1.0]) + x
    # ... while converting explicitly still works.
    assert np.asarray(x).tolist() == [1, 2]


def test_version_is_the_mxnet_api_version():
    assert mx.__version__ == "1.9.1"


def test_pad_legacy_name():
    # MXNet 1.9.1 registers pad as Pad too.
    x = mx.nd.array(np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2))
    got = mx.nd.Pad(x, mode="constant", pad_width=(0, 0, 0, 0, 1, 1, 1, 1))
    np.testing.assert_array_equal(
        got.asnumpy(), np.pad(x.asnumpy(), ((0, 0), (0, 0), (1, 1), (1, 1))))


def test_concat_and_stack_of_many_arrays_are_joins_of_few():
    """Joins of many arrays compile a handful of kernels (a tree of joins of
    at most 8), so 150 inputs take well under a second, not a minute."""
    import time
    arrays = [mx.nd.ones((3, 2)) * i for i in range(150)]
    start = time.perf_counter()
    joined = mx.nd.concat(*arrays, dim=0)
    stacked = mx.nd.stack(*arrays[:100], axis=1)
    expected = np.repeat(np.arange(150, dtype=np.float32), 3)[:, None] * \
        np.ones((1, 2), np.float32)
    np.testing.assert_array_equal(joined.asnumpy(), expected)
    np.testing.assert_array_equal(stacked.asnumpy()[0, :, 0],
                                  np.arange(100, dtype=np.float32))
    assert time.perf_counter() - start < 30
    x = [mx.nd.ones((2,)) * i for i in range(20)]
    for a in x:
        a.attach_grad()
    with mx.autograd.record():
        y = (mx.nd.concat(*x, dim=0) * mx.nd.arange(40)).sum()
    y.backward()
    np.testing.assert_array_equal(x[19].grad.asnumpy(), [38.0, 39.0])
