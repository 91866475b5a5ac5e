"""mx.kv / mx.kvstore: key-value stores that sum gradients over devices and
hold weights for the optimizer, laid out as MXNet 1.9.1's mxnet/kvstore
package (kvstore.KVStore, base.KVStoreBase and create,
kvstore_server.KVStoreServer)."""
from .kvstore import *
from .base import *
from .kvstore_server import *
