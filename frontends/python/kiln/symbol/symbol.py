"""Symbol: MXNet 1.9.1's symbolic graphs (mxnet.symbol.symbol).

A Symbol is a list of outputs of graph nodes. A node is a variable (an
argument or auxiliary state the caller binds) or an operator of kiln's
registry with its attributes in MXNet's string forms. The registry says
what each node has (``_core.symbol_interface``: input names, auxiliary
states, output names) and infers shapes and types one node at a time
(``_core.infer_node``: parameter shapes from the data's, output shapes by
running the op in shape-only mode), so a symbol and ``mx.nd`` can never
disagree on what an operator accepts.

    data = mx.sym.var('data')
    fc = mx.sym.FullyConnected(data, num_hidden=10, name='fc')
    fc.list_arguments()            # ['data', 'fc_weight', 'fc_bias']
    fc.infer_shape(data=(32, 784)) # ([(32, 784), (10, 784), (10,)], [(32, 10)], [])
    exe = fc.simple_bind(mx.cpu(), data=(32, 784))

Graphs are saved in MXNet's JSON layout (``tojson``/``save``, read by
``load``/``load_json``), which Apache MXNet 1.x reads and writes too.
"""
import json as _json
import numbers as _numbers
import warnings as _warnings

import numpy as _np

from .. import _core
from .. import attribute as _attribute
from ..base import MXNetError, NotImplementedForSymbol, string_types
from .. import name as _name_module
from .._op_gen import attr_string as _attr_string
from .._op_gen import is_hidden_attr as _is_user_attr

__all__ = ["Symbol", "var", "Variable", "Group", "load", "load_json",
           "pow", "power", "maximum", "minimum", "hypot", "zeros", "ones",
           "full", "arange", "linspace", "eye", "histogram", "split_v2"]

# MXNet's type flags, as __dtype__ attributes and its JSON record dtypes.
_DTYPE_TO_FLAG = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3,
                  "int32": 4, "int8": 5, "int64": 6, "bool": 7,
                  "bfloat16": 12}
_FLAG_TO_DTYPE = {flag: name for name, flag in _DTYPE_TO_FLAG.items()}

# The MXNet version kiln's JSON files claim (1.9.1), as MXNet writes it.
_MXNET_VERSION = 10901


# Attributes MXNet stores as __key__ when set by their plain name (AttrScope,
# _set_attr) and lists by both names.
_HIDDEN_KEYS = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring",
                "mirror_stage", "profiler_scope")


def _hidden(key):
    """`key` as stored: __key__ for MXNet's hidden keys, else unchanged."""
    return "__%s__" % key if key in _HIDDEN_KEYS else key


def _node_key(key):
    """A keyword of a symbol function as its node stores it: MXNet's hidden
    keys by their __key__ names (lr_mult -> __lr_mult__), others as they
    are. MXNetError, as MXNet, for a key ending in a hidden key's name
    (weight_lr_mult): such attributes belong on the variable."""
    for hidden in _HIDDEN_KEYS:
        if key == hidden:
            return "__%s__" % key
        if key.endswith("_" + hidden):
            raise MXNetError(
                "setting variable attributes with %s is deprecated. please "
                "instead use\nw = Variable(%s=...)\nsym = YourSymbolName(%s="
                "w)" % (key, hidden, key[:-len(hidden) - 1]))
    return key


class _Node(object):
    """One node of a graph: a variable (op None) or an operator."""
    __slots__ = ("op", "name", "attrs", "inputs", "input_names",
                 "aux_names", "output_names", "input_inits")

    def __init__(self, op, name, attrs, inputs=()):
        self.op = op
        self.name = name
        self.attrs = dict(attrs)
        self.inputs = list(inputs)
        if op is None:
            self.input_names, self.aux_names = [], []
            self.output_names = [name]
            self.input_inits = {}
        else:
            try:
                (self.input_names, self.aux_names, self.output_names,
                 self.input_inits) = _core.symbol_interface(op, self.params())
            except MXNetError as error:
                raise MXNetError("%s (node '%s'): %s" % (op, name, error))

    def params(self):
        """The operator's own parameters (no user attributes)."""
        return {key: value for key, value in self.attrs.items()
                if not _is_user_attr(key)}

    def is_variable(self):
        return self.op is None

    def aux_positions(self):
        """Indices of the inputs that are auxiliary states."""
        return [index for index, input_name in enumerate(self.input_names)
                if input_name in self.aux_names]


