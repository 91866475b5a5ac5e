"""MXNet 1.9.1's int8 quantization graph passes (MXNet's
src/operator/quantization/quantize_graph_pass.cc, reached there through
the C API's MXQuantizeSymbol and MXSetCalibTableToQuantizedSymbol), on a
symbol's JSON:

    quantize_symbol_json(json_text, excluded_symbols, excluded_operators,
                         offline_params, quantized_dtype, quantize_mode)
        -> (quantized JSON text, calibration layer names)
    calibrate_symbol_json(json_text, th_dict) -> calibrated JSON text

The quantize pass replaces each quantizable node (Convolution,
FullyConnected, Pooling max / avg, Activation relu, Flatten, Concat,
elemwise_add, elemwise_mul, BatchNorm, Embedding; not excluded by name or
operator) by its quantized operator named ``quantized_<name>``:

* an fp32 input it takes quantized gets a ``quantize_v2`` node named
  ``<entry>_quantize`` (out_type quantized_dtype), shared by its
  consumers, or, for a variable named in offline_params, three new
  variables ``<name>_quantize``, ``<name>_quantize_min``/``_max``;
* an input from another quantized node takes that node's int8 output and
  its range;
* an int32 result (convolution, fully connected, elemwise add / mul) gets
  a ``requantize_<name>`` node (out_type quantized_dtype);
* an fp32 consumer (or the graph's output) of a quantized node reads it
  through a ``<name>_dequantize`` node.

quantize_mode 'full' quantizes every quantizable node; 'smart' always
quantizes Convolution and FullyConnected, and the others only when every
input they take quantized comes from a quantized node. The calibration
layers are the fp32 entries the quantize_v2 nodes read (``data``,
``relu0_output``), the requantized nodes' outputs (``conv0_output``) and
the quantized BatchNorms' (``bn_output``), in the new graph's order.

The calibrate pass sets min_calib_range / max_calib_range (as C's "%f"
prints a float) on each quantize_v2, requantize and quantized_batch_norm
node whose layer th_dict ({layer: (min, max)}) names.
"""
import ast as _ast
import json as _json

from .. import _python_ops
from .._executor_monitor import POSITIONAL_INPUTS as _POSITIONAL_INPUTS
# The nodes reachable from heads, inputs first (MXNet's DFS order).
from ..symbol.symbol import _topological as _order

__all__ = ["quantize_symbol_json", "calibrate_symbol_json", "QUANTIZED_OPS",
           "mkldnn_hidden_layers"]

# MXNet's operator -> (its quantized operator, the input positions it
# takes quantized (None: all), whether the int32 result is requantized,
# whether smart mode always quantizes it).
QUANTIZED_OPS = {
    "Convolution": ("_contrib_quantized_conv", None, True, True),
    "FullyConnected": ("_contrib_quantized_fully_connected", None, True,
                       True),
    "Pooling": ("_contrib_quantized_pooling", (0,), False, False),
    "Activation": ("_contrib_quantized_act", (0,), False, False),
    "Flatten": ("_contrib_quantized_flatten", (0,), False, False),
    "Concat": ("_contrib_quantized_concat", None, False, False),
    "elemwise_add": ("_contrib_quantized_elemwise_add", None, True, False),
    "elemwise_mul": ("_contrib_quantized_elemwise_mul", None, True, False),
    "BatchNorm": ("_contrib_quantized_batch_norm", (0,), False, False),
    "Embedding": ("_contrib_quantized_embedding", (1,), False, False),
}

# Operators whose outputs MXNet names by index in the quantize nodes' names
# (no FListOutputNames: flat0_0_quantize), though a monitor or a calibration
# table names them <node>_output. MXNet's unary operators (those without
# input names too) are such; its legacy and nnvm layers with named outputs
# are not.
_NAMED_OUTPUTS = frozenset(["Activation", "SoftmaxActivation", "Pooling",
                            "Convolution", "FullyConnected", "BatchNorm",
                            "Concat", "LRN", "Dropout"])


class _Node(object):
    """A node of the graph being rewritten."""
    __slots__ = ("op", "name", "attrs", "inputs", "extra")

    def __init__(self, op, name, attrs=None, inputs=(), extra=None):
        self.op = op                      # "null" for variables
        self.name = name
        self.attrs = dict(attrs or {})
        self.inputs = list(inputs)        # [(node, output, version)]
        self.extra = extra or {}          # other JSON keys, kept as given

    def is_variable(self):
        return self.op == "null"


