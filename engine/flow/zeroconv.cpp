#include "flow/zeroconv.h"

namespace glowlab {
namespace {
// Glow's log-scale factor: lets the output scale move 3x faster than a plain parameter would.
constexpr double kLogScaleFactor = 3.0;
}  // namespace

ZeroConv2dImpl::ZeroConv2dImpl(int64_t in_channels, int64_t out_channels) {
  weight = register_parameter("weight", at::zeros({out_channels, in_channels, 3, 3}));
  bias = register_parameter("bias", at::zeros({out_channels}));
  logs = register_parameter("logs", at::zeros({1, out_channels, 1, 1}));
}

at::Tensor ZeroConv2dImpl::scale() const { return (logs * kLogScaleFactor).exp().flatten(); }

at::Tensor ZeroConv2dImpl::forward(const at::Tensor& x) const {
  const auto s = scale();
  return at::conv2d(x, weight * s.view({-1, 1, 1, 1}), bias * s, /*stride=*/1, /*padding=*/1);
}

}  // namespace glowlab
