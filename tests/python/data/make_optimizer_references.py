"""Writes mxnet_1.9.1_optimizer_updates.json: MXNet 1.9.1's optimizer update
operators run for several steps on small seeded arrays, with every array
before and after each step. Run with the oracle venv's python:

    /root/.cache/kiln/venvs/mxnet-1.9.1/bin/python \
        tests/python/data/make_optimizer_references.py

test_optimizer_ops_more.py replays each case on kiln and compares.
"""
import json
import os

import mxnet as mx
import numpy as np

nd = mx.nd
F32, F16 = "float32", "float16"


def op_function(name):
    return getattr(nd, name, None) or getattr(nd._internal, name)


def case(name, op, arrays, inputs, grads, attrs, out="weight", steps=3, seed=0):
    """arrays: {name: (init, shape, dtype)} with init "normal", "abs",
    "zeros", a list of values, or "=other" (other's values in this dtype);
    grads: the arrays drawn afresh each step; attrs: a dict, or a function
    of the step (1, 2, ...) giving one; out: an array name, a list of them,
    or None."""
    rng = np.random.default_rng(seed)
    values = {}
    for key, (init, shape, dtype) in arrays.items():
        if isinstance(init, str) and init.startswith("="):
            values[key] = values[init[1:]].astype(dtype)
        elif init == "normal":
            values[key] = rng.standard_normal(shape).astype(dtype)
        elif init == "abs":
            values[key] = np.abs(rng.standard_normal(shape)).astype(dtype)
        elif init == "zeros":
            values[key] = np.zeros(shape, dtype)
        else:
            values[key] = np.array(init, dtype).reshape(shape)
    live = {key: nd.array(value, dtype=value.dtype) for key, value in values.items()}
    record = {"op": op, "inputs": inputs, "out": out,
              "initial": {key: {"dtype": str(v.dtype), "shape": list(v.shape),
                                "values": v.ravel().tolist()}
                          for key, v in values.items()},
              "steps": []}
    for step in range(1, steps + 1):
        fresh = {}
        for key in grads:
            _, shape, dtype = arrays[key]
            fresh[key] = (rng.standard_normal(shape) * 2).astype(dtype)
            live[key] = nd.array(fresh[key], dtype=dtype)
        step_attrs = attrs(step) if callable(attrs) else attrs
        kwargs = dict(step_attrs)
        if out is not None:
            kwargs["out"] = [live[k] for k in out] if isinstance(out, list) else live[out]
        result = op_function(op)(*[live[k] for k in inputs], **kwargs)
        results = result if isinstance(result, list) else [result]
        record["steps"].append({
            "attrs": {k: (list(v) if isinstance(v, tuple) else v) for k, v in step_attrs.items()},
            "grads": {k: v.ravel().tolist() for k, v in fresh.items()},
            "result": [r.asnumpy().astype(np.float64).ravel().tolist() for r in results],
            "result_is_list": isinstance(result, list),
            "arrays": {k: v.asnumpy().astype(np.float64).ravel().tolist()
                       for k, v in live.items()}})
    CASES[name] = record


CASES = {}
S = (2, 3)
W = {"weight": ("normal", S, F32), "grad": ("normal", S, F32)}
WMP = {"weight32": ("normal", S, F32), "weight": ("=weight32", S, F16),
       "grad": ("normal", S, F16)}
G = ["grad"]
common = dict(lr=0.1, wd=0.05, rescale_grad=0.5)
clip = dict(common, clip_gradient=0.4)

