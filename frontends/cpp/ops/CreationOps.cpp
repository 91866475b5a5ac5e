//===- CreationOps.cpp - arrays made from nothing -------------------------===//
//
// MXNet's _zeros, _ones, _full and _arange. The random samplers are in
// RandomOps.cpp.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <cmath>

namespace kiln {
namespace ops {
namespace {

Shape shapeOf(const std::string &op, const Attrs &attrs) {
  std::vector<int64_t> shape = attrs.getIntTuple("shape");
  for (int64_t extent : shape)
    if (extent < 0)
      throw Error(formatMessage(op, ": shape ", shapeToString(shape),
                                " has a negative extent"));
  return shape;
}

NDArray filled(const std::string &op, const Shape &shape, DType dtype,
               double value, const NDArray &out) {
  NDArray scalar = dispatch::scalar(value, dtype);
  return dispatch::generate(op, {"broadcast_to", {}, {}}, {scalar}, shape,
                            dtype, out);
}

const AttrSpec kShape{"shape", AttrSpec::Kind::IntTuple, "()"};
const AttrSpec kDType{"dtype", AttrSpec::Kind::DType, "float32"};
/// MXNet's init ops take the output's context ("cpu(0)") and write it into
/// their graphs' nodes; the frontends place the array (the caller's device
/// scope), so here it is only accepted.
const AttrSpec kCtx{"ctx", AttrSpec::Kind::String, ""};

} // namespace

void registerCreationOps(OpRegistry &registry) {
  registry.add({"_zeros",
                {},
                {kShape, kCtx, kDType},
                "An array of zeros.",
                [](const std::vector<NDArray> &, const Attrs &attrs,
                   const NDArray &out) {
                  return filled("zeros", shapeOf("zeros", attrs),
                                attrs.getDType("dtype"), 0, out);
                }});
  registry.add({"_ones",
                {},
                {kShape, kCtx, kDType},
                "An array of ones.",
                [](const std::vector<NDArray> &, const Attrs &attrs,
                   const NDArray &out) {
                  return filled("ones", shapeOf("ones", attrs),
                                attrs.getDType("dtype"), 1, out);
                }});
  registry.add(
      {"_full",
       {},
       {kShape, kCtx, kDType, {"value", AttrSpec::Kind::Float, std::nullopt}},
       "An array filled with value.",
       [](const std::vector<NDArray> &, const Attrs &attrs,
          const NDArray &out) {
         return filled("full", shapeOf("full", attrs), attrs.getDType("dtype"),
                       attrs.getFloat("value"), out);
       }});
  registry.add(
      {"_arange",
       {},
       {{"start", AttrSpec::Kind::Float, std::nullopt},
        {"stop", AttrSpec::Kind::Float, "None"},
        {"step", AttrSpec::Kind::Float, "1.0"},
        {"repeat", AttrSpec::Kind::Int, "1"},
        kCtx,
        kDType},
       "Evenly spaced values in [start, stop) (numpy's arange; stop None "
       "counts from 0 to start), each repeated `repeat` times.",
       [](const std::vector<NDArray> &, const Attrs &attrs, const NDArray &) {
         double start = attrs.getFloat("start");
         double stop = start;
         // stop None: arange(n) means [0, n).
         if (attrs.isNone("stop"))
           start = 0;
         else
           stop = attrs.getFloat("stop");
         const double step = attrs.getFloat("step");
         const int64_t repeat = attrs.getInt("repeat");
         if (step == 0)
           throw Error("arange: step must not be 0");
         if (repeat < 1)
           throw Error(formatMessage("arange: repeat must be at least 1, got ",
                                     repeat));
         const DType dtype = attrs.getDType("dtype");
         const double steps = std::ceil((stop - start) / step);
         // Checked as a double first: converting one past int64's range is
         // undefined, and the product with repeat must not wrap.
         if (!(steps < 9.2e18))
           throw Error(formatMessage("arange: [", start, ", ", stop,
                                     ") in steps of ", step,
                                     " has too many elements"));
         const int64_t count =
             std::max<int64_t>(0, static_cast<int64_t>(steps));
         checkedExtentProduct("arange", count, repeat);
         // iota over (count, repeat) along dimension 0, then start + i * step.
         NDArray indices =
             dispatch::iota("arange", {count, repeat}, 0, DType::Float64);
         NDArray scaled = dispatch::elementwise(
             "arange", "mul", {indices, dispatch::scalar(step, DType::Float64)},
             DType::Float64);
         NDArray shifted = dispatch::elementwise(
             "arange", "add", {scaled, dispatch::scalar(start, DType::Float64)},
             DType::Float64);
         NDArray result = dispatch::cast(shifted, dtype);
         return result.view(result.tensor().reshaped({count * repeat}));
       }});
}

} // namespace ops
} // namespace kiln
