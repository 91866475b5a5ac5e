"""Image transforms as Gluon Blocks, as MXNet 1.9.1's
mxnet/gluon/data/vision/transforms.py, on the mx.nd.image operators.

    transform = transforms.Compose([transforms.Resize(32),
                                    transforms.ToTensor(),
                                    transforms.Normalize(0.5, 0.25)])
    dataset.transform_first(transform)

Images are (H, W, C) NDArrays (uint8 or float32; batches (N, H, W, C)
where the operator takes them) until ToTensor makes (C, H, W) float32 in
[0, 1]. The random transforms draw from kiln's generator (mx.random.seed)
through the operators, except RandomResizedCrop, RandomRotation and
RandomApply, which draw from Python's `random` / numpy's generator, as
MXNet's. Compose runs runs of consecutive HybridBlocks as one hybridized
HybridSequential, as MXNet's.

Resizing in CenterCrop, RandomResizedCrop and CropResize is OpenCV's
(nearest or bilinear: kiln's mx.nd.image.resize has interpolation 0 and 1
only, and refuses others with MXNetError).
"""
import random

import numpy as np

from ...block import Block, HybridBlock
from ...nn import Sequential, HybridSequential
from .... import nd
from ....base import numeric_types
from ....image.image import scale_down

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "Rotate",
           "RandomRotation", "RandomResizedCrop", "CropResize", "CenterCrop",
           "Resize", "RandomFlipLeftRight", "RandomFlipTopBottom",
           "RandomBrightness", "RandomContrast", "RandomSaturation",
           "RandomHue", "RandomColorJitter", "RandomLighting", "RandomApply"]


# MXNet's mx.image crop helpers (mxnet/image/image.py), on (H, W, C) images.

