"""Traced arrays: what a @kiln.jit function sees in place of its NDArrays.

kiln.jit (jit.py) traces a function once per signature by calling it with
TracedArray objects. Each behaves as an NDArray does in mx.nd code
(operators, methods, indexing, mx.nd.<op>(...), mx.nd.maximum, ...) but,
instead of computing, adds a node to an mx.sym graph (kiln/symbol): the
registry operator an NDArray would have run, with the same attributes, so
the graph computes what eager code computes. Operators reach the graph
through the registry's generated functions, which hand inputs that are not
NDArrays to their type's __kiln_invoke__ (kiln/_op_gen.py's
foreign_invoke); NDArray's own Python methods are borrowed unchanged.

Each traced array knows its dtype and its shape for the arrays the trace
was started with, node by node through the registry's shape inference
(_core.infer_node), so an operator given operands it cannot take raises
its MXNetError at the user's line, as eagerly. The graph itself depends
only on the ranks: reading a shape (x.shape, x.size, len(x), iterating)
marks the trace shape-dependent, and jit then keys it on full shapes.

Values do not exist while tracing: bool(x), float(x), int(x), x.asnumpy(),
x.asscalar(), np.asarray(x) (Python control flow on array values) raise an
MXNetError naming the user's file and line (ValueDependenceError).

Arrays the function reads without receiving them (globals, closures,
arrays it makes without array inputs) enter the graph as constants, bound
by identity. Operators whose inputs are all such arrays become nodes too
(kiln/_op_gen.py's trace hook, which NDArray's C++ operators call as
well), so that they see the arrays' values at each call. Python numbers passed as arguments are traced as 0-d arrays that
take their partner's dtype in arithmetic, as JAX's weakly typed values do.
"""
import linecache
import numbers
import os
import sys
import types

import numpy as np

from . import _core
from . import _indexing
from . import _op_gen
from . import autograd
from .base import MXNetError
from .name import NameManager
from .ndarray import ndarray as _nd
from .symbol import symbol as _symbol
from ._op_gen import _dtype_names
from ._python_ops import ROUTED_CORE

