"""mx.mod (mx.module): modules, MXNet 1.9.1's symbolic training API.

    base_module        BaseModule: the module API; fit, score, predict
    module             Module: a Symbol with its executors and optimizer
    executor_group     DataParallelExecutorGroup: a batch split over contexts
    bucketing_module   BucketingModule: a Module per bucket key (sym_gen),
                       parameters shared by all buckets
    sequential_module  SequentialModule: modules chained, outputs to data
    python_module      PythonModule, PythonLossModule: modules in Python
"""
from . import base_module, executor_group, module  # noqa: F401
from . import bucketing_module, sequential_module, python_module  # noqa: F401
from .base_module import BaseModule
from .module import Module
from .bucketing_module import BucketingModule
from .sequential_module import SequentialModule
from .python_module import PythonModule, PythonLossModule

__all__ = ["BaseModule", "Module", "BucketingModule", "SequentialModule",
           "PythonModule", "PythonLossModule"]
