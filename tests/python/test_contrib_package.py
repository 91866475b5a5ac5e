"""mx.contrib as MXNet 1.9.1 lays it out (frontends/python/kiln/contrib/):
its submodules' names, contrib.autograd's gradients, contrib.text's
counting, vocabularies and embeddings, contrib.io.DataLoaderIter,
svrg_optimization's SVRGModule and optimizers, contrib.tensorboard and
contrib.onnx without their optional packages.

Each oracle test runs one snippet under both frameworks (run_both) and
compares its outputs: arrays numerically, strings (error classes and
messages, token lists) exactly. Where kiln deliberately differs (checked
on kiln alone below):
  * pre-trained embedding files already on disk are used without MXNet's
    SHA-1 check, and a failed download raises MXNetError naming the path
    to put the file at;
  * LogMetricsCallback without a writer raises ImportError when called
    (MXNet: AttributeError).
"""
import logging

import numpy as np
import pytest

import kiln as mx
import kiln.contrib  # noqa: F401 (attaches mx.contrib before kiln wires it)
import kiln.contrib.svrg_optimization  # noqa: F401
from kiln.base import MXNetError
from mxnet_oracle import CATCH_SNIPPET as CATCH
from mxnet_oracle import compare_texts_and_values as compare
from mxnet_oracle import requires_oracle, run_both, run_mxnet


@requires_oracle
def test_contrib_submodules_are_mxnets():
    got = run_mxnet("""
import mxnet.contrib.svrg_optimization
names = lambda m: sorted(n for n in dir(m) if not n.startswith("_"))
outputs["contrib"] = np.array(names(mx.contrib))
outputs["text"] = np.array(names(mx.contrib.text))
outputs["svrg"] = np.array(names(mx.contrib.svrg_optimization))
outputs["onnx"] = np.array([n for n in names(mx.contrib.onnx) if n in
    ("import_model", "export_model", "get_model_metadata", "import_to_gluon")])
outputs["nd"] = np.array(names(mx.contrib.nd))
outputs["sym"] = np.array(names(mx.contrib.sym))
""")
    mine = lambda m: sorted(n for n in dir(m) if not n.startswith("_"))
    assert set(mine(mx.contrib)) == set(got["contrib"].tolist())
    assert set(mine(mx.contrib.text)) >= set(got["text"].tolist())
    assert set(got["svrg"].tolist()) <= set(mine(
        mx.contrib.svrg_optimization))
    assert set(got["onnx"].tolist()) <= set(mine(mx.contrib.onnx))
    # contrib.nd / contrib.sym: MXNet's operator functions that kiln has,
    # none of the Python-level helpers, the same objects as mx.nd.contrib's.
    for mine_mod, full, key in ((mx.contrib.nd, mx.nd.contrib, "nd"),
                                (mx.contrib.sym, mx.sym.contrib, "sym")):
        theirs = set(got[key].tolist())
        have = set(mine(mine_mod))
        assert have <= theirs, sorted(have - theirs)
        assert theirs & set(mine(full)) <= have
        assert "foreach" not in have and "box_nms" in have
        assert mine_mod.box_nms is full.box_nms
    assert mx.contrib.nd is mx.contrib.ndarray
    assert mx.contrib.sym is mx.contrib.symbol


@requires_oracle
def test_contrib_operators_run():
    got, expected = run_both("""
a = mx.nd.array([[0, 0, 2, 2], [1, 1, 3, 3]])
outputs["iou"] = mx.contrib.nd.box_iou(a, a).asnumpy()
s = mx.contrib.sym.box_iou(mx.sym.var("a"), mx.sym.var("b"))
outputs["sym"] = s.bind(mx.cpu(), {"a": a, "b": a}).forward()[0].asnumpy()
""", mx)
    compare(got, expected)


