"""KVStoreServer, as MXNet 1.9.1's mxnet/kvstore/kvstore_server.py: the
loop a parameter-server process runs. kiln's parameter server is not
built yet, so run() raises MXNetError (and, unlike MXNet, importing kiln
never starts a server, whatever DMLC_ROLE says)."""
from ..base import MXNetError

__all__ = ["KVStoreServer"]


class KVStoreServer(object):
    """The server side of a distributed `kvstore` (a KVStore)."""

    def __init__(self, kvstore):
        self.kvstore = kvstore
        self.handle = getattr(kvstore, "handle", None)
        self.init_logginig = False  # MXNet's attribute name, typo included

    def run(self):
        """Serves pushes and pulls until told to stop: MXNetError, as kiln
        has no parameter server yet."""
        raise MXNetError("KVStoreServer.run: kiln has no distributed KVStore "
                         "yet (its parameter server is not built)")
