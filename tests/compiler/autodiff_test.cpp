// kiln-autodiff through the whole pipeline: for each differentiable
// primitive, the gradient function compiled from gradientSource against
// central differences of the compiled forward function, in f64.
#include "tests/compiler/TestTensors.h"

#include "compiler/Autodiff.h"
#include "compiler/KernelCache.h"
#include "compiler/Primitives.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace kiln {
namespace compiler {
namespace {

using namespace testing_support;

/// How an argument is filled: away from kinks and outside no domain.
enum class Domain {
  Signed,   // +-[0.2, 0.8]: no zero (relu, abs, maximum ties)
  Positive, // [0.2, 0.8]: log, sqrt, asin, pow's base
  Index,    // int64 i % 3: take and scatter_add indices
};

struct Argument {
  Shape shape;
  Domain domain = Domain::Signed;
};

struct GradientCase {
  std::string name;
  std::string source;
  std::vector<Argument> arguments;
  std::vector<Shape> results;
  double step = 1e-5;
  double tolerance = 1e-6;
};

std::ostream &operator<<(std::ostream &os, const GradientCase &c) {
  return os << c.name;
}

std::vector<Tensor> makeArguments(const GradientCase &c, std::mt19937 &rng) {
  std::uniform_real_distribution<double> magnitude(0.2, 0.8);
  std::bernoulli_distribution negative(0.5);
  std::vector<Tensor> arguments;
  for (const Argument &spec : c.arguments) {
    const bool index = spec.domain == Domain::Index;
    Tensor t = Tensor::empty(spec.shape, index ? DType::Int64 : DType::Float64);
    for (int64_t i = 0; i < t.numElements(); ++i) {
      double value = magnitude(rng);
      if (index)
        value = static_cast<double>(i % 3);
      else if (spec.domain == Domain::Signed && negative(rng))
        value = -value;
      store(t, i, value);
    }
    arguments.push_back(t);
  }
  return arguments;
}

std::vector<Tensor> emptyResults(const GradientCase &c) {
  std::vector<Tensor> results;
  for (const Shape &shape : c.results)
    results.push_back(Tensor::empty(shape, DType::Float64));
  return results;
}

/// sum over results of result * cotangent: the scalar whose gradient the
/// backward function computes.
double weightedSum(KernelEntryFn forward, const std::vector<Tensor> &arguments,
                   const std::vector<Tensor> &cotangents,
                   const GradientCase &c) {
  std::vector<Tensor> buffers = arguments;
  std::vector<Tensor> results = emptyResults(c);
  buffers.insert(buffers.end(), results.begin(), results.end());
  invokeKernel(forward, buffers);
  double total = 0;
  for (size_t r = 0; r < results.size(); ++r)
    for (int64_t i = 0; i < results[r].numElements(); ++i)
      total += load(results[r], i) * load(cotangents[r], i);
  return total;
}

void expectContains(const std::string &text, const std::string &part) {
  EXPECT_NE(text.find(part), std::string::npos)
      << "expected '" << part << "' in:\n"
      << text;
}

class PrimitiveGradient : public ::testing::TestWithParam<GradientCase> {};

TEST_P(PrimitiveGradient, MatchesCentralDifferences) {
  const GradientCase &c = GetParam();
  KernelCache cache("");
  KernelEntryFn forward = cache.getGraph(c.source);
  const std::string gradient = gradientSource(c.source);
  KernelEntryFn backward = cache.getGraph(gradient);

  std::mt19937 rng(7);
  std::vector<Tensor> arguments = makeArguments(c, rng);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::vector<Tensor> cotangents = emptyResults(c);
  for (Tensor &t : cotangents)
    for (int64_t i = 0; i < t.numElements(); ++i)
      store(t, i, unit(rng));

  // Backward: arguments, cotangents -> results, float-argument gradients.
  std::vector<Tensor> buffers = arguments;
  buffers.insert(buffers.end(), cotangents.begin(), cotangents.end());
  std::vector<Tensor> results = emptyResults(c);
  buffers.insert(buffers.end(), results.begin(), results.end());
  std::vector<Tensor> gradients;
  for (const Tensor &argument : arguments)
    if (argument.dtype() == DType::Float64) {
      gradients.push_back(Tensor::empty(argument.shape(), DType::Float64));
      buffers.push_back(gradients.back());
    }
  invokeKernel(backward, buffers);

  // Its results are the forward's.
  std::vector<Tensor> expected = arguments;
  std::vector<Tensor> forwardResults = emptyResults(c);
  expected.insert(expected.end(), forwardResults.begin(), forwardResults.end());
  invokeKernel(forward, expected);
  for (size_t r = 0; r < results.size(); ++r)
    for (int64_t i = 0; i < results[r].numElements(); ++i)
      ASSERT_NEAR(load(results[r], i), load(forwardResults[r], i), 1e-12)
          << "result " << r << " at " << i << "\n"
          << gradient;

  size_t g = 0;
  for (size_t a = 0; a < arguments.size(); ++a) {
    if (arguments[a].dtype() != DType::Float64)
      continue;
    const Tensor &argument = arguments[a];
    for (int64_t i = 0; i < argument.numElements(); ++i) {
      const double x = load(argument, i);
      store(argument, i, x + c.step);
      const double up = weightedSum(forward, arguments, cotangents, c);
      store(argument, i, x - c.step);
      const double down = weightedSum(forward, arguments, cotangents, c);
      store(argument, i, x);
      const double numeric = (up - down) / (2 * c.step);
      ASSERT_NEAR(load(gradients[g], i), numeric,
                  c.tolerance * (1 + std::fabs(numeric)))
          << "d/d argument " << a << " at element " << i << "\n"
          << gradient;
    }
    ++g;
  }
}

GradientCase unaryCase(const std::string &op, Domain domain) {
  GradientCase c;
  c.name = op;
  c.source = "func.func @f(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {\n"
             "  %y = kiln." +
             op +
             " %x : tensor<3x4xf64>\n"
             "  return %y : tensor<3x4xf64>\n}\n";
  c.arguments = {{{3, 4}, domain}};
  c.results = {{3, 4}};
  return c;
}

/// lhs 3x4 with rhs 1x4 broadcast, and rhs used again as a 4-vector:
/// broadcast gradients summed and gradients of one value accumulated.
GradientCase binaryCase(const std::string &op, Domain lhs, Domain rhs) {
  GradientCase c;
  c.name = op;
  c.source = "func.func @f(%x: tensor<3x4xf64>, %y: tensor<1x4xf64>) -> "
             "(tensor<3x4xf64>, tensor<1x4xf64>) {\n"
             "  %z = kiln." +
             op +
             " %x, %y : tensor<3x4xf64>, tensor<1x4xf64>\n"
             "  %w = kiln." +
             op +
             " %y, %y : tensor<1x4xf64>, tensor<1x4xf64>\n"
             "  return %z, %w : tensor<3x4xf64>, tensor<1x4xf64>\n}\n";
  c.arguments = {{{3, 4}, lhs}, {{1, 4}, rhs}};
  c.results = {{3, 4}, {1, 4}};
  return c;
}

GradientCase graphCase(std::string name, std::string source,
                       std::vector<Argument> arguments,
                       std::vector<Shape> results) {
  GradientCase c;
  c.name = std::move(name);
  c.source = std::move(source);
  c.arguments = std::move(arguments);
  c.results = std::move(results);
  return c;
}

std::vector<GradientCase> unaryCases() {
  std::vector<GradientCase> cases;
  for (const char *op : {"neg", "abs", "square", "relu", "exp", "expm1", "tanh",
                         "sigmoid", "erf", "sin", "cos", "atan", "reciprocal"})
    cases.push_back(unaryCase(op, Domain::Signed));
  for (const char *op : {"log", "log1p", "sqrt", "rsqrt", "asin", "acos"})
    cases.push_back(unaryCase(op, Domain::Positive));
  return cases;
}

std::vector<GradientCase> binaryCases() {
  std::vector<GradientCase> cases;
  for (const char *op : {"add", "sub", "mul", "maximum", "minimum"})
    cases.push_back(binaryCase(op, Domain::Signed, Domain::Signed));
  cases.push_back(binaryCase("div", Domain::Signed, Domain::Positive));
  cases.push_back(binaryCase("pow", Domain::Positive, Domain::Signed));
  // x mod y for x in [2.2, 2.8], y in [1, 1.05]: away from the jumps.
  GradientCase mod = graphCase(
      "mod", R"mlir(
func.func @f(%x: tensor<3x4xf64>, %y: tensor<1x4xf64>) -> tensor<3x4xf64> {
  %two = kiln.constant dense<2.0> : tensor<f64>
  %quarter = kiln.constant dense<0.0625> : tensor<f64>
  %one = kiln.constant dense<1.0> : tensor<f64>
  %a = kiln.add %x, %two : tensor<3x4xf64>, tensor<f64>
  %s = kiln.mul %y, %quarter : tensor<1x4xf64>, tensor<f64>
  %b = kiln.add %s, %one : tensor<1x4xf64>, tensor<f64>
  %z = kiln.mod %a, %b : tensor<3x4xf64>, tensor<1x4xf64>
  return %z : tensor<3x4xf64>
}
)mlir",
      {{{3, 4}, Domain::Positive}, {{1, 4}, Domain::Positive}}, {{3, 4}});
  cases.push_back(mod);
  cases.push_back(graphCase("select", R"mlir(
func.func @f(%x: tensor<3x4xf64>, %y: tensor<4xf64>) -> tensor<3x4xf64> {
  %c = kiln.gt %x, %y : tensor<3x4xf64>, tensor<4xf64>
  %z = kiln.select %c, %x, %y : tensor<3x4xi1>, tensor<3x4xf64>, tensor<4xf64>
  return %z : tensor<3x4xf64>
}
)mlir",
                            {{{3, 4}}, {{4}}}, {{3, 4}}));
  // Through f32 and back: linear, so a large step is exact.
  GradientCase cast = graphCase("cast", R"mlir(
func.func @f(%x: tensor<5xf64>) -> tensor<5xf64> {
  %a = kiln.cast %x : tensor<5xf64> to tensor<5xf32>
  %b = kiln.cast %a : tensor<5xf32> to tensor<5xf64>
  %c = kiln.mul %b, %x : tensor<5xf64>, tensor<5xf64>
  return %c : tensor<5xf64>
}
)mlir",
                                {{{5}}}, {{5}});
  cast.step = 1e-2;
  // A cast that learns a static extent: the gradient must forget it again.
  cases.push_back(graphCase("cast_refines", R"mlir(
func.func @f(%x: tensor<?xf64>) -> tensor<3xf64> {
  %r = kiln.cast %x : tensor<?xf64> to tensor<3xf64>
  %s = kiln.mul %r, %r : tensor<3xf64>, tensor<3xf64>
  return %s : tensor<3xf64>
}
)mlir",
                            {{{3}}}, {{3}}));
  cast.tolerance = 1e-5;
  cases.push_back(cast);
  return cases;
}

