#include "flow/zeroconv.h"

#include "flow/conv.h"

namespace glowlab {
namespace {
// Glow's log-scale factor: lets the output scale move 3x faster than a plain parameter would.
constexpr double kLogScaleFactor = 3.0;
}  // namespace

at::Tensor conv3x3_padded(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, bool pad_ones) {
  if (!pad_ones) return flow_conv2d(x, weight, bias, /*padding=*/1);
  return flow_conv2d(at::constant_pad_nd(x, {1, 1, 1, 1}, 1.0), weight, bias);
}

ZeroConv2dImpl::ZeroConv2dImpl(int64_t in_channels, int64_t out_channels, bool pad_ones) : pad_ones_(pad_ones) {
  weight = register_parameter("weight", at::zeros({out_channels, in_channels, 3, 3}));
  bias = register_parameter("bias", at::zeros({out_channels}));
  logs = register_parameter("logs", at::zeros({1, out_channels, 1, 1}));
}

at::Tensor ZeroConv2dImpl::scale() const { return (logs * kLogScaleFactor).exp().flatten(); }

at::Tensor ZeroConv2dImpl::forward(const at::Tensor& x) const {
  const auto s = scale();
  return conv3x3_padded(x, weight * s.view({-1, 1, 1, 1}), bias * s, pad_ones_);
}

}  // namespace glowlab
