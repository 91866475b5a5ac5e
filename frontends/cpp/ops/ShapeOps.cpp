//===- ShapeOps.cpp - reshape, transpose and friends ----------------------===//
//
// MXNet's shape operators. They return views sharing the input's storage and
// engine variable whenever the layout allows (always for transpose, swapaxes,
// expand_dims, squeeze; for reshape and flatten when the input is
// contiguous), and otherwise copy first.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>

namespace kiln {
namespace ops {
namespace {

/// MXNet's reshape codes: 0 copies a dimension, -1 infers one, -2 copies the
/// rest, -3 merges two, -4 splits one into the next two values.
Shape inferReshape(const Shape &input, const std::vector<int64_t> &codes) {
  // As MXNet's NDArray.reshape: a misused code, or a target larger than
  // the input, is MXNetError (its C++ checks); a target smaller than the
  // input (a -1 that does not divide included) is ValueError (its Python
  // check of the sizes).
  auto fail = [&](const std::string &why,
                  Error::Kind kind = Error::Kind::Generic) -> Shape {
    throw Error(formatMessage("reshape: cannot reshape ", shapeToString(input),
                              " with shape ", shapeToString(codes), ": ", why),
                kind);
  };
  Shape output;
  int64_t inferred = -1;
  size_t in = 0;
  for (size_t i = 0; i < codes.size(); ++i) {
    const int64_t code = codes[i];
    if (code > 0) {
      output.push_back(code);
      ++in;
    } else if (code == 0) {
      if (in >= input.size())
        return fail("0 refers past the input's dimensions");
      output.push_back(input[in++]);
    } else if (code == -1) {
      if (inferred >= 0)
        return fail("more than one -1");
      inferred = static_cast<int64_t>(output.size());
      output.push_back(1);
      ++in;
    } else if (code == -2) {
      while (in < input.size())
        output.push_back(input[in++]);
    } else if (code == -3) {
      if (in + 1 >= input.size())
        return fail("-3 needs two input dimensions");
      output.push_back(checkedExtentProduct("reshape", input[in], input[in + 1]));
      in += 2;
    } else if (code == -4) {
      if (i + 2 >= codes.size() || in >= input.size())
        return fail("-4 needs two values after it and an input dimension");
      int64_t first = codes[i + 1], second = codes[i + 2];
      const int64_t extent = input[in++];
      if (first == -1 && second > 0 && extent % second == 0)
        first = extent / second;
      else if (second == -1 && first > 0 && extent % first == 0)
        second = extent / first;
      if (first <= 0 || second <= 0 || extent % first != 0 ||
          extent / first != second)
        return fail("-4's two values must split the dimension");
      output.push_back(first);
      output.push_back(second);
      i += 2;
    } else {
      return fail(formatMessage("unknown code ", code));
    }
  }
  const int64_t total = numElements(input);
  if (inferred >= 0) {
    int64_t known = 1;
    for (size_t d = 0; d < output.size(); ++d)
      if (static_cast<int64_t>(d) != inferred)
        known = checkedExtentProduct("reshape", known, output[d]);
    if (known == 0 || total % known != 0)
      return fail("the size does not divide", Error::Kind::Value);
    output[inferred] = total / known;
  }
  const int64_t count = checkedNumElements("reshape", output, DType::UInt8);
  if (count != total)
    return fail(formatMessage("the sizes differ (", total, " vs ", count, ")"),
                count < total && !codes.empty() ? Error::Kind::Value
                                                : Error::Kind::Generic);
  return output;
}

NDArray permuted(const NDArray &x, const std::vector<int64_t> &axes) {
  Shape shape, strides;
  for (int64_t axis : axes) {
    shape.push_back(x.shape()[axis]);
    strides.push_back(x.tensor().strides()[axis]);
  }
  return x.view(x.tensor().strided(shape, strides, x.tensor().offset()));
}

} // namespace

void registerShapeOps(OpRegistry &registry) {
  registry.add(
      {"Reshape",
       {"data"},
       {{"shape", AttrSpec::Kind::IntTuple, "()"},
        {"reverse", AttrSpec::Kind::Bool, "False"}},
       "The same elements in another shape; MXNet's codes 0, -1, -2, -3, -4 "
       "apply (right to left with reverse).",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         std::vector<int64_t> codes = attrs.getIntTuple("shape");
         Shape input = in[0].shape();
         Shape shape;
         if (attrs.getBool("reverse")) {
           std::reverse(input.begin(), input.end());
           std::reverse(codes.begin(), codes.end());
           // -4's two values follow it when reading left to right.
           for (size_t i = 0; i + 2 < codes.size(); ++i)
             if (codes[i + 2] == -4)
               std::swap(codes[i], codes[i + 2]);
           shape = inferReshape(input, codes);
           std::reverse(shape.begin(), shape.end());
         } else {
           shape = inferReshape(input, codes);
         }
         return dispatch::reshape(in[0], shape);
       }},
      {"reshape"});
  registry.add({"transpose",
                {"data"},
                {{"axes", AttrSpec::Kind::IntTuple, "()"}},
                "The axes permuted (reversed by default), as a view.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  const int64_t rank = in[0].shape().size();
                  std::vector<int64_t> axes = attrs.getIntTuple("axes");
                  if (axes.empty())
                    for (int64_t d = rank - 1; d >= 0; --d)
                      axes.push_back(d);
                  if (static_cast<int64_t>(axes.size()) != rank)
                    throw Error(formatMessage(
                        "transpose: axes ", shapeToString(axes),
                        " must list each of the ", rank, " axes once"));
                  std::vector<bool> seen(rank, false);
                  for (int64_t &axis : axes) {
                    axis = checkedAxis("transpose", axis, rank);
                    if (seen[axis])
                      throw Error(formatMessage("transpose: axis ", axis,
                                                " is repeated"));
                    seen[axis] = true;
                  }
                  return permuted(in[0], axes);
                }});
  registry.add(
      {"SwapAxis",
       {"data"},
       {{"dim1", AttrSpec::Kind::Int, "0"}, {"dim2", AttrSpec::Kind::Int, "0"}},
       "Two axes exchanged, as a view.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         const int64_t rank = in[0].shape().size();
         std::vector<int64_t> axes(rank);
         for (int64_t d = 0; d < rank; ++d)
           axes[d] = d;
         std::swap(axes[checkedAxis("swapaxes", attrs.getInt("dim1"), rank)],
                   axes[checkedAxis("swapaxes", attrs.getInt("dim2"), rank)]);
         return permuted(in[0], axes);
       }},
      {"swapaxes"});
  registry.add(
      {"expand_dims",
       {"data"},
       {{"axis", AttrSpec::Kind::Int, std::nullopt}},
       "A new axis of extent 1 at axis, as a view.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         const NDArray &x = in[0];
         const int64_t rank = x.shape().size();
         const int64_t axis =
             checkedAxis("expand_dims", attrs.getInt("axis"), rank + 1);
         Shape shape = x.shape(), strides = x.tensor().strides();
         shape.insert(shape.begin() + axis, 1);
         strides.insert(strides.begin() + axis, 1);
         return x.view(x.tensor().strided(shape, strides, x.tensor().offset()));
       }});
  registry.add(
      {"squeeze",
       {"data"},
       {{"axis", AttrSpec::Kind::OptionalIntTuple, "None"}},
       "The axes of extent 1 removed (all of them by default), as a view.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         const NDArray &x = in[0];
         const int64_t rank = x.shape().size();
         std::vector<bool> dropped(rank, false);
         if (auto axes = attrs.getOptionalIntTuple("axis")) {
           for (int64_t axis : *axes) {
             const int64_t d = checkedAxis("squeeze", axis, rank);
             if (x.shape()[d] != 1)
               throw Error(formatMessage("squeeze: axis ", axis, " has extent ",
                                         x.shape()[d], ", not 1"));
             dropped[d] = true;
           }
         } else {
           for (int64_t d = 0; d < rank; ++d)
             dropped[d] = x.shape()[d] == 1;
         }
         Shape shape, strides;
         for (int64_t d = 0; d < rank; ++d)
           if (!dropped[d]) {
             shape.push_back(x.shape()[d]);
             strides.push_back(x.tensor().strides()[d]);
           }
         // MXNet keeps at least one dimension.
         if (shape.empty()) {
           shape.push_back(1);
           strides.push_back(1);
         }
         return x.view(x.tensor().strided(shape, strides, x.tensor().offset()));
       }});
  registry.add(
      {"Flatten",
       {"data"},
       {},
       "The array as 2-D: the first axis kept, the rest merged.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &out) {
         const NDArray &x = in[0];
         if (x.shape().empty())
           throw Error("flatten: expected an array of rank 1 or more");
         const int64_t rows = x.shape()[0];
         int64_t columns = 1;
         for (size_t d = 1; d < x.shape().size(); ++d)
           columns *= x.shape()[d];
         return dispatch::reshape(x, {rows, columns});
       }},
      {"flatten"});
}

} // namespace ops
} // namespace kiln
