// CelebA's label files: list_attr_celeba.txt and list_eval_partition.txt (plain C++, no torch).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace glowlab {

struct CelebaAttributes {
  std::vector<std::string> names;               // attribute names, in column order
  std::vector<std::string> files;               // image file names, in row order
  std::vector<std::vector<std::int8_t>> values;  // per row: +1 / -1 per attribute
};

// Line 1: the image count; line 2: attribute names; then "file v1 v2 ..." with 1 / -1.
// Throws Error(Format) naming the file and line of the first malformed line.
CelebaAttributes parse_celeba_attributes(const std::string& path);
CelebaAttributes parse_celeba_attributes_text(const std::string& text, const std::string& path);

// "file partition" lines: 0 train, 1 valid, 2 test. Throws Error(Format) naming file and line.
std::map<std::string, int> parse_celeba_partition(const std::string& path);
std::map<std::string, int> parse_celeba_partition_text(const std::string& text, const std::string& path);

// list_landmarks_align_celeba.txt: the image count, the 10 column names, then "file x1 y1 ... x5 y5"
// (left eye, right eye, nose, left and right mouth corner, in pixels of the aligned image).
struct CelebaLandmarks {
  std::vector<std::string> files;
  std::vector<std::array<double, 10>> points;
};
CelebaLandmarks parse_celeba_landmarks(const std::string& path);
CelebaLandmarks parse_celeba_landmarks_text(const std::string& text, const std::string& path);

// The mean five-point template of a CelebA-layout folder's training images (partition 0, or all
// when there is no partition file), as fractions of the side of the square the datasets crop them to
// (aligned CelebA: its central square; others: the centre square). Empty when the folder has no
// landmark file. Throws Error(Format) naming the file for a malformed one.
std::vector<double> celeba_framing(const std::string& folder);

// The square a photo of width x height is cropped to without alignment, {x0, y0, side} in its
// pixels (integer offsets): with `celeba`, aligned CelebA's (taller than wide) central 148/178 of
// the width; else the centre square. The datasets crop it; celeba_framing measures landmarks in it.
std::array<double, 3> plain_square(int width, int height, bool celeba);

}  // namespace glowlab
