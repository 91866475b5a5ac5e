//===- UpdateKernel.cpp - fused optimizer-update kernels ------------------===//
#include "frontends/cpp/ops/UpdateKernel.h"

#include "frontends/cpp/ArgumentBinding.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <mutex>
#include <set>

namespace kiln {
namespace ops {

KValue UpdateKernel::wrap(const compiler::Value &value) {
  KValue result;
  result.kernel_ = this;
  result.value_ = value;
  return result;
}

KValue UpdateKernel::input(const NDArray &array) {
  const int64_t rank = array.shape().size();
  if (rank != 0 && rank != rank_)
    throw Error(formatMessage(op_, ": internal: an input of rank ", rank,
                              " in a kernel of rank ", rank_));
  if (rank == 0) {
    inputs_.push_back(array);
    return wrap(graph_.argument(array.dtype(), 0));
  }
  // Every array of an update has the weight's shape: the kernel sees them
  // flat (a contiguous copy for the rare strided one), so its one loop
  // runs over every element and vectorizes whatever the weight's shape
  // (a 3x3 convolution's innermost extent is 3).
  if (size_ < 0)
    size_ = array.size();
  else if (array.size() != size_)
    throw Error(formatMessage(op_, ": internal: an input of ", array.size(),
                              " elements in a kernel of ", size_));
  inputs_.push_back(dispatch::reshape(array, {array.size()}));
  return wrap(graph_.argument(array.dtype(), 1));
}

KValue UpdateKernel::input(const NDArray &array, DType dtype) {
  return cast(input(array), dtype);
}

KValue UpdateKernel::number(double value, DType dtype) {
  return input(dispatch::scalar(value, dtype));
}

KValue UpdateKernel::unary(const char *op, const KValue &x) {
  return wrap(graph_.unary(op, x.value_));
}

KValue UpdateKernel::binary(const char *op, const KValue &x, const KValue &y) {
  return wrap(graph_.binary(op, x.value_, y.value_));
}

KValue UpdateKernel::select(const KValue &condition, const KValue &onTrue,
                            const KValue &onFalse) {
  return wrap(graph_.select(condition.value_, onTrue.value_, onFalse.value_));
}

KValue UpdateKernel::cast(const KValue &x, DType dtype) {
  return wrap(graph_.cast(x.value_, dtype));
}

KValue UpdateKernel::sumAll(const KValue &x) {
  if (!x.isArray() || rank_ == 0)
    return x;
  reduces_ = true;
  return wrap(graph_.reduce(compiler::Reduction::Sum, x.value_, {0}));
}

void UpdateKernel::into(const KValue &result, const NDArray &target) {
  const bool array = result.isArray();
  const int64_t targetRank = target.shape().size();
  if ((array ? targetRank != rank_ || target.size() != size_
             : targetRank != 0) ||
      target.dtype() != result.dtype())
    throw Error(formatMessage(op_, ": internal: a ", dtypeName(result.dtype()),
                              array ? " array" : " scalar",
                              " result written to ", dtypeName(target.dtype()),
                              " ", shapeToString(target.shape())));
  if (graph_.numResults() != 0)
    throw Error(formatMessage(op_, ": internal: an update kernel runs once"));
  graph_.result(result.value_);
  if (!array) {
    dispatch::graphInto(op_, graph_.source(), inputs_, target, false);
    return;
  }
  if (!target.tensor().isContiguous()) {
    // A strided weight: the update goes through a flat copy.
    NDArray flat = NDArray::empty({size_}, target.dtype(), target.device());
    writeFlat(flat);
    dispatch::cast(dispatch::reshape(flat, target.shape()), target.dtype(),
                   target);
    return;
  }
  writeFlat(dispatch::reshape(target, {size_}));
}

namespace {

/// Sources of update kernels that could not be compiled as one pass (see
/// UpdateKernel.h), so each is tried once per process.
std::mutex notOnePassMutex;
std::set<std::string> &notOnePass() {
  static auto *sources = new std::set<std::string>();
  return *sources;
}

} // namespace

void UpdateKernel::into(const std::vector<KValue> &results,
                        const std::vector<NDArray> &targets) {
  if (results.size() == 1 && targets.size() == 1) {
    into(results.front(), targets.front());
    return;
  }
  if (results.size() != targets.size() || results.empty() || reduces_ ||
      graph_.numResults() != 0)
    throw Error(formatMessage(op_, ": internal: ", results.size(),
                              " results for ", targets.size(),
                              " targets in one update kernel"));
  // A value that is several results (an mp_ update of a float32 weight,
  // whose master copy is the same value) is written once, to the first of
  // its targets; the others get copies after the kernel (one value cannot
  // be materialized into two buffers).
  std::vector<NDArray> written;
  std::vector<std::pair<NDArray, NDArray>> copies; // (target, source)
  bool contiguous = true;
  for (size_t i = 0; i < results.size(); ++i) {
    const KValue &result = results[i];
    const NDArray &target = targets[i];
    if (!result.isArray() || target.shape().size() != size_t(rank_) ||
        target.size() != size_ || target.dtype() != result.dtype())
      throw Error(formatMessage(
          op_, ": internal: result ", i, " (", dtypeName(result.dtype()),
          result.isArray() ? " array" : " scalar", ") written to ",
          dtypeName(target.dtype()), " ", shapeToString(target.shape())));
    size_t first = 0;
    while (first < i && results[first].value_.id() != result.value_.id())
      ++first;
    if (first < i) {
      copies.emplace_back(target, targets[first]);
      continue;
    }
    graph_.result(result.value_);
    written.push_back(target);
    contiguous &= target.tensor().isContiguous();
  }
  auto copyDuplicates = [&] {
    for (const auto &[target, source] : copies)
      dispatch::cast(source, target.dtype(), target);
  };
  if (contiguous) {
    graph_.requireOnePass(true);
    const std::string source = graph_.source();
    bool tried;
    {
      std::lock_guard<std::mutex> lock(notOnePassMutex);
      tried = notOnePass().count(source) != 0;
    }
    if (!tried) {
      std::vector<NDArray> flat;
      for (const NDArray &target : written)
        flat.push_back(dispatch::reshape(target, {size_}));
      try {
        dispatch::graphIntoFlat(op_, source, inputs_, flat, /*onePass=*/true);
        copyDuplicates();
        return;
      } catch (const Error &) {
        std::lock_guard<std::mutex> lock(notOnePassMutex);
        notOnePass().insert(source);
      }
    }
    graph_.requireOnePass(false);
  }
  // Separate loops: a result that overwrites an input goes to a new array,
  // which then takes the input's place.
  std::vector<NDArray> outputs;
  std::vector<std::pair<NDArray, NDArray>> replacements;
  for (const NDArray &target : written) {
    bool read = false;
    for (const NDArray &input : inputs_)
      read |= input.tensor().storage() == target.tensor().storage();
    if (!read && target.tensor().isContiguous()) {
      outputs.push_back(dispatch::reshape(target, {size_}));
      continue;
    }
    NDArray fresh = NDArray::empty({size_}, target.dtype(), target.device());
    outputs.push_back(fresh);
    replacements.emplace_back(target, fresh);
  }
  dispatch::graphIntoFlat(op_, graph_.source(), inputs_, outputs,
                          /*onePass=*/false);
  for (const auto &[target, fresh] : replacements) {
    NDArray shaped = dispatch::reshape(fresh, target.shape());
    if (!adoptMemory(target, shaped))
      dispatch::cast(shaped, target.dtype(), target);
  }
  copyDuplicates();
}

void UpdateKernel::writeFlat(const NDArray &target) {
  if (reduces_) // One call over every element (sumAll needs them all).
    dispatch::graphInto(op_, graph_.source(), inputs_, target, false);
  else
    dispatch::graphIntoFlat(op_, graph_.source(), inputs_, target);
}

NDArray UpdateKernel::run(const KValue &result, const Shape &shape) {
  NDArray target =
      NDArray::empty(result.isArray() ? shape : Shape{}, result.dtype());
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
