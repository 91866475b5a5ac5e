//===- IndexOps.cpp - MXNet's dense indexing and shape operators ----------===//
//
// slice_like, shape_array, size_array, diag, depth_to_space, space_to_depth,
// ravel/unravel of multi-indices, khatri_rao, fill_element_0index,
// batch_take, argmax_channel, the legacy Crop and _histogram, with MXNet
// 1.9.1's names, attributes and results. Each is a decomposition into views
// and registered ops or primitives (take, scatter_add, select, iota), so
// autograd differentiates the differentiable ones through their parts.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>
#include <cmath>

namespace kiln {
namespace ops {
namespace {

using Kind = AttrSpec::Kind;

NDArray elementwise(const std::string &op, const std::string &primitive,
                    const std::vector<NDArray> &inputs, DType dtype) {
  return dispatch::elementwise(op, primitive, inputs, dtype);
}

/// `x` (float or integer) as int64 indices, truncated as C converts.
NDArray asIndices(const NDArray &x) {
  return x.dtype() == DType::Int64 ? x : dispatch::cast(x, DType::Int64);
}

/// A view of `x` starting at `begin` with extents `shape` (a box inside x).
NDArray boxView(const NDArray &x, const Shape &begin, const Shape &shape) {
  const Tensor &t = x.tensor();
  int64_t offset = t.offset();
  for (size_t d = 0; d < begin.size(); ++d)
    offset += begin[d] * t.strides()[d];
  return x.view(t.strided(shape, t.strides(), offset));
}

NDArray int64Vector(const std::vector<int64_t> &values) {
  return NDArray::fromData(values.data(), {static_cast<int64_t>(values.size())},
                           DType::Int64);
}

/// Row-major strides of `shape` (the first extent may be -1: unknown).
std::vector<int64_t> rowMajorStrides(const Shape &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// _ravel_multi_index's and _unravel_index's `shape`: given, every extent
/// positive except a leading -1.
Shape indexShape(const std::string &op, const Attrs &attrs) {
  const auto shape = attrs.getOptionalIntTuple("shape");
  if (!shape || shape->empty())
    throw Error(formatMessage(op, ": shape expected a non-empty tuple, got '",
                              attrs.getString("shape"), "'"));
  for (size_t d = 0; d < shape->size(); ++d)
    if ((*shape)[d] < 1 && !(d == 0 && (*shape)[d] == -1))
      throw Error(formatMessage(op,
                                ": shape expected positive extents (-1 "
                                "allowed first), got ",
                                shapeToString(*shape)));
  return *shape;
}

NDArray ravelMultiIndex(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "_ravel_multi_index";
  const NDArray &data = in[0];
  const Shape shape = indexShape(op, attrs);
  const int64_t ndim = shape.size();
  if (data.shape().size() != 2 || data.shape()[0] != ndim)
    throw Error(formatMessage(
        op, ": data has shape ", shapeToString(data.shape()), ", expected (",
        ndim, ", N): one row per axis of shape ", shapeToString(shape)));
  // sum over i of data[i] * stride_i, in float64 (exact below 2^53).
  std::vector<double> strides;
  for (int64_t stride : rowMajorStrides(shape))
    strides.push_back(static_cast<double>(stride));
  NDArray column = NDArray::fromData(strides.data(), {ndim, 1}, DType::Float64);
  NDArray terms =
      elementwise(op, "mul", {dispatch::cast(data, DType::Float64), column},
                  DType::Float64);
  NDArray flat =
      dispatch::reduction("reduce_sum", terms, {0}, false, DType::Float64);
  return dispatch::cast(flat, data.dtype());
}

NDArray unravelIndex(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "_unravel_index";
  const NDArray &data = in[0];
  const Shape shape = indexShape(op, attrs);
  if (data.shape().size() != 1)
    throw Error(formatMessage(op,
                              ": data must have rank 1 (flat indices), "
                              "got shape ",
                              shapeToString(data.shape())));
  // From the last axis: index % extent and index / extent, truncated as C
  // does (so -1 gives (0, ..., -1), as MXNet); the first axis keeps the
  // quotient, so a leading -1 (or an index past the end) needs no bound.
  NDArray rest = dispatch::cast(data, DType::Float64);
  std::vector<NDArray> rows(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d > 0; --d) {
    NDArray extent =
        dispatch::scalar(static_cast<double>(shape[d]), DType::Float64);
    // + 0 turns trunc's -0 (of -1 / 3) into 0.
    NDArray quotient = elementwise(
        op, "add",
        {call("trunc",
              {elementwise(op, "div", {rest, extent}, DType::Float64)}),
         dispatch::scalar(0, DType::Float64)},
        DType::Float64);
    rows[d] = elementwise(
        op, "sub",
        {rest, elementwise(op, "mul", {quotient, extent}, DType::Float64)},
        DType::Float64);
    rest = quotient;
  }
  rows[0] = rest;
  return dispatch::cast(call("stack", rows, {{"axis", "0"}}), data.dtype());
}

/// `compute` (index arithmetic in float64) with nothing recorded: indices
/// take no gradient (recorded, the arithmetic gave data one as if it were
/// linear); invokeOp then records the untracked result as reach-only, so
/// data gets MXNet's zeros.
NDArray unrecorded(const std::vector<NDArray> &in, const Attrs &attrs,
                   NDArray (*compute)(const std::vector<NDArray> &,
                                      const Attrs &)) {
  autograd::RecordingScope paused(false);
  return compute(in, attrs);
}

NDArray diag(const std::vector<NDArray> &in, const Attrs &attrs) {
  const NDArray &data = in[0];
  const Shape &shape = data.shape();
  const int64_t rank = shape.size();
  const int64_t k = attrs.getInt("k");
  if (rank == 0)
    throw Error("diag: data must have rank 1 or more, got a scalar");
  if (rank == 1) {
    // The matrix with data on diagonal k: data on the main diagonal of an
    // n x n block, then |k| rows and columns of zeros joined around it.
    const int64_t n = shape[0], q = std::abs(k);
    NDArray mask =
        elementwise("diag", "eq",
                    {dispatch::iota("diag", {n, n}, 0, DType::Int64),
                     dispatch::iota("diag", {n, n}, 1, DType::Int64)},
                    DType::Bool);
    NDArray block = elementwise("diag", "select",
                                {mask, dispatch::reshape(data, {n, 1}),
                                 dispatch::scalar(0, data.dtype())},
                                data.dtype());
    if (q == 0)
      return block;
    NDArray rows = zerosOf({q, n}, data.dtype());
    NDArray tall = call("Concat", {k > 0 ? block : rows, k > 0 ? rows : block},
                        {{"dim", "0"}});
    NDArray columns = zerosOf({n + q, q}, data.dtype());
    return call("Concat", {k > 0 ? columns : tall, k > 0 ? tall : columns},
                {{"dim", "1"}});
  }
  const int64_t axis1 = checkedAxis("diag", attrs.getInt("axis1"), rank);
  const int64_t axis2 = checkedAxis("diag", attrs.getInt("axis2"), rank);
  if (axis1 == axis2)
    throw Error(formatMessage("diag: axis1 and axis2 both refer to axis ",
                              axis1, "; expected two different axes"));
  const int64_t rows = shape[axis1], columns = shape[axis2];
  if (k > columns || k < -rows)
    throw Error(formatMessage(
        "diag: k=", k, " names no diagonal of axes with extents ", rows,
        " and ", columns, "; expected ", -rows, " <= k <= ", columns));
  // Element i of the diagonal is data[axis1 = i - min(k, 0), axis2 = i +
  // max(k, 0)]: a strided view, which autograd differentiates.
  const int64_t length = std::max<int64_t>(
      0, k >= 0 ? std::min(rows, columns - k) : std::min(rows + k, columns));
  const Tensor &t = data.tensor();
  Shape viewShape, viewStrides;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis1 && d != axis2) {
      viewShape.push_back(shape[d]);
      viewStrides.push_back(t.strides()[d]);
    }
  viewShape.push_back(length);
  viewStrides.push_back(t.strides()[axis1] + t.strides()[axis2]);
  const int64_t offset =
      t.offset() + (k >= 0 ? k * t.strides()[axis2] : -k * t.strides()[axis1]);
  return data.view(t.strided(viewShape, viewStrides, offset));
}

/// depth_to_space and space_to_depth: (N, C, H, W) checked, then a reshape,
/// a transpose and a reshape.
NDArray blockShuffle(const std::string &op, const NDArray &data,
                     const Attrs &attrs, bool toSpace) {
  const int64_t block = attrs.getInt("block_size");
  // block_size^2 must not overflow (MXNet's block_size is an int).
  if (block < 1 || block > (int64_t{1} << 31) - 1)
    throw Error(formatMessage(op,
                              ": block_size expected an integer from 1 to "
                              "2147483647, got ",
                              block));
  const Shape &s = data.shape();
  if (s.size() != 4)
    throw Error(formatMessage(op,
                              ": data must have rank 4 (N, C, H, W), got "
                              "shape ",
                              shapeToString(s)));
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  if (toSpace) {
    if (c % (block * block) != 0)
      throw Error(formatMessage(op, ": the channels (", c,
                                ", axis 1) must be a multiple of block_size^2 "
                                "(",
                                block * block, "); data has shape ",
                                shapeToString(s)));
    NDArray x =
        dispatch::reshape(data, {n, block, block, c / (block * block), h, w});
    x = call("transpose", {x}, {{"axes", "(0, 3, 4, 1, 5, 2)"}});
    return dispatch::reshape(x, {n, c / (block * block), h * block, w * block});
  }
  for (int axis : {2, 3})
    if (s[axis] % block != 0)
      throw Error(formatMessage(op, ": the ", axis == 2 ? "height" : "width",
                                " (", s[axis], ", axis ", axis,
                                ") must be a multiple of block_size (", block,
                                "); data has shape ", shapeToString(s)));
  NDArray x =
      dispatch::reshape(data, {n, c, h / block, block, w / block, block});
  x = call("transpose", {x}, {{"axes", "(0, 3, 5, 1, 2, 4)"}});
  return dispatch::reshape(x, {n, c * block * block, h / block, w / block});
}

NDArray khatriRao(const std::vector<NDArray> &in) {
  const std::string op = "khatri_rao";
  const int64_t count = in.size();
  for (int64_t i = 0; i < count; ++i) {
    if (in[i].shape().size() != 2)
      throw Error(formatMessage(op, ": input ", i,
                                " must be a matrix (rank 2), got shape ",
                                shapeToString(in[i].shape())));
    requireFloat(op, in[i]);
    if (in[i].shape()[1] != in[0].shape()[1])
      throw Error(formatMessage(op, ": input ", i, " has ", in[i].shape()[1],
                                " columns, expected ", in[0].shape()[1],
                                " (the columns of input 0)"));
    if (in[i].dtype() != in[0].dtype())
      throw Error(formatMessage(
          op, ": input ", i, " has dtype ", dtypeName(in[i].dtype()),
          ", expected ", dtypeName(in[0].dtype()), " (the dtype of input 0)"));
  }
  // Input i as (1, ..., M_i, ..., 1, N): their broadcast product holds
  // every column-wise outer product, rows in row-major order.
  const int64_t columns = in[0].shape()[1];
  NDArray product;
  int64_t rows = 1;
  for (int64_t i = 0; i < count; ++i) {
    Shape shape(count + 1, 1);
    shape[i] = in[i].shape()[0];
    shape[count] = columns;
    rows *= shape[i];
    NDArray factor = dispatch::reshape(in[i], shape);
    product =
        product.isNone() ? factor : call("broadcast_mul", {product, factor});
  }
  return dispatch::reshape(product, {rows, columns});
}

NDArray fillElement0Index(const std::vector<NDArray> &in) {
  const std::string op = "fill_element_0index";
  const NDArray &lhs = in[0], &mhs = in[1], &rhs = in[2];
  if (lhs.shape().size() != 2 || mhs.shape().size() != 1 ||
      rhs.shape().size() != 1 || mhs.shape()[0] != lhs.shape()[0] ||
      rhs.shape()[0] != lhs.shape()[0])
    throw Error(formatMessage(
        op, ": expected lhs (n, m), mhs (n,) and rhs (n,), got ",
        shapeToString(lhs.shape()), ", ", shapeToString(mhs.shape()), " and ",
        shapeToString(rhs.shape())));
  if (mhs.dtype() != lhs.dtype())
    throw Error(formatMessage(op, ": mhs has dtype ", dtypeName(mhs.dtype()),
                              ", expected ", dtypeName(lhs.dtype()),
                              " (lhs's dtype)"));
  // Row i's element rhs[i] becomes mhs[i]; an index outside the row
  // changes nothing, as MXNet.
  const int64_t n = lhs.shape()[0], m = lhs.shape()[1];
  NDArray hit = elementwise(op, "eq",
                            {dispatch::iota(op, {n, m}, 1, DType::Int64),
                             dispatch::reshape(asIndices(rhs), {n, 1})},
                            DType::Bool);
  return elementwise(op, "select", {hit, dispatch::reshape(mhs, {n, 1}), lhs},
                     lhs.dtype());
}

NDArray batchTake(const std::vector<NDArray> &in) {
  const std::string op = "batch_take";
  const NDArray &a = in[0], &indices = in[1];
  if (a.shape().empty())
    throw Error(
        formatMessage(op, ": a must have rank 1 or more, got a scalar"));
  // a as rows of its last axis; out[i] = row i's element indices[i],
  // clipped to the row.
  const int64_t width = a.shape().back();
  const int64_t rows = width == 0 ? 0 : a.size() / width;
  if (indices.size() != rows)
    throw Error(formatMessage(op, ": indices has ", indices.size(),
                              " elements, expected ", rows, " (one per row of ",
                              width, " elements of a, shape ",
                              shapeToString(a.shape()), ")"));
  if (rows == 0)
    return zerosOf(indices.shape(), a.dtype());
  NDArray column = call("clip", {dispatch::reshape(asIndices(indices), {rows})},
                        {{"a_min", "0"}, {"a_max", std::to_string(width - 1)}});
  NDArray rowStart = elementwise(op, "mul",
                                 {dispatch::iota(op, {rows}, 0, DType::Int64),
                                  dispatch::scalar(width, DType::Int64)},
                                 DType::Int64);
  NDArray linear = elementwise(op, "add", {rowStart, column}, DType::Int64);
  NDArray picked = call("take", {dispatch::reshape(a, {a.size()}), linear});
  return dispatch::reshape(picked, indices.shape());
}

NDArray crop(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "Crop";
  if (in.size() > 2)
    throw Error(formatMessage(op,
                              ": expected 1 or 2 inputs (data, and "
                              "crop_like for the size), got ",
                              in.size()));
  const NDArray &data = in[0];
  const Shape &s = data.shape();
  if (s.size() != 4)
    throw Error(formatMessage(op,
                              ": data must have rank 4 (batch, channels, "
                              "y, x), got shape ",
                              shapeToString(s)));
  const std::vector<int64_t> offset = attrs.getIntTuple("offset");
  std::vector<int64_t> size = attrs.getIntTuple("h_w");
  if (offset.size() != 2 || size.size() != 2)
    throw Error(formatMessage(op,
                              ": offset and h_w expected two integers "
                              "(y, x), got '",
                              attrs.getString("offset"), "' and '",
                              attrs.getString("h_w"), "'"));
  if (in.size() == 2) {
    if (in[1].shape().size() != 4)
      throw Error(formatMessage(op, ": crop_like must have rank 4, got shape ",
                                shapeToString(in[1].shape())));
    size = {in[1].shape()[2], in[1].shape()[3]};
  } else if (size[0] < 1 || size[1] < 1) {
    throw Error(formatMessage(op,
                              ": h_w expected a height and width of 1 or "
                              "more (or a second input), got ",
                              shapeToString(size)));
  }
  if (size[0] > s[2] || size[1] > s[3])
    throw Error(formatMessage(op, ": the crop ", shapeToString(size),
                              " is larger than the data's ",
                              shapeToString({s[2], s[3]})));
  Shape begin = {0, 0, offset[0], offset[1]};
  if (attrs.getBool("center_crop")) {
    begin[2] = (s[2] - size[0]) / 2;
    begin[3] = (s[3] - size[1]) / 2;
  } else if (offset[0] < 0 || offset[1] < 0 || offset[0] > s[2] - size[0] ||
             offset[1] > s[3] - size[1]) {
    throw Error(formatMessage(op, ": offset ", shapeToString(offset),
                              " puts the crop ", shapeToString(size),
                              " outside the data's ",
                              shapeToString({s[2], s[3]})));
  }
  return boxView(data, begin, {s[0], s[1], size[0], size[1]});
}

/// _histogram's counts: `bins` holds each element's bin, `inRange` whether
/// it counts (bool); summed into `count` bins by scatter_add.
NDArray countBins(const std::string &op, const NDArray &bins,
                  const NDArray &inRange, int64_t count) {
  compiler::KernelSignature scatter{"scatter_add", {}, {}};
  scatter.attributes["axis"] = {0};
  scatter.attributes["mode"] = {0};
  NDArray clipped =
      call("clip", {bins},
           {{"a_min", "0"},
            {"a_max", std::to_string(std::max<int64_t>(0, count - 1))}});
  return dispatch::generate(op, scatter,
                            {zerosOf({count}, DType::Int64), clipped,
                             dispatch::cast(inRange, DType::Int64)},
                            {count}, DType::Int64);
}

/// Counts of `values` (flat) in the bins that `edges` (ascending, rank 1)
/// bound: [e_j, e_j+1), the last one closed, as numpy.
NDArray countByEdges(const std::string &op, const NDArray &values,
                     const NDArray &edges) {
  const int64_t n = values.size(), e = edges.size();
  // The number of edges at or below each value, minus one, is its bin.
  NDArray above = elementwise(
      op, "ge",
      {dispatch::reshape(values, {n, 1}), dispatch::reshape(edges, {1, e})},
      DType::Bool);
  NDArray passed =
      dispatch::reduction("reduce_sum", dispatch::cast(above, DType::Int64),
                          {1}, false, DType::Int64);
  NDArray bins = elementwise(
      op, "sub", {passed, dispatch::scalar(1, DType::Int64)}, DType::Int64);
  NDArray first = boxView(edges, {0}, {1});
  NDArray last = boxView(edges, {e - 1}, {1});
  NDArray inRange =
      elementwise(op, "logical_and",
                  {elementwise(op, "ge", {values, first}, DType::Bool),
                   elementwise(op, "le", {values, last}, DType::Bool)},
                  DType::Bool);
  return countBins(op, bins, inRange, e - 1);
}

std::vector<NDArray> histogram(const std::vector<NDArray> &in,
                               const Attrs &attrs,
                               const std::vector<NDArray> &outs) {
  const std::string op = "_histogram";
  const NDArray &data = in[0];
  const auto binCount = attrs.getOptionalInt("bin_cnt");
  const bool hasRange = !attrs.isNone("range");
  const NDArray values = dispatch::reshape(data, {data.size()});
  NDArray counts, edges;
  if (in.size() == 2) {
    if (binCount || hasRange)
      throw Error(formatMessage(op, ": give either bins (an array of bin "
                                    "edges) or bin_cnt and range, not both"));
    const NDArray &bins = in[1];
    if (bins.shape().size() != 1 || bins.size() < 2)
      throw Error(formatMessage(op,
                                ": bins must be a rank-1 array of 2 or "
                                "more bin edges, got shape ",
                                shapeToString(bins.shape())));
    if (bins.dtype() != data.dtype())
      throw Error(formatMessage(op, ": bins has dtype ",
                                dtypeName(bins.dtype()), ", expected ",
                                dtypeName(data.dtype()), " (data's dtype)"));
    counts = countByEdges(op, values, bins);
    edges = dispatch::cast(bins, bins.dtype());
  } else {
    if (!binCount || !hasRange)
      throw Error(formatMessage(op, ": give bins (an array of bin edges), or "
                                    "bin_cnt and range together"));
    const int64_t count = *binCount;
    // The edges are laid out on the host: bounded, not all of memory.
    constexpr int64_t kMaxBins = int64_t{1} << 26;
    if (count < 1 || count > kMaxBins)
      throw Error(formatMessage(op, ": bin_cnt expected an integer from 1 to ",
                                kMaxBins, ", got ", count));
    const std::vector<double> range = attrs.getFloatTuple("range");
    if (range.size() != 2)
      throw Error(formatMessage(op, ": range expected (low, high), got '",
                                attrs.getString("range"), "'"));
    double low = range[0], high = range[1];
    if (!(low <= high))
      throw Error(formatMessage(op, ": range expected low <= high, got (", low,
                                ", ", high, ")"));
    if (low == high) { // numpy's (and MXNet's) widening of an empty range
      low -= 0.5;
      high += 0.5;
    }
    std::vector<double> bounds(count + 1);
    for (int64_t j = 0; j <= count; ++j)
      bounds[j] = low + (high - low) * static_cast<double>(j) / count;
    edges = dispatch::cast(
        NDArray::fromData(bounds.data(), {count + 1}, DType::Float64),
        data.dtype());
    if (!isFloatDType(data.dtype())) {
      // Integer data bins by the edges in its own dtype, as MXNet.
      counts = countByEdges(op, values, edges);
    } else {
      // bin = floor((x - low) * count / (high - low)), high in the last.
      NDArray x = dispatch::cast(values, DType::Float64);
      NDArray scaled = elementwise(
          op, "mul",
          {elementwise(op, "sub", {x, dispatch::scalar(low, DType::Float64)},
                       DType::Float64),
           dispatch::scalar(count / (high - low), DType::Float64)},
          DType::Float64);
      NDArray bins = dispatch::cast(call("floor", {scaled}), DType::Int64);
      NDArray inRange = elementwise(
          op, "logical_and",
          {elementwise(op, "ge", {x, dispatch::scalar(low, DType::Float64)},
                       DType::Bool),
           elementwise(op, "le", {x, dispatch::scalar(high, DType::Float64)},
                       DType::Bool)},
          DType::Bool);
      counts = countBins(op, bins, inRange, count);
    }
  }
  std::vector<NDArray> results = {counts, edges};
  for (size_t i = 0; i < outs.size() && i < results.size(); ++i) {
    if (outs[i].shape() != results[i].shape())
      throw Error(formatMessage(op, ": out[", i, "] has shape ",
                                shapeToString(outs[i].shape()), ", expected ",
                                shapeToString(results[i].shape())));
    results[i] = dispatch::cast(results[i], outs[i].dtype(), outs[i]);
  }
  return results;
}

} // namespace

void registerIndexOps(OpRegistry &registry) {
  registry.add(
      {"slice_like",
       {"data", "shape_like"},
       {{"axes", Kind::IntTuple, "()"}},
       "data sliced from 0 to shape_like's extents along `axes` (every axis "
       "by default; negative counts from data's end), as MXNet's "
       "slice_like.\n\nshape_like gives only its shape; its dtype is free. "
       "Without axes both must have the same rank. Errors: an axis outside "
       "data or shape_like, an extent of shape_like larger than data's.\n"
       "Example: slice_like(x of (3, 4), y of (2, 3)) has shape (2, 3); "
       "with axes=(0,) it has (2, 4).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const NDArray &data = in[0];
         const Shape &from = in[1].shape();
         const int64_t rank = data.shape().size();
         std::vector<int64_t> axes = attrs.getIntTuple("axes");
         if (axes.empty()) {
           if (static_cast<int64_t>(from.size()) != rank)
             throw Error(formatMessage("slice_like: data has rank ", rank,
                                       " and shape_like rank ", from.size(),
                                       "; without axes they must be equal"));
           for (int64_t d = 0; d < rank; ++d)
             axes.push_back(d);
         }
         Shape shape = data.shape();
         for (int64_t axis : axes) {
           const int64_t a = checkedAxis("slice_like", axis, rank);
           if (a >= static_cast<int64_t>(from.size()))
             throw Error(formatMessage("slice_like: axis ", axis,
                                       " is out of range for shape_like of "
                                       "rank ",
                                       from.size()));
           if (from[a] > data.shape()[a])
             throw Error(formatMessage("slice_like: shape_like's axis ", a,
                                       " has extent ", from[a],
                                       ", more than data's ", data.shape()[a]));
           shape[a] = from[a];
         }
         NDArray result = boxView(data, Shape(rank, 0), shape);
         autograd::recordShapeReads("slice_like", result, {in[1]});
         return result;
       }});
  registry.add(
      {"shape_array",
       {"data"},
       {},
       "data's shape as a rank-1 int64 array, as MXNet's "
       "shape_array.\nExample: shape_array(x of (2, 4)) = [2, 4].",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         const Shape &shape = in[0].shape();
         return int64Vector({shape.begin(), shape.end()});
       }});
  registry.add({"size_array",
                {"data"},
                {},
                "data's number of elements as an int64 array of shape (1,), "
                "as MXNet's size_array.\nExample: size_array(x of (2, 4)) = "
                "[8].",
                [](const std::vector<NDArray> &in, const Attrs &,
                   const NDArray &) { return int64Vector({in[0].size()}); }});
  registry.add(
      {"diag",
       {"data"},
       {{"k", Kind::Int, "0"},
        {"axis1", Kind::Int, "0"},
        {"axis2", Kind::Int, "1"}},
       "MXNet's diag. For rank-1 data, the (n+|k|, n+|k|) matrix with data "
       "on diagonal k (k > 0 above the main one, k < 0 below). For rank 2 "
       "or more, diagonal k of the matrices spanned by axis1 and axis2: "
       "those axes are removed and the diagonal appended last, so (2, 3, 4) "
       "with axis1=0, axis2=2 gives (3, 2); the diagonal holds data[axis1=i, "
       "axis2=i+k].\n\nAny dtype. Errors: a scalar; axis1 and axis2 out of "
       "range or the same axis; k outside [-extent(axis1), extent(axis2)].",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return diag(in, attrs);
       }});
  registry.add(
      {"depth_to_space",
       {"data"},
       {{"block_size", Kind::Int, std::nullopt}},
       "MXNet's depth_to_space: (N, C, H, W) to (N, C/b^2, H*b, W*b), b = "
       "block_size: reshape to (N, b, b, C/b^2, H, W), transpose (0, 3, 4, "
       "1, 5, 2), reshape (as ONNX DepthToSpace, DCR order).\n\nErrors: "
       "data not of rank 4, block_size < 1, C not a multiple of b^2.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return blockShuffle("depth_to_space", in[0], attrs, true);
       }});
  registry.add(
      {"space_to_depth",
       {"data"},
       {{"block_size", Kind::Int, std::nullopt}},
       "MXNet's space_to_depth, the inverse of depth_to_space: (N, C, H, W) "
       "to (N, C*b^2, H/b, W/b): reshape to (N, C, H/b, b, W/b, b), "
       "transpose (0, 3, 5, 1, 2, 4), reshape.\n\nErrors: data not of rank "
       "4, block_size < 1, H or W not a multiple of b.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return blockShuffle("space_to_depth", in[0], attrs, false);
       }});
  registry.add(
      {"_ravel_multi_index",
       {"data"},
       {{"shape", Kind::OptionalIntTuple, "None"}},
       "MXNet's ravel_multi_index: data (ndim, N) holds N multi-indices in "
       "columns; the result (N,) holds their flat row-major positions in an "
       "array of `shape` (whose first extent may be -1: not needed), in "
       "data's dtype. Indices are not bounds-checked, as MXNet.\nExample: "
       "ravel_multi_index([[3, 6, 6], [4, 5, 1]], shape=(7, 6)) = [22, 41, "
       "37].\n\nErrors: shape missing, data not (len(shape), N).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return unrecorded(in, attrs, ravelMultiIndex);
       }},
      {"ravel_multi_index"});
  registry.add(
      {"_unravel_index",
       {"data"},
       {{"shape", Kind::OptionalIntTuple, "None"}},
       "MXNet's unravel_index, the inverse of ravel_multi_index: data (N,) "
       "holds flat indices; the result (len(shape), N), in data's dtype, "
       "their multi-indices in an array of `shape` (first extent may be "
       "-1). Like MXNet, the first axis is not wrapped (an index past the "
       "end gives a first coordinate past shape[0]) and division truncates "
       "(-1 gives (0, ..., -1)).\nExample: unravel_index([22, 41, 37], "
       "shape=(7, 6)) = [[3, 6, 6], [4, 5, 1]].\n\nErrors: shape missing, "
       "data not of rank 1.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return unrecorded(in, attrs, unravelIndex);
       }},
      {"unravel_index"});
  registry.add(
      {"khatri_rao",
       {"*args"},
       {},
       "MXNet's khatri_rao: the column-wise Kronecker product of matrices "
       "A_i of shapes (M_i, N), a (M_1 * ... * M_n, N) matrix whose column k "
       "is the outer product of the A_i's columns k (rows in row-major "
       "order).\n\nFloating-point inputs of one dtype. Differentiable (MXNet "
       "1.9.1 has no gradient for it). Errors: an input not of rank 2, "
       "column counts or dtypes that differ, integer inputs.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         return khatriRao(in);
       }});
  registry.add(
      {"fill_element_0index",
       {"lhs", "mhs", "rhs"},
       {},
       "MXNet's fill_element_0index: lhs (n, m) with element rhs[i] of row "
       "i replaced by mhs[i]; an index outside [0, m) leaves the row "
       "unchanged.\n\nmhs has lhs's dtype; rhs any (truncated). "
       "Differentiable in lhs and mhs (MXNet 1.9.1 has no gradient). "
       "Errors: shapes other than (n, m), (n,), (n,); mhs's dtype.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         return fillElement0Index(in);
       }});
  registry.add(
      {"batch_take",
       {"a", "indices"},
       {},
       "MXNet's batch_take (deprecated there for pick): with a seen as rows "
       "of its last axis, out[i] = row i's element indices[i], indices "
       "clipped into the row; out has indices' shape and a's dtype.\n"
       "Example: batch_take([[1, 2], [3, 4], [5, 6]], [0, 1, 0]) = [1, 4, "
       "5].\n\nIndices of any dtype (MXNet 1.9.1 requires int32). Errors: a "
       "scalar a, indices.size not the number of rows.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         return batchTake(in);
       }});
  registry.add(
      {"argmax_channel",
       {"data"},
       {},
       "MXNet's argmax_channel: the index of the largest element along axis "
       "1 (the first on ties), in data's dtype; (2, 3, 4) gives (2, 4).\n\n"
       "Errors: data of rank below 2.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         const NDArray &data = in[0];
         if (data.shape().size() < 2)
           throw Error(formatMessage("argmax_channel: data must have rank 2 "
                                     "or more (channels on axis 1), got "
                                     "shape ",
                                     shapeToString(data.shape())));
         NDArray index = call("argmax", {data}, {{"axis", "1"}});
         return index.dtype() == data.dtype()
                    ? index
                    : dispatch::cast(index, data.dtype());
       }});
  registry.add(
      {"Crop",
       {"*data"},
       {{"offset", Kind::IntTuple, "(0, 0)"},
        {"h_w", Kind::IntTuple, "(0, 0)"},
        {"center_crop", Kind::Bool, "False"}},
       "MXNet's legacy Crop (deprecated there for slice): data (N, C, H, "
       "W) cropped on its last two axes to h_w = (height, width), or to the "
       "last two extents of a second input crop_like, starting at offset = "
       "(y, x), or centred (offsets rounded down) with center_crop. Any "
       "dtype (MXNet 1.9.1: float32 only).\n\nErrors: "
       "more than two inputs, data not of rank 4, no h_w and no crop_like, "
       "a crop larger than data or an offset that puts it outside.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return crop(in, attrs);
       }});
  OpSpec histogramSpec{
      "_histogram",
      {"data", "bins?"},
      {{"bin_cnt", Kind::OptionalInt, "None"},
       {"range", Kind::FloatTuple, "None"}},
      "MXNet's _histogram (mx.nd.histogram calls it): counts of data's "
      "elements (flattened) per bin, and the bin edges. Bins are either the "
      "array bins of ascending edges (data's dtype), or bin_cnt equal bins "
      "over range = (low, high) (low == high widens to +-0.5, as numpy). "
      "Each bin is [e_j, e_j+1), the last closed; values outside, and NaN, "
      "are not counted.\n\nTwo outputs: counts (int64, one per bin) and "
      "edges (data's dtype, one more). Integer data bins by the edges "
      "converted to its dtype, as MXNet. Errors: bins together with bin_cnt "
      "or range, bin_cnt without range (or the reverse), bin_cnt < 1, low > "
      "high, bins not rank 1 with 2 or more edges or not of data's dtype.",
      nullptr};
  histogramSpec.computeOutputs = histogram;
  registry.add(std::move(histogramSpec));
}

} // namespace ops
} // namespace kiln
