"""mx.name: automatic names for symbols, as MXNet's NameManager and Prefix.

``with mx.name.Prefix('net_'):`` makes names inside the block start with
'net_'. kiln has no symbols yet; Gluon-style code that names its blocks
with these scopes runs unchanged.
"""
import threading as _threading
import warnings as _warnings

from .base import _MXClassPropertyMetaClass, classproperty, with_metaclass


class NameManager(with_metaclass(_MXClassPropertyMetaClass, object)):
    """Gives each unnamed object `hint` + a per-hint counter (fc0, fc1, ...).

    ``with NameManager():`` makes it the current manager of the thread for
    the block; NameManager.current is the current one (assignable).
    """

    _current = _threading.local()

    def __init__(self):
        self._counter = {}
        self._old_manager = None

    def get(self, name, hint):
        """`name` if given (not None or ''), else hint followed by how many
        names this manager has made from that hint so far."""
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return "%s%d" % (hint, count)

    def __enter__(self):
        self._old_manager = _current_manager()
        NameManager._current.value = self
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        NameManager._current.value = self._old_manager

    @classproperty
    def current(cls):
        """The thread's current manager (deprecated in MXNet in favour of
        `with` blocks)."""
        _warnings.warn("NameManager.current is deprecated; use a `with "
                       "NameManager():` block", DeprecationWarning)
        return _current_manager()

    @current.setter
    def current(cls, value):
        cls._current.value = value


class Prefix(NameManager):
    """A NameManager whose names all start with `prefix`."""

    def __init__(self, prefix):
        super(Prefix, self).__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super(Prefix, self).get(name, hint)


def _current_manager():
    if not hasattr(NameManager._current, "value"):
        NameManager._current.value = NameManager()
    return NameManager._current.value


def current():
    """The thread's current NameManager (without NameManager.current's
    deprecation warning)."""
    return _current_manager()


__all__ = ["NameManager", "Prefix"]
