"""MXNet 1.9.1's normalization operators (frontends/cpp/ops/
NormalizationOps.cpp): LayerNorm, InstanceNorm, GroupNorm, L2Normalization
and LRN.

Values, the mean/std outputs and the gradients of data, gamma and beta are
compared live against MXNet 1.9.1 (tests/python/mxnet_oracle.py runs the
same snippet under both frameworks); numeric gradient checks run in
float64, also through the rules' create_graph form; errors are checked in
kiln, and that MXNet refuses the same inputs.

MXNet 1.9.1 facts these rely on (measured): LayerNorm with
output_mean_var=True returns [out, mean, std] (std = sqrt(var + eps), of
data's shape with 1 on the axis), GroupNorm [out, mean, std] of shape (N,
num_groups) and takes gamma and beta of shape (num_groups,), not (C,);
InstanceNorm and LRN take float32 only (kiln also float16 and float64); LRN
takes rank 4 only; the mean/std outputs' gradients are ignored.
"""
import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient
from mxnet_oracle import (SNIPPET_HELPERS, bad_input_tests, compare_outputs,
                          requires_oracle, run_both)

nd = mx.nd
RNG = np.random.default_rng(21)


def normal(*shape):
    return RNG.standard_normal(shape) * 1.5 + 0.3


def loosen(expected, marker, tolerance):
    return {key: tolerance for key in expected if marker in key}


@requires_oracle
def test_layer_norm_matches_mxnet():
    cases = {"x3": (2, 3, 4), "x2": (5, 6), "x1": (7,)}
    arrays = {name: normal(*shape) for name, shape in cases.items()}
    for name, shape in cases.items():
        for axis in range(len(shape)):
            arrays["%s_g%d" % (name, axis)] = normal(shape[axis])
            arrays["%s_b%d" % (name, axis)] = normal(shape[axis])
    code = SNIPPET_HELPERS + """
for name, rank in (("x3", 3), ("x2", 2), ("x1", 1)):
    for axis in range(-1, rank):
        a = axis % rank
        for dtype in ("float32", "float64", "float16"):
            args = [inputs[k].astype(dtype) for k in
                    (name, "%s_g%d" % (name, a), "%s_b%d" % (name, a))]
            key = "%s/axis%d/%s" % (name, axis, dtype)
            record(key, lambda x, g, b: mx.nd.LayerNorm(x, g, b, axis=axis),
                   args)
            record(key + "/mean_var",
                   lambda x, g, b: mx.nd.LayerNorm(x, g, b, axis=axis,
                                                   eps=1e-3,
                                                   output_mean_var=True),
                   args)
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected,
                    tolerances=loosen(expected, "float16", (2e-2, 2e-2)))


@requires_oracle
def test_group_and_instance_norm_match_mxnet():
    arrays = {"a": normal(2, 4, 3), "b": normal(2, 6, 2, 2),
              "c": normal(3, 2, 5)}
    for groups in (1, 2, 3, 4, 6):
        arrays["g%d" % groups] = normal(groups)
        arrays["b%d" % groups] = normal(groups)
    code = SNIPPET_HELPERS + """
for name, groups in (("a", 1), ("a", 2), ("a", 4), ("b", 3), ("b", 6),
                     ("c", 2)):
    for dtype in ("float32", "float64"):
        args = [inputs[k].astype(dtype) for k in
                (name, "g%d" % groups, "b%d" % groups)]
        key = "group/%s/%d/%s" % (name, groups, dtype)
        record(key, lambda x, g, b: mx.nd.GroupNorm(x, g, b,
                                                    num_groups=groups), args)
        record(key + "/mean_var",
               lambda x, g, b: mx.nd.GroupNorm(x, g, b, num_groups=groups,
                                               eps=1e-2, output_mean_var=True),
               args)
