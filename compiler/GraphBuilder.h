//===- GraphBuilder.h - typed builder of kiln functions ---------*- C++ -*-===//
//
// A kiln primitive graph built in C++: one function of kiln ops on ranked
// tensors, the unit KernelCache compiles into one fused kernel. Every value
// carries its type (element type and dimensions, each a static extent or
// dynamic), inferred as the dialect infers it, so that a mistake (operands
// of different dtypes, shapes that cannot broadcast, an unknown primitive,
// an axis out of range) is a kiln::Error at the call that makes it rather
// than a parse failure when the kernel is compiled:
//
//   Graph graph("scale_shift");
//   Value x = graph.argument(DType::Float32, 2);       // tensor<?x?xf32>
//   Value b = graph.argument(DType::Float32, 2, 0b01); // tensor<1x?xf32>
//   Value two = graph.literal(2.0, DType::Float32);
//   Value scaled = graph.binary(Binary::Mul, x, two);
//   graph.result(graph.binary("add", scaled, b)); // by name, too
//   KernelEntryFn kernel = graph.compile(); // arguments, then one output
//
// The graph crosses to the compiler as MLIR text (source()): this header
// stays free of MLIR and LLVM, so frontends that include it compile
// quickly, and the text is the kernel cache's key. Text is emitted as the
// graph is built; values are named %v0, %v1, ... in order of creation.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_GRAPHBUILDER_H
#define KILN_COMPILER_GRAPHBUILDER_H

#include "runtime/DType.h"
#include "runtime/KernelAbi.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln {
namespace compiler {

/// A dimension whose extent is known only at run time ("?").
constexpr int64_t kDynamic = -1;

/// The type of a graph value: a ranked tensor of `dtype`, each dimension a
/// static extent or kDynamic. Only a static 1 broadcasts (the dialect's
/// rule), so the unit dimensions are the broadcast pattern.
struct TensorType {
  DType dtype = DType::Float32;
  std::vector<int64_t> dims;

  /// Rank 0.
  static TensorType scalar(DType dtype) { return {dtype, {}}; }
  /// `rank` dynamic dimensions, except those in `unitDims` (bit d set:
  /// dimension d is a static 1): the form of kernel signatures.
  static TensorType dynamic(DType dtype, int64_t rank, uint64_t unitDims = 0);

  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  /// The MLIR type: "tensor<?x1xf32>".
  std::string str() const;
  bool operator==(const TensorType &other) const {
    return dtype == other.dtype && dims == other.dims;
  }
  bool operator!=(const TensorType &other) const { return !(*this == other); }
};

/// The MLIR element type of `dtype`: "f32", "bf16", "ui8", "i1" (Bool).
std::string mlirElementType(DType dtype);

/// The elementwise unary primitives.
enum class Unary {
  // Of numbers (not bool):
  Neg,
  Abs,
  Sign,
  Square,
  Relu,
  // Of floats:
  Exp,
  Expm1,
  Log,
  Log1p,
  Sqrt,
  Rsqrt,
  Tanh,
  Sigmoid,
  Erf,
  Sin,
  Cos,
  Asin,
  Acos,
  Atan,
  Floor,
  Ceil,
  Round,
  Reciprocal,
  // Of any type:
  LogicalNot,
};
/// The broadcasting binary primitives.
enum class Binary {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Mod,
  // These give bool:
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  LogicalAnd,
  LogicalOr,
  LogicalXor,
};
/// The reductions along axes.
enum class Reduction { Sum, Prod, Mean, Max, Min };

/// The primitive's name in the dialect ("exp", "logical_and",
/// "reduce_sum").
const char *primitiveName(Unary op);
const char *primitiveName(Binary op);
const char *primitiveName(Reduction op);

class Graph;

/// A value of a Graph: an argument or an operation's result. Copies are
/// cheap (the graph keeps the type); a default-constructed Value is empty
/// and no operation takes it.
class Value {
public:
  Value() = default;
  bool valid() const { return graph_ != nullptr; }
  Graph *graph() const { return graph_; }
  const TensorType &type() const;
  DType dtype() const { return type().dtype; }
  int64_t rank() const { return type().rank(); }
  /// Its name in the text: "%v3".
  std::string name() const;
  /// Its number in the graph: values are numbered in order of creation.
  int32_t id() const { return id_; }

private:
  friend class Graph;
  Value(Graph *graph, int32_t id) : graph_(graph), id_(id) {}
  Graph *graph_ = nullptr;
  int32_t id_ = -1;
};

/// An extent for broadcastTo and reshape: a static number, or one read at
/// run time from a dimension of a value (Graph::dim).
class Extent {
public:
  /// A static extent (>= 0).
  Extent(int64_t value) : value_(value) {}
  bool isStatic() const { return id_ < 0; }

private:
  friend class Graph;
  Extent(Graph *graph, int32_t id) : value_(kDynamic), graph_(graph), id_(id) {}
  int64_t value_;
  Graph *graph_ = nullptr;
  int32_t id_ = -1; // The index value holding a run-time extent.
};

/// One kiln function under construction. Not copyable: values point at it.
class Graph {
public:
  /// A function named `name` (an MLIR symbol: letters, digits, _ . $, not
  /// starting with a digit). Errors start with `owner` when given (the
  /// frontend op building it), then the function's name.
  explicit Graph(std::string name, std::string owner = "");
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;