@requires_oracle
def test_contrib_autograd_matches_mxnet():
    got, expected = run_both(CATCH + """
from mxnet.contrib import autograd as ag
x = mx.nd.array([1., 2., 3.]); dx = mx.nd.zeros_like(x)
ag.mark_variables([x], [dx])
with ag.train_section():
    y = x * x + mx.nd.sin(x)
    with ag.test_section():
        z = x * 2
ag.backward([y], [mx.nd.array([1., 10., 100.])])
outputs["dx"] = dx.asnumpy()
outputs["z"] = z.asnumpy()
acc = mx.nd.ones(3)
ag.mark_variables([x], [acc], grad_reqs="add")
with ag.train_section():
    y = mx.nd.exp(x)
ag.compute_gradient([y])
outputs["acc"] = acc.asnumpy()
g, loss = ag.grad_and_loss(lambda a, b: a * b + a, argnum=[0, 1])(
    mx.nd.array([1., 2.]), mx.nd.array([3., 4.]))
outputs["g0"], outputs["g1"] = g[0].asnumpy(), g[1].asnumpy()
outputs["loss"] = loss.asnumpy()
outputs["g_one"] = ag.grad(lambda a, b: a * b, argnum=1)(
    mx.nd.array([5., 6.]), mx.nd.array([1., 1.]))[0].asnumpy()
outputs["g_all"] = np.stack([t.asnumpy() for t in ag.grad(
    lambda a, b: (a * b).sum())(mx.nd.array([1., 2.]), mx.nd.array([3., 4.]))])
outputs["states"] = np.array([ag.set_is_training(True),
                              ag.set_is_training(False),
                              ag.set_is_training(False)])
outputs["recording"] = np.array(mx.autograd.is_recording())
catch("backward_not_list", lambda: ag.backward(y))
catch("grad_not_ndarray", lambda: ag.grad(lambda a: a)(np.ones(2)))
catch("bad_req", lambda: ag.mark_variables([x], [dx], grad_reqs="bogus"))
""", mx)
    compare(got, expected)


@requires_oracle
def test_text_counting_and_vocabulary_match_mxnet():
    got, expected = run_both(CATCH + """
import collections
from mxnet.contrib.text import utils, vocab
s = " Life is great ! \\n life is good . \\n"
c = utils.count_tokens_from_str(s)
outputs["count"] = np.array(sorted("%s=%d" % kv for kv in c.items()))
c2 = utils.count_tokens_from_str("a,b,,c;a", token_delim=",", seq_delim=";",
                                 to_lower=True)
outputs["delims"] = np.array(sorted("%s=%d" % kv for kv in c2.items()))
upd = collections.Counter({"is": 5})
r = utils.count_tokens_from_str(s, to_lower=True, counter_to_update=upd)
outputs["update"] = np.array(sorted("%s=%d" % kv for kv in upd.items()))
outputs["update_same"] = np.array(r is upd)
lower = utils.count_tokens_from_str(s, to_lower=True)
for name, kw in [("plain", {}), ("cap", {"most_freq_count": 3}),
                 ("minf", {"min_freq": 2}),
                 ("res", {"reserved_tokens": ["<pad>", "<bos>"],
                          "unknown_token": "<UNK>", "most_freq_count": 2}),
                 ("none", {"counter": None})]:
    kw.setdefault("counter", lower)
    v = vocab.Vocabulary(**kw)
    outputs["v/" + name] = np.array(v.idx_to_token)
    outputs["v/%s/len" % name] = np.array(len(v))
    outputs["v/%s/res" % name] = np.array(str(v.reserved_tokens))
v = vocab.Vocabulary(lower, reserved_tokens=["<pad>"])
outputs["idx"] = np.array(v.to_indices(["is", "zzz", "life", "<pad>"]))
outputs["idx1"] = np.array(v.to_indices("good"))
outputs["tok"] = np.array(v.to_tokens([0, 3, 2]))
outputs["tok1"] = np.array(v.to_tokens(1))
outputs["t2i"] = np.array(sorted("%s=%d" % kv for kv in v.token_to_idx.items()))
outputs["unk"] = np.array(v.unknown_token)
catch("min_freq0", lambda: vocab.Vocabulary(lower, min_freq=0))
catch("res_dup", lambda: vocab.Vocabulary(lower, reserved_tokens=["a", "a"]))
catch("res_unk", lambda: vocab.Vocabulary(lower, reserved_tokens=["<unk>"]))
catch("not_counter", lambda: vocab.Vocabulary({"a": 1}))
catch("bad_index", lambda: v.to_tokens(99))
catch("float_index", lambda: v.to_tokens([1.5]))
""", mx)
    compare(got, expected)