std::vector<GradientCase> reductionCases() {
  std::vector<GradientCase> cases;
  for (const char *op : {"reduce_sum", "reduce_mean", "reduce_prod",
                         "reduce_max", "reduce_min"}) {
    cases.push_back(graphCase(
        op,
        std::string("func.func @f(%x: tensor<2x3x4xf64>, %d: tensor<?x3xf64>) "
                    "-> (tensor<3xf64>, tensor<1x3x1xf64>, tensor<1x3xf64>) {\n"
                    "  %a = kiln.") +
            op +
            " %x {axes = array<i64: 2, 0>} : tensor<2x3x4xf64> -> "
            "tensor<3xf64>\n"
            "  %b = kiln." +
            op +
            " %x {axes = array<i64: 0, 2>, keepdims = true} : "
            "tensor<2x3x4xf64> -> tensor<1x3x1xf64>\n"
            "  %c = kiln." +
            op +
            " %d {axes = array<i64: 0>, keepdims = true} : tensor<?x3xf64> "
            "-> tensor<1x3xf64>\n"
            "  return %a, %b, %c : tensor<3xf64>, tensor<1x3x1xf64>, "
            "tensor<1x3xf64>\n}\n",
        {{{2, 3, 4}}, {{5, 3}}}, {{3}, {1, 3, 1}, {1, 3}}));
  }
  // Over no axes (the identity, also of rank 0) and down to rank 0.
  cases.push_back(graphCase("reduce_no_axes", R"mlir(
func.func @f(%x: tensor<f64>, %y: tensor<4xf64>) -> (tensor<f64>, tensor<4xf64>, tensor<f64>) {
  %a = kiln.reduce_sum %x {axes = array<i64>} : tensor<f64> -> tensor<f64>
  %b = kiln.reduce_prod %y {axes = array<i64>} : tensor<4xf64> -> tensor<4xf64>
  %c = kiln.reduce_mean %y {axes = array<i64: 0>} : tensor<4xf64> -> tensor<f64>
  return %a, %b, %c : tensor<f64>, tensor<4xf64>, tensor<f64>
}
)mlir",
                            {{{}}, {{4}}}, {{}, {4}, {}}));
  return cases;
}

