"""Image bytes <-> uint8 numpy arrays through Pillow (Debian's python3-pil),
with OpenCV's conventions, which MXNet's image decoding and
mx.recordio.pack_img/unpack_img follow.

    decode(buf, flag=1)            # (H, W, 3) RGB, as mx.image.imdecode
    decode(buf, -1, bgr=True)      # as cv2.imdecode(buf, IMREAD_UNCHANGED)
    encode(img, '.png', 3, bgr=True)

flag as OpenCV's imdecode: 1 colour (3 channels; alpha dropped, grey
replicated), 0 greyscale, -1 unchanged (2-D grey, 3 or 4 channels). Colour
to grey is computed as OpenCV's decoders compute it: libpng's weights for
PNG, a JPEG's luma straight from libjpeg, cvtColor's weights otherwise. Errors: undecodable bytes or an unsupported format raise
MXNetError; Pillow missing raises ImportError naming the Debian package.
"""
import io
import threading

import numpy as np

from .base import MXNetError


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("decoding and encoding images needs Pillow: install "
                          "Debian's python3-pil (tools/setup/"
                          "debian-packages.txt lists it)") from None
    return Image


# OpenCV's CV_IO_MAX_IMAGE_PIXELS: the largest image its decoders take.
_MAX_PIXELS = 1 << 30
_PIL_LIMIT_LOCK = threading.Lock()


def _open_unlimited(Image, data):
    """Image.open without Pillow's decompression-bomb limit (about 179M
    pixels), which OpenCV does not have: MXNet decodes a 14000 x 14000
    PNG. The limit is a Pillow global, so it is lifted only around the
    open (where Pillow checks it), under a lock; OpenCV's own limit of
    2**30 pixels is checked instead."""
    with _PIL_LIMIT_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            image = Image.open(io.BytesIO(data))
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    width, height = image.size
    if width * height > _MAX_PIXELS:
        raise ValueError("%d x %d pixels exceed OpenCV's limit of %d"
                         % (width, height, _MAX_PIXELS))
    return image


def _to_grey(rgb, fmt):
    """uint8 (H, W, 3) RGB to (H, W) grey as OpenCV's decoders do: PNG
    through libpng's png_set_rgb_to_gray(0.299, 0.587) (15-bit weights,
    truncated), other formats through cvtColor (14-bit weights, rounded)."""
    rgb = rgb.astype(np.uint32)
    if fmt == "PNG":
        grey = (rgb[..., 0] * 9797 + rgb[..., 1] * 19234
                + rgb[..., 2] * 3737) >> 15
    else:
        grey = (rgb[..., 0] * 4899 + rgb[..., 1] * 9617 + rgb[..., 2] * 1868
                + 8192) >> 14
    return grey.astype(np.uint8)


def decode(buf, flag=1, bgr=False):
    """The uint8 image encoded in `buf` (bytes or a uint8 array): (H, W, 3)
    for flag 1, (H, W) for flag 0, as stored for flag -1; channels RGB(A),
    or BGR(A) when `bgr`."""
    Image = _pil()
    data = bytes(np.asarray(buf, dtype=np.uint8)) \
        if isinstance(buf, np.ndarray) else bytes(buf)
    try:
        image = _open_unlimited(Image, data)
        if flag == 0 and image.format == "JPEG":
            image.draft("L", image.size)
        image.load()
    except Exception as error:
        raise MXNetError("imdecode: cannot decode the image (%d bytes): %s"
                         % (len(data), error)) from None
    if image.mode in ("I;16", "I;16B", "I", "F"):
        # 16-bit and float images: OpenCV gives 8 bits (its top byte).
        array = np.asarray(image).astype(np.float64)
        image = Image.fromarray((array / 256).clip(0, 255).astype(np.uint8))
    if flag == 0:
        if image.mode == "L":
            return np.asarray(image, dtype=np.uint8).copy()
        return _to_grey(np.asarray(image.convert("RGB"), dtype=np.uint8),
                        image.format)
    if flag == -1 and image.mode in ("L", "RGB", "RGBA"):
        out = np.asarray(image, dtype=np.uint8)
    elif flag == -1 and image.mode in ("LA", "PA") or (
            flag == -1 and image.mode == "P" and "transparency" in image.info):
        out = np.asarray(image.convert("RGBA"), dtype=np.uint8)
    else:
        out = np.asarray(image.convert("RGB"), dtype=np.uint8)
    if bgr and out.ndim == 3:
        out = out[..., [2, 1, 0, 3][:out.shape[2]]]
    return np.ascontiguousarray(out)


def encode(img, img_fmt=".jpg", quality=95, bgr=False):
    """The bytes of the uint8 image `img` ((H, W), (H, W, 1), (H, W, 3) or
    (H, W, 4); BGR(A) when `bgr`) encoded as img_fmt: '.jpg'/'.jpeg' with
    JPEG `quality` (1-100), '.png' with compression level min(quality, 9)."""
    Image = _pil()
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise MXNetError("imencode: expected a uint8 image, got %s" % img.dtype)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 3 and img.shape[2] in (3, 4):
        if bgr:
            img = img[..., [2, 1, 0, 3][:img.shape[2]]]
    elif img.ndim != 2:
        raise MXNetError("imencode: expected an image of shape (H, W) or "
                         "(H, W, 1|3|4), got %s" % (img.shape,))
    image = Image.fromarray(np.ascontiguousarray(img))
    out = io.BytesIO()
    fmt = img_fmt.upper()
    if fmt in (".JPG", ".JPEG"):
        if image.mode == "RGBA":
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=int(quality))
    elif fmt == ".PNG":
        image.save(out, format="PNG", compress_level=min(int(quality), 9))
    else:
        raise MXNetError("imencode: unsupported image format %r (expected "
                         "'.jpg', '.jpeg' or '.png')" % img_fmt)
    return out.getvalue()
