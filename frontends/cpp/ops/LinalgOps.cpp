//===- LinalgOps.cpp - dot and cast ---------------------------------------===//
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>

namespace kiln {
namespace ops {
namespace {

NDArray dot(const NDArray &lhs, const NDArray &rhs, bool transposeA,
            bool transposeB) {
  requireFloat("dot", lhs);
  if (lhs.dtype() != rhs.dtype())
    throw Error(formatMessage("dot: operands must have the same dtype, got ",
                              dtypeName(lhs.dtype()), " and ",
                              dtypeName(rhs.dtype())));
  const size_t lhsRank = lhs.shape().size(), rhsRank = rhs.shape().size();
  if (lhsRank == 0 || rhsRank == 0)
    throw Error("dot: operands must have rank 1 or more");
  if ((transposeA && lhsRank > 2) || (transposeB && rhsRank > 2))
    throw Error("dot: transpose_a/transpose_b are supported for rank 1 and 2 "
                "operands only");
  // As matrices: lhs (M, K) from all but its last axis, rhs (K, N) from all
  // but its first (MXNet's dot contracts those two axes).
  NDArray a = lhsRank == 1 ? dispatch::reshape(lhs, {1, lhs.shape()[0]}) : lhs;
  NDArray b = rhsRank == 1 ? dispatch::reshape(rhs, {rhs.shape()[0], 1}) : rhs;
  if (transposeA && lhsRank == 2)
    a = dispatch::swapLastTwo(a);
  if (transposeB && rhsRank == 2)
    b = dispatch::swapLastTwo(b);
  Shape outShape(a.shape().begin(), a.shape().end() - 1);
  outShape.insert(outShape.end(), b.shape().begin() + 1, b.shape().end());
  const int64_t k = a.shape().back();
  if (b.shape().front() != k)
    throw Error(formatMessage("dot: shapes ", shapeToString(lhs.shape()),
                              " and ", shapeToString(rhs.shape()),
                              " do not align (", k, " vs ", b.shape().front(),
                              ")"));
  if (a.shape().size() > 2)
    a = dispatch::reshape(a, {a.size() / k, k});
  if (b.shape().size() > 2)
    b = dispatch::reshape(b, {k, b.size() / k});
  NDArray product = dispatch::matmul(a, b);
  if (lhsRank == 1 && rhsRank == 1)
    return product.view(product.tensor().reshaped({1}));
  if (lhsRank == 1)
    outShape.erase(outShape.begin());
  if (rhsRank == 1)
    outShape.pop_back();
  return product.view(product.tensor().reshaped(outShape));
}

} // namespace

void registerLinalgOps(OpRegistry &registry) {
  registry.add({"dot",
                {"lhs", "rhs"},
                {{"transpose_a", AttrSpec::Kind::Bool, "False"},
                 {"transpose_b", AttrSpec::Kind::Bool, "False"}},
                "MXNet's dot: contracts the last axis of lhs with the first "
                "of rhs; f32 runs on oneDNN.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  return dot(in[0], in[1], attrs.getBool("transpose_a"),
                             attrs.getBool("transpose_b"));
                }});
  registry.add(
      {"batch_dot",
       {"lhs", "rhs"},
       {{"transpose_a", AttrSpec::Kind::Bool, "False"},
        {"transpose_b", AttrSpec::Kind::Bool, "False"}},
       "Matrix products of matching batches: (B, M, K) x (B, K, N) -> "
       "(B, M, N), the last two axes transposed first when asked.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         requireFloat("batch_dot", in[0]);
         if (in[0].dtype() != in[1].dtype())
           throw Error(formatMessage(
               "batch_dot: operands must have the same dtype, got ",
               dtypeName(in[0].dtype()), " and ", dtypeName(in[1].dtype())));
         if (in[0].shape().size() < 3 ||
             in[0].shape().size() != in[1].shape().size())
           throw Error(formatMessage(
               "batch_dot: expected two arrays of one rank >= 3, got ",
               shapeToString(in[0].shape()), " and ",
               shapeToString(in[1].shape())));
         NDArray a = attrs.getBool("transpose_a") ? dispatch::swapLastTwo(in[0])
                                                  : in[0];
         NDArray b = attrs.getBool("transpose_b") ? dispatch::swapLastTwo(in[1])
                                                  : in[1];
         const Shape &as = a.shape(), &bs = b.shape();
         const size_t rank = as.size();
         if (!std::equal(as.begin(), as.end() - 2, bs.begin()) ||
             as[rank - 1] != bs[rank - 2])
           throw Error(
               formatMessage("batch_dot: shapes ", shapeToString(in[0].shape()),
                             " and ", shapeToString(in[1].shape()),
                             " do not match (after transpose_a/transpose_b)"));
         return dispatch::matmul(a, b);
       }});
  registry.add({"cast",
                {"data"},
                {{"dtype", AttrSpec::Kind::DType, std::nullopt}},
                "The array converted to dtype.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  return dispatch::cast(in[0], attrs.getDType("dtype"), out);
                }},
               {"Cast"});
}

} // namespace ops
} // namespace kiln
