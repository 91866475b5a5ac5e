"""mx.nd._internal's Python-written operators (kiln/ndarray/_internal_extra.py),
the legacy mx.nd.op ones (kiln/ndarray/_legacy_ops.py), mx.nd.CachedOp,
mx.nd.register, the gen_* modules, DLPack's ctypes names and NDArray.handle,
each against MXNet 1.9.1: results, and the errors of bad calls."""
import ctypes

import numpy as np
import pytest

import kiln as mx
import kiln.ndarray._internal_extra as _internal_extra
import kiln.ndarray._legacy_ops as _legacy_ops
import kiln.ndarray._cached_op as _cached_op
import kiln.ndarray._dlpack as _dlpack
import kiln.ndarray._gen_modules as _gen_modules
import kiln.ndarray._handle  # noqa: F401  (defines NDArray.handle)
import kiln.ndarray.register as _register
from mxnet_oracle import requires_oracle, run_mxnet

# Results compared with MXNet's: label -> expression over I (mx.nd._internal),
# nd and a (arange(12) as 3x4). Lists of arrays compare item by item.
RESULT_CASES = {
    "slice_assign": "I._slice_assign(a.copy(), nd.ones((2,2)), begin=(0,1), end=(2,3))",
    "crop_assign": "I._crop_assign(a.copy(), nd.ones((2,2)), (0,1), (2,3))",
    "slice_assign_step": "I._slice_assign(a.copy(), nd.ones((2,2))*7, begin=(0,0), end=(3,4), step=(2,2))",
    "slice_assign_none": "I._slice_assign(a.copy(), nd.ones((1,2)), begin=(-1,None), end=(None,-2))",
    "slice_assign_out": "(lambda o: (I._slice_assign(o, nd.ones((2,2)), begin=(0,1), end=(2,3), out=o), o)[1])(a.copy())",
    "slice_assign_scalar": "I._slice_assign_scalar(a.copy(), scalar=5, begin=(1,), end=(2,))",
    "crop_assign_scalar": "I._crop_assign_scalar(a.copy(), 5, (1,), (2,))",
    "slice_assign_scalar_default": "I._slice_assign_scalar(a.copy(), begin=(1,), end=(2,))",
    "split_v2": "I._split_v2(a, indices=(0,1,3), axis=1)",
    "split_v2_one": "I._split_v2(a, indices=(0,), axis=1)",
    "split_v2_squeeze": "I._split_v2(a, indices=(0,1,2), axis=0, squeeze_axis=True)",
    "split_v2_sections2": "I._split_v2(a, indices=(), sections=2, axis=1)",
    "split_v2_sections3": "I._split_v2(a, indices=(), sections=3, axis=1)",
    "split_v2_axis_neg": "I._split_v2(a, indices=(0,2), axis=-1)",
    "eye": "I._eye(3)",
    "eye_positional": "I._eye(2, 4, 1, dtype='int32')",
    "eye_lower": "I._eye(N=3, k=-1)",
    "eye_far_k": "I._eye(2, 3, 5)",
    "eye_dtype": "I._eye(2, 3, 0, 'cpu(0)', 'float64')",
    "linspace": "I._linspace(start=0, stop=5, num=4)",
    "linspace_empty": "I._linspace(start=0, stop=5, num=0)",
    "linspace_one": "I._linspace(start=2, stop=5, num=1)",
    "linspace_open": "I._linspace(start=0, stop=1, num=4, endpoint=False)",
    "onehot": "I._onehot_encode(nd.array([0,2,1]), nd.zeros((3,4)))",
    "onehot_out": "(lambda o: (I._onehot_encode(nd.array([0,2,1]), o, out=o), o)[1])(nd.zeros((3,4)))",
    "onehot_outside": "I._onehot_encode(nd.array([0,5,1]), nd.zeros((3,4)))",
    "copyto": "(lambda o: (I._copyto(a, out=o), o)[1])(nd.zeros((3,4)))",
    "copyto_cast": "(lambda o: (I._copyto(a, out=o), o)[1])(nd.zeros((3,4), dtype='int32'))",
    "set_value": "(lambda o: (I._set_value(3.5, out=o), o)[1])(nd.zeros((2,2)))",
    "set_value_kw": "(lambda o: (I._set_value(src=2, out=o), o)[1])(nd.zeros((2,2)))",
    "scatter_div": "I._scatter_elemwise_div(nd.array([1,2]), nd.array([2,4]))",
    "scatter_minus": "I._scatter_minus_scalar(nd.array([1,2]), scalar=3)",
    "scatter_minus_default": "I._scatter_minus_scalar(nd.array([1,2]))",
    "scatter_plus": "I._scatter_plus_scalar(nd.array([1,2]), 3)",
    "scatter_plus_default": "I._scatter_plus_scalar(nd.array([1,2]))",
    "scatter_plus_int": "I._scatter_plus_scalar(nd.array([1,2], dtype='int32'), 1.5)",
    "scatter_plus_float": "I._scatter_plus_scalar(nd.array([1,2], dtype='int32'), 1.5, is_int=False)",
    "scatter_set_nd": "(lambda o: (I._scatter_set_nd(lhs=o, rhs=nd.array([2,3,0]), indices=nd.array([[1,1,0],[0,1,0]]), shape=(2,2), out=o), o)[1])(nd.ones((2,2)))",
    "identity_like": "I._identity_with_attr_like_rhs(nd.array([1,2]), nd.zeros((2,)))",
    "conv_v1": "nd.Convolution_v1(X, W, B, kernel=(3,3), num_filter=4, pad=(1,1))",
    "conv_v1_strided": "nd.Convolution_v1(X, W, kernel=(3,3), num_filter=4, no_bias=True, stride=(2,2))",
    "conv_v1_group": "nd.Convolution_v1(nd.ones((1,4,3,3)), nd.ones((2,2,2,2)), kernel=(2,2), num_filter=2, num_group=2, no_bias=True)",
    "pool_v1_default": "nd.Pooling_v1(nd.arange(16).reshape((1,1,4,4)), kernel=(2,2))",
    "pool_v1_max_pad": "nd.Pooling_v1(nd.arange(16).reshape((1,1,4,4)) - 20, kernel=(2,2), stride=(2,2), pad=(1,1))",
    "pool_v1_max_full": "nd.Pooling_v1(X, kernel=(2,2), stride=(2,2), pad=(1,1), pooling_convention='full')",
    "pool_v1_max_valid": "nd.Pooling_v1(X, kernel=(2,2), stride=(1,1), pad=(1,0))",
    "pool_v1_avg": "nd.Pooling_v1(X, kernel=(2,2), pool_type='avg', stride=(2,2), pad=(1,1))",
    "pool_v1_sum_full": "nd.Pooling_v1(X, kernel=(2,2), pool_type='sum', stride=(2,2), pad=(1,1), pooling_convention='full')",
    "pool_v1_global": "nd.Pooling_v1(X, global_pool=True, pool_type='avg')",
    "sce": "nd.softmax_cross_entropy(nd.array([[1.,2.,3.],[1.,1.,1.]]), nd.array([2,0]))",
    "sce_clipped": "nd.softmax_cross_entropy(nd.array([[1.,2.,3.],[1.,1.,1.]]), nd.array([5,-1]))",
    "sce_f64": "nd.softmax_cross_entropy(nd.array([[1.,2.,3.]], dtype='float64'), nd.array([2], dtype='float64'))",
}

