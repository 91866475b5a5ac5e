"""mx.mod.BucketingModule, SequentialModule, PythonModule and
PythonLossModule against MXNet 1.9.1.

A bucketed LSTM language model (mx.rnn.LSTMCell unrolled per bucket,
mx.rnn.BucketSentenceIter over three buckets) trained with fit and by hand
from the same initial parameters: parameters, outputs and scores equal
MXNet's. Buckets share their parameter arrays (an update in one is what
another reads; switching back reuses the bucket's executors and compiled
programs); checkpoints round-trip and cross to MXNet. A SequentialModule
of two Modules, and one ending in a PythonLossModule, train as MXNet's do.
Bad input raises what MXNet raises.
"""
import os

import numpy as np
import pytest

import kiln as mx
import kiln.module  # noqa: F401  (attach the submodules to the package)
import kiln.rnn  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import (assert_mxnet_error_classes, compare_outputs,
                          requires_oracle, run_both, run_mxnet)

# fit after set_params warns that the parameters are initialized already,
# as MXNet's does; BucketSentenceIter prints how many sentences it drops.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Parameters already initialized")

# The language model and its data, shared by the snippets (which run under
# both frameworks). Initial parameters are drawn with numpy.
LM = """
import random
V, E, H = 10, 6, 8

def lm_sym_gen(seq_len):
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("softmax_label")
    embed = mx.sym.Embedding(data=data, input_dim=V, output_dim=E,
                             name="embed")
    CELL.reset()
    out, _ = CELL.unroll(seq_len, inputs=embed, merge_outputs=True)
    pred = mx.sym.Reshape(out, shape=(-1, H))
    pred = mx.sym.FullyConnected(data=pred, num_hidden=V, name="pred")
    label = mx.sym.Reshape(label, shape=(-1,))
    pred = mx.sym.SoftmaxOutput(data=pred, label=label, name="softmax")
    return pred, ("data",), ("softmax_label",)

CELL = mx.rnn.LSTMCell(H, prefix="lstm_")

def sentences():
    flat, lengths = inputs["flat"].tolist(), inputs["lengths"].tolist()
    out, at = [], 0
    for n in lengths:
        out.append(flat[at:at + n])
        at += n
    return out

def make_iter(seed=0):
    random.seed(seed)
    np.random.seed(seed)
    return mx.rnn.BucketSentenceIter(sentences(), batch_size=4,
                                     buckets=[3, 5, 7], invalid_label=0)

def initial_params(seed=3):
    net = lm_sym_gen(7)[0]
    shapes, _, _ = net.infer_shape(data=(4, 7), softmax_label=(4, 7))
    rng = np.random.RandomState(seed)
    return {name: mx.nd.array(rng.uniform(-0.3, 0.3, shape)
                              .astype(np.float32))
            for name, shape in sorted(zip(net.list_arguments(), shapes))
            if name not in ("data", "softmax_label")}

def record_params(mod, tag):
    arg, aux = mod.get_params()
    for name, value in sorted(arg.items()) + sorted(aux.items()):
        outputs[tag + "/" + name] = value.asnumpy()
"""


def _corpus(count=36, seed=0):
    """`count` sentences of 2..7 tokens (ids 1..9; 0 pads), as one flat
    int64 array of the tokens and one of the lengths."""
    rng = np.random.RandomState(seed)
    lengths = rng.randint(2, 8, count)
    flat = rng.randint(1, 10, int(lengths.sum()))
    return flat.astype(np.int64), lengths.astype(np.int64)


