"""gluon.contrib against Apache MXNet 1.9.1.

The Estimator trains the same small Dense net from the same parameters on
the same batches under kiln and MXNet: the handlers' event sequence and
priority order, the metrics and losses each epoch, the log lines (times
masked), the trained weights, the checkpoint files (epoch and batch
periods, max_checkpoints, save_best, the symbol file, resuming) and early
stopping are MXNet's; so are the warnings and the errors for bad
arguments. contrib.nn's layers give MXNet's outputs, gradients and reprs,
imperatively and hybridized.
"""
import re
import warnings

import numpy as np
import pytest

import kiln as mx
import kiln.gluon.contrib  # noqa: F401 (attach it, as mx.gluon will)
from mxnet_oracle import (SNIPPET_HELPERS, assert_both_refuse, compare_outputs,
                          requires_oracle, run_both)

RNG = np.random.default_rng(14)
DATA = {
    "x": RNG.standard_normal((20, 4)).astype(np.float32),
    "w": (RNG.standard_normal((3, 4)) * 0.3).astype(np.float32),
    "b": np.zeros(3, np.float32),
}
DATA["y"] = np.argmax(DATA["x"][:, :3] * [1, -1, 0.5], axis=1).astype(
    np.float32)

# Runs under either framework: the data, a net made from the given
# parameters, an estimator, and a recorder of every event.
SETUP = """
import logging, io, os, tempfile, warnings
gluon = mx.gluon
E = mx.gluon.contrib.estimator
dataset = gluon.data.ArrayDataset(inputs["x"], inputs["y"])
loader = gluon.data.DataLoader(dataset, batch_size=6)   # 6, 6, 6, 2
events = []

def make_net(hybridize=False):
    net = gluon.nn.Dense(3, in_units=4, prefix="dense_")
    net.initialize()
    net.weight.set_data(mx.nd.array(inputs["w"]))
    net.bias.set_data(mx.nd.array(inputs["b"]))
    if hybridize:
        net.hybridize()
    return net

def make_estimator(net=None, metrics=None, lr=0.5):
    net = net or make_net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})
    est = E.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(),
                      train_metrics=metrics, trainer=trainer)
    log = io.StringIO()
    est.logger.addHandler(logging.StreamHandler(log))
    return est, log

class Recorder(E.TrainBegin, E.TrainEnd, E.EpochBegin, E.EpochEnd,
               E.BatchBegin, E.BatchEnd):
    def __init__(self, tag, priority=0, metrics=()):
        self.tag, self.priority, self.watched = tag, priority, list(metrics)
    def note(self, event, est):
        values = ["%s=%.5f" % m.get() for m in self.watched]
        events.append(" ".join([self.tag, event] + values))
    def train_begin(self, est, *args, **kwargs):
        self.note("train_begin", est)
    def train_end(self, est, *args, **kwargs):
        self.note("train_end", est)
    def epoch_begin(self, est, *args, **kwargs):
        self.note("epoch_begin", est)
    def epoch_end(self, est, *args, **kwargs):
        self.note("epoch_end", est)
    def batch_begin(self, est, *args, **kwargs):
        self.note("batch_begin %d" % kwargs["batch"][0].shape[0], est)
    def batch_end(self, est, *args, **kwargs):
        self.note("batch_end %s" % sorted(kwargs), est)

def text(name, value):
    outputs[name] = np.array(value)
"""