# Calls MXNet refuses: label -> expression. Both must raise; the class must
# agree (MXNetError, or TypeError where MXNet's is numpy's).
ERROR_CASES = {
    "slice_assign_shape": "I._slice_assign(a.copy(), nd.ones((3,2)), begin=(0,1), end=(2,3))",
    "slice_assign_dtype": "I._slice_assign(a.copy(), nd.ones((2,2), dtype='int32'), begin=(0,1), end=(2,3))",
    "slice_assign_scalar_no_end": "I._slice_assign_scalar(a.copy(), begin=(1,))",
    "split_v2_no_indices": "I._split_v2(a, sections=2, axis=1)",
    "split_v2_squeeze_wide": "I._split_v2(a, indices=(0,2), axis=0, squeeze_axis=True)",
    "split_v2_not_from_0": "I._split_v2(a, indices=(1,3), axis=1)",
    "split_v2_decreasing": "I._split_v2(a, indices=(0,3,1), axis=1)",
    "split_v2_past_axis": "I._split_v2(a, indices=(0,9), axis=1)",
    "split_v2_bad_axis": "I._split_v2(a, indices=(0,2), axis=2)",
    "split_v2_backward": "I._split_v2_backward(a)",
    "eye_negative": "I._eye(N=-1)",
    "linspace_no_num": "I._linspace(start=0, stop=5)",
    "linspace_step": "I._linspace(0, 5, 6)",
    "linspace_repeat": "I._linspace(start=1, stop=10, step=2, repeat=2)",
    "linspace_negative": "I._linspace(start=0, stop=5, num=-1)",
    "onehot_mismatch": "I._onehot_encode(nd.array([0,2,1]), nd.zeros((2,4)))",
    "copyto_no_out": "I._copyto(a)",
    "copyto_bad_out": "I._copyto(a, out=nd.zeros((2,4)))",
    "set_value_no_out": "I._set_value(3.0)",
    "scatter_div_shapes": "I._scatter_elemwise_div(nd.array([1,2]), nd.array([2,4,5]))",
    "scatter_set_nd_no_out": "I._scatter_set_nd(nd.ones((2,2)), nd.array([2,3,0]), nd.array([[1,1,0],[0,1,0]]), shape=(2,2))",
    "scatter_set_nd_shape": "(lambda o: I._scatter_set_nd(o, nd.array([2,3,0]), nd.array([[1,1,0],[0,1,0]]), shape=(2,2), out=o))(nd.ones((2,3)))",
    "identity_like_shapes": "I._identity_with_attr_like_rhs(nd.array([1,2]), nd.zeros((5,)))",
    "zipf_too_many": "I._sample_unique_zipfian(range_max=3, shape=(2,5))",
    "zipf_1d": "I._sample_unique_zipfian(range_max=30, shape=(5,))",
    "zeros_without_dtype": "I._zeros_without_dtype(shape=(2,2))",
    "zeros_without_dtype_int": "I._zeros_without_dtype(shape=(2,2), dtype=4)",
    "zeros_without_dtype_name": "I._zeros_without_dtype(shape=(2,), dtype='int32')",
    "zeros_without_dtype_no_shape": "I._zeros_without_dtype()",
    "broadcast_backward": "I._broadcast_backward(a)",
    "cross_device_copy": "I._CrossDeviceCopy(a)",
    "no_gradient": "I._NoGradient()",
    "custom_function": "I._CustomFunction(a)",
    "cached_op": "I._CachedOp(a)",
    "cached_op_thread_safe": "I._CachedOpThreadSafe(a)",
    "ndarray_stub": "I._NDArray(a)",
    "native_stub": "I._Native(a)",
    "foreach": "I._foreach(a)",
    "cond": "I._cond(a)",
    "while_loop": "I._while_loop(a)",
    "foreach_no_subgraph": "I._foreach(a, a, num_outputs=1, num_out_data=1, in_state_locs=(0,), in_data_locs=(1,), remain_locs=())",
    "conv_v1_1d": "nd.Convolution_v1(nd.ones((1,1,5)), nd.ones((1,1,3)), kernel=(3,), num_filter=1, no_bias=True)",
    "conv_v1_weight": "nd.Convolution_v1(X, nd.ones((4,2,3,3)), kernel=(3,3), num_filter=4, no_bias=True)",
    "conv_v1_no_kernel": "nd.Convolution_v1(X, W, num_filter=4, no_bias=True)",
    "pool_v1_lp": "nd.Pooling_v1(X, kernel=(2,2), pool_type='lp')",
    "pool_v1_no_kernel": "nd.Pooling_v1(X)",
    "pool_v1_3d_data": "nd.Pooling_v1(nd.ones((1,1,4)), kernel=(2,), stride=(2,))",
    "batchnorm_v1": "nd.BatchNorm_v1(X, nd.ones(3), nd.zeros(3))",
    "kl_sparse_reg": "nd.IdentityAttachKLSparseReg(nd.array([[0.1,0.5],[0.3,0.9]]), sparseness_target=0.2)",
    "sce_batch": "nd.softmax_cross_entropy(nd.array([[1.,2.,3.],[1.,1.,1.]]), nd.array([2,0,1]))",
    "sce_3d": "nd.softmax_cross_entropy(nd.ones((2,3,4)), nd.array([2,0]))",
    "sce_label_2d": "nd.softmax_cross_entropy(nd.ones((2,3)), nd.array([[2],[0]]))",
    "sce_label_dtype": "nd.softmax_cross_entropy(nd.array([[1.,2.,3.]]), nd.array([2], dtype='int32'))",
}

