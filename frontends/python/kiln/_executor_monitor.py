"""What an Executor with a monitor callback reports, as MXNet 1.9.1's
graph executor does (Executor.set_monitor_callback, mx.mon.Monitor).

While a callback is installed the executor interprets its graph node by
node (kiln/executor.py) and calls invoke() for each operator node:

* with monitor_all, before the node runs, each input: a variable input
  first under the variable's own name, then every input as
  ``<node>_<input>``, where <input> is the operator's input name or, for
  operators MXNet registers without input names (Activation, the unary
  math and scalar operators, ... POSITIONAL_INPUTS), ``input<k>``;
* after it runs, each output as ``<node>_<output>``, including the
  outputs MXNet computes but hides: BatchNorm's ``mean`` and ``var``
  (the batch's, or the moving, mean and 1 / sqrt(var + eps)) and
  LayerNorm's ``mean`` and ``std``.

In a training forward that takes gradients, each node also runs on
detached copies of its inputs, recorded on its own; backward() then runs
the nodes' gradients one node at a time in MXNet's backward order (a
depth-first walk from the arguments' gradients, as nnvm builds the
gradient graph) and reports each node's gradients of its inputs (not of
its auxiliary states) as ``<node>_backward_output`` (one input) or
``<node>_backward_output<k>``, then writes the arguments' gradients as
grad_req says.

Not reported (kiln computes no such arrays): MXNet's other hidden outputs
(Dropout's mask, max Pooling's oneDNN workspace, LRN's tmp_norm,
L2Normalization's norm, InstanceNorm's and GroupNorm's statistics, sort's
indices), the backward nodes' inputs under monitor_all, and the helper
nodes of MXNet's gradient graph (sum_grad where gradients add up,
zeros_without_dtype, _head_grad_*), and the backward names of operators
whose MXNet gradient node has names of its own (the legacy operators'
<node>_backward_data, ..., the comparison operators' <node>_in0_backward,
...): kiln names those <node>_backward_output<k> too. Elementwise add and
add_n pass gradients on without a node in MXNet and report nothing.
"""
import re as _re

from . import _core
from . import autograd as _autograd
from .base import MXNetError
from .ndarray import ndarray as _nd

__all__ = ["invoke", "backward"]

# Operators MXNet 1.9.1 registers without FListInputNames: the monitor
# names their inputs input0, input1, ... (found by running each kiln
# operator under MXNet's monitor_all). The scalar operators
# (_plus_scalar, _PlusScalar, ...) are such too (_SCALAR_OP).
POSITIONAL_INPUTS = frozenset("""
Activation BlockGrad Cast Flatten Reshape SoftmaxActivation _copy
_sample_multinomial _shuffle abs arccos arccosh arcsin arcsinh arctan
arctanh argmax argmax_channel argmin argsort broadcast_axes
broadcast_axis broadcast_to cast cbrt ceil clip cos cosh crop degrees
erf erfinv exp expand_dims expm1 fix flatten floor gamma gammaln
hard_sigmoid identity log log10 log1p log2 logical_not make_loss max
max_axis mean min min_axis nanprod nansum negative norm ones_like prod
radians rcbrt reciprocal relu reshape rint round rsqrt
sample_multinomial shape_array shuffle sigmoid sign sin sinh size_array
slice slice_axis smooth_l1 softmin softsign sort sqrt square
stop_gradient sum sum_axis tan tanh topk transpose trunc zeros_like
""".split())
_SCALAR_OP = _re.compile(r"^_.*(_scalar|Scalar)$")

# Operators whose gradient MXNet passes on without a node of its own
# (CloneGradient): their backward is not reported.
PASS_THROUGH_GRADIENT = frozenset(
    "elemwise_add _plus _add _Plus ElementWiseSum add_n".split())

# Operators whose hidden outputs kiln computes through output_mean_var:
# {op: MXNet's names of the outputs after the first}.
HIDDEN_OUTPUTS = {"BatchNorm": ("mean", "var"),
                  "_contrib_BatchNormWithReLU": ("mean", "var"),
                  "LayerNorm": ("mean", "std")}


def _input_label(node, index):
    """MXNet's name of `node`'s input `index` in a monitor callback."""
    if node.op in POSITIONAL_INPUTS or _SCALAR_OP.match(node.op):
        return "input%d" % index
    return node.input_names[index]


def _shows_mean_var(params):
    return str(params.get("output_mean_var", "False")).lower() in (
        "true", "1")


