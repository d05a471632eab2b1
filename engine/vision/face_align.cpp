#include "vision/face_align.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#ifdef GLOWLAB_HAVE_DLIB
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <filesystem>
#endif

#include "core/error.h"

namespace glowlab {
namespace {

// Calibrated on the synthetic faces: the Haar box covers 0.88 of the training framing, centred
// 4% of the crop side below its centre.
constexpr double kCropPerBox = 1.0 / 0.88;
constexpr double kBoxCentreBelow = 0.04;
constexpr int kDetectMaxSide = 640;  // detect on a shrunk copy, as OpenCV's facedetect sample does

cv::Mat to_mat(const Image& im) {
  return cv::Mat(im.height, im.width, im.channels == 3 ? CV_8UC3 : CV_8UC1, const_cast<std::uint8_t*>(im.bytes.data()));
}

Image from_mat(const cv::Mat& m) {
  cv::Mat c = m.isContinuous() ? m : m.clone();
  Image im{c.cols, c.rows, c.channels(), {}};
  im.bytes.assign(c.data, c.data + c.total() * c.channels());
  return im;
}

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

// Warps the photo by `m` (original -> crop) into a size x size crop; shrinks by area averaging
// first when the crop is much smaller than the region it covers, so it is not aliased.
FaceCrop warp_crop(const Image& photo, int size, const cv::Mat& m) {
  cv::Mat src = to_mat(photo), out;
  const double scale = std::sqrt(std::abs(cv::determinant(m(cv::Rect(0, 0, 2, 2)))));  // crop px per photo px
  const double shrink = 1.0 / std::max(scale, 1e-9);
  if (shrink > 2.0) {
    cv::Mat small;
    const double f = 1.0 / std::floor(shrink / 1.5);
    cv::resize(src, small, cv::Size(), f, f, cv::INTER_AREA);
    cv::Mat ms = m.clone();
    ms.at<double>(0, 0) /= f; ms.at<double>(0, 1) /= f; ms.at<double>(1, 0) /= f; ms.at<double>(1, 1) /= f;
    cv::warpAffine(small, out, ms, cv::Size(size, size), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  } else {
    cv::warpAffine(src, out, m, cv::Size(size, size), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  }
  FaceCrop fc;
  fc.crop = from_mat(out);
  for (int i = 0; i < 6; ++i) fc.transform[static_cast<size_t>(i)] = m.at<double>(i / 3, i % 3);
  return fc;
}

FaceCrop crop_with(const Image& photo, int size, cv::Point2d centre, double side, double angle_deg) {
  // original -> crop: rotate about the centre, scale side -> size, move the centre to the middle.
  cv::Mat m = cv::getRotationMatrix2D(centre, angle_deg, size / side);
  m.at<double>(0, 2) += size / 2.0 - centre.x;
  m.at<double>(1, 2) += size / 2.0 - centre.y;
  return warp_crop(photo, size, m);
}

#ifdef GLOWLAB_HAVE_DLIB
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

// The five landmarks (eye centres, nose tip, mouth corners), in photo pixels, of face `index` by
// size (0: the largest); `count` gets how many faces were found. The
// detector runs on a copy whose longer side is ~800 px (small photos enlarged up to 4x: its window
// is 80 px); false, with `why`, when there is no landmark model or no face.
bool find_landmarks(const cv::Mat& gray, int index, std::array<double, 10>& out, std::string& why, int& count,
                    std::vector<std::array<int, 4>>& boxes, int detect_side = 800) {
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
  return true;
}
#endif

}  // namespace

std::array<double, 6> similarity_transform(const std::vector<double>& from, const std::vector<double>& to) {
  if (from.size() != to.size() || from.size() < 4 || from.size() % 2) {
    throw Error(ErrorKind::InvalidArgument, "similarity_transform: needs two lists of at least two (x, y) points");
  }
  const size_t n = from.size() / 2;
  double pcx = 0, pcy = 0, qcx = 0, qcy = 0;
  for (size_t i = 0; i < n; ++i) {
    pcx += from[2 * i]; pcy += from[2 * i + 1];
    qcx += to[2 * i]; qcy += to[2 * i + 1];
  }
  pcx /= n; pcy /= n; qcx /= n; qcy /= n;
  double sxx = 0, sa = 0, sb = 0;
  for (size_t i = 0; i < n; ++i) {
    const double px = from[2 * i] - pcx, py = from[2 * i + 1] - pcy;
    const double qx = to[2 * i] - qcx, qy = to[2 * i + 1] - qcy;
    sxx += px * px + py * py;
    sa += px * qx + py * qy;
    sb += px * qy - py * qx;
  }
  if (sxx <= 1e-12) throw Error(ErrorKind::InvalidArgument, "similarity_transform: the points coincide");
  const double a = sa / sxx, b = sb / sxx;
  return {a, -b, qcx - (a * pcx - b * pcy), b, a, qcy - (b * pcx + a * pcy)};
}

FaceCrop align_to_landmarks(const Image& photo, int size, const std::array<double, 10>& points, const std::vector<double>& framing) {
  if (photo.empty()) throw Error(ErrorKind::Image, "empty photo");
  if (framing.size() != 10) throw Error(ErrorKind::InvalidArgument, "align_to_landmarks: framing needs 10 values");
  std::vector<double> target(10);
  for (size_t k = 0; k < 10; ++k) target[k] = framing[k] * size - 0.5;  // fractions -> pixel centres
  const auto t = similarity_transform(std::vector<double>(points.begin(), points.end()), target);
  cv::Mat m(2, 3, CV_64F);
  for (int i = 0; i < 6; ++i) m.at<double>(i / 3, i % 3) = t[static_cast<size_t>(i)];
  FaceCrop fc = warp_crop(photo, size, m);
  fc.face_found = true;
  fc.eyes_levelled = true;
  fc.landmarks_used = true;
  fc.landmarks = points;
  return fc;
}

bool find_face_landmarks(const Image& photo, std::array<double, 10>& points, std::string& why, int detect_side) {
  if (photo.empty()) {
    why = "empty photo";
    return false;
  }
#ifdef GLOWLAB_HAVE_DLIB
  cv::Mat gray;
  if (photo.channels == 3) cv::cvtColor(to_mat(photo), gray, cv::COLOR_RGB2GRAY);
  else gray = to_mat(photo).clone();
  int count = 0;
  std::vector<std::array<int, 4>> boxes;
  return find_landmarks(gray, 0, points, why, count, boxes, detect_side);
#else
  (void)points;
  (void)detect_side;
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

FaceCrop crop_with_transform(const Image& photo, int size, const std::array<double, 6>& transform) {
  if (photo.empty()) throw Error(ErrorKind::Image, "empty photo");
  cv::Mat m(2, 3, CV_64F);
  for (int i = 0; i < 6; ++i) m.at<double>(i / 3, i % 3) = transform[static_cast<size_t>(i)];
  FaceCrop fc = warp_crop(photo, size, m);
  fc.face_found = true;
  return fc;
}

std::string haarcascade_dir() {
  if (const char* env = std::getenv("GLOWLAB_HAARCASCADES"); env && *env) return env;
  return "/usr/share/opencv4/haarcascades";
}

FaceCrop centre_crop(const Image& photo, int size) {
  if (photo.empty()) throw Error(ErrorKind::Image, "empty photo");
  const double side = std::min(photo.width, photo.height);
  return crop_with(photo, size, {photo.width / 2.0, photo.height / 2.0}, side, 0.0);
}

FaceCrop align_face(const Image& photo, int size, bool centre_fallback, const std::string& source,
                    const std::vector<double>& framing, int face_index) {
  if (photo.empty()) throw Error(ErrorKind::Image, source + ": empty photo");
  if (face_index < 0) throw Error(ErrorKind::InvalidArgument, "align_face: face index must be 0 or more");
  if (!framing.empty() && framing.size() != 10) throw Error(ErrorKind::InvalidArgument, "align_face: framing needs 10 values");
  cv::Mat gray;
  if (photo.channels == 3) cv::cvtColor(to_mat(photo), gray, cv::COLOR_RGB2GRAY);
  else gray = to_mat(photo).clone();
  std::string note;
  int landmark_faces = 0;  // faces the landmark detector found
  if (!framing.empty()) {
#ifdef GLOWLAB_HAVE_DLIB
    std::array<double, 10> points{};
    std::vector<std::array<int, 4>> boxes;
    if (find_landmarks(gray, face_index, points, note, landmark_faces, boxes)) {
      FaceCrop fc = align_to_landmarks(photo, size, points, framing);
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
  const cv::Rect best = faces[static_cast<size_t>(face_index)];
  const cv::Rect2d box(best.x / scale, best.y / scale, best.width / scale, best.height / scale);
  const double side = box.width * kCropPerBox;
  cv::Point2d centre(box.x + box.width / 2.0, box.y + box.height / 2.0 - kBoxCentreBelow * side);
  // Level the eyes when both are found in the upper half of the face.
  double angle = 0.0;
  bool levelled = false;
  if (!c.eyes.empty()) {
    std::vector<cv::Rect> eyes;
    const cv::Rect upper(best.x, best.y, best.width, best.height / 2);
    {
      std::lock_guard<std::mutex> lock(c.mutex);
      c.eyes.detectMultiScale(small(upper & cv::Rect(0, 0, small.cols, small.rows)), eyes, 1.1, 3, 0,
                              cv::Size(best.width / 10, best.width / 10));
    }
    if (eyes.size() >= 2) {
      std::sort(eyes.begin(), eyes.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() > b.area(); });
      cv::Point2d a(eyes[0].x + eyes[0].width / 2.0, eyes[0].y + eyes[0].height / 2.0);
      cv::Point2d b(eyes[1].x + eyes[1].width / 2.0, eyes[1].y + eyes[1].height / 2.0);
      if (a.x > b.x) std::swap(a, b);
      const double deg = std::atan2(b.y - a.y, b.x - a.x) * 180.0 / M_PI;
      if (std::abs(deg) < 30 && std::abs(b.x - a.x) > best.width * 0.2) {
        angle = deg;
        levelled = true;
      }
    }
  }
  FaceCrop fc = crop_with(photo, size, centre, side, angle);
  fc.face_found = true;
  fc.eyes_levelled = levelled;
  fc.faces = static_cast<int>(faces.size());
  fc.face_index = face_index;
  for (const auto& f : faces) {
    fc.boxes.push_back({static_cast<int>(std::lround(f.x / scale)), static_cast<int>(std::lround(f.y / scale)),
                        static_cast<int>(std::lround(f.width / scale)), static_cast<int>(std::lround(f.height / scale))});
  }
  if (!note.empty()) fc.note = note + ": framed from the face detector's box instead";
  return fc;
}

std::vector<float> paste_mask(int size, const std::vector<double>& framing) {
  if (size < 4) throw Error(ErrorKind::InvalidArgument, "paste_mask: the crop is too small");
  // The face's ellipse, in fractions of the crop side: from the framing's landmarks when there is
  // one (eyes to mouth is about a third of a face's height; its width about 2.3 eye distances),
  // else the synthetic faces' (the head fills the square).
  double cx = 0.5, cy = 0.5, rx = 0.42, ry = 0.47, angle = 0.0;
  if (framing.size() == 10) {
    const double ex = (framing[0] + framing[2]) / 2, ey = (framing[1] + framing[3]) / 2;
    const double mx = (framing[6] + framing[8]) / 2, my = (framing[7] + framing[9]) / 2;
    const double eye = std::hypot(framing[2] - framing[0], framing[3] - framing[1]);
    const double em = std::hypot(mx - ex, my - ey);
    if (eye > 0.02 && em > 0.02) {
      angle = std::atan2(my - ey, mx - ex) - M_PI / 2;  // the face's vertical axis
      cx = (ex + mx) / 2;
      cy = (ey + my) / 2 - 0.25 * em;  // a face's middle lies a little above the eyes-mouth midpoint
      rx = std::min(1.2 * eye, 0.49);
      ry = std::min(1.75 * em, 0.49);
    }
  }
  // 1 inside 75% of the ellipse's radius, smoothly (smoothstep) to 0 at its edge, and exactly 0
  // beyond, so the photo outside the face is never touched.
  std::vector<float> mask(static_cast<size_t>(size) * size);
  const double c = std::cos(angle), s = std::sin(angle);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const double u = (x + 0.5) / size - cx, v = (y + 0.5) / size - cy;
      const double a = (c * u + s * v) / rx, b = (-s * u + c * v) / ry;
      const double r = std::sqrt(a * a + b * b);
      const double t = std::clamp((1.0 - r) / 0.25, 0.0, 1.0);
      mask[static_cast<size_t>(y) * size + x] = static_cast<float>(t * t * (3 - 2 * t));
    }
  }
  return mask;
}

namespace {

// The photo region that a crop of side n made by `m` (photo -> crop) covers, and the transform that
// samples crop positions at that region's pixels (warpAffine with WARP_INVERSE_MAP).
struct PasteRegion {
  cv::Rect region;
  cv::Mat shifted;
};

PasteRegion paste_region(const Image& original, const FaceCrop& crop, int n) {
  cv::Mat m(2, 3, CV_64F);
  for (int i = 0; i < 6; ++i) m.at<double>(i / 3, i % 3) = crop.transform[static_cast<size_t>(i)];
  // Only the photo pixels whose crop position lies inside the crop can change: their bounding box.
  cv::Mat inv;
  cv::invertAffineTransform(m, inv);
  double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
  for (const auto& [u, v] : {std::pair{-0.5, -0.5}, {n - 0.5, -0.5}, {-0.5, n - 0.5}, {n - 0.5, n - 0.5}}) {
    const double x = inv.at<double>(0, 0) * u + inv.at<double>(0, 1) * v + inv.at<double>(0, 2);
    const double y = inv.at<double>(1, 0) * u + inv.at<double>(1, 1) * v + inv.at<double>(1, 2);
    x0 = std::min(x0, x); x1 = std::max(x1, x); y0 = std::min(y0, y); y1 = std::max(y1, y);
  }
  PasteRegion p;
  p.region = cv::Rect(cv::Point(static_cast<int>(std::floor(x0)) - 1, static_cast<int>(std::floor(y0)) - 1),
                      cv::Point(static_cast<int>(std::ceil(x1)) + 2, static_cast<int>(std::ceil(y1)) + 2)) &
             cv::Rect(0, 0, original.width, original.height);
  // Photo -> crop is the transform itself, so warpAffine runs with WARP_INVERSE_MAP on a copy of it
  // shifted to the region's origin.
  p.shifted = m.clone();
  p.shifted.at<double>(0, 2) += m.at<double>(0, 0) * p.region.x + m.at<double>(0, 1) * p.region.y;
  p.shifted.at<double>(1, 2) += m.at<double>(1, 0) * p.region.x + m.at<double>(1, 1) * p.region.y;
  return p;
}

cv::Mat warped_mask(int n, const std::vector<double>& framing, const PasteRegion& p) {
  auto mask = paste_mask(n, framing);
  cv::Mat weight;
  cv::warpAffine(cv::Mat(n, n, CV_32F, mask.data()), weight, p.shifted, p.region.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, cv::Scalar(0));
  return weight;
}

}  // namespace

Image paste_change(const Image& original, const Image& edited, const Image& reconstruction, const FaceCrop& crop,
                   const std::vector<double>& framing) {
  if (edited.channels != original.channels || reconstruction.channels != original.channels) {
    throw Error(ErrorKind::InvalidArgument, "paste_change: channel mismatch");
  }
  if (edited.width != edited.height || edited.width < 4 || reconstruction.width != edited.width || reconstruction.height != edited.height) {
    throw Error(ErrorKind::InvalidArgument, "paste_change: the edit and the reconstruction must be square crops of one size");
  }
  const int n = edited.width;
  Image out = original;
  const auto p = paste_region(original, crop, n);
  if (p.region.empty()) return out;
  cv::Mat e, r, change, warped;
  to_mat(edited).convertTo(e, CV_32F);
  to_mat(reconstruction).convertTo(r, CV_32F);
  cv::subtract(e, r, change);
  if (cv::countNonZero(change.reshape(1)) == 0) return out;  // nothing changed: the photo itself
  cv::warpAffine(change, warped, p.shifted, p.region.size(), cv::INTER_CUBIC | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  const cv::Mat weight = warped_mask(n, framing, p);
  const int ch = original.channels;
  for (int y = 0; y < p.region.height; ++y) {
    const auto* w = weight.ptr<float>(y);
    const auto* d = warped.ptr<float>(y);
    std::uint8_t* o = out.bytes.data() + (static_cast<size_t>(p.region.y + y) * original.width + p.region.x) * ch;
    for (int x = 0; x < p.region.width; ++x) {
      const float a = w[x];
      if (a <= 0.0f) continue;  // outside the face: the photo's own pixel, untouched
      for (int k = 0; k < ch; ++k) {
        const float v = o[x * ch + k] + a * d[x * ch + k];
        o[x * ch + k] = static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  return out;
}

Image paste_back(const Image& original, const Image& edited, const FaceCrop& crop, const std::vector<double>& framing) {
  if (edited.channels != original.channels) throw Error(ErrorKind::InvalidArgument, "paste_back: channel mismatch");
  if (edited.width != edited.height || edited.width < 4) throw Error(ErrorKind::InvalidArgument, "paste_back: the edit is not a square crop");
  const int n = edited.width;
  Image out = original;
  const auto p = paste_region(original, crop, n);
  if (p.region.empty()) return out;
  cv::Mat warped;
  cv::warpAffine(to_mat(edited), warped, p.shifted, p.region.size(), cv::INTER_CUBIC | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  const cv::Mat weight = warped_mask(n, framing, p);
  const int ch = original.channels;
  for (int y = 0; y < p.region.height; ++y) {
    const auto* w = weight.ptr<float>(y);
    const auto* e = warped.ptr<std::uint8_t>(y);
    std::uint8_t* o = out.bytes.data() + (static_cast<size_t>(p.region.y + y) * original.width + p.region.x) * ch;
    for (int x = 0; x < p.region.width; ++x) {
      const float a = w[x];
      if (a <= 0.0f) continue;  // outside the face: the photo's own pixel, untouched
      for (int k = 0; k < ch; ++k) {
        const float v = a * e[x * ch + k] + (1.0f - a) * o[x * ch + k];
        o[x * ch + k] = static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  return out;
}

}  // namespace glowlab
