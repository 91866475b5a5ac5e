//===- Operators.cpp - MXNet operators on NDArrays ------------------------===//
#include "frontends/cpp/Operators.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

namespace kiln {
namespace op {

NDArray elemwiseAdd(const NDArray &lhs, const NDArray &rhs) {
  const char *name = "elemwise_add";
  if (lhs.isNone() || rhs.isNone())
    throw Error(
        formatMessage(name, ": an argument is an empty NDArray handle"));
  if (lhs.shape() != rhs.shape())
    throw Error(formatMessage(name,
                              ": operands must have the same shape, got "
                              "lhs ",
                              shapeToString(lhs.shape()), " and rhs ",
                              shapeToString(rhs.shape()),
                              " (elemwise ops do not broadcast, as in MXNet; "
                              "broadcast_add does)"));
  if (lhs.dtype() != rhs.dtype())
    throw Error(formatMessage(name,
                              ": operands must have the same dtype, got "
                              "lhs ",
                              dtypeName(lhs.dtype()), " and rhs ",
                              dtypeName(rhs.dtype())));
  // As MXNet: CPU ids mix (one host memory); device types do not.
  if (lhs.device().type != rhs.device().type)
    throw Error(formatMessage(name,
                              ": operands must be on the same device type, "
                              "got lhs ",
                              lhs.device().toString(), " and rhs ",
                              rhs.device().toString()));

  return dispatch::elementwise(name, "add", {lhs, rhs}, lhs.dtype());
}

} // namespace op
} // namespace kiln
