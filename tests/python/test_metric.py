"""mx.metric against MXNet 1.9.1: every registered metric on the same
random batches (values, local vs global counters, names, NaN when empty),
create() in each of its forms, get_config round trips, register/alias, and
bad input raising what MXNet raises.

The value, create and error checks each run one snippet under both
frameworks (mxnet_oracle.run_both), so MXNet is started three times."""
import json
import textwrap
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import kiln as mx
import kiln.metric  # noqa: F401  (attaches mx.metric before __init__ does)
from mxnet_oracle import requires_oracle, run_both

# ---------------------------------------------------------------------------
# Inputs: per kind, three batches of (label, pred) numpy arrays.


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)


def _make_inputs(seed=13):
    rng = np.random.RandomState(seed)
    f32 = np.float32
    arrays = {}

    def put(kind, i, label, pred):
        arrays["%s_label%d" % (kind, i)] = label
        arrays["%s_pred%d" % (kind, i)] = pred

    for i in range(3):
        put("multi", i, rng.randint(0, 5, 8).astype(f32),
            _softmax(rng.randn(8, 5)))
        # Probabilities of 0 and below 1e-10: Perplexity's clip, the eps.
        sharp = _softmax(rng.randn(8, 5) * 12)
        sharp[sharp < 1e-6] = 0
        put("sharp", i, rng.randint(0, 5, 8).astype(f32), sharp)
        put("binary", i, rng.randint(0, 2, 9).astype(f32),
            _softmax(rng.randn(9, 2)))
        put("axis0", i, rng.randint(0, 5, 8).astype(f32),
            _softmax(rng.randn(5, 8), axis=0))
        put("idx", i, rng.randint(0, 4, 10).astype(f32),
            rng.randint(0, 4, 10).astype(f32))
        put("top1d", i, rng.randint(0, 8, 8).astype(f32),
            rng.rand(8).astype(f32))
        put("reg", i, rng.randn(8).astype(f32), rng.randn(8, 1).astype(f32))
        put("reg3", i, rng.randn(6, 3).astype(f32),
            rng.randn(6, 3).astype(f32))
        # Labels as a column (Perplexity flattens them); ignore_label 1.
        put("column", i, rng.randint(0, 5, (8, 1)).astype(f32),
            _softmax(rng.randn(8, 5)))
        # The class count grows batch by batch: PCC widens its matrix.
        put("pcc", i, rng.randint(0, 4 + i, 12).astype(f32),
            _softmax(rng.randn(12, 4 + i)))
        put("loss", i, np.zeros(4, f32), rng.rand(4, 3).astype(f32))
    return arrays


INPUTS = _make_inputs()

# (key, the metric as an expression, the input kind)
CASES = [
    ("acc", "mx.metric.Accuracy()", "multi"),
    ("acc_axis0", "mx.metric.Accuracy(axis=0)", "axis0"),
    ("acc_idx", "mx.metric.create('acc')", "idx"),
    ("acc_pairs", "mx.metric.Accuracy()", "multi+"),
    ("acc_bare", "mx.metric.Accuracy()", "multi!"),
    ("acc_dict", "mx.metric.Accuracy(output_names=['p'], label_names=['l'])",
     "multi{}"),
    ("topk3", "mx.metric.TopKAccuracy(top_k=3)", "multi"),
    ("topk_1d", "mx.metric.create('top_k_acc', top_k=2)", "top1d"),
    ("f1", "mx.metric.F1()", "binary"),
    ("f1_micro", "mx.metric.F1(average='micro')", "binary"),
    ("mcc", "mx.metric.MCC()", "binary"),
    ("mcc_micro", "mx.metric.create('mcc', average='micro')", "binary"),
    ("perp", "mx.metric.Perplexity(ignore_label=None)", "multi"),
    ("perp_sharp", "mx.metric.Perplexity(ignore_label=None)", "sharp"),
    ("perp_ignore", "mx.metric.Perplexity(ignore_label=1)", "column"),
    ("perp_axis", "mx.metric.create('perplexity', None, axis=1)", "multi"),
    ("mae", "mx.metric.MAE()", "reg"),
    ("mse", "mx.metric.MSE()", "reg"),
    ("rmse", "mx.metric.RMSE()", "reg"),
    ("mae3", "mx.metric.create('mae')", "reg3"),
    ("mse3", "mx.metric.create('mse')", "reg3+"),
    ("rmse3", "mx.metric.create('rmse')", "reg3"),
    ("ce", "mx.metric.create('ce')", "multi"),
    ("ce_eps", "mx.metric.CrossEntropy(eps=1e-3)", "multi"),
    ("nll", "mx.metric.create('nll_loss')", "multi"),
    ("ce_sharp", "mx.metric.CrossEntropy()", "sharp"),
    ("nll_sharp", "mx.metric.NegativeLogLikelihood(eps=1e-20)", "sharp"),
    ("pearson", "mx.metric.create('pearsonr')", "reg3"),
    ("pearson_micro", "mx.metric.PearsonCorrelation(average='micro')",
     "reg3"),
    ("pcc", "mx.metric.PCC()", "pcc"),
    ("pcc_idx", "mx.metric.create('pcc')", "idx"),
    ("loss", "mx.metric.Loss()", "loss"),
    ("loss_bare", "mx.metric.create('loss')", "loss!"),
    ("torch", "mx.metric.Torch()", "loss"),
    ("caffe", "mx.metric.create('caffe')", "loss"),
    ("custom", "mx.metric.create(mean_abs)", "reg"),
    ("custom_np", "mx.metric.np(hits_and_count)", "multi"),
    ("custom_lambda", "mx.metric.CustomMetric(lambda l, p: float(p.max()), "
     "allow_extra_outputs=True)", "multi+"),
    ("composite", "mx.metric.create(['acc', 'f1', 'mcc', "
     "mx.metric.create('ce')])", "binary"),
    ("composite_dict", "mx.metric.CompositeEvalMetric(['acc', "
     "mx.metric.TopKAccuracy(2, label_names=['l'])], output_names=['p'], "
     "label_names=['l'])",
     "multi{}"),
]

