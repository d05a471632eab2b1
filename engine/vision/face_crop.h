// Internal to the face code (face_align.cpp, face_crop.cpp, landmarks.cpp, paste_back.cpp) and the
// video reader (video_reader.cpp): Image <->
// cv::Mat views and the affine warp every crop is made by. Not part of the engine's API.
#pragma once

#include <array>

#include <opencv2/core.hpp>

#include "vision/face_align.h"

namespace glowlab::face_detail {

// A view of the image's bytes (no copy: it lives as long as `im`).
cv::Mat to_mat(const Image& im);
// A copy of the matrix's pixels.
Image from_mat(const cv::Mat& m);
// The photo in grey (a copy).
cv::Mat gray_of(const Image& photo);

// A FaceCrop transform (row-major 2x3) as a CV_64F matrix.
cv::Mat transform_mat(const std::array<double, 6>& t);

// Warps the photo by `m` (original -> crop) into a size x size crop; shrinks by area averaging
// first when the crop is much smaller than the region it covers, so it is not aliased.
FaceCrop warp_crop(const Image& photo, int size, const cv::Mat& m);

// The crop of the square of `side` photo pixels about `centre`, rotated by `angle_deg`.
FaceCrop crop_with(const Image& photo, int size, cv::Point2d centre, double side, double angle_deg);

}  // namespace glowlab::face_detail
