// Every elementwise primitive x every dtype it takes, compiled through the
// whole pipeline and run on random inputs, against a reference computed here
// in double precision: rank 0 to 6, empty tensors, broadcasting, and strided
// (transposed, sliced) views.
#include "tests/compiler/TestTensors.h"

#include "compiler/KernelCache.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>

namespace kiln {
namespace compiler {
namespace {

using namespace testing_support;

//===----------------------------------------------------------------------===//
// The reference semantics
//===----------------------------------------------------------------------===//

/// Python's modulo with MXNet's x mod 0 = 0.
double pythonMod(double x, double y, bool integer) {
  if (y == 0 || (integer && y == -1))
    return 0;
  double r = integer ? static_cast<double>(static_cast<int64_t>(x) %
                                           static_cast<int64_t>(y))
                     : std::fmod(x, y);
  if (r != 0 && ((r < 0) != (y < 0)))
    r += y;
  return r;
}

/// MXNet 1.9.1's integer power, as the kernel computes it: powf, then x86's
/// truncating conversion (the lowest int32, or int64 for int64, where the
/// power does not fit or is infinite; 8-bit types keep the low byte of that
/// int32).
double integerPower(double base, double exponent, DType dtype) {
  const float power =
      std::pow(static_cast<float>(base), static_cast<float>(exponent));
  if (dtype == DType::Int64)
    return power >= -9223372036854775808.0f && power < 9223372036854775808.0f
               ? static_cast<double>(static_cast<int64_t>(power))
               : static_cast<double>(std::numeric_limits<int64_t>::min());
  const int32_t wide = power >= -2147483648.0f && power < 2147483648.0f
                           ? static_cast<int32_t>(power)
                           : std::numeric_limits<int32_t>::min();
  if (dtype == DType::UInt8)
    return static_cast<uint8_t>(wide);
  if (dtype == DType::Int8)
    return static_cast<int8_t>(wide);
  return wide;
}

using Reference = std::function<double(const std::vector<double> &, DType)>;

const std::map<std::string, Reference> &references() {
  auto nanToZero = [](double x, double v) { return std::isnan(x) ? 0 : v; };
  static const std::map<std::string, Reference> table = {
      {"neg", [](auto &x, DType) { return -x[0]; }},
      {"abs", [](auto &x, DType) { return std::fabs(x[0]); }},
      {"sign",
       [=](auto &x, DType) {
         return nanToZero(x[0], x[0] > 0 ? 1 : x[0] < 0 ? -1 : 0);
       }},
      {"square", [](auto &x, DType) { return x[0] * x[0]; }},
      {"relu", [](auto &x, DType) { return x[0] > 0 ? x[0] : 0; }},
      {"exp", [](auto &x, DType) { return std::exp(x[0]); }},
      {"expm1", [](auto &x, DType) { return std::expm1(x[0]); }},
      {"log", [](auto &x, DType) { return std::log(x[0]); }},
      {"log1p", [](auto &x, DType) { return std::log1p(x[0]); }},
      {"sqrt", [](auto &x, DType) { return std::sqrt(x[0]); }},
      {"rsqrt", [](auto &x, DType) { return 1 / std::sqrt(x[0]); }},
      {"tanh", [](auto &x, DType) { return std::tanh(x[0]); }},
      {"sigmoid", [](auto &x, DType) { return 1 / (1 + std::exp(-x[0])); }},
      {"erf", [](auto &x, DType) { return std::erf(x[0]); }},
      {"sin", [](auto &x, DType) { return std::sin(x[0]); }},
      {"cos", [](auto &x, DType) { return std::cos(x[0]); }},
      {"floor", [](auto &x, DType) { return std::floor(x[0]); }},
      {"ceil", [](auto &x, DType) { return std::ceil(x[0]); }},
      {"round", [](auto &x, DType) { return std::round(x[0]); }},
      {"reciprocal", [](auto &x, DType) { return 1 / x[0]; }},
      {"logical_not", [](auto &x, DType) { return x[0] == 0 ? 1.0 : 0.0; }},
      {"add",
       [](auto &x, DType t) {
         return t == DType::Bool ? double(x[0] || x[1]) : x[0] + x[1];
       }},
      {"sub", [](auto &x, DType) { return x[0] - x[1]; }},
      {"mul",
       [](auto &x, DType t) {
         return t == DType::Bool ? double(x[0] && x[1]) : x[0] * x[1];
       }},
      {"div",
       [](auto &x, DType t) {
         if (isFloat(t))
           return x[0] / x[1];
         if (x[1] == 0)
           return 0.0;
         return std::trunc(x[0] / x[1]);
       }},
      {"pow",
       [](auto &x, DType t) {
         return isFloat(t) ? std::pow(x[0], x[1]) : integerPower(x[0], x[1], t);
       }},
      {"maximum",
       [](auto &x, DType) {
         return std::isnan(x[0]) || std::isnan(x[1]) ? NAN
                                                     : std::max(x[0], x[1]);
       }},
      {"minimum",
       [](auto &x, DType) {
         return std::isnan(x[0]) || std::isnan(x[1]) ? NAN
                                                     : std::min(x[0], x[1]);
       }},
      {"mod",
       [](auto &x, DType t) { return pythonMod(x[0], x[1], !isFloat(t)); }},
      {"eq", [](auto &x, DType) { return double(x[0] == x[1]); }},
      {"ne", [](auto &x, DType) { return double(x[0] != x[1]); }},
      {"lt", [](auto &x, DType) { return double(x[0] < x[1]); }},
      {"le", [](auto &x, DType) { return double(x[0] <= x[1]); }},
      {"gt", [](auto &x, DType) { return double(x[0] > x[1]); }},
      {"ge", [](auto &x, DType) { return double(x[0] >= x[1]); }},
      {"logical_and",
       [](auto &x, DType) { return double(x[0] != 0 && x[1] != 0); }},
      {"logical_or",
       [](auto &x, DType) { return double(x[0] != 0 || x[1] != 0); }},
      {"logical_xor",
       [](auto &x, DType) { return double((x[0] != 0) != (x[1] != 0)); }},
      {"select", [](auto &x, DType) { return x[0] != 0 ? x[1] : x[2]; }},
  };
  return table;
}

bool isComparisonOrLogical(const std::string &name) {
  return name == "eq" || name == "ne" || name == "lt" || name == "le" ||
         name == "gt" || name == "ge" || name == "logical_and" ||
         name == "logical_or" || name == "logical_xor";
}

bool isTranscendental(const std::string &name) {
  return name == "exp" || name == "expm1" || name == "log" || name == "log1p" ||
         name == "tanh" || name == "sigmoid" || name == "erf" ||
         name == "sin" || name == "cos" || name == "pow" || name == "sqrt" ||
         name == "rsqrt";
}

/// Random inputs inside the primitive's domain, with the awkward values
/// (zeros, halves, -1 divisors) included.
double randomInput(const std::string &op, DType dtype, int operand,
                   std::mt19937 &random) {
  std::uniform_real_distribution<double> unit(0, 1);
  auto uniform = [&](double lo, double hi) {
    return lo + (hi - lo) * unit(random);
  };
  if (dtype == DType::Bool)
    return random() % 2;
  if (!isFloat(dtype)) {
    if (op == "pow")
      return operand == 0
                 ? static_cast<double>(static_cast<int>(random() % 11) - 5)
                 : static_cast<double>(static_cast<int>(random() % 9) - 2);
    if ((op == "div" || op == "mod") && operand == 1)
      return static_cast<double>(static_cast<int>(random() % 11) - 5);
    const int range = dtype == DType::Int8 ? 11 : 201;
    return static_cast<double>(static_cast<int>(random() % range) - range / 2);
  }
  if (op == "log" || op == "sqrt" || op == "rsqrt")
    return uniform(1e-3, 100);
  if (op == "log1p")
    return uniform(-0.9, 10);
  if (op == "exp" || op == "expm1" || op == "sigmoid")
    return uniform(-20, 20);
  if (op == "pow")
    return operand == 0 ? uniform(0.1, 4) : uniform(-3, 3);
  if (op == "erf")
    return uniform(-3, 3);
  if (op == "round" || op == "floor" || op == "ceil")
    return std::round(uniform(-20, 20) * 2) / 2 + (random() % 2 ? 0.25 : 0);
  if ((op == "div" || op == "mod" || op == "reciprocal") &&
      operand == (op == "reciprocal" ? 0 : 1)) {
    const double magnitude = uniform(0.5, 8);
    return random() % 2 ? magnitude : -magnitude;
  }
  if (random() % 16 == 0)
    return 0;
  return uniform(-10, 10);
}

//===----------------------------------------------------------------------===//
// Running a kernel and comparing
//===----------------------------------------------------------------------===//

uint32_t unitDimsOf(const Shape &shape) {
  uint32_t mask = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] == 1)
      mask |= 1u << d;
  return mask;
}

Shape broadcastShape(const std::vector<Shape> &shapes) {
  size_t rank = 0;
  for (const Shape &shape : shapes)
    rank = std::max(rank, shape.size());
  Shape result(rank, 1);
  for (const Shape &shape : shapes)
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t &extent = result[rank - shape.size() + d];
      if (shape[d] != 1)
        extent = shape[d];
    }
  return result;
}

