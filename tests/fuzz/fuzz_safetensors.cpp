// Fuzz target: the safetensors container (header length, JSON header, dtypes, shapes, offsets, checksums).
// Only glowlab::Error (the documented refusal) is caught; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "bundle/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    glowlab::parse_safetensors(bytes, "fuzz.safetensors");
  } catch (const glowlab::Error&) {
  }
  return 0;
}
