"""MXNet 1.9.1's signal-processing contrib operators (src/operator/contrib/
fft.cc, ifft.cc, count_sketch.cc), on the host with numpy.

MXNet runs these three only on GPUs (its CPU build raises "fft is only
available for GPU."); kiln computes on the host what MXNet's CUDA kernels
compute:

    fft(data, compute_size=128)
        data (N, d) or (N1, N2, N3, d), real -> (..., 2 * d): the
        unnormalized DFT along the last axis, each complex value as a
        [real, imag] pair. Gradient: the real part of the unnormalized
        inverse DFT of the output gradient (as MXNet's, the exact one).
    ifft(data, compute_size=128)
        data (N, 2 * d) or (N1, N2, N3, 2 * d) of [real, imag] pairs ->
        (..., d): the real part of the unnormalized inverse DFT (not
        divided by d, "consistent with caffe"). Gradient: the DFT of the
        output gradient, as pairs.
    count_sketch(data, h, s, out_dim, processing_batch_size=32)
        data (N, d) or (N1, N2, N3, d); h, s (1, d): index and sign hash
        tables -> (..., out_dim) with out[..., h[i]] += data[..., i] * s[i].
        Gradient: data's, out_grad[..., h[i]] * s[i]; none for h and s.

compute_size and processing_batch_size are MXNet's sub-batch sizes: they
do not change the results. float16, float32 and float64, all inputs of one
dtype; other ranks, an odd ifft length, h values outside [0, out_dim) and
mismatched hash tables raise MXNetError.
"""
import numpy as _np

from ..base import MXNetError
from ._common import check, register
from ._params import INT, Param, Params

_FLAGS = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4,
          "int8": 5, "int64": 6}


def _uniform_dtype(op, names, dtypes):
    """The inputs' common dtype (MXNet's legacy operators take the first
    input's and require it of the others), None while unknown."""
    first = dtypes[0]
    if first is None:
        return None
    for name, dtype in zip(names[1:], dtypes[1:]):
        if dtype is not None and dtype != first:
            raise MXNetError("Check failed: (*in_type)[i] == dtype (%d vs. "
                             "%d) : This layer requires uniform type. "
                             "Expected %d v.s. given %d at %s"
                             % (_FLAGS.get(dtype, -1), _FLAGS.get(first, -1),
                                _FLAGS.get(first, -1),
                                _FLAGS.get(dtype, -1), name))
    if first not in ("float16", "float32", "float64"):
        raise MXNetError("%s: data expected float16, float32 or float64, "
                         "got %s" % (op, first))
    return first


def _rank_check(op, shape):
    if len(shape) not in (2, 4):
        raise MXNetError("%s: data expected a 2-D (N, d) or 4-D (N1, N2, "
                         "N3, d) array, got shape %s" % (op, tuple(shape)))


# -- fft, ifft ---------------------------------------------------------------
_FFT = Params("_contrib_fft", [Param("compute_size", INT, 128)])
_IFFT = Params("_contrib_ifft", [Param("compute_size", INT, 128)])


def _pairs(values):
    """Complex values (..., d) as [real, imag] pairs (..., 2 * d)."""
    return _np.stack([values.real, values.imag], axis=-1).reshape(
        values.shape[:-1] + (2 * values.shape[-1],))


def _complex(pairs):
    """[real, imag] pairs (..., 2 * d) as complex values (..., d)."""
    pairs = pairs.astype(_np.float64)
    return pairs[..., 0::2] + 1j * pairs[..., 1::2]


def _transform_infer(op, last):
    """infer of fft / ifft: last(extent) is the output's last extent."""
    def infer(parsed, shapes, dtypes):
        dtype = _uniform_dtype(op, ["data"], dtypes)
        data = shapes[0]
        out = None
        if data is not None:
            _rank_check(op, data)
            out = tuple(data[:-1]) + (last(data),)
        return [(data, dtype)], [(out, dtype)]
    return infer


def _ifft_length(data):
    check(data[-1] % 2 == 0, "data.shape[-1] %% 2 == 0 (%d vs. 0) : "
          "ifft's data holds [real, imag] pairs; its last extent must "
          "be even, got shape %s" % (data[-1] % 2, tuple(data)))
    return data[-1] // 2


_fft_infer = _transform_infer("fft", lambda data: 2 * data[-1])
_ifft_infer = _transform_infer("ifft", _ifft_length)


def _fft_forward(parsed, arrays, is_train):
    data = arrays[0]
    return [_pairs(_np.fft.fft(data.astype(_np.float64), axis=-1))
            .astype(data.dtype)]


