// Pasting an edited crop back into its photo (face_align.h): the masks (the face's ellipse for the
// decoded face, the feathered crop square for the change), the photo region a crop covers, the two
// blends (the decoded face, or only the change an edit made) and what a paste leaves out.
#include <algorithm>
#include <cmath>
#include <utility>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "vision/face_align.h"
#include "vision/face_crop.h"

namespace glowlab {

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

std::vector<float> change_mask(int size) {
  if (size < 4) throw Error(ErrorKind::InvalidArgument, "change_mask: the crop is too small");
  // 1 at least kFeather of the side in from every edge, smoothly (smoothstep) to 0 at the edge.
  constexpr double kFeather = 0.125;
  std::vector<float> mask(static_cast<size_t>(size) * size);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const double d = std::min({x + 0.5, size - x - 0.5, y + 0.5, size - y - 0.5}) / size;
      const double t = std::clamp(d / kFeather, 0.0, 1.0);
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
  const cv::Mat m = face_detail::transform_mat(crop.transform);
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

cv::Mat warped_mask(int n, std::vector<float> mask, const PasteRegion& p) {
  cv::Mat weight;
  cv::warpAffine(cv::Mat(n, n, CV_32F, mask.data()), weight, p.shifted, p.region.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, cv::Scalar(0));
  return weight;
}

// Every photo pixel of the region whose mask weight a is above 0 becomes value(a, its value, row,
// index in the row), rounded and clamped; outside the face the photo's own pixels stay untouched.
template <class Value>
void blend_region(Image& out, const PasteRegion& p, const cv::Mat& weight, Value value) {
  const int ch = out.channels;
  for (int y = 0; y < p.region.height; ++y) {
    const auto* w = weight.ptr<float>(y);
    std::uint8_t* o = out.bytes.data() + (static_cast<size_t>(p.region.y + y) * out.width + p.region.x) * ch;
    for (int x = 0; x < p.region.width; ++x) {
      const float a = w[x];
      if (a <= 0.0f) continue;
      for (int k = 0; k < ch; ++k) {
        const float v = value(a, o[x * ch + k], y, x * ch + k);
        o[x * ch + k] = static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
}

// The change an edit made, edited - reconstruction, as float crops (size checked).
cv::Mat change_of(const Image& edited, const Image& reconstruction, int channels, const char* who) {
  if (edited.channels != channels || reconstruction.channels != channels) {
    throw Error(ErrorKind::InvalidArgument, std::string(who) + ": channel mismatch");
  }
  if (edited.width != edited.height || edited.width < 4 || reconstruction.width != edited.width || reconstruction.height != edited.height) {
    throw Error(ErrorKind::InvalidArgument, std::string(who) + ": the edit and the reconstruction must be square crops of one size");
  }
  cv::Mat e, r, change;
  face_detail::to_mat(edited).convertTo(e, CV_32F);
  face_detail::to_mat(reconstruction).convertTo(r, CV_32F);
  cv::subtract(e, r, change);
  return change;
}

}  // namespace

Image paste_change(const Image& original, const Image& edited, const Image& reconstruction, const FaceCrop& crop) {
  const cv::Mat change = change_of(edited, reconstruction, original.channels, "paste_change");
  const int n = edited.width;
  Image out = original;
  const auto p = paste_region(original, crop, n);
  if (p.region.empty()) return out;
  if (cv::countNonZero(change.reshape(1)) == 0) return out;  // nothing changed: the photo itself
  cv::Mat warped;
  cv::warpAffine(change, warped, p.shifted, p.region.size(), cv::INTER_CUBIC | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  // The photo plus the weighted change.
  blend_region(out, p, warped_mask(n, change_mask(n), p),
               [&](float a, std::uint8_t photo, int y, int i) { return photo + a * warped.ptr<float>(y)[i]; });
  return out;
}

PasteCoverage paste_coverage(const Image& original, const Image& edited, const Image& reconstruction, const FaceCrop& crop,
                             const std::vector<float>& mask) {
  const cv::Mat change = change_of(edited, reconstruction, original.channels, "paste_coverage");
  const int n = edited.width, ch = original.channels;
  if (mask.size() != static_cast<size_t>(n) * n) throw Error(ErrorKind::InvalidArgument, "paste_coverage: the mask is not the crop's size");
  cv::Mat inv;
  cv::invertAffineTransform(face_detail::transform_mat(crop.transform), inv);
  // Sums of the change and of the weights, pasted (w) and left out (1 - w).
  double total = 0.0, left_out = 0.0, pasted_weight = 0.0, left_weight = 0.0;
  for (int v = 0; v < n; ++v) {
    const float* c = change.ptr<float>(v);
    for (int u = 0; u < n; ++u) {
      double size = 0.0;
      for (int k = 0; k < ch; ++k) size += std::abs(c[u * ch + k]);
      // Where this crop pixel lies in the photo: outside it, the change has nowhere to go.
      const double x = inv.at<double>(0, 0) * u + inv.at<double>(0, 1) * v + inv.at<double>(0, 2);
      const double y = inv.at<double>(1, 0) * u + inv.at<double>(1, 1) * v + inv.at<double>(1, 2);
      const bool in_photo = x >= -0.5 && y >= -0.5 && x <= original.width - 0.5 && y <= original.height - 0.5;
      const double w = in_photo ? mask[static_cast<size_t>(v) * n + u] : 0.0;
      total += size;
      left_out += size * (1.0 - w);
      pasted_weight += w;
      left_weight += 1.0 - w;
    }
  }
  PasteCoverage p;
  if (total <= 0.0) return p;
  p.left_out = left_out / total;
  const double pasted_per_pixel = (total - left_out) / std::max(pasted_weight, 1e-9);
  const double left_per_pixel = left_out / std::max(left_weight, 1e-9);
  p.edge_strength = pasted_per_pixel > 0.0 ? left_per_pixel / pasted_per_pixel : (left_out > 0.0 ? 1e9 : 0.0);
  return p;
}

Image paste_back(const Image& original, const Image& edited, const FaceCrop& crop, const std::vector<double>& framing) {
  if (edited.channels != original.channels) throw Error(ErrorKind::InvalidArgument, "paste_back: channel mismatch");
  if (edited.width != edited.height || edited.width < 4) throw Error(ErrorKind::InvalidArgument, "paste_back: the edit is not a square crop");
  const int n = edited.width;
  Image out = original;
  const auto p = paste_region(original, crop, n);
  if (p.region.empty()) return out;
  cv::Mat warped;
  cv::warpAffine(face_detail::to_mat(edited), warped, p.shifted, p.region.size(), cv::INTER_CUBIC | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  // The crop and the photo, mixed by the weight.
  blend_region(out, p, warped_mask(n, paste_mask(n, framing), p), [&](float a, std::uint8_t photo, int y, int i) {
    return a * warped.ptr<std::uint8_t>(y)[i] + (1.0f - a) * photo;
  });
  return out;
}

}  // namespace glowlab
