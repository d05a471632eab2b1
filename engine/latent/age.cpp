// Age in years (age_direction, directions.h): fitted on the faces of known age, calibrated on the
// decoder's response.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <c10/core/InferenceMode.h>

#include "core/error.h"
#include "data/pixels.h"
#include "latent/directions.h"
#include "latent/latents.h"
#include "latent/ranges.h"

namespace glowlab {
namespace {

constexpr int64_t kBatch = kDecodeBatch;
constexpr int64_t kMinAgedFaces = 20;  // an Age direction needs at least this many faces of known age

}  // namespace

std::optional<std::pair<Attribute, at::Tensor>> age_direction(Glow& glow, const Dataset& data, const DirectionOptions& o) {
  if (!data.ages.defined() || data.size() == 0) return std::nullopt;
  const auto known = at::isfinite(data.ages).nonzero().flatten();
  if (known.numel() < kMinAgedFaces) return std::nullopt;
  const auto male_col = std::find(data.attribute_names.begin(), data.attribute_names.end(), "Male") - data.attribute_names.begin();
  const bool has_male = male_col < static_cast<int64_t>(data.attribute_names.size());
  const int64_t d = glow->config().dimension(), n = known.numel();
  c10::InferenceMode guard;
  // Normal equations of eps = b0 + b_age * age + b_male * male (male in {-1, 0, +1}: 0 unknown),
  // so that the age direction is the effect of a year with gender held fixed.
  const int64_t p = has_male ? 3 : 2;
  auto gram = at::zeros({p, p}, at::kDouble), rhs = at::zeros({p, d}, at::kDouble), rhs_pix = at::zeros({p, d}, at::kDouble);
  double min_age = 1e9, max_age = -1e9;
  for (int64_t i = 0; i < n; i += kBatch) {
    const int64_t len = std::min(kBatch, n - i);
    const auto idx = known.narrow(0, i, len);
    const auto x = model_input(glow, data.images.index_select(0, idx));
    const auto eps = encode_batch(glow, x);
    const auto age = data.ages.index_select(0, idx).to(at::kDouble);
    min_age = std::min(min_age, age.min().item<double>());
    max_age = std::max(max_age, age.max().item<double>());
    std::vector<at::Tensor> cols{at::ones({len}, at::kDouble), age};
    if (has_male) cols.push_back(data.labels.index_select(0, idx).select(1, male_col).to(at::kDouble));
    const auto design = at::stack(cols, 1);
    gram.add_(design.t().matmul(design));
    rhs.add_(design.t().matmul(eps));
    rhs_pix.add_(design.t().matmul(x.flatten(1).to(at::kCPU, at::kDouble)));
    if (o.progress && !o.progress(static_cast<double>(i + len) / n)) throw Error(ErrorKind::Cancelled, "cancelled");
  }
  const auto regularised = gram + at::eye(p, at::kDouble) * 1e-6 * gram.diagonal().mean();
  const auto coef = at::linalg_solve(regularised, rhs);
  const auto pixels_per_year = at::linalg_solve(regularised, rhs_pix)[1];
  Attribute a;
  a.name = "Age";
  a.unit = "years";
  a.positives = n;  // faces of known age
  a.negatives = 0;
  // A slider of years: as far as the ages seen, at most 40 years either way.
  const double span = std::clamp(std::round((max_age - min_age) / 2.0), 5.0, 40.0);
  a.range_min = -span;
  a.range_max = span;
  auto dir = coef[1].clone();
  if (o.finest_level > 0) {
    std::vector<at::Tensor> one{dir};  // shares dir's storage: zeroed in place
    zero_finer_levels(glow, o.finest_level, one);
  }
  // The decoder's answer: how many years (along the pixels' age axis) a 20-year step moves decoded
  // faces, older and younger, on faces spread over every age (taken evenly through the faces of
  // known age, which a folder lists by age), each step asked only towards an age within
  // [kAgeEditYoungest, kAgeEditOldest]; faces whose edited decode is not clean do not count.
  const int64_t sample = std::min<int64_t>(n, std::max<int64_t>(o.range_sample, 0));
  // Where decoded faces sit in years (up to a constant): the age reader's reading, or the position
  // along the pixels' age axis; NaN where the decode is not clean.
  auto years_of = [&](const at::Tensor& e) {
    if (!o.age_reader) return pixel_position(glow, e, pixels_per_year);
    const auto x = glow->decode(glow->unflatten(e.to(glow->device(), at::kFloat)));
    const auto read = o.age_reader(to_pixels(x, glow->config().n_bits)).to(at::kCPU, at::kDouble);
    return at::where(clean_decodes(x.flatten(1).to(at::kCPU, at::kDouble), glow->config().n_bins()), read, at::full_like(read, std::nan("")));
  };
  if (sample > 0 && (o.age_reader || pixels_per_year.norm().item<double>() > 0)) {
    constexpr double kStep = 20.0;
    std::vector<int64_t> spread(static_cast<size_t>(sample));
    for (int64_t j = 0; j < sample; ++j) spread[static_cast<size_t>(j)] = j * n / sample;
    const auto picked = known.index_select(0, at::tensor(spread, at::kLong));
    double moved = 0;
    int64_t counted = 0;
    for (int64_t i = 0; i < sample; i += kBatch) {
      const auto idx = picked.narrow(0, i, std::min(kBatch, sample - i));
      const auto eps = encode_batch(glow, model_input(glow, data.images.index_select(0, idx)));
      const auto age = data.ages.index_select(0, idx).to(at::kDouble);
      const auto before = years_of(eps);
      for (double sign : {+1.0, -1.0}) {
        const auto after = years_of(eps + sign * kStep * dir.unsqueeze(0));
        const auto asked = age + sign * kStep;
        const auto ok = at::isfinite(after).logical_and(at::isfinite(before)).logical_and(asked >= kAgeEditYoungest).logical_and(asked <= kAgeEditOldest);
        moved += (sign * (after - before)).index({ok}).sum().item<double>();
        counted += ok.sum().item<int64_t>();
      }
    }
    const double years = counted ? moved / counted : 0.0;
    const double scale = years > 0 ? std::clamp(kStep / years, 1.0, 4.0) : 1.0;
    dir.mul_(scale);
    if (o.note) {
      char text[240];
      std::snprintf(text, sizeof text,
                    "Age: a 20-year step of the fitted direction moves decoded faces %.1f years %s (%lld steps, older "
                    "and younger); the direction is scaled by %.2f",
                    years, o.age_reader ? "as the age guide reads them" : "along the pixels' age axis",
                    static_cast<long long>(counted), scale);
      o.note(text);
    }
  }
  return std::make_pair(a, dir.to(at::kFloat));
}

}  // namespace glowlab
