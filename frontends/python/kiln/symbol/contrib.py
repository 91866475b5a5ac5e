"""mx.sym.contrib: the registry's operators that MXNet puts in
mxnet.symbol.contrib, as Symbol functions (see kiln.symbol._gen)."""
from ._gen import populate as _populate

__all__ = _populate(globals(), "contrib")
