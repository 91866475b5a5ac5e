"""mx.sym.contrib.foreach, while_loop and cond, as MXNet 1.9.1's.

MXNet builds one node (_foreach, _while_loop, _cond) that holds the user's
functions traced into subgraphs. kiln does the same: each is an operator
of kiln/_python_ops.py whose node keeps its subgraphs as MXNet JSON in the
attribute `subgraphs`, with the node's inputs being the loop's arrays and
then the subgraphs' free variables (the outer variables the functions
use). The executor (and a hybridized block) runs the node by evaluating
the subgraphs with kiln's operators step by step, so autograd records
every step and backward through Executor and Module is ordinary; inference
infers the subgraphs. foreach reads no values on the host, so an executor
captures it as one unrolled program per bound shape; while_loop and cond
read their conditions, which keeps their graphs interpreted.

    outs, states = mx.sym.contrib.foreach(body, data, init_states)
    outs, vars = mx.sym.contrib.while_loop(cond, func, loop_vars, max_iterations)
    out = mx.sym.contrib.cond(pred, then_func, else_func)
"""
import json as _json

from .. import _python_ops
from ..base import MXNetError
from ..ndarray import ndarray as _nd
from ..ndarray import op as _ndop
from . import _custom  # noqa: F401  (routes symbol and executor to _python_ops)
from . import symbol as _symbol

__all__ = ["foreach", "while_loop", "cond"]

_CORE = _python_ops.ROUTED_CORE


# -- subgraphs -------------------------------------------------------------
def _flatten(value, what):
    """(list of Symbols, whether value was a list): AssertionError, as
    MXNet's, for anything else."""
    if isinstance(value, _symbol.Symbol):
        return [value], False
    if isinstance(value, (list, tuple)):
        for item in value:
            if not isinstance(item, _symbol.Symbol):
                raise AssertionError("%s must be (nested) list of Symbol, but "
                                     "got %s of type %s"
                                     % (what, item, type(item)))
        return list(value), True
    raise AssertionError("%s must be (nested) list of Symbol, but got %s of "
                         "type %s" % (what, value, type(value)))


def _placeholders(prefix, count):
    return ["%s%d" % (prefix, index) for index in range(count)]


def _free_variables(graphs, placeholders):
    """The outer variables the subgraphs read, as Symbols, in first-use
    order (the node's extra inputs)."""
    found, seen = [], set(placeholders)
    for graph in graphs:
        for node in graph._nodes():
            if node.is_variable() and node.name not in seen:
                seen.add(node.name)
                found.append(_symbol.Symbol([(node, 0)]))
    return found


def _evaluate(graph, values, ctx):
    """The outputs of `graph` over `values` (variable name -> NDArray),
    each node run through kiln's operators (recorded when autograd
    records). An output that is an input array comes back as a copy, so a
    node never returns its own inputs."""
    computed = {}
    for node in graph._nodes():
        if node.is_variable():
            computed[(id(node), 0)] = values[node.name]
            continue
        inputs = [computed[(id(child), index)] for child, index in node.inputs]
        params = node.params()
        if node.input_names and node.input_names[0] == "arg0":
            params.pop("num_args", None)
        result = _CORE.invoke(node.op, inputs, params, None, False, ctx=ctx)
        for index, value in enumerate(result if isinstance(result, list)
                                      else [result]):
            computed[(id(node), index)] = value
    given = set(id(value) for value in values.values())
    return [_ndop.identity(value) if id(value) in given else value
            for value in (computed[(id(node), index)]
                          for node, index in graph._outputs)]


