// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s
// Every op of the dialect round-trips through its custom assembly and through
// the generic form: printed, parsed back and printed again unchanged. Each op
// appears with each element type family it accepts and with static, dynamic
// and rank-0 shapes; ops without a result type in their assembly (binary ops,
// select, matmul) infer it, and the function returning it states the inferred
// type in its signature. Malformed ops are in invalid.mlir.

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// Unary ops on every integer and float type; the result has the operand's type.

// CHECK-LABEL: func.func @neg(
// CHECK: kiln.neg %arg0 : tensor<?x3xf32>
// CHECK: kiln.neg %arg1 : tensor<2xf16>
// CHECK: kiln.neg %arg2 : tensor<bf16>
// CHECK: kiln.neg %arg3 : tensor<4x?xf64>
// CHECK: kiln.neg %arg4 : tensor<?xi32>
// CHECK: kiln.neg %arg5 : tensor<2x2xi64>
// CHECK: kiln.neg %arg6 : tensor<3xi8>
// CHECK: kiln.neg %arg7 : tensor<ui8>
func.func @neg(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>,
    %x4: tensor<?xi32>, %x5: tensor<2x2xi64>, %x6: tensor<3xi8>, %x7: tensor<ui8>) {
  %0 = kiln.neg %x0 : tensor<?x3xf32>
  %1 = kiln.neg %x1 : tensor<2xf16>
  %2 = kiln.neg %x2 : tensor<bf16>
  %3 = kiln.neg %x3 : tensor<4x?xf64>
  %4 = kiln.neg %x4 : tensor<?xi32>
  %5 = kiln.neg %x5 : tensor<2x2xi64>
  %6 = kiln.neg %x6 : tensor<3xi8>
  %7 = kiln.neg %x7 : tensor<ui8>
  return
}

// CHECK-LABEL: func.func @abs(
// CHECK: kiln.abs %arg0 : tensor<?x3xf32>
// CHECK: kiln.abs %arg1 : tensor<2xf16>
// CHECK: kiln.abs %arg2 : tensor<bf16>
// CHECK: kiln.abs %arg3 : tensor<4x?xf64>
// CHECK: kiln.abs %arg4 : tensor<?xi32>
// CHECK: kiln.abs %arg5 : tensor<2x2xi64>
// CHECK: kiln.abs %arg6 : tensor<3xi8>
// CHECK: kiln.abs %arg7 : tensor<ui8>
func.func @abs(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>,
    %x4: tensor<?xi32>, %x5: tensor<2x2xi64>, %x6: tensor<3xi8>, %x7: tensor<ui8>) {
  %0 = kiln.abs %x0 : tensor<?x3xf32>
  %1 = kiln.abs %x1 : tensor<2xf16>
  %2 = kiln.abs %x2 : tensor<bf16>
  %3 = kiln.abs %x3 : tensor<4x?xf64>
  %4 = kiln.abs %x4 : tensor<?xi32>
  %5 = kiln.abs %x5 : tensor<2x2xi64>
  %6 = kiln.abs %x6 : tensor<3xi8>
  %7 = kiln.abs %x7 : tensor<ui8>
  return
}

// CHECK-LABEL: func.func @sign(
// CHECK: kiln.sign %arg0 : tensor<?x3xf32>
// CHECK: kiln.sign %arg1 : tensor<2xf16>
// CHECK: kiln.sign %arg2 : tensor<bf16>
// CHECK: kiln.sign %arg3 : tensor<4x?xf64>
// CHECK: kiln.sign %arg4 : tensor<?xi32>
// CHECK: kiln.sign %arg5 : tensor<2x2xi64>
// CHECK: kiln.sign %arg6 : tensor<3xi8>
// CHECK: kiln.sign %arg7 : tensor<ui8>
func.func @sign(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>,
    %x4: tensor<?xi32>, %x5: tensor<2x2xi64>, %x6: tensor<3xi8>, %x7: tensor<ui8>) {
  %0 = kiln.sign %x0 : tensor<?x3xf32>
  %1 = kiln.sign %x1 : tensor<2xf16>
  %2 = kiln.sign %x2 : tensor<bf16>
  %3 = kiln.sign %x3 : tensor<4x?xf64>
  %4 = kiln.sign %x4 : tensor<?xi32>
  %5 = kiln.sign %x5 : tensor<2x2xi64>
  %6 = kiln.sign %x6 : tensor<3xi8>
  %7 = kiln.sign %x7 : tensor<ui8>
  return
}

// CHECK-LABEL: func.func @square(
// CHECK: kiln.square %arg0 : tensor<?x3xf32>
// CHECK: kiln.square %arg1 : tensor<2xf16>
// CHECK: kiln.square %arg2 : tensor<bf16>
// CHECK: kiln.square %arg3 : tensor<4x?xf64>
// CHECK: kiln.square %arg4 : tensor<?xi32>
// CHECK: kiln.square %arg5 : tensor<2x2xi64>
// CHECK: kiln.square %arg6 : tensor<3xi8>
// CHECK: kiln.square %arg7 : tensor<ui8>
func.func @square(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>,
    %x4: tensor<?xi32>, %x5: tensor<2x2xi64>, %x6: tensor<3xi8>, %x7: tensor<ui8>) {
  %0 = kiln.square %x0 : tensor<?x3xf32>
  %1 = kiln.square %x1 : tensor<2xf16>
  %2 = kiln.square %x2 : tensor<bf16>
  %3 = kiln.square %x3 : tensor<4x?xf64>
  %4 = kiln.square %x4 : tensor<?xi32>
  %5 = kiln.square %x5 : tensor<2x2xi64>
  %6 = kiln.square %x6 : tensor<3xi8>
  %7 = kiln.square %x7 : tensor<ui8>
  return
}

// CHECK-LABEL: func.func @relu(
// CHECK: kiln.relu %arg0 : tensor<?x3xf32>
// CHECK: kiln.relu %arg1 : tensor<2xf16>
// CHECK: kiln.relu %arg2 : tensor<bf16>
// CHECK: kiln.relu %arg3 : tensor<4x?xf64>
// CHECK: kiln.relu %arg4 : tensor<?xi32>
// CHECK: kiln.relu %arg5 : tensor<2x2xi64>
// CHECK: kiln.relu %arg6 : tensor<3xi8>
// CHECK: kiln.relu %arg7 : tensor<ui8>
func.func @relu(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>,
    %x4: tensor<?xi32>, %x5: tensor<2x2xi64>, %x6: tensor<3xi8>, %x7: tensor<ui8>) {
  %0 = kiln.relu %x0 : tensor<?x3xf32>
  %1 = kiln.relu %x1 : tensor<2xf16>
  %2 = kiln.relu %x2 : tensor<bf16>
  %3 = kiln.relu %x3 : tensor<4x?xf64>
  %4 = kiln.relu %x4 : tensor<?xi32>
  %5 = kiln.relu %x5 : tensor<2x2xi64>
  %6 = kiln.relu %x6 : tensor<3xi8>
  %7 = kiln.relu %x7 : tensor<ui8>
  return
}

// Transcendental and rounding ops take floats only.

