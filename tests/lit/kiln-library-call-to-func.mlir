// RUN: kiln-opt %s --kiln-library-call-to-func --split-input-file | FileCheck %s
// RUN: kiln-opt %s --split-input-file --convert-kiln-to-linalg --eliminate-empty-tensors \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=fully-dynamic-layout-map" \
// RUN:   --drop-equivalent-buffer-results --canonicalize --kiln-library-call-to-func \
// RUN:   | FileCheck %s --check-prefix=PIPELINE
// RUN: kiln-opt %s --split-input-file --convert-kiln-to-linalg --eliminate-empty-tensors \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=fully-dynamic-layout-map" \
// RUN:   --drop-equivalent-buffer-results --canonicalize --ownership-based-buffer-deallocation \
// RUN:   --canonicalize --buffer-deallocation-simplification --bufferization-lower-deallocations \
// RUN:   --canonicalize --kiln-library-call-to-func | FileCheck %s --check-prefix=DEALLOC

// A bufferized library call becomes a call of its callee, declared private
// with llvm.emit_c_interface: every buffer (inputs, then outputs) as an
// unranked memref, then params as a constant i64 buffer (a private global).
// CHECK-DAG: func.func private @kiln_pool_f32(memref<*xf32>, memref<*xf32>, memref<*xi64>) attributes {llvm.emit_c_interface}
// CHECK-DAG: memref.global "private" constant @[[PARAMS:kiln_library_params_[0-9]+]] : memref<10xi64> = dense<[0, 1, 2, 2, 2, 2, 0, 0, 0, 0]>
// CHECK-LABEL: func.func @pool
// CHECK-SAME: (%[[X:.*]]: memref<?x?x?x?xf32>, %[[Y:.*]]: memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>)
// CHECK: %[[XU:.*]] = memref.cast %[[X]] : memref<?x?x?x?xf32> to memref<*xf32>
// CHECK: %[[YU:.*]] = memref.cast %[[Y]] : memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>> to memref<*xf32>
// CHECK: %[[P:.*]] = memref.get_global @[[PARAMS]] : memref<10xi64>
// CHECK: %[[PU:.*]] = memref.cast %[[P]] : memref<10xi64> to memref<*xi64>
// CHECK: call @kiln_pool_f32(%[[XU]], %[[YU]], %[[PU]]) : (memref<*xf32>, memref<*xf32>, memref<*xi64>) -> ()
// CHECK-NOT: kiln.library_call
// CHECK: return
func.func @pool(%x: memref<?x?x?x?xf32>, %y: memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>) {
  kiln.library_call "kiln_pool_f32" ins(%x : memref<?x?x?x?xf32>) outs(%y : memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>) {params = array<i64: 0, 1, 2, 2, 2, 2, 0, 0, 0, 0>}
  return
}

// -----

// Two calls of one callee share its declaration (a second one would be
// renamed, and the calls would not both call this name); each call has its
// own params.
// CHECK-DAG: func.func private @kiln_convolution_f64(memref<*xf64>, memref<*xf64>, memref<*xf64>, memref<*xi64>) attributes {llvm.emit_c_interface}
// CHECK-DAG: memref.global "private" constant @[[G1:kiln_library_params_[0-9]+]] : memref<5xi64> = dense<[1, 0, 0, 1, 1]>
// CHECK-DAG: memref.global "private" constant @[[G2:kiln_library_params_[0-9]+]] : memref<5xi64> = dense<1>
// CHECK-NOT: func.func private @kiln_convolution_f64
// CHECK-LABEL: func.func @two_convolutions
// CHECK-SAME: (%[[X:.*]]: memref<1x2x5xf64>, %[[W:.*]]: memref<3x2x3xf64>, %[[Y:.*]]: memref<1x3x3xf64>, %[[Z:.*]]: memref<1x3x5xf64>)
// CHECK: %[[X1:.*]] = memref.cast %[[X]]
// CHECK: %[[W1:.*]] = memref.cast %[[W]]
// CHECK: %[[Y1:.*]] = memref.cast %[[Y]]
// CHECK: %[[P1:.*]] = memref.get_global @[[G1]] : memref<5xi64>
// CHECK: %[[P1U:.*]] = memref.cast %[[P1]]
// CHECK: call @kiln_convolution_f64(%[[X1]], %[[W1]], %[[Y1]], %[[P1U]])
// CHECK: %[[X2:.*]] = memref.cast %[[X]]
// CHECK: %[[W2:.*]] = memref.cast %[[W]]
// CHECK: %[[Z2:.*]] = memref.cast %[[Z]]
// CHECK: %[[P2:.*]] = memref.get_global @[[G2]] : memref<5xi64>
// CHECK: %[[P2U:.*]] = memref.cast %[[P2]]
// CHECK: call @kiln_convolution_f64(%[[X2]], %[[W2]], %[[Z2]], %[[P2U]])
func.func @two_convolutions(%x: memref<1x2x5xf64>, %w: memref<3x2x3xf64>, %y: memref<1x3x3xf64>, %z: memref<1x3x5xf64>) {
  kiln.library_call "kiln_convolution_f64" ins(%x, %w : memref<1x2x5xf64>, memref<3x2x3xf64>) outs(%y : memref<1x3x3xf64>) {params = array<i64: 1, 0, 0, 1, 1>}
  kiln.library_call "kiln_convolution_f64" ins(%x, %w : memref<1x2x5xf64>, memref<3x2x3xf64>) outs(%z : memref<1x3x5xf64>) {params = array<i64: 1, 1, 1, 1, 1>}
  return
}

