//===- KilnDialect.td - the kiln dialect -------------------*- tablegen -*-===//
//
// kiln's primitive operations: the small closed set that every frontend op
// (eager, symbolic, hybridized or ahead-of-time) decomposes into, and that
// every backend lowers. Primitives work on ranked tensors with value semantics;
// bufferization happens later, in the compiler's pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECT_TD
#define KILN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let cppNamespace = "::mlir::kiln";
  let summary = "kiln's primitive tensor operations";
  let description = [{
    Each primitive has an ODS definition with a verifier, shape and type
    inference, a lowering per backend and a gradient rule. Frontend ops with
    MXNet's names (FullyConnected, broadcast_add, ...) are decompositions into
    these primitives and never appear in the IR.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
}

// Element types kiln tensors may hold. Integers are signless, as arith wants,
// except uint8 (ui8): the lowering records which ops work on unsigned values
// and then makes every type signless.
def Kiln_ElementType : AnyTypeOf<[F16, BF16, F32, F64, I1, I8, UI8, I32, I64]>;
def Kiln_Tensor : RankedTensorOf<[Kiln_ElementType]>;

class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, traits>;

#endif // KILN_DIALECT_TD
