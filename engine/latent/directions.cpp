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

Directions compute_directions(Glow& glow, const Dataset& data, int64_t range_sample,
                              const std::function<bool(double)>& progress,
                              const std::function<void(const std::string&)>& warn) {
  const int64_t n = data.size();
  const int64_t a = static_cast<int64_t>(data.attribute_names.size());
  if (n == 0 || a == 0) throw Error(ErrorKind::InvalidArgument, data.source + ": no labelled images");
  const int64_t d = glow->config().dimension();
  c10::InferenceMode guard;
  auto sum_pos = at::zeros({a, d}, at::kDouble), sum_neg = at::zeros({a, d}, at::kDouble);
  auto cnt_pos = at::zeros({a}, at::kDouble), cnt_neg = at::zeros({a}, at::kDouble);
  const int64_t sample = std::min(n, std::max<int64_t>(range_sample, 0));
  const int64_t total_work = n + sample;
  for (int64_t i = 0; i < n; i += kBatch) {
    const int64_t len = std::min(kBatch, n - i);
    const auto eps = encode_batch(glow, data.images.narrow(0, i, len));          // [B, D]
    const auto lab = data.labels.narrow(0, i, len).to(at::kDouble);              // [B, A]
    const auto pos = (lab > 0).to(at::kDouble), neg = (lab < 0).to(at::kDouble);
    sum_pos.add_(pos.t().matmul(eps));
    sum_neg.add_(neg.t().matmul(eps));
    cnt_pos.add_(pos.sum(0));
    cnt_neg.add_(neg.sum(0));
    if (progress && !progress(static_cast<double>(i + len) / total_work)) throw Error(ErrorKind::Cancelled, "cancelled");
  }
  Directions out;
  std::vector<int64_t> kept;
  std::vector<at::Tensor> dirs;
  for (int64_t k = 0; k < a; ++k) {
    const double np = cnt_pos[k].item<double>(), nn = cnt_neg[k].item<double>();
    if (np == 0 || nn == 0) {
      if (warn) warn("attribute " + data.attribute_names[static_cast<size_t>(k)] + " has no " + (np == 0 ? "positives" : "negatives") + ": skipped");
      continue;
    }
    Attribute attr;
    attr.name = data.attribute_names[static_cast<size_t>(k)];
    attr.positives = static_cast<int64_t>(np);
    attr.negatives = static_cast<int64_t>(nn);
    out.attributes.push_back(attr);
    dirs.push_back(sum_pos[k] / np - sum_neg[k] / nn);
    kept.push_back(k);
  }
  // Recommended ranges from the projections onto each direction (second pass over a sample).
  if (sample > 0 && !kept.empty()) {
    const auto dir = at::stack(dirs);                      // [K, D]
    const auto norm2 = (dir * dir).sum(1);                 // |d|^2
    std::vector<std::vector<double>> need_plus(kept.size()), need_minus(kept.size());
    std::vector<at::Tensor> mean_pos_proj, mean_neg_proj;
    for (size_t j = 0; j < kept.size(); ++j) {
      const auto k = kept[j];
      mean_pos_proj.push_back((sum_pos[k] / cnt_pos[k]).dot(dir[static_cast<int64_t>(j)]));
      mean_neg_proj.push_back((sum_neg[k] / cnt_neg[k]).dot(dir[static_cast<int64_t>(j)]));
    }
    for (int64_t i = 0; i < sample; i += kBatch) {
      const int64_t len = std::min(kBatch, sample - i);
      const auto proj = encode_batch(glow, data.images.narrow(0, i, len)).matmul(dir.t());  // [B, K]
      const auto lab = data.labels.narrow(0, i, len);
      for (int64_t b = 0; b < len; ++b) {
        for (size_t j = 0; j < kept.size(); ++j) {
          const int8_t l = lab[b][kept[j]].item<int8_t>();
          const double p = proj[b][static_cast<int64_t>(j)].item<double>(), n2 = norm2[static_cast<int64_t>(j)].item<double>();
          // alpha such that (eps + alpha d).d reaches the other class's mean projection
          if (l < 0) need_plus[j].push_back((mean_pos_proj[j].item<double>() - p) / n2);
          if (l > 0) need_minus[j].push_back((p - mean_neg_proj[j].item<double>()) / n2);
        }
      }
      if (progress && !progress(static_cast<double>(n + i + len) / total_work)) throw Error(ErrorKind::Cancelled, "cancelled");
    }
    for (size_t j = 0; j < kept.size(); ++j) {
      out.attributes[j].range_max = std::clamp(quantile(need_plus[j], kRangeQuantile), kMinRange, kMaxRange);
      out.attributes[j].range_min = -std::clamp(quantile(need_minus[j], kRangeQuantile), kMinRange, kMaxRange);
    }
  } else {
    for (auto& attr : out.attributes) { attr.range_min = -1.5; attr.range_max = 1.5; }
  }
  for (auto& dd : dirs) out.directions.push_back(dd.to(at::kFloat));
  return out;
}

}  // namespace glowlab
