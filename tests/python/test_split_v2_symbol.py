"""mx.sym.split_v2 builds MXNet 1.9.1's _split_v2 node (sections or
indices, squeeze_axis, negative axis): JSON both ways with MXNet, shape
inference, and forward values and gradients through simple_bind, compared
with the MXNet oracle; MXNet's errors for bad splits."""
import json

import numpy as np
import pytest

import kiln as mx
from mxnet_oracle import requires_oracle, run_mxnet

# (indices_or_sections, axis, squeeze_axis, data shape)
CASES = [
    (3, 1, False, (3, 4)),          # array_split sizes: 2, 1, 1
    (3, -1, False, (2, 5)),         # 2, 2, 1
    (2, 0, False, (4, 3)),
    ((1, 3), -1, False, (3, 4)),    # indices [0, 1, 3]
    ((2,), 0, False, (5, 2)),
    (4, 1, True, (3, 4)),
    ((1, 2), 1, True, (2, 3)),
    (1, 0, False, (2, 3)),          # one output: '<name>_output'
]

_ORACLE = '''
import json
for case, (ios, axis, squeeze, shape) in enumerate(CASES):
    x = mx.sym.var("x")
    sym = mx.sym.split_v2(x, ios, axis=axis, squeeze_axis=squeeze, )
    outputs["json%d" % case] = np.asarray(sym.tojson())
    outputs["outs%d" % case] = np.asarray(json.dumps(sym.list_outputs()))
    outputs["shapes%d" % case] = np.asarray(json.dumps(
        sym.infer_shape(x=shape)[1]))
    # The kiln-written JSON read back by MXNet.
    loaded = mx.sym.load_json(str(inputs["kjson%d" % case]))
    outputs["kshapes%d" % case] = np.asarray(json.dumps(
        loaded.infer_shape(x=shape)[1]))
    heads = list(loaded)
    scaled = mx.sym.Group([h * (i + 1) for i, h in enumerate(heads)])
    ex = scaled.simple_bind(mx.cpu(), x=shape)
    ex.arg_dict["x"][:] = inputs["x%d" % case]
    results = ex.forward(is_train=True)
    for i, r in enumerate(results):
        outputs["y%d_%d" % (case, i)] = r.asnumpy()
    ex.backward([mx.nd.array(inputs["g%d_%d" % (case, i)])
                 for i in range(len(results))])
    outputs["dx%d" % case] = ex.grad_dict["x"].asnumpy()
'''


def _kiln_run(sym, shape, data, grads):
    heads = list(sym)
    scaled = mx.sym.Group([h * (i + 1) for i, h in enumerate(heads)])
    ex = scaled.simple_bind(mx.cpu(), x=shape)
    ex.arg_dict["x"][:] = data
    results = ex.forward(is_train=True)
    ex.backward([mx.nd.array(g) for g in grads])
    return [r.asnumpy() for r in results], ex.grad_dict["x"].asnumpy()


@requires_oracle
def test_split_v2_symbol_matches_mxnet():
    rng = np.random.RandomState(0)
    arrays, kiln_syms, expected_shapes = {}, [], []
    for case, (ios, axis, squeeze, shape) in enumerate(CASES):
        sym = mx.sym.split_v2(mx.sym.var("x"), ios, axis=axis,
                              squeeze_axis=squeeze)
        kiln_syms.append(sym)
        arrays["kjson%d" % case] = np.asarray(sym.tojson())
        arrays["x%d" % case] = rng.randn(*shape).astype(np.float32)
        out_shapes = sym.infer_shape(x=shape)[1]
        expected_shapes.append(out_shapes)
        for i, out_shape in enumerate(out_shapes):
            arrays["g%d_%d" % (case, i)] = rng.randn(*out_shape).astype(
                np.float32)
    got = run_mxnet("CASES = %r\n" % (CASES,) + _ORACLE, **arrays)
    for case, (ios, axis, squeeze, shape) in enumerate(CASES):
        sym = kiln_syms[case]
        ref = json.loads(str(got["json%d" % case]))
        mine = json.loads(sym.tojson())
        assert mine["nodes"] == ref["nodes"], case
        assert mine["heads"] == ref["heads"], case
        assert sym.list_outputs() == json.loads(str(got["outs%d" % case]))
        want = [tuple(s) for s in json.loads(str(got["shapes%d" % case]))]
        assert expected_shapes[case] == want, case
        assert [tuple(s) for s in json.loads(
            str(got["kshapes%d" % case]))] == want, case
        # MXNet's JSON read by kiln, bound and run.
        loaded = mx.sym.load_json(str(got["json%d" % case]))
        assert loaded.infer_shape(x=shape)[1] == want, case
        grads = [arrays["g%d_%d" % (case, i)] for i in range(len(want))]
        ys, dx = _kiln_run(loaded, shape, arrays["x%d" % case], grads)
        for i, y in enumerate(ys):
            np.testing.assert_allclose(y, got["y%d_%d" % (case, i)],
                                       rtol=1e-6, err_msg=str(case))
        np.testing.assert_allclose(dx, got["dx%d" % case], rtol=1e-6,
                                   err_msg=str(case))


def test_split_v2_symbol_errors():
    x = mx.sym.var("x")
    with pytest.raises(mx.base.MXNetError, match="expected axis size of 1 "
                       "but got 2"):
        mx.sym.split_v2(x, 3, axis=1, squeeze_axis=True).infer_shape(
            x=(3, 4))
    with pytest.raises(mx.base.MXNetError, match="start 3 is not less than "
                       "end 1"):
        mx.sym.split_v2(x, (3, 1), axis=1).infer_shape(x=(3, 4))
    with pytest.raises(mx.base.MXNetError, match="axis 2 is out of range"):
        mx.sym.split_v2(x, 2, axis=2).infer_shape(x=(3, 4))
    with pytest.raises(ValueError, match="indices_or_sections must either "
                       "int or tuple of ints"):
        mx.sym.split_v2(x, [1, 2], axis=1)
    with pytest.raises(mx.base.MXNetError, match="Required parameter "
                       "indices"):
        mx.sym._internal._split_v2(x, axis=1, sections=2)


def test_split_v2_nd_functions_unchanged():
    data = mx.nd.array(np.arange(12).reshape(3, 4))
    parts = mx.nd.split_v2(data, (1, 3), axis=1)
    assert [p.shape for p in parts] == [(3, 1), (3, 2), (3, 1)]
    parts = mx.nd._internal._split_v2(data, indices=(), sections=3, axis=1)
    assert [p.shape for p in parts] == [(3, 2), (3, 1), (3, 1)]
    np.testing.assert_array_equal(parts[1].asnumpy(),
                                  np.arange(12).reshape(3, 4)[:, 2:3])
