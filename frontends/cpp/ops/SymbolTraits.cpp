//===- SymbolTraits.cpp - what mx.sym knows of the operators --------------===//
//
// MXNet's symbolic interface of the operators that need more than the
// defaults (fixed inputs, one output "output"): inputs that come and go with
// attributes (no_bias, act_type='prelu', use_sequence_length), auxiliary
// states, several visible outputs and their names, and the shapes of
// parameters inferred from the data's (MXNet's FInferShape, backward half).
// The output shapes themselves are never written here: they come from
// running each op in shape-only mode (SymbolInference.h). RNN's traits live
// in RnnOps.cpp, beside its parameter layout. Names and shapes follow
// MXNet 1.9.1's list_arguments/list_outputs/infer_shape.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/SymbolInference.h"
#include "frontends/cpp/ops/Ops.h"
#include "runtime/Error.h"

namespace kiln {
namespace ops {
namespace {

using symbolic::setInputShape;
using Shapes = std::vector<std::optional<Shape>>;
using Names = std::vector<std::string>;

/// "output0", "output1", ... as MXNet names the outputs of ops that do not
/// name them.
Names numberedOutputs(int64_t count) {
  if (count < 1 || count > symbolic::kMaxNodeArity)
    throw Error(formatMessage("the number of outputs expected an integer "
                              "from 1 to ",
                              symbolic::kMaxNodeArity, ", got ", count));
  Names names;
  for (int64_t i = 0; i < count; ++i)
    names.push_back("output" + std::to_string(i));
  return names;
}

/// The extent of `axis` (negative counts from the end) of a known-rank
/// shape, or 0 (unknown).
int64_t extentAt(const std::optional<Shape> &shape, int64_t axis) {
  if (!shape)
    return 0;
  const int64_t rank = static_cast<int64_t>(shape->size());
  if (axis < 0)
    axis += rank;
  return axis >= 0 && axis < rank ? (*shape)[axis] : 0;
}

/// The product of extents [from, end) of `shape`; 0 when one is unknown.
int64_t productFrom(const Shape &shape, size_t from) {
  int64_t product = 1;
  for (size_t d = from; d < shape.size(); ++d)
    product *= shape[d];
  return product;
}

bool channelLast(const Attrs &attrs) {
  if (attrs.isNone("layout"))
    return false;
  const std::string layout = attrs.getString("layout");
  return !layout.empty() && layout.back() == 'C';
}

/// data, weight and, unless no_bias, bias (FullyConnected, Convolution,
/// Deconvolution).
Names dataWeightBias(const Attrs &attrs) {
  Names names = {"data", "weight"};
  if (!attrs.getBool("no_bias"))
    names.push_back("bias");
  return names;
}

void inferFullyConnected(const Attrs &attrs, Shapes &shapes) {
  if (!shapes[0] || shapes[0]->empty())
    return;
  const Shape &data = *shapes[0];
  const int64_t hidden = attrs.getInt("num_hidden");
  const int64_t units =
      attrs.getBool("flatten") ? productFrom(data, 1) : data.back();
  setInputShape(shapes, 1, {hidden, units}, "weight");
  setInputShape(shapes, 2, {hidden}, "bias");
}

/// Convolution's and Deconvolution's weight and bias from the data's
/// channels: (num_filter, C / num_group, *kernel) for Convolution,
/// (C, num_filter / num_group, *kernel) for Deconvolution; channel-last
/// layouts keep the channels last.
void inferConvolution(const Attrs &attrs, Shapes &shapes, bool transposed) {
  if (!shapes[0] || shapes[0]->empty())
    return;
  // The op itself refuses these, but with no weight shape it never runs:
  // a rank-2 input would leave every shape unknown instead of an error.
  if (shapes[0]->size() < 3 || shapes[0]->size() > 5)
    throw Error(formatMessage(
        transposed ? "Deconvolution" : "Convolution",
        ": data expected 3 to 5 dimensions (batch, channel, 1 to 3 spatial), "
        "got shape ",
        shapeToString(*shapes[0])));
  const std::vector<int64_t> kernel = attrs.getIntTuple("kernel");
  const bool last = channelLast(attrs);
  const int64_t channels = extentAt(shapes[0], last ? -1 : 1);
  const int64_t filters = attrs.getInt("num_filter");
  const int64_t groups = std::max<int64_t>(attrs.getInt("num_group"), 1);
  const int64_t outer = transposed ? channels : filters;
  const int64_t inner = transposed ? filters / groups : channels / groups;
  Shape weight = {outer};
  if (!last)
    weight.push_back(inner);
  weight.insert(weight.end(), kernel.begin(), kernel.end());
  if (last)
    weight.push_back(inner);
  setInputShape(shapes, 1, weight, "weight");
  setInputShape(shapes, 2, {filters}, "bias");
}

/// Per-channel parameters (all inputs after data) of the channels at
/// `axis`.
void inferPerChannel(Shapes &shapes, int64_t axis) {
  const int64_t channels = extentAt(shapes[0], axis);
  if (!shapes[0])
    return;
  static const char *const kNames[] = {"gamma", "beta", "moving_mean",
                                       "moving_var"};
  for (size_t i = 1; i < shapes.size() && i <= 4; ++i)
    setInputShape(shapes, i, {channels}, kNames[i - 1]);
}

/// The batch extent of a sequence op's data (time along `axis`, batch the
/// other of the first two axes).
void inferSequenceLength(const Attrs &attrs, Shapes &shapes) {
  if (shapes.size() < 2 || !shapes[0] || shapes[0]->size() < 2)
    return;
  const int64_t axis = attrs.getInt("axis");
  setInputShape(shapes, 1, {(*shapes[0])[axis == 0 ? 1 : 0]},
                "sequence_length");
}

/// Every input the shape of any known one (MXNet's same-shape elementwise
/// ops: elemwise_add, add_n, ...).
void inferSameShapes(const Attrs &, Shapes &shapes) {
  for (const std::optional<Shape> &shape : shapes)
    if (symbolic::isKnown(shape)) {
      for (size_t i = 0; i < shapes.size(); ++i)
        setInputShape(shapes, i, *shape,
                      ("input " + std::to_string(i)).c_str());
      return;
    }
}

/// A regression output's label: data's shape, or (batch,) for data of
/// shape (batch, 1), as MXNet's RegressionOpShape.
void inferLabelLikeData(const Attrs &, Shapes &shapes) {
  if (!shapes[0])
    return;
  const Shape &data = *shapes[0];
  if (data.size() == 2 && data[1] == 1) {
    // (batch,) or, as given, (batch, 1): MXNet takes either.
    if (!(shapes[1] && *shapes[1] == data))
      setInputShape(shapes, 1, {data[0]}, "label");
  } else {
    setInputShape(shapes, 1, data, "label");
  }
}

/// SoftmaxOutput's label: (batch, positions) with multi_output, else data's
/// shape without its last axis.
void inferSoftmaxLabel(const Attrs &attrs, Shapes &shapes) {
  if (!shapes[0] || shapes[0]->empty())
    return;
  const Shape &data = *shapes[0];
  if (attrs.getBool("multi_output") && !attrs.getBool("preserve_shape")) {
    if (data.size() >= 2)
      setInputShape(shapes, 1, {data[0], productFrom(data, 2)}, "label");
    return;
  }
  setInputShape(shapes, 1, Shape(data.begin(), data.end() - 1), "label");
}

} // namespace

void registerSymbolTraits(OpRegistry &registry) {
  // The names MXNet 1.9.1's graphs record where kiln's canonical name for
  // the same op differs (checked against nnvm's op table), so tojson writes
  // what MXNet writes.
  const std::pair<const char *, const char *> graphNames[] = {
      {"stop_gradient", "BlockGrad"},
      {"BlockGrad", "BlockGrad"},
      {"cast", "Cast"},
      {"Cast", "Cast"},
      {"pad", "Pad"},
      {"Pad", "Pad"},
      {"identity", "_copy"},
      {"_copy", "_copy"},
      {"_grad_add", "_grad_add"},
      {"ctc_loss", "CTCLoss"},
      {"_contrib_CTCLoss", "CTCLoss"},
      {"_contrib_ctc_loss", "CTCLoss"}};
  for (const auto &[name, graphName] : graphNames)
    if (registry.find(name) && registry.find(graphName))
      registry.setGraphName(name, graphName);
  for (const char *linalg :
       {"det", "extractdiag", "extracttrian", "gelqf", "gemm", "gemm2",
        "inverse", "makediag", "maketrian", "potrf", "potri", "slogdet",
        "sumlogdiag", "syrk", "trmm", "trsm", "syevd"}) {
    const std::string name = std::string("linalg_") + linalg;
    if (registry.find(name) && registry.find("_" + name))
      registry.setGraphName(name, "_" + name);
  }

  auto set = [&registry](const std::string &name, SymbolTraits traits) {
    if (registry.find(name))
      registry.setSymbolTraits(name, std::move(traits));
  };

  set("FullyConnected", {dataWeightBias, {}, nullptr, inferFullyConnected});
  set("Convolution",
      {dataWeightBias, {}, nullptr, [](const Attrs &attrs, Shapes &shapes) {
         inferConvolution(attrs, shapes, false);
       }});
  set("Deconvolution",
      {dataWeightBias, {}, nullptr, [](const Attrs &attrs, Shapes &shapes) {
         inferConvolution(attrs, shapes, true);
       }});
  const SymbolTraits batchNorm{
      nullptr,
      {"moving_mean", "moving_var"},
      [](const Attrs &attrs) {
        return attrs.getBool("output_mean_var") ? Names{"output", "mean", "var"}
                                                : Names{"output"};
      },
      [](const Attrs &attrs, Shapes &shapes) {
        inferPerChannel(shapes, attrs.getInt("axis"));
      },
      {{"moving_mean", "[\"zero\", {}]"}, {"moving_var", "[\"one\", {}]"}},
      // The parameters and statistics are in the data's accumulation type,
      // as MXNet's BatchNormType: float32 for half-precision data.
      [](const Attrs &, std::vector<std::optional<DType>> &dtypes) {
        if (dtypes.empty() || !dtypes[0])
          return;
        const DType accumulation =
            *dtypes[0] == DType::Float16 || *dtypes[0] == DType::BFloat16
                ? DType::Float32
                : *dtypes[0];
        for (size_t i = 1; i < dtypes.size(); ++i)
          if (!dtypes[i])
            dtypes[i] = accumulation;
      }};
  set("BatchNorm", batchNorm);
  set("_contrib_BatchNormWithReLU", batchNorm);
  set("LayerNorm", {nullptr,
                    {},
                    [](const Attrs &attrs) {
                      return attrs.getBool("output_mean_var")
                                 ? Names{"output", "mean", "std"}
                                 : Names{"output"};
                    },
                    [](const Attrs &attrs, Shapes &shapes) {
                      inferPerChannel(shapes, attrs.getInt("axis"));
                    }});
  set("InstanceNorm", {nullptr, {}, nullptr, [](const Attrs &, Shapes &shapes) {
                         inferPerChannel(shapes, 1);
                       }});
  set("GroupNorm", {nullptr,
                    {},
                    [](const Attrs &attrs) {
                      return attrs.getBool("output_mean_var")
                                 ? Names{"output", "mean", "std"}
                                 : Names{"output"};
                    },
                    [](const Attrs &attrs, Shapes &shapes) {
                      if (!shapes[0])
                        return;
                      const int64_t groups = attrs.getInt("num_groups");
                      setInputShape(shapes, 1, {groups}, "gamma");
                      setInputShape(shapes, 2, {groups}, "beta");
                    }});
  // x and y take each other's extents, and a condition of unknown shape
  // (or of their rank) theirs, as MXNet's WhereOpShape (a 1-D condition
  // of x's first extent stays so).
  set("where", {nullptr, {}, nullptr, [](const Attrs &, Shapes &shapes) {
                  if (shapes.size() != 3)
                    return;
                  if (shapes[1])
                    setInputShape(shapes, 2, *shapes[1], "y");
                  if (shapes[2])
                    setInputShape(shapes, 1, *shapes[2], "x");
                  if (shapes[1] &&
                      (!shapes[0] || shapes[0]->size() == shapes[1]->size()))
                    setInputShape(shapes, 0, *shapes[1], "condition");
                }});
  set("Embedding",
      {nullptr,
       {},
       nullptr,
       [](const Attrs &attrs, Shapes &shapes) {
         setInputShape(shapes, 1,
                       {attrs.getInt("input_dim"), attrs.getInt("output_dim")},
                       "weight");
       },
       {},
       // The weight is of the op's dtype whatever the indices' (MXNet's
       // EmbeddingOpType).
       [](const Attrs &attrs, std::vector<std::optional<DType>> &dtypes) {
         if (dtypes.size() > 1 && !dtypes[1])
           dtypes[1] = attrs.getDType("dtype");
       }});
  set("LeakyReLU",
      {[](const Attrs &attrs) {
         return attrs.getString("act_type") == "prelu" ? Names{"data", "gamma"}
                                                       : Names{"data"};
       },
       {},
       [](const Attrs &attrs) {
         return attrs.getString("act_type") == "rrelu" ? Names{"output", "mask"}
                                                       : Names{"output"};
       },
       [](const Attrs &, Shapes &shapes) {
         // gamma is (channels,), or (1,) shared by every channel.
         if (shapes.size() > 1 && shapes[0] &&
             !(shapes[1] && *shapes[1] == Shape{1}))
           setInputShape(shapes, 1,
                         {shapes[0]->size() >= 2 ? (*shapes[0])[1] : 1},
                         "gamma");
       },
       {{"gamma", "[\"Constant\", {\"value\": 0.25}]"}}});
  for (const char *name : {"SoftmaxOutput", "Softmax"})
    set(name, {nullptr, {}, nullptr, inferSoftmaxLabel});
  for (const char *name : {"LinearRegressionOutput", "LogisticRegressionOutput",
                           "MAERegressionOutput"})
    set(name, {nullptr, {}, nullptr, inferLabelLikeData});
  for (const char *name : {"SequenceMask", "SequenceLast", "SequenceReverse"})
    set(name, {[](const Attrs &attrs) {
                 return attrs.getBool("use_sequence_length")
                            ? Names{"data", "sequence_length"}
                            : Names{"data"};
               },
               {},
               nullptr,
               inferSequenceLength});
  for (const char *name : {"softmax", "log_softmax"})
    set(name, {[](const Attrs &attrs) {
                 return attrs.getBool("use_length") ? Names{"data", "length"}
                                                    : Names{"data"};
               },
               {},
               nullptr,
               [](const Attrs &attrs, Shapes &shapes) {
                 if (shapes.size() < 2 || !shapes[0] || shapes[0]->empty())
                   return;
                 Shape length = *shapes[0];
                 const int64_t rank = static_cast<int64_t>(length.size());
                 int64_t axis = attrs.getInt("axis");
                 if (axis < 0)
                   axis += rank;
                 if (axis >= 0 && axis < rank)
                   length.erase(length.begin() + axis);
                 setInputShape(shapes, 1, length, "length");
               }});
  set("UpSampling", {[](const Attrs &attrs) {
                       // Bilinear upsampling is a deconvolution with a learned
                       // weight; nearest takes num_args arrays.
                       return attrs.getString("sample_type") == "bilinear"
                                  ? Names{"data", "weight"}
                                  : Names{};
                     },
                     {},
                     nullptr,
                     [](const Attrs &attrs, Shapes &shapes) {
                       if (attrs.getString("sample_type") != "bilinear" ||
                           !shapes[0] || shapes[0]->size() != 4)
                         return;
                       const int64_t scale = attrs.getInt("scale");
                       const int64_t kernel = 2 * scale - scale % 2;
                       setInputShape(shapes, 1,
                                     {(*shapes[0])[1], 1, kernel, kernel},
                                     "weight");
                     },
                     {{"weight", "[\"bilinear\", {}]"}}});
  // CTCLoss: the lengths are inputs only when asked for; one visible output
  // (MXNet has two), which MXNet names output0.
  for (const char *name :
       {"CTCLoss", "ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"})
    set(name, {[](const Attrs &attrs) {
                 Names names = {"data", "label"};
                 if (attrs.getBool("use_data_lengths"))
                   names.push_back("data_lengths");
                 if (attrs.getBool("use_label_lengths"))
                   names.push_back("label_lengths");
                 return names;
               },
               {},
               [](const Attrs &) { return Names{"output0"}; },
               [](const Attrs &attrs, Shapes &shapes) {
                 if (!shapes[0] || shapes[0]->size() != 3)
                   return;
                 const int64_t batch = (*shapes[0])[1];
                 size_t next = 2;
                 if (attrs.getBool("use_data_lengths"))
                   setInputShape(shapes, next++, {batch}, "data_lengths");
                 if (attrs.getBool("use_label_lengths"))
                   setInputShape(shapes, next, {batch}, "label_lengths");
               }});
  set("topk", {nullptr, {}, [](const Attrs &attrs) {
                 return attrs.getString("ret_typ") == "both"
                            ? numberedOutputs(2)
                            : Names{"output"};
               }});
  set("_histogram",
      {[](const Attrs &attrs) {
         return attrs.isNone("bin_cnt") ? Names{"data", "bins"} : Names{"data"};
       },
       {},
       [](const Attrs &) { return numberedOutputs(2); }});
  for (const char *name :
       {"moments", "_linalg_gelqf", "linalg_gelqf", "_linalg_syevd",
        "linalg_syevd", "_linalg_slogdet", "linalg_slogdet"})
    set(name, {nullptr, {}, [](const Attrs &) { return numberedOutputs(2); }});
  set("_sample_multinomial", {nullptr, {}, [](const Attrs &attrs) {
                                return attrs.getBool("get_prob")
                                           ? numberedOutputs(2)
                                           : Names{"output"};
                              }});
  set("SliceChannel", {nullptr, {}, [](const Attrs &attrs) {
                         return numberedOutputs(attrs.getInt("num_outputs"));
                       }});
  set("amp_multicast", {nullptr, {}, [](const Attrs &attrs) {
                          return numberedOutputs(attrs.getInt("num_outputs"));
                        }});
  for (const char *name :
       {"elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div",
        "_grad_add", "add_n", "ElementWiseSum"})
    set(name, {nullptr, {}, nullptr, inferSameShapes});
}

} // namespace ops
} // namespace kiln
