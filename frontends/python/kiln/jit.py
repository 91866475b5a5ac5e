"""kiln.jit (also mx.jit): compile a Python function of NDArrays whole.

    @mx.jit
    def gelu_ish(x, w, scale):
        h = mx.nd.dot(x, w) * scale
        return h * mx.nd.sigmoid(1.702 * h)

    y = gelu_ish(x, w, 0.5)          # traced, compiled, run
    y = gelu_ish(x2, w, 0.25)        # another batch size, another scale:
                                     # the same trace, no retracing

    @mx.jit(static_argnames="axis")
    def norm(x, axis):               # one trace per value of axis
        return x / x.sum(axis=axis, keepdims=True)

MXNet 1.9.1 has no jit; its analogue is HybridBlock.hybridize(), and this
follows JAX's jax.jit for the decorator (static_argnums, static_argnames,
tracing with abstract values, retracing per signature).

How a call runs: the call's signature is computed: for every array
argument its rank, dtype and context (not its extents), for each Python
number its kind (bool, int, float), the argument structure (positional
and keyword arguments, nested tuples, lists and dicts), and the static
arguments by value. The first call of a signature traces the function
once: it is called with traced arrays (kiln/_jit_tracer.py) in place of
its arrays and numbers, which record every operator into an mx.sym graph
(the registry operators eager code runs, so results equal eager
execution). The graph runs as hybridize() runs a block's
(gluon/_cached_graph.py on kiln's Executor): captured into an engine
executable with planned memory per input shape, so a new batch size binds
a new executable of the same graph without tracing again; outputs are
fresh arrays.

Arguments:
* NDArrays, and tuples/lists/dicts of them (any nesting; None allowed);
* Python numbers (bool, int, float, numpy scalars): traced as 0-d arrays
  (float64/int64/bool) that take the dtype of the array they meet, as
  eagerly the number would have, so f(x, 0.5) and f(x, 0.25) share a
  trace. Mark a number static when the function needs its value (as a
  shape, an axis, in an `if`);
* static arguments (static_argnums: positions; static_argnames: names;
  either also covers the same parameter passed the other way, as JAX):
  any hashable value, passed to the function as is; each new value
  traces again.
Anything else (a str, a numpy array, an object) not marked static is a
TypeError (MXNetTypeError) naming the argument.

Differentiable: under autograd.record() a call is recorded as one
operation whose backward is the graph's captured backward, so
`y = f(x); y.backward()` fills x.grad (and the gradients of
attach_grad'ed arrays the function reads from globals or closures) as
the eager function would, honouring grad_req.

Inside the traced function (JAX's rules):
* array values do not exist: bool(x), `if x.sum() > 0:`, float(x),
  int(x), x.asnumpy(), x.asscalar(), np.asarray(x), a traced array as a
  shape, axis or range() bound raise an MXNetError naming the file and
  line of the offending statement and saying to use static arguments or
  mx.nd.where;
* ndim, dtype and context are known; x.shape, x.size, len(x) and
  iterating over x give the shapes of the call being traced, and make the
  trace hold for exactly those shapes (the function is traced again for
  others, and keeps the traces of its 8 most recently used shapes: see
  cache_info(); shapes whose trace was dropped run eagerly, the same
  operators, until their 32nd call since, then are traced again);
* side effects (print, appending to a list, writing into arrays with
  out= or +=) happen when the function is traced, not on the calls that
  reuse the trace; arrays it makes without array inputs (mx.nd.zeros,
  mx.nd.arange) are computed once, at trace time, and are constants of
  the graph, but random draws of a shape (mx.nd.random.normal(shape=...),
  also inside Gluon blocks) are graph nodes that draw anew on every call,
  from mx.random.seed's generator, as eagerly;
* NDArrays read from globals or closures (and a Gluon block's
  parameters) are graph inputs bound by identity: their current values
  are read on every call, and operators on them (W.T, mx.nd.exp(w),
  w[0], w * 2) are part of the graph, so they follow later writes (an
  optimizer step) and pass gradients to attach_grad'ed ones, as eagerly;
  Python control flow on their values is a ValueDependenceError too
  (reading them on the host, w.asnumpy(), happens at trace time); a
  traced value written into them (w[...] = v, w += v) is an MXNetError;
  a Gluon parameter given new arrays (initialize(force_reinit=True),
  cast, reset_ctx), or a place the function read an array or a Gluon
  block through bound to another, makes the next call trace again.
  Places are the global and closure names the function's code uses
  (its comprehensions, lambdas and inner functions included, and
  globals()['W']), the attributes of modules it names (mymod.W), the
  items and attributes (slots too) of what those and the static
  arguments hold, three levels deep (P['w'] = new, params[0] = new,
  self.w = new, cfg.model.w = new), and the same places of the
  functions it calls through them (helpers, methods and their instance,
  functools.partial, decorated and jitted functions, callable objects),
  four calls deep; an array reached otherwise is bound by identity. A
  place seen rebound to an array of the same shape, dtype and context
  is read on every call from then on (a data input of the new trace), so
  a manual SGD loop that rebinds its weights traces twice, not at every
  step; in-place updates (W[:] = ..., W -= ..., sgd_update(..., out=W))
  keep the trace; a traced value stored in such a place (global W;
  W = W * 2, cache['h'] = h, history.append(h)) is an MXNetError naming
  it: return the value instead;
* Python numbers read from globals or closures are constants of the
  trace (as in JAX): pass a number that changes as an argument; a name
  that held None or a number when traced and holds an array later
  (lazy initialization) traces again;
* the function is pure: it never writes into the caller's arrays:
  x[...] = v, out= and `x += y` on an array argument raise (`h += 1` on
  the function's own values rebinds h, as `h = h + 1`);
* backward() and autograd.grad cannot run inside the function: record
  around the call (with autograd.record(): loss = f(x)) and take the
  gradients outside it;
* a result computed from the inputs is a new array on every call; other
  values in the result (numbers, None, NDArrays the inputs do not flow
  into) are those the trace returned, the same objects on every call,
  except arrays: one the function made at trace time (mx.nd.zeros(...))
  comes back as a copy on every call, as each eager call makes a new
  one, and one read from a place comes back as what the place holds;
  computed arrays come back in tuples, lists, namedtuples and dicts (a
  set or another object holding them is an MXNetTypeError);
* a function whose operators need values to know their results' shapes
  (mx.nd.contrib.boolean_mask) runs eagerly for that signature, with
  one warning, as hybridize() falls back to running a block imperatively;
* a call with a zero-size array argument runs the function eagerly, as
  a hybridized block runs such a batch op by op (MXNet graphs read a 0
  extent as unknown, so no trace holds it);
* differentiable under autograd.record(), but not twice: a backward with
  create_graph=True through a compiled call is an MXNetError (as MXNet's
  hybridized blocks); the first recorded call of a signature runs op by
  op and is the exception, so such a loop fails from its second step.

cache_info() counts traces (misses) and calls that reused one (hits);
maxsize is None: one trace is kept per signature, and only the per-shape
traces of a shape-reading function are limited (8). Each trace runs on
executors bound per input shape, the 8 most recently used kept.
clear_cache() forgets the traces and the counts.

Nested calls of jitted functions while tracing are inlined, and so are
Gluon blocks called while tracing, hybridized or not: their operators
join the trace (deferred initialization happens then), and their
parameters are constants of the graph read on every call, which take
gradients as the parameters of the block called eagerly do.
"""
import collections
import collections.abc
import functools
import inspect
import numbers
import types
import warnings

