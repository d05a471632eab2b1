// Attribute directions: mean eps of positives minus mean eps of negatives over the whole latent.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "bundle/attribute.h"
#include "data/dataset.h"
#include "flow/glow.h"

namespace glowlab {

struct Directions {
  std::vector<Attribute> attributes;   // counts and recommended ranges filled in
  std::vector<at::Tensor> directions;  // [D] float each
};

// Streams `data` through the encoder (exact, bin-centre input) in batches, accumulating per
// attribute the sums of eps over positives and negatives (memory independent of the dataset size).
// The recommended range covers the edit that takes 90% of the faces lacking (having) the
// attribute to the positives' (negatives') mean along the direction, measured on up to
// `range_sample` images. Attributes with no positives or no negatives are skipped with a warning.
Directions compute_directions(Glow& glow, const Dataset& data, int64_t range_sample,
                              const std::function<bool(double)>& progress,
                              const std::function<void(const std::string&)>& warn);

}  // namespace glowlab