constexpr int64_t kNone = std::numeric_limits<int64_t>::min();

std::vector<GradientCase> dataMovementCases() {
  std::vector<GradientCase> cases;
  cases.push_back(graphCase("transpose", R"mlir(
func.func @f(%x: tensor<2x?x4xf64>) -> tensor<4x2x?xf64> {
  %y = kiln.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x?x4xf64> -> tensor<4x2x?xf64>
  %z = kiln.mul %y, %y : tensor<4x2x?xf64>, tensor<4x2x?xf64>
  return %z : tensor<4x2x?xf64>
}
)mlir",
                            {{{2, 3, 4}}}, {{4, 2, 3}}));
  cases.push_back(graphCase("broadcast_to", R"mlir(
func.func @f(%x: tensor<1x3xf64>) -> tensor<2x4x3xf64> {
  %y = kiln.broadcast_to %x : tensor<1x3xf64> -> tensor<2x4x3xf64>
  return %y : tensor<2x4x3xf64>
}
)mlir",
                            {{{1, 3}}}, {{2, 4, 3}}));
  cases.push_back(graphCase("reshape", R"mlir(
func.func @f(%x: tensor<?x6xf64>) -> tensor<?x3xf64> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %d = tensor.dim %x, %c0 : tensor<?x6xf64>
  %n = arith.muli %d, %c2 : index
  %y = kiln.reshape %x, %n : tensor<?x6xf64> -> tensor<?x3xf64>
  %z = kiln.sin %y : tensor<?x3xf64>
  return %z : tensor<?x3xf64>
}
)mlir",
                            {{{2, 6}}}, {{4, 3}}));
  cases.push_back(graphCase(
      "slice",
      "func.func @f(%x: tensor<?x7xf64>) -> tensor<?x3xf64> {\n"
      "  %s = kiln.slice %x {begin = array<i64: -5, 0>, end = array<i64: " +
          std::to_string(kNone) +
          ", 7>, step = array<i64: 2, 3>} : tensor<?x7xf64> -> "
          "tensor<?x3xf64>\n"
          "  return %s : tensor<?x3xf64>\n}\n",
      {{{6, 7}}}, {{3, 3}}));
  cases.push_back(graphCase("slice_static", R"mlir(
func.func @f(%x: tensor<6x7xf64>) -> tensor<2x5xf64> {
  %s = kiln.slice %x {begin = array<i64: 1, 1>, end = array<i64: -1, 9>, step = array<i64: 3, 1>} : tensor<6x7xf64> -> tensor<2x6xf64>
  %t = kiln.slice %s {begin = array<i64: 0, 0>, end = array<i64: 2, 5>, step = array<i64: 1, 1>} : tensor<2x6xf64> -> tensor<2x5xf64>
  return %t : tensor<2x5xf64>
}
)mlir",
                            {{{6, 7}}}, {{2, 5}}));
  cases.push_back(graphCase("concat", R"mlir(
func.func @f(%a: tensor<2x3xf64>, %b: tensor<2x?xf64>) -> tensor<2x?xf64> {
  %c = kiln.concat %a, %b, %a {axis = 1 : i64} : tensor<2x3xf64>, tensor<2x?xf64>, tensor<2x3xf64> -> tensor<2x?xf64>
  %d = kiln.exp %c : tensor<2x?xf64>
  return %d : tensor<2x?xf64>
}
)mlir",
                            {{{2, 3}}, {{2, 2}}}, {{2, 8}}));
  cases.push_back(graphCase("pad", R"mlir(
func.func @f(%x: tensor<2x3xf64>) -> tensor<3x5xf64> {
  %p = kiln.pad %x {low = array<i64: 1, 0>, high = array<i64: 0, 2>, value = 1.5} : tensor<2x3xf64> -> tensor<3x5xf64>
  %q = kiln.mul %p, %p : tensor<3x5xf64>, tensor<3x5xf64>
  return %q : tensor<3x5xf64>
}
)mlir",
                            {{{2, 3}}}, {{3, 5}}));
  // Repeated indices accumulate; the integer argument takes no gradient.
  cases.push_back(graphCase("take", R"mlir(
func.func @f(%x: tensor<3x4xf64>, %i: tensor<5xi64>) -> tensor<5x4xf64> {
  %y = kiln.take %x, %i {axis = 0 : i64} : tensor<3x4xf64>, tensor<5xi64> -> tensor<5x4xf64>
  return %y : tensor<5x4xf64>
}
)mlir",
                            {{{3, 4}}, {{5}, Domain::Index}}, {{5, 4}}));
  cases.push_back(graphCase("scatter_add", R"mlir(
func.func @f(%d: tensor<4x2xf64>, %i: tensor<5xi64>, %u: tensor<5x2xf64>) -> tensor<4x2xf64> {
  %s = kiln.scatter_add %d, %i, %u {axis = 0 : i64} : tensor<4x2xf64>, tensor<5xi64>, tensor<5x2xf64> -> tensor<4x2xf64>
  %t = kiln.mul %s, %s : tensor<4x2xf64>, tensor<4x2xf64>
  return %t : tensor<4x2xf64>
}
)mlir",
                            {{{4, 2}}, {{5}, Domain::Index}, {{5, 2}}},
                            {{4, 2}}));
  return cases;
}

