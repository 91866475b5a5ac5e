#include "dialects/kiln/KilnOps.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

namespace {

using namespace mlir;

class KilnDialectTest : public ::testing::Test {
protected:
  KilnDialectTest() {
    context.loadDialect<kiln::KilnDialect, func::FuncDialect>();
  }

  /// Parses `source`; on failure returns null and leaves the diagnostics in
  /// `diagnostics`.
  OwningOpRef<ModuleOp> parse(const std::string &source) {
    diagnostics.clear();
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diagnostic) {
      diagnostics += diagnostic.str() + "\n";
      return success();
    });
    return parseSourceString<ModuleOp>(source, &context);
  }

  MLIRContext context;
  std::string diagnostics;
};

TEST_F(KilnDialectTest, AddInfersTheMostStaticShape) {
  auto module = parse(R"mlir(
    func.func @f(%a: tensor<?x4xf32>, %b: tensor<3x?xf32>) -> tensor<3x4xf32> {
      %c = kiln.add %a, %b : tensor<?x4xf32>, tensor<3x?xf32>
      return %c : tensor<3x4xf32>
    })mlir");
  ASSERT_TRUE(module) << diagnostics;
  kiln::AddOp add;
  module->walk([&](kiln::AddOp op) { add = op; });
  ASSERT_TRUE(add);
  EXPECT_EQ(add.getType(),
            RankedTensorType::get({3, 4}, Float32Type::get(&context)));
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(KilnDialectTest, AddBuiltFromValuesInfersItsType) {
  OpBuilder builder(&context);
  auto type = RankedTensorType::get({ShapedType::kDynamic, 2},
                                    IntegerType::get(&context, 32));
  OwningOpRef<ModuleOp> module = ModuleOp::create(builder.getUnknownLoc());
  builder.setInsertionPointToEnd(module->getBody());
  auto function = builder.create<func::FuncOp>(
      builder.getUnknownLoc(), "f", builder.getFunctionType({type, type}, {}));
  Block *entry = function.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  auto add = builder.create<kiln::AddOp>(
      builder.getUnknownLoc(), entry->getArgument(0), entry->getArgument(1));
  builder.create<func::ReturnOp>(builder.getUnknownLoc());
  EXPECT_EQ(add.getType(), type);
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(KilnDialectTest, AddRejectsShapesThatDoNotBroadcast) {
  auto module = parse(R"mlir(
    func.func @f(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) {
      %c = kiln.add %a, %b : tensor<2x3xf32>, tensor<3x2xf32>
      return
    })mlir");
  EXPECT_FALSE(module);
  EXPECT_NE(diagnostics.find("operand shapes do not broadcast: "
                             "tensor<2x3xf32> vs tensor<3x2xf32>"),
            std::string::npos)
      << diagnostics;
}

TEST_F(KilnDialectTest, BinaryOpsBroadcastLikeNumpy) {
  auto module = parse(R"mlir(
    func.func @f(%a: tensor<4x1x3xf32>, %b: tensor<5x1xf32>, %c: tensor<?x3xf32>,
                 %d: tensor<1x?xf32>) {
      %0 = kiln.sub %a, %b : tensor<4x1x3xf32>, tensor<5x1xf32>
      %1 = kiln.lt %c, %d : tensor<?x3xf32>, tensor<1x?xf32>
      %2 = kiln.mul %a, %c : tensor<4x1x3xf32>, tensor<?x3xf32>
      return
    })mlir");
  ASSERT_TRUE(module) << diagnostics;
  auto function = *module->getOps<func::FuncOp>().begin();
  std::vector<std::string> types;
  function.walk([&](Operation *op) {
    if (op->getNumResults() == 1) {
      std::string text;
      llvm::raw_string_ostream stream(text);
      stream << op->getResult(0).getType();
      types.push_back(text);
    }
  });
  // A static 1 stretches; a dynamic extent takes the other's static one;
  // comparisons give i1.
  EXPECT_EQ(types,
            (std::vector<std::string>{"tensor<4x5x3xf32>", "tensor<?x3xi1>",
                                      "tensor<4x?x3xf32>"}));
}

TEST_F(KilnDialectTest, AddRejectsMixedElementTypes) {
  auto module = parse(R"mlir(
    func.func @f(%a: tensor<3xf32>, %b: tensor<3xf64>) {
      %c = kiln.add %a, %b : tensor<3xf32>, tensor<3xf64>
      return
    })mlir");
  EXPECT_FALSE(module);
  EXPECT_NE(diagnostics.find("element types differ"), std::string::npos)
      << diagnostics;
}

TEST_F(KilnDialectTest, AddRejectsAnIncompatibleDeclaredResult) {
  // The generic form states the result type; the verifier checks it.
  auto module = parse(R"mlir(
    func.func @f(%a: tensor<3xf32>, %b: tensor<3xf32>) {
      %c = "kiln.add"(%a, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<4xf32>
      return
    })mlir");
  EXPECT_FALSE(module);
  EXPECT_NE(diagnostics.find("incompatible"), std::string::npos) << diagnostics;
}

TEST_F(KilnDialectTest, AddRejectsUnsupportedElementTypes) {
  auto module = parse(R"mlir(
    func.func @f(%a: tensor<3xcomplex<f32>>, %b: tensor<3xcomplex<f32>>) {
      %c = kiln.add %a, %b : tensor<3xcomplex<f32>>, tensor<3xcomplex<f32>>
      return
    })mlir");
  EXPECT_FALSE(module);
  EXPECT_NE(diagnostics.find("operand #0 must be"), std::string::npos)
      << diagnostics;
}

} // namespace
