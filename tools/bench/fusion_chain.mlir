// The fusion benchmark's expression, eight elementwise ops on one input:
//   y = max(((x * 0.75 - 0.25) * x + 1.0) * 0.5, 0) * x + x * x
func.func @fusion_chain(%x: tensor<?xf32>) -> tensor<?xf32> {
  %a = kiln.constant dense<0.75> : tensor<f32>
  %b = kiln.constant dense<0.25> : tensor<f32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %t1 = kiln.mul %x, %a : tensor<?xf32>, tensor<f32>
  %t2 = kiln.sub %t1, %b : tensor<?xf32>, tensor<f32>
  %t3 = kiln.mul %t2, %x : tensor<?xf32>, tensor<?xf32>
  %t4 = kiln.add %t3, %one : tensor<?xf32>, tensor<f32>
  %t5 = kiln.mul %t4, %half : tensor<?xf32>, tensor<f32>
  %zero = kiln.constant dense<0.0> : tensor<f32>
  %t6 = kiln.maximum %t5, %zero : tensor<?xf32>, tensor<f32>
  %t7 = kiln.mul %t6, %x : tensor<?xf32>, tensor<?xf32>
  %t8 = kiln.mul %x, %x : tensor<?xf32>, tensor<?xf32>
  %t9 = kiln.add %t7, %t8 : tensor<?xf32>, tensor<?xf32>
  return %t9 : tensor<?xf32>
}
