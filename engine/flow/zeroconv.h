// Zero-initialised 3x3 convolution whose output is scaled by exp(3*logs): every flow starts as identity.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace glowlab {

class ZeroConv2dImpl : public torch::nn::Module {
 public:
  ZeroConv2dImpl(int64_t in_channels, int64_t out_channels);
  at::Tensor forward(const at::Tensor& x) const;
  // The output scale exp(3 * logs), flattened to [out_channels].
  at::Tensor scale() const;

  at::Tensor weight, bias, logs;
};
TORCH_MODULE(ZeroConv2d);

}  // namespace glowlab
