"""mx.sym.random: samplers as symbols (MXNet's mxnet.symbol.random).

Each takes its distribution's parameters as numbers (one draw of `shape`,
MXNet's _random_<name>) or as symbols (`shape` draws per parameter element,
MXNet's _sample_<name>).
"""
from .symbol import Symbol, _create
from ._gen import populate as _populate

_like = {}
_populate(_like, "random")
globals().update(_like)


def _sampler(name, params):
    def sample(*args, shape=None, dtype=None, name_=None, **kwargs):
        values = dict(zip(params, args))
        values.update({key: kwargs.pop(key) for key in list(kwargs)
                       if key in params})
        node_name = kwargs.pop("name", name_)
        attrs = dict(kwargs)
        if dtype is not None:
            attrs["dtype"] = dtype
        if any(isinstance(value, Symbol) for value in values.values()):
            inputs = [values[param] for param in params if param in values]
            if shape is not None:
                attrs["shape"] = shape
            return _create("_sample_" + name, inputs, attrs, name=node_name)
        attrs.update(values)
        if shape is not None:
            attrs["shape"] = shape
        return _create("_random_" + name, [], attrs, name=node_name)
    sample.__name__ = name
    sample.__doc__ = ("Draws from the %s distribution (parameters %s): "
                      "numbers give one sample of `shape`, symbols give "
                      "`shape` samples per element." % (name, ", ".join(
                          params)))
    return sample


uniform = _sampler("uniform", ["low", "high"])
normal = _sampler("normal", ["loc", "scale"])
gamma = _sampler("gamma", ["alpha", "beta"])
exponential = _sampler("exponential", ["lam"])
poisson = _sampler("poisson", ["lam"])
negative_binomial = _sampler("negative_binomial", ["k", "p"])
generalized_negative_binomial = _sampler("generalized_negative_binomial",
                                         ["mu", "alpha"])
randn = normal


def multinomial(data, shape=None, get_prob=False, dtype="int32", **kwargs):
    """Samples of the categorical distributions in data's last axis."""
    attrs = dict(get_prob=get_prob, dtype=dtype, **kwargs)
    if shape is not None:
        attrs["shape"] = shape
    return _create("_sample_multinomial", [data], attrs)


def shuffle(data, **kwargs):
    """data's rows in a random order."""
    return _create("_shuffle", [data], kwargs)


def randint(low, high, shape=None, dtype=None, **kwargs):
    """Integers drawn uniformly from [low, high)."""
    attrs = dict(low=low, high=high, **kwargs)
    if shape is not None:
        attrs["shape"] = shape
    if dtype is not None:
        attrs["dtype"] = dtype
    return _create("_random_randint", [], attrs)


__all__ = sorted(_like) + [
    "uniform", "normal", "gamma", "exponential", "poisson",
    "negative_binomial", "generalized_negative_binomial", "randn",
    "multinomial", "shuffle", "randint"]
