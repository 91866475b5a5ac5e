//===- Calls.cpp ----------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"

#include <cstdio>

namespace kiln {
namespace ops {

std::string shapeAttr(const Shape &shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

std::string floatAttr(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

NDArray broadcastTo(const NDArray &x, const Shape &shape) {
  if (x.shape() == shape)
    return x;
  return call("broadcast_to", {x}, {{"shape", shapeAttr(shape)}});
}

NDArray reshapeTo(const NDArray &x, const Shape &shape) {
  if (x.shape() == shape)
    return x;
  return call("Reshape", {x}, {{"shape", shapeAttr(shape)}});
}

NDArray moveLastAxisTo(const NDArray &x, int64_t axis) {
  const int64_t rank = x.shape().size();
  if (axis == rank - 1)
    return x;
  Shape axes;
  for (int64_t d = 0; d < rank - 1; ++d) {
    if (d == axis)
      axes.push_back(rank - 1);
    axes.push_back(d);
  }
  return call("transpose", {x}, {{"axes", shapeAttr(axes)}});
}

NDArray sumToShape(const NDArray &grad, const Shape &shape) {
  if (grad.shape() == shape)
    return grad;
  const Shape &from = grad.shape();
  const size_t lead = from.size() - shape.size();
  Shape axes;
  for (size_t d = 0; d < from.size(); ++d)
    if (d < lead || (shape[d - lead] == 1 && from[d] != 1))
      axes.push_back(static_cast<int64_t>(d));
  NDArray summed =
      axes.empty() ? grad
                   : call("sum", {grad},
                          {{"axis", shapeAttr(axes)}, {"keepdims", "True"}});
  return reshapeTo(summed, shape);
}

} // namespace ops
} // namespace kiln
