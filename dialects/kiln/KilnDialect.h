//===- KilnDialect.h - the kiln dialect -------------------------*- C++ -*-===//
#ifndef KILN_DIALECTS_KILN_KILNDIALECT_H
#define KILN_DIALECTS_KILN_KILNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/kiln/KilnOpsDialect.h.inc"

#endif // KILN_DIALECTS_KILN_KILNDIALECT_H
