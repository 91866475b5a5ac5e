// Helpers the frontend tests share.
#ifndef KILN_TESTS_FRONTENDS_TESTARRAYS_H
#define KILN_TESTS_FRONTENDS_TESTARRAYS_H

#include "frontends/cpp/NDArray.h"

#include <vector>

namespace kiln {

/// The float32 elements of `array`, row-major (waits for pending writes).
inline std::vector<float> values(const NDArray &array) {
  std::vector<float> result(array.size());
  array.copyTo(result.data());
  return result;
}

} // namespace kiln

#endif // KILN_TESTS_FRONTENDS_TESTARRAYS_H
