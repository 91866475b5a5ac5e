"""MXNet 1.9.1's quantization operators (kiln/_contrib_ops/quantization.py)
against the real MXNet's oneDNN CPU kernels: quantize, quantize_v2 (own,
calibrated and 'auto' ranges, quantized data passed through), dequantize,
requantize (calibrated or not, int8 / uint8), quantized_flatten and
quantized_act, value for value; their symbols and JSON; bad inputs.
"""
import json

import numpy as np

import kiln as mx
import kiln._contrib_ops.quantization  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import (bad_input_tests, compare_outputs, requires_oracle,
                          run_both, run_mxnet)

CASES = """
c = mx.nd.contrib
x = mx.nd.array(inputs["x"])
pos = mx.nd.array(inputs["pos"])
q8 = mx.nd.array(inputs["q8"], dtype="int8")
acc = mx.nd.array(inputs["acc"], dtype="int32")
lo, hi = mx.nd.array([-1.5]), mx.nd.array([3.0])
def put(name, result):
    for k, r in enumerate(result if isinstance(result, list) else [result]):
        outputs["%s/%d" % (name, k)] = r.asnumpy()
for t in ("int8", "uint8"):
    put("quantize_" + t, c.quantize(x, lo, hi, out_type=t))
    put("quantize_data_range_" + t,
        c.quantize(x, mx.nd.array([x.min().asscalar()]),
                   mx.nd.array([x.max().asscalar()]), out_type=t))
for t in ("int8", "uint8", "auto"):
    put("v2_" + t, c.quantize_v2(x, out_type=t))
    put("v2_pos_" + t, c.quantize_v2(pos, out_type=t))
    put("v2_calib_" + t, c.quantize_v2(x, out_type=t, min_calib_range=-1.0,
                                       max_calib_range=2.0))
    put("v2_calib_pos_" + t, c.quantize_v2(pos, out_type=t,
                                           min_calib_range=0.0,
                                           max_calib_range=0.7))
put("v2_pass_int8", c.quantize_v2(q8))
put("v2_pass_uint8", c.quantize_v2(q8.astype("uint8")))
put("v2_pass_calib", c.quantize_v2(q8, min_calib_range=-2.0,
                                   max_calib_range=1.0))
for t in ("int8", "uint8"):
    qs = c.quantize_v2(x, out_type=t)
    put("dequantize_" + t, c.dequantize(*qs))
put("dequantize_given", c.dequantize(q8, lo, hi))
for t in ("int8", "uint8", "auto"):
    put("requantize_" + t, c.requantize(acc, mx.nd.array([-10.0]),
                                        mx.nd.array([10.0]), out_type=t))
    put("requantize_calib_" + t,
        c.requantize(acc, mx.nd.array([-10.0]), mx.nd.array([10.0]),
                     out_type=t, min_calib_range=0.0 if t == "auto" else
                     -0.01, max_calib_range=0.005))
put("flatten", c.quantized_flatten(q8.reshape((2, 3, 2)), lo, hi))
put("act", c.quantized_act(q8, lo, hi, act_type="relu"))
put("act_uint8", c.quantized_act(q8.astype("uint8"), lo, hi,
                                 act_type="relu"))
"""


@requires_oracle
def test_quantization_ops_match_mxnet_exactly():
    rng = np.random.RandomState(0)
    x = (rng.randn(4, 6) * 1.3).astype("f")
    x[0, :3] = [0.2, -0.1, 3.0]  # halves after scaling round to even
    got, expected = run_both(
        CASES, mx, x=x, pos=rng.uniform(0, 0.9, (3, 5)).astype("f"),
        q8=rng.randint(-128, 128, (3, 4)).astype("int8"),
        acc=rng.randint(-2 ** 24, 2 ** 24, (5, 7)).astype("int32"))
    # Same bytes: quantized values are exact, ranges float32.
    compare_outputs(got, expected, rtol=0, atol=0)


SYMBOLS = """
d = mx.sym.var("d")
q = mx.sym.contrib.quantize_v2(d, out_type="int8", min_calib_range=-1.0,
                               max_calib_range=2.0, name="q")
deq = mx.sym.contrib.dequantize(q[0], q[1], q[2], name="deq")
outputs["json"] = np.array(deq.tojson())
outputs["outs"] = np.array(",".join(q.list_outputs()))
ex = deq.bind(mx.cpu(), {"d": mx.nd.array(inputs["x"])})
outputs["value"] = ex.forward()[0].asnumpy()
"""


@requires_oracle
def test_symbols_and_json_match_mxnet():
    x = np.random.RandomState(1).randn(3, 4).astype("f")
    expected = run_mxnet(SYMBOLS, x=x)
    scope = {"mx": mx, "np": np, "inputs": {"x": x}, "outputs": {}}
    exec(SYMBOLS, scope)
    got = scope["outputs"]
    mine, theirs = (json.loads(str(v)) for v in (got["json"],
                                                 expected["json"]))
    assert [(n["op"], n["name"], n.get("attrs"), n["inputs"])
            for n in mine["nodes"]] == \
        [(n["op"], n["name"], n.get("attrs"), n["inputs"])
         for n in theirs["nodes"]]
    assert str(got["outs"]) == str(expected["outs"])
    np.testing.assert_array_equal(got["value"], expected["value"])
    loaded = mx.sym.load_json(str(expected["json"]))
    out = loaded.eval(ctx=mx.cpu(), d=mx.nd.array(x))[0]
    np.testing.assert_array_equal(out.asnumpy(), expected["value"])


PRELUDE = """
c = mx.nd.contrib
x = mx.nd.ones((2, 3)); lo, hi = mx.nd.array([-1.0]), mx.nd.array([1.0])
q8 = mx.nd.ones((2, 3), dtype="int8")
"""
test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, PRELUDE, [
        ("quantize_int32", "c.quantize(x, lo, hi, out_type='int32')",
         "Invalid Input: 'int32', valid values are"),
        ("dequantize_float", "c.dequantize(x, lo, hi)",
         "must be provided, either uint8 or int8"),
        ("act_sigmoid", "c.quantized_act(q8, lo, hi, act_type='sigmoid')",
         "only supports act_type=relu"),
        ("v2_bad_calib", "c.quantize_v2(x, min_calib_range='low', "
         "max_calib_range=1.0)", "Invalid Parameter format for "
         "min_calib_range"),
    ], [
        ("requantize_float", "c.requantize(x, lo, hi)",
         "requantize: data expected int32"),
        ("quantize_range_shape", "c.quantize(x, mx.nd.ones((2,)), hi)",
         r"min_range expected shape \(1,\)"),
    ], MXNetError)
