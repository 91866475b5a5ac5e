"""Stochastic Variance Reduced Gradient training (Johnson & Zhang, 2013), as
MXNet 1.9.1's mxnet.contrib.svrg_optimization: `svrg_module` (SVRGModule)
and `svrg_optimizer` (_SVRGOptimizer, _AssignmentOptimizer)."""
from . import svrg_module
from . import svrg_optimizer
