"""mx.symbol_doc: extra documentation for symbolic operators, as MXNet
1.9.1's mxnet/symbol_doc.py.

A class named <operator>Doc deriving from SymbolDoc carries, as its
docstring, examples appended to that operator's generated docstring;
_build_doc(func_name, desc, arg_names, arg_types, arg_desc,
key_var_num_args) assembles it: description (plus MXNet's note on
variable positional inputs when key_var_num_args is set), Parameters,
`name`, Returns, the <func_name>Doc text unindented, with
'NDArray-or-Symbol' read as 'Symbol'. SymbolDoc.get_output_shape(sym,
**input_shapes) gives {output name: shape} by shape inference.
"""
from .base import build_param_doc as _build_param_doc
from .ndarray_doc import _finish_doc


class SymbolDoc(object):
    """Base of the classes whose docstrings extend operators' docs."""

    @staticmethod
    def get_output_shape(sym, **input_shapes):
        """{output name: shape tuple} of `sym` for the given input shapes."""
        _, out_shapes, _ = sym.infer_shape(**input_shapes)
        return dict(zip(sym.list_outputs(), out_shapes))


class ActivationDoc(SymbolDoc):
    """
    Examples
    --------
    >>> net = FullyConnected(data=Variable('x'), num_hidden=8, name='fc')
    >>> net = Activation(data=net, act_type='relu', name='relu')
    >>> SymbolDoc.get_output_shape(net, x=(4, 5))
    {'relu_output': (4, 8)}
    """


class DropoutDoc(SymbolDoc):
    """
    Examples
    --------
    Zeroes each element with probability p while training (and scales the
    rest by 1 / (1 - p)); passes data through at inference:

    >>> drop = Dropout(data=Variable('x'), p=0.2, name='drop')
    >>> SymbolDoc.get_output_shape(drop, x=(2, 3))
    {'drop_output': (2, 3)}
    """


class EmbeddingDoc(SymbolDoc):
    """
    Examples
    --------
    Maps integer ids below input_dim to rows of a learned table:

    >>> emb = Embedding(data=Variable('ids'), input_dim=26, output_dim=16,
    ...                 name='embed')
    >>> SymbolDoc.get_output_shape(emb, ids=(10, 64))
    {'embed_output': (10, 64, 16)}
    """


class FlattenDoc(SymbolDoc):
    """
    Examples
    --------
    Keeps the first axis and merges the rest:

    >>> flat = Flatten(data=Variable('x'), name='flat')
    >>> SymbolDoc.get_output_shape(flat, x=(2, 3, 4, 5))
    {'flat_output': (2, 60)}
    """


class FullyConnectedDoc(SymbolDoc):
    """
    Examples
    --------
    >>> fc = FullyConnected(data=Variable('x'), num_hidden=512, name='FC1')
    >>> SymbolDoc.get_output_shape(fc, x=(128, 100))
    {'FC1_output': (128, 512)}
    """


class ConcatDoc(SymbolDoc):
    """
    Examples
    --------
    Joins inputs along `dim`; the other extents must agree:

    >>> c = Concat(Variable('a'), Variable('b'), dim=1, name='cat')
    >>> SymbolDoc.get_output_shape(c, a=(8, 10, 3, 3), b=(8, 15, 3, 3))
    {'cat_output': (8, 25, 3, 3)}
    """


class BroadcastPlusDoc(SymbolDoc):
    """
    Examples
    --------
    Adds after repeating size-1 axes to the common shape:

    >>> c = broadcast_plus(Variable('a'), Variable('b'), name='sum')
    >>> SymbolDoc.get_output_shape(c, a=(2, 1), b=(1, 3))
    {'sum_output': (2, 3)}
    """


def _build_doc(func_name, desc, arg_names, arg_types, arg_desc,
               key_var_num_args=None, ret_type=None):
    """The docstring of the symbolic operator `func_name` (see the
    module's docstring); ret_type is unused, as in MXNet."""
    if key_var_num_args:
        desc += "\nThis function support variable length of positional input."
    doc = ("%s\n\n%s\nname : string, optional.\n    Name of the resulting "
           "symbol.\n\nReturns\n-------\nSymbol\n    The result symbol."
           % (desc, _build_param_doc(arg_names, arg_types, arg_desc)))
    return _finish_doc(doc, SymbolDoc, func_name, "Symbol")
