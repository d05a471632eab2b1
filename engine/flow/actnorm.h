// ActNorm: per-channel affine y = (x + loc) * exp(logs), initialised from the first batch it sees.
#pragma once

#include <utility>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace glowlab {

class ActNormImpl : public torch::nn::Module {
 public:
  explicit ActNormImpl(int64_t channels);

  // Returns y and the log-determinant (a scalar: H*W*sum(logs)). Initialises loc/logs from x
  // (per-channel mean 0, std 1) if the layer has not been initialised yet.
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& x);
  // Exact inverse of forward: x = y * exp(-logs) - loc.
  at::Tensor reverse(const at::Tensor& y) const;
  // Data-dependent initialisation on x; marks the layer initialised (saved with the weights).
  void initialize(const at::Tensor& x);
  bool initialized() const;
  // exp(logs) flattened to [C].
  at::Tensor scale() const { return logs.exp().flatten(); }

  at::Tensor loc;
  at::Tensor logs;
  at::Tensor initialized_flag;  // 0 or 1, a buffer so that it is saved and loaded

 private:
  mutable bool known_initialized_ = false;  // saves reading the buffer on every call once it is 1
};
TORCH_MODULE(ActNorm);

}  // namespace glowlab
