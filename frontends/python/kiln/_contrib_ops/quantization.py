"""MXNet 1.9.1's int8 / uint8 quantization operators
(src/operator/quantization/, the oneDNN kernels its CPU build runs), on
the host with numpy:

    quantize(data, min_range, max_range, out_type='uint8')
    quantize_v2(data, out_type='int8', min_calib_range=None,
                max_calib_range=None)
        float32 data -> [q, min, max]. The real range r is max(|min|,
        |max|) of min_range/max_range, of the calibration range, or of the
        data; q = saturate(round_half_even(x * R / r)) computed in float32
        with R = 127.5 (int8) or 255.5 (uint8) for quantize_v2, 127 or 255
        for quantize; min, max: [-r, r] for int8, the range itself for
        uint8. quantize_v2's 'auto' is uint8 for a calibration range with
        min >= 0, else int8; int8/uint8 data passes
        through (its bytes, as out_type) with the calibration range or
        [-127.5, 127.5] / [0, 255.5].
    dequantize(data, min_range, max_range, out_type='float32')
        int8/uint8 -> float32: q * r / R.
    requantize(data, min_range, max_range, out_type='int8',
               min_calib_range=None, max_calib_range=None)
        int32 data (real range r_in = max(|min_range|, |max_range|) over
        2^31 - 1) -> [q, min, max] of int8 (range +-r, 127 levels) or uint8
        (range [0, r], 255 levels), r the calibration range's or the data's;
        'auto' as quantize_v2's.
    quantized_flatten(data, min_data, max_data)
        -> [data flattened to 2-D, min_data, max_data].
    quantized_act(data, min_data, max_data, act_type='relu')
        -> [relu(data) as int8, min_data, max_data] (uint8 data is read as
        int8, as MXNet's kernel does); act_type other than relu raises.

None of them has a gradient (MXNet registers none). Errors as MXNet's:
data of the wrong dtype, an unknown out_type or act_type.
"""
import numpy as _np

from ..base import MXNetError
from ._common import check, register
from ._params import Param, Params, _Kind, enum

_INT8_RANGE = _np.float32(127.5)
_UINT8_RANGE = _np.float32(255.5)
_INT32_RANGE = _np.float32(2147483647)


def _optional_float(text):
    """None or a finite float: MXNet's dmlc::optional<float> parser
    rejects 'nan' and 'inf' as an invalid format."""
    if text.strip() == "None":
        return None
    value = float(text)
    if not _np.isfinite(value):
        raise ValueError(text)
    return value


def _saturate(scaled, out_type):
    """Rounded float32 values cast to out_type, saturated; a NaN (a NaN
    input, or inf times a zero scale) lands where MXNet's clamps put it:
    127 for int8, 0 for uint8."""
    info = _np.iinfo(out_type)
    nan_to = info.max if out_type == "int8" else 0
    scaled = _np.where(_np.isnan(scaled), _np.float32(nan_to), scaled)
    return _np.clip(scaled, info.min, info.max).astype(out_type)


OPTIONAL_FLOAT = _Kind("float or None", _optional_float)


def _scalar_shape(name, shape):
    if shape is not None:
        check(tuple(shape) in ((1,), ()), "%s expected shape (1,), got %s"
              % (name, tuple(shape)))
    return (1,)


def _quantize_to(values, real_range, out_type, levels=None):
    """values (float32) quantized for the real range to `levels` (default
    quantize_v2's 127.5 / 255.5), rounded half to even, saturated."""
    real_range = _np.float32(real_range)
    if levels is None:
        levels = _INT8_RANGE if out_type == "int8" else _UINT8_RANGE
    with _np.errstate(invalid="ignore", divide="ignore"):
        scale = _np.float32(levels / real_range)
        scaled = _np.rint(values.astype(_np.float32) * scale)
    return _saturate(scaled, out_type)


def _float_input(op, dtype):
    if dtype is not None and dtype != "float32":
        raise MXNetError("%s: data expected float32 (or int8 / uint8 for "
                         "quantize_v2), got %s" % (op, dtype))


def _ranges_of(out_type, low, high):
    """The min and max outputs for the data range [low, high]."""
    if out_type == "int8":
        real = max(abs(_np.float32(low)), abs(_np.float32(high)))
        return -real, real
    return _np.float32(low), _np.float32(high)


# MXNet's quantize, quantize_v2 and requantize declare no output names.
_NUMBERED = ["output0", "output1", "output2"]


def _scalars(*values):
    return [_np.array([value], dtype=_np.float32) for value in values]


# -- quantize ---------------------------------------------------------------------
_QUANTIZE = Params("_contrib_quantize", [
    Param("out_type", enum("int8", "uint8"), "uint8")])