def _topological(heads):
    """The nodes reachable from `heads` ([(node, index)]), each after its
    inputs, inputs in order (MXNet's DFS post-order)."""
    order, seen = [], set()
    for head, _ in heads:
        if id(head) in seen:
            continue
        stack = [(head, 0)]
        seen.add(id(head))
        while stack:
            node, next_input = stack.pop()
            if next_input < len(node.inputs):
                stack.append((node, next_input + 1))
                child = node.inputs[next_input][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                order.append(node)
    return order


def _aux_variable_ids(nodes):
    """ids of the variables some operator uses as an auxiliary state."""
    aux = set()
    for node in nodes:
        for position in node.aux_positions() if node.op else ():
            aux.add(id(node.inputs[position][0]))
    return aux


def _auto_name(name, hint):
    return _name_module.current().get(name, hint)


class Symbol(object):
    """The outputs of a graph (MXNet's Symbol): one, or several after Group
    or with a multi-output operator. Immutable except through _set_attr and
    _compose, as in MXNet."""

    __array_priority__ = 1000.0  # numpy scalars defer to our operators

    def __init__(self, outputs):
        self._outputs = list(outputs)

    # -- structure ------------------------------------------------------
    def _nodes(self):
        return _topological(self._outputs)

    def _single_node(self):
        """The node every output comes from (one output, or all of a
        multi-output operator's), else None (a Group of several nodes)."""
        nodes = {id(node): node for node, _ in self._outputs}
        return next(iter(nodes.values())) if len(nodes) == 1 else None

    @property
    def name(self):
        """The node's name when the outputs are one node's, else None."""
        node = self._single_node()
        return None if node is None else node.name

    def __len__(self):
        return len(self._outputs)

    def __iter__(self):
        return (Symbol([output]) for output in self._outputs)

    def __getitem__(self, index):
        if isinstance(index, string_types):
            names = self.list_outputs()
            matches = [i for i, name in enumerate(names) if name == index]
            if not matches:
                raise ValueError("There are no outputs named %s; the outputs "
                                 "are %s" % (index, names))
            if len(matches) > 1:
                raise ValueError("There are multiple outputs named %s"
                                 % index)
            index = matches[0]
        if isinstance(index, slice):
            return Symbol(self._outputs[index])
        if not isinstance(index, _numbers.Integral):
            raise TypeError("Symbol only supports integer index, slice or "
                            "output name, got %s" % type(index).__name__)
        if not -len(self._outputs) <= index < len(self._outputs):
            raise IndexError("Symbol index %d is out of range for %d outputs"
                             % (index, len(self._outputs)))
        return Symbol([self._outputs[index]])

    def __repr__(self):
        if len(self._outputs) == 1:
            return "<Symbol %s>" % self.name
        return "<Symbol group [%s]>" % ", ".join(
            node.name for node, _ in self._outputs)

    __str__ = __repr__

    def __copy__(self):
        return self._deepcopy()

    def __deepcopy__(self, memo):
        return self._deepcopy()

    def _deepcopy(self):
        mapping = {}
        for node in self._nodes():
            clone = _Node.__new__(_Node)
            clone.op, clone.name = node.op, node.name
            clone.attrs = dict(node.attrs)
            clone.inputs = [(mapping[id(child)], index)
                            for child, index in node.inputs]
            clone.input_names = list(node.input_names)
            clone.aux_names = list(node.aux_names)
            clone.output_names = list(node.output_names)
            clone.input_inits = node.input_inits
            mapping[id(node)] = clone
        return Symbol([(mapping[id(node)], index)
                       for node, index in self._outputs])

    def list_arguments(self):
        """Names of the arguments (variables that are not auxiliary
        states), in graph order."""
        nodes = self._nodes()
        aux = _aux_variable_ids(nodes)
        return [node.name for node in nodes
                if node.is_variable() and id(node) not in aux]

    def list_auxiliary_states(self):
        """Names of the auxiliary states (BatchNorm's moving_mean, ...)."""
        nodes = self._nodes()
        aux = _aux_variable_ids(nodes)
        return [node.name for node in nodes
                if node.is_variable() and id(node) in aux]

    def list_inputs(self):
        """Names of every variable: arguments and auxiliary states."""
        return [node.name for node in self._nodes() if node.is_variable()]

    def list_outputs(self):
        """Names of the outputs: a variable's name, or node_output."""
        names = []
        for node, index in self._outputs:
            if node.is_variable():
                names.append(node.name)
            else:
                names.append("%s_%s" % (node.name, node.output_names[index]))
        return names

    def get_internals(self):
        """A Symbol of every output of every node, in graph order."""
        outputs = []
        for node in self._nodes():
            outputs.extend((node, index)
                           for index in range(len(node.output_names)))
        return Symbol(outputs)

    def get_children(self):
        """The inputs of the outputs' nodes as one Symbol, or None for a
        variable."""
        outputs = []
        for node, _ in self._outputs:
            outputs.extend(node.inputs)
        return Symbol(outputs) if outputs else None

    # -- attributes -----------------------------------------------------
    def attr(self, key):
        """The attribute `key` of the node the outputs come from (user
        attributes by their plain name too: attr('lr_mult')), or None (also
        for a Group of several nodes, as MXNet)."""
        node = self._single_node()
        if node is None:
            return None
        attrs = node.attrs
        if key in attrs:
            return attrs[key]
        return attrs.get("__%s__" % key)

    @staticmethod
    def _listed(attrs):
        listed = dict(attrs)
        for key, value in attrs.items():
            if _is_user_attr(key) and key[2:-2] in _HIDDEN_KEYS:
                listed[key[2:-2]] = value
        return listed

    def list_attr(self, recursive=False):
        """The node's attributes (user attributes also by plain name)."""
        if recursive:
            raise DeprecationWarning(
                "Symbol.list_attr with recursive=True has been deprecated. "
                "Please use attr_dict instead.")
        node = self._single_node()
        return {} if node is None else self._listed(node.attrs)

    def attr_dict(self):
        """{node name: its attributes} for every node that has some."""
        return {node.name: self._listed(node.attrs)
                for node in self._nodes() if node.attrs}

    def _set_attr(self, **kwargs):
        """Sets attributes of the (single) node: user attributes as
        __key__ unless already so."""
        for key, value in kwargs.items():
            if not isinstance(value, string_types):
                raise ValueError("Set Attr only accepts string values")
            for node, _ in self._outputs:
                node.attrs[_hidden(key)] = value
                if node.op is not None:
                    # A plain key is an operator parameter: checked as one.
                    _core.symbol_interface(node.op, node.params())

    # -- composition ----------------------------------------------------
    def __call__(self, *args, **kwargs):
        """A copy with variables replaced by symbols: positionally in
        list_arguments order, or by name."""
        result = self._deepcopy()
        result._compose(*args, **kwargs)
        return result

    def _compose(self, *args, **kwargs):
        name = kwargs.pop("name", None)
        if name is not None:
            for node, _ in self._outputs:
                if not node.is_variable():
                    node.name = name
        if args and kwargs:
            raise TypeError("compose only accept input Symbols either as "
                            "positional or keyword arguments, not both")
        for value in list(args) + list(kwargs.values()):
            if not isinstance(value, Symbol):
                raise TypeError("Compose expect `Symbol` as arguments, got %s"
                                % type(value).__name__)
            if len(value) != 1:
                raise MXNetError("compose: a symbol with %d outputs cannot "
                                 "replace a variable" % len(value))
        nodes = self._nodes()
        variables = [node for node in nodes if node.is_variable()]
        if args:
            arguments = [node for node in variables
                         if id(node) not in _aux_variable_ids(nodes)]
            if len(args) > len(arguments):
                raise MXNetError("compose: %d positional symbols for %d "
                                 "arguments" % (len(args), len(arguments)))
            replace = {id(node): value._outputs[0]
                       for node, value in zip(arguments, args)}
        else:
            by_name = {node.name: node for node in variables}
            unknown = [key for key in kwargs if key not in by_name]
            if unknown:
                raise MXNetError("compose: no variable named %s; the "
                                 "variables are %s"
                                 % (unknown[0], [n.name for n in variables]))
            replace = {id(by_name[key]): value._outputs[0]
                       for key, value in kwargs.items()}
        for node in nodes:
            node.inputs = [replace.get(id(child), (child, index))
                           for child, index in node.inputs]
        self._outputs = [replace.get(id(node), (node, index))
                         for node, index in self._outputs]

    # -- inference ------------------------------------------------------
    def _infer(self, known_shapes, known_dtypes, default_dtype="float32"):
        """Fixed-point inference over the graph: {id(node), index} ->
        shape/dtype, from the variables' given shapes and __shape__ and
        __dtype__ attributes and the given dtypes, shapes and types
        together as MXNet's passes (ops check their input types).

        Each node is evaluated with the input types known so far: the
        variables', and the output types of nodes already evaluated (so
        quantize_v2's int8 reaches dequantize). Where some are unknown the
        op first gets its known inputs' type (MXNet's default rule); when
        it refuses that, the unknown ones are tried as `default_dtype`
        (float32 for shape inference, which does not check types, as
        MXNet's; None for type inference, which does not guess). Types
        resting on such a guess pass on only as guesses, and only types
        from known ones are returned. MXNetError naming the operator where
        every attempt fails (the first attempt's message)."""
        nodes = self._nodes()
        shapes, dtypes, guesses = {}, {}, {}
        for node in nodes:
            if not node.is_variable():
                continue
            key = (id(node), 0)
            shape = known_shapes.get(node.name)
            if shape is None and "__shape__" in node.attrs:
                shape = _parse_shape(node.attrs["__shape__"])
            if shape is not None:
                shapes[key] = tuple(int(extent) for extent in shape)
            dtype = _variable_dtype(node, known_dtypes)
            if dtype is not None:
                dtypes[key] = dtype
        changed = True
        while changed:
            changed = False
            for node in nodes:
                if node.is_variable():
                    continue
                input_keys = [(id(child), index)
                              for child, index in node.inputs]
                outputs_known = all((id(node), index) in shapes and
                                    _known(shapes[(id(node), index)])
                                    for index in range(
                                        len(node.output_names)))
                inputs_known = all(_known(shapes.get(key))
                                   for key in input_keys)
                if outputs_known and inputs_known:
                    continue
                inputs, outputs, input_dtypes, sure = _evaluated(
                    node, [shapes.get(key) for key in input_keys],
                    [dtypes.get(key) for key in input_keys],
                    [guesses.get(key) for key in input_keys], default_dtype)
                if not outputs and not outputs_known:
                    # Unknown (0) extents: what the op tells regardless of
                    # them, as MXNet 1.x's infer_shape_partial (known
                    # outputs complete the inputs below instead).
                    inputs, outputs = _partial_shapes(
                        node, [shapes.get(key) for key in input_keys],
                        input_dtypes, inputs, outputs)
                for key, (shape, dtype) in zip(input_keys, inputs):
                    if shape is not None and shapes.get(key) != shape:
                        shapes[key] = shape
                        changed = True
                    # Input types the op filled in count once it ran on
                    # them (outputs told), not while shapes stop it.
                    if (sure and outputs and dtype is not None and
                            dtypes.get(key) != dtype):
                        dtypes[key] = dtype
                        changed = True
                for index, (shape, dtype) in enumerate(outputs):
                    key = (id(node), index)
                    if shapes.get(key) != shape:
                        shapes[key] = shape
                        changed = True
                    if sure and dtypes.get(key) != dtype:
                        dtypes[key] = dtype
                        changed = True
                    elif (not sure and key not in dtypes and
                          guesses.get(key) != dtype):
                        guesses[key] = dtype
                        changed = True
                if not outputs and outputs_known:
                    complete = _REVERSE_RULES.get(node.op, _completed_inputs)
                    for key, shape in complete(
                            node, input_keys, shapes, input_dtypes).items():
                        shapes[key] = shape
                        changed = True
        return nodes, shapes, dtypes

    def _given(self, args, kwargs, what):
        """{argument name: value} from positional (list_arguments order) or
        keyword arguments, None values left out."""
        if args and kwargs:
            raise ValueError("Can only specify known argument %s either by "
                             "positional or kwargs way." % what)
        if args:
            arguments = self.list_arguments()
            return {name: value for name, value in zip(arguments, args)
                    if value is not None}
        inputs = set(self.list_inputs())
        for key in kwargs:
            if key not in inputs:
                raise MXNetError("%s: there is no argument or auxiliary "
                                 "state named '%s'; they are %s"
                                 % (what, key, sorted(inputs)))
        return {key: value for key, value in kwargs.items()
                if value is not None}

    def _shape_lists(self, nodes, shapes):
        aux = _aux_variable_ids(nodes)
        args = [shapes.get((id(node), 0)) for node in nodes
                if node.is_variable() and id(node) not in aux]
        auxs = [shapes.get((id(node), 0)) for node in nodes
                if node.is_variable() and id(node) in aux]
        outs = [shapes.get((id(node), index)) for node, index in self._outputs]
        return args, outs, auxs

    def infer_shape_partial(self, *args, **kwargs):
        """(argument shapes, output shapes, auxiliary shapes) as far as
        they can be told; unknown shapes are () and unknown extents 0, as
        in MXNet 1.x."""
        given = self._given(args, kwargs, "infer_shape")
        nodes, shapes, _ = self._infer(given, {})
        lists = self._shape_lists(nodes, shapes)
        return tuple([tuple(shape) if shape is not None else ()
                      for shape in shapes_list] for shapes_list in lists)

    def infer_shape(self, *args, **kwargs):
        """(argument shapes, output shapes, auxiliary shapes) given some
        arguments' shapes (positional in list_arguments order, or by name;
        0 marks an unknown extent). (None, None, None), with a warning
        naming the arguments left unknown, when the graph does not tell
        them all. MXNetError, naming the operator, when shapes disagree.
        Ops that check their input types see the variables' dtype
        attributes and the types that flow from them."""
        given = self._given(args, kwargs, "infer_shape")
        return self._infer_shape_typed(given, {}, _stacklevel=3)

    def _infer_shape_typed(self, given, dtypes, _stacklevel=2):
        """infer_shape for {name: shape} `given`, with the inputs' dtypes
        {name: dtype} where the caller knows them (simple_bind, bind,
        hybridized blocks: their arrays'), as MXNet infers shapes and
        types together there."""
        dtypes = {name: _np.dtype(value).name
                  for name, value in dtypes.items() if value is not None}
        nodes, shapes, _ = self._infer(given, dtypes)
        arg_shapes, out_shapes, aux_shapes = self._shape_lists(nodes, shapes)
        unknown = [(name, tuple(shape) if shape is not None else ())
                   for name, shape in zip(self.list_arguments(), arg_shapes)
                   if not _known(shape)]
        if unknown or not all(_known(shape) for shape in
                              out_shapes + aux_shapes):
            _warnings.warn("Cannot decide shape for the following arguments "
                           "(0s in shape means unknown dimensions). Consider "
                           "providing them as input:\n\t%s"
                           % "\n\t".join("%s: %s" % item
                                         for item in unknown),
                           stacklevel=_stacklevel)
            return None, None, None
        return ([tuple(s) for s in arg_shapes], [tuple(s) for s in out_shapes],
                [tuple(s) for s in aux_shapes])

    def infer_type(self, *args, **kwargs):
        """(argument dtypes, output dtypes, auxiliary dtypes) as numpy types
        given some arguments' dtypes (positional in list_arguments order,
        or by name); (None, None, None) when not all can be told."""
        lists = self.infer_type_partial(*args, **kwargs)
        if any(value is None for part in lists for value in part):
            return None, None, None
        return lists

    def infer_type_partial(self, *args, **kwargs):
        """infer_type, with None for the types it cannot tell."""
        given = self._given(args, kwargs, "infer_type")
        dtypes = {name: _np.dtype(value).name for name, value in given.items()}
        nodes, _, inferred = self._infer_types(dtypes)
        aux = _aux_variable_ids(nodes)
        variables = [node for node in nodes if node.is_variable()]

        def as_type(key):
            name = inferred.get(key)
            return None if name is None else _np.dtype(name).type
        return ([as_type((id(n), 0)) for n in variables if id(n) not in aux],
                [as_type((id(n), i)) for n, i in self._outputs],
                [as_type((id(n), 0)) for n in variables if id(n) in aux])

    def _infer_types(self, dtypes):
        """Types through the graph: by shape inference where shapes are
        known, else an input's type (MXNet's default rule)."""
        try:
            nodes, shapes, inferred = self._infer({}, dtypes, None)
        except MXNetError:
            nodes, shapes, inferred = self._nodes(), {}, {}
        # (node, output, type) found not to pass to the node's inputs.
        unfollowed = set()
        for node in nodes:
            if node.is_variable():
                key = (id(node), 0)
                dtype = _variable_dtype(node, dtypes)
                if key not in inferred and dtype is not None:
                    inferred[key] = dtype
        changed = True
        while changed:
            changed = False
            for node in nodes:
                if node.is_variable():
                    continue
                keys = [(id(child), index) for child, index in node.inputs]
                types = [inferred.get(key) for key in keys]
                known = [dtype for dtype in types if dtype is not None]
                if not known or (None not in types and all(
                        (id(node), index) in inferred
                        for index in range(len(node.output_names)))):
                    continue
                # Shapes unknown: the op itself on stand-in (1,) arrays
                # tells its output types (Cast, comparisons, argmax) and
                # gives unknown inputs its known ones' type; an op that
                # refuses them for that type but takes float32 there leaves
                # them unknown (softmax's data beside an int32 length, as
                # MXNet's); one that refuses the stand-ins runs on the
                # probe shapes, and failing those gives its inputs' type.
                stand_ins = [(1,)] * len(keys)
                try:
                    _, outputs = _core.infer_node(
                        node.op, node.params(), stand_ins, types, False)
                except MXNetError:
                    if None in types and _accepts(
                            node, stand_ins, ["float32" if dtype is None
                                              else dtype for dtype in types]):
                        continue
                    # Ops of a fixed rank (layers) on shapes they accept:
                    # Embedding's output is its weight's type.
                    probed = _probe(node, types)
                    outputs = probed[1] if probed else []
                # The types the op gives its unknown inputs without running
                # (BatchNorm's float32 statistics beside float16 data), else
                # its known inputs' type.
                filled = []
                if None in types:
                    try:
                        filled = _core.infer_node(
                            node.op, node.params(), [None] * len(keys),
                            types, False)[0]
                    except MXNetError:
                        pass
                for position, key in enumerate(keys):
                    if key not in inferred:
                        inferred[key] = (
                            filled[position][1] if position < len(filled)
                            and filled[position][1] else known[0])
                        changed = True
                for index in range(len(node.output_names)):
                    if (id(node), index) not in inferred:
                        inferred[(id(node), index)] = (
                            outputs[index][1] if index < len(outputs) and
                            outputs[index][1] else known[0])
                        changed = True
            # Backward, as MXNet's type functions unify inputs with
            # outputs: a node none of whose inputs has a type but whose
            # output has one (relu(k) beside a float16 q in q + relu(k))
            # gives its inputs that type where its output's type follows
            # theirs (not Cast's, argmax's).
            for node in nodes:
                if node.is_variable() or not node.inputs:
                    continue
                keys = [(id(child), index) for child, index in node.inputs]
                if any(key in inferred for key in keys):
                    continue
                outputs = [inferred.get((id(node), index))
                           for index in range(len(node.output_names))]
                target = next((dtype for dtype in outputs
                               if dtype is not None), None)
                if target is None:
                    continue
                probe = (id(node), outputs.index(target), target)
                if probe in unfollowed or not _output_type_follows_inputs(
                        node, len(keys), probe[1], target):
                    unfollowed.add(probe)
                    continue
                for key in keys:
                    inferred[key] = target
                changed = True
        # Mixed input types an op refuses are an error, as in MXNet, also
        # where no shapes are known to run it on.
        for node in nodes:
            if node.is_variable():
                continue
            types = [inferred.get((id(child), index))
                     for child, index in node.inputs]
            if types and None not in types and len(set(types)) > 1:
                refusal = _type_refusal(node, types)
                if refusal is not None:
                    raise MXNetError("Error in operator %s: %s"
                                     % (node.name, refusal))
        return nodes, shapes, inferred

    # -- serialization --------------------------------------------------
    def tojson(self, remove_amp_cast=True):
        """The graph in MXNet's JSON layout (nodes, arg_nodes,
        node_row_ptr, heads, attrs)."""
        return _json.dumps(self._json_object(), indent=2)

    def _json_object(self):
        nodes = self._nodes()
        index_of = {id(node): index for index, node in enumerate(nodes)}
        entries, row_ptr = [], [0]
        for node in nodes:
            entry = {"op": node.op if node.op else "null", "name": node.name}
            if node.attrs:
                entry["attrs"] = dict(sorted(node.attrs.items()))
            aux = set(node.aux_positions()) if node.op else set()
            entry["inputs"] = [[index_of[id(child)], index,
                                1 if position in aux else 0]
                               for position, (child, index)
                               in enumerate(node.inputs)]
            entries.append(entry)
            row_ptr.append(row_ptr[-1] + len(node.output_names))
        return {"nodes": entries,
                "arg_nodes": [index for index, node in enumerate(nodes)
                              if node.is_variable()],
                "node_row_ptr": row_ptr,
                "heads": [[index_of[id(node)], index, 0]
                          for node, index in self._outputs],
                "attrs": {"mxnet_version": ["int", _MXNET_VERSION]}}

    def save(self, fname, remove_amp_cast=True):
        """Writes tojson() to the file `fname` (MXNet's -symbol.json)."""
        if not isinstance(fname, string_types):
            raise TypeError("fname needs to be a string")
        with open(fname, "w") as handle:
            handle.write(self.tojson())

    def debug_str(self):
        """A readable listing of the graph, as MXNet's debug_str."""
        lines = ["Symbol Outputs:"]
        for index, (node, out) in enumerate(self._outputs):
            lines.append("\toutput[%d]=%s(%d)" % (index, node.name, out))
        for node in self._nodes():
            if node.is_variable():
                lines.append("Variable:%s" % node.name)
                continue
            lines.append("--------------------")
            lines.append("Op:%s, Name=%s" % (node.op, node.name))
            lines.append("Inputs:")
            aux = set(node.aux_positions())
            for position, (child, index) in enumerate(node.inputs):
                suffix = (" version=%d" % (1 if position in aux else 0)
                          if child.is_variable() else "")
                lines.append("\targ[%d]=%s(%d)%s" % (position, child.name,
                                                     index, suffix))
            if node.attrs:
                lines.append("Attrs:")
                for key, value in sorted(node.attrs.items()):
                    lines.append("\t%s=%s" % (key, value))
        return "\n".join(lines) + "\n"

    # -- execution ------------------------------------------------------
    def simple_bind(self, ctx=None, grad_req="write", type_dict=None,
                    stype_dict=None, group2ctx=None, shared_arg_names=None,
                    shared_exec=None, shared_buffer=None, **kwargs):
        """An Executor with arrays allocated for the shapes given in kwargs
        (the others inferred); see kiln.executor.Executor.simple_bind."""
        from ..executor import Executor
        return Executor._simple_bind(self, ctx, grad_req, type_dict,
                                     shared_exec, shared_buffer, kwargs,
                                     shared_arg_names)

    def bind(self, ctx=None, args=None, args_grad=None, grad_req="write",
             aux_states=None, group2ctx=None, shared_exec=None):
        """An Executor over the given arrays (lists in list_arguments order
        or dicts by name). MXNetError, naming the operator, when their
        shapes contradict the graph (a weight of the wrong shape), as
        MXNet's bind checks them."""
        from ..executor import Executor
        from ..gluon.block import _needs_host_values
        executor = Executor(self, ctx, args, args_grad, grad_req, aux_states)
        arrays = dict(executor.arg_dict)
        arrays.update(executor.aux_dict)
        try:
            self._infer_shape_typed(
                {name: array.shape for name, array in arrays.items()},
                {name: _np.dtype(array.dtype).name
                 for name, array in arrays.items()})
        except MXNetError as error:
            # Shapes that depend on values (boolean_mask) are told only by
            # running the graph, as MXNet's dynamic-shape binds.
            if not _needs_host_values(error):
                raise
        return executor

    def _bind(self, *args, **kwargs):
        return self.bind(*args, **kwargs)

    def eval(self, ctx=None, **kwargs):
        """The outputs (a list of NDArrays) for the arguments in kwargs."""
        return self.bind(ctx, kwargs, grad_req="null").forward()

    # -- arithmetic -----------------------------------------------------
    def _binary(self, other, op, scalar_op, reflected_scalar_op=None,
                reflected=False):
        if isinstance(other, Symbol):
            return _create(op, [other, self] if reflected else [self, other],
                           {})
        if isinstance(other, _numbers.Number):
            name = reflected_scalar_op if reflected else scalar_op
            return _create(name, [self], {"scalar": other})
        raise TypeError("type %s not supported" % type(other).__name__)

    def __add__(self, other):
        return self._binary(other, "_Plus", "_PlusScalar")

    __radd__ = __add__

    def __sub__(self, other):
        return self._binary(other, "_Minus", "_MinusScalar")

    def __rsub__(self, other):
        return self._binary(other, "_Minus", "_MinusScalar",
                            "_RMinusScalar", reflected=True)

    def __mul__(self, other):
        return self._binary(other, "_Mul", "_MulScalar")

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self._binary(other, "_Div", "_DivScalar")

    def __rtruediv__(self, other):
        return self._binary(other, "_Div", "_DivScalar", "_RDivScalar",
                            reflected=True)

    __div__, __rdiv__ = __truediv__, __rtruediv__

    # A Symbol is immutable: MXNet refuses the in-place forms (its += names
    # `other, 1` as arguments; %= and **= fall back to % and **).
    def __iadd__(self, other):
        raise NotImplementedForSymbol(self.__iadd__, "+=", other, 1)

    def __isub__(self, other):
        raise NotImplementedForSymbol(self.__isub__, "-=", other)

    def __imul__(self, other):
        raise NotImplementedForSymbol(self.__imul__, "*=", other)

    def __itruediv__(self, other):
        raise NotImplementedForSymbol(self.__itruediv__, "/=", other)

    __idiv__ = __itruediv__

    def __mod__(self, other):
        return self._binary(other, "_Mod", "_ModScalar")

    def __rmod__(self, other):
        return self._binary(other, "_Mod", "_ModScalar", "_RModScalar",
                            reflected=True)

    def __pow__(self, other):
        return self._binary(other, "_Power", "_PowerScalar")

    def __rpow__(self, other):
        return self._binary(other, "_Power", "_PowerScalar",
                            "_RPowerScalar", reflected=True)

    def __neg__(self):
        return self.__mul__(-1.0)

    def __abs__(self):
        return _create("abs", [self], {})

    def __eq__(self, other):
        return self._binary(other, "_equal", "_equal_scalar")

    def __ne__(self, other):
        return self._binary(other, "_not_equal", "_not_equal_scalar")

    def __gt__(self, other):
        return self._binary(other, "_greater", "_greater_scalar")

    def __ge__(self, other):
        return self._binary(other, "_greater_equal", "_greater_equal_scalar")

    def __lt__(self, other):
        return self._binary(other, "_lesser", "_lesser_scalar")

    def __le__(self, other):
        return self._binary(other, "_lesser_equal", "_lesser_equal_scalar")

    __hash__ = object.__hash__

    def __bool__(self):
        raise NotImplementedError("The truth value of a Symbol is not "
                                  "defined")

    __nonzero__ = __bool__

    def astype(self, dtype):
        """The symbol cast to `dtype` (MXNet's Symbol.astype: Cast)."""
        return _create("Cast", [self], {"dtype": dtype})

    # Subgraph backends MXNet 1.9.1 ships for the CPU. kiln's graphs run
    # their convolutions, pooling and normalization on oneDNN already, so
    # partitioning for them changes nothing: the graph comes back as is.
    _CPU_BACKENDS = ("MKLDNN", "ONEDNN", "MKLDNN_QUANTIZE")

    def optimize_for(self, backend, args=None, aux=None, ctx=None,
                     **kwargs):
        """MXNet's graph partitioning for a subgraph backend: a copy of this
        symbol for MXNet's oneDNN backends (kiln's kernels are oneDNN
        already); MXNetError naming the backend for any other."""
        return self.get_backend_symbol(backend)

    def get_backend_symbol(self, backend):
        """As optimize_for, without arguments."""
        if backend not in self._CPU_BACKENDS:
            raise MXNetError("optimize_for: subgraph backend '%s' is not "
                             "registered; kiln knows %s" % (
                                 backend, ", ".join(self._CPU_BACKENDS)))
        return self._deepcopy()

    def __getattr__(self, name):
        # Fluent methods (sym.reshape(...), sym.sum(...)) are the
        # registry's operators applied to this symbol, as in MXNet.
        if name.startswith("_"):
            raise AttributeError(name)
        from . import op as _op
        function = getattr(_op, name, None)
        if function is None:
            raise AttributeError("'Symbol' object has no attribute '%s'"
                                 % name)
        return lambda *args, **kwargs: function(self, *args, **kwargs)


# MXNet 1.9.1's fluent methods of Symbol: each the operator of that name
# applied to the symbol (sym.reshape(shape=...) is mx.sym.reshape(sym,
# ...)), defined on the class so that Symbol.reshape and dir() show them.
_FLUENT_METHODS = (
    "abs", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh",
    "argmax", "argmax_channel", "argmin", "argsort", "broadcast_axes",
    "broadcast_like", "broadcast_to", "cbrt", "ceil", "clip", "cos", "cosh",
    "degrees", "depth_to_space", "diag", "exp", "expand_dims", "expm1",
    "fix", "flatten", "flip", "floor", "log", "log10", "log1p", "log2",
    "log_softmax", "max", "mean", "min", "nanprod", "nansum", "norm",
    "one_hot", "ones_like", "pad", "pick", "prod", "radians", "rcbrt",
    "reciprocal", "relu", "repeat", "reshape", "reshape_like", "rint",
    "round", "rsqrt", "shape_array", "sigmoid", "sign", "sin", "sinh",
    "size_array", "slice", "slice_axis", "slice_like", "softmax", "softmin",
    "sort", "space_to_depth", "split", "split_v2", "sqrt", "square",
    "squeeze", "sum", "swapaxes", "take", "tan", "tanh", "tile", "topk",
    "transpose", "trunc", "zeros_like")
# NDArray methods Symbol has only to raise NotImplementedForSymbol.
_NDARRAY_ONLY_METHODS = ("as_in_context", "asnumpy", "asscalar",
                         "wait_to_read", "backward", "detach", "copy")


def _fluent_method(name):
    def method(self, *args, **kwargs):
        from . import op as _op
        return getattr(_op, name)(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = ("mx.sym.%s with this symbol as its first input."
                      % name)
    return method


def _ndarray_only_method(name):
    def method(self, *args, **kwargs):
        raise NotImplementedForSymbol(getattr(Symbol, name), None)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = ("NDArray's %s; for a Symbol, MXNet's "
                      "NotImplementedForSymbol." % name)
    return method


def _gradient(self, wrt):
    """MXNet 1.9.1's Symbol.gradient is not implemented: MXNetError. Bind
    the symbol and run backward for gradients."""
    raise MXNetError("Symbol.gradient: not implemented (as in MXNet 1.9.1); "
                     "bind the symbol (simple_bind) and call backward")


def _as_nd_ndarray(self):
    """The symbol itself (it is MXNet's legacy Symbol already)."""
    return self


def _as_np_ndarray(self):
    """MXNet's numpy-style symbol (mx.sym.np), which kiln lacks:
    MXNetError."""
    raise MXNetError("as_np_ndarray: kiln has no numpy-style symbols "
                     "(mx.sym.np); use the legacy mx.sym operators")


for _method_name in _FLUENT_METHODS:
    setattr(Symbol, _method_name, _fluent_method(_method_name))
for _method_name in _NDARRAY_ONLY_METHODS:
    setattr(Symbol, _method_name, _ndarray_only_method(_method_name))
Symbol.gradient = _gradient
Symbol.as_nd_ndarray = _as_nd_ndarray
Symbol.as_np_ndarray = _as_np_ndarray


def _variable_dtype(node, given):
    """A variable's dtype name: given by name in `given`, else its __dtype__
    attribute, else None."""
    dtype = given.get(node.name)
    if dtype is None and "__dtype__" in node.attrs:
        dtype = _FLAG_TO_DTYPE.get(int(node.attrs["__dtype__"]))
    return None if dtype is None else _np.dtype(dtype).name


def _evaluated(node, shapes, known, guessed, default_dtype):
    """One node's inference (Symbol._infer) with the first input types it
    accepts: the known ones, else guessed ones, unknown ones left to the
    op (its known inputs' type); the known ones only; the unknown ones as
    `default_dtype`. (inputs, outputs, input dtypes used, whether they
    rest on known types only); MXNetError naming the operator, with the
    first attempt's message, where every attempt fails."""
    attempts = []
    if any(dtype is not None for dtype in guessed):
        attempts.append(([k if k is not None else g
                          for k, g in zip(known, guessed)],
                         all(g is None or k is not None
                             for k, g in zip(known, guessed))))
    # The known types alone, unless none is (the op cannot run on no
    # types) and a default can stand in.
    if (default_dtype is None or not known or
            any(dtype is not None for dtype in known)):
        attempts.append((list(known), True))
    if default_dtype is not None and None in known:
        attempts.append(([default_dtype if dtype is None else dtype
                          for dtype in known], False))
        if default_dtype == "float32":
            attempts.extend(_quantized_stand_ins(node, known))
    first = None
    for dtypes, sure in attempts:
        try:
            inputs, outputs = _core.infer_node(node.op, node.params(),
                                               shapes, dtypes, False)
            return inputs, outputs, dtypes, sure
        except MXNetError as error:
            first = first or error
    raise MXNetError("Error in operator %s: %s" % (node.name, first))


def _quantized_stand_ins(node, known):
    """Shape inference's last attempts for an op that refuses float32 for
    its unknown input types (MXNet's infer_shape checks no types): the
    int8 operators' inputs as int8 or uint8 (the first beside the others:
    quantized_conv's uint8 data and int8 weight, quantized_embedding's
    float indices and int8 weight, quantized_batch_norm's int8 data and
    float statistics), their ranges (min_*/max_*, *_min/*_max) float32."""
    try:
        names = _core.symbol_interface(node.op, node.params())[0]
    except MXNetError:
        return []

    def is_range(name):
        return name.startswith(("min_", "max_")) or name.endswith(
            ("_min", "_max"))

    if len(names) != len(known) or not any(map(is_range, names)):
        return []
    attempts = []
    for first, others in (("int8", "int8"), ("uint8", "uint8"),
                          ("uint8", "int8"), ("int8", "float32"),
                          ("uint8", "float32"), ("float32", "int8")):
        dtypes = []
        for index, (name, dtype) in enumerate(zip(names, known)):
            if dtype is None:
                dtype = ("float32" if is_range(name)
                         else first if index == 0 else others)
            dtypes.append(dtype)
        attempts.append((dtypes, False))
    return attempts


# Input shapes on which _probe runs an op to learn its types (output types,
# and _type_refusal's refusals):
# rank 1 for elementwise ops; batch 2, 4 channels and extents of 8 for the
# layers (a 3x3 kernel, 4 groups and 2x2 pooling all fit).
_TYPE_PROBE_SHAPES = [(1,), (2, 4), (2, 4, 8), (2, 4, 8, 8), (2, 4, 8, 8, 8)]


def _probe(node, types):
    """(inputs, outputs) of `node`'s op run shape-only with input `types`
    (None: the op's rule, else the first known type) on the first probe
    shapes it accepts, as infer_node gives them; None when it takes none."""
    count = len(types)
    for first in _TYPE_PROBE_SHAPES:
        # Every input of that shape (elementwise ops), or the op telling
        # the others' (a weight's from the data's).
        for shapes in ([first] * count, [first] + [None] * (count - 1)):
            try:
                filled, outputs = _core.infer_node(
                    node.op, node.params(), shapes, types, False)
            except MXNetError:
                continue
            if outputs:
                return filled, outputs
    return None


def _type_refusal(node, types):
    """Why `node`'s op refuses inputs of `types` (all known), found without
    their shapes: the op's error on input shapes it accepts when every
    input has the first one's type, as MXNet's type inference rejects
    mixed types ("This layer requires uniform type"). None when it takes
    `types`, or when no probe shape is one it accepts (its rule is then not
    known here, and the types pass)."""
    probed = _probe(node, [types[0]] * len(types))
    if probed is None:
        return None
    try:
        _core.infer_node(node.op, node.params(),
                         [shape for shape, _ in probed[0]], types, False)
    except MXNetError as error:
        return str(error)
    return None


# Extents that stand in for unknown (0) ones in _partial_shapes: two, so
# that what depends on them shows as a difference.
_PARTIAL_STAND_INS = (61, 67)


def _partial_shapes(node, shapes, dtypes, inputs, outputs):
    """(inputs, outputs) of `node` as far as its input `shapes` tell them
    when some hold unknown (0) extents (None: a shape the op fills from
    the others'): the op run shape-only twice, each unknown extent standing
    in as 61, then 67; extents that agree in both runs are known, the
    others unknown (0), the rank known when both runs agree on it.
    (`inputs`, `outputs`) as given when no shape holds a 0 or the op
    refuses the stand-ins (a split that needs a divisible extent)."""
    if not any(shape is not None and 0 in shape for shape in shapes):
        return inputs, outputs
    # Types do not decide shapes here: unknown ones as the known ones'.
    known = [dtype for dtype in dtypes if dtype is not None]
    dtypes = [dtype if dtype is not None else (known[0] if known else
                                               "float32")
              for dtype in dtypes]
    runs = []
    for stand_in in _PARTIAL_STAND_INS:
        trial = [None if shape is None else
                 tuple(stand_in if extent == 0 else extent
                       for extent in shape) for shape in shapes]
        try:
            runs.append(_core.infer_node(node.op, node.params(), trial,
                                         dtypes, False))
        except MXNetError:
            return inputs, outputs
        if not runs[-1][1]:
            return inputs, outputs

    def merged(first, second, given=None):
        shape = None
        if given is None and first[0] is not None and \
                second[0] is not None and len(first[0]) == len(second[0]):
            shape = tuple(a if a == b else 0
                          for a, b in zip(first[0], second[0]))
        return (shape, first[1])  # None: an input's own shape stays
    (inputs_a, outputs_a), (inputs_b, outputs_b) = runs
    return ([merged(a, b, given) for a, b, given
             in zip(inputs_a, inputs_b, shapes)],
            [merged(a, b) for a, b in zip(outputs_a, outputs_b)])


def _output_type_follows_inputs(node, count, index, dtype):
    """Whether output `index` of `node`'s op (of `count` inputs) has its
    inputs' type: run shape-only with every input of `dtype`, then of
    another float type, it has that type each time (relu, reshape,
    FullyConnected; not Cast, argmax or shape_array)."""
    other = "float64" if dtype != "float64" else "float32"
    for probe in (dtype, other):
        types = [probe] * count
        try:
            _, outputs = _core.infer_node(node.op, node.params(),
                                          [(1,)] * count, types, False)
        except MXNetError:
            probed = _probe(node, types)
            if probed is None:
                return False
            outputs = probed[1]
        if index >= len(outputs) or outputs[index][1] != probe:
            return False
    return True


def _accepts(node, shapes, dtypes):
    """Whether `node`'s op runs on inputs of these shapes and dtypes."""
    try:
        _core.infer_node(node.op, node.params(), shapes, dtypes, False)
    except MXNetError:
        return False
    return True


def _known(shape):
    return shape is not None and len(shape) >= 0 and all(
        extent > 0 for extent in shape) if shape is not None else False


def _completed_inputs(node, input_keys, shapes, input_dtypes):
    """The unknown (0) extents of `node`'s inputs told by its known
    outputs, as MXNet's shape functions infer backward (an h2h
    FullyConnected's batch from its output, a begin state of
    mx.sym.zeros(shape=(0, 4)) through it): each 0 takes the extent at its
    position in the first output, kept when the op run forward on the
    completed shapes gives exactly the known outputs. {input key: shape}
    for the completed inputs; empty where that does not fit."""
    first = shapes[(id(node), 0)]
    completed = []
    for key in input_keys:
        shape = shapes.get(key)
        if shape is None:  # rank unknown too
            return {}
        if not _known(shape):
            shape = tuple(first[axis] if extent == 0 and axis < len(first)
                          else extent for axis, extent in enumerate(shape))
        completed.append(shape)
    if not all(_known(shape) for shape in completed):
        return {}
    try:
        _, outputs = _core.infer_node(node.op, node.params(), completed,
                                      input_dtypes, False)
    except MXNetError:
        return {}
    expected = [shapes[(id(node), index)]
                for index in range(len(node.output_names))]
    if [tuple(shape) for shape, _ in outputs] != expected:
        return {}
    return {key: shape for key, shape in zip(input_keys, completed)
            if shapes.get(key) != shape}


def _reshape_input(node, input_keys, shapes, input_dtypes):
    """Reshape's input with one unknown (0) extent, told by its known
    output's size as MXNet 1.9.1's ReverseReshapeInferShape does (a
    deferred gluon.rnn weight (12, 0) flattened to the (36,) the packed
    parameters need). {input key: shape}; empty where that does not fit."""
    key = input_keys[0]
    shape = shapes.get(key)
    if shape is None:
        return {}
    unknown = [axis for axis, extent in enumerate(shape) if extent == 0]
    if len(unknown) != 1:
        return {}
    known = int(_np.prod([extent for extent in shape if extent]))
    filled = list(shape)
    filled[unknown[0]] = int(_np.prod(shapes[(id(node), 0)])) // known
    return {key: tuple(filled)}


def _rnn_param_concat_inputs(node, input_keys, shapes, input_dtypes):
    """_rnn_param_concat's inputs of unknown extent along `dim` (one or
    two: a fused gluon.rnn layer's deferred layer-0 i2h weights, of rank
    unknown too when flattened), told by its known output as MXNet 1.9.1's
    RNNParamConcatShape does: the output's extent less the known inputs',
    split evenly, the other extents the output's. {input key: shape};
    MXNetError naming the node where the known inputs already exceed the
    output or more than two are unknown."""
    out = shapes[(id(node), 0)]
    axis = int(node.params().get("dim", 1))
    axis = axis + len(out) if axis < 0 else axis
    if not 0 <= axis < len(out):
        return {}
    size, unknown = 0, []
    for key in input_keys:
        shape = shapes.get(key)
        if shape is not None and len(shape) != len(out):
            return {}  # the forward check names the mismatch
        if shape is None or shape[axis] == 0:
            unknown.append(key)
        else:
            size += shape[axis]
    if not unknown:
        return {}
    residual = out[axis] - size
    if residual < 0 or len(unknown) > 2:
        raise MXNetError(
            "Error in operator %s: cannot infer %d unknown inputs of the "
            "packed RNN parameters: the output has %d elements along dim %d "
            "and the known inputs %d (expected 1 or 2 unknown inputs and no "
            "more known elements than the output's)"
            % (node.name, len(unknown), out[axis], axis, size))
    filled = tuple(residual // len(unknown) if index == axis else extent
                   for index, extent in enumerate(out))
    return {key: filled for key in unknown}


# Operators whose shape functions in MXNet 1.9.1 infer inputs from outputs
# other than position by position (_completed_inputs).
_REVERSE_RULES = {"Reshape": _reshape_input, "reshape": _reshape_input,
                  "_rnn_param_concat": _rnn_param_concat_inputs}


def _parse_shape(text):
    text = text.strip()
    if text in ("()", "[]", ""):
        return ()
    inner = text.strip("()[]")
    return tuple(int(part) for part in inner.split(",") if part.strip())


def _create(op, inputs, attrs, name=None, attr=None, hint=None):
    """A node of `op` over the symbols `inputs` (all of them; missing ones
    become variables named <name>_<input>) with `attrs` in Python form."""
    params = {key: _attr_string(value) for key, value in attrs.items()
              if value is not None}
    return _compose_node(op, dict(enumerate(inputs)), {}, params, name, attr,
                         hint)


def _compose_node(op, positional, named, params, name, attr, hint):
    """The node of `op` with inputs given by position ({index: Symbol}) and
    by input name, its parameters (MXNet strings), its name (automatic
    from `hint` when None) and user attributes (merged with AttrScope's)."""
    canonical = _core.canonical_op_name(op)
    hint = hint or op.lower()
    name = _auto_name(name, hint)
    scope = _scope_attrs(attr)
    attrs = {_node_key(key): value for key, value in params.items()}
    for key, value in scope.items():
        attrs[_node_key(key)] = value
    node = _Node(canonical, name, attrs)
    inputs = []
    for position, input_name in enumerate(node.input_names):
        symbol = positional.get(position)
        if symbol is None:
            symbol = named.get(input_name)
        if symbol is None:
            variable_attrs = dict(attrs)
            if input_name in node.input_inits:
                variable_attrs["__init__"] = node.input_inits[input_name]
            inputs.append((_Node(None, "%s_%s" % (name, input_name),
                                 variable_attrs), 0))
            continue
        if not isinstance(symbol, Symbol):
            raise TypeError("%s: input '%s' expected a Symbol, got %s"
                            % (op, input_name, type(symbol).__name__))
        if len(symbol) != 1:
            raise MXNetError("%s: input '%s' is a symbol with %d outputs; "
                             "pick one (sym[i])" % (op, input_name,
                                                    len(symbol)))
        inputs.append(symbol._outputs[0])
    extra = [key for key in positional if key >= len(node.input_names)]
    if extra:
        raise MXNetError("%s: expected at most %d input symbols, got %d"
                         % (op, len(node.input_names), len(positional)))
    unknown = [key for key in named if key not in node.input_names]
    if unknown:
        raise MXNetError("%s: unknown input '%s'; its inputs are %s"
                         % (op, unknown[0], node.input_names))
    node.inputs = inputs
    return Symbol([(node, index) for index in range(len(node.output_names))])


def _scope_attrs(attr):
    """mx.AttrScope's current attributes updated with `attr`."""
    return _attribute.current().get(attr)


def var(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None,
        init=None, stype=None, profiler_scope=None, **kwargs):
    """A variable (an argument to bind): `shape` (tuple, 0 = unknown
    extent), `dtype`, `lr_mult`/`wd_mult`, `init` (an Initializer or its
    dumps() string) and `attr` are recorded as MXNet's __shape__,
    __dtype__, __lr_mult__, __wd_mult__, __init__ attributes. Extra keyword
    attributes must be __dunder__ names (ValueError otherwise)."""
    if not isinstance(name, string_types):
        raise TypeError("Expect a string for variable `name`")
    attrs = {}
    for key, value in _scope_attrs(attr).items():
        attrs[_hidden(key)] = value
    if shape is not None:
        # As MXNet's str(shape): a list stays "[2, 3]", a tuple "(2, 3)".
        attrs["__shape__"] = _attr_string(
            shape if isinstance(shape, list) else tuple(shape))
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        attrs["__dtype__"] = str(_DTYPE_TO_FLAG[_np.dtype(dtype).name])
    if init is not None:
        if not isinstance(init, string_types):
            init = init.dumps()
        attrs["__init__"] = init
    if stype is not None:
        attrs["__storage_type__"] = str({"default": 0, "row_sparse": 1,
                                         "csr": 2}[stype])
    if profiler_scope is not None:
        attrs["__profiler_scope__"] = profiler_scope
    for key, value in kwargs.items():
        if not _is_user_attr(key):
            raise ValueError("Attribute name=%s is not supported. Additional "
                             "attributes must start and end with double "
                             "underscores, e.g, __yourattr__" % key)
        attrs[key] = str(value)
    return Symbol([(_Node(None, name, attrs), 0)])


Variable = var


def Group(symbols, create_fn=Symbol):
    """One Symbol with the outputs of every symbol in `symbols`."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError("Expected a list of symbols as input")
    outputs = []
    for symbol in symbols:
        outputs.extend(symbol._outputs)
    return create_fn(outputs)


def load_json(json_str):
    """The Symbol of MXNet-layout JSON text (tojson, -symbol.json).

    The text is read and checked in C++ (``_core.parse_symbol_json``,
    frontends/cpp/SymbolJson.h), with MXNet 1.9.1's upgrades of files of
    older versions. Raises TypeError for a non-string and MXNetError, naming
    the node, for text that is not such a graph: not JSON, wrong types,
    inputs that refer forward or out of range, an operator kiln lacks or
    given the wrong number of inputs, a version of MXNet 2 or later.
    """
    if not isinstance(json_str, string_types):
        raise TypeError("fname required to be string")
    graph = _core.parse_symbol_json(json_str)
    nodes = []
    for op, name, attrs, inputs in graph["nodes"]:
        if op == "null":
            node = _Node(None, name, attrs)
        else:
            node = _Node(op, name, attrs)
            node.inputs = [(nodes[source], output)
                           for source, output, _ in inputs]
        nodes.append(node)
    return Symbol([(nodes[source], output)
                   for source, output, _ in graph["heads"]])


def load(fname):
    """The Symbol saved in the file `fname` (MXNet's -symbol.json)."""
    if not isinstance(fname, string_types):
        raise TypeError("fname need to be string")
    try:
        with open(fname) as handle:
            text = handle.read()
    except (IOError, OSError) as error:
        raise MXNetError("load: cannot read symbol file '%s': %s"
                         % (fname, error))
    return load_json(text)


# -- functions MXNet's symbol module defines by hand ----------------------
def _binary_function(op, scalar_op, reflected_scalar_op, python_function):
    def function(left, right):
        if isinstance(left, Symbol) and isinstance(right, Symbol):
            return _create(op, [left, right], {})
        if isinstance(left, Symbol):
            return _create(scalar_op, [left], {"scalar": right})
        if isinstance(right, Symbol):
            return _create(reflected_scalar_op, [right], {"scalar": left})
        return python_function(left, right)
    return function


pow = _binary_function("_Power", "_PowerScalar", "_RPowerScalar",
                       lambda a, b: a ** b)
power = pow
maximum = _binary_function("_Maximum", "_MaximumScalar", "_MaximumScalar",
                           max)
minimum = _binary_function("_Minimum", "_MinimumScalar", "_MinimumScalar",
                           min)
hypot = _binary_function("_Hypot", "_HypotScalar", "_HypotScalar",
                         lambda a, b: _np.hypot(a, b))


def zeros(shape, dtype=None, **kwargs):
    """A symbol of zeros of `shape` (0 extents: inferred from the graph),
    float32 unless dtype says; MXNet's _zeros, which takes the keywords
    name, attr, ctx and __dunder__ attributes."""
    from . import _internal  # made from the registry after this module
    return _internal._zeros(shape=shape, dtype=dtype or "float32", **kwargs)


def ones(shape, dtype=None, **kwargs):
    """A symbol of ones of `shape`, as zeros (MXNet's _ones)."""
    from . import _internal
    return _internal._ones(shape=shape, dtype=dtype or "float32", **kwargs)


def full(shape, val, dtype=None, **kwargs):
    """A symbol of `val` (a number, recorded as a float as MXNet does)
    everywhere in `shape`, as zeros (MXNet's _full)."""
    from . import _internal
    return _internal._full(shape=shape, value=float(val),
                           dtype=dtype or "float32", **kwargs)


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False,
           name=None, dtype=None):
    """MXNet's arange as a symbol (_arange)."""
    return _create("_arange", [], dict(start=start, stop=stop, step=step,
                                       repeat=repeat, dtype=dtype or
                                       "float32"), name=name)


def linspace(start, stop, num, endpoint=True, name=None, dtype=None):
    """`num` evenly spaced values from start to stop (stop included with
    endpoint), start + i * step as MXNet's linspace computes them; built
    from _arange, since kiln's registry has no _linspace."""
    steps = (num - 1) if endpoint else num
    step = float(stop - start) / steps if steps > 0 else 0.0
    index = _create("_arange", [], dict(start=0, stop=num,
                                        dtype=dtype or "float32"))
    scaled = _create("_mul_scalar", [index], {"scalar": step})
    return _create("_plus_scalar", [scaled], {"scalar": start}, name=name)


def eye(N, M=0, k=0, dtype=None, name=None, attr=None, **kwargs):
    """An N x M (M=0: N x N) matrix with ones on diagonal k, as MXNet's eye;
    one_hot of the row's diagonal column (out of range: a row of zeros).
    As MXNet's, __dunder__ keywords and hidden keys (lr_mult) become node
    attributes and ctx is taken; MXNetError for other keywords."""
    kwargs.pop("ctx", None)
    unknown = [key for key in kwargs if not _is_user_attr(_node_key(key))]
    if unknown:
        raise MXNetError("eye: unknown argument '%s'; expected N, M, k, "
                         "dtype, ctx, name, attr or __dunder__ attributes"
                         % unknown[0])
    rows = _create("_arange", [], dict(start=k, stop=N + k, dtype="float32"))
    return _create("one_hot", [rows], dict(depth=M or N,
                                           dtype=dtype or "float32",
                                           **kwargs),
                   name=name, attr=attr)


def histogram(a, bins=10, range=None, **kwargs):
    """MXNet's histogram of a symbol: bins is a count (with range) or a
    symbol of bin edges."""
    if isinstance(bins, Symbol):
        return _create("_histogram", [a, bins], dict(kwargs))
    if range is None:
        raise ValueError("null range is not supported in symbol mode")
    return _create("_histogram", [a], dict(bin_cnt=bins, range=range,
                                           **kwargs))


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """MXNet's split_v2 as a symbol: one _split_v2 node (see
    kiln/symbol/_split_v2.py) with `indices_or_sections` near-equal parts
    (an int: numpy's array_split sizes) or the parts between cut indices
    (a tuple). ValueError for any other kind, as MXNet's."""
    indices, sections = [], 0
    if isinstance(indices_or_sections, _numbers.Integral):
        sections = indices_or_sections
    elif isinstance(indices_or_sections, tuple):
        indices = [0] + list(indices_or_sections)
    else:
        raise ValueError("indices_or_sections must either int or tuple of "
                         "ints")
    return _create("_split_v2", [ary], dict(
        indices=indices, axis=axis, squeeze_axis=squeeze_axis,
        sections=sections))
