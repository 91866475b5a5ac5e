// compiler/cpu/LoopHints: which loops get interleaving and independence
// metadata, on small LLVM IR loops parsed from text.
#include "compiler/cpu/LoopHints.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace kiln {
namespace compiler {
namespace {

/// `out[i] = body(in[i])` over n elements, `body` being `ops` dependent
/// fmuls (a latency chain) and in-place when out == in.
std::string loopIR(int ops) {
  std::string body;
  std::string last = "%x";
  for (int i = 0; i < ops; ++i) {
    const std::string next = "%v" + std::to_string(i);
    body += "  " + next + " = fmul float " + last + ", 1.5\n";
    last = next;
  }
  return "define void @kernel(ptr %in, ptr %out, i64 %n) {\n"
         "entry:\n  br label %loop\n"
         "loop:\n"
         "  %i = phi i64 [ 0, %entry ], [ %next, %loop ]\n"
         "  %src = getelementptr float, ptr %in, i64 %i\n"
         "  %x = load float, ptr %src\n" +
         body +
         "  %dst = getelementptr float, ptr %out, i64 %i\n"
         "  store float " +
         last +
         ", ptr %dst\n"
         "  %next = add i64 %i, 1\n"
         "  %done = icmp eq i64 %next, %n\n"
         "  br i1 %done, label %exit, label %loop\n"
         "exit:\n  ret void\n}\n";
}

/// `sum += body(in[i])` over n elements of `type` (float or double), `body`
/// being `ops` dependent fmuls; returns the sum.
std::string reductionIR(int ops, const std::string &type = "float") {
  std::string body;
  std::string last = "%x";
  for (int i = 0; i < ops; ++i) {
    const std::string next = "%v" + std::to_string(i);
    body += "  " + next + " = fmul " + type + " " + last + ", 1.5\n";
    last = next;
  }
  return "define " + type +
         " @kernel(ptr %in, i64 %n) {\n"
         "entry:\n  br label %loop\n"
         "loop:\n"
         "  %i = phi i64 [ 0, %entry ], [ %next, %loop ]\n"
         "  %sum = phi " +
         type +
         " [ 0.0, %entry ], [ %add, %loop ]\n"
         "  %src = getelementptr " +
         type +
         ", ptr %in, i64 %i\n"
         "  %x = load " +
         type + ", ptr %src\n" + body + "  %add = fadd reassoc " + type +
         " %sum, " + last +
         "\n"
         "  %next = add i64 %i, 1\n"
         "  %done = icmp eq i64 %next, %n\n"
         "  br i1 %done, label %exit, label %loop\n"
         "exit:\n  ret " +
         type + " %add\n}\n";
}

struct Parsed {
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module;
};

std::unique_ptr<Parsed> parse(const std::string &text) {
  auto parsed = std::make_unique<Parsed>();
  llvm::SMDiagnostic error;
  parsed->module = llvm::parseAssemblyString(text, error, parsed->context);
  if (!parsed->module) {
    std::string message;
    llvm::raw_string_ostream stream(message);
    error.print("loop_hints_test", stream);
    ADD_FAILURE() << message;
  }
  return parsed;
}

/// The loop ID on the latch branch of @kernel's loop, or null.
llvm::MDNode *loopID(llvm::Module &module) {
  for (llvm::BasicBlock &block : *module.getFunction("kernel"))
    if (llvm::Instruction *terminator = block.getTerminator())
      if (llvm::MDNode *id = terminator->getMetadata("llvm.loop"))
        return id;
  return nullptr;
}

/// The operand of the hint named `name` in `id` (null when absent).
llvm::Metadata *hint(llvm::MDNode *id, const std::string &name) {
  if (!id)
    return nullptr;
  for (unsigned i = 1; i < id->getNumOperands(); ++i) {
    auto *entry = llvm::dyn_cast<llvm::MDNode>(id->getOperand(i));
    if (!entry || entry->getNumOperands() < 2)
      continue;
    auto *key = llvm::dyn_cast<llvm::MDString>(entry->getOperand(0));
    if (key && key->getString() == name)
      return entry->getOperand(1);
  }
  return nullptr;
}

/// The integer value of the hint named `name` in `id` (0 when absent).
int64_t intHint(llvm::MDNode *id, const std::string &name) {
  auto *value =
      llvm::dyn_cast_or_null<llvm::ConstantAsMetadata>(hint(id, name));
  return value
             ? llvm::cast<llvm::ConstantInt>(value->getValue())->getSExtValue()
             : 0;
}

int64_t interleaveCount(llvm::MDNode *id) {
  return intHint(id, "llvm.loop.interleave.count");
}

int64_t vectorizeWidth(llvm::MDNode *id) {
  return intHint(id, "llvm.loop.vectorize.width");
}

TEST(LoopHints, ReductionsAddInOneOrderWhateverTheirBody) {
  // Short and long bodies alike: lanes from the register width and the
  // accumulator's type, and kReductionInterleaveCount accumulators.
  for (int ops : {0, 3, 40, 300}) {
    auto parsed = parse(reductionIR(ops));
    addLoopHints(*parsed->module, false, /*vectorBits=*/256);
    llvm::MDNode *id = loopID(*parsed->module);
    ASSERT_NE(id, nullptr) << ops;
    EXPECT_EQ(vectorizeWidth(id), 8) << ops;
    EXPECT_EQ(interleaveCount(id), kReductionInterleaveCount) << ops;
  }
  // Before LLVM promotes it to a register, kiln's accumulator is a load and
  // a store in the loop; the reassociable add marks it.
  std::string inMemory = reductionIR(3);
  inMemory.replace(
      inMemory.find("  %sum = phi float [ 0.0, %entry ], [ %add, %loop ]\n"),
      std::string("  %sum = phi float [ 0.0, %entry ], [ %add, %loop ]\n")
          .size(),
      "  %sum = load float, ptr %acc\n");
  inMemory.replace(inMemory.find("  %next ="), 0,
                   "  store float %add, ptr %acc\n");
  inMemory.replace(inMemory.find("ptr %in, i64 %n"), 0, "ptr %acc, ");
  auto promoted = parse(inMemory);
  addLoopHints(*promoted->module, false, 256);
  EXPECT_EQ(vectorizeWidth(loopID(*promoted->module)), 8);
  EXPECT_EQ(interleaveCount(loopID(*promoted->module)),
            kReductionInterleaveCount);
  auto wide = parse(reductionIR(3, "double"));
  addLoopHints(*wide->module, false, 512);
  EXPECT_EQ(vectorizeWidth(loopID(*wide->module)), 8);
  EXPECT_EQ(interleaveCount(loopID(*wide->module)), kReductionInterleaveCount);
}

TEST(LoopHints, ReductionsAreLeftToLLVMWithoutARegisterWidth) {
  auto parsed = parse(reductionIR(3));
  addLoopHints(*parsed->module, false);
  EXPECT_EQ(loopID(*parsed->module), nullptr);
}

TEST(LoopHints, LongFloatChainsAreInterleaved) {
  auto parsed = parse(loopIR(40));
  addLoopHints(*parsed->module, /*independentIterations=*/false);
  llvm::MDNode *id = loopID(*parsed->module);
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->getOperand(0), id) << "a loop ID names itself first";
  EXPECT_EQ(interleaveCount(id), 4);
  EXPECT_EQ(hint(id, "llvm.loop.parallel_accesses"), nullptr);
}

TEST(LoopHints, VeryLongBodiesInterleaveLess) {
  auto parsed = parse(loopIR(300));
  addLoopHints(*parsed->module, false);
  EXPECT_EQ(interleaveCount(loopID(*parsed->module)), 2);
}

TEST(LoopHints, ShortBodiesAreLeftToLLVM) {
  auto parsed = parse(loopIR(3));
  addLoopHints(*parsed->module, false, /*vectorBits=*/512);
  EXPECT_EQ(loopID(*parsed->module), nullptr);
}

TEST(LoopHints, ElementwiseLoopsDeclareIndependentIterations) {
  auto parsed = parse(loopIR(3));
  addLoopHints(*parsed->module, /*independentIterations=*/true);
  llvm::MDNode *id = loopID(*parsed->module);
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(interleaveCount(id), 0);
  auto *group = llvm::dyn_cast_or_null<llvm::MDNode>(
      hint(id, "llvm.loop.parallel_accesses"));
  ASSERT_NE(group, nullptr);
  // Every load and store of the loop is in that access group.
  int accesses = 0;
  for (llvm::BasicBlock &block : *parsed->module->getFunction("kernel"))
    for (llvm::Instruction &instruction : block)
      if (instruction.mayReadOrWriteMemory()) {
        ++accesses;
        EXPECT_EQ(instruction.getMetadata(llvm::LLVMContext::MD_access_group),
                  group);
      }
  EXPECT_EQ(accesses, 2);
}

TEST(LoopHints, LoopsWithMetadataAreLeftAlone) {
  std::string text = loopIR(40);
  text.replace(text.find("label %exit, label %loop"),
               std::string("label %exit, label %loop").size(),
               "label %exit, label %loop, !llvm.loop !0");
  text += "!0 = distinct !{!0, !1}\n"
          "!1 = !{!\"llvm.loop.unroll.disable\"}\n";
  auto parsed = parse(text);
  addLoopHints(*parsed->module, true);
  llvm::MDNode *id = loopID(*parsed->module);
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(interleaveCount(id), 0);
  EXPECT_EQ(hint(id, "llvm.loop.parallel_accesses"), nullptr);
}

} // namespace
} // namespace compiler
} // namespace kiln
