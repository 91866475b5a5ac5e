"""The fused RNN operator (frontends/cpp/ops/RnnOps.cpp) against the real
MXNet 1.9.1, run live through mxnet_oracle: forward outputs and the
gradients of data, parameters and states for every mode, one and two
layers, bidirectional, state_outputs, float32 and float64, on the same
packed parameters; LSTM projection (forward: MXNet 1.9.1's CPU build has no
training support for it); sequence lengths against MXNet run on each
sequence alone (its CPU build ignores sequence_length); weights saved by
Gluon's LSTM and GRU layers. Plus a float64 reference for cell clipping
(which MXNet's CPU build ignores), numeric gradient checks in float64,
dropout between layers, and bad inputs."""
import json
import os

import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient
from mxnet_oracle import requires_oracle, run_mxnet

nd = mx.nd
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def layout(mode, layers, bidirectional, input_size, hidden, projection=None):
    """MXNet's packing, as (name, shape) in order: every weight (per layer,
    per direction: i2h, h2h, h2r with a projection), then every bias."""
    gates, directions = GATES[mode], 2 if bidirectional else 1
    state = projection or hidden
    weights, biases = [], []
    for layer in range(layers):
        width = input_size if layer == 0 else state * directions
        for d in "lr"[:directions]:
            prefix = "%s%d_" % (d, layer)
            weights.append((prefix + "i2h_weight", (gates * hidden, width)))
            weights.append((prefix + "h2h_weight", (gates * hidden, state)))
            if projection:
                weights.append((prefix + "h2r_weight", (projection, hidden)))
            biases.append((prefix + "i2h_bias", (gates * hidden,)))
            biases.append((prefix + "h2h_bias", (gates * hidden,)))
    return weights + biases


def param_count(*args, **kwargs):
    return sum(int(np.prod(shape)) for _, shape in layout(*args, **kwargs))


def unpack(flat, *args, **kwargs):
    parts, offset = {}, 0
    for name, shape in layout(*args, **kwargs):
        size = int(np.prod(shape))
        parts[name] = flat[offset:offset + size].reshape(shape)
        offset += size
    return parts