def invoke(executor, core, node, inputs, params, context):
    """Runs `node` over `inputs` through `core` (the executor's _core),
    reporting to executor._monitor_callback as the module docstring says;
    records the node on its own in executor._node_tape when that is a
    dict (a training forward). Returns the node's visible outputs.
    MXNetError naming the node when the operator fails."""
    callback = executor._monitor_callback
    if executor._monitor_all:
        for index, value in enumerate(inputs):
            child = node.inputs[index][0]
            if child.is_variable():
                callback(child.name, value)
            callback("%s_%s" % (node.name, _input_label(node, index)),
                     value)
    hidden = HIDDEN_OUTPUTS.get(node.op, ())
    if hidden and _shows_mean_var(params):
        hidden = ()  # already visible outputs
    if hidden:
        params = dict(params, output_mean_var="True")
    tape = getattr(executor, "_node_tape", None)
    leaves = None
    if tape is not None:
        aux = set(node.aux_positions())
        # Detached copies, so that backward can run this node alone and
        # see the gradient of each input; auxiliary states stay the bound
        # arrays (BatchNorm updates them).
        leaves = [value if index in aux else value.detach()
                  for index, value in enumerate(inputs)]
        for index, leaf in enumerate(leaves):
            if index not in aux:
                leaf.attach_grad()
        inputs = leaves
    try:
        result = core.invoke(node.op, inputs, params, None, False,
                             ctx=context)
    except MXNetError as error:
        raise MXNetError("Error in operator %s: %s" % (node.name, error))
    results = result if isinstance(result, list) else [result]
    names = list(node.output_names) + list(hidden)
    for name, value in zip(names, results):
        callback("%s_%s" % (node.name, name), value)
    results = results[:len(node.output_names)]
    if tape is not None:
        tape[id(node)] = (node, leaves, results)
    return results


def _backward_order(nodes, wanted):
    """The operator nodes whose gradients MXNet's executor computes, in
    its order: depth first from each wanted variable's gradient (in
    `wanted` order), an entry's gradient from its consumers latest first,
    each node after the nodes that give its outputs' gradients."""
    consumers = {}
    for node in nodes:
        for child, index in node.inputs:
            users = consumers.setdefault((id(child), index), [])
            if not users or users[-1] is not node:
                users.append(node)
    order, seen = [], set()
    for variable in wanted:
        stack = [(None, list(reversed(consumers.get((id(variable), 0),
                                                     []))))]
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                if node is not None:
                    order.append(node)
                continue
            consumer = pending.pop(0)
            if id(consumer) in seen:
                continue
            seen.add(id(consumer))
            after = []
            for index in range(len(consumer.output_names)):
                after.extend(reversed(consumers.get((id(consumer), index),
                                                    [])))
            stack.append((consumer, after))
    return order


def _accumulate(grads, key, value):
    grads[key] = value if key not in grads else grads[key] + value


def backward(executor, out_grads, is_train):
    """Backward of a monitored training forward (executor._node_tape),
    node by node in MXNet's order, reporting each node's input gradients;
    then the arguments' gradients into executor.grad_arrays by grad_req.
    out_grads: None or a list with an array or None per output (ones
    where None)."""
    tape = executor._node_tape
    symbol = executor._symbol
    callback = executor._monitor_callback
    heads = executor._heads
    grads = {}
    with _autograd.pause():
        for position, ((node, index), head) in enumerate(
                zip(symbol._outputs, heads)):
            given = out_grads[position] if out_grads is not None else None
            if given is None:
                given = _nd.ones(head.shape, ctx=head.context,
                                 dtype=head.dtype)
            _accumulate(grads, (id(node), index), given)
    nodes = symbol._nodes()
    by_name = {node.name: node for node in nodes if node.is_variable()}
    wanted = [by_name[name] for name in executor._arg_names
              if executor._grad_reqs[name] != "null"]
    for node in _backward_order(nodes, wanted):
        entry = tape.get(id(node))
        if entry is None:
            continue
        _, leaves, results = entry
        pairs = [(value, grads.get((id(node), index)))
                 for index, value in enumerate(results)]
        pairs = [(value, grad) for value, grad in pairs
                 if grad is not None and
                 _core.autograd_takes_gradient(value)]
        if not pairs:
            continue
        # Retained: MXNet's backward may run again on one forward.
        _autograd.backward([value for value, _ in pairs],
                           [grad for _, grad in pairs],
                           retain_graph=True, train_mode=is_train)
        aux = set(node.aux_positions())
        positions = [index for index in range(len(leaves))
                     if index not in aux]
        reported = node.op not in PASS_THROUGH_GRADIENT
        for count, index in enumerate(positions):
            grad = leaves[index].grad
            label = ("output" if len(positions) == 1
                     else "output%d" % count)
            if reported:
                callback("%s_backward_%s" % (node.name, label), grad)
            child, child_index = node.inputs[index]
            _accumulate(grads, (id(child), child_index), grad)
    with _autograd.pause():
        for name, array in zip(executor._arg_names, executor.grad_arrays):
            req = executor._grad_reqs[name]
            if req == "null" or array is None:
                continue
            total = grads.get((id(by_name[name]), 0))
            if total is None:
                if req == "write":
                    array[:] = 0
            elif req == "add":
                (array + total).copyto(array)
            else:
                total.copyto(array)
    # The tape stays until the next forward: backward may run again.

