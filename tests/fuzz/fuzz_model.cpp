// Fuzz target: the .glow model reader (safetensors container, config, attributes, framing, and the
// tensors checked against the config).
// Only glowlab::Error (the documented refusal) is caught; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include <ATen/Parallel.h>

#include "bundle/model_file.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool one_thread = (at::set_num_threads(1), true);  // a fuzzer runs one input at a time
  (void)one_thread;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    glowlab::parse_model(bytes, "fuzz.glow");
  } catch (const glowlab::Error&) {
  }
  return 0;
}
