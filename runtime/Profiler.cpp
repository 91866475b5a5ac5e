//===- Profiler.cpp - per-op timings, Chrome traces and aggregates --------===//
#include "runtime/Profiler.h"

#include "runtime/Error.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace kiln {
namespace {

std::string jsonEscape(const std::string &text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '"':
      escaped += "\\\"";
      break;
    case '\\':
      escaped += "\\\\";
      break;
    case '\n':
      escaped += "\\n";
      break;
    case '\t':
      escaped += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
        escaped += buffer;
      } else {
        escaped += c;
      }
    }
  }
  return escaped;
}

/// Microseconds with nanosecond digits, as Chrome traces want timestamps.
std::string micros(int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld.%03lld",
                static_cast<long long>(ns / 1000),
                static_cast<long long>(ns % 1000));
  return buffer;
}

/// A stable process id per device, so each device is one row group.
int processId(Device device) {
  return static_cast<int>(device.type) * 1000 + device.id;
}

std::string fixed(double value) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(4) << value;
  return out.str();
}

} // namespace

Profiler &Profiler::global() {
  // Leaked: engine workers may record until the process ends.
  static Profiler *profiler = new Profiler();
  return *profiler;
}

int64_t Profiler::nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Profiler::setConfig(const ProfilerConfig &config) {
  std::lock_guard<std::mutex> lock(mutex_);
  config_ = config;
  updateFlagsLocked();
}

ProfilerConfig Profiler::config() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return config_;
}

void Profiler::setRunning(bool running) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = running;
  paused_ = false;
  updateFlagsLocked();
}

bool Profiler::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

void Profiler::pause() {
  std::lock_guard<std::mutex> lock(mutex_);
  paused_ = true;
  updateFlagsLocked();
}

void Profiler::resume() {
  std::lock_guard<std::mutex> lock(mutex_);
  paused_ = false;
  updateFlagsLocked();
}

void Profiler::updateFlagsLocked() {
  const bool active = running_ && !paused_;
  recordOps_.store(active && config_.profileOperators,
                   std::memory_order_relaxed);
  recordMemory_.store(active && config_.profileMemory,
                      std::memory_order_relaxed);
}

int Profiler::threadIdLocked() {
  thread_local int id = -1;
  if (id < 0) {
    id = nextThreadId_++;
    threadNames_.emplace(id, "thread " + std::to_string(id));
  }
  return id;
}

void Profiler::setThreadName(const std::string &name) {
  std::lock_guard<std::mutex> lock(mutex_);
  threadNames_[threadIdLocked()] = name;
}

void Profiler::recordUserCounter(const std::string &name, int64_t value) {
  const int64_t now = nowNs();
  std::lock_guard<std::mutex> lock(mutex_);
  if (recordOps_.load(std::memory_order_relaxed))
    userCounters_.push_back({name, now, value});
}

void Profiler::recordMarker(const std::string &name, const std::string &scope) {
  const char chromeScope = scope == "global"    ? 'g'
                           : scope == "process" ? 'p'
                           : scope == "thread"  ? 't'
                                                : '\0';
  if (!chromeScope)
    throw Error(formatMessage("profiler.Marker.mark: scope expected "
                              "'global', 'process' or 'thread', got '",
                              scope, "'"));
  const int64_t now = nowNs();
  std::lock_guard<std::mutex> lock(mutex_);
  if (recordOps_.load(std::memory_order_relaxed))
    markers_.push_back({name, threadIdLocked(), now, chromeScope});
}

void Profiler::recordOp(const std::string &name, Device device, int64_t startNs,
                        int64_t endNs) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!recordOps_.load(std::memory_order_relaxed))
    return; // Stopped between the caller's check and here.
  ops_.push_back({name, device, threadIdLocked(), startNs, endNs});
  if (!config_.aggregateStats)
    return;
  const int64_t duration = endNs - startNs;
  Totals &totals = opTotals_[name];
  if (totals.count == 0 || duration < totals.minNs)
    totals.minNs = duration;
  totals.maxNs = std::max(totals.maxNs, duration);
  totals.totalNs += duration;
  ++totals.count;
}

void Profiler::recordCounter(const std::string &name, Device device,
                             int64_t value) {
  const int64_t now = nowNs();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!recordMemory_.load(std::memory_order_relaxed))
    return;
  counters_.push_back({name, device, now, value});
  if (!config_.aggregateStats)
    return;
  MemoryTotals &totals = memoryTotals_[name];
  if (totals.samples == 0 || value < totals.minBytes)
    totals.minBytes = value;
  totals.maxBytes = std::max(totals.maxBytes, value);
  totals.sumBytes += value;
  ++totals.samples;
}

