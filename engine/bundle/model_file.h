// The .glow model file: a safetensors container holding a Glow's weights, its config, attribute
// directions and provenance (docs/model-format.md).
#pragma once

#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "bundle/attribute.h"
#include "flow/glow.h"

namespace glowlab {

inline constexpr const char* kBundleFormat = "glowlab.bundle/1";

struct ModelFile {
  Glow glow{nullptr};
  std::vector<Attribute> attributes;
  std::vector<at::Tensor> directions;  // one [D] float tensor per attribute, same order
  std::string provenance_json = "{}";
  // The model's framing: CelebA's five landmarks (left eye, right eye, nose, left and right mouth
  // corner; x, y pairs) averaged over its training images, as fractions of the image side. Empty:
  // none (photos are then framed from the face detector's box).
  std::vector<double> framing;
  bool checksummed = false;  // loaded: the file's SHA-256 checksums were present and matched
};

// Writes atomically. Throws Error(Io) naming the path on failure, Error(Numeric) if any weight is
// not finite (a broken model is never written).
void save_model(const std::string& path, const ModelFile& model);

// Reads and validates everything before use; throws Error(Format) naming the path and the field.
// The Glow is built on the CPU in float32.
ModelFile load_model(const std::string& path);
ModelFile parse_model(const std::string& bytes, const std::string& path);

}  // namespace glowlab
