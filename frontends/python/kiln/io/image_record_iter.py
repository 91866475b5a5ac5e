"""mx.io.ImageRecordIter and its kin: batches of images from RecordIO files,
as MXNet 1.9.1's C++ iterators (src/io/iter_image_recordio_2.cc, the _v1
ones src/io/iter_image_recordio.cc; augmentation src/io/image_aug_default.cc).

    it = mx.io.ImageRecordIter(path_imgrec="train.rec", data_shape=(3, 224, 224),
                               batch_size=32, resize=256, rand_crop=True,
                               rand_mirror=True, mean_r=123.68, std_r=58.4)
    batch = it.next()   # data (32, 3, 224, 224) float32 RGB, label (32,)

Records are what mx.recordio.pack_img / im2rec write: an IRHeader and an
encoded image (decoded as OpenCV does, see kiln/_image_codec.py). Labels
come from path_imglist (.lst: index, label_width labels, path), else the
header's label array (its size must be label_width), else its scalar label
(label_width must be 1); label (batch_size,) for label_width 1, else
(batch_size, label_width), float32.

Each image goes through MXNet's default augmenter in its order: resize
(shorter edge), the affine warp (max_rotate_angle, rotate, max_shear_ratio,
min/max_random_scale, min/max_aspect_ratio, min/max_img_size), pad,
random_resized_crop (min/max_random_area) or a crop of min/max_crop_size,
else a centre crop (random with rand_crop; images smaller than data_shape
are first enlarged), colour jitter (brightness, contrast, saturation),
random_h/s/l, pca_noise; then mirror / rand_mirror and, for float output,
(x - mean) * scale / std with max_random_contrast/illumination. int8
output is saturate(x - round(mean)); uint8 output is the pixels.

What matches MXNet exactly: decoding, resize and centre crop (cv::resize
through mx.image), mean/std/scale, mean_img (read, or computed and saved),
batching, labels, round_batch (the last batch completed from the start,
`pad` counting those rows, the next reset() then ignored so the next pass
goes on after them), num_parts/part_index (by bytes without an .idx file,
by records with one), the order of unshuffled records, the errors. The
random draws (shuffle, rand_crop, mirrors, warps, jitter) follow the same
distributions with numpy's generators, not MXNet's sequences, and the
affine warp is kiln's bilinear warp (not OpenCV's fixed-point one).
Images are decoded by a concurrent.futures thread pool of
preprocess_threads workers; each image's random draws come from its own
generator, seeded in record order, so results do not depend on threads.

Differences kept from MXNet: ImageRecordIter with round_batch=False gives
pad 0 for a short last batch (MXNet's parser loses it; the _v1 iterators
count it) and the rows past the data are zeros, as MXNet's (the _v1
ones keep the previous batch's there, as MXNet's); its index
is zeros (the _v1 iterators give the records' ids). kiln refuses
batch_size=0 (MXNet hangs) and a part_index with no records of an indexed
file (MXNet crashes): the first batch then raises StopIteration, as for
an empty part without .idx. shuffle permutes a whole part (MXNet: each
64 MB chunk of it). prefetch_buffer, ctx, device_id, verbose and
shuffle_chunk_* are accepted and change nothing.
"""
import concurrent.futures
import math
import os
import struct

import numpy as np

from .. import _image_codec
from .. import recordio
from ..base import MXNetError
from .native import NativeIter, Param, PREFETCH_PARAMS, dtype_param, make_creator

