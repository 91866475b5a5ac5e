//===- KernelCache.cpp - compiled kernels by signature --------------------===//
#include "compiler/KernelCache.h"

#include "compiler/DiskCache.h"
#include "compiler/KernelBuilder.h"
#include "compiler/Passes.h"
#include "compiler/Registration.h"
#include "compiler/cpu/JitCompiler.h"
#include "runtime/Error.h"
#include "runtime/ShapeOnly.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace kiln {
namespace compiler {

namespace {

/// Identifies this build of the compiler: the path, size and modification
/// time of the binary holding this code. Any rebuild changes it, so kernels
/// compiled by an older kiln are never loaded. Empty if it cannot be told.
std::string buildIdentity() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&buildIdentity), &info) ||
      !info.dli_fname)
    return "";
  struct stat file;
  if (::stat(info.dli_fname, &file) != 0)
    return "";
  return std::string(info.dli_fname) + ":" + std::to_string(file.st_size) +
         ":" + std::to_string(file.st_mtim.tv_sec) + "." +
         std::to_string(file.st_mtim.tv_nsec);
}

std::string sha256Hex(const std::string &text) {
  llvm::SHA256 hasher;
  hasher.update(text);
  std::array<uint8_t, 32> digest = hasher.final();
  return llvm::toHex(digest, /*LowerCase=*/true);
}

/// KILN_DUMP_IR: the directory that receives every compiled kernel's IR
/// after each pass of the lowering pipeline (empty: none).
std::string dumpDirectory() {
  const char *directory = std::getenv("KILN_DUMP_IR");
  return directory ? directory : "";
}

} // namespace

/// Owns the JIT and, from the first compilation on, the MLIR context and the
/// lowering pipeline. Used under the cache's mutex only.
class KernelCache::Compiler {
public:
  JitCompiler jit;

  /// Optimized object code for `signature`'s kernel, named `functionName`.
  std::string emit(const KernelSignature &signature,
                   const std::string &functionName) {
    const bool streaming = signature.attributes.count("streaming") > 0;
    const bool flat = streaming || signature.attributes.count("flat") > 0;
    return lower(buildKernelModule(mlirContext(), signature, functionName),
                 signature.key(), functionName, flat, streaming);
  }

  /// Optimized object code for a graph's kernel, named `functionName`.
  std::string emitGraph(const std::string &source,
                        const std::string &functionName, bool identityLayouts) {
    // Named in dumps by the graph's own function name ("fused_elementwise").
    const size_t at = source.find("func.func @");
    const std::string graphName =
        at == std::string::npos
            ? functionName
            : source.substr(at + 11, source.find('(', at) - at - 11);
    return lower(buildGraphKernelModule(mlirContext(), source, functionName),
                 "graph " + graphName, functionName, identityLayouts);
  }

private:
  std::string lower(mlir::OwningOpRef<mlir::ModuleOp> module,
                    const std::string &what, const std::string &functionName,
                    bool identityLayouts = false, bool streaming = false) {
    mlir::MLIRContext &context = mlirContext();
    // Pipeline failures are compiler bugs, but still errors, not aborts:
    // collect the diagnostics into the message.
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      diagnostics += "\n  " + d.str();
      return mlir::success();
    });
    mlir::PassManager pipeline(&context);
    mlir::kiln::buildLowerToLLVMPipeline(pipeline, identityLayouts);
    std::unique_ptr<llvm::raw_fd_ostream> dump = openDump(what);
    if (dump) {
      *dump << "// kiln kernel " << functionName << ": " << what
            << "\n// -----// IR Dump Before the pipeline //----- //\n";
      module->print(*dump);
      pipeline.enableIRPrinting(
          /*shouldPrintBeforePass=*/nullptr,
          /*shouldPrintAfterPass=*/
          [](mlir::Pass *, mlir::Operation *) { return true; },
          /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/true,
          /*printAfterOnlyOnFailure=*/false, *dump);
    }
    if (mlir::failed(pipeline.run(*module)))
      throw Error("compiler: lowering " + what + " failed:" + diagnostics);
    // Flat kernels (identity layouts) are elementwise by construction:
    // Dispatch's pushFlat and graphIntoFlat, the fusion's flat groups.
    return jit.emitObject(*module, functionName, streaming,
                          /*elementwise=*/identityLayouts);
  }

  /// With KILN_DUMP_IR=dir, a file in dir for the kernel about to be
  /// lowered (numbered in compile order, named after `what`); else null.
  std::unique_ptr<llvm::raw_fd_ostream> openDump(const std::string &what) {
    const std::string directory = dumpDirectory();
    if (directory.empty())
      return nullptr;
    std::string name;
    for (char c : what.substr(0, 60))
      name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    char number[16];
    std::snprintf(number, sizeof(number), "%05d-", ++dumped_);
    llvm::sys::fs::create_directories(directory);
    std::error_code error;
    auto stream = std::make_unique<llvm::raw_fd_ostream>(
        directory + "/" + number + name + ".mlir", error);
    if (error)
      throw Error("compiler: KILN_DUMP_IR: cannot write in '" + directory +
                  "': " + error.message());
    return stream;
  }
  int dumped_ = 0;

public:
  /// What a disk entry's key depends on besides the signature.
  const std::string &environment() {
    if (environment_.empty())
      environment_ = jit.targetDescription() +
                     "|llvm " LLVM_VERSION_STRING "|" + buildIdentity();
    return environment_;
  }

