// glowlab-cli bench: latency, throughput and memory of one configuration, printed as JSON.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <sys/resource.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include "bench/profile.h"
#include "bundle/model_file.h"
#include "core/named_tensors.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "train/run_state.h"
#include "train/train_step.h"

namespace glowlab {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// One run of fn in milliseconds (a GPU's queued work included).
template <typename Fn>
double elapsed_ms(const at::Device& device, Fn&& fn) {
  if (device.is_cuda()) torch::cuda::synchronize();
  const auto t0 = Clock::now();
  fn();
  if (device.is_cuda()) torch::cuda::synchronize();
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Times fn `runs` times after `warmup` untimed runs; returns milliseconds per run.
template <typename Fn>
std::vector<double> time_runs(const at::Device& device, int warmup, int runs, Fn&& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) ms.push_back(elapsed_ms(device, fn));
  return ms;
}

// Encode and decode latency (batch 1), encode throughput (batch xb) and the round trip's error.
nlohmann::json time_inference(Glow& glow, const at::Tensor& x1, const at::Tensor& xb, int iterations, bool profile,
                              const at::Device& device, const std::function<void(const std::string&)>& log) {
  c10::InferenceMode guard;
  nlohmann::json r;
  log("encode latency (batch 1)...");
  auto enc = time_runs(device, 5, iterations, [&] { glow->encode(x1); });
  const auto eps = glow->encode(x1).eps;
  log("decode latency (batch 1)...");
  auto dec = time_runs(device, 5, iterations, [&] { glow->decode(eps); });
  log("encode throughput (batch " + std::to_string(xb.size(0)) + ")...");
  auto encb = time_runs(device, 2, std::max(5, iterations / 4), [&] { glow->encode(xb); });
  r["encode_latency_ms"] = {{"median", median(enc)}, {"p95", percentile(enc, 0.95)}};
  r["decode_latency_ms"] = {{"median", median(dec)}, {"p95", percentile(dec, 0.95)}};
  r["encode_throughput_img_per_s"] = 1000.0 * xb.size(0) / median(encb);
  r["round_trip_max_abs_error"] = (glow->decode(eps) - x1).abs().max().item<double>();
  // The distance to the machine's limit: FLOPs per pass over the time it takes.
  const double flops = flow_flops(glow->config());
  r["gflop_per_pass"] = flops / 1e9;
  r["encode_gflops_per_s"] = flops / median(enc) / 1e6;
  r["decode_gflops_per_s"] = flops / median(dec) / 1e6;
  if (profile && !device.is_cuda()) {
    log("profile of encode and decode (batch 1)...");
    r["profile"]["decode"] = profile_runs(iterations, [&] { glow->decode(eps); });
    r["profile"]["encode"] = profile_runs(iterations, [&] { glow->encode(x1); });
  }
  return r;
}

// Training steps as the trainer takes them (its optimiser, clipping, NaN guard and EMA, at its
// defaults) on the batch xb; `ema` is scratch space the size of glow.
nlohmann::json time_training(Glow& glow, Glow& ema, const at::Tensor& xb, int steps, bool profile, const at::Device& device,
                             const std::function<void(const std::string&)>& log) {
  const TrainOptions trainer;
  log("training throughput (batch " + std::to_string(xb.size(0)) + ", " + trainer.optimizer + ")...");
  glow->train();
  copy_weights(glow, ema);
  FlowOptimizer opt(params_of(glow), trainer.optimizer);
  TrainStep step(glow, ema, opt, trainer.clip_norm, trainer.ema_decay);
  std::int64_t k = 0;
  auto tr = time_runs(device, 2, steps, [&] { step.run(xb, trainer.lr, k++); });
  nlohmann::json r = {{"train_throughput_img_per_s", 1000.0 * xb.size(0) / median(tr)}, {"train_step_ms", median(tr)}};
  // A step is a forward pass, a backward pass (about twice its work) and the optimiser.
  r["train_gflops_per_s"] = 3.0 * flow_flops(glow->config()) * static_cast<double>(xb.size(0)) / median(tr) / 1e6;
  if (profile && !device.is_cuda()) {
    log("profile of a training step...");
    r["profile"]["train_step"] = profile_runs(steps, [&] { step.run(xb, trainer.lr, k++); });
    // The step's parts, timed without the profiler (medians over as many steps).
    std::vector<double> pass, update, check, average;
    for (int i = 0; i < steps; ++i) {
      pass.push_back(elapsed_ms(device, [&] { step.backward(xb); }));
      update.push_back(elapsed_ms(device, [&] { step.update(trainer.lr); }));
      check.push_back(elapsed_ms(device, [&] { step.weights_finite(); }));
      average.push_back(elapsed_ms(device, [&] { step.average(k++); }));
    }
    r["profile"]["train_step_parts_ms"] = {{"forward_and_backward", median(pass)},
                                           {"clip_and_optimiser", median(update)},
                                           {"finiteness_check", median(check)},
                                           {"moving_average", median(average)}};
  }
  glow->eval();
  return r;
}

// The window's File > Open and render, step by step, on a real photo (median of `runs` each, after
// one untimed run that loads the face detector and landmark model).
nlohmann::json time_open(const std::string& model_path, const std::string& photo_path, int runs,
                         const std::function<void(const std::string&)>& log) {
  log("opening " + photo_path + " (read, face, landmarks, crop, encode) and rendering it...");
  Model model = Model::load(model_path);
  const int size = model.config().image_size, channels = model.config().channels;
  auto ms = [&](const std::function<void()>& fn) { return median(time_runs(at::Device(at::kCPU), 1, runs, fn)); };
  Image photo;
  FaceCrop crop;
  std::vector<float> latent;
  std::array<double, 10> points{};
  std::string why;
  nlohmann::json r;
  r["read_ms"] = ms([&] { photo = read_image(photo_path, channels); });
  r["face_and_landmarks_ms"] = ms([&] { find_face_landmarks(photo, points, why); });
  r["align_ms"] = ms([&] { crop = align_face(photo, size, /*centre_fallback=*/true, photo_path, model.framing()); });
  r["encode_ms"] = ms([&] { latent = model.encode(crop.crop); });
  r["bits_per_dim_ms"] = ms([&] { model.bits_per_dim({crop.crop}, 0); });
  r["open_total_ms"] = r["read_ms"].get<double>() + r["align_ms"].get<double>() + r["encode_ms"].get<double>() +
                       r["bits_per_dim_ms"].get<double>();
  // A render as the window makes one: an edit's decode under the guard (finiteness, range and the
  // colour noise against the photo's own decode, which is kept while the photo is edited).
  auto target = latent;
  if (!model.attributes().empty()) target = model.edit(latent, {{model.attributes().front().name, 0.5}});
  else target.front() += 0.01f;
  const double decode = ms([&] { model.decode(target); });
  const double guarded = ms([&] { model.decode_guarded(latent, target); });
  r["decode_ms"] = decode;
  r["guarded_render_ms"] = guarded;
  r["guard_ms"] = guarded - decode;
  return r;
}

}  // namespace

