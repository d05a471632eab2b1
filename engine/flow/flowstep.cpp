#include "flow/flowstep.h"

#include "flow/conv.h"

namespace glowlab {

FlowStepImpl::FlowStepImpl(int64_t channels, const GlowConfig& config) {
  actnorm = register_module("actnorm", ActNorm(channels));
  invconv = register_module("invconv", InvConv1x1(channels, config.permutation));
  coupling = register_module("coupling", Coupling(channels, config.width, config.coupling, config.scale_min,
                                                 config.zeroconv_pad_ones));
}

std::vector<at::Tensor> FlowStepImpl::fold_sources() const {
  auto sources = actnorm->parameters();
  for (const auto& p : invconv->parameters()) sources.push_back(p);
  return sources;
}

FlowStepImpl::Folded FlowStepImpl::fold_forward(const at::TensorOptions& options) const {
  // y = W (s * (x + loc)) = (W diag(s)) x + W (s * loc)
  const auto w = invconv->weight(options);
  const auto s = actnorm->scale();
  const int64_t c = s.size(0);
  return {w * s.unsqueeze(0), w.matmul(actnorm->loc.flatten() * s),
          actnorm->logs.sum() + invconv->log_abs_det(options)};
}

std::pair<at::Tensor, at::Tensor> FlowStepImpl::forward(const at::Tensor& x) {
  if (!actnorm->initialized()) {
    auto [h, logdet] = actnorm->forward(x);
    auto [h2, ld2] = invconv->forward(h);
    auto [h3, ld3] = coupling->forward(h2);
    return {h3, ld3 + (logdet + ld2)};
  }
  Folded fresh;
  const Folded* f = &forward_;
  if (at::GradMode::is_enabled()) {
    fresh = fold_forward(x.options());
    f = &fresh;
  } else if (forward_key_.changed(fold_sources()) || !forward_.weight.defined() ||
             forward_.weight.scalar_type() != x.scalar_type()) {
    forward_ = fold_forward(x.options());
  }
  const auto hw = static_cast<double>(x.size(2) * x.size(3));
  auto [y, ld] = coupling->forward(channel_mix(x, f->weight, f->bias));
  return {y, ld + f->log_det * hw};
}

at::Tensor FlowStepImpl::reverse(const at::Tensor& y) {
  const auto h = coupling->reverse(y);
  if (reverse_key_.changed(fold_sources()) || !reverse_.weight.defined() || reverse_.weight.scalar_type() != y.scalar_type()) {
    // x = s^-1 * (W^-1 h) - loc = (diag(1/s) W^-1) h - loc
    at::NoGradGuard no_grad;
    const auto& inv = invconv->inverse_weight(y.options());
    const auto s = actnorm->scale();
    const int64_t c = s.size(0);
    reverse_ = {(inv / s.unsqueeze(1)).contiguous().view({c, c, 1, 1}), -actnorm->loc.flatten(), {}};
  }
  return flow_conv2d(h, reverse_.weight, reverse_.bias);
}

}  // namespace glowlab
