"""DataLoader: mini-batches of a dataset, as MXNet 1.9.1's
mxnet/gluon/data/dataloader.py.

    loader = DataLoader(ArrayDataset(X, y), batch_size=64, shuffle=True,
                        last_batch='discard', num_workers=2)
    for data, label in loader:      # NDArrays (64, ...) and (64,)
        ...

Batches are batchify_fn([dataset[i] for i in batch]) for each batch of
indices the batch sampler gives (BatchSampler over SequentialSampler, or
RandomSampler with shuffle=True). default_batchify_fn stacks NDArray
samples into one NDArray, turns numpy arrays and numbers into an NDArray of
their numpy dtype, and batches tuple samples element by element into a
list.

num_workers > 0 makes batches in that many worker processes (see _workers:
fresh interpreters, batches through shared memory, a dead worker an
MXNetError at once, a hung one a WorkerTimeoutError after `timeout`
seconds); thread_pool=True uses threads instead. `prefetch` batches
(default 2 * num_workers) are requested ahead. pin_memory copies batches to
cpu_pinned memory. auto_reload=True starts fetching the next epoch's first
batches as soon as an epoch ends.

Differences from MXNet: worker processes are not forks, so the dataset and
batchify_fn are pickled once per worker (cloudpickle: lambdas are fine); a
batch from a worker has context cpu(0) where MXNet gives cpu_shared(0)
(kiln has one CPU memory); stacking goes through numpy, which MXNet's
nd.stack matches value for value.
"""
import multiprocessing
import multiprocessing.pool

import numpy as np

from ... import context, nd
from . import sampler as _sampler
from ._workers import WorkerPool, WorkerTimeoutError

__all__ = ["DataLoader"]


def _stack(data, ctx=None):
    """nd.stack(*data) of equally shaped NDArrays, through one numpy copy
    (a kernel of that many operands would be compiled per batch size)."""
    return nd.array(np.stack([sample.asnumpy() for sample in data]),
                    dtype=data[0].dtype, ctx=ctx)


def default_batchify_fn(data):
    """The batch of the samples `data`: NDArrays stacked (new first axis),
    tuples batched element-wise into a list, anything else through
    np.asarray into an NDArray of its dtype."""
    if isinstance(data[0], nd.NDArray):
        return _stack(data)
    if isinstance(data[0], tuple):
        return [default_batchify_fn(column) for column in zip(*data)]
    data = np.asarray(data)
    return nd.array(data, dtype=data.dtype)


def default_mp_batchify_fn(data):
    """default_batchify_fn in shared memory (MXNet's cpu_shared context),
    the default of worker processes."""
    shared = context.Context("cpu_shared", 0)
    if isinstance(data[0], nd.NDArray):
        return _stack(data, ctx=shared)
    if isinstance(data[0], tuple):
        return [default_mp_batchify_fn(column) for column in zip(*data)]
    data = np.asarray(data)
    return nd.array(data, dtype=data.dtype, ctx=shared)


def _as_in_context(data, ctx):
    if isinstance(data, nd.NDArray):
        return data.as_in_context(ctx)
    if isinstance(data, (list, tuple)):
        return [_as_in_context(d, ctx) for d in data]
    return data


def _thread_worker_fn(samples, batchify_fn, dataset):
    return batchify_fn([dataset[i] for i in samples])


class _MultiWorkerIter(object):
    """One pass over the batch sampler through a worker pool, `prefetch`
    batches requested ahead; batches come in sampler order."""

    def __init__(self, submit, batch_sampler, pin_memory=False,
                 pin_device_id=0, prefetch=0, timeout=120):
        self._submit = submit
        self._pending = {}
        self._rcvd_idx = 0
        self._sent_idx = 0
        self._iter = iter(batch_sampler)
        self._batch_sampler = batch_sampler
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._timeout = timeout
        for _ in range(prefetch):
            self._push_next()

    def __len__(self):
        return len(self._batch_sampler)

    def _push_next(self):
        indices = next(self._iter, None)
        if indices is None:
            return
        self._pending[self._sent_idx] = self._submit(indices)
        self._sent_idx += 1

    def __next__(self):
        self._push_next()
        if self._rcvd_idx == self._sent_idx:
            raise StopIteration
        pending = self._pending.pop(self._rcvd_idx)
        self._rcvd_idx += 1
        try:
            batch = pending.get(self._timeout)
        except multiprocessing.TimeoutError as error:
            if isinstance(error, WorkerTimeoutError):
                raise
            raise WorkerTimeoutError(
                "DataLoader thread worker gave no batch within timeout=%s "
                "seconds (batch of samples %s). This might be caused by a "
                "slow transform: raise timeout." % (self._timeout,
                                                    pending.indices)) from None
        if self._pin_memory:
            batch = _as_in_context(batch, context.cpu_pinned(self._pin_device_id))
        return batch

    next = __next__

    def __iter__(self):
        return self

    def __del__(self):
        # Batches requested and never taken (a loop left early).
        for pending in getattr(self, "_pending", {}).values():
            forget = getattr(pending, "forget", None)
            if forget is not None:
                forget()


