"""mx.nd: imperative arrays, laid out as MXNet 1.9.1's mxnet.ndarray package.

    ndarray   NDArray and the dense functions (array, zeros, add, waitall, ...)
    op        the registry's public operators (broadcast_add, sum, dot, ...)
    _internal the registry's '_' operators (_plus_scalar, _zeros, ...)
    random    samplers (uniform, normal, randint, ...)
    linalg, contrib, image   the registry's _linalg_/_contrib_/_image_ operators
    utils     zeros/empty/array with stype, save/load
    sparse    csr/row_sparse: MXNetError until kiln stores them

mx.nd.<name> re-exports them as MXNet's does: op, then ndarray, then utils.
"""
from . import _internal, op, ndarray, random, linalg, contrib, image, sparse, utils
from .op import *  # noqa: F401,F403
from .ndarray import *  # noqa: F401,F403
from .utils import load, load_frombuffer, save, zeros, empty, array  # noqa: F401
from .sparse import cast_storage  # noqa: F401
from .ndarray import _DEFAULT_DTYPE  # noqa: F401

# kiln has always offered the registry's '_' operators as mx.nd._name too
# (mx.nd._plus_scalar); MXNet code spells them mx.nd._internal._name.
globals().update({_name: getattr(_internal, _name) for _name in _internal.__all__})

__all__ = (op.__all__ + ndarray.__all__ + utils.__all__
           + ["cast_storage", "contrib", "linalg", "random", "sparse", "image"])

# mx.operator's Custom operator (kiln/_custom_op.py), where MXNet's
# generated mx.nd.Custom and mx.nd.op.Custom are.
from .._custom_op import Custom  # noqa: E402
op.Custom = Custom
__all__.append("Custom")

# mx.nd.register, NDArray.handle, the gen_* module names and CachedOp.
from . import register, _handle  # noqa: E402,F401
from ._gen_modules import *  # noqa: E402,F401,F403
from ._cached_op import CachedOp  # noqa: E402,F401
# MXNet also lists CachedOp in ndarray.op and ndarray._internal, and the
# arrays' base class in _internal (kiln's NDArray is its own base); set
# here, as those modules load before ndarray.ndarray is complete.
op.CachedOp = _internal.CachedOp = CachedOp
_internal.NDArrayBase = NDArray
op.__all__.append("CachedOp")
_internal.__all__ += ["CachedOp", "NDArrayBase"]