def reference(x, flat, h0, c0, mode, layers, bidirectional, hidden,
              projection=None, clip=None):
    """The recurrence in numpy (float64), with cuDNN's cell clipping."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    w = unpack(flat, mode, layers, bidirectional, x.shape[2], hidden,
               projection)
    directions = 2 if bidirectional else 1
    steps = x.shape[0]
    inputs, hy, cy = x, [], []
    for layer in range(layers):
        outs = []
        for k, d in enumerate("lr"[:directions]):
            p = lambda name: w["%s%d_%s" % (d, layer, name)]
            h, c = h0[layer * directions + k], c0[layer * directions + k]
            ys = [None] * steps
            order = range(steps) if k == 0 else range(steps - 1, -1, -1)
            for t in order:
                a = inputs[t] @ p("i2h_weight").T + p("i2h_bias")
                b = h @ p("h2h_weight").T + p("h2h_bias")
                if mode == "lstm":
                    i, f, g, o = np.split(a + b, 4, axis=1)
                    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
                    if clip:
                        c = np.clip(c, *clip)
                    h = sigmoid(o) * np.tanh(c)
                    if projection:
                        h = h @ p("h2r_weight").T
                elif mode == "gru":
                    ar, az, an = np.split(a, 3, axis=1)
                    br, bz, bn = np.split(b, 3, axis=1)
                    r, z = sigmoid(ar + br), sigmoid(az + bz)
                    n = np.tanh(an + r * bn)
                    h = (1 - z) * n + z * h
                else:
                    h = np.tanh(a + b) if mode == "rnn_tanh" else np.maximum(
                        a + b, 0)
                ys[t] = h
            outs.append(np.stack(ys))
            hy.append(h)
            cy.append(c)
        inputs = np.concatenate(outs, axis=2)
    return inputs, np.stack(hy), np.stack(cy)


def make_case(seed, mode, layers, bidirectional, steps=4, batch=3,
              input_size=5, hidden=6, projection=None, dtype=np.float32,
              lengths=None, **kw):
    """Arrays and attributes of one call, with head gradients."""
    rng = np.random.default_rng(seed)
    directions = 2 if bidirectional else 1
    state = projection or hidden
    count = param_count(mode, layers, bidirectional, input_size, hidden,
                        projection)
    a = {"x": rng.standard_normal((steps, batch, input_size)),
         "p": rng.standard_normal(count) * 0.4,
         "h": rng.standard_normal((layers * directions, batch, state))}
    if mode == "lstm":
        a["c"] = rng.standard_normal((layers * directions, batch, hidden))
    a["g0"] = rng.standard_normal((steps, batch, directions * state))
    a["g1"] = rng.standard_normal((layers * directions, batch, state))
    a["g2"] = rng.standard_normal((layers * directions, batch, hidden))
    a = {k: v.astype(dtype) for k, v in a.items()}
    if lengths is not None:
        a["sl"] = np.array(lengths, dtype=np.float32)
    kw = dict(kw, state_size=hidden, num_layers=layers,
              bidirectional=bidirectional, mode=mode)
    if projection:
        kw["projection_size"] = projection
    if lengths is not None:
        kw["use_sequence_length"] = True
    return a, kw


# Runs one call; executed as is by kiln here and by MXNet in the oracle.
RUNNER = '''
def run_case(mx, np, a, kw, grads):
    nd = mx.nd
    ins = [nd.array(a[k], dtype=a[k].dtype) for k in ("x", "p", "h", "c")
           if k in a]
    differentiable = len(ins)
    if "sl" in a:
        ins.append(nd.array(a["sl"]))
    if grads:
        for array in ins[:differentiable]:
            array.attach_grad()
        with mx.autograd.record():
            out = nd.RNN(*ins, **kw)
    else:  # MXNet's CPU build cannot train an LSTM with a projection
        out = nd.RNN(*ins, **kw)
    outs = out if isinstance(out, list) else [out]
    result = {"out%d" % i: o.asnumpy() for i, o in enumerate(outs)}
    if grads:
        heads = [nd.array(a["g%d" % i], dtype=a["x"].dtype)
                 for i in range(len(outs))]
        mx.autograd.backward(outs, heads)
        for name, array in zip(("dx", "dp", "dh", "dc"), ins[:differentiable]):
            result[name] = array.grad.asnumpy()
    return result
'''

ORACLE = RUNNER + '''
import json
for i, (kw, grads) in enumerate(json.loads(CASES)):
    prefix = "%d_" % i
    a = {k[len(prefix):]: v for k, v in inputs.items() if k.startswith(prefix)}
    for k, v in run_case(mx, np, a, kw, grads).items():
        outputs[prefix + k] = v
'''

namespace = {}
exec(RUNNER, namespace)
run_case = namespace["run_case"]


def oracle(cases):
    """MXNet's results for [(arrays, kw, grads)], one process for all."""
    arrays = {"%d_%s" % (i, k): v for i, (a, _, _) in enumerate(cases)
              for k, v in a.items()}
    spec = json.dumps([(kw, grads) for _, kw, grads in cases])
    got = run_mxnet("CASES = %r\n" % spec + ORACLE, **arrays)
    results = []
    for i in range(len(cases)):
        prefix = "%d_" % i
        results.append({k[len(prefix):]: v for k, v in got.items()
                        if k.startswith(prefix)})
    return results


def assert_close(got, expected, dtype, what):
    tolerance = 1e-4 if dtype == np.float32 else 1e-9
    scale = max(1.0, float(np.abs(expected).max(initial=0)))
    np.testing.assert_allclose(got, expected, rtol=tolerance,
                               atol=tolerance * scale, err_msg=what)


def build_cases():
    cases = []
    seed = 0
    for mode in ("lstm", "gru", "rnn_tanh", "rnn_relu"):
        for layers, bidirectional in ((1, False), (2, True), (2, False),
                                      (1, True)):
            seed += 1
            cases.append(make_case(seed, mode, layers, bidirectional,
                                   state_outputs=True) + (True,))
    # One output only; float64; a batch whose gates run in parallel slices.
    cases.append(make_case(40, "lstm", 2, False) + (True,))
    cases.append(make_case(41, "gru", 1, True) + (True,))
    cases.append(make_case(42, "rnn_tanh", 2, True) + (True,))
    for mode in ("lstm", "gru"):
        cases.append(make_case(43, mode, 2, True, dtype=np.float64,
                               state_outputs=True) + (True,))
    cases.append(make_case(44, "lstm", 1, False, steps=3, batch=128,
                           input_size=8, hidden=512, state_outputs=True) +
                 (True,))
    # LSTM projection: forward only (MXNet 1.9.1 trains it on GPUs only),
    # with state_outputs (without them its CPU build crashes).
    for layers, bidirectional in ((1, False), (2, True)):
        cases.append(make_case(45, "lstm", layers, bidirectional,
                               projection=3, state_outputs=True) + (False,))
    return cases


