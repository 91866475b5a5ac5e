"""mx.viz / mx.visualization: a Symbol as a printed layer table or a
Graphviz drawing, as MXNet 1.9.1's mxnet/visualization.py.

    mx.viz.print_summary(net, shape={'data': (1, 1, 28, 28)})
    dot = mx.viz.plot_network(net, shape={'data': (1, 1, 28, 28)})
    dot.render('lenet')        # needs the graphviz Python package

Both read the graph from Symbol.tojson(), MXNet's JSON, so they print
and draw what MXNet's do for the same graph, quirks included:
print_summary lists the operators and the graph's first node (its first
input), counts parameters only for Convolution, FullyConnected,
BatchNorm (2 x channels, with shapes given) and Embedding, and takes a
layer's input width from the second extent of its inputs' shapes.
"""
import copy
import json
import re
import warnings

from .symbol import Symbol

__all__ = ["print_summary", "plot_network"]


def _str2tuple(string):
    """The digit runs of a tuple attribute ('(5, 5)' -> ['5', '5'])."""
    return re.findall(r"\d+", string)


def _shape_dict(symbol, shape):
    """{output name: shape} of every node output of `symbol` for the input
    shapes `shape`; ValueError when they do not determine them all."""
    internals = symbol.get_internals()
    _, out_shapes, _ = internals.infer_shape(**shape)
    if out_shapes is None:
        raise ValueError("Input shape is incomplete")
    return dict(zip(internals.list_outputs(), out_shapes))


def _param_count(node, pre_filter, shapes):
    """MXNet's parameter count of one operator node: pre_filter is the sum
    of its shown inputs' second extents; shapes None without shapes."""
    op, attrs = node["op"], node.get("attrs", {})
    if op == "Convolution":
        count = pre_filter * int(attrs["num_filter"]) // int(
            attrs.get("num_group", "1"))
        for extent in _str2tuple(attrs["kernel"]):
            count *= int(extent)
        if attrs.get("no_bias") != "True":
            count += int(attrs["num_filter"])
        return count
    if op == "FullyConnected":
        bias = 0 if attrs.get("no_bias") == "True" else 1
        return (pre_filter + bias) * int(attrs["num_hidden"])
    if op == "BatchNorm":
        if shapes is None:
            return 0
        return int(shapes[node["name"] + "_output"][1]) * 2
    if op == "Embedding":
        return int(attrs["input_dim"]) * int(attrs["output_dim"])
    return 0


def print_summary(symbol, shape=None, line_length=120,
                  positions=[.44, .64, .74, 1.]):
    """Prints a table of `symbol`'s layers: 'Layer (type)', 'Output Shape'
    (without the batch extent; with `shape` only), 'Param #' and
    'Previous Layer' (one more row per further input), then the total.

    Parameters
    ----------
    symbol : Symbol
        TypeError otherwise.
    shape : dict of str to tuple, optional
        The input shapes (ValueError when they leave a shape unknown).
    line_length : int, default 120
        The width of the table.
    positions : list of 4 numbers, default [.44, .64, .74, 1.]
        Where each column ends: fractions of line_length when the last
        is <= 1, else character positions.

    Returns None.
    """
    if not isinstance(symbol, Symbol):
        raise TypeError("symbol must be Symbol")
    shapes = _shape_dict(symbol, shape) if shape is not None else None
    graph = json.loads(symbol.tojson())
    nodes = graph["nodes"]
    heads = set(graph["heads"][0])
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def row(fields):
        line = ""
        for field, end in zip(fields, positions):
            line = (line + str(field))[:end]
            line += " " * (end - len(line))
        print(line)

    def output_key(node):
        return node["name"] + "_output" if node["op"] != "null" else \
            node["name"]

    def layer(node, out_shape):
        previous = []
        pre_filter = 0
        if node["op"] != "null":
            for entry in node["inputs"]:
                source = nodes[entry[0]]
                # MXNet's test: operators, and the nodes whose position is
                # a number of the first head entry.
                if source["op"] == "null" and entry[0] not in heads:
                    continue
                previous.append(source["name"])
                key = output_key(source)
                if shapes is not None and key in shapes:
                    pre_filter += int(shapes[key][1:][0])
        count = _param_count(node, pre_filter, shapes)
        row(["%s(%s)" % (node["name"], node["op"]),
             "x".join(str(extent) for extent in out_shape), count,
             previous[0] if previous else ""])
        for name in previous[1:]:
            row(["", "", "", name])
        return count

    print("_" * line_length)
    row(["Layer (type)", "Output Shape", "Param #", "Previous Layer"])
    print("=" * line_length)
    total = 0
    for i, node in enumerate(nodes):
        if node["op"] == "null" and i > 0:
            continue
        out_shape = []
        if shapes is not None and (node["op"] != "null" or i in heads):
            out_shape = shapes.get(output_key(node), [None])[1:]
        total += layer(node, out_shape)
        print(("=" if i == len(nodes) - 1 else "_") * line_length)
    print("Total params: {params}".format(params=total))
    print("_" * line_length)


# Graphviz fill colours by kind of node, as MXNet's.
_COLORS = ("#8dd3c7", "#fb8072", "#ffffb3", "#bebada", "#80b1d3",
           "#fdb462", "#b3de69", "#fccde5")
