"""mx.nd._internal operators that MXNet 1.9.1 registers but kiln's C++
registry lacks, written over kiln's own operators.

MXNet's backend keeps them for its Python front end (_slice_assign behind
x[a:b] = y, _copyto behind copyto, _set_value behind x[:] = 1), for the
legacy API (_onehot_encode, _crop_assign) and for sparse storage
(_scatter_*: on dense arrays they are their dense operators). Each takes
MXNet's signature and gives MXNet's results; errors are MXNetError naming
the operator, as MXNet's parameter and shape checks raise them.

A third group MXNet registers only for its graph executor (_CachedOp,
_foreach, _cond, _while_loop, _CrossDeviceCopy, _NoGradient, ...): MXNet's
generated functions for them cannot run (they need a subgraph or an opaque
handle that Python cannot give, or take no inputs at all), so here they
raise MXNetError as MXNet's do, pointing at the API that does the job.
"""
import numpy as _np

from .. import autograd as _autograd
from ..base import MXNetError
from . import ndarray as _nd
from . import op as _op

__all__ = ["_crop_assign", "_crop_assign_scalar", "_slice_assign",
           "_slice_assign_scalar", "_split_v2", "_split_v2_backward", "_eye",
           "_linspace", "_onehot_encode", "_copyto", "_set_value",
           "_scatter_elemwise_div", "_scatter_minus_scalar",
           "_scatter_plus_scalar", "_scatter_set_nd",
           "_identity_with_attr_like_rhs", "_sample_unique_zipfian",
           "_zeros_without_dtype", "_broadcast_backward", "_CrossDeviceCopy",
           "_NoGradient", "_CustomFunction", "_CachedOp",
           "_CachedOpThreadSafe", "_NDArray", "_Native", "_foreach", "_cond",
           "_while_loop"]


class _NullType(object):
    """MXNet's `_Null`: an attribute the caller left out."""

    def __repr__(self):
        return "_Null"


_Null = _NullType()


def _required(op_name, kind, **values):
    """MXNetError for the first required attribute left out (MXNet's
    parameter parser reports them in name order)."""
    for name in sorted(values):
        if values[name] is _Null or values[name] is None:
            raise MXNetError("Required parameter %s of %s is not presented, "
                             "in operator %s" % (name, kind, op_name))


def _shape_text(shape):
    return "[%s]" % ",".join(str(extent) for extent in shape)


def _region(op_name, shape, begin, end, step):
    """The basic-indexing key of MXNet's slice parameters (None: the whole
    extent; negative: from the end) and the shape it selects."""
    begin, end = tuple(begin), tuple(end)
    step = tuple(step) if step not in (_Null, None) else ()
    if len(begin) != len(end) or len(begin) > len(shape) or (
            step and len(step) != len(begin)):
        raise MXNetError("%s: begin %s, end %s and step %s must have the "
                         "same length, at most the rank %d"
                         % (op_name, begin, end, step, len(shape)))
    for axis, stride in enumerate(step):
        if stride == 0:
            raise MXNetError("%s: Check failed: s != 0 (0 vs. 0) : slice op "
                             "step[%d] cannot be 0 (step %s)"
                             % (op_name, axis, step))
    step = step or (None,) * len(begin)
    key = tuple(slice(b, e, s) for b, e, s in zip(begin, end, step))
    selected = tuple(len(range(*part.indices(extent)))
                     for part, extent in zip(key, shape))
    return key, selected + tuple(shape[len(key):])


def _target(op_name, data, out):
    """Where an assign operator writes: `out` (data copied in first when
    it is another array), else a copy of data."""
    if out is None:
        return data.copy()
    if tuple(out.shape) != tuple(data.shape):
        raise MXNetError("%s: out expected shape %s, got %s"
                         % (op_name, _shape_text(data.shape),
                            _shape_text(out.shape)))
    if out is not data:
        data.copyto(out)
    return out


