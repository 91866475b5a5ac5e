//===- KilnDialect.cpp - the kiln dialect ---------------------------------===//
#include "dialects/kiln/KilnDialect.h"

#include "dialects/kiln/KilnOps.h"

using namespace mlir;
using namespace mlir::kiln;

#include "dialects/kiln/KilnOpsDialect.cpp.inc"
#include "dialects/kiln/KilnEnums.cpp.inc"
#include "dialects/kiln/KilnInterfaces.cpp.inc"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#define GET_ATTRDEF_CLASSES
#include "dialects/kiln/KilnAttributes.cpp.inc"

void KilnDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/kiln/KilnAttributes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/kiln/KilnOps.cpp.inc"
      >();
}

Operation *KilnDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}
