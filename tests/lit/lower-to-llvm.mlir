// RUN: kiln-opt %s --kiln-lower-to-llvm | FileCheck %s
// RUN: kiln-opt %s --convert-kiln-to-linalg --eliminate-empty-tensors \
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
// CHECK-NOT: llvm.call @malloc
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
