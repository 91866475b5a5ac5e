"""mx.optimizer: MXNet 1.9.1's optimizers, their registry and the Updater.

    opt = mx.optimizer.create("sgd", learning_rate=0.1, momentum=0.9)
    updater = mx.optimizer.get_updater(opt)
    updater(0, grad, weight)          # weight is updated in place

Laid out as MXNet's package: the optimizers in `optimizer`, GroupAdaGrad in
`contrib`, the Updater in `updater` (also importable from `optimizer`, where
MXNet keeps it).
"""
from . import optimizer, contrib, updater  # noqa: F401 (submodules, as MXNet)
from .optimizer import *  # noqa: F401,F403 (MXNet's names, as its package)

__all__ = optimizer.__all__ + ["contrib"]
