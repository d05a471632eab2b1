// align_face (face_align.h): landmark alignment when a framing is asked for and dlib finds the
// face, else OpenCV's Haar cascades' box, levelled by the eyes, else the centre square.
#include "vision/face_align.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "core/error.h"
#include "vision/face_crop.h"
#include "vision/landmarks.h"

namespace glowlab {
namespace {

// Calibrated on the synthetic faces: the Haar box covers 0.88 of the training framing, centred
// 4% of the crop side below its centre.
constexpr double kCropPerBox = 1.0 / 0.88;
constexpr double kBoxCentreBelow = 0.04;
constexpr int kDetectMaxSide = 640;  // detect on a shrunk copy, as OpenCV's facedetect sample does

struct Cascades {
  cv::CascadeClassifier face, eyes;
  std::mutex mutex;  // detectMultiScale is not safe to call from two threads at once
  bool loaded = false;
};

Cascades& cascades() {
  static Cascades c;
  std::lock_guard<std::mutex> lock(c.mutex);
  if (!c.loaded) {
    const std::string dir = haarcascade_dir();
    const std::string face = dir + "/haarcascade_frontalface_default.xml";
    if (!c.face.load(face)) {
      throw Error(ErrorKind::Io, face + ": cannot load the face detector (install opencv-data, or set GLOWLAB_HAARCASCADES)");
    }
    c.eyes.load(dir + "/haarcascade_eye.xml");  // optional: without it faces are not levelled
    c.loaded = true;
  }
  return c;
}

// The angle (degrees) that levels the eyes when both are found in the upper half of the face
// `best` (in `small`); false when they are not, or the pair is implausible.
bool eyes_angle(Cascades& c, const cv::Mat& small, const cv::Rect& best, double& angle) {
  if (c.eyes.empty()) return false;
  std::vector<cv::Rect> eyes;
  const cv::Rect upper(best.x, best.y, best.width, best.height / 2);
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.eyes.detectMultiScale(small(upper & cv::Rect(0, 0, small.cols, small.rows)), eyes, 1.1, 3, 0,
                            cv::Size(best.width / 10, best.width / 10));
  }
  if (eyes.size() < 2) return false;
  std::sort(eyes.begin(), eyes.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() > b.area(); });
  cv::Point2d a(eyes[0].x + eyes[0].width / 2.0, eyes[0].y + eyes[0].height / 2.0);
  cv::Point2d b(eyes[1].x + eyes[1].width / 2.0, eyes[1].y + eyes[1].height / 2.0);
  if (a.x > b.x) std::swap(a, b);
  const double deg = std::atan2(b.y - a.y, b.x - a.x) * 180.0 / M_PI;
  if (std::abs(deg) < 30 && std::abs(b.x - a.x) > best.width * 0.2) {
    angle = deg;
    return true;
  }
  return false;
}

// The crop framed by the box of face `face_index` of `faces` (largest first, found on `small`, the
// photo shrunk by `scale`), levelled by the eyes when they are found.
FaceCrop crop_detected(const Image& photo, int size, Cascades& c, const cv::Mat& small, double scale,
                       const std::vector<cv::Rect>& faces, int face_index) {
  const cv::Rect best = faces[static_cast<size_t>(face_index)];
  const cv::Rect2d box(best.x / scale, best.y / scale, best.width / scale, best.height / scale);
  const double side = box.width * kCropPerBox;
  cv::Point2d centre(box.x + box.width / 2.0, box.y + box.height / 2.0 - kBoxCentreBelow * side);
  double angle = 0.0;
  const bool levelled = eyes_angle(c, small, best, angle);
  FaceCrop fc = face_detail::crop_with(photo, size, centre, side, angle);
  fc.face_found = true;
  fc.eyes_levelled = levelled;
  fc.faces = static_cast<int>(faces.size());
  fc.face_index = face_index;
  for (const auto& f : faces) {
    fc.boxes.push_back({static_cast<int>(std::lround(f.x / scale)), static_cast<int>(std::lround(f.y / scale)),
                        static_cast<int>(std::lround(f.width / scale)), static_cast<int>(std::lround(f.height / scale))});
  }
  return fc;
}

}  // namespace

