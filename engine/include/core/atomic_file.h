// Atomic file output: bytes go to a temp file beside the target, are flushed, then renamed into place.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace glowlab {

// Writes `bytes` to `path` atomically; throws Error(Io) naming the path on any failure and leaves
// no temp file and no partial target behind.
void write_file_atomic(const std::string& path, std::string_view bytes);

// The same for a library that writes by file name: `produce` writes the temp file it is given (a
// unique name beside `path`, ending in `suffix` so that extension-sniffing writers pick the right
// format); then it is fsynced, given umask permissions and renamed over `path`, and the folder is
// fsynced. An exception from `produce` (or an empty result) leaves nothing behind.
void write_atomically(const std::string& path, const std::string& suffix,
                      const std::function<void(const std::string& temp_path)>& produce);

// Reads a whole file; throws Error(Io) naming the path if it cannot be opened or exceeds max_bytes.
std::string read_file(const std::string& path, std::size_t max_bytes);

}  // namespace glowlab
