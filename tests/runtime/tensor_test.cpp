#include "runtime/Allocator.h"
#include "runtime/Error.h"
#include "runtime/Tensor.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(Shape, PrintsLikeNumpy) {
  EXPECT_EQ(shapeToString({}), "()");
  EXPECT_EQ(shapeToString({3}), "(3,)");
  EXPECT_EQ(shapeToString({2, 3}), "(2, 3)");
}

TEST(Shape, ContiguousStridesAreRowMajor) {
  EXPECT_EQ(contiguousStrides({2, 3, 4}), (Shape{12, 4, 1}));
  EXPECT_EQ(contiguousStrides({}), Shape{});
  EXPECT_EQ(numElements({2, 3, 4}), 24);
  EXPECT_EQ(numElements({}), 1);
  EXPECT_EQ(numElements({5, 0}), 0);
}

TEST(Tensor, EmptyIsContiguousAndSized) {
  Tensor tensor = Tensor::empty({2, 3}, DType::Float64);
  EXPECT_EQ(tensor.shape(), (Shape{2, 3}));
  EXPECT_EQ(tensor.strides(), (Shape{3, 1}));
  EXPECT_TRUE(tensor.isContiguous());
  EXPECT_EQ(tensor.numElements(), 6);
  EXPECT_GE(tensor.storage()->bytes(), 6 * sizeof(double));
  EXPECT_EQ(tensor.device(), Device::cpu());
}

TEST(Tensor, ReshapedSharesStorage) {
  Tensor tensor = Tensor::empty({2, 3}, DType::Float32);
  Tensor view = tensor.reshaped({3, 2});
  EXPECT_EQ(view.storage(), tensor.storage());
  EXPECT_EQ(view.strides(), (Shape{2, 1}));
}

TEST(Tensor, ReshapeToAnotherSizeIsAnError) {
  Tensor tensor = Tensor::empty({2, 3}, DType::Float32);
  try {
    tensor.reshaped({4, 2});
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    EXPECT_STREQ(error.what(), "reshape: cannot view shape (2, 3) as (4, 2)");
  }
}

TEST(Tensor, NegativeExtentIsAnError) {
  EXPECT_THROW(Tensor::empty({2, -1}, DType::Float32), Error);
}

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtypeSize(DType::Float32), 4u);
  EXPECT_EQ(dtypeSize(DType::BFloat16), 2u);
  EXPECT_EQ(dtypeSize(DType::Int64), 8u);
  EXPECT_EQ(dtypeName(DType::UInt8), "uint8");
  EXPECT_EQ(Device::cpu().toString(), "cpu(0)");
}

namespace kiln {
namespace {

TEST(Tensor, StridedViewSharesStorage) {
  Tensor tensor = Tensor::empty({2, 3}, DType::Float32);
  Tensor transposed = tensor.strided({3, 2}, {1, 3}, 0);
  EXPECT_EQ(transposed.storage(), tensor.storage());
  EXPECT_FALSE(transposed.isContiguous());
  Tensor lastRow = tensor.strided({3}, {1}, 3);
  EXPECT_EQ(lastRow.data(), static_cast<float *>(tensor.data()) + 3);
  Tensor broadcast = tensor.strided({4, 3}, {0, 1}, 0);
  EXPECT_EQ(broadcast.numElements(), 12);
  EXPECT_EQ(tensor.strided({0, 5}, {100, 100}, 0).numElements(), 0);
}

TEST(Tensor, StridedViewOutsideTheStorageIsAnError) {
  Tensor tensor = Tensor::empty({2, 3}, DType::Float32);
  // The storage holds 6 floats: elements 0..5.
  EXPECT_THROW(tensor.strided({2, 3}, {3, 1}, 1), Error);
  EXPECT_THROW(tensor.strided({2}, {8}, 9), Error);
  EXPECT_THROW(tensor.strided({2}, {-1}, 0), Error);
  EXPECT_THROW(tensor.strided({2, 2}, {1}, 0), Error);
}

} // namespace
} // namespace kiln

TEST(Tensor, ContiguityIgnoresTheStridesOfExtentOneAxes) {
  Tensor tensor = Tensor::empty({4, 5}, DType::Float32);
  // x[1, 2:4]: shape (1, 2), strides (5, 1): two neighbouring elements.
  EXPECT_TRUE(tensor.strided({1, 2}, {5, 1}, 7).isContiguous());
  // x[1:3, 2:4]: two rows with a gap between them.
  EXPECT_FALSE(tensor.strided({2, 2}, {5, 1}, 7).isContiguous());
  // x[:, 1]: a column.
  EXPECT_FALSE(tensor.strided({4}, {5}, 1).isContiguous());
  EXPECT_TRUE(tensor.strided({0, 3}, {1, 7}, 0).isContiguous());
}

