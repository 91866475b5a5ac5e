"""The Custom operator: mx.operator's Python operators as nodes and calls.

MXNet 1.9.1's ``Custom`` operator runs an operator registered with
``mx.operator.register``: its attributes are ``op_type`` (the registered
name) and the other keyword arguments as strings, which the registered
CustomOpProp's constructor receives. It is not an operator of kiln's C++
registry (its body is Python): it is registered with kiln/_python_ops.py,
which makes its nodes known to the symbol layer, the executor and the JSON
reader, with

* parse: ``describe`` (a prop for the node's attributes);
* a node's interface (inputs: the prop's arguments, then its auxiliary
  states; visible outputs) and inference (the prop's infer_shape and
  infer_type): ``interface`` and ``infer``;
* a call: ``run`` infers the outputs, creates the prop's CustomOp, runs its
  forward on the arrays (``with ctx``, autograd paused) and, while
  recording, records one autograd node whose backward calls the CustomOp's
  backward (the mechanism of autograd.Function).

``mx.nd.Custom`` is ``Custom`` here; ``mx.sym.Custom`` is in
kiln/symbol/_custom.py.

Before any user code runs, a call waits for its inputs. Inside a capture
(kiln/executor.py compiles a graph into an executable by recording the
engine's pushes) that wait raises the capture's own MXNetError, so an
executor with a Custom node interprets its graph node by node: the
operator's Python runs at every forward, as MXNet's does.

Differences from MXNet 1.9.1: backward's requests are 'write' (or 'null'
for an argument that takes no gradient) into fresh zeros, which autograd
then writes or adds into the gradient buffers (MXNet passes 'add' where the
argument is a variable with grad_req 'add'); out_grad holds every output's
gradient whatever declare_backward_dependency says (MXNet leaves those it
does not declare empty); an executor creates the operator at every forward
(MXNet once per bind); inference that a prop cannot do while some input's
shape is unknown leaves the node unknown instead of failing.
"""
import traceback as _traceback

import numpy as _np

from . import _core
from . import _python_ops
from . import autograd as _autograd
from . import operator as _operator
from .base import MXNetError
from .context import current_context
from .ndarray import ndarray as _nd
from . import _op_gen
from ._op_gen import is_hidden_attr

__all__ = ["describe", "interface", "infer", "run", "Custom",
           "custom_attrs"]

OP_NAME = "Custom"


class _Described(object):
    """A prop with what MXNet's Custom reads from it once per node: its
    arguments, outputs and auxiliary states."""
    __slots__ = ("prop", "op_type", "arguments", "outputs", "aux")

    def __init__(self, prop, op_type):
        self.prop = prop
        self.op_type = op_type
        self.arguments = _names(prop.list_arguments, op_type, "list_arguments")
        self.outputs = _names(prop.list_outputs, op_type, "list_outputs")
        self.aux = _names(prop.list_auxiliary_states, op_type,
                          "list_auxiliary_states")
        count = len(self.outputs) * 2 + len(self.arguments)
        deps = _call(op_type, "declare_backward_dependency",
                     prop.declare_backward_dependency,
                     list(range(len(self.outputs))),
                     list(range(len(self.outputs),
                                len(self.outputs) + len(self.arguments))),
                     list(range(len(self.outputs) + len(self.arguments),
                                count)))
        bad = [dep for dep in deps if not isinstance(dep, (int, _np.integer))
               or not 0 <= dep < count]
        if bad:
            raise MXNetError("Custom operator '%s': "
                             "declare_backward_dependency returned %r, "
                             "expected ids among those it was given (0 to "
                             "%d)" % (op_type, bad[0], count - 1))

    def input_names(self):
        return self.arguments + self.aux


def _call(op_type, what, function, *args, **kwargs):
    """function(*args, **kwargs), with any exception it raises as an
    MXNetError naming the operator and the method (traceback included)."""
    try:
        return function(*args, **kwargs)
    except MXNetError as error:
        raise MXNetError("Error in custom operator '%s' (%s): %s"
                         % (op_type, what, error))
    except Exception as error:  # the user's Python: anything may come
        raise MXNetError("Error in custom operator '%s' (%s): %s: %s\n%s"
                         % (op_type, what, type(error).__name__, error,
                            _traceback.format_exc()))


