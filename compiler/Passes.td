//===- Passes.td - kiln compiler passes --------------------*- tablegen -*-===//
#ifndef KILN_COMPILER_PASSES_TD
#define KILN_COMPILER_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKilnToLinalg : Pass<"convert-kiln-to-linalg", "ModuleOp"> {
  let summary = "Lower kiln primitives to linalg on tensors";
  let description = [{
    Rewrites every kiln primitive into linalg structured ops (plus tensor and
    arith ops) with value semantics, ready for fusion and bufferization.
    Elementwise primitives become one `linalg.generic` with identity maps whose
    init is a `tensor.empty` of the result's shape. A kiln op left over is an
    error: every primitive must have a lowering.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // KILN_COMPILER_PASSES_TD
