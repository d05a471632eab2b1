#include "vision/animation.h"

#include <algorithm>
#include <cctype>

#include <cstdio>
#include <unistd.h>

#include <gif_lib.h>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "vision/video_reader.h"

namespace glowlab {
namespace {

void check_frames(const std::vector<Image>& frames, const std::string& path) {
  if (frames.empty()) throw Error(ErrorKind::InvalidArgument, path + ": no frames to write");
  for (const auto& f : frames) {
    if (f.width != frames[0].width || f.height != frames[0].height || f.channels != 3) {
      throw Error(ErrorKind::InvalidArgument, path + ": frames must be RGB and of one size");
    }
  }
}

bool ends_with(const std::string& s, const std::string& suffix) {  // suffix in lower case; s in any case
  return s.size() >= suffix.size() &&
         std::equal(suffix.begin(), suffix.end(), s.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

void write_gif_to(const std::string& tmp, const std::string& path, const std::vector<Image>& frames, double fps) {
  int err = 0;
  GifFileType* gif = EGifOpenFileName(tmp.c_str(), false, &err);
  if (!gif) throw Error(ErrorKind::Io, "cannot write " + path + ": " + GifErrorString(err));
  auto fail = [&](const char* what) {
    int e = 0;
    EGifCloseFile(gif, &e);
    throw Error(ErrorKind::Io, "cannot write " + path + ": " + what);
  };
  const int w = frames[0].width, h = frames[0].height;
  EGifSetGifVersion(gif, true);
  if (EGifPutScreenDesc(gif, w, h, 8, 0, nullptr) == GIF_ERROR) fail("screen descriptor");
  // Netscape extension: loop forever.
  const unsigned char loop_id[] = "NETSCAPE2.0";
  const unsigned char loop[] = {1, 0, 0};
  if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(gif, 11, loop_id) == GIF_ERROR || EGifPutExtensionBlock(gif, 3, loop) == GIF_ERROR ||
      EGifPutExtensionTrailer(gif) == GIF_ERROR) {
    fail("loop extension");
  }
  const int delay = std::max(2, static_cast<int>(100.0 / fps + 0.5));  // hundredths of a second
  std::vector<GifByteType> r(static_cast<size_t>(w * h)), g(r.size()), b(r.size()), idx(r.size());
  for (const auto& f : frames) {
    for (size_t i = 0; i < r.size(); ++i) {
      r[i] = f.bytes[i * 3];
      g[i] = f.bytes[i * 3 + 1];
      b[i] = f.bytes[i * 3 + 2];
    }
    int colors = 256;
    ColorMapObject* map = GifMakeMapObject(256, nullptr);
    if (!map || GifQuantizeBuffer(static_cast<unsigned>(w), static_cast<unsigned>(h), &colors, r.data(), g.data(), b.data(),
                                  idx.data(), map->Colors) == GIF_ERROR) {
      GifFreeMapObject(map);
      fail("colour quantisation");
    }
    const unsigned char gce[] = {0x04, static_cast<unsigned char>(delay & 0xff), static_cast<unsigned char>(delay >> 8), 0};
    const bool ok = EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, gce) != GIF_ERROR &&
                    EGifPutImageDesc(gif, 0, 0, w, h, false, map) != GIF_ERROR;
    GifFreeMapObject(map);
    if (!ok) fail("frame header");
    for (int y = 0; y < h; ++y) {
      if (EGifPutLine(gif, idx.data() + static_cast<size_t>(y) * w, w) == GIF_ERROR) fail("frame data");
    }
  }
  if (EGifCloseFile(gif, &err) == GIF_ERROR) throw Error(ErrorKind::Io, "cannot write " + path + ": " + GifErrorString(err));
}

}  // namespace

void write_gif(const std::string& path, const std::vector<Image>& frames, double fps) {
  check_frames(frames, path);
  write_atomically(path, ".gif", [&](const std::string& tmp) { write_gif_to(tmp, path, frames, fps); });
}

struct Mp4Writer::Impl {
  cv::VideoWriter writer;
  int width = 0, height = 0;
  std::string codec;
};

Mp4Writer::Mp4Writer(const std::string& temp_path, const std::string& shown_path, int width, int height, double fps)
    : impl_(std::make_unique<Impl>()) {
  // H.264 where OpenCV's writer has an encoder for it (most players want it), else MPEG-4 Part 2.
  struct Codec {
    char tag[5];
    const char* name;
  };
  static const Codec kCodecs[] = {{"avc1", "H.264"}, {"H264", "H.264"}, {"X264", "H.264"}, {"mp4v", "MPEG-4 Part 2"}};
  impl_->width = width + width % 2;
  impl_->height = height + height % 2;
  // A codec the writer lacks is tried quietly: the next one is the answer, not an error.
  const auto level = cv::utils::logging::getLogLevel();
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  for (const auto& c : kCodecs) {
    if (impl_->writer.open(temp_path, cv::VideoWriter::fourcc(c.tag[0], c.tag[1], c.tag[2], c.tag[3]), fps,
                           cv::Size(impl_->width, impl_->height))) {
      impl_->codec = std::string(c.name) + " (" + c.tag + ")";
      break;
    }
  }
  cv::utils::logging::setLogLevel(level);
  if (!impl_->writer.isOpened()) {
    throw Error(ErrorKind::Io, "cannot write " + shown_path + ": no H.264 or MPEG-4 encoder, or the folder is not writable");
  }
}

Mp4Writer::~Mp4Writer() = default;

void Mp4Writer::write(const Image& f) {
  cv::Mat rgb(f.height, f.width, CV_8UC3, const_cast<std::uint8_t*>(f.bytes.data())), bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  if (bgr.cols != impl_->width || bgr.rows != impl_->height) {
    cv::copyMakeBorder(bgr, bgr, 0, impl_->height - bgr.rows, 0, impl_->width - bgr.cols, cv::BORDER_REPLICATE);
  }
  impl_->writer.write(bgr);  // void: a failed encode shows as an empty file, which write_atomically refuses
}

void Mp4Writer::close() { impl_->writer.release(); }

const std::string& Mp4Writer::codec() const { return impl_->codec; }

std::string write_mp4(const std::string& path, const std::vector<Image>& frames, double fps) {
  check_frames(frames, path);
  std::string used;
  write_atomically(path, ".mp4", [&](const std::string& tmp) {
    Mp4Writer writer(tmp, path, frames[0].width, frames[0].height, fps);
    for (const auto& f : frames) writer.write(f);
    writer.close();
    used = writer.codec();
  });
  return used;
}

std::string write_animation(const std::string& path, const std::vector<Image>& frames, double fps) {
  if (ends_with(path, ".gif")) {
    write_gif(path, frames, fps);
    return {};
  } else if (ends_with(path, ".mp4")) {
    return write_mp4(path, frames, fps);
  } else {
    throw Error(ErrorKind::InvalidArgument, path + ": an animation is written as .gif or .mp4; give the file one of those extensions");
  }
}

AnimationInfo read_animation_info(const std::string& path) {
  AnimationInfo info;
  if (ends_with(path, ".gif")) {
    int err = 0;
    GifFileType* gif = DGifOpenFileName(path.c_str(), &err);
    if (!gif) throw Error(ErrorKind::Io, path + ": " + GifErrorString(err));
    if (DGifSlurp(gif) == GIF_ERROR) {
      DGifCloseFile(gif, &err);
      throw Error(ErrorKind::Format, path + ": corrupt GIF");
    }
    info = {gif->ImageCount, gif->SWidth, gif->SHeight, {}};  // a GIF declares no codec
    DGifCloseFile(gif, &err);
    return info;
  }
  cv::VideoCapture cap(path, cv::CAP_FFMPEG);  // FFmpeg alone: no camera backends probed
  if (!cap.isOpened()) throw Error(ErrorKind::Format, path + ": cannot open the video");
  const auto tag = static_cast<std::uint32_t>(cap.get(cv::CAP_PROP_FOURCC));
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((tag >> (8 * i)) & 0xff);
    if (c) info.codec += c;
  }
  cv::Mat f;
  while (cap.read(f)) {
    ++info.frames;
    info.width = f.cols;
    info.height = f.rows;
  }
  return info;
}

std::vector<Image> read_video_frames(const std::string& path, int max_frames) {
  VideoReader clip(path);  // upright, as the clip editor reads it
  std::vector<Image> out;
  Image frame;
  while (static_cast<int>(out.size()) < max_frames && clip.read(frame)) out.push_back(std::move(frame));
  return out;
}

}  // namespace glowlab