@requires_oracle
def test_bucketing_lstm_training_matches_mxnet():
    flat, lengths = _corpus()
    code = LM + """
it = make_iter()
keys = []
def remember_key(param):
    keys.append(param.locals["data_batch"].bucket_key)
mod = mx.mod.BucketingModule(lm_sym_gen,
                             default_bucket_key=it.default_bucket_key)
mod.fit(it, num_epoch=2, arg_params=initial_params(), aux_params={},
        eval_metric=mx.metric.Perplexity(0), optimizer="sgd",
        optimizer_params={"learning_rate": 0.5, "momentum": 0.9,
                          "wd": 1e-4},
        batch_end_callback=remember_key)
outputs["keys"] = np.array(keys)
outputs["buckets"] = np.array(sorted(mod._buckets))
record_params(mod, "fit")
outputs["score"] = np.array([v for _, v in
                             mod.score(it, mx.metric.Perplexity(0))])
# Three steps by hand, one per bucket, then each bucket's outputs.
it.reset()
done = {}
for batch in it:
    if batch.bucket_key in done:
        continue
    mod.forward(batch, is_train=True)
    mod.backward()
    mod.update()
    done[batch.bucket_key] = batch
    outputs["step_out/%d" % batch.bucket_key] = \
        mod.get_outputs()[0].asnumpy()
record_params(mod, "steps")
for key, batch in sorted(done.items()):
    mod.forward(batch, is_train=False)
    outputs["out/%d" % key] = mod.get_outputs()[0].asnumpy()
outputs["data_names"] = np.array(mod.data_names)
outputs["output_names"] = np.array(mod.output_names)
"""
    got, want = run_both(code, mx, flat=flat, lengths=lengths)
    for key in ("data_names", "output_names"):
        assert got.pop(key).tolist() == want.pop(key).tolist(), key
    np.testing.assert_array_equal(got["keys"], want["keys"])
    assert sorted(set(want["keys"].tolist())) == [3, 5, 7]
    compare_outputs(got, want, rtol=1e-4, atol=1e-4)
    # Training moved the parameters.
    start = run_mxnet(LM + """
for name, value in initial_params().items():
    outputs[name] = value.asnumpy()
""", flat=flat, lengths=lengths)
    assert np.abs(got["fit/pred_weight"] - start["pred_weight"]).max() > 1e-2


def test_buckets_share_parameters_and_executables():
    flat, lengths = _corpus()
    scope = {"mx": mx, "np": np, "outputs": {},
             "inputs": {"flat": flat, "lengths": lengths}}
    exec(LM, scope)  # noqa: S102
    it = scope["make_iter"]()
    mod = mx.mod.BucketingModule(scope["lm_sym_gen"], default_bucket_key=7)
    mod.bind(it.provide_data, it.provide_label)
    mod.init_params(arg_params=scope["initial_params"](), aux_params={})
    mod.init_optimizer(optimizer="sgd",
                       optimizer_params={"learning_rate": 0.5})
    batches = {}
    for batch in it:
        batches.setdefault(batch.bucket_key, batch)
    assert sorted(batches) == [3, 5, 7]

    def weights(key):
        return mod._buckets[key]._exec_group.execs[0].arg_dict

    mod.forward(batches[3])
    mod.backward()
    mod.update()
    mod.forward(batches[5], is_train=False)  # binds bucket 5
    for name in ("lstm_i2h_weight", "lstm_h2h_bias", "pred_weight",
                 "embed_weight"):
        # The very arrays: nothing is copied at a switch.
        assert weights(3)[name] is weights(7)[name]
        assert weights(5)[name] is weights(7)[name]
    before = weights(5)["pred_weight"].asnumpy().copy()
    mod.forward(batches[3])
    mod.backward()
    mod.update()
    after = weights(5)["pred_weight"].asnumpy()
    assert np.abs(after - before).max() > 1e-4
    arg, _ = mod.get_params()
    np.testing.assert_array_equal(arg["pred_weight"].asnumpy(), after)
    # Bucket 5's outputs follow the update bucket 3 made.
    mod.forward(batches[5], is_train=False)
    out = mod.get_outputs()[0].asnumpy()
    assert out.shape == (4 * 5, 10)
    # Switching back reuses the bucket's module, executor and programs.
    module5 = mod._buckets[5]
    exe5 = module5._exec_group.execs[0]
    programs = dict(exe5._forward_programs)
    assert programs
    mod.forward(batches[7], is_train=False)
    mod.forward(batches[5], is_train=False)
    assert mod._buckets[5] is module5
    assert module5._exec_group.execs[0] is exe5
    for key, program in programs.items():
        assert exe5._forward_programs[key] is program
    # One updater for all buckets: bucket 5 borrowed it.
    assert module5._updater is mod._buckets[7]._updater
    assert mod._curr_bucket_key == 5 and mod.symbol is module5.symbol
    # set_params through bucket 5 reaches the arrays of bucket 7.
    mod.set_params({"pred_bias": mx.nd.ones((10,))}, {}, allow_missing=True)
    np.testing.assert_array_equal(weights(7)["pred_bias"].asnumpy(),
                                  np.ones(10))
    np.testing.assert_array_equal(
        mod.get_params()[0]["pred_bias"].asnumpy(), np.ones(10))
    with pytest.raises(RuntimeError, match="embed_weight is not presented"):
        mod.set_params({"pred_bias": mx.nd.ones((10,))}, {})