def _read(text):
    root = _json.loads(text)
    nodes = []
    for spec in root["nodes"]:
        extra = {key: value for key, value in spec.items()
                 if key not in ("op", "name", "attrs", "inputs", "param")}
        node = _Node(spec["op"], spec["name"],
                     spec.get("attrs") or spec.get("param") or {}, (), extra)
        node.inputs = [(nodes[entry[0]], entry[1],
                        entry[2] if len(entry) > 2 else 0)
                       for entry in spec.get("inputs", [])]
        nodes.append(node)
    heads = [(nodes[entry[0]], entry[1]) for entry in root["heads"]]
    return heads, root.get("attrs") or {}


def _output_names(node):
    """The visible output names of an operator node, as the symbol layer
    lists them (<node>_<name>)."""
    params = {key: value for key, value in node.attrs.items()
              if not (key.startswith("__") and key.endswith("__"))}
    return list(_python_ops.ROUTED_CORE.symbol_interface(node.op, params)[2])


def _entry_name(node, output):
    """The entry's name in calibration tables and monitors."""
    if node.is_variable():
        return node.name
    return "%s_%s" % (node.name, _output_names(node)[output])


def _quantize_node_name(node, output):
    """MXNet's name of the quantize_v2 node reading this entry."""
    if node.is_variable():
        return node.name + "_quantize"
    canonical = _python_ops.ROUTED_CORE.canonical_op_name(node.op)
    if canonical in _POSITIONAL_INPUTS and canonical not in _NAMED_OUTPUTS:
        return "%s_%d_quantize" % (node.name, output)
    return "%s_quantize" % _entry_name(node, output)


def _quantizable(node, excluded_symbols, excluded_operators):
    if node.is_variable():
        return False
    op = _python_ops.ROUTED_CORE.canonical_op_name(node.op)
    if op not in QUANTIZED_OPS or node.name in excluded_symbols or \
            op in excluded_operators or node.op in excluded_operators:
        return False
    if op == "Activation" and node.attrs.get("act_type") != "relu":
        return False  # MXNet's quantized_act takes relu only
    if op == "Pooling" and node.attrs.get("pool_type", "max") not in \
            ("max", "avg"):
        return False
    return True


def _write(heads, attrs):
    order = _order(heads)
    index = {id(node): position for position, node in enumerate(order)}
    nodes, row_ptr = [], [0]
    for node in order:
        spec = {"op": node.op, "name": node.name}
        if node.attrs:
            spec["attrs"] = dict(node.attrs)
        spec["inputs"] = [[index[id(child)], output, version]
                          for child, output, version in node.inputs]
        spec.update(node.extra)
        nodes.append(spec)
        row_ptr.append(row_ptr[-1] + (1 if node.is_variable() else
                                      len(_output_names(node))))
    attrs = dict(attrs)
    attrs.setdefault("mxnet_version", ["int", 10901])
    return _json.dumps({
        "nodes": nodes,
        "arg_nodes": [position for position, node in enumerate(order)
                      if node.is_variable()],
        "node_row_ptr": row_ptr,
        "heads": [[index[id(node)], output, 0] for node, output in heads],
        "attrs": attrs}, indent=2)


