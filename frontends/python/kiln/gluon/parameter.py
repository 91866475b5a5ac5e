"""Gluon parameters: Parameter, Constant and ParameterDict (MXNet 1.9.1's
`mxnet/gluon/parameter.py`).

A Parameter is a named weight: its shape (0 marks an extent not known
yet), dtype, initializer, grad_req ('write', 'add' or 'null') and
lr_mult/wd_mult. After `initialize` it holds one array per context (and a
gradient buffer beside each, marked for autograd, unless grad_req is
'null'):

    w = gluon.Parameter('fc_weight', shape=(64, 100), init=mx.init.Xavier())
    w.initialize(ctx=mx.cpu())
    w.data(), w.grad()                    # (64, 100) NDArrays

A parameter made with allow_deferred_init=True and an unknown extent is
only *deferred* by initialize: data() raises DeferredInitializationError
until a Block's first forward pass tells the shape. A ParameterDict is an
ordered name -> Parameter mapping with a name prefix (a Block's `params`);
`save`/`load` write and read MXNet's .params files with the parameters'
full names.

Errors follow MXNet's classes: RuntimeError (MXNetError is one) for data of
a parameter never initialized, AssertionError for incompatible shapes,
dtypes or names while loading (here classes that are MXNetError too, with
the parameter's name, expected and got), ValueError for an initialize
without a known shape. Sparse storage ('row_sparse', 'csr') is refused:
kiln has dense arrays only.
"""
from collections import OrderedDict, defaultdict
import warnings

import numpy as np

from .. import _op_gen
from .. import autograd
from .. import context
from .. import initializer
from .. import ndarray
from .. import symbol
from .._core import MXNetValueError
from ..base import MXNetError, mx_real_t
from ..context import Context, cpu
from ..util import is_np_shape
from .utils import _brief_print_list, _indent, shape_is_known

__all__ = ["DeferredInitializationError", "Parameter", "Constant",
           "ParameterDict", "tensor_types"]

tensor_types = (symbol.Symbol, ndarray.NDArray)


class DeferredInitializationError(MXNetError):
    """Raised by Parameter.data() before a deferred initialization has
    happened (the first forward pass finishes it)."""


class _MXNetAssertionError(MXNetError, AssertionError):
    """MXNetError that is also Python's AssertionError, as MXNet raises it
    (its checks are asserts)."""


# Named as _core names its MXNetError twins of builtins (kiln.base.ValueError).
_MXNetAssertionError.__name__ = _MXNetAssertionError.__qualname__ = \
    "AssertionError"
_MXNetAssertionError.__module__ = "kiln.base"


def _check(condition, message):
    if not condition:
        raise _MXNetAssertionError(message)


_STYPES = ("default", "row_sparse", "csr")


