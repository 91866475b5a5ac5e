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

// -----

// Broadcasting: operands align at the right; a static 1 is indexed by the
// constant 0, a missing leading dimension is dropped from the map; dynamic
// result extents come from an operand that has them.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @sub_broadcast
// CHECK-SAME: (%[[A:.*]]: tensor<?x1x3xf32>, %[[B:.*]]: tensor<?x1xf32>)
// CHECK-DAG: %[[D0:.*]] = tensor.dim %[[A]], %c0
// CHECK-DAG: %[[D1:.*]] = tensor.dim %[[B]], %c0
// CHECK: tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?x3xf32>
// CHECK: linalg.generic
// CHECK-SAME: indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]]
// CHECK: arith.subf
func.func @sub_broadcast(%a: tensor<?x1x3xf32>, %b: tensor<?x1xf32>) -> tensor<?x?x3xf32> {
  %0 = kiln.sub %a, %b : tensor<?x1x3xf32>, tensor<?x1xf32>
  return %0 : tensor<?x?x3xf32>
}

// -----

// Comparisons produce i1; select picks per element.
// CHECK-LABEL: func.func @compare_and_select
// CHECK: linalg.generic
// CHECK: %[[C:.*]] = arith.cmpf ogt
// CHECK: linalg.yield %[[C]] : i1
// CHECK: linalg.generic
// CHECK: ^bb0(%[[P:.*]]: i1, %[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK: arith.select %[[P]], %[[X]], %[[Y]] : f32
func.func @compare_and_select(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?xf32> {
  %0 = kiln.gt %a, %b : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.select %0, %a, %b : tensor<?xi1>, tensor<?xf32>, tensor<?xf32>
  return %1 : tensor<?xf32>
}

// -----

// f16 math computes in f32 and rounds once.
// CHECK-LABEL: func.func @tanh_f16
// CHECK: ^bb0(%[[X:.*]]: f16, %{{.*}}: f16):
// CHECK: %[[W:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK: %[[T:.*]] = math.tanh %[[W]] : f32
// CHECK: %[[N:.*]] = arith.truncf %[[T]] : f32 to f16
// CHECK: linalg.yield %[[N]] : f16
func.func @tanh_f16(%a: tensor<?xf16>) -> tensor<?xf16> {
  %0 = kiln.tanh %a : tensor<?xf16>
  return %0 : tensor<?xf16>
}

// -----

// Integer division guards the divisor: no trap on 0 or INT_MIN / -1.
// CHECK-LABEL: func.func @div_i32
// CHECK: arith.cmpi eq
// CHECK: arith.cmpi eq
// CHECK: %[[SAFE:.*]] = arith.select
// CHECK: arith.divsi %{{.*}}, %[[SAFE]] : i32
func.func @div_i32(%a: tensor<?xi32>, %b: tensor<?xi32>) -> tensor<?xi32> {
  %0 = kiln.div %a, %b : tensor<?xi32>, tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// Casts: float to integer truncates (fptosi); to bool compares with 0.
// CHECK-LABEL: func.func @casts
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.cmpf une
func.func @casts(%a: tensor<?xf32>) -> (tensor<?xi32>, tensor<?xi1>) {
  %0 = kiln.cast %a : tensor<?xf32> to tensor<?xi32>
  %1 = kiln.cast %a : tensor<?xf32> to tensor<?xi1>
  return %0, %1 : tensor<?xi32>, tensor<?xi1>
}

// -----

// A reduction: reduction iterators over the axes, a filled accumulator of
// the kept dimensions, reassociable adds (so LLVM vectorizes them).
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ACC:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @sum_outer_axes
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32)
// CHECK: linalg.generic
// CHECK-SAME: indexing_maps = [#[[IN]], #[[ACC]]]
// CHECK-SAME: iterator_types = ["reduction", "parallel", "reduction"]
// CHECK-SAME: outs(%[[FILL]] : tensor<?xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc> : f32
func.func @sum_outer_axes(%a: tensor<?x?x?xf32>) -> tensor<?xf32> {
  %0 = kiln.reduce_sum %a {axes = array<i64: 0, 2>} : tensor<?x?x?xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Mean of f16 with keepdims: f32 accumulation, a division by the element
// count, rounding back, and the unit dimensions restored.
// CHECK-LABEL: func.func @mean_keepdims_f16
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.sitofp %{{.*}} : i64 to f32
// CHECK: arith.divf
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] {{.*}} : tensor<?xf16> into tensor<?x1xf16>
func.func @mean_keepdims_f16(%a: tensor<?x?xf16>) -> tensor<?x1xf16> {
  %0 = kiln.reduce_mean %a {axes = array<i64: 1>, keepdims = true} : tensor<?x?xf16> -> tensor<?x1xf16>
  return %0 : tensor<?x1xf16>
}

// -----

// argmax: two accumulators (best value, its index from linalg.index).
// CHECK-LABEL: func.func @argmax_rows
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}}, %{{.*}} : tensor<?xf32>, tensor<?xi64>)
// CHECK: arith.cmpf ogt
// CHECK: linalg.index 1 : index
func.func @argmax_rows(%a: tensor<?x?xf32>) -> tensor<?xi64> {
  %0 = kiln.argmax %a {axis = 1 : i64} : tensor<?x?xf32> -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

// matmul: (batch, m, n, k) iteration with k a reduction; a broadcast batch
// dimension of the lhs is indexed by 0; marked for the oneDNN rewrite.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d1, d3)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @batched_matmul
// CHECK: linalg.fill
// CHECK: linalg.generic
// CHECK-SAME: indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: attrs = {kiln.matmul}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @batched_matmul(%a: tensor<1x?x?xf32>, %b: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %0 = kiln.matmul %a, %b : tensor<1x?x?xf32>, tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// -----

// transpose: a generic reading the operand through the inverse permutation.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d1, d2, d0)>
// CHECK-LABEL: func.func @transpose
// CHECK: linalg.generic
// CHECK-SAME: indexing_maps = [#[[IN]], #{{.*}}]
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = kiln.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----

// slice: Python bounds computed at run time, then one extract_slice.
// CHECK-LABEL: func.func @slice
// CHECK: arith.ceildivsi
// CHECK: tensor.extract_slice
func.func @slice(%x: tensor<?xf32>) -> tensor<?xf32> {
  %0 = kiln.slice %x {begin = array<i64: 1>, end = array<i64: -1>, step = array<i64: 2>} : tensor<?xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// take: a generic over the result reading the operand at the clipped index.
// CHECK-LABEL: func.func @take
// CHECK: linalg.generic
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract
func.func @take(%x: tensor<?x?xf32>, %i: tensor<?xi32>) -> tensor<?x?xf32> {
  %0 = kiln.take %x, %i {axis = 0 : i64} : tensor<?x?xf32>, tensor<?xi32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// random: Philox rounds (extended multiplies) on the element's linear index.
// CHECK-LABEL: func.func @random
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK: arith.mului_extended
func.func @random(%seed: tensor<i64>, %n: index) -> tensor<?xf32> {
  %0 = kiln.random_uniform %seed, %n {low = 0.0 : f64, high = 1.0 : f64} : tensor<i64> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// scatter_add: sequential loops carrying the accumulator, repeated indices
// accumulate.
// CHECK-LABEL: func.func @scatter_add
// CHECK: scf.for
// CHECK: scf.for
// CHECK: tensor.extract
// CHECK: arith.addf
// CHECK: tensor.insert
func.func @scatter_add(%d: tensor<?x?xf32>, %i: tensor<?xi64>, %u: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = kiln.scatter_add %d, %i, %u {axis = 0 : i64} : tensor<?x?xf32>, tensor<?xi64>, tensor<?x?xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// uint8: types become signless i8 and the marked ops pick unsigned
// division, maximum and comparison.
// CHECK-LABEL: func.func @uint8_ops
// CHECK-SAME: (%{{.*}}: tensor<?xi8>, %{{.*}}: tensor<?xi8>) -> (tensor<?xi8>, tensor<?xi8>, tensor<?xi1>)
// CHECK: arith.divui
// CHECK: arith.maxui
// CHECK: arith.cmpi ult
func.func @uint8_ops(%a: tensor<?xui8>, %b: tensor<?xui8>) -> (tensor<?xui8>, tensor<?xui8>, tensor<?xi1>) {
  %0 = kiln.div %a, %b : tensor<?xui8>, tensor<?xui8>
  %1 = kiln.maximum %a, %b : tensor<?xui8>, tensor<?xui8>
  %2 = kiln.lt %a, %b : tensor<?xui8>, tensor<?xui8>
  return %0, %1, %2 : tensor<?xui8>, tensor<?xui8>, tensor<?xi1>
}
