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

def Kiln_PoolKindMax : I32EnumAttrCase<"max", 0>;
def Kiln_PoolKindAvg : I32EnumAttrCase<"avg", 1>;

// What kiln.pool computes over each window: its largest element, or its
// mean (over the window's in-bounds elements, or over the whole window with
// padding counted as zeros, by the op's count_include_pad).
def Kiln_PoolKind : I32EnumAttr<"PoolKind", "what a pooling window computes",
    [Kiln_PoolKindMax, Kiln_PoolKindAvg]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}

// Written `#kiln<pool_kind max>`.
def Kiln_PoolKindAttr : EnumAttr<Kiln_Dialect, Kiln_PoolKind, "pool_kind">;

#endif // KILN_ATTRIBUTES_TD
