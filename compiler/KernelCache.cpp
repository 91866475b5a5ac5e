//===- KernelCache.cpp - compiled kernels by signature --------------------===//
#include "compiler/KernelCache.h"

#include "compiler/DiagnosticText.h"
#include "compiler/DiskCache.h"
#include "compiler/KernelBuilder.h"
#include "compiler/Passes.h"
#include "compiler/Registration.h"
#include "compiler/cpu/JitCompiler.h"
#include "runtime/Error.h"
#include "runtime/ShapeOnly.h"
#include "runtime/ThreadPool.h"

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
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <thread>
#include <utility>

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
    DiagnosticText diagnostics(&context);
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
      throw Error("compiler: lowering " + what +
                  " failed:" + diagnostics.str());
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

namespace {

/// The innermost AsyncScope on this thread: its misses compile in the
/// background.
thread_local KernelCache::AsyncScope *asyncScope = nullptr;

//===----------------------------------------------------------------------===//
// Entry points handed out before their kernels exist
//===----------------------------------------------------------------------===//

/// A kernel entry is a plain function pointer (KernelEntryFn), which carries
/// no state: a kernel still compiling is handed out as one of a fixed set of
/// functions, each forwarding to its slot's kernel once that is set. Slots
/// are never reused, like the kernels they forward to; when all are taken,
/// misses compile in the caller again.
constexpr size_t kWaitingEntries = 1024;

struct WaitingSlot {
  std::atomic<KernelEntryFn> kernel{nullptr};
  std::atomic<bool> failed{false};
  std::exception_ptr error; // Set before `failed`.
};

WaitingSlot waitingSlots[kWaitingEntries];
std::atomic<size_t> waitingSlotsTaken{0};
std::mutex waitingMutex;
std::condition_variable waitingDone;

KernelEntryFn waitForSlot(size_t index) {
  WaitingSlot &slot = waitingSlots[index];
  std::unique_lock<std::mutex> lock(waitingMutex);
  waitingDone.wait(lock, [&] {
    return slot.kernel.load(std::memory_order_acquire) ||
           slot.failed.load(std::memory_order_acquire);
  });
  if (KernelEntryFn kernel = slot.kernel.load(std::memory_order_acquire))
    return kernel;
  std::rethrow_exception(slot.error);
}

template <size_t Index> void waitingEntry(void **arguments) {
  KernelEntryFn kernel =
      waitingSlots[Index].kernel.load(std::memory_order_acquire);
  (kernel ? kernel : waitForSlot(Index))(arguments);
}

template <size_t... Index>
constexpr std::array<KernelEntryFn, sizeof...(Index)>
makeWaitingEntries(std::index_sequence<Index...>) {
  return {&waitingEntry<Index>...};
}

constexpr std::array<KernelEntryFn, kWaitingEntries> waitingEntries =
    makeWaitingEntries(std::make_index_sequence<kWaitingEntries>{});

void settleSlot(size_t index, KernelEntryFn kernel, std::exception_ptr error) {
  WaitingSlot &slot = waitingSlots[index];
  {
    std::lock_guard<std::mutex> lock(waitingMutex);
    if (kernel) {
      slot.kernel.store(kernel, std::memory_order_release);
    } else {
      slot.error = std::move(error);
      slot.failed.store(true, std::memory_order_release);
    }
  }
  waitingDone.notify_all();
}

} // namespace

KernelCache::AsyncScope::AsyncScope() : previous_(asyncScope) {
  asyncScope = this;
}

KernelCache::AsyncScope::~AsyncScope() { asyncScope = previous_; }

void KernelCache::AsyncScope::wait() const {
  for (size_t slot : slots_)
    waitForSlot(slot);
}

//===----------------------------------------------------------------------===//
// Background compiles
//===----------------------------------------------------------------------===//

/// Threads that compile queued kernels, each with a Compiler of its own (an
/// MLIR context is used by one thread at a time). The global cache's live
/// until the process exits, which waits for their compiles first.
class KernelCache::Background {
public:
  struct Job {
    std::string key;
    ModuleSource emit; // Owns what it reads.
    size_t slot;
    std::string digest, functionName, label;
    bool store; // In the disk cache.
  };

  Background(KernelCache &cache, int threads)
      : cache_(cache), process_(::getpid()) {
    for (int i = 0; i < threads; ++i)
      threads_.emplace_back([this] { work(); });
    // Compiles still running when the process exits would use LLVM while
    // its static objects are destroyed: exit waits for them first (the
    // handler runs before the destructors of statics made before it).
    static std::once_flag registered;
    std::call_once(registered, [] {
      std::atexit([] {
        std::lock_guard<std::mutex> lock(liveMutex());
        for (Background *background : live())
          if (background->serves()) // A forked child has no compiles.
            background->drain();
      });
    });
    std::lock_guard<std::mutex> lock(liveMutex());
    live().push_back(this);
  }

  ~Background() {
    {
      std::lock_guard<std::mutex> lock(liveMutex());
      live().erase(std::find(live().begin(), live().end(), this));
    }
    drain(); // Every entry handed out gets its kernel or its error.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread &thread : threads_)
      if (thread.joinable())
        thread.join();
  }

