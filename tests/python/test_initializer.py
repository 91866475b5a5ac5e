"""mx.initializer (mx.init) against Apache MXNet 1.9.1.

Deterministic initializers (Zero, One, Constant, Bilinear, LSTMBias, the
name rules, the legacy rules, ``__init__`` attributes, FusedRNN's packing,
Load, Mixed) fill the same arrays as MXNet, to the bit. Random ones draw
with the same arguments as MXNet (each Xavier/MSRAPrelu scale, captured on
both sides), follow their distribution, and repeat under mx.random.seed.
dumps()/create() round-trip and write MXNet's JSON; bad input raises
MXNet's error classes (and its messages, where it has useful ones).
"""
import logging
import re
import textwrap
import warnings

import numpy as np
import pytest

import kiln as mx
import kiln.initializer  # noqa: F401  (attaches mx.initializer)

from mxnet_oracle import requires_oracle, run_both, run_mxnet

I = mx.initializer

# A registered initializer whose values depend on the name and position, so
# a piece put in the wrong place, or given the wrong name, shows.
STAMP = """
I = mx.initializer
D = I.InitDesc
class Stamp(I.Initializer):
    def _code(self, name, arr):
        return (np.arange(arr.size).reshape(arr.shape) % 97) * 0.01 + \\
            sum(map(ord, name)) % 89
    def _init_weight(self, name, arr):
        arr[:] = self._code(name, arr)
    def _init_bias(self, name, arr):
        arr[:] = -self._code(name, arr)
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    I.register(Stamp)
"""

