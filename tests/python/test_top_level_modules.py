"""MXNet 1.9.1's small top-level modules kiln adds (mx.api, mx.error,
mx.ndarray_doc, mx.symbol_doc, mx.onnx, mx.tvmop), mx.io.LibSVMIter's
refusal, mx.profiler.profiler_kvstore_handle and mx.test_utils.np_symbol,
against the oracle: public names, results and errors."""
import textwrap

import numpy as np
import pytest

import kiln as mx
import kiln.api  # noqa: F401
import kiln.error  # noqa: F401
import kiln.io.libsvm_iter as libsvm
import kiln.ndarray_doc  # noqa: F401
import kiln.onnx  # noqa: F401
import kiln.onnx.mx2onnx  # noqa: F401
import kiln.symbol_doc  # noqa: F401
import kiln.tvmop  # noqa: F401
from mxnet_oracle import requires_oracle, run_mxnet

_MODULES = ["api", "error", "ndarray_doc", "symbol_doc", "onnx", "onnx.mx2onnx",
            "tvmop"]

# Runs under both: fills `outputs` with strings describing the behaviour.
_SNIPPET = """
import importlib
for name in MODULES:
    module = importlib.import_module(PKG + "." + name)
    public = sorted(n for n in dir(module) if not n.startswith("_"))
    outputs["names/" + name] = np.array(" ".join(public))
outputs["all/error"] = np.array(" ".join(mx.error.__all__))
err = mx.error.InternalError("broken state")
outputs["internal"] = np.array("%s|%s" % (isinstance(err, mx.base.MXNetError), err))
outputs["internal_hinted"] = np.array(str(mx.error.InternalError("x MXNet hint: y")))
outputs["register_is"] = np.array(mx.error.register is mx.base.register_error)
outputs["tvm"] = np.array(mx.tvmop.Features().is_enabled("TVM_OP"))
for call in ("mx.onnx.get_operator_support()", "mx.onnx.export_model(None, None)",
             "mx.onnx.mx2onnx.export_model(None, {}, [(1, 2)])",
             "mx.onnx.get_operator_support(12)"):
    try:
        eval(call)
        outputs["onnx/" + call] = np.array("no error")
    except Exception as e:
        outputs["onnx/" + call] = np.array("%s: %s" % (type(e).__name__, e))
outputs["nd_doc"] = np.array(mx.ndarray_doc._build_doc(
    "nothing_here", "Adds.", ["lhs", "axis"], ["NDArray-or-Symbol", "int, optional"],
    ["left side", "the axis"]))
outputs["sym_doc"] = np.array(mx.symbol_doc._build_doc(
    "nothing_here", "Adds.", ["lhs"], ["NDArray-or-Symbol"], ["left side"],
    key_var_num_args="num_args"))
outputs["sym_doc_stack_head"] = np.array(mx.ndarray_doc._build_doc(
    "Stack", "J.", ["a"], ["NDArray-or-Symbol"], ["x"]).split("Example")[0])
net = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name="fc")
net = mx.sym.Concat(net, mx.sym.var("y"), dim=1, name="cat")
outputs["out_shape"] = np.array(repr(mx.symbol_doc.SymbolDoc.get_output_shape(
    net, x=(2, 5), y=(2, 4))))
outputs["kv_handle"] = np.array(repr(mx.profiler.profiler_kvstore_handle))
from PKG_test_utils import np_symbol
outputs["np_symbol"] = np.array("%s %s" % (issubclass(np_symbol, mx.sym.Symbol),
                                           isinstance(mx.sym.var("v"), np_symbol)))
for kwargs in (dict(data_shape=(3,), batch_size=2),
               dict(data_libsvm="x.t", data_shape=(3,), batch_size="two"),
               dict(data_libsvm="x.t", batch_size=2)):
    try:
        LIBSVM(**kwargs)
        outputs["libsvm/%r" % sorted(kwargs)] = np.array("no error")
    except mx.base.MXNetError as e:
        outputs["libsvm/%r" % sorted(kwargs)] = np.array(str(e).strip().splitlines()[-1])
"""


def _snippet(pkg):
    return ("MODULES = %r\nPKG = %r\n" % (_MODULES, pkg)
            + _SNIPPET.replace("PKG_test_utils", pkg + ".test_utils"))


def _run_kiln(code):
    scope = {"mx": mx, "np": np, "outputs": {}, "LIBSVM": libsvm.LibSVMIter}
    exec(compile(textwrap.dedent(code), "<kiln>", "exec"), scope)
    return {k: str(v) for k, v in scope["outputs"].items()}


@requires_oracle
def test_modules_match_mxnet():
    want = run_mxnet("LIBSVM = mx.io.LibSVMIter\n" + _snippet("mxnet"))
    want = {k: str(v) for k, v in want.items()}
    got = _run_kiln(_snippet("kiln"))
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        if key.startswith("libsvm/"):
            continue
        assert got[key] == want[key], key
    # the parameter errors read as MXNet's, with the iterator's name first
    for key in want:
        if key.startswith("libsvm/"):
            assert got[key].startswith("LibSVMIter: ")
            assert got[key][len("LibSVMIter: "):] in want[key], (key, got[key], want[key])


def test_libsvm_iter_refuses_csr_batches():
    with pytest.raises(mx.base.MXNetError,
                       match=r"LibSVMIter .*csr.*not supported"):
        libsvm.LibSVMIter(data_libsvm="data.t", data_shape=(3,), batch_size=2)
    with pytest.raises(mx.base.MXNetError, match="Required parameter data_libsvm"):
        libsvm.LibSVMIter(data_shape=(3,), batch_size=2)
    assert "data_libsvm : string, required" in libsvm.LibSVMIter.__doc__


def test_internal_error_is_registered_and_raisable():
    with pytest.raises(mx.base.MXNetError, match="MXNet hint"):
        raise mx.error.InternalError("bad")
    assert mx.base.error_types["InternalError"] is mx.error.InternalError
    assert mx.base.error_types["ValueError"] is ValueError