def _names(method, op_type, what):
    names = _call(op_type, what, method)
    if (not isinstance(names, (list, tuple)) or
            not all(isinstance(name, str) for name in names)):
        raise MXNetError("Custom operator '%s': %s must return a list of "
                         "strings, got %r" % (op_type, what, names))
    return list(names)


def custom_attrs(kwargs):
    """The attributes of a Custom node or call from keyword arguments:
    each value as str(value), as MXNet passes them to the prop."""
    return {key: str(value) for key, value in kwargs.items()}


def _split(attrs):
    """(op_type, the prop's keyword arguments) of a node's attributes
    (user __dunder__ attributes left out); MXNetError without op_type."""
    params = {key: value for key, value in attrs.items()
              if not is_hidden_attr(key)}
    op_type = params.pop("op_type", None)
    if not op_type:
        raise MXNetError("Custom: Required argument `op_type` is missing.")
    return op_type, params


def describe(attrs):
    """A new prop for `attrs` (op_type and the constructor's strings), as
    MXNet makes one per node and per imperative call."""
    op_type, params = _split(attrs)
    prop_cls = _operator._lookup(op_type)
    prop = _call(op_type, "%s(**%r)" % (prop_cls.__name__, params),
                 prop_cls, **params)
    return _Described(prop, op_type)


def _forget(op_type):
    # Nodes' props are cached by kiln/_python_ops.py: a new registration
    # of op_type must make new ones.
    _python_ops.forget(OP_NAME, lambda attrs: attrs.get("op_type") == op_type)


_operator._on_register.append(_forget)


def interface(described):
    """(input names, auxiliary state names, output names, {}) of a Custom
    node of `described`, as kiln._core.symbol_interface gives them for
    registry ops."""
    return described.input_names(), list(described.aux), \
        list(described.outputs), {}


def _lists(result, what, described, counts):
    """The 2 or 3 lists infer_shape/infer_type returned, checked against
    the expected counts (arguments, outputs, auxiliary states)."""
    if not isinstance(result, (list, tuple)) or len(result) not in (2, 3):
        raise MXNetError("Custom operator '%s': %s must return 2 or 3 lists, "
                         "got %r" % (described.op_type, what, result))
    lists = [list(part) for part in result] + ([[]] if len(result) == 2
                                              else [])
    for part, count, kind in zip(lists, counts,
                                 ("input", "output", "aux state")):
        if len(part) != count:
            raise MXNetError("Custom operator '%s': %s Error: expecting %d "
                             "entries in returned %s %s, got %d."
                             % (described.op_type, what, count, kind,
                                "shapes" if what == "InferShape" else "types",
                                len(part)))
    return lists


def _converted(convert, values, described, what):
    """[convert(value)] for what infer_shape/infer_type returned;
    MXNetError naming the operator for a value that is no shape/type."""
    try:
        return [convert(value) for value in values]
    except (TypeError, ValueError) as error:
        raise MXNetError("Custom operator '%s': %s returned %r: %s"
                         % (described.op_type, what, values, error))


def _shape_or_none(shape):
    """A shape from a prop as a tuple, None for [] (MXNet 1.x: unknown)."""
    shape = tuple(int(extent) for extent in shape)
    return shape if shape else None


def _dtype_name(dtype):
    return None if dtype is None else _np.dtype(dtype).name


def _complete(shape):
    return shape is not None and all(extent > 0 for extent in shape)


