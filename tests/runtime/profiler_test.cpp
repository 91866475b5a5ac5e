// The profiler: what the engine and allocators record, the Chrome trace and
// the aggregate table.
#include "runtime/Allocator.h"
#include "runtime/Engine.h"
#include "runtime/Error.h"
#include "runtime/Profiler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace kiln {
namespace {

using namespace std::chrono_literals;

size_t countOf(const std::string &text, const std::string &needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1))
    ++count;
  return count;
}

class ProfilerTest : public testing::Test {
protected:
  void SetUp() override {
    Profiler &profiler = Profiler::global();
    profiler.setRunning(false);
    profiler.clear();
    ProfilerConfig config;
    config.filename = testing::TempDir() + "/kiln_profile.json";
    config.aggregateStats = true;
    profiler.setConfig(config);
  }
  void TearDown() override {
    Profiler::global().setRunning(false);
    Profiler::global().clear();
  }
};

TEST_F(ProfilerTest, RecordsEngineOpsOnlyWhileRunning) {
  Profiler &profiler = Profiler::global();
  Engine engine(Engine::Mode::Threaded, 2);
  VarPtr var = Engine::newVar();
  engine.push([] {}, Device::cpu(), {}, {var}, 0, "before");
  engine.waitAll();
  profiler.setRunning(true);
  for (int i = 0; i < 3; ++i)
    engine.push([] { std::this_thread::sleep_for(1ms); }, Device::cpu(), {},
                {var}, 0, "sleepy_op");
  engine.push([] {}, Device::cpu(), {var}, {}, 0, "reader");
  engine.waitAll();
  profiler.pause();
  engine.push([] {}, Device::cpu(), {}, {var}, 0, "paused");
  engine.waitAll();
  profiler.resume();
  engine.push([] {}, Device::cpu(), {}, {var}, 0, "resumed");
  engine.waitAll();
  profiler.setRunning(false);
  engine.push([] {}, Device::cpu(), {}, {var}, 0, "after");
  engine.waitAll();

  std::vector<std::string> names;
  for (const Profiler::OpEvent &event : profiler.opEvents()) {
    names.push_back(event.name);
    EXPECT_EQ(event.device, Device::cpu());
    EXPECT_LE(event.startNs, event.endNs);
    if (event.name == "sleepy_op") {
      EXPECT_GE(event.endNs - event.startNs, 1000000);
    }
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"sleepy_op", "sleepy_op", "sleepy_op",
                                      "reader", "resumed"}));
}

