//===- BroadcastOps.cpp - broadcasting, tiling, padding -------------------===//
//
// broadcast_to and broadcast_like run the broadcast_to primitive; tile,
// repeat, pad, reshape_like and the *_like creators are composites of other
// ops, so autograd differentiates them through their parts.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

namespace kiln {
namespace ops {
namespace {

/// A new array of `target`'s shape: a copy when there is nothing to
/// broadcast, as MXNet's broadcast ops never alias their input.
NDArray broadcastCopy(const NDArray &x, const Shape &target) {
  return x.shape() == target ? dispatch::cast(x, x.dtype())
                             : dispatch::broadcastTo(x, target);
}

/// `result`, computed from in[0], as an op that reads in[1] for its shape
/// only (reshape_like, broadcast_like): backward gives in[1] MXNet's zero
/// gradient. A result that is in[0] itself becomes a view of it first, as
/// invokeOp would make it, so that in[0]'s own place is not touched.
NDArray withShapeRead(const char *op, NDArray result,
                      const std::vector<NDArray> &in) {
  if (&result.tensor() == &in[0].tensor())
    result = result.view(result.tensor());
  autograd::recordShapeReads(op, result, {in[1]});
  return result;
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
    return dispatch::broadcastTo(piece(at, at + 1), shape);
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

void registerBroadcastOps(OpRegistry &registry) {
  registry.add(
      {"broadcast_to",
       {"data"},
       {{"shape", AttrSpec::Kind::IntTuple, std::nullopt}},
       "data broadcast to shape (0 keeps an extent).",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const Shape target = broadcastTarget("broadcast_to", in[0].shape(),
                                              attrs.getIntTuple("shape"));
         return broadcastCopy(in[0], target);
       }});
  registry.add(
      {"broadcast_axis",
       {"data"},
       {{"axis", AttrSpec::Kind::IntTuple, "()"},
        {"size", AttrSpec::Kind::IntTuple, "()"}},
       "data with each axis in `axis` (extent 1) broadcast to the matching "
       "extent in `size`, as MXNet 1.9.1's broadcast_axis (also "
       "broadcast_axes).\n\naxis, size: tuples of one length (default (), "
       "a copy); axes may be negative. Errors: lengths that differ, an axis "
       "out of range, or one whose extent is not 1.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const NDArray &x = in[0];
         const std::vector<int64_t> axes = attrs.getIntTuple("axis");
         const std::vector<int64_t> sizes = attrs.getIntTuple("size");
         if (axes.size() != sizes.size())
           throw Error(formatMessage(
               "broadcast_axis: axis and size expected the same length, got ",
               shapeToString(axes), " and ", shapeToString(sizes)));
         Shape target = x.shape();
         for (size_t i = 0; i < axes.size(); ++i) {
           const int64_t axis =
               checkedAxis("broadcast_axis", axes[i], target.size());
           if (x.shape()[axis] != 1)
             throw Error(formatMessage("broadcast_axis: axis ", axes[i],
                                       " expected extent 1, got ",
                                       x.shape()[axis]));
           if (sizes[i] < 0)
             throw Error(formatMessage(
                 "broadcast_axis: size expected non-negative extents, got ",
                 shapeToString(sizes)));
           target[axis] = sizes[i];
         }
         return broadcastCopy(x, target);
       }},
      {"broadcast_axes"});
  registry.add(
      {"broadcast_like",
       {"lhs", "rhs"},
       {},
       "lhs broadcast to rhs's shape.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &) {
         return withShapeRead(
             "broadcast_like",
             broadcastCopy(in[0],
                           broadcastTarget("broadcast_like", in[0].shape(),
                                           in[1].shape())),
             in);
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
         return withShapeRead("reshape_like",
                              dispatch::reshape(in[0], in[1].shape()), in);
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
         const std::string mode =
             attrs.getChoice("mode", {"constant", "edge", "reflect"});
         if (mode == "constant")
           return padConstant(data, widths, attrs.getFloat("constant_value"));
         NDArray result = data;
         for (size_t d = 0; d < rank; ++d)
           result = padAxis(result, d, widths[2 * d], widths[2 * d + 1],
                            mode == "reflect");
         return result;
       }},
      {"Pad"}); // MXNet's legacy name.
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
           result.push_back(checkedExtentProduct("tile", reps[d], shape[d]));
         }
         return dispatch::reshape(
             dispatch::broadcastTo(dispatch::reshape(in[0], interleaved),
                                   broadcast),
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
           data = dispatch::reshape(data, {data.size()});
         Shape expanded = data.shape(), broadcast = data.shape(),
               result = data.shape();
         expanded.insert(expanded.begin() + axis + 1, 1);
         broadcast.insert(broadcast.begin() + axis + 1, repeats);
         result[axis] = checkedExtentProduct("repeat", result[axis], repeats);
         return dispatch::reshape(
             dispatch::broadcastTo(dispatch::reshape(data, expanded),
                                   broadcast),
             result);
       }});
}

} // namespace ops
} // namespace kiln
