#include "train/optimizer.h"

#include <cmath>

#include "core/error.h"

namespace glowlab {

FlowOptimizer::FlowOptimizer(std::vector<at::Tensor> params, const std::string& kind, double beta1, double beta2,
                             double eps)
    : kind_(kind), beta1_(beta1), beta2_(beta2), eps_(eps) {
  if (kind != "adam" && kind != "adamax") {
    throw Error(ErrorKind::InvalidArgument, "unknown optimizer '" + kind + "' (adam or adamax)");
  }
  flat_ = FlatParameters(std::move(params), /*with_grads=*/true);
  if (flat_.params().empty()) return;
  m_flat_ = at::zeros_like(flat_.values());
  v_flat_ = at::zeros_like(flat_.values());
  m_ = flat_.slices(m_flat_);
  v_ = flat_.slices(v_flat_);
}

void FlowOptimizer::ensure_bound() {
  if (!flat_.ensure_bound()) return;
  // The parameters moved (another device): the moments follow them, their values kept. Views
  // handed out earlier keep the old buffers; first_moments() gives the new ones.
  m_flat_ = m_flat_.to(flat_.values().device());
  v_flat_ = v_flat_.to(flat_.values().device());
  m_ = flat_.slices(m_flat_);
  v_ = flat_.slices(v_flat_);
}

const at::Tensor& FlowOptimizer::flat_values() {
  ensure_bound();
  return flat_.values();
}

const at::Tensor& FlowOptimizer::flat_grads() {
  ensure_bound();
  return flat_.grads();
}

void FlowOptimizer::zero_grad() {
  if (flat_.params().empty()) return;
  ensure_bound();
  flat_.grads().zero_();
}

void FlowOptimizer::step(double lr) {
  if (flat_.params().empty()) return;
  at::NoGradGuard no_grad;
  ensure_bound();
  ++t_;
  const double bias1 = 1.0 - std::pow(beta1_, static_cast<double>(t_));
  const double bias2 = 1.0 - std::pow(beta2_, static_cast<double>(t_));
  const auto& g = flat_.grads();
  auto p = flat_.values();
  m_flat_.mul_(beta1_).add_(g, 1.0 - beta1_);
  if (kind_ == "adam") {
    v_flat_.mul_(beta2_).addcmul_(g, g, 1.0 - beta2_);
    const auto denom = (v_flat_ / bias2).sqrt_().add_(eps_);
    p.addcdiv_(m_flat_, denom, -lr / bias1);
  } else {
    at::maximum_out(v_flat_, v_flat_ * beta2_, g.abs());
    p.addcdiv_(m_flat_, v_flat_ + eps_, -lr / bias1);
  }
  flat_.touched();
}

}  // namespace glowlab
