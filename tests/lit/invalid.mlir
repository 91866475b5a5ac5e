// RUN: kiln-opt %s -split-input-file -verify-diagnostics
// Malformed IR is a diagnostic at the op's location, never a crash.

func.func @shapes_do_not_broadcast(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) {
  // expected-error@+1 {{operand shapes do not broadcast: tensor<2x3xf32> vs tensor<3x2xf32>}}
  %0 = kiln.add %a, %b : tensor<2x3xf32>, tensor<3x2xf32>
  return
}

// -----

func.func @ranks_differ_and_do_not_broadcast(%a: tensor<2x3xf32>, %b: tensor<4x5x3xf32>) {
  // expected-error@+1 {{operand shapes do not broadcast}}
  %0 = kiln.mul %a, %b : tensor<2x3xf32>, tensor<4x5x3xf32>
  return
}

// -----

func.func @exp_of_integers(%a: tensor<3xi32>) {
  // expected-error@+1 {{'kiln.exp' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<3xi32>'}}
  %0 = kiln.exp %a : tensor<3xi32>
  return
}

// -----

func.func @sub_of_booleans(%a: tensor<3xi1>) {
  // expected-error@+1 {{'kiln.sub' op operand #0 must be ranked tensor of}}
  %0 = kiln.sub %a, %a : tensor<3xi1>, tensor<3xi1>
  return
}

// -----

func.func @select_needs_a_bool_condition(%c: tensor<3xf32>, %a: tensor<3xf32>) {
  // expected-error@+1 {{'kiln.select' op operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = kiln.select %c, %a, %a : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
  return
}

// -----

func.func @select_branches_differ(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xf64>) {
  // expected-error@+1 {{on_true and on_false element types differ: tensor<3xf32> vs tensor<3xf64>}}
  %0 = kiln.select %c, %a, %b : tensor<3xi1>, tensor<3xf32>, tensor<3xf64>
  return
}

// -----

func.func @cast_changes_shape(%a: tensor<3xf32>) {
  // expected-error@+1 {{result shape must match the operand's: 'tensor<3xf32>' to 'tensor<4xi32>'}}
  %0 = kiln.cast %a : tensor<3xf32> to tensor<4xi32>
  return
}

// -----

func.func @comparison_declared_as_float(%a: tensor<3xf32>) {
  // expected-error@+1 {{result type 'tensor<3xf32>' is incompatible with the inferred 'tensor<3xi1>'}}
  %0 = "kiln.eq"(%a, %a) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @element_types_differ(%a: tensor<3xf32>, %b: tensor<3xi32>) {
  // expected-error@+1 {{element types differ: tensor<3xf32> vs tensor<3xi32>}}
  %0 = kiln.add %a, %b : tensor<3xf32>, tensor<3xi32>
  return
}

// -----

func.func @declared_result_disagrees(%a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{result type 'tensor<4xf32>' is incompatible with the inferred 'tensor<3xf32>'}}
  %0 = "kiln.add"(%a, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @unranked(%a: tensor<*xf32>, %b: tensor<*xf32>) {
  // expected-error@+1 {{operand #0 must be ranked tensor}}
  %0 = "kiln.add"(%a, %b) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @axis_out_of_range(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = kiln.reduce_sum %a {axes = array<i64: 2>} : tensor<3x4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @axis_repeated(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{axis 0 is repeated}}
  %0 = kiln.reduce_max %a {axes = array<i64: 0, 0>} : tensor<3x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @keepdims_result_disagrees(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{result type 'tensor<3xf32>' is incompatible with the inferred 'tensor<3x1xf32>'}}
  %0 = kiln.reduce_sum %a {axes = array<i64: 1>, keepdims = true} : tensor<3x4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @argmax_result_is_i64(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{result #0 must be ranked tensor of 64-bit signless integer values}}
  %0 = kiln.argmax %a {axis = 0 : i64} : tensor<3x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @matmul_contraction_mismatch(%a: tensor<3x4xf32>, %b: tensor<5x6xf32>) {
  // expected-error@+1 {{contraction extents differ (4 vs 5)}}
  %0 = kiln.matmul %a, %b : tensor<3x4xf32>, tensor<5x6xf32>
  return
}

// -----

func.func @matmul_batches_do_not_broadcast(%a: tensor<2x3x4xf32>, %b: tensor<5x4x6xf32>) {
  // expected-error@+1 {{batch dimensions do not broadcast}}
  %0 = kiln.matmul %a, %b : tensor<2x3x4xf32>, tensor<5x4x6xf32>
  return
}

// -----

func.func @matmul_of_vectors(%a: tensor<4xf32>, %b: tensor<4x6xf32>) {
  // expected-error@+1 {{operands must have rank 2 or more}}
  %0 = kiln.matmul %a, %b : tensor<4xf32>, tensor<4x6xf32>
  return
}

// -----

func.func @transpose_not_a_permutation(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{permutation is not a permutation of 0..1}}
  %0 = kiln.transpose %x {permutation = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @broadcast_to_incompatible(%x: tensor<3xf32>) {
  // expected-error@+1 {{cannot broadcast 'tensor<3xf32>' to 'tensor<2x4xf32>'}}
  %0 = kiln.broadcast_to %x : tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @iota_missing_extent() {
  // expected-error@+1 {{needs one index operand per dynamic result extent: 1, got 0}}
  %0 = kiln.iota {dimension = 0 : i64} : tensor<?xi32>
  return
}

// -----

func.func @concat_off_axis_mismatch(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error@+1 {{operands differ off the axis}}
  %0 = kiln.concat %a, %b {axis = 0 : i64} : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @take_bad_mode(%x: tensor<4xf32>, %i: tensor<2xi64>) {
  // expected-error@+1 {{mode must be "clip" or "wrap", got "raise"}}
  %0 = kiln.take %x, %i {axis = 0 : i64, mode = "raise"} : tensor<4xf32>, tensor<2xi64> -> tensor<2xf32>
  return
}

// -----

func.func @random_bad_range(%seed: tensor<i64>) {
  // expected-error@+1 {{needs low < high}}
  %0 = kiln.random_uniform %seed {low = 2.0 : f64, high = 1.0 : f64} : tensor<i64> -> tensor<4xf32>
  return
}

// -----

func.func @reshape_counts_differ(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{element counts differ}}
  %0 = kiln.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @pad_negative(%x: tensor<2xf32>) {
  // expected-error@+1 {{pads must be non-negative}}
  %0 = kiln.pad %x {low = array<i64: -1>, high = array<i64: 0>} : tensor<2xf32> -> tensor<1xf32>
  return
}

// -----

func.func @scatter_updates_shape(%d: tensor<4x2xf32>, %i: tensor<3xi64>, %u: tensor<3x5xf32>) {
  // expected-error@+1 {{updates must have shape tensor<3x2xf32>, got tensor<3x5xf32>}}
  %0 = kiln.scatter_add %d, %i, %u {axis = 0 : i64} : tensor<4x2xf32>, tensor<3xi64>, tensor<3x5xf32> -> tensor<4x2xf32>
  return
}
