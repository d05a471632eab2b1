// Animations: GIF (giflib) and MP4 (OpenCV's video writer), written atomically.
#pragma once

#include <string>
#include <vector>

#include "core/image.h"

namespace glowlab {

// Writes RGB frames of one size as a looping GIF (each frame quantised to 256 colours).
void write_gif(const std::string& path, const std::vector<Image>& frames, double fps);
// Writes RGB frames as an MPEG-4 video (even sizes are padded by replication).
void write_mp4(const std::string& path, const std::vector<Image>& frames, double fps);
// True for a path ending in .gif or .mp4 (any case): the formats write_animation writes.
bool is_animation_path(const std::string& path);
// Writes frames as a GIF or an MP4 chosen by the extension; any other is Error naming the file.
void write_animation(const std::string& path, const std::vector<Image>& frames, double fps);
// Frame count and size of a GIF or MP4 file (for checks); throws Error naming the file.
struct AnimationInfo {
  int frames = 0, width = 0, height = 0;
};
AnimationInfo read_animation_info(const std::string& path);

}  // namespace glowlab
