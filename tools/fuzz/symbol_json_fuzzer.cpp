//===- symbol_json_fuzzer.cpp - libFuzzer target of the JSON reader -------===//
//
// Any byte string given to parseSymbolJson (frontends/cpp/SymbolJson.h)
// either reads or throws kiln::Error; anything else (a crash, a sanitizer
// report, another exception, a leak, a hang) is a bug. Built and run by
// tools/fuzz/run under ASan and UBSan.
//
// The fuzz build links the reader alone, not kiln's operator registry
// (which brings MLIR, LLVM and oneDNN): this OpLookup stands in for it with
// the shapes of interface the registry has — fixed inputs, inputs chosen
// by an attribute, num_args inputs, num_outputs outputs, initializers,
// rejected attributes, unknown ops — so every path of the reader runs.
// The registry's own answers to odd attributes are tested by
// tests/frontends/symbol_json_test (EveryRegistryOpFailsCleanly).
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/SymbolJson.h"
#include "runtime/Error.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using kiln::OpInterface;
using Params = std::map<std::string, std::string>;

/// A count attribute as kiln's registry reads it, bounded as
/// frontends/cpp/SymbolJsonOps.cpp bounds it.
size_t countOf(const Params &params, const char *name) {
  auto found = params.find(name);
  if (found == params.end())
    throw kiln::Error(std::string("missing required argument '") + name + "'");
  const long long count = std::strtoll(found->second.c_str(), nullptr, 10);
  if (count < 1 || count > 64)
    throw kiln::Error(std::string(name) + " out of range");
  return static_cast<size_t>(count);
}

std::optional<OpInterface> stubLookup(const std::string &op,
                                      const Params &params) {
  if (op == "relu" || op == "argmax" || op == "_plus_scalar" || op == "sum" ||
      op == "Flatten" || op == "Activation" || op == "Dropout")
    return OpInterface{{"data"}, 1, {}};
  if (op == "FullyConnected" || op == "Convolution") {
    countOf(params, op == "FullyConnected" ? "num_hidden" : "num_filter");
    auto noBias = params.find("no_bias");
    if (noBias != params.end() && noBias->second == "True")
      return OpInterface{{"data", "weight"}, 1, {}};
    return OpInterface{{"data", "weight", "bias"}, 1, {}};
  }
  if (op == "BatchNorm")
    return OpInterface{
        {"data", "gamma", "beta", "moving_mean", "moving_var"},
        1,
        {{"moving_mean", "[\"zero\", {}]"}, {"moving_var", "[\"one\", {}]"}}};
  if (op == "SoftmaxOutput" || op == "dot" || op == "elemwise_add")
    return OpInterface{{"lhs", "rhs"}, 1, {}};
  if (op == "Concat") {
    OpInterface interface;
    for (size_t i = 0, n = countOf(params, "num_args"); i < n; ++i)
      interface.inputs.push_back("arg" + std::to_string(i));
    return interface;
  }
  if (op == "SliceChannel")
    return OpInterface{{"data"}, countOf(params, "num_outputs"), {}};
  if (op == "_zeros")
    return OpInterface{{}, 1, {}};
  return std::nullopt;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  try {
    kiln::parseSymbolJson(text, stubLookup);
  } catch (const kiln::Error &) {
    // The reader's answer to a bad file; any other exception escapes and
    // libFuzzer reports it.
  }
  return 0;
}
