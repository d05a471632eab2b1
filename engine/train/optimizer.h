// Adam and Adamax with their state as plain tensors, so checkpoints restore them exactly.
#pragma once

#include <string>
#include <vector>

#include <ATen/ATen.h>

namespace glowlab {

class FlowOptimizer {
 public:
  // kind: "adam" or "adamax" (Kingma & Ba, 2015). Throws Error(InvalidArgument) otherwise.
  FlowOptimizer(std::vector<at::Tensor> params, const std::string& kind, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8);

  // One update with learning rate lr from the parameters' .grad().
  void step(double lr);
  void zero_grad();

  const std::string& kind() const { return kind_; }
  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }
  // First and second moment (Adam) or infinity norm (Adamax) per parameter, same order.
  std::vector<at::Tensor>& first_moments() { return m_; }
  std::vector<at::Tensor>& second_moments() { return v_; }

 private:
  std::vector<at::Tensor> params_, m_, v_;
  std::string kind_;
  double beta1_, beta2_, eps_;
  int64_t t_ = 0;
};

}  // namespace glowlab
