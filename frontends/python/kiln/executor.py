"""Executor: a bound Symbol (MXNet 1.9.1's mxnet.executor.Executor).

An Executor holds the arrays of a Symbol's arguments, their gradients and
its auxiliary states, and runs the graph over them: forward() evaluates the
operators in graph order, each through kiln's operator registry and engine
(so independent branches run concurrently and every op is the same kernel
mx.nd runs), recording for autograd when gradients are requested;
backward() differentiates the recorded graph into the gradient arrays,
honouring grad_req write/add/null per argument. Auxiliary states
(BatchNorm's moving statistics) are updated in place by their operators.

Not yet the whole-graph compiler of issue #13: the graph is interpreted
node by node rather than compiled into one planned executable.
"""
import json as _json
import os as _os

import numpy as _np

from . import _core
from ._core import MXNetTypeError, MXNetValueError
from . import _executor_monitor as _monitor
from . import autograd as _autograd
from .base import MXNetError, string_types
from .context import Context, current_context
from .ndarray import ndarray as _nd
from ._op_gen import attr_string as _attr_string

__all__ = ["Executor"]


def _zeros(shape, context, dtype):
    """nd.zeros(shape, ctx=context, dtype=dtype) straight to the operator,
    without the generated function's argument handling: a bind makes one
    array per argument, gradient and auxiliary state (a ResNet-18 bind 169,
    a third of its time through nd.zeros). `context` is a checked Context."""
    name = dtype if dtype == "bfloat16" else _np.dtype(dtype).name
    return _core.invoke("_zeros", [], {
        "shape": str(tuple(int(extent) for extent in shape)),
        "dtype": name}, None, ctx=context)

# MXNet 1.9.1's words (graph_executor.cc) when simple_bind cannot share an
# argument's or an auxiliary state's array of shared_exec.
_SHARE_MISMATCH = {
    "arg_array": (
        "Check failed: inferred_%(what)s == in_arg_nd.%(what)s() (%(want)s "
        "vs. %(have)s) : Inferred %(what)s does not match "
        "shared_exec.arg_array's %(what)s Therefore, the allocated memory for "
        "shared_exec.arg_array cannot be resued for creating NDArray of the "
        "argument %(name)s for the current executor"),
    "aux_array": (
        "Check failed: inferred_%(what)s == aux_nd.%(what)s() (%(want)s vs. "
        "%(have)s) : Inferred %(what)s does not match shared_exec.aux_array's "
        "%(what)s. Therefore, the allocated memory for shared_exec.aux_array "
        "cannot be resued for creating auxilliary NDArray of the argument: "
        "%(name)s for the current executor")}


def _shape_text(shape):
    """A shape as MXNet's C++ prints it: [4,3]."""
    return "[%s]" % ",".join(str(extent) for extent in shape)


def _bind_error(shapes, message):
    """RuntimeError as MXNet's simple_bind raises it: the given shapes,
    then the reason."""
    return RuntimeError("simple_bind error. Arguments:\n%s%s" % (
        "".join("%s: %s\n" % (key, value) for key, value in shapes.items()),
        message))

_GRAD_REQS = ("write", "add", "null")


def _as_dict(values, names, what):
    """`values` (list in `names` order, or dict by name, or None) as a dict;
    MXNetError for a wrong count or unknown names."""
    if values is None:
        return {}
    if isinstance(values, dict):
        unknown = [key for key in values if key not in names]
        if unknown:
            raise MXNetError("bind: %s has no entry named '%s'; expected "
                             "names among %s" % (what, unknown[0], names))
        return dict(values)
    values = list(values)
    if len(values) != len(names):
        raise MXNetError("bind: %s expected %d arrays (%s), got %d"
                         % (what, len(names), ", ".join(names), len(values)))
    return dict(zip(names, values))


def _dump_programs(symbol, programs, memory_stats):
    """With KILN_DUMP_IR=dir, writes the graph (MXNet's JSON) and its
    captured programs (each launch in order; 'fused:...' launches are fused
    elementwise kernels, whose IR after each pass the kernel cache writes
    into the same directory) as dir/executable-N.txt."""
    directory = _os.environ.get("KILN_DUMP_IR")
    if not directory:
        return
    _os.makedirs(directory, exist_ok=True)
    number = len([name for name in _os.listdir(directory)
                  if name.startswith("executable-")])
    path = _os.path.join(directory, "executable-%d.txt" % number)
    with open(path, "w") as dump:
        dump.write("# symbol outputs: %s\n" % ", ".join(symbol.list_outputs()))
        dump.write("# memory: %s\n" % _json.dumps(memory_stats, sort_keys=True))
        for index, program in enumerate(programs):
            dump.write("\n# program %d (%s): %d launches\n" % (
                index, "forward" if index == 0 else "backward",
                program.num_launches))
            for name in program.launch_names:
                dump.write("  %s\n" % name)
        dump.write("\n# graph\n%s\n" % symbol.tojson())


