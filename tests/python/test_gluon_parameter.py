"""mx.gluon.Parameter, Constant and ParameterDict against MXNet 1.9.1.

One snippet runs under both frameworks (mxnet_oracle.run_both) and records
what a user observes: reprs, shapes and dtypes, symbol attributes,
deterministic initial values, gradients under write/add/null, casts,
deferred initialization, ParameterDict.get's shape merging, setattr,
zero_grad, and which mistakes raise which class. .params files cross
between the two frameworks both ways. kiln-only checks cover what MXNet
cannot show (sparse storage refused, MXNetError twins of its asserts)."""
import warnings

import numpy as np
import pytest

import kiln as mx
import kiln.gluon  # noqa: F401  (attaches mx.gluon before __init__ does)
from kiln.gluon import Constant, Parameter, ParameterDict
from kiln.gluon.parameter import DeferredInitializationError
from mxnet_oracle import compare_outputs, requires_oracle, run_both, \
    run_mxnet

_SNIPPET = r'''
import warnings
gluon = mx.gluon

def error_of(name, f):
    try:
        f()
        outputs["err/" + name] = np.array("none")
    except Exception as e:
        kinds = [k.__name__ for k in type(e).__mro__
                 if k.__name__ in ("AssertionError", "ValueError",
                                   "RuntimeError", "KeyError",
                                   "DeferredInitializationError")]
        outputs["err/" + name] = np.array(kinds[0])
        outputs["msg/" + name] = np.array(str(e).strip("'\"")[:90])

x = mx.nd.array(np.arange(8, dtype=np.float32).reshape(4, 2) / 8)

# Basics, reprs, the symbol of a parameter.
p = gluon.Parameter("w", shape=(2, 3), init=mx.init.One(), lr_mult=2.0,
                    wd_mult=0.5)
outputs["repr"] = np.array([repr(p), repr(gluon.Parameter("n")),
                            repr(gluon.Parameter("i", shape=4)),
                            repr(gluon.Parameter("d", dtype="float16"))])
outputs["var"] = np.array(sorted(p.var().attr_dict()["w"].items()))
outputs["var_same"] = np.array(p.var() is p.var())
error_of("data_uninit", lambda: p.data())
error_of("grad_uninit", lambda: p.grad())
error_of("list_ctx_uninit", lambda: p.list_ctx())
error_of("reset_ctx_uninit", lambda: p.reset_ctx(mx.cpu()))
error_of("bad_req", lambda: gluon.Parameter("b", grad_req="sometimes"))
error_of("bad_shape", lambda: gluon.Parameter("s", shape=(0, 3)).initialize())
p.initialize()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    p.initialize()
outputs["reinit_warning"] = np.array(str(caught[0].message))
outputs["data"] = p.data().asnumpy()
outputs["ctx"] = np.array(str(p.list_ctx()))
outputs["list"] = np.array([len(p.list_data()), len(p.list_grad())])

# Gradients: write, add (accumulates from zeros), zero_grad, null.
with mx.autograd.record():
    y = mx.nd.dot(x, p.data()).sum()
y.backward()
outputs["grad_write"] = p.grad().asnumpy()
p.grad_req = "add"
for _ in range(2):
    with mx.autograd.record():
        y = (mx.nd.dot(x, p.data()) * 2).sum()
    y.backward()
outputs["grad_add"] = p.grad().asnumpy()
p.zero_grad()
outputs["grad_zero"] = p.grad().asnumpy()
p.grad_req = "null"
error_of("grad_null", lambda: p.grad())
error_of("list_grad_null", lambda: p.list_grad())
p.grad_req = "write"
outputs["grad_rewrite"] = p.grad().asnumpy()
fixed = gluon.Parameter("f", shape=3, differentiable=False)
fixed.grad_req = "write"
outputs["not_differentiable"] = np.array([fixed.grad_req, str(fixed.shape)])

# set_data, cast, force_reinit with another initializer.
p.set_data(mx.nd.full((2, 3), 0.25))
outputs["set_data"] = p.data().asnumpy()
error_of("set_data_shape", lambda: p.set_data(mx.nd.ones((3, 3))))
p.cast("float64")
outputs["cast"] = np.array([str(p.dtype), str(p.data().dtype),
                            str(p.grad().dtype)])
with mx.autograd.record():
    y = mx.nd.dot(x.astype("float64"), p.data()).sum()
y.backward()
outputs["grad_cast"] = p.grad().asnumpy()
p.initialize(mx.init.Constant(0.5), force_reinit=True)
outputs["force_reinit"] = p.data().asnumpy()

# Deferred initialization.
q = gluon.Parameter("q", shape=(0, 3), allow_deferred_init=True,
                    init=mx.init.Constant(2.0))
q.initialize()
error_of("deferred", lambda: q.data())
outputs["deferred_ctx"] = np.array(str(q.list_ctx()))
error_of("deferred_finish", lambda: q._finish_deferred_init())
q.shape = (4, 3)
error_of("shape_incompatible", lambda: setattr(q, "shape", (5, 3)))
q.initialize()
q._finish_deferred_init()
outputs["deferred_value"] = q.data().asnumpy()
r = gluon.Parameter("r", shape=(0, 2), allow_deferred_init=True)
r.initialize()
r.set_data(mx.nd.full((3, 2), 7.0))
r._finish_deferred_init()
outputs["deferred_set_data"] = r.data().asnumpy()

# Constant.
c = gluon.Constant("c", [[1, 2], [3, 4]])
outputs["const"] = np.array([repr(c), c.grad_req])
outputs["const_init"] = np.array(c.var().attr_dict()["c"]["__init__"]
                                 .startswith("Constant_c_"))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    c.grad_req = "write"
outputs["const_warning"] = np.array(str(caught[0].message))
c.initialize()
outputs["const_value"] = c.data().asnumpy()
error_of("const_grad", lambda: c.grad())

# ParameterDict.
pd = gluon.ParameterDict("net_")
a = pd.get("a", shape=(2, 0), init=mx.init.One())
outputs["pd_get_same"] = np.array(pd.get("a") is a)
outputs["pd_merge"] = np.array(str(pd.get("a", shape=(2, 5)).shape))
error_of("pd_get_mismatch", lambda: pd.get("a", shape=(3, 5)))
error_of("pd_get_attr", lambda: pd.get("a", lr_mult=3.0))
pd.get("b", shape=(3,), dtype="float64", init=mx.init.Zero())
pd.get_constant("k", [5, 6])
error_of("pd_constant_missing", lambda: pd.get_constant("zz"))
error_of("pd_constant_not", lambda: pd.get_constant("a", [1]))
outputs["pd_repr"] = np.array(repr(pd))
outputs["pd_keys"] = np.array(list(pd.keys()))
other = gluon.ParameterDict("other_")
other.get("a", shape=(1,))
error_of("pd_update_clash", lambda: pd.update(
    {"net_a": gluon.Parameter("net_a", shape=(1,))}))
pd.update(other)
outputs["pd_updated"] = np.array(list(pd.keys()))
shared = gluon.ParameterDict("net_", shared=pd)
outputs["pd_shared"] = np.array(shared.get("a") is a)
pd.initialize()
pd.setattr("lr_mult", 0.5)
outputs["pd_setattr"] = np.array([v.lr_mult for v in pd.values()])
with mx.autograd.record():
    y = ((pd["net_a"].data() * 3).sum() +
         pd["net_b"].data().astype("float32").sum())
y.backward()
pd.zero_grad()
outputs["pd_zero"] = np.array([v.grad().asnumpy().sum() for v in
                               pd.values() if v.grad_req != "null"])
outputs["pd_ctx"] = np.array(str(pd.list_ctx()))
pd.setattr("grad_req", "null")
outputs["pd_null"] = np.array([v.grad_req for v in pd.values()])
'''


