"""MXNet 1.9.1's contrib optimizers (mxnet/optimizer/contrib.py):
GroupAdaGrad."""
from ..ndarray import mean, sqrt, square, zeros
from .optimizer import Optimizer

register = Optimizer.register

__all__ = ["GroupAdaGrad"]


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one learning rate per row of a 2-D weight; the state is
    the float32 history, shape (rows, 1)::

        g = clip(rescale_grad * grad)
        history += mean(g^2, axis=1, keepdims=True)
        weight -= lr * g / sqrt(history + eps)

    eps : default 1e-5. AssertionError for a weight that is not 2-D, and
    for a nonzero weight decay (GroupAdaGrad has none).
    """

    def __init__(self, eps=1e-5, **kwargs):
        super(GroupAdaGrad, self).__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        assert len(weight.shape) == 2
        return zeros((weight.shape[0], 1), weight.context, stype=weight.stype)

    def update(self, index, weight, grad, state):
        lr, wd = self._start(index, weight, grad)
        assert wd == 0, "Weight decay is not supported for GroupAdaGrad"
        grad = self._rescaled_clipped(grad)
        state[:] += mean(square(grad), axis=1, keepdims=True)
        weight[:] -= lr * grad / sqrt(state + self.float_stable_eps)
