//===- LibraryLowering.cpp - library-backed primitives to calls -----------===//
#include "compiler/transforms/LibraryLowering.h"

#include "compiler/Passes.h"
#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNLIBRARYCALLTOFUNC
#include "compiler/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The runtime's entry point for `base` on `element` (f32 or f64).
std::string calleeFor(StringRef base, Type element) {
  return (base + (element.isF64() ? "_f64" : "_f32")).str();
}

/// `(extent + low + high - span) / stride + 1` on index values, where span
/// is `dilation * (window - 1) + 1`. Verification checked it is not
/// negative for static shapes; kernels check dynamic ones before the call.
Value windowedExtent(OpBuilder &builder, Location loc, Value extent,
                     Value window, int64_t dilation, int64_t stride,
                     int64_t low, int64_t high) {
  auto constant = [&](int64_t value) {
    return builder.create<arith::ConstantIndexOp>(loc, value);
  };
  Value one = constant(1);
  Value span = builder.create<arith::AddIOp>(
      loc,
      builder.create<arith::MulIOp>(
          loc, constant(dilation),
          builder.create<arith::SubIOp>(loc, window, one)),
      one);
  Value padded =
      builder.create<arith::AddIOp>(loc, extent, constant(low + high));
  Value room = builder.create<arith::SubIOp>(loc, padded, span);
  return builder.create<arith::AddIOp>(
      loc, builder.create<arith::DivSIOp>(loc, room, constant(stride)), one);
}

/// The dynamic extents of `type` that `extentOf(dim)` computes, for
/// tensor.empty.
template <typename ExtentOf>
SmallVector<Value> dynamicExtents(RankedTensorType type, ExtentOf extentOf) {
  SmallVector<Value> extents;
  for (int64_t dim = 0; dim < type.getRank(); ++dim)
    if (type.isDynamicDim(dim))
      extents.push_back(extentOf(dim));
  return extents;
}

/// Replaces `op` with a library call writing a new tensor of its result
/// type.
void replaceWithCall(ConversionPatternRewriter &rewriter, Operation *op,
                     StringRef base, ArrayRef<int64_t> params,
                     ValueRange inputs, ValueRange emptyExtents) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  Value init =
      rewriter.create<tensor::EmptyOp>(op->getLoc(), type, emptyExtents);
  auto call = rewriter.create<LibraryCallOp>(
      op->getLoc(), TypeRange{type},
      rewriter.getStringAttr(calleeFor(base, type.getElementType())),
      rewriter.getDenseI64ArrayAttr(params), inputs, ValueRange{init});
  rewriter.replaceOp(op, call.getResults());
}

/// strides, padding_low, padding_high, dilations, groups.
template <typename OpTy> SmallVector<int64_t> convolutionParams(OpTy op) {
  SmallVector<int64_t> params;
  for (ArrayRef<int64_t> values : {op.getStrides(), op.getPaddingLow(),
                                   op.getPaddingHigh(), op.getDilations()})
    params.append(values.begin(), values.end());
  params.push_back(op.getGroups());
  return params;
}

/// kind, count_include_pad, window, strides, padding_low, padding_high.
template <typename OpTy> SmallVector<int64_t> poolParams(OpTy op) {
  SmallVector<int64_t> params = {static_cast<int64_t>(op.getKind()),
                                 op.getCountIncludePad() ? 1 : 0};
  for (ArrayRef<int64_t> values : {op.getWindow(), op.getStrides(),
                                   op.getPaddingLow(), op.getPaddingHigh()})
    params.append(values.begin(), values.end());
  return params;
}

struct ConvolutionToCall : public OpConversionPattern<ConvolutionOp> {
  using OpConversionPattern<ConvolutionOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvolutionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), filter = adaptor.getFilter();
    auto extents = dynamicExtents(op.getType(), [&](int64_t dim) -> Value {
      if (dim < 2)
        return rewriter.create<tensor::DimOp>(loc, dim == 0 ? input : filter,
                                              0);
      const int64_t s = dim - 2;
      return windowedExtent(rewriter, loc,
                            rewriter.create<tensor::DimOp>(loc, input, dim),
                            rewriter.create<tensor::DimOp>(loc, filter, dim),
                            op.getDilations()[s], op.getStrides()[s],
                            op.getPaddingLow()[s], op.getPaddingHigh()[s]);
    });
    SmallVector<Value> inputs = {input, filter};
    if (Value bias = adaptor.getBias())
      inputs.push_back(bias);
    replaceWithCall(rewriter, op,
                    inputs.size() == 3 ? "kiln_convolution_bias"
                                       : "kiln_convolution",
                    convolutionParams(op), inputs, extents);
    return success();
  }
};