import numpy as np

from . import _op_gen
from . import autograd
from ._core import MXNetTypeError, MXNetValueError
from .base import MXNetError
from ._jit_tracer import Trace, TracedArray, run_traced
from .context import current_context
from .gluon._cached_graph import CachedGraph, EvictedKeys, takes_gradient
from .gluon.block import Block, _needs_host_values
from .ndarray import ndarray as _nd
from .symbol import symbol as _symbol

__all__ = ["jit", "CacheInfo"]

CacheInfo = collections.namedtuple("CacheInfo",
                                   ["hits", "misses", "maxsize", "currsize"])
CacheInfo.__doc__ = ("A jitted function's cache, as functools.lru_cache's: "
                     "calls that reused a trace (hits), calls that traced "
                     "(misses), no bound (maxsize None), traces kept.")

# The 0-d dtype a Python number is traced as (its partner's in arithmetic).
_NUMBER_DTYPES = {bool: "bool", int: "int64", float: "float64"}


def _number_kind(value):
    """bool, int or float for a Python or numpy real number; None for
    anything else."""
    if isinstance(value, (bool, np.bool_)):
        return bool
    if isinstance(value, (numbers.Integral, np.integer)):
        # Beyond int64 (2**70, np.uint64(2**64 - 1)) a traced int64 would
        # wrap or overflow; eager code computes with it as a double.
        return int if -2**63 <= int(value) < 2**63 else float
    if isinstance(value, (numbers.Real, np.floating)):
        return float
    return None


# -- argument structure ---------------------------------------------------
def _flatten(value, leaves, where, places=None):
    """The structure of `value` (hashable), its array and number leaves
    appended to `leaves` (and to `places`, when given, where each was).
    `where` is (path, function name): ("pair[1]", "k") reads "argument
    pair[1] of k". MXNetTypeError naming it for other types."""
    if isinstance(value, (_nd.NDArray, TracedArray)) or (
            _number_kind(value) is not None):
        leaves.append(value)
        if places is not None:
            places.append(_where_text(where))
        return "*"
    if value is None:
        return None
    path, function_name = where
    if isinstance(value, (tuple, list)):
        kind = type(value) if type(value) in (tuple, list) else (
            type(value) if hasattr(value, "_fields") else None)
        if kind is None:
            raise MXNetTypeError(
                "jit: %s is a %s; a jitted function takes NDArrays, numbers "
                "and tuples/lists/dicts of them (mark other arguments "
                "static)" % (_where_text(where), type(value).__name__))
        return (kind, tuple(
            _flatten(item, leaves, ("%s[%d]" % (path, i), function_name),
                     places)
            for i, item in enumerate(value)))
    if isinstance(value, dict):
        return (dict, tuple(
            (key, _flatten(item, leaves, ("%s[%r]" % (path, key),
                                          function_name), places))
            for key, item in value.items()))
    raise MXNetTypeError(
        "jit: %s is a %s (%s); a jitted function takes NDArrays, numbers and "
        "tuples/lists/dicts of them: mark other arguments static "
        "(static_argnums/static_argnames) or pass an NDArray (mx.nd.array)"
        % (_where_text(where), type(value).__name__, _short_repr(value)))


def _where_text(where):
    """(path, function name) as errors say it."""
    return "argument %s of %s" % where


def _unflatten(structure, leaves):
    """`structure` rebuilt with the next values of the iterator `leaves`."""
    if structure == "*":
        return next(leaves)
    if structure is None:
        return None
    kind, items = structure
    if kind is dict:
        return {key: _unflatten(item, leaves) for key, item in items}
    values = [_unflatten(item, leaves) for item in items]
    if kind in (tuple, list):
        return kind(values)
    return kind(*values)  # a namedtuple


