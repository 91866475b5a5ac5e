"""MXNet 1.9.1's quantized compute operators (src/operator/quantization/,
the oneDNN kernels its CPU build runs), on the host with numpy:

    quantized_conv(data, weight, bias, min_data, max_data, min_weight,
                   max_weight, min_bias, max_bias, kernel, ...)
        uint8 NC(D)HW data, int8 weight and bias -> [int32 out, min, max].
        out = the integer convolution plus the int8 bias as it is (the
        oneDNN kernel adds the bias bytes unscaled); the range is
        +-(r_data / 127) * (r_weight / 127) * 2^31 (r: max(|min|, |max|)).
        int8 data, num_group > 1 and 1-D (NCW) layouts raise, as in MXNet.
    quantized_fully_connected(data, weight, bias, min_data, ..., num_hidden)
        int8 / uint8 data, int8 weight and bias -> [int32 out, min, max]:
        out = data . weight^T + trunc(bias * L_d * r_bias / (r_data *
        r_weight)) (L_d = 127.5 int8, 255.5 uint8); range +-(r_data / l_d)
        * (r_weight / 127) * 2^31 (l_d = 127 int8, 255 uint8).
    quantized_pooling(data, min_data, max_data, kernel, pool_type, ...)
        max / avg pooling of int8 / uint8 data (avg rounded half to even),
        range passed through; pool_type sum / lp raise.
    quantized_concat(*data, num_args, dim=1)
        num_args arrays, then their (min, max) pairs -> [out, min, max]:
        int8 if any input is int8, else uint8; the range [min of mins, max
        of maxes]; an input of another scale is rescaled to it.
    quantized_elemwise_add(lhs, rhs, lhs_min, lhs_max, rhs_min, rhs_max,
                           min_calib_range=None, max_calib_range=None)
        -> int32 with range +-(r_lhs + r_rhs), or, calibrated, int8 (uint8
        when both inputs are uint8) in the calibration range.
    quantized_elemwise_mul(lhs, rhs, lhs_min, ..., min_calib_range=None,
                           max_calib_range=None, enable_float_output=False)
        int8 only: int32 products with range +-(r_lhs / 127) * (r_rhs /
        127) * 2^31, int8 in the calibration range, or float32 (one output).
    quantized_batch_norm(data, gamma, beta, moving_mean, moving_var,
                         min_data, max_data, ..., min_calib_range,
                         max_calib_range)
        inference batch norm of int8 / uint8 data -> int8 in the
        calibration range (required, as MXNet's CPU kernel requires it).
    quantized_embedding(data, weight, min_weight, max_weight, input_dim,
                        output_dim)
        rows of the int8 weight (indices truncated, clipped to the rows)
        with the weight's range.
    quantize_asym(data, min_calib_range=None, max_calib_range=None)
        float32 -> [uint8 out, scale, shift]: scale = 255.5 / (max - min),
        shift = 255 - max * scale, out = saturate(x * scale + shift + 0.5).
        (MXNet 1.9.1's pip CPU build crashes on this operator, so this
        follows its documented formula and source, not a live comparison.)
    calibrate_entropy(hist, hist_edges, num_quantized_bins=255)
        -> [threshold, divergence]: the threshold whose int8 histogram has
        the least KL divergence from the float one (MXNet's calibrate.cc).

quantized_act and quantized_flatten live in quantization.py. None of these
has a gradient (MXNet registers none). Errors as MXNet's: inputs of the
wrong dtype or count, unsupported parameters.
"""
import numpy as _np

from .. import _python_ops
from ..base import MXNetError
from ._checks import _where, with_checks
from ._common import check, register
from ._params import BOOL, FLOAT, INT, SHAPE, UINT, ULONG, Param, Params, \
    _Kind, enum
from .quantization import OPTIONAL_FLOAT, _saturate

_F32 = _np.float32
_INT32_MAX = _F32(2147483647)      # 2^31 as float32, MXNet's MaxValue<int32>
# quantization_utils.h's kInt8Range / kUint8Range, which oneDNN scales use.
_LEVELS = {"int8": _F32(127.5), "uint8": _F32(255.5)}
# MaxValue<T>, which the ranges of products use.
_LIMIT = {"int8": _F32(127), "uint8": _F32(255)}
_RANGES_OUT = ["output", "min_output", "max_output"]


def _scalar(array):
    return _F32(_np.asarray(array).reshape(-1)[0])


def _max_abs(low, high):
    return max(abs(_scalar(low)), abs(_scalar(high)))


def _scalars(*values):
    return [_np.array([value], dtype=_np.float32) for value in values]


def _optional_int(text):
    return None if text.strip() == "None" else int(text)


def _optional_bool(text):
    if text.strip() == "None":
        return None
    return BOOL.parse(text)


OPTIONAL_INT = _Kind("int or None", _optional_int)
OPTIONAL_BOOL = _Kind("boolean or None", _optional_bool)
_CALIB = [Param("min_calib_range", OPTIONAL_FLOAT, None),
          Param("max_calib_range", OPTIONAL_FLOAT, None)]


def _calibrated(parsed):
    return (parsed.min_calib_range is not None and
            parsed.max_calib_range is not None)


def _expect(op, name, dtype, allowed):
    """MXNetError unless `dtype` (None: unknown) is one of `allowed`."""
    if dtype is not None and dtype not in allowed:
        raise MXNetError("%s: %s expected %s, got %s"
                         % (op, name, " or ".join(allowed), dtype))


def _ranges(op, names, shapes, dtypes):
    """Checks the float32 scalar range inputs; their (shape, dtype)."""
    for name, shape, dtype in zip(names, shapes, dtypes):
        _expect(op, name, dtype, ("float32",))
        if shape is not None:
            check(tuple(shape) in ((1,), ()),
                  "%s: %s expected shape (1,), got %s"
                  % (op, name, tuple(shape)))
    return [((1,), "float32")] * len(names)


