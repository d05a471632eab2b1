// Editing the face in a video: the sliders of a photo edit applied to every frame of a clip, the
// change pasted back into each full frame, one strength for the whole clip.
#pragma once

#include <functional>
#include <string>

#include "edit/edit.h"

namespace glowlab {

class Model;

// True for the video files `edit_clip` reads (.mp4, .mov, .m4v, .avi, .mkv, .webm; any case).
bool is_video_path(const std::string& path);

struct ClipEditOptions {
  SliderEdit edit;
  int fade_frames = 6;  // the edit fades out and back in over this many frames round a frame without a face
  bool smooth = true;   // smooth the landmarks over time (a One Euro filter), so the crop does not jitter
  std::function<bool(double fraction)> progress;  // fraction done; false cancels (Error(Cancelled), nothing written)
};

struct ClipEditReport {
  int frames = 0;
  int frames_with_face = 0;  // the others pass through unchanged
  double strength = 1.0;     // the whole clip's strength: the least the guard allows on any of its frames
  double fps = 0.0;
  int width = 0, height = 0;
  std::string codec;  // e.g. "H.264 (avc1)"
  // Where the time went, in seconds: reading and converting frames (both passes), finding the face
  // and its landmarks, aligning and encoding it, the guard's strength per frame, rendering the
  // edit, pasting it back, writing the video.
  struct Seconds {
    double read = 0, landmarks = 0, encode = 0, guard = 0, render = 0, paste = 0, write = 0;
  } seconds;
};

// Reads `input` (OpenCV's FFmpeg), finds the largest face (dlib's detector every fifth frame, its
// landmark predictor following the face in between) and aligns it onto the model's framing
// (landmarks smoothed over time), encodes it, applies `options.edit` at the one strength the guard
// allows on every frame, pastes the change into the full frame (paste_change) and writes `output`
// as an MP4 at the clip's size and frame rate, atomically: on any error or a cancel nothing is left.
// The clip's sound is not carried. Throws Error naming the file: not a video, no frame, larger than
// 4096 pixels a side.
ClipEditReport edit_clip(Model& model, const std::string& input, const std::string& output, const ClipEditOptions& options);

}  // namespace glowlab
