// RUN: kiln-opt %s -split-input-file -verify-diagnostics
// Malformed IR is a diagnostic at the op's location, never a crash: one case
// per verifier branch of dialects/kiln/KilnOps.cpp and per kind of ODS
// constraint (operand and result types, required attributes), in the order
// of KilnOps.td. The inference helpers' defensive branches (operand count,
// unranked operands, missing attributes) cannot be reached from IR text: ODS's
// own checks report those first, as the cases for them show.

//===----------------------------------------------------------------------===//
// Element types and unary ops
//===----------------------------------------------------------------------===//

func.func @unsupported_element_type(%a: tensor<3xi16>) {
  // expected-error@+1 {{'kiln.add' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 1-bit signless integer or 8-bit signless integer or 8-bit unsigned integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xi16>'}}
  %0 = kiln.add %a, %a : tensor<3xi16>, tensor<3xi16>
  return
}

// -----

func.func @unranked(%a: tensor<*xf32>, %b: tensor<*xf32>) {
  // expected-error@+1 {{'kiln.add' op operand #0 must be ranked tensor of}}
  %0 = "kiln.add"(%a, %b) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @exp_of_integers(%a: tensor<3xi32>) {
  // expected-error@+1 {{'kiln.exp' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<3xi32>'}}
  %0 = kiln.exp %a : tensor<3xi32>
  return
}

// -----

func.func @neg_of_booleans(%a: tensor<3xi1>) {
  // expected-error@+1 {{'kiln.neg' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 8-bit signless integer or 8-bit unsigned integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xi1>'}}
  %0 = kiln.neg %a : tensor<3xi1>
  return
}

// -----

func.func @unary_result_type_differs(%a: tensor<3xf32>) {
  // expected-error@+1 {{'kiln.sqrt' op requires the same type for all operands and results}}
  %0 = "kiln.sqrt"(%a) : (tensor<3xf32>) -> tensor<3xf64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

func.func @sub_of_booleans(%a: tensor<3xi1>) {
  // expected-error@+1 {{'kiln.sub' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 8-bit signless integer or 8-bit unsigned integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xi1>'}}
  %0 = kiln.sub %a, %a : tensor<3xi1>, tensor<3xi1>
  return
}

// -----

func.func @element_types_differ(%a: tensor<3xf32>, %b: tensor<3xi32>) {
  // expected-error@+1 {{element types differ: tensor<3xf32> vs tensor<3xi32>}}
  %0 = kiln.add %a, %b : tensor<3xf32>, tensor<3xi32>
  return
}

// -----

func.func @shapes_do_not_broadcast(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) {
  // expected-error@+1 {{operand shapes do not broadcast: tensor<2x3xf32> vs tensor<3x2xf32>}}
  %0 = kiln.add %a, %b : tensor<2x3xf32>, tensor<3x2xf32>
  return
}

// -----

func.func @ranks_differ_and_do_not_broadcast(%a: tensor<2x3xf32>, %b: tensor<4x5x3xf32>) {
  // expected-error@+1 {{operand shapes do not broadcast: tensor<2x3xf32> vs tensor<4x5x3xf32>}}
  %0 = kiln.mul %a, %b : tensor<2x3xf32>, tensor<4x5x3xf32>
  return
}

// -----

func.func @declared_result_disagrees(%a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{'kiln.add' op result type 'tensor<4xf32>' is incompatible with the inferred 'tensor<3xf32>'}}
  %0 = "kiln.add"(%a, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @comparison_declared_as_float(%a: tensor<3xf32>) {
  // expected-error@+1 {{'kiln.eq' op result type 'tensor<3xf32>' is incompatible with the inferred 'tensor<3xi1>'}}
  %0 = "kiln.eq"(%a, %a) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @declared_result_rank_differs(%a: tensor<3xf32>) {
  // expected-error@+1 {{'kiln.logical_or' op result type 'tensor<1x3xi1>' is incompatible with the inferred 'tensor<3xi1>'}}
  %0 = "kiln.logical_or"(%a, %a) : (tensor<3xf32>, tensor<3xf32>) -> tensor<1x3xi1>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Constants, selection and conversion
//===----------------------------------------------------------------------===//

func.func @constant_type_differs_from_value() {
  // expected-error@+1 {{'kiln.constant' op failed to verify that all of {value, result} have same type}}
  %0 = "kiln.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  return
}

// -----

func.func @constant_of_unsupported_type() {
  // expected-error@+1 {{'kiln.constant' op result #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 1-bit signless integer or 8-bit signless integer or 8-bit unsigned integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2xi16>'}}
  %0 = kiln.constant dense<1> : tensor<2xi16>
  return
}

// -----

func.func @select_needs_a_bool_condition(%c: tensor<3xf32>, %a: tensor<3xf32>) {
  // expected-error@+1 {{'kiln.select' op operand #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<3xf32>'}}
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

func.func @select_shapes_do_not_broadcast(%c: tensor<2xi1>, %a: tensor<3xf32>) {
  // expected-error@+1 {{operand shapes do not broadcast: tensor<2xi1> vs tensor<3xf32> vs tensor<3xf32>}}
  %0 = kiln.select %c, %a, %a : tensor<2xi1>, tensor<3xf32>, tensor<3xf32>
  return
}

// -----

func.func @select_declared_result_disagrees(%c: tensor<3xi1>, %a: tensor<3xf32>) {
  // expected-error@+1 {{'kiln.select' op result type 'tensor<3xi1>' is incompatible with the inferred 'tensor<3xf32>'}}
  %0 = "kiln.select"(%c, %a, %a) : (tensor<3xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  return
}

// -----

func.func @cast_changes_shape(%a: tensor<3xf32>) {
  // expected-error@+1 {{'kiln.cast' op result shape must match the operand's: 'tensor<3xf32>' to 'tensor<4xi32>'}}
  %0 = kiln.cast %a : tensor<3xf32> to tensor<4xi32>
  return
}

// -----

func.func @cast_changes_rank(%a: tensor<?xf32>) {
  // expected-error@+1 {{'kiln.cast' op result shape must match the operand's: 'tensor<?xf32>' to 'tensor<?x1xi32>'}}
  %0 = kiln.cast %a : tensor<?xf32> to tensor<?x1xi32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

func.func @reduce_mean_of_integers(%a: tensor<3xi32>) {
  // expected-error@+1 {{'kiln.reduce_mean' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<3xi32>'}}
  %0 = kiln.reduce_mean %a {axes = array<i64: 0>} : tensor<3xi32> -> tensor<i32>
  return
}

// -----

func.func @reduce_sum_of_booleans(%a: tensor<3xi1>) {
  // expected-error@+1 {{'kiln.reduce_sum' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 8-bit signless integer or 8-bit unsigned integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xi1>'}}
  %0 = kiln.reduce_sum %a {axes = array<i64: 0>} : tensor<3xi1> -> tensor<i1>
  return
}

// -----

func.func @reduction_without_axes(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{'kiln.reduce_prod' op requires attribute 'axes'}}
  %0 = kiln.reduce_prod %a : tensor<3x4xf32> -> tensor<f32>
  return
}

// -----

func.func @keepdims_not_a_bool(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{Invalid attribute `keepdims` in property conversion: 1 : i64}}
  %0 = "kiln.reduce_sum"(%a) <{axes = array<i64: 0>, keepdims = 1 : i64}> : (tensor<3x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @axis_out_of_range(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = kiln.reduce_sum %a {axes = array<i64: 2>} : tensor<3x4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @axis_negative(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{axis -1 is out of range for rank 2}}
  %0 = kiln.reduce_min %a {axes = array<i64: -1>} : tensor<3x4xf32> -> tensor<3xf32>
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
  // expected-error@+1 {{'kiln.reduce_sum' op result type 'tensor<3xf32>' is incompatible with the inferred 'tensor<3x1xf32>'}}
  %0 = kiln.reduce_sum %a {axes = array<i64: 1>, keepdims = true} : tensor<3x4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @reduction_result_element_type_differs(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{'kiln.reduce_mean' op result type 'tensor<3xf64>' is incompatible with the inferred 'tensor<3xf32>'}}
  %0 = kiln.reduce_mean %a {axes = array<i64: 1>} : tensor<3x4xf32> -> tensor<3xf64>
  return
}

// -----

func.func @argmax_of_booleans(%a: tensor<3xi1>) {
  // expected-error@+1 {{'kiln.argmax' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 8-bit signless integer or 8-bit unsigned integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xi1>'}}
  %0 = kiln.argmax %a {axis = 0 : i64} : tensor<3xi1> -> tensor<i64>
  return
}

// -----

func.func @argmax_result_is_i64(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{'kiln.argmax' op result #0 must be ranked tensor of 64-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = kiln.argmax %a {axis = 0 : i64} : tensor<3x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @argmin_axis_out_of_range(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = kiln.argmin %a {axis = 2 : i64} : tensor<3x4xf32> -> tensor<3xi64>
  return
}

// -----

func.func @argmin_keepdims_result_disagrees(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{'kiln.argmin' op result type 'tensor<4xi64>' is incompatible with the inferred 'tensor<1x4xi64>'}}
  %0 = kiln.argmin %a {axis = 0 : i64, keepdims = true} : tensor<3x4xf32> -> tensor<4xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Data movement and generators
//===----------------------------------------------------------------------===//

func.func @transpose_without_permutation(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{'kiln.transpose' op requires attribute 'permutation'}}
  %0 = kiln.transpose %x : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @transpose_permutation_too_short(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{permutation has 1 entries for rank 2}}
  %0 = kiln.transpose %x {permutation = array<i64: 0>} : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @transpose_not_a_permutation(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{permutation is not a permutation of 0..1}}
  %0 = kiln.transpose %x {permutation = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @transpose_entry_out_of_range(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{permutation is not a permutation of 0..1}}
  %0 = kiln.transpose %x {permutation = array<i64: 2, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @transpose_result_disagrees(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{'kiln.transpose' op result type 'tensor<2x3xf32>' is incompatible with the inferred 'tensor<3x2xf32>'}}
  %0 = kiln.transpose %x {permutation = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @broadcast_to_extents_disagree(%x: tensor<3xf32>, %n: index) {
  // expected-error@+1 {{'kiln.broadcast_to' op needs one index operand per dynamic result extent: 0, got 1}}
  %0 = kiln.broadcast_to %x, %n : tensor<3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @broadcast_to_element_types_differ(%x: tensor<3xf32>) {
  // expected-error@+1 {{'kiln.broadcast_to' op element types differ: 'tensor<3xf32>' to 'tensor<2x3xf64>'}}
  %0 = kiln.broadcast_to %x : tensor<3xf32> -> tensor<2x3xf64>
  return
}

// -----

func.func @broadcast_to_lower_rank(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{'kiln.broadcast_to' op cannot broadcast 'tensor<2x3xf32>' to lower rank 'tensor<3xf32>'}}
  %0 = kiln.broadcast_to %x : tensor<2x3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @broadcast_to_incompatible(%x: tensor<3xf32>) {
  // expected-error@+1 {{'kiln.broadcast_to' op cannot broadcast 'tensor<3xf32>' to 'tensor<2x4xf32>'}}
  %0 = kiln.broadcast_to %x : tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @iota_of_booleans() {
  // expected-error@+1 {{'kiln.iota' op result #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 8-bit signless integer or 8-bit unsigned integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xi1>'}}
  %0 = kiln.iota {dimension = 0 : i64} : tensor<4xi1>
  return
}

// -----

func.func @iota_missing_extent() {
  // expected-error@+1 {{'kiln.iota' op needs one index operand per dynamic result extent: 1, got 0}}
  %0 = kiln.iota {dimension = 0 : i64} : tensor<?xi32>
  return
}

// -----

func.func @iota_dimension_out_of_range() {
  // expected-error@+1 {{'kiln.iota' op dimension 2 is out of range for rank 2}}
  %0 = kiln.iota {dimension = 2 : i64} : tensor<3x4xi32>
  return
}

// -----

func.func @iota_negative_dimension() {
  // expected-error@+1 {{'kiln.iota' op dimension -1 is out of range for rank 2}}
  %0 = kiln.iota {dimension = -1 : i64} : tensor<3x4xi32>
  return
}

// -----

func.func @slice_bounds_per_dimension(%x: tensor<4x4xf32>) {
  // expected-error@+1 {{begin, end and step need 2 entries each}}
  %0 = kiln.slice %x {begin = array<i64: 0, 0>, end = array<i64: 2>, step = array<i64: 1, 1>} : tensor<4x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @slice_step_not_positive(%x: tensor<4x4xf32>) {
  // expected-error@+1 {{step must be positive, got 0 for dimension 1}}
  %0 = kiln.slice %x {begin = array<i64: 0, 0>, end = array<i64: 4, 4>, step = array<i64: 1, 0>} : tensor<4x4xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @slice_result_disagrees(%x: tensor<10xf32>) {
  // expected-error@+1 {{'kiln.slice' op result type 'tensor<5xf32>' is incompatible with the inferred 'tensor<4xf32>'}}
  %0 = kiln.slice %x {begin = array<i64: 1>, end = array<i64: -1>, step = array<i64: 2>} : tensor<10xf32> -> tensor<5xf32>
  return
}

// -----

func.func @concat_of_nothing() {
  // expected-error@+1 {{needs at least one operand}}
  %0 = "kiln.concat"() <{axis = 0 : i64}> : () -> tensor<2xf32>
  return
}

// -----

func.func @concat_axis_out_of_range(%a: tensor<2xf32>) {
  // expected-error@+1 {{axis 1 is out of range for rank 1}}
  %0 = kiln.concat %a, %a {axis = 1 : i64} : tensor<2xf32>, tensor<2xf32> -> tensor<4xf32>
  return
}

// -----

func.func @concat_element_types_differ(%a: tensor<2xf32>, %b: tensor<2xf64>) {
  // expected-error@+1 {{operands differ in rank or element type: tensor<2xf32> vs tensor<2xf64>}}
  %0 = kiln.concat %a, %b {axis = 0 : i64} : tensor<2xf32>, tensor<2xf64> -> tensor<4xf32>
  return
}

// -----

func.func @concat_ranks_differ(%a: tensor<2xf32>, %b: tensor<2x2xf32>) {
  // expected-error@+1 {{operands differ in rank or element type: tensor<2xf32> vs tensor<2x2xf32>}}
  %0 = kiln.concat %a, %b {axis = 0 : i64} : tensor<2xf32>, tensor<2x2xf32> -> tensor<4xf32>
  return
}

// -----

func.func @concat_off_axis_mismatch(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error@+1 {{operands differ off the axis: tensor<2x3xf32> vs tensor<2x4xf32>}}
  %0 = kiln.concat %a, %b {axis = 0 : i64} : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_result_disagrees(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error@+1 {{'kiln.concat' op result type 'tensor<2x8xf32>' is incompatible with the inferred 'tensor<2x7xf32>'}}
  %0 = kiln.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @take_float_indices(%x: tensor<4xf32>, %i: tensor<2xf32>) {
  // expected-error@+1 {{'kiln.take' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2xf32>'}}
  %0 = kiln.take %x, %i {axis = 0 : i64} : tensor<4xf32>, tensor<2xf32> -> tensor<2xf32>
  return
}

// -----

func.func @take_axis_out_of_range(%x: tensor<4xf32>, %i: tensor<2xi64>) {
  // expected-error@+1 {{axis 1 is out of range for rank 1}}
  %0 = kiln.take %x, %i {axis = 1 : i64} : tensor<4xf32>, tensor<2xi64> -> tensor<2xf32>
  return
}

// -----

// Modes are an enum: another spelling does not parse.
func.func @take_bad_mode(%x: tensor<4xf32>, %i: tensor<2xi64>) {
  // expected-error@+2 {{expected ::mlir::kiln::IndexMode to be one of: clip, wrap}}
  // expected-error@+1 {{failed to parse Kiln_IndexModeAttr parameter 'value' which is to be a `::mlir::kiln::IndexMode`}}
  %0 = kiln.take %x, %i {axis = 0 : i64, mode = #kiln<index_mode raise>} : tensor<4xf32>, tensor<2xi64> -> tensor<2xf32>
  return
}

// -----

func.func @take_result_disagrees(%x: tensor<4x3xf32>, %i: tensor<2xi64>) {
  // expected-error@+1 {{'kiln.take' op result type 'tensor<2xf32>' is incompatible with the inferred 'tensor<2x3xf32>'}}
  %0 = kiln.take %x, %i {axis = 0 : i64} : tensor<4x3xf32>, tensor<2xi64> -> tensor<2xf32>
  return
}

// -----

func.func @reshape_missing_extent(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{'kiln.reshape' op needs one index operand per dynamic result extent: 1, got 0}}
  %0 = kiln.reshape %x : tensor<2x3xf32> -> tensor<?xf32>
  return
}

// -----

func.func @reshape_element_types_differ(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{'kiln.reshape' op element types differ: 'tensor<2x3xf32>' to 'tensor<6xi32>'}}
  %0 = kiln.reshape %x : tensor<2x3xf32> -> tensor<6xi32>
  return
}

// -----

func.func @reshape_counts_differ(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{'kiln.reshape' op element counts differ: 'tensor<2x3xf32>' to 'tensor<7xf32>'}}
  %0 = kiln.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @pad_bounds_per_dimension(%x: tensor<2x2xf32>) {
  // expected-error@+1 {{low and high need 2 entries each}}
  %0 = kiln.pad %x {low = array<i64: 1>, high = array<i64: 1, 1>} : tensor<2x2xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @pad_negative(%x: tensor<2xf32>) {
  // expected-error@+1 {{pads must be non-negative}}
  %0 = kiln.pad %x {low = array<i64: -1>, high = array<i64: 0>} : tensor<2xf32> -> tensor<1xf32>
  return
}

// -----

func.func @pad_result_disagrees(%x: tensor<2xf32>) {
  // expected-error@+1 {{'kiln.pad' op result type 'tensor<4xf32>' is incompatible with the inferred 'tensor<5xf32>'}}
  %0 = kiln.pad %x {low = array<i64: 1>, high = array<i64: 2>} : tensor<2xf32> -> tensor<4xf32>
  return
}

// -----

func.func @scatter_add_of_booleans(%d: tensor<4xi1>, %i: tensor<2xi64>) {
  // expected-error@+1 {{'kiln.scatter_add' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 8-bit signless integer or 8-bit unsigned integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xi1>'}}
  %0 = kiln.scatter_add %d, %i, %d {axis = 0 : i64} : tensor<4xi1>, tensor<2xi64>, tensor<4xi1> -> tensor<4xi1>
  return
}

// -----

func.func @scatter_element_types_differ(%d: tensor<4xf32>, %i: tensor<2xi64>, %u: tensor<2xf64>) {
  // expected-error@+1 {{dest and updates element types differ: tensor<4xf32> vs tensor<2xi64> vs tensor<2xf64>}}
  %0 = kiln.scatter_add %d, %i, %u {axis = 0 : i64} : tensor<4xf32>, tensor<2xi64>, tensor<2xf64> -> tensor<4xf32>
  return
}

// -----

func.func @scatter_axis_out_of_range(%d: tensor<4xf32>, %i: tensor<2xi64>, %u: tensor<2xf32>) {
  // expected-error@+1 {{axis 1 is out of range for rank 1}}
  %0 = kiln.scatter_add %d, %i, %u {axis = 1 : i64} : tensor<4xf32>, tensor<2xi64>, tensor<2xf32> -> tensor<4xf32>
  return
}

// -----

// ... and a string is not a mode.
func.func @scatter_bad_mode(%d: tensor<4xf32>, %i: tensor<2xi64>, %u: tensor<2xf32>) {
  // expected-error@+1 {{attribute 'mode' failed to satisfy constraint: what an out-of-range index means}}
  %0 = kiln.scatter_add %d, %i, %u {axis = 0 : i64, mode = "drop"} : tensor<4xf32>, tensor<2xi64>, tensor<2xf32> -> tensor<4xf32>
  return
}

// -----

func.func @scatter_updates_shape(%d: tensor<4x2xf32>, %i: tensor<3xi64>, %u: tensor<3x5xf32>) {
  // expected-error@+1 {{updates must have shape tensor<3x2xf32>, got tensor<3x5xf32>}}
  %0 = kiln.scatter_add %d, %i, %u {axis = 0 : i64} : tensor<4x2xf32>, tensor<3xi64>, tensor<3x5xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @scatter_result_disagrees(%d: tensor<4xf32>, %i: tensor<2xi64>, %u: tensor<2xf32>) {
  // expected-error@+1 {{'kiln.scatter_add' op result type 'tensor<2xf32>' is incompatible with the inferred 'tensor<4xf32>'}}
  %0 = kiln.scatter_add %d, %i, %u {axis = 0 : i64} : tensor<4xf32>, tensor<2xi64>, tensor<2xf32> -> tensor<2xf32>
  return
}

// -----

func.func @random_seed_not_rank0_i64(%seed: tensor<1xi64>) {
  // expected-error@+1 {{'kiln.random_uniform' op operand #0 must be 0D tensor of 64-bit signless integer values, but got 'tensor<1xi64>'}}
  %0 = kiln.random_uniform %seed {low = 0.0, high = 1.0} : tensor<1xi64> -> tensor<4xf32>
  return
}

// -----

func.func @random_of_integers(%seed: tensor<i64>) {
  // expected-error@+1 {{'kiln.random_normal' op result #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = kiln.random_normal %seed {mean = 0.0, stddev = 1.0} : tensor<i64> -> tensor<4xi32>
  return
}

// -----

func.func @random_uniform_missing_extent(%seed: tensor<i64>) {
  // expected-error@+1 {{'kiln.random_uniform' op needs one index operand per dynamic result extent: 1, got 0}}
  %0 = kiln.random_uniform %seed {low = 0.0, high = 1.0} : tensor<i64> -> tensor<?xf32>
  return
}

// -----

func.func @random_bad_range(%seed: tensor<i64>) {
  // expected-error@+1 {{'kiln.random_uniform' op needs low < high}}
  %0 = kiln.random_uniform %seed {low = 2.0 : f64, high = 1.0 : f64} : tensor<i64> -> tensor<4xf32>
  return
}

// -----

func.func @random_normal_extra_extent(%seed: tensor<i64>, %n: index) {
  // expected-error@+1 {{'kiln.random_normal' op needs one index operand per dynamic result extent: 1, got 2}}
  %0 = kiln.random_normal %seed, %n, %n {mean = 0.0, stddev = 1.0} : tensor<i64> -> tensor<?x4xf32>
  return
}

// -----

func.func @random_normal_negative_stddev(%seed: tensor<i64>) {
  // expected-error@+1 {{'kiln.random_normal' op needs stddev >= 0}}
  %0 = kiln.random_normal %seed {mean = 0.0, stddev = -1.0} : tensor<i64> -> tensor<4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

func.func @matmul_of_integers(%a: tensor<3x4xi32>, %b: tensor<4x5xi32>) {
  // expected-error@+1 {{'kiln.matmul' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<3x4xi32>'}}
  %0 = kiln.matmul %a, %b : tensor<3x4xi32>, tensor<4x5xi32>
  return
}

// -----

func.func @matmul_of_vectors(%a: tensor<4xf32>, %b: tensor<4x6xf32>) {
  // expected-error@+1 {{operands must have rank 2 or more: tensor<4xf32> vs tensor<4x6xf32>}}
  %0 = kiln.matmul %a, %b : tensor<4xf32>, tensor<4x6xf32>
  return
}

// -----

func.func @matmul_element_types_differ(%a: tensor<3x4xf32>, %b: tensor<4x5xf16>) {
  // expected-error@+1 {{element types differ: tensor<3x4xf32> vs tensor<4x5xf16>}}
  %0 = kiln.matmul %a, %b : tensor<3x4xf32>, tensor<4x5xf16>
  return
}

// -----

func.func @matmul_contraction_mismatch(%a: tensor<3x4xf32>, %b: tensor<5x6xf32>) {
  // expected-error@+1 {{contraction extents differ (4 vs 5): tensor<3x4xf32> vs tensor<5x6xf32>}}
  %0 = kiln.matmul %a, %b : tensor<3x4xf32>, tensor<5x6xf32>
  return
}

// -----

func.func @matmul_batches_do_not_broadcast(%a: tensor<2x3x4xf32>, %b: tensor<5x4x6xf32>) {
  // expected-error@+1 {{batch dimensions do not broadcast: tensor<2x3x4xf32> vs tensor<5x4x6xf32>}}
  %0 = kiln.matmul %a, %b : tensor<2x3x4xf32>, tensor<5x4x6xf32>
  return
}

// -----

func.func @matmul_declared_result_disagrees(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) {
  // expected-error@+1 {{'kiln.matmul' op result type 'tensor<3x4xf32>' is incompatible with the inferred 'tensor<3x5xf32>'}}
  %0 = "kiln.matmul"(%a, %b) : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Library-backed neural-network primitives
//===----------------------------------------------------------------------===//

func.func @convolution_of_f16(%x: tensor<1x2x5x5xf16>, %w: tensor<3x2x3x3xf16>) {
  // expected-error@+1 {{'kiln.convolution' op operand #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<1x2x5x5xf16>'}}
  %0 = kiln.convolution %x, %w {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x2x5x5xf16>, tensor<3x2x3x3xf16> -> tensor<1x3x3x3xf16>
  return
}

// -----

func.func @convolution_without_groups(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{'kiln.convolution' op requires attribute 'groups'}}
  %0 = kiln.convolution %x, %w {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32> -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_bias_of_the_wrong_length(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error@+1 {{bias tensor<4xf32> does not fit filter tensor<3x2x3x3xf32>: expected one element per filter}}
  %0 = kiln.convolution %x, %w, %b {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>, tensor<4xf32> -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_bias_of_rank_two(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %b: tensor<3x1xf32>) {
  // expected-error@+1 {{bias tensor<3x1xf32> does not fit filter tensor<3x2x3x3xf32>: expected one element per filter}}
  %0 = kiln.convolution %x, %w, %b {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>, tensor<3x1xf32> -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_bias_of_another_element_type(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %b: tensor<3xf64>) {
  // expected-error@+1 {{bias tensor<3xf64> does not fit filter tensor<3x2x3x3xf32>: expected one element per filter}}
  %0 = kiln.convolution %x, %w, %b {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>, tensor<3xf64> -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_element_types_differ(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf64>) {
  // expected-error@+1 {{element types differ: tensor<1x2x5x5xf32> vs tensor<3x2x3x3xf64>}}
  %0 = kiln.convolution %x, %w {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf64> -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_ranks_differ(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3xf32>) {
  // expected-error@+1 {{input, filter and output need the same rank, got tensor<1x2x5x5xf32> and tensor<3x2x3xf32>}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

// No spatial dimension: (N, C) is not a convolution.
func.func @convolution_rank_2(%x: tensor<1x2xf32>, %w: tensor<3x2xf32>) {
  // expected-error@+1 {{expected 1 to 3 spatial dimensions (rank 3 to 5), got rank 2}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64>, padding_low = array<i64>, padding_high = array<i64>, dilations = array<i64>, groups = 1 : i64} : (tensor<1x2xf32>, tensor<3x2xf32>) -> tensor<1x3xf32>
  return
}

// -----

// Rank 1 is rejected before the filter's window (its dimensions after the
// first two) is read.
func.func @convolution_rank_1(%x: tensor<4xf32>, %w: tensor<3xf32>) {
  // expected-error@+1 {{expected 1 to 3 spatial dimensions (rank 3 to 5), got rank 1}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64>, padding_low = array<i64>, padding_high = array<i64>, dilations = array<i64>, groups = 1 : i64} : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @convolution_rank_6(%x: tensor<1x1x2x2x2x2xf32>, %w: tensor<1x1x1x1x1x1xf32>) {
  // expected-error@+1 {{expected 1 to 3 spatial dimensions (rank 3 to 5), got rank 6}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1, 1, 1>, padding_low = array<i64: 0, 0, 0, 0>, padding_high = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1, 1, 1>, groups = 1 : i64} : (tensor<1x1x2x2x2x2xf32>, tensor<1x1x1x1x1x1xf32>) -> tensor<1x1x2x2x2x2xf32>
  return
}

// -----

// The filter's spatial extents are the window.
func.func @convolution_empty_window(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x0x3xf32>) {
  // expected-error@+1 {{window entries must be >= 1, got 0}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x0x3xf32>) -> tensor<1x3x6x3xf32>
  return
}

// -----

func.func @convolution_dilations_length(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{dilations needs 2 entries, got 1}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

// Convolutions always have dilations (pooling has none).
func.func @convolution_dilations_empty(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{dilations needs 2 entries, got 0}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_backward_filter_dilations_empty(%x: tensor<2x3x11xf32>, %dy: tensor<2x8x5xf32>) {
  // expected-error@+1 {{dilations needs 1 entries, got 0}}
  %0 = kiln.convolution_backward_filter %x, %dy {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64>, groups = 1 : i64} : tensor<2x3x11xf32>, tensor<2x8x5xf32> -> tensor<8x3x3xf32>
  return
}

// -----

func.func @convolution_dilation_0(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{dilations entries must be >= 1, got 0}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 0>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_strides_length(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{strides needs 2 entries, got 3}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_stride_0(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{strides entries must be >= 1, got 0}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 0, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_padding_low_length(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{padding_low needs 2 entries, got 0}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_negative_padding_low(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{padding_low entries must be >= 0, got -1}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: -1, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x2x3xf32>
  return
}

// -----

func.func @convolution_padding_high_length(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{padding_high needs 2 entries, got 1}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_negative_padding_high(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{padding_high entries must be >= 0, got -2}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, -2>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x1xf32>
  return
}

// -----

func.func @convolution_groups_0(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{groups must be >= 1, got 0}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 0 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_channels_mismatch(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error@+1 {{input has 4 channels but the filter takes 2 per group x 1 groups}}
  %0 = kiln.convolution %x, %w {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x3x3xf32>
  return
}

// -----

// groups x per-group channels overflows rather than wrapping to 4.
func.func @convolution_groups_overflow(%x: tensor<1x4x5x5xf32>, %w: tensor<?x4x3x3xf32>) {
  // expected-error@+1 {{input has 4 channels but the filter takes 4 per group x 4611686018427387905 groups}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 4611686018427387905 : i64} : (tensor<1x4x5x5xf32>, tensor<?x4x3x3xf32>) -> tensor<1x?x3x3xf32>
  return
}

// -----

func.func @convolution_filters_not_divisible(%x: tensor<1x4x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{filter count 3 is not divisible by groups 2}}
  %0 = kiln.convolution %x, %w {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : tensor<1x4x5x5xf32>, tensor<3x2x3x3xf32> -> tensor<1x3x3x3xf32>
  return
}

// -----

// Dilation 3 stretches a 3-wide window over 7 positions; 5 + 1 + 0 is less.
func.func @convolution_window_larger_than_padded_input(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{window of 7 is larger than the padded extent 6}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: 1, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 3, 1>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x1x3xf32>
  return
}

// -----

func.func @convolution_window_overflows(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{window arithmetic overflows}}
  %0 = "kiln.convolution"(%x, %w) {strides = array<i64: 1, 1>, padding_low = array<i64: 9223372036854775806, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @convolution_result_disagrees(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{'kiln.convolution' op result type 'tensor<1x3x5x5xf32>' is incompatible with the inferred 'tensor<1x3x3x3xf32>'}}
  %0 = kiln.convolution %x, %w {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32> -> tensor<1x3x5x5xf32>
  return
}

// -----

func.func @convolution_result_less_static(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{'kiln.convolution' op result type 'tensor<1x3x?x3xf32>' is incompatible with the inferred 'tensor<1x3x3x3xf32>'}}
  %0 = kiln.convolution %x, %w {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32> -> tensor<1x3x?x3xf32>
  return
}

// -----

func.func @convolution_backward_data_extent_count(%dy: tensor<?x8x5xf32>, %w: tensor<8x3x3xf32>) {
  // expected-error@+1 {{'kiln.convolution_backward_data' op needs one index operand per dynamic result extent: 1, got 0}}
  %0 = kiln.convolution_backward_data %dy, %w {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<?x8x5xf32>, tensor<8x3x3xf32> -> tensor<?x3x11xf32>
  return
}

// -----

func.func @convolution_backward_data_element_types_differ(%dy: tensor<2x8x5xf64>, %w: tensor<8x3x3xf32>) {
  // expected-error@+1 {{'kiln.convolution_backward_data' op element types differ: 'tensor<2x8x5xf64>' vs 'tensor<2x3x11xf32>'}}
  %0 = kiln.convolution_backward_data %dy, %w {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<2x8x5xf64>, tensor<8x3x3xf32> -> tensor<2x3x11xf32>
  return
}

// -----

// Strides make the input extent ambiguous (11 and 12 both give 5), but 13
// gives 6.
func.func @convolution_backward_data_output_grad_disagrees(%dy: tensor<2x8x5xf32>, %w: tensor<8x3x3xf32>) {
  // expected-error@+1 {{output extent 5 of dimension 2 does not match the 6 the input and filter give}}
  %0 = kiln.convolution_backward_data %dy, %w {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<2x8x5xf32>, tensor<8x3x3xf32> -> tensor<2x3x13xf32>
  return
}

// -----

func.func @convolution_backward_data_filters_disagree(%dy: tensor<2x4x5xf32>, %w: tensor<8x3x3xf32>) {
  // expected-error@+1 {{output extent 4 of dimension 1 does not match the 8 the input and filter give}}
  %0 = kiln.convolution_backward_data %dy, %w {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<2x4x5xf32>, tensor<8x3x3xf32> -> tensor<2x3x11xf32>
  return
}

// -----

func.func @convolution_backward_data_output_rank(%dy: tensor<2x8x5x1xf32>, %w: tensor<8x3x3xf32>) {
  // expected-error@+1 {{input, filter and output need the same rank, got tensor<2x3x11xf32> and tensor<8x3x3xf32> and an output of rank 4}}
  %0 = kiln.convolution_backward_data %dy, %w {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<2x8x5x1xf32>, tensor<8x3x3xf32> -> tensor<2x3x11xf32>
  return
}

// -----

func.func @convolution_backward_filter_extent_count(%x: tensor<2x3x11xf32>, %dy: tensor<2x8x5xf32>, %n: index) {
  // expected-error@+1 {{'kiln.convolution_backward_filter' op needs one index operand per dynamic result extent: 0, got 1}}
  %0 = kiln.convolution_backward_filter %x, %dy, %n {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<2x3x11xf32>, tensor<2x8x5xf32> -> tensor<8x3x3xf32>
  return
}

// -----

func.func @convolution_backward_filter_element_types_differ(%x: tensor<2x3x11xf32>, %dy: tensor<2x8x5xf64>) {
  // expected-error@+1 {{'kiln.convolution_backward_filter' op element types differ: 'tensor<2x8x5xf64>' vs 'tensor<2x3x11xf32>'}}
  %0 = kiln.convolution_backward_filter %x, %dy {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<2x3x11xf32>, tensor<2x8x5xf64> -> tensor<8x3x3xf32>
  return
}

// -----

func.func @convolution_backward_filter_result_element_type(%x: tensor<2x3x11xf32>, %dy: tensor<2x8x5xf32>) {
  // expected-error@+1 {{element types differ: tensor<2x3x11xf32> vs tensor<8x3x3xf64>}}
  %0 = kiln.convolution_backward_filter %x, %dy {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<2x3x11xf32>, tensor<2x8x5xf32> -> tensor<8x3x3xf64>
  return
}

// -----

func.func @convolution_backward_filter_batch_disagrees(%x: tensor<2x3x11xf32>, %dy: tensor<3x8x5xf32>) {
  // expected-error@+1 {{output extent 3 of dimension 0 does not match the 2 the input and filter give}}
  %0 = kiln.convolution_backward_filter %x, %dy {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<2x3x11xf32>, tensor<3x8x5xf32> -> tensor<8x3x3xf32>
  return
}

// -----

func.func @convolution_backward_filter_groups(%x: tensor<2x4x11xf32>, %dy: tensor<2x6x5xf32>) {
  // expected-error@+1 {{input has 4 channels but the filter takes 2 per group x 3 groups}}
  %0 = kiln.convolution_backward_filter %x, %dy {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 3 : i64} : tensor<2x4x11xf32>, tensor<2x6x5xf32> -> tensor<6x2x3xf32>
  return
}

// -----

func.func @pool_of_integers(%x: tensor<1x2x4x4xi32>) {
  // expected-error@+1 {{'kiln.pool' op operand #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<1x2x4x4xi32>'}}
  %0 = kiln.pool %x {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xi32> -> tensor<1x2x2x2xi32>
  return
}

// -----

// Kinds are an enum: another spelling does not parse.
func.func @pool_kind_unknown(%x: tensor<1x2x4x4xf32>) {
  // expected-error@+2 {{expected ::mlir::kiln::PoolKind to be one of: max, avg}}
  // expected-error@+1 {{failed to parse Kiln_PoolKindAttr parameter 'value' which is to be a `::mlir::kiln::PoolKind`}}
  %0 = kiln.pool %x {kind = #kiln<pool_kind sum>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return
}

// -----

func.func @pool_without_count_include_pad(%x: tensor<1x2x4x4xf32>) {
  // expected-error@+1 {{'kiln.pool' op requires attribute 'count_include_pad'}}
  %0 = kiln.pool %x {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return
}

// -----

func.func @pool_rank_2(%x: tensor<2x4xf32>) {
  // expected-error@+1 {{expected 1 to 3 spatial dimensions (rank 3 to 5), got rank 2}}
  %0 = kiln.pool %x {kind = #kiln<pool_kind max>, window = array<i64>, strides = array<i64>, padding_low = array<i64>, padding_high = array<i64>, count_include_pad = true} : tensor<2x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @pool_window_length(%x: tensor<1x2x4x4xf32>) {
  // expected-error@+1 {{window needs 2 entries, got 1}}
  %0 = kiln.pool %x {kind = #kiln<pool_kind max>, window = array<i64: 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return
}

// -----

func.func @pool_window_0(%x: tensor<1x2x4x4xf32>) {
  // expected-error@+1 {{window entries must be >= 1, got 0}}
  %0 = kiln.pool %x {kind = #kiln<pool_kind max>, window = array<i64: 2, 0>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return
}

// -----

func.func @pool_stride_0(%x: tensor<1x2x4x4xf32>) {
  // expected-error@+1 {{strides entries must be >= 1, got 0}}
  %0 = kiln.pool %x {kind = #kiln<pool_kind avg>, window = array<i64: 2, 2>, strides = array<i64: 2, 0>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return
}

// -----

func.func @pool_negative_padding(%x: tensor<1x2x4x4xf32>) {
  // expected-error@+1 {{padding_low entries must be >= 0, got -1}}
  %0 = kiln.pool %x {kind = #kiln<pool_kind avg>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: -1, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return
}

// -----

func.func @pool_window_larger_than_padded_input(%x: tensor<1x2x4x4xf32>) {
  // expected-error@+1 {{window of 6 is larger than the padded extent 5}}
  %0 = kiln.pool %x {kind = #kiln<pool_kind max>, window = array<i64: 2, 6>, strides = array<i64: 1, 1>, padding_low = array<i64: 0, 1>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xf32> -> tensor<1x2x3x1xf32>
  return
}

// -----

func.func @pool_result_disagrees(%x: tensor<1x2x4x4xf32>) {
  // expected-error@+1 {{'kiln.pool' op result type 'tensor<1x2x4x4xf32>' is incompatible with the inferred 'tensor<1x2x2x2xf32>'}}
  %0 = kiln.pool %x {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return
}

// -----

func.func @pool_backward_element_types_differ(%x: tensor<1x2x4x4xf32>, %dy: tensor<1x2x2x2xf64>) {
  // expected-error@+1 {{output_grad tensor<1x2x2x2xf64> does not fit input tensor<1x2x4x4xf32>}}
  %0 = kiln.pool_backward %x, %dy {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xf32>, tensor<1x2x2x2xf64> -> tensor<1x2x4x4xf32>
  return
}

// -----

func.func @pool_backward_ranks_differ(%x: tensor<1x2x4x4xf32>, %dy: tensor<1x2x2xf32>) {
  // expected-error@+1 {{output_grad tensor<1x2x2xf32> does not fit input tensor<1x2x4x4xf32>}}
  %0 = kiln.pool_backward %x, %dy {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xf32>, tensor<1x2x2xf32> -> tensor<1x2x4x4xf32>
  return
}

// -----

func.func @pool_backward_output_grad_disagrees(%x: tensor<1x2x4x4xf32>, %dy: tensor<1x2x2x3xf32>) {
  // expected-error@+1 {{output_grad extent 3 of dimension 3 does not match the pooled 2}}
  %0 = kiln.pool_backward %x, %dy {kind = #kiln<pool_kind avg>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xf32>, tensor<1x2x2x3xf32> -> tensor<1x2x4x4xf32>
  return
}

// -----

func.func @pool_backward_result_disagrees(%x: tensor<1x2x4x4xf32>, %dy: tensor<1x2x2x2xf32>) {
  // expected-error@+1 {{'kiln.pool_backward' op result type 'tensor<1x2x2x2xf32>' is incompatible with the inferred 'tensor<1x2x4x4xf32>'}}
  %0 = kiln.pool_backward %x, %dy {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32> -> tensor<1x2x2x2xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Lowering-stage ops
//===----------------------------------------------------------------------===//

func.func @library_call_outputs_mixed(%x: tensor<4xf32>, %a: tensor<4xf32>, %b: memref<4xf32>) {
  // expected-error@+1 {{'kiln.library_call' op outputs must be all tensors or all buffers}}
  %0 = "kiln.library_call"(%x, %a, %b) {callee = "f", params = array<i64>, operandSegmentSizes = array<i32: 1, 2>} : (tensor<4xf32>, tensor<4xf32>, memref<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @library_call_results_on_buffers(%x: memref<4xf32>, %y: memref<4xf32>) {
  // expected-error@+1 {{'kiln.library_call' op on buffers returns nothing, got 1 results}}
  %0 = "kiln.library_call"(%x, %y) {callee = "f", params = array<i64>, operandSegmentSizes = array<i32: 1, 1>} : (memref<4xf32>, memref<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @library_call_result_types_differ(%x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error@+1 {{'kiln.library_call' op results must have the outputs' types}}
  %0 = kiln.library_call "f" ins(%x : tensor<4xf32>) outs(%y : tensor<4xf32>) {params = array<i64>} -> tensor<?xf32>
  return
}

// -----

func.func @library_call_result_missing(%x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error@+1 {{'kiln.library_call' op results must have the outputs' types}}
  kiln.library_call "f" ins(%x : tensor<4xf32>) outs(%y : tensor<4xf32>) {params = array<i64>}
  return
}

// -----

func.func @library_call_inputs_on_tensors(%x: tensor<4xf32>, %y: memref<4xf32>) {
  // expected-error@+1 {{'kiln.library_call' op inputs on buffers must be buffers, got 'tensor<4xf32>'}}
  kiln.library_call "f" ins(%x : tensor<4xf32>) outs(%y : memref<4xf32>) {params = array<i64>}
  return
}

// -----

func.func @library_call_inputs_on_buffers(%x: memref<4xf32>, %y: tensor<4xf32>) {
  // expected-error@+1 {{'kiln.library_call' op inputs on tensors must be ranked tensors, got 'memref<4xf32>'}}
  %0 = kiln.library_call "f" ins(%x : memref<4xf32>) outs(%y : tensor<4xf32>) {params = array<i64>} -> tensor<4xf32>
  return
}

// -----

func.func @library_call_without_outputs(%x: memref<4xf32>) {
  // expected-error@+1 {{'kiln.library_call' op needs at least one output}}
  "kiln.library_call"(%x) {callee = "f", params = array<i64>, operandSegmentSizes = array<i32: 1, 0>} : (memref<4xf32>) -> ()
  return
}

// -----

func.func @library_call_without_params(%x: memref<4xf32>) {
  // expected-error@+1 {{'kiln.library_call' op requires attribute 'params'}}
  kiln.library_call "f" outs(%x : memref<4xf32>)
  return
}

// -----

// The pads' sum must fit even when the extent is only known at run time.
func.func @pool_pads_overflow(%x: tensor<1x2x?xf32>) {
  // expected-error@+1 {{window arithmetic overflows}}
  %0 = kiln.pool %x {kind = #kiln<pool_kind max>, window = array<i64: 2>, strides = array<i64: 1>, padding_low = array<i64: 9223372036854775807>, padding_high = array<i64: 1>, count_include_pad = true} : tensor<1x2x?xf32> -> tensor<1x2x?xf32>
  return
}

// -----

// A declared result may not be less static than inference: the lowering
// would have no operand to read the extent from.
func.func @add_result_less_static(%a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{'kiln.add' op result type 'tensor<?xf32>' is incompatible with the inferred 'tensor<3xf32>'}}
  %0 = "kiln.add"(%a, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<?xf32>
  return
}

// -----

func.func @cast_result_less_static(%a: tensor<3xf32>) {
  // expected-error@+1 {{result shape must match the operand's}}
  %0 = kiln.cast %a : tensor<3xf32> to tensor<?xi32>
  return
}

// -----

func.func @pad_result_less_static(%a: tensor<3xf32>) {
  // expected-error@+1 {{incompatible with the inferred 'tensor<5xf32>'}}
  %0 = kiln.pad %a {low = array<i64: 1>, high = array<i64: 1>} : tensor<3xf32> -> tensor<?xf32>
  return
}

// -----

func.func @reduce_result_less_static(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{incompatible with the inferred 'tensor<3x1xf32>'}}
  %0 = kiln.reduce_sum %a {axes = array<i64: 1>, keepdims = true} : tensor<3x4xf32> -> tensor<?x1xf32>
  return
}

// -----

func.func @argmax_result_less_static(%a: tensor<3x4xf32>) {
  // expected-error@+1 {{incompatible with the inferred 'tensor<3x1xi64>'}}
  %0 = kiln.argmax %a {axis = 1 : i64, keepdims = true} : tensor<3x4xf32> -> tensor<?x1xi64>
  return
}

// -----

func.func @scatter_result_less_static(%d: tensor<4xf32>, %i: tensor<3xi64>, %u: tensor<3xf32>) {
  // expected-error@+1 {{incompatible with the inferred 'tensor<4xf32>'}}
  %0 = kiln.scatter_add %d, %i, %u {axis = 0 : i64} : tensor<4xf32>, tensor<3xi64>, tensor<3xf32> -> tensor<?xf32>
  return
}

// -----

func.func @pad_overflows(%a: tensor<4xf32>) {
  // expected-error@+1 {{padded dimension 0 overflows a 64-bit extent}}
  %0 = kiln.pad %a {low = array<i64: 9223372036854775800>, high = array<i64: 5>} : tensor<4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @pads_overflow(%a: tensor<?xf32>) {
  // expected-error@+1 {{pads of dimension 0 overflow a 64-bit extent}}
  %0 = kiln.pad %a {low = array<i64: 9223372036854775807>, high = array<i64: 1>} : tensor<?xf32> -> tensor<?xf32>
  return
}