_DRIVER = """
def _run_cases(mx, nd, I, results, errors, inputs, outputs):
    import numpy as np
    a = nd.arange(12).reshape((3, 4))
    X, W, B = (nd.array(inputs[k]) for k in ("X", "W", "B"))
    scope = dict(nd=nd, I=I, a=a, X=X, W=W, B=B, mx=mx)
    for label, code in results.items():
        value = eval(code, scope)
        parts = value if isinstance(value, list) else [value]
        outputs["n:" + label] = np.array(len(parts) if isinstance(value, list) else -1)
        for index, part in enumerate(parts):
            outputs["r:%s:%d" % (label, index)] = part.asnumpy()
    for label, code in errors.items():
        try:
            value = eval(code, scope)
            for part in value if isinstance(value, list) else [value]:
                if isinstance(part, nd.NDArray):
                    part.wait_to_read()
            outputs["e:" + label] = np.array("none")
        except Exception as error:  # the class is compared
            outputs["e:" + label] = np.array(
                "MXNetError" if isinstance(error, mx.base.MXNetError)
                else type(error).__name__)
"""


def _arrays():
    rng = np.random.RandomState(0)
    return dict(X=rng.randn(2, 3, 5, 5).astype(np.float32),
                W=rng.randn(4, 3, 3, 3).astype(np.float32),
                B=rng.randn(4).astype(np.float32))