def _product_range(data_range, data_limit, weight_range):
    """MXNet's QuantizationRangeForMultiplication into int32."""
    level = _F32(data_range / data_limit) * _F32(weight_range / _LIMIT["int8"])
    return -_F32(level * _INT32_MAX), _F32(level * _INT32_MAX)


# -- windows (convolution, pooling) -----------------------------------------
def _out_size(size, kernel, stride, pad, dilate=1, ceil=False):
    span = dilate * (kernel - 1) + 1
    room = size + 2 * pad - span
    steps = -(-room // stride) if ceil else room // stride
    return steps + 1


def _windows(data, kernel, stride, dilate, out_sizes):
    """View (N, C, *out_sizes, *kernel) of padded `data` (N, C, *spatial)."""
    strides = data.strides
    spatial = len(kernel)
    shape = data.shape[:2] + tuple(out_sizes) + tuple(kernel)
    view_strides = strides[:2] + tuple(
        strides[2 + axis] * stride[axis] for axis in range(spatial)) + \
        tuple(strides[2 + axis] * dilate[axis] for axis in range(spatial))
    return _np.lib.stride_tricks.as_strided(data, shape, view_strides,
                                            writeable=False)


def _pad(data, pad, value, extra=None):
    extra = extra or [0] * len(pad)
    width = [(0, 0), (0, 0)] + [(p, p + e) for p, e in zip(pad, extra)]
    return _np.pad(data, width, constant_values=value)


def _spatial(param, count, default):
    return tuple(param) if param else (default,) * count


# -- parameter checks (at parse time, as MXNet's dmlc fields check them) -----
def _at_least_one(*names):
    """A check: each parsed.<name> >= 1, worded as MXNet's set_lower_bound."""
    def run(parsed, op_name, attrs):
        for name in names:
            value = getattr(parsed, name)
            if value < 1:
                raise MXNetError("value %d for Parameter %s should be greater "
                                 "equal to 1, %s"
                                 % (value, name, _where(op_name, attrs)))
    return run


def _window_params(*nonzero):
    """A check of a window's tuples: stride, dilate, pad as long as kernel
    (when given), the `nonzero` ones without a zero (MXNet's
    enforce_nonzero wording), pad not negative."""
    def run(parsed, op_name, attrs):
        kernel = tuple(parsed.kernel)
        for name in ("stride", "dilate", "pad"):
            value = tuple(getattr(parsed, name, ()))
            if kernel and value and len(value) != len(kernel):
                raise MXNetError(
                    "Check failed: param_.kernel.ndim() == param_.%s.ndim() "
                    "(%d vs. %d) : %s: %s expected as many dimensions as "
                    "kernel %s, got %s" % (name, len(kernel), len(value),
                                           op_name, name, list(kernel),
                                           list(value)))
        for name in nonzero:
            value = tuple(getattr(parsed, name, ()))
            if 0 in value:
                raise MXNetError(
                    "value [%s]for Parameter %s is invalid, the input shape "
                    "must be nonzero in all dimensions, %s"
                    % (",".join(map(str, value)), name,
                       _where(op_name, attrs)))
        if any(size < 0 for size in parsed.pad):
            raise MXNetError("%s: pad expected non-negative sizes, got %s"
                             % (op_name, list(parsed.pad)))
    return run


def _check_window(op, data_shape, kernel, stride, pad, dilate):
    """MXNetError unless each (dilated) kernel extent fits the padded data
    and the stride is positive (MXNet's pooling wording)."""
    for axis, size in enumerate(data_shape[2:]):
        span = dilate[axis] * (kernel[axis] - 1) + 1
        check(stride[axis] > 0, "%s: stride expected positive sizes, got %s"
              % (op, list(stride)))
        check(span <= size + 2 * pad[axis],
              "%s: kernel size (%d) exceeds input (%d padded to %d)"
              % (op, span, size, size + 2 * pad[axis]))


# -- quantized_conv -------------------------------------------------------------------
_CONV = Params("_contrib_quantized_conv", [
    Param("kernel", SHAPE), Param("stride", SHAPE, ()),
    Param("dilate", SHAPE, ()), Param("pad", SHAPE, ()),
    Param("num_filter", UINT), Param("num_group", UINT, 1),
    Param("workspace", ULONG, 1024), Param("no_bias", BOOL, False),
    Param("cudnn_tune", enum("None", "fastest", "limited_workspace", "off"),
          "None"),
    Param("cudnn_off", BOOL, False),
    Param("layout", enum("None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC"),
          "None")])

_WEIGHTED_INPUTS = ["data", "weight", "bias", "min_data", "max_data",
                    "min_weight", "max_weight", "min_bias", "max_bias"]
# The functions' inputs: all but data and weight optional, so that mx.nd's
# positional arrays are taken in order, as MXNet takes them, whether or
# not no_bias leaves the bias ones out (the node's interface checks them).
_WEIGHTED_ARGS = _WEIGHTED_INPUTS[:2] + [name + "?"
                                         for name in _WEIGHTED_INPUTS[2:]]


def _weighted_interface(parsed):
    names = [name for name in _WEIGHTED_INPUTS
             if not (parsed.no_bias and name.endswith("bias"))]
    return names, [], list(_RANGES_OUT), {}


def _weighted_types(op, parsed, shapes, dtypes):
    """Checks the dtypes of a conv / FC node's inputs: (number of arrays
    before the ranges, shapes, dtypes, the ranges' (shape, dtype))."""
    names = _weighted_interface(parsed)[0]
    dtypes = list(dtypes) + [None] * (len(names) - len(dtypes))
    shapes = list(shapes) + [None] * (len(names) - len(shapes))
    _expect(op, "data", dtypes[0], ("int8", "uint8"))
    _expect(op, "weight", dtypes[1], ("int8",))
    count = 2
    if not parsed.no_bias:
        _expect(op, "bias", dtypes[2], ("int8",))
        count = 3
    ranges = _ranges(op, names[count:], shapes[count:], dtypes[count:])
    return count, shapes, dtypes, ranges


def _weighted_shapes(op, shapes, dtypes, expected, channels, count, ranges):
    """infer's result for a conv / FC node: expected (data, weight, out)
    shapes (None where unknown), `channels` outputs, `count` array inputs
    (2 without bias); MXNetError for a weight of another shape."""
    data, weight, out = expected
    check(shapes[1] is None or weight is None or
          tuple(shapes[1]) == weight, "%s: weight expected shape %s, got %s"
          % (op, weight, shapes[1] and tuple(shapes[1])))
    inputs = [(data, dtypes[0]), (weight, "int8")]
    if count == 3:
        # MXNet's SHAPE_ASSIGN_CHECK wording for a bias of another length.
        if shapes[2] is not None and tuple(shapes[2]) != (channels,):
            raise MXNetError("%s: Shape inconsistent, Provided = [%s], "
                             "inferred shape=(%d,) for bias"
                             % (op, ",".join(map(str, shapes[2])), channels))
        inputs.append(((channels,), "int8"))
    return (inputs + ranges,
            [(out, "int32"), ((1,), "float32"), ((1,), "float32")])


def _conv_geometry(parsed, data_shape):
    spatial = len(parsed.kernel)
    stride = _spatial(parsed.stride, spatial, 1)
    dilate = _spatial(parsed.dilate, spatial, 1)
    pad = _spatial(parsed.pad, spatial, 0)
    sizes = tuple(_out_size(data_shape[2 + axis], parsed.kernel[axis],
                            stride[axis], pad[axis], dilate[axis])
                  for axis in range(spatial))
    return stride, dilate, pad, sizes


def _conv_infer(parsed, shapes, dtypes):
    op = "quantized_conv"
    check(parsed.num_group == 1, "param.num_group == 1U (%d vs. 1) : "
          "quantized_conv only supports num_group=1 for now"
          % parsed.num_group)
    spatial = len(parsed.kernel)
    layout = parsed.layout if parsed.layout != "None" else \
        {1: "NCW", 2: "NCHW", 3: "NCDHW"}.get(spatial)
    check(layout in ("NCHW", "NCDHW"), "param.layout.value() == mshadow::"
          "kNCHW || param.layout.value() == mshadow::kNCDHW: mkldnn "
          "quantized_conv now supports NCHW or NCDHW for now")
    count, shapes, dtypes, ranges = _weighted_types(op, parsed, shapes,
                                                    dtypes)
    data = shapes[0]
    weight = out = None
    if data is not None:
        check(len(data) == 2 + spatial, "%s: data expected %d dimensions "
              "for kernel %s, got shape %s" % (op, 2 + spatial,
                                               parsed.kernel, tuple(data)))
        weight = (parsed.num_filter, data[1]) + tuple(parsed.kernel)
        stride, dilate, pad, sizes = _conv_geometry(parsed, data)
        _check_window(op, data, parsed.kernel, stride, pad, dilate)
        out = (data[0], parsed.num_filter) + sizes
    return _weighted_shapes(op, shapes, dtypes, (data, weight, out),
                            parsed.num_filter, count, ranges)


def _conv_forward(parsed, arrays, is_train):
    data, weight = arrays[0], arrays[1]
    check(data.dtype == _np.uint8, "(in_data[0].dtype()) == (mshadow::"
          "kUint8) mkldnn_quantized_conv op only supports uint8 as input "
          "type")
    stride, dilate, pad, sizes = _conv_geometry(parsed, data.shape)
    padded = _pad(data.astype(_np.int64), pad, 0)
    windows = _windows(padded, parsed.kernel, stride, dilate, sizes)
    spatial = len(parsed.kernel)
    # (N, C, *out, *k) x (F, C, *k) -> (N, F, *out)
    window_axes = [1] + list(range(2 + spatial, 2 + 2 * spatial))
    out = _np.tensordot(windows, weight.astype(_np.int64),
                        axes=(window_axes, [1] + list(range(2, 2 + spatial))))
    out = _np.moveaxis(out, -1, 1)
    if not parsed.no_bias:
        out = out + arrays[2].astype(_np.int64).reshape(
            (1, -1) + (1,) * spatial)
    ranges = arrays[2 if parsed.no_bias else 3:]
    return _int32_result(out, _max_abs(ranges[0], ranges[1]), "int8",
                         _max_abs(ranges[2], ranges[3]))


def _int32_result(out, data_range, data_type, weight_range):
    """[int32 accumulator, min, max] of a conv / FC result (int64)."""
    low, high = _product_range(data_range, _LIMIT[data_type], weight_range)
    return [_np.clip(out, -2 ** 31, 2 ** 31 - 1).astype(_np.int32)] + \
        _scalars(low, high)


def _register_weighted(params, parse, infer, forward, doc):
    _python_ops.register(
        params.op_name, inputs=_WEIGHTED_ARGS, outputs=_RANGES_OUT,
        params=params.specs, parse=parse,
        interface=_weighted_interface, infer=infer, forward=forward, doc=doc)


_register_weighted(_CONV, with_checks(_CONV, _at_least_one("num_filter"),
                                      _window_params("kernel", "stride",
                                                     "dilate")),
                   _conv_infer, _conv_forward,
                   "Convolution of uint8 data with int8 weights into int32.")


# -- quantized_fully_connected --------------------------------------------------------
_FC = Params("_contrib_quantized_fully_connected", [
    Param("num_hidden", INT), Param("no_bias", BOOL, False),
    Param("flatten", BOOL, True)])


def _fc_infer(parsed, shapes, dtypes):
    op = "quantized_fully_connected"
    count, shapes, dtypes, ranges = _weighted_types(op, parsed, shapes,
                                                    dtypes)
    data = shapes[0]
    weight = out = None
    if data is not None:
        data = tuple(data)
        if parsed.flatten:
            width = int(_np.prod(data[1:])) if len(data) > 1 else 1
            out = (data[0], parsed.num_hidden)
        else:
            width = data[-1]
            out = data[:-1] + (parsed.num_hidden,)
        weight = (parsed.num_hidden, width)
    return _weighted_shapes(op, shapes, dtypes, (data, weight, out),
                            parsed.num_hidden, count, ranges)


def _fc_forward(parsed, arrays, is_train):
    data, weight = arrays[0], arrays[1]
    dtype = data.dtype.name
    if parsed.flatten:
        rows = data.reshape(data.shape[0], -1)
    else:
        rows = data.reshape(-1, data.shape[-1])
    out = rows.astype(_np.int64) @ weight.astype(_np.int64).T
    ranges = arrays[2 if parsed.no_bias else 3:]
    data_range = _max_abs(ranges[0], ranges[1])
    weight_range = _max_abs(ranges[2], ranges[3])
    if not parsed.no_bias:
        # The int8 bias becomes int32 at the accumulator's scale, truncated.
        data_scale = _F32(_LEVELS[dtype] / data_range)
        weight_scale = _F32(_LEVELS["int8"] / weight_range)
        rescale = _F32(_F32(data_scale * weight_scale) *
                       _max_abs(ranges[4], ranges[5])) / _LEVELS["int8"]
        bias = (arrays[2].astype(_np.float32) * _F32(rescale)).astype(
            _np.int64)
        out = out + bias
    if not parsed.flatten:
        out = out.reshape(data.shape[:-1] + (weight.shape[0],))
    return _int32_result(out, data_range, dtype, weight_range)


_register_weighted(_FC, with_checks(_FC, _at_least_one("num_hidden")),
                   _fc_infer, _fc_forward,
                   "Fully connected layer of int8 / uint8 data into int32.")


# -- quantized_pooling ----------------------------------------------------------------
_POOL = Params("_contrib_quantized_pooling", [
    Param("kernel", SHAPE, ()),
    Param("pool_type", enum("avg", "lp", "max", "sum"), "max"),
    Param("global_pool", BOOL, False), Param("cudnn_off", BOOL, False),
    Param("pooling_convention", enum("full", "same", "valid"), "valid"),
    Param("stride", SHAPE, ()), Param("pad", SHAPE, ()),
    Param("p_value", OPTIONAL_INT, None),
    Param("count_include_pad", OPTIONAL_BOOL, None),
    Param("layout", enum("None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC",
                         "NWC"), "None")])
_POOL_INPUTS = ["data", "min_data", "max_data"]


def _pool_geometry(parsed, data_shape):
    spatial = len(data_shape) - 2
    if parsed.global_pool:
        return (tuple(data_shape[2:]), (1,) * spatial, (0,) * spatial,
                (1,) * spatial)
    kernel = tuple(parsed.kernel)
    stride = _spatial(parsed.stride, spatial, 1)
    pad = _spatial(parsed.pad, spatial, 0)
    full = parsed.pooling_convention == "full"
    sizes = tuple(_out_size(data_shape[2 + axis], kernel[axis], stride[axis],
                            pad[axis], ceil=full) for axis in range(spatial))
    return kernel, stride, pad, sizes


def _pool_infer(parsed, shapes, dtypes):
    op = "quantized_pooling"
    if parsed.pool_type not in ("max", "avg"):
        raise MXNetError("QuantizedPoolingOp only supports pool_type=max/avg "
                         "for now")
    _expect(op, "data", dtypes[0], ("int8", "uint8"))
    ranges = _ranges(op, _POOL_INPUTS[1:], shapes[1:], dtypes[1:])
    data = shapes[0]
    out = None
    if data is not None:
        check(len(data) in (4, 5), "%s: data expected 4 or 5 dimensions "
              "(NCHW, NCDHW), got shape %s" % (op, tuple(data)))
        if not parsed.global_pool:
            check(len(parsed.kernel) == len(data) - 2,
                  "%s: kernel %s expected %d dimensions for data of shape %s"
                  % (op, parsed.kernel, len(data) - 2, tuple(data)))
        kernel, stride, pad, sizes = _pool_geometry(parsed, data)
        if not parsed.global_pool:
            for axis, size in enumerate(pad):
                # MXNet's oneDNN pooling check, with its wording.
                check(size < kernel[axis], "pad_l[%d] < kernel[%d] (%d vs. "
                      "%d) : %s: pad expected smaller than kernel"
                      % (axis, axis, size, kernel[axis], op))
            _check_window(op, data, kernel, stride, pad, (1,) * len(kernel))
        out = tuple(data[:2]) + sizes
    return ([(data, dtypes[0])] + ranges,
            [(out, dtypes[0]), ((1,), "float32"), ((1,), "float32")])


def _pool_forward(parsed, arrays, is_train):
    data, low, high = arrays
    kernel, stride, pad, sizes = _pool_geometry(parsed, data.shape)
    spatial = len(kernel)
    # Windows running past the end ('full' convention) read padding too.
    extra = [max(0, (sizes[axis] - 1) * stride[axis] + kernel[axis] -
                 data.shape[2 + axis] - 2 * pad[axis])
             for axis in range(spatial)]
    window_axes = tuple(range(2 + spatial, 2 + 2 * spatial))
    ones = (1,) * spatial
    if parsed.pool_type == "max":
        padded = _pad(data, pad, _np.iinfo(data.dtype).min, extra)
        out = _windows(padded, kernel, stride, ones, sizes).max(
            axis=window_axes)
    else:
        padded = _pad(data.astype(_np.float64), pad, 0, extra)
        sums = _windows(padded, kernel, stride, ones, sizes).sum(
            axis=window_axes)
        if parsed.count_include_pad is False:
            inside = _pad(_np.ones((1, 1) + data.shape[2:]), pad, 0, extra)
            counts = _windows(inside, kernel, stride, ones, sizes).sum(
                axis=window_axes)
        else:
            # Padding counts; what 'full' adds past the end does not.
            inside = _pad(_np.ones((1, 1) + data.shape[2:]), pad, 1)
            inside = _np.pad(inside, [(0, 0), (0, 0)] +
                             [(0, e) for e in extra])
            counts = _windows(inside, kernel, stride, ones, sizes).sum(
                axis=window_axes)
        out = _saturate(_np.rint((sums / counts).astype(_np.float32)),
                        data.dtype.name)
    return [out.astype(data.dtype), low.astype(_np.float32).reshape(1),
            high.astype(_np.float32).reshape(1)]


_python_ops.register(
    _POOL.op_name, inputs=_POOL_INPUTS, outputs=_RANGES_OUT,
    params=_POOL.specs, parse=with_checks(_POOL, _window_params("kernel",
                                                                "stride")),
    infer=_pool_infer,
    forward=_pool_forward,
    doc="Max / average pooling of int8 / uint8 data.")


# -- quantized_concat ---------------------------------------------------------------
_CONCAT = Params("_contrib_quantized_concat", [
    Param("num_args", INT), Param("dim", INT, 1)])


def _concat_interface(parsed):
    count = parsed.num_args
    names = ["arg%d" % index for index in range(count)]
    for index in range(count):
        names += ["arg%d_min" % index, "arg%d_max" % index]
    return names, [], list(_RANGES_OUT), {}


def _concat_infer(parsed, shapes, dtypes):
    op = "quantized_concat"
    count = parsed.num_args
    check(count >= 1, "%s: num_args expected >= 1, got %d" % (op, count))
    for index, dtype in enumerate(dtypes[:count]):
        _expect(op, "arg%d" % index, dtype, ("int8", "uint8"))
    ranges = _ranges(op, _concat_interface(parsed)[0][count:],
                     shapes[count:], dtypes[count:])
    known = [dtype for dtype in dtypes[:count] if dtype is not None]
    out_type = None
    if len(known) == count:
        out_type = "int8" if "int8" in known else "uint8"
    given = [tuple(shape) for shape in shapes[:count] if shape is not None]
    out = None
    if len(given) == count:
        ndim = len(given[0])
        axis = parsed.dim + ndim if parsed.dim < 0 else parsed.dim
        check(0 <= axis < ndim, "%s: dim %d out of range for %d dimensions"
              % (op, parsed.dim, ndim))
        for shape in given[1:]:
            check(len(shape) == ndim and all(
                a == b for i, (a, b) in enumerate(zip(shape, given[0]))
                if i != axis), "%s: shapes %s must match but on axis %d"
                % (op, given, axis))
        out = given[0][:axis] + (sum(shape[axis] for shape in given),) + \
            given[0][axis + 1:]
    inputs = [(shape, dtype) for shape, dtype in
              zip(shapes[:count], dtypes[:count])]
    return (inputs + ranges,
            [(out, out_type), ((1,), "float32"), ((1,), "float32")])


def _concat_forward(parsed, arrays, is_train):
    count = parsed.num_args
    data, bounds = arrays[:count], arrays[count:]
    lows = [_scalar(bound) for bound in bounds[0::2]]
    highs = [_scalar(bound) for bound in bounds[1::2]]
    out_type = "int8" if any(a.dtype == _np.int8 for a in data) else "uint8"
    low, high = min(lows), max(highs)
    out_scale = _F32(_LEVELS[out_type] / max(abs(low), abs(high)))
    parts = []
    for array, lo, hi in zip(data, lows, highs):
        scale = _F32(_LEVELS[array.dtype.name] / max(abs(lo), abs(hi)))
        if scale == out_scale and array.dtype.name == out_type:
            parts.append(array)
            continue
        factor = _F32(out_scale / scale)
        parts.append(_saturate(_np.rint(array.astype(_np.float32) * factor),
                               out_type))
    axis = parsed.dim % data[0].ndim
    return [_np.concatenate(parts, axis=axis)] + _scalars(low, high)


def _concat_call(parsed, inputs, out, ctx):
    """The imperative call: mx.nd's variadic functions drop num_args, so
    it is the number of inputs over three (data, min, max per input)."""
    if "num_args" not in parsed.__dict__ or parsed.num_args is None:
        if len(inputs) % 3:
            raise MXNetError("Operator _contrib_quantized_concat expects "
                             "num_args arrays then a min and a max for each, "
                             "got %d inputs" % len(inputs))
        parsed = type(parsed)(dict(parsed.__dict__,
                                   num_args=len(inputs) // 3))
    expected = 3 * parsed.num_args
    check(len(inputs) == expected, "num_inputs == infered_num_inputs (%d vs. "
          "%d) : Operator _contrib_quantized_concat expects %d inputs, but "
          "got %d instead." % (len(inputs), expected, expected, len(inputs)))
    return _python_ops._host_call(_CONCAT_HOST, parsed, inputs, out, ctx)


def _concat_parse(attrs):
    if "num_args" not in attrs:
        attrs = dict(attrs, num_args="-1")
        parsed = _CONCAT.parse(attrs)
        parsed.num_args = None
        return parsed
    return _CONCAT.parse(attrs)


_CONCAT_HOST = _python_ops.PythonOp(
    name=_CONCAT.op_name, aliases=(), inputs=["*data"],
    outputs=list(_RANGES_OUT), params=_CONCAT.specs, parse=_concat_parse,
    interface=_concat_interface, infer=_concat_infer,
    forward=_concat_forward, backward=None, call=None, functions=False,
    doc="")

_python_ops.register(
    _CONCAT.op_name, inputs=["*data"], outputs=_RANGES_OUT,
    params=_CONCAT.specs, parse=_concat_parse, interface=_concat_interface,
    infer=_concat_infer, call=_concat_call,
    doc="Concatenation of int8 / uint8 arrays, rescaled to one range.")


# -- quantized_elemwise_add, quantized_elemwise_mul ---------------------------------
_BINARY_INPUTS = ["lhs", "rhs", "lhs_min", "lhs_max", "rhs_min", "rhs_max"]
_ADD = Params("_contrib_quantized_elemwise_add", list(_CALIB))
_MUL = Params("_contrib_quantized_elemwise_mul", list(_CALIB) + [
    Param("enable_float_output", BOOL, False)])


def _binary_shapes(op, shapes):
    lhs, rhs = shapes[0], shapes[1]
    if lhs is not None and rhs is not None:
        check(tuple(lhs) == tuple(rhs), "%s: lhs and rhs expected the same "
              "shape, got %s and %s" % (op, tuple(lhs), tuple(rhs)))
    return lhs if lhs is not None else rhs


def _add_out_type(parsed, lhs, rhs):
    if not _calibrated(parsed):
        return "int32"
    if lhs is None or rhs is None:
        return None
    return "uint8" if lhs == rhs == "uint8" else "int8"


def _add_infer(parsed, shapes, dtypes):
    op = "quantized_elemwise_add"
    for name, dtype in zip(_BINARY_INPUTS[:2], dtypes[:2]):
        _expect(op, name, dtype, ("int8", "uint8"))
    ranges = _ranges(op, _BINARY_INPUTS[2:], shapes[2:], dtypes[2:])
    shape = _binary_shapes(op, shapes)
    return ([(shape, dtypes[0]), (shape, dtypes[1])] + ranges,
            [(shape, _add_out_type(parsed, dtypes[0], dtypes[1])),
             ((1,), "float32"), ((1,), "float32")])


def _add_forward(parsed, arrays, is_train):
    lhs, rhs = arrays[0], arrays[1]
    lhs_range = _max_abs(arrays[2], arrays[3])
    rhs_range = _max_abs(arrays[4], arrays[5])
    out_type = _add_out_type(parsed, lhs.dtype.name, rhs.dtype.name)
    if out_type == "int32":
        high = _F32(lhs_range + rhs_range)
        low = -high
        out_scale = _F32(_INT32_MAX / high)
    else:
        low, high = parsed.min_calib_range, parsed.max_calib_range
        out_scale = _F32(_LEVELS[out_type] / max(abs(_F32(low)),
                                                 abs(_F32(high))))
    total = _np.zeros(lhs.shape, dtype=_np.float32)
    for array, real in ((lhs, lhs_range), (rhs, rhs_range)):
        # oneDNN's sum, each input scaled from its levels to the output's
        # (in this order of float32 steps, which MXNet's results follow).
        scale = _F32(_F32(out_scale * real) / _LEVELS[array.dtype.name])
        total = total + array.astype(_np.float32) * scale
    total = _np.rint(total)
    if out_type == "int32":
        values = _np.clip(total.astype(_np.float64), -2 ** 31, 2 ** 31 - 1)
        values = values.astype(_np.int32)
    else:
        values = _saturate(total, out_type)
    return [values] + _scalars(low, high)


register(_ADD, _add_infer, _add_forward, None, _BINARY_INPUTS, _RANGES_OUT,
         doc="Sum of int8 / uint8 arrays into int32 (or, calibrated, int8).")


def _mul_interface(parsed):
    outputs = ["output"] if parsed.enable_float_output else \
        list(_RANGES_OUT)
    return list(_BINARY_INPUTS), [], outputs, {}


def _mul_infer(parsed, shapes, dtypes):
    op = "quantized_elemwise_mul"
    for name, dtype in zip(_BINARY_INPUTS[:2], dtypes[:2]):
        if dtype is not None and dtype != "int8":
            raise MXNetError("%s: lhs and rhs only support int8, got %s for "
                             "%s" % (op, dtype, name))
    ranges = _ranges(op, _BINARY_INPUTS[2:], shapes[2:], dtypes[2:])
    shape = _binary_shapes(op, shapes)
    inputs = [(shape, "int8"), (shape, "int8")] + ranges
    if parsed.enable_float_output:
        return inputs, [(shape, "float32")]
    out_type = "int8" if _calibrated(parsed) else "int32"
    return inputs, [(shape, out_type), ((1,), "float32"), ((1,), "float32")]


def _mul_forward(parsed, arrays, is_train):
    lhs, rhs = arrays[0], arrays[1]
    lhs_range = _max_abs(arrays[2], arrays[3])
    rhs_range = _max_abs(arrays[4], arrays[5])
    product = lhs.astype(_np.int32) * rhs.astype(_np.int32)
    low, high = _product_range(lhs_range, _LIMIT["int8"], rhs_range)
    if parsed.enable_float_output:
        level = _F32(lhs_range / _LEVELS["int8"]) * \
            _F32(rhs_range / _LEVELS["int8"])
        return [product.astype(_np.float32) * _F32(level)]
    if not _calibrated(parsed):
        return [product] + _scalars(low, high)
    calib_low, calib_high = parsed.min_calib_range, parsed.max_calib_range
    calib = max(abs(_F32(calib_low)), abs(_F32(calib_high)))
    level = _F32(lhs_range / _LEVELS["int8"]) * \
        _F32(rhs_range / _LEVELS["int8"])
    scaled = product.astype(_np.float32) * _F32(level) * \
        _F32(_LEVELS["int8"] / calib)
    # MXNet's kernel casts without saturating: truncated, the low byte
    # kept (a float past int32 converts to INT32_MIN, as on x86).
    scaled = _np.trunc(scaled).astype(_np.float64)
    scaled[_np.abs(scaled) >= 2.0 ** 31] = -2.0 ** 31
    values = scaled.astype(_np.int64).astype(_np.int8)
    return [values] + _scalars(calib_low, calib_high)


_python_ops.register(
    _MUL.op_name, inputs=_BINARY_INPUTS, outputs=_RANGES_OUT,
    params=_MUL.specs, parse=_MUL.parse, interface=_mul_interface,
    infer=_mul_infer, forward=_mul_forward,
    doc="Product of int8 arrays into int32, int8 or float32.")


# -- quantized_batch_norm ----------------------------------------------------------
_BN = Params("_contrib_quantized_batch_norm", [
    Param("eps", FLOAT, 0.0010000000474974513),
    Param("momentum", FLOAT, 0.899999976),
    Param("fix_gamma", BOOL, True), Param("use_global_stats", BOOL, False),
    Param("output_mean_var", BOOL, False), Param("axis", INT, 1),
    Param("cudnn_off", BOOL, False)] + list(_CALIB))
_BN_INPUTS = ["data", "gamma", "beta", "moving_mean", "moving_var",
              "min_data", "max_data"]


def _bn_interface(parsed):
    return (list(_BN_INPUTS), ["moving_mean", "moving_var"],
            list(_RANGES_OUT), {})


def _bn_infer(parsed, shapes, dtypes):
    op = "quantized_batch_norm"
    _expect(op, "data", dtypes[0], ("int8", "uint8"))
    for name, dtype in zip(_BN_INPUTS[1:5], dtypes[1:5]):
        _expect(op, name, dtype, ("float32",))
    ranges = _ranges(op, _BN_INPUTS[5:], shapes[5:], dtypes[5:])
    data = shapes[0]
    channel = None
    if data is not None:
        # MXNet's check, its wording: the axis, negative from the end,
        # must name one of data's dimensions.
        axis = parsed.axis + len(data) if parsed.axis < 0 else parsed.axis
        check(0 <= axis < len(data), "(channelAxis) < (dshape.ndim()) "
              "Channel axis out of range: %d (%s: axis for data of shape %s)"
              % (parsed.axis, op, tuple(data)))
        channel = (data[axis],)
    for name, shape in zip(_BN_INPUTS[1:5], shapes[1:5]):
        check(shape is None or channel is None or tuple(shape) == channel,
              "%s: %s expected shape %s, got %s" % (op, name, channel,
                                                    shape and tuple(shape)))
    return ([(data, dtypes[0])] + [(channel, "float32")] * 4 + ranges,
            [(data, "int8"), ((1,), "float32"), ((1,), "float32")])


def _bn_forward(parsed, arrays, is_train):
    if not _calibrated(parsed):
        raise MXNetError("min_calib_range or max_calib_range is not "
                         "available. Quantized BN currently don't support "
                         "calib_mode=None")
    data, gamma, beta, mean, var = arrays[:5]
    real = _max_abs(arrays[5], arrays[6])
    calib = max(abs(_F32(parsed.min_calib_range)),
                abs(_F32(parsed.max_calib_range)))
    # MXNet's oneDNN kernel folds the statistics into a scale and shift
    # per channel (gamma as given: fix_gamma is not applied) and then runs
    # oneDNN's batch norm with mean 0, variance 1 and eps again, so the
    # scale is divided by sqrt(1 + eps) once more.
    in_scale = _F32(_LEVELS[data.dtype.name] / real)
    out_scale = _F32(_LEVELS["int8"] / calib)
    inv_std = (1.0 / _np.sqrt(var.astype(_np.float64) + parsed.eps)).astype(
        _np.float32)
    scale = (gamma * inv_std * out_scale / in_scale).astype(_np.float32)
    shift = ((beta - mean * gamma * inv_std) * out_scale).astype(_np.float32)
    scale = scale / _F32(_np.sqrt(_F32(1 + parsed.eps)))
    axis = parsed.axis % data.ndim
    shape = [1] * data.ndim
    shape[axis] = -1
    values = data.astype(_np.float32) * scale.reshape(shape) + \
        shift.reshape(shape)
    return [_saturate(_np.rint(values), "int8")] + \
        _scalars(parsed.min_calib_range, parsed.max_calib_range)


_python_ops.register(
    _BN.op_name, inputs=_BN_INPUTS, outputs=_RANGES_OUT, params=_BN.specs,
    parse=_BN.parse, interface=_bn_interface, infer=_bn_infer,
    forward=_bn_forward,
    doc="Inference batch norm of int8 / uint8 data into calibrated int8.")


# -- quantized_embedding ------------------------------------------------------------
_EMBEDDING = Params("_contrib_quantized_embedding", [
    Param("input_dim", INT), Param("output_dim", INT),
    Param("dtype", enum("bfloat16", "float16", "float32", "float64",
                        "int32", "int64", "int8", "uint8"), "float32"),
    Param("sparse_grad", BOOL, False)])
_EMBEDDING_INPUTS = ["data", "weight", "min_weight", "max_weight"]


def _embedding_infer(parsed, shapes, dtypes):
    op = "quantized_embedding"
    _expect(op, "weight", dtypes[1], ("int8",))
    ranges = _ranges(op, _EMBEDDING_INPUTS[2:], shapes[2:], dtypes[2:])
    weight = (parsed.input_dim, parsed.output_dim)
    check(shapes[1] is None or tuple(shapes[1]) == weight,
          "%s: weight expected shape %s, got %s"
          % (op, weight, shapes[1] and tuple(shapes[1])))
    data = shapes[0]
    out = None if data is None else tuple(data) + (parsed.output_dim,)
    return ([(data, dtypes[0] or "float32"), (weight, "int8")] + ranges,
            [(out, "int8"), ((1,), "float32"), ((1,), "float32")])


def _embedding_forward(parsed, arrays, is_train):
    data, weight, low, high = arrays
    rows = _np.clip(data.astype(_np.int64), 0, parsed.input_dim - 1)
    return [weight[rows], low.astype(_np.float32).reshape(1),
            high.astype(_np.float32).reshape(1)]


register(_EMBEDDING, _embedding_infer, _embedding_forward, None,
         _EMBEDDING_INPUTS, _RANGES_OUT,
         doc="Rows of an int8 embedding matrix.")


# -- quantize_asym ---------------------------------------------------------------
_ASYM = Params("_contrib_quantize_asym", list(_CALIB))


def _asym_infer(parsed, shapes, dtypes):
    _expect("quantize_asym", "data", dtypes[0], ("float32",))
    return ([(shapes[0], "float32")],
            [(shapes[0], "uint8"), ((1,), "float32"), ((1,), "float32")])


def _asym_forward(parsed, arrays, is_train):
    data = arrays[0].astype(_np.float32)
    if _calibrated(parsed):
        low, high = _F32(parsed.min_calib_range), _F32(parsed.max_calib_range)
    elif data.size:
        low, high = _F32(data.min()), _F32(data.max())
    else:
        low = high = _F32(0)
    with _np.errstate(divide="ignore", invalid="ignore"):
        scale = _F32(_LEVELS["uint8"] / _F32(high - low))
        shift = _F32(_F32(255) - _F32(high * scale))
        values = _np.floor(data * scale + shift + _F32(0.5))
    return [_saturate(values, "uint8")] + _scalars(scale, shift)


register(_ASYM, _asym_infer, _asym_forward, None, ["data"],
         ["output", "scale", "shift"],
         doc="Asymmetric quantization of float32 data to uint8.")


# -- calibrate_entropy -------------------------------------------------------------
_ENTROPY = Params("_contrib_calibrate_entropy", [
    Param("num_quantized_bins", INT, 255)])


def _entropy_infer(parsed, shapes, dtypes):
    op = "calibrate_entropy"
    for name, dtype in zip(("hist", "hist_edges"), dtypes):
        _expect(op, name, dtype, ("float32",))
    hist, edges = shapes[0], shapes[1]
    if hist is not None and edges is not None:
        bins = int(_np.prod(hist))
        check(int(_np.prod(edges)) == bins + 1,
              "inputs[1].Size() == num_bins + 1 (%d vs. %d) "
              % (int(_np.prod(edges)), bins + 1))
        # The first candidate threshold must lie inside the histogram
        # (MXNet crashes or reads past it otherwise).
        most = 2 * ((bins - 1) // 2) + 1
        check(parsed.num_quantized_bins <= most,
              "%s: num_quantized_bins expected between 1 and %d for a "
              "histogram of %d bins, got %d"
              % (op, max(most, 1), bins, parsed.num_quantized_bins))
    return ([(hist, "float32"), (edges, "float32")],
            [((1,), "float32"), ((1,), "float32")])


def _smooth(p, eps=_F32(0.0001)):
    """MXNet's SmoothDistribution: zeros become eps, taken off the others;
    None when all are zero or eps outweighs them."""
    zeros = p == 0
    n_zeros = int(zeros.sum())
    n_nonzeros = p.size - n_zeros
    if not n_nonzeros:
        return None
    eps1 = _F32(eps * _F32(n_zeros) / _F32(n_nonzeros))
    if eps1 >= 1.0:
        return None
    return _np.where(zeros, p + eps, p - eps1).astype(_np.float32)


def _divergence(p, q):
    p = p / _F32(p.sum(dtype=_np.float32))
    q = q / _F32(q.sum(dtype=_np.float32))
    return _F32((p * _np.log(p / q)).sum(dtype=_np.float32))


def _entropy_forward(parsed, arrays, is_train):
    hist = arrays[0].reshape(-1).astype(_np.float32)
    edges = arrays[1].reshape(-1).astype(_np.float32)
    bins, quantized = hist.size, parsed.num_quantized_bins
    negative = _np.flatnonzero(hist < 0)
    # MXNet aborts on this check (its KL divergence's); kiln raises it.
    check(not negative.size, "p[i] > 0 && q[i] > 0 : calibrate_entropy: "
          "hist expected non-negative counts, got %g at bin %d"
          % (hist[negative[0]] if negative.size else 0,
             negative[0] if negative.size else 0))
    zero = bins // 2
    half = quantized // 2
    counts = hist.astype(_np.int64)  # MXNet slices into size_t bins
    thresholds, divergences = [], []
    # An even histogram's last window would run one bin past its end
    # (MXNet reads beyond the arrays there); it stops one short.
    for i in range(half, (bins - 1) // 2 + 1):
        start, stop = zero - i, zero + i + 1
        thresholds.append(edges[stop])
        sliced = counts[start:stop].copy()
        sliced[0] = 0
        p = hist[start:stop].copy()
        p[0] = hist[:start + 1].sum(dtype=_np.float32)
        p[-1] = hist[stop - 1] + hist[stop:].sum(dtype=_np.float32)
        merged = sliced.size // quantized
        merged_bins = sliced[:quantized * merged].reshape(quantized, merged)
        quantized_bins = merged_bins.sum(axis=1)
        quantized_bins[-1] += sliced[quantized * merged:].sum()
        q = _np.zeros(sliced.size, dtype=_np.float32)
        groups = _np.minimum(_np.arange(sliced.size) // max(merged, 1),
                             quantized - 1)
        norms = _np.bincount(groups, weights=(sliced != 0),
                             minlength=quantized)
        spread = _np.where(norms > 0, quantized_bins /
                           _np.maximum(norms, 1), 0).astype(_np.float32)
        q = _np.where(p != 0, spread[groups], 0).astype(_np.float32)
        p_smooth, q_smooth = _smooth(p), _smooth(q)
        if q_smooth is None or p_smooth is None:
            divergences.append(_F32(_np.inf))
        else:
            divergences.append(_divergence(p_smooth, q_smooth))
    best = 0
    least = _F32(_np.finfo(_np.float32).max)
    for index, value in enumerate(divergences):
        if value < least:
            least, best = value, index
    return _scalars(thresholds[best], least)


_python_ops.register(
    _ENTROPY.op_name, inputs=["hist", "hist_edges"],
    outputs=["threshold", "divergence"], params=_ENTROPY.specs,
    parse=with_checks(_ENTROPY, _at_least_one("num_quantized_bins")),
    infer=_entropy_infer, forward=_entropy_forward,
    doc="The KL-optimal quantization threshold of a histogram.")

__all__ = []