@requires_oracle
def test_outputs_and_gradients_match_mxnet():
    cases = build_cases()
    expected = oracle(cases)
    for (a, kw, grads), want in zip(cases, expected):
        got = run_case(mx, np, a, kw, grads)
        assert sorted(got) == sorted(want), kw
        for key in want:
            assert_close(got[key], want[key], a["x"].dtype, "%s %s" % (key, kw))


def truncated(a, b, length):
    """Batch element b's arrays cut to its first `length` steps."""
    one = {"x": a["x"][:length, b:b + 1], "p": a["p"],
           "h": a["h"][:, b:b + 1], "g0": a["g0"][:length, b:b + 1],
           "g1": a["g1"][:, b:b + 1], "g2": a["g2"][:, b:b + 1]}
    if "c" in a:
        one["c"] = a["c"][:, b:b + 1]
    return one


@requires_oracle
def test_sequence_length_matches_mxnet_on_each_sequence_alone():
    """Steps past a sequence's end keep its state and output zeros, so each
    batch element gives what MXNet gives on that sequence alone."""
    lengths = [5, 2, 1, 4]
    setups = [("lstm", 2, True, None, True), ("gru", 1, True, None, True),
              ("rnn_tanh", 2, False, None, True),
              ("rnn_relu", 1, True, None, True), ("lstm", 1, True, 2, False)]
    cases, singles = [], []
    for seed, (mode, layers, bidirectional, projection, grads) in enumerate(
            setups):
        a, kw = make_case(50 + seed, mode, layers, bidirectional, steps=5,
                          batch=4, projection=projection, lengths=lengths,
                          state_outputs=True)
        cases.append((a, kw, grads))
        single_kw = {k: v for k, v in kw.items() if k != "use_sequence_length"}
        for b, length in enumerate(lengths):
            singles.append((truncated(a, b, length), single_kw, grads))
    expected = iter(oracle(singles))
    for a, kw, grads in cases:
        got = run_case(mx, np, a, kw, grads)
        params_grad = 0
        for b, length in enumerate(lengths):
            want = next(expected)
            what = "%s element %d" % (kw, b)
            assert_close(got["out0"][:length, b:b + 1], want["out0"],
                         np.float32, what)
            assert not got["out0"][length:, b].any(), what
            for key in ("out1", "out2", "dh", "dc"):
                if key in want:
                    assert_close(got[key][:, b:b + 1], want[key], np.float32,
                                 key + " " + what)
            if grads:
                assert_close(got["dx"][:length, b:b + 1], want["dx"],
                             np.float32, "dx " + what)
                assert not got["dx"][length:, b].any(), what
                params_grad = params_grad + want["dp"]
        if grads:
            assert_close(got["dp"], params_grad, np.float32, "dp %s" % kw)


GLUON = '''
import numpy as np
rng = np.random.default_rng(3)
x = mx.nd.array(rng.standard_normal((6, 4, 5)))
for name, layer, states in (
        ("lstm", mx.gluon.rnn.LSTM(7, num_layers=2, bidirectional=True,
                                   input_size=5), 2),
        ("gru", mx.gluon.rnn.GRU(7, num_layers=1, input_size=5), 1)):
    layer.initialize(mx.init.Uniform(0.5))
    begin = [mx.nd.array(rng.standard_normal(s.shape))
             for s in layer.begin_state(batch_size=4)]
    out, hidden = layer(x, begin)
    layer.save_parameters(PATH + name)
    outputs[name + "_x"] = x.asnumpy()
    outputs[name + "_out"] = out.asnumpy()
    for i, (s, h) in enumerate(zip(begin, hidden)):
        outputs["%s_begin%d" % (name, i)] = s.asnumpy()
        outputs["%s_end%d" % (name, i)] = h.asnumpy()
'''


