"""CTCLoss (frontends/cpp/ops/CtcOps.cpp on runtime/cpu/Ctc.cpp) and its
aliases ctc_loss, contrib.CTCLoss, contrib.ctc_loss.

Losses and gradients are compared live against MXNet 1.9.1 (the oracle venv,
tests/python/mxnet_oracle.py), one snippet run under both frameworks, with
blank_label first and last, padded labels, data_lengths, label_lengths, label
repeats, infeasible alignments and every alias. Numeric gradient checks run in
float64; bad inputs raise MXNetError at the call, naming the op, the argument,
expected and got, and MXNet refuses the same inputs.

Where kiln deliberately differs from MXNet 1.9.1 (each checked below):
  * float64 data is computed (MXNet: float32 only); it matches MXNet's
    float32 result to float32 precision;
  * an item whose labels cannot be aligned (more labels plus repeats than
    steps) has loss 0, as MXNet's, and gradient 0 (MXNet leaves whatever was
    in its buffer);
  * a label outside [0, alphabet_size), the blank among the labels, and a
    length out of range raise MXNetError at the next wait (MXNet reads past
    its buffers); a batch whose labels are all empty gets its losses (MXNet
    skips the whole batch and returns garbage).
"""
import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError
from kiln.test_utils import check_numeric_gradient
from mxnet_oracle import (SNIPPET_HELPERS, bad_input_tests, compare_outputs,
                          requires_oracle, run_both, run_mxnet)

nd = mx.nd
RNG = np.random.default_rng(1212)


def labels_first(batch, width, alphabet, lengths, repeat=False):
    """Labels 1 .. alphabet - 1 padded with 0 (blank_label 'first')."""
    label = np.zeros((batch, width), np.float32)
    for b, n in enumerate(lengths):
        label[b, :n] = RNG.integers(1, alphabet, n)
        if repeat and n >= 2:
            label[b, 1] = label[b, 0]
    return label


# Values and gradients against MXNet 1.9.1.

@requires_oracle
def test_ctc_loss_matches_mxnet():
    T, B, A = 9, 5, 6
    first = labels_first(B, 4, A, [2, 4, 1, 3, 0], repeat=True)
    last = first - 1  # 0 .. A - 2, padded with -1
    arrays = dict(
        x=RNG.standard_normal((T, B, A)).astype(np.float32),
        big=(3 * RNG.standard_normal((40, 3, 12))).astype(np.float32),
        first=first, last=last,
        int_first=first.astype(np.int32),
        big_label=labels_first(3, 15, 12, [15, 9, 12]),
        data_lengths=np.array([9, 6, 7, 5, 1], np.float32),
        label_lengths=np.array([1, 4, 0, 2, 0], np.float32))
    code = SNIPPET_HELPERS + """
x = inputs["x"]
def ctc(*arrays, **kwargs):
    return lambda d: mx.nd.CTCLoss(d, *[mx.nd.array(a, dtype=a.dtype)
                                        for a in arrays], **kwargs)
record("first", ctc(inputs["first"]), [x])
record("first/explicit", ctc(inputs["first"], blank_label="first"), [x])
record("last", ctc(inputs["last"], blank_label="last"), [x])
record("int_labels", ctc(inputs["int_first"]), [x])
record("data_lengths", ctc(inputs["first"], inputs["data_lengths"],
                           use_data_lengths=True), [x])
record("label_lengths", ctc(inputs["first"], inputs["label_lengths"],
                            use_label_lengths=True), [x])
record("both_lengths/last", ctc(inputs["last"], inputs["data_lengths"],
                                inputs["label_lengths"],
                                use_data_lengths=True,
                                use_label_lengths=True, blank_label="last"),
       [x])
record("big", ctc(inputs["big_label"]), [inputs["big"]])
d = mx.nd.array(x)
for name in ("ctc_loss",):
    outputs["alias/" + name] = getattr(mx.nd, name)(
        d, mx.nd.array(inputs["first"])).asnumpy()
for name in ("CTCLoss", "ctc_loss"):
    outputs["contrib/" + name] = getattr(mx.nd.contrib, name)(
        d, mx.nd.array(inputs["last"]), blank_label="last").asnumpy()
outputs["predict"] = mx.nd.CTCLoss(d, mx.nd.array(inputs["first"])).asnumpy()
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected)


@requires_oracle
def test_infeasible_alignments_cost_zero_as_in_mxnet():
    # Item 0: 3 labels with 2 repeats need 5 steps, has 4; item 1 feasible;
    # item 2: its data_lengths leave fewer steps than labels.
    T, B, A = 4, 3, 5
    arrays = dict(x=RNG.standard_normal((T, B, A)).astype(np.float32),
                  label=np.array([[2, 2, 2], [1, 3, 0], [4, 1, 0]],
                                 np.float32),
                  lengths=np.array([4, 4, 1], np.float32))
    code = """
