"""Shared definitions: the error type every kiln failure raises."""
from ._core import MXNetError  # a RuntimeError, as in MXNet

# Tracebacks name it where users import it from.
MXNetError.__module__ = __name__

__all__ = ["MXNetError"]