# Operators whose gradient reads no head gradient (MXNet's loss heads: its
# executor needs none for them), by canonical name (Softmax and
# stop_gradient are aliases of SoftmaxOutput and BlockGrad).
_LOSS_OPS = frozenset([
    "SoftmaxOutput", "LinearRegressionOutput", "LogisticRegressionOutput",
    "MAERegressionOutput", "SVMOutput", "MakeLoss", "make_loss",
    "BlockGrad"])


def _is_loss(node):
    """Whether `node`'s output takes no head gradient in MXNet's backward."""
    op = _core.canonical_op_name(node.op)
    if op in _LOSS_OPS:
        return True
    if op == "Custom":
        from . import _custom_op
        try:
            prop = _custom_op.describe(node.attrs).prop
        except MXNetError:
            return False
        return not getattr(prop, "need_top_grad_", True)
    return False


def _relu_after_batchnorm(nodes, outputs):
    """{id(relu node): BatchNorm node} for each relu (an Activation of
    act_type relu, or relu) whose only input is a BatchNorm's output read by
    nothing else: the executor runs the pair as one
    _contrib_BatchNormWithReLU, whose kernels apply the relu as they write
    (and pass its gradient as they read), saving the relu's passes over the
    activations forward and backward."""
    readers = {}
    for node in nodes:
        for child, index in node.inputs:
            readers[(id(child), index)] = readers.get((id(child), index), 0) + 1
    for node, index in outputs:
        readers[(id(node), index)] = readers.get((id(node), index), 0) + 1
    fused = {}
    for node in nodes:
        if node.op == "Activation":
            if node.params().get("act_type") != "relu":
                continue
        elif node.op != "relu":
            continue
        if len(node.inputs) != 1:
            continue
        source, index = node.inputs[0]
        if (source.op == "BatchNorm" and index == 0 and
                readers.get((id(source), 0)) == 1 and
                not _monitor._shows_mean_var(source.params())):
            fused[id(node)] = source
    return fused


# Operators that write 1 into their gamma input (index 1) under fix_gamma,
# as MXNet's BatchNorm does.
_WRITES_GAMMA = frozenset(["BatchNorm", "_contrib_BatchNormWithReLU",
                           "_contrib_SyncBatchNorm"])


def _feeds_written_inputs(nodes):
    """ids of the nodes whose result some operator writes into: its
    auxiliary states (moving statistics, optimizer states) and BatchNorm's
    gamma under fix_gamma. These run without share_memory, so that the
    write never reaches the array a view would share (a bound argument)."""
    written = set()
    for node in nodes:
        if node.is_variable():
            continue
        positions = set(node.aux_positions())
        if node.op in _WRITES_GAMMA and str(node.params().get(
                "fix_gamma", "True")) in ("True", "true", "1"):
            positions.add(1)
        for position in positions:
            if position < len(node.inputs):
                written.add(id(node.inputs[position][0]))
    return written


def _literal_shape(text):
    """A `shape` attribute's extents ("(0, 3)" -> (0, 3)), or None when it
    is absent or no tuple of integers ("None")."""
    if text is None:
        return None
    try:
        return tuple(int(part) for part in text.strip().strip("()[]")
                     .split(",") if part.strip())
    except ValueError:
        return None


def _sized_by_inference(nodes):
    """The nodes MXNet 1.x sizes by shape inference: operators without
    inputs (_zeros, _ones, _full, the _random_ samplers) whose `shape`
    attribute has 0 extents, 0 meaning "unknown" in MXNet 1.x shapes
    (mx.sym.zeros(shape=(0, 4)), a Gluon RNN cell's default begin state)."""
    return [node for node in nodes
            if not node.is_variable() and not node.inputs and
            0 in (_literal_shape(node.attrs.get("shape")) or ())]


def _filled_shapes(sized, shapes):
    """{id(node): shape attribute} for the `sized` nodes, each from the
    shapes inference gave ({(id(node), index): shape}). MXNetError naming
    the node when inference leaves an extent unknown, as MXNet's bind."""
    filled = {}
    for node in sized:
        shape = shapes.get((id(node), 0))
        if shape is None or not all(extent > 0 for extent in shape):
            raise MXNetError(
                "Error in operator %s: shape %s has unknown (0) extents that "
                "the graph does not determine; give them in the shape or "
                "use the node where an operator fixes its shape"
                % (node.name, node.attrs.get("shape")))
        filled[id(node)] = _attr_string(tuple(shape))
    return filled


def _resized(array, shape, ctx):
    """`array` at a new shape for Executor.reshape: a view of its first
    elements where it shrinks (MXNet's NDArray.reshape to a smaller size),
    a new zero array where it grows."""
    size = int(_np.prod(shape))
    if size <= array.size:
        return array.reshape(-1)[:size].reshape(shape)
    return _nd.zeros(shape, ctx=ctx, dtype=array.dtype)