constexpr const char *kConvolutionAttributes =
    "{strides = array<i64: 2, 1>, padding_low = array<i64: 1, 0>, "
    "padding_high = array<i64: 0, 1>, dilations = array<i64: 1, 2>, "
    "groups = 2 : i64}";
constexpr const char *kPoolAttributes =
    "window = array<i64: 3, 2>, strides = array<i64: 2, 2>, "
    "padding_low = array<i64: 1, 0>, padding_high = array<i64: 0, 1>";

std::vector<GradientCase> contractionCases() {
  std::vector<GradientCase> cases;
  // Batched, the rhs broadcast over the batch.
  cases.push_back(graphCase("matmul", R"mlir(
func.func @f(%a: tensor<2x3x4xf64>, %b: tensor<4x5xf64>) -> tensor<2x3x5xf64> {
  %c = kiln.matmul %a, %b : tensor<2x3x4xf64>, tensor<4x5xf64>
  return %c : tensor<2x3x5xf64>
}
)mlir",
                            {{{2, 3, 4}}, {{4, 5}}}, {{2, 3, 5}}));
  // Input 2x4x5x5, filter 6x2x3x3 (two groups): output 2x6x2x2.
  const std::string attributes = kConvolutionAttributes;
  cases.push_back(graphCase(
      "convolution",
      "func.func @f(%x: tensor<?x4x5x5xf64>, %w: tensor<6x2x3x3xf64>) -> "
      "tensor<?x6x2x2xf64> {\n  %y = kiln.convolution %x, %w " +
          attributes +
          " : tensor<?x4x5x5xf64>, tensor<6x2x3x3xf64> -> tensor<?x6x2x2xf64>\n"
          "  return %y : tensor<?x6x2x2xf64>\n}\n",
      {{{2, 4, 5, 5}}, {{6, 2, 3, 3}}}, {{2, 6, 2, 2}}));
  // With its bias (the library's biased entry point).
  cases.push_back(graphCase(
      "convolution_with_bias",
      "func.func @f(%x: tensor<?x4x5x5xf64>, %w: tensor<6x2x3x3xf64>, "
      "%b: tensor<6xf64>) -> tensor<?x6x2x2xf64> {\n  %y = kiln.convolution "
      "%x, %w, %b " +
          attributes +
          " : tensor<?x4x5x5xf64>, tensor<6x2x3x3xf64>, tensor<6xf64> -> "
          "tensor<?x6x2x2xf64>\n  return %y : tensor<?x6x2x2xf64>\n}\n",
      {{{2, 4, 5, 5}}, {{6, 2, 3, 3}}, {{6}}}, {{2, 6, 2, 2}}));
  cases.push_back(graphCase(
      "convolution_backward_data",
      "func.func @f(%dy: tensor<2x6x2x2xf64>, %w: tensor<6x2x3x3xf64>) -> "
      "tensor<2x4x5x5xf64> {\n  %dx = kiln.convolution_backward_data %dy, %w " +
          attributes +
          " : tensor<2x6x2x2xf64>, tensor<6x2x3x3xf64> -> tensor<2x4x5x5xf64>\n"
          "  return %dx : tensor<2x4x5x5xf64>\n}\n",
      {{{2, 6, 2, 2}}, {{6, 2, 3, 3}}}, {{2, 4, 5, 5}}));
  cases.push_back(graphCase(
      "convolution_backward_filter",
      "func.func @f(%x: tensor<2x4x5x5xf64>, %dy: tensor<2x6x2x2xf64>) -> "
      "tensor<6x2x3x3xf64> {\n  %dw = kiln.convolution_backward_filter %x, "
      "%dy " +
          attributes +
          " : tensor<2x4x5x5xf64>, tensor<2x6x2x2xf64> -> tensor<6x2x3x3xf64>\n"
          "  return %dw : tensor<6x2x3x3xf64>\n}\n",
      {{{2, 4, 5, 5}}, {{2, 6, 2, 2}}}, {{6, 2, 3, 3}}));
  // Input 2x3x6x5: output extents (6+1-3)/2+1 = 3 and (5+1-2)/2+1 = 3.
  const std::string pool = kPoolAttributes;
  for (const char *kind : {"max", "avg"})
    for (const char *includePad : {"true", "false"})
      cases.push_back(graphCase(
          std::string("pool_") + kind + "_" + includePad,
          "func.func @f(%x: tensor<2x3x6x5xf64>) -> tensor<2x3x3x3xf64> {\n"
          "  %y = kiln.pool %x {kind = #kiln<pool_kind " +
              std::string(kind) + ">, " + pool +
              ", count_include_pad = " + includePad +
              "} : tensor<2x3x6x5xf64> -> tensor<2x3x3x3xf64>\n"
              "  return %y : tensor<2x3x3x3xf64>\n}\n",
          {{{2, 3, 6, 5}}}, {{2, 3, 3, 3}}));
  // Average pooling's backward is linear in the output gradient: its own
  // gradient is average pooling.
  cases.push_back(graphCase(
      "pool_backward_avg",
      "func.func @f(%x: tensor<2x3x6x5xf64>, %dy: tensor<2x3x3x3xf64>) -> "
      "tensor<2x3x6x5xf64> {\n  %dx = kiln.pool_backward %x, %dy {kind = "
      "#kiln<pool_kind avg>, " +
          pool +
          ", count_include_pad = false} : tensor<2x3x6x5xf64>, "
          "tensor<2x3x3x3xf64> -> tensor<2x3x6x5xf64>\n"
          "  return %dx : tensor<2x3x6x5xf64>\n}\n",
      {{{2, 3, 6, 5}}, {{2, 3, 3, 3}}}, {{2, 3, 6, 5}}));
  return cases;
}

