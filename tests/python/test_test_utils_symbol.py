"""mx.test_utils' Symbol, optimizer and data helpers (kiln/_symbol_checks.py,
kiln/_test_data.py): the same calls pass, fail with AssertionError and
return the same values under kiln and MXNet 1.9.1 live; downloads run
against a local HTTP server.
"""
import bz2
import functools
import http.server
import os
import threading
import zipfile

import numpy as np
import pytest

import kiln as mx
import kiln.test_utils  # noqa: F401  (attaches mx.test_utils)
from mxnet_oracle import compare_outputs, requires_oracle, run_both

# Each check runs under both frameworks; outputs["ok/<name>"] says whether
# it passed (False: AssertionError), other outputs are what it returned.
CHECKS = """
from mxnet import test_utils as tu
def attempt(name, f):
    try:
        result = f()
        outputs["ok/" + name] = np.array(True)
        return result
    except AssertionError:
        outputs["ok/" + name] = np.array(False)

np.random.seed(3)
a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
m1 = np.array([[1., 2.], [3., 4.]]); m2 = np.array([[5., 6.], [7., 8.]])
dot = mx.sym.dot(a, b)
outs = attempt("forward", lambda: tu.check_symbolic_forward(
    dot, [m1, m2], [m1 @ m2]))
outputs["forward/out"] = outs[0].asnumpy()
attempt("forward_dict", lambda: tu.check_symbolic_forward(
    dot, {"a": m1, "b": m2}, {dot.list_outputs()[0]: m1 @ m2}))
attempt("forward_wrong", lambda: tu.check_symbolic_forward(
    dot, [m1, m2], [m1 @ m2 + 1]))
add = mx.sym.elemwise_add(a, b)
ones = np.ones((2, 2))
# (elemwise_add would do: MXNet 1.9.1's executor adds a wrong gradient to
# b under grad_req='add' there; kiln's is right.)
for req in ("write", "add", "null"):
    grads = attempt("backward_" + req, lambda: tu.check_symbolic_backward(
        a * b, [m1, m2], [ones * 2], [m2 * 2, m1 * 2], grad_req=req))
attempt("backward_wrong", lambda: tu.check_symbolic_backward(
    add, {"a": m1, "b": m2}, [ones], {"a": ones, "b": ones * 3}))
grads = tu.check_symbolic_backward(mx.sym.dot(a, b), [m1, m2], [ones],
                                   [ones @ m2.T, m1.T @ ones])
outputs["backward/a"] = grads["a"].asnumpy()
x = np.random.uniform(0.5, 1.5, (3, 4))
y = np.random.uniform(0.5, 1.5, (3, 4))
attempt("numeric", lambda: tu.check_numeric_gradient(
    mx.sym.tanh(a) * mx.sym.log(b), [x, y], rtol=1e-2, atol=1e-3))
attempt("numeric_nodes", lambda: tu.check_numeric_gradient(
    mx.sym.tanh(a) * mx.sym.log(b), {"a": x, "b": y},
    grad_nodes={"a": "add", "b": "null"}, rtol=1e-2, atol=1e-3))
attempt("numeric_float64", lambda: tu.check_numeric_gradient(
    mx.sym.sin(a) * b, [x, y], numeric_eps=1e-6, rtol=1e-5, atol=1e-7,
    dtype=np.float64))
attempt("numeric_wrong", lambda: tu.check_numeric_gradient(
    mx.sym.BlockGrad(a) * b, [x, y], rtol=1e-2, atol=1e-3))
data = mx.sym.Variable("data")
bn = mx.sym.BatchNorm(data, fix_gamma=False, use_global_stats=True, name="bn")
d = np.random.normal(size=(2, 3, 2))
gamma, beta = np.array([1., 2., .5]), np.array([0., 1., -1.])
mean, var = np.array([.1, .2, .3]), np.array([1., 2., 4.])
expected = ((d - mean[:, None]) / np.sqrt(var[:, None] + 1e-3) *
            gamma[:, None] + beta[:, None])
attempt("forward_aux", lambda: tu.check_symbolic_forward(
    bn, [d, gamma, beta], [expected], aux_states=[mean, var], rtol=1e-4,
    atol=1e-5))
outputs["simple"] = tu.simple_forward(dot, a=m1, b=m2)
fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
truth = tu.check_consistency(fc, [
    {"ctx": mx.cpu(0), "data": (2, 4), "type_dict": {"data": np.float64}},
    {"ctx": mx.cpu(0), "data": (2, 4), "type_dict": {"data": np.float32}}],
    rtol=1e-3, atol=1e-4)
outputs["consistency/names"] = np.array(sorted(truth))
outputs["structure/same"] = np.array(tu.same_symbol_structure(
    mx.sym.tanh(a) + b, mx.sym.tanh(b) + a))
outputs["structure/other"] = np.array(tu.same_symbol_structure(
    mx.sym.tanh(a) + b, mx.sym.sin(a) + b))
attempt("optimizer_same", lambda: tu.compare_optimizer(
    mx.optimizer.SGD(learning_rate=0.1, momentum=0.9),
    mx.optimizer.SGD(learning_rate=0.1, momentum=0.9), (3, 4), np.float32))
attempt("optimizer_differ", lambda: tu.compare_optimizer(
    mx.optimizer.SGD(learning_rate=0.1), mx.optimizer.SGD(learning_rate=0.2),
    (3, 4), np.float32))
it = mx.io.NDArrayIter(np.arange(24, dtype=np.float32).reshape(6, 4),
                       np.arange(6), batch_size=2)
dummy = tu.DummyIter(it)
batches = [next(dummy) for _ in range(5)]
outputs["dummy/data"] = np.stack([b_.data[0].asnumpy() for b_ in batches])
outputs["dummy/size"] = np.array(dummy.batch_size)
"""


