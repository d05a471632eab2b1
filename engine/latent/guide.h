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
  // Reads the validation faces in choose_guided, with the same G outputs (empty: `logits`). A judge
  // the refinement was not fitted to reads a refinement as a referee will, its own quirks and all:
  // the guide reads its own refinement kindly (it was fitted to move the guide's outputs, not the
  // attribute), most of all its other outputs' change.
  std::function<at::Tensor(const at::Tensor&)> check;
  std::string check_name;
  int steps = 100;                      // steps of gradient descent per direction and hold
  int64_t batch = 16;                   // faces per step, half lacking the attribute, half having it
  int64_t faces = 128;                  // training faces of each class the direction is refined on
  int64_t validation = 64;              // further faces of each class that choose among the holds
  // The edits it is refined at (slider units): +add_strength on faces lacking the attribute,
  // -remove_strength on faces having it (compute_directions: the fitted direction's range ends).
  double add_strength = 2.0, remove_strength = 2.0;
  // Candidate weights of the other outputs' mean change against the named one's loss; each is tried
  // and the validation faces choose (choose_guided), the fitted direction itself among them.
  std::vector<double> holds{5.0};
  double anchor = 0.1;                  // weight of |d - d0|^2 / |d0|^2, which keeps it near the fitted direction
  // The guide reads each decode resampled by a small random similarity (scale 0.95-1.05, rotation
  // up to 3 degrees, shift up to 2 pixels, mirrored half the time; bilinear), as an exported edit is
  // pasted and framed again: a direction that moves the guide only through pixel-exact patterns
  // does not survive it. The figures use one fixed draw per face.
  bool jitter = true;
};

// Faces of the two classes: latents [N, D] and their images [N, C, S, S] in [-0.5, 0.5].
struct GuideFaces {
  at::Tensor lacking, having, lacking_x, having_x;
};

// What the guide says of a direction on a set of faces at the Guide's strengths: the shares of
// faces lacking (having) the attribute whose named output crosses 0.5 the asked way, and the other
// outputs' mean absolute change of probability.
struct GuideFigures {
  double add = 0, remove = 0, others = 0;
  // How far from the targets (add and remove >= 0.8, others <= 0.10) as the guide reads
  // them: the crossings' shortfall plus the others' excess, weighted 8 (the targets' ratio).
  double shortfall() const;
};

struct GuidedDirection {
  at::Tensor direction;        // [D] float, the refined direction (or the fitted one, kept)
  GuideFigures before, after;  // the fitted direction's figures and the chosen one's
  double moved = 0;            // |d - d0| / |d0|
  double hold = 0;             // the hold it was refined at
  bool refined = false;        // false: choose_guided kept the fitted direction
};

// Refines `d0` [D] for the guide's output `target` at one `hold`: minimises, over the faces
// lacking the attribute pushed by +add_strength * d and those having it by -remove_strength * d,
//   BCE(target output, the asked side) + hold * mean |p_other(edited) - p_other(photo)|
//   + anchor * |d - d0|^2 / |d0|^2
// by normalised gradient descent with momentum through the decoder. `glow` is not changed (its
// weights are copied, without gradients). The figures are on `faces`. Deterministic for `seed`.
GuidedDirection guide_direction(Glow& glow, const Guide& guide, int64_t target, const at::Tensor& d0, const GuideFaces& faces,
                                double hold, std::uint64_t seed, const std::function<bool(double)>& progress = {});

// Each of guide.holds refined on `train`, then the one whose figures on `validation` (faces it was
// not refined on, read by guide.check where there is one) have the smallest shortfall, the fitted direction itself among the candidates
// (ties: the smaller change of the others). A refinement that crosses on fewer validation faces
// than the fitted direction, by more than 0.1 either way, is not a candidate: holding the others
// must not cost the slider its own attribute. The figures returned are the validation faces'.
GuidedDirection choose_guided(Glow& glow, const Guide& guide, int64_t target, const at::Tensor& d0, const GuideFaces& train,
                              const GuideFaces& validation, std::uint64_t seed, const std::function<bool(double)>& progress = {});

}  // namespace glowlab