/// A small network: the gradient of a softmax cross-entropy through a
/// dense layer, every rule composed.
std::vector<GradientCase> compositeCases() {
  return {graphCase("softmax_cross_entropy", R"mlir(
func.func @f(%x: tensor<?x4xf64>, %w: tensor<4x3xf64>, %b: tensor<3xf64>, %label: tensor<?x1xi64>) -> tensor<f64> {
  %h = kiln.matmul %x, %w : tensor<?x4xf64>, tensor<4x3xf64>
  %z = kiln.add %h, %b : tensor<?x3xf64>, tensor<3xf64>
  %m = kiln.reduce_max %z {axes = array<i64: 1>, keepdims = true} : tensor<?x3xf64> -> tensor<?x1xf64>
  %s = kiln.sub %z, %m : tensor<?x3xf64>, tensor<?x1xf64>
  %e = kiln.exp %s : tensor<?x3xf64>
  %t = kiln.reduce_sum %e {axes = array<i64: 1>, keepdims = true} : tensor<?x3xf64> -> tensor<?x1xf64>
  %l = kiln.log %t : tensor<?x1xf64>
  %p = kiln.sub %s, %l : tensor<?x3xf64>, tensor<?x1xf64>
  %iota = kiln.iota {dimension = 0 : i64} : tensor<3xi64>
  %c = kiln.eq %label, %iota : tensor<?x1xi64>, tensor<3xi64>
  %oh = kiln.cast %c : tensor<?x3xi1> to tensor<?x3xf64>
  %lp = kiln.mul %p, %oh : tensor<?x3xf64>, tensor<?x3xf64>
  %n = kiln.reduce_mean %lp {axes = array<i64: 0, 1>} : tensor<?x3xf64> -> tensor<f64>
  %loss = kiln.neg %n : tensor<f64>
  return %loss : tensor<f64>
}
)mlir",
                    {{{5, 4}}, {{4, 3}}, {{3}}, {{5, 1}, Domain::Index}},
                    {{}})};
}

