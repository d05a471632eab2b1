#include "train/trainer.h"

#include <cmath>
#include <ctime>

#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "bundle/model_file.h"
#include "data/pixels.h"
#include "train/batches.h"
#include "train/distributed.h"
#include "vision/image_io.h"

namespace glowlab {

TrainFaults& train_faults() {
  static TrainFaults faults;
  return faults;
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kSnapshotEvery = 50;   // steps between in-memory "last good" weight copies
constexpr int64_t kLogEvery = 50;        // steps between JSONL lines
constexpr double kSampleTemperature = 0.7;
constexpr double kBackoff = 0.5;         // learning-rate factor after a non-finite batch

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string now_iso() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

double evaluate(Glow& glow, const at::Tensor& images, int n_bits, const at::Device& device) {
  c10::InferenceMode guard;
  ThreadPrecision exact(Precision::FP32);  // the model's held-out figure, as it is used: in float32
  const auto& c = glow->config();
  double total = 0;
  constexpr int64_t kChunk = 32;
  for (int64_t i = 0; i < images.size(0); i += kChunk) {
    const auto u8 = images.narrow(0, i, std::min(kChunk, images.size(0) - i)).to(device);
    const auto x = to_model_input(u8, n_bits, at::kFloat, mix(12345, static_cast<uint64_t>(i)));
    total += bits_per_dim(glow->encode(x).log_px(), c.dimension(), c.n_bins()).sum().item<double>();
  }
  return total / static_cast<double>(images.size(0));
}

// The schedule: a linear warm-up, then (with decay_from) a linear decay to lr * lr_final at the last step.
double scheduled_lr(const TrainOptions& o, int64_t step) {
  const double warm = o.warmup_steps > 0 ? std::min(1.0, static_cast<double>(step + 1) / o.warmup_steps) : 1.0;
  double decay = 1.0;
  if (o.decay_from >= 0 && o.steps > o.decay_from && step >= o.decay_from) {
    decay = 1.0 - (1.0 - o.lr_final) * static_cast<double>(step - o.decay_from) / static_cast<double>(o.steps - o.decay_from);
  }
  return o.lr * warm * decay;
}

}  // namespace

double Trainer::ThroughputWindow::images_per_second() const {
  const double s = seconds_since(start);
  return s > 0 ? images / s : 0;
}

void Trainer::write_line(const std::string& json) { jsonl_ << json << std::endl; }

TrainResult Trainer::run() {
  session_start_ = last_checkpoint_ = Clock::now();
  window_ = ThroughputWindow{};
  s_.glow->train();
  bool last = false;
  while (!last) {
    if (o_.steps > 0 && s_.step >= o_.steps) break;
    // One process stops before the step; ranks agree first (in the step's all-reduce) and stop after it.
    StopRequest stop;
    stop.out_of_time = o_.minutes > 0 && seconds_since(session_start_) >= o_.minutes * 60.0;
    stop.interrupt = o_.should_stop && o_.should_stop();
    if (!comm_ && stop.out_of_time) break;
    if (!comm_ && stop.interrupt) {
      result_.interrupted = true;
      break;
    }
    const auto started = Clock::now();
    const auto x = next_batch();
    const double lr = scheduled_lr(o_, s_.step) * s_.lr_scale;
    const StepOutcome r = take_step(x, lr, stop);
    if (r.ok) keep(r.loss);
    else recover();
    count_step(r.ok, started);
    report(r, lr);
    if (lead_ && checkpoint_due()) checkpoint("periodic");
    last = r.last;
  }
  if (lead_) checkpoint(result_.interrupted ? "interrupted" : "end");
  return summary();
}

// The global batch (the same images and noise as one process with batch x world_size), of which
// this rank takes its slice.
at::Tensor Trainer::next_batch() {
  const auto idx = order_->indices(s_.step, o_.batch * world_);
  auto u8 = train_images_.index_select(0, idx);
  if (o_.flip) u8 = mirror_some(u8, mix(o_.seed, static_cast<uint64_t>(s_.step) + 2000003));
  auto x = to_model_input(u8.to(device_), config_.n_bits, at::kFloat, mix(o_.seed, static_cast<uint64_t>(s_.step) + 1000003));
  if (comm_) x = x.narrow(0, static_cast<int64_t>(rank_) * o_.batch, o_.batch);
  if (s_.step == faults_.nan_batch_at_step) x = x.clone().fill_(std::nan(""));
  return x;
}

Trainer::StepOutcome Trainer::take_step(const at::Tensor& x, double lr, StopRequest stop) {
  StepOutcome r;
  if (reducer_) reducer_->begin();
  r.loss = step_->backward(x);  // data-parallel: the gradients' all-reduce starts bucket by bucket meanwhile
  r.ok = std::isfinite(r.loss);
  if (comm_) agree(r, stop);
  if (r.ok) r.ok = step_->update(lr);
  if (r.ok) {
    if (s_.step == faults_.nan_weight_at_step) {
      at::NoGradGuard g;
      step_->params().front().view(-1)[0] = std::nan("");
    }
    // Every step, before the weights enter the EMA or a "last good" snapshot (about 1 ms for
    // 1.6M weights, against ~300 ms for the step).
    r.ok = step_->weights_finite();
  }
  return r;
}

// Gradients averaged over ranks (a rank whose loss was not finite contributes zeros), then the
// step's flags: the mean loss, whether any rank's loss was not finite (then every rank skips), and
// stop requests.
void Trainer::agree(StepOutcome& r, StopRequest stop) {
  comm_->announce(s_.step);
  const auto reduced = reducer_->finish();
  const auto flags_start = Clock::now();
  auto flags = at::tensor({r.ok ? r.loss : 0.0, r.ok ? 0.0 : 1.0, stop.out_of_time ? 1.0 : 0.0, stop.interrupt ? 1.0 : 0.0}, at::kFloat);
  comm_->allreduce_sum(flags, "the step's all-reduce");
  window_.reduce_s += reduced.wait_seconds + seconds_since(flags_start);
  window_.early_buckets += reduced.started_early;
  r.ok = flags[1].item<float>() == 0.0f;
  r.loss = flags[0].item<double>() / world_;
  if (flags[3].item<float>() > 0) result_.interrupted = true;
  r.last = flags[2].item<float>() > 0 || result_.interrupted;
}

// A finite step: the EMA follows the weights and the loss enters the running figures.
void Trainer::keep(double loss) {
  step_->average(s_.step);
  window_.bpd_sum += loss;
  ++window_.good_steps;
  recent_bpd_ = recent_bpd_ == 0 ? loss : 0.98 * recent_bpd_ + 0.02 * loss;
}

// A non-finite step: the last good weights and moments come back; the learning rate x kBackoff from here.
void Trainer::recover() {
  ++s_.skipped;
  s_.lr_scale *= kBackoff;
  last_good_->restore();
  log("non-finite loss or gradient at step " + std::to_string(s_.step) + ": batch skipped, last good weights restored, learning rate x" +
      std::to_string(s_.lr_scale));
  if (lead_) write_line(nlohmann::json{{"event", "skipped"}, {"step", s_.step}, {"lr_scale", s_.lr_scale}}.dump());
}

// Counters and timings of the step just taken; every kSnapshotEvery good steps, a new "last good".
void Trainer::count_step(bool ok, Clock::time_point started) {
  ++s_.step;
  s_.images_seen += static_cast<int64_t>(o_.batch) * world_;
  window_.images += o_.batch;
  const double step_s = seconds_since(started);
  s_.train_seconds += step_s;
  session_step_s_ += step_s;
  session_images_ += o_.batch;
  if (ok && s_.step % kSnapshotEvery == 0) last_good_->save();
}

// Progress to the caller every step; a line in train.jsonl every kLogEvery steps.
void Trainer::report(const StepOutcome& r, double lr) {
  const double budget_s = o_.minutes * 60.0;
  TrainProgress p;
  p.step = s_.step;
  p.total_steps = o_.steps;
  p.images_per_second_per_rank = window_.images_per_second();
  p.images_per_second = p.images_per_second_per_rank * world_;
  p.ranks = world_;
  p.train_bits_per_dim = recent_bpd_;
  p.batch_bits_per_dim = r.ok ? r.loss : -1;
  p.elapsed_seconds = seconds_since(session_start_);
  p.learning_rate = lr;
  if (p.images_per_second > 0) {
    double eta = -1;
    if (o_.steps > 0) eta = static_cast<double>(o_.steps - s_.step) * o_.batch * world_ / p.images_per_second;
    if (budget_s > 0) eta = eta < 0 ? budget_s - p.elapsed_seconds : std::min(eta, budget_s - p.elapsed_seconds);
    p.eta_seconds = eta;
  }
  if (o_.on_progress && lead_) o_.on_progress(p);
  if (s_.step % kLogEvery != 0) return;
  if (lead_) {
    nlohmann::json line{{"event", "train"}, {"step", s_.step}, {"train_bpd", window_.mean_bpd()},
                        {"img_per_s", p.images_per_second}, {"lr", lr}, {"seconds", s_.train_seconds}};
    if (comm_) {
      line["ranks"] = world_;
      line["img_per_s_per_rank"] = p.images_per_second_per_rank;
      line["allreduce_wait_ms"] = 1000.0 * window_.reduce_s / kLogEvery;
      line["buckets"] = reducer_->bucket_count();
      line["buckets_overlapped"] = static_cast<double>(window_.early_buckets) / kLogEvery;
    }
    write_line(line.dump());
  }
  window_ = ThroughputWindow{};
}

bool Trainer::checkpoint_due() const {
  return (o_.checkpoint_every > 0 && s_.step % o_.checkpoint_every == 0) ||
         seconds_since(last_checkpoint_) >= o_.checkpoint_minutes * 60.0;
}

// Rank 0: the held-out score, a sample grid, the checkpoint, the model (EMA weights) and a log line.
void Trainer::checkpoint(const char* why) {
  const auto t0 = Clock::now();
  s_.glow->eval();
  double test_bpd = -1;
  if (test_images_.defined()) test_bpd = evaluate(s_.ema, test_images_, config_.n_bits, device_);
  write_samples();
  s_.glow->train();
  save_checkpoint(ckpt_path_, s_, o_);
  write_model(test_bpd);
  result_.test_bits_per_dim = test_bpd;
  write_line(nlohmann::json{{"event", "checkpoint"}, {"why", why}, {"step", s_.step}, {"test_bpd", test_bpd},
                            {"train_bpd", recent_bpd_}, {"seconds", s_.train_seconds},
                            {"checkpoint_seconds", seconds_since(t0)}}.dump());
  log(std::string("checkpoint (") + why + ") at step " + std::to_string(s_.step) +
      (test_bpd >= 0 ? ", test bits/dim " + std::to_string(test_bpd) : std::string()));
  last_checkpoint_ = Clock::now();
}

void Trainer::write_samples() {
  c10::InferenceMode guard;
  const auto eps = s_.ema->sample_eps(o_.sample_count, kSampleTemperature, mix(o_.seed, 99));
  const auto px = to_pixels(s_.ema->decode(eps), config_.n_bits).cpu();
  std::vector<Image> ims;
  for (int64_t i = 0; i < px.size(0); ++i) ims.push_back(uint8_to_image(px[i]));
  int cols = 1;
  while (cols * cols < o_.sample_count) ++cols;
  write_image(o_.run_dir + "/samples." + (have_opencv() ? "png" : "ppm"), make_grid(ims, cols));
}

void Trainer::write_model(double test_bpd) {
  ModelFile mf;
  mf.glow = s_.ema;
  mf.framing = s_.framing;
  mf.provenance_json = nlohmann::json{{"dataset", absolute_sources(o_.data)},
                                      {"aligned", o_.align},
                                      {"flipped", o_.flip},
                                      {"data_seed_note", "see the dataset's generator.json"},
                                      {"train_seed", o_.seed},
                                      {"training_steps", s_.step},
                                      {"images_seen", s_.images_seen},
                                      {"train_seconds", s_.train_seconds},
                                      {"test_bits_per_dim", test_bpd},
                                      {"optimizer", o_.optimizer},
                                      {"precision", to_string(precision())},  // what ran (auto: what it chose)
                                      {"ranks", world_},
                                      {"created", now_iso()}}.dump();
  save_model(model_path_, mf);
}

TrainResult Trainer::summary() {
  result_.steps = s_.step;
  // Training steps only (checkpoints and evaluation excluded), over the whole session.
  result_.images_per_second_per_rank = session_step_s_ > 0 ? session_images_ / session_step_s_ : 0;
  result_.images_per_second = result_.images_per_second_per_rank * world_;
  result_.train_bits_per_dim = recent_bpd_;
  result_.skipped_batches = s_.skipped;
  result_.model_path = lead_ ? model_path_ : std::string();
  return result_;
}

TrainResult train(const TrainOptions& options) { return Trainer(options).run(); }

}  // namespace glowlab
