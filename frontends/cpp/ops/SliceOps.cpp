//===- SliceOps.cpp - slicing views and writes through them ---------------===//
//
// slice, slice_axis (crop) and reverse (flip) are views: strided, possibly
// with negative strides, sharing the input's storage. _slice_scatter (the
// gradient of slice) and _set_rows (x[indices] = value) write through views.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>
#include <cstring>

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

const std::vector<AttrSpec> kSliceAttrs = {
    {"begin", AttrSpec::Kind::OptionalIntList, std::nullopt},
    {"end", AttrSpec::Kind::OptionalIntList, std::nullopt},
    {"step", AttrSpec::Kind::OptionalIntList, "()"}};

/// SliceChannel/split: data cut into num_outputs equal parts along axis.
std::vector<NDArray> splitChannels(const std::vector<NDArray> &in,
                                   const Attrs &attrs,
                                   const std::vector<NDArray> &outs) {
  const std::string op = "SliceChannel";
  const NDArray &data = in[0];
  const int64_t rank = static_cast<int64_t>(data.shape().size());
  const int64_t axis = checkedAxis(op, attrs.getInt("axis"), rank);
  const int64_t parts = attrs.getInt("num_outputs");
  const int64_t extent = data.shape()[axis];
  // Messages leave the op out: the registry names the one called (split
  // or SliceChannel).
  if (parts < 1 || extent % parts)
    throw Error(formatMessage("axis ", axis, " of extent ", extent,
                              " does not split into ", parts, " equal parts"));
  const int64_t step = extent / parts;
  const bool squeeze = attrs.getBool("squeeze_axis");
  if (squeeze && step != 1)
    throw Error(
        formatMessage("squeeze_axis needs parts of extent 1, got ", step));
  if (!outs.empty() && static_cast<int64_t>(outs.size()) != parts)
    throw Error(
        formatMessage("out expected ", parts, " NDArrays, got ", outs.size()));
  std::vector<NDArray> results;
  for (int64_t i = 0; i < parts; ++i) {
    NDArray part = call("slice_axis", {data},
                        {{"axis", std::to_string(axis)},
                         {"begin", std::to_string(i * step)},
                         {"end", std::to_string((i + 1) * step)}});
    if (squeeze)
      part = call("squeeze", {part}, {{"axis", std::to_string(axis)}});
    // Copies, as MXNet's split: the parts never share data's memory.
    results.push_back(outs.empty() ? call("_copy", {part})
                                   : invokeOp("_copy", {part}, {}, outs[i]));
  }
  return results;
}

std::vector<NDArray> splitChannelsGradient(const OutputsGradientArgs &args) {
  const int64_t rank = static_cast<int64_t>(args.inputs[0].shape().size());
  const std::string axis = std::to_string(
      checkedAxis("SliceChannel", args.attrs.getInt("axis"), rank));
  std::vector<NDArray> grads;
  for (const NDArray &grad : args.outputGrads)
    grads.push_back(args.attrs.getBool("squeeze_axis")
                        ? call("expand_dims", {grad}, {{"axis", axis}})
                        : grad);
  return {call("concat", grads, {{"dim", axis}})};
}

} // namespace

void registerSliceOps(OpRegistry &registry) {
  OpSpec split{
      "SliceChannel",
      {"data"},
      {{"num_outputs", AttrSpec::Kind::Int, std::nullopt},
       {"axis", AttrSpec::Kind::Int, "1"},
       {"squeeze_axis", AttrSpec::Kind::Bool, "False"}},
      "data cut into num_outputs equal parts along axis (MXNet's "
      "SliceChannel/split): num_outputs arrays. squeeze_axis drops the axis "
      "(each part must then have extent 1). Errors: an axis out of range, an "
      "extent num_outputs does not divide.",
      nullptr};
  split.computeOutputs = splitChannels;
  split.outputsGradient = splitChannelsGradient;
  registry.add(std::move(split), {"split"});

  registry.add({"slice",
                {"data"},
                kSliceAttrs,
                "data[begin:end:step] along the leading axes (None: the "
                "whole axis), as a view.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
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
         const Shape &shape = in[0].shape();
         const int64_t axis =
             checkedAxis("slice_axis", attrs.getInt("axis"), shape.size());
         // MXNet's slice_axis refuses what slice clamps (GetSliceAxisParams):
         // an end past the axis, a begin before it, an empty range. An
         // extent of 0 is left alone (unknown while inferring shapes).
         const int64_t extent = shape[axis];
         const int64_t begin = attrs.getInt("begin");
         const std::optional<int64_t> end = attrs.getOptionalInt("end");
         if (extent > 0) {
           const int64_t first = begin < 0 ? begin + extent : begin;
           const int64_t last = !end ? extent : *end < 0 ? *end + extent : *end;
           const std::string endText = end ? std::to_string(*end) : "None";
           if (last > extent)
             throw Error(formatMessage("slice_axis: Invalid end for end=",
                                       endText, " as axis_size is ", extent));
           if (first < 0)
             throw Error(formatMessage("slice_axis: Invalid begin for begin=",
                                       begin, " as axis_size is ", extent));
           if (first >= last)
             throw Error(formatMessage(
                 "slice_axis: Invalid begin, end, get begin=", begin,
                 ", end=", endText, " (axis_size ", extent, ")"));
         }
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
         indices = dispatch::reshape(indices, {indices.size()});
         Shape rowsShape = data.shape();
         rowsShape[0] = indices.size();
         Shape valueShape = in[2].shape();
         NDArray value = dispatch::broadcastTo(
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
}

} // namespace ops
} // namespace kiln
