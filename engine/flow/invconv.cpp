#include "flow/invconv.h"

#include "flow/conv.h"

namespace glowlab {

InvConv1x1Impl::InvConv1x1Impl(int64_t channels, Permutation kind)
    : kind_(kind), channels_(channels) {
  if (kind == Permutation::Reverse) return;
  at::Tensor q = std::get<0>(at::linalg_qr(at::randn({channels, channels}, at::kDouble)));
  if (kind == Permutation::Plain) {
    plain_weight_ = register_parameter("weight", q.to(at::kFloat));
    return;
  }
  auto [p, l, u] = at::linalg_lu(q);
  const auto s = u.diagonal();
  perm_ = register_buffer("perm", p.to(at::kFloat));
  sign_s_ = register_buffer("sign_s", s.sign().to(at::kFloat));
  lower_ = register_parameter("lower", l.tril(-1).to(at::kFloat));
  upper_ = register_parameter("upper", u.triu(1).to(at::kFloat));
  log_s_ = register_parameter("log_s", s.abs().log().to(at::kFloat));
}

at::Tensor InvConv1x1Impl::weight(const at::TensorOptions& options) const {
  switch (kind_) {
    case Permutation::Plain:
      return plain_weight_;
    case Permutation::Reverse:
      return at::eye(channels_, options).flip(0);
    case Permutation::LU:
      break;
  }
  const auto eye = at::eye(channels_, lower_.options());
  const auto l = lower_.tril(-1) + eye;
  const auto u = upper_.triu(1) + at::diag(sign_s_ * log_s_.exp());
  return perm_.matmul(l).matmul(u);
}

at::Tensor InvConv1x1Impl::log_abs_det(const at::TensorOptions& options) const {
  switch (kind_) {
    case Permutation::Plain: return std::get<1>(at::linalg_slogdet(plain_weight_.to(at::kDouble))).to(plain_weight_.dtype());
    case Permutation::Reverse: return at::zeros({}, options);
    case Permutation::LU: break;
  }
  return log_s_.sum();
}

std::pair<at::Tensor, at::Tensor> InvConv1x1Impl::forward(const at::Tensor& x) {
  const auto hw = static_cast<double>(x.size(2) * x.size(3));
  if (kind_ == Permutation::Reverse) return {x.flip(1), at::zeros({}, x.options())};
  const auto w = weight();
  return {flow_conv2d(x, w.view({channels_, channels_, 1, 1})), log_abs_det() * hw};
}

const at::Tensor& InvConv1x1Impl::inverse_weight(const at::TensorOptions& options) {
  if (kind_ == Permutation::Reverse) {
    if (!inverse_.defined() || inverse_.scalar_type() != options.dtype() || inverse_.device() != options.device()) {
      inverse_ = weight(options);  // a reversal is its own inverse
    }
    return inverse_;
  }
  if (inverse_key_.changed(parameters()) || !inverse_.defined()) {
    at::NoGradGuard no_grad;
    const auto w = weight().detach();
    inverse_ = at::linalg_inv(w.to(at::kDouble)).to(w.dtype()).contiguous();
    ++inversions_;
  }
  return inverse_;
}

at::Tensor InvConv1x1Impl::reverse(const at::Tensor& y) {
  if (kind_ == Permutation::Reverse) return y.flip(1);
  return flow_conv2d(y, inverse_weight().view({channels_, channels_, 1, 1}));
}

}  // namespace glowlab
