// RUN: kiln-opt %s --convert-kiln-to-linalg --canonicalize --kiln-fuse-elementwise --canonicalize --split-input-file | FileCheck %s

// A chain of elementwise ops with scalar constants: one generic, the
// constants folded into its body, the input read once.
// CHECK-LABEL: func.func @chain
// CHECK-DAG: %[[A:.*]] = arith.constant 1.500000e+00 : f32
// CHECK-DAG: %[[B:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<?xf32>)
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[T1:.*]] = arith.mulf %[[X]], %[[A]]
// CHECK: %[[T2:.*]] = arith.addf %[[T1]], %[[B]]
// CHECK: %[[T3:.*]] = arith.mulf %[[T2]], %[[X]]
// CHECK: math.exp %[[T3]]
// CHECK-NOT: linalg.generic
func.func @chain(%x: tensor<?xf32>) -> tensor<?xf32> {
  %a = kiln.constant dense<1.5> : tensor<f32>
  %b = kiln.constant dense<0.5> : tensor<f32>
  %t1 = kiln.mul %x, %a : tensor<?xf32>, tensor<f32>
  %t2 = kiln.add %t1, %b : tensor<?xf32>, tensor<f32>
  %t3 = kiln.mul %t2, %x : tensor<?xf32>, tensor<?xf32>
  %t4 = kiln.exp %t3 : tensor<?xf32>
  return %t4 : tensor<?xf32>
}

// -----

// Softmax's denominator: the max is its own reduction; subtracting it
// (broadcast), exp and the sum fuse into the second reduction.
// CHECK-LABEL: func.func @softmax_denominator
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
func.func @softmax_denominator(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %m = kiln.reduce_max %x {axes = array<i64: 1>, keepdims = true} : tensor<?x?xf32> -> tensor<?x1xf32>
  %d = kiln.sub %x, %m : tensor<?x?xf32>, tensor<?x1xf32>
  %e = kiln.exp %d : tensor<?x?xf32>
  %s = kiln.reduce_sum %e {axes = array<i64: 1>} : tensor<?x?xf32> -> tensor<?xf32>
  return %s : tensor<?xf32>
}

// -----

// An exp feeding two consumers must not be recomputed in each: it stays a
// kernel of its own, computed once.
// CHECK-LABEL: func.func @expensive_value_used_twice
// CHECK: %[[E:.*]] = linalg.generic
// CHECK: math.exp
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[E]], %{{.*}} :
// CHECK-NOT: math.exp
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[E]], %{{.*}} :
// CHECK-NOT: math.exp
// CHECK: arith.mulf
func.func @expensive_value_used_twice(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %e = kiln.exp %x : tensor<?xf32>
  %a = kiln.add %e, %x : tensor<?xf32>, tensor<?xf32>
  %b = kiln.mul %e, %x : tensor<?xf32>, tensor<?xf32>
  return %a, %b : tensor<?xf32>, tensor<?xf32>
}

// -----

// A cheap value feeding two consumers is recomputed in each: two kernels,
// no intermediate tensor.
// CHECK-LABEL: func.func @cheap_value_used_twice
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X:[^ ]*]] : tensor<?xf32>)
// CHECK: arith.addf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X]] : tensor<?xf32>)
// CHECK: arith.addf
// CHECK: arith.mulf
func.func @cheap_value_used_twice(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %e = kiln.add %x, %x : tensor<?xf32>, tensor<?xf32>
  %a = kiln.add %e, %x : tensor<?xf32>, tensor<?xf32>
  %b = kiln.mul %e, %x : tensor<?xf32>, tensor<?xf32>
  return %a, %b : tensor<?xf32>, tensor<?xf32>
}

// -----

// A value read twice by one op (x * x) is one operand, so fusing its
// producer copies the producer's body once: a chain of squares stays one
// multiplication per square instead of doubling at each step.
// CHECK-LABEL: func.func @chain_of_squares
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{[^ ]*}} : tensor<?xf32>)
// CHECK-COUNT-6: arith.mulf
// CHECK-NOT: arith.mulf
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
func.func @chain_of_squares(%x: tensor<?xf32>) -> tensor<?xf32> {
  %0 = kiln.mul %x, %x : tensor<?xf32>, tensor<?xf32>
  %1 = kiln.mul %0, %0 : tensor<?xf32>, tensor<?xf32>
  %2 = kiln.mul %1, %1 : tensor<?xf32>, tensor<?xf32>
  %3 = kiln.mul %2, %2 : tensor<?xf32>, tensor<?xf32>
  %4 = kiln.mul %3, %3 : tensor<?xf32>, tensor<?xf32>
  %5 = kiln.mul %4, %4 : tensor<?xf32>, tensor<?xf32>
  return %5 : tensor<?xf32>
}

// -----

