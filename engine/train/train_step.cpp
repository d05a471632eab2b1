#include "train/train_step.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "train/objective.h"

namespace glowlab {

TrainStep::TrainStep(Glow glow, Glow ema, FlowOptimizer& opt, double clip_norm, double ema_decay)
    : glow_(glow), opt_(opt), params_(glow->parameters()), ema_(ema->parameters(), /*with_grads=*/false),
      clip_norm_(clip_norm), ema_decay_(ema_decay) {
  if (ema_.values().numel() != opt_.flat_values().numel()) {
    throw Error(ErrorKind::InvalidArgument, "the moving average's model is not shaped like the trained one");
  }
}

double TrainStep::backward(const at::Tensor& x) {
  opt_.zero_grad();
  auto loss = nll_bits_per_dim(glow_, x);
  const double value = loss.item<double>();
  if (std::isfinite(value)) loss.backward();
  return value;
}

bool TrainStep::update(double lr) {
  at::NoGradGuard g;
  // The gradients' global norm (as clip_grad_norm_ computes it, over one flat buffer): clipped
  // to clip_norm, and checked finite whether clipping or not.
  auto grads = opt_.flat_grads();
  const double norm = grads.norm().item<double>();
  if (!std::isfinite(norm)) return false;
  if (clip_norm_ > 0) {
    const double coef = clip_norm_ / (norm + 1e-6);
    if (coef < 1.0) grads.mul_(coef);
  }
  opt_.step(lr);
  return true;
}

bool TrainStep::weights_finite() {
  // One pass: the smallest and largest weight are finite exactly when every weight is (NaN propagates).
  const auto [lo, hi] = at::aminmax(opt_.flat_values());
  return std::isfinite(lo.item<double>()) && std::isfinite(hi.item<double>());
}

void TrainStep::average(std::int64_t step) {
  at::NoGradGuard g;
  ema_.ensure_bound();
  const double d = std::min(ema_decay_, (1.0 + step) / (10.0 + step));
  auto ema = ema_.values();
  ema.mul_(d).add_(opt_.flat_values(), 1.0 - d);
  ema_.touched();
}

bool TrainStep::run(const at::Tensor& x, double lr, std::int64_t step) {
  const bool ok = std::isfinite(backward(x)) && update(lr) && weights_finite();
  if (ok) average(step);
  return ok;
}

}  // namespace glowlab
