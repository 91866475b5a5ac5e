"""``mx.gluon.contrib``: MXNet 1.9.1's contributed Gluon packages.

    from mxnet.gluon.contrib.estimator import Estimator
    from mxnet.gluon.contrib import nn as contrib_nn

Built: ``estimator`` (Estimator, event handlers, BatchProcessor), ``nn``
(Concurrent, HybridConcurrent, Identity, SyncBatchNorm, PixelShuffle1D/
2D/3D; SparseEmbedding raises, kiln having no sparse storage), ``data``
(IntervalSampler) and ``rnn`` (convolutional RNN/LSTM/GRU cells,
VariationalDropoutCell, LSTMPCell) and ``cnn`` (DeformableConvolution,
ModulatedDeformableConvolution), both imported on first use as they build
on gluon.rnn and gluon.nn. Not built: ``data.text`` (WikiText); importing
it raises ImportError saying so.
"""
import importlib

from . import nn  # noqa: F401
from . import data  # noqa: F401
from . import estimator  # noqa: F401

_ON_FIRST_USE = ('rnn', 'cnn')


def __getattr__(name):
    """``contrib.rnn`` / ``contrib.cnn``, imported on first use (MXNet
    imports them eagerly; they need gluon.rnn and gluon.nn, which
    contrib itself does not)."""
    if name in _ON_FIRST_USE:
        return importlib.import_module('.' + name, __name__)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