def _slice_assign(lhs=None, rhs=None, begin=_Null, end=_Null, step=_Null,
                  out=None, name=None, **kwargs):
    """lhs with lhs[begin:end:step] = rhs (MXNet's _slice_assign, behind
    x[a:b] = y): written into `out` (MXNet's contract: out is lhs), else
    returned as a new array. rhs must have the region's shape and lhs's
    dtype (MXNetError otherwise); not differentiable, as MXNet's."""
    _required("_slice_assign", "Shape(tuple)", begin=begin, end=end)
    key, region = _region("_slice_assign", lhs.shape, begin, end, step)
    if tuple(rhs.shape) != region:
        raise MXNetError("_slice_assign: Shape inconsistent, Provided = %s, "
                         "inferred shape=%s" % (_shape_text(rhs.shape),
                                                _shape_text(region)))
    if _np.dtype(rhs.dtype) != _np.dtype(lhs.dtype):
        raise MXNetError("_slice_assign: Incompatible attr at 1-th input "
                         "(rhs): expected %s, got %s"
                         % (_np.dtype(lhs.dtype).name,
                            _np.dtype(rhs.dtype).name))
    with _autograd.pause():
        result = _target("_slice_assign", lhs, out)
        result[key] = rhs
    return result


def _slice_assign_scalar(data=None, scalar=_Null, begin=_Null, end=_Null,
                         step=_Null, out=None, name=None, **kwargs):
    """data with data[begin:end:step] = scalar (default 0), into `out` or
    a new array (MXNet's _slice_assign_scalar, behind x[a:b] = 1)."""
    _required("_slice_assign_scalar", "Shape(tuple)", begin=begin, end=end)
    key, _ = _region("_slice_assign_scalar", data.shape, begin, end, step)
    value = 0.0 if scalar is _Null else float(scalar)
    with _autograd.pause():
        result = _target("_slice_assign_scalar", data, out)
        result[key] = value
    return result


# MXNet's older names of the same operators.
_crop_assign = _slice_assign
_crop_assign_scalar = _slice_assign_scalar


def _split_v2(data=None, indices=_Null, axis=_Null, squeeze_axis=_Null,
              sections=_Null, out=None, name=None, **kwargs):
    """data cut along `axis` (default 0) at `indices` (required; the first
    must be 0: part i is [indices[i], indices[i+1])), or into `sections`
    near-equal parts when sections > 0 (numpy's array_split sizes; indices
    then unused). One NDArray for one part, else a list. squeeze_axis
    drops the axis (each part must then have extent 1). MXNetError for
    indices out of order or past the axis, and a bad axis."""
    _required("_split_v2", "Shape(tuple)", indices=indices)
    axis = 0 if axis is _Null else int(axis)
    rank = data.ndim
    if not -rank <= axis < rank:
        raise MXNetError("_split_v2: axis %d is out of range for an array of "
                         "rank %d" % (axis, rank))
    axis %= rank
    extent = data.shape[axis]
    sections = 0 if sections is _Null else int(sections)
    if not -2 ** 31 <= sections < 2 ** 31:   # MXNet's parameter is an int32
        raise MXNetError("_split_v2: Invalid Parameter format for sections "
                         "expect int but value='%d' (expected an int32)"
                         % sections)
    if sections > 0:
        sizes = [extent // sections + (1 if part < extent % sections else 0)
                 for part in range(sections)]
        starts = [sum(sizes[:part]) for part in range(sections)]
    else:
        starts = [int(index) for index in indices]
    bounds = starts + [extent]
    for part, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
        if start > stop:
            raise MXNetError("_split_v2: start %d is not less than end %d for "
                             "subarray %d" % (start, stop, part))
        if stop > extent:
            raise MXNetError("_split_v2: end %d is no less than the size of "
                             "the axis %d" % (stop, extent))
    if starts and starts[0] != 0:
        covered = list(data.shape)
        covered[axis] = extent - starts[0]
        raise MXNetError("_split_v2: Shape inconsistent, Provided = %s, "
                         "inferred shape=%s" % (_shape_text(data.shape),
                                                _shape_text(covered)))
    squeeze = squeeze_axis not in (_Null, None) and bool(squeeze_axis)
    for start, stop in zip(bounds[:-1], bounds[1:]):
        if squeeze and stop - start != 1:
            raise MXNetError("_split_v2: expected axis size of 1 but got %d"
                             % (stop - start))
    # Checked as MXNet checks; the cutting is mx.nd.split_v2's.
    return _nd.split_v2(data, tuple(starts[1:]), axis=axis,
                        squeeze_axis=squeeze)