# Runs each case under either framework: the value after the first batch,
# then (after reset_local) the local and global values after the other two,
# the counters, names and str().
VALUES = """
import json
from collections import OrderedDict

def mean_abs(label, pred):
    return np.abs(label - pred.reshape(label.shape)).mean()

def hits_and_count(label, pred):
    return float((pred.argmax(axis=1) == label).sum()), label.size

def batch(kind, i):
    def nd(key):
        a = inputs["%s_%s%d" % (kind, key, i)]
        return mx.nd.array(a, dtype=a.dtype)
    return nd("label"), nd("pred")

def feed(metric, kind, i):
    base = kind.rstrip("+!{}")
    label, pred = batch(base, i)
    if kind.endswith("+"):       # two arrays per update
        label2, pred2 = batch(base, (i + 1) % 3)
        metric.update([label, label2], [pred, pred2])
    elif kind.endswith("!"):     # bare arrays, no lists
        metric.update(label, pred)
    elif kind.endswith("{}"):    # update_dict, with entries to leave out
        metric.update_dict(OrderedDict([("x", pred), ("l", label)]),
                           OrderedDict([("q", label), ("p", pred)]))
    else:
        metric.update([label], [pred])

def floats(value):
    return np.array(value, dtype=np.float64)

for key, expression, kind in CASES:
    metric = eval(expression)
    outputs[key + "/empty"] = floats([metric.get()[1], metric.get_global()[1]])
    feed(metric, kind, 0)
    outputs[key + "/first"] = floats(metric.get()[1])
    metric.reset_local()
    outputs[key + "/after_reset_local"] = floats(metric.get()[1])
    for i in (1, 2):
        feed(metric, kind, i)
    outputs[key + "/local"] = floats(metric.get()[1])
    outputs[key + "/global"] = floats(metric.get_global()[1])
    outputs[key + "/pairs"] = floats([v for _, v in metric.get_name_value()] +
                                     [v for _, v in metric.get_global_name_value()])
    if hasattr(metric, "num_inst"):
        outputs[key + "/counts"] = floats(
            [metric.num_inst, metric.global_num_inst,
             metric.sum_metric, metric.global_sum_metric])
    outputs["names/" + key] = np.array(json.dumps(
        [metric.get()[0], metric.get_global()[0],
         [n for n, _ in metric.get_name_value()],
         [n for n, _ in metric.get_global_name_value()],
         hasattr(metric, "num_inst")]))
    metric.reset()
    outputs[key + "/after_reset"] = floats(
        [metric.get()[1], metric.get_global()[1]])

acc = mx.metric.Accuracy()
acc.update([mx.nd.array([0, 1, 1])],
           [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
outputs["names/str"] = np.array([str(acc), str(mx.metric.create(['acc', 'mse']))])
"""


