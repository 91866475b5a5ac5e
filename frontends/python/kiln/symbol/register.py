"""mx.sym.register, as MXNet 1.9.1's module of that name: makes the Symbol
function of one backend operator. MXNet's reads an operator handle from its
C library; kiln's reads its C++ operator registry by name (through
kiln/symbol/_gen.py, which defines every mx.sym operator the same way).
mx.nd's counterpart is kiln/ndarray/register.py."""
from .. import _core
from ..base import MXNetError
from ._gen import make_symbol_operator

__all__ = []


def _make_symbol_function(handle, name, func_name):
    """The mx.sym function of the registered operator `name`, called
    func_name (its nodes are named after func_name, as MXNet's). handle:
    MXNet's operator handle, unused (kiln looks the operator up by name).
    MXNetError for a name the registry lacks."""
    for op_name, input_names, attr_specs, doc in _core.list_ops():
        if op_name == name:
            return make_symbol_operator(op_name, input_names, attr_specs, doc,
                                        func_name, "kiln.symbol",
                                        hint=func_name.lower())
    raise MXNetError("register: kiln's operator registry has no operator "
                     "'%s'" % name)
