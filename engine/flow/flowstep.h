// One step of flow: ActNorm -> invertible 1x1 convolution -> coupling.
#pragma once

#include <utility>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "flow/actnorm.h"
#include "flow/config.h"
#include "flow/coupling.h"
#include "flow/invconv.h"
#include "flow/weight_cache.h"

namespace glowlab {

class FlowStepImpl : public torch::nn::Module {
 public:
  FlowStepImpl(int64_t channels, const GlowConfig& config);

  // Returns y and the per-sample log-determinant [B].
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& x);
  at::Tensor reverse(const at::Tensor& y);

  ActNorm actnorm{nullptr};
  InvConv1x1 invconv{nullptr};
  Coupling coupling{nullptr};

 private:
  // ActNorm and the 1x1 conv folded into one 1x1 conv with bias, each way. Cached while
  // gradients are off (the reverse weight uses the float64-inverted, cached W^-1).
  struct Folded {
    at::Tensor weight, bias, log_det;  // log_det per pixel: sum(logs) + log|det W|
  };
  Folded fold_forward(const at::TensorOptions& options) const;
  std::vector<at::Tensor> fold_sources() const;

  Folded forward_, reverse_;
  WeightKey forward_key_, reverse_key_;
};
TORCH_MODULE(FlowStep);

}  // namespace glowlab
