"""mx.image.detection (mx.image.det): augmenters and an iterator for object
detection, as MXNet 1.9.1's mxnet/image/detection.py.

A detection label is a numpy array (objects, 5+) of rows [class_id, xmin,
ymin, xmax, ymax, ...] with coordinates as fractions of the image's width
and height; augmenters take and return (image, label). Random choices use
Python's `random` (LightingAug numpy's), as MXNet's, so seeding them gives
MXNet's draws.

    augs = mx.image.CreateDetAugmenter((3, 300, 300), rand_crop=0.5,
                                       rand_pad=0.5, rand_mirror=True)
    it = mx.image.ImageDetIter(8, (3, 300, 300), path_imgrec="voc.rec")
"""
import json
import logging
import random
from math import sqrt

import numpy as np

from ..base import numeric_types
from .. import ndarray as nd
from ..ndarray._internal import _cvcopyMakeBorder as copyMakeBorder
from .image import (Augmenter, CastAug, ColorJitterAug, ColorNormalizeAug,
                    ForceResizeAug, HueJitterAug, ImageIter, LightingAug,
                    RandomGrayAug, ResizeAug, fixed_crop, _dumpable,
                    _IMAGENET_EIGVAL, _IMAGENET_EIGVEC)

# OpenCV's BORDER_CONSTANT | BORDER_ISOLATED, which DetRandomPadAug pads with.
_PAD_BORDER = 16


