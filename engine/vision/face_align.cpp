#include "vision/face_align.h"

#include <cmath>
#include <cstdlib>
#include <mutex>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

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

}  // namespace

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

FaceCrop align_face(const Image& photo, int size, bool centre_fallback, const std::string& source) {
  if (photo.empty()) throw Error(ErrorKind::Image, source + ": empty photo");
  cv::Mat gray;
  if (photo.channels == 3) cv::cvtColor(to_mat(photo), gray, cv::COLOR_RGB2GRAY);
  else gray = to_mat(photo).clone();
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
  if (faces.empty()) {
    if (!centre_fallback) throw Error(ErrorKind::NoFace, source + ": no face found");
    return centre_crop(photo, size);
  }
  const cv::Rect best = *std::max_element(faces.begin(), faces.end(),
                                          [](const cv::Rect& a, const cv::Rect& b) { return a.area() < b.area(); });
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
  return fc;
}

Image paste_back(const Image& original, const Image& edited, const FaceCrop& crop) {
  if (edited.channels != original.channels) throw Error(ErrorKind::InvalidArgument, "paste_back: channel mismatch");
  cv::Mat m(2, 3, CV_64F);
  for (int i = 0; i < 6; ++i) m.at<double>(i / 3, i % 3) = crop.transform[static_cast<size_t>(i)];
  cv::Mat inv;
  cv::invertAffineTransform(m, inv);
  const cv::Size full(original.width, original.height);
  cv::Mat warped;
  cv::warpAffine(to_mat(edited), warped, inv, full, cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  // Feathered mask: 1 inside the crop, fading to 0 over its outer 12%.
  const int n = edited.width;
  cv::Mat mask(n, n, CV_32F, cv::Scalar(0));
  const int feather = std::max(1, n * 12 / 100);
  cv::rectangle(mask, cv::Rect(feather, feather, n - 2 * feather, n - 2 * feather), cv::Scalar(1), cv::FILLED);
  cv::GaussianBlur(mask, mask, cv::Size(0, 0), feather / 2.0);
  cv::Mat mask_full;
  cv::warpAffine(mask, mask_full, inv, full, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::Mat orig_f, warp_f;
  to_mat(original).convertTo(orig_f, CV_32F);
  warped.convertTo(warp_f, CV_32F);
  std::vector<cv::Mat> ch(static_cast<size_t>(original.channels), mask_full);
  cv::Mat mask_c;
  cv::merge(ch, mask_c);
  cv::Mat blended = warp_f.mul(mask_c) + orig_f.mul(cv::Scalar::all(1.0) - mask_c);
  cv::Mat out;
  blended.convertTo(out, CV_8U);
  return from_mat(out);
}

}  // namespace glowlab
