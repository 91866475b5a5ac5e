"""``mx.gluon.contrib``: MXNet 1.9.1's contributed Gluon packages.

    from mxnet.gluon.contrib.estimator import Estimator
    from mxnet.gluon.contrib import nn as contrib_nn

Built: ``estimator`` (Estimator, event handlers, BatchProcessor), ``nn``
(Concurrent, HybridConcurrent, Identity, SyncBatchNorm, PixelShuffle1D/
2D/3D; SparseEmbedding raises, kiln having no sparse storage) and
``data`` (IntervalSampler). Not built: ``rnn`` (convolutional RNN cells,
VariationalDropoutCell, LSTMPCell), ``cnn`` (deformable convolutions)
and ``data.text`` (WikiText); importing them raises ImportError saying so.
"""
import importlib

from . import nn  # noqa: F401
from . import data  # noqa: F401
from . import estimator  # noqa: F401

_NOT_BUILT = ('rnn', 'cnn')


def __getattr__(name):
    """``contrib.rnn`` / ``contrib.cnn``: imported on first use, which
    raises their ImportError (MXNet imports them eagerly; kiln cannot)."""
    if name in _NOT_BUILT:
        return importlib.import_module('.' + name, __name__)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
