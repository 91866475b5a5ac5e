"""What the Python-implemented contrib operators share: registration
with kiln/_python_ops.py from their Params, zero gradients, and shape and
dtype checks worded as MXNet 1.9.1's (MXNetError "Check failed: ...")."""
import numpy as _np

from .. import _python_ops
from ..base import MXNetError

__all__ = ["register", "zero_grads", "check", "same_float_dtype",
           "float32_only", "batch_shape"]


def register(params, infer, forward, backward, inputs, outputs, aliases=(),
             doc=""):
    """Registers the operator params.op_name (see _python_ops.register)
    with params' signature and parser."""
    return _python_ops.register(
        params.op_name, inputs=inputs, outputs=outputs, params=params.specs,
        parse=params.parse, infer=infer, forward=forward, backward=backward,
        aliases=aliases, doc=doc)


def zero_grads(parsed, arrays, outputs, out_grads):
    """The gradients of MXNet's operators whose backward writes zeros."""
    return [_np.zeros_like(array) for array in arrays]

# mshadow's type flags, which MXNet's messages name.
_FLAGS = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4,
          "int8": 5, "int64": 6, "bool": 7}
_FLOATS = ("float16", "float32", "float64")


def check(condition, message):
    """MXNetError("Check failed: <message>") unless `condition`."""
    if not condition:
        raise MXNetError("Check failed: " + message)


def same_float_dtype(dtypes):
    """The common dtype of inputs (None while none is known): MXNetError
    for inputs of different dtypes or a dtype other than float16/32/64,
    as MXNet's ElemwiseType operators with MSHADOW_REAL_TYPE_SWITCH."""
    known_types = [(index, dtype) for index, dtype in enumerate(dtypes)
                   if dtype is not None]
    if not known_types:
        return None
    first = known_types[0][1]
    for index, dtype in known_types[1:]:
        if dtype != first:
            raise MXNetError("Check failed: assign(&dattr, vec.at(i)): "
                             "Incompatible attr in node  at %d-th input: "
                             "expected %s, got %s" % (index, first, dtype))
    if first not in _FLOATS:
        raise MXNetError("This operation only support floating point types, "
                         "not %s" % first)
    return first


def float32_only(dtypes):
    """'float32' (MXNet's legacy OperatorProperty operators take nothing
    else); MXNetError naming the type flag of another dtype."""
    for dtype in dtypes:
        if dtype is not None and dtype != "float32":
            raise MXNetError("Check failed: in_type->at(i) == mshadow::"
                             "default_type_flag || in_type->at(i) == -1: "
                             "Unsupported data type %d"
                             % _FLAGS.get(dtype, -1))
    return "float32"


def batch_shape(shape, trailing):
    """(number of batches, trailing shape) of `shape` whose last
    `trailing` axes are the per-batch ones (leading axes flattened)."""
    lead = shape[:len(shape) - trailing]
    return int(_np.prod(lead)) if lead else 1, tuple(shape[len(lead):])
