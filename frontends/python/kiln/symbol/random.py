"""mx.sym.random: samplers as symbols (MXNet 1.9.1's mxnet.symbol.random).

Each sampler takes its distribution's parameters as numbers (one draw of
`shape`: the registry's _random_<name>, with the numbers as attributes) or
as symbols (`shape` draws per parameter element: _sample_<name>), all of
one kind (AssertionError otherwise, ValueError for neither kind). Other
keywords go to the operator as MXNet passes them: `name`, `attr`,
__dunder__ attributes, `ctx`. The *_like samplers come from the registry.
"""
from numbers import Number as _Number

from . import _internal
from ._gen import populate as _populate
from .symbol import Symbol

_like = {}
_populate(_like, "random")
globals().update(_like)


def _draw(name, params, shape, dtype, kwargs):
    """_random_<name>(*params) for numbers, _sample_<name>(*params) for
    symbols; shape and dtype left to the operator's defaults when None."""
    kind = Symbol if isinstance(params[0], Symbol) else _Number
    if kind is _Number and not isinstance(params[0], _Number):
        raise ValueError("%s: distribution parameters must be Symbols or "
                         "numbers, got %s" % (name, type(params[0]).__name__))
    for param in params[1:]:
        assert isinstance(param, kind), (
            "%s: distribution parameters must all be of one type, got %s and "
            "%s" % (name, type(params[0]).__name__, type(param).__name__))
    operator = getattr(_internal, ("_sample_" if kind is Symbol else
                                   "_random_") + name, None)
    if operator is None:
        raise ValueError("%s: takes numbers as parameters, got Symbols"
                         % name)
    return operator(*params, shape=shape, dtype=dtype, **kwargs)


def uniform(low=0, high=1, shape=None, dtype=None, **kwargs):
    """Uniform draws in [low, high)."""
    return _draw("uniform", [low, high], shape, dtype, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, **kwargs):
    """Normal draws of mean loc and standard deviation scale."""
    return _draw("normal", [loc, scale], shape, dtype, kwargs)


def randn(*shape, **kwargs):
    """normal() with the shape given positionally (randn(2, 3)); loc,
    scale and dtype by keyword."""
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    dtype = kwargs.pop("dtype", None)
    return _draw("normal", [loc, scale], shape, dtype, kwargs)


def poisson(lam=1, shape=None, dtype=None, **kwargs):
    """Poisson draws of rate lam."""
    return _draw("poisson", [lam], shape, dtype, kwargs)


def exponential(scale=1, shape=None, dtype=None, **kwargs):
    """Exponential draws of mean scale (the operator's lam is 1 / scale,
    as MXNet passes it)."""
    return _draw("exponential", [1.0 / scale], shape, dtype, kwargs)


def gamma(alpha=1, beta=1, shape=None, dtype=None, **kwargs):
    """Gamma draws of shape alpha and scale beta."""
    return _draw("gamma", [alpha, beta], shape, dtype, kwargs)


def negative_binomial(k=1, p=1, shape=None, dtype=None, **kwargs):
    """Negative binomial draws: failures before k successes of chance p."""
    return _draw("negative_binomial", [k, p], shape, dtype, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None,
                                  **kwargs):
    """Generalized negative binomial draws of mean mu, dispersion alpha."""
    return _draw("generalized_negative_binomial", [mu, alpha], shape, dtype,
                 kwargs)


def randint(low, high, shape=None, dtype=None, **kwargs):
    """Integers drawn uniformly from [low, high) (numbers only)."""
    return _draw("randint", [low, high], shape, dtype, kwargs)


def multinomial(data, shape=None, get_prob=True, dtype="int32", **kwargs):
    """Indices drawn from the categorical distributions in data's last
    axis; with get_prob (True by default here, as in MXNet's symbol API)
    also their log-likelihoods."""
    return _internal._sample_multinomial(data, shape, get_prob, dtype=dtype,
                                         **kwargs)


def shuffle(data, **kwargs):
    """data's rows in a random order."""
    return _internal._shuffle(data, **kwargs)


__all__ = sorted(_like) + [
    "uniform", "normal", "gamma", "exponential", "poisson",
    "negative_binomial", "generalized_negative_binomial", "randn",
    "multinomial", "shuffle", "randint"]