d = mx.nd.array(inputs["x"]); d.attach_grad()
with mx.autograd.record():
    loss = mx.nd.CTCLoss(d, mx.nd.array(inputs["label"]),
                         mx.nd.array(inputs["lengths"]),
                         use_data_lengths=True)
loss.backward()
outputs["loss"] = loss.asnumpy()
outputs["feasible_grad"] = d.grad.asnumpy()[:, 1]
"""
    got, expected = run_both(code, mx, **arrays)
    compare_outputs(got, expected)
    assert got["loss"][0] == 0 and got["loss"][2] == 0
    # MXNet leaves the infeasible items' gradients undefined; kiln's are 0.
    d = nd.array(arrays["x"])
    d.attach_grad()
    with mx.autograd.record():
        loss = nd.CTCLoss(d, nd.array(arrays["label"]),
                          nd.array(arrays["lengths"]), use_data_lengths=True)
    loss.backward()
    grad = d.grad.asnumpy()
    assert not grad[:, 0].any() and not grad[:, 2].any()


@requires_oracle
def test_float64_matches_mxnet_float32():
    # MXNet 1.9.1 refuses float64 data (its kernel reads float32 only).
    x = RNG.standard_normal((7, 3, 5))
    label = labels_first(3, 3, 5, [3, 2, 1])
    head = RNG.standard_normal(3)
    expected = run_mxnet("""
d = mx.nd.array(inputs["x"]); d.attach_grad()
with mx.autograd.record():
    loss = mx.nd.CTCLoss(d, mx.nd.array(inputs["label"]))
