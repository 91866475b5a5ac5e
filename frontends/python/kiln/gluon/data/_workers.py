"""The DataLoader's worker processes: a pool that makes batches
batchify_fn([dataset[i] for i in indices]) in other processes.

Why not multiprocessing.Pool over fork, as MXNet: a forked child of a
process whose engine threads run has none of them, and kiln's first large
operation there waits forever. Workers here are fresh interpreters
(`python -c`, the parent's sys.path) that import kiln themselves; unlike
multiprocessing's spawn they never re-run the parent's __main__, so scripts
written for MXNet (no `if __name__ == '__main__'` guard) work unchanged.
The dataset and batchify_fn go to every worker once, pickled by cloudpickle
(Debian's python3-cloudpickle; lambdas and classes of __main__ travel by
value) when it is installed, else by pickle. Messages go through
_transport: arrays in shared memory. A worker's NDArrays reach the parent as
numpy arrays in shared memory and become NDArrays there.

Failures: an exception in the dataset or batchify_fn is re-raised in the
parent with its class (the worker's traceback as __cause__) and the worker
keeps serving. A worker that dies raises MXNetError at once; one that gives
no batch within `timeout` seconds raises WorkerTimeoutError (an MXNetError
and a multiprocessing.TimeoutError, the class MXNet raises). Both shut the
pool down; the DataLoader starts a new one for its next iteration. Workers
run with one kiln thread each (KILN_NUM_THREADS=1), ignore SIGINT, and exit
when the parent goes.
"""
import copy
import json
import multiprocessing
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import weakref

from ...base import MXNetError
from . import _transport

try:
    import cloudpickle
except ImportError:  # plain pickle: module-level functions and classes only
    cloudpickle = None

# A worker's start (interpreter, kiln, unpickling the dataset) is not
# counted in `timeout`, but bounded by this.
_STARTUP_LIMIT = 300.0


class WorkerTimeoutError(MXNetError, multiprocessing.TimeoutError):
    """A DataLoader worker gave no batch within the DataLoader's timeout."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker process."""

    def __init__(self, text):
        super(RemoteTraceback, self).__init__(text)
        self.text = text

    def __str__(self):
        return self.text


def _rebuild_ndarray(array, device_type, device_id):
    """In the parent: the NDArray a worker sent, from its shared memory."""
    from ... import context, ndarray
    return ndarray.array(array, dtype=array.dtype,
                         ctx=context.Context(device_type, device_id))


class _ResultPickler(pickle.Pickler):
    """Pickles NDArrays as numpy arrays (out of band) to rebuild."""

    def reducer_override(self, obj):
        from ... import ndarray
        if isinstance(obj, ndarray.NDArray):
            ctx = obj.context
            return _rebuild_ndarray, (obj.asnumpy(), ctx.device_type,
                                      ctx.device_id)
        return NotImplemented


def _dataset_pickler():
    """The pickler of what the parent sends its workers: cloudpickle's
    when installed, which also leaves out the compiled graphs of
    hybridized blocks (they do not pickle; a worker compiles its own)."""
    base = cloudpickle.CloudPickler if cloudpickle else pickle.Pickler

    class DatasetPickler(base):
        def reducer_override(self, obj):
            if getattr(obj, "_cached_op", None) is not None and \
                    hasattr(obj, "_clear_cached_op"):
                clone = copy.copy(obj)
                clone._clear_cached_op()
                return clone.__reduce_ex__(5)
            parent = getattr(super(DatasetPickler, self), "reducer_override",
                             None)
            return NotImplemented if parent is None else parent(obj)

    return DatasetPickler


def _encode_error(task_id, error):
    text = "".join(traceback.format_exception(type(error), error,
                                              error.__traceback__))
    try:
        return _transport.encode(("error", task_id, error, text))
    except Exception:  # an exception that does not pickle
        return _transport.encode(("error", task_id, None, text))


def _watch_parent(ppid):
    """Exits this worker when its parent is gone, even mid-batch."""
    def watch():
        while os.getppid() == ppid:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, name="kiln-parent-watch",
                     daemon=True).start()


