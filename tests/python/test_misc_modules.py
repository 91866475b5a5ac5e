"""MXNet 1.9.1's small top-level modules: mx.libinfo, mx.library, mx.log,
mx.notebook, mx.executor_manager and mx.torch (frontends/python/kiln/).

Behaviour is compared live with MXNet 1.9.1 (run_both): the executor
manager's slices, outputs, gradients and metric, the error classes and
messages of bad input. Where kiln differs by design (checked on kiln
alone): find_lib_path names kiln/_core.so; library.load of a real library
raises MXNetError (kiln cannot load MXNet extension libraries);
find_include_path raises (kiln ships no headers); PandasLogger without
pandas raises ImportError at construction (MXNet: AttributeError).
"""
import logging
import os

import numpy as np
import pytest

import kiln as mx
import kiln.executor_manager  # noqa: F401 (attach before kiln wires them)
import kiln.libinfo  # noqa: F401
import kiln.library  # noqa: F401
import kiln.log  # noqa: F401
import kiln.notebook  # noqa: F401
import kiln.notebook.callback  # noqa: F401
import kiln.torch  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import CATCH_SNIPPET as CATCH
from mxnet_oracle import compare_texts_and_values as compare
from mxnet_oracle import requires_oracle, run_both, run_mxnet


@requires_oracle
def test_modules_have_mxnets_public_names():
    got = run_mxnet("""
import mxnet.notebook.callback
names = lambda m: sorted(n for n in dir(m) if not n.startswith("_"))
for name in ("libinfo", "library", "log", "notebook", "executor_manager",
             "torch"):
    outputs[name] = np.array(names(getattr(mx, name)))
outputs["callback"] = np.array(names(mx.notebook.callback))
outputs["th"] = np.array(mx.th is mx.torch)
""")
    # Imported modules (os, ctypes, ...) and C-library handles are not API.
    ignored = {"os", "platform", "logging", "ctypes", "sys", "np", "nd",
               "warnings", "time", "datetime", "check_call", "mx_uint",
               "bokeh", "pd", "defaultdict"}
    for name in ("libinfo", "library", "log", "notebook", "executor_manager"):
        module = getattr(mx, name)
        theirs = set(got[name].tolist()) - ignored
        missing = [n for n in theirs if not hasattr(module, n)]
        assert not missing, (name, missing)
    callback = mx.notebook.callback
    for n in set(got["callback"].tolist()) - ignored:
        if not n.endswith("_Failed_To_Import"):
            assert hasattr(callback, n), n
    assert hasattr(mx.notebook, "bokeh")
    assert mx.torch.__all__ == []


def test_libinfo_finds_kilns_library(monkeypatch, tmp_path, caplog):
    import kiln._core
    assert mx.libinfo.find_lib_path() == [os.path.abspath(
        kiln._core.__file__)]
    assert mx.libinfo.__version__ == mx.__version__ == "1.9.1"
    library = tmp_path / "libother.so"
    library.write_bytes(b"")
    monkeypatch.setenv("MXNET_LIBRARY_PATH", str(library))
    assert mx.libinfo.find_lib_path() == [str(library)]
    monkeypatch.setenv("MXNET_LIBRARY_PATH", str(tmp_path / "absent.so"))
    with caplog.at_level(logging.WARNING):
        assert mx.libinfo.find_lib_path() == [os.path.abspath(
            kiln._core.__file__)]
    assert "absent.so' doesn't exist" in caplog.text
    monkeypatch.delenv("MXNET_LIBRARY_PATH")
    monkeypatch.setenv("LD_LIBRARY_PATH", str(tmp_path))
    assert mx.libinfo.find_lib_path("libother") == [str(library)]
    with pytest.raises(RuntimeError, match="libnothing.so"):
        mx.libinfo.find_lib_path("libnothing")
    with pytest.raises(RuntimeError, match="Cannot find the MXNet include"):
        mx.libinfo.find_include_path()
    monkeypatch.setenv("MXNET_INCLUDE_PATH", str(tmp_path))
    assert mx.libinfo.find_include_path() == str(tmp_path)


