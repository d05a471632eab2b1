// Parts of image_io that need no codec: grids, folder listing.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "vision/animation.h"
#include "vision/image_io.h"

namespace glowlab {
namespace {

unsigned be16(const std::string& b, std::size_t i) {
  return (static_cast<unsigned char>(b[i]) << 8) | static_cast<unsigned char>(b[i + 1]);
}
unsigned long be32(const std::string& b, std::size_t i) {
  return (static_cast<unsigned long>(be16(b, i)) << 16) | be16(b, i + 2);
}
unsigned le16(const std::string& b, std::size_t i) {
  return static_cast<unsigned char>(b[i]) | (static_cast<unsigned char>(b[i + 1]) << 8);
}
long le32s(const std::string& b, std::size_t i) {
  return static_cast<std::int32_t>(le16(b, i) | (static_cast<std::uint32_t>(le16(b, i + 2)) << 16));
}
unsigned long le24(const std::string& b, std::size_t i) {
  return le16(b, i) | (static_cast<unsigned long>(static_cast<unsigned char>(b[i + 2])) << 16);
}

bool jpeg_dimensions(const std::string& b, long long& w, long long& h) {
  std::size_t i = 2;
  while (i + 4 <= b.size()) {
    if (static_cast<unsigned char>(b[i]) != 0xFF) return false;
    const unsigned marker = static_cast<unsigned char>(b[i + 1]);
    if (marker == 0xFF) { ++i; continue; }                                   // fill byte
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD9)) { i += 2; continue; }  // no length
    const unsigned len = be16(b, i + 2);
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (i + 9 > b.size()) return false;
      h = be16(b, i + 5);
      w = be16(b, i + 7);
      return true;
    }
    if (len < 2) return false;
    i += 2 + len;
  }
  return false;
}

bool pnm_dimensions(const std::string& b, long long& w, long long& h) {
  std::size_t i = 2;
  long long v[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    while (i < b.size() && (std::isspace(static_cast<unsigned char>(b[i])) || b[i] == '#')) {
      if (b[i] == '#') while (i < b.size() && b[i] != '\n') ++i;
      else ++i;
    }
    if (i >= b.size() || !std::isdigit(static_cast<unsigned char>(b[i]))) return false;
    while (i < b.size() && std::isdigit(static_cast<unsigned char>(b[i])) && v[k] < (1LL << 40)) v[k] = v[k] * 10 + (b[i++] - '0');
  }
  w = v[0];
  h = v[1];
  return true;
}

}  // namespace

bool image_dimensions(const std::string& b, long long& w, long long& h) {
  if (b.size() >= 24 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && b.compare(12, 4, "IHDR") == 0) {
    w = static_cast<long long>(be32(b, 16));
    h = static_cast<long long>(be32(b, 20));
    return true;
  }
  if (b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8) {
    return jpeg_dimensions(b, w, h);
  }
  if (b.size() >= 26 && b.compare(0, 2, "BM") == 0) {
    w = std::llabs(le32s(b, 18));
    h = std::llabs(le32s(b, 22));
    return true;
  }
  if (b.size() >= 30 && b.compare(0, 4, "RIFF") == 0 && b.compare(8, 4, "WEBP") == 0) {
    if (b.compare(12, 4, "VP8 ") == 0) {
      w = le16(b, 26) & 0x3fff;
      h = le16(b, 28) & 0x3fff;
      return true;
    }
    if (b.compare(12, 4, "VP8L") == 0) {
      const unsigned long bits = le16(b, 21) | (static_cast<unsigned long>(le16(b, 23)) << 16);
      w = static_cast<long long>(bits & 0x3fff) + 1;
      h = static_cast<long long>((bits >> 14) & 0x3fff) + 1;
      return true;
    }
    if (b.compare(12, 4, "VP8X") == 0) {
      w = static_cast<long long>(le24(b, 24)) + 1;
      h = static_cast<long long>(le24(b, 27)) + 1;
      return true;
    }
    return false;
  }
  if (b.size() >= 3 && b[0] == 'P' && (b[1] == '2' || b[1] == '3' || b[1] == '5' || b[1] == '6')) return pnm_dimensions(b, w, h);
  return false;
}

