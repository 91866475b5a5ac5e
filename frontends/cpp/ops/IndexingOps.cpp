//===- IndexingOps.cpp - slicing, picking, broadcasting, tiling -----------===//
//
// slice, slice_axis and flip are views (strided, possibly with negative
// strides); _slice_scatter is their gradient. broadcast_to and broadcast_like
// run the broadcast_to primitive. pick, tile, repeat and reshape_like are
// composites of other ops, so autograd differentiates them through their
// parts.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>
#include <cstring>
#include <tuple>

namespace kiln {
namespace ops {
namespace {

/// One axis of a slice: the first index, the step and the count.
struct AxisSlice {
  int64_t begin = 0, step = 1, count = 0;
};

/// Python's slice.indices for one axis of `extent`.
AxisSlice sliceAxis(const std::string &op, int64_t extent,
                    std::optional<int64_t> begin, std::optional<int64_t> end,
                    int64_t step) {
  if (step == 0)
    throw Error(formatMessage(op, ": step must not be 0"));
  auto clamp = [&](int64_t index, int64_t low, int64_t high) {
    if (index < 0)
      index += extent;
    return std::min(std::max(index, low), high);
  };
  AxisSlice slice;
  slice.step = step;
  int64_t first, last;
  if (step > 0) {
    first = begin ? clamp(*begin, 0, extent) : 0;
    last = end ? clamp(*end, 0, extent) : extent;
    slice.count = last > first ? (last - first + step - 1) / step : 0;
  } else {
    first = begin ? clamp(*begin, -1, extent - 1) : extent - 1;
    last = end ? clamp(*end, -1, extent - 1) : -1;
    slice.count = first > last ? (first - last - step - 1) / -step : 0;
  }
  slice.begin = first;
  return slice;
}

std::vector<AxisSlice> slicesOf(const std::string &op, const Shape &shape,
                                const Attrs &attrs) {
  auto begin = attrs.getOptionalIntList("begin");
  auto end = attrs.getOptionalIntList("end");
  auto steps = attrs.getOptionalIntList("step");
  if (begin.size() != end.size())
    throw Error(formatMessage(op, ": begin has ", begin.size(),
                              " items but end has ", end.size()));
  if (begin.size() > shape.size())
    throw Error(formatMessage(op, ": begin has ", begin.size(),
                              " items, more than the data's rank ",
                              shape.size()));
  if (!steps.empty() && steps.size() != begin.size())
    throw Error(formatMessage(op, ": step has ", steps.size(),
                              " items, expected ", begin.size()));
  std::vector<AxisSlice> slices;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (d >= begin.size()) {
      slices.push_back({0, 1, shape[d]});
      continue;
    }
    const int64_t step = d < steps.size() && steps[d] ? *steps[d] : 1;
    slices.push_back(sliceAxis(op, shape[d], begin[d], end[d], step));
  }
  return slices;
}

NDArray sliceView(const NDArray &x, const std::vector<AxisSlice> &slices) {
  const Tensor &t = x.tensor();
  Shape shape, strides;
  int64_t offset = t.offset();
  for (size_t d = 0; d < slices.size(); ++d) {
    shape.push_back(slices[d].count);
    strides.push_back(t.strides()[d] * slices[d].step);
    if (slices[d].count > 0)
      offset += slices[d].begin * t.strides()[d];
  }
  return x.view(t.strided(shape, strides, offset));
}

int64_t checkedAxis(const std::string &op, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    throw Error(formatMessage(op, ": axis ", axis,
                              " is out of range for an array of rank ", rank));
  return axis < 0 ? axis + rank : axis;
}

const std::vector<AttrSpec> kSliceAttrs = {
    {"begin", AttrSpec::Kind::OptionalIntList, std::nullopt},
    {"end", AttrSpec::Kind::OptionalIntList, std::nullopt},
    {"step", AttrSpec::Kind::OptionalIntList, "()"}};

/// Row `i` of `x`'s first axis, without that axis.
NDArray sliceAlongFirst(const NDArray &x, int64_t i) {
  NDArray row = call("slice_axis", {x},
                     {{"axis", "0"},
                      {"begin", std::to_string(i)},
                      {"end", std::to_string(i + 1)}});
  Shape shape(x.shape().begin() + 1, x.shape().end());
  return reshapeTo(row, shape);
}

NDArray zerosOf(const Shape &shape, DType dtype) {
  return call("_zeros", {},
              {{"shape", shapeAttr(shape)}, {"dtype", dtypeName(dtype)}});
}

/// MXNet's broadcast_to shape: 0 keeps the input's extent.
Shape broadcastTarget(const std::string &op, const Shape &input,
                      const Shape &given) {
  if (given.size() < input.size())
    throw Error(formatMessage(op, ": shape ", shapeToString(given),
                              " has fewer dimensions than the input ",
                              shapeToString(input)));
  Shape target = given;
  const size_t lead = given.size() - input.size();
  for (size_t d = 0; d < given.size(); ++d) {
    const int64_t have = d < lead ? 1 : input[d - lead];
    if (target[d] == 0)
      target[d] = have;
    if (have != 1 && have != target[d])
      throw Error(formatMessage(op, ": cannot broadcast ", shapeToString(input),
                                " to ", shapeToString(given)));
  }
  return target;
}

NDArray runBroadcast(const std::string &op, const NDArray &x,
                     const Shape &target) {
  // The primitive broadcasts unit dimensions of an input of the same rank.
  Shape padded(target.size() - x.shape().size(), 1);
  padded.insert(padded.end(), x.shape().begin(), x.shape().end());
  NDArray input = x;
  if (padded != x.shape()) {
    NDArray contiguous =
        x.tensor().isContiguous() ? x : dispatch::cast(x, x.dtype());
    input = contiguous.view(contiguous.tensor().reshaped(padded));
  }
  compiler::KernelSignature signature{"broadcast_to", {}, {}};
  return dispatch::generate(op, signature, {input}, target, x.dtype());
}

/// gather_nd's and scatter_nd's positions as row numbers of the first M
/// axes of `shape`: (linear indices, the number of such rows, the rest of
/// the shape).
std::tuple<NDArray, int64_t, Shape>
linearIndex(const std::string &op, const NDArray &indices, const Shape &shape) {
  if (indices.shape().empty())
    throw Error(formatMessage(op, ": indices must have rank 1 or more"));
  const int64_t depth = indices.shape()[0];
  if (depth < 1 || depth > static_cast<int64_t>(shape.size()))
    throw Error(formatMessage(op, ": indices.shape[0] is ", depth,
                              ", expected 1 to ", shape.size(),
                              " (the data's rank)"));
  NDArray positions = call("cast", {indices}, {{"dtype", "int64"}});
  // Row-major: sum over i of indices[i] * prod(shape[i+1:depth]).
  NDArray linear;
  int64_t stride = 1;
  for (int64_t i = depth - 1; i >= 0; --i) {
    NDArray term = callScalar("_mul_scalar", sliceAlongFirst(positions, i),
                              static_cast<double>(stride));
    linear = linear.isNone() ? term : call("broadcast_add", {linear, term});
    stride *= shape[i];
  }
  return {linear, stride, Shape(shape.begin() + depth, shape.end())};
}

NDArray padConstant(const NDArray &data, const Shape &widths, double value) {
  Shape shape;
  std::string begin = "(", end = "(";
  for (size_t d = 0; d < data.shape().size(); ++d) {
    shape.push_back(data.shape()[d] + widths[2 * d] + widths[2 * d + 1]);
    begin += std::to_string(widths[2 * d]) + ", ";
    end += std::to_string(widths[2 * d] + data.shape()[d]) + ", ";
  }
  // Differentiable: the scatter's gradient is the slice back.
  NDArray shifted =
      value == 0 ? data : callScalar("_minus_scalar", data, value);
  NDArray placed = call("_slice_scatter", {shifted},
                        {{"shape", shapeAttr(shape)},
                         {"begin", begin + ")"},
                         {"end", end + ")"}});
  return value == 0 ? placed : callScalar("_plus_scalar", placed, value);
}

/// `x` padded along `axis` by repeating its edge, or mirroring (reflect).
NDArray padAxis(const NDArray &x, int64_t axis, int64_t before, int64_t after,
                bool reflect) {
  if (before == 0 && after == 0)
    return x;
  const int64_t extent = x.shape()[axis];
  if (extent == 0 || (reflect && (before >= extent || after >= extent)))
    throw Error(formatMessage("pad: axis ", axis, " of extent ", extent,
                              " cannot be padded by (", before, ", ", after,
                              ")", reflect ? " in reflect mode" : ""));
  auto piece = [&](int64_t begin, int64_t end) {
    return call("slice_axis", {x},
                {{"axis", std::to_string(axis)},
                 {"begin", std::to_string(begin)},
                 {"end", std::to_string(end)}});
  };
  auto edge = [&](int64_t at, int64_t count) {
    Shape shape = x.shape();
    shape[axis] = count;
    return broadcastTo(piece(at, at + 1), shape);
  };
  std::vector<NDArray> parts;
  if (before)
    parts.push_back(reflect ? call("reverse", {piece(1, before + 1)},
                                   {{"axis", std::to_string(axis)}})
                            : edge(0, before));
  parts.push_back(x);
  if (after)
    parts.push_back(reflect ? call("reverse",
                                   {piece(extent - 1 - after, extent - 1)},
                                   {{"axis", std::to_string(axis)}})
                            : edge(extent - 1, after));
  return invokeOp("Concat", parts, {{"dim", std::to_string(axis)}});
}

} // namespace

void registerIndexingOps(OpRegistry &registry) {
  registry.add({"slice",
                {"data"},
                kSliceAttrs,
                "data[begin:end:step] along the leading axes (None: the "
                "whole axis), as a view.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  if (!out.isNone())
                    throw Error("slice: out= is not supported (the result is "
                                "a view)");
                  return sliceView(in[0],
                                   slicesOf("slice", in[0].shape(), attrs));
                }},
               {"crop"});
  registry.add(
      {"slice_axis",
       {"data"},
       {{"axis", AttrSpec::Kind::Int, std::nullopt},
        {"begin", AttrSpec::Kind::Int, std::nullopt},
        {"end", AttrSpec::Kind::OptionalInt, std::nullopt}},
       "data[begin:end] along one axis, as a view.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         if (!out.isNone())
           throw Error("slice_axis: out= is not supported (the result is a "
                       "view)");
         const Shape &shape = in[0].shape();
         const int64_t axis =
             checkedAxis("slice_axis", attrs.getInt("axis"), shape.size());
         std::vector<AxisSlice> slices;
         for (size_t d = 0; d < shape.size(); ++d)
           slices.push_back(static_cast<int64_t>(d) == axis
                                ? sliceAxis("slice_axis", shape[d],
                                            attrs.getInt("begin"),
                                            attrs.getOptionalInt("end"), 1)
                                : AxisSlice{0, 1, shape[d]});
         return sliceView(in[0], slices);
       }});
  registry.add(
      {"_slice_scatter",
       {"data"},
       {{"shape", AttrSpec::Kind::IntTuple, std::nullopt},
        {"begin", AttrSpec::Kind::OptionalIntList, std::nullopt},
        {"end", AttrSpec::Kind::OptionalIntList, std::nullopt},
        {"step", AttrSpec::Kind::OptionalIntList, "()"}},
       "Zeros of shape with data written at [begin:end:step] (the gradient "
       "of slice).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const Shape shape = attrs.getIntTuple("shape");
         NDArray result = zerosOf(shape, in[0].dtype());
         NDArray region =
             sliceView(result, slicesOf("_slice_scatter", shape, attrs));
         if (region.shape() != in[0].shape())
           throw Error(formatMessage(
               "_slice_scatter: data has shape ", shapeToString(in[0].shape()),
               ", the region ", shapeToString(region.shape())));
         dispatch::cast(in[0], in[0].dtype(), region);
         return result;
       }});
  registry.add({"reverse",
                {"data"},
                {{"axis", AttrSpec::Kind::IntTuple, std::nullopt}},
                "The elements in reverse order along the axes, as a view.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  if (!out.isNone())
                    throw Error(
                        "flip: out= is not supported (the result is a view)");
                  const Shape &shape = in[0].shape();
                  std::vector<AxisSlice> slices;
                  for (int64_t extent : shape)
                    slices.push_back({0, 1, extent});
                  for (int64_t axis : attrs.getIntTuple("axis")) {
                    const int64_t d = checkedAxis("flip", axis, shape.size());
                    slices[d] = {shape[d] - 1, -1, shape[d]};
                  }
                  return sliceView(in[0], slices);
                }},
               {"flip"});
  registry.add(
      {"broadcast_to",
       {"data"},
       {{"shape", AttrSpec::Kind::IntTuple, std::nullopt}},
       "data broadcast to shape (0 keeps an extent).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const Shape target = broadcastTarget("broadcast_to", in[0].shape(),
                                              attrs.getIntTuple("shape"));
         return runBroadcast("broadcast_to", in[0], target);
       }});
  registry.add(
      {"broadcast_like",
       {"lhs", "rhs"},
       {},
       "lhs broadcast to rhs's shape.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         return broadcastTo(
             in[0],
             broadcastTarget("broadcast_like", in[0].shape(), in[1].shape()));
       }});
  registry.add(
      {"zeros_like",
       {"data"},
       {},
       "Zeros of data's shape and dtype.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         return zerosOf(in[0].shape(), in[0].dtype());
       }});
  registry.add(
      {"ones_like",
       {"data"},
       {},
       "Ones of data's shape and dtype.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         return call("_ones", {},
                     {{"shape", shapeAttr(in[0].shape())},
                      {"dtype", dtypeName(in[0].dtype())}});
       }});
  registry.add(
      {"reshape_like",
       {"lhs", "rhs"},
       {},
       "lhs reshaped to rhs's shape.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         if (in[0].size() != in[1].size())
           throw Error(formatMessage(
               "reshape_like: cannot reshape ", shapeToString(in[0].shape()),
               " like ", shapeToString(in[1].shape()), ": the sizes differ"));
         return reshapeTo(in[0], in[1].shape());
       }});
  registry.add(
      {"pick",
       {"data", "index"},
       {{"axis", AttrSpec::Kind::OptionalInt, "-1"},
        {"keepdims", AttrSpec::Kind::Bool, "False"},
        {"mode", AttrSpec::Kind::String, "clip"}},
       "The element of data at index along axis, for every other position.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const NDArray &data = in[0];
         const Shape &shape = data.shape();
         const int64_t rank = shape.size();
         const auto givenAxis = attrs.getOptionalInt("axis");
         if (!givenAxis)
           throw Error("pick: axis=None is not supported; give an axis");
         const int64_t axis = checkedAxis("pick", *givenAxis, rank);
         Shape expected = shape;
         expected.erase(expected.begin() + axis);
         Shape indexShape = in[1].shape();
         if (indexShape.size() == expected.size() + 1 && indexShape[axis] == 1)
           indexShape.erase(indexShape.begin() + axis);
         if (indexShape != expected)
           throw Error(formatMessage(
               "pick: index has shape ", shapeToString(in[1].shape()),
               ", expected ", shapeToString(expected), " for data ",
               shapeToString(shape), " and axis ", axis));
         const std::string mode = attrs.getString("mode");
         if (mode != "clip" && mode != "wrap")
           throw Error(formatMessage(
               "pick: mode expected 'clip' or 'wrap', got '", mode, "'"));
         // One-hot rows along the last axis, moved to `axis`, then a masked
         // sum: differentiable through its parts.
         const int64_t depth = shape[axis];
         NDArray index = reshapeTo(in[1], expected);
         index =
             mode == "clip"
                 ? call("clip", {index},
                        {{"a_min", "0"}, {"a_max", std::to_string(depth - 1)}})
                 : callScalar(
                       "_mod_scalar",
                       callScalar("_plus_scalar",
                                  callScalar("_mod_scalar", index, depth),
                                  depth),
                       depth);
         NDArray mask = call("one_hot", {index},
                             {{"depth", std::to_string(depth)},
                              {"dtype", dtypeName(data.dtype())}});
         mask = moveLastAxisTo(mask, axis);
         NDArray picked =
             call("sum", {call("broadcast_mul", {data, mask})},
                  {{"axis", std::to_string(axis)},
                   {"keepdims", attrs.getBool("keepdims") ? "True" : "False"}});
         return picked;
       }});
  registry.add(
      {"gather_nd",
       {"data", "indices"},
       {},
       "data at the positions indices lists: indices (M, ...) picks along "
       "data's first M axes; the result is indices.shape[1:] + "
       "data.shape[M:].",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         const NDArray &data = in[0];
         auto [linear, rows, rest] =
             linearIndex("gather_nd", in[1], data.shape());
         // Rows of data viewed as (positions, rest): take is differentiable.
         NDArray table = reshapeTo(data, {rows, numElements(rest)});
         NDArray picked = call("take", {table, linear}, {{"mode", "clip"}});
         Shape shape(in[1].shape().begin() + 1, in[1].shape().end());
         shape.insert(shape.end(), rest.begin(), rest.end());
         return reshapeTo(picked, shape);
       }});
  registry.add(
      {"scatter_nd",
       {"data", "indices"},
       {{"shape", AttrSpec::Kind::IntTuple, std::nullopt}},
       "Zeros of shape with data written at the positions indices lists "
       "(the inverse of gather_nd; repeated positions add up).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const NDArray &data = in[0];
         const Shape shape = attrs.getIntTuple("shape");
         auto [linear, rows, rest] = linearIndex("scatter_nd", in[1], shape);
         Shape expected(in[1].shape().begin() + 1, in[1].shape().end());
         expected.insert(expected.end(), rest.begin(), rest.end());
         if (data.shape() != expected)
           throw Error(formatMessage("scatter_nd: data has shape ",
                                     shapeToString(data.shape()), ", expected ",
                                     shapeToString(expected)));
         requireFloat("scatter_nd", data);
         // One-hot rows (positions x rows) times data: the sum of scatters,
         // differentiable with respect to data.
         NDArray hot = call("one_hot", {linear},
                            {{"depth", std::to_string(rows)},
                             {"dtype", dtypeName(data.dtype())}});
         NDArray values = reshapeTo(data, {linear.size(), numElements(rest)});
         NDArray scattered =
             call("dot", {hot, values}, {{"transpose_a", "True"}});
         return reshapeTo(scattered, shape);
       }});
  registry.add(
      {"pad",
       {"data"},
       {{"mode", AttrSpec::Kind::String, "constant"},
        {"pad_width", AttrSpec::Kind::IntTuple, std::nullopt},
        {"constant_value", AttrSpec::Kind::Float, "0"}},
       "data padded by pad_width (before, after per axis): with "
       "constant_value, or repeating the edge ('edge'), or mirrored "
       "without the edge ('reflect').",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const NDArray &data = in[0];
         const Shape widths = attrs.getIntTuple("pad_width");
         const size_t rank = data.shape().size();
         if (widths.size() != 2 * rank)
           throw Error(formatMessage("pad: pad_width has ", widths.size(),
                                     " values, expected 2 per axis (", 2 * rank,
                                     ")"));
         for (int64_t width : widths)
           if (width < 0)
             throw Error(formatMessage("pad: pad_width ", shapeToString(widths),
                                       " must not be negative"));
         const std::string mode = attrs.getString("mode");
         if (mode != "constant" && mode != "edge" && mode != "reflect")
           throw Error(formatMessage("pad: mode expected 'constant', 'edge' "
                                     "or 'reflect', got '",
                                     mode, "'"));
         if (mode == "constant")
           return padConstant(data, widths, attrs.getFloat("constant_value"));
         NDArray result = data;
         for (size_t d = 0; d < rank; ++d)
           result = padAxis(result, d, widths[2 * d], widths[2 * d + 1],
                            mode == "reflect");
         return result;
       }});
  registry.add(
      {"_set_rows",
       {"data", "indices", "value"},
       {},
       "data[indices] = value along the first axis, in place (out must be "
       "data; with repeated indices the last write wins).",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &out) {
         const NDArray &data = in[0];
         if (out.isNone() || out.var() != data.var())
           throw Error("_set_rows: out must be data (it writes in place)");
         if (data.shape().empty())
           throw Error("__setitem__: cannot index a rank-0 array");
         if (!data.tensor().isContiguous())
           throw Error("__setitem__: assignment through an index array needs "
                       "a contiguous array, not a view");
         NDArray indices = dispatch::cast(in[1], DType::Int64);
         indices = reshapeTo(indices, {indices.size()});
         Shape rowsShape = data.shape();
         rowsShape[0] = indices.size();
         Shape valueShape = in[2].shape();
         NDArray value = broadcastTo(
             in[2], broadcastTarget("__setitem__", valueShape, rowsShape));
         value = dispatch::cast(value, data.dtype());
         const Tensor target = data.tensor(), rows = value.tensor(),
                      positions = indices.tensor();
         const int64_t extent = data.shape()[0];
         Engine::global().push(
             [target, rows, positions, extent] {
               const size_t rowBytes =
                   static_cast<size_t>(target.numElements() /
                                       std::max<int64_t>(extent, 1)) *
                   dtypeSize(target.dtype());
               const auto *index =
                   static_cast<const int64_t *>(positions.data());
               auto *base = static_cast<char *>(target.data());
               const auto *source = static_cast<const char *>(rows.data());
               for (int64_t i = 0; i < positions.numElements(); ++i) {
                 int64_t row = index[i] < 0 ? index[i] + extent : index[i];
                 if (row < 0 || row >= extent)
                   throw Error(formatMessage(
                       "__setitem__: index ", index[i],
                       " is out of bounds for axis 0 with size ", extent));
                 std::memcpy(base + row * rowBytes, source + i * rowBytes,
                             rowBytes);
               }
             },
             data.device(), {indices.var(), value.var()}, {data.var()}, 0,
             "_set_rows");
         return data;
       }});
  registry.add(
      {"tile",
       {"data"},
       {{"reps", AttrSpec::Kind::IntTuple, std::nullopt}},
       "data repeated reps times along each axis.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         Shape reps = attrs.getIntTuple("reps");
         Shape shape = in[0].shape();
         for (int64_t r : reps)
           if (r < 0)
             throw Error(formatMessage("tile: reps ", shapeToString(reps),
                                       " must not be negative"));
         while (reps.size() < shape.size())
           reps.insert(reps.begin(), 1);
         while (shape.size() < reps.size())
           shape.insert(shape.begin(), 1);
         // (r0, d0, r1, d1, ...) by broadcasting (1, d0, 1, d1, ...).
         Shape interleaved, broadcast, result;
         for (size_t d = 0; d < shape.size(); ++d) {
           interleaved.insert(interleaved.end(), {1, shape[d]});
           broadcast.insert(broadcast.end(), {reps[d], shape[d]});
           result.push_back(reps[d] * shape[d]);
         }
         return reshapeTo(broadcastTo(reshapeTo(in[0], interleaved), broadcast),
                          result);
       }});
  registry.add(
      {"repeat",
       {"data"},
       {{"repeats", AttrSpec::Kind::Int, std::nullopt},
        {"axis", AttrSpec::Kind::OptionalInt, "None"}},
       "Each element repeated `repeats` times along axis (flattened when "
       "None).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const int64_t repeats = attrs.getInt("repeats");
         if (repeats < 0)
           throw Error(formatMessage("repeat: repeats must not be negative, "
                                     "got ",
                                     repeats));
         NDArray data = in[0];
         int64_t axis = 0;
         if (auto given = attrs.getOptionalInt("axis"))
           axis = checkedAxis("repeat", *given, data.shape().size());
         else
           data = reshapeTo(data, {data.size()});
         Shape expanded = data.shape(), broadcast = data.shape(),
               result = data.shape();
         expanded.insert(expanded.begin() + axis + 1, 1);
         broadcast.insert(broadcast.begin() + axis + 1, repeats);
         result[axis] *= repeats;
         return reshapeTo(broadcastTo(reshapeTo(data, expanded), broadcast),
                          result);
       }});
}

} // namespace ops
} // namespace kiln