Tensor randomTensor(const Shape &shape, DType dtype, const std::string &op,
                    int operand, std::mt19937 &random) {
  Tensor tensor = Tensor::empty(shape, dtype);
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    store(tensor, i, randomInput(op, dtype, operand, random));
  return tensor;
}

/// A transposed copy's view: same values as `tensor` seen through a
/// non-contiguous layout (rank >= 2).
Tensor transposedView(const Tensor &tensor) {
  Shape flipped = tensor.shape();
  std::swap(flipped[0], flipped[1]);
  Tensor storage = Tensor::empty(flipped, tensor.dtype());
  Shape strides = contiguousStrides(flipped);
  Shape viewStrides = strides;
  std::swap(viewStrides[0], viewStrides[1]);
  Tensor view = storage.strided(tensor.shape(), viewStrides, 0);
  Shape index(tensor.rank(), 0);
  for (int64_t n = 0; n < tensor.numElements(); ++n) {
    store(view, broadcastOffset(view, index),
          load(tensor, broadcastOffset(tensor, index)));
    for (int64_t d = tensor.rank() - 1; d >= 0; --d) {
      if (++index[d] < tensor.shape()[d])
        break;
      index[d] = 0;
    }
  }
  return view;
}

struct Case {
  std::string op;
  std::vector<DType> inputTypes;
  DType outputType;
  std::vector<Shape> shapes;
  bool transposeFirst = false;
};

