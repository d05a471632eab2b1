// What the CLI's photo commands (edit, align, interpolate) share: reading and framing the photos
// named, their progress and notes, and where and how their results are written.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "glowlab.h"

namespace glowlab::cli {

// A photo read, its face aligned to the model's framing (centre crop, with a note, when no face is
// found) and encoded; or a sample (no photo).
struct EncodedPhoto {
  std::string source;  // the photo's file (its colour profile and metadata go into the export)
  Image photo;
  FaceCrop crop;
  std::vector<float> latent;
};

// The photos named: files as given, folders replaced by the images in them (sorted). `many` is set
// when the result is a batch (several photos, or any folder).
std::vector<std::string> expand_photos(const std::vector<std::string>& args, bool& many);
// A batch's progress on a terminal: "[ 3/40]  7%  photo.png".
void show_progress(size_t done, size_t total, const std::string& path);
// Notes on stderr when the crop is weaker than asked for (no landmarks, no face: FaceCrop::note
// says which), and which face of several is used.
void report_crop(const FaceCrop& crop, const std::string& path, int face);
// The photo read, framed (face by size, 1: the largest; reported) and encoded.
EncodedPhoto encode_photo(Model& model, const std::string& path, int face = 1);
// Frames as an animation (.gif, .mp4) or, for any image extension, one row of tiles. An MP4 says
// which codec it was written with (H.264 where OpenCV has an encoder for it, else MPEG-4 Part 2).
void write_frames(const std::string& path, const std::vector<Image>& frames, double fps);
// Where a batch writes a photo's result: OUTPUT itself for one photo, OUTPUT/NAME.png for several.
std::string output_for(const std::string& photo, const std::string& output, bool many);
// Ends a batch: exit status 1 saying how many photos failed (each was reported as it failed).
void finish_batch(int failures, size_t photos, const char* what);

// The engine's refusal of a name or value typed on the command line, as a bad command line (exit 2).
template <class F>
auto as_usage_error(const std::string& option, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    throw CLI::ValidationError(option, e.what());
  }
}

}  // namespace glowlab::cli
