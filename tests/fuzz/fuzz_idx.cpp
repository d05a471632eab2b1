// Fuzz target: Fashion-MNIST IDX files, raw or gzip-compressed.
// Only glowlab::Error (the documented refusal) is caught; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "data/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    glowlab::parse_idx(bytes, "fuzz-idx-ubyte.gz");
  } catch (const glowlab::Error&) {
  }
  return 0;
}
