"""MXNet 1.9.1's quantized compute operators
(kiln/_contrib_ops/quantized_compute.py) against the real MXNet's oneDNN
CPU kernels, value for value: quantized_conv, quantized_fully_connected,
quantized_pooling, quantized_concat, quantized_elemwise_add / _mul,
quantized_batch_norm, quantized_embedding, calibrate_entropy (several
shapes, int8 / uint8, calibrated or not); their symbols; bad inputs.

Not compared with MXNet: quantize_asym (MXNet 1.9.1's pip build crashes
with a segmentation fault on it), quantized_elemwise_add of one int8 and
one uint8 input (MXNet's kernel loses the uint8 operand without a
calibration range and is off by up to 25 levels with one; kiln computes
the sum) and quantized_rnn (not implemented).
"""
import numpy as np
import pytest

import kiln as mx
import kiln._contrib_ops.quantization  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import (bad_input_tests, compare_outputs, requires_oracle,
                          run_both)

CASES = """
c = mx.nd.contrib
R = lambda v: mx.nd.array([v])
I = lambda k: mx.nd.array(inputs[k], dtype=inputs[k].dtype)
def put(name, result):
    for k, r in enumerate(result if isinstance(result, list) else [result]):
        outputs["%s/%d" % (name, k)] = r.asnumpy()
# convolution: uint8 data (MXNet's oneDNN kernel takes no other)
put("conv", c.quantized_conv(I("cx"), I("cw"), I("cb"), R(0.0), R(1.5),
    R(-0.4), R(0.3), R(-1.0), R(1.0), kernel=(3, 3), num_filter=6))
put("conv_geometry", c.quantized_conv(I("cx"), I("cw"), I("cb"), R(0.0),
    R(2.0), R(-0.5), R(0.5), R(-0.2), R(0.1), kernel=(3, 3), stride=(2, 1),
    pad=(1, 2), dilate=(1, 2), num_filter=6))
put("conv_no_bias", c.quantized_conv(I("cx"), I("cw"), R(-1.0), R(3.0),
    R(-0.7), R(0.7), kernel=(3, 3), num_filter=6, no_bias=True))
put("conv_3d", c.quantized_conv(I("cx3"), I("cw3"), R(0.0), R(1.0),
    R(-1.0), R(1.0), kernel=(2, 2, 2), num_filter=3, no_bias=True))
# fully connected: int8 and uint8 data, bias scaled into int32
for t in ("int8", "uint8"):
    for k, rs in enumerate([(-1, 2, -0.5, 0.3, -0.2, 0.1),
                            (0, 1, -1, 1, -0.001, 0.001),
                            (-3, 3, -0.7, 0.7, -5, 5)]):
        put("fc_%s_%d" % (t, k), c.quantized_fully_connected(
            I("fx_" + t), I("fw"), I("fb"), *[R(v) for v in rs],
            num_hidden=5))
put("fc_no_flatten", c.quantized_fully_connected(I("fx3"), I("fw3"),
    R(-1.0), R(1.0), R(-2.0), R(2.0), num_hidden=4, no_bias=True,
    flatten=False))
put("fc_flatten_3d", c.quantized_fully_connected(I("fx3"), I("fw18"),
    R(-1.0), R(1.0), R(-2.0), R(2.0), num_hidden=4, no_bias=True))
# Their exact int32 products, and whether this CPU's are exact: oneDNN's
# int8 GEMM without VNNI adds pairs of products in saturating int16.
wide = lambda k: inputs[k].astype(np.int64)
outputs["fc_no_flatten/exact"] = wide("fx3") @ wide("fw3").T
outputs["fc_flatten_3d/exact"] = wide("fx3").reshape(2, 18) @ wide("fw18").T
outputs["int8_exact"] = np.array(bool(
    (outputs["fc_no_flatten/0"] == outputs["fc_no_flatten/exact"]).all() and
    (outputs["fc_flatten_3d/0"] == outputs["fc_flatten_3d/exact"]).all()))
# pooling
for t in ("int8", "uint8"):
    x = I("p_" + t)
    put("pool_avg_" + t, c.quantized_pooling(x, R(-1.0), R(2.0),
        kernel=(2, 2), pool_type="avg"))
    put("pool_avg_pad_" + t, c.quantized_pooling(x, R(-1.0), R(2.0),
        kernel=(3, 3), pad=(1, 1), stride=(2, 2), pool_type="avg"))
    put("pool_avg_nopad_" + t, c.quantized_pooling(x, R(-1.0), R(2.0),
        kernel=(3, 3), pad=(1, 1), stride=(2, 2), pool_type="avg",
        count_include_pad=False))
    put("pool_max_full_" + t, c.quantized_pooling(x, R(-1.0), R(2.0),
        kernel=(2, 2), stride=(2, 2), pooling_convention="full"))
    put("pool_global_" + t, c.quantized_pooling(x, R(-1.0), R(2.0),
        kernel=(2, 2), global_pool=True, pool_type="avg"))
# concat, elemwise add: both int8, both uint8, int8 with uint8 (concat)
for a, b in (("a8", "b8"), ("au", "bu"), ("a8", "bu"), ("au", "b8")):
    for k, rs in enumerate([(-1, 2, -0.5, 0.3), (0, 1, -3, 3),
                            (-0.01, 0.02, -5, 0.1)]):
        name = "%s_%s_%d" % (a, b, k)
        ranges = [R(v) for v in rs]
        put("concat_" + name, c.quantized_concat(I(a), I(b), *ranges,
            num_args=2, dim=1))
        put("concat3_" + name, c.quantized_concat(I(a), I(b), I(a),
            *ranges, R(-0.2), R(7.0), num_args=3, dim=3))
        if (a[1] == "8") != (b[1] == "8"):
            continue
        put("add_" + name, c.quantized_elemwise_add(I(a), I(b), *ranges))
        put("add_calib_" + name, c.quantized_elemwise_add(I(a), I(b),
            *ranges, min_calib_range=-1.5, max_calib_range=2.5))
        put("add_calib_pos_" + name, c.quantized_elemwise_add(I(a), I(b),
            *ranges, min_calib_range=0.0, max_calib_range=2.5))
# elemwise mul: MXNet runs it only in graphs (its imperative call fails)
for k, rs in enumerate([(-1, 2, -0.5, 0.3), (0, 1, -3, 3)]):
    for tag, kw in (("", {}), ("float_", {"enable_float_output": True}),
                    ("calib_", {"min_calib_range": -1.5,
                                "max_calib_range": 2.5})):
        m = mx.sym.contrib.quantized_elemwise_mul(
            *[mx.sym.var(n) for n in ("l", "r", "lo", "hi", "rlo", "rhi")],
            **kw)
        args = {"l": I("a8"), "r": I("b8"), "lo": R(rs[0]), "hi": R(rs[1]),
                "rlo": R(rs[2]), "rhi": R(rs[3])}
        put("mul_%s%d" % (tag, k), m.bind(mx.cpu(), args).forward())
# batch norm (calibrated; gamma is used as given, fix_gamma or not)
for t in ("int8", "uint8"):
    for k, (rs, cal, kw) in enumerate([
            ((-1, 2), (-3, 3), {}), ((0, 1), (0, 4), {}),
            ((-1, 2), (-2, 3), {"fix_gamma": False, "eps": 0.1})]):
        put("bn_%s_%d" % (t, k), c.quantized_batch_norm(
            I("n_" + t), I("gam"), I("bet"), I("mm"), I("mv"), R(rs[0]),
            R(rs[1]), min_calib_range=cal[0], max_calib_range=cal[1], **kw))
# embedding: indices truncated and clipped
put("embedding", c.quantized_embedding(I("idx"), I("ew"), R(-0.3), R(0.7),
    input_dim=5, output_dim=4))
put("embedding_clip", c.quantized_embedding(I("idx2"), I("ew"), R(-0.3),
    R(0.7), input_dim=5, output_dim=4))
# entropy calibration
for k, bins in enumerate((255, 255, 511, 255)):
    put("entropy_%d" % k, c.calibrate_entropy(I("eh%d" % k), I("ee%d" % k),
        num_quantized_bins=bins))
"""


