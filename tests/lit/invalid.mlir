// RUN: kiln-opt %s -split-input-file -verify-diagnostics
// Malformed IR is a diagnostic at the op's location, never a crash.

func.func @shapes_differ(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) {
  // expected-error@+1 {{operand shapes differ: tensor<2x3xf32> vs tensor<3x2xf32>}}
  %0 = kiln.add %a, %b : tensor<2x3xf32>, tensor<3x2xf32>
  return
}

// -----

func.func @ranks_differ(%a: tensor<3xf32>, %b: tensor<1x3xf32>) {
  // expected-error@+1 {{operand shapes differ}}
  %0 = kiln.add %a, %b : tensor<3xf32>, tensor<1x3xf32>
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