FIT = SETUP + """
# fit by epochs with validation: handlers given out of priority order.
est, log = make_estimator()
handlers = [Recorder("late", 5, est.train_metrics),
            Recorder("early", -1500, est.train_metrics + est.val_metrics)]
est.fit(loader, val_data=loader, epochs=2, event_handlers=handlers)
text("fit/order", " ".join("%s:%s" % (type(h).__name__,
                                      getattr(h, "priority", None))
                           for h in handlers))
text("fit/events", "\\n".join(events))
text("fit/log", log.getvalue())
outputs["fit/weight"] = est.net.weight.data().asnumpy()
outputs["fit/metrics"] = np.array([m.get()[1] for m in est.train_metrics +
                                   est.val_metrics], np.float32)
text("fit/names", "|".join(m.name for m in est.train_metrics + est.val_metrics))

# fit by batches with batch logging; stops mid-epoch of the second epoch.
del events[:]
est, log = make_estimator(metrics=[mx.metric.Accuracy(), mx.metric.Loss()])
handlers = [Recorder("r"),
            E.LoggingHandler(log_interval=2, metrics=est.train_metrics)]
est.fit(loader, batches=6, event_handlers=handlers)
text("batches/events", "\\n".join(events))
text("batches/log", log.getvalue())
text("batches/names", "|".join(m.name for m in est.train_metrics + est.val_metrics))

# evaluate alone, with a recorder.
del events[:]
est.evaluate(loader, event_handlers=[Recorder("v", 0, est.val_metrics)])
text("evaluate/events", "\\n".join(events))
text("evaluate/log", log.getvalue())

# validation every 2 batches and never at epoch end, the default logger.
del events[:]
est, log = make_estimator()
handlers = [Recorder("r"),
            E.ValidationHandler(loader, est.evaluate, epoch_period=None,
                                batch_period=2,
                                event_handlers=[Recorder("val")])]
est.fit(loader, epochs=1, event_handlers=handlers)
text("validation/events", "\\n".join(events))
text("validation/log", log.getvalue())

# early stopping on the training loss (mode 'min') with patience.
est, log = make_estimator(lr=1.0)
loss_metric = est.train_metrics[1]
stopper = E.EarlyStoppingHandler(loss_metric, mode="min", patience=2,
                                 min_delta=0.05)
est.fit(loader, epochs=12, event_handlers=[stopper])
outputs["early/stopped"] = np.array([stopper.stopped_epoch, stopper.wait,
                                     stopper.current_epoch])
outputs["early/best"] = np.float32(stopper.best)
text("early/log", log.getvalue())

# the warnings each construction gives.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    net = make_net()
    E.Estimator(net, gluon.loss.L2Loss(), initializer=mx.init.Zero())
    E.CheckpointHandler(tempfile.mkdtemp(), monitor=loss_metric,
                        save_best=True)
    E.EarlyStoppingHandler(loss_metric, mode="biggest")
text("warnings", "\\n".join("%s: %s" % (w.category.__name__, w.message)
                            for w in caught))

# default metrics of a loss without a suggested metric.
net = make_net()
est = E.Estimator(net, gluon.loss.L2Loss(),
                  trainer=gluon.Trainer(net.collect_params(), "sgd"))
text("l2/names", "|".join(m.name for m in est.train_metrics + est.val_metrics))
"""

