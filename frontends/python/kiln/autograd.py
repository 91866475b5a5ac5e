"""mx.autograd: record imperative operations and differentiate them.

    x = mx.nd.array([1, 2, 3]); x.attach_grad()
    with mx.autograd.record():
        y = (x * x).sum()
    y.backward()
    x.grad            # [2. 4. 6.]

Recording and training flags are per thread, as in MXNet. Gradient rules are
registered once with each C++ operator; backward runs them through the same
compiled kernels as the forward pass.
"""
from . import _core, _op_gen
from .base import MXNetError

NDArray = _core.NDArray


def set_recording(is_recording):
    """Turns recording on or off; returns the previous state."""
    return _core.autograd_set_recording(bool(is_recording))


def set_training(train_mode):
    """Turns training mode on or off; returns the previous state."""
    return _core.autograd_set_training(bool(train_mode))


def is_recording():
    return _core.autograd_is_recording()


def is_training():
    return _core.autograd_is_training()


class _RecordingStateScope(object):
    """Sets recording and/or training for a `with` block, then restores them."""

    def __init__(self, is_record, train_mode):
        self._enter_is_record = is_record
        self._enter_train_mode = train_mode
        self._prev_is_record = None
        self._prev_train_mode = None

    def __enter__(self):
        if self._enter_is_record is not None:
            self._prev_is_record = set_recording(self._enter_is_record)
        if self._enter_train_mode is not None:
            self._prev_train_mode = set_training(self._enter_train_mode)

    def __exit__(self, exc_type, exc_value, traceback):
        if self._enter_is_record is not None:
            set_recording(self._prev_is_record)
        if self._enter_train_mode is not None:
            set_training(self._prev_train_mode)


def record(train_mode=True):
    """Records operations in the block for backward (training mode by default)."""
    return _RecordingStateScope(True, train_mode)


def pause(train_mode=False):
    """Stops recording in the block (prediction mode by default)."""
    return _RecordingStateScope(False, train_mode)


def train_mode():
    """Training mode in the block, recording unchanged."""
    return _RecordingStateScope(None, True)


def predict_mode():
    """Prediction mode in the block, recording unchanged."""
    return _RecordingStateScope(None, False)


def _as_list(arrays, what):
    if isinstance(arrays, NDArray):
        return [arrays]
    if isinstance(arrays, (list, tuple)):
        for index, array in enumerate(arrays):
            if not isinstance(array, NDArray):
                # AttributeError, as MXNet's (it reads the item's .handle).
                raise AttributeError("%s: item %d expected an NDArray, got %s"
                                     % (what, index, type(array).__name__))
        return list(arrays)
    raise TypeError("%s: expected an NDArray or a list of NDArrays, got %s"
                    % (what, type(arrays).__name__))


def _head_grads(heads, head_grads):
    if head_grads is None:
        return [None] * len(heads)
    grads = [head_grads] if isinstance(head_grads, NDArray) else list(head_grads)
    if len(grads) != len(heads):
        raise MXNetError("backward: got %d head gradients for %d heads"
                         % (len(grads), len(heads)))
    for index, grad in enumerate(grads):
        if grad is not None and not isinstance(grad, NDArray):
            raise MXNetError("backward: head gradient %d expected an NDArray "
                             "or None, got %s" % (index, type(grad).__name__))
    return grads


def mark_variables(variables, gradients, grad_reqs="write"):
    """Marks arrays as variables whose gradients go into `gradients`."""
    variables = _as_list(variables, "mark_variables")
    gradients = _as_list(gradients, "mark_variables")
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    _core.autograd_mark_variables(variables, gradients, list(grad_reqs))


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    """Differentiates `heads` into the gradient buffers of their variables."""
    heads = _as_list(heads, "backward")
    if not heads:
        raise MXNetError("backward: there are no heads, so no inputs in the "
                         "computation graph that require gradients")
    # A first backward meets a new kernel at almost every node: they
    # compile side by side in the background while the nodes are pushed.
    with _core.background_compiles():
        _core.autograd_backward(heads, _head_grads(heads, head_grads),
                                bool(retain_graph), bool(train_mode))


