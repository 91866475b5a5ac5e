"""mx.operator: operators written in Python (MXNet 1.9.1's mxnet.operator).

    class Softmax(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            x = in_data[0]
            y = mx.nd.exp(x - x.max(axis=1, keepdims=True))
            self.assign(out_data[0], req[0], y / y.sum(axis=1, keepdims=True))
        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            label = in_data[1]
            y = out_data[0] - mx.nd.one_hot(label, out_data[0].shape[1])
            self.assign(in_grad[0], req[0], y)

    @mx.operator.register("softmax")
    class SoftmaxProp(mx.operator.CustomOpProp):
        def __init__(self):
            super(SoftmaxProp, self).__init__(need_top_grad=False)
        def list_arguments(self):
            return ['data', 'label']
        def infer_shape(self, in_shape):
            return [in_shape[0], in_shape[0][:1]], [in_shape[0]], []
        def create_operator(self, ctx, shapes, dtypes):
            return Softmax()

    y = mx.nd.Custom(x, label, op_type='softmax')      # or mx.sym.Custom

A CustomOpProp subclass registered under a name describes the operator
(its inputs, outputs, auxiliary states, shapes and types); its
create_operator gives the CustomOp that computes forward and backward on
NDArrays. ``mx.nd.Custom`` / ``mx.sym.Custom`` (kiln/_custom_op.py) run it
imperatively, under autograd, in symbols, executors, Modules and hybridized
Gluon blocks.

The deprecated PythonOp, NumpyOp and NDArrayOp of MXNet 1.x are here too,
built on the same machinery (their symbols are Custom nodes).
"""
import itertools as _itertools
import threading as _threading
import warnings as _warnings

import numpy as _np

from . import _core
from .base import MXNetError

__all__ = ["CustomOp", "CustomOpProp", "register",
           "get_all_registered_operators", "PythonOp", "NumpyOp", "NDArrayOp"]

# What infer_storage_type may answer: kiln stores dense arrays only.
_DEFAULT_STYPE = "default"


class CustomOp(object):
    """The computation of a custom operator: override forward and backward.

    Both take lists of NDArrays and write their results with
    ``self.assign(dst, req, src)``, which honours the request MXNet gives for
    each output ('null': leave it, 'write'/'inplace': overwrite, 'add': add).
    """

    def __init__(self):
        pass

    def forward(self, is_train, req, in_data, out_data, aux):
        """Computes out_data from in_data (and aux, which it may update).

        is_train: 1 when training (autograd.is_training(), or the executor's
        forward(is_train=True)), else 0, as MXNet passes it. req: one
        request per output. in_data: the arguments (list_arguments order);
        out_data: the outputs to fill (list_outputs order); aux: the
        auxiliary states (list_auxiliary_states order)."""
        pass

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        """Writes the gradients of the arguments into in_grad (one request
        per argument: 'write', or 'null' for an argument that takes no
        gradient) from out_grad (the outputs' gradients), in_data, out_data
        and aux."""
        pass

    def assign(self, dst, req, src):
        """dst as req says: unchanged for 'null', src for 'write' and
        'inplace', dst + src for 'add'."""
        if req == "null":
            return
        if req in ("write", "inplace"):
            dst[:] = src
        elif req == "add":
            dst[:] += src


