#include "train/train_step.h"

#include <algorithm>
#include <cmath>

#include <torch/nn/utils/clip_grad.h>

#include "train/objective.h"

namespace glowlab {
namespace {
constexpr double kNoClipping = 1e30;  // clip_grad_norm_ still returns the norm the NaN guard needs
}  // namespace

TrainStep::TrainStep(Glow glow, Glow ema, FlowOptimizer& opt, double clip_norm, double ema_decay)
    : glow_(glow), opt_(opt), params_(glow->parameters()), ema_params_(ema->parameters()), clip_norm_(clip_norm),
      ema_decay_(ema_decay) {}

double TrainStep::backward(const at::Tensor& x) {
  opt_.zero_grad();
  auto loss = nll_bits_per_dim(glow_, x);
  const double value = loss.item<double>();
  if (std::isfinite(value)) loss.backward();
  return value;
}

bool TrainStep::update(double lr) {
  const double norm = torch::nn::utils::clip_grad_norm_(params_, clip_norm_ > 0 ? clip_norm_ : kNoClipping);
  if (!std::isfinite(norm)) return false;
  opt_.step(lr);
  return true;
}

bool TrainStep::weights_finite() const {
  for (const auto& p : params_) {
    if (!at::isfinite(p).all().item<bool>()) return false;
  }
  return true;
}

void TrainStep::average(std::int64_t step) {
  at::NoGradGuard g;
  const double d = std::min(ema_decay_, (1.0 + step) / (10.0 + step));
  for (size_t i = 0; i < params_.size(); ++i) ema_params_[i].mul_(d).add_(params_[i], 1.0 - d);
}

bool TrainStep::run(const at::Tensor& x, double lr, std::int64_t step) {
  const bool ok = std::isfinite(backward(x)) && update(lr) && weights_finite();
  if (ok) average(step);
  return ok;
}

}  // namespace glowlab