class DetAugmenter(object):
    """Base class of detection augmenters: call with (src, label) to get
    the augmented (src, label). Keyword arguments are kept (arrays as
    lists) for dumps()."""

    def __init__(self, **kwargs):
        self._kwargs = _dumpable(kwargs)

    def dumps(self):
        """The augmenter as JSON: '["classname", {kwargs}]'."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, src, label):
        raise NotImplementedError("Must override implementation.")


class DetBorrowAug(DetAugmenter):
    """An mx.image.Augmenter applied to the image only (for those that do
    not move objects). Raises TypeError for anything but an Augmenter."""

    def __init__(self, augmenter):
        if not isinstance(augmenter, Augmenter):
            raise TypeError("Borrowing from invalid Augmenter")
        super(DetBorrowAug, self).__init__(augmenter=augmenter.dumps())
        self.augmenter = augmenter

    def dumps(self):
        """["detborrowaug", the borrowed augmenter's dumps()]."""
        return [self.__class__.__name__.lower(), self.augmenter.dumps()]

    def __call__(self, src, label):
        return (self.augmenter(src), label)


class DetRandomSelectAug(DetAugmenter):
    """One augmenter of aug_list (after random.shuffle of it), or none with
    probability skip_prob (random.random() < skip_prob); an empty list
    always skips. Raises ValueError for items that are not DetAugmenters.
    """

    def __init__(self, aug_list, skip_prob=0):
        super(DetRandomSelectAug, self).__init__(skip_prob=skip_prob)
        if not isinstance(aug_list, (list, tuple)):
            aug_list = [aug_list]
        for aug in aug_list:
            if not isinstance(aug, DetAugmenter):
                raise ValueError("Allow DetAugmenter in list only")
        if not aug_list:
            skip_prob = 1
        self.aug_list = aug_list
        self.skip_prob = skip_prob

    def dumps(self):
        """["detrandomselectaug", [each augmenter's dumps()]]."""
        return [self.__class__.__name__.lower(),
                [aug.dumps() for aug in self.aug_list]]

    def __call__(self, src, label):
        if random.random() < self.skip_prob:
            return (src, label)
        random.shuffle(self.aug_list)
        return self.aug_list[0](src, label)


class DetHorizontalFlipAug(DetAugmenter):
    """With probability p, the image flipped left-right and the boxes'
    xmin/xmax mirrored (the label is changed in place)."""

    def __init__(self, p):
        super(DetHorizontalFlipAug, self).__init__(p=p)
        self.p = p

    def __call__(self, src, label):
        if random.random() < self.p:
            src = nd.flip(src, axis=1)
            self._flip_label(label)
        return (src, label)

    def _flip_label(self, label):
        """xmin, xmax = 1 - xmax, 1 - xmin, in place."""
        old_xmin = 1.0 - label[:, 1]
        label[:, 1] = 1.0 - label[:, 3]
        label[:, 3] = old_xmin


def _box_areas(boxes):
    """Areas of (n, 4+) boxes [xmin, ymin, xmax, ymax, ...] (0 if empty)."""
    return (np.maximum(0, boxes[:, 3] - boxes[:, 1])
            * np.maximum(0, boxes[:, 2] - boxes[:, 0]))


def _as_range(value, what, name):
    """A (low, high) pair from a pair or one number (logged as fixed)."""
    if isinstance(value, (tuple, list)):
        return value
    assert isinstance(value, numeric_types)
    logging.info("Using fixed %s: %s in %s", what, str(value), name)
    return (value, value)


def _check_ranges(name, area_range, area_above, aspect_ratio_range):
    """TypeError, as MXNet's (whose warning passes the range where the
    warning category goes), for an area_range not increasing or with its
    top at most area_above, or an aspect_ratio_range not increasing or not
    positive."""
    if area_range[1] <= area_above or area_range[0] > area_range[1]:
        raise TypeError("%s: invalid area_range %s (expected low <= high, "
                        "high above %s)" % (name, tuple(area_range), area_above))
    if aspect_ratio_range[0] <= 0 or \
            aspect_ratio_range[0] > aspect_ratio_range[1]:
        raise TypeError("%s: invalid aspect_ratio_range %s (expected 0 < low "
                        "<= high)" % (name, tuple(aspect_ratio_range)))


def _proposal_draws(aug, height, width):
    """For each of aug.max_attempts tries with a positive aspect ratio drawn
    by random.uniform in aug.aspect_ratio_range: (ratio, height of the
    smallest and of the largest area in aug.area_range (fractions of the
    image's), smallest area, largest area). No tries when aug is disabled
    or the image is empty."""
    if not aug.enabled or height <= 0 or width <= 0:
        return
    min_area = aug.area_range[0] * height * width
    max_area = aug.area_range[1] * height * width
    for _ in range(aug.max_attempts):
        ratio = random.uniform(*aug.aspect_ratio_range)
        if ratio <= 0:
            continue
        yield (ratio, int(round(sqrt(min_area / ratio))),
               int(round(sqrt(max_area / ratio))), min_area, max_area)


class DetRandomCropAug(DetAugmenter):
    """A random crop that keeps objects: max_attempts tries of an aspect
    ratio (w/h) drawn in aspect_ratio_range and an area (a fraction of the
    image) in area_range, positioned at random, accepted when every object
    it overlaps keeps more than min_object_covered of its area; objects
    left with min_eject_coverage or less of theirs are dropped and the rest
    clipped and rescaled. Without an accepted crop the input is returned.
    Invalid ranges raise TypeError (see _check_ranges).
    """

    def __init__(self, min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                 area_range=(0.05, 1.0), min_eject_coverage=0.3,
                 max_attempts=50):
        name = "DetRandomCropAug"
        aspect_ratio_range = _as_range(aspect_ratio_range, "aspect ratio", name)
        area_range = _as_range(area_range, "area range", name)
        super(DetRandomCropAug, self).__init__(
            min_object_covered=min_object_covered,
            aspect_ratio_range=aspect_ratio_range, area_range=area_range,
            min_eject_coverage=min_eject_coverage, max_attempts=max_attempts)
        self.min_object_covered = min_object_covered
        self.min_eject_coverage = min_eject_coverage
        self.max_attempts = max_attempts
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        _check_ranges(name, area_range, 0, aspect_ratio_range)
        self.enabled = True

    def __call__(self, src, label):
        crop = self._random_crop_proposal(label, src.shape[0], src.shape[1])
        if crop:
            x, y, w, h, label = crop
            src = fixed_crop(src, x, y, w, h, None)
        return (src, label)

    def _calculate_areas(self, label):
        return _box_areas(label)

    def _intersect(self, label, xmin, ymin, xmax, ymax):
        """The boxes clipped to the window; all-zero rows where empty."""
        left = np.maximum(label[:, 0], xmin)
        right = np.minimum(label[:, 2], xmax)
        top = np.maximum(label[:, 1], ymin)
        bot = np.minimum(label[:, 3], ymax)
        out = label.copy()
        out[:, 0], out[:, 1], out[:, 2], out[:, 3] = left, top, right, bot
        out[np.where(np.logical_or(left >= right, top >= bot))[0], :] = 0
        return out

    def _check_satisfy_constraints(self, label, xmin, ymin, xmax, ymax, width,
                                   height):
        """Whether the crop (pixels) covers more than min_object_covered of
        every object it touches (and touches one)."""
        if (xmax - xmin) * (ymax - ymin) < 2:
            return False
        window = (float(xmin) / width, float(ymin) / height,
                  float(xmax) / width, float(ymax) / height)
        areas = _box_areas(label[:, 1:])
        valid = np.where(areas * width * height > 2)[0]
        if valid.size < 1:
            return False
        inside = self._intersect(label[valid, 1:], *window)
        coverages = _box_areas(inside) / areas[valid]
        coverages = coverages[np.where(coverages > 0)[0]]
        return coverages.size > 0 and np.amin(coverages) > self.min_object_covered

    def _update_labels(self, label, crop_box, height, width):
        """The label in the crop's coordinates, clipped, without objects of
        min_eject_coverage or less left; None when none remains."""
        xmin, ymin = float(crop_box[0]) / width, float(crop_box[1]) / height
        w, h = float(crop_box[2]) / width, float(crop_box[3]) / height
        out = label.copy()
        out[:, (1, 3)] -= xmin
        out[:, (2, 4)] -= ymin
        out[:, (1, 3)] /= w
        out[:, (2, 4)] /= h
        out[:, 1:5] = np.clip(out[:, 1:5], 0, 1)
        coverage = _box_areas(out[:, 1:]) * w * h / _box_areas(label[:, 1:])
        keep = np.logical_and(out[:, 3] > out[:, 1], out[:, 4] > out[:, 2])
        keep = np.where(np.logical_and(keep, coverage > self.min_eject_coverage))[0]
        if keep.size < 1:
            return None
        return out[keep, :]

    def _random_crop_proposal(self, label, height, width):
        """(x, y, w, h, new_label) of an accepted crop, or ()."""
        for ratio, h, max_h, min_area, max_area in _proposal_draws(
                self, height, width):
            if round(max_h * ratio) > width:
                max_h = int((width + 0.4999999) / ratio)
            max_h = min(max_h, height)
            h = min(h, max_h)
            if h < max_h:
                h = random.randint(h, max_h)
            w = int(round(h * ratio))
            assert w <= width
            # nudge the height when rounding left the area out of range
            area = w * h
            if area < min_area:
                h += 1
                w = int(round(h * ratio))
                area = w * h
            if area > max_area:
                h -= 1
                w = int(round(h * ratio))
                area = w * h
            if not (min_area <= area <= max_area and 0 <= w <= width
                    and 0 <= h <= height):
                continue
            y = random.randint(0, max(0, height - h))
            x = random.randint(0, max(0, width - w))
            if self._check_satisfy_constraints(label, x, y, x + w, y + h,
                                               width, height):
                new_label = self._update_labels(label, (x, y, w, h), height,
                                                width)
                if new_label is not None:
                    return (x, y, w, h, new_label)
        return ()


class DetRandomPadAug(DetAugmenter):
    """The image placed at a random position on a larger canvas filled with
    pad_val: max_attempts tries of an aspect ratio in aspect_ratio_range
    and an area (a multiple of the image's, in area_range, above 1), the
    boxes rescaled to it. Invalid ranges disable it (with a warning)."""

    def __init__(self, aspect_ratio_range=(0.75, 1.33), area_range=(1.0, 3.0),
                 max_attempts=50, pad_val=(128, 128, 128)):
        name = "DetRandomPadAug"
        if not isinstance(pad_val, (list, tuple)):
            assert isinstance(pad_val, numeric_types)
        aspect_ratio_range = _as_range(aspect_ratio_range, "aspect ratio", name)
        area_range = _as_range(area_range, "area range", name)
        super(DetRandomPadAug, self).__init__(
            aspect_ratio_range=aspect_ratio_range, area_range=area_range,
            max_attempts=max_attempts, pad_val=pad_val)
        self.pad_val = pad_val
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.max_attempts = max_attempts
        _check_ranges(name, area_range, 1.0, aspect_ratio_range)
        self.enabled = True

    def __call__(self, src, label):
        height, width, _ = src.shape
        pad = self._random_pad_proposal(label, height, width)
        if pad:
            x, y, w, h, label = pad
            values = self.pad_val if isinstance(self.pad_val, (list, tuple)) \
                else (self.pad_val,)
            src = copyMakeBorder(src, y, h - y - height, x, w - x - width,
                                 _PAD_BORDER, values=values)
        return (src, label)

    def _update_labels(self, label, pad_box, height, width):
        """The boxes in the canvas' fractions."""
        out = label.copy()
        out[:, (1, 3)] = (out[:, (1, 3)] * width + pad_box[0]) / pad_box[2]
        out[:, (2, 4)] = (out[:, (2, 4)] * height + pad_box[1]) / pad_box[3]
        return out

    def _random_pad_proposal(self, label, height, width):
        """(x, y, w, h, new_label) of the canvas, or ()."""
        for ratio, h, max_h, _, _ in _proposal_draws(self, height, width):
            if round(h * ratio) < width:
                h = int((width + 0.499999) / ratio)
            h = max(h, height)
            h = min(h, max_h)
            if h < max_h:
                h = random.randint(h, max_h)
            w = int(round(h * ratio))
            if (h - height) < 2 or (w - width) < 2:
                continue  # too thin a border to be worth it
            y = random.randint(0, max(0, h - height))
            x = random.randint(0, max(0, w - width))
            return (x, y, w, h,
                    self._update_labels(label, (x, y, w, h), height, width))
        return ()


def CreateMultiRandCropAugmenter(min_object_covered=0.1,
                                 aspect_ratio_range=(0.75, 1.33),
                                 area_range=(0.05, 1.0), min_eject_coverage=0.3,
                                 max_attempts=50, skip_prob=0):
    """A DetRandomSelectAug over DetRandomCropAugs, one per element of the
    parameters given as lists (the others repeated); skip_prob as
    DetRandomSelectAug's. Lists of different lengths (other than 1) raise
    AssertionError."""
    params = [min_object_covered, aspect_ratio_range, area_range,
              min_eject_coverage, max_attempts]
    params = [p if isinstance(p, list) else [p] for p in params]
    count = max([1] + [len(p) for p in params])
    for k, p in enumerate(params):
        if len(p) != count:
            assert len(p) == 1
            params[k] = p * count
    augs = [DetRandomCropAug(min_object_covered=moc, aspect_ratio_range=arr,
                             area_range=ar, min_eject_coverage=mec,
                             max_attempts=ma)
            for moc, arr, ar, mec, ma in zip(*params)]
    return DetRandomSelectAug(augs, skip_prob=skip_prob)


def CreateDetAugmenter(data_shape, resize=0, rand_crop=0, rand_pad=0,
                       rand_gray=0, rand_mirror=False, mean=None, std=None,
                       brightness=0, contrast=0, saturation=0, pca_noise=0,
                       hue=0, inter_method=2, min_object_covered=0.1,
                       aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 3.0),
                       min_eject_coverage=0.3, max_attempts=50,
                       pad_val=(127, 127, 127)):
    """The detection augmenters for data_shape (C, H, W), in MXNet's order:
    resize (ResizeAug); random crops with probability rand_crop
    (CreateMultiRandCropAugmenter); DetHorizontalFlipAug(0.5) when
    rand_mirror; random padding with probability rand_pad (area up to
    area_range[1]); ForceResizeAug to (W, H); CastAug; colour jitter, hue,
    PCA noise, random grey, then ColorNormalizeAug(mean, std) (True:
    ImageNet's; else a numpy array of 1 or 3) -- each borrowed with
    DetBorrowAug. Raises AssertionError for a bad mean/std.
    """
    augs = []
    if resize > 0:
        augs.append(DetBorrowAug(ResizeAug(resize, inter_method)))
    if rand_crop > 0:
        augs.append(CreateMultiRandCropAugmenter(
            min_object_covered, aspect_ratio_range, area_range,
            min_eject_coverage, max_attempts, skip_prob=(1 - rand_crop)))
    if rand_mirror > 0:
        augs.append(DetHorizontalFlipAug(0.5))
    if rand_pad > 0:
        pad = DetRandomPadAug(aspect_ratio_range, (1.0, area_range[1]),
                              max_attempts, pad_val)
        augs.append(DetRandomSelectAug([pad], 1 - rand_pad))
    augs.append(DetBorrowAug(ForceResizeAug((data_shape[2], data_shape[1]),
                                            inter_method)))
    augs.append(DetBorrowAug(CastAug()))
    if brightness or contrast or saturation:
        augs.append(DetBorrowAug(ColorJitterAug(brightness, contrast,
                                                saturation)))
    if hue:
        augs.append(DetBorrowAug(HueJitterAug(hue)))
    if pca_noise > 0:
        augs.append(DetBorrowAug(LightingAug(pca_noise, _IMAGENET_EIGVAL,
                                             _IMAGENET_EIGVEC)))
    if rand_gray > 0:
        augs.append(DetBorrowAug(RandomGrayAug(rand_gray)))
    if mean is True:
        mean = np.array([123.68, 116.28, 103.53])
    elif mean is not None:
        assert isinstance(mean, np.ndarray) and mean.shape[0] in [1, 3]
    if std is True:
        std = np.array([58.395, 57.12, 57.375])
    elif std is not None:
        assert isinstance(std, np.ndarray) and std.shape[0] in [1, 3]
    if mean is not None or std is not None:
        augs.append(DetBorrowAug(ColorNormalizeAug(mean, std)))
    return augs


