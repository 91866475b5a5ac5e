// The graph construction API (compiler/GraphBuilder.h): its text against
// the real parser and verifier (every primitive and dtype the builder takes
// verifies, every one it refuses does not), graphs compiled through
// KernelCache giving the right numbers, NaN and infinite literals, and each
// mistake as a kiln::Error at the call that makes it.
#include "tests/compiler/TestTensors.h"

#include "compiler/GraphBuilder.h"
#include "compiler/KernelCache.h"
#include "compiler/Primitives.h"
#include "compiler/Registration.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <set>

namespace kiln {
namespace compiler {
namespace {

using namespace testing_support;

const DType kAllDTypes[] = {DType::Float32,  DType::Float64, DType::Float16,
                            DType::BFloat16, DType::Int8,    DType::UInt8,
                            DType::Int32,    DType::Int64,   DType::Bool};

/// Parses and verifies `source` as the compiler's context does; the
/// diagnostics when it fails, else empty.
std::string verifyText(const std::string &source) {
  static mlir::MLIRContext *context = [] {
    mlir::DialectRegistry registry;
    mlir::kiln::registerCompilerDialects(registry);
    auto *created =
        new mlir::MLIRContext(registry, mlir::MLIRContext::Threading::DISABLED);
    created->loadAllAvailableDialects();
    return created;
  }();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(context, [&](mlir::Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, context);
  if (!module)
    return "parse: " + diagnostics;
  if (mlir::failed(mlir::verify(*module)))
    return "verify: " + diagnostics;
  return "";
}

/// Builds a graph with `build` (which returns its result); says whether
/// the builder took it, and if so expects its text to verify.
bool builds(const std::function<Value(Graph &)> &build, std::string *why) {
  Graph graph("g");
  try {
    graph.result(build(graph));
  } catch (const Error &error) {
    *why = error.what();
    return false;
  }
  const std::string source = graph.source();
  const std::string diagnostics = verifyText(source);
  EXPECT_EQ(diagnostics, "") << source;
  return true;
}

/// Whether the dialect takes `text` (a whole function).
bool dialectTakes(const std::string &text) { return verifyText(text).empty(); }

std::string typeOf(DType dtype, const char *dims) {
  return std::string("tensor<") + dims + mlirElementType(dtype) + ">";
}

TEST(GraphBuilder, EnumsCoverTheDialectsElementwisePrimitives) {
  std::set<std::string> named;
  for (int op = 0; op <= static_cast<int>(Unary::LogicalNot); ++op)
    EXPECT_TRUE(named.insert(primitiveName(static_cast<Unary>(op))).second);
  for (int op = 0; op <= static_cast<int>(Binary::LogicalXor); ++op)
    EXPECT_TRUE(named.insert(primitiveName(static_cast<Binary>(op))).second);
  for (const std::string &name : named)
    EXPECT_TRUE(primitive(name).elementwise) << name;
  for (const PrimitiveInfo &info : primitives())
    if (info.elementwise && info.name != "select" && info.name != "cast")
      EXPECT_TRUE(named.count(info.name))
          << "kiln." << info.name << " has no Unary or Binary enum value";
  for (int op = 0; op <= static_cast<int>(Reduction::Min); ++op)
    EXPECT_FALSE(
        primitive(primitiveName(static_cast<Reduction>(op))).elementwise);
}

// For every unary primitive and dtype: the builder takes it exactly when the
// dialect's verifier does, and its text then verifies.
TEST(GraphBuilder, UnaryOpsAgreeWithTheDialect) {
  for (int op = 0; op <= static_cast<int>(Unary::LogicalNot); ++op)
    for (DType dtype : kAllDTypes) {
      const Unary unary = static_cast<Unary>(op);
      std::string why;
      const bool built = builds(
          [&](Graph &g) { return g.unary(unary, g.argument(dtype, 2, 0b01)); },
          &why);
      const std::string t = typeOf(dtype, "1x?x");
      const bool taken =
          dialectTakes("func.func @g(%x: " + t + ") -> " + t +
                       " {\n  %r = kiln." + primitiveName(unary) +
                       " %x : " + t + "\n  return %r : " + t + "\n}\n");
      EXPECT_EQ(built, taken)
          << primitiveName(unary) << " on " << dtypeName(dtype) << ": " << why;
    }
}

TEST(GraphBuilder, BinaryOpsAgreeWithTheDialect) {
  for (int op = 0; op <= static_cast<int>(Binary::LogicalXor); ++op)
    for (DType dtype : kAllDTypes) {
      const Binary binary = static_cast<Binary>(op);
      std::string why;
      const bool built = builds(
          [&](Graph &g) {
            return g.binary(binary, g.argument(dtype, 2),
                            g.argument(dtype, 2, 0b01));
          },
          &why);
      const std::string a = typeOf(dtype, "?x?x"), b = typeOf(dtype, "1x?x"),
                        r = typeOf(
                            primitive(primitiveName(binary)).booleanResult
                                ? DType::Bool
                                : dtype,
                            "?x?x");
      const bool taken = dialectTakes(
          "func.func @g(%x: " + a + ", %y: " + b + ") -> " + r +
          " {\n  %r = kiln." + primitiveName(binary) + " %x, %y : " + a + ", " +
          b + "\n  return %r : " + r + "\n}\n");
      EXPECT_EQ(built, taken)
          << primitiveName(binary) << " on " << dtypeName(dtype) << ": " << why;
    }
}

TEST(GraphBuilder, ReductionsAgreeWithTheDialect) {
  for (int op = 0; op <= static_cast<int>(Reduction::Min); ++op)
    for (DType dtype : kAllDTypes)
      for (bool keepdims : {false, true}) {
        const Reduction reduction = static_cast<Reduction>(op);
        std::string why;
        const bool built = builds(
            [&](Graph &g) {
              return g.reduce(reduction, g.argument(dtype, 3), {2, 0},
                              keepdims);
            },
            &why);
        const std::string t = typeOf(dtype, "?x?x?x"),
                          r = typeOf(dtype, keepdims ? "1x?x1x" : "?x");
        const bool taken = dialectTakes(
            "func.func @g(%x: " + t + ") -> " + r + " {\n  %r = kiln." +
            primitiveName(reduction) + " %x {axes = array<i64: 2, 0>" +
            (keepdims ? ", keepdims = true" : "") + "} : " + t + " -> " + r +
            "\n  return %r : " + r + "\n}\n");
        EXPECT_EQ(built, taken) << primitiveName(reduction) << " on "
                                << dtypeName(dtype) << ": " << why;
      }
}

TEST(GraphBuilder, TypesAreInferredAsTheDialectInfersThem) {
  std::string why;
  // Broadcasting mixed ranks and static extents, select, casts, data
  // movement: a wrong inferred type would not parse (a use with another
  // type) or not verify (the return).
  EXPECT_TRUE(builds(
      [](Graph &g) {
        Value x = g.argument({DType::Float32, {kDynamic, 1, 4}});
        Value y = g.argument({DType::Float32, {3, 1}});
        Value s = g.argument(TensorType::scalar(DType::Float32));
        Value sum = g.binary(Binary::Add, g.binary("mul", x, y), s);
        EXPECT_EQ(sum.type().dims, (std::vector<int64_t>{kDynamic, 3, 4}));
        Value positive =
            g.binary(Binary::Gt, sum, g.literal(0, DType::Float32));
        EXPECT_EQ(positive.dtype(), DType::Bool);
        Value chosen = g.select(positive, sum, s);
        Value half = g.cast(g.cast(chosen, DType::Float64), DType::Float16);
        Value back = g.cast(half, DType::Float32);
        Value t = g.transpose(back, {2, 0, 1});
        EXPECT_EQ(t.type().dims, (std::vector<int64_t>{4, kDynamic, 3}));
        Value m = g.reduce("reduce_max", t, {1}, /*keepdims=*/true);
        return g.binary(Binary::Sub, t, m);
      },
      &why))
      << why;
  EXPECT_TRUE(builds(
      [](Graph &g) {
        Value a = g.argument({DType::Float32, {2, kDynamic, kDynamic}});
        Value b = g.argument({DType::Float32, {1, 5, 7}});
        Value c = g.matmul(a, b);
        EXPECT_EQ(c.type().dims, (std::vector<int64_t>{2, kDynamic, 7}));
        Value row = g.argument({DType::Float32, {1, 7}});
        Value wide = g.broadcastTo(row, {2, g.dim(a, 1), g.dim(c, 2)});
        EXPECT_EQ(wide.type().dims, (std::vector<int64_t>{2, kDynamic, 7}));
        Value flat = g.reshape(g.binary(Binary::Add, c, wide),
                               {g.dim(a, 0), g.dim(a, 1), 7});
        return g.reshape(flat, {g.dim(a, 1), 14});
      },
      &why))
      << why;
  EXPECT_TRUE(builds(
      [](Graph &g) {
        return g.binary(Binary::Add, g.argument({DType::Int32, {2, 3}}),
                        g.constant({1, 2, 3, 4, 5, 6}, {DType::Int32, {2, 3}}));
      },
      &why))
      << why;
}

//===----------------------------------------------------------------------===//
// Compiled and run
//===----------------------------------------------------------------------===//

TEST(GraphBuilder, SoftmaxAndItsMaximumAsTwoResults) {
  KernelCache cache("");
  Graph g("softmax");
  Value x = g.argument(DType::Float32, 2);
  Value m = g.reduce(Reduction::Max, x, {1}, /*keepdims=*/true);
  Value d = g.binary(Binary::Sub, x, m);
  Value e = g.unary("exp", d);
  Value s = g.reduce(Reduction::Sum, e, {1}, true);
  g.result(g.binary(Binary::Div, e, s));
  g.result(g.reduce(Reduction::Max, x, {1}));
  EXPECT_EQ(g.numArguments(), 1);
  EXPECT_EQ(g.numResults(), 2);
  EXPECT_EQ(g.resultType(1).str(), "tensor<?xf32>");
  KernelEntryFn kernel = cache.get(g);
  const int64_t rows = 5, columns = 9;
  Tensor in = Tensor::empty({rows, columns}, DType::Float32);
  for (int64_t i = 0; i < rows * columns; ++i)
    store(in, i, std::sin(0.7 * i) * 4);
  Tensor out = Tensor::empty({rows, columns}, DType::Float32);
  Tensor max = Tensor::empty({rows}, DType::Float32);
  invokeKernel(kernel, {in, out, max});
  for (int64_t r = 0; r < rows; ++r) {
    double largest = -1e30, total = 0;
    for (int64_t c = 0; c < columns; ++c)
      largest = std::max(largest, load(in, r * columns + c));
    for (int64_t c = 0; c < columns; ++c)
      total += std::exp(load(in, r * columns + c) - largest);
    EXPECT_EQ(load(max, r), largest);
    for (int64_t c = 0; c < columns; ++c)
      ASSERT_NEAR(load(out, r * columns + c),
                  std::exp(load(in, r * columns + c) - largest) / total, 1e-6);
  }
  // The text is the cache's key: the same graph again is a hit.
  Graph again("softmax");
  Value y = again.argument(DType::Float32, 2);
  Value e2 = again.unary(
      Unary::Exp,
      again.binary("sub", y, again.reduce("reduce_max", y, {1}, true)));
  again.result(again.binary(Binary::Div, e2,
                            again.reduce(Reduction::Sum, e2, {1}, true)));
  again.result(again.reduce(Reduction::Max, y, {1}));
  EXPECT_EQ(again.source(), g.source());
  EXPECT_EQ(cache.get(again), kernel);
  EXPECT_EQ(cache.stats().compilations, 1u);
}

TEST(GraphBuilder, DataMovementAndMatmulRun) {
  KernelCache cache("");
  // out = reshape(transpose(a) @ b + broadcast(row), (n * 3,)) for a
  // (k, n), b (k, 3), row (1, 3).
  Graph g("moved");
  Value a = g.argument(DType::Float64, 2), b = g.argument(DType::Float64, 2);
  Value row = g.argument({DType::Float64, {1, 3}});
  Value product = g.matmul(g.transpose(a, {1, 0}), b);
  Value wide = g.broadcastTo(row, {g.dim(a, 1), 3});
  Value sum = g.binary(Binary::Add, product, wide);
  g.result(g.reshape(g.cast(sum, DType::Float64), {g.dim(a, 1) /* n */, 3}));
  const int64_t k = 4, n = 6;
  Tensor ta = Tensor::empty({k, n}, DType::Float64);
  Tensor tb = Tensor::empty({k, 3}, DType::Float64);
  Tensor tr = Tensor::empty({1, 3}, DType::Float64);
  for (int64_t i = 0; i < k * n; ++i)
    store(ta, i, 0.5 * i - 3);
  for (int64_t i = 0; i < k * 3; ++i)
    store(tb, i, 1.0 / (i + 1));
  for (int64_t i = 0; i < 3; ++i)
    store(tr, i, 10 * i);
  Tensor out = Tensor::empty({n, 3}, DType::Float64);
  invokeKernel(cache.get(g), {ta, tb, tr, out});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < 3; ++j) {
      double expected = 10 * j;
      for (int64_t p = 0; p < k; ++p)
        expected += load(ta, p * n + i) * load(tb, p * 3 + j);
      ASSERT_NEAR(load(out, i * 3 + j), expected, 1e-12) << i << ", " << j;
    }
}

TEST(GraphBuilder, ConstantsOfEveryKindRun) {
  KernelCache cache("");
  Graph g("constants");
  Value x = g.argument({DType::Int32, {2, 3}});
  Value table = g.constant({1, -2, 3, 4, 5, -6}, {DType::Int32, {2, 3}});
  Value scaled = g.binary(Binary::Mul, g.binary(Binary::Add, x, table),
                          g.literal(-3, DType::Int32));
  g.result(g.select(g.binary(Binary::Gt, scaled, g.literal(0, DType::Int32)),
                    scaled, g.lowest(DType::Int32)));
  g.result(g.constant({1}, {DType::Bool, {2, 3}}));
  Tensor in = Tensor::empty({2, 3}, DType::Int32);
  for (int64_t i = 0; i < 6; ++i)
    store(in, i, i);
  Tensor out = Tensor::empty({2, 3}, DType::Int32);
  Tensor flags = Tensor::empty({2, 3}, DType::Bool);
  invokeKernel(cache.get(g), {in, out, flags});
  const double added[] = {1, -2, 3, 4, 5, -6};
  for (int64_t i = 0; i < 6; ++i) {
    const double value = (i + added[i]) * -3;
    EXPECT_EQ(load(out, i), value > 0 ? value : -2147483648.0) << i;
    EXPECT_EQ(load(flags, i), 1);
  }
}

// FusedGraph printed literals with %.17e, which has no form for NaN and
// infinities; the builder writes their bits.
TEST(GraphBuilder, NanAndInfinityLiteralsRunInEveryFloatType) {
  KernelCache cache("");
  const double specials[] = {std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(), -0.0,
                             1.0 / 3};
  for (DType dtype :
       {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16}) {
    Graph g("specials");
    Value x = g.argument(dtype, 1);
    for (double special : specials)
      g.result(g.binary(Binary::Add, x, g.literal(special, dtype)));
    // A masked maximum's identity, and a constant array with NaN in it.
    g.result(g.binary(Binary::Maximum, x, g.lowest(dtype)));
    g.result(
        g.binary(Binary::Mul, x,
                 g.constant({1, std::numeric_limits<double>::quiet_NaN(), -1},
                            {dtype, {3}})));
    const std::string source = g.source();
    EXPECT_EQ(verifyText(source), "") << source;
    KernelEntryFn kernel = cache.get(g);
    Tensor in = Tensor::empty({3}, dtype);
    for (int64_t i = 0; i < 3; ++i)
      store(in, i, i == 1 ? -1.0 : 0.0); // 0, -1, 0
    std::vector<Tensor> arguments = {in};
    for (int i = 0; i < 7; ++i)
      arguments.push_back(Tensor::empty({3}, dtype));
    invokeKernel(kernel, arguments);
    for (int64_t i = 0; i < 3; ++i) {
      const double v = load(in, i);
      EXPECT_TRUE(std::isnan(load(arguments[1], i))) << dtypeName(dtype);
      EXPECT_EQ(load(arguments[2], i), std::numeric_limits<double>::infinity());
      EXPECT_EQ(load(arguments[3], i),
                -std::numeric_limits<double>::infinity());
      EXPECT_EQ(load(arguments[4], i), v);
      EXPECT_EQ(load(arguments[5], i),
                roundTo(dtype, v + roundTo(dtype, 1.0 / 3)))
          << dtypeName(dtype);
      EXPECT_EQ(load(arguments[6], i), v) << "max with the lowest value";
    }
    EXPECT_EQ(load(arguments[7], 0), 0);
    EXPECT_TRUE(std::isnan(load(arguments[7], 1)));
    EXPECT_EQ(load(arguments[7], 2), 0);
  }
}

//===----------------------------------------------------------------------===//
// Mistakes
//===----------------------------------------------------------------------===//

/// Expects `call` to throw a kiln::Error whose message contains `part`.
void expectError(const std::function<void()> &call, const std::string &part) {
  try {
    call();
    ADD_FAILURE() << "expected an error containing '" << part << "'";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find(part), std::string::npos)
        << error.what();
  }
}

TEST(GraphBuilder, MistakesAreErrorsAtTheCall) {
  Graph g("bad", "SomeOp");
  Value f = g.argument(DType::Float32, 2);
  Value d = g.argument(DType::Float64, 2);
  Value i = g.argument(DType::Int32, 2);
  Value b = g.argument(DType::Bool, 2);
  Value three = g.argument({DType::Float32, {3}});
  Value four = g.argument({DType::Float32, {4}});
  expectError([&] { g.binary(Binary::Add, f, d); },
              "SomeOp: graph @bad: kiln.add of float32 and float64");
  expectError([&] { g.unary("exq", f); },
              "the kiln dialect has no primitive 'exq'");
  expectError([&] { g.unary("add", f); },
              "kiln.add is not an elementwise unary primitive");
  expectError([&] { g.binary("exp", f, f); },
              "kiln.exp is not an elementwise binary primitive");
  expectError([&] { g.reduce("exp", f, {0}); }, "is not a reduction");
  expectError([&] { g.unary(Unary::Exp, i); },
              "kiln.exp takes float operands, got int32");
  expectError([&] { g.binary(Binary::Sub, b, b); },
              "kiln.sub does not take bool operands");
  expectError([&] { g.binary(Binary::Add, three, four); },
              "shapes (3,) and (4,) do not broadcast");
  expectError([&] { g.select(f, f, f); },
              "condition must be bool, got float32");
  expectError([&] { g.select(b, f, d); }, "kiln.select of float32 and float64");
  expectError([&] { g.reduce(Reduction::Sum, f, {2}); },
              "axis 2 is out of range for rank 2");
  expectError(
      [&] {
        g.reduce(Reduction::Sum, f, {1, 1});
      },
      "axis 1 is repeated");
  expectError([&] { g.reduce(Reduction::Mean, i, {0}); },
              "kiln.reduce_mean takes float operands");
  expectError([&] { g.transpose(f, {0}); },
              "a permutation of 1 dimensions for rank 2");
  expectError([&] { g.transpose(f, {1, 1}); }, "is not a permutation");
  expectError([&] { g.matmul(three, f); }, "rank 2 or more");
  expectError([&] { g.matmul(i, i); }, "takes float operands");
  expectError(
      [&] {
        g.matmul(g.argument({DType::Float32, {2, 3}}),
                 g.argument({DType::Float32, {4, 5}}));
      },
      "contraction extents differ, 3 vs 4");
  expectError(
      [&] {
        g.broadcastTo(three, {2, 4});
      },
      "(3,) does not broadcast to (2, 4)");
  expectError([&] { g.broadcastTo(f, {3}); }, "does not broadcast");
  expectError(
      [&] {
        g.reshape(three, {2, 2});
      },
      "(3,) (3 elements) to (2, 2) (4)");
  expectError([&] { g.dim(f, 2); }, "axis 2 is out of range");
  expectError([&] { g.literal(0.5, DType::Int32); },
              "the literal 0.5 is not a int32");
  expectError([&] { g.literal(300, DType::UInt8); }, "is not a uint8");
  expectError([&] { g.lowest(DType::Bool); }, "bool has no lowest value");
  expectError(
      [&] {
        g.constant({1, 2}, {DType::Float32, {3}});
      },
      "needs 3 values, got 2");
  expectError(
      [&] {
        g.constant({1}, {DType::Float32, {kDynamic}});
      },
      "needs a static shape");
  expectError([&] { g.unary(Unary::Neg, Value()); }, "is an empty value");
  Graph other("other");
  Value foreign = other.argument(DType::Float32, 2);
  expectError([&] { g.binary(Binary::Add, f, foreign); },
              "is a value of graph @other");
  expectError([&] { g.result(foreign); }, "is a value of graph @other");
  expectError(
      [&] {
        g.broadcastTo(f, {other.dim(foreign, 0), 3});
      },
      "an extent of another graph");
  expectError([&] { g.source(); }, "a graph needs at least one result");
  expectError([] { Graph("1st"); }, "'1st' is not a symbol");
  expectError([] { Graph("a b"); }, "is not a symbol");
  // Nothing of a refused call reached the text.
  g.result(f);
  EXPECT_EQ(verifyText(g.source()), "") << g.source();
}

} // namespace
} // namespace compiler
} // namespace kiln