def _kiln_internal():
    """mx.nd._internal with the Python-written operators (they are also
    there once kiln/ndarray/_internal.py imports them)."""
    class Internal(object):
        def __getattr__(self, name):
            if hasattr(_internal_extra, name):
                return getattr(_internal_extra, name)
            return getattr(mx.nd._internal, name)
    return Internal()


def _kiln_nd():
    class Nd(object):
        def __getattr__(self, name):
            if hasattr(_legacy_ops, name):
                return getattr(_legacy_ops, name)
            return getattr(mx.nd, name)
    return Nd()


@requires_oracle
def test_results_and_errors_match_mxnet():
    arrays = _arrays()
    expected = run_mxnet(_DRIVER + """
_run_cases(mx, mx.nd, mx.nd._internal, %r, %r, inputs, outputs)
""" % (RESULT_CASES, ERROR_CASES), **arrays)
    got = {}
    namespace = {}
    exec(_DRIVER, namespace)
    nd = _kiln_nd()
    nd.NDArray = mx.nd.NDArray
    namespace["_run_cases"](mx, nd, _kiln_internal(), RESULT_CASES,
                            ERROR_CASES, arrays, got)
    for label in RESULT_CASES:
        assert got["n:" + label] == expected["n:" + label], label
        index = 0
        while "r:%s:%d" % (label, index) in expected:
            key = "r:%s:%d" % (label, index)
            assert got[key].dtype == expected[key].dtype, (label, got[key].dtype)
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-5,
                                       atol=1e-5, err_msg=label)
            index += 1
    mismatched = {label: (str(got["e:" + label]), str(expected["e:" + label]))
                  for label in ERROR_CASES
                  if str(got["e:" + label]) != str(expected["e:" + label])}
    assert not mismatched


def test_errors_name_the_operator_and_values():
    I = _kiln_internal()
    a = mx.nd.arange(12).reshape((3, 4))
    with pytest.raises(mx.base.MXNetError, match=r"_slice_assign.*\[3,2\].*\[2,2\]"):
        I._slice_assign(a, mx.nd.ones((3, 2)), begin=(0, 1), end=(2, 3))
    with pytest.raises(mx.base.MXNetError, match="indices.*_split_v2"):
        I._split_v2(a, axis=1)
    with pytest.raises(mx.base.MXNetError, match="num.*_linspace"):
        I._linspace(start=0, stop=1)
    with pytest.raises(mx.base.MXNetError, match="'lp'.*Pooling_v1"):
        _legacy_ops.Pooling_v1(mx.nd.ones((1, 1, 4, 4)), kernel=(2, 2),
                               pool_type="lp")
    with pytest.raises(mx.base.MXNetError, match="BatchNorm_v1 expects 5 inputs"):
        _legacy_ops.BatchNorm_v1(a, a, a)


@requires_oracle
def test_softmax_cross_entropy_gradient_matches_mxnet():
    x = np.array([[1., 2., 3.], [1., 1., 1.]], np.float32)
    expected = run_mxnet("""
x = mx.nd.array(inputs["x"]); x.attach_grad()
with mx.autograd.record():
    y = mx.nd.softmax_cross_entropy(x, mx.nd.array([2, 0])) * 3
y.backward()
outputs["g"] = x.grad.asnumpy()
""", x=x)
    data = mx.nd.array(x)
    data.attach_grad()
    with mx.autograd.record():
        y = _legacy_ops.softmax_cross_entropy(data, mx.nd.array([2, 0])) * 3
    y.backward()
    np.testing.assert_allclose(data.grad.asnumpy(), expected["g"], rtol=1e-5)


