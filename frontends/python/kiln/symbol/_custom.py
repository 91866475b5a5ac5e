"""mx.sym.Custom: mx.operator's Python operators as symbol nodes.

Importing this module routes the symbol layer (kiln/symbol/symbol.py) and
the executor (kiln/executor.py, which hybridized Gluon blocks run through
too) to kiln/_python_ops.py for the nodes of Python-implemented operators
(Custom's, kiln/_custom_op.py, among them): their interface, inference,
evaluation and JSON reading.
"""
from .. import _custom_op
from .. import _python_ops
from .. import executor as _executor
from .. import name as _name_module
from . import op as _op
from . import symbol as _symbol

_python_ops.route(_symbol)
_python_ops.route(_executor)

__all__ = ["Custom"]


def auto_name(hint):
    """The next automatic node name for `hint` (custom0, ...)."""
    return _name_module.current().get(None, hint)


def Custom(*data, **kwargs):
    """Custom(*data, op_type, name=None, attr=None, **kwargs): a node of the
    custom operator registered as op_type (mx.operator.register).

    data: its inputs (the prop's arguments, then its auxiliary states);
    symbols may also be given by input name as keywords. Inputs left out
    become variables named <name>_<input>. Other keywords go to the prop's
    constructor as strings (str(value)) and are the node's attributes, as
    in MXNet. Returns a Symbol with the prop's outputs (<name>_<output>).
    MXNetError for a missing or unregistered op_type or too many inputs;
    TypeError for a positional input that is not a Symbol."""
    name = kwargs.pop("name", None)
    attr = kwargs.pop("attr", None)
    kwargs.pop("out", None)
    positional = {}
    for index, value in enumerate(data):
        if not isinstance(value, _symbol.Symbol):
            raise TypeError("Custom: positional arguments must be Symbols, "
                            "got %s for input %d" % (type(value).__name__,
                                                     index))
        positional[index] = value
    named = {key: value for key, value in kwargs.items()
             if isinstance(value, _symbol.Symbol)}
    params = _custom_op.custom_attrs({key: value for key, value in
                                      kwargs.items() if key not in named})
    return _symbol._compose_node(_custom_op.OP_NAME, positional, named,
                                 params, name, attr, "custom")


_op.Custom = Custom