def _no_inputs(op_name, expected):
    """For MXNet's operators whose generated functions take no input
    arrays (a positional array binds `out`): the error MXNet raises."""
    def operator(out=None, name=None, **kwargs):
        raise MXNetError("Operator %s expects %d inputs, but got 0 instead "
                         "(its generated function takes no input arrays; "
                         "MXNet's graph executor alone inserts it)"
                         % (op_name, expected))
    operator.__name__ = operator.__qualname__ = op_name
    operator.__doc__ = ("MXNet's %s: its function cannot pass inputs, so "
                        "every call raises MXNetError, as MXNet's does."
                        % op_name)
    return operator


_split_v2_backward_stub = _no_inputs("_split_v2_backward", 2)


def _split_v2_backward(out=None, name=None, **kwargs):
    """MXNet's gradient of _split_v2: indices is required (MXNetError);
    its function takes no input arrays, so it then raises as MXNet's."""
    _required("_split_v2_backward", "Shape(tuple)",
              indices=kwargs.get("indices", _Null))
    return _split_v2_backward_stub(out=out, name=name, **kwargs)


_broadcast_backward = _no_inputs("_broadcast_backward", 1)
_CrossDeviceCopy = _no_inputs("_CrossDeviceCopy", 1)


def _NoGradient(out=None, name=None, **kwargs):
    """MXNet's placeholder gradient of inputs that take none: it has no
    computation, so every call raises MXNetError, as MXNet's does."""
    raise MXNetError("Operator _NoGradient is a placeholder of the graph's "
                     "gradient pass and has no computation (not implemented "
                     "for CPU)")


def _handle_operator(op_name, holder, alternative):
    """An operator whose node MXNet's executor builds around an object
    Python cannot pass (a CachedOp, a custom Function): MXNetError."""
    def operator(*data, **kwargs):
        raise MXNetError("Operator %s runs %s that only MXNet's graph "
                         "executor attaches to its node (the any container "
                         "is empty); use %s" % (op_name, holder, alternative))
    operator.__name__ = operator.__qualname__ = op_name
    operator.__doc__ = ("MXNet's %s: needs %s, so every call raises "
                        "MXNetError, as MXNet's does; use %s."
                        % (op_name, holder, alternative))
    return operator


_CachedOp = _handle_operator("_CachedOp", "a CachedOp",
                             "mx.nd.CachedOp(symbol)")
_CachedOpThreadSafe = _handle_operator("_CachedOpThreadSafe", "a CachedOp",
                                       "mx.nd.CachedOp(symbol)")
_CustomFunction = _handle_operator("_CustomFunction",
                                   "an autograd.Function",
                                   "mx.autograd.Function")


def _native_stub(op_name):
    def operator(*data, **kwargs):
        _required(op_name, "ptr", info=kwargs.get("info", _Null))
        raise MXNetError("Operator %s: info must point to a native frontend "
                         "operator's callbacks, which kiln does not take; use "
                         "mx.operator.CustomOp" % op_name)
    operator.__name__ = operator.__qualname__ = op_name
    operator.__doc__ = ("MXNet's %s stub of a frontend-language operator "
                        "(info: a C pointer, required): MXNetError, as "
                        "MXNet's without a valid pointer; use "
                        "mx.operator.CustomOp." % op_name)
    return operator


_NDArray = _native_stub("_NDArray")
_Native = _native_stub("_Native")