private:
  mlir::MLIRContext &mlirContext() {
    if (!context_) {
      mlir::DialectRegistry registry;
      mlir::kiln::registerCompilerDialects(registry);
      context_ = std::make_unique<mlir::MLIRContext>(
          registry, mlir::MLIRContext::Threading::DISABLED);
      context_->loadAllAvailableDialects();
    }
    return *context_;
  }

  std::unique_ptr<mlir::MLIRContext> context_;
  std::string environment_;
};

KernelCache::KernelCache()
    : KernelCache(DiskCache::directoryFromEnvironment()) {}

KernelCache::KernelCache(std::string diskDirectory) {
  if (!diskDirectory.empty())
    disk_ = std::make_unique<DiskCache>(std::move(diskDirectory));
}

KernelCache::~KernelCache() = default;

KernelCache &KernelCache::global() {
  // Leaked on purpose: compiled code must outlive every kernel still queued
  // in the engine at exit.
  static KernelCache *cache = new KernelCache();
  return *cache;
}

namespace {
/// What the cache hands out in shape-only mode, where nothing runs: the
/// engine drops pushed work, so compiling would only cost time.
void shapeOnlyKernel(void **) {}
} // namespace

KernelEntryFn KernelCache::get(const KernelSignature &signature) {
  if (shapeOnly())
    return shapeOnlyKernel;
  return lookup(signature.key(),
                [&](Compiler &compiler, const std::string &functionName) {
                  return compiler.emit(signature, functionName);
                });
}

KernelEntryFn KernelCache::getGraph(const std::string &source,
                                    bool identityLayouts) {
  if (shapeOnly())
    return shapeOnlyKernel;
  return lookup((identityLayouts ? "graph-identity:" : "graph:") + source,
                [&](Compiler &compiler, const std::string &functionName) {
                  return compiler.emitGraph(source, functionName,
                                            identityLayouts);
                });
}

KernelEntryFn KernelCache::lookup(const std::string &key,
                                  const ModuleSource &emit) {
  // The kernel if memory has it (a hit), else null; under mutex_. The last
  // look before loading or compiling counts its miss, whether that succeeds
  // or throws.
  auto inMemory = [&](bool lastLook) -> KernelEntryFn {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = kernels_.find(key);
    if (found == kernels_.end()) {
      stats_.misses += lastLook ? 1 : 0;
      return nullptr;
    }
    ++stats_.hits;
    return found->second;
  };
  if (KernelEntryFn kernel = inMemory(false))
    return kernel;
  // Compilations take tens of milliseconds and run one at a time (one MLIR
  // context); hits on other threads go on meanwhile under mutex_ alone.
  std::lock_guard<std::mutex> compiling(compileMutex_);
  // Another thread may have built this kernel while this one waited.
  if (KernelEntryFn kernel = inMemory(true))
    return kernel;
  Source source = Source::Compiled;
  KernelEntryFn kernel = loadOrCompile(key, emit, source);
  std::lock_guard<std::mutex> lock(mutex_);
  if (source == Source::Disk)
    ++stats_.diskHits;
  else
    ++stats_.compilations;
  kernels_.emplace(key, kernel);
  stats_.entries = kernels_.size();
  return kernel;
}

namespace {
/// A kernel's name in perf's map (KILN_PERF_MAP=1): its key without
/// spaces, shortened.
std::string perfLabel(const std::string &key) {
  std::string label;
  for (char c : key) {
    if (label.size() >= 120)
      break;
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (!(space && !label.empty() && label.back() == '_'))
      label += space ? '_' : c;
  }
  return label;
}
} // namespace

KernelEntryFn KernelCache::loadOrCompile(const std::string &key,
                                         const ModuleSource &emit,
                                         Source &source) {
  if (!compiler_)
    compiler_ = std::make_unique<Compiler>();
  const std::string &environment = compiler_->environment();
  const std::string digest = sha256Hex(key + "|" + environment);
  // Symbols named by the digest: objects from other processes never clash.
  const std::string functionName = "kiln_" + digest.substr(0, 32);
  const std::string label = perfLabel(key);
  // Dumping the IR (KILN_DUMP_IR) means compiling: disk entries are
  // neither read nor written meanwhile.
  const bool diskUsable = disk_ && disk_->enabled() &&
                          environment.back() != '|' && dumpDirectory().empty();
  source = Source::Compiled;
  if (diskUsable) {
    if (std::optional<std::string> object = disk_->load(digest)) {
      try {
        KernelEntryFn kernel =
            compiler_->jit.loadObject(*object, functionName, label);
        source = Source::Disk;
        return kernel;
      } catch (const Error &) {
        // Unloadable despite a valid checksum: compile it afresh, under
        // another name in case part of it was linked.
        std::remove(disk_->pathFor(digest).c_str());
        const std::string retryName = functionName + "_r";
        std::string fresh = emit(*compiler_, retryName);
        return compiler_->jit.loadObject(fresh, retryName, label);
      }
    }
  }
  std::string object = emit(*compiler_, functionName);
  if (diskUsable)
    disk_->store(digest, object);
  return compiler_->jit.loadObject(object, functionName, label);
}

KernelCacheStats KernelCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

std::string KernelCache::diskDirectory() const {
  return disk_ ? disk_->directory() : "";
}

} // namespace compiler
} // namespace kiln
