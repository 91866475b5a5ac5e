"""mx.api: MXNet 1.9.1's namespace for functions its C++ library registers
through the TVM-style FFI under "mxnet.api." (mxnet/api.py). MXNet's
pip build registers none there, so the module has no public names; kiln
has no FFI registry, and _init_api is kept for code that calls it.
"""


def _init_api(namespace, target_module_name=None):
    """Would attach the FFI functions registered under `namespace` to the
    module `target_module_name`; kiln registers none, so it does nothing."""
    return None


_init_api("mxnet.api")
