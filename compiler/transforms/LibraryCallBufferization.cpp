//===- LibraryCallBufferization.cpp - kiln.library_call on buffers --------===//
//
// kiln.library_call is destination-passing: its outputs bufferize in place
// (empty-tensor elimination makes them the kernel's destination arguments)
// and are only written, never read; its inputs are only read.
//
//===----------------------------------------------------------------------===//
#include "compiler/transforms/LibraryLowering.h"
#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

struct LibraryCallBufferization
    : public bufferization::DstBufferizableOpInterfaceExternalModel<
          LibraryCallBufferization, LibraryCallOp> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const bufferization::AnalysisState &) const {
    // The library overwrites its outputs whole.
    return !cast<DestinationStyleOpInterface>(op).isDpsInit(&operand);
  }

  LogicalResult
  bufferize(Operation *op, RewriterBase &rewriter,
            const bufferization::BufferizationOptions &options) const {
    auto call = cast<LibraryCallOp>(op);
    SmallVector<Value> inputs, outputs;
    for (Value input : call.getInputs()) {
      FailureOr<Value> buffer =
          bufferization::getBuffer(rewriter, input, options);
      if (failed(buffer))
        return failure();
      inputs.push_back(*buffer);
    }
    for (Value output : call.getOutputs()) {
      FailureOr<Value> buffer =
          bufferization::getBuffer(rewriter, output, options);
      if (failed(buffer))
        return failure();
      outputs.push_back(*buffer);
    }
    rewriter.create<LibraryCallOp>(op->getLoc(), TypeRange{},
                                   call.getCalleeAttr(), call.getParamsAttr(),
                                   inputs, outputs);
    bufferization::replaceOpWithBufferizedValues(rewriter, op, outputs);
    return success();
  }
};

} // namespace

void mlir::kiln::registerLibraryCallBufferization(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, KilnDialect *) {
    LibraryCallOp::attachInterface<LibraryCallBufferization>(*context);
  });
}
