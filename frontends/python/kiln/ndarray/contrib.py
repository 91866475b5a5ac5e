"""mx.nd.contrib: the registry's _contrib_* operators, named without the
prefix (MXNet's contrib.box_nms is the operator _contrib_box_nms), and
MXNet 1.9.1's Python-level contrib functions, written with existing
operators and run imperatively as MXNet's are:

* control flow: foreach, while_loop, cond (Python loops and branches over
  NDArrays; autograd records the operators the bodies run, so gradients
  flow through them);
* isnan, isinf, isfinite;
* the AdamW and LAMB wrappers over the registry's _adamw_update,
  _mp_adamw_update, _multi_adamw_update, _multi_mp_adamw_update,
  _multi_lamb_update and _multi_mp_lamb_update (a number rescale_grad
  becomes a one-element array, lists are interleaved as MXNet's are);
* rand_zipfian (log-uniform candidate sampling) and quadratic.

Argument checks raise what MXNet's raise (AssertionError for malformed
nested lists, ValueError for loop arguments), with the function and the
argument named; the checks kiln adds (mismatched lengths and shapes, which
MXNet meets later inside an operator) raise MXNetError.
"""
import math as _math

import numpy as _np

from .. import _op_gen
from ..base import MXNetError, _as_list

__all__ = _op_gen.populate(globals(), "contrib")


def _ndarray():
    from . import ndarray
    return ndarray.NDArray


def isnan(data):
    """1 where data is NaN, else 0; data's shape and dtype."""
    return data != data


def isinf(data):
    """1 where data is +inf or -inf, else 0; data's shape and dtype."""
    return data.abs() == _math.inf


def isfinite(data):
    """1 where data is neither NaN nor infinite, else 0; data's shape and
    dtype."""
    from .op import broadcast_logical_and
    return broadcast_logical_and(data == data, data.abs() != _math.inf)


# --- nested lists of NDArrays ---------------------------------------------
def _flatten_list(nested_list):
    return [item for sublist in nested_list for item in sublist]


def _flatten(args, inout_str):
    """(flat list of the NDArrays in `args`, its structure): 0 for a bare
    NDArray (or a kiln.jit traced array), else a list of the items'
    structures."""
    if isinstance(args, _ndarray()) or _op_gen.is_traced(args):
        return [args], 0
    assert isinstance(args, (list, tuple)), (
        "%s must be (nested) list of NDArray, but got %s of type %s"
        % (inout_str, str(args), str(type(args))))
    flat, fmts = [], []
    for item in args:
        arg, fmt = _flatten(item, inout_str)
        flat.extend(arg)
        fmts.append(fmt)
    return flat, fmts


def _regroup(args, fmt):
    """The inverse of _flatten: (the structure `fmt` rebuilt from the front
    of `args`, the rest of `args`)."""
    if isinstance(fmt, int):
        if fmt == 0:
            return args[0], args[1:]
        return args[:fmt], args[fmt:]
    assert isinstance(args, (list, tuple)), (
        "output must be (nested) list of NDArray, but got %s of type %s"
        % (str(args), str(type(args))))
    ret = []
    for item in fmt:
        res, args = _regroup(args, item)
        ret.append(res)
    return ret, args


def _to_python_scalar(value, type_, name, function):
    """`value` (an NDArray of one element, or a Python value) as `type_`."""
    if hasattr(value, "asscalar"):
        value = value.asscalar()  # ValueError unless one element, as MXNet
    try:
        return type_(value)
    except Exception:
        raise ValueError("%s: cannot convert %s to python %s"
                         % (function, name, type_.__name__)) from None


