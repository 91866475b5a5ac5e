"""mx.nd.image: MXNet 1.9.1's fifteen image operators against values
measured with mxnet==1.9.1 (the oracle venv), against a numpy model of
OpenCV's cv::resize (checked there on 500 random sizes, uint8 bit for bit),
MXNet's errors, dtypes and layouts, mx.random.seed, and gradients."""
import numpy as np
import pytest

import kiln as mx
from kiln.test_utils import assert_almost_equal, check_numeric_gradient

nd = mx.nd
image = mx.nd.image


def img(shape, dtype="uint8"):
    """The deterministic test image the measured values were made from."""
    n = int(np.prod(shape))
    return ((np.arange(n) * 37 + 11) % 256).reshape(shape).astype(dtype)


# --- Values measured with mxnet==1.9.1 ------------------------------------
# RESIZE_U8_A: resize(img((3, 4, 3)), (5, 2)); RESIZE_U8_B: resize(img((5, 3,
# 1)), (7, 6)); RESIZE_U8_HALF: resize(img((2, 4, 4, 3)), (2, 2)) (OpenCV's
# area shortcut for exact halving); RESIZE_F32: resize(img((2, 3, 2),
# float32), (4, 5)); RESIZE_F64: resize(img((2, 3, 1), float64), (5, 2));
# RESIZE_NEAREST: resize(img((3, 5, 3)), (7, 4), interp=0);
# RESIZE_NEAREST_DOWN: resize(img((5, 7, 1)), (3, 2), interp=0). Colour ops
# on img((2, 3, 3)) (uint8 and float32) with min_factor == max_factor:
# brightness 1.7, contrast 0.3, saturation 1.6, hue 0.3; adjust_lighting
# alpha=(0.5, -1.0, 2.0); CONTRAST_GRAY: random_contrast(img((2, 3, 1)), 0.5,
# 0.5); NORMALIZE_U8: normalize([[[10, 200]]] uint8, mean=(100,),
# std=(0.5,)) (C's wrapping conversion); NORMALIZE_F32: normalize(img((3, 2,
# 2), float32), mean=(10, 20, 30), std=(2, 4, 8)); TO_TENSOR:
# to_tensor(img((1, 2, 3))).
RESIZE_U8_A = np.array([
    58, 95, 68, 91, 128, 146, 160, 101, 138, 172, 75, 112, 71, 108, 145,
    148, 185, 158, 181, 83, 101, 154, 95, 132, 128, 165, 144, 161, 198,
    43], dtype=np.uint8).reshape(2, 5, 3)
RESIZE_U8_B = np.array([
    11, 16, 32, 48, 64, 80, 85, 94, 99, 115, 131, 147, 163, 168, 187,
    171, 122, 74, 90, 106, 111, 172, 156, 108, 60, 76, 92, 97, 116, 121,
    137, 153, 141, 130, 126, 199, 204, 220, 236, 142, 48, 17], dtype=np.uint8).reshape(6, 7, 1)
RESIZE_U8_HALF = np.array([
    97, 134, 107, 127, 100, 137, 153, 126, 163, 119, 156, 129, 145, 118,
    91, 111, 148, 121, 137, 110, 147, 103, 140, 113], dtype=np.uint8).reshape(2, 2, 2, 3)
RESIZE_F32 = np.array([
    11., 48., 57.25, 94.25, 112.75, 149.75, 159., 196., 33.2, 44.6,
    63.449997, 90.85, 109.35, 146.34999, 155.59999, 192.59999, 122.,
    31., 88.25, 77.25, 95.75, 132.75, 142., 179., 210.8, 17.400002,
    113.049995, 63.65, 82.15, 119.15, 128.40001, 165.40001, 233., 14.,
    119.25, 60.25, 78.75, 115.75, 125., 162.], dtype=np.float32).reshape(5, 4, 2)
RESIZE_F64 = np.array([
    11., 25.800000548362732, 48., 70.20000088214874, 85., 122.,
    136.80000385642052, 159., 181.20000088214874, 196.], dtype=np.float64).reshape(2, 5, 1)
