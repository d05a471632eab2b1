// Getting a training run ready: the run folder, the model (resumed, from an init model or new),
// the other ranks, the data, ActNorm's initialisation and the log.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include "bundle/model_file.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "train/batches.h"
#include "train/distributed.h"
#include "train/trainer.h"

namespace glowlab {
namespace fs = std::filesystem;
namespace {

const TrainOptions& checked(const TrainOptions& o) {
  if (o.run_dir.empty()) throw Error(ErrorKind::InvalidArgument, "train: no run folder (--out) given");
  if (o.batch < 1) throw Error(ErrorKind::InvalidArgument, "train: batch must be at least 1");
  if (o.steps <= 0 && o.minutes <= 0 && !o.should_stop) {
    throw Error(ErrorKind::InvalidArgument, "train: give --steps or --minutes");
  }
  if (o.precision == "auto" && o.distributed.enabled()) {
    throw Error(ErrorKind::InvalidArgument, "train: --precision auto measures one process; give data-parallel ranks fp32 or bf16");
  }
  if (o.precision != "auto") parse_precision(o.precision);  // fp32 or bf16, else a clear error
  return o;
}

}  // namespace

Trainer::Trainer(const TrainOptions& options)
    : o_(checked(options)),
      precision_(options.precision == "auto" ? Precision::FP32 : parse_precision(options.precision)),
      device_(options.device),
      config_(options.config) {
  if (o_.distributed.enabled()) comm_ = std::make_unique<Communicator>(o_.distributed);
  world_ = comm_ ? comm_->world_size() : 1;
  rank_ = comm_ ? comm_->rank() : 0;
  lead_ = rank_ == 0;
  open_run_folder();
  build_model();
  if (comm_) share_model();
  s_.glow->to(device_);
  s_.ema->to(device_);
  load_data();
  if (!resuming_ && lead_) start_new_model();
  if (comm_) join_ranks();
  step_ = std::make_unique<TrainStep>(s_.glow, s_.ema, *s_.opt, o_.clip_norm, o_.ema_decay);
  last_good_ = std::make_unique<LastGood>(params_of(s_.glow), *s_.opt);
  last_good_->save();
  if (comm_) reducer_ = std::make_unique<GradientReducer>(*comm_, params_of(s_.glow));
  open_log();
  if (o_.precision == "auto") choose_precision();
}

void Trainer::choose_precision() {
  if (!device_.is_cuda() && !cpu_has_native_bf16()) {
    log("precision auto: fp32 (this CPU has no native bf16)");
    return;
  }
  // The first batch's loss and gradients in each precision, in turn (no update): the faster one,
  // if the losses agree.
  const auto x = next_batch();
  auto step_seconds = [&](Precision p, double& loss) {
    set_precision(p);
    const auto start = Clock::now();
    loss = step_->backward(x);
    if (device_.is_cuda()) torch::cuda::synchronize();
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  double loss32 = 0, loss16 = 0, t32 = 1e300, t16 = 1e300;
  step_seconds(Precision::FP32, loss32);  // first steps make each precision's primitives
  step_seconds(Precision::BF16, loss16);
  for (int i = 0; i < 2; ++i) {
    t32 = std::min(t32, step_seconds(Precision::FP32, loss32));
    t16 = std::min(t16, step_seconds(Precision::BF16, loss16));
  }
  const double gap = std::abs(loss16 - loss32);
  const bool bf16 = t16 <= 0.9 * t32 && gap <= kPrecisionLossTolerance;
  set_precision(bf16 ? Precision::BF16 : Precision::FP32);
  char line[256];
  std::snprintf(line, sizeof line,
                "precision auto: %s (a step on the first batch: fp32 %.3f s, bf16 %.3f s; its loss %.5f vs %.5f bits/dim)",
                bf16 ? "bf16" : "fp32", t32, t16, loss32, loss16);
  log(line);
  if (lead_) {
    write_line(nlohmann::json{{"precision_probe", {{"chosen", bf16 ? "bf16" : "fp32"}, {"fp32_step_s", t32}, {"bf16_step_s", t16},
                                                   {"fp32_bits_per_dim", loss32}, {"bf16_bits_per_dim", loss16}}}}
                   .dump());
  }
}

Trainer::~Trainer() = default;

void Trainer::open_run_folder() {
  std::error_code ec;
  if (lead_) fs::create_directories(o_.run_dir, ec);
  if (lead_ && !fs::is_directory(o_.run_dir)) throw Error(ErrorKind::Io, o_.run_dir + ": cannot create the run folder");
  ckpt_path_ = o_.run_dir + "/checkpoint.ckpt";
  model_path_ = o_.run_dir + "/model.glow";
  log_path_ = o_.run_dir + "/train.jsonl";
  resuming_ = lead_ && o_.resume && fs::exists(ckpt_path_);
  if (lead_ && !o_.resume && fs::exists(ckpt_path_)) {
    throw Error(ErrorKind::InvalidArgument, o_.run_dir + " already holds a checkpoint: pass --resume to continue it, or choose another --out");
  }
}

// Three ways to a model: the run's checkpoint, an init model, or a new one (rank 0).
void Trainer::build_model() {
  if (!o_.framing.empty() && !o_.align) {
    throw Error(ErrorKind::InvalidArgument, "a framing is for aligned photos: --framing needs --align");
  }
  if (resuming_) {
    load_checkpoint(ckpt_path_, s_, o_, config_, device_);
    init_framing_ = s_.framing;
    if (!o_.framing.empty() && o_.framing != s_.framing) {
      throw Error(ErrorKind::InvalidArgument, ckpt_path_ + " was trained on another framing than --framing asks for: "
                                                           "resume it without --framing, or start a new run folder");
    }
    log("resuming " + ckpt_path_ + " at step " + std::to_string(s_.step));
  } else if (!o_.init_model.empty()) {
    auto mf = load_model(o_.init_model);
    init_framing_ = o_.framing.empty() ? mf.framing : o_.framing;
    config_ = mf.glow->config();
    if (o_.init_scale_min >= 0 && o_.init_scale_min != config_.scale_min) {
      log("coupling scale floor of " + o_.init_model + ": " + std::to_string(config_.scale_min) + " -> " +
          std::to_string(o_.init_scale_min));
      config_.scale_min = o_.init_scale_min;
      config_.validate();
    }
    s_.glow = with_config(mf.glow, config_);
    s_.ema = with_config(mf.glow, config_);
  } else if (lead_) {
    init_framing_ = o_.framing;
    config_.validate();
    at::manual_seed(o_.seed);
    s_.glow = Glow(config_);
    s_.ema = Glow(config_);
  }
}

// The other ranks build the lead's model (its config and optimiser); its weights follow in join_ranks.
void Trainer::share_model() {
  const std::string text = lead_ ? nlohmann::json{{"config", config_.to_json()},
                                                  {"optimizer", s_.opt ? s_.opt->kind() : o_.optimizer}}.dump()
                                 : std::string();
  const auto shared = nlohmann::json::parse(comm_->share_text("model", text));
  if (lead_) return;
  config_ = GlowConfig::from_json(shared["config"].get<std::string>(), "rank 0's model");
  s_.glow = Glow(config_);
  s_.ema = Glow(config_);
  s_.glow->to(device_);
  s_.ema->to(device_);
  s_.opt = std::make_unique<FlowOptimizer>(params_of(s_.glow), shared["optimizer"].get<std::string>());
}

void Trainer::load_data() {
  DatasetOptions dopt =
      DatasetOptions::for_images(o_.dataset_kind, config_.image_size, config_.channels, o_.cache_dir, o_.limit);
  dopt.warn = [this](const std::string& w) { log("warning: " + w); };
  dopt.align = o_.align;
  dopt.framing = init_framing_;
  if (o_.align && lead_) log("aligning the photos' faces (landmarks; cached after the first run) ...");
  const Dataset all = load_datasets(o_.data, dopt);
  const Dataset train_set = all.split(0);
  const Dataset test_set = all.held_out();
  const std::string sources = join_sources(o_.data);
  if (train_set.size() == 0) throw Error(ErrorKind::InvalidArgument, sources + ": no training images (partition 0)");
  if (o_.align) {
    s_.framing = all.framing;
  } else if (!resuming_ && !init_framing_.empty()) {
    // Images framed already (crops made by `quantize --align` with the init model, say, where no
    // landmark detector runs): the model keeps the framing it starts from, so the window still
    // aligns photos onto it. Without this it would frame them from the detector's box.
    s_.framing = init_framing_;
    log("the images are taken as framed already: the model keeps " + o_.init_model + "'s framing (--align frames photos)");
  }
  if (test_set.size() > 0) test_images_ = test_set.images.narrow(0, 0, std::min<int64_t>(o_.test_images, test_set.size()));
  log("data: " + std::to_string(train_set.size()) + " training and " + std::to_string(test_set.size()) +
      " held-out images from " + sources +
      (all.skipped_no_face > 0 ? " (" + std::to_string(all.skipped_no_face) + " photos without a face skipped)" : std::string()));
  train_images_ = train_set.images;
  order_ = std::make_unique<BatchOrder>(train_set.size(), o_.seed);
}

// A new run: ActNorm's data-dependent init on a seeded batch, the EMA from the start, a fresh optimiser.
void Trainer::start_new_model() {
  if (!s_.glow->initialized()) {
    const int64_t n = std::min(o_.init_batch, train_images_.size(0));
    const auto idx = BatchOrder(train_images_.size(0), mix(o_.seed, 777)).indices(0, n);
    const auto x = to_model_input(train_images_.index_select(0, idx).to(device_), config_.n_bits, at::kFloat, mix(o_.seed, 778));
    s_.glow->initialize(x);
  }
  copy_weights(s_.glow, s_.ema);
  s_.opt = std::make_unique<FlowOptimizer>(params_of(s_.glow), o_.optimizer);
}

void Trainer::join_ranks() {
  broadcast_state(*comm_, s_);
  // The whole communication cost of a step: one all-reduce of every gradient (measured once).
  int64_t floats = 0;
  for (const auto& p : s_.glow->parameters()) floats += p.numel();
  const double reduce_ms = 1000.0 * comm_->time_allreduce(floats, 5);
  if (!lead_) return;
  log("data-parallel: " + std::to_string(world_) + " ranks x batch " + std::to_string(o_.batch) + " = " +
      std::to_string(world_ * o_.batch) + " images per step; one all-reduce of the " + std::to_string(floats) +
      " gradients takes " + std::to_string(reduce_ms) + " ms");
  allreduce_probe_ = nlohmann::json{{"event", "allreduce"}, {"ranks", world_}, {"floats", floats}, {"ms", reduce_ms}}.dump();
}

void Trainer::open_log() {
  if (!lead_) return;
  jsonl_.open(log_path_, std::ios::app);
  if (!jsonl_) throw Error(ErrorKind::Io, log_path_ + ": cannot open the training log");
  if (!allreduce_probe_.empty()) write_line(allreduce_probe_);
}

}  // namespace glowlab
