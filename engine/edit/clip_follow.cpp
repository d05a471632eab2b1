#include "edit/clip_follow.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "core/error.h"

namespace glowlab {
namespace {

// The One Euro filter (Casiez, Roussel, Vogel 2012) of one coordinate: a low-pass whose cutoff
// rises with the speed, so a still head's landmarks stop jittering and a moving one lags little.
class OneEuro {
 public:
  double filter(double x, double dt) {
    if (!started_) {
      started_ = true;
      x_ = x;
      return x;
    }
    const double dx = (x - x_) / dt;
    dx_ += alpha(kDerivativeCutoff, dt) * (dx - dx_);
    const double cutoff = kMinCutoff + kBeta * std::abs(dx_);
    x_ += alpha(cutoff, dt) * (x - x_);
    return x_;
  }
  void reset() {
    started_ = false;
    dx_ = 0.0;
  }

 private:
  static constexpr double kMinCutoff = 1.0;  // Hz
  // Chosen on glowlab-bench-clip's panned and zoomed astronaut (docs/video.md): beta 0.04 cuts the
  // crop's shake by 44% at a slow pan and adds about half a pixel of lag at three times the speed
  // (0.02 smooths a little more and lags 1.8 px more there).
  static constexpr double kBeta = 0.04;      // per pixel a second
  static constexpr double kDerivativeCutoff = 1.0;
  static double alpha(double cutoff, double dt) { return 1.0 / (1.0 + 1.0 / (2.0 * M_PI * cutoff * dt)); }
  bool started_ = false;
  double x_ = 0.0, dx_ = 0.0;
};

// Follows one face from frame to frame: dlib's detector (most of the time a frame takes) every
// kRedetect frames, and in between its shape predictor alone in the box carried along with the
// landmarks; again the detector when the face's size jumps (the predictor lost it). The face is
// chosen once, by size (`face`, 0: the largest) on the first frame with faces; at each detection
// after that it is the face nearest where the followed one was, of a like size, or none (another
// person is never taken for it). Lost for more than `forget` frames, it is chosen again by size.
class FaceFollower {
 public:
  FaceFollower(int face, int forget) : face_(face), forget_(forget) {}
  // `followed` says whether the predictor alone found them (the detector did not run).
  bool landmarks(const Image& frame, std::array<double, 10>& points, bool& followed) {
    followed = false;
    if (have_ && since_detect_ + 1 < kRedetect) {
      std::array<int, 4> box = box_;
      const auto c = centroid(last_);
      box[0] = static_cast<int>(std::lround(c[0] + offset_[0] - box[2] / 2.0));
      box[1] = static_cast<int>(std::lround(c[1] + offset_[1] - box[3] / 2.0));
      std::string why;
      if (follow_face_landmarks(frame, box, points, why) && std::abs(eyes(points) / eyes_ - 1.0) < 0.25) {
        ++since_detect_;
        last_ = points;
        followed = true;
        return true;
      }
    }
    have_ = detect(frame, points);
    if (!have_) {
      if (known_ && ++lost_ > forget_) known_ = false;
      return false;
    }
    known_ = true;
    lost_ = 0;
    since_detect_ = 0;
    last_ = points;
    eyes_ = std::max(1.0, eyes(points));
    const auto c = centroid(points);
    offset_ = {box_[0] + box_[2] / 2.0 - c[0], box_[1] + box_[3] / 2.0 - c[1]};
    return true;
  }
  // The next frame runs the detector (the followed face may have gone).
  void redetect() { have_ = false; }

