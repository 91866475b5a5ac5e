"""mx.nd._internal: the registry's operators whose names start with '_'
(_plus_scalar, _zeros, _random_uniform, ...), as MXNet's.

User code reaches them as mx.nd._internal._plus_scalar; the public API
wraps them (NDArray + 1, mx.nd.zeros, mx.nd.random.uniform).
"""
from .. import _op_gen

__all__ = _op_gen.populate(globals(), "_internal")
