//===- NeuralOps.cpp - softmax, log_softmax, clip, where, take ------------===//
//
// softmax and log_softmax are built as whole kiln functions (graph kernels):
// the compiler fuses the subtraction, exponential and sum into one pass over
// the data after the max. softmax's length (use_length) masks each row
// inside the same kernel; dtype converts the result there too.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "compiler/GraphBuilder.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <cmath>

namespace kiln {
namespace ops {
namespace {

/// The kiln function of softmax (or log_softmax) along `axis`, its result
/// converted to `outType`. `masked` (softmax's use_length) adds two inputs,
/// the positions along the axis (i64, extent 1 off the axis) and each row's
/// length (i64, extent 1 on the axis): positions at or past the length are
/// left out and give 0.
std::string softmaxSource(const std::string &op, int64_t rank, int64_t axis,
                          DType dtype, double temperature, bool logarithm,
                          bool masked, DType outType) {
  using compiler::Binary;
  using compiler::Reduction;
  compiler::Graph g("softmax", op);
  const uint64_t alongAxis = uint64_t{1} << axis;
  compiler::Value x = g.argument(dtype, rank), positions, lengths;
  if (masked) {
    positions = g.argument(DType::Int64, rank,
                           ((uint64_t{1} << rank) - 1) & ~alongAxis);
    lengths = g.argument(DType::Int64, rank, alongAxis);
  }
  if (temperature != 1.0)
    x = g.binary(Binary::Div, x, g.literal(temperature, dtype));
  compiler::Value valid, zero;
  if (masked)
    valid = g.binary(Binary::Lt, positions, lengths);
  compiler::Value maxed = x;
  if (masked) {
    const compiler::Value lowest = g.lowest(dtype);
    zero = g.literal(0, dtype);
    maxed = g.select(valid, x, lowest);
  }
  const compiler::Value m = g.reduce(Reduction::Max, maxed, {axis}, true);
  const compiler::Value d = g.binary(Binary::Sub, x, m);
  const compiler::Value e = g.unary(compiler::Unary::Exp, d);
  const compiler::Value exps = masked ? g.select(valid, e, zero) : e;
  const compiler::Value s = g.reduce(Reduction::Sum, exps, {axis}, true);
  compiler::Value r;
  if (logarithm)
    r = g.binary(Binary::Sub, d, g.unary(compiler::Unary::Log, s));
  else if (masked) // Rows of length 0 divide 0 by 0: the select keeps them 0.
    r = g.select(valid, g.binary(Binary::Div, exps, s), zero);
  else
    r = g.binary(Binary::Div, e, s);
  g.result(g.cast(r, outType));
  return g.source();
}

NDArray softmax(const std::string &op, const std::vector<NDArray> &in,
                const Attrs &attrs, bool logarithm) {
  const NDArray &x = in[0];
  requireFloat(op, x);
  const int64_t rank = x.shape().size();
  if (rank == 0)
    throw Error(formatMessage(op, ": expected an array of rank 1 or more"));
  const int64_t axis = checkedAxis(op, attrs.getInt("axis"), rank);
  const double temperature =
      attrs.isNone("temperature") ? 1.0 : attrs.getFloat("temperature");
  // NaN and infinities are invalid parameters in MXNet; rejected here they
  // never reach the kernel source.
  if (!std::isfinite(temperature))
    throw Error(formatMessage(op,
                              ": temperature expected a finite positive "
                              "value, got ",
                              temperature));
  if (temperature <= 0)
    throw Error(
        formatMessage(op, ": temperature must be positive, got ", temperature));
  DType outType = x.dtype();
  if (!attrs.isNone("dtype")) {
    const std::string name =
        attrs.getChoice("dtype", {"float16", "float32", "float64"});
    outType = name == "float16"   ? DType::Float16
              : name == "float64" ? DType::Float64
                                  : DType::Float32;
  }
  const bool useLength = attrs.getBool("use_length");
  const bool hasLength = in.size() > 1;
  if (useLength && !hasLength)
    throw Error(formatMessage(op, ": use_length=True needs the length input",
                              logarithm ? ", which log_softmax does not take "
                                          "(MXNet 1.9.1)"
                                        : ""));
  if (hasLength && !useLength)
    throw Error(formatMessage(op, ": a length input needs use_length=True"));
  std::vector<NDArray> inputs = {x};
  if (useLength) {
    const NDArray &length = in[1];
    if (length.dtype() != DType::Int32 && length.dtype() != DType::Int64)
      throw Error(formatMessage(op,
                                ": length expected an int32 or int64 "
                                "array, got ",
                                dtypeName(length.dtype())));
    Shape rows = x.shape();
    rows.erase(rows.begin() + axis);
    const bool matches =
        length.shape() == rows ||
        (rank == 1 && (length.shape() == Shape{1} || length.shape().empty()));
    if (!matches)
      throw Error(formatMessage(op, ": length expected shape ",
                                shapeToString(rank == 1 ? Shape{1} : rows),
                                " (data's shape without axis ", axis, "), got ",
                                shapeToString(length.shape())));
    Shape positions(rank, 1), kept = x.shape();
    positions[axis] = x.shape()[axis];
    kept[axis] = 1;
    inputs.push_back(dispatch::iota(op, positions, axis, DType::Int64));
    // Lengths past the axis's extent take the whole row, negative ones
    // none (MXNet reads past the row or writes nothing there).
    inputs.push_back(dispatch::reshape(
        length.dtype() == DType::Int64 ? length
                                       : dispatch::cast(length, DType::Int64),
        kept));
  }
  // Rows along dimension 0 are independent unless the softmax runs along it.
  return dispatch::graph(op,
                         softmaxSource(op, rank, axis, x.dtype(), temperature,
                                       logarithm, useLength, outType),
                         inputs, x.shape(), outType, /*splitRows=*/axis != 0);
}

const std::vector<AttrSpec> kSoftmaxAttrs = {
    {"axis", AttrSpec::Kind::Int, "-1"},
    {"temperature", AttrSpec::Kind::Float, "None"},
    {"dtype", AttrSpec::Kind::String, "None"},
    {"use_length", AttrSpec::Kind::Bool, "False"}};

} // namespace

void registerNeuralOps(OpRegistry &registry) {
  registry.add(
      {"softmax",
       {"data", "length?"},
       kSoftmaxAttrs,
       "exp(x - max) / sum(exp(x - max)) along axis (default -1), as one "
       "fused kernel after the max, as MXNet 1.9.1's softmax. temperature "
       "(None: 1) divides x first. dtype (None, float16, float32, float64) is "
       "the output's, computed in data's dtype. use_length=True takes the "
       "length input (int32 or int64, data's shape without the axis; (1,) "
       "for 1-D data): each row uses its first `length` elements and gives 0 "
       "past them (lengths past the axis take the whole row, negative ones "
       "none); the length takes no gradient.\n\nErrors: integer data, rank "
       "0, a temperature <= 0 or not finite, use_length without a length or "
       "a length without use_length, a length of another dtype or shape.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return softmax("softmax", in, attrs, false);
       }});
  registry.add(
      {"log_softmax",
       {"data"},
       kSoftmaxAttrs,
       "x - max - log(sum(exp(x - max))) along axis, as MXNet 1.9.1's "
       "log_softmax: temperature and dtype as softmax's. MXNet 1.9.1's "
       "log_softmax takes no length input, so use_length=True is an error.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return softmax("log_softmax", in, attrs, true);
       }});
  registry.add(
      {"clip",
       {"data"},
       {{"a_min", AttrSpec::Kind::Float, std::nullopt},
        {"a_max", AttrSpec::Kind::Float, std::nullopt}},
       "Values limited to [a_min, a_max].",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         const double low = attrs.getFloat("a_min"),
                      high = attrs.getFloat("a_max");
         if (low > high)
           throw Error(formatMessage("clip: a_min (", low,
                                     ") must not exceed a_max (", high, ")"));
         const NDArray &x = in[0];
         NDArray raised = dispatch::elementwise(
             "clip", "maximum", {x, dispatch::scalar(low, x.dtype())},
             x.dtype());
         return dispatch::elementwise(
             "clip", "minimum", {raised, dispatch::scalar(high, x.dtype())},
             x.dtype(), out);
       }});
  registry.add(
      {"where",
       {"condition", "x", "y"},
       {},
       "x where condition is non-zero, else y (same shapes, or a condition "
       "with the first axis only).",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &out) {
         const NDArray &condition = in[0], &x = in[1], &y = in[2];
         if (x.dtype() != y.dtype())
           throw Error(formatMessage("where: x and y must have the same dtype, "
                                     "got ",
                                     dtypeName(x.dtype()), " and ",
                                     dtypeName(y.dtype())));
         if (x.shape() != y.shape())
           throw Error(formatMessage("where: x and y must have the same shape, "
                                     "got ",
                                     shapeToString(x.shape()), " and ",
                                     shapeToString(y.shape())));
         NDArray truth = condition;
         if (condition.shape() != x.shape()) {
           // MXNet also takes a 1-D condition choosing whole rows.
           if (condition.shape().size() != 1 || x.shape().empty() ||
               condition.shape()[0] != x.shape()[0])
             throw Error(formatMessage(
                 "where: condition must have x's shape or be 1-D with x's "
                 "first extent, got ",
                 shapeToString(condition.shape()), " for x ",
                 shapeToString(x.shape())));
           Shape column(x.shape().size(), 1);
           column[0] = condition.shape()[0];
           NDArray contiguous =
               condition.tensor().isContiguous()
                   ? condition
                   : dispatch::cast(condition, condition.dtype());
           truth = contiguous.view(contiguous.tensor().reshaped(column));
         }
         NDArray mask = dispatch::cast(truth, DType::Bool);
         return dispatch::elementwise("where", "select", {mask, x, y},
                                      x.dtype(), out);
       }});
  registry.add(
      {"take",
       {"a", "indices"},
       {{"axis", AttrSpec::Kind::Int, "0"},
        {"mode", AttrSpec::Kind::String, "clip"}},
       "Slices of a along axis at the indices (float indices truncate); "
       "out-of-range indices clip (mode 'clip'), wrap ('wrap') or are an "
       "error ('raise').",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         const NDArray &a = in[0];
         const int64_t rank = a.shape().size();
         const int64_t axis = checkedAxis("take", attrs.getInt("axis"), rank);
         if (a.shape()[axis] == 0 && in[1].size() > 0)
           throw Error("take: cannot take from an empty axis");
         const std::string modeName =
             attrs.getChoice("mode", {"clip", "wrap", "raise"});
         const int64_t mode = modeName == "wrap" ? 1 : 0;
         NDArray indices =
             in[1].dtype() == DType::Int64 || in[1].dtype() == DType::Int32
                 ? in[1]
                 : dispatch::cast(in[1], DType::Int64);
         if (modeName == "raise") {
           // As MXNet: every index must be in [0, extent); this waits for
           // the indices to read them.
           NDArray wide = dispatch::cast(indices, DType::Int64);
           std::vector<int64_t> values(static_cast<size_t>(wide.size()));
           wide.copyTo(values.data());
           const int64_t extent = a.shape()[axis];
           for (int64_t value : values)
             if (value < 0 || value >= extent)
               throw Error(formatMessage(
                   "take: index ", value, " is out of bounds for axis ", axis,
                   " with size ", extent, " (mode 'raise')"));
         }
         Shape shape(a.shape().begin(), a.shape().begin() + axis);
         shape.insert(shape.end(), indices.shape().begin(),
                      indices.shape().end());
         shape.insert(shape.end(), a.shape().begin() + axis + 1,
                      a.shape().end());
         compiler::KernelSignature signature{"take", {}, {}};
         signature.attributes["axis"] = {axis};
         signature.attributes["mode"] = {mode};
         return dispatch::generate("take", signature, {a, indices}, shape,
                                   a.dtype());
       }});
}

} // namespace ops
} // namespace kiln
