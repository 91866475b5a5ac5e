//===- NeuralOps.cpp - softmax, log_softmax, clip, where, take ------------===//
//
// softmax and log_softmax are built as whole kiln functions (graph kernels):
// the compiler fuses the subtraction, exponential and sum into one pass over
// the data after the max.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

namespace kiln {
namespace ops {
namespace {

/// The kiln function of softmax (or log_softmax) along `axis`.
std::string softmaxSource(int64_t rank, int64_t axis, DType dtype,
                          double temperature, bool logarithm) {
  const std::string t = dispatch::mlirTensorType(rank, dtype);
  const std::string kept = dispatch::mlirTensorType(rank, dtype, axis);
  const std::string scalar = "tensor<" + dispatch::mlirElementType(dtype) + ">";
  const std::string axes = "array<i64: " + std::to_string(axis) + ">";
  std::string text = "func.func @softmax(%x0: " + t + ") -> " + t + " {\n";
  std::string x = "%x0";
  if (temperature != 1.0) {
    char value[64];
    std::snprintf(value, sizeof value, "%.17e", temperature);
    text += "  %temperature = kiln.constant dense<" + std::string(value) +
            "> : " + scalar + "\n";
    text += "  %x = kiln.div %x0, %temperature : " + t + ", " + scalar + "\n";
    x = "%x";
  }
  text += "  %m = kiln.reduce_max " + x + " {axes = " + axes +
          ", keepdims = true} : " + t + " -> " + kept + "\n";
  text += "  %d = kiln.sub " + x + ", %m : " + t + ", " + kept + "\n";
  text += "  %e = kiln.exp %d : " + t + "\n";
  text += "  %s = kiln.reduce_sum %e {axes = " + axes +
          ", keepdims = true} : " + t + " -> " + kept + "\n";
  if (logarithm) {
    text += "  %l = kiln.log %s : " + kept + "\n";
    text += "  %r = kiln.sub %d, %l : " + t + ", " + kept + "\n";
  } else {
    text += "  %r = kiln.div %e, %s : " + t + ", " + kept + "\n";
  }
  return text + "  return %r : " + t + "\n}\n";
}

NDArray softmax(const std::string &op, const NDArray &x, const Attrs &attrs,
                bool logarithm) {
  requireFloat(op, x);
  const int64_t rank = x.shape().size();
  if (rank == 0)
    throw Error(formatMessage(op, ": expected an array of rank 1 or more"));
  const int64_t axis = checkedAxis(op, attrs.getInt("axis"), rank);
  const double temperature =
      attrs.isNone("temperature") ? 1.0 : attrs.getFloat("temperature");
  if (temperature <= 0)
    throw Error(
        formatMessage(op, ": temperature must be positive, got ", temperature));
  // Rows along dimension 0 are independent unless the softmax runs along it.
  return dispatch::graph(
      op, softmaxSource(rank, axis, x.dtype(), temperature, logarithm), {x},
      x.shape(), x.dtype(), /*splitRows=*/axis != 0);
}

const std::vector<AttrSpec> kSoftmaxAttrs = {
    {"axis", AttrSpec::Kind::Int, "-1"},
    {"temperature", AttrSpec::Kind::Float, "None"}};

} // namespace

void registerNeuralOps(OpRegistry &registry) {
  registry.add({"softmax",
                {"data"},
                kSoftmaxAttrs,
                "exp(x - max) / sum(exp(x - max)) along axis, as one fused "
                "kernel after the max.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  return softmax("softmax", in[0], attrs, false);
                }});
  registry.add({"log_softmax",
                {"data"},
                kSoftmaxAttrs,
                "x - max - log(sum(exp(x - max))) along axis.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  return softmax("log_softmax", in[0], attrs, true);
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