def _inputs():
    rng = np.random.RandomState(7)

    def q8(*shape):
        return rng.randint(-128, 128, shape).astype("int8")

    def u8(*shape):
        return rng.randint(0, 256, shape).astype("uint8")
    arrays = dict(
        cx=u8(2, 4, 7, 8), cw=rng.randint(-127, 128, (6, 4, 3, 3)).astype(
            "int8"), cb=q8(6), cx3=u8(1, 2, 3, 4, 3), cw3=q8(3, 2, 2, 2, 2),
        # Halved: no pair of products overflows int16, which oneDNN's int8
        # GEMM without VNNI saturates (fx3 with fw3 / fw18 keep the whole
        # range and an exact reference).
        fx_int8=q8(3, 7) // 2, fx_uint8=u8(3, 7), fw=q8(5, 7) // 2, fb=q8(5),
        fx3=q8(2, 3, 6), fw3=q8(4, 6), fw18=q8(4, 18),
        p_int8=q8(2, 3, 5, 6), p_uint8=u8(2, 3, 5, 6),
        a8=q8(2, 3, 5, 6), b8=q8(2, 3, 5, 6), au=u8(2, 3, 5, 6),
        bu=u8(2, 3, 5, 6), n_int8=q8(2, 3, 4, 5), n_uint8=u8(2, 3, 4, 5),
        gam=(rng.rand(3) + 0.5).astype("f"), bet=rng.randn(3).astype("f"),
        mm=rng.randn(3).astype("f"), mv=(rng.rand(3) + 0.5).astype("f"),
        ew=q8(5, 4), idx=np.array([[0, 4, 2], [1, 1, 3]], "f"),
        idx2=np.array([-1, 5, 2.7, 7], "f"))
    for k, bins in enumerate((1001, 2001, 801, 8001)):
        hist = rng.randint(0, 1000, bins) * np.exp(
            -np.abs(np.linspace(-4, 4, bins)))
        if k == 1:
            hist[:bins // 2] = 0  # a one-sided layer (after relu)
        arrays["eh%d" % k] = hist.astype("f")
        arrays["ee%d" % k] = np.linspace(-3, 3, bins + 1).astype("f")
    return arrays


@requires_oracle
def test_quantized_ops_match_mxnet():
    got, expected = run_both(CASES, mx, **_inputs())
    tolerances = {}
    for key in expected:
        if key.startswith("bn_uint8") and key.endswith("/0"):
            # uint8 batch norm: within one level (MXNet's kernel scales the
            # uint8 input in a way not reproduced exactly).
            tolerances[key] = (0, 1)
        elif key.startswith("entropy") and key.endswith("/1"):
            tolerances[key] = (1e-4, 0)  # float32 sums in another order
        elif key.startswith("mul_float"):
            tolerances[key] = (1e-6, 1e-7)
        else:
            tolerances[key] = (0, 0)
    # kiln's products are exact on every CPU; where MXNet's are not (no
    # VNNI), its two unbiased products are replaced by the exact ones.
    assert bool(got["int8_exact"])
    if not expected["int8_exact"]:
        for name in ("fc_no_flatten", "fc_flatten_3d"):
            expected[name + "/0"] = expected[name + "/exact"].astype(np.int32)
        expected["int8_exact"] = got["int8_exact"]
    compare_outputs(got, expected, tolerances=tolerances)
    # Not vacuous: int32 accumulators, uint8 results, saturation.
    assert got["conv/0"].dtype == np.int32 and got["conv/0"].any()
    assert got["add_calib_au_bu_0/0"].dtype == np.uint8
    assert (got["mul_calib_1/0"] == -128).any() or \
        (got["mul_calib_1/0"] == 127).any()


SYMBOLS = """
S = mx.sym.contrib
ops = [
    ("conv", S.quantized_conv(name="x", kernel=(1, 1), num_filter=1)),
    ("conv_nb", S.quantized_conv(name="x", kernel=(1, 1), num_filter=1,
                                 no_bias=True)),
    ("fc", S.quantized_fully_connected(name="x", num_hidden=1)),
    ("fc_nb", S.quantized_fully_connected(name="x", num_hidden=1,
                                          no_bias=True)),
    ("pool", S.quantized_pooling(name="x", kernel=(1, 1))),
    ("concat", S.quantized_concat(num_args=2, name="x")),
    ("add", S.quantized_elemwise_add(name="x")),
    ("mul", S.quantized_elemwise_mul(name="x")),
    ("mul_float", S.quantized_elemwise_mul(name="x",
                                           enable_float_output=True)),
    ("bn", S.quantized_batch_norm(name="x")),
    ("embedding", S.quantized_embedding(name="x", input_dim=2,
                                        output_dim=2)),
    ("asym", S.quantize_asym(name="x")),
    ("entropy", S.calibrate_entropy(name="x"))]
for name, s in ops:
    outputs[name + "/args"] = np.array(",".join(s.list_arguments()))
    outputs[name + "/aux"] = np.array(",".join(s.list_auxiliary_states()))
    outputs[name + "/outs"] = np.array(",".join(s.list_outputs()))
# (kiln's shape inference of graphs with no input type known tries
# float32, which the quantized operators refuse: the data's type is given.)
conv = S.quantized_conv(mx.sym.var("d", dtype="uint8"), name="x",
                        kernel=(3, 3), num_filter=4, pad=(1, 1))
outputs["conv/shapes"] = np.array(str(conv.infer_shape(d=(2, 3, 5, 5))))
outputs["conv/types"] = np.array(str([[np.dtype(t).name for t in group]
                                      for group in conv.infer_type()]))
bn = S.quantized_batch_norm(mx.sym.var("d", dtype="int8"), name="x")
outputs["bn/shapes"] = np.array(str(bn.infer_shape(d=(2, 3, 4))))
"""


@requires_oracle
def test_symbols_match_mxnet():
    got, expected = run_both(SYMBOLS, mx)
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert str(got[key]) == str(expected[key]), key


def test_quantize_asym_follows_mxnets_formula():
    # MXNet 1.9.1's pip build crashes on quantize_asym, so its formula
    # (scale = 255.5 / (max - min), shift = 255 - max * scale) is checked.
    x = np.array([[-1.0, -0.25, 0.0], [0.5, 1.0, 3.0]], "f")
    out, scale, shift = mx.nd.contrib.quantize_asym(mx.nd.array(x))
    want_scale = np.float32(255.5) / np.float32(4.0)
    assert scale.asnumpy()[0] == want_scale
    assert shift.asnumpy()[0] == np.float32(255 - 3.0 * want_scale)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(
        out.asnumpy(), np.clip(np.floor(x * want_scale + shift.asnumpy()[0]
                                        + 0.5), 0, 255))
    assert out.asnumpy()[0, 0] == 0 and out.asnumpy()[1, 2] == 255
    out, scale, _ = mx.nd.contrib.quantize_asym(
        mx.nd.array(x), min_calib_range=-0.5, max_calib_range=0.5)
    assert scale.asnumpy()[0] == np.float32(255.5)
    assert out.asnumpy()[0, 0] == 0 and out.asnumpy()[1, 2] == 255


def test_mixed_int8_uint8_add_is_the_sum():
    a = mx.nd.array([[-128, -5, 0, 127]], dtype="int8")
    b = mx.nd.array([[0, 10, 255, 255]], dtype="uint8")
    ranges = [mx.nd.array([v]) for v in (-1.0, 1.0, 0.0, 2.0)]
    out, low, high = mx.nd.contrib.quantized_elemwise_add(a, b, *ranges)
    assert out.dtype == np.int32 and low.asscalar() == -3.0
    real = out.asnumpy() * 3.0 / 2147483647
    want = a.asnumpy() / 127.5 + b.asnumpy() * 2.0 / 255.5
    np.testing.assert_allclose(real, want, atol=1e-6)


def test_concat_infers_num_args_from_the_inputs():
    a = mx.nd.array([[1, 2]], dtype="int8")
    out, low, high = mx.nd.contrib.quantized_concat(
        a, a, mx.nd.array([-1.0]), mx.nd.array([1.0]), mx.nd.array([-2.0]),
        mx.nd.array([2.0]), dim=1)
    assert out.shape == (1, 4) and low.asscalar() == -2.0
    # The first input is rescaled to the wider range: 1 -> 0.5 -> 0 (even).
    np.testing.assert_array_equal(out.asnumpy(), [[0, 1, 1, 2]])


PRELUDE = """
c = mx.nd.contrib
R = lambda v: mx.nd.array([v])
u8 = mx.nd.ones((1, 2, 4, 4), dtype="uint8")
q8 = mx.nd.ones((1, 2, 4, 4), dtype="int8")
w8 = mx.nd.ones((3, 2, 3, 3), dtype="int8")
b8 = mx.nd.ones((3,), dtype="int8")
f8 = mx.nd.ones((2, 4), dtype="int8")
fw = mx.nd.ones((3, 4), dtype="int8")
lo, hi = R(-1.0), R(1.0)
g = mx.nd.ones((2,))
"""
test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, PRELUDE, [
        ("conv_int8_data", "c.quantized_conv(q8, w8, b8, lo, hi, lo, hi, lo, "
         "hi, kernel=(3, 3), num_filter=3)", "only supports uint8 as input"),
        ("conv_groups", "c.quantized_conv(u8, w8, b8, lo, hi, lo, hi, lo, "
         "hi, kernel=(3, 3), num_filter=3, num_group=2)",
         "only supports num_group=1"),
        ("conv_1d", "c.quantized_conv(f8.reshape((1, 2, 4)).astype('uint8'),"
         " w8.reshape((3, 2, 9))[:, :, :2], lo, hi, lo, hi, kernel=(2,), "
         "num_filter=3, no_bias=True)", "supports NCHW or NCDHW"),
        ("conv_float_weight", "c.quantized_conv(u8, w8.astype('float32'), "
         "b8, lo, hi, lo, hi, lo, hi, kernel=(3, 3), num_filter=3)",
         "weight expected int8, got float32"),
        ("fc_missing_ranges", "c.quantized_fully_connected(f8, fw, b8, lo, "
         "hi, lo, num_hidden=3)", "expects 9 inputs"),
        ("fc_no_bias_ranges", "c.quantized_fully_connected(f8, fw, lo, hi, "
         "lo, hi, lo, hi, num_hidden=3, no_bias=True)", "expects 6 inputs"),
        ("fc_float_data", "c.quantized_fully_connected(f8.astype('float32'),"
         " fw, b8, lo, hi, lo, hi, lo, hi, num_hidden=3)",
         "data expected int8 or uint8, got float32"),
        ("fc_weight_shape", "c.quantized_fully_connected(f8, fw, b8, lo, hi,"
         " lo, hi, lo, hi, num_hidden=2)", r"weight expected shape \(2, 4\)"),
        ("pool_sum", "c.quantized_pooling(q8, lo, hi, kernel=(2, 2), "
         "pool_type='sum')", "only supports pool_type=max/avg"),
        ("add_float", "c.quantized_elemwise_add(q8.astype('float32'), q8, "
         "lo, hi, lo, hi)", "lhs expected int8 or uint8, got float32"),
        ("add_missing_range", "c.quantized_elemwise_add(q8, q8, lo, hi, lo)",
         "missing input 'rhs_max'"),
        ("mul_uint8", "c.quantized_elemwise_mul(u8, u8, lo, hi, lo, hi)",
         "only support int8"),
        ("bn_uncalibrated", "c.quantized_batch_norm(q8, g, g, g, g, lo, hi)",
         "don't support calib_mode=None"),
        ("concat_ranges", "c.quantized_concat(q8, q8, lo, hi, num_args=2)",
         "expects 6 inputs, but got 4"),
        ("embedding_float_weight", "c.quantized_embedding(mx.nd.ones((2,)),"
         " mx.nd.ones((3, 2)), lo, hi, input_dim=3, output_dim=2)",
         "weight expected int8, got float32"),
        ("entropy_edges", "c.calibrate_entropy(mx.nd.ones((5,)), "
         "mx.nd.ones((5,)))", "num_bins \\+ 1"),
    ], [
        # MXNet crashes on quantize_asym (any input).
        ("asym_int8", "c.quantize_asym(q8)", "data expected float32"),
    ], MXNetError)


