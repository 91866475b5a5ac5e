//===- JitCompiler.cpp - LLVM dialect to callable host code ---------------===//
#include "compiler/cpu/JitCompiler.h"
#include "compiler/DiagnosticText.h"
#include "compiler/cpu/LoopHints.h"

#include "runtime/Error.h"
#include "runtime/cpu/LibraryCalls.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

namespace kiln {
namespace compiler {
namespace {

std::string describe(llvm::Error error) {
  return llvm::toString(std::move(error));
}

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

/// Adds `void <entryName>(void **descriptors)` that loads one descriptor
/// pointer per parameter of `wrapped` and calls it: the kernel ABI's entry.
void addPackedEntry(llvm::Module &module, llvm::Function &wrapped,
                    const std::string &entryName) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *pointer = llvm::PointerType::getUnqual(context);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(context),
                                       {pointer}, /*isVarArg=*/false);
  auto *entry = llvm::Function::Create(type, llvm::Function::ExternalLinkage,
                                       entryName, module);
  llvm::IRBuilder<> builder(llvm::BasicBlock::Create(context, "entry", entry));
  llvm::SmallVector<llvm::Value *> arguments;
  for (unsigned i = 0; i < wrapped.arg_size(); ++i) {
    llvm::Value *slot =
        builder.CreateConstGEP1_64(pointer, entry->getArg(0), i);
    arguments.push_back(builder.CreateLoad(pointer, slot));
  }
  builder.CreateCall(&wrapped, arguments);
  builder.CreateRetVoid();
}

} // namespace

struct JitCompiler::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::unique_ptr<llvm::TargetMachine> targetMachine;
  std::string targetDescription;
  bool hasAvx512 = false;
  /// The widest vector registers kernels use (0 where unknown).
  unsigned vectorBits = 0;
  std::mutex mutex;
};

JitCompiler::JitCompiler() : impl_(std::make_unique<Impl>()) {
  initializeNativeTarget();
  auto machineBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machineBuilder)
    throw Error("JIT: cannot detect the host CPU: " +
                describe(machineBuilder.takeError()));
  machineBuilder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  // Objects may be cached on disk and linked anywhere in a later process.
  machineBuilder->setRelocationModel(llvm::Reloc::PIC_);
  machineBuilder->setCodeModel(llvm::CodeModel::Small);
  auto targetMachine = machineBuilder->createTargetMachine();
  if (!targetMachine)
    throw Error("JIT: cannot create a target machine: " +
                describe(targetMachine.takeError()));
  impl_->targetMachine = std::move(*targetMachine);
  impl_->targetDescription = machineBuilder->getTargetTriple().str() + " " +
                             machineBuilder->getCPU() + " " +
                             machineBuilder->getFeatures().getString();
  for (const std::string &feature :
       machineBuilder->getFeatures().getFeatures()) {
    if (feature == "+avx512f")
      impl_->hasAvx512 = true;
    if (feature == "+avx")
      impl_->vectorBits = std::max(impl_->vectorBits, 256u);
    if (feature == "+sse2")
      impl_->vectorBits = std::max(impl_->vectorBits, 128u);
  }
  if (impl_->hasAvx512) // kernels prefer full width (below)
    impl_->vectorBits = 512;

  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*machineBuilder))
                 .create();
  if (!jit)
    throw Error("JIT: cannot create LLJIT: " + describe(jit.takeError()));
  impl_->jit = std::move(*jit);
  // Kernels may call libm and the C library (expf, memcpy, ...).
  auto processSymbols =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
          impl_->jit->getDataLayout().getGlobalPrefix());
  if (!processSymbols)
    throw Error("JIT: cannot expose process symbols: " +
                describe(processSymbols.takeError()));
  impl_->jit->getMainJITDylib().addGenerator(std::move(*processSymbols));
  // The runtime's kernels that compiled code calls by name.
  llvm::orc::SymbolMap runtimeSymbols;
  for (const LibrarySymbol &symbol : librarySymbols())
    runtimeSymbols[impl_->jit->mangleAndIntern(cifaceName(symbol.callee))] = {
        llvm::orc::ExecutorAddr::fromPtr(symbol.address),
        llvm::JITSymbolFlags::Exported};
  if (llvm::Error error = impl_->jit->getMainJITDylib().define(
          llvm::orc::absoluteSymbols(std::move(runtimeSymbols))))
    throw Error("JIT: cannot define runtime symbols: " +
                describe(std::move(error)));
}

JitCompiler::~JitCompiler() = default;

const std::string &JitCompiler::targetDescription() const {
  return impl_->targetDescription;
}

std::string JitCompiler::entryName(const std::string &functionName) {
  return functionName + "_entry";
}

KernelEntryFn JitCompiler::compile(mlir::ModuleOp module,
                                   const std::string &functionName) {
  return loadObject(emitObject(module, functionName), functionName);
}