for tag, hp in [("", common), ("_clip", clip)]:
    case("signsgd" + tag, "signsgd_update", W, ["weight", "grad"], G, hp)
    case("signum" + tag, "signum_update", dict(W, mom=("normal", S, F32)),
         ["weight", "grad", "mom"], G, dict(hp, momentum=0.8, wd_lh=0.02))
    for out in ("weight", None):
        case("nag%s_out_%s" % (tag, out), "nag_mom_update", dict(W, mom=("normal", S, F32)),
             ["weight", "grad", "mom"], G, dict(hp, momentum=0.9), out=out)
    case("mp_nag" + tag, "mp_nag_mom_update", dict(WMP, mom=("normal", S, F32)),
         ["weight", "grad", "mom", "weight32"], G, dict(hp, momentum=0.9))
    case("mp_sgd" + tag, "mp_sgd_update", WMP, ["weight", "grad", "weight32"], G, hp)
    case("mp_sgd_mom" + tag, "mp_sgd_mom_update", dict(WMP, mom=("normal", S, F32)),
         ["weight", "grad", "mom", "weight32"], G, dict(hp, momentum=0.9))
    case("rmsprop" + tag, "rmsprop_update", dict(W, n=("abs", S, F32)),
         ["weight", "grad", "n"], G,
         dict(hp, gamma1=0.9, epsilon=1e-6, clip_weights=0.8 if tag else -1.0))
    case("rmspropalex" + tag, "rmspropalex_update",
         dict(W, n=("zeros", S, F32), g=("zeros", S, F32), delta=("normal", S, F32)),
         ["weight", "grad", "n", "g", "delta"], G,
         dict(hp, gamma1=0.9, gamma2=0.8, epsilon=1e-4, clip_weights=0.8 if tag else -1.0))
    ftml_hp = dict(lr=0.1, wd=0.05, rescale_grad=0.5, clip_grad=hp.get("clip_gradient", -1.0))
    case("ftml" + tag, "ftml_update",
         dict(W, d=("zeros", S, F32), v=("zeros", S, F32), z=("zeros", S, F32)),
         ["weight", "grad", "d", "v", "z"], G,
         lambda t, h=ftml_hp: dict(h, beta1=0.6, beta2=0.999, epsilon=1e-8, t=t))
    case("ftrl" + tag, "ftrl_update", dict(W, z=("normal", S, F32), n=("abs", S, F32)),
         ["weight", "grad", "z", "n"], G, dict(hp, lamda1=0.02, beta=1.0))
    for bias in (True, False):
        lamb = lambda t, h=hp, b=bias: dict(wd=h["wd"], rescale_grad=h["rescale_grad"],
                                            clip_gradient=h.get("clip_gradient", -1.0),
                                            beta1=0.9, beta2=0.999, epsilon=1e-6, t=t,
                                            bias_correction=b)
        case("lamb_phase1%s_bias_%s" % (tag, bias), "lamb_update_phase1",
             dict(W, mean=("zeros", S, F32), var=("zeros", S, F32)),
             ["weight", "grad", "mean", "var"], G, lamb, out=None)
        case("mp_lamb_phase1%s_bias_%s" % (tag, bias), "mp_lamb_update_phase1",
             dict(WMP, mean=("zeros", S, F32), var=("zeros", S, F32)),
             ["weight", "grad", "mean", "var", "weight32"], G, lamb, out=None)
    adamw_hp = dict(lr=0.01, eta=0.5, wd=0.05, beta1=0.9, beta2=0.99, epsilon=1e-6,
                    clip_gradient=hp.get("clip_gradient", -1.0))
    for rescale in ([0.5], [float("nan")], [0.0], [float("inf")]):
        tagged = "%s_rescale_%s" % (tag, rescale[0])
        case("adamw" + tagged, "_adamw_update",
             dict(W, mean=("zeros", S, F32), var=("zeros", S, F32), rescale=(rescale, (1,), F32)),
             ["weight", "grad", "mean", "var", "rescale"], G, adamw_hp)
        case("mp_adamw" + tagged, "_mp_adamw_update",
             dict(WMP, mean=("zeros", S, F32), var=("zeros", S, F32), rescale=(rescale, (1,), F32)),
             ["weight", "grad", "mean", "var", "weight32", "rescale"], G, adamw_hp)

for lower, upper in [(-1.0, -1.0), (0.5, -1.0), (-1.0, 0.3), (0.0, 0.0)]:
    for r1 in ([1.5], [0.0]):
        arrays = dict(weight=("normal", S, F32), g=("normal", S, F32),
                      r1=(r1, (1,), F32), r2=([2.5], (1,), F32))
        hp = dict(lr=0.1, lower_bound=lower, upper_bound=upper)
        name = "lamb_phase2_%s_%s_r1_%s" % (lower, upper, r1[0])
        case(name, "lamb_update_phase2", arrays, ["weight", "g", "r1", "r2"], ["g"], hp)
        arrays = dict(weight32=("normal", S, F32), weight=("=weight32", S, F16),
                      g=("normal", S, F32), r1=(r1, (1,), F32), r2=([2.5], (1,), F32))
        case("mp_" + name, "mp_lamb_update_phase2", arrays,
             ["weight", "g", "r1", "r2", "weight32"], ["g"], hp)

# Multi-tensor forms: two weights of different shapes.
S0, S1 = (2, 3), (4,)


