"""MXNet 1.9.1's contrib operators that are compositions of kiln's own
operators, registered with kiln/_python_ops.py by `call` (the call runs
kiln's operators, so autograd records them and a graph with such a node
is captured and compiled like any other), and MXNet's contrib backward
operators that its Python API exposes:

    quadratic(data, a=0, b=0, c=0)            a x^2 + b x + c, computed as
        x (a x + b) + c in float (a, b, c float32; integer data truncated
        back), as src/operator/contrib/quadratic_op.cc.
    BatchNormWithReLU(data, gamma, beta, moving_mean, moving_var, ...)
        relu(BatchNorm(...)) with BatchNorm's attributes and outputs
        (src/operator/contrib/batch_norm_relu.cc).
    SyncBatchNorm(data, gamma, beta, moving_mean, moving_var, eps=0.001,
        momentum=0.9, fix_gamma=True, use_global_stats=False,
        output_mean_var=False, ndev=1, key)
        BatchNorm over axis 1 (src/operator/contrib/sync_batch_norm.cc):
        kiln has one device per process, so the statistics are the
        local batch's; ndev and key (required) are checked and recorded.
    backward_gradientmultiplier(data, scalar=1, is_int=True)
        data * scalar (integer data: by int(scalar) when is_int, else in
        float64), gradientmultiplier's backward.
    backward_quadratic, backward_index_copy, backward_hawkesll
        MXNet declares no inputs for their functions, so called from
        Python they raise "expects N inputs, but got 0" as MXNet's; as
        graph nodes (JSON) they compute the gradients:
        backward_quadratic(out_grad, data; a, b, c) -> out_grad (2 a x + b);
        backward_index_copy(out_grad, old, index, new) -> [out_grad with
        the copied rows zeroed, zeros, out_grad's copied rows];
        backward_hawkesll(out_grad, out_state_grad, the 8 inputs) -> the
        8 inputs' gradients.
"""
import numpy as _np

from .. import _core, _python_ops
from ..base import MXNetError
from . import hawkes as _hawkes
from ._common import register
from ._params import BOOL, FLOAT, INT, Param, Params, _Kind

STRING = _Kind("string", str)


def _write_out(results, out, op_name):
    """results, or `out` (an NDArray or list) filled with them."""
    if out is None:
        return results
    targets = list(out) if isinstance(out, (list, tuple)) else [out]
    if len(targets) != len(results):
        raise MXNetError("Operator %s: out expected %d arrays, got %d"
                         % (op_name, len(results), len(targets)))
    for target, result in zip(targets, results):
        if tuple(target.shape) != tuple(result.shape):
            raise MXNetError("Operator %s: out expected shape %s, got %s"
                             % (op_name, result.shape, target.shape))
        target[:] = result
    return targets


# -- quadratic -----------------------------------------------------------------
_QUADRATIC = Params("_contrib_quadratic", [
    Param("a", FLOAT, 0.0), Param("b", FLOAT, 0.0), Param("c", FLOAT, 0.0)])


def _quadratic_infer(parsed, shapes, dtypes):
    return [(shapes[0], dtypes[0])], [(shapes[0], dtypes[0])]


def _quadratic_call(parsed, inputs, out, ctx):
    _python_ops.check_inputs("Operator _contrib_quadratic", ["data"], inputs)
    data = inputs[0]
    x = data if _np.dtype(data.dtype).kind == "f" else data.astype("float32")
    # MXNet's a, b and c are float32 parameters.
    a, b, c = (float(_np.float32(value))
               for value in (parsed.a, parsed.b, parsed.c))
    result = x * (x * a + b) + c
    if _np.dtype(result.dtype) != _np.dtype(data.dtype):
        result = result.astype(data.dtype)
    return _write_out([result], out, "_contrib_quadratic")


_python_ops.register(
    "_contrib_quadratic", inputs=["data"], params=_QUADRATIC.specs,
    parse=_QUADRATIC.parse, infer=_quadratic_infer, call=_quadratic_call,
    doc="a * x^2 + b * x + c elementwise.")


# -- SyncBatchNorm (BatchNormWithReLU is a C++ operator: BatchNormOps.cpp) ------
_BN_INPUTS = ["data", "gamma", "beta", "moving_mean", "moving_var"]
_BN_SPECS = [entry[2] for entry in _core.list_ops()
             if entry[0] == "BatchNorm"][0]


_SYNC = Params("_contrib_SyncBatchNorm", [
    Param("eps", FLOAT, 0.001), Param("momentum", FLOAT, 0.9),
    Param("fix_gamma", BOOL, True), Param("use_global_stats", BOOL, False),
    Param("output_mean_var", BOOL, False), Param("ndev", INT, 1),
    Param("key", STRING)])


def _sync_parse(attrs):
    """BatchNorm's attributes of a SyncBatchNorm node (axis 1)."""
    parsed = _SYNC.parse(attrs)
    if parsed.ndev < 1:
        raise MXNetError("SyncBatchNorm: ndev expected a positive device "
                         "count, got %d" % parsed.ndev)
    return {"eps": repr(parsed.eps), "momentum": repr(parsed.momentum),
            "fix_gamma": str(parsed.fix_gamma),
            "use_global_stats": str(parsed.use_global_stats),
            "output_mean_var": str(parsed.output_mean_var), "axis": "1"}


