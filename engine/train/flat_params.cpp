#include "train/flat_params.h"

#include <string>

#include <torch/csrc/autograd/variable.h>

#include "core/error.h"

namespace glowlab {

FlatParameters::FlatParameters(std::vector<at::Tensor> params, bool with_grads)
    : params_(std::move(params)), with_grads_(with_grads) {
  int64_t n = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& p = params_[i];
    if (p.scalar_type() != params_[0].scalar_type() || p.device() != params_[0].device()) {
      throw Error(ErrorKind::InvalidArgument, "parameters of mixed types or devices cannot share one buffer (parameter " +
                                                  std::to_string(i) + ")");
    }
    offsets_.push_back(n);
    n += p.numel();
  }
  offsets_.push_back(n);
  if (!params_.empty()) bind_anew();
}

std::vector<at::Tensor> FlatParameters::slices(const at::Tensor& flat) const {
  std::vector<at::Tensor> out;
  out.reserve(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) out.push_back(flat.narrow(0, offsets_[i], params_[i].numel()).view(params_[i].sizes()));
  return out;
}

void FlatParameters::bind_anew() {
  at::NoGradGuard no_grad;
  const auto options = params_[0].options().requires_grad(false);
  values_ = at::empty({offsets_.back()}, options);
  grads_ = with_grads_ ? at::zeros({offsets_.back()}, options) : at::Tensor();
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& p = params_[i];
    values_.narrow(0, offsets_[i], p.numel()).copy_(p.reshape(-1));
    if (with_grads_ && p.grad().defined()) grads_.narrow(0, offsets_[i], p.numel()).copy_(p.grad().reshape(-1));
  }
  const auto v = slices(values_);
  const auto g = with_grads_ ? slices(grads_) : std::vector<at::Tensor>();
  for (size_t i = 0; i < params_.size(); ++i) {
    // set_data keeps the parameter (its autograd identity, hooks and module slot): only its
    // storage changes.
    params_[i].set_data(v[i]);
    if (with_grads_) params_[i].mutable_grad() = g[i];
  }
}

bool FlatParameters::ensure_bound() {
  if (params_.empty()) return false;
  bool bound = params_[0].device() == values_.device();
  for (size_t i = 0; bound && i < params_.size(); ++i) {
    const auto* base = static_cast<const char*>(values_.data_ptr()) + offsets_[i] * values_.element_size();
    bound = params_[i].data_ptr() == base;
    if (bound && with_grads_) {
      const auto* gbase = static_cast<const char*>(grads_.data_ptr()) + offsets_[i] * grads_.element_size();
      bound = params_[i].grad().defined() && params_[i].grad().data_ptr() == gbase;
    }
  }
  if (bound) return false;
  bind_anew();
  return true;
}

void FlatParameters::touched() const {
  for (const auto& p : params_) torch::autograd::impl::bump_version(p);
}

}  // namespace glowlab
