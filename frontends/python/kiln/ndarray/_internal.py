"""mx.nd._internal: the registry's operators whose names start with '_'
(_plus_scalar, _zeros, _random_uniform, ...), as MXNet's.

User code reaches them as mx.nd._internal._plus_scalar; the public API
wraps them (NDArray + 1, mx.nd.zeros, mx.nd.random.uniform).
"""
from .. import _op_gen

__all__ = _op_gen.populate(globals(), "_internal")

# MXNet's OpenCV image operators, which kiln implements in Python.
from ._cv_image import (_cvcopyMakeBorder, _cvimdecode, _cvimread,  # noqa: E402
                        _cvimresize, _imdecode)
__all__ += ["_cvimdecode", "_cvimread", "_cvimresize", "_cvcopyMakeBorder",
            "_imdecode"]

# MXNet's remaining _internal operators, in Python over kiln's ops
# (kiln/ndarray/_internal_extra.py).
from . import _internal_extra  # noqa: E402
from ._internal_extra import *  # noqa: E402,F401,F403
__all__ += _internal_extra.__all__