std::string haarcascade_dir() {
  if (const char* env = std::getenv("GLOWLAB_HAARCASCADES"); env && *env) return env;
  return "/usr/share/opencv4/haarcascades";
}

namespace {

// A crop enlarged beyond this (crop pixels per photo pixel) is said: the model then draws detail
// the photo does not hold (a distant face, a thumbnail). Up to it, the softness hardly shows.
constexpr double kInventedDetail = 1.25;

// Says, in the crop's note, when the face was enlarged to the model's size beyond kInventedDetail.
void note_enlargement(FaceCrop& fc, int size) {
  const auto& t = fc.transform;
  fc.enlargement = std::sqrt(std::abs(t[0] * t[4] - t[1] * t[3]));
  if (!(fc.enlargement > kInventedDetail)) return;
  char text[200];
  std::snprintf(text, sizeof text,
                "%s is only about %.0f px across in the photo, smaller than the model's %d: enlarged %.1fx, its detail "
                "is the model's invention",
                fc.face_found ? "the face" : "the square used", size / fc.enlargement, size, fc.enlargement);
  fc.note += (fc.note.empty() ? "" : "; ") + std::string(text);
}

FaceCrop find_and_align(const Image& photo, int size, bool centre_fallback, const std::string& source,
                        const std::vector<double>& framing, int face_index) {
  if (photo.empty()) throw Error(ErrorKind::Image, source + ": empty photo");
  if (face_index < 0) throw Error(ErrorKind::InvalidArgument, "align_face: face index must be 0 or more");
  if (!framing.empty() && framing.size() != 10) throw Error(ErrorKind::InvalidArgument, "align_face: framing needs 10 values");
  const cv::Mat gray = face_detail::gray_of(photo);
  std::string note;
  int landmark_faces = 0;  // faces the landmark detector found
  if (!framing.empty()) {
#ifdef GLOWLAB_HAVE_DLIB
    std::array<double, 10> points{};
    std::vector<std::array<int, 4>> boxes;
    std::array<double, 6> chip{};
    if (face_detail::find_landmarks(gray, face_index, points, note, landmark_faces, boxes, 800, &chip)) {
      FaceCrop fc = align_to_landmarks(photo, size, points, framing);
      fc.identity_chip = chip;
      fc.faces = landmark_faces;
      fc.boxes = std::move(boxes);
      fc.face_index = face_index;
      return fc;
    }
#else
    note = "this build has no face landmark support (dlib)";
#endif
  }
  const double scale = std::min(1.0, static_cast<double>(kDetectMaxSide) / std::max(photo.width, photo.height));
  cv::Mat small;
  cv::resize(gray, small, cv::Size(), scale, scale, cv::INTER_AREA);
  cv::equalizeHist(small, small);
  auto& c = cascades();
  std::vector<cv::Rect> faces;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.face.detectMultiScale(small, faces, 1.1, 3, 0, cv::Size(24, 24));
  }
  const int found = std::max(landmark_faces, static_cast<int>(faces.size()));
  if (face_index > 0 && face_index >= static_cast<int>(faces.size())) {
    throw Error(ErrorKind::NoFace, source + ": there is no face " + std::to_string(face_index + 1) + " (" +
                                       std::to_string(found) + (found == 1 ? " face" : " faces") + " found)");
  }
  if (faces.empty()) {
    if (!centre_fallback) throw Error(ErrorKind::NoFace, source + ": no face found");
    // Neither detector found a face: the note says so (and why not by landmarks, when asked for).
    FaceCrop fc = centre_crop(photo, size);
    fc.note = "no face found, the centre square is used" + (note.empty() ? std::string() : " (landmarks: " + note + ")");
    return fc;
  }
  std::stable_sort(faces.begin(), faces.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() > b.area(); });
  FaceCrop fc = crop_detected(photo, size, c, small, scale, faces, face_index);
  if (!note.empty()) fc.note = note + ": framed from the face detector's box instead";
  return fc;
}

}  // namespace

FaceCrop align_face(const Image& photo, int size, bool centre_fallback, const std::string& source,
                    const std::vector<double>& framing, int face_index) {
  FaceCrop fc = find_and_align(photo, size, centre_fallback, source, framing, face_index);
  note_enlargement(fc, size);
  return fc;
}

}  // namespace glowlab
