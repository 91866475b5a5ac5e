"""mx.sym.Convolution_v1, Pooling_v1 and BatchNorm_v1: MXNet 1.9.1's pre-1.0
layers, which old model JSON files name, as graph nodes.

kiln's C++ registry lacks them, so they are Python operators
(kiln/_python_ops.py): a node's interface (inputs, auxiliary states,
outputs, initializers) and shape/dtype inference are those of the modern
operator with the same attributes (Convolution, Pooling, BatchNorm: the v1
forms take a subset of their attributes and infer the same shapes), and a
call runs kiln/ndarray/_legacy_ops.py's imperative forms (BatchNorm_v1:
mx.nd.BatchNorm with the auxiliary states, which the imperative v1 cannot
pass). So mx.sym.load_json reads such nodes, and simple_bind/bind,
forward and backward (through the composed operators) work.

    net = mx.sym.Convolution_v1(mx.sym.var("data"), kernel=(3, 3), num_filter=8)
    net = mx.sym.BatchNorm_v1(net, name="bn")   # aux bn_moving_mean/_var
    net = mx.sym.Pooling_v1(net, kernel=(2, 2), stride=(2, 2), pool_type="max")

Registered on import (kiln/symbol/op.py imports this module); the mx.nd
functions stay kiln/ndarray/_legacy_ops.py's.
"""
import ast as _ast

from .. import _core
from .. import _python_ops
from ..ndarray import _legacy_ops as _nd_legacy
from ..ndarray import op as _nd_op
from ._gen import make_symbol_operator

__all__ = ["Convolution_v1", "Pooling_v1", "BatchNorm_v1"]

# name -> (modern operator, symbol inputs, [(attribute, default text)], doc)
_OPS = {
    "Convolution_v1": ("Convolution", ["data", "weight", "bias?"], [
        ("kernel", None), ("stride", "()"), ("dilate", "()"), ("pad", "()"),
        ("num_filter", None), ("num_group", "1"), ("workspace", "1024"),
        ("no_bias", "False"), ("cudnn_tune", "None"), ("cudnn_off", "False"),
        ("layout", "None")],
        "This operator is DEPRECATED. Apply convolution to input then add a "
        "bias.\n\nkiln computes it as Convolution (2-D kernels, NCHW)."),
    "Pooling_v1": ("Pooling", ["data"], [
        ("kernel", "()"), ("pool_type", "'max'"), ("global_pool", "False"),
        ("pooling_convention", "'valid'"), ("stride", "()"), ("pad", "()")],
        "This operator is DEPRECATED. Perform pooling on the input.\n\nMax "
        "pooling counts the zero padding as values and average pooling "
        "divides by the whole window, as MXNet's."),
    "BatchNorm_v1": ("BatchNorm", ["data", "gamma", "beta"], [
        ("eps", "0.001"), ("momentum", "0.9"), ("fix_gamma", "True"),
        ("use_global_stats", "False"), ("output_mean_var", "False")],
        "Batch normalization (DEPRECATED: use BatchNorm).\n\nAuxiliary "
        "states moving_mean and moving_var, as BatchNorm's."),
}


def _modern_attrs(name, attrs):
    """`attrs` restricted to the v1 operator's attributes (the modern
    operator shares them)."""
    known = {attr for attr, _ in _OPS[name][2]}
    return {k: v for k, v in attrs.items() if k in known}


def _literal(text):
    """An attribute's Python value from MXNet's text ('(3, 3)', 'True',
    'max', 'None'); the text itself where it is no literal."""
    try:
        return _ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _register(name):
    modern, _, _, doc = _OPS[name]

    def interface(parsed):
        return _core.symbol_interface(modern, parsed)

    def infer(parsed, shapes, dtypes):
        return _core.infer_node(modern, parsed, shapes, dtypes)

    def call(parsed, inputs, out, ctx):
        kwargs = {k: _literal(v) for k, v in parsed.items()}
        if name == "BatchNorm_v1":
            result = _nd_op.BatchNorm(*inputs, out=out, **kwargs)
        else:
            result = getattr(_nd_legacy, name)(*inputs, out=out, **kwargs)
        return list(result) if isinstance(result, (list, tuple)) else [result]

    _python_ops.register(name, infer=infer, call=call, interface=interface,
                         parse=lambda attrs: _modern_attrs(name, attrs),
                         params=_OPS[name][2], functions=False, doc=doc)


def _symbol_function(name):
    _, inputs, params, doc = _OPS[name]
    return make_symbol_operator(name, inputs, params, doc, name, __name__,
                                hint=name.lower())


for _name in __all__:
    if _python_ops.lookup(_name) is None:
        _register(_name)

Convolution_v1 = _symbol_function("Convolution_v1")
Pooling_v1 = _symbol_function("Pooling_v1")
BatchNorm_v1 = _symbol_function("BatchNorm_v1")
