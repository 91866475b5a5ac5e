"""PythonModule and PythonLossModule: modules computed in Python, as MXNet
1.9.1's mxnet/module/python_module.py.

PythonModule answers the module API with nothing to do where a module
without parameters has nothing to do (init_params, update,
init_optimizer); a subclass supplies forward, backward, get_outputs,
get_input_grads and _compute_output_shapes. PythonLossModule is such a
module for a loss written in Python, usually last in a SequentialModule:

    def grad(scores, labels):             # d loss / d scores
        return scores - mx.nd.one_hot(labels, scores.shape[1])

    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(net, label_names=None))
    seq.add(mx.mod.PythonLossModule(grad_func=grad), take_labels=True,
            auto_wiring=True)
"""
import logging

from .. import ndarray as nd
from ..initializer import Uniform
from .base_module import BaseModule

__all__ = ["PythonModule", "PythonLossModule"]


class PythonModule(BaseModule):
    """A module without parameters whose computation a subclass writes in
    Python.

    Parameters
    ----------
    data_names : list of str
    label_names : list of str or None
        None for a module that takes no labels.
    output_names : list of str
    logger : default logging

    The shape properties return what bind was given (None before bind).
    """

    def __init__(self, data_names, label_names, output_names, logger=logging):
        super(PythonModule, self).__init__(logger=logger)
        if isinstance(data_names, tuple):
            data_names = list(data_names)
        if isinstance(label_names, tuple):
            label_names = list(label_names)
        self._data_names = data_names
        self._label_names = label_names
        self._output_names = output_names
        self._data_shapes = None
        self._label_shapes = None
        self._output_shapes = None

    # -- names and shapes -----------------------------------------------------

    @property
    def data_names(self):
        """The data names."""
        return self._data_names

    @property
    def output_names(self):
        """The output names."""
        return self._output_names

    @property
    def data_shapes(self):
        """The data shapes bind was given."""
        return self._data_shapes

    @property
    def label_shapes(self):
        """The label shapes bind was given (None without labels)."""
        return self._label_shapes

    @property
    def output_shapes(self):
        """[(output name, shape)], from _compute_output_shapes at bind."""
        return self._output_shapes

    # -- parameters: none -----------------------------------------------------

    def get_params(self):
        """({}, {}): no parameters (a subclass with some overrides it)."""
        return {}, {}

    def init_params(self, initializer=Uniform(0.01), arg_params=None,
                    aux_params=None, allow_missing=False, force_init=False,
                    allow_extra=False):
        """Nothing to initialize (a subclass with parameters overrides
        it)."""

    def update(self):
        """Nothing to update."""

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),),
                       force_init=False):
        """No optimizer needed."""

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """eval_metric.update(labels, get_outputs()) when bound with
        labels; nothing otherwise. RuntimeError for pre_sliced labels."""
        if self._label_shapes is None:
            return  # no labels: no loss or prediction to measure
        if pre_sliced:
            raise RuntimeError("PythonModule does not support presliced "
                               "labels")
        eval_metric.update(labels, self.get_outputs())

    # -- setup ----------------------------------------------------------------

    def bind(self, data_shapes, label_shapes=None, for_training=True,
             inputs_need_grad=False, force_rebind=False, shared_module=None,
             grad_req="write"):
        """Records the input shapes and computes the output shapes.
        AssertionError for a grad_req other than 'write', or shapes whose
        names are not data_names / label_names, in order (labels given to a
        module created with label_names None included)."""
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        assert grad_req == "write", "Python module only support write gradient"
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        assert len(data_shapes) == len(self._data_names)
        assert [desc[0] for desc in data_shapes] == self._data_names
        self._data_shapes = data_shapes
        self._label_shapes = label_shapes
        if label_shapes is not None:
            assert self._label_names is not None
            assert len(self._label_names) == len(label_shapes)
            assert [desc[0] for desc in label_shapes] == self._label_names
        self._output_shapes = self._compute_output_shapes()

    def _compute_output_shapes(self):
        """[(output name, shape)] from self._data_shapes and
        self._label_shapes: for a subclass to write."""
        raise NotImplementedError()


class PythonLossModule(PythonModule):
    """A loss computed in Python: forward passes its input (the scores)
    through as its output; backward gives the scores' gradient from
    `grad_func`.

    Parameters
    ----------
    name : str, default 'pyloss'
        The output is named name + '_output'.
    data_names : one name, default ('data',)
    label_names : one name, default ('softmax_label',)
    logger : default logging
    grad_func : callable, optional
        grad_func(scores, labels) -> d loss / d scores, an NDArray or
        anything mx.nd.array takes (numpy). Without it a subclass overrides
        _backward_impl (else backward raises NotImplementedError).

    AssertionError for more or fewer than one data or label name, or a
    grad_func that is not callable.
    """

    def __init__(self, name="pyloss", data_names=("data",),
                 label_names=("softmax_label",), logger=logging,
                 grad_func=None):
        super(PythonLossModule, self).__init__(
            data_names, label_names, [name + "_output"], logger=logger)
        self._name = name
        assert len(data_names) == 1
        assert len(label_names) == 1
        self._scores = None
        self._labels = None
        self._scores_grad = None
        if grad_func is not None:
            assert callable(grad_func)
        self._grad_func = grad_func

    def _compute_output_shapes(self):
        """The output has the scores' shape."""
        return [(self._name + "_output", self._data_shapes[0][1])]

    def forward(self, data_batch, is_train=None):
        """Keeps data_batch.data[0] as the scores (and, when training,
        data_batch.label[0] as the labels)."""
        self._scores = data_batch.data[0]
        if is_train is None:
            is_train = self.for_training
        if is_train:
            self._labels = data_batch.label[0]

    def get_outputs(self, merge_multi_context=True):
        """[scores] (merge_multi_context must be True)."""
        assert merge_multi_context is True
        return [self._scores]

    def backward(self, out_grads=None):
        """Computes the scores' gradient (_backward_impl). AssertionError
        when out_grads is given (a loss takes none) or the module is not
        bound for training."""
        assert out_grads is None, "For a loss module, out_grads should be None"
        assert self.for_training
        self._backward_impl()

    def _backward_impl(self):
        """self._scores_grad = grad_func(scores, labels), as an NDArray.
        NotImplementedError without a grad_func."""
        if self._grad_func is None:
            raise NotImplementedError()
        grad = self._grad_func(self._scores, self._labels)
        if not isinstance(grad, nd.NDArray):
            grad = nd.array(grad)
        self._scores_grad = grad

    def get_input_grads(self, merge_multi_context=True):
        """[the scores' gradient] of the last backward
        (merge_multi_context must be True)."""
        assert merge_multi_context is True
        return [self._scores_grad]

    def install_monitor(self, mon):
        """NotImplementedError: there are no executors to monitor."""
        raise NotImplementedError()
