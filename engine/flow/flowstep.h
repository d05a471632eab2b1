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
};
TORCH_MODULE(FlowStep);

}  // namespace glowlab
