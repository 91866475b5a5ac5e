"""mx.callback against MXNet 1.9.1: the log lines of Speedometer,
ProgressBar, log_train_metric and LogValidationMetricsCallback, character
for character on a fake clock; module_checkpoint's and do_checkpoint's
periods; BatchEndParam's fields."""
import logging
import re
import sys
import time
import types

import numpy as np
import pytest

import kiln as mx
import kiln.callback  # noqa: F401  (attaches mx.callback before __init__ does)
import kiln.metric  # noqa: F401
from mxnet_oracle import requires_oracle, run_both

# Drives each callback as Module.fit does (nbatch from 0, per epoch) on a
# clock that moves only when the snippet says, and collects what reaches
# the root logger. The same code runs under both frameworks.
LOGS = """
import json, logging, time

messages = []
class Collect(logging.Handler):
    def emit(self, record):
        messages.append("%s|%s" % (record.levelname, record.getMessage()))
root = logging.getLogger()
handler = Collect()
root.addHandler(handler)
old_level = root.level
root.setLevel(logging.INFO)
clock = [1000.0]
real_time = time.time
time.time = lambda: clock[0]

P = (mx.model.BatchEndParam if hasattr(mx, "model") and
     hasattr(mx.model, "BatchEndParam") else mx.callback.BatchEndParam)

def nd(key, i):
    a = inputs["%s%d" % (key, i % 4)]
    return mx.nd.array(a, dtype=a.dtype)

def drive(callback, metric, epochs=2, batches=7, step=0.5):
    for epoch in range(epochs):
        if metric is not None:
            metric.reset()
        for nbatch in range(batches):
            if metric is not None:
                metric.update([nd("label", nbatch)], [nd("pred", nbatch)])
            clock[0] += step
            callback(P(epoch=epoch, nbatch=nbatch, eval_metric=metric,
                       locals=None))
    messages.append("--")

try:
    drive(mx.callback.Speedometer(4, 2), mx.metric.Accuracy())
    drive(mx.callback.Speedometer(batch_size=3, frequent=3, auto_reset=False),
          mx.metric.create(["acc", "ce", "mse"]), step=0.7)
    drive(mx.callback.Speedometer(8), None, batches=120, step=0.01)
    drive(mx.callback.Speedometer(4, 2), mx.metric.F1(), step=0.0)
    drive(mx.callback.log_train_metric(3), mx.metric.Accuracy())
    drive(mx.callback.log_train_metric(2, auto_reset=True),
          mx.metric.create(["acc", "ce"]))
    drive(mx.callback.ProgressBar(total=7, length=10), None, epochs=1, batches=8)
    drive(mx.callback.ProgressBar(3), None, epochs=1, batches=4)
    drive(mx.callback.LogValidationMetricsCallback(),
          mx.metric.create(["acc", "ce"]), batches=2)
    drive(mx.callback.LogValidationMetricsCallback(), None, batches=2)
finally:
    time.time = real_time
    root.removeHandler(handler)
    root.setLevel(old_level)
outputs["messages"] = np.array(messages)

class Saver:
    def __init__(self):
        self.calls = []
    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False):
        self.calls.append([prefix, epoch, save_optimizer_states])
calls = []
for period, states in ((2, True), (0, False), (2.7, False)):
    saver = Saver()
    callback = mx.callback.module_checkpoint(saver, "run", period, states)
    for epoch in range(5):
        callback(epoch)
    calls.append(saver.calls)
outputs["checkpoints"] = np.array(json.dumps(calls))
outputs["param"] = np.array([P.__name__] + list(P._fields))
"""


def _inputs(seed=7):
    rng = np.random.RandomState(seed)
    arrays = {}
    for i in range(4):
        arrays["label%d" % i] = rng.randint(0, 2, 6).astype(np.float32)
        scores = rng.rand(6, 2).astype(np.float32)
        arrays["pred%d" % i] = scores / scores.sum(axis=1, keepdims=True)
    return arrays


