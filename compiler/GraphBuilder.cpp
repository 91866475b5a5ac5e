//===- GraphBuilder.cpp - typed builder of kiln functions -----------------===//
//
// Types are inferred here as the dialect's ops infer them (KilnOps.cpp:
// broadcastExtent, reducedShape, ...), so that the text always parses; the
// graph_builder test checks each op's text against the real parser and
// verifier. No MLIR here: frontends link this, and it stays quick to build.
//
//===----------------------------------------------------------------------===//
#include "compiler/GraphBuilder.h"

#include "compiler/KernelCache.h"
#include "compiler/Primitives.h"
#include "runtime/Error.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <string_view>

namespace kiln {
namespace compiler {

namespace {

struct UnaryInfo {
  Unary op;
  const char *name;
  bool takesBool;
};
const UnaryInfo kUnaries[] = {
    {Unary::Neg, "neg", false},
    {Unary::Abs, "abs", false},
    {Unary::Sign, "sign", false},
    {Unary::Square, "square", false},
    {Unary::Relu, "relu", false},
    {Unary::Exp, "exp", false},
    {Unary::Expm1, "expm1", false},
    {Unary::Log, "log", false},
    {Unary::Log1p, "log1p", false},
    {Unary::Sqrt, "sqrt", false},
    {Unary::Rsqrt, "rsqrt", false},
    {Unary::Tanh, "tanh", false},
    {Unary::Sigmoid, "sigmoid", false},
    {Unary::Erf, "erf", false},
    {Unary::Sin, "sin", false},
    {Unary::Cos, "cos", false},
    {Unary::Asin, "asin", false},
    {Unary::Acos, "acos", false},
    {Unary::Atan, "atan", false},
    {Unary::Floor, "floor", false},
    {Unary::Ceil, "ceil", false},
    {Unary::Round, "round", false},
    {Unary::Reciprocal, "reciprocal", false},
    {Unary::LogicalNot, "logical_not", true},
};

struct BinaryInfo {
  Binary op;
  const char *name;
  bool takesBool;
};
const BinaryInfo kBinaries[] = {
    {Binary::Add, "add", true},
    {Binary::Sub, "sub", false},
    {Binary::Mul, "mul", true},
    {Binary::Div, "div", false},
    {Binary::Pow, "pow", false},
    {Binary::Maximum, "maximum", true},
    {Binary::Minimum, "minimum", true},
    {Binary::Mod, "mod", false},
    {Binary::Eq, "eq", true},
    {Binary::Ne, "ne", true},
    {Binary::Lt, "lt", true},
    {Binary::Le, "le", true},
    {Binary::Gt, "gt", true},
    {Binary::Ge, "ge", true},
    {Binary::LogicalAnd, "logical_and", true},
    {Binary::LogicalOr, "logical_or", true},
    {Binary::LogicalXor, "logical_xor", true},
};

// In Reduction's order. reduce_mean takes floats by its operand type
// (Kiln_FloatTensor), not by the Kiln_FloatOperands trait the catalog reads.
struct ReductionInfo {
  const char *name;
  bool floatsOnly;
};
const ReductionInfo kReductions[] = {{"reduce_sum", false},
                                     {"reduce_prod", false},
                                     {"reduce_mean", true},
                                     {"reduce_max", false},
                                     {"reduce_min", false}};

/// What the catalog says of entry `index` of `table`, read once per
/// process (graphs are built on every eager call of some ops).
struct CatalogFlags {
  bool floatOperands, booleanResult;
};
template <class Info, size_t N>
const CatalogFlags &catalogFlags(const Info (&table)[N], size_t index) {
  static const std::vector<CatalogFlags> flags = [&] {
    std::vector<CatalogFlags> all;
    for (const Info &info : table) {
      const PrimitiveInfo &catalog = primitive(info.name);
      all.push_back({catalog.floatOperands, catalog.booleanResult});
    }
    return all;
  }();
  return flags[index];
}

// The tables are in the enums' order.
const UnaryInfo &infoOf(Unary op) {
  const size_t index = static_cast<size_t>(op);
  if (index >= std::size(kUnaries) || kUnaries[index].op != op)
    throw Error("compiler: graph: not a unary primitive");
  return kUnaries[index];
}
const BinaryInfo &infoOf(Binary op) {
  const size_t index = static_cast<size_t>(op);
  if (index >= std::size(kBinaries) || kBinaries[index].op != op)
    throw Error("compiler: graph: not a binary primitive");
  return kBinaries[index];
}

void appendInteger(std::string &out, int64_t value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

/// Appends `parts` to `out`: text, or values by name ("%v3").
void appendPart(std::string &out, std::string_view text) { out.append(text); }
void appendPart(std::string &out, const Value &value) {
  out += "%v";
  appendInteger(out, value.id());
}

const char *elementTypeName(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return "f32";
  case DType::Float64:
    return "f64";
  case DType::Float16:
    return "f16";
  case DType::BFloat16:
    return "bf16";
  case DType::Int8:
    return "i8";
  case DType::UInt8:
    return "ui8";
  case DType::Int32:
    return "i32";
  case DType::Int64:
    return "i64";
  case DType::Bool:
    return "i1";
  }
  return "f32";
}
template <class... Parts> void append(std::string &out, const Parts &...parts) {
  (appendPart(out, parts), ...);
}

bool isFloat(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64 ||
         dtype == DType::Float16 || dtype == DType::BFloat16;
}

/// numpy's broadcast of two extents under the dialect's rule: a static 1
/// stretches, a dynamic extent is taken to equal the other.
bool broadcastExtent(int64_t a, int64_t b, int64_t &extent) {
  if (a == 1)
    extent = b;
  else if (b == 1)
    extent = a;
  else if (a == kDynamic)
    extent = b;
  else if (b == kDynamic || a == b)
    extent = a;
  else
    return false;
  return true;
}

/// The dimensions `types` broadcast to, aligned at the right; false if
/// two static extents disagree.
bool broadcastDims(std::initializer_list<const TensorType *> types,
                   std::vector<int64_t> &dims) {
  int64_t rank = 0;
  for (const TensorType *type : types)
    rank = std::max(rank, type->rank());
  dims.assign(rank, 1);
  for (const TensorType *type : types) {
    const int64_t offset = rank - type->rank();
    for (int64_t d = 0; d < type->rank(); ++d)
      if (!broadcastExtent(dims[offset + d], type->dims[d], dims[offset + d]))
        return false;
  }
  return true;
}

std::string integerList(const std::vector<int64_t> &values) {
  std::string text = "array<i64";
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : ": ") + std::to_string(values[i]);
  return text + ">";
}

/// `value` as an MLIR literal of `dtype`; empty when it has no such
/// literal (a fraction for an integer type, a value out of its range).
std::string literalText(double value, DType dtype) {
  if (isFloat(dtype)) {
    if (std::isfinite(value)) {
      char text[64];
      std::snprintf(text, sizeof text, "%.17e", value);
      return text;
    }
    // No decimal form: the element type's bits.
    const bool nan = std::isnan(value), negative = value < 0;
    switch (dtype) {
    case DType::Float64:
      return nan        ? "0x7FF8000000000000"
             : negative ? "0xFFF0000000000000"
                        : "0x7FF0000000000000";
    case DType::Float16:
      return nan ? "0x7E00" : negative ? "0xFC00" : "0x7C00";
    case DType::BFloat16:
      return nan ? "0x7FC0" : negative ? "0xFF80" : "0x7F80";
    default:
      return nan ? "0x7FC00000" : negative ? "0xFF800000" : "0x7F800000";
    }
  }
  if (std::trunc(value) != value)
    return "";
  double low = 0, high = 0;
  switch (dtype) {
  case DType::Bool:
    return value == 0 ? "false" : value == 1 ? "true" : "";
  case DType::Int8:
    low = -128, high = 127;
    break;
  case DType::UInt8:
    low = 0, high = 255;
    break;
  case DType::Int32:
    low = -2147483648.0, high = 2147483647.0;
    break;
  default: // Int64: doubles below 2^63.
    low = -9223372036854775808.0, high = 9223372036854774784.0;
    break;
  }
  if (value < low || value > high)
    return "";
  char text[32];
  std::snprintf(text, sizeof text, "%" PRId64, static_cast<int64_t>(value));
  return text;
}

/// The lowest finite value of `dtype`.
double lowestOf(DType dtype) {
  switch (dtype) {
  case DType::Float64:
    return std::numeric_limits<double>::lowest();
  case DType::Float16:
    return -65504.0;
  case DType::BFloat16:
    return -3.3895313892515355e38; // -(2 - 2^-7) * 2^127
  case DType::Int8:
    return -128;
  case DType::UInt8:
    return 0;
  case DType::Int32:
    return std::numeric_limits<int32_t>::lowest();
  case DType::Int64:
    return -9223372036854775808.0;
  default:
    return std::numeric_limits<float>::lowest();
  }
}

bool validSymbol(const std::string &name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' &&
        c != '$')
      return false;
  return true;
}

std::string dimsText(const std::vector<int64_t> &dims) {
  std::string text = "(";
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? ", " : "") +
            (dims[i] == kDynamic ? std::string("?") : std::to_string(dims[i]));
  return text + (dims.size() == 1 ? ",)" : ")");
}

} // namespace