RESIZE_NEAREST = np.array([
    11, 48, 85, 11, 48, 85, 122, 159, 196, 233, 14, 51, 233, 14, 51, 88,
    125, 162, 199, 236, 17, 11, 48, 85, 11, 48, 85, 122, 159, 196, 233,
    14, 51, 233, 14, 51, 88, 125, 162, 199, 236, 17, 54, 91, 128, 54,
    91, 128, 165, 202, 239, 20, 57, 94, 20, 57, 94, 131, 168, 205, 242,
    23, 60, 97, 134, 171, 97, 134, 171, 208, 245, 26, 63, 100, 137, 63,
    100, 137, 174, 211, 248, 29, 66, 103], dtype=np.uint8).reshape(4, 7, 3)
RESIZE_NEAREST_DOWN = np.array([
    11, 85, 159, 17, 91, 165], dtype=np.uint8).reshape(2, 3, 1)
BRIGHT_U8 = np.array([
    18, 81, 144, 207, 255, 255, 255, 23, 86, 149, 212, 255, 255, 255,
    28, 91, 154, 217], dtype=np.uint8).reshape(2, 3, 3)
BRIGHT_F32 = np.array([
    18.7, 81.600006, 144.5, 207.40001, 270.30002, 333.2, 396.1,
    23.800001, 86.700005, 149.6, 212.5, 275.4, 338.30002, 401.2,
    28.900002, 91.8, 154.7, 217.6], dtype=np.float32).reshape(2, 3, 3)
CONTRAST_U8 = np.array([
    82, 93, 104, 115, 126, 138, 149, 83, 94, 105, 116, 127, 138, 150,
    84, 95, 106, 117], dtype=np.uint8).reshape(2, 3, 3)
CONTRAST_F32 = np.array([
    82.55049, 93.65049, 104.75049, 115.850494, 126.950485, 138.05049,
    149.15048, 83.450485, 94.55049, 105.65049, 116.75049, 127.850494,
    138.95049, 150.05049, 84.35049, 95.450485, 106.55049, 117.65049], dtype=np.float32).reshape(2, 3, 3)
SATURATION_U8 = np.array([
    11, 70, 130, 181, 240, 255, 255, 18, 78, 129, 188, 248, 255, 255,
    26, 77, 136, 196], dtype=np.uint8).reshape(2, 3, 3)
SATURATION_F32 = np.array([
    11.786, 70.986, 130.186, 181.7936, 240.9936, 300.1936, 369.3116,
    18.9116, 78.111595, 129.71921, 188.9192, 248.11922, 317.23718,
    376.4372, 26.0372, 77.6448, 136.8448, 196.0448], dtype=np.float32).reshape(2, 3, 3)
HUE_U8 = np.array([
    85, 10, 62, 195, 122, 173, 94, 232, 14, 162, 88, 139, 16, 236, 229,
    128, 53, 105], dtype=np.uint8).reshape(2, 3, 3)
HUE_F32 = np.array([
    85., 10.999999, 62.799988, 195.99998, 122.00002, 173.79999,
    94.79993, 232.99998, 14.000014, 162., 88.00001, 139.8, 16.999985,
    236.00002, 229.20007, 128., 53.999996, 105.79999], dtype=np.float32).reshape(2, 3, 3)
LIGHTING_U8 = np.array([
    0, 30, 73, 103, 141, 184, 214, 0, 39, 69, 107, 150, 180, 218, 5, 35,
    73, 116], dtype=np.uint8).reshape(2, 3, 3)
LIGHTING_F32 = np.array([
    -7.2641525, 30.047045, 73.112656, 103.73585, 141.04704, 184.11266,
    214.73584, -3.9529552, 39.11265, 69.73585, 107.04704, 150.11266,
    180.73584, 218.04704, 5.112653, 35.735847, 73.04704, 116.112656], dtype=np.float32).reshape(2, 3, 3)
CONTRAST_GRAY = np.array([
    57, 75, 94, 112, 131, 149], dtype=np.uint8).reshape(2, 3, 1)
NORMALIZE_U8 = np.array([
    76, 200], dtype=np.uint8).reshape(1, 1, 2)
NORMALIZE_F32 = np.array([
    0.5, 19., 37.5, 56., 34.75, 44., 53.25, -1.5, 2.625, 7.25, 11.875,
    16.5], dtype=np.float32).reshape(3, 2, 2)
TO_TENSOR = np.array([
    0.043137256, 0.47843137, 0.1882353, 0.62352943, 0.33333334,
    0.76862746], dtype=np.float32).reshape(3, 1, 2)


