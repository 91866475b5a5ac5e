//===- AttentionOps.cpp - MXNet's interleaved attention products ----------===//
//
// _contrib_interleaved_matmul_selfatt_qk, _contrib_interleaved_matmul_
// selfatt_valatt, _contrib_interleaved_matmul_encdec_qk and
// _contrib_interleaved_matmul_encdec_valatt (GluonNLP's BERT and
// Transformer): the products of multi-head attention on projections laid
// out as (seq_length, batch, heads * parts * head_dim), each head's parts
// (query, key, value) interleaved along the last axis.
//
// Each is a decomposition: a reshape to (seq, batch, heads, parts, dim), a
// slice of one part, a transpose to (batch, heads, seq, dim), a reshape to
// (batch * heads, seq, dim) and a batched matmul, so autograd gets their
// gradients from the primitives. MXNet computes them in float32 only on
// CPU; kiln takes any floating-point dtype.
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

/// `heads`, checked positive.
int64_t headsOf(const std::string &op, const Attrs &attrs) {
  const int64_t heads = attrs.getInt("heads");
  if (heads <= 0)
    throw Error(formatMessage(op, ": heads must be positive, got ", heads));
  return heads;
}

/// Checks that `array` (the input `name`) is a float array of rank 3.
void requireRank3(const std::string &op, const std::string &name,
                  const NDArray &array, const char *layout) {
  if (!isFloatDType(array.dtype()))
    throw Error(formatMessage(op, ": ", name,
                              " expected a floating-point dtype, got ",
                              dtypeName(array.dtype())));
  if (array.shape().size() != 3)
    throw Error(formatMessage(op, ": ", name, " must be 3-D (", layout,
                              "), got shape ", shapeToString(array.shape())));
}

/// The head dimension of a projection `name` whose last axis holds `parts`
/// interleaved parts for each of `heads` heads.
int64_t headDim(const std::string &op, const std::string &name,
                const NDArray &array, int64_t heads, int64_t parts) {
  const int64_t width = array.shape()[2];
  if (width % (heads * parts) != 0)
    throw Error(formatMessage(op, ": ", name,
                              ".shape[2] must be a multiple of ",
                              parts == 1 ? "" : std::to_string(parts) + " * ",
                              "heads = ", heads * parts, ", got ", width));
  return width / (heads * parts);
}

void requireExtent(const std::string &op, const std::string &what,
                   int64_t expected, int64_t got) {
  if (expected != got)
    throw Error(
        formatMessage(op, ": ", what, " expected ", expected, ", got ", got));
}

/// Part `part` of `parts` of each head of `x` (seq, batch, heads * parts *
/// dim) as (batch * heads, seq, dim).
NDArray headsPart(const NDArray &x, int64_t heads, int64_t parts,
                  int64_t part) {
  const int64_t seq = x.shape()[0], batch = x.shape()[1];
  const int64_t dim = x.shape()[2] / (heads * parts);
  NDArray split = dispatch::reshape(x, {seq, batch, heads, parts, dim});
  if (parts > 1)
    split = call("slice_axis", {split},
                 {{"axis", "3"},
                  {"begin", std::to_string(part)},
                  {"end", std::to_string(part + 1)}});
  NDArray perHead = dispatch::reshape(split, {seq, batch, heads, dim});
  NDArray moved = call("transpose", {perHead}, {{"axes", "(1, 2, 0, 3)"}});
  return dispatch::reshape(moved, {batch * heads, seq, dim});
}

/// The inverse layout: (batch * heads, seq, dim) as (seq, batch, heads *
/// dim).
NDArray mergeHeads(const NDArray &x, int64_t heads) {
  const int64_t batch = x.shape()[0] / heads, seq = x.shape()[1],
                dim = x.shape()[2];
  NDArray split = dispatch::reshape(x, {batch, heads, seq, dim});
  NDArray moved = call("transpose", {split}, {{"axes", "(2, 0, 1, 3)"}});
  return dispatch::reshape(moved, {seq, batch, heads * dim});
}

/// softmax-free attention scores: (queries / sqrt(dim)) x keys^T.
NDArray scores(const NDArray &queries, const NDArray &keys) {
  const double root = std::sqrt(static_cast<double>(queries.shape()[2]));
  NDArray scaled = callScalar("_div_scalar", queries, root);
  return dispatch::matmul(scaled, dispatch::swapLastTwo(keys));
}

/// Checks `attention` (batch * heads, queries, keys) against the values'
/// projection `values` (keys, batch, ...).
void checkAttention(const std::string &op, const std::string &valuesName,
                    const NDArray &values, const NDArray &attention,
                    int64_t heads) {
  const Shape &v = values.shape(), &a = attention.shape();
  requireExtent(op, "attention.shape[0] (" + valuesName + ".shape[1] * heads)",
                v[1] * heads, a[0]);
  requireExtent(op, "attention.shape[2] (" + valuesName + ".shape[0])", v[0],
                a[2]);
  if (values.dtype() != attention.dtype())
    throw Error(formatMessage(
        op, ": attention must have the dtype of ", valuesName, ", expected ",
        dtypeName(values.dtype()), ", got ", dtypeName(attention.dtype())));
}

constexpr const char *kSelfLayout = "seq_length, batch, heads * 3 * head_dim";
constexpr const char *kPairLayout = "seq_length, batch, heads * 2 * head_dim";
constexpr const char *kQueryLayout = "seq_length, batch, heads * head_dim";
constexpr const char *kAttentionLayout =
    "batch * heads, query_length, key_length";

} // namespace