DETERMINISTIC = STAMP + """
import warnings
warnings.simplefilter("ignore", DeprecationWarning)
def fill(key, init, desc, shape, dtype="float32"):
    arr = mx.nd.zeros(shape, dtype=dtype)
    init(desc, arr)
    outputs[key] = arr.asnumpy()

fill("zero", I.Zero(), D("fc_weight"), (3, 4))
fill("one", I.One(), D("fc_weight"), (3, 4))
fill("constant", I.Constant(2.5), D("fc_weight"), (2, 3), "float64")
fill("constant_list", I.Constant([1., 2., 3.]), D("fc_weight"), (2, 3))
fill("constant_nd", I.Constant(mx.nd.array([[1, 2, 3], [4, 5, 6]])),
     D("fc_weight"), (2, 3))
for suffix in ("bias", "gamma", "beta", "min", "max"):
    fill("uniform_" + suffix, I.Uniform(), D("x_" + suffix), (5,))
fill("xavier_bias", I.Xavier(), D("conv_bias"), (4,), "float64")
fill("msra_gamma", I.MSRAPrelu(), D("bn_gamma"), (4,))
for shape in [(2, 3, 4, 4), (1, 1, 5, 5), (2, 1, 3, 6), (1, 2, 3, 2, 2)]:
    fill("bilinear_%s" % (shape,), I.Bilinear(), D("up_weight"), shape)
fill("bilinear_f64", I.Bilinear(), D("up_weight"), (1, 1, 7, 7), "float64")
for forget, size in [(2.0, 12), (1.0, 10), (-0.5, 4)]:
    attrs = {"__init__": I.LSTMBias(forget).dumps()}
    fill("lstmbias_%s_%d" % (forget, size), I.Uniform(),
         D("lstm_i2h_bias", attrs=attrs), (size,))
fill("lstmbias_by_name", I.LSTMBias(3.0), D("lstm_bias"), (8,))
fill("attr_constant", I.Uniform(),
     D("anything", attrs={"__init__": I.Constant(3).dumps()}), (2, 2))
fill("attr_zeros", I.Normal(), D("bn_moving_mean", attrs={"__init__":
                                                         "zeros"}), (3,))
fill("attr_one_json", I.Normal(), D("bn_moving_var", attrs={"__init__":
                                                           '["one", {}]'}),
     (3,))
# The legacy rules (a plain str name).
for name, shape in [("upsampling0_weight", (1, 1, 4, 4)),
                    ("stn_loc_weight", (6, 5)), ("stn_loc_bias", (6,)),
                    ("bn_moving_mean", (3,)), ("bn_moving_var", (3,)),
                    ("bn_moving_inv_var", (3,)), ("x_moving_avg", (3,)),
                    ("q_min", (2,)), ("q_max", (2,)), ("fc_bias", (2,)),
                    ("bn_gamma", (2,)), ("bn_beta", (2,)),
                    ("fc_weight", (2, 3))]:
    fill("legacy_" + name, Stamp(), name, shape)

def fused_size(mode, layers, bidirectional, inputs, hidden):
    gates = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}[mode]
    b = 2 if bidirectional else 1
    return ((inputs + hidden + 2) * hidden * gates * b +
            (layers - 1) * gates * hidden * (hidden + b * hidden + 2) * b)
for mode, layers, bi, inputs, hidden in [("lstm", 2, True, 3, 2),
                                         ("gru", 1, False, 5, 3),
                                         ("rnn_tanh", 3, True, 2, 4),
                                         ("rnn_relu", 1, False, 4, 2),
                                         ("lstm", 1, False, 6, 3)]:
    size = fused_size(mode, layers, bi, inputs, hidden)
    key = "fused_%s_%d_%s" % (mode, layers, bi)
    fused = I.FusedRNN(None, hidden, layers, mode, bi, forget_bias=1.5)
    fill(key + "/global", Stamp(),
         D("rnn_parameters", attrs={"__init__": fused.dumps()}), (size,))
    fused = I.FusedRNN(Stamp(), hidden, layers, mode, bi)
    arr = mx.nd.zeros((size,))
    fused._init_weight(D("rnn_parameters", global_init=I.One()), arr)
    outputs[key + "/init"] = arr.asnumpy()

saved = {"arg:fc_weight": mx.nd.array(np.arange(6).reshape(2, 3)),
         "aux:bn_moving_mean": mx.nd.array([7., 8.]),
         "plain": mx.nd.array([[9.]])}
load = I.Load(saved, default_init=I.Constant(-1.))
for name, shape in [("fc_weight", (2, 3)), ("bn_moving_mean", (2,)),
                    ("plain", (1, 1)), ("other_weight", (2, 2))]:
    fill("load_" + name, load, D(name), shape)
mixed = I.Mixed([".*bias", "fc_.*", ".*"],
                [I.Constant(7.), I.Load(saved, I.One()), I.Zero()])
for name, shape in [("fc_bias", (3,)), ("fc_weight", (2, 3)),
                    ("fc_gamma", (2,)), ("conv_weight", (2, 2)),
                    ("fcx_weight", (2,))]:
    fill("mixed_" + name, mixed, D(name), shape)
"""


@requires_oracle
def test_deterministic_initializers_match_mxnet():
    got, want = run_both(DETERMINISTIC, mx)
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        assert got[key].dtype == want[key].dtype, key
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


# Captures the arguments each initializer passes to mx.random.uniform and
# mx.random.normal (the low/high or loc/scale: the Xavier scale formula).
CAPTURED_SCALES = """
I = mx.initializer
seen = []
def capture(kind, draw):
    def wrapper(a, b, shape=None, *args, **kwargs):
        seen.append((kind, float(a), float(b), tuple(shape)))
        return draw(a, b, shape, *args, **kwargs)
    return wrapper
uniform, normal = mx.random.uniform, mx.random.normal
mx.random.uniform = capture(0, uniform)
mx.random.normal = capture(1, normal)
try:
    shapes = [(64, 32), (16, 8, 3, 3), (10, 20, 5), (7, 3, 1, 1, 2), (1, 9)]
    inits = [I.Uniform(0.3), I.Normal(0.5), I.Uniform(), I.Normal()]
    for rnd in ("uniform", "gaussian"):
        for factor in ("avg", "in", "out"):
            for magnitude in (3, 2.34):
                inits.append(I.Xavier(rnd, factor, magnitude))
    for factor in ("avg", "in", "out"):
        for slope in (0.25, 0.0, 1.5):
            inits.append(I.MSRAPrelu(factor, slope))
    for init in inits:
        for shape in shapes:
            init(I.InitDesc("w_weight"), mx.nd.zeros(shape))
finally:
    mx.random.uniform, mx.random.normal = uniform, normal
outputs["seen"] = np.array([s[:3] for s in seen])
outputs["shapes"] = np.array([str(s[3]) for s in seen])
"""