  /// The next argument, of `type`.
  Value argument(const TensorType &type);
  Value argument(DType dtype, int64_t rank, uint64_t unitDims = 0) {
    return argument(TensorType::dynamic(dtype, rank, unitDims));
  }

  /// A rank-0 constant written into the kernel. Finite floats keep 17
  /// significant digits (exact for f64); NaN and infinities are written as
  /// the element type's bits. Integer and Bool dtypes take integral values
  /// in their range.
  Value literal(double value, DType dtype);
  /// The lowest finite value of a float dtype (a masked max's identity).
  Value lowest(DType dtype);
  /// A constant of a static `type`, `values` in row-major order (one
  /// value for every element, or one for all).
  Value constant(const std::vector<double> &values, const TensorType &type);

  Value unary(Unary op, const Value &x);
  /// By primitive name ("exp"); kiln::Error when the dialect has no such
  /// elementwise unary primitive.
  Value unary(const std::string &primitive, const Value &x);
  /// x op y with numpy broadcasting; both of one dtype.
  Value binary(Binary op, const Value &x, const Value &y);
  Value binary(const std::string &primitive, const Value &x, const Value &y);
  /// condition (Bool) ? onTrue : onFalse, the three broadcast together.
  Value select(const Value &condition, const Value &onTrue,
               const Value &onFalse);
  /// x converted to `dtype` (x itself when it has it). float64 to float16
  /// or bfloat16 goes through float32: the JIT cannot link the direct
  /// conversion, and float32 rounds far below their precision.
  Value cast(const Value &x, DType dtype);
  /// Along `axes` (distinct, in [0, rank), any order), dropped or kept as
  /// extent 1.
  Value reduce(Reduction op, const Value &x, const std::vector<int64_t> &axes,
               bool keepdims = false);
  /// By primitive name ("reduce_sum").
  Value reduce(const std::string &primitive, const Value &x,
               const std::vector<int64_t> &axes, bool keepdims = false);
  /// numpy's transpose(permutation): result dimension i is x's
  /// permutation[i].
  Value transpose(const Value &x, const std::vector<int64_t> &permutation);
  /// numpy's matmul of float operands of rank >= 2 (batch dimensions
  /// broadcast).
  Value matmul(const Value &lhs, const Value &rhs);

  /// Dimension `axis` of x: static when x's type knows it, else read at
  /// run time.
  Extent dim(const Value &x, int64_t axis);
  /// x stretched to `shape` by numpy's rules (aligned at the right; static
  /// 1s and missing leading dimensions stretch).
  Value broadcastTo(const Value &x, const std::vector<Extent> &shape);
  /// x's elements, row-major, seen with `shape` (counts must agree; only
  /// static ones can be checked here).
  Value reshape(const Value &x, const std::vector<Extent> &shape);

  /// Adds `value` as the next result.
  void result(const Value &value);
  /// Forgets the results added so far, so that the same graph gives the
  /// source of another kernel (a fused group's recomputation).
  void clearResults() { results_.clear(); }
  /// Marks the function kiln.one_pass: its loops must merge into one pass
  /// over the arrays, so that its results may overwrite its inputs (an
  /// optimizer update writing its states and weight in place); compiling
  /// it fails otherwise. For flat kernels, whose arrays share one length.
  void requireOnePass(bool onePass = true) { onePass_ = onePass; }

  const std::string &name() const { return name_; }
  int64_t numArguments() const {
    return static_cast<int64_t>(arguments_.size());
  }
  int64_t numResults() const { return static_cast<int64_t>(results_.size()); }
  const TensorType &argumentType(int64_t i) const;
  const TensorType &resultType(int64_t i) const;

  /// The function as MLIR text ("func.func @name(...) -> ... {...}");
  /// kiln::Error without results.
  std::string source() const;
  /// KernelCache::global().get(*this): the kernel, compiled on first use.
  /// Its entry takes the arguments, then one output per result.
  KernelEntryFn compile() const;

private:
  friend class Value;
  struct Entry {
    TensorType type;
    std::string text; // type.str() ("index" for extents), printed at uses.
  };
  Value make(TensorType type);
  Value checked(const Value &value, const char *what) const;
  [[noreturn]] void fail(const std::string &message) const;
  /// The index constant `value` (arith.constant), made once.
  std::string indexConstant(int64_t value);
  const std::string &typeText(const Value &value) const {
    return values_[value.id_].text;
  }
  std::string extentList(const std::vector<Extent> &shape,
                         std::vector<int64_t> &dims);

  std::string name_, owner_;
  std::vector<Entry> values_;
  std::vector<int32_t> arguments_, results_;
  std::map<int64_t, std::string> indexConstants_;
  std::string body_;
  bool onePass_ = false;
};

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_GRAPHBUILDER_H
