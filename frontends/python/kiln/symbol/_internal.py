"""mx.sym._internal: the registry's operators that MXNet puts in
mxnet.symbol._internal, as Symbol functions (see kiln.symbol._gen)."""
from ._gen import populate as _populate

__all__ = _populate(globals(), "_internal")

# MXNet's _split_v2 node (mx.sym.split_v2's), a Python operator registered
# by kiln/symbol/_split_v2.py; mx.nd's stays kiln/ndarray/_internal_extra.py's.
from ._split_v2 import _split_v2  # noqa: E402
__all__.append("_split_v2")
