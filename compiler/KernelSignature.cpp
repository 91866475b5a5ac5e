//===- KernelSignature.cpp ------------------------------------------------===//
#include "compiler/KernelSignature.h"

#include <cstdio>
#include <type_traits>

namespace kiln {
namespace compiler {
namespace {

void appendArguments(std::string &key, const std::vector<ArgumentType> &args) {
  key += "(";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i)
      key += ",";
    // One mark per dimension, "1" (broadcast) or "?": a rank-1 argument
    // with extent 1 ([1]) and one of any extent ([?]) must not share a key,
    // nor a kernel.
    key += dtypeName(args[i].dtype) + "[";
    for (int64_t dim = 0; dim < args[i].rank; ++dim)
      key += std::string(dim ? "," : "") + (args[i].isUnitDim(dim) ? "1" : "?");
    key += "]";
  }
  key += ")";
}

} // namespace

std::string KernelSignature::key() const {
  std::string key = primitive;
  appendArguments(key, inputs);
  key += "->";
  appendArguments(key, outputs);
  if (!attributes.empty() || !floatAttributes.empty()) {
    key += "{";
    bool firstAttribute = true;
    auto append = [&](const std::string &name, const auto &values) {
      key += (firstAttribute ? "" : ";") + name + "=";
      firstAttribute = false;
      for (size_t i = 0; i < values.size(); ++i) {
        char text[32];
        if constexpr (std::is_floating_point_v<
                          std::decay_t<decltype(values[i])>>)
          std::snprintf(text, sizeof text, "%.17g", values[i]);
        else
          std::snprintf(text, sizeof text, "%lld",
                        static_cast<long long>(values[i]));
        key += (i ? "," : "") + std::string(text);
      }
    };
    for (const auto &[name, values] : attributes)
      append(name, values);
    for (const auto &[name, values] : floatAttributes)
      append(name, values);
    key += "}";
  }
  return key;
}

} // namespace compiler
} // namespace kiln