# InstanceNorm: float32 only in MXNet.
for name, channels in (("a", 4), ("b", 6), ("c", 2)):
    args = [inputs[k].astype("float32") for k in
            (name, "g%d" % channels, "b%d" % channels)]
    record("instance/" + name, lambda x, g, b: mx.nd.InstanceNorm(x, g, b),
           args)
    record("instance/%s/eps" % name,
           lambda x, g, b: mx.nd.InstanceNorm(x, g, b, eps=1e-5), args)
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected)


@requires_oracle
def test_l2_normalization_matches_mxnet():
    arrays = {"x3": normal(2, 3, 4), "x4": normal(2, 3, 2, 2),
              "x2": normal(3, 5), "x1": normal(6)}
    code = SNIPPET_HELPERS + """
cases = [("x3", m) for m in ("instance", "channel", "spatial")]
cases += [("x4", m) for m in ("instance", "channel", "spatial")]
cases += [("x2", "instance"), ("x1", "instance")]
for name, mode in cases:
    for dtype in ("float32", "float64"):
        key = "%s/%s/%s" % (name, mode, dtype)
        x = inputs[name].astype(dtype)
        record(key, lambda a: mx.nd.L2Normalization(a, mode=mode), [x])
        record(key + "/eps",
               lambda a: mx.nd.L2Normalization(a, mode=mode, eps=0.5), [x])
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected)


@requires_oracle
def test_lrn_matches_mxnet():
    x = normal(2, 5, 3, 3)
    code = SNIPPET_HELPERS + """
x = inputs["x"].astype("float32")
# Windows wider than the channels (up to 10**7: they reach only zeros).
for nsize in (1, 2, 3, 4, 5, 9, 10, 11, 10**7):
    record("n%d" % nsize, lambda a: mx.nd.LRN(a, nsize=nsize), [x])
    # A large alpha, so that the window's extent shows.
    record("alpha%d" % nsize,
           lambda a: mx.nd.LRN(a, nsize=nsize, alpha=2.0, beta=0.6,
                               knorm=1.5), [x])
