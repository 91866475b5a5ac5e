"""The optimizers behind SVRGModule, as MXNet 1.9.1's
mxnet.contrib.svrg_optimization.svrg_optimizer. Both are registered (as
'_svrgoptimizer' and '_assignmentoptimizer') for SVRGModule's own use."""
from ... import optimizer as opt

__all__ = ["_AssignmentOptimizer", "_SVRGOptimizer"]

# The keyword arguments Optimizer.__init__ takes, kept for the wrapper.
_BASE_PARAMS = ("rescale_grad", "param_idx2name", "wd", "clip_gradient",
                "learning_rate", "lr_scheduler", "sym", "begin_num_update",
                "multi_precision", "param_dict")


@opt.register
class _AssignmentOptimizer(opt.Optimizer):
    """Writes the gradient into the weight: with a KVStore this turns a
    push of full gradients into their sum across devices and workers."""

    def update(self, index, weight, grad, state):
        weight[:] = grad


@opt.register
class _SVRGOptimizer(opt.Optimizer):
    """Updates parameters named '<name>_full' (the full gradients SVRGModule
    keeps in the KVStore) with _AssignmentOptimizer and the others with
    `default_optimizer` (a name, created with all `kwargs`, or an
    Optimizer). KeyError for an index neither in idx2name nor one of its
    names."""

    def __init__(self, default_optimizer, **kwargs):
        super(_SVRGOptimizer, self).__init__(**self._check_params(**kwargs))
        if isinstance(default_optimizer, str):
            self.default_opt = opt.create(default_optimizer, **kwargs)
        else:
            self.default_opt = default_optimizer
        self.aux_opt = opt.create(_AssignmentOptimizer.__name__)

    @staticmethod
    def _check_params(**kwargs):
        """The entries of `kwargs` that Optimizer.__init__ takes."""
        return {key: value for key, value in kwargs.items()
                if key in _BASE_PARAMS}

    def update(self, index, weight, grad, state):
        self._pick(index).update(index, weight, grad, state)

    def create_state(self, index, weight):
        return self._pick(index).create_state(index, weight)

    def _pick(self, index):
        return (self.aux_opt if "full" in self._check_index(index)
                else self.default_opt)

    def _check_index(self, index):
        """The parameter name of `index` (an index, or already a name)."""
        if index in self.idx2name.values():
            return index
        return self.idx2name[index]
