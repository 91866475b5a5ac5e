//===- ContribOps.cpp - MXNet's dense _contrib_ operators -----------------===//
//
// _contrib_boolean_mask, _contrib_index_copy, _contrib_index_array,
// _contrib_arange_like, _contrib_div_sqrt_dim, _contrib_allclose and the
// straight-through ops _contrib_round_ste, _contrib_sign_ste and
// _contrib_gradientmultiplier (mx.nd.contrib.<name> in Python). The
// straight-through ops carry their own gradient rules (OpSpec::gradient):
// their forward primitives (round, sign, a copy) have none or another one.
//
// boolean_mask is the one op whose result's shape depends on an input's
// values: it waits for `index` to be computed (as MXNet's does), then
// queues a take of the selected positions like any other op.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <cmath>

namespace kiln {
namespace ops {
namespace {

using Kind = AttrSpec::Kind;

NDArray binary(const std::string &op, const std::string &primitive,
               const NDArray &a, const NDArray &b, DType dtype) {
  return dispatch::elementwise(op, primitive, {a, b}, dtype);
}

NDArray booleanMask(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "_contrib_boolean_mask";
  const NDArray &data = in[0], &index = in[1];
  const int64_t rank = data.shape().size();
  if (rank == 0)
    throw Error(formatMessage(op, ": data must have rank 1 or more, got a "
                                  "scalar"));
  const int64_t axis = checkedAxis(op, attrs.getInt("axis"), rank);
  if (index.shape() != Shape{data.shape()[axis]})
    throw Error(formatMessage(
        op, ": index has shape ", shapeToString(index.shape()), ", expected (",
        data.shape()[axis], ",) (data's axis ", axis, ")"));
  // The result's extent is the number of nonzero entries (NaN counts), so
  // this waits for index's pending writes.
  NDArray nonzero = dispatch::cast(
      binary(op, "ne", index, dispatch::scalar(0, index.dtype()), DType::Bool),
      DType::Int32);
  std::vector<int32_t> flags(nonzero.size());
  nonzero.copyTo(flags.data());
  std::vector<int64_t> positions;
  for (size_t i = 0; i < flags.size(); ++i)
    if (flags[i])
      positions.push_back(static_cast<int64_t>(i));
  if (positions.empty()) {
    Shape shape = data.shape();
    shape[axis] = 0;
    return zerosOf(shape, data.dtype());
  }
  NDArray selected = NDArray::fromData(
      positions.data(), {static_cast<int64_t>(positions.size())}, DType::Int64);
  return call("take", {data, selected}, {{"axis", std::to_string(axis)}});
}

NDArray indexCopy(const std::vector<NDArray> &in) {
  const std::string op = "_contrib_index_copy";
  const NDArray &old = in[0], &index = in[1], &fresh = in[2];
  if (old.shape().empty())
    throw Error(formatMessage(op, ": old_tensor must have rank 1 or more, "
                                  "got a scalar"));
  if (index.shape().size() != 1)
    throw Error(formatMessage(op,
                              ": index_vector must have rank 1, got "
                              "shape ",
                              shapeToString(index.shape())));
  Shape rowsOf = old.shape();
  rowsOf[0] = index.shape()[0];
  if (fresh.shape() != rowsOf)
    throw Error(formatMessage(op, ": new_tensor has shape ",
                              shapeToString(fresh.shape()), ", expected ",
                              shapeToString(rowsOf),
                              " (one row of old_tensor per index)"));
  if (fresh.dtype() != old.dtype())
    throw Error(formatMessage(op, ": new_tensor has dtype ",
                              dtypeName(fresh.dtype()), ", expected ",
                              dtypeName(old.dtype()), " (old_tensor's dtype)"));
  const int64_t rows = old.shape()[0], count = index.shape()[0];
  if (count == 0 || rows == 0)
    return dispatch::cast(old, old.dtype());
  // For each row j of old, the last i with index[i] == j (MXNet's last
  // write wins), found as max over i of (i + 1) where they match; indices
  // outside [0, rows) match nothing.
  NDArray indices = index.dtype() == DType::Int64
                        ? index
                        : dispatch::cast(index, DType::Int64);
  NDArray match =
      binary(op, "eq", dispatch::iota(op, {rows, count}, 0, DType::Int64),
             dispatch::reshape(indices, {1, count}), DType::Bool);
  NDArray numbered = dispatch::elementwise(
      op, "select",
      {match,
       binary(op, "add", dispatch::iota(op, {rows, count}, 1, DType::Int64),
              dispatch::scalar(1, DType::Int64), DType::Int64),
       dispatch::scalar(0, DType::Int64)},
      DType::Int64);
  NDArray source =
      dispatch::reduction("reduce_max", numbered, {1}, false, DType::Int64);
  Shape column(old.shape().size(), 1);
  column[0] = rows;
  NDArray copied = dispatch::reshape(
      binary(op, "gt", source, dispatch::scalar(0, DType::Int64), DType::Bool),
      column);
  NDArray from = call("clip",
                      {binary(op, "sub", source,
                              dispatch::scalar(1, DType::Int64), DType::Int64)},
                      {{"a_min", "0"}, {"a_max", std::to_string(count - 1)}});
  NDArray gathered = call("take", {fresh, from});
  return dispatch::elementwise(op, "select", {copied, gathered, old},
                               old.dtype());
}

NDArray indexArray(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "_contrib_index_array";
  const Shape &shape = in[0].shape();
  const int64_t rank = shape.size();
  std::vector<int64_t> axes;
  if (auto given = attrs.getOptionalIntTuple("axes")) {
    for (int64_t axis : *given)
      axes.push_back(checkedAxis(op, axis, rank));
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  Shape result = shape;
  result.push_back(static_cast<int64_t>(axes.size()));
  if (axes.empty())
    return zerosOf(result, DType::Int64);
  // Column j is the coordinate along axes[j]: an iota along that axis.
  Shape expanded = shape;
  expanded.push_back(1);
  std::vector<NDArray> columns;
  for (int64_t axis : axes)
    columns.push_back(dispatch::iota(op, expanded, axis, DType::Int64));
  if (columns.size() == 1)
    return columns[0];
  return call("Concat", columns, {{"dim", std::to_string(rank)}});
}

NDArray arangeLike(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "_contrib_arange_like";
  const NDArray &data = in[0];
  const DType dtype = data.dtype();
  Shape shape = data.shape();
  if (auto axis = attrs.getOptionalInt("axis"))
    shape = {data.shape()[checkedAxis(op, *axis, shape.size())]};
  const int64_t repeat = attrs.getInt("repeat");
  if (repeat < 1)
    throw Error(formatMessage(op, ": repeat expected a positive integer, got ",
                              repeat));
  double start = attrs.getFloat("start"), step = attrs.getFloat("step");
  if (!isFloatDType(dtype)) {
    // MXNet converts start and step to an integer dtype first.
    start = std::trunc(start);
    step = std::trunc(step);
  }
  // start + step * floor(i / repeat) over the flat positions, in float64.
  int64_t count = 1;
  for (int64_t extent : shape)
    count *= extent;
  NDArray i = dispatch::iota(op, {count}, 0, DType::Float64);
  NDArray group =
      repeat == 1
          ? i
          : call("floor",
                 {binary(op, "div", i, dispatch::scalar(repeat, DType::Float64),
                         DType::Float64)});
  NDArray values =
      binary(op, "add",
             binary(op, "mul", group, dispatch::scalar(step, DType::Float64),
                    DType::Float64),
             dispatch::scalar(start, DType::Float64), DType::Float64);
  return dispatch::reshape(dispatch::cast(values, dtype), shape);
}

NDArray allclose(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "_contrib_allclose";
  const NDArray &a = in[0], &b = in[1];
  if (a.shape() != b.shape())
    throw Error(formatMessage(op, ": a has shape ", shapeToString(a.shape()),
                              " and b ", shapeToString(b.shape()),
                              "; expected the same shape"));
  if (a.dtype() != b.dtype())
    throw Error(formatMessage(op, ": a has dtype ", dtypeName(a.dtype()),
                              " and b ", dtypeName(b.dtype()),
                              "; expected the same dtype"));
  // |a - b| <= atol + rtol * |b| in the inputs' float dtype (float64 for
  // integers), tolerances as MXNet's float parameters hold them.
  const DType dtype = isFloatDType(a.dtype()) ? a.dtype() : DType::Float64;
  const NDArray x = a.dtype() == dtype ? a : dispatch::cast(a, dtype);
  const NDArray y = b.dtype() == dtype ? b : dispatch::cast(b, dtype);
  const double rtol = static_cast<float>(attrs.getFloat("rtol"));
  const double atol = static_cast<float>(attrs.getFloat("atol"));
  NDArray distance = call("abs", {binary(op, "sub", x, y, dtype)});
  NDArray bound = binary(
      op, "add", dispatch::scalar(atol, dtype),
      binary(op, "mul", dispatch::scalar(rtol, dtype), call("abs", {y}), dtype),
      dtype);
  NDArray close = binary(op, "le", distance, bound, DType::Bool);
  if (attrs.getBool("equal_nan")) {
    auto isNan = [&](const NDArray &v) {
      return binary(op, "ne", v, v, DType::Bool);
    };
    close = binary(op, "logical_or", close,
                   binary(op, "logical_and", isNan(x), isNan(y), DType::Bool),
                   DType::Bool);
  }
  // All close: no element fails (true for empty arrays).
  NDArray failing = dispatch::cast(call("logical_not", {close}), DType::Int64);
  std::vector<int64_t> all;
  for (int64_t d = 0; d < static_cast<int64_t>(a.shape().size()); ++d)
    all.push_back(d);
  NDArray failures = all.empty()
                         ? failing
                         : dispatch::reduction("reduce_sum", failing, all,
                                               false, DType::Int64);
  return dispatch::cast(binary(op, "eq", failures,
                               dispatch::scalar(0, DType::Int64), DType::Bool),
                        DType::UInt8);
}

/// The straight-through rule: the output gradient passes unchanged.
std::vector<NDArray> straightThrough(const GradientArgs &args) {
  return {args.outputGrad};
}

} // namespace

void registerContribOps(OpRegistry &registry) {
  registry.add(
      {"_contrib_boolean_mask",
       {"data", "index"},
       {{"axis", Kind::Int, "0"}},
       "MXNet's contrib.boolean_mask: the slices of data along axis whose "
       "entry in index (rank 1, data.shape[axis] long, any dtype) is "
       "nonzero (NaN counts as nonzero), in order.\n\nThe result's shape "
       "depends on index's values, so the call waits until index is "
       "computed. Any axis (MXNet 1.9.1 allows only 0). Gradient: the "
       "output gradient scattered back to the kept slices, 0 elsewhere. "
       "Errors: a scalar data, an axis out of range, index not of shape "
       "(data.shape[axis],).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return booleanMask(in, attrs);
       }});
  registry.add(
      {"_contrib_index_copy",
       {"old_tensor", "index_vector", "new_tensor"},
       {},
       "MXNet's contrib.index_copy: a copy of old_tensor with row "
       "index_vector[i] replaced by new_tensor's row i. Indices (any dtype, "
       "truncated) outside [0, rows) are ignored; of repeated indices the "
       "last wins, as MXNet.\n\nGradient: old_tensor's is the output "
       "gradient with the replaced rows zero, new_tensor's the output "
       "gradient's rows at the indices. Errors: index_vector not of rank 1, "
       "new_tensor not (len(index_vector),) + old_tensor.shape[1:], dtypes "
       "that differ.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         return indexCopy(in);
       }});
  registry.add(
      {"_contrib_index_array",
       {"data"},
       {{"axes", Kind::OptionalIntTuple, "None"}},
       "MXNet's contrib.index_array: an int64 array of shape data.shape + "
       "(m,) whose [i_1, ..., i_n, j] element is i_axes[j] (axes default to "
       "all of data's, in order; negative counts from the end).\n\nErrors: "
       "an axis out of range.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return indexArray(in, attrs);
       }});
  registry.add(
      {"_contrib_arange_like",
       {"data"},
       {{"start", Kind::Float, "0"},
        {"step", Kind::Float, "1"},
        {"repeat", Kind::Int, "1"},
        {"ctx", Kind::String, ""},
        {"axis", Kind::OptionalInt, "None"}},
       "MXNet's contrib.arange_like: start + step * floor(i / repeat) over "
       "data's shape (row-major i), or over data.shape[axis] as a rank-1 "
       "array when axis is given; in data's dtype (integer dtypes truncate "
       "start and step first, as MXNet). ctx is accepted and ignored (the "
       "result is on data's device).\n\nErrors: repeat < 1, an axis out of "
       "range.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return arangeLike(in, attrs);
       }});
  registry.add(
      {"_contrib_div_sqrt_dim",
       {"data"},
       {},
       "MXNet's contrib.div_sqrt_dim: data / sqrt(data.shape[-1]), in "
       "data's dtype (integers truncate).\n\nGradient: the output gradient "
       "/ sqrt(data.shape[-1]). Errors: a scalar data.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         const NDArray &data = in[0];
         if (data.shape().empty())
           throw Error("_contrib_div_sqrt_dim: data must have rank 1 or more, "
                       "got a scalar");
         const double root =
             std::sqrt(static_cast<double>(data.shape().back()));
         if (isFloatDType(data.dtype()))
           return callScalar("_div_scalar", data, root);
         return dispatch::cast(callScalar("_div_scalar",
                                          dispatch::cast(data, DType::Float64),
                                          root),
                               data.dtype());
       }});
  registry.add(
      {"_contrib_allclose",
       {"a", "b"},
       {{"rtol", Kind::Float, "1e-05"},
        {"atol", Kind::Float, "1e-08"},
        {"equal_nan", Kind::Bool, "True"}},
       "MXNet's contrib.allclose: whether |a - b| <= atol + rtol * |b| for "
       "every element (numpy.allclose, but equal_nan defaults to True), as "
       "a rank-0 uint8 array (1 or 0); tolerances are float32, as MXNet's. "
       "Empty arrays are all close.\n\nErrors: shapes or dtypes that differ "
       "(no broadcasting).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return allclose(in, attrs);
       }});
  for (const std::string base : {"round", "sign"}) {
    OpSpec spec{"_contrib_" + base + "_ste",
                {"data"},
                {},
                "MXNet's contrib." + base +
                    "_ste, a straight-through estimator: forward " + base +
                    "(data), backward the output gradient unchanged (d/dx = 1 "
                    "instead of 0), for quantized training.",
                [base](const std::vector<NDArray> &in, const Attrs &,
                       const NDArray &) { return call(base, {in[0]}); }};
    spec.gradient = straightThrough;
    registry.add(std::move(spec));
  }
  OpSpec multiplier{
      "_contrib_gradientmultiplier",
      {"data"},
      {{"scalar", Kind::Float, "1"}, {"is_int", Kind::Bool, "True"}},
      "MXNet's contrib.gradientmultiplier: forward a copy of data, backward "
      "the output gradient times `scalar` (a gradient reversal layer with "
      "a negative scalar). is_int is accepted; the scalar is used as given "
      "either way, as MXNet.",
      [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
        return dispatch::cast(in[0], in[0].dtype());
      }};
  multiplier.gradient = [](const GradientArgs &args) -> std::vector<NDArray> {
    return {callScalar("_mul_scalar", args.outputGrad,
                       args.attrs.getFloat("scalar"))};
  };
  registry.add(std::move(multiplier));
}

} // namespace ops
} // namespace kiln
