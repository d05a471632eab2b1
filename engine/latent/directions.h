// Attribute directions: mean eps of positives minus mean eps of negatives over the whole latent.
#pragma once

#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "bundle/attribute.h"
#include "data/dataset.h"
#include "flow/glow.h"
#include "latent/guide.h"

namespace glowlab {

struct Directions {
  std::vector<Attribute> attributes;   // counts and recommended ranges filled in
  std::vector<at::Tensor> directions;  // [D] float each
};

struct DirectionOptions {
  std::string method = "regression";  // "mean" or "regression" (see below)
  double ridge = 1e-3;                // regression: ridge term relative to the mean label count
  int64_t range_sample = 256;          // faces used to choose the recommended ranges (6 decodes each per attribute)
  int finest_level = 0;                // directions are zero on latent levels finer than this
  // Per level, shrink each direction towards zero by the share of it that is sampling noise
  // (James-Stein: weight max(0, 1 - noise / |d_level|^2), noise from the fit's residual variance
  // and the attribute's label counts), recorded in Attribute::level_weights. Rare attributes' fine
  // levels, mostly noise, then stop painting it.
  bool shrink_levels = false;
  double max_range = 3.0;              // the recommended ranges' ends are at most this strength (at least 0.5)
  // ... and where at most this share of the range sample decodes unfit to show (unfit_decodes;
  // 1: no such limit): past it the guard would limit the edit on more faces than that.
  double max_unfit = 0.05;
  // InterFaceGAN's conditional edit, built into the direction: each direction projected off the
  // directions of the attributes whose training labels go with its own at |phi| >= condition
  // (0: none), recorded in Attribute::held_off.
  double condition = 0;
  // A classifier on decoded pixels that refines the directions of the attributes it names (all of
  // them, or those in `guided`) through the decoder (guide.h), after the fit and before the ranges;
  // with guide_at_ends, each at its fitted direction's own range ends (measured first), not at the
  // Guide's strengths.
  Guide guide;
  std::vector<std::string> guided;
  bool guide_at_ends = true;
  // Only these attributes are returned (ranges and the guide only for them; the fit is the same
  // joint one); empty: all.
  std::vector<std::string> only;
  // Age's calibration (age_direction): uint8 crops [N, C, S, S] -> years [N] read by an age
  // regressor (not the age judge that scores the slider); when set, a step's years are its reading
  // of the decoded faces, not their position along the pixels' age axis.
  std::function<at::Tensor(const at::Tensor&)> age_reader;
  std::function<bool(double)> progress;               // the whole job, 0..1
  std::function<void(const std::string&)> stage;      // what the job is doing now ("encoding", "ranges", ...)
  std::function<void(const std::string&)> warn;
  std::function<void(const std::string&)> note;  // what was measured on the way (a person may want to know)
};

// d projected off the span of the columns of `kept` [D, K] (float64): d - C (C^T C)^-1 C^T d (the
// window's Hold, and attributes --condition).
at::Tensor project_off(const at::Tensor& d, const at::Tensor& kept);

// Streams `data` through the encoder (exact, bin-centre input) in batches, accumulating per
// attribute the sums of eps over positives and negatives, and the normal equations of the joint
// linear model eps = b0 + sum_k a_k b_k (a_k = 1 when the face has attribute k): memory is
// independent of the dataset size.
// - "mean": d_k = mean eps of the faces having k - mean eps of those lacking it. Attributes that
//   go together (Male and No_Beard) leak into each other's directions.
// - "regression": d_k = b_k, the effect of attribute k with all the others held fixed (ridge
//   least squares, the intercept unpenalised).
// The recommended range is the decoder's answer, measured on up to `range_sample` faces: the
// strength at which 90% of the faces lacking (having) the attribute decode to images that sit at
// the positives' (negatives') mean along the pixel axis mean image(having) - mean image(lacking)
// (bisection on the strength; clamped to [0.5, max_range]; an unclean decode ends the range), then
// brought in (not below 0.5) until at most max_unfit of all those faces decode unfit to show there
// (unfit_decodes: not clean, black, or painting colour noise, as the guard finds): a slider's end
// is where an edit still looks like a photo on nearly every face, not where most faces break.
// Attributes with no positives or no negatives are skipped with a warning.
// Faces lacking any label (0, another source's attribute) are left out of the fit.
Directions compute_directions(Glow& glow, const Dataset& data, const DirectionOptions& options);

// Age in years (Dataset::ages, e.g. from UTKFace's names): the regression eps = b0 + b_age * age
// (+ b_male * male when the set labels Male), over the faces of known age; the direction is b_age,
// one year per unit (Attribute::unit "years"), its range as far as the ages seen (5 to 40 years
// each way). Nothing when fewer than 20 faces have an age.
// Calibrated on the decoder's response, as the ranges are: the same regression on the pixels gives
// the pixels' change per year; a 20-year step of b_age each way, decoded on up to range_sample
// faces spread over the ages (each step towards an age within kAgeEditYoungest..kAgeEditOldest),
// moves them less far along it than 20 years (a noisy label's fit is attenuated), so the direction
// is scaled until one unit moves the decoded faces one year along it on average (by 1 to 4 times;
// `note` says by how much). With DirectionOptions::age_reader, the years are that regressor's
// reading of the decoded faces instead.
std::optional<std::pair<Attribute, at::Tensor>> age_direction(Glow& glow, const Dataset& data, const DirectionOptions& options);

}  // namespace glowlab
