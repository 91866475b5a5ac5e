// RUN: kiln-opt %s --kiln-materialize-repeated-results --split-input-file | FileCheck %s

// One value written into two outputs: the second write copies the first
// output. A third distinct value is left alone.
// CHECK-LABEL: func.func @twice
// CHECK-SAME: (%[[X:.*]]: tensor<?xf32>, %[[Y:.*]]: tensor<?xf32>, %[[O0:.*]]: tensor<?xf32>, %[[O1:.*]]: tensor<?xf32>, %[[O2:.*]]: tensor<?xf32>)
// CHECK: %[[W0:.*]] = bufferization.materialize_in_destination %[[X]] in %[[O0]]
// CHECK: %[[W1:.*]] = bufferization.materialize_in_destination %[[W0]] in %[[O1]]
// CHECK: %[[W2:.*]] = bufferization.materialize_in_destination %[[Y]] in %[[O2]]
// CHECK: return %[[W0]], %[[W1]], %[[W2]]
func.func @twice(%x: tensor<?xf32>, %y: tensor<?xf32>, %o0: tensor<?xf32>,
                 %o1: tensor<?xf32>, %o2: tensor<?xf32>)
    -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %0 = bufferization.materialize_in_destination %x in %o0 : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  %1 = bufferization.materialize_in_destination %x in %o1 : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  %2 = bufferization.materialize_in_destination %y in %o2 : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

// Three writes of one value: both later ones copy the first output.
// CHECK-LABEL: func.func @thrice
// CHECK: %[[W0:.*]] = bufferization.materialize_in_destination %{{.*}} in %{{.*}}
// CHECK: bufferization.materialize_in_destination %[[W0]] in
// CHECK: bufferization.materialize_in_destination %[[W0]] in
func.func @thrice(%x: tensor<4xf32>, %o0: tensor<4xf32>, %o1: tensor<4xf32>,
                  %o2: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = bufferization.materialize_in_destination %x in %o0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = bufferization.materialize_in_destination %x in %o1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = bufferization.materialize_in_destination %x in %o2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
