"""tools/api_surface.py, run in this process against the kiln under test: the
MXNet 1.9.1 snapshot loads, sparse/GPU-only names are set apart, a module kiln
lacks reports 0% instead of crashing, and names kiln has count as present."""
import importlib.util
import io
import json
import os
import pathlib

import pytest


def _tool_path():
    # Under bazel test the tool is a data file in the runfiles tree.
    if os.environ.get("TEST_SRCDIR") and os.environ.get("TEST_WORKSPACE"):
        return os.path.join(os.environ["TEST_SRCDIR"], os.environ["TEST_WORKSPACE"],
                            "tools", "api_surface.py")
    return str(pathlib.Path(__file__).resolve().parents[2] / "tools" / "api_surface.py")


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("api_surface", _tool_path())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def modules(tool):
    return tool.load_snapshot()["modules"]


def _run(tool, argv):
    out = io.StringIO()
    status = tool.main(argv, out=out)
    return status, out.getvalue()


def test_snapshot_has_every_module_and_follows_the_rule(tool, modules):
    assert tool.load_snapshot()["mxnet_version"] == "1.9.1"
    assert set(modules) == set(tool.MODULES)
    assert "broadcast_add" in modules["mxnet.ndarray"]
    assert "broadcast_add" in modules["mxnet.ndarray.op"]
    assert "_plus_scalar" in modules["mxnet.ndarray._internal"]
    assert "asnumpy" in modules["mxnet.ndarray.NDArray"]
    assert "csr_matrix" in modules["mxnet.ndarray.sparse"]
    # Plain imports of other libraries are not MXNet's API...
    assert "ctypes" not in modules["mxnet.base"]
    assert "np" not in modules["mxnet.ndarray.contrib"]
    assert "py_slice" not in modules["mxnet.ndarray.ndarray"]
    # ... except what `from mxnet.test_utils import *` hands to test files.
    assert {"mx", "np", "assert_almost_equal"} <= set(modules["mxnet.test_utils"])


def test_snapshot_rule_outside_ndarray(modules):
    # Packages re-export on purpose: submodules and imported classes count.
    assert {"Symbol", "var", "op", "contrib", "gen_op", "register", "sparse"} \
        <= set(modules["mxnet.symbol"])
    assert {"Block", "nn", "Trainer"} <= set(modules["mxnet.gluon"])
    assert {"Augmenter", "ImageIter", "det", "imread"} <= set(modules["mxnet.image"])
    # Star imports bring a module's imports: judged where they were imported.
    assert not {"json", "np", "warnings", "nd", "numeric_types"} & set(modules["mxnet.image"])
    assert not {"warnings", "DataDesc", "symbol", "save_checkpoint"} & \
        set(modules["mxnet.rnn"])
    assert {"save_rnn_checkpoint", "BucketSentenceIter"} <= set(modules["mxnet.rnn"])
    # C plumbing and other modules' names a plain module imports are out.
    operator = set(modules["mxnet.operator"])
    assert {"CustomOp", "register", "get_operator_arguments"} <= operator
    assert not {"ctypes", "check_call", "c_str", "c_int_p", "NDArrayHandle",
                "NDArray", "symbol", "CFUNCTYPE"} & operator
    assert not {"save_checkpoint", "time"} & set(modules["mxnet.callback"])
    assert not {"load", "NDArray", "np", "sqrt"} & set(modules["mxnet.initializer"])
    assert not {"Context", "nd", "sym", "np", "namedtuple"} & set(modules["mxnet.model"])
    assert {"BatchEndParam", "FeedForward", "save_checkpoint"} <= set(modules["mxnet.model"])
    # ... unless the module lists them in __all__; mxnet.base keeps its handles.
    assert "CachedOp" in modules["mxnet.ndarray.op"]
    assert "NDArrayHandle" in modules["mxnet.base"]
    assert "Feature" in modules["mxnet.runtime"]
    # metric.np is MXNet's own function (metric.py imports numpy unaliased).
    assert "np" in modules["mxnet.metric"] and "numpy" not in modules["mxnet.metric"]


