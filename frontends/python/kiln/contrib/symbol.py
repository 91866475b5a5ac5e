"""mx.contrib.symbol (also mx.contrib.sym), as MXNet 1.9.1 has it: the
contrib operators' Symbol functions, the same ones mx.sym.contrib holds
(without its Python-level foreach, while_loop, cond, AdamW wrappers and
rand_zipfian, which are not operators)."""
from ._namespace import operator_functions as _operator_functions
from ..symbol import contrib as _source

__all__ = _operator_functions(_source, globals())