@requires_oracle
def test_libinfo_and_library_errors_match_mxnet(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    got, expected = run_both(CATCH + """
import os
folder = str(inputs["folder"])
outputs["version"] = np.array(mx.libinfo.__version__)
catch("conf", lambda: mx.libinfo.find_conf_path("nothing-here"))
outputs["err/conf"] = np.array(str(outputs["err/conf"]).split(".")[0])
catch("missing", lambda: mx.library.load(os.path.join(folder, "no.so")))
catch("relative", lambda: mx.library.load("relative_lib.so"))
os.chdir(folder)
catch("relative_existing", lambda: mx.library.load("notes.txt"))
catch("not_library", lambda: mx.library.load(os.path.join(folder,
                                                          "notes.txt")))
""", mx, folder=np.array(str(tmp_path)))
    compare(got, expected)
    assert str(got["err/missing"]).startswith("MXNetError: load path")


def test_library_load_refuses_a_real_library(tmp_path):
    library = tmp_path / "libcustomop.so"
    library.write_bytes(b"\x7fELF")
    with pytest.raises(MXNetError) as caught:
        mx.library.load(str(library))
    assert str(library) in str(caught.value)
    assert "cannot load MXNet extension libraries" in str(caught.value)


@requires_oracle
def test_log_matches_mxnet(tmp_path):
    got, expected = run_both("""
import logging, os, warnings
folder = str(inputs["folder"])
outputs["levels"] = np.array([mx.log.CRITICAL, mx.log.ERROR, mx.log.WARNING,
                              mx.log.INFO, mx.log.DEBUG, mx.log.NOTSET])
formatter = mx.log._Formatter()
lines = []
for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR,
              logging.CRITICAL, 5):
    record = logging.LogRecord("t", level, "/x/train.py", 7, "msg %d",
                               (level,), None, func="step")
    record.created, record.msecs, record.process = 86400.5, 500, 42
    lines.append(formatter.format(record))
outputs["formatted"] = np.array(lines)
path = os.path.join(folder, "log-%s.txt" % mx.__name__)
logger = mx.log.get_logger("file-" + mx.__name__, filename=path,
                           level=logging.INFO)
logger.info("hello %d", 3)
logger.debug("hidden")
again = mx.log.get_logger("file-" + mx.__name__, filename=path,
                          level=logging.DEBUG)
outputs["same"] = np.array(again is logger)
outputs["handlers"] = np.array(len(logger.handlers))
outputs["level"] = np.array(logger.level)
for handler in logger.handlers:
    handler.flush()
outputs["logged"] = np.array(open(path).read())
outputs["root"] = np.array(mx.log.get_logger() is logging.getLogger())
stream = mx.log.get_logger("stream-" + mx.__name__)
outputs["stream_formatter"] = np.array(
    type(stream.handlers[0].formatter).__name__)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    old = mx.log.getLogger("old-" + mx.__name__)
outputs["deprecated"] = np.array([str(w.category.__name__) + ": " +
                                  str(w.message) for w in caught])
outputs["old_level"] = np.array(old.level)
""", mx, folder=np.array(str(tmp_path)))
    compare(got, expected)


def test_notebook_callbacks_without_their_packages():
    callback = mx.notebook.callback
    if callback.pd is None:
        with pytest.raises(ImportError, match="pandas"):
            callback.PandasLogger(batch_size=32)
    if callback.bokeh is None:
        with pytest.raises(ImportError, match="bokeh"):
            callback.LiveLearningCurve("accuracy")

    class One(object):
        def callback_args(self):
            return {"batch_end_callback": 1, "epoch_end_callback": 2}

    class Two(object):
        def callback_args(self):
            return {"batch_end_callback": 3}

    assert callback.args_wrapper(One(), Two()) == {
        "batch_end_callback": [1, 3], "epoch_end_callback": [2]}


EXECUTOR_MANAGER_SNIPPET = CATCH + """
import mxnet.executor_manager as em
slices = []
for batch, loads in [(10, [1, 2, 2]), (7, [1, 1]), (5, [1]), (9, [0.5, 1.5]),
                     (4, [1, 1, 1, 1])]:
    slices.append(str(em._split_input_slice(batch, loads)))
outputs["slices"] = np.array(slices)
catch("too_many", lambda: em._split_input_slice(2, [1, 1, 1]))
data = mx.sym.var("data")
net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(
    mx.sym.BatchNorm(data, name="bn"), num_hidden=3, name="fc"),
    name="softmax")
x, y = inputs["x"], inputs["y"]
it = mx.io.NDArrayIter(x, y, batch_size=6)
args = net.list_arguments()
params = [a for a in args if a not in ("data", "softmax_label")]
aux = net.list_auxiliary_states()
for name, loads in (("even", None), ("uneven", [1, 2])):
    m = em.DataParallelExecutorManager(net, [mx.cpu(0), mx.cpu(1)], it, args,
                                       params, aux, work_load_list=loads)
    outputs[name + "/slices"] = np.array(str(m.slices))
    m.set_params({"fc_weight": mx.nd.array(inputs["w"]),
                  "fc_bias": mx.nd.array([0.1, -0.2, 0.3]),
                  "bn_gamma": mx.nd.ones(4), "bn_beta": mx.nd.zeros(4)},
                 {"bn_moving_mean": mx.nd.zeros(4),
                  "bn_moving_var": mx.nd.ones(4)})
    it.reset()
    batch = next(iter(it))
    m.load_data_batch(batch)
    m.forward(is_train=True)
    m.backward()
    outputs[name + "/out"] = np.concatenate(
        [e.outputs[0].asnumpy() for e in m.execgrp.train_execs])
    for pname, grads in zip(m.param_names, m.grad_arrays):
        outputs["%s/grad/%s" % (name, pname)] = np.stack(
            [g.asnumpy() for g in grads])
    metric = mx.metric.Accuracy()
    m.update_metric(metric, batch.label)
    outputs[name + "/acc"] = np.array(metric.get()[1])
    arg_out = {p: mx.nd.zeros(a.shape) for p, a in
               zip(m.param_names, [g[0] for g in m.param_arrays])}
    aux_out = {a: mx.nd.zeros(4) for a in aux}
    m.copy_to(arg_out, aux_out)
    for k in sorted(aux_out):
        outputs["%s/aux/%s" % (name, k)] = aux_out[k].asnumpy()
    outputs[name + "/names"] = np.array(m.param_names + m.aux_names)
    outputs[name + "/data_names"] = np.array(m.execgrp.data_names +
                                             m.execgrp.label_names)
catch("bad_loads", lambda: em.DataParallelExecutorManager(
    net, [mx.cpu(0), mx.cpu(1)], it, args, params, aux, work_load_list=[1]))
catch("bad_loads_type", lambda: em.DataParallelExecutorManager(
    net, [mx.cpu(0)], it, args, params, aux, work_load_list=(1,)))
dup = mx.sym.FullyConnected(mx.sym.FullyConnected(data, num_hidden=3,
                            name="fc"), num_hidden=2, name="fc")
catch("duplicate", lambda: em._check_arguments(dup))
dup_aux = mx.sym.BatchNorm(mx.sym.BatchNorm(data, name="b"), name="b")
catch("duplicate_aux", lambda: em._check_arguments(dup_aux))
catch("bind_need_grad", lambda: em._bind_exec(
    net, mx.cpu(), {"data": (2, 4), "softmax_label": (2,)}, params,
    need_grad="yes"))
e = em._bind_exec(net, mx.cpu(), {"data": (2, 4), "softmax_label": (2,)},
                  params, need_grad=True)
outputs["bind/grads"] = np.array(sorted(k for k, v in e.grad_dict.items()
                                        if v is not None))
targets = [[(slice(0, 2), mx.nd.zeros((2, 4))),
            (slice(2, 5), mx.nd.zeros((3, 4)))]]
em._load_general([mx.nd.array(x[:5])], targets)
outputs["loaded"] = np.concatenate([t.asnumpy() for _, t in targets[0]])
catch("load_mismatch", lambda: em._load_general([mx.nd.array(x)], targets))
"""


@requires_oracle
def test_executor_manager_matches_mxnet():
    rng = np.random.default_rng(5)
    got, expected = run_both(
        EXECUTOR_MANAGER_SNIPPET, mx,
        x=rng.standard_normal((6, 4)).astype(np.float32),
        y=np.array([0, 1, 2, 0, 1, 2], np.float32),
        w=rng.standard_normal((3, 4)).astype(np.float32))
    compare(got, expected, rtol=1e-4, atol=1e-5)
    assert "Too many slices" in str(got["err/too_many"])
