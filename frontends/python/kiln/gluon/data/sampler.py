"""Samplers: iterables of dataset indices, as MXNet 1.9.1's
mxnet/gluon/data/sampler.py (and IntervalSampler of
mxnet/gluon/contrib/data/sampler.py).

    list(BatchSampler(SequentialSampler(10), 3, 'keep'))
    # [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]

RandomSampler draws its permutation from numpy's global RandomState
(np.random.seed makes it reproducible), as MXNet's.
"""
import numpy as np

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "FilterSampler",
           "BatchSampler", "IntervalSampler"]

_LAST_BATCH = ("keep", "discard", "rollover")


class Sampler(object):
    """Base class of samplers: subclasses define __iter__ and __len__."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """start, start + 1, ..., start + length - 1."""

    def __init__(self, length, start=0):
        self._length = length
        self._start = start

    def __iter__(self):
        return iter(range(self._start, self._start + self._length))

    def __len__(self):
        return self._length


class RandomSampler(Sampler):
    """A permutation of [0, length), new at every iteration (numpy's global
    RandomState)."""

    def __init__(self, length):
        self._length = length

    def __iter__(self):
        indices = np.arange(self._length)
        np.random.shuffle(indices)
        return iter(indices)

    def __len__(self):
        return self._length


class FilterSampler(Sampler):
    """The indices of the samples of `dataset` for which fn(sample) is
    true (evaluated once, at construction)."""

    def __init__(self, fn, dataset):
        self._fn = fn
        self._dataset = dataset
        self._indices = [i for i, sample in enumerate(dataset) if fn(sample)]

    def __iter__(self):
        return iter(self._indices)

    def __len__(self):
        return len(self._indices)


class BatchSampler(Sampler):
    """Lists of `batch_size` indices of `sampler`. last_batch says what
    happens to a last, shorter batch: 'keep' gives it, 'discard' drops it,
    'rollover' puts its indices before the next iteration's first batch.
    Another last_batch raises ValueError when iterated or measured."""

    def __init__(self, sampler, batch_size, last_batch="keep"):
        self._sampler = sampler
        self._batch_size = batch_size
        self._last_batch = last_batch
        self._prev = []

    def _bad_last_batch(self):
        return ValueError("last_batch must be one of 'keep', 'discard', or "
                          "'rollover', but got %s" % self._last_batch)

    def __iter__(self):
        batch, self._prev = self._prev, []
        for index in self._sampler:
            batch.append(index)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == "keep":
                yield batch
            elif self._last_batch == "rollover":
                self._prev = batch
            elif self._last_batch != "discard":
                raise self._bad_last_batch()

    def __len__(self):
        if self._last_batch == "keep":
            return (len(self._sampler) + self._batch_size - 1) // self._batch_size
        if self._last_batch == "discard":
            return len(self._sampler) // self._batch_size
        if self._last_batch == "rollover":
            return (len(self._prev) + len(self._sampler)) // self._batch_size
        raise self._bad_last_batch()


class IntervalSampler(Sampler):
    """0, interval, 2 * interval, ... below length; with rollover (the
    default) then 1, 1 + interval, ... until every index came once.
    AssertionError when interval > length. len() is `length` whether or not
    it rolls over (MXNet 1.9.1's gluon.contrib.data.IntervalSampler)."""

    def __init__(self, length, interval, rollover=True):
        assert interval <= length, \
            "Interval {} must be smaller than or equal to length {}".format(
                interval, length)
        self._length = length
        self._interval = interval
        self._rollover = rollover

    def __iter__(self):
        for first in range(self._interval if self._rollover else 1):
            for index in range(first, self._length, self._interval):
                yield index

    def __len__(self):
        return self._length
