"""Operators implemented in Python, beside kiln's C++ operator registry.

Some MXNet operators are not kernels of kiln's C++ registry: ``Custom``
(mx.operator's Python operators, kiln/_custom_op.py) and the contrib
operators kiln computes on the host with numpy (kiln/_contrib_ops). This
module gives each such operator what the C++ registry gives the others:

* mx.nd / mx.sym functions under MXNet's names: ``register`` an operator
  named as MXNet registers it (``_contrib_box_nms``) and ``populate`` (which
  kiln/ndarray/contrib.py, kiln/symbol/contrib.py ... call, as they call
  kiln._op_gen.populate for the registry) defines ``box_nms`` in
  mx.nd.contrib and mx.sym.contrib, aliases too;
* symbol nodes: the symbol layer (kiln/symbol/symbol.py) and the executor
  (kiln/executor.py, which Module and hybridized Gluon blocks run through)
  see ``ROUTED_CORE`` as their ``_core`` (``route``): it answers
  symbol_interface, infer_node, invoke and canonical_op_name for the
  operators registered here and passes every other call to kiln._core;
  its parse_symbol_json reads MXNet JSON with such nodes (the C++ reader
  knows only its registry);
* calls: ``invoke`` parses the attributes and runs the operator. By
  default (``forward`` given) the call waits for its inputs, runs forward
  on numpy copies, makes the outputs NDArrays and, while recording with an
  input that takes a gradient, records one autograd node whose backward
  calls ``backward`` on numpy arrays.

Waiting for the inputs raises the capture's MXNetError inside a capture
(kiln/executor.py compiles a graph by recording the engine's pushes), so an
executor whose graph has such a node interprets it node by node, and the
operator's Python runs at every forward, as MXNet's runs at every call.

    register("_contrib_box_iou", inputs=["lhs", "rhs"],
             params=[("format", "'corner'")], parse=..., infer=...,
             forward=..., backward=...)
"""
import json as _json
import types as _types

import numpy as _np

from . import _core
from .base import MXNetError
from ._op_gen import is_hidden_attr

__all__ = ["register", "lookup", "names", "populate", "invoke", "forget",
           "route", "ROUTED_CORE", "parse_symbol_json", "PythonOp"]


class PythonOp(object):
    """One registered operator; see register for the fields."""
    __slots__ = ("name", "aliases", "inputs", "outputs", "params", "parse",
                 "interface", "infer", "forward", "backward", "call",
                 "functions", "doc")

    def __init__(self, **fields):
        for key in self.__slots__:
            setattr(self, key, fields[key])

    def node_interface(self, parsed):
        """(input names, auxiliary state names, visible output names,
        {input: initializer}) of a node with parsed attributes."""
        if self.interface is not None:
            return self.interface(parsed)
        return list(self.inputs), [], list(self.outputs), {}


_OPS = {}          # MXNet's name -> PythonOp
_NAMES = {}        # every name and alias -> MXNet's name
_PARSED = {}       # (name, attrs as sorted items) -> parsed, for nodes
_NAMESPACES = []   # (namespace, submodule, layer) that populate filled


def _default_parse(attrs):
    return dict(attrs)


