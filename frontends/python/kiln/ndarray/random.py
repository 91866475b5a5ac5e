"""mx.nd.random: sampling operators (MXNet's signatures), written over the
registry's _random_uniform and _random_normal (mx.nd._internal), plus any
_random_*_like operator of the registry under its short name, as MXNet."""
import numpy as _np

from .. import _core
from .. import _op_gen


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
    from ._internal import _random_uniform
    return _random_uniform(low=low, high=high, shape=_shape(shape),
                           dtype=_dtype(dtype), out=out, **kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from N(loc, scale^2)."""
    from ._internal import _random_normal
    return _random_normal(loc=loc, scale=scale, shape=_shape(shape),
                          dtype=_dtype(dtype), out=out, **kwargs)


def randn(*shape, **kwargs):
    """Standard-normal samples of the given shape (loc/scale as keywords)."""
    return normal(kwargs.pop("loc", 0), kwargs.pop("scale", 1), shape=shape or None,
                  **kwargs)


def randint(low, high, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Integers drawn uniformly from [low, high) (int32 by default)."""
    from .op import floor, cast
    from ..base import MXNetError
    if not low < high:
        raise MXNetError("randint: low must be below high, got %s and %s" % (low, high))
    samples = uniform(low, high, shape=shape, dtype="float64", **kwargs)
    result = cast(floor(samples), dtype=_np.dtype(dtype or "int32").name)
    if out is not None:
        out[:] = result
        return out
    return result


def exponential(scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples of the exponential distribution with mean `scale`."""
    from .op import log1p
    samples = uniform(0, 1, shape=shape, dtype=dtype, **kwargs)
    result = log1p(-samples) * (-float(scale))
    if out is not None:
        out[:] = result
        return out
    return result


def shuffle(data, **kwargs):
    """data with its first axis in random order (a new array)."""
    from .op import argsort, take
    keys = uniform(0, 1, shape=(data.shape[0],), dtype="float64")
    return take(data, argsort(keys, dtype="int64"))


def multinomial(data, shape=None, get_prob=False, out=None, dtype="int32", **kwargs):
    """Samples from the categorical distributions in data's last axis (each
    row sums to 1): one sample per row, or `shape` samples per row appended
    to the batch shape. With get_prob, also the samples' log-probabilities."""
    from .. import ndarray as nd
    from ..base import MXNetError
    if data.ndim < 1:
        raise MXNetError("multinomial: data must have rank 1 or more")
    categories = data.shape[-1]
    batch_shape = data.shape[:-1]
    sample_shape = () if shape is None else _shape(shape)
    rows = int(_np.prod(batch_shape, dtype=_np.int64)) if batch_shape else 1
    count = int(_np.prod(sample_shape, dtype=_np.int64)) if sample_shape else 1
    probabilities = data.reshape((rows, 1, categories))
    # Cumulative sums by a triangular matmul; a sample is the number of
    # cumulative sums at or below its uniform draw.
    upper = nd.array(_np.triu(_np.ones((categories, categories))), dtype=data.dtype)
    cumulative = nd.dot(probabilities.reshape((rows, categories)), upper)
    draws = uniform(0, 1, shape=(rows, count), dtype=_np.dtype(data.dtype).name)
    below = nd.broadcast_lesser_equal(cumulative.reshape((rows, 1, categories)),
                                      draws.reshape((rows, count, 1)))
    index = nd.clip(nd.sum(below, axis=2), 0, categories - 1)
    result = index.astype(_np.dtype(dtype).name).reshape(batch_shape + sample_shape or (1,))
    if out is not None:
        out[:] = result
        result = out
    if not get_prob:
        return result
    picked = nd.pick(nd.broadcast_to(probabilities, shape=(rows, count, categories)),
                     index, axis=2)
    return [result, nd.log(picked).reshape(batch_shape + sample_shape or (1,))]


def seed(seed_state, ctx="all"):
    """Seeds the random operators: the same seed, the same arrays."""
    _core.random_seed(int(seed_state))


__all__ = ["uniform", "normal", "randn", "randint", "exponential", "shuffle",
           "multinomial", "seed"] + _op_gen.populate(globals(), "random")
