"""MXNet's OpenCV image operators (src/io/image_io.cc, src/ndarray/ndarray.cc
in MXNet 1.9.1), which mx.image wraps:

    _cvimdecode(buf, flag=1, to_rgb=True)     bytes (uint8 NDArray) -> (H, W, C)
    _cvimread(filename, flag=1, to_rgb=True)  a file -> (H, W, C)
    _cvimresize(src, w, h, interp=1)          (H, W, C) -> (h, w, C)
    _cvcopyMakeBorder(src, top, bot, left, right, type=0, value=0, values=())
    _imdecode(mean, index, x0, y0, x1, y1, c, size, str_img)  legacy, (c, H, W)
    imdecode(str_img, clip_rect, out, index, channels, mean)  its mx.nd wrapper

kiln has no OpenCV: decoding goes through kiln/_image_codec.py (Pillow, with
OpenCV's conventions; bit for bit with MXNet's decoder on PNG, JPEG and BMP),
resizing through the registry's _image_resize (OpenCV's cv::resize modes 0-4),
border padding in numpy with OpenCV's border modes. mx.nd._internal
exposes the '_' functions; mx.nd.imdecode is imdecode.
"""
import errno as _errno
import io as _io
import os as _os

import numpy as _np

from .. import _image_codec
from ..base import MXNetError

# OpenCV's cv::ImreadModes bits that decide what cv::imdecode returns.
_IMREAD_COLOR, _IMREAD_ANYDEPTH, _IMREAD_ANYCOLOR = 1, 2, 4
# OpenCV's cv::BorderTypes; BORDER_ISOLATED (16) may be or-ed in and
# changes nothing for a whole image.
_BORDER_MODES = {0: "constant", 1: "replicate", 2: "reflect", 3: "wrap",
                 4: "reflect_101"}
_BORDER_ISOLATED = 16
_RESIZE_DTYPES = ("uint8", "float32", "float64")


def _nd():
    # ndarray.ndarray imports this module; import it when first called.
    from . import ndarray
    return ndarray


def _check_min(op, name, value, low):
    """MXNet's parameter check: value >= low, else MXNetError."""
    if value < low:
        raise MXNetError("%s: value %d for Parameter %s should be greater "
                         "equal to %d" % (op, value, name, low))


def _int_param(op, name, value):
    """`value` as MXNet parses an int parameter from its text: an integer
    (or its digits) within int32, else MXNetError naming it."""
    text = str(value)
    try:
        number = int(text)
    except ValueError:
        number = None
    if isinstance(value, bool) or number is None or \
            not -2 ** 31 <= number < 2 ** 31:
        raise MXNetError("%s: Invalid Parameter format for %s expect int but "
                         "value='%s', in operator %s" % (op, name, text, op))
    return number


def _is_grey(data):
    """Whether the encoded image stores one channel (a grey PNG/JPEG/...),
    which OpenCV keeps grey under IMREAD_ANYCOLOR (grey+alpha PNGs it
    expands to colour)."""
    image = _image_codec._pil().open(_io.BytesIO(data))
    return image.mode in ("1", "L", "I", "I;16", "I;16B", "F")


def _is_deep(data):
    """Whether the encoded image has more than 8 bits a sample, which
    OpenCV keeps under IMREAD_ANYDEPTH."""
    image = _image_codec._pil().open(_io.BytesIO(data))
    return image.mode in ("I", "I;16", "I;16B", "F")


def _decode(op, data, flag, to_rgb):
    """uint8 (H, W, 3) for flag != 0, (H, W, 1) for flag 0, as MXNet's
    ImdecodeImpl: cv::imdecode(data, flag) copied into a uint8 buffer of 1
    or 3 channels. A flag whose decoded image is neither (flag 2, or 4 on
    a grey image, or 2|1 on a 16-bit one) fails there, and here."""
    if not data:
        raise MXNetError("%s: Input cannot be an empty buffer" % op)
    _check_min(op, "flag", flag, 0)
    image = _image_codec.decode(data, 0 if flag == 0 else 1,
                                bgr=not to_rgb)
    if flag == 0:
        return image[:, :, None]
    colour = bool(flag & _IMREAD_COLOR) or (
        bool(flag & _IMREAD_ANYCOLOR) and not _is_grey(data))
    if flag > 7 and not flag & _IMREAD_COLOR or not colour or (
            flag & _IMREAD_ANYDEPTH and _is_deep(data)):
        raise MXNetError(
            "%s: flag=%d decodes this image to other than 3-channel uint8, "
            "which MXNet's decoder cannot output (use flag 0 or 1)"
            % (op, flag))
    return image


