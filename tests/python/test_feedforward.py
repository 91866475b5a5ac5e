"""mx.model.FeedForward (kiln/_feedforward.py) against MXNet 1.9.1: training
to accuracy, predict/score on given parameters, checkpoints both ways, and
bad input."""
import os
import re
import warnings

import numpy as np
import pytest

import kiln as mx
import kiln.model  # noqa: F401
from kiln._feedforward import FeedForward
from mxnet_oracle import assert_mxnet_error_classes, requires_oracle, run_mxnet

_NET = """
def mlp():
    data = mx.sym.Variable("data")
    h = mx.sym.FullyConnected(data, num_hidden=16, name="fc1")
    h = mx.sym.Activation(h, act_type="relu", name="relu1")
    h = mx.sym.BatchNorm(h, name="bn1")
    h = mx.sym.FullyConnected(h, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(h, name="softmax")
"""


def _mlp():
    scope = {"mx": mx}
    exec(_NET, scope)
    return scope["mlp"]()


def _problem(n=240, seed=0):
    rng = np.random.RandomState(seed)
    centres = np.array([[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]], np.float32)
    y = rng.randint(0, 3, n)
    X = (centres[y] + rng.randn(n, 4) * 0.5).astype(np.float32)
    return X, y.astype(np.float32)


def _params(seed=1):
    rng = np.random.RandomState(seed)
    return {
        "arg": {"fc1_weight": rng.randn(16, 4), "fc1_bias": rng.randn(16),
                "bn1_gamma": rng.rand(16) + 0.5, "bn1_beta": rng.randn(16),
                "fc2_weight": rng.randn(3, 16), "fc2_bias": rng.randn(3)},
        "aux": {"bn1_moving_mean": rng.randn(16), "bn1_moving_var": rng.rand(16) + 0.5},
    }


def _inputs():
    X, y = _problem(23, seed=3)
    arrays = {"X": X, "y": y}
    for kind, values in _params().items():
        for name, value in values.items():
            arrays["%s:%s" % (kind, name)] = value.astype(np.float32)
    return arrays


# Runs under kiln (FF = kiln's FeedForward) and MXNet (mx.model.FeedForward).
_PREDICT = _NET + """
arg = {k[4:]: mx.nd.array(v) for k, v in inputs.items() if k.startswith("arg:")}
aux = {k[4:]: mx.nd.array(v) for k, v in inputs.items() if k.startswith("aux:")}
model = FF(mlp(), arg_params=arg, aux_params=aux, numpy_batch_size=7)
outputs["predict"] = model.predict(inputs["X"])
out, data, label = model.predict(inputs["X"], return_data=True, num_batch=2)
outputs["predict2"], outputs["data2"], outputs["label2"] = out, data, label
it = mx.io.NDArrayIter(inputs["X"], inputs["y"], batch_size=5)
outputs["score"] = np.array(model.score(it))
outputs["score_ce"] = np.array(model.score(it, eval_metric="ce", num_batch=3))
model.save(PREFIX, 3)
"""