std::string Profiler::chromeTraceJson() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream out;
  out << "{\n\"displayTimeUnit\": \"ms\",\n\"traceEvents\": [\n";
  bool first = true;
  auto separator = [&] {
    if (!first)
      out << ",\n";
    first = false;
  };
  // Metadata: a process per device, a name per thread.
  std::vector<Device> devices;
  std::vector<std::pair<int, int>> processThreads; // (pid, tid) seen.
  auto noteDevice = [&](Device device) {
    if (std::find(devices.begin(), devices.end(), device) == devices.end())
      devices.push_back(device);
  };
  for (const OpEvent &event : ops_) {
    noteDevice(event.device);
    std::pair<int, int> key{processId(event.device), event.threadId};
    if (std::find(processThreads.begin(), processThreads.end(), key) ==
        processThreads.end())
      processThreads.push_back(key);
  }
  for (const CounterEvent &event : counters_)
    noteDevice(event.device);
  // User counters and markers belong to the host's process.
  if (!userCounters_.empty() || !markers_.empty())
    noteDevice(Device::cpu());
  for (const MarkerEvent &event : markers_) {
    std::pair<int, int> key{processId(Device::cpu()), event.threadId};
    if (std::find(processThreads.begin(), processThreads.end(), key) ==
        processThreads.end())
      processThreads.push_back(key);
  }
  for (Device device : devices) {
    separator();
    out << "{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": "
        << processId(device) << ", \"args\": {\"name\": \"" << device.toString()
        << "\"}}";
  }
  for (const auto &[pid, tid] : processThreads) {
    auto name = threadNames_.find(tid);
    separator();
    out << "{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": " << pid
        << ", \"tid\": " << tid << ", \"args\": {\"name\": \""
        << jsonEscape(name == threadNames_.end() ? "thread" : name->second)
        << "\"}}";
  }
  for (const OpEvent &event : ops_) {
    separator();
    out << "{\"ph\": \"X\", \"cat\": \"operator\", \"name\": \""
        << jsonEscape(event.name) << "\", \"pid\": " << processId(event.device)
        << ", \"tid\": " << event.threadId
        << ", \"ts\": " << micros(event.startNs)
        << ", \"dur\": " << micros(event.endNs - event.startNs) << "}";
  }
  for (const CounterEvent &event : counters_) {
    separator();
    out << "{\"ph\": \"C\", \"cat\": \"memory\", \"name\": \""
        << jsonEscape(event.name) << "\", \"pid\": " << processId(event.device)
        << ", \"ts\": " << micros(event.timeNs)
        << ", \"args\": {\"bytes in use\": " << event.value << "}}";
  }
  for (const UserCounterEvent &event : userCounters_) {
    separator();
    out << "{\"ph\": \"C\", \"cat\": \"counter\", \"name\": \""
        << jsonEscape(event.name) << "\", \"pid\": " << processId(Device::cpu())
        << ", \"ts\": " << micros(event.timeNs) << ", \"args\": {\""
        << jsonEscape(event.name) << "\": " << event.value << "}}";
  }
  for (const MarkerEvent &event : markers_) {
    separator();
    out << "{\"ph\": \"i\", \"cat\": \"marker\", \"name\": \""
        << jsonEscape(event.name) << "\", \"pid\": " << processId(Device::cpu())
        << ", \"tid\": " << event.threadId
        << ", \"ts\": " << micros(event.timeNs) << ", \"s\": \"" << event.scope
        << "\"}";
  }
  out << "\n]\n}\n";
  return out.str();
}

void Profiler::dump(bool finished) {
  const std::string json = chromeTraceJson();
  const std::string filename = config().filename;
  std::ofstream file(filename, std::ios::out | std::ios::trunc);
  if (!file)
    throw Error(formatMessage("profiler.dump: cannot open '", filename,
                              "' for writing"));
  file << json;
  file.close();
  if (!file)
    throw Error(
        formatMessage("profiler.dump: writing '", filename, "' failed"));
  if (finished) {
    std::lock_guard<std::mutex> lock(mutex_);
    ops_.clear();
    counters_.clear();
    userCounters_.clear();
    markers_.clear();
  }
}

