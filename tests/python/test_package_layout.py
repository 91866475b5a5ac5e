"""kiln's package tree is MXNet 1.9.1's: every import path MXNet code writes
resolves, through `kiln.` and through the `mxnet` alias, to the same
objects; and the small modules (base, context, runtime, name, attribute,
util, engine, test_utils, ndarray.sparse) behave as MXNet's."""
import importlib
import os
import pickle
import struct
import subprocess
import sys
import warnings

import numpy as np
import pytest

import mxnet as mx

MODULES = ["ndarray", "ndarray.ndarray", "ndarray.op", "ndarray._internal",
           "ndarray.random", "ndarray.linalg", "ndarray.contrib",
           "ndarray.image", "ndarray.utils", "ndarray.sparse", "base",
           "context", "runtime", "name", "attribute", "util", "engine",
           "random", "profiler", "autograd", "test_utils"]


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_as_kiln_and_as_mxnet(module):
    ours = importlib.import_module("kiln." + module)
    alias = importlib.import_module("mxnet." + module)
    assert alias is ours
    assert ours.__name__ == "kiln." + module


def test_import_forms_of_the_brief():
    # Each line is a form MXNet code uses; run in a fresh interpreter so the
    # alias resolves them without help from earlier imports.
    code = "\n".join([
        "import mxnet.ndarray.ndarray",
        "from mxnet.ndarray.ndarray import NDArray",
        "from mxnet.ndarray import op",
        "import mxnet.ndarray.contrib",
        "from mxnet.base import integer_types",
        "from mxnet.context import cpu_shared",
        "import mxnet",
        "assert mxnet.ndarray.ndarray.NDArray is NDArray",
        "assert op.broadcast_add is mxnet.nd.broadcast_add",
        "assert mxnet.runtime.Features().is_enabled('MKLDNN')",
        "assert mxnet.name.Prefix and mxnet.AttrScope is mxnet.attribute.AttrScope",
        "assert mxnet.engine.bulk and mxnet.util.is_np_array() is False",
        "assert cpu_shared(0).device_type == 'cpu_shared'",
        "assert int in integer_types",
        "print('ok')",
    ])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_top_level_names_of_mxnet():
    for name in ["Context", "cpu", "gpu", "cpu_pinned", "current_context",
                 "MXNetError", "AttrScope", "nd", "ndarray", "name",
                 "attribute", "base", "runtime", "util", "engine",
                 "test_utils", "random", "rnd", "autograd", "profiler",
                 "is_np_array", "is_np_shape", "np_shape", "np_array",
                 "set_np_shape", "use_np", "use_np_shape", "use_np_array"]:
        assert hasattr(mx, name), name
    assert mx.nd is mx.ndarray and mx.rnd is mx.random
    assert mx.Context is mx.context.Context


def test_ndarray_package_reexports_as_mxnet():
    nd = mx.nd
    assert nd.NDArray is nd.ndarray.NDArray
    # mx.nd.zeros/array/save/load are utils' (they take stype), as MXNet's.
    for name in ["zeros", "empty", "array", "save", "load", "load_frombuffer"]:
        assert getattr(nd, name) is getattr(nd.utils, name), name
    for name in ["ones", "full", "arange", "eye", "waitall", "concatenate",
                 "moveaxis", "maximum", "equal", "add", "from_numpy"]:
        assert getattr(nd, name) is getattr(nd.ndarray, name), name
    for name in ["broadcast_add", "sum", "dot", "split", "topk", "concat"]:
        assert getattr(nd, name) is getattr(nd.op, name), name
    assert nd.random.uniform is mx.random.uniform
    assert isinstance(nd.random.normal(shape=(2,)), nd.NDArray)
    # The internal operators keep working under mx.nd too, as before.
    assert nd._plus_scalar is nd._internal._plus_scalar