# --- A numpy model of OpenCV 3.4.2's cv::resize, as MXNet 1.9.1 calls it ---
def _linear_taps(src, dst, clamp_weights):
    scale = 1.0 / (dst / src)
    first, second, frac = [], [], []
    for d in range(dst):
        f = np.float32((d + 0.5) * scale - 0.5)
        s = int(np.floor(f))
        f = np.float32(f - np.float32(s))
        if clamp_weights:
            if s < 0:
                s, f = 0, np.float32(0)
            if s >= src - 1:
                s, f = src - 1, np.float32(0)
        first.append(min(max(s, 0), src - 1))
        second.append(min(max(s + 1, 0), src - 1))
        frac.append(f)
    return np.array(first), np.array(second), np.array(frac, np.float32)


def cv_resize_linear(x, out_h, out_w):
    h, w = x.shape[-3], x.shape[-2]
    x0, x1, fx = _linear_taps(w, out_w, True)
    y0, y1, fy = _linear_taps(h, out_h, False)
    if x.dtype == np.uint8:
        fixed = lambda a: np.rint(a * np.float32(2048)).astype(np.int64)
        ax0, ax1 = fixed(np.float32(1) - fx), fixed(fx)
        ay0, ay1 = fixed(np.float32(1) - fy), fixed(fy)
        s = x.astype(np.int64)
        hor = (s[..., x0, :] * ax0[:, None] + s[..., x1, :] * ax1[:, None])
        v = ((((hor[..., y0, :, :] >> 4) * ay0[:, None, None]) >> 16)
             + (((hor[..., y1, :, :] >> 4) * ay1[:, None, None]) >> 16))
        return np.clip((v + 2) >> 2, 0, 255).astype(np.uint8)
    t = x.dtype.type
    wx0, wx1 = (np.float32(1) - fx).astype(t), fx.astype(t)
    wy0, wy1 = (np.float32(1) - fy).astype(t), fy.astype(t)
    hor = x[..., x0, :] * wx0[:, None] + x[..., x1, :] * wx1[:, None]
    return (hor[..., y0, :, :] * wy0[:, None, None]
            + hor[..., y1, :, :] * wy1[:, None, None])


def cv_resize_nearest(x, out_h, out_w):
    h, w = x.shape[-3], x.shape[-2]
    tab = lambda s, d: [min(int(np.floor(i * (1.0 / (d / s)))), s - 1)
                        for i in range(d)]
    return x[..., tab(h, out_h), :, :][..., tab(w, out_w), :]


# --- to_tensor, normalize ---------------------------------------------------
def test_to_tensor_matches_mxnet():
    out = image.to_tensor(nd.array(img((1, 2, 3)), dtype="uint8"))
    assert out.shape == (3, 1, 2) and out.dtype == np.float32
    assert_almost_equal(out.asnumpy(), TO_TENSOR, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64", "int32",
                                   "float16"])
def test_to_tensor_layouts_and_dtypes(dtype):
    x = img((2, 4, 5, 3), dtype)
    out = image.to_tensor(nd.array(x, dtype=dtype))
    assert out.shape == (2, 3, 4, 5) and out.dtype == np.float32
    expect = x.astype(np.float32).transpose(0, 3, 1, 2) / np.float32(255)
    assert_almost_equal(out.asnumpy(), expect, rtol=1e-6, atol=0)
    single = image.to_tensor(nd.array(x[0], dtype=dtype))
    assert single.shape == (3, 4, 5)
    assert_almost_equal(single.asnumpy(), expect[0], rtol=1e-6, atol=0)


def test_to_tensor_errors():
    for shape in [(2, 3), (1, 1, 2, 3, 3)]:
        with pytest.raises(mx.MXNetError, match=r"_image_to_tensor: data "
                           r"expected shape \(height, width, channels\) or "
                           r"\(N, height, width, channels\), got"):
            image.to_tensor(nd.zeros(shape))


def test_normalize_matches_mxnet():
    out = image.normalize(nd.array(img((3, 2, 2), "float32")),
                          mean=(10, 20, 30), std=(2, 4, 8))
    assert_almost_equal(out.asnumpy(), NORMALIZE_F32, rtol=1e-6, atol=0)
    wrapped = image.normalize(nd.array([[[10, 200]]], dtype="uint8"),
                              mean=(100,), std=(0.5,))
    assert wrapped.dtype == np.uint8
    assert np.array_equal(wrapped.asnumpy(), NORMALIZE_U8)


