"""mx.sym.Convolution_v1 / Pooling_v1 / BatchNorm_v1 (kiln/symbol/_legacy_ops.py):
a JSON that MXNet 1.9.1 writes with these nodes loads in kiln, binds, and
runs forward (inference and training) and backward as MXNet's does."""
import json

import numpy as np
import pytest

import kiln as mx
import kiln.symbol._legacy_ops as legacy
from mxnet_oracle import requires_oracle, run_mxnet

_BUILD = """
net = CONV(mx.sym.var("data"), kernel=(3, 3), num_filter=4, pad=(1, 1), name="c1")
net = BN(net, name="bn", fix_gamma=False, eps=1e-4)
net = POOL(net, kernel=(2, 2), stride=(2, 2), pad=(1, 1), pool_type="max", name="p1")
net = mx.sym.Activation(net, act_type="tanh")
net = CONV(net, kernel=(2, 2), num_filter=3, no_bias=True, name="c2")
net = BN(net, name="bn2", use_global_stats=True)
net = POOL(net, kernel=(2, 2), pool_type="avg", pad=(1, 1), name="p2")
net = POOL(net, kernel=(1, 1), global_pool=True, pool_type="sum", name="p3")
"""

_RUN = """
ex = net.simple_bind(mx.cpu(), data=(2, 3, 8, 8))
for key in sorted(ex.arg_dict):
    ex.arg_dict[key][:] = inputs["arg_" + key]
for key in sorted(ex.aux_dict):
    ex.aux_dict[key][:] = inputs["aux_" + key]
outputs["names"] = np.array(repr((net.list_arguments(), net.list_auxiliary_states(),
                                  net.list_outputs())))
outputs["shapes"] = np.array(repr(net.infer_shape(data=(2, 3, 8, 8))))
outputs["infer"] = ex.forward(is_train=False)[0].asnumpy()
outputs["train"] = ex.forward(is_train=True)[0].asnumpy()
ex.backward(mx.nd.array(inputs["head"]))
for key in sorted(ex.grad_dict):
    if ex.grad_dict[key] is not None:
        outputs["grad_" + key] = ex.grad_dict[key].asnumpy()
"""


def _inputs():
    rng = np.random.RandomState(5)
    shapes = {"data": (2, 3, 8, 8), "c1_weight": (4, 3, 3, 3), "c1_bias": (4,),
              "bn_gamma": (4,), "bn_beta": (4,), "c2_weight": (3, 4, 2, 2),
              "bn2_gamma": (3,), "bn2_beta": (3,)}
    arrays = {"arg_" + k: rng.uniform(-1, 1, s).astype(np.float32)
              for k, s in shapes.items()}
    for name, n in (("bn", 4), ("bn2", 3)):
        arrays["aux_%s_moving_mean" % name] = rng.uniform(-.5, .5, n).astype(np.float32)
        arrays["aux_%s_moving_var" % name] = rng.uniform(.5, 1.5, n).astype(np.float32)
    arrays["head"] = rng.uniform(-1, 1, (2, 3, 1, 1)).astype(np.float32)
    return arrays


@requires_oracle
def test_mxnet_json_loads_binds_and_runs_as_mxnet():
    arrays = _inputs()
    want = run_mxnet("CONV, BN, POOL = mx.sym.Convolution_v1, mx.sym.BatchNorm_v1, "
                     "mx.sym.Pooling_v1\n" + _BUILD
                     + "outputs['json'] = np.array(net.tojson())\n" + _RUN, **arrays)
    net = mx.sym.load_json(str(want["json"]))
    scope = {"mx": mx, "np": np, "net": net, "inputs": arrays, "outputs": {}}
    exec(_RUN, scope)
    got = scope["outputs"]
    assert sorted(got) == sorted(k for k in want if k != "json")
    for key in sorted(got):
        if key in ("names", "shapes"):
            assert str(got[key]) == str(want[key]), key
        else:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-4, atol=1e-5,
                                       err_msg=key)
    # kiln's own symbol functions write the same graph
    scope = {"mx": mx, "CONV": legacy.Convolution_v1, "BN": legacy.BatchNorm_v1,
             "POOL": legacy.Pooling_v1}
    exec(_BUILD, scope)
    mine = mx.sym.load_json(scope["net"].tojson())
    assert [n["op"] for n in json.loads(mine.tojson())["nodes"]] == \
        [n["op"] for n in json.loads(str(want["json"]))["nodes"]]


def test_bad_attributes_raise():
    data = mx.sym.var("data")
    with pytest.raises(mx.base.MXNetError, match="kernel"):
        ex = legacy.Convolution_v1(data, num_filter=2, name="c").simple_bind(
            mx.cpu(), data=(1, 1, 4, 4))
        ex.forward()
    net = legacy.Pooling_v1(data, kernel=(2, 2), pool_type="lp")
    with pytest.raises(mx.base.MXNetError, match="pool_type|lp"):
        net.simple_bind(mx.cpu(), data=(1, 1, 4, 4)).forward()
