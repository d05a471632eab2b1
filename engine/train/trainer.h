// The training loop behind `glowlab-cli train`: warm-up, clipping, NaN guard, EMA, checkpoints.
#pragma once

#include "train/train_options.h"

namespace glowlab {

// Trains until options.steps or options.minutes or should_stop(); writes run_dir/model.glow (EMA
// weights) and run_dir/checkpoint.ckpt at every checkpoint. With resume, continues bit-exactly.
// Throws Error naming the file on bad data, an unwritable run folder or a mismatched checkpoint.
TrainResult train(const TrainOptions& options);

}  // namespace glowlab