_MAGIC = 0xced7230a
_LENGTH_MASK = (1 << 29) - 1
_RAND_MAGIC = 111   # MXNet's kRandMagic, added to the seeds
_INTERPS = (0, 1, 2, 3, 4, 9, 10)
# MXNet's PCA noise basis (eigenvalue times eigenvector, RGB rows)
_EIGVEC = np.array([[55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
                    [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
                    [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203]],
                   np.float32)


class _Param(Param):
    """Param with dmlc's float, 'int or None' and 'float or None' kinds."""

    def type_doc(self):
        if self.kind == "float":
            return "float, optional, default=%g" % self.default
        if self.kind == "float or None":
            return "float or None, optional, default=None"
        return super(_Param, self).type_doc()

    def parse(self, owner, value):
        if self.kind not in ("float", "int or None", "float or None"):
            return super(_Param, self).parse(owner, value)
        text = str(value).strip()
        if self.kind != "float" and text == "None":
            return None
        try:
            return float(text) if self.kind != "int or None" else int(text)
        except ValueError:
            raise MXNetError("%s: Invalid Parameter format for %s expect %s "
                             "but value='%s'" % (owner, self.name, self.kind,
                                                 value)) from None


def _p(name, kind, default=Param._REQUIRED, doc="", lower=None):
    return _Param(name, kind, default, doc, lower)


_PARSER_PARAMS = [
    _p("path_imglist", "string", "", "Path to the image list (.lst) file: "
       "<index>\\t<labels>\\t<path> lines."),
    _p("path_imgrec", "string", "", "Path to the image RecordIO (.rec) file "
       "or a directory path."),
    _p("path_imgidx", "string", "", "Path to the image RecordIO index (.idx) "
       "file."),
    _p("aug_seq", "string", "aug_default", "The augmenter names, separated by "
       "comma (kiln has aug_default)."),
    _p("label_width", "int", 1, "The number of labels per image.", lower=1),
    _p("data_shape", "Shape(tuple)", doc="The shape of one output image in "
       "(channels, height, width) format."),
    _p("preprocess_threads", "int", 4, "The number of threads to do "
       "preprocessing.", lower=1),
    _p("verbose", "boolean", True, "If or not output verbose information."),
    _p("num_parts", "int", 1, "Virtually partition the data into these many "
       "parts."),
    _p("part_index", "int", 0, "The *i*-th virtual partition to be read."),
    _p("device_id", "int", 0, "The device id used to create context for "
       "internal NDArray."),
    _p("shuffle_chunk_size", "long (non-negative)", 0, "The data shuffle "
       "buffer size in MB.", lower=0),
    _p("shuffle_chunk_seed", "int", 0, "The random seed for shuffling"),
    _p("seed_aug", "int or None", None, "Random seed for augmentations."),
    _p("shuffle", "boolean", False, "Whether to shuffle data randomly or not."),
    _p("seed", "int", 0, "The random seed."),
    _p("batch_size", "int (non-negative)", doc="Batch size.", lower=0),
    _p("round_batch", "boolean", True, "Whether to use round robin to handle "
       "overflow batch or not."),
]

_AUG_PARAMS = [
    _p("resize", "int", -1, "Down scale the shorter edge to a new size before "
       "applying other augmentations."),
    _p("rand_crop", "boolean", False, "If or not randomly crop the image"),
    _p("random_resized_crop", "boolean", False, "If or not perform random "
       "resized cropping on the image."),
    _p("max_rotate_angle", "int", 0, "Rotate by a random degree in [-v, v]"),
    _p("max_aspect_ratio", "float", 0.0, "Change the aspect (width/height) to "
       "a random value."),
    _p("min_aspect_ratio", "float or None", None, "Change the aspect to a "
       "random value in [min_aspect_ratio, max_aspect_ratio]"),
    _p("max_shear_ratio", "float", 0.0, "Apply a random shear in "
       "[-max_shear_ratio, max_shear_ratio]"),
    _p("max_crop_size", "int", -1, "Crop both width and height into a random "
       "size in [min_crop_size, max_crop_size]."),
    _p("min_crop_size", "int", -1, "Crop both width and height into a random "
       "size in [min_crop_size, max_crop_size]."),
    _p("max_random_scale", "float", 1.0, "Resize by a random scale in "
       "[min_random_scale, max_random_scale]."),
    _p("min_random_scale", "float", 1.0, "Resize by a random scale in "
       "[min_random_scale, max_random_scale]."),
    _p("max_random_area", "float", 1.0, "Change the area to a random value in "
       "[min_random_area, max_random_area] (random_resized_crop)."),
    _p("min_random_area", "float", 1.0, "Change the area to a random value in "
       "[min_random_area, max_random_area] (random_resized_crop)."),
    _p("max_img_size", "float", 1e10, "Set the maximal width and height after "
       "all resize and rotate augmentation are applied"),
    _p("min_img_size", "float", 0.0, "Set the minimal width and height after "
       "all resize and rotate augmentation are applied"),
    _p("brightness", "float", 0.0, "Add a random value in [-brightness, "
       "brightness] to the brightness of image."),
    _p("contrast", "float", 0.0, "Add a random value in [-contrast, contrast] "
       "to the contrast of image."),
    _p("saturation", "float", 0.0, "Add a random value in [-saturation, "
       "saturation] to the saturation of image."),
    _p("pca_noise", "float", 0.0, "Add PCA based noise to the image."),
    _p("random_h", "int", 0, "Add a random value in [-random_h, random_h] to "
       "the H channel in HSL color space."),
    _p("random_s", "int", 0, "Add a random value in [-random_s, random_s] to "
       "the S channel in HSL color space."),
    _p("random_l", "int", 0, "Add a random value in [-random_l, random_l] to "
       "the L channel in HSL color space."),
    _p("rotate", "int", -1, "Rotate by an angle. If set, it overwrites the "
       "max_rotate_angle option."),
    _p("fill_value", "int", 255, "Set the padding pixels value to fill_value."),
    _p("inter_method", "int", 1, "The interpolation method: 0-NN 1-bilinear "
       "2-cubic 3-area 4-lanczos4 9-auto 10-rand."),
    _p("pad", "int", 0, "Change size from [width, height] into [pad + width + "
       "pad, pad + height + pad] by padding pixes"),
]

_NORMALIZE_PARAMS = [
    _p("mirror", "boolean", False, "Whether to mirror the image or not."),
    _p("rand_mirror", "boolean", False, "Whether to randomly mirror images or "
       "not."),
    _p("mean_img", "string", "", "Filename of the mean image."),
] + [_p("mean_" + c, "float", 0.0, "The mean value to be subtracted on the "
        "%s channel" % c.upper()) for c in "rgba"] + [
    _p("std_" + c, "float", 1.0, "Standard deviation on %s channel." % c.upper())
    for c in "rgba"] + [
    _p("scale", "float", 1.0, "Multiply the image with a scale value."),
    _p("max_random_contrast", "float", 0.0, "Change the contrast with a value "
       "randomly chosen from [-max_random_contrast, max_random_contrast]"),
    _p("max_random_illumination", "float", 0.0, "Change the illumination with "
       "a value randomly chosen from [-max_random_illumination, "
       "max_random_illumination]"),
]

_ALL_PARAMS = (_PARSER_PARAMS + PREFETCH_PARAMS + [dtype_param()]
               + _AUG_PARAMS + _NORMALIZE_PARAMS)


# --- the records ----------------------------------------------------------

def _no_such_file(owner, path):
    """dmlc's error for a path that does not exist."""
    return MXNetError("%s: LocalFileSystem.GetPathInfo: %s error: No such "
                      "file or directory" % (owner, path))


def _check_data_shape(owner, shape):
    """MXNet's checks of data_shape: three extents, none of them 0."""
    if len(shape) != 3:
        raise MXNetError("%s: value [%s]for Parameter data_shape has wrong "
                         "dimensions, expected dimension=3"
                         % (owner, ",".join(map(str, shape))))
    if 0 in shape:
        raise MXNetError("%s: value [%s]for Parameter data_shape is invalid, "
                         "the input shape must be nonzero in all dimensions"
                         % (owner, ",".join(map(str, shape))))


def _rec_files(owner, path):
    """The non-empty .rec files `path` names (a directory: its files, by
    name), as dmlc's InputSplit: MXNetError when there are none ("Cannot
    find any files") or one's size is not a multiple of 4 (a cut file)."""
    if os.path.isdir(path):
        names = sorted(os.path.join(path, n) for n in os.listdir(path)
                       if os.path.isfile(os.path.join(path, n)))
    elif not os.path.isfile(path):
        raise _no_such_file(owner, path)
    else:
        names = [path]
    names = [n for n in names if os.path.getsize(n) > 0]
    if not names:
        raise MXNetError("%s: Check failed: files_.size() != 0U (0 vs. 0) : "
                         "Cannot find any files that matches the URI pattern "
                         "%s (expected a non-empty .rec file)" % (owner, path))
    for name in names:
        size = os.path.getsize(name)
        if size % 4:
            raise MXNetError("%s: Check failed: files_[i].size %% align_bytes "
                             "== 0: file do not align by 4 bytes: %s has %d "
                             "bytes, expected a multiple of 4 (a cut RecordIO "
                             "file)" % (owner, name, size))
    return names


def _scan(owner, path):
    """(start, end) byte offsets of each record of the RecordIO file, read
    from the part headers alone (a record ends where the next begins).
    MXNetError "Invalid RecordIO Format" when a header is not where one
    must be or a part's length runs past the end of the file."""
    starts = []
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        pos = 0
        while pos < size:
            head = handle.read(8)
            if len(head) < 8:
                raise MXNetError('%s: Check failed: pbegin_ <= pend_: Invalid '
                                 'RecordIO Format: "%s" ends %d bytes into a '
                                 "record header at byte %d, expected 8"
                                 % (owner, path, len(head), pos))
            magic, lrec = struct.unpack("<II", head)
            if magic != _MAGIC:
                raise MXNetError('%s: Invalid RecordIO File "%s": no magic '
                                 "number at byte %d" % (owner, path, pos))
            if lrec >> 29 in (0, 1):
                starts.append(pos)
            padded = ((lrec & _LENGTH_MASK) + 3) & ~3
            if pos + 8 + padded > size:
                raise MXNetError('%s: Check failed: pbegin_ <= pend_: Invalid '
                                 'RecordIO Format: the record at byte %d of '
                                 '"%s" claims upper_align=%d bytes, only %d '
                                 "left in the file" % (owner, pos, path,
                                                       padded, size - pos - 8))
            pos += 8 + padded
            handle.seek(pos)
    return list(zip(starts, starts[1:] + [size]))


def _memory_limit():
    """Bytes a batch may take: the machine's memory, or less under an
    address-space rlimit."""
    import resource
    limit = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    return limit


def _alloc_batch(owner, shape, dtype):
    """np.zeros(shape, dtype) for a batch buffer, or MXNetError naming the
    batch's shape and bytes when it cannot fit in memory (checked before
    allocating, so a huge batch_size or data_shape is refused cleanly)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod([int(d) for d in shape], dtype=object)) * dtype.itemsize
    limit = _memory_limit()
    message = ("%s: Failed to allocate CPU Memory for a batch of shape "
               "(%s) %s: %d bytes, "
               "expected at most %d (the memory available); lower batch_size "
               "or data_shape" % (owner, ", ".join(map(str, shape)), dtype.name,
                                  nbytes, limit))
    if nbytes > limit:
        raise MXNetError(message)
    try:
        return np.zeros(shape, dtype)
    except MemoryError:
        raise MXNetError(message) from None


def _join_parts(owner, raw):
    """The record stored in `raw` (its parts, the magic put back between)."""
    parts, pos = [], 0
    while pos + 8 <= len(raw):
        magic, lrec = struct.unpack_from("<II", raw, pos)
        if magic != _MAGIC:
            raise MXNetError("%s: Invalid RecordIO File" % owner)
        length = lrec & _LENGTH_MASK
        parts.append(raw[pos + 8:pos + 8 + length])
        pos += 8 + ((length + 3) & ~3)
        if lrec >> 29 in (0, 3):
            break
    return struct.pack("<I", _MAGIC).join(parts)


def _read_index(owner, path, rec_size):
    """(start, end) of each record an .idx file lists, in file order."""
    if not os.path.isfile(path):
        raise _no_such_file(owner, path)
    with open(path) as handle:
        offsets = sorted(int(line.split()[1]) for line in handle if line.strip())
    return list(zip(offsets, offsets[1:] + [rec_size]))


def _read_imglist(owner, path, label_width):
    """{image index: float32 labels} from a .lst file, as ImageLabelMap."""
    if not os.path.isfile(path):
        raise _no_such_file(owner, path)
    labels = {}
    with open(path) as handle:
        for line in handle:
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 1 + label_width:
                raise MXNetError("%s: Bad ImageList format: %r" % (owner, line))
            labels[int(float(fields[0]))] = np.array(
                [float(v) for v in fields[1:1 + label_width]], np.float32)
    return labels


# --- image operations (OpenCV's, on (H, W, C) uint8 BGR) -------------------

def _resize(img, width, height, interp):
    """cv::resize of img to (height, width), through mx.image.imresize."""
    from .. import ndarray as nd
    from ..ndarray import _internal
    out = _internal._cvimresize(nd.array(img, dtype=np.uint8), int(width),
                                int(height), interp=int(interp))
    return out.asnumpy()


def _inter_method(method, old_w, old_h, new_w, new_h, rng):
    """MXNet's GetInterMethod: 9 picks by the sizes, 10 at random."""
    if method == 9:
        if new_w > old_w and new_h > old_h:
            return 2
        if new_w < old_w and new_h < old_h:
            return 3
        return 1
    if method == 10:
        return int(rng.randint(0, 5))
    return method


def _saturate_u8(values):
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _warp_affine(img, matrix, width, height, fill):
    """img mapped by the 2x3 forward `matrix` into (height, width), bilinear,
    BORDER_CONSTANT with `fill` (cv::warpAffine's geometry)."""
    full = np.vstack([matrix.astype(np.float64), [0.0, 0.0, 1.0]])
    inverse = np.linalg.inv(full)[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    sx = inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]
    sy = inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]
    x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    rows, cols = img.shape[:2]
    padded = np.pad(img.astype(np.float64), ((1, 2), (1, 2), (0, 0)),
                    constant_values=fill)

    def at(y, x):
        return padded[np.clip(y + 1, 0, rows + 2), np.clip(x + 1, 0, cols + 2)]
    out = (at(y0, x0) * (1 - fx) * (1 - fy) + at(y0, x0 + 1) * fx * (1 - fy)
           + at(y0 + 1, x0) * (1 - fx) * fy + at(y0 + 1, x0 + 1) * fx * fy)
    return _saturate_u8(out)


def _grey(img):
    """cvtColor(RGB2GRAY) as MXNet applies it (to BGR data), float."""
    return img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114


def _bgr_to_hls(img):
    """OpenCV's 8-bit BGR2HLS: H in [0, 180), L and S in [0, 255], float."""
    bgr = img.astype(np.float64) / 255.0
    b, g, r = bgr[..., 0], bgr[..., 1], bgr[..., 2]
    vmax, vmin = bgr.max(-1), bgr.min(-1)
    light = (vmax + vmin) / 2
    diff = vmax - vmin
    with np.errstate(divide="ignore", invalid="ignore"):
        sat = np.where(diff == 0, 0, np.where(light < 0.5, diff / (vmax + vmin),
                                              diff / (2 - vmax - vmin)))
        hue = np.where(vmax == r, 60 * (g - b) / diff,
                       np.where(vmax == g, 120 + 60 * (b - r) / diff,
                                240 + 60 * (r - g) / diff))
    hue = np.where(diff == 0, 0, hue) % 360
    return np.stack([hue / 2, light * 255, sat * 255], -1)


def _hls_to_bgr(hls):
    """OpenCV's 8-bit HLS2BGR of _bgr_to_hls's layout."""
    hue, light, sat = hls[..., 0] * 2 / 360, hls[..., 1] / 255, hls[..., 2] / 255
    q = np.where(light < 0.5, light * (1 + sat), light + sat - light * sat)
    p = 2 * light - q

    def channel(t):
        t = t % 1.0
        return np.where(t < 1 / 6, p + (q - p) * 6 * t,
                        np.where(t < 0.5, q, np.where(t < 2 / 3,
                                                      p + (q - p) * (2 / 3 - t) * 6, p)))
    rgb = [channel(hue + 1 / 3), channel(hue), channel(hue - 1 / 3)]
    return _saturate_u8(np.stack(rgb[::-1], -1) * 255)


class _Augmenter(object):
    """MXNet's DefaultImageAugmenter (aug_default) over parsed params."""

    def __init__(self, owner, p):
        self.owner = owner
        self.p = p
        if p["min_aspect_ratio"] is not None:
            self.ratio_range = (p["min_aspect_ratio"], p["max_aspect_ratio"])
        else:
            self.ratio_range = (1 - p["max_aspect_ratio"], 1 + p["max_aspect_ratio"])

    def _check_interp(self, low):
        method = self.p["inter_method"]
        if not (low <= method <= 4 or 9 <= method <= 10):
            raise MXNetError("%s: Check failed: invalid inter_method %d: valid "
                             "value 0,1,2,3,9,10" % (self.owner, method))

    def __call__(self, img, rng):
        p = self.p
        _, _, dh, dw = (None,) + tuple(p["data_shape"])
        if p["resize"] != -1:
            rows, cols = img.shape[:2]
            if rows > cols:
                new_h, new_w = p["resize"] * rows // cols, p["resize"]
            else:
                new_h, new_w = p["resize"], p["resize"] * cols // rows
            self._check_interp(0)
            img = _resize(img, new_w, new_h, _inter_method(
                p["inter_method"], cols, rows, new_w, new_h, rng))
        img = self._affine(img, rng)
        if p["pad"] > 0:
            k = p["pad"]
            img = np.pad(img, ((k, k), (k, k), (0, 0)),
                         constant_values=p["fill_value"])
        cropped = False
        if p["random_resized_crop"]:
            img, cropped = self._random_resized_crop(img, rng, dw, dh)
        elif p["max_crop_size"] != -1 or p["min_crop_size"] != -1:
            img, cropped = self._random_size_crop(img, rng, dw, dh), True
        if not cropped:
            img = self._center_crop(img, rng, dw, dh)
        img = self._color(img, rng)
        return img

    def _affine(self, img, rng):
        p = self.p
        low, high = self.ratio_range
        if not (p["max_rotate_angle"] > 0 or p["max_shear_ratio"] > 0
                or p["rotate"] > 0 or p["max_random_scale"] != 1
                or p["min_random_scale"] != 1
                or (not p["random_resized_crop"] and (low != 1 or high != 1))
                or p["max_img_size"] != 1e10 or p["min_img_size"] != 0):
            return img
        shear = (rng.uniform() * 2 - 1) * p["max_shear_ratio"]
        angle = rng.randint(-p["max_rotate_angle"], p["max_rotate_angle"] + 1)
        if p["rotate"] > 0:
            angle = p["rotate"]
        a, b = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        scale = ratio = 1.0
        if not p["random_resized_crop"]:
            scale = rng.uniform() * (p["max_random_scale"]
                                     - p["min_random_scale"]) + p["min_random_scale"]
            ratio = rng.uniform() * (high - low) + low
        hs = 2 * scale / (1 + ratio)
        ws = ratio * hs
        rows, cols = img.shape[:2]
        new_w = int(max(p["min_img_size"], min(p["max_img_size"], scale * cols)))
        new_h = int(max(p["min_img_size"], min(p["max_img_size"], scale * rows)))
        m = np.array([[hs * a - shear * b * ws, hs * b + shear * a * ws, 0],
                      [-b * ws, a * ws, 0]])
        m[0, 2] = (new_w - (m[0, 0] * cols + m[0, 1] * rows)) / 2
        m[1, 2] = (new_h - (m[1, 0] * cols + m[1, 1] * rows)) / 2
        self._check_interp(1)
        return _warp_affine(img, m, new_w, new_h, p["fill_value"])

    def _random_resized_crop(self, img, rng, dw, dh):
        p = self.p
        low, high = self.ratio_range
        if not (p["min_random_scale"] == 1 and p["max_random_scale"] == 1
                and p["min_crop_size"] == -1 and p["max_crop_size"] == -1
                and not p["rand_crop"]):
            raise MXNetError("%s: Setting random_resized_crop to true conflicts "
                             "with min_random_scale, max_random_scale, "
                             "min_crop_size, max_crop_size, and rand_crop."
                             % self.owner)
        if (p["max_random_area"] == 1 and p["min_random_area"] == 1
                and low == 1 and high == 1):
            return img, False
        if not (low > 0 and p["min_random_area"] <= p["max_random_area"]
                and low <= high):
            raise MXNetError("%s: random_resized_crop needs 0 < min_aspect_ratio"
                             " <= max_aspect_ratio and min_random_area <= "
                             "max_random_area" % self.owner)
        rows, cols = img.shape[:2]
        for _ in range(10):
            target = rows * cols * rng.uniform(p["min_random_area"],
                                               p["max_random_area"])
            ratio = rng.uniform(low, high)
            y_len = int(round(math.sqrt(target / ratio)))
            x_len = int(round(math.sqrt(target * ratio)))
            if rng.uniform() > 0.5:
                y_len, x_len = x_len, y_len
            if y_len <= rows and x_len <= cols:
                y = rng.randint(0, rows - y_len + 1)
                x = rng.randint(0, cols - x_len + 1)
                method = _inter_method(p["inter_method"], x_len, y_len, dw, dh, rng)
                return _resize(img[y:y + y_len, x:x + x_len], dw, dh, method), True
        return img, False

    def _random_size_crop(self, img, rng, dw, dh):
        p = self.p
        rows, cols = img.shape[:2]
        if not (cols >= p["max_crop_size"] and rows >= p["max_crop_size"]
                and p["max_crop_size"] >= p["min_crop_size"]):
            raise MXNetError("%s: input image size smaller than max_crop_size"
                             % self.owner)
        size = rng.randint(p["min_crop_size"], p["max_crop_size"] + 1)
        y, x = rows - size, cols - size
        if p["rand_crop"]:
            y, x = rng.randint(0, y + 1), rng.randint(0, x + 1)
        else:
            y, x = y // 2, x // 2
        method = _inter_method(p["inter_method"], size, size, dw, dh, rng)
        return _resize(img[y:y + size, x:x + size], dw, dh, method)

    def _center_crop(self, img, rng, dw, dh):
        p = self.p
        rows, cols = img.shape[:2]
        method = _inter_method(p["inter_method"], cols, rows, dw, dh, rng)
        # float32 arithmetic, as MXNet's, for the enlarged edge
        if rows < dh:
            cols = int(np.float32(dh) / np.float32(rows) * np.float32(cols))
            img = _resize(img, cols, dh, method)
            rows = dh
        if cols < dw:
            rows = int(np.float32(dw) / np.float32(cols) * np.float32(rows))
            img = _resize(img, dw, rows, method)
            cols = dw
        if rows < dh or cols < dw:
            raise MXNetError("%s: input image size smaller than input shape"
                             % self.owner)
        y, x = rows - dh, cols - dw
        if p["rand_crop"]:
            y, x = rng.randint(0, y + 1), rng.randint(0, x + 1)
        else:
            y, x = y // 2, x // 2
        return img[y:y + dh, x:x + dw]

    def _color(self, img, rng):
        p = self.p
        if p["brightness"] > 0 or p["contrast"] > 0 or p["saturation"] > 0:
            alphas = [1 + rng.uniform(-p[k], p[k])
                      for k in ("brightness", "contrast", "saturation")]
            for i in rng.permutation(3):
                pixels = img.astype(np.float64)
                if i == 0:
                    img = _saturate_u8(pixels * alphas[0])
                elif i == 1:
                    mean = _saturate_u8(_grey(pixels)).mean()
                    img = _saturate_u8(pixels * alphas[1] + (1 - alphas[1]) * mean)
                else:
                    grey = _saturate_u8(_grey(pixels))[..., None].astype(np.float64)
                    img = _saturate_u8(pixels * alphas[2] + grey * (1 - alphas[2]))
        if (p["random_h"] or p["random_s"] or p["random_l"]) and img.shape[2] == 3:
            hls = _bgr_to_hls(img)
            draws = [(rng.uniform() + 4 * rng.uniform()) / 5 for _ in range(3)]
            shift = [int(d * p[k] * 2 - p[k]) for d, k in
                     zip(draws, ("random_h", "random_s", "random_l"))]
            hls += [shift[0], shift[2], shift[1]]
            hls = np.clip(np.rint(hls), 0, [180, 255, 255])
            img = _hls_to_bgr(hls)
        if p["pca_noise"] > 0 and img.shape[2] == 3:
            alpha = rng.normal(0, p["pca_noise"], 3).astype(np.float32)
            rgb = _EIGVEC.dot(alpha)
            img = np.clip(img.astype(np.int64) + rgb[::-1].astype(np.int64),
                          0, 255).astype(np.uint8)
        return img


# --- the iterator ---------------------------------------------------------

class ImageRecordSource(NativeIter):
    """The batch source of ImageRecordIter (see the module's docstring)."""

    NAME = "ImageRecordIter"
    DOC = ("Iterates on image RecordIO files\n\nReads batches of images from "
           ".rec RecordIO files (made by im2rec.py or mx.recordio.pack_img), "
           "decoding and augmenting them, and labels from the records or a "
           ".lst file.")
    PARAMS = _ALL_PARAMS
    DTYPE = None      # fixed output dtype (the UInt8/Int8 iterators)
    V1 = False        # the _v1 iterators' batching and normalisation

    def __init__(self, kwargs):
        super(ImageRecordSource, self).__init__(kwargs)
        p = self.param
        # MXNet's parser reads every keyword, listed in the docs or not
        for param in _ALL_PARAMS:
            if param.name not in p:
                p[param.name] = (param.parse(self.NAME, kwargs[param.name])
                                 if param.name in kwargs else param.default)
        owner = self.NAME
        shape = p["data_shape"]
        _check_data_shape(owner, shape)
        if p["batch_size"] < 1:
            raise MXNetError("%s: batch_size must be at least 1, got %d"
                             % (owner, p["batch_size"]))
        dtype = self.DTYPE or p["dtype"] or "float32"
        if dtype not in ("float32", "uint8", "int8"):
            raise MXNetError("%s: unknown dtype %s for ImageRecordIter2 "
                             "(expected float32, uint8 or int8)" % (owner, dtype))
        self.dtype = np.dtype(dtype)
        if shape[0] not in (1, 3, 4):
            raise MXNetError("%s: Invalid output shape [%s]: data_shape[0] "
                             "must be 1, 3 or 4 channels"
                             % (owner, ",".join(map(str, shape))))
        if p["inter_method"] not in _INTERPS:
            raise MXNetError("%s: Check failed: invalid inter_method %d: valid "
                             "value 0,1,2,3,9,10" % (owner, p["inter_method"]))
        if not p["path_imgrec"]:
            raise MXNetError("%s: ImageRecordIter2: Check failed: "
                             "param_.path_imgrec.length() != 0: must specify "
                             "image_rec" % owner)
        self._labels = (_read_imglist(owner, p["path_imglist"], p["label_width"])
                        if p["path_imglist"] else None)
        self._records = self._partition(owner, p)
        self._augment = _Augmenter(owner, p)
        self._shuffle_rng = np.random.RandomState(_RAND_MAGIC + p["seed"])
        self._aug_rng = np.random.RandomState(_RAND_MAGIC)
        self._pool = None
        bs, lw = p["batch_size"], p["label_width"]
        self.data = _alloc_batch(owner, (bs,) + tuple(shape), self.dtype)
        label = _alloc_batch(owner, (bs, lw), np.float32)
        self.label = label[:, 0] if lw == 1 else label
        self._label2d = label
        self.index = np.zeros(bs, np.uint64)
        self._mean = None
        if p["mean_img"] and self.dtype != np.uint8:
            self._mean = self._mean_image(p["mean_img"])
        self._overflow = False
        self._new_pass()

    # which records, in which order
    def _partition(self, owner, p):
        """[(file, start, end)] of this part's records, in file order."""
        files = _rec_files(owner, p["path_imgrec"])
        parts, rank = p["num_parts"], p["part_index"]
        # dmlc compares them unsigned: a negative num_parts passes (kiln reads
        # it as 1), a negative part_index fails
        if rank % 2 ** 32 >= parts % 2 ** 32:
            raise MXNetError("%s: Check failed: part < nsplit: invalid input "
                             "parameter for InputSplit::Create: part_index %d, "
                             "expected 0 <= part_index < num_parts = %d"
                             % (owner, rank, parts))
        parts = max(parts, 1)
        if p["path_imgidx"]:
            spans = _read_index(owner, p["path_imgidx"], os.path.getsize(files[0]))
            step = (len(spans) + parts - 1) // parts
            return [(files[0],) + s for s in spans[rank * step:(rank + 1) * step]]
        records, base = [], 0
        for name in files:
            records += [(name, base + s, base + e) for s, e in _scan(owner, name)]
            base += os.path.getsize(name)
        step = (base + parts - 1) // parts
        step = (step + 3) // 4 * 4   # dmlc aligns parts to 4 bytes
        begin, end = min(step * rank, base), min(step * (rank + 1), base)
        sizes = {name: 0 for name in files}
        offset = 0
        for name in files:
            sizes[name] = offset
            offset += os.path.getsize(name)
        return [(n, s - sizes[n], e - sizes[n]) for n, s, e in records
                if begin <= s < end]

    def _new_pass(self):
        """The source starts over: its order (shuffled if asked) from the top."""
        self._order = list(range(len(self._records)))
        if self.param["shuffle"]:
            self._shuffle_rng.shuffle(self._order)
        self._pos = 0

    def _read(self, positions):
        """The bytes of the records at `positions` of self._records."""
        out = []
        for i in positions:
            name, start, end = self._records[i]
            with open(name, "rb") as handle:
                handle.seek(start)
                out.append(_join_parts(self.NAME, handle.read(end - start)))
        return out

    # one image
    def _label_of(self, header):
        lw = self.param["label_width"]
        if self._labels is not None:
            key = int(header.id)
            if key not in self._labels:
                raise MXNetError("%s: fail to find imagelabel for id %d"
                                 % (self.NAME, key))
            return self._labels[key]
        if header.flag > 0:
            if header.flag != lw:
                raise MXNetError("%s: rec file provide %d-dimensional label but "
                                 "label_width is set to %d"
                                 % (self.NAME, header.flag, lw))
            return np.asarray(header.label, np.float32)
        if lw != 1:
            raise MXNetError("%s: Check failed: param_.label_width == 1 (%d vs. "
                             "1) : label_width must be 1 unless an imglist is "
                             "provided or the rec file is packed with multi "
                             "dimensional label" % (self.NAME, lw))
        return np.array([header.label], np.float32)

    def _decode(self, buf, seed):
        """(data (C, H, W) of self.dtype, label float32, id) of one record."""
        p = self.param
        rng = np.random.RandomState(seed)
        header, payload = recordio.unpack(buf)
        channels = p["data_shape"][0]
        flag = {1: 0, 3: 1, 4: -1}[channels]
        img = _image_codec.decode(payload, flag, bgr=True)
        if img.ndim == 2:
            img = img[..., None]
        if img.shape[2] != channels:
            raise MXNetError("%s: Invalid image with index %d. Expected %d "
                             "channels, got %d" % (self.NAME, header.id,
                                                   channels, img.shape[2]))
        label = self._label_of(header)
        img = self._augment(img, rng)
        mirror = (p["rand_mirror"] and rng.uniform() < 0.5) or p["mirror"]
        contrast, illumination = np.float32(1), np.float32(0)
        if self.dtype != np.uint8:
            f32 = np.float32
            mrc, mri = f32(p["max_random_contrast"]), f32(p["max_random_illumination"])
            contrast = f32(rng.uniform()) * mrc * f32(2) - mrc + f32(1)
            illumination = f32(rng.uniform()) * mri * f32(2) - mri
        order = [2, 1, 0, 3][:channels] if channels > 1 else [0]
        chw = np.ascontiguousarray(img[..., order].transpose(2, 0, 1))
        data = self._normalize(chw, contrast, illumination)
        if mirror:
            data = data[:, :, ::-1]
        return data, label, int(header.id)

    def _normalize(self, chw, contrast, illumination):
        p = self.param
        channels = chw.shape[0]
        if self.dtype == np.uint8:
            return chw
        names = "rgba"[:channels] if channels > 1 else "r"
        mean = (self._mean if self._mean is not None else
                np.array([p["mean_" + c] for c in names], np.float32)[:, None, None])
        if self.dtype == np.int8:
            rounded = np.where(mean >= 0, np.floor(mean + 0.5), -np.floor(-mean + 0.5))
            return np.clip(chw.astype(np.int64) - rounded.astype(np.int64),
                           -128, 127).astype(np.int8)
        std = np.array([p["std_" + c] for c in names], np.float32)[:, None, None]
        x = chw.astype(np.float32) - mean.astype(np.float32)
        scale = np.float32(p["scale"])
        if self.V1:   # iter_normalize.h: ((x - mean) * c + i) * scale / std
            return ((x * contrast + illumination) * scale / std).astype(np.float32)
        # the parser's: (x - mean) * (c * scale / std) + i * scale / std
        return (x * (contrast * scale / std)
                + illumination * scale / std).astype(np.float32)

    def _mean_image(self, path):
        """The mean image from `path` (mx.nd.save of one (C, H, W) array), or
        computed over this part (with mean_r etc. applied, as MXNet) and saved
        there under the key 'mean_img'."""
        from .. import ndarray as nd
        if os.path.isfile(path):
            arrays = nd.load(path)
            arrays = list(arrays.values()) if isinstance(arrays, dict) else arrays
            if len(arrays) != 1:
                raise MXNetError("%s: Invalid mean image file format: %s holds "
                                 "%d arrays, expected 1" % (self.NAME, path,
                                                            len(arrays)))
            return arrays[0].asnumpy().astype(np.float32)
        total = None
        count = 0
        for i in range(len(self._records)):
            data = self._decode(self._read([i])[0], self._next_seed())[0]
            total = data.copy() if total is None else total + data
            count += 1
        if total is None:
            raise MXNetError("%s: cannot make the mean image %s: no records"
                             % (self.NAME, path))
        mean = (total * np.float32(1.0 / count)).astype(np.float32)
        nd.save(path, {"mean_img": nd.array(mean)})
        return mean

    def _next_seed(self):
        return int(self._aug_rng.randint(0, 2 ** 31 - 1))

    def _fill(self, top, positions):
        """Decodes the records at `positions` into rows top, top + 1, ..."""
        p = self.param
        bufs = self._read(positions)
        if p["seed_aug"] is not None:
            seeds = [(top + k + p["seed_aug"] + _RAND_MAGIC) % 2 ** 32
                     for k in range(len(bufs))]
        else:
            seeds = [self._next_seed() for _ in bufs]
        if p["preprocess_threads"] > 1 and len(bufs) > 1:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(
                    p["preprocess_threads"])
            results = list(self._pool.map(self._decode, bufs, seeds))
        else:
            results = [self._decode(b, s) for b, s in zip(bufs, seeds)]
        for k, (data, label, ident) in enumerate(results):
            self.data[top + k] = data
            self._label2d[top + k] = label
            if self.V1:
                self.index[top + k] = ident

    def _clear_rows(self, top):
        """Zeroes rows top.. of a short last batch (MXNet's parser hands out
        a fresh zeroed batch, so no row keeps the previous batch's data)."""
        self.data[top:] = 0
        self._label2d[top:] = 0
        self.index[top:] = 0

    def before_first(self):
        if not self.param["round_batch"] or not self._overflow:
            self._new_pass()
        else:   # the wrapped records began this pass: go on after them
            self._overflow = False

    def next(self):
        if self._overflow:
            return False
        bs = self.param["batch_size"]
        self.pad = 0
        filled = 0
        while filled < bs:
            take = min(bs - filled, len(self._order) - self._pos)
            if take > 0:
                self._fill(filled, self._order[self._pos:self._pos + take])
                self._pos += take
                filled += take
                continue
            if filled == 0:
                return False
            if self._overflow:
                raise MXNetError("%s: Check failed: !overflow: number of input "
                                 "images must be bigger than the batch size"
                                 % self.NAME)
            if not self.param["round_batch"]:
                # MXNet's _v1 (BatchLoader) counts the missing rows; the
                # parser of ImageRecordIter leaves pad at 0
                self.pad = bs - filled if self.V1 else 0
                if not self.V1:   # the _v1 BatchLoader keeps old rows
                    self._clear_rows(filled)
                break
            self._overflow = True
            self.pad = bs - filled
            self._new_pass()
        return True

    def __del__(self):
        if getattr(self, "_pool", None) is not None:
            self._pool.shutdown(wait=False)


class _UInt8Source(ImageRecordSource):
    NAME = "ImageRecordUInt8Iter"
    DOC = ("Iterating on image RecordIO files\n\n.. note:: ImageRecordUInt8Iter "
           "is deprecated. Use ImageRecordIter(dtype='uint8') instead.\n\nThis "
           "iterator is identical to ``ImageRecordIter`` except for using "
           "``uint8`` as the data type instead of ``float``.")
    DTYPE = "uint8"
    PARAMS = _PARSER_PARAMS + PREFETCH_PARAMS + [dtype_param()] + _AUG_PARAMS \
        + [q for q in _NORMALIZE_PARAMS if q.name in ("mirror", "rand_mirror")]


class _Int8Source(_UInt8Source):
    NAME = "ImageRecordInt8Iter"
    DOC = _UInt8Source.DOC.replace("UInt8", "Int8").replace("uint8", "int8")
    DTYPE = "int8"
    PARAMS = _ALL_PARAMS


class _V1Source(ImageRecordSource):
    NAME = "ImageRecordIter_v1"
    DOC = ("Iterating on image RecordIO files\n\n.. note:: ``ImageRecordIter_v1`` "
           "is deprecated. Use ``ImageRecordIter`` instead.\n\n"
           + ImageRecordSource.DOC)
    DTYPE = "float32"
    V1 = True


class _UInt8V1Source(_UInt8Source):
    NAME = "ImageRecordUInt8Iter_v1"
    DOC = _UInt8Source.DOC.replace("ImageRecordUInt8Iter", "ImageRecordUInt8Iter_v1")
    V1 = True


ImageRecordIter = make_creator(ImageRecordSource)
ImageRecordUInt8Iter = make_creator(_UInt8Source)
ImageRecordInt8Iter = make_creator(_Int8Source)
ImageRecordIter_v1 = make_creator(_V1Source)
ImageRecordUInt8Iter_v1 = make_creator(_UInt8V1Source)

__all__ = ["ImageRecordIter", "ImageRecordUInt8Iter", "ImageRecordInt8Iter",
           "ImageRecordIter_v1", "ImageRecordUInt8Iter_v1"]