template <typename OpTy>
struct ConvolutionBackwardToCall : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    constexpr bool data = std::is_same_v<OpTy, ConvolutionBackwardDataOp>;
    SmallVector<Value> inputs(adaptor.getOperands().begin(),
                              adaptor.getOperands().begin() + 2);
    replaceWithCall(rewriter, op,
                    data ? "kiln_convolution_backward_data"
                         : "kiln_convolution_backward_filter",
                    convolutionParams(op), inputs, adaptor.getDynamicExtents());
    return success();
  }
};

struct PoolToCall : public OpConversionPattern<PoolOp> {
  using OpConversionPattern<PoolOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto extents = dynamicExtents(op.getType(), [&](int64_t dim) -> Value {
      Value extent = rewriter.create<tensor::DimOp>(loc, input, dim);
      if (dim < 2)
        return extent;
      const int64_t s = dim - 2;
      return windowedExtent(
          rewriter, loc, extent,
          rewriter.create<arith::ConstantIndexOp>(loc, op.getWindow()[s]), 1,
          op.getStrides()[s], op.getPaddingLow()[s], op.getPaddingHigh()[s]);
    });
    replaceWithCall(rewriter, op, "kiln_pool", poolParams(op), {input},
                    extents);
    return success();
  }
};

struct PoolBackwardToCall : public OpConversionPattern<PoolBackwardOp> {
  using OpConversionPattern<PoolBackwardOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PoolBackwardOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto extents = dynamicExtents(op.getType(), [&](int64_t dim) -> Value {
      return rewriter.create<tensor::DimOp>(loc, input, dim);
    });
    replaceWithCall(rewriter, op, "kiln_pool_backward", poolParams(op),
                    {input, adaptor.getOutputGrad()}, extents);
    return success();
  }
};

struct KilnLibraryCallToFuncPass
    : public mlir::kiln::impl::KilnLibraryCallToFuncBase<
          KilnLibraryCallToFuncPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LibraryCallOp> calls;
    module.walk([&](LibraryCallOp call) {
      if (call.getNumResults() == 0)
        calls.push_back(call);
    });
    SymbolTable symbols(module);
    OpBuilder builder(&getContext());
    int paramsCount = 0;
    for (LibraryCallOp call : calls) {
      Location loc = call.getLoc();
      // The parameters: a constant i64 buffer, passed last.
      ArrayRef<int64_t> values = call.getParams();
      auto paramsType = MemRefType::get({static_cast<int64_t>(values.size())},
                                        builder.getI64Type());
      builder.setInsertionPointToStart(module.getBody());
      auto global = builder.create<memref::GlobalOp>(
          loc, "kiln_library_params_" + std::to_string(paramsCount++),
          builder.getStringAttr("private"), paramsType,
          DenseElementsAttr::get(RankedTensorType::get(paramsType.getShape(),
                                                       builder.getI64Type()),
                                 values),
          /*constant=*/true, /*alignment=*/nullptr);
      symbols.insert(global);

      builder.setInsertionPoint(call);
      SmallVector<Value> arguments;
      for (Value buffer : call->getOperands()) {
        auto type = cast<MemRefType>(buffer.getType());
        arguments.push_back(builder.create<memref::CastOp>(
            loc, UnrankedMemRefType::get(type.getElementType(), 0), buffer));
      }
      Value params = builder.create<memref::GetGlobalOp>(loc, paramsType,
                                                         global.getSymName());
      arguments.push_back(builder.create<memref::CastOp>(
          loc, UnrankedMemRefType::get(builder.getI64Type(), 0), params));

      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (!callee) {
        OpBuilder::InsertionGuard guard(builder);
        builder.setInsertionPointToStart(module.getBody());
        callee = builder.create<func::FuncOp>(
            loc, call.getCallee(),
            builder.getFunctionType(ValueRange(arguments).getTypes(), {}));
        callee.setPrivate();
        // Called through MLIR's C interface: descriptors by pointer.
        callee->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
        symbols.insert(callee);
      }
      builder.create<func::CallOp>(loc, callee, arguments);
      call.erase();
    }
  }
};

} // namespace

void mlir::kiln::populateLibraryToCallPatterns(RewritePatternSet &patterns) {
  patterns.add<ConvolutionToCall, PoolToCall, PoolBackwardToCall,
               ConvolutionBackwardToCall<ConvolutionBackwardDataOp>,
               ConvolutionBackwardToCall<ConvolutionBackwardFilterOp>>(
      patterns.getContext());
}