def multi(per, grad_dtype, n=2):
    """Arrays (weight, grad, ... per weight i, named key + str(i)), their
    order as inputs, and the gradients' names."""
    arrays, grads = {}, []
    for i, shape in enumerate([S0, S1][:n]):
        if "weight32" in per:
            arrays["weight32%d" % i] = ("normal", shape, F32)
            arrays["weight%d" % i] = ("=weight32%d" % i, shape, F16)
        else:
            arrays["weight%d" % i] = ("normal", shape, F32)
        arrays["grad%d" % i] = ("normal", shape, grad_dtype)
        grads.append("grad%d" % i)
        for key in per:
            if key not in ("weight", "grad", "weight32"):
                arrays["%s%d" % (key, i)] = ("normal" if key == "mom" else "zeros", shape, F32)
    order = ["%s%d" % (key, i) for i in range(n) for key in per]
    return arrays, order, grads


outs = ["weight0", "weight1"]
for clip_value in (-1.0, 0.4):
    tag = "_clip" if clip_value >= 0 else ""
    base = dict(rescale_grad=0.5, clip_gradient=clip_value, num_weights=2)
    for mom in (False, True):
        for mp in (False, True):
            per = ["weight", "grad"] + (["mom"] if mom else []) + (["weight32"] if mp else [])
            arrays, order, grads = multi(per, F16 if mp else F32)
            core = ("mp_" if mp else "") + "sgd" + ("_mom" if mom else "") + "_update"
            hp = dict(base, lrs=(0.1, 0.2), wds=(0.05, 0.0))
            if mom:
                hp["momentum"] = 0.9
            case("multi_" + core + tag, "multi_" + core, arrays, order, grads, hp, out=outs)
            pre = dict(arrays, lrs=([0.1, 0.2], (2,), F32), wds=([0.05, 0.0], (2,), F32))
            hp = dict(base, **({"momentum": 0.9} if mom else {}))
            case("preloaded_multi_" + core + tag, "preloaded_multi_" + core, pre,
                 order + ["lrs", "wds"], grads, hp, out=outs)
    for mp in (False, True):
        per = ["weight", "grad", "mean", "var"] + (["weight32"] if mp else [])
        arrays, order, grads = multi(per, F16 if mp else F32)
        arrays = dict(arrays, rescale=([0.5], (1,), F32))
        name = "_multi_%sadamw_update" % ("mp_" if mp else "")
        case(name + tag, name, arrays, order + ["rescale"], grads,
             dict(lrs=(0.01, 0.02), wds=(0.05, 0.0), etas=(0.5, 1.0), beta1=0.9, beta2=0.99,
                  epsilon=1e-6, clip_gradient=clip_value, num_weights=2), out=outs)
        arrays, order, grads = multi(per, F16 if mp else F32)
        name = "_multi_%slamb_update" % ("mp_" if mp else "")
        for lower, upper in [(-1.0, -1.0), (0.5, 1.0)]:
            case("%s%s_%s_%s" % (name, tag, lower, upper), name, arrays, order, grads,
                 lambda t, c=clip_value, lo=lower, up=upper: dict(
                     learning_rates=(0.1, 0.2), wds=(0.05, 0.0), beta1=0.9, beta2=0.999,
                     epsilon=1e-6, rescale_grad=0.5, lower_bound=lo, upper_bound=up,
                     clip_gradient=c, bias_correction=True, step_count=(t, t + 1),
                     num_tensors=2), out=outs)

case("multi_sum_sq", "multi_sum_sq", dict(a=("normal", (2, 3), F32), b=("normal", (5,), F32)),
     ["a", "b"], ["a", "b"], dict(num_arrays=2), out=None, steps=2)
case("multi_sum_sq_f16", "multi_sum_sq", dict(a=("normal", (2, 3), F16), b=("normal", (5,), F16)),
     ["a", "b"], ["a", "b"], dict(num_arrays=2), out=None, steps=2)
case("multi_lars", "multi_lars",
     dict(lrs=([0.1, 0.2, 0.3, 0.4], (4,), F32), wss=([4.0, 0.0, 9.0, 2.0], (4,), F32),
          gss=([1.0, 1.0, 0.0, 3.0], (4,), F32), wds=([0.01, 0.0, 0.02, 0.5], (4,), F32)),
     ["lrs", "wss", "gss", "wds"], [], dict(eta=0.5, eps=1e-3, rescale_grad=2.0), out=None,
     steps=1)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "mxnet_1.9.1_optimizer_updates.json")
with open(path, "w") as f:
    json.dump({"generator": "tests/python/data/make_optimizer_references.py",
               "mxnet": mx.__version__, "cases": CASES}, f, separators=(",", ":"))
print(len(CASES), "cases,", os.path.getsize(path), "bytes")
