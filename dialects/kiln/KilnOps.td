//===- KilnOps.td - kiln primitive operations --------------*- tablegen -*-===//
#ifndef KILN_OPS_TD
#define KILN_OPS_TD

include "dialects/kiln/KilnDialect.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Elementwise binary operations
//===----------------------------------------------------------------------===//

// Two operands of one element type and compatible shapes; the result has the
// operands' element type and the most static shape the two agree on.
class Kiln_ElementwiseBinaryOp<string mnemonic, list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat(traits, [
        Pure, SameOperandsAndResultElementType,
        DeclareOpInterfaceMethods<InferTypeOpInterface>])> {
  let arguments = (ins Kiln_Tensor:$lhs, Kiln_Tensor:$rhs);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)
  }];
  let hasVerifier = 1;
  // Dynamic and static extents that agree are compatible result types.
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual);
  }];
}

def Kiln_AddOp : Kiln_ElementwiseBinaryOp<"add", [Commutative]> {
  let summary = "elementwise addition";
  let description = [{
    `result[i] = lhs[i] + rhs[i]` over tensors of the same shape. Dynamic
    extents are allowed; where one operand's extent is static, the result's is
    too.

    ```mlir
    %sum = kiln.add %a, %b : tensor<?x4xf32>, tensor<3x4xf32>
    // %sum : tensor<3x4xf32>
    ```
  }];
}

#endif // KILN_OPS_TD
