// Directions refined against a classifier on decoded pixels (issue 28, item 4: the Latent
// Transformer's recipe, target term and others held, with the flow's own decoder in the loop).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "flow/glow.h"

namespace glowlab {

struct Guide {
  // Float images [B, C, S, S] in [-0.5, 0.5] -> logits [B, G], differentiable in the images. Should
  // not be the referee that will score the sliders (attributes --guide: a second judge).
  std::function<at::Tensor(const at::Tensor&)> logits;
  std::vector<std::string> attributes;  // the G outputs' names
  std::string name;                     // recorded on each refined attribute (Attribute::guide)
  int steps = 100;                      // Adam steps per direction
  int64_t batch = 16;                   // faces per step, half lacking the attribute, half having it
  int64_t faces = 128;                  // training faces of each class the direction is refined on
  double strength = 2.0;                // the edit it is refined at, each way (slider units)
  double hold = 5.0;                    // weight of the other outputs' mean change against the named one's loss
  double anchor = 0.1;                  // weight of |d - d0|^2 / |d0|^2, which keeps it near the fitted direction
};

// What the guide says of one direction at Guide::strength on the faces it was refined on: the
// share of faces whose named output crosses 0.5 the asked way, and the other outputs' mean
// absolute change of probability.
struct GuideFigures {
  double flipped = 0, others = 0;
};

struct GuidedDirection {
  at::Tensor direction;        // [D] float, the refined direction
  GuideFigures before, after;  // the fitted direction's figures and the refined one's
  double moved = 0;            // |d - d0| / |d0|
};

// Refines `d0` [D] for the guide's output `target`: minimises, over faces lacking the attribute
// pushed by +strength * d and faces having it pushed by -strength * d (their latents `lacking`,
// `having` [N, D], their images `lacking_x`, `having_x` [N, C, S, S] in [-0.5, 0.5]),
//   BCE(target output, the asked side) + hold * mean |p_other(edited) - p_other(photo)|
//   + anchor * |d - d0|^2 / |d0|^2
// by Adam through the decoder. `glow` is not changed (its weights are copied, without gradients).
// Deterministic for a given `seed`.
GuidedDirection guide_direction(Glow& glow, const Guide& guide, int64_t target, const at::Tensor& d0, const at::Tensor& lacking,
                                const at::Tensor& having, const at::Tensor& lacking_x, const at::Tensor& having_x,
                                std::uint64_t seed, const std::function<bool(double)>& progress = {});

}  // namespace glowlab
