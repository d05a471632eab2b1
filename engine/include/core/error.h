// The one exception type the engine throws: a kind and a message naming the file, field or line.
#pragma once

#include <stdexcept>
#include <string>

namespace glowlab {

enum class ErrorKind {
  InvalidArgument,  // a caller passed something unusable (bad config, wrong shape)
  Io,               // a file could not be read or written
  Format,           // a file was read but its content is malformed
  Image,            // an image could not be decoded or is outside the limits
  NoFace,           // no face was found in a photo
  Numeric,          // NaN/Inf where finite numbers are required
  Cancelled,        // a progress callback asked to stop
  Device,           // the requested device is not available
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace glowlab
