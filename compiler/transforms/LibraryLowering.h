//===- LibraryLowering.h - library-backed primitives to calls ---*- C++ -*-===//
//
// Convolution and pooling run in the runtime's kernel library, not in
// generated loops. convert-kiln-to-linalg lowers them to kiln.library_call
// on tensors (destination-passing, so bufferization writes results in
// place); after bufferization kiln-library-call-to-func turns each call
// into a func.call of the runtime's entry point.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_TRANSFORMS_LIBRARYLOWERING_H
#define KILN_COMPILER_TRANSFORMS_LIBRARYLOWERING_H

#include "mlir/IR/PatternMatch.h"

namespace mlir {
class DialectRegistry;
namespace kiln {

/// Patterns lowering the library-backed primitives to kiln.library_call.
void populateLibraryToCallPatterns(RewritePatternSet &patterns);

/// kiln.library_call's BufferizableOpInterface.
void registerLibraryCallBufferization(DialectRegistry &registry);

} // namespace kiln
} // namespace mlir

#endif // KILN_COMPILER_TRANSFORMS_LIBRARYLOWERING_H