@requires_oracle
def test_bucketing_checkpoints_round_trip_and_cross(tmp_path):
    flat, lengths = _corpus()
    prefix = str(tmp_path / "lm")
    code = LM + """
it = make_iter()
mod = mx.mod.BucketingModule(lm_sym_gen, default_bucket_key=7)
mod.fit(it, num_epoch=1, arg_params=initial_params(), aux_params={},
        optimizer="sgd", optimizer_params={"learning_rate": 0.5})
mod.save_checkpoint(str(inputs["prefix"]), 1)
record_params(mod, "saved")
"""
    scope = {"mx": mx, "np": np, "outputs": {},
             "inputs": {"flat": flat, "lengths": lengths,
                        "prefix": np.array(prefix)}}
    exec(code, scope)  # noqa: S102
    files = sorted(os.listdir(str(tmp_path)))
    assert files == ["lm-0001.params", "lm-3-symbol.json",
                     "lm-5-symbol.json", "lm-7-symbol.json", "lm.buckets"]
    reload = LM + """
prefix = str(inputs["prefix"])
it = make_iter(seed=1)
mod = mx.mod.BucketingModule.load(prefix, 1, sym_gen=lm_sym_gen,
                                  default_bucket_key=7)
outputs["loaded_buckets"] = np.array(sorted(mod._buckets))
mod.bind(it.provide_data, it.provide_label, for_training=False)
record_params(mod, "loaded")
seen = set()
for batch in it:
    if batch.bucket_key in seen:
        continue
    seen.add(batch.bucket_key)
    mod.forward(batch, is_train=False)
    outputs["out/%d" % batch.bucket_key] = mod.get_outputs()[0].asnumpy()
"""
    # kiln reads its own files; MXNet reads kiln's, with the same results.
    got, want = run_both(reload, mx, flat=flat, lengths=lengths,
                         prefix=np.array(prefix))
    compare_outputs(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got["loaded_buckets"], [3, 5, 7])
    for name, value in scope["outputs"].items():
        np.testing.assert_array_equal(
            got[name.replace("saved/", "loaded/")], value)
    # And kiln reads MXNet's files: the parameters MXNet saved, and its
    # outputs after loading them.
    mx_prefix = str(tmp_path / "mxlm")
    saved = run_mxnet(code, flat=flat, lengths=lengths,
                      prefix=np.array(mx_prefix))
    scope = {"mx": mx, "np": np, "outputs": {},
             "inputs": {"flat": flat, "lengths": lengths,
                        "prefix": np.array(mx_prefix)}}
    exec(reload, scope)  # noqa: S102
    for name, value in saved.items():
        np.testing.assert_array_equal(
            scope["outputs"][name.replace("saved/", "loaded/")], value)


# A feature extractor and a classifier, chained; parameters drawn with
# numpy and given to fit.
SEQ = """
S = mx.sym
x, y = inputs["x"], inputs["y"]
train = mx.io.NDArrayIter(x, y, batch_size=8)

def feature_module():
    net = S.Activation(S.FullyConnected(S.var("data"), num_hidden=10,
                                        name="fc1"), act_type="tanh")
    return mx.mod.Module(net, label_names=None)

def classifier_module():
    net = S.SoftmaxOutput(S.FullyConnected(S.var("features"), num_hidden=3,
                                           name="fc2"), name="softmax")
    return mx.mod.Module(net, data_names=["features"])

def initial(shapes, seed=5):
    rng = np.random.RandomState(seed)
    return {name: mx.nd.array(rng.uniform(-0.5, 0.5, shape)
                              .astype(np.float32))
            for name, shape in sorted(shapes.items())}

PARAMS = initial({"fc1_weight": (10, 12), "fc1_bias": (10,),
                  "fc2_weight": (3, 10), "fc2_bias": (3,)})

def record(mod, tag):
    arg, aux = mod.get_params()
    for name, value in sorted(arg.items()):
        outputs[tag + "/" + name] = value.asnumpy()

def softmax_ce_grad(scores, labels):
    p = mx.nd.softmax(scores)
    return p - mx.nd.one_hot(labels, 3)
"""


def _blobs(count=40, features=12, seed=0):
    """Three separable classes (float32 data, float32 labels 0..2)."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 3, count)
    data = rng.randn(count, features).astype(np.float32) * 0.5
    for k in range(3):
        data[labels == k, k * 4:(k + 1) * 4] += 2.0
    return data, labels.astype(np.float32)


@requires_oracle
def test_sequential_modules_match_mxnet():
    x, y = _blobs()
    code = SEQ + """
seq = mx.mod.SequentialModule()
seq.add(feature_module()).add(classifier_module(), take_labels=True,
                              auto_wiring=True)