@requires_oracle
def test_random_initializers_draw_with_mxnets_scales():
    got, want = run_both(CAPTURED_SCALES, mx)
    np.testing.assert_array_equal(got["shapes"], want["shapes"])
    np.testing.assert_allclose(got["seen"], want["seen"], rtol=1e-15)
    assert len(want["seen"]) == 25 * 5


def xavier_scale(shape, factor_type, magnitude):
    receptive = np.prod(shape[2:]) if len(shape) > 2 else 1
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    factor = {"avg": (fan_in + fan_out) / 2, "in": fan_in,
              "out": fan_out}[factor_type]
    return np.sqrt(magnitude / factor)


def filled(init, shape, name="w_weight", dtype="float32"):
    arr = mx.nd.zeros(shape, dtype=dtype)
    init(I.InitDesc(name), arr)
    return arr.asnumpy()


def assert_uniform(values, bound):
    assert values.min() >= -bound and values.max() < bound
    assert values.max() > 0.98 * bound and values.min() < -0.98 * bound
    assert abs(values.mean()) < 0.02 * bound
    assert values.std() == pytest.approx(bound / np.sqrt(3), rel=0.03)


def assert_normal(values, sigma):
    assert abs(values.mean()) < 0.02 * sigma
    assert values.std() == pytest.approx(sigma, rel=0.03)
    assert np.abs(values).max() > 3 * sigma  # a normal tail, not uniform


@pytest.mark.parametrize("shape", [(256, 128), (64, 32, 3, 3), (96, 50, 7)])
@pytest.mark.parametrize("factor_type", ["avg", "in", "out"])
def test_xavier_and_msra_distributions(shape, factor_type):
    scale = xavier_scale(shape, factor_type, 3)
    assert_uniform(filled(I.Xavier("uniform", factor_type), shape), scale)
    scale = xavier_scale(shape, factor_type, 2.34)
    assert_normal(filled(I.Xavier("gaussian", factor_type, 2.34), shape),
                  scale)
    scale = xavier_scale(shape, factor_type, 2. / (1 + 0.5 ** 2))
    assert_normal(filled(I.MSRAPrelu(factor_type, 0.5), shape), scale)


def test_uniform_and_normal_distributions():
    assert_uniform(filled(I.Uniform(0.3), (300, 400)), 0.3)
    assert_uniform(filled(I.Uniform(), (300, 400)), 0.07)
    assert_normal(filled(I.Normal(0.5), (300, 400)), 0.5)
    assert_normal(filled(I.Normal(), (300, 400)), 0.01)


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_random_initializers_keep_the_dtype(dtype):
    for init, check in [(I.Uniform(0.5), assert_uniform),
                        (I.Xavier("gaussian"), assert_normal)]:
        arr = mx.nd.zeros((200, 300), dtype=dtype)
        init(I.InitDesc("w_weight"), arr)
        assert arr.dtype == np.dtype(dtype)
        values = arr.asnumpy().astype(np.float64)
        if isinstance(init, I.Uniform):
            check(values, 0.5 + (1e-3 if dtype == "float16" else 0))
        else:
            check(values, xavier_scale((200, 300), "avg", 3))


@pytest.mark.parametrize("init", [
    I.Uniform(0.2), I.Normal(0.3), I.Xavier(), I.Xavier("gaussian", "in"),
    I.MSRAPrelu(), I.Orthogonal(), I.Orthogonal(rand_type="normal")],
    ids=lambda init: init.dumps())
def test_the_same_seed_repeats(init):
    draws = []
    for seed in (11, 11, 12):
        mx.random.seed(seed)
        draws.append(filled(init, (12, 7)))
    np.testing.assert_array_equal(draws[0], draws[1])
    assert not np.array_equal(draws[0], draws[2])


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (5, 5), (3, 2, 2),
                                   (8, 3, 1, 2)])