def _infer_graph(graph, shapes, dtypes):
    """({variable: shape}, [output shapes], {variable: dtype}, [output
    dtypes]) of `graph` given some variables' shapes and dtypes; None
    where unknown."""
    names = graph.list_arguments() + graph.list_auxiliary_states()
    known = {name: shape for name, shape in shapes.items()
             if shape and name in names}
    arg_shapes, out_shapes, aux_shapes = graph.infer_shape_partial(**known)
    variable_shapes = {
        name: (tuple(shape) if shape and 0 not in shape else None)
        for name, shape in zip(names, list(arg_shapes) + list(aux_shapes))}
    out_shapes = [tuple(shape) if shape and 0 not in shape else None
                  for shape in out_shapes]
    variable_dtypes = {name: None for name in names}
    out_dtypes = [None] * len(out_shapes)
    known_dtypes = {name: dtype for name, dtype in dtypes.items()
                    if dtype and name in names}
    try:
        arg_types, out_types, aux_types = graph.infer_type(**known_dtypes)
        if arg_types is not None:
            variable_dtypes = {
                name: _dtype_name(dtype) for name, dtype in
                zip(names, list(arg_types) + list(aux_types))}
            out_dtypes = [_dtype_name(dtype) for dtype in out_types]
    except MXNetError:
        pass
    return variable_shapes, out_shapes, variable_dtypes, out_dtypes


def _dtype_name(dtype):
    import numpy as np
    return None if dtype is None else np.dtype(dtype).name


def _parse(attrs):
    """A node's attributes: its subgraphs loaded, the rest as JSON."""
    parsed = {key: _json.loads(value) for key, value in attrs.items()
              if key != "subgraphs"}
    parsed["graphs"] = [_symbol.load_json(text)
                        for text in _json.loads(attrs["subgraphs"])]
    return parsed


def _interface(parsed):
    count = parsed["num_outputs"]
    outputs = ["output"] if count == 1 else _placeholders("output", count)
    return _placeholders("data", len(parsed["inputs"])), [], outputs, {}


def _make_node(op_name, hint, graphs, inputs, input_names, params, name):
    """The node of op_name over `inputs` (Symbols; their names inside the
    subgraphs in input_names), with `graphs` and params as attributes."""
    strings = {key: _json.dumps(value) for key, value in params.items()}
    strings["inputs"] = _json.dumps(input_names)
    strings["subgraphs"] = _json.dumps([graph.tojson() for graph in graphs])
    positional = dict(enumerate(inputs))
    return _symbol._compose_node(op_name, positional, {}, strings, name,
                                 None, hint)


def _copy_out(results, out):
    if out is None:
        return results
    targets = list(out) if isinstance(out, (list, tuple)) else [out]
    for target, result in zip(targets, results):
        result.copyto(target)
    return targets


def _values(parsed, inputs):
    return dict(zip(parsed["inputs"], inputs))


# -- foreach ---------------------------------------------------------------
def _foreach_infer(parsed, shapes, dtypes):
    graph, = parsed["graphs"]
    names = parsed["inputs"]
    num_data = parsed["num_data"]
    length = None
    known_shapes, known_dtypes = {}, dict(zip(names, dtypes))
    for index, (name, shape) in enumerate(zip(names, shapes)):
        if index < num_data:
            if shape:
                length = shape[0]
                known_shapes[name] = tuple(shape[1:])
        elif shape:
            known_shapes[name] = tuple(shape)
    variables, outs, variable_dtypes, out_dtypes = _infer_graph(
        graph, known_shapes, known_dtypes)
    input_results = []
    for index, name in enumerate(names):
        shape = variables.get(name)
        if index < num_data:
            shape = ((length,) + shape if shape is not None and
                     length is not None else None)
        input_results.append((shape, variable_dtypes.get(name)))
    output_results = []
    for index, (shape, dtype) in enumerate(zip(outs, out_dtypes)):
        if index < parsed["num_out_data"]:
            shape = ((length,) + shape if shape is not None and
                     length is not None else None)
        output_results.append((shape, dtype))
    num_out = parsed["num_out_data"]
    for index in range(parsed["num_states"]):
        _check_state_shape(index, input_results[num_data + index][0],
                           output_results[num_out + index][0])
    return input_results, output_results


def _check_state_shape(index, entering, returned):
    """MXNetError when foreach's body changes state `index`'s shape (each
    step's states feed the next, so they must keep their shape)."""
    if entering is not None and returned is not None and \
            tuple(entering) != tuple(returned):
        raise MXNetError(
            "foreach: Check failed: (*out_shape)[i + params.num_out_data] == "
            "(*in_shape)[i + params.in_data_locs.ndim()] (%s vs. %s) : the "
            "body returns state %d with shape %s, expected the shape it "
            "enters with, %s" % (_shape_list(returned), _shape_list(entering),
                                 index, tuple(returned), tuple(entering)))


