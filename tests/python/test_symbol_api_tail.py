"""MXNet 1.9.1 names outside mx.nd that kiln added last: mx.sym's
softmax_cross_entropy, IdentityAttachKLSparseReg, register, gen_*,
sparse and cast_storage; mx.sym.contrib's adamw_update, mp_adamw_update,
group_adagrad_update, rand_zipfian and the csr-only operators;
mx.operator.get_operator_arguments; and the re-exports mx.callback.
save_checkpoint, mx.init.load, mx.rnn.save_checkpoint/load_checkpoint.

Behaviour is compared with MXNet 1.9.1 through simple_bind, in one oracle
call. MXNet 1.9.1 cannot compose the optimizer update symbols ('Not
enough argument to call operator _adamw_update'), so their executors are
compared with mx.nd.contrib's calls there (group_adagrad_update's with a
row_sparse gradient holding every row, the only kind MXNet runs).
"""
import numpy as np
import pytest

import kiln as mx
import kiln.symbol._contrib_tail as sym_contrib
import kiln.symbol._gen_modules as gen_modules
import kiln.symbol._legacy_losses as legacy
import kiln.symbol.register as sym_register
import kiln.symbol.sparse as sym_sparse
import kiln._operator_arguments as operator_arguments
from mxnet_oracle import requires_oracle, run_mxnet

MXNetError = mx.base.MXNetError
OPS = ["broadcast_add", "add_n", "ElementWiseSum", "Convolution", "Dropout",
       "BatchNorm", "_contrib_box_nms", "softmax_cross_entropy",
       "IdentityAttachKLSparseReg", "Custom"]

