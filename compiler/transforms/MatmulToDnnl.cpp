//===- MatmulToDnnl.cpp - f32 matmuls to oneDNN calls ---------------------===//
#include "compiler/Passes.h"
#include "compiler/transforms/ContractionLowering.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNMATMULTODNNL
#include "compiler/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;

namespace {

constexpr const char kCallee[] = "kiln_dnnl_matmul_f32";

bool isF32Memref(Value value) {
  auto type = dyn_cast<MemRefType>(value.getType());
  return type && type.getElementType().isF32();
}

struct KilnMatmulToDnnlPass
    : public mlir::kiln::impl::KilnMatmulToDnnlBase<KilnMatmulToDnnlPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::GenericOp> matmuls;
    module.walk([&](linalg::GenericOp op) {
      if (op->hasAttr(mlir::kiln::kMatmulMarker) &&
          op.hasPureBufferSemantics() &&
          llvm::all_of(op->getOperands(), isF32Memref))
        matmuls.push_back(op);
    });
    if (matmuls.empty())
      return;

    OpBuilder builder(&getContext());
    auto unranked = UnrankedMemRefType::get(builder.getF32Type(), 0);
    auto callee = module.lookupSymbol<func::FuncOp>(kCallee);
    if (!callee) {
      builder.setInsertionPointToStart(module.getBody());
      callee = builder.create<func::FuncOp>(
          module.getLoc(), kCallee,
          builder.getFunctionType({unranked, unranked, unranked}, {}));
      callee.setPrivate();
      // Called through MLIR's C interface: descriptors by pointer.
      callee->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
    }
    for (linalg::GenericOp op : matmuls) {
      Value init = op.getDpsInits()[0];
      // oneDNN overwrites the output: the zero fill before it is dead.
      if (auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode()))
        if (fill.getDpsInits()[0] == init)
          fill.erase();
      builder.setInsertionPoint(op);
      SmallVector<Value> arguments;
      for (Value operand : {op.getDpsInputs()[0], op.getDpsInputs()[1], init})
        arguments.push_back(
            builder.create<memref::CastOp>(op.getLoc(), unranked, operand));
      builder.create<func::CallOp>(op.getLoc(), callee, arguments);
      op.erase();
    }
  }
};

} // namespace
