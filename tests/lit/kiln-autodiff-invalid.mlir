// RUN: kiln-opt %s --kiln-autodiff -split-input-file -verify-diagnostics

// Max pooling's backward routes gradients to the window maxima; it has no
// gradient of its own (MXNet 1.9.1 refuses it too).
func.func @max_pool_backward(%x: tensor<1x1x4x4xf32>, %dy: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> attributes {kiln.differentiate} {
  // expected-error@+1 {{'kiln.pool_backward' op has no gradient for max pooling}}
  %dx = kiln.pool_backward %x, %dy {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  return %dx : tensor<1x1x4x4xf32>
}

// -----

// An op of another dialect on the gradient path.
func.func @foreign(%x: tensor<3xf32>) -> tensor<2xf32> attributes {kiln.differentiate} {
  // expected-error@+1 {{'tensor.extract_slice' op has no gradient rule: kiln-autodiff cannot differentiate through it}}
  %s = tensor.extract_slice %x[0] [2] [1] : tensor<3xf32> to tensor<2xf32>
  return %s : tensor<2xf32>
}

// -----

// The same op off the gradient path (an integer tensor) is fine.
func.func @foreign_integer(%x: tensor<3xf32>, %i: tensor<3xi64>) -> (tensor<3xf32>, tensor<2xi64>) attributes {kiln.differentiate} {
  %s = tensor.extract_slice %i[0] [2] [1] : tensor<3xi64> to tensor<2xi64>
  %y = kiln.exp %x : tensor<3xf32>
  return %y, %s : tensor<3xf32>, tensor<2xi64>
}

// -----

// expected-error@+1 {{kiln-autodiff: 'taken_grad' already exists}}
func.func @taken(%x: tensor<3xf32>) -> tensor<3xf32> attributes {kiln.differentiate} {
  return %x : tensor<3xf32>
}
func.func @taken_grad(%x: tensor<3xf32>) -> tensor<3xf32> {
  return %x : tensor<3xf32>
}

// -----

// expected-error@+1 {{kiln-autodiff: 'declared' has no body to differentiate}}
func.func private @declared(%x: tensor<3xf32>) -> tensor<3xf32> attributes {kiln.differentiate}

// -----

// expected-error@+1 {{kiln-autodiff: kiln.grad_req has 1 entries for 2 arguments}}
func.func @short(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<3xf32> attributes {kiln.differentiate, kiln.grad_req = ["write"]} {
  return %x : tensor<3xf32>
}

// -----

// expected-error@+1 {{kiln-autodiff: kiln.grad_req of argument 0: expected "write", "add" or "null", got "read"}}
func.func @unknown(%x: tensor<3xf32>) -> tensor<3xf32> attributes {kiln.differentiate, kiln.grad_req = ["read"]} {
  return %x : tensor<3xf32>
}

// -----

// expected-error@+1 {{kiln-autodiff: kiln.grad_req of argument 1 is "write", but 'tensor<3xi64>' takes no gradient: only ranked tensors of f16, bf16, f32 or f64 do}}
func.func @integer(%x: tensor<3xf32>, %i: tensor<3xi64>) -> tensor<3xf32> attributes {kiln.differentiate, kiln.grad_req = ["null", "write"]} {
  return %x : tensor<3xf32>
}

// -----

// expected-error@+1 {{kiln-autodiff: kiln.grad_req must be an array of strings, got "write"}}
func.func @not_array(%x: tensor<3xf32>) -> tensor<3xf32> attributes {kiln.differentiate, kiln.grad_req = "write"} {
  return %x : tensor<3xf32>
}

// -----

// A gradient that would leave tensors (through a scalar) is an error where
// it cannot go on, not a silent zero.
func.func @through_a_scalar(%x: tensor<f32>) -> tensor<1xf32> attributes {kiln.differentiate} {
  %e = tensor.extract %x[] : tensor<f32>
  %s = arith.mulf %e, %e : f32
  // expected-error@+1 {{'tensor.from_elements' op has no gradient rule: kiln-autodiff cannot differentiate through it}}
  %t = tensor.from_elements %s : tensor<1xf32>
  return %t : tensor<1xf32>
}

// -----

// expected-error@+1 {{kiln-autodiff: result 0 of 'unranked_result' is a 'tensor<*xf32>', which takes no cotangent: only ranked tensors of f16, bf16, f32 or f64 do}}
func.func @unranked_result(%x: tensor<3xf32>) -> tensor<*xf32> attributes {kiln.differentiate} {
  %y = kiln.exp %x : tensor<3xf32>
  %u = tensor.cast %y : tensor<3xf32> to tensor<*xf32>
  return %u : tensor<*xf32>
}

// -----

// expected-error@+1 {{kiln-autodiff: kiln.grad_req of argument 0 is "write", but 'tensor<*xf32>' takes no gradient: only ranked tensors of f16, bf16, f32 or f64 do}}
func.func @unranked_argument(%x: tensor<*xf32>) -> tensor<3xf32> attributes {kiln.differentiate, kiln.grad_req = ["write"]} {
  %r = tensor.cast %x : tensor<*xf32> to tensor<3xf32>
  return %r : tensor<3xf32>
}

// -----

// expected-error@+1 {{kiln-autodiff: kiln.differentiate must be a unit or bool attribute, got "yes"}}
func.func @odd_mark(%x: tensor<3xf32>) -> tensor<3xf32> attributes {kiln.differentiate = "yes"} {
  return %x : tensor<3xf32>
}
