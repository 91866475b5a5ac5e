"""Gluon's Block, HybridBlock and SymbolBlock (MXNet 1.9.1's
`mxnet/gluon/block.py`).

A Block is a model or a layer: it owns Parameters (`params`, names
prefixed by the block's prefix, `dense0_` ...) and child Blocks assigned as
attributes, and computes in `forward`. A HybridBlock computes in
`hybrid_forward(F, x, *args, **params)`: F is mx.nd when called on
NDArrays, mx.sym when traced on Symbols. After `hybridize()` its first call
traces the graph into a Symbol and later calls run that Symbol compiled
(gluon/_cached_graph.py: kiln's Executor, one per input signature,
differentiable under autograd.record()). `export` writes the traced graph
and its parameters as MXNet's `-symbol.json` / `-%04d.params` files, which
SymbolBlock.imports (here or in Apache MXNet) reads back.

    class Net(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super(Net, self).__init__(**kwargs)
            with self.name_scope():
                self.fc = nn.Dense(10)
        def hybrid_forward(self, F, x):
            return F.relu(self.fc(x))
    net = Net(); net.initialize(); net.hybridize()
    y = net(mx.nd.ones((4, 20)))       # traced, then compiled
    net.export("net")                  # net-symbol.json, net-0000.params

Errors follow MXNet's classes, with the block or parameter named: calling
a block whose parameters were never initialized is a RuntimeError
(MXNetError), an input contradicting initialized weights an MXNetError
naming the block, the operator, expected and got; load_parameters with
missing or extra names an AssertionError / ValueError (both MXNetError
here). The block stays usable after each.
"""
import copy
import json
import re
import threading
import warnings
from collections import OrderedDict, defaultdict

import numpy as np

from .. import _op_gen
from .. import name as _name
from .. import ndarray
from .. import symbol
from .._core import MXNetValueError
from .._jit_tracer import TracedArray
from ..base import MXNetError, mx_real_t
from ..initializer import Uniform
from ..ndarray import NDArray
from ..symbol import Symbol
from ._cached_graph import CachedGraph
from .parameter import (DeferredInitializationError, Parameter,
                        ParameterDict, _MXNetAssertionError, _check)
from .utils import HookHandle, _brief_print_list, _indent

__all__ = ["Block", "HybridBlock", "SymbolBlock"]


class _BlockScope(object):
    """The name scope of a Block (`with block.name_scope():`): blocks
    made inside get the block's prefix and a per-class counter (dense0_,
    dense1_), and so do their parameters and symbol names."""
    _current = threading.local()

    def __init__(self, block):
        self._block = block
        self._counter = {}
        self._old_scope = None
        self._name_scope = None

    @staticmethod
    def create(prefix, params, hint):
        """(prefix, ParameterDict) of a new Block whose class alias is
        `hint`: within a scope, the parent's prefix + hint + count;
        outside, hint + a global count from the NameManager."""
        current = getattr(_BlockScope._current, "value", None)
        if current is None:
            if prefix is None:
                prefix = _name.current().get(None, hint) + "_"
            if params is None:
                params = ParameterDict(prefix)
            else:
                params = ParameterDict(params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = "%s%d_" % (hint, count)
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self):
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, "value", None)
        _BlockScope._current.value = self
        self._name_scope = _name.Prefix(self._block.prefix)
        self._name_scope.__enter__()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if self._block._empty_prefix:
            return
        self._name_scope.__exit__(exc_type, exc_value, traceback)
        self._name_scope = None
        _BlockScope._current.value = self._old_scope


def _gather_type_ctx_info(args):
    """(has a Symbol, has an NDArray, the set of contexts, the first
    NDArray's context, has a @kiln.jit trace's array) over nested lists of
    arguments; a trace's arrays count as NDArrays too."""
    if isinstance(args, NDArray):
        return False, True, {args.context}, args.context, False
    if isinstance(args, TracedArray):
        return False, True, {args.context}, args.context, True
    if isinstance(args, Symbol):
        return True, False, set(), None, False
    if isinstance(args, (list, tuple)):
        has_symbol = has_ndarray = has_traced = False
        contexts, first = set(), None
        for item in args:
            item_symbol, item_ndarray, item_contexts, item_first, \
                item_traced = _gather_type_ctx_info(item)
            has_symbol |= item_symbol
            has_ndarray |= item_ndarray
            has_traced |= item_traced
            contexts |= item_contexts
            if first is None:
                first = item_first
            if has_symbol and has_ndarray:
                break
        return has_symbol, has_ndarray, contexts, first, has_traced
    return False, False, set(), None, False


def _flatten(args, what, leaves=False):
    """(flat list of NDArrays/Symbols/None, format): the format is 0 for an
    array, the output count for a multi-output Symbol, -1 for None, and a
    list of formats for a list; `what` names the arguments in errors. With
    `leaves`, anything that is not a list or tuple is an item (format 0)."""
    if leaves and not isinstance(args, (list, tuple)):
        return [args], 0
    if isinstance(args, (NDArray, TracedArray)):
        return [args], 0
    if isinstance(args, Symbol):
        count = len(args.list_outputs())
        return [args], count if count > 1 else 0
    if args is None:
        return [None], -1
    if not isinstance(args, (list, tuple)):
        raise MXNetValueError(
            "When hybridized, the input of HybridBlock %s must be (nested) "
            "list of Symbol or NDArray, but got %s of type %s"
            % (what, str(args), str(type(args))))
    flat, formats = [], []
    for item in args:
        item_flat, item_format = _flatten(item, what, leaves)
        flat.extend(item_flat)
        formats.append(item_format)
    return flat, formats


