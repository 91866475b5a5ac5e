//===- PlanMemory.cpp - liveness-based reuse of a kernel's buffers --------===//
//
// After bufferization every intermediate value of a kernel (a library call's
// output, a reduction's accumulator, an elementwise value the fusion could
// not fold) has a memref.alloc of its own, live until the function returns.
// This pass orders the function's top-level ops, computes each buffer's live
// range (first to last use of the buffer or any view of it), and assigns
// buffers whose ranges do not overlap to one slot, so a chain of N values
// needs about two buffers rather than N (less memory, and the reused buffer
// is still in cache). An elementwise op that reads a buffer for the last
// time may write its result into that same buffer (in place) when both are
// indexed alike.
//
// A slot whose buffers all have one type and the same size operands is the
// first buffer's allocation, reused; any other slot is one i8 allocation of
// the largest member's byte size, which each member views (memref.view).
// Buffers live at the same time keep separate allocations rather than
// sharing one arena at run-time offsets: LLVM knows that two allocations do
// not alias, which lets a merged reduction keep both accumulators in
// registers, and views of one arena at unknown offsets would lose that.
//
// Buffers that leave the function (returned, passed to a call), live in a
// nested region, or are already deallocated are left alone, so the pass
// belongs after bufferization and before the deallocation passes.
//
//===----------------------------------------------------------------------===//
#include "compiler/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <deque>
#include <optional>

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNPLANMEMORY
#include "compiler/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;

namespace {

/// Slots' byte sizes are rounded up to this, the alignment bufferization
/// gives its allocations (a cache line; AVX-512 loads).
constexpr int64_t kSlotAlignment = 64;

/// One planned buffer: an allocation in the function's top block and the
/// span of top-level ops, by position, that use it or a view of it.
struct Buffer {
  memref::AllocOp alloc;
  int64_t firstUse = 0, lastUse = 0;
  /// The bytes of one element (an i1 takes a byte, as LLVM stores it).
  int64_t elementBytes = 0;
};

/// A set of buffers, never two live at once, that share one allocation.
struct Slot {
  SmallVector<Buffer *> members;
  int64_t lastUse() const { return members.back()->lastUse; }
  Buffer *first() const { return members.front(); }
};

/// Element sizes the pass can plan: integers and floats of whole bytes (and
/// i1, stored in a byte).
std::optional<int64_t> elementBytes(Type type) {
  if (!type.isIntOrFloat())
    return std::nullopt;
  unsigned bits = type.getIntOrFloatBitWidth();
  if (bits == 1)
    return 1;
  if (bits % 8 != 0)
    return std::nullopt;
  return bits / 8;
}

/// Whether `a` and `b` allocate the same type with the same dynamic sizes,
/// so that one can stand for the other.
bool sameShape(memref::AllocOp a, memref::AllocOp b) {
  return a.getType() == b.getType() &&
         a.getDynamicSizes() == b.getDynamicSizes() &&
         a.getSymbolOperands().empty() && b.getSymbolOperands().empty();
}

class MemoryPlanner {
public:
  MemoryPlanner(func::FuncOp function)
      : function_(function), dominance_(function), aliases_(function) {}

  void run() {
    if (!function_.getBody().hasOneBlock())
      return;
    Block &body = function_.getBody().front();
    int64_t position = 0;
    for (Operation &op : body)
      positions_[&op] = position++;
    collectBuffers(body);
    if (buffers_.size() < 2)
      return;
    assignSlots();
    for (Slot &slot : slots_)
      if (slot.members.size() > 1)
        materialize(slot);
  }

private:
  /// The position of the top-level op that holds `op`.
  int64_t positionOf(Operation *op) {
    Operation *top = function_.getBody().front().findAncestorOpInBlock(*op);
    return positions_.lookup(top);
  }

  void collectBuffers(Block &body) {
    for (Operation &op : body) {
      auto alloc = dyn_cast<memref::AllocOp>(op);
      if (!alloc || !alloc.getSymbolOperands().empty())
        continue;
      MemRefType type = alloc.getType();
      std::optional<int64_t> bytes = elementBytes(type.getElementType());
      if (!bytes || !type.getLayout().isIdentity() || type.getMemorySpace())
        continue;
      Buffer buffer{alloc, INT64_MAX, -1, *bytes};
      bool planned = true;
      for (Value alias : aliases_.resolve(alloc.getResult())) {
        for (Operation *user : alias.getUsers()) {
          // Buffers that leave the function or are freed already. A nested
          // region's terminator passes the buffer on to its op's results,
          // which the flow analysis counts among the aliases.
          if (isa<func::ReturnOp, CallOpInterface, memref::DeallocOp>(user))
            planned = false;
          int64_t at = positionOf(user);
          buffer.firstUse = std::min(buffer.firstUse, at);
          buffer.lastUse = std::max(buffer.lastUse, at);
        }
      }
      if (!planned || buffer.lastUse < 0)
        continue;
      buffers_.push_back(buffer);
    }
  }