def register(name, infer, forward=None, backward=None, inputs=(),
             outputs=("output",), params=(), parse=None, interface=None,
             call=None, aliases=(), functions=True, doc=""):
    """Registers the Python operator `name` (MXNet's registered name; it
    and `aliases` name it in JSON and in canonical_op_name) and defines
    its functions in the namespaces populate filled. Returns the PythonOp.

    inputs, outputs: input and visible output names (the node's interface
      and the functions' positional inputs), unless `interface` is given.
    params: [(attribute, default)] in MXNet's order, default as the text of
      the signature or None where required (the functions' positional
      attributes follow the inputs in this order).
    parse(attrs) -> parsed: the attributes (MXNet strings, no __dunder__
      keys) checked and converted (MXNetError naming the attribute);
      default: the dict itself. Parsed values of nodes are cached by
      attributes (see forget), so they must not change.
    interface(parsed) -> (inputs, aux states, outputs, {input: init}).
    infer(parsed, shapes, dtypes) -> ([(shape, dtype)] of the inputs,
      [(shape, dtype)] of the visible outputs): shapes are tuples or None
      where unknown, dtypes numpy names or None; unknown results None.
      MXNetError for inputs the operator refuses.
    forward(parsed, arrays, is_train) -> [numpy arrays]: the visible
      outputs, then any hidden ones backward needs (MXNet's box_nms keeps
      the sorted indices as a hidden output).
    backward(parsed, arrays, outputs, out_grads) -> [numpy array or None]
      per input: None leaves the call unrecorded (no gradient, as MXNet's
      operators without FGradient).
    call(parsed, inputs, out, ctx) -> [NDArray]: the whole imperative call
      instead of forward/backward (Custom's).
    functions: whether populate defines mx.nd/mx.sym functions (Custom has
      hand-written ones).

    MXNetError when a name is taken (here or by kiln's C++ registry)."""
    if (forward is None) == (call is None):
        raise MXNetError("register('%s'): give forward or call, not both"
                         % name)
    for each in (name,) + tuple(aliases):
        if each in _NAMES:
            raise MXNetError("register('%s'): the operator name '%s' is "
                             "already registered" % (name, each))
        if each in _registry_names():
            raise MXNetError("register('%s'): '%s' is an operator of kiln's "
                             "C++ registry" % (name, each))
    op = PythonOp(name=name, aliases=tuple(aliases), inputs=list(inputs),
                  outputs=list(outputs), params=list(params),
                  parse=parse or _default_parse, interface=interface,
                  infer=infer, forward=forward, backward=backward, call=call,
                  functions=functions, doc=doc)
    _OPS[name] = op
    for each in (name,) + op.aliases:
        _NAMES[each] = name
    for namespace, submodule, layer in _NAMESPACES:
        _define(op, namespace, submodule, layer)
    return op


_REGISTRY_NAMES = []


def _registry_names():
    if not _REGISTRY_NAMES:
        _REGISTRY_NAMES.append(frozenset(
            entry[0] for entry in _core.list_ops()))
    return _REGISTRY_NAMES[0]


def lookup(name):
    """The PythonOp registered under `name` or an alias, else None."""
    canonical = _NAMES.get(name)
    return None if canonical is None else _OPS[canonical]


def names():
    """MXNet's names of the registered operators (aliases too)."""
    return sorted(_NAMES)


def forget(name, match=None):
    """Drops the cached parsed attributes of `name`'s nodes (those whose
    attributes satisfy match(attrs), all by default): Custom's props are
    parsed anew once their op_type is registered again."""
    for key in [key for key in _PARSED if key[0] == name and
                (match is None or match(dict(key[1])))]:
        del _PARSED[key]


def _params(attrs):
    return {key: value for key, value in attrs.items()
            if not is_hidden_attr(key)}


def _node_parsed(op, attrs):
    attrs = _params(attrs)
    key = (op.name, tuple(sorted(attrs.items())))
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = _PARSED[key] = op.parse(attrs)
    return parsed


# -- calls ----------------------------------------------------------------
def invoke(name, inputs, attrs, out=None, share_memory=False, ctx=None):
    """kiln._core.invoke for a registered operator: its outputs (an NDArray
    for one, else a list, as kiln._core.invoke; `out` filled when given).
    attrs: MXNet strings. ctx: where an operator without inputs runs."""
    op = lookup(name)
    return _run(op, op.parse(_params(attrs)), inputs, out, ctx)


def _run(op, parsed, inputs, out, ctx):
    if op.call is not None:
        results = op.call(parsed, list(inputs), out, ctx)
    else:
        results = _host_call(op, parsed, list(inputs), out, ctx)
    return results[0] if len(results) == 1 else results


def wait(arrays, ctx):
    """Waits until `arrays` (or, without any, a fresh array on ctx) are
    computed: Python reads them. Inside a capture this raises the
    capture's MXNetError, which makes the executor interpret the graph."""
    from .ndarray import ndarray as nd
    for array in arrays or [nd.zeros((1,), ctx=ctx)]:
        array.wait_to_read()


