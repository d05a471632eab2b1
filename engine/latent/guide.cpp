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
constexpr double kStep = 0.03;  // each step moves d by this share of |d0| at first, falling linearly to 0
// The probability the named output is asked to reach (1 - it, removing): a face that already reads
// the attribute clearly is not pushed further, where the edit would only drag the others more.
constexpr double kAsked = 0.9;
constexpr std::uint64_t kFiguresSeed = 7;  // the figures' one fixed resampling per face
// The targets, which GuideFigures::shortfall measures the distance to.
constexpr double kCrossTarget = 0.8, kOthersTarget = 0.10;
constexpr double kMayWeaken = 0.10;  // choose_guided: how much less often a refinement may cross than the fitted direction

// [N, 2, 3] affine maps (output -> input, normalised coordinates) of N small random similarities
// of an S-pixel square, each mirrored half the time (Guide::jitter).
at::Tensor draw_jitter(int64_t n, int64_t size, at::Generator& gen) {
  auto uniform = [&](double lo, double hi) { return at::empty({n}, at::kDouble).uniform_(lo, hi, gen); };
  const auto scale = uniform(0.95, 1.05), angle = uniform(-3.0, 3.0) * (M_PI / 180.0);
  const double pixel = 2.0 / static_cast<double>(size);
  const auto tx = uniform(-2.0, 2.0) * pixel, ty = uniform(-2.0, 2.0) * pixel;
  const auto mirror = at::where(uniform(0.0, 1.0) < 0.5, -1.0, 1.0);
  const auto c = scale * angle.cos(), s = scale * angle.sin();
  return at::stack({at::stack({c * mirror, -s, tx}, 1), at::stack({s * mirror, c, ty}, 1)}, 1);
}

at::Tensor resample(const at::Tensor& x, const at::Tensor& theta) {
  if (!theta.defined()) return x;
  const auto grid = at::affine_grid_generator(theta.to(x.device(), x.scalar_type()), x.sizes(), /*align_corners=*/false);
  return at::grid_sampler(x, grid, /*bilinear*/ 0, /*border*/ 1, /*align_corners=*/false);
}

using Reader = std::function<at::Tensor(const at::Tensor&)>;

at::Tensor probabilities(const Reader& logits, const at::Tensor& x) { return at::sigmoid(logits(at::nan_to_num(x, 0.0, 0.0, 0.0))); }

// What `reader` (the guide or its check) says of d at the Guide's strengths over every face (no
// gradients), each face (edited and not) read through the same fixed resampling.
GuideFigures figures(Glow& glow, const Guide& g, const Reader& reader, int64_t target, const at::Tensor& d, const GuideFaces& f) {
  at::NoGradGuard no_grad;
  const auto device = glow->device();
  const auto dd = d.to(device, at::kFloat);
  auto gen = at::detail::createCPUGenerator(kFiguresSeed);
  GuideFigures out;
  double moved = 0;
  int64_t finite = 0;
  for (int side = 0; side < 2; ++side) {
    const auto& eps = side == 0 ? f.lacking : f.having;
    const auto& photo = side == 0 ? f.lacking_x : f.having_x;
    const double alpha = side == 0 ? g.add_strength : -g.remove_strength;
    double crossed = 0;
    for (int64_t i = 0; i < eps.size(0); i += kChunk) {
      const int64_t len = std::min(kChunk, eps.size(0) - i);
      const auto theta = g.jitter ? draw_jitter(len, photo.size(-1), gen) : at::Tensor();
      const auto z = eps.narrow(0, i, len).to(device, at::kFloat) + alpha * dd.unsqueeze(0);
      const auto x = glow->decode(glow->unflatten(z));
      // A decode that breaks (non-finite) neither crosses nor counts among the others' changes.
      const auto ok = at::isfinite(x).flatten(1).all(1).cpu();
      const auto p = probabilities(reader, resample(x, theta)).cpu();
      const auto p0 = probabilities(reader, resample(photo.narrow(0, i, len).to(device, at::kFloat), theta)).cpu();
      const auto t = p.select(1, target);
      crossed += (side == 0 ? (t > 0.5) : (t < 0.5)).logical_and(ok).sum().item<double>();
      auto change = (p - p0).abs().index({ok});
      change = at::cat({change.narrow(1, 0, target), change.narrow(1, target + 1, change.size(1) - target - 1)}, 1);
      if (change.size(0) > 0 && change.size(1) > 0) moved += change.mean(1).sum().item<double>();
      finite += ok.sum().item<int64_t>();
    }
    (side == 0 ? out.add : out.remove) = eps.size(0) ? crossed / static_cast<double>(eps.size(0)) : 0.0;
  }
  out.others = finite ? moved / static_cast<double>(finite) : 0.0;
  return out;
}

