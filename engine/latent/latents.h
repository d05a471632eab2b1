// The flat latent of a batch of crops and its levels: shared by the directions' fit
// (directions.cpp) and Age's (age.cpp).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "flow/glow.h"

namespace glowlab {

// uint8 crops [B, C, S, S] -> the model's float input on its device.
at::Tensor model_input(Glow& glow, const at::Tensor& u8);
// The model's input -> the flat latent eps [B, D], float64 on the CPU.
at::Tensor encode_batch(Glow& glow, const at::Tensor& x);
// [first, end) of each latent level in the flat latent, finest first.
std::vector<std::pair<int64_t, int64_t>> level_ranges(Glow& glow);
// Zeroes the directions on the latent levels finer than `finest_level` (they come first).
void zero_finer_levels(Glow& glow, int finest_level, std::vector<at::Tensor>& dirs);

}  // namespace glowlab