def check_inputs(label, names, inputs):
    """MXNetError unless `inputs` are as many NDArrays as `names`
    (TypeError for one that is not an NDArray)."""
    from .ndarray import ndarray as nd
    if len(inputs) != len(names):
        raise MXNetError("%s expects %d inputs (%s), got %d"
                         % (label, len(names), ", ".join(names),
                            len(inputs)))
    for index, array in enumerate(inputs):
        if not isinstance(array, nd.NDArray):
            raise TypeError("%s: input %d ('%s') expected an NDArray, got %s"
                            % (label, index, names[index],
                               type(array).__name__))


def _host_call(op, parsed, inputs, out, ctx):
    """Runs `op` on the host: waits for the inputs, infers (checking
    them), runs forward on numpy copies and records backward."""
    from . import autograd
    from .context import current_context
    from .ndarray import ndarray as nd
    input_names, aux_names, output_names, _ = op.node_interface(parsed)
    check_inputs("Operator %s" % op.name, input_names, inputs)
    ctx = inputs[0].context if inputs else (ctx or current_context())
    wait(inputs, ctx)
    _, outputs = op.infer(parsed, [array.shape for array in inputs],
                          [_np.dtype(array.dtype).name for array in inputs])
    arrays = [array.asnumpy() for array in inputs]
    values = list(op.forward(parsed, arrays, autograd.is_training()))
    results = []
    for output, value, (shape, dtype) in zip(output_names, values, outputs):
        value = _np.asarray(value)
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise MXNetError("Operator %s: forward gave output '%s' of shape "
                             "%s, inference %s" % (op.name, output,
                                                   value.shape, shape))
        results.append(nd.array(value, ctx=ctx, dtype=dtype or value.dtype))
    if out is not None:
        out = list(out) if isinstance(out, (list, tuple)) else [out]
        if len(out) != len(results):
            raise MXNetError("Operator %s: out expected %d arrays, got %d"
                             % (op.name, len(results), len(out)))
        for target, result in zip(out, results):
            if tuple(target.shape) != tuple(result.shape):
                raise MXNetError("Operator %s: out expected shape %s, got %s"
                                 % (op.name, result.shape, target.shape))
            target[:] = result
        results = out
    if op.backward is not None and autograd.is_recording():
        _record(op, parsed, inputs, arrays, values, results, ctx)
    return results


def _record(op, parsed, inputs, arrays, values, results, ctx):
    """Records the call for autograd, when some input takes a gradient."""
    from . import autograd
    from .ndarray import ndarray as nd
    takes = [_core.autograd_takes_gradient(array) for array in inputs]
    if not any(takes):
        return

    def backward(output_grads):
        grads = [_np.zeros(result.shape, dtype=result.dtype)
                 if grad is None else grad.asnumpy()
                 for grad, result in zip(output_grads, results)]
        with autograd.pause(train_mode=autograd.is_training()):
            in_grads = op.backward(parsed, arrays, values, grads)
        return [nd.array(_np.asarray(grad), ctx=ctx, dtype=array.dtype)
                if take and grad is not None else None
                for grad, take, array in zip(in_grads, takes, arrays)]

    _core.autograd_record_function(op.name, list(inputs), list(results),
                                   backward)


# -- mx.nd / mx.sym functions --------------------------------------------
def _define(op, namespace, submodule, layer):
    """Defines op's functions (name and aliases) in `namespace` where
    module_of puts them in `submodule`; returns their names."""
    from ._op_gen import make_operator, module_of
    if not op.functions:
        return []
    defined = []
    for each in (op.name,) + op.aliases:
        where, func_name = module_of(each)
        if where != submodule:
            continue
        if layer == "symbol":
            from .symbol._gen import make_symbol_operator
            # MXNet names nodes after the function: box_nms0.
            function = make_symbol_operator(
                op.name, op.inputs, op.params, op.doc, func_name,
                namespace.get("__name__"), hint=func_name.lower())
        else:
            function = make_operator(op.name, op.inputs, op.params, op.doc,
                                     func_name=func_name,
                                     module=namespace.get("__name__"),
                                     invoke=invoke)
        namespace[func_name] = function
        defined.append(func_name)
        if "__all__" in namespace and func_name not in namespace["__all__"]:
            namespace["__all__"].append(func_name)
    return defined


