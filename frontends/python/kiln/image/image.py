"""mx.image: decoding, resizing and cropping images, augmenters and ImageIter,
as MXNet 1.9.1's mxnet/image/image.py.

    img = mx.image.imread("cat.png")            # uint8 (H, W, 3) RGB NDArray
    img = mx.image.imdecode(open(f, "rb").read(), flag=0)   # (H, W, 1)
    small = mx.image.resize_short(img, 224)     # OpenCV's cv::resize
    crop, (x, y, w, h) = mx.image.center_crop(small, (224, 224))
    augs = mx.image.CreateAugmenter((3, 224, 224), rand_crop=True, mean=True)
    it = mx.image.ImageIter(32, (3, 224, 224), path_imgrec="train.rec")

Images are (height, width, channels) NDArrays; sizes are (width, height), as
MXNet's. The operators behind them (mx.nd._internal._cvimdecode, _cvimread,
_cvimresize, _cvcopyMakeBorder) are in kiln/ndarray/_cv_image.py. The random
augmenters draw from Python's `random` module (LightingAug and
random_rotate from numpy.random) as MXNet's do, so seeding those gives
MXNet's choices. kiln has no mx.np, so the numpy-array paths MXNet takes
under is_np_array() are not here.
"""
import json
import logging
import os
import random
import warnings
from numbers import Number

import numpy as np

from ..base import MXNetError, numeric_types
from .. import ndarray as nd
from ..ndarray import _internal
from .. import io
from .. import recordio

# OpenCV's interpolation codes that imresize takes; 9 and 10 are MXNet's
# "auto" and "random" choices among them.
_INTERP_AUTO, _INTERP_RANDOM = 9, 10


def imread(filename, *args, **kwargs):
    """Reads and decodes the image file `filename` to a uint8 NDArray.

    flag: 1 (default) (H, W, 3) colour, 0 (H, W, 1) greyscale. to_rgb:
    True (default) RGB, False BGR (OpenCV's order). out: an NDArray to fill.
    Raises MXNetError for a file that cannot be opened or decoded.
    """
    return _internal._cvimread(filename, *args, **kwargs)


def imresize(src, w, h, *args, **kwargs):
    """src (H, W, C) resized to width w and height h as OpenCV's cv::resize.

    interp: 0 nearest, 1 bilinear (default), 2 bicubic, 3 area, 4 Lanczos.
    out: an NDArray to fill. Keeps src's dtype (uint8, float32, float64).
    Raises MXNetError for w or h not an int32 or below 1, src not 3-D or
    another interp.
    """
    return _internal._cvimresize(src, w, h, *args, **kwargs)


def imdecode(buf, *args, **kwargs):
    """Decodes the encoded image `buf` (bytes, bytearray, a numpy array or
    a uint8 NDArray of its bytes) to a uint8 NDArray.

    flag: 1 (default) (H, W, 3) colour, 0 (H, W, 1) greyscale. to_rgb:
    True (default) RGB, False BGR. out: an NDArray to fill.
    Raises ValueError for a str (or other type) buf, MXNetError for bytes
    that are empty or not an image, or a flag not a non-negative int.
    """
    if not isinstance(buf, nd.NDArray):
        if not isinstance(buf, (bytes, bytearray, np.ndarray)):
            raise ValueError("buf must be of type bytes, bytearray or "
                             "numpy.ndarray,if you would like to input type "
                             "str, please convert to bytes")
        buf = nd.array(np.frombuffer(buf, dtype=np.uint8), dtype=np.uint8)
    return _internal._cvimdecode(buf, *args, **kwargs)


def scale_down(src_size, size):
    """The crop size (w, h) shrunk, keeping its aspect ratio, to fit in
    src_size (w, h): e.g. scale_down((640, 480), (720, 120)) == (640, 106).
    """
    w, h = size
    src_w, src_h = src_size
    if src_h < h:
        w, h = float(w * src_h) / h, src_h
    if src_w < w:
        w, h = src_w, float(h * src_w) / w
    return int(w), int(h)


def copyMakeBorder(src, top, bot, left, right, *args, **kwargs):
    """src (H, W, C) with borders of top/bot/left/right pixels, as OpenCV's
    cv::copyMakeBorder: type 0 (default) constant (`values` per channel, or
    `value`), 1 replicate, 2 reflect, 3 wrap, 4 reflect-101. Keeps dtype.
    Raises MXNetError for a margin not a non-negative int, or another
    type."""
    return _internal._cvcopyMakeBorder(src, top, bot, left, right, *args,
                                       **kwargs)


