//===- GatherOps.cpp - pick, gather_nd, scatter_nd ------------------------===//
//
// Composites of other ops (one_hot, take, dot, sums), so autograd
// differentiates them through their parts.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <tuple>

namespace kiln {
namespace ops {
namespace {

/// Row `i` of `x`'s first axis, without that axis.
NDArray sliceAlongFirst(const NDArray &x, int64_t i) {
  NDArray row = call("slice_axis", {x},
                     {{"axis", "0"},
                      {"begin", std::to_string(i)},
                      {"end", std::to_string(i + 1)}});
  Shape shape(x.shape().begin() + 1, x.shape().end());
  return dispatch::reshape(row, shape);
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

} // namespace

void registerGatherOps(OpRegistry &registry) {
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
         const std::string mode = attrs.getChoice("mode", {"clip", "wrap"});
         // One-hot rows along the last axis, moved to `axis`, then a masked
         // sum: differentiable through its parts.
         const int64_t depth = shape[axis];
         NDArray index = dispatch::reshape(in[1], expected);
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
       }},
      // MXNet 1.9.1 registers pick under this name too.
      {"choose_element_0index"});
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
         NDArray table = dispatch::reshape(data, {rows, numElements(rest)});
         NDArray picked = call("take", {table, linear}, {{"mode", "clip"}});
         Shape shape(in[1].shape().begin() + 1, in[1].shape().end());
         shape.insert(shape.end(), rest.begin(), rest.end());
         return dispatch::reshape(picked, shape);
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
         NDArray values =
             dispatch::reshape(data, {linear.size(), numElements(rest)});
         NDArray scattered =
             call("dot", {hot, values}, {{"transpose_a", "True"}});
         return dispatch::reshape(scattered, shape);
       }});
}

} // namespace ops
} // namespace kiln
