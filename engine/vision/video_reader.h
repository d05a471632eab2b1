// Internal to the engine: a video's frames, upright, as RGB images (OpenCV's FFmpeg backend), for
// the clip editor and read_video_frames. OpenCV 4.6 turns a clip with a rotation flag the other way
// round from FFmpeg's tools and players (a phone's portrait clip came out upside down), so its own
// turning is off and frames are turned here by the flag as FFmpeg reads it (display_rotation).
#pragma once

#include <memory>
#include <string>

#include "core/image.h"

namespace glowlab {

class VideoReader {
 public:
  // Throws Error naming `path`: no such file, or not a video this build can read.
  explicit VideoReader(const std::string& path);
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;
  int width() const;      // as shown (turned by the rotation flag)
  int height() const;
  int rotation() const;   // degrees clockwise each stored frame is turned to be shown
  double fps() const;     // as the container says; 25 when it does not
  double frames() const;  // as the container says (an estimate, at least 1)
  // The next frame (RGB, upright) into `frame`; false at the end. Throws Error naming the file for a
  // frame not of the clip's size or not in colour.
  bool read(Image& frame);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glowlab