def test_registry_names_are_sorted_into_mxnet_modules():
    from kiln import _op_gen
    assert _op_gen.module_of("broadcast_add") == ("op", "broadcast_add")
    assert _op_gen.module_of("_plus_scalar") == ("_internal", "_plus_scalar")
    assert _op_gen.module_of("_linalg_gemm2") == ("linalg", "gemm2")
    assert _op_gen.module_of("_contrib_box_nms") == ("contrib", "box_nms")
    assert _op_gen.module_of("_image_to_tensor") == ("image", "to_tensor")
    assert _op_gen.module_of("_random_uniform") == ("_internal", "_random_uniform")
    assert _op_gen.module_of("_random_uniform_like") == ("random", "uniform_like")
    internal = mx.nd._internal
    assert "_plus_scalar" in internal.__all__ and "_zeros" in internal.__all__
    # MXNet's _internal also lists the base class and CachedOp.
    assert all(name.startswith("_") for name in internal.__all__
               if name not in ("NDArrayBase", "CachedOp"))
    assert {"NDArrayBase", "CachedOp"} <= set(internal.__all__)
    assert not any(name.startswith("_") for name in mx.nd.op.__all__)
    assert "_plus_scalar" not in mx.nd.op.__all__
    assert mx.nd.op.broadcast_add.__module__ == "kiln.ndarray.op"
    result = internal._plus_scalar(mx.nd.array([1, 2]), scalar=3)
    assert result.asnumpy().tolist() == [4.0, 5.0]


def test_dtype_is_the_numpy_scalar_type():
    x = mx.nd.array([1, 2], dtype="int32")
    assert x.dtype is np.int32
    assert {np.float32: "f", np.int32: "i"}[x.dtype] == "i"
    assert mx.nd.ones((2,)).dtype.__name__ == "float32"
    assert mx.nd.ones((2,), dtype="bool").dtype is np.bool_
    assert x.astype("float64").dtype is np.float64
    assert mx.nd.random.multinomial(mx.nd.array([[0.5, 0.5]])).dtype is np.int32


def test_sparse_requests_raise_mxnet_error():
    x = mx.nd.ones((2, 2))
    for request in [lambda: mx.nd.sparse.csr_matrix(([1.0], [0], [0, 1]), shape=(1, 2)),
                    lambda: mx.nd.sparse.row_sparse_array(([[1.0]], [0]), shape=(2, 1)),
                    lambda: mx.nd.zeros((2, 2), stype="csr"),
                    lambda: mx.nd.empty((2, 2), stype="row_sparse"),
                    lambda: mx.nd.sparse.zeros("csr", (2, 2)),
                    lambda: x.tostype("csr"),
                    lambda: x.tostype("row_sparse"),
                    lambda: mx.nd.cast_storage(x, stype="csr"),
                    lambda: mx.nd.sparse.CSRNDArray(),
                    lambda: x.attach_grad(stype="row_sparse"),
                    lambda: mx.test_utils.rand_ndarray((2, 2), stype="csr")]:
        with pytest.raises(mx.MXNetError, match="sparse storage"):
            request()
    with pytest.raises(mx.MXNetError, match="unknown stype"):
        x.tostype("dense")


def test_tostype_default_and_dense_stypes():
    x = mx.nd.array([[1, 2], [3, 4]])
    dense = x.tostype("default")
    assert dense is not x and dense.asnumpy().tolist() == [[1, 2], [3, 4]]
    assert x.stype == "default" and x.writable
    assert mx.nd.zeros((2,), stype="default").shape == (2,)
    assert mx.nd.sparse.zeros("default", (3,)).asnumpy().tolist() == [0, 0, 0]
    assert mx.nd.cast_storage(x, stype="default").asnumpy().tolist() == [[1, 2], [3, 4]]