def _get_interp_method(interp, sizes=()):
    """The OpenCV interpolation code (0-4) to use for `interp`.

    9 picks from sizes (old_h, old_w, new_h, new_w): bicubic (2) when
    enlarging both edges, area (3) when shrinking both, else bilinear (1);
    bicubic without sizes. 10 picks one of 0-4 with random.randint.
    Raises ValueError for any other value outside 0-4.
    """
    if interp == _INTERP_AUTO:
        if not sizes:
            return 2
        assert len(sizes) == 4
        old_h, old_w, new_h, new_w = sizes
        if new_h > old_h and new_w > old_w:
            return 2
        if new_h < old_h and new_w < old_w:
            return 3
        return 1
    if interp == _INTERP_RANDOM:
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError("Unknown interp method %d" % interp)
    return interp


def resize_short(src, size, interp=2):
    """src (H, W, C) resized so its shorter edge is `size`, the longer
    scaled in proportion (rounded down). interp as imresize, or 9/10 (see
    _get_interp_method); default 2, bicubic. Raises ValueError for an
    unknown interp."""
    h, w, _ = src.shape
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    method = _get_interp_method(interp, (h, w, new_h, new_w))
    return imresize(src, new_w, new_h, interp=method)


def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """src[y0:y0+h, x0:x0+w], then resized to `size` (w, h) when given and
    different. Slicing follows NDArray's rules (a crop past the edge is cut
    short); an empty crop raises MXNetError, as MXNet's slicing does."""
    out = src[y0:y0 + h, x0:x0 + w]
    if 0 in out.shape[:2]:
        raise MXNetError("fixed_crop: the crop x0=%d, y0=%d, w=%d, h=%d of "
                         "a %dx%d image is empty" % (x0, y0, w, h,
                                                     src.shape[1], src.shape[0]))
    if size is not None and (w, h) != size:
        method = _get_interp_method(interp, (h, w, size[1], size[0]))
        out = imresize(out, *size, interp=method)
    return out


def random_crop(src, size, interp=2):
    """A crop of `size` (w, h) (scaled down to fit src) at a position drawn
    with random.randint, resized to size. Returns (image, (x0, y0, w, h))."""
    h, w, _ = src.shape
    new_w, new_h = scale_down((w, h), size)
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    return (fixed_crop(src, x0, y0, new_w, new_h, size, interp),
            (x0, y0, new_w, new_h))


def center_crop(src, size, interp=2):
    """The central crop of `size` (w, h) (scaled down to fit src), resized
    to size. Returns (image, (x0, y0, w, h))."""
    h, w, _ = src.shape
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return (fixed_crop(src, x0, y0, new_w, new_h, size, interp),
            (x0, y0, new_w, new_h))


def color_normalize(src, mean, std=None):
    """src minus mean, divided by std (each NDArray or None), in place as
    MXNet's (src must be float for that); returns src."""
    if mean is not None:
        src -= mean
    if std is not None:
        src /= std
    return src


