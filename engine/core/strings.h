// Small string helpers shared by the engine's messages.
#pragma once

#include <string>
#include <vector>

namespace glowlab {

// The parts joined by `separator` ("a, b, c").
inline std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : separator) + p;
  return out;
}

}  // namespace glowlab
