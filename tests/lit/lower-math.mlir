// RUN: kiln-opt %s --kiln-lower-math --split-input-file | FileCheck %s

// f32 exp becomes a polynomial (plain arithmetic LLVM can vectorize).
// CHECK-LABEL: func.func @exp_f32
// CHECK-NOT: math.exp
// CHECK: math.fma
// CHECK-NOT: call
func.func @exp_f32(%x: f32) -> f32 {
  %0 = math.exp %x : f32
  return %0 : f32
}

// -----

// f32 sin is computed in f64 (the f32 approximation is not accurate enough)
// and left for LLVM's intrinsic.
// CHECK-LABEL: func.func @sin_f32
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f32 to f64
// CHECK: %[[S:.*]] = math.sin %[[W]] : f64
// CHECK: arith.truncf %[[S]] : f64 to f32
func.func @sin_f32(%x: f32) -> f32 {
  %0 = math.sin %x : f32
  return %0 : f32
}

// -----

// f64 erf and expm1 call the C library; f64 exp stays for LLVM's intrinsic.
// CHECK-LABEL: func.func @f64_math
// CHECK: call @erf(%{{.*}}) : (f64) -> f64
// CHECK: call @expm1(%{{.*}}) : (f64) -> f64
// CHECK: math.exp %{{.*}} : f64
func.func @f64_math(%x: f64) -> (f64, f64, f64) {
  %0 = math.erf %x : f64
  %1 = math.expm1 %x : f64
  %2 = math.exp %x : f64
  return %0, %1, %2 : f64, f64, f64
}
