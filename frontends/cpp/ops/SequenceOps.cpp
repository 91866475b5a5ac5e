//===- SequenceOps.cpp - SequenceMask, SequenceLast, SequenceReverse ------===//
//
// MXNet's variable-length sequence ops on data laid out (T, B, ...) (axis
// 0) or (B, T, ...) (axis 1), with an optional per-batch sequence_length.
// Lengths are truncated to integers as MXNet converts them. Each op is a
// select or a take over data seen as T * B rows, so autograd differentiates
// them through those primitives (data only; lengths are constants).
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

namespace kiln {
namespace ops {
namespace {

using Kind = AttrSpec::Kind;

const std::vector<AttrSpec> kSequenceAttrs = {
    {"use_sequence_length", Kind::Bool, "False"}, {"axis", Kind::Int, "0"}};

/// The checked layout of a sequence op's call.
struct Sequences {
  int64_t axis;   // the time axis, 0 or 1
  int64_t steps;  // T
  int64_t batch;  // B
  NDArray length; // int64 (B,), none when every sequence is T long
};

Sequences sequences(const std::string &op, const std::vector<NDArray> &in,
                    const Attrs &attrs, bool axisOneAllowed) {
  const NDArray &data = in[0];
  const int64_t axis = attrs.getInt("axis");
  if (axis != 0 && !(axisOneAllowed && axis == 1))
    throw Error(formatMessage(op, ": axis expected ",
                              axisOneAllowed ? "0 or 1" : "0", ", got ", axis));
  if (data.shape().size() < 2)
    throw Error(formatMessage(op,
                              ": data must have rank 2 or more (time and "
                              "batch axes), got shape ",
                              shapeToString(data.shape())));
  Sequences result{axis, data.shape()[axis], data.shape()[1 - axis], NDArray()};
  if (!attrs.getBool("use_sequence_length")) {
    // MXNet counts the inputs by the flag: a length given without it is an
    // error there, not silently ignored.
    if (in.size() > 1)
      throw Error(formatMessage("expects 1 inputs, but got ", in.size(),
                                " instead (sequence_length is read only with "
                                "use_sequence_length=True)"));
    return result;
  }
  if (in.size() < 2)
    throw Error(formatMessage(op, ": use_sequence_length is True but no "
                                  "sequence_length was given"));
  const NDArray &length = in[1];
  if (length.shape() != Shape{result.batch})
    throw Error(formatMessage(op, ": sequence_length has shape ",
                              shapeToString(length.shape()), ", expected (",
                              result.batch, ",) (the batch size)"));
  // Read for its values only: MXNet's backward leaves sequence_length's
  // gradient as it was, so no autograd node (not even one that writes
  // zeros) may read it.
  const NDArray untracked = length.withAutogradEntry(nullptr);
  result.length = untracked.dtype() == DType::Int64
                      ? untracked
                      : dispatch::cast(untracked, DType::Int64);
  return result;
}

NDArray iotaOf(const std::string &op, const Shape &shape, int64_t dimension) {
  return dispatch::iota(op, shape, dimension, DType::Int64);
}

/// (T, B) or (B, T) grids of time steps and of lengths, in data's layout.
std::pair<NDArray, NDArray> timeAndLength(const std::string &op,
                                          const Sequences &s) {
  const Shape grid =
      s.axis == 0 ? Shape{s.steps, s.batch} : Shape{s.batch, s.steps};
  const Shape lengthShape = s.axis == 0 ? Shape{1, s.batch} : Shape{s.batch, 1};
  return {iotaOf(op, grid, s.axis), dispatch::reshape(s.length, lengthShape)};
}

NDArray int64Scalar(int64_t value) {
  return dispatch::scalar(static_cast<double>(value), DType::Int64);
}

NDArray binary(const std::string &op, const std::string &primitive,
               const NDArray &a, const NDArray &b, DType dtype) {
  return dispatch::elementwise(op, primitive, {a, b}, dtype);
}

/// data's rows (one per time step and batch entry, in data's order) picked
/// at `rows` (int64): a take, so the gradient scatters back.
NDArray takeRows(const NDArray &data, const NDArray &rows,
                 const Shape &resultShape) {
  const Shape &shape = data.shape();
  const int64_t lead = shape[0] * shape[1];
  const int64_t rest = lead == 0 ? 0 : data.size() / lead;
  NDArray table = dispatch::reshape(data, {lead, rest});
  NDArray picked =
      call("take", {table, dispatch::reshape(rows, {rows.size()})});
  return dispatch::reshape(picked, resultShape);
}

NDArray sequenceMask(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "SequenceMask";
  const Sequences s = sequences(op, in, attrs, true);
  const NDArray &data = in[0];
  if (s.length.isNone())
    return data;
  auto [time, length] = timeAndLength(op, s);
  Shape maskShape(data.shape().size(), 1);
  maskShape[0] = data.shape()[0];
  maskShape[1] = data.shape()[1];
  NDArray keep =
      dispatch::reshape(binary(op, "lt", time, length, DType::Bool), maskShape);
  return dispatch::elementwise(
      op, "select",
      {keep, data, dispatch::scalar(attrs.getFloat("value"), data.dtype())},
      data.dtype());
}

NDArray sequenceLast(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "SequenceLast";
  const Sequences s = sequences(op, in, attrs, true);
  const NDArray &data = in[0];
  Shape resultShape = data.shape();
  resultShape.erase(resultShape.begin() + s.axis);
  if (s.steps == 0)
    throw Error(formatMessage(op, ": data has no time steps (axis ", s.axis,
                              " of shape ", shapeToString(data.shape()), ")"));
  // Step length - 1 of each sequence, clipped into [0, T) (MXNet reads
  // outside the array for lengths of 0 or above T).
  NDArray last;
  if (s.length.isNone())
    last = dispatch::broadcastTo(int64Scalar(s.steps - 1), {s.batch});
  else
    last = call("clip",
                {binary(op, "sub", s.length, int64Scalar(1), DType::Int64)},
                {{"a_min", "0"}, {"a_max", std::to_string(s.steps - 1)}});
  NDArray batchIndex = iotaOf(op, {s.batch}, 0);
  // Row of (step, b): step * B + b on axis 0, b * T + step on axis 1.
  NDArray rows =
      s.axis == 0
          ? binary(op, "add",
                   binary(op, "mul", last, int64Scalar(s.batch), DType::Int64),
                   batchIndex, DType::Int64)
          : binary(op, "add",
                   binary(op, "mul", batchIndex, int64Scalar(s.steps),
                          DType::Int64),
                   last, DType::Int64);
  return takeRows(data, rows, resultShape);
}

NDArray sequenceReverse(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "SequenceReverse";
  const Sequences s = sequences(op, in, attrs, false);
  const NDArray &data = in[0];
  if (s.length.isNone())
    return call("reverse", {data}, {{"axis", "0"}});
  // Step t of a sequence of length L (clipped into [0, T]) comes from step
  // L - 1 - t when t < L, else stays.
  auto [time, length] = timeAndLength(op, s);
  length = call("clip", {length},
                {{"a_min", "0"}, {"a_max", std::to_string(s.steps)}});
  NDArray mirrored =
      binary(op, "sub", binary(op, "sub", length, int64Scalar(1), DType::Int64),
             time, DType::Int64);
  NDArray source = dispatch::elementwise(
      op, "select",
      {binary(op, "lt", time, length, DType::Bool), mirrored, time},
      DType::Int64);
  NDArray rows = binary(
      op, "add", binary(op, "mul", source, int64Scalar(s.batch), DType::Int64),
      iotaOf(op, {s.steps, s.batch}, 1), DType::Int64);
  return takeRows(data, rows, data.shape());
}

std::vector<AttrSpec> withValue(std::vector<AttrSpec> attrs) {
  attrs.insert(attrs.begin() + 1, {"value", Kind::Float, "0"});
  return attrs;
}

} // namespace

void registerSequenceOps(OpRegistry &registry) {
  registry.add(
      {"SequenceMask",
       {"data", "sequence_length?"},
       withValue(kSequenceAttrs),
       "MXNet's SequenceMask: data (T, B, ...) (axis=0) or (B, T, ...) "
       "(axis=1) with every step t >= sequence_length[b] of sequence b set "
       "to `value` (converted to data's dtype). Without use_sequence_length "
       "(default) the result equals data and sequence_length is ignored. "
       "Lengths (any dtype, shape (B,)) are truncated to integers.\n\n"
       "Gradient: the output gradient where kept, 0 where masked. Errors: "
       "data of rank < 2, axis not 0 or 1, use_sequence_length without "
       "sequence_length or with one not of shape (B,).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return sequenceMask(in, attrs);
       }});
  registry.add(
      {"SequenceLast",
       {"data", "sequence_length?"},
       kSequenceAttrs,
       "MXNet's SequenceLast: the last step of each sequence of data (T, B, "
       "...) (axis=0) or (B, T, ...) (axis=1), shape (B, ...): step T - 1, "
       "or sequence_length[b] - 1 with use_sequence_length. Lengths are "
       "truncated to integers and clipped into [1, T] (MXNet reads out of "
       "bounds there).\n\nGradient: scattered back to the steps taken. "
       "Errors: as SequenceMask, and data with no time steps.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return sequenceLast(in, attrs);
       }});
  registry.add(
      {"SequenceReverse",
       {"data", "sequence_length?"},
       kSequenceAttrs,
       "MXNet's SequenceReverse: data (T, B, ...) with the first "
       "sequence_length[b] steps of each sequence b reversed (all T steps "
       "without use_sequence_length); later steps stay. Only axis=0, as "
       "MXNet. Lengths are truncated to integers and clipped into [0, T].\n\n"
       "Gradient: the output gradient reversed the same way. Errors: as "
       "SequenceMask, and axis other than 0.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return sequenceReverse(in, attrs);
       }});
}

} // namespace ops
} // namespace kiln
