// Internal to the clip editor (edit/clip.cpp): an edited clip's pictures, written by OpenCV's video
// writer (which keeps neither sound nor timestamps), joined with its source's sound and frame
// timing by FFmpeg's libavformat, without re-encoding either.
#pragma once

#include <string>

namespace glowlab {

struct MuxReport {
  bool sound = false;      // the source's sound went in
  std::string sound_note;  // when the source has sound that did not go in: why (else empty)
  bool timing = false;     // the frames carry the source's own timestamps (a variable frame rate kept)
};

// Writes `output` (an MP4): the video stream of `pictures` (an MP4 of `frames` frames, the source's
// frames in order) with the first sound stream of `source` copied as it is (when an MP4 can hold
// its codec), the pictures' timestamps replaced by the source's frames' own when the source's video
// has exactly `frames` frames, each with a timestamp. Throws Error naming `shown` (the output's
// name) when `pictures` cannot be read or `output` cannot be written; a source that cannot be read
// again gives pictures alone, with the reason in sound_note.
// The turn (degrees clockwise: 0, 90, 180 or 270) a player gives the first video stream's pictures
// by its display matrix (a phone's portrait clip: 90), as FFmpeg's own tools read it; 0 when none
// or unreadable.
int display_rotation(const std::string& path);

MuxReport mux_with_source(const std::string& pictures, const std::string& source, const std::string& output, const std::string& shown,
                          int frames);

}  // namespace glowlab
