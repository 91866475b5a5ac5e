"""mx.nd.random: sampling operators (MXNet's signatures)."""
import numpy as _np

from . import _core


def _shape(shape):
    if shape is None:
        return (1,)
    if isinstance(shape, (int, _np.integer)):
        return (int(shape),)
    return tuple(int(extent) for extent in shape)


def _dtype(dtype):
    return "float32" if dtype is None else _np.dtype(dtype).name


def uniform(low=0, high=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from U[low, high)."""
    from .ndarray import _random_uniform
    return _random_uniform(low=low, high=high, shape=_shape(shape),
                           dtype=_dtype(dtype), out=out, **kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from N(loc, scale^2)."""
    from .ndarray import _random_normal
    return _random_normal(loc=loc, scale=scale, shape=_shape(shape),
                          dtype=_dtype(dtype), out=out, **kwargs)


def seed(seed_state, ctx="all"):
    """Seeds the random operators: the same seed, the same arrays."""
    _core.random_seed(int(seed_state))


__all__ = ["uniform", "normal", "seed"]