std::string caseName(const ::testing::TestParamInfo<GradientCase> &info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Unary, PrimitiveGradient,
                         ::testing::ValuesIn(unaryCases()), caseName);
INSTANTIATE_TEST_SUITE_P(Binary, PrimitiveGradient,
                         ::testing::ValuesIn(binaryCases()), caseName);
INSTANTIATE_TEST_SUITE_P(Reduction, PrimitiveGradient,
                         ::testing::ValuesIn(reductionCases()), caseName);
INSTANTIATE_TEST_SUITE_P(DataMovement, PrimitiveGradient,
                         ::testing::ValuesIn(dataMovementCases()), caseName);
INSTANTIATE_TEST_SUITE_P(Contraction, PrimitiveGradient,
                         ::testing::ValuesIn(contractionCases()), caseName);
INSTANTIATE_TEST_SUITE_P(Composite, PrimitiveGradient,
                         ::testing::ValuesIn(compositeCases()), caseName);

TEST(Autodiff, EveryDifferentiablePrimitiveIsChecked) {
  std::string sources;
  for (const auto &cases : {unaryCases(), binaryCases(), reductionCases(),
                            dataMovementCases(), contractionCases()})
    for (const GradientCase &c : cases)
      sources += c.source;
  for (const PrimitiveInfo &primitive : primitives())
    if (primitive.differentiable)
      EXPECT_NE(sources.find("kiln." + primitive.name + " "), std::string::npos)
          << "no numeric gradient check of kiln." << primitive.name;
}

