"""mx.ndarray_doc: extra documentation for imperative operators, as MXNet
1.9.1's mxnet/ndarray_doc.py.

A class named <operator>Doc deriving from NDArrayDoc carries, as its
docstring, examples appended to that operator's generated docstring;
_build_doc(func_name, desc, arg_names, arg_types, arg_desc) assembles the
docstring: description, Parameters (base.build_param_doc), the `out`
argument, Returns, the matching <func_name>Doc text unindented, with
'NDArray-or-Symbol' read as 'NDArray'.
"""
import re as _re

from .base import build_param_doc as _build_param_doc


class NDArrayDoc(object):
    """Base of the classes whose docstrings extend operators' docs."""


class ReshapeDoc(NDArrayDoc):
    """
    Examples
    --------
    >>> x = mx.nd.arange(6)
    >>> mx.nd.reshape(x, shape=(2, 3)).shape
    (2, 3)

    0 keeps the input's extent, -1 infers one:

    >>> mx.nd.reshape(mx.nd.ones((2, 3, 4)), shape=(0, -1)).shape
    (2, 12)
    """


class elemwise_addDoc(NDArrayDoc):
    """
    Example
    -------
    >>> mx.nd.elemwise_add(mx.nd.array([1, 2]), mx.nd.array([10, 20])).asnumpy()
    array([11., 22.], dtype=float32)
    """


class BroadcastToDoc(NDArrayDoc):
    """
    Examples
    --------
    Repeats size-1 axes up to the given shape:

    >>> a = mx.nd.array([[1], [2]])
    >>> a.broadcast_to((2, 3)).asnumpy()
    array([[1., 1., 1.],
           [2., 2., 2.]], dtype=float32)
    """


class StackDoc(NDArrayDoc):
    """
    Example
    --------
    Joins arrays of one shape along a new axis:

    >>> x, y = mx.nd.array([1, 2]), mx.nd.array([3, 4])
    >>> mx.nd.stack(x, y, axis=1).asnumpy()
    array([[1., 3.],
           [2., 4.]], dtype=float32)
    """


class CustomDoc(NDArrayDoc):
    """
    Example
    -------
    Runs the operator registered as 'my_op' (mx.operator.register) on x:

    >>> y = mx.nd.Custom(x, op_type='my_op')
    """


def _finish_doc(doc, base, func_name, kind):
    """doc followed by the docstring of `base`'s subclass <func_name>Doc
    (unindented), 'NDArray-or-Symbol' replaced by `kind`."""
    extra = "\n" + "\n".join(cls.__doc__ for cls in type.__subclasses__(base)
                             if cls.__name__ == "%sDoc" % func_name)
    doc += _re.sub("    ", "", extra)
    return _re.sub("NDArray-or-Symbol", kind, doc)


def _build_doc(func_name, desc, arg_names, arg_types, arg_desc,
               key_var_num_args=None, ret_type=None):
    """The docstring of the imperative operator `func_name` (see the
    module's docstring); key_var_num_args and ret_type are unused, as in
    MXNet."""
    doc = ("%s\n\n%s\nout : NDArray, optional\n    The output NDArray to hold "
           "the result.\n\nReturns\n-------\nout : NDArray or list of NDArrays\n"
           "    The output of this function."
           % (desc, _build_param_doc(arg_names, arg_types, arg_desc)))
    return _finish_doc(doc, NDArrayDoc, func_name, "NDArray")