_ORACLE = '''
C = mx.sym.contrib
x, d, lbl = inputs["x"], inputs["d"], inputs["l"]
# softmax_cross_entropy: forward and the gradient of data.
s = mx.sym.softmax_cross_entropy(mx.sym.var("d"), mx.sym.var("l"))
outputs["sce_names"] = np.array(s.list_arguments() + s.list_outputs() + [s.name])
ex = s.simple_bind(mx.cpu(), grad_req={"d": "write", "l": "null"},
                   d=d.shape, l=lbl.shape)
ex.arg_dict["d"][:] = d; ex.arg_dict["l"][:] = lbl
outputs["sce_out"] = ex.forward(is_train=True)[0].asnumpy()
ex.backward(mx.nd.ones((1,)))
outputs["sce_grad"] = ex.grad_dict["d"].asnumpy()
# IdentityAttachKLSparseReg: two training steps on 2-D data; 3-D data
# runs forward, and backward fails.
s = mx.sym.IdentityAttachKLSparseReg(mx.sym.var("x"), sparseness_target=0.2,
                                     penalty=0.5, momentum=0.8, name="kl")
outputs["kl_names"] = np.array(s.list_arguments() + s.list_auxiliary_states()
                               + s.list_outputs())
ex = s.simple_bind(mx.cpu(), x=(3, 2))
ex.arg_dict["x"][:] = x[:6].reshape(3, 2)
outputs["kl_out"] = ex.forward(is_train=True)[0].asnumpy()
ex.backward(mx.nd.ones((3, 2)))
outputs["kl_grad1"] = ex.grad_dict["x"].asnumpy()
ex.forward(is_train=True); ex.backward(mx.nd.ones((3, 2)) * 2)
outputs["kl_grad2"] = ex.grad_dict["x"].asnumpy()
outputs["kl_avg"] = ex.aux_dict["kl_moving_avg"].asnumpy()
outputs["kl_test"] = ex.forward(is_train=False)[0].asnumpy()
ex = s.simple_bind(mx.cpu(), x=(2, 3, 2))
ex.arg_dict["x"][:] = x.reshape(2, 3, 2)
outputs["kl3_out"] = ex.forward(is_train=True)[0].asnumpy()
outputs["kl3_avg_shape"] = np.array(ex.aux_dict["kl_moving_avg"].shape)
try:
    ex.backward(mx.nd.ones((2, 3, 2))); ex.grad_dict["x"].asnumpy()
    outputs["kl3_backward_fails"] = np.array(False)
except mx.base.MXNetError:
    outputs["kl3_backward_fails"] = np.array(True)
s = mx.sym.IdentityAttachKLSparseReg(mx.sym.var("x"))
outputs["kl_default_name"] = np.array([s.name] + s.list_auxiliary_states())
# The optimizer updates: MXNet's symbols refuse to compose.
try:
    C.adamw_update(*[mx.sym.var(n) for n in "wgmv"], 1.0, lr=0.1, eta=1.0)
    outputs["adamw_sym_fails"] = np.array(False)
except mx.base.MXNetError:
    outputs["adamw_sym_fails"] = np.array(True)
w, g, m, v = (mx.nd.array(inputs[k]) for k in "wgmv")
C_nd = mx.nd.contrib
C_nd.adamw_update(w, g, m, v, 0.5, lr=0.1, eta=0.9, wd=0.01, out=w)
outputs["adamw_w"], outputs["adamw_m"], outputs["adamw_v"] = w.asnumpy(), m.asnumpy(), v.asnumpy()
w, g, m, v = (mx.nd.array(inputs[k], dtype="float16") for k in "wgmv")
m, v = m.astype("float32"), v.astype("float32")
w32 = mx.nd.array(inputs["w"])
C_nd.mp_adamw_update(w, g, m, v, w32, mx.nd.array([2.0]), lr=0.05, eta=1.0,
                     clip_gradient=0.5, out=w)
outputs["mp_w"], outputs["mp_m"], outputs["mp_v"], outputs["mp_w32"] = (
    w.asnumpy(), m.asnumpy(), v.asnumpy(), w32.asnumpy())
w, h = mx.nd.array(inputs["w"]), mx.nd.array(inputs["h"])
gs = mx.nd.array(inputs["g"]).tostype("row_sparse")
C_nd.group_adagrad_update(w, gs, h, lr=0.1, rescale_grad=0.5, out=w)
outputs["gag_w"], outputs["gag_h"] = w.asnumpy(), h.asnumpy()
# rand_zipfian: shapes, dtypes, the deterministic expected counts.
z = C.rand_zipfian(mx.sym.var("t"), 6, 10)
ex = mx.sym.Group(list(z)).simple_bind(mx.cpu(), t=(3,))
ex.arg_dict["t"][:] = np.array([1, 2, 7])
got = ex.forward()
outputs["zipf_dtypes"] = np.array([str(np.dtype(o.dtype)) for o in got])
outputs["zipf_true"] = got[1].asnumpy()
try:
    C.rand_zipfian(mx.nd.array([1]), 6, 10)
except AssertionError as e:
    outputs["zipf_nd_error"] = np.array(str(e))
# cast_storage to default; a bad stype.
s = mx.sym.cast_storage(mx.sym.var("x"), stype="default")
ex = s.simple_bind(mx.cpu(), x=(3, 2)); ex.arg_dict["x"][:] = x[:6].reshape(3, 2)
outputs["cast_name"] = np.array(s.name)
outputs["cast_out"] = ex.forward()[0].asnumpy()
# get_operator_arguments.
for op in %r:
    args = mx.operator.get_operator_arguments(op)
    outputs["args_" + op] = np.array([str(args.narg)] + args.names)
    outputs["types_" + op] = np.array(args.types)
# The re-exports.
outputs["reexports"] = np.array([
    mx.callback.save_checkpoint is mx.model.save_checkpoint,
    mx.init.load is mx.nd.load,
    mx.rnn.save_checkpoint is mx.model.save_checkpoint,
    mx.rnn.load_checkpoint is mx.model.load_checkpoint])
''' % (OPS,)


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.RandomState(3)
    return {
        "x": rng.uniform(0.05, 0.9, size=12).astype(np.float32),
        "d": rng.randn(4, 5).astype(np.float32),
        "l": np.array([0, 4, 2, 1], dtype=np.float32),
        "w": rng.randn(3, 4).astype(np.float32),
        "g": rng.randn(3, 4).astype(np.float32),
        "m": rng.rand(3, 4).astype(np.float32),
        "v": rng.rand(3, 4).astype(np.float32),
        "h": rng.rand(3, 1).astype(np.float32),
    }


