// RUN: kiln-opt %s --convert-kiln-to-linalg --canonicalize --kiln-fuse-elementwise -split-input-file -verify-diagnostics

// A kiln.one_pass function whose loops cannot become one (a reduction next
// to an elementwise result) is an error, not two loops that might read what
// the other already overwrote: the caller then writes to new buffers.
// expected-error@+1 {{kiln.one_pass: 2 loop nests cannot merge into one}}
func.func @one_pass_with_a_reduction(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<f32>) attributes {kiln.one_pass} {
  %y = kiln.exp %x : tensor<?xf32>
  %s = kiln.reduce_sum %y {axes = array<i64: 0>} : tensor<?xf32> -> tensor<f32>
  return %y, %s : tensor<?xf32>, tensor<f32>
}