class _ThreadPending(object):
    def __init__(self, result, indices):
        self._result = result
        self.indices = list(indices)

    def get(self, timeout=None):
        return self._result.get(timeout)


class DataLoader(object):
    """Loads mini-batches of `dataset` (MXNet 1.9.1's DataLoader; see the
    module's docstring).

    dataset: a Dataset, or any object with len() and [] (numpy arrays,
    NDArrays). batch_size: samples per batch. shuffle: a new random order
    each epoch. sampler: the sample order (a Sampler; not with shuffle).
    last_batch: 'keep' (default), 'discard' or 'rollover' for a last,
    shorter batch. batch_sampler: gives whole batches (then none of
    batch_size, shuffle, sampler, last_batch). batchify_fn: makes a batch
    of a list of samples. num_workers (default 0: in this process),
    pin_memory, pin_device_id, prefetch (default 2 * num_workers),
    thread_pool, timeout (seconds a worker may take for one batch, default
    120), auto_reload.

    Raises ValueError when neither batch_size nor batch_sampler is given,
    for shuffle with a sampler, or batch_sampler with any of the four;
    AssertionError for timeout <= 0 (as MXNet); MXNetError when num_workers
    > 0 and the dataset or batchify_fn does not pickle.
    """

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None,
                 last_batch=None, batch_sampler=None, batchify_fn=None,
                 num_workers=0, pin_memory=False, pin_device_id=0,
                 prefetch=None, thread_pool=False, timeout=120,
                 auto_reload=False):
        self._worker_pool = None
        self._dataset = dataset
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._thread_pool = thread_pool
        self._timeout = timeout
        assert timeout > 0, "timeout must be positive, given {}".format(timeout)

        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("batch_size must be specified unless "
                                 "batch_sampler is specified")
            if sampler is None:
                if shuffle:
                    sampler = _sampler.RandomSampler(len(dataset))
                else:
                    sampler = _sampler.SequentialSampler(len(dataset))
            elif shuffle:
                raise ValueError("shuffle must not be specified if sampler is "
                                 "specified")
            batch_sampler = _sampler.BatchSampler(
                sampler, batch_size, last_batch if last_batch else "keep")
        elif batch_size is not None or shuffle or sampler is not None or \
                last_batch is not None:
            raise ValueError("batch_size, shuffle, sampler and last_batch must "
                             "not be specified if batch_sampler is specified.")

        self._batch_sampler = batch_sampler
        self._num_workers = num_workers if num_workers >= 0 else 0
        self._prefetch = max(0, int(prefetch) if prefetch is not None
                             else 2 * self._num_workers)
        if batchify_fn is None:
            self._batchify_fn = default_mp_batchify_fn if num_workers > 0 \
                else default_batchify_fn
        else:
            self._batchify_fn = batchify_fn
        if self._num_workers > 0:
            self._worker_pool = self._make_pool()
        self.auto_reload = auto_reload
        self._iter = None
        if self.auto_reload:
            self.refresh()

    def _make_pool(self):
        if self._thread_pool:
            return multiprocessing.pool.ThreadPool(self._num_workers)
        return WorkerPool(self._num_workers, self._dataset, self._batchify_fn)

    def _submitter(self):
        """A function queueing a batch of indices on the workers."""
        pool = self._worker_pool
        if self._thread_pool:
            dataset, batchify_fn = self._dataset, self._batchify_fn
            return lambda indices: _ThreadPending(pool.apply_async(
                _thread_worker_fn, (indices, batchify_fn, dataset)), indices)
        if pool.broken is not None:  # a worker failed: start afresh
            self._worker_pool = pool = self._make_pool()
        return pool.submit

    def __iter__(self):
        if self._iter is None:
            self.refresh()
        batches = self._iter
        self._iter = None  # one iterator serves one loop
        for batch in batches:
            yield batch
        if self._iter is None and self.auto_reload:
            self.refresh()

    def _prefetch_iter(self):
        if self._num_workers == 0:
            def same_process_iter():
                for batch in self._batch_sampler:
                    ret = self._batchify_fn([self._dataset[idx] for idx in batch])
                    if self._pin_memory:
                        ret = _as_in_context(ret, context.cpu_pinned(
                            self._pin_device_id))
                    yield ret
            return same_process_iter()
        return _MultiWorkerIter(self._submitter(), self._batch_sampler,
                                pin_memory=self._pin_memory,
                                pin_device_id=self._pin_device_id,
                                prefetch=self._prefetch, timeout=self._timeout)

    def __len__(self):
        return len(self._batch_sampler)

    def __del__(self):
        pool = getattr(self, "_worker_pool", None)
        if pool is None:
            return
        if isinstance(pool, multiprocessing.pool.ThreadPool):
            pool.terminate()
        else:
            pool.shutdown()

    def refresh(self):
        """Starts a new pass (prefetching its first batches)."""
        self._iter = self._prefetch_iter()

    def clean(self):
        """Drops the prefetched pass; the next loop starts its own."""
        self._iter = None

