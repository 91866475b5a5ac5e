// dnnl_support::sameLayout, which lets a oneDNN primitive read and write
// kiln's plain buffers in place where its own layout puts every element at
// the same address (convolutions over 1x1 feature maps): it must say yes
// only then, never for layouts that differ by one address.
#include "runtime/cpu/DnnlSupport.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

using Tag = dnnl::memory::format_tag;

dnnl::memory::desc tagged(const dnnl::memory::dims &dims, Tag tag) {
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, tag);
}

TEST(SameLayout, BlockedChannelsAtOnePixelArePlain) {
  const dnnl::memory::dims dims = {32, 512, 1, 1};
  EXPECT_TRUE(dnnl_support::sameLayout(tagged(dims, Tag::nchw),
                                       tagged(dims, Tag::nChw16c)));
  EXPECT_TRUE(dnnl_support::sameLayout(tagged(dims, Tag::nChw16c),
                                       tagged(dims, Tag::nchw)));
  // nhwc is nchw too when there is one pixel.
  EXPECT_TRUE(dnnl_support::sameLayout(tagged(dims, Tag::nhwc),
                                       tagged(dims, Tag::nchw)));
  // kiln's own descriptor of a dense buffer (explicit strides).
  EXPECT_TRUE(dnnl_support::sameLayout(
      dnnl_support::plainDesc({32, 512, 1, 1}, {512, 1, 1, 1}),
      tagged(dims, Tag::nChw16c)));
}

TEST(SameLayout, DiffersWhereAnyAddressDoes) {
  // More than one pixel: channel blocks interleave with space.
  const dnnl::memory::dims pixels = {2, 32, 2, 2};
  EXPECT_FALSE(dnnl_support::sameLayout(tagged(pixels, Tag::nchw),
                                        tagged(pixels, Tag::nChw16c)));
  EXPECT_FALSE(dnnl_support::sameLayout(tagged(pixels, Tag::nchw),
                                        tagged(pixels, Tag::nhwc)));
  // Channels padded up to a block: the blocked buffer is larger.
  const dnnl::memory::dims padded = {2, 20, 1, 1};
  EXPECT_FALSE(dnnl_support::sameLayout(tagged(padded, Tag::nchw),
                                        tagged(padded, Tag::nChw16c)));
  // Weights blocked over both channel counts stay transposed in blocks.
  const dnnl::memory::dims weights = {32, 32, 1, 1};
  EXPECT_FALSE(dnnl_support::sameLayout(tagged(weights, Tag::oihw),
                                        tagged(weights, Tag::OIhw16i16o)));
  // A strided view (every other row of a larger buffer) is not dense.
  EXPECT_FALSE(dnnl_support::sameLayout(
      dnnl_support::plainDesc({32, 512, 1, 1}, {1024, 1, 1, 1}),
      tagged({32, 512, 1, 1}, Tag::nChw16c)));
  // Other dims or types.
  EXPECT_FALSE(dnnl_support::sameLayout(tagged({32, 512, 1, 1}, Tag::nchw),
                                        tagged({32, 256, 1, 1}, Tag::nchw)));
  EXPECT_FALSE(dnnl_support::sameLayout(
      tagged(dnnl::memory::dims{1, 16, 1, 1}, Tag::nchw),
      dnnl::memory::desc(dnnl::memory::dims{1, 16, 1, 1},
                         dnnl::memory::data_type::s32, Tag::nchw)));
}

} // namespace
} // namespace kiln