// The refinement itself (guide_direction's, without its figures): the refined direction [D], on
// d0_in's device and type.
at::Tensor refine(Glow& glow, const Guide& g, int64_t target, const at::Tensor& d0_in, const GuideFaces& faces, double hold,
                  std::uint64_t seed, const std::function<bool(double)>& progress) {
  if (!g.logits) throw Error(ErrorKind::InvalidArgument, "guide_direction: no guide");
  if (faces.lacking.size(0) == 0 || faces.having.size(0) == 0) throw Error(ErrorKind::InvalidArgument, "guide_direction: needs faces of both classes");
  // Gradients flow through the decoder here, even when the caller runs in inference mode: a copy of
  // the flow (its weight caches made afresh, outside inference mode) with frozen weights.
  c10::InferenceMode normal(false);
  Glow flow = with_config(glow, glow->config());
  for (auto& p : flow->parameters()) p.set_requires_grad(false);
  const auto device = flow->device();
  const auto d0 = d0_in.to(device, at::kFloat).clone();
  const auto eps = at::cat({faces.lacking, faces.having}).to(device, at::kFloat);
  const auto photos = at::cat({faces.lacking_x, faces.having_x}).to(device, at::kFloat);
  const int64_t n_lacking = faces.lacking.size(0), n_having = faces.having.size(0);
  const double d0_norm = d0.norm().item<double>();
  if (!(d0_norm > 0)) throw Error(ErrorKind::InvalidArgument, "guide_direction: the fitted direction is zero");

  auto d = d0.clone().set_requires_grad(true);
  auto velocity = at::zeros_like(d0);
  auto gen = at::detail::createCPUGenerator(seed);
  const int64_t half = std::max<int64_t>(1, g.batch / 2);
  for (int step = 0; step < g.steps; ++step) {
    if (progress && !progress(static_cast<double>(step) / g.steps)) throw Error(ErrorKind::Cancelled, "cancelled");
    const auto pick = at::cat({at::randint(n_lacking, {half}, gen, at::kLong), at::randint(n_having, {half}, gen, at::kLong) + n_lacking}).to(device);
    const auto theta = g.jitter ? draw_jitter(2 * half, photos.size(-1), gen) : at::Tensor();
    auto z0 = eps.index_select(0, pick);
    auto alpha = at::cat({at::full({half, 1}, g.add_strength, z0.options()), at::full({half, 1}, -g.remove_strength, z0.options())});
    auto asked = at::cat({at::full({half}, kAsked, z0.options()), at::full({half}, 1.0 - kAsked, z0.options())});
    at::Tensor p0;
    {
      at::NoGradGuard no_grad;
      p0 = probabilities(g.logits, resample(photos.index_select(0, pick), theta));
    }
    auto x = flow->decode(flow->unflatten(z0 + alpha * d));
    at::Tensor seen = theta;
    // Faces whose edit breaks the decode (non-finite: past where the direction holds for them) are
    // left out of the step (decoded again without them), so that they do not poison the gradient.
    if (const auto ok = at::isfinite(x.detach()).flatten(1).all(1); !ok.all().item<bool>()) {
      const auto keep = ok.nonzero().flatten();
      z0 = z0.index_select(0, keep), alpha = alpha.index_select(0, keep);
      asked = asked.index_select(0, keep), p0 = p0.index_select(0, keep);
      if (seen.defined()) seen = seen.index_select(0, keep.cpu());
      x = keep.numel() ? flow->decode(flow->unflatten(z0 + alpha * d)) : at::Tensor();
    }
    if (!x.defined()) continue;
    const auto logits = g.logits(resample(x, seen));
    const auto target_loss = at::binary_cross_entropy_with_logits(logits.select(1, target), asked);
    auto change = (at::sigmoid(logits) - p0).abs();
    change = at::cat({change.narrow(1, 0, target), change.narrow(1, target + 1, change.size(1) - target - 1)}, 1);
    const auto held = change.size(1) > 0 ? change.mean() : at::zeros({}, change.options());
    const auto anchor = (d - d0).square().sum() / (d0_norm * d0_norm);
    const auto loss = target_loss + hold * held + g.anchor * anchor;
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
  return d.detach().to(at::kCPU, d0_in.scalar_type());
}

double moved_share(const at::Tensor& d, const at::Tensor& d0) {
  return (d.to(at::kDouble) - d0.to(at::kCPU, at::kDouble)).norm().item<double>() / d0.to(at::kDouble).norm().item<double>();
}

}  // namespace

