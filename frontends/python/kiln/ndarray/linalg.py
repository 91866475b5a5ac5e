"""mx.nd.linalg: the registry's _linalg_* operators, named without the
prefix (MXNet's linalg.gemm is the operator _linalg_gemm).

kiln's registry has none yet, so the module is empty until they land.
"""
from .. import _op_gen

__all__ = _op_gen.populate(globals(), "linalg")
