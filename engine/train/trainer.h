// The training loop behind `glowlab-cli train`: warm-up, clipping, NaN guard, EMA, checkpoints.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "flow/config.h"
#include "train/last_good.h"
#include "train/run_state.h"
#include "train/train_options.h"
#include "train/train_step.h"

namespace glowlab {

// Trains until options.steps or options.minutes or should_stop(); writes run_dir/model.glow (EMA
// weights) and run_dir/checkpoint.ckpt at every checkpoint. With resume, continues bit-exactly.
// Throws Error naming the file on bad data, an unwritable run folder or a mismatched checkpoint.
TrainResult train(const TrainOptions& options);

// Fault injection for the test suites, outside the facade: a poisoned batch or weight at a chosen
// step proves the NaN guard. -1: off.
struct TrainFaults {
  std::int64_t nan_batch_at_step = -1;   // the batch of this step is all NaN
  std::int64_t nan_weight_at_step = -1;  // a weight turns NaN right after this step's update
};
// The faults train() injects in this process (none unless a test sets them).
TrainFaults& train_faults();

// Sets the faults for its lifetime, so that a failing test leaves none behind.
class ScopedTrainFaults {
 public:
  explicit ScopedTrainFaults(const TrainFaults& faults) : before_(train_faults()) { train_faults() = faults; }
  ~ScopedTrainFaults() { train_faults() = before_; }
  ScopedTrainFaults(const ScopedTrainFaults&) = delete;
  ScopedTrainFaults& operator=(const ScopedTrainFaults&) = delete;

 private:
  TrainFaults before_;
};

class BatchOrder;
class Communicator;
class GradientReducer;

// One training run, what train() does: set up (trainer_setup.cpp), then the loop (trainer.cpp).
// Data-parallel: rank 0 (the lead) reads and writes the run folder; every rank trains on its own
// shard of each global batch of batch x world_size images; weights start as rank 0's.
class Trainer {
 public:
  // Validates the options, joins the other ranks, builds or resumes the model, loads the data.
  explicit Trainer(const TrainOptions& options);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;
  TrainResult run();

 private:
  using Clock = std::chrono::steady_clock;

  // bf16 applies to this run only; inference afterwards is float32 again (exact round trips).
  class PrecisionScope {
   public:
    explicit PrecisionScope(Precision p) : before_(precision()) { set_precision(p); }
    ~PrecisionScope() { set_precision(before_); }
    PrecisionScope(const PrecisionScope&) = delete;
    PrecisionScope& operator=(const PrecisionScope&) = delete;

   private:
    Precision before_;
  };

  // The steps since the last log line: their mean loss and speed, and (data-parallel) how long
  // they waited for the all-reduce and how many of its buckets overlapped the backward pass.
  struct ThroughputWindow {
    Clock::time_point start = Clock::now();
    std::int64_t images = 0;  // this rank's
    double bpd_sum = 0;
    std::int64_t good_steps = 0;
    double reduce_s = 0;
    std::int64_t early_buckets = 0;
    double images_per_second() const;
    double mean_bpd() const { return good_steps ? bpd_sum / good_steps : -1; }
  };

  struct StopRequest {
    bool out_of_time = false;
    bool interrupt = false;
  };

  struct StepOutcome {
    bool ok = false;    // finite on every rank: the update was kept
    double loss = 0;    // bits/dim, the mean over ranks
    bool last = false;  // data-parallel: a rank asked to stop, so this step is the last for all
  };

  void log(const std::string& s) const {
    if (o_.log) o_.log(s);
  }
  // Set-up, in this order.
  void open_run_folder();
  void build_model();
  void share_model();
  void load_data();
  void start_new_model();
  void join_ranks();
  void open_log();
  // --precision auto: bf16 where the CPU has native bf16 (or on a GPU), a training step on the
  // first batch takes at most 0.9x fp32's time and its loss agrees within kPrecisionLossTolerance.
  void choose_precision();
  static constexpr double kPrecisionLossTolerance = 0.01;  // bits/dim
  // The loop.
  at::Tensor next_batch();
  StepOutcome take_step(const at::Tensor& x, double lr, StopRequest stop);
  void agree(StepOutcome& r, StopRequest stop);
  void keep(double loss);
  void recover();
  void count_step(bool ok, Clock::time_point started);
  void report(const StepOutcome& r, double lr);
  bool checkpoint_due() const;
  void checkpoint(const char* why);
  void write_samples();
  void write_model(double test_bpd);
  void write_line(const std::string& json);
  TrainResult summary();

  const TrainOptions& o_;
  PrecisionScope precision_;
  const at::Device device_;
  const TrainFaults faults_ = train_faults();
  std::unique_ptr<Communicator> comm_;
  int world_ = 1;
  int rank_ = 0;
  bool lead_ = true;
  std::string ckpt_path_, model_path_, log_path_;
  bool resuming_ = false;
  State s_;
  GlowConfig config_;
  std::vector<double> init_framing_;  // aligned photos are mapped onto this (empty: their mean landmarks)
  at::Tensor train_images_;           // uint8 [N, C, S, S], partition 0
  at::Tensor test_images_;            // the first test_images held-out ones (undefined: none)
  std::unique_ptr<BatchOrder> order_;
  std::string allreduce_probe_;  // JSON, written to train.jsonl once it is open
  std::unique_ptr<TrainStep> step_;
  std::unique_ptr<LastGood> last_good_;
  // Data-parallel: the gradients' all-reduce runs while backward does; the step waits for what is
  // left of it after backward (window_.reduce_s, with the flags' small all-reduce).
  std::unique_ptr<GradientReducer> reducer_;
  std::ofstream jsonl_;  // rank 0 alone writes the run folder
  Clock::time_point session_start_, last_checkpoint_;
  ThroughputWindow window_;
  double recent_bpd_ = 0;
  std::int64_t session_images_ = 0;  // this rank's, for the summary's throughput over the whole session
  double session_step_s_ = 0;
  TrainResult result_;
};

}  // namespace glowlab