  /// Whether the threads are this process's (a forked child has none).
  bool serves() const { return process_ == ::getpid(); }

  void enqueue(Job job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

  /// Returns when every queued compile has finished.
  void drain() {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [&] { return jobs_.empty() && busy_ == 0; });
  }

private:
  static std::mutex &liveMutex() {
    static auto *mutex = new std::mutex;
    return *mutex;
  }
  static std::vector<Background *> &live() {
    static auto *backgrounds = new std::vector<Background *>;
    return *backgrounds;
  }

  void work() {
    std::unique_ptr<Compiler> compiler;
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty())
          return; // Stopping.
        job = std::move(jobs_.front());
        jobs_.pop_front();
        ++busy_;
      }
      KernelEntryFn kernel = nullptr;
      std::exception_ptr error;
      try {
        if (!compiler)
          compiler = std::make_unique<Compiler>();
        std::string object = job.emit(*compiler, job.functionName);
        if (job.store && cache_.disk_)
          cache_.disk_->store(job.digest, object);
        kernel = compiler->jit.loadObject(object, job.functionName, job.label);
      } catch (...) {
        error = std::current_exception();
      }
      cache_.backgroundDone(job.key, waitingEntries[job.slot], kernel);
      settleSlot(job.slot, kernel, error);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --busy_;
      }
      idle_.notify_all();
    }
  }

  KernelCache &cache_;
  const pid_t process_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable ready_, idle_;
  std::deque<Job> jobs_;
  int busy_ = 0; // Jobs taken and not finished.
  bool stopping_ = false;
};

KernelCache::KernelCache()
    : KernelCache(DiskCache::directoryFromEnvironment()) {}

KernelCache::KernelCache(std::string diskDirectory) {
  if (!diskDirectory.empty())
    disk_ = std::make_unique<DiskCache>(std::move(diskDirectory));
}

KernelCache::~KernelCache() {
  // First: its compiles end in this cache's memory (mutex_, kernels_).
  background_.reset();
}

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
  return lookup(
      signature.key(),
      [&](Compiler &compiler, const std::string &functionName) {
        return compiler.emit(signature, functionName);
      },
      [&]() -> ModuleSource {
        return
            [signature](Compiler &compiler, const std::string &functionName) {
              return compiler.emit(signature, functionName);
            };
      });
}

KernelEntryFn KernelCache::getGraph(const std::string &source,
                                    bool identityLayouts) {
  if (shapeOnly())
    return shapeOnlyKernel;
  return lookup(
      (identityLayouts ? "graph-identity:" : "graph:") + source,
      [&](Compiler &compiler, const std::string &functionName) {
        return compiler.emitGraph(source, functionName, identityLayouts);
      },
      [&]() -> ModuleSource {
        return [source, identityLayouts](Compiler &compiler,
                                         const std::string &functionName) {
          return compiler.emitGraph(source, functionName, identityLayouts);
        };
      });
}

KernelEntryFn KernelCache::lookup(const std::string &key,
                                  const ModuleSource &emit,
                                  const DetachedSource &detach) {
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
  KernelEntryFn kernel = loadOrCompile(key, emit, detach, source);
  std::lock_guard<std::mutex> lock(mutex_);
  if (source == Source::Disk)
    ++stats_.diskHits;
  else
    ++stats_.compilations; // Compiled, or compiling in the background.
  if (source == Source::Background)
    ++stats_.backgroundCompilations;
  else // A background job's entry is in the map already (loadOrCompile).
    kernels_.emplace(key, kernel);
  stats_.entries = kernels_.size();
  return kernel;
}

void KernelCache::backgroundDone(const std::string &key, KernelEntryFn pending,
                                 KernelEntryFn kernel) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = kernels_.find(key);
  if (found == kernels_.end() || found->second != pending)
    return;
  if (kernel) {
    found->second = kernel; // Later requests skip the waiting entry.
  } else {
    // Failed: the next request compiles it in the caller, whose error the
    // caller sees.
    kernels_.erase(found);
    stats_.entries = kernels_.size();
  }
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
                                         const DetachedSource &detach,
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
  // In an AsyncScope (not while dumping, which numbers kernels in compile
  // order), the kernel compiles in the background.
  if (asyncScope && dumpDirectory().empty()) {
    std::call_once(backgroundStarted_, [&] {
      background_ = std::make_unique<Background>(
          *this, std::max(1, ThreadPool::threadsFromEnvironment()));
    });
    const size_t slot =
        background_->serves()
            ? waitingSlotsTaken.fetch_add(1, std::memory_order_relaxed)
            : kWaitingEntries;
    if (slot < kWaitingEntries) {
      // In the map before the job can finish: backgroundDone then always
      // finds it, to replace it with the kernel or forget it on failure.
      {
        std::lock_guard<std::mutex> lock(mutex_);
        kernels_.emplace(key, waitingEntries[slot]);
      }
      background_->enqueue(
          {key, detach(), slot, digest, functionName, label, diskUsable});
      asyncScope->slots_.push_back(slot);
      source = Source::Background;
      return waitingEntries[slot];
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