 private:
  static constexpr int kRedetect = 5;
  // The followed face among the detector's: its landmarks and box; false when it is not there.
  bool detect(const Image& frame, std::array<double, 10>& points) {
    const int side = std::min(640, std::max(frame.width, frame.height));  // no enlarging: it finds little more
    std::vector<std::array<int, 4>> boxes;
    std::string why;
    if (!find_face_landmarks(frame, points, why, side, &boxes)) return false;
    int pick = -1;
    if (!known_) {
      if (face_ < static_cast<int>(boxes.size())) pick = face_;
    } else {
      // Nearest to where the face was (its box's centre carried by the landmarks), within half the
      // box's side and of a size within 1.5 times.
      const auto c = centroid(last_);
      const double cx = c[0] + offset_[0], cy = c[1] + offset_[1];
      double best = 0.5 * box_[2];
      for (size_t i = 0; i < boxes.size(); ++i) {
        const auto& b = boxes[i];
        const double d = std::hypot(b[0] + b[2] / 2.0 - cx, b[1] + b[3] / 2.0 - cy);
        const double ratio = static_cast<double>(b[2]) / std::max(1, box_[2]);
        if (d <= best && ratio < 1.5 && ratio > 1 / 1.5) {
          best = d;
          pick = static_cast<int>(i);
        }
      }
    }
    if (pick < 0) return false;
    if (pick > 0 && !follow_face_landmarks(frame, boxes[static_cast<size_t>(pick)], points, why)) return false;
    box_ = boxes[static_cast<size_t>(pick)];
    return true;
  }
  static std::array<double, 2> centroid(const std::array<double, 10>& p) {
    std::array<double, 2> c{0, 0};
    for (int k = 0; k < 5; ++k) {
      c[0] += p[static_cast<size_t>(2 * k)] / 5;
      c[1] += p[static_cast<size_t>(2 * k + 1)] / 5;
    }
    return c;
  }
  static double eyes(const std::array<double, 10>& p) { return std::hypot(p[2] - p[0], p[3] - p[1]); }
  int face_ = 0, forget_ = 50;
  bool have_ = false;   // followed on the last frame: the predictor may follow it on this one
  bool known_ = false;  // which face is followed has been chosen
  int lost_ = 0;        // frames since it was last found
  int since_detect_ = 0;
  std::array<int, 4> box_{};
  std::array<double, 10> last_{};
  std::array<double, 2> offset_{};
  double eyes_ = 1.0;
};

// Mean absolute difference of two crops of one size, in 8-bit levels.
double mean_difference(const Image& a, const Image& b) {
  double sum = 0;
  for (size_t i = 0; i < a.bytes.size(); ++i) sum += std::abs(int(a.bytes[i]) - int(b.bytes[i]));
  return sum / std::max<size_t>(1, a.bytes.size());
}
constexpr double kLostFace = 30.0;  // levels: from one frame to the next a followed face's crop moves 4-14 (the astronaut panned and zoomed)

// Steadies a followed face's five landmarks: each smoothed over time (One Euro).
class Steadier {
 public:
  void reset() {
    for (auto& f : filters_) f.reset();
  }
  void apply(std::array<double, 10>& p, double dt) {
    for (size_t i = 0; i < p.size(); ++i) p[i] = filters_[i].filter(p[i], dt);
  }

 private:
  std::array<OneEuro, 10> filters_;
};

}  // namespace

struct ClipFaceTracker::Impl {
  Impl(int face_, int forget, std::vector<double> framing_, int size_, bool smooth_)
      : face(face_), framing(std::move(framing_)), size(size_), smooth(smooth_), follower(face_, forget) {}
  int face;
  std::vector<double> framing;
  int size;
  bool smooth;
  FaceFollower follower;
  Steadier steadier;
  FaceCrop previous;  // the last frame's crop, when it had a face
};

ClipFaceTracker::ClipFaceTracker(int face, int forget, std::vector<double> framing, int size, bool smooth)
    : impl_(std::make_unique<Impl>(face, forget, std::move(framing), size, smooth)) {}
ClipFaceTracker::~ClipFaceTracker() = default;

FaceCrop ClipFaceTracker::next(const Image& frame, double dt) {
  auto& follower = impl_->follower;
  auto& steadier = impl_->steadier;
  auto& previous = impl_->previous;
  const auto& framing = impl_->framing;
  const int size = impl_->size;
  if (framing.empty()) {  // the detector's box on every frame, by size (not followed)
    try {
      return align_face(frame, size, /*centre_fallback=*/false, "frame", {}, impl_->face);
    } catch (const Error&) {
      return {};
    }
  }
  std::array<double, 10> points{};
  bool followed = false;
  if (!follower.landmarks(frame, points, followed)) {
    steadier.reset();
    previous.crop = {};
    return {};
  }
  // The predictor finds a "face" in any box: a followed face whose crop no longer looks like the
  // last one (a cut, the face gone) is looked for again by the detector.
  if (followed && !previous.crop.empty() &&
      mean_difference(crop_with_transform(frame, size, landmark_transform(points, framing, size, /*with_nose=*/false)).crop, previous.crop) > kLostFace) {
    follower.redetect();
    if (!follower.landmarks(frame, points, followed)) {
      steadier.reset();
      previous.crop = {};
      return {};
    }
  }
  if (impl_->smooth) steadier.apply(points, dt);
  auto crop = crop_with_transform(frame, size, landmark_transform(points, framing, size, /*with_nose=*/false));
  crop.landmarks_used = true;
  crop.landmarks = points;
  crop.face_found = true;
  previous = crop;
  return crop;
}

}  // namespace glowlab
