"""Generates MXNet-style operator functions from kiln's C++ operator registry.

Each registered operator becomes ``f(*inputs, out=None, name=None, **attrs)``
with MXNet's name; attributes are passed in MXNet's string forms ("(0, 1)",
"True", "float32"), parsed and checked in C++.
"""
import numbers

import numpy as _np

from . import _core
from .base import MXNetError


def attr_string(value):
    """An attribute value in MXNet's string form."""
    if value is None:
        return "None"
    if isinstance(value, (bool, _np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(attr_string(v) for v in value) + ")"
    if isinstance(value, _np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, _np.generic):
        return _np.dtype(value).name
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return str(value)


def make_operator(name, input_names, attr_specs, doc):
    """The Python function for one registered operator."""
    attr_names = [attr for attr, _ in attr_specs]
    signature = ", ".join(list(input_names) + [
        "%s=%s" % (attr, default) if default is not None else attr
        for attr, default in attr_specs] + ["out=None", "name=None"])

    variadic = len(input_names) == 1 and input_names[0].startswith("*")

    def variadic_operator(*args, out=None, name=None, **kwargs):
        # concat(*data, dim=1): every positional argument is an input.
        kwargs.pop("num_args", None)  # MXNet's count of the inputs
        for index, array in enumerate(args):
            if not isinstance(array, _core.NDArray):
                raise MXNetError("%s: input %d expected an NDArray, got %s"
                                 % (operator.__name__, index, type(array).__name__))
        attrs = {key: attr_string(value) for key, value in kwargs.items()}
        return _core.invoke(operator.__name__, list(args), attrs, out)

    def operator(*args, out=None, name=None, **kwargs):
        if variadic:
            return variadic_operator(*args, out=out, name=name, **kwargs)
        # Positional values past the inputs are attributes, in order, as in
        # MXNet (clip(x, 0, 1)).
        inputs = list(args[:len(input_names)])
        for attr, value in zip(attr_names, args[len(input_names):]):
            if attr in kwargs:
                raise MXNetError("%s: argument '%s' given twice"
                                 % (operator.__name__, attr))
            kwargs[attr] = value
        if len(args) > len(input_names) + len(attr_names):
            raise MXNetError("%s: too many positional arguments (%d)"
                             % (operator.__name__, len(args)))
        for input_name in input_names[len(inputs):]:
            if input_name not in kwargs:
                raise MXNetError("%s: missing input '%s'" % (operator.__name__,
                                                             input_name))
            inputs.append(kwargs.pop(input_name))
        if len(inputs) != len(input_names):
            raise MXNetError("%s: expected %d input arrays, got %d"
                             % (operator.__name__, len(input_names), len(inputs)))
        for index, array in enumerate(inputs):
            if not isinstance(array, _core.NDArray):
                raise MXNetError("%s: input '%s' expected an NDArray, got %s"
                                 % (operator.__name__, input_names[index],
                                    type(array).__name__))
        attrs = {key: attr_string(value) for key, value in kwargs.items()}
        return _core.invoke(operator.__name__, inputs, attrs, out)

    operator.__name__ = name
    operator.__qualname__ = name
    operator.__doc__ = "%s(%s)\n\n%s\n\nAttributes: %s" % (
        name, signature, doc, ", ".join(attr_names) or "none")
    return operator


def generate(namespace):
    """Adds every registered operator to `namespace` (a module dict)."""
    names = []
    for name, input_names, attr_specs, doc in _core.list_ops():
        namespace[name] = make_operator(name, input_names, attr_specs, doc)
        names.append(name)
    return names
