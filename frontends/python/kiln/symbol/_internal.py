"""mx.sym._internal: the registry's operators that MXNet puts in
mxnet.symbol._internal, as Symbol functions (see kiln.symbol._gen)."""
from ._gen import populate as _populate

__all__ = _populate(globals(), "_internal")
