//===- Sort.h - sorting rows on the CPU -------------------------*- C++ -*-===//
//
// sort, argsort and topk run here rather than in generated code: a
// comparison sort is branchy, scalar work that a vectorizing code generator
// does not help, and the standard library's sorts are the reference. Rows
// are the last axis of a contiguous tensor; rows are sorted in parallel.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPU_SORT_H
#define KILN_RUNTIME_CPU_SORT_H

#include "runtime/Tensor.h"

namespace kiln {

/// For each row (the last axis) of contiguous `input`, the first `k`
/// elements in sorted order (ascending or descending; ties keep their
/// order): their values into `values` and their positions into `indices`
/// (int64), each of `input`'s shape with the last extent `k`. Either output
/// may be an empty Tensor (not wanted).
void sortRows(const Tensor &input, int64_t k, bool ascending,
              const Tensor &values, const Tensor &indices);

} // namespace kiln

#endif // KILN_RUNTIME_CPU_SORT_H
