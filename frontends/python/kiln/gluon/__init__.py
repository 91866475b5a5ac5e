"""mx.gluon: MXNet 1.9.1's imperative/hybrid neural-network API.

    from mxnet import gluon
    net = gluon.nn.Dense(10)          # Blocks own Parameters
    net.initialize()
    net.hybridize()                   # compiled whole by kiln's graph compiler
    y = net(mx.nd.ones((4, 20)))

The package is laid out as MXNet's mxnet/gluon: parameter (Parameter,
Constant, ParameterDict), block (Block, HybridBlock, SymbolBlock) and
utils here; nn, rnn, loss, trainer, data, model_zoo and contrib in their
modules.
"""
from .parameter import *
from .block import *
from . import nn
from . import rnn
from .trainer import *
from . import loss
from . import data
from . import utils
from . import contrib
from . import model_zoo
