// Glow: L levels of (squeeze, K flow steps, split under a learned conditional prior), a learned top prior.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include "flow/config.h"
#include "flow/flowstep.h"
#include "flow/zeroconv.h"

namespace glowlab {

// Space-to-depth by 2x2: [B, C, H, W] -> [B, 4C, H/2, W/2], and its inverse.
at::Tensor squeeze2x2(const at::Tensor& x);
at::Tensor unsqueeze2x2(const at::Tensor& x);

// bits/dim = -(log p(x) - D*log(n_bins)) / (D*ln 2), where log p(x) is the continuous density of
// x in [-0.5, 0.5]^D (with uniform dequantisation noise) that encode() returns.
at::Tensor bits_per_dim(const at::Tensor& log_px, int64_t dimension, int n_bins);
double bits_per_dim(double log_px, int64_t dimension, int n_bins);

struct Encoding {
  std::vector<at::Tensor> eps;  // per level, finest first; each standardised by its prior
  at::Tensor log_pz;            // [B] log-density of the z's under their priors
  at::Tensor log_det;           // [B] log|det dz/dx|
  at::Tensor log_px() const { return log_pz + log_det; }
};

class GlowImpl : public torch::nn::Module {
 public:
  explicit GlowImpl(const GlowConfig& config);

  // x: [B, C, S, S] in [-0.5, 0.5]. Initialises every ActNorm from x if not yet initialised.
  Encoding encode(const at::Tensor& x);
  // Inverse of encode: eps per level (finest first) -> x.
  at::Tensor decode(const std::vector<at::Tensor>& eps);
  // eps ~ N(0, T^2) at every level, drawn on the CPU from `seed` so every device agrees.
  std::vector<at::Tensor> sample_eps(int64_t n, double temperature, uint64_t seed) const;

  // Flattens per-level eps to [B, D] in level order (finest first, each NCHW) and back.
  at::Tensor flatten(const std::vector<at::Tensor>& eps) const;
  std::vector<at::Tensor> unflatten(const at::Tensor& flat) const;

  // Runs encode on x to initialise every ActNorm (data-dependent init).
  void initialize(const at::Tensor& x);
  bool initialized() const;
  const GlowConfig& config() const { return config_; }
  at::Device device() const;
  at::ScalarType dtype() const;

 private:
  std::pair<at::Tensor, at::Tensor> prior_of(size_t level, const at::Tensor& condition) const;

  GlowConfig config_;
  std::vector<std::vector<FlowStep>> steps_;  // [level][step]
  std::vector<ZeroConv2d> split_priors_;      // one per level but the last
  at::Tensor top_mean_, top_logs_;
};
TORCH_MODULE(Glow);

// A Glow with `config` carrying every parameter and buffer of `from` (same shapes): used to
// change a setting that has no weights of its own, such as the coupling's scale floor.
Glow with_config(const Glow& from, const GlowConfig& config);

}  // namespace glowlab
