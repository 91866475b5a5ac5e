"""KVStore: MXNet 1.9.1's single-machine key-value store
(mxnet/kvstore/kvstore.py over src/kvstore/kvstore_local.h), in Python.

    kv = mx.kv.create('local')
    kv.init(3, mx.nd.zeros((2, 3)))              # int or str keys
    kv.push(3, [g0, g1])                         # several devices: summed
    kv.pull(3, out=[w0, w1])                     # copied to each
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))
    kv.pushpull(3, [g0, g1], out=[w0, w1])       # push updates, then pull

The store keeps its own copy of each key's value on cpu(0) (MXNet's local
store keeps it in pinned CPU memory). A push sums the values given for a
key (several contexts each give one, or a key repeats in a list), then
either passes the sum to the updater, updater(key, sum, stored) (int keys
as ints, str keys as bytes, as MXNet's C callback hands them), or, with
none set, replaces the stored value with the sum. Operations queue on the
engine as MXNet's do; reading an `out` array waits for them.

Errors follow MXNet's: MXNetError for a key used before init, a key
inited twice, int and str keys in one store, a shape that differs from
the stored one; AssertionError for malformed key/value lists (see
base._key_value_pairs).
"""
from .. import ndarray as nd
from .. import optimizer as opt
from ..base import MXNetError
from ..context import cpu
from .base import KVStoreBase, _key_value_pairs

__all__ = ["KVStore"]

# MXNet's GradientCompressionParam default for '2bit'.
_DEFAULT_THRESHOLD = 0.5


def _grouped(pairs, order):
    """[(key, [arrays])] from (key, array) pairs: a key given twice is one
    push of both, and keys come in MXNet's order (GroupKVPairs sorts them
    by int key, str keys by `order`, the number of their init)."""
    groups = {}
    for key, array in pairs:
        groups.setdefault(key, []).append(array)
    return sorted(groups.items(),
                  key=lambda item: (order.get(item[0], len(order))
                                    if isinstance(item[0], str)
                                    else item[0]))


def _compression_config(params):
    """{'type': '2bit', 'threshold': float} from MXNet's
    compression_params dict; MXNetError, as MXNet's parameter parser,
    for a missing or unknown type or a threshold that is no positive
    float. Keys other than type and threshold are ignored, as MXNet
    does."""
    assert isinstance(params, dict), \
        "unexpected type for param_dict: " + str(type(params))
    if "type" not in params:
        raise MXNetError("set_gradient_compression: compression_params needs "
                         "'type' ('2bit'), got keys %s" % sorted(params))
    kind = str(params["type"])
    if kind != "2bit":
        raise MXNetError("Unknown type for gradient compression %s: only "
                         "'2bit' exists" % kind)
    threshold = params.get("threshold", _DEFAULT_THRESHOLD)
    try:
        threshold = float(str(threshold))
    except ValueError:
        raise MXNetError("Invalid Parameter format for threshold expect "
                         "float but value='%s'" % threshold) from None
    if not threshold > 0:
        raise MXNetError("set_gradient_compression: threshold must be "
                         "greater than 0, got %s" % threshold)
    return {"type": kind, "threshold": threshold}


