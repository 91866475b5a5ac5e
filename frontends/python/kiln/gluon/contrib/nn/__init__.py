"""``mx.gluon.contrib.nn``: MXNet 1.9.1's contributed layers
(``Concurrent``, ``HybridConcurrent``, ``Identity``, ``SparseEmbedding``,
``SyncBatchNorm``, ``PixelShuffle1D/2D/3D``)."""
from . import basic_layers
from .basic_layers import *  # noqa: F401,F403

__all__ = basic_layers.__all__