def _write(op, result, out):
    """result (a numpy array) as a new NDArray, or into `out`, which must
    have its shape and dtype."""
    nd = _nd()
    if out is None:
        return nd.array(result, dtype=result.dtype)
    if tuple(out.shape) != result.shape or _np.dtype(out.dtype) != result.dtype:
        raise MXNetError("%s: out expected shape %s and dtype %s, got %s "
                         "and %s" % (op, result.shape, result.dtype,
                                     tuple(out.shape), _np.dtype(out.dtype)))
    out[:] = result
    return out


def _cvimdecode(buf, flag=1, to_rgb=True, out=None, name=None):
    """Decodes the image whose encoded bytes are `buf` (a uint8 NDArray of
    any shape) with OpenCV's conventions (MXNet's _cvimdecode).

    flag: 0 greyscale, (H, W, 1); 1 (default) colour, (H, W, 3) (alpha
    dropped, grey replicated); OpenCV's other imread flags as its decoder.
    to_rgb: channels RGB (default) or BGR (OpenCV's order).
    Returns a uint8 NDArray (or fills `out`, of that shape and dtype).
    Raises MXNetError for a buffer that is not uint8, empty or not an
    image, a negative flag, or a flag OpenCV decodes to something else.
    """
    op = "_cvimdecode"
    if _np.dtype(buf.dtype) != _np.uint8:
        raise MXNetError("%s: Input needs to be uint8 buffer, got %s"
                         % (op, _np.dtype(buf.dtype)))
    data = buf.asnumpy().tobytes()
    try:
        image = _decode(op, data, _int_param(op, "flag", flag),
                        bool(to_rgb))
    except MXNetError as error:
        if "cannot decode" in str(error):
            raise MXNetError("%s: Decoding failed. Invalid image file (%d "
                             "bytes)" % (op, len(data))) from None
        raise
    return _write(op, image, out)


def _cvimread(filename, flag=1, to_rgb=True, out=None, name=None):
    """Reads and decodes the image file `filename` as _cvimdecode does
    (MXNet's _cvimread): a uint8 NDArray (H, W, 3), or (H, W, 1) for
    flag 0. Raises MXNetError for a file it cannot open (naming it and the
    reason) or that is not an image."""
    op = "_cvimread"
    try:
        with open(filename, "rb") as stream:
            data = stream.read()
    except OSError as error:
        reason = _os.strerror(error.errno or _errno.EIO)
        raise MXNetError("%s: '%s' couldn't open file: %s"
                         % (op, filename, reason)) from None
    try:
        image = _decode(op, data, _int_param(op, "flag", flag),
                        bool(to_rgb))
    except MXNetError as error:
        if "cannot decode" in str(error):
            raise MXNetError("%s: Decoding failed. Invalid image file '%s'"
                             % (op, filename)) from None
        raise
    return _write(op, image, out)


def _cvimresize(src, w, h, interp=1, out=None, name=None):
    """src (H, W, C) resized to (h, w, C) as OpenCV's cv::resize (MXNet's
    _cvimresize), through the registry's _image_resize.

    interp: 0 nearest, 1 bilinear (default), 2 bicubic, 3 area,
    4 Lanczos4. src dtype uint8, float32 or float64; the result has it.
    Raises MXNetError for w or h below 1, src not 3-D, another dtype, or
    another interp (OpenCV's 5, INTER_LINEAR_EXACT, is not implemented).
    """
    op = "_cvimresize"
    w, h = _int_param(op, "w", w), _int_param(op, "h", h)
    _check_min(op, "w", w, 1)
    _check_min(op, "h", h, 1)
    if len(src.shape) != 3:
        raise MXNetError("%s: src expected shape (height, width, channels), "
                         "got %s" % (op, tuple(src.shape)))
    dtype = _np.dtype(src.dtype).name
    if dtype not in _RESIZE_DTYPES:
        raise MXNetError("%s: src expected dtype uint8, float32 or float64 "
                         "(as OpenCV's resize), got %s" % (op, dtype))
    if interp not in (0, 1, 2, 3, 4):
        raise MXNetError("%s: Unknown interpolation method %s (expected 0-4%s)"
                         % (op, interp, "; INTER_LINEAR_EXACT is not "
                            "implemented" if interp == 5 else ""))
    from . import image
    return image.resize(src, size=(int(w), int(h)), interp=int(interp),
                        out=out)