def test_normalize_batches_scalars_and_dtypes():
    x = img((2, 3, 4, 5), "float32")
    out = image.normalize(nd.array(x), mean=(1, 2, 3), std=(2, 4, 8))
    mean = np.array([1, 2, 3], np.float32)[:, None, None]
    std = np.array([2, 4, 8], np.float32)[:, None, None]
    assert_almost_equal(out.asnumpy(), (x - mean) / std, rtol=1e-6, atol=0)
    # One value applies to every channel (MXNet takes a bare number too).
    out = image.normalize(nd.array(x[0]), mean=2, std=(4,))
    assert_almost_equal(out.asnumpy(), (x[0] - 2) / 4, rtol=1e-6, atol=0)
    # Integer data: computed in float, truncated (int32 -90.7 -> -90).
    out = image.normalize(nd.array([[[10, 200]]], dtype="int32"),
                          mean=(100.7,), std=(1,))
    assert out.dtype == np.int32 and out.asnumpy().ravel().tolist() == [-90, 99]
    out = image.normalize(nd.array(x[0], dtype="float64"), mean=(1,), std=(3,))
    assert out.dtype == np.float64


def test_normalize_errors():
    with pytest.raises(mx.MXNetError, match=r"_image_normalize: data expected "
                       r"shape \(channels, height, width\) or \(N, channels, "
                       r"height, width\), got \(2, 3\)"):
        image.normalize(nd.zeros((2, 3)), mean=(0,), std=(1,))
    with pytest.raises(mx.MXNetError, match=r"_image_normalize: data expected "
                       r"1 or 3 channels \(axis 0\), got shape \(4, 2, 2\)"):
        image.normalize(nd.zeros((4, 2, 2)), mean=(0,), std=(1,))
    with pytest.raises(mx.MXNetError, match=r"_image_normalize: mean expected "
                       r"1 or 3 values \(one per channel\), got 2"):
        image.normalize(nd.zeros((3, 2, 2)), mean=(1, 2), std=(1,))
    with pytest.raises(mx.MXNetError, match=r"_image_normalize: std expected "
                       r"1 or 1 values"):
        image.normalize(nd.zeros((1, 2, 2)), mean=(1,), std=(1, 2, 3))
    # As in MXNet 1.9.1, the 4-value defaults fit no image.
    with pytest.raises(mx.MXNetError, match=r"mean expected 1 or 3 values"):
        image.normalize(nd.zeros((3, 2, 2)))


# --- crop, flips ------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_crop(dtype):
    x = img((5, 6, 3), dtype)
    out = image.crop(nd.array(x, dtype=dtype), 1, 2, 3, 2)
    assert np.dtype(out.dtype) == dtype and np.array_equal(out.asnumpy(), x[2:4, 1:4])
    batch = img((2, 5, 6, 1), dtype)
    out = image.crop(nd.array(batch, dtype=dtype), x=0, y=1, width=6, height=4)
    assert np.array_equal(out.asnumpy(), batch[:, 1:5, 0:6])


def test_crop_errors():
    x = nd.zeros((2, 4, 3))
    cases = [
        (lambda: image.crop(x, 1, 0, 5, 2), r"x \+ width expected <= the "
         r"image width 4, got 1 \+ 5"),
        (lambda: image.crop(x, 0, 1, 2, 2), r"y \+ height expected <= the "
         r"image height 2, got 1 \+ 2"),
        (lambda: image.crop(x, 0, 0, 0, 2), r"width and height expected > 0, "
         r"got 0 and 2"),
        (lambda: image.crop(x, -1, 0, 2, 2), r"x and y expected >= 0, got -1"),
        (lambda: image.crop(nd.zeros((4, 4)), 0, 0, 2, 2), r"data expected "
         r"shape \(height, width, channels\) or \(N, height, width, "
         r"channels\), got \(4, 4\)"),
        (lambda: image.crop(nd.zeros((3, 4, 2)), 0, 0, 1, 1), r"data expected "
         r"1 or 3 channels \(the last axis\), got shape \(3, 4, 2\)"),
        (lambda: image.crop(x, 0, 0, 1), r"missing required argument "
         r"'height'"),
    ]
    for call, message in cases:
        with pytest.raises(mx.MXNetError, match="_image_crop: " + message):
            call()