def test_ranges_must_be_scalars():
    a = mx.nd.ones((2, 2), dtype="int8")
    with pytest.raises(MXNetError, match=r"lhs_min expected shape \(1,\)"):
        mx.nd.contrib.quantized_elemwise_add(
            a, a, mx.nd.ones((2,)), mx.nd.ones((1,)), mx.nd.ones((1,)),
            mx.nd.ones((1,)))


@requires_oracle
def test_infer_shape_needs_no_types_for_int8_operators():
    # MXNet's infer_shape checks no types; kiln's tries int8/uint8 stand-ins
    # where an int8 operator refuses float32 for inputs of unknown type.
    code = """
d, w = mx.sym.var("data"), mx.sym.var("weight")
ranges = {n: mx.sym.var(n) for n in ("min_data", "max_data", "min_weight",
                                     "max_weight")}
flat = mx.sym.contrib.quantized_flatten(d, ranges["min_data"], ranges["max_data"])
conv = mx.sym.contrib.quantized_conv(data=d, weight=w, kernel=(3, 3),
                                     num_filter=4, no_bias=True, **ranges)
fc = mx.sym.contrib.quantized_fully_connected(data=d, weight=w, num_hidden=5,
                                              no_bias=True, **ranges)
deq = mx.sym.contrib.dequantize(flat[0], flat[1], flat[2])
for key, sym, shape in (("flat", flat, (2, 3, 4)), ("conv", conv, (2, 3, 8, 8)),
                        ("fc", fc, (2, 12)), ("deq", deq, (2, 3, 4))):
    args, outs, _ = sym.infer_shape(data=shape)
    outputs[key] = np.array(str((args, outs)))
"""
    got, expected = run_both(code, mx)
    for key in expected:
        assert str(got[key]) == str(expected[key]), key