namespace {

/// The alignment the runtime guarantees for a streaming kernel's output.
constexpr uint64_t kStreamingAlignment = 64;

/// Asserts at entry that the output's aligned pointer (the last memref's
/// second field; rank 1: five fields) is 64-byte aligned.
void assumeAlignedOutput(llvm::Function &kernel) {
  const unsigned fields = 5; // allocated, aligned, offset, size, stride
  if (kernel.arg_size() < fields)
    return;
  llvm::Argument *aligned = kernel.getArg(kernel.arg_size() - fields + 1);
  if (!aligned->getType()->isPointerTy())
    return;
  llvm::IRBuilder<> builder(&*kernel.getEntryBlock().getFirstInsertionPt());
  builder.CreateAlignmentAssumption(kernel.getParent()->getDataLayout(),
                                    aligned, kStreamingAlignment);
}

/// Marks vector stores whose alignment covers their size non-temporal: the
/// output is written without first being read into the cache.
void streamAlignedStores(llvm::Module &module) {
  llvm::LLVMContext &context = module.getContext();
  llvm::MDNode *nontemporal = llvm::MDNode::get(
      context, llvm::ConstantAsMetadata::get(
                   llvm::ConstantInt::get(llvm::Type::getInt32Ty(context), 1)));
  const llvm::DataLayout &layout = module.getDataLayout();
  for (llvm::Function &function : module)
    for (llvm::BasicBlock &block : function)
      for (llvm::Instruction &instruction : block) {
        auto *store = llvm::dyn_cast<llvm::StoreInst>(&instruction);
        if (!store || !store->getValueOperand()->getType()->isVectorTy())
          continue;
        const uint64_t bytes =
            layout.getTypeStoreSize(store->getValueOperand()->getType());
        if (bytes >= 16 && store->getAlign().value() >= bytes)
          store->setMetadata(llvm::LLVMContext::MD_nontemporal, nontemporal);
      }
}

/// How far ahead of each vector load a streaming kernel prefetches. The
/// hardware prefetchers alone leave the loop waiting on memory whenever the
/// arithmetic per cache line is long (exp, tanh, log over 2^24 f32 took
/// 2.7-4.6 ms); one page ahead into L1 hides it (2.5 ms, the memcpy floor).
/// 1-16 KB all measured within noise of each other; 512 B was too close.
constexpr int64_t kStreamingPrefetchBytes = 4096;

/// Adds a prefetch of the address kStreamingPrefetchBytes past every vector
/// load: the inputs of a streaming kernel are read front to back. Prefetches
/// never fault, so those that run past an input's end are harmless.
void prefetchVectorLoads(llvm::Module &module) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *byte = llvm::Type::getInt8Ty(context);
  llvm::Function *prefetch =
      llvm::Intrinsic::getDeclaration(&module, llvm::Intrinsic::prefetch,
                                      {llvm::PointerType::getUnqual(context)});
  std::vector<llvm::LoadInst *> loads;
  for (llvm::Function &function : module)
    for (llvm::BasicBlock &block : function)
      for (llvm::Instruction &instruction : block)
        if (auto *load = llvm::dyn_cast<llvm::LoadInst>(&instruction))
          if (load->getType()->isVectorTy())
            loads.push_back(load);
  for (llvm::LoadInst *load : loads) {
    llvm::IRBuilder<> builder(load);
    llvm::Value *ahead = builder.CreateConstGEP1_64(
        byte, load->getPointerOperand(), kStreamingPrefetchBytes);
    // read, locality 3 (keep in all levels: it is read within the page),
    // data cache
    builder.CreateCall(prefetch, {ahead, builder.getInt32(0),
                                  builder.getInt32(3), builder.getInt32(1)});
  }
}

} // namespace

