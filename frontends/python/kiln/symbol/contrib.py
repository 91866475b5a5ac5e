"""mx.sym.contrib: the registry's operators that MXNet puts in
mxnet.symbol.contrib, as Symbol functions (see kiln.symbol._gen)."""
from ._gen import populate as _populate

__all__ = _populate(globals(), "contrib")

# The contrib operators implemented in Python (kiln/_python_ops.py).
from .. import _python_ops, _contrib_ops  # noqa: E402,F401
_python_ops.populate(globals(), "contrib", "symbol")

# Symbolic control flow (kiln/symbol/_control_flow.py).
from ._control_flow import foreach, while_loop, cond  # noqa: E402,F401
__all__ += ["foreach", "while_loop", "cond"]

# The optimizer updates and samplers mx.nd.contrib has, as symbols; the
# sparse-only names refuse (kiln/symbol/_contrib_tail.py).
from . import _contrib_tail  # noqa: E402
from ._contrib_tail import *  # noqa: E402,F401,F403
__all__ += _contrib_tail.__all__