def grad(heads, variables, head_grads=None, retain_graph=None,
         create_graph=False, train_mode=True):
    """The gradients of `heads` with respect to `variables`, returned instead
    of stored: a list with one NDArray per variable, also when `variables`
    is a single NDArray (as MXNet 1.9.1 returns it, so `grad(y, x)[0]` is
    x's whole gradient). With create_graph=True they are recorded, so they
    can be differentiated again (higher-order gradients)."""
    for array in (heads if isinstance(heads, (list, tuple)) else [heads]):
        if _op_gen.is_traced(array):
            raise MXNetError(
                "autograd.grad cannot run while kiln.jit traces a function: "
                "record around the jitted call instead (with "
                "autograd.record(): loss = f(x)) and take the gradients "
                "outside it")
    head_list = _as_list(heads, "grad")
    variable_list = _as_list(variables, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _core.autograd_grad(head_list, variable_list,
                                _head_grads(head_list, head_grads),
                                bool(retain_graph), bool(create_graph),
                                bool(train_mode))
    return list(grads)


def get_symbol(x):
    raise MXNetError("autograd.get_symbol: symbols are not available in kiln "
                     "yet")


class Function(object):
    """A custom differentiable function: subclass it with forward(*inputs)
    and backward(*output_grads), both on NDArrays, as in MXNet.

        class Sigmoid(mx.autograd.Function):
            def forward(self, x):
                y = 1 / (1 + mx.nd.exp(-x))
                self.save_for_backward(y)
                return y
            def backward(self, dy):
                y, = self.saved_tensors
                return dy * y * (1 - y)
    """

    # Whether the arrays backward() returns may be taken over by the
    # variables' gradient buffers instead of copied (kiln's own functions
    # whose gradient arrays nobody reads afterwards).
    _donates_gradients = False

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, *output_grads):
        raise NotImplementedError

    def __call__(self, *inputs):
        if self._used:
            raise MXNetError("%s: each Function object can be called once; "
                             "create a new one per call" % type(self).__name__)
        self._used = True
        for array in inputs:
            if _op_gen.is_traced(array):
                # kiln.jit's traced arrays: the Python forward and backward
                # cannot become nodes of a compiled graph.
                raise MXNetError(
                    "%s: an autograd.Function cannot be traced by kiln.jit "
                    "(its forward and backward are Python); call it outside "
                    "the jitted function, or the function without jit"
                    % type(self).__name__)
        _as_list(list(inputs), type(self).__name__)
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        single = isinstance(outputs, NDArray)
        output_list = _as_list(outputs, type(self).__name__ + ".forward")
        if not is_recording():
            return outputs
        # Fresh handles, so an output that is an input keeps its own place.
        output_list = [output.detach() for output in output_list]
        name = type(self).__name__

        def backward_callback(output_grads):
            # Whether this backward is itself recorded (create_graph=True),
            # for subclasses that cannot be differentiated again.
            self._backward_recorded = is_recording()
            with pause(train_mode=is_training()):
                grads = self.backward(*output_grads)
            if isinstance(grads, NDArray) or grads is None:
                grads = [grads]
            grads = list(grads)
            if len(grads) != len(inputs):
                raise MXNetError("%s.backward: returned %d gradients for %d "
                                 "inputs" % (name, len(grads), len(inputs)))
            return grads

        _core.autograd_record_function(
            name, list(inputs), output_list, backward_callback,
            donate_gradients=self._donates_gradients)
        return output_list[0] if single else tuple(output_list)


def _ndarray_backward(self, out_grad=None, retain_graph=False, train_mode=True):
    """Differentiates this array into its variables' gradient buffers."""
    backward([self], None if out_grad is None else [out_grad],
             retain_graph=retain_graph, train_mode=train_mode)


NDArray.backward = _ndarray_backward

__all__ = ["record", "pause", "train_mode", "predict_mode", "set_recording",
           "set_training", "is_recording", "is_training", "mark_variables",
           "backward", "grad", "Function", "get_symbol"]