void runCase(const Case &c, KernelCache &cache) {
  SCOPED_TRACE(c.op + " " + dtypeName(c.inputTypes.back()));
  std::mt19937 random(std::hash<std::string>()(c.op) + c.shapes.size());
  std::vector<Tensor> inputs;
  KernelSignature signature{c.op, {}, {}};
  for (size_t i = 0; i < c.shapes.size(); ++i) {
    Tensor input = randomTensor(c.shapes[i], c.inputTypes[i], c.op,
                                static_cast<int>(i), random);
    if (i == 0 && c.transposeFirst && input.rank() >= 2)
      input = transposedView(input);
    inputs.push_back(input);
    signature.inputs.push_back(
        {c.inputTypes[i], input.rank(), unitDimsOf(c.shapes[i])});
  }
  const Shape outShape = broadcastShape(c.shapes);
  Tensor out = Tensor::empty(outShape, c.outputType);
  signature.outputs.push_back(
      {c.outputType, static_cast<int64_t>(outShape.size())});
  std::vector<Tensor> arguments = inputs;
  arguments.push_back(out);
  invokeElementwiseKernel(cache.get(signature), arguments);

  const Reference &reference = references().at(c.op);
  const DType computeType = c.inputTypes.back();
  Shape index(outShape.size(), 0);
  for (int64_t n = 0; n < out.numElements(); ++n) {
    std::vector<double> x;
    for (const Tensor &input : inputs)
      x.push_back(load(input, broadcastOffset(input, index)));
    const double expected = roundTo(c.outputType, reference(x, computeType));
    const double got = load(out, broadcastOffset(out, index));
    std::string where = "at flat index " + std::to_string(n) + ", inputs";
    for (double v : x)
      where += " " + std::to_string(v);
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(got)) << where << ": got " << got;
    } else if (!isFloat(c.outputType) || std::isinf(expected)) {
      ASSERT_EQ(got, expected) << where;
    } else {
      // f32: within 1e-6 relative for math, ~1 ulp for arithmetic; f16 and
      // bf16 are computed in f32 and rounded, so within an ulp of theirs.
      double relative = c.outputType == DType::Float64    ? 1e-13
                        : c.outputType == DType::Float16  ? 2e-3
                        : c.outputType == DType::BFloat16 ? 8e-3
                        : isTranscendental(c.op)          ? 1e-6
                                                          : 2e-7;
      const double tolerance =
          relative * std::fabs(expected) +
          (c.outputType == DType::Float32 ? 1e-7 : relative * 1e-3);
      ASSERT_NEAR(got, expected, tolerance) << where;
    }
    for (int64_t d = static_cast<int64_t>(outShape.size()) - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
}