def _regroup(args, fmt):
    """The nested structure `fmt` (from _flatten) rebuilt from the flat
    list `args`."""
    def take(items, form):
        if isinstance(form, int):
            if form < -1:
                raise MXNetValueError("Unsupported encoded format %s." % form)
            if form == 0:
                return items[0], items[1:]
            if form == -1:
                if items[0] is not None:
                    raise MXNetValueError(
                        "We do not support passing types that are not None "
                        "when the initial HybridBlock has received NoneType "
                        "and has been hybridized. Received arg = %s, fmt = "
                        "%s." % (items[0], form))
                return None, items[1:]
            return items[:form], items[form:]
        if not isinstance(items, (list, tuple)):
            raise MXNetValueError(
                "When hybridized, the output of HybridBlock must be (nested) "
                "list of Symbol or NDArray, but got %s of type %s"
                % (items, type(items)))
        result = []
        for item_form in form:
            value, items = take(items, item_form)
            result.append(value)
        return result, items
    return take(args, fmt)[0]


def _named_error(block, error):
    """`error` again, its message saying which block raised it (once: the
    innermost block), of the same class."""
    if getattr(error, "_kiln_block", None) is not None or \
            isinstance(error, DeferredInitializationError):
        return error
    message = "%s '%s': %s" % (type(block).__name__, block.name, error)
    try:
        named = type(error)(message)
    except Exception:  # a class that wants other arguments: leave it
        return error
    named._kiln_block = block.name
    return named


