// Fuzz target: CelebA's partition list (list_eval_partition.txt).
// Only glowlab::Error (the documented refusal) is caught; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "data/celeba.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    glowlab::parse_celeba_partition_text(bytes, "list_eval_partition.txt");
  } catch (const glowlab::Error&) {
  }
  return 0;
}