@requires_oracle
def test_infer_shape_without_types_for_the_other_int8_operators():
    # Ranges named *_min/*_max (elemwise add/mul, concat), float statistics
    # beside int8 data (batch_norm), float indices beside int8 weights
    # (embedding).
    code = """
S, v = mx.sym, mx.sym.var
cases = {
    "add": (S.contrib.quantized_elemwise_add(*[v(n) for n in "abcdef"]),
            dict(a=(2, 3), b=(2, 3))),
    "mul": (S.contrib.quantized_elemwise_mul(*[v(n) for n in "abcdef"]),
            dict(a=(2, 3), b=(2, 3))),
    "bn": (S.contrib.quantized_batch_norm(
        v("data"), v("g"), v("b"), v("m"), v("s"), v("lo"), v("hi"),
        min_calib_range=-1.0, max_calib_range=1.0), dict(data=(2, 3, 4, 4))),
    "emb": (S.contrib.quantized_embedding(v("data"), v("w"), v("lo"), v("hi"),
                                          input_dim=10, output_dim=4),
            dict(data=(2, 5))),
    "pool": (S.contrib.quantized_pooling(v("data"), v("lo"), v("hi"),
                                         kernel=(2, 2)), dict(data=(2, 3, 4, 4))),
}
for key, (sym, shapes) in cases.items():
    outputs[key] = np.array(str(sym.infer_shape(**shapes)))
"""
    got, expected = run_both(code, mx)
    for key in expected:
        assert str(got[key]) == str(expected[key]), key
