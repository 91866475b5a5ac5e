"""A user-given num_args of MXNet's variadic operators (concat, add_n,
stack, khatri_rao, _rnn_param_concat, UpSampling, Crop, quantized_concat):
kept, as MXNet 1.9.1 fills it in only when absent, and MXNet's error when
it disagrees with the inputs or is no int >= 1; mx.nd and mx.sym, compared
with the MXNet oracle."""
import json

import numpy as np

import kiln as mx
from mxnet_oracle import requires_oracle, run_mxnet

# Expressions over a, b (2x3 float32), q (2x3 int8), lo, hi (1,), u (1x1x4x4)
# and w (1x1x2x2) / symbols x, y.
CASES = [
    "mx.nd.concat(a, b, num_args=3)",
    "mx.nd.concat(a, b, num_args=1)",
    "mx.nd.concat(a, b, num_args=2)",
    "mx.nd.concat(a, b, num_args='2')",
    "mx.nd.concat(a, b, num_args=2.0)",
    "mx.nd.concat(a, b, num_args=None)",
    "mx.nd.concat(a, b, num_args=0)",
    "mx.nd.Concat(a, b, num_args=3, dim=0)",
    "mx.nd.concat(a, b)",
    "mx.nd.add_n(a, b, num_args=3)",
    "mx.nd.ElementWiseSum(a, b, num_args=1)",
    "mx.nd.stack(a, b, num_args=3)",
    "mx.nd.stack(a, b, num_args=2)",
    "mx.nd.khatri_rao(a, b, num_args=3)",
    "mx.nd._internal._rnn_param_concat(a, b, num_args=3, dim=0)",
    "mx.nd.UpSampling(u, scale=2, sample_type='nearest', num_args=2)",
    "mx.nd.UpSampling(u, u, scale=2, sample_type='nearest', num_args=1)",
    "mx.nd.UpSampling(u, mx.nd.ones((1, 1, 4, 4)), scale=2, "
    "sample_type='bilinear', num_filter=1, num_args=1)",
    "mx.nd.Crop(u, w, num_args=1)",
    "mx.nd.Crop(u, w, num_args=2)",
    "mx.nd.contrib.quantized_concat(q, q, lo, hi, lo, hi, num_args=3)",
    "mx.nd.contrib.quantized_concat(q, q, lo, hi, lo, hi, num_args=1)",
    "mx.nd.contrib.quantized_concat(q, q, lo, hi, lo, hi, num_args=2)",
    "mx.sym.concat(x, y, num_args=3, name='c').list_arguments()",
    "mx.sym.concat(x, y, num_args=1, name='c').list_arguments()",
    "mx.sym.contrib.quantized_concat(x, y, x, x, y, y, num_args=3, "
    "name='c').list_arguments()",
]

_RUN = '''
import json
a = mx.nd.array(inputs["a"]); b = mx.nd.array(inputs["b"])
q = mx.nd.array(inputs["q"], dtype="int8")
lo = mx.nd.array([-1.0]); hi = mx.nd.array([1.0])
u = mx.nd.array(inputs["u"]); w = mx.nd.array(inputs["w"])
x = mx.sym.var("x"); y = mx.sym.var("y")
results = []
for case in CASES:
    try:
        value = eval(case)
    except Exception as error:
        results.append(["error", type(error).__name__, str(error)])
        continue
    if isinstance(value, (list, tuple)) and value and \\
            isinstance(value[0], str):
        results.append(["names", list(value)])
        continue
    value = value if isinstance(value, (list, tuple)) else [value]
    results.append(["arrays", [v.asnumpy().tolist() for v in value]])
'''


def _outcomes(mx_module, arrays):
    scope = {"mx": mx_module, "np": np, "inputs": arrays, "CASES": CASES}
    exec(_RUN, scope)
    return scope["results"]


@requires_oracle
def test_num_args_matches_mxnet():
    rng = np.random.RandomState(0)
    arrays = {"a": rng.randn(2, 3).astype(np.float32),
              "b": rng.randn(2, 3).astype(np.float32),
              "q": rng.randint(-5, 5, (2, 3)).astype(np.int8),
              "u": rng.randn(1, 1, 4, 4).astype(np.float32),
              "w": rng.randn(1, 1, 2, 2).astype(np.float32)}
    got = run_mxnet("CASES = %r\n" % (CASES,) + _RUN +
                    "outputs['r'] = np.asarray(json.dumps(results))",
                    **arrays)
    expected = json.loads(str(got["r"]))
    mine = _outcomes(mx, arrays)
    for case, want, have in zip(CASES, expected, mine):
        assert have[0] == want[0], (case, have, want[:2])
        if want[0] == "error":
            assert have[1] == want[1], (case, have, want)
            # MXNet's words, without its traceback and check-failed prefix.
            for marker in ("expects", "Invalid Parameter format",
                           "should be greater equal to 1"):
                if marker in want[2]:
                    line = [line for line in want[2].splitlines()
                            if marker in line][0]
                    assert line.split(": ")[-1].split(", in operator")[0] \
                        in have[2], (case, have[2], line)
                    break
        elif want[0] == "names":
            assert have[1] == want[1], case
        else:
            assert len(have[1]) == len(want[1]), case
            for mine_value, want_value in zip(have[1], want[1]):
                np.testing.assert_allclose(np.array(mine_value),
                                           np.array(want_value), rtol=1e-6,
                                           err_msg=case)
