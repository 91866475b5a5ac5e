"""MXNet 1.9.1's ``mxnet.gluon.contrib.cnn``: DeformableConvolution and
ModulatedDeformableConvolution (conv_layers.py)."""
from .conv_layers import *  # noqa: F401,F403
from .conv_layers import __all__  # noqa: F401