@requires_oracle
def test_checks_agree_with_mxnet():
    got, expected = run_both(CHECKS, mx)
    names = [k for k, v in expected.items() if v.dtype.kind == "U"]
    for name in names:
        np.testing.assert_array_equal(got.pop(name), expected.pop(name))
    assert names == ["consistency/names"]
    compare_outputs(got, expected)
    # Both outcomes are reached.
    outcomes = [bool(v) for k, v in expected.items() if k.startswith("ok/")]
    assert 5 <= sum(outcomes) < len(outcomes)


def test_gluon_hybridize_consistency():
    # MXNet 1.9.1's runs under use_np (mx.np arrays), which kiln lacks;
    # kiln's takes legacy NDArrays.
    def dense(prefix):
        return mx.gluon.nn.Dense(3, in_units=4, prefix=prefix)
    data = np.random.normal(size=(2, 4)).astype(np.float32)
    mx.test_utils.check_gluon_hybridize_consistency(dense, [mx.nd.array(data)])

    def scaled(prefix):
        block = mx.gluon.nn.HybridLambda(lambda F, x: F.tanh(x) * 3,
                                         prefix=prefix)
        return block
    mx.test_utils.check_gluon_hybridize_consistency(
        scaled, [mx.nd.array(data)], numpy_func=lambda x: np.tanh(x) * 3)
    with pytest.raises(AssertionError):
        mx.test_utils.check_gluon_hybridize_consistency(
            scaled, [mx.nd.array(data)], numpy_func=lambda x: np.tanh(x))


def test_check_speed_times_and_refuses_other_kinds():
    a = mx.sym.Variable("a")
    seconds = mx.test_utils.check_speed(mx.sym.tanh(a), ctx=mx.cpu(), N=3,
                                        a=(4, 5))
    assert 0 < seconds < 10
    seconds = mx.test_utils.check_speed(
        mx.sym.tanh(a), location={"a": np.ones((2, 2))}, N=2, typ="forward")
    assert 0 < seconds < 10
    with pytest.raises(ValueError, match="typ can only be"):
        mx.test_utils.check_speed(mx.sym.tanh(a), N=1, typ="backward",
                                  a=(2,))


