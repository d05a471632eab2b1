// Slider ranges from the decoder's response (compute_directions, directions.h): how far along a
// direction decoded faces must go to look like the other class, and where its edits start to
// paint garbage.
#pragma once

#include <cstdint>
#include <utility>

#include <ATen/ATen.h>

#include "flow/glow.h"

namespace glowlab {

constexpr int64_t kDecodeBatch = 32;  // faces decoded at once

// Position of decoded images along a pixel-space axis: x.axis / |axis|^2 per image; NaN where the
// decode is not clean (it cannot be said to sit anywhere).
at::Tensor pixel_position(Glow& glow, const at::Tensor& eps, const at::Tensor& axis);

// Decodes `eps` [N, D] (float64, CPU) in batches.
at::Tensor decode_batches(Glow& glow, const at::Tensor& eps);

// One attribute's question: its direction, the pixel-space axis mean image(having) - mean
// image(lacking) with both classes' mean positions along it, and which of the sampled faces lack
// and have it.
struct RangeAsk {
  at::Tensor direction, axis;
  double target_having = 0, target_lacking = 0;
  at::Tensor lacking, having;  // indices into the sampled faces
  double max_range = 3.0, max_unfit = 0.05;
};

// The recommended range (min, max) on the sampled faces `eps` [N, D] (their unedited decodes
// `base`): the strength at which 90% of the faces lacking (having) the attribute decode to an
// image sitting where the faces having (lacking) it sit on average along the axis (bisection;
// clamped to [0.5, max_range]; an unclean decode ends the road), then brought in (not below 0.5)
// until at most max_unfit of all the sampled faces decode unfit to show there (unfit_decodes). A
// position along the latent direction is not enough: there the edit "arrives" at strength 1 by
// construction, while the decoded face often still shows too little of the attribute.
std::pair<double, double> recommend_range(Glow& glow, const at::Tensor& eps, const at::Tensor& base, const RangeAsk& ask);

}  // namespace glowlab