TEST(Autodiff, TheGradientFunctionIsNamedAndMarked) {
  const std::string gradient = gradientSource(R"mlir(
func.func @loss(%x: tensor<?xf32>, %i: tensor<?xi32>) -> (tensor<?xf32>, tensor<?xi32>) {
  %y = kiln.tanh %x : tensor<?xf32>
  return %y, %i : tensor<?xf32>, tensor<?xi32>
}
)mlir");
  expectContains(gradient, "func.func @loss_grad(%arg0: tensor<?xf32>, %arg1: "
                           "tensor<?xi32>, %arg2: tensor<?xf32>)");
  expectContains(gradient, "kiln.gradient_of = array<i64: 0>");
  expectContains(gradient, "-> (tensor<?xf32>, tensor<?xi32>, tensor<?xf32>)");
}

TEST(Autodiff, AnArgumentNoResultReachesGetsZeros) {
  KernelCache cache("");
  KernelEntryFn backward = cache.getGraph(gradientSource(R"mlir(
func.func @f(%x: tensor<3xf64>, %unused: tensor<2xf64>) -> tensor<3xf64> {
  %y = kiln.floor %x : tensor<3xf64>
  return %y : tensor<3xf64>
}
)mlir"));
  Tensor x = Tensor::empty({3}, DType::Float64),
         unused = Tensor::empty({2}, DType::Float64),
         cotangent = Tensor::empty({3}, DType::Float64),
         y = Tensor::empty({3}, DType::Float64),
         dx = Tensor::empty({3}, DType::Float64),
         dunused = Tensor::empty({2}, DType::Float64);
  for (int64_t i = 0; i < 3; ++i) {
    store(x, i, 1.5 + i);
    store(cotangent, i, 1);
    store(dx, i, 99);
  }
  store(dunused, 0, 99);
  store(dunused, 1, 99);
  invokeKernel(backward, {x, unused, cotangent, y, dx, dunused});
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(load(y, i), std::floor(1.5 + i));
    EXPECT_EQ(load(dx, i), 0) << "floor has no gradient, as in MXNet";
  }
  EXPECT_EQ(load(dunused, 0), 0);
  EXPECT_EQ(load(dunused, 1), 0);
}