std::string run_bench(const BenchOptions& o) {
  auto log = [&](const std::string& s) { if (o.log) o.log(s); };
  if (o.iterations < 1) throw Error(ErrorKind::InvalidArgument, "bench: --iterations must be at least 1");
  if (o.train_steps < 1) throw Error(ErrorKind::InvalidArgument, "bench: --train-steps must be at least 1");
  const at::Device device(resolve_device(o.device));
  Glow glow{nullptr};
  if (!o.model_path.empty()) {
    glow = load_model(o.model_path).glow;
  } else {
    at::manual_seed(0);
    glow = Glow(o.config);
  }
  glow->to(device);
  const auto& c = glow->config();

  auto gen = at::detail::createCPUGenerator(1);
  const auto pixels = at::empty({o.batch, c.channels, c.image_size, c.image_size}).uniform_(0, 256, gen).to(at::kByte);
  const auto xb = to_model_input(pixels.to(device), c.n_bits, at::kFloat, 2);
  const auto x1 = xb.narrow(0, 0, 1).contiguous();
  if (!glow->initialized()) glow->initialize(xb);

  nlohmann::json out;
  out["config"] = nlohmann::json::parse(c.to_json());
  out["device"] = device.str();
  out["threads"] = at::get_num_threads();
  out["iterations"] = o.iterations;
  out["train_steps"] = o.train_steps;
  const Precision before = precision();
  TensorMap initial = named_state(*glow);
  for (auto& [name, t] : initial) t = t.detach().clone();
  auto restore = [&] { load_named(*glow, initial, "bench"); };
  Glow ema(c);
  ema->to(device);
  nlohmann::json by;
  for (const auto& name : o.precisions.empty() ? std::vector<std::string>{"fp32"} : o.precisions) {
    set_precision(parse_precision(name));
    restore();  // each precision starts from the same weights
    auto log_named = [&](const std::string& s) { log(name + ": " + s); };
    nlohmann::json r = time_inference(glow, x1, xb, o.iterations, o.profile, device, log_named);
    nlohmann::json t = time_training(glow, ema, xb, o.train_steps, o.profile, device, log_named);
    if (t.contains("profile")) r["profile"].update(t["profile"]), t.erase("profile");
    r.update(t);
    if (by.empty()) {
      out["precision"] = name;
      out.update(r);  // the first precision's figures at the top level
    }
    by[name] = r;
  }
  set_precision(before);
  restore();
  out["by_precision"] = by;
  if (!o.photo.empty()) {
    if (o.model_path.empty()) throw Error(ErrorKind::InvalidArgument, "bench: --photo needs --model (a model with its framing)");
    out["open_photo"] = time_open(o.model_path, o.photo, o.iterations, log);
  }
  if (!device.is_cuda()) {
    // Each speed as a share of what this machine's cores do at best (virtual CPUs vary).
    log("machine peak (matrix multiply)...");
    const auto peak = machine_peak();
    out["machine_peak"] = peak;
    const double p = peak["gflops"].get<double>();
    for (const char* what : {"encode", "decode", "train"}) {
      const std::string name(what);
      out[name + "_share_of_peak"] = out[name + "_gflops_per_s"].get<double>() / p;
    }
  }
  out["peak_rss_mib"] = peak_rss_mib();
  return out.dump(2);
}

}  // namespace glowlab
