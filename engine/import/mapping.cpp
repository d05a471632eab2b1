// The checkpoint -> GlowLab tensor mapping shared by every importer (mapping.h).
#include "import/mapping.h"

#include "core/error.h"

namespace glowlab::import_detail {

std::string shape_of(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

std::string shape_of(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t d = 0; d < v.size(); ++d) s += (d ? ", " : "") + std::to_string(v[d]);
  return s + "]";
}

void Source::fail(const std::string& what) const { throw Error(ErrorKind::Format, path_ + ": " + what); }

at::Tensor Source::get(const std::string& key) {
  auto it = tensors_.find(key);
  if (it == tensors_.end()) fail("missing key '" + key + "'");
  used_.insert(key);
  if (!at::isFloatingType(it->second.scalar_type())) fail("key '" + key + "' is not a floating-point tensor");
  return it->second.to(at::kDouble);
}

at::Tensor Source::get(const std::string& key, const std::vector<int64_t>& shape) {
  auto t = get(key);
  if (!t.sizes().equals(shape)) {
    fail("key '" + key + "' has shape " + shape_of(t) + " but this model needs " + shape_of(shape));
  }
  return t;
}

void Source::check_all_used(const std::string& layout) const {
  for (const auto& [key, t] : tensors_) {
    if (!used_.count(key)) fail("unexpected key '" + key + "' " + shape_of(t) + ": not part of " + layout);
  }
}

Target::Target(const GlowConfig& config) : glow_(config) {
  for (const auto& p : glow_->named_parameters()) slots_[p.key()] = p.value();
  for (const auto& b : glow_->named_buffers()) slots_[b.key()] = b.value();
}

void Target::put(const std::string& name, const at::Tensor& t, const std::string& from) {
  auto it = slots_.find(name);
  if (it == slots_.end()) throw Error(ErrorKind::InvalidArgument, "import: GlowLab has no tensor '" + name + "'");
  if (it->second.numel() != t.numel()) {
    throw Error(ErrorKind::Format, "key '" + from + "' has shape " + shape_of(t) + " but GlowLab's '" + name +
                                       "' needs " + shape_of(it->second.sizes().vec()));
  }
  at::NoGradGuard g;
  it->second.copy_(t.reshape(it->second.sizes()).to(at::kFloat));
  filled_.insert(name);
}

Glow Target::finish() {
  at::NoGradGuard g;
  for (auto& [name, t] : slots_) {
    if (name.size() >= 11 && name.compare(name.size() - 11, 11, "initialized") == 0) {
      t.fill_(1.0);
      filled_.insert(name);
    }
  }
  for (const auto& [name, t] : slots_) {
    if (!filled_.count(name)) throw Error(ErrorKind::InvalidArgument, "import: nothing was mapped onto '" + name + "'");
    if (!at::isfinite(t).all().item<bool>()) throw Error(ErrorKind::Numeric, "import: '" + name + "' is not finite");
  }
  return glow_;
}

at::Tensor rows(const at::Tensor& t, const at::Tensor& index) { return t.reshape({t.size(0), -1}).index_select(0, index).reshape(t.sizes()); }
at::Tensor flat_rows(const at::Tensor& t, const at::Tensor& index) { return t.flatten().index_select(0, index); }

at::Tensor halves_swapped(int64_t n) { return at::cat({at::arange(n / 2, n, at::kLong), at::arange(0, n / 2, at::kLong)}); }
at::Tensor even_then_odd(int64_t n) { return at::cat({at::arange(0, n, 2, at::kLong), at::arange(1, n, 2, at::kLong)}); }

at::Tensor zero_conv(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const at::Tensor& logs, bool pad_ones) {
  const auto padded = at::constant_pad_nd(x, {1, 1, 1, 1}, pad_ones ? 1.0 : 0.0);
  return at::conv2d(padded, w, b) * (logs.flatten() * 3.0).exp().view({1, -1, 1, 1});
}

void put_top(Target& target, const at::Tensor& h, const GlowConfig& config, const std::string& from) {
  const int64_t c = h.size(1) / 2;
  auto parts = h.split(c, 1);
  if (config.top_map) {
    target.put("top_mean", parts[0], from);
    target.put("top_logs", parts[1], from);
  } else {
    target.put("top_mean", parts[0].select(2, 0).select(2, 0), from);
    target.put("top_logs", parts[1].select(2, 0).select(2, 0), from);
  }
}

bool constant_over_positions(const at::Tensor& h) {
  return at::equal(h, h.select(2, 0).select(2, 0).view({h.size(0), h.size(1), 1, 1}).expand_as(h).contiguous());
}

void put_biased_conv(Target& t, const std::string& name, const std::string& an, const at::Tensor& w, const at::Tensor& b,
                     const std::string& from) {
  t.put(name, w, from + ".weight");
  t.put(an + ".loc", b, from + ".bias");
  t.put(an + ".logs", at::zeros_like(b), from + ".bias");
}

std::string strip_prefix(std::map<std::string, at::Tensor>& tensors, const std::string& prefix) {
  if (tensors.empty()) return {};
  for (const auto& [k, t] : tensors) {
    if (k.compare(0, prefix.size(), prefix) != 0) return {};
  }
  std::map<std::string, at::Tensor> out;
  for (auto& [k, t] : tensors) out[k.substr(prefix.size())] = t;
  tensors.swap(out);
  return prefix;
}

int count_indices(const Source& s, const std::string& head, const std::string& tail) {
  int n = 0;
  while (s.has(head + std::to_string(n) + tail)) ++n;
  return n;
}

void check_given(const Source& s, const char* what, int given, int found, const std::string& how) {
  if (given && given != found) {
    s.fail(std::string("--") + what + " " + std::to_string(given) + " was given but the checkpoint has " +
           std::to_string(found) + " (" + how + ")");
  }
}

void check_coupling(const Source& s, const std::string& given, CouplingType found, const std::string& how) {
  if (!given.empty() && given != to_string(found)) {
    s.fail("--" + given + " was given but the checkpoint's coupling is " + to_string(found) + " (" + how + ")");
  }
}

void validate_for(const Source& s, const GlowConfig& config) {
  try {
    config.validate();
  } catch (const Error& e) {
    s.fail(e.what());
  }
}

}  // namespace glowlab::import_detail
