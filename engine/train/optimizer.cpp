#include "train/optimizer.h"

#include <cmath>

#include "core/error.h"

namespace glowlab {

FlowOptimizer::FlowOptimizer(std::vector<at::Tensor> params, const std::string& kind, double beta1, double beta2,
                             double eps)
    : params_(std::move(params)), kind_(kind), beta1_(beta1), beta2_(beta2), eps_(eps) {
  if (kind != "adam" && kind != "adamax") {
    throw Error(ErrorKind::InvalidArgument, "unknown optimizer '" + kind + "' (adam or adamax)");
  }
  for (const auto& p : params_) {
    m_.push_back(at::zeros_like(p, at::MemoryFormat::Contiguous));
    v_.push_back(at::zeros_like(p, at::MemoryFormat::Contiguous));
  }
}

void FlowOptimizer::zero_grad() {
  for (auto& p : params_) {
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
}

void FlowOptimizer::step(double lr) {
  at::NoGradGuard no_grad;
  ++t_;
  const double bias1 = 1.0 - std::pow(beta1_, static_cast<double>(t_));
  const double bias2 = 1.0 - std::pow(beta2_, static_cast<double>(t_));
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    if (!p.grad().defined()) continue;
    const auto& g = p.grad();
    m_[i].mul_(beta1_).add_(g, 1.0 - beta1_);
    if (kind_ == "adam") {
      v_[i].mul_(beta2_).addcmul_(g, g, 1.0 - beta2_);
      const auto denom = (v_[i] / bias2).sqrt_().add_(eps_);
      p.addcdiv_(m_[i], denom, -lr / bias1);
    } else {
      at::maximum_out(v_[i], v_[i] * beta2_, g.abs());
      p.addcdiv_(m_[i], v_[i] + eps_, -lr / bias1);
    }
  }
}

}  // namespace glowlab
