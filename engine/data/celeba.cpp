#include "data/celeba.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "vision/image_io.h"

namespace glowlab {
namespace {

constexpr std::size_t kMaxLabelFileBytes = std::size_t{1} << 30;

[[noreturn]] void bad(const std::string& path, std::size_t line, const std::string& what) {
  throw Error(ErrorKind::Format, path + ":" + std::to_string(line) + ": " + what);
}

std::vector<std::string> split_ws(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

using Words = std::vector<std::string>;

// CelebA's list files: line 1 the image count, line 2 the column names, then one row per image.
// `header` sees line 2's words, `row` every later non-empty line's; the rows must match the count.
void read_celeba_table(const std::string& text, const std::string& path, const std::string& columns,
                       const std::function<void(const Words&, std::size_t)>& header,
                       const std::function<void(const Words&, std::size_t)>& row) {
  std::istringstream in(text);
  std::string line;
  std::size_t lineno = 0;
  long long declared = -1, rows = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto words = split_ws(line);
    if (lineno == 1) {
      try {
        declared = std::stoll(line);
        if (words.size() != 1 || declared < 0) throw std::invalid_argument("count");
      } catch (const std::exception&) {
        bad(path, lineno, "expected the image count, got '" + line + "'");
      }
    } else if (lineno == 2) {
      header(words, lineno);
    } else if (!words.empty()) {
      row(words, lineno);
      ++rows;
    }
  }
  if (lineno < 2) bad(path, lineno + 1, "file ends before the " + columns);
  if (rows != declared) bad(path, 1, "declares " + std::to_string(declared) + " images but lists " + std::to_string(rows));
}

}  // namespace

CelebaAttributes parse_celeba_attributes(const std::string& path) {
  return parse_celeba_attributes_text(read_file(path, kMaxLabelFileBytes), path);
}

CelebaAttributes parse_celeba_attributes_text(const std::string& text, const std::string& path) {
  CelebaAttributes out;
  read_celeba_table(
      text, path, "attribute names",
      [&](const Words& words, std::size_t lineno) {
        if (words.empty()) bad(path, lineno, "expected the attribute names");
        out.names = words;
      },
      [&](const Words& words, std::size_t lineno) {
        if (words.size() != out.names.size() + 1) {
          bad(path, lineno, "expected a file name and " + std::to_string(out.names.size()) + " values, got " +
                                std::to_string(words.size()) + " fields");
        }
        std::vector<std::int8_t> v;
        for (std::size_t i = 1; i < words.size(); ++i) {
          if (words[i] == "1") v.push_back(1);
          else if (words[i] == "-1") v.push_back(-1);
          else bad(path, lineno, "value '" + words[i] + "' for " + out.names[i - 1] + " is not 1 or -1");
        }
        out.files.push_back(words[0]);
        out.values.push_back(std::move(v));
      });
  return out;
}

std::map<std::string, int> parse_celeba_partition(const std::string& path) {
  return parse_celeba_partition_text(read_file(path, kMaxLabelFileBytes), path);
}

std::map<std::string, int> parse_celeba_partition_text(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  std::string line;
  std::map<std::string, int> out;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const auto words = split_ws(line);
    if (words.empty()) continue;
    if (words.size() != 2 || (words[1] != "0" && words[1] != "1" && words[1] != "2")) {
      bad(path, lineno, "expected 'file 0|1|2', got '" + line + "'");
    }
    out[words[0]] = words[1][0] - '0';
  }
  return out;
}

CelebaLandmarks parse_celeba_landmarks(const std::string& path) {
  return parse_celeba_landmarks_text(read_file(path, kMaxLabelFileBytes), path);
}

CelebaLandmarks parse_celeba_landmarks_text(const std::string& text, const std::string& path) {
  CelebaLandmarks out;
  read_celeba_table(
      text, path, "column names",
      [&](const Words& words, std::size_t lineno) {
        if (words.size() != 10) bad(path, lineno, "expected the 10 landmark column names, got " + std::to_string(words.size()));
      },
      [&](const Words& words, std::size_t lineno) {
        if (words.size() != 11) {
          bad(path, lineno, "expected a file name and 10 coordinates, got " + std::to_string(words.size()) + " fields");
        }
        std::array<double, 10> p{};
        for (std::size_t i = 0; i < 10; ++i) {
          try {
            std::size_t used = 0;
            p[i] = std::stod(words[i + 1], &used);
            if (used != words[i + 1].size() || !std::isfinite(p[i])) throw std::invalid_argument("number");
          } catch (const std::exception&) {
            bad(path, lineno, "coordinate '" + words[i + 1] + "' is not a number");
          }
        }
        out.files.push_back(words[0]);
        out.points.push_back(p);
      });
  return out;
}

std::vector<double> celeba_framing(const std::string& folder) {
  namespace fs = std::filesystem;
  const auto marks_path = (fs::path(folder) / "list_landmarks_align_celeba.txt").string();
  if (!fs::exists(marks_path)) return {};
  const auto marks = parse_celeba_landmarks(marks_path);
  std::map<std::string, int> partition;
  const auto part_path = (fs::path(folder) / "list_eval_partition.txt").string();
  if (fs::exists(part_path)) partition = parse_celeba_partition(part_path);
  std::array<double, 10> sum{};
  long long n = 0;
  int width = 0, height = 0;
  for (std::size_t i = 0; i < marks.files.size(); ++i) {
    const auto it = partition.find(marks.files[i]);
    if (!partition.empty() && (it == partition.end() || it->second != 0)) continue;
    if (width == 0) {  // every image of a CelebA-layout folder has one size: read it from the first header
      const auto image = (fs::path(folder) / "img_align_celeba" / marks.files[i]).string();
      long long w = 0, h = 0;
      if (!image_dimensions(read_file(image, std::size_t{1} << 28), w, h) || w <= 0 || h <= 0) {
        throw Error(ErrorKind::Image, image + ": not a PNG, JPEG, WebP, BMP or PPM/PGM image (its size frames the landmarks)");
      }
      width = static_cast<int>(w);
      height = static_cast<int>(h);
    }
    for (std::size_t k = 0; k < 10; ++k) sum[k] += marks.points[i][k];
    ++n;
  }
  if (n == 0) return {};
  const auto [x0, y0, side] = plain_square(width, height, true);  // the square the datasets crop
  std::vector<double> out(10);
  for (std::size_t k = 0; k < 10; ++k) {
    const double mean = sum[k] / static_cast<double>(n);
    out[k] = std::clamp(((k % 2 == 0) ? mean - x0 : mean - y0) / side, 0.0, 1.0);
  }
  return out;
}

std::array<double, 3> plain_square(int width, int height, bool celeba) {
  // Aligned CelebA is 178x218; the usual crop is its central 148x148 square.
  constexpr int kCelebaWidth = 178, kCelebaCrop = 148;
  const int side = celeba && height > width ? std::max(1, width * kCelebaCrop / kCelebaWidth) : std::min(width, height);
  return {static_cast<double>((width - side) / 2), static_cast<double>((height - side) / 2), static_cast<double>(side)};
}

}  // namespace glowlab