def test_locations_must_name_every_argument():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    with pytest.raises(ValueError, match="do not match"):
        mx.test_utils.check_symbolic_forward(a + b, {"a": np.ones(2)},
                                             [np.ones(2)])


def test_function_form_of_check_numeric_gradient_still_works():
    mx.test_utils.check_numeric_gradient(lambda x: mx.nd.tanh(x) * 2,
                                         [np.random.uniform(-1, 1, (3,))])
    with pytest.raises(AssertionError):
        mx.test_utils.check_numeric_gradient(
            lambda x: mx.nd.BlockGrad(x) * 2, [np.ones((3,))])


@pytest.fixture
def server(tmp_path):
    """A local HTTP server over tmp_path/served: (base URL, that folder)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(served))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/" % httpd.server_address[1], served
    httpd.shutdown()
    httpd.server_close()


def test_download_fetches_skips_and_overwrites(server, tmp_path):
    base, served = server
    (served / "a.txt").write_bytes(b"first")
    target = tmp_path / "out"
    name = mx.test_utils.download(base + "a.txt", dirname=str(target))
    assert name == str(target / "a.txt") and open(name, "rb").read() == b"first"
    (served / "a.txt").write_bytes(b"second")
    mx.test_utils.download(base + "a.txt", dirname=str(target))
    assert open(name, "rb").read() == b"first"  # kept: no overwrite
    mx.test_utils.download(base + "a.txt", dirname=str(target),
                           overwrite=True)
    assert open(name, "rb").read() == b"second"
    with pytest.raises(Exception):
        mx.test_utils.download(base + "missing.txt",
                               fname=str(tmp_path / "m.txt"), retries=1)
    with pytest.raises(AssertionError, match="retries"):
        mx.test_utils.download(base + "a.txt", retries=-1)


def test_zip_bz2_and_model_getters(server, tmp_path):
    base, served = server
    with zipfile.ZipFile(served / "pack.zip", "w") as archive:
        archive.writestr("inner.txt", "zipped")
    (served / "data.bz2").write_bytes(bz2.compress(b"line 1\nline 2\n"))
    (served / "m-symbol.json").write_text("{}")
    (served / "m.params").write_bytes(b"\0")
    folder = str(tmp_path / "d")
    mx.test_utils.get_zip_data(folder, base + "pack.zip", "pack.zip")
    assert open(os.path.join(folder, "inner.txt")).read() == "zipped"
    mx.test_utils.get_bz2_data(folder, "data.txt", base + "data.bz2",
                               "data.bz2")
    assert open(os.path.join(folder, "data.txt"), "rb").read() == \
        b"line 1\nline 2\n"
    assert not os.path.exists(os.path.join(folder, "data.bz2"))
    meta = {"m": {"symbol": base + "m-symbol.json", "params": base + "m.params"}}
    prefix, epoch = mx.test_utils.download_model("m", folder, meta)
    assert (prefix, epoch) == (os.path.join(folder, "m"), 0)
    assert os.path.isfile(prefix + "-0000.params")
    assert mx.test_utils.download_model("unknown", folder, meta) == (None, 0)


def test_im2rec_path_is_looked_up_as_mxnet(tmp_path, monkeypatch):
    tool = tmp_path / "tools" / "im2rec.py"
    tool.parent.mkdir()
    tool.write_text("")
    monkeypatch.setenv("KILN_TEST_HOME", str(tmp_path))
    assert mx.test_utils.get_im2rec_path("KILN_TEST_HOME") == str(tool)
    monkeypatch.setenv("KILN_TEST_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(IOError, match="im2rec"):
        mx.test_utils.get_im2rec_path("KILN_TEST_HOME")
