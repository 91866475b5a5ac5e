// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// Round trip: the custom assembly prints and parses back unchanged.

// CHECK-LABEL: func.func @add_static
// CHECK: %[[SUM:.*]] = kiln.add %arg0, %arg1 : tensor<2x3xf32>, tensor<2x3xf32>
// CHECK: return %[[SUM]] : tensor<2x3xf32>
func.func @add_static(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = kiln.add %a, %b : tensor<2x3xf32>, tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// The result takes each static extent either operand has.
// CHECK-LABEL: func.func @add_refines_dynamic_extents
// CHECK: kiln.add %arg0, %arg1 : tensor<?x4xi32>, tensor<3x?xi32>
// CHECK: return %{{.*}} : tensor<3x4xi32>
func.func @add_refines_dynamic_extents(%a: tensor<?x4xi32>, %b: tensor<3x?xi32>) -> tensor<3x4xi32> {
  %0 = kiln.add %a, %b : tensor<?x4xi32>, tensor<3x?xi32>
  return %0 : tensor<3x4xi32>
}

// CHECK-LABEL: func.func @add_rank0
// CHECK: kiln.add %arg0, %arg1 : tensor<f64>, tensor<f64>
func.func @add_rank0(%a: tensor<f64>, %b: tensor<f64>) -> tensor<f64> {
  %0 = kiln.add %a, %b : tensor<f64>, tensor<f64>
  return %0 : tensor<f64>
}
