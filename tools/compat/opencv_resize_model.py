"""A numpy model of what MXNet 1.9.1's mx.nd.image.resize computes for
interp 2 (cv::INTER_CUBIC), 3 (cv::INTER_AREA) and 4 (cv::INTER_LANCZOS4):
OpenCV 3.4's cv::resize on HWC float32 and uint8 images, bit for bit.

kiln's _image_resize (frontends/cpp/ops/ImageOps.cpp) does interp 0 and 1
and refuses 2-4; this file is the specification for adding them there in
the same way (tap tables computed on the host, gathers and arithmetic):

    /usr/bin/python3 tools/compat/opencv_resize_model.py --check

compares the model with MXNet 1.9.1 live (210 cases: up, down and mixed
scales, float32 and uint8; every one equal).

The rules, per axis (source extent S, destination extent D,
scale = S / D as a double):

- cubic (4 taps, A = -0.75) and Lanczos4 (8 taps): f = float((d + 0.5) *
  scale - 0.5), s = floor(f), f -= s; taps s - k/2 + 1 ... s + k/2,
  clamped to [0, S - 1] (replicated border). Coefficients in float:
  cubic_coeffs / lanczos4_coeffs below.
- area with both scales >= 1 (shrinking): integer scales average each
  block (float32: sum * float(1 / area); uint8: (sum + 2) >> 2 for 2x2,
  else rint(float(sum) * float(1 / area))); other scales take
  computeResizeAreaTab's taps (a partial first and last source cell,
  weights / cell width), summed per source row then over rows in float,
  uint8 rounded with rint at the end.
- area otherwise (any axis growing): OpenCV's bilinear pass with
  s = floor(d * scale), f = float((d + 1) - (s + 1) / scale), f = 0 when
  f <= 0 else frac(f); s clamped into [0, S - 1] with f = 0 at the edges.
- uint8 (not area-shrinking): coefficients round(c * 2048) as int16; the
  horizontal pass sums ints; the vertical pass is OpenCV's SSE2 one:
  cubic in float (sum of int * (beta / 2048^2) in tap order, rint) for
  the first multiple of 8 values of each row (width * channels) and fixed
  point ((sum + 2^21) >> 22) for the rest; Lanczos4 fixed point; area's
  bilinear form the formula kiln's bilinear already uses,
  ((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16) + 2) >> 2.
  Results saturate to [0, 255].
- float32: both passes in float32, terms added in tap order.
"""
import argparse
import math
import os
import sys

import numpy as np

F = np.float32
COEF_SCALE = 2048  # OpenCV's INTER_RESIZE_COEF_SCALE (11 bits)


def cubic_coeffs(x):
    """OpenCV's interpolateCubic (A = -0.75) at fraction x, in float."""
    a, x, one = F(-0.75), F(x), F(1)
    c0 = ((a * (x + one) - F(5) * a) * (x + one) + F(8) * a) * (x + one) - F(4) * a
    c1 = ((a + F(2)) * x - (a + F(3))) * x * x + one
    c2 = ((a + F(2)) * (one - x) - (a + F(3))) * (one - x) * (one - x) + one
    return [F(c0), F(c1), F(c2), F(one - c0 - c1 - c2)]


def lanczos4_coeffs(x):
    """OpenCV's interpolateLanczos4 at fraction x: sin ratios in double,
    stored as float and normalized by their float sum."""
    x = F(x)
    if x < np.finfo(np.float32).eps:
        return [F(0)] * 3 + [F(1)] + [F(0)] * 4
    s45 = 0.70710678118654752440084436210485
    cs = [(1, 0), (-s45, -s45), (0, 1), (s45, -s45), (-1, 0), (s45, s45),
          (0, -1), (-s45, s45)]
    y0 = -(float(x) + 3) * math.pi * 0.25
    s0, c0 = math.sin(y0), math.cos(y0)
    coeffs, total = [], F(0)
    for i in range(8):
        y = -(float(x) + 3 - i) * math.pi * 0.25
        coeffs.append(F((cs[i][0] * s0 + cs[i][1] * c0) / (y * y)))
        total = F(total + coeffs[-1])
    total = F(F(1) / total)
    return [F(c * total) for c in coeffs]


