//===- Error.h - kiln's user-facing error type ------------------*- C++ -*-===//
//
// Every mistake a user can make (wrong shapes, bad attributes, out of memory)
// is reported by throwing kiln::Error. The Python layer maps it to MXNetError.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_ERROR_H
#define KILN_RUNTIME_ERROR_H

#include <sstream>
#include <stdexcept>
#include <string>

namespace kiln {

class Error : public std::runtime_error {
public:
  explicit Error(const std::string &message) : std::runtime_error(message) {}
};

/// Builds an error message from streamable parts:
///   throw Error(formatMessage("add: shape mismatch, lhs ", a, " vs rhs ", b));
template <typename... Parts> std::string formatMessage(const Parts &...parts) {
  std::ostringstream stream;
  (stream << ... << parts);
  return stream.str();
}

} // namespace kiln

#endif // KILN_RUNTIME_ERROR_H