def _quantize_infer(parsed, shapes, dtypes):
    _float_input("quantize", dtypes[0])
    for name, shape in zip(("min_range", "max_range"), shapes[1:]):
        _scalar_shape(name, shape)
    return ([(shapes[0], "float32"), ((1,), "float32"), ((1,), "float32")],
            [(shapes[0], parsed.out_type), ((1,), "float32"),
             ((1,), "float32")])


def _quantize_forward(parsed, arrays, is_train):
    data, low, high = arrays
    low, high = float(low.reshape(-1)[0]), float(high.reshape(-1)[0])
    real = max(abs(_np.float32(low)), abs(_np.float32(high)))
    # quantize's oneDNN kernel scales by 127 / 255 levels (quantize_v2's
    # by 127.5 / 255.5).
    levels = 127 if parsed.out_type == "int8" else 255
    values = _quantize_to(data, real, parsed.out_type, levels)
    return [values] + _scalars(*_ranges_of(parsed.out_type, low, high))


register(_QUANTIZE, _quantize_infer, _quantize_forward, None,
         ["data", "min_range", "max_range"],
         _NUMBERED,
         doc="Quantizes float32 data to int8 / uint8 for a given range.")


# -- quantize_v2 ------------------------------------------------------------------
_QUANTIZE_V2 = Params("_contrib_quantize_v2", [
    Param("out_type", enum("auto", "int8", "uint8"), "int8"),
    Param("min_calib_range", OPTIONAL_FLOAT, None),
    Param("max_calib_range", OPTIONAL_FLOAT, None)])


def _calibrated(parsed):
    return (parsed.min_calib_range is not None and
            parsed.max_calib_range is not None)


def _output_type(parsed):
    """MXNet's GetQuantizeOutputType: auto is uint8 for a calibration
    range starting at 0 or above, else int8."""
    if parsed.out_type != "auto":
        return parsed.out_type
    if _calibrated(parsed) and parsed.min_calib_range >= 0:
        return "uint8"
    return "int8"


def _quantize_v2_infer(parsed, shapes, dtypes):
    dtype = dtypes[0]
    if dtype not in ("int8", "uint8"):
        _float_input("quantize_v2", dtype)
    out = _output_type(parsed)
    return ([(shapes[0], dtype)],
            [(shapes[0], out), ((1,), "float32"), ((1,), "float32")])


def _quantize_v2_forward(parsed, arrays, is_train):
    data = arrays[0]
    if data.dtype in (_np.int8, _np.uint8):
        if _calibrated(parsed):
            low, high = parsed.min_calib_range, parsed.max_calib_range
        elif data.dtype == _np.uint8:
            low, high = 0.0, _UINT8_RANGE
        else:
            low, high = -_INT8_RANGE, _INT8_RANGE
        # MXNet copies the bytes into an output of out_type.
        return [data.view(_output_type(parsed)).copy()] + \
            _scalars(low, high)
    out_type = _output_type(parsed)
    if _calibrated(parsed):
        low, high = parsed.min_calib_range, parsed.max_calib_range
    elif data.size:
        # MXNet's min/max reduction starts at +/-FLT_MAX and skips NaN
        # (it never compares smaller or greater); inf counts.
        finite_max = float(_np.finfo(_np.float32).max)
        known = data[~_np.isnan(data)]
        low = float(known.min()) if known.size else finite_max
        high = float(known.max()) if known.size else -finite_max
    else:
        low, high = 0.0, 0.0
    real = max(abs(_np.float32(low)), abs(_np.float32(high)))
    return [_quantize_to(data, real, out_type)] + \
        _scalars(*_ranges_of(out_type, low, high))


register(_QUANTIZE_V2, _quantize_v2_infer, _quantize_v2_forward, None,
         ["data"], _NUMBERED,
         doc="Quantizes float32 data to int8 / uint8 for its own or a "
             "calibration range.")


# -- dequantize -------------------------------------------------------------------
_DEQUANTIZE = Params("_contrib_dequantize", [
    Param("out_type", enum("float32"), "float32")])


def _dequantize_infer(parsed, shapes, dtypes):
    if dtypes[0] is not None and dtypes[0] not in ("int8", "uint8"):
        raise MXNetError("Check failed: in_attrs->at(0) == mshadow::kUint8 "
                         "|| in_attrs->at(0) == mshadow::kInt8: the input "
                         "data type of dequantize op must be provided, "
                         "either uint8 or int8 (got %s)" % dtypes[0])
    for name, shape in zip(("min_range", "max_range"), shapes[1:]):
        _scalar_shape(name, shape)
    return ([(shapes[0], dtypes[0]), ((1,), "float32"), ((1,), "float32")],
            [(shapes[0], "float32")])


def _dequantize_forward(parsed, arrays, is_train):
    data, low, high = arrays
    real = max(abs(_np.float32(low.reshape(-1)[0])),
               abs(_np.float32(high.reshape(-1)[0])))
    levels = _INT8_RANGE if data.dtype == _np.int8 else _UINT8_RANGE
    return [data.astype(_np.float32) * _np.float32(real / levels)]