def _control_flow_stub(op_name, least, required, alternative):
    def operator(*data, **kwargs):
        count = kwargs.get("num_args", len(data))
        if least and count < least:
            raise MXNetError("value %d for Parameter num_args should be "
                             "greater equal to %d, in operator %s"
                             % (count, least, op_name))
        _required(op_name, "tuple of <long>", **{
            key: kwargs.get(key, _Null) for key in required})
        raise MXNetError("Operator %s: its subgraph (a Symbol) is attached "
                         "only by MXNet's symbol layer, so it cannot run "
                         "from mx.nd._internal; use %s" % (op_name,
                                                           alternative))
    operator.__name__ = operator.__qualname__ = op_name
    operator.__doc__ = ("MXNet's %s subgraph operator: it needs a Symbol "
                        "that only the symbol layer attaches, so every call "
                        "raises MXNetError, as MXNet's does; use %s."
                        % (op_name, alternative))
    return operator


_foreach = _control_flow_stub(
    "_foreach", 0, ("num_outputs", "num_out_data", "in_state_locs",
                    "in_data_locs", "remain_locs"),
    "mx.nd.contrib.foreach or mx.sym.contrib.foreach")
_cond = _control_flow_stub(
    "_cond", 3, ("num_outputs", "cond_input_locs", "then_input_locs",
                 "else_input_locs"),
    "mx.nd.contrib.cond or mx.sym.contrib.cond")
_while_loop = _control_flow_stub(
    "_while_loop", 2, ("num_outputs", "num_out_data", "max_iterations",
                       "cond_input_locs", "func_input_locs",
                       "func_var_locs"),
    "mx.nd.contrib.while_loop or mx.sym.contrib.while_loop")


def _eye(N=_Null, M=_Null, k=_Null, ctx=_Null, dtype=_Null, out=None,
         name=None, **kwargs):
    """MXNet's _eye (behind mx.nd.eye): N x M (M=0: N) with ones on
    diagonal k; float32 unless dtype. MXNetError for N left out or
    negative."""
    _required("_eye", "long", N=N)
    result = _nd.eye(N, 0 if M is _Null else M, 0 if k is _Null else k,
                     ctx=None if ctx is _Null else ctx,
                     dtype=None if dtype is _Null else dtype)
    if out is not None:
        result.copyto(out)
        return out
    return result


def _linspace(start=_Null, stop=_Null, step=_Null, repeat=_Null,
              infer_range=_Null, ctx=_Null, dtype=_Null, out=None, name=None,
              **kwargs):
    """MXNet's _linspace (behind mx.nd.linspace): `num` (a keyword,
    required) evenly spaced values from start to stop, stop included
    unless endpoint=False. Its generated signature is arange's, as in
    MXNet, whose _linspace then refuses step, repeat and infer_range
    (MXNetError); num < 0 is MXNetError too."""
    for key, value in (("infer_range", infer_range), ("repeat", repeat),
                       ("step", step)):
        if value is not _Null:
            raise MXNetError("Cannot find argument '%s', Possible Arguments: "
                             "start, stop, num, endpoint, ctx, dtype, in "
                             "operator _linspace" % key)
    num = kwargs.pop("num", _Null)
    endpoint = kwargs.pop("endpoint", True)
    for key in kwargs:
        if key != "name" and not (key.startswith("__") and key.endswith("__")):
            raise MXNetError("Cannot find argument '%s', Possible Arguments: "
                             "start, stop, num, endpoint, ctx, dtype, in "
                             "operator _linspace" % key)
    _required("_linspace", "int", num=num)
    _required("_linspace", "double", start=start, stop=stop)
    if int(num) < 0:
        raise MXNetError("_linspace: Number of sequence should be "
                         "non-negative, received %d" % int(num))
    result = _nd.linspace(float(start), float(stop), int(num),
                          endpoint=bool(endpoint),
                          ctx=None if ctx is _Null else ctx,
                          dtype=_np.float32 if dtype is _Null else dtype)
    if out is not None:
        result.copyto(out)
        return out
    return result


