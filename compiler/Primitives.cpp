//===- Primitives.cpp - the catalog, read from the registered dialect -----===//
#include "compiler/Primitives.h"

#include "compiler/KernelBuilder.h"
#include "dialects/kiln/KilnOps.h"
#include "runtime/Error.h"

#include "mlir/IR/MLIRContext.h"

#include <algorithm>

namespace kiln {
namespace compiler {

const std::vector<PrimitiveInfo> &primitives() {
  // Read once from a context of its own: the ops' traits and interfaces
  // are static facts of the build.
  static const std::vector<PrimitiveInfo> *catalog = [] {
    mlir::MLIRContext context;
    context.loadDialect<mlir::kiln::KilnDialect>();
    auto *list = new std::vector<PrimitiveInfo>;
    const std::string prefix = "kiln.";
    for (mlir::RegisteredOperationName op : context.getRegisteredOperations()) {
      std::string fullName = op.getStringRef().str();
      if (fullName.compare(0, prefix.size(), prefix) != 0 ||
          op.hasTrait<mlir::kiln::OpTrait::LoweringStage>())
        continue;
      PrimitiveInfo info;
      info.name = fullName.substr(prefix.size());
      info.elementwise = op.hasInterface<mlir::kiln::ElementwiseOpInterface>();
      info.floatOperands = op.hasTrait<mlir::kiln::OpTrait::FloatOperands>();
      info.booleanResult = op.hasTrait<mlir::kiln::OpTrait::BooleanResult>();
      info.differentiable = !op.hasTrait<mlir::kiln::OpTrait::NoGradient>();
      info.hasGradientRule = op.hasInterface<mlir::kiln::GradientOpInterface>();
      info.buildable = hasKernelBuilder(context, info.name);
      list->push_back(std::move(info));
    }
    std::sort(list->begin(), list->end(),
              [](const PrimitiveInfo &a, const PrimitiveInfo &b) {
                return a.name < b.name;
              });
    return list;
  }();
  return *catalog;
}

const PrimitiveInfo &primitive(const std::string &name) {
  const std::vector<PrimitiveInfo> &all = primitives();
  auto found =
      std::lower_bound(all.begin(), all.end(), name,
                       [](const PrimitiveInfo &info, const std::string &key) {
                         return info.name < key;
                       });
  if (found == all.end() || found->name != name)
    throw Error(formatMessage("compiler: the kiln dialect has no primitive '",
                              name, "'"));
  return *found;
}

} // namespace compiler
} // namespace kiln