def _run_kiln(code, inputs, **names):
    scope = {"mx": mx, "np": np, "FF": FeedForward, "inputs": inputs, "outputs": {}}
    scope.update(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        exec(code, scope)
    return scope["outputs"]


@requires_oracle
def test_predict_score_and_checkpoints_match_mxnet(tmp_path):
    inputs = _inputs()
    mx_prefix, kiln_prefix = str(tmp_path / "mx"), str(tmp_path / "kiln")
    got = _run_kiln(_PREDICT, inputs, PREFIX=kiln_prefix)
    want = run_mxnet("FF = mx.model.FeedForward\nPREFIX = %r\n" % mx_prefix + _PREDICT
                     + """
loaded = FF.load(%r, 3)   # the checkpoint kiln wrote
outputs["reloaded"] = loaded.predict(inputs["X"])
outputs["begin"] = np.array(loaded.begin_epoch)
""" % kiln_prefix, **inputs)
    for key in ("predict", "predict2", "data2", "label2"):
        assert got[key].shape == want[key].shape, key
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert got["predict"].shape == (23, 3) and got["predict2"].shape == (14, 3)
    np.testing.assert_allclose(got["score"], want["score"], rtol=1e-6)
    np.testing.assert_allclose(got["score_ce"], want["score_ce"], rtol=1e-5)
    np.testing.assert_allclose(want["reloaded"], want["predict"], rtol=1e-5, atol=1e-6)
    assert int(want["begin"]) == 3
    # kiln loads the checkpoint MXNet wrote
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        loaded = FeedForward.load(mx_prefix, 3)
    assert loaded.begin_epoch == 3
    assert sorted(loaded.arg_params) == sorted(_params()["arg"])
    assert sorted(loaded.aux_params) == sorted(_params()["aux"])
    np.testing.assert_allclose(loaded.predict(inputs["X"]), want["predict"],
                               rtol=1e-5, atol=1e-6)


# Runs under kiln and MXNet: fit on fixed parameters and unshuffled data,
# capturing every log line (root logger, which the `logger` argument's
# logger propagates to) and what each callback receives.
_FIT = """
import io as _io, logging, warnings
warnings.simplefilter("ignore")
_stream = _io.StringIO()
_handler = logging.StreamHandler(_stream)
_handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
_root = logging.getLogger()
_old_level = _root.level
_root.addHandler(_handler)
_root.setLevel(logging.INFO)
X, y = inputs["X"], inputs["y"]
data = mx.sym.Variable("data")
net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=2, name="fc"),
                           name="softmax")
seen = []
def named(param):
    return [(k, round(float(v), 6)) for k, v in param.eval_metric.get_name_value()]
def on_batch(p): seen.append(("batch", p.epoch, p.nbatch, named(p)))
def on_eval_batch(p): seen.append(("eval_batch", p.epoch, p.nbatch, named(p)))
def on_eval_end(p): seen.append(("eval_end", p.epoch, p.nbatch, named(p)))
def on_epoch(epoch, sym, arg, aux):
    seen.append(("epoch", epoch, sym is model.symbol, arg is model.arg_params,
                 aux is model.aux_params, sorted(arg),
                 round(float(arg["fc_weight"].asnumpy()[0].sum()), 4)))
def train(**kwargs):
    return mx.io.NDArrayIter(X, y, batch_size=10)
def evals():
    return mx.io.NDArrayIter(X[:20], y[:20], batch_size=10)
def make(**kwargs):
    arg = {"fc_weight": mx.nd.array(inputs["w"]), "fc_bias": mx.nd.zeros(2)}
    return FF(net, arg_params=arg, learning_rate=0.5, momentum=0.5, **kwargs)
for case, kwargs, fit_kwargs in [
        ("plain", dict(num_epoch=2),
         dict(eval_data=evals(), epoch_end_callback=on_epoch,
              batch_end_callback=[on_batch, mx.callback.Speedometer(10, 2)],
              eval_batch_end_callback=on_eval_batch)),
        ("short_epochs", dict(num_epoch=3, epoch_size=4),
         dict(eval_data=evals(), batch_end_callback=on_batch,
              eval_end_callback=on_eval_end, eval_batch_end_callback=[on_eval_batch])),
        ("whole_epochs", dict(num_epoch=2, epoch_size=6, numpy_batch_size=10),
         dict(batch_end_callback=on_batch, logger=logging.getLogger("ff"),
              eval_data=(X[:20], y[:20]))),
        ("long_epochs", dict(num_epoch=4, epoch_size=9, begin_epoch=2),
         dict(batch_end_callback=mx.callback.Speedometer(10, 4), eval_metric="ce",
              epoch_end_callback=[on_epoch], kvstore=None, work_load_list=[3])),
        ("monitored", dict(num_epoch=1),
         dict(monitor=mx.mon.Monitor(2, pattern="fc_bias.*"))),
        ("none", dict(num_epoch=1, begin_epoch=1), dict(epoch_end_callback=on_epoch))]:
    seen.append(("case", case))
    model = make(**kwargs)
    model.fit(train(), **fit_kwargs)
    outputs[case + ":weight"] = model.arg_params["fc_weight"].asnumpy()
    outputs[case + ":kwargs"] = np.array(repr(sorted(model.kwargs)))
_root.removeHandler(_handler)
_root.setLevel(_old_level)
outputs["log"] = np.array(_stream.getvalue())
outputs["seen"] = np.array(repr(seen))
"""


_MONITORED = r"(Batch: +\d+ fc_bias +)(\S+)"


def _masked(log):
    """The log text with times, speeds and Monitor's statistics (compared
    with a tolerance instead) masked."""
    log = re.sub(r"Time cost=[0-9.]+", "Time cost=T", log)
    log = re.sub(_MONITORED, r"\1V", log)
    return re.sub(r"Speed: \S+ samples/sec", "Speed: S samples/sec", log)


@requires_oracle
def test_fit_logs_and_callbacks_match_mxnet():
    rng = np.random.RandomState(4)
    X = rng.randn(60, 4).astype(np.float32)
    inputs = {"X": X, "y": (X[:, 0] + X[:, 1] > 0).astype(np.float32),
              "w": (rng.randn(2, 4) * 0.1).astype(np.float32)}
    got = _run_kiln(_FIT, inputs)
    want = run_mxnet("FF = mx.model.FeedForward\n" + _FIT, **inputs)
    got_log, want_log = _masked(str(got["log"])), _masked(str(want["log"]))
    assert got_log.splitlines() == want_log.splitlines()
    assert str(got["seen"]) == str(want["seen"])
    # the lines the new-user trial found different, by name
    assert "INFO:root:Start training with [cpu(0)]" in got_log
    assert "INFO:root:Epoch[0] Batch [2-4]\tSpeed: S samples/sec\taccuracy=" in got_log
    assert got_log.count("Epoch[0] Validation-accuracy=") == 2  # once per fit logging it
    assert "Train-" not in got_log
    assert "INFO:ff:Epoch[1] Resetting Data Iterator" in got_log
    assert "INFO:root:Batch:       3 fc_bias                        V\t" in got_log
    monitored = [[float(v) for _, v in re.findall(_MONITORED, str(log))]
                 for log in (got["log"], want["log"])]
    assert len(monitored[0]) == 3
    np.testing.assert_allclose(monitored[0], monitored[1], rtol=1e-5)
    for key in want:
        if key.endswith(":weight"):
            np.testing.assert_allclose(got[key], want[key], rtol=1e-4, atol=1e-5,
                                       err_msg=key)
        elif key.endswith(":kwargs"):
            assert str(got[key]) == str(want[key]), key


def test_fit_reaches_accuracy_and_round_trips(tmp_path):
    X, y = _problem()
    epochs = []
    with pytest.warns(DeprecationWarning, match="FeedForward has been deprecated"):
        model = FeedForward(_mlp(), num_epoch=8, numpy_batch_size=20,
                            learning_rate=0.1, momentum=0.9,
                            initializer=mx.init.Xavier())
    model.fit(X, y, eval_data=(X[:60], y[:60]),
              epoch_end_callback=lambda epoch, sym, arg, aux: epochs.append(epoch))
    assert epochs == list(range(8))
    Xt, yt = _problem(90, seed=5)
    assert model.score(mx.io.NDArrayIter(Xt, yt, batch_size=30)) > 0.9
    prob = model.predict(Xt)
    assert prob.shape == (90, 3) and prob.dtype == np.float32
    np.testing.assert_allclose(prob.sum(1), 1, rtol=1e-5)
    model.save(str(tmp_path / "ff"))
    assert os.path.isfile(str(tmp_path / "ff-0008.params"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        again = FeedForward.load(str(tmp_path / "ff"), 8)
    np.testing.assert_allclose(again.predict(Xt), prob, rtol=1e-5, atol=1e-6)
    # fit goes on from a loaded model's epoch, with epoch_size batches each
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        more = FeedForward.load(str(tmp_path / "ff"), 8, num_epoch=10, epoch_size=3,
                                learning_rate=0.01)
    more.fit(X, y, batch_end_callback=lambda p: seen.append((p.epoch, p.nbatch)))
    assert seen == [(e, b) for e in (8, 9) for b in (1, 2, 3)]  # as MXNet: from 1
    assert more.score(mx.io.NDArrayIter(Xt, yt, batch_size=30)) > 0.9


def test_mx_model_has_it():
    assert mx.model.FeedForward is FeedForward
    assert "FeedForward" in mx.model.__all__


def test_create_trains_a_model():
    X, y = _problem(120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = FeedForward.create(_mlp(), X, y, num_epoch=6, numpy_batch_size=20,
                                   learning_rate=0.1, momentum=0.9)
    assert model.num_epoch == 6 and "fc1_weight" in model.arg_params
    assert model.score(mx.io.NDArrayIter(X, y, batch_size=20)) > 0.85


_BAD_PRELUDE = _NET + """
import warnings
warnings.simplefilter("ignore")
X = np.ones((6, 4), np.float32)
model = FF(mlp(), num_epoch=1)
def dup():
    data = mx.sym.Variable("data")
    a = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    return mx.sym.FullyConnected(a, num_hidden=2, name="fc")
"""
_BAD = [
    ("no_y", "model.fit(X)", ValueError, "y must be specified"),
    ("y_type", "model.fit(X, [0] * 6)", TypeError, "y must be ndarray"),
    ("y_length", "model.fit(X, np.zeros(5))", ValueError, "not equal"),
    ("y_2d", "model.fit(X, np.zeros((6, 2)))", ValueError, "Label must be 1D"),
    ("x_type", "model.fit([[0] * 4] * 6, np.zeros(6))", TypeError, "X must be DataIter"),
    ("eval_type", "model.fit(X, np.zeros(6), eval_data=3)", TypeError, "Eval data must be"),
    ("eval_none", "model.fit(X, np.zeros(6), eval_data=(None, None))", ValueError,
     "Eval data is NONE"),
    ("dup", "FF(dup())", ValueError, "duplicated argument name"),
    ("work_load", "model.fit(X, np.zeros(6), work_load_list=[1, 2])", AssertionError,
     "Invalid settings for work load"),
    ("work_load_tuple", "model.fit(X, np.zeros(6), work_load_list=(1,))", AssertionError,
     "Invalid settings for work load"),
]


@pytest.mark.parametrize("name,expression,error,message", _BAD, ids=[c[0] for c in _BAD])
def test_bad_input_raises(name, expression, error, message):
    scope = {"mx": mx, "np": np, "FF": FeedForward}
    exec(_BAD_PRELUDE, scope)
    with pytest.raises(error, match=message):
        eval(expression, scope)


@requires_oracle
def test_mxnet_raises_the_same_classes():
    assert_mxnet_error_classes("FF = mx.model.FeedForward\n" + _BAD_PRELUDE, _BAD)