class Block(object):
    """Base class of models and layers (see the module docstring).

    prefix: the names' prefix (default: the class's lower-case name and a
    counter, within the enclosing name_scope); params: a ParameterDict to
    share parameters with (e.g. another block's collect_params()).
    """

    def __init__(self, prefix=None, params=None):
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(prefix, params,
                                                        self._alias())
        self._name = (self._prefix[:-1] if self._prefix.endswith("_")
                      else self._prefix)
        self._scope = _BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = {}
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()

    def __repr__(self):
        lines = ["  (%s): %s" % (key, _indent(repr(block), 2))
                 for key, block in self.__dict__.items()
                 if isinstance(block, Block)]
        return "%s(\n%s\n)" % (self.__class__.__name__, "\n".join(lines))

    def __setattr__(self, name, value):
        """Registers Blocks and Parameters assigned as attributes."""
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and \
                    not isinstance(value, type(existing)):
                raise TypeError("Changing attribute type for %s from %s to "
                                "%s is not allowed." % (name, type(existing),
                                                        type(value)))
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            _check_new_parameter(self, name)
            self._reg_params[name] = value
        super(Block, self).__setattr__(name, value)

    def _check_container_with_block(self):
        """Warns about Blocks kept in lists, tuples or dicts (they are not
        registered, so their parameters are not collected)."""
        children = set(id(child) for child in self._children.values())

        def hides_block(data):
            if isinstance(data, (list, tuple)):
                return any(hides_block(item) for item in data)
            if isinstance(data, dict):
                return any(hides_block(item) for item in data.values())
            return isinstance(data, Block) and id(data) not in children
        for key, value in self.__dict__.items():
            if isinstance(value, (list, tuple, dict)) and \
                    not (key.startswith("__") or key == "_children") and \
                    hides_block(value):
                warnings.warn(
                    '"%s.%s" is an unregistered container with Blocks. Note '
                    "that Blocks inside the list, tuple or dict will not be "
                    "registered automatically. Make sure to register them "
                    "using register_child() or switching to "
                    "nn.Sequential/nn.HybridSequential instead. "
                    % (self.__class__.__name__, key), stacklevel=3)

    def _alias(self):
        return self.__class__.__name__.lower()

    @property
    def prefix(self):
        """The prefix of this block's names (e.g. 'dense0_')."""
        return self._prefix

    @property
    def name(self):
        """The prefix without its trailing '_'."""
        return self._name

    def name_scope(self):
        """The scope (`with`) in which child blocks take this block's
        prefix."""
        return self._scope

    @property
    def params(self):
        """This block's own ParameterDict (children's not included)."""
        return self._params

    def collect_params(self, select=None):
        """A ParameterDict of this block's and its descendants' parameters;
        `select`: a regular expression the names must match (re.match)."""
        self._check_container_with_block()
        result = ParameterDict(self._params.prefix)
        if not select:
            result.update(self.params)
        else:
            pattern = re.compile(select)
            result.update({name: value for name, value in self.params.items()
                           if pattern.match(name)})
        for child in self._children.values():
            result.update(child.collect_params(select=select))
        return result

    def _collect_params_with_prefix(self, prefix=""):
        """{structural name ('0.weight', 'fc.bias'): Parameter}, the names
        save_parameters writes."""
        if prefix:
            prefix += "."
        result = {prefix + key: value
                  for key, value in self._reg_params.items()}
        for name, child in self._children.items():
            result.update(child._collect_params_with_prefix(prefix + name))
        return result

    # -- files -----------------------------------------------------------
    def save_parameters(self, filename, deduplicate=False):
        """Writes the parameters to `filename` (MXNet's .params layout)
        under their structural names; deduplicate saves a shared parameter
        once."""
        params = self._collect_params_with_prefix()
        if deduplicate:
            first = {}
            for key, value in params.items():
                first.setdefault(id(value), key)
            params = {key: value for key, value in params.items()
                      if first[id(value)] == key}
        ndarray.save(filename, {key: value._reduce()
                                for key, value in params.items()})

    def save_params(self, filename):
        """Deprecated (MXNet): the parameters by full name less the
        block's prefix; use save_parameters."""
        warnings.warn("save_params is deprecated. Please use "
                      "save_parameters. Note that if you want load from "
                      "SymbolBlock later, please use export instead.")
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_parameters(self, filename, ctx=None, allow_missing=False,
                        ignore_extra=False, cast_dtype=False,
                        dtype_source="current"):
        """Loads parameters saved by save_parameters (structural names) or,
        for a file without any '.' in its names, by full name less this
        block's prefix (save_params, ParameterDict.save). A parameter the
        file lacks is an AssertionError unless allow_missing, a name the
        block lacks a ValueError unless ignore_extra (MXNetErrors both,
        naming the parameter, the file and the names it has).
        cast_dtype/dtype_source: see Parameter._load_init."""
        loaded = ndarray.load(filename)
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not any("." in key for key in loaded.keys()):
            del loaded
            self.collect_params().load(
                filename, ctx, allow_missing, ignore_extra, self.prefix,
                cast_dtype=cast_dtype, dtype_source=dtype_source)
            return
        if not allow_missing:
            # A shared parameter is found under any of its names.
            names_of = defaultdict(list)
            for key, value in params.items():
                names_of[id(value)].append(key)
            for key, value in params.items():
                if not any(name in loaded for name in names_of[id(value)]):
                    raise _MXNetAssertionError(
                        "Parameter '%s' is missing in file '%s', which "
                        "contains parameters: %s. Set allow_missing=True to "
                        "ignore missing parameters."
                        % (key, filename, _brief_print_list(loaded.keys())))
        for key in loaded:
            if not ignore_extra and key not in params:
                raise MXNetValueError(
                    "Parameter '%s' loaded from file '%s' is not present in "
                    "ParameterDict, which contains parameters %s. Set "
                    "ignore_extra=True to ignore. "
                    % (key, filename, _brief_print_list(params.keys())))
        for key, value in loaded.items():
            if key in params:
                params[key]._load_init(value, ctx, cast_dtype=cast_dtype,
                                       dtype_source=dtype_source)

    def load_params(self, filename, ctx=None, allow_missing=False,
                    ignore_extra=False):
        """Deprecated (MXNet): load_parameters."""
        warnings.warn("load_params is deprecated. Please use "
                      "load_parameters.")
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    def save(self, prefix):
        """Writes `prefix`-model.json (the block tree, with each hybridized
        block's traced graph) and `prefix`-model.params
        (save_parameters), as MXNet's Block.save."""
        model = {}

        def describe(block, index, parent):
            entry = {"orig_name": block.name}
            parent[type(block).__name__.lower() + str(index[0])] = entry
            if isinstance(block, HybridBlock):
                entry["hybridized"] = bool(block._cached_graph)
                if block._cached_graph:
                    inputs, out = block._cached_graph
                    entry["in_format"] = block._in_format
                    entry["out_format"] = block._out_format
                    entry["inputs"] = [item.tojson() for item in inputs]
                    entry["symbol"] = out.tojson()
            entry["children"] = {}
            for key, child in block._children.items():
                index[0] += 1
                entry["children"][child.name] = key
                describe(child, index, entry)
        describe(self, [0], model)
        with open(prefix + "-model.json", "w") as handle:
            json.dump(model, handle)
        self.save_parameters(prefix + "-model.params")

    def load(self, prefix):
        """Reads what save(`prefix`) wrote into this block (made the same
        way): names and traced graphs back, then the parameters."""
        with open(prefix + "-model.json") as handle:
            model = json.load(handle)

        def restore(block, index, parent):
            entry = parent[type(block).__name__.lower() + str(index[0])]
            block._name = entry["orig_name"]
            if isinstance(block, HybridBlock) and entry["hybridized"]:
                block._in_format = entry["in_format"]
                block._out_format = entry["out_format"]
                block._cached_graph = (
                    [symbol.load_json(item) for item in entry["inputs"]],
                    symbol.load_json(entry["symbol"]))
                block._active = True
            for key in list(block.params.keys()):
                param = block.params._params.pop(key)
                block.params._params[block.name + "_" + key[
                    len(block.params._prefix):]] = param
            for child in block._children.values():
                index[0] += 1
                restore(child, index, entry)
            for key in list(block._children.keys()):
                child = block._children.pop(key)
                block._children[entry["children"][child.name]] = child
        restore(self, [0], model)
        self.load_parameters(prefix + "-model.params")

    # -- structure -------------------------------------------------------
    def register_child(self, block, name=None):
        """Adds `block` as a child under `name` (default: its index)."""
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook):
        """Calls hook(block, inputs) before each forward; returns a
        HookHandle (detach() removes it)."""
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook):
        """Calls hook(block, inputs, outputs) after each forward; returns a
        HookHandle."""
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn):
        """Calls fn(block) on every descendant, then on self; returns
        self."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init=Uniform(), ctx=None, verbose=False,
                   force_reinit=False):
        """collect_params().initialize(...): `init` for parameters without
        their own initializer, on `ctx` (default the current context)."""
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active=True, **kwargs):
        """Hybridizes the HybridBlocks among the descendants (see
        HybridBlock.hybridize)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype):
        """Casts every parameter (descendants' too) to `dtype`."""
        for child in self._children.values():
            child.cast(dtype)
        for _, param in self.params.items():
            param.cast(dtype)

    def __call__(self, *args):
        """Runs the pre-hooks, forward(*args), then the hooks."""
        for hook in self._forward_pre_hooks.values():
            hook(self, args)
        out = self.forward(*args)
        for hook in self._forward_hooks.values():
            hook(self, args, out)
        return out

    def forward(self, *args):
        """The computation on NDArrays; subclasses define it."""
        raise NotImplementedError

    def register_op_hook(self, callback, monitor_all=False):
        """Installs an operator monitor on the hybridized descendants."""
        for child in self._children.values():
            child.register_op_hook(callback, monitor_all)

    def summary(self, *inputs):
        """Prints each layer's output shape and parameter count for a
        forward pass on `inputs` (the block initialized, not hybridized),
        as MXNet's table."""
        summary = OrderedDict()
        seen = set()
        hooks = []
        containers = _sequential_classes()

        def shapes_of(args):
            flat, formats = _flatten(args, "summary", leaves=True)
            shapes = _regroup([x.shape if isinstance(x, NDArray) else x
                                   for x in flat], formats)
            text = str(shapes)[1:-1] if isinstance(shapes, list) else \
                str(shapes)
            return text.replace("L", "")

        def record(block, _, outputs):
            key = "%s-%i" % (block.__class__.__name__, len(summary))
            entry = summary[key] = OrderedDict()
            entry["output_shape"] = shapes_of(outputs)
            entry["n_params"] = entry["trainable"] = entry["shared"] = 0
            for param in block.params.values():
                size = param.data().size
                entry["n_params"] += size
                if param.grad_req != "null":
                    entry["trainable"] += size
                if param in seen:
                    entry["shared"] += size
                else:
                    seen.add(param)

        def add_hook(block):
            if isinstance(block, HybridBlock) and block._active:
                raise _MXNetAssertionError(
                    '"%s" must not be hybridized to print summary.'
                    % block.name)
            if not isinstance(block, containers):
                hooks.append(block.register_forward_hook(record))

        summary["Input"] = OrderedDict(
            [("output_shape", shapes_of(inputs)), ("n_params", 0),
             ("trainable", 0), ("shared", 0)])
        try:
            self.apply(add_hook)
            self(*inputs)
            row = "{:>20}  {:>42} {:>15}"
            print("-" * 80)
            print(row.format("Layer (type)", "Output Shape", "Param #"))
            print("=" * 80)
            total = sum(entry["n_params"] for entry in summary.values())
            trainable = sum(entry["trainable"] for entry in summary.values())
            shared = sum(entry["shared"] for entry in summary.values())
            for layer, entry in summary.items():
                print(row.format(layer, str(entry["output_shape"]),
                                 entry["n_params"]))
            print("=" * 80)
            print("Parameters in forward computation graph, duplicate "
                  "included")
            print("   Total params: " + str(total))
            print("   Trainable params: " + str(trainable))
            print("   Non-trainable params: " + str(total - trainable))
            print("Shared params in forward computation graph: " +
                  str(shared))
            print("Unique parameters in model: " + str(total - shared))
            print("-" * 80)
        finally:
            for hook in hooks:
                hook.detach()


