"""``mx.gluon.nn``: neural-network layers, as MXNet 1.9.1's
``mxnet.gluon.nn`` (which also re-exports the block classes). kiln adds
``Identity`` and ``SyncBatchNorm`` here as well; MXNet keeps those in
``gluon.contrib.nn``."""
from ..block import *  # noqa: F401,F403  (Block, HybridBlock, ... as MXNet)
from .basic_layers import *  # noqa: F401,F403
from .conv_layers import *  # noqa: F401,F403
from .activations import *  # noqa: F401,F403
