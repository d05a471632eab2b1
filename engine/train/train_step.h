// One optimisation step of the trainer, shared with bench so that bench times what training runs:
// the loss and its gradients, clipping, the optimiser's update, the finiteness check and the EMA.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "flow/glow.h"
#include "train/flat_params.h"
#include "train/optimizer.h"

namespace glowlab {

class TrainStep {
 public:
  // `opt` optimises glow's parameters and outlives the step; ema is glow's Polyak-averaged copy.
  // clip_norm 0: no clipping (the gradients' norm is still checked).
  TrainStep(Glow glow, Glow ema, FlowOptimizer& opt, double clip_norm, double ema_decay);

  // Zeroes the gradients and returns x's loss in bits/dim, with its gradients when it is finite.
  double backward(const at::Tensor& x);
  // Clips the gradients and updates the weights at lr; false, weights untouched, when the
  // gradients' norm is not finite.
  bool update(double lr);
  // Every weight finite: checked after each update, before the EMA or a snapshot takes them.
  bool weights_finite();
  // Moves the EMA towards the weights; its decay ramps up over the first steps.
  void average(std::int64_t step);
  // The whole step in one process: false when it was not finite (the EMA is then untouched).
  bool run(const at::Tensor& x, double lr, std::int64_t step);

  const std::vector<at::Tensor>& params() const { return params_; }

 private:
  Glow glow_;
  FlowOptimizer& opt_;
  std::vector<at::Tensor> params_;
  FlatParameters ema_;  // the EMA's weights, one buffer laid out as the optimiser's
  double clip_norm_, ema_decay_;
};

}  // namespace glowlab
