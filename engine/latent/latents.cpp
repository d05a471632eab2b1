#include "latent/latents.h"

#include <algorithm>
#include <optional>

#include "data/pixels.h"

namespace glowlab {

at::Tensor model_input(Glow& glow, const at::Tensor& u8) {
  return to_model_input(u8.to(glow->device()), glow->config().n_bits, at::kFloat, std::nullopt);
}

at::Tensor encode_batch(Glow& glow, const at::Tensor& x) {
  return glow->flatten(glow->encode(x).eps).to(at::kCPU, at::kDouble);
}

// [first, end) of each latent level in the flat latent, finest first.
std::vector<std::pair<int64_t, int64_t>> level_ranges(Glow& glow) {
  std::vector<std::pair<int64_t, int64_t>> out;
  int64_t from = 0;
  for (const auto& sh : glow->config().level_shapes()) {
    const int64_t n = sh[0] * sh[1] * sh[2];
    out.emplace_back(from, from + n);
    from += n;
  }
  return out;
}

// Zeroes the directions on the latent levels finer than `finest_level` (they come first).
void zero_finer_levels(Glow& glow, int finest_level, std::vector<at::Tensor>& dirs) {
  const auto levels = level_ranges(glow);
  const int keep_from = std::min<int>(finest_level, static_cast<int>(levels.size()) - 1);
  const int64_t from = keep_from > 0 ? levels[static_cast<size_t>(keep_from)].first : 0;
  for (auto& dd : dirs) dd.narrow(0, 0, from).zero_();
}

}  // namespace glowlab