void registerAttentionOps(OpRegistry &registry) {
  registry.add(
      {"_contrib_interleaved_matmul_selfatt_qk",
       {"queries_keys_values"},
       {{"heads", Kind::Int, std::nullopt}},
       "Self-attention scores from interleaved projections: "
       "queries_keys_values (L, B, heads * 3 * D), each head's query, key "
       "and value side by side, gives (B * heads, L, L) = (q / sqrt(D)) x "
       "k^T per batch and head.\n\nGradient: through the decomposition (the "
       "value part gets zeros). Errors: an input not 3-D or not floating "
       "point, heads <= 0, shape[2] not a multiple of 3 * heads.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const std::string op = "_contrib_interleaved_matmul_selfatt_qk";
         const int64_t heads = headsOf(op, attrs);
         requireRank3(op, "queries_keys_values", in[0], kSelfLayout);
         headDim(op, "queries_keys_values", in[0], heads, 3);
         return scores(headsPart(in[0], heads, 3, 0),
                       headsPart(in[0], heads, 3, 1));
       }});
  registry.add(
      {"_contrib_interleaved_matmul_selfatt_valatt",
       {"queries_keys_values", "attention"},
       {{"heads", Kind::Int, std::nullopt}},
       "Self-attention output from interleaved projections: attention "
       "(B * heads, L, L) times each head's value part of "
       "queries_keys_values (L, B, heads * 3 * D), as (L, B, heads * D).\n\n"
       "Gradient: through the decomposition. Errors: an input not 3-D or not "
       "floating point, heads <= 0, shape[2] not a multiple of 3 * heads, "
       "attention's shape not (B * heads, L, L), different dtypes.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const std::string op = "_contrib_interleaved_matmul_selfatt_valatt";
         const int64_t heads = headsOf(op, attrs);
         requireRank3(op, "queries_keys_values", in[0], kSelfLayout);
         requireRank3(op, "attention", in[1], kAttentionLayout);
         headDim(op, "queries_keys_values", in[0], heads, 3);
         checkAttention(op, "queries_keys_values", in[0], in[1], heads);
         requireExtent(op, "attention.shape[1] (queries_keys_values.shape[0])",
                       in[0].shape()[0], in[1].shape()[1]);
         return mergeHeads(
             dispatch::matmul(in[1], headsPart(in[0], heads, 3, 2)), heads);
       }});
  registry.add(
      {"_contrib_interleaved_matmul_encdec_qk",
       {"queries", "keys_values"},
       {{"heads", Kind::Int, std::nullopt}},
       "Encoder-decoder attention scores: queries (Lq, B, heads * D) and "
       "keys_values (Lk, B, heads * 2 * D), each head's key and value side "
       "by side, give (B * heads, Lq, Lk) = (q / sqrt(D)) x k^T per batch "
       "and head.\n\nGradient: through the decomposition (the value part "
       "gets zeros). Errors: an input not 3-D or not floating point, "
       "heads <= 0, queries.shape[2] not a multiple of heads, "
       "keys_values.shape[2] not 2 * queries.shape[2], batches differing, "
       "different dtypes.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const std::string op = "_contrib_interleaved_matmul_encdec_qk";
         const int64_t heads = headsOf(op, attrs);
         requireRank3(op, "queries", in[0], kQueryLayout);
         requireRank3(op, "keys_values", in[1], kPairLayout);
         headDim(op, "queries", in[0], heads, 1);
         requireExtent(op, "keys_values.shape[2] (2 * queries.shape[2])",
                       2 * in[0].shape()[2], in[1].shape()[2]);
         requireExtent(op, "keys_values.shape[1] (queries.shape[1])",
                       in[0].shape()[1], in[1].shape()[1]);
         if (in[0].dtype() != in[1].dtype())
           throw Error(formatMessage(op,
                                     ": keys_values must have the dtype "
                                     "of queries, expected ",
                                     dtypeName(in[0].dtype()), ", got ",
                                     dtypeName(in[1].dtype())));
         return scores(headsPart(in[0], heads, 1, 0),
                       headsPart(in[1], heads, 2, 0));
       }});
  registry.add(
      {"_contrib_interleaved_matmul_encdec_valatt",
       {"keys_values", "attention"},
       {{"heads", Kind::Int, std::nullopt}},
       "Encoder-decoder attention output: attention (B * heads, Lq, Lk) "
       "times each head's value part of keys_values (Lk, B, heads * 2 * D), "
       "as (Lq, B, heads * D).\n\nGradient: through the decomposition. "
       "Errors: an input not 3-D or not floating point, heads <= 0, "
       "keys_values.shape[2] not a multiple of 2 * heads, attention's shape "
       "not (B * heads, Lq, Lk), different dtypes.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const std::string op = "_contrib_interleaved_matmul_encdec_valatt";
         const int64_t heads = headsOf(op, attrs);
         requireRank3(op, "keys_values", in[0], kPairLayout);
         requireRank3(op, "attention", in[1], kAttentionLayout);
         headDim(op, "keys_values", in[0], heads, 2);
         checkAttention(op, "keys_values", in[0], in[1], heads);
         return mergeHeads(
             dispatch::matmul(in[1], headsPart(in[0], heads, 2, 1)), heads);
       }});
}

} // namespace ops
} // namespace kiln