def _short_repr(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _holds_traced(value):
    """Whether a value jit keeps as returned at trace time holds traced
    arrays: a set, frozenset or other container, or an object's attribute
    (a dataclass), one level down from where _output_structure looks."""
    if isinstance(value, (str, bytes, _nd.NDArray, np.ndarray)):
        return False
    if isinstance(value, collections.abc.Collection):
        try:
            items = list(value.values() if isinstance(
                value, collections.abc.Mapping) else value)
        except Exception:  # noqa: BLE001 - a container that cannot iterate
            return False
        return any(isinstance(item, TracedArray) or _holds_traced(item)
                   for item in items)
    attributes = getattr(value, "__dict__", None)
    return isinstance(attributes, dict) and any(
        isinstance(item, TracedArray) for item in attributes.values())


def _output_structure(value, tracers, function_name):
    """The structure of a traced function's result: traced arrays become
    graph outputs (appended to `tracers`); other values (None, numbers,
    NDArrays) are kept as returned at trace time. TypeError for other
    containers holding traced arrays (a set has no order to rebuild it
    by), as JAX refuses what is not a pytree (MXNetTypeError)."""
    if isinstance(value, TracedArray):
        tracers.append(value)
        return ("out",)
    if isinstance(value, (tuple, list)) and (
            type(value) in (tuple, list) or hasattr(value, "_fields")):
        return (type(value), tuple(_output_structure(item, tracers,
                                                     function_name)
                                   for item in value))
    if isinstance(value, dict):
        return (dict, tuple((key, _output_structure(item, tracers,
                                                    function_name))
                            for key, item in value.items()))
    if isinstance(value, (types.GeneratorType, collections.abc.Iterator)):
        raise MXNetTypeError(
            "jit: `%s` returned a %s, which would compute after the trace "
            "ended; return a tuple or list (tuple(generator))"
            % (function_name, type(value).__name__))
    if _holds_traced(value):
        raise MXNetTypeError(
            "jit: `%s` returned a %s holding arrays computed from its "
            "inputs; jit returns such arrays in a tuple, list, namedtuple "
            "or dict (nested as you like)"
            % (function_name, type(value).__name__))
    return ("const", value)


def _returned_constants(structure, outside, sources):
    """`structure` with each NDArray kept from the trace (a ("const",
    array) leaf) marked by where it came from: read from a place that is a
    data input (`sources`: id: lookup), ("place", lookup), so that each
    call returns what the place holds then, as eagerly; an array the
    function made at trace time (mx.nd.zeros(...), not in `outside`),
    ("fresh", array), of which each call returns a copy, as each eager
    call returns a new one (one object for all calls let a caller's
    in-place write change what later calls return). Other arrays from
    outside (a global, a Gluon parameter) stay themselves, as eagerly
    (their places are guarded: _Entry.stale)."""
    tag = structure[0]
    if tag == "const":
        value = structure[1]
        if not isinstance(value, _nd.NDArray):
            return structure
        if id(value) in sources:
            return ("place", sources[id(value)])
        if id(value) not in outside:
            return ("fresh", value)
        return structure
    if tag == "out":
        return structure
    return (tag, tuple(
        (item[0], _returned_constants(item[1], outside, sources))
        if tag is dict else _returned_constants(item, outside, sources)
        for item in structure[1]))


def _constant_arrays(structure, found):
    """Appends the NDArrays kept from the trace in `structure`."""
    tag = structure[0]
    if tag == "const":
        if isinstance(structure[1], _nd.NDArray):
            found.append(structure[1])
    elif tag != "out":
        for item in structure[1]:
            _constant_arrays(item[1] if tag is dict else item, found)
    return found


def _build_output(structure, outputs):
    tag = structure[0]
    if tag == "out":
        return next(outputs)
    if tag == "const":
        return structure[1]
    if tag == "fresh":
        return structure[1].copy()
    if tag == "place":
        return structure[1]()
    if tag is dict:
        return {key: _build_output(item, outputs)
                for key, item in structure[1]}
    values = [_build_output(item, outputs) for item in structure[1]]
    return tag(values) if tag in (tuple, list) else tag(*values)


# -- a trace and its graph ------------------------------------------------
class _Entry(object):
    """One traced signature: the graph (a CachedGraph: an executor per
    input shape), which call leaves feed which graph inputs, the constants
    bound by identity, the result's structure."""

    def __init__(self, trace, leaf_names, result):
        tracers = []
        self.structure = _output_structure(result, tracers,
                                           trace.function_name)
        self.shape_dependent = trace.shape_dependent
        self.index_guards = trace.index_guards
        self.context = trace.context
        self.function_name = trace.function_name
        self.graph = None
        self.parameters = []
        self.places = []  # see bind_places
        self.place_inputs = {}  # constant name: lookup of its place
        self.symbol = None
        self.constants = {}
        self.input_names = []
        # The NDArrays the result holds as returned at trace time.
        self.returned = _constant_arrays(self.structure, [])
        if not tracers:
            return  # nothing computed from the inputs: a constant result
        symbol = _symbol.Group([tracer._symbol for tracer in tracers])
        inputs = symbol.list_inputs()
        used = set(inputs)
        self.data_names = [name for name in leaf_names if name in used]
        self.leaf_index = {name: index for index, name in
                           enumerate(leaf_names)}
        self.constants = {name: array for name, array in trace.constants
                          if name in used}
        self.input_names = inputs
        self.symbol = symbol  # its graph is made by bind_places

    def bind_places(self, scan, rebindable, parameter_reads):
        """Makes the graph and the guards of the trace, given the places
        it read arrays through (`scan`, a _PlaceScan of its constants and
        returned arrays). An array at a place in `rebindable` (one the
        caller rebinds between calls, W = W - lr * W.grad) is read from
        its place on every call: a data input of the graph, rather than
        an array the executors are bound to (new arrays there would bind
        new executors), and, returned, what the place holds. Other arrays
        and Gluon blocks at places are bound by identity, and a Gluon
        parameter read or returned must keep its arrays (when it gets new
        ones, initialize(force_reinit=True), cast, reset_ctx, the trace is
        stale)."""
        sources = {}  # id(array): the lookup of its rebindable place
        for key, lookup, value in scan.found:
            if key in rebindable and isinstance(value, _nd.NDArray):
                sources.setdefault(id(value), lookup)
        by_id = {id(array): name for name, array in self.constants.items()}
        self.place_inputs = {by_id[key]: lookup
                             for key, lookup in sources.items()
                             if key in by_id}
        # (key, lookup, what it must hold, the lookup of the data input it
        # feeds or None). Every place of a data input must hold the array
        # the first gives (the trace read them as one), like the traced
        # one, which is not kept (a stale copy of the weights).
        self.places = []
        for key, lookup, value in scan.found:
            source = sources.get(id(value))
            self.places.append((key, lookup, value if source is None
                                else _like(value), source))
        self.places.extend((key, lookup, _NO_ARRAY, None)
                           for key, lookup in scan.guards)
        kept = {id(array) for array in
                list(self.constants.values()) + self.returned}
        self.parameters = [(parameter, array) for parameter, array in
                           parameter_reads if id(array) in kept]
        outside = {id(value) for _, _, value in scan.found}
        outside.update(id(array) for _, array in self.parameters)
        self.structure = _returned_constants(self.structure, outside,
                                             sources)
        for name in self.place_inputs:
            del self.constants[name]
        if self.symbol is None:
            return
        self.graph = CachedGraph(self.symbol, self.data_names + [
            name for name in self.input_names if name in self.place_inputs],
            ("kiln.jit (`%s`)" % self.function_name,
             "call the function without jit"))

    def stale(self):
        """Whether a Gluon parameter the trace reads holds other arrays
        now, or a place the function read an array or a block through (a
        global or closure name, an item or attribute of what one holds)
        holds another than the one traced, or a name that held None or a
        number holds an array; for a place that is a data input, an array
        unlike the traced one (shape, dtype, context), or not the one its
        constant's other places hold."""
        for parameter, array in self.parameters:
            # Parameter._holds, inlined: this runs on every call.
            data = parameter._data
            if not data or (data[0] is not array and
                                not any(item is array for item in data)):
                return True
        for _, lookup, expected, source in self.places:
            now = lookup()
            if expected is _NO_ARRAY:
                if isinstance(now, _nd.NDArray):
                    return True
            elif source is None:
                if now is not expected:
                    return True
            elif now is not source() or not _fits(now, expected):
                return True
        return False

    def rebound_places(self):
        """The keys of the places bound by identity that hold another
        array like the traced one now: rebound between calls, they are
        data inputs of the next trace."""
        found = set()
        for key, lookup, expected, source in self.places:
            if source is not None or not isinstance(expected, _nd.NDArray):
                continue
            now = lookup()
            if now is not expected and _fits(now, _like(expected)):
                found.add(key)
        return found

    def run(self, leaves):
        """The result for the call's leaves (NDArrays and numbers)."""
        if self.graph is None:
            return _build_output(self.structure, iter(()))
        recording = autograd.is_recording()
        arrays, requests = [], []
        for name in self.input_names:
            lookup = self.place_inputs.get(name)
            if lookup is not None:
                arrays.append(lookup())  # stale() checked that it fits
                requests.append(None)
                continue
            constant = self.constants.get(name)
            if constant is None:
                arrays.append(_as_array(leaves[self.leaf_index[name]],
                                        self.context))
                requests.append(None)
            else:
                arrays.append(constant)
                # Closure arrays that take a gradient get it, as eagerly.
                requests.append("write" if recording and
                                takes_gradient(constant) else "null")
        try:
            outputs = self.graph(arrays, requests)
        except MXNetError:
            self.check_indices(arrays)
            raise
        return _build_output(self.structure, iter(outputs))

    def check_indices(self, arrays):
        """IndexError, as eagerly, where an int index the trace checked
        against its shapes is out of bounds for these arrays' (the graph's
        slice then fails to bind with an error of its own)."""
        shapes = {name: array.shape
                  for name, array in zip(self.input_names, arrays)}
        for symbol, axis, index in self.index_guards:
            wanted = set(symbol.list_inputs())
            try:
                _, (shape,), _ = symbol.infer_shape_partial(
                    **{name: shape for name, shape in shapes.items()
                       if name in wanted})
            except MXNetError:
                continue  # inference fails before this index: not it
            extent = shape[axis] if shape and axis < len(shape) else 0
            if extent > 0 and not -extent <= index < extent:
                raise IndexError("index %d is out of bounds for axis %d with "
                                 "size %d" % (index, axis, extent)) from None


# How far the place scan looks into containers and objects (P['w'],
# self.params['w'], cfg.model.w), how many entries of each it reads, and
# how many calls deep it follows the functions the function calls.
_SCAN_DEPTH = 3
_SCAN_ITEMS = 4096
_FUNCTION_DEPTH = 4
# Functions of these packages are not scanned (they hold no user arrays).
_LIBRARY_MODULES = ("kiln", "mxnet", "numpy", "builtins", "functools")


class _PlaceScan(object):
    """The places a traced function can read arrays through, and what they
    hold: the globals named by its code (and by the code of the
    comprehensions, lambdas and inner functions in it, and its string
    constants, for globals()['W']), its closure cells, what those and the
    static arguments hold (dict and list items, object attributes and
    slots, _SCAN_DEPTH levels deep; attributes of modules it names), and
    the same for the functions it reaches there (helpers, methods and
    their instance, functools.partial, wrapped functions, callable
    objects, jitted functions), _FUNCTION_DEPTH calls deep.

    After scan():
    * found: [(key, lookup, value)] for each place holding an array of
      `wanted` or a Gluon Block (either bound by identity); lookup() gives
      what the place holds now, key names it the same way in every trace
      (("global", module, "P"), ("_item", "w"));
    * guards: [(key, lookup)] for names that held None or a number, which
      must not hold an array later (lazy initialization: `b = None`, then
      `b = mx.nd.zeros(...)`, which the trace could not see);
    * leaked: the keys of places holding a traced array (the function
      stored one: `global W; W = W * 2`)."""

    def __init__(self, wanted, statics=()):
        self.wanted = {id(array): array for array in wanted}
        self.statics = statics
        self.found, self.guards, self.leaked = [], [], []
        self._seen_values, self._seen_functions = set(), set()

    def scan(self, fn):
        self._function(fn, 0)
        for index, value in enumerate(self.statics):
            self._value(("static", index), functools.partial(_same, value),
                        value, _SCAN_DEPTH)
        return self

    def _function(self, fn, depth):
        if depth > _FUNCTION_DEPTH or id(fn) in self._seen_functions:
            return
        self._seen_functions.add(id(fn))
        if isinstance(fn, JitFunction):
            return self._function(fn._fn, depth)
        if isinstance(fn, functools.partial):
            for index, value in enumerate(tuple(fn.args) +
                                          tuple(fn.keywords.values())):
                self._value(("partial", _code_key(fn.func), index),
                            functools.partial(_same, value), value,
                            _SCAN_DEPTH)
            return self._function(fn.func, depth)
        if isinstance(fn, types.MethodType):
            owner = fn.__self__
            self._value(("self", _code_key(fn.__func__)),
                        functools.partial(_same, owner), owner, _SCAN_DEPTH)
            return self._function(fn.__func__, depth)
        wrapped = getattr(fn, "__wrapped__", None)
        if wrapped is not None and wrapped is not fn:
            self._function(wrapped, depth)
        if not isinstance(fn, types.FunctionType):
            if callable(fn) and not isinstance(fn, type):
                # A callable object: its attributes, and its __call__.
                self._value(("object", type(fn).__qualname__),
                            functools.partial(_same, fn), fn, _SCAN_DEPTH)
                self._function(getattr(type(fn), "__call__", None), depth)
            return
        if (getattr(fn, "__module__", None) or "").split(".")[0] in \
                _LIBRARY_MODULES and depth > 0:
            return
        names, strings = set(), set()
        _code_names(fn.__code__, names, strings)
        module = fn.__globals__
        module_name = module.get("__name__")
        for name in sorted(names | (strings & set(module))):
            if name in module:
                self._root(("global", module_name, name),
                           functools.partial(module.get, name), module[name],
                           names, depth)
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            self._root(("closure", _code_key(fn), name),
                       functools.partial(_cell_value, cell), value, names,
                       depth)

    def _root(self, key, lookup, value, names, depth):
        """A global or closure name holding `value`."""
        if isinstance(value, (types.FunctionType, types.MethodType,
                              functools.partial, JitFunction)):
            self._function(value, depth + 1)
        elif isinstance(value, types.ModuleType):
            # mymod.W: the module's attributes the code names.
            for name in sorted(names):
                inner = getattr(value, name, None)
                if inner is not None and not isinstance(
                        inner, (types.ModuleType, type)):
                    self._root(key + ("_attribute", name),
                               functools.partial(_attribute, lookup, name),
                               inner, (), depth)
        elif value is None or isinstance(value, (numbers.Number, np.generic)):
            self.guards.append((key, lookup))
        else:
            self._value(key, lookup, value, _SCAN_DEPTH)

    def _value(self, key, lookup, value, depth):
        """Records `value` (what lookup() gives, at the place `key` names)
        if it is a wanted array, a Gluon Block or a traced array, and
        looks inside it."""
        if isinstance(value, TracedArray):
            self.leaked.append(key)
            return
        if isinstance(value, _nd.NDArray):
            if self.wanted.get(id(value)) is value:
                self.found.append((key, lookup, value))
            return
        if isinstance(value, Block):
            # Another block there (net = net2) has other parameters.
            self.found.append((key, lookup, value))
        if depth == 0 or id(value) in self._seen_values:
            return
        self._seen_values.add(id(value))
        if isinstance(value, dict):
            entries, read = list(value.items())[:_SCAN_ITEMS], _item
        elif isinstance(value, (list, tuple)):
            entries, read = list(enumerate(value[:_SCAN_ITEMS])), _item
        elif isinstance(value, (type, types.ModuleType, types.FunctionType,
                                types.MethodType, functools.partial,
                                str, bytes, numbers.Number, np.ndarray)):
            return
        else:
            entries, read = _attributes(value), _attribute
            if isinstance(value, Block):
                # Its own attributes (self.w of a jitted method), not its
                # children and parameters: those are tracked as the
                # parameters the trace reads, and guarding each child
                # block cost every call of a 12-layer net 10 us.
                entries = [(name, item) for name, item in entries
                           if not name.startswith("_")]
        for inner, item in entries:
            self._value(key + (read.__name__, inner),
                        functools.partial(read, lookup, inner), item,
                        depth - 1)


def _place_text(key):
    """A place's key as Python: global W, P['w'], self.w."""
    kind = key[0]
    if kind == "global":
        text, rest = "global " + key[2], key[3:]
    elif kind == "closure":
        text, rest = "closure variable " + key[2], key[3:]
    elif kind == "partial":
        text, rest = "a functools.partial argument", key[3:]
    elif kind == "self":
        text, rest = "self", key[2:]
    else:  # a static argument, a callable object
        text, rest = "a %s argument" % kind, key[2:]
    for index in range(0, len(rest) - 1, 2):
        how, inner = rest[index], rest[index + 1]
        text += ("[%r]" % (inner,) if how == "_item" else ".%s" % inner)
    return text


def _code_names(code, names, strings):
    """The global names, and the identifier-like string constants, of
    `code` and the code objects nested in it."""
    names.update(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            _code_names(constant, names, strings)
        elif isinstance(constant, str) and constant.isidentifier():
            strings.add(constant)


def _code_key(fn):
    code = getattr(fn, "__code__", None)
    if code is None:
        return getattr(fn, "__qualname__", type(fn).__qualname__)
    return (code.co_filename, code.co_firstlineno, code.co_name)


def _attributes(value):
    """(name, value) of an object's attributes: its __dict__'s and its
    __slots__'."""
    entries = []
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict):
        entries = list(attributes.items())[:_SCAN_ITEMS]
    for cls in type(value).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in ((slots,) if isinstance(slots, str) else slots):
            if name in ("__dict__", "__weakref__"):
                continue
            try:
                entries.append((name, getattr(value, name)))
            except AttributeError:  # an unset slot
                continue
    return entries


def _same(value):
    return value


def _item(lookup, key):
    try:
        return lookup()[key]
    except Exception:  # noqa: BLE001 - gone or no longer indexable
        return None


def _attribute(lookup, name):
    return getattr(lookup(), name, None)


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:  # emptied (del of the closure variable)
        return None


# What a place that held None or a number at trace time must not become.
_NO_ARRAY = object()


def _like(array):
    """What an array rebound in its place must agree with."""
    return (array.shape, array.dtype, array.context)


def _fits(now, like):
    """Whether `now`, found in a place, can be the data input that held an
    array `like` (_like) when traced."""
    return (isinstance(now, _nd.NDArray) and
            (now.shape, now.dtype, now.context) == like)


def _as_array(leaf, context):
    """An argument as the graph takes it: a number as a 0-d array on the
    arrays' context."""
    if isinstance(leaf, _nd.NDArray):
        return leaf
    dtype = _NUMBER_DTYPES[_number_kind(leaf)]
    return _nd.array(np.asarray(leaf, dtype=dtype), ctx=context, dtype=dtype)


def _leaf_signature(leaf):
    if isinstance(leaf, _nd.NDArray):
        # The numpy type itself (np.float32): hashable and cheaper than
        # its name.
        return (leaf.ndim, leaf.dtype, leaf.context)
    return _number_kind(leaf)


# -- the decorator --------------------------------------------------------
# Traces kept per function for a function that reads shapes (one trace per
# set of shapes), the least recently used going first: each holds the
# executor of its shapes, so a function called with ever new shapes kept
# them all (60 batch sizes of a (n, 64, 64) reshape: 154 MiB and growing).
_MAX_SHAPE_TRACES = 8
# A call whose shapes' trace was evicted runs eagerly until its 32nd call
# since, then is traced again: CachedGraph's rule for evicted signatures
# (gluon/_cached_graph.py's EvictedKeys).

class JitFunction(object):
    """A function compiled by kiln.jit; call it as the function. Also:
    cache_info() (hits, misses = traces, currsize = traces kept) and
    clear_cache()."""

    def __init__(self, fn, static_argnums, static_argnames):
        if not callable(fn):
            raise MXNetTypeError("jit: expected a function, got %s"
                                 % type(fn).__name__)
        functools.update_wrapper(self, fn)
        self._fn = fn
        self._name = getattr(fn, "__qualname__", None) or repr(fn)
        self._static_argnums, self._static_argnames = _static_arguments(
            fn, static_argnums, static_argnames)
        try:
            parameters = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):  # a builtin without a signature
            parameters = []
        self._positional_names = [
            parameter.name for parameter in parameters
            if parameter.kind in (parameter.POSITIONAL_ONLY,
                                  parameter.POSITIONAL_OR_KEYWORD)]
        self._cache = {}
        self._shape_keyed = set()  # signatures whose trace read shapes
        # Keys of traces held for one set of shapes, least recently used
        # first (see _MAX_SHAPE_TRACES).
        self._shape_traces = collections.OrderedDict()
        # Keys of evicted shape traces (their calls run eagerly for a while).
        self._evicted = EvictedKeys()
        # Signatures whose trace needed values on the host: run eagerly.
        self._eager = set()
        # Keys of the places (_PlaceScan) seen rebound between calls.
        self._rebound = set()
        self._hits = 0
        self._misses = 0

    def __get__(self, instance, owner=None):
        # A jitted method: the instance is its first argument (make it
        # static, static_argnums=0, unless it is an array).
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)

    def __repr__(self):
        return "<kiln.jit of %s>" % self._name

    def cache_info(self):
        """CacheInfo(hits, misses, maxsize=None, currsize): calls that
        reused a trace, calls that traced the function (one per new
        signature, or per new shape for a function that reads shapes),
        and traces kept."""
        return CacheInfo(self._hits, self._misses, None, len(self._cache))

    def clear_cache(self):
        """Forgets every trace (the next calls trace again)."""
        self._cache.clear()
        self._shape_keyed.clear()
        self._shape_traces.clear()
        self._evicted.clear()
        self._eager.clear()
        self._rebound.clear()
        self._hits = self._misses = 0

    def __call__(self, *args, **kwargs):
        statics, dynamic_args, dynamic_kwargs = self._split(args, kwargs)
        leaves = []
        structure = (
            tuple(_flatten(value, leaves, self._where(index))
                  for index, value in dynamic_args),
            tuple((name, _flatten(value, leaves, (name, self._name)))
                  for name, value in sorted(dynamic_kwargs.items())))
        if _op_gen.tracing() or any(isinstance(leaf, TracedArray)
                                    for leaf in leaves):
            # Called while another function is traced (on its arrays or
            # only on global ones): traced inline.
            return self._fn(*args, **kwargs)
        shapes = tuple(getattr(leaf, "shape", None) for leaf in leaves)
        if any(shape and 0 in shape for shape in shapes):
            # A zero-size batch: MXNet's graphs read a 0 extent as unknown,
            # so no trace holds it. It runs eagerly, the same operators, as
            # a hybridized block runs it op by op.
            return self._fn(*args, **kwargs)
        signature = (len(args), statics, structure,
                     tuple(_leaf_signature(leaf) for leaf in leaves))
        if signature in self._eager:
            return self._fn(*args, **kwargs)
        key = ((signature, shapes) if signature in self._shape_keyed
               else signature)
        entry = self._cache.get(key)
        if entry is not None and entry.stale():
            # Its arrays were replaced: trace again. Places rebound to
            # arrays like the traced ones (a manual SGD step) are data
            # inputs of the new trace, so later steps reuse it.
            self._rebound |= entry.rebound_places()
            entry = None
        if entry is None:
            if self._evicted.defers(key):
                # Shapes whose trace was evicted: more shapes in turn than
                # are kept. Tracing again on each return cost every call a
                # trace (9 batch sizes in turn: 4.7 ms a step, 1.6
                # eagerly); such calls run eagerly, the same operators, as
                # CachedGraph runs an evicted signature op by op.
                return self._fn(*args, **kwargs)
            try:
                entry = self._trace(args, kwargs, [index for index, _ in
                                                   dynamic_args],
                                    structure, leaves)
            except MXNetError as error:
                if not _needs_host_values(error):
                    raise
                # An operator whose result's shape depends on values
                # (boolean_mask): no graph holds it. The signature runs
                # eagerly from now on, as hybridize() falls back to
                # running a block imperatively, with one warning.
                self._eager.add(signature)
                warnings.warn("jit: `%s` runs eagerly for these argument "
                              "types: %s" % (self._name, error),
                              stacklevel=2)
                return self._fn(*args, **kwargs)
            if entry.shape_dependent:
                # Its trace holds for these shapes only.
                self._shape_keyed.add(signature)
                key = (signature, shapes)
            elif signature in self._shape_keyed:
                # This trace holds for every shape: the earlier one read
                # shapes only while a Gluon block inside initialized its
                # parameters (deferred initialization), which kept a trace
                # per shape, never evicted (400 batch sizes: 400 traces).
                self._shape_keyed.discard(signature)
                for old in [old for old in self._shape_traces
                            if old[0] == signature]:
                    del self._shape_traces[old]
                    self._cache.pop(old, None)
                key = signature
            self._cache[key] = entry
            self._misses += 1
        else:
            self._hits += 1
        if signature in self._shape_keyed:
            self._shape_traces.pop(key, None)
            self._shape_traces[key] = True
            while len(self._shape_traces) > _MAX_SHAPE_TRACES:
                evicted, _ = self._shape_traces.popitem(last=False)
                self._cache.pop(evicted, None)
                self._evicted.add(evicted)
        return entry.run(leaves)

    def _where(self, index):
        """Positional argument `index` as _flatten takes it: named by its
        parameter where the function has one."""
        if index < len(self._positional_names):
            return (self._positional_names[index], self._name)
        return (str(index), self._name)

    def _places(self, dynamic_args, kwargs):
        """Where each leaf of the call's dynamic arguments is, in leaf
        order (the flattening again, for a trace's error messages)."""
        leaves, places = [], []
        for index, value in dynamic_args:
            _flatten(value, leaves, self._where(index), places)
        for name, value in sorted(kwargs.items()):
            if name not in self._static_argnames:
                _flatten(value, leaves, (name, self._name), places)
        return places

    def _split(self, args, kwargs):
        """(static values (hashable key), dynamic positional arguments
        [(index, value)], dynamic keyword arguments {name: value})."""
        count = len(args)
        numbers_ = set()
        for number in self._static_argnums:
            index = number + count if number < 0 else number
            if 0 <= index < count:
                numbers_.add(index)
        statics = []
        dynamic_args = []
        for index, value in enumerate(args):
            if index in numbers_:
                statics.append(("#%d" % index, _static_key(
                    value, _where_text(self._where(index)))))
            else:
                dynamic_args.append((index, value))
        dynamic_kwargs = {}
        for name, value in sorted(kwargs.items()):
            if name in self._static_argnames:
                statics.append((name, _static_key(
                    value, _where_text((name, self._name)))))
            else:
                dynamic_kwargs[name] = value
        return tuple(statics), dynamic_args, dynamic_kwargs

    def _trace(self, args, kwargs, dynamic_indices, structure, leaves):
        """Calls the function on traced arrays; its _Entry."""
        arrays = [leaf for leaf in leaves if isinstance(leaf, _nd.NDArray)]
        context = arrays[0].context if arrays else current_context()
        trace = Trace(self._name, context)
        places = self._places([(index, args[index])
                               for index in dynamic_indices], kwargs)
        names, traced = [], []
        for index, (leaf, place) in enumerate(zip(leaves, places)):
            name = "jit_arg%d" % index
            names.append(name)
            if isinstance(leaf, _nd.NDArray):
                traced.append(trace.argument(name, leaf.shape, leaf.dtype,
                                             what=place))
            else:
                traced.append(trace.argument(
                    name, (), _NUMBER_DTYPES[_number_kind(leaf)], weak=True,
                    what=place))
        # The call's arguments with the traced arrays in place.
        traced_iter = iter(traced)
        call_args = list(args)
        positional, keyword = structure
        for index, item in zip(dynamic_indices, positional):
            call_args[index] = _unflatten(item, traced_iter)
        call_kwargs = dict(kwargs)
        for name, item in keyword:
            call_kwargs[name] = _unflatten(item, traced_iter)
        result = run_traced(trace, self._fn, call_args, call_kwargs)
        entry = _Entry(trace, names, result)
        scan = _PlaceScan(
            list(entry.constants.values()) + entry.returned,
            self._statics(args, kwargs, dynamic_indices)).scan(self._fn)
        if scan.leaked:
            raise MXNetError(
                "jit: `%s` stored a traced value in %s while it was traced: "
                "the stored value would be a placeholder after the trace, "
                "and later calls would not store anything; return the new "
                "value and assign it after the call"
                % (self._name, _place_text(scan.leaked[0])))
        entry.bind_places(scan, self._rebound, trace.parameter_reads)
        return entry

    def _statics(self, args, kwargs, dynamic_indices):
        """The call's static argument values."""
        dynamic = set(dynamic_indices)
        return [value for index, value in enumerate(args)
                if index not in dynamic] + [
            value for name, value in kwargs.items()
            if name in self._static_argnames]


