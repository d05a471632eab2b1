// GlowConfig: the shape of a Glow model. Plain C++ so the UI and CLI can read it without torch.
#pragma once

#include <cstdint>
#include <optional>
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
  // Affine coupling scale: 0 = the paper's sigmoid(h + 2), whose inverse is unbounded (files
  // without the field); s in (0, 1) = s + (1 - s) * sigmoid(h + 2), so the inverse multiplies
  // by at most 1/s per coupling and an edited latent cannot overflow. New models use
  // kDefaultScaleMin.
  double scale_min = 0.0;
  // Imported models (docs/import.md); files without these fields keep the defaults, unchanged.
  // Zero-convolutions (coupling output, split priors) pad their input with ones, not zeros
  // (rosinality/glow-pytorch's ZeroConv2d).
  bool zeroconv_pad_ones = false;
  // The learned top prior is a map: top_mean and top_logs are [1, C, H, W] (one value per position)
  // instead of [1, C, 1, 1]. Needs learn_top. (rosinality's top prior: a ones-padded zero-conv of
  // zeros, which differs at the borders.)
  bool top_map = false;

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

// The bounded coupling's floor for new models (glowlab-cli init/train): an inverse that at most
// doubles a value per coupling.
inline constexpr double kDefaultScaleMin = 0.5;

// Arithmetic of the coupling networks' convolutions: in training the two hidden ones (the 3x3 and
// the 1x1), in inference (gradients off) all three, from bf16 copies of the folded weights (the
// output convolution too: a decode then took 0.74x float32's time on an AMX machine, 0.97x with it
// in float32). ActNorm, the 1x1 flow convolutions, the coupling transform and the priors always run
// in float32. bf16 needs AVX512_BF16 (or a GPU) to pay off. Process-wide: encode and decode in one
// process use the same setting, so a round trip stays exact.
enum class Precision { FP32, BF16 };
void set_precision(Precision p);
// The calling thread's setting: its own where a ThreadPrecision is in force, else the process's.
Precision precision();

// One thread's inference in another precision for as long as it lives (the window's draft frames
// while a slider is dragged, beside an exact render on another thread); other threads keep theirs.
class ThreadPrecision {
 public:
  explicit ThreadPrecision(Precision p);
  ~ThreadPrecision();
  ThreadPrecision(const ThreadPrecision&) = delete;
  ThreadPrecision& operator=(const ThreadPrecision&) = delete;

 private:
  int before_;
};
// "fp32" / "bf16"; parse_precision throws Error(InvalidArgument) for anything else.
const char* to_string(Precision p);
Precision parse_precision(const std::string& text);

const char* to_string(CouplingType c);
const char* to_string(Permutation p);
// The one reading of the names to_string writes (config files and every command line); nullopt for
// anything else. *_names() list them, for a command line's choices.
std::optional<CouplingType> coupling_from_name(const std::string& name);
std::optional<Permutation> permutation_from_name(const std::string& name);
std::vector<std::string> coupling_names();
std::vector<std::string> permutation_names();

// The fields a command line sets over a config file: each one given replaces the file's.
struct ConfigOverrides {
  std::optional<int> image_size, channels, levels, steps, width, n_bits;
  std::optional<CouplingType> coupling;
  std::optional<Permutation> permutation;
  std::optional<bool> learn_top;
  std::optional<double> scale_min;
};
// A new model's config, the same rule for every command (init, train, bench): the JSON file at
// `config_path` (empty: the defaults, with the bounded coupling of new models, kDefaultScaleMin),
// then every override given. Validated; throws Error(InvalidArgument) naming the file or "config".
GlowConfig merge_config(const std::string& config_path, const ConfigOverrides& overrides);

}  // namespace glowlab
