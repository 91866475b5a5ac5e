//===- Executable.cpp -----------------------------------------------------===//
#include "runtime/Executable.h"

#include "runtime/MemoryPlan.h"

#include <algorithm>
#include <unordered_map>

namespace kiln {
namespace {
thread_local ExecutableCapture *currentCapture = nullptr;
} // namespace

ExecutableCapture *Executable::current() { return currentCapture; }

void Executable::run() const {
  Engine &engine = Engine::global();
  for (const Launch &launch : launches_) {
    std::function<void()> fn = launch.makeFn ? launch.makeFn() : launch.fn;
    if (launch.mayRunInline)
      engine.pushOrRunInline(std::move(fn), launch.device, launch.reads,
                             launch.writes, launch.name);
    else
      engine.push(std::move(fn), launch.device, launch.reads, launch.writes,
                  launch.priority, launch.name, launch.queue);
  }
}

ExecutableCapture::ExecutableCapture(bool planned)
    : executable_(std::make_shared<Executable>()), planned_(planned) {
  previous_ = Engine::setRecorder(this);
  previousAllocations_ = setAllocationRecorder(this);
  installed_ = true;
  currentCapture = this;
}

ExecutableCapture::~ExecutableCapture() { finish(); }

void ExecutableCapture::allocated(const std::shared_ptr<Storage> &storage) {
  executable_->allocations_.push_back(storage);
  executable_->allocationVars_.emplace_back();
}

void ExecutableCapture::noteArray(const std::shared_ptr<Storage> &storage,
                                  const VarPtr &var) {
  // Most recent first: an array is noted right after its allocation.
  auto &allocations = executable_->allocations_;
  for (size_t i = allocations.size(); i-- > 0;)
    if (allocations[i] == storage) {
      executable_->allocationVars_[i].push_back(var);
      return;
    }
}

void ExecutableCapture::record(std::function<void()> fn, Device device,
                               const std::vector<VarPtr> &reads,
                               const std::vector<VarPtr> &writes, int priority,
                               std::string name, QueueKind queue) {
  Executable::Launch launch;
  launch.fn = std::move(fn);
  launch.device = device;
  launch.reads = reads;
  launch.writes = writes;
  launch.priority = priority;
  launch.name = std::move(name);
  launch.queue = queue;
  launch.mayRunInline = inlineDeclined_;
  inlineDeclined_ = false;
  executable_->launches_.push_back(std::move(launch));
}

void ExecutableCapture::recordDeferred(
    std::function<std::function<void()>()> makeFn, Device device,
    const std::vector<VarPtr> &writes, std::string name) {
  Executable::Launch launch;
  launch.makeFn = std::move(makeFn);
  launch.device = device;
  launch.writes = writes;
  launch.name = std::move(name);
  executable_->launches_.push_back(std::move(launch));
}

std::shared_ptr<Executable> ExecutableCapture::finish() {
  if (installed_) {
    Engine::setRecorder(previous_);
    setAllocationRecorder(previousAllocations_);
    currentCapture = dynamic_cast<ExecutableCapture *>(previous_);
    installed_ = false;
  }
  return std::move(executable_);
}

Executable::MemoryStats
Executable::planMemory(const std::vector<std::shared_ptr<Executable>> &programs,
                       const std::vector<VarPtr> &keep) {
  // Each variable's uses, by launch index across the programs in order.
  struct Use {
    int64_t first = -1, last = -1;
    bool firstIsWrite = false; // The first use writes without reading.
    Launch *firstLaunch = nullptr;
  };
  std::unordered_map<const Var *, Use> uses;
  int64_t index = 0;
  for (const std::shared_ptr<Executable> &program : programs)
    for (Launch &launch : program->launches_) {
      auto touch = [&](const VarPtr &var, bool write) {
        Use &use = uses[var.get()];
        if (use.first < 0) {
          use.first = index;
          use.firstLaunch = &launch;
          const bool read = std::any_of(
              launch.reads.begin(), launch.reads.end(),
              [&](const VarPtr &other) { return other.get() == var.get(); });
          use.firstIsWrite = write && !read;
        }
        use.last = index;
      };
      for (const VarPtr &var : launch.reads)
        touch(var, false);
      for (const VarPtr &var : launch.writes)
        touch(var, true);
      ++index;
    }
  for (const VarPtr &var : keep)
    uses[var.get()].firstIsWrite = false; // Never shared.

  struct Candidate {
    Storage *storage;
    std::vector<VarPtr> vars;
    Launch *firstWriter;
  };
  std::vector<Candidate> planned;
  std::vector<BufferLifetime> lifetimes;
  MemoryStats stats;
  for (const std::shared_ptr<Executable> &program : programs)
    for (size_t i = 0; i < program->allocations_.size(); ++i) {
      Storage *storage = program->allocations_[i].get();
      const std::vector<VarPtr> &vars = program->allocationVars_[i];
      // A buffer is planned when exactly one array variable reaches it and
      // a launch writes it whole before any reads it; anything else
      // (workspaces held by closures alone, constants filled while
      // capturing, outputs kept) stays where it is.
      bool plannable = vars.size() == 1;
      const Use *use = nullptr;
      if (plannable) {
        auto found = uses.find(vars[0].get());
        plannable = found != uses.end() && found->second.firstIsWrite;
        if (plannable)
          use = &found->second;
      }
      if (!plannable) {
        if (!storage->data() && storage->bytes()) {
          // Captured without memory: it gets an allocation of its own.
          std::shared_ptr<Storage> own =
              Storage::allocate(storage->bytes(), storage->device());
          storage->rebind(own->data(), own);
        }
        stats.unplannedBytes += storage->bytes();
        ++stats.unplannedBuffers;
        continue;
      }
      planned.push_back({storage, vars, use->firstLaunch});
      lifetimes.push_back({storage->bytes(), use->first, use->last});
      stats.plannedBytes += storage->bytes();
      ++stats.plannedBuffers;
    }
  if (planned.empty())
    return stats;

  const ArenaPlan plan = planArena(lifetimes);
  stats.arenaBytes = plan.arenaBytes;
  const Device device = planned.front().storage->device();
  std::shared_ptr<Storage> arena = Storage::allocate(plan.arenaBytes, device);
  auto *base = static_cast<char *>(arena->data());
  for (size_t i = 0; i < planned.size(); ++i)
    planned[i].storage->rebind(base + plan.offsets[i], arena);
  // Buffers sharing bytes are ordered through their variables: the first
  // writer of each also writes the others', so it waits for their last
  // uses (earlier in a run, or in the previous run).
  for (size_t i = 0; i < planned.size(); ++i) {
    const size_t begin = plan.offsets[i], end = begin + lifetimes[i].bytes;
    for (size_t j = 0; j < planned.size(); ++j) {
      if (i == j)
        continue;
      const size_t otherBegin = plan.offsets[j],
                   otherEnd = otherBegin + lifetimes[j].bytes;
      if (begin < otherEnd && otherBegin < end)
        planned[i].firstWriter->writes.push_back(planned[j].vars[0]);
    }
  }
  return stats;
}

} // namespace kiln