  /// Whether `next`, first used where `previous` is last used, may take
  /// `previous`'s memory there: the op is an elementwise linalg.generic that
  /// reads `previous` and writes `next` through one indexing map (element i
  /// of the output from element i of the input), reads `previous` through
  /// no other operand, and does not read `next`'s initial contents.
  bool writesInPlace(Buffer &previous, Buffer &next) {
    if (previous.lastUse != next.firstUse ||
        !sameShape(previous.alloc, next.alloc))
      return false;
    Operation *op = nullptr;
    for (Operation *user : next.alloc->getUsers())
      if (positionOf(user) == next.firstUse)
        op = user;
    auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
    if (!generic || generic->getParentOp() != function_ ||
        !generic.hasPureBufferSemantics() ||
        generic.getNumLoops() != generic.getNumParallelLoops())
      return false;
    Value in = previous.alloc.getResult(), out = next.alloc.getResult();
    BufferViewFlowAnalysis::ValueSetT inViews = aliases_.resolve(in);
    BufferViewFlowAnalysis::ValueSetT outViews = aliases_.resolve(out);
    OpOperand *read = nullptr, *written = nullptr;
    for (OpOperand &operand : generic->getOpOperands()) {
      if (operand.get() == in && !read && !generic.isDpsInit(&operand))
        read = &operand;
      else if (operand.get() == out && !written && generic.isDpsInit(&operand))
        written = &operand;
      else if (inViews.contains(operand.get()) ||
               outViews.contains(operand.get()))
        return false; // Another access to one of the two buffers.
    }
    if (!read || !written ||
        generic.getMatchingIndexingMap(read) !=
            generic.getMatchingIndexingMap(written) ||
        !generic.getMatchingIndexingMap(written).isPermutation())
      return false;
    return !generic.payloadUsesValueFromOperand(written);
  }

  /// Whether `value` is available before `point`, or can be made so by
  /// moving side-effect-free ops that compute it (memref.dim of an
  /// argument, index arithmetic) up there.
  bool canHoistBefore(Value value, Operation *point, int depth = 0) {
    if (dominance_.properlyDominates(value, point))
      return true;
    Operation *def = value.getDefiningOp();
    if (!def || depth > 8 || def->getBlock() != point->getBlock() ||
        def->getNumRegions() != 0 || !isPure(def))
      return false;
    return llvm::all_of(def->getOperands(), [&](Value operand) {
      return canHoistBefore(operand, point, depth + 1);
    });
  }

  void hoistBefore(Value value, Operation *point) {
    if (dominance_.properlyDominates(value, point))
      return;
    Operation *def = value.getDefiningOp();
    for (Value operand : def->getOperands())
      hoistBefore(operand, point);
    def->moveBefore(point);
  }

  /// Whether `buffer` may join `slot`: live after the slot's last member
  /// (or taking its memory in place), and, unless it has the members'
  /// shape, with sizes that can be computed where the slot is allocated.
  bool fits(Slot &slot, Buffer &buffer) {
    Buffer &last = *slot.members.back();
    if (last.lastUse >= buffer.firstUse && !writesInPlace(last, buffer))
      return false;
    if (llvm::all_of(slot.members, [&](Buffer *member) {
          return sameShape(member->alloc, buffer.alloc);
        }))
      return true;
    SmallVector<Buffer *> members(slot.members);
    members.push_back(&buffer);
    Operation *point = earliestAllocation(members);
    return llvm::all_of(members, [&](Buffer *member) {
      return llvm::all_of(member->alloc.getDynamicSizes(), [&](Value size) {
        return canHoistBefore(size, point);
      });
    });
  }

  /// The allocation of `members` that comes first in the block (not always
  /// that of the first used).
  static Operation *earliestAllocation(ArrayRef<Buffer *> members) {
    Operation *earliest = members.front()->alloc;
    for (Buffer *member : members)
      if (member->alloc->isBeforeInBlock(earliest))
        earliest = member->alloc;
    return earliest;
  }