@pytest.fixture(scope="module")
def oracle(arrays):
    return run_mxnet(_ORACLE, **arrays)


def _bind(symbol, **shapes):
    return symbol.simple_bind(mx.cpu(), **shapes)


@requires_oracle
def test_softmax_cross_entropy_symbol(oracle, arrays):
    s = legacy.softmax_cross_entropy(mx.sym.var("d"), mx.sym.var("l"))
    assert s.list_arguments() + s.list_outputs() + [s.name] == \
        list(oracle["sce_names"])
    ex = s.simple_bind(mx.cpu(), grad_req={"d": "write", "l": "null"},
                       d=(4, 5), l=(4,))
    ex.arg_dict["d"][:] = arrays["d"]
    ex.arg_dict["l"][:] = arrays["l"]
    np.testing.assert_allclose(ex.forward(is_train=True)[0].asnumpy(),
                               oracle["sce_out"], rtol=1e-5)
    ex.backward(mx.nd.ones((1,)))
    np.testing.assert_allclose(ex.grad_dict["d"].asnumpy(), oracle["sce_grad"],
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(MXNetError, match="data label shape mismatch"):
        s.infer_shape(d=(4, 5), l=(3,))
    with pytest.raises(MXNetError, match="only accept 2D data"):
        s.infer_shape(d=(4, 5, 2), l=(4,))


@requires_oracle
def test_identity_attach_kl_sparse_reg_symbol(oracle, arrays):
    s = legacy.IdentityAttachKLSparseReg(mx.sym.var("x"), sparseness_target=0.2,
                                         penalty=0.5, momentum=0.8, name="kl")
    assert s.list_arguments() + s.list_auxiliary_states() + s.list_outputs() \
        == list(oracle["kl_names"])
    ex = _bind(s, x=(3, 2))
    ex.arg_dict["x"][:] = arrays["x"][:6].reshape(3, 2)
    np.testing.assert_allclose(ex.forward(is_train=True)[0].asnumpy(), oracle["kl_out"])
    ex.backward(mx.nd.ones((3, 2)))
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), oracle["kl_grad1"], rtol=1e-5)
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((3, 2)) * 2)
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), oracle["kl_grad2"], rtol=1e-5)
    np.testing.assert_allclose(ex.aux_dict["kl_moving_avg"].asnumpy(), oracle["kl_avg"],
                               rtol=1e-6)
    np.testing.assert_allclose(ex.forward(is_train=False)[0].asnumpy(), oracle["kl_test"])
    ex = _bind(s, x=(2, 3, 2))
    ex.arg_dict["x"][:] = arrays["x"].reshape(2, 3, 2)
    np.testing.assert_allclose(ex.forward(is_train=True)[0].asnumpy(), oracle["kl3_out"])
    assert ex.aux_dict["kl_moving_avg"].shape == tuple(oracle["kl3_avg_shape"])
    assert bool(oracle["kl3_backward_fails"])
    with pytest.raises(MXNetError, match="backward takes 2-D data"):
        ex.backward(mx.nd.ones((2, 3, 2)))
        ex.grad_dict["x"].asnumpy()
    s = legacy.IdentityAttachKLSparseReg(mx.sym.var("x"))
    assert [s.name] + s.list_auxiliary_states() == list(oracle["kl_default_name"])
    with pytest.raises(MXNetError, match="Cannot find argument 'foo'"):
        _bind(legacy.IdentityAttachKLSparseReg(mx.sym.var("x"), foo=1), x=(2, 3))