// -----

// Distinct callees get one declaration each, across functions; a global
// named like the params keeps its name and the new one takes another.
// CHECK-DAG: func.func private @kiln_pool_backward_f32(memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xi64>)
// CHECK-DAG: func.func private @kiln_convolution_backward_filter_f32(memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xi64>)
// CHECK-DAG: memref.global "private" constant @kiln_library_params_0 : memref<1xi64> = dense<42>
// CHECK-DAG: memref.global "private" constant @[[G1:kiln_library_params_[0-9_]+]] : memref<6xi64> = dense<[0, 1, 2, 2, 0, 0]>
// CHECK-DAG: memref.global "private" constant @[[G2:kiln_library_params_[0-9_]+]] : memref<5xi64> = dense<[1, 0, 0, 1, 1]>
// CHECK-LABEL: func.func @pool_backward
// CHECK: memref.get_global @[[G1]] : memref<6xi64>
// CHECK: call @kiln_pool_backward_f32(
// CHECK-LABEL: func.func @backward_filter
// CHECK: memref.get_global @[[G2]] : memref<5xi64>
// CHECK: call @kiln_convolution_backward_filter_f32(
// CHECK-LABEL: func.func @unrelated
// CHECK: memref.get_global @kiln_library_params_0 : memref<1xi64>
memref.global "private" constant @kiln_library_params_0 : memref<1xi64> = dense<42>
func.func @pool_backward(%x: memref<2x3x4xf32>, %dy: memref<2x3x2xf32>, %dx: memref<2x3x4xf32>) {
  kiln.library_call "kiln_pool_backward_f32" ins(%x, %dy : memref<2x3x4xf32>, memref<2x3x2xf32>) outs(%dx : memref<2x3x4xf32>) {params = array<i64: 0, 1, 2, 2, 0, 0>}
  return
}
func.func @backward_filter(%x: memref<2x3x4xf32>, %dy: memref<2x5x2xf32>, %dw: memref<5x3x3xf32>) {
  kiln.library_call "kiln_convolution_backward_filter_f32" ins(%x, %dy : memref<2x3x4xf32>, memref<2x5x2xf32>) outs(%dw : memref<5x3x3xf32>) {params = array<i64: 1, 0, 0, 1, 1>}
  return
}
func.func @unrelated() -> memref<1xi64> {
  %0 = memref.get_global @kiln_library_params_0 : memref<1xi64>
  return %0 : memref<1xi64>
}

// -----

// A declaration already in the module is reused.
// CHECK-COUNT-1: func.func private @kiln_pool_f64
// CHECK-NOT: func.func private @kiln_pool_f64
// CHECK-LABEL: func.func @declared
// CHECK: call @kiln_pool_f64(
func.func private @kiln_pool_f64(memref<*xf64>, memref<*xf64>, memref<*xi64>) attributes {llvm.emit_c_interface}
func.func @declared(%x: memref<2x3x4xf64>, %y: memref<2x3x2xf64>) {
  kiln.library_call "kiln_pool_f64" ins(%x : memref<2x3x4xf64>) outs(%y : memref<2x3x2xf64>) {params = array<i64: 0, 1, 2, 2, 0, 0>}
  return
}

// -----

// Calls still on tensors are not the pass's: they stay.
// CHECK-LABEL: func.func @on_tensors
// CHECK: kiln.library_call "kiln_pool_f64"
// CHECK-NOT: call @
func.func @on_tensors(%x: tensor<2x3x4xf64>, %y: tensor<2x3x2xf64>) -> tensor<2x3x2xf64> {
  %0 = kiln.library_call "kiln_pool_f64" ins(%x : tensor<2x3x4xf64>) outs(%y : tensor<2x3x2xf64>) {params = array<i64: 0, 1, 2, 2, 0, 0>} -> tensor<2x3x2xf64>
  return %0 : tensor<2x3x2xf64>
}

