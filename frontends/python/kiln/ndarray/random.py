"""mx.nd.random: MXNet 1.9.1's sampling functions.

Each function takes its distribution's parameters either as numbers, and
then calls the registry's ``_random_<distribution>`` (``shape`` samples,
one array of 1 when neither shape nor out is given), or as NDArrays of one
shape P, and then calls ``_sample_<distribution>``, which draws ``shape``
samples for each parameter set (output P + shape). ``dtype`` (float16,
float32 or float64; float32 by default), ``out`` and ``ctx`` are as MXNet's.
The samplers are defined in frontends/cpp/ops/RandomOps.cpp; a seed
(mx.random.seed) reproduces the sequence of arrays. The ``*_like``
samplers (uniform_like, ...) come from the registry under their short
names.
"""
from .. import _core
from .. import _op_gen
from ..base import _Null, numeric_types
from ._internal import (_random_exponential, _random_gamma,
                        _random_generalized_negative_binomial,
                        _random_negative_binomial, _random_normal,
                        _random_poisson, _random_randint, _random_uniform,
                        _sample_exponential, _sample_gamma,
                        _sample_generalized_negative_binomial,
                        _sample_multinomial, _sample_negative_binomial,
                        _sample_normal, _sample_poisson, _sample_uniform,
                        _shuffle)


def _sample(name, from_numbers, from_arrays, params, shape, dtype, ctx, out,
            kwargs):
    """Calls `from_numbers` when the parameters are numbers and
    `from_arrays` when they are NDArrays (all of one kind, else
    AssertionError, as MXNet)."""
    from .ndarray import NDArray, _check_context

    def is_array(value):
        # kiln.jit's traced arrays stand for NDArrays.
        return isinstance(value, NDArray) or _op_gen.is_traced(value)

    first = params[0]
    if is_array(first):
        kind = "NDArray"
    elif isinstance(first, numeric_types):
        kind = "number"
    else:
        raise ValueError("%s: distribution parameters must be NDArrays or "
                         "numbers, got %s" % (name, type(first)))
    for param in params[1:]:
        same = is_array(param) if kind == "NDArray" else \
            isinstance(param, numeric_types) and not is_array(param)
        assert same, ("%s: distribution parameters must all be numbers or all "
                      "NDArrays, got %s and %s" % (name, type(first),
                                                   type(param)))
    attrs = dict(kwargs)
    if shape is not _Null:
        attrs["shape"] = shape
    if dtype is not _Null:
        attrs["dtype"] = dtype
    if kind == "NDArray":
        if from_arrays is None:
            raise TypeError("%s: takes numbers as parameters, got NDArrays"
                            % name)
        return from_arrays(*params, out=out, **attrs)
    attrs["ctx"] = _check_context(ctx, name)
    if shape is _Null and out is None:
        attrs["shape"] = 1
    return from_numbers(*params, out=out, **attrs)


def uniform(low=0, high=1, shape=_Null, dtype=_Null, ctx=None, out=None,
            **kwargs):
    """Samples of the uniform distribution on [low, high)."""
    return _sample("uniform", _random_uniform, _sample_uniform, [low, high],
                   shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=_Null, dtype=_Null, ctx=None, out=None,
           **kwargs):
    """Samples of the normal distribution N(loc, scale^2)."""
    return _sample("normal", _random_normal, _sample_normal, [loc, scale],
                   shape, dtype, ctx, out, kwargs)


def randn(*shape, **kwargs):
    """Normal samples of the shape given positionally (loc, scale, dtype,
    ctx and out as keywords)."""
    from .ndarray import NDArray
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    for value in (loc, scale):
        assert isinstance(value, (int, float, NDArray)) or \
            _op_gen.is_traced(value), \
            "randn: loc and scale must be numbers or NDArrays, got %s" % \
            type(value)
    return _sample("randn", _random_normal, _sample_normal, [loc, scale],
                   shape, kwargs.pop("dtype", _Null), kwargs.pop("ctx", None),
                   kwargs.pop("out", None), kwargs)


