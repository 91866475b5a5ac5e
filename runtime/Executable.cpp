//===- Executable.cpp -----------------------------------------------------===//
#include "runtime/Executable.h"

#include "runtime/Error.h"
#include "runtime/MemoryPlan.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

namespace kiln {
namespace {
thread_local ExecutableCapture *currentCapture = nullptr;
} // namespace

ExecutableCapture *Executable::current() { return currentCapture; }

void Executable::run(bool replay) const {
  Engine &engine = Engine::global();
  // Each launch keeps the name it was captured with (the op, or the
  // gradient rule's _backward_ name), also when the run is itself a
  // recorded op's backward (a hybridized block's under autograd), so the
  // profiler shows the executable's kernels rather than one label.
  ScopedOpLabel ownNames("");
  for (const Launch &launch : launches_) {
    std::function<void()> fn = launch.fn;
    if (launch.makeFn) {
      if (!replay || !launch.lastMade)
        launch.lastMade = launch.makeFn();
      fn = launch.lastMade;
    }
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
  // The hook may record launches of its own first; the flags belong to
  // this one.
  const bool inlineDeclined = inlineDeclined_, inPlaceSafe = inPlaceSafe_;
  inlineDeclined_ = inPlaceSafe_ = false;
  if (beforeLaunch_)
    beforeLaunch_(reads, writes);
  Executable::Launch launch;
  launch.fn = std::move(fn);
  launch.device = device;
  launch.reads = reads;
  launch.writes = writes;
  launch.priority = priority;
  launch.name = std::move(name);
  launch.queue = queue;
  launch.mayRunInline = inlineDeclined;
  launch.inPlaceSafe = inPlaceSafe;
  if (copyMark_.source && launch.reads.size() == 1 &&
      launch.writes.size() == 1 &&
      launch.reads[0].get() == copyMark_.sourceVar.get() &&
      launch.writes[0].get() == copyMark_.destinationVar.get()) {
    launch.copySource = std::move(copyMark_.source);
    launch.copyDestination = std::move(copyMark_.destination);
    copyMark_ = {};
  }
  executable_->launches_.push_back(std::move(launch));
}

void ExecutableCapture::markCopy(std::shared_ptr<Storage> source,
                                 VarPtr sourceVar,
                                 std::shared_ptr<Storage> destination,
                                 VarPtr destinationVar) {
  if (!source || !destination || source->bytes() != destination->bytes())
    throw Error("ExecutableCapture::markCopy: the storages differ in size");
  copyMark_ = {std::move(source), std::move(destination), std::move(sourceVar),
               std::move(destinationVar)};
}

void ExecutableCapture::recordDeferred(
    std::function<std::function<void()>()> makeFn, Device device,
    const std::vector<VarPtr> &writes, std::string name) {
  if (beforeLaunch_)
    beforeLaunch_({}, writes);
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

struct Executable::VarUse {
  int64_t first = -1, last = -1;
  bool firstIsWrite = false; // The first use writes without reading.
  Launch *firstLaunch = nullptr;
};

std::unordered_set<const Storage *> Executable::forwardCopies(
    const std::vector<std::shared_ptr<Executable>> &programs,
    const VarUses &uses, MemoryStats &stats) {
  std::unordered_set<const Storage *> forwarded;
  // The buffers the programs allocated, with their variables.
  std::unordered_map<const Storage *, const std::vector<VarPtr> *> allocated;
  for (const std::shared_ptr<Executable> &program : programs)
    for (size_t i = 0; i < program->allocations_.size(); ++i)
      allocated[program->allocations_[i].get()] = &program->allocationVars_[i];
  auto useOf = [&](const VarPtr &var) -> const VarUse * {
    auto found = uses.find(var.get());
    return found == uses.end() ? nullptr : &found->second;
  };
  int64_t index = 0;
  for (const std::shared_ptr<Executable> &program : programs)
    for (Launch &copy : program->launches_) {
      const int64_t at = index++;
      if (!copy.copySource)
        continue;
      std::shared_ptr<Storage> source = std::move(copy.copySource);
      std::shared_ptr<Storage> destination = std::move(copy.copyDestination);
      const VarPtr sourceVar = copy.reads[0], destinationVar = copy.writes[0];
      auto sourceVars = allocated.find(source.get());
      const VarUse *sourceUse = useOf(sourceVar),
                   *destinationUse = useOf(destinationVar);
      // The source: a buffer of the programs that only this array names,
      // written whole first and read by the copy last. The destination:
      // memory of its own that no other launch of the programs touches.
      const bool forwardable =
          sourceVars != allocated.end() && sourceVars->second->size() == 1 &&
          (*sourceVars->second)[0].get() == sourceVar.get() && sourceUse &&
          sourceUse->firstIsWrite && sourceUse->last == at && destinationUse &&
          destinationUse->first == at && destinationUse->last == at &&
          !allocated.count(destination.get()) && destination->data() &&
          !destination->isAlias() && !source->isAlias() &&
          source->bytes() == destination->bytes() &&
          source->device() == destination->device();
      if (!forwardable)
        continue;
      source->aliasOf(destination);
      forwarded.insert(source.get());
      copy.fn = [] {};
      ++stats.forwardedCopies;
      stats.forwardedBytes += source->bytes();
      // The source's uses are now uses of the destination's memory.
      for (const std::shared_ptr<Executable> &other : programs)
        for (Launch &launch : other->launches_) {
          if (&launch == &copy)
            continue;
          auto names = [&](const std::vector<VarPtr> &vars, const VarPtr &var) {
            return std::any_of(vars.begin(), vars.end(), [&](const VarPtr &v) {
              return v.get() == var.get();
            });
          };
          if (names(launch.writes, sourceVar)) {
            if (!names(launch.writes, destinationVar))
              launch.writes.push_back(destinationVar);
          } else if (names(launch.reads, sourceVar) &&
                     !names(launch.reads, destinationVar)) {
            launch.reads.push_back(destinationVar);
          }
        }
    }
  return forwarded;
}

Executable::MemoryStats
Executable::planMemory(const std::vector<std::shared_ptr<Executable>> &programs,
                       const std::vector<VarPtr> &keep,
                       std::shared_ptr<RetainedValues> *retained) {
  if (retained)
    *retained = std::make_shared<RetainedValues>();
  // Each variable's uses, by launch index across the programs in order.
  using Use = VarUse;
  VarUses uses;
  int64_t index = 0;
  // The index of the last program's first launch.
  int64_t lastProgramStart = 0;
  for (const std::shared_ptr<Executable> &program : programs) {
    lastProgramStart = index;
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
  }
  for (const VarPtr &var : keep)
    uses[var.get()].firstIsWrite = false; // Never shared.

  MemoryStats stats;
  const std::unordered_set<const Storage *> forwarded =
      forwardCopies(programs, uses, stats);

  struct Candidate {
    std::shared_ptr<Storage> storage;
    std::vector<VarPtr> vars;
    Launch *firstWriter;
  };
  std::vector<Candidate> planned;
  std::vector<BufferLifetime> lifetimes;
  for (const std::shared_ptr<Executable> &program : programs)
    for (size_t i = 0; i < program->allocations_.size(); ++i) {
      Storage *storage = program->allocations_[i].get();
      if (forwarded.count(storage))
        continue; // Lives in its copy's destination now.
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
        const bool used =
            std::any_of(vars.begin(), vars.end(), [&](const VarPtr &var) {
              return uses.count(var.get()) > 0;
            });
        if (!used && program->allocations_[i].use_count() == 1) {
          // Nothing can ever read or write it (a value a fused kernel kept
          // in registers): it gets no memory, or gives back what it had.
          stats.droppedBytes += storage->bytes();
          ++stats.droppedBuffers;
          program->allocations_[i].reset();
          continue;
        }
        if (!storage->data() && storage->bytes()) {
          // Captured without memory: it gets an allocation of its own.
          // Its own pooled block (not a rebind onto another storage's):
          // a result can then hand it to the caller whole (takeResults).
          std::shared_ptr<Storage> own =
              Storage::allocate(storage->bytes(), storage->device());
          storage->exchangeMemory(*own);
        }
        stats.unplannedBytes += storage->bytes();
        ++stats.unplannedBuffers;
        continue;
      }
      planned.push_back({program->allocations_[i], vars, use->firstLaunch});
      lifetimes.push_back({storage->bytes(), use->first, use->last});
      stats.plannedBytes += storage->bytes();
      ++stats.plannedBuffers;
    }
  if (planned.empty())
    return stats;

  // In place: the output of an in-place safe launch joins the group of an
  // input of the same size whose last use is that launch; a group is
  // placed as one buffer over its members' lifetimes.
  std::unordered_map<const Var *, size_t> plannedOf;
  for (size_t i = 0; i < planned.size(); ++i)
    plannedOf[planned[i].vars[0].get()] = i;
  std::vector<size_t> group(planned.size());
  std::vector<bool> continued(planned.size(), false);
  for (size_t b = 0; b < planned.size(); ++b) {
    group[b] = b;
    const Launch *writer = planned[b].firstWriter;
    if (!writer->inPlaceSafe)
      continue;
    for (const VarPtr &read : writer->reads) {
      auto found = plannedOf.find(read.get());
      if (found == plannedOf.end())
        continue;
      const size_t a = found->second;
      if (a != b && !continued[a] && lifetimes[a].last == lifetimes[b].first &&
          lifetimes[a].bytes == lifetimes[b].bytes) {
        continued[a] = true;
        group[b] = group[a];
        break;
      }
    }
  }
  std::vector<BufferLifetime> groups;
  std::vector<size_t> groupIndex(planned.size());
  std::unordered_map<size_t, size_t> indexOfGroup;
  for (size_t i = 0; i < planned.size(); ++i) {
    auto [at, added] = indexOfGroup.emplace(group[i], groups.size());
    if (added)
      groups.push_back(lifetimes[i]);
    BufferLifetime &merged = groups[at->second];
    merged.first = std::min(merged.first, lifetimes[i].first);
    merged.last = std::max(merged.last, lifetimes[i].last);
    merged.bytes = std::max(merged.bytes, lifetimes[i].bytes);
    groupIndex[i] = at->second;
  }

  const ArenaPlan plan = planArena(groups);
  stats.arenaBytes = plan.arenaBytes;
  {
    // Live bytes at each launch: +bytes where a group starts, - after it.
    std::map<int64_t, int64_t> change;
    for (const BufferLifetime &lifetime : groups) {
      change[lifetime.first] += static_cast<int64_t>(lifetime.bytes);
      change[lifetime.last + 1] -= static_cast<int64_t>(lifetime.bytes);
    }
    int64_t live = 0;
    for (const auto &[launch, delta] : change) {
      live += delta;
      stats.peakLiveBytes =
          std::max(stats.peakLiveBytes, static_cast<size_t>(live));
    }
  }
  const Device device = planned.front().storage->device();
  std::shared_ptr<Storage> arena = Storage::allocate(plan.arenaBytes, device);
  auto *base = static_cast<char *>(arena->data());
  std::vector<size_t> offsets(planned.size());
  for (size_t i = 0; i < planned.size(); ++i) {
    offsets[i] = plan.offsets[groupIndex[i]];
    planned[i].storage->rebind(base + offsets[i], arena);
  }
  // Buffers sharing bytes are ordered through their variables: the first
  // writer of each also writes the variables of the buffers that last held
  // its bytes before it (so it waits for their uses in this run) and of
  // those that hold them last in the program (their uses in the previous
  // run). Each of those was ordered the same way after every older holder,
  // so covering the buffer's bytes with the most recent holders suffices:
  // a handful of variables per launch, not every buffer that ever shared
  // the bytes (which made long graphs quadratic to run).
  std::vector<std::vector<size_t>> sharing(planned.size());
  for (size_t i = 0; i < planned.size(); ++i)
    for (size_t j = i + 1; j < planned.size(); ++j)
      if (offsets[i] < offsets[j] + lifetimes[j].bytes &&
          offsets[j] < offsets[i] + lifetimes[i].bytes) {
        sharing[i].push_back(j);
        sharing[j].push_back(i);
      }
  for (size_t i = 0; i < planned.size(); ++i) {
    const BufferLifetime &own = lifetimes[i];
    std::vector<size_t> before, after;
    for (size_t j : sharing[i])
      (lifetimes[j].first < own.first ? before : after).push_back(j);
    auto latestFirst = [&](size_t a, size_t b) {
      return lifetimes[a].last > lifetimes[b].last;
    };
    std::sort(before.begin(), before.end(), latestFirst);
    std::sort(after.begin(), after.end(), latestFirst);
    for (const std::vector<size_t> *holders : {&before, &after}) {
      // The bytes of buffer i not yet covered, as [begin, end) pieces.
      std::vector<std::pair<size_t, size_t>> uncovered = {
          {offsets[i], offsets[i] + own.bytes}};
      for (size_t j : *holders) {
        const size_t begin = offsets[j], end = begin + lifetimes[j].bytes;
        std::vector<std::pair<size_t, size_t>> rest;
        bool covers = false;
        for (const auto &[from, to] : uncovered) {
          if (end <= from || to <= begin) {
            rest.push_back({from, to});
            continue;
          }
          covers = true;
          if (from < begin)
            rest.push_back({from, begin});
          if (end < to)
            rest.push_back({end, to});
        }
        if (covers)
          planned[i].firstWriter->writes.push_back(planned[j].vars[0]);
        uncovered = std::move(rest);
        if (uncovered.empty())
          break;
      }
    }
  }
  if (retained && programs.size() > 1)
    for (size_t i = 0; i < planned.size(); ++i) {
      // Made before the last program and read in it: a value it keeps.
      if (lifetimes[i].first >= lastProgramStart ||
          lifetimes[i].last < lastProgramStart)
        continue;
      std::vector<VarPtr> overwriters;
      for (size_t j : sharing[i])
        if (lifetimes[j].first >= lastProgramStart)
          overwriters.push_back(planned[j].vars[0]);
      if (overwriters.empty())
        continue;
      RetainedValues &values = **retained;
      values.values_.push_back(planned[i].storage);
      values.valueVars_.push_back(planned[i].vars[0]);
      for (const VarPtr &var : overwriters)
        if (std::find(values.overwriterVars_.begin(),
                      values.overwriterVars_.end(),
                      var) == values.overwriterVars_.end())
          values.overwriterVars_.push_back(var);
    }
  return stats;
}

size_t RetainedValues::bytes() const {
  size_t total = 0;
  for (const std::shared_ptr<Storage> &value : values_)
    total += value->bytes();
  return total;
}

void RetainedValues::save() {
  if (values_.empty())
    return;
  const Device device = values_.front()->device();
  if (!copy_) {
    copy_ = Storage::allocate(bytes(), device);
    copyVar_ = Engine::newVar();
  }
  // The values' addresses are read when the op runs: a planned buffer
  // stays at its arena offset, but nothing here depends on that.
  Engine::global().push(
      [values = values_, copy = copy_] {
        auto *to = static_cast<char *>(copy->data());
        for (const std::shared_ptr<Storage> &value : values) {
          std::memcpy(to, value->data(), value->bytes());
          to += value->bytes();
        }
      },
      device, valueVars_, {copyVar_}, 0, "retain_graph:save");
}

void RetainedValues::restore() {
  if (values_.empty() || !copy_)
    return;
  std::vector<VarPtr> writes = valueVars_;
  writes.insert(writes.end(), overwriterVars_.begin(), overwriterVars_.end());
  Engine::global().push(
      [values = values_, copy = copy_] {
        const auto *from = static_cast<const char *>(copy->data());
        for (const std::shared_ptr<Storage> &value : values) {
          std::memcpy(value->data(), from, value->bytes());
          from += value->bytes();
        }
      },
      values_.front()->device(), {copyVar_}, writes, 0, "retain_graph:restore");
}

} // namespace kiln
