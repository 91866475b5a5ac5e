"""mx.tvmop: MXNet 1.9.1's loader of operators compiled with TVM
(mxnet/tvmop.py). It loads libtvmop only when the build has the TVM_OP
feature; the pip build does not, so importing it does nothing and leaves
only the name Features, as here: kiln has no TVM operators
(mx.runtime.Features().is_enabled('TVM_OP') is False).
"""
from .runtime import Features  # noqa: F401  (MXNet's module has the name)