def _fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    out = src[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != tuple(size):
        out = nd.image.resize(out, size=tuple(size), interp=interp)
    return out


def _center_crop(src, size, interp=2):
    h, w, _ = src.shape
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return (_fixed_crop(src, x0, y0, new_w, new_h, size, interp),
            (x0, y0, new_w, new_h))


def _random_size_crop(src, size, area, ratio, interp=2):
    """A crop of random area (fraction of the image's, in `area`) and
    aspect ratio (log-uniform in `ratio`) resized to `size`; ten tries,
    then the center crop. Python's `random` draws, as MXNet."""
    h, w, _ = src.shape
    src_area = h * w
    if isinstance(area, numeric_types):
        area = (area, 1.0)
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * src_area
        log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
        new_ratio = np.exp(random.uniform(*log_ratio))
        new_w = int(round(np.sqrt(target_area * new_ratio)))
        new_h = int(round(np.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return (_fixed_crop(src, x0, y0, new_w, new_h, size, interp),
                    (x0, y0, new_w, new_h))
    return _center_crop(src, size, interp)


def _imrotate(src, rotation_degrees, zoom_in=False, zoom_out=False):
    """(C, H, W) or (N, C, H, W) float32 images rotated about their
    centres by degrees (a number, or one per image), bilinear, zeros
    outside; zoom_in crops to no padding, zoom_out fits the whole image
    (MXNet's mx.image.imrotate)."""
    if zoom_in and zoom_out:
        raise ValueError("`zoom_in` and `zoom_out` cannot be both True")
    if src.dtype is not np.float32:
        raise TypeError("Only `float32` images are supported by this function")
    expanded = False
    if src.ndim == 3:
        expanded = True
        src = src.expand_dims(axis=0)
        if not isinstance(rotation_degrees, numeric_types):
            raise TypeError("When a single image is passed the rotation angle "
                            "is required to be a scalar.")
    elif src.ndim != 4:
        raise ValueError("Only 3D and 4D are supported by this function")
    if isinstance(rotation_degrees, numeric_types):
        rotation_degrees = np.full(len(src), rotation_degrees, np.float64)
    rotation_degrees = np.asarray(
        rotation_degrees.asnumpy() if isinstance(rotation_degrees, nd.NDArray)
        else rotation_degrees, np.float64)
    if len(src) != len(rotation_degrees):
        raise ValueError("The number of images must be equal to the number "
                         "of rotation angles")
    _, _, h, w = src.shape
    rad = (np.pi * rotation_degrees / 180)[:, None, None]
    hscale, wscale = float(h - 1) / 2, float(w - 1) / 2
    hm = (np.arange(h, dtype=np.float32)[:, None] - hscale)[None]
    wm = (np.arange(w, dtype=np.float32)[None, :] - wscale)[None]
    wm, hm = np.broadcast_to(wm, (1, h, w)), np.broadcast_to(hm, (1, h, w))
    cos, sin = np.cos(rad), np.sin(rad)
    w_rot = (wm * cos - hm * sin) / wscale
    h_rot = (wm * sin + hm * cos) / hscale
    scale = 1.0
    if zoom_in or zoom_out:
        rho = np.sqrt(h * h + w * w)
        corner = np.arctan(h / w)
        arad = np.abs(rad)
        max_x = np.maximum(np.abs(rho * np.cos(corner + arad)),
                           np.abs(rho * np.cos(corner - arad)))
        max_y = np.maximum(np.abs(rho * np.sin(corner + arad)),
                           np.abs(rho * np.sin(corner - arad)))
        if zoom_out:
            scale = np.maximum(max_x / w, max_y / h)
        else:
            scale = np.minimum(w / max_x, h / max_y)
        scale = scale[:, None]
    grid = np.stack([w_rot, h_rot], axis=1) * scale
    rotated = nd.BilinearSampler(src, nd.array(grid.astype(np.float32)))
    return rotated[0] if expanded else rotated


class Compose(Sequential):
    """The transforms applied in order; each run of consecutive
    HybridBlocks becomes one hybridized HybridSequential, as MXNet's. The
    random ones (flips, colour jitter, lighting) draw their numbers on the
    host, which a compiled graph cannot: they stay imperative blocks of
    their own rather than hybridized ones that fall back with a warning."""

    def __init__(self, transforms):
        super(Compose, self).__init__()
        hybrid = []
        for transform in list(transforms) + [None]:
            if (isinstance(transform, HybridBlock) and
                    not getattr(transform, "_draws_on_host", False)):
                hybrid.append(transform)
                continue
            if len(hybrid) == 1:
                self.add(hybrid[0])
            elif len(hybrid) > 1:
                block = HybridSequential()
                for item in hybrid:
                    block.add(item)
                block.hybridize()
                self.add(block)
            hybrid = []
            if transform is not None:
                self.add(transform)


class Cast(HybridBlock):
    """The input cast to `dtype` (default 'float32')."""

    def __init__(self, dtype="float32"):
        super(Cast, self).__init__()
        self._dtype = dtype

    def hybrid_forward(self, F, x):
        return F.cast(x, self._dtype)


class ToTensor(HybridBlock):
    """(H, W, C) or (N, H, W, C) images in [0, 255] to float32 (C, H, W) or
    (N, C, H, W) in [0, 1]."""

    def hybrid_forward(self, F, x):
        return F.image.to_tensor(x)


class Normalize(HybridBlock):
    """(C, H, W) or (N, C, H, W) tensors, channel c as (x - mean[c]) /
    std[c]; a number applies to every channel."""

    def __init__(self, mean=0.0, std=1.0):
        super(Normalize, self).__init__()
        self._mean = mean
        self._std = std

    def hybrid_forward(self, F, x):
        return F.image.normalize(x, self._mean, self._std)


class Rotate(Block):
    """float32 (C, H, W) or (N, C, H, W) images rotated by
    rotation_degrees, keeping their shape (TypeError for other dtypes)."""

    def __init__(self, rotation_degrees, zoom_in=False, zoom_out=False):
        super(Rotate, self).__init__()
        self._args = (rotation_degrees, zoom_in, zoom_out)

    def forward(self, x):
        if x.dtype is not np.float32:
            raise TypeError("This transformation only supports float32. "
                            "Consider calling it after ToTensor")
        return _imrotate(x, *self._args)


class RandomRotation(Block):
    """Rotate by an angle uniform in angle_limits (numpy's generator), with
    probability rotate_with_proba. ValueError for unordered limits or a
    probability outside [0, 1]."""

    def __init__(self, angle_limits, zoom_in=False, zoom_out=False,
                 rotate_with_proba=1.0):
        super(RandomRotation, self).__init__()
        lower, upper = angle_limits
        if lower >= upper:
            raise ValueError("`angle_limits` must be an ordered tuple")
        if rotate_with_proba < 0 or rotate_with_proba > 1:
            raise ValueError("Probability of rotating the image should be "
                             "between 0 and 1")
        self._args = (angle_limits, zoom_in, zoom_out)
        self._rotate_with_proba = rotate_with_proba

    def forward(self, x):
        if np.random.random() > self._rotate_with_proba:
            return x
        if x.dtype is not np.float32:
            raise TypeError("This transformation only supports float32. "
                            "Consider calling it after ToTensor")
        angle_limits, zoom_in, zoom_out = self._args
        if x.ndim == 3:
            degrees = np.random.uniform(*angle_limits)
        else:
            degrees = np.random.uniform(*angle_limits, size=x.shape[0])
        return _imrotate(x, degrees, zoom_in, zoom_out)


class RandomResizedCrop(Block):
    """A crop of random area (fraction `scale` of the image's) and aspect
    ratio (`ratio`) of an (H, W, C) image, resized to `size` ((W, H), or
    one number for both)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=1):
        super(RandomResizedCrop, self).__init__()
        if isinstance(size, numeric_types):
            size = (size, size)
        self._args = (size, scale, ratio, interpolation)

    def forward(self, x):
        return _random_size_crop(x, *self._args)[0]


class CropResize(HybridBlock):
    """The width x height crop at (x, y) of (H, W, C) or (N, H, W, C)
    images, then resized to `size` when given."""

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        super(CropResize, self).__init__()
        self._x = x
        self._y = y
        self._width = width
        self._height = height
        self._size = size
        self._interpolation = interpolation

    def hybrid_forward(self, F, x):
        out = F.image.crop(x, self._x, self._y, self._width, self._height)
        if self._size:
            out = F.image.resize(out, self._size, False, self._interpolation)
        return out


class CenterCrop(Block):
    """The central crop of an (H, W, C) image of `size` ((W, H), or one
    number for both), upsampled when the image is smaller."""

    def __init__(self, size, interpolation=1):
        super(CenterCrop, self).__init__()
        if isinstance(size, numeric_types):
            size = (size, size)
        self._args = (size, interpolation)

    def forward(self, x):
        return _center_crop(x, *self._args)[0]


class Resize(HybridBlock):
    """(H, W, C) or (N, H, W, C) images resized to `size` ((W, H); one
    number: both edges, or the short edge with keep_ratio)."""

    def __init__(self, size, keep_ratio=False, interpolation=1):
        super(Resize, self).__init__()
        self._keep = keep_ratio
        self._size = size
        self._interpolation = interpolation

    def hybrid_forward(self, F, x):
        return F.image.resize(x, self._size, self._keep, self._interpolation)


class RandomFlipLeftRight(HybridBlock):
    """Flips the image left to right with probability 0.5."""
    _draws_on_host = True  # See Compose.

    def hybrid_forward(self, F, x):
        return F.image.random_flip_left_right(x)


class RandomFlipTopBottom(HybridBlock):
    """Flips the image top to bottom with probability 0.5."""
    _draws_on_host = True  # See Compose.

    def hybrid_forward(self, F, x):
        return F.image.random_flip_top_bottom(x)


class _RandomFactor(HybridBlock):
    """A colour jitter by a factor uniform in [max(0, 1 - amount),
    1 + amount], through the operator F.image.<_op>."""
    _op = None
    _draws_on_host = True  # See Compose.

    def __init__(self, amount):
        super(_RandomFactor, self).__init__()
        self._args = (max(0, 1 - amount), 1 + amount)

    def hybrid_forward(self, F, x):
        return getattr(F.image, self._op)(x, *self._args)


class RandomBrightness(_RandomFactor):
    """Brightness times a factor in [max(0, 1 - brightness), 1 + brightness]."""
    _op = "random_brightness"

    def __init__(self, brightness):
        super(RandomBrightness, self).__init__(brightness)


class RandomContrast(_RandomFactor):
    """Contrast times a factor in [max(0, 1 - contrast), 1 + contrast]."""
    _op = "random_contrast"

    def __init__(self, contrast):
        super(RandomContrast, self).__init__(contrast)


class RandomSaturation(_RandomFactor):
    """Saturation times a factor in [max(0, 1 - saturation), 1 + saturation]."""
    _op = "random_saturation"

    def __init__(self, saturation):
        super(RandomSaturation, self).__init__(saturation)


class RandomHue(_RandomFactor):
    """Hue jittered by a factor in [max(0, 1 - hue), 1 + hue]."""
    _op = "random_hue"

    def __init__(self, hue):
        super(RandomHue, self).__init__(hue)


class RandomColorJitter(HybridBlock):
    """Brightness, contrast, saturation and hue jittered (each 0: not)."""
    _draws_on_host = True  # See Compose.

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super(RandomColorJitter, self).__init__()
        self._args = (brightness, contrast, saturation, hue)

    def hybrid_forward(self, F, x):
        return F.image.random_color_jitter(x, *self._args)


class RandomLighting(HybridBlock):
    """AlexNet's PCA lighting noise of intensity alpha."""
    _draws_on_host = True  # See Compose.

    def __init__(self, alpha):
        super(RandomLighting, self).__init__()
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.image.random_lighting(x, self._alpha)


class RandomApply(Sequential):
    """`transforms` applied with probability p (Python's `random`), else
    the input unchanged."""

    def __init__(self, transforms, p=0.5):
        super(RandomApply, self).__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x):
        if self.p < random.random():
            return x
        return self.transforms(x)
