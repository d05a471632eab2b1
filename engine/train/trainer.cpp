#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>
#include <torch/nn/utils/clip_grad.h>

#include "bundle/model_file.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/pixels.h"
#include "train/distributed.h"
#include "train/objective.h"
#include "train/optimizer.h"
#include "train/run_state.h"
#include "vision/image_io.h"

namespace glowlab {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kSnapshotEvery = 50;   // steps between in-memory "last good" weight copies
constexpr int64_t kLogEvery = 50;        // steps between JSONL lines
constexpr double kSampleTemperature = 0.7;
constexpr double kBackoff = 0.5;         // learning-rate factor after a non-finite batch

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ULL + b + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string now_iso() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Batches in a fixed order: epoch e visits the training images in randperm(seed, e).
class BatchOrder {
 public:
  BatchOrder(int64_t n, uint64_t seed) : n_(n), seed_(seed) {}
  at::Tensor indices(int64_t step, int64_t batch) {
    std::vector<int64_t> idx;
    for (int64_t k = 0; k < batch; ++k) {
      const int64_t pos = step * batch + k;
      const int64_t epoch = pos / n_;
      if (epoch != epoch_) {
        auto gen = at::detail::createCPUGenerator(mix(seed_, static_cast<uint64_t>(epoch)));
        perm_ = at::randperm(n_, gen, at::kLong);
        epoch_ = epoch;
      }
      idx.push_back(perm_.data_ptr<int64_t>()[pos % n_]);
    }
    return at::tensor(idx, at::kLong);
  }

