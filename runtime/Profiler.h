//===- Profiler.h - per-op timings, Chrome traces and aggregates -*- C++
//-*-===//
//
// While running, the engine records every op it executes (name, device,
// thread, start and end) and the allocators record memory in use. dump()
// writes the events as Chrome trace JSON, which Perfetto and chrome://tracing
// open; aggregateStats() summarizes them per op name like MXNet's
// profiler.dumps(). When not running, recording costs one relaxed load.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_PROFILER_H
#define KILN_RUNTIME_PROFILER_H

#include "runtime/Device.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace kiln {

struct ProfilerConfig {
  std::string filename = "profile.json";
  bool profileOperators = true; // Engine ops (MXNet: imperative, symbolic).
  bool profileMemory = false;   // Bytes in use per device, as counters.
  bool aggregateStats = false;  // Keep per-name totals for aggregateStats().
};

/// How aggregateStats() orders rows.
enum class StatsSortKey { Total, Average, Min, Max, Count };

class Profiler {
public:
  struct OpEvent {
    std::string name;
    Device device;
    int threadId;
    int64_t startNs;
    int64_t endNs;
  };
  struct CounterEvent {
    std::string name;
    Device device;
    int64_t timeNs;
    int64_t value;
  };

  /// The process-wide profiler the engine and allocators report to.
  static Profiler &global();

  /// Nanoseconds on a monotonic clock.
  static int64_t nowNs();

  void setConfig(const ProfilerConfig &config);
  ProfilerConfig config() const;

  /// Starts ('run') or stops ('stop') recording.
  void setRunning(bool running);
  bool running() const;
  /// Suspends recording without leaving the 'run' state.
  void pause();
  void resume();

  /// Whether ops / memory should be reported now. Cheap enough for hot paths.
  bool recordingOps() const {
    return recordOps_.load(std::memory_order_relaxed);
  }
  bool recordingMemory() const {
    return recordMemory_.load(std::memory_order_relaxed);
  }

  void recordOp(const std::string &name, Device device, int64_t startNs,
                int64_t endNs);
  void recordCounter(const std::string &name, Device device, int64_t value);
  /// A user's counter (MXNet's profiler.Counter) taking `value` now;
  /// recorded while ops are.
  void recordUserCounter(const std::string &name, int64_t value);
  /// A user's instant marker (MXNet's profiler.Marker.mark) on the calling
  /// thread; `scope` is "global", "process" or "thread".
  void recordMarker(const std::string &name, const std::string &scope);

  /// Names the calling thread in traces ("cpu(0) compute worker 1").
  void setThreadName(const std::string &name);

  /// The recorded events as Chrome trace JSON.
  std::string chromeTraceJson() const;
  /// Writes chromeTraceJson() to the configured file; `finished` also drops
  /// the events written. Throws kiln::Error when the file cannot be written.
  void dump(bool finished = true);

  /// Per-name totals: `format` "table" (MXNet's layout) or "json". `reset`
  /// clears the totals afterwards. Throws kiln::Error on a bad format.
  std::string aggregateStats(StatsSortKey sortBy = StatsSortKey::Total,
                             bool ascending = false,
                             const std::string &format = "table",
                             bool reset = false);

  /// Drops every event and total (tests, and a fresh set_config).
  void clear();

  std::vector<OpEvent> opEvents() const;

private:
  struct Totals {
    uint64_t count = 0;
    int64_t totalNs = 0;
    int64_t minNs = 0;
    int64_t maxNs = 0;
  };
  struct MemoryTotals {
    uint64_t samples = 0;
    int64_t minBytes = 0;
    int64_t maxBytes = 0;
    int64_t sumBytes = 0;
  };

  Profiler() = default;
  int threadIdLocked();
  void updateFlagsLocked();

  mutable std::mutex mutex_;
  ProfilerConfig config_;
  bool running_ = false;
  bool paused_ = false;
  std::atomic<bool> recordOps_{false};
  std::atomic<bool> recordMemory_{false};
  std::vector<OpEvent> ops_;
  std::vector<CounterEvent> counters_;
  struct UserCounterEvent {
    std::string name;
    int64_t timeNs;
    int64_t value;
  };
  struct MarkerEvent {
    std::string name;
    int threadId;
    int64_t timeNs;
    char scope; // Chrome's instant-event scope: 'g', 'p' or 't'.
  };
  std::vector<UserCounterEvent> userCounters_;
  std::vector<MarkerEvent> markers_;
  std::map<std::string, Totals> opTotals_;
  std::map<std::string, MemoryTotals> memoryTotals_;
  std::map<int, std::string> threadNames_;
  int nextThreadId_ = 0;
};

} // namespace kiln

#endif // KILN_RUNTIME_PROFILER_H
