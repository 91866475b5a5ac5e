"""mx.attribute: attribute scopes, as MXNet's AttrScope.

``with mx.AttrScope(ctx_group='dev1'):`` attaches the attributes to what
is created in the block; nested scopes merge, inner values winning.
"""
import threading as _threading
import warnings as _warnings

from .base import _MXClassPropertyMetaClass, classproperty, string_types, with_metaclass


class AttrScope(with_metaclass(_MXClassPropertyMetaClass, object)):
    """A set of string attributes (keyword arguments; ValueError for a value
    that is not a string). AttrScope.current is the thread's current scope.
    """

    _current = _threading.local()

    def __init__(self, **kwargs):
        self._old_scope = None
        for value in kwargs.values():
            if not isinstance(value, string_types):
                raise ValueError("Attributes need to be string")
        self._attr = kwargs

    def get(self, attr):
        """The scope's attributes updated with `attr` (a dict or None): a new
        dict; `attr` wins on shared keys."""
        merged = dict(self._attr)
        if attr:
            merged.update(attr)
        return merged

    def __enter__(self):
        self._old_scope = _current_scope()
        # Inside an outer scope, the block sees both; this scope's values win.
        merged = dict(self._old_scope._attr)
        merged.update(self._attr)
        self._attr = merged
        AttrScope._current.value = self
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        AttrScope._current.value = self._old_scope

    @classproperty
    def current(cls):
        """The thread's current scope (deprecated in MXNet in favour of
        `with` blocks)."""
        _warnings.warn("AttrScope.current is deprecated; use a `with "
                       "AttrScope(...):` block", DeprecationWarning)
        return _current_scope()

    @current.setter
    def current(cls, value):
        _warnings.warn("AttrScope.current is deprecated; use a `with "
                       "AttrScope(...):` block", DeprecationWarning)
        cls._current.value = value


def _current_scope():
    if not hasattr(AttrScope._current, "value"):
        AttrScope._current.value = AttrScope()
    return AttrScope._current.value


def current():
    """The thread's current AttrScope (without AttrScope.current's
    deprecation warning)."""
    return _current_scope()


__all__ = ["AttrScope"]