def _check_new_parameter(block, name):
    if name in block._reg_params:
        raise _MXNetAssertionError(
            "Overriding Parameter attribute %s is not allowed. If you want "
            "to share parameters between blocks, please set 'params' at "
            "Block construction instead." % name)


def _sequential_classes():
    """nn.Sequential and nn.HybridSequential (summary skips them), or ()
    while gluon.nn is missing."""
    try:
        from .nn.basic_layers import Sequential, HybridSequential
    except ImportError:
        return ()
    return (Sequential, HybridSequential)


class HybridBlock(Block):
    """A Block computed by hybrid_forward(F, x, *args, **params), on
    NDArrays (F = mx.nd) or Symbols (F = mx.sym); hybridize() makes calls
    run the traced graph compiled (see the module docstring). Children
    must be HybridBlocks too (ValueError)."""

    def __init__(self, prefix=None, params=None):
        super(HybridBlock, self).__init__(prefix=prefix, params=params)
        self._cached_graph = ()
        self._cached_op = None
        self._cached_op_args = []
        self._out_format = None
        self._in_format = None
        self._active = False
        self._flags = []
        self._callback = None
        self._monitor_all = False
        self._backend = None
        self._backend_opts = {}
        # Set when the traced graph needs values read on the host while it
        # runs (the random image transforms draw theirs there): calls then
        # run hybrid_forward imperatively, as torch.compile falls back to
        # eager at a graph break.
        self._runs_imperatively = False

    def __setattr__(self, name, value):
        super(HybridBlock, self).__setattr__(name, value)
        if isinstance(value, HybridBlock):
            self._clear_cached_op()

    def _get_graph(self, *args):
        """(input variables, output Symbol): hybrid_forward traced with
        F = mx.sym on variables 'data' (or data0, data1, ...), made once."""
        if not self._cached_graph:
            flat, in_format = _flatten(args, "input")
            real = sum(item is not None for item in flat)
            if real == 0:
                raise MXNetValueError("All args are None and we do not "
                                      "support such a case. Received args=%s"
                                      % (args,))
            variables, inputs = [], []
            for item in flat:
                if item is None:
                    inputs.append(None)
                    continue
                variable = symbol.var("data%d" % len(variables)
                                      if real > 1 else "data")
                variables.append(variable)
                inputs.append(variable)
            grouped = _regroup(inputs, in_format)
            params = {key: value.var()
                      for key, value in self._reg_params.items()}
            with self.name_scope():
                out = self.hybrid_forward(symbol, *grouped, **params)
            out, out_format = _flatten(out, "output")
            self._in_format, self._out_format = in_format, out_format
            self._cached_graph = variables, symbol.Group(out)
        return self._cached_graph

    def _build_cache(self, *args):
        """Traces the graph, finishes deferred initializations from the
        inputs' shapes, and makes the CachedGraph."""
        data, out = self._get_graph(*args)
        data_names = {item.name: index for index, item in enumerate(data)}
        input_names = out.list_inputs()
        params = self.collect_params()
        for name in input_names:
            _check(name in params or name in data_names,
                   "Unknown input to HybridBlock: %s" % name)
        unused = [index for name, index in data_names.items()
                  if name not in input_names]
        if unused:
            warnings.warn("The %s input to HybridBlock is not used by any "
                          "computation. Is this intended?"
                          % ", ".join("%d-th" % i for i in unused),
                          stacklevel=4)
        unused = [name for name in params.keys() if name not in input_names]
        if unused:
            warnings.warn("Parameter %s is not used by any computation. Is "
                          "this intended?" % ", ".join(unused), stacklevel=4)
        flat = [item for item in _flatten(args, "input")[0]
                if item is not None]
        try:
            for name in input_names:
                if name in params:
                    params[name].data()
        except DeferredInitializationError:
            self._deferred_infer_shape(*flat)
            for name in input_names:
                if name in params:
                    params[name]._finish_deferred_init()
        self._cached_op_args = [
            (True, data_names[name]) if name in data_names
            else (False, params[name]) for name in input_names]
        self._cached_op = CachedGraph(out, list(data_names))

    def _deferred_infer_shape(self, *args):
        try:
            self.infer_shape(*args)
        except Exception as error:
            raise MXNetValueError("Deferred initialization failed because "
                                  "shape cannot be inferred. %s" % error)

    def _call_cached_op(self, *args):
        if self._cached_op is None:
            self._build_cache(*args)
        args, fmt = _flatten(args, "input")
        if fmt != self._in_format:
            if not _formats_compatible(fmt, self._in_format):
                raise MXNetValueError(
                    "The argument structure of HybridBlock does not match "
                    "the cached version. Stored format = %s, input format = "
                    "%s" % (fmt, self._in_format))
        args = [item for item in args if item is not None]
        inputs, requests = [], []
        for is_arg, item in self._cached_op_args:
            if is_arg:
                inputs.append(args[item])
                requests.append(None)
            else:
                inputs.append(item.data())
                requests.append(item.grad_req)
        self._check_one_context(inputs)
        try:
            out = self._cached_op(inputs, requests)
        except MXNetError as error:
            raise _named_error(self, error)
        return _regroup(out, self._out_format)

    def _check_one_context(self, inputs):
        """MXNetError, as MXNet's CachedOp, unless the graph's inputs (data
        and parameters, in the graph's order) all live on the first one's
        context: parameters initialized only on another context are not
        read across."""
        if not inputs:
            return
        first = inputs[0]._device
        for (is_arg, item), array in zip(self._cached_op_args, inputs):
            if array._device != first:
                def name(entry):
                    is_data, value = entry
                    return (self._cached_graph[0][value].name if is_data
                            else value.name)
                raise MXNetError(
                    "CachedOp requires all inputs to live on the same "
                    "context. But %s is on %s while %s is on %s"
                    % (name(self._cached_op_args[0]), inputs[0].context,
                       name((is_arg, item)), array.context))

    def optimize_for(self, x, *args, backend=None, clear=False,
                     static_alloc=False, static_shape=False, inline_limit=2,
                     forward_bulk_size=None, backward_bulk_size=None,
                     **kwargs):
        """Partitioning for a subgraph backend: ValueError without a
        backend; kiln has none, so any backend is an MXNetError."""
        if not backend:
            raise MXNetValueError('Must specify "backend" to optimize_for')
        _no_backend(backend)

    def _clear_cached_op(self):
        self._cached_graph = ()
        self._cached_op = None
        self._cached_op_args = []
        self._runs_imperatively = False

    def _fall_back_to_imperative(self, error):
        """From now on (until hybridize or a new child clears it) calls run
        hybrid_forward on NDArrays; says so once, with the reason."""
        self._clear_cached_op()
        self._runs_imperatively = True
        if getattr(_IMPERATIVE_FALLBACK, "active", False):
            return
        warnings.warn("%s '%s': hybridize() runs it imperatively: its graph "
                      "needs values read on the host while it runs (%s)"
                      % (type(self).__name__, self.name,
                         str(error).splitlines()[0]), stacklevel=4)

    def register_child(self, block, name=None):
        if not isinstance(block, HybridBlock):
            raise MXNetValueError(
                "Children of HybridBlock must also be HybridBlock, but %s "
                "has type %s. If you are using Sequential, please try "
                "HybridSequential instead." % (str(block), str(type(block))))
        super(HybridBlock, self).register_child(block, name)
        self._clear_cached_op()

    def hybridize(self, active=True, backend=None, clear=True,
                  static_alloc=False, static_shape=False, inline_limit=2,
                  forward_bulk_size=None, backward_bulk_size=None, **kwargs):
        """Turns the compiled graph on (active) or off, here and in the
        descendants. kiln always runs it statically allocated, so
        static_alloc/static_shape are accepted and change nothing;
        `backend` (subgraph partitioning) is an MXNetError: kiln has
        none."""
        if backend is not None:
            _no_backend(backend)
        if kwargs:
            self._backend_opts = kwargs
        self._backend = backend
        self._active = active
        self._flags = [("static_alloc", static_alloc),
                       ("static_shape", static_shape),
                       ("inline_limit", inline_limit)]
        if forward_bulk_size is not None:
            self._flags.append(("forward_bulk_size", forward_bulk_size))
        if backward_bulk_size is not None:
            self._flags.append(("backward_bulk_size", backward_bulk_size))
        if clear:
            self._clear_cached_op()
        # MXNet's condition, precedence included.
        if active and self._forward_hooks or self._forward_pre_hooks:
            warnings.warn('"%s" is being hybridized while still having '
                          'forward hook/pre-hook. If "%s" is a child of '
                          'HybridBlock, the hooks will not take effect.'
                          % (self, self))
        super(HybridBlock, self).hybridize(
            active, static_alloc=static_alloc, static_shape=static_shape,
            inline_limit=inline_limit, forward_bulk_size=forward_bulk_size,
            backward_bulk_size=backward_bulk_size)

    def cast(self, dtype):
        self._clear_cached_op()
        super(HybridBlock, self).cast(dtype)

    def _infer_attrs(self, infer_fn, attr, *args):
        """Sets `attr` ('shape' or 'dtype') of the parameters from the
        traced graph's inference on the inputs' `attr`."""
        inputs, out = self._get_graph(*args)
        args = [item for item in _flatten(args, "input")[0]
                if item is not None]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            given = {variable.name: getattr(value, attr)
                     for variable, value in zip(inputs, args)}
            if infer_fn == "infer_shape":
                # With the inputs' types, as ops check them (an int32
                # length for softmax).
                arg_attrs, _, aux_attrs = out._infer_shape_typed(
                    given, {variable.name: value.dtype
                            for variable, value in zip(inputs, args)})
            else:
                arg_attrs, _, aux_attrs = getattr(out, infer_fn)(**given)
        if arg_attrs is None:
            raise MXNetValueError(str(caught[0].message) if caught else
                                  "%s failed" % infer_fn)
        inferred = dict(zip(out.list_arguments(), arg_attrs))
        inferred.update(zip(out.list_auxiliary_states(), aux_attrs))
        for param in self.collect_params().values():
            if param.name in inferred:
                setattr(param, attr, inferred[param.name])

    def infer_shape(self, *args):
        """Sets the parameters' shapes from the inputs' (deferred
        initialization)."""
        self._infer_attrs("infer_shape", "shape", *args)

    def infer_type(self, *args):
        """Sets the parameters' dtypes from the inputs'."""
        self._infer_attrs("infer_type", "dtype", *args)

    def export(self, path, epoch=0, remove_amp_cast=True):
        """Writes `path`-symbol.json (the traced graph; one input is named
        'data', several data0, data1, ...) and `path`-%04d.params (epoch)
        with arg:/aux: names, as MXNet (SymbolBlock.imports, Module and
        Apache MXNet read them). RuntimeError before a hybridized
        forward."""
        if not self._cached_graph:
            raise MXNetError(
                "Please first call block.hybridize() and then run forward "
                "with this block at least once before calling export.")
        sym = self._cached_graph[1]
        sym.save("%s-symbol.json" % path, remove_amp_cast=remove_amp_cast)
        arg_names = set(sym.list_arguments())
        aux_names = set(sym.list_auxiliary_states())
        arrays = {}
        for is_arg, param in self._cached_op_args:
            if is_arg:
                continue
            if param.name in arg_names:
                arrays["arg:%s" % param.name] = param._reduce()
            elif param.name in aux_names:
                arrays["aux:%s" % param.name] = param._reduce()
            else:
                warnings.warn('Parameter "%s" is not found in the graph. '
                              % param.name, stacklevel=3)
        ndarray.save("%s-%04d.params" % (path, epoch), arrays)

    def register_op_hook(self, callback, monitor_all=False):
        """Records an operator monitor (kiln's compiled graphs do not call
        it yet)."""
        self._callback = callback
        self._monitor_all = monitor_all
        for child in self._children.values():
            child._callback = callback
            child._monitor_all = monitor_all

    def forward(self, x, *args):
        """hybrid_forward on NDArrays (the compiled graph when hybridized),
        on a @kiln.jit trace's arrays (traced into its graph) or on Symbols;
        ValueError for a mix of both or neither."""
        has_symbol, has_ndarray, contexts, first, traced = \
            _gather_type_ctx_info([x] + list(args))
        if has_symbol and has_ndarray:
            raise MXNetValueError(
                "In HybridBlock, we do not support mixed NDArrays and "
                "Symbols types for the input. Please check the type of the "
                "args.\n")
        if not has_symbol and not has_ndarray:
            raise MXNetValueError(
                "In HybridBlock, there must be one NDArray or one Symbol in "
                "the input. Please check the type of the args.\n")
        if has_symbol:
            params = {key: value.var()
                      for key, value in self._reg_params.items()}
            with self.name_scope():
                return self.hybrid_forward(symbol, x, *args, **params)
        ctx = first
        # Inside a @kiln.jit trace the block's operators join the traced
        # function's graph (its parameters as the trace's constants, which
        # take gradients as arrays a jitted function reads do), so the
        # block's own compiled graph is not used; so do its operators on
        # the function's global arrays (no traced input).
        traced = traced or _op_gen.tracing()
        if self._active and not self._runs_imperatively and not traced:
            if len(contexts) > 1:
                raise MXNetValueError(
                    "Find multiple contexts in the input, After hybridized, "
                    "the HybridBlock only supports one input context. You "
                    "can print the ele.ctx in the input arguments to inspect "
                    "their contexts. Find all contexts = %s" % contexts)
            with ctx:
                try:
                    return self._call_cached_op(x, *args)
                except MXNetError as error:
                    if not _needs_host_values(error):
                        raise
                    self._fall_back_to_imperative(error)
        with ctx:
            try:
                params = {key: value.data(ctx)
                          for key, value in self._reg_params.items()}
            except DeferredInitializationError:
                self._deferred_infer_shape(x, *args)
                for _, value in self.params.items():
                    value._finish_deferred_init()
                params = {key: value.data(ctx)
                          for key, value in self._reg_params.items()}
            # Descendants falling back inside a block that fell back do
            # not say so again.
            outer = getattr(_IMPERATIVE_FALLBACK, "active", False)
            _IMPERATIVE_FALLBACK.active = outer or self._runs_imperatively
            try:
                return self.hybrid_forward(ndarray, x, *args, **params)
            except MXNetError as error:
                raise _named_error(self, error)
            finally:
                _IMPERATIVE_FALLBACK.active = outer

    def hybrid_forward(self, F, x, *args, **kwargs):
        """The computation, with F the module of operators (mx.nd or
        mx.sym) and the parameters as keyword arguments; subclasses define
        it."""
        raise NotImplementedError


