//===- KernelSignature.cpp ------------------------------------------------===//
#include "compiler/KernelSignature.h"

namespace kiln {
namespace compiler {
namespace {

void appendArguments(std::string &key, const std::vector<ArgumentType> &args) {
  key += "(";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i)
      key += ",";
    key += dtypeName(args[i].dtype) + "[";
    if (args[i].unitDims == 0) {
      key += std::to_string(args[i].rank);
    } else {
      for (int64_t dim = 0; dim < args[i].rank; ++dim)
        key +=
            std::string(dim ? "," : "") + (args[i].isUnitDim(dim) ? "1" : "?");
    }
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
  if (!attributes.empty()) {
    key += "{";
    bool firstAttribute = true;
    for (const auto &[name, values] : attributes) {
      key += (firstAttribute ? "" : ";") + name + "=";
      firstAttribute = false;
      for (size_t i = 0; i < values.size(); ++i)
        key += (i ? "," : "") + std::to_string(values[i]);
    }
    key += "}";
  }
  return key;
}

} // namespace compiler
} // namespace kiln
