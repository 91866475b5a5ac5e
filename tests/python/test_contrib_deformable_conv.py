"""MXNet 1.9.1's contrib DeformableConvolution and
ModulatedDeformableConvolution (kiln/_contrib_ops/deformable_conv.py)
and Gluon's contrib.cnn layers over them, against the real MXNet.

MXNet 1.9.1's CPU build computes DeformableConvolution forward and
backward and ModulatedDeformableConvolution forward only (its backward
raises "only implemented in GPU"), so the modulated gradients are checked
against MXNet's v1 gradients where both interpolants agree (mask 1,
every sample inside the image) and against central differences
everywhere (samples outside the image included).
"""
import importlib

import numpy as np
import pytest

import kiln as mx
import kiln.gluon  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import (SNIPPET_HELPERS, bad_input_tests, compare_outputs,
                          requires_oracle, run_both, run_mxnet)

# (name, C, H, W, num_filter, attrs, batch, offset scale, offset kind)
CASES = [
    ("plain", 4, 6, 7, 6, dict(kernel=(3, 3), pad=(1, 1)), 2, 2.0, "normal"),
    ("groups", 4, 7, 6, 6,
     dict(kernel=(3, 3), stride=(2, 2), dilate=(2, 2), pad=(2, 1),
          num_group=2, num_deformable_group=2, no_bias=True), 3, 1.5,
     "normal"),
    ("rect", 4, 5, 6, 4,
     dict(kernel=(2, 3), stride=(1, 2), pad=(0, 1),
          num_deformable_group=4), 1, 1.0, "normal"),
    ("far", 2, 4, 5, 3, dict(kernel=(1, 1)), 2, 6.0, "normal"),
    # exact integers and halves: samples on the borders, at H - 1, H, -1
    ("integers", 3, 5, 5, 2, dict(kernel=(3, 3), pad=(1, 1)), 2, 1.0,
     "integer"),
    ("halves", 2, 4, 4, 2, dict(kernel=(2, 2), pad=(1, 1), workspace=64), 1,
     1.0, "half"),
]