TEST(Autodiff, GradReqAddSumsAndNullSkips) {
  // y = w * s + b with grad_req w: write, b: add, s: null.
  constexpr const char *kAffine = R"mlir(
func.func @affine(%w: tensor<?xf64>, %b: tensor<?xf64>, %s: tensor<?xf64>) -> tensor<?xf64> {
  %ws = kiln.mul %w, %s : tensor<?xf64>, tensor<?xf64>
  %y = kiln.add %ws, %b : tensor<?xf64>, tensor<?xf64>
  return %y : tensor<?xf64>
}
)mlir";
  KernelCache cache("");
  KernelEntryFn backward =
      cache.getGraph(gradientSource(kAffine, {"write", "add", "null"}));
  const int64_t n = 5;
  auto filled = [&](double scale) {
    Tensor t = Tensor::empty({n}, DType::Float64);
    for (int64_t i = 0; i < n; ++i)
      store(t, i, scale * (i + 1));
    return t;
  };
  Tensor w = filled(1), b = filled(10), s = filled(-2), dy = filled(0.5),
         bSoFar = filled(100);
  Tensor y = filled(0), dw = filled(0), db = filled(0);
  invokeKernel(backward, {w, b, s, dy, bSoFar, y, dw, db});
  for (int64_t i = 0; i < n; ++i) {
    const double k = i + 1;
    EXPECT_EQ(load(y, i), k * (-2 * k) + 10 * k);
    EXPECT_EQ(load(dw, i), 0.5 * k * (-2 * k)) << "dy * s";
    EXPECT_EQ(load(db, i), 100 * k + 0.5 * k) << "the gradient so far + dy";
  }
}

void expectError(const std::string &source, const std::string &message,
                 const std::vector<std::string> &gradReq = {}) {
  try {
    gradientSource(source, gradReq);
    ADD_FAILURE() << "no error; expected one containing '" << message << "'";
  } catch (const Error &e) {
    expectContains(e.what(), message);
  }
}

TEST(Autodiff, BadGraphsRaise) {
  expectError("func.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {",
              "autodiff: cannot parse the graph");
  expectError(R"mlir(
func.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  return %x : tensor<3xf32>
}
func.func @g(%x: tensor<3xf32>) -> tensor<3xf32> {
  return %x : tensor<3xf32>
}
)mlir",
              "a graph is one function with a body; got 2 functions");
  // Max pooling's backward has no gradient (nor in MXNet 1.9.1).
  expectError(R"mlir(
func.func @f(%x: tensor<1x1x4x4xf32>, %dy: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %dx = kiln.pool_backward %x, %dy {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  return %dx : tensor<1x1x4x4xf32>
}
)mlir",
              "has no gradient for max pooling");
  // An op of another dialect on the gradient path.
  expectError(R"mlir(
func.func @f(%x: tensor<3xf32>) -> tensor<2xf32> {
  %s = tensor.extract_slice %x[0] [2] [1] : tensor<3xf32> to tensor<2xf32>
  return %s : tensor<2xf32>
}
)mlir",
              "'tensor.extract_slice' op has no gradient rule");
  expectError("func.func @f(%x: tensor<3xf32>, %i: tensor<3xi32>) -> "
              "tensor<3xf32> {\n  return %x : tensor<3xf32>\n}\n",
              "kiln.grad_req of argument 1 is \"add\", but 'tensor<3xi32>' "
              "takes no gradient",
              {"write", "add"});
  // Only straight-line functions.
  expectError(R"mlir(
func.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %e = tensor.empty() : tensor<3xf32>
  %c = linalg.copy ins(%x : tensor<3xf32>) outs(%e : tensor<3xf32>) -> tensor<3xf32>
  return %c : tensor<3xf32>
}
)mlir",
              "'linalg.copy' op has regions");
}

} // namespace
} // namespace compiler
} // namespace kiln