def _infer_with(described, shapes, dtypes, strict=False):
    """([(shape, dtype)] of the inputs, [(shape, dtype)] of the outputs)
    from the known input shapes (tuples, None where unknown; 0 extents
    unknown) and dtype names (None where unknown), by the prop's
    infer_shape and infer_type. Unless `strict`, shapes stay None where the
    prop fails while some argument's shape is unknown (kiln's inference
    visits nodes before their inputs are known). MXNetError for answers of
    the wrong counts or contradicting a known input shape."""
    arguments, outputs, aux = (described.arguments, described.outputs,
                               described.aux)
    if len(shapes) != len(arguments) + len(aux):
        raise MXNetError("Custom operator '%s' expects %d inputs (%s), got %d"
                         % (described.op_type, len(arguments) + len(aux),
                            ", ".join(arguments + aux), len(shapes)))
    counts = (len(arguments), len(outputs), len(aux))
    given = [list(shape) if shape is not None else []
             for shape in shapes[:len(arguments)]]
    try:
        arg_shapes, out_shapes, aux_shapes = _lists(
            _call(described.op_type, "infer_shape",
                  described.prop.infer_shape, given),
            "InferShape", described, counts)
        inferred = _converted(_shape_or_none, arg_shapes + aux_shapes,
                              described, "infer_shape")
        out_shapes = _converted(_shape_or_none, out_shapes, described,
                                "infer_shape")
    except MXNetError:
        if strict or all(_complete(shape)
                         for shape in shapes[:len(arguments)]):
            raise
        inferred = [None] * len(shapes)
        out_shapes = [None] * len(outputs)
    for name, known, shape in zip(arguments + aux, shapes, inferred):
        if (known is not None and shape is not None and
                (len(known) != len(shape) or
                 any(k and k != s for k, s in zip(known, shape)))):
            raise MXNetError("Custom operator '%s': Shape inconsistent for "
                             "input '%s', Provided = %s, inferred shape=%s"
                             % (described.op_type, name, list(known),
                                list(shape)))
    in_types = [_np.dtype(dtype).type if dtype else None
                for dtype in dtypes[:len(arguments)]]
    arg_types, out_types, aux_types = _lists(
        _call(described.op_type, "infer_type", described.prop.infer_type,
              in_types), "InferType", described, counts)
    input_types = _converted(_dtype_name, arg_types + aux_types, described,
                             "infer_type")
    out_types = _converted(_dtype_name, out_types, described, "infer_type")
    return ([(shape if shape is not None else known, dtype or given_dtype)
             for shape, known, dtype, given_dtype in
             zip(inferred, shapes, input_types, dtypes)],
            list(zip(out_shapes, out_types)))


def infer(described, shapes, dtypes):
    """kiln._core.infer_node's answer for a Custom node of `described`."""
    return _infer_with(described, list(shapes), list(dtypes))


def _check_storage(described):
    """MXNetError unless the prop's storage types are all dense."""
    count = len(described.arguments)
    result = _call(described.op_type, "infer_storage_type",
                   described.prop.infer_storage_type,
                   [_operator._DEFAULT_STYPE] * count)
    stypes = [stype for part in result for stype in part]
    if any(stype != _operator._DEFAULT_STYPE for stype in stypes):
        raise MXNetError("Custom operator '%s': infer_storage_type gave %s; "
                         "kiln stores only dense ('default') arrays"
                         % (described.op_type, stypes))


