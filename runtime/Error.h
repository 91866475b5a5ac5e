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
  /// Which Python exception the mistake is, where MXNet raises a builtin
  /// one rather than MXNetError: ValueError for a reshape to a size that
  /// does not match, IndexError for an index out of bounds, TypeError for a
  /// value of the wrong type. Python raises a class that is both MXNetError
  /// and that builtin, so either `except` catches it.
  enum class Kind { Generic, Value, Index, Type };

  explicit Error(const std::string &message, Kind kind = Kind::Generic)
      : std::runtime_error(message), kind_(kind) {}

  Kind kind() const { return kind_; }

private:
  Kind kind_;
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
