"""mx.registry: name -> class factories for serializable objects.

MXNet 1.9.1's mxnet/registry.py is the reference: a family of classes (the
metrics, and in MXNet the optimizers and initializers) shares one table per
base class, filled by a `register` decorator and its `alias` variant, and
read by a `create` function that accepts a name, an instance, a config dict
or a JSON string. Names are case-insensitive (stored lower-cased).

    register = get_register_func(EvalMetric, 'metric')
    alias = get_alias_func(EvalMetric, 'metric')
    create = get_create_func(EvalMetric, 'metric')

Errors are MXNet's: AssertionError for an unregistered name, a name that is
not a string, extra arguments next to an instance or a JSON string, and a
registered class that is not a subclass of the base; re-registering a name
warns (UserWarning) and replaces the entry.
"""
import json
import warnings

from .base import string_types

# base class -> {lower-cased name: class}
_REGISTRY = {}


def _table(base_class):
    return _REGISTRY.setdefault(base_class, {})


def get_registry(base_class):
    """A copy of the name -> class table of `base_class` (empty when nothing
    is registered yet)."""
    return _table(base_class).copy()


def get_register_func(base_class, nickname):
    """Returns `register(klass, name=None)`, which files `klass` (a subclass
    of `base_class`) under `name` (default: the class name), lower-cased,
    and returns `klass`, so it also serves as a class decorator.
    `nickname` ('metric', 'optimizer') names the family in messages."""
    table = _table(base_class)

    def register(klass, name=None):
        assert issubclass(klass, base_class), \
            "Can only register subclass of %s" % base_class.__name__
        key = (klass.__name__ if name is None else name).lower()
        if key in table:
            old = table[key]
            # MXNet's text, colour codes and missing space included.
            warnings.warn(
                "\033[91mNew %s %s.%s registered with name %s is"
                "overriding existing %s %s.%s\033[0m" % (
                    nickname, klass.__module__, klass.__name__, key,
                    nickname, old.__module__, old.__name__),
                UserWarning, stacklevel=2)
        table[key] = klass
        return klass

    register.__doc__ = "Register %s to the %s factory" % (nickname, nickname)
    return register


def get_alias_func(base_class, nickname):
    """Returns `alias(*names)`, a class decorator that registers the class
    under each of `names` as well."""
    register = get_register_func(base_class, nickname)

    def alias(*aliases):
        def decorate(klass):
            for name in aliases:
                register(klass, name)
            return klass
        return decorate
    return alias


def get_create_func(base_class, nickname):
    """Returns `create(name_or_instance, *args, **kwargs)`.

    The first argument (or the keyword named `nickname`) may be: an
    instance of `base_class`, returned as is (no other arguments allowed);
    a dict, used as keyword arguments (its `nickname` key names the class);
    a JSON string, '["name", {kwargs}]' or '{"<nickname>": "name", ...}';
    or a registered name, whose class is called with the other arguments.
    """
    table = _table(base_class)

    def create(*args, **kwargs):
        if args:
            name, args = args[0], args[1:]
        else:
            name = kwargs.pop(nickname)

        if isinstance(name, base_class):
            assert not args and not kwargs, \
                "%s is already an instance. Additional arguments are " \
                "invalid" % nickname
            return name
        if isinstance(name, dict):
            return create(**name)
        assert isinstance(name, string_types), \
            "%s must be of string type" % nickname
        if name.startswith('['):
            assert not args and not kwargs
            name, kwargs = json.loads(name)
            return create(name, **kwargs)
        if name.startswith('{'):
            assert not args and not kwargs
            return create(**json.loads(name))
        key = name.lower()
        assert key in table, \
            "%s is not registered. Please register with %s.register " \
            "first" % (key, nickname)
        return table[key](*args, **kwargs)

    create.__doc__ = (
        "Create a %s instance from config: a %s name, a %s instance "
        "(returned as is), a config dict or its JSON string; other "
        "arguments go to the constructor." % (
            nickname, nickname, base_class.__name__))
    return create
