"""MXNet 1.9.1's deformable convolutions (src/operator/contrib/
deformable_convolution-inl.h, modulated_deformable_convolution-inl.h and
their nn/*deformable_im2col.h), on the host with numpy in the inputs'
dtype (float32 or float64; float16 raises as MXNet's CPU gemm does):

    DeformableConvolution(data, offset, weight, bias, kernel, stride=(),
        dilate=(), pad=(), num_filter, num_group=1,
        num_deformable_group=1, workspace=1024, no_bias=False,
        layout=None)
    ModulatedDeformableConvolution(data, offset, mask, weight, bias,
        ..., no_bias=False, im2col_step=64, layout=None)

        data (N, C, H, W); offset (N, dg * 2 * kh * kw, Ho, Wo), per
        deformable group and kernel tap k = i * kw + j the (dy, dx) pair
        at channels 2k, 2k + 1; mask (N, dg * kh * kw, Ho, Wo); weight
        (num_filter, C / num_group, kh, kw); bias (num_filter,), absent
        when no_bias -> (N, num_filter, Ho, Wo), Ho = (H + 2 * pad_h -
        dilate_h * (kh - 1) - 1) / stride_h + 1 (C's truncating
        division), Wo likewise. Only 2-D kernels and the NCHW layout
        (MXNet raises for the others too).

Tap k of output pixel (ho, wo) samples channel c (deformable group
c / (C / dg)) at y = ho * stride_h - pad_h + i * dilate_h + dy,
x = wo * stride_w - pad_w + j * dilate_w + dx, bilinearly:

* v1 (DeformableConvolution): zero unless 0 <= y < H and 0 <= x < W;
  a coordinate at or past the last row (column) reads that row (column)
  alone, i.e. the four corners are clamped, not zero-padded.
* v2 (Modulated): zero unless -1 < y < H and -1 < x < W; corners outside
  the image read zero; the sample is multiplied by the mask.

The samples of all taps form MXNet's column matrix (N, C * kh * kw,
Ho * Wo), which a grouped matrix product with the weight turns into the
output. Backward is the exact adjoint/derivative of that (MXNet's
col2im, col2im_coord): data (scattered bilinear weights), offset (the
bilinear interpolant's derivative along y and x, at integer positions
from the right), mask (the unmasked samples), weight and bias.

Beyond MXNet: zero num_group / num_deformable_group / im2col_step raise
MXNetError (MXNet divides by zero and crashes), and an offset or mask
whose batch differs from data's raises (MXNet reads outside it).
"""
import numpy as _np

from ..base import MXNetError
from ._common import check
from .. import _python_ops
from ._params import BOOL, INT, SHAPE, UINT, ULONG, Param, Params, enum

__all__ = []

_LAYOUTS = ("None", "NCDHW", "NCHW", "NCW")
# Elements (per corner) of the sampled columns computed at once: the batch
# is processed in chunks below this, whatever im2col_step says (the
# result does not depend on it).
_CHUNK_ELEMENTS = 1 << 22


def _make_params(op_name, modulated):
    count = UINT if modulated else INT  # uint32_t fields in the v2 op
    params = [Param("kernel", SHAPE), Param("stride", SHAPE, ()),
              Param("dilate", SHAPE, ()), Param("pad", SHAPE, ()),
              Param("num_filter", count), Param("num_group", count, 1),
              Param("num_deformable_group", count, 1),
              Param("workspace", ULONG, 1024), Param("no_bias", BOOL, False)]
    if modulated:
        params.append(Param("im2col_step", UINT, 64))
    params.append(Param("layout", enum(*_LAYOUTS), None))
    return Params(op_name, params)


_V1 = _make_params("_contrib_DeformableConvolution", False)
_V2 = _make_params("_contrib_ModulatedDeformableConvolution", True)


