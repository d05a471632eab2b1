#include "flow/flowstep.h"

namespace glowlab {

FlowStepImpl::FlowStepImpl(int64_t channels, const GlowConfig& config) {
  actnorm = register_module("actnorm", ActNorm(channels));
  invconv = register_module("invconv", InvConv1x1(channels, config.permutation));
  coupling = register_module("coupling", Coupling(channels, config.width, config.coupling));
}

std::pair<at::Tensor, at::Tensor> FlowStepImpl::forward(const at::Tensor& x) {
  auto [h, logdet] = actnorm->forward(x);
  auto [h2, ld2] = invconv->forward(h);
  auto [h3, ld3] = coupling->forward(h2);
  return {h3, ld3 + (logdet + ld2)};
}

at::Tensor FlowStepImpl::reverse(const at::Tensor& y) {
  return actnorm->reverse(invconv->reverse(coupling->reverse(y)));
}

}  // namespace glowlab