EMBEDDING_SNIPPET = CATCH + """
import os, tempfile, warnings, collections
from mxnet.contrib import text
folder = tempfile.mkdtemp()
path = os.path.join(folder, "vectors.txt")
with open(path, "w") as f:
    f.write("hello 1 2 3\\nWorld 4 5 6\\n<unk> 9 9 9\\nhello 7 7 7\\n"
            "header 3\\nbye 0.5 -1 2\\n")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    e = text.embedding.CustomEmbedding(path)
outputs["warnings"] = np.array(len(caught))
outputs["tokens"] = np.array(e.idx_to_token)
outputs["vecs"] = e.idx_to_vec.asnumpy()
outputs["vec_len"] = np.array(e.vec_len)
outputs["by_tokens"] = e.get_vecs_by_tokens(["World", "world", "x"]).asnumpy()
outputs["lower_backup"] = e.get_vecs_by_tokens(
    ["WORLD", "HELLO"], lower_case_backup=True).asnumpy()
outputs["one"] = e.get_vecs_by_tokens("bye").asnumpy()
tab = os.path.join(folder, "tab.txt")
with open(tab, "w") as f:
    f.write("a\\t1\\t2\\nb\\t3\\t4\\n")
t = text.embedding.CustomEmbedding(tab, elem_delim="\\t",
    init_unknown_vec=mx.nd.ones)
outputs["tab"] = t.idx_to_vec.asnumpy()
counter = collections.Counter(["bye", "hello", "hello", "new", "b"])
v = text.vocab.Vocabulary(counter, reserved_tokens=["<pad>"])
ev = text.embedding.CustomEmbedding(path, vocabulary=v)
outputs["vocab_tokens"] = np.array(ev.idx_to_token)
outputs["vocab_vecs"] = ev.idx_to_vec.asnumpy()
comp = text.embedding.CompositeEmbedding(v, [e, t])
outputs["comp_tokens"] = np.array(comp.idx_to_token)
outputs["comp_vecs"] = comp.idx_to_vec.asnumpy()
outputs["comp_len"] = np.array(comp.vec_len)
e.update_token_vectors("hello", mx.nd.array([0, 0, 1]))
e.update_token_vectors(["bye", "World"], mx.nd.array([[1, 1, 1], [2, 2, 2]]))
e.update_token_vectors(["<unk>"], mx.nd.array([[5, 5, 5]]))
outputs["updated"] = e.idx_to_vec.asnumpy()
catch("update_unknown", lambda: e.update_token_vectors("nope", mx.nd.ones(3)))
catch("update_shape", lambda: e.update_token_vectors(["hello", "bye"],
                                                     mx.nd.ones(3)))
catch("update_width", lambda: e.update_token_vectors("hello", mx.nd.ones(4)))
catch("missing_file", lambda: text.embedding.CustomEmbedding(
    os.path.join(folder, "absent.txt")))
bad = os.path.join(folder, "bad.txt")
with open(bad, "w") as f:
    f.write("a 1 2\\nb 1 2 3\\n")
catch("ragged", lambda: text.embedding.CustomEmbedding(bad))
catch("composite_not_vocab", lambda: text.embedding.CompositeEmbedding(e, e))
catch("composite_not_embedding",
      lambda: text.embedding.CompositeEmbedding(v, [v]))
names = text.embedding.get_pretrained_file_names()
outputs["registered"] = np.array(sorted(names))
outputs["glove"] = np.array(names["glove"])
outputs["fasttext"] = np.array(names["fasttext"])
outputs["glove_only"] = np.array(text.embedding.get_pretrained_file_names("glove"))
catch("unknown_embedding",
      lambda: text.embedding.get_pretrained_file_names("nope"))
catch("unknown_file", lambda: text.embedding.create(
    "glove", pretrained_file_name="bad.txt"))
catch("unknown_create", lambda: text.embedding.create("nope"))

@text.embedding.register
class Mine(text.embedding.CustomEmbedding):
    pretrained_file_name_sha1 = {"mine.txt": None}

outputs["mine"] = np.array(text.embedding.get_pretrained_file_names("mine"))
made = text.embedding.create("mine", pretrained_file_path=path)
outputs["made"] = np.array(type(made).__name__)
"""


@requires_oracle
@pytest.mark.filterwarnings("ignore:At line")
def test_embeddings_match_mxnet():
    got, expected = run_both(EMBEDDING_SNIPPET, mx)
    compare(got, expected)


