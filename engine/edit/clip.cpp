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

namespace glowlab {
bool is_video_path(const std::string& path) {
  const std::string ext = lower_extension(path);
  return ext == ".mp4" || ext == ".mov" || ext == ".m4v" || ext == ".avi" || ext == ".mkv" || ext == ".webm";
}

#ifndef GLOWLAB_HAVE_OPENCV
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
  static constexpr double kBeta = 0.02;      // per pixel a second
  static constexpr double kDerivativeCutoff = 1.0;
  static double alpha(double cutoff, double dt) { return 1.0 / (1.0 + 1.0 / (2.0 * M_PI * cutoff * dt)); }
  bool started_ = false;
  double x_ = 0.0, dx_ = 0.0;
};

cv::VideoCapture open_clip(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw Error(ErrorKind::Io, path + ": no such file");
  const auto level = cv::utils::logging::getLogLevel();
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  cv::VideoCapture cap(path, cv::CAP_FFMPEG);  // FFmpeg alone: no camera backends probed
  cv::utils::logging::setLogLevel(level);
  if (!cap.isOpened()) throw Error(ErrorKind::Format, path + ": not a video this build can read");
  return cap;
}

Image to_image(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  Image im{rgb.cols, rgb.rows, 3, std::vector<std::uint8_t>(static_cast<size_t>(rgb.cols) * rgb.rows * 3)};
  for (int y = 0; y < rgb.rows; ++y) std::copy_n(rgb.ptr<std::uint8_t>(y), rgb.cols * 3, im.bytes.data() + static_cast<size_t>(y) * rgb.cols * 3);
  return im;
}

// What the first pass keeps of a frame: where its face is and its latent.
struct FrameFace {
  bool found = false;
  std::array<double, 6> transform{};
  std::vector<float> latent;
  Image edited;  // the edit in full, when the guard let it through whole (a second pass reuses it)
};

// Follows the face from frame to frame: dlib's detector (most of the time a frame takes) every
// kRedetect frames, and in between its shape predictor alone in the box carried along with the
// landmarks; again the detector when the face's size jumps (the predictor lost it).
class FaceFollower {
 public:
  // `followed` says whether the predictor alone found them (the detector did not run).
  bool landmarks(const Image& frame, std::array<double, 10>& points, bool& followed) {
    std::string why;
    followed = false;
    if (have_ && since_detect_ + 1 < kRedetect) {
      std::array<int, 4> box = box_;
      const auto c = centroid(last_);
      box[0] = static_cast<int>(std::lround(c[0] + offset_[0] - box[2] / 2.0));
      box[1] = static_cast<int>(std::lround(c[1] + offset_[1] - box[3] / 2.0));
      if (follow_face_landmarks(frame, box, points, why) && std::abs(eyes(points) / eyes_ - 1.0) < 0.25) {
        ++since_detect_;
        last_ = points;
        followed = true;
        return true;
      }
    }
    const int side = std::min(640, std::max(frame.width, frame.height));  // no enlarging: it finds little more
    have_ = find_face_landmarks(frame, points, why, side, &box_);
    if (!have_) return false;
    since_detect_ = 0;
    last_ = points;
    eyes_ = std::max(1.0, eyes(points));
    const auto c = centroid(points);
    offset_ = {box_[0] + box_[2] / 2.0 - c[0], box_[1] + box_[3] / 2.0 - c[1]};
    return true;
  }
  void forget() { have_ = false; }

 private:
  static constexpr int kRedetect = 5;
  static std::array<double, 2> centroid(const std::array<double, 10>& p) {
    std::array<double, 2> c{0, 0};
    for (int k = 0; k < 5; ++k) {
      c[0] += p[static_cast<size_t>(2 * k)] / 5;
      c[1] += p[static_cast<size_t>(2 * k + 1)] / 5;
    }
    return c;
  }
  static double eyes(const std::array<double, 10>& p) { return std::hypot(p[2] - p[0], p[3] - p[1]); }
  bool have_ = false;
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

// The face of one frame: landmarks (followed, smoothed) onto the model's framing, or, for a model
// without one, the detector's box; none found: an empty crop.
FaceCrop frame_face(Model& model, const Image& frame, FaceFollower& follower, FaceCrop& previous,
                    std::array<OneEuro, 10>& filters, double dt, bool smooth) {
  const int size = model.config().image_size;
  if (model.framing().empty()) {
    try {
      return align_face(frame, size, /*centre_fallback=*/false, "frame");
    } catch (const Error&) {
      return {};
    }
  }
  std::array<double, 10> points{};
  bool followed = false;
  if (!follower.landmarks(frame, points, followed)) {
    for (auto& f : filters) f.reset();
    previous.crop = {};
    return {};
  }
  // The predictor finds a "face" in any box: a followed face whose crop no longer looks like the
  // last one (a cut, the face gone) is looked for again by the detector.
  if (followed && !previous.crop.empty() &&
      mean_difference(align_to_landmarks(frame, size, points, model.framing()).crop, previous.crop) > kLostFace) {
    follower.forget();
    if (!follower.landmarks(frame, points, followed)) {
      for (auto& f : filters) f.reset();
      previous.crop = {};
      return {};
    }
  }
  if (smooth) {
    for (size_t i = 0; i < points.size(); ++i) points[i] = filters[i].filter(points[i], dt);
  }
  auto crop = align_to_landmarks(frame, size, points, model.framing());
  crop.face_found = true;
  previous = crop;
  return crop;
}

}  // namespace

