#include "flow/actnorm.h"

#include <torch/nn/init.h>

namespace glowlab {
namespace {
// Keeps the initial scale finite on channels that are constant over the init batch.
constexpr double kActNormEps = 1e-6;
}  // namespace

ActNormImpl::ActNormImpl(int64_t channels) {
  loc = register_parameter("loc", at::zeros({1, channels, 1, 1}));
  logs = register_parameter("logs", at::zeros({1, channels, 1, 1}));
  initialized_flag = register_buffer("initialized", at::zeros({1}));
}

bool ActNormImpl::initialized() const {
  if (!known_initialized_) known_initialized_ = initialized_flag.item<double>() != 0.0;
  return known_initialized_;
}

void ActNormImpl::initialize(const at::Tensor& x) {
  at::NoGradGuard no_grad;
  const auto flat = x.detach().transpose(0, 1).reshape({x.size(1), -1});
  const auto mean = flat.mean(/*dim=*/1);
  const auto std = flat.std(/*dim=*/1, /*unbiased=*/false);
  loc.copy_((-mean).view_as(loc));
  logs.copy_((1.0 / (std + kActNormEps)).log().view_as(logs));
  initialized_flag.fill_(1.0);
  known_initialized_ = true;
}

std::pair<at::Tensor, at::Tensor> ActNormImpl::forward(const at::Tensor& x) {
  if (!initialized()) initialize(x);
  const auto hw = static_cast<double>(x.size(2) * x.size(3));
  return {(x + loc) * logs.exp(), logs.sum() * hw};
}

at::Tensor ActNormImpl::reverse(const at::Tensor& y) const { return y * (-logs).exp() - loc; }

}  // namespace glowlab
