// Face landmarks by dlib (landmarks.h, face_align.h): its HOG detector and 68-point shape
// predictor, reduced to five points. Without GLOWLAB_HAVE_DLIB only the answers that say so.
// Compiled without the precompiled header: dlib's headers do not mix with torch's.
#include "vision/landmarks.h"

#include <cstdlib>

#include "vision/face_align.h"
#include "vision/face_crop.h"

#ifdef GLOWLAB_HAVE_DLIB
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <mutex>

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>
#include <dlib/opencv/cv_image.h>
#include <opencv2/imgproc.hpp>
#endif

namespace glowlab {

#ifdef GLOWLAB_HAVE_DLIB
namespace face_detail {
namespace {

// dlib's HOG face detector and 68-point shape predictor, loaded once (the model file is ~95 MB).
struct Landmarker {
  dlib::frontal_face_detector detector;
  dlib::shape_predictor predictor;
  std::mutex mutex;
  bool tried = false, ok = false;
  std::string error;
};

Landmarker& landmarker() {
  static Landmarker l;
  std::lock_guard<std::mutex> lock(l.mutex);
  if (!l.tried) {
    l.tried = true;
    const std::string path = landmark_model_path();
    if (!std::filesystem::exists(path)) {
      l.error = "the face landmark model " + path + " is missing (install libdlib-data, or set GLOWLAB_DLIB_LANDMARKS)";
    } else {
      try {
        l.detector = dlib::get_frontal_face_detector();
        dlib::deserialize(path) >> l.predictor;
        l.ok = l.predictor.num_parts() == 68;
        if (!l.ok) l.error = path + " is not a 68-point landmark model";
      } catch (const std::exception& e) {
        l.error = path + ": cannot load the face landmark model (" + e.what() + ")";
      }
    }
  }
  return l;
}

// The detections worth offering as faces. A weak detection (confidence below kClearFace) that is
// smaller than the clearest face is dropped: next to a clear face, a small weak one is far more
// often a pattern (on skimage's astronaut photo the detector fires on the mission patch at 0.16,
// 56 px wide, beside the face at 1.47, 97 px) than a face. Weak detections at least as large as
// the clearest face, and every detection when none is clear, are kept (drawn faces, e.g. the
// synthetic ones, often score low).
constexpr double kClearFace = 0.3;
std::vector<dlib::rectangle> plausible_faces(const std::vector<dlib::rect_detection>& found) {
  std::vector<dlib::rectangle> out;
  if (found.empty()) return out;
  const auto clearest = std::max_element(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.detection_confidence < b.detection_confidence;
  });
  const bool clear = clearest->detection_confidence >= kClearFace;
  for (const auto& d : found) {
    if (!clear || d.detection_confidence >= kClearFace || d.rect.width() >= clearest->rect.width()) out.push_back(d.rect);
  }
  return out;
}

}  // namespace

// The five points align_face uses (eye centres, nose tip, mouth corners) of dlib's 68, found on a
// copy scaled by `scale`, in the photo's pixels.
void five_points(const dlib::full_object_detection& shape, double scale, std::array<double, 10>& out) {
  auto mean = [&](unsigned a, unsigned b) {
    double x = 0, y = 0;
    for (unsigned k = a; k <= b; ++k) {
      x += shape.part(k).x();
      y += shape.part(k).y();
    }
    return cv::Point2d(x / (b - a + 1), y / (b - a + 1));
  };
  const cv::Point2d pts[5] = {mean(36, 41), mean(42, 47), mean(30, 30), mean(48, 48), mean(54, 54)};
  for (int k = 0; k < 5; ++k) {  // pixel centres of the scaled copy -> the photo's
    out[static_cast<size_t>(2 * k)] = (pts[k].x + 0.5) / scale - 0.5;
    out[static_cast<size_t>(2 * k + 1)] = (pts[k].y + 0.5) / scale - 0.5;
  }
}

// dlib's face chip of `shape` (found on a copy scaled by `scale`) as a mapping from the photo's
// pixels to the chip's: dlib's own alignment for its face recognition models.
std::array<double, 6> chip_mapping(const dlib::full_object_detection& shape, double scale) {
  const auto m = dlib::get_mapping_to_chip(dlib::get_face_chip_details(shape, kIdentityChipSize, 0.25));
  const auto& a = m.get_m();
  const auto& b = m.get_b();
  // photo p -> scaled copy scale * (p + 0.5) - 0.5 -> chip a * that + b.
  const double shift = 0.5 * scale - 0.5;
  return {a(0, 0) * scale, a(0, 1) * scale, a(0, 0) * shift + a(0, 1) * shift + b(0),
          a(1, 0) * scale, a(1, 1) * scale, a(1, 0) * shift + a(1, 1) * shift + b(1)};
}

bool find_landmarks(const cv::Mat& gray, int index, std::array<double, 10>& out, std::string& why, int& count,
                    std::vector<std::array<int, 4>>& boxes, int detect_side, std::array<double, 6>* chip) {
  auto& l = landmarker();
  if (!l.ok) {
    why = l.error;
    return false;
  }
  // A copy whose longer side is ~800 px (small photos enlarged up to 4x); when that finds no face,
  // once more at twice the size (up to 2,000 px): the detector's window is 80 px, so a face of 40 px
  // in a group photo needs it.
  // Each thread works on its own copy of the detector and predictor (dlib's are not safe to share),
  // so several threads can find faces at once (aligning a training set).
  struct Local {
    dlib::frontal_face_detector detector;
    dlib::shape_predictor predictor;
  };
  thread_local std::unique_ptr<Local> local;
  if (!local) {
    std::lock_guard<std::mutex> lock(l.mutex);
    local = std::make_unique<Local>(Local{l.detector, l.predictor});
  }
  const int longer = std::max(gray.cols, gray.rows);
  double scale = std::min(4.0, static_cast<double>(detect_side) / longer);
  cv::Mat work;
  std::vector<dlib::rectangle> faces;
  std::vector<dlib::rect_detection> found;
  for (int attempt = 0; attempt < 2 && faces.empty(); ++attempt) {
    if (attempt == 1) {
      if (2 * scale * longer > 2.5 * detect_side) break;
      scale *= 2;
    }
    cv::resize(gray, work, cv::Size(), scale, scale, scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
    found.clear();
    local->detector(dlib::cv_image<unsigned char>(work), found, 0.0);
    faces = plausible_faces(found);
  }
  if (faces.empty()) {
    why = "the landmark detector found no face";
    return false;
  }
  dlib::cv_image<unsigned char> image(work);
  std::stable_sort(faces.begin(), faces.end(), [](const dlib::rectangle& a, const dlib::rectangle& b) { return a.area() > b.area(); });
  count = static_cast<int>(faces.size());
  boxes.clear();
  for (const auto& f : faces) {
    boxes.push_back({static_cast<int>(std::lround(f.left() / scale)), static_cast<int>(std::lround(f.top() / scale)),
                     static_cast<int>(std::lround(f.width() / scale)), static_cast<int>(std::lround(f.height() / scale))});
  }
  if (index >= count) {
    why = "the landmark detector found " + std::to_string(count) + (count == 1 ? " face" : " faces");
    return false;
  }
  const auto shape = local->predictor(image, faces[static_cast<size_t>(index)]);
  five_points(shape, scale, out);
  if (chip) *chip = chip_mapping(shape, scale);
  return true;
}

bool landmarks_in_box(const cv::Mat& gray, const std::array<int, 4>& box, std::array<double, 10>& out, std::string& why) {
  auto& l = landmarker();
  if (!l.ok) {
    why = l.error;
    return false;
  }
  thread_local std::unique_ptr<dlib::shape_predictor> predictor;
  if (!predictor) {
    std::lock_guard<std::mutex> lock(l.mutex);
    predictor = std::make_unique<dlib::shape_predictor>(l.predictor);
  }
  const dlib::rectangle r(box[0], box[1], box[0] + box[2] - 1, box[1] + box[3] - 1);
  five_points((*predictor)(dlib::cv_image<unsigned char>(gray), r), 1.0, out);
  return true;
}

}  // namespace face_detail
#endif

bool find_face_landmarks(const Image& photo, std::array<double, 10>& points, std::string& why, int detect_side,
                         std::vector<std::array<int, 4>>* all) {
  if (photo.empty()) {
    why = "empty photo";
    return false;
  }
#ifdef GLOWLAB_HAVE_DLIB
  const cv::Mat gray = face_detail::gray_of(photo);
  int count = 0;
  std::vector<std::array<int, 4>> boxes;
  const bool found = face_detail::find_landmarks(gray, 0, points, why, count, boxes, detect_side);
  if (found && all) *all = boxes;
  return found;
#else
  (void)points;
  (void)detect_side;
  (void)all;
  why = "this build has no face landmark support (dlib)";
  return false;
#endif
}

Image identity_chip(const Image& photo, const std::array<double, 6>& photo_to_chip) {
  return crop_with_transform(photo, kIdentityChipSize, photo_to_chip).crop;
}

bool follow_face_landmarks(const Image& photo, const std::array<int, 4>& box, std::array<double, 10>& points, std::string& why) {
  if (photo.empty()) {
    why = "empty photo";
    return false;
  }
#ifdef GLOWLAB_HAVE_DLIB
  return face_detail::landmarks_in_box(face_detail::gray_of(photo), box, points, why);
#else
  (void)box;
  (void)points;
  why = "this build has no face landmark support (dlib)";
  return false;
#endif
}

std::string landmark_model_path() {
  if (const char* env = std::getenv("GLOWLAB_DLIB_LANDMARKS"); env && *env) return env;
  return "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
}

bool have_landmark_support() {
#ifdef GLOWLAB_HAVE_DLIB
  return true;
#else
  return false;
#endif
}

}  // namespace glowlab
