// Animations: GIF (giflib) and MP4 (OpenCV's video writer), written atomically.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/image.h"

namespace glowlab {

// Writes RGB frames of one size as a looping GIF (each frame quantised to 256 colours).
void write_gif(const std::string& path, const std::vector<Image>& frames, double fps);
// Writes RGB frames as an MP4 video (odd sizes are padded to even ones by replication): H.264
// (fourcc avc1, then H264, X264) when OpenCV's writer opens with it, else MPEG-4 Part 2 (mp4v).
// Returns the codec used, e.g. "H.264 (avc1)" or "MPEG-4 Part 2 (mp4v)".
std::string write_mp4(const std::string& path, const std::vector<Image>& frames, double fps);
// The same, a frame at a time (a clip too long to hold): opens `temp_path` (write_atomically's) with
// the first codec the writer has; Error(Io) naming `shown_path` when none opens. Frames are RGB, of
// the size given (odd sizes padded to even ones by replication).
class Mp4Writer {
 public:
  Mp4Writer(const std::string& temp_path, const std::string& shown_path, int width, int height, double fps);
  ~Mp4Writer();
  Mp4Writer(const Mp4Writer&) = delete;
  Mp4Writer& operator=(const Mp4Writer&) = delete;
  void write(const Image& frame);
  void close();
  const std::string& codec() const;  // e.g. "H.264 (avc1)"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};
// True for a path ending in .gif or .mp4 (any case): the formats write_animation writes.
bool is_animation_path(const std::string& path);
// Writes frames as a GIF or an MP4 chosen by the extension; any other is Error naming the file.
// Returns an MP4's codec as write_mp4 does (empty for a GIF).
std::string write_animation(const std::string& path, const std::vector<Image>& frames, double fps);
// Frame count and size of a GIF or MP4 file (for checks); throws Error naming the file.
struct AnimationInfo {
  int frames = 0, width = 0, height = 0;
  std::string codec;  // an MP4's fourcc as the file declares it (e.g. "avc1", "mp4v"); empty for a GIF
};
AnimationInfo read_animation_info(const std::string& path);
// The first `max_frames` frames of a video (OpenCV's FFmpeg), as RGB images: for checks and
// contact sheets. Throws Error naming the file when it cannot be read as a video.
std::vector<Image> read_video_frames(const std::string& path, int max_frames = 100000);

}  // namespace glowlab