def poisson(lam=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples of the Poisson distribution of mean lam (whole numbers in a
    float dtype)."""
    return _sample("poisson", _random_poisson, _sample_poisson, [lam], shape,
                   dtype, ctx, out, kwargs)


def exponential(scale=1, shape=_Null, dtype=_Null, ctx=None, out=None,
                **kwargs):
    """Samples of the exponential distribution of mean `scale` (the ops take
    its rate, 1 / scale)."""
    return _sample("exponential", _random_exponential, _sample_exponential,
                   [1.0 / scale], shape, dtype, ctx, out, kwargs)


def gamma(alpha=1, beta=1, shape=_Null, dtype=_Null, ctx=None, out=None,
          **kwargs):
    """Samples of the gamma distribution of shape alpha and scale beta."""
    return _sample("gamma", _random_gamma, _sample_gamma, [alpha, beta], shape,
                   dtype, ctx, out, kwargs)


def negative_binomial(k=1, p=1, shape=_Null, dtype=_Null, ctx=None, out=None,
                      **kwargs):
    """Samples of the negative binomial distribution: failures before the
    k-th success, each trial succeeding with probability p."""
    return _sample("negative_binomial", _random_negative_binomial,
                   _sample_negative_binomial, [k, p], shape, dtype, ctx, out,
                   kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=_Null, dtype=_Null,
                                  ctx=None, out=None, **kwargs):
    """Samples of the generalized negative binomial distribution of mean mu
    and dispersion alpha."""
    return _sample("generalized_negative_binomial",
                   _random_generalized_negative_binomial,
                   _sample_generalized_negative_binomial, [mu, alpha], shape,
                   dtype, ctx, out, kwargs)


def randint(low, high, shape=_Null, dtype=_Null, ctx=None, out=None,
            **kwargs):
    """Integers drawn uniformly from [low, high) (int32 unless dtype says
    int64)."""
    return _sample("randint", _random_randint, None, [low, high], shape, dtype,
                   ctx, out, kwargs)


def multinomial(data, shape=_Null, get_prob=False, out=None, dtype="int32",
                **kwargs):
    """Samples of the categorical distributions in data's last axis: one per
    row, or `shape` per row (output: data.shape[:-1] + shape). With
    get_prob, also the samples' log-probabilities, which autograd
    differentiates with respect to data (as MXNet)."""
    from .. import autograd
    from . import op
    attrs = dict(kwargs)
    if shape is not _Null:
        attrs["shape"] = shape
    if not (get_prob and autograd.is_recording()):
        return _sample_multinomial(data, get_prob=get_prob, dtype=dtype,
                                   out=out, **attrs)
    # While recording: the samples from the op, their log-probabilities
    # from differentiable ops.
    outs = list(out) if isinstance(out, (list, tuple)) else [out, None]
    samples = _sample_multinomial(data, dtype=dtype, out=outs[0], **attrs)
    batch, categories = data.shape[:-1], data.shape[-1]
    extra = samples.ndim - len(batch)
    table = op.broadcast_to(
        op.reshape(data, shape=batch + (1,) * extra + (categories,)),
        shape=samples.shape + (categories,))
    log_prob = op.log(op.pick(table, samples, axis=-1))
    if outs[1] is not None:
        outs[1][:] = log_prob
        log_prob = outs[1]
    return [samples, log_prob]


def shuffle(data, **kwargs):
    """data with its first axis in a random order (a new array)."""
    return _shuffle(data, **kwargs)


def seed(seed_state, ctx="all"):
    """Seeds the random operators: the same seed, the same arrays."""
    _core.random_seed(int(seed_state))


__all__ = ["uniform", "normal", "randn", "poisson", "exponential", "gamma",
           "multinomial", "negative_binomial", "generalized_negative_binomial",
           "shuffle", "randint", "seed"] + _op_gen.populate(globals(), "random")
