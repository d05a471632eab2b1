#include "qt_image.h"

#include <cstring>

QImage toQImage(const glowlab::Image& image) {
  if (image.empty()) return {};
  const auto format = image.channels == 3 ? QImage::Format_RGB888 : QImage::Format_Grayscale8;
  QImage out(image.width, image.height, format);
  const size_t row = static_cast<size_t>(image.width) * image.channels;
  for (int y = 0; y < image.height; ++y) std::memcpy(out.scanLine(y), image.bytes.data() + y * row, row);
  return out;
}

glowlab::Image fromQImage(const QImage& image, int channels) {
  const QImage rgb = image.convertToFormat(channels == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
  glowlab::Image out{rgb.width(), rgb.height(), channels == 1 ? 1 : 3, {}};
  const size_t row = static_cast<size_t>(rgb.width()) * out.channels;
  out.bytes.resize(row * rgb.height());
  for (int y = 0; y < rgb.height(); ++y) std::memcpy(out.bytes.data() + y * row, rgb.constScanLine(y), row);
  return out;
}