@requires_oracle
def test_weights_saved_by_gluon_give_mxnets_outputs(tmp_path):
    """Gluon's LSTM and GRU layers save their weights by name; packed in
    MXNet's order they give the layers' outputs through RNN."""
    path = os.path.join(str(tmp_path), "rnn_")
    got = run_mxnet("PATH = %r\n" % path + GLUON)
    for name, layers, bidirectional, states in (("lstm", 2, True, 2),
                                                 ("gru", 1, False, 1)):
        saved = nd.load(path + name)
        order = layout(name, layers, bidirectional, 5, 7)
        # Gluon 1.9.1 keeps them in its unfused cells: "l0_i2h_weight" is
        # "_unfused.0.l_cell.i2h_weight", or "_unfused.0.i2h_weight" in one
        # direction.
        cell = "%s.%s_cell.%s" if bidirectional else "%s.%.0s%s"
        packed = nd.concat(*[
            saved["_unfused." + cell % (key[1], key[0], key[3:])]
            .reshape((-1,)) for key, _ in order], dim=0)
        begin = [nd.array(got["%s_begin%d" % (name, i)])
                 for i in range(states)]
        out = nd.RNN(nd.array(got[name + "_x"]), packed, *begin,
                     state_size=7, num_layers=layers,
                     bidirectional=bidirectional, mode=name,
                     state_outputs=True)
        assert_close(out[0].asnumpy(), got[name + "_out"], np.float32, name)
        for i in range(states):
            assert_close(out[1 + i].asnumpy(), got["%s_end%d" % (name, i)],
                         np.float32, name)


def arrays_of(a, dtype=None):
    return [nd.array(a[k], dtype=dtype or a[k].dtype)
            for k in ("x", "p", "h", "c", "sl") if k in a]


def test_cell_clipping_matches_the_reference():
    for layers, bidirectional in ((1, False), (2, True)):
        a, kw = make_case(60, "lstm", layers, bidirectional,
                          dtype=np.float64, state_outputs=True)
        a["p"] = a["p"] * 3  # cells well outside the range
        out = nd.RNN(*arrays_of(a), lstm_state_clip_min=-0.5,
                     lstm_state_clip_max=0.4, **kw)
        want = reference(a["x"], a["p"], a["h"], a["c"], "lstm", layers,
                         bidirectional, 6, clip=(-0.5, 0.4))
        for got, expected in zip(out, want):
            np.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-10,
                                       atol=1e-12)
        assert out[2].asnumpy().max() <= 0.4
        unclipped = reference(a["x"], a["p"], a["h"], a["c"], "lstm", layers,
                              bidirectional, 6)
        assert not np.allclose(unclipped[0], want[0])


def test_cell_clipping_of_nan():
    a, kw = make_case(61, "lstm", 1, False, state_outputs=True)
    a["c"][0, 1, 2] = np.nan
    kept = nd.RNN(*arrays_of(a), lstm_state_clip_min=-1,
                  lstm_state_clip_max=1, **kw)
    assert np.isnan(kept[2].asnumpy()[0, 1, 2])
    stopped = nd.RNN(*arrays_of(a), lstm_state_clip_min=-1,
                     lstm_state_clip_max=1, lstm_state_clip_nan=True, **kw)
    for array in stopped:
        assert np.isfinite(array.asnumpy()).all()


def test_cell_clipping_to_infinities_clips_nothing():
    """-inf..inf is a legal range (no clipping): the bounds reach the
    kernel source as MLIR's hexadecimal infinities, in both dtypes."""
    for dtype in (np.float32, np.float64):
        a, kw = make_case(62, "lstm", 2, True, dtype=dtype,
                          state_outputs=True)
        plain = nd.RNN(*arrays_of(a), **kw)
        for nan in (False, True):
            out = nd.RNN(*arrays_of(a), lstm_state_clip_min=-np.inf,
                         lstm_state_clip_max=np.inf,
                         lstm_state_clip_nan=nan, **kw)
            for got, want in zip(out, plain):
                np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())
    # NaN turns into the lower bound, here -inf.
    a, kw = make_case(61, "lstm", 1, False, state_outputs=True)
    a["c"][0, 1, 2] = np.nan
    out = nd.RNN(*arrays_of(a), lstm_state_clip_min=-np.inf,
                 lstm_state_clip_max=0.5, lstm_state_clip_nan=True, **kw)
    assert out[2].asnumpy()[0, 1, 2] == -np.inf
    assert not np.isnan(out[0].asnumpy()).any()