def _compare(got, expected, rtol=1e-6):
    assert sorted(got) == sorted(expected)
    for key in sorted(expected):
        if key.startswith("names/"):
            np.testing.assert_array_equal(got[key], expected[key],
                                          err_msg=key)
        else:
            assert got[key].shape == expected[key].shape, key
            np.testing.assert_allclose(got[key], expected[key], rtol=rtol,
                                       atol=1e-9, err_msg=key)


@requires_oracle
def test_every_metric_matches_mxnet():
    code = "CASES = %r\n" % (CASES,) + VALUES
    got, expected = run_both(code, mx, **INPUTS)
    assert len([k for k in expected if k.endswith("/local")]) == len(CASES)
    _compare(got, expected)
    # The snippet measures real values: accuracy by hand, NaN when empty.
    hits = [INPUTS["multi_pred%d" % i].argmax(axis=1) ==
            INPUTS["multi_label%d" % i] for i in (1, 2)]
    assert expected["acc/local"] == np.concatenate(hits).mean() > 0
    assert np.isnan(expected["acc/empty"]).all()


def test_every_registered_metric_has_a_case():
    registered = set(kiln.registry.get_registry(mx.metric.EvalMetric).values())
    scope = {"mx": mx, "mean_abs": abs, "hits_and_count": abs}
    covered = {type(eval(expression, scope)) for _, expression, _ in CASES}
    assert len(registered) == 17
    assert registered - covered == set()


def test_numpy_inputs_give_what_ndarrays_give():
    # A kiln extension: MXNet's metrics take NDArrays only.
    for key, expression, kind in CASES:
        if kind[-1] in "+!{}" or "mean_abs" in expression \
                or "hits_and" in expression:
            continue
        values = []
        for convert in (lambda a: mx.nd.array(a, dtype=a.dtype),
                        lambda a: a):
            metric = eval(expression, {"mx": mx})
            for i in range(3):
                metric.update(
                    [convert(INPUTS["%s_label%d" % (kind, i)])],
                    [convert(INPUTS["%s_pred%d" % (kind, i)])])
            values.append(metric.get()[1])
        np.testing.assert_allclose(values[1], values[0], rtol=1e-6,
                                   err_msg=key)


def test_other_inputs_are_type_errors():
    with pytest.raises(TypeError, match="NDArray or numpy.ndarray, got list"):
        mx.metric.MSE().update([[1.0, 2.0]], [[1.0, 2.0]])
    with pytest.raises(TypeError, match="got float"):
        mx.metric.Loss().update(None, [1.0])


# ---------------------------------------------------------------------------
# create(), configs, the registry.

CREATE = """
import json
outputs["names/registry"] = np.array(sorted(
    mx.registry.get_registry(mx.metric.EvalMetric)))

def describe(metric):
    try:
        config = json.dumps(metric.get_config(), sort_keys=True)
    except NotImplementedError as e:
        config = "NotImplementedError: %s" % e
    return [type(metric).__name__, json.dumps(metric.get()[0]), config]

def custom_function(label, pred):
    return 1.0

forms = {}
for name in sorted(mx.registry.get_registry(mx.metric.EvalMetric)):
    if name == "perplexity":
        forms[name] = mx.metric.create(name, ignore_label=0)
    elif name == "custommetric":
        forms[name] = mx.metric.create(name, custom_function)
    elif name.startswith("top"):
        forms[name] = mx.metric.create(name, top_k=4)
    else:
        forms[name] = mx.metric.create(name)
acc = mx.metric.Accuracy(axis=0, name="a", output_names=["o"])
forms.update({
    "upper": mx.metric.create("ACC"),
    "positional": mx.metric.create("top_k_accuracy", 5),
    "kwargs": mx.metric.create("ce", eps=0.5, name="x"),
    "list": mx.metric.create(["acc", "f1", ["mse", "mae"]]),
    "list_with_args": mx.metric.create(["top_k_acc", "top_k_accuracy"], 3),
    "function": mx.metric.create(custom_function),
    "lambda": mx.metric.create(lambda label, pred: 0.5),
    "np": mx.metric.np(custom_function, name="mine"),
    "class": mx.metric.create(mx.metric.Accuracy),
    "instance_is_kept": mx.metric.create(acc),
    "config": mx.metric.create(acc.get_config()),
    "config_kwargs": mx.metric.create(**acc.get_config()),
    "json_list": mx.metric.create('["acc", {"axis": 0}]'),
    "json_dict": mx.metric.create('{"metric": "mcc", "name": "m"}'),
    "composite_config": mx.metric.create(
        mx.metric.create(["acc", mx.metric.create("top_k_acc", top_k=2),
                          mx.metric.Perplexity(None, axis=0)]).get_config()),
    "topk_twice": mx.metric.create(mx.metric.TopKAccuracy(3).get_config()),
})
outputs["names/create"] = np.array(json.dumps(
    {key: describe(metric) for key, metric in forms.items()}, sort_keys=True))
outputs["names/identity"] = np.array(
    [forms["instance_is_kept"] is acc, forms["config"] is acc])

class Twice(mx.metric.MSE):
    def update(self, labels, preds):
        super(Twice, self).update(labels, preds)
        self.sum_metric *= 2
mx.metric.alias("mse_twice", "MSE2")(Twice)
mx.metric.register(Twice)
metrics = [mx.metric.create(n) for n in ("mse_twice", "mse2", "twice")]
for metric in metrics:
    metric.update([mx.nd.array([1, 2])], [mx.nd.array([2, 4])])
outputs["registered"] = np.array([m.get()[1] for m in metrics])
outputs["names/registered"] = np.array([type(m).__name__ for m in metrics])
"""


