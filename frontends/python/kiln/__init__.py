"""kiln: MXNet's API on a JIT-compiling graph compiler.

    import kiln as mx          # or, unchanged: import mxnet as mx
    a = mx.nd.array([1, 2, 3])
    print((a + a).asnumpy())   # [2. 4. 6.]

The package is laid out as MXNet 1.9.1's (mxnet.ndarray.ndarray,
mxnet.base, mxnet.context, ...), so every import path MXNet code writes
resolves; the top-level names below are those of MXNet's mxnet/__init__.py
that kiln has.
"""
from . import base
from .base import MXNetError
from . import _core
# The memory pool's settings (KILN_MEMORY_POOL, KILN_MEMORY_POOL_LIMIT_MB)
# are read now: a bad value is an MXNetError at import, not at every
# allocation after it.
_core.profiler.memory_stats()
from . import context
from .context import Context, cpu, cpu_pinned, current_context, gpu
from . import engine
from . import util
from .util import (is_np_array, is_np_shape, np_array, np_shape, set_np_shape,
                   use_np, use_np_array, use_np_shape)
from . import ndarray
from . import ndarray as nd
from . import name
from . import attribute
from .attribute import AttrScope
from . import random
from . import random as rnd
from . import runtime
from . import profiler
from . import autograd
from . import test_utils
from . import registry
from . import initializer
from . import initializer as init
from . import lr_scheduler
from . import optimizer
from . import metric
from . import callback
from . import io
from . import symbol
from . import symbol as sym
from . import executor
from . import model
from . import module
from . import module as mod
from . import kvstore
from . import kvstore as kv
from . import monitor
from . import monitor as mon
from . import visualization
from . import visualization as viz
from . import operator
from . import gluon
from . import recordio
from . import rnn
from . import image
from . import image as img
from . import contrib
from . import executor_manager
from . import libinfo
from . import library
from . import log
from . import notebook
from . import torch
from . import torch as th
from . import api
from . import error
from . import ndarray_doc
from . import symbol_doc
from . import onnx
from . import tvmop
from .jit import jit

# The MXNet API version kiln implements: MXNet programs test mx.__version__
# (import mxnet gives this very module). kiln's own release is
# __kiln_version__.
__version__ = "1.9.1"
__kiln_version__ = "0.1.0"

__all__ = ["MXNetError", "Context", "cpu", "gpu", "cpu_pinned",
           "current_context", "AttrScope", "is_np_array", "is_np_shape",
           "np_array", "np_shape", "set_np_shape", "use_np", "use_np_array",
           "use_np_shape", "base", "context", "engine", "util", "nd",
           "ndarray", "name", "attribute", "random", "rnd", "runtime",
           "profiler", "autograd", "test_utils", "registry", "initializer",
           "init", "lr_scheduler", "optimizer", "metric", "callback", "io",
           "symbol", "sym", "executor", "model", "module", "mod", "kvstore", "kv",
           "monitor", "mon", "visualization", "viz", "operator", "gluon",
           "rnn", "image", "img",
           "recordio", "contrib", "executor_manager", "libinfo", "library",
           "log", "notebook", "torch", "th", "api", "error", "ndarray_doc",
           "symbol_doc", "onnx", "tvmop"]
