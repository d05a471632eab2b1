#include "flow/invconv.h"

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

at::Tensor InvConv1x1Impl::weight() const {
  switch (kind_) {
    case Permutation::Plain:
      return plain_weight_;
    case Permutation::Reverse: {
      return at::eye(channels_, at::TensorOptions().dtype(at::kFloat)).flip(0);
    }
    case Permutation::LU:
      break;
  }
  const auto eye = at::eye(channels_, lower_.options());
  const auto l = lower_.tril(-1) + eye;
  const auto u = upper_.triu(1) + at::diag(sign_s_ * log_s_.exp());
  return perm_.matmul(l).matmul(u);
}

at::Tensor InvConv1x1Impl::log_abs_det() const {
  switch (kind_) {
    case Permutation::Plain: return std::get<1>(at::linalg_slogdet(plain_weight_.to(at::kDouble))).to(plain_weight_.dtype());
    case Permutation::Reverse: return at::zeros({});
    case Permutation::LU: break;
  }
  return log_s_.sum();
}

std::pair<at::Tensor, at::Tensor> InvConv1x1Impl::forward(const at::Tensor& x) {
  const auto hw = static_cast<double>(x.size(2) * x.size(3));
  if (kind_ == Permutation::Reverse) return {x.flip(1), at::zeros({}, x.options())};
  const auto w = weight();
  return {at::conv2d(x, w.view({channels_, channels_, 1, 1})), log_abs_det() * hw};
}

std::vector<int64_t> InvConv1x1Impl::cache_key() const {
  std::vector<int64_t> key;
  for (const auto& t : parameters()) {
    key.push_back(reinterpret_cast<int64_t>(t.unsafeGetTensorImpl()));
    key.push_back(reinterpret_cast<int64_t>(t.data_ptr()));
    key.push_back(t.is_inference() ? -1 : t._version());
    key.push_back(static_cast<int64_t>(t.scalar_type()));
  }
  return key;
}

const at::Tensor& InvConv1x1Impl::inverse_weight() {
  auto key = cache_key();
  if (!inverse_.defined() || key != inverse_key_) {
    at::NoGradGuard no_grad;
    const auto w = weight().detach();
    inverse_ = at::linalg_inv(w.to(at::kDouble)).to(w.dtype()).contiguous();
    inverse_key_ = std::move(key);
    ++inversions_;
  }
  return inverse_;
}

at::Tensor InvConv1x1Impl::reverse(const at::Tensor& y) {
  if (kind_ == Permutation::Reverse) return y.flip(1);
  return at::conv2d(y, inverse_weight().view({channels_, channels_, 1, 1}));
}

}  // namespace glowlab
