//===- KilnDialect.cpp - the kiln dialect ---------------------------------===//
#include "dialects/kiln/KilnDialect.h"

#include "dialects/kiln/KilnOps.h"

using namespace mlir;
using namespace mlir::kiln;

#include "dialects/kiln/KilnOpsDialect.cpp.inc"

void KilnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/kiln/KilnOps.cpp.inc"
      >();
}
