//===- kiln-opt.cpp - run kiln passes over .mlir files --------------------===//
//
// mlir-opt with kiln's dialect, passes and pipelines; drives the FileCheck
// tests in tests/lit.
//
//===----------------------------------------------------------------------===//
#include "compiler/Passes.h"
#include "compiler/Registration.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::kiln::registerCompilerDialects(registry);
  mlir::kiln::registerKilnPassesAndPipelines();
  // Every upstream pass kiln-lower-to-llvm is made of, so each stage can be
  // run and FileCheck'ed on its own, plus canonicalize, CSE and friends.
  mlir::registerTransformsPasses();
  mlir::registerConversionPasses();
  mlir::bufferization::registerBufferizationPasses();
  mlir::registerLinalgPasses();
  mlir::memref::registerMemRefPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "kiln optimizer driver: runs kiln passes on .mlir files\n",
      registry));
}
