//===- ReductionOps.cpp - MXNet's reductions ------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>

namespace kiln {
namespace ops {
std::vector<int64_t> reducedAxes(const std::string &op, const NDArray &x,
                                 const Attrs &attrs) {
  const int64_t rank = static_cast<int64_t>(x.shape().size());
  std::optional<std::vector<int64_t>> given = attrs.getOptionalIntTuple("axis");
  std::vector<int64_t> axes;
  // No axis, or an empty tuple (MXNet's axis=()), reduces every axis, with
  // or without exclude.
  if (!given || given->empty()) {
    for (int64_t dim = 0; dim < rank; ++dim)
      axes.push_back(dim);
    return axes;
  }
  for (int64_t axis : *given) {
    const int64_t normalized = axis < 0 ? axis + rank : axis;
    if (normalized < 0 || normalized >= rank)
      throw Error(formatMessage(
          op, ": axis ", axis, " is out of range for an array of rank ", rank));
    if (std::find(axes.begin(), axes.end(), normalized) != axes.end())
      throw Error(formatMessage(op, ": axis ", axis, " is repeated"));
    axes.push_back(normalized);
  }
  if (attrs.getBool("exclude")) {
    std::vector<int64_t> complement;
    for (int64_t dim = 0; dim < rank; ++dim)
      if (std::find(axes.begin(), axes.end(), dim) == axes.end())
        complement.push_back(dim);
    axes = complement;
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

namespace {

/// MXNet's legacy NDArray has no rank 0: a reduction to a scalar gives (1,).
NDArray atLeastRankOne(const NDArray &result) {
  if (!result.shape().empty())
    return result;
  return result.view(result.tensor().reshaped({1}));
}

const std::vector<AttrSpec> kReduceAttrs = {
    {"axis", AttrSpec::Kind::OptionalIntTuple, "None"},
    {"keepdims", AttrSpec::Kind::Bool, "False"},
    {"exclude", AttrSpec::Kind::Bool, "False"}};

} // namespace

void registerReductionOps(OpRegistry &registry) {
  const std::vector<std::pair<std::string, std::string>> reductions = {
      {"sum", "reduce_sum"},
      {"prod", "reduce_prod"},
      {"max", "reduce_max"},
      {"min", "reduce_min"},
      {"mean", "reduce_mean"}};
  for (const auto &[name, primitive] : reductions)
    registry.add(
        {name,
         {"data"},
         kReduceAttrs,
         "The " + name + " over axis (all by default), as MXNet's " + name +
             ".",
         [name = name, primitive = primitive](const std::vector<NDArray> &in,
                                              const Attrs &attrs,
                                              const NDArray &out) {
           const NDArray &x = in[0];
           if (x.dtype() == DType::Bool)
             throw Error(formatMessage(name, ": bool arrays are not supported; "
                                             "cast them first"));
           std::vector<int64_t> axes = reducedAxes(name, x, attrs);
           const bool keepdims = attrs.getBool("keepdims");
           if (primitive != "reduce_mean" || isFloatDType(x.dtype()))
             return atLeastRankOne(
                 dispatch::reduction(primitive, x, axes, keepdims, x.dtype()));
           // Integer mean, as MXNet: the sum divided by the count, truncated.
           int64_t count = 1;
           for (int64_t axis : axes)
             count *= x.shape()[axis];
           NDArray sum =
               dispatch::reduction("reduce_sum", x, axes, keepdims, x.dtype());
           NDArray result = dispatch::elementwise(
               name, "div",
               {sum, dispatch::scalar(static_cast<double>(count), x.dtype())},
               x.dtype());
           return atLeastRankOne(result);
         }},
        // MXNet's old names: sum_axis, max_axis, min_axis.
        name == "sum" || name == "max" || name == "min"
            ? std::vector<std::string>{name + "_axis"}
            : std::vector<std::string>{});

  registry.add(
      {"norm",
       {"data"},
       {{"ord", AttrSpec::Kind::Int, "2"},
        {"axis", AttrSpec::Kind::OptionalIntTuple, "None"},
        {"keepdims", AttrSpec::Kind::Bool, "False"}},
       "The L2 (ord=2) or L1 (ord=1) norm over axis (all axes by default).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         requireFloat("norm", in[0]);
         const int64_t ord = attrs.getInt("ord");
         if (ord != 1 && ord != 2)
           throw Error(formatMessage("norm: ord expected 1 or 2, got ", ord));
         AttrMap sumAttrs = {
             {"axis", attrs.isNone("axis")
                          ? "None"
                          : shapeAttr(*attrs.getOptionalIntTuple("axis"))},
             {"keepdims", attrs.getBool("keepdims") ? "True" : "False"}};
         // Composed of recorded ops, so autograd differentiates it.
         if (ord == 1)
           return call("sum", {call("abs", {in[0]})}, sumAttrs);
         return call("sqrt",
                     {call("sum", {call("square", {in[0]})}, sumAttrs)});
       }});
  for (const std::string name : {"argmax", "argmin"})
    registry.add(
        {name,
         {"data"},
         {{"axis", AttrSpec::Kind::OptionalInt, "None"},
          {"keepdims", AttrSpec::Kind::Bool, "False"}},
         "Indices of the " +
             std::string(name == "argmax" ? "largest" : "smallest") +
             " elements along axis (of the flattened array by default), "
             "in the input's dtype, as MXNet's.",
         [name](const std::vector<NDArray> &in, const Attrs &attrs,
                const NDArray &out) {
           NDArray x = in[0];
           if (x.dtype() == DType::Bool)
             throw Error(
                 formatMessage(name, ": bool arrays are not supported"));
           std::optional<int64_t> axis = attrs.getOptionalInt("axis");
           const bool keepdims = attrs.getBool("keepdims");
           const int64_t rank = static_cast<int64_t>(x.shape().size());
           if (!axis) {
             // Over the flattened array.
             x = dispatch::reshape(x, {x.size()});
             axis = 0;
           } else {
             axis = checkedAxis(name, *axis, rank);
           }
           if (x.shape()[*axis] == 0)
             throw Error(formatMessage(name, ": cannot reduce an empty axis"));
           NDArray indices = dispatch::reduction(
               name, x, {*axis}, keepdims && attrs.getOptionalInt("axis"),
               DType::Int64);
           // Indices in the input's dtype, as MXNet's (float32 for float32
           // input, int32 for int32, ...).
           return atLeastRankOne(dispatch::cast(indices, in[0].dtype()));
         }});
}

} // namespace ops
} // namespace kiln
