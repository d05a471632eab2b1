// glowlab-cli bench: latency, throughput and memory of one configuration, printed as JSON.
#include <algorithm>
#include <chrono>
#include <vector>

#include <sys/resource.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/optim/adam.h>

#include "bundle/model_file.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "train/objective.h"

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

// Times fn `runs` times after `warmup` untimed runs; returns milliseconds per run.
template <typename Fn>
std::vector<double> time_runs(const at::Device& device, int warmup, int runs, Fn&& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    if (device.is_cuda()) torch::cuda::synchronize();
    const auto t0 = Clock::now();
    fn();
    if (device.is_cuda()) torch::cuda::synchronize();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return ms;
}

}  // namespace

std::string run_bench(const BenchOptions& o) {
  auto log = [&](const std::string& s) { if (o.log) o.log(s); };
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
  const int iters = std::max(20, o.iterations);

  auto gen = at::detail::createCPUGenerator(1);
  const auto pixels = at::empty({o.batch, c.channels, c.image_size, c.image_size}).uniform_(0, 256, gen).to(at::kByte);
  const auto xb = to_model_input(pixels.to(device), c.n_bits, at::kFloat, 2);
  const auto x1 = xb.narrow(0, 0, 1).contiguous();
  if (!glow->initialized()) glow->initialize(xb);

  nlohmann::json out;
  out["config"] = nlohmann::json::parse(c.to_json());
  out["device"] = device.str();
  out["threads"] = at::get_num_threads();
  out["iterations"] = iters;
  const Precision before = precision();
  std::vector<at::Tensor> initial;
  for (const auto& p : glow->parameters()) initial.push_back(p.detach().clone());
  for (const auto& b : glow->buffers()) initial.push_back(b.clone());
  auto restore = [&] {
    at::NoGradGuard g;
    size_t i = 0;
    for (auto& p : glow->parameters()) p.copy_(initial[i++]);
    for (auto& b : glow->buffers()) b.copy_(initial[i++]);
  };
  nlohmann::json by;
  for (const auto& name : o.precisions.empty() ? std::vector<std::string>{"fp32"} : o.precisions) {
    set_precision(parse_precision(name));
    restore();  // each precision starts from the same weights
    nlohmann::json r;
    {
      c10::InferenceMode guard;
      log(name + ": encode latency (batch 1)...");
      auto enc = time_runs(device, 5, iters, [&] { glow->encode(x1); });
      const auto eps = glow->encode(x1).eps;
      log(name + ": decode latency (batch 1)...");
      auto dec = time_runs(device, 5, iters, [&] { glow->decode(eps); });
      log(name + ": encode throughput (batch " + std::to_string(o.batch) + ")...");
      auto encb = time_runs(device, 2, std::max(5, iters / 4), [&] { glow->encode(xb); });
      r["encode_latency_ms"] = {{"median", median(enc)}, {"p95", percentile(enc, 0.95)}};
      r["decode_latency_ms"] = {{"median", median(dec)}, {"p95", percentile(dec, 0.95)}};
      r["encode_throughput_img_per_s"] = 1000.0 * o.batch / median(encb);
      r["round_trip_max_abs_error"] = (glow->decode(eps) - x1).abs().max().item<double>();
    }
    log(name + ": training throughput (batch " + std::to_string(o.batch) + ", Adam)...");
    glow->train();
    torch::optim::Adam adam(glow->parameters(), torch::optim::AdamOptions(1e-4));
    auto step = [&] {
      adam.zero_grad();
      auto loss = nll_bits_per_dim(glow, xb);
      loss.backward();
      adam.step();
    };
    auto tr = time_runs(device, 2, std::max(3, o.train_steps), step);
    glow->eval();
    r["train_throughput_img_per_s"] = 1000.0 * o.batch / median(tr);
    r["train_step_ms"] = median(tr);
    if (by.empty()) {
      out["precision"] = name;
      out.update(r);  // the first precision's figures at the top level
    }
    by[name] = r;
  }
  set_precision(before);
  restore();
  out["by_precision"] = by;
  out["peak_rss_mib"] = peak_rss_mib();
  return out.dump(2);
}

}  // namespace glowlab
