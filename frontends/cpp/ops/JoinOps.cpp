//===- JoinOps.cpp - concat, _rnn_param_concat, stack, one_hot ------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>

namespace kiln {
namespace ops {
namespace {

NDArray concat(const std::string &op, const std::vector<NDArray> &inputs,
               int64_t axis) {
  const NDArray &first = inputs.front();
  const int64_t rank = first.shape().size();
  if (rank == 0)
    throw Error(formatMessage(op, ": arrays must have rank 1 or more"));
  if (axis < -rank || axis >= rank)
    throw Error(formatMessage(op, ": dim ", axis,
                              " is out of range for arrays of rank ", rank));
  if (axis < 0)
    axis += rank;
  Shape shape = first.shape();
  shape[axis] = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const NDArray &input = inputs[i];
    if (input.dtype() != first.dtype())
      throw Error(formatMessage(op, ": array ", i, " has dtype ",
                                dtypeName(input.dtype()), ", expected ",
                                dtypeName(first.dtype())));
    bool fits = static_cast<int64_t>(input.shape().size()) == rank;
    for (int64_t d = 0; fits && d < rank; ++d)
      fits = d == axis || input.shape()[d] == first.shape()[d];
    if (!fits)
      throw Error(
          formatMessage(op, ": array ", i, " has shape ",
                        shapeToString(input.shape()), ", which does not match ",
                        shapeToString(first.shape()), " off dimension ", axis));
    shape[axis] += input.shape()[axis];
  }
  // A kernel's signature fixes its input count, and its compile time grows
  // with it: joins of many arrays (Module.predict's batches, unrolled
  // graphs) are a tree of joins of at most kMaxJoined, so at most
  // kMaxJoined - 1 kernels ever compile per dtype and rank.
  constexpr size_t kMaxJoined = 8;
  if (inputs.size() > kMaxJoined) {
    std::vector<NDArray> parts;
    for (size_t begin = 0; begin < inputs.size(); begin += kMaxJoined) {
      const size_t end = std::min(inputs.size(), begin + kMaxJoined);
      std::vector<NDArray> group(inputs.begin() + begin, inputs.begin() + end);
      parts.push_back(group.size() == 1 ? group.front()
                                        : concat(op, group, axis));
    }
    return concat(op, parts, axis);
  }
  compiler::KernelSignature signature{"concat", {}, {}};
  signature.attributes["axis"] = {axis};
  return dispatch::generate(op, signature, inputs, shape, first.dtype());
}

} // namespace

void registerJoinOps(OpRegistry &registry) {
  registry.add({"Concat",
                {"*data"},
                {{"dim", AttrSpec::Kind::Int, "1"}},
                "The arrays joined along dim.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  return concat("concat", in, attrs.getInt("dim"));
                }},
               {"concat"});
  // A registered op of its own, not an alias: MXNet's graphs (gluon.rnn's
  // exports) record this name. Its FInferShape also fills one unknown input
  // from the output, which kiln's symbolic inference does not do.
  registry.add(
      {"_rnn_param_concat",
       {"*data"},
       {{"dim", AttrSpec::Kind::Int, "1"}},
       "The arrays joined along dim, as Concat: MXNet 1.9.1's "
       "variant that gluon.rnn's fused layers use to pack their "
       "parameters (in exported graphs). num_args arrays of one "
       "dtype and rank, equal off dim. Errors: as Concat's.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return concat("_rnn_param_concat", in, attrs.getInt("dim"));
       }});
  registry.add(
      {"stack",
       {"*data"},
       {{"axis", AttrSpec::Kind::Int, "0"}},
       "The arrays, all of one shape, joined along a new axis.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         const int64_t rank = in.front().shape().size();
         int64_t axis = attrs.getInt("axis");
         if (axis < -(rank + 1) || axis > rank)
           throw Error(formatMessage("stack: axis ", axis,
                                     " is out of range for arrays of rank ",
                                     rank));
         if (axis < 0)
           axis += rank + 1;
         std::vector<NDArray> expanded;
         for (size_t i = 0; i < in.size(); ++i) {
           if (in[i].shape() != in.front().shape())
             throw Error(formatMessage("stack: array ", i, " has shape ",
                                       shapeToString(in[i].shape()),
                                       ", expected ",
                                       shapeToString(in.front().shape())));
           Shape shape = in[i].shape(), strides = in[i].tensor().strides();
           shape.insert(shape.begin() + axis, 1);
           strides.insert(strides.begin() + axis, 1);
           expanded.push_back(in[i].view(in[i].tensor().strided(
               shape, strides, in[i].tensor().offset())));
         }
         return concat("stack", expanded, axis);
       }});
  registry.add(
      {"one_hot",
       {"indices"},
       {{"depth", AttrSpec::Kind::Int, std::nullopt},
        {"on_value", AttrSpec::Kind::Float, "1"},
        {"off_value", AttrSpec::Kind::Float, "0"},
        {"dtype", AttrSpec::Kind::DType, "float32"}},
       "indices (truncated to integers) as one-hot rows of length depth; "
       "out-of-range indices give all off_value.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         const int64_t depth = attrs.getInt("depth");
         if (depth < 0)
           throw Error(formatMessage(
               "one_hot: depth must not be negative, got ", depth));
         const DType dtype = attrs.getDType("dtype");
         if (depth == 0) {
           // As MXNet: rows of length 0.
           Shape shape = in[0].shape();
           shape.push_back(0);
           return zerosOf(shape, dtype);
         }
         NDArray indices = dispatch::cast(in[0], DType::Int64);
         Shape column = indices.shape();
         column.push_back(1);
         NDArray columnView = indices.view(indices.tensor().reshaped(column));
         NDArray positions =
             dispatch::iota("one_hot", {depth}, 0, DType::Int64);
         NDArray hot = dispatch::elementwise(
             "one_hot", "eq", {columnView, positions}, DType::Bool);
         return dispatch::elementwise(
             "one_hot", "select",
             {hot, dispatch::scalar(attrs.getFloat("on_value"), dtype),
              dispatch::scalar(attrs.getFloat("off_value"), dtype)},
             dtype, out);
       }});
}

} // namespace ops
} // namespace kiln
