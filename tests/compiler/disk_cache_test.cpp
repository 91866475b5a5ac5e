// The on-disk kernel cache: entries, corruption, concurrent writers, an
// unusable directory, and kernels loaded from disk by a fresh cache.
#include "compiler/DiskCache.h"
#include "compiler/KernelCache.h"
#include "runtime/KernelAbi.h"
#include "tests/compiler/TestFiles.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace kiln {
namespace compiler {
namespace {

using testing_support::exists;
using testing_support::freshDirectory;
using testing_support::readFile;
using testing_support::writeFile;

TEST(DiskCache, StoresAndLoads) {
  DiskCache cache(freshDirectory("store"));
  EXPECT_FALSE(cache.load("abc").has_value());
  std::string payload("object\0code", 11);
  cache.store("abc", payload);
  EXPECT_EQ(cache.load("abc"), payload);
  cache.store("abc", "replaced");
  EXPECT_EQ(cache.load("abc"), "replaced");
  EXPECT_TRUE(cache.enabled());
}

TEST(DiskCache, TruncatedOrDamagedEntriesAreDiscarded) {
  DiskCache cache(freshDirectory("corrupt"));
  const std::string payload(4096, 'x');
  for (int damage = 0; damage < 3; ++damage) {
    cache.store("key", payload);
    const std::string path = cache.pathFor("key");
    std::string bytes = readFile(path);
    if (damage == 0)
      bytes.resize(bytes.size() / 2); // A crash mid-write.
    else if (damage == 1)
      bytes[bytes.size() - 7] ^= 0x20; // A flipped bit.
    else
      bytes[0] = 'X'; // Not an entry at all.
    writeFile(path, bytes);
    testing::internal::CaptureStderr();
    EXPECT_FALSE(cache.load("key").has_value()) << "damage " << damage;
    EXPECT_NE(testing::internal::GetCapturedStderr().find("corrupt"),
              std::string::npos);
    EXPECT_FALSE(exists(path)) << "a corrupt entry was kept";
  }
}

TEST(DiskCache, AnEntryUnderAnotherKeyIsNotServed) {
  DiskCache cache(freshDirectory("key"));
  cache.store("first", "payload");
  // Someone copies first's file over second's.
  writeFile(cache.pathFor("second"), readFile(cache.pathFor("first")));
  testing::internal::CaptureStderr();
  EXPECT_FALSE(cache.load("second").has_value());
  testing::internal::GetCapturedStderr();
  EXPECT_EQ(cache.load("first"), "payload");
}

TEST(DiskCache, ConcurrentWritersOfOneKeyAllSucceed) {
  const std::string directory = freshDirectory("race");
  const std::string payload(1 << 20, 'k');
  std::vector<std::thread> writers;
  for (int i = 0; i < 8; ++i)
    writers.emplace_back([&] {
      DiskCache cache(directory); // As if each were its own process.
      for (int round = 0; round < 5; ++round)
        cache.store("shared", payload);
      EXPECT_TRUE(cache.enabled());
    });
  for (std::thread &writer : writers)
    writer.join();
  DiskCache reader(directory);
  EXPECT_EQ(reader.load("shared"), payload);
  // No temporary files left behind.
  const std::string listing = directory + "/kernels";
  std::string command = "ls '" + listing + "' | grep -c tmp > /dev/null";
  EXPECT_NE(std::system(command.c_str()), 0) << "temporary files remain";
}

TEST(DiskCache, UnusableDirectoryWarnsOnceAndTurnsItselfOff) {
  // A regular file where the directory should be.
  const std::string blocker = freshDirectory("blocker");
  writeFile(blocker, "not a directory");
  DiskCache cache(blocker + "/cache");
  testing::internal::CaptureStderr();
  cache.store("a", "x");
  cache.store("b", "y");
  const std::string warnings = testing::internal::GetCapturedStderr();
  EXPECT_NE(warnings.find("not usable"), std::string::npos) << warnings;
  EXPECT_EQ(warnings.find("not usable"), warnings.rfind("not usable"))
      << "warned more than once: " << warnings;
  EXPECT_FALSE(cache.enabled());
  EXPECT_FALSE(cache.load("a").has_value());
}

TEST(DiskCache, DirectoryComesFromTheEnvironment) {
  setenv("KILN_CACHE_DIR", "/somewhere/else", 1);
  EXPECT_EQ(DiskCache::directoryFromEnvironment(), "/somewhere/else");
  setenv("KILN_CACHE_DIR", "", 1);
  EXPECT_EQ(DiskCache::directoryFromEnvironment(), "") << "empty: off";
  unsetenv("KILN_CACHE_DIR");
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(DiskCache::directoryFromEnvironment(), "/home/someone/.cache/kiln");
}

KernelSignature expSignature() {
  return {"exp", {{DType::Float32, 1}}, {{DType::Float32, 1}}};
}

float runExp(KernelEntryFn kernel, float x) {
  Tensor in = Tensor::empty({1}, DType::Float32);
  Tensor out = Tensor::empty({1}, DType::Float32);
  *static_cast<float *>(in.data()) = x;
  invokeKernel(kernel, {in, out});
  return *static_cast<float *>(out.data());
}

TEST(KernelDiskCache, AFreshCacheLoadsWhatAnotherCompiled) {
  const std::string directory = freshDirectory("kernels");
  {
    KernelCache first(directory);
    EXPECT_NEAR(runExp(first.get(expSignature()), 1.0f), 2.7182817f, 1e-6);
    EXPECT_EQ(first.stats().compilations, 1u);
    EXPECT_EQ(first.stats().diskHits, 0u);
  }
  KernelCache second(directory); // A new process, as far as caching goes.
  EXPECT_NEAR(runExp(second.get(expSignature()), 1.0f), 2.7182817f, 1e-6);
  EXPECT_EQ(second.stats().compilations, 0u);
  EXPECT_EQ(second.stats().diskHits, 1u);
}

TEST(KernelDiskCache, CorruptEntryIsRecompiledAndReplaced) {
  const std::string directory = freshDirectory("recompile");
  { KernelCache(directory).get(expSignature()); }
  // Damage every entry.
  std::string command = "for f in '" + directory +
                        "'/kernels/*.o; do truncate -s 100 \"$f\"; done";
  ASSERT_EQ(std::system(command.c_str()), 0);
  KernelCache cache(directory);
  testing::internal::CaptureStderr();
  EXPECT_NEAR(runExp(cache.get(expSignature()), 0.0f), 1.0f, 1e-6);
  testing::internal::GetCapturedStderr();
  EXPECT_EQ(cache.stats().compilations, 1u);
  KernelCache after(directory);
  after.get(expSignature());
  EXPECT_EQ(after.stats().diskHits, 1u) << "the entry was not replaced";
}

TEST(KernelDiskCache, UnusableDirectoryStillCompiles) {
  const std::string blocker = freshDirectory("blocked");
  writeFile(blocker, "file");
  KernelCache cache(blocker + "/cache");
  testing::internal::CaptureStderr();
  EXPECT_NEAR(runExp(cache.get(expSignature()), 0.0f), 1.0f, 1e-6);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("memory only"),
            std::string::npos);
}

TEST(KernelDiskCache, MemoryOnlyWhenNoDirectory) {
  KernelCache cache("");
  EXPECT_EQ(cache.diskDirectory(), "");
  EXPECT_NEAR(runExp(cache.get(expSignature()), 0.0f), 1.0f, 1e-6);
  EXPECT_EQ(cache.stats().compilations, 1u);
}

} // namespace
} // namespace compiler
} // namespace kiln
