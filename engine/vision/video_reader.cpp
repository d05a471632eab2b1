#include "vision/video_reader.h"

#include <algorithm>
#include <filesystem>

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/error.h"
#include "vision/face_crop.h"
#include "vision/video_mux.h"

namespace glowlab {

struct VideoReader::Impl {
  std::string path;
  cv::VideoCapture cap;
  int width = 0, height = 0, rotation = 0;
  double fps = 25.0, frames = 1.0;
  size_t read = 0;
  cv::Mat bgr, turned, rgb;
};

VideoReader::VideoReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.path = path;
  if (!std::filesystem::is_regular_file(path)) throw Error(ErrorKind::Io, path + ": no such file");
  const auto level = cv::utils::logging::getLogLevel();
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  m.cap.open(path, cv::CAP_FFMPEG);  // FFmpeg alone: no camera backends probed
  cv::utils::logging::setLogLevel(level);
  if (!m.cap.isOpened()) throw Error(ErrorKind::Format, path + ": not a video this build can read (or cut short: its index is missing)");
  m.cap.set(cv::CAP_PROP_ORIENTATION_AUTO, 0);
  m.width = static_cast<int>(m.cap.get(cv::CAP_PROP_FRAME_WIDTH));
  m.height = static_cast<int>(m.cap.get(cv::CAP_PROP_FRAME_HEIGHT));
  m.rotation = display_rotation(path);
  if (m.rotation == 90 || m.rotation == 270) std::swap(m.width, m.height);
  m.fps = m.cap.get(cv::CAP_PROP_FPS);
  if (!(m.fps > 0.0 && m.fps <= 1000.0)) m.fps = 25.0;  // a stream that does not say
  m.frames = std::max(1.0, m.cap.get(cv::CAP_PROP_FRAME_COUNT));
}

VideoReader::~VideoReader() = default;
int VideoReader::width() const { return impl_->width; }
int VideoReader::height() const { return impl_->height; }
int VideoReader::rotation() const { return impl_->rotation; }
double VideoReader::fps() const { return impl_->fps; }
double VideoReader::frames() const { return impl_->frames; }

bool VideoReader::read(Image& frame) {
  auto& m = *impl_;
  if (!m.cap.read(m.bgr)) return false;
  ++m.read;
  if (m.rotation != 0) {
    cv::rotate(m.bgr, m.turned, m.rotation == 90 ? cv::ROTATE_90_CLOCKWISE : m.rotation == 180 ? cv::ROTATE_180 : cv::ROTATE_90_COUNTERCLOCKWISE);
    std::swap(m.bgr, m.turned);
  }
  if (m.bgr.cols != m.width || m.bgr.rows != m.height || m.bgr.type() != CV_8UC3) {
    throw Error(ErrorKind::Format, m.path + ": frame " + std::to_string(m.read) + " is not of the clip's size or a colour frame");
  }
  cv::cvtColor(m.bgr, m.rgb, cv::COLOR_BGR2RGB);
  frame = face_detail::from_mat(m.rgb);
  return true;
}

}  // namespace glowlab