def test_new_ndarray_functions_match_mxnet():
    nd = mx.nd
    a = nd.array([[1, 2, 3], [4, 5, 6]])
    assert nd.moveaxis(nd.ones((2, 3, 4)), 0, -1).shape == (3, 4, 2)
    with pytest.raises(ValueError):
        nd.moveaxis(a, 2, 0)
    assert nd.maximum(2, a).asnumpy().tolist() == [[2, 2, 3], [4, 5, 6]]
    assert nd.greater(2, a).asnumpy().tolist() == [[1, 0, 0], [0, 0, 0]]
    assert nd.subtract(10, a).asnumpy().tolist() == [[9, 8, 7], [6, 5, 4]]
    assert nd.logical_and(a, 0).asnumpy().sum() == 0
    assert nd.equal(1, 1) == 1 and nd.add(1, 2) == 3
    assert nd.power(a, nd.array([2, 1, 0])).asnumpy().tolist() == [[1, 2, 1], [16, 5, 1]]
    parts = nd.split_v2(nd.arange(6), (2, 4))
    assert [p.asnumpy().tolist() for p in parts] == [[0, 1], [2, 3], [4, 5]]
    assert a.split_v2(3, axis=1)[2].asnumpy().tolist() == [[3], [6]]
    assert nd.linspace(0, 1, 5).asnumpy().tolist() == [0, 0.25, 0.5, 0.75, 1]
    source = np.arange(4, dtype=np.float32)
    assert nd.from_numpy(source).asnumpy().tolist() == [0, 1, 2, 3]
    out = nd.zeros((2, 3))
    assert nd.onehot_encode(nd.array([2, 0]), out) is out
    assert out.asnumpy().tolist() == [[0, 0, 1], [1, 0, 0]]
    flags = nd.contrib.isinf(nd.array([1, np.inf, -np.inf, np.nan]))
    assert flags.asnumpy().tolist() == [0, 1, 1, 0]
    assert nd.contrib.isnan(nd.array([1, np.nan])).asnumpy().tolist() == [0, 1]
    assert nd.contrib.isfinite(nd.array([1, np.inf, np.nan])).asnumpy().tolist() == [1, 0, 0]


def test_ndarray_methods_without_new_ops():
    x = mx.nd.array([[1.5, -2.5], [3.0, 4.0]])
    assert x.context == mx.cpu() and x.ctx == mx.cpu()
    assert x.as_nd_ndarray() is x
    with pytest.raises(mx.MXNetError, match="numpy mode"):
        x.as_np_ndarray()
    assert x.trunc().asnumpy().tolist() == [[1, -2], [3, 4]]
    y = mx.nd.zeros((3, 3))
    assert y.slice_assign(mx.nd.ones((2, 2)), (0, 0), (2, 2), (None, None)) is y
    y.slice_assign_scalar(7, (2,), (3,), ())
    assert y.asnumpy().tolist() == [[1, 1, 0], [1, 1, 0], [7, 7, 7]]
    assert x._fresh_grad is False
    x._fresh_grad = True
    assert x._fresh_grad is True and mx.nd.ones(1)._fresh_grad is False
    with pytest.raises(mx.MXNetError, match="not available"):
        x.as_in_context(mx.gpu(0))
    assert pickle.loads(pickle.dumps(x)).asnumpy().tolist() == x.asnumpy().tolist()


def test_setstate_reads_mxnet_pickled_bytes(tmp_path):
    # MXNet pickles an array as {'handle': its bytes}: the list file's one
    # array without the file's header (3 uint64) and name count (1 uint64).
    source = mx.nd.array([[1, 2], [3, 4]], dtype="int32")
    path = str(tmp_path / "one.params")
    mx.nd.save(path, [source])
    with open(path, "rb") as stream:
        raw = stream.read()[24:-8]
    target = mx.nd.zeros((2, 2), dtype="int32")
    target.__setstate__({"handle": raw})
    assert target.asnumpy().tolist() == [[1, 2], [3, 4]]
    with pytest.raises(mx.MXNetError, match="cannot change shape"):
        mx.nd.zeros((3,), dtype="int32").__setstate__({"handle": raw})
    # MXNet's pickle of an array is NDArray(None) and then __setstate__:
    # pickle.loads of one (Updater.get_states, a pickled dataset) failed
    # with "No constructor defined".
    mxnet_pickle = (b"\x80\x04\x95" + struct.pack("<Q", 0) +
                    b"\x8c\x15mxnet.ndarray.ndarray\x94\x8c\x07NDArray"
                    b"\x94\x93\x94N\x85\x94R\x94}\x94\x8c\x06handle\x94"
                    b"C" + bytes([len(raw)]) + raw + b"\x94sb.")
    loaded = pickle.loads(mxnet_pickle)
    assert loaded.dtype == np.int32
    assert loaded.asnumpy().tolist() == [[1, 2], [3, 4]]
    empty = mx.nd.NDArray(None)
    with pytest.raises(mx.MXNetError, match="empty"):
        empty.shape
    with pytest.raises(TypeError, match="no C handles"):
        mx.nd.NDArray(12345)
    with pytest.raises(mx.MXNetError, match="only an array made as"):
        source._adopt(target)