# --- control flow ----------------------------------------------------------
def foreach(body, data, init_states):
    """Runs `body` on each slice of `data` along axis 0:
    ``out, states = body(data[i], states)``, starting from `init_states`.

    data: an NDArray, or a (nested) list of NDArrays sliced together (body
    then gets a list of slices). Returns (the outputs of every step stacked
    on axis 0, in the structure body returns them; the last states).
    """
    NDArray = _ndarray()

    def is_array(item):
        # kiln.jit's traced arrays too: the loop unrolls into the trace
        # (which then holds for this number of slices).
        return isinstance(item, NDArray) or _op_gen.is_traced(item)

    for flat, what in [(_flatten(data, "foreach input")[0], "data"),
                       (_flatten(init_states, "foreach states")[0],
                        "init_states")]:
        assert all(is_array(item) for item in flat), (
            "foreach: %s should be an NDArray or a nested list of NDArrays"
            % what)
    single = is_array(data)
    num_iters = data.shape[0] if single else data[0].shape[0]
    if not single:
        for index, item in enumerate(data):
            if not is_array(item) or item.shape[:1] != (num_iters,):
                raise MXNetError(
                    "foreach: data[%d] expected %d slices on axis 0 (as "
                    "data[0]), got shape %s" % (index, num_iters,
                                                getattr(item, "shape", None)))
    if num_iters == 0:
        raise MXNetError("foreach: data expected at least one slice on axis "
                         "0, got shape %s"
                         % str(data.shape if single else data[0].shape))
    states = init_states
    outputs = []
    out_fmt = None
    for i in range(num_iters):
        eles = data[i] if single else [d[i] for d in data]
        outs, states = body(eles, states)
        outs, out_fmt = _flatten(outs, "foreach output")
        if outputs and len(outs) != len(outputs[0]):
            raise MXNetError("foreach: body returned %d outputs at step %d, "
                             "%d at step 0" % (len(outs), i, len(outputs[0])))
        outputs.append(outs)
    from .op import stack
    stacked = [stack(*column) for column in zip(*outputs)]
    stacked, _ = _regroup(stacked, out_fmt)
    return stacked, states


def while_loop(cond, func, loop_vars, max_iterations=None):
    """Runs ``step_output, loop_vars = func(*loop_vars)`` while
    ``cond(*loop_vars)`` is true (a one-element NDArray or a Python value),
    at most `max_iterations` times.

    Returns (the step outputs stacked on axis 0 and padded to
    max_iterations rows, whose padding is unspecified as in MXNet, in the
    structure func returns them, [] when no step ran; the final loop_vars,
    an NDArray when loop_vars was one).
    """
    def step(current):
        step_output, new_loop_vars = func(*current)
        if step_output is None:
            step_output = []
        if new_loop_vars is None:
            new_loop_vars = []
        if isinstance(step_output, tuple):
            step_output = list(step_output)
        if isinstance(new_loop_vars, tuple):
            new_loop_vars = list(new_loop_vars)
        new_loop_vars = _as_list(new_loop_vars)
        if len(current) != len(new_loop_vars):
            raise ValueError("while_loop: func returned %d loop_vars, "
                             "expected %d (the length of loop_vars should be "
                             "consistent during the loop)"
                             % (len(new_loop_vars), len(current)))
        return step_output, new_loop_vars

    if max_iterations is None:
        raise ValueError("while_loop: max_iterations should be specified")
    max_iterations = _to_python_scalar(max_iterations, int, "max_iterations",
                                       "while_loop")
    if len(loop_vars) == 0:
        raise ValueError("while_loop: loop_vars should contain at least one "
                         "element")
    NDArray = _ndarray()
    single = isinstance(loop_vars, NDArray)
    loop_vars = _as_list(loop_vars)
    steps = 0
    outputs = []
    out_fmt = None
    while steps < max_iterations and _to_python_scalar(
            cond(*loop_vars), bool, "the return value of cond", "while_loop"):
        step_output, loop_vars = step(loop_vars)
        step_output, out_fmt = _flatten(step_output, "while output")
        outputs.append(step_output)
        steps += 1
        if len(step_output) != len(outputs[0]):
            raise ValueError(
                "while_loop: func returned %d step outputs at step %d, %d at "
                "step 0 (the number of elements in step_output should be the "
                "same in each step)" % (len(step_output), steps - 1,
                                        len(outputs[0])))
    from . import ndarray as _nd
    from .op import concat
    stacked = []
    for index, items in enumerate(zip(*outputs)):
        shapes = set(item.shape for item in items)
        if len(shapes) > 1:
            raise MXNetError("while_loop: step output %d has shapes %s in "
                             "different steps; expected one shape"
                             % (index, sorted(shapes)))
        items = [item.expand_dims(0) for item in items]
        if steps != max_iterations:
            items.append(_nd.empty(
                shape=(max_iterations - steps,) + items[0].shape[1:],
                ctx=items[0].context, dtype=items[0].dtype))
        stacked.append(concat(*items, dim=0))
    if out_fmt is not None:
        stacked, _ = _regroup(stacked, out_fmt)
    if single:
        loop_vars = loop_vars[0]
    return stacked, loop_vars


