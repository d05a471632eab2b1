#include "train/objective.h"

namespace glowlab {

at::Tensor nll_bits_per_dim(Glow& glow, const at::Tensor& x) {
  const auto& c = glow->config();
  return bits_per_dim(glow->encode(x).log_px(), c.dimension(), c.n_bins()).mean();
}

}  // namespace glowlab