def test_base_names():
    from mxnet.base import (_as_list, classproperty, integer_types, numeric_types,
                            py_str, string_types, NotImplementedForSymbol,
                            NotSupportedForSparseNDArray, data_dir, register_error,
                            error_types, mx_real_t, build_param_doc)
    assert isinstance(np.int64(1), integer_types) and isinstance(1.5, numeric_types)
    assert isinstance(np.float32(1), numeric_types) and isinstance("a", string_types)
    assert py_str(b"abc") == "abc"
    assert _as_list(3) == [3] and _as_list((1, 2)) == (1, 2)
    assert mx_real_t is np.float32 and data_dir().endswith(".mxnet")
    assert issubclass(NotImplementedForSymbol, mx.MXNetError)
    assert issubclass(NotSupportedForSparseNDArray, mx.MXNetError)
    error = NotImplementedForSymbol(test_base_names, "+", 1)
    assert "is not implemented for Symbol" in str(error) and '"+"' in str(error)
    assert error_types["NotImplementedForSymbol"] is NotImplementedForSymbol
    assert "Parameters" in build_param_doc(["x"], ["int"], ["an int"])

    @register_error
    class CustomError(mx.MXNetError):
        pass
    assert error_types["CustomError"] is CustomError

    class Owner(object):
        @classproperty
        def answer(cls):
            return 42
    assert Owner.answer == 42


