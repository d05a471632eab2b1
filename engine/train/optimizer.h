// Adam and Adamax with their state as plain tensors, so checkpoints restore them exactly. The
// parameters, their gradients and both moments each live in one flat buffer (train/flat_params.h):
// an update is a few passes over the buffers, whatever the number of parameter tensors.
#pragma once

#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "train/flat_params.h"

namespace glowlab {

class FlowOptimizer {
 public:
  // kind: "adam" or "adamax" (Kingma & Ba, 2015). Throws Error(InvalidArgument) otherwise, or when
  // the parameters do not share one dtype and device. Binds the parameters' data and gradients to
  // the optimiser's buffers (their values kept, gradients zeroed).
  FlowOptimizer(std::vector<at::Tensor> params, const std::string& kind, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8);

  // One update with learning rate lr from the parameters' .grad().
  void step(double lr);
  void zero_grad();

  const std::string& kind() const { return kind_; }
  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }
  // First and second moment (Adam) or infinity norm (Adamax) per parameter, same order (views of
  // the flat moments: writing them writes the optimiser's state).
  std::vector<at::Tensor>& first_moments() { return m_; }
  std::vector<at::Tensor>& second_moments() { return v_; }
  // Every parameter's values and gradients as one flat tensor each (bound again first if the
  // parameters moved).
  const at::Tensor& flat_values();
  const at::Tensor& flat_grads();
  // Tells caches keyed on the parameters that their values changed in place (after writing flat_values()).
  void touched() const { flat_.touched(); }

 private:
  void ensure_bound();

  FlatParameters flat_;
  at::Tensor m_flat_, v_flat_;
  std::vector<at::Tensor> m_, v_;
  std::string kind_;
  double beta1_, beta2_, eps_;
  int64_t t_ = 0;
};

}  // namespace glowlab
