//===- ProfilerBindings.cpp - kiln._core.profiler -------------------------===//
//
// The runtime profiler, for kiln/profiler.py (MXNet's mx.profiler API), and
// the engine and memory facts the Python side reports.
//
//===----------------------------------------------------------------------===//
#include "frontends/python/Bindings.h"

#include "runtime/Allocator.h"
#include "runtime/Engine.h"
#include "runtime/Error.h"
#include "runtime/Profiler.h"
#include "runtime/ThreadPool.h"

#include <pybind11/stl.h>

namespace py = pybind11;

namespace kiln {
namespace {

StatsSortKey sortKeyFromName(const std::string &name) {
  if (name == "total")
    return StatsSortKey::Total;
  if (name == "avg")
    return StatsSortKey::Average;
  if (name == "min")
    return StatsSortKey::Min;
  if (name == "max")
    return StatsSortKey::Max;
  if (name == "count")
    return StatsSortKey::Count;
  throw Error(formatMessage("profiler.dumps: sort_by expected one of total, "
                            "avg, min, max, count; got '",
                            name, "'"));
}

} // namespace

void bindProfiler(py::module_ &parent) {
  py::module_ m = parent.def_submodule(
      "profiler", "The runtime profiler (see kiln.profiler for MXNet's API).");
  m.def(
      "set_config",
      [](const std::string &filename, bool operators, bool memory,
         bool aggregate) {
        ProfilerConfig config;
        config.filename = filename;
        config.profileOperators = operators;
        config.profileMemory = memory;
        config.aggregateStats = aggregate;
        Profiler::global().setConfig(config);
      },
      py::arg("filename"), py::arg("profile_operators"),
      py::arg("profile_memory"), py::arg("aggregate_stats"));
  m.def("set_running",
        [](bool running) { Profiler::global().setRunning(running); });
  m.def("running", [] { return Profiler::global().running(); });
  m.def("pause", [] { Profiler::global().pause(); });
  m.def("resume", [] { Profiler::global().resume(); });
  m.def(
      "dump", [](bool finished) { Profiler::global().dump(finished); },
      py::arg("finished"));
  m.def(
      "dumps",
      [](bool reset, const std::string &format, const std::string &sortBy,
         bool ascending) {
        return Profiler::global().aggregateStats(sortKeyFromName(sortBy),
                                                 ascending, format, reset);
      },
      py::arg("reset"), py::arg("format"), py::arg("sort_by"),
      py::arg("ascending"));
  m.def("now_ns", &Profiler::nowNs);
  m.def(
      "record_event",
      [](const std::string &name, int64_t startNs, int64_t endNs) {
        Profiler &profiler = Profiler::global();
        if (profiler.recordingOps())
          profiler.recordOp(name, Device::cpu(), startNs, endNs);
      },
      py::arg("name"), py::arg("start_ns"), py::arg("end_ns"));
  m.def(
      "record_counter",
      [](const std::string &name, int64_t value) {
        Profiler::global().recordUserCounter(name, value);
      },
      py::arg("name"), py::arg("value"));
  m.def(
      "record_marker",
      [](const std::string &name, const std::string &scope) {
        Profiler::global().recordMarker(name, scope);
      },
      py::arg("name"), py::arg("scope"));
  m.def("clear", [] { Profiler::global().clear(); });

  // Facts about the runtime, for users and tests.
  m.def("engine_info", [] {
    Engine &engine = Engine::global();
    py::dict info;
    info["mode"] = engine.mode() == Engine::Mode::Naive ? "naive" : "threaded";
    info["cpu_workers"] = engine.cpuWorkers();
    info["num_threads"] = ThreadPool::global().numThreads();
    info["pending_ops"] = engine.pendingOps();
    return info;
  });
  m.def("memory_stats", [] {
    AllocatorStats stats = PooledAllocator::host().stats();
    py::dict info;
    info["bytes_in_use"] = stats.bytesInUse;
    info["peak_bytes_in_use"] = stats.peakBytesInUse;
    info["bytes_pooled"] = stats.bytesPooled;
    info["allocations"] = stats.allocations;
    info["pool_hits"] = stats.poolHits;
    info["pool_evictions"] = stats.poolEvictions;
    info["pool_limit_bytes"] = stats.poolLimitBytes;
    info["pooling"] = PooledAllocator::host().pooling();
    return info;
  });
}

} // namespace kiln
