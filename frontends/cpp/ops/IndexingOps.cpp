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
         if (axis != rank - 1) {
           Shape axes;
           for (int64_t d = 0; d < rank - 1; ++d) {
             if (d == axis)
               axes.push_back(rank - 1);
             axes.push_back(d);
           }
           mask = call("transpose", {mask}, {{"axes", shapeAttr(axes)}});
         }
         NDArray picked =
             call("sum", {call("broadcast_mul", {data, mask})},
                  {{"axis", std::to_string(axis)},
                   {"keepdims", attrs.getBool("keepdims") ? "True" : "False"}});
         return picked;
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