def _parser(params):
    """parse(attrs) -> Parsed with MXNet's values, plus `modulated`;
    MXNetError worded as MXNet's parameter parser for bad values."""
    modulated = "im2col_step" in params.by_name

    def parse(attrs):
        layout = attrs.get("layout")
        if layout is not None and layout not in _LAYOUTS:
            raise MXNetError("Invalid Input: '%s', valid values are: {None, "
                             "'NCDHW', 'NCHW', 'NCW'}, %s"
                             % (layout, params._where(attrs)))
        parsed = params.parse(attrs)
        if parsed.layout == "None":
            parsed.layout = None
        if parsed.num_filter < 1:
            raise MXNetError("value %d for Parameter num_filter should be "
                             "greater equal to 1\nnum_filter: Convolution "
                             "filter(channel) number, %s"
                             % (parsed.num_filter, params._where(attrs)))
        names = ["num_group", "num_deformable_group"] + \
            (["im2col_step"] if modulated else [])
        for name in names:
            if getattr(parsed, name) < 1:
                raise MXNetError("value %d for Parameter %s should be "
                                 "greater equal to 1, %s"
                                 % (getattr(parsed, name), name,
                                    params._where(attrs)))
        if parsed.workspace < 0:
            raise MXNetError("Invalid Parameter format for workspace expect "
                             "long (non-negative) but value='%d', %s"
                             % (parsed.workspace, params._where(attrs)))
        parsed.modulated = modulated
        return parsed
    return parse


def _interface(parsed):
    inputs = ["data", "offset"] + (["mask"] if parsed.modulated else []) + \
        ["weight"] + ([] if parsed.no_bias else ["bias"])
    return inputs, [], ["output"], {}


def _geometry(parsed):
    """(kernel, stride, dilate, pad) as 2-tuples: MXNet's defaults (stride
    and dilate 1, pad 0) for the empty ones; MXNetError for a kernel that
    is not 2-D or a tuple of another length."""
    if len(parsed.kernel) != 2:
        raise MXNetError("not implemented: %s supports 2-D kernels only, "
                         "got kernel=%s" % (_name(parsed),
                                            tuple(parsed.kernel)))
    values = [tuple(parsed.kernel)]
    for name, default in (("stride", 1), ("dilate", 1), ("pad", 0)):
        value = tuple(getattr(parsed, name)) or (default, default)
        check(len(value) == 2, "i >= 0 && i < ndim(): %s=%s expects 2 "
              "values like kernel=%s" % (name, value, tuple(parsed.kernel)))
        values.append(value)
    return values


def _name(parsed):
    return "_contrib_ModulatedDeformableConvolution" if parsed.modulated \
        else "_contrib_DeformableConvolution"


def _c_div(a, b):
    """C's integer division (truncating towards zero)."""
    quotient = abs(a) // b
    return quotient if a >= 0 else -quotient


def _assign(given, inferred):
    """MXNet's SHAPE_ASSIGN_CHECK: the inferred shape, MXNetError when a
    given one differs in a known extent (0 is unknown: Gluon's deferred
    parameters)."""
    if given is not None and (len(given) != len(inferred) or any(
            a != b for a, b in zip(given, inferred) if a != 0)):
        raise MXNetError("Shape inconsistent, Provided = [%s], inferred "
                         "shape=(%s)" % (",".join(str(d) for d in given),
                                         ",".join(str(d) for d in inferred)
                                         + ("," if len(inferred) == 1
                                            else "")))
    return tuple(inferred)


def _dtype(parsed, dtypes):
    """The data's dtype, required of every input (MXNet's legacy
    operators); None while unknown."""
    names = _interface(parsed)[0]
    first = dtypes[0]
    if first is None:
        return None
    for name, dtype in zip(names[1:], dtypes[1:]):
        if dtype is not None and dtype != first:
            raise MXNetError("Check failed: (*in_type)[i] == dtype : This "
                             "layer requires uniform type. Expected '%s' "
                             "v.s. given '%s' at '%s'" % (first, dtype, name))
    return first


