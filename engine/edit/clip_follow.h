// Internal to the clip editor (edit/clip.cpp): one face followed through a clip's frames and
// framed onto a model's framing. dlib's detector every fifth frame and its landmark predictor in
// between; the face chosen once and never swapped for another person; the landmarks smoothed over
// time (One Euro); the crop fitted on the eyes and mouth corners (docs/video.md).
#pragma once

#include <memory>
#include <vector>

#include "vision/face_align.h"

namespace glowlab {

class ClipFaceTracker {
 public:
  // `face`: which face, by size on the first frame with a face (0: the largest); lost for more than
  // `forget` frames, it is chosen by size again. `framing`: the model's (empty: the detector's box
  // on every frame, not followed); `size`: the crop's side; `smooth`: the landmarks smoothed.
  ClipFaceTracker(int face, int forget, std::vector<double> framing, int size, bool smooth);
  ~ClipFaceTracker();
  ClipFaceTracker(const ClipFaceTracker&) = delete;
  ClipFaceTracker& operator=(const ClipFaceTracker&) = delete;
  // The next frame's face (`dt` seconds after the last): its crop, or an empty one (face_found false).
  FaceCrop next(const Image& frame, double dt);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glowlab
