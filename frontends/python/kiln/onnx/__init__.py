"""mx.onnx: MXNet 1.9.1's ONNX export (mxnet/onnx), the path that replaces
mx.contrib.onnx.export_model.

    mx.onnx.export_model(sym, params, in_shapes=[(1, 3, 224, 224)])
    mx.onnx.get_operator_support()

Both need the onnx package, as in MXNet: without it they raise MXNet's
ImportError ('Onnx and protobuf need to be installed. ...'). kiln has no
ONNX translator, so with onnx installed they raise NotImplementedError
saying so. The functions live in mx.onnx.mx2onnx, as MXNet's do.
"""
from . import mx2onnx
from .mx2onnx import export_model, get_operator_support

__all__ = ["export_model", "get_operator_support", "mx2onnx"]
