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

// -----

// Two matmuls share one declaration; a fill of another buffer, or one that
// is not right before the matmul, stays.
// CHECK-COUNT-1: func.func private @kiln_dnnl_matmul_f32
// CHECK-NOT: func.func private @kiln_dnnl_matmul_f32
// CHECK-LABEL: func.func @two_matmuls
// CHECK-SAME: (%[[A:.*]]: memref<?x?xf32>, %[[B:.*]]: memref<?x?xf32>, %[[C:.*]]: memref<?x?xf32>, %[[D:.*]]: memref<?x?xf32>)
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[D]] : memref<?x?xf32>)
// CHECK: call @kiln_dnnl_matmul_f32
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[C]] : memref<?x?xf32>)
// CHECK: memref.copy
// CHECK: call @kiln_dnnl_matmul_f32
// CHECK-NOT: linalg.generic
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @two_matmuls(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>, %d: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%d : memref<?x?xf32>)
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) attrs = {kiln.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.fill ins(%zero : f32) outs(%c : memref<?x?xf32>)
  memref.copy %a, %b : memref<?x?xf32> to memref<?x?xf32>
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

// Only bufferized generics marked kiln.matmul are rewritten: one on tensors
// (before bufferization) and an unmarked f32 contraction stay, and with no
// matmul to rewrite nothing is declared.
// CHECK-NOT: func.func private @kiln_dnnl_matmul_f32
// CHECK-LABEL: func.func @not_rewritten
// CHECK: linalg.generic
// CHECK-SAME: attrs = {kiln.matmul}
// CHECK: linalg.generic
// CHECK-NOT: call
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @not_rewritten(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>, %c: tensor<?x?xf32>,
                         %x: memref<?x?xf32>, %y: memref<?x?xf32>, %z: memref<?x?xf32>) -> tensor<?x?xf32> {
  %0 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>) outs(%c : tensor<?x?xf32>) attrs = {kiln.matmul} {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x?xf32>
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %y : memref<?x?xf32>, memref<?x?xf32>) outs(%z : memref<?x?xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return %0 : tensor<?x?xf32>
}

// -----

// A declaration already in the module is reused.
// CHECK-COUNT-1: func.func private @kiln_dnnl_matmul_f32
// CHECK-NOT: func.func private @kiln_dnnl_matmul_f32
// CHECK-LABEL: func.func @declared
// CHECK: call @kiln_dnnl_matmul_f32
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func private @kiln_dnnl_matmul_f32(memref<*xf32>, memref<*xf32>, memref<*xf32>) attributes {llvm.emit_c_interface}
func.func @declared(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) attrs = {kiln.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