@requires_oracle
def test_optimizer_update_symbols_give_mx_nd_contrib_results(oracle, arrays):
    assert bool(oracle["adamw_sym_fails"])  # why the comparison is with mx.nd
    w, g, m, v = (mx.sym.var(n) for n in "wgmv")
    shapes = {k: (3, 4) for k in "wgmv"}
    ex = _bind(sym_contrib.adamw_update(w, g, m, v, 0.5, lr=0.1, eta=0.9, wd=0.01),
               **shapes)
    for k in "wgmv":
        ex.arg_dict[k][:] = arrays[k]
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), oracle["adamw_w"], rtol=1e-5)
    np.testing.assert_allclose(ex.arg_dict["m"].asnumpy(), oracle["adamw_m"], rtol=1e-5)
    np.testing.assert_allclose(ex.arg_dict["v"].asnumpy(), oracle["adamw_v"], rtol=1e-5)

    s = sym_contrib.mp_adamw_update(w, g, m, v, mx.sym.var("w32"), mx.sym.var("r"),
                                    lr=0.05, eta=1.0, clip_gradient=0.5)
    assert s.infer_type(w="float16", g="float16", m="float32", v="float32",
                        w32="float32", r="float32")[1] == [np.float16]
    args = {k: mx.nd.array(arrays[k], dtype="float16" if k in "wg" else "float32")
            for k in "wgmv"}
    args["w32"] = mx.nd.array(arrays["w"])
    args["r"] = mx.nd.array([2.0])
    ex = s.bind(mx.cpu(), args=args)
    out = ex.forward()[0]
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.asnumpy(), oracle["mp_w"], rtol=2e-3)
    # float16 gradients: kiln and MXNet round the float32 update apart.
    np.testing.assert_allclose(args["w32"].asnumpy(), oracle["mp_w32"], rtol=1e-4)
    np.testing.assert_allclose(args["m"].asnumpy(), oracle["mp_m"], rtol=1e-3)
    np.testing.assert_allclose(args["v"].asnumpy(), oracle["mp_v"], rtol=1e-3)

    s = sym_contrib.group_adagrad_update(w, g, mx.sym.var("h"), lr=0.1, rescale_grad=0.5)
    assert s.list_arguments() == ["w", "g", "h"] and s.name.startswith("group_adagrad_update")
    ex = _bind(s, w=(3, 4), g=(3, 4), h=(3, 1))
    for k in "wgh":
        ex.arg_dict[k][:] = arrays[k]
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), oracle["gag_w"], rtol=1e-5)
    np.testing.assert_allclose(ex.arg_dict["h"].asnumpy(), oracle["gag_h"], rtol=1e-5)
    with pytest.raises(MXNetError, match="Required parameter lr"):
        _bind(sym_contrib.group_adagrad_update(w, g, mx.sym.var("h")),
              w=(3, 4), g=(3, 4), h=(3, 1))
    with pytest.raises(MXNetError, match="history has shape"):
        s.infer_shape(w=(3, 4), g=(3, 4), h=(2, 1))


@requires_oracle
def test_rand_zipfian_symbol(oracle):
    z = sym_contrib.rand_zipfian(mx.sym.var("t"), 6, 10)
    ex = _bind(mx.sym.Group(list(z)), t=(3,))
    ex.arg_dict["t"][:] = np.array([1, 2, 7])
    sampled, true_count, sampled_count = ex.forward()
    assert [str(np.dtype(o.dtype)) for o in (sampled, true_count, sampled_count)] == \
        list(oracle["zipf_dtypes"])
    np.testing.assert_allclose(true_count.asnumpy(), oracle["zipf_true"], rtol=1e-12)
    classes = sampled.asnumpy()
    assert classes.shape == (6,) and ((classes >= 0) & (classes < 10)).all()
    expected = np.log((classes + 2.0) / (classes + 1.0)) / np.log(11) * 6
    np.testing.assert_allclose(sampled_count.asnumpy(), expected, rtol=1e-12)
    with pytest.raises(AssertionError) as error:
        sym_contrib.rand_zipfian(mx.nd.array([1]), 6, 10)
    assert str(error.value).split("'")[0] == str(oracle["zipf_nd_error"]).split("'")[0]


