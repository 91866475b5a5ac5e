"""kiln: MXNet 1.x's API on a JIT-compiling graph compiler.

    import kiln as mx          # or, unchanged: import mxnet as mx
    a = mx.nd.array([1, 2, 3])
    print((a + a).asnumpy())   # [2. 4. 6.]
"""
from . import base
from .base import MXNetError
from . import context
from .context import Context, cpu, current_context
from . import ndarray
from . import ndarray as nd
from . import profiler
from . import autograd
from . import test_utils
from . import random

__version__ = "0.1.0"

__all__ = ["MXNetError", "Context", "cpu", "current_context", "nd", "ndarray",
           "autograd", "test_utils", "profiler", "random"]
