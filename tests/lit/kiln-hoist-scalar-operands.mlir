// RUN: kiln-opt %s --kiln-hoist-scalar-operands --split-input-file | FileCheck %s

#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>

// Two rank-0 operands (an update's learning rate and epsilon): each is read
// once before the op, and the generic keeps only its array operands.
// CHECK-LABEL: func.func @update
// CHECK-SAME: (%[[W:.*]]: tensor<?xf32>, %[[LR:.*]]: tensor<f32>, %[[G:.*]]: tensor<?xf32>, %[[EPS:.*]]: tensor<f32>
// CHECK-DAG: %[[L:.*]] = tensor.extract %[[LR]][] : tensor<f32>
// CHECK-DAG: %[[E:.*]] = tensor.extract %[[EPS]][] : tensor<f32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[W]], %[[G]] : tensor<?xf32>, tensor<?xf32>)
// CHECK: ^bb0(%[[WV:.*]]: f32, %[[GV:.*]]: f32, %{{.*}}: f32):
// CHECK: arith.addf %[[GV]], %[[E]]
// CHECK: arith.mulf %{{.*}}, %[[L]]
// CHECK-NOT: tensor.extract
func.func @update(%w: tensor<?xf32>, %lr: tensor<f32>, %g: tensor<?xf32>,
                  %eps: tensor<f32>, %init: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [#id, #scalar, #id, #scalar, #id],
                       iterator_types = ["parallel"]}
      ins(%w, %lr, %g, %eps : tensor<?xf32>, tensor<f32>, tensor<?xf32>, tensor<f32>)
      outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %l: f32, %b: f32, %e: f32, %o: f32):
    %d = arith.addf %b, %e : f32
    %s = arith.mulf %d, %l : f32
    %n = arith.subf %a, %s : f32
    linalg.yield %n : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
// A rank-0 output (a reduction's accumulator) stays an operand: only
// inputs are hoisted.
// CHECK-LABEL: func.func @reduction_into_scalar
// CHECK-NOT: tensor.extract
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<?xf32>)
// CHECK-SAME: outs(%{{.*}} : tensor<f32>)
func.func @reduction_into_scalar(%x: tensor<?xf32>, %init: tensor<f32>)
    -> tensor<f32> {
  %r = linalg.generic {indexing_maps = [#id, #scalar],
                       iterator_types = ["reduction"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
// Buffers are left alone (the pass runs before bufferization).
// CHECK-LABEL: func.func @on_buffers
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : memref<?xf32>, memref<f32>)
func.func @on_buffers(%x: memref<?xf32>, %s: memref<f32>, %y: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id, #scalar, #id],
                  iterator_types = ["parallel"]}
      ins(%x, %s : memref<?xf32>, memref<f32>) outs(%y : memref<?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  }
  return
}