CHECKPOINT = SETUP + """
folder = tempfile.mkdtemp()

def listing():
    return " ".join(sorted(os.listdir(folder)))

# every epoch, keeping 2, with the best by validation accuracy, hybridized.
est, log = make_estimator(make_net(hybridize=True))
saver = E.CheckpointHandler(folder, model_prefix="m", monitor=est.val_metrics[1],
                            verbose=1, save_best=True, mode="min",
                            max_checkpoints=2)
est.fit(loader, val_data=loader, epochs=3, event_handlers=[saver])
text("epochs/files", listing())
text("epochs/log", log.getvalue())
outputs["epochs/best"] = np.float32(saver.best)
outputs["epochs/weight"] = est.net.weight.data().asnumpy()

# resumed: a fresh net loads m-epoch2batch11 and trains 2 more epochs.
est, log = make_estimator()
resumed = E.CheckpointHandler(folder, model_prefix="m", max_checkpoints=2,
                              resume_from_checkpoint=True)
est.fit(loader, epochs=5, event_handlers=[resumed])
text("resume/files", listing())
text("resume/log", log.getvalue())
outputs["resume/counts"] = np.array([resumed.trained_epoch,
                                     resumed.trained_batch, est.max_epoch])
outputs["resume/weight"] = est.net.weight.data().asnumpy()

# the same 5 epochs in one run end with the same weights.
est, log = make_estimator()
est.fit(loader, epochs=5)
outputs["straight/weight"] = est.net.weight.data().asnumpy()

# by batches: every 3 batches, not hybridized (no symbol file), then resumed.
folder = tempfile.mkdtemp()
est, log = make_estimator()
saver = E.CheckpointHandler(folder, epoch_period=None, batch_period=3)
est.fit(loader, batches=7, event_handlers=[saver])
text("batches/files", listing())
text("batches/log", log.getvalue())
est, log = make_estimator()
resumed = E.CheckpointHandler(folder, epoch_period=None, batch_period=3,
                              resume_from_checkpoint=True)
est.fit(loader, batches=10, event_handlers=[resumed])
text("batches_resume/files", listing())
text("batches_resume/log", log.getvalue())
"""


def _mask(log):
    """(text with times and numbers masked, the numbers) of a log."""
    log = re.sub(r"\d+\.\d{3}s\b", "T", log)
    log = re.sub(r"total \d+s", "total Ts", log)
    log = re.sub(r"(?<=\s)/\S+", "DIR", log)
    numbers = [float(n) for n in re.findall(r"-?\d+\.\d+", log)]
    return re.sub(r"-?\d+\.\d+", "#", log), numbers


def _compare_texts(got, expected):
    """Asserts kiln's string outputs (events, logs, names) equal MXNet's,
    numbers within 2e-4; returns the non-string outputs of both."""
    for key in sorted(expected):
        if expected[key].dtype.kind != "U":
            continue
        want, want_numbers = _mask(str(expected.pop(key)))
        have, have_numbers = _mask(str(got.pop(key)))
        assert have == want, "%s:\nkiln:\n%s\nMXNet:\n%s" % (key, have, want)
        np.testing.assert_allclose(have_numbers, want_numbers, atol=2e-4,
                                   err_msg=key)
    return got, expected


@requires_oracle
def test_fit_evaluate_and_early_stopping_match_mxnet():
    got, expected = _compare_texts(*run_both(FIT, mx, **DATA))
    compare_outputs(got, expected, rtol=1e-4, atol=1e-5)


@requires_oracle
def test_checkpoints_and_resume_match_mxnet():
    got, expected = _compare_texts(*run_both(CHECKPOINT, mx, **DATA))
    compare_outputs(got, expected, rtol=1e-4, atol=1e-5)
    # Resuming continues the training exactly.
    np.testing.assert_allclose(got["resume/weight"], got["straight/weight"],
                               rtol=1e-5, atol=1e-6)


def _run_here(code):
    scope = {"mx": mx, "np": np, "inputs": dict(DATA), "outputs": {}}
    exec(compile(code, "<snippet>", "exec"), scope)
    return scope


def test_fit_trains_and_orders_handlers():
    """Without the oracle: the loss falls, the defaults are added and
    sorted by priority, and every event reaches the recorders in order."""
    scope = _run_here(SETUP + """
est, log = make_estimator()
est.evaluate(loader)
first = [m.get()[1] for m in est.val_metrics]
log.seek(0)
log.truncate()
handlers = [Recorder("late", 5), Recorder("early", -1500)]
est.fit(loader, val_data=loader, epochs=3, event_handlers=handlers)
last = [m.get()[1] for m in est.val_metrics]
""")
    first, last = scope["first"], scope["last"]
    assert last[1] < first[1] - 0.1          # validation loss fell
    assert last[0] >= first[0]               # accuracy did not
    kinds = [type(h).__name__ for h in scope["handlers"]]
    assert kinds == ["GradientUpdateHandler", "Recorder", "MetricHandler",
                     "ValidationHandler", "StoppingHandler", "Recorder",
                     "LoggingHandler"]
    events = scope["events"]
    assert events[:3] == ["early train_begin", "late train_begin",
                          "early epoch_begin"]
    assert events[-1] == "late train_end"
    assert sum(e == "early batch_begin 2" for e in events) == 3
    log = scope["log"].getvalue().splitlines()
    assert log[0] == ("Training begin: using optimizer SGD with current "
                      "learning rate 0.5000 ")
    assert log[1] == "Train for 3 epochs."
    assert log[-1].startswith("Train finished using total ")


