//===- DiskCache.cpp - compiled kernels kept across processes -------------===//
#include "compiler/DiskCache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

namespace kiln {
namespace compiler {
namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'O', 'B', 'J', '1'};

struct Header {
  char magic[8];
  uint64_t keySize;
  uint64_t payloadSize;
  uint64_t checksum; // Of key and payload.
};

/// Creates `path` and its parents; true if it exists afterwards.
bool makeDirectories(const std::string &path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return false;
    if (slash == std::string::npos)
      break;
  }
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

uint64_t checksumOf(const std::string &key, const std::string &payload) {
  uint64_t keyDigest = fnv1a64(key.data(), key.size());
  uint64_t payloadDigest = fnv1a64(payload.data(), payload.size());
  return keyDigest ^ (payloadDigest * 0x9e3779b97f4a7c15ull);
}

} // namespace

uint64_t fnv1a64(const void *data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  const auto *bytes = static_cast<const unsigned char *>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

DiskCache::DiskCache(std::string directory)
    : directory_(std::move(directory)), enabled_(!directory_.empty()) {}

std::string DiskCache::directoryFromEnvironment() {
  if (const char *explicitDirectory = std::getenv("KILN_CACHE_DIR"))
    return explicitDirectory; // Empty turns the disk cache off.
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/kiln";
  return "";
}

std::string DiskCache::pathFor(const std::string &key) const {
  // Keys are hex digests: safe as file names.
  return directory_ + "/kernels/" + key + ".o";
}

std::optional<std::string> DiskCache::load(const std::string &key) {
  if (!enabled())
    return std::nullopt;
  const std::string path = pathFor(key);
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return std::nullopt;
  std::ostringstream contents;
  contents << file.rdbuf();
  const std::string bytes = contents.str();

  Header header;
  bool valid = bytes.size() >= sizeof header;
  if (valid) {
    std::memcpy(&header, bytes.data(), sizeof header);
    valid = std::memcmp(header.magic, kMagic, sizeof kMagic) == 0 &&
            header.keySize == key.size() &&
            bytes.size() == sizeof header + header.keySize + header.payloadSize;
  }
  std::string payload;
  if (valid) {
    valid = bytes.compare(sizeof header, key.size(), key) == 0;
    payload = bytes.substr(sizeof header + key.size());
    valid = valid && checksumOf(key, payload) == header.checksum;
  }
  if (!valid) {
    // Truncated by a crash, or damaged: drop it, recompile, store again.
    std::fprintf(stderr, "kiln: discarding corrupt kernel cache entry %s\n",
                 path.c_str());
    ::unlink(path.c_str());
    return std::nullopt;
  }
  return payload;
}

void DiskCache::store(const std::string &key, const std::string &payload) {
  if (!enabled())
    return;
  const std::string folder = directory_ + "/kernels";
  if (!makeDirectories(folder)) {
    disable("cannot create " + folder + ": " + std::strerror(errno));
    return;
  }
  Header header;
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.keySize = key.size();
  header.payloadSize = payload.size();
  header.checksum = checksumOf(key, payload);

  // A name no other process or thread uses, in the same directory so that
  // rename() is atomic.
  std::random_device entropy;
  const std::string temporary = pathFor(key) + ".tmp." +
                                std::to_string(::getpid()) + "." +
                                std::to_string(entropy());
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (file) {
      file.write(reinterpret_cast<const char *>(&header), sizeof header);
      file.write(key.data(), static_cast<std::streamsize>(key.size()));
      file.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    }
    if (!file) {
      ::unlink(temporary.c_str());
      disable("cannot write " + temporary + ": " + std::strerror(errno));
      return;
    }
  }
  if (::rename(temporary.c_str(), pathFor(key).c_str()) != 0) {
    ::unlink(temporary.c_str());
    disable("cannot rename into " + folder + ": " + std::strerror(errno));
  }
}

void DiskCache::disable(const std::string &why) {
  enabled_ = false;
  if (!warned_.exchange(true))
    std::fprintf(stderr,
                 "kiln: warning: kernel cache directory %s is not usable "
                 "(%s); kernels are cached in memory only\n",
                 directory_.c_str(), why.c_str());
}

} // namespace compiler
} // namespace kiln