  void assignSlots() {
    std::stable_sort(buffers_.begin(), buffers_.end(),
                     [](const Buffer &a, const Buffer &b) {
                       return a.firstUse < b.firstUse;
                     });
    for (Buffer &buffer : buffers_) {
      // A slot of the same shape first (no view needed); then the one freed
      // last, whose memory is the most likely to be in cache still (in
      // place, where the op reads it, first of all).
      Slot *chosen = nullptr;
      bool chosenSameShape = false;
      for (Slot &slot : slots_) {
        if (!fits(slot, buffer))
          continue;
        bool same = sameShape(slot.first()->alloc, buffer.alloc);
        if (!chosen || (same && !chosenSameShape) ||
            (same == chosenSameShape && slot.lastUse() > chosen->lastUse())) {
          chosen = &slot;
          chosenSameShape = same;
        }
      }
      if (!chosen) {
        slots_.emplace_back();
        chosen = &slots_.back();
      }
      chosen->members.push_back(&buffer);
    }
  }

  /// `buffer`'s size in bytes, rounded up to kSlotAlignment, built before
  /// the current insertion point.
  Value byteSize(OpBuilder &builder, Buffer &buffer) {
    Location loc = buffer.alloc.getLoc();
    MemRefType type = buffer.alloc.getType();
    int64_t known = buffer.elementBytes;
    for (int64_t extent : type.getShape())
      if (!ShapedType::isDynamic(extent))
        known *= extent;
    if (buffer.alloc.getDynamicSizes().empty())
      return builder.create<arith::ConstantIndexOp>(
          loc, llvm::alignTo(known, kSlotAlignment));
    Value bytes = builder.create<arith::ConstantIndexOp>(loc, known);
    for (Value size : buffer.alloc.getDynamicSizes())
      bytes = builder.create<arith::MulIOp>(loc, bytes, size);
    Value roundUp =
        builder.create<arith::ConstantIndexOp>(loc, kSlotAlignment - 1);
    Value alignment =
        builder.create<arith::ConstantIndexOp>(loc, kSlotAlignment);
    bytes = builder.create<arith::AddIOp>(loc, bytes, roundUp);
    bytes = builder.create<arith::DivUIOp>(loc, bytes, alignment);
    return builder.create<arith::MulIOp>(loc, bytes, alignment);
  }

  void materialize(Slot &slot) {
    memref::AllocOp first = slot.first()->alloc;
    bool oneShape = llvm::all_of(slot.members, [&](Buffer *member) {
      return sameShape(member->alloc, first);
    });
    if (oneShape) {
      // The first allocation dominates every later member's uses: its
      // first use comes before theirs.
      for (Buffer *member : llvm::drop_begin(slot.members)) {
        member->alloc.getResult().replaceAllUsesWith(first.getResult());
        member->alloc.erase();
      }
      return;
    }
    Operation *point = earliestAllocation(slot.members);
    for (Buffer *member : slot.members)
      for (Value size : member->alloc.getDynamicSizes())
        hoistBefore(size, point);
    OpBuilder builder(point);
    Value bytes = byteSize(builder, *slot.first());
    for (Buffer *member : llvm::drop_begin(slot.members))
      bytes = builder.createOrFold<arith::MaxUIOp>(first.getLoc(), bytes,
                                                   byteSize(builder, *member));
    auto byteType =
        MemRefType::get({ShapedType::kDynamic}, builder.getIntegerType(8));
    Value storage = builder.create<memref::AllocOp>(
        first.getLoc(), byteType, ValueRange{bytes},
        builder.getI64IntegerAttr(kSlotAlignment));
    Value zero = builder.create<arith::ConstantIndexOp>(first.getLoc(), 0);
    for (Buffer *member : slot.members) {
      memref::AllocOp alloc = member->alloc;
      builder.setInsertionPoint(alloc);
      Value view = builder.create<memref::ViewOp>(
          alloc.getLoc(), alloc.getType(), storage, zero,
          alloc.getDynamicSizes());
      alloc.getResult().replaceAllUsesWith(view);
      alloc.erase();
    }
  }

  func::FuncOp function_;
  DominanceInfo dominance_;
  BufferViewFlowAnalysis aliases_;
  llvm::DenseMap<Operation *, int64_t> positions_;
  std::vector<Buffer> buffers_;
  std::deque<Slot> slots_;
};

struct KilnPlanMemoryPass
    : public mlir::kiln::impl::KilnPlanMemoryBase<KilnPlanMemoryPass> {
  void runOnOperation() override { MemoryPlanner(getOperation()).run(); }
};

} // namespace