@pytest.mark.parametrize("dtype", ["uint8", "float32", "int32"])
def test_flips(dtype):
    x = img((3, 4, 3), dtype)
    a = nd.array(x, dtype=dtype)
    lr, tb = image.flip_left_right(a), image.flip_top_bottom(a)
    assert np.dtype(lr.dtype) == dtype and np.array_equal(lr.asnumpy(), x[:, ::-1])
    assert np.array_equal(tb.asnumpy(), x[::-1])
    # A new array, not a view of the input.
    lr[:] = 0
    assert np.array_equal(a.asnumpy(), x)


def test_flip_errors():
    # MXNet 1.9.1's flips and colour ops take one HWC image, 1 or 3 channels.
    for op in ["flip_left_right", "flip_top_bottom", "random_flip_left_right",
               "random_flip_top_bottom"]:
        with pytest.raises(mx.MXNetError, match=r"_image_%s: data expected "
                           r"shape \(height, width, channels\), got "
                           r"\(1, 2, 4, 3\)" % op):
            getattr(image, op)(nd.zeros((1, 2, 4, 3)))
        with pytest.raises(mx.MXNetError, match=r"_image_%s: data expected 1 "
                           r"or 3 channels" % op):
            getattr(image, op)(nd.zeros((2, 2, 5)))


def test_random_flips_follow_the_seed():
    x = img((2, 3, 1), "float32")
    a = nd.array(x)
    for op, flipped in [(image.random_flip_left_right, x[:, ::-1]),
                        (image.random_flip_top_bottom, x[::-1])]:
        mx.random.seed(7)
        first = [op(a).asnumpy() for _ in range(40)]
        mx.random.seed(7)
        again = [op(a).asnumpy() for _ in range(40)]
        assert all(np.array_equal(p, q) for p, q in zip(first, again))
        flips = sum(np.array_equal(p, flipped) for p in first)
        copies = sum(np.array_equal(p, x) for p in first)
        assert flips + copies == 40 and 8 <= flips <= 32


# --- resize -----------------------------------------------------------------
def test_resize_matches_mxnet():
    cases = [
        (img((3, 4, 3)), dict(size=(5, 2)), RESIZE_U8_A),
        (img((5, 3, 1)), dict(size=(7, 6)), RESIZE_U8_B),
        (img((2, 4, 4, 3)), dict(size=(2, 2)), RESIZE_U8_HALF),
        (img((3, 5, 3)), dict(size=(7, 4), interp=0), RESIZE_NEAREST),
        (img((5, 7, 1)), dict(size=(3, 2), interp=0), RESIZE_NEAREST_DOWN),
    ]
    for x, kwargs, expect in cases:
        out = image.resize(nd.array(x, dtype="uint8"), **kwargs)
        assert out.dtype == np.uint8 and out.shape == expect.shape
        assert np.array_equal(out.asnumpy(), expect), kwargs
    out = image.resize(nd.array(img((2, 3, 2), "float32")), (4, 5))
    assert out.dtype == np.float32
    assert_almost_equal(out.asnumpy(), RESIZE_F32, rtol=1e-6, atol=1e-5)
    out = image.resize(nd.array(img((2, 3, 1), "float64"), dtype="float64"),
                       (5, 2))
    assert out.dtype == np.float64
    assert_almost_equal(out.asnumpy(), RESIZE_F64, rtol=1e-12, atol=1e-9)