def cond(pred, then_func, else_func):
    """then_func() if `pred` (a one-element NDArray or a Python value) is
    true, else else_func(); returns what the chosen function returns."""
    if _to_python_scalar(pred, bool, "pred", "cond"):
        return then_func()
    return else_func()


# --- optimizer wrappers ----------------------------------------------------
def _get_rescale_grad(rescale_grad, ctx=None):
    """rescale_grad as a one-element array (on ctx) when it is a number."""
    from . import ndarray as _nd
    if not isinstance(rescale_grad, _ndarray()):
        return _nd.full(shape=(1,), val=rescale_grad, ctx=ctx)
    return rescale_grad.as_in_context(ctx) if ctx is not None else rescale_grad


def adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, wd=0, clip_gradient=-1, out=None,
                 name=None, **kwargs):
    """AdamW's update of weight, mean and var in place (_adamw_update);
    rescale_grad may be a number or a one-element NDArray."""
    from . import _internal
    rescale_grad = _get_rescale_grad(rescale_grad, ctx=weight.context)
    return _internal._adamw_update(
        weight, grad, mean, var, rescale_grad, lr=lr, eta=eta, beta1=beta1,
        beta2=beta2, epsilon=epsilon, wd=wd, clip_gradient=clip_gradient,
        out=out, name=name, **kwargs)


def mp_adamw_update(weight, grad, mean, var, weight32, rescale_grad, lr, eta,
                    beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0,
                    clip_gradient=-1, out=None, name=None, **kwargs):
    """adamw_update with a float32 master copy weight32
    (_mp_adamw_update)."""
    from . import _internal
    rescale_grad = _get_rescale_grad(rescale_grad, ctx=weight.context)
    return _internal._mp_adamw_update(
        weight, grad, mean, var, weight32, rescale_grad, lr=lr, eta=eta,
        beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
        clip_gradient=clip_gradient, out=out, name=name, **kwargs)


def _check_lists(function, **lists):
    """Each argument a list or tuple, all of one length; the length."""
    lengths = {}
    for name, value in lists.items():
        if not isinstance(value, (list, tuple)):
            raise MXNetError("%s: %s expected a list of NDArrays, got %s"
                            % (function, name, type(value).__name__))
        lengths[name] = len(value)
    if len(set(lengths.values())) > 1:
        raise MXNetError("%s: the lists expected one length, got %s"
                         % (function, ", ".join("%s %d" % item
                                                for item in lengths.items())))
    return next(iter(lengths.values()))


def multi_adamw_update(weights, grads, mean, var, rescale_grad, lrs, wds,
                       etas, out=None, name=None, size=0, **kwargs):
    """adamw_update of several weights in one call
    (_multi_adamw_update)."""
    from . import _internal
    count = _check_lists("multi_adamw_update", weights=weights, grads=grads,
                         mean=mean, var=var)
    size = size or count
    rescale_grad = _get_rescale_grad(rescale_grad, ctx=weights[0].context)
    arrays = _flatten_list(zip(weights, grads, mean, var)) + [rescale_grad]
    return _internal._multi_adamw_update(*arrays, out=out, num_weights=size,
                                         lrs=lrs, wds=wds, etas=etas,
                                         name=name, **kwargs)


