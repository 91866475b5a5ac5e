"""mx.random: seeding, and the samplers of mx.nd.random under MXNet's
mx.random names (mx.random.uniform is mx.nd.random.uniform)."""
from .base import integer_types
from .ndarray import random as _nd_random
from .ndarray.random import (exponential, gamma,
                             generalized_negative_binomial, multinomial,
                             negative_binomial, normal, poisson, randint,
                             randn, shuffle, uniform)


def seed(seed_state, ctx="all"):
    """Seeds the random operators: the same seed, the same arrays.
    ValueError unless seed_state is an integer, as MXNet."""
    if not isinstance(seed_state, integer_types):
        raise ValueError("seed_state must be int, got %r of type %s"
                         % (seed_state, type(seed_state).__name__))
    _nd_random.seed(seed_state, ctx)


__all__ = ["seed", "uniform", "normal", "randn", "randint", "exponential",
           "gamma", "poisson", "negative_binomial",
           "generalized_negative_binomial", "shuffle", "multinomial"]
