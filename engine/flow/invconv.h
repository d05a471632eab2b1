// Invertible 1x1 convolution: a learned CxC channel mixing, in LU form, plain form, or a fixed reversal.
#pragma once

#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "flow/config.h"
#include "flow/weight_cache.h"

namespace glowlab {

class InvConv1x1Impl : public torch::nn::Module {
 public:
  // Starts from a random rotation drawn from torch's global generator.
  InvConv1x1Impl(int64_t channels, Permutation kind);

  // y = W x per pixel; log-det = H*W*log|det W| (LU: H*W*sum(log|s|)), a scalar.
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& x);
  // x = W^-1 y with the cached inverse.
  at::Tensor reverse(const at::Tensor& y);

  // The CxC weight, differentiable with respect to the parameters (`options` sets the dtype and
  // device of the fixed reversal, which has no parameters).
  at::Tensor weight(const at::TensorOptions& options = at::TensorOptions()) const;
  // log|det W|, differentiable.
  at::Tensor log_abs_det(const at::TensorOptions& options = at::TensorOptions()) const;
  // W^-1, inverted in float64 once per weight change and cached.
  const at::Tensor& inverse_weight(const at::TensorOptions& options = at::TensorOptions());
  // How many times the inverse has been computed (the cache's behaviour is tested).
  int64_t inversions() const { return inversions_; }
  Permutation kind() const { return kind_; }

 private:
  Permutation kind_;
  int64_t channels_;
  at::Tensor plain_weight_;                       // Plain
  at::Tensor perm_, sign_s_, lower_, upper_, log_s_;  // LU
  at::Tensor inverse_;
  WeightKey inverse_key_;
  int64_t inversions_ = 0;
};
TORCH_MODULE(InvConv1x1);

}  // namespace glowlab