class _Pass(object):
    """One run of the quantize pass."""

    def __init__(self, excluded_symbols, excluded_operators, offline_params,
                 quantized_dtype, quantize_mode):
        self.excluded_symbols = set(excluded_symbols or ())
        self.excluded_operators = set(excluded_operators or ())
        self.offline = set(offline_params or ())
        self.dtype = quantized_dtype
        self.smart = quantize_mode == "smart"
        self.new = {}          # id(old node) -> its replacement
        self.quantized = {}    # id(old node) -> (new node giving int8, 3
        #                        outputs: value, min, max)
        self.quantize_nodes = {}   # (id(old node), output) -> entries
        self.offline_nodes = {}    # variable name -> entries
        self.dequantize_nodes = {}  # id(old node) -> new node

    def _quantized_input(self, node, output):
        """[(value entry), (min entry), (max entry)] of the int8 version of
        the old entry (node, output)."""
        if id(node) in self.quantized:
            source = self.quantized[id(node)]
            return [(source, 0, 0), (source, 1, 0), (source, 2, 0)]
        if node.is_variable() and node.name in self.offline:
            entries = self.offline_nodes.get(node.name)
            if entries is None:
                entries = [(_Node("null", node.name + suffix), 0, 0)
                           for suffix in ("_quantize", "_quantize_min",
                                          "_quantize_max")]
                self.offline_nodes[node.name] = entries
            return entries
        key = (id(node), output)
        if key not in self.quantize_nodes:
            source = self._fp32(node, output)
            quantize = _Node("_contrib_quantize_v2",
                             _quantize_node_name(node, output),
                             {"out_type": self.dtype}, [source])
            quantize.extra["__calib__"] = _entry_name(node, output)
            self.quantize_nodes[key] = [(quantize, 0, 0), (quantize, 1, 0),
                                        (quantize, 2, 0)]
        return self.quantize_nodes[key]

    def _fp32(self, node, output, version=0):
        """The new graph's fp32 entry for the old entry (node, output)."""
        if id(node) not in self.quantized:
            return (self.new[id(node)], output, version)
        dequantize = self.dequantize_nodes.get(id(node))
        if dequantize is None:
            source = self.quantized[id(node)]
            dequantize = _Node("_contrib_dequantize",
                               node.name + "_dequantize", {},
                               [(source, 0, 0), (source, 1, 0),
                                (source, 2, 0)])
            self.dequantize_nodes[id(node)] = dequantize
        return (dequantize, 0, 0)

    def _takes_quantized(self, node):
        op = _python_ops.ROUTED_CORE.canonical_op_name(node.op)
        positions = QUANTIZED_OPS[op][1]
        return list(range(len(node.inputs))) if positions is None else \
            [position for position in positions
             if position < len(node.inputs)]

    def _quantize(self, node):
        """Whether `node` (its inputs already rewritten) gets quantized."""
        if not _quantizable(node, self.excluded_symbols,
                            self.excluded_operators):
            return False
        op = _python_ops.ROUTED_CORE.canonical_op_name(node.op)
        if not self.smart or QUANTIZED_OPS[op][3]:
            return True
        return all(id(node.inputs[position][0]) in self.quantized
                   for position in self._takes_quantized(node))

    def run(self, heads):
        for node in _order(heads):
            if node.is_variable():
                self.new[id(node)] = node
                continue
            if not self._quantize(node):
                self.new[id(node)] = _Node(
                    node.op, node.name, node.attrs,
                    [self._fp32(child, output, version)
                     for child, output, version in node.inputs], node.extra)
                continue
            op = _python_ops.ROUTED_CORE.canonical_op_name(node.op)
            quantized_op, _, requantize, _ = QUANTIZED_OPS[op]
            positions = self._takes_quantized(node)
            inputs, ranges = [], []
            for position, (child, output, version) in enumerate(node.inputs):
                if position in positions:
                    value, low, high = self._quantized_input(child, output)
                    inputs.append(value)
                    ranges += [low, high]
                else:
                    inputs.append(self._fp32(child, output, version))
            replacement = _Node(quantized_op, "quantized_" + node.name,
                                node.attrs, inputs + ranges)
            if op == "BatchNorm":
                replacement.extra["__calib__"] = node.name + "_output"
            if requantize:
                replacement = _Node(
                    "_contrib_requantize", "requantize_" + node.name,
                    {"out_type": self.dtype},
                    [(replacement, 0, 0), (replacement, 1, 0),
                     (replacement, 2, 0)])
                replacement.extra["__calib__"] = _entry_name(node, 0)
            self.quantized[id(node)] = replacement
        return [self._fp32(node, output)[:2] for node, output in heads]


def quantize_symbol_json(text, excluded_symbols=None, excluded_operators=None,
                         offline_params=None, quantized_dtype="int8",
                         quantize_mode="smart"):
    """(quantized JSON, calibration layer names) of the symbol JSON `text`;
    see the module docstring."""
    heads, attrs = _read(text)
    new_heads = _Pass(excluded_symbols, excluded_operators, offline_params,
                      quantized_dtype, quantize_mode).run(heads)
    layers = []
    for node in _order(new_heads):
        calib = node.extra.pop("__calib__", None)
        if calib is not None and calib not in layers:
            layers.append(calib)
    return _write(new_heads, attrs), layers