@requires_oracle
def test_parameters_behave_as_mxnet():
    got, want = run_both(_SNIPPET, mx)
    texts = [{key: str(value.tolist()) for key, value in outputs.items()
              if value.dtype.kind in "US"} for outputs in (got, want)]
    assert texts[0] == texts[1]  # reprs, messages, error classes
    compare_outputs(*[{key: value for key, value in outputs.items()
                       if key not in texts[0]} for outputs in (got, want)])


def _params(prefix="p_", dtype="float32"):
    pd = ParameterDict(prefix)
    pd.get("weight", shape=(3, 2), dtype=dtype)
    pd.get("bias", shape=(3,), dtype=dtype)
    pd.get("running", shape=(2,), grad_req="null", dtype=dtype)
    return pd


def _fill(pd):
    for index, param in enumerate(pd.values()):
        shape = param.shape
        param.set_data(mx.nd.array(
            np.arange(np.prod(shape)).reshape(shape) * (index + 1) / 10.0,
            dtype=param.dtype))


@requires_oracle
def test_params_files_cross_both_ways(tmp_path):
    ours = str(tmp_path / "kiln.params")
    pd = _params()
    pd.initialize()
    _fill(pd)
    pd.save(ours, strip_prefix="p_")
    theirs = str(tmp_path / "mxnet.params")
    got = run_mxnet('''
        gluon = mx.gluon
        pd = gluon.ParameterDict("q_")
        pd.get("weight", shape=(3, 2)); pd.get("bias", shape=(3,))
        pd.get("running", shape=(2,), grad_req="null")
        pd.load(inputs["ours"].item(), restore_prefix="q_")
        for k, v in pd.items():
            outputs[k] = v.data().asnumpy()
        for k, v in pd.items():
            v.set_data(v.data() * 2)
        pd.save(inputs["theirs"].item())
        outputs["keys"] = np.array(sorted(mx.nd.load(
            inputs["theirs"].item()).keys()))
    ''', ours=np.array(ours), theirs=np.array(theirs))
    for key, param in pd.items():
        np.testing.assert_array_equal(got["q_" + key[2:]],
                                      param.data().asnumpy())
    assert list(got["keys"]) == ["q_bias", "q_running", "q_weight"]
    back = _params("q_")
    back.load(theirs)
    for key, param in back.items():
        np.testing.assert_array_equal(param.data().asnumpy(), got[key] * 2)


