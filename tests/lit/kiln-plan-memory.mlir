// RUN: kiln-opt %s --split-input-file --kiln-plan-memory | FileCheck %s

// A chain of convolutions and ReLUs, each value read only by the next op:
// each ReLU writes into the buffer it reads (in place), and the third
// convolution's output takes the memory of the first two values. Two
// allocations remain of five.

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @chain
// CHECK: %[[A:.*]] = memref.alloc(
// CHECK: kiln.library_call "kiln_convolution_f32" ins(%arg0, %arg1 : {{.*}}) outs(%[[A]] :
// CHECK: linalg.generic {{.*}} ins(%[[A]] : {{.*}}) outs(%[[A]] :
// CHECK: %[[C:.*]] = memref.alloc(
// CHECK: kiln.library_call "kiln_convolution_f32" ins(%[[A]], %arg1 : {{.*}}) outs(%[[C]] :
// CHECK: linalg.generic {{.*}} ins(%[[C]] : {{.*}}) outs(%[[C]] :
// CHECK-NOT: memref.alloc
// CHECK: kiln.library_call "kiln_convolution_f32" ins(%[[C]], %arg1 : {{.*}}) outs(%[[A]] :
// CHECK: linalg.generic {{.*}} ins(%[[A]] : {{.*}}) outs(%arg2 :
func.func @chain(%x: memref<?x?x?x?xf32>, %w: memref<?x?x3x3xf32>, %out: memref<?x?x?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x?x?x?xf32>
  %k = memref.dim %w, %c0 : memref<?x?x3x3xf32>
  %h = memref.dim %x, %c2 : memref<?x?x?x?xf32>
  %v = memref.dim %x, %c3 : memref<?x?x?x?xf32>
  %a = memref.alloc(%n, %k, %h, %v) {alignment = 64 : i64} : memref<?x?x?x?xf32>
  kiln.library_call "kiln_convolution_f32" ins(%x, %w : memref<?x?x?x?xf32>, memref<?x?x3x3xf32>) outs(%a : memref<?x?x?x?xf32>) {params = array<i64: 1, 1, 1, 1, 1, 1, 1, 1, 1>}
  %b = memref.alloc(%n, %k, %h, %v) {alignment = 64 : i64} : memref<?x?x?x?xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a : memref<?x?x?x?xf32>) outs(%b : memref<?x?x?x?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  %c = memref.alloc(%n, %k, %h, %v) {alignment = 64 : i64} : memref<?x?x?x?xf32>
  kiln.library_call "kiln_convolution_f32" ins(%b, %w : memref<?x?x?x?xf32>, memref<?x?x3x3xf32>) outs(%c : memref<?x?x?x?xf32>) {params = array<i64: 1, 1, 1, 1, 1, 1, 1, 1, 1>}
  %d = memref.alloc(%n, %k, %h, %v) {alignment = 64 : i64} : memref<?x?x?x?xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : memref<?x?x?x?xf32>) outs(%d : memref<?x?x?x?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  %e = memref.alloc(%n, %k, %h, %v) {alignment = 64 : i64} : memref<?x?x?x?xf32>
  kiln.library_call "kiln_convolution_f32" ins(%d, %w : memref<?x?x?x?xf32>, memref<?x?x3x3xf32>) outs(%e : memref<?x?x?x?xf32>) {params = array<i64: 1, 1, 1, 1, 1, 1, 1, 1, 1>}
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%e : memref<?x?x?x?xf32>) outs(%out : memref<?x?x?x?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Two values live at the same time (both read by the last op) keep
// allocations of their own, and a value read again later is not
// overwritten in place.

#id1 = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @overlapping
// CHECK: %[[A:.*]] = memref.alloc(
// CHECK: %[[B:.*]] = memref.alloc(
// CHECK: linalg.generic {{.*}} ins(%[[A]] : {{.*}}) outs(%[[B]] :
// CHECK: linalg.generic {{.*}} ins(%[[A]], %[[B]] : {{.*}}) outs(%arg1 :
func.func @overlapping(%x: memref<?xf32>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?xf32>
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%a : memref<?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  %b = memref.alloc(%n) {alignment = 64 : i64} : memref<?xf32>
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%a : memref<?xf32>) outs(%b : memref<?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%a, %b : memref<?xf32>, memref<?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// No in place where element i of the output does not come from element i
// of the input (a transpose), or where the op reads its output's initial
// value (an accumulation): the accumulation writes into the first buffer,
// free by then, rather than into the one it reads.

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#tr = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @not_in_place
// CHECK: %[[A:.*]] = memref.alloc(
// CHECK: %[[B:.*]] = memref.alloc(
// CHECK: linalg.generic {{.*}} ins(%[[A]] : {{.*}}) outs(%[[B]] :
// CHECK-NOT: memref.alloc
// CHECK: linalg.generic {{.*}} ins(%[[B]] : {{.*}}) outs(%[[A]] :
// CHECK: linalg.copy ins(%[[A]] : {{.*}}) outs(%arg1 :
func.func @not_in_place(%x: memref<?x?xf32>, %out: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x?xf32>
  %a = memref.alloc(%n, %n) {alignment = 64 : i64} : memref<?x?xf32>
  linalg.copy ins(%x : memref<?x?xf32>) outs(%a : memref<?x?xf32>)
  %b = memref.alloc(%n, %n) {alignment = 64 : i64} : memref<?x?xf32>
  linalg.generic {indexing_maps = [#tr, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<?x?xf32>) outs(%b : memref<?x?xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %c = memref.alloc(%n, %n) {alignment = 64 : i64} : memref<?x?xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  linalg.copy ins(%c : memref<?x?xf32>) outs(%out : memref<?x?xf32>)
  return
}

// -----

// Buffers of different shapes share one byte allocation of the larger
// size, which each views; the sizes are computed before it (the memref.dim
// moves up). Static sizes: the slot is the larger, rounded up to 64 bytes.
// The f64 buffer could take either f32 buffer's memory: it takes the one
// freed last.

#id1 = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @different_shapes
// CHECK: %[[N:.*]] = memref.dim %arg0
// CHECK: %[[A:.*]] = memref.alloc(%[[N]])
// CHECK: linalg.copy ins(%arg0 : {{.*}}) outs(%[[A]] :
// CHECK: %[[M:.*]] = memref.dim %arg1
// CHECK: %[[SLOT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?xi8>
// CHECK: %[[B:.*]] = memref.view %[[SLOT]][%{{.*}}][%[[N]]] : memref<?xi8> to memref<?xf32>
// CHECK: linalg.copy ins(%[[A]] : {{.*}}) outs(%[[B]] :
// CHECK: %[[C:.*]] = memref.view %[[SLOT]][%{{.*}}][%[[M]]] : memref<?xi8> to memref<?xf64>
// CHECK-NOT: memref.alloc
// CHECK: return
func.func @different_shapes(%x: memref<?xf32>, %y: memref<?xf64>, %out: memref<?xf32>, %out2: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?xf32>
  linalg.copy ins(%x : memref<?xf32>) outs(%a : memref<?xf32>)
  %b = memref.alloc(%n) {alignment = 64 : i64} : memref<?xf32>
  linalg.copy ins(%a : memref<?xf32>) outs(%b : memref<?xf32>)
  linalg.copy ins(%b : memref<?xf32>) outs(%out : memref<?xf32>)
  %m = memref.dim %y, %c0 : memref<?xf64>
  %c = memref.alloc(%m) {alignment = 64 : i64} : memref<?xf64>
  linalg.copy ins(%y : memref<?xf64>) outs(%c : memref<?xf64>)
  linalg.copy ins(%c : memref<?xf64>) outs(%out2 : memref<?xf64>)
  return
}

// CHECK-LABEL: func.func @static_shapes
// CHECK: %[[SLOT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?xi8>
// CHECK: memref.view %[[SLOT]]{{.*}} : memref<?xi8> to memref<10xf32>
// CHECK: memref.view %[[SLOT]]{{.*}} : memref<?xi8> to memref<3x7xi16>
// CHECK-NOT: memref.alloc
func.func @static_shapes(%x: memref<10xf32>, %y: memref<3x7xi16>, %out: memref<10xf32>, %out2: memref<3x7xi16>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<10xf32>
  linalg.copy ins(%x : memref<10xf32>) outs(%a : memref<10xf32>)
  %b = memref.alloc() {alignment = 64 : i64} : memref<10xf32>
  linalg.copy ins(%a : memref<10xf32>) outs(%b : memref<10xf32>)
  linalg.copy ins(%b : memref<10xf32>) outs(%out : memref<10xf32>)
  %c = memref.alloc() {alignment = 64 : i64} : memref<3x7xi16>
  linalg.copy ins(%y : memref<3x7xi16>) outs(%c : memref<3x7xi16>)
  linalg.copy ins(%c : memref<3x7xi16>) outs(%out2 : memref<3x7xi16>)
  return
}

// -----

// A view of a buffer keeps it alive: %a is read through its collapsed view
// by the last op, so %b cannot take its memory.

// CHECK-LABEL: func.func @view_extends_life
// CHECK: %[[A:.*]] = memref.alloc()
// CHECK: %[[V:.*]] = memref.collapse_shape %[[A]]
// CHECK: %[[B:.*]] = memref.alloc()
// CHECK: linalg.copy ins(%[[V]] : {{.*}}) outs(%arg1 :
func.func @view_extends_life(%x: memref<2x3xf32>, %out: memref<6xf32>, %out2: memref<2x3xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<2x3xf32>
  linalg.copy ins(%x : memref<2x3xf32>) outs(%a : memref<2x3xf32>)
  %v = memref.collapse_shape %a [[0, 1]] : memref<2x3xf32> into memref<6xf32>
  %b = memref.alloc() {alignment = 64 : i64} : memref<2x3xf32>
  linalg.copy ins(%x : memref<2x3xf32>) outs(%b : memref<2x3xf32>)
  linalg.copy ins(%b : memref<2x3xf32>) outs(%out2 : memref<2x3xf32>)
  linalg.copy ins(%v : memref<6xf32>) outs(%out : memref<6xf32>)
  return
}

// -----

// Left alone: a buffer returned, one passed to a call, one already freed,
// and one allocated inside a loop (a use inside the loop counts at the loop).

func.func private @consume(memref<4xf32>)

// CHECK-LABEL: func.func @left_alone
// CHECK: %[[A:.*]] = memref.alloc()
// CHECK: %[[B:.*]] = memref.alloc()
// CHECK: %[[C:.*]] = memref.alloc()
// CHECK: memref.dealloc %[[C]]
// CHECK: %[[D:.*]] = memref.alloc()
// CHECK: scf.for
// CHECK: memref.alloc()
// CHECK: return %[[A]]
func.func @left_alone(%x: memref<4xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%a : memref<4xf32>)
  %b = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%b : memref<4xf32>)
  func.call @consume(%b) : (memref<4xf32>) -> ()
  %c = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%c : memref<4xf32>)
  memref.dealloc %c : memref<4xf32>
  %d = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%d : memref<4xf32>)
  scf.for %i = %c0 to %c4 step %c1 {
    %t = memref.alloc() : memref<4xf32>
    linalg.copy ins(%d : memref<4xf32>) outs(%t : memref<4xf32>)
  }
  return %a : memref<4xf32>
}