def _onehot_encode(lhs=None, rhs=None, out=None, name=None, **kwargs):
    """MXNet's deprecated _onehot_encode: rows one-hot from the indices
    `lhs` (shape (n,)) in rhs's shape (n, depth) and dtype; an index
    outside [0, depth) gives a row of zeros. Written into `out` when
    given. MXNetError when lhs and rhs disagree on n."""
    if lhs.ndim != 1 or rhs.ndim != 2 or lhs.shape[0] != rhs.shape[0]:
        raise MXNetError("_onehot_encode: OneHotEncode shape inconsistent: "
                         "indices %s and output %s (expected (n,) and (n, "
                         "depth))" % (lhs.shape, rhs.shape))
    result = _op.one_hot(lhs, depth=rhs.shape[1],
                         dtype=_np.dtype(rhs.dtype).name)
    if out is not None:
        result.copyto(out)
        return out
    return result


def _copyto(data=None, out=None, name=None, **kwargs):
    """MXNet's _copyto (behind NDArray.copyto): data written into `out`
    (required: MXNet's operator cannot infer a result dtype), cast to
    out's dtype, on out's context. MXNetError for a shape mismatch."""
    if out is None:
        raise MXNetError("Operator _copyto is missing FInferType attribute: "
                         "it needs out=, the array to copy into")
    if tuple(out.shape) != tuple(data.shape):
        raise MXNetError("_copyto: Incompatible attr at 0-th output: "
                         "expected %s, got %s" % (_shape_text(data.shape),
                                                  _shape_text(out.shape)))
    source = data
    if _np.dtype(data.dtype) != _np.dtype(out.dtype):
        source = data.astype(out.dtype)
    source.copyto(out)
    return out


def _set_value(src=_Null, out=None, name=None, **kwargs):
    """MXNet's _set_value (behind x[:] = v): fills `out` (required) with
    the number src and returns it."""
    if out is None:
        raise MXNetError("_set_value: Set value target must not be empty "
                         "(give out=, the array to fill)")
    _required("_set_value", "real_t", src=src)
    out[:] = float(src)
    return out


def _scatter_elemwise_div(lhs=None, rhs=None, out=None, name=None, **kwargs):
    """lhs / rhs elementwise (same shapes): MXNet's sparse-aware
    elemwise_div, which on dense arrays is elemwise_div."""
    return _op.elemwise_div(lhs, rhs, out=out)


def _as_float_scalar_input(data, is_int):
    """data in float64 when is_int=False says the scalar is no integer and
    data holds integers (MXNet's scalar operators then compute in
    float64), else data."""
    if (is_int is not _Null and not is_int and
            _np.issubdtype(_np.dtype(data.dtype), _np.integer)):
        return data.astype(_np.float64)
    return data


def _scatter_plus_scalar(data=None, scalar=_Null, is_int=_Null, out=None,
                         name=None, **kwargs):
    """data + scalar (default 1): MXNet's sparse-aware _plus_scalar, which
    on dense arrays is _plus_scalar. is_int=False on an integer array
    computes in float64, as MXNet's."""
    from . import _internal
    data = _as_float_scalar_input(data, is_int)
    return _internal._plus_scalar(data, scalar=1.0 if scalar is _Null
                                  else scalar, out=out)


def _scatter_minus_scalar(data=None, scalar=_Null, is_int=_Null, out=None,
                          name=None, **kwargs):
    """data - scalar (default 1): MXNet's sparse-aware _minus_scalar."""
    from . import _internal
    data = _as_float_scalar_input(data, is_int)
    return _internal._minus_scalar(data, scalar=1.0 if scalar is _Null
                                   else scalar, out=out)