# The engine's words when a traced graph asks for a value on the host
# (runtime/Engine.cpp, Engine::waitForVar).
_HOST_VALUE_MESSAGES = ("the result's shape depends on the values of an "
                        "input", "a value was needed on the host")


# Per thread: whether an enclosing block runs imperatively after falling
# back (HybridBlock.forward).
_IMPERATIVE_FALLBACK = threading.local()


def _needs_host_values(error):
    """Whether `error` says a graph op reads values on the host, which a
    compiled graph cannot (random draws made there, data-dependent
    shapes)."""
    return any(text in str(error) for text in _HOST_VALUE_MESSAGES)


def _no_backend(backend):
    raise MXNetError("backend '%s': kiln has no subgraph backends (its "
                     "graph compiler runs every hybridized block); use "
                     "backend=None" % backend)


def _formats_compatible(given, stored):
    """Whether input format `given` matches `stored` up to trailing None
    arguments (defaults)."""
    if len(stored) > len(given):
        return (all(item == -1 for item in stored[len(given):]) and
                given == stored[:len(given)])
    if len(stored) < len(given):
        return (all(item == -1 for item in given[len(stored):]) and
                given[:len(stored)] == stored)
    return False


def _common_prefix(names):
    """The longest prefix all of `names` share ('' for none)."""
    if not names:
        return ""
    prefix = names[0]
    for name in names:
        length = 0
        while (length < len(prefix) and length < len(name) and
               prefix[length] == name[length]):
            length += 1
        prefix = prefix[:length]
    return prefix


