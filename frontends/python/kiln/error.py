"""mx.error: MXNet 1.9.1's structured error classes (mxnet/error.py).

    raise mx.error.InternalError("bad state")   # an MXNetError

register (base.register_error) records an error class by name in
base.error_types; InternalError appends MXNet's hint to report the bug
unless the message already has one; the builtin ValueError, TypeError,
AttributeError, IndexError and NotImplementedError are registered under
their names, as MXNet does.
"""
from .base import MXNetError, register_error

__all__ = ["MXNetError", "register"]

register = register_error

_HINT = ("\nMXNet hint: You hit an internal error. Please open an issue in "
         "https://github.com/apache/incubator-mxnet/issues/new/choose to "
         "report it.")


@register_error
class InternalError(MXNetError):
    """An error inside the framework (not the caller's input): MXNetError
    whose message ends with MXNet's hint to report it."""

    def __init__(self, msg):
        if "MXNet hint:" not in msg:
            msg += _HINT
        super(InternalError, self).__init__(msg)


for _builtin in (ValueError, TypeError, AttributeError, IndexError,
                 NotImplementedError):
    register_error(_builtin.__name__, _builtin)
del _builtin
