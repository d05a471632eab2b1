// Edit recipes: a JSON file holding everything needed to reproduce an edit exactly (the photo and
// model with their SHA-256, the crop transform and which face it framed, slider values, detail
// level, locked attributes, or the sample settings). Plain C++: the window saves and opens them,
// `glowlab-cli edit --recipe` applies them. Format: docs/recipe-format.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace glowlab {

inline constexpr const char* kRecipeFormat = "glowlab.recipe/1";

struct Recipe {
  std::string source;          // photo path; empty when the image is a sample
  std::string source_sha256;
  std::array<double, 6> transform{};  // photo pixel -> crop pixel (as FaceCrop::transform)
  int face = 0;                // which face of the photo the crop frames, by size (1: the largest); 0: not recorded
  int sample_index = -1;       // when the image is a sample: its index among `sample_count` drawn at T and seed
  int sample_count = 0;
  double sample_temperature = 0.7;
  std::uint64_t sample_seed = 0;
  std::string model;
  std::string model_sha256;
  std::vector<std::pair<std::string, double>> sliders;  // attribute name -> value, sorted by name
  int finest_level = 0;
  std::vector<std::string> locked;  // attributes held fixed while the others moved
  bool is_sample() const { return sample_index >= 0; }
};

std::string recipe_to_json(const Recipe& recipe);
// Parses and validates (format tag, a photo with a finite invertible transform or a sample in
// range, finite slider values, names as strings); throws Error(Format) naming `path` and the field.
Recipe parse_recipe(const std::string& text, const std::string& path);
// Reads (at most 1 MB) and parses; Error(Io) when the file cannot be read.
Recipe load_recipe(const std::string& path);
// Writes atomically; Error(Io) naming the path on failure.
void save_recipe(const std::string& path, const Recipe& recipe);

// SHA-256 of a file's bytes as lowercase hex; empty when it cannot be read.
std::string file_sha256(const std::string& path);

}  // namespace glowlab