@pytest.mark.parametrize("rand_type", ["uniform", "normal"])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, rand_type):
    values = filled(I.Orthogonal(1.5, rand_type), shape).astype(np.float64)
    matrix = values.reshape(shape[0], -1)
    small = min(matrix.shape)
    gram = matrix @ matrix.T if matrix.shape[0] == small else \
        matrix.T @ matrix
    np.testing.assert_allclose(gram, 1.5 ** 2 * np.eye(small), atol=1e-5)


def test_quantized_weight_is_one_int8_draw_everywhere():
    """As MXNet: a single randint(-127, 127) broadcast over the array."""
    arr = mx.nd.zeros((3, 4), dtype="int8")
    I.Uniform()(I.InitDesc("conv_weight_quantize"), arr)
    values = arr.asnumpy()
    assert values.dtype == np.int8 and len(np.unique(values)) == 1
    assert -127 <= values[0, 0] < 127
    arr = mx.nd.ones((3,), dtype="int8")
    I.Uniform()(I.InitDesc("conv_bias_quantize"), arr)
    assert not arr.asnumpy().any()


def test_fused_rnn_xavier_pieces_are_scaled_each_on_their_own():
    """Each gate matrix gets its own Xavier bound; biases are zero, the
    LSTM forget-gate biases forget_bias (layout: test_rnn_op.layout)."""
    hidden, inputs = 8, 24
    size = 4 * hidden * (inputs + hidden + 2)
    arr = mx.nd.zeros((size,))
    init = I.FusedRNN(I.Xavier(), hidden, 1, "lstm", forget_bias=0.75)
    init._init_weight(I.InitDesc("lstm_parameters"), arr)
    values = arr.asnumpy()
    i2h = values[:4 * hidden * inputs].reshape(4, hidden, inputs)
    h2h = values[4 * hidden * inputs:4 * hidden * (inputs + hidden)]
    bias = values[4 * hidden * (inputs + hidden):].reshape(2, 4, hidden)
    bound = xavier_scale((hidden, inputs), "avg", 3)
    assert np.abs(i2h).max() <= bound and np.abs(i2h).max() > 0.8 * bound
    bound = xavier_scale((hidden, hidden), "avg", 3)
    assert np.abs(h2h).max() <= bound and np.abs(h2h).max() > 0.8 * bound
    np.testing.assert_array_equal(bias[:, 1], 0.75)
    np.testing.assert_array_equal(bias[:, [0, 2, 3]], 0)


# Every initializer MXNet registers, as dumps() writes it.
DUMPS = """
I = mx.initializer
inits = [I.Zero(), I.One(), I.Constant(0.5), I.Uniform(), I.Uniform(0.5),
         I.Normal(), I.Normal(2),
         I.Orthogonal(), I.Orthogonal(2, "normal"), I.Xavier(),
         I.Xavier("gaussian", "in", 2.34), I.MSRAPrelu(),
         I.MSRAPrelu("out", 0.1), I.Bilinear(), I.LSTMBias(),
         I.LSTMBias(0.5), I.FusedRNN(None, 4, 2, "lstm"),
         I.FusedRNN(I.Xavier(), 3, 1, "gru", True, 0.5)]
texts = [init.dumps() for init in inits]
outputs["dumps"] = np.array(texts)
# MXNet cannot create a FusedRNN whose init is set (the last one).
outputs["round_trip"] = np.array([I.create(t).dumps() for t in texts[:-1]])
outputs["equal"] = np.array([I.create(t) == init
                             for t, init in zip(texts[:-1], inits)])
# An array value is written as a list (which MXNet cannot dump again).
outputs["arrays"] = np.array([I.Constant(np.array([1, 2])).dumps(),
                              I.Constant(mx.nd.array([1, 2])).dumps()])
created = [I.create("zeros"), I.create("ONES"), I.create("Xavier",
                                                         magnitude=2),
           I.create({"initializer": "normal", "sigma": 2}),
           I.create('{"initializer": "uniform", "scale": 0.2}'),
           I.create('["constant", {"value": 4}]'),
           I.create(initializer="msraprelu", slope=0.5),
           I.create(I.One())]
outputs["created"] = np.array([c.dumps() for c in created])
outputs["classes"] = np.array([type(c).__name__ for c in created])
"""


