#include "latent/ranges.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "data/pixels.h"

namespace glowlab {
namespace {

constexpr double kRangeQuantile = 0.9;
constexpr double kMinRange = 0.5;
constexpr int64_t kBatch = kDecodeBatch;

// Per face, the smallest alpha in [0, max_range] at which decode(eps + sign * alpha * d) sits at or
// beyond `target` along the pixel axis (towards `sign`), by bisection; max_range where even that
// does not reach; an unclean decode counts as the end of the road (the range stops there).
std::vector<double> strength_to_reach(Glow& glow, const at::Tensor& eps, const at::Tensor& d, const at::Tensor& axis,
                                      double target, int sign, double max_range) {
  constexpr int kBisections = 5;
  const int64_t n = eps.size(0);
  auto reached = [&](const at::Tensor& alpha) {
    const auto q = pixel_position(glow, eps + (alpha * sign).unsqueeze(1) * d.unsqueeze(0), axis);
    return at::isnan(q).logical_or(sign > 0 ? q >= target : q <= target);
  };
  auto hi = at::full({n}, max_range, at::kDouble), lo = at::zeros({n}, at::kDouble);
  const auto at_max = reached(hi);
  for (int i = 0; i < kBisections; ++i) {
    const auto mid = (lo + hi) * 0.5;
    const auto r = reached(mid);
    hi = at::where(r, mid, hi);
    lo = at::where(r, lo, mid);
  }
  hi = at::where(at_max, hi, at::full_like(hi, max_range));
  return std::vector<double>(hi.data_ptr<double>(), hi.data_ptr<double>() + n);
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 1.0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

// The share of the faces `eps` whose decode, moved by `alpha` along `d`, is unfit to show
// (unfit_decodes against their unedited decodes `base`).
double unfit_share(Glow& glow, const at::Tensor& eps, const at::Tensor& base, const at::Tensor& d, double alpha) {
  int64_t unfit = 0;
  for (int64_t i = 0; i < eps.size(0); i += kBatch) {
    const int64_t len = std::min(kBatch, eps.size(0) - i);
    const auto x = glow->decode(glow->unflatten((eps.narrow(0, i, len) + alpha * d.unsqueeze(0)).to(glow->device(), at::kFloat)));
    unfit += unfit_decodes(x, glow->config().n_bits, base.narrow(0, i, len).to(x.device())).sum().item<int64_t>();
  }
  return static_cast<double>(unfit) / static_cast<double>(eps.size(0));
}

// A range's end `end` (signed), brought in until at most `max_unfit` of the faces are unfit there
// (bisection, not below kMinRange): where an edit starts to paint garbage on more than a few
// faces, not where most faces break.
double end_before_unfit(Glow& glow, const at::Tensor& eps, const at::Tensor& base, const at::Tensor& d, double end,
                        double max_unfit) {
  constexpr int kBisections = 5;
  const double sign = end < 0 ? -1.0 : 1.0;
  auto fit = [&](double a) { return unfit_share(glow, eps, base, d, sign * a) <= max_unfit; };
  double hi = std::abs(end);
  if (max_unfit >= 1 || hi <= kMinRange || fit(hi)) return end;
  double lo = kMinRange;
  if (!fit(lo)) return sign * lo;
  for (int i = 0; i < kBisections; ++i) {
    const double mid = 0.5 * (lo + hi);
    (fit(mid) ? lo : hi) = mid;
  }
  return sign * lo;
}

// The strengths each face of `faces` needs to reach `target` along the axis, `sign` the way.
std::vector<double> strengths(Glow& glow, const at::Tensor& eps, const at::Tensor& faces, const RangeAsk& ask, double target, int sign) {
  std::vector<double> need;
  for (int64_t i = 0; i < faces.numel(); i += kBatch) {
    auto v = strength_to_reach(glow, eps.index_select(0, faces.narrow(0, i, std::min(kBatch, faces.numel() - i))), ask.direction, ask.axis,
                               target, sign, ask.max_range);
    need.insert(need.end(), v.begin(), v.end());
  }
  return need;
}

}  // namespace

at::Tensor pixel_position(Glow& glow, const at::Tensor& eps, const at::Tensor& axis) {
  const auto x = glow->decode(glow->unflatten(eps.to(glow->device(), at::kFloat))).flatten(1).to(at::kCPU, at::kDouble);
  auto q = x.matmul(axis) / axis.dot(axis);
  return at::where(clean_decodes(x, glow->config().n_bins()), q, at::full_like(q, std::nan("")));
}

at::Tensor decode_batches(Glow& glow, const at::Tensor& eps) {
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < eps.size(0); i += kBatch) {
    out.push_back(glow->decode(glow->unflatten(eps.narrow(0, i, std::min(kBatch, eps.size(0) - i)).to(glow->device(), at::kFloat))).cpu());
  }
  return at::cat(out);
}

std::pair<double, double> recommend_range(Glow& glow, const at::Tensor& eps, const at::Tensor& base, const RangeAsk& ask) {
  const auto need_plus = strengths(glow, eps, ask.lacking, ask, ask.target_having, +1);
  const auto need_minus = strengths(glow, eps, ask.having, ask, ask.target_lacking, -1);
  const double top = need_plus.empty() ? 1.5 : std::clamp(quantile(need_plus, kRangeQuantile), kMinRange, ask.max_range);
  const double bottom = need_minus.empty() ? -1.5 : -std::clamp(quantile(need_minus, kRangeQuantile), kMinRange, ask.max_range);
  return {end_before_unfit(glow, eps, base, ask.direction, bottom, ask.max_unfit),
          end_before_unfit(glow, eps, base, ask.direction, top, ask.max_unfit)};
}

}  // namespace glowlab
