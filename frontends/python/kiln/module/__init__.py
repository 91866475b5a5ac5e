"""mx.mod (mx.module): modules, MXNet 1.9.1's symbolic training API.

    base_module     BaseModule: the module API; fit, score, predict
    module          Module: a Symbol with its executors and optimizer
    executor_group  DataParallelExecutorGroup: a batch split over contexts

MXNet's BucketingModule, SequentialModule and PythonModule are not part of
kiln yet.
"""
from . import base_module, executor_group, module  # noqa: F401
from .base_module import BaseModule
from .module import Module

__all__ = ["BaseModule", "Module"]