__all__ = ["Trace", "TracedArray", "ValueDependenceError"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

# a (op) b: (array op, op with a number on the right, with it on the left),
# as NDArray's operators in C++ (frontends/python/OperatorBindings.cpp).
_ARITHMETIC = {
    "add": ("broadcast_add", "_plus_scalar", "_plus_scalar"),
    "sub": ("broadcast_sub", "_minus_scalar", "_rminus_scalar"),
    "mul": ("broadcast_mul", "_mul_scalar", "_mul_scalar"),
    "truediv": ("broadcast_div", "_div_scalar", "_rdiv_scalar"),
    "mod": ("broadcast_mod", "_mod_scalar", "_rmod_scalar"),
    "pow": ("broadcast_power", "_power_scalar", "_rpower_scalar"),
}
# a (cmp) b, as NDArray's comparisons (ndarray.py's _COMPARISONS).
_COMPARISONS = {
    "eq": ("broadcast_equal", "_equal_scalar"),
    "ne": ("broadcast_not_equal", "_not_equal_scalar"),
    "gt": ("broadcast_greater", "_greater_scalar"),
    "ge": ("broadcast_greater_equal", "_greater_equal_scalar"),
    "lt": ("broadcast_lesser", "_lesser_scalar"),
    "le": ("broadcast_lesser_equal", "_lesser_equal_scalar"),
}
# NDArray's Python methods that write into the array or need a gradient
# buffer: meaningless on a graph value.
_NOT_TRACEABLE = ("attach_grad", "backward", "copyto", "slice_assign",
                  "slice_assign_scalar", "grad", "to_dlpack_for_read",
                  "to_dlpack_for_write", "__setstate__", "_fresh_grad")


class ValueDependenceError(MXNetError):
    """A traced function needed an array's value (Python control flow on
    arrays); an MXNetError whose message names the user's line."""


_VARIADIC = []


def _variadic_ops():
    """The registry operators taking any number of inputs (concat)."""
    if not _VARIADIC:
        _VARIADIC.append(frozenset(
            _core.canonical_op_name(name)
            for name, inputs, _, _ in _core.list_ops()
            if len(inputs) == 1 and inputs[0].startswith("*")))
    return _VARIADIC[0]


def _user_site():
    """(file, line, source text) of the innermost frame outside kiln's
    package: the user's statement that reached here; None when there is
    none."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(
            frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    filename, line = frame.f_code.co_filename, frame.f_lineno
    return filename, line, linecache.getline(filename, line).strip()


def _site_text():
    site = _user_site()
    if site is None:
        return ""
    filename, line, text = site
    return '\n  File "%s", line %d%s' % (filename, line,
                                        ": " + text if text else "")


def _dtype_name(dtype):
    return np.dtype(dtype).name


def _contains_traced(value):
    if isinstance(value, TracedArray):
        return True
    if isinstance(value, (tuple, list)):
        return any(_contains_traced(item) for item in value)
    return False


class Trace(object):
    """The state of one trace of `function_name`: the graph's input
    variables and constants, the dtype and trace-time shape of every node
    output, and whether the function read a shape. Active while the
    function runs; its traced arrays refuse to work afterwards."""

    def __init__(self, function_name, context):
        self.function_name = function_name
        self.context = context
        self.active = True
        self.shape_dependent = False
        # (Symbol of an indexed array, axis, int index) for x[i] whose
        # bounds depend on the extent (i > 0 or i < -1): the graph is
        # shape-polymorphic, so a call with a smaller extent is checked
        # against these (jit's _Entry.check_indices) for eager's IndexError.
        self.index_guards = []
        self._info = {}        # (id(node), index) -> (shape, dtype name)
        self._nodes = []       # keeps the nodes behind _info's ids alive
        self.constants = []    # (variable name, NDArray), in use order
        # (Gluon Parameter, NDArray) for each parameter array read: the
        # trace holds while each parameter still holds its array.
        self.parameter_reads = []
        self._constant_symbols = {}  # id(NDArray) -> its variable
        self._names = NameManager()

    # -- inputs ---------------------------------------------------------
    def argument(self, name, shape, dtype, weak=False, what=None):
        """A traced array for a graph input called `name` holding an
        argument of this shape and dtype (weak: a Python number); `what`
        names the argument in errors ("argument pair[0] of f"). Zero-size
        arguments never get here: jit runs such calls eagerly."""
        variable = _symbol.var(name)
        self._record(variable, [(tuple(shape), _dtype_name(dtype))])
        traced = TracedArray(self, variable, weak)
        if not weak:
            # An array of the caller's: `x += y` on it writes into that
            # array eagerly, which the compiled graph cannot do.
            traced._caller_array = what or name
        return traced

    def _check_not_empty(self, what, shape):
        """MXNetError for a zero-size array: MXNet 1.x graphs read a 0
        dimension as 'unknown', so shape inference cannot carry it."""
        if shape is not None and 0 in tuple(shape):
            raise MXNetError(
                "jit: %s has zero size (shape %s); a compiled graph "
                "cannot hold zero-size arrays (MXNet's graphs read a 0 "
                "dimension as unknown): call the function without jit for "
                "empty inputs%s" % (what, tuple(shape), _site_text()))

    def constant(self, array):
        """The variable standing for NDArray `array` read by the function
        (bound by identity on every call)."""
        symbol = self._constant_symbols.get(id(array))
        if symbol is None:
            name = "jit_const%d" % len(self.constants)
            self._check_not_empty("the array `%s` reads as %s"
                                  % (self.function_name, name), array.shape)
            symbol = _symbol.var(name)
            self._record(symbol, [(array.shape, _dtype_name(array.dtype))])
            self.constants.append((name, array))
            self._constant_symbols[id(array)] = symbol
        return symbol

    def _record(self, symbol, outputs):
        node = symbol._outputs[0][0]
        self._nodes.append(node)
        for index, info in enumerate(outputs):
            self._info[(id(node), index)] = info

    def info(self, symbol):
        """(trace-time shape, dtype name) of a one-output symbol."""
        node, index = symbol._outputs[0]
        return self._info[(id(node), index)]

    # -- operators ------------------------------------------------------
    def check_active(self):
        if not self.active:
            raise MXNetError(
                "jit: a traced array of `%s` was used after its trace ended "
                "(kept in a global or a closure while tracing?); traced "
                "arrays only exist while the function is traced%s"
                % (self.function_name, _site_text()))

    def apply(self, op_name, inputs, attrs):
        """Registry operator `op_name` over `inputs` (TracedArrays and
        NDArrays) with `attrs` (Python values) as graph nodes: a
        TracedArray, or a list of them for several outputs."""
        self.check_active()
        for key, value in attrs.items():
            if _contains_traced(value):
                raise ValueDependenceError(
                    "jit: %s's attribute '%s' is a traced array, but an "
                    "attribute must be known when `%s` is traced%s\n%s"
                    % (op_name, key, self.function_name, _site_text(),
                       _ADVICE))
        strong = [item for item in inputs if isinstance(item, _nd.NDArray) or
                  (isinstance(item, TracedArray) and not item._weak)]
        target = strong[0].dtype if strong else None
        symbols = []
        for index, item in enumerate(inputs):
            if isinstance(item, TracedArray):
                if item._trace is not self:
                    item._trace.check_active()
                    raise MXNetError("jit: arrays traced for another "
                                     "function (%s) cannot enter `%s`"
                                     % (item._trace.function_name,
                                        self.function_name))
                symbol = item._symbol
                if (item._weak and target is not None and
                        item._dtype != _dtype_name(target)):
                    symbol = self._node("Cast", [symbol],
                                        {"dtype": _dtype_name(target)})
                symbols.append(symbol)
            elif isinstance(item, _nd.NDArray):
                symbols.append(self.constant(item))
            else:
                # As the generated functions assert for eager inputs.
                raise AssertionError(
                    "%s: input %d must be an NDArray, got %s"
                    % (op_name, index, type(item).__name__))
        attrs = dict(attrs)
        _dtype_names(attrs)
        if ROUTED_CORE.canonical_op_name(op_name) in _variadic_ops():
            attrs.setdefault("num_args", len(symbols))  # concat, stack
        result = self._node(op_name, symbols, attrs)
        tracers = [TracedArray(self, output, not strong)
                   for output in result]
        return tracers[0] if len(tracers) == 1 else tracers

    def _node(self, op_name, symbols, attrs):
        """The node of `op_name` over `symbols`, its outputs' shapes and
        dtypes inferred from its inputs' (MXNetError as eagerly)."""
        with self._names:
            result = _symbol._create(op_name, symbols, attrs)
        node = result._outputs[0][0]
        shapes, dtypes = [], []
        for position, (child, index) in enumerate(node.inputs):
            info = self._info.get((id(child), index))
            if info is None:
                raise MXNetError("%s: input '%s' is missing" % (
                    op_name, node.input_names[position]))
            shapes.append(info[0])
            dtypes.append(info[1])
        # Python operators (Custom, numpy contrib ops) too: their nodes
        # run in the executor node by node, as in a hybridized block.
        _, outputs = ROUTED_CORE.infer_node(node.op, node.params(), shapes,
                                            dtypes, False)
        if len(outputs) < len(result._outputs):
            # Inference stopped short: a zero-size (unknown) dimension.
            raise MXNetError(
                "jit: %s's output shapes cannot be inferred from input "
                "shapes %s while `%s` is traced (a zero-size array? MXNet's "
                "graphs read a 0 dimension as unknown)%s"
                % (op_name, shapes, self.function_name, _site_text()))
        self._record(result, [(tuple(shape), _dtype_name(dtype))
                              for shape, dtype in outputs])
        return result

    def value_needed(self, what):
        """ValueDependenceError for `what` (bool(), float(), ...) asked of
        a traced array."""
        self.check_active()
        raise ValueDependenceError(
            "jit: %s needs the value of a traced array, but `%s` is being "
            "traced with symbolic arrays (values exist only when the "
            "compiled graph runs)%s\n%s"
            % (what, self.function_name, _site_text(), _ADVICE))


_ADVICE = ("Python control flow on array values cannot be compiled: pass "
           "such values as static arguments (jit(static_argnums=..., "
           "static_argnames=...): the function is traced once per value), "
           "or compute both branches and select with mx.nd.where "
           "(mx.nd.contrib.cond evaluates its predicate eagerly, so it "
           "runs outside jit only). Operators on arrays the function reads "
           "from globals or closures are traced too: compute a decision on "
           "their values before calling the function.")


def _invoke(op_name, inputs, attrs, out):
    """__kiln_invoke__: a registry function called with traced arrays."""
    trace = next(item._trace for item in inputs
                 if isinstance(item, TracedArray))
    if out is not None:
        trace.check_active()
        raise MXNetError("jit: %s(..., out=...) cannot write into an array "
                         "while `%s` is traced; use the returned value%s"
                         % (op_name, trace.function_name, _site_text()))
    return trace.apply(op_name, inputs, attrs)


class TracedArray(object):
    """An NDArray of a function being traced by kiln.jit: a node of the
    graph (one output of an mx.sym Symbol) with a dtype and a rank.

    Supports what an NDArray supports in mx.nd code: +, -, *, /, %, **,
    comparisons (broadcasting, or the *_scalar operator with a number),
    NDArray's methods, basic indexing (ints, slices, Ellipsis, None: no
    shape needed) and one index array along the first axis, and being
    passed to mx.nd functions. ndim, dtype and context are known; shape,
    size, len() and iteration give the shapes the trace started with and
    make jit key the trace on full shapes. Values are not known: bool(),
    float(), int(), asnumpy(), asscalar() raise ValueDependenceError."""

    __array_priority__ = 1000.0
    __array_ufunc__ = None  # numpy defers to our reflected operators
    __hash__ = object.__hash__
    __kiln_invoke__ = staticmethod(_invoke)

    def __init__(self, trace, symbol, weak=False):
        self._trace = trace
        self._symbol = symbol
        self._shape, self._dtype = trace.info(symbol)
        self._weak = weak
        self._caller_array = None  # see Trace.argument

    # -- what is known --------------------------------------------------
    @property
    def ndim(self):
        return len(self._shape)

    @property
    def dtype(self):
        return np.dtype(self._dtype).type

    @property
    def context(self):
        return self._trace.context

    ctx = context

    @property
    def stype(self):
        return "default"

    @property
    def shape(self):
        """The shape for the arrays the trace started with; the trace then
        holds for those shapes only."""
        self._trace.check_active()
        if self._shape:
            self._trace.shape_dependent = True
        return self._shape

    @property
    def size(self):
        return int(np.prod(self.shape))

    def __len__(self):
        shape = self.shape
        return shape[0] if shape else 0

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def __repr__(self):
        return "<TracedArray %s rank %d @%s (in jit trace of %s)>" % (
            self._dtype, len(self._shape), self._trace.context,
            self._trace.function_name)

    __str__ = __repr__

    # -- values: not known ----------------------------------------------
    def __bool__(self):
        self._trace.value_needed("bool() (an `if`, `while`, `and`/`or` "
                                 "or `not` on an array)")

    def __float__(self):
        self._trace.value_needed("float()")

    def __int__(self):
        self._trace.value_needed("int()")

    def __index__(self):
        self._trace.value_needed("using an array as an integer (range(), "
                                 "a list index, a shape)")

    def __complex__(self):
        self._trace.value_needed("complex()")

    def __array__(self, dtype=None):
        self._trace.value_needed("converting to numpy (np.asarray)")

    def asnumpy(self):
        self._trace.value_needed("asnumpy()")

    def asscalar(self):
        self._trace.value_needed("asscalar()")

    def __setitem__(self, key, value):
        self._trace.check_active()
        raise MXNetError("jit: item assignment (x[...] = v) into an array "
                         "cannot be traced in `%s`; build the value with "
                         "mx.nd.where, concat or slice_like instead%s"
                         % (self._trace.function_name, _site_text()))

    def __reduce__(self):
        self._trace.value_needed("pickling")

    def wait_to_read(self):
        """Nothing to wait for while tracing."""
        self._trace.check_active()

    # -- operators ------------------------------------------------------
    def _binary(self, other, array_op, scalar_op, reflected=False):
        if isinstance(other, (TracedArray, _nd.NDArray)):
            operands = [other, self] if reflected else [self, other]
            if (isinstance(other, TracedArray) and self._weak and
                    other._weak and self._dtype != other._dtype):
                # Two Python numbers: computed as floats.
                operands = [self._trace.apply("Cast", [item],
                                              {"dtype": "float64"})
                            for item in operands]
            return self._trace.apply(array_op, operands, {})
        if isinstance(other, (numbers.Number, np.generic)) and not \
                isinstance(other, complex):
            return self._trace.apply(scalar_op, [self],
                                     {"scalar": float(other)})
        return NotImplemented

    def __neg__(self):
        return self._trace.apply("negative", [self], {})

    def __abs__(self):
        return self._trace.apply("abs", [self], {})

    def __pos__(self):
        return self

    def __getattr__(self, name):
        # NDArray's Python methods, applied to the traced array: they end
        # in registry functions, which hand traced inputs back to us.
        if name in _NOT_TRACEABLE:
            self._trace.check_active()
            raise MXNetError("jit: NDArray.%s cannot be used on an array "
                             "while `%s` is traced%s%s"
                             % (name, self._trace.function_name,
                                _site_text(),
                                "\nRecord around the jitted call instead "
                                "(with autograd.record(): loss = f(x)) and "
                                "call backward outside it"
                                if name in ("backward", "grad",
                                            "attach_grad") else ""))
        attribute = _nd.NDArray.__dict__.get(name)
        if isinstance(attribute, types.FunctionType):
            return types.MethodType(attribute, self)
        if isinstance(attribute, property):
            return attribute.fget(self)
        raise AttributeError("'TracedArray' object has no attribute '%s'"
                             % name)

    def detach(self):
        """The value, cut from autograd (BlockGrad), as NDArray.detach."""
        return self._trace.apply("BlockGrad", [self], {})

    def reshape(self, *shape, **kwargs):
        if _contains_traced(shape) or _contains_traced(
                list(kwargs.values())):
            self._trace.value_needed("reshape() with a traced array in "
                                     "the shape")
        return _nd.NDArray.reshape(self, *shape, **kwargs)

    # -- indexing -------------------------------------------------------
    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        for item in items:
            if isinstance(item, slice) and any(
                    isinstance(bound, TracedArray)
                    for bound in (item.start, item.stop, item.step)):
                self._trace.value_needed("a slice bound (x[:n] with a "
                                         "traced n)")
        if all(item is None or item is Ellipsis or isinstance(
                item, (slice, int, np.integer)) and not isinstance(item, bool)
               for item in items):
            return self._basic_getitem(items)
        if isinstance(key, TracedArray):
            # Indices along the first axis, as NDArray's x[indices].
            return self._trace.apply("take", [self, key], {"axis": 0})
        if _contains_traced(list(items)):
            self._trace.check_active()
            raise MXNetError("jit: indexing with traced index arrays other "
                             "than x[indices] is not supported in `%s`; use "
                             "mx.nd.take or mx.nd.gather_nd%s"
                             % (self._trace.function_name, _site_text()))
        return _indexing.getitem(self, key)

    def _basic_getitem(self, items):
        """Ints, slices, Ellipsis and None as NDArray indexes them, through
        slice/reshape/expand_dims with no extent needed."""
        for item in items:
            _indexing._check_item(item)
        concrete = sum(1 for item in items
                       if item is not None and item is not Ellipsis)
        if sum(1 for item in items if item is Ellipsis) > 1:
            raise IndexError("Cannot use more than one ellipsis (`...`) for "
                             "indexing")
        if concrete > self.ndim:
            raise IndexError("too many indices (%d) for array with %d "
                             "dimensions" % (concrete, self.ndim))
        begin, end, step, dropped, new_axes = [], [], [], [], []
        axis = 0
        for item in items:
            if item is Ellipsis:
                for _ in range(self.ndim - concrete):
                    begin.append(None), end.append(None), step.append(1)
                    axis += 1
            elif item is None:
                new_axes.append(axis + len(new_axes))
            elif isinstance(item, slice):
                begin.append(item.start), end.append(item.stop)
                step.append(1 if item.step is None else item.step)
                axis += 1
            else:
                index, extent = int(item), self._shape[axis]
                # Checked against the trace's shapes, as eagerly; the graph
                # checks other shapes when it runs.
                if not -extent <= index < extent:
                    raise IndexError("index %d is out of bounds for axis %d "
                                     "with size %d" % (index, axis, extent))
                if index > 0 or index < -1:
                    self._trace.index_guards.append(
                        (self._symbol, axis, index))
                begin.append(index)
                end.append(index + 1 if index != -1 else None)
                step.append(1)
                dropped.append(axis)
                axis += 1
        result = self
        if begin and not all(b is None and e is None and s == 1
                             for b, e, s in zip(begin, end, step)):
            result = self._trace.apply("slice", [self], {
                "begin": tuple(begin), "end": tuple(end),
                "step": tuple(step)})
        if dropped:
            if len(dropped) == result.ndim:
                # MXNet's legacy arrays have no rank 0: x[i] of a vector
                # is (1,).
                result = result._trace.apply("reshape", [result],
                                             {"shape": (1,)})
            else:
                result = result._trace.apply("squeeze", [result],
                                             {"axis": tuple(dropped)})
        for new_axis in new_axes:
            result = result._trace.apply(
                "expand_dims", [result], {"axis": min(new_axis, result.ndim)})
        return result


def _arithmetic(array_op, scalar_op, reflected_scalar_op):
    def forward(self, other):
        return self._binary(other, array_op, scalar_op)

    def reflected(self, other):
        return self._binary(other, array_op, reflected_scalar_op,
                            reflected=True)
    return forward, reflected


for _name, _ops in _ARITHMETIC.items():
    _forward, _reflected = _arithmetic(*_ops)
    setattr(TracedArray, "__%s__" % _name, _forward)
    setattr(TracedArray, "__r%s__" % _name, _reflected)
TracedArray.__div__ = TracedArray.__truediv__
TracedArray.__rdiv__ = TracedArray.__rtruediv__


def _comparison(array_op, scalar_op):
    def compare(self, other):
        return self._binary(other, array_op, scalar_op)
    return compare


def _in_place(name, symbol):
    """`x op= y`: as `x = x op y` for the function's own values; an
    MXNetError for an array argument, which eagerly it writes into."""
    def method(self, other):
        if self._caller_array is not None:
            self._trace.check_active()
            raise MXNetError(
                "jit: `x %s= ...` would write into %s, the caller's array, "
                "as it does eagerly; a jitted function cannot write into its "
                "arguments: write `x = x %s ...` and return the new value%s"
                % (symbol, self._caller_array, symbol, _site_text()))
        return getattr(self, "__%s__" % name)(other)
    return method


for _name, _symbol_text in (("add", "+"), ("sub", "-"), ("mul", "*"),
                            ("truediv", "/"), ("mod", "%"), ("pow", "**")):
    setattr(TracedArray, "__i%s__" % _name, _in_place(_name, _symbol_text))


for _name, (_array_op, _scalar_op) in _COMPARISONS.items():
    setattr(TracedArray, "__%s__" % _name, _comparison(_array_op, _scalar_op))
TracedArray.__hash__ = object.__hash__


# The registry's samplers of a shape, without array inputs.
_SAMPLERS = frozenset(
    "_random_%s" % name for name in (
        "exponential", "gamma", "generalized_negative_binomial",
        "negative_binomial", "normal", "poisson", "randint", "uniform"))


def _is_sampler(op_name):
    return ROUTED_CORE.canonical_op_name(op_name) in _SAMPLERS


def _external_operator(trace):
    """The trace hook (_op_gen.set_trace_hook) of `trace`: an operator whose
    inputs are all NDArrays the function read from outside (globals,
    closures, a Gluon block's parameters) becomes a node over them, bound by
    identity like any such array. Computed once at trace time instead, its
    value missed later writes to those arrays (a parameter an optimizer
    updates) and their gradients were never written."""
    def hook(op_name, inputs, attrs, out):
        if out is not None or not trace.active:
            return NotImplemented  # writes run at trace time
        if any(_contains_traced(value) for value in attrs.values()):
            # A traced value as an attribute (zeros(x.sum())): the trace
            # refuses it, naming the line.
            return trace.apply(op_name, inputs, attrs)
        if not inputs and _is_sampler(op_name):
            # A draw of a shape (mx.nd.random.normal(shape=...)): a node
            # that draws anew on every call, as eagerly and in hybridized
            # blocks (computed once at trace time, it was a constant).
            return trace.apply(op_name, [], attrs)
        if not any(isinstance(item, _nd.NDArray) for item in inputs):
            return NotImplemented  # zeros, ones, arange: constants
        return trace.apply(op_name, inputs, attrs)

    def lift(array):
        """`array` as a traced array of the graph (indexing a global takes
        the traced arrays' own indexing), None once the trace is over."""
        if not trace.active:
            return None
        return TracedArray(trace, trace.constant(array))

    def write_refused(target, value):
        """The error for writing traced `value` into NDArray `target`."""
        return MXNetError(
            "jit: a traced value cannot be written into an NDArray (%s of "
            "shape %s) while `%s` is traced: arrays from outside the "
            "function are read, not written, by the compiled graph; return "
            "the new value and assign it after the call%s"
            % (_dtype_name(target.dtype), tuple(target.shape),
               trace.function_name, _site_text()))

    def note_parameter(parameter, array):
        if trace.active:
            trace.parameter_reads.append((parameter, array))

    hook.lift = lift
    hook.write_refused = write_refused
    hook.note_parameter = note_parameter
    return hook


def run_traced(trace, function, args, kwargs):
    """function(*args, **kwargs) with autograd paused (arrays the function
    makes without array inputs are constants, not recorded) and operators
    on outside arrays traced (_external_operator); the trace is inactive
    afterwards, whatever happens."""
    previous = _op_gen.set_trace_hook(_external_operator(trace))
    try:
        with autograd.pause(train_mode=autograd.is_training()):
            return function(*args, **kwargs)
    finally:
        trace.active = False
        _op_gen.set_trace_hook(previous)