ClipEditReport edit_clip(Model& model, const std::string& input, const std::string& output, const ClipEditOptions& o) {
  ClipEditReport report;
  auto cap = open_clip(input);
  report.width = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_WIDTH));
  report.height = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_HEIGHT));
  if (report.width > kMaxSide || report.height > kMaxSide) {
    throw Error(ErrorKind::InvalidArgument, input + ": " + std::to_string(report.width) + "x" + std::to_string(report.height) +
                                                " is larger than the " + std::to_string(kMaxSide) + " pixels a side clips are edited at");
  }
  report.fps = cap.get(cv::CAP_PROP_FPS);
  if (!(report.fps > 0.0 && report.fps <= 1000.0)) report.fps = 25.0;  // a stream that does not say
  const double expected = std::max(1.0, cap.get(cv::CAP_PROP_FRAME_COUNT));
  const double dt = 1.0 / report.fps;
  auto tell = [&](double fraction) {
    if (o.progress && !o.progress(std::min(1.0, fraction))) throw Error(ErrorKind::Cancelled, "cancelled: " + output + " was not written");
  };

  // First pass: each frame's face, latent and the strength the guard allows its edit.
  std::vector<FrameFace> faces;
  std::array<OneEuro, 10> filters;
  FaceFollower follower;
  FaceCrop previous;  // the last frame's crop, when it had a face
  Alphas moved;
  for (const auto& a : o.edit.alphas) {
    if (a.second != 0.0) moved.push_back(a);
  }
  auto& t = report.seconds;
  cv::Mat bgr;
  for (;;) {
    Image frame;
    {
      Timed timed(t.read);
      if (!cap.read(bgr)) break;
      if (bgr.cols != report.width || bgr.rows != report.height || bgr.type() != CV_8UC3) {
        throw Error(ErrorKind::Format, input + ": frame " + std::to_string(faces.size() + 1) + " is not of the clip's size or a colour frame");
      }
      frame = to_image(bgr);
    }
    FaceCrop crop;
    {
      Timed timed(t.landmarks);
      crop = frame_face(model, frame, follower, previous, filters, dt, o.smooth);
    }
    FrameFace f;
    if (crop.face_found) {
      f.found = true;
      f.transform = crop.transform;
      {
        Timed timed(t.encode);
        f.latent = model.encode(crop.crop);
      }
      ++report.frames_with_face;
      if (!moved.empty()) {
        Timed timed(t.guard);
        const auto target = model.edit(f.latent, moved, o.edit.finest_level, o.edit.locked);
        auto g = model.decode_guarded(f.latent, target);
        report.strength = std::min(report.strength, g.strength);
        if (!g.limited()) f.edited = std::move(g.image);
      }
    }
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
    Mp4Writer writer(tmp, output, report.width, report.height, report.fps);
    report.codec = writer.codec();
    for (size_t i = 0; i < faces.size(); ++i) {
      Image frame;
      {
        Timed timed(t.read);
        if (!cap.read(bgr)) throw Error(ErrorKind::Format, input + ": frame " + std::to_string(i + 1) + " could not be read again");
        frame = to_image(bgr);
      }
      const double s = report.strength * weight[i];
      if (faces[i].found && s > 0.0 && !moved.empty()) {
        const auto& base = faces[i].latent;
        Image edited;
        if (s == 1.0 && !faces[i].edited.empty()) {
          edited = std::move(faces[i].edited);  // rendered and checked whole in the first pass
        } else {
          Timed timed(t.render);
          const auto target = model.edit(base, moved, o.edit.finest_level, o.edit.locked);
          std::vector<float> mix(base.size());
          for (size_t k = 0; k < mix.size(); ++k) mix[k] = static_cast<float>(base[k] + s * (target[k] - base[k]));
          edited = model.decode_guarded(base, mix).image;
        }
        Timed timed(t.paste);
        const FaceCrop crop = crop_with_transform(frame, size, faces[i].transform);
        frame = paste_change(frame, edited, model.quantized(crop.crop), crop);  // the unedited decode, exactly
      }
      Timed timed(t.write);
      writer.write(frame);
      tell(kAnalysisShare + (1.0 - kAnalysisShare) * (i + 1) / faces.size());
    }
    writer.close();
  });
  return report;
}
#endif  // GLOWLAB_HAVE_OPENCV

}  // namespace glowlab
