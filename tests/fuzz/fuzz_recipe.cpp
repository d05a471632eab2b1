// Fuzz target: edit recipes (the JSON the window saves and `glowlab-cli edit --recipe` reads).
// Only glowlab::Error (the documented refusal) is caught; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "bundle/recipe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    glowlab::parse_recipe(bytes, "fuzz.recipe.json");
  } catch (const glowlab::Error&) {
  }
  return 0;
}