std::string JitCompiler::emitObject(mlir::ModuleOp module,
                                    const std::string &functionName,
                                    bool streaming, bool elementwise) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule;
  {
    DiagnosticText diagnostics(module.getContext());
    llvmModule = mlir::translateModuleToLLVMIR(module, context, functionName);
    if (!llvmModule)
      throw Error("JIT: cannot translate " + functionName +
                  " to LLVM IR:" + diagnostics.str());
  }
  llvmModule->setDataLayout(impl_->targetMachine->createDataLayout());
  llvmModule->setTargetTriple(impl_->targetMachine->getTargetTriple().str());

  llvm::Function *wrapped =
      llvmModule->getFunction("_mlir_ciface_" + functionName);
  if (!wrapped)
    throw Error("JIT: " + functionName + " has no C interface wrapper");
  addPackedEntry(*llvmModule, *wrapped, entryName(functionName));
  if (streaming)
    if (llvm::Function *kernel = llvmModule->getFunction(functionName))
      assumeAlignedOutput(*kernel);
  // LLVM prefers 256-bit vectors on AVX-512 CPUs (older parts clocked down
  // on 512-bit code); kernels are throughput loops where full-width vectors
  // measured up to 1.4x faster (exp over 2^24 f32: 6.7 -> 5.5 ms).
  if (impl_->hasAvx512)
    for (llvm::Function &function : *llvmModule)
      if (!function.isDeclaration())
        function.addFnAttr("prefer-vector-width", "512");

  addLoopHints(*llvmModule, elementwise, impl_->vectorBits);

  // Vectorization and unrolling need the target's cost model, hence the
  // target machine in the pass builder.
  llvm::LoopAnalysisManager loopAnalyses;
  llvm::FunctionAnalysisManager functionAnalyses;
  llvm::CGSCCAnalysisManager cgsccAnalyses;
  llvm::ModuleAnalysisManager moduleAnalyses;
  llvm::PassBuilder passBuilder(impl_->targetMachine.get());
  passBuilder.registerModuleAnalyses(moduleAnalyses);
  passBuilder.registerCGSCCAnalyses(cgsccAnalyses);
  passBuilder.registerFunctionAnalyses(functionAnalyses);
  passBuilder.registerLoopAnalyses(loopAnalyses);
  passBuilder.crossRegisterProxies(loopAnalyses, functionAnalyses,
                                   cgsccAnalyses, moduleAnalyses);
  llvm::ModulePassManager passes =
      passBuilder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  passes.run(*llvmModule, moduleAnalyses);
  if (streaming) {
    streamAlignedStores(*llvmModule);
    prefetchVectorLoads(*llvmModule);
  }

  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream stream(buffer);
  llvm::legacy::PassManager codegen;
  if (impl_->targetMachine->addPassesToEmitFile(
          codegen, stream, nullptr, llvm::CodeGenFileType::ObjectFile))
    throw Error("JIT: the target cannot emit object files");
  codegen.run(*llvmModule);
  return std::string(buffer.data(), buffer.size());
}

namespace {

/// Appends the functions of a linked `object` to perf's map of JIT code,
/// /tmp/perf-<pid>.map ("start size name" in hex), each placed by its
/// offset from the entry (`entryName` at `entry`): one object's text is
/// linked whole, and its local functions cannot be looked up by name.
void appendToPerfMap(const std::string &object, const std::string &entryName,
                     uint64_t entry, const std::string &label) {
  auto file = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(object, entryName));
  if (!file) {
    llvm::consumeError(file.takeError());
    return;
  }
  struct Function {
    std::string name;
    uint64_t offset, size;
    llvm::object::section_iterator section;
  };
  std::vector<Function> functions;
  std::optional<Function> entryFunction;
  for (const llvm::object::SymbolRef &symbol : (*file)->symbols()) {
    auto type = symbol.getType();
    auto name = symbol.getName();
    auto offset = symbol.getValue();
    auto section = symbol.getSection();
    if (!type || !name || !offset || !section ||
        *type != llvm::object::SymbolRef::ST_Function) {
      if (!type)
        llvm::consumeError(type.takeError());
      if (!name)
        llvm::consumeError(name.takeError());
      if (!offset)
        llvm::consumeError(offset.takeError());
      if (!section)
        llvm::consumeError(section.takeError());
      continue;
    }
    Function function{name->str(), *offset,
                      llvm::object::ELFSymbolRef(symbol).getSize(), *section};
    if (function.name == entryName)
      entryFunction = function;
    functions.push_back(function);
  }
  if (!entryFunction)
    return;
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  static FILE *map = std::fopen(
      ("/tmp/perf-" + std::to_string(::getpid()) + ".map").c_str(), "a");
  if (!map)
    return;
  for (const Function &function : functions)
    if (function.section == entryFunction->section && function.size > 0)
      std::fprintf(map, "%llx %llx %s %s\n",
                   static_cast<unsigned long long>(entry + function.offset -
                                                   entryFunction->offset),
                   static_cast<unsigned long long>(function.size),
                   label.c_str(), function.name.c_str());
  std::fflush(map);
}

bool perfMapWanted() {
  static const bool wanted = [] {
    const char *setting = std::getenv("KILN_PERF_MAP");
    return setting && std::string(setting) != "0";
  }();
  return wanted;
}

} // namespace

KernelEntryFn JitCompiler::loadObject(const std::string &object,
                                      const std::string &functionName,
                                      const std::string &label) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(object, functionName);
  // Each object under a tracker of its own: one that fails to link (an
  // unresolved symbol) is removed whole, so its definitions do not clash
  // with the next kernel's.
  llvm::orc::ResourceTrackerSP tracker =
      impl_->jit->getMainJITDylib().createResourceTracker();
  auto discard = [&] { llvm::consumeError(tracker->remove()); };
  if (llvm::Error error =
          impl_->jit->addObjectFile(tracker, std::move(buffer))) {
    discard();
    throw Error("JIT: cannot load the object of " + functionName + ": " +
                describe(std::move(error)));
  }
  auto address = impl_->jit->lookup(entryName(functionName));
  if (!address) {
    std::string why = describe(address.takeError());
    discard();
    throw Error("JIT: cannot link " + functionName + ": " + why);
  }
  if (perfMapWanted())
    appendToPerfMap(object, entryName(functionName), address->getValue(),
                    label.empty() ? functionName : label);
  return address->toPtr<KernelEntryFn>();
}

} // namespace compiler
} // namespace kiln
