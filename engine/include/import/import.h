// Importing other Glow implementations' checkpoints (docs/import.md), and the deterministic
// likelihood that compares a model with any other code exactly. Plain C++: the CLI and the window
// include it without torch.
#pragma once

#include <string>
#include <vector>

#include "core/image.h"
#include "flow/config.h"

namespace glowlab {

struct ImportOptions {
  // "rosinality" (rosinality/glow-pytorch), "y0ast" (y0ast/Glow-PyTorch) or "chaiyujin"
  // (chaiyujin/glow-pytorch)
  std::string format;
  std::string checkpoint;  // the torch.save file
  std::string hparams;     // y0ast, chaiyujin: its hparams JSON (optional; needed for a model without 1x1 convs)
  // What the checkpoint cannot say (0 / empty: not given). rosinality needs image_size and n_bits;
  // y0ast reads its image size from prior_h and uses 8 bits unless told otherwise.
  int image_size = 0;
  int n_bits = 0;
  // Checked against what the shapes say (0 / empty: not given): a difference is an error.
  int levels = 0;
  int steps = 0;
  std::string coupling;  // "affine" or "additive"
  // y0ast's and chaiyujin's class-conditional models (project_ycond): the class whose prior
  // becomes the top prior.
  int y_class = -1;
};

struct ImportResult {
  GlowConfig config;
  std::vector<std::string> notes;  // what was inferred or ignored, one sentence each
};

// Reads options.checkpoint, maps its tensors onto a Glow of the inferred config and writes it to
// `output` (a .glow, atomically, with provenance naming the source). Throws Error naming the
// checkpoint and the problem: a missing or unexpected key, a shape that differs (the key and both
// shapes), something the file does not say and the options do not give, a layout GlowLab cannot
// represent exactly.
ImportResult import_checkpoint(const ImportOptions& options, const std::string& output);

// Whether `path` is a file import_checkpoint can open at all (a torch.save archive of PyTorch 1.6
// or newer), checked cheaply before anything is asked of the user: throws import_checkpoint's
// Error for a missing file, a legacy or other format.
void check_checkpoint(const std::string& path);

// Mean bits/dim of model-sized images with every value at its bin's centre (x/n_bins - 0.5 +
// 0.5/n_bins, no dequantisation noise): deterministic, so it compares exactly with other code
// fed the same values.
double centred_bits_per_dim(const std::string& model_path, const std::vector<Image>& images,
                            const std::string& device = "cpu");

}  // namespace glowlab