def _shape_list(shape):
    return "[%s]" % ",".join(str(extent) for extent in shape)


def _foreach_call(parsed, inputs, out, ctx):
    graph, = parsed["graphs"]
    names = parsed["inputs"]
    num_data, num_states = parsed["num_data"], parsed["num_states"]
    num_out = parsed["num_out_data"]
    lengths = set(array.shape[0] if array.ndim else 0
                  for array in inputs[:num_data])
    if len(lengths) != 1 or 0 in lengths:
        raise MXNetError("_foreach: the data arrays must share a non-zero "
                         "first extent (the steps), got shapes %s"
                         % [array.shape for array in inputs[:num_data]])
    length = lengths.pop()
    values = _values(parsed, inputs)
    state_names = names[num_data:num_data + num_states]
    steps = []
    for step in range(length):
        for name, array in zip(names[:num_data], inputs[:num_data]):
            values[name] = _ndop.squeeze(_ndop.slice_axis(
                array, axis=0, begin=step, end=step + 1), axis=0)
        results = _evaluate(graph, values, ctx)
        steps.append(results[:num_out])
        for index, (name, state) in enumerate(zip(state_names,
                                                  results[num_out:])):
            _check_state_shape(index, values[name].shape, state.shape)
        values.update(zip(state_names, results[num_out:]))
    outputs = [_ndop.stack(*[each[index] for each in steps], axis=0)
               for index in range(num_out)]
    return _copy_out(outputs + [values[name] for name in state_names], out)


_python_ops.register("_foreach", infer=_foreach_infer, call=_foreach_call,
                     parse=_parse, interface=_interface, functions=False,
                     doc="MXNet's foreach subgraph operator")


def foreach(body, data, init_states):
    """Runs body(data[i], states) -> (outputs, states) for i along data's
    first axis, as MXNet's mx.sym.contrib.foreach. data and init_states:
    a Symbol or a list of Symbols (body gets them in the same form).
    Returns (outputs stacked along a new first axis, final states), each
    in the form body returned them. AssertionError, as MXNet's, for
    returns that are not Symbols, and for states whose form changes;
    MXNetError (at shape inference or forward) for a state whose shape
    the body changes, as MXNet's shape check."""
    if not callable(body):
        raise TypeError("foreach: body must be callable, got %s"
                        % type(body).__name__)
    data_list, data_is_list = _flatten(data, "data")
    state_list, states_is_list = _flatten(init_states, "init_states")
    name = _symbol._auto_name(None, "_foreach")
    data_names = _placeholders("%s_data" % name, len(data_list))
    state_names = _placeholders("%s_state" % name, len(state_list))
    data_vars = [_symbol.var(each) for each in data_names]
    state_vars = [_symbol.var(each) for each in state_names]
    outs, states = body(data_vars if data_is_list else data_vars[0],
                        state_vars if states_is_list else state_vars[0])
    out_list, outs_is_list = _flatten(outs, "foreach output")
    new_states, new_is_list = _flatten(states, "foreach output")
    if new_is_list != states_is_list or len(new_states) != len(state_list):
        raise AssertionError("The input and output loop_vars have different "
                             "format")
    graph = _symbol.Group(out_list + new_states)
    free = _free_variables([graph], data_names + state_names)
    node = _make_node("_foreach", "_foreach", [graph],
                      data_list + state_list + free,
                      data_names + state_names + [each.name for each in free],
                      {"num_data": len(data_list),
                       "num_states": len(state_list),
                       "num_out_data": len(out_list),
                       "num_outputs": len(out_list) + len(new_states)}, name)
    results = [node[index] for index in range(len(node))]
    outputs = results[:len(out_list)]
    final = results[len(out_list):]
    return (outputs if outs_is_list else outputs[0],
            final if states_is_list else final[0])


