"""mx.random: seeding, and the samplers of mx.nd.random."""
from ._nd_random import normal, seed, uniform

__all__ = ["seed", "uniform", "normal"]
