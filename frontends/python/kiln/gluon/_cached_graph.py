"""The graph a hybridized Gluon block runs (MXNet's CachedOp).

A HybridBlock traced with F = mx.sym gives a Symbol whose inputs are the
block's data and its parameters. CachedGraph runs that Symbol through
kiln's Executor (kiln/executor.py: the graph captured into engine
executables with planned memory), one executor per input signature (the
data's shapes and dtypes, which inputs take a gradient), bound to:

* the parameters' own arrays as arguments and auxiliary states, so
  optimizer updates are seen at once and BatchNorm's running statistics
  are updated in place, as imperatively;
* buffers of its own for the data (each call copies the inputs in) and for
  the gradients of the parameters whose grad_req is not 'null' and of the
  data inputs that take one (attach_grad'ed, or computed from such arrays
  while recording). Gradient buffers that the captured backward writes
  whole are lent per backward (_Slot.lend_gradients): they hold pool
  memory only from a backward until the tape takes their gradients, so
  the executors of all signatures share one set.

Under autograd.record() a call is an autograd.Function over the real
input arrays (data and parameter arrays): its forward runs the executor's
recorded forward, its backward the executor's captured backward, and it
returns the executor's gradients to the outer tape, which writes or adds
them into Parameter.grad() (grad_req) and into attach_grad'ed inputs, and
sums them with gradients from outside the block, exactly as an imperative
forward would (a written gradient takes over the executor buffer's memory,
which gets the old gradient's: no copy). Outputs are copies, so a caller may keep them across calls.

Calls may come from several threads: an executor is one call's at a time
(claimed under a lock), so a concurrent call takes another executor, up
to _MAX_EXECUTORS per signature, or runs op by op.

Some calls are evaluated op by op on the real arrays under autograd
instead (the same operators, so the same values; gradients flow as
imperatively):

* the first recorded call for each set of inputs taking gradients: it
  tells whether every output takes a gradient, which an Executor needs
  (it differentiates every output); a graph with an output that takes
  none (argmax, BlockGrad) stays evaluated while recording;
* recording in predict mode (record(train_mode=False)), which an Executor
  cannot do;
* a recorded call while every executor of its signature awaits backward
  (its saved activations are needed until the Function's tape node is
  freed: after backward, or when its outputs are dropped). A block called
  twice in one recorded graph takes a second executor, up to
  _MAX_EXECUTORS, before that.
"""
import threading
import types
import warnings
import weakref
from collections import OrderedDict

from .. import _core
from .. import autograd
from .. import ndarray
from ..base import MXNetError
from ..executor import Executor

# Executors kept per input signature (each holds its activations).
_MAX_EXECUTORS = 4
# Input signatures (shapes, dtypes, contexts) kept executors for, the least
# recently used going first: each executor holds the arena of its shapes,
# so a block called with ever new shapes (variable-length sequences) grew
# without bound (120 lengths of a 1024-wide Dense: 2.7 GiB against MXNet's
# 0.2). A signature that comes back is captured again (its kernels are in
# the kernel cache) after _RECAPTURE_AFTER calls.
_MAX_SIGNATURES = 8
# A call of a signature evicted earlier means the block cycles through more
# signatures than are kept (9 batch sizes in turn). Capturing it again on
# each return made every call cost a capture: a Dense-relu-Dense block took
# 1.7 ms a call, against 0.16 ms op by op. Such calls run op by op, as a
# call does while every executor of its signature awaits backward; the
# signature is captured again at its _RECAPTURE_AFTER-th call since it was
# evicted, so one that stays in use gets an executor back (9 sizes in turn:
# 0.16 ms a call, 8: 0.09). torch.compile stops recompiling past its
# cache_size_limit of 8 for the same reason.
_RECAPTURE_AFTER = 32
# Evicted signatures remembered (their calls since eviction).
_MAX_EVICTED = 1024


# Sets of parameter arrays kept executors for (one per context, when a
# block runs on several; replaced arrays fall out).
_MAX_BINDINGS = 4

