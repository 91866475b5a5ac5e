"""mx.nd.register, as MXNet 1.9.1's module of that name: makes the Python
function of one backend operator. MXNet's reads an operator handle from
its C library; kiln's reads its C++ operator registry by name (through
kiln/_op_gen.py, which defines every mx.nd operator the same way)."""
from .. import _core, _op_gen
from ..base import MXNetError

__all__ = []


def _make_ndarray_function(handle, name, func_name):
    """The mx.nd function of the registered operator `name`, called
    func_name. handle: MXNet's operator handle, unused (kiln looks the
    operator up by name). MXNetError for a name the registry lacks."""
    for op_name, input_names, attr_specs, doc in _core.list_ops():
        if op_name == name:
            return _op_gen.make_operator(op_name, input_names, attr_specs,
                                         doc, func_name=func_name,
                                         module="kiln.ndarray")
    raise MXNetError("register: kiln's operator registry has no operator "
                     "'%s'" % name)
