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

// -----

// The other f32 transcendentals become polynomials too: no math op of their
// own is left, and no call.
// CHECK-LABEL: func.func @f32_polynomials
// CHECK-NOT: math.expm1
// CHECK-NOT: math.log
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-NOT: call
// CHECK: math.fma
// CHECK-NOT: math.expm1
// CHECK-NOT: math.log
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-NOT: call
// CHECK: return
func.func @f32_polynomials(%x: f32) -> (f32, f32, f32, f32, f32) {
  %0 = math.expm1 %x : f32
  %1 = math.log %x : f32
  %2 = math.log1p %x : f32
  %3 = math.tanh %x : f32
  %4 = math.erf %x : f32
  return %0, %1, %2, %3, %4 : f32, f32, f32, f32, f32
}

// -----

// f32 cos, like sin, is computed in f64.
// CHECK-LABEL: func.func @cos_f32
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f32 to f64
// CHECK: %[[C:.*]] = math.cos %[[W]] : f64
// CHECK: arith.truncf %[[C]] : f64 to f32
func.func @cos_f32(%x: f32) -> f32 {
  %0 = math.cos %x : f32
  return %0 : f32
}

// -----

// f64 tanh and log1p call the C library too (declared once, readnone); f64
// sin and log, f32 sqrt and integer powers are left for the passes after
// this one (LLVM intrinsics, math-to-funcs).
// CHECK-DAG: func.func private @tanh(f64) -> f64 attributes {llvm.readnone}
// CHECK-DAG: func.func private @log1p(f64) -> f64 attributes {llvm.readnone}
// CHECK-LABEL: func.func @f64_libm_and_the_rest
// CHECK: call @tanh(%{{.*}}) : (f64) -> f64
// CHECK: call @log1p(%{{.*}}) : (f64) -> f64
// CHECK: math.sin %{{.*}} : f64
// CHECK: math.log %{{.*}} : f64
// CHECK: math.sqrt %{{.*}} : f32
// CHECK: math.ipowi %{{.*}}, %{{.*}} : i32
func.func @f64_libm_and_the_rest(%x: f64, %y: f32, %i: i32) -> (f64, f64, f64, f64, f32, i32) {
  %0 = math.tanh %x : f64
  %1 = math.log1p %x : f64
  %2 = math.sin %x : f64
  %3 = math.log %x : f64
  %4 = math.sqrt %y : f32
  %5 = math.ipowi %i, %i : i32
  return %0, %1, %2, %3, %4, %5 : f64, f64, f64, f64, f32, i32
}

// -----

// f32 asin, acos and atan are computed in f64 through the C library and
// rounded once (correctly rounded f32, unlike a polynomial).
// CHECK-LABEL: func.func @inverse_trigonometry
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: call @asin(%{{.*}}) : (f64) -> f64
// CHECK: arith.truncf
// CHECK: call @acos(%{{.*}}) : (f64) -> f64
// CHECK: call @atan(%{{.*}}) : (f64) -> f64
// CHECK: call @atan(%{{.*}}) : (f64) -> f64
func.func @inverse_trigonometry(%x: f32, %y: f64) -> (f32, f32, f32, f64) {
  %0 = math.asin %x : f32
  %1 = math.acos %x : f32
  %2 = math.atan %x : f32
  %3 = math.atan %y : f64
  return %0, %1, %2, %3 : f32, f32, f32, f64
}

