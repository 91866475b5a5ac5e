//===- DiskCache.h - compiled kernels kept across processes -----*- C++ -*-===//
//
// Object code of compiled kernels, one file per key under a directory
// (KILN_CACHE_DIR, default ~/.cache/kiln, in its kernels/ folder), so that a
// new process loads a kernel in milliseconds instead of compiling it.
//
// * Writes are atomic: a private temporary file, then rename(). Two processes
//   storing the same kernel at once both succeed; readers never see half a
//   file.
// * Every entry carries a magic number, its key, its length and a checksum; a
//   truncated or corrupt entry is deleted and reported as a miss.
// * A directory that cannot be created or written turns the cache off for the
//   process, with one warning on stderr; compiling still works.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_DISKCACHE_H
#define KILN_COMPILER_DISKCACHE_H

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

namespace kiln {
namespace compiler {

class DiskCache {
public:
  /// A cache in `directory` (created on first store).
  explicit DiskCache(std::string directory);

  /// The directory the environment asks for: $KILN_CACHE_DIR, else
  /// $HOME/.cache/kiln, else none (empty: no disk cache).
  static std::string directoryFromEnvironment();

  /// The entry stored under `key`, if a valid one exists.
  std::optional<std::string> load(const std::string &key);
  /// Stores `payload` under `key`. Failures disable the cache (with a
  /// warning) rather than throw.
  void store(const std::string &key, const std::string &payload);

  bool enabled() const { return enabled_.load(); }
  const std::string &directory() const { return directory_; }
  /// The file an entry lives in.
  std::string pathFor(const std::string &key) const;

private:
  void disable(const std::string &why);

  const std::string directory_;
  std::atomic<bool> enabled_;
  std::atomic<bool> warned_{false};
};

/// A 64-bit FNV-1a digest, for entry checksums.
uint64_t fnv1a64(const void *data, size_t size);

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_DISKCACHE_H
