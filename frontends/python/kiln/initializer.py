"""mx.initializer (also mx.init): how parameters get their first values.

As MXNet 1.9.1's `mxnet/initializer.py`. An initializer is called with a
descriptor (an `InitDesc`, the parameter's name with its attributes) and the
NDArray to fill in place:

    init = mx.init.Xavier(factor_type="in", magnitude=2.34)
    w = mx.nd.zeros((64, 32))
    init(mx.init.InitDesc("fc1_weight"), w)     # Xavier for *weight
    b = mx.nd.zeros((64,))
    init(mx.init.InitDesc("fc1_bias"), b)       # zeros for *bias
    mx.init.create(init.dumps())                # the same initializer again

The parameter's name picks what is done: a name ending in ``weight`` gets
the initializer's own rule, ``bias``/``beta``/``min`` zeros, ``gamma``/``max``
ones; an ``__init__`` attribute (a dumped initializer, as a symbol
Variable's ``init=``) overrides that; any other name is a ValueError. The
random initializers draw with `mx.nd.random.*(..., out=arr)`, so
`mx.random.seed` makes them repeat, in the array's own dtype.

Errors follow MXNet: ValueError for unknown names and bad Xavier settings,
TypeError for a legacy call with a non-string name or a non-NDArray,
AssertionError from `create` (unregistered name), `Load` (missing name,
shape mismatch) and `Mixed` (lists of different lengths).
"""
import json
import logging
import re
import warnings
from math import sqrt

import numpy as np

from . import ndarray as _nd
from . import random as _random
from . import registry
from .base import string_types
from .ndarray import NDArray, load  # noqa: F401  (mx.init.load, as MXNet's)


class InitDesc(str):
    """A parameter's name (it is the str) with `attrs`, a dict of its
    attributes (a symbol's ``attr_dict()`` entry; ``__init__`` there holds a
    dumped initializer), and `global_init`, the initializer to fall back to
    (set to the first initializer that is called with it)."""

    def __new__(cls, name, attrs=None, global_init=None):
        desc = super(InitDesc, cls).__new__(cls, name)
        desc.attrs = attrs or {}
        desc.global_init = global_init
        return desc


