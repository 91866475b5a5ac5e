"""Generates MXNet-style operator functions from kiln's C++ operator registry.

Each registered operator becomes ``f(*inputs, out=None, name=None, **attrs)``
with MXNet's name; attributes are passed in MXNet's string forms ("(0, 1)",
"True", "float32"), parsed and checked in C++.

Operators are sorted into MXNet's modules by name, as MXNet does:
``_linalg_X``, ``_contrib_X``, ``_image_X``, ``_sparse_X`` become ``X`` in
mx.nd.linalg, .contrib, .image, .sparse; ``_random_X_like`` becomes
``X_like`` in mx.nd.random; every other name starting with ``_`` (the
``_random_`` samplers included) goes to mx.nd._internal, the rest to mx.nd.op.
"""
import contextlib
import numbers
import threading

import numpy as _np

from . import _core, _legacy_shapes
from .base import MXNetError


def attr_string(value):
    """An attribute value in MXNet's string form: MXNet sends str(value),
    so a tuple is written "(3, 3)" ("(3,)" for one item) and a list
    "[3, 3]", as given; dtypes by name."""
    if value is None:
        return "None"
    if isinstance(value, (bool, _np.bool_)):
        return "True" if value else "False"
    if isinstance(value, list):
        return "[" + ", ".join(attr_string(v) for v in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 1:
            return "(%s,)" % attr_string(value[0])
        return "(" + ", ".join(attr_string(v) for v in value) + ")"
    if isinstance(value, _np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, _np.generic):
        return _np.dtype(value).name
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return str(value)


def is_hidden_attr(key):
    """Whether `key` is a __dunder__ attribute (__layout__, __lr_mult__):
    MXNet's operator parameters let such keys through unparsed, so an
    ndarray operator ignores them and a symbol keeps them on its node."""
    return (len(key) > 4 and key.startswith("__") and key.endswith("__"))


# MXNet's init operators take `ctx`, the device to create on; kiln's
# registry ones do not (the generated functions pass it to _core.invoke).
CONTEXT_OPS = frozenset(("_zeros", "_ones", "_full", "_arange"))


def _take_context(op_name, kwargs, has_inputs):
    """The Context an op without inputs (zeros, the random samplers) makes
    its result on, as MXNet's: its `ctx` keyword, removed from kwargs (a
    Context or a string like "cpu(1)"; MXNetError for one that is not host
    memory), else the current context. None for an op with inputs, which
    runs on its first input's device."""
    if has_inputs:
        return None
    from .ndarray.ndarray import _check_context  # imports this module
    return _check_context(kwargs.pop("ctx", None) or None, op_name)


def _dtype_names(kwargs):
    """kwargs' dtype as numpy names it, as MXNet's generated functions pass
    it (TypeError from numpy for a name it does not know)."""
    dtype = kwargs.get("dtype")
    if dtype is not None and not (isinstance(dtype, str) and dtype in (
            "bfloat16", "None")):  # numpy has no bfloat16
        dtype = _np.dtype(dtype)
        kwargs["dtype"] = dtype.names[0] if dtype.names else dtype.name


def _attr_strings(kwargs):
    """kwargs (Python values) as _core.invoke takes attributes: MXNet's
    string forms, a dtype by numpy's name."""
    _dtype_names(kwargs)
    return {key: attr_string(value) for key, value in kwargs.items()}


def _expected_inputs(op_name, kwargs):
    """How many inputs the operator takes with these attributes (Python
    values), as MXNet counts them (FullyConnected: 3 unless no_bias); None
    when the attributes do not say."""
    from ._python_ops import ROUTED_CORE
    params = {key: attr_string(value) for key, value in kwargs.items()
              if not is_hidden_attr(key)}
    try:
        return len(ROUTED_CORE.symbol_interface(op_name, params)[0])
    except MXNetError:  # an attribute is bad: the operator says which
        return None


def is_traced(value):
    """Whether `value` is an array some trace stands in for an NDArray
    (kiln.jit's traced arrays: their type defines __kiln_invoke__)."""
    return getattr(type(value), "__kiln_invoke__", None) is not None


def foreign_invoke(op_name, inputs, attrs, out):
    """The operator applied to inputs of which some are not NDArrays, by
    the first input whose type defines __kiln_invoke__(op_name, inputs,
    attrs, out) (attrs in Python form; kiln.jit's traced arrays add a graph
    node); NotImplemented when none does."""
    for array in inputs:
        invoke = getattr(type(array), "__kiln_invoke__", None)
        if invoke is not None:
            return invoke(op_name, list(inputs), attrs, out)
    return NotImplemented


# While kiln.jit traces a function on a thread: hook(op_name, inputs,
# attrs, out), which takes operators whose inputs are all NDArrays (arrays
# the function read from globals or closures) into the graph, so that they
# run on every call with those arrays' current values and pass gradients to
# them, as eagerly; and random draws of a shape (no array inputs), which
# draw on every call. Other operators without array inputs (zeros) and
# writes into arrays (out=, +=) still run at trace time.
_trace_state = threading.local()
_traces = [0]  # hooks set on any thread: the fast check on every call
_traces_lock = threading.Lock()


def set_trace_hook(hook):
    """Makes `hook` (None: none) this thread's trace hook, for the
    generated functions and NDArray's C++ operators; returns the previous
    one."""
    previous = getattr(_trace_state, "hook", None)
    _trace_state.hook = hook
    with _traces_lock:
        _traces[0] += (hook is not None) - (previous is not None)
    _core.NDArray._set_trace_hook(hook)
    return previous


@contextlib.contextmanager
def untraced():
    """Operators on NDArrays run eagerly inside, even while a function is
    traced: library code that fills arrays of its own (a Gluon parameter's
    deferred initialization)."""
    previous = set_trace_hook(None)
    try:
        yield
    finally:
        set_trace_hook(previous)


def _hook():
    """This thread's trace hook, or None."""
    return getattr(_trace_state, "hook", None) if _traces[0] else None


def traced_invoke(op_name, inputs, attrs, out):
    """The trace hook's result for an operator over NDArrays, or
    NotImplemented (no trace on this thread takes it: run it)."""
    hook = _hook()
    if hook is None or out is not None:
        return NotImplemented
    return hook(op_name, inputs, attrs, out)


def tracing():
    """Whether kiln.jit is tracing a function on this thread."""
    return _hook() is not None


def traced_array(array):
    """NDArray `array` as a traced array of the function being traced on
    this thread, or None when none is."""
    hook = _hook()
    return None if hook is None else hook.lift(array)


def note_parameter_read(parameter, array):
    """A Gluon Parameter handed out `array` while a function is traced on
    this thread: the trace is valid while the parameter holds it."""
    hook = _hook()
    if hook is not None:
        hook.note_parameter(parameter, array)


def refuse_traced_write(target, value):
    """Raises jit's error when `value`, about to be written into NDArray
    `target` (x[...] = v, x += v), is a traced array."""
    if not is_traced(value):
        return
    hook = _hook()
    if hook is not None:
        raise hook.write_refused(target, value)


def invoke_view(op_name, array, **attrs):
    """The registry operator's result as a view of `array` (shared memory),
    for the few places MXNet shares: NDArray.reshape and contiguous basic
    indexing. Attributes in their Python form."""
    if not isinstance(array, _core.NDArray):
        result = foreign_invoke(op_name, [array], attrs, None)
        if result is not NotImplemented:
            return result
    elif _traces[0]:
        result = traced_invoke(op_name, [array], attrs, None)
        if result is not NotImplemented:
            return result
    return _core.invoke(op_name, [array],
                        {name: attr_string(value) for name, value in attrs.items()},
                        share_memory=True)


# MXNet's operators whose functions fill in num_args, the count of their
# inputs, when the call leaves it out (their key_var_num_args), and Crop,
# whose count MXNet checks too.
NUM_ARGS_OPS = frozenset([
    "Concat", "UpSampling", "Crop", "_contrib_quantized_concat",
    "_rnn_param_concat", "add_n", "khatri_rao", "stack"])
_ABSENT = object()   # num_args left out (None is a value MXNet refuses)


def check_num_args(op_name, num_args, attrs, count):
    """A call of the variadic operator `op_name` with `count` input arrays
    and a user-given `num_args` (attrs: its other attributes, in Python
    form): MXNetError as MXNet's when num_args is no int, below 1, or says
    another number of inputs (quantized_concat's inputs are the arrays,
    then a min and max per array: 3 * num_args)."""
    from ._python_ops import ROUTED_CORE
    canonical = ROUTED_CORE.canonical_op_name(op_name)
    if canonical not in NUM_ARGS_OPS:
        return
    text = attr_string(num_args)
    try:
        value = int(text)
    except ValueError:
        raise MXNetError("Invalid Parameter format for num_args expect int "
                         "but value='%s', in operator %s(name=\"\", "
                         "num_args=\"%s\")" % (text, canonical, text))
    if value < 1:
        raise MXNetError("value %d for Parameter num_args should be greater "
                         "equal to 1, in operator %s(name=\"\", num_args="
                         "\"%s\")" % (value, canonical, text))
    expected = _expected_inputs(op_name, dict(attrs, num_args=text))
    if expected is None:
        return   # another attribute is bad: the call itself says which
    if expected != count:
        raise MXNetError("Operator %s expects %d inputs, but got %d instead."
                         % (canonical, expected, count))


def make_operator(name, input_names, attr_specs, doc, func_name=None,
                  module=None, invoke=None):
    """The Python function for one registered operator `name`, called
    `func_name` (default: `name`) and defined in `module`. invoke: what
    runs it, with kiln._core.invoke's arguments (default: that;
    kiln/_python_ops.py passes its own for Python-implemented operators)."""
    op_name = name  # the registry's name; `name` is also MXNet's keyword
    attr_names = [attr for attr, _ in attr_specs]
    # Inputs whose registry name ends in "?" are optional and trailing
    # (SequenceMask's sequence_length): None or absent leaves them out.
    optional = {input_name[:-1] for input_name in input_names
                if input_name.endswith("?")}
    input_names = [input_name.rstrip("?") for input_name in input_names]
    signature = ", ".join(
        ["%s=None" % n if n in optional else n for n in input_names] + [
        "%s=%s" % (attr, default) if default is not None else attr
        for attr, default in attr_specs] + ["out=None", "name=None"])

    variadic = len(input_names) == 1 and input_names[0].startswith("*")

    def variadic_operator(*args, out=None, name=None, **kwargs):
        # concat(*data, dim=1): every positional argument is an input.
        # MXNet's count of the inputs: filled in when absent; a given one
        # must agree with the inputs (check_num_args).
        num_args = kwargs.pop("num_args", _ABSENT)
        kwargs = {key: value for key, value in kwargs.items()
                  if not is_hidden_attr(key)}
        if num_args is not _ABSENT:
            check_num_args(op_name, num_args, kwargs, len(args))
        for index, array in enumerate(args):
            if not isinstance(array, _core.NDArray):
                result = foreign_invoke(op_name, args, kwargs, out)
                if result is not NotImplemented:
                    return result
                # AssertionError, as MXNet's generated functions assert it.
                raise AssertionError(
                    "%s: positional arguments must have NDArray type, but "
                    "input %d is %s" % (op_name, index, type(array).__name__))
        if _traces[0] and invoke is None:
            result = traced_invoke(op_name, list(args), kwargs, out)
            if result is not NotImplemented:
                return result
        result = (invoke or _core.invoke)(op_name, list(args),
                                          _attr_strings(kwargs), out)
        # MXNet returns `out` itself (the same Python object).
        return result if out is None else out

    # The common call, op(x, w, attr=value, ...) with every input an NDArray
    # given by position, no out, nothing traced, goes straight to
    # _core.invoke: the general path's argument handling took 2.7 us of a
    # 4.3 us mx.nd.relu(x). Optional inputs are trailing, so a call giving
    # the required ones and some of the optional ones by position is what
    # the general path would pass (FullyConnected(x, w, b, num_hidden=n):
    # 6 us of a 26 us 256x128x10 product went to the general path).
    input_count = len(input_names)
    required_count = input_count - len(optional)
    fast_path = (not variadic and invoke is None and required_count > 0 and
                 not _legacy_shapes.checks(op_name))
    attr_set = frozenset(attr_names)

    def operator(*args, out=None, name=None, **kwargs):
        if (fast_path and out is None and
                required_count <= len(args) <= input_count and
                not _traces[0]):
            ndarray_type = _core.NDArray
            for array in args:
                if not isinstance(array, ndarray_type):
                    break
            else:
                if not kwargs:
                    return _core.invoke(op_name, list(args), {}, None)
                if attr_set.issuperset(kwargs):
                    return _core.invoke(op_name, list(args),
                                        _attr_strings(kwargs), None)
        if variadic:
            return variadic_operator(*args, out=out, name=name, **kwargs)
        # Positional values past the inputs are attributes, in order, then
        # out and name, as in MXNet (clip(x, 0, 1); relu(x, y) writes y).
        inputs = list(args[:len(input_names)])
        for attr, value in zip(attr_names, args[len(input_names):]):
            if attr in kwargs:
                raise TypeError("%s() got multiple values for argument '%s'"
                                % (op_name, attr))
            kwargs[attr] = value
        extra = args[len(input_names) + len(attr_names):]
        if len(extra) > 2:
            raise TypeError("%s() takes at most %d positional arguments (%d "
                            "given)" % (op_name, len(input_names) +
                                        len(attr_names) + 2, len(args)))
        if extra:
            if out is not None:
                raise TypeError("%s() got multiple values for argument 'out'"
                                % op_name)
            out = extra[0]
        for input_name in input_names[:len(inputs)]:
            if input_name in kwargs:
                raise TypeError("%s() got multiple values for argument '%s'"
                                % (op_name, input_name))
        for input_name in input_names[len(inputs):]:
            if input_name not in kwargs and input_name not in optional:
                raise MXNetError("%s: missing input '%s'" % (op_name,
                                                             input_name))
            inputs.append(kwargs.pop(input_name, None))
        if len(inputs) != len(input_names):
            raise MXNetError("%s: expected %d input arrays, got %d"
                             % (op_name, len(input_names), len(inputs)))
        # As MXNet's generated functions: optional inputs given as None are
        # dropped, and the op reads the rest by its attributes (RNN's
        # sequence_length follows state when there is no state_cell).
        for name, array in zip(input_names, inputs):
            if array is None and name not in optional:
                # MXNet's generated functions leave None inputs out, and
                # the operator then counts too few.
                given = sum(1 for array in inputs if array is not None)
                expected = _expected_inputs(op_name, kwargs) or sum(
                    1 for name_, array_ in zip(input_names, inputs)
                    if name_ not in optional or array_ is not None)
                raise MXNetError(
                    "Operator %s expects %d inputs, but got %d instead "
                    "(input '%s' is None)" % (op_name, expected, given, name))
        names = [name for name, array in zip(input_names, inputs)
                 if not (array is None and name in optional)]
        inputs = [array for name, array in zip(input_names, inputs)
                  if not (array is None and name in optional)]
        for index, array in enumerate(inputs):
            if not isinstance(array, _core.NDArray):
                result = foreign_invoke(op_name, inputs, kwargs, out)
                if result is not NotImplemented:
                    return result
                # AssertionError, as MXNet's generated functions assert it.
                raise AssertionError(
                    "%s: argument %s must have NDArray type, but got %s"
                    % (op_name, names[index], type(array).__name__))
        if not attr_names and kwargs:
            # MXNet's operators without parameters ignore unknown keywords
            # (relu(x, foo=1) is relu(x)); those with parameters reject them
            # but for __dunder__ ones (zeros(shape, __layout__='NC')).
            kwargs = {}
        kwargs = {key: value for key, value in kwargs.items()
                  if not is_hidden_attr(key)}
        _legacy_shapes.check(op_name, inputs, kwargs)
        ctx = _take_context(op_name, kwargs, bool(inputs))
        if _traces[0] and invoke is None:
            result = traced_invoke(op_name, inputs, kwargs, out)
            if result is not NotImplemented:
                return result
        result = (invoke or _core.invoke)(op_name, inputs,
                                          _attr_strings(kwargs), out,
                                          ctx=ctx)
        return result if out is None else out

    func_name = func_name or op_name
    operator.__name__ = operator.__qualname__ = func_name
    operator.__doc__ = "%s(%s)\n\n%s\n\nAttributes: %s" % (
        func_name, signature, doc, ", ".join(attr_names) or "none")
    if module is not None:
        operator.__module__ = module
    return operator


# Registry prefixes that name a submodule of mx.nd, as in MXNet.
_PREFIXES = {"_contrib_": "contrib", "_linalg_": "linalg", "_image_": "image",
             "_sparse_": "sparse", "_random_": "random"}


def module_of(op_name):
    """(submodule of mx.nd, function name) for a registry operator name:
    ("op", "dot"), ("_internal", "_plus_scalar"), ("linalg", "gemm")."""
    for prefix, submodule in _PREFIXES.items():
        if op_name.startswith(prefix):
            # MXNet keeps the _random_ samplers internal (mx.nd.random wraps
            # them by hand) and exposes only the *_like ones by short name.
            if prefix == "_random_" and not op_name.endswith("_like"):
                return "_internal", op_name
            return submodule, op_name[len(prefix):]
    if op_name.startswith("_"):
        return "_internal", op_name
    return "op", op_name


def populate(namespace, submodule):
    """Defines in `namespace` (a module's globals()) every registered
    operator that module_of puts in `submodule` ("op", "_internal",
    "linalg", ...); returns their function names."""
    names = []
    for name, input_names, attr_specs, doc in _core.list_ops():
        where, func_name = module_of(name)
        if where != submodule:
            continue
        namespace[func_name] = make_operator(
            name, input_names, attr_specs, doc, func_name=func_name,
            module=namespace.get("__name__"))
        names.append(func_name)
    return names