seq.fit(train, num_epoch=2, arg_params=PARAMS, aux_params={},
        optimizer="sgd", optimizer_params={"learning_rate": 0.2,
                                           "momentum": 0.9})
record(seq, "seq")
outputs["seq_predict"] = seq.predict(train).asnumpy()
outputs["seq_score"] = np.array([v for _, v in seq.score(train, "acc")])
outputs["seq_shapes"] = np.array([seq.data_shapes[0][1],
                                  seq.output_shapes[0][1]])
outputs["seq_label_shape"] = np.array(seq.label_shapes[0][1])

# A Module without a loss, then the loss in Python.
train.reset()
pyseq = mx.mod.SequentialModule()
pyseq.add(mx.mod.Module(S.FullyConnected(S.var("data"), num_hidden=3,
                                         name="fc2"), label_names=None))
loss = mx.mod.PythonLossModule(grad_func=softmax_ce_grad)
pyseq.add(loss, take_labels=True, auto_wiring=True)
pyseq.fit(train, num_epoch=2, optimizer="sgd",
          arg_params={"fc2_weight": initial({"w": (3, 12)})["w"],
                      "fc2_bias": initial({"b": (3,)})["b"]},
          aux_params={}, optimizer_params={"learning_rate": 0.1})
record(pyseq, "pyloss")
outputs["pyloss_score"] = np.array([v for _, v in
                                    pyseq.score(train, "acc")])
outputs["pyloss_output_names"] = np.array(pyseq.output_names)
train.reset()
batch = next(train)
pyseq.forward(batch, is_train=True)
pyseq.backward()
outputs["pyloss_out"] = pyseq.get_outputs()[0].asnumpy()
outputs["pyloss_grad"] = loss.get_input_grads()[0].asnumpy()
"""
    got, want = run_both(code, mx, x=x, y=y)
    assert got.pop("pyloss_output_names").tolist() == \
        want.pop("pyloss_output_names").tolist() == ["pyloss_output"]
    compare_outputs(got, want, rtol=1e-4, atol=1e-5)
    assert got["seq_score"][0] > 0.8 and got["pyloss_score"][0] > 0.8


def test_sequential_chains_and_checks():
    x, y = _blobs()
    scope = {"mx": mx, "np": np, "outputs": {}, "inputs": {"x": x, "y": y}}
    exec(SEQ, scope)  # noqa: S102
    seq = mx.mod.SequentialModule()
    assert seq.data_names == [] and seq.output_names == []
    first = scope["feature_module"]()
    assert seq.add(first) is seq
    seq.add(scope["classifier_module"](), take_labels=True, auto_wiring=True)
    train = scope["train"]
    seq.bind(train.provide_data, train.provide_label, inputs_need_grad=True)
    seq.init_params(arg_params=scope["PARAMS"], aux_params={})
    seq.forward(next(iter(train)), is_train=True)
    seq.backward()
    # The chain's input gradients are the first module's.
    grads = seq.get_input_grads()[0]
    assert grads.shape == (8, 12)
    np.testing.assert_array_equal(grads.asnumpy(),
                                  first.get_input_grads()[0].asnumpy())
    assert seq.data_names == ["data"] and seq.output_names == [
        "softmax_output"]
    # Modules added without take_labels get none.
    assert first.label_shapes is None
    metric = mx.metric.Accuracy()
    seq.update_metric(metric, next(iter(train)).label)
    assert metric.num_inst == 8
    with pytest.raises(NotImplementedError):
        mx.mod.PythonLossModule().install_monitor(None)


# Bad input: (name, expression, class, kiln's message). The prelude runs
# under both frameworks; MXNet must raise the same class.
BAD_PRELUDE = """
S = mx.sym

def sym_gen(key):
    hidden = {3: 4, 5: 4, 7: 5}[key]   # bucket 7's fc differs; 9 unknown
    data = S.var("data")
    fc = S.FullyConnected(S.sum(data, axis=1), num_hidden=hidden, name="fc")
    net = S.SoftmaxOutput(S.FullyConnected(fc, num_hidden=3, name="out"),
                          name="softmax")
    return net, ("data",), ("softmax_label",)

def batch(key, shape, provided=None):
    return mx.io.DataBatch(
        [mx.nd.ones(shape)], [mx.nd.zeros((shape[0],))], bucket_key=key,
        provide_data=[mx.io.DataDesc("data", provided or shape)],
        provide_label=[mx.io.DataDesc("softmax_label", (shape[0],))])

mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=3)
fresh = lambda: mx.mod.BucketingModule(sym_gen, default_bucket_key=3)
mod.bind([("data", (2, 3, 3))], [("softmax_label", (2,))])
mod.init_params()
mod.init_optimizer()
mod.forward(batch(5, (2, 5, 3)))
loss = mx.mod.PythonLossModule()
loss.bind([("data", (2, 3))], [("softmax_label", (2,))])
dup = mx.mod.SequentialModule()
dup.add(mx.mod.Module(S.FullyConnected(S.var("data"), num_hidden=3,
                                       name="fc"), label_names=None))
dup.add(mx.mod.Module(S.FullyConnected(S.var("data"), num_hidden=3,
                                       name="fc"), label_names=None),
        auto_wiring=True)
dup.bind([("data", (2, 3))])
"""

BAD_CASES = [
    ("unknown_bucket_key", "mod.forward(batch(9, (2, 9, 3)))", KeyError,
     "9"),
    ("shared_shape_differs", "mod.forward(batch(7, (2, 7, 3)))",
     RuntimeError, r"\(\[5,3\] vs. \[4,3\]\) : Inferred shape does not "
     "match shared_exec.arg_array's shape.*fc_weight"),
    ("data_differs_from_provide_data",
     "mod.forward(batch(3, (2, 4, 3), provided=(2, 3, 3)))", MXNetError,
     r"\(2, 4, 3\)"),
    ("bad_data_name", "fresh().bind([('x', (2, 3, 3))])", ValueError,
     "don't match names specified by data_names"),
    ("no_default_bucket_key", "mx.mod.BucketingModule(sym_gen)",
     AssertionError, ""),
    ("switch_before_bind", "fresh().switch_bucket(5, [('data', (2, 5, 3))])",
     AssertionError, "call bind before switching bucket"),
    ("save_empty", "fresh().save_checkpoint('unused', 0)", AssertionError,
     "Empty BucketingModule cannot be saved"),
    ("shared_module", "mod.bind([('data', (2, 3, 3))], force_rebind=True, "
     "shared_module=mod)", AssertionError, "shared_module for "
     "BucketingModule is not supported"),
    ("load_without_sym_gen", "mx.mod.BucketingModule.load('unused', 0)",
     AssertionError, "sym_gen is required"),
    ("init_optimizer_unbound", "fresh().init_optimizer()", AssertionError,
     ""),
    ("empty_sequential", "mx.mod.SequentialModule().bind([('data', (2,))])",
     AssertionError, "empty SequentialModule"),
    ("unknown_meta", "mx.mod.SequentialModule().add(loss, take_label=True)",
     AssertionError, 'Unknown meta "take_label"'),
    ("duplicated_parameters", "dup.init_params()", AssertionError,
     'Duplicated parameter names: name "fc_weight" in layer 1'),
    ("loss_with_out_grads", "loss.backward(out_grads=[mx.nd.ones((2, 3))])",
     AssertionError, "out_grads should be None"),
    ("loss_without_grad_func", "loss.backward()", NotImplementedError, ""),
    ("python_module_bad_names",
     "mx.mod.PythonLossModule().bind([('x', (2, 3))])", AssertionError, ""),
    ("python_module_grad_req_add",
     "mx.mod.PythonLossModule().bind([('data', (2, 3))], grad_req='add')",
     AssertionError, "only support write gradient"),
    ("presliced_labels",
     "loss.update_metric(mx.metric.Accuracy(), [[mx.nd.zeros((2,))]], "
     "pre_sliced=True)", RuntimeError, "presliced"),
]


@pytest.mark.parametrize("name,expression,error,message", BAD_CASES,
                         ids=[case[0] for case in BAD_CASES])
def test_bad_input_raises(name, expression, error, message):
    scope = {"mx": mx, "np": np}
    exec(BAD_PRELUDE, scope)  # noqa: S102
    with pytest.raises(error, match=message):
        eval(expression, scope)  # noqa: S307
        mx.nd.waitall()


@requires_oracle
def test_mxnet_raises_the_same_classes():
    # MXNet's own errors where kiln raises MXNetError (a RuntimeError).
    assert_mxnet_error_classes(BAD_PRELUDE, BAD_CASES)


def test_names_resolve_as_mxnet_lays_them_out():
    import importlib
    for name, cls in (("bucketing_module", "BucketingModule"),
                      ("sequential_module", "SequentialModule"),
                      ("python_module", "PythonModule"),
                      ("python_module", "PythonLossModule")):
        alias = importlib.import_module("mxnet.module." + name)
        assert alias is importlib.import_module("kiln.module." + name)
        assert getattr(alias, cls) is getattr(mx.mod, cls)
        assert cls in mx.mod.__all__