@requires_oracle
def test_cast_storage_and_sparse_symbols(oracle, arrays):
    s = sym_sparse.cast_storage(mx.sym.var("x"), stype="default")
    assert s.name == str(oracle["cast_name"])
    ex = _bind(s, x=(3, 2))
    ex.arg_dict["x"][:] = arrays["x"][:6].reshape(3, 2)
    np.testing.assert_array_equal(ex.forward()[0].asnumpy(), oracle["cast_out"])
    for stype in ("csr", "row_sparse"):
        with pytest.raises(MXNetError, match="sparse storage"):
            sym_sparse.cast_storage(mx.sym.var("x"), stype=stype)
    with pytest.raises(MXNetError, match="Invalid Input: 'foo'"):
        sym_sparse.cast_storage(mx.sym.var("x"), stype="foo")
    for function in (sym_sparse.dot, sym_sparse.retain, gen_modules.gen_sparse.sgd_update,
                     sym_contrib.getnnz, sym_contrib.edge_id, sym_contrib.dgl_subgraph,
                     sym_contrib.SparseEmbedding):
        with pytest.raises(MXNetError, match="sparse storage .* not supported"):
            function(mx.sym.var("x"))


def test_register_and_gen_modules():
    add = sym_register._make_symbol_function(None, "broadcast_add", "MyAdd")
    s = add(mx.sym.var("a"), mx.sym.var("b"))
    assert s.name.startswith("myadd") and s.list_arguments() == ["a", "b"]
    ex = _bind(s, a=(2,), b=(2,))
    ex.arg_dict["a"][:] = 1
    ex.arg_dict["b"][:] = 2
    np.testing.assert_array_equal(ex.forward()[0].asnumpy(), [3, 3])
    with pytest.raises(MXNetError, match="no operator 'no_such_op'"):
        sym_register._make_symbol_function(None, "no_such_op", "f")
    assert gen_modules.gen_op.relu is mx.sym.relu
    assert gen_modules.gen_linalg.gemm2 is mx.sym.linalg.gemm2
    assert gen_modules.gen__internal._plus_scalar is mx.sym._internal._plus_scalar
    assert gen_modules.gen_sparse is sym_sparse


@requires_oracle
def test_get_operator_arguments(oracle):
    for op in OPS:
        args = operator_arguments.get_operator_arguments(op)
        assert isinstance(args, operator_arguments.OperatorArguments)
        assert [str(args.narg)] + args.names == list(oracle["args_" + op]), op
        assert len(args.types) == args.narg
        want = list(oracle["types_" + op])
        inputs = [t for t in want if t.startswith("NDArray-or-Symbol")]
        assert args.types[:len(inputs)] == inputs, op
        # Required and optional parameters as MXNet marks them.
        for have, expected in zip(args.types[len(inputs):], want[len(inputs):]):
            assert have.endswith(", required") == expected.endswith(", required"), op
    with pytest.raises(MXNetError, match="Operator no_such_op is not registered"):
        operator_arguments.get_operator_arguments("no_such_op")
    with pytest.raises(AttributeError, match="op_name expected a str"):
        operator_arguments.get_operator_arguments(3)