def multi_mp_adamw_update(weights, grads, mean, var, weights32, rescale_grad,
                          lrs, wds, etas, out=None, name=None, size=0,
                          **kwargs):
    """mp_adamw_update of several weights in one call
    (_multi_mp_adamw_update)."""
    from . import _internal
    count = _check_lists("multi_mp_adamw_update", weights=weights,
                         grads=grads, mean=mean, var=var, weights32=weights32)
    size = size or count
    rescale_grad = _get_rescale_grad(rescale_grad, ctx=weights[0].context)
    arrays = (_flatten_list(zip(weights, grads, mean, var, weights32))
              + [rescale_grad])
    return _internal._multi_mp_adamw_update(*arrays, out=out,
                                            num_weights=size, lrs=lrs,
                                            wds=wds, etas=etas, name=name,
                                            **kwargs)


def multi_lamb_update(weights, grads, mean, var, step_count, lrs, wds,
                      out=None, num_tensors=0, **kwargs):
    """LAMB's update of several weights, means and variances
    (_multi_lamb_update); step_count, lrs, wds: one value per tensor."""
    from . import _internal
    count = _check_lists("multi_lamb_update", weights=weights, grads=grads,
                         mean=mean, var=var)
    num_tensors = num_tensors or count
    arrays = _flatten_list(zip(weights, grads, mean, var))
    return _internal._multi_lamb_update(*arrays, out=out,
                                        num_tensors=num_tensors,
                                        step_count=step_count,
                                        learning_rates=lrs, wds=wds,
                                        **kwargs)


def multi_mp_lamb_update(weights, grads, mean, var, weights32, step_count,
                         lrs, wds, out=None, num_tensors=0, **kwargs):
    """multi_lamb_update with float32 master copies weights32
    (_multi_mp_lamb_update)."""
    from . import _internal
    count = _check_lists("multi_mp_lamb_update", weights=weights,
                         grads=grads, mean=mean, var=var,
                         weights32=weights32)
    num_tensors = num_tensors or count
    arrays = _flatten_list(zip(weights, grads, mean, var, weights32))
    return _internal._multi_mp_lamb_update(*arrays, out=out,
                                           num_tensors=num_tensors,
                                           step_count=step_count,
                                           learning_rates=lrs, wds=wds,
                                           **kwargs)


# --- sampling, math ----------------------------------------------------------
def rand_zipfian(true_classes, num_sampled, range_max, ctx=None):
    """num_sampled classes in [0, range_max) drawn with replacement from the
    approximately log-uniform (Zipfian) distribution
    P(k) = (log(k + 2) - log(k + 1)) / log(range_max + 1).

    Returns (the samples, int64; the expected count of each true class,
    float64; the expected count of each sample, float64), as MXNet's.
    """
    from .. import context
    from . import random
    if ctx is None:
        ctx = context.current_context()
    log_range = _math.log(range_max + 1)
    rand = random.uniform(0, log_range, shape=(num_sampled,),
                          dtype="float64", ctx=ctx)
    sampled_classes = (rand.exp() - 1).astype("int64") % range_max

    def expected_count(classes):
        classes = classes.astype("float64")
        return (((classes + 2.0) / (classes + 1.0)).log() / log_range
                * num_sampled)

    true_cls = true_classes.as_in_context(ctx)
    return (sampled_classes, expected_count(true_cls),
            expected_count(sampled_classes))


def quadratic(data=None, a=0, b=0, c=0, out=None, name=None):
    """a * x^2 + b * x + c elementwise, computed as x * (a * x + b) + c in
    float (integer data is truncated back, as MXNet's _contrib_quadratic)."""
    NDArray = _ndarray()
    if not isinstance(data, NDArray):
        raise TypeError("quadratic: data expected an NDArray, got %s"
                        % type(data).__name__)
    x = data
    if _np.dtype(data.dtype).kind != "f":
        x = data.astype("float32")
    # MXNet's a, b and c are float32 parameters.
    a, b, c = (float(_np.float32(v)) for v in (a, b, c))
    result = x * (x * a + b) + c
    if _np.dtype(result.dtype) != _np.dtype(data.dtype):
        result = result.astype(data.dtype)
    if out is not None:
        out[:] = result
        return out
    return result


