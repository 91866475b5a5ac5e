// RUN: kiln-opt %s --kiln-autodiff --split-input-file | FileCheck %s

// A dense layer's activation: the bias gradient is the cotangent chain
// summed over the batch it was broadcast along; the forward ops the
// backward needs (tanh's result) are shared, not recomputed.
// CHECK-LABEL: func.func @dense(
// CHECK-NOT: kiln.differentiate
// CHECK-LABEL: func.func @dense_grad(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<?x4xf32>, %[[B:[a-z0-9]+]]: tensor<4xf32>, %[[DY:[a-z0-9]+]]: tensor<?x4xf32>)
// CHECK-SAME: -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<4xf32>)
// CHECK-SAME: attributes {kiln.gradient_of = array<i64: 0, 1>}
// CHECK: %[[Z:.*]] = kiln.add %[[X]], %[[B]]
// CHECK: %[[Y:.*]] = kiln.tanh %[[Z]]
// CHECK: %[[SQ:.*]] = kiln.mul %[[Y]], %[[Y]]
// CHECK: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[SLOPE:.*]] = kiln.sub %[[ONE]], %[[SQ]]
// CHECK: %[[DZ:.*]] = kiln.mul %[[DY]], %[[SLOPE]]
// CHECK: %[[DB:.*]] = kiln.reduce_sum %[[DZ]] {axes = array<i64: 0>} : tensor<?x4xf32> -> tensor<4xf32>
// CHECK: return %[[Y]], %[[DZ]], %[[DB]]
func.func @dense(%x: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> attributes {kiln.differentiate} {
  %z = kiln.add %x, %b : tensor<?x4xf32>, tensor<4xf32>
  %y = kiln.tanh %z : tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A value used twice: its gradients add up. Two results: one cotangent
// each.
// CHECK-LABEL: func.func @twice_grad(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<3xf64>, %[[DA:[a-z0-9]+]]: tensor<3xf64>, %[[DB:[a-z0-9]+]]: tensor<3xf64>)
// CHECK: %[[A:.*]] = kiln.mul %[[X]], %[[X]]
// CHECK: %[[E:.*]] = kiln.exp %[[X]]
// CHECK: %[[FROM_EXP:.*]] = kiln.mul %[[DB]], %[[E]]
// CHECK: %[[LEFT:.*]] = kiln.mul %[[DA]], %[[X]]
// CHECK: %[[RIGHT:.*]] = kiln.mul %[[DA]], %[[X]]
// CHECK: %[[SUM:.*]] = kiln.add %[[FROM_EXP]], %[[LEFT]]
// CHECK: %[[TOTAL:.*]] = kiln.add %[[SUM]], %[[RIGHT]]
// CHECK: return %[[A]], %[[E]], %[[TOTAL]]
func.func @twice(%x: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) attributes {kiln.differentiate} {
  %a = kiln.mul %x, %x : tensor<3xf64>, tensor<3xf64>
  %e = kiln.exp %x : tensor<3xf64>
  return %a, %e : tensor<3xf64>, tensor<3xf64>
}

// -----

// Integer arguments and results take no gradient and no cotangent; take's
// gradient scatters into zeros; rounding stops the gradient, and an
// argument nothing differentiable reaches gets zeros of its shape.
// CHECK-LABEL: func.func @gather_grad(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<?x3xf32>, %[[I:[a-z0-9]+]]: tensor<4xi64>, %[[R:[a-z0-9]+]]: tensor<?xf32>, %[[DG:[a-z0-9]+]]: tensor<4x3xf32>, %[[DF:[a-z0-9]+]]: tensor<?xf32>)
// CHECK-SAME: -> (tensor<4x3xf32>, tensor<?xf32>, tensor<4xi64>, tensor<?x3xf32>, tensor<?xf32>)
// CHECK-SAME: attributes {kiln.gradient_of = array<i64: 0, 2>}
// CHECK: %[[G:.*]] = kiln.take %[[X]], %[[I]]
// CHECK: %[[F:.*]] = kiln.floor %[[R]]
// CHECK: %[[ZERO:.*]] = kiln.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %[[C0]]
// CHECK: %[[ZEROS:.*]] = kiln.broadcast_to %[[ZERO]], %[[N]] : tensor<f32> -> tensor<?x3xf32>
// CHECK: %[[DX:.*]] = kiln.scatter_add %[[ZEROS]], %[[I]], %[[DG]] {axis = 0 : i64}
// CHECK: %[[M:.*]] = tensor.dim %[[R]]
// CHECK: %[[DR:.*]] = kiln.broadcast_to %{{.*}}, %[[M]] : tensor<f32> -> tensor<?xf32>
// CHECK: return %[[G]], %[[F]], %[[I]], %[[DX]], %[[DR]]
func.func @gather(%x: tensor<?x3xf32>, %i: tensor<4xi64>, %r: tensor<?xf32>) -> (tensor<4x3xf32>, tensor<?xf32>, tensor<4xi64>) attributes {kiln.differentiate} {
  %g = kiln.take %x, %i {axis = 0 : i64} : tensor<?x3xf32>, tensor<4xi64> -> tensor<4x3xf32>
  %f = kiln.floor %r : tensor<?xf32>
  return %g, %f, %i : tensor<4x3xf32>, tensor<?xf32>, tensor<4xi64>
}

// -----

// Convolution: the data and filter gradients are the other two convolution
// primitives with the same attributes; the batch extent is read at run time.
// CHECK-LABEL: func.func @conv_grad(
// CHECK: kiln.convolution_backward_data %arg2, %arg1, %{{.*}} {dilations = array<i64: 1, 1>, groups = 1 : i64, padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, strides = array<i64: 2, 2>} : tensor<?x8x4x4xf32>, tensor<8x3x3x3xf32> -> tensor<?x3x8x8xf32>
// CHECK: kiln.convolution_backward_filter %arg0, %arg2 {dilations = array<i64: 1, 1>, groups = 1 : i64, padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, strides = array<i64: 2, 2>} : tensor<?x3x8x8xf32>, tensor<?x8x4x4xf32> -> tensor<8x3x3x3xf32>
func.func @conv(%x: tensor<?x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<?x8x4x4xf32> attributes {kiln.differentiate} {
  %y = kiln.convolution %x, %w {strides = array<i64: 2, 2>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<?x3x8x8xf32>, tensor<8x3x3x3xf32> -> tensor<?x8x4x4xf32>
  return %y : tensor<?x8x4x4xf32>
}

// -----

// A convolution's bias: its gradient sums the cotangent over the images and
// positions (every axis but the channels).
// CHECK-LABEL: func.func @conv_bias_grad(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<?x3x8x8xf32>, %[[W:[a-z0-9]+]]: tensor<8x3x3x3xf32>, %[[B:[a-z0-9]+]]: tensor<8xf32>, %[[DY:[a-z0-9]+]]: tensor<?x8x6x6xf32>)
// CHECK: kiln.convolution %[[X]], %[[W]], %[[B]]
// CHECK: kiln.convolution_backward_data %[[DY]], %[[W]]
// CHECK: kiln.convolution_backward_filter %[[X]], %[[DY]]
// CHECK: %[[DB:.*]] = kiln.reduce_sum %[[DY]] {axes = array<i64: 0, 2, 3>} : tensor<?x8x6x6xf32> -> tensor<8xf32>
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %[[DB]]
func.func @conv_bias(%x: tensor<?x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>) -> tensor<?x8x6x6xf32> attributes {kiln.differentiate} {
  %y = kiln.convolution %x, %w, %b {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<?x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32> -> tensor<?x8x6x6xf32>
  return %y : tensor<?x8x6x6xf32>
}

// -----

// Unmarked functions are left alone.
// CHECK-LABEL: func.func @plain(
// CHECK-NOT: func.func @plain_grad
func.func @plain(%x: tensor<3xf32>) -> tensor<3xf32> {
  %y = kiln.exp %x : tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// grad_req per argument, as MXNet's: write, add (the gradient so far comes
// in after the cotangents and is summed), null (an auxiliary state: no
// gradient, and nothing computed for what only it reaches).
// CHECK-LABEL: func.func @requests_grad(
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<3xf32>, %[[B:[a-z0-9]+]]: tensor<3xf32>, %[[S:[a-z0-9]+]]: tensor<3xf32>, %[[DY:[a-z0-9]+]]: tensor<3xf32>, %[[BSOFAR:[a-z0-9]+]]: tensor<3xf32>)
// CHECK-SAME: -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK-SAME: attributes {kiln.gradient_of = array<i64: 0, 1>}
// CHECK: %[[WS:.*]] = kiln.mul %[[W]], %[[S]]
// CHECK: %[[Y:.*]] = kiln.add %[[WS]], %[[B]]
// CHECK: %[[DW:.*]] = kiln.mul %[[DY]], %[[S]]
// CHECK-NOT: kiln.mul %[[DY]], %[[W]]
// CHECK: %[[DB:.*]] = kiln.add %[[BSOFAR]], %[[DY]]
// CHECK: return %[[Y]], %[[DW]], %[[DB]]
// CHECK-NOT: kiln.grad_req
func.func @requests(%w: tensor<3xf32>, %b: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<3xf32> attributes {kiln.differentiate, kiln.grad_req = ["write", "add", "null"]} {
  %ws = kiln.mul %w, %s : tensor<3xf32>, tensor<3xf32>
  %y = kiln.add %ws, %b : tensor<3xf32>, tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// An add argument nothing reaches keeps the gradient passed in.
// CHECK-LABEL: func.func @unreached_grad(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<2xf64>, %[[DY:[a-z0-9]+]]: tensor<2xf64>, %[[SOFAR:[a-z0-9]+]]: tensor<2xf64>)
// CHECK: %[[F:.*]] = kiln.floor %[[X]]
// CHECK-NEXT: return %[[F]], %[[SOFAR]]
func.func @unreached(%x: tensor<2xf64>) -> tensor<2xf64> attributes {kiln.differentiate, kiln.grad_req = ["add"]} {
  %f = kiln.floor %x : tensor<2xf64>
  return %f : tensor<2xf64>
}

// -----

// Off the gradient path: after floor (no gradient) and on integers, ops
// without rules are fine; a float type kiln does not compute (f8) takes no
// gradient by default.
// CHECK-LABEL: func.func @off_path_grad(
// CHECK-SAME: -> (tensor<2xf32>, tensor<3xf32>)
// CHECK-SAME: attributes {kiln.gradient_of = array<i64: 0>}
func.func @off_path(%x: tensor<3xf32>, %q: tensor<3xf8E4M3FN>) -> tensor<2xf32> attributes {kiln.differentiate} {
  %f = kiln.floor %x : tensor<3xf32>
  %s = tensor.extract_slice %f[0] [2] [1] : tensor<3xf32> to tensor<2xf32>
  return %s : tensor<2xf32>
}

// -----

// kiln.differentiate = false leaves the function alone.
// CHECK-LABEL: func.func @switched_off(
// CHECK-NOT: @switched_off_grad
func.func @switched_off(%x: tensor<3xf32>) -> tensor<3xf32> attributes {kiln.differentiate = false} {
  %y = kiln.exp %x : tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// A cast that learns a static extent: its gradient casts back with the
// cotangent's shape, then tensor.cast forgets the extent again.
// CHECK-LABEL: func.func @cast_refines_grad(
// CHECK: %[[BACK:.*]] = kiln.cast %arg1 : tensor<3xf64> to tensor<3xf32>
// CHECK: %[[DX:.*]] = tensor.cast %[[BACK]] : tensor<3xf32> to tensor<?xf32>
// CHECK: return %{{.*}}, %[[DX]]
func.func @cast_refines(%x: tensor<?xf32>) -> tensor<3xf64> attributes {kiln.differentiate} {
  %r = kiln.cast %x : tensor<?xf32> to tensor<3xf64>
  return %r : tensor<3xf64>
}

// -----

// A reduction over no axes is the identity, and so is its gradient (no
// y / x for reduce_prod, which is NaN at 0).
// CHECK-LABEL: func.func @reduce_nothing_grad(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<3xf32>, %[[DY:[a-z0-9]+]]: tensor<3xf32>)
// CHECK: %[[Y:.*]] = kiln.reduce_prod %[[X]]
// CHECK-NEXT: return %[[Y]], %[[DY]]
func.func @reduce_nothing(%x: tensor<3xf32>) -> tensor<3xf32> attributes {kiln.differentiate} {
  %y = kiln.reduce_prod %x {axes = array<i64>} : tensor<3xf32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// f16 mean: the count (here 90000, past f16's 65504) divides in f32.
// CHECK-LABEL: func.func @mean_f16_grad(
// CHECK: %[[COUNT:.*]] = kiln.constant dense<9.000000e+04> : tensor<f32>
// CHECK: %[[WIDE:.*]] = kiln.cast %{{.*}} : tensor<300x300xf16> to tensor<300x300xf32>
// CHECK: %[[Q:.*]] = kiln.div %[[WIDE]], %[[COUNT]]
// CHECK: kiln.cast %[[Q]] : tensor<300x300xf32> to tensor<300x300xf16>
func.func @mean_f16(%x: tensor<300x300xf16>) -> tensor<f16> attributes {kiln.differentiate} {
  %m = kiln.reduce_mean %x {axes = array<i64: 0, 1>} : tensor<300x300xf16> -> tensor<f16>
  return %m : tensor<f16>
}

// -----

// kiln.gradients_only: the gradients alone; the forward ops the gradient
// does not need are gone.
// CHECK-LABEL: func.func @only_grad(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<?xf32>, %[[DY:[a-z0-9]+]]: tensor<?xf32>, %{{[a-z0-9]+}}: tensor<?xf32>) -> tensor<?xf32>
// CHECK-NOT: kiln.exp
// CHECK: %[[ZERO:.*]] = kiln.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[POSITIVE:.*]] = kiln.gt %[[X]], %[[ZERO]]
// CHECK: %[[MASK:.*]] = kiln.cast %[[POSITIVE]] : tensor<?xi1> to tensor<?xf32>
// CHECK: %[[DX:.*]] = kiln.mul %[[DY]], %[[MASK]]
// CHECK: return %[[DX]] : tensor<?xf32>
func.func @only(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) attributes {kiln.differentiate, kiln.gradients_only} {
  %r = kiln.relu %x : tensor<?xf32>
  %e = kiln.exp %x : tensor<?xf32>
  %c = kiln.floor %e : tensor<?xf32>
  return %r, %c : tensor<?xf32>, tensor<?xf32>
}