"""
    got, expected = run_both(code, mx, x=x)
    compare_outputs(got, expected)


def test_lrn_window_past_the_channels_costs_the_channels():
    """A huge nsize sums every channel (the rest of the window is zeros)
    without a pass per window entry: 2**62 on 3 channels is immediate."""
    x = normal(1, 3, 2, 2)
    for nsize in (7, 2**62 + 1):
        got = nd.LRN(nd.array(x, dtype="float64"), nsize=nsize, alpha=1e18,
                     beta=0.75, knorm=2.0).asnumpy()
        norm = 2.0 + 1e18 / nsize * (x ** 2).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(got, x * norm ** -0.75, rtol=1e-12)


def test_mean_and_std_outputs():
    x = normal(3, 4, 5)
    out, mean, std = nd.LayerNorm(nd.array(x, dtype="float64"),
                                  nd.ones((4,), dtype="float64"),
                                  nd.zeros((4,), dtype="float64"), axis=1,
                                  eps=0.1, output_mean_var=True)
    np.testing.assert_allclose(mean.asnumpy(), x.mean(1, keepdims=True),
                               rtol=1e-12)
    np.testing.assert_allclose(std.asnumpy(),
                               np.sqrt(x.var(1, keepdims=True) + 0.1),
                               rtol=1e-12)
    np.testing.assert_allclose(
        out.asnumpy(), (x - x.mean(1, keepdims=True)) / std.asnumpy(),
        rtol=1e-12)
    # The mean and std take no gradient, as in MXNet.
    data = nd.array(x, dtype="float64")
    data.attach_grad()
    with mx.autograd.record():
        _, mean, std = nd.LayerNorm(data, nd.ones((5,), dtype="float64"),
                                    nd.zeros((5,), dtype="float64"),
                                    output_mean_var=True)
        total = (mean + std).sum()
    total.backward()
    np.testing.assert_array_equal(data.grad.asnumpy(), np.zeros_like(x))


# Numeric gradients (float64) and the rules' create_graph form.

NORMS = {
    "layer_last": (lambda x, g, b: nd.LayerNorm(x, g, b), (3, 4, 5), 5),
    "layer_middle": (lambda x, g, b: nd.LayerNorm(x, g, b, axis=1, eps=0.1),
                     (3, 4, 5), 4),
    "layer_first": (lambda x, g, b: nd.LayerNorm(x, g, b, axis=0), (3, 4), 3),
    "group": (lambda x, g, b: nd.GroupNorm(x, g, b, num_groups=2),
              (2, 4, 3), 2),
    "instance": (lambda x, g, b: nd.InstanceNorm(x, g, b), (2, 3, 2, 2), 3),
}


@pytest.mark.parametrize("name", sorted(NORMS))
def test_norm_numeric_gradient(name):
    f, shape, params = NORMS[name]
    check_numeric_gradient(f, [normal(*shape), normal(params), normal(params)],
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-7,
                           dtype=np.float64)


@pytest.mark.parametrize("mode,shape", [("instance", (3, 4)),
                                        ("channel", (2, 3, 2)),
                                        ("spatial", (2, 3, 2, 2)),
                                        ("instance", (5,))])
def test_l2_normalization_numeric_gradient(mode, shape):
    check_numeric_gradient(lambda x: nd.L2Normalization(x, mode=mode),
                           [normal(*shape)], numeric_eps=1e-6, rtol=1e-5,
                           atol=1e-7, dtype=np.float64)


@pytest.mark.parametrize("nsize", [1, 2, 3, 5])
def test_lrn_numeric_gradient(nsize):
    check_numeric_gradient(
        lambda x: nd.LRN(x, nsize=nsize, alpha=0.3, beta=0.7, knorm=1.2),
        [normal(2, 4, 2, 3)], numeric_eps=1e-6, rtol=1e-5, atol=1e-7,
        dtype=np.float64)


def second_order_case(f, arrays, head):
    """The first gradient of sum(f(*arrays) * head) with respect to every
    array, fused (create_graph=False) and recorded (create_graph=True), and
    the second gradient of sum(first[0] * weight) through the recorded one."""
    weight = np.cos(np.arange(arrays[0].size)).reshape(arrays[0].shape)

    def first(values, create_graph):
        xs = [nd.array(v, dtype="float64") for v in values]
        for x in xs:
            x.attach_grad()
        with mx.autograd.record():
            y = f(*xs)
            grads = mx.autograd.grad(y, xs, nd.array(head, dtype="float64"),
                                     create_graph=create_graph)
            z = (grads[0] * nd.array(weight, dtype="float64")).sum()
        return xs, grads, z

    _, fused, _ = first(arrays, False)
    xs, recorded, z = first(arrays, True)
    for a, b in zip(recorded, fused):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-10,
                                   atol=1e-12)
    z.backward()
    step = 1e-6
    for which, x in enumerate(arrays):
        numeric = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            values = []
            for sign in (1, -1):
                shifted = [a.copy() for a in arrays]
                shifted[which][index] += sign * step
                values.append((first(shifted, False)[1][0].asnumpy() *
                               weight).sum())
            numeric[index] = (values[0] - values[1]) / (2 * step)
        np.testing.assert_allclose(xs[which].grad.asnumpy(), numeric,
                                   rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["layer_middle", "group", "instance"])
def test_norm_gradient_differentiates_again(name):
    f, shape, params = NORMS[name]
    arrays = [normal(*shape), normal(params), normal(params)]
    second_order_case(f, arrays, normal(*shape))


def test_l2_gradient_differentiates_again():
    second_order_case(lambda x: nd.L2Normalization(x, mode="channel"),
                      [normal(2, 3, 2)], normal(2, 3, 2))


def test_float16_computes_in_float32():
    x = normal(4, 64) * 100 + 1000  # float16's variance alone would overflow
    got = nd.LayerNorm(nd.array(x, dtype="float16"),
                       nd.ones((64,), dtype="float16"),
                       nd.zeros((64,), dtype="float16")).asnumpy()
    assert got.dtype == np.float16
    x16 = x.astype(np.float16).astype(np.float64)
    want = (x16 - x16.mean(1, keepdims=True)) / np.sqrt(
        x16.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-3)


# Bad inputs: MXNetError at the call, naming the op and the argument; MXNet
# 1.9.1 refuses them too.

PRELUDE = """
nd = mx.nd
x3 = nd.ones((2, 4, 3))
one = nd.ones((1,))
"""
BAD = [
    ("layer_int",
     'nd.LayerNorm(nd.ones((2, 3), dtype="int32"), '
     'nd.ones((3,), dtype="int32"), nd.ones((3,), dtype="int32"))',
     "LayerNorm: expected a floating-point array, got int32"),
    ("layer_axis", "nd.LayerNorm(x3, nd.ones((3,)), nd.ones((3,)), axis=3)",
     "LayerNorm: axis 3"),
    ("layer_gamma", "nd.LayerNorm(x3, nd.ones((4,)), nd.ones((3,)))",
     r"LayerNorm: gamma expected shape \(3,\) .data's extent along axis., "
     r"got \(4,\)"),
    ("layer_beta_dtype",
     'nd.LayerNorm(x3, nd.ones((3,)), nd.ones((3,), dtype="float64"))',
     "LayerNorm: beta expected dtype float32 .data's., got float64"),
    ("group_rank", "nd.GroupNorm(nd.ones((2, 4)), one, one)",
     r"GroupNorm: data expected rank 3 or more .N, C, ....*got shape "
     r"\(2, 4\)"),
    ("group_divides", "nd.GroupNorm(x3, one, one, num_groups=3)",
     "GroupNorm: num_groups expected a positive divisor of the 4 channels, "
     "got 3"),
    ("group_gamma",
     "nd.GroupNorm(x3, nd.ones((4,)), nd.ones((2,)), num_groups=2)",
     r"GroupNorm: gamma expected shape \(2,\) .num_groups"),
    ("instance_rank",
     "nd.InstanceNorm(nd.ones((2, 4)), nd.ones((4,)), nd.ones((4,)))",
     "InstanceNorm: data expected rank 3 or more"),
    ("instance_gamma", "nd.InstanceNorm(x3, nd.ones((3,)), nd.ones((4,)))",
     r"InstanceNorm: gamma expected shape \(4,\) .data's channels., got "
     r"\(3,\)"),
    ("l2_channel", 'nd.L2Normalization(nd.ones((2, 3)), mode="channel")',
     "L2Normalization: data expected rank 3 or more in channel mode"),
    ("l2_spatial", 'nd.L2Normalization(nd.ones((2, 3)), mode="spatial")',
     "L2Normalization: data expected rank 3 or more in spatial mode"),
    ("l2_mode", 'nd.L2Normalization(x3, mode="batch")',
     "L2Normalization: mode expected 'instance', 'channel' or 'spatial', "
     "got 'batch'"),
    ("l2_int", 'nd.L2Normalization(nd.ones((2, 3), dtype="int32"))',
     "L2Normalization: expected a floating-point array, got int32"),
    ("lrn_rank", "nd.LRN(x3, nsize=3)",
     r"LRN: data expected rank 4 .N, C, H, W., got shape \(2, 4, 3\)"),
    ("lrn_nsize", "nd.LRN(nd.ones((1, 2, 2, 2)))", "nsize"),
]
KILN_ONLY = [
    # MXNet's nsize 0 gives zeros (a window of nothing, scaled by alpha / 0).
    ("lrn_zero", "nd.LRN(nd.ones((1, 2, 2, 2)), nsize=0)",
     "LRN: nsize expected 1 or more, got 0"),
]


test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, PRELUDE, BAD, KILN_ONLY, MXNetError)