def random_size_crop(src, size, area, ratio, interp=2, **kwargs):
    """A random crop of random area and aspect ratio, resized to size (w, h).

    area: a fraction (min, max) of src's area, or a float min (max 1.0);
    ratio: the (min, max) aspect ratio w/h, drawn uniform in log space.
    Ten tries with Python's random; then center_crop. The deprecated
    min_area= keyword replaces area (DeprecationWarning); other keywords
    raise AssertionError. Returns (image, (x0, y0, w, h)).
    """
    h, w, _ = src.shape
    if "min_area" in kwargs:
        warnings.warn("`min_area` is deprecated. Please use `area` instead.",
                      DeprecationWarning)
        area = kwargs.pop("min_area")
    assert not kwargs, "unexpected keyword arguments for `random_size_crop`."
    if isinstance(area, numeric_types):
        area = (area, 1.0)
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * h * w
        log_low, log_high = np.log(ratio[0]), np.log(ratio[1])
        aspect = np.exp(random.uniform(log_low, log_high))
        new_w = int(round(np.sqrt(target_area * aspect)))
        new_h = int(round(np.sqrt(target_area / aspect)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return (fixed_crop(src, x0, y0, new_w, new_h, size, interp),
                    (x0, y0, new_w, new_h))
    return center_crop(src, size, interp)


def imrotate(src, rotation_degrees, zoom_in=False, zoom_out=False):
    """src (C, H, W) or a batch (N, C, H, W), float32, rotated by
    rotation_degrees (a number, or for a batch an NDArray of N angles)
    about the centre with bilinear sampling (zeros outside). zoom_in
    scales so no padding shows, zoom_out so all of src shows.
    Raises ValueError for both zooms, a src of other rank or a count of
    angles other than N; TypeError for a non-float32 src or a non-scalar
    angle for one image."""
    if zoom_in and zoom_out:
        raise ValueError("`zoom_in` and `zoom_out` cannot be both True")
    if src.dtype is not np.float32:
        raise TypeError("Only `float32` images are supported by this function")
    single = src.ndim == 3
    if single:
        if not isinstance(rotation_degrees, Number):
            raise TypeError("When a single image is passed the rotation "
                            "angle is required to be a scalar.")
        src = src.expand_dims(axis=0)
    elif src.ndim != 4:
        raise ValueError("Only 3D and 4D are supported by this function")
    if isinstance(rotation_degrees, Number):
        rotation_degrees = nd.array([rotation_degrees] * len(src),
                                    ctx=src.context)
    if len(src) != len(rotation_degrees):
        raise ValueError("The number of images must be equal to the number "
                         "of rotation angles")
    angles = (np.pi * rotation_degrees.as_in_context(src.context) / 180)
    angles = angles.expand_dims(axis=1).expand_dims(axis=2)  # (N, 1, 1)
    _, _, h, w = src.shape
    half_h, half_w = float(h - 1) / 2, float(w - 1) / 2
    rows = nd.arange(h, ctx=src.context).astype("float32").reshape(h, 1)
    cols = nd.arange(w, ctx=src.context).astype("float32").reshape(1, w)
    ys = (nd.repeat(rows, w, axis=1) - half_h).expand_dims(axis=0)
    xs = (nd.repeat(cols, h, axis=0) - half_w).expand_dims(axis=0)
    cos, sin = nd.cos(angles), nd.sin(angles)
    # Rotate the centred pixel grid, then normalize it to [-1, 1] (after
    # rotating, so the aspect ratio is kept).
    grid_x = (xs * cos - ys * sin) / half_w
    grid_y = (xs * sin + ys * cos) / half_h
    scale = 1
    if zoom_in or zoom_out:
        h_nd = nd.array([h], ctx=src.context)
        w_nd = nd.array([w], ctx=src.context)
        radius = nd.sqrt(h_nd * h_nd + w_nd * w_nd)
        corner = nd.arctan(h_nd / w_nd)
        turn = nd.abs(angles)
        x_extent = nd.maximum(nd.abs(radius * nd.cos(corner + turn)),
                              nd.abs(radius * nd.cos(corner - turn)))
        y_extent = nd.maximum(nd.abs(radius * nd.sin(corner + turn)),
                              nd.abs(radius * nd.sin(corner - turn)))
        if zoom_out:
            scale = nd.maximum(x_extent / w_nd, y_extent / h_nd)
        else:
            scale = nd.minimum(w_nd / x_extent, h_nd / y_extent)
        scale = scale.expand_dims(axis=3)
    grid = nd.concat(grid_x.expand_dims(axis=1), grid_y.expand_dims(axis=1),
                     dim=1) * scale
    rotated = nd.BilinearSampler(src, grid)
    return rotated[0] if single else rotated


def random_rotate(src, angle_limits, zoom_in=False, zoom_out=False):
    """imrotate by an angle (one per image of a batch) drawn with
    numpy.random.uniform(*angle_limits)."""
    if src.ndim == 3:
        degrees = np.random.uniform(*angle_limits)
    else:
        degrees = nd.array(np.random.uniform(*angle_limits,
                                             size=src.shape[0]))
    return imrotate(src, degrees, zoom_in=zoom_in, zoom_out=zoom_out)


def _dumpable(kwargs):
    """An augmenter's keyword arguments as dumps() writes them: NDArrays
    and numpy arrays as (nested) lists."""
    for key, value in kwargs.items():
        if isinstance(value, nd.NDArray):
            value = value.asnumpy()
        if isinstance(value, np.ndarray):
            kwargs[key] = value.tolist()
    return kwargs


class Augmenter(object):
    """Base class of image augmenters: call it on an image to get the
    augmented one. Keyword arguments are kept (NDArrays and numpy arrays
    as lists) for dumps()."""

    def __init__(self, **kwargs):
        self._kwargs = _dumpable(kwargs)

    def dumps(self):
        """The augmenter as JSON: '["classname", {kwargs}]'."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, src):
        raise NotImplementedError("Must override implementation.")


class SequentialAug(Augmenter):
    """Applies the augmenters `ts` one after another."""

    def __init__(self, ts):
        super(SequentialAug, self).__init__()
        self.ts = ts

    def dumps(self):
        """["sequentialaug", [each augmenter's dumps()]] (a list, not JSON)."""
        return [self.__class__.__name__.lower(), [t.dumps() for t in self.ts]]

    def __call__(self, src):
        for aug in self.ts:
            src = aug(src)
        return src


class ResizeAug(Augmenter):
    """resize_short to `size` with `interp`."""

    def __init__(self, size, interp=2):
        super(ResizeAug, self).__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        return resize_short(src, self.size, self.interp)


class ForceResizeAug(Augmenter):
    """imresize to `size` (w, h), ignoring the aspect ratio."""

    def __init__(self, size, interp=2):
        super(ForceResizeAug, self).__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        sizes = (src.shape[0], src.shape[1], self.size[1], self.size[0])
        return imresize(src, *self.size,
                        interp=_get_interp_method(self.interp, sizes))


class RandomCropAug(Augmenter):
    """random_crop to `size` (w, h)."""

    def __init__(self, size, interp=2):
        super(RandomCropAug, self).__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        return random_crop(src, self.size, self.interp)[0]


class RandomSizedCropAug(Augmenter):
    """random_size_crop to `size` (w, h) with `area` and `ratio` ranges
    (min_area= is the deprecated name of area)."""

    def __init__(self, size, area, ratio, interp=2, **kwargs):
        super(RandomSizedCropAug, self).__init__(size=size, area=area,
                                                 ratio=ratio, interp=interp)
        self.size = size
        if "min_area" in kwargs:
            warnings.warn("`min_area` is deprecated. Please use `area` "
                          "instead.", DeprecationWarning)
            area = kwargs.pop("min_area")
        self.area = area
        self.ratio = ratio
        self.interp = interp
        assert not kwargs, \
            "unexpected keyword arguments for `RandomSizedCropAug`."

    def __call__(self, src):
        return random_size_crop(src, self.size, self.area, self.ratio,
                                self.interp)[0]


class CenterCropAug(Augmenter):
    """center_crop to `size` (w, h)."""

    def __init__(self, size, interp=2):
        super(CenterCropAug, self).__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        return center_crop(src, self.size, self.interp)[0]


class RandomOrderAug(Augmenter):
    """Applies the augmenters `ts` in an order drawn with random.shuffle
    (which reorders ts itself, as MXNet's)."""

    def __init__(self, ts):
        super(RandomOrderAug, self).__init__()
        self.ts = ts

    def dumps(self):
        """["classname", [each augmenter's dumps()]] (a list, not JSON)."""
        return [self.__class__.__name__.lower(), [t.dumps() for t in self.ts]]

    def __call__(self, src):
        random.shuffle(self.ts)
        for aug in self.ts:
            src = aug(src)
        return src


# ITU-R BT.601 luma weights of R, G, B, as MXNet's colour augmenters use.
_LUMA = (0.299, 0.587, 0.114)


class BrightnessJitterAug(Augmenter):
    """src scaled in place by 1 + uniform(-brightness, brightness)."""

    def __init__(self, brightness):
        super(BrightnessJitterAug, self).__init__(brightness=brightness)
        self.brightness = brightness

    def __call__(self, src):
        src *= 1.0 + random.uniform(-self.brightness, self.brightness)
        return src


class ContrastJitterAug(Augmenter):
    """src blended in place with its mean luma: alpha * src + (1 - alpha)
    * mean grey, alpha = 1 + uniform(-contrast, contrast)."""

    def __init__(self, contrast):
        super(ContrastJitterAug, self).__init__(contrast=contrast)
        self.contrast = contrast
        self.coef = nd.array([[_LUMA]])

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.contrast, self.contrast)
        weighted = src * self.coef
        # mean luma = 3 * sum(weighted) / size (size counts all 3 channels)
        grey = (3.0 * (1.0 - alpha) / weighted.size) * nd.sum(weighted)
        src *= alpha
        src += grey
        return src


class SaturationJitterAug(Augmenter):
    """src blended in place with its per-pixel luma: alpha * src +
    (1 - alpha) * grey, alpha = 1 + uniform(-saturation, saturation)."""

    def __init__(self, saturation):
        super(SaturationJitterAug, self).__init__(saturation=saturation)
        self.saturation = saturation
        self.coef = nd.array([[_LUMA]])

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.saturation, self.saturation)
        grey = nd.sum(src * self.coef, axis=2, keepdims=True)
        grey *= (1.0 - alpha)
        src *= alpha
        src += grey
        return src


class HueJitterAug(Augmenter):
    """The hue of src rotated by uniform(-hue, hue) * 180 degrees, through
    YIQ space (the linear approximation of
    https://beesbuzz.biz/code/hsv_color_transforms.php); a new array."""

    def __init__(self, hue):
        super(HueJitterAug, self).__init__(hue=hue)
        self.hue = hue
        self.tyiq = np.array([[0.299, 0.587, 0.114],
                              [0.596, -0.274, -0.321],
                              [0.211, -0.523, 0.311]])
        self.ityiq = np.array([[1.0, 0.956, 0.621],
                               [1.0, -0.272, -0.647],
                               [1.0, -1.107, 1.705]])

    def __call__(self, src):
        alpha = random.uniform(-self.hue, self.hue)
        cos, sin = np.cos(alpha * np.pi), np.sin(alpha * np.pi)
        rotate_iq = np.array([[1.0, 0.0, 0.0],
                              [0.0, cos, -sin],
                              [0.0, sin, cos]])
        transform = self.ityiq.dot(rotate_iq).dot(self.tyiq).T
        return nd.dot(src, nd.array(transform))


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitter (those above 0) in a
    random order."""

    def __init__(self, brightness, contrast, saturation):
        ts = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super(ColorJitterAug, self).__init__(ts)


class LightingAug(Augmenter):
    """AlexNet's PCA lighting noise: src += eigvec . (alpha * eigval) in
    place, alpha ~ numpy.random.normal(0, alphastd, 3)."""

    def __init__(self, alphastd, eigval, eigvec):
        super(LightingAug, self).__init__(alphastd=alphastd, eigval=eigval,
                                          eigvec=eigvec)
        self.alphastd = alphastd
        self.eigval = eigval
        self.eigvec = eigvec

    def __call__(self, src):
        alpha = np.random.normal(0, self.alphastd, size=(3,))
        src += nd.array(np.dot(self.eigvec * alpha, self.eigval))
        return src


class ColorNormalizeAug(Augmenter):
    """color_normalize with `mean` and `std` (NDArrays, array-likes or
    None)."""

    def __init__(self, mean, std):
        super(ColorNormalizeAug, self).__init__(mean=mean, std=std)
        self.mean = mean if mean is None or isinstance(mean, nd.NDArray) \
            else nd.array(mean)
        self.std = std if std is None or isinstance(std, nd.NDArray) \
            else nd.array(std)

    def __call__(self, src):
        return color_normalize(src, self.mean, self.std)


class RandomGrayAug(Augmenter):
    """With probability p (random.random() < p), src made grey in all
    three channels (0.21 R + 0.72 G + 0.07 B); a new array."""

    def __init__(self, p):
        super(RandomGrayAug, self).__init__(p=p)
        self.p = p
        self.mat = nd.array([[0.21] * 3, [0.72] * 3, [0.07] * 3])

    def __call__(self, src):
        if random.random() < self.p:
            src = nd.dot(src, self.mat)
        return src


class HorizontalFlipAug(Augmenter):
    """With probability p (random.random() < p), src flipped left-right."""

    def __init__(self, p):
        super(HorizontalFlipAug, self).__init__(p=p)
        self.p = p

    def __call__(self, src):
        if random.random() < self.p:
            src = nd.flip(src, axis=1)
        return src


class CastAug(Augmenter):
    """src cast to `typ` (default float32); dumps() calls it `type`."""

    def __init__(self, typ="float32"):
        super(CastAug, self).__init__(type=typ)
        self.typ = typ

    def __call__(self, src):
        return src.astype(self.typ)


# ImageNet's RGB mean and standard deviation (mean=True / std=True) and
# the eigen decomposition of its pixel covariance (pca_noise).
_IMAGENET_MEAN = (123.68, 116.28, 103.53)
_IMAGENET_STD = (58.395, 57.12, 57.375)
_IMAGENET_EIGVAL = np.array([55.46, 4.794, 1.148])
_IMAGENET_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009],
                             [-0.5808, -0.0045, -0.8140],
                             [-0.5836, -0.6948, 0.4203]])


def CreateAugmenter(data_shape, resize=0, rand_crop=False, rand_resize=False,
                    rand_mirror=False, mean=None, std=None, brightness=0,
                    contrast=0, saturation=0, hue=0, pca_noise=0, rand_gray=0,
                    inter_method=2):
    """The list of augmenters for data_shape (C, H, W), in MXNet's order:
    ResizeAug(resize) when resize > 0; RandomSizedCropAug (rand_resize,
    which needs rand_crop; area 0.08-1, ratio 3/4-4/3), RandomCropAug
    (rand_crop) or CenterCropAug to (W, H); HorizontalFlipAug(0.5) when
    rand_mirror; CastAug; ColorJitterAug when brightness, contrast or
    saturation; HueJitterAug(hue); LightingAug(pca_noise) with ImageNet's
    eigen decomposition; RandomGrayAug(rand_gray); ColorNormalizeAug(mean,
    std) when either is given (True: ImageNet's; else an array of 1 or 3).
    Raises AssertionError for rand_resize without rand_crop or a bad
    mean/std.
    """
    augs = []
    if resize > 0:
        augs.append(ResizeAug(resize, inter_method))
    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        assert rand_crop
        augs.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0),
                                       inter_method))
    elif rand_crop:
        augs.append(RandomCropAug(crop_size, inter_method))
    else:
        augs.append(CenterCropAug(crop_size, inter_method))
    if rand_mirror:
        augs.append(HorizontalFlipAug(0.5))
    augs.append(CastAug())
    if brightness or contrast or saturation:
        augs.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        augs.append(HueJitterAug(hue))
    if pca_noise > 0:
        augs.append(LightingAug(pca_noise, _IMAGENET_EIGVAL, _IMAGENET_EIGVEC))
    if rand_gray > 0:
        augs.append(RandomGrayAug(rand_gray))
    if mean is True:
        mean = nd.array(_IMAGENET_MEAN)
    elif mean is not None:
        assert isinstance(mean, (np.ndarray, nd.NDArray)) and \
            mean.shape[0] in [1, 3]
    if std is True:
        std = nd.array(_IMAGENET_STD)
    elif std is not None:
        assert isinstance(std, (np.ndarray, nd.NDArray)) and \
            std.shape[0] in [1, 3]
    if mean is not None or std is not None:
        augs.append(ColorNormalizeAug(mean, std))
    return augs


class ImageIter(io.DataIter):
    """Batches of augmented images with labels (MXNet's mx.image.ImageIter),
    from a RecordIO file or from image files.

    batch_size; data_shape (3, H, W) (3 channels only); label_width labels
    an image. Sources: path_imgrec, a .rec of mx.recordio.pack_img
    records (with path_imgidx, its .idx, needed to shuffle or partition);
    path_imglist, a .lst file of lines "index<TAB>label...<TAB>path"; or
    imglist, a list of [label (number or list), path]; image paths are
    under path_root. A list given with a .rec gives the labels of its
    records by index. shuffle reorders each epoch (random.shuffle);
    part_index/num_parts take the part_index-th of num_parts equal
    slices. aug_list: the augmenters, else CreateAugmenter(data_shape,
    **kwargs). dtype: the labels' (float32, int32, int64, float64).
    last_batch_handle: 'pad' (fill the last batch from the start, DataBatch
    .pad counts the filler), 'discard' or 'roll_over' (carry the rest into
    the next epoch's first batch).

    Each batch is a DataBatch with data [(batch_size, 3, H, W) float32] and
    label [(batch_size,) or (batch_size, label_width)]; provide_data and
    provide_label name and shape them as (name, shape) pairs.
    Raises AssertionError without a source, for another dtype, or for a
    shuffled or partitioned .rec without its index; ValueError for a
    data_shape not (3, H, W). Images that do not decode are skipped (as
    MXNet's lazy decoding makes them), logged at debug level.
    """

    def __init__(self, batch_size, data_shape, label_width=1,
                 path_imgrec=None, path_imglist=None, path_root=None,
                 path_imgidx=None, shuffle=False, part_index=0, num_parts=1,
                 aug_list=None, imglist=None, data_name="data",
                 label_name="softmax_label", dtype="float32",
                 last_batch_handle="pad", **kwargs):
        super(ImageIter, self).__init__()
        assert path_imgrec or path_imglist or isinstance(imglist, list)
        assert dtype in ["int32", "float32", "int64", "float64"], \
            dtype + " label not supported"
        name = self.__class__.__name__
        if path_imgrec:
            logging.info("%s: loading recordio %s...", name, path_imgrec)
            if path_imgidx:
                self.imgrec = recordio.MXIndexedRecordIO(path_imgidx,
                                                         path_imgrec, "r")
                self.imgidx = list(self.imgrec.keys)
            else:
                self.imgrec = recordio.MXRecordIO(path_imgrec, "r")
                self.imgidx = None
        else:
            self.imgrec = None

        keys = None
        if path_imglist:
            logging.info("%s: loading image list %s...", name, path_imglist)
            self.imglist, keys = self._read_lst(path_imglist, dtype)
        elif isinstance(imglist, list):
            logging.info("%s: loading image list...", name)
            self.imglist, keys = self._from_list(imglist, dtype)
        else:
            self.imglist = None
        self.path_root = path_root

        self.check_data_shape(data_shape)
        self.provide_data = [(data_name, (batch_size,) + data_shape)]
        label_shape = (batch_size, label_width) if label_width > 1 \
            else (batch_size,)
        self.provide_label = [(label_name, label_shape)]
        self.batch_size = batch_size
        self.data_shape = data_shape
        self.label_width = label_width
        self.shuffle = shuffle
        if self.imgrec is None:
            self.seq = keys
        elif shuffle or num_parts > 1 or path_imgidx:
            assert self.imgidx is not None
            self.seq = self.imgidx
        else:
            self.seq = None  # read the .rec front to back
        if num_parts > 1:
            assert part_index < num_parts
            part = len(self.seq) // num_parts
            self.seq = self.seq[part_index * part:(part_index + 1) * part]
        self.auglist = CreateAugmenter(data_shape, **kwargs) \
            if aug_list is None else aug_list
        self.cur = 0
        self._allow_read = True
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self._cache_data = None
        self._cache_label = None
        self._cache_idx = None
        self.reset()

    @staticmethod
    def _read_lst(path, dtype):
        """{index: (label NDArray, path)} and the indices in file order,
        from a .lst file (index, labels..., path; tab separated)."""
        entries, keys = {}, []
        with open(path) as lines:
            for line in lines:
                fields = line.strip().split("\t")
                key = int(fields[0])
                entries[key] = (nd.array(fields[1:-1], dtype=dtype), fields[-1])
                keys.append(key)
        return entries, keys

    @staticmethod
    def _from_list(imglist, dtype):
        """{key: (label NDArray, path)} and the keys, for a list of
        [label(s), path] (keys "1", "2", ... as MXNet numbers them)."""
        entries, keys = {}, []
        for number, item in enumerate(imglist, 1):
            if len(item) > 2:
                label = nd.array(item[:-1], dtype=dtype)
            elif isinstance(item[0], numeric_types):
                label = nd.array([item[0]], dtype=dtype)
            else:
                label = nd.array(item[0], dtype=dtype)
            entries[str(number)] = (label, item[-1])
            keys.append(str(number))
        return entries, keys

    def reset(self):
        """Goes back to the start (reshuffled when shuffle); under
        'roll_over' with a carried partial batch, the read position stays."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.last_batch_handle != "roll_over" or self._cache_data is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._allow_read = True

    def hard_reset(self):
        """reset() that also drops a rolled-over partial batch."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.imgrec is not None:
            self.imgrec.reset()
        self.cur = 0
        self._allow_read = True
        self._cache_data = None
        self._cache_label = None
        self._cache_idx = None

    def next_sample(self):
        """(label, encoded image bytes) of the next image; StopIteration at
        the end of the epoch."""
        if not self._allow_read:
            raise StopIteration
        if self.seq is None:
            record = self.imgrec.read()
            if record is None:
                if self.last_batch_handle != "discard":
                    self.imgrec.reset()
                raise StopIteration
            header, img = recordio.unpack(record)
            return header.label, img
        if self.cur >= self.num_image:
            if self.last_batch_handle != "discard":
                self.cur = 0
            raise StopIteration
        idx = self.seq[self.cur]
        self.cur += 1
        if self.imgrec is None:
            label, fname = self.imglist[idx]
            return label, self.read_image(fname)
        header, img = recordio.unpack(self.imgrec.read_idx(idx))
        if self.imglist is None:
            return header.label, img
        return self.imglist[idx][0], img

    def _batchify(self, batch_data, batch_label, start=0):
        """Fills batch rows from `start` on with the next samples, skipping
        images that do not decode or check_valid_image rejects; returns the rows filled (raises
        StopIteration when none could be)."""
        i = start
        try:
            while i < self.batch_size:
                label, encoded = self.next_sample()
                try:
                    # MXNet decodes lazily, so a broken image fails inside
                    # check_valid_image and is skipped: so here.
                    data = self.imdecode(encoded)
                    self.check_valid_image(data)
                except RuntimeError as error:
                    logging.debug("Invalid image, skipping:  %s", str(error))
                    continue
                data = self.augmentation_transform(data)
                assert i < self.batch_size, \
                    "Batch size must be multiples of augmenter output length"
                batch_data[i] = self.postprocess_data(data)
                batch_label[i] = label
                i += 1
        except StopIteration:
            if not i:
                raise StopIteration
        return i

    def next(self):
        """The next DataBatch; StopIteration at the end of the epoch."""
        if self._cache_data is not None:
            # the partial batch rolled over from the last epoch
            assert self._cache_label is not None, \
                "_cache_label didn't have values"
            assert self._cache_idx is not None, "_cache_idx didn't have values"
            batch_data, batch_label = self._cache_data, self._cache_label
            filled = self._cache_idx
        else:
            batch_data, batch_label = self._new_batch()
            filled = self._batchify(batch_data, batch_label)
        pad = self.batch_size - filled
        if pad:
            if self.last_batch_handle == "discard":
                raise StopIteration
            if self.last_batch_handle == "roll_over" and \
                    self._cache_data is None:
                self._cache_data, self._cache_label = batch_data, batch_label
                self._cache_idx = filled
                raise StopIteration
            self._batchify(batch_data, batch_label, filled)
            if self.last_batch_handle == "pad":
                self._allow_read = False
            else:
                self._cache_data = None
                self._cache_label = None
                self._cache_idx = None
        return io.DataBatch([batch_data], [batch_label], pad=pad)

    def _new_batch(self):
        """Zero data (batch_size, C, H, W) and an uninitialized label batch
        of provide_label's shape."""
        return (nd.zeros((self.batch_size,) + tuple(self.data_shape)),
                nd.empty(self.provide_label[0][1]))

    def check_data_shape(self, data_shape):
        """ValueError unless data_shape is (3, H, W)."""
        if not len(data_shape) == 3:
            raise ValueError("data_shape should have length 3, with "
                             "dimensions CxHxW")
        if not data_shape[0] == 3:
            raise ValueError("This iterator expects inputs to have 3 "
                             "channels.")

    def check_valid_image(self, data):
        """RuntimeError for an image without a shape."""
        if len(data[0].shape) == 0:
            raise RuntimeError("Data shape is wrong")

    def imdecode(self, s):
        """mx.image.imdecode(s); RuntimeError naming the image (its file or
        record index) when it fails."""
        try:
            return imdecode(s)
        except Exception as error:
            raise RuntimeError("%s, %s" % (self._locate(), error)) from None

    def _locate(self):
        """Which image was read last, for an error message."""
        if self.seq is not None:
            idx = self.seq[(self.cur % self.num_image) - 1]
        else:
            idx = (self.cur % self.num_image) - 1 if self.num_image else -1
        if self.imglist is not None:
            return "Broken image filename: {}".format(self.imglist[idx][1])
        return "Broken image index: {}".format(idx)

    def read_image(self, fname):
        """The bytes of image file fname under path_root."""
        with open(os.path.join(self.path_root, fname), "rb") as stream:
            return stream.read()

    def augmentation_transform(self, data):
        """data through every augmenter in auglist."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum):
        """An augmented (H, W, C) image as the batch's (C, H, W)."""
        return nd.transpose(datum, axes=(2, 0, 1))
