"""The first autograd API, as MXNet 1.9.1's mxnet.contrib.autograd
(superseded by mx.autograd, on which it is built here).

    x = mx.nd.array([1., 2., 3.])
    dx = mx.nd.zeros_like(x)
    mark_variables([x], [dx])
    with train_section():
        y = x * x
    backward([y])            # dx is now 2 * x

or, as a function transform: grad_and_loss(f)(x) returns ([df/dx], f(x)).
"""
import functools

from .. import autograd as _autograd
from ..ndarray import NDArray, zeros_like

__all__ = ["set_is_training", "TrainingStateScope", "train_section",
           "test_section", "mark_variables", "backward", "compute_gradient",
           "grad_and_loss", "grad"]

_GRAD_REQS = ("null", "write", "add")


def set_is_training(is_train):
    """Sets both training mode and recording to `is_train` (bool); returns
    the previous recording state (bool), as MXNet's does."""
    _autograd.set_training(is_train)
    return bool(_autograd.set_recording(is_train))


class TrainingStateScope(object):
    """A `with` scope that sets training and recording to `enter_state`
    and restores the previous state on exit."""

    def __init__(self, enter_state):
        self._enter_state = enter_state
        self._prev = None

    def __enter__(self):
        self._prev = set_is_training(self._enter_state)

    def __exit__(self, ptype, value, trace):
        if self._prev != self._enter_state:
            set_is_training(self._prev)


def train_section():
    """A scope that records operations for gradients, in training mode."""
    return TrainingStateScope(True)


def test_section():
    """A scope that neither records nor trains (inside a train_section)."""
    return TrainingStateScope(False)


def mark_variables(variables, gradients, grad_reqs="write"):
    """Marks NDArrays `variables` as variables whose gradients go into
    `gradients` (lists of the same length). grad_reqs: 'write', 'add' or
    'null', or a list of them, one per variable (KeyError for another
    string, as MXNet's lookup raises)."""
    reqs = [grad_reqs] if isinstance(grad_reqs, str) else grad_reqs
    for req in reqs:
        if req not in _GRAD_REQS:
            raise KeyError(req)
    _autograd.mark_variables(variables, gradients, grad_reqs)


def backward(outputs, out_grads=None, retain_graph=False):
    """Computes the gradients of `outputs` (a list or tuple of NDArrays;
    AssertionError otherwise) into the marked variables' gradient arrays.
    out_grads: None, or one NDArray (or None, meaning ones) per output
    (AssertionError for a different count)."""
    if not isinstance(outputs, (list, tuple)):
        raise AssertionError("outputs must be a list or tuple of NDArrays")
    if out_grads is not None and len(out_grads) != len(outputs):
        raise AssertionError("outputs and out_grads must have the same "
                             "length")
    _autograd.backward(list(outputs), out_grads if out_grads is None
                       else list(out_grads), retain_graph=retain_graph)


def compute_gradient(outputs):
    """Deprecated: backward(outputs)."""
    backward(outputs)


def grad_and_loss(func, argnum=None):
    """A function that runs `func` and returns (gradients, outputs).

    func: a Python function of NDArrays returning an NDArray or a list of
    them. argnum: int or list of int, the positional arguments to
    differentiate (default all). The gradients are a list, one NDArray per
    differentiated argument. AssertionError when one of them is not an
    NDArray.
    """
    @functools.wraps(func)
    def wrapped(*args):
        variables = args
        if argnum is not None:
            indices = argnum if isinstance(argnum, list) else [argnum]
            variables = [args[i] for i in indices]
        for variable in variables:
            if not isinstance(variable, NDArray):
                raise AssertionError("type of autograd input should NDArray.")
        grads = [zeros_like(x) for x in variables]
        mark_variables(variables, grads)
        with train_section():
            outputs = func(*args)
        compute_gradient([outputs] if isinstance(outputs, NDArray)
                         else outputs)
        return grads, outputs
    return wrapped


def grad(func, argnum=None):
    """A function that runs `func` and returns only the gradients of
    grad_and_loss(func, argnum)."""
    with_loss = grad_and_loss(func, argnum)

    @functools.wraps(with_loss)
    def wrapped(*args):
        return with_loss(*args)[0]
    return wrapped