def test_save_load_keys_prefixes_and_errors(tmp_path):
    path = str(tmp_path / "p.params")
    pd = _params()
    pd.initialize()
    _fill(pd)
    pd.save(path)
    assert sorted(mx.nd.load(path).keys()) == ["p_bias", "p_running",
                                               "p_weight"]
    with pytest.raises(ValueError, match="Prefix 'x_' is to be striped"):
        pd.save(path, strip_prefix="x_")
    # arg:/aux: names (exported files) load by their plain names.
    mx.nd.save(path, {"arg:p_weight": pd["p_weight"].data() + 1,
                      "arg:p_bias": pd["p_bias"].data(),
                      "aux:p_running": pd["p_running"].data()})
    fresh = _params()
    fresh.load(path)
    np.testing.assert_array_equal(fresh["p_weight"].data().asnumpy(),
                                  pd["p_weight"].data().asnumpy() + 1)
    small = ParameterDict("p_")
    small.get("weight", shape=(3, 2))
    with pytest.raises(AssertionError, match="Parameter 'p_bias' loaded "
                       "from file: .* is not present in ParameterDict"):
        small.load(path)
    small.load(path, ignore_extra=True)
    big = _params()
    big.get("extra", shape=(1,))
    with pytest.raises(mx.base.MXNetError, match="Parameter 'p_extra' is "
                       "missing in file: .*p.params"):
        big.load(path)
    big.load(path, allow_missing=True)
    with pytest.raises(AssertionError, match="restore_prefix is 'zz_'"):
        _params().load(path, restore_prefix="zz_")
    wrong = ParameterDict("p_")
    wrong.get("weight", shape=(2, 2))
    with pytest.raises(mx.base.MXNetError, match="shape incompatible "
                       r"expected \(2, 2\) vs saved \(3, 2\)"):
        wrong.load(path, ignore_extra=True)
    doubles = _params(dtype="float64")
    with pytest.raises(AssertionError, match="dtype incompatible expected "
                       "float64"):
        doubles.load(path)
    doubles.load(path, cast_dtype=True)
    assert doubles["p_weight"].data().dtype == np.float64
    saved = _params(dtype="float64")
    saved.load(path, cast_dtype=True, dtype_source="saved")
    assert saved["p_weight"].data().dtype == np.float32


