#include <algorithm>
#include <cctype>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "vision/image_io.h"

namespace glowlab {
namespace {

cv::Mat to_mat(const Image& im) {
  cv::Mat m(im.height, im.width, im.channels == 3 ? CV_8UC3 : CV_8UC1,
            const_cast<std::uint8_t*>(im.bytes.data()));
  return m.clone();
}

Image from_mat(const cv::Mat& m) {
  cv::Mat c = m.isContinuous() ? m : m.clone();
  Image im;
  im.width = c.cols;
  im.height = c.rows;
  im.channels = c.channels();
  im.bytes.assign(c.data, c.data + static_cast<size_t>(c.total()) * c.channels());
  return im;
}

}  // namespace

bool have_opencv() { return true; }

std::vector<std::string> writable_image_extensions() { return {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".ppm", ".pgm"}; }

Image read_image(const std::string& path, int channels) {
  return decode_image(read_file(path, kMaxImageFileBytes), channels, path);
}

Image decode_image(const std::string& bytes, int channels, const std::string& path) {
  if (bytes.empty()) throw Error(ErrorKind::Image, path + ": file is empty");
  // The size the header declares is checked before any pixel is decoded: OpenCV reads its own
  // limit (OPENCV_IO_MAX_IMAGE_PIXELS) once, when it loads, so it cannot be set from here.
  check_image_header(bytes, path);
  cv::Mat decoded;
  try {
    // Colour chunks out first: OpenCV does not apply them, and libpng's warnings about them would
    // reach the user's terminal (skimage's astronaut: "iCCP: known incorrect sRGB profile").
    const std::string plain = without_png_colour_chunks(bytes);
    const cv::Mat buf(1, static_cast<int>(plain.size()), CV_8UC1, const_cast<char*>(plain.data()));
    decoded = cv::imdecode(buf, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw Error(ErrorKind::Image, path + ": cannot decode image (" + e.msg + ")");
  }
  if (decoded.empty()) {
    // The header was read (a known format, a size within the limit): the pixel data is damaged.
    long long w = 0, h = 0;
    image_dimensions(bytes, w, h);
    const auto starts = [&](const char* magic) { return bytes.compare(0, std::char_traits<char>::length(magic), magic) == 0; };
    const char* format = starts("\x89PNG") ? "PNG" : starts("\xFF\xD8") ? "JPEG" : starts("RIFF") ? "WebP" : starts("BM") ? "BMP" : "PPM/PGM";
    throw Error(ErrorKind::Image, path + ": corrupt " + format + " image: its header declares " + std::to_string(w) + " x " +
                                      std::to_string(h) + " pixels, but the pixel data cannot be decoded (damaged or cut short)");
  }
  if (static_cast<long long>(decoded.total()) > kMaxImagePixels) {
    throw Error(ErrorKind::Image, path + ": image has " + std::to_string(decoded.total()) +
                                      " pixels, more than the limit of " + std::to_string(kMaxImagePixels));
  }
  if (channels == 3) cv::cvtColor(decoded, decoded, cv::COLOR_BGR2RGB);  // OpenCV decodes BGR
  return from_mat(decoded);
}

std::string encode_image(const Image& image, const std::string& extension, const std::string& path_for_errors) {
  if (image.empty()) throw Error(ErrorKind::InvalidArgument, path_for_errors + ": nothing to write (empty image)");
  cv::Mat m = to_mat(image);
  if (image.channels == 3) cv::cvtColor(m, m, cv::COLOR_RGB2BGR);
  std::vector<uchar> buf;
  std::vector<int> params;
  if (extension == ".jpg" || extension == ".jpeg") params = {cv::IMWRITE_JPEG_QUALITY, 95};
  if (extension == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, 101};  // >100 means lossless
  bool ok = false;
  try {
    ok = cv::imencode(extension, m, buf, params);
  } catch (const cv::Exception& e) {
    throw Error(ErrorKind::Io, path_for_errors + ": cannot encode image as '" + extension + "' (" + e.msg + ")");
  }
  if (!ok) throw Error(ErrorKind::Io, path_for_errors + ": cannot encode image as '" + extension + "'");
  return std::string(buf.begin(), buf.end());
}

void write_image(const std::string& path, const Image& image) {
  const std::string ext = lower_extension(path);
  if (ext.empty()) throw Error(ErrorKind::InvalidArgument, path + ": no file extension to choose a format");
  write_file_atomic(path, encode_image(image, ext, path));
}

Image fit_square(const Image& image, int size) {
  const int side = std::min(image.width, image.height);
  return crop_resize(image, (image.width - side) / 2, (image.height - side) / 2, side, side, size);
}

Image crop_resize(const Image& image, int x, int y, int w, int h, int size) {
  if (image.empty()) throw Error(ErrorKind::InvalidArgument, "crop_resize: empty image");
  cv::Rect r = cv::Rect(x, y, w, h) & cv::Rect(0, 0, image.width, image.height);
  if (r.empty()) throw Error(ErrorKind::InvalidArgument, "crop_resize: crop lies outside the image");
  cv::Mat m = to_mat(image)(r);
  cv::Mat out;
  const bool shrink = r.width > size || r.height > size;
  cv::resize(m, out, cv::Size(size, size), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_CUBIC);
  return from_mat(out);
}

}  // namespace glowlab
