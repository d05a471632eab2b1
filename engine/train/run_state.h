// A training run's state: the model, its EMA copy, the optimiser and the counters; the checkpoint
// file that holds it (written atomically, read with every tensor checked) and, for data-parallel
// runs, rank 0's copy of it sent to every rank.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "flow/glow.h"
#include "train/optimizer.h"
#include "train/train_options.h"

namespace glowlab {

class Communicator;

struct State {
  Glow glow{nullptr};
  Glow ema{nullptr};  // Polyak-averaged copy, used for evaluation and export
  std::unique_ptr<FlowOptimizer> opt;
  int64_t step = 0;
  double lr_scale = 1.0;
  int skipped = 0;
  int64_t images_seen = 0;
  double train_seconds = 0;  // over all sessions
  std::vector<double> framing;  // aligned training photos: the framing they were mapped onto
};

std::vector<at::Tensor> params_of(Glow& g);
// The training sources as absolute paths, "a + b" (provenance, checkpoint state).
std::string absolute_sources(const std::vector<std::string>& paths);
void copy_weights(Glow& from, Glow& to);

// The checkpoint (format glowlab.checkpoint/1): weights, EMA, optimiser moments, counters, config.
void save_checkpoint(const std::string& path, State& s, const TrainOptions& o);
// Builds the model on `device` first and only then the optimiser, so that its moments live where
// the parameters do. Refuses another seed or per-rank batch; another world size is said in o.log.
void load_checkpoint(const std::string& path, State& s, const TrainOptions& o, GlowConfig& config, const at::Device& device);

// Overwrites every rank's state with rank 0's: weights, ActNorm's data init and its flags, the EMA,
// the optimiser's moments and counters (the model and optimiser must exist with the same shapes).
void broadcast_state(Communicator& comm, State& s);

}  // namespace glowlab
