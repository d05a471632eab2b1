// GlowConfig: the shape of a Glow model. Plain C++ so the UI and CLI can read it without torch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glowlab {

enum class CouplingType { Affine, Additive };
enum class Permutation { LU, Plain, Reverse };

struct GlowConfig {
  int image_size = 64;   // square images, divisible by 2^levels
  int channels = 3;      // 1 (grey) or 3 (RGB)
  int levels = 3;        // L: multi-scale levels
  int steps = 8;         // K: flow steps per level
  int width = 128;       // hidden channels of the coupling network
  CouplingType coupling = CouplingType::Affine;
  Permutation permutation = Permutation::LU;
  int n_bits = 8;        // quantisation of the pixels (the paper used 5 for faces)
  bool learn_top = true; // learned top prior (else N(0, I))

  // Throws Error(InvalidArgument) naming the first bad field.
  void validate() const;
  // D = channels * image_size^2, the latent dimension.
  std::int64_t dimension() const;
  int n_bins() const { return 1 << n_bits; }
  // Latent shape [C, H, W] of each level, finest first; the last entry is the top level.
  std::vector<std::vector<std::int64_t>> level_shapes() const;

  std::string to_json() const;
  // Parses and validates; `where` names the source (a file) in error messages.
  static GlowConfig from_json(const std::string& json, const std::string& where);
};

const char* to_string(CouplingType c);
const char* to_string(Permutation p);

}  // namespace glowlab
