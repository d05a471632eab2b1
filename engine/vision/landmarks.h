// Internal to the face code: dlib's five-point landmarks of a face, for align_face (face_align.cpp).
// Plain OpenCV types, so that including it does not bring in dlib's headers.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace glowlab::face_detail {

#ifdef GLOWLAB_HAVE_DLIB
// The five landmarks (eye centres, nose tip, mouth corners), in photo pixels, of face `index` by
// size (0: the largest) in the grey photo; `count` gets how many faces were found and `boxes` them
// (x, y, w, h, largest first). The detector runs on a copy whose longer side is ~detect_side px
// (small photos enlarged up to 4x: its window is 80 px); false, with `why`, when there is no
// landmark model or no face. With `chip`, also the mapping (photo pixels -> chip pixels, row-major
// 2x3) of dlib's face chip of that face from all 68 points (kIdentityChipSize px, padding 0.25).
bool find_landmarks(const cv::Mat& gray, int index, std::array<double, 10>& out, std::string& why, int& count,
                    std::vector<std::array<int, 4>>& boxes, int detect_side = 800, std::array<double, 6>* chip = nullptr);
// The five landmarks of the face inside `box` (x, y, w, h in photo pixels) by the shape predictor
// alone, without the detector: following a face from one video frame to the next.
bool landmarks_in_box(const cv::Mat& gray, const std::array<int, 4>& box, std::array<double, 10>& out, std::string& why);
#endif

}  // namespace glowlab::face_detail
