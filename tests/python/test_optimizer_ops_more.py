"""MXNet 1.9.1's other optimizer updates (signsgd, signum, nag, rmsprop,
rmspropalex, ftml, ftrl, AdamW, LAMB, the mp_ mixed-precision forms, the
multi_/preloaded_ multi-tensor forms, multi_sum_sq, multi_lars) against
values measured with mxnet==1.9.1: data/mxnet_1.9.1_optimizer_updates.json,
written by data/make_optimizer_references.py, holds each case's arrays
before and after every step. Each case replays its steps on kiln, carrying
the states (and the weight, where the case passes out=weight) from step to
step, and compares the returned value and every array."""
import json
import math
import os

import numpy as np
import pytest

import kiln as mx

nd = mx.nd

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                       "mxnet_1.9.1_optimizer_updates.json")) as f:
    REFERENCE = json.load(f)
CASES = REFERENCE["cases"]


def op_function(name):
    return getattr(nd, name, None) or getattr(nd._internal, name)


def close(got, expected, dtype, what):
    got = np.asarray(got, np.float64).ravel()
    expected = np.asarray(expected, np.float64)
    tolerance = dict(rtol=2e-3, atol=2e-3) if dtype == "float16" else dict(rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(got, expected, equal_nan=True, err_msg=what, **tolerance)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_mxnet(name):
    case = CASES[name]
    live = {key: nd.array(np.array(spec["values"], spec["dtype"]).reshape(spec["shape"]),
                          dtype=spec["dtype"])
            for key, spec in case["initial"].items()}
    dtypes = {key: spec["dtype"] for key, spec in case["initial"].items()}
    for index, step in enumerate(case["steps"]):
        for key, values in step["grads"].items():
            spec = case["initial"][key]
            live[key] = nd.array(np.array(values, spec["dtype"]).reshape(spec["shape"]),
                                 dtype=spec["dtype"])
        kwargs = dict(step["attrs"])
        for key, value in kwargs.items():
            if isinstance(value, list):
                kwargs[key] = tuple(value)
        out = case["out"]
        if out is not None:
            kwargs["out"] = [live[k] for k in out] if isinstance(out, list) else live[out]
        result = op_function(case["op"])(*[live[k] for k in case["inputs"]], **kwargs)
        if isinstance(out, list):
            assert result is kwargs["out"]  # MXNet returns out= itself
        results = result if isinstance(result, list) else [result]
        assert isinstance(result, list) == step["result_is_list"]
        assert len(results) == len(step["result"])
        for i, (got, expected) in enumerate(zip(results, step["result"])):
            close(got.asnumpy(), expected, str(got.dtype.__name__ if hasattr(got.dtype, "__name__") else got.dtype),
                  "%s step %d result %d" % (name, index + 1, i))
        for key, expected in step["arrays"].items():
            close(live[key].asnumpy(), expected, dtypes[key],
                  "%s step %d array %s" % (name, index + 1, key))


def test_reference_covers_every_op():
    ops = {case["op"] for case in CASES.values()}
    assert ops >= {
        "signsgd_update", "signum_update", "nag_mom_update", "mp_nag_mom_update",
        "rmsprop_update", "rmspropalex_update", "ftml_update", "ftrl_update",
        "mp_sgd_update", "mp_sgd_mom_update", "lamb_update_phase1", "lamb_update_phase2",
        "mp_lamb_update_phase1", "mp_lamb_update_phase2", "_adamw_update", "_mp_adamw_update",
        "multi_sgd_update", "multi_sgd_mom_update", "multi_mp_sgd_update",
        "multi_mp_sgd_mom_update", "preloaded_multi_sgd_update",
        "preloaded_multi_sgd_mom_update", "preloaded_multi_mp_sgd_update",
        "preloaded_multi_mp_sgd_mom_update", "_multi_adamw_update", "_multi_mp_adamw_update",
        "_multi_lamb_update", "_multi_mp_lamb_update", "multi_sum_sq", "multi_lars"}
    assert REFERENCE["mxnet"] == "1.9.1"


def test_errors_name_the_op_the_argument_expected_and_got():
    w, w16 = nd.ones((2, 3)), nd.ones((2, 3), dtype="float16")
    cases = [
        (lambda: nd.rmsprop_update(w, w, nd.ones((3, 2)), lr=0.1),
         r"rmsprop_update: n has shape \(3, 2\), expected the weight's \(2, 3\)"),
        (lambda: nd.ftml_update(w, w, w, w, nd.ones((2, 3), dtype="float64"), lr=0.1, t=1),
         "ftml_update: z has dtype float64, expected float32"),
        (lambda: nd.ftml_update(w, w, w, w, w, lr=0.1),
         "ftml_update: missing required argument 't'"),
        (lambda: nd.mp_sgd_update(w16, w16, w16, lr=0.1),
         "mp_sgd_update: weight32 has dtype float16, expected float32"),
        (lambda: nd.multi_sgd_update(w, w, w, lrs=(0.1,), wds=(0.0,), num_weights=1, out=[w]),
         r"multi_sgd_update: expected 2 input arrays \(weight, grad for each of "
         r"num_weights=1\), got 3"),
        (lambda: nd.multi_sgd_update(w, w, lrs=(0.1, 0.2), wds=(0.0,), num_weights=1, out=[w]),
         "multi_sgd_update: lrs has 2 values, expected num_weights=1"),
        (lambda: nd.multi_sgd_update(nd.ones((2,)), w, w, w, lrs=(0.1, 0.2), wds=(0.0, 0.0),
                                     num_weights=2),
         r"multi_sgd_update: grad\[0\] has shape \(2, 3\), expected the weight's \(2,\)"),
        (lambda: nd.multi_sgd_update(w, w, lrs="(0.1, x)", wds=(0.0,), num_weights=1, out=[w]),
         "multi_sgd_update: argument 'lrs' expected a tuple of numbers, got '\\(0.1, x\\)'"),
        (lambda: nd.multi_sgd_update(w, w, lrs=(0.1,), wds=(0.0,), num_weights=1, out=[w, w]),
         "multi_sgd_update: out has 2 arrays, expected num_weights=1"),
        (lambda: nd.preloaded_multi_sgd_update(w, w, nd.ones((2,)), nd.ones((1,)), num_weights=1),
         r"preloaded_multi_sgd_update: lrs has shape \(2,\), expected \(1,\)"),
        (lambda: nd.multi_sum_sq(w, w16, num_arrays=2),
         "multi_sum_sq: array 1 has dtype float16, expected float32"),
        (lambda: nd.multi_sum_sq(w, num_arrays=2),
         "multi_sum_sq: num_arrays is 2 but 1 arrays were given"),
        (lambda: nd.lamb_update_phase2(w, w, nd.empty((0,)), nd.ones((1,)), lr=0.1),
         r"lamb_update_phase2: r1 has shape \(0,\), expected at least 1 element"),
        (lambda: op_function("_multi_lamb_update")(w, w, w, w, learning_rates=(0.1,), wds=(0.0,),
                                                   step_count=(1, 2), num_tensors=1, out=[w]),
         "_multi_lamb_update: step_count has 2 values, expected num_tensors=1"),
    ]
    for call, message in cases:
        with pytest.raises(mx.MXNetError, match=message):
            call()


def test_multi_updates_without_out_return_new_weights_and_keep_the_inputs():
    # MXNet 1.9.1 cannot infer these ops' output shapes without out=; kiln
    # returns new arrays (a list for several weights) and leaves the weights.
    w0, w1 = nd.array([1.0, 2.0]), nd.array([[3.0]])
    result = nd.multi_sgd_update(w0, nd.ones((2,)), w1, nd.ones((1, 1)), lrs=(0.5, 0.25),
                                 wds=(0.0, 0.0), num_weights=2)
    assert isinstance(result, list) and len(result) == 2
    np.testing.assert_allclose(result[0].asnumpy(), [0.5, 1.5])
    np.testing.assert_allclose(result[1].asnumpy(), [[2.75]])
    np.testing.assert_array_equal(w0.asnumpy(), [1.0, 2.0])
    single = nd.multi_sgd_update(w0, nd.ones((2,)), lrs=(0.5,), wds=(0.0,), num_weights=1)
    assert not isinstance(single, list)


def test_one_kernel_per_array_serves_every_step():
    w, g, m = nd.ones((3, 4)), nd.ones((3, 4)), nd.zeros((3, 4))
    nd.nag_mom_update(w, g, m, out=w, lr=0.1, momentum=0.9)
    nd.waitall()
    before = mx._core.kernel_cache_stats()["compilations"]
    for step in range(1, 4):
        nd.nag_mom_update(w, g, m, out=w, lr=0.1 / step, momentum=0.9, wd=0.01 * step)
    nd.waitall()
    assert mx._core.kernel_cache_stats()["compilations"] == before
