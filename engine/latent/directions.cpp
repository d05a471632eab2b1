#include "latent/directions.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

#include <c10/core/InferenceMode.h>

#include "core/error.h"
#include "core/strings.h"
#include "data/pixels.h"
#include "latent/latents.h"
#include "latent/ranges.h"

namespace glowlab {
namespace {

constexpr int64_t kBatch = kDecodeBatch;

// The job's progress, in units of about one face's encoding: encoding every face, each guided
// attribute's refinement (Guide::steps * batch / 2 per hold), each attribute's range (kRangeWork
// per sampled face: some 20 decodes of it); cancelled when DirectionOptions::progress says so.
struct Work {
  const DirectionOptions& o;
  double total = 1, done = 0, guide_share = 0;
  void stage(const std::string& s) const {
    if (o.stage) o.stage(s);
  }
  bool reach(double d, bool throwing = true) {
    done = d;
    const bool go = !o.progress || o.progress(std::min(1.0, done / total));
    if (!go && throwing) throw Error(ErrorKind::Cancelled, "cancelled");
    return go;
  }
  void advance(double by) { reach(done + by); }
};
constexpr double kRangeWork = 2.5;

// Several sources may label different attributes (0: no label). The joint fit needs every label
// of a face: faces lacking any are left out (UTKFace's, next to CelebA's; their ages fit Age).
Dataset fully_labelled(const Dataset& all, const DirectionOptions& o) {
  Dataset data = all;
  if (all.size() > 0 && all.labels.size(1) > 0) {
    const auto complete = (all.labels != 0).all(1);
    if (!complete.all().item<bool>()) {
      const auto idx = complete.nonzero().flatten();
      data.images = all.images.index_select(0, idx);
      data.labels = all.labels.index_select(0, idx);
      if (o.warn) o.warn(std::to_string(all.size() - idx.numel()) + " faces lack some of the labels: left out of the attribute fit");
    }
  }
  return data;
}

// What one pass over the data leaves: per-class sums (mean) and the normal equations of
// eps ~ b0 + sum_k a_k b_k (regression), with a_k = 1 when the face has attribute k, else 0.
// Memory: O(A * D), whatever the data size.
struct Sums {
  at::Tensor eps_pos, eps_neg;  // [A, D] latents summed over the faces having (lacking) each attribute
  at::Tensor eps_all;           // [D]
  at::Tensor eps_sq;            // [D] squares summed (the residual variance of the fit)
  at::Tensor pix_pos, pix_neg;  // [A, P] the same for the pixels (P = D)
  at::Tensor cnt_pos, cnt_neg;  // [A]
  at::Tensor gram;              // [A+1, A+1] X^T X of the design [1, a_1 .. a_A]
};

Sums accumulate(Glow& glow, const Dataset& data, Work& work) {
  const int64_t n = data.size(), a = static_cast<int64_t>(data.attribute_names.size());
  const int64_t d = glow->config().dimension();
  Sums s{at::zeros({a, d}, at::kDouble), at::zeros({a, d}, at::kDouble), at::zeros({d}, at::kDouble),
         at::zeros({d}, at::kDouble),    at::zeros({a, d}, at::kDouble), at::zeros({a, d}, at::kDouble),
         at::zeros({a}, at::kDouble),    at::zeros({a}, at::kDouble),    at::zeros({a + 1, a + 1}, at::kDouble)};
  for (int64_t i = 0; i < n; i += kBatch) {
    const int64_t len = std::min(kBatch, n - i);
    const auto x = model_input(glow, data.images.narrow(0, i, len));
    const auto eps = encode_batch(glow, x);                                      // [B, D]
    const auto pixels = x.flatten(1).to(at::kCPU, at::kDouble);                  // [B, P]
    const auto lab = data.labels.narrow(0, i, len).to(at::kDouble);              // [B, A]
    const auto pos = (lab > 0).to(at::kDouble), neg = (lab < 0).to(at::kDouble);
    s.pix_pos.add_(pos.t().matmul(pixels));
    s.pix_neg.add_(neg.t().matmul(pixels));
    s.eps_pos.add_(pos.t().matmul(eps));
    s.eps_neg.add_(neg.t().matmul(eps));
    s.eps_all.add_(eps.sum(0));
    s.eps_sq.add_(eps.square().sum(0));
    s.cnt_pos.add_(pos.sum(0));
    s.cnt_neg.add_(neg.sum(0));
    const auto design = at::cat({at::ones({len, 1}, at::kDouble), pos}, 1);      // [B, A+1]
    s.gram.add_(design.t().matmul(design));
    work.reach(static_cast<double>(i + len));
  }
  return s;
}

// [A+1, D] ridge least-squares coefficients (the intercept first, not shrunk).
// X^T X + the ridge term (relative to the mean label count; the intercept is not shrunk).
at::Tensor ridged_gram(const Sums& s, double ridge) {
  const int64_t a = s.cnt_pos.size(0);
  auto penalty = at::eye(a + 1, at::kDouble);
  penalty[0][0] = 0.0;
  const double scale = s.gram.diagonal().narrow(0, 1, a).mean().item<double>();
  return s.gram + penalty * (ridge * scale);
}

// X^T eps [A+1, D].
at::Tensor design_times_eps(const Sums& s) { return at::cat({s.eps_all.unsqueeze(0), s.eps_pos}, 0); }

at::Tensor regression_coefficients(const Sums& s, double ridge) {
  return at::linalg_solve(ridged_gram(s, ridge), design_times_eps(s));
}

// Per attribute kept (`kept[j]` its column), the sampling variance of its direction's entries
// divided by the per-value residual variance, and that variance [D]: regression, sigma_j^2 *
// [M^-1 G M^-1]_kk with M = G + ridge (the residual sum of squares over n - A - 1); mean
// difference, the values' variance * (1/n_pos + 1/n_neg).
std::pair<std::vector<double>, at::Tensor> direction_noise(const Sums& s, const at::Tensor& coef, double ridge,
                                                           const std::vector<int64_t>& kept, int64_t n) {
  const int64_t a = s.cnt_pos.size(0);
  std::vector<double> factor;
  at::Tensor var;
  if (coef.defined()) {
    const auto minv = at::linalg_inv(ridged_gram(s, ridge));
    const auto c = minv.matmul(s.gram).matmul(minv);
    const auto rhs = design_times_eps(s);
    const auto rss = s.eps_sq - 2 * (coef * rhs).sum(0) + (coef * s.gram.matmul(coef)).sum(0);
    var = (rss / static_cast<double>(std::max<int64_t>(1, n - a - 1))).clamp_min(0);
    for (auto k : kept) factor.push_back(c[k + 1][k + 1].item<double>());
  } else {
    const auto mean = s.eps_all / static_cast<double>(n);
    var = (s.eps_sq / static_cast<double>(n) - mean.square()).clamp_min(0);
    for (auto k : kept) factor.push_back(1.0 / s.cnt_pos[k].item<double>() + 1.0 / s.cnt_neg[k].item<double>());
  }
  return {factor, var};
}

// Shrinks each level of each direction by the share of it that is noise (DirectionOptions::shrink_levels).
void shrink_levels(Glow& glow, const std::vector<double>& factor, const at::Tensor& var, std::vector<at::Tensor>& dirs,
                   std::vector<Attribute>& attributes) {
  const auto levels = level_ranges(glow);
  for (size_t j = 0; j < dirs.size(); ++j) {
    attributes[j].level_weights.clear();
    for (const auto& [from, to] : levels) {
      auto part = dirs[j].narrow(0, from, to - from);
      const double energy = part.square().sum().item<double>();
      const double noise = factor[j] * var.narrow(0, from, to - from).sum().item<double>();
      const double w = energy > 0 ? std::clamp(1.0 - noise / energy, 0.0, 1.0) : 0.0;
      part.mul_(w);
      attributes[j].level_weights.push_back(w);
    }
  }
}

// Label correlation (phi) of attributes k and m on the faces the fit saw, from the design's Gram
// matrix: [1, a_1 .. a_A] with a_k in {0, 1}.
double label_phi(const Sums& s, int64_t k, int64_t m) {
  const double n = s.gram[0][0].item<double>(), nk = s.gram[0][k + 1].item<double>(), nm = s.gram[0][m + 1].item<double>();
  const double both = s.gram[k + 1][m + 1].item<double>();
  const double den = std::sqrt(nk * (n - nk) * nm * (n - nm));
  return den > 0 ? (n * both - nk * nm) / den : 0.0;
}

// DirectionOptions::condition: each direction off the (as fitted) directions of its correlated attributes.
void condition_directions(const Sums& s, const std::vector<int64_t>& kept, double threshold, std::vector<at::Tensor>& dirs,
                          std::vector<Attribute>& attributes) {
  const auto fitted = dirs;
  for (size_t j = 0; j < kept.size(); ++j) {
    std::vector<at::Tensor> cols;
    attributes[j].held_off.clear();
    for (size_t i = 0; i < kept.size(); ++i) {
      if (i == j || std::abs(label_phi(s, kept[j], kept[i])) < threshold) continue;
      cols.push_back(fitted[i]);
      attributes[j].held_off.push_back(attributes[i].name);
    }
    if (!cols.empty()) dirs[j] = project_off(fitted[j], at::stack(cols, 1));
  }
}

// Where the guide's faces of one class are split: spread through the candidates, every third to
// validation (up to Guide::validation), the rest to training (up to Guide::faces).
std::pair<at::Tensor, at::Tensor> split_guide_faces(const at::Tensor& candidates, const Guide& g) {
  auto idx = candidates;
  const int64_t want = g.faces + g.validation;
  if (idx.numel() > want) idx = idx.index_select(0, at::linspace(0, static_cast<double>(idx.numel() - 1), want, at::kDouble).round().to(at::kLong));
  const auto third = (at::arange(idx.numel(), at::kLong) % 3 == 2).logical_and(at::arange(idx.numel(), at::kLong) < 3 * g.validation);
  auto train = idx.index({third.logical_not()}), val = idx.index({third});
  if (train.numel() > g.faces) train = train.narrow(0, 0, g.faces);
  return {train, val};
}

// DirectionOptions::guide: each direction the guide names (and `guided` asks for) refined against
// it on training faces outside the range sample, spread through the set, the hold chosen on other
// such faces (choose_guided); the ranges are then measured on faces it was not refined on. With
// guide_at_ends, each is refined at its fitted direction's range ends (already in `attributes`).
void guide_directions(Glow& glow, const Dataset& data, const std::vector<int64_t>& kept, const std::vector<size_t>& guided,
                      int64_t sample, const DirectionOptions& o, Work& work, std::vector<at::Tensor>& dirs,
                      std::vector<Attribute>& attributes) {
  const int64_t n = data.size();
  const int64_t from = n - sample >= 2 ? sample : 0;
  for (size_t j : guided) {
    const auto& name = attributes[j].name;
    const auto target = std::find(o.guide.attributes.begin(), o.guide.attributes.end(), name) - o.guide.attributes.begin();
    Guide g = o.guide;
    if (o.guide_at_ends) g.add_strength = attributes[j].range_max, g.remove_strength = -attributes[j].range_min;
    const auto lab = data.labels.narrow(0, from, n - from).select(1, kept[j]);
    const auto [tl, vl] = split_guide_faces((lab < 0).nonzero().flatten() + from, g);
    const auto [th, vh] = split_guide_faces((lab > 0).nonzero().flatten() + from, g);
    if (tl.numel() == 0 || th.numel() == 0) {
      if (o.warn) o.warn(name + ": not refined by the guide (no training faces of one class outside the range sample)");
      work.advance(work.guide_share);
      continue;
    }
    auto encode = [&](const at::Tensor& idx, at::Tensor& x_out) {
      std::vector<at::Tensor> eps, xs;
      for (int64_t i = 0; i < idx.numel(); i += kBatch) {
        const auto x = model_input(glow, data.images.index_select(0, idx.narrow(0, i, std::min(kBatch, idx.numel() - i))));
        eps.push_back(encode_batch(glow, x));
        xs.push_back(x.cpu());
      }
      x_out = xs.empty() ? at::Tensor() : at::cat(xs);
      return eps.empty() ? at::Tensor() : at::cat(eps);
    };
    work.stage("refining " + name + " against the guide");
    GuideFaces train, validation;
    train.lacking = encode(tl, train.lacking_x), train.having = encode(th, train.having_x);
    validation.lacking = encode(vl, validation.lacking_x), validation.having = encode(vh, validation.having_x);
    const double start = work.done;
    const auto r = choose_guided(glow, g, target, dirs[j], train, validation, static_cast<std::uint64_t>(kept[j]),
                                 [&](double f) { return work.reach(start + f * work.guide_share, /*throwing=*/false); });
    work.reach(start + work.guide_share);
    if (o.note) {
      char what[96], text[600];
      if (r.refined) std::snprintf(what, sizeof what, "refined by the guide at hold %g", r.hold);
      else std::snprintf(what, sizeof what, "the fitted direction kept (the %s reads no refinement better)", g.check ? "check" : "guide");
      const auto& b = r.before;
      const auto& a = r.after;
      const std::string reader = g.check ? "the check (" + g.check_name + ")" : "it";
      std::snprintf(text, sizeof text,
                    "%s: %s; on %lld + %lld other training faces at %+.2f / %+.2f %s reads the attribute added on "
                    "%.0f%% -> %.0f%%, removed on %.0f%% -> %.0f%%, the others moving %.3f -> %.3f; moved %.2f of its length",
                    name.c_str(), what, static_cast<long long>(vl.numel()), static_cast<long long>(vh.numel()), g.add_strength,
                    -g.remove_strength, reader.c_str(), 100 * b.add, 100 * a.add, 100 * b.remove, 100 * a.remove, b.others, a.others, r.moved);
      o.note(text);
    }
    if (r.refined) {
      dirs[j] = r.direction;
      attributes[j].guide = g.name;
    }
  }
}

// Recommended ranges from the decoder's response (second pass over the first `sample` faces): the
// strength at which kRangeQuantile of the faces lacking (having) the attribute are decoded to an
// image sitting where the faces having (lacking) it sit on average, along the pixel-space axis
// mean image(having) - mean image(lacking), then brought in where more than o.max_unfit of all
// the sampled faces decode unfit. A position along the latent direction is not enough: there the
// edit "arrives" at strength 1 by construction, while the decoded face often still shows too
// little of the attribute. Only the attributes `which` (indices into kept).
void recommend_ranges(Glow& glow, const Dataset& data, const Sums& s, const std::vector<int64_t>& kept,
                      const std::vector<at::Tensor>& dirs, const std::vector<size_t>& which, int64_t sample,
                      const DirectionOptions& o, Work& work, std::vector<Attribute>& attributes) {
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < sample; i += kBatch) {
    parts.push_back(encode_batch(glow, model_input(glow, data.images.narrow(0, i, std::min(kBatch, sample - i)))));
  }
  const auto eps = at::cat(parts);
  const auto base = decode_batches(glow, eps);
  for (size_t j : which) {
    const auto k = kept[j];
    const auto mean_pos = s.pix_pos[k] / s.cnt_pos[k], mean_neg = s.pix_neg[k] / s.cnt_neg[k];
    const auto axis = mean_pos - mean_neg;
    const double target_pos = mean_pos.dot(axis).item<double>() / axis.dot(axis).item<double>();
    const double target_neg = mean_neg.dot(axis).item<double>() / axis.dot(axis).item<double>();
    const auto lab = data.labels.narrow(0, 0, sample).select(1, k);
    RangeAsk ask{dirs[j], axis, target_pos, target_neg, (lab < 0).nonzero().flatten(), (lab > 0).nonzero().flatten(), o.max_range, o.max_unfit};
    std::tie(attributes[j].range_min, attributes[j].range_max) = recommend_range(glow, eps, base, ask);
    work.advance(kRangeWork * static_cast<double>(sample));
  }
}

}  // namespace