//===----------------------------------------------------------------------===//
// Types and names
//===----------------------------------------------------------------------===//

TensorType TensorType::dynamic(DType dtype, int64_t rank, uint64_t unitDims) {
  TensorType type{dtype, std::vector<int64_t>(rank, kDynamic)};
  for (int64_t d = 0; d < rank && d < 64; ++d)
    if (unitDims >> d & 1)
      type.dims[d] = 1;
  return type;
}

std::string TensorType::str() const {
  std::string text = "tensor<";
  for (int64_t extent : dims) {
    if (extent == kDynamic)
      text += '?';
    else
      appendInteger(text, extent);
    text += 'x';
  }
  text += elementTypeName(dtype);
  text += '>';
  return text;
}

std::string mlirElementType(DType dtype) { return elementTypeName(dtype); }

const char *primitiveName(Unary op) { return infoOf(op).name; }
const char *primitiveName(Binary op) { return infoOf(op).name; }
const char *primitiveName(Reduction op) {
  return kReductions[static_cast<int>(op)].name;
}

const TensorType &Value::type() const {
  if (!graph_)
    throw Error("compiler: graph: the type of an empty value");
  return graph_->values_[id_].type;
}

std::string Value::name() const {
  std::string text;
  appendPart(text, *this);
  return text;
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

Graph::Graph(std::string name, std::string owner)
    : name_(std::move(name)), owner_(std::move(owner)) {
  if (!validSymbol(name_))
    throw Error(formatMessage(owner_.empty() ? "" : owner_ + ": ",
                              "compiler: graph name '", name_,
                              "' is not a symbol (letters, digits, _ . $)"));
}

void Graph::fail(const std::string &message) const {
  throw Error(formatMessage(owner_.empty() ? "" : owner_ + ": ", "graph @",
                            name_, ": ", message));
}

Value Graph::make(TensorType type) {
  const int32_t id = static_cast<int32_t>(values_.size());
  if (values_.empty())
    values_.reserve(16); // Most graphs of the frontends fit.
  std::string text = type.str();
  values_.push_back({std::move(type), std::move(text)});
  return Value(this, id);
}

Value Graph::checked(const Value &value, const char *what) const {
  if (!value.valid())
    fail(formatMessage(what, " is an empty value"));
  if (value.graph_ != this)
    fail(formatMessage(what, " is a value of graph @", value.graph_->name_));
  return value;
}

Value Graph::argument(const TensorType &type) {
  for (int64_t extent : type.dims)
    if (extent < 0 && extent != kDynamic)
      fail(formatMessage("argument ", arguments_.size(), " has extent ",
                         extent));
  Value value = make(type);
  arguments_.push_back(value.id_);
  return value;
}

Value Graph::literal(double value, DType dtype) {
  const std::string text = literalText(value, dtype);
  if (text.empty())
    fail(formatMessage("the literal ", value, " is not a ", dtypeName(dtype)));
  Value result = make(TensorType::scalar(dtype));
  append(body_, "  ", result, " = kiln.constant dense<", text,
         "> : ", typeText(result), "\n");
  return result;
}

Value Graph::lowest(DType dtype) {
  if (dtype == DType::Bool)
    fail("bool has no lowest value");
  return literal(lowestOf(dtype), dtype);
}

Value Graph::constant(const std::vector<double> &values,
                      const TensorType &type) {
  int64_t count = 1;
  for (int64_t extent : type.dims) {
    if (extent < 0)
      fail(formatMessage("a constant needs a static shape, got ",
                         dimsText(type.dims)));
    count *= extent;
  }
  if (values.empty() ||
      (static_cast<int64_t>(values.size()) != count && values.size() != 1))
    fail(formatMessage("a constant of shape ", dimsText(type.dims), " needs ",
                       count, " values, got ", values.size()));
  std::vector<std::string> texts;
  for (double value : values) {
    texts.push_back(literalText(value, type.dtype));
    if (texts.back().empty())
      fail(formatMessage("the literal ", value, " is not a ",
                         dtypeName(type.dtype)));
  }
  std::string elements;
  if (std::all_of(texts.begin(), texts.end(),
                  [&](const std::string &t) { return t == texts.front(); })) {
    elements = texts.front(); // A splat.
  } else {
    // Nested lists, one level per dimension: level d opens and closes
    // every block[d] elements.
    std::vector<int64_t> block(type.rank(), 1);
    for (int64_t d = type.rank() - 1; d >= 0; --d)
      block[d] = type.dims[d] * (d + 1 < type.rank() ? block[d + 1] : 1);
    for (int64_t i = 0; i < count; ++i) {
      for (int64_t d = 0; d < type.rank(); ++d)
        elements += i % block[d] == 0 ? "[" : "";
      elements += texts[i];
      for (int64_t d = type.rank() - 1; d >= 0 && (i + 1) % block[d] == 0; --d)
        elements += "]";
      if (i + 1 < count)
        elements += ", ";
    }
  }
  Value result = make(type);
  append(body_, "  ", result, " = kiln.constant dense<", elements,
         "> : ", typeText(result), "\n");
  return result;
}

Value Graph::unary(Unary op, const Value &x) {
  const UnaryInfo &info = infoOf(op);
  checked(x, "the operand");
  const DType dtype = x.dtype();
  if (catalogFlags(kUnaries, &info - kUnaries).floatOperands && !isFloat(dtype))
    fail(formatMessage("kiln.", info.name, " takes float operands, got ",
                       dtypeName(dtype)));
  if (dtype == DType::Bool && !info.takesBool)
    fail(formatMessage("kiln.", info.name, " does not take bool operands"));
  Value result = make(x.type());
  append(body_, "  ", result, " = kiln.", info.name, " ", x, " : ", typeText(x),
         "\n");
  return result;
}

Value Graph::unary(const std::string &name, const Value &x) {
  for (const UnaryInfo &info : kUnaries)
    if (name == info.name)
      return unary(info.op, x);
  try {
    primitive(name);
  } catch (const Error &error) {
    fail(error.what());
  }
  fail(formatMessage("kiln.", name, " is not an elementwise unary primitive"));
}

Value Graph::binary(Binary op, const Value &x, const Value &y) {
  const BinaryInfo &info = infoOf(op);
  checked(x, "the first operand");
  checked(y, "the second operand");
  if (x.dtype() != y.dtype())
    fail(formatMessage("kiln.", info.name, " of ", dtypeName(x.dtype()),
                       " and ", dtypeName(y.dtype())));
  const CatalogFlags &catalog = catalogFlags(kBinaries, &info - kBinaries);
  if (catalog.floatOperands && !isFloat(x.dtype()))
    fail(formatMessage("kiln.", info.name, " takes float operands, got ",
                       dtypeName(x.dtype())));
  if (x.dtype() == DType::Bool && !info.takesBool)
    fail(formatMessage("kiln.", info.name, " does not take bool operands"));
  TensorType type{catalog.booleanResult ? DType::Bool : x.dtype(), {}};
  if (!broadcastDims({&x.type(), &y.type()}, type.dims))
    fail(formatMessage("kiln.", info.name, ": shapes ", dimsText(x.type().dims),
                       " and ", dimsText(y.type().dims), " do not broadcast"));
  Value result = make(std::move(type));
  append(body_, "  ", result, " = kiln.", info.name, " ", x, ", ", y, " : ",
         typeText(x), ", ", typeText(y), "\n");
  return result;
}

Value Graph::binary(const std::string &name, const Value &x, const Value &y) {
  for (const BinaryInfo &info : kBinaries)
    if (name == info.name)
      return binary(info.op, x, y);
  try {
    primitive(name);
  } catch (const Error &error) {
    fail(error.what());
  }
  fail(formatMessage("kiln.", name, " is not an elementwise binary primitive"));
}

Value Graph::select(const Value &condition, const Value &onTrue,
                    const Value &onFalse) {
  checked(condition, "the condition");
  checked(onTrue, "on_true");
  checked(onFalse, "on_false");
  if (condition.dtype() != DType::Bool)
    fail(formatMessage("kiln.select's condition must be bool, got ",
                       dtypeName(condition.dtype())));
  if (onTrue.dtype() != onFalse.dtype())
    fail(formatMessage("kiln.select of ", dtypeName(onTrue.dtype()), " and ",
                       dtypeName(onFalse.dtype())));
  TensorType type{onTrue.dtype(), {}};
  if (!broadcastDims({&condition.type(), &onTrue.type(), &onFalse.type()},
                     type.dims))
    fail(formatMessage("kiln.select: shapes ", dimsText(condition.type().dims),
                       ", ", dimsText(onTrue.type().dims), " and ",
                       dimsText(onFalse.type().dims), " do not broadcast"));
  Value result = make(std::move(type));
  append(body_, "  ", result, " = kiln.select ", condition, ", ", onTrue, ", ",
         onFalse, " : ", typeText(condition), ", ", typeText(onTrue), ", ",
         typeText(onFalse), "\n");
  return result;
}

Value Graph::cast(const Value &x, DType dtype) {
  checked(x, "the operand");
  if (x.dtype() == dtype)
    return x;
  if (x.dtype() == DType::Float64 &&
      (dtype == DType::Float16 || dtype == DType::BFloat16))
    return cast(cast(x, DType::Float32), dtype);
  Value result = make({dtype, x.type().dims});
  append(body_, "  ", result, " = kiln.cast ", x, " : ", typeText(x), " to ",
         typeText(result), "\n");
  return result;
}

Value Graph::reduce(Reduction op, const Value &x,
                    const std::vector<int64_t> &axes, bool keepdims) {
  const char *name = primitiveName(op);
  checked(x, "the operand");
  if (kReductions[static_cast<int>(op)].floatsOnly && !isFloat(x.dtype()))
    fail(formatMessage("kiln.", name, " takes float operands, got ",
                       dtypeName(x.dtype())));
  if (x.dtype() == DType::Bool)
    fail(formatMessage("kiln.", name, " does not take bool operands"));
  if (x.rank() > 64)
    fail(formatMessage("kiln.", name, " of rank ", x.rank(), " (at most 64)"));
  uint64_t reduced = 0;
  for (int64_t axis : axes) {
    if (axis < 0 || axis >= x.rank())
      fail(formatMessage("kiln.", name, ": axis ", axis,
                         " is out of range for rank ", x.rank()));
    if (reduced >> axis & 1)
      fail(formatMessage("kiln.", name, ": axis ", axis, " is repeated"));
    reduced |= uint64_t{1} << axis;
  }
  TensorType type{x.dtype(), {}};
  for (int64_t d = 0; d < x.rank(); ++d)
    if (!(reduced >> d & 1))
      type.dims.push_back(x.type().dims[d]);
    else if (keepdims)
      type.dims.push_back(1);
  Value result = make(std::move(type));
  append(body_, "  ", result, " = kiln.", name, " ", x,
         " {axes = ", integerList(axes), keepdims ? ", keepdims = true" : "",
         "} : ", typeText(x), " -> ", typeText(result), "\n");
  return result;
}

Value Graph::reduce(const std::string &name, const Value &x,
                    const std::vector<int64_t> &axes, bool keepdims) {
  for (int op = 0; op < 5; ++op)
    if (name == kReductions[op].name)
      return reduce(static_cast<Reduction>(op), x, axes, keepdims);
  try {
    primitive(name);
  } catch (const Error &error) {
    fail(error.what());
  }
  fail(formatMessage("kiln.", name, " is not a reduction along axes"));
}

Value Graph::transpose(const Value &x,
                       const std::vector<int64_t> &permutation) {
  checked(x, "the operand");
  if (static_cast<int64_t>(permutation.size()) != x.rank())
    fail(formatMessage("kiln.transpose: a permutation of ", permutation.size(),
                       " dimensions for rank ", x.rank()));
  std::vector<bool> seen(x.rank(), false);
  TensorType type{x.dtype(), {}};
  for (int64_t d : permutation) {
    if (d < 0 || d >= x.rank() || seen[d])
      fail(formatMessage("kiln.transpose: ", dimsText(permutation),
                         " is not a permutation of 0..", x.rank() - 1));
    seen[d] = true;
    type.dims.push_back(x.type().dims[d]);
  }
  Value result = make(std::move(type));
  append(body_, "  ", result, " = kiln.transpose ", x,
         " {permutation = ", integerList(permutation), "} : ", typeText(x),
         " -> ", typeText(result), "\n");
  return result;
}

Value Graph::matmul(const Value &lhs, const Value &rhs) {
  checked(lhs, "the first operand");
  checked(rhs, "the second operand");
  const TensorType &a = lhs.type(), &b = rhs.type();
  if (a.rank() < 2 || b.rank() < 2)
    fail(formatMessage("kiln.matmul needs operands of rank 2 or more, got ",
                       a.rank(), " and ", b.rank()));
  if (a.dtype != b.dtype)
    fail(formatMessage("kiln.matmul of ", dtypeName(a.dtype), " and ",
                       dtypeName(b.dtype)));
  if (!isFloat(a.dtype))
    fail(formatMessage("kiln.matmul takes float operands, got ",
                       dtypeName(a.dtype)));
  const int64_t k = a.dims.back(), k2 = b.dims[b.rank() - 2];
  if (k != kDynamic && k2 != kDynamic && k != k2)
    fail(formatMessage("kiln.matmul: contraction extents differ, ", k, " vs ",
                       k2));
  const TensorType batchA{a.dtype, {a.dims.begin(), a.dims.end() - 2}},
      batchB{b.dtype, {b.dims.begin(), b.dims.end() - 2}};
  TensorType type{a.dtype, {}};
  if (!broadcastDims({&batchA, &batchB}, type.dims))
    fail(formatMessage("kiln.matmul: batch dimensions ", dimsText(batchA.dims),
                       " and ", dimsText(batchB.dims), " do not broadcast"));
  type.dims.push_back(a.dims[a.rank() - 2]);
  type.dims.push_back(b.dims.back());
  Value result = make(std::move(type));
  append(body_, "  ", result, " = kiln.matmul ", lhs, ", ", rhs, " : ",
         typeText(lhs), ", ", typeText(rhs), "\n");
  return result;
}

std::string Graph::indexConstant(int64_t value) {
  auto found = indexConstants_.find(value);
  if (found != indexConstants_.end())
    return found->second;
  const int32_t id = static_cast<int32_t>(values_.size());
  values_.push_back({TensorType{}, "index"});
  const std::string name = "%v" + std::to_string(id);
  body_ +=
      "  " + name + " = arith.constant " + std::to_string(value) + " : index\n";
  indexConstants_.emplace(value, name);
  return name;
}

Extent Graph::dim(const Value &x, int64_t axis) {
  checked(x, "the operand");
  if (axis < 0 || axis >= x.rank())
    fail(formatMessage("dim: axis ", axis, " is out of range for rank ",
                       x.rank()));
  if (x.type().dims[axis] != kDynamic)
    return Extent(x.type().dims[axis]);
  const std::string index = indexConstant(axis);
  const int32_t id = static_cast<int32_t>(values_.size());
  values_.push_back({TensorType{}, "index"});
  body_ += "  %v" + std::to_string(id) + " = tensor.dim " + x.name() + ", " +
           index + " : " + typeText(x) + "\n";
  return Extent(this, id);
}

std::string Graph::extentList(const std::vector<Extent> &shape,
                              std::vector<int64_t> &dims) {
  std::string operands;
  for (const Extent &extent : shape) {
    if (extent.isStatic()) {
      if (extent.value_ < 0)
        fail(formatMessage("an extent of ", extent.value_));
      dims.push_back(extent.value_);
      continue;
    }
    if (extent.graph_ != this)
      fail("an extent of another graph");
    dims.push_back(kDynamic);
    operands += ", %v" + std::to_string(extent.id_);
  }
  return operands;
}

Value Graph::broadcastTo(const Value &x, const std::vector<Extent> &shape) {
  checked(x, "the operand");
  TensorType type{x.dtype(), {}};
  const std::string operands = extentList(shape, type.dims);
  const int64_t offset = type.rank() - x.rank();
  bool fits = offset >= 0;
  for (int64_t d = 0; fits && d < x.rank(); ++d) {
    const int64_t from = x.type().dims[d], to = type.dims[offset + d];
    fits = from == 1 || from == kDynamic || to == kDynamic || from == to;
  }
  if (!fits)
    fail(formatMessage("kiln.broadcast_to: ", dimsText(x.type().dims),
                       " does not broadcast to ", dimsText(type.dims)));
  Value result = make(std::move(type));
  append(body_, "  ", result, " = kiln.broadcast_to ", x, operands, " : ",
         typeText(x), " -> ", typeText(result), "\n");
  return result;
}

Value Graph::reshape(const Value &x, const std::vector<Extent> &shape) {
  checked(x, "the operand");
  TensorType type{x.dtype(), {}};
  const std::string operands = extentList(shape, type.dims);
  auto count = [](const std::vector<int64_t> &dims) {
    int64_t n = 1;
    for (int64_t extent : dims)
      n = extent == kDynamic || n < 0 ? -1 : n * extent;
    return n;
  };
  const int64_t from = count(x.type().dims), to = count(type.dims);
  if (from >= 0 && to >= 0 && from != to)
    fail(formatMessage("kiln.reshape: ", dimsText(x.type().dims), " (", from,
                       " elements) to ", dimsText(type.dims), " (", to, ")"));
  Value result = make(std::move(type));
  append(body_, "  ", result, " = kiln.reshape ", x, operands, " : ",
         typeText(x), " -> ", typeText(result), "\n");
  return result;
}

void Graph::result(const Value &value) {
  checked(value, "a result");
  results_.push_back(value.id_);
}

const TensorType &Graph::argumentType(int64_t i) const {
  return values_.at(arguments_.at(i)).type;
}
const TensorType &Graph::resultType(int64_t i) const {
  return values_.at(results_.at(i)).type;
}

std::string Graph::source() const {
  if (results_.empty())
    fail("a graph needs at least one result");
  std::string text = "func.func @" + name_ + "(";
  for (size_t i = 0; i < arguments_.size(); ++i)
    text += (i ? ", %v" : "%v") + std::to_string(arguments_[i]) + ": " +
            values_[arguments_[i]].text;
  std::string types, names;
  for (size_t i = 0; i < results_.size(); ++i) {
    types += (i ? ", " : "") + values_[results_[i]].text;
    names += (i ? ", %v" : "%v") + std::to_string(results_[i]);
  }
  text += ") -> " + (results_.size() == 1 ? types : "(" + types + ")") +
          (onePass_ ? " attributes {kiln.one_pass}" : "") + " {\n" + body_;
  return text + "  return " + names + " : " + types + "\n}\n";
}

KernelEntryFn Graph::compile() const {
  return KernelCache::global().get(*this);
}

KernelEntryFn KernelCache::get(const Graph &graph) {
  return getGraph(graph.source());
}

} // namespace compiler
} // namespace kiln
