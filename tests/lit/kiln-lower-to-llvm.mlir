// RUN: kiln-opt %s --kiln-lower-to-llvm --split-input-file | FileCheck %s
// RUN: kiln-opt %s --split-input-file --convert-kiln-to-linalg --eliminate-empty-tensors \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=fully-dynamic-layout-map" \
// RUN:   --drop-equivalent-buffer-results --convert-linalg-to-loops --canonicalize \
// RUN:   | FileCheck %s --check-prefix=LOOPS

// A destination-passing kernel, as compiler/KernelBuilder emits it: inputs,
// then the output as a writable tensor argument.

// After bufferization the output is written in place (no allocation, no
// copy), arguments take any strided layout, and the kernel is a loop nest.
// LOOPS-LABEL: func.func @kernel
// LOOPS-SAME: (%[[A:.*]]: memref<?x?xf32, strided<[?, ?], offset: ?>>, %[[B:.*]]: memref<?x?xf32, strided<[?, ?], offset: ?>>, %[[OUT:.*]]: memref<?x?xf32, strided<[?, ?], offset: ?>>)
// LOOPS-NOT: memref.alloc
// LOOPS-NOT: memref.copy
// LOOPS: scf.for %[[I:.*]] =
// LOOPS: scf.for %[[J:.*]] =
// LOOPS: %[[X:.*]] = memref.load %[[A]][%[[I]], %[[J]]]
// LOOPS: %[[Y:.*]] = memref.load %[[B]][%[[I]], %[[J]]]
// LOOPS: %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// LOOPS: memref.store %[[S]], %[[OUT]][%[[I]], %[[J]]]
// LOOPS: return{{$}}

// In LLVM: the kernel with exploded descriptors, and the C interface wrapper
// that takes one descriptor pointer per argument (the runtime's kernel ABI).
// CHECK: llvm.func @kernel(
// CHECK-NOT: llvm.call @{{malloc|aligned_alloc}}
// CHECK: llvm.fadd
// CHECK: llvm.store
// CHECK: llvm.func @_mlir_ciface_kernel(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: llvm.call @kernel(
func.func @kernel(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>,
                  %out: tensor<?x?xf32> {bufferization.writable = true}) -> tensor<?x?xf32>
    attributes {llvm.emit_c_interface} {
  %sum = kiln.add %a, %b : tensor<?x?xf32>, tensor<?x?xf32>
  %written = bufferization.materialize_in_destination %sum in %out
      : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %written : tensor<?x?xf32>
}

// -----

// An f32 matmul becomes a call to oneDNN through the C interface (the zero
// fill gone), with no loops of its own.
// CHECK: llvm.func private @kiln_dnnl_matmul_f32(
// CHECK: llvm.func @_mlir_ciface_kiln_dnnl_matmul_f32(!llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK-LABEL: llvm.func @matmul_kernel(
// CHECK-NOT: llvm.fmul
// CHECK: llvm.call @kiln_dnnl_matmul_f32(
// CHECK-NOT: llvm.fmul
// CHECK: llvm.return
func.func @matmul_kernel(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>,
                         %out: tensor<?x?xf32> {bufferization.writable = true}) -> tensor<?x?xf32>
    attributes {llvm.emit_c_interface} {
  %c = kiln.matmul %a, %b : tensor<?x?xf32>, tensor<?x?xf32>
  %written = bufferization.materialize_in_destination %c in %out
      : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %written : tensor<?x?xf32>
}

// -----

// Math: f32 exp is a polynomial of fma intrinsics, f64 tanh a call to libm.
// CHECK: llvm.func @tanh(f64) -> f64
// CHECK-LABEL: llvm.func @math_kernel(
// CHECK-NOT: llvm.intr.exp
// CHECK: llvm.intr.fma
// CHECK-NOT: llvm.intr.exp
// CHECK: llvm.call @tanh(%{{.*}}) : (f64) -> f64
// CHECK: llvm.return
func.func @math_kernel(%a: tensor<?xf32>, %b: tensor<?xf64>,
                       %o1: tensor<?xf32> {bufferization.writable = true},
                       %o2: tensor<?xf64> {bufferization.writable = true}) -> (tensor<?xf32>, tensor<?xf64>)
    attributes {llvm.emit_c_interface} {
  %e = kiln.exp %a : tensor<?xf32>
  %t = kiln.tanh %b : tensor<?xf64>
  %w1 = bufferization.materialize_in_destination %e in %o1 : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  %w2 = bufferization.materialize_in_destination %t in %o2 : (tensor<?xf64>, tensor<?xf64>) -> tensor<?xf64>
  return %w1, %w2 : tensor<?xf32>, tensor<?xf64>
}

// -----

// A slice's bounds (ceildivsi) are expanded to plain LLVM arithmetic; no op
// of another dialect is left.
// CHECK-LABEL: llvm.func @slice_kernel(
// CHECK-NOT: {{(arith|math|memref|linalg|scf|builtin.unrealized_conversion_cast)[. ]}}
// CHECK: llvm.sdiv
// CHECK-NOT: {{(arith|math|memref|linalg|scf|builtin.unrealized_conversion_cast)[. ]}}
// CHECK: llvm.return
func.func @slice_kernel(%a: tensor<?xf32>, %out: tensor<?xf32> {bufferization.writable = true}) -> tensor<?xf32>
    attributes {llvm.emit_c_interface} {
  %s = kiln.slice %a {begin = array<i64: 1>, end = array<i64: -1>, step = array<i64: 2>} : tensor<?xf32> -> tensor<?xf32>
  %w = bufferization.materialize_in_destination %s in %out : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  return %w : tensor<?xf32>
}

// -----

// An intermediate buffer (the max a softmax subtracts) is freed after its
// last use: without buffer deallocation every call of a graph kernel leaked
// it. It comes from aligned_alloc, whose result LLVM knows aliases nothing
// (malloc and pointer arithmetic to align it hid that).
// CHECK-LABEL: llvm.func @with_intermediate(
// CHECK-NOT: llvm.inttoptr
// CHECK: llvm.call @aligned_alloc
// CHECK-NOT: llvm.inttoptr
// CHECK: llvm.call @free
func.func @with_intermediate(%x: tensor<?x?xf32>, %out: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %m = kiln.reduce_max %x {axes = array<i64: 1>, keepdims = true} : tensor<?x?xf32> -> tensor<?x1xf32>
  %d = kiln.sub %x, %m : tensor<?x?xf32>, tensor<?x1xf32>
  %r = bufferization.materialize_in_destination %d in %out : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}
