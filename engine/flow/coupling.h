// Coupling layer: half the channels pass through and parameterise a shift (and scale) of the other half.
#pragma once

#include <utility>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "flow/actnorm.h"
#include "flow/config.h"
#include "flow/weight_cache.h"
#include "flow/zeroconv.h"

namespace glowlab {

class CouplingImpl : public torch::nn::Module {
 public:
  // `channels` must be even; NN = conv3x3 -> actnorm -> ReLU -> conv1x1 -> actnorm -> ReLU -> zero conv3x3.
  // scale_min: 0 = scale sigmoid(h + 2) (the paper's code); in (0, 1) = bounded scale
  // scale_min + (1 - scale_min) * sigmoid(h + 2), whose inverse amplifies by at most 1/scale_min.
  // pad_ones: the output zero conv pads with ones (GlowConfig::zeroconv_pad_ones).
  CouplingImpl(int64_t channels, int64_t width, CouplingType kind, double scale_min = 0.0, bool pad_ones = false);

  // Returns y and the per-sample log-determinant [B] (zeros for additive coupling).
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& x);
  at::Tensor reverse(const at::Tensor& y);
  CouplingType kind() const { return kind_; }
  double scale_min() const { return scale_min_; }

 private:
  // The NN with each ActNorm and the output scale folded into its convolution: conv+bias, ReLU,
  // conv+bias, ReLU, conv+bias. Cached while gradients are off.
  struct Folded {
    at::Tensor w1, b1, w2, b2, w3, b3;
    at::Tensor w1_bf16, b1_bf16, w2_bf16, b2_bf16, w3_bf16, b3_bf16;  // inference's bf16 copies
  };
  Folded fold() const;
  at::Tensor net(const at::Tensor& xa);
  // log of the affine scale from the net's scale half.
  at::Tensor log_scale(const at::Tensor& h) const;

  Folded folded_;
  WeightKey folded_key_;

  CouplingType kind_;
  double scale_min_ = 0.0;
  at::Tensor conv1_weight_, conv2_weight_;
  ActNorm actnorm1_{nullptr}, actnorm2_{nullptr};
  ZeroConv2d out_{nullptr};
};
TORCH_MODULE(Coupling);

}  // namespace glowlab
