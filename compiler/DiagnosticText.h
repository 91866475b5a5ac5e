//===- DiagnosticText.h - MLIR diagnostics for an error message -*- C++ -*-===//
//
// kiln reports a compiler failure as a kiln::Error whose message carries the
// compiler's reasons, never as output on stderr: every place that parses,
// verifies, runs passes or translates collects the diagnostics this way.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_DIAGNOSTICTEXT_H
#define KILN_COMPILER_DIAGNOSTICTEXT_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <string>

namespace kiln {
namespace compiler {

/// While alive, takes every diagnostic `context` reports (instead of its
/// default handler, which prints), each as a line of str() indented by two
/// spaces, for appending to an error's message.
class DiagnosticText {
public:
  explicit DiagnosticText(mlir::MLIRContext *context)
      : handler_(context, [this](mlir::Diagnostic &diagnostic) {
          text_ += "\n  " + diagnostic.str();
          return mlir::success();
        }) {}
  DiagnosticText(const DiagnosticText &) = delete;
  DiagnosticText &operator=(const DiagnosticText &) = delete;

  const std::string &str() const { return text_; }

private:
  std::string text_; // Before handler_: it exists when the handler runs.
  mlir::ScopedDiagnosticHandler handler_;
};

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_DIAGNOSTICTEXT_H
