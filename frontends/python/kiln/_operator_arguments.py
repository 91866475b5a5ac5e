"""mx.operator.get_operator_arguments and OperatorArguments, as MXNet
1.9.1's: the argument names of a registered operator, inputs first, then
its parameters, with a type description of each.

    get_operator_arguments("broadcast_add")
    # OperatorArguments(narg=2, names=['lhs', 'rhs'],
    #                   types=['NDArray-or-Symbol', 'NDArray-or-Symbol'])

MXNet reads them from its C operator registry; kiln reads its C++ registry
(kiln._core.list_ops, aliases through canonical_op_name) and the Python
operators (kiln/_python_ops.py). Names, their order and the input types
('NDArray-or-Symbol', 'NDArray-or-Symbol[]' for a variadic input, whose
name loses its '*') are MXNet's; kiln's registry records no parameter
types, so a parameter's type says what its default shows ('boolean',
'int', 'float', 'Shape(tuple)', 'string', 'any' without one) and
'required' or 'optional, default=<default>'. MXNetError for an operator
neither registry has.
"""
import ast as _ast
import collections as _collections

from . import _core, _python_ops
from .base import MXNetError

__all__ = ["OperatorArguments", "get_operator_arguments"]

OperatorArguments = _collections.namedtuple("OperatorArguments",
                                            ["narg", "names", "types"])


def _param_type(default):
    if default is None:
        return "any, required"
    try:
        value = _ast.literal_eval(default)
    except (ValueError, SyntaxError):
        value = default
    if isinstance(value, bool):
        kind, shown = "boolean", int(value)
    elif isinstance(value, int):
        kind, shown = "int", value
    elif isinstance(value, float):
        kind, shown = "float", value
    elif isinstance(value, (tuple, list)):
        kind, shown = "Shape(tuple)", list(value)
    elif value is None:
        kind, shown = "any", "'None'"
    else:
        kind, shown = "string", "'%s'" % value
    return "%s, optional, default=%s" % (kind, shown)


def _python_inputs(op):
    """A Python operator's inputs, without auxiliary states (MXNet's
    legacy operators, which these are, do not list them); those of a node
    with default attributes where they depend on the attributes, else one
    variadic input (Custom's, whose op_type decides; Convolution_v1's too,
    which needs a kernel: kiln's limit)."""
    if op.interface is None:
        return list(op.inputs)
    try:
        inputs, aux = op.node_interface(op.parse({}))[:2]
    except MXNetError:
        return ["*data"]
    return [name for name in inputs if name not in aux]


def _signature(op_name):
    """(input names, [(param, default text or None[, type])]) or None."""
    python_op = _python_ops.lookup(op_name)
    if python_op is not None:
        params = list(python_op.params)
        if python_op.name == "Custom":
            # Custom's registration takes any keyword; MXNet lists op_type.
            params = [("op_type", None, "string")]
        return _python_inputs(python_op), params
    canonical = _core.canonical_op_name(op_name)
    for name, input_names, attr_specs, _ in _core.list_ops():
        if name == canonical:
            return list(input_names), list(attr_specs)
    return None


def get_operator_arguments(op_name):
    """OperatorArguments(narg, names, types) of the operator registered as
    op_name (MXNet's name or an alias: 'ElementWiseSum' is add_n's).
    MXNetError when no operator is registered so; AttributeError for an
    op_name that is no str, as MXNet's."""
    if not isinstance(op_name, str):
        raise AttributeError("get_operator_arguments: op_name expected a "
                             "str, got %s" % type(op_name).__name__)
    signature = _signature(op_name)
    if signature is None:
        raise MXNetError("Operator %s is not registered" % op_name)
    input_names, params = signature
    names, types = [], []
    for input_name in input_names:
        variadic = input_name.startswith("*")
        names.append(input_name.lstrip("*").rstrip("?"))
        types.append("NDArray-or-Symbol" + ("[]" if variadic else ""))
    for param in params:
        names.append(param[0])
        types.append(param[2] if len(param) > 2 else _param_type(param[1]))
    return OperatorArguments(len(names), names, types)
