"""The graph a hybridized Gluon block runs (MXNet's CachedOp).

A HybridBlock traced with F = mx.sym gives a Symbol whose inputs are the
block's data and its parameters. CachedGraph runs that Symbol through
kiln's Executor (kiln/executor.py: the graph captured into engine
executables with planned memory), one executor per input signature (the
data's shapes and dtypes and the parameters' grad_req), bound to:

* the parameters' own arrays as arguments and auxiliary states, so
  optimizer updates are seen at once and BatchNorm's running statistics
  are updated in place, as imperatively;
* buffers of its own for the data (each call copies the inputs in) and for
  the gradients of the parameters whose grad_req is not 'null' and of the
  data inputs that may take one (every data input, unless _core can tell
  which take none: `autograd_takes_gradient`).

Under autograd.record() a call is an autograd.Function over the real
input arrays (data and parameter arrays): its forward runs the executor's
recorded forward, its backward the executor's captured backward, and it
returns the executor's gradients to the outer tape, which writes or adds
them into Parameter.grad() (grad_req) and into attach_grad'ed inputs, and
sums them with gradients from outside the block, exactly as an imperative
forward would. Outputs are copies, so a caller may keep them across calls.

An executor recorded but not yet differentiated is busy (its saved
activations are needed), until the Function's tape node is freed (after
backward, or when its outputs are dropped). A second recorded call with
the same signature meanwhile (a block used twice in one graph) takes a
second executor, up to _MAX_EXECUTORS, then evaluates the graph node by
node on the real arrays under autograd. Recording in predict mode
(record(train_mode=False)), which an Executor cannot do, is evaluated that
way too.
"""
import types
import weakref

from .. import _core
from .. import autograd
from .. import ndarray
from ..executor import Executor

# Executors kept per input signature (each holds its activations).
_MAX_EXECUTORS = 4

# Whether an array takes a gradient (attach_grad'ed, or computed from one
# while recording), where _core can tell.
_takes_gradient = getattr(_core, "autograd_takes_gradient", None)


def data_request(array):
    """The grad_req to compute a data input's gradient with: 'null' for an
    array known to take none, else 'write' (computed in case it does)."""
    if _takes_gradient is not None and not _takes_gradient(array):
        return "null"
    return "write"


class _Slot(object):
    """An executor and whether a recorded forward of it awaits backward."""

    def __init__(self, executor, data_buffers):
        self.executor = executor
        self.data_buffers = data_buffers  # input name -> bound buffer
        self.busy = False

    def release(self):
        self.busy = False


class _GraphFunction(autograd.Function):
    """One recorded call: forward and backward through a slot."""

    def __init__(self, graph, slot, requests):
        super(_GraphFunction, self).__init__()
        self._graph = graph
        self._slot = slot
        self._requests = requests

    def forward(self, *inputs):
        return self._graph._forward(self._slot, inputs, True)

    def backward(self, *output_grads):
        executor = self._slot.executor
        executor.backward(list(output_grads))
        grads = executor.grad_dict
        return [grads.get(name) if request != "null" else None
                for name, request in zip(self._graph.input_names,
                                         self._requests)]


class CachedGraph(object):
    """Runs `symbol` on arrays in symbol.list_inputs() order.

    symbol: the traced Symbol; data_names: the inputs that are data (the
    others are parameters, bound by identity). Call with the input arrays
    and, for each input, its grad_req ('write' for data: their gradient is
    computed while recording, in case they take one). Returns the list of
    outputs (NDArrays).
    """

    def __init__(self, symbol, data_names):
        self.symbol = symbol
        self.input_names = symbol.list_inputs()
        self._aux_names = set(symbol.list_auxiliary_states())
        self._data_names = set(data_names)
        self._slots = {}
        self._bound_ids = None

    def __call__(self, inputs, requests):
        inputs = list(inputs)
        requests = tuple(requests)
        # Parameter arrays replaced (force_reinit, load into a new array,
        # reset_ctx): executors bound to the old ones are dropped.
        bound = tuple(id(array) for name, array in zip(self.input_names,
                                                        inputs)
                      if name not in self._data_names)
        if bound != self._bound_ids:
            self._slots = {}
            self._bound_ids = bound
        recording = autograd.is_recording()
        training = autograd.is_training()
        if recording and not training:
            return self._evaluate(inputs)
        key = (tuple((array.shape, array.dtype, array.context)
                     for name, array in zip(self.input_names, inputs)
                     if name in self._data_names), requests)
        slot = self._free_slot(key, inputs, requests)
        if slot is None:
            return self._evaluate(inputs)
        if not recording:
            return self._forward(slot, inputs, training)
        function = _GraphFunction(self, slot, requests)
        slot.busy = True
        weakref.finalize(function, slot.release)
        outputs = function(*inputs)
        return list(outputs) if isinstance(outputs, tuple) else [outputs]

    def _free_slot(self, key, inputs, requests):
        """A slot of signature `key` not awaiting backward, made when none
        is free (None past _MAX_EXECUTORS)."""
        slots = self._slots.setdefault(key, [])
        for slot in slots:
            if not slot.busy:
                return slot
        if len(slots) >= _MAX_EXECUTORS:
            return None
        slot = self._bind(inputs, requests)
        slots.append(slot)
        return slot

    def _bind(self, inputs, requests):
        """A new executor for these inputs' shapes and requests."""
        shapes = {name: array.shape for name, array in
                  zip(self.input_names, inputs)}
        dtypes = {name: array.dtype for name, array in
                  zip(self.input_names, inputs)
                  if name not in self._aux_names}
        # Shape or dtype contradictions (data against initialized
        # parameters) are MXNetErrors naming the operator, before binding.
        self.symbol.infer_shape(**shapes)
        self.symbol.infer_type(**dtypes)
        args, grads, reqs, aux, buffers = {}, {}, {}, {}, {}
        ctx = inputs[0].context if inputs else None
        for name, array, request in zip(self.input_names, inputs, requests):
            if name in self._data_names:
                array = buffers[name] = ndarray.zeros(
                    array.shape, ctx=array.context, dtype=array.dtype)
            if name in self._aux_names:
                aux[name] = array
                continue
            args[name] = array
            if request != "null":
                grads[name] = ndarray.zeros(array.shape, ctx=array.context,
                                            dtype=array.dtype)
                reqs[name] = "write"
        executor = Executor(self.symbol, ctx, args, grads, reqs, aux)
        return _Slot(executor, buffers)

    def _forward(self, slot, inputs, is_train):
        """Copies the data into the slot's buffers and runs its executor;
        copies of the outputs."""
        with autograd.pause(train_mode=is_train):
            for name, array in zip(self.input_names, inputs):
                buffer = slot.data_buffers.get(name)
                if buffer is not None:
                    array.copyto(buffer)
            outputs = slot.executor.forward(is_train=is_train)
            return [output.copy() for output in outputs]

    def _evaluate(self, inputs):
        """The graph evaluated op by op on the real arrays, under the
        caller's autograd state (gradients flow as imperatively)."""
        # Executor._run is that evaluation; it reads only _symbol.
        host = types.SimpleNamespace(_symbol=self.symbol)
        return Executor._run(host, dict(zip(self.input_names, inputs)))
