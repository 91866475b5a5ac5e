"""mx.engine: MXNet's bulk execution settings.

MXNet's engine can run up to `size` consecutive operators as one bulk to
save scheduling overhead. kiln's engine pushes each operator on its own
(its overhead is a fraction of MXNet's, and the compiler fuses elementwise
chains instead), so the size is recorded and returned but changes nothing.

At interpreter exit the engine's pending work is waited for (as MXNet's
MXNotifyShutdown does), before C++ static teardown: an operation still
running then would be inside libraries (oneDNN) whose own static state is
already gone.
"""
import atexit as _atexit
import sys as _sys
import threading as _threading

from . import _core

# Like MXNet's engine, which starts at 0 (no bulking) until set.
_state = {"size": 0}
_lock = _threading.Lock()


def set_bulk_size(size):
    """Sets the bulk size (an int >= 0); returns the previous one."""
    size = int(size)
    if size < 0:
        raise ValueError("set_bulk_size: size must be >= 0, got %d" % size)
    with _lock:
        previous, _state["size"] = _state["size"], size
    return previous


class _BulkScope(object):
    """Sets the bulk size for a `with` block, then restores the old one."""

    def __init__(self, size):
        self._size = size
        self._old_size = None

    def __enter__(self):
        self._old_size = set_bulk_size(self._size)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        set_bulk_size(self._old_size)


def bulk(size):
    """``with mx.engine.bulk(size):`` runs the block with that bulk size."""
    return _BulkScope(size)


__all__ = ["bulk", "set_bulk_size"]


def _wait_for_pending_work_at_exit():
    """Waits for every pushed operation; a failure nobody waited for is
    reported on stderr (the interpreter is exiting: nothing can catch it)."""
    try:
        _core.waitall()
    except Exception as error:  # noqa: BLE001 -- reported, not raised
        _sys.stderr.write("kiln: an operation pending at exit failed: %s\n"
                          % error)


_atexit.register(_wait_for_pending_work_at_exit)