def test_classification_sets_sparse_and_gpu_names_apart(tool):
    assert tool.classify("mxnet.ndarray.sparse", "csr_matrix")[0] == tool.SPARSE
    assert tool.classify("mxnet.ndarray", "cast_storage")[0] == tool.SPARSE
    assert tool.classify("mxnet.ndarray.NDArray", "tostype")[0] == tool.SPARSE
    assert tool.classify("mxnet.ndarray.contrib", "getnnz")[0] == tool.SPARSE
    assert tool.classify("mxnet.context", "gpu_memory_info")[0] == tool.GPU
    assert tool.classify("mxnet.ndarray._internal", "_contrib_cudnn_x")[0] == tool.GPU
    # Dense names, despite what their spelling suggests.
    assert tool.classify("mxnet.ndarray", "broadcast_add") is None
    assert tool.classify("mxnet.ndarray.op", "IdentityAttachKLSparseReg") is None
    assert tool.classify("mxnet.context", "num_gpus") is None
    assert tool.classify("mxnet", "gpu") is None
    # MXNet's executor-inserted gradient ops and oneDNN fusions are internal.
    assert tool.classify("mxnet.ndarray._internal", "_backward_add")[0] == tool.INTERNAL
    assert tool.classify("mxnet.ndarray._internal", "_sg_mkldnn_conv")[0] == tool.INTERNAL
    assert tool.classify("mxnet.ndarray._internal", "_plus_scalar") is None
    # MXNet 2's NumPy front end, and what MXNet's own CPU build cannot run.
    for module, name in [("mxnet", "np"), ("mxnet", "npx"), ("mxnet", "np_symbol"),
                         ("mxnet", "numpy_op_signature"), ("mxnet.ndarray", "numpy")]:
        assert tool.classify(module, name)[0] == tool.NUMPY, (module, name)
    assert tool.classify("mxnet.ndarray", "npi") is None
    assert tool.classify("mxnet.ndarray.contrib", "quantized_rnn")[0] == tool.BROKEN
    assert tool.classify("mxnet.ndarray.contrib", "quantize") is None
    # The same rows for mx.sym.
    assert tool.classify("mxnet.symbol", "gen_sparse")[0] == tool.SPARSE
    assert tool.classify("mxnet.symbol", "cast_storage")[0] == tool.SPARSE
    assert tool.classify("mxnet.symbol.contrib", "dgl_subgraph")[0] == tool.SPARSE
    assert tool.classify("mxnet.symbol.contrib", "SparseEmbedding")[0] == tool.SPARSE
    assert tool.classify("mxnet.gluon.contrib.nn", "SparseEmbedding")[0] == tool.SPARSE
    assert tool.classify("mxnet.symbol", "npx")[0] == tool.NUMPY
    assert tool.classify("mxnet.symbol.contrib", "quantized_rnn")[0] == tool.BROKEN
    assert tool.classify("mxnet.symbol.contrib", "adamw_update") is None
    assert tool.classify("mxnet.test_utils", "np") is None

    [report] = tool.measure({"mxnet.ndarray.sparse": ["csr_matrix", "retain"]})
    assert report["total"] == 0 and report["missing"] == []
    assert [e["name"] for e in report["set_apart"]] == ["csr_matrix", "retain"]
    assert all(e["category"] == tool.SPARSE and e["reason"] for e in report["set_apart"])


def test_a_module_kiln_lacks_reports_zero_percent(tool):
    reports = tool.measure({"mxnet.no_such_module": ["alpha", "beta"],
                            "mxnet.ndarray.no_such_submodule": ["gamma"],
                            "mxnet.ndarray.NoSuchClass": ["delta"]})
    for report in reports:
        assert not report["found"] and report["error"]
        assert report["present"] == 0 and report["coverage"] == 0.0
    assert reports[0]["missing"] == ["alpha", "beta"]


def test_names_kiln_has_count_as_present(tool, modules):
    nd, top, ndarray_class = tool.measure({
        "mxnet.ndarray": modules["mxnet.ndarray"],
        "mxnet": modules["mxnet"],
        "mxnet.ndarray.NDArray": modules["mxnet.ndarray.NDArray"],
    })
    assert nd["found"] and nd["error"] is None
    assert not {"broadcast_add", "array", "zeros", "dot"} & set(nd["missing"])
    assert not {"nd", "cpu", "autograd", "MXNetError"} & set(top["missing"])
    assert not {"asnumpy", "shape", "reshape"} & set(ndarray_class["missing"])
    assert 0 < nd["present"] <= nd["total"]
    assert nd["present"] + len(nd["missing"]) == nd["total"]


def test_output_modes_and_exit_status(tool, modules, tmp_path):
    status, text = _run(tool, ["--markdown"])
    assert status == 0
    rows = text.splitlines()
    assert rows[0].startswith("| module | kiln has | MXNet has | coverage |")
    assert len(rows) == 2 + len(tool.MODULES)

    assert tool.find_module("nd.linalg", modules) == "mxnet.ndarray.linalg"
    assert tool.find_module("sym.linalg", modules) == "mxnet.symbol.linalg"
    assert tool.find_module("linalg", modules) is None  # nd's or sym's
    assert tool.find_module("transforms", modules) == \
        "mxnet.gluon.data.vision.transforms"
    assert tool.find_module("random", modules) == "mxnet.random"
    assert tool.find_module("no_such", modules) is None
    status, text = _run(tool, ["--missing", "nd"])
    missing = text.split()
    assert status == 0 and "broadcast_add" not in missing
    assert set(missing) < set(modules["mxnet.ndarray"])

    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps({"mxnet_version": "1.9.1", "modules": {
        "mxnet.no_such_module": ["alpha"], "mxnet.ndarray": ["broadcast_add"]}}))
    status, text = _run(tool, ["--json", "--snapshot", str(snapshot)])
    lines = [json.loads(line) for line in text.splitlines()]
    assert status == 0
    assert [(r["module"], r["coverage"]) for r in lines] == [
        ("mxnet.ndarray", 100.0), ("mxnet.no_such_module", 0.0)]
    assert _run(tool, ["--snapshot", str(snapshot), "--min-coverage", "50"])[0] == 1
    only_present = tmp_path / "present.json"
    only_present.write_text(json.dumps({"modules": {"mxnet.ndarray": ["array"]}}))
    assert _run(tool, ["--snapshot", str(only_present), "--min-coverage", "50"])[0] == 0


# Dense names kiln may lack, per module: any other covered name that goes
# missing fails the test below. The mx.sym and mx.operator entries are
# defined (kiln/symbol/register.py, _gen_modules.py, _legacy_losses.py,
# _contrib_tail.py and kiln/_operator_arguments.py) and wait for their
# imports in the package files; drop them here once imported.
KNOWN_MISSING = {}


def test_no_covered_name_goes_missing(tool, modules):
    reports = tool.measure(modules)
    for report in reports:
        assert report["found"], (report["module"], report["error"])
    for report in reports:
        unexpected = set(report["missing"]) - KNOWN_MISSING.get(report["module"], set())
        assert not unexpected, (report["module"], sorted(unexpected))