def _border_fill(dtype, value, values, channels):
    """The per-channel constant of OpenCV's BORDER_CONSTANT as MXNet builds
    its cv::Scalar: `values` (up to 4, the rest 0), else (value, value,
    value, 0); converted to dtype as OpenCV's saturate_cast (round half to
    even, clip) for integer types. Images of over 4 channels need one
    value for all four."""
    scalar = [float(v) for v in values][:4] if len(values) else [value] * 3
    scalar = [float(v) for v in scalar] + [0.0] * (4 - len(scalar))
    if channels > 4:
        if len(set(scalar)) != 1:
            raise MXNetError(
                "_cvcopyMakeBorder: an image of %d channels needs the same "
                "fill for all, got %s" % (channels, tuple(scalar)))
        scalar = scalar * channels
    fill = _np.array(scalar[:channels], dtype=_np.float64)
    if _np.issubdtype(dtype, _np.integer):
        info = _np.iinfo(dtype)
        fill = _np.clip(_np.rint(fill), info.min, info.max)
    return fill.astype(dtype)


def _border_source(start, count, size, mode):
    """The source index of each of `count` output positions from `start`
    (negative before the image) along an axis of `size`, as OpenCV's
    borderInterpolate (periodic for any margin, unlike numpy.pad's wrap)."""
    pos = _np.arange(start, start + count)
    if mode == "replicate":
        return _np.clip(pos, 0, size - 1)
    if mode == "wrap":
        return pos % size
    if mode == "reflect":  # fedcba|abcdefgh|hgfedcb
        pos = pos % (2 * size)
        return _np.where(pos < size, pos, 2 * size - 1 - pos)
    if size == 1:  # reflect_101: gfedcb|abcdefgh|gfedcba
        return _np.zeros_like(pos)
    pos = pos % (2 * size - 2)
    return _np.where(pos < size, pos, 2 * size - 2 - pos)


def _cvcopyMakeBorder(src, top, bot, left, right, type=0, value=0.0,
                      values=(), out=None, name=None):
    """src (H, W, C) padded to (H + top + bot, W + left + right, C) as
    OpenCV's cv::copyMakeBorder (MXNet's _cvcopyMakeBorder).

    type: OpenCV's border: 0 constant (`values` per channel, up to 4, else
    `value` for the first three), 1 replicate, 2 reflect (fedcba|abcd),
    3 wrap, 4 reflect-101 (gfedcb|abcd); 16 (BORDER_ISOLATED) may be
    or-ed in. Keeps src's dtype. Raises MXNetError for a negative margin,
    src not 3-D, or another type.
    """
    op = "_cvcopyMakeBorder"
    if len(src.shape) != 3:
        raise MXNetError("%s: src expected shape (height, width, channels), "
                         "got %s" % (op, tuple(src.shape)))
    margins = {key: _int_param(op, key, margin) for key, margin in
               dict(top=top, bot=bot, left=left, right=right).items()}
    top, bot, left, right = (margins[key] for key in
                             ("top", "bot", "left", "right"))
    for key, margin in margins.items():
        if margin < 0:
            raise MXNetError("%s: margins must be >= 0, got %s=%d"
                             % (op, key, margin))
    mode = _BORDER_MODES.get(type & ~_BORDER_ISOLATED) \
        if isinstance(type, int) and type >= 0 else None
    if mode is None:
        raise MXNetError("%s: Unknown/unsupported border type %r (expected "
                         "0-4, optionally | 16)" % (op, type))
    data = src.asnumpy()
    if mode == "constant":
        fill = _border_fill(data.dtype, value, values, data.shape[2])
        result = _np.empty((data.shape[0] + top + bot,
                            data.shape[1] + left + right, data.shape[2]),
                           dtype=data.dtype)
        result[...] = fill
        result[top:top + data.shape[0], left:left + data.shape[1]] = data
    else:
        height, width = data.shape[:2]
        rows = _border_source(-top, height + top + bot, height, mode)
        cols = _border_source(-left, width + left + right, width, mode)
        result = data[rows][:, cols]
    return _write(op, result, out)


