"""KVStoreBase, the store registry and create(), as MXNet 1.9.1's
mxnet/kvstore/base.py.

    kv = mx.kv.create('local')           # or 'device'; see create()

    @mx.kvstore.KVStoreBase.register     # a store of one's own, by name
    class MyStore(mx.kvstore.KVStoreBase):
        ...
    mx.kv.create('mystore')              # MyStore()

Also the key/value normalisation every store method shares
(_key_value_pairs), which checks its arguments as MXNet's
_ctype_key_value does.
"""
import warnings

from ..base import MXNetError, string_types
from ..ndarray import NDArray

__all__ = ["create", "KVStoreBase"]


def _value_list(key, value):
    """The NDArrays `value` holds for `key`: [value] for an NDArray, the
    elements of a list (or any iterable) of them. TypeError when `value`
    is neither (MXNet iterates it), AssertionError for a non-NDArray
    element (MXNet's assert)."""
    if isinstance(value, NDArray):
        return [value]
    try:
        values = list(value)
    except TypeError:
        raise TypeError("kvstore: the value of key %r must be an NDArray or a "
                        "list of NDArray, got %s"
                        % (key, type(value).__name__)) from None
    for item in values:
        assert isinstance(item, NDArray), (
            "kvstore: the value of key %r must be an NDArray or a list of "
            "NDArray, got a list holding %s" % (key, type(item).__name__))
    return values


def _key_value_pairs(keys, values):
    """([(key, NDArray), ...], use_str_keys) for MXNet's (keys, values)
    arguments: one key with an NDArray or a list of NDArray (one pair per
    array, the same key), or a list/tuple of keys with as many values
    (each an NDArray or a list of NDArray).

    AssertionError, as MXNet's asserts: a key neither int nor str, key and
    value lists of different lengths, int and str keys in one call, a list
    element that is not an NDArray. TypeError for a value that is neither
    an NDArray nor a list.
    """
    if isinstance(keys, (tuple, list)):
        if not isinstance(values, (tuple, list)) or len(keys) != len(values):
            got = (len(values) if isinstance(values, (tuple, list))
                   else type(values).__name__)
            raise AssertionError(
                "kvstore: %d keys but %s values; give one value (an NDArray "
                "or a list of NDArray) per key" % (len(keys), got))
        pairs = []
        use_str_keys = None
        for key, value in zip(keys, values):
            more, str_keys = _key_value_pairs(key, value)
            if use_str_keys is not None and str_keys != use_str_keys:
                raise AssertionError("inconsistent types of keys detected.")
            use_str_keys = str_keys
            pairs += more
        return pairs, bool(use_str_keys)
    assert isinstance(keys, (int,) + string_types), \
        "unexpected type for keys: " + str(type(keys))
    return ([(keys, value) for value in _value_list(keys, values)],
            isinstance(keys, string_types))


class KVStoreBase(object):
    """The interface of a key-value store for data-parallel training
    (MXNet's abstract kvstore.KVStoreBase). Subclasses implement
    broadcast, pushpull, set_optimizer, is_capable,
    save/load_optimizer_states and the type, rank and num_workers
    properties; each raises NotImplementedError here."""

    OPTIMIZER = "optimizer"
    kv_registry = {}

    def broadcast(self, key, value, out, priority=0):
        """Copies `value` (from rank 0) to `out` (NDArray or list) on every
        rank."""
        raise NotImplementedError()

    def pushpull(self, key, value, out=None, priority=0):
        """Sums `value` (NDArray or list) over devices and workers into
        `out`, or into `value` when out is None."""
        raise NotImplementedError()

    def set_optimizer(self, optimizer):
        """Makes the store apply `optimizer` to pushed gradients."""
        raise NotImplementedError()

    def is_capable(self, capability):
        """Whether the store supports `capability` (KVStoreBase.OPTIMIZER:
        updating weights on the store)."""
        raise NotImplementedError()

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Writes the updater's states (and the optimizer) to `fname`."""
        raise NotImplementedError()

    def load_optimizer_states(self, fname):
        """Reads states save_optimizer_states wrote."""
        raise NotImplementedError()

    @property
    def type(self):
        """The store's type name (str)."""
        raise NotImplementedError()

    @property
    def rank(self):
        """This worker's rank, in [0, num_workers)."""
        raise NotImplementedError()

    @property
    def num_workers(self):
        """The number of workers."""
        raise NotImplementedError()

    @staticmethod
    def register(klass):
        """Registers the KVStoreBase subclass `klass` under its lower-cased
        class name for create() (a decorator; returns klass). A name
        registered before is replaced, with a warning."""
        assert isinstance(klass, type), \
            "KVStoreBase.register takes a class, got %r" % (klass,)
        name = klass.__name__.lower()
        old = KVStoreBase.kv_registry.get(name)
        if old is not None:
            warnings.warn("WARNING: New kvstore %s.%s is overriding existing "
                          "kvstore %s.%s" % (klass.__module__, klass.__name__,
                                             old.__module__, old.__name__))
        KVStoreBase.kv_registry[name] = klass
        return klass


@KVStoreBase.register
class TestStore(KVStoreBase):
    """MXNet's store for testing (create('teststore')): broadcast copies,
    pushpull sums a list over its arrays; no optimizer, one worker."""

    def broadcast(self, key, value, out, priority=0):
        for array in (out if isinstance(out, list) else [out]):
            array[:] = value

    def pushpull(self, key, value, out=None, priority=0):
        if isinstance(value, NDArray):
            total = value
            if out is None:
                return
        else:
            ctx = value[0].context
            total = value[0].as_in_context(ctx).copy()
            for array in value[1:]:
                total += array.as_in_context(ctx)
            if out is None:
                out = value
        for array in (out if isinstance(out, list) else [out]):
            array[:] = total

    @staticmethod
    def is_capable(capability):
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return False
        raise ValueError("Unknown capability: {}".format(capability))

    @property
    def type(self):
        return "teststore"

    @property
    def rank(self):
        return 0

    @property
    def num_workers(self):
        return 1

    def set_optimizer(self, optimizer):
        raise NotImplementedError()

    def save_optimizer_states(self, fname, dump_optimizer=False):
        raise NotImplementedError()

    def load_optimizer_states(self, fname):
        raise NotImplementedError()


def create(name="local"):
    """A new KVStore of type `name` (case-insensitive), as MXNet's
    mx.kv.create.

    A name registered with KVStoreBase.register makes that class.
    Otherwise, as MXNet's native stores on one machine: 'local' (the
    default), 'device' (the same sums; it also takes gradient
    compression) and any other name without 'dist' or 'nccl' make a
    KVStore of that type. TypeError when `name` is not a str; MXNetError
    for 'nccl' (GPUs) and the distributed 'dist_sync', 'dist_async',
    'dist_device_sync' (kiln's parameter server is not built yet).
    """
    if not isinstance(name, string_types):
        raise TypeError("name must be a string")
    name = name.lower()
    if name in KVStoreBase.kv_registry:
        return KVStoreBase.kv_registry[name]()
    if "dist" in name:
        raise MXNetError(
            "kvstore %r: kiln has no distributed KVStore yet (its parameter "
            "server is not built); use 'local' or 'device' on one machine"
            % name)
    if "nccl" in name:
        raise MXNetError(
            "kvstore %r needs NVIDIA GPUs and NCCL, and kiln runs on CPUs "
            "only; use 'local' or 'device'" % name)
    from .kvstore import KVStore
    return KVStore(name)