@requires_oracle
def test_dumps_and_create_match_mxnet():
    got, want = run_both(DUMPS, mx)
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    assert want["equal"].all()


def test_fused_rnn_takes_its_init_as_json():
    """MXNet's FusedRNN fails on a string init (a KeyError); kiln creates
    it, so create(FusedRNN(...).dumps()) round-trips."""
    fused = I.FusedRNN(I.Xavier(magnitude=2), 3, 1, "gru")
    again = I.create(fused.dumps())
    assert again == fused and again._init == I.Xavier(magnitude=2)


def test_constant_list_value_dumps_and_fills():
    """MXNet's Constant.dumps fails on a list value (it calls .asnumpy());
    kiln writes it as given, and create() makes the same Constant."""
    init = I.Constant([[1., 2.]])
    assert init.dumps() == '["constant", {"value": [[1.0, 2.0]]}]'
    again = I.create(init.dumps())
    assert again == init
    arr = mx.nd.zeros((3, 2))
    again(I.InitDesc("fc_weight"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), [[1, 2]] * 3)


def test_equality_and_hashing_are_mxnets():
    assert I.Normal(0.5) == I.Normal(0.5) and I.Normal(0.5) != I.Normal(0.4)
    assert I.Zero() != I.One() and I.Zero() != 3
    assert I.MSRAPrelu() != I.Xavier("gaussian", "avg", 1.6)
    with pytest.raises(TypeError, match="unhashable"):
        hash(I.Zero())


def test_init_desc_is_a_str_with_attributes():
    desc = I.InitDesc("fc_weight", attrs={"lr_mult": "2"})
    assert desc == "fc_weight" and isinstance(desc, str)
    assert desc.attrs == {"lr_mult": "2"} and desc.global_init is None
    assert I.InitDesc("x").attrs == {}
    init = I.Zero()
    init(desc, mx.nd.ones((2, 2)))
    assert desc.global_init is init  # set by the first initializer


def test_custom_initializer_registers_and_creates():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @I.register
        @I.alias("tenths_alias")
        class Tenths(I.Initializer):
            def _init_weight(self, _, arr):
                arr[:] = 0.1

            def _init_bias(self, _, arr):
                arr[:] = 1

    for name in ("tenths", "TENTHS", "tenths_alias"):
        init = I.create(name)
        assert isinstance(init, Tenths)
    arr = mx.nd.zeros((2,))
    I.create("tenths")(I.InitDesc("fc_weight"), arr)
    np.testing.assert_allclose(arr.asnumpy(), 0.1, rtol=1e-6)
    I.create("tenths")(I.InitDesc("fc_bias"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), 1)
    with pytest.warns(UserWarning, match="overriding existing initializer"):
        I.alias("tenths")(Tenths)


def test_load_reads_a_params_file(tmp_path):
    path = str(tmp_path / "net-0000.params")
    weight = np.arange(12, dtype=np.float32).reshape(3, 4)
    mx.nd.save(path, {"arg:fc_weight": mx.nd.array(weight),
                      "aux:bn_moving_var": mx.nd.array([2., 3.])})
    load = I.Load(path, default_init=I.One(), verbose=True)
    assert sorted(load.param) == ["bn_moving_var", "fc_weight"]
    arr = mx.nd.zeros((3, 4))
    load(I.InitDesc("fc_weight"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), weight)
    arr = mx.nd.zeros((2,))
    load(I.InitDesc("bn_moving_var"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), [2, 3])
    arr = mx.nd.zeros((2,))
    load(I.InitDesc("fc_bias"), arr)  # the default (One): a bias is zero
    np.testing.assert_array_equal(arr.asnumpy(), 0)


