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

// -----

// The scalar body of every elementwise op, on floats, signed integers, uint8
// (signless i8 after the lowering) and i1 where the op takes them.

// neg: negf; integers, uint8 too (wrapping), subtract from 0.
// CHECK-LABEL: func.func @neg(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.negf
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.subi
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.subi
// CHECK: linalg.yield
func.func @neg(%x0: tensor<?xf32>,
    %x1: tensor<?xi32>,
    %x2: tensor<?xui8>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>) {
  %0 = kiln.neg %x0 : tensor<?xf32>
  %1 = kiln.neg %x1 : tensor<?xi32>
  %2 = kiln.neg %x2 : tensor<?xui8>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>
}

// abs: absf, absi; uint8 is its own absolute value.
// CHECK-LABEL: func.func @abs(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.absf
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: math.absi
// CHECK: linalg.yield
// CHECK: ^bb0(%[[X2:[^:]*]]: i8
// CHECK-NEXT: linalg.yield %[[X2]] : i8
func.func @abs(%x0: tensor<?xf32>,
    %x1: tensor<?xi32>,
    %x2: tensor<?xui8>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>) {
  %0 = kiln.abs %x0 : tensor<?xf32>
  %1 = kiln.abs %x1 : tensor<?xi32>
  %2 = kiln.abs %x2 : tensor<?xui8>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>
}

// sign: two comparisons select 1, -1 or 0 (NaN compares false: 0); uint8 is x
// != 0.
// CHECK-LABEL: func.func @sign(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf olt
// CHECK: arith.select
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi sgt
// CHECK: arith.cmpi slt
// CHECK: arith.select
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.cmpi ne
// CHECK: arith.select
// CHECK: linalg.yield
func.func @sign(%x0: tensor<?xf32>,
    %x1: tensor<?xi32>,
    %x2: tensor<?xui8>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>) {
  %0 = kiln.sign %x0 : tensor<?xf32>
  %1 = kiln.sign %x1 : tensor<?xi32>
  %2 = kiln.sign %x2 : tensor<?xui8>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>
}

// square: x * x.
// CHECK-LABEL: func.func @square(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.mulf
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.muli
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.muli
// CHECK: linalg.yield
func.func @square(%x0: tensor<?xf32>,
    %x1: tensor<?xi32>,
    %x2: tensor<?xui8>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>) {
  %0 = kiln.square %x0 : tensor<?xf32>
  %1 = kiln.square %x1 : tensor<?xi32>
  %2 = kiln.square %x2 : tensor<?xui8>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>
}

// relu: x <= 0 ? 0 : x for floats (NaN stays NaN), max(x, 0) for integers;
// uint8 is itself.
// CHECK-LABEL: func.func @relu(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf ole
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.maxsi
// CHECK: linalg.yield
// CHECK: ^bb0(%[[X2:[^:]*]]: i8
// CHECK-NEXT: linalg.yield %[[X2]] : i8
func.func @relu(%x0: tensor<?xf32>,
    %x1: tensor<?xi32>,
    %x2: tensor<?xui8>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>) {
  %0 = kiln.relu %x0 : tensor<?xf32>
  %1 = kiln.relu %x1 : tensor<?xi32>
  %2 = kiln.relu %x2 : tensor<?xui8>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>
}