_WEIGHT_SUFFIXES = ("_weight", "_bias", "_beta", "_gamma", "_moving_var",
                    "_moving_mean", "_running_var", "_running_mean")


def _node_look(node):
    """(label, fill colour) of an operator node, as MXNet draws it."""
    op, attrs = node["op"], node.get("attrs") or {}

    def joined(key, default):
        return "x".join(_str2tuple(attrs[key])) if key in attrs else default
    if op == "Convolution":
        return ("Convolution\n%s/%s, %s" % (joined("kernel", None),
                                            joined("stride", "1"),
                                            attrs["num_filter"]), _COLORS[1])
    if op == "FullyConnected":
        return "FullyConnected\n%s" % attrs["num_hidden"], _COLORS[1]
    if op == "BatchNorm":
        return node["name"], _COLORS[3]
    if op == "Activation":
        return "Activation\n%s" % attrs["act_type"], _COLORS[2]
    if op == "LeakyReLU":
        return "LeakyReLU\n%s" % attrs.get("act_type", "Leaky"), _COLORS[2]
    if op == "Pooling":
        return ("Pooling\n%s, %s/%s" % (attrs["pool_type"],
                                        joined("kernel", "[]"),
                                        joined("stride", "1")), _COLORS[4])
    if op in ("Concat", "Flatten", "Reshape"):
        return node["name"], _COLORS[5]
    if op == "Softmax":
        return node["name"], _COLORS[6]
    if op == "Custom":
        return attrs["op_type"], _COLORS[7]
    return node["name"], _COLORS[7]


def plot_network(symbol, title="plot", save_format="pdf", shape=None,
                 dtype=None, node_attrs={}, hide_weights=True):
    """A graphviz.Digraph of `symbol`'s graph, as MXNet's: inputs as ovals,
    operators as boxes labelled with their main attributes, an edge from
    each operator back to each input, labelled with the input's shape
    (without the batch extent) when `shape` is given and its dtype when
    `dtype` is.

    Parameters
    ----------
    symbol : Symbol
        TypeError otherwise.
    title : str, default 'plot'
        The digraph's name.
    save_format : str, default 'pdf'
        The digraph's render format.
    shape, dtype : dict of str to tuple / numpy type, optional
        The inputs' shapes and dtypes (ValueError when they leave one
        unknown).
    node_attrs : dict, optional
        Graphviz node attributes over the defaults (box, fixed size
        1.3 x 0.8034, filled).
    hide_weights : bool, default True
        Leave out inputs named like weights (*_weight, *_bias, *_gamma,
        *_beta, *_moving_mean/var, *_running_mean/var) and their edges.

    ImportError when the graphviz Python package is missing; a
    RuntimeWarning when node names repeat.
    """
    try:
        from graphviz import Digraph
    except ImportError:
        raise ImportError("Draw network requires graphviz library") from None
    if not isinstance(symbol, Symbol):
        raise TypeError("symbol must be a Symbol")
    shapes = _shape_dict(symbol, shape) if shape is not None else None
    types = None
    if dtype is not None:
        internals = symbol.get_internals()
        _, out_types, _ = internals.infer_type(**dtype)
        if out_types is None:
            raise ValueError("Input type is incomplete")
        types = dict(zip(internals.list_outputs(), out_types))
    nodes = json.loads(symbol.tojson())["nodes"]
    names = [node["name"] for node in nodes]
    if len(names) != len(set(names)):
        repeated = sorted({name for name in names if names.count(name) > 1})
        warnings.warn("There are multiple variables with the same name in "
                      "your graph, this may result in cyclic graph. Repeated "
                      "names: " + ",".join(repeated), RuntimeWarning)
    defaults = {"shape": "box", "fixedsize": "true", "width": "1.3",
                "height": "0.8034", "style": "filled"}
    defaults.update(node_attrs)
    dot = Digraph(name=title, format=save_format)

    hidden = set()
    for node in nodes:
        attr = copy.deepcopy(defaults)
        if node["op"] == "null":
            if node["name"].endswith(_WEIGHT_SUFFIXES):
                # Shown weights get no node of their own: graphviz draws
                # the edges' end as a plain oval.
                if hide_weights:
                    hidden.add(node["name"])
                continue
            attr["shape"] = "oval"
            label, attr["fillcolor"] = node["name"], _COLORS[0]
        else:
            label, attr["fillcolor"] = _node_look(node)
        dot.node(name=node["name"], label=label, **attr)

    def edge_key(source):
        if source["op"] == "null":
            return source["name"]
        key = source["name"] + "_output"
        if "num_outputs" in source.get("attrs", {}):
            # MXNet labels the edge with the last output's shape.
            key += str(int(source["attrs"]["num_outputs"]) - 1)
        return key

    for node in nodes:
        if node["op"] == "null":
            continue
        inputs = node["inputs"]
        if node["op"] == "_contrib_BilinearResize2D":
            inputs = inputs[:1]
        for entry in inputs:
            source = nodes[entry[0]]
            if source["name"] in hidden:
                continue
            attr = {"dir": "back", "arrowtail": "open", "label": ""}
            if shapes is not None:
                attr["label"] = "x".join(
                    str(extent) for extent in shapes[edge_key(source)][1:])
            if types is not None:
                attr["label"] += "(%s)" % types[edge_key(source)].__name__
            dot.edge(tail_name=node["name"], head_name=source["name"], **attr)
    return dot