@requires_oracle
def test_create_forms_match_mxnet():
    got, expected = run_both(CREATE, mx)
    _compare(got, expected)
    described = json.loads(str(expected["names/create"]))
    assert described["list"][0] == "CompositeEvalMetric"
    assert "top_k_acc" in expected["names/registry"]
    assert expected["registered"].tolist() == [5.0, 5.0, 5.0]


def test_config_round_trip_builds_an_equal_metric():
    for metric in [mx.metric.Accuracy(axis=0, label_names=["y"]),
                   mx.metric.TopKAccuracy(top_k=3),
                   mx.metric.Perplexity(ignore_label=2, name="ppl"),
                   mx.metric.CrossEntropy(eps=0.1),
                   mx.metric.create(["acc", "rmse", ["f1", "mcc"]])]:
        config = metric.get_config()
        again = mx.metric.create(json.dumps(config))
        assert type(again) is type(metric)
        if isinstance(metric, mx.metric.TopKAccuracy):
            # MXNet's quirk: the name already carries '_3', which gets
            # another.
            assert again.name == "top_k_accuracy_3_3"
        else:
            assert again.get_config() == config


def test_reregistering_a_name_warns_and_replaces():
    class Accuracy2(mx.metric.Accuracy):
        pass
    with pytest.warns(UserWarning, match="overriding existing metric"):
        mx.metric.register(Accuracy2, "acc")
    try:
        assert type(mx.metric.create("acc")) is Accuracy2
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mx.metric.register(mx.metric.Accuracy, "acc")
    assert type(mx.metric.create("acc")) is mx.metric.Accuracy
    with pytest.raises(AssertionError, match="subclass of EvalMetric"):
        mx.metric.register(dict)


def test_update_dict_picks_named_entries_in_order():
    metric = mx.metric.MSE(output_names=["b", "a"], label_names=["y", "x"])
    labels = OrderedDict([("x", mx.nd.array([0.0])), ("y", mx.nd.array([1.0]))])
    preds = OrderedDict([("a", mx.nd.array([3.0])), ("b", mx.nd.array([1.0]))])
    metric.update_dict(labels, preds)  # pairs (y, b) and (x, a): 0 and 9
    assert metric.get() == ("mse", 4.5)
    with pytest.raises(KeyError):
        metric.update_dict({"x": mx.nd.array([0.0])}, preds)


# ---------------------------------------------------------------------------
# Bad input: the exception class MXNet raises, and its message where both
# word it the same.

