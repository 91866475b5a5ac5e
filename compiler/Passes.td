//===- Passes.td - kiln compiler passes --------------------*- tablegen -*-===//
#ifndef KILN_COMPILER_PASSES_TD
#define KILN_COMPILER_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKilnToLinalg : Pass<"convert-kiln-to-linalg", "ModuleOp"> {
  let summary = "Lower kiln primitives to linalg on tensors";
  let description = [{
    Rewrites every kiln primitive into linalg structured ops (plus tensor and
    arith ops) with value semantics, ready for fusion and bufferization.
    Elementwise primitives become one `linalg.generic` whose init is a
    `tensor.empty` of the result's shape: operands align at the right, and a
    dimension an operand broadcasts (static extent 1) is indexed by the
    constant 0. The body is the primitive's scalar arith/math computation;
    f16 and bf16 compute in f32. A kiln op left over is an error: every
    primitive must have a lowering.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def KilnLowerMath : Pass<"kiln-lower-math", "ModuleOp"> {
  let summary = "Lower math ops: f32 polynomials, f64 libm, the rest LLVM";
  let description = [{
    f32 transcendentals (exp, expm1, log, log1p, tanh, erf) become MLIR's
    polynomial approximations: plain arithmetic that LLVM vectorizes. f32 sin
    and cos are computed in f64 instead (the approximations lose accuracy
    away from 0).
    f64 transcendentals become calls to the C library, which is accurate to
    an ulp. Integer powers expand to loops (math.ipowi). What is left (sqrt,
    floor, rounding, ...) is for `convert-math-to-llvm`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def KilnFuseElementwise : Pass<"kiln-fuse-elementwise", "ModuleOp"> {
  let summary = "Fuse chains of elementwise linalg ops into one kernel";
  let description = [{
    Fuses each `linalg.generic` producer (elementwise, broadcasting) into
    its consumers, which may be elementwise ops or reductions, so that a
    chain becomes one loop nest reading every input once; splat constants
    fold into the body. An op reading one tensor through several operands
    (x * x) first reads it through one. A producer used by several
    consumers is duplicated into each only when its body is cheap (at most
    8 arith ops, no math calls, no divisions) and the consumer's body stays
    within 64 ops with the copies; an expensive one (say, an exp feeding
    two consumers) stays its own kernel so it is computed once, and a chain
    of diamonds does not double its body at every step. Then sibling
    reductions merge: two reductions over the same iteration domain (they
    read one tensor through the same permutation map), neither using the
    other's result, become one linalg.generic with both accumulators, so
    their shared inputs are read once (BatchNorm's backward statistics).

    A function marked `kiln.one_pass` (a flat kernel whose arrays share one
    length: an optimizer update writing its states and weight in place)
    must become one loop: its loop nests merge in order, a later one
    reading an earlier one's results as values of the same iteration, so
    element i of every input is read before element i of any result is
    written. The pass fails with an error where they cannot merge.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def KilnHoistScalarOperands
    : Pass<"kiln-hoist-scalar-operands", "ModuleOp"> {
  let summary = "Read rank-0 operands of linalg.generic once, before it";
  let description = [{
    Replaces each rank-0 tensor input of a `linalg.generic` on tensors (a
    learning rate, a scalar argument: an indexing map with no results)
    with a `tensor.extract` placed before the op, whose value the body
    uses directly. After bufferization such an operand is a load inside
    the loop from memory that may alias the loop's stores, so LLVM can
    neither hoist it nor vectorize the loop; read before the loop it is a
    plain register.

    Example:

    ```mlir
    %r = linalg.generic {indexing_maps = [#id, affine_map<(d0) -> ()>, #id],
                         iterator_types = ["parallel"]}
        ins(%x, %lr : tensor<?xf32>, tensor<f32>) outs(%init : tensor<?xf32>) {
    ^bb0(%a: f32, %s: f32, %o: f32):
      %m = arith.mulf %a, %s : f32
      linalg.yield %m : f32
    } -> tensor<?xf32>
    ```

    becomes `%s = tensor.extract %lr[]` followed by a generic over `%x`
    alone whose body multiplies by `%s`.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def KilnMaterializeRepeatedResults
    : Pass<"kiln-materialize-repeated-results", "ModuleOp"> {
  let summary = "Copy a value written to several destinations from the first";
  let description = [{
    A graph kernel writes each result into its output argument with
    `bufferization.materialize_in_destination`. When one value is written
    twice (a fused group keeping a value and its copy, or two results the
    canonicalizer folded into one: `a * 1` and `a`), the second write
    reading the value itself, after the first may have been placed in the
    value's own buffer, is a read-after-write that one-shot bufferization
    sometimes cannot avoid (whether it finds one depends on the order it
    visits aliases in). This pass makes every later write of a value in a
    block read the result of its first write instead.

    Example:

    ```mlir
    %0 = bufferization.materialize_in_destination %v in %out0 : ...
    %1 = bufferization.materialize_in_destination %v in %out1 : ...
    ```

    becomes a second write from `%0`:
    `bufferization.materialize_in_destination %0 in %out1`.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def KilnMatmulToDnnl : Pass<"kiln-matmul-to-dnnl", "ModuleOp"> {
  let summary = "Hand bufferized f32 matmuls to oneDNN";
  let description = [{
    Replaces each bufferized `linalg.generic` marked `kiln.matmul` whose
    operands are f32 memrefs with a call to `kiln_dnnl_matmul_f32` (C
    interface, unranked descriptors), which the runtime implements on
    oneDNN's matmul primitive. The zero fill of the output before it is
    dropped (oneDNN overwrites). Other element types stay loops.
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def KilnPlanMemory : Pass<"kiln-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Reuse a kernel's intermediate buffers by liveness";
  let description = [{
    Runs on bufferized functions, before the deallocation passes. Orders
    the function's top-level ops, gives each `memref.alloc` of the top
    block a live range (first to last use of the buffer or of any view of
    it, a use in a nested region counting at its top-level op) and assigns
    buffers whose ranges do not overlap to one slot (one of the same shape
    first, then the one freed last, for its memory is likeliest in cache): a
    slot of buffers of one type and the same size operands is the first
    one's allocation, reused; any other slot is one `memref<?xi8>` of the
    largest member's bytes (rounded up to 64), which every member views
    with `memref.view` (their sizes' computations, side-effect free, move
    up to where the slot is allocated).

    In place: an elementwise `linalg.generic` (all loops parallel) that
    reads a buffer for the last time and writes a buffer of the same shape
    through the same permutation map, touching neither through any other
    operand and not reading its output's initial value, writes into the
    buffer it reads.

    Buffers live at the same time keep allocations of their own: LLVM
    knows distinct allocations do not alias (a merged reduction's
    accumulators stay in registers), which views of one arena at run-time
    offsets would not tell it. Left alone: buffers returned, passed to a
    call or already deallocated, allocations in nested regions, and
    element types of less than a byte (other than i1, which LLVM stores in
    one) or of no fixed width.

    Example: `conv(x) -> %a; relu(%a) -> %b; conv(%b) -> %c;
    relu(%c) -> %d; conv(%d) -> %e`, each value read only by the next op,
    needs two buffers: each relu writes into its input, and `%e` takes the
    memory of `%a` and `%b`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def KilnLibraryCallToFunc : Pass<"kiln-library-call-to-func", "ModuleOp"> {
  let summary = "Turn bufferized kiln.library_call ops into runtime calls";
  let description = [{
    Replaces each kiln.library_call on buffers with a func.call of its
    callee (declared private with `llvm.emit_c_interface`), passing every
    buffer as an unranked memref and the call's `params` as a constant i64
    buffer (a private memref.global) last. The runtime defines the callees
    (runtime/cpu/LibraryCalls.h).
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def KilnAutodiff : Pass<"kiln-autodiff", "ModuleOp"> {
  let summary = "Build the reverse-mode gradient function of marked functions";
  let description = [{
    For each `func.func @f` carrying the unit attribute `kiln.differentiate`,
    adds `func.func @f_grad` that takes f's arguments, then one cotangent
    (head gradient) per floating-point result, then the gradient so far of
    each argument whose grad_req is add; and returns f's results followed
    by the gradient (the vector-Jacobian product) of each argument whose
    grad_req is write or add, in argument order, the add ones summed with
    the gradient passed in. Its `kiln.gradient_of` attribute lists those
    argument indices. With the unit attribute `kiln.gradients_only` on f,
    @f_grad returns the gradients alone (for a backward kernel whose caller
    has the forward's results already).

    grad_req is MXNet's: `kiln.grad_req = ["write", "add", "null"]` gives
    one per argument; without it, floating-point arguments are write and
    the others null. A null argument (an auxiliary state, a frozen
    parameter, integer labels) is a constant to the sweep: no gradient
    of it is computed, nor of what only it reaches.

    The forward body is cloned, then walked in reverse: each op with a
    cotangent asks its `GradientOpInterface` rule for its operands'
    gradients, and a value used several times sums them (`kiln.add`).
    Ops marked `Kiln_NoGradient` (comparisons, rounding, random numbers)
    and integer values stop the gradient; `tensor.cast` passes it through;
    arith and `tensor.dim` ops carry no tensors and are skipped. An
    argument no result depends on gets zeros. Both functions stay kiln
    functions: the forward ops the backward needs are shared, and the pair
    fuses and compiles like any other kernel.

    Only ranked tensors of f16, bf16, f32 and f64 take gradients; a
    gradient that would pass through anything else (a scalar from
    `tensor.extract`, an unranked tensor) stops at an error where no rule
    carries it on, never at a silent zero. `kiln.differentiate = false`
    leaves a function alone; the pass looks at the module's own functions.

    Fails with an error on an op on the gradient path that has no rule (a
    non-kiln op, or `kiln.pool_backward` of max pooling), on functions
    with regions or several blocks, on an existing `@f_grad`, on a float
    result that is not a ranked kiln tensor, and on a malformed
    `kiln.grad_req` (wrong length, an unknown value, a gradient asked of an
    argument that takes none).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::kiln::KilnDialect",
  ];
}

#endif // KILN_COMPILER_PASSES_TD