at::Tensor project_off(const at::Tensor& d, const at::Tensor& kept) {
  if (!kept.defined() || kept.size(1) == 0) return d;
  const auto gram = kept.t().matmul(kept);
  const auto coef = at::linalg_solve(gram, kept.t().matmul(d.unsqueeze(1)));
  return d - kept.matmul(coef).squeeze(1);
}

Directions compute_directions(Glow& glow, const Dataset& all, const DirectionOptions& o) {
  const Dataset data = fully_labelled(all, o);
  const int64_t n = data.size();
  const int64_t a = static_cast<int64_t>(data.attribute_names.size());
  if (n == 0 || a == 0) throw Error(ErrorKind::InvalidArgument, data.source + ": no labelled images");
  if (o.method != "mean" && o.method != "regression") {
    throw Error(ErrorKind::InvalidArgument, "unknown direction method '" + o.method + "' (mean or regression)");
  }
  c10::InferenceMode guard;
  const int64_t sample = std::min(n, std::max<int64_t>(o.range_sample, 0));
  auto listed = [](const std::vector<std::string>& list, const std::string& name) {
    return list.empty() || std::find(list.begin(), list.end(), name) != list.end();
  };
  auto is_guided = [&](const std::string& name) {
    return o.guide.logits && listed(o.guided, name) &&
           std::find(o.guide.attributes.begin(), o.guide.attributes.end(), name) != o.guide.attributes.end();
  };
  // --only: what it names must be there (or Age, which age_direction fits), said before the long
  // encoding pass.
  if (!o.only.empty() && !listed(o.only, "Age") &&
      std::none_of(o.only.begin(), o.only.end(), [&](const std::string& name) { return listed(data.attribute_names, name); })) {
    throw Error(ErrorKind::InvalidArgument, "none of the attributes asked for (" + join(o.only, ", ") + ") is labelled in " + data.source);
  }
  for (const auto& name : o.only) {
    if (!listed(data.attribute_names, name) && name != "Age" && o.warn) o.warn(name + ": no such attribute in " + data.source + " (--only)");
  }
  for (const auto& name : o.guided) {
    const bool known = std::find(data.attribute_names.begin(), data.attribute_names.end(), name) != data.attribute_names.end();
    const bool guide_knows = std::find(o.guide.attributes.begin(), o.guide.attributes.end(), name) != o.guide.attributes.end();
    if ((!known || !guide_knows || !listed(o.only, name)) && o.warn) {
      o.warn(name + ": not refined by the guide (" + (!known ? "no such attribute fitted" : !guide_knows ? "the guide has no such output" : "not among --only") + ")");
    }
  }
  // The work ahead (Work), as far as the names tell before the fit.
  Work work{o};
  work.guide_share = static_cast<double>(std::max<size_t>(o.guide.holds.size(), 1)) * o.guide.steps * static_cast<double>(o.guide.batch) / 2.0;
  auto plan = [&](size_t selected, size_t guided) {
    work.total = static_cast<double>(n) + static_cast<double>(guided) * work.guide_share +
                 kRangeWork * static_cast<double>(sample) * static_cast<double>(selected + (o.guide_at_ends ? guided : 0));
  };
  {
    size_t selected = 0, guided = 0;
    for (const auto& name : data.attribute_names) selected += listed(o.only, name), guided += listed(o.only, name) && is_guided(name);
    plan(selected, guided);
  }
  work.stage("encoding");
  const Sums s = accumulate(glow, data, work);
  const at::Tensor coef = o.method == "regression" ? regression_coefficients(s, o.ridge) : at::Tensor();
  Directions out;
  std::vector<int64_t> kept;
  std::vector<at::Tensor> dirs;
  for (int64_t k = 0; k < a; ++k) {
    const double np = s.cnt_pos[k].item<double>(), nn = s.cnt_neg[k].item<double>();
    if (np == 0 || nn == 0) {
      if (o.warn) o.warn("attribute " + data.attribute_names[static_cast<size_t>(k)] + " has no " + (np == 0 ? "positives" : "negatives") + ": skipped");
      continue;
    }
    Attribute attr;
    attr.name = data.attribute_names[static_cast<size_t>(k)];
    attr.positives = static_cast<int64_t>(np);
    attr.negatives = static_cast<int64_t>(nn);
    out.attributes.push_back(attr);
    dirs.push_back(o.method == "regression" ? coef[k + 1].clone() : s.eps_pos[k] / np - s.eps_neg[k] / nn);
    kept.push_back(k);
  }
  if (o.shrink_levels && !kept.empty()) {
    const auto [factor, var] = direction_noise(s, coef, o.ridge, kept, n);
    shrink_levels(glow, factor, var, dirs, out.attributes);
  }
  if (o.condition > 0 && !kept.empty()) condition_directions(s, kept, o.condition, dirs, out.attributes);
  if (o.finest_level > 0) zero_finer_levels(glow, o.finest_level, dirs);
  // --only: the fit above is the same whatever is asked (all attributes jointly); what follows,
  // and what is returned, is the named attributes' alone.
  if (!o.only.empty()) {
    std::vector<int64_t> k2;
    std::vector<at::Tensor> d2;
    std::vector<Attribute> a2;
    for (size_t j = 0; j < kept.size(); ++j) {
      if (!listed(o.only, out.attributes[j].name)) continue;
      k2.push_back(kept[j]), d2.push_back(dirs[j]), a2.push_back(out.attributes[j]);
    }
    kept = std::move(k2), dirs = std::move(d2), out.attributes = std::move(a2);
  }
  std::vector<size_t> every, guided;
  for (size_t j = 0; j < kept.size(); ++j) {
    every.push_back(j);
    if (is_guided(out.attributes[j].name)) guided.push_back(j);
  }
  plan(every.size(), guided.size());
  if (!guided.empty()) {
    if (o.guide_at_ends && sample > 0) {
      work.stage("ranges of the fitted directions to refine");
      recommend_ranges(glow, data, s, kept, dirs, guided, sample, o, work, out.attributes);
    }
    guide_directions(glow, data, kept, guided, sample, o, work, dirs, out.attributes);
    if (o.finest_level > 0) zero_finer_levels(glow, o.finest_level, dirs);
  }
  if (sample > 0 && !kept.empty()) {
    work.stage("ranges");
    recommend_ranges(glow, data, s, kept, dirs, every, sample, o, work, out.attributes);
  } else {
    for (auto& attr : out.attributes) { attr.range_min = -1.5; attr.range_max = 1.5; }
  }
  for (auto& dd : dirs) out.directions.push_back(dd.to(at::kFloat));
  return out;
}

}  // namespace glowlab