class KVStore(KVStoreBase):
    """A key-value store on one machine (create() makes one).

    `handle` is the store's type name ('local', 'device', ...): kiln's
    stores have no C handle. Methods take a key (int or str) or a list of
    keys, and for each key an NDArray or a list of NDArray (one per
    device), as MXNet's; `priority` is accepted and ignored (the engine
    orders operations by their arrays).
    """

    def __init__(self, handle):
        self.handle = handle
        self._updater = None
        self._store = {}
        self._order = {}  # str key -> how many keys were inited before it
        self._key_type = None
        self._compression = None
        self._residuals = {}

    # -- keys -----------------------------------------------------------------

    def _pairs(self, keys, values):
        """_key_value_pairs, plus the store-wide key type (MXNetError when
        a store used with int keys gets str keys or the reverse)."""
        pairs, use_str_keys = _key_value_pairs(keys, values)
        kind = "str" if use_str_keys else "int"
        if self._key_type is None:
            self._key_type = kind
        elif self._key_type != kind:
            raise MXNetError(
                "kvstore: key %r is a%s, but this store's keys are %ss; "
                "mixed key types are not allowed"
                % (pairs[0][0] if pairs else keys,
                   " str" if use_str_keys else "n int", self._key_type))
        return pairs

    def _stored(self, key, what):
        """The stored value of `key`; MXNetError when it was never inited."""
        if key not in self._store:
            raise MXNetError("kvstore.%s: key %r has not been inited; call "
                             "init (or broadcast) first" % (what, key))
        return self._store[key]

    @staticmethod
    def _check_shape(key, stored, array, what):
        if array.shape != stored.shape:
            raise MXNetError("kvstore.%s: key %r holds shape %s, got an array "
                             "of shape %s" % (what, key, stored.shape,
                                              array.shape))

    # -- the store's operations ------------------------------------------------

    def init(self, key, value):
        """Stores a copy of each value under its key (an NDArray, or a
        list: see the class docstring). MXNetError for a key already
        inited (by init or broadcast), also within one call; nothing is
        stored then."""
        pairs = self._pairs(key, value)
        seen = set()
        for k, _ in pairs:
            if k in self._store or k in seen:
                raise MXNetError("kvstore.init: duplicate init of key %r; "
                                 "call init or broadcast once per key" % (k,))
            seen.add(k)
        for k, array in pairs:
            self._order[k] = len(self._order)
            self._store[k] = array.copyto(cpu(0))

    def push(self, key, value, priority=0):
        """Sums each key's values and updates its stored value with the sum
        (the updater's rule, or replacing it). MXNetError for a key not
        inited or a value whose shape is not the stored one."""
        del priority
        groups = _grouped(self._pairs(key, value), self._order)
        for k, arrays in groups:
            stored = self._stored(k, "push")
            for array in arrays:
                self._check_shape(k, stored, array, "push")
        for k, arrays in groups:
            stored = self._store[k]
            total = self._reduce(k, arrays, stored)
            if self._updater is not None:
                self._updater(k.encode() if isinstance(k, str) else k,
                              total, stored)
            else:
                total.copyto(stored)

    def _reduce(self, key, arrays, stored):
        """The sum of `arrays` on the stored value's context and dtype,
        each first quantized when gradient compression is set."""
        arrays = [a if a.context == stored.context and a.dtype == stored.dtype
                  else a.as_in_context(stored.context).astype(stored.dtype)
                  for a in arrays]
        if self._compression is not None:
            arrays = [self._quantized(key, i, a) for i, a in enumerate(arrays)]
        if len(arrays) == 1:
            return arrays[0]
        return nd.add_n(*arrays)

    def _quantized(self, key, source, array):
        """MXNet's 2-bit compression of the `source`-th value pushed for
        `key`: with r the residual left from that source's last push, x =
        array + r becomes threshold where x >= threshold, -threshold where
        x <= -threshold, else 0; the new residual is x minus that."""
        threshold = self._compression["threshold"]
        residual = self._residuals.get((key, source))
        if residual is None:
            residual = self._residuals[(key, source)] = nd.zeros(
                array.shape, ctx=array.context, dtype=array.dtype)
        full = array + residual
        sent = ((full >= threshold) - (full <= -threshold)) * threshold
        residual[:] = full - sent
        return sent

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copies each key's stored value into its `out` arrays (an NDArray
        or a list per key; a different dtype is cast). AssertionError when
        out is None; MXNetError for a key not inited or an `out` of another
        shape."""
        del priority, ignore_sparse
        assert out is not None, "kvstore.pull: give out= (the arrays to fill)"
        groups = _grouped(self._pairs(key, out), self._order)
        for k, arrays in groups:
            stored = self._stored(k, "pull")
            for array in arrays:
                self._check_shape(k, stored, array, "pull")
        for k, arrays in groups:
            for array in arrays:
                self._store[k].copyto(array)

    def pushpull(self, key, value, out=None, priority=0):
        """push(key, value), then pull into `out`, or into `value` when out
        is None."""
        if out is not None:
            # Both lists are checked before anything is pushed.
            self._pairs(key, out)
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def broadcast(self, key, value, out, priority=0):
        """init(key, value), then pull(key, out): `out` gets `value` and
        the store keeps it (MXNetError for a key already inited)."""
        self._pairs(key, out)
        self.init(key, value)
        self.pull(key, out, priority)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """MXNet's pull of some rows of row_sparse values. kiln has no
        sparse storage yet, so after MXNet's asserts (out and row_ids
        given) it raises MXNetError."""
        del key, priority
        assert out is not None, \
            "kvstore.row_sparse_pull: give out= (row_sparse arrays)"
        assert row_ids is not None, \
            "kvstore.row_sparse_pull: give row_ids= (NDArray or list)"
        raise MXNetError("kvstore.row_sparse_pull needs row_sparse arrays, "
                         "and kiln has no sparse storage (row_sparse, csr) "
                         "yet; use pull for dense arrays")

    # -- configuration ---------------------------------------------------------

    def set_gradient_compression(self, compression_params):
        """MXNet's 2-bit gradient compression of pushed values:
        compression_params {'type': '2bit', 'threshold': 0.5 (default)}
        (see _quantized). Only stores whose type has 'device' (or 'dist')
        take it: a plain Exception, as MXNet's, for the others.
        AssertionError when compression_params is not a dict; MXNetError
        for a bad type or threshold."""
        if "device" not in self.type and "dist" not in self.type:
            raise Exception("Gradient compression is not supported for this "
                            "type of kvstore")
        self._compression = _compression_config(compression_params)
        self._residuals = {}

    def set_optimizer(self, optimizer):
        """Updates stored values with `optimizer` on push
        (self._set_updater(mx.optimizer.get_updater(optimizer)))."""
        self._set_updater(opt.get_updater(optimizer))

    def _set_updater(self, updater):
        """Sets updater(key, pushed_sum, stored), called on push to update
        `stored` in place."""
        self._updater = updater

    def is_capable(self, capability):
        """True for KVStoreBase.OPTIMIZER; ValueError for anything else."""
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return True
        raise ValueError("Unknown capability: {}".format(capability))

    @property
    def type(self):
        """The type name the store was created with ('local', ...)."""
        return self.handle

    @property
    def rank(self):
        """0: one machine, one worker."""
        return 0

    @property
    def num_workers(self):
        """1: one machine, one worker."""
        return 1

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Writes the updater's states (with the optimizer when
        dump_optimizer) to `fname` in MXNet's pickle layout.
        AssertionError without set_optimizer."""
        assert self._updater is not None, \
            "Cannot save states for distributed training"
        with open(fname, "wb") as handle:
            handle.write(self._updater.get_states(dump_optimizer))

    def load_optimizer_states(self, fname):
        """Reads states save_optimizer_states (kiln's or MXNet's) wrote.
        AssertionError without set_optimizer."""
        assert self._updater is not None, \
            "Cannot load states for distributed training"
        with open(fname, "rb") as handle:
            self._updater.set_states(handle.read())

    def _barrier(self):
        """MXNet's barrier among workers: nothing to wait for with one."""

    def _send_command_to_servers(self, head, body):
        """MXNet's command to the parameter servers: there are none on one
        machine, so nothing is sent (as MXNet's local store)."""
        del head, body
