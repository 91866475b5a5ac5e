"""ONNX import and export, as MXNet 1.9.1's mxnet.contrib.onnx.

kiln has no ONNX translator. As in MXNet, each function first prints its
deprecation notice, then needs the `onnx` package: without it, it raises
MXNet's ImportError ('Onnx and protobuf need to be installed. ...'). With
onnx installed, kiln still cannot translate, and raises
NotImplementedError saying so.
"""
import numpy as _np

__all__ = ["import_model", "get_model_metadata", "import_to_gluon",
           "export_model"]

_INSTALL = ("Onnx and protobuf need to be installed. Instructions to install "
            "- https://github.com/onnx/onnx")

_IMPORT_NOTICE = (
    "Please be advised that importing ONNX models into MXNet is going to be "
    "deprecated in the upcoming MXNet v1.10 release. The following apis will "
    "be deleted: mxnet.contrib.onnx.import_model/get_model_metadata/"
    "import_to_gluon.")

_EXPORT_NOTICE = (
    "Please be advised that the ONNX module has been moved to mxnet.onnx and "
    "mxnet.onnx.export_model is the preferred path. The current path will be "
    "deprecated in the upcoming MXNet v1.10 release.")


def _unavailable(function, notice, install=_INSTALL):
    """Prints MXNet's notice for `function`, then raises: ImportError
    without onnx, NotImplementedError with it."""
    print("Calling mxnet.contrib.onnx.%s..." % function)
    print(notice)
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise ImportError(install) from None
    raise NotImplementedError(
        "mxnet.contrib.onnx.%s: kiln cannot translate ONNX models" % function)


def import_model(model_file):
    """Would load an ONNX file into (sym, arg_params, aux_params)."""
    _unavailable("import_model", _IMPORT_NOTICE)


def get_model_metadata(model_file):
    """Would return an ONNX file's input and output names and shapes."""
    _unavailable("get_model_metadata", _IMPORT_NOTICE)


def import_to_gluon(model_file, ctx):
    """Would load an ONNX file as a gluon SymbolBlock on `ctx`."""
    _unavailable("import_to_gluon", _IMPORT_NOTICE, _INSTALL + "#installation")


def export_model(sym, params, in_shapes=None, in_types=_np.float32,
                 onnx_file_path="model.onnx", verbose=False, dynamic=False,
                 dynamic_input_shapes=None, run_shape_inference=False,
                 input_type=None, input_shape=None):
    """Would write a Symbol and its parameters as an ONNX file."""
    _unavailable("export_model", _EXPORT_NOTICE)