class CustomOpProp(object):
    """The description of a custom operator; subclass it and register the
    subclass with ``@mx.operator.register(name)``.

    Its constructor receives the keyword arguments of mx.nd.Custom /
    mx.sym.Custom other than op_type, each as a string (str(value)), as
    MXNet passes them. need_top_grad: whether backward needs the outputs'
    gradients (False for loss layers); the default
    declare_backward_dependency reads it.
    """

    def __init__(self, need_top_grad=True):
        self.need_top_grad_ = need_top_grad

    def infer_shape(self, in_shape):
        """(argument shapes, output shapes[, auxiliary state shapes]) from
        the argument shapes (lists of ints; [] where unknown). By default
        every output has the first argument's shape and there are no
        auxiliary states."""
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type):
        """(argument types, output types[, auxiliary state types]) from the
        argument types (numpy types; None where unknown). By default every
        output and auxiliary state has the first argument's type."""
        return (in_type, [in_type[0]] * len(self.list_outputs()),
                [in_type[0]] * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype):
        """(argument, output, auxiliary state) storage types: 'default'
        everywhere. kiln stores dense arrays only, so an operator answering
        anything else is refused (MXNetError) when it runs."""
        for index, stype in enumerate(in_stype):
            assert stype == _DEFAULT_STYPE, (
                "Default infer_storage_type implementation doesnt allow non "
                "default stypes: found non default stype '%s' for "
                "in_stype[%d]" % (stype, index))
        return (in_stype, [_DEFAULT_STYPE] * len(self.list_outputs()),
                [_DEFAULT_STYPE] * len(self.list_auxiliary_states()))

    def infer_storage_type_backward(self, ograd_stype, in_stype, out_stype,
                                    igrad_stype, aux_stype):
        """The storage types of backward's arrays (output gradients,
        inputs, outputs, input gradients, auxiliary states): 'default'."""
        stype_lists = [ograd_stype, in_stype, out_stype, igrad_stype,
                       aux_stype]
        for stypes in stype_lists:
            stypes[:] = [_DEFAULT_STYPE] * len(stypes)
        return tuple(stype_lists)

    def list_outputs(self):
        """The names of the outputs: ['output']."""
        return ["output"]

    def list_arguments(self):
        """The names of the arguments: ['data']."""
        return ["data"]

    def list_auxiliary_states(self):
        """The names of the auxiliary states: none."""
        return []

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        """The ids (among those given for out_grad, in_data, out_data) that
        backward reads: all, without out_grad unless need_top_grad."""
        deps = []
        if self.need_top_grad_:
            deps.extend(out_grad)
        deps.extend(in_data)
        deps.extend(out_data)
        return deps

    def create_operator(self, ctx, in_shapes, in_dtypes):
        """The CustomOp that computes this operator for arrays of the given
        shapes (lists of ints, arguments then auxiliary states) and types
        (MXNet's type flags: 0 float32, 1 float64, ...) on context ctx."""
        return CustomOp()


# op_type -> CustomOpProp subclass. Lookups happen per node or call; the
# lock keeps registration from other threads consistent.
_registry = {}
_registry_lock = _threading.Lock()
# Functions told of every registration (the Custom operator's caches).
_on_register = []


def register(reg_name):
    """A class decorator registering a CustomOpProp subclass as the custom
    operator `reg_name` (op_type=reg_name in mx.nd.Custom / mx.sym.Custom).
    A second registration of a name replaces the first, as in MXNet."""
    def do_register(prop_cls):
        with _registry_lock:
            _registry[str(reg_name)] = prop_cls
        for notify in _on_register:
            notify(str(reg_name))
        return prop_cls
    return do_register


def _lookup(op_type):
    """The CustomOpProp subclass registered as `op_type`; MXNetError when
    there is none."""
    with _registry_lock:
        prop_cls = _registry.get(op_type)
    if prop_cls is None:
        raise MXNetError("Cannot find custom operator %s (register it with "
                         "@mx.operator.register(%r))" % (op_type, op_type))
    return prop_cls


register("custom_op")(CustomOpProp)


def get_all_registered_operators():
    """The names of the operators (kiln's registry and the Python ones of
    kiln/_python_ops.py, Custom among them), as MXNet lists its own;
    op_types registered with register() are not among them, as in MXNet."""
    from . import _python_ops
    return [entry[0] for entry in _core.list_ops()] + _python_ops.names()


# -- MXNet 1.x's deprecated Python operators -------------------------------
_legacy_ids = _itertools.count()


class PythonOp(object):
    """Base class of MXNet's deprecated Python operators (use CustomOp):
    calling an instance with input symbols gives its symbol (get_symbol).

    need_top_grad: the default need_top_grad()'s answer.
    """

    def __init__(self, need_top_grad=True):
        self.info_ = None
        self.need_top_grad_ = need_top_grad
        _warnings.warn("PythonOp has been deprecated. Please use CustomOp")

    def __call__(self, *args, **kwargs):
        return self.get_symbol(*args, **kwargs)

    def get_symbol(self, *args, **kwargs):
        """The symbol of this operator over the symbols `args`."""
        raise NotImplementedError("Must override this")

    def forward(self, in_data, out_data):
        """Fills out_data from in_data; by default copies the first input."""
        out_data[0][:] = in_data[0]

    def backward(self, out_grad, in_data, out_data, in_grad):
        """Fills in_grad; by default with ones."""
        in_grad[0][:] = 1.0

    def infer_shape(self, in_shape):
        """(argument shapes, output shapes): by default one output of the
        first argument's shape."""
        return in_shape, [in_shape[0]]

    def list_outputs(self):
        return ["output"]

    def list_arguments(self):
        return ["data"]

    def need_top_grad(self):
        """Whether backward needs the outputs' gradients (False for loss
        layers)."""
        return self.need_top_grad_

    def _legacy_symbol(self, args, kwargs, hint):
        """A Custom node running this operator through _LegacyProp, under an
        op_type registered for this instance (MXNet's node is a _Native or
        _NDArray one; `hint` is that name, for automatic node names);
        kwargs: name and attr."""
        from .symbol import _custom
        op_type = "_legacy%s_%d" % (hint, next(_legacy_ids))
        legacy = self

        class Prop(_LegacyProp):
            def __init__(self):
                super(Prop, self).__init__(legacy)
        register(op_type)(Prop)
        unknown = [key for key in kwargs if key not in ("name", "attr")]
        if unknown:
            raise MXNetError("%s.get_symbol: unknown argument '%s'; expected "
                             "input symbols, name and attr"
                             % (type(self).__name__, unknown[0]))
        if not kwargs.get("name"):
            kwargs["name"] = _custom.auto_name(hint)
        return _custom.Custom(*args, op_type=op_type, **kwargs)


