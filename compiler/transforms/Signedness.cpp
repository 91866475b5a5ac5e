//===- Signedness.cpp - uint8 in a signless lowering ----------------------===//
#include "compiler/transforms/Signedness.h"

#include "dialects/kiln/KilnDialect.h"
#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

bool isUnsignedElement(Type type) {
  auto integer = dyn_cast<IntegerType>(getElementTypeOrSelf(type));
  return integer && integer.isUnsigned();
}

Type signless(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    return shaped.clone(signless(shaped.getElementType()));
  if (auto integer = dyn_cast<IntegerType>(type);
      integer && !integer.isSignless())
    return IntegerType::get(type.getContext(), integer.getWidth());
  return type;
}

} // namespace

void mlir::kiln::stripUnsignedTypes(ModuleOp module) {
  UnitAttr unit = UnitAttr::get(module.getContext());
  module.walk([&](Operation *op) {
    if (!isa_and_nonnull<KilnDialect>(op->getDialect()))
      return;
    const bool operands =
        llvm::any_of(op->getOperandTypes(), isUnsignedElement);
    const bool results = llvm::any_of(op->getResultTypes(), isUnsignedElement);
    if (isa<CastOp>(op)) {
      if (operands)
        op->setAttr(kUnsignedAttr, unit);
      if (results)
        op->setAttr(kUnsignedResultAttr, unit);
    } else if (operands || results) {
      op->setAttr(kUnsignedAttr, unit);
    }
    // Constants keep their bits, with a signless type.
    if (auto constant = dyn_cast<ConstantOp>(op))
      if (auto dense = dyn_cast<DenseIntElementsAttr>(constant.getValue());
          dense && isUnsignedElement(dense.getType()))
        constant.setValueAttr(
            dense.bitcast(signless(dense.getType().getElementType())));
  });
  module.walk([&](Operation *op) {
    for (Value result : op->getResults())
      result.setType(signless(result.getType()));
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument argument : block.getArguments())
          argument.setType(signless(argument.getType()));
    if (auto function = dyn_cast<func::FuncOp>(op)) {
      SmallVector<Type> inputs, outputs;
      for (Type type : function.getFunctionType().getInputs())
        inputs.push_back(signless(type));
      for (Type type : function.getFunctionType().getResults())
        outputs.push_back(signless(type));
      function.setFunctionType(
          FunctionType::get(op->getContext(), inputs, outputs));
    }
  });
}