def test_checkpoint_files_and_best_without_oracle(tmp_path):
    scope = _run_here(SETUP + """
folder = %r
est, log = make_estimator(make_net(hybridize=True))
saver = E.CheckpointHandler(folder, monitor=est.train_metrics[0],
                            save_best=True, mode="max", max_checkpoints=2)
est.fit(loader, epochs=3, event_handlers=[saver])
""" % str(tmp_path))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["model-best.params", "model-best.states",
                     "model-epoch1batch8.params", "model-epoch1batch8.states",
                     "model-epoch2batch12.params",
                     "model-epoch2batch12.states", "model-symbol.json"]
    net = mx.gluon.nn.Dense(3, in_units=4, prefix="dense_")
    net.load_parameters(str(tmp_path / "model-epoch2batch12.params"))
    np.testing.assert_array_equal(net.weight.data().asnumpy(),
                                  scope["est"].net.weight.data().asnumpy())
    symbol = mx.sym.load(str(tmp_path / "model-symbol.json"))
    assert symbol.list_arguments() == ["data", "dense_weight", "dense_bias"]


def test_resume_at_the_end_refuses(tmp_path):
    scope = _run_here(SETUP + """
est, log = make_estimator()
est.fit(loader, epochs=2, event_handlers=[E.CheckpointHandler(%r)])
""" % str(tmp_path))
    handler = mx.gluon.contrib.estimator.CheckpointHandler(
        str(tmp_path), resume_from_checkpoint=True)
    with pytest.raises(ValueError, match="maximum number of epoch 2 reached"):
        scope["est"].fit(scope["loader"], epochs=2, event_handlers=[handler])
    wrong = mx.gluon.contrib.estimator.CheckpointHandler(
        str(tmp_path), batch_period=2, resume_from_checkpoint=True)
    with pytest.raises(AssertionError, match="same type of period"):
        scope["est"].fit(scope["loader"], epochs=3, event_handlers=[wrong])