# _core's answer to "does this array take a gradient", where it has one.
_core_takes_gradient = getattr(_core, "autograd_takes_gradient", None)
_sentinel = []  # an array that takes no gradient, made on first use


class EvictedKeys(object):
    """The keys a cache of captures (CachedGraph's executors, kiln.jit's
    per-shape traces) evicted, with their calls since: a key that comes
    back runs op by op until its _RECAPTURE_AFTER-th call since eviction,
    then is captured again. The _MAX_EVICTED most recently called are
    remembered."""

    def __init__(self):
        self._calls = OrderedDict()  # key -> calls since, most recent last

    def defers(self, key):
        """For a miss of `key`: True (the call counted) while it should
        run op by op; False when it should be captured (forgotten here)."""
        calls = self._calls.pop(key, None)
        if calls is not None and calls + 1 < _RECAPTURE_AFTER:
            self._calls[key] = calls + 1
            return True
        return False

    def add(self, key):
        """`key` was just evicted."""
        self._calls[key] = 0
        while len(self._calls) > _MAX_EVICTED:
            self._calls.popitem(last=False)

    def clear(self):
        self._calls.clear()


def takes_gradient(array):
    """Whether backward would reach a variable from `array`: an
    attach_grad'ed array (grad_req not 'null') or one computed from such
    arrays while recording."""
    if _core_takes_gradient is not None:
        return _core_takes_gradient(array)
    # backward() checks its heads in order before any work: with a second
    # head that takes no gradient, it names head 0 when `array` takes
    # none, else head 1. Nothing is computed or written either way.
    if not _sentinel:
        with autograd.pause():
            _sentinel.append(ndarray.zeros((1,)))
    try:
        autograd.backward([array, _sentinel[0]], [array, None],
                          retain_graph=True)
    except MXNetError as error:
        return "cannot differentiate head 0:" not in str(error)
    return True


class _Slot(object):
    """An executor and whether a recorded forward of it awaits backward."""

    def __init__(self, executor, data_buffers):
        self.executor = executor
        self.data_buffers = data_buffers  # input name -> bound buffer
        # Data buffers pointing at a caller's array (_core.bind_argument).
        self.lent = set()
        self.busy = False
        # Gradient buffers lent per backward (None: not decided yet).
        self._lent_gradients = None

    def release(self):
        self.busy = False

    def lend_gradients(self):
        """Before a backward: gives the executor's gradient buffers memory
        for it. Each executor of a signature kept a gradient buffer per
        parameter all the time: an MLP trained with 10 batch sizes held
        about 9 times its parameters' bytes. The buffers the captured
        backward writes whole are lent instead (_core.lend_buffer): they
        take pool blocks here and give them back when the outer tape
        adopts their gradients, so the executors share one set."""
        executor = self.executor
        program = executor._backward_program if executor._static else None
        if self._lent_gradients is None:
            if program is None:
                return
            self._lent_gradients = [
                buffer for buffer in executor.grad_arrays
                if buffer is not None and program[0].writes(buffer) and
                _core.lend_buffer(buffer)]
            return
        for buffer in self._lent_gradients:
            _core.lend_buffer(buffer)
            if program is None:
                # Interpreted since (a capture failed): its backward need
                # not write every buffer, so none may hold stale bytes.
                buffer[:] = 0


class _GraphFunction(autograd.Function):
    """One recorded call: forward and backward through a slot."""

    # The executor's gradient buffers are rewritten by its next backward and
    # read by nothing else: the parameters' gradients take their memory.
    _donates_gradients = True

    def __init__(self, graph, slot, requests):
        super(_GraphFunction, self).__init__()
        self._graph = graph
        self._slot = slot
        self._requests = requests

    def forward(self, *inputs):
        return self._graph._forward(self._slot, inputs, True)

    def backward(self, *output_grads):
        if getattr(self, "_backward_recorded", False):
            # autograd.grad(..., create_graph=True): the executor's
            # backward is not recorded, so the gradient's own gradient
            # would silently lose this call's terms. MXNet's CachedOp
            # refuses too.
            raise MXNetError(
                "%s does not support higher order gradients: with "
                "create_graph=True, %s" % self._graph.higher_order_advice)
        self._slot.lend_gradients()
        executor = self._slot.executor
        # Under retain_graph=True another backward may follow on this
        # forward's values: the executor keeps them intact.
        executor._backward(list(output_grads), True,
                           _core.autograd_is_retaining_graph())
        grads = executor.grad_dict
        return [grads.get(name) if request != "null" else None
                for name, request in zip(self._graph.input_names,
                                         self._requests)]


