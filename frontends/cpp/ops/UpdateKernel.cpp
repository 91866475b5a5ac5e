//===- UpdateKernel.cpp - fused optimizer-update kernels ------------------===//
#include "frontends/cpp/ops/UpdateKernel.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

namespace kiln {
namespace ops {

KValue UpdateKernel::make(DType dtype, bool array) {
  KValue value;
  value.kernel_ = this;
  value.name_ = "%v" + std::to_string(values_++);
  value.dtype_ = dtype;
  value.array_ = array;
  return value;
}

std::string UpdateKernel::type(const KValue &value) const {
  return dispatch::mlirTensorType(value.array_ ? rank_ : 0, value.dtype_);
}

KValue UpdateKernel::input(const NDArray &array) {
  const int64_t rank = array.shape().size();
  if (rank != 0 && rank != rank_)
    throw Error(formatMessage(op_, ": internal: an input of rank ", rank,
                              " in a kernel of rank ", rank_));
  KValue value = make(array.dtype(), rank != 0);
  inputs_.push_back(array);
  arguments_.push_back(value.name_ + ": " + type(value));
  return value;
}

KValue UpdateKernel::input(const NDArray &array, DType dtype) {
  KValue value = input(array);
  return value.dtype() == dtype ? value : cast(value, dtype);
}

KValue UpdateKernel::number(double value, DType dtype) {
  return input(dispatch::scalar(value, dtype));
}

KValue UpdateKernel::unary(const char *op, const KValue &x) {
  KValue result = make(x.dtype_, x.array_);
  body_ += "  " + result.name_ + " = kiln." + op + " " + x.name_ + " : " +
           type(x) + "\n";
  return result;
}

KValue UpdateKernel::binary(const char *op, const KValue &x, const KValue &y) {
  if (x.dtype_ != y.dtype_)
    throw Error(formatMessage(op_, ": internal: kiln.", op, " of ",
                              dtypeName(x.dtype_), " and ",
                              dtypeName(y.dtype_)));
  const std::string name = op;
  const bool comparison = name == "gt" || name == "eq" || name == "ge" ||
                          name == "lt" || name == "ne" ||
                          name == "logical_and" || name == "logical_or";
  KValue result =
      make(comparison ? DType::Bool : x.dtype_, x.array_ || y.array_);
  body_ += "  " + result.name_ + " = kiln." + op + " " + x.name_ + ", " +
           y.name_ + " : " + type(x) + ", " + type(y) + "\n";
  return result;
}

KValue UpdateKernel::select(const KValue &condition, const KValue &onTrue,
                            const KValue &onFalse) {
  KValue result =
      make(onTrue.dtype_, condition.array_ || onTrue.array_ || onFalse.array_);
  body_ += "  " + result.name_ + " = kiln.select " + condition.name_ + ", " +
           onTrue.name_ + ", " + onFalse.name_ + " : " + type(condition) +
           ", " + type(onTrue) + ", " + type(onFalse) + "\n";
  return result;
}

KValue UpdateKernel::cast(const KValue &x, DType dtype) {
  KValue result = make(dtype, x.array_);
  body_ += "  " + result.name_ + " = kiln.cast " + x.name_ + " : " + type(x) +
           " to " + type(result) + "\n";
  return result;
}

KValue UpdateKernel::sumAll(const KValue &x) {
  if (!x.array_ || rank_ == 0)
    return x;
  std::string axes;
  for (int64_t axis = 0; axis < rank_; ++axis)
    axes += (axis ? ", " : "") + std::to_string(axis);
  KValue result = make(x.dtype_, false);
  body_ += "  " + result.name_ + " = kiln.reduce_sum " + x.name_ +
           " {axes = array<i64: " + axes + ">} : " + type(x) + " -> " +
           type(result) + "\n";
  reduces_ = true;
  return result;
}

void UpdateKernel::into(const KValue &result, const NDArray &target) {
  const int64_t rank = result.array_ ? rank_ : 0;
  if (static_cast<int64_t>(target.shape().size()) != rank ||
      target.dtype() != result.dtype_)
    throw Error(formatMessage(op_, ": internal: a ", dtypeName(result.dtype_),
                              " result of rank ", rank, " written to ",
                              dtypeName(target.dtype()), " ",
                              shapeToString(target.shape())));
  std::string source = "func.func @update(";
  for (size_t i = 0; i < arguments_.size(); ++i)
    source += (i ? ", " : "") + arguments_[i];
  source += ") -> " + type(result) + " {\n" + body_ + "  return " +
            result.name_ + " : " + type(result) + "\n}\n";
  // Rows are independent unless the kernel reduces over them.
  dispatch::graphInto(op_, source, inputs_, target, rank > 0 && !reduces_);
}

NDArray UpdateKernel::run(const KValue &result) {
  Shape shape;
  if (result.array_)
    for (const NDArray &input : inputs_)
      if (static_cast<int64_t>(input.shape().size()) == rank_) {
        shape = input.shape();
        break;
      }
  NDArray target = NDArray::empty(shape, result.dtype_);
  into(result, target);
  return target;
}

namespace {
KValue numberLike(const KValue &x, double value) {
  return x.kernel()->number(value, x.dtype());
}
} // namespace

KValue operator+(const KValue &x, const KValue &y) {
  return x.kernel()->binary("add", x, y);
}
KValue operator-(const KValue &x, const KValue &y) {
  return x.kernel()->binary("sub", x, y);
}
KValue operator*(const KValue &x, const KValue &y) {
  return x.kernel()->binary("mul", x, y);
}
KValue operator/(const KValue &x, const KValue &y) {
  return x.kernel()->binary("div", x, y);
}
KValue operator-(const KValue &x) { return x.kernel()->unary("neg", x); }
KValue operator+(const KValue &x, double y) { return x + numberLike(x, y); }
KValue operator-(const KValue &x, double y) { return x - numberLike(x, y); }
KValue operator*(const KValue &x, double y) { return x * numberLike(x, y); }
KValue operator+(double x, const KValue &y) { return numberLike(y, x) + y; }
KValue operator-(double x, const KValue &y) { return numberLike(y, x) - y; }
KValue operator*(double x, const KValue &y) { return numberLike(y, x) * y; }
KValue operator/(double x, const KValue &y) { return numberLike(y, x) / y; }
KValue operator>(const KValue &x, const KValue &y) {
  return x.kernel()->binary("gt", x, y);
}
KValue operator>(const KValue &x, double y) { return x > numberLike(x, y); }
KValue operator==(const KValue &x, double y) {
  return x.kernel()->binary("eq", x, numberLike(x, y));
}
KValue operator||(const KValue &x, const KValue &y) {
  return x.kernel()->binary("logical_or", x, y);
}
KValue sqrt(const KValue &x) { return x.kernel()->unary("sqrt", x); }
KValue abs(const KValue &x) { return x.kernel()->unary("abs", x); }
KValue sign(const KValue &x) { return x.kernel()->unary("sign", x); }
KValue square(const KValue &x) { return x.kernel()->unary("square", x); }
KValue maximum(const KValue &x, const KValue &y) {
  return x.kernel()->binary("maximum", x, y);
}
KValue minimum(const KValue &x, const KValue &y) {
  return x.kernel()->binary("minimum", x, y);
}
KValue maximum(const KValue &x, double y) {
  return maximum(x, numberLike(x, y));
}
KValue minimum(const KValue &x, double y) {
  return minimum(x, numberLike(x, y));
}
KValue select(const KValue &condition, const KValue &onTrue,
              const KValue &onFalse) {
  return onTrue.kernel()->select(condition, onTrue, onFalse);
}
KValue logicalAnd(const KValue &x, const KValue &y) {
  return x.kernel()->binary("logical_and", x, y);
}
KValue clipTo(const KValue &x, double bound) {
  return bound >= 0 ? minimum(maximum(x, -bound), bound) : x;
}
KValue isFinite(const KValue &x) {
  // NaN - NaN and inf - inf are NaN, which equals nothing.
  return (x - x) == 0;
}

void requireLike(const std::string &op, const std::string &name,
                 const NDArray &array, const Shape &shape, DType dtype) {
  if (array.shape() != shape)
    throw Error(formatMessage(
        op, ": ", name, " has shape ", shapeToString(array.shape()),
        ", expected the weight's ", shapeToString(shape)));
  if (array.dtype() != dtype)
    throw Error(formatMessage(op, ": ", name, " has dtype ",
                              dtypeName(array.dtype()), ", expected ",
                              dtypeName(dtype)));
}

NDArray elementOf(const std::string &op, const std::string &name,
                  const NDArray &array, int64_t index) {
  if (array.size() <= index)
    throw Error(formatMessage(
        op, ": ", name, " has shape ", shapeToString(array.shape()),
        ", expected at least ", index + 1, " element(s)"));
  const Tensor &tensor = array.tensor();
  // The index-th element in row-major order.
  int64_t offset = tensor.offset(), rest = index;
  for (int64_t dim = tensor.rank() - 1; dim >= 0; --dim) {
    offset += rest % tensor.shape()[dim] * tensor.strides()[dim];
    rest /= tensor.shape()[dim];
  }
  return array.view(tensor.strided({}, {}, offset));
}

NDArray updateTarget(const std::string &op, const NDArray &out,
                     const Shape &shape, DType dtype) {
  if (out.isNone())
    return NDArray::empty(shape, dtype);
  if (out.shape() != shape || out.dtype() != dtype)
    throw Error(formatMessage(op, ": out has shape ",
                              shapeToString(out.shape()), " and dtype ",
                              dtypeName(out.dtype()), ", expected ",
                              shapeToString(shape), " and ", dtypeName(dtype)));
  return out;
}

} // namespace ops
} // namespace kiln
