// The machine code of streaming kernels (large contiguous elementwise ops):
// their output stores bypass the cache and their input loads are prefetched
// ahead, while the same kernel without the streaming attribute has neither.
// Reads the objects back from a fresh disk cache and disassembles them.
#include "compiler/DiskCache.h"
#include "compiler/KernelCache.h"
#include "tests/compiler/TestFiles.h"

#include "llvm/MC/MCAsmInfo.h"
#include "llvm/MC/MCContext.h"
#include "llvm/MC/MCDisassembler/MCDisassembler.h"
#include "llvm/MC/MCInst.h"
#include "llvm/MC/MCInstrInfo.h"
#include "llvm/MC/MCRegisterInfo.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/MCTargetOptions.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <gtest/gtest.h>

#include <dirent.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kiln {
namespace compiler {
namespace {

/// The object code of `signature`'s kernel, as the disk cache stores it.
std::string objectOf(const KernelSignature &signature) {
  const std::string directory = testing_support::freshDirectory("codegen");
  KernelCache(directory).get(signature);
  std::vector<std::string> keys;
  if (DIR *folder = ::opendir((directory + "/kernels").c_str())) {
    while (dirent *entry = ::readdir(folder)) {
      std::string name = entry->d_name;
      if (name.size() > 2 && name.substr(name.size() - 2) == ".o")
        keys.push_back(name.substr(0, name.size() - 2));
    }
    ::closedir(folder);
  }
  EXPECT_EQ(keys.size(), 1u) << "one kernel, one entry";
  if (keys.empty())
    return "";
  std::optional<std::string> object = DiskCache(directory).load(keys[0]);
  EXPECT_TRUE(object.has_value());
  return object.value_or("");
}

/// How often each instruction (by LLVM opcode name, e.g. "VMOVNTPSZmr")
/// occurs in the object's code sections.
std::map<std::string, int> instructionCounts(const std::string &object) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetDisassembler();
  std::map<std::string, int> counts;
  auto file = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(object, "kernel"));
  if (!file) {
    ADD_FAILURE() << "not an object file: " << llvm::toString(file.takeError());
    return counts;
  }
  const std::string triple = llvm::sys::getProcessTriple();
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    ADD_FAILURE() << error;
    return counts;
  }
  std::unique_ptr<llvm::MCRegisterInfo> registers(
      target->createMCRegInfo(triple));
  std::unique_ptr<llvm::MCAsmInfo> asmInfo(
      target->createMCAsmInfo(*registers, triple, llvm::MCTargetOptions()));
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, llvm::sys::getHostCPUName(), ""));
  std::unique_ptr<llvm::MCInstrInfo> instructions(target->createMCInstrInfo());
  llvm::MCContext context(llvm::Triple(triple), asmInfo.get(), registers.get(),
                          subtarget.get());
  std::unique_ptr<llvm::MCDisassembler> disassembler(
      target->createMCDisassembler(*subtarget, context));
  for (const llvm::object::SectionRef &section : (*file)->sections()) {
    if (!section.isText())
      continue;
    llvm::Expected<llvm::StringRef> contents = section.getContents();
    if (!contents) {
      ADD_FAILURE() << llvm::toString(contents.takeError());
      continue;
    }
    llvm::ArrayRef<uint8_t> bytes(
        reinterpret_cast<const uint8_t *>(contents->data()), contents->size());
    for (uint64_t offset = 0; offset < bytes.size();) {
      llvm::MCInst instruction;
      uint64_t size = 0;
      if (disassembler->getInstruction(instruction, size, bytes.slice(offset),
                                       offset, llvm::nulls()) ==
          llvm::MCDisassembler::Success)
        ++counts[instructions->getName(instruction.getOpcode()).str()];
      offset += size ? size : 1;
    }
  }
  return counts;
}

/// Occurrences of instructions whose opcode name contains `part`.
int countContaining(const std::map<std::string, int> &counts,
                    const std::string &part) {
  int total = 0;
  for (const auto &[name, count] : counts)
    if (name.find(part) != std::string::npos)
      total += count;
  return total;
}

KernelSignature expSignature(bool streaming) {
  KernelSignature signature{
      "exp", {{DType::Float32, 1}}, {{DType::Float32, 1}}};
  signature.attributes[streaming ? "streaming" : "flat"] = {1};
  return signature;
}

TEST(StreamingCodegen, StoresAreNonTemporalAndLoadsArePrefetched) {
  std::map<std::string, int> counts =
      instructionCounts(objectOf(expSignature(true)));
  EXPECT_GT(countContaining(counts, "MOVNTPS"), 0);
  EXPECT_GT(countContaining(counts, "PREFETCHT0"), 0);
}

TEST(StreamingCodegen, TheFlatKernelKeepsOrdinaryStoresAndNoPrefetches) {
  std::map<std::string, int> counts =
      instructionCounts(objectOf(expSignature(false)));
  EXPECT_GT(
      countContaining(counts, "MOVUPS") + countContaining(counts, "MOVAPS"), 0)
      << "the disassembly found no vector stores at all";
  EXPECT_EQ(countContaining(counts, "MOVNT"), 0);
  EXPECT_EQ(countContaining(counts, "PREFETCH"), 0);
}

} // namespace
} // namespace compiler
} // namespace kiln
