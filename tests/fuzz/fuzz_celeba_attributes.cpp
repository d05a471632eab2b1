// Fuzz target: CelebA's attribute list (list_attr_celeba.txt).
// Only glowlab::Error (the documented refusal) is caught; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "data/celeba.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    glowlab::parse_celeba_attributes_text(bytes, "list_attr_celeba.txt");
  } catch (const glowlab::Error&) {
  }
  return 0;
}