class NumpyOp(PythonOp):
    """A deprecated Python operator whose forward and backward work on
    numpy arrays (float32, as MXNet's): forward(in_data, out_data) and
    backward(out_grad, in_data, out_data, in_grad) fill the output arrays
    in place."""

    def __init__(self, need_top_grad=True):
        super(NumpyOp, self).__init__(need_top_grad)
        _warnings.warn("NumpyOp has been deprecated. Please use CustomOp")

    def get_symbol(self, *args, **kwargs):
        return self._legacy_symbol(args, kwargs, "_native")


class NDArrayOp(PythonOp):
    """A deprecated Python operator whose forward and backward work on
    NDArrays; declare_backward_dependency as CustomOpProp's."""

    def __init__(self, need_top_grad=True):
        super(NDArrayOp, self).__init__(need_top_grad)
        _warnings.warn("NDArrayOp has been deprecated. Please use CustomOp")

    def get_symbol(self, *args, **kwargs):
        return self._legacy_symbol(args, kwargs, "_ndarray")

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        deps = []
        if self.need_top_grad():
            deps.extend(out_grad)
        deps.extend(in_data)
        deps.extend(out_data)
        return deps


class _LegacyProp(CustomOpProp):
    """A PythonOp seen as a CustomOpProp: its lists, shapes and
    need_top_grad, float32 types (MXNet's _Native and _NDArray are
    float32 only), and an operator calling its forward and backward."""

    def __init__(self, legacy):
        super(_LegacyProp, self).__init__(legacy.need_top_grad())
        self._legacy = legacy

    def list_arguments(self):
        return self._legacy.list_arguments()

    def list_outputs(self):
        return self._legacy.list_outputs()

    def infer_shape(self, in_shape):
        arg_shapes, out_shapes = self._legacy.infer_shape(in_shape)
        return arg_shapes, out_shapes, []

    def infer_type(self, in_type):
        return ([_np.float32] * len(in_type),
                [_np.float32] * len(self.list_outputs()), [])

    def create_operator(self, ctx, in_shapes, in_dtypes):
        return _LegacyOp(self._legacy)


class _LegacyOp(CustomOp):
    """Runs a NumpyOp on numpy copies (outputs copied back) or an NDArrayOp
    on the arrays themselves."""

    def __init__(self, legacy):
        super(_LegacyOp, self).__init__()
        self._legacy = legacy

    def _call(self, method, inputs, filled):
        """method(**inputs, **filled) where `filled` are the arrays it
        writes; NumpyOp gets numpy arrays and its writes are copied back."""
        if not isinstance(self._legacy, NumpyOp):
            return method(**dict(inputs, **filled))
        arrays = {key: [value.asnumpy() for value in values]
                  for key, values in inputs.items()}
        written = {key: [value.asnumpy() for value in values]
                   for key, values in filled.items()}
        method(**dict(arrays, **written))
        for key, values in filled.items():
            for target, value in zip(values, written[key]):
                target[:] = value

    def forward(self, is_train, req, in_data, out_data, aux):
        self._call(self._legacy.forward, {"in_data": in_data},
                   {"out_data": out_data})

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self._call(self._legacy.backward,
                   {"out_grad": out_grad, "in_data": in_data,
                    "out_data": out_data}, {"in_grad": in_grad})

# mx.operator.get_operator_arguments (kiln/_operator_arguments.py).
from ._operator_arguments import OperatorArguments, get_operator_arguments  # noqa: E402,F401
__all__ += ["OperatorArguments", "get_operator_arguments"]
