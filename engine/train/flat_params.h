// A model's parameters bound to one flat buffer (and their gradients to a second), so that the work
// over every weight after a training step (clipping, the optimiser, the finiteness check, the moving
// average) is a few passes over one tensor instead of some 1,000 small operations: 17 ms of a 415 ms
// step on config A before (issue 30, docs/speed.md).
#pragma once

#include <vector>

#include <ATen/ATen.h>

namespace glowlab {

class FlatParameters {
 public:
  FlatParameters() = default;
  // Each parameter's data becomes a slice of values() (values kept); with_grads: each gradient a
  // slice of grads() (kept, or zero where there was none; accumulation then writes into it in
  // place). All parameters must share one dtype and device (Error InvalidArgument otherwise).
  FlatParameters(std::vector<at::Tensor> params, bool with_grads);

  // Binds again any parameter (or gradient) that no longer lives in the buffers, e.g. after the
  // module was moved to another device: the buffers follow the parameters' device, and every
  // value and gradient is kept. Cheap when nothing moved (a pointer comparison per parameter).
  // True when it had to bind again.
  bool ensure_bound();
  // After in-place work on values(): each parameter's version moves on, so that caches keyed on it
  // (the flow's folded weights, flow/weight_cache.h) see the change, as after an in-place update.
  void touched() const;

  const at::Tensor& values() const { return values_; }
  const at::Tensor& grads() const { return grads_; }
  const std::vector<at::Tensor>& params() const { return params_; }
  // Slices of a flat tensor laid out like values(), shaped like each parameter.
  std::vector<at::Tensor> slices(const at::Tensor& flat) const;

 private:
  // New buffers on the parameters' device holding their values and gradients; each parameter
  // (and gradient) then becomes a slice of them.
  void bind_anew();

  std::vector<at::Tensor> params_;
  std::vector<int64_t> offsets_;
  at::Tensor values_, grads_;
  bool with_grads_ = false;
};

}  // namespace glowlab