const std::vector<std::string> kFloatUnary = {
    "neg", "abs",   "sign",  "square", "relu",  "exp",        "expm1",
    "log", "log1p", "sqrt",  "rsqrt",  "tanh",  "sigmoid",    "erf",
    "sin", "cos",   "floor", "ceil",   "round", "reciprocal", "logical_not"};
const std::vector<std::string> kIntegerUnary = {
    "neg", "abs", "sign", "square", "relu", "logical_not"};
const std::vector<std::string> kBinary = {
    "add",     "sub", "mul",         "div",        "pow",        "maximum",
    "minimum", "mod", "eq",          "ne",         "lt",         "le",
    "gt",      "ge",  "logical_and", "logical_or", "logical_xor"};
const std::vector<std::string> kBoolBinary = {
    "add", "mul", "maximum", "minimum",     "eq",         "ne",         "lt",
    "le",  "gt",  "ge",      "logical_and", "logical_or", "logical_xor"};

DType binaryResultType(const std::string &op, DType input) {
  return isComparisonOrLogical(op) ? DType::Bool : input;
}

// One kernel per (op, dtype, rank, broadcast pattern): the shapes below are
// chosen to cover rank 0, empty, rank 6, broadcasting and views while keeping
// the number of compilations modest.
const std::vector<std::vector<Shape>> kUnaryShapes = {
    {{}}, {{0}}, {{257}}, {{6, 9}}, {{2, 1, 3, 1, 2, 3}}};
const std::vector<std::vector<Shape>> kBinaryShapes = {
    {{}, {}},                                 // rank 0
    {{33}, {33}},                             // same shape
    {{4, 1, 3}, {5, 1}},                      // both broadcast, ranks differ
    {{7, 5}, {}},                             // a scalar operand
    {{0, 3}, {1, 3}},                         // empty
    {{2, 1, 3, 1, 2, 3}, {2, 4, 3, 5, 2, 3}}, // rank 6
};

TEST(Elementwise, UnaryFloat32EveryShape) {
  KernelCache cache;
  for (const std::string &op : kFloatUnary)
    for (const auto &shapes : kUnaryShapes)
      runCase({op, {DType::Float32}, DType::Float32, shapes}, cache);
}

TEST(Elementwise, UnaryOtherDTypes) {
  KernelCache cache;
  for (DType dtype : {DType::Float64, DType::Float16, DType::BFloat16})
    for (const std::string &op : kFloatUnary)
      runCase({op, {dtype}, dtype, {{5, 41}}, /*transposeFirst=*/true}, cache);
  for (DType dtype : {DType::Int8, DType::UInt8, DType::Int32, DType::Int64})
    for (const std::string &op : kIntegerUnary)
      runCase({op, {dtype}, dtype, {{5, 41}}, true}, cache);
  runCase({"logical_not", {DType::Bool}, DType::Bool, {{64}}}, cache);
}

