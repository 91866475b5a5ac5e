//===- LibraryCalls.h - runtime entry points compiled code calls -*- C++
//-*-===//
//
// Every function of the runtime that compiled kernels call by name
// (kiln.library_call, kiln-matmul-to-dnnl), as the C-interface symbol the
// code refers to and its address. The JIT defines these symbols; a test
// checks the compiler's callees against this table.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_LIBRARYCALLS_H
#define KILN_RUNTIME_CPU_LIBRARYCALLS_H

#include <string>
#include <vector>

namespace kiln {

struct LibrarySymbol {
  /// The callee's name in kiln.library_call (without MLIR's
  /// `_mlir_ciface_` prefix, which cifaceName adds).
  std::string callee;
  void *address;
};

const std::vector<LibrarySymbol> &librarySymbols();

/// The symbol compiled code calls `callee` by (MLIR's C interface).
inline std::string cifaceName(const std::string &callee) {
  return "_mlir_ciface_" + callee;
}

} // namespace kiln

#endif // KILN_RUNTIME_CPU_LIBRARYCALLS_H