def populate(namespace, submodule, layer):
    """Defines in `namespace` (a module's globals()) the functions of the
    operators registered, now and later, that module_of puts in
    `submodule`, and adds their names to its __all__ (when it has one);
    layer: "ndarray" or "symbol". Returns the names defined now."""
    _NAMESPACES.append((namespace, submodule, layer))
    return [func for op in list(_OPS.values())
            for func in _define(op, namespace, submodule, layer)]


# -- the graph layers' view of kiln._core ---------------------------------
def _symbol_interface(op, attrs):
    python_op = lookup(op)
    if python_op is None:
        return _core.symbol_interface(op, attrs)
    return python_op.node_interface(_node_parsed(python_op, attrs))


def _infer_node(op, attrs, shapes, dtypes, training=False):
    python_op = lookup(op)
    if python_op is None:
        return _core.infer_node(op, attrs, shapes, dtypes, training)
    return python_op.infer(_node_parsed(python_op, attrs), list(shapes),
                           list(dtypes))


def _invoke(name, inputs, attrs, out=None, share_memory=False, ctx=None):
    python_op = lookup(name)
    if python_op is not None:
        # A node's attributes: parsed once per graph, not per run.
        return _run(python_op, _node_parsed(python_op, attrs), inputs, out,
                    ctx)
    return _core.invoke(name, inputs, attrs, out, share_memory, ctx=ctx)


def _canonical_op_name(op):
    canonical = _NAMES.get(op)
    return canonical if canonical is not None else _core.canonical_op_name(op)


def _entry(value, nodes):
    """value as (node, output, version) when it is an input entry naming
    one of `nodes`, else None."""
    if (isinstance(value, list) and len(value) in (2, 3) and
            all(isinstance(part, int) and not isinstance(part, bool)
                for part in value) and 0 <= value[0] < len(nodes) and
            value[1] >= 0):
        return value[0], value[1], value[2] if len(value) == 3 else 0
    return None


def parse_symbol_json(text):
    """kiln._core.parse_symbol_json, also for graphs with nodes of the
    operators registered here.

    kiln's C++ reader checks a graph against its registry, so each such
    node is handed to it as a variable with the node's attributes (entries
    naming its output k read output 0), and the node (its canonical name),
    its inputs and those entries are put back after it read the rest. The
    inputs of these nodes and the entries naming their outputs are checked
    here (earlier nodes, outputs in range, the operator's number of
    inputs), MXNetError naming the node otherwise."""
    try:
        root = _json.loads(text)
    except (TypeError, ValueError):
        return _core.parse_symbol_json(text)
    nodes = root.get("nodes") if isinstance(root, dict) else None
    if not isinstance(nodes, list) or not any(
            isinstance(node, dict) and node.get("op") in _NAMES
            for node in nodes):
        return _core.parse_symbol_json(text)
    if "mxnet_version" not in (root.get("attrs") or {}):
        # Older files get variables inserted by the reader's upgrade,
        # which would shift the nodes put back here.
        raise MXNetError("load_json: %s nodes in graphs of MXNet before 0.9 "
                         "(no mxnet_version) are not supported"
                         % sorted({node.get("op") for node in nodes
                                   if isinstance(node, dict) and
                                   node.get("op") in _NAMES})[0])
    root, python_nodes, redirected = _python_nodes_as_variables(root)
    graph = _core.parse_symbol_json(_json.dumps(root))
    _put_python_nodes_back(graph, len(root["nodes"]), python_nodes,
                           redirected)
    return graph


def _python_nodes_as_variables(root):
    """A copy of the JSON object `root` whose nodes of registered operators
    are variables and whose entries naming their outputs name output 0;
    with {node index: (op name, its 'inputs')} and [(place, output)] of
    those entries (place: ('node', i, position) or ('head', position))."""
    nodes = [dict(node) if isinstance(node, dict) else node
             for node in root["nodes"]]
    python_nodes = {}
    for index, node in enumerate(nodes):
        if isinstance(node, dict) and node.get("op") in _NAMES:
            python_nodes[index] = (_NAMES[node["op"]], node.get("inputs"))
            node["op"], node["inputs"] = "null", []
    redirected = []

    def redirect(entries, place):
        entries = list(entries)
        for position, value in enumerate(entries):
            entry = _entry(value, nodes)
            if entry is not None and entry[0] in python_nodes and entry[1]:
                redirected.append((place + (position,), entry[1]))
                entries[position] = [entry[0], 0, entry[2]]
        return entries
    for index, node in enumerate(nodes):
        if (isinstance(node, dict) and index not in python_nodes and
                isinstance(node.get("inputs"), list)):
            node["inputs"] = redirect(node["inputs"], ("node", index))
    root = dict(root, nodes=nodes)
    if isinstance(root.get("heads"), list):
        root["heads"] = redirect(root["heads"], ("head",))
    return root, python_nodes, redirected