def numeric_check(a, kw, seed=None):
    """Finite differences of every output (weighted at random) against
    autograd, in float64, for data, parameters and states."""
    names = [k for k in ("x", "p", "h", "c", "sl") if k in a]

    def every_output(*arrays):
        if seed is not None:
            mx.random.seed(seed)  # the same dropout mask on every call
        out = nd.RNN(*arrays, **kw)
        outs = out if isinstance(out, list) else [out]
        return nd.concat(*[o.reshape((-1,)) for o in outs], dim=0)

    check_numeric_gradient(every_output, [a[k] for k in names],
                           grad_nodes=[i for i, k in enumerate(names)
                                       if k != "sl"],
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-7,
                           dtype=np.float64)


SMALL = dict(steps=3, batch=2, input_size=3, hidden=2)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_numeric_gradient(mode):
    numeric_check(*make_case(70, mode, 2, True, state_outputs=True, **SMALL))


@pytest.mark.parametrize("setup", [
    dict(mode="lstm", projection=1, layers=2, bidirectional=True),
    dict(mode="lstm", lengths=[3, 1], layers=2, bidirectional=True),
    dict(mode="gru", lengths=[2, 3], layers=1, bidirectional=True),
    dict(mode="rnn_relu", lengths=[1, 2], layers=2, bidirectional=False),
    dict(mode="lstm", projection=1, lengths=[2, 3], layers=1,
         bidirectional=True),
])
def test_numeric_gradient_of_projection_and_lengths(setup):
    numeric_check(*make_case(71, state_outputs=True, **dict(SMALL, **setup)))


def test_numeric_gradient_with_clipping_and_dropout():
    a, kw = make_case(72, "lstm", 2, True, state_outputs=True, **SMALL)
    numeric_check(a, dict(kw, lstm_state_clip_min=-0.6,
                          lstm_state_clip_max=0.5))
    # Dropout between layers, the same mask on every call.
    numeric_check(a, dict(kw, p=0.5), seed=9)


def test_dropout_between_layers_only_while_training():
    a, kw = make_case(80, "lstm", 2, False, steps=6, batch=5, hidden=8)
    plain = nd.RNN(*arrays_of(a), **kw).asnumpy()
    predicting = nd.RNN(*arrays_of(a), p=0.5, **kw).asnumpy()
    np.testing.assert_array_equal(predicting, plain)
    with mx.autograd.train_mode():
        training = nd.RNN(*arrays_of(a), p=0.5, **kw).asnumpy()
        # p = 1 drops the whole first layer's output: the second layer
        # sees zeros.
        dropped = nd.RNN(*arrays_of(a), p=1.0, **kw).asnumpy()
        one_layer = dict(kw, num_layers=1)
        single = nd.RNN(*arrays_of(make_case(80, "lstm", 1, False, steps=6,
                                             batch=5, hidden=8)[0]),
                        **one_layer).asnumpy()
    assert not np.allclose(training, plain)
    # The second layer alone on zeros, with its own parameters and states.
    parts = unpack(a["p"], "lstm", 2, False, 5, 8)
    second = np.concatenate([parts["l1_i2h_weight"][:, :5].ravel() * 0,
                             parts["l1_h2h_weight"].ravel(),
                             parts["l1_i2h_bias"], parts["l1_h2h_bias"]])
    zeros = nd.RNN(nd.zeros((6, 5, 5)), nd.array(second),
                   nd.array(a["h"][1:]), nd.array(a["c"][1:]),
                   **one_layer).asnumpy()
    np.testing.assert_allclose(dropped, zeros, rtol=1e-5, atol=1e-6)
    # One layer has nothing between layers to drop.
    with mx.autograd.train_mode():
        single_dropped = nd.RNN(*arrays_of(make_case(80, "lstm", 1, False,
                                                     steps=6, batch=5,
                                                     hidden=8)[0]),
                                p=0.5, **one_layer).asnumpy()
    np.testing.assert_array_equal(single_dropped, single)


