#include "latent/guide.h"

#include <algorithm>
#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/autograd.h>

#include "core/error.h"

namespace glowlab {
namespace {

constexpr int64_t kChunk = 32;
constexpr double kMomentum = 0.9;
constexpr double kStep = 0.03;
// The probability the named output is asked to reach (1 - it, removing): a face that already reads
// the attribute clearly is not pushed further, where the edit would only drag the others more.
constexpr double kAsked = 0.9;  // each step moves d by this share of |d0| at first, falling linearly to 0

// The guide's figures for d at +-strength over every face (no gradients).
GuideFigures figures(Glow& glow, const Guide& g, int64_t target, const at::Tensor& d, const at::Tensor& lacking,
                     const at::Tensor& having, const at::Tensor& p_lacking, const at::Tensor& p_having) {
  at::NoGradGuard no_grad;
  const int64_t outputs = p_lacking.size(1);
  const auto others = at::arange(outputs, at::kLong) != target;
  double flipped = 0, moved = 0;
  int64_t n = 0, finite = 0;
  for (int side = 0; side < 2; ++side) {
    const auto& eps = side == 0 ? lacking : having;
    const auto& p0 = side == 0 ? p_lacking : p_having;
    const double sign = side == 0 ? 1.0 : -1.0;
    for (int64_t i = 0; i < eps.size(0); i += kChunk) {
      const int64_t len = std::min(kChunk, eps.size(0) - i);
      const auto z = eps.narrow(0, i, len) + (sign * g.strength) * d.unsqueeze(0);
      const auto x = glow->decode(glow->unflatten(z));
      // A decode that breaks (non-finite) neither crosses nor counts among the others' changes.
      const auto ok = at::isfinite(x).flatten(1).all(1).cpu();
      const auto p = at::sigmoid(g.logits(at::nan_to_num(x, 0.0, 0.0, 0.0))).cpu();
      const auto t = p.select(1, target);
      flipped += (side == 0 ? (t > 0.5) : (t < 0.5)).logical_and(ok).sum().item<double>();
      moved += (p - p0.narrow(0, i, len)).abs().index({ok}).index({at::indexing::Slice(), others}).mean(1).sum().item<double>();
      n += len;
      finite += ok.sum().item<int64_t>();
    }
  }
  return {n ? flipped / n : 0.0, finite ? moved / finite : 0.0};
}

at::Tensor guide_probabilities(const Guide& g, const at::Tensor& x) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < x.size(0); i += kChunk) out.push_back(at::sigmoid(g.logits(x.narrow(0, i, std::min(kChunk, x.size(0) - i)))).cpu());
  return at::cat(out);
}

}  // namespace

GuidedDirection guide_direction(Glow& glow, const Guide& g, int64_t target, const at::Tensor& d0_in, const at::Tensor& lacking_in,
                                const at::Tensor& having_in, const at::Tensor& lacking_x, const at::Tensor& having_x,
                                std::uint64_t seed, const std::function<bool(double)>& progress) {
  if (!g.logits) throw Error(ErrorKind::InvalidArgument, "guide_direction: no guide");
  if (lacking_in.size(0) == 0 || having_in.size(0) == 0) throw Error(ErrorKind::InvalidArgument, "guide_direction: needs faces of both classes");
  // Gradients flow through the decoder here, even when the caller runs in inference mode: a copy of
  // the flow (its weight caches made afresh, outside inference mode) with frozen weights.
  c10::InferenceMode normal(false);
  Glow flow = with_config(glow, glow->config());
  for (auto& p : flow->parameters()) p.set_requires_grad(false);
  const auto device = flow->device();
  const auto d0 = d0_in.to(device, at::kFloat).clone();
  const auto lacking = lacking_in.to(device, at::kFloat).clone(), having = having_in.to(device, at::kFloat).clone();
  const auto p_lacking = guide_probabilities(g, lacking_x.to(device, at::kFloat).clone());
  const auto p_having = guide_probabilities(g, having_x.to(device, at::kFloat).clone());
  const int64_t outputs = p_lacking.size(1);
  const auto others = (at::arange(outputs, at::kLong) != target).to(device);
  const double d0_norm = d0.norm().item<double>();
  if (!(d0_norm > 0)) throw Error(ErrorKind::InvalidArgument, "guide_direction: the fitted direction is zero");

  GuidedDirection out;
  out.before = figures(flow, g, target, d0, lacking, having, p_lacking, p_having);
  auto d = d0.clone().set_requires_grad(true);
  auto velocity = at::zeros_like(d0);
  auto gen = at::detail::createCPUGenerator(seed);
  const int64_t half = std::max<int64_t>(1, g.batch / 2);
  const auto p0_all = at::cat({p_lacking, p_having}).to(device);
  for (int step = 0; step < g.steps; ++step) {
    if (progress && !progress(static_cast<double>(step) / g.steps)) throw Error(ErrorKind::Cancelled, "cancelled");
    const auto il = at::randint(lacking.size(0), {half}, gen, at::kLong);
    const auto ih = at::randint(having.size(0), {half}, gen, at::kLong);
    auto z0 = at::cat({lacking.index_select(0, il.to(device)), having.index_select(0, ih.to(device))});
    auto sign = at::cat({at::full({half, 1}, g.strength, z0.options()), at::full({half, 1}, -g.strength, z0.options())});
    auto asked = at::cat({at::full({half}, kAsked, z0.options()), at::full({half}, 1.0 - kAsked, z0.options())});
    auto p0 = at::cat({p0_all.index_select(0, il.to(device)), p0_all.index_select(0, (ih + lacking.size(0)).to(device))});
    auto x = flow->decode(flow->unflatten(z0 + sign * d));
    // Faces whose edit breaks the decode (non-finite: past where the direction holds for them) are
    // left out of the step (decoded again without them), so that they do not poison the gradient.
    if (const auto ok = at::isfinite(x.detach()).flatten(1).all(1); !ok.all().item<bool>()) {
      const auto keep = ok.nonzero().flatten();
      z0 = z0.index_select(0, keep), sign = sign.index_select(0, keep);
      asked = asked.index_select(0, keep), p0 = p0.index_select(0, keep);
      x = keep.numel() ? flow->decode(flow->unflatten(z0 + sign * d)) : at::Tensor();
    }
    if (!x.defined()) continue;
    const auto logits = g.logits(x);
    const auto target_loss = at::binary_cross_entropy_with_logits(logits.select(1, target), asked);
    const auto held = (at::sigmoid(logits) - p0).abs().index({at::indexing::Slice(), others}).mean();
    const auto anchor = (d - d0).square().sum() / (d0_norm * d0_norm);
    const auto loss = target_loss + g.hold * held + g.anchor * anchor;
    const auto grad = torch::autograd::grad({loss}, {d})[0];
    if (!at::isfinite(grad).all().item<bool>()) continue;
    {
      at::NoGradGuard no_grad;
      velocity.mul_(kMomentum).add_(grad);
      const double vn = velocity.norm().item<double>();
      const double rate = kStep * (1.0 - static_cast<double>(step) / g.steps);
      if (vn > 0) d.sub_(velocity * (rate * d0_norm / vn));
    }
  }
  const auto refined = d.detach();
  out.after = figures(flow, g, target, refined, lacking, having, p_lacking, p_having);
  out.moved = (refined - d0).norm().item<double>() / d0_norm;
  out.direction = refined.to(at::kCPU, d0_in.scalar_type());
  return out;
}

}  // namespace glowlab
