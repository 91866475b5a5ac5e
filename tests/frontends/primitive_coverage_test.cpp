//===- primitive_coverage_test.cpp - every primitive is complete ----------===//
//
// A primitive is defined once, in dialects/kiln/KilnOps.td; these tests fail
// when one lacks what every primitive must have: a kernel builder (from its
// ElementwiseOpInterface, or an entry in KernelBuilder.cpp) and, unless ODS
// marks it Kiln_NoGradient, a gradient rule in PrimitiveGradients.cpp (eager
// autograd) and one in dialects/kiln/KilnGradients.cpp (graphs).
//
//===----------------------------------------------------------------------===//
#include "compiler/Primitives.h"
#include "frontends/cpp/PrimitiveGradients.h"
#include "runtime/Error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace kiln {
namespace {

std::set<std::string> ruleNames() {
  std::vector<std::string> names = autograd::differentiablePrimitives();
  return {names.begin(), names.end()};
}

TEST(PrimitiveCoverage, TheCatalogListsTheDialect) {
  const auto &all = compiler::primitives();
  EXPECT_GE(all.size(), 60u);
  EXPECT_TRUE(
      std::is_sorted(all.begin(), all.end(), [](const auto &a, const auto &b) {
        return a.name < b.name;
      }));
  const compiler::PrimitiveInfo &add = compiler::primitive("add");
  EXPECT_TRUE(add.elementwise && add.differentiable && add.buildable);
  EXPECT_FALSE(add.booleanResult || add.floatOperands);
  const compiler::PrimitiveInfo &lt = compiler::primitive("lt");
  EXPECT_TRUE(lt.booleanResult && lt.elementwise);
  EXPECT_FALSE(lt.differentiable);
  EXPECT_TRUE(compiler::primitive("exp").floatOperands);
  EXPECT_FALSE(compiler::primitive("reduce_sum").elementwise);
  EXPECT_FALSE(compiler::primitive("random_normal").differentiable);
  EXPECT_THROW(compiler::primitive("no_such_primitive"), Error);
}

TEST(PrimitiveCoverage, EveryPrimitiveBuildsAsAKernel) {
  for (const compiler::PrimitiveInfo &primitive : compiler::primitives()) {
    // Constants exist only inside graphs (fused into their users).
    if (primitive.name == "constant")
      continue;
    EXPECT_TRUE(primitive.buildable)
        << "kiln." << primitive.name
        << " has no kernel builder: give it ElementwiseOpInterface or an "
           "entry in compiler/KernelBuilder.cpp";
  }
}

TEST(PrimitiveCoverage, DifferentiablePrimitivesHaveGradientRules) {
  const std::set<std::string> rules = ruleNames();
  for (const compiler::PrimitiveInfo &primitive : compiler::primitives()) {
    if (primitive.differentiable)
      EXPECT_TRUE(rules.count(primitive.name))
          << "kiln." << primitive.name
          << " is differentiable but has no rule in PrimitiveGradients.cpp "
             "(or mark it Kiln_NoGradient in KilnOps.td)";
    else
      EXPECT_FALSE(rules.count(primitive.name))
          << "kiln." << primitive.name
          << " is marked Kiln_NoGradient but has a gradient rule";
  }
}

TEST(PrimitiveCoverage, DifferentiablePrimitivesHaveGraphGradientRules) {
  for (const compiler::PrimitiveInfo &primitive : compiler::primitives())
    EXPECT_EQ(primitive.hasGradientRule, primitive.differentiable)
        << "kiln." << primitive.name
        << (primitive.differentiable
                ? " is differentiable but has no GradientOpInterface: "
                  "declare it in KilnOps.td and write the rule in "
                  "dialects/kiln/KilnGradients.cpp"
                : " is marked Kiln_NoGradient but declares "
                  "GradientOpInterface");
}

TEST(PrimitiveCoverage, EveryRuleBelongsToAPrimitive) {
  for (const std::string &name : ruleNames()) {
    // Views are the NDArray layer's own primitives (no kernel, no IR).
    if (name == "view" || name == "view_scatter")
      continue;
    EXPECT_NO_THROW(compiler::primitive(name))
        << "gradient rule for '" << name << "', which the dialect lacks";
  }
}

} // namespace
} // namespace kiln
