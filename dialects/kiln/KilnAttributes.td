//===- KilnAttributes.td - kiln's attribute kinds ----------*- tablegen -*-===//
//
// Choices are enums, not strings: the parser refuses any other spelling, and
// lowerings switch over the cases.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ATTRIBUTES_TD
#define KILN_ATTRIBUTES_TD

include "dialects/kiln/KilnDialect.td"
include "mlir/IR/EnumAttr.td"

def Kiln_IndexModeClip : I32EnumAttrCase<"clip", 0>;
def Kiln_IndexModeWrap : I32EnumAttrCase<"wrap", 1>;

// What take and scatter_add do with an index outside [0, extent): clip it to
// the nearer end (MXNet's default) or wrap it around (index mod extent).
def Kiln_IndexMode : I32EnumAttr<"IndexMode",
    "what an out-of-range index means",
    [Kiln_IndexModeClip, Kiln_IndexModeWrap]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}

// Written `#kiln<index_mode wrap>`.
def Kiln_IndexModeAttr : EnumAttr<Kiln_Dialect, Kiln_IndexMode, "index_mode">;

#endif // KILN_ATTRIBUTES_TD