def _infer(parsed, shapes, dtypes):
    """Shapes and dtypes, checked in MXNet's order and words."""
    dtype = _dtype(parsed, dtypes)
    names = _interface(parsed)[0]
    shapes = [None if shape is None else tuple(shape) for shape in shapes]
    known = dict(zip(names, shapes))
    data = known["data"]
    if data is None or 0 in data:  # unknown extents: nothing to infer yet
        return [(shape, dtype) for shape in shapes], [(None, dtype)]
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = _geometry(parsed)
    check(len(data) == 4, "dshp.ndim() == 4U (%d vs. 4) : Input data "
          "should be 4D in batch-num_filter-y-x" % len(data))
    maps = [("offset", "oshp")] + ([("mask", "mshp")] if parsed.modulated
                                   else [])
    for name, short in maps:
        shape = known[name]
        rank = -1 if shape is None else len(shape)
        check(rank == 4, "%s.ndim() == 4U (%d vs. 4) : Input %s should be "
              "4D in batch-num_filter-y-x" % (short, rank, name))
    if parsed.layout not in (None, "NCHW"):
        raise MXNetError("Invalid layout for 4d shape: %s takes NCHW only, "
                         "got layout=%s" % (_name(parsed), parsed.layout))
    group, dgroup = parsed.num_group, parsed.num_deformable_group
    channels, filters = data[1], parsed.num_filter
    known["weight"] = _assign(known["weight"], (
        filters // group * group, channels // group, kh, kw))
    if not parsed.no_bias:
        known["bias"] = _assign(known["bias"], (filters,))
    check(channels % group == 0, "dshape[1] %% param_.num_group == 0U (%d "
          "vs. 0) : input num_filter must divide group size"
          % (channels % group))
    check(channels % dgroup == 0, "dshape[1] %% param_.num_deformable_group"
          " == 0U (%d vs. 0) : input num_filter must divide deformable group "
          "size" % (channels % dgroup))
    check(filters % group == 0, "param_.num_filter %% param_.num_group == "
          "0U (%d vs. 0) : output num_filter must divide group size"
          % (filters % group))
    for name, value in (("kernel", (kh, kw)), ("stride", (sh, sw)),
                        ("dilate", (dh, dw))):
        size = value[0] * value[1]
        check(size > 0, "param_.%s.Size() > 0U (%d vs. 0) : incorrect %s "
              "size: [%d,%d]" % (name, size, name, value[0], value[1]))
    out = (data[0], filters,
           _c_div(data[2] + 2 * ph - (dh * (kh - 1) + 1), sh) + 1,
           _c_div(data[3] + 2 * pw - (dw * (kw - 1) + 1), sw) + 1)
    taps = kh * kw
    for name, short, per_tap in [("offset", "offset", 2), ("mask", "mask",
                                                            1)][:len(maps)]:
        shape = known[name]
        for axis, word in ((2, "height"), (3, "width")):
            check(out[axis] == shape[axis], "oshape[%d] == %sshape[%d] (%d "
                  "vs. %d) : output %s must equal to %s map %s"
                  % (axis, short, axis, out[axis], shape[axis], word, short,
                     word))
        check(shape[1] % taps == 0, "%sshape[1] %% (param_.kernel[0] * "
              "param_.kernel[1]) == 0U (%d vs. 0) : offset filter must "
              "divide deformable group size" % (short, shape[1] % taps))
        check(shape[1] // (per_tap * taps) == dgroup,
              "%sshape[1] / (%sparam_.kernel[0] * param_.kernel[1]) == "
              "param_.num_deformable_group (%d vs. %d) : offset filter must "
              "divide deformable group size"
              % (short, "2 * " if per_tap == 2 else "",
                 shape[1] // (per_tap * taps), dgroup))
        if shape[0] != data[0]:  # MXNet does not check; it reads past it
            raise MXNetError("%s: %s batch %d differs from data batch %d"
                             % (_name(parsed), name, shape[0], data[0]))
    if parsed.modulated and data[0] > parsed.im2col_step:
        check(data[0] % parsed.im2col_step == 0, "dshape[0] %% "
              "param_.im2col_step == 0U (%d vs. 0) : input batchsize must "
              "be smaller than or divide im2col_step"
              % (data[0] % parsed.im2col_step))
    if data[2] != 0:
        check(kh <= data[2] + 2 * ph, "ksize_y <= dshape[2] + 2 * "
              "param_.pad[0] (%d vs. %d) : kernel size exceed input"
              % (kh, data[2] + 2 * ph))
    if data[3] != 0:
        check(kw <= data[3] + 2 * pw, "ksize_x <= dshape[3] + 2 * "
              "param_.pad[1] (%d vs. %d) : kernel size exceed input"
              % (kw, data[3] + 2 * pw))
    return ([(known[name], dtype) for name in names], [(out, dtype)])


# -- sampling -----------------------------------------------------------------
class _Samples(object):
    """The bilinear corners of every sample of a chunk of images.

    index (4, n, dg, K * L): flat pixel of each corner; weight, dy, dx
    (4, n, dg, 1, K * L): its interpolation weight and that weight's
    derivative along y and x; valid (4, n, dg, 1, K * L): whether MXNet
    reads the corner (v1: the sample is inside; v2: the corner too)."""

    def __init__(self, offset, geometry, height, width, dgroup, out_hw,
                 modulated, dtype):
        (kh, kw), (sh, sw), (dh, dw), (ph, pw) = geometry
        ho, wo = out_hw
        n = offset.shape[0]
        t = dtype.type
        offset = offset.reshape(n, dgroup, kh * kw, 2, ho * wo)
        tap_i, tap_j = _np.divmod(_np.arange(kh * kw), kw)
        row, col = _np.divmod(_np.arange(ho * wo), wo)
        # MXNet adds the integer grid position to the DType offset.
        base_y = (row[None, :] * sh - ph + tap_i[:, None] * dh).astype(dtype)
        base_x = (col[None, :] * sw - pw + tap_j[:, None] * dw).astype(dtype)
        y = base_y + offset[:, :, :, 0]
        x = base_x + offset[:, :, :, 1]
        y = y.reshape(n, dgroup, -1)
        x = x.reshape(n, dgroup, -1)
        with _np.errstate(invalid="ignore"):
            if modulated:
                inside = (y > -1) & (x > -1) & (y < height) & (x < width)
            else:
                inside = (y >= 0) & (x >= 0) & (y < height) & (x < width)
        y = _np.where(inside, y, t(0))
        x = _np.where(inside, x, t(0))
        y0, y1, ly = self._axis(y, height, modulated, t)
        x0, x1, lx = self._axis(x, width, modulated, t)
        hy, hx = t(1) - ly, t(1) - lx
        rows, cols = (y0, y0, y1, y1), (x0, x1, x0, x1)
        if modulated:
            valid = [inside & (r >= 0) & (r <= height - 1) & (c >= 0) &
                     (c <= width - 1) for r, c in zip(rows, cols)]
        else:
            valid = [inside] * 4
        self.valid = _np.stack(valid)[:, :, :, None]
        self.index = _np.stack([
            _np.where(v, r * width + c, 0) for v, r, c in
            zip(valid, rows, cols)]).astype(_np.int64)
        self.weight = _np.stack([hy * hx, hy * lx, ly * hx, ly * lx])[
            :, :, :, None]
        self.dy = _np.stack([-hx, -lx, hx, lx])[:, :, :, None]
        self.dx = _np.stack([-hy, hy, -ly, ly])[:, :, :, None]

    @staticmethod
    def _axis(coord, size, modulated, t):
        """(low, high, fraction) along one axis; v1 clamps at the end."""
        low = _np.floor(coord)
        if modulated:
            return low.astype(_np.int64), low.astype(_np.int64) + 1, \
                coord - low
        clamped = low >= size - 1
        low = _np.where(clamped, t(size - 1), low)
        coord = _np.where(clamped, low, coord)
        low_i = low.astype(_np.int64)
        return low_i, _np.where(clamped, low_i, low_i + 1), coord - low

    def gather(self, images):
        """The 4 corners' values (4, n, dg, C / dg, K * L) of `images`
        (n, dg, C / dg, H * W), zero where not read."""
        values = _np.stack([_np.take_along_axis(
            images, self.index[k][:, :, None, :], axis=3) for k in range(4)])
        return _np.where(self.valid, values, images.dtype.type(0))

    def scatter(self, grads, shape):
        """The adjoint of sampling: (n, dg, C / dg, H * W) from the
        samples' gradients (n, dg, C / dg, K * L)."""
        n, dgroup, per_group, pixels = shape
        planes = _np.arange(n * dgroup * per_group).reshape(
            n, dgroup, per_group, 1) * pixels
        flat = planes[None] + self.index[:, :, :, None, :]
        values = _np.where(self.valid, self.weight * grads[None],
                           grads.dtype.type(0))
        total = _np.bincount(flat.ravel(), weights=values.ravel(),
                             minlength=n * dgroup * per_group * pixels)
        return total.reshape(shape).astype(grads.dtype)


def _chunks(batch, per_image):
    step = max(1, min(batch, _CHUNK_ELEMENTS // max(1, per_image)))
    return [slice(start, min(start + step, batch))
            for start in range(0, batch, step)]


def _split(parsed, arrays):
    """(data, offset, mask or None, weight, bias or None)."""
    arrays = list(arrays)
    data, offset = arrays[:2]
    mask = arrays[2] if parsed.modulated else None
    rest = arrays[3:] if parsed.modulated else arrays[2:]
    return data, offset, mask, rest[0], (None if parsed.no_bias
                                         else rest[1])


def _dtype_check(dtype):
    if dtype == _np.float16:
        raise MXNetError("FP16 gemm on cpu not implemented!")
    if dtype.kind != "f":
        raise MXNetError("This operation only support floating point types, "
                         "not %s" % dtype.name)


def _run(parsed, arrays, head=None):
    """Forward (head None): [output]. Backward (head: the output's
    gradient): the inputs' gradients, in the interface's order."""
    data, offset, mask, weight, bias = _split(parsed, arrays)
    _dtype_check(data.dtype)
    dtype = data.dtype
    geometry = _geometry(parsed)
    batch, channels, height, width = data.shape
    group, dgroup = parsed.num_group, parsed.num_deformable_group
    filters = parsed.num_filter
    ho, wo = offset.shape[2], offset.shape[3]
    taps = geometry[0][0] * geometry[0][1]
    pixels = ho * wo
    # weight as (group, filters / group, C / group * taps)
    kernel = weight.reshape(group, filters // group, -1)
    shape = (batch, dgroup, channels // dgroup, height * width)
    out = _np.empty((batch, filters, pixels), dtype=dtype) if head is None \
        else None
    if head is not None:
        head = head.reshape(batch, group, filters // group, pixels)
        grads = {"data": _np.empty(shape, dtype=dtype),
                 "offset": _np.empty((batch, dgroup, taps, 2, pixels),
                                     dtype=dtype),
                 "weight": _np.zeros(kernel.shape, dtype=dtype)}
        if mask is not None:
            grads["mask"] = _np.empty((batch, dgroup, taps, pixels),
                                      dtype=dtype)
    for part in _chunks(batch, channels * taps * pixels):
        n = part.stop - part.start
        samples = _Samples(offset[part], geometry, height, width, dgroup,
                           (ho, wo), parsed.modulated, dtype)
        images = data[part].reshape((n,) + shape[1:])
        corners = samples.gather(images)  # (4, n, dg, C/dg, K * L)
        sampled = (corners * samples.weight).sum(axis=0)
        sampled = sampled.reshape(n, dgroup, -1, taps, pixels)
        modulation = None
        if mask is not None:
            modulation = mask[part].reshape(n, dgroup, 1, taps, pixels)
        columns = sampled if modulation is None else sampled * modulation
        columns = columns.reshape(n, group, -1, pixels)
        if head is None:
            out[part] = _np.matmul(kernel[None], columns).reshape(
                n, filters, pixels)
            continue
        grad_out = head[part]
        grads["weight"] += _np.matmul(
            grad_out, columns.transpose(0, 1, 3, 2)).sum(axis=0)
        grad_columns = _np.matmul(kernel.transpose(0, 2, 1)[None],
                                  grad_out)
        grad_columns = grad_columns.reshape(n, dgroup, -1, taps, pixels)
        if modulation is not None:
            grads["mask"][part] = (grad_columns * sampled).sum(axis=2)
            grad_columns = grad_columns * modulation
        flat_grads = grad_columns.reshape(n, dgroup, -1, taps * pixels)
        grads["data"][part] = samples.scatter(flat_grads, (n,) + shape[1:])
        for axis, slopes in ((0, samples.dy), (1, samples.dx)):
            rate = (corners * slopes).sum(axis=0)
            grads["offset"][part, :, :, axis] = (flat_grads * rate).sum(
                axis=2).reshape(n, dgroup, taps, pixels)
    if head is None:
        if bias is not None:
            out += bias[None, :, None]
        return [out.reshape(batch, filters, ho, wo)]
    result = {"data": grads["data"].reshape(data.shape),
              "offset": grads["offset"].reshape(offset.shape),
              "weight": grads["weight"].reshape(weight.shape)}
    if mask is not None:
        result["mask"] = grads["mask"].reshape(mask.shape)
    if bias is not None:
        result["bias"] = head.sum(axis=(0, 3)).reshape(bias.shape)
    return [result[name] for name in _interface(parsed)[0]]


def _forward(parsed, arrays, is_train):
    return _run(parsed, arrays)


def _backward(parsed, arrays, outputs, out_grads):
    return _run(parsed, arrays, head=out_grads[0])


def _register(params, inputs, doc):
    _python_ops.register(
        params.op_name, inputs=inputs, outputs=["output"],
        params=params.specs, parse=_parser(params), interface=_interface,
        infer=_infer, forward=_forward, backward=_backward, doc=doc)


_register(_V1, ["data", "offset", "weight", "bias?"],
          "2-D deformable convolution (Dai et al., 2017): bilinear "
          "sampling at learned offsets, then a grouped convolution.")
_register(_V2, ["data", "offset", "mask", "weight", "bias?"],
          "2-D modulated deformable convolution (DCNv2, Zhu et al., "
          "2018): the deformable samples scaled by a mask.")
