// CelebA's label files: list_attr_celeba.txt and list_eval_partition.txt (plain C++, no torch).
#pragma once

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

}  // namespace glowlab