def worker_main(fd):
    """A worker process's loop on the socket `fd`: ('init', dataset,
    batchify_fn), then ('task', id, indices) until ('stop',) or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _watch_parent(os.getppid())
    sock = socket.socket(fileno=fd)
    try:
        _, dataset, batchify_fn = _transport.recv(sock)
    except EOFError:
        return
    except BaseException:
        _transport.send(sock, _transport.encode(("init_error",
                                                 traceback.format_exc())))
        return
    _transport.send(sock, _transport.encode(("ready", os.getpid())))
    while True:
        try:
            message = _transport.recv(sock)
        except (EOFError, ConnectionResetError):
            return
        if message[0] == "stop":
            return
        _, task_id, indices = message
        try:
            batch = batchify_fn([dataset[i] for i in indices])
            encoded = _transport.encode(("ok", task_id, batch), _ResultPickler)
        except BaseException as error:  # pylint: disable=broad-except
            encoded = _encode_error(task_id, error)
        try:
            _transport.send(sock, encoded)
        except OSError:
            return
        finally:
            encoded.close()


_LAUNCH = ("import importlib, json, sys; sys.path[:] = json.loads(sys.argv[1]); "
           "importlib.import_module(sys.argv[2]).worker_main(int(sys.argv[3]))")


class _Worker(object):
    def __init__(self, index):
        self.index = index
        self.ready = False
        self.sock, child = _transport.socket_pair()
        env = dict(os.environ)
        env["KILN_NUM_THREADS"] = "1"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, json.dumps(sys.path), __name__,
                 str(child.fileno())],
                pass_fds=[child.fileno()], env=env, stdin=subprocess.DEVNULL)
        finally:
            child.close()

    def describe(self):
        return "DataLoader worker %d (pid %d)" % (self.index, self.process.pid)

    def exit_status(self):
        """How the process ended, in words (it is reaped, killed if it
        lingers)."""
        try:
            code = self.process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        if code < 0:
            try:
                return "was killed by signal %s" % signal.Signals(-code).name
            except ValueError:
                return "was killed by signal %d" % -code
        return "exited with status %d" % code


def _terminate(workers):
    """Stops the workers: closing their sockets ends idle ones at once,
    the rest are killed after a moment; all are reaped."""
    for worker in workers:
        try:
            worker.sock.close()
        except OSError:
            pass
    deadline = time.monotonic() + 0.5
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


class _Pending(object):
    """A submitted batch; get(timeout) waits for it (the interface of
    multiprocessing's AsyncResult, which the thread pool gives)."""

    def __init__(self, pool, worker, task_id, indices):
        self._pool = pool
        self.worker = worker
        self.task_id = task_id
        self.indices = indices

    def get(self, timeout=None):
        return self._pool.get(self, timeout)

    def forget(self):
        """Drops the batch, never to be taken."""
        self._pool.forget(self)


class WorkerPool(object):
    """num_workers processes serving batches of `dataset` made by
    `batchify_fn`. MXNetError at construction when the two do not pickle."""

    def __init__(self, num_workers, dataset, batchify_fn):
        try:
            init = _transport.encode(("init", dataset, batchify_fn),
                                     _dataset_pickler())
        except Exception as error:
            raise MXNetError(
                "DataLoader(num_workers=%d) sends its dataset and batchify_fn "
                "to worker processes, and they do not pickle: %s: %s (use "
                "num_workers=0 or thread_pool=True for such a dataset%s)"
                % (num_workers, type(error).__name__, error,
                   "" if cloudpickle else "; installing Debian's "
                   "python3-cloudpickle lets lambdas and local functions "
                   "through")) from error
        self._lock = threading.RLock()
        self._workers = []
        self._results = {}
        self._forgotten = set()
        self._next_task = 0
        self.broken = None  # why the pool was shut down, once it is
        try:
            for index in range(num_workers):
                worker = _Worker(index)
                self._workers.append(worker)
                _transport.send(worker.sock, init)
        except BaseException:
            _terminate(self._workers)
            raise
        finally:
            init.close()
        self._finalizer = weakref.finalize(self, _terminate, self._workers)

    def submit(self, indices):
        """Queues the batch of `indices` on the next worker, in turn."""
        with self._lock:
            self._check()
            task_id = self._next_task
            self._next_task += 1
            worker = self._workers[task_id % len(self._workers)]
            pending = _Pending(self, worker, task_id, list(indices))
            try:
                _transport.send(worker.sock,
                                _transport.encode(("task", task_id,
                                                   pending.indices)))
            except OSError:
                pass  # it died: get() says how
            return pending

    def _check(self):
        if self.broken is not None:
            raise MXNetError("the DataLoader's worker processes were shut "
                             "down: %s" % self.broken)

    def _fail(self, error):
        self.broken = str(error)
        self.shutdown()
        raise error

    def get(self, pending, timeout):
        """The batch of `pending`; see the module's docstring for errors."""
        with self._lock:
            self._check()
            worker = pending.worker
            waited_since = time.monotonic()
            while pending.task_id not in self._results:
                limit = timeout if worker.ready else _STARTUP_LIMIT
                deadline = None if limit is None else waited_since + limit
                if not _transport.wait_readable([worker.sock], deadline):
                    worker.process.kill()
                    self._fail(WorkerTimeoutError(
                        "%s gave no batch within timeout=%s seconds (batch of "
                        "samples %s%s). This might be caused by a slow "
                        "transform (raise timeout) or a hung worker; the "
                        "workers were shut down."
                        % (worker.describe(), limit, pending.indices[:8],
                           ", ..." if len(pending.indices) > 8 else "")))
                try:
                    message = _transport.recv(worker.sock)
                except (EOFError, ConnectionResetError):
                    self._fail(MXNetError(
                        "%s %s while loading the batch of samples %s%s; the "
                        "workers were shut down (a crash in the dataset or "
                        "batchify_fn, or the system ran out of memory)"
                        % (worker.describe(), worker.exit_status(),
                           pending.indices[:8],
                           ", ..." if len(pending.indices) > 8 else "")))
                if message[0] == "ready":
                    worker.ready = True
                    waited_since = time.monotonic()
                elif message[0] == "init_error":
                    self._fail(MXNetError(
                        "%s could not load the dataset and batchify_fn the "
                        "DataLoader sent it:\n%s" % (worker.describe(),
                                                      message[1])))
                elif message[1] in self._forgotten:
                    self._forgotten.discard(message[1])
                else:
                    self._results[message[1]] = message
            message = self._results.pop(pending.task_id)
        if message[0] == "ok":
            return message[2]
        error, text = message[2], message[3]
        if error is None:
            error = MXNetError("%s raised an exception that does not pickle"
                               % worker.describe())
        raise error from RemoteTraceback(text)

    def forget(self, pending):
        """Drops the result of `pending` now or when it comes."""
        with self._lock:
            if self._results.pop(pending.task_id, None) is None:
                self._forgotten.add(pending.task_id)

    def shutdown(self):
        """Stops every worker (idempotent)."""
        if self.broken is None:
            self.broken = "the DataLoader was shut down"
        self._finalizer()