# -- while_loop ------------------------------------------------------------
def _while_infer(parsed, shapes, dtypes):
    condition, func = parsed["graphs"]
    names = parsed["inputs"]
    known_shapes = {name: tuple(shape) for name, shape in zip(names, shapes)
                    if shape}
    known_dtypes = dict(zip(names, dtypes))
    variables, outs, variable_dtypes, out_dtypes = _infer_graph(
        func, known_shapes, known_dtypes)
    cond_variables, _, cond_dtypes, _ = _infer_graph(
        condition, known_shapes, known_dtypes)
    input_results = [(variables.get(name) or cond_variables.get(name),
                      variable_dtypes.get(name) or cond_dtypes.get(name))
                     for name in names]
    output_results = []
    for index, (shape, dtype) in enumerate(zip(outs, out_dtypes)):
        if index < parsed["num_out_data"] and shape is not None:
            shape = (parsed["max_iterations"],) + shape
        output_results.append((shape, dtype))
    return input_results, output_results


def _while_call(parsed, inputs, out, ctx):
    condition, func = parsed["graphs"]
    num_out = parsed["num_out_data"]
    values = _values(parsed, inputs)
    steps = []
    for _ in range(parsed["max_iterations"]):
        flag = _evaluate(condition, values, ctx)[0]
        if flag.size != 1:
            raise MXNetError("_while_loop: cond must give one element, got "
                             "shape %s" % (flag.shape,))
        if not flag.asscalar():
            break
        results = _evaluate(func, values, ctx)
        steps.append(results[:num_out])
        values.update(zip(parsed["var_names"], results[num_out:]))
    shapes = _while_infer(parsed, [array.shape for array in inputs],
                          [_dtype_name(array.dtype) for array in inputs])[1]
    outputs = []
    for index in range(num_out):
        shape, dtype = shapes[index]
        rows = [each[index] for each in steps]
        stacked = [_ndop.stack(*rows, axis=0)] if rows else []
        if len(rows) < parsed["max_iterations"]:
            # MXNet leaves the rows past the last step unwritten; zeros.
            stacked.append(_nd.zeros((parsed["max_iterations"] - len(rows),)
                                     + tuple(shape[1:]), ctx=ctx,
                                     dtype=dtype or "float32"))
        outputs.append(stacked[0] if len(stacked) == 1 else
                       _ndop.concat(*stacked, dim=0))
    return _copy_out(outputs + [values[name]
                                for name in parsed["var_names"]], out)


_python_ops.register("_while_loop", infer=_while_infer, call=_while_call,
                     parse=_parse, interface=_interface, functions=False,
                     doc="MXNet's while_loop subgraph operator")


def while_loop(cond, func, loop_vars, max_iterations=None):
    """While cond(*loop_vars) (a one-element Symbol) is non-zero and fewer
    than max_iterations steps ran: outputs, loop_vars = func(*loop_vars),
    as MXNet's mx.sym.contrib.while_loop. Returns (outputs stacked into
    max_iterations rows (rows past the last step: zeros here, unwritten
    in MXNet), final loop_vars), in the forms func gave them. ValueError
    without max_iterations, MXNetError for max_iterations < 1, AssertionError for returns that are not
    Symbols or loop_vars whose form changes, as MXNet's."""
    if max_iterations is None:
        raise ValueError("max_iterations should be specified")
    max_iterations = int(max_iterations)
    var_list, vars_is_list = _flatten(loop_vars, "loop_vars")
    name = _symbol._auto_name(None, "_while_loop")
    if max_iterations < 1:   # MXNet's WhileLoopParam: set_lower_bound(1)
        raise MXNetError("value %d for Parameter max_iterations should be "
                         "greater equal to 1, in operator _while_loop(name=\"%s\")"
                         % (max_iterations, name))
    var_names = _placeholders("%s_var" % name, len(var_list))
    placeholders = [_symbol.var(each) for each in var_names]
    condition, _ = _flatten(cond(*placeholders), "cond output")
    if len(condition) != 1:
        raise AssertionError("cond must return one Symbol, got %d"
                             % len(condition))
    result = func(*placeholders)
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        raise AssertionError("func must return (outputs, new_loop_vars)")
    outs, new_vars = result
    out_list, outs_is_list = ([], True) if outs is None or (
        isinstance(outs, (list, tuple)) and not outs) else _flatten(
            outs, "while_loop output")
    new_list, new_is_list = _flatten(new_vars, "while_loop output")
    if len(new_list) != len(var_list):
        raise AssertionError("The length of loop_vars should be consistent "
                             "during the loop")
    graphs = [_symbol.Group(condition), _symbol.Group(out_list + new_list)]
    # As MXNet's: the node reads the subgraphs' variables in the order the
    # subgraphs use them (cond's, then func's), the loop's among them.
    used = _free_variables(graphs, [])
    used_names = [each.name for each in used]
    by_placeholder = dict(zip(var_names, var_list))
    inputs = [by_placeholder.get(each.name, each) for each in used]
    unused = [each for each in var_names if each not in used_names]
    node = _make_node("_while_loop", "_while_loop", graphs,
                      inputs + [by_placeholder[each] for each in unused],
                      used_names + unused,
                      {"var_names": var_names,
                       "num_out_data": len(out_list),
                       "max_iterations": max_iterations,
                       "num_outputs": len(out_list) + len(new_list)}, name)
    results = [node[index] for index in range(len(node))]
    outputs, final = results[:len(out_list)], results[len(out_list):]
    return (outputs if outs_is_list else outputs[0],
            final if vars_is_list else final[0])


