// Helpers shared by the test suites: tiny configs, random images, brute-force Jacobians.
#pragma once

#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/autograd.h>
#include <torch/nn/module.h>

#include "core/image.h"
#include "flow/config.h"

namespace glowlab::test {

inline GlowConfig tiny_config(int size = 16, int levels = 2, int steps = 2, int width = 16) {
  GlowConfig c;
  c.image_size = size;
  c.levels = levels;
  c.steps = steps;
  c.width = width;
  return c;
}

// Random smooth-ish RGB image of the given size.
inline Image random_image(int size, int channels, uint64_t seed) {
  Image im{size, size, channels, std::vector<std::uint8_t>(static_cast<size_t>(size) * size * channels)};
  uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      for (int c = 0; c < channels; ++c) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        const int base = (x * 255 / size + y * 128 / size + c * 60) % 256;
        im.bytes[(static_cast<size_t>(y) * size + x) * channels + c] =
            static_cast<std::uint8_t>((base + static_cast<int>((s >> 33) % 64)) % 256);
      }
    }
  }
  return im;
}

// The whole file as bytes (empty if it cannot be read).
inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Adds N(0, scale^2) noise to every floating-point parameter so no layer is at its identity init.
inline void perturb(torch::nn::Module& m, double scale) {
  at::NoGradGuard g;
  for (auto& p : m.parameters()) p.add_(at::randn_like(p) * scale);
}

// log|det J| of f at x, from the full autograd Jacobian (rows by backward passes).
inline double brute_force_log_abs_det(const std::function<at::Tensor(const at::Tensor&)>& f, const at::Tensor& x) {
  auto xin = x.detach().clone().requires_grad_(true);
  auto y = f(xin).flatten();
  const int64_t n = y.numel();
  auto jac = at::zeros({n, xin.numel()}, x.options());
  for (int64_t i = 0; i < n; ++i) {
    auto g = torch::autograd::grad({y[i]}, {xin}, /*grad_outputs=*/{}, /*retain_graph=*/true)[0];
    jac[i] = g.flatten();
  }
  return std::get<1>(at::linalg_slogdet(jac)).item<double>();
}

}  // namespace glowlab::test
