// Fuzz target: GlowConfig JSON (parsing and validation).
// Only glowlab::Error (the documented refusal) is caught; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "flow/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    glowlab::GlowConfig::from_json(bytes, "fuzz.json");
  } catch (const glowlab::Error&) {
  }
  return 0;
}
