#include "latent/directions.h"

#include <algorithm>
#include <cmath>

#include <c10/core/InferenceMode.h>

#include "core/error.h"
#include "data/pixels.h"

namespace glowlab {
namespace {

constexpr int64_t kBatch = 32;
constexpr double kRangeQuantile = 0.9;
constexpr double kMinRange = 0.5, kMaxRange = 3.0;

at::Tensor encode_batch(Glow& glow, const at::Tensor& u8) {
  const auto x = to_model_input(u8.to(glow->device()), glow->config().n_bits, at::kFloat, std::nullopt);
  return glow->flatten(glow->encode(x).eps).to(at::kCPU, at::kDouble);
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 1.0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

}  // namespace

Directions compute_directions(Glow& glow, const Dataset& data, const DirectionOptions& o) {
  const int64_t n = data.size();
  const int64_t a = static_cast<int64_t>(data.attribute_names.size());
  if (n == 0 || a == 0) throw Error(ErrorKind::InvalidArgument, data.source + ": no labelled images");
  if (o.method != "mean" && o.method != "regression") {
    throw Error(ErrorKind::InvalidArgument, "unknown direction method '" + o.method + "' (mean or regression)");
  }
  const int64_t d = glow->config().dimension();
  c10::InferenceMode guard;
  // One pass: per-class sums (mean) and the normal equations of eps ~ b0 + sum_k a_k b_k (regression),
  // with a_k = 1 when the face has attribute k, else 0. Memory: O(A * D), whatever the data size.
  auto sum_pos = at::zeros({a, d}, at::kDouble), sum_neg = at::zeros({a, d}, at::kDouble);
  auto sum_all = at::zeros({d}, at::kDouble);
  auto cnt_pos = at::zeros({a}, at::kDouble), cnt_neg = at::zeros({a}, at::kDouble);
  auto gram = at::zeros({a + 1, a + 1}, at::kDouble);
  const int64_t sample = std::min(n, std::max<int64_t>(o.range_sample, 0));
  const int64_t total_work = n + sample;
  for (int64_t i = 0; i < n; i += kBatch) {
    const int64_t len = std::min(kBatch, n - i);
    const auto eps = encode_batch(glow, data.images.narrow(0, i, len));          // [B, D]
    const auto lab = data.labels.narrow(0, i, len).to(at::kDouble);              // [B, A]
    const auto pos = (lab > 0).to(at::kDouble), neg = (lab < 0).to(at::kDouble);
    sum_pos.add_(pos.t().matmul(eps));
    sum_neg.add_(neg.t().matmul(eps));
    sum_all.add_(eps.sum(0));
    cnt_pos.add_(pos.sum(0));
    cnt_neg.add_(neg.sum(0));
    const auto x = at::cat({at::ones({len, 1}, at::kDouble), pos}, 1);           // [B, A+1]
    gram.add_(x.t().matmul(x));
    if (o.progress && !o.progress(static_cast<double>(i + len) / total_work)) throw Error(ErrorKind::Cancelled, "cancelled");
  }
  at::Tensor coef;  // [A+1, D] regression coefficients
  if (o.method == "regression") {
    const auto rhs = at::cat({sum_all.unsqueeze(0), sum_pos}, 0);   // X^T eps
    auto penalty = at::eye(a + 1, at::kDouble);
    penalty[0][0] = 0.0;  // the intercept is not shrunk
    const double scale = gram.diagonal().narrow(0, 1, a).mean().item<double>();
    coef = at::linalg_solve(gram + penalty * (o.ridge * scale), rhs);
  }
  Directions out;
  std::vector<int64_t> kept;
  std::vector<at::Tensor> dirs;
  for (int64_t k = 0; k < a; ++k) {
    const double np = cnt_pos[k].item<double>(), nn = cnt_neg[k].item<double>();
    if (np == 0 || nn == 0) {
      if (o.warn) o.warn("attribute " + data.attribute_names[static_cast<size_t>(k)] + " has no " + (np == 0 ? "positives" : "negatives") + ": skipped");
      continue;
    }
    Attribute attr;
    attr.name = data.attribute_names[static_cast<size_t>(k)];
    attr.positives = static_cast<int64_t>(np);
    attr.negatives = static_cast<int64_t>(nn);
    out.attributes.push_back(attr);
    dirs.push_back(o.method == "regression" ? coef[k + 1].clone() : sum_pos[k] / np - sum_neg[k] / nn);
    kept.push_back(k);
  }
  if (o.finest_level > 0) {
    const auto shapes = glow->config().level_shapes();
    int64_t from = 0;
    for (int l = 0; l < std::min<int>(o.finest_level, static_cast<int>(shapes.size()) - 1); ++l) {
      from += shapes[static_cast<size_t>(l)][0] * shapes[static_cast<size_t>(l)][1] * shapes[static_cast<size_t>(l)][2];
    }
    for (auto& dd : dirs) dd.narrow(0, 0, from).zero_();
  }
  // Recommended ranges from the projections onto each direction (second pass over a sample): the
  // edit that takes kRangeQuantile of the faces lacking (having) the attribute to the mean
  // position of the faces having (lacking) it along the direction.
  if (sample > 0 && !kept.empty()) {
    const auto dir = at::stack(dirs);                      // [K, D]
    const auto norm2 = (dir * dir).sum(1);                 // |d|^2
    std::vector<std::vector<double>> pos_proj(kept.size()), neg_proj(kept.size());
    for (int64_t i = 0; i < sample; i += kBatch) {
      const int64_t len = std::min(kBatch, sample - i);
      // Positions along each direction, in units of the direction: eps.d / |d|^2.
      const auto proj = (encode_batch(glow, data.images.narrow(0, i, len)).matmul(dir.t()) / norm2).contiguous();
      const auto lab = data.labels.narrow(0, i, len).contiguous();
      for (int64_t b = 0; b < len; ++b) {
        for (size_t j = 0; j < kept.size(); ++j) {
          const int8_t l = lab[b][kept[j]].item<int8_t>();
          const double p = proj[b][static_cast<int64_t>(j)].item<double>();
          (l > 0 ? pos_proj : neg_proj)[j].push_back(p);
        }
      }
      if (o.progress && !o.progress(static_cast<double>(n + i + len) / total_work)) throw Error(ErrorKind::Cancelled, "cancelled");
    }
    auto mean = [](const std::vector<double>& v) {
      double t = 0;
      for (double x : v) t += x;
      return v.empty() ? 0.0 : t / static_cast<double>(v.size());
    };
    for (size_t j = 0; j < kept.size(); ++j) {
      const double to_pos = mean(pos_proj[j]), to_neg = mean(neg_proj[j]);
      std::vector<double> need_plus, need_minus;
      for (double p : neg_proj[j]) need_plus.push_back(to_pos - p);
      for (double p : pos_proj[j]) need_minus.push_back(p - to_neg);
      out.attributes[j].range_max = need_plus.empty() ? 1.5 : std::clamp(quantile(need_plus, kRangeQuantile), kMinRange, kMaxRange);
      out.attributes[j].range_min = need_minus.empty() ? -1.5 : -std::clamp(quantile(need_minus, kRangeQuantile), kMinRange, kMaxRange);
    }
  } else {
    for (auto& attr : out.attributes) { attr.range_min = -1.5; attr.range_max = 1.5; }
  }
  for (auto& dd : dirs) out.directions.push_back(dd.to(at::kFloat));
  return out;
}

}  // namespace glowlab
