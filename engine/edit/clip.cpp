#include "edit/clip.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <vector>

#ifdef GLOWLAB_HAVE_OPENCV
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#endif

#include "core/atomic_file.h"
#include "core/error.h"
#include "glowlab.h"
#include "vision/animation.h"
#include "vision/face_align.h"
#include "vision/image_io.h"
#include "vision/video_mux.h"

namespace glowlab {
bool is_video_path(const std::string& path) {
  const std::string ext = lower_extension(path);
  return ext == ".mp4" || ext == ".mov" || ext == ".m4v" || ext == ".avi" || ext == ".mkv" || ext == ".webm";
}

namespace {
// A crop's centre and side in frame pixels, from its transform (frame -> crop).
std::array<double, 3> crop_place(const std::array<double, 6>& t, int size) {
  const double det = t[0] * t[4] - t[1] * t[3];
  const double q = size / 2.0 - 0.5;  // the crop's centre, a pixel centre
  const double u = q - t[2], v = q - t[5];
  return {(t[4] * u - t[1] * v) / det, (-t[3] * u + t[0] * v) / det, size / std::sqrt(std::abs(det))};
}
bool placed(const std::array<double, 6>& t) { return t[0] * t[4] - t[1] * t[3] != 0.0; }
}  // namespace

TrackSteadiness track_steadiness(const std::vector<std::array<double, 6>>& measured, const std::vector<std::array<double, 6>>& ideal,
                                 int size) {
  TrackSteadiness s;
  std::vector<std::array<double, 3>> error;
  std::vector<bool> have;
  for (size_t i = 0; i < std::min(measured.size(), ideal.size()); ++i) {
    have.push_back(placed(measured[i]) && placed(ideal[i]));
    if (!have.back()) {
      error.push_back({});
      continue;
    }
    const auto m = crop_place(measured[i], size), g = crop_place(ideal[i], size);
    error.push_back({m[0] - g[0], m[1] - g[1], m[2] - g[2]});
  }
  std::array<double, 3> mean{};
  for (size_t i = 0; i < error.size(); ++i) {
    if (!have[i]) continue;
    ++s.frames;
    for (int k = 0; k < 3; ++k) mean[static_cast<size_t>(k)] += error[i][static_cast<size_t>(k)];
  }
  if (s.frames == 0) return s;
  for (auto& m : mean) m /= s.frames;
  double change = 0;
  int steps = 0;
  for (size_t i = 0; i < error.size(); ++i) {
    if (!have[i]) continue;
    // The error averaged over five frames round this one (the shake averaged out): how far the
    // crop falls behind.
    std::array<double, 3> local{};
    int n = 0;
    for (size_t j = i >= 2 ? i - 2 : 0; j <= std::min(error.size() - 1, i + 2); ++j) {
      if (!have[j]) continue;
      ++n;
      for (int k = 0; k < 3; ++k) local[static_cast<size_t>(k)] += error[j][static_cast<size_t>(k)];
    }
    s.lag = std::max(s.lag, std::hypot(local[0] / n - mean[0], local[1] / n - mean[1], local[2] / n - mean[2]));
    if (i > 0 && have[i - 1]) {
      change += std::pow(std::hypot(error[i][0] - error[i - 1][0], error[i][1] - error[i - 1][1], error[i][2] - error[i - 1][2]), 2);
      ++steps;
    }
  }
  s.jitter = steps > 0 ? std::sqrt(change / steps) : 0.0;
  return s;
}

#ifndef GLOWLAB_HAVE_OPENCV
ClipPreview preview_clip(Model&, const std::string&, const ClipEditOptions&, int) {
  throw Error(ErrorKind::InvalidArgument, "editing a video needs OpenCV, which this build lacks");
}
ClipEditReport edit_clip(Model&, const std::string&, const std::string&, const ClipEditOptions&) {
  throw Error(ErrorKind::InvalidArgument, "editing a video needs OpenCV, which this build lacks");
}
#else
namespace {

constexpr int kMaxSide = 4096;

// Adds the seconds from its making to its end to `into`.
class Timed {
 public:
  explicit Timed(double& into) : into_(into), start_(std::chrono::steady_clock::now()) {}
  ~Timed() { into_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  double& into_;
  std::chrono::steady_clock::time_point start_;
};
constexpr double kAnalysisShare = 0.7;  // of the progress: finding, encoding and limiting every face

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

// OpenCV 4.6 turns a clip with a rotation flag the other way round from FFmpeg's tools and
// players (a phone's portrait clip came out upside down): its own turning is off, and frames are
// turned here by the flag as FFmpeg reads it (display_rotation).
cv::VideoCapture open_clip(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw Error(ErrorKind::Io, path + ": no such file");
  const auto level = cv::utils::logging::getLogLevel();
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  cv::VideoCapture cap(path, cv::CAP_FFMPEG);  // FFmpeg alone: no camera backends probed
  cv::utils::logging::setLogLevel(level);
  if (!cap.isOpened()) throw Error(ErrorKind::Format, path + ": not a video this build can read (or cut short: its index is missing)");
  cap.set(cv::CAP_PROP_ORIENTATION_AUTO, 0);
  return cap;
}

Image to_image(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  Image im{rgb.cols, rgb.rows, 3, std::vector<std::uint8_t>(static_cast<size_t>(rgb.cols) * rgb.rows * 3)};
  for (int y = 0; y < rgb.rows; ++y) std::copy_n(rgb.ptr<std::uint8_t>(y), rgb.cols * 3, im.bytes.data() + static_cast<size_t>(y) * rgb.cols * 3);
  return im;
}

// What the first pass keeps of a frame: where its face is and, when the guard let the edit
// through whole, its render (12 KB at 64 px), which the second pass reuses. Not the latent (48 KB):
// a frame that needs another strength (a fade, a limited clip) is encoded again from the same
// pixels in the second pass, so a long clip does not hold every frame's latent.
struct FrameFace {
  bool found = false;
  std::array<double, 6> transform{};
  Image edited;
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


// A clip's crop: the similarity that takes the eyes and the mouth corners onto the model's framing,
// without the nose tip, which dlib's predictor moves most from frame to frame (on a still drawn
// head its spread was 1.3 px, the others' 0.3-1.2) and with the mouth (17 px when it opened): the
// crop shakes less and strays less with the expression (docs/video.md). A photo's crop uses all
// five (align_to_landmarks); the two differ by a fraction of a pixel at the model's size.
std::array<double, 6> video_fit(const std::array<double, 10>& points, const std::vector<double>& framing, int size) {
  std::vector<double> from, to;
  for (size_t k : {0, 1, 3, 4}) {  // eyes, mouth corners
    for (size_t c = 0; c < 2; ++c) {
      from.push_back(points[2 * k + c]);
      to.push_back(framing[2 * k + c] * size - 0.5);  // fractions -> pixel centres, as align_to_landmarks
    }
  }
  return similarity_transform(from, to);
}

// The face of one frame: landmarks (followed, smoothed) onto the model's framing, or, for a model
// without one, the detector's box; none found: an empty crop.
FaceCrop frame_face(Model& model, const Image& frame, FaceFollower& follower, FaceCrop& previous,
                    Steadier& steadier, double dt, bool smooth, int face) {
  const int size = model.config().image_size;
  if (model.framing().empty()) {  // the detector's box on every frame, by size (not followed)
    try {
      return align_face(frame, size, /*centre_fallback=*/false, "frame", {}, face);
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
      mean_difference(crop_with_transform(frame, size, video_fit(points, model.framing(), size)).crop, previous.crop) > kLostFace) {
    follower.redetect();
    if (!follower.landmarks(frame, points, followed)) {
      steadier.reset();
      previous.crop = {};
      return {};
    }
  }
  if (smooth) {
    steadier.apply(points, dt);
  }
  auto crop = crop_with_transform(frame, size, video_fit(points, model.framing(), size));
  crop.landmarks_used = true;
  crop.landmarks = points;
  crop.face_found = true;
  previous = crop;
  return crop;
}

// A clip's size and frame rate as its container says them; too large a clip is refused.
struct ClipShape {
  int width = 0, height = 0;  // as shown (turned by `rotation`)
  int rotation = 0;           // degrees clockwise each stored frame is turned to be shown
  double fps = 25.0;
  double frames = 1.0;  // as the container says (an estimate)
};
ClipShape clip_shape(cv::VideoCapture& cap, const std::string& input) {
  ClipShape c;
  c.width = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_WIDTH));
  c.height = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_HEIGHT));
  c.rotation = display_rotation(input);
  if (c.rotation == 90 || c.rotation == 270) std::swap(c.width, c.height);
  if (c.width > kMaxSide || c.height > kMaxSide) {
    throw Error(ErrorKind::InvalidArgument, input + ": " + std::to_string(c.width) + "x" + std::to_string(c.height) +
                                                " is larger than the " + std::to_string(kMaxSide) + " pixels a side clips are edited at");
  }
  c.fps = cap.get(cv::CAP_PROP_FPS);
  if (!(c.fps > 0.0 && c.fps <= 1000.0)) c.fps = 25.0;  // a stream that does not say
  c.frames = std::max(1.0, cap.get(cv::CAP_PROP_FRAME_COUNT));
  return c;
}

// The next frame as RGB; false at the end. Throws Error naming the clip for a frame of another
// size or not in colour (`index` counts from 0).
bool read_frame(cv::VideoCapture& cap, const ClipShape& shape, const std::string& input, size_t index, Image& frame) {
  thread_local cv::Mat bgr, turned;
  if (!cap.read(bgr)) return false;
  if (shape.rotation != 0) {
    cv::rotate(bgr, turned, shape.rotation == 90 ? cv::ROTATE_90_CLOCKWISE : shape.rotation == 180 ? cv::ROTATE_180 : cv::ROTATE_90_COUNTERCLOCKWISE);
    std::swap(bgr, turned);
  }
  if (bgr.cols != shape.width || bgr.rows != shape.height || bgr.type() != CV_8UC3) {
    throw Error(ErrorKind::Format, input + ": frame " + std::to_string(index + 1) + " is not of the clip's size or a colour frame");
  }
  frame = to_image(bgr);
  return true;
}

Alphas moved_sliders(const SliderEdit& edit) {
  Alphas moved;
  for (const auto& a : edit.alphas) {
    if (a.second != 0.0) moved.push_back(a);
  }
  return moved;
}

void check_options(const ClipEditOptions& o) {
  if (o.face < 0) throw Error(ErrorKind::InvalidArgument, "the face to edit in a clip is counted from 1");
}

}  // namespace