# -- cond ------------------------------------------------------------------
def _cond_infer(parsed, shapes, dtypes):
    predicate, then_graph, else_graph = parsed["graphs"]
    names = parsed["inputs"]
    known_shapes = {name: tuple(shape) for name, shape in zip(names, shapes)
                    if shape}
    known_dtypes = dict(zip(names, dtypes))
    inferred = [_infer_graph(graph, known_shapes, known_dtypes)
                for graph in (then_graph, else_graph, predicate)]
    input_results = []
    for name in names:
        shape = next((each[0].get(name) for each in inferred
                      if each[0].get(name)), None)
        dtype = next((each[2].get(name) for each in inferred
                      if each[2].get(name)), None)
        input_results.append((shape, dtype))
    then_outs, else_outs = inferred[0], inferred[1]
    output_results = [(shape or other, dtype or other_dtype)
                      for shape, other, dtype, other_dtype in zip(
                          then_outs[1], else_outs[1], then_outs[3],
                          else_outs[3])]
    return input_results, output_results


def _cond_call(parsed, inputs, out, ctx):
    predicate, then_graph, else_graph = parsed["graphs"]
    values = _values(parsed, inputs)
    flag = _evaluate(predicate, values, ctx)[0]
    if flag.size != 1:
        raise MXNetError("_cond: pred must give one element, got shape %s"
                         % (flag.shape,))
    branch = then_graph if flag.asscalar() else else_graph
    return _copy_out(_evaluate(branch, values, ctx), out)


_python_ops.register("_cond", infer=_cond_infer, call=_cond_call,
                     parse=_parse, interface=_interface, functions=False,
                     doc="MXNet's cond subgraph operator")


def cond(pred, then_func, else_func):
    """then_func() where pred (a one-element Symbol) is non-zero, else
    else_func(), as MXNet's mx.sym.contrib.cond: both return a Symbol or a
    list of as many Symbols, in the form then_func gave. TypeError for
    functions that are not callable, AssertionError for returns that are
    not Symbols or branches whose outputs differ in number."""
    predicate, _ = _flatten(pred, "pred")
    then_list, then_is_list = _flatten(then_func(), "then_func output")
    else_list, _ = _flatten(else_func(), "else_func output")
    if len(then_list) != len(else_list):
        raise AssertionError("Number of outputs differs between then-branch "
                             "and else-branch")
    graphs = [_symbol.Group(predicate), _symbol.Group(then_list),
              _symbol.Group(else_list)]
    free = _free_variables(graphs, [])
    node = _make_node("_cond", "_cond", graphs, free,
                      [each.name for each in free],
                      {"num_outputs": len(then_list)}, None)
    results = [node[index] for index in range(len(node))]
    return results if then_is_list else results[0]