class Executor(object):
    """A Symbol bound to arrays. Built by Symbol.bind / simple_bind."""

    def __init__(self, symbol, ctx, args, args_grad, grad_req, aux_states):
        self._symbol = symbol
        self._ctx = ctx if ctx is not None else current_context()
        if not isinstance(self._ctx, Context):
            raise TypeError("bind: ctx expected a Context, got %s"
                            % type(self._ctx).__name__)
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self._output_names = symbol.list_outputs()
        arg_dict = _as_dict(args, self._arg_names, "args")
        missing = [name for name in self._arg_names if name not in arg_dict]
        if missing:
            # ValueError with MXNet's words; the list says what is needed.
            raise ValueError("key `%s` is missing in `args` (bind needs an "
                             "array for every argument: %s)"
                             % (missing[0], ", ".join(self._arg_names)))
        for name, array in arg_dict.items():
            if not isinstance(array, _nd.NDArray):
                raise TypeError("bind: argument '%s' expected an NDArray, "
                                "got %s" % (name, type(array).__name__))
        self.arg_arrays = [arg_dict[name] for name in self._arg_names]
        grad_dict = _as_dict(args_grad, self._arg_names, "args_grad")
        if isinstance(grad_req, string_types):
            reqs = {name: grad_req for name in self._arg_names}
        elif isinstance(grad_req, (list, tuple)):
            reqs = _as_dict(grad_req, self._arg_names, "grad_req")
        elif isinstance(grad_req, dict):
            reqs = {name: grad_req.get(name, "null")
                    for name in self._arg_names}
        else:
            raise TypeError("bind: grad_req expected a str, list or dict, "
                            "got %s" % type(grad_req).__name__)
        for name, req in reqs.items():
            if req not in _GRAD_REQS:
                raise MXNetError("bind: grad_req for '%s' expected 'write', "
                                 "'add' or 'null', got %r" % (name, req))
        # Without a gradient array there is nothing to write into; with one
        # and 'null' it stays listed but untouched, as MXNet.
        self._grad_reqs = {name: (reqs.get(name, "null")
                                  if grad_dict.get(name) is not None
                                  else "null")
                           for name in self._arg_names}
        self.grad_arrays = [grad_dict.get(name) for name in self._arg_names]
        aux_dict = _as_dict(aux_states, self._aux_names, "aux_states")
        missing = [name for name in self._aux_names if name not in aux_dict]
        if missing:
            raise ValueError("key `%s` is missing in `aux_states` (auxiliary "
                             "states: %s)" % (missing[0],
                                              ", ".join(self._aux_names)))
        self.aux_arrays = [aux_dict[name] for name in self._aux_names]
        # As MXNet, outputs exist from bind on (zeros until forward), so
        # their shapes can be read before running.
        # One inference gives those and the shapes of the nodes sized by
        # it (_sized_by_inference); where it fails, forward tells why.
        self.outputs = []
        self._filled_shapes = None
        try:
            arrays = list(arg_dict.items()) + list(aux_dict.items())
            nodes, node_shapes, _ = symbol._infer(
                {name: array.shape for name, array in arrays},
                {name: _np.dtype(array.dtype).name for name, array in arrays})
            shapes = [node_shapes.get((id(node), index))
                      for node, index in symbol._outputs]
            types = symbol.infer_type(**{
                name: array.dtype for name, array in arg_dict.items()})[1]
        except MXNetError:
            nodes = shapes = types = None
        if nodes is not None:
            self._filled_shapes = _filled_shapes(_sized_by_inference(nodes),
                                                 node_shapes)
        if (shapes is not None and types is not None and
                all(shape is not None and all(extent > 0 for extent in shape)
                    for shape in shapes)):
            self.outputs = [_nd.zeros(shape, ctx=self._ctx, dtype=dtype)
                            for shape, dtype in zip(shapes, types)]
        self._heads = None
        self._monitor_callback = None
        self._monitor_all = False
        self._node_tape = None
        # The graph runs as captured executables (one per forward mode, one
        # per set of given head gradients), unless KILN_EXECUTOR=interpret
        # or capturing failed (then node by node).
        self._static = _os.environ.get("KILN_EXECUTOR") != "interpret"
        self._static_error = None
        self._forward_programs = {}
        self._backward_program = None
        self._retained_values = None
        self._recorded_heads = None
        # The training forward program last run, and whether its values are
        # as it left them (no backward overwrote them since: see
        # _static_backward).
        self._last_forward = None
        self._forward_intact = False
        self._memory_stats = None

    # -- construction ---------------------------------------------------
    @classmethod
    def _simple_bind(cls, symbol, ctx, grad_req, type_dict, shared_exec,
                     shared_buffer, shapes, shared_arg_names=None):
        # Shapes of names the graph lacks are ignored, as MXNet's
        # simple_bind does (its infer_shape refuses them).
        inputs = set(symbol.list_inputs())
        shapes = {name: shape for name, shape in shapes.items()
                  if name in inputs}
        if type_dict is None:
            # As MXNet's: without type_dict, inputs that have no dtype
            # attribute are float32.
            type_dict = {node.name: "float32" for node in symbol._nodes()
                         if node.is_variable() and
                         "__dtype__" not in node.attrs}
        inputs = set(symbol.list_inputs())
        arg_types, _, aux_types = symbol.infer_type(**{
            key: value for key, value in type_dict.items()
            if key in inputs})
        arg_names = symbol.list_arguments()
        aux_names = symbol.list_auxiliary_states()
        if arg_types is None:
            arg_types = [_np.float32] * len(arg_names)
            aux_types = [_np.float32] * len(aux_names)
        # Shapes with those types, as MXNet infers both together (ops that
        # check their input types: dequantize after quantize_v2).
        arg_shapes, _, aux_shapes = symbol._infer_shape_typed(
            symbol._given((), shapes, "infer_shape"), dict(zip(arg_names + aux_names, arg_types + aux_types)))
        if arg_shapes is None:
            partial = symbol.infer_shape_partial(**shapes)[0]
            unknown = [name for name, shape in zip(symbol.list_arguments(),
                                                   partial)
                       if not shape or 0 in shape]
            raise MXNetError("simple_bind: cannot infer the shapes of %s; "
                             "give them as keyword arguments"
                             % ", ".join(unknown))
        # As MXNet's simple_bind: with shared_exec and a shared_buffer (as
        # Module passes), the arguments named in shared_arg_names and all
        # auxiliary states are shared_exec's arrays, which must have the
        # inferred shapes and dtypes (RuntimeError otherwise); the other
        # arguments come from shared_buffer where one there has their shape
        # and dtype, else are made and put there. Without shared_buffer
        # nothing is shared.
        sharing = shared_exec is not None and shared_buffer is not None
        named = set(shared_arg_names or ())

        def borrowed(name, shape, dtype, arrays, kind):
            if name not in arrays:
                raise _bind_error(shapes, "shared_exec has no %s '%s' to "
                                  "share" % (kind, name))
            existing = arrays[name]
            for what, want, have in (
                    ("shape", _shape_text(shape), _shape_text(existing.shape)),
                    ("dtype", _np.dtype(dtype).name,
                     _np.dtype(existing.dtype).name)):
                if want != have:
                    raise _bind_error(shapes, _SHARE_MISMATCH[kind] % dict(
                        what=what, want=want, have=have, name=name))
            return existing

        context = _nd._check_context(ctx, "simple_bind")

        def array(name, shape, dtype):
            if shared_buffer is not None:
                existing = shared_buffer.get(name)
                if (existing is not None and existing.shape == tuple(shape)
                        and existing.dtype == dtype):
                    return existing
            made = _zeros(shape, context, dtype)
            if shared_buffer is not None:
                shared_buffer[name] = made
            return made

        def argument(name, shape, dtype):
            if name not in named:
                return array(name, shape, dtype)
            if sharing:
                return borrowed(name, shape, dtype, shared_exec.arg_dict,
                                "arg_array")
            return _zeros(shape, context, dtype)

        def auxiliary(name, shape, dtype):
            if sharing:
                return borrowed(name, shape, dtype, shared_exec.aux_dict,
                                "aux_array")
            return _zeros(shape, context, dtype)

        args = [argument(name, shape, dtype) for name, shape, dtype
                in zip(arg_names, arg_shapes, arg_types)]
        if isinstance(grad_req, string_types):
            reqs = {name: grad_req for name in arg_names}
        elif isinstance(grad_req, (list, tuple)):
            reqs = dict(zip(arg_names, grad_req))
        else:
            reqs = {name: grad_req.get(name, "null") for name in arg_names}
        grads = {name: _zeros(shape, context, dtype)
                 for name, shape, dtype in zip(arg_names, arg_shapes,
                                               arg_types)
                 if reqs.get(name, "null") != "null"}
        aux = [auxiliary(name, shape, dtype) for name, shape, dtype
               in zip(aux_names, aux_shapes, aux_types)]
        return cls(symbol, ctx, args, grads, reqs, aux)

    # -- views ----------------------------------------------------------
    @property
    def arg_dict(self):
        """{argument name: array}."""
        return dict(zip(self._arg_names, self.arg_arrays))

    @property
    def grad_dict(self):
        """{argument name: gradient array, or None where bind gave none}."""
        return dict(zip(self._arg_names, self.grad_arrays))

    @property
    def aux_dict(self):
        """{auxiliary state name: array}."""
        return dict(zip(self._aux_names, self.aux_arrays))

    @property
    def output_dict(self):
        """{output name: array} of the last forward."""
        return dict(zip(self._output_names, self.outputs))

    # -- running --------------------------------------------------------
    def forward(self, is_train=False, **kwargs):
        """Runs the graph; kwargs (NDArrays or numpy arrays of the bound
        shapes) are copied into the named arguments first. Returns the
        outputs (also in self.outputs). With is_train and some grad_req
        other than 'null', records for backward().

        Raises, as MXNet 1.9.1 does: ValueError for a keyword value that is
        not an NDArray or numpy array and for one of another shape than the
        bound argument, TypeError for a name that is not an argument (each
        also an MXNetError)."""
        arg_dict = self.arg_dict
        for name, value in kwargs.items():
            if not isinstance(value, (_nd.NDArray, _np.ndarray)):
                raise MXNetValueError(
                    "only accept keyword argument of NDArrays and "
                    "numpy.ndarray (forward: argument '%s' is a %s)"
                    % (name, type(value).__name__))
            if name not in arg_dict:
                raise MXNetTypeError(
                    "Unknown argument %s (forward: the arguments are %s)"
                    % (name, self._arg_names))
            target = arg_dict[name]
            if tuple(value.shape) != target.shape:
                raise MXNetValueError(
                    "Shape not match! Argument %s, need: %s, received: %s"
                    % (name, target.shape, tuple(value.shape)))
            if isinstance(value, _nd.NDArray):
                value.copyto(target)
            else:
                target[:] = value
        return self._publish(self._forward_outputs(is_train))

    def _differentiable(self):
        """The indices of the arguments whose grad_req is not 'null'."""
        return [index for index, name in enumerate(self._arg_names)
                if self._grad_reqs[name] != "null"]

    def _forward_outputs(self, is_train):
        """Runs the graph over the bound arrays; returns its own output
        arrays (a captured program's are the same ones every run; forward()
        copies them into self.outputs, CachedGraph into new arrays)."""
        differentiable = self._differentiable()
        recording = bool(is_train and differentiable)
        self._predicted = not is_train
        if self._static and self._monitor_callback is None:
            key = (bool(is_train), recording)
            program = self._forward_programs.get(key)
            if program is None:
                try:
                    program = _core.capture(
                        lambda: self._graph_forward(is_train, differentiable),
                        True)
                    self._plan(program, recording)
                    self._forward_programs[key] = program
                except MXNetError as error:
                    # A graph that needs values on the host while it runs
                    # (data-dependent shapes) stays interpreted.
                    self._static = False
                    self._static_error = str(error)
                    self._forward_programs = {}
                    self._backward_program = None
                    self._retained_values = None
                    program = None
            if program is not None:
                executable, outputs = program
                executable.run()
                self._heads = outputs if recording else None
                self._recorded_heads = outputs if recording else None
                self._last_forward = executable if recording else None
                self._forward_intact = True
                self._node_tape = None  # A monitored forward's, if any.
                return outputs
        # A monitored training forward records node by node, so that
        # backward reports each node's gradients (_executor_monitor).
        self._node_tape = ({} if recording and
                           self._monitor_callback is not None else None)
        # The previous forward's recorded graph (kept for backward) goes
        # before this one records.
        self._heads = None
        outputs = self._graph_forward(is_train, differentiable)
        self._heads = outputs if recording else None
        return outputs

    def _publish(self, outputs):
        """The outputs in self.outputs: the same arrays from bind on,
        written by every forward (as MXNet's, so an array a caller kept
        stays current, whichever mode or program produced it)."""
        if (len(self.outputs) != len(outputs) or
                any(kept.shape != new.shape or kept.dtype != new.dtype
                    for kept, new in zip(self.outputs, outputs))):
            self.outputs = [_nd.zeros(new.shape, ctx=self._ctx,
                                      dtype=new.dtype) for new in outputs]
        with _autograd.pause():
            for new, kept in zip(outputs, self.outputs):
                new.copyto(kept)
        return self.outputs

    def _plan(self, program, recording):
        """Captures the backward of a new training forward program and plans
        the memory of both before either runs, so their buffers share one
        arena where lifetimes allow. There is one backward program: its head
        gradients come from buffers (a caller's out_grads copied in, else
        ones), so no later capture reads a buffer past its planned life.
        MXNetError when the backward cannot be captured."""
        executable, outputs = program
        programs = [executable]
        if recording:
            self._heads = outputs
            buffers = [_nd.zeros(head.shape, ctx=self._ctx, dtype=head.dtype)
                       for head in outputs]
            # Outputs that take no gradient (argmax, BlockGrad) are left
            # out of backward, as MXNet's executor does.
            taking = [index for index, head in enumerate(outputs)
                      if _core.autograd_takes_gradient(head)]

            def build():
                if taking:
                    _autograd.backward([outputs[i] for i in taking],
                                       [buffers[i] for i in taking],
                                       retain_graph=False, train_mode=True)
            self._backward_program = (_core.capture(build, True)[0], buffers,
                                      [None] * len(buffers))
            programs.append(self._backward_program[0])
        self._memory_stats, retained = _core.plan_memory(
            programs, list(outputs), retained=True)
        # The forward values the backward overwrites once read: kept across
        # a backward that must leave them for another (retain_graph). A
        # prediction program has no backward: the training program's stay.
        if recording:
            self._retained_values = retained
        _dump_programs(self._symbol, programs, self._memory_stats)

    def _graph_forward(self, is_train, differentiable, record=None):
        """One evaluation of the graph over the bound arrays, recorded for
        autograd when training with gradients requested (or when `record`
        says so: a prediction's graph, for backward after
        forward(is_train=False))."""
        values = {}
        for name, array in zip(self._arg_names, self.arg_arrays):
            values[name] = array
        for name, array in zip(self._aux_names, self.aux_arrays):
            values[name] = array
        if (is_train if record is None else record) and differentiable:
            # Fresh leaves whose gradient buffers are the bound ones.
            leaves = {}
            for index in differentiable:
                name = self._arg_names[index]
                leaves[name] = self.arg_arrays[index].detach()
            _autograd.mark_variables(
                [leaves[self._arg_names[i]] for i in differentiable],
                [self.grad_arrays[i] for i in differentiable],
                [self._grad_reqs[self._arg_names[i]] for i in differentiable])
            values.update(leaves)
            with _autograd.record(train_mode=bool(is_train)):
                return self._run(values)
        with _autograd.pause(train_mode=bool(is_train)):
            return self._run(values)

    def _run(self, variables):
        """Evaluates the graph's nodes in order over `variables` (by
        name); returns the outputs. Nodes whose shape attribute has
        unknown (0) extents run with the inferred shape: bind's, else
        inferred here from the variables' shapes."""
        computed = {}
        nodes = self._symbol._nodes()
        filled = getattr(self, "_filled_shapes", None)
        if filled is None:
            sized = _sized_by_inference(nodes)
            filled = {}
            if sized:
                filled = _filled_shapes(sized, self._symbol._infer(
                    {name: array.shape for name, array in variables.items()},
                    {name: _np.dtype(array.dtype).name
                     for name, array in variables.items()})[1])
        # Where nodes without inputs (_zeros, samplers) make their arrays:
        # the bound context, or (a hybridized block's graph) the current one.
        context = getattr(self, "_ctx", None) or current_context()
        # Each value is dropped after its last reader, so that a captured
        # run's fusion keeps the values only a chain reads in registers
        # (frontends/cpp/ElementwiseFusion.h).
        monitored = getattr(self, "_monitor_callback", None) is not None
        fused = ({} if monitored or _os.environ.get("KILN_FUSE_BN_RELU") == "0"
                 else _relu_after_batchnorm(nodes, self._symbol._outputs))
        skipped = set(id(source) for source in fused.values())

        def node_inputs(node):
            source = fused.get(id(node))
            return node.inputs if source is None else source.inputs

        last_reader = {}
        for position, node in enumerate(nodes):
            for child, index in node_inputs(node):
                last_reader[(id(child), index)] = position
        for node, index in self._symbol._outputs:
            last_reader[(id(node), index)] = len(nodes)
        # Inner nodes may return views of their inputs (Flatten, reshape,
        # transpose as zero-copy views, and a view's gradient then a view
        # too), except: the graph's outputs are arrays of their own, as
        # MXNet's; a view of a bound argument would see the user's writes
        # between forward and backward; an operator writes into some inputs
        # (_feeds_written_inputs).
        own_memory = set(id(node) for node, _ in self._symbol._outputs)
        own_memory |= _feeds_written_inputs(nodes)
        own_memory |= set(id(node) for node in nodes
                          if any(child.is_variable()
                                 for child, _ in node_inputs(node)))
        for position, node in enumerate(nodes):
            if node.is_variable():
                computed[(id(node), 0)] = variables[node.name]
                continue
            if id(node) in skipped:
                continue  # run with the relu after it
            inputs = [computed[(id(child), index)]
                      for child, index in node_inputs(node)]
            for child, index in node_inputs(node):
                if last_reader.get((id(child), index)) == position:
                    computed.pop((id(child), index), None)
            op = node.op
            params = node.params()
            if id(node) in fused:
                op = "_contrib_BatchNormWithReLU"
                params = fused[id(node)].params()
            if id(node) in filled:
                params["shape"] = filled[id(node)]
            if node.input_names and node.input_names[0] == "arg0":
                params.pop("num_args", None)
            if getattr(self, "_monitor_callback", None) is not None:
                results = _monitor.invoke(self, _core, node, inputs, params,
                                          context)
            else:
                try:
                    result = _core.invoke(op, inputs, params, None,
                                          id(node) not in own_memory,
                                          ctx=context)
                except MXNetError as error:
                    if id(node) in fused:
                        # The error is the BatchNorm's (a relu adds none).
                        raise MXNetError("Error in operator %s: %s" % (
                            fused[id(node)].name, str(error).replace(
                                "_contrib_BatchNormWithReLU", "BatchNorm")))
                    raise MXNetError("Error in operator %s: %s"
                                     % (node.name, error))
                results = result if isinstance(result, list) else [result]
            for index, value in enumerate(results):
                computed[(id(node), index)] = value
        return [computed[(id(node), index)]
                for node, index in self._symbol._outputs]

    def backward(self, out_grads=None, is_train=True):
        """Gradients of the last forward into the gradient arrays (after
        forward(is_train=False), of the graph as it predicted, as MXNet's).
        out_grads: the head gradients (NDArray, list or dict by output
        name; None entries for outputs that need none). Outputs that are
        losses (SoftmaxOutput, MakeLoss, the regression outputs, BlockGrad,
        a Custom op without need_top_grad) or take no gradient (argmax)
        need none; any other without one is an MXNetError, as MXNet's
        "head_gradient is required". MXNetError before any forward."""
        self._backward(out_grads, is_train, False)

    def _backward(self, out_grads, is_train, retain):
        """backward; with `retain`, a captured backward leaves the forward
        values as they were, for another backward on them (a hybridized
        block's backward under retain_graph=True; an interpreted graph
        keeps them anyway)."""
        if self._heads is None:
            if not any(req != "null" for req in self._grad_reqs.values()):
                return
            if not getattr(self, "_predicted", False):
                raise MXNetError("backward: call forward() first")
            # After forward(is_train=False) MXNet's executor differentiates
            # the graph as that forward ran it (BatchNorm on its moving
            # statistics, no dropout): the prediction again, recorded.
            self._node_tape = None
            self._heads = self._graph_forward(False, self._differentiable(),
                                              record=True)
            self._recorded_heads = None
        if isinstance(out_grads, (list, tuple)) and not out_grads:
            out_grads = None  # MXNet's "loss heads": ones
        if isinstance(out_grads, dict):
            out_grads = [out_grads.get(name) for name in self._output_names]
        elif isinstance(out_grads, _nd.NDArray):
            out_grads = [out_grads]
        if out_grads is not None and len(out_grads) != len(self._heads):
            raise MXNetError("backward: expected %d head gradients, got %d"
                             % (len(self._heads), len(out_grads)))
        self._check_head_gradients(out_grads)
        if getattr(self, "_node_tape", None) is not None:
            _monitor.backward(self, out_grads, is_train)
            return
        if self._static and self._recorded_heads is not None:
            self._static_backward(out_grads, is_train, retain)
            return
        taking = [index for index, head in enumerate(self._heads)
                  if _core.autograd_takes_gradient(head)]
        # The recorded graph stays until the next forward: MXNet's executor
        # runs backward again on the same forward (grad_req 'add' adds
        # again), as the captured program does.
        if taking:
            _autograd.backward(
                [self._heads[i] for i in taking],
                None if out_grads is None else [out_grads[i] for i in taking],
                retain_graph=True, train_mode=is_train)

    def _check_head_gradients(self, out_grads):
        """MXNet's rule: an output without a head gradient must be a loss
        (an operator whose gradient does not read one: SoftmaxOutput,
        MakeLoss, the regression outputs, BlockGrad, a Custom operator
        without need_top_grad) or take no gradient (argmax); for any
        other, ones would silently differentiate the sum of the output."""
        losses = getattr(self, "_loss_outputs", None)
        if losses is None:
            # The symbol's: found once (a Custom op's prop is made for it),
            # not on every backward.
            losses = self._loss_outputs = [
                node.op is not None and _is_loss(node)
                for node, _ in self._symbol._outputs]
        heads = self._heads or ()
        for index, (node, _) in enumerate(self._symbol._outputs):
            if losses[index] or (out_grads is not None and
                                 out_grads[index] is not None):
                continue
            if index < len(heads) and not _core.autograd_takes_gradient(
                    heads[index]):
                continue  # no gradient flows from it (argmax)
            raise MXNetError(
                "backward: output %d ('%s', of %s) is not a loss, so it "
                "needs a head gradient: pass out_grads, or make the output "
                "a loss with mx.sym.MakeLoss (MXNet: \"Because the last "
                "operator is not Loss function, head_gradient is required "
                "when calling backward\")"
                % (index, self._output_names[index], node.op))

    def _static_backward(self, out_grads, is_train, retain=False):
        """Runs the captured backward: each head gradient given is copied
        into the buffer the program reads, a head given none gets ones.
        With `retain`, the forward values it reads are as the forward left
        them afterwards, for another backward (the plan lets the backward's
        own buffers take their bytes once read: they are copied aside and
        back)."""
        executable, buffers, holding = self._backward_program
        for index, buffer in enumerate(buffers):
            grad = out_grads[index] if out_grads is not None else None
            if grad is None:
                if holding[index] != "ones":
                    buffer[:] = 1
                    holding[index] = "ones"
                continue
            if grad.shape != buffer.shape:
                raise MXNetError("backward: head gradient %d expected shape "
                                 "%s, got %s" % (index, buffer.shape,
                                                 grad.shape))
            grad.copyto(buffer)
            holding[index] = "given"
        retained = self._retained_values if retain else None
        if (not self._forward_intact and self._last_forward is not None and
                self._retained_values is not None and
                self._retained_values.bytes):
            self._rerun_forward()
        if retained is not None:
            retained.save()
        executable.run()
        if retained is not None:
            retained.restore()
        self._forward_intact = retained is not None

    def _rerun_forward(self):
        """The last training forward again, exactly (the same random
        draws, replay=True), for a second backward on it: MXNet's
        Executor.backward may run again on one forward, and the plan lets
        the first backward overwrite forward values it read once
        (RetainedValues; saving them on every step would cost a copy for
        a rare call). Running it again changes no state: auxiliary states
        are written by backward (BatchNorm's moving statistics, as MXNet
        1.x's BatchNorm updates them), never by a forward."""
        self._last_forward.run(replay=True)

    # -- parameters -----------------------------------------------------
    def copy_params_from(self, arg_params, aux_params=None,
                         allow_extra_params=False):
        """Copies arrays into the bound arguments and auxiliary states by
        name; ValueError for unknown names unless allow_extra_params."""
        arg_dict, aux_dict = self.arg_dict, self.aux_dict
        for name, array in (arg_params or {}).items():
            if name in arg_dict:
                array.astype(arg_dict[name].dtype).copyto(arg_dict[name])
            elif not allow_extra_params:
                raise ValueError("Find name \"%s\" that is not in the "
                                 "arguments" % name)
        for name, array in (aux_params or {}).items():
            if name in aux_dict:
                array.astype(aux_dict[name].dtype).copyto(aux_dict[name])
            elif not allow_extra_params:
                raise ValueError("Find name %s that is not in the auxiliary "
                                 "states" % name)

    def reshape(self, partial_shaping=False, allow_up_sizing=False,
                **kwargs):
        """A new Executor for new input shapes sharing this one's arrays:
        those whose shapes stay (parameters) whole, those that shrink as
        views of their first elements (as MXNet 1.9.1's: writes show in
        both executors); those that grow (allow_up_sizing) are new."""
        arg_shapes, _, aux_shapes = self._symbol._infer_shape_typed(
            self._symbol._given((), kwargs, "infer_shape"), {name: array.dtype for name, array in
                     zip(self._arg_names + self._aux_names,
                         self.arg_arrays + self.aux_arrays)})
        if arg_shapes is None:
            raise MXNetError("reshape: cannot infer every shape from %s"
                             % kwargs)
        args, grads, aux = [], {}, []
        for name, shape, old, grad in zip(self._arg_names, arg_shapes,
                                          self.arg_arrays, self.grad_arrays):
            # Arrays of 'null' arguments are not passed on as gradients.
            if self._grad_reqs[name] == "null":
                grad = None
            if old.shape == tuple(shape):
                args.append(old)
                if grad is not None:
                    grads[name] = grad
                continue
            if name not in kwargs and not partial_shaping:
                raise MXNetError(
                    "reshape: argument '%s' changes shape from %s to %s; "
                    "pass partial_shaping=True to allow it"
                    % (name, old.shape, tuple(shape)))
            if (_np.prod(shape) > _np.prod(old.shape) and
                    not allow_up_sizing):
                raise MXNetError(
                    "reshape: argument '%s' grows from %s to %s; pass "
                    "allow_up_sizing=True to allow it"
                    % (name, old.shape, tuple(shape)))
            args.append(_resized(old, shape, self._ctx))
            if grad is not None:
                grads[name] = _resized(grad, shape, self._ctx)
        for shape, old in zip(aux_shapes, self.aux_arrays):
            aux.append(old if old.shape == tuple(shape) else
                       _resized(old, shape, self._ctx))
        return Executor(self._symbol, self._ctx, args, grads,
                        dict(self._grad_reqs), aux)

    def set_monitor_callback(self, callback, monitor_all=False):
        """Calls callback(name, array) with the arrays MXNet 1.9.1's
        executor reports, in its order and names: each operator's outputs
        as forward computes them (<node>_<output>, with monitor_all its
        inputs first: a variable's own name, then <node>_<input>), and
        after a training forward, backward's gradients of each node's
        inputs (<node>_backward_output<k>); kiln/_executor_monitor.py says
        what MXNet reports that kiln does not. The array is an NDArray
        (MXNet passes a handle). While a callback is set the graph runs
        node by node; callback None stops monitoring."""
        self._monitor_callback = callback
        self._monitor_all = bool(monitor_all)

    def debug_str(self):
        """The bound symbol's debug_str, then, once a forward has planned
        the executor's memory, MXNet's summary line of it: "Total N MB
        allocated", N the planned arena plus the buffers left outside it
        (intermediates, not the bound arrays), in whole MiB, of the latest
        plan (training or prediction)."""
        text = self._symbol.debug_str()
        stats = self._memory_stats
        if stats is not None:
            if not text.endswith("\n"):
                text += "\n"
            text += "Total %d MB allocated\n" % (
                (stats["arena_bytes"] + stats["unplanned_bytes"]) >> 20)
        return text
