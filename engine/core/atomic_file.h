// Atomic file output: bytes go to a temp file beside the target, are flushed, then renamed into place.
#pragma once

#include <string>
#include <string_view>

namespace glowlab {

// Writes `bytes` to `path` atomically; throws Error(Io) naming the path on any failure and leaves
// no temp file and no partial target behind.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Reads a whole file; throws Error(Io) naming the path if it cannot be opened or exceeds max_bytes.
std::string read_file(const std::string& path, std::size_t max_bytes);

}  // namespace glowlab