@requires_oracle
def test_log_lines_and_checkpoints_match_mxnet():
    got, expected = run_both(LOGS, mx, **_inputs())
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert got[key].tolist() == expected[key].tolist(), key
    lines = expected["messages"].tolist()
    # The snippet exercised each format, and every line is at INFO.
    for pattern in [r"Epoch\[1\] Batch \[4-6\]\tSpeed: 8\.00 samples/sec\t"
                    r"accuracy=\d\.\d{6}$",
                    r"Epoch\[0\] Batch \[0-6\]\tSpeed: 4\.29 samples/sec"
                    r"\taccuracy=.*\tcross-entropy=.*\tmse=",
                    r"Iter\[1\] Batch \[100\]\tSpeed: 800\.00 samples/sec$",
                    r"Speed: inf samples/sec\tf1=",
                    r"Iter\[0\] Batch\[3\] Train-accuracy=",
                    r"\[===-------\] 29%\r$",
                    r"Epoch\[1\] Validation-cross-entropy="]:
        assert any(re.search(pattern, line) for line in lines), pattern
    assert all(line == "--" or line.startswith("INFO|") for line in lines)


def _param(epoch, nbatch, metric):
    return mx.callback.BatchEndParam(epoch=epoch, nbatch=nbatch,
                                     eval_metric=metric, locals=None)


def test_speedometer_logs_through_the_root_logger(caplog, monkeypatch):
    clock = [50.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    metric = mx.metric.MSE()
    speedometer = mx.callback.Speedometer(batch_size=10, frequent=5)
    with caplog.at_level(logging.INFO):
        for nbatch in range(11):
            metric.update([mx.nd.array([1.0])], [mx.nd.array([nbatch])])
            clock[0] += 0.25
            speedometer(_param(3, nbatch, metric))
    assert [r.name for r in caplog.records] == ["root", "root"]
    assert [r.levelno for r in caplog.records] == [logging.INFO] * 2
    # 5 batches of 10 in 1.25 s; the window's MSE (batch 0, which only
    # started the clock, included), then reset_local.
    assert caplog.records[0].getMessage() == \
        "Epoch[3] Batch [0-5]\tSpeed: 40.00 samples/sec\tmse=%f" % (
            np.mean(np.square(np.arange(0, 6) - 1.0)))
    assert caplog.records[1].getMessage() == \
        "Epoch[3] Batch [5-10]\tSpeed: 40.00 samples/sec\tmse=%f" % (
            np.mean(np.square(np.arange(6, 11) - 1.0)))
    assert metric.num_inst == 0 and metric.global_num_inst == 11


def test_speedometer_restarts_its_clock_each_epoch(caplog, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 0.0)
    speedometer = mx.callback.Speedometer(2, frequent=1)
    with caplog.at_level(logging.INFO):
        for epoch in range(2):
            for nbatch in range(3):
                speedometer(_param(epoch, nbatch, None))
    # The first batch of each epoch only starts the clock.
    assert [r.getMessage() for r in caplog.records] == [
        "Iter[%d] Batch [%d]\tSpeed: inf samples/sec" % (epoch, nbatch)
        for epoch in range(2) for nbatch in (1, 2)]


def test_do_checkpoint_calls_model_save_checkpoint(monkeypatch):
    calls = []
    fake = types.ModuleType("kiln.model")
    fake.save_checkpoint = lambda *args: calls.append(args)
    monkeypatch.setitem(sys.modules, "kiln.model", fake)
    symbol, args, auxs = object(), {"w": 1}, {"m": 2}
    every_other = mx.callback.do_checkpoint("net", period=2)
    every = mx.callback.do_checkpoint("all", period=-3)
    for epoch in range(5):
        every_other(epoch, symbol, args, auxs)
        every(epoch, symbol, args, auxs)
    assert [c[:2] for c in calls] == [
        ("all", 1), ("net", 2), ("all", 2), ("all", 3), ("net", 4),
        ("all", 4), ("all", 5)]
    assert all(c[2:] == (symbol, args, auxs) for c in calls)


def test_batch_end_param_is_a_namedtuple():
    param = _param(1, 2, None)
    assert param == (1, 2, None, None)
    assert type(param).__name__ == "BatchEndParams"
    with pytest.raises(TypeError):
        mx.callback.BatchEndParam(1, 2, None)


def test_import_paths():
    import mxnet.callback
    from mxnet.callback import Speedometer
    assert mxnet.callback is kiln.callback
    assert Speedometer is mx.callback.Speedometer
