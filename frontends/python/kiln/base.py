"""Shared definitions: the error type every kiln failure raises."""
from ._core import MXNetError  # noqa: F401  (a RuntimeError, as in MXNet)

__all__ = ["MXNetError"]
