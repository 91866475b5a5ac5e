"""mx.onnx.mx2onnx: where MXNet 1.9.1 keeps export_model and
get_operator_support (see kiln/onnx/__init__.py for what kiln does)."""
import numpy as _np

from ..contrib.onnx import _INSTALL

__all__ = ["export_model", "get_operator_support"]


def _need_onnx(function):
    """ImportError (MXNet's message) without the onnx package; with it,
    NotImplementedError: kiln cannot translate to ONNX."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise ImportError(_INSTALL) from None
    raise NotImplementedError("mxnet.onnx.%s: kiln has no ONNX translator"
                              % function)


def get_operator_support(opset_version=None):
    """Would list the MXNet operators exportable at `opset_version` (None:
    onnx's newest); raises as _need_onnx says."""
    _need_onnx("get_operator_support")


def export_model(sym, params, in_shapes=None, in_types=_np.float32,
                 onnx_file_path="model.onnx", verbose=False, dynamic=False,
                 dynamic_input_shapes=None, run_shape_inference=False,
                 input_type=None, input_shape=None):
    """Would write `sym` (Symbol or .json path) and `params` (dict, [arg,
    aux] or .params path) as the ONNX file onnx_file_path and return that
    path; raises as _need_onnx says."""
    _need_onnx("export_model")
