// Editing the face in a video: the sliders of a photo edit applied to every frame of a clip, the
// change pasted back into each full frame, one strength for the whole clip.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "core/image.h"
#include "edit/edit.h"

namespace glowlab {

class Model;

// True for the video files `edit_clip` reads (.mp4, .mov, .m4v, .avi, .mkv, .webm; any case).
bool is_video_path(const std::string& path);

struct ClipEditOptions {
  SliderEdit edit;
  int fade_frames = 6;  // the edit fades out and back in over this many frames round a frame without a face
  bool smooth = true;   // smooth the landmarks over time (a One Euro filter), so the crop does not jitter
  // Which face, by size on the first frame with a face (0: the largest): that person is followed
  // through the clip (at each new detection, the face nearest where it was), never swapped for
  // another. Lost for more than two seconds (a cut), the face is chosen again by this rule.
  int face = 0;
  std::function<bool(double fraction)> progress;  // fraction done; false cancels (Error(Cancelled), nothing written)
};

struct ClipEditReport {
  int frames = 0;
  int frames_with_face = 0;  // the others pass through unchanged
  double strength = 1.0;     // the whole clip's strength: the least the guard allows on any of its frames
  double fps = 0.0;
  int width = 0, height = 0;
  std::string codec;  // e.g. "H.264 (avc1)"
  bool sound = false;      // the clip's sound went into the output, as it was (not re-encoded)
  std::string sound_note;  // the clip has sound that did not go in: why (else empty)
  bool timing = false;     // each frame keeps the clip's own timestamp (a variable frame rate too)
  // Per frame, the crop's transform (frame pixel -> crop pixel, as FaceCrop's) where a face was
  // found, all zero where none was: where the edit was placed, to measure its jitter and lag.
  std::vector<std::array<double, 6>> transforms;
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
// The clip's first sound stream is copied in as it is (when an MP4 can hold its codec) and each
// frame keeps its own timestamp. Throws Error naming the file: not a video, no frame, larger than
// 4096 pixels a side.
ClipEditReport edit_clip(Model& model, const std::string& input, const std::string& output, const ClipEditOptions& options);

// One frame of a clip before and after the edit, to show before a run (the window's Apply Edit to
// Video): the first frame with a face within the first `search` frames (else the first frame),
// every face on it and the edit of face `options.face` pasted in as edit_clip would paste it there.
struct ClipPreview {
  int frame_index = 0;  // the frame shown (0: the first)
  Image frame;          // as read
  Image edited;         // with the edit pasted in (the frame itself when it has no face to edit)
  std::vector<std::array<int, 4>> faces;  // every face on it (x, y, w, h), largest first
  bool edited_face = false;  // face options.face was found and edited
  double strength = 1.0;     // what the guard allows the edit on this frame
  int frames = 0;            // the clip's frame count as its container says it (an estimate)
  int width = 0, height = 0;
  double fps = 0.0;
};
// How steadily a clip's crops followed its face: per frame, the crop's centre and side in frame
// pixels (from ClipEditReport::transforms) against where the face's true motion puts them (`ideal`,
// transforms of the same kind); frames where either is all zero are left out. The constant part
// of the error (the landmarks' own bias) is not counted.
struct TrackSteadiness {
  double jitter = 0.0;  // root mean square of the error's change from one frame to the next (pixels): shake
  double lag = 0.0;     // largest distance of the error, averaged over 5 frames, from its mean (pixels): falling behind
  int frames = 0;       // frames compared
};
TrackSteadiness track_steadiness(const std::vector<std::array<double, 6>>& measured, const std::vector<std::array<double, 6>>& ideal,
                                 int size);

ClipPreview preview_clip(Model& model, const std::string& input, const ClipEditOptions& options, int search = 150);

}  // namespace glowlab