def test_default_trainer_and_initialization_warn():
    E = mx.gluon.contrib.estimator
    net = mx.gluon.nn.Dense(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = E.Estimator(net, mx.gluon.loss.L1Loss())
    assert [str(w.message) for w in caught] == [
        "No trainer specified, default SGD optimizer with learning rate "
        "0.001 is used."]
    assert net.weight.list_ctx() == [mx.cpu()]   # deferred, initialized
    assert est.context == [mx.cpu()]
    assert type(est.trainer.optimizer).__name__ == "SGD"
    assert est.trainer.learning_rate == 0.001
    assert isinstance(est.batch_processor, E.BatchProcessor)
    assert est.logger.name == "Estimator" and est.logger.level == 20


def test_custom_batch_processor_is_used():
    scope = _run_here(SETUP + """
class Halving(E.BatchProcessor):
    calls = []
    def fit_batch(self, est, batch, batch_axis=0):
        self.calls.append(batch[0].shape[0])
        data, label, pred, loss = super(Halving, self).fit_batch(est, batch, batch_axis)
        return data, label, pred, [l * 0.5 for l in loss]

net = make_net()
est = E.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(),
                  trainer=gluon.Trainer(net.collect_params(), "sgd"),
                  batch_processor=Halving())
est.fit(loader, batches=5)
""")
    assert scope["Halving"].calls == [6, 6, 6, 2, 6]


# (name, expression, error, message) under kiln; MXNet refuses each too.
BAD_PRELUDE = """
E = mx.gluon.contrib.estimator
net = mx.gluon.nn.Dense(2, in_units=3)
net.initialize()
loss = mx.gluon.loss.L2Loss()
trainer = mx.gluon.Trainer(net.collect_params(), "sgd")
est = E.Estimator(net, loss, trainer=trainer)
data = mx.gluon.data.ArrayDataset(np.ones((4, 3), "float32"),
                                  np.ones((4, 2), "float32"))
loader = mx.gluon.data.DataLoader(data, batch_size=2)
"""
BAD_CASES = [
    ("loss_type", "E.Estimator(net, 'l2', trainer=trainer)", ValueError,
     "loss must be a Loss"),
    ("metric_name", "E.Estimator(net, loss, train_metrics='acc', "
     "trainer=trainer)", ValueError, "metrics must be a Metric"),
    ("metric_list", "E.Estimator(net, loss, val_metrics=[mx.metric.MAE(), 3], "
     "trainer=trainer)", ValueError, "metrics must be a Metric"),
    ("trainer_type", "E.Estimator(net, loss, trainer='sgd')", ValueError,
     "Trainer must be a Gluon Trainer"),
    ("context_type", "E.Estimator(net, loss, trainer=trainer, context='cpu')",
     ValueError, "context must be a Context"),
    ("context_gpu", "E.Estimator(net, loss, trainer=trainer, "
     "context=mx.gpu(0))", AssertionError, "gpu.0. is not available"),
    ("batch_processor", "E.Estimator(net, loss, trainer=trainer, "
     "batch_processor=object())", ValueError, "fit_batch.. and evaluate_batch"),
    ("fit_ndarray", "est.fit(mx.nd.ones((4, 3)), epochs=1)", ValueError,
     "only support input as Gluon DataLoader"),
    ("fit_no_length", "est.fit(loader)", ValueError,
     "exactly one type of iteration"),
    ("fit_both_lengths", "est.fit(loader, epochs=1, batches=1)", ValueError,
     "exactly one type of iteration"),
    ("fit_handler_type", "est.fit(loader, epochs=1, event_handlers=['log'])",
     ValueError, "handlers must be an EventHandler"),
    ("fit_unknown_metric", "est.fit(loader, epochs=1, event_handlers="
     "[E.LoggingHandler(metrics=[mx.metric.MAE()])])", ValueError,
     "LoggingHandler refers to a metric instance"),
    ("evaluate_list", "est.evaluate([1, 2])", ValueError,
     "only support input as Gluon DataLoader"),
    ("evaluate_unknown_metric", "est.evaluate(loader, event_handlers="
     "[E.MetricHandler(metrics=est.train_metrics)])", ValueError,
     "MetricHandler refers to a metric instance"),
    ("log_interval", "E.LoggingHandler(log_interval='batch')", ValueError,
     "log_interval must be either an integer or string 'epoch'"),
    ("save_best_no_monitor", "E.CheckpointHandler('/tmp', save_best=True)",
     ValueError, "provide one of the metric objects"),
    ("early_no_monitor", "E.EarlyStoppingHandler('loss')", ValueError,
     "provide one of the metric objects"),
    ("early_composite", "E.EarlyStoppingHandler(mx.metric.CompositeEvalMetric"
     "([mx.metric.MAE()]))", ValueError, "CompositeEvalMetric is not "
     "supported"),
    ("pixel_shuffle_length", "mx.gluon.contrib.nn.PixelShuffle2D((2, 2, 2))",
     AssertionError, "wrong length 3"),
    ("pixel_shuffle_factor", "mx.gluon.contrib.nn.PixelShuffle1D('two')",
     ValueError, "invalid literal"),
    ("pixel_shuffle_channels", "mx.gluon.contrib.nn.PixelShuffle2D(2)"
     "(mx.nd.ones((1, 6, 2, 2)))", mx.base.MXNetError, "reshape"),
    ("concurrent_shapes", "(lambda c: [c.add(mx.gluon.nn.Dense(2, in_units=3), "
     "mx.gluon.contrib.nn.Identity()), c.initialize(), "
     "c(mx.nd.ones((2, 3, 1)))][-1])(mx.gluon.contrib.nn.HybridConcurrent(axis=1))",
     mx.base.MXNetError, "concat"),
]


@pytest.mark.parametrize("name,expression,error,message", BAD_CASES,
                         ids=[case[0] for case in BAD_CASES])
def test_bad_input_raises(name, expression, error, message):
    scope = {"mx": mx, "np": np}
    exec(BAD_PRELUDE, scope)
    with pytest.raises(error, match=message):
        eval(expression, scope)


@requires_oracle
def test_mxnet_refuses_the_same_inputs():
    assert_both_refuse(mx, BAD_PRELUDE, [case[:2] for case in BAD_CASES])


def test_sparse_embedding_and_unbuilt_packages_say_so():
    with pytest.raises(mx.base.MXNetError,
                       match="SparseEmbedding .* row_sparse .* gluon.nn.Embedding"):
        mx.gluon.contrib.nn.SparseEmbedding(10, 4)
    with pytest.raises(ImportError, match="is not built"):
        __import__("kiln.gluon.contrib.data.text")
    assert mx.gluon.contrib.cnn.DeformableConvolution.__name__ == \
        "DeformableConvolution"
    import mxnet  # noqa: F401  (the alias resolves the same modules)
    import mxnet.gluon.contrib.estimator as aliased
    assert aliased is mx.gluon.contrib.estimator
    assert mx.gluon.contrib.nn.Identity is mx.gluon.nn.Identity
    assert mx.gluon.contrib.data.IntervalSampler is \
        mx.gluon.data.IntervalSampler
    assert list(mx.gluon.contrib.data.IntervalSampler(7, 3)) == \
        [0, 3, 6, 1, 4, 2, 5]


# contrib.nn layers from the given parameters, imperative and hybridized.
LAYERS = SNIPPET_HELPERS + """
cnn = mx.gluon.contrib.nn
nn = mx.gluon.nn

def dense_branches(container):
    with container.name_scope():
        container.add(nn.Dense(3, in_units=5, prefix="a_"),
                      nn.Dense(2, in_units=5, activation="tanh", prefix="b_"),
                      cnn.Identity())
    container.initialize()
    container[0].weight.set_data(mx.nd.array(inputs["wa"]))
    container[1].weight.set_data(mx.nd.array(inputs["wb"]))
    return container

for hybrid in (False, True):
    tag = "hybrid" if hybrid else "imperative"
    net = dense_branches(cnn.HybridConcurrent(axis=1, prefix="hc_"))
    if hybrid:
        net.hybridize()
    record("hc/" + tag, net, [inputs["x"]])
    params = net.collect_params()
    outputs["hc/%s/wgrad" % tag] = params["hc_a_weight"].grad().asnumpy()
    for name, factor, shape in [("ps1", 2, (2, 6, 3)),
                                ("ps2", (2, 3), (1, 12, 2, 3)),
                                ("ps3", (2, 1, 2), (1, 8, 2, 3, 2))]:
        layer = {"ps1": cnn.PixelShuffle1D, "ps2": cnn.PixelShuffle2D,
                 "ps3": cnn.PixelShuffle3D}[name](factor)
        if hybrid:
            layer.hybridize()
        data = np.arange(np.prod(shape), dtype="float32").reshape(shape)
        record("%s/%s" % (name, tag), layer, [data])
    bn = cnn.SyncBatchNorm(in_channels=3, num_devices=1, momentum=0.5)
    bn.initialize()
    if hybrid:
        bn.hybridize()
    record("sbn/" + tag, bn, [inputs["image"]])
    outputs["sbn/%s/mean" % tag] = bn.running_mean.data().asnumpy()
    outputs["sbn/%s/var" % tag] = bn.running_var.data().asnumpy()

net = dense_branches(cnn.Concurrent(axis=-1, prefix="c_"))
record("concurrent", net, [inputs["x"]])
outputs["repr/concurrent"] = np.array(repr(net))
outputs["repr/shuffle"] = np.array(" ".join(repr(l) for l in [
    cnn.PixelShuffle1D(3), cnn.PixelShuffle2D(2), cnn.PixelShuffle3D((1, 2, 3))]))
outputs["repr/sbn"] = np.array(repr(cnn.SyncBatchNorm(num_devices=2, prefix="sbn_")))
outputs["repr/identity"] = np.array(repr(cnn.Identity()))
"""


@requires_oracle
def test_contrib_nn_layers_match_mxnet():
    inputs = {"x": RNG.standard_normal((4, 5)).astype(np.float32),
              "wa": RNG.standard_normal((3, 5)).astype(np.float32),
              "wb": RNG.standard_normal((2, 5)).astype(np.float32),
              "image": RNG.standard_normal((4, 3, 2, 2)).astype(np.float32)}
    got, expected = run_both(LAYERS, mx, **inputs)
    for key in [k for k in expected if k.startswith("repr/")]:
        assert str(got.pop(key)) == str(expected.pop(key)), key
    compare_outputs(got, expected, rtol=1e-4, atol=1e-5)
    for name in ("hc", "ps1", "ps2", "ps3", "sbn"):
        for part in ("out0", "grad0"):
            np.testing.assert_allclose(
                got["%s/hybrid/%s" % (name, part)],
                got["%s/imperative/%s" % (name, part)], rtol=1e-5, atol=1e-6)


def test_pixel_shuffle_moves_channels_into_space():
    x = np.arange(2 * 12 * 2 * 3, dtype=np.float32).reshape(2, 12, 2, 3)
    got = mx.gluon.contrib.nn.PixelShuffle2D((2, 3))(mx.nd.array(x)).asnumpy()
    want = x.reshape(2, 2, 2, 3, 2, 3).transpose(0, 1, 4, 2, 5, 3).reshape(
        2, 2, 4, 9)
    np.testing.assert_array_equal(got, want)
    y = np.arange(24, dtype=np.float32).reshape(1, 8, 3)
    got = mx.gluon.contrib.nn.PixelShuffle1D(4)(mx.nd.array(y)).asnumpy()
    np.testing.assert_array_equal(got[0, 1, 4:8], y[0, 4:8, 1])


RNN = SNIPPET_HELPERS + """
crnn = mx.gluon.contrib.rnn
rs = np.random.RandomState(3)
CASES = [("Conv1DRNNCell", (2, 5), 3, 3, {}),
         ("Conv2DRNNCell", (2, 4, 4), (3, 1), 3, {"i2h_pad": (1, 0), "activation": "relu"}),
         ("Conv3DRNNCell", (1, 3, 3, 3), 1, 3, {"h2h_dilate": 2}),
         ("Conv1DLSTMCell", (2, 6), 3, 5, {"i2h_dilate": 2}),
         ("Conv2DLSTMCell", (2, 4, 4), 3, 3, {"i2h_pad": 1}),
         ("Conv3DLSTMCell", (1, 3, 3, 3), 3, 1, {"i2h_pad": 1}),
         ("Conv1DGRUCell", (2, 5), 3, 3, {"activation": "sigmoid"}),
         ("Conv2DGRUCell", (2, 4, 4), 3, 3, {}),
         ("Conv3DGRUCell", (1, 3, 3, 3), 2, 3, {})]
for name, shape, i2h, h2h, kwargs in CASES:
    data = rs.uniform(-1, 1, (2, 3) + shape).astype("float32")
    values = None
    for hybrid in (False, True):
        cell = getattr(crnn, name)(shape, 2, i2h, h2h, prefix="c_", **kwargs)
        cell.initialize()
        params = cell.collect_params()
        if values is None:
            values = [rs.uniform(-0.5, 0.5, params[k].shape).astype("float32")
                      for k in sorted(params.keys())]
        for k, value in zip(sorted(params.keys()), values):
            params[k].set_data(mx.nd.array(value))
        if hybrid:
            cell.hybridize()
        tag = "%s/%s" % (name, "hybrid" if hybrid else "imperative")
        def run(x):
            out, states = cell.unroll(3, x, layout="NTC", merge_outputs=True)
            return [out] + list(states)
        record(tag, run, [data])
        outputs[tag + "/i2h_grad"] = params["c_i2h_weight"].grad().asnumpy()
    outputs["repr/" + name] = np.array(repr(cell))
    outputs["state/" + name] = np.array(str(cell.state_info(4)))

# dynamic_unroll of an LSTMCell, with and without valid_length, both layouts.
cell = mx.gluon.rnn.LSTMCell(3, input_size=2, prefix="l_")
cell.initialize()
params = cell.collect_params()
for k in sorted(params.keys()):
    params[k].set_data(mx.nd.array(rs.uniform(-0.5, 0.5, params[k].shape)))
seq = mx.nd.array(rs.uniform(-1, 1, (4, 2, 2)))
begin = [mx.nd.array(rs.uniform(-1, 1, (2, 3))) for _ in range(2)]
unroll = crnn.rnn_cell.dynamic_unroll
out, states = unroll(cell, seq, begin, layout="TNC")
outputs["dyn/out"], outputs["dyn/h"] = out.asnumpy(), states[0].asnumpy()
out, states = unroll(cell, seq, begin, layout="TNC",
                     valid_length=mx.nd.array([2, 4]))
outputs["dyn_valid/out"], outputs["dyn_valid/c"] = out.asnumpy(), states[1].asnumpy()
out, states = unroll(cell, seq.swapaxes(0, 1), begin, layout="NTC",
                     valid_length=mx.nd.array([3, 1]))
outputs["dyn_ntc/out"], outputs["dyn_ntc/h"] = out.asnumpy(), states[0].asnumpy()
"""


@requires_oracle
def test_contrib_rnn_cells_match_mxnet():
    got, expected = run_both(RNN, mx)
    for key in [k for k in expected if k.startswith(("repr/", "state/"))]:
        assert str(got.pop(key)) == str(expected.pop(key)), key
    compare_outputs(got, expected, rtol=1e-4, atol=1e-5)
    for key in [k for k in got if "/imperative/" in k]:
        np.testing.assert_allclose(got[key.replace("imperative", "hybrid")],
                                   got[key], rtol=1e-5, atol=1e-6)


def test_contrib_rnn_names_and_bad_settings():
    crnn = mx.gluon.contrib.rnn
    import kiln.gluon.rnn as rnn
    assert crnn.LSTMPCell is rnn.LSTMPCell
    assert crnn.VariationalDropoutCell is rnn.VariationalDropoutCell
    assert crnn.Conv2DLSTMCell((3, 8, 8), 4, 3, 3).name.startswith("conv_lstm")
    with pytest.raises(AssertionError, match="Only support odd number, get "
                       "h2h_kernel= 2"):
        crnn.Conv2DRNNCell((3, 8, 8), 4, 3, 2)
    with pytest.raises(AssertionError, match="For 2D convolution, the "
                       "convolution settings can only be either int or "
                       "list/tuple of length 2"):
        crnn.Conv2DGRUCell((3, 8, 8), 4, (3, 3, 3), 3)
