"""MXNet 1.9.1's mxnet.torch (also mx.th): NDArray functions run by a Torch
(Lua) backend, present only in MXNet builds made with USE_TORCH=1.

Release builds of MXNet 1.9.1, the ones kiln follows, have none: the module
imports and holds no functions. kiln has no Torch backend either, so this
module is the same empty namespace, kept so that programs naming mx.th or
mx.torch still import.
"""
__all__ = []