def _out_hw(h, w, attrs):
    kh, kw = attrs["kernel"]
    sh, sw = attrs.get("stride", (1, 1))
    dh, dw = attrs.get("dilate", (1, 1))
    ph, pw = attrs.get("pad", (0, 0))
    return ((h + 2 * ph - dh * (kh - 1) - 1) // sh + 1,
            (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1)


def _offsets(rng, shape, scale, kind):
    if kind == "integer":
        return rng.randint(-3, 4, size=shape).astype(np.float32)
    if kind == "half":
        return (rng.randint(-6, 7, size=shape) / 2.0).astype(np.float32)
    return (rng.randn(*shape) * scale).astype(np.float32)


def _case_arrays(rng, case, dtype=np.float32):
    """{key: array} of one case: data, offset, mask, weight, bias."""
    name, c, h, w, filters, attrs, batch, scale, kind = case
    kh, kw = attrs["kernel"]
    dg = attrs.get("num_deformable_group", 1)
    ho, wo = _out_hw(h, w, attrs)
    arrays = {
        "x": rng.randn(batch, c, h, w),
        "off": _offsets(rng, (batch, dg * 2 * kh * kw, ho, wo), scale, kind),
        "m": rng.uniform(0, 2, size=(batch, dg * kh * kw, ho, wo)),
        "w": rng.randn(filters, c // attrs.get("num_group", 1), kh, kw),
        "b": rng.randn(filters)}
    return {"%s_%s" % (name, key): value.astype(dtype)
            for key, value in arrays.items()}


COMPARE_CODE = SNIPPET_HELPERS + """
D = mx.nd.contrib.DeformableConvolution
M = mx.nd.contrib.ModulatedDeformableConvolution
for name, filters, attrs in CASES:
    keys = ["x", "off", "w"] + ([] if attrs.get("no_bias") else ["b"])
    arrays = [inputs[name + "_" + key] for key in keys]
    record("v1/" + name, lambda *a: D(*a, num_filter=filters, **attrs),
           arrays)
    mod = arrays[:2] + [inputs[name + "_m"]] + arrays[2:]
    record("v2/" + name, lambda *a: M(*a, num_filter=filters, **attrs),
           mod, wrt=[])
"""


def _compare_code(cases):
    return "CASES = %r\n" % [(case[0], case[4], case[5]) for case in cases] \
        + COMPARE_CODE


@requires_oracle
def test_forward_and_gradients_match_mxnet():
    rng = np.random.RandomState(7)
    arrays = {}
    for case in CASES:
        arrays.update(_case_arrays(rng, case))
    got, expected = run_both(_compare_code(CASES), mx, **arrays)
    assert len(expected) == len(CASES) + sum(
        5 - bool(case[5].get("no_bias")) for case in CASES)
    compare_outputs(got, expected, rtol=1e-4, atol=1e-4)
    # the far case samples mostly outside: some outputs are just the bias
    assert np.any(expected["v1/far/grad1"] == 0)


@requires_oracle
def test_float64_matches_mxnet():
    rng = np.random.RandomState(3)
    cases = [CASES[1], CASES[4]]
    arrays = {}
    for case in cases:
        arrays.update(_case_arrays(rng, case, np.float64))
    got, expected = run_both(_compare_code(cases), mx, **arrays)
    assert all(value.dtype == np.float64 for value in expected.values())
    compare_outputs(got, expected, rtol=1e-4, atol=1e-4)


def _inside_offsets(rng, batch, dg, attrs, h, w):
    """Offsets whose samples all lie in [0.05, H - 1.05] x [0.05, W - 1.05]
    (v1 and v2 interpolate alike there)."""
    kh, kw = attrs["kernel"]
    sh, sw = attrs.get("stride", (1, 1))
    dh, dw = attrs.get("dilate", (1, 1))
    ph, pw = attrs.get("pad", (0, 0))
    ho, wo = _out_hw(h, w, attrs)
    taps_i, taps_j = np.divmod(np.arange(kh * kw), kw)
    base_y = np.arange(ho)[None, :, None] * sh - ph + \
        taps_i[:, None, None] * dh
    base_x = np.arange(wo)[None, None, :] * sw - pw + \
        taps_j[:, None, None] * dw
    shape = (batch, dg, kh * kw, ho, wo)
    dy = rng.uniform(0.05, h - 1.05, size=shape) - base_y
    dx = rng.uniform(0.05, w - 1.05, size=shape) - base_x
    return np.stack([dy, dx], axis=3).reshape(
        batch, dg * 2 * kh * kw, ho, wo).astype(np.float32)


@requires_oracle
def test_modulated_gradients_match_mxnet_v1_inside_the_image():
    rng = np.random.RandomState(11)
    attrs = dict(kernel=(3, 2), stride=(1, 2), dilate=(2, 1), pad=(1, 1),
                 num_group=2, num_deformable_group=2)
    arrays = {"x": rng.randn(2, 4, 6, 7).astype(np.float32),
              "off": _inside_offsets(rng, 2, 2, attrs, 6, 7),
              "w": rng.randn(4, 2, 3, 2).astype(np.float32),
              "b": rng.randn(4).astype(np.float32)}
    code = SNIPPET_HELPERS + """
record("v1", lambda *a: mx.nd.contrib.DeformableConvolution(
    *a, num_filter=4, **ATTRS), [inputs[k] for k in ("x", "off", "w", "b")])
""".replace("ATTRS", repr(attrs))
    expected = run_mxnet(code, **arrays)
    ones = np.ones((2, 2 * 6) + _out_hw(6, 7, attrs), np.float32)
    xs = [mx.nd.array(arrays[k]) for k in ("x", "off")] + \
        [mx.nd.array(ones)] + [mx.nd.array(arrays[k]) for k in ("w", "b")]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.ModulatedDeformableConvolution(
            *xs, num_filter=4, **attrs)
    head = np.cos(np.arange(y.size)).reshape(y.shape).astype(np.float32)
    y.backward(mx.nd.array(head))
    np.testing.assert_allclose(y.asnumpy(), expected["v1/out0"], rtol=1e-4,
                               atol=1e-4)
    for index, key in ((0, "grad0"), (1, "grad1"), (3, "grad2"),
                       (4, "grad3")):
        np.testing.assert_allclose(xs[index].grad.asnumpy(),
                                   expected["v1/" + key], rtol=1e-4,
                                   atol=1e-4, err_msg=key)
    # d out / d mask: out is linear in the mask, so with mask 1 the head
    # dotted with the output minus the bias is the sum of the gradient
    inner = float((head * (y.asnumpy() - arrays["b"][None, :, None, None]))
                  .sum())
    assert np.isclose(float(xs[2].grad.asnumpy().sum()), inner, rtol=1e-4)


def _numeric_check(op, arrays, attrs, eps=1e-6):
    """Asserts autograd's gradients of sum(op(*arrays) * head) equal
    central differences, element by element (float64)."""
    rng = np.random.RandomState(0)
    xs = [mx.nd.array(a, dtype=np.float64) for a in arrays]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        y = op(*xs, **attrs)
    head = rng.randn(*y.shape)
    y.backward(mx.nd.array(head, dtype=np.float64))
    for index, array in enumerate(arrays):
        numeric = np.zeros(array.shape)
        for position in np.ndindex(*array.shape):
            values = []
            for step in (eps, -eps):
                moved = [a.copy() for a in arrays]
                moved[index][position] += step
                out = op(*[mx.nd.array(a, dtype=np.float64) for a in moved],
                         **attrs).asnumpy()
                values.append((out * head).sum())
            numeric[position] = (values[0] - values[1]) / (2 * eps)
        np.testing.assert_allclose(xs[index].grad.asnumpy(), numeric,
                                   rtol=1e-5, atol=1e-6,
                                   err_msg="input %d" % index)


@pytest.mark.parametrize("modulated", [False, True])
def test_gradients_match_central_differences(modulated):
    rng = np.random.RandomState(5 + modulated)
    attrs = dict(kernel=(2, 2), pad=(1, 0), stride=(1, 1), num_filter=2,
                 num_group=2, num_deformable_group=2)
    data = rng.randn(2, 2, 3, 4)
    # (2, 2 * 2 * 4, 4, 3), many samples outside the image
    offset = rng.randn(2, 2 * 2 * 4, 4, 3) * 1.5
    weight = rng.randn(2, 1, 2, 2)
    bias = rng.randn(2)
    if modulated:
        mask = rng.uniform(0, 2, size=(2, 2 * 4, 4, 3))
        arrays = [data, offset, mask, weight, bias]
        op = mx.nd.contrib.ModulatedDeformableConvolution
    else:
        arrays = [data, offset, weight, bias]
        op = mx.nd.contrib.DeformableConvolution
    _numeric_check(op, arrays, attrs)


SYMBOL_CODE = """
d = mx.sym.contrib.DeformableConvolution(
    mx.sym.var("data"), mx.sym.var("offset"), kernel=(3, 3), pad=(1, 1),
    num_filter=6, num_group=2, num_deformable_group=2, name="dc")
m = mx.sym.contrib.ModulatedDeformableConvolution(
    mx.sym.var("data"), mx.sym.var("offset"), mx.sym.var("mask"),
    kernel=(3, 3), pad=(1, 1), num_filter=6, no_bias=True, name="mdc")
outputs["args/d"] = np.array(d.list_arguments())
outputs["args/m"] = np.array(m.list_arguments())
outputs["outs/d"] = np.array(d.list_outputs())
args, outs, _ = d.infer_shape(data=(2, 4, 5, 5), offset=(2, 36, 5, 5))
outputs["shapes/d"] = np.array([len(s) for s in args] + sum(
    [list(s) for s in args + outs], []))
args, outs, _ = m.infer_shape(data=(2, 4, 5, 5), offset=(2, 18, 5, 5),
                              mask=(2, 9, 5, 5))
outputs["shapes/m"] = np.array(sum([list(s) for s in args + outs], []))
outputs["types/d"] = np.array([str(np.dtype(t)) for t in
                               d.infer_type(data="float64")[0]])
outputs["auto"] = np.array(mx.sym.contrib.DeformableConvolution(
    kernel=(3, 3), num_filter=2).list_arguments())
ex = d.simple_bind(mx.cpu(), data=(2, 4, 5, 5), offset=(2, 36, 5, 5))
for name in ("data", "offset", "dc_weight", "dc_bias"):
    ex.arg_dict[name][:] = inputs[name]
y = ex.forward(is_train=True)[0]
ex.backward(mx.nd.array(np.cos(np.arange(y.size)).reshape(y.shape)))
outputs["bind/out"] = y.asnumpy()
for name in ("data", "offset", "dc_weight", "dc_bias"):
    outputs["bind/grad/" + name] = ex.grad_dict[name].asnumpy()
ex = m.simple_bind(mx.cpu(), data=(2, 4, 5, 5), offset=(2, 18, 5, 5),
                   mask=(2, 9, 5, 5), grad_req="null")
for name in ("data", "mask", "mdc_weight"):
    ex.arg_dict[name][:] = inputs[name]
ex.arg_dict["offset"][:] = inputs["offset"][:, :18]
outputs["bind/m"] = ex.forward()[0].asnumpy()
"""


@requires_oracle
def test_symbols_infer_shapes_and_run_in_executors():
    rng = np.random.RandomState(2)
    arrays = dict(data=rng.randn(2, 4, 5, 5), offset=rng.randn(2, 36, 5, 5),
                  mask=rng.rand(2, 9, 5, 5), dc_weight=rng.randn(6, 2, 3, 3),
                  dc_bias=rng.randn(6), mdc_weight=rng.randn(6, 4, 3, 3))
    arrays = {key: value.astype(np.float32) for key, value in arrays.items()}
    got, expected = run_both(SYMBOL_CODE, mx, **arrays)
    assert list(expected["args/d"]) == ["data", "offset", "dc_weight",
                                        "dc_bias"]
    for key in [k for k in expected if expected[k].dtype.kind in "US"]:
        assert list(got[key]) == list(expected[key]), key
        del got[key], expected[key]
    compare_outputs(got, expected, rtol=1e-4, atol=1e-4)


def test_symbol_json_round_trip_keeps_the_node():
    sym = mx.sym.contrib.ModulatedDeformableConvolution(
        mx.sym.var("data"), mx.sym.var("offset"), mx.sym.var("mask"),
        kernel=(3, 3), num_filter=3, im2col_step=2, name="mdc")
    again = mx.sym.load_json(sym.tojson())
    assert again.list_arguments() == ["data", "offset", "mask", "mdc_weight",
                                      "mdc_bias"]
    shapes = dict(data=(4, 2, 6, 6), offset=(4, 18, 4, 4), mask=(4, 9, 4, 4))
    assert again.infer_shape(**shapes) == sym.infer_shape(**shapes)
    assert sym.infer_shape(**shapes)[1] == [(4, 3, 4, 4)]


def _gluon_cnn():
    return importlib.import_module("kiln.gluon.contrib.cnn")


# Runs with `cnn` bound to the framework's gluon.contrib.cnn.
GLUON_CODE = """
x = mx.nd.array(inputs["x"])
for label, cls, kwargs in [
        ("v1", cnn.DeformableConvolution,
         dict(channels=6, kernel_size=3, padding=1, groups=2,
              num_deformable_group=2)),
        ("v1nb", cnn.DeformableConvolution,
         dict(channels=3, kernel_size=(2, 3), strides=2, use_bias=False,
              offset_use_bias=False, activation="relu")),
        ("v2", cnn.ModulatedDeformableConvolution,
         dict(channels=4, kernel_size=3, padding=1, dilation=1,
              num_deformable_group=2))]:
    net = cls(prefix=label + "_", **kwargs)
    outputs[label + "/repr0"] = np.array(repr(net))
    net.initialize()
    net(x)
    for name, param in sorted(net.collect_params().items()):
        values = np.sin(np.arange(np.prod(param.shape)) * 0.37 + len(name))
        param.set_data(mx.nd.array(values.reshape(param.shape) * 0.5))
    outputs[label + "/names"] = np.array(list(net.collect_params().keys()))
    outputs[label + "/repr"] = np.array(repr(net))
    net.hybridize()
    x.attach_grad()
    with mx.autograd.record():
        y = net(x)
    outputs[label + "/out"] = y.asnumpy()
    if label != "v2":  # MXNet's CPU build has no v2 backward
        y.backward(mx.nd.array(np.cos(np.arange(y.size)).reshape(y.shape)))
        outputs[label + "/dx"] = x.grad.asnumpy()
        for name, param in net.collect_params().items():
            outputs[label + "/d" + name] = param.grad().asnumpy()
"""


@requires_oracle
def test_gluon_layers_match_mxnet():
    cnn = _gluon_cnn()
    rng = np.random.RandomState(4)
    x = rng.randn(2, 4, 6, 5).astype(np.float32)
    expected = run_mxnet("from mxnet.gluon.contrib import cnn\n" +
                         GLUON_CODE, x=x)
    scope = {"mx": mx, "np": np, "inputs": {"x": x}, "outputs": {},
             "cnn": cnn}
    exec(GLUON_CODE, scope)
    got = {key: np.asarray(value) for key, value in scope["outputs"].items()}
    for key in [k for k in expected if expected[k].dtype.kind in "US"]:
        assert np.array_equal(got.pop(key), expected.pop(key)), key
    compare_outputs(got, expected, rtol=1e-4, atol=1e-4)


def test_gluon_layer_with_known_channels_initializes_at_once():
    cnn = _gluon_cnn()
    net = cnn.ModulatedDeformableConvolution(5, kernel_size=3, padding=1,
                                             in_channels=2)
    net.initialize()
    assert tuple(net.offset_weight.shape) == (27, 2, 3, 3)
    assert tuple(net.deformable_conv_weight.shape) == (5, 0, 3, 3)
    y = net(mx.nd.ones((1, 2, 4, 4)))
    assert y.shape == (1, 5, 4, 4)
    assert tuple(net.deformable_conv_weight.shape) == (5, 2, 3, 3)
    with pytest.raises(AssertionError, match="NCHW"):
        cnn.DeformableConvolution(2, layout="NCW")


PRELUDE = """
D = mx.nd.contrib.DeformableConvolution
M = mx.nd.contrib.ModulatedDeformableConvolution
x = mx.nd.ones((2, 4, 5, 5))
off = mx.nd.zeros((2, 18, 5, 5))
m = mx.nd.ones((2, 9, 5, 5))
w = mx.nd.ones((6, 4, 3, 3))
b = mx.nd.zeros((6,))
k = dict(kernel=(3, 3), pad=(1, 1), num_filter=6)
"""

REFUSED_BY_BOTH = [
    ("offset_channels", "D(x, mx.nd.zeros((2, 16, 5, 5)), w, b, **k)",
     r"offsetshape\[1\] % .*7 vs\. 0.*offset filter"),
    ("offset_groups", "D(x, mx.nd.zeros((2, 36, 5, 5)), w, b, **k)",
     r"num_deformable_group \(2 vs\. 1\)"),
    ("offset_height", "D(x, mx.nd.zeros((2, 18, 4, 5)), w, b, **k)",
     r"output height must equal to offset map height"),
    ("mask_channels", "M(x, off, mx.nd.ones((2, 8, 5, 5)), w, b, **k)",
     r"maskshape\[1\] % .*8 vs\. 0"),
    ("mask_width", "M(x, off, mx.nd.ones((2, 9, 5, 4)), w, b, **k)",
     r"output width must equal to mask map width"),
    ("filters_by_groups", "D(x, off, mx.nd.ones((4, 2, 3, 3)), "
     "mx.nd.zeros(5), kernel=(3, 3), pad=(1, 1), num_filter=5, "
     "num_group=2)", r"num_filter % param_.num_group .*output num_filter"),
    ("filters_by_groups_v2", "M(x, off, m, mx.nd.ones((4, 2, 3, 3)), "
     "mx.nd.zeros(5), kernel=(3, 3), pad=(1, 1), num_filter=5, "
     "num_group=2)", r"output num_filter must divide group size"),
    ("channels_by_groups", "D(mx.nd.ones((2, 3, 5, 5)), off, "
     "mx.nd.ones((6, 1, 3, 3)), b, kernel=(3, 3), pad=(1, 1), num_filter=6, "
     "num_group=2)", r"input num_filter must divide group size"),
    ("weight_shape", "D(x, off, mx.nd.ones((6, 3, 3, 3)), b, **k)",
     r"Shape inconsistent, Provided = \[6,3,3,3\], inferred "
     r"shape=\(6,4,3,3\)"),
    ("data_rank", "D(mx.nd.ones((2, 4, 5)), off, w, b, **k)",
     r"dshp.ndim\(\) == 4U \(3 vs\. 4\) : Input data should be 4D"),
    ("offset_rank", "D(x, mx.nd.zeros((18, 5, 5)), w, b, **k)",
     r"Input offset should be 4D"),
    ("mask_rank_v2", "M(x, off, mx.nd.ones((9, 5, 5)), w, b, **k)",
     r"Input mask should be 4D"),
    ("kernel_1d", "D(mx.nd.ones((2, 4, 5)), mx.nd.zeros((2, 6, 5)), "
     "mx.nd.ones((6, 4, 3)), b, kernel=(3,), pad=(1,), num_filter=6)",
     r"not implemented"),
    ("kernel_too_big", "D(mx.nd.ones((2, 4, 2, 2)), "
     "mx.nd.zeros((2, 18, 1, 1)), w, b, kernel=(3, 3), stride=(2, 2), "
     "num_filter=6)", r"kernel size exceed input"),
    ("stride_zero", "D(x, off, w, b, stride=(0, 1), **k)",
     r"incorrect stride size: \[0,1\]"),
    ("layout_nhwc", "D(x, off, w, b, layout='NHWC', **k)",
     r"Invalid Input: 'NHWC', valid values are: \{None, 'NCDHW'"),
    ("layout_ncw", "D(x, off, w, b, layout='NCW', **k)",
     r"Invalid layout for 4d shape"),
    ("bias_with_no_bias", "D(x, off, w, b, no_bias=True, **k)",
     r"expects 3 inputs"),
    ("missing_weight", "D(x, off, **k)", r"missing input 'weight'"),
    ("num_filter_zero", "D(x, off, w, b, kernel=(3, 3), num_filter=0)",
     r"value 0 for Parameter num_filter should be greater equal to 1"),
    ("im2col_step_v1", "D(x, off, w, b, im2col_step=1, **k)",
     r"Cannot find argument 'im2col_step'"),
    ("im2col_step_batch", "M(mx.nd.ones((3, 4, 5, 5)), "
     "mx.nd.zeros((3, 18, 5, 5)), mx.nd.ones((3, 9, 5, 5)), w, b, "
     "im2col_step=2, **k)", r"input batchsize must be smaller than or "
     r"divide im2col_step"),
    ("mixed_dtypes", "D(x, off.astype('float64'), w, b, **k)",
     r"requires uniform type. Expected 'float32' v.s. given 'float64' at "
     r"'offset'"),
    ("float16", "D(x.astype('float16'), off.astype('float16'), "
     "w.astype('float16'), b.astype('float16'), **k)",
     r"FP16 gemm on cpu not implemented"),
    ("int32", "M(x.astype('int32'), off.astype('int32'), m.astype('int32'),"
     " w.astype('int32'), b.astype('int32'), **k)",
     r"only support floating point types, not int32"),
]

# MXNet divides by zero (the process dies) or reads past the offsets here.
KILN_ONLY = [
    ("num_group_zero", "D(x, off, w, b, num_group=0, **k)",
     r"num_group should be greater equal to 1"),
    ("im2col_step_zero", "M(x, off, m, w, b, im2col_step=0, **k)",
     r"im2col_step should be greater equal to 1"),
    ("offset_batch", "D(x, mx.nd.zeros((1, 18, 5, 5)), w, b, **k)",
     r"offset batch 1 differs from data batch 2"),
]

test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, PRELUDE, REFUSED_BY_BOTH, KILN_ONLY, MXNetError)
