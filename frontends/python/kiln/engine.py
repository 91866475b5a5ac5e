"""mx.engine: MXNet's bulk execution settings.

MXNet's engine can run up to `size` consecutive operators as one bulk to
save scheduling overhead. kiln's engine pushes each operator on its own
(its overhead is a fraction of MXNet's, and the compiler fuses elementwise
chains instead), so the size is recorded and returned but changes nothing.
"""
import threading as _threading

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
