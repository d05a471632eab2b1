// bench's distance to the machine: the FLOPs of a pass through the flow, the machine's own matrix
// multiply peak, and where a pass spends its time (by operator and by level, from LibTorch's profiler).
#include "bench/profile.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_legacy.h>

namespace glowlab {

double flow_flops(const GlowConfig& c) {
  // Multiply-adds count two. The convolutions and the 1x1 mixes; ActNorm, the coupling's
  // elementwise work and the squeezes are a few per value, under 1% of these.
  double flops = 0.0;
  double ch = c.channels;
  double side = c.image_size;
  const double w = c.width;
  for (int level = 0; level < c.levels; ++level) {
    ch *= 4;
    side /= 2;
    const double px = side * side;
    const double out = c.coupling == CouplingType::Affine ? ch : ch / 2;
    const double step = 2 * px * (ch * ch            // invertible 1x1
                                  + 9 * (ch / 2) * w  // coupling: 3x3 in
                                  + w * w             // 1x1 hidden
                                  + 9 * w * out);     // zero-initialised 3x3 out
    flops += c.steps * step;
    if (level + 1 < c.levels) {
      flops += 2 * px * 9 * (ch / 2) * ch;  // the split's conditional prior
      ch /= 2;
    }
  }
  return flops;
}

nlohmann::json machine_peak() {
  // A large fp32 matrix product through oneDNN (a 1x1 convolution: [4096 x 512] times [512 x 512]),
  // the library the flow's convolutions run on; LibTorch's BLAS product (at::mm) beside it.
  const auto x = at::randn({1, 512, 64, 64}), w = at::randn({512, 512, 1, 1});
  const auto a = at::randn({1024, 1024}), b = at::randn({1024, 1024});
  const double conv_flops = 2.0 * 512 * 512 * 64 * 64, mm_flops = 2.0 * 1024 * 1024 * 1024;
  auto gflops = [](int threads, double flops, const std::function<void()>& fn) {
    at::set_num_threads(threads);
    fn();  // warm-up
    std::vector<double> s;
    for (int i = 0; i < 7; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      fn();
      s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(s.begin(), s.end());
    return flops / s[s.size() / 2] / 1e9;
  };
  const int threads = at::get_num_threads();
  auto conv = [&] { at::mkldnn_convolution(x, w, {}, {0, 0}, {1, 1}, {1, 1}, 1); };
  auto mm = [&] { at::mm(a, b); };
  nlohmann::json r;
  r["what"] = "oneDNN fp32 matrix product [4096x512]x[512x512] (a 1x1 convolution)";
  r["threads"] = threads;
  r["gflops_1_thread"] = gflops(1, conv_flops, conv);
  r["gflops"] = threads > 1 ? gflops(threads, conv_flops, conv) : r["gflops_1_thread"].get<double>();
  r["blas_mm_gflops"] = gflops(threads, mm_flops, mm);  // at::mm 1024x1024, LibTorch's BLAS
  at::set_num_threads(threads);
  return r;
}

nlohmann::json profile_runs(int runs, const std::function<void()>& fn) {
  namespace prof = torch::autograd::profiler;
  fn();  // warm-up, unrecorded
  // Self time per operator (its own time less its children's), total time per level scope.
  std::map<std::string, double> self_us, level_us;
  std::map<std::string, std::int64_t> calls;
  auto tally = [&](const prof::thread_event_lists& lists) {
    for (const auto& events : lists) {
      struct Open {
        const prof::LegacyEvent* push;
        double children_us;
      };
      std::vector<Open> stack;
      for (const auto& e : events) {
        if (e.kind() == prof::EventKind::PushRange) {
          stack.push_back({&e, 0.0});
        } else if (e.kind() == prof::EventKind::PopRange && !stack.empty()) {
          const Open open = stack.back();
          stack.pop_back();
          const double us = open.push->cpuElapsedUs(e);
          const std::string name = open.push->name();
          if (name.rfind("glowlab::level", 0) == 0) {
            level_us[name.substr(9)] += us;  // "level2": a scope, not an operator (its operators count themselves)
            continue;
          }
          self_us[name] += us - open.children_us;
          ++calls[name];
          if (!stack.empty()) stack.back().children_us += us;
        }
      }
    }
  };
  // One recording per run, tallied and freed before the next.
  double wall_ms = 0.0;
  for (int i = 0; i < runs; ++i) {
    prof::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    wall_ms += ms / runs;
    tally(prof::disableProfilerLegacy());
  }
  double total = 0.0;
  for (const auto& [name, us] : self_us) total += us;
  std::vector<std::pair<std::string, double>> ops(self_us.begin(), self_us.end());
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  nlohmann::json by_op = nlohmann::json::array();
  double rest_us = 0.0;
  std::int64_t rest_calls = 0, all_calls = 0;
  for (const auto& [name, us] : ops) {
    all_calls += calls[name];
    if (us / total < 0.005) {  // the rest, under half a percent each: summed below
      rest_us += us;
      rest_calls += calls[name];
      continue;
    }
    by_op.push_back({{"op", name}, {"ms", us / 1000.0 / runs}, {"share", us / total}, {"calls", calls[name] / runs}});
  }
  if (rest_calls > 0) {
    by_op.push_back({{"op", "(every other operator, each under 0.5%)"}, {"ms", rest_us / 1000.0 / runs},
                     {"share", rest_us / total}, {"calls", rest_calls / runs}});
  }
  nlohmann::json by_level;
  for (const auto& [name, us] : level_us) by_level[name] = {{"ms", us / 1000.0 / runs}, {"share", us / total}};
  return {{"runs", runs}, {"ms_per_run_profiled", wall_ms}, {"ms_in_operators", total / 1000.0 / runs},
          {"operator_calls", all_calls / runs}, {"by_op", by_op},
          {"by_level", by_level}};
}

}  // namespace glowlab
