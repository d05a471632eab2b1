// The "last good" state of a training run: the weights and optimiser state saved every few good
// steps, which a non-finite step goes back to.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "train/optimizer.h"

namespace glowlab {

class LastGood {
 public:
  // `opt` optimises `params` and outlives this.
  LastGood(std::vector<at::Tensor> params, FlowOptimizer& opt);
  // Copies the weights, the optimiser's moments and its step count.
  void save();
  // Puts the last saved copy back, in place.
  void restore();

 private:
  std::vector<at::Tensor> params_, saved_params_, saved_m_, saved_v_;
  FlowOptimizer& opt_;
  std::int64_t saved_steps_ = 0;
};

}  // namespace glowlab
