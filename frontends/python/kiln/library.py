"""Loading operator libraries, as MXNet 1.9.1's mxnet.library.

MXNet's load(path) dlopens a library built against MXNet's C extension
API (lib_api.h) and registers its custom operators. kiln's operators are
compiled by its own JIT and registry, so such a library cannot be loaded:
load checks the path as MXNet does, then raises MXNetError saying so.
Custom operators in Python (mx.operator.CustomOp) do work.
"""
import os

from .base import MXNetError

__all__ = ["load"]


def load(path, verbose=True):
    """Loads an MXNet extension library (.so/.dll): never possible in kiln.

    path: str, an absolute path to the library. verbose: bool (MXNet prints
    the library's operators when True). Raises MXNetError, as MXNet does,
    when `path` does not exist, is relative, or is not a .so/.dll file;
    for a real library file, MXNetError saying kiln cannot load MXNet
    extension libraries, naming the path.
    """
    if not os.path.exists(path):
        raise MXNetError("load path %s does NOT exist" % path)
    if not os.path.isabs(path):
        raise MXNetError("load path %s is not an absolute path" % path)
    if os.path.splitext(path)[1] not in (".so", ".dll"):
        raise MXNetError("load path %s is NOT a library file" % path)
    raise MXNetError(
        "Error loading library: '%s': kiln cannot load MXNet extension "
        "libraries (operators built against MXNet's lib_api.h run only "
        "inside libmxnet); write the operator with mx.operator.CustomOp "
        "instead" % path)