class CachedGraph(object):
    """Runs `symbol` on arrays in symbol.list_inputs() order.

    symbol: the traced Symbol; data_names: the inputs that are data (the
    others are parameters, bound by identity). Call with the input arrays
    and the parameters' grad_req (None for data inputs). Returns the list
    of outputs (NDArrays). higher_order_advice: (what runs the graph, what
    to do instead) for the MXNetError of a backward with create_graph=True
    through a captured call.
    """

    def __init__(self, symbol, data_names,
                 higher_order_advice=("CachedOp (a hybridized block)",
                                      "call the block without hybridize()")):
        # (what runs the graph, what to do instead), for the error of a
        # higher-order gradient through it.
        self.higher_order_advice = higher_order_advice
        self.symbol = symbol
        self.input_names = symbol.list_inputs()
        self._aux_names = set(symbol.list_auxiliary_states())
        self._data_names = set(data_names)
        self._bindings = OrderedDict()  # parameter arrays' ids -> slots
        self._slots = OrderedDict()  # input signature -> slots, LRU order
        # Evicted input signature -> its calls since (run op by op).
        self._evicted = EvictedKeys()
        # requests -> whether every output takes a gradient when recorded.
        self._differentiable = {}
        # Calls from several threads: the tables, and a slot's claim, are
        # changed under it; a claimed slot (busy) is one thread's until its
        # forward (or, recorded, its backward) is done, so another thread
        # takes another executor or runs op by op.
        self._lock = threading.RLock()

    def __call__(self, inputs, param_requests):
        inputs = list(inputs)
        with self._lock:
            claimed = self._claim(inputs, param_requests)
        if claimed is None:
            return self._evaluate(inputs)
        if claimed[0] == "outputs":
            return claimed[1]  # a first recorded call, evaluated op by op
        _, slot, recording, training, requests = claimed
        if not recording:
            try:
                return self._forward(slot, inputs, training, lend=True)
            finally:
                slot.release()
        function = _GraphFunction(self, slot, requests)
        weakref.finalize(function, slot.release)
        outputs = function(*inputs)
        return list(outputs) if isinstance(outputs, tuple) else [outputs]

    def _claim(self, inputs, param_requests):
        """Under the lock: ("slot", a slot it marked busy, recording,
        training, requests); None to run op by op; or ("outputs", outputs)
        of a first recorded call, evaluated op by op here."""
        # Executors are bound to the parameter arrays: other arrays (on
        # another context, or new ones after force_reinit, reset_ctx, cast)
        # take executors of their own; the least recently used go.
        bound = tuple(id(array) for name, array in zip(self.input_names,
                                                        inputs)
                      if name not in self._data_names)
        self._slots = self._bindings.pop(bound, None) or OrderedDict()
        self._bindings[bound] = self._slots
        while len(self._bindings) > _MAX_BINDINGS:
            self._bindings.popitem(last=False)
        recording = autograd.is_recording()
        training = autograd.is_training()
        if recording and not training:
            return None
        requests = tuple(
            request if name not in self._data_names else
            ("write" if recording and takes_gradient(array) else "null")
            for name, array, request in zip(self.input_names, inputs,
                                            param_requests))
        if recording and all(request == "null" for request in requests):
            recording = False  # no gradient can flow: nothing to record
        if recording:
            differentiable = self._differentiable.get(requests)
            if differentiable is None:
                # Op by op, each op's kernel new: they compile side by side
                # in the background while the ops are pushed.
                with _core.background_compiles():
                    outputs = self._evaluate(inputs)
                self._differentiable[requests] = all(
                    takes_gradient(output) for output in outputs)
                return "outputs", outputs
            if not differentiable:
                return None
        key = (tuple((array.shape, array.dtype, array.context)
                     for name, array in zip(self.input_names, inputs)
                     if name in self._data_names), requests)
        if any(0 in shape for shape, _, _ in key[0]):
            # A zero-size batch: MXNet's graphs read a 0 extent as unknown,
            # so it cannot be captured; op by op it runs as eagerly.
            return None
        slot = self._free_slot(key, inputs, requests)
        if slot is None:
            return None
        slot.busy = True
        return "slot", slot, recording, training, requests

    def _free_slot(self, key, inputs, requests):
        """A slot of signature `key` not awaiting backward, made when none
        is free (None past _MAX_EXECUTORS, or for an evicted signature's
        first _RECAPTURE_AFTER calls: the caller then runs op by op)."""
        slots = self._slots.pop(key, None)
        if slots is None:
            if self._evicted.defers(key):
                return None
            slots = []
        self._slots[key] = slots
        while len(self._slots) > _MAX_SIGNATURES:
            # A slot awaiting backward stays alive through its function.
            evicted, _ = self._slots.popitem(last=False)
            self._evicted.add(evicted)
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
        # Every input's own type, auxiliary states' too: a variable's
        # __dtype__ is the parameter's at the graph's making, stale after
        # cast(), and mixed types an op refuses are errors.
        dtypes = {name: array.dtype for name, array in
                  zip(self.input_names, inputs)}
        # Shape or dtype contradictions (data against initialized
        # parameters) are MXNetErrors naming the operator, before binding;
        # shapes are inferred with the arrays' types, as ops check them.
        # Every input's shape is known here: an unknown one inferred is a
        # zero extent inside the graph, which binding reports itself, so
        # infer_shape's "Cannot decide shape" warning would only be noise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            self.symbol._infer_shape_typed(shapes, dtypes)
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

    def _forward(self, slot, inputs, is_train, lend=False):
        """Runs the slot's executor on the data; outputs the caller may
        keep across calls.

        With `lend` (a call no backward follows), the slot's data buffers
        borrow the data arrays' memory and the outputs take over the
        executor's result buffers, which get fresh blocks
        (_core.bind_argument, take_results: no copies, as MXNet's CachedOp
        passes its arrays); otherwise the data is copied in and the
        outputs copied out, since a recorded forward's backward reads the
        executor's buffers later."""
        with autograd.pause(train_mode=is_train):
            lent = []
            for name, array in zip(self.input_names, inputs):
                buffer = slot.data_buffers.get(name)
                if buffer is None:
                    continue
                if lend and _core.bind_argument(buffer, array):
                    lent.append((buffer, array))
                    slot.lent.add(name)
                    continue
                if name in slot.lent:
                    _core.unbind_argument(buffer)
                    slot.lent.discard(name)
                array.copyto(buffer)
            # The executor's own outputs (not its published copies).
            outputs = slot.executor._forward_outputs(is_train)
            for buffer, array in lent:
                _core.release_argument(buffer, array)
            if not lend:
                return [output.copy() for output in outputs]
            # An output may be a bound array itself (a function returning
            # a parameter): those keep their memory and are copied.
            executor = slot.executor
            bound = [array for array in executor.arg_arrays +
                     executor.aux_arrays + executor.grad_arrays
                     if array is not None]
            taken = _core.take_results(outputs, bound)
            return [output.copy() if result is None else result
                    for output, result in zip(outputs, taken)]

    def _evaluate(self, inputs):
        """The graph evaluated op by op on the real arrays, under the
        caller's autograd state (gradients flow as imperatively)."""
        # Executor._run is that evaluation; it reads only _symbol.
        host = types.SimpleNamespace(_symbol=self.symbol)
        return Executor._run(host, dict(zip(self.input_names, inputs)))
