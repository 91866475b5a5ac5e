// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// An elementwise primitive becomes one linalg.generic with identity maps over
// a tensor.empty init; dynamic extents come from the lhs.

// CHECK: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @add_f32
// CHECK-SAME: (%[[A:.*]]: tensor<?x?xf32>, %[[B:.*]]: tensor<?x?xf32>)
// CHECK-DAG: %[[D0:.*]] = tensor.dim %[[A]], %c0
// CHECK-DAG: %[[D1:.*]] = tensor.dim %[[A]], %c1
// CHECK: %[[INIT:.*]] = tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?xf32>
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[ID]], #[[ID]], #[[ID]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x?xf32>, tensor<?x?xf32>)
// CHECK-SAME: outs(%[[INIT]] : tensor<?x?xf32>)
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: return %[[SUM]]
// CHECK-NOT: kiln.add
func.func @add_f32(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = kiln.add %a, %b : tensor<?x?xf32>, tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Static shapes need no tensor.dim.
// CHECK-LABEL: func.func @add_static_i32
// CHECK-NOT: tensor.dim
// CHECK: tensor.empty() : tensor<4x8xi32>
// CHECK: arith.addi %{{.*}}, %{{.*}} : i32
func.func @add_static_i32(%a: tensor<4x8xi32>, %b: tensor<4x8xi32>) -> tensor<4x8xi32> {
  %0 = kiln.add %a, %b : tensor<4x8xi32>, tensor<4x8xi32>
  return %0 : tensor<4x8xi32>
}

// -----

// Booleans add as logical or, as in numpy.
// CHECK-LABEL: func.func @add_bool
// CHECK: arith.ori %{{.*}}, %{{.*}} : i1
func.func @add_bool(%a: tensor<5xi1>, %b: tensor<5xi1>) -> tensor<5xi1> {
  %0 = kiln.add %a, %b : tensor<5xi1>, tensor<5xi1>
  return %0 : tensor<5xi1>
}

// -----

// Rank 0: a generic with no loops.
// CHECK-LABEL: func.func @add_rank0
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = []}
// CHECK: arith.addf %{{.*}}, %{{.*}} : f64
func.func @add_rank0(%a: tensor<f64>, %b: tensor<f64>) -> tensor<f64> {
  %0 = kiln.add %a, %b : tensor<f64>, tensor<f64>
  return %0 : tensor<f64>
}
