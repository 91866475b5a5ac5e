// RUN: kiln-opt %s --kiln-matmul-to-dnnl --split-input-file | FileCheck %s

// A bufferized f32 matmul becomes a call to the runtime's oneDNN kernel with
// unranked descriptors; the zero fill before it goes.
// CHECK: func.func private @kiln_dnnl_matmul_f32(memref<*xf32>, memref<*xf32>, memref<*xf32>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @f32
// CHECK-NOT: linalg.fill
// CHECK: %[[A:.*]] = memref.cast %{{.*}} : memref<?x?xf32> to memref<*xf32>
// CHECK: %[[B:.*]] = memref.cast %{{.*}} : memref<?x?xf32> to memref<*xf32>
// CHECK: %[[C:.*]] = memref.cast %{{.*}} : memref<?x?xf32> to memref<*xf32>
// CHECK: call @kiln_dnnl_matmul_f32(%[[A]], %[[B]], %[[C]])
// CHECK-NOT: linalg.generic
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @f32(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x?xf32>)
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) attrs = {kiln.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// f64 has no oneDNN kernel: it stays a loop nest to be.
// CHECK-LABEL: func.func @f64
// CHECK-NOT: call
// CHECK: linalg.generic
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @f64(%a: memref<?x?xf64>, %b: memref<?x?xf64>, %c: memref<?x?xf64>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf64>, memref<?x?xf64>) outs(%c : memref<?x?xf64>) attrs = {kiln.matmul} {
  ^bb0(%x: f64, %y: f64, %acc: f64):
    %p = arith.mulf %x, %y : f64
    %s = arith.addf %acc, %p : f64
    linalg.yield %s : f64
  }
  return
}
