"""mx.random: seeding, and the samplers of mx.nd.random under MXNet's
mx.random names (mx.random.uniform is mx.nd.random.uniform)."""
from .ndarray.random import (exponential, multinomial, normal, randint, randn,
                             seed, shuffle, uniform)

__all__ = ["seed", "uniform", "normal", "randn", "randint", "exponential",
           "shuffle", "multinomial"]