std::string Profiler::aggregateStats(StatsSortKey sortBy, bool ascending,
                                     const std::string &format, bool reset) {
  if (format != "table" && format != "json")
    throw Error(formatMessage("profiler.dumps: format expected 'table' or "
                              "'json', got '",
                              format, "'"));
  std::lock_guard<std::mutex> lock(mutex_);
  using Row = std::pair<std::string, Totals>;
  std::vector<Row> rows(opTotals_.begin(), opTotals_.end());
  auto key = [sortBy](const Totals &totals) -> double {
    switch (sortBy) {
    case StatsSortKey::Average:
      return static_cast<double>(totals.totalNs) / totals.count;
    case StatsSortKey::Min:
      return static_cast<double>(totals.minNs);
    case StatsSortKey::Max:
      return static_cast<double>(totals.maxNs);
    case StatsSortKey::Count:
      return static_cast<double>(totals.count);
    case StatsSortKey::Total:
      break;
    }
    return static_cast<double>(totals.totalNs);
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const Row &a, const Row &b) {
    return ascending ? key(a.second) < key(b.second)
                     : key(a.second) > key(b.second);
  });
  auto ms = [](int64_t ns) { return static_cast<double>(ns) / 1e6; };
  auto kb = [](int64_t bytes) { return static_cast<double>(bytes) / 1024.0; };

  std::ostringstream out;
  if (format == "json") {
    out << "{\"Time\": {\"operator\": {";
    bool first = true;
    for (const auto &[name, totals] : rows) {
      out << (first ? "" : ", ") << "\"" << jsonEscape(name)
          << "\": {\"Total Count\": " << totals.count
          << ", \"Total Time\": " << fixed(ms(totals.totalNs))
          << ", \"Min Time\": " << fixed(ms(totals.minNs))
          << ", \"Max Time\": " << fixed(ms(totals.maxNs))
          << ", \"Avg Time\": " << fixed(ms(totals.totalNs) / totals.count)
          << "}";
      first = false;
    }
    out << "}}, \"Memory\": {\"Device Storage\": {";
    first = true;
    for (const auto &[name, totals] : memoryTotals_) {
      out << (first ? "" : ", ") << "\"" << jsonEscape(name)
          << "\": {\"Total Count\": " << totals.samples
          << ", \"Min Use\": " << fixed(kb(totals.minBytes))
          << ", \"Max Use\": " << fixed(kb(totals.maxBytes))
          << ", \"Avg Use\": " << fixed(kb(totals.sumBytes) / totals.samples)
          << "}";
      first = false;
    }
    out << "}}, \"Unit\": {\"Time\": \"ms\", \"Memory\": \"kB\"}}";
  } else {
    // Rows of a name column then right-aligned numeric columns.
    auto row = [&](const std::string &name,
                   const std::vector<std::string> &cells) {
      out << std::left << std::setw(40) << name;
      for (size_t i = 0; i < cells.size(); ++i)
        out << std::right << std::setw(i == 0 ? 16 : 17) << cells[i];
      out << "\n";
    };
    out << "Profile Statistics:\n"
        << "\tNote the difference in units for different entries.\n";
    if (!memoryTotals_.empty()) {
      out << "Device Storage\n=================\n";
      row("Name",
          {"Total Count", "Min Use  (kB)", "Max Use  (kB)", "Avg Use  (kB)"});
      row("----",
          {"-----------", "-------------", "-------------", "-------------"});
      for (const auto &[name, totals] : memoryTotals_)
        row(name, {std::to_string(totals.samples), fixed(kb(totals.minBytes)),
                   fixed(kb(totals.maxBytes)),
                   fixed(kb(totals.sumBytes) / totals.samples)});
      out << "\n";
    }
    out << "operator\n=================\n";
    row("Name", {"Total Count", "Time (ms)", "Min Time (ms)", "Max Time (ms)",
                 "Avg Time (ms)"});
    row("----", {"-----------", "---------", "-------------", "-------------",
                 "-------------"});
    for (const auto &[name, totals] : rows)
      row(name, {std::to_string(totals.count), fixed(ms(totals.totalNs)),
                 fixed(ms(totals.minNs)), fixed(ms(totals.maxNs)),
                 fixed(ms(totals.totalNs) / totals.count)});
  }
  if (reset) {
    opTotals_.clear();
    memoryTotals_.clear();
  }
  return out.str();
}

void Profiler::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  ops_.clear();
  counters_.clear();
  userCounters_.clear();
  markers_.clear();
  opTotals_.clear();
  memoryTotals_.clear();
}

std::vector<Profiler::OpEvent> Profiler::opEvents() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ops_;
}

} // namespace kiln
