// The library-backed primitives compiled end to end: kiln.convolution, its
// backward-data and backward-filter forms, kiln.pool and kiln.pool_backward
// become kiln.library_call and then calls of runtime/cpu/Convolution.cpp and
// Pooling.cpp (f32 on oneDNN, f64 on the runtime's loops). Each kernel runs
// on small random inputs, contiguous and not, and is compared with the naive
// double-precision references below. Also: every runtime function the
// lowering can call is in kiln::librarySymbols(), which the JIT defines.
#include "tests/compiler/TestFiles.h"
#include "tests/compiler/TestTensors.h"

#include "compiler/KernelBuilder.h"
#include "compiler/KernelCache.h"
#include "compiler/Passes.h"
#include "compiler/Registration.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"
#include "runtime/cpu/LibraryCalls.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <thread>

namespace kiln {
namespace compiler {
namespace {

using namespace testing_support;

//===----------------------------------------------------------------------===//
// Tensors in several memory layouts
//===----------------------------------------------------------------------===//

enum class Layout {
  Contiguous,
  ChannelLast, // (N, spatial..., C) in memory: a channel-last view.
  Swapped,     // Dimensions 0 and 1 swapped in memory (a transposed filter).
  Padded,      // Every extent one larger in memory, the view at (1, 1, ...).
  Broadcast,   // Dimension 0 broadcast: stride 0 (inputs only).
};

const char *layoutName(Layout layout) {
  switch (layout) {
  case Layout::Contiguous:
    return "contiguous";
  case Layout::ChannelLast:
    return "channel-last";
  case Layout::Swapped:
    return "swapped";
  case Layout::Padded:
    return "padded";
  case Layout::Broadcast:
    return "broadcast";
  }
  return "?";
}

int64_t offsetOf(const Tensor &tensor, const Shape &index) {
  int64_t offset = 0;
  for (size_t d = 0; d < index.size(); ++d)
    offset += index[d] * tensor.strides()[d];
  return offset;
}

/// Calls visit(index) for every row-major index of `shape`.
template <typename Visit> void forEachIndex(const Shape &shape, Visit visit) {
  if (numElements(shape) == 0)
    return;
  Shape index(shape.size(), 0);
  do
    visit(index);
  while (nextIndex(index, shape));
}

/// An uninitialized tensor of `shape` stored in `layout`.
Tensor emptyTensor(const Shape &shape, DType dtype, Layout layout) {
  const size_t rank = shape.size();
  if (layout == Layout::Padded) {
    Shape storageShape = shape;
    for (int64_t &extent : storageShape)
      ++extent;
    Tensor storage = Tensor::empty(storageShape, dtype);
    const Shape strides = contiguousStrides(storageShape);
    return storage.strided(
        shape, strides,
        std::accumulate(strides.begin(), strides.end(), int64_t{0}));
  }
  if (layout == Layout::Broadcast) {
    Shape one = shape;
    one[0] = 1;
    Tensor storage = Tensor::empty(one, dtype);
    Shape strides = contiguousStrides(one);
    strides[0] = 0;
    return storage.strided(shape, strides, 0);
  }
  // The memory order of the dimensions, outermost first.
  std::vector<size_t> order(rank);
  std::iota(order.begin(), order.end(), 0);
  if (layout == Layout::ChannelLast && rank >= 3)
    std::rotate(order.begin() + 1, order.begin() + 2, order.end());
  if (layout == Layout::Swapped && rank >= 2)
    std::swap(order[0], order[1]);
  Shape memoryShape(rank);
  for (size_t i = 0; i < rank; ++i)
    memoryShape[i] = shape[order[i]];
  Tensor storage = Tensor::empty(memoryShape, dtype);
  const Shape memoryStrides = contiguousStrides(memoryShape);
  Shape strides(rank);
  for (size_t i = 0; i < rank; ++i)
    strides[order[i]] = memoryStrides[i];
  return storage.strided(shape, strides, 0);
}

/// A tensor of random values in [-1, 1].
Tensor randomTensor(const Shape &shape, DType dtype, Layout layout,
                    std::mt19937 &random) {
  std::uniform_real_distribution<double> uniform(-1, 1);
  Tensor tensor = emptyTensor(shape, dtype, layout);
  forEachIndex(shape, [&](const Shape &index) {
    store(tensor, offsetOf(tensor, index), uniform(random));
  });
  return tensor;
}

/// A tensor for a kernel to write, filled with NaN so that any element the
/// kernel leaves unwritten fails the comparison. Broadcast layouts, which
/// cannot be written, give contiguous ones.
Tensor outputTensor(const Shape &shape, DType dtype, Layout layout) {
  Tensor tensor = emptyTensor(
      shape, dtype, layout == Layout::Broadcast ? Layout::Contiguous : layout);
  forEachIndex(shape, [&](const Shape &index) {
    store(tensor, offsetOf(tensor, index),
          std::numeric_limits<double>::quiet_NaN());
  });
  return tensor;
}

/// A reference result in double: values and, per element, the sum of the
/// magnitudes of its terms (what the rounding error scales with).
struct Reference {
  Shape shape;
  std::vector<double> value, magnitude;
  explicit Reference(const Shape &shape)
      : shape(shape), value(numElements(shape), 0.0),
        magnitude(numElements(shape), 0.0) {}
  int64_t at(const Shape &index) const {
    int64_t flat = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      flat = flat * shape[d] + index[d];
    return flat;
  }
  void add(const Shape &index, double term) {
    value[at(index)] += term;
    magnitude[at(index)] += std::fabs(term);
  }
};

double relativeTolerance(DType dtype) {
  return dtype == DType::Float64 ? 1e-12 : 2e-5;
}

void expectMatches(const Tensor &got, const Reference &expected,
                   const std::string &what) {
  ASSERT_EQ(got.shape(), expected.shape) << what;
  const double relative = relativeTolerance(got.dtype());
  int failures = 0;
  forEachIndex(expected.shape, [&](const Shape &index) {
    const double want = expected.value[expected.at(index)];
    const double value = load(got, offsetOf(got, index));
    const double bound =
        relative * (expected.magnitude[expected.at(index)] + std::fabs(want)) +
        1e-6;
    if (!(std::fabs(value - want) <= bound) && failures++ < 5)
      ADD_FAILURE() << what << " at " << shapeToString(index) << ": got "
                    << value << ", expected " << want;
  });
  EXPECT_EQ(failures, 0) << what;
}

std::vector<int64_t> filled(size_t count, int64_t value) {
  return std::vector<int64_t>(count, value);
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

/// A convolution: input (N, C, spatial...), filter (O, C / groups,
/// window...); empty attribute lists mean strides and dilations 1, no
/// padding.
struct Convolution {
  Shape input, filter;
  std::vector<int64_t> strides, low, high, dilations;
  int64_t groups = 1;

  size_t spatial() const { return input.size() - 2; }
  void fillDefaults() {
    for (auto [values, value] :
         {std::pair{&strides, 1}, {&low, 0}, {&high, 0}, {&dilations, 1}})
      if (values->empty())
        *values = filled(spatial(), value);
  }
  Shape output() const {
    Shape shape = {input[0], filter[0]};
    for (size_t d = 0; d < spatial(); ++d) {
      const int64_t span = dilations[d] * (filter[d + 2] - 1) + 1;
      shape.push_back((input[d + 2] + low[d] + high[d] - span) / strides[d] +
                      1);
    }
    return shape;
  }
  std::string describe() const {
    std::string text = "input " + shapeToString(input) + " filter " +
                       shapeToString(filter) + " groups " +
                       std::to_string(groups);
    for (auto [name, values] : {std::pair{" strides ", &strides},
                                {" low ", &low},
                                {" high ", &high},
                                {" dilations ", &dilations}})
      text += name + shapeToString(*values);
    return text;
  }
};

/// Calls visit(inputIndex, filterIndex, outputIndex) for every product term
/// of `c` whose input position lies inside the input (not in padding).
template <typename Visit>
void forEachConvolutionTerm(const Convolution &c, Visit visit) {
  const Shape output = c.output();
  const int64_t perGroupIn = c.filter[1], perGroupOut = c.filter[0] / c.groups;
  Shape window(c.filter.begin() + 2, c.filter.end());
  Shape in(c.input.size()), fi(c.filter.size());
  forEachIndex(output, [&](const Shape &out) {
    const int64_t group = out[1] / perGroupOut;
    forEachIndex(window, [&](const Shape &k) {
      for (size_t d = 0; d < c.spatial(); ++d) {
        in[d + 2] =
            out[d + 2] * c.strides[d] + k[d] * c.dilations[d] - c.low[d];
        if (in[d + 2] < 0 || in[d + 2] >= c.input[d + 2])
          return;
        fi[d + 2] = k[d];
      }
      for (int64_t channel = 0; channel < perGroupIn; ++channel) {
        in[0] = out[0];
        in[1] = group * perGroupIn + channel;
        fi[0] = out[1];
        fi[1] = channel;
        visit(in, fi, out);
      }
    });
  });
}

KernelSignature convolutionSignature(const char *primitive, DType dtype,
                                     const Convolution &c) {
  const int64_t rank = static_cast<int64_t>(c.input.size());
  KernelSignature signature{
      primitive, {{dtype, rank}, {dtype, rank}}, {{dtype, rank}}};
  signature.attributes["strides"] = c.strides;
  signature.attributes["padding_low"] = c.low;
  signature.attributes["padding_high"] = c.high;
  signature.attributes["dilations"] = c.dilations;
  signature.attributes["groups"] = {c.groups};
  return signature;
}

/// Layouts of the input, the filter and the output (each op's output is the
/// one it writes: the output, the input gradient, the filter gradient).
struct ConvolutionLayouts {
  Layout input = Layout::Contiguous, filter = Layout::Contiguous,
         output = Layout::Contiguous;
};

/// The three tensors of a convolution, by role; each kernel writes one.
enum Role { InputRole, FilterRole, OutputRole };

/// Runs the kernel that writes `roles[written]` from the other two and
/// compares it with the reference: every product term of the convolution,
/// added into the written tensor at its index there.
void checkConvolutionKernel(KernelCache &cache, DType dtype,
                            const Convolution &c, Role written,
                            const Tensor &input, const Tensor &filter,
                            const Tensor &output) {
  static const char *const kPrimitives[] = {"convolution_backward_data",
                                            "convolution_backward_filter",
                                            "convolution"};
  const Tensor *roles[] = {&input, &filter, &output};
  // The kernels' operands: their inputs in the call's order, then the result.
  static const Role kOrder[][3] = {{OutputRole, FilterRole, InputRole},
                                   {InputRole, OutputRole, FilterRole},
                                   {InputRole, FilterRole, OutputRole}};
  std::vector<Tensor> operands;
  for (Role role : kOrder[written])
    operands.push_back(*roles[role]);
  invokeKernel(cache.get(convolutionSignature(kPrimitives[written], dtype, c)),
               operands);
  Reference expected(roles[written]->shape());
  forEachConvolutionTerm(
      c, [&](const Shape &i, const Shape &f, const Shape &o) {
        const Shape *at[] = {&i, &f, &o};
        double product = 1;
        for (int role = InputRole; role <= OutputRole; ++role)
          if (role != written)
            product *= load(*roles[role], offsetOf(*roles[role], *at[role]));
        expected.add(*at[written], product);
      });
  expectMatches(*roles[written], expected, kPrimitives[written]);
}

/// Runs the three convolution kernels on random data and compares each with
/// the reference; then checks that they are each other's adjoints.
void checkConvolution(KernelCache &cache, DType dtype, Convolution c,
                      ConvolutionLayouts layouts = {}) {
  c.fillDefaults();
  SCOPED_TRACE(dtypeName(dtype) + " " + c.describe() + " layouts " +
               layoutName(layouts.input) + "/" + layoutName(layouts.filter) +
               "/" + layoutName(layouts.output));
  std::mt19937 random(
      static_cast<unsigned>(numElements(c.input) * 31 + numElements(c.filter)));
  const Shape outShape = c.output();
  const Tensor x = randomTensor(c.input, dtype, layouts.input, random);
  const Tensor w = randomTensor(c.filter, dtype, layouts.filter, random);
  const Tensor dy = randomTensor(outShape, dtype, layouts.output, random);
  // Each result in the layout of the operand it stands for.
  const Tensor y = outputTensor(outShape, dtype, layouts.output);
  const Tensor dx = outputTensor(c.input, dtype, layouts.input);
  const Tensor dw = outputTensor(c.filter, dtype, layouts.filter);
  checkConvolutionKernel(cache, dtype, c, OutputRole, x, w, y);
  checkConvolutionKernel(cache, dtype, c, InputRole, dx, w, dy);
  checkConvolutionKernel(cache, dtype, c, FilterRole, x, dw, dy);

  // <conv(x, w), dy> = <x, backward_data(dy, w)> = <w, backward_filter(x, dy)>
  // from the kernels' own results: they agree with each other.
  auto dot = [](const Tensor &a, const Tensor &b, double &magnitude) {
    double sum = 0;
    forEachIndex(a.shape(), [&](const Shape &index) {
      const double term =
          load(a, offsetOf(a, index)) * load(b, offsetOf(b, index));
      sum += term;
      magnitude += std::fabs(term);
    });
    return sum;
  };
  double magnitude = 0;
  const double forward = dot(y, dy, magnitude);
  const double data = dot(x, dx, magnitude);
  const double filter = dot(w, dw, magnitude);
  const double bound = 4 * relativeTolerance(dtype) * magnitude + 1e-6;
  EXPECT_NEAR(forward, data, bound) << "backward_data is not the adjoint";
  EXPECT_NEAR(forward, filter, bound) << "backward_filter is not the adjoint";
}

const ConvolutionLayouts kStridedLayouts = {
    Layout::ChannelLast, Layout::Swapped, Layout::ChannelLast};
const ConvolutionLayouts kPaddedLayouts = {Layout::Padded, Layout::Padded,
                                           Layout::Padded};

class ConvolutionTest : public ::testing::TestWithParam<DType> {};

TEST_P(ConvolutionTest, TwoDimensional) {
  KernelCache cache("");
  const DType dtype = GetParam();
  checkConvolution(cache, dtype,
                   {{2, 3, 7, 6}, {4, 3, 3, 3}, {}, {1, 1}, {1, 1}});
  // 1x1 filters: a matmul over channels.
  checkConvolution(cache, dtype, {{2, 5, 4, 3}, {3, 5, 1, 1}});
  // Strides, dilations, asymmetric padding and groups at once.
  checkConvolution(
      cache, dtype,
      {{2, 4, 9, 8}, {6, 2, 3, 2}, {2, 1}, {1, 0}, {0, 2}, {1, 2}, 2});
  // Depthwise: one filter per channel.
  checkConvolution(cache, dtype,
                   {{1, 4, 5, 5}, {4, 1, 3, 3}, {1, 1}, {1, 1}, {1, 1}, {}, 4});
  // Two filters per group.
  checkConvolution(cache, dtype,
                   {{2, 3, 6, 5}, {6, 1, 2, 2}, {2, 2}, {1, 1}, {0, 0}, {}, 3});
}

TEST_P(ConvolutionTest, OneAndThreeDimensional) {
  KernelCache cache("");
  const DType dtype = GetParam();
  checkConvolution(cache, dtype, {{3, 2, 11}, {5, 2, 3}, {2}, {1}, {0}, {2}});
  checkConvolution(cache, dtype, {{2, 4, 7}, {4, 2, 2}, {1}, {0}, {1}, {}, 2});
  checkConvolution(cache, dtype,
                   {{1, 2, 5, 4, 6},
                    {3, 2, 2, 3, 2},
                    {1, 2, 1},
                    {0, 1, 1},
                    {1, 0, 0},
                    {1, 1, 2}});
  checkConvolution(
      cache, dtype,
      {{2, 4, 3, 3, 3}, {2, 2, 2, 2, 2}, {}, {1, 1, 1}, {}, {}, 2});
}

TEST_P(ConvolutionTest, NonContiguousOperandsAndResults) {
  KernelCache cache("");
  const DType dtype = GetParam();
  // Channel-last input and output, a filter with O and C swapped in memory:
  // oneDNN reorders at the call boundary.
  checkConvolution(cache, dtype,
                   {{2, 3, 7, 6}, {4, 3, 3, 3}, {}, {1, 1}, {1, 1}},
                   kStridedLayouts);
  checkConvolution(
      cache, dtype,
      {{2, 4, 9, 8}, {6, 2, 3, 2}, {2, 1}, {1, 0}, {0, 2}, {1, 2}, 2},
      kStridedLayouts);
  checkConvolution(cache, dtype, {{3, 2, 11}, {5, 2, 3}, {2}, {1}, {0}, {2}},
                   kStridedLayouts);
  // Views with an offset and no contiguous stride at all.
  checkConvolution(cache, dtype,
                   {{2, 3, 7, 6}, {4, 3, 3, 3}, {2, 1}, {1, 0}, {0, 1}},
                   kPaddedLayouts);
  checkConvolution(cache, dtype,
                   {{1, 2, 5, 4, 6}, {4, 1, 2, 3, 2}, {}, {}, {}, {}, 2},
                   kPaddedLayouts);
  // One image broadcast over the batch (stride 0), as broadcast_to views.
  checkConvolution(cache, dtype,
                   {{3, 2, 6, 5}, {4, 2, 3, 3}, {}, {1, 1}, {1, 1}},
                   {Layout::Broadcast, Layout::Contiguous, Layout::Contiguous});
}

TEST_P(ConvolutionTest, EdgeShapes) {
  KernelCache cache("");
  const DType dtype = GetParam();
  // Strides leave the input's last positions out of every window (input 12
  // gives the 5 outputs 11 would): their gradient is zero, not left as is.
  checkConvolution(cache, dtype, {{2, 3, 12}, {4, 3, 3}, {2}});
  checkConvolution(cache, dtype, {{1, 2, 8, 8}, {2, 2, 2, 2}, {3, 3}});
  // The window as large as the padded input: one output position.
  checkConvolution(cache, dtype,
                   {{2, 2, 3, 3}, {3, 2, 5, 5}, {}, {1, 1}, {1, 1}});
  // Padding wider than the window: outputs that see only padding are 0.
  checkConvolution(cache, dtype, {{1, 2, 4}, {2, 2, 2}, {}, {3}, {3}});
  // Filter larger than the input, reaching it only through padding.
  checkConvolution(cache, dtype,
                   {{1, 1, 2, 2}, {1, 1, 3, 3}, {}, {2, 2}, {2, 2}});
}

TEST_P(ConvolutionTest, EmptyBatch) {
  KernelCache cache("");
  const DType dtype = GetParam();
  Convolution c{{0, 3, 5, 5}, {4, 3, 3, 3}};
  c.fillDefaults();
  // No batch: the filter gradient is an empty sum, zeros.
  const Tensor x = emptyTensor(c.input, dtype, Layout::Contiguous);
  const Tensor dy = emptyTensor(c.output(), dtype, Layout::Contiguous);
  const Tensor dw = outputTensor(c.filter, dtype, Layout::Contiguous);
  invokeKernel(
      cache.get(convolutionSignature("convolution_backward_filter", dtype, c)),
      {x, dy, dw});
  expectMatches(dw, Reference(c.filter), "convolution_backward_filter");
  // And the forward and backward-data results are empty: nothing to do.
  std::mt19937 random(1);
  const Tensor w = randomTensor(c.filter, dtype, Layout::Contiguous, random);
  invokeKernel(cache.get(convolutionSignature("convolution", dtype, c)),
               {x, w, emptyTensor(c.output(), dtype, Layout::Contiguous)});
  invokeKernel(
      cache.get(convolutionSignature("convolution_backward_data", dtype, c)),
      {dy, w, emptyTensor(c.input, dtype, Layout::Contiguous)});
}

// A kernel loaded from the disk cache (as in a new process) calls the
// runtime as the freshly compiled one did.
TEST_P(ConvolutionTest, LoadedFromDiskCache) {
  const DType dtype = GetParam();
  const std::string directory =
      freshDirectory("convolution_" + dtypeName(dtype));
  Convolution c{{2, 3, 7, 6}, {4, 3, 3, 3}, {2, 1}, {1, 1}, {0, 1}};
  c.fillDefaults();
  { KernelCache(directory).get(convolutionSignature("convolution", dtype, c)); }
  KernelCache cache(directory);
  checkConvolution(cache, dtype, c);
  EXPECT_EQ(cache.stats().diskHits, 1u);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ConvolutionTest,
                         ::testing::Values(DType::Float32, DType::Float64),
                         [](const ::testing::TestParamInfo<DType> &info) {
                           return dtypeName(info.param);
                         });

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

struct Pool {
  bool max = true;
  Shape input;
  std::vector<int64_t> window, strides, low, high;
  bool countIncludePad = true;

  size_t spatial() const { return input.size() - 2; }
  void fillDefaults() {
    if (strides.empty())
      strides = window;
    if (low.empty())
      low = filled(spatial(), 0);
    if (high.empty())
      high = filled(spatial(), 0);
  }
  Shape output() const {
    Shape shape = {input[0], input[1]};
    for (size_t d = 0; d < spatial(); ++d)
      shape.push_back(
          (input[d + 2] + low[d] + high[d] - window[d]) / strides[d] + 1);
    return shape;
  }
  std::string describe() const {
    std::string text = std::string(max ? "max" : "avg") +
                       (countIncludePad ? "" : " excluding padding") +
                       " input " + shapeToString(input);
    for (auto [name, values] : {std::pair{" window ", &window},
                                {" strides ", &strides},
                                {" low ", &low},
                                {" high ", &high}})
      text += name + shapeToString(*values);
    return text;
  }
};

/// Calls visit(outputIndex, members, divisor) for every output element, with
/// the indices of its window's elements inside the input in row-major order
/// and the average's divisor: the whole window (which never reaches past the
/// padded input) or only its members.
template <typename Visit> void forEachPoolWindow(const Pool &p, Visit visit) {
  const Shape window(p.window.begin(), p.window.end());
  std::vector<Shape> members;
  forEachIndex(p.output(), [&](const Shape &out) {
    members.clear();
    forEachIndex(window, [&](const Shape &k) {
      Shape in = out;
      for (size_t d = 0; d < p.spatial(); ++d) {
        in[d + 2] = out[d + 2] * p.strides[d] + k[d] - p.low[d];
        if (in[d + 2] < 0 || in[d + 2] >= p.input[d + 2])
          return;
      }
      members.push_back(in);
    });
    const int64_t divisor = p.countIncludePad
                                ? numElements(window)
                                : static_cast<int64_t>(members.size());
    visit(out, members, divisor);
  });
}

KernelSignature poolSignature(const char *primitive, DType dtype,
                              const Pool &p) {
  const int64_t rank = static_cast<int64_t>(p.input.size());
  KernelSignature signature{primitive, {{dtype, rank}}, {{dtype, rank}}};
  if (std::string(primitive) == "pool_backward")
    signature.inputs.push_back({dtype, rank});
  signature.attributes["kind"] = {p.max ? 0 : 1};
  signature.attributes["window"] = p.window;
  signature.attributes["strides"] = p.strides;
  signature.attributes["padding_low"] = p.low;
  signature.attributes["padding_high"] = p.high;
  signature.attributes["count_include_pad"] = {p.countIncludePad ? 1 : 0};
  return signature;
}

/// Runs pool and pool_backward on random data against the reference. The
/// input's elements are distinct, so every max has one winner; a window
/// wholly in padding sends no gradient back.
void checkPool(KernelCache &cache, DType dtype, Pool p,
               Layout inputLayout = Layout::Contiguous,
               Layout outputLayout = Layout::Contiguous) {
  p.fillDefaults();
  SCOPED_TRACE(dtypeName(dtype) + " " + p.describe() + " layouts " +
               layoutName(inputLayout) + "/" + layoutName(outputLayout));
  std::mt19937 random(
      static_cast<unsigned>(numElements(p.input) * 7 + p.window.size()));
  const Shape outShape = p.output();
  const Tensor x = randomTensor(p.input, dtype, inputLayout, random);
  const Tensor dy = randomTensor(outShape, dtype, outputLayout, random);

  const Tensor y = outputTensor(outShape, dtype, outputLayout);
  invokeKernel(cache.get(poolSignature("pool", dtype, p)), {x, y});
  Reference yRef(outShape);
  forEachPoolWindow(p, [&](const Shape &out, const std::vector<Shape> &members,
                           int64_t divisor) {
    if (p.max) {
      // A window wholly in padding gives the lowest finite value (MXNet,
      // oneDNN); its average is 0.
      double best = dtype == DType::Float32
                        ? std::numeric_limits<float>::lowest()
                        : std::numeric_limits<double>::lowest();
      for (const Shape &in : members)
        best = std::max(best, load(x, offsetOf(x, in)));
      yRef.add(out, best);
    } else {
      for (const Shape &in : members)
        yRef.add(out, load(x, offsetOf(x, in)) / divisor);
    }
  });
  expectMatches(y, yRef, "pool");

  const Tensor dx = outputTensor(p.input, dtype, inputLayout);
  invokeKernel(cache.get(poolSignature("pool_backward", dtype, p)),
               {x, dy, dx});
  Reference dxRef(p.input);
  forEachPoolWindow(p, [&](const Shape &out, const std::vector<Shape> &members,
                           int64_t divisor) {
    const double grad = load(dy, offsetOf(dy, out));
    if (members.empty())
      return;
    if (p.max) {
      const Shape *winner = &members.front();
      for (const Shape &in : members)
        if (load(x, offsetOf(x, in)) > load(x, offsetOf(x, *winner)))
          winner = &in;
      dxRef.add(*winner, grad);
    } else {
      for (const Shape &in : members)
        dxRef.add(in, grad / divisor);
    }
  });
  expectMatches(dx, dxRef, "pool_backward");
}

class PoolTest : public ::testing::TestWithParam<DType> {};

TEST_P(PoolTest, TwoDimensional) {
  KernelCache cache("");
  const DType dtype = GetParam();
  for (bool max : {true, false}) {
    checkPool(cache, dtype, {max, {2, 3, 8, 6}, {2, 2}});
    // Overlapping windows: backward adds up several windows' gradients.
    checkPool(cache, dtype,
              {max, {2, 2, 7, 6}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});
    checkPool(cache, dtype,
              {max, {1, 3, 7, 7}, {3, 2}, {2, 3}, {1, 0}, {1, 1}});
  }
  // Averages over padding: counted, or left out of the divisor.
  for (bool countPad : {true, false}) {
    checkPool(cache, dtype,
              {false, {2, 2, 7, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, countPad});
    checkPool(cache, dtype,
              {false, {1, 2, 6, 5}, {2, 3}, {1, 2}, {1, 2}, {0, 1}, countPad});
  }
}

TEST_P(PoolTest, OneAndThreeDimensional) {
  KernelCache cache("");
  const DType dtype = GetParam();
  for (bool max : {true, false}) {
    checkPool(cache, dtype, {max, {2, 3, 11}, {3}, {2}, {2}, {0}, false});
    checkPool(cache, dtype, {max, {3, 2, 9}, {2}, {1}, {0}, {1}});
    checkPool(cache, dtype,
              {max,
               {1, 2, 5, 6, 4},
               {2, 2, 2},
               {1, 2, 2},
               {1, 0, 0},
               {0, 1, 0},
               false});
    checkPool(cache, dtype, {max, {2, 2, 4, 4, 4}, {2, 3, 2}, {2, 1, 2}});
  }
}

TEST_P(PoolTest, NonContiguousOperandsAndResults) {
  KernelCache cache("");
  const DType dtype = GetParam();
  for (bool max : {true, false}) {
    checkPool(cache, dtype, {max, {2, 3, 8, 6}, {2, 2}}, Layout::ChannelLast,
              Layout::ChannelLast);
    checkPool(cache, dtype,
              {max, {2, 2, 7, 6}, {3, 3}, {1, 2}, {1, 1}, {1, 0}, false},
              Layout::ChannelLast, Layout::Contiguous);
    checkPool(cache, dtype, {max, {2, 3, 9}, {3}, {2}, {1}, {1}},
              Layout::Padded, Layout::Padded);
    checkPool(cache, dtype,
              {max, {1, 2, 4, 5, 6}, {2, 2, 3}, {}, {}, {0, 1, 0}},
              Layout::Padded, Layout::ChannelLast);
    checkPool(cache, dtype, {max, {3, 4, 6, 5}, {3, 2}, {2, 1}, {1, 1}, {0, 1}},
              Layout::Broadcast, Layout::Contiguous);
  }
}

TEST_P(PoolTest, ManyChannels) {
  KernelCache cache("");
  const DType dtype = GetParam();
  for (bool max : {true, false}) {
    checkPool(cache, dtype,
              {max, {2, 32, 8, 8}, {3, 3}, {2, 2}, {1, 1}, {1, 1}});
    checkPool(cache, dtype, {max, {2, 17, 7, 6}, {2, 2}});
    checkPool(cache, dtype,
              {max, {2, 32, 8, 8}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},
              Layout::ChannelLast, Layout::ChannelLast);
    checkPool(cache, dtype, {max, {1, 16, 4, 4, 4}, {2, 2, 2}});
    checkPool(cache, dtype, {max, {2, 64, 9}, {3}, {2}, {1}, {1}});
  }
}

// Padding at least as wide as the window (as pooling_convention "full" can
// add) leaves windows with no input element.
TEST_P(PoolTest, WindowsWhollyInPadding) {
  KernelCache cache("");
  const DType dtype = GetParam();
  for (bool max : {true, false})
    for (bool countPad : {true, false}) {
      checkPool(cache, dtype, {max, {1, 2, 3}, {2}, {1}, {2}, {2}, countPad});
      checkPool(cache, dtype,
                {max, {2, 3, 4, 3}, {2, 2}, {2, 2}, {0, 2}, {2, 1}, countPad});
    }
}

TEST_P(PoolTest, GlobalWindow) {
  KernelCache cache("");
  const DType dtype = GetParam();
  for (bool max : {true, false})
    checkPool(cache, dtype, {max, {2, 5, 4, 7}, {4, 7}});
}

INSTANTIATE_TEST_SUITE_P(Dtypes, PoolTest,
                         ::testing::Values(DType::Float32, DType::Float64),
                         [](const ::testing::TestParamInfo<DType> &info) {
                           return dtypeName(info.param);
                         });

//===----------------------------------------------------------------------===//
// From several threads at once
//===----------------------------------------------------------------------===//

// Threads share the cached oneDNN plans; each has its own reorder and
// scratchpad memory.
TEST(LibraryPrimitives, ConcurrentCallsShareThePlans) {
  KernelCache cache("");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&cache] {
      for (int repeat = 0; repeat < 3; ++repeat) {
        checkConvolution(
            cache, DType::Float32,
            {{2, 4, 9, 8}, {6, 2, 3, 2}, {2, 1}, {1, 0}, {0, 2}, {1, 2}, 2},
            kStridedLayouts);
        checkPool(cache, DType::Float32,
                  {true, {2, 32, 8, 8}, {3, 3}, {2, 2}, {1, 1}, {1, 1}});
      }
    });
  for (std::thread &thread : threads)
    thread.join();
}

//===----------------------------------------------------------------------===//
// Inside graph kernels
//===----------------------------------------------------------------------===//

// A graph whose library calls write intermediates the kernel allocates, with
// extents the lowering computes at run time (padded, strided, dilated).
TEST(LibraryPrimitives, InGraphKernels) {
  KernelCache cache("");
  KernelEntryFn kernel = cache.getGraph(R"mlir(
func.func @block(%x: tensor<?x?x?x?xf64>, %w: tensor<?x?x?x?xf64>) -> tensor<?x?x?x?xf64> {
  %y = kiln.convolution %x, %w {strides = array<i64: 1, 2>, padding_low = array<i64: 1, 0>, padding_high = array<i64: 2, 1>, dilations = array<i64: 2, 1>, groups = 1 : i64} : tensor<?x?x?x?xf64>, tensor<?x?x?x?xf64> -> tensor<?x?x?x?xf64>
  %r = kiln.relu %y : tensor<?x?x?x?xf64>
  %p = kiln.pool %r {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>, strides = array<i64: 2, 1>, padding_low = array<i64: 0, 1>, padding_high = array<i64: 1, 0>, count_include_pad = true} : tensor<?x?x?x?xf64> -> tensor<?x?x?x?xf64>
  return %p : tensor<?x?x?x?xf64>
}
)mlir");
  Convolution c{{2, 3, 9, 8}, {4, 3, 3, 2}, {1, 2}, {1, 0}, {2, 1}, {2, 1}};
  c.fillDefaults();
  Pool p{true, c.output(), {2, 2}, {2, 1}, {0, 1}, {1, 0}};
  std::mt19937 random(5);
  const Tensor x =
      randomTensor(c.input, DType::Float64, Layout::Contiguous, random);
  const Tensor w =
      randomTensor(c.filter, DType::Float64, Layout::Contiguous, random);
  const Tensor out =
      outputTensor(p.output(), DType::Float64, Layout::Contiguous);
  invokeKernel(kernel, {x, w, out});
  Reference y(c.output());
  forEachConvolutionTerm(
      c, [&](const Shape &i, const Shape &f, const Shape &o) {
        y.add(o, load(x, offsetOf(x, i)) * load(w, offsetOf(w, f)));
      });
  Reference expected(p.output());
  forEachPoolWindow(
      p, [&](const Shape &o, const std::vector<Shape> &members, int64_t) {
        double best = 0; // relu's floor
        for (const Shape &in : members)
          best = std::max(best, y.value[y.at(in)]);
        expected.add(o, best);
      });
  expectMatches(out, expected, "convolution -> relu -> pool");
}

// A chain of poolings whose intermediates kiln-plan-memory places in shared
// memory: the third pooling's output takes the first's bytes (another shape,
// so a view of one byte buffer) once the second has read them. The result
// must be the chain's, in f32 (oneDNN) and f64 (the runtime's loops).
TEST(LibraryPrimitives, ChainedIntermediatesShareMemory) {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const std::string type = dtype == DType::Float32 ? "f32" : "f64";
    const std::string pool =
        "{kind = #kiln<pool_kind avg>, window = array<i64: 2, 2>, strides = "
        "array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = "
        "array<i64: 0, 0>, count_include_pad = true} : tensor<?x?x?x?x" +
        type + "> -> tensor<?x?x?x?x" + type + ">";
    KernelCache cache("");
    KernelEntryFn kernel =
        cache.getGraph("func.func @chain(%x: tensor<?x?x?x?x" + type +
                       ">) -> tensor<?x?x?x?x" + type +
                       "> {\n"
                       "  %a = kiln.pool %x " +
                       pool +
                       "\n"
                       "  %b = kiln.pool %a " +
                       pool +
                       "\n"
                       "  %c = kiln.pool %b " +
                       pool +
                       "\n"
                       "  %d = kiln.pool %c " +
                       pool +
                       "\n"
                       "  return %d : tensor<?x?x?x?x" +
                       type + ">\n}\n");
    std::mt19937 random(11);
    const Tensor x =
        randomTensor({2, 3, 16, 16}, dtype, Layout::Contiguous, random);
    const Tensor out = outputTensor({2, 3, 1, 1}, dtype, Layout::Contiguous);
    invokeKernel(kernel, {x, out});
    Shape shape = {2, 3, 16, 16};
    std::vector<double> values;
    forEachIndex(shape, [&](const Shape &i) {
      values.push_back(load(x, offsetOf(x, i)));
    });
    for (int stage = 0; stage < 4; ++stage) {
      Pool p{false, shape, {2, 2}, {2, 2}, {0, 0}, {0, 0}};
      Reference next(p.output());
      Reference input(shape);
      forEachPoolWindow(p,
                        [&](const Shape &o, const std::vector<Shape> &members,
                            int64_t divisor) {
                          for (const Shape &in : members)
                            next.add(o, values[input.at(in)] / double(divisor));
                        });
      values = next.value;
      shape = p.output();
      if (stage == 3)
        expectMatches(out, next, "four chained poolings, " + type);
    }
  }
}

//===----------------------------------------------------------------------===//
// Signatures the primitives reject
//===----------------------------------------------------------------------===//

/// Building the kernel fails with kiln::Error (a diagnostic, not a crash).
void expectRejected(const KernelSignature &signature, const char *why) {
  KernelCache cache("");
  EXPECT_THROW(cache.get(signature), Error) << why << ": " << signature.key();
}

TEST(LibraryPrimitives, BadSignaturesAreErrors) {
  const DType f32 = DType::Float32;
  Convolution c{{1, 2, 5, 5}, {3, 2, 3, 3}};
  c.fillDefaults();
  for (const char *primitive : {"convolution", "convolution_backward_data",
                                "convolution_backward_filter"}) {
    KernelSignature signature = convolutionSignature(primitive, f32, c);
    signature.attributes["dilations"] = {};
    expectRejected(signature, "no dilations");
    signature = convolutionSignature(primitive, f32, c);
    signature.attributes["strides"] = {1};
    expectRejected(signature, "strides for one dimension of two");
    signature = convolutionSignature(primitive, f32, c);
    signature.attributes["padding_low"] = {0, -1};
    expectRejected(signature, "negative padding");
    signature = convolutionSignature(primitive, f32, c);
    signature.attributes["groups"] = {0};
    expectRejected(signature, "no groups");
    signature = convolutionSignature(primitive, f32, c);
    signature.attributes.erase("groups");
    expectRejected(signature, "groups missing");
    expectRejected(convolutionSignature(primitive, DType::Int32, c),
                   "integers");
    signature = convolutionSignature(primitive, f32, c);
    signature.inputs[1].dtype = DType::Float64;
    expectRejected(signature, "mixed element types");
    signature = convolutionSignature(primitive, f32, c);
    for (ArgumentType *argument :
         {&signature.inputs[0], &signature.inputs[1], &signature.outputs[0]})
      argument->rank = 2;
    expectRejected(signature, "no spatial dimension");
  }
  // The convolution's optional bias: rank 1, of the filter's element type;
  // the backward primitives take none.
  KernelSignature biased = convolutionSignature("convolution", f32, c);
  biased.inputs.push_back({f32, 2});
  expectRejected(biased, "bias of rank 2");
  biased.inputs.back() = {DType::Float64, 1};
  expectRejected(biased, "bias of another element type");
  biased.inputs.back() = {f32, 1};
  biased.inputs.push_back({f32, 1});
  expectRejected(biased, "four inputs");
  for (const char *primitive :
       {"convolution_backward_data", "convolution_backward_filter"}) {
    KernelSignature signature = convolutionSignature(primitive, f32, c);
    signature.inputs.push_back({f32, 1});
    expectRejected(signature, "a bias on a backward primitive");
  }
  Pool p{true, {1, 2, 4, 4}, {2, 2}};
  p.fillDefaults();
  for (const char *primitive : {"pool", "pool_backward"}) {
    KernelSignature signature = poolSignature(primitive, f32, p);
    signature.attributes["window"] = {2};
    expectRejected(signature, "window for one dimension of two");
    signature = poolSignature(primitive, f32, p);
    signature.attributes["strides"] = {1, 0};
    expectRejected(signature, "stride 0");
    signature = poolSignature(primitive, f32, p);
    signature.attributes.erase("kind");
    expectRejected(signature, "kind missing");
    expectRejected(poolSignature(primitive, DType::Float16, p), "f16");
  }
}

//===----------------------------------------------------------------------===//
// The runtime's table of callees
//===----------------------------------------------------------------------===//

/// The runtime functions `signature`'s kernel calls after the whole lowering:
/// its external functions with MLIR's C-interface prefix, the prefix
/// dropped.
std::set<std::string> runtimeCallees(mlir::MLIRContext &context,
                                     const KernelSignature &signature) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      buildKernelModule(context, signature, "kernel");
  mlir::PassManager pipeline(&context);
  mlir::kiln::buildLowerToLLVMPipeline(pipeline);
  EXPECT_TRUE(mlir::succeeded(pipeline.run(*module))) << signature.key();
  const std::string prefix = cifaceName("");
  std::set<std::string> callees;
  module->walk([&](mlir::LLVM::LLVMFuncOp function) {
    const std::string name = function.getName().str();
    if (function.isExternal() && name.rfind(prefix, 0) == 0)
      callees.insert(name.substr(prefix.size()));
  });
  return callees;
}

TEST(LibraryCalls, EveryCalleeTheLoweringEmitsIsInTheTable) {
  mlir::DialectRegistry registry;
  mlir::kiln::registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::set<std::string> table;
  for (const LibrarySymbol &symbol : librarySymbols()) {
    EXPECT_NE(symbol.address, nullptr) << symbol.callee;
    EXPECT_TRUE(table.insert(symbol.callee).second)
        << symbol.callee << " is listed twice";
  }

  std::set<std::string> emitted;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (int64_t spatial = 1; spatial <= 3; ++spatial) {
      Convolution c{Shape(spatial + 2, 4), Shape(spatial + 2, 2)};
      c.fillDefaults();
      Pool p{true, Shape(spatial + 2, 4), filled(spatial, 2)};
      p.fillDefaults();
      KernelSignature biased = convolutionSignature("convolution", dtype, c);
      biased.inputs.insert(biased.inputs.begin() + 2, {dtype, 1});
      std::vector<KernelSignature> signatures = {
          convolutionSignature("convolution", dtype, c),
          biased,
          convolutionSignature("convolution_backward_data", dtype, c),
          convolutionSignature("convolution_backward_filter", dtype, c),
          poolSignature("pool", dtype, p),
          poolSignature("pool_backward", dtype, p)};
      p.max = false;
      signatures.push_back(poolSignature("pool", dtype, p));
      signatures.push_back(poolSignature("pool_backward", dtype, p));
      for (const KernelSignature &signature : signatures) {
        std::set<std::string> callees = runtimeCallees(context, signature);
        EXPECT_EQ(callees.size(), 1u) << signature.key();
        emitted.insert(callees.begin(), callees.end());
      }
    }
    KernelSignature matmul{"matmul", {{dtype, 2}, {dtype, 2}}, {{dtype, 2}}};
    std::set<std::string> callees = runtimeCallees(context, matmul);
    emitted.insert(callees.begin(), callees.end());
  }
  for (const std::string &callee : emitted)
    EXPECT_TRUE(table.count(callee))
        << callee << " is called by compiled code but missing from "
        << "runtime/cpu/LibraryCalls.cpp";
  // Every library primitive x dtype has its own entry point, and oneDNN's
  // matmul one more: the table has nothing the compiler never calls.
  EXPECT_EQ(emitted, table);
}

} // namespace
} // namespace compiler
} // namespace kiln