// -----

// From the primitive, as compiler/KernelBuilder emits a kernel: the library
// call's output bufferizes in place into the kernel's output argument (no
// allocation, no copy), and strided arguments are passed as they are.
// PIPELINE-LABEL: func.func @kernel
// PIPELINE-SAME: (%[[X:.*]]: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %[[W:.*]]: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %[[OUT:.*]]: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>)
// PIPELINE-NOT: memref.alloc
// PIPELINE-NOT: memref.copy
// PIPELINE: %[[XU:.*]] = memref.cast %[[X]]
// PIPELINE: %[[WU:.*]] = memref.cast %[[W]]
// PIPELINE: %[[OUTU:.*]] = memref.cast %[[OUT]]
// PIPELINE: call @kiln_convolution_f32(%[[XU]], %[[WU]], %[[OUTU]], %{{.*}})
// PIPELINE-NOT: memref.copy
// PIPELINE: return{{$}}
func.func @kernel(%x: tensor<?x?x?xf32>, %w: tensor<?x?x?xf32>,
                  %out: tensor<?x?x?xf32> {bufferization.writable = true}) -> tensor<?x?x?xf32>
    attributes {llvm.emit_c_interface} {
  %y = kiln.convolution %x, %w {strides = array<i64: 1>, padding_low = array<i64: 1>, padding_high = array<i64: 1>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<?x?x?xf32>, tensor<?x?x?xf32> -> tensor<?x?x?xf32>
  %written = bufferization.materialize_in_destination %y in %out
      : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %written : tensor<?x?x?xf32>
}

// -----

// A convolution with a bias calls the runtime's biased entry point, the
// bias after the filter.
// PIPELINE-LABEL: func.func private @kiln_convolution_bias_f32(memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xi64>)
// PIPELINE-LABEL: func.func @biased(
// PIPELINE: call @kiln_convolution_bias_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
func.func @biased(%x: tensor<?x?x?xf32>, %w: tensor<?x?x?xf32>, %b: tensor<?xf32>,
                  %out: tensor<?x?x?xf32> {bufferization.writable = true}) -> tensor<?x?x?xf32>
    attributes {llvm.emit_c_interface} {
  %y = kiln.convolution %x, %w, %b {strides = array<i64: 1>, padding_low = array<i64: 1>, padding_high = array<i64: 1>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?xf32> -> tensor<?x?x?xf32>
  %written = bufferization.materialize_in_destination %y in %out
      : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %written : tensor<?x?x?xf32>
}

// -----

// An intermediate between two library calls is a buffer the kernel
// allocates. kiln.library_call states its memory effects (reads its inputs,
// writes its outputs), so buffer deallocation can free that buffer after its
// last reader.
// DEALLOC-LABEL: func.func @intermediate
// DEALLOC: %[[TMP:.*]] = memref.alloc({{.*}}) {{.*}}: memref<?x?x?xf64>
// DEALLOC: %[[TMPW:.*]] = memref.cast %[[TMP]] : memref<?x?x?xf64> to memref<*xf64>
// DEALLOC: call @kiln_convolution_f64(%{{.*}}, %{{.*}}, %[[TMPW]], %{{.*}})
// DEALLOC: %[[TMPR:.*]] = memref.cast %[[TMP]] : memref<?x?x?xf64> to memref<*xf64>
// DEALLOC: call @kiln_pool_f64(%[[TMPR]], %{{.*}}, %{{.*}})
// DEALLOC: memref.dealloc %[[TMP]] : memref<?x?x?xf64>
// DEALLOC: return
func.func @intermediate(%x: tensor<?x?x?xf64>, %w: tensor<?x?x?xf64>,
                        %out: tensor<?x?x?xf64> {bufferization.writable = true}) -> tensor<?x?x?xf64>
    attributes {llvm.emit_c_interface} {
  %y = kiln.convolution %x, %w {strides = array<i64: 1>, padding_low = array<i64: 1>, padding_high = array<i64: 1>, dilations = array<i64: 1>, groups = 1 : i64} : tensor<?x?x?xf64>, tensor<?x?x?xf64> -> tensor<?x?x?xf64>
  %p = kiln.pool %y {kind = #kiln<pool_kind max>, window = array<i64: 2>, strides = array<i64: 2>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, count_include_pad = true} : tensor<?x?x?xf64> -> tensor<?x?x?xf64>
  %written = bufferization.materialize_in_destination %p in %out
      : (tensor<?x?x?xf64>, tensor<?x?x?xf64>) -> tensor<?x?x?xf64>
  return %written : tensor<?x?x?xf64>
}