TEST(Elementwise, BinaryFloat32EveryShape) {
  KernelCache cache;
  for (const std::string &op : kBinary)
    for (const auto &shapes : kBinaryShapes)
      runCase({op,
               {DType::Float32, DType::Float32},
               binaryResultType(op, DType::Float32),
               shapes},
              cache);
}

TEST(Elementwise, BinaryOtherDTypes) {
  KernelCache cache;
  const std::vector<Shape> shapes = {{6, 1, 7}, {6, 5, 7}};
  for (DType dtype : {DType::Float64, DType::Float16, DType::BFloat16,
                      DType::Int8, DType::UInt8, DType::Int32, DType::Int64})
    for (const std::string &op : kBinary)
      runCase({op, {dtype, dtype}, binaryResultType(op, dtype), shapes, true},
              cache);
  for (const std::string &op : kBoolBinary)
    runCase({op, {DType::Bool, DType::Bool}, DType::Bool, shapes}, cache);
}

TEST(Elementwise, LargeOutputsComputedInParallelSlices) {
  KernelCache cache;
  // Above kParallelElementwiseThreshold: sliced along the first dimension,
  // with a broadcast operand and a transposed one.
  for (const char *op : {"exp", "sub", "maximum"}) {
    const bool unary = std::string(op) == "exp";
    std::vector<Shape> shapes = {{600, 130}};
    std::vector<DType> types = {DType::Float32};
    if (!unary) {
      shapes.push_back({130});
      types.push_back(DType::Float32);
    }
    runCase({op, types, DType::Float32, shapes, /*transposeFirst=*/true},
            cache);
  }
}

TEST(Elementwise, SelectBroadcastsAllThree) {
  KernelCache cache;
  for (DType dtype : {DType::Float32, DType::Int64, DType::Float16})
    runCase({"select",
             {DType::Bool, dtype, dtype},
             dtype,
             {{4, 1}, {4, 3}, {3}},
             /*transposeFirst=*/false},
            cache);
}

TEST(Elementwise, CastBetweenEveryPair) {
  KernelCache cache;
  const std::vector<DType> types = {
      DType::Float32, DType::Float64, DType::Float16, DType::BFloat16,
      DType::Int8,    DType::Int32,   DType::Int64,   DType::Bool};
  for (DType from : types)
    for (DType to : types) {
      SCOPED_TRACE(dtypeName(from) + " -> " + dtypeName(to));
      std::mt19937 random(static_cast<int>(from) * 31 + static_cast<int>(to));
      Tensor in = Tensor::empty({100}, from);
      for (int64_t i = 0; i < 100; ++i)
        store(in, i,
              from == DType::Bool ? random() % 2
                                  : std::round(std::uniform_real_distribution<>(
                                                   -100, 100)(random) *
                                               4) /
                                        4);
      Tensor out = Tensor::empty({100}, to);
      invokeKernel(cache.get({"cast", {{from, 1}}, {{to, 1}}}), {in, out});
      for (int64_t i = 0; i < 100; ++i) {
        const double x = load(in, i);
        // Floats to integers truncate toward zero, as numpy's astype.
        const double truncated =
            isFloat(from) && !isFloat(to) && to != DType::Bool ? std::trunc(x)
                                                               : x;
        ASSERT_EQ(load(out, i), roundTo(to, truncated)) << "from " << x;
      }
    }
}