def test_context_scopes_and_devices():
    assert mx.current_context() == mx.cpu(0)
    assert mx.context.num_gpus() == 0
    assert str(mx.gpu(1)) == "gpu(1)" and mx.gpu(1) == mx.Context("gpu", 1)
    assert mx.cpu_pinned().device_type == "cpu_pinned"
    assert mx.Context(mx.cpu(2)) == mx.cpu(2) and mx.cpu(2).device_typeid == 1
    with mx.Context("cpu", 3) as ctx:
        assert mx.current_context() is ctx
        assert mx.nd.zeros((1,)).shape == (1,)
    assert mx.current_context() == mx.cpu(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert mx.Context.default_ctx == mx.cpu(0)
    with mx.gpu(0):
        with pytest.raises(mx.MXNetError, match="kiln runs on the CPU"):
            mx.nd.zeros((2,))
    for make in [lambda: mx.nd.array([1], ctx=mx.gpu(0)),
                 lambda: mx.nd.ones((2,), ctx=mx.gpu()),
                 lambda: mx.nd.ones((2,)).copyto(mx.gpu(0)),
                 lambda: mx.context.gpu_memory_info(0)]:
        with pytest.raises(mx.MXNetError):
            make()
    with pytest.raises(KeyError, match="unknown device_type"):  # as mxnet==1.9.1
        mx.Context("tpu")


def test_runtime_features_report_this_build():
    features = mx.runtime.Features()
    assert features is mx.runtime.Features()
    assert list(features)[:5] == ["CUDA", "CUDNN", "NCCL", "CUDA_RTC", "TENSORRT"]
    assert features.is_enabled("mkldnn") and not features.is_enabled("CUDA")
    assert features["MKLDNN"].name == "MKLDNN" and features["MKLDNN"].enabled
    assert repr(features["CUDA"]) == "✖ CUDA"
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next(line for line in cpuinfo if line.startswith("flags")).split()
    assert features.is_enabled("CPU_AVX2") == ("avx2" in flags)
    assert features.is_enabled("CPU_SSE2") == ("sse2" in flags)
    assert [f.name for f in mx.runtime.feature_list()] == list(features)
    with pytest.raises(RuntimeError, match="unknown"):
        features.is_enabled("WARP_DRIVE")


def test_name_and_attribute_scopes():
    with mx.name.Prefix("net_") as prefix:
        assert prefix.get(None, "fc") == "net_fc0"
        assert prefix.get(None, "fc") == "net_fc1"
        assert prefix.get("given", "fc") == "net_given"
        assert mx.name.current() is prefix
    assert mx.name.current() is not prefix
    manager = mx.name.NameManager()
    assert manager.get(None, "conv") == "conv0" and manager.get("x", "conv") == "x"
    with mx.AttrScope(ctx_group="dev1"):
        with mx.attribute.AttrScope(lr_mult="2") as inner:
            assert inner.get({"wd_mult": "0"}) == {"ctx_group": "dev1",
                                                   "lr_mult": "2", "wd_mult": "0"}
            assert mx.attribute.current() is inner
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                assert mx.AttrScope.current is inner
    assert mx.attribute.current().get(None) == {}
    with pytest.raises(ValueError):
        mx.AttrScope(lr_mult=2)


def test_engine_bulk_restores_the_size():
    previous = mx.engine.set_bulk_size(7)
    assert mx.engine.set_bulk_size(previous) == 7
    with mx.engine.bulk(20):
        assert mx.engine.set_bulk_size(20) == 20
    assert mx.engine.set_bulk_size(previous) == previous


def test_numpy_mode_switches_report_false_and_refuse_to_turn_on():
    util = mx.util
    assert util.is_np_array() is False and util.is_np_shape() is False
    assert util.set_np_shape(False) is False
    util.reset_np()
    util.set_np(shape=False, array=False)
    with util.np_shape(False):
        pass
    for turn_on in [lambda: util.set_np(), lambda: util.set_np_shape(True),
                    lambda: util.np_shape().__enter__(),
                    lambda: util.np_array(True).__enter__()]:
        with pytest.raises(mx.MXNetError, match="numpy mode"):
            turn_on()

    @mx.use_np
    def numpy_style(x):
        return x
    with pytest.raises(mx.MXNetError, match="numpy mode"):
        numpy_style(1)
    assert util.get_gpu_count() == 0
    with pytest.raises(mx.MXNetError):
        util.get_gpu_memory(0)
    util.setenv("KILN_LAYOUT_TEST", "1")
    assert util.getenv("KILN_LAYOUT_TEST") == "1"
    util.setenv("KILN_LAYOUT_TEST", None)
    assert util.getenv("KILN_LAYOUT_TEST") is None


def test_star_import_of_test_utils():
    namespace = {}
    exec("from mxnet.test_utils import *", namespace)
    assert namespace["mx"] is mx and namespace["np"] is np
    for name in ["assert_almost_equal", "almost_equal", "same", "same_array",
                 "rand_ndarray", "rand_shape_2d", "rand_shape_nd", "np_reduce",
                 "random_sample", "default_context", "set_default_context",
                 "default_dtype", "default_rtols", "default_atols", "get_rtol",
                 "get_atol", "get_tols", "assert_exception", "retry",
                 "discard_stderr", "environment", "set_env_var",
                 "check_numeric_gradient", "check_symbolic_forward",
                 "check_symbolic_backward", "is_op_runnable",
                 "collapse_sum_like", "effective_dtype",
                 "assert_almost_equal_ignore_nan", "Context", "Features",
                 "use_np", "getenv", "setenv", "array"]:
        assert name in namespace, name


def test_test_utils_tolerances_are_mxnets():
    tu = mx.test_utils
    assert tu.default_rtols()[np.dtype(np.float32)] == 1e-4
    assert tu.default_atols()[np.dtype(np.float32)] == 1e-3
    assert tu.default_atols()[np.dtype(np.float16)] == 1e-1
    assert tu.get_rtol() == 1e-5 and tu.get_atol(None, np.float32) == 1e-3
    f32 = mx.nd.ones((2,))
    f16 = np.ones(2, dtype=np.float16)
    assert tu.get_tols(f32, f16, None, None) == (1e-2, 1e-1)
    assert tu.get_tols(f32, f32, 0.5, {np.dtype(np.float32): 0.25}) == (0.5, 0.25)
    # float32 tolerances: 1e-3 absolute passes, 1e-2 fails.
    tu.assert_almost_equal(f32, f32.asnumpy() + 5e-4)
    with pytest.raises(AssertionError, match="exceeds tolerance"):
        tu.assert_almost_equal(f32, f32.asnumpy() + 1e-2)
    # almost_equal uses float64's defaults when not told, as MXNet.
    assert not tu.almost_equal(f32, f32.asnumpy() + 5e-4)
    tu.assert_almost_equal_ignore_nan(np.array([1.0, np.nan]), np.array([1.0, 5.0]))
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(np.array([True]), np.array([False]))


def test_test_utils_helpers():
    tu = mx.test_utils
    data = np.arange(24.0).reshape(2, 3, 4)
    assert tu.np_reduce(data, (0, 2), True, np.sum).shape == (1, 3, 1)
    assert np.array_equal(tu.np_reduce(data, None, False, np.sum), data.sum())
    assert sorted(tu.random_sample([1, 2, 3, 4], 4)) == [1, 2, 3, 4]
    assert len(tu.random_sample(list(range(10)), 3)) == 3
    assert all(1 <= extent <= 4 for extent in tu.rand_shape_nd(5, 4))
    array = tu.rand_ndarray((3, 4), dtype="float64")
    assert array.shape == (3, 4) and array.dtype is np.float64
    assert tu.collapse_sum_like(np.ones((2, 3, 4)), (3, 1)).tolist() == [[8], [8], [8]]
    x = mx.nd.ones((2,))
    assert tu.same_array(x, x) and not tu.same_array(x, x.copy())
    assert x.asnumpy().tolist() == [1, 1]
    assert tu.default_context() == mx.cpu() and tu.is_op_runnable()
    assert tu.effective_dtype(x) == np.dtype(np.float32)
    tu.assert_exception(lambda: 1 / 0, ZeroDivisionError)
    with pytest.raises(AssertionError):
        tu.assert_exception(lambda: None, ZeroDivisionError)
    calls = []

    @tu.retry(3)
    def flaky():
        calls.append(1)
        assert len(calls) == 3
    flaky()
    assert len(calls) == 3
    with tu.environment("KILN_LAYOUT_ENV", "on"):
        assert os.environ["KILN_LAYOUT_ENV"] == "on"
    assert "KILN_LAYOUT_ENV" not in os.environ
    assert tu.set_env_var("KILN_LAYOUT_ENV", "1", "unset") == "unset"
    assert tu.set_env_var("KILN_LAYOUT_ENV", "2") == "1"
    del os.environ["KILN_LAYOUT_ENV"]
    with tu.discard_stderr():
        os.write(2, b"this line goes to /dev/null\n")
    tu.set_default_context(mx.cpu(1))
    try:
        assert tu.default_context() == mx.cpu(1)
    finally:
        tu.set_default_context(mx.cpu(0))


def test_symbol_forms_run_on_mx_sym():
    # test_test_utils_symbol.py compares them with MXNet.
    tu = mx.test_utils
    x = mx.sym.Variable("x")
    tu.check_symbolic_forward(x * 2, [np.ones(2)], [np.full(2, 2.0)])
    tu.check_symbolic_backward(x * 2, [np.ones(2)], [np.ones(2)],
                               [np.full(2, 2.0)])
    tu.check_numeric_gradient(x * x, [np.array([1.0, 2.0])])
    # kiln's own form: a function of NDArrays.
    tu.check_numeric_gradient(lambda a: a * a, [np.array([1.0, 2.0])],
                              dtype=np.float64, numeric_eps=1e-5, rtol=1e-4)
