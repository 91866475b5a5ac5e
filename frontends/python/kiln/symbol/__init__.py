"""mx.sym: symbolic graphs, laid out as MXNet 1.9.1's mxnet.symbol package.

    symbol    Symbol, var/Variable, Group, load/load_json and the
              hand-written functions (pow, maximum, zeros, arange, ...)
    op        the registry's public operators as Symbol functions
    _internal the registry's '_' operators
    random, linalg, contrib, image   the registry's operators by prefix

mx.sym.<name> re-exports op, then symbol, as MXNet's does.
"""
from . import _internal, op, symbol, random, linalg, contrib, image
from .op import *  # noqa: F401,F403
from .symbol import *  # noqa: F401,F403

globals().update({_name: getattr(_internal, _name)
                  for _name in _internal.__all__})

__all__ = op.__all__ + symbol.__all__ + ["random", "linalg", "contrib",
                                         "image", "op", "symbol"]

# mx.operator's Custom operator (mx.sym.Custom, mx.sym.op.Custom); the
# import also routes the Custom nodes of the symbol layer and the executor
# to kiln/_custom_op.py.
from ._custom import Custom  # noqa: E402,F401
__all__.append("Custom")

# mx.sym.register, mx.sym.sparse (which refuses) and the gen_* module names.
from . import register, sparse  # noqa: E402,F401
from ._gen_modules import *  # noqa: E402,F401,F403
__all__.append("sparse")
