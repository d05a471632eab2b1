// Image files without OpenCV (GPU build machines): binary PPM (P6) and PGM (P5) only.
#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "vision/image_io.h"

namespace glowlab {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                                                 [](char a, char b) { return std::tolower(a) == b; });
}

}  // namespace

bool have_opencv() { return false; }

Image read_image(const std::string& path, int channels) {
  return decode_image(read_file(path, kMaxImageFileBytes), channels, path);
}

Image decode_image(const std::string& bytes, int channels, const std::string& path) {
  std::istringstream in(bytes);
  std::string magic;
  long long w = 0, h = 0, maxval = 0;
  in >> magic >> w >> h >> maxval;
  if (!in || (magic != "P5" && magic != "P6") || maxval != 255 || w <= 0 || h <= 0) {
    throw Error(ErrorKind::Image, path + ": not a binary PPM/PGM with maxval 255 (this build has no OpenCV)");
  }
  if (w > kMaxImagePixels / h) throw Error(ErrorKind::Image, path + ": image is larger than the pixel limit");  // no overflow
  in.get();  // the one whitespace byte after maxval
  const int file_channels = magic == "P6" ? 3 : 1;
  const size_t need = static_cast<size_t>(w * h * file_channels);
  const auto pos = in.tellg();  // -1 when the header ends the file
  if (!in || pos < 0 || bytes.size() - static_cast<size_t>(pos) < need) {
    throw Error(ErrorKind::Image, path + ": truncated pixel data");
  }
  const size_t start = static_cast<size_t>(pos);
  Image im{static_cast<int>(w), static_cast<int>(h), channels, {}};
  im.bytes.resize(static_cast<size_t>(w * h * channels));
  const auto* src = reinterpret_cast<const unsigned char*>(bytes.data() + start);
  for (long long i = 0; i < w * h; ++i) {
    for (int c = 0; c < channels; ++c) {
      if (file_channels == channels) {
        im.bytes[i * channels + c] = src[i * file_channels + c];
      } else if (channels == 3) {
        im.bytes[i * 3 + c] = src[i];
      } else {
        im.bytes[i] = static_cast<uint8_t>((src[i * 3] * 299 + src[i * 3 + 1] * 587 + src[i * 3 + 2] * 114) / 1000);
      }
    }
  }
  return im;
}

std::string encode_image(const Image& image, const std::string& extension, const std::string& path_for_errors) {
  if (extension != ".ppm" && extension != ".pgm") {
    throw Error(ErrorKind::Io, path_for_errors + ": this build has no OpenCV and writes only .ppm/.pgm");
  }
  std::string out = (image.channels == 3 ? "P6\n" : "P5\n") + std::to_string(image.width) + " " +
                    std::to_string(image.height) + "\n255\n";
  out.append(image.bytes.begin(), image.bytes.end());
  return out;
}

std::vector<std::string> writable_image_extensions() { return {".ppm", ".pgm"}; }

void write_image(const std::string& path, const Image& image) {
  const std::string ext = ends_with(path, ".pgm") ? ".pgm" : ends_with(path, ".ppm") ? ".ppm" : "";
  write_file_atomic(path, encode_image(image, ext, path));  // anything else is refused with a message
}

Image crop_resize(const Image& image, int x, int y, int w, int h, int size) {
  x = std::clamp(x, 0, image.width - 1);
  y = std::clamp(y, 0, image.height - 1);
  w = std::clamp(w, 1, image.width - x);
  h = std::clamp(h, 1, image.height - y);
  Image out{size, size, image.channels, {}};
  out.bytes.resize(static_cast<size_t>(size) * size * image.channels);
  for (int oy = 0; oy < size; ++oy) {
    for (int ox = 0; ox < size; ++ox) {
      const int x0 = x + ox * w / size, x1 = std::max(x0 + 1, x + (ox + 1) * w / size);
      const int y0 = y + oy * h / size, y1 = std::max(y0 + 1, y + (oy + 1) * h / size);
      for (int c = 0; c < image.channels; ++c) {
        long sum = 0;
        for (int yy = y0; yy < y1; ++yy) {
          for (int xx = x0; xx < x1; ++xx) sum += image.at(xx, yy, c);
        }
        out.bytes[(static_cast<size_t>(oy) * size + ox) * image.channels + c] =
            static_cast<uint8_t>(sum / ((x1 - x0) * (y1 - y0)));
      }
    }
  }
  return out;
}

Image fit_square(const Image& image, int size) {
  const int side = std::min(image.width, image.height);
  return crop_resize(image, (image.width - side) / 2, (image.height - side) / 2, side, side, size);
}

}  // namespace glowlab