def run(described, inputs, out=None, ctx=None):
    """Runs the Custom operator of `described` on `inputs` (arguments, then
    auxiliary states) and returns its outputs (a list). out: arrays to
    write the outputs into. ctx: where an operator without inputs runs
    (else the first input's context). Records for autograd when recording
    and some argument takes a gradient."""
    op_type = described.op_type
    count = len(described.arguments) + len(described.aux)
    if len(inputs) != count:
        raise MXNetError("Custom operator '%s' expects %d inputs (%s), got %d"
                         % (op_type, count, ", ".join(described.input_names()),
                            len(inputs)))
    for index, array in enumerate(inputs):
        if not isinstance(array, _nd.NDArray):
            raise TypeError("Custom operator '%s': input %d ('%s') expected "
                            "an NDArray, got %s"
                            % (op_type, index, described.input_names()[index],
                               type(array).__name__))
    ctx = inputs[0].context if inputs else (ctx or current_context())
    _python_ops.wait(inputs, ctx)
    _, outputs = _infer_with(described, [array.shape for array in inputs],
                             [_np.dtype(array.dtype).name
                              for array in inputs], strict=True)
    for name, (shape, dtype) in zip(described.outputs, outputs):
        if shape is None or not all(extent >= 0 for extent in shape):
            raise MXNetError("Custom operator '%s': infer_shape left output "
                             "'%s' unknown (%s)" % (op_type, name, shape))
        if dtype is None:
            raise MXNetError("Custom operator '%s': infer_type left output "
                             "'%s' unknown" % (op_type, name))
    _check_storage(described)
    # create_operator receives the input types as MXNet's type flags.
    from .symbol.symbol import _DTYPE_TO_FLAG
    operator = _call(op_type, "create_operator",
                     described.prop.create_operator, ctx,
                     [list(array.shape) for array in inputs],
                     [_DTYPE_TO_FLAG.get(_np.dtype(array.dtype).name, -1)
                      for array in inputs])
    if out is not None:
        out = list(out) if isinstance(out, (list, tuple)) else [out]
        if [tuple(array.shape) for array in out] != [shape for shape, _
                                                     in outputs]:
            raise MXNetError("Custom operator '%s': out expected arrays of "
                             "shapes %s, got %s"
                             % (op_type, [shape for shape, _ in outputs],
                                [array.shape for array in out]))
        results = out
    else:
        results = [_nd.zeros(shape, ctx=ctx, dtype=dtype)
                   for shape, dtype in outputs]
    # The operator sees handles of its own (sharing the arrays' memory), so
    # what it keeps never holds the autograd entries recorded below.
    arguments = [array.detach() for array in
                 inputs[:len(described.arguments)]]
    aux = [array.detach() for array in inputs[len(described.arguments):]]
    out_data = [array.detach() for array in results]
    training = _autograd.is_training()
    with _autograd.pause(train_mode=training), ctx:
        _call(op_type, "forward", operator.forward, is_train=int(training),
              req=["write"] * len(out_data), in_data=arguments,
              out_data=out_data, aux=aux)
    if _autograd.is_recording():
        _record(described, operator, inputs, results, arguments, out_data,
                aux, ctx)
    return results


def _record(described, operator, inputs, results, arguments, out_data, aux,
            ctx):
    """Records the call for autograd: backward runs the operator's
    backward with 'write' for the arguments that take a gradient and
    'null' for the others."""
    takes = [_core.autograd_takes_gradient(array)
             for array in inputs[:len(arguments)]]
    if not any(takes):
        return
    op_type = described.op_type
    requests = ["write" if take else "null" for take in takes]
    shapes = [(array.shape, array.dtype) for array in arguments]

    def backward(output_grads):
        in_grad = [_nd.zeros(shape, ctx=ctx, dtype=dtype)
                   for shape, dtype in shapes]
        training = _autograd.is_training()
        stypes = [[_operator._DEFAULT_STYPE] * size for size in
                  (len(out_data), len(arguments), len(out_data),
                   len(arguments), len(aux))]
        _call(op_type, "infer_storage_type_backward",
              described.prop.infer_storage_type_backward, *stypes)
        with _autograd.pause(train_mode=training), ctx:
            _call(op_type, "backward", operator.backward, req=requests,
                  out_grad=list(output_grads), in_data=arguments,
                  out_data=out_data, in_grad=in_grad, aux=aux)
        return [grad if take else None for grad, take in zip(in_grad, takes)
                ] + [None] * len(aux)

    _core.autograd_record_function("Custom(%s)" % op_type, list(inputs),
                                   list(results), backward)


def Custom(*data, **kwargs):
    """mx.nd.Custom(*data, op_type, out=None, name=None, **kwargs): the
    custom operator registered as op_type on `data` (its arguments, then
    its auxiliary states). Other keyword arguments go to its prop's
    constructor as strings. Returns an NDArray, or a list for several
    outputs (`out` when given). MXNetError for an unregistered op_type, a
    wrong number of inputs, or an error inside the operator (naming it)."""
    out = kwargs.pop("out", None)
    kwargs.pop("name", None)
    if not all(isinstance(array, _nd.NDArray) for array in data):
        # kiln.jit's traced arrays: a Custom node of the trace's graph.
        result = _op_gen.foreign_invoke(OP_NAME, list(data), kwargs, out)
        if result is not NotImplemented:
            return result
    described = describe(custom_attrs(kwargs))
    results = run(described, list(data), out=out)
    if out is not None:
        return out
    return results[0] if len(results) == 1 else results


def _call_node(described, inputs, out, ctx):
    return run(described, inputs, out=out, ctx=ctx)


_python_ops.register(OP_NAME, parse=describe, interface=interface,
                     infer=infer, call=_call_node, functions=False)
