// Fuzz target: the image loader's entry point, decode_image (PNG, JPEG, WebP, BMP, PPM/PGM through
// the header check and the codec), in colour, or in grey when the last byte is odd.
// Only glowlab::Error (the documented refusal) is caught; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "vision/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const int channels = size > 0 && (data[size - 1] & 1) ? 1 : 3;
  try {
    const glowlab::Image im = glowlab::decode_image(bytes, channels, "fuzz-image");
    if (im.channels != channels || im.bytes.size() != static_cast<size_t>(im.width) * im.height * channels) {
      __builtin_trap();  // a decoded image must be what the contract says
    }
  } catch (const glowlab::Error&) {
  }
  return 0;
}
