// Image: the plain 8-bit pixel buffer that crosses the engine boundary (no Qt, no torch, no OpenCV).
#pragma once

#include <cstdint>
#include <vector>

namespace glowlab {

struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;                 // 1 (grey) or 3 (RGB, in that order)
  std::vector<std::uint8_t> bytes;  // row-major, interleaved, no padding: width*height*channels

  bool empty() const { return width == 0 || height == 0 || bytes.empty(); }
  std::uint8_t at(int x, int y, int c) const {
    return bytes[(static_cast<std::size_t>(y) * width + x) * channels + c];
  }
};

}  // namespace glowlab