class SymbolBlock(HybridBlock):
    """A HybridBlock that runs a given Symbol: `outputs` (a Symbol or a
    list), `inputs` (the variables that are data; the graph's other
    variables become parameters, created deferred with the dtypes inferred
    from the inputs), `params` (a ParameterDict to take parameters from,
    e.g. another block's collect_params()). Always runs compiled."""

    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None,
                allow_missing=False, ignore_extra=False):
        """A SymbolBlock of `symbol_file` (an exported -symbol.json, also
        Module.save_checkpoint's) with `input_names` (str or list) as
        data, its parameters loaded from `param_file` (arg:/aux: names;
        dtypes as saved) on `ctx` when given."""
        sym = symbol.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        if param_file is None:
            inputs = [symbol.var(name, dtype=mx_real_t)
                      for name in input_names]
        else:
            inputs = [symbol.var(name) for name in input_names]
        block = SymbolBlock(sym, inputs)
        if param_file is not None:
            block.collect_params().load(param_file, ctx, allow_missing,
                                        ignore_extra, cast_dtype=True,
                                        dtype_source="saved")
        return block

    def __repr__(self):
        inputs, out = self._cached_graph
        return "%s(\n%s : %d -> %d\n)" % (self.__class__.__name__, out,
                                          len(inputs),
                                          len(out.list_outputs()))

    def __init__(self, outputs, inputs, params=None):
        super(SymbolBlock, self).__init__(prefix=None, params=None)
        self._prefix = ""
        self._params = ParameterDict("", params)
        if isinstance(inputs, Symbol) and len(inputs.list_outputs()) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        syms, self._in_format = _flatten(inputs, "input")
        out, self._out_format = _flatten(outputs, "output")
        input_names = set()
        for item in syms:
            _check(len(item.get_internals().list_outputs()) == 1,
                   "Input symbols must be variable, but %s is an output of "
                   "operators" % str(item))
            input_names.add(item.name)
        out = symbol.Group(out) if len(out) > 1 else out[0]
        arg_params = out.list_arguments()
        aux_params = out.list_auxiliary_states()
        arg_types, aux_types = _infer_param_types(syms, out, arg_params,
                                                  aux_params)
        for name, dtype in zip(arg_params, arg_types):
            if name not in input_names:
                self.params.get(name, allow_deferred_init=True, dtype=dtype)
        for name, dtype in zip(aux_params, aux_types):
            if name not in input_names:
                self.params.get(name, grad_req="null",
                                allow_deferred_init=True, dtype=dtype)
        self._cached_graph = syms, out
        skip = len(_common_prefix(list(self._params.keys())))
        self._reg_params = {key[skip:]: value
                            for key, value in self._params.items()}

    def forward(self, x, *args):
        if isinstance(x, NDArray):
            with x.context:
                return self._call_cached_op(x, *args)
        if not isinstance(x, Symbol):
            raise _MXNetAssertionError(
                "HybridBlock requires the first argument to forward be "
                "either Symbol or NDArray, but got %s" % type(x))
        args, in_format = _flatten([x] + list(args), "input")
        _check(in_format == self._in_format, "Invalid input format")
        result = copy.copy(self._cached_graph[1])
        result._compose(**{variable.name: value for variable, value
                           in zip(self._cached_graph[0], args)})
        return _regroup(list(result), self._out_format)

    def _clear_cached_op(self):
        graph = self._cached_graph
        super(SymbolBlock, self)._clear_cached_op()
        self._cached_graph = graph

    def cast(self, dtype):
        self._clear_cached_op()
        super(SymbolBlock, self).cast(dtype)
        if np.dtype(dtype).name != "float16":
            return
        # BatchNorm keeps float32 statistics and scales, as MXNet.
        names = self._cached_graph[1].get_internals().list_inputs()
        for name in names:
            for stat, siblings in (("running_var", ("running_mean", "gamma",
                                                    "beta")),
                                   ("moving_var", ("moving_mean", "gamma",
                                                   "beta"))):
                if not name.endswith(stat):
                    continue
                base = name[:-len(stat)]
                group = [base + sibling for sibling in siblings]
                if all(item in names for item in group):
                    for item in [name] + group:
                        self.params.get(item).cast("float32")

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError

    def reset_ctx(self, ctx):
        """Moves every parameter to `ctx`."""
        for param in self.collect_params().values():
            param.reset_ctx(ctx)


def _infer_param_types(in_params, out_params, arg_params, aux_params,
                       default_dtype=mx_real_t):
    """(argument dtypes, auxiliary dtypes) of `out_params` inferred from
    the input variables' dtypes, `default_dtype` where that fails."""
    arg_types = aux_types = None
    known = {}
    for variable in in_params:
        types = variable.infer_type()[0]
        if not types or types[0] is None:
            known = None
            break
        known[variable.name] = types[0]
    if known is not None:
        try:
            arg_types, _, aux_types = out_params.infer_type(**known)
        except MXNetError:
            arg_types = aux_types = None
    if arg_types is None or len(arg_types) != len(arg_params):
        arg_types = [default_dtype] * len(arg_params)
    if aux_types is None or len(aux_types) != len(aux_params):
        aux_types = [default_dtype] * len(aux_params)
    return arg_types, aux_types