// Transcendental and rounding ops are one math op each.
// CHECK-LABEL: func.func @exp(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.exp
// CHECK: linalg.yield
func.func @exp(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.exp %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @expm1(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.expm1
// CHECK: linalg.yield
func.func @expm1(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.expm1 %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @log(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.log
// CHECK: linalg.yield
func.func @log(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.log %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @log1p(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.log1p
// CHECK: linalg.yield
func.func @log1p(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.log1p %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @sqrt(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.sqrt
// CHECK: linalg.yield
func.func @sqrt(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.sqrt %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @rsqrt(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.rsqrt
// CHECK: linalg.yield
func.func @rsqrt(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.rsqrt %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @tanh(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.tanh
// CHECK: linalg.yield
func.func @tanh(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.tanh %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// sigmoid: 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @sigmoid(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: linalg.yield
func.func @sigmoid(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.sigmoid %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @erf(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.erf
// CHECK: linalg.yield
func.func @erf(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.erf %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @sin(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.sin
// CHECK: linalg.yield
func.func @sin(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.sin %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @cos(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.cos
// CHECK: linalg.yield
func.func @cos(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.cos %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @asin(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.asin
// CHECK: linalg.yield
func.func @asin(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.asin %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @acos(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.acos
// CHECK: linalg.yield
func.func @acos(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.acos %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @atan(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.atan
// CHECK: linalg.yield
func.func @atan(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.atan %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @floor(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.floor
// CHECK: linalg.yield
func.func @floor(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.floor %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @ceil(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.ceil
// CHECK: linalg.yield
func.func @ceil(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.ceil %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// CHECK-LABEL: func.func @round(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.round
// CHECK: linalg.yield
func.func @round(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.round %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// reciprocal: 1 / x.
// CHECK-LABEL: func.func @reciprocal(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.divf
// CHECK: linalg.yield
func.func @reciprocal(%x0: tensor<?xf32>)
    -> (tensor<?xf32>) {
  %0 = kiln.reciprocal %x0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// logical_not: x == 0 as 1 or 0 in x's type; i1 flips its bit.
// CHECK-LABEL: func.func @logical_not(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf oeq
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi eq
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.xori
// CHECK: linalg.yield
func.func @logical_not(%x0: tensor<?xf32>,
    %x1: tensor<?xi32>,
    %x2: tensor<?xi1>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xi1>) {
  %0 = kiln.logical_not %x0 : tensor<?xf32>
  %1 = kiln.logical_not %x1 : tensor<?xi32>
  %2 = kiln.logical_not %x2 : tensor<?xi1>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xi32>, tensor<?xi1>
}

// add: addf/addi; i1 adds as logical or.
// CHECK-LABEL: func.func @add(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.addf
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.addi
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.addi
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.ori
// CHECK: linalg.yield
func.func @add(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>,
    %x3: tensor<?xi1>, %y3: tensor<?xi1>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>, tensor<?xi1>) {
  %0 = kiln.add %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.add %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.add %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  %3 = kiln.add %x3, %y3 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2, %3 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>, tensor<?xi1>
}

// sub: subf/subi.
// CHECK-LABEL: func.func @sub(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.subf
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.subi
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.subi
// CHECK: linalg.yield
func.func @sub(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>) {
  %0 = kiln.sub %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.sub %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.sub %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>
}

// mul: mulf/muli; i1 multiplies as logical and.
// CHECK-LABEL: func.func @mul(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.mulf
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.muli
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.muli
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.andi
// CHECK: linalg.yield
func.func @mul(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>,
    %x3: tensor<?xi1>, %y3: tensor<?xi1>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>, tensor<?xi1>) {
  %0 = kiln.mul %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.mul %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.mul %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  %3 = kiln.mul %x3, %y3 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2, %3 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>, tensor<?xi1>
}

// div: divf; signed integers divide by a safe divisor (0 and -1 replaced by 1)
// and then give x / 0 = 0 and x / -1 = 0 - x; uint8 divides unsigned, x / 0 =
// 0.
// CHECK-LABEL: func.func @div(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.divf
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi eq
// CHECK: arith.cmpi eq
// CHECK: arith.ori
// CHECK: arith.select
// CHECK: arith.divsi
// CHECK: arith.subi
// CHECK: arith.select
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.cmpi eq
// CHECK: arith.select
// CHECK: arith.divui
// CHECK: arith.select
// CHECK: linalg.yield
func.func @div(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>) {
  %0 = kiln.div %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.div %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.div %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>
}

// pow: powf; integers too, as MXNet 1.9.1: through f32, converted back toward
// zero where the power fits and to the lowest int32 where it does not; uint8
// converts from unsigned and keeps the low byte of that i32.
// CHECK-LABEL: func.func @pow(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: math.powf
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: %[[P:.*]] = math.powf
// CHECK: arith.cmpf oge, %[[P]], %cst{{.*}} : f32
// CHECK: arith.cmpf olt, %[[P]]
// CHECK: %[[FITS:.*]] = arith.andi
// CHECK: %[[SAFE:.*]] = arith.select %[[FITS]], %[[P]]
// CHECK: %[[INT:.*]] = arith.fptosi %[[SAFE]] : f32 to i32
// CHECK: arith.constant -2147483648 : i32
// CHECK: arith.select %[[FITS]], %[[INT]]
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: math.powf
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.select
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK: linalg.yield
func.func @pow(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>) {
  %0 = kiln.pow %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.pow %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.pow %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>
}

// maximum: maximumf (NaN wins), maxsi, maxui for uint8, ori for i1.
// CHECK-LABEL: func.func @maximum(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.maximumf
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.maxsi
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.maxui
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.ori
// CHECK: linalg.yield
func.func @maximum(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>,
    %x3: tensor<?xi1>, %y3: tensor<?xi1>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>, tensor<?xi1>) {
  %0 = kiln.maximum %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.maximum %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.maximum %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  %3 = kiln.maximum %x3, %y3 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2, %3 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>, tensor<?xi1>
}

// minimum: minimumf (NaN wins), minsi, minui for uint8, andi for i1.
// CHECK-LABEL: func.func @minimum(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.minimumf
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.minsi
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.minui
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.andi
// CHECK: linalg.yield
func.func @minimum(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>,
    %x3: tensor<?xi1>, %y3: tensor<?xi1>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>, tensor<?xi1>) {
  %0 = kiln.minimum %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.minimum %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.minimum %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  %3 = kiln.minimum %x3, %y3 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2, %3 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>, tensor<?xi1>
}

// mod: the remainder takes the divisor's sign (Python's), x mod 0 = 0; signed
// integers use div's safe divisor, uint8 remui.
// CHECK-LABEL: func.func @mod(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.remf
// CHECK: arith.cmpf olt
// CHECK: arith.cmpf olt
// CHECK: arith.cmpf une
// CHECK: arith.xori
// CHECK: arith.andi
// CHECK: arith.addf
// CHECK: arith.select
// CHECK: arith.cmpf oeq
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi eq
// CHECK: arith.cmpi eq
// CHECK: arith.ori
// CHECK: arith.select
// CHECK: arith.remsi
// CHECK: arith.cmpi slt
// CHECK: arith.cmpi slt
// CHECK: arith.cmpi ne
// CHECK: arith.xori
// CHECK: arith.andi
// CHECK: arith.addi
// CHECK: arith.select
// CHECK: arith.ori
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.cmpi eq
// CHECK: arith.select
// CHECK: arith.remui
// CHECK: arith.select
// CHECK: linalg.yield
func.func @mod(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xui8>) {
  %0 = kiln.mod %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.mod %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.mod %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xi32>, tensor<?xui8>
}

// Comparisons give i1: ordered float predicates (une for ne, so NaN != x),
// signed integer ones, unsigned ones for uint8 and i1 (false < true).
// CHECK-LABEL: func.func @eq(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf oeq
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi eq
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.cmpi eq
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.cmpi eq
// CHECK: linalg.yield
func.func @eq(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>,
    %x3: tensor<?xi1>, %y3: tensor<?xi1>)
    -> (tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>) {
  %0 = kiln.eq %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.eq %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.eq %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  %3 = kiln.eq %x3, %y3 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2, %3 : tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>
}

// CHECK-LABEL: func.func @ne(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf une
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi ne
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.cmpi ne
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.cmpi ne
// CHECK: linalg.yield
func.func @ne(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>,
    %x3: tensor<?xi1>, %y3: tensor<?xi1>)
    -> (tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>) {
  %0 = kiln.ne %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.ne %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.ne %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  %3 = kiln.ne %x3, %y3 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2, %3 : tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>
}

// CHECK-LABEL: func.func @lt(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf olt
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi slt
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.cmpi ult
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.cmpi ult
// CHECK: linalg.yield
func.func @lt(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>,
    %x3: tensor<?xi1>, %y3: tensor<?xi1>)
    -> (tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>) {
  %0 = kiln.lt %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.lt %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.lt %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  %3 = kiln.lt %x3, %y3 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2, %3 : tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>
}

// CHECK-LABEL: func.func @le(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf ole
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi sle
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.cmpi ule
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.cmpi ule
// CHECK: linalg.yield
func.func @le(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>,
    %x3: tensor<?xi1>, %y3: tensor<?xi1>)
    -> (tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>) {
  %0 = kiln.le %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.le %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.le %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  %3 = kiln.le %x3, %y3 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2, %3 : tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>
}

// CHECK-LABEL: func.func @gt(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf ogt
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi sgt
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.cmpi ugt
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.cmpi ugt
// CHECK: linalg.yield
func.func @gt(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>,
    %x3: tensor<?xi1>, %y3: tensor<?xi1>)
    -> (tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>) {
  %0 = kiln.gt %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.gt %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.gt %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  %3 = kiln.gt %x3, %y3 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2, %3 : tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>
}

// CHECK-LABEL: func.func @ge(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf oge
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi sge
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i8
// CHECK: arith.cmpi uge
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.cmpi uge
// CHECK: linalg.yield
func.func @ge(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xui8>, %y2: tensor<?xui8>,
    %x3: tensor<?xi1>, %y3: tensor<?xi1>)
    -> (tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>) {
  %0 = kiln.ge %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.ge %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.ge %x2, %y2 : tensor<?xui8>, tensor<?xui8>
  %3 = kiln.ge %x3, %y3 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2, %3 : tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>
}

// Logical ops combine each operand's truth (x != 0, une for floats) with
// andi/ori/xori; i1 operands directly.
// CHECK-LABEL: func.func @logical_and(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf une
// CHECK: arith.cmpf une
// CHECK: arith.andi
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi ne
// CHECK: arith.cmpi ne
// CHECK: arith.andi
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.andi
// CHECK: linalg.yield
func.func @logical_and(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xi1>, %y2: tensor<?xi1>)
    -> (tensor<?xi1>, tensor<?xi1>, tensor<?xi1>) {
  %0 = kiln.logical_and %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.logical_and %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.logical_and %x2, %y2 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2 : tensor<?xi1>, tensor<?xi1>, tensor<?xi1>
}

// CHECK-LABEL: func.func @logical_or(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf une
// CHECK: arith.cmpf une
// CHECK: arith.ori
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi ne
// CHECK: arith.cmpi ne
// CHECK: arith.ori
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.ori
// CHECK: linalg.yield
func.func @logical_or(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xi1>, %y2: tensor<?xi1>)
    -> (tensor<?xi1>, tensor<?xi1>, tensor<?xi1>) {
  %0 = kiln.logical_or %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.logical_or %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.logical_or %x2, %y2 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2 : tensor<?xi1>, tensor<?xi1>, tensor<?xi1>
}

// CHECK-LABEL: func.func @logical_xor(
// CHECK: ^bb0(%{{.*}}: f32
// CHECK: arith.cmpf une
// CHECK: arith.cmpf une
// CHECK: arith.xori
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i32
// CHECK: arith.cmpi ne
// CHECK: arith.cmpi ne
// CHECK: arith.xori
// CHECK: linalg.yield
// CHECK: ^bb0(%{{.*}}: i1
// CHECK: arith.xori
// CHECK: linalg.yield
func.func @logical_xor(%x0: tensor<?xf32>, %y0: tensor<?xf32>,
    %x1: tensor<?xi32>, %y1: tensor<?xi32>,
    %x2: tensor<?xi1>, %y2: tensor<?xi1>)
    -> (tensor<?xi1>, tensor<?xi1>, tensor<?xi1>) {
  %0 = kiln.logical_xor %x0, %y0 : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.logical_xor %x1, %y1 : tensor<?xi32>, tensor<?xi32>
  %2 = kiln.logical_xor %x2, %y2 : tensor<?xi1>, tensor<?xi1>
  return %0, %1, %2 : tensor<?xi1>, tensor<?xi1>, tensor<?xi1>
}

// -----

// Constants become arith constants; uint8 values keep their bits as i8.
// CHECK-LABEL: func.func @constants() -> (tensor<f32>, tensor<2xi8>)
// CHECK-DAG: arith.constant dense<2.000000e+00> : tensor<f32>
// CHECK-DAG: arith.constant dense<[1, -1]> : tensor<2xi8>
// CHECK-NOT: kiln.constant
func.func @constants() -> (tensor<f32>, tensor<2xui8>) {
  %0 = kiln.constant dense<2.0> : tensor<f32>
  %1 = kiln.constant dense<[1, 255]> : tensor<2xui8>
  return %0, %1 : tensor<f32>, tensor<2xui8>
}

// -----

// bf16 computes in f32 and rounds once; f16 comparisons compare in f32.
// CHECK-LABEL: func.func @narrow_floats
// CHECK: ^bb0(%[[X:.*]]: bf16, %[[Y:.*]]: bf16, %{{.*}}: bf16):
// CHECK: %[[WX:.*]] = arith.extf %[[X]] : bf16 to f32
// CHECK: %[[WY:.*]] = arith.extf %[[Y]] : bf16 to f32
// CHECK: %[[S:.*]] = arith.addf %[[WX]], %[[WY]] : f32
// CHECK: %[[N:.*]] = arith.truncf %[[S]] : f32 to bf16
// CHECK: linalg.yield %[[N]] : bf16
// CHECK: ^bb0(%[[A:.*]]: f16, %[[B:.*]]: f16, %{{.*}}: i1):
// CHECK: %[[WA:.*]] = arith.extf %[[A]] : f16 to f32
// CHECK: %[[WB:.*]] = arith.extf %[[B]] : f16 to f32
// CHECK: %[[C:.*]] = arith.cmpf olt, %[[WA]], %[[WB]] : f32
// CHECK: linalg.yield %[[C]] : i1
func.func @narrow_floats(%a: tensor<?xbf16>, %b: tensor<?xbf16>, %c: tensor<?xf16>, %d: tensor<?xf16>)
    -> (tensor<?xbf16>, tensor<?xi1>) {
  %0 = kiln.add %a, %b : tensor<?xbf16>, tensor<?xbf16>
  %1 = kiln.lt %c, %d : tensor<?xf16>, tensor<?xf16>
  return %0, %1 : tensor<?xbf16>, tensor<?xi1>
}

// -----

// Every kind of cast: float widths extend or truncate; floats to integers
// truncate toward zero (to uint8 through i32, so negatives wrap); integers to
// floats are signed, uint8 and i1 unsigned; integer widths extend (signed,
// unsigned for uint8 and i1) or truncate; int8 <-> uint8 keeps the bits; to i1
// is x != 0; to bf16 from anything but f32 goes through f64 rounded to odd,
// so that the last rounding is the only one.
// CHECK-LABEL: func.func @casts
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: %[[W:.*]] = arith.fptosi %{{.*}} : f32 to i32
// CHECK-NEXT: arith.trunci %[[W]] : i32 to i8
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.extsi %{{.*}} : i32 to i64
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.extui %{{.*}} : i1 to i64
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: ^bb0(%[[D:.*]]: f64, %{{.*}}: bf16):
// CHECK: %[[NEAR:.*]] = arith.truncf %[[D]] : f64 to f32
// CHECK: arith.bitcast %[[NEAR]] : f32 to i32
// CHECK: arith.ori
// CHECK: %[[ODD:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: arith.truncf %[[ODD]] : f32 to bf16
// CHECK: ^bb0(%[[I:.*]]: i32, %{{.*}}: bf16):
// CHECK: arith.sitofp %[[I]] : i32 to f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: arith.cmpi ne, %{{.*}}, %{{.*}} : i32
// CHECK: ^bb0(%[[U:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: linalg.yield %[[U]] : i8
// CHECK: arith.uitofp %{{.*}} : i1 to f32
func.func @casts(%f: tensor<4xf32>, %i: tensor<4xi32>, %u: tensor<4xui8>, %b: tensor<4xi1>, %d: tensor<4xf64>)
    -> (tensor<4xf64>, tensor<4xf16>, tensor<4xui8>, tensor<4xf32>, tensor<4xf32>, tensor<4xi64>, tensor<4xi8>,
        tensor<4xi32>, tensor<4xi64>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xi1>, tensor<4xi8>,
        tensor<4xf32>) {
  %0 = kiln.cast %f : tensor<4xf32> to tensor<4xf64>
  %1 = kiln.cast %f : tensor<4xf32> to tensor<4xf16>
  %2 = kiln.cast %f : tensor<4xf32> to tensor<4xui8>
  %3 = kiln.cast %i : tensor<4xi32> to tensor<4xf32>
  %4 = kiln.cast %u : tensor<4xui8> to tensor<4xf32>
  %5 = kiln.cast %i : tensor<4xi32> to tensor<4xi64>
  %6 = kiln.cast %i : tensor<4xi32> to tensor<4xi8>
  %7 = kiln.cast %u : tensor<4xui8> to tensor<4xi32>
  %8 = kiln.cast %b : tensor<4xi1> to tensor<4xi64>
  %9 = kiln.cast %f : tensor<4xf32> to tensor<4xbf16>
  %10 = kiln.cast %d : tensor<4xf64> to tensor<4xbf16>
  %11 = kiln.cast %i : tensor<4xi32> to tensor<4xbf16>
  %12 = kiln.cast %i : tensor<4xi32> to tensor<4xi1>
  %13 = kiln.cast %u : tensor<4xui8> to tensor<4xi8>
  %14 = kiln.cast %b : tensor<4xi1> to tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14
      : tensor<4xf64>, tensor<4xf16>, tensor<4xui8>, tensor<4xf32>, tensor<4xf32>, tensor<4xi64>, tensor<4xi8>,
        tensor<4xi32>, tensor<4xi64>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xi1>, tensor<4xi8>,
        tensor<4xf32>
}

// -----

// Each reduction starts from its identity: 0 for sums, 1 for products, the
// lowest value for max and the highest for min (-inf/+inf for floats, signed
// or, for uint8, unsigned bounds). Integers combine with addi, muli,
// maxsi/minsi or maxui/minui; floats reassociably. bf16 accumulates in f32
// and rounds in an epilogue; keepdims expands the unit dimensions back.
// CHECK-LABEL: func.func @reductions
// CHECK: %[[Z:.*]] = arith.constant 0 : i32
// CHECK: linalg.fill ins(%[[Z]] : i32)
// CHECK: arith.addi %{{.*}}, %{{.*}} : i32
// CHECK: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: linalg.fill ins(%[[ONE]] : i32)
// CHECK: arith.muli %{{.*}}, %{{.*}} : i32
// CHECK: %[[LOWEST:.*]] = arith.constant -2147483648 : i32
// CHECK: linalg.fill ins(%[[LOWEST]] : i32)
// CHECK: arith.maxsi %{{.*}}, %{{.*}} : i32
// CHECK: %[[U0:.*]] = arith.constant 0 : i8
// CHECK: linalg.fill ins(%[[U0]] : i8)
// CHECK: arith.maxui %{{.*}}, %{{.*}} : i8
// CHECK: %[[U255:.*]] = arith.constant -1 : i8
// CHECK: linalg.fill ins(%[[U255]] : i8)
// CHECK: arith.minui %{{.*}}, %{{.*}} : i8
// CHECK: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK: linalg.fill ins(%[[INF]] : f32)
// CHECK: iterator_types = ["reduction", "parallel"]
// CHECK: arith.minimumf %{{.*}}, %{{.*}} fastmath<reassoc> : f32
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, %{{.*}}] : tensor<?xf32> into tensor<1x?xf32>
// CHECK: %[[FONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: linalg.fill ins(%[[FONE]] : f32)
// CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<reassoc> : f32
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK: ^bb0(%[[H:.*]]: bf16, %[[ACC:.*]]: f32):
// CHECK: %[[WH:.*]] = arith.extf %[[H]] : bf16 to f32
// CHECK: arith.maximumf %[[ACC]], %[[WH]] fastmath<reassoc> : f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[HIGHEST:.*]] = arith.constant 2147483647 : i32
// CHECK: linalg.fill ins(%[[HIGHEST]] : i32)
// CHECK: arith.minsi %{{.*}}, %{{.*}} : i32
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [%{{.*}}, 1] : tensor<?xi32> into tensor<?x1xi32>
func.func @reductions(%a: tensor<?x?xi32>, %u: tensor<?x?xui8>, %f: tensor<4x?xf32>, %h: tensor<?x?xbf16>)
    -> (tensor<?xi32>, tensor<?xi32>, tensor<?xi32>, tensor<?xui8>, tensor<?xui8>, tensor<1x?xf32>, tensor<?xf32>,
        tensor<?xbf16>, tensor<?x1xi32>) {
  %0 = kiln.reduce_sum %a {axes = array<i64: 1>} : tensor<?x?xi32> -> tensor<?xi32>
  %1 = kiln.reduce_prod %a {axes = array<i64: 1>} : tensor<?x?xi32> -> tensor<?xi32>
  %2 = kiln.reduce_max %a {axes = array<i64: 1>} : tensor<?x?xi32> -> tensor<?xi32>
  %3 = kiln.reduce_max %u {axes = array<i64: 1>} : tensor<?x?xui8> -> tensor<?xui8>
  %4 = kiln.reduce_min %u {axes = array<i64: 1>} : tensor<?x?xui8> -> tensor<?xui8>
  %5 = kiln.reduce_min %f {axes = array<i64: 0>, keepdims = true} : tensor<4x?xf32> -> tensor<1x?xf32>
  %6 = kiln.reduce_prod %f {axes = array<i64: 0>} : tensor<4x?xf32> -> tensor<?xf32>
  %7 = kiln.reduce_max %h {axes = array<i64: 0>} : tensor<?x?xbf16> -> tensor<?xbf16>
  %8 = kiln.reduce_min %a {axes = array<i64: 1>, keepdims = true} : tensor<?x?xi32> -> tensor<?x1xi32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8
      : tensor<?xi32>, tensor<?xi32>, tensor<?xi32>, tensor<?xui8>, tensor<?xui8>, tensor<1x?xf32>, tensor<?xf32>,
        tensor<?xbf16>, tensor<?x1xi32>
}

// -----

// argmin compares with olt (floats) or slt/ult (signed, uint8); the first
// position of the axis always counts as seen, so an all-NaN row answers 0.
// CHECK-LABEL: func.func @argmin
// CHECK: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK: linalg.fill ins(%[[INF]] : f32)
// CHECK: ^bb0(%[[X:.*]]: f32, %[[BEST:.*]]: f32, %[[AT:.*]]: i64):
// CHECK: %[[LESS:.*]] = arith.cmpf olt, %[[X]], %[[BEST]] : f32
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK: %[[POS:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[POS]], %{{.*}} : i64
// CHECK: %[[TAKE:.*]] = arith.ori %[[LESS]], %[[FIRST]] : i1
// CHECK: %[[V:.*]] = arith.select %[[TAKE]], %[[X]], %[[BEST]] : f32
// CHECK: %[[P:.*]] = arith.select %[[TAKE]], %[[POS]], %[[AT]] : i64
// CHECK: linalg.yield %[[V]], %[[P]] : f32, i64
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] {{.*}} : tensor<?xi64> into tensor<1x?xi64>
// CHECK: arith.cmpi slt, %{{.*}}, %{{.*}} : i32
// CHECK: %[[UMAX:.*]] = arith.constant 0 : i8
// CHECK: linalg.fill ins(%[[UMAX]] : i8)
// CHECK: arith.cmpi ugt, %{{.*}}, %{{.*}} : i8
func.func @argmin(%a: tensor<?x?xf32>, %b: tensor<?x?xi32>, %c: tensor<?x?xui8>)
    -> (tensor<1x?xi64>, tensor<?xi64>, tensor<?xi64>) {
  %0 = kiln.argmin %a {axis = 0 : i64, keepdims = true} : tensor<?x?xf32> -> tensor<1x?xi64>
  %1 = kiln.argmin %b {axis = 1 : i64} : tensor<?x?xi32> -> tensor<?xi64>
  %2 = kiln.argmax %c {axis = 1 : i64} : tensor<?x?xui8> -> tensor<?xi64>
  return %0, %1, %2 : tensor<1x?xi64>, tensor<?xi64>, tensor<?xi64>
}

// -----

// f16 matmul accumulates in f32 and rounds once in an epilogue; m comes from
// the lhs and n from the rhs.
// CHECK-LABEL: func.func @matmul_f16
// CHECK-SAME: (%[[A:.*]]: tensor<?x8xf16>, %[[B:.*]]: tensor<8x?xf16>)
// CHECK-DAG: %[[M:.*]] = tensor.dim %[[A]], %c0
// CHECK-DAG: %[[N:.*]] = tensor.dim %[[B]], %c1
// CHECK: %[[ACC:.*]] = tensor.empty(%[[M]], %[[N]]) : tensor<?x?xf32>
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[ACC]] : tensor<?x?xf32>)
// CHECK: %[[PRODUCT:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: outs(%[[ZERO]] : tensor<?x?xf32>) attrs = {kiln.matmul}
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[PRODUCT]] : tensor<?x?xf32>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @matmul_f16(%a: tensor<?x8xf16>, %b: tensor<8x?xf16>) -> tensor<?x?xf16> {
  %0 = kiln.matmul %a, %b : tensor<?x8xf16>, tensor<8x?xf16>
  return %0 : tensor<?x?xf16>
}

// -----

// broadcast_to: a generic reading the operand with broadcast maps; dynamic
// result extents are the index operands.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (0, d2)>
// CHECK-LABEL: func.func @broadcast_to
// CHECK-SAME: (%[[X:.*]]: tensor<1x3xf32>, %[[N:.*]]: index)
// CHECK: %[[INIT:.*]] = tensor.empty(%[[N]]) : tensor<2x?x3xf32>
// CHECK: linalg.generic
// CHECK-SAME: indexing_maps = [#[[IN]], #{{.*}}]
// CHECK-SAME: ins(%[[X]] : tensor<1x3xf32>) outs(%[[INIT]] : tensor<2x?x3xf32>)
// CHECK: ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[V]] : f32
func.func @broadcast_to(%x: tensor<1x3xf32>, %n: index) -> tensor<2x?x3xf32> {
  %0 = kiln.broadcast_to %x, %n : tensor<1x3xf32> -> tensor<2x?x3xf32>
  return %0 : tensor<2x?x3xf32>
}

// -----

// iota: linalg.index along the dimension, converted to the element type
// (sitofp for floats, trunci below 64 bits, as is for i64).
// CHECK-LABEL: func.func @iota
// CHECK: tensor.empty(%arg0) : tensor<3x?xf32>
// CHECK: %[[I:.*]] = linalg.index 1 : index
// CHECK: %[[W:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK: arith.sitofp %[[W]] : i64 to f32
// CHECK: %[[J:.*]] = linalg.index 0 : index
// CHECK: %[[V:.*]] = arith.index_cast %[[J]] : index to i64
// CHECK: arith.trunci %[[V]] : i64 to i8
// CHECK: %[[K:.*]] = linalg.index 0 : index
// CHECK: %[[L:.*]] = arith.index_cast %[[K]] : index to i64
// CHECK-NEXT: linalg.yield %[[L]] : i64
func.func @iota(%n: index) -> (tensor<3x?xf32>, tensor<5xui8>, tensor<4xi64>) {
  %0 = kiln.iota %n {dimension = 1 : i64} : tensor<3x?xf32>
  %1 = kiln.iota {dimension = 0 : i64} : tensor<5xui8>
  %2 = kiln.iota {dimension = 0 : i64} : tensor<4xi64>
  return %0, %1, %2 : tensor<3x?xf32>, tensor<5xui8>, tensor<4xi64>
}

// -----

// slice: an unbounded (INT64_MIN) begin is 0 and end is the extent; a
// negative bound counts from the end and is clamped to [0, extent].
// CHECK-LABEL: func.func @slice_unbounded
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?xf32>,
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[EXTENT:.*]] = tensor.dim %[[X]], %{{.*}}
// CHECK-DAG: %[[MINUS2:.*]] = arith.constant -2 : index
// CHECK: %[[FROM_END:.*]] = arith.addi %[[MINUS2]], %[[EXTENT]] : index
// CHECK: %[[LOW:.*]] = arith.maxsi %[[FROM_END]], %[[ZERO]] : index
// CHECK: %[[FIRST:.*]] = arith.minsi %[[LOW]], %[[EXTENT]] : index
// CHECK: %[[SPAN:.*]] = arith.subi %[[EXTENT]], %[[FIRST]] : index
// CHECK: %[[COUNT:.*]] = arith.ceildivsi %[[SPAN]], %{{.*}} : index
// CHECK: %[[SIZE:.*]] = arith.maxsi %[[COUNT]], %[[ZERO]] : index
// CHECK: tensor.extract_slice %[[X]][%[[FIRST]]] [%[[SIZE]]] [%{{.*}}] : tensor<?xf32> to tensor<?xf32>
// CHECK: %[[S:.*]] = tensor.extract_slice %{{.*}} : tensor<8xf32> to tensor<?xf32>
// CHECK: tensor.cast %[[S]] : tensor<?xf32> to tensor<4xf32>
func.func @slice_unbounded(%x: tensor<?xf32>, %y: tensor<8xf32>) -> (tensor<?xf32>, tensor<4xf32>) {
  %0 = kiln.slice %x {begin = array<i64: -2>, end = array<i64: -9223372036854775808>, step = array<i64: 1>} : tensor<?xf32> -> tensor<?xf32>
  %1 = kiln.slice %y {begin = array<i64: -9223372036854775808>, end = array<i64: -9223372036854775808>, step = array<i64: 2>} : tensor<8xf32> -> tensor<4xf32>
  return %0, %1 : tensor<?xf32>, tensor<4xf32>
}

// -----

// concat: an empty tensor of the summed extent, each operand inserted at the
// running offset along the axis.
// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.*]]: tensor<2x?xf32>, %[[B:.*]]: tensor<2x3xf32>)
// CHECK-DAG: %[[EA:.*]] = tensor.dim %[[A]], %c1
// CHECK-DAG: %[[EB:.*]] = tensor.dim %[[B]], %c1
// CHECK: %[[T0:.*]] = arith.addi %{{.*}}, %[[EA]] : index
// CHECK: %[[TOTAL:.*]] = arith.addi %[[T0]], %[[EB]] : index
// CHECK: %[[INIT:.*]] = tensor.empty(%[[TOTAL]]) : tensor<2x?xf32>
// CHECK: %[[R0:.*]] = tensor.insert_slice %[[A]] into %[[INIT]][0, %{{.*}}] [2, %{{.*}}] [1, 1]
// CHECK: %[[OFFSET:.*]] = arith.addi %{{.*}}, %[[EA]] : index
// CHECK: tensor.insert_slice %[[B]] into %[[R0]][0, %[[OFFSET]]] [2, 3] [1, 1]
func.func @concat(%a: tensor<2x?xf32>, %b: tensor<2x3xf32>) -> tensor<2x?xf32> {
  %0 = kiln.concat %a, %b {axis = 1 : i64} : tensor<2x?xf32>, tensor<2x3xf32> -> tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

// -----

// reshape: tensor.reshape with a shape of constants and the index operands.
// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:.*]]: tensor<?x6xi32>, %[[N:.*]]: index)
// CHECK: %[[C3:.*]] = arith.constant 3 : index
// CHECK: %[[SHAPE:.*]] = tensor.from_elements %[[N]], %[[C3]] : tensor<2xindex>
// CHECK: tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<?x6xi32>, tensor<2xindex>) -> tensor<?x3xi32>
func.func @reshape(%x: tensor<?x6xi32>, %n: index) -> tensor<?x3xi32> {
  %0 = kiln.reshape %x, %n : tensor<?x6xi32> -> tensor<?x3xi32>
  return %0 : tensor<?x3xi32>
}

// -----

// reshape to rank 0: an empty shape, typed (there is no extent to infer
// its type from); to the operand's own static type: nothing.
// CHECK-LABEL: func.func @reshape_to_rank0
// CHECK-SAME: (%[[X:.*]]: tensor<1x1xf32>, %[[S:.*]]: tensor<f32>)
// CHECK: %[[SHAPE:.*]] = tensor.from_elements  : tensor<0xindex>
// CHECK: %[[R:.*]] = tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<1x1xf32>, tensor<0xindex>) -> tensor<f32>
// CHECK: return %[[R]], %[[S]]
func.func @reshape_to_rank0(%x: tensor<1x1xf32>, %s: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = kiln.reshape %x : tensor<1x1xf32> -> tensor<f32>
  %1 = kiln.reshape %s : tensor<f32> -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}

// -----

// pad: a tensor of the padded shape filled with the value (converted to the
// element type) and the operand inserted at the low pads.
// CHECK-LABEL: func.func @pad
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xi32>)
// CHECK: %[[E:.*]] = tensor.dim %[[X]], %c0
// CHECK: %[[EXTENT:.*]] = arith.addi %[[E]], %c3
// CHECK: %[[V:.*]] = arith.constant 7 : i32
// CHECK: %[[INIT:.*]] = tensor.empty(%[[EXTENT]]) : tensor<?x4xi32>
// CHECK: %[[FILLED:.*]] = linalg.fill ins(%[[V]] : i32) outs(%[[INIT]] : tensor<?x4xi32>)
// CHECK: tensor.insert_slice %[[X]] into %[[FILLED]][1, 0] [%[[E]], 3] [1, 1] : tensor<?x3xi32> into tensor<?x4xi32>
func.func @pad(%x: tensor<?x3xi32>) -> tensor<?x4xi32> {
  %0 = kiln.pad %x {low = array<i64: 1, 0>, high = array<i64: 2, 1>, value = 7.9} : tensor<?x3xi32> -> tensor<?x4xi32>
  return %0 : tensor<?x4xi32>
}

// -----

// take with mode "wrap": ((i mod n) + n) mod n, n at least 1; the indices'
// dimensions replace the axis.
// CHECK-DAG: #[[INDICES:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @take_wrap
// CHECK-SAME: (%[[X:.*]]: tensor<3x?xf32>, %[[I:.*]]: tensor<2x4xi64>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %c1
// CHECK: linalg.generic
// CHECK-SAME: indexing_maps = [#[[INDICES]], #{{.*}}]
// CHECK: ^bb0(%[[RAW:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[IDX:.*]] = arith.index_cast %[[RAW]] : i64 to index
// CHECK: %[[SAFE:.*]] = arith.maxsi %[[N]], %{{.*}} : index
// CHECK: %[[R:.*]] = arith.remsi %[[IDX]], %[[SAFE]] : index
// CHECK: %[[S:.*]] = arith.addi %[[R]], %[[SAFE]] : index
// CHECK: %[[W:.*]] = arith.remsi %[[S]], %[[SAFE]] : index
// CHECK: %[[ROW:.*]] = linalg.index 0 : index
// CHECK: tensor.extract %[[X]][%[[ROW]], %[[W]]] : tensor<3x?xf32>
func.func @take_wrap(%x: tensor<3x?xf32>, %i: tensor<2x4xi64>) -> tensor<3x2x4xf32> {
  %0 = kiln.take %x, %i {axis = 1 : i64, mode = #kiln<index_mode wrap>} : tensor<3x?xf32>, tensor<2x4xi64> -> tensor<3x2x4xf32>
  return %0 : tensor<3x2x4xf32>
}

// -----

// scatter_add on integers with mode "wrap": addi into the carried
// accumulator at the wrapped index.
// CHECK-LABEL: func.func @scatter_add_wrap
// CHECK: %[[RESULT:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %arg0) -> (tensor<?xi32>)
// CHECK: %[[RAW:.*]] = tensor.extract %arg1[%{{.*}}] : tensor<?xi32>
// CHECK: arith.index_cast %[[RAW]] : i32 to index
// CHECK: arith.remsi
// CHECK: %[[W:.*]] = arith.remsi
// CHECK: %[[OLD:.*]] = tensor.extract %[[ACC]][%[[W]]] : tensor<?xi32>
// CHECK: %[[U:.*]] = tensor.extract %arg2[%{{.*}}] : tensor<?xi32>
// CHECK: %[[SUM:.*]] = arith.addi %[[OLD]], %[[U]] : i32
// CHECK: %[[NEW:.*]] = tensor.insert %[[SUM]] into %[[ACC]][%[[W]]] : tensor<?xi32>
// CHECK: scf.yield %[[NEW]] : tensor<?xi32>
// CHECK: return %[[RESULT]]
func.func @scatter_add_wrap(%d: tensor<?xi32>, %i: tensor<?xi32>, %u: tensor<?xi32>) -> tensor<?xi32> {
  %0 = kiln.scatter_add %d, %i, %u {axis = 0 : i64, mode = #kiln<index_mode wrap>} : tensor<?xi32>, tensor<?xi32>, tensor<?xi32> -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// random_normal: Box-Muller, sqrt(-2 ln u1) cos(2 pi u2), scaled by stddev
// and shifted by mean; f16 computes in f32 and rounds, f64 in f64.
// CHECK-LABEL: func.func @random_normal
// CHECK: %[[SEED:.*]] = tensor.extract %arg0[] : tensor<i64>
// CHECK: linalg.generic
// CHECK: arith.mului_extended
// CHECK: math.log %{{.*}} : f32
// CHECK: math.sqrt %{{.*}} : f32
// CHECK: math.cos %{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: linalg.generic
// CHECK: math.log %{{.*}} : f64
// CHECK: math.cos %{{.*}} : f64
// CHECK-NOT: arith.truncf
// CHECK: return
func.func @random_normal(%seed: tensor<i64>) -> (tensor<4x4xf16>, tensor<8xf64>) {
  %0 = kiln.random_normal %seed {mean = 1.0, stddev = 2.0} : tensor<i64> -> tensor<4x4xf16>
  %1 = kiln.random_normal %seed {mean = 0.0, stddev = 1.0} : tensor<i64> -> tensor<8xf64>
  return %0, %1 : tensor<4x4xf16>, tensor<8xf64>
}

// -----

//===----------------------------------------------------------------------===//
// Library-backed primitives: tensor.empty + kiln.library_call
//===----------------------------------------------------------------------===//

// convolution: a new tensor of the result type (its dynamic batch from the
// input), written by the runtime's f32 kernel. params: strides, padding_low,
// padding_high, dilations (one entry per spatial dimension each), groups.
// CHECK-LABEL: func.func @convolution_f32
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x9x9xf32>, %[[W:.*]]: tensor<6x2x3x3xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4x9x9xf32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[N]]) : tensor<?x6x4x7xf32>
// CHECK: %[[Y:.*]] = kiln.library_call "kiln_convolution_f32" ins(%[[X]], %[[W]] : tensor<?x4x9x9xf32>, tensor<6x2x3x3xf32>) outs(%[[INIT]] : tensor<?x6x4x7xf32>) {params = array<i64: 2, 1, 1, 0, 0, 2, 1, 2, 2>} -> tensor<?x6x4x7xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: linalg
func.func @convolution_f32(%x: tensor<?x4x9x9xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<?x6x4x7xf32> {
  %0 = kiln.convolution %x, %w {strides = array<i64: 2, 1>, padding_low = array<i64: 1, 0>, padding_high = array<i64: 0, 2>, dilations = array<i64: 1, 2>, groups = 2 : i64} : tensor<?x4x9x9xf32>, tensor<6x2x3x3xf32> -> tensor<?x6x4x7xf32>
  return %0 : tensor<?x6x4x7xf32>
}

// -----

// f64 calls the _f64 entry point. Dynamic extents: N from the input, O from
// the filter, the spatial one (x + low + high - (dilation * (k - 1) + 1)) /
// stride + 1 from both.
// CHECK-LABEL: func.func @convolution_f64_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x?xf64>, %[[W:.*]]: tensor<?x?x?xf64>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK: %[[O:.*]] = tensor.dim %[[W]], %c0
// CHECK: %[[K:.*]] = tensor.dim %[[W]], %c2
// CHECK: %[[L:.*]] = tensor.dim %[[X]], %c2
// CHECK: %[[ONE:.*]] = arith.constant 1 : index
// CHECK: %[[K1:.*]] = arith.subi %[[K]], %[[ONE]] : index
// CHECK: %[[DILATION:.*]] = arith.constant 2 : index
// CHECK: %[[DK:.*]] = arith.muli %[[DILATION]], %[[K1]] : index
// CHECK: %[[SPAN:.*]] = arith.addi %[[DK]], %[[ONE]] : index
// CHECK: %[[PADS:.*]] = arith.constant 3 : index
// CHECK: %[[PADDED:.*]] = arith.addi %[[L]], %[[PADS]] : index
// CHECK: %[[ROOM:.*]] = arith.subi %[[PADDED]], %[[SPAN]] : index
// CHECK: %[[STRIDE:.*]] = arith.constant 3 : index
// CHECK: %[[Q:.*]] = arith.divsi %[[ROOM]], %[[STRIDE]] : index
// CHECK: %[[OUT:.*]] = arith.addi %[[Q]], %[[ONE]] : index
// CHECK: %[[INIT:.*]] = tensor.empty(%[[N]], %[[O]], %[[OUT]]) : tensor<?x?x?xf64>
// CHECK: kiln.library_call "kiln_convolution_f64" ins(%[[X]], %[[W]] : tensor<?x?x?xf64>, tensor<?x?x?xf64>) outs(%[[INIT]] : tensor<?x?x?xf64>) {params = array<i64: 3, 1, 2, 2, 1>} -> tensor<?x?x?xf64>
func.func @convolution_f64_dynamic(%x: tensor<?x?x?xf64>, %w: tensor<?x?x?xf64>) -> tensor<?x?x?xf64> {
  %0 = kiln.convolution %x, %w {strides = array<i64: 3>, padding_low = array<i64: 1>, padding_high = array<i64: 2>, dilations = array<i64: 2>, groups = 1 : i64} : tensor<?x?x?xf64>, tensor<?x?x?xf64> -> tensor<?x?x?xf64>
  return %0 : tensor<?x?x?xf64>
}

// -----

// The backward convolutions take their dynamic extents from their index
// operands: output_grad and filter in, the input gradient out.
// CHECK-LABEL: func.func @convolution_backward_data
// CHECK-SAME: (%[[DY:.*]]: tensor<?x8x5xf32>, %[[W:.*]]: tensor<8x3x3xf32>, %[[N:.*]]: index)
// CHECK: %[[INIT:.*]] = tensor.empty(%[[N]]) : tensor<?x3x11xf32>
// CHECK: kiln.library_call "kiln_convolution_backward_data_f32" ins(%[[DY]], %[[W]] : tensor<?x8x5xf32>, tensor<8x3x3xf32>) outs(%[[INIT]] : tensor<?x3x11xf32>) {params = array<i64: 2, 0, 0, 1, 1>} -> tensor<?x3x11xf32>
func.func @convolution_backward_data(%dy: tensor<?x8x5xf32>, %w: tensor<8x3x3xf32>, %n: index) -> tensor<?x3x11xf32> {
  %0 = kiln.convolution_backward_data %dy, %w, %n {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<?x8x5xf32>, tensor<8x3x3xf32> -> tensor<?x3x11xf32>
  return %0 : tensor<?x3x11xf32>
}

// -----

// Input and output_grad in, the filter gradient out; 3-D, grouped.
// CHECK-LABEL: func.func @convolution_backward_filter
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x5x6x7xf64>, %[[DY:.*]]: tensor<2x4x?x?x?xf64>, %[[O:.*]]: index)
// CHECK: %[[INIT:.*]] = tensor.empty(%[[O]]) : tensor<?x2x2x2x2xf64>
// CHECK: kiln.library_call "kiln_convolution_backward_filter_f64" ins(%[[X]], %[[DY]] : tensor<2x4x5x6x7xf64>, tensor<2x4x?x?x?xf64>) outs(%[[INIT]] : tensor<?x2x2x2x2xf64>) {params = array<i64: 1, 2, 3, 0, 1, 0, 1, 0, 0, 1, 1, 2, 2>} -> tensor<?x2x2x2x2xf64>
func.func @convolution_backward_filter(%x: tensor<2x4x5x6x7xf64>, %dy: tensor<2x4x?x?x?xf64>, %o: index) -> tensor<?x2x2x2x2xf64> {
  %0 = kiln.convolution_backward_filter %x, %dy, %o {strides = array<i64: 1, 2, 3>, padding_low = array<i64: 0, 1, 0>, padding_high = array<i64: 1, 0, 0>, dilations = array<i64: 1, 1, 2>, groups = 2 : i64} : tensor<2x4x5x6x7xf64>, tensor<2x4x?x?x?xf64> -> tensor<?x2x2x2x2xf64>
  return %0 : tensor<?x2x2x2x2xf64>
}

// -----

// pool: params are kind (0 max, 1 avg), count_include_pad (0/1), then
// window, strides, padding_low, padding_high. N and C come from the input.
// CHECK-LABEL: func.func @pool_avg
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x7x8xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?x7x8xf32>
// CHECK: %[[C:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?x7x8xf32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[N]], %[[C]]) : tensor<?x?x4x3xf32>
// CHECK: kiln.library_call "kiln_pool_f32" ins(%[[X]] : tensor<?x?x7x8xf32>) outs(%[[INIT]] : tensor<?x?x4x3xf32>) {params = array<i64: 1, 0, 3, 2, 2, 3, 1, 0, 1, 0>} -> tensor<?x?x4x3xf32>
func.func @pool_avg(%x: tensor<?x?x7x8xf32>) -> tensor<?x?x4x3xf32> {
  %0 = kiln.pool %x {kind = #kiln<pool_kind avg>, window = array<i64: 3, 2>, strides = array<i64: 2, 3>, padding_low = array<i64: 1, 0>, padding_high = array<i64: 1, 0>, count_include_pad = false} : tensor<?x?x7x8xf32> -> tensor<?x?x4x3xf32>
  return %0 : tensor<?x?x4x3xf32>
}

// -----

// A dynamic pooled extent: (x + low + high - window) / stride + 1.
// CHECK-LABEL: func.func @pool_max_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x?xf64>)
// CHECK: %[[L:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<2x3x?xf64>
// CHECK: %[[PADDED:.*]] = arith.addi %[[L]], %{{.*}} : index
// CHECK: %[[ROOM:.*]] = arith.subi %[[PADDED]], %{{.*}} : index
// CHECK: %[[Q:.*]] = arith.divsi %[[ROOM]], %{{.*}} : index
// CHECK: %[[OUT:.*]] = arith.addi %[[Q]], %{{.*}} : index
// CHECK: %[[INIT:.*]] = tensor.empty(%[[OUT]]) : tensor<2x3x?xf64>
// CHECK: kiln.library_call "kiln_pool_f64" ins(%[[X]] : tensor<2x3x?xf64>) outs(%[[INIT]] : tensor<2x3x?xf64>) {params = array<i64: 0, 1, 3, 2, 1, 0>} -> tensor<2x3x?xf64>
func.func @pool_max_dynamic(%x: tensor<2x3x?xf64>) -> tensor<2x3x?xf64> {
  %0 = kiln.pool %x {kind = #kiln<pool_kind max>, window = array<i64: 3>, strides = array<i64: 2>, padding_low = array<i64: 1>, padding_high = array<i64: 0>, count_include_pad = true} : tensor<2x3x?xf64> -> tensor<2x3x?xf64>
  return %0 : tensor<2x3x?xf64>
}

// -----

// pool_backward: the forward input and output_grad in; the gradient has the
// input's shape, its dynamic extents read from the input.
// CHECK-LABEL: func.func @pool_backward
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x?xf32>, %[[DY:.*]]: tensor<?x3x?xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3x?xf32>
// CHECK: %[[L:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3x?xf32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[N]], %[[L]]) : tensor<?x3x?xf32>
// CHECK: kiln.library_call "kiln_pool_backward_f32" ins(%[[X]], %[[DY]] : tensor<?x3x?xf32>, tensor<?x3x?xf32>) outs(%[[INIT]] : tensor<?x3x?xf32>) {params = array<i64: 0, 1, 2, 2, 0, 0>} -> tensor<?x3x?xf32>
func.func @pool_backward(%x: tensor<?x3x?xf32>, %dy: tensor<?x3x?xf32>) -> tensor<?x3x?xf32> {
  %0 = kiln.pool_backward %x, %dy {kind = #kiln<pool_kind max>, window = array<i64: 2>, strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, count_include_pad = true} : tensor<?x3x?xf32>, tensor<?x3x?xf32> -> tensor<?x3x?xf32>
  return %0 : tensor<?x3x?xf32>
}

// -----

// A library_call already there is legal and stays.
// CHECK-LABEL: func.func @library_call_stays
// CHECK: kiln.library_call "kiln_pool_f64"
func.func @library_call_stays(%x: tensor<2x3x4xf64>, %y: tensor<2x3x2xf64>) -> tensor<2x3x2xf64> {
  %0 = kiln.library_call "kiln_pool_f64" ins(%x : tensor<2x3x4xf64>) outs(%y : tensor<2x3x2xf64>) {params = array<i64: 0, 1, 2, 2, 0, 0>} -> tensor<2x3x2xf64>
  return %0 : tensor<2x3x2xf64>
}
