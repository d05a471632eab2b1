// Zero-initialised 3x3 convolution whose output is scaled by exp(3*logs): every flow starts as identity.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace glowlab {

class ZeroConv2dImpl : public torch::nn::Module {
 public:
  // pad_ones: the input is padded with ones instead of zeros (an imported model's convention).
  ZeroConv2dImpl(int64_t in_channels, int64_t out_channels, bool pad_ones = false);
  at::Tensor forward(const at::Tensor& x) const;
  bool pad_ones() const { return pad_ones_; }
  // The output scale exp(3 * logs), flattened to [out_channels].
  at::Tensor scale() const;

  at::Tensor weight, bias, logs;

 private:
  bool pad_ones_ = false;
};

// conv2d(x, weight, bias) over a 3x3 window with padding 1, the padding filled with ones when
// pad_ones (zeros otherwise).
at::Tensor conv3x3_padded(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, bool pad_ones);
TORCH_MODULE(ZeroConv2d);

}  // namespace glowlab