def _fft_backward(parsed, arrays, outputs, out_grads):
    grad = out_grads[0]
    size = grad.shape[-1] // 2
    # The unnormalized inverse DFT: numpy's ifft times the length.
    inverse = _np.fft.ifft(_complex(grad), axis=-1) * size
    return [inverse.real.astype(arrays[0].dtype)]


def _ifft_forward(parsed, arrays, is_train):
    data = arrays[0]
    size = data.shape[-1] // 2
    inverse = _np.fft.ifft(_complex(data), axis=-1) * size
    return [inverse.real.astype(data.dtype)]


def _ifft_backward(parsed, arrays, outputs, out_grads):
    grad = out_grads[0]
    return [_pairs(_np.fft.fft(grad.astype(_np.float64), axis=-1))
            .astype(arrays[0].dtype)]


register(_FFT, _fft_infer, _fft_forward, _fft_backward, ["data"],
         ["output"], doc="1-D DFT of the last axis as [real, imag] pairs.")
register(_IFFT, _ifft_infer, _ifft_forward, _ifft_backward, ["data"],
         ["output"], doc="Real part of the unnormalized 1-D inverse DFT of "
                         "[real, imag] pairs along the last axis.")


# -- count_sketch --------------------------------------------------------------
_SKETCH = Params("_contrib_count_sketch", [
    Param("out_dim", INT), Param("processing_batch_size", INT, 32)])


def _sketch_infer(parsed, shapes, dtypes):
    dtype = _uniform_dtype("count_sketch", ["data", "h", "s"], dtypes)
    data, h, s = shapes
    out = None
    if data is not None:
        check(len(data) in (2, 4), "dshape.ndim() == 2 (%d vs. 2) : Data "
              "should be 2D or 4D!" % len(data))
        for name, table in (("h", h), ("s", s)):
            if table is None:
                continue
            label = name.upper()
            check(len(table) >= 2, "%s should be 2D tensor of shape (1, %d), "
                  "got shape %s" % (label, data[-1], tuple(table)))
            check(table[1] == data[-1], "(*in_shape)[CountSketch::k%s][1] == "
                  "dshape[%d] (%d vs. %d) : %s should be 2D tensor with same "
                  "length as input shape[%d], %d v.s. %d"
                  % (label, len(data) - 1, table[1], data[-1], label,
                     len(data) - 1, table[1], data[-1]))
            check(int(_np.prod(table)) == data[-1], "%s expected %d values "
                  "(one per input feature), got shape %s"
                  % (label, data[-1], tuple(table)))
        check(parsed.out_dim > 0, "out_dim expected a positive value, got %d"
              % parsed.out_dim)
        if parsed.out_dim >= 2 ** 31:  # MXNet's int field
            raise MXNetError("Invalid Parameter format for out_dim expect "
                             "int but value='%d', in operator "
                             "_contrib_count_sketch" % parsed.out_dim)
        out = tuple(data[:-1]) + (parsed.out_dim,)
    return [(data, dtype), (h, dtype), (s, dtype)], [(out, dtype)]


def _hash_indices(parsed, h):
    indices = h.reshape(-1).astype(_np.int64)
    bad = (indices < 0) | (indices >= parsed.out_dim)
    if bad.any():
        raise MXNetError("count_sketch: h expected indices in [0, %d) "
                         "(out_dim), got %s" % (parsed.out_dim,
                                               h.reshape(-1)[bad][0]))
    return indices


def _sketch_forward(parsed, arrays, is_train):
    data, h, s = arrays
    indices = _hash_indices(parsed, h)
    flat = data.reshape(-1, data.shape[-1])
    out = _np.zeros((flat.shape[0], parsed.out_dim), dtype=data.dtype)
    signed = flat * s.reshape(-1).astype(data.dtype)
    # Several features may share a bucket: accumulate, not assign.
    _np.add.at(out, (slice(None), indices), signed)
    return [out.reshape(data.shape[:-1] + (parsed.out_dim,))]


def _sketch_backward(parsed, arrays, outputs, out_grads):
    data, h, s = arrays
    indices = _hash_indices(parsed, h)
    grad = out_grads[0].reshape(-1, parsed.out_dim)
    data_grad = grad[:, indices] * s.reshape(-1).astype(data.dtype)
    return [data_grad.reshape(data.shape).astype(data.dtype), None, None]


register(_SKETCH, _sketch_infer, _sketch_forward, _sketch_backward,
         ["data", "h", "s"], ["output"],
         doc="Count sketch: out[..., h[i]] += data[..., i] * s[i].")

__all__ = []