// Diamonds that differ (a value read by two ops that meet again) are
// copied into a consumer only while its body stays within 64 ops: eight
// of them become one loop of about a hundred ops. Copied at every step,
// the body doubled with each diamond and the pass did not finish.
// CHECK-LABEL: func.func @chain_of_diamonds
// CHECK: linalg.generic
// CHECK: arith.negf
// CHECK: return
func.func @chain_of_diamonds(%x: tensor<?xf32>) -> tensor<?xf32> {
  %m0 = kiln.mul %x, %x : tensor<?xf32>, tensor<?xf32>
  %n0 = kiln.neg %x : tensor<?xf32>
  %a0 = kiln.add %m0, %n0 : tensor<?xf32>, tensor<?xf32>
  %m1 = kiln.mul %a0, %a0 : tensor<?xf32>, tensor<?xf32>
  %n1 = kiln.neg %a0 : tensor<?xf32>
  %a1 = kiln.add %m1, %n1 : tensor<?xf32>, tensor<?xf32>
  %m2 = kiln.mul %a1, %a1 : tensor<?xf32>, tensor<?xf32>
  %n2 = kiln.neg %a1 : tensor<?xf32>
  %a2 = kiln.add %m2, %n2 : tensor<?xf32>, tensor<?xf32>
  %m3 = kiln.mul %a2, %a2 : tensor<?xf32>, tensor<?xf32>
  %n3 = kiln.neg %a2 : tensor<?xf32>
  %a3 = kiln.add %m3, %n3 : tensor<?xf32>, tensor<?xf32>
  %m4 = kiln.mul %a3, %a3 : tensor<?xf32>, tensor<?xf32>
  %n4 = kiln.neg %a3 : tensor<?xf32>
  %a4 = kiln.add %m4, %n4 : tensor<?xf32>, tensor<?xf32>
  %m5 = kiln.mul %a4, %a4 : tensor<?xf32>, tensor<?xf32>
  %n5 = kiln.neg %a4 : tensor<?xf32>
  %a5 = kiln.add %m5, %n5 : tensor<?xf32>, tensor<?xf32>
  %m6 = kiln.mul %a5, %a5 : tensor<?xf32>, tensor<?xf32>
  %n6 = kiln.neg %a5 : tensor<?xf32>
  %a6 = kiln.add %m6, %n6 : tensor<?xf32>, tensor<?xf32>
  %m7 = kiln.mul %a6, %a6 : tensor<?xf32>, tensor<?xf32>
  %n7 = kiln.neg %a6 : tensor<?xf32>
  %a7 = kiln.add %m7, %n7 : tensor<?xf32>, tensor<?xf32>
  return %a7 : tensor<?xf32>
}

// -----

// A division is expensive too: used twice, it is computed once.
// CHECK-LABEL: func.func @division_used_twice
// CHECK: %[[Q:.*]] = linalg.generic
// CHECK: arith.divf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[Q]], %{{.*}} :
// CHECK-NOT: arith.divf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[Q]], %{{.*}} :
// CHECK-NOT: arith.divf
// CHECK: arith.mulf
func.func @division_used_twice(%x: tensor<?xf32>, %y: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %q = kiln.div %x, %y : tensor<?xf32>, tensor<?xf32>
  %a = kiln.add %q, %x : tensor<?xf32>, tensor<?xf32>
  %b = kiln.mul %q, %x : tensor<?xf32>, tensor<?xf32>
  return %a, %b : tensor<?xf32>, tensor<?xf32>
}

// -----

// Plain arithmetic is cheap up to 8 ops: a producer of 8 feeding two
// consumers is recomputed in each, one of 9 is computed once.
// CHECK-LABEL: func.func @eight_ops_used_twice
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X:[^ ]*]] : tensor<?xf32>)
// CHECK-COUNT-9: arith.addf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X]] : tensor<?xf32>)
// CHECK-COUNT-8: arith.addf
// CHECK: arith.mulf
// CHECK-LABEL: func.func @nine_ops_used_twice
// CHECK: %[[P:.*]] = linalg.generic
// CHECK-COUNT-9: arith.addf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[P]], %{{.*}} :
// CHECK-NOT: arith.addf
// CHECK: arith.subf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[P]], %{{.*}} :
// CHECK-NOT: arith.addf
// CHECK: arith.mulf
#id = affine_map<(d0) -> (d0)>
func.func @eight_ops_used_twice(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%v: f32, %o: f32):
    %0 = arith.addf %v, %v : f32
    %1 = arith.addf %0, %v : f32
    %2 = arith.addf %1, %v : f32
    %3 = arith.addf %2, %v : f32
    %4 = arith.addf %3, %v : f32
    %5 = arith.addf %4, %v : f32
    %6 = arith.addf %5, %v : f32
    %7 = arith.addf %6, %v : f32
    linalg.yield %7 : f32
  } -> tensor<?xf32>
  %a = kiln.add %p, %x : tensor<?xf32>, tensor<?xf32>
  %b = kiln.mul %p, %x : tensor<?xf32>, tensor<?xf32>
  return %a, %b : tensor<?xf32>, tensor<?xf32>
}
func.func @nine_ops_used_twice(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%v: f32, %o: f32):
    %0 = arith.addf %v, %v : f32
    %1 = arith.addf %0, %v : f32
    %2 = arith.addf %1, %v : f32
    %3 = arith.addf %2, %v : f32
    %4 = arith.addf %3, %v : f32
    %5 = arith.addf %4, %v : f32
    %6 = arith.addf %5, %v : f32
    %7 = arith.addf %6, %v : f32
    %8 = arith.addf %7, %v : f32
    linalg.yield %8 : f32
  } -> tensor<?xf32>
  %a = kiln.sub %p, %x : tensor<?xf32>, tensor<?xf32>
  %b = kiln.mul %p, %x : tensor<?xf32>, tensor<?xf32>
  return %a, %b : tensor<?xf32>, tensor<?xf32>
}