def test_backward_without_kept_activations_and_twice():
    """Recorded outside training, or differentiated again through a
    retained graph, backward runs forward again: the same gradients."""
    a, kw = make_case(90, "gru", 2, True, state_outputs=True)
    grads = []
    for train_mode, times in ((True, 2), (False, 1)):
        x, p, h = arrays_of(a)
        p.attach_grad()
        with mx.autograd.record(train_mode=train_mode):
            out = nd.RNN(x, p, h, **kw)
            loss = (out[0] * nd.array(a["g0"])).sum() + out[1].sum()
        for _ in range(times):
            loss.backward(retain_graph=True)
            grads.append(p.grad.asnumpy().copy())
    for other in grads[1:]:
        np.testing.assert_allclose(other, grads[0], rtol=1e-6, atol=1e-7)


def test_backward_twice_through_a_retained_graph_keeps_the_dropout_mask():
    """The second backward runs forward again with the first pass's dropout
    masks, so both passes give MXNet's one gradient."""
    a, kw = make_case(91, "lstm", 3, True, state_outputs=True)
    x, p, h, c = arrays_of(a)
    p.attach_grad()
    x.attach_grad()
    with mx.autograd.record():
        out = nd.RNN(x, p, h, c, p=0.5, **kw)
        loss = (out[0] * nd.array(a["g0"])).sum()
    grads = []
    for _ in range(3):
        loss.backward(retain_graph=True)
        grads.append((p.grad.asnumpy().copy(), x.grad.asnumpy().copy()))
    for other in grads[1:]:
        for got, want in zip(other, grads[0]):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_out_arrays():
    a, kw = make_case(91, "lstm", 1, True, state_outputs=True)
    outs = [nd.zeros((4, 3, 12)), nd.zeros((2, 3, 6)), nd.zeros((2, 3, 6))]
    result = nd.RNN(*arrays_of(a), out=outs, **kw)
    assert result is outs
    want = nd.RNN(*arrays_of(a), **kw)
    for got, expected in zip(outs, want):
        np.testing.assert_array_equal(got.asnumpy(), expected.asnumpy())
    with pytest.raises(MXNetError, match=r"RNN: out has 2 arrays, expected 3"):
        nd.RNN(*arrays_of(a), out=outs[:2], **kw)


def call(**changes):
    a, kw = make_case(92, "lstm", 1, False)
    arrays = dict(zip(("x", "p", "h", "c"), arrays_of(a)))
    inputs = changes.pop("inputs", None)
    kw.update(changes)
    if inputs is None:
        inputs = [arrays[k] for k in ("x", "p", "h", "c")]
    elif callable(inputs):
        inputs = inputs(arrays)
    return nd.RNN(*inputs, **kw)