def test_resize_matches_opencv_model():
    rng = np.random.default_rng(3)
    for trial in range(40):
        h, w = rng.integers(1, 14, size=2)
        oh, ow = rng.integers(1, 30, size=2)
        if trial % 5 == 0:
            oh, ow = max(h // 2, 1), max(w // 2, 1)
        c = int(rng.choice([1, 3, 4]))
        batch = (2,) if trial % 3 == 0 else ()
        x = rng.integers(0, 256, size=batch + (h, w, c)).astype(np.uint8)
        out = image.resize(nd.array(x, dtype="uint8"), (int(ow), int(oh)))
        assert np.array_equal(out.asnumpy(), cv_resize_linear(x, oh, ow))
        out = image.resize(nd.array(x, dtype="uint8"), (int(ow), int(oh)),
                           interp=0)
        assert np.array_equal(out.asnumpy(), cv_resize_nearest(x, oh, ow))
        f = x.astype(np.float32) / 7
        out = image.resize(nd.array(f), (int(ow), int(oh)))
        assert_almost_equal(out.asnumpy(), cv_resize_linear(f, oh, ow),
                            rtol=1e-5, atol=1e-5)


def test_resize_sizes():
    x = nd.zeros((2, 6, 5, 3), dtype="uint8")
    # (width, height); one number sets both; keep_ratio sets the short edge
    # and rounds the long one down (shapes measured with mxnet==1.9.1).
    assert image.resize(x, (3, 4)).shape == (2, 4, 3, 3)
    assert image.resize(x[0], 3).shape == (3, 3, 3)
    assert image.resize(x, (3,), keep_ratio=True).shape == (2, 3, 3, 3)
    assert image.resize(x, 4, keep_ratio=True).shape == (2, 4, 4, 3)
    assert image.resize(x, (3, 4), keep_ratio=True).shape == (2, 4, 3, 3)
    for shape, expect in [((7, 3, 3), (11, 5, 3)), ((3, 7, 3), (5, 11, 3)),
                          ((3, 8, 3), (5, 13, 3)), ((3, 3, 3), (5, 5, 3))]:
        assert image.resize(nd.zeros(shape), 5, keep_ratio=True).shape == expect
    assert image.resize(nd.zeros((4, 4, 5)), (2, 2)).shape == (2, 2, 5)


def test_resize_errors():
    x = nd.zeros((4, 4, 3))
    cases = [
        (lambda: image.resize(x, (3, 4, 5)), r"size expected \(width, "
         r"height\) or \(size,\), got \(3, 4, 5\)"),
        (lambda: image.resize(x), r"size expected \(width, height\)"),
        (lambda: image.resize(x, (0, 4)), r"size expected positive extents, "
         r"got \(0, 4\) \(width\)"),
        (lambda: image.resize(x, 0), r"size expected positive extents, got 0"),
        (lambda: image.resize(x, 2, interp=7), r"interp expected 0 "
         r"\(nearest\), 1 \(bilinear\), 2 \(bicubic\), 3 \(area\) or 4 "
         r"\(Lanczos4\), got 7"),
        (lambda: image.resize(nd.zeros((4, 4)), 2), r"data expected shape "
         r"\(height, width, channels\) or \(N, height, width, channels\), "
         r"got \(4, 4\)"),
        (lambda: image.resize(nd.zeros((2, 2, 3), dtype="int32"), 2),
         r"data expected dtype uint8, float32 or float64, got int32"),
        (lambda: image.resize(nd.zeros((2, 2, 3), dtype="float16"), 2),
         r"data expected dtype uint8, float32 or float64, got float16"),
    ]
    for call, message in cases:
        with pytest.raises(mx.MXNetError, match="_image_resize: " + message):
            call()


# --- colour ----------------------------------------------------------------
COLOUR = [
    ("brightness", lambda x: image.random_brightness(x, 1.7, 1.7),
     BRIGHT_U8, BRIGHT_F32),
    ("contrast", lambda x: image.random_contrast(x, 0.3, 0.3),
     CONTRAST_U8, CONTRAST_F32),
    ("saturation", lambda x: image.random_saturation(x, 1.6, 1.6),
     SATURATION_U8, SATURATION_F32),
    ("hue", lambda x: image.random_hue(x, 0.3, 0.3), HUE_U8, HUE_F32),
    ("lighting", lambda x: image.adjust_lighting(x, alpha=(0.5, -1.0, 2.0)),
     LIGHTING_U8, LIGHTING_F32),
]


@pytest.mark.parametrize("name,op,expect_u8,expect_f32", COLOUR,
                         ids=[case[0] for case in COLOUR])
def test_colour_matches_mxnet(name, op, expect_u8, expect_f32):
    out = op(nd.array(img((2, 3, 3), "float32")))
    assert out.dtype == np.float32
    assert_almost_equal(out.asnumpy(), expect_f32, rtol=1e-5, atol=1e-3)
    out = op(nd.array(img((2, 3, 3)), dtype="uint8"))
    assert out.dtype == np.uint8
    # Computed in float32 and truncated: a value a rounding away from an
    # integer may land one below or above MXNet's.
    diff = np.abs(out.asnumpy().astype(int) - expect_u8.astype(int))
    assert diff.max() <= 1 and (diff == 0).mean() >= 0.8, diff


def test_colour_on_gray_images():
    g = nd.array(img((2, 3, 1)), dtype="uint8")
    assert np.array_equal(image.random_contrast(g, 0.5, 0.5).asnumpy(),
                          CONTRAST_GRAY)
    # Saturation and hue leave a gray image as it is (MXNet's hue writes
    # nothing for one channel; kiln copies).
    for op in [image.random_saturation, image.random_hue]:
        assert np.array_equal(op(g, 0.5, 0.5).asnumpy(), img((2, 3, 1)))
    with pytest.raises(mx.MXNetError, match=r"_image_adjust_lighting: data "
                       r"expected 3 channels \(RGB\), got shape \(2, 3, 1\)"):
        image.adjust_lighting(g, alpha=(1, 2, 3))


@pytest.mark.parametrize("dtype", ["int8", "int32", "float16", "float64"])
def test_colour_dtypes_saturate(dtype):
    x = np.array([[[100, 20, -50]]], dtype=dtype)
    out = image.random_brightness(nd.array(x, dtype=dtype), 2, 2)
    assert np.dtype(out.dtype) == dtype
    expect = {"int8": [127, 40, -100], "int32": [200, 40, -100],
              "float16": [200, 40, -100], "float64": [200, 40, -100]}[dtype]
    assert out.asnumpy().ravel().tolist() == expect
    out = image.random_brightness(nd.array([[[200, 100, 0]]], dtype="uint8"),
                                  1.5, 1.5)
    assert out.asnumpy().ravel().tolist() == [255, 150, 0]


def test_random_colour_factors():
    x = nd.array(img((4, 5, 3), "float32"))
    mx.random.seed(3)
    first = image.random_brightness(x, 0.5, 1.5).asnumpy()
    mx.random.seed(3)
    assert np.array_equal(image.random_brightness(x, 0.5, 1.5).asnumpy(),
                          first)
    ratio = first / np.maximum(x.asnumpy(), 1e-9)
    factor = ratio[x.asnumpy() > 0]
    assert np.allclose(factor, factor[0], rtol=1e-5)
    assert 0.5 <= factor[0] <= 1.5
    # min_factor above max_factor draws between them, as MXNet's.
    out = image.random_brightness(x, 0.6, 0.5).asnumpy()
    factor = (out / np.maximum(x.asnumpy(), 1e-9))[x.asnumpy() > 0][0]
    assert 0.5 - 1e-6 <= factor <= 0.6 + 1e-6
    factors = set()
    for _ in range(10):
        out = image.random_contrast(x, 0.2, 1.8).asnumpy()
        factors.add(round(float(out[0, 1, 0] - out[0, 0, 0]), 3))
    assert len(factors) > 5


def test_random_colour_errors():
    x = nd.ones((2, 2, 3))
    for op in ["random_brightness", "random_contrast", "random_saturation",
               "random_hue"]:
        with pytest.raises(mx.MXNetError, match=r"_image_%s: max_factor "
                           r"expected >= 0, got -0.5" % op):
            getattr(image, op)(x, 0, -0.5)
        with pytest.raises(mx.MXNetError, match=r"_image_%s: min_factor "
                           r"expected >= 0" % op):
            getattr(image, op)(x, -0.5, 0.5)
        with pytest.raises(mx.MXNetError, match=r"_image_%s: data expected "
                           r"shape \(height, width, channels\), got "
                           r"\(2, 2, 2, 3\)" % op):
            getattr(image, op)(nd.ones((2, 2, 2, 3)), 0.5, 0.5)
        with pytest.raises(mx.MXNetError, match=r"_image_%s: data expected 1 "
                           r"or 3 channels" % op):
            getattr(image, op)(nd.ones((2, 2, 4)), 0.5, 0.5)
    with pytest.raises(mx.MXNetError, match=r"_image_adjust_lighting: alpha "
                       r"expected 3 values \(R, G, B\), got 2"):
        image.adjust_lighting(x, alpha=(0.1, 0.2))
    with pytest.raises(mx.MXNetError, match=r"_image_random_color_jitter: "
                       r"missing required argument 'hue'"):
        image.random_color_jitter(x, 0.1, 0.1, 0.1)


def test_color_jitter():
    x = nd.array(img((3, 4, 3), "float32"))
    # Only brightness: the image times one factor in [0.7, 1.3].
    out = image.random_color_jitter(x, 0.3, 0, 0, 0).asnumpy()
    factor = out / np.maximum(x.asnumpy(), 1e-9)
    assert np.allclose(factor[x.asnumpy() > 0], factor[0, 0, 0], rtol=1e-5)
    assert 0.7 <= factor[0, 0, 0] <= 1.3
    # Nothing to do (amounts <= 0): a copy (MXNet 1.9.1 leaves its output
    # unwritten then).
    out = image.random_color_jitter(x, 0, -0.1, 0, 0)
    assert np.array_equal(out.asnumpy(), x.asnumpy())
    mx.random.seed(5)
    first = image.random_color_jitter(x, 0.2, 0.2, 0.2, 0.1).asnumpy()
    mx.random.seed(5)
    again = image.random_color_jitter(x, 0.2, 0.2, 0.2, 0.1).asnumpy()
    assert np.array_equal(first, again)
    u8 = image.random_color_jitter(nd.array(img((3, 4, 3)), dtype="uint8"),
                                   0.4, 0.4, 0.4, 0.2)
    assert u8.dtype == np.uint8 and u8.shape == (3, 4, 3)


def test_random_lighting():
    x = nd.array(img((2, 3, 3), "float32"))
    mx.random.seed(11)
    out = image.random_lighting(x, alpha_std=0.1).asnumpy()
    shift = out - x.asnumpy()
    # One shift per channel, the same at every pixel.
    assert np.allclose(shift, shift[0, 0], atol=1e-4)
    assert np.abs(shift[0, 0]).max() > 0
    mx.random.seed(11)
    assert np.array_equal(image.random_lighting(x, 0.1).asnumpy(), out)
    assert np.array_equal(image.random_lighting(x, alpha_std=0).asnumpy(),
                          x.asnumpy())


def test_out_argument():
    x = nd.array(img((4, 4, 3)), dtype="uint8")
    out = nd.zeros((2, 2, 3), dtype="uint8")
    result = image.resize(x, (2, 2), out=out)
    assert np.array_equal(out.asnumpy(), cv_resize_linear(img((4, 4, 3)), 2, 2))
    assert result.asnumpy().shape == (2, 2, 3)


# --- gradients (MXNet's are missing or the identity for most image ops;
# kiln's are the derivative of the forward computation) ----------------------
GRADIENT_CASES = [
    ("to_tensor", lambda x: image.to_tensor(x), (2, 3, 3)),
    ("normalize", lambda x: image.normalize(x, mean=(0.1, 0.2, 0.3),
                                            std=(0.5, 2.0, 4.0)), (3, 2, 2)),
    ("crop", lambda x: image.crop(x, 1, 0, 2, 2), (3, 4, 3)),
    ("resize", lambda x: image.resize(x, (5, 3)), (2, 4, 3)),
    ("resize_nearest", lambda x: image.resize(x, (5, 3), interp=0), (2, 4, 1)),
    ("flip_left_right", lambda x: image.flip_left_right(x), (2, 3, 3)),
    ("flip_top_bottom", lambda x: image.flip_top_bottom(x), (2, 3, 1)),
    ("brightness", lambda x: image.random_brightness(x, 1.3, 1.3), (2, 2, 3)),
    ("contrast", lambda x: image.random_contrast(x, 0.6, 0.6), (2, 2, 3)),
    ("saturation", lambda x: image.random_saturation(x, 0.6, 0.6), (2, 2, 3)),
    ("lighting", lambda x: image.adjust_lighting(x, alpha=(0.1, 0.2, 0.3)),
     (2, 2, 3)),
]


@pytest.mark.parametrize("name,op,shape", GRADIENT_CASES,
                         ids=[case[0] for case in GRADIENT_CASES])
def test_numeric_gradients(name, op, shape):
    rng = np.random.default_rng(7)
    x = rng.uniform(10, 200, size=shape)
    # Every case is affine in x (the colour ops compute in float32, as
    # MXNet's), so a wide step is exact and rises above float32 rounding.
    check_numeric_gradient(op, [x], numeric_eps=1.0, rtol=1e-3, atol=1e-3,
                           dtype=np.float64)


def test_resize_gradient_is_the_transposed_interpolation():
    x = nd.array(img((2, 2, 1), "float32"))
    x.attach_grad()
    with mx.autograd.record():
        y = image.resize(x, (4, 4))
    y.backward()
    # Each input pixel receives the sum of its weights over the outputs:
    # 4 each by symmetry.
    assert_almost_equal(x.grad.asnumpy(), np.full((2, 2, 1), 4.0), rtol=1e-6,
                        atol=1e-6)