ClipPreview preview_clip(Model& model, const std::string& input, const ClipEditOptions& o, int search) {
  check_options(o);
  ClipPreview p;
  auto cap = open_clip(input);
  const ClipShape shape = clip_shape(cap, input);
  p.width = shape.width;
  p.height = shape.height;
  p.fps = shape.fps;
  p.frames = static_cast<int>(std::lround(shape.frames));
  const int size = model.config().image_size;
  Image frame;
  FaceCrop crop;
  for (int i = 0; i < std::max(1, search) && read_frame(cap, shape, input, static_cast<size_t>(i), frame); ++i) {
    if (i == 0) p.frame = frame;
    try {
      crop = align_face(frame, size, /*centre_fallback=*/false, input, model.framing(), 0);
    } catch (const Error&) {
      continue;  // no face here
    }
    p.frame_index = i;
    p.frame = frame;
    p.faces = crop.boxes;
    break;
  }
  if (p.frame.empty()) throw Error(ErrorKind::Format, input + ": the video has no frame that can be read");
  p.edited = p.frame;
  if (p.faces.empty() || o.face >= static_cast<int>(p.faces.size())) return p;
  if (o.face > 0) crop = align_face(p.frame, size, false, input, model.framing(), o.face);
  // Framed as the run frames this frame (video_fit), not as a photo is.
  if (crop.landmarks_used) crop = crop_with_transform(p.frame, size, video_fit(crop.landmarks, model.framing(), size));
  p.edited_face = true;
  const Alphas moved = moved_sliders(o.edit);
  if (moved.empty()) return p;
  const auto latent = model.encode(crop.crop);
  auto g = model.decode_guarded(latent, model.edit(latent, moved, o.edit.finest_level, o.edit.locked));
  p.strength = g.strength;
  p.edited = paste_change(p.frame, g.image, model.quantized(crop.crop), crop);
  return p;
}

