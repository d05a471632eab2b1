// bench's measures of where the time goes and how far it is from the machine's limit.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "flow/config.h"

namespace glowlab {

// FLOPs of one encode or decode of one image (the convolutions and 1x1 mixes; multiply-adds
// count two; the elementwise work, under 1% of it, left out).
double flow_flops(const GlowConfig& config);

// The machine's own fp32 limit as the flow's library reaches it: a large matrix product through
// oneDNN (a 1x1 convolution) at one thread and at the threads in use, in GFLOP/s (and LibTorch's
// BLAS at::mm beside it, which is slower on Debian's build).
nlohmann::json machine_peak();

// Runs `fn` `runs` times under LibTorch's profiler (after one unrecorded run): the time per run by
// operator (self time, largest first, those over 0.5%) and by level of the flow (glowlab::levelN scopes).
nlohmann::json profile_runs(int runs, const std::function<void()>& fn);

}  // namespace glowlab