void check_image_header(const std::string& bytes, const std::string& path) {
  long long w = 0, h = 0;
  if (!image_dimensions(bytes, w, h)) {
    throw Error(ErrorKind::Image, path + " is not a PNG, JPEG, WebP, BMP or PPM/PGM image (or its header is damaged)");
  }
  if (w <= 0 || h <= 0) throw Error(ErrorKind::Image, path + ": the image header declares no pixels (" +
                                                          std::to_string(w) + " x " + std::to_string(h) + ")");
  if (w > kMaxImagePixels / h) {  // w * h > the limit, without overflowing (a header may say 2^40 x 2^40)
    throw Error(ErrorKind::Image, path + " is " + std::to_string(w) + " x " + std::to_string(h) + " pixels; the limit is " +
                                      std::to_string(kMaxImagePixels / 1'000'000) + " megapixels");
  }
}

Image make_grid(const std::vector<Image>& images, int cols, int pad) {
  if (images.empty()) throw Error(ErrorKind::InvalidArgument, "make_grid: no images");
  const auto& f = images.front();
  cols = std::max(1, std::min<int>(cols, static_cast<int>(images.size())));
  const int rows = (static_cast<int>(images.size()) + cols - 1) / cols;
  Image g;
  g.channels = f.channels;
  g.width = cols * f.width + (cols - 1) * pad;
  g.height = rows * f.height + (rows - 1) * pad;
  g.bytes.assign(static_cast<size_t>(g.width) * g.height * g.channels, 255);
  for (size_t i = 0; i < images.size(); ++i) {
    const auto& im = images[i];
    if (im.width != f.width || im.height != f.height || im.channels != f.channels) {
      throw Error(ErrorKind::InvalidArgument, "make_grid: images differ in size");
    }
    const int ox = static_cast<int>(i % cols) * (f.width + pad);
    const int oy = static_cast<int>(i / cols) * (f.height + pad);
    const size_t row = static_cast<size_t>(f.width) * f.channels;
    for (int y = 0; y < f.height; ++y) {
      std::copy_n(im.bytes.data() + y * row, row,
                  g.bytes.data() + ((static_cast<size_t>(oy) + y) * g.width + ox) * g.channels);
    }
  }
  return g;
}

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

bool is_animation_path(const std::string& path) {
  const std::string ext = lower_extension(path);
  return ext == ".gif" || ext == ".mp4";
}

void check_image_extension(const std::string& path, const std::vector<std::string>& also) {
  const std::string ext = lower_extension(path);
  auto known = writable_image_extensions();
  known.insert(known.end(), also.begin(), also.end());
  if (!ext.empty() && std::find(known.begin(), known.end(), ext) != known.end()) return;
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  throw Error(ErrorKind::InvalidArgument, path + ": " + (ext.empty() ? "no file extension to choose a format by"
                                                                     : "GlowLab cannot write '" + ext + "' files") +
                                              "; it writes " + list);
}

std::string without_png_colour_chunks(const std::string& bytes) {
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  if (bytes.compare(0, kSignature.size(), kSignature) != 0) return bytes;
  std::string out = kSignature;
  std::size_t i = kSignature.size();
  // Each chunk: 4-byte length, 4-byte type, data, 4-byte CRC. Anything that does not parse is left
  // for the decoder to judge, byte for byte.
  while (i + 12 <= bytes.size()) {
    const unsigned long len = be32(bytes, i);
    if (len > bytes.size() - i - 12) return bytes;
    const std::string type = bytes.substr(i + 4, 4);
    if (type != "iCCP" && type != "sRGB" && type != "cHRM") out.append(bytes, i, len + 12);
    i += len + 12;
    if (type == "IEND") break;
  }
  out.append(bytes, i, std::string::npos);
  return out;
}

std::vector<std::string> list_images(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(ErrorKind::Io, dir + ": not a readable directory");
  std::vector<std::string> out;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw Error(ErrorKind::Io, dir + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec)) continue;
    const std::string ext = lower_extension(it->path().string());
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp" || ext == ".bmp" ||
        ext == ".ppm" || ext == ".pgm") {
      out.push_back(it->path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace glowlab