ClipEditReport edit_clip(Model& model, const std::string& input, const std::string& output, const ClipEditOptions& o) {
  check_options(o);
  ClipEditReport report;
  auto cap = open_clip(input);
  const ClipShape shape = clip_shape(cap, input);
  report.width = shape.width;
  report.height = shape.height;
  report.fps = shape.fps;
  const double expected = shape.frames;
  const double dt = 1.0 / report.fps;
  auto tell = [&](double fraction) {
    if (o.progress && !o.progress(std::min(1.0, fraction))) throw Error(ErrorKind::Cancelled, "cancelled: " + output + " was not written");
  };

  // First pass: each frame's face, latent and the strength the guard allows its edit.
  std::vector<FrameFace> faces;
  Steadier steadier;
  FaceFollower follower(o.face, static_cast<int>(std::lround(2 * report.fps)));
  FaceCrop previous;  // the last frame's crop, when it had a face
  const Alphas moved = moved_sliders(o.edit);
  auto& t = report.seconds;
  for (;;) {
    Image frame;
    {
      Timed timed(t.read);
      if (!read_frame(cap, shape, input, faces.size(), frame)) break;
    }
    FaceCrop crop;
    {
      Timed timed(t.landmarks);
      crop = frame_face(model, frame, follower, previous, steadier, dt, o.smooth, o.face);
    }
    FrameFace f;
    if (crop.face_found) {
      f.found = true;
      f.transform = crop.transform;
      std::vector<float> latent;
      {
        Timed timed(t.encode);
        latent = model.encode(crop.crop);
      }
      ++report.frames_with_face;
      if (!moved.empty()) {
        // Only the least strength over the clip matters: a frame clean in full keeps its render; one
        // that is not but is clean at the clip's strength so far changes nothing (two decodes); only
        // a frame below that is searched, between 0 and it (the guard's own bisection).
        Timed timed(t.guard);
        const auto target = model.edit(latent, moved, o.edit.finest_level, o.edit.locked);
        auto full = model.check_decode(target, &latent);
        if (full.clean) {
          f.edited = std::move(full.image);
        } else {
          const double so_far = report.strength;
          std::vector<float> capped(target.size());
          for (size_t k = 0; k < capped.size(); ++k) capped[k] = static_cast<float>(latent[k] + so_far * (target[k] - latent[k]));
          const bool clean_so_far = so_far < 1.0 && model.check_decode(capped, &latent).clean;
          if (!clean_so_far) report.strength = so_far * model.decode_guarded(latent, capped).strength;
        }
      }
    }
    report.transforms.push_back(f.found ? f.transform : std::array<double, 6>{});
    faces.push_back(std::move(f));
    tell(kAnalysisShare * faces.size() / std::max(expected, static_cast<double>(faces.size())));
  }
  report.frames = static_cast<int>(faces.size());
  if (report.frames == 0) throw Error(ErrorKind::Format, input + ": the video has no frame that can be read");

  // The edit's weight per frame: 1, fading to 0 over fade_frames towards a frame without a face.
  std::vector<double> weight(faces.size(), 1.0);
  const int fade = std::max(0, o.fade_frames);
  for (size_t i = 0; i < faces.size(); ++i) {
    if (!faces[i].found) {
      weight[i] = 0.0;
      continue;
    }
    for (int d = 1; d <= fade; ++d) {
      const bool before = i >= static_cast<size_t>(d) && !faces[i - d].found;
      const bool after = i + d < faces.size() && !faces[i + d].found;
      if (before || after) {
        weight[i] = std::min(weight[i], static_cast<double>(d) / (fade + 1));
        break;
      }
    }
  }

  // Second pass: each frame again, its change pasted back, written as it comes.
  cap = open_clip(input);
  const int size = model.config().image_size;
  write_atomically(output, ".mp4", [&](const std::string& tmp) {
    // OpenCV's writer keeps neither sound nor timestamps: the pictures go to a second temporary
    // file beside, then into `tmp` with the source's sound and frame times (video_mux.h).
    const std::string pictures = tmp + ".frames.mp4";
    struct Remove {
      std::string path;
      ~Remove() { std::filesystem::remove(path); }
    } remove{pictures};
    Mp4Writer writer(pictures, output, report.width, report.height, report.fps);
    report.codec = writer.codec();
    for (size_t i = 0; i < faces.size(); ++i) {
      Image frame;
      {
        Timed timed(t.read);
        if (!read_frame(cap, shape, input, i, frame)) throw Error(ErrorKind::Format, input + ": frame " + std::to_string(i + 1) + " could not be read again");
      }
      const double s = report.strength * weight[i];
      if (faces[i].found && s > 0.0 && !moved.empty()) {
        const FaceCrop crop = crop_with_transform(frame, size, faces[i].transform);  // the first pass's crop, exactly
        Image edited;
        if (s == 1.0 && !faces[i].edited.empty()) {
          edited = std::move(faces[i].edited);  // rendered and checked whole in the first pass
        } else {
          std::vector<float> base;
          {
            Timed timed(t.encode);
            base = model.encode(crop.crop);
          }
          Timed timed(t.render);
          const auto target = model.edit(base, moved, o.edit.finest_level, o.edit.locked);
          std::vector<float> mix(base.size());
          for (size_t k = 0; k < mix.size(); ++k) mix[k] = static_cast<float>(base[k] + s * (target[k] - base[k]));
          edited = model.decode_guarded(base, mix).image;
        }
        Timed timed(t.paste);
        frame = paste_change(frame, edited, model.quantized(crop.crop), crop);  // the unedited decode, exactly
      }
      Timed timed(t.write);
      writer.write(frame);
      tell(kAnalysisShare + (1.0 - kAnalysisShare) * (i + 1) / faces.size());
    }
    writer.close();
    Timed timed(t.write);
    const auto muxed = mux_with_source(pictures, input, tmp, output, report.frames);
    report.sound = muxed.sound;
    report.sound_note = muxed.sound_note;
    report.timing = muxed.timing;
  });
  return report;
}
#endif  // GLOWLAB_HAVE_OPENCV

}  // namespace glowlab