def taps(source, destination, interp):
    """(first source index of each output, its coefficients, tap count)."""
    scale = source / destination
    count = {2: 4, 3: 2, 4: 8}[interp]
    firsts, coeffs = [], []
    for d in range(destination):
        if interp != 3:
            f = F((d + 0.5) * scale - 0.5)
            s = math.floor(f)
            f = F(f - F(s))
        else:  # area's bilinear form
            s = math.floor(d * scale)
            f = F((d + 1) - (s + 1) * (destination / source))
            f = F(0) if f <= 0 else F(f - F(math.floor(f)))
            if s < 0:
                f, s = F(0), 0
            if s >= source - 1:
                f, s = F(0), source - 1
        coeffs.append(cubic_coeffs(f) if interp == 2 else
                      lanczos4_coeffs(f) if interp == 4 else [F(1) - f, f])
        firsts.append(s - count // 2 + 1)
    return firsts, coeffs, count


def _tap(index, extent):
    return min(max(index, 0), extent - 1)


def separable(image, height, width, interp):
    """cv::resize's separable passes (cubic, Lanczos4, area growing)."""
    h, w, c = image.shape
    xs, xc, count = taps(w, width, interp)
    ys, yc, _ = taps(h, height, interp)
    if image.dtype != np.uint8:
        src = image.astype(F)
        rows = np.zeros((h, width, c), F)
        for d in range(width):
            for j in range(count):
                term = src[:, _tap(xs[d] + j, w)] * xc[d][j]
                rows[:, d] = term if j == 0 else (rows[:, d] + term).astype(F)
        out = np.zeros((height, width, c), F)
        for d in range(height):
            for j in range(count):
                term = rows[_tap(ys[d] + j, h)] * yc[d][j]
                out[d] = term if j == 0 else (out[d] + term).astype(F)
        return out
    fixed = lambda cs: [int(np.clip(np.rint(F(v * COEF_SCALE)), -32768,
                                    32767)) for v in cs]
    xa, ya = [fixed(cs) for cs in xc], [fixed(cs) for cs in yc]
    src = image.astype(np.int64)
    rows = np.zeros((h, width, c), np.int64)
    for d in range(width):
        for j in range(count):
            rows[:, d] += src[:, _tap(xs[d] + j, w)] * xa[d][j]
    out = np.zeros((height, width, c), np.uint8)
    for d in range(height):
        taken = [rows[_tap(ys[d] + j, h)] for j in range(count)]
        exact = (sum(t * b for t, b in zip(taken, ya[d])) + (1 << 21)) >> 22
        if interp == 2:  # SSE2 float pass over the first 8k values
            betas = [F(b * F(1.0 / (COEF_SCALE * COEF_SCALE))) for b in ya[d]]
            acc = (taken[0].astype(F).ravel() * betas[0]).astype(F)
            for t, b in zip(taken[1:], betas[1:]):
                acc = (acc + (t.astype(F).ravel() * b).astype(F)).astype(F)
            flat = exact.ravel().copy()
            vector = (flat.size // 8) * 8
            flat[:vector] = np.rint(acc[:vector])
            exact = flat.reshape(width, c)
        elif interp == 3:  # the bilinear SSE2 pass
            (h0, h1), (b0, b1) = taken, ya[d]
            exact = (((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16)
                     + 2) >> 2
        out[d] = np.clip(exact, 0, 255)
    return out


def area_table(source, destination, scale):
    """computeResizeAreaTab: (output, source index, weight) triples."""
    table = []
    for d in range(destination):
        f1 = d * scale
        f2 = f1 + scale
        cell = min(scale, source - f1)
        s1, s2 = math.ceil(f1), min(math.floor(f2), source - 1)
        s1 = min(s1, s2)
        if s1 - f1 > 1e-3:
            table.append((d, s1 - 1, F((s1 - f1) / cell)))
        for s in range(s1, s2):
            table.append((d, s, F(1.0 / cell)))
        if f2 - s2 > 1e-3:
            table.append((d, s2, F(min(min(f2 - s2, 1.0), cell) / cell)))
    return table


def area(image, height, width):
    """INTER_AREA: block averages when shrinking, else separable()."""
    h, w, c = image.shape
    sx, sy = w / width, h / height
    if sx < 1 or sy < 1:
        return separable(image, height, width, 3)
    ix, iy = int(round(sx)), int(round(sy))
    if sx == ix and sy == iy:
        blocks = image.reshape(height, iy, width, ix, c)
        if image.dtype == np.uint8:
            total = blocks.astype(np.int64).sum(axis=(1, 3))
            if ix == 2 and iy == 2:
                return ((total + 2) >> 2).astype(np.uint8)
            return np.clip(np.rint((total.astype(F) * F(1.0 / (ix * iy)))
                                   .astype(F)), 0, 255).astype(np.uint8)
        total = blocks.astype(F).sum(axis=(1, 3), dtype=F)
        return (total * F(1.0 / (ix * iy))).astype(F)
    src = image.astype(F)
    out = np.zeros((height, width, c), F)
    columns = area_table(w, width, sx)
    for (dy, s, beta) in area_table(h, height, sy):
        row = np.zeros((width, c), F)
        for (dx, t, alpha) in columns:
            row[dx] = (row[dx] + src[s, t] * alpha).astype(F)
        out[dy] = (out[dy] + row * beta).astype(F)
    if image.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out


def resize(image, width, height, interp):
    """mx.nd.image.resize(image, size=(width, height), interp=interp) of
    MXNet 1.9.1 for interp 2, 3 or 4 (HWC float32 or uint8)."""
    if interp == 3:
        return area(image, height, width)
    return separable(image, height, width, interp)


def check():
    """Compares the model with MXNet 1.9.1 live; returns the mismatches."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                    "tests", "python"))
    from mxnet_oracle import run_mxnet
    rng = np.random.default_rng(0)
    cases = [(h, w, dh, dw, dtype, interp)
             for (h, w) in [(4, 4), (5, 7), (8, 6), (9, 13), (3, 2)]
             for (dh, dw) in [(2, 2), (3, 5), (8, 8), (4, 3), (13, 9),
                              (1, 1), (6, 4)]
             for dtype in ("float32", "uint8") for interp in (2, 3, 4)]
    images = {"x%d" % i: rng.uniform(0, 255, (h, w, 3)).astype(dtype)
              for i, (h, w, _, _, dtype, _) in enumerate(cases)}
    expected = run_mxnet("""
    for i, (h, w, dh, dw, dtype, interp) in enumerate(%r):
        image = mx.nd.array(inputs["x%%d" %% i], dtype=dtype)
        outputs["y%%d" %% i] = mx.nd.image.resize(
            image, size=(dw, dh), interp=interp).asnumpy()
    """ % (cases,), **images)
    mismatches = []
    for i, (_, _, dh, dw, dtype, interp) in enumerate(cases):
        got = resize(images["x%d" % i], dw, dh, interp)
        want = expected["y%d" % i]
        if dtype == "uint8":
            same = np.array_equal(got, want)
        else:
            same = np.allclose(got, want, rtol=1e-6, atol=1e-4)
        if not same:
            mismatches.append(cases[i])
    print("%d cases, %d mismatches %s" % (len(cases), len(mismatches),
                                          mismatches[:10]))
    return mismatches


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with MXNet 1.9.1 live")
    arguments = parser.parse_args()
    if arguments.check:
        sys.exit(1 if check() else 0)
    parser.print_help()