def _static_key(value, where):
    """(type, value) of a static argument; MXNetTypeError for an
    unhashable one, as JAX."""
    try:
        hash(value)
    except TypeError as error:
        raise MXNetTypeError(
            "jit: static %s must be hashable (it selects the trace), got a "
            "%s: %s (%s); pass a tuple instead of a list, or make it a "
            "dynamic argument" % (where, type(value).__name__,
                                  _short_repr(value), error)) from None
    return (type(value), value)


def _static_arguments(fn, static_argnums, static_argnames):
    """(static positions, static names) after JAX's rules: an int or
    sequence of ints, a str or sequence of strs; positions and names of
    the same parameters cover each other. MXNetValueError for positions
    beyond the function's positional parameters or names it has not (when
    it takes no *args / **kwargs); MXNetTypeError for other types."""
    if static_argnums is None:
        static_argnums = ()
    if isinstance(static_argnums, (numbers.Integral, np.integer)):
        static_argnums = (static_argnums,)
    if isinstance(static_argnames, str):
        static_argnames = (static_argnames,)
    if static_argnames is None:
        static_argnames = ()
    try:
        static_argnums = tuple(static_argnums)
        static_argnames = tuple(static_argnames)
    except TypeError:
        raise MXNetTypeError("jit: static_argnums expects ints and "
                             "static_argnames strs, got %r and %r"
                             % (static_argnums, static_argnames)) from None
    for number in static_argnums:
        if isinstance(number, bool) or not isinstance(
                number, (numbers.Integral, np.integer)):
            raise MXNetTypeError("jit: static_argnums expects ints, got %r"
                                 % (number,))
    for name in static_argnames:
        if not isinstance(name, str):
            raise MXNetTypeError("jit: static_argnames expects strs, got %r"
                                 % (name,))
    numbers_ = [int(number) for number in static_argnums]
    names = list(static_argnames)
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return tuple(numbers_), frozenset(names)  # no signature to check
    kinds = inspect.Parameter
    positional = [p for p in parameters
                  if p.kind in (kinds.POSITIONAL_ONLY,
                                kinds.POSITIONAL_OR_KEYWORD)]
    var_positional = any(p.kind == kinds.VAR_POSITIONAL for p in parameters)
    var_keyword = any(p.kind == kinds.VAR_KEYWORD for p in parameters)
    function = getattr(fn, "__qualname__", repr(fn))
    for number in numbers_:
        if not var_positional and not (
                -len(positional) <= number < len(positional)):
            raise MXNetValueError(
                "jit: static_argnums %d is out of range: %s takes %d "
                "positional argument%s (%s)"
                % (number, function, len(positional),
                   "" if len(positional) == 1 else "s",
                   ", ".join(p.name for p in positional) or "none"))
    named = {p.name: index for index, p in enumerate(positional)}
    keyword_names = {p.name for p in parameters
                     if p.kind != kinds.VAR_POSITIONAL and
                     p.kind != kinds.VAR_KEYWORD}
    for name in names:
        if name not in keyword_names and not var_keyword:
            raise MXNetValueError(
                "jit: static_argnames '%s' is not a parameter of %s (its "
                "parameters: %s)" % (name, function,
                                     ", ".join(sorted(keyword_names))))
    # Positions and names of the same parameters cover each other.
    for number in list(numbers_):
        if -len(positional) <= number < len(positional):
            parameter = positional[number]
            if parameter.kind == kinds.POSITIONAL_OR_KEYWORD:
                names.append(parameter.name)
            if number < 0 and not var_positional:
                numbers_.append(number + len(positional))
    for name in list(names):
        if name in named and named[name] not in numbers_:
            numbers_.append(named[name])
    if not var_positional:
        numbers_ = [number for number in numbers_ if number >= 0]
    return tuple(sorted(set(numbers_))), frozenset(names)