TEST(Tensor, ElementCountsThatOverflowAreErrors) {
  const int64_t big = int64_t{1} << 32;
  EXPECT_THROW(Tensor::empty({big, big}, DType::Float32), Error);
  // 2**62 elements fit in the count but not, as float32, in bytes.
  EXPECT_THROW(Tensor::empty({int64_t{1} << 62}, DType::Float32), Error);
  EXPECT_THROW(checkedNumElements("op", {big, big}, DType::UInt8), Error);
  EXPECT_EQ(checkedNumElements("op", {big, 2}, DType::UInt8), 2 * big);
  EXPECT_EQ(checkedNumElements("op", {0, big, big, big}, DType::UInt8), 0);
  EXPECT_THROW(checkedNumElements("op", {-1, 2}, DType::Float32), Error);
  EXPECT_THROW(checkedExtentProduct("tile", big, big), Error);
  EXPECT_EQ(checkedExtentProduct("tile", big, 4), 4 * big);
  try {
    Tensor::empty({big, big}, DType::Float32);
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("(4294967296, 4294967296)"),
              std::string::npos)
        << error.what();
  }
}

TEST(Tensor, StridedViewsWhoseOffsetsOverflowAreErrors) {
  Tensor tensor = Tensor::empty({4}, DType::Float32);
  EXPECT_THROW(tensor.strided({int64_t{1} << 40}, {int64_t{1} << 40}, 0),
               Error);
}

TEST(Storage, AnAliasFollowsItsTargetsMemory) {
  std::shared_ptr<Storage> target = Storage::allocate(64);
  std::shared_ptr<Storage> alias = Storage::allocate(64);
  std::shared_ptr<Storage> other = Storage::allocate(64);
  alias->aliasOf(target);
  EXPECT_TRUE(alias->isAlias());
  EXPECT_EQ(alias->data(), target->data());
  EXPECT_FALSE(alias->exchangeable()); // No memory of its own to give.
  void *before = other->data();
  target->exchangeMemory(*other); // As an adopted gradient moves memory.
  EXPECT_EQ(alias->data(), before);
  EXPECT_THROW(alias->exchangeMemory(*other), Error);
  std::shared_ptr<Storage> aliasOfAlias = Storage::allocate(64);
  EXPECT_THROW(aliasOfAlias->aliasOf(alias), Error);
  EXPECT_THROW(Storage::allocate(128)->aliasOf(target), Error); // Smaller.
  std::shared_ptr<Storage> arena = Storage::allocate(256);
  alias->rebind(arena->data(), arena); // Ends the aliasing.
  EXPECT_FALSE(alias->isAlias());
  EXPECT_EQ(alias->data(), arena->data());
}

TEST(Storage, ALentBufferHoldsMemoryOnlyWhileInUse) {
  std::shared_ptr<Storage> buffer = Storage::allocate(1 << 16);
  auto bytesInUse = [] {
    return PooledAllocator::forDevice(Device::cpu()).stats().bytesInUse;
  };
  const size_t inUse = bytesInUse();
  buffer->setLent();
  EXPECT_TRUE(buffer->isLent());
  buffer->releaseMemory();
  EXPECT_EQ(buffer->data(), nullptr);
  EXPECT_EQ(bytesInUse(), inUse - (1 << 16));
  // Without memory it has none to exchange (an adopted gradient would get
  // a null block).
  EXPECT_FALSE(buffer->exchangeable());
  buffer->acquireMemory();
  ASSERT_NE(buffer->data(), nullptr);
  EXPECT_EQ(bytesInUse(), inUse);
  static_cast<char *>(buffer->data())[(1 << 16) - 1] = 1; // Writable.
  void *held = buffer->data();
  buffer->acquireMemory(); // Already has memory: kept.
  EXPECT_EQ(buffer->data(), held);
  buffer->releaseMemory();
  // Destroyed without memory: nothing is returned twice.
  buffer.reset();
  EXPECT_EQ(bytesInUse(), inUse - (1 << 16));
  // Memory not from the pool, or an alias, has none of its own to lend.
  char outside[64];
  std::shared_ptr<Storage> wrapped =
      Storage::wrap(outside, sizeof(outside), Device::cpu(), nullptr);
  EXPECT_THROW(wrapped->releaseMemory(), Error);
  std::shared_ptr<Storage> target = Storage::allocate(64);
  std::shared_ptr<Storage> alias = Storage::allocate(64);
  alias->aliasOf(target);
  EXPECT_THROW(alias->releaseMemory(), Error);
}

TEST(Error, CarriesTheKindOfMistake) {
  EXPECT_EQ(Error("x").kind(), Error::Kind::Generic);
  EXPECT_EQ(Error("x", Error::Kind::Value).kind(), Error::Kind::Value);
}

} // namespace
} // namespace kiln