def _bn_interface(attrs):
    return _core.symbol_interface("BatchNorm", attrs)


def _bn_infer(attrs, shapes, dtypes):
    return _core.infer_node("BatchNorm", attrs, list(shapes), list(dtypes),
                            False)


def _bn_call(op_name, relu):
    def call(attrs, inputs, out, ctx):
        _python_ops.check_inputs("Operator %s" % op_name, _BN_INPUTS, inputs)
        results = _core.invoke("BatchNorm", list(inputs), attrs)
        results = list(results) if isinstance(results, (list, tuple)) \
            else [results]
        if relu:
            results[0] = _core.invoke("relu", [results[0]], {})
        return _write_out(results, out, op_name)
    return call


_python_ops.register(
    "_contrib_SyncBatchNorm", inputs=_BN_INPUTS, params=_SYNC.specs,
    parse=_sync_parse, interface=_bn_interface, infer=_bn_infer,
    call=_bn_call("_contrib_SyncBatchNorm", False),
    doc="Batch normalization over axis 1, statistics of this device's "
        "batch.")


# -- MXNet's exposed backward operators ------------------------------------------
_GRAD_MULT = Params("_contrib_backward_gradientmultiplier", [
    Param("scalar", FLOAT, 1.0), Param("is_int", BOOL, True)])


def _grad_mult_infer(parsed, shapes, dtypes):
    dtype = dtypes[0]
    out = dtype
    if dtype is not None and _np.dtype(dtype).kind in "iub" and \
            not parsed.is_int:
        out = "float64"
    return [(shapes[0], dtype)], [(shapes[0], out)]


def _grad_mult_forward(parsed, arrays, is_train):
    data = arrays[0]
    if _np.dtype(data.dtype).kind in "iub":
        if parsed.is_int:
            return [(data * data.dtype.type(int(parsed.scalar)))
                    .astype(data.dtype)]
        return [data.astype(_np.float64) * parsed.scalar]
    return [(data * data.dtype.type(parsed.scalar)).astype(data.dtype)]


register(_GRAD_MULT, _grad_mult_infer, _grad_mult_forward, None, ["data"],
         ["output"], doc="data * scalar: gradientmultiplier's backward.")


def _no_function_inputs(name, params, inputs, outputs, infer, forward):
    """Registers a backward operator whose mx.nd / mx.sym functions take
    no inputs (as MXNet's, which declare none) while its nodes take
    `inputs`."""
    def interface(parsed):
        return list(inputs), [], list(outputs), {}
    # No params in the functions' signatures either: MXNet's take only
    # out and name, so a positional array there is `out`.
    _python_ops.register(name, inputs=(), params=(), parse=params.parse,
                         interface=interface, infer=infer, forward=forward,
                         outputs=outputs)


def _same_as(positions):
    """infer: output k has the shape and dtype of input positions[k]."""
    def infer(parsed, shapes, dtypes):
        return (list(zip(shapes, dtypes)),
                [(shapes[index], dtypes[index]) for index in positions])
    return infer


def _backward_quadratic(parsed, arrays, is_train):
    grad, data = arrays
    a, b = (float(_np.float32(value)) for value in (parsed.a, parsed.b))
    return [(grad * (2 * a * data.astype(_np.float64) + b))
            .astype(data.dtype)]


def _backward_index_copy(parsed, arrays, is_train):
    grad, old, index, new = arrays
    rows = index.reshape(-1).astype(_np.int64)
    old_grad = grad.copy()
    old_grad[rows] = 0
    return [old_grad.astype(old.dtype), _np.zeros_like(index),
            grad[rows].astype(new.dtype)]


def _backward_hawkesll(parsed, arrays, is_train):
    grads = _hawkes._backward(parsed, arrays[2:], None, arrays[:2])
    return [_np.zeros_like(array) if grad is None else grad
            for grad, array in zip(grads, arrays[2:])]


_no_function_inputs(
    "_contrib_backward_quadratic",
    Params("_contrib_backward_quadratic", _QUADRATIC.params),
    ["out_grad", "data"], ["data_grad"], _same_as([1]), _backward_quadratic)
_no_function_inputs(
    "_contrib_backward_index_copy",
    Params("_contrib_backward_index_copy", []),
    ["out_grad", "old_tensor", "index_vector", "new_tensor"],
    ["old_tensor_grad", "index_vector_grad", "new_tensor_grad"],
    _same_as([1, 2, 3]), _backward_index_copy)
_no_function_inputs(
    "_contrib_backward_hawkesll", Params("_contrib_backward_hawkesll", []),
    ["out_grad", "out_state_grad"] + _hawkes._INPUTS,
    [name + "_grad" for name in _hawkes._INPUTS],
    _same_as(range(2, 10)), _backward_hawkesll)

__all__ = []
