// The training objective: mean negative log-likelihood in bits per dimension.
#pragma once

#include <ATen/ATen.h>

#include "flow/glow.h"

namespace glowlab {

// Mean bits/dim of x (already dequantised into [-0.5, 0.5]) under the model; differentiable.
at::Tensor nll_bits_per_dim(Glow& glow, const at::Tensor& x);

}  // namespace glowlab
