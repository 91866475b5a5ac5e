//===- Calls.cpp ----------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"

#include "runtime/Error.h"

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

int64_t checkedAxis(const std::string &op, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    throw Error(formatMessage(op, ": axis ", axis,
                              " is out of range for an array of rank ", rank));
  return axis < 0 ? axis + rank : axis;
}

NDArray zerosOf(const Shape &shape, DType dtype) {
  return call("_zeros", {},
              {{"shape", shapeAttr(shape)}, {"dtype", dtypeName(dtype)}});
}

Shape broadcastTarget(const std::string &op, const Shape &input,
                      const Shape &given) {
  if (given.size() < input.size())
    throw Error(formatMessage(op, ": shape ", shapeToString(given),
                              " has fewer dimensions than the input ",
                              shapeToString(input)));
  Shape target = given;
  const size_t lead = given.size() - input.size();
  for (size_t d = 0; d < given.size(); ++d) {
    const int64_t have = d < lead ? 1 : input[d - lead];
    if (target[d] == 0)
      target[d] = have;
    if (have != 1 && have != target[d])
      throw Error(formatMessage(op, ": cannot broadcast ", shapeToString(input),
                                " to ", shapeToString(given)));
  }
  return target;
}

NDArray moveAxisToLast(const NDArray &x, int64_t axis) {
  const int64_t rank = x.shape().size();
  if (axis == rank - 1)
    return x;
  Shape axes;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      axes.push_back(d);
  axes.push_back(axis);
  return call("transpose", {x}, {{"axes", shapeAttr(axes)}});
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

} // namespace ops
} // namespace kiln
