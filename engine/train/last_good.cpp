#include "train/last_good.h"

#include <utility>

namespace glowlab {

LastGood::LastGood(std::vector<at::Tensor> params, FlowOptimizer& opt) : params_(std::move(params)), opt_(opt) {}

void LastGood::save() {
  saved_params_.clear();
  saved_m_.clear();
  saved_v_.clear();
  for (size_t i = 0; i < params_.size(); ++i) {
    saved_params_.push_back(params_[i].detach().clone());
    saved_m_.push_back(opt_.first_moments()[i].clone());
    saved_v_.push_back(opt_.second_moments()[i].clone());
  }
  saved_steps_ = opt_.steps();
}

void LastGood::restore() {
  at::NoGradGuard g;
  for (size_t i = 0; i < params_.size(); ++i) {
    params_[i].copy_(saved_params_[i]);
    opt_.first_moments()[i].copy_(saved_m_[i]);
    opt_.second_moments()[i].copy_(saved_v_[i]);
  }
  opt_.set_steps(saved_steps_);
}

}  // namespace glowlab