class ImageDetIter(ImageIter):
    """Batches of augmented images with detection labels (MXNet's
    mx.image.ImageDetIter); sources, partitioning and last_batch_handle as
    ImageIter's.

    A raw label is [header_width, object_width, (header extras...),
    objects...] flattened, each object [class_id, xmin, ymin, xmax, ymax,
    ...] (at least 7 numbers in all); objects with empty boxes are dropped.
    aug_list: DetAugmenters, else CreateDetAugmenter(data_shape, **kwargs).
    The label batch is (batch_size, max objects, object_width), padded with
    -1; provide_label gives it (the maximum found by reading all labels
    once). Images whose labels are invalid are skipped.
    """

    def __init__(self, batch_size, data_shape, path_imgrec=None,
                 path_imglist=None, path_root=None, path_imgidx=None,
                 shuffle=False, part_index=0, num_parts=1, aug_list=None,
                 imglist=None, data_name="data", label_name="label",
                 last_batch_handle="pad", **kwargs):
        super(ImageDetIter, self).__init__(
            batch_size=batch_size, data_shape=data_shape,
            path_imgrec=path_imgrec, path_imglist=path_imglist,
            path_root=path_root, path_imgidx=path_imgidx, shuffle=shuffle,
            part_index=part_index, num_parts=num_parts, aug_list=[],
            imglist=imglist, data_name=data_name, label_name=label_name,
            last_batch_handle=last_batch_handle)
        self.auglist = CreateDetAugmenter(data_shape, **kwargs) \
            if aug_list is None else aug_list
        label_shape = self._estimate_label_shape()
        self.provide_label = [(label_name, (self.batch_size,) + label_shape)]
        self.label_shape = label_shape

    def _check_valid_label(self, label):
        """RuntimeError unless label is (objects, 5+) with a valid box."""
        if len(label.shape) != 2 or label.shape[1] < 5:
            raise RuntimeError("Label with shape (1+, 5+) required, %s "
                               "received." % str(label))
        valid = np.where(np.logical_and(
            label[:, 0] >= 0, label[:, 3] > label[:, 1],
            label[:, 4] > label[:, 2]))[0]
        if valid.size < 1:
            raise RuntimeError("Invalid label occurs.")

    def _estimate_label_shape(self):
        """(most objects in any label, object width), reading every label."""
        most = 0
        label = None
        self.reset()
        try:
            while True:
                label, _ = self.next_sample()
                label = self._parse_label(label)
                most = max(most, label.shape[0])
        except StopIteration:
            pass
        self.reset()
        return (most, label.shape[1])

    def _parse_label(self, label):
        """The (objects, object_width) numpy array of a raw label; objects
        with empty boxes dropped. RuntimeError for a label too short, of a
        size the widths do not divide, or without a valid object."""
        if isinstance(label, nd.NDArray):
            label = label.asnumpy()
        raw = label.ravel()
        if raw.size < 7:
            raise RuntimeError("Label shape is invalid: " + str(raw.shape))
        header_width, object_width = int(raw[0]), int(raw[1])
        if (raw.size - header_width) % object_width != 0:
            raise RuntimeError("Label shape %s inconsistent with annotation "
                               "width %d." % (str(raw.shape), object_width))
        objects = np.reshape(raw[header_width:], (-1, object_width))
        valid = np.where(np.logical_and(objects[:, 3] > objects[:, 1],
                                        objects[:, 4] > objects[:, 2]))[0]
        if valid.size < 1:
            raise RuntimeError("Encounter sample with no valid label.")
        return objects[valid, :]

    def reshape(self, data_shape=None, label_shape=None):
        """Changes provide_data's (C, H, W) and/or provide_label's
        (objects, width); see check_data_shape and check_label_shape."""
        if data_shape is not None:
            self.check_data_shape(data_shape)
            self.provide_data = [(self.provide_data[0][0],
                                  (self.batch_size,) + data_shape)]
            self.data_shape = data_shape
        if label_shape is not None:
            self.check_label_shape(label_shape)
            self.provide_label = [(self.provide_label[0][0],
                                   (self.batch_size,) + label_shape)]
            self.label_shape = label_shape

    def _batchify(self, batch_data, batch_label, start=0):
        """As ImageIter's, each label written into its row's first objects
        (the rest -1); images with invalid labels skipped."""
        i = start
        try:
            while i < self.batch_size:
                label, encoded = self.next_sample()
                try:
                    data = self.imdecode(encoded)  # skipped if broken
                    self.check_valid_image([data])
                    label = self._parse_label(label)
                    data, label = self.augmentation_transform(data, label)
                    self._check_valid_label(label)
                except RuntimeError as error:
                    logging.debug("Invalid image, skipping:  %s", str(error))
                    continue
                assert i < self.batch_size, \
                    "Batch size must be multiples of augmenter output length"
                batch_data[i] = self.postprocess_data(data)
                count = label.shape[0]
                batch_label[i][0:count] = nd.array(label)
                if count < batch_label[i].shape[0]:
                    batch_label[i][count:] = -1
                i += 1
        except StopIteration:
            if not i:
                raise StopIteration
        return i

    def _new_batch(self):
        """ImageIter's, with every label -1 (no object)."""
        batch_data, batch_label = super(ImageDetIter, self)._new_batch()
        batch_label[:] = -1
        return batch_data, batch_label

    def augmentation_transform(self, data, label):  # pylint: disable=arguments-differ
        """(data, label) through every augmenter in auglist."""
        for aug in self.auglist:
            data, label = aug(data, label)
        return (data, label)

    def check_label_shape(self, label_shape):
        """ValueError unless label_shape is (objects, width) with objects
        no fewer than now and the same width."""
        if not len(label_shape) == 2:
            raise ValueError("label_shape should have length 2")
        if label_shape[0] < self.label_shape[0]:
            raise ValueError("Attempts to reduce label count from %d to %d, "
                             "not allowed." % (self.label_shape[0],
                                               label_shape[0]))
        if label_shape[1] != self.provide_label[0][1][2]:
            raise ValueError("label_shape object width inconsistent: %d vs "
                             "%d." % (self.provide_label[0][1][2],
                                      label_shape[1]))

    def draw_next(self, color=None, thickness=2, mean=None, std=None,
                  clip=True, waitKey=None, window_name="draw_next",
                  id2labels=None):
        """MXNet draws the boxes with OpenCV's Python module (cv2), which
        kiln does not use; where cv2 is missing MXNet's generator raises
        TypeError on its first step (its warning call is malformed), and
        so does this one."""
        raise TypeError("draw_next draws with OpenCV (cv2), which kiln does "
                        "not have")
        yield  # pylint: disable=unreachable  (makes this a generator)

    def sync_label_shape(self, it, verbose=False):
        """Pads this iterator's and `it`'s label shapes to the larger object
        count of the two; returns `it`. AssertionError for another kind of
        iterator or a different object width."""
        assert isinstance(it, ImageDetIter), "Synchronize with invalid iterator."
        mine, theirs = self.label_shape, it.label_shape
        assert mine[1] == theirs[1], "object width mismatch."
        most = max(mine[0], theirs[0])
        if most > mine[0]:
            self.reshape(None, (most, mine[1]))
        if most > theirs[0]:
            it.reshape(None, (most, theirs[1]))
        if verbose and most > min(mine[0], theirs[0]):
            logging.info("Resized label_shape to (%d, %d).", most, mine[1])
        return it