def test_verbose_initializers_log(caplog):
    init = I.Constant(2.0).set_verbosity(True)
    with caplog.at_level(logging.INFO):
        init(I.InitDesc("fc_weight"), mx.nd.zeros((2, 2)))
        init(I.InitDesc("fc_bias"), mx.nd.zeros((3,)))
        init(I.InitDesc("w", attrs={"__init__": '["one", {}]'}),
             mx.nd.zeros((4,)))
    assert [r.getMessage() for r in caplog.records] == [
        "Initialized fc_weight as weight: 2.0",
        "Initialized fc_bias as bias: 0.0",
        'Initialized w as ["one", {}]: 1.0']
    caplog.clear()
    init = I.Zero().set_verbosity(True, print_func=lambda arr: "custom")
    load = I.Load({"a": mx.nd.ones((1,))}, init, verbose=True)
    with caplog.at_level(logging.INFO):
        load(I.InitDesc("a"), mx.nd.zeros((1,)))
        load(I.InitDesc("b_weight"), mx.nd.zeros((1,)))
    assert [r.getMessage() for r in caplog.records] == [
        "Initialized a by loading", "Initialized b_weight as weight: custom",
        "Initialized b_weight by default"]


def test_legacy_call_warns():
    with pytest.warns(DeprecationWarning, match="has been deprecated"):
        I.One()("fc_weight", mx.nd.zeros((2,)))


PRELUDE = """
I = mx.initializer
D = I.InitDesc
z = mx.nd.zeros
import warnings
warnings.simplefilter("ignore")
"""

# (name, expression, error, message regex, MXNet's message matches too).
BAD_INPUT = [
    ("xavier_vector", "I.Xavier()(D('fc_weight'), z((3,)))", ValueError,
     r"Xavier initializer cannot be applied to vector fc_weight\. It "
     r"requires at least 2D\.", True),
    ("msra_vector", "I.MSRAPrelu()('fc_weight', z((3,)))", ValueError,
     "cannot be applied to vector fc_weight", True),
    ("xavier_factor", "I.Xavier(factor_type='x')(D('w_weight'), z((2, 2)))",
     ValueError, "^Incorrect factor type$", True),
    ("xavier_rnd", "I.Xavier(rnd_type='x')(D('w_weight'), z((2, 2)))",
     ValueError, "^Unknown random type$", True),
    ("unknown_name", "I.Uniform()(D('fc_foo'), z((2,)))", ValueError,
     r"^Unknown initialization pattern for fc_foo\. Default initialization "
     r"is now limited to \"weight\", \"bias\", \"gamma\" \(1\.0\), and "
     r"\"beta\" \(0\.0\)\.Please use mx\.sym\.Variable\(init=mx\.init\.\*\) "
     r"to set initialization pattern$", True),
    ("moving_mean_desc", "I.Uniform()(D('bn_moving_mean'), z((2,)))",
     ValueError, "Unknown initialization pattern for bn_moving_mean", True),
    ("legacy_unknown", "I.Uniform()('fc_foo', z((2,)))", ValueError,
     "Unknown initialization pattern for fc_foo", True),
    ("legacy_name_type", "I.Uniform()(3, z((2,)))", TypeError,
     "name must be string", True),
    ("legacy_arr_type", "I.Uniform()('fc_weight', np.zeros(2))", TypeError,
     "arr must be NDArray", True),
    ("base_weight", "I.Initializer()(D('fc_weight'), z((2,)))",
     NotImplementedError, "Must override it", True),
    ("bad_init_attr", "I.Zero()(D('w', attrs={'__init__': 'nope'}), "
     "z((2,)))", AssertionError, "nope is not registered", True),
    ("create_unknown", "I.create('nope')", AssertionError,
     "^nope is not registered. Please register with initializer.register "
     "first$", True),
    ("create_int", "I.create(3)", AssertionError,
     "initializer must be of string type", True),
    ("create_instance_kwargs", "I.create(I.Zero(), a=1)", AssertionError,
     "^initializer is already an instance. Additional arguments are "
     "invalid$", True),
    ("create_nothing", "I.create()", KeyError, "initializer", True),
    ("register_not_initializer", "I.register(int)", AssertionError,
     "Can only register subclass of Initializer", True),
    ("load_missing", "I.Load({'arg:x': z((2,))})('y', z((2,)))",
     AssertionError, r"^Cannot Initialize y\. Not found in loaded param and "
     r"no default Initializer is provided\.$", True),
    ("load_shape", "I.Load({'arg:x': z((3, 4))})('x', z((3,)))",
     AssertionError, r"^Parameter x cannot be initialized from loading\. "
     r"Shape mismatch, target \(3,\) vs loaded \(3, 4\)$", True),
    ("load_not_dict", "I.Load([z((1,))])", AssertionError,
     "Load needs a dict of name -> NDArray", False),
    ("mixed_lengths", "I.Mixed(['a'], [I.Zero(), I.One()])", AssertionError,
     "Mixed needs one initializer per pattern, got 1 patterns and 2", False),
    ("mixed_no_match", "I.Mixed(['.*bias'], [I.Zero()])('fc_weight', "
     "z((2,)))", ValueError,
     "Parameter name fc_weight did not match any pattern", False),
    ("bilinear_3d", "I.Bilinear()(D('up_weight'), z((2, 3, 4)))",
     IndexError, r"needs a 4-D weight .* got shape \(2, 3, 4\)", False),
    ("stn_loc_bias_shape", "I.Uniform()('stn_loc_bias', z((5,)))",
     AssertionError, r"stn_loc bias needs 6 values .* got shape \(5,\)",
     False),
]