register(_DEQUANTIZE, _dequantize_infer, _dequantize_forward, None,
         ["data", "min_range", "max_range"], ["output"],
         doc="int8 / uint8 data back to float32.")


# -- requantize -------------------------------------------------------------------
_REQUANTIZE = Params("_contrib_requantize", [
    Param("out_type", enum("auto", "int8", "uint8"), "int8"),
    Param("min_calib_range", OPTIONAL_FLOAT, None),
    Param("max_calib_range", OPTIONAL_FLOAT, None)])


def _requantize_infer(parsed, shapes, dtypes):
    if dtypes[0] is not None and dtypes[0] != "int32":
        raise MXNetError("requantize: data expected int32, got %s"
                         % dtypes[0])
    for name, shape in zip(("min_range", "max_range"), shapes[1:]):
        _scalar_shape(name, shape)
    return ([(shapes[0], "int32"), ((1,), "float32"), ((1,), "float32")],
            [(shapes[0], _output_type(parsed)), ((1,), "float32"),
             ((1,), "float32")])


def _requantize_forward(parsed, arrays, is_train):
    data, low, high = arrays
    in_range = max(abs(_np.float32(low.reshape(-1)[0])),
                   abs(_np.float32(high.reshape(-1)[0])))
    if _calibrated(parsed):
        real = max(abs(_np.float32(parsed.min_calib_range)),
                   abs(_np.float32(parsed.max_calib_range)))
    else:
        biggest = int(_np.abs(data.astype(_np.int64)).max()) if data.size \
            else 0
        real = _np.float32(_np.float32(biggest) * in_range) / _INT32_RANGE
    out_type = _output_type(parsed)
    levels = _np.float32(127 if out_type == "int8" else 255)
    with _np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        scale = _np.float32(in_range / _INT32_RANGE) * \
            _np.float32(levels / _np.float32(real))
        values = _np.rint(data.astype(_np.float32) * scale)
    low = -real if out_type == "int8" else 0.0
    return [_saturate(values, out_type)] + _scalars(low, real)


register(_REQUANTIZE, _requantize_infer, _requantize_forward, None,
         ["data", "min_range", "max_range"],
         _NUMBERED,
         doc="int32 data (an int8 layer's accumulator) to int8 / uint8.")


# -- quantized_flatten, quantized_act ---------------------------------------------
def _quantized_input(op, dtype):
    if dtype is not None and dtype not in ("int8", "uint8"):
        raise MXNetError("%s: data expected int8 or uint8, got %s"
                         % (op, dtype))


def _flatten_infer(parsed, shapes, dtypes):
    _quantized_input("quantized_flatten", dtypes[0])
    data = shapes[0]
    out = None
    if data is not None:
        out = (data[0], int(_np.prod(data[1:]))) if data else (1, 1)
    return ([(data, dtypes[0]), ((1,), "float32"), ((1,), "float32")],
            [(out, dtypes[0]), ((1,), "float32"), ((1,), "float32")])


def _flatten_forward(parsed, arrays, is_train):
    data, low, high = arrays
    return [data.reshape(data.shape[0], -1), low.astype(_np.float32),
            high.astype(_np.float32)]


register(Params("_contrib_quantized_flatten", []), _flatten_infer,
         _flatten_forward, None, ["data", "min_data", "max_data"],
         ["output", "min_output", "max_output"],
         doc="Flatten of quantized data, ranges passed through.")

_ACT = Params("_contrib_quantized_act", [
    Param("act_type", enum("relu", "sigmoid", "softrelu", "softsign",
                           "tanh"))])


def _act_infer(parsed, shapes, dtypes):
    if parsed.act_type != "relu":
        raise MXNetError("_contrib_quantized_act only supports "
                         "act_type=relu for now")
    _quantized_input("quantized_act", dtypes[0])
    return ([(shapes[0], dtypes[0]), ((1,), "float32"), ((1,), "float32")],
            [(shapes[0], "int8"), ((1,), "float32"), ((1,), "float32")])


def _act_forward(parsed, arrays, is_train):
    data, low, high = arrays
    # MXNet's output is int8 whatever the input; uint8 bytes read as int8.
    values = data.view(_np.int8) if data.dtype == _np.uint8 else data
    relu = values if data.dtype == _np.uint8 else _np.maximum(values, 0)
    return [relu.astype(_np.int8), low.astype(_np.float32),
            high.astype(_np.float32)]


register(_ACT, _act_infer, _act_forward, None,
         ["data", "min_data", "max_data"],
         ["output", "min_output", "max_output"],
         doc="ReLU of int8 data, ranges passed through.")

__all__ = []

# The int8 compute operators (quantized_conv, ...) build on these helpers.
from . import quantized_compute  # noqa: E402,F401
