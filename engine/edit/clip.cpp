#include "edit/clip.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <vector>


#include "core/atomic_file.h"
#include "core/error.h"
#include "glowlab.h"
#include "vision/animation.h"
#include "vision/face_align.h"
#include "vision/image_io.h"
#include "vision/video_mux.h"
#include "vision/video_reader.h"
#include "edit/clip_follow.h"

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

// What the first pass keeps of a frame: where its face is and, when the guard let the edit
// through whole, its render (12 KB at 64 px), which the second pass reuses. Not the latent (48 KB):
// a frame that needs another strength (a fade, a limited clip) is encoded again from the same
// pixels in the second pass, so a long clip does not hold every frame's latent.
struct FrameFace {
  bool found = false;
  std::array<double, 6> transform{};
  Image edited;
};


// Opens the clip; one larger than kMaxSide a side is refused.
std::unique_ptr<VideoReader> open_clip(const std::string& input) {
  auto clip = std::make_unique<VideoReader>(input);
  if (clip->width() > kMaxSide || clip->height() > kMaxSide) {
    throw Error(ErrorKind::InvalidArgument, input + ": " + std::to_string(clip->width()) + "x" + std::to_string(clip->height()) +
                                                " is larger than the " + std::to_string(kMaxSide) + " pixels a side clips are edited at");
  }
  return clip;
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
  const auto clip = open_clip(input);
  p.width = clip->width();
  p.height = clip->height();
  p.fps = clip->fps();
  p.frames = static_cast<int>(std::lround(clip->frames()));
  const int size = model.config().image_size;
  Image frame;
  FaceCrop crop;
  for (int i = 0; i < std::max(1, search) && clip->read(frame); ++i) {
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
  // Framed as the run frames this frame (ClipFaceTracker: without the nose tip), not as a photo is.
  if (crop.landmarks_used) crop = crop_with_transform(p.frame, size, landmark_transform(crop.landmarks, model.framing(), size, false));
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
  auto clip = open_clip(input);
  report.width = clip->width();
  report.height = clip->height();
  report.fps = clip->fps();
  const double expected = clip->frames();
  const double dt = 1.0 / report.fps;
  auto tell = [&](double fraction) {
    if (o.progress && !o.progress(std::min(1.0, fraction))) throw Error(ErrorKind::Cancelled, "cancelled: " + output + " was not written");
  };

  // First pass: each frame's face, latent and the strength the guard allows its edit.
  std::vector<FrameFace> faces;
  ClipFaceTracker tracker(o.face, static_cast<int>(std::lround(2 * report.fps)), model.framing(), model.config().image_size, o.smooth);
  const Alphas moved = moved_sliders(o.edit);
  auto& t = report.seconds;
  for (;;) {
    Image frame;
    {
      Timed timed(t.read);
      if (!clip->read(frame)) break;
    }
    FaceCrop crop;
    {
      Timed timed(t.landmarks);
      crop = tracker.next(frame, dt);
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
  clip = open_clip(input);
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
        if (!clip->read(frame)) throw Error(ErrorKind::Format, input + ": frame " + std::to_string(i + 1) + " could not be read again");
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
