//===- ShapeOnly.cpp ------------------------------------------------------===//
#include "runtime/ShapeOnly.h"

namespace kiln {
namespace {
thread_local bool shapeOnlyActive = false;
} // namespace

bool shapeOnly() { return shapeOnlyActive; }

ShapeOnlyScope::ShapeOnlyScope() : previous_(shapeOnlyActive) {
  shapeOnlyActive = true;
}

ShapeOnlyScope::~ShapeOnlyScope() { shapeOnlyActive = previous_; }

} // namespace kiln