def _imdecode(mean, index, x0, y0, x1, y1, c, size, str_img=None, out=None,
              name=None):
    """MXNet's legacy decoder (ndarray.cc's Imdecode): the image in
    `str_img` (bytes; its first `size` used) as (c, y1-y0, x1-x0), clipped
    to the rectangle (x0, y0)-(x1, y1) (all of it when y1 == y0), channels
    in OpenCV's order (BGR(A), or grey for c == 1), minus `mean` (an
    NDArray (c, h, w), or None) and written as float32 (mean's dtype) --
    or into `out`, (c, h, w) or (N, c, h, w) at `index`.

    MXNet 1.9.1 itself fails on every call under Python 3 (it passes the
    bytes as a string attribute); this is what its source computes.
    Raises MXNetError for undecodable bytes, c above the image's channels,
    a rectangle outside it, or an out/mean of another shape.
    """
    op = "_imdecode"
    nd = _nd()
    data = bytes(str_img)[:int(size)] if str_img is not None else b""
    if not data:
        raise MXNetError("%s: Input cannot be an empty buffer" % op)
    try:
        image = _image_codec.decode(data, 0 if c == 1 else -1, bgr=True)
    except MXNetError:
        raise MXNetError("%s: OpenCV Failed to decode image" % op) from None
    if image.ndim == 2:
        image = image[:, :, None]
    if c > image.shape[2]:
        raise MXNetError("%s: c=%d is more than the image's %d channels"
                         % (op, c, image.shape[2]))
    if y1 - y0 == 0:
        x0, y0, x1, y1 = 0, 0, image.shape[1], image.shape[0]
    if not (0 <= x0 <= x1 <= image.shape[1] and 0 <= y0 <= y1 <= image.shape[0]):
        raise MXNetError("%s: clip rectangle (%d, %d, %d, %d) outside the "
                         "%dx%d image" % (op, x0, y0, x1, y1, image.shape[1],
                                          image.shape[0]))
    chw = _np.transpose(image[y0:y1, x0:x1, :c], (2, 0, 1))
    shape = chw.shape
    if mean is not None:
        if tuple(mean.shape) != shape:
            raise MXNetError("%s: mean expected shape %s, got %s"
                             % (op, shape, tuple(mean.shape)))
        dtype = _np.dtype(mean.dtype)
        chw = (chw.astype(dtype) - mean.asnumpy()).astype(dtype)
    else:
        dtype = _np.dtype(out.dtype) if out is not None else _np.float32
        chw = chw.astype(dtype)
    if out is None:
        return nd.array(chw, dtype=dtype)
    target = out if len(out.shape) == 3 else out[int(index)]
    if tuple(target.shape) != shape:
        raise MXNetError("%s: out expected shape %s (or (N,) + it), got %s"
                         % (op, shape, tuple(out.shape)))
    target[:] = chw
    return out


def imdecode(str_img, clip_rect=(0, 0, 0, 0), out=None, index=0, channels=3,
             mean=None):
    """DEPRECATED in MXNet for mx.image.imdecode: `str_img` decoded to a
    (channels, H, W) float32 NDArray (OpenCV's BGR order), clipped to
    clip_rect (x0, y0, x1, y1), minus `mean`, or written into `out`
    ((c, h, w), or (N, c, h, w) at `index`). See _imdecode."""
    return _imdecode(mean, index, clip_rect[0], clip_rect[1], clip_rect[2],
                     clip_rect[3], channels, len(str_img), str_img=str_img,
                     out=out)
