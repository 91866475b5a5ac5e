"""mx.sym.op: the registry's operators that MXNet puts in
mxnet.symbol.op, as Symbol functions (see kiln.symbol._gen)."""
from ._gen import populate as _populate

__all__ = _populate(globals(), "op")

# MXNet's legacy layers (Convolution_v1, Pooling_v1, BatchNorm_v1),
# kiln/symbol/_legacy_ops.py.
from . import _legacy_ops  # noqa: E402
from ._legacy_ops import *  # noqa: E402,F401,F403
__all__ += _legacy_ops.__all__

# MXNet's legacy losses (softmax_cross_entropy, IdentityAttachKLSparseReg),
# kiln/symbol/_legacy_losses.py; cast_storage to 'default' (kiln/symbol/sparse.py).
from . import _legacy_losses  # noqa: E402
from ._legacy_losses import *  # noqa: E402,F401,F403
from .sparse import cast_storage  # noqa: E402,F401
__all__ += _legacy_losses.__all__ + ["cast_storage"]