TEST(Elementwise, IntegerDivisionNeverTraps) {
  KernelCache cache;
  Tensor x = Tensor::empty({4}, DType::Int32),
         y = Tensor::empty({4}, DType::Int32);
  const int32_t xs[] = {std::numeric_limits<int32_t>::min(), 7, -7, 5};
  const int32_t ys[] = {-1, 0, 2, -1};
  std::memcpy(x.data(), xs, sizeof xs);
  std::memcpy(y.data(), ys, sizeof ys);
  for (const char *op : {"div", "mod"}) {
    Tensor out = Tensor::empty({4}, DType::Int32);
    invokeKernel(
        cache.get(
            {op, {{DType::Int32, 1}, {DType::Int32, 1}}, {{DType::Int32, 1}}}),
        {x, y, out});
    const int32_t *got = static_cast<const int32_t *>(out.data());
    if (std::string(op) == "div") {
      EXPECT_EQ(got[0], std::numeric_limits<int32_t>::min()); // wraps
      EXPECT_EQ(got[1], 0);
      EXPECT_EQ(got[2], -3);
      EXPECT_EQ(got[3], -5);
    } else {
      EXPECT_EQ(got[0], 0);
      EXPECT_EQ(got[1], 0);
      EXPECT_EQ(got[2], 1); // Python: -7 mod 2 == 1
      EXPECT_EQ(got[3], 0);
    }
  }
}

TEST(Elementwise, WrongElementTypeIsAnErrorWithTheVerifierMessage) {
  KernelCache cache;
  try {
    cache.get({"exp", {{DType::Int32, 1}}, {{DType::Int32, 1}}});
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("kiln.exp"), std::string::npos) << message;
    EXPECT_NE(message.find("tensor<?xi32>"), std::string::npos) << message;
  }
  EXPECT_THROW(
      cache.get(
          {"sub", {{DType::Bool, 1}, {DType::Bool, 1}}, {{DType::Bool, 1}}}),
      Error);
  EXPECT_THROW(
      cache.get(
          {"select",
           {{DType::Float32, 1}, {DType::Float32, 1}, {DType::Float32, 1}},
           {{DType::Float32, 1}}}),
      Error)
      << "select's condition must be bool";
  EXPECT_THROW(cache.get({"add",
                          {{DType::Float32, 17}, {DType::Float32, 17}},
                          {{DType::Float32, 17}}}),
               Error)
      << "rank beyond the maximum";
}

TEST(Elementwise, BroadcastPatternIsPartOfTheSignature) {
  KernelSignature plain{
      "add", {{DType::Float32, 2}, {DType::Float32, 2}}, {{DType::Float32, 2}}};
  KernelSignature broadcast = plain;
  broadcast.inputs[1].unitDims = 0b01;
  EXPECT_EQ(plain.key(), "add(float32[?,?],float32[?,?])->(float32[?,?])");
  EXPECT_EQ(broadcast.key(),
            "add(float32[?,?],float32[1,?])->(float32[?,?])");
}

// A rank-1 operand of extent 1 broadcasts; one of another extent does not.
// Their keys once were both float32[1], so the cache handed x - [1, 2, 3]
// the kernel compiled for x - [1].
TEST(Elementwise, RankOneBroadcastAndPlainHaveDistinctKernels) {
  KernelSignature plain{
      "sub", {{DType::Float32, 1}, {DType::Float32, 1}}, {{DType::Float32, 1}}};
  KernelSignature broadcast = plain;
  broadcast.inputs[1].unitDims = 0b1;
  EXPECT_NE(plain.key(), broadcast.key());
  KernelCache &cache = KernelCache::global();
  KernelEntryFn broadcastKernel = cache.get(broadcast);
  KernelEntryFn plainKernel = cache.get(plain);
  EXPECT_NE(broadcastKernel, plainKernel);
  auto filled = [](std::vector<float> values) {
    Tensor tensor = Tensor::empty({static_cast<int64_t>(values.size())},
                                  DType::Float32);
    std::memcpy(tensor.data(), values.data(), values.size() * sizeof(float));
    return tensor;
  };
  Tensor x = filled({5, 7, 9}), one = filled({1}), y = filled({1, 2, 3});
  Tensor out = Tensor::empty({3}, DType::Float32);
  invokeElementwiseKernel(broadcastKernel, {x, one, out});
  const float *result = static_cast<const float *>(out.data());
  EXPECT_EQ(std::vector<float>(result, result + 3), (std::vector<float>{4, 6, 8}));
  invokeElementwiseKernel(plainKernel, {x, y, out});
  EXPECT_EQ(std::vector<float>(result, result + 3), (std::vector<float>{4, 5, 6}));
}

} // namespace
} // namespace compiler
} // namespace kiln