class Initializer(object):
    """Base of the initializers: `__call__(desc, arr)` dispatches on the
    name (see the module docstring); subclasses define `_init_weight` and
    may override `_init_bias`, `_init_gamma`, ... Keyword arguments given to
    `__init__` are what `dumps()` writes and `create()` reads back. Two
    initializers are equal when of the same class with the same arguments
    (and, as in MXNet, they are not hashable)."""

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Logs (logging.info) each array initialized, with
        `print_func(arr)` (a str; default: the array's norm / sqrt(size)).
        Returns self."""
        self._verbose = verbose
        if print_func is None:
            def print_func(arr):
                return str((_nd.norm(arr) / sqrt(arr.size)).asscalar())
        self._print_func = print_func
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            logging.info("Initialized %s as %s: %s", desc, init,
                         self._print_func(arr))

    def dumps(self):
        """The initializer as JSON, ``'["normal", {"sigma": 0.5}]'``:
        `create` builds it back."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, desc, arr):
        """Fills NDArray `arr` in place for the parameter `desc` (an
        InitDesc; a plain str takes the deprecated legacy rules)."""
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get("__init__", "")
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        # Checked in this order, as MXNet (a name ending in "weight_quantize"
        # does not end in "weight").
        for suffix, method in _DESC_RULES:
            if desc.endswith(suffix):
                getattr(self, method)(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name, arr):
        """The rules of `init(str, NDArray)`, deprecated in MXNet: they also
        know upsampling (bilinear), stn_loc and the BatchNorm statistics."""
        warnings.warn("Calling initializer with init(str, NDArray) has been "
                      "deprecated. please use init(mx.init.InitDesc(...), "
                      "NDArray) instead.", DeprecationWarning, stacklevel=3)
        if not isinstance(name, string_types):
            raise TypeError("name must be string, got %r of type %s"
                            % (name, type(name).__name__))
        if not isinstance(arr, NDArray):
            raise TypeError("arr must be NDArray, got %s"
                            % type(arr).__name__)
        if name.startswith("upsampling"):
            self._init_bilinear(name, arr)
        elif name.startswith("stn_loc") and name.endswith("weight"):
            self._init_zero(name, arr)
        elif name.startswith("stn_loc") and name.endswith("bias"):
            self._init_loc_bias(name, arr)
        else:
            for suffix, method in _LEGACY_RULES:
                if name.endswith(suffix):
                    getattr(self, method)(name, arr)
                    return
            self._init_default(name, arr)

    def _init_bilinear(self, _, arr):
        arr[:] = _bilinear(arr.shape)

    def _init_loc_bias(self, _, arr):
        if arr.shape[0] != 6:
            raise AssertionError("stn_loc bias needs 6 values (an affine "
                                 "transform), got shape %s" % (arr.shape,))
        arr[:] = np.array([1.0, 0, 0, 0, 1.0, 0])

    def _init_zero(self, _, arr):
        arr[:] = 0.0

    def _init_one(self, _, arr):
        arr[:] = 1.0

    def _init_bias(self, _, arr):
        arr[:] = 0.0

    def _init_quantized_bias(self, _, arr):
        arr[:] = 0

    def _init_gamma(self, _, arr):
        arr[:] = 1.0

    def _init_beta(self, _, arr):
        arr[:] = 0.0

    def _init_weight(self, name, arr):
        raise NotImplementedError("Must override it")

    def _init_quantized_weight(self, _, arr):
        # MXNet draws a single integer and broadcasts it over the array.
        value = _random.randint(-127, 127, dtype="int32").asnumpy()
        arr[:] = np.int8(value)

    def _init_default(self, name, _):
        raise ValueError(
            "Unknown initialization pattern for %s. Default initialization is "
            "now limited to \"weight\", \"bias\", \"gamma\" (1.0), and "
            "\"beta\" (0.0).Please use mx.sym.Variable(init=mx.init.*) to set "
            "initialization pattern" % name)

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs


# (name suffix, method) in the order MXNet tests them.
_DESC_RULES = [("weight", "_init_weight"), ("bias", "_init_bias"),
               ("gamma", "_init_gamma"), ("beta", "_init_beta"),
               ("min", "_init_zero"), ("max", "_init_one"),
               ("weight_quantize", "_init_quantized_weight"),
               ("bias_quantize", "_init_quantized_bias")]
_LEGACY_RULES = [("bias", "_init_bias"), ("gamma", "_init_gamma"),
                 ("beta", "_init_beta"), ("weight", "_init_weight"),
                 ("moving_mean", "_init_zero"), ("moving_var", "_init_one"),
                 ("moving_inv_var", "_init_zero"),
                 ("moving_avg", "_init_zero"), ("min", "_init_zero"),
                 ("max", "_init_one")]


def _bilinear(shape):
    """The bilinear upsampling kernel MXNet fills a (.., .., h, w) weight
    with (float32; computed in float64 per element as MXNet's loop)."""
    if len(shape) < 4:
        raise IndexError("Bilinear initializer needs a 4-D weight (out, in, "
                         "height, width), got shape %s" % (shape,))
    f = np.ceil(shape[3] / 2.)
    c = (2 * f - 1 - f % 2) / (2. * f)
    i = np.arange(int(np.prod(shape)))
    x = i % shape[3]
    y = (i // shape[3]) % shape[2]
    weight = (1 - np.abs(x / f - c)) * (1 - np.abs(y / f - c))
    return weight.astype(np.float32).reshape(shape)


_register = registry.get_register_func(Initializer, "initializer")
alias = registry.get_alias_func(Initializer, "initializer")
create = registry.get_create_func(Initializer, "initializer")


def register(klass):
    """Registers an Initializer subclass under its lower-cased class name,
    so `create(name)` and dumped JSON find it (use as a decorator)."""
    return _register(klass)


class Load(object):
    """Initializes from saved arrays: `param` is a dict name -> NDArray or
    a file `mx.nd.save` wrote; ``arg:``/``aux:`` prefixes are dropped from
    its names. A name not in it goes to `default_init` (AssertionError when
    None); a shape that differs is an AssertionError. `verbose` logs where
    each array came from."""

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            param = _nd.load(param)
        if not isinstance(param, dict):
            raise AssertionError("Load needs a dict of name -> NDArray or a "
                                 "file of named arrays, got %s"
                                 % type(param).__name__)
        self.param = {}
        for name, arr in param.items():
            if name.startswith("arg:") or name.startswith("aux:"):
                name = name[4:]
            self.param[name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            loaded = self.param[name]
            if arr.shape != loaded.shape:
                raise AssertionError(
                    "Parameter %s cannot be initialized from loading. Shape "
                    "mismatch, target %s vs loaded %s"
                    % (name, arr.shape, loaded.shape))
            arr[:] = loaded
            if self.verbose:
                logging.info("Initialized %s by loading", name)
            return
        if self.default_init is None:
            raise AssertionError(
                "Cannot Initialize %s. Not found in loaded param and no "
                "default Initializer is provided." % name)
        self.default_init(name, arr)
        if self.verbose:
            logging.info("Initialized %s by default", name)


class Mixed(object):
    """Initializes each parameter with the initializer of the first of
    `patterns` (regular expressions, matched at the start of the name)
    that matches; ValueError when none does (end with ``".*"`` for a
    default)."""

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise AssertionError("Mixed needs one initializer per pattern, "
                                 "got %d patterns and %d initializers"
                                 % (len(patterns), len(initializers)))
        self.map = [(re.compile(p), init)
                    for p, init in zip(patterns, initializers)]

    def __call__(self, name, arr):
        for pattern, init in self.map:
            if pattern.match(name):
                init(name, arr)
                return
        raise ValueError("Parameter name %s did not match any pattern. "
                         "Consider adding a \".*\" pattern at the end with a "
                         "default Initializer." % name)


@register
@alias("zeros")
class Zero(Initializer):
    """Weights 0 (registered as "zero" and "zeros")."""

    def __init__(self):
        super(Zero, self).__init__()

    def _init_weight(self, _, arr):
        arr[:] = 0


@register
@alias("ones")
class One(Initializer):
    """Weights 1 (registered as "one" and "ones")."""

    def __init__(self):
        super(One, self).__init__()

    def _init_weight(self, _, arr):
        arr[:] = 1


@register
class Constant(Initializer):
    """Weights set to `value`: a scalar, or an NDArray / numpy array / list
    broadcastable to the weight's shape (`dumps` writes it as a list)."""

    def __init__(self, value):
        super(Constant, self).__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        arr[:] = self.value

    def dumps(self):
        value = self._kwargs["value"]
        if isinstance(value, np.ndarray):
            self._kwargs["value"] = value.tolist()
        elif isinstance(value, NDArray):
            self._kwargs["value"] = value.asnumpy().tolist()
        return super(Constant, self).dumps()


@register
class Uniform(Initializer):
    """Weights drawn uniformly from [-scale, scale) (default 0.07)."""

    def __init__(self, scale=0.07):
        super(Uniform, self).__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        _random.uniform(-self.scale, self.scale, arr.shape, out=arr)


@register
class Normal(Initializer):
    """Weights drawn from N(0, sigma^2) (sigma default 0.01)."""

    def __init__(self, sigma=0.01):
        super(Normal, self).__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        _random.normal(0, self.sigma, arr.shape, out=arr)


@register
class Orthogonal(Initializer):
    """Weights `scale` times an orthogonal matrix (Saxe et al. 2013): the
    SVD factor of a (shape[0], prod(shape[1:])) draw, uniform on [-1, 1)
    (rand_type "uniform") or standard normal ("normal"), whose shape
    matches. ValueError for another rand_type (MXNet fails there with an
    UnboundLocalError)."""

    def __init__(self, scale=1.414, rand_type="uniform"):
        super(Orthogonal, self).__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        rows = arr.shape[0]
        cols = int(np.prod(arr.shape[1:]))
        if self.rand_type == "uniform":
            draw = _random.uniform(-1.0, 1.0, shape=(rows, cols))
        elif self.rand_type == "normal":
            draw = _random.normal(0.0, 1.0, shape=(rows, cols))
        else:
            raise ValueError("Orthogonal: rand_type must be \"uniform\" or "
                             "\"normal\", got %r" % (self.rand_type,))
        draw = draw.asnumpy()
        u, _, v = np.linalg.svd(draw, full_matrices=False)
        basis = u if u.shape == draw.shape else v
        arr[:] = self.scale * basis.reshape(arr.shape)


@register
class Xavier(Initializer):
    """Xavier/Glorot weights: with fan_in = shape[1] * prod(shape[2:]) and
    fan_out = shape[0] * prod(shape[2:]), factor is their mean ("avg"),
    fan_in ("in") or fan_out ("out"), scale = sqrt(magnitude / factor), and
    the weights are uniform on [-scale, scale) (rnd_type "uniform") or
    N(0, scale^2) ("gaussian"). ValueError for a weight of fewer than 2
    dimensions, "Incorrect factor type", "Unknown random type"."""

    def __init__(self, rnd_type="uniform", factor_type="avg", magnitude=3):
        super(Xavier, self).__init__(rnd_type=rnd_type,
                                     factor_type=factor_type,
                                     magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _scale(self, name, shape):
        if len(shape) < 2:
            raise ValueError("Xavier initializer cannot be applied to vector "
                             "%s. It requires at least 2D." % name)
        receptive = float(np.prod(shape[2:])) if len(shape) > 2 else 1.
        fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
        factors = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in,
                   "out": fan_out}
        if self.factor_type not in factors:
            raise ValueError("Incorrect factor type")
        return sqrt(self.magnitude / factors[self.factor_type])

    def _init_weight(self, name, arr):
        scale = self._scale(name, arr.shape)
        if self.rnd_type == "uniform":
            _random.uniform(-scale, scale, arr.shape, out=arr)
        elif self.rnd_type == "gaussian":
            _random.normal(0, scale, arr.shape, out=arr)
        else:
            raise ValueError("Unknown random type")


@register
class MSRAPrelu(Xavier):
    """He et al. 2015 weights for (P)ReLU nets: Xavier "gaussian" with
    magnitude 2 / (1 + slope^2)."""

    def __init__(self, factor_type="avg", slope=0.25):
        magnitude = 2. / (1 + slope ** 2)
        super(MSRAPrelu, self).__init__("gaussian", factor_type, magnitude)
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Bilinear(Initializer):
    """Weights of a bilinear upsampling (deconvolution) kernel, for 4-D
    weights (IndexError for fewer dimensions)."""

    def __init__(self):
        super(Bilinear, self).__init__()

    def _init_weight(self, _, arr):
        arr[:] = _bilinear(arr.shape)


@register
class LSTMBias(Initializer):
    """An LSTM cell's (4 * hidden,) bias: zeros except the forget gate's
    (the second quarter), set to `forget_bias`. As MXNet, this is the
    weight rule, so it applies through a Variable's ``__init__``
    attribute; a name ending in "bias" still gets zeros."""

    def __init__(self, forget_bias=1.0):
        super(LSTMBias, self).__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        arr[:] = 0.0
        hidden = int(arr.shape[0] / 4)
        arr[hidden:2 * hidden] = self.forget_bias


_RNN_GATES = {"rnn_relu": [""], "rnn_tanh": [""],
              "lstm": ["_i", "_f", "_c", "_o"], "gru": ["_r", "_z", "_o"]}


def _fused_rnn_pieces(size, num_hidden, num_layers, mode, bidirectional):
    """The named pieces of a fused RNN parameter vector of `size` values
    (MXNet's RNN op / FusedRNNCell layout: every layer's and direction's
    per-gate i2h and h2h weights, then their biases), as
    (name, offset, shape), named as FusedRNNCell's unpacked weights
    (``l0_i2h_f_weight``, ``r1_h2h_o_bias``, ...)."""
    if mode not in _RNN_GATES:
        raise ValueError("FusedRNN: mode must be one of %s, got %r"
                         % (sorted(_RNN_GATES), mode))
    gates = _RNN_GATES[mode]
    directions = ["l", "r"] if bidirectional else ["l"]
    b, h = len(directions), num_hidden
    inputs = (size // b // h // len(gates) - (num_layers - 1) * (h + b * h + 2)
              - h - 2)
    pieces, offset = [], 0

    def add(name, shape):
        nonlocal offset
        pieces.append((name, offset, shape))
        offset += int(np.prod(shape))

    for layer in range(num_layers):
        width = inputs if layer == 0 else b * h
        for d in directions:
            for gate in gates:
                add("%s%d_i2h%s_weight" % (d, layer, gate), (h, width))
            for gate in gates:
                add("%s%d_h2h%s_weight" % (d, layer, gate), (h, h))
    for layer in range(num_layers):
        for d in directions:
            for group in ("i2h", "h2h"):
                for gate in gates:
                    add("%s%d_%s%s_bias" % (d, layer, group, gate), (h,))
    if offset != size or inputs < 1:
        raise AssertionError(
            "Invalid parameters size for FusedRNNCell: %d values fit no "
            "input size for mode %r, %d layers, num_hidden %d%s"
            % (size, mode, num_layers, num_hidden,
               ", bidirectional" if bidirectional else ""))
    return pieces


@register
class FusedRNN(Initializer):
    """The packed parameter vector of a fused RNN layer (the RNN op's
    `parameters`): each gate's weight and bias piece is initialized on its
    own, named as FusedRNNCell unpacks them, with `init` (an Initializer or
    its dumps(); None: the descriptor's global initializer), except the
    LSTM forget-gate biases, set to `forget_bias`. num_hidden, num_layers,
    mode ('rnn_relu', 'rnn_tanh', 'lstm', 'gru') and bidirectional describe
    the layer. AssertionError when the vector's size fits no input size."""

    def __init__(self, init, num_hidden, num_layers, mode,
                 bidirectional=False, forget_bias=1.0):
        if isinstance(init, string_types):
            init = create(init)  # MXNet fails here (a KeyError)
        super(FusedRNN, self).__init__(
            init=init.dumps() if init is not None else None,
            num_hidden=num_hidden, num_layers=num_layers, mode=mode,
            bidirectional=bidirectional, forget_bias=forget_bias)
        self._init = init
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._forget_bias = forget_bias

    def _init_weight(self, desc, arr):
        fallback = getattr(desc, "global_init", None)
        init = self._init if self._init is not None else fallback
        if init is None or isinstance(init, FusedRNN):
            raise ValueError("FusedRNN for %s has no initializer for its "
                             "pieces: pass init=, or call it through another "
                             "(global) initializer" % desc)
        packed = np.empty(arr.size, dtype=np.dtype(arr.dtype))
        for name, offset, shape in _fused_rnn_pieces(
                arr.size, self._num_hidden, self._num_layers, self._mode,
                self._bidirectional):
            piece = _nd.zeros(shape, ctx=arr.context, dtype=arr.dtype)
            if self._mode == "lstm" and name.endswith("_f_bias"):
                piece[:] = self._forget_bias
            else:
                init(InitDesc(name, global_init=fallback), piece)
            packed[offset:offset + piece.size] = piece.asnumpy().ravel()
        arr[:] = packed.reshape(arr.shape)


__all__ = ["InitDesc", "Initializer", "register", "alias", "create", "Load",
           "Mixed", "Zero", "One", "Constant", "Uniform", "Normal",
           "Orthogonal", "Xavier", "MSRAPrelu", "Bilinear", "LSTMBias",
           "FusedRNN"]
