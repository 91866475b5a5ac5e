//===- SortOps.cpp - sort, argsort, topk, shuffle -------------------------===//
//
// Sorting runs the runtime's CPU sort kernel (runtime/cpu/Sort.h) over the
// rows of a contiguous copy with the sorted axis last. The results are
// constant to autograd.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"
#include "runtime/cpu/Sort.h"

namespace kiln {
namespace ops {
namespace {

struct Sorted {
  NDArray values;
  NDArray indices; // int64
};

/// The first k of each line along `axis` of `data` in sorted order.
Sorted sortAlong(const std::string &op, const NDArray &data, int64_t axis,
                 int64_t k, bool ascending, bool wantValues, bool wantIndices) {
  // The sorted axis last, in a contiguous copy; float16 and bfloat16 as
  // float32, which holds their values exactly (the row sort has no
  // half-precision comparisons).
  const bool half =
      data.dtype() == DType::Float16 || data.dtype() == DType::BFloat16;
  NDArray input = dispatch::cast(moveAxisToLast(data, axis),
                                 half ? DType::Float32 : data.dtype());
  Shape outShape = input.shape();
  outShape.back() = k;
  Sorted result;
  std::vector<VarPtr> writes;
  if (wantValues) {
    result.values = NDArray::empty(outShape, input.dtype());
    writes.push_back(result.values.var());
  }
  if (wantIndices) {
    result.indices = NDArray::empty(outShape, DType::Int64);
    writes.push_back(result.indices.var());
  }
  Tensor in = input.tensor();
  Tensor values = wantValues ? result.values.tensor() : Tensor();
  Tensor indices = wantIndices ? result.indices.tensor() : Tensor();
  Engine::global().push(
      [in, values, indices, k, ascending] {
        sortRows(in, k, ascending, values, indices);
      },
      data.device(), {input.var()}, writes, 0, op);
  if (wantValues && half)
    result.values = dispatch::cast(result.values, data.dtype());
  // Back to the original axis order, as views.
  if (wantValues)
    result.values = moveLastAxisTo(result.values, axis);
  if (wantIndices)
    result.indices = moveLastAxisTo(result.indices, axis);
  return result;
}

/// `data` and the axis to sort: None flattens.
std::pair<NDArray, int64_t> axisOf(const std::string &op, const NDArray &data,
                                   std::optional<int64_t> axis) {
  if (!axis)
    return {dispatch::reshape(data, {data.size()}), 0};
  return {data, checkedAxis(op, *axis, data.shape().size())};
}

/// The first k sorted values along `axis`. While recording for autograd they
/// are gathered (take) by the sorted positions, so the gradient flows back
/// to where each value came from; otherwise the sort kernel writes them.
NDArray sortedValues(const std::string &op, const NDArray &data, int64_t axis,
                     int64_t k, bool ascending) {
  if (!(autograd::isRecording() && autograd::anyTakesGradient({data})))
    return sortAlong(op, data, axis, k, ascending, true, false).values;
  const int64_t rank = data.shape().size();
  NDArray moved = moveAxisToLast(data, axis);
  const int64_t n = data.shape()[axis];
  const int64_t rows = n ? data.size() / n : 0;
  NDArray positions =
      sortAlong(op, moved, rank - 1, k, ascending, false, true).indices;
  // Row r's positions offset by r * n index the flattened rows.
  NDArray starts = callScalar(
      "_mul_scalar",
      call(
          "_arange", {},
          {{"start", "0"}, {"stop", std::to_string(rows)}, {"dtype", "int64"}}),
      static_cast<double>(n));
  NDArray linear =
      call("broadcast_add", {dispatch::reshape(positions, {rows, k}),
                             dispatch::reshape(starts, {rows, 1})});
  NDArray values = call("take", {dispatch::reshape(moved, {rows * n}), linear});
  Shape movedShape = moved.shape();
  movedShape.back() = k;
  return moveLastAxisTo(dispatch::reshape(values, movedShape), axis);
}

} // namespace

void registerSortOps(OpRegistry &registry) {
  registry.add(
      {"sort",
       {"data"},
       {{"axis", AttrSpec::Kind::OptionalInt, "-1"},
        {"is_ascend", AttrSpec::Kind::Bool, "True"}},
       "The values sorted along axis (flattened when None).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         auto [data, axis] =
             axisOf("sort", in[0], attrs.getOptionalInt("axis"));
         return sortedValues("sort", data, axis, data.shape()[axis],
                             attrs.getBool("is_ascend"));
       }});
  registry.add(
      {"argsort",
       {"data"},
       {{"axis", AttrSpec::Kind::OptionalInt, "-1"},
        {"is_ascend", AttrSpec::Kind::Bool, "True"},
        {"dtype", AttrSpec::Kind::DType, "float32"}},
       "The positions that sort data along axis (flattened when None).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         auto [data, axis] =
             axisOf("argsort", in[0], attrs.getOptionalInt("axis"));
         NDArray indices = sortAlong("argsort", data, axis, data.shape()[axis],
                                     attrs.getBool("is_ascend"), false, true)
                               .indices;
         return dispatch::cast(indices, attrs.getDType("dtype"));
       }});
  OpSpec topk{
      "topk",
      {"data"},
      {{"axis", AttrSpec::Kind::OptionalInt, "-1"},
       {"k", AttrSpec::Kind::Int, "1"},
       {"ret_typ", AttrSpec::Kind::String, "indices"},
       {"is_ascend", AttrSpec::Kind::Bool, "False"},
       {"dtype", AttrSpec::Kind::DType, "float32"}},
      "The k largest (smallest with is_ascend) along axis: their 'value's, "
      "'indices', or a 'mask' of data's shape.",
      [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
        auto [data, axis] = axisOf("topk", in[0], attrs.getOptionalInt("axis"));
        const int64_t extent = data.shape()[axis];
        int64_t k = attrs.getInt("k");
        if (k <= 0)
          k = extent; // MXNet: k < 1 means all.
        if (k > extent)
          throw Error(formatMessage("topk: k (", k,
                                    ") exceeds the axis's extent ", extent));
        // Not getChoice: the message names 'both' too, which mx.nd.topk
        // serves by calling this op twice.
        const std::string kind = attrs.getString("ret_typ");
        if (kind != "value" && kind != "indices" && kind != "mask")
          throw Error(formatMessage("topk: ret_typ expected 'value', "
                                    "'indices', 'mask' or 'both', got '",
                                    kind, "'"));
        if (kind == "value")
          return sortedValues("topk", data, axis, k,
                              attrs.getBool("is_ascend"));
        Sorted top = sortAlong("topk", data, axis, k,
                               attrs.getBool("is_ascend"), false, true);
        if (kind == "indices")
          return dispatch::cast(top.indices, attrs.getDType("dtype"));
        // mask: one-hot rows of the chosen positions, summed over the k.
        NDArray hot = call("one_hot", {top.indices},
                           {{"depth", std::to_string(extent)},
                            {"dtype", dtypeName(in[0].dtype())}});
        NDArray mask = call("sum", {hot}, {{"axis", std::to_string(axis)}});
        // one_hot put the positions last; move them back to `axis`.
        return dispatch::reshape(moveLastAxisTo(mask, axis), in[0].shape());
      }};
  // ret_typ='both': [values, indices], MXNet's two outputs (mx.sym.topk's
  // graph nodes, an Executor's node), each the op's own call.
  topk.splitCalls = [](const Attrs &attrs, const AttrMap &given) {
    if (attrs.getString("ret_typ") != "both")
      return std::vector<AttrMap>{};
    std::vector<AttrMap> calls(2, given);
    calls[0]["ret_typ"] = "value";
    calls[0].erase("dtype"); // The values keep data's dtype.
    calls[1]["ret_typ"] = "indices";
    return calls;
  };
  registry.add(std::move(topk));
}

} // namespace ops
} // namespace kiln