def test_load_dict_and_deferred_load():
    pd = ParameterDict("d_")
    pd.get("w", shape=(0, 4), allow_deferred_init=True)
    pd.initialize()
    with pytest.raises(DeferredInitializationError):
        pd["d_w"].data()
    pd.load_dict({"d_w": mx.nd.ones((2, 4))})
    assert pd["d_w"].shape == (2, 4)
    np.testing.assert_array_equal(pd["d_w"].data().asnumpy(), 1)
    assert pd["d_w"].grad().shape == (2, 4)


def test_asserts_are_mxnet_errors_too():
    # MXNet raises AssertionError; kiln's are MXNetErrors as well, so code
    # catching either keeps working.
    with pytest.raises(mx.base.MXNetError, match="grad_req must be one of"):
        Parameter("w", grad_req="sometimes")
    with pytest.raises(AssertionError, match="grad_req must be one of"):
        Parameter("w", grad_req="sometimes")
    with pytest.raises(mx.base.MXNetError, match="invalid shape"):
        Parameter("w", shape=(0, 2)).initialize()
    with pytest.raises(ValueError, match="invalid shape"):
        Parameter("w", shape=(0, 2)).initialize()


def test_sparse_storage_is_refused():
    for stype in ("row_sparse", "csr"):
        with pytest.raises(mx.base.MXNetError,
                           match="Parameter 'emb_weight': stype '%s' is not "
                           "supported" % stype):
            Parameter("emb_weight", shape=(4, 2), stype=stype)
        with pytest.raises(mx.base.MXNetError, match="grad_stype"):
            Parameter("emb_weight", shape=(4, 2), grad_stype=stype)
    with pytest.raises(AssertionError, match="must be one of 'default'"):
        Parameter("w", stype="dense")
    p = Parameter("w", shape=(2,))
    p.initialize()
    with pytest.raises(mx.base.MXNetError, match="row_sparse_data"):
        p.row_sparse_data(mx.nd.array([0]))


def test_parameter_gradients_through_mark_variables():
    # Two parameters used together: each gets its own gradient, and
    # 'null' ones none (their data is detached).
    w = Parameter("w", shape=(2, 2), init=mx.init.One())
    b = Parameter("b", shape=(2,), init=mx.init.Zero(), grad_req="null")
    w.initialize()
    b.initialize()
    x = mx.nd.array([[1, 2], [3, 4]])
    with mx.autograd.record():
        y = (mx.nd.dot(x, w.data()) + b.data()).sum()
    y.backward()
    np.testing.assert_array_equal(w.grad().asnumpy(), [[4, 4], [6, 6]])
    with pytest.raises(mx.base.MXNetError, match="grad_req='null'"):
        b.grad()


def test_reset_ctx_and_reduce_keep_values():
    p = Parameter("w", shape=(2, 3), init=mx.init.Constant(3.0))
    p.initialize(ctx=[mx.cpu(0)])
    p.reset_ctx(mx.cpu(0))
    np.testing.assert_array_equal(p.data().asnumpy(), 3.0)
    np.testing.assert_array_equal(p._reduce().asnumpy(), 3.0)
    assert p.grad().shape == (2, 3)
    with pytest.raises(mx.base.MXNetError, match="was not initialized on "
                       "context gpu\\(0\\)"):
        p.data(mx.gpu(0))


def test_constant_values_and_get_constant():
    pd = ParameterDict("c_")
    c = pd.get_constant("k", np.array([1.5, 2.5], dtype=np.float32))
    assert isinstance(c, Constant)
    assert pd.get_constant("k", [1.5, 2.5]) is c
    with pytest.raises(AssertionError, match="value doesn't match"):
        pd.get_constant("k", [1.5, 3.5])
    pd.initialize()
    np.testing.assert_array_equal(c.data().asnumpy(), [1.5, 2.5])
    pd.zero_grad()  # constants have no gradient: nothing to do
    with pytest.raises(mx.base.MXNetError, match="grad_req='null'"):
        c.grad()


def test_finish_deferred_init_with_unknown_shape_names_parameter():
    p = Parameter("late", shape=(0, 3), allow_deferred_init=True)
    p.initialize()
    with pytest.raises(AssertionError, match="Cannot initialize Parameter "
                       "'late' because it has invalid shape: \\(0, 3\\)"):
        p._finish_deferred_init()