 private:
  int64_t n_;
  uint64_t seed_;
  int64_t epoch_ = -1;
  at::Tensor perm_;
};

// Each image of a uint8 batch [B, C, H, W] mirrored left-right with probability 1/2 (seeded).
at::Tensor mirror_some(const at::Tensor& u8, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  const auto pick = at::rand({u8.size(0)}, gen) < 0.5;
  return at::where(pick.view({-1, 1, 1, 1}), u8.flip({3}), u8);
}

double evaluate(Glow& glow, const at::Tensor& images, int n_bits, const at::Device& device) {
  c10::InferenceMode guard;
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

}  // namespace

TrainResult train(const TrainOptions& o) {
  auto log = [&](const std::string& s) { if (o.log) o.log(s); };
  if (o.run_dir.empty()) throw Error(ErrorKind::InvalidArgument, "train: no run folder (--out) given");
  if (o.batch < 1) throw Error(ErrorKind::InvalidArgument, "train: batch must be at least 1");
  if (o.steps <= 0 && o.minutes <= 0 && !o.should_stop) {
    throw Error(ErrorKind::InvalidArgument, "train: give --steps or --minutes");
  }
  // bf16 applies to this run only; inference afterwards is float32 again (exact round trips).
  struct PrecisionScope {
    Precision before = precision();
    explicit PrecisionScope(Precision p) { set_precision(p); }
    ~PrecisionScope() { set_precision(before); }
  } precision_scope(parse_precision(o.precision));
  // Data-parallel: rank 0 (the lead) reads and writes the run folder; every rank trains on its own
  // shard of each global batch of batch x world_size images; weights start as rank 0's.
  std::unique_ptr<Communicator> comm;
  nlohmann::json allreduce_probe;  // written to train.jsonl once it is open
  if (o.distributed.enabled()) comm = std::make_unique<Communicator>(o.distributed);
  const int world = comm ? comm->world_size() : 1;
  const int rank = comm ? comm->rank() : 0;
  const bool lead = rank == 0;
  std::error_code ec;
  if (lead) fs::create_directories(o.run_dir, ec);
  if (lead && !fs::is_directory(o.run_dir)) throw Error(ErrorKind::Io, o.run_dir + ": cannot create the run folder");
  const std::string ckpt = o.run_dir + "/checkpoint.ckpt";
  const std::string model_path = o.run_dir + "/model.glow";
  const std::string log_path = o.run_dir + "/train.jsonl";
  const at::Device device(o.device);

  State s;
  GlowConfig config = o.config;
  std::vector<double> init_framing;  // aligned photos are mapped onto this (empty: their mean landmarks)
  const bool resuming = lead && o.resume && fs::exists(ckpt);
  if (lead && !o.resume && fs::exists(ckpt)) {
    throw Error(ErrorKind::InvalidArgument, o.run_dir + " already holds a checkpoint: pass --resume to continue it, or choose another --out");
  }
  if (resuming) {
    load_checkpoint(ckpt, s, o, config, device);
    init_framing = s.framing;
    log("resuming " + ckpt + " at step " + std::to_string(s.step));
  } else if (!o.init_model.empty()) {
    auto mf = load_model(o.init_model);
    init_framing = mf.framing;
    config = mf.glow->config();
    if (o.init_scale_min >= 0 && o.init_scale_min != config.scale_min) {
      log("coupling scale floor of " + o.init_model + ": " + std::to_string(config.scale_min) + " -> " +
          std::to_string(o.init_scale_min));
      config.scale_min = o.init_scale_min;
      config.validate();
    }
    s.glow = with_config(mf.glow, config);
    s.ema = with_config(mf.glow, config);
  } else if (lead) {
    config.validate();
    at::manual_seed(o.seed);
    s.glow = Glow(config);
    s.ema = Glow(config);
  }
  if (comm) {
    // The other ranks build the lead's model (its config and optimiser); its weights follow below.
    const auto shared = nlohmann::json::parse(comm->share_text("model", lead ? nlohmann::json{{"config", config.to_json()},
                                                                                              {"optimizer", s.opt ? s.opt->kind() : o.optimizer}}.dump()
                                                                             : std::string()));
    if (!lead) {
      config = GlowConfig::from_json(shared["config"].get<std::string>(), "rank 0's model");
      s.glow = Glow(config);
      s.ema = Glow(config);
      s.glow->to(device);
      s.ema->to(device);
      s.opt = std::make_unique<FlowOptimizer>(params_of(s.glow), shared["optimizer"].get<std::string>());
    }
  }
  s.glow->to(device);
  s.ema->to(device);

  DatasetOptions dopt =
      DatasetOptions::for_images(o.dataset_kind, config.image_size, config.channels, o.cache_dir, o.limit);
  dopt.warn = [&](const std::string& w) { log("warning: " + w); };
  dopt.align = o.align;
  dopt.framing = init_framing;
  if (o.align && lead) log("aligning the photos' faces (landmarks; cached after the first run) ...");
  const Dataset all = load_datasets(o.data, dopt);
  const Dataset train_set = all.split(0);
  const Dataset test_set = all.held_out();
  const std::string sources = join_sources(o.data);
  if (train_set.size() == 0) throw Error(ErrorKind::InvalidArgument, sources + ": no training images (partition 0)");
  if (o.align) s.framing = all.framing;
  at::Tensor test_images;
  if (test_set.size() > 0) test_images = test_set.images.narrow(0, 0, std::min<int64_t>(o.test_images, test_set.size()));
  log("data: " + std::to_string(train_set.size()) + " training and " + std::to_string(test_set.size()) +
      " held-out images from " + sources +
      (all.skipped_no_face > 0 ? " (" + std::to_string(all.skipped_no_face) + " photos without a face skipped)" : std::string()));

  BatchOrder order(train_set.size(), o.seed);
  if (!resuming && lead) {
    if (!s.glow->initialized()) {
      const int64_t n = std::min(o.init_batch, train_set.size());
      const auto idx = BatchOrder(train_set.size(), mix(o.seed, 777)).indices(0, n);
      const auto x = to_model_input(train_set.images.index_select(0, idx).to(device), config.n_bits, at::kFloat, mix(o.seed, 778));
      s.glow->initialize(x);
    }
    copy_weights(s.glow, s.ema);
    s.opt = std::make_unique<FlowOptimizer>(params_of(s.glow), o.optimizer);
  }
  if (comm) {
    broadcast_state(*comm, s);
    // The whole communication cost of a step: one all-reduce of every gradient (measured once).
    int64_t floats = 0;
    for (const auto& p : s.glow->parameters()) floats += p.numel();
    const double reduce_ms = 1000.0 * comm->time_allreduce(floats, 5);
    if (lead) {
      log("data-parallel: " + std::to_string(world) + " ranks x batch " + std::to_string(o.batch) + " = " +
          std::to_string(world * o.batch) + " images per step; one all-reduce of the " + std::to_string(floats) +
          " gradients takes " + std::to_string(reduce_ms) + " ms");
      allreduce_probe = {{"event", "allreduce"}, {"ranks", world}, {"floats", floats}, {"ms", reduce_ms}};
    }
  }

  auto params = params_of(s.glow);
  auto ema_params = s.ema->parameters();
  std::vector<at::Tensor> good_params, good_m, good_v;
  int64_t good_opt_steps = 0;
  auto snapshot = [&] {
    good_params.clear(); good_m.clear(); good_v.clear();
    for (size_t i = 0; i < params.size(); ++i) {
      good_params.push_back(params[i].detach().clone());
      good_m.push_back(s.opt->first_moments()[i].clone());
      good_v.push_back(s.opt->second_moments()[i].clone());
    }
    good_opt_steps = s.opt->steps();
  };
  auto restore = [&] {
    at::NoGradGuard g;
    for (size_t i = 0; i < params.size(); ++i) {
      params[i].copy_(good_params[i]);
      s.opt->first_moments()[i].copy_(good_m[i]);
      s.opt->second_moments()[i].copy_(good_v[i]);
    }
    s.opt->set_steps(good_opt_steps);
  };
  snapshot();

  std::ofstream jsonl;  // rank 0 alone writes the run folder
  if (lead) jsonl.open(log_path, std::ios::app);
  if (lead && !jsonl) throw Error(ErrorKind::Io, log_path + ": cannot open the training log");
  if (lead && !allreduce_probe.is_null()) jsonl << allreduce_probe.dump() << std::endl;
  const auto session_start = Clock::now();
  auto last_checkpoint = Clock::now();
  double window_bpd = 0;
  int64_t window_steps = 0;
  double recent_bpd = 0;
  TrainResult result;

  auto checkpoint = [&](const char* why) {
    const auto t0 = Clock::now();
    s.glow->eval();
    double test_bpd = -1;
    if (test_images.defined()) test_bpd = evaluate(s.ema, test_images, config.n_bits, device);
    {
      c10::InferenceMode guard;
      const auto eps = s.ema->sample_eps(o.sample_count, kSampleTemperature, mix(o.seed, 99));
      const auto px = to_pixels(s.ema->decode(eps), config.n_bits).cpu();
      std::vector<Image> ims;
      for (int64_t i = 0; i < px.size(0); ++i) ims.push_back(uint8_to_image(px[i]));
      int cols = 1;
      while (cols * cols < o.sample_count) ++cols;
      write_image(o.run_dir + "/samples." + (have_opencv() ? "png" : "ppm"), make_grid(ims, cols));
    }
    s.glow->train();
    save_checkpoint(ckpt, s, o);
    ModelFile mf;
    mf.glow = s.ema;
    mf.framing = s.framing;
    mf.provenance_json = nlohmann::json{{"dataset", absolute_sources(o.data)},
                                        {"aligned", o.align},
                                        {"flipped", o.flip},
                                        {"data_seed_note", "see the dataset's generator.json"},
                                        {"train_seed", o.seed},
                                        {"training_steps", s.step},
                                        {"images_seen", s.images_seen},
                                        {"train_seconds", s.train_seconds},
                                        {"test_bits_per_dim", test_bpd},
                                        {"optimizer", o.optimizer},
                                        {"precision", o.precision},
                                        {"ranks", world},
                                        {"created", now_iso()}}.dump();
    save_model(model_path, mf);
    result.test_bits_per_dim = test_bpd;
    jsonl << nlohmann::json{{"event", "checkpoint"}, {"why", why}, {"step", s.step}, {"test_bpd", test_bpd},
                            {"train_bpd", recent_bpd}, {"seconds", s.train_seconds},
                            {"checkpoint_seconds", std::chrono::duration<double>(Clock::now() - t0).count()}}.dump()
          << std::endl;
    log(std::string("checkpoint (") + why + ") at step " + std::to_string(s.step) +
        (test_bpd >= 0 ? ", test bits/dim " + std::to_string(test_bpd) : std::string()));
    last_checkpoint = Clock::now();
  };

  s.glow->train();
  const double budget_s = o.minutes * 60.0;
  auto window_start = Clock::now();
  int64_t window_images = 0;
  // Data-parallel: the gradients' all-reduce runs while backward does; the step waits for what is
  // left of it after backward (window_reduce_s, with the flags' small all-reduce).
  std::unique_ptr<GradientReducer> reducer;
  if (comm) reducer = std::make_unique<GradientReducer>(*comm, params);
  double window_reduce_s = 0;
  int64_t window_early_buckets = 0;  // buckets whose all-reduce started during backward
  int64_t session_images = 0;  // this rank's, for the summary's throughput over the whole session
  double session_step_s = 0;
  bool last_step = false;  // data-parallel: a rank asked to stop; this step is the last for all
  while (!last_step) {
    const double session_s = std::chrono::duration<double>(Clock::now() - session_start).count();
    if (o.steps > 0 && s.step >= o.steps) break;
    // One process stops before the step; ranks agree first (in the step's all-reduce) and stop after it.
    const bool out_of_time = budget_s > 0 && session_s >= budget_s;
    const bool interrupt = o.should_stop && o.should_stop();
    if (!comm && out_of_time) break;
    if (!comm && interrupt) {
      result.interrupted = true;
      break;
    }
    const auto step_start = Clock::now();
    // The global batch (the same images and noise as one process with batch x world_size), of
    // which this rank takes its slice.
    const auto idx = order.indices(s.step, o.batch * world);
    auto u8 = train_set.images.index_select(0, idx);
    if (o.flip) u8 = mirror_some(u8, mix(o.seed, static_cast<uint64_t>(s.step) + 2000003));
    auto x = to_model_input(u8.to(device), config.n_bits, at::kFloat, mix(o.seed, static_cast<uint64_t>(s.step) + 1000003));
    if (comm) x = x.narrow(0, static_cast<int64_t>(rank) * o.batch, o.batch);
    if (s.step == o.inject_nan_at_step) x = x.clone().fill_(std::nan(""));
    const double warm = o.warmup_steps > 0 ? std::min(1.0, static_cast<double>(s.step + 1) / o.warmup_steps) : 1.0;
    double decay = 1.0;
    if (o.decay_from >= 0 && o.steps > o.decay_from && s.step >= o.decay_from) {
      decay = 1.0 - (1.0 - o.lr_final) * static_cast<double>(s.step - o.decay_from) / static_cast<double>(o.steps - o.decay_from);
    }
    const double lr = o.lr * warm * decay * s.lr_scale;
    s.opt->zero_grad();
    auto loss = nll_bits_per_dim(s.glow, x);
    double loss_v = loss.item<double>();
    bool ok = std::isfinite(loss_v);
    if (reducer) reducer->begin();
    if (ok) loss.backward();  // data-parallel: the gradients' all-reduce starts bucket by bucket meanwhile
    if (comm) {
      // Gradients averaged over ranks (a rank whose loss was not finite contributes zeros), then
      // the step's flags: the mean loss, whether any rank's loss was not finite (then every rank
      // skips), and stop requests.
      comm->announce(s.step);
      const auto reduced = reducer->finish();
      const auto flags_start = Clock::now();
      auto flags = at::tensor({ok ? loss_v : 0.0, ok ? 0.0 : 1.0, out_of_time ? 1.0 : 0.0, interrupt ? 1.0 : 0.0}, at::kFloat);
      comm->allreduce_sum(flags, "the step's all-reduce");
      window_reduce_s += reduced.wait_seconds + std::chrono::duration<double>(Clock::now() - flags_start).count();
      window_early_buckets += reduced.started_early;
      ok = flags[1].item<float>() == 0.0f;
      loss_v = flags[0].item<double>() / world;
      if (flags[3].item<float>() > 0) result.interrupted = true;
      last_step = flags[2].item<float>() > 0 || result.interrupted;
    }
    if (ok) {
      const double norm = o.clip_norm > 0 ? torch::nn::utils::clip_grad_norm_(params, o.clip_norm)
                                          : torch::nn::utils::clip_grad_norm_(params, 1e30);
      ok = std::isfinite(norm);
    }
    if (ok) {
      s.opt->step(lr);
      if (s.step == o.inject_nan_parameter_at_step) {
        at::NoGradGuard g;
        params.front().view(-1)[0] = std::nan("");
      }
      // Every step, before the weights enter the EMA or a "last good" snapshot (about 1 ms for
      // 1.6M weights, against ~300 ms for the step).
      ok = all_finite(params);
    }
    if (!ok) {
      ++s.skipped;
      s.lr_scale *= kBackoff;
      restore();
      log("non-finite loss or gradient at step " + std::to_string(s.step) + ": batch skipped, last good weights restored, learning rate x" +
          std::to_string(s.lr_scale));
      if (lead) jsonl << nlohmann::json{{"event", "skipped"}, {"step", s.step}, {"lr_scale", s.lr_scale}}.dump() << std::endl;
    } else {
      at::NoGradGuard g;
      const double d = std::min(o.ema_decay, (1.0 + s.step) / (10.0 + s.step));
      for (size_t i = 0; i < params.size(); ++i) ema_params[i].mul_(d).add_(params[i], 1.0 - d);
      window_bpd += loss_v;
      ++window_steps;
      recent_bpd = recent_bpd == 0 ? loss_v : 0.98 * recent_bpd + 0.02 * loss_v;
    }
    ++s.step;
    s.images_seen += static_cast<int64_t>(o.batch) * world;
    window_images += o.batch;
    const double step_s = std::chrono::duration<double>(Clock::now() - step_start).count();
    s.train_seconds += step_s;
    session_step_s += step_s;
    session_images += o.batch;
    if (ok && s.step % kSnapshotEvery == 0) snapshot();

    const double win_s = std::chrono::duration<double>(Clock::now() - window_start).count();
    TrainProgress p;
    p.step = s.step;
    p.total_steps = o.steps;
    p.images_per_second_per_rank = win_s > 0 ? window_images / win_s : 0;
    p.images_per_second = p.images_per_second_per_rank * world;
    p.ranks = world;
    p.train_bits_per_dim = recent_bpd;
    p.batch_bits_per_dim = ok ? loss_v : -1;
    p.elapsed_seconds = std::chrono::duration<double>(Clock::now() - session_start).count();
    p.learning_rate = lr;
    if (p.images_per_second > 0) {
      double eta = -1;
      if (o.steps > 0) eta = static_cast<double>(o.steps - s.step) * o.batch * world / p.images_per_second;
      if (budget_s > 0) eta = eta < 0 ? budget_s - p.elapsed_seconds : std::min(eta, budget_s - p.elapsed_seconds);
      p.eta_seconds = eta;
    }
    if (o.on_progress && lead) o.on_progress(p);
    if (s.step % kLogEvery == 0) {
      if (lead) {
        nlohmann::json line{{"event", "train"}, {"step", s.step}, {"train_bpd", window_steps ? window_bpd / window_steps : -1},
                            {"img_per_s", p.images_per_second}, {"lr", lr}, {"seconds", s.train_seconds}};
        if (comm) {
          line["ranks"] = world;
          line["img_per_s_per_rank"] = p.images_per_second_per_rank;
          line["allreduce_wait_ms"] = 1000.0 * window_reduce_s / kLogEvery;
          line["buckets"] = reducer->bucket_count();
          line["buckets_overlapped"] = static_cast<double>(window_early_buckets) / kLogEvery;
        }
        jsonl << line.dump() << std::endl;
      }
      window_bpd = 0;
      window_steps = 0;
      window_start = Clock::now();
      window_images = 0;
      window_reduce_s = 0;
      window_early_buckets = 0;
    }
    if (lead && ((o.checkpoint_every > 0 && s.step % o.checkpoint_every == 0) ||
                 std::chrono::duration<double>(Clock::now() - last_checkpoint).count() >= o.checkpoint_minutes * 60.0)) {
      checkpoint("periodic");
    }
  }
  if (lead) checkpoint(result.interrupted ? "interrupted" : "end");
  result.steps = s.step;
  // Training steps only (checkpoints and evaluation excluded), over the whole session.
  result.images_per_second_per_rank = session_step_s > 0 ? session_images / session_step_s : 0;
  result.images_per_second = result.images_per_second_per_rank * world;
  result.train_bits_per_dim = recent_bpd;
  result.skipped_batches = s.skipped;
  result.model_path = lead ? model_path : std::string();
  return result;
}

}  // namespace glowlab
