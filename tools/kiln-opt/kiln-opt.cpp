//===- kiln-opt.cpp - run kiln passes over .mlir files --------------------===//
//
// mlir-opt with kiln's dialect, passes and pipelines; drives the FileCheck
// tests in tests/lit.
//
//===----------------------------------------------------------------------===//
#include "compiler/Passes.h"
#include "compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::kiln::registerCompilerDialects(registry);
  mlir::kiln::registerKilnPassesAndPipelines();
  // Canonicalize, CSE and friends, for composing pipelines by hand.
  mlir::registerTransformsPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "kiln optimizer driver: runs kiln passes on .mlir files\n",
      registry));
}
