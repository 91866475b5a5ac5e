"""mx.contrib.ndarray (also mx.contrib.nd), as MXNet 1.9.1 has it: the
contrib operators' NDArray functions (box_nms, MultiBoxPrior, index_copy,
...), the same functions mx.nd.contrib holds. The Python-level helpers of
mx.nd.contrib (foreach, while_loop, cond, isnan, the AdamW and LAMB
wrappers, rand_zipfian) are not operators and, as in MXNet, not here.
"""
from ._namespace import operator_functions as _operator_functions
from ..ndarray import contrib as _source

__all__ = _operator_functions(_source, globals())
