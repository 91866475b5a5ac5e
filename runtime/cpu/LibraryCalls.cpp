//===- LibraryCalls.cpp - runtime entry points compiled code calls --------===//
#include "runtime/cpu/LibraryCalls.h"

#include "runtime/cpu/Convolution.h"
#include "runtime/cpu/DnnlMatmul.h"
#include "runtime/cpu/Pooling.h"

namespace kiln {

const std::vector<LibrarySymbol> &librarySymbols() {
  static const std::vector<LibrarySymbol> symbols = {
      {"kiln_dnnl_matmul_f32", reinterpret_cast<void *>(&kiln_dnnl_matmul_f32)},
#define KILN_LIBRARY_CALL(name) {#name, reinterpret_cast<void *>(&name)}
      KILN_LIBRARY_CALL(kiln_convolution_f32),
      KILN_LIBRARY_CALL(kiln_convolution_f64),
      KILN_LIBRARY_CALL(kiln_convolution_bias_f32),
      KILN_LIBRARY_CALL(kiln_convolution_bias_f64),
      KILN_LIBRARY_CALL(kiln_convolution_backward_data_f32),
      KILN_LIBRARY_CALL(kiln_convolution_backward_data_f64),
      KILN_LIBRARY_CALL(kiln_convolution_backward_filter_f32),
      KILN_LIBRARY_CALL(kiln_convolution_backward_filter_f64),
      KILN_LIBRARY_CALL(kiln_pool_f32),
      KILN_LIBRARY_CALL(kiln_pool_f64),
      KILN_LIBRARY_CALL(kiln_pool_backward_f32),
      KILN_LIBRARY_CALL(kiln_pool_backward_f64),
#undef KILN_LIBRARY_CALL
  };
  return symbols;
}

} // namespace kiln
