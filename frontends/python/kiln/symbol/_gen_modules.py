"""mx.sym.gen_op, gen__internal, gen_contrib, gen_image, gen_linalg and
gen_sparse: the modules MXNet 1.9.1 writes out with its generated Symbol
functions (for IDEs to read). kiln's operator modules are already Python
modules with those functions, so these names are the modules themselves
(as kiln/ndarray/_gen_modules.py does for mx.nd)."""
from . import op as gen_op  # noqa: F401
from . import _internal as gen__internal  # noqa: F401
from . import contrib as gen_contrib  # noqa: F401
from . import image as gen_image  # noqa: F401
from . import linalg as gen_linalg  # noqa: F401
from . import sparse as gen_sparse  # noqa: F401

__all__ = ["gen_op", "gen__internal", "gen_contrib", "gen_image",
           "gen_linalg", "gen_sparse"]