TEST_F(ProfilerTest, ChromeTraceHasCompleteEventsAndNamedThreads) {
  Profiler &profiler = Profiler::global();
  profiler.setRunning(true);
  {
    Engine engine(Engine::Mode::Threaded, 1);
    engine.push([] {}, Device::cpu(), {}, {Engine::newVar()}, 0,
                "name \"quoted\"");
    engine.push([] {}, Device::cpu(), {}, {Engine::newVar()}, 0, "copy",
                QueueKind::Copy);
    engine.waitAll();
  }
  profiler.setRunning(false);
  const std::string json = profiler.chromeTraceJson();
  EXPECT_EQ(countOf(json, "\"ph\": \"X\""), 2u) << json;
  EXPECT_NE(json.find("\"traceEvents\""), std::string::npos);
  EXPECT_NE(json.find("name \\\"quoted\\\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"process_name\", \"pid\": 1000, \"args\": {\"name\": "
                      "\"cpu(0)\"}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("cpu(0) compute worker 0"), std::string::npos) << json;
  EXPECT_NE(json.find("cpu(0) copy worker 0"), std::string::npos) << json;

  profiler.dump(/*finished=*/true);
  std::ifstream file(profiler.config().filename);
  std::stringstream written;
  written << file.rdbuf();
  EXPECT_EQ(written.str(), json);
  EXPECT_TRUE(profiler.opEvents().empty()) << "finished dump keeps events";
}

TEST_F(ProfilerTest, UserCountersAndMarkersWhileRunning) {
  Profiler &profiler = Profiler::global();
  profiler.recordUserCounter("app::before", 1); // not running: dropped
  profiler.setRunning(true);
  profiler.recordUserCounter("app::batches", 7);
  profiler.recordMarker("app::epoch", "global");
  profiler.recordMarker("app::step", "thread");
  EXPECT_THROW(profiler.recordMarker("bad", "everywhere"), Error);
  profiler.setRunning(false);
  const std::string json = profiler.chromeTraceJson();
  EXPECT_EQ(json.find("app::before"), std::string::npos) << json;
  EXPECT_NE(json.find("\"cat\": \"counter\", \"name\": \"app::batches\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"app::batches\": 7}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"name\": \"app::epoch\""), std::string::npos);
  EXPECT_NE(json.find("\"s\": \"g\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"s\": \"t\""), std::string::npos) << json;
  profiler.clear();
  EXPECT_EQ(profiler.chromeTraceJson().find("app::batches"), std::string::npos);
}

TEST_F(ProfilerTest, DumpToAnUnwritablePathIsAnError) {
  Profiler &profiler = Profiler::global();
  ProfilerConfig config = profiler.config();
  config.filename = "/nonexistent-dir/profile.json";
  profiler.setConfig(config);
  try {
    profiler.dump();
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent-dir/profile.json"),
              std::string::npos);
  }
}

TEST_F(ProfilerTest, AggregateTableSortsAndResets) {
  Profiler &profiler = Profiler::global();
  profiler.setRunning(true);
  // Synthetic timings, so that the order is certain.
  profiler.recordOp("fast", Device::cpu(), 0, 1000000);  // 1 ms
  profiler.recordOp("fast", Device::cpu(), 0, 3000000);  // 3 ms
  profiler.recordOp("slow", Device::cpu(), 0, 10000000); // 10 ms
  profiler.recordOp("many", Device::cpu(), 0, 500000);   // 0.5 ms
  profiler.recordOp("many", Device::cpu(), 0, 500000);
  profiler.recordOp("many", Device::cpu(), 0, 500000);
  profiler.setRunning(false);

  std::string table = profiler.aggregateStats();
  EXPECT_NE(table.find("Profile Statistics"), std::string::npos);
  EXPECT_LT(table.find("slow"), table.find("fast")); // Total: 10 > 4 > 1.5.
  EXPECT_LT(table.find("fast"), table.find("many"));
  EXPECT_NE(table.find("4.0000"), std::string::npos) << table; // fast total
  EXPECT_NE(table.find("2.0000"), std::string::npos) << table; // fast avg

  std::string byCount =
      profiler.aggregateStats(StatsSortKey::Count, /*ascending=*/false);
  EXPECT_LT(byCount.find("many"), byCount.find("fast"));
  std::string ascending =
      profiler.aggregateStats(StatsSortKey::Total, /*ascending=*/true);
  EXPECT_LT(ascending.find("many"), ascending.find("slow"));

  std::string json = profiler.aggregateStats(StatsSortKey::Total, false, "json",
                                             /*reset=*/true);
  EXPECT_NE(json.find("\"fast\": {\"Total Count\": 2, \"Total Time\": "
                      "4.0000, \"Min Time\": 1.0000, \"Max Time\": 3.0000, "
                      "\"Avg Time\": 2.0000}"),
            std::string::npos)
      << json;
  EXPECT_EQ(profiler.aggregateStats().find("fast"), std::string::npos)
      << "reset kept the totals";
  EXPECT_THROW(profiler.aggregateStats(StatsSortKey::Total, false, "xml"),
               Error);
}

TEST_F(ProfilerTest, MemoryIsRecordedWhenAsked) {
  Profiler &profiler = Profiler::global();
  ProfilerConfig config = profiler.config();
  config.profileMemory = true;
  profiler.setConfig(config);
  profiler.setRunning(true);
  PooledAllocator allocator;
  void *block = allocator.allocate(4096);
  allocator.release(block, 4096);
  profiler.setRunning(false);
  const std::string json = profiler.chromeTraceJson();
  EXPECT_EQ(countOf(json, "\"ph\": \"C\""), 2u) << json;
  EXPECT_NE(json.find("\"bytes in use\": 4096"), std::string::npos) << json;
  std::string table = profiler.aggregateStats();
  EXPECT_NE(table.find("Device Storage"), std::string::npos) << table;
  EXPECT_NE(table.find("Memory: cpu(0)"), std::string::npos) << table;
}

} // namespace
} // namespace kiln
