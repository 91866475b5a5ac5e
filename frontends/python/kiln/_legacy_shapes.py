"""MXNet 1.x's legacy shape rule for the imperative creation and sampling
operators (mx.nd, not the symbol layer, which reads 0 as unknown itself).

Outside numpy shape mode (mx.util.is_np_shape(), always off in kiln) MXNet
1.9.1 reads an extent of 0 as "unknown", so an operator whose output shape
has one fails its shape inference: mx.nd.zeros((0, 3)), zeros_like of a
(0, 3) array and mx.nd.random.uniform(shape=(0, 3)) raise MXNetError
("Operator _zeros inferring shapes failed"), while mx.nd.empty((0, 3)),
mx.nd.full((0, 3), 1) (an empty array filled) and mx.nd.array of an empty
numpy array make zero-size arrays, as they run no operator. The
per-distribution _sample_* operators check their parameter arrays and
`shape` themselves, and _arange refuses an empty range. check() raises
those errors before kiln's operator would return an array. (MXNet also
reads rank 0 as unknown, so its mx.nd.zeros(()) fails; kiln keeps 0-d
arrays, which its indexing makes with full(()).)
"""
import math
import numbers

from .base import MXNetError

_DISTRIBUTIONS = ("uniform", "normal", "gamma", "exponential", "poisson",
                  "negative_binomial", "generalized_negative_binomial")

# Operators whose output shape is their `shape` attribute.
_SHAPED = frozenset(("_zeros", "_ones", "_full", "_random_randint") +
                    tuple("_random_" + name for name in _DISTRIBUTIONS))
# Operators whose output shape follows their (first) input's.
_LIKE = frozenset(("zeros_like", "ones_like", "_shuffle",
                   "_sample_multinomial") +
                  tuple("_random_%s_like" % name for name in _DISTRIBUTIONS))
# Operators drawing `shape` samples per element of their parameter arrays.
_PER_PARAMETER = frozenset("_sample_" + name for name in _DISTRIBUTIONS)


def _unknown(shape):
    return 0 in shape


def _mxnet_shape(shape):
    """A shape as MXNet prints it in this error: [-1,3] (0 read as -1),
    None for rank 0."""
    if len(shape) == 0:
        return "None"
    return "[%s]" % ",".join("-1" if extent == 0 else str(extent)
                             for extent in shape)


def _shape_failure(op_name, inputs, output):
    return MXNetError(
        "Operator %s inferring shapes failed.\ninput shapes:\n%s"
        "output shapes:\n%s\nMXNet 1.x reads a 0 extent as "
        "unknown; mx.nd.empty(shape) and mx.nd.array make zero-size arrays"
        % (op_name, "".join(_mxnet_shape(shape) + "\n" for shape in inputs),
           _mxnet_shape(output)))


def _as_shape(value):
    """A shape attribute as a tuple; None for a form not checked here (a
    string, which the operator parses)."""
    if isinstance(value, (tuple, list)):
        return tuple(int(extent) for extent in value)
    if isinstance(value, numbers.Integral):
        return (int(value),)
    return None


def _check_arange(kwargs):
    try:
        start = float(kwargs.get("start", 0))
        stop = kwargs.get("stop")
        step = float(kwargs.get("step", 1))
        if stop is None:
            start, stop = 0.0, start
        stop = float(stop)
        repeat = float(kwargs.get("repeat", 1))
    except (TypeError, ValueError):
        return  # the operator's own parsing error names these
    if step == 0 or repeat <= 0:
        return
    if math.ceil((stop - start) / step) > 0:
        return
    # MXNet's messages, which differ in spacing by the step's sign.
    if step > 0:
        raise MXNetError("_arange: Check failed: param.start < "
                         "param.stop.value(): Invalid range (start, stop, "
                         "step) = (%g,%g,%g)" % (start, stop, step))
    raise MXNetError("_arange: Check failed: param.start > "
                     "param.stop.value(): Invalid range (start, stop, step)= "
                     "(%g,%g,%g)" % (start, stop, step))


def checks(op_name):
    """Whether check() has anything to check for `op_name`."""
    return (op_name in _SHAPED or op_name in _LIKE or
            op_name in _PER_PARAMETER or op_name == "_arange")


def check(op_name, inputs, kwargs):
    """Raises MXNetError where MXNet 1.9.1's `op_name` called imperatively
    on `inputs` (NDArrays) with `kwargs` (Python values) fails for an
    unknown (0) extent or an empty range; returns None otherwise."""
    if op_name in _SHAPED:
        shape = _as_shape(kwargs.get("shape"))
        if shape is not None and _unknown(shape):
            raise _shape_failure(op_name, [], shape)
    elif op_name in _LIKE:
        if inputs and _unknown(tuple(inputs[0].shape)):
            shape = tuple(inputs[0].shape)
            output = shape[:-1] if op_name == "_sample_multinomial" else shape
            raise _shape_failure(op_name, [shape], output)
    elif op_name in _PER_PARAMETER:
        if inputs and inputs[0].size == 0:
            raise MXNetError("%s: Check failed: inputs[0].Size() > 0 (0 vs. "
                             "0): the parameter arrays are empty" % op_name)
        shape = _as_shape(kwargs.get("shape"))
        if shape is not None and 0 in shape:
            raise MXNetError("%s: Check failed: sshape[i] > 0 (0 vs. 0) : "
                             "shape parameter must be non-zero within each "
                             "dimension, got %s" % (op_name, shape))
    elif op_name == "_arange":
        _check_arange(kwargs)
