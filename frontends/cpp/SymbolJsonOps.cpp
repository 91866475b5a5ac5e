//===- SymbolJsonOps.cpp - the symbol JSON reader on kiln's registry ------===//
//
// parseSymbolJson(text): the reader of SymbolJson.cpp asking kiln's
// operator registry (symbolic::nodeInterface) what each node has.
//
// nodeInterface lists a variadic op's num_args inputs and a split's
// num_outputs outputs by name, so a file could make it build billions of
// names; those counts are bounded here before the registry sees them, and
// so is the total over the file.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/SymbolJson.h"

#include "frontends/cpp/OpRegistry.h"
#include "frontends/cpp/SymbolInference.h"
#include "runtime/Error.h"

#include <cstdlib>

namespace kiln {
namespace {

/// Far beyond any published model (a Concat of a few hundred inputs).
constexpr long long kMaxListedPerNode = 1 << 16;
constexpr size_t kMaxListedPerGraph = size_t(1) << 22;

void checkCount(const std::string &op, const AttrMap &params,
                const char *name) {
  auto found = params.find(name);
  if (found == params.end())
    return;
  // As nodeInterface and Attrs read it: leading digits, saturating.
  const long long count = std::strtoll(found->second.c_str(), nullptr, 10);
  if (count > kMaxListedPerNode)
    throw Error(formatMessage(op, ": ", name, " expected at most ",
                              kMaxListedPerNode, ", got ", count));
}

} // namespace

GraphJson parseSymbolJson(const std::string &text) {
  size_t listed = 0;
  return parseSymbolJson(
      text,
      [&listed](const std::string &op,
                const AttrMap &params) -> std::optional<OpInterface> {
        if (!OpRegistry::global().find(op))
          return std::nullopt;
        checkCount(op, params, "num_args");
        checkCount(op, params, "num_outputs");
        symbolic::NodeInterface node;
        try {
          node = symbolic::nodeInterface(op, params);
        } catch (const Error &) {
          throw;
        } catch (const std::exception &error) {
          // Whatever an op's attribute parsing lets through is still the
          // file's mistake.
          throw Error(formatMessage(op, ": ", error.what()));
        }
        listed += node.inputs.size() + node.outputs.size();
        if (listed > kMaxListedPerGraph)
          throw Error(formatMessage("the graph's nodes list more than ",
                                    kMaxListedPerGraph, " inputs and outputs"));
        return OpInterface{std::move(node.inputs), node.outputs.size(),
                           std::move(node.inputInitializers)};
      });
}

} // namespace kiln
