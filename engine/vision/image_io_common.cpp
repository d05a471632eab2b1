// Parts of image_io that need no codec: grids, folder listing.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/error.h"
#include "vision/image_io.h"

namespace glowlab {

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
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp" || ext == ".bmp" ||
        ext == ".ppm" || ext == ".pgm") {
      out.push_back(it->path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace glowlab