def test_softmax_cross_entropy_caps_each_row_as_mxnet():
    # MXNet takes -log max(p, 1e-8): a confidently wrong row adds 18.42,
    # not its margin; the gradient stays softmax - one_hot.
    x = np.array([[1, 2, 3], [0, -1, 5], [1e4, 0, -1e4]], np.float32)
    label = np.array([2, 0, 1], np.float32)
    data = mx.nd.array(x)
    data.attach_grad()
    with mx.autograd.record():
        y = mx.nd.softmax_cross_entropy(data, mx.nd.array(label))
    y.backward()
    # Measured with mxnet==1.9.1.
    np.testing.assert_allclose(y.asnumpy(), [23.837461], rtol=1e-6)
    np.testing.assert_allclose(data.grad.asnumpy()[2], [1, -1, 0], atol=1e-6)
    with pytest.raises(AssertionError, match="Argument label must have "
                                             "NDArray type"):
        mx.nd.softmax_cross_entropy(data, label)


def test_sample_unique_zipfian():
    mx.random.seed(3)
    samples, trials = _internal_extra._sample_unique_zipfian(range_max=20,
                                                             shape=(3, 6))
    values = samples.asnumpy()
    assert samples.dtype == np.int64 and trials.dtype == np.int64
    assert values.shape == (3, 6) and trials.shape == (3,)
    assert ((values >= 0) & (values < 20)).all()
    assert all(len(set(row)) == 6 for row in values.tolist())
    assert (trials.asnumpy() >= 6).all()
    mx.random.seed(3)
    again, _ = _internal_extra._sample_unique_zipfian(range_max=20,
                                                      shape=(3, 6))
    np.testing.assert_array_equal(again.asnumpy(), values)


def test_cached_op_runs_a_symbol_and_records():
    x, w = mx.sym.var("x"), mx.sym.var("w")
    op = _cached_op.CachedOp(mx.sym.FullyConnected(x, w, num_hidden=2,
                                                   no_bias=True))
    data = mx.nd.ones((3, 4))
    weight = mx.nd.ones((2, 4)) * 2
    weight.attach_grad()
    with mx.autograd.record():
        y = op(data, weight)
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), np.full((3, 2), 8.0))
    np.testing.assert_allclose(weight.grad.asnumpy(), np.full((2, 4), 3.0))
    out = mx.nd.zeros((3, 2))
    assert op(data, weight, out=out) is out
    np.testing.assert_allclose(out.asnumpy(), np.full((3, 2), 8.0))
    with pytest.raises(TypeError, match="unexpected keyword"):
        op(data, weight, bogus=1)
    with pytest.raises(mx.base.MXNetError, match="expected 2 inputs"):
        op(data)


def test_register_gen_modules_dlpack_and_handle():
    add = _register._make_ndarray_function(None, "broadcast_add", "add")
    np.testing.assert_allclose(add(mx.nd.ones(2), mx.nd.ones(2)).asnumpy(),
                               [2, 2])
    with pytest.raises(mx.base.MXNetError, match="no_such_op"):
        _register._make_ndarray_function(None, "no_such_op", "f")
    assert _gen_modules.gen_op.dot is mx.nd.op.dot
    assert _gen_modules.gen_linalg.gemm2 is mx.nd.linalg.gemm2
    assert [name for name, _ in _dlpack.DLTensor._fields_] == [
        "data", "ctx", "ndim", "dtype", "shape", "strides", "byte_offset"]
    assert _dlpack.DLDataType.TYPE_MAP["float32"] == (2, 32, 1)
    assert ctypes.sizeof(_dlpack.DLContext) == 8
    # The deleter releases the reference a DLManagedTensor holds.
    holder = [1, 2, 3]
    managed = _dlpack.DLManagedTensor()
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(holder))
    managed.manager_ctx = ctypes.c_void_p(id(holder))
    import sys
    before = sys.getrefcount(holder)
    _dlpack.dl_managed_tensor_deleter(ctypes.pointer(managed))
    assert sys.getrefcount(holder) == before - 1
    array = mx.nd.ones(2)
    assert isinstance(array.handle, ctypes.c_void_p)
    assert array.handle.value == array.handle.value
    assert array.handle.value != mx.nd.ones(2).handle.value
