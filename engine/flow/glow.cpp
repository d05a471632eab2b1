#include "flow/glow.h"

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/record_function.h>

#include "core/error.h"
#include "core/named_tensors.h"

namespace glowlab {
namespace {

const double kLog2Pi = std::log(2.0 * M_PI);

// log N(z; mean, exp(logs)^2) summed per sample, given eps = (z - mean) * exp(-logs).
at::Tensor gaussian_log_density(const at::Tensor& eps, const at::Tensor& logs) {
  auto per_elem = (eps * eps + logs * 2.0 + kLog2Pi) * -0.5;
  return per_elem.flatten(1).sum(/*dim=*/1);
}

// A profiler's name for level i (bench --profile groups the time by it); free when no profiler runs.
const char* level_scope(size_t i) {
  static const char* const kNames[] = {"glowlab::level1", "glowlab::level2", "glowlab::level3", "glowlab::level4",
                                       "glowlab::level5", "glowlab::level6", "glowlab::level7", "glowlab::level8"};
  return i < 8 ? kNames[i] : "glowlab::level9+";
}

}  // namespace

at::Tensor squeeze2x2(const at::Tensor& x) {
  const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.view({b, c, h / 2, 2, w / 2, 2}).permute({0, 1, 3, 5, 2, 4}).reshape({b, c * 4, h / 2, w / 2});
}

at::Tensor unsqueeze2x2(const at::Tensor& x) {
  const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.view({b, c / 4, 2, 2, h, w}).permute({0, 1, 4, 2, 5, 3}).reshape({b, c / 4, h * 2, w * 2});
}

at::Tensor bits_per_dim(const at::Tensor& log_px, int64_t dimension, int n_bins) {
  const double d = static_cast<double>(dimension);
  return -(log_px - d * std::log(static_cast<double>(n_bins))) / (d * std::log(2.0));
}

double bits_per_dim(double log_px, int64_t dimension, int n_bins) {
  const double d = static_cast<double>(dimension);
  return -(log_px - d * std::log(static_cast<double>(n_bins))) / (d * std::log(2.0));
}

GlowImpl::GlowImpl(const GlowConfig& config) : config_(config) {
  config_.validate();
  int64_t c = config.channels;
  for (int i = 0; i < config.levels; ++i) {
    c *= 4;
    auto level = std::make_shared<torch::nn::Module>("Level");
    steps_.emplace_back();
    for (int k = 0; k < config.steps; ++k) {
      steps_.back().push_back(level->register_module("step" + std::to_string(k), FlowStep(c, config)));
    }
    if (i + 1 < config.levels) {
      split_priors_.push_back(level->register_module("prior", ZeroConv2d(c / 2, c, config.zeroconv_pad_ones)));
      c /= 2;
    }
    register_module("level" + std::to_string(i), level);
  }
  if (config.learn_top) {
    // A map (top_map, imported models) holds one mean and log-sd per position of the top level.
    const int64_t side = config.top_map ? config.image_size >> config.levels : 1;
    top_mean_ = register_parameter("top_mean", at::zeros({1, c, side, side}));
    top_logs_ = register_parameter("top_logs", at::zeros({1, c, side, side}));
  }
}

Glow with_config(const Glow& from, const GlowConfig& config) {
  Glow to(config);
  load_named(*to, named_state(*from), "with_config");
  to->to(from->device());
  return to;
}

at::Device GlowImpl::device() const { return parameters().front().device(); }
at::ScalarType GlowImpl::dtype() const { return parameters().front().scalar_type(); }

bool GlowImpl::initialized() const {
  for (const auto& b : named_buffers()) {
    if (b.key().size() >= 11 && b.key().compare(b.key().size() - 11, 11, "initialized") == 0 &&
        b.value().item<double>() == 0.0) {
      return false;
    }
  }
  return true;
}

void GlowImpl::initialize(const at::Tensor& x) {
  at::NoGradGuard no_grad;
  encode(x);
}

std::pair<at::Tensor, at::Tensor> GlowImpl::prior_of(size_t level, const at::Tensor& condition) const {
  if (level < split_priors_.size()) {
    const auto h = split_priors_[level]->forward(condition).chunk(2, /*dim=*/1);
    return {h[0], h[1]};
  }
  if (config_.learn_top) return {top_mean_, top_logs_};
  return {at::zeros({1, 1, 1, 1}, condition.options()), at::zeros({1, 1, 1, 1}, condition.options())};
}

Encoding GlowImpl::encode(const at::Tensor& x) {
  const int64_t s = config_.image_size;
  if (x.dim() != 4 || x.size(1) != config_.channels || x.size(2) != s || x.size(3) != s) {
    throw Error(ErrorKind::InvalidArgument,
                "encode: expected a batch of shape [B, " + std::to_string(config_.channels) + ", " +
                    std::to_string(s) + ", " + std::to_string(s) + "], got " + c10::str(x.sizes()));
  }
  Encoding out;
  out.log_det = at::zeros({x.size(0)}, x.options());
  out.log_pz = at::zeros({x.size(0)}, x.options());
  auto h = x;
  for (size_t i = 0; i < steps_.size(); ++i) {
    RECORD_FUNCTION(level_scope(i), std::vector<c10::IValue>());
    h = squeeze2x2(h);
    for (auto& step : steps_[i]) {
      auto [y, ld] = step->forward(h);
      h = y;
      out.log_det = out.log_det + ld;
    }
    at::Tensor z = h;
    if (i < split_priors_.size()) {
      auto halves = h.chunk(2, /*dim=*/1);
      h = halves[0];
      z = halves[1];
    }
    auto [mean, logs] = prior_of(i, h);
    const auto eps = (z - mean) * (-logs).exp();
    out.log_pz = out.log_pz + gaussian_log_density(eps, logs.expand_as(eps));
    out.eps.push_back(eps);
  }
  return out;
}

at::Tensor GlowImpl::decode(const std::vector<at::Tensor>& eps) {
  if (eps.size() != steps_.size()) {
    throw Error(ErrorKind::InvalidArgument, "decode: expected " + std::to_string(steps_.size()) +
                                                " latent levels, got " + std::to_string(eps.size()));
  }
  at::Tensor h;
  for (size_t n = steps_.size(); n-- > 0;) {
    RECORD_FUNCTION(level_scope(n), std::vector<c10::IValue>());
    if (n + 1 == steps_.size()) {
      auto [mean, logs] = prior_of(n, eps[n]);
      h = eps[n] * logs.exp() + mean;
    } else {
      auto [mean, logs] = prior_of(n, h);
      h = at::cat({h, eps[n] * logs.exp() + mean}, /*dim=*/1);
    }
    for (auto it = steps_[n].rbegin(); it != steps_[n].rend(); ++it) h = (*it)->reverse(h);
    h = unsqueeze2x2(h);
  }
  return h;
}

std::vector<at::Tensor> GlowImpl::sample_eps(int64_t n, double temperature, uint64_t seed) const {
  auto gen = at::detail::createCPUGenerator(seed);
  std::vector<at::Tensor> eps;
  for (const auto& shape : config_.level_shapes()) {
    auto e = at::normal(0.0, temperature, {n, shape[0], shape[1], shape[2]}, gen, at::TensorOptions().dtype(at::kFloat));
    eps.push_back(e.to(device(), dtype()));
  }
  return eps;
}

at::Tensor GlowImpl::flatten(const std::vector<at::Tensor>& eps) const {
  std::vector<at::Tensor> flat;
  for (const auto& e : eps) flat.push_back(e.flatten(1));
  return at::cat(flat, /*dim=*/1);
}

std::vector<at::Tensor> GlowImpl::unflatten(const at::Tensor& flat) const {
  if (flat.dim() != 2 || flat.size(1) != config_.dimension()) {
    throw Error(ErrorKind::InvalidArgument, "latent must have shape [B, " +
                                                std::to_string(config_.dimension()) + "], got " +
                                                c10::str(flat.sizes()));
  }
  std::vector<at::Tensor> eps;
  int64_t offset = 0;
  for (const auto& shape : config_.level_shapes()) {
    const int64_t size = shape[0] * shape[1] * shape[2];
    eps.push_back(flat.narrow(1, offset, size).reshape({flat.size(0), shape[0], shape[1], shape[2]}));
    offset += size;
  }
  return eps;
}

}  // namespace glowlab