ERRORS = """
def nd(*a):
    return mx.nd.array(np.array(a, dtype=np.float32))
scores = nd([0.3, 0.7], [0, 1], [0.4, 0.6])
cases = [
    ("acc_count", lambda: mx.metric.Accuracy().update([nd(0, 1)], [scores, scores])),
    ("acc_size", lambda: mx.metric.Accuracy().update([nd([0, 1])], [nd([[0, 1, 1]])])),
    ("acc_axis", lambda: mx.metric.Accuracy().update([nd(0, 1)], [nd(0, 1, 1)])),
    ("acc_rows", lambda: mx.metric.Accuracy().update([nd(0, 1)], [scores])),
    ("topk_1", lambda: mx.metric.TopKAccuracy(top_k=1)),
    ("topk_3d", lambda: mx.metric.TopKAccuracy(2).update([nd(0)], [mx.nd.zeros((1, 2, 2))])),
    ("topk_k", lambda: mx.metric.TopKAccuracy(5).update([nd(0, 1, 1)], [scores])),
    ("f1_classes", lambda: mx.metric.F1().update([nd(0, 1, 2)], [scores])),
    ("mcc_classes", lambda: mx.metric.MCC().update([nd(0, 1, 2)], [scores])),
    ("f1_rows", lambda: mx.metric.F1().update([nd(0, 1)], [scores])),
    ("perp_shape", lambda: mx.metric.Perplexity(None).update([nd(0, 1)], [scores])),
    ("perp_3d", lambda: mx.metric.Perplexity(None).update([nd([0, 1])], [mx.nd.ones((1, 2, 3))])),
    ("perp_count", lambda: mx.metric.Perplexity(None).update([nd(0, 1, 1)], [scores, scores])),
    ("perp_args", lambda: mx.metric.create("perplexity")),
    ("ce_rows", lambda: mx.metric.CrossEntropy().update([nd(0, 1)], [scores])),
    ("nll_rows", lambda: mx.metric.NegativeLogLikelihood().update([nd(0, 1)], [scores])),
    ("pearson_shape", lambda: mx.metric.PearsonCorrelation().update([nd(0, 1, 1)], [nd([0], [1], [1])])),
    ("mae_broadcast", lambda: mx.metric.MAE().update([nd(0, 1, 1)], [nd([0, 1], [1, 1])])),
    ("mse_count", lambda: mx.metric.MSE().update([nd(0), nd(1)], [nd(0)])),
    ("custom_tuple", lambda: mx.metric.np(lambda l, p: (1, 2, 3)).update([nd(0)], [nd(0)])),
    ("custom_config", lambda: mx.metric.np(lambda l, p: 1).get_config()),
    ("base_update", lambda: mx.metric.EvalMetric("e").update([nd(0)], [nd(0)])),
    ("dict_missing", lambda: mx.metric.MSE(label_names=["y"]).update_dict({"x": nd(0)}, {"p": nd(0)})),
    ("unregistered", lambda: mx.metric.create("nope")),
    ("not_a_name", lambda: mx.metric.create(5)),
    ("instance_with_args", lambda: mx.metric.create(mx.metric.MAE(), name="m")),
    ("json_with_args", lambda: mx.metric.create('["acc", {}]', axis=0)),
]
for name, case in cases:
    try:
        case()
        outputs["names/" + name] = np.array(["accepted", ""])
    except Exception as e:
        outputs["names/" + name] = np.array([type(e).__name__, str(e)])
"""

# Cases whose messages differ between the two (MXNet's come from its C++
# operators or Python's argument errors): compared by class only.
CLASS_ONLY = {"acc_axis", "perp_args", "perp_3d"}


@requires_oracle
def test_bad_input_raises_what_mxnet_raises():
    got, expected = run_both(ERRORS, mx)
    assert sorted(got) == sorted(expected)
    for key in sorted(expected):
        assert expected[key][0] != "accepted", key
        if key[len("names/"):] in CLASS_ONLY:
            assert got[key][0] == expected[key][0], (key, got[key])
        else:
            assert got[key].tolist() == expected[key].tolist(), key
    assert expected["names/acc_count"].tolist() == [
        "ValueError", "Shape of labels 1 does not match shape of predictions 2"]


def test_check_label_shapes():
    labels, preds = mx.metric.check_label_shapes(
        mx.nd.zeros((3,)), mx.nd.zeros((3, 2)), wrap=True)
    assert isinstance(labels, list) and isinstance(preds, list)
    with pytest.raises(ValueError, match=r"labels \(3,\) does not match "
                       r"shape of predictions \(3, 2\)"):
        mx.metric.check_label_shapes(mx.nd.zeros((3,)), mx.nd.zeros((3, 2)),
                                     shape=True)


def test_composite_get_metric_returns_the_error_as_mxnet_does():
    composite = mx.metric.create(["acc"])
    assert isinstance(composite.get_metric(0), mx.metric.Accuracy)
    missing = composite.get_metric(4)
    assert isinstance(missing, ValueError)
    assert str(missing) == "Metric index 4 is out of range 0 and 1"


def test_import_paths():
    import mxnet
    import mxnet.metric
    assert mxnet.metric is kiln.metric
    code = textwrap.dedent("""
        from mxnet.metric import Accuracy, create, np as metric_np
        assert create('acc').__class__ is Accuracy and callable(metric_np)
    """)
    exec(code, {})