def group_adagrad_update(weight, grad, history, lr, rescale_grad=1.0,
                         clip_gradient=-1.0, epsilon=1e-5, out=None,
                         name=None, **kwargs):
    """Group AdaGrad's update (MXNet's _contrib_group_adagrad_update): one
    learning rate per row of weight (its first axis)::

        g = rescale_grad * grad, clipped to [-clip_gradient, clip_gradient]
            when clip_gradient >= 0
        history[row] += mean(g[row] ** 2)
        weight[row] -= lr * g[row] / sqrt(history[row] + epsilon)

    weight and grad: one shape (rows, ...) and dtype; history: that dtype,
    shape[0] == rows (MXNet reads its first `rows` elements in order, so
    (rows,) and (rows, 1) both serve). history is updated in place; the
    new weight is returned, or written to `out` (MXNet's calls pass
    out=weight).

    MXNet 1.9.1 runs this only for row_sparse gradients (a dense one is
    "not implemented for CPU"), updating the rows the gradient holds; kiln
    has no sparse storage, and a dense gradient gives what the row_sparse
    one holding every row gives (rows of zeros change nothing either way).
    MXNetError for mismatched shapes or dtypes and unknown parameters
    (as MXNet's wd), TypeError for arguments that are no NDArray.
    """
    from .op import clip, mean, sqrt, square
    function = "group_adagrad_update"
    if kwargs:
        raise MXNetError("%s: unknown parameter(s) %s; expected lr, "
                         "rescale_grad, clip_gradient, epsilon"
                         % (function, ", ".join(sorted(kwargs))))
    for label, array in (("weight", weight), ("grad", grad),
                         ("history", history)):
        if not isinstance(array, _ndarray()):
            raise TypeError("%s: %s expected an NDArray, got %s"
                            % (function, label, type(array).__name__))
        if array.dtype != weight.dtype:
            raise MXNetError("%s: %s has dtype %s, expected weight's %s"
                             % (function, label, _np.dtype(array.dtype).name,
                                _np.dtype(weight.dtype).name))
    if weight.ndim == 0 or grad.shape != weight.shape:
        raise MXNetError("%s: grad has shape %s, expected weight's shape %s "
                         "(of rank 1 or more)"
                         % (function, grad.shape, weight.shape))
    rows = weight.shape[0]
    if history.ndim == 0 or history.shape[0] != rows:
        raise MXNetError("%s: history has shape %s, expected %d rows as "
                         "weight (%s)" % (function, history.shape, rows,
                                          weight.shape))
    # MXNet's parameters are float32, whatever the arrays' dtype.
    lr, rescale_grad, clip_gradient, epsilon = (
        float(_np.float32(v)) for v in (lr, rescale_grad, clip_gradient,
                                        epsilon))
    g = grad * rescale_grad
    if clip_gradient >= 0:
        g = clip(g, -clip_gradient, clip_gradient)
    per_row = mean(square(g).reshape((rows, -1)), axis=1)
    # The first `rows` elements of history, in place (a view of its data).
    kept = history.reshape((-1,))[0:rows]
    kept[:] = kept + per_row
    scale = (lr / sqrt(kept + epsilon)).reshape((rows,) + (1,) *
                                                (weight.ndim - 1))
    result = weight - g * scale
    if out is not None:
        out[:] = result
        return out
    return result


__all__ += ["isnan", "isinf", "isfinite", "foreach", "while_loop", "cond",
            "adamw_update", "mp_adamw_update", "multi_adamw_update",
            "multi_mp_adamw_update", "multi_lamb_update",
            "multi_mp_lamb_update", "rand_zipfian", "quadratic",
            "group_adagrad_update"]


# The contrib operators implemented in Python (kiln/_python_ops.py), as
# MXNet's generated functions: box_nms, MultiBoxPrior, ... (kiln/_contrib_ops
# registers them).
from .. import _python_ops, _contrib_ops  # noqa: E402,F401
_python_ops.populate(globals(), "contrib", "ndarray")