# What MXNet fails on with another error class (noted per case).
KILN_ONLY = [
    # MXNet: UnboundLocalError.
    ("orthogonal_rand_type", "I.Orthogonal(rand_type='x')(D('w_weight'), "
     "z((2, 2)))", ValueError,
     "rand_type must be \"uniform\" or \"normal\", got 'x'"),
    # MXNet: a KeyError.
    ("fused_mode", "I.FusedRNN(I.One(), 2, 1, 'lsmt')._init_weight(D('p'), "
     "z((48,)))", ValueError,
     r"mode must be one of \['gru', 'lstm', 'rnn_relu', 'rnn_tanh'\], got "
     "'lsmt'"),
    # MXNet: an MXNetError from a reshape.
    ("fused_size", "I.FusedRNN(I.One(), 2, 1, 'lstm')._init_weight(D('p'), "
     "z((7,)))", AssertionError,
     "Invalid parameters size for FusedRNNCell: 7 values fit no input "
     "size for mode 'lstm', 1 layers, num_hidden 2"),
    # MXNet recurses into FusedRNN for each piece and fails on a shape.
    ("fused_no_init", "I.FusedRNN(None, 2, 1, 'lstm')(D('p_weight'), "
     "z((48,)))", ValueError, "FusedRNN for p_weight has no initializer"),
]


def _scope():
    scope = {"mx": mx, "np": np}
    exec(textwrap.dedent(PRELUDE), scope)
    return scope


@pytest.mark.parametrize(
    "expression,error,message",
    [case[1:4] for case in BAD_INPUT + KILN_ONLY],
    ids=[case[0] for case in BAD_INPUT + KILN_ONLY])
def test_bad_input_raises(expression, error, message):
    with pytest.raises(error, match=message):
        eval(expression, _scope())


@requires_oracle
def test_mxnet_raises_the_same_error_classes():
    code = PRELUDE + textwrap.dedent("""
        for name, expression in %r:
            try:
                eval(expression)
                outputs[name] = np.array(["accepted", ""])
            except Exception as error:
                outputs[name] = np.array([type(error).__name__, str(error)])
    """) % ([case[:2] for case in BAD_INPUT],)
    want = run_mxnet(code)
    for name, _, error, message, same_message in BAD_INPUT:
        kind, text = want[name]
        assert kind == error.__name__, (name, kind, text)
        if same_message:
            assert re.search(message, text), (name, text)