class Parameter(object):
    """A Block's weight (see the module docstring).

    name: str; grad_req: 'write' (default), 'add' or 'null'; shape: int or
    tuple (0 = unknown extent), default None (unknown); dtype: default
    float32; lr_mult, wd_mult: floats (1.0); init: an Initializer or its
    name (default: the one given to initialize); allow_deferred_init:
    initialize may wait for the shape; differentiable: False forces
    grad_req 'null'; stype/grad_stype: only 'default' (MXNetError for
    sparse types, AssertionError for unknown ones).
    """

    def __init__(self, name, grad_req="write", shape=None, dtype=mx_real_t,
                 lr_mult=1.0, wd_mult=1.0, init=None,
                 allow_deferred_init=False, differentiable=True,
                 stype="default", grad_stype="default"):
        self._var = None
        self._data = None
        self._grad = None
        self._ctx_list = None
        self._ctx_map = None
        self._trainer = None
        self._deferred_init = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = None
        if isinstance(shape, int):
            shape = (shape,)
        self._shape = shape
        self.name = name
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init
        for what, value in (("grad_stype", grad_stype), ("stype", stype)):
            _check(value in _STYPES,
                   "%s for Parameter '%s' must be one of 'default', "
                   "'row_sparse', or 'csr', but got '%s'"
                   % (what, name, value))
            if value != "default":
                raise MXNetError(
                    "Parameter '%s': %s '%s' is not supported; kiln has "
                    "dense arrays only (use 'default')" % (name, what, value))
        self._grad_stype = grad_stype
        self._stype = stype

    def __repr__(self):
        return "Parameter %s (shape=%s, dtype=%s)" % (self.name, self.shape,
                                                      self.dtype)

    # -- attributes ------------------------------------------------------
    @property
    def grad_req(self):
        """'write', 'add' or 'null'; settable before or after initialize
        ('null' drops the gradient buffers)."""
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        _check(req in ("write", "add", "null"),
               "grad_req must be one of 'write', 'add', or 'null', but got "
               "'%s'" % req)
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == "null" and self._grad is not None:
            self._grad = None
            self._data = [array.detach() for array in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self):
        """The dtype as given (a numpy type or a name); setting it casts."""
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    @property
    def shape(self):
        """The shape, 0 for unknown extents (-1 in numpy shape mode), or
        None when nothing is known."""
        if self._shape is None:
            return None
        if is_np_shape():
            return tuple(extent if extent != 0 else -1
                         for extent in self._shape)
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        if self._shape is None:
            self._shape = new_shape
            return
        _check(len(self._shape) == len(new_shape) and
               all(old in (-1, 0, new)
                   for new, old in zip(new_shape, self._shape)),
               "Expected shape %s is incompatible with given shape %s."
               % (str(new_shape), str(self._shape)))
        self._shape = new_shape

    def _set_trainer(self, trainer):
        """Records the Trainer that updates this parameter."""
        self._trainer = trainer

    # -- access ----------------------------------------------------------
    def _check_and_get(self, arrays, ctx):
        """arrays[i] for `ctx` (the only one when ctx is None and there is
        one; all of them when ctx is `list`), else the error saying why
        there is none."""
        if arrays is not None:
            if ctx is list:
                return arrays
            if ctx is None:
                if len(arrays) == 1:
                    return arrays[0]
                ctx = context.current_context()
            index = self._ctx_map.get(ctx)
            if index is not None:
                return arrays[index]
            raise MXNetError(
                "Parameter '%s' was not initialized on context %s. It was "
                "only initialized on %s." % (self.name, str(ctx),
                                             str(self._ctx_list)))
        if self._deferred_init:
            raise DeferredInitializationError(
                "Parameter '%s' has not been initialized yet because "
                "initialization was deferred. Actual initialization happens "
                "during the first forward pass. Please pass one batch of data "
                "through the network before accessing Parameters. You can "
                "also avoid deferred initialization by specifying in_units, "
                "num_features, etc., for network layers." % self.name)
        raise MXNetError(
            "Parameter '%s' has not been initialized. Note that you should "
            "initialize parameters and create Trainer with "
            "Block.collect_params() instead of Block.params because the "
            "later does not include Parameters of nested child Blocks"
            % self.name)

    def data(self, ctx=None):
        """The array on `ctx` (the only one by default)."""
        array = self._check_and_get(self._data, ctx)
        if _op_gen._traces[0]:
            _op_gen.note_parameter_read(self, array)
        return array

    def list_data(self):
        """The arrays on every context, in initialization order."""
        arrays = self._check_and_get(self._data, list)
        if _op_gen._traces[0]:
            for array in arrays:
                _op_gen.note_parameter_read(self, array)
        return arrays

    def _holds(self, array):
        """Whether `array` is still one of this parameter's arrays (not
        replaced by initialize(force_reinit=True), cast, reset_ctx)."""
        return self._data is not None and any(item is array
                                              for item in self._data)

    def grad(self, ctx=None):
        """The gradient buffer on `ctx`; MXNetError when grad_req is
        'null' or before initialization."""
        if self._data is not None and self._grad is None:
            raise MXNetError("Cannot get gradient array for Parameter '%s' "
                             "because grad_req='null'" % self.name)
        return self._check_and_get(self._grad, ctx)

    def list_grad(self):
        """The gradient buffers on every context."""
        if self._data is not None and self._grad is None:
            raise MXNetError("Cannot get gradient array for Parameter '%s' "
                             "because grad_req='null'" % self.name)
        return self._check_and_get(self._grad, list)

    def list_ctx(self):
        """The contexts the parameter is (or will be, when deferred)
        initialized on."""
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise MXNetError("Parameter '%s' has not been initialized"
                             % self.name)
        return self._ctx_list

    def row_sparse_data(self, row_id):
        """Refused: only row_sparse parameters have it (kiln has none)."""
        raise MXNetError("Cannot return a copy of Parameter %s via "
                         "row_sparse_data() because its storage type is %s. "
                         "Please use data() instead."
                         % (self.name, self._stype))

    def list_row_sparse_data(self, row_id):
        """Refused: only row_sparse parameters have it (kiln has none)."""
        raise MXNetError("Cannot return copies of Parameter '%s' on all "
                         "contexts via list_row_sparse_data() because its "
                         "storage type is %s. Please use data() instead."
                         % (self.name, self._stype))

    # -- initialization --------------------------------------------------
    def initialize(self, init=None, ctx=None,
                   default_init=initializer.Uniform(), force_reinit=False):
        """Creates the arrays on `ctx` (a Context or a list; default the
        current one) filled by `init`, else the parameter's own init, else
        `default_init`. An initialized parameter is left alone (with a
        warning) unless force_reinit. With an unknown shape: deferred when
        allow_deferred_init, else ValueError."""
        if self._data is not None and not force_reinit:
            warnings.warn("Parameter '%s' is already initialized, ignoring. "
                          "Set force_reinit=True to re-initialize."
                          % self.name, stacklevel=2)
            return
        self._data = self._grad = None
        if ctx is None:
            ctx = [context.current_context()]
        if isinstance(ctx, Context):
            ctx = [ctx]
        if init is None:
            init = default_init if self.init is None else self.init
        if not shape_is_known(self.shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctx, default_init, None)
                return
            raise MXNetValueError("Cannot initialize Parameter '%s' because "
                                  "it has invalid shape: %s."
                                  % (self.name, str(self.shape)))
        self._deferred_init = (init, ctx, default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self):
        """Creates the arrays of a deferred initialization (the shape must
        be known by now)."""
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        self._deferred_init = ()
        if not shape_is_known(self.shape):
            raise _MXNetAssertionError(
                "Cannot initialize Parameter '%s' because it has invalid "
                "shape: %s. Please specify in_units, in_channels, etc for "
                "`Block`s." % (self.name, str(self.shape)))
        # Inside a function kiln.jit traces, too, the arrays are filled now.
        with autograd.pause(), _op_gen.untraced():
            if data is None:
                data = ndarray.zeros(shape=self.shape, dtype=self.dtype,
                                     ctx=cpu())
                initializer.create(default_init)(
                    initializer.InitDesc(self.name, {"__init__": init}),
                    data)
            self._init_impl(data, ctx)

    def _init_impl(self, data, ctx_list):
        """Copies `data` to every context and makes the gradients."""
        self._ctx_list = list(ctx_list)
        self._ctx_map = {}
        for index, ctx in enumerate(self._ctx_list):
            self._ctx_map.setdefault(ctx, index)
        self._data = [data.copyto(ctx) for ctx in self._ctx_list]
        self._init_grad()

    def _init_grad(self):
        """Zero gradient buffers beside the data, marked for autograd."""
        if self.grad_req == "null":
            self._grad = None
            return
        self._grad = [ndarray.zeros(shape=array.shape, dtype=array.dtype,
                                    ctx=array.context)
                      for array in self._data]
        autograd.mark_variables(self._check_and_get(self._data, list),
                                self._grad, self.grad_req)

    def _reduce(self):
        """The value on the CPU (the mean over contexts when several)."""
        arrays = self.list_data()
        if len(arrays) == 1:
            return arrays[0].copyto(cpu())
        return ndarray.add_n(*(array.copyto(cpu())
                               for array in arrays)) / len(arrays)

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source="current"):
        """(Re)initializes from the loaded NDArray `data` on `ctx`: its
        shape must fit the known extents and its dtype equal the
        parameter's unless cast_dtype (then dtype_source 'current' casts
        the data, 'saved' the parameter)."""
        if cast_dtype:
            _check(dtype_source in ("current", "saved"),
                   "dtype_source must be 'current' or 'saved', got %r"
                   % (dtype_source,))
        if self.shape:
            unknown = -1 if is_np_shape() else 0
            _check(len(self.shape) == len(data.shape) and
                   all(mine in (unknown, theirs)
                       for mine, theirs in zip(self.shape, data.shape)),
                   "Failed loading Parameter '%s' from saved params: shape "
                   "incompatible expected %s vs saved %s"
                   % (self.name, str(self.shape), str(data.shape)))
            self.shape = tuple(theirs if mine == unknown else mine
                               for mine, theirs in zip(self.shape,
                                                       data.shape))
        if self.dtype:
            if cast_dtype and np.dtype(self.dtype).type != data.dtype:
                if dtype_source == "current":
                    data = data.astype(self.dtype, copy=False)
                else:
                    self.dtype = data.dtype
            else:
                _check(np.dtype(self.dtype).type == data.dtype,
                       "Failed loading Parameter '%s' from saved params: "
                       "dtype incompatible expected %s vs saved %s. Set "
                       "cast_dtype=True to cast the dtype of saved params."
                       % (self.name, str(self.dtype), str(data.dtype)))
        if isinstance(ctx, Context):
            ctx = [ctx]
        if self._data is None:
            if self._deferred_init:
                _check(ctx is None or set(ctx) == set(self._deferred_init[1]),
                       "Failed to load Parameter '%s' on %s because it was "
                       "previous initialized on %s."
                       % (self.name, str(ctx), str(self.list_ctx())))
                ctx = self._deferred_init[1]
            elif ctx is None:
                ctx = [cpu()]
            self._init_impl(data, ctx)
        else:
            _check(ctx is None or set(ctx) == set(self.list_ctx()),
                   "Failed to load Parameter '%s' on %s because it was "
                   "previous initialized on %s."
                   % (self.name, str(ctx), str(self.list_ctx())))
            self.set_data(data)
        self._deferred_init = ()

    def reset_ctx(self, ctx):
        """Moves the parameter to `ctx` (a Context or a list; default the
        current one); ValueError when it was never initialized."""
        if ctx is None:
            ctx = [context.current_context()]
        if isinstance(ctx, Context):
            ctx = [ctx]
        if self._data:
            data = self._reduce()
            with autograd.pause():
                self._init_impl(data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
        else:
            raise MXNetValueError("Cannot reset context for Parameter '%s' "
                                  "because it has not been initialized."
                                  % self.name)

    def set_data(self, data):
        """Writes `data` (an NDArray of a compatible shape) into every
        context's array; kept for later when initialization is deferred."""
        self.shape = data.shape
        if self._data is None:
            _check(self._deferred_init,
                   "Parameter '%s' has not been initialized" % self.name)
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        trainer = self._trainer
        if (trainer is not None and getattr(trainer, "_kv_initialized", False)
                and getattr(trainer, "_update_on_kvstore", False) and
                self not in getattr(trainer, "_params_to_init", ())):
            trainer._reset_kvstore()
        for array in self._check_and_get(self._data, list):
            array[:] = data

    def zero_grad(self):
        """Zeros the gradient buffers (nothing when there are none)."""
        if self._grad is None:
            return
        for grad in self._grad:
            ndarray.zeros_like(grad, out=grad)

    def var(self):
        """The mx.sym variable of this parameter (its name, shape, dtype,
        lr_mult, wd_mult and init as attributes); made once."""
        if self._var is None:
            self._var = symbol.var(self.name, shape=self.shape,
                                   dtype=self.dtype, lr_mult=self.lr_mult,
                                   wd_mult=self.wd_mult, init=self.init,
                                   stype=self._stype)
        return self._var

    def cast(self, dtype):
        """Casts the data and gradients to `dtype` (new arrays)."""
        self._dtype = dtype
        if self._data is None:
            return
        with autograd.pause():
            self._data = [array.astype(dtype) for array in self._data]
            if self._grad is None:
                return
            self._grad = [grad.astype(dtype) for grad in self._grad]
            autograd.mark_variables(self._data, self._grad, self.grad_req)


class Constant(Parameter):
    """A parameter that autograd and Trainer leave alone (grad_req is
    always 'null'); `value` (array-like or NDArray) is its initial value,
    set_data changes it.

        const = gluon.Constant('const', [[1, 2], [3, 4]])
    """

    def __init__(self, name, value):
        if not isinstance(value, ndarray.NDArray):
            value = ndarray.array(value)
        self.value = value

        class Init(initializer.Initializer):
            def _init_weight(self, _, arr):
                value.copyto(arr)
        # Registered by name, as MXNet, so var()'s __init__ names it.
        init_name = "Constant_%s_%d" % (name, id(self))
        initializer.alias(init_name)(Init)
        super(Constant, self).__init__(name, grad_req="null",
                                       shape=value.shape, dtype=value.dtype,
                                       init=init_name)

    def __repr__(self):
        return "Constant %s (shape=%s, dtype=%s)" % (self.name, self.shape,
                                                     self.dtype)

    @property
    def grad_req(self):
        return "null"

    @grad_req.setter
    def grad_req(self, req):
        if req != "null":
            warnings.warn('Constant parameter "%s" does not support '
                          'grad_req other than "null", and new value "%s" '
                          'is ignored.' % (self.name, req))


class ParameterDict(object):
    """An ordered dict of Parameters by full name, with a `prefix` that
    `get` puts before the names it is given. `shared`: another
    ParameterDict that `get` looks in before creating a parameter (weight
    sharing between Blocks)."""

    def __init__(self, prefix="", shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        name = self._prefix + " " if self._prefix else ""
        content = "\n".join(_indent("  %s" % value, 2)
                            for value in self.values())
        return "%s(\n%s\n)" % (name, content)

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self):
        """What `get` prepends to names."""
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name, **kwargs):
        """The Parameter named prefix + `name`: from this dict, else from
        the shared one, else a new Parameter(name, **kwargs). For one that
        exists, kwargs must agree with its attributes (unknown shape
        extents are filled in); AssertionError naming the attribute, the
        desired and the stored value otherwise."""
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for key, value in kwargs.items():
            existing = getattr(param, key, None)
            if existing is None:
                setattr(param, key, value)
                continue
            if key == "shape" and len(value) == len(existing):
                merged = _merge_shapes(value, existing)
                if merged is not None:
                    param._shape = merged
                    continue
            elif key == "dtype" and np.dtype(value) == np.dtype(existing):
                continue
            _check(value is None or value == existing,
                   "Cannot retrieve Parameter '%s' because desired attribute "
                   "does not match with stored for attribute '%s': desired "
                   "'%s' vs stored '%s'." % (name, key, str(value),
                                             str(existing)))
        return param

    def get_constant(self, name, value=None):
        """The Constant named prefix + `name` (from here or the shared
        dict), else a new one of `value`; KeyError when there is none and
        no value."""
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError("No constant named '%s'. Please specify value "
                               "if you want to create a new constant." % name)
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None:
            _check(isinstance(param, Constant),
                   "Parameter '%s' already exists but it is not a constant."
                   % name)
            if isinstance(value, ndarray.NDArray):
                value = value.asnumpy()
            value = np.asarray(value)
            _check(param.shape == value.shape and
                   (param.value.asnumpy() == value).all(),
                   "Constant '%s' already exists but it's value doesn't "
                   "match new value" % name)
        return param

    def update(self, other):
        """Adds the parameters of `other` (a dict or ParameterDict);
        AssertionError when a name is already here with another Parameter."""
        for key, value in other.items():
            if key in self._params:
                _check(self._params[key] is value,
                       "Cannot update self with other because they have "
                       "different Parameters with the same name '%s'" % key)
        for key, value in other.items():
            self._params[key] = value

    def initialize(self, init=initializer.Uniform(), ctx=None, verbose=False,
                   force_reinit=False):
        """Initializes every parameter (`init` is the default for those
        without their own init); see Parameter.initialize."""
        if verbose:
            init.set_verbosity(verbose=verbose)
        for param in self.values():
            param.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        """Zeros the gradient buffers of every parameter that has them."""
        grads = [grad for param in self.values()
                 if param.grad_req != "null" and param._grad is not None
                 for grad in param.list_grad()]
        if grads:
            ndarray.reset_arrays(*grads, num_arrays=len(grads))

    def reset_ctx(self, ctx):
        """Moves every parameter to `ctx` (see Parameter.reset_ctx)."""
        for param in self.values():
            param.reset_ctx(ctx)

    def list_ctx(self):
        """The contexts any parameter is initialized on."""
        contexts = set()
        for param in self.values():
            contexts.update(param.list_ctx())
        return list(contexts)

    def setattr(self, name, value):
        """Sets attribute `name` of every parameter (grad_req, lr_mult,
        ...)."""
        for param in self.values():
            setattr(param, name, value)

    def save(self, filename, strip_prefix=""):
        """Writes every parameter's value to `filename` (MXNet's .params
        layout) under its name less `strip_prefix`; ValueError for a name
        without that prefix."""
        arrays = {}
        for param in self.values():
            weight = param._reduce()
            if not param.name.startswith(strip_prefix):
                raise MXNetValueError(
                    "Prefix '%s' is to be striped before saving, but "
                    "Parameter's name '%s' does not start with '%s'. this may "
                    "be due to your Block shares parameters from other Blocks "
                    "or you forgot to use 'with name_scope()' when creating "
                    "child blocks." % (strip_prefix, param.name,
                                       strip_prefix))
            arrays[param.name[len(strip_prefix):]] = weight
        ndarray.save(filename, arrays)

    def load(self, filename, ctx=None, allow_missing=False,
             ignore_extra=False, restore_prefix="", cast_dtype=False,
             dtype_source="current"):
        """Loads the parameters from a .params file (names given
        `restore_prefix` first; arg:/aux: prefixes dropped). See
        load_dict for allow_missing, ignore_extra, cast_dtype and
        dtype_source."""
        if restore_prefix:
            for name in self.keys():
                _check(name.startswith(restore_prefix),
                       "restore_prefix is '%s' but Parameters name '%s' does "
                       "not start with '%s'." % (restore_prefix, name,
                                                 restore_prefix))
        self.load_dict(ndarray.load(filename), ctx, allow_missing,
                       ignore_extra, restore_prefix, filename, cast_dtype,
                       dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False,
                  ignore_extra=False, restore_prefix="", filename=None,
                  cast_dtype=False, dtype_source="current"):
        """Loads the parameters from `param_dict` (name -> NDArray, names
        possibly prefixed arg:/aux:). A parameter missing from it is an
        AssertionError unless allow_missing; a name in it with no
        parameter is one unless ignore_extra (both name the parameter and
        list the others)."""
        if isinstance(param_dict, dict):
            loaded = [(key[4:] if key.startswith(("arg:", "aux:")) else key,
                       value) for key, value in param_dict.items()]
        else:
            loaded = param_dict
        arrays = {restore_prefix + key: value for key, value in loaded}
        source = "file: %s" % filename if filename else "param_dict"
        skip = len(restore_prefix)
        if not allow_missing:
            for name in self.keys():
                _check(name in arrays,
                       "Parameter '%s' is missing in %s, which contains "
                       "parameters: %s. Please make sure source and target "
                       "networks have the same prefix."
                       % (name[skip:], source,
                          _brief_print_list(arrays.keys())))
        for name, value in arrays.items():
            if name not in self._params:
                _check(ignore_extra,
                       "Parameter '%s' loaded from %s is not present in "
                       "ParameterDict, choices are: %s. Set ignore_extra to "
                       "True to ignore. Please make sure source and target "
                       "networks have the same prefix."
                       % (name[skip:], source,
                          _brief_print_list(self._params.keys())))
                continue
            self[name]._load_init(value, ctx, cast_dtype=cast_dtype,
                                  dtype_source=dtype_source)


def _merge_shapes(desired, stored):
    """The shape that agrees with both (unknown extents, 0 or -1, filled
    from the other), or None when a known extent differs."""
    merged = []
    for want, have in zip(desired, stored):
        if want != have and want > 0 and have > 0:
            return None
        merged.append(have if want in (0, -1) else want)
    return tuple(merged)
