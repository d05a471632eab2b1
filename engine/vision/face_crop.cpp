// Crops by transform (face_align.h): the similarity transform onto a framing, the warp itself,
// a saved transform re-applied and the centre square.
#include "vision/face_crop.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace glowlab {
namespace face_detail {

cv::Mat to_mat(const Image& im) {
  return cv::Mat(im.height, im.width, im.channels == 3 ? CV_8UC3 : CV_8UC1, const_cast<std::uint8_t*>(im.bytes.data()));
}

Image from_mat(const cv::Mat& m) {
  cv::Mat c = m.isContinuous() ? m : m.clone();
  Image im{c.cols, c.rows, c.channels(), {}};
  im.bytes.assign(c.data, c.data + c.total() * c.channels());
  return im;
}

cv::Mat gray_of(const Image& photo) {
  cv::Mat gray;
  if (photo.channels == 3) cv::cvtColor(to_mat(photo), gray, cv::COLOR_RGB2GRAY);
  else gray = to_mat(photo).clone();
  return gray;
}

cv::Mat transform_mat(const std::array<double, 6>& t) {
  cv::Mat m(2, 3, CV_64F);
  for (int i = 0; i < 6; ++i) m.at<double>(i / 3, i % 3) = t[static_cast<size_t>(i)];
  return m;
}

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

}  // namespace face_detail

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

std::array<double, 6> landmark_transform(const std::array<double, 10>& points, const std::vector<double>& framing, int size,
                                         bool with_nose) {
  if (framing.size() != 10) throw Error(ErrorKind::InvalidArgument, "landmark_transform: framing needs 10 values");
  std::vector<double> from, to;
  for (size_t k = 0; k < 5; ++k) {
    if (k == 2 && !with_nose) continue;  // the nose tip
    for (size_t c = 0; c < 2; ++c) {
      from.push_back(points[2 * k + c]);
      to.push_back(framing[2 * k + c] * size - 0.5);  // fractions -> pixel centres
    }
  }
  return similarity_transform(from, to);
}

FaceCrop align_to_landmarks(const Image& photo, int size, const std::array<double, 10>& points, const std::vector<double>& framing) {
  if (photo.empty()) throw Error(ErrorKind::Image, "empty photo");
  const auto t = landmark_transform(points, framing, size);
  FaceCrop fc = face_detail::warp_crop(photo, size, face_detail::transform_mat(t));
  fc.face_found = true;
  fc.eyes_levelled = true;
  fc.landmarks_used = true;
  fc.landmarks = points;
  return fc;
}

FaceCrop crop_with_transform(const Image& photo, int size, const std::array<double, 6>& transform) {
  if (photo.empty()) throw Error(ErrorKind::Image, "empty photo");
  FaceCrop fc = face_detail::warp_crop(photo, size, face_detail::transform_mat(transform));
  fc.face_found = true;
  return fc;
}

FaceCrop centre_crop(const Image& photo, int size) {
  if (photo.empty()) throw Error(ErrorKind::Image, "empty photo");
  const double side = std::min(photo.width, photo.height);
  return face_detail::crop_with(photo, size, {photo.width / 2.0, photo.height / 2.0}, side, 0.0);
}

}  // namespace glowlab