def _calib_key(node):
    """The calibration layer a node of a quantized graph takes its range
    from, or None."""
    if node.op == "_contrib_quantize_v2" and node.inputs:
        return _entry_name(node.inputs[0][0], node.inputs[0][1])
    if node.op == "_contrib_requantize" and node.name.startswith(
            "requantize_"):
        return node.name[len("requantize_"):] + "_output"
    if node.op == "_contrib_quantized_batch_norm" and node.name.startswith(
            "quantized_"):
        return node.name[len("quantized_"):] + "_output"
    return None


def calibrate_symbol_json(text, th_dict):
    """The quantized symbol JSON `text` with the calibration ranges of
    th_dict ({layer: (min, max)}) set; see the module docstring."""
    heads, attrs = _read(text)
    for node in _order(heads):
        key = _calib_key(node)
        if key is not None and key in th_dict:
            low, high = th_dict[key]
            node.attrs["min_calib_range"] = "%f" % float(low)
            node.attrs["max_calib_range"] = "%f" % float(high)
    return _write(heads, attrs)


# What MXNet 1.9.1's default subgraph backend (MKLDNN, when
# MXNET_SUBGRAPH_BACKEND is unset) fuses into one node when quantize_model
# runs the fp32 model to calibrate: a monitor then sees none of the fused
# outputs, so they get no calibration range. Observed on the oracle: every
# 2-D / 3-D Convolution and every FullyConnected (replaced by _sg_mkldnn_*
# nodes); after a convolution, a BatchNorm right after it, then an
# elementwise activation, or an elemwise_add (either input) and a relu
# after it; after a FullyConnected, one elementwise activation. A node
# joins only while the chain's output has one consumer.
_ACTIVATIONS = frozenset(["Activation", "LeakyReLU", "clip"])
_FC_ACTIVATIONS = _ACTIVATIONS | {"square", "sqrt", "exp", "abs"}


def _conv_chain(node, consumers):
    """The nodes a convolution's fused node absorbs after it."""
    chain, state = [], "start"
    while True:
        users = consumers.get(id(node), [])
        if len(users) != 1 or users[0] is None:
            return chain
        user = users[0]
        op = _python_ops.ROUTED_CORE.canonical_op_name(user.op)
        if op == "BatchNorm" and state == "start":
            state = "bn"
        elif op in _ACTIVATIONS and state in ("start", "bn"):
            state = "done"
        elif op == "elemwise_add" and state in ("start", "bn"):
            state = "sum"
        elif op == "Activation" and state == "sum" and \
                user.attrs.get("act_type") == "relu":
            state = "done"
        else:
            return chain
        chain.append(user)
        node = user
        if state == "done":
            return chain


def mkldnn_hidden_layers(text):
    """The entry names (<node>_output) of the fp32 symbol JSON `text` that
    MXNet's default MKLDNN subgraph backend hides from calibration (see
    above)."""
    heads, _ = _read(text)
    nodes = _order(heads)
    consumers = {}
    for node in nodes:
        for child, _, _ in node.inputs:
            consumers.setdefault(id(child), []).append(node)
    for node, _ in heads:   # a graph output is a consumer too
        consumers.setdefault(id(node), []).append(None)
    hidden = []
    for node in nodes:
        if node.is_variable():
            continue
        op = _python_ops.ROUTED_CORE.canonical_op_name(node.op)
        if op == "Convolution" and len(_literal_tuple(
                node.attrs.get("kernel", "()"))) in (2, 3):
            fused = [node] + _conv_chain(node, consumers)
        elif op == "FullyConnected":
            fused = [node]
            users = consumers.get(id(node), [])
            if len(users) == 1 and users[0] is not None and \
                    _python_ops.ROUTED_CORE.canonical_op_name(
                        users[0].op) in _FC_ACTIVATIONS:
                fused.append(users[0])
        else:
            continue
        hidden += [_entry_name(each, 0) for each in fused]
    return set(hidden)


def _literal_tuple(text):
    try:
        value = _ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)
