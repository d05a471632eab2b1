// Options and progress of `glowlab-cli train` (plain C++, part of the facade).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "flow/config.h"

namespace glowlab {

struct TrainProgress {
  std::int64_t step = 0;         // steps done
  std::int64_t total_steps = 0;  // 0 when only a time budget is set
  double images_per_second = 0;
  double train_bits_per_dim = 0; // running mean over recent steps
  double batch_bits_per_dim = 0; // this step's batch
  double elapsed_seconds = 0;    // this session
  double eta_seconds = -1;       // -1 when unknown
  double learning_rate = 0;
  int ranks = 1;                 // processes in the job; images_per_second is the whole job's
  double images_per_second_per_rank = 0;
};

// Data-parallel training (engine/train/distributed.h): world_size processes, each training on its
// own shard of every global batch, gradients averaged every step. Set from torchrun's environment
// variables (from_environment) or by `glowlab-cli train --nproc N`.
struct DistributedOptions {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";  // where rank 0 hosts the rendezvous (TCPStore)
  int master_port = 29500;
  double timeout_seconds = 300;          // a rank silent this long is reported and the job stops
  bool agent_store = false;              // torchrun's agent already serves the store at MASTER_PORT
                                         // (TORCHELASTIC_USE_AGENT_STORE=True): rank 0 joins it too
  bool enabled() const { return world_size > 1; }
  // RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (absent: one process). Throws
  // Error(InvalidArgument) naming the variable when one is malformed or inconsistent.
  static DistributedOptions from_environment();
};

// Whether this build has data-parallel training (GLOWLAB_DISTRIBUTED: c10d with Gloo's headers).
bool have_distributed();

struct TrainOptions {
  std::vector<std::string> data;    // dataset folders (CelebA layout, UTKFace, image folder, Fashion-MNIST)
  std::string dataset_kind = "auto";
  bool align = false;               // frame every photo by its landmarks, as the window does (data/dataset.h);
                                    // onto the init model's framing, or for a new model the photos' mean
  std::vector<double> framing;      // with align: map the photos onto this framing (parse_framing) instead of the
                                    // init model's or the photos' mean; a resumed run must match its checkpoint's
  bool flip = false;                // also train on horizontally mirrored photos (each image at random)
  std::string run_dir;              // model.glow, checkpoint.ckpt, train.jsonl, samples.png
  std::string init_model;           // start from this .glow instead of a new model (optional)
  double init_scale_min = -1;       // with init_model: change its coupling scale floor to this (-1: keep)
  GlowConfig config;
  std::string optimizer = "adam";   // adam | adamax
  std::string precision = "fp32";   // coupling networks' hidden convolutions: fp32 | bf16 | auto (measured at start)
  double lr = 5e-4;
  std::int64_t warmup_steps = 200;  // linear warm-up of the learning rate
  std::int64_t decay_from = -1;     // with steps: decay the learning rate linearly from this step
  double lr_final = 0.1;            // ... to lr * lr_final at the last step
  int batch = 16;
  double clip_norm = 50.0;          // gradient-norm clipping; 0 turns it off
  double ema_decay = 0.999;         // Polyak averaging of the weights used for eval and export
  std::int64_t steps = 0;           // total steps to reach (0: until the time budget)
  double minutes = 0;               // time budget for this session (0: none)
  double checkpoint_minutes = 5;
  std::int64_t checkpoint_every = 0;  // also checkpoint every N steps (0: off)
  std::int64_t init_batch = 256;    // images for ActNorm's data-dependent init
  int test_images = 500;            // held-out images evaluated at each checkpoint
  int sample_count = 36;            // grid written at each checkpoint, T = 0.7
  std::uint64_t seed = 0;
  std::string device = "cpu";
  bool resume = false;
  std::string cache_dir;            // packed dataset cache (empty: none)
  std::int64_t limit = 0;           // use at most this many images (0: all)

  DistributedOptions distributed;   // world_size 1: this process alone
  std::function<void(const TrainProgress&)> on_progress;   // called on rank 0 only
  std::function<bool()> should_stop;               // SIGINT/SIGTERM: checkpoint and return
  std::function<void(const std::string&)> log;     // human-readable events
};

struct TrainResult {
  std::int64_t steps = 0;
  double train_bits_per_dim = 0;
  double test_bits_per_dim = -1;   // -1 when there is no held-out split
  double images_per_second = 0;           // the whole job's (all ranks), over this session's steps
  double images_per_second_per_rank = 0;
  bool interrupted = false;
  int skipped_batches = 0;         // non-finite losses or gradients survived
  std::string model_path;
};

}  // namespace glowlab