@pytest.mark.filterwarnings("ignore:At line")
def test_pretrained_file_on_disk_is_used(tmp_path):
    from kiln.contrib.text import embedding
    folder = tmp_path / "glove"
    folder.mkdir()
    (folder / "glove.6B.50d.txt").write_text("the 1 2\nof 3 4\n")
    glove = embedding.create("glove", pretrained_file_name="glove.6B.50d.txt",
                             embedding_root=str(tmp_path))
    assert glove.idx_to_token == ["<unk>", "the", "of"]
    np.testing.assert_array_equal(glove.idx_to_vec.asnumpy(),
                                  [[0, 0], [1, 2], [3, 4]])
    fast = tmp_path / "fasttext"
    fast.mkdir()
    (fast / "wiki.simple.vec").write_text("2 2\nx 1 1\n")
    assert embedding.FastText(embedding_root=str(tmp_path)).idx_to_token == [
        "<unk>", "x"]


def test_pretrained_download_offline_names_the_file(tmp_path, monkeypatch):
    from kiln.contrib.text import embedding
    # Nothing listens on port 9: the download fails at once, as offline.
    monkeypatch.setenv("MXNET_GLUON_REPO", "http://127.0.0.1:9/")
    with pytest.raises(MXNetError) as caught:
        embedding.GloVe("glove.6B.50d.txt", embedding_root=str(tmp_path))
    message = str(caught.value)
    assert "glove.6B.50d.txt" in message
    assert "http://127.0.0.1:9/gluon/embeddings/glove/glove.6B.zip" in message
    assert str(tmp_path / "glove" / "glove.6B.50d.txt") in message


@requires_oracle
def test_dataloader_iter_matches_mxnet():
    got, expected = run_both(CATCH + """
import mxnet.contrib.io
ds = mx.gluon.data.ArrayDataset(mx.nd.arange(20).reshape(10, 2),
                                mx.nd.arange(10, dtype="int32"))
it = mx.contrib.io.DataLoaderIter(mx.gluon.data.DataLoader(ds, batch_size=4),
                                  data_name="x", label_name="y",
                                  dtype="float16")
outputs["desc"] = np.array([str(it.provide_data), str(it.provide_label)])
outputs["batch_size"] = np.array(it.batch_size)
for epoch in range(2):
    for k, b in enumerate(it):
        keep = 4 - b.pad
        outputs["%d/%d/data" % (epoch, k)] = b.data[0].asnumpy()[:keep]
        outputs["%d/%d/label" % (epoch, k)] = b.label[0].asnumpy()[:keep]
        outputs["%d/%d/shape" % (epoch, k)] = np.array(b.data[0].shape)
        outputs["%d/%d/pad" % (epoch, k)] = np.array(b.pad)
        outputs["%d/%d/dtype" % (epoch, k)] = np.array(str(b.data[0].dtype))
        outputs["%d/%d/index" % (epoch, k)] = np.array(str(b.index))
    it.reset()
empty = mx.gluon.data.DataLoader(mx.gluon.data.ArrayDataset([]), batch_size=2)
catch("empty", lambda: mx.contrib.io.DataLoaderIter(empty))
""", mx)
    compare(got, expected)


SVRG_SNIPPET = CATCH + """
import logging
import mxnet.contrib.svrg_optimization
from mxnet.contrib.svrg_optimization.svrg_module import SVRGModule
from mxnet.contrib.svrg_optimization import svrg_optimizer
X, Y = inputs["x"], inputs["y"]
data = mx.sym.var("data")
net = mx.sym.LinearRegressionOutput(
    mx.sym.FullyConnected(data, num_hidden=1, name="fc"),
    label=mx.sym.var("lin_reg_label"), name="lro")
it = mx.io.NDArrayIter(X, Y, batch_size=16, label_name="lin_reg_label")
mod = SVRGModule(net, data_names=["data"], label_names=["lin_reg_label"],
                 update_freq=2, logger=logging.getLogger("svrg-test"))
mse = []
mod.fit(it, eval_metric="mse", optimizer="sgd",
        optimizer_params=(("learning_rate", 0.2),), num_epoch=12,
        initializer=mx.init.Zero(),
        epoch_end_callback=lambda *a: mse.append(mod.score(it, "mse")[0][1]))
outputs["mse"] = np.array(mse)
args = mod.get_params()[0]
outputs["w"], outputs["b"] = args["fc_weight"].asnumpy(), args["fc_bias"].asnumpy()
outputs["full_names"] = np.array(sorted(mod._optimizer.idx2name.values()))
for bad in (0, -1, "2", None):
    catch("freq_%r" % (bad,), lambda: SVRGModule(
        net, data_names=["data"], label_names=["lin_reg_label"],
        update_freq=bad))
o = mx.optimizer.create("_svrgoptimizer", default_optimizer="sgd",
                        learning_rate=0.5, param_idx2name={0: "w", 1: "w_full"})
w, g = mx.nd.array([1., 2.]), mx.nd.array([0.5, -1.])
o.update(0, w, g, o.create_state(0, w))
outputs["opt_w"] = w.asnumpy()
full = mx.nd.array([7., 7.])
o.update(1, full, g, o.create_state(1, full))
outputs["opt_full"] = full.asnumpy()
o.update("w_full", full, g * 3, None)
outputs["opt_by_name"] = full.asnumpy()
outputs["opt_kinds"] = np.array([type(o.default_opt).__name__,
                                 type(o.aux_opt).__name__])
catch("opt_bad_index", lambda: o.update(5, w, g, None))
"""