double GuideFigures::shortfall() const {
  return std::max(0.0, kCrossTarget - add) + std::max(0.0, kCrossTarget - remove) +
         (kCrossTarget / kOthersTarget) * std::max(0.0, others - kOthersTarget);
}

GuidedDirection guide_direction(Glow& glow, const Guide& g, int64_t target, const at::Tensor& d0, const GuideFaces& faces,
                                double hold, std::uint64_t seed, const std::function<bool(double)>& progress) {
  GuidedDirection out;
  out.hold = hold;
  out.refined = true;
  out.direction = refine(glow, g, target, d0, faces, hold, seed, progress);
  out.before = figures(glow, g, g.logits, target, d0, faces);
  out.after = figures(glow, g, g.logits, target, out.direction, faces);
  out.moved = moved_share(out.direction, d0);
  return out;
}

GuidedDirection choose_guided(Glow& glow, const Guide& g, int64_t target, const at::Tensor& d0, const GuideFaces& train,
                              const GuideFaces& validation, std::uint64_t seed, const std::function<bool(double)>& progress) {
  const bool held_out = validation.lacking.defined() && validation.having.defined() && validation.lacking.size(0) > 0 &&
                        validation.having.size(0) > 0;
  const GuideFaces& judged = held_out ? validation : train;
  const Reader& reader = g.check ? g.check : g.logits;
  GuidedDirection best;
  best.direction = d0;
  best.before = best.after = figures(glow, g, reader, target, d0, judged);
  const auto holds = g.holds.empty() ? std::vector<double>{5.0} : g.holds;
  for (size_t i = 0; i < holds.size(); ++i) {
    auto part = [&](double f) { return !progress || progress((static_cast<double>(i) + f) / static_cast<double>(holds.size())); };
    const auto refined = refine(glow, g, target, d0, train, holds[i], seed, part);
    const auto seen = figures(glow, g, reader, target, refined, judged);
    // Holding the others must not cost the slider its own attribute: a refinement that the faces
    // read as added or removed less often than the fitted direction, by more than kMayWeaken, is
    // not taken, however little it drags the others.
    if (seen.add < best.before.add - kMayWeaken || seen.remove < best.before.remove - kMayWeaken) continue;
    const double s = seen.shortfall(), b = best.after.shortfall();
    if (s < b - 1e-12 || (std::abs(s - b) <= 1e-12 && seen.others < best.after.others)) {
      best.direction = refined;
      best.after = seen;
      best.moved = moved_share(refined, d0);
      best.hold = holds[i];
      best.refined = true;
    }
  }
  if (progress && !progress(1.0)) throw Error(ErrorKind::Cancelled, "cancelled");
  return best;
}

}  // namespace glowlab