def test_bad_inputs():
    expected = param_count("lstm", 1, False, 5, 6)  # 312
    cases = [
        (dict(inputs=lambda a: [a["x"], nd.ones((expected + 1,)), a["h"],
                                a["c"]]),
         r"RNN: parameters expected shape \(312,\) \(312 values for mode "
         r"'lstm', 1 layer, input size 5, state_size 6\), got shape \(313,\)"),
        (dict(inputs=lambda a: [a["x"], a["p"].reshape((-1, 1)), a["h"],
                                a["c"]]),
         r"RNN: parameters expected shape \(312,\) .* got shape \(312, 1\)"),
        (dict(inputs=lambda a: [a["x"], a["p"], nd.zeros((2, 3, 6)), a["c"]]),
         r"RNN: state expected shape \(1, 3, 6\) \(num_layers, batch size, "
         r"state width\), got \(2, 3, 6\)"),
        (dict(inputs=lambda a: [a["x"], a["p"], a["h"], nd.zeros((1, 3, 7))]),
         r"RNN: state_cell expected shape \(1, 3, 6\) .*got \(1, 3, 7\)"),
        (dict(mode="foo"),
         r"RNN: mode expected 'rnn_relu', 'rnn_tanh', 'lstm' or 'gru', got "
         r"'foo'"),
        (dict(inputs=lambda a: [a["x"], a["p"], a["h"]]),
         r"RNN: mode 'lstm' expects 4 input arrays \(data, parameters, state, "
         r"state_cell\), got 3"),
        (dict(inputs=lambda a: [a["x"][0], a["p"], a["h"], a["c"]]),
         r"RNN: data expected rank 3 \(sequence length, batch size, input "
         r"size: layout TNC\), got shape \(3, 5\)"),
        (dict(inputs=lambda a: [a["x"].astype("int32"), a["p"], a["h"],
                                a["c"]]),
         r"RNN: data expected dtype float32 or float64, got int32"),
        (dict(inputs=lambda a: [a["x"], a["p"].astype("float64"), a["h"],
                                a["c"]]),
         r"RNN: parameters expected dtype float32 \(the dtype of data\), got "
         r"float64"),
        (dict(lstm_state_clip_min=-1),
         r"RNN: lstm_state_clip_min and lstm_state_clip_max must be given "
         r"together, got only lstm_state_clip_min"),
        (dict(lstm_state_clip_min=1, lstm_state_clip_max=-1),
         r"RNN: lstm_state_clip_min \(1\) must not exceed "
         r"lstm_state_clip_max \(-1\)"),
        (dict(p=1.5), r"RNN: p expected a value in \[0, 1\], got 1.5"),
        (dict(state_size=0),
         r"RNN: state_size expected a positive integer, got 0"),
        (dict(num_layers=0),
         r"RNN: num_layers expected a positive integer, got 0"),
    ]
    for changes, message in cases:
        with pytest.raises(MXNetError, match=message):
            call(**changes)
    a, kw = make_case(93, "gru", 1, False)
    x, p, h = arrays_of(a)
    with pytest.raises(MXNetError,
                       match=r"RNN: mode 'gru' expects 3 input arrays \(data, "
                       r"parameters, state\), got 4"):
        nd.RNN(x, p, h, h, **kw)
    with pytest.raises(MXNetError,
                       match=r"RNN: projection_size is only supported with "
                       r"mode 'lstm', got mode 'gru'"):
        nd.RNN(x, p, h, projection_size=2, **kw)
    with pytest.raises(MXNetError,
                       match=r"RNN: mode 'gru' with use_sequence_length "
                       r"expects 4 input arrays \(data, parameters, state, "
                       r"sequence_length\), got 3"):
        nd.RNN(x, p, h, use_sequence_length=True, **kw)
    with pytest.raises(MXNetError,
                       match=r"RNN: sequence_length expected shape \(3,\) "
                       r"\(one length per batch element\), got \(2,\)"):
        nd.RNN(x, p, h, nd.array([1, 2]), use_sequence_length=True, **kw)


def test_none_optional_input_in_the_middle_is_dropped_as_mxnet_does():
    # state_cell=None with a sequence_length: MXNet's generated function
    # drops the None and RNN reads the next input as sequence_length.
    T, N, I, H = 4, 2, 3, 5
    data = mx.nd.random.uniform(shape=(T, N, I))
    params = mx.nd.random.uniform(shape=(3 * (I * H + H * H + 2 * H),))
    state = mx.nd.zeros((1, N, H))
    lengths = mx.nd.array([4, 2])
    by_keyword = mx.nd.RNN(data, params, state=state, state_cell=None,
                           sequence_length=lengths, state_size=H,
                           num_layers=1, mode="gru", use_sequence_length=True)
    positional = mx.nd.RNN(data, params, state, lengths, state_size=H,
                           num_layers=1, mode="gru", use_sequence_length=True)
    np.testing.assert_array_equal(by_keyword.asnumpy(), positional.asnumpy())


def test_second_order_is_refused_not_dropped():
    T, N, I, H = 3, 2, 3, 4
    data = mx.nd.random.uniform(shape=(T, N, I))
    data.attach_grad()
    params = mx.nd.random.uniform(shape=(I * H + H * H + 2 * H,))
    state = mx.nd.zeros((1, N, H))
    with pytest.raises(MXNetError, match="RNN: is not differentiable again"):
        with mx.autograd.record():
            out = mx.nd.RNN(data, params, state, state_size=H, num_layers=1,
                            mode="rnn_tanh")
            mx.autograd.grad((out ** 2).sum(), data, create_graph=True)