// -----

// Sibling reductions over the same input (BatchNorm's backward statistics:
// the sums of dy and of dy * (x - mean) per channel) become one loop nest
// with both accumulators, reading dy once.
// CHECK-LABEL: func.func @sibling_reductions
// CHECK: %[[R:.*]]:2 = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @sibling_reductions(%dy: tensor<?x?xf32>, %x: tensor<?x?xf32>, %mean: tensor<?x1xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %s = kiln.reduce_sum %dy {axes = array<i64: 1>} : tensor<?x?xf32> -> tensor<?xf32>
  %c = kiln.sub %x, %mean : tensor<?x?xf32>, tensor<?x1xf32>
  %p = kiln.mul %dy, %c : tensor<?x?xf32>, tensor<?x?xf32>
  %t = kiln.reduce_sum %p {axes = array<i64: 1>} : tensor<?x?xf32> -> tensor<?xf32>
  return %s, %t : tensor<?xf32>, tensor<?xf32>
}

// -----

// A reduction that reads another's result (softmax's max, then its sum) is
// not a sibling: two loop nests. Neither are reductions over different
// tensors of equal type: nothing says their extents are equal.
// CHECK-LABEL: func.func @dependent_and_unrelated_reductions
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: linalg.generic
func.func @dependent_and_unrelated_reductions(%x: tensor<?x?xf32>, %y: tensor<?x?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %m = kiln.reduce_max %x {axes = array<i64: 1>, keepdims = true} : tensor<?x?xf32> -> tensor<?x1xf32>
  %d = kiln.sub %x, %m : tensor<?x?xf32>, tensor<?x1xf32>
  %s = kiln.reduce_sum %d {axes = array<i64: 1>} : tensor<?x?xf32> -> tensor<?xf32>
  %t = kiln.reduce_sum %y {axes = array<i64: 1>} : tensor<?x?xf32> -> tensor<?xf32>
  return %s, %t : tensor<?xf32>, tensor<?xf32>
}

// -----

// A kiln.one_pass function (an optimizer update writing its states and
// weight in place) becomes one loop nest: the exp feeding two results would
// stay a kernel of its own elsewhere (see @expensive_value_used_twice); here
// it is computed once per element in the merged body, and unrelated results
// (the last reads neither earlier value) join too. The intermediate results
// the merged-in consumers read are not written out.
// CHECK-LABEL: func.func @one_pass
// CHECK: %[[R:.*]]:3 = linalg.generic
// CHECK-SAME: iterator_types = ["parallel"]
// CHECK: math.exp
// CHECK-NOT: math.exp
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @one_pass(%w: tensor<?xf32>, %g: tensor<?xf32>, %m: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) attributes {kiln.one_pass} {
  %lr = kiln.constant dense<0.1> : tensor<f32>
  %mu = kiln.constant dense<0.9> : tensor<f32>
  %a = kiln.mul %m, %mu : tensor<?xf32>, tensor<f32>
  %b = kiln.mul %g, %lr : tensor<?xf32>, tensor<f32>
  %newm = kiln.sub %a, %b : tensor<?xf32>, tensor<?xf32>
  %e = kiln.exp %newm : tensor<?xf32>
  %neww = kiln.add %w, %e : tensor<?xf32>, tensor<?xf32>
  %s = kiln.mul %e, %e : tensor<?xf32>, tensor<?xf32>
  %t = kiln.mul %g, %g : tensor<?xf32>, tensor<?xf32>
  %u = kiln.add %s, %t : tensor<?xf32>, tensor<?xf32>
  return %newm, %neww, %u : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}
