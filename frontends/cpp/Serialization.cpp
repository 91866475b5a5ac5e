//===- Serialization.cpp --------------------------------------------------===//
#include "frontends/cpp/Serialization.h"

#include "runtime/Error.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace kiln {
namespace {

constexpr uint64_t kListMagic = 0x112;
constexpr uint32_t kArrayMagicV1 = 0xF993FAC8;
constexpr uint32_t kArrayMagicV2 = 0xF993FAC9;
constexpr uint32_t kArrayMagicV3 = 0xF993FACA;
constexpr int32_t kDefaultStorage = 0;

template <typename T> void put(std::string &out, T value) {
  out.append(reinterpret_cast<const char *>(&value), sizeof(T));
}

class Reader {
public:
  explicit Reader(const std::string &bytes) : bytes_(bytes) {}

  template <typename T> T get(const char *what) {
    T value;
    need(sizeof(T), what);
    std::memcpy(&value, bytes_.data() + position_, sizeof(T));
    position_ += sizeof(T);
    return value;
  }
  const char *take(size_t size, const char *what) {
    need(size, what);
    const char *data = bytes_.data() + position_;
    position_ += size;
    return data;
  }

private:
  void need(size_t size, const char *what) {
    if (bytes_.size() - position_ < size)
      throw Error(formatMessage("load: the file ends inside ", what,
                                " (at byte ", position_, " of ", bytes_.size(),
                                ")"));
  }
  const std::string &bytes_;
  size_t position_ = 0;
};

bool isKnownDType(int32_t flag) {
  switch (flag) {
  case 0:
  case 1:
  case 2:
  case 3:
  case 4:
  case 5:
  case 6:
  case 7:
  case 12:
    return true;
  default:
    return false;
  }
}

NDArray readArray(Reader &reader, size_t index) {
  const uint32_t magic = reader.get<uint32_t>("an array's magic number");
  if (magic != kArrayMagicV1 && magic != kArrayMagicV2 &&
      magic != kArrayMagicV3)
    throw Error(formatMessage(
        "load: array ", index, " has an unknown format (magic 0x", std::hex,
        magic, "); expected MXNet's V1, V2 or V3 layout"));
  if (magic != kArrayMagicV1) {
    const int32_t storage = reader.get<int32_t>("a storage type");
    if (storage != kDefaultStorage)
      throw Error(formatMessage("load: array ", index, " has storage type ",
                                storage,
                                " (sparse); kiln reads dense arrays only"));
  }
  const int32_t rank = reader.get<int32_t>("a shape");
  if (rank < -1 || rank > 32)
    throw Error(formatMessage("load: array ", index, " has rank ", rank));
  Shape shape;
  for (int32_t d = 0; d < rank; ++d) {
    const int64_t extent = reader.get<int64_t>("a shape");
    if (extent < 0)
      throw Error(formatMessage("load: array ", index,
                                " has a negative extent ", extent));
    shape.push_back(extent);
  }
  // An unknown shape (V3: -1; before V3: rank 0) is an empty handle; MXNet
  // writes nothing after it.
  if (rank == -1 || (rank == 0 && magic != kArrayMagicV3))
    return NDArray();
  reader.get<int32_t>("a device type");
  reader.get<int32_t>("a device id");
  const int32_t flag = reader.get<int32_t>("a type flag");
  if (!isKnownDType(flag))
    throw Error(formatMessage("load: array ", index, " has type flag ", flag,
                              ", which kiln does not support"));
  const DType dtype = static_cast<DType>(flag);
  // The count is checked before it sizes the read: a file declaring
  // (2**62 + 1, 4) must not wrap around to 4 elements.
  const size_t bytes = static_cast<size_t>(checkedNumElements(
                           "load: array " + std::to_string(index), shape,
                           dtype)) *
                       dtypeSize(dtype);
  const char *data = reader.take(bytes, "an array's data");
  return NDArray::fromData(data, shape, dtype);
}

} // namespace

std::string serializeNDArrays(const NamedArrays &contents) {
  if (!contents.names.empty() &&
      contents.names.size() != contents.arrays.size())
    throw Error(formatMessage("save: ", contents.names.size(), " names for ",
                              contents.arrays.size(), " arrays"));
  std::string out;
  put<uint64_t>(out, kListMagic);
  put<uint64_t>(out, 0);
  put<uint64_t>(out, contents.arrays.size());
  for (const NDArray &array : contents.arrays) {
    put<uint32_t>(out, kArrayMagicV2);
    put<int32_t>(out, kDefaultStorage);
    if (array.isNone()) {
      put<int32_t>(out, 0);
      continue;
    }
    const Shape &shape = array.shape();
    if (shape.empty())
      throw Error("save: rank-0 arrays cannot be written in MXNet 1.x's "
                  "format; reshape them to (1,)");
    put<int32_t>(out, static_cast<int32_t>(shape.size()));
    for (int64_t extent : shape)
      put<int64_t>(out, extent);
    put<int32_t>(out, static_cast<int32_t>(array.device().type));
    put<int32_t>(out, array.device().id);
    put<int32_t>(out, static_cast<int32_t>(array.dtype()));
    const size_t offset = out.size();
    const size_t bytes =
        static_cast<size_t>(array.size()) * dtypeSize(array.dtype());
    out.resize(offset + bytes);
    if (bytes)
      array.copyTo(&out[offset]);
  }
  put<uint64_t>(out, contents.names.size());
  for (const std::string &name : contents.names) {
    put<uint64_t>(out, name.size());
    out += name;
  }
  return out;
}

NamedArrays deserializeNDArrays(const std::string &bytes) {
  Reader reader(bytes);
  const uint64_t magic = reader.get<uint64_t>("the header");
  if (magic != kListMagic)
    throw Error(formatMessage("load: not an MXNet NDArray file (magic 0x",
                              std::hex, magic, ", expected 0x112)"));
  reader.get<uint64_t>("the header");
  const uint64_t count = reader.get<uint64_t>("the array count");
  if (count > bytes.size())
    throw Error(formatMessage("load: the file claims ", count,
                              " arrays but has only ", bytes.size(), " bytes"));
  NamedArrays contents;
  for (uint64_t i = 0; i < count; ++i)
    contents.arrays.push_back(readArray(reader, i));
  const uint64_t names = reader.get<uint64_t>("the name count");
  if (names != 0 && names != count)
    throw Error(
        formatMessage("load: ", names, " names for ", count, " arrays"));
  for (uint64_t i = 0; i < names; ++i) {
    const uint64_t length = reader.get<uint64_t>("a name");
    contents.names.emplace_back(reader.take(length, "a name"), length);
  }
  return contents;
}

void saveNDArrays(const std::string &path, const NamedArrays &contents) {
  const std::string bytes = serializeNDArrays(contents);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file)
    throw Error(formatMessage("save: cannot open '", path, "' for writing"));
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!file)
    throw Error(formatMessage("save: writing '", path, "' failed"));
}

NamedArrays loadNDArrays(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw Error(formatMessage("load: cannot open '", path, "'"));
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return deserializeNDArrays(bytes.str());
}

} // namespace kiln