loss.backward(mx.nd.array(inputs["head"]))
outputs["loss"] = loss.asnumpy()
outputs["grad"] = d.grad.asnumpy()
""", x=x.astype(np.float32), label=label, head=head.astype(np.float32))
    with pytest.raises(RuntimeError, match="data type do not match"):
        run_mxnet("mx.nd.CTCLoss(mx.nd.ones((2, 1, 3), dtype='float64'), "
                  "mx.nd.ones((1, 1), dtype='float64')).asnumpy()")
    d = nd.array(x, dtype="float64")
    d.attach_grad()
    with mx.autograd.record():
        loss = nd.CTCLoss(d, nd.array(label, dtype="float64"))
    loss.backward(nd.array(head, dtype="float64"))
    assert loss.dtype == np.float64 and d.grad.dtype == np.float64
    np.testing.assert_allclose(loss.asnumpy(), expected["loss"], rtol=1e-5)
    np.testing.assert_allclose(d.grad.asnumpy(), expected["grad"], rtol=1e-4,
                               atol=1e-6)


# Against a reference of kiln's own (brute force over every alignment).

def brute_force_loss(x, label, blank):
    """-log of the summed probability of every path that collapses to
    label: a check of the dynamic program independent of it."""
    T, A = x.shape
    p = np.exp(x - x.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    total = 0.0
    for path in np.ndindex(*([A] * T)):
        collapsed = [k for i, k in enumerate(path)
                     if k != blank and (i == 0 or k != path[i - 1])]
        if collapsed == list(label):
            total += np.prod([p[t, k] for t, k in enumerate(path)])
    return -np.log(total)


@pytest.mark.parametrize("label,blank_label", [
    ([1, 2], "first"), ([2, 2], "first"), ([], "first"), ([0, 1], "last"),
    ([1, 1, 1], "first")])
def test_loss_is_the_sum_over_alignments(label, blank_label):
    T, A = 5, 3
    x = RNG.standard_normal((T, A))
    blank = 0 if blank_label == "first" else A - 1
    pad = 0 if blank_label == "first" else -1
    row = np.full((1, 3), pad, np.float64)
    row[0, :len(label)] = label
    got = nd.CTCLoss(nd.array(x[:, None, :], dtype="float64"),
                     nd.array(row, dtype="float64"),
                     blank_label=blank_label).asnumpy()
    np.testing.assert_allclose(got, [brute_force_loss(x, label, blank)],
                               rtol=1e-12)


# Gradients.

def test_numeric_gradient():
    T, B, A = 6, 3, 4
    x = RNG.standard_normal((T, B, A))
    label = np.array([[1, 2, 0], [3, 3, 1], [2, 0, 0]], np.float64)
    lengths = np.array([6, 5, 2], np.float64)
    check_numeric_gradient(
        lambda d: nd.CTCLoss(d, nd.array(label, dtype="float64")), [x],
        numeric_eps=1e-6, rtol=1e-5, atol=1e-8, dtype=np.float64)
    check_numeric_gradient(
        lambda d: nd.CTCLoss(d, nd.array(label - 1, dtype="float64"),
                             nd.array(lengths, dtype="float64"),
                             use_data_lengths=True, blank_label="last"),
        [x], numeric_eps=1e-6, rtol=1e-5, atol=1e-8, dtype=np.float64)


def test_gradient_without_a_saved_forward():
    # Recorded in predict mode (nothing kept) and a second backward through
    # a retained graph (the kept gradient was used): the rule runs the
    # kernel again and gets the same gradient.
    x = RNG.standard_normal((5, 2, 4)).astype(np.float32)
    label = nd.array([[1, 2], [3, 0]])
    head = nd.array([0.5, -2.0])
    grads = []
    for train_mode in (True, False):
        d = nd.array(x)
        d.attach_grad()
        with mx.autograd.record(train_mode=train_mode):
            loss = nd.CTCLoss(d, label)
        loss.backward(head, retain_graph=True)
        grads.append(d.grad.asnumpy())
        loss.backward(head)
        grads.append(d.grad.asnumpy())
    for grad in grads[1:]:
        np.testing.assert_allclose(grad, grads[0], rtol=1e-6)


def test_other_inputs_take_no_gradient():
    d, label = nd.array(RNG.standard_normal((4, 1, 3))), nd.array([[1, 2]])
    d.attach_grad()
    label.attach_grad()
    with mx.autograd.record():
        loss = nd.CTCLoss(d, label)
    loss.backward()
    assert not label.grad.asnumpy().any()
    assert d.grad.asnumpy().any()


def test_second_order_is_refused_not_dropped():
    d = nd.array(RNG.standard_normal((4, 2, 3)))
    d.attach_grad()
    with pytest.raises(MXNetError, match="CTCLoss: is not differentiable "
                       "again"):
        with mx.autograd.record():
            mx.autograd.grad(nd.CTCLoss(d, nd.array([[1], [2]])).sum(), d,
                             create_graph=True)


def test_out_receives_the_loss():
    d = nd.array(RNG.standard_normal((4, 2, 3)))
    out = nd.zeros((2,))
    result = nd.CTCLoss(d, nd.array([[1], [2]]), out=out)
    assert result is out
    np.testing.assert_allclose(
        out.asnumpy(), nd.CTCLoss(d, nd.array([[1], [2]])).asnumpy())


def test_all_empty_labels():
    # MXNet returns garbage here (it skips a batch without labels); the
    # loss is -log P(all blanks) and the gradient softmax - posterior.
    x = RNG.standard_normal((3, 2, 3))
    got = nd.CTCLoss(nd.array(x, dtype="float64"),
                     nd.zeros((2, 1), dtype="float64")).asnumpy()
    p = np.exp(x) / np.exp(x).sum(2, keepdims=True)
    np.testing.assert_allclose(got, -np.log(p[:, :, 0]).sum(0), rtol=1e-12)


# Bad inputs.

@pytest.mark.parametrize("label,lengths,message", [
    ([[5, 1]], None, r"CTCLoss: label\[0, 0\] expected in \[0, 5\), got 5"),
    ([[1, -2]], None, r"CTCLoss: label\[0, 1\] expected in \[0, 5\), got -2"),
    ([[1, 2]], [3], r"CTCLoss: label_lengths\[0\] expected in \[0, 2\], "
     "got 3"),
    ([[1, 0]], [2], r"CTCLoss: label\[0, 1\] is 0, the blank label's "
     "channel"),
])
def test_bad_label_values_raise_at_the_wait(label, lengths, message):
    args = [nd.ones((3, 1, 5)), nd.array(label)]
    kwargs = {}
    if lengths is not None:
        args.append(nd.array(lengths))
        kwargs["use_label_lengths"] = True
    loss = nd.CTCLoss(*args, **kwargs)
    with pytest.raises(MXNetError, match=message):
        loss.asnumpy()


def test_bad_lengths_raise_at_the_wait():
    for lengths, got in (([4], 4), ([-1], -1)):
        loss = nd.CTCLoss(nd.ones((3, 1, 5)), nd.array([[1]]),
                          nd.array(lengths), use_data_lengths=True)
        with pytest.raises(MXNetError, match=r"CTCLoss: data_lengths\[0\] "
                           r"expected in \[0, 3\], got %d" % got):
            loss.asnumpy()
    loss = nd.CTCLoss(nd.ones((3, 1, 5)), nd.array([[3]]),
                      blank_label="last")
    with pytest.raises(MXNetError, match=r"label\[0, 0\] is 4, the blank"):
        nd.CTCLoss(nd.ones((3, 1, 5)), nd.array([[4]]),
                   blank_label="last").asnumpy()
    loss.asnumpy()  # 3 is a label with the blank last


PRELUDE = """
nd = mx.nd
data = nd.ones((4, 2, 5))
label = nd.array([[1, 2], [3, 0]])
lengths = nd.array([4, 3])
"""
BAD = [
    ("data_rank", "nd.CTCLoss(nd.ones((4, 10)), label)",
     r"CTCLoss: data expected 3 dimensions \(seq_len, batch, alphabet_size\), "
     r"got shape \(4, 10\)"),
    ("label_rank", "nd.CTCLoss(data, nd.ones((2,)))",
     r"CTCLoss: label expected 2 dimensions \(batch, label_len\), got shape "
     r"\(2,\)"),
    ("batch", "nd.CTCLoss(data, nd.ones((3, 2)))",
     r"CTCLoss: label expected batch size 2 \(data's\), got shape \(3, 2\)"),
    ("label_too_long", "nd.CTCLoss(data, nd.ones((2, 5)))",
     r"CTCLoss: label_len \(5\) exceeds data's seq_len \(4\)"),
    ("missing_data_lengths", "nd.CTCLoss(data, label, use_data_lengths=True)",
     r"CTCLoss: expected 3 input arrays \(data, label, data_lengths\) with "
     r"use_data_lengths=True and use_label_lengths=False, got 2"),
    ("extra_lengths", "nd.CTCLoss(data, label, lengths)",
     r"CTCLoss: expected 2 input arrays \(data, label\) with "
     r"use_data_lengths=False and use_label_lengths=False, got 3"),
    ("data_lengths_shape", "nd.CTCLoss(data, label, nd.ones((3,)), "
     "use_data_lengths=True)",
     r"CTCLoss: data_lengths expected shape \(2,\) \(one length per batch "
     r"item\), got \(3,\)"),
    ("label_lengths_shape", "nd.CTCLoss(data, label, nd.ones((2, 1)), "
     "use_label_lengths=True)",
     r"CTCLoss: label_lengths expected shape \(2,\) .*got \(2, 1\)"),
    ("blank_label", "nd.CTCLoss(data, label, blank_label='middle')",
     r"CTCLoss: blank_label expected 'first' or 'last', got 'middle'"),
    ("float16", "nd.CTCLoss(data.astype('float16'), label)",
     r"CTCLoss: data expected dtype float32 or float64, got float16"),
    ("alias_names_itself", "nd.ctc_loss(nd.ones((4, 10)), label)",
     r"ctc_loss: data expected 3 dimensions"),
    ("contrib_alias", "nd.contrib.ctc_loss(data, nd.ones((3, 2)))",
     r"_contrib_ctc_loss: label expected batch size 2"),
    ("int_data", "nd.CTCLoss(data.astype('int32'), label)",
     r"CTCLoss: data expected dtype float32 or float64, got int32"),
]
KILN_ONLY = [
    ("no_alphabet", "nd.CTCLoss(nd.empty((4, 2, 0)), label)",
     r"CTCLoss: data expected alphabet_size >= 1"),
]

test_bad_inputs_raise_at_the_call, test_mxnet_refuses_the_same_inputs = \
    bad_input_tests(mx, PRELUDE, BAD, KILN_ONLY, MXNetError)
