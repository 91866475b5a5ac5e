//===- Registration.h - dialects the compiler works with --------*- C++ -*-===//
#ifndef KILN_COMPILER_REGISTRATION_H
#define KILN_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
namespace kiln {

/// Adds the kiln dialect, every dialect the lowering pipeline passes through,
/// their bufferization models and their LLVM IR translations. The JIT and
/// kiln-opt share this list, so a FileCheck test sees what the JIT sees.
void registerCompilerDialects(DialectRegistry &registry);

} // namespace kiln
} // namespace mlir

#endif // KILN_COMPILER_REGISTRATION_H