def _scatter_set_nd(lhs=None, rhs=None, indices=None, shape=_Null, out=None,
                    name=None, **kwargs):
    """scatter_nd that keeps the elements `indices` does not name: writes
    rhs at indices (shape (M, N): M index arrays of N points) into `out`,
    which must be lhs itself (MXNet's contract; MXNetError otherwise) of
    shape `shape`. Returns out."""
    _required("_scatter_set_nd", "Shape(tuple)", shape=shape)
    if tuple(lhs.shape) != tuple(shape):
        raise MXNetError("_scatter_set_nd: Shape inconsistent, Provided = %s, "
                         "inferred shape=%s" % (_shape_text(lhs.shape),
                                                _shape_text(shape)))
    if out is None or out is not lhs:
        raise MXNetError("_scatter_set_nd: out must be lhs itself (it "
                         "updates lhs in place)")
    index = indices.asnumpy().astype(_np.int64)
    if index.ndim < 1 or index.shape[0] > lhs.ndim:
        raise MXNetError("_scatter_set_nd: indices of shape %s cannot index "
                         "an array of rank %d" % (index.shape, lhs.ndim))
    values = lhs.asnumpy()
    values[tuple(index)] = rhs.asnumpy()
    out[:] = values
    return out


def _identity_with_attr_like_rhs(lhs=None, rhs=None, out=None, name=None,
                                 **kwargs):
    """A copy of lhs, which must have rhs's shape (MXNetError otherwise)."""
    if tuple(lhs.shape) != tuple(rhs.shape):
        raise MXNetError("_identity_with_attr_like_rhs: Incompatible attr at "
                         "1-th input: expected %s, got %s"
                         % (_shape_text(lhs.shape), _shape_text(rhs.shape)))
    return _op.identity(lhs, out=out)


def _sample_unique_zipfian(range_max=_Null, shape=_Null, out=None, name=None,
                           **kwargs):
    """Samples of [0, range_max) from the log-uniform (Zipfian)
    distribution P(c) = log((c + 2) / (c + 1)) / log(range_max + 1),
    without replacement within each row. shape: (batch, num_sampled).
    Returns [samples (batch, num_sampled), trials (batch,)], int64: trials
    counts the draws each row took. Seeded through kiln's generator
    (mx.random.seed). MXNetError for a shape that is not 2-D and for
    num_sampled > range_max."""
    _required("_sample_unique_zipfian", "Shape(tuple)", range_max=range_max,
              shape=shape)
    shape = tuple(shape)
    if len(shape) != 2:
        raise MXNetError("_sample_unique_zipfian: shape must be (batch, "
                         "num_sampled), got %s" % (shape,))
    batch, num_sampled = shape
    range_max = int(range_max)
    if num_sampled > range_max:
        raise MXNetError("_sample_unique_zipfian: Number of samples cannot "
                         "exceed the number of possible classes (%d vs. %d)"
                         % (num_sampled, range_max))
    from . import random as _random
    seed = int(_random.randint(0, 2 ** 31 - 1, shape=(1,)).asscalar())
    generator = _np.random.default_rng(seed)
    log_range = _np.log(range_max + 1.0)
    samples = _np.zeros(shape, _np.int64)
    trials = _np.zeros((batch,), _np.int64)
    for row in range(batch):
        taken = []
        seen = set()
        while len(taken) < num_sampled:
            value = int(_np.exp(generator.random() * log_range)) - 1
            value %= range_max
            trials[row] += 1
            if value not in seen:
                seen.add(value)
                taken.append(value)
        samples[row] = taken
    return [_nd.array(samples, dtype=_np.int64),
            _nd.array(trials, dtype=_np.int64)]


def _zeros_without_dtype(shape=_Null, ctx=_Null, dtype=_Null, out=None,
                         name=None, **kwargs):
    """MXNet's _zeros_without_dtype takes dtype as a type number (default
    -1, unknown), which MXNet's generated function cannot pass (it sends
    dtypes by name); so every call fails as MXNet's: TypeError from numpy
    for an integer dtype, MXNetError otherwise."""
    if dtype is not _Null and dtype is not None:
        name_of = _np.dtype(dtype).name  # TypeError for 4, as MXNet's
        raise MXNetError("Invalid Parameter format for dtype expect int but "
                         "value='%s', in operator _zeros_without_dtype"
                         % name_of)
    if shape is _Null or shape is None:
        raise MXNetError("Operator _zeros_without_dtype inferring shapes "
                         "failed: no shape given")
    raise MXNetError("_zeros_without_dtype: Unknown type enum -1 (its dtype "
                     "is a type number that the generated function cannot "
                     "pass)")