def jit(fn=None, *, static_argnums=(), static_argnames=()):
    """Compiles `fn` (a function of NDArrays and numbers) whole: traced once
    per signature (array ranks, dtypes and contexts; number kinds;
    argument structure; static arguments by value) into an mx.sym graph
    run on kiln's graph executor. `@jit`, `@jit(static_argnums=1)` and
    `jit(fn, static_argnames="axis")` all work. The rules (JAX's jax.jit;
    MXNet's analogue is hybridize()) follow the parameters below.

    static_argnums: int or ints, positions of arguments passed to `fn` as
    they are (hashable values; each new value traces again); negative
    positions count from the end of fn's positional parameters.
    static_argnames: str or strs, the same by parameter name.

    Returns a JitFunction: call it as `fn`; cache_info(), clear_cache().
    Raises MXNetValueError (a ValueError) for static_argnums outside fn's
    positional parameters or static_argnames that are not among its
    parameters, MXNetTypeError (a TypeError) for a non-callable fn, and on
    calls for unhashable static arguments and for arguments that are not
    NDArrays, numbers or tuples/lists/dicts of them."""
    if fn is None:
        return lambda function: JitFunction(function, static_argnums,
                                            static_argnames)
    return JitFunction(fn, static_argnums, static_argnames)


# help(mx.jit) shows the function: it carries the module's rules too.
jit.__doc__ += "\n\n" + __doc__