// CHECK-LABEL: func.func @exp(
// CHECK: kiln.exp %arg0 : tensor<?x3xf32>
// CHECK: kiln.exp %arg1 : tensor<2xf16>
// CHECK: kiln.exp %arg2 : tensor<bf16>
// CHECK: kiln.exp %arg3 : tensor<4x?xf64>
func.func @exp(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.exp %x0 : tensor<?x3xf32>
  %1 = kiln.exp %x1 : tensor<2xf16>
  %2 = kiln.exp %x2 : tensor<bf16>
  %3 = kiln.exp %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @expm1(
// CHECK: kiln.expm1 %arg0 : tensor<?x3xf32>
// CHECK: kiln.expm1 %arg1 : tensor<2xf16>
// CHECK: kiln.expm1 %arg2 : tensor<bf16>
// CHECK: kiln.expm1 %arg3 : tensor<4x?xf64>
func.func @expm1(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.expm1 %x0 : tensor<?x3xf32>
  %1 = kiln.expm1 %x1 : tensor<2xf16>
  %2 = kiln.expm1 %x2 : tensor<bf16>
  %3 = kiln.expm1 %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @log(
// CHECK: kiln.log %arg0 : tensor<?x3xf32>
// CHECK: kiln.log %arg1 : tensor<2xf16>
// CHECK: kiln.log %arg2 : tensor<bf16>
// CHECK: kiln.log %arg3 : tensor<4x?xf64>
func.func @log(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.log %x0 : tensor<?x3xf32>
  %1 = kiln.log %x1 : tensor<2xf16>
  %2 = kiln.log %x2 : tensor<bf16>
  %3 = kiln.log %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @log1p(
// CHECK: kiln.log1p %arg0 : tensor<?x3xf32>
// CHECK: kiln.log1p %arg1 : tensor<2xf16>
// CHECK: kiln.log1p %arg2 : tensor<bf16>
// CHECK: kiln.log1p %arg3 : tensor<4x?xf64>
func.func @log1p(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.log1p %x0 : tensor<?x3xf32>
  %1 = kiln.log1p %x1 : tensor<2xf16>
  %2 = kiln.log1p %x2 : tensor<bf16>
  %3 = kiln.log1p %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @sqrt(
// CHECK: kiln.sqrt %arg0 : tensor<?x3xf32>
// CHECK: kiln.sqrt %arg1 : tensor<2xf16>
// CHECK: kiln.sqrt %arg2 : tensor<bf16>
// CHECK: kiln.sqrt %arg3 : tensor<4x?xf64>
func.func @sqrt(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.sqrt %x0 : tensor<?x3xf32>
  %1 = kiln.sqrt %x1 : tensor<2xf16>
  %2 = kiln.sqrt %x2 : tensor<bf16>
  %3 = kiln.sqrt %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @rsqrt(
// CHECK: kiln.rsqrt %arg0 : tensor<?x3xf32>
// CHECK: kiln.rsqrt %arg1 : tensor<2xf16>
// CHECK: kiln.rsqrt %arg2 : tensor<bf16>
// CHECK: kiln.rsqrt %arg3 : tensor<4x?xf64>
func.func @rsqrt(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.rsqrt %x0 : tensor<?x3xf32>
  %1 = kiln.rsqrt %x1 : tensor<2xf16>
  %2 = kiln.rsqrt %x2 : tensor<bf16>
  %3 = kiln.rsqrt %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @tanh(
// CHECK: kiln.tanh %arg0 : tensor<?x3xf32>
// CHECK: kiln.tanh %arg1 : tensor<2xf16>
// CHECK: kiln.tanh %arg2 : tensor<bf16>
// CHECK: kiln.tanh %arg3 : tensor<4x?xf64>
func.func @tanh(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.tanh %x0 : tensor<?x3xf32>
  %1 = kiln.tanh %x1 : tensor<2xf16>
  %2 = kiln.tanh %x2 : tensor<bf16>
  %3 = kiln.tanh %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @sigmoid(
// CHECK: kiln.sigmoid %arg0 : tensor<?x3xf32>
// CHECK: kiln.sigmoid %arg1 : tensor<2xf16>
// CHECK: kiln.sigmoid %arg2 : tensor<bf16>
// CHECK: kiln.sigmoid %arg3 : tensor<4x?xf64>
func.func @sigmoid(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.sigmoid %x0 : tensor<?x3xf32>
  %1 = kiln.sigmoid %x1 : tensor<2xf16>
  %2 = kiln.sigmoid %x2 : tensor<bf16>
  %3 = kiln.sigmoid %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @erf(
// CHECK: kiln.erf %arg0 : tensor<?x3xf32>
// CHECK: kiln.erf %arg1 : tensor<2xf16>
// CHECK: kiln.erf %arg2 : tensor<bf16>
// CHECK: kiln.erf %arg3 : tensor<4x?xf64>
func.func @erf(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.erf %x0 : tensor<?x3xf32>
  %1 = kiln.erf %x1 : tensor<2xf16>
  %2 = kiln.erf %x2 : tensor<bf16>
  %3 = kiln.erf %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @sin(
// CHECK: kiln.sin %arg0 : tensor<?x3xf32>
// CHECK: kiln.sin %arg1 : tensor<2xf16>
// CHECK: kiln.sin %arg2 : tensor<bf16>
// CHECK: kiln.sin %arg3 : tensor<4x?xf64>
func.func @sin(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.sin %x0 : tensor<?x3xf32>
  %1 = kiln.sin %x1 : tensor<2xf16>
  %2 = kiln.sin %x2 : tensor<bf16>
  %3 = kiln.sin %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @cos(
// CHECK: kiln.cos %arg0 : tensor<?x3xf32>
// CHECK: kiln.cos %arg1 : tensor<2xf16>
// CHECK: kiln.cos %arg2 : tensor<bf16>
// CHECK: kiln.cos %arg3 : tensor<4x?xf64>
func.func @cos(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.cos %x0 : tensor<?x3xf32>
  %1 = kiln.cos %x1 : tensor<2xf16>
  %2 = kiln.cos %x2 : tensor<bf16>
  %3 = kiln.cos %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @asin(
// CHECK: kiln.asin %arg0 : tensor<?x3xf32>
// CHECK: kiln.asin %arg1 : tensor<2xf16>
// CHECK: kiln.asin %arg2 : tensor<bf16>
// CHECK: kiln.asin %arg3 : tensor<4x?xf64>
func.func @asin(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.asin %x0 : tensor<?x3xf32>
  %1 = kiln.asin %x1 : tensor<2xf16>
  %2 = kiln.asin %x2 : tensor<bf16>
  %3 = kiln.asin %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @acos(
// CHECK: kiln.acos %arg0 : tensor<?x3xf32>
// CHECK: kiln.acos %arg1 : tensor<2xf16>
// CHECK: kiln.acos %arg2 : tensor<bf16>
// CHECK: kiln.acos %arg3 : tensor<4x?xf64>
func.func @acos(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.acos %x0 : tensor<?x3xf32>
  %1 = kiln.acos %x1 : tensor<2xf16>
  %2 = kiln.acos %x2 : tensor<bf16>
  %3 = kiln.acos %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @atan(
// CHECK: kiln.atan %arg0 : tensor<?x3xf32>
// CHECK: kiln.atan %arg1 : tensor<2xf16>
// CHECK: kiln.atan %arg2 : tensor<bf16>
// CHECK: kiln.atan %arg3 : tensor<4x?xf64>
func.func @atan(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.atan %x0 : tensor<?x3xf32>
  %1 = kiln.atan %x1 : tensor<2xf16>
  %2 = kiln.atan %x2 : tensor<bf16>
  %3 = kiln.atan %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @floor(
// CHECK: kiln.floor %arg0 : tensor<?x3xf32>
// CHECK: kiln.floor %arg1 : tensor<2xf16>
// CHECK: kiln.floor %arg2 : tensor<bf16>
// CHECK: kiln.floor %arg3 : tensor<4x?xf64>
func.func @floor(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.floor %x0 : tensor<?x3xf32>
  %1 = kiln.floor %x1 : tensor<2xf16>
  %2 = kiln.floor %x2 : tensor<bf16>
  %3 = kiln.floor %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @ceil(
// CHECK: kiln.ceil %arg0 : tensor<?x3xf32>
// CHECK: kiln.ceil %arg1 : tensor<2xf16>
// CHECK: kiln.ceil %arg2 : tensor<bf16>
// CHECK: kiln.ceil %arg3 : tensor<4x?xf64>
func.func @ceil(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.ceil %x0 : tensor<?x3xf32>
  %1 = kiln.ceil %x1 : tensor<2xf16>
  %2 = kiln.ceil %x2 : tensor<bf16>
  %3 = kiln.ceil %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @round(
// CHECK: kiln.round %arg0 : tensor<?x3xf32>
// CHECK: kiln.round %arg1 : tensor<2xf16>
// CHECK: kiln.round %arg2 : tensor<bf16>
// CHECK: kiln.round %arg3 : tensor<4x?xf64>
func.func @round(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.round %x0 : tensor<?x3xf32>
  %1 = kiln.round %x1 : tensor<2xf16>
  %2 = kiln.round %x2 : tensor<bf16>
  %3 = kiln.round %x3 : tensor<4x?xf64>
  return
}

// CHECK-LABEL: func.func @reciprocal(
// CHECK: kiln.reciprocal %arg0 : tensor<?x3xf32>
// CHECK: kiln.reciprocal %arg1 : tensor<2xf16>
// CHECK: kiln.reciprocal %arg2 : tensor<bf16>
// CHECK: kiln.reciprocal %arg3 : tensor<4x?xf64>
func.func @reciprocal(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>) {
  %0 = kiln.reciprocal %x0 : tensor<?x3xf32>
  %1 = kiln.reciprocal %x1 : tensor<2xf16>
  %2 = kiln.reciprocal %x2 : tensor<bf16>
  %3 = kiln.reciprocal %x3 : tensor<4x?xf64>
  return
}

// logical_not takes every element type, i1 included, and keeps it.

// CHECK-LABEL: func.func @logical_not(
// CHECK: kiln.logical_not %arg0 : tensor<?x3xf32>
// CHECK: kiln.logical_not %arg1 : tensor<2xf16>
// CHECK: kiln.logical_not %arg2 : tensor<bf16>
// CHECK: kiln.logical_not %arg3 : tensor<4x?xf64>
// CHECK: kiln.logical_not %arg4 : tensor<?xi32>
// CHECK: kiln.logical_not %arg5 : tensor<2x2xi64>
// CHECK: kiln.logical_not %arg6 : tensor<3xi8>
// CHECK: kiln.logical_not %arg7 : tensor<ui8>
// CHECK: kiln.logical_not %arg8 : tensor<5x?xi1>
func.func @logical_not(%x0: tensor<?x3xf32>, %x1: tensor<2xf16>, %x2: tensor<bf16>, %x3: tensor<4x?xf64>,
    %x4: tensor<?xi32>, %x5: tensor<2x2xi64>, %x6: tensor<3xi8>, %x7: tensor<ui8>, %x8: tensor<5x?xi1>) {
  %0 = kiln.logical_not %x0 : tensor<?x3xf32>
  %1 = kiln.logical_not %x1 : tensor<2xf16>
  %2 = kiln.logical_not %x2 : tensor<bf16>
  %3 = kiln.logical_not %x3 : tensor<4x?xf64>
  %4 = kiln.logical_not %x4 : tensor<?xi32>
  %5 = kiln.logical_not %x5 : tensor<2x2xi64>
  %6 = kiln.logical_not %x6 : tensor<3xi8>
  %7 = kiln.logical_not %x7 : tensor<ui8>
  %8 = kiln.logical_not %x8 : tensor<5x?xi1>
  return
}

// Binary ops broadcast as numpy does (aligned at the right; a static 1 or a
// missing dimension stretches, a dynamic extent takes the other operand's) and
// infer their result type, which each function returns: its signature states
// the inferred types.

// CHECK-LABEL: func.func @add(
// CHECK-SAME: -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>)
// CHECK: kiln.add %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.add %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.add %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.add %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.add %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.add %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.add %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.add %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.add %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @add(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>) {
  %0 = kiln.add %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.add %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.add %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.add %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.add %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.add %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.add %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.add %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.add %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>
}

// CHECK-LABEL: func.func @mul(
// CHECK-SAME: -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>)
// CHECK: kiln.mul %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.mul %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.mul %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.mul %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.mul %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.mul %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.mul %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.mul %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.mul %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @mul(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>) {
  %0 = kiln.mul %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.mul %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.mul %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.mul %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.mul %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.mul %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.mul %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.mul %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.mul %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>
}

// CHECK-LABEL: func.func @maximum(
// CHECK-SAME: -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>)
// CHECK: kiln.maximum %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.maximum %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.maximum %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.maximum %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.maximum %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.maximum %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.maximum %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.maximum %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.maximum %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @maximum(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>) {
  %0 = kiln.maximum %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.maximum %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.maximum %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.maximum %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.maximum %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.maximum %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.maximum %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.maximum %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.maximum %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>
}

// CHECK-LABEL: func.func @minimum(
// CHECK-SAME: -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>)
// CHECK: kiln.minimum %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.minimum %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.minimum %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.minimum %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.minimum %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.minimum %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.minimum %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.minimum %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.minimum %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @minimum(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>) {
  %0 = kiln.minimum %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.minimum %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.minimum %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.minimum %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.minimum %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.minimum %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.minimum %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.minimum %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.minimum %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>, tensor<2x2xi1>
}

// Arithmetic that has no meaning on i1 takes the other types.

// CHECK-LABEL: func.func @sub(
// CHECK-SAME: -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>)
// CHECK: kiln.sub %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.sub %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.sub %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.sub %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.sub %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.sub %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.sub %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.sub %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
func.func @sub(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>)
    -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>) {
  %0 = kiln.sub %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.sub %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.sub %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.sub %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.sub %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.sub %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.sub %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.sub %a7, %b7 : tensor<4xui8>, tensor<ui8>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>
}

// CHECK-LABEL: func.func @div(
// CHECK-SAME: -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>)
// CHECK: kiln.div %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.div %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.div %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.div %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.div %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.div %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.div %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.div %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
func.func @div(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>)
    -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>) {
  %0 = kiln.div %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.div %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.div %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.div %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.div %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.div %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.div %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.div %a7, %b7 : tensor<4xui8>, tensor<ui8>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>
}

// CHECK-LABEL: func.func @pow(
// CHECK-SAME: -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>)
// CHECK: kiln.pow %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.pow %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.pow %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.pow %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.pow %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.pow %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.pow %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.pow %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
func.func @pow(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>)
    -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>) {
  %0 = kiln.pow %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.pow %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.pow %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.pow %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.pow %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.pow %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.pow %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.pow %a7, %b7 : tensor<4xui8>, tensor<ui8>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>
}

// CHECK-LABEL: func.func @mod(
// CHECK-SAME: -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>)
// CHECK: kiln.mod %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.mod %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.mod %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.mod %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.mod %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.mod %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.mod %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.mod %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
func.func @mod(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>)
    -> (tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>) {
  %0 = kiln.mod %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.mod %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.mod %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.mod %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.mod %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.mod %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.mod %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.mod %a7, %b7 : tensor<4xui8>, tensor<ui8>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<?x4x3xf32>, tensor<2x3xf16>, tensor<5xbf16>, tensor<f64>, tensor<?xi32>, tensor<3x4xi64>, tensor<?xi8>, tensor<4xui8>
}

// Comparisons and logical ops take every type, i1 included, and give i1.

// CHECK-LABEL: func.func @eq(
// CHECK-SAME: -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>)
// CHECK: kiln.eq %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.eq %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.eq %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.eq %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.eq %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.eq %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.eq %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.eq %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.eq %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @eq(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>) {
  %0 = kiln.eq %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.eq %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.eq %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.eq %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.eq %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.eq %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.eq %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.eq %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.eq %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>
}

// CHECK-LABEL: func.func @ne(
// CHECK-SAME: -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>)
// CHECK: kiln.ne %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.ne %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.ne %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.ne %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.ne %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.ne %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.ne %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.ne %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.ne %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @ne(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>) {
  %0 = kiln.ne %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.ne %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.ne %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.ne %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.ne %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.ne %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.ne %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.ne %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.ne %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>
}

// CHECK-LABEL: func.func @lt(
// CHECK-SAME: -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>)
// CHECK: kiln.lt %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.lt %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.lt %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.lt %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.lt %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.lt %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.lt %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.lt %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.lt %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @lt(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>) {
  %0 = kiln.lt %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.lt %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.lt %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.lt %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.lt %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.lt %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.lt %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.lt %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.lt %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>
}

// CHECK-LABEL: func.func @le(
// CHECK-SAME: -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>)
// CHECK: kiln.le %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.le %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.le %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.le %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.le %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.le %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.le %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.le %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.le %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @le(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>) {
  %0 = kiln.le %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.le %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.le %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.le %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.le %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.le %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.le %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.le %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.le %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>
}

// CHECK-LABEL: func.func @gt(
// CHECK-SAME: -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>)
// CHECK: kiln.gt %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.gt %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.gt %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.gt %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.gt %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.gt %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.gt %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.gt %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.gt %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @gt(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>) {
  %0 = kiln.gt %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.gt %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.gt %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.gt %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.gt %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.gt %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.gt %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.gt %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.gt %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>
}

// CHECK-LABEL: func.func @ge(
// CHECK-SAME: -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>)
// CHECK: kiln.ge %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.ge %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.ge %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.ge %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.ge %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.ge %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.ge %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.ge %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.ge %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @ge(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>) {
  %0 = kiln.ge %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.ge %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.ge %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.ge %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.ge %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.ge %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.ge %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.ge %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.ge %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>
}

// CHECK-LABEL: func.func @logical_and(
// CHECK-SAME: -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>)
// CHECK: kiln.logical_and %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.logical_and %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.logical_and %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.logical_and %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.logical_and %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.logical_and %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.logical_and %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.logical_and %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.logical_and %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @logical_and(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>) {
  %0 = kiln.logical_and %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.logical_and %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.logical_and %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.logical_and %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.logical_and %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.logical_and %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.logical_and %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.logical_and %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.logical_and %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>
}

// CHECK-LABEL: func.func @logical_or(
// CHECK-SAME: -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>)
// CHECK: kiln.logical_or %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.logical_or %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.logical_or %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.logical_or %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.logical_or %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.logical_or %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.logical_or %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.logical_or %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.logical_or %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @logical_or(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>) {
  %0 = kiln.logical_or %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.logical_or %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.logical_or %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.logical_or %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.logical_or %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.logical_or %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.logical_or %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.logical_or %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.logical_or %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>
}

// CHECK-LABEL: func.func @logical_xor(
// CHECK-SAME: -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>)
// CHECK: kiln.logical_xor %arg0, %arg1 : tensor<?x1x3xf32>, tensor<4x1xf32>
// CHECK: kiln.logical_xor %arg2, %arg3 : tensor<2x3xf16>, tensor<2x3xf16>
// CHECK: kiln.logical_xor %arg4, %arg5 : tensor<bf16>, tensor<5xbf16>
// CHECK: kiln.logical_xor %arg6, %arg7 : tensor<f64>, tensor<f64>
// CHECK: kiln.logical_xor %arg8, %arg9 : tensor<?xi32>, tensor<?xi32>
// CHECK: kiln.logical_xor %arg10, %arg11 : tensor<3x?xi64>, tensor<?x4xi64>
// CHECK: kiln.logical_xor %arg12, %arg13 : tensor<1xi8>, tensor<?xi8>
// CHECK: kiln.logical_xor %arg14, %arg15 : tensor<4xui8>, tensor<ui8>
// CHECK: kiln.logical_xor %arg16, %arg17 : tensor<2x1xi1>, tensor<1x2xi1>
func.func @logical_xor(
    %a0: tensor<?x1x3xf32>, %b0: tensor<4x1xf32>,
    %a1: tensor<2x3xf16>, %b1: tensor<2x3xf16>,
    %a2: tensor<bf16>, %b2: tensor<5xbf16>,
    %a3: tensor<f64>, %b3: tensor<f64>,
    %a4: tensor<?xi32>, %b4: tensor<?xi32>,
    %a5: tensor<3x?xi64>, %b5: tensor<?x4xi64>,
    %a6: tensor<1xi8>, %b6: tensor<?xi8>,
    %a7: tensor<4xui8>, %b7: tensor<ui8>,
    %a8: tensor<2x1xi1>, %b8: tensor<1x2xi1>)
    -> (tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>) {
  %0 = kiln.logical_xor %a0, %b0 : tensor<?x1x3xf32>, tensor<4x1xf32>
  %1 = kiln.logical_xor %a1, %b1 : tensor<2x3xf16>, tensor<2x3xf16>
  %2 = kiln.logical_xor %a2, %b2 : tensor<bf16>, tensor<5xbf16>
  %3 = kiln.logical_xor %a3, %b3 : tensor<f64>, tensor<f64>
  %4 = kiln.logical_xor %a4, %b4 : tensor<?xi32>, tensor<?xi32>
  %5 = kiln.logical_xor %a5, %b5 : tensor<3x?xi64>, tensor<?x4xi64>
  %6 = kiln.logical_xor %a6, %b6 : tensor<1xi8>, tensor<?xi8>
  %7 = kiln.logical_xor %a7, %b7 : tensor<4xui8>, tensor<ui8>
  %8 = kiln.logical_xor %a8, %b8 : tensor<2x1xi1>, tensor<1x2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x4x3xi1>, tensor<2x3xi1>, tensor<5xi1>, tensor<i1>, tensor<?xi1>, tensor<3x4xi1>, tensor<?xi1>, tensor<4xi1>, tensor<2x2xi1>
}

//===----------------------------------------------------------------------===//
// Constants, selection and conversion
//===----------------------------------------------------------------------===//

// Any elements attribute of a kiln element type; its type is the result's.
// CHECK-LABEL: func.func @constant()
// CHECK: kiln.constant dense<2.000000e+00> : tensor<f32>
// CHECK: kiln.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf16>
// CHECK: kiln.constant dense<5.000000e-01> : tensor<3xbf16>
// CHECK: kiln.constant dense<-1.000000e+00> : tensor<f64>
// CHECK: kiln.constant dense<[1, -2, 3]> : tensor<3xi32>
// CHECK: kiln.constant dense<7> : tensor<2x2xi64>
// CHECK: kiln.constant dense<-128> : tensor<i8>
// CHECK: kiln.constant dense<[0, 255]> : tensor<2xui8>
// CHECK: kiln.constant dense<[true, false]> : tensor<2xi1>
func.func @constant() {
  %0 = kiln.constant dense<2.0> : tensor<f32>
  %1 = kiln.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf16>
  %2 = kiln.constant dense<0.5> : tensor<3xbf16>
  %3 = kiln.constant dense<-1.0> : tensor<f64>
  %4 = kiln.constant dense<[1, -2, 3]> : tensor<3xi32>
  %5 = kiln.constant dense<7> : tensor<2x2xi64>
  %6 = kiln.constant dense<-128> : tensor<i8>
  %7 = kiln.constant dense<[0, 255]> : tensor<2xui8>
  %8 = kiln.constant dense<[true, false]> : tensor<2xi1>
  return
}

// The condition is i1; the three operands broadcast together and the result
// has the branches' element type, any of them, i1 included.
// CHECK-LABEL: func.func @select(
// CHECK-SAME: -> (tensor<4x3xf32>, tensor<?x2xbf16>, tensor<f64>, tensor<?xi32>, tensor<2xui8>, tensor<3x3xi1>)
// CHECK: kiln.select %arg0, %arg1, %arg2 : tensor<4x1xi1>, tensor<4x3xf32>, tensor<3xf32>
// CHECK: kiln.select %arg3, %arg4, %arg5 : tensor<?x1xi1>, tensor<2xbf16>, tensor<1x2xbf16>
// CHECK: kiln.select %arg6, %arg7, %arg8 : tensor<i1>, tensor<f64>, tensor<f64>
// CHECK: kiln.select %arg9, %arg10, %arg11 : tensor<?xi1>, tensor<?xi32>, tensor<i32>
// CHECK: kiln.select %arg12, %arg13, %arg14 : tensor<i1>, tensor<2xui8>, tensor<2xui8>
// CHECK: kiln.select %arg15, %arg16, %arg17 : tensor<3x3xi1>, tensor<3x1xi1>, tensor<1x3xi1>
func.func @select(
    %c0: tensor<4x1xi1>, %t0: tensor<4x3xf32>, %f0: tensor<3xf32>,
    %c1: tensor<?x1xi1>, %t1: tensor<2xbf16>, %f1: tensor<1x2xbf16>,
    %c2: tensor<i1>, %t2: tensor<f64>, %f2: tensor<f64>,
    %c3: tensor<?xi1>, %t3: tensor<?xi32>, %f3: tensor<i32>,
    %c4: tensor<i1>, %t4: tensor<2xui8>, %f4: tensor<2xui8>,
    %c5: tensor<3x3xi1>, %t5: tensor<3x1xi1>, %f5: tensor<1x3xi1>)
    -> (tensor<4x3xf32>, tensor<?x2xbf16>, tensor<f64>, tensor<?xi32>, tensor<2xui8>, tensor<3x3xi1>) {
  %0 = kiln.select %c0, %t0, %f0 : tensor<4x1xi1>, tensor<4x3xf32>, tensor<3xf32>
  %1 = kiln.select %c1, %t1, %f1 : tensor<?x1xi1>, tensor<2xbf16>, tensor<1x2xbf16>
  %2 = kiln.select %c2, %t2, %f2 : tensor<i1>, tensor<f64>, tensor<f64>
  %3 = kiln.select %c3, %t3, %f3 : tensor<?xi1>, tensor<?xi32>, tensor<i32>
  %4 = kiln.select %c4, %t4, %f4 : tensor<i1>, tensor<2xui8>, tensor<2xui8>
  %5 = kiln.select %c5, %t5, %f5 : tensor<3x3xi1>, tensor<3x1xi1>, tensor<1x3xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<4x3xf32>, tensor<?x2xbf16>, tensor<f64>, tensor<?xi32>, tensor<2xui8>, tensor<3x3xi1>
}

// Between any two element types; the shapes agree: the result may state an
// extent the operand leaves dynamic, never the other way round.
// CHECK-LABEL: func.func @cast(
// CHECK: kiln.cast %arg0 : tensor<?x3xf32> to tensor<?x3xi32>
// CHECK: kiln.cast %arg0 : tensor<?x3xf32> to tensor<2x3xf16>
// CHECK: kiln.cast %arg0 : tensor<?x3xf32> to tensor<?x3xi1>
// CHECK: kiln.cast %arg1 : tensor<4xi32> to tensor<4xbf16>
// CHECK: kiln.cast %arg1 : tensor<4xi32> to tensor<4xui8>
// CHECK: kiln.cast %arg1 : tensor<4xi32> to tensor<4xi64>
// CHECK: kiln.cast %arg2 : tensor<ui8> to tensor<f64>
// CHECK: kiln.cast %arg2 : tensor<ui8> to tensor<i8>
// CHECK: kiln.cast %arg3 : tensor<2xi1> to tensor<2xf32>
// CHECK: kiln.cast %arg4 : tensor<f16> to tensor<f16>
func.func @cast(%a: tensor<?x3xf32>, %b: tensor<4xi32>, %c: tensor<ui8>, %d: tensor<2xi1>, %e: tensor<f16>) {
  %0 = kiln.cast %a : tensor<?x3xf32> to tensor<?x3xi32>
  %1 = kiln.cast %a : tensor<?x3xf32> to tensor<2x3xf16>
  %2 = kiln.cast %a : tensor<?x3xf32> to tensor<?x3xi1>
  %3 = kiln.cast %b : tensor<4xi32> to tensor<4xbf16>
  %4 = kiln.cast %b : tensor<4xi32> to tensor<4xui8>
  %5 = kiln.cast %b : tensor<4xi32> to tensor<4xi64>
  %6 = kiln.cast %c : tensor<ui8> to tensor<f64>
  %7 = kiln.cast %c : tensor<ui8> to tensor<i8>
  %8 = kiln.cast %d : tensor<2xi1> to tensor<2xf32>
  %9 = kiln.cast %e : tensor<f16> to tensor<f16>
  return
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

// Axes in any order, dropped or kept with extent 1 (keepdims); no axes
// reduce nothing, so a rank-0 operand reduces to itself. keepdims = false is
// the default and is not printed.
// CHECK-LABEL: func.func @reduce_sum(
// CHECK: kiln.reduce_sum %arg0 {axes = array<i64: 2, 0>} : tensor<?x4x?xf32> -> tensor<4xf32>
// CHECK: kiln.reduce_sum %arg0 {axes = array<i64: 1>, keepdims = true} : tensor<?x4x?xf32> -> tensor<?x1x?xf32>
// CHECK: kiln.reduce_sum %arg0 {axes = array<i64: 0, 1, 2>} : tensor<?x4x?xf32> -> tensor<f32>
// CHECK: kiln.reduce_sum %arg1 {axes = array<i64>} : tensor<f16> -> tensor<f16>
// CHECK: kiln.reduce_sum %arg2 {axes = array<i64: 0>} : tensor<2x3xbf16> -> tensor<3xbf16>
// CHECK: kiln.reduce_sum %arg3 {axes = array<i64>} : tensor<2xf64> -> tensor<2xf64>
// CHECK: kiln.reduce_sum %arg4 {axes = array<i64: 0>, keepdims = true} : tensor<?xi32> -> tensor<1xi32>
// CHECK: kiln.reduce_sum %arg5 {axes = array<i64: 1>} : tensor<2x3xi64> -> tensor<2xi64>
// CHECK: kiln.reduce_sum %arg6 {axes = array<i64: 0>} : tensor<5xi8> -> tensor<i8>
// CHECK: kiln.reduce_sum %arg7 {axes = array<i64: 0>} : tensor<5xui8> -> tensor<ui8>
func.func @reduce_sum(%a: tensor<?x4x?xf32>, %b: tensor<f16>, %c: tensor<2x3xbf16>, %d: tensor<2xf64>,
    %e: tensor<?xi32>, %f: tensor<2x3xi64>, %g: tensor<5xi8>, %h: tensor<5xui8>) {
  %0 = kiln.reduce_sum %a {axes = array<i64: 2, 0>} : tensor<?x4x?xf32> -> tensor<4xf32>
  %1 = kiln.reduce_sum %a {axes = array<i64: 1>, keepdims = true} : tensor<?x4x?xf32> -> tensor<?x1x?xf32>
  %2 = kiln.reduce_sum %a {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<?x4x?xf32> -> tensor<f32>
  %3 = kiln.reduce_sum %b {axes = array<i64>} : tensor<f16> -> tensor<f16>
  %4 = kiln.reduce_sum %c {axes = array<i64: 0>} : tensor<2x3xbf16> -> tensor<3xbf16>
  %5 = kiln.reduce_sum %d {axes = array<i64>} : tensor<2xf64> -> tensor<2xf64>
  %6 = kiln.reduce_sum %e {axes = array<i64: 0>, keepdims = true} : tensor<?xi32> -> tensor<1xi32>
  %7 = kiln.reduce_sum %f {axes = array<i64: 1>} : tensor<2x3xi64> -> tensor<2xi64>
  %8 = kiln.reduce_sum %g {axes = array<i64: 0>} : tensor<5xi8> -> tensor<i8>
  %9 = kiln.reduce_sum %h {axes = array<i64: 0>} : tensor<5xui8> -> tensor<ui8>
  return
}

// The declared result type may be less static than the inferred one.
// CHECK-LABEL: func.func @reduce_prod(
// CHECK: kiln.reduce_prod %arg0 {axes = array<i64: 0>} : tensor<3x4xf32> -> tensor<4xf32>
// CHECK: kiln.reduce_prod %arg1 {axes = array<i64: 1>, keepdims = true} : tensor<2x?xf16> -> tensor<2x1xf16>
// CHECK: kiln.reduce_prod %arg2 {axes = array<i64>} : tensor<bf16> -> tensor<bf16>
// CHECK: kiln.reduce_prod %arg3 {axes = array<i64: 0>} : tensor<?xi32> -> tensor<i32>
// CHECK: kiln.reduce_prod %arg4 {axes = array<i64: 1>} : tensor<2x2xui8> -> tensor<2xui8>
func.func @reduce_prod(%a: tensor<3x4xf32>, %b: tensor<2x?xf16>, %c: tensor<bf16>, %d: tensor<?xi32>, %e: tensor<2x2xui8>) {
  %0 = kiln.reduce_prod %a {axes = array<i64: 0>} : tensor<3x4xf32> -> tensor<4xf32>
  %1 = kiln.reduce_prod %b {axes = array<i64: 1>, keepdims = true} : tensor<2x?xf16> -> tensor<2x1xf16>
  %2 = kiln.reduce_prod %c {axes = array<i64>} : tensor<bf16> -> tensor<bf16>
  %3 = kiln.reduce_prod %d {axes = array<i64: 0>} : tensor<?xi32> -> tensor<i32>
  %4 = kiln.reduce_prod %e {axes = array<i64: 1>} : tensor<2x2xui8> -> tensor<2xui8>
  return
}

// reduce_mean takes floats only.
// CHECK-LABEL: func.func @reduce_mean(
// CHECK: kiln.reduce_mean %arg0 {axes = array<i64: 1>} : tensor<?x?xf32> -> tensor<?xf32>
// CHECK: kiln.reduce_mean %arg1 {axes = array<i64: 0, 1>, keepdims = true} : tensor<2x3xf16> -> tensor<1x1xf16>
// CHECK: kiln.reduce_mean %arg2 {axes = array<i64>} : tensor<bf16> -> tensor<bf16>
// CHECK: kiln.reduce_mean %arg3 {axes = array<i64: 0>} : tensor<4xf64> -> tensor<f64>
func.func @reduce_mean(%a: tensor<?x?xf32>, %b: tensor<2x3xf16>, %c: tensor<bf16>, %d: tensor<4xf64>) {
  %0 = kiln.reduce_mean %a {axes = array<i64: 1>} : tensor<?x?xf32> -> tensor<?xf32>
  %1 = kiln.reduce_mean %b {axes = array<i64: 0, 1>, keepdims = true} : tensor<2x3xf16> -> tensor<1x1xf16>
  %2 = kiln.reduce_mean %c {axes = array<i64>} : tensor<bf16> -> tensor<bf16>
  %3 = kiln.reduce_mean %d {axes = array<i64: 0>} : tensor<4xf64> -> tensor<f64>
  return
}

// CHECK-LABEL: func.func @reduce_max(
// CHECK: kiln.reduce_max %arg0 {axes = array<i64: 1>, keepdims = true} : tensor<?x?xf32> -> tensor<?x1xf32>
// CHECK: kiln.reduce_max %arg1 {axes = array<i64: 0>} : tensor<3xbf16> -> tensor<bf16>
// CHECK: kiln.reduce_max %arg2 {axes = array<i64: 0>} : tensor<2x3xi64> -> tensor<3xi64>
// CHECK: kiln.reduce_max %arg3 {axes = array<i64: 0>} : tensor<?xi8> -> tensor<i8>
// CHECK: kiln.reduce_max %arg4 {axes = array<i64>} : tensor<ui8> -> tensor<ui8>
func.func @reduce_max(%a: tensor<?x?xf32>, %b: tensor<3xbf16>, %c: tensor<2x3xi64>, %d: tensor<?xi8>, %e: tensor<ui8>) {
  %0 = kiln.reduce_max %a {axes = array<i64: 1>, keepdims = true} : tensor<?x?xf32> -> tensor<?x1xf32>
  %1 = kiln.reduce_max %b {axes = array<i64: 0>} : tensor<3xbf16> -> tensor<bf16>
  %2 = kiln.reduce_max %c {axes = array<i64: 0>} : tensor<2x3xi64> -> tensor<3xi64>
  %3 = kiln.reduce_max %d {axes = array<i64: 0>} : tensor<?xi8> -> tensor<i8>
  %4 = kiln.reduce_max %e {axes = array<i64>} : tensor<ui8> -> tensor<ui8>
  return
}

// CHECK-LABEL: func.func @reduce_min(
// CHECK: kiln.reduce_min %arg0 {axes = array<i64: 0>} : tensor<?x3xf64> -> tensor<3xf64>
// CHECK: kiln.reduce_min %arg1 {axes = array<i64: 1>, keepdims = true} : tensor<2x2xf16> -> tensor<2x1xf16>
// CHECK: kiln.reduce_min %arg2 {axes = array<i64: 0>} : tensor<4xi32> -> tensor<i32>
// CHECK: kiln.reduce_min %arg3 {axes = array<i64: 0>} : tensor<?xui8> -> tensor<ui8>
func.func @reduce_min(%a: tensor<?x3xf64>, %b: tensor<2x2xf16>, %c: tensor<4xi32>, %d: tensor<?xui8>) {
  %0 = kiln.reduce_min %a {axes = array<i64: 0>} : tensor<?x3xf64> -> tensor<3xf64>
  %1 = kiln.reduce_min %b {axes = array<i64: 1>, keepdims = true} : tensor<2x2xf16> -> tensor<2x1xf16>
  %2 = kiln.reduce_min %c {axes = array<i64: 0>} : tensor<4xi32> -> tensor<i32>
  %3 = kiln.reduce_min %d {axes = array<i64: 0>} : tensor<?xui8> -> tensor<ui8>
  return
}

// One axis; the result is i64 indices.
// CHECK-LABEL: func.func @argmax(
// CHECK: kiln.argmax %arg0 {axis = 1 : i64} : tensor<?x?xf32> -> tensor<?xi64>
// CHECK: kiln.argmax %arg0 {axis = 0 : i64, keepdims = true} : tensor<?x?xf32> -> tensor<1x?xi64>
// CHECK: kiln.argmax %arg1 {axis = 0 : i64} : tensor<3xbf16> -> tensor<i64>
// CHECK: kiln.argmax %arg2 {axis = 1 : i64} : tensor<2x5xi32> -> tensor<2xi64>
// CHECK: kiln.argmax %arg3 {axis = 0 : i64, keepdims = true} : tensor<4xui8> -> tensor<1xi64>
func.func @argmax(%a: tensor<?x?xf32>, %b: tensor<3xbf16>, %c: tensor<2x5xi32>, %d: tensor<4xui8>) {
  %0 = kiln.argmax %a {axis = 1 : i64} : tensor<?x?xf32> -> tensor<?xi64>
  %1 = kiln.argmax %a {axis = 0 : i64, keepdims = true} : tensor<?x?xf32> -> tensor<1x?xi64>
  %2 = kiln.argmax %b {axis = 0 : i64} : tensor<3xbf16> -> tensor<i64>
  %3 = kiln.argmax %c {axis = 1 : i64} : tensor<2x5xi32> -> tensor<2xi64>
  %4 = kiln.argmax %d {axis = 0 : i64, keepdims = true} : tensor<4xui8> -> tensor<1xi64>
  return
}

// CHECK-LABEL: func.func @argmin(
// CHECK: kiln.argmin %arg0 {axis = 0 : i64} : tensor<4x?xf64> -> tensor<?xi64>
// CHECK: kiln.argmin %arg1 {axis = 1 : i64, keepdims = true} : tensor<2x3xf16> -> tensor<2x1xi64>
// CHECK: kiln.argmin %arg2 {axis = 0 : i64} : tensor<?xi8> -> tensor<i64>
// CHECK: kiln.argmin %arg3 {axis = 0 : i64} : tensor<3x2xi64> -> tensor<2xi64>
func.func @argmin(%a: tensor<4x?xf64>, %b: tensor<2x3xf16>, %c: tensor<?xi8>, %d: tensor<3x2xi64>) {
  %0 = kiln.argmin %a {axis = 0 : i64} : tensor<4x?xf64> -> tensor<?xi64>
  %1 = kiln.argmin %b {axis = 1 : i64, keepdims = true} : tensor<2x3xf16> -> tensor<2x1xi64>
  %2 = kiln.argmin %c {axis = 0 : i64} : tensor<?xi8> -> tensor<i64>
  %3 = kiln.argmin %d {axis = 0 : i64} : tensor<3x2xi64> -> tensor<2xi64>
  return
}

//===----------------------------------------------------------------------===//
// Data movement and generators
//===----------------------------------------------------------------------===//

// permutation[i] is the operand dimension of result dimension i.
// CHECK-LABEL: func.func @transpose(
// CHECK: kiln.transpose %arg0 {permutation = array<i64: 2, 0, 1>} : tensor<2x?x4xf32> -> tensor<4x2x?xf32>
// CHECK: kiln.transpose %arg1 {permutation = array<i64: 0, 1>} : tensor<2x3xi1> -> tensor<2x3xi1>
// CHECK: kiln.transpose %arg2 {permutation = array<i64>} : tensor<ui8> -> tensor<ui8>
// CHECK: kiln.transpose %arg3 {permutation = array<i64: 1, 0>} : tensor<?x3xbf16> -> tensor<3x?xbf16>
func.func @transpose(%a: tensor<2x?x4xf32>, %b: tensor<2x3xi1>, %c: tensor<ui8>, %d: tensor<?x3xbf16>) {
  %0 = kiln.transpose %a {permutation = array<i64: 2, 0, 1>} : tensor<2x?x4xf32> -> tensor<4x2x?xf32>
  %1 = kiln.transpose %b {permutation = array<i64: 0, 1>} : tensor<2x3xi1> -> tensor<2x3xi1>
  %2 = kiln.transpose %c {permutation = array<i64>} : tensor<ui8> -> tensor<ui8>
  %3 = kiln.transpose %d {permutation = array<i64: 1, 0>} : tensor<?x3xbf16> -> tensor<3x?xbf16>
  return
}

// One index operand per dynamic result extent.
// CHECK-LABEL: func.func @broadcast_to(
// CHECK: kiln.broadcast_to %arg0 : tensor<1x3xf32> -> tensor<2x4x3xf32>
// CHECK: kiln.broadcast_to %arg0, %arg3 : tensor<1x3xf32> -> tensor<?x3xf32>
// CHECK: kiln.broadcast_to %arg1, %arg3, %arg3 : tensor<i1> -> tensor<?x?xi1>
// CHECK: kiln.broadcast_to %arg2, %arg3 : tensor<?xi32> -> tensor<2x?xi32>
// CHECK: kiln.broadcast_to %arg1 : tensor<i1> -> tensor<i1>
func.func @broadcast_to(%a: tensor<1x3xf32>, %b: tensor<i1>, %c: tensor<?xi32>, %n: index) {
  %0 = kiln.broadcast_to %a : tensor<1x3xf32> -> tensor<2x4x3xf32>
  %1 = kiln.broadcast_to %a, %n : tensor<1x3xf32> -> tensor<?x3xf32>
  %2 = kiln.broadcast_to %b, %n, %n : tensor<i1> -> tensor<?x?xi1>
  %3 = kiln.broadcast_to %c, %n : tensor<?xi32> -> tensor<2x?xi32>
  %4 = kiln.broadcast_to %b : tensor<i1> -> tensor<i1>
  return
}

// Indices along `dimension`, in any integer or float type but i1.
// CHECK-LABEL: func.func @iota(
// CHECK: kiln.iota {dimension = 0 : i64} : tensor<5xi32>
// CHECK: kiln.iota %arg0 {dimension = 1 : i64} : tensor<3x?xf32>
// CHECK: kiln.iota %arg0, %arg1 {dimension = 0 : i64} : tensor<?x?xi64>
// CHECK: kiln.iota {dimension = 0 : i64} : tensor<4xf16>
// CHECK: kiln.iota {dimension = 1 : i64} : tensor<2x8xbf16>
// CHECK: kiln.iota {dimension = 0 : i64} : tensor<3xf64>
// CHECK: kiln.iota {dimension = 0 : i64} : tensor<6xi8>
// CHECK: kiln.iota {dimension = 0 : i64} : tensor<6xui8>
func.func @iota(%n: index, %m: index) {
  %0 = kiln.iota {dimension = 0 : i64} : tensor<5xi32>
  %1 = kiln.iota %n {dimension = 1 : i64} : tensor<3x?xf32>
  %2 = kiln.iota %n, %m {dimension = 0 : i64} : tensor<?x?xi64>
  %3 = kiln.iota {dimension = 0 : i64} : tensor<4xf16>
  %4 = kiln.iota {dimension = 1 : i64} : tensor<2x8xbf16>
  %5 = kiln.iota {dimension = 0 : i64} : tensor<3xf64>
  %6 = kiln.iota {dimension = 0 : i64} : tensor<6xi8>
  %7 = kiln.iota {dimension = 0 : i64} : tensor<6xui8>
  return
}

// Python bounds per dimension: negative from the end, clamped, INT64_MIN for
// "none"; the inferred extent of a static dimension is the slice's length.
// CHECK-LABEL: func.func @slice(
// CHECK: kiln.slice %arg0 {begin = array<i64: 1, 0>, end = array<i64: -1, 8>, step = array<i64: 2, 3>} : tensor<10x8xf32> -> tensor<4x3xf32>
// CHECK: kiln.slice %arg0 {begin = array<i64: -9223372036854775808, -3>, end = array<i64: 5, -9223372036854775808>, step = array<i64: 1, 1>} : tensor<10x8xf32> -> tensor<5x3xf32>
// CHECK: kiln.slice %arg0 {begin = array<i64: 7, -100>, end = array<i64: 2, 100>, step = array<i64: 1, 1>} : tensor<10x8xf32> -> tensor<0x8xf32>
// CHECK: kiln.slice %arg1 {begin = array<i64: 1>, end = array<i64: -1>, step = array<i64: 2>} : tensor<?xi32> -> tensor<?xi32>
// CHECK: kiln.slice %arg2 {begin = array<i64>, end = array<i64>, step = array<i64>} : tensor<i1> -> tensor<i1>
// CHECK: kiln.slice %arg3 {begin = array<i64: 0>, end = array<i64: 2>, step = array<i64: 1>} : tensor<4xui8> -> tensor<2xui8>
func.func @slice(%a: tensor<10x8xf32>, %b: tensor<?xi32>, %c: tensor<i1>, %d: tensor<4xui8>) {
  %0 = kiln.slice %a {begin = array<i64: 1, 0>, end = array<i64: -1, 8>, step = array<i64: 2, 3>} : tensor<10x8xf32> -> tensor<4x3xf32>
  %1 = kiln.slice %a {begin = array<i64: -9223372036854775808, -3>, end = array<i64: 5, -9223372036854775808>, step = array<i64: 1, 1>} : tensor<10x8xf32> -> tensor<5x3xf32>
  %2 = kiln.slice %a {begin = array<i64: 7, -100>, end = array<i64: 2, 100>, step = array<i64: 1, 1>} : tensor<10x8xf32> -> tensor<0x8xf32>
  %3 = kiln.slice %b {begin = array<i64: 1>, end = array<i64: -1>, step = array<i64: 2>} : tensor<?xi32> -> tensor<?xi32>
  %4 = kiln.slice %c {begin = array<i64>, end = array<i64>, step = array<i64>} : tensor<i1> -> tensor<i1>
  %5 = kiln.slice %d {begin = array<i64: 0>, end = array<i64: 2>, step = array<i64: 1>} : tensor<4xui8> -> tensor<2xui8>
  return
}

// One or more operands; a dynamic extent along the axis makes the result's
// dynamic.
// CHECK-LABEL: func.func @concat(
// CHECK: kiln.concat %arg0 {axis = 0 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK: kiln.concat %arg0, %arg1, %arg0 {axis = 1 : i64} : tensor<2x3xf32>, tensor<?x5xf32>, tensor<2x3xf32> -> tensor<2x11xf32>
// CHECK: kiln.concat %arg0, %arg4 {axis = 0 : i64} : tensor<2x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
// CHECK: kiln.concat %arg2, %arg2 {axis = 0 : i64} : tensor<?xi1>, tensor<?xi1> -> tensor<?xi1>
// CHECK: kiln.concat %arg3, %arg3 {axis = 0 : i64} : tensor<2xui8>, tensor<2xui8> -> tensor<4xui8>
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<?x5xf32>, %c: tensor<?xi1>, %d: tensor<2xui8>, %e: tensor<?x3xf32>) {
  %0 = kiln.concat %a {axis = 0 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = kiln.concat %a, %b, %a {axis = 1 : i64} : tensor<2x3xf32>, tensor<?x5xf32>, tensor<2x3xf32> -> tensor<2x11xf32>
  %2 = kiln.concat %a, %e {axis = 0 : i64} : tensor<2x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %3 = kiln.concat %c, %c {axis = 0 : i64} : tensor<?xi1>, tensor<?xi1> -> tensor<?xi1>
  %4 = kiln.concat %d, %d {axis = 0 : i64} : tensor<2xui8>, tensor<2xui8> -> tensor<4xui8>
  return
}

// The axis is replaced by the indices' shape (i32 or i64, any rank); mode
// "clip" is the default and is not printed.
// CHECK-LABEL: func.func @take(
// CHECK: kiln.take %arg0, %arg1 {axis = 0 : i64} : tensor<5x3xf32>, tensor<2x4xi64> -> tensor<2x4x3xf32>
// CHECK: kiln.take %arg0, %arg2 {axis = 1 : i64, mode = #kiln<index_mode wrap>} : tensor<5x3xf32>, tensor<?xi32> -> tensor<5x?xf32>
// CHECK: kiln.take %arg0, %arg3 {axis = 1 : i64} : tensor<5x3xf32>, tensor<i32> -> tensor<5xf32>
// CHECK: kiln.take %arg4, %arg2 {axis = 0 : i64, mode = #kiln<index_mode wrap>} : tensor<?xi1>, tensor<?xi32> -> tensor<?xi1>
// CHECK: kiln.take %arg5, %arg3 {axis = 0 : i64} : tensor<3xui8>, tensor<i32> -> tensor<ui8>
func.func @take(%a: tensor<5x3xf32>, %i: tensor<2x4xi64>, %j: tensor<?xi32>, %k: tensor<i32>, %b: tensor<?xi1>, %c: tensor<3xui8>) {
  %0 = kiln.take %a, %i {axis = 0 : i64} : tensor<5x3xf32>, tensor<2x4xi64> -> tensor<2x4x3xf32>
  %1 = kiln.take %a, %j {axis = 1 : i64, mode = #kiln<index_mode wrap>} : tensor<5x3xf32>, tensor<?xi32> -> tensor<5x?xf32>
  %2 = kiln.take %a, %k {axis = 1 : i64, mode = #kiln<index_mode clip>} : tensor<5x3xf32>, tensor<i32> -> tensor<5xf32>
  %3 = kiln.take %b, %j {axis = 0 : i64, mode = #kiln<index_mode wrap>} : tensor<?xi1>, tensor<?xi32> -> tensor<?xi1>
  %4 = kiln.take %c, %k {axis = 0 : i64} : tensor<3xui8>, tensor<i32> -> tensor<ui8>
  return
}

// One index operand per dynamic result extent; rank 0 to and from.
// CHECK-LABEL: func.func @reshape(
// CHECK: kiln.reshape %arg0 : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK: kiln.reshape %arg0, %arg3 : tensor<2x3xf32> -> tensor<?x6xf32>
// CHECK: kiln.reshape %arg1, %arg3 : tensor<?x?xi64> -> tensor<?xi64>
// CHECK: kiln.reshape %arg2 : tensor<i1> -> tensor<1x1xi1>
// CHECK: kiln.reshape %arg0 : tensor<2x3xf32> -> tensor<6xf32>
// CHECK: kiln.reshape %arg4 : tensor<1xbf16> -> tensor<bf16>
func.func @reshape(%a: tensor<2x3xf32>, %b: tensor<?x?xi64>, %c: tensor<i1>, %n: index, %d: tensor<1xbf16>) {
  %0 = kiln.reshape %a : tensor<2x3xf32> -> tensor<3x2xf32>
  %1 = kiln.reshape %a, %n : tensor<2x3xf32> -> tensor<?x6xf32>
  %2 = kiln.reshape %b, %n : tensor<?x?xi64> -> tensor<?xi64>
  %3 = kiln.reshape %c : tensor<i1> -> tensor<1x1xi1>
  %4 = kiln.reshape %a : tensor<2x3xf32> -> tensor<6xf32>
  %5 = kiln.reshape %d : tensor<1xbf16> -> tensor<bf16>
  return
}

// low/high per dimension; value 0.0 is the default and is not printed.
// CHECK-LABEL: func.func @pad(
// CHECK: kiln.pad %arg0 {high = array<i64: 0, 2>, low = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x5xf32>
// CHECK: kiln.pad %arg0 {high = array<i64: 1, 1>, low = array<i64: 1, 1>, value = -1.500000e+00 : f64} : tensor<2x3xf32> -> tensor<4x5xf32>
// CHECK: kiln.pad %arg1 {high = array<i64: 3>, low = array<i64: 0>, value = 7.000000e+00 : f64} : tensor<?xi32> -> tensor<?xi32>
// CHECK: kiln.pad %arg2 {high = array<i64>, low = array<i64>} : tensor<f16> -> tensor<f16>
// CHECK: kiln.pad %arg3 {high = array<i64: 1>, low = array<i64: 1>, value = 1.000000e+00 : f64} : tensor<2xi1> -> tensor<4xi1>
func.func @pad(%a: tensor<2x3xf32>, %b: tensor<?xi32>, %c: tensor<f16>, %d: tensor<2xi1>) {
  %0 = kiln.pad %a {low = array<i64: 1, 0>, high = array<i64: 0, 2>} : tensor<2x3xf32> -> tensor<3x5xf32>
  %1 = kiln.pad %a {low = array<i64: 1, 1>, high = array<i64: 1, 1>, value = -1.5} : tensor<2x3xf32> -> tensor<4x5xf32>
  %2 = kiln.pad %b {low = array<i64: 0>, high = array<i64: 3>, value = 7.0} : tensor<?xi32> -> tensor<?xi32>
  %3 = kiln.pad %c {low = array<i64>, high = array<i64>, value = 0.0} : tensor<f16> -> tensor<f16>
  %4 = kiln.pad %d {low = array<i64: 1>, high = array<i64: 1>, value = 1.0} : tensor<2xi1> -> tensor<4xi1>
  return
}

// updates have take's result shape for (dest, indices); the result is dest's.
// CHECK-LABEL: func.func @scatter_add(
// CHECK: kiln.scatter_add %arg0, %arg1, %arg2 {axis = 0 : i64} : tensor<4x2xf32>, tensor<3xi64>, tensor<3x2xf32> -> tensor<4x2xf32>
// CHECK: kiln.scatter_add %arg3, %arg4, %arg5 {axis = 1 : i64, mode = #kiln<index_mode wrap>} : tensor<?x?xi32>, tensor<2x2xi32>, tensor<?x2x2xi32> -> tensor<?x?xi32>
// CHECK: kiln.scatter_add %arg6, %arg7, %arg6 {axis = 0 : i64} : tensor<5xui8>, tensor<5xi32>, tensor<5xui8> -> tensor<5xui8>
// CHECK: kiln.scatter_add %arg8, %arg9, %arg10 {axis = 0 : i64} : tensor<3xbf16>, tensor<i64>, tensor<bf16> -> tensor<3xbf16>
func.func @scatter_add(%d0: tensor<4x2xf32>, %i0: tensor<3xi64>, %u0: tensor<3x2xf32>,
    %d1: tensor<?x?xi32>, %i1: tensor<2x2xi32>, %u1: tensor<?x2x2xi32>,
    %d2: tensor<5xui8>, %i2: tensor<5xi32>,
    %d3: tensor<3xbf16>, %i3: tensor<i64>, %u3: tensor<bf16>) {
  %0 = kiln.scatter_add %d0, %i0, %u0 {axis = 0 : i64} : tensor<4x2xf32>, tensor<3xi64>, tensor<3x2xf32> -> tensor<4x2xf32>
  %1 = kiln.scatter_add %d1, %i1, %u1 {axis = 1 : i64, mode = #kiln<index_mode wrap>} : tensor<?x?xi32>, tensor<2x2xi32>, tensor<?x2x2xi32> -> tensor<?x?xi32>
  %2 = kiln.scatter_add %d2, %i2, %d2 {axis = 0 : i64, mode = #kiln<index_mode clip>} : tensor<5xui8>, tensor<5xi32>, tensor<5xui8> -> tensor<5xui8>
  %3 = kiln.scatter_add %d3, %i3, %u3 {axis = 0 : i64} : tensor<3xbf16>, tensor<i64>, tensor<bf16> -> tensor<3xbf16>
  return
}

// A rank-0 i64 seed, one index operand per dynamic extent, float results.
// CHECK-LABEL: func.func @random_uniform(
// CHECK: kiln.random_uniform %arg0 {high = 1.000000e+00 : f64, low = 0.000000e+00 : f64} : tensor<i64> -> tensor<4x3xf32>
// CHECK: kiln.random_uniform %arg0, %arg1 {high = 2.000000e+00 : f64, low = -2.000000e+00 : f64} : tensor<i64> -> tensor<?x8xf16>
// CHECK: kiln.random_uniform %arg0 {high = 1.000000e+00 : f64, low = 5.000000e-01 : f64} : tensor<i64> -> tensor<bf16>
// CHECK: kiln.random_uniform %arg0, %arg1, %arg1 {high = 1.000000e+00 : f64, low = 0.000000e+00 : f64} : tensor<i64> -> tensor<?x?xf64>
func.func @random_uniform(%seed: tensor<i64>, %n: index) {
  %0 = kiln.random_uniform %seed {low = 0.0, high = 1.0} : tensor<i64> -> tensor<4x3xf32>
  %1 = kiln.random_uniform %seed, %n {low = -2.0, high = 2.0} : tensor<i64> -> tensor<?x8xf16>
  %2 = kiln.random_uniform %seed {low = 0.5, high = 1.0} : tensor<i64> -> tensor<bf16>
  %3 = kiln.random_uniform %seed, %n, %n {low = 0.0, high = 1.0} : tensor<i64> -> tensor<?x?xf64>
  return
}

// stddev 0 is allowed (every sample is the mean).
// CHECK-LABEL: func.func @random_normal(
// CHECK: kiln.random_normal %arg0 {mean = 0.000000e+00 : f64, stddev = 1.000000e+00 : f64} : tensor<i64> -> tensor<16xf32>
// CHECK: kiln.random_normal %arg0, %arg1 {mean = 3.000000e+00 : f64, stddev = 0.000000e+00 : f64} : tensor<i64> -> tensor<2x?xbf16>
// CHECK: kiln.random_normal %arg0 {mean = -1.000000e+00 : f64, stddev = 2.000000e+00 : f64} : tensor<i64> -> tensor<f16>
// CHECK: kiln.random_normal %arg0, %arg1 {mean = 0.000000e+00 : f64, stddev = 1.000000e+00 : f64} : tensor<i64> -> tensor<?xf64>
func.func @random_normal(%seed: tensor<i64>, %n: index) {
  %0 = kiln.random_normal %seed {mean = 0.0, stddev = 1.0} : tensor<i64> -> tensor<16xf32>
  %1 = kiln.random_normal %seed, %n {mean = 3.0, stddev = 0.0} : tensor<i64> -> tensor<2x?xbf16>
  %2 = kiln.random_normal %seed {mean = -1.0, stddev = 2.0} : tensor<i64> -> tensor<f16>
  %3 = kiln.random_normal %seed, %n {mean = 0.0, stddev = 1.0} : tensor<i64> -> tensor<?xf64>
  return
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

// M x K times K x N; batch dimensions broadcast as in numpy. Floats only.
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: -> (tensor<3x5xf32>, tensor<8x4x?x32xf32>, tensor<?x?xf16>, tensor<2x2x2xbf16>, tensor<2x?x3xf64>)
// CHECK: kiln.matmul %arg0, %arg1 : tensor<3x4xf32>, tensor<4x5xf32>
// CHECK: kiln.matmul %arg2, %arg3 : tensor<8x1x?x64xf32>, tensor<4x64x32xf32>
// CHECK: kiln.matmul %arg4, %arg5 : tensor<?x?xf16>, tensor<?x?xf16>
// CHECK: kiln.matmul %arg6, %arg7 : tensor<2x2x3xbf16>, tensor<3x2xbf16>
// CHECK: kiln.matmul %arg8, %arg9 : tensor<?x?x4xf64>, tensor<2x4x3xf64>
func.func @matmul(
    %a0: tensor<3x4xf32>, %b0: tensor<4x5xf32>,
    %a1: tensor<8x1x?x64xf32>, %b1: tensor<4x64x32xf32>,
    %a2: tensor<?x?xf16>, %b2: tensor<?x?xf16>,
    %a3: tensor<2x2x3xbf16>, %b3: tensor<3x2xbf16>,
    %a4: tensor<?x?x4xf64>, %b4: tensor<2x4x3xf64>)
    -> (tensor<3x5xf32>, tensor<8x4x?x32xf32>, tensor<?x?xf16>, tensor<2x2x2xbf16>, tensor<2x?x3xf64>) {
  %0 = kiln.matmul %a0, %b0 : tensor<3x4xf32>, tensor<4x5xf32>
  %1 = kiln.matmul %a1, %b1 : tensor<8x1x?x64xf32>, tensor<4x64x32xf32>
  %2 = kiln.matmul %a2, %b2 : tensor<?x?xf16>, tensor<?x?xf16>
  %3 = kiln.matmul %a3, %b3 : tensor<2x2x3xbf16>, tensor<3x2xbf16>
  %4 = kiln.matmul %a4, %b4 : tensor<?x?x4xf64>, tensor<2x4x3xf64>
  return %0, %1, %2, %3, %4 : tensor<3x5xf32>, tensor<8x4x?x32xf32>, tensor<?x?xf16>, tensor<2x2x2xbf16>, tensor<2x?x3xf64>
}

//===----------------------------------------------------------------------===//
// Library-backed neural-network primitives
//===----------------------------------------------------------------------===//

// (N, C, spatial...) input, (O, C / groups, window...) filter, 1 to 3
// spatial dimensions, f32 or f64; the result is inferred (extent (x + low +
// high - dilation * (k - 1) - 1) / stride + 1), dynamic where the operands'
// extents are.
// CHECK-LABEL: func.func @convolution(
// CHECK: kiln.convolution %arg0, %arg1 {dilations = array<i64: 1, 2>, groups = 2 : i64, padding_high = array<i64: 0, 2>, padding_low = array<i64: 1, 0>, strides = array<i64: 2, 1>} : tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32> -> tensor<2x6x4x7xf32>
// CHECK: kiln.convolution %arg2, %arg3 {dilations = array<i64: 1>, groups = 1 : i64, padding_high = array<i64: 0>, padding_low = array<i64: 0>, strides = array<i64: 2>} : tensor<?x3x11xf64>, tensor<8x3x3xf64> -> tensor<?x8x5xf64>
// CHECK: kiln.convolution %arg4, %arg5 {dilations = array<i64: 1, 1, 1>, groups = 1 : i64, padding_high = array<i64: 0, 0, 0>, padding_low = array<i64: 0, 1, 0>, strides = array<i64: 1, 2, 1>} : tensor<1x2x5x6x7xf32>, tensor<4x2x2x3x1xf32> -> tensor<1x4x4x3x7xf32>
// CHECK: kiln.convolution %arg6, %arg7 {dilations = array<i64: 1, 1>, groups = 4 : i64, padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, strides = array<i64: 1, 1>} : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
func.func @convolution(
    %x0: tensor<2x4x9x9xf32>, %w0: tensor<6x2x3x3xf32>,
    %x1: tensor<?x3x11xf64>, %w1: tensor<8x3x3xf64>,
    %x2: tensor<1x2x5x6x7xf32>, %w2: tensor<4x2x2x3x1xf32>,
    %x3: tensor<?x?x?x?xf32>, %w3: tensor<?x?x?x?xf32>)
    -> (tensor<2x6x4x7xf32>, tensor<?x8x5xf64>, tensor<1x4x4x3x7xf32>, tensor<?x?x?x?xf32>) {
  %0 = kiln.convolution %x0, %w0 {strides = array<i64: 2, 1>, padding_low = array<i64: 1, 0>, padding_high = array<i64: 0, 2>, dilations = array<i64: 1, 2>, groups = 2 : i64} : tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32> -> tensor<2x6x4x7xf32>
  %1 = kiln.convolution %x1, %w1 {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<?x3x11xf64>, tensor<8x3x3xf64> -> tensor<?x8x5xf64>
  %2 = kiln.convolution %x2, %w2 {strides = array<i64: 1, 2, 1>, padding_low = array<i64: 0, 1, 0>, padding_high = array<i64: 0, 0, 0>, dilations = array<i64: 1, 1, 1>, groups = 1 : i64} : tensor<1x2x5x6x7xf32>, tensor<4x2x2x3x1xf32> -> tensor<1x4x4x3x7xf32>
  %3 = kiln.convolution %x3, %w3 {strides = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, dilations = array<i64: 1, 1>, groups = 4 : i64} : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %0, %1, %2, %3 : tensor<2x6x4x7xf32>, tensor<?x8x5xf64>, tensor<1x4x4x3x7xf32>, tensor<?x?x?x?xf32>
}

// The optional bias, one element per filter, after the filter.
// CHECK-LABEL: func.func @convolution_with_bias(
// CHECK: kiln.convolution %arg0, %arg1, %arg2 {dilations = array<i64: 1, 1>, groups = 1 : i64, padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, strides = array<i64: 1, 1>} : tensor<?x4x9x9xf32>, tensor<6x4x3x3xf32>, tensor<6xf32> -> tensor<?x6x9x9xf32>
// CHECK: kiln.convolution %arg3, %arg4, %arg5 {dilations = array<i64: 1>, groups = 1 : i64, padding_high = array<i64: 0>, padding_low = array<i64: 0>, strides = array<i64: 1>} : tensor<?x?x?xf64>, tensor<?x?x?xf64>, tensor<?xf64> -> tensor<?x?x?xf64>
func.func @convolution_with_bias(
    %x0: tensor<?x4x9x9xf32>, %w0: tensor<6x4x3x3xf32>, %b0: tensor<6xf32>,
    %x1: tensor<?x?x?xf64>, %w1: tensor<?x?x?xf64>, %b1: tensor<?xf64>)
    -> (tensor<?x6x9x9xf32>, tensor<?x?x?xf64>) {
  %0 = kiln.convolution %x0, %w0, %b0 {strides = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<?x4x9x9xf32>, tensor<6x4x3x3xf32>, tensor<6xf32> -> tensor<?x6x9x9xf32>
  %1 = kiln.convolution %x1, %w1, %b1 {strides = array<i64: 1>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<?x?x?xf64>, tensor<?x?x?xf64>, tensor<?xf64> -> tensor<?x?x?xf64>
  return %0, %1 : tensor<?x6x9x9xf32>, tensor<?x?x?xf64>
}

// The result type gives the input's shape, which strides make ambiguous
// (11 and 12 both give 5 here); one index operand per dynamic extent.
// CHECK-LABEL: func.func @convolution_backward_data(
// CHECK: kiln.convolution_backward_data %arg0, %arg1, %arg2 {dilations = array<i64: 1>, groups = 1 : i64, padding_high = array<i64: 0>, padding_low = array<i64: 0>, strides = array<i64: 2>} : tensor<?x8x5xf32>, tensor<8x3x3xf32> -> tensor<?x3x11xf32>
// CHECK: kiln.convolution_backward_data %arg0, %arg1, %arg2 {dilations = array<i64: 1>, groups = 1 : i64, padding_high = array<i64: 0>, padding_low = array<i64: 0>, strides = array<i64: 2>} : tensor<?x8x5xf32>, tensor<8x3x3xf32> -> tensor<?x3x12xf32>
// CHECK: kiln.convolution_backward_data %arg3, %arg4 {dilations = array<i64: 1, 2>, groups = 2 : i64, padding_high = array<i64: 0, 2>, padding_low = array<i64: 1, 0>, strides = array<i64: 2, 1>} : tensor<2x6x4x7xf64>, tensor<6x2x3x3xf64> -> tensor<2x4x9x9xf64>
// CHECK: kiln.convolution_backward_data %arg5, %arg6, %arg2, %arg2, %arg2 {dilations = array<i64: 1, 1, 1>, groups = 4 : i64, padding_high = array<i64: 1, 1, 1>, padding_low = array<i64: 1, 1, 1>, strides = array<i64: 2, 2, 2>} : tensor<1x4x2x2x2xf32>, tensor<4x1x3x3x3xf32> -> tensor<1x4x?x?x?xf32>
func.func @convolution_backward_data(
    %dy0: tensor<?x8x5xf32>, %w0: tensor<8x3x3xf32>, %n: index,
    %dy1: tensor<2x6x4x7xf64>, %w1: tensor<6x2x3x3xf64>,
    %dy2: tensor<1x4x2x2x2xf32>, %w2: tensor<4x1x3x3x3xf32>) {
  %0 = kiln.convolution_backward_data %dy0, %w0, %n {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<?x8x5xf32>, tensor<8x3x3xf32> -> tensor<?x3x11xf32>
  %1 = kiln.convolution_backward_data %dy0, %w0, %n {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<?x8x5xf32>, tensor<8x3x3xf32> -> tensor<?x3x12xf32>
  %2 = kiln.convolution_backward_data %dy1, %w1 {strides = array<i64: 2, 1>, padding_low = array<i64: 1, 0>, padding_high = array<i64: 0, 2>, dilations = array<i64: 1, 2>, groups = 2 : i64} : tensor<2x6x4x7xf64>, tensor<6x2x3x3xf64> -> tensor<2x4x9x9xf64>
  %3 = kiln.convolution_backward_data %dy2, %w2, %n, %n, %n {strides = array<i64: 2, 2, 2>, padding_low = array<i64: 1, 1, 1>, padding_high = array<i64: 1, 1, 1>, dilations = array<i64: 1, 1, 1>, groups = 4 : i64} : tensor<1x4x2x2x2xf32>, tensor<4x1x3x3x3xf32> -> tensor<1x4x?x?x?xf32>
  return
}

// The result type gives the filter's shape; one index operand per dynamic
// extent.
// CHECK-LABEL: func.func @convolution_backward_filter(
// CHECK: kiln.convolution_backward_filter %arg0, %arg1 {dilations = array<i64: 1, 1>, groups = 1 : i64, padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<?x1x28x28xf32>, tensor<?x20x24x24xf32> -> tensor<20x1x5x5xf32>
// CHECK: kiln.convolution_backward_filter %arg2, %arg3 {dilations = array<i64: 1, 2>, groups = 2 : i64, padding_high = array<i64: 0, 2>, padding_low = array<i64: 1, 0>, strides = array<i64: 2, 1>} : tensor<2x4x9x9xf64>, tensor<2x6x4x7xf64> -> tensor<6x2x3x3xf64>
// CHECK: kiln.convolution_backward_filter %arg4, %arg5, %arg6 {dilations = array<i64: 1>, groups = 1 : i64, padding_high = array<i64: 0>, padding_low = array<i64: 0>, strides = array<i64: 2>} : tensor<?x3x11xf32>, tensor<?x?x5xf32> -> tensor<?x3x3xf32>
func.func @convolution_backward_filter(
    %x0: tensor<?x1x28x28xf32>, %dy0: tensor<?x20x24x24xf32>,
    %x1: tensor<2x4x9x9xf64>, %dy1: tensor<2x6x4x7xf64>,
    %x2: tensor<?x3x11xf32>, %dy2: tensor<?x?x5xf32>, %o: index) {
  %0 = kiln.convolution_backward_filter %x0, %dy0 {strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<?x1x28x28xf32>, tensor<?x20x24x24xf32> -> tensor<20x1x5x5xf32>
  %1 = kiln.convolution_backward_filter %x1, %dy1 {strides = array<i64: 2, 1>, padding_low = array<i64: 1, 0>, padding_high = array<i64: 0, 2>, dilations = array<i64: 1, 2>, groups = 2 : i64} : tensor<2x4x9x9xf64>, tensor<2x6x4x7xf64> -> tensor<6x2x3x3xf64>
  %2 = kiln.convolution_backward_filter %x2, %dy2, %o {strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<?x3x11xf32>, tensor<?x?x5xf32> -> tensor<?x3x3xf32>
  return
}

// Max or average over windows of 1 to 3 spatial dimensions; the result is
// inferred.
// CHECK-LABEL: func.func @pool(
// CHECK: kiln.pool %arg0 {count_include_pad = true, kind = #kiln<pool_kind max>, padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x20x24x24xf32> -> tensor<?x20x12x12xf32>
// CHECK: kiln.pool %arg1 {count_include_pad = false, kind = #kiln<pool_kind avg>, padding_high = array<i64: 1>, padding_low = array<i64: 1>, strides = array<i64: 2>, window = array<i64: 3>} : tensor<2x3x7xf64> -> tensor<2x3x4xf64>
// CHECK: kiln.pool %arg2 {count_include_pad = true, kind = #kiln<pool_kind avg>, padding_high = array<i64: 0, 0, 0>, padding_low = array<i64: 0, 0, 1>, strides = array<i64: 2, 1, 2>, window = array<i64: 2, 3, 2>} : tensor<1x2x4x5x6xf32> -> tensor<1x2x2x3x3xf32>
// CHECK: kiln.pool %arg3 {count_include_pad = true, kind = #kiln<pool_kind max>, padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, strides = array<i64: 1, 1>, window = array<i64: 3, 3>} : tensor<?x?x?x?xf64> -> tensor<?x?x?x?xf64>
func.func @pool(%x0: tensor<?x20x24x24xf32>, %x1: tensor<2x3x7xf64>, %x2: tensor<1x2x4x5x6xf32>, %x3: tensor<?x?x?x?xf64>)
    -> (tensor<?x20x12x12xf32>, tensor<2x3x4xf64>, tensor<1x2x2x3x3xf32>, tensor<?x?x?x?xf64>) {
  %0 = kiln.pool %x0 {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<?x20x24x24xf32> -> tensor<?x20x12x12xf32>
  %1 = kiln.pool %x1 {kind = #kiln<pool_kind avg>, window = array<i64: 3>, strides = array<i64: 2>, padding_low = array<i64: 1>, padding_high = array<i64: 1>, count_include_pad = false} : tensor<2x3x7xf64> -> tensor<2x3x4xf64>
  %2 = kiln.pool %x2 {kind = #kiln<pool_kind avg>, window = array<i64: 2, 3, 2>, strides = array<i64: 2, 1, 2>, padding_low = array<i64: 0, 0, 1>, padding_high = array<i64: 0, 0, 0>, count_include_pad = true} : tensor<1x2x4x5x6xf32> -> tensor<1x2x2x3x3xf32>
  %3 = kiln.pool %x3 {kind = #kiln<pool_kind max>, window = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, count_include_pad = true} : tensor<?x?x?x?xf64> -> tensor<?x?x?x?xf64>
  return %0, %1, %2, %3 : tensor<?x20x12x12xf32>, tensor<2x3x4xf64>, tensor<1x2x2x3x3xf32>, tensor<?x?x?x?xf64>
}

// The result has the forward input's type; output_grad has the pooled shape.
// CHECK-LABEL: func.func @pool_backward(
// CHECK: kiln.pool_backward %arg0, %arg1 {count_include_pad = true, kind = #kiln<pool_kind max>, padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x20x24x24xf32>, tensor<?x20x12x12xf32> -> tensor<?x20x24x24xf32>
// CHECK: kiln.pool_backward %arg2, %arg3 {count_include_pad = false, kind = #kiln<pool_kind avg>, padding_high = array<i64: 1>, padding_low = array<i64: 1>, strides = array<i64: 2>, window = array<i64: 3>} : tensor<2x3x7xf64>, tensor<2x3x4xf64> -> tensor<2x3x7xf64>
// CHECK: kiln.pool_backward %arg4, %arg5 {count_include_pad = true, kind = #kiln<pool_kind avg>, padding_high = array<i64: 1, 1, 1>, padding_low = array<i64: 0, 0, 0>, strides = array<i64: 1, 1, 1>, window = array<i64: 2, 2, 2>} : tensor<?x?x?x?x?xf32>, tensor<?x?x?x?x?xf32> -> tensor<?x?x?x?x?xf32>
func.func @pool_backward(%x0: tensor<?x20x24x24xf32>, %dy0: tensor<?x20x12x12xf32>,
    %x1: tensor<2x3x7xf64>, %dy1: tensor<2x3x4xf64>, %x2: tensor<?x?x?x?x?xf32>, %dy2: tensor<?x?x?x?x?xf32>)
    -> (tensor<?x20x24x24xf32>, tensor<2x3x7xf64>, tensor<?x?x?x?x?xf32>) {
  %0 = kiln.pool_backward %x0, %dy0 {kind = #kiln<pool_kind max>, window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, count_include_pad = true} : tensor<?x20x24x24xf32>, tensor<?x20x12x12xf32> -> tensor<?x20x24x24xf32>
  %1 = kiln.pool_backward %x1, %dy1 {kind = #kiln<pool_kind avg>, window = array<i64: 3>, strides = array<i64: 2>, padding_low = array<i64: 1>, padding_high = array<i64: 1>, count_include_pad = false} : tensor<2x3x7xf64>, tensor<2x3x4xf64> -> tensor<2x3x7xf64>
  %2 = kiln.pool_backward %x2, %dy2 {kind = #kiln<pool_kind avg>, window = array<i64: 2, 2, 2>, strides = array<i64: 1, 1, 1>, padding_low = array<i64: 0, 0, 0>, padding_high = array<i64: 1, 1, 1>, count_include_pad = true} : tensor<?x?x?x?x?xf32>, tensor<?x?x?x?x?xf32> -> tensor<?x?x?x?x?xf32>
  return %0, %1, %2 : tensor<?x20x24x24xf32>, tensor<2x3x7xf64>, tensor<?x?x?x?x?xf32>
}

//===----------------------------------------------------------------------===//
// Lowering-stage ops
//===----------------------------------------------------------------------===//

// Destination-passing: on tensors it returns its outputs' types; on buffers
// it returns nothing. Without inputs, `ins` is left out. The callee is only a
// name here (kiln-library-call-to-func resolves it).
// CHECK-LABEL: func.func @library_call(
// CHECK: kiln.library_call "kiln_pool_f32" ins(%arg0 : tensor<?x?x?xf32>) outs(%arg1 : tensor<?x?x?xf32>) {params = array<i64: 0, 1, 2, 2, 0, 0>} -> tensor<?x?x?xf32>
// CHECK: kiln.library_call "two_outputs" ins(%arg0, %arg2 : tensor<?x?x?xf32>, tensor<4x2x3x3xf64>) outs(%arg3, %arg3 : tensor<4x2x3x3xf64>, tensor<4x2x3x3xf64>) {params = array<i64>} -> tensor<4x2x3x3xf64>, tensor<4x2x3x3xf64>
// CHECK: kiln.library_call "kiln_convolution_f32" ins(%arg4, %arg5 : memref<?x?x?xf32>, memref<2x3x4xf32, strided<[12, 1, 3], offset: ?>>) outs(%arg6 : memref<?x?x?xf32>) {params = array<i64: 1, 0, 0, 1, 1>}
// CHECK: kiln.library_call "fill" outs(%arg6 : memref<?x?x?xf32>) {params = array<i64: 7>}
func.func @library_call(%x: tensor<?x?x?xf32>, %init: tensor<?x?x?xf32>, %w: tensor<4x2x3x3xf64>, %init2: tensor<4x2x3x3xf64>,
    %a: memref<?x?x?xf32>, %b: memref<2x3x4xf32, strided<[12, 1, 3], offset: ?>>, %c: memref<?x?x?xf32>)
    -> (tensor<?x?x?xf32>, tensor<4x2x3x3xf64>, tensor<4x2x3x3xf64>) {
  %0 = kiln.library_call "kiln_pool_f32" ins(%x : tensor<?x?x?xf32>) outs(%init : tensor<?x?x?xf32>) {params = array<i64: 0, 1, 2, 2, 0, 0>} -> tensor<?x?x?xf32>
  %1:2 = kiln.library_call "two_outputs" ins(%x, %w : tensor<?x?x?xf32>, tensor<4x2x3x3xf64>) outs(%init2, %init2 : tensor<4x2x3x3xf64>, tensor<4x2x3x3xf64>) {params = array<i64>} -> tensor<4x2x3x3xf64>, tensor<4x2x3x3xf64>
  kiln.library_call "kiln_convolution_f32" ins(%a, %b : memref<?x?x?xf32>, memref<2x3x4xf32, strided<[12, 1, 3], offset: ?>>) outs(%c : memref<?x?x?xf32>) {params = array<i64: 1, 0, 0, 1, 1>}
  kiln.library_call "fill" outs(%c : memref<?x?x?xf32>) {params = array<i64: 7>}
  return %0, %1#0, %1#1 : tensor<?x?x?xf32>, tensor<4x2x3x3xf64>, tensor<4x2x3x3xf64>
}

// A step near INT64_MAX takes the first element only (the extent once
// overflowed to 0).
// CHECK-LABEL: func.func @slice_huge_step
// CHECK: kiln.slice %arg0 {begin = array<i64: 0>, end = array<i64: 4>, step = array<i64: 9223372036854775807>} : tensor<4xf32> -> tensor<1xf32>
func.func @slice_huge_step(%a: tensor<4xf32>) -> tensor<1xf32> {
  %0 = kiln.slice %a {begin = array<i64: 0>, end = array<i64: 4>, step = array<i64: 9223372036854775807>} : tensor<4xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}