def _put_python_nodes_back(graph, count, python_nodes, redirected):
    """Makes the variables standing for registered operators' nodes in
    `graph` (the C++ reader's result for a graph of `count` nodes) such
    nodes again with their inputs, and the entries in `redirected` name
    their outputs again; checks both."""
    nodes = graph["nodes"] = [list(node) for node in graph["nodes"]]
    outputs = {}  # node index -> its number of visible outputs

    def label(index):
        return "load_json: node %d ('%s')" % (index, nodes[index][1])

    def outputs_of(index):
        if index in outputs:
            return outputs[index]
        if nodes[index][0] == "null":
            return 1
        return len(_core.symbol_interface(nodes[index][0],
                                          _params(nodes[index][2]))[2])
    for index, (op_name, given) in python_nodes.items():
        try:
            interface = _symbol_interface(op_name, nodes[index][2])
        except MXNetError as error:
            raise MXNetError("%s: %s" % (label(index), error))
        outputs[index] = len(interface[2])
        entries = [_entry(value, range(count)) for value in given] \
            if isinstance(given, list) else [None]
        if any(entry is None or entry[0] >= index for entry in entries):
            raise MXNetError("%s: 'inputs' expected a list of [node, output, "
                             "version] naming earlier nodes, got %r"
                             % (label(index), given))
        expected = interface[0]
        if len(entries) != len(expected):
            op_type = nodes[index][2].get("op_type")  # Custom's
            raise MXNetError("%s: operator %s%s expects %d inputs (%s), got "
                             "%d" % (label(index), op_name,
                                     " ('%s')" % op_type if op_type else "",
                                     len(expected), ", ".join(expected),
                                     len(entries)))
        nodes[index][0], nodes[index][3] = op_name, entries
    for place, output in redirected:
        if place[0] == "head":
            entries, owner = graph["heads"], "head %d" % place[1]
        else:
            entries, owner = nodes[place[1]][3], label(place[1])
        source, _, version = entries[place[-1]]
        if output >= outputs[source]:
            raise MXNetError("%s: entry [%d, %d] names output %d of a %s "
                             "node with %d outputs"
                             % (owner, source, output, output,
                                nodes[source][0], outputs[source]))
        entries[place[-1]] = (source, output, version)
    for index in python_nodes:
        for source, output, _ in nodes[index][3]:
            if output >= outputs_of(source):
                raise MXNetError("%s: input [%d, %d] names output %d of a "
                                 "node with %d" % (label(index), source,
                                                   output, output,
                                                   outputs_of(source)))
    graph["nodes"] = [tuple(node) for node in nodes]


class _RoutedCore(_types.ModuleType):
    """kiln._core as the symbol layer and the executor see it: nodes of
    the operators registered here are answered here, everything else by
    kiln._core itself."""

    def __init__(self):
        super(_RoutedCore, self).__init__(_core.__name__, _core.__doc__)

    def __getattr__(self, name):
        return getattr(_core, name)

    def __repr__(self):
        return "<kiln._core, with Python operators routed to " \
               "kiln._python_ops>"

    symbol_interface = staticmethod(_symbol_interface)
    infer_node = staticmethod(_infer_node)
    invoke = staticmethod(_invoke)
    canonical_op_name = staticmethod(_canonical_op_name)
    parse_symbol_json = staticmethod(parse_symbol_json)


ROUTED_CORE = _RoutedCore()


def route(module):
    """Makes `module` (one that evaluates graphs through its global _core)
    see ROUTED_CORE. ImportError when it has no _core to route, so that a
    change there cannot silently leave these nodes unknown."""
    current = getattr(module, "_core", None)
    if current is not _core and current is not ROUTED_CORE:
        raise ImportError("%s has no kiln._core to route Python operators "
                          "through" % module.__name__)
    module._core = ROUTED_CORE