@requires_oracle
def test_svrg_module_fits_as_mxnet():
    rng = np.random.default_rng(3)
    x = rng.random((64, 3), dtype=np.float32)
    y = (x @ np.array([1., -2., 3.], np.float32) + 0.5).astype(np.float32)
    got, expected = run_both(SVRG_SNIPPET, mx, x=x, y=y)
    compare(got, expected, rtol=1e-4, atol=1e-5)
    # It converges: the error falls steadily.
    assert got["mse"][-1] < got["mse"][0] / 5
    assert np.all(np.diff(got["mse"]) < 0)


def test_tensorboard_callback_without_a_writer(caplog):
    from kiln.contrib import tensorboard
    if tensorboard._summary_writer_class() is not None:
        pytest.skip("a TensorBoard writer package is installed")
    with caplog.at_level(logging.ERROR):
        callback = tensorboard.LogMetricsCallback("/tmp/kiln-tb-test",
                                                  prefix="train")
    assert "pip install mxboard" in caplog.text
    metric = mx.metric.Accuracy()
    metric.update([mx.nd.array([1, 0])], [mx.nd.array([[0, 1], [1, 0]])])
    param = mx.model.BatchEndParam(epoch=0, nbatch=1, eval_metric=metric,
                                   locals=None)
    with pytest.raises(ImportError, match="kiln-tb-test"):
        callback(param)
    # Nothing to log, nothing written: returns quietly as MXNet's does.
    assert callback(mx.model.BatchEndParam(0, 1, None, None)) is None


def test_tensorboard_callback_writes_scalars(monkeypatch):
    from kiln.contrib import tensorboard
    written = []

    class Writer(object):
        def __init__(self, folder):
            self.folder = folder

        def add_scalar(self, name, value, global_step):
            written.append((self.folder, name, value, global_step))

    monkeypatch.setattr(tensorboard, "_summary_writer_class", lambda: Writer)
    callback = tensorboard.LogMetricsCallback("logs/eval", prefix="eval")
    metric = mx.metric.Accuracy()
    metric.update([mx.nd.array([1, 0])], [mx.nd.array([[0, 1], [0, 1]])])
    callback(mx.model.BatchEndParam(epoch=3, nbatch=0, eval_metric=metric,
                                    locals=None))
    assert written == [("logs/eval", "eval-accuracy", 0.5, 3)]


@requires_oracle
def test_onnx_without_onnx_raises_as_mxnet(capsys):
    code = CATCH + """
import contextlib, io
for name, args in [("import_model", ("m.onnx",)),
                   ("get_model_metadata", ("m.onnx",)),
                   ("import_to_gluon", ("m.onnx", mx.cpu())),
                   ("export_model", ("s.json", "p.params", [(1, 3)]))]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        catch(name, lambda: getattr(mx.contrib.onnx, name)(*args))
    outputs["printed/" + name] = np.array(printed.getvalue())
"""
    try:
        import onnx  # noqa: F401
        pytest.skip("onnx is installed here")
    except ImportError:
        pass
    got, expected = run_both(code, mx)
    compare(got, expected)
    assert str(got["err/import_model"]).startswith("ImportError: Onnx")