@requires_oracle
def test_reexports_and_wiring(oracle):
    """Passes once the package files import the modules above."""
    import kiln.callback
    import kiln.initializer
    import kiln.model
    import kiln.operator
    import kiln.rnn
    assert list(oracle["reexports"]) == [True] * 4
    assert [mx.callback.save_checkpoint is mx.model.save_checkpoint,
            mx.init.load is mx.nd.load,
            mx.rnn.save_checkpoint is mx.model.save_checkpoint,
            mx.rnn.load_checkpoint is mx.model.load_checkpoint] == [True] * 4
    assert mx.operator.get_operator_arguments is operator_arguments.get_operator_arguments
    assert mx.sym.softmax_cross_entropy is legacy.softmax_cross_entropy
    assert mx.sym.op.IdentityAttachKLSparseReg is legacy.IdentityAttachKLSparseReg
    assert mx.sym.contrib.rand_zipfian is sym_contrib.rand_zipfian
    assert mx.sym.sparse is sym_sparse and mx.sym.cast_storage is sym_sparse.cast_storage
    assert mx.sym.register is sym_register and mx.sym.gen_op is mx.sym.op


def test_symbolic_topk_both_gives_values_and_indices():
    # mx.sym.topk(ret_typ='both') has two outputs (MXNet 1.9.1's values,
    # then indices of `dtype`); the registry op had one, so every
    # inference, eval and bind of it failed. Expected values: MXNet's.
    x = mx.sym.var("x")
    top = mx.sym.topk(x, k=2, ret_typ="both", dtype="int32")
    assert top.list_outputs() == ["topk0_output0", "topk0_output1"]
    assert top.infer_shape(x=(3, 4))[1] == [(3, 2), (3, 2)]
    assert top.infer_type(x="float32")[1] == [np.float32, np.int32]
    data = np.array([[1, 5, 3, 2], [9, 0, 4, 7], [2, 2, 8, 1]], np.float32)
    values, indices = mx.sym.load_json(top.tojson()).eval(
        x=mx.nd.array(data))
    assert values.asnumpy().tolist() == [[5, 3], [9, 7], [8, 2]]
    assert indices.dtype == np.int32
    assert indices.asnumpy().tolist() == [[1, 2], [0, 3], [2, 0]]
    exe = mx.sym.Group([mx.sym.MakeLoss(mx.sym.sum(top[0])),
                        mx.sym.BlockGrad(top[1])]).simple_bind(
        mx.cpu(), x=(3, 4))
    exe.arg_dict["x"][:] = data
    exe.forward(is_train=True)
    exe.backward()
    assert exe.grad_dict["x"].asnumpy().tolist() == [
        [0, 1, 1, 0], [1, 0, 0, 1], [1, 0, 1, 0]]
    with pytest.raises(mx.MXNetError, match="out has 1 arrays, expected 2"):
        mx._core.invoke("topk", [mx.nd.array(data)], {"ret_typ": "both"},
                        [mx.nd.zeros((3, 2))])


def test_symbol_class_has_mxnets_fluent_and_ndarray_only_methods():
    # The fluent operators were reachable only through instance lookups:
    # mx.sym.Symbol.reshape was an AttributeError and dir(sym) lacked them;
    # NDArray-only methods and gradient were missing (MXNet raises).
    x = mx.sym.var("x")
    assert callable(mx.sym.Symbol.reshape) and "topk" in dir(x)
    assert mx.sym.Symbol.reshape(x, shape=(2, -1)).infer_shape(
        x=(4, 3))[1] == [(2, 6)]
    for name in ("asnumpy", "asscalar", "wait_to_read", "backward",
                 "detach", "copy", "as_in_context"):
        with pytest.raises(mx.base.NotImplementedForSymbol,
                           match="Function %s is not implemented for "
                                 "Symbol" % name):
            getattr(x, name)()
    with pytest.raises(mx.MXNetError, match="not implemented"):
        x.gradient(["x"])
    assert x.as_nd_ndarray() is x


def test_simple_bind_ignores_shapes_of_names_the_graph_lacks():
    # As MXNet's simple_bind (its infer_shape refuses them).
    net = mx.sym.relu(mx.sym.var("x"))
    exe = net.simple_bind(mx.cpu(), x=(2, 5), bogus=(3,))
    assert list(exe.arg_dict) == ["x"]
    with pytest.raises(mx.MXNetError, match="bogus"):
        net.infer_shape(x=(2, 5), bogus=(3,))
