// Face detection and alignment (OpenCV Haar cascades from Debian's opencv-data), and pasting an
// edited crop back into the original photo. Plain types only.
#pragma once

#include <array>
#include <string>

#include "core/image.h"

namespace glowlab {

struct FaceCrop {
  Image crop;                      // size x size, the model's framing
  std::array<double, 6> transform{};  // 2x3 affine, original pixel -> crop pixel (row-major)
  bool face_found = false;         // false: a centre crop was used instead
  bool eyes_levelled = false;      // both eyes found and the crop rotated to level them
};

// Finds the largest face and crops it to the model's framing (the synthetic faces': head filling
// the square, eyes a little above the middle). Throws Error(NoFace) naming `source` when no face
// is found, unless `centre_fallback` is set, in which case the centre square is used.
FaceCrop align_face(const Image& photo, int size, bool centre_fallback, const std::string& source);

// The crop that `transform` (original -> crop, as in FaceCrop) describes: re-applies a saved crop.
FaceCrop crop_with_transform(const Image& photo, int size, const std::array<double, 6>& transform);

// A centre square crop with its transform.
FaceCrop centre_crop(const Image& photo, int size);

// The original photo with `edited` (a crop made by `crop`) warped back into place and blended in
// with a feathered edge.
Image paste_back(const Image& original, const Image& edited, const FaceCrop& crop);

// Where the Haar cascades are looked for ($GLOWLAB_HAARCASCADES or opencv-data's folder).
std::string haarcascade_dir();

}  // namespace glowlab
