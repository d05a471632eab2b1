// Importers: another implementation's tensors -> GlowConfig + GlowLab's named tensors, written with
// the ordinary model writer. Each is written from the format's documented layout (docs/import.md).
#include "import/import.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "bundle/model_file.h"
#include "core/error.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "import/torch_pickle.h"

namespace glowlab {
namespace {

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

// The checkpoint's tensors under one prefix, with the lookups every importer needs: a missing key
// or a wrong shape is an error naming the file, the key and both shapes; keys never asked for are
// reported as unexpected at the end.
class Source {
 public:
  Source(std::string path, std::map<std::string, at::Tensor> tensors)
      : path_(std::move(path)), tensors_(std::move(tensors)) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(ErrorKind::Format, path_ + ": " + what); }
  const std::string& path() const { return path_; }
  bool has(const std::string& key) const { return tensors_.count(key) != 0; }
  const std::map<std::string, at::Tensor>& all() const { return tensors_; }

  // The tensor at `key` as float64 (exact for the float32 weights), marked used.
  at::Tensor get(const std::string& key) {
    auto it = tensors_.find(key);
    if (it == tensors_.end()) fail("missing key '" + key + "'");
    used_.insert(key);
    if (!at::isFloatingType(it->second.scalar_type())) fail("key '" + key + "' is not a floating-point tensor");
    return it->second.to(at::kDouble);
  }
  at::Tensor get(const std::string& key, const std::vector<int64_t>& shape) {
    auto t = get(key);
    if (!t.sizes().equals(shape)) {
      fail("key '" + key + "' has shape " + shape_of(t) + " but this model needs " + shape_of(shape));
    }
    return t;
  }
  void ignore(const std::string& key) { used_.insert(key); }
  void check_all_used(const std::string& layout) const {
    for (const auto& [key, t] : tensors_) {
      if (!used_.count(key)) fail("unexpected key '" + key + "' " + shape_of(t) + ": not part of " + layout);
    }
  }

 private:
  std::string path_;
  std::map<std::string, at::Tensor> tensors_;
  std::set<std::string> used_;
};

// GlowLab's tensors by name, checked against the Glow the config builds.
class Target {
 public:
  explicit Target(const GlowConfig& config) : glow_(config) {
    for (const auto& p : glow_->named_parameters()) slots_[p.key()] = p.value();
    for (const auto& b : glow_->named_buffers()) slots_[b.key()] = b.value();
  }
  // `t` (any float dtype) into the slot `name`; `from` names the checkpoint key for the message.
  void put(const std::string& name, const at::Tensor& t, const std::string& from) {
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
  Glow finish() {
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

 private:
  Glow glow_;
  std::map<std::string, at::Tensor> slots_;
  std::set<std::string> filled_;
};

// Output channels of a conv (weight [O, ...], bias [O], logs [O] in any shape) reordered by `index`.
at::Tensor rows(const at::Tensor& t, const at::Tensor& index) { return t.reshape({t.size(0), -1}).index_select(0, index).reshape(t.sizes()); }
at::Tensor flat_rows(const at::Tensor& t, const at::Tensor& index) { return t.flatten().index_select(0, index); }

// [second half; first half] and [even; odd] channel orders.
at::Tensor halves_swapped(int64_t n) { return at::cat({at::arange(n / 2, n, at::kLong), at::arange(0, n / 2, at::kLong)}); }
at::Tensor even_then_odd(int64_t n) { return at::cat({at::arange(0, n, 2, at::kLong), at::arange(1, n, 2, at::kLong)}); }

// A 3x3 zero-conv's output times exp(3 logs), applied to `x` with ones- or zeros-padding.
at::Tensor zero_conv(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const at::Tensor& logs, bool pad_ones) {
  const auto padded = at::constant_pad_nd(x, {1, 1, 1, 1}, pad_ones ? 1.0 : 0.0);
  return at::conv2d(padded, w, b) * (logs.flatten() * 3.0).exp().view({1, -1, 1, 1});
}

// The top prior h = [mean; logs] ([1, 2C, S, S]) into GlowLab's top_mean/top_logs, per channel
// when h is the same at every position (else the config must have top_map).
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

// The rosinality/hidden-conv convention: conv + bias -> GlowLab's conv + ActNorm(loc = bias, logs = 0).
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

// ---- rosinality/glow-pytorch ---------------------------------------------------------------

ImportResult import_rosinality(const ImportOptions& o, Glow& out) {
  auto tensors = read_torch_tensors(o.checkpoint);
  ImportResult r;
  if (!strip_prefix(tensors, "module.").empty()) r.notes.push_back("keys start with 'module.' (an nn.DataParallel model)");
  Source s(o.checkpoint, std::move(tensors));
  if (!s.has("blocks.0.flows.0.actnorm.loc")) {
    s.fail("has no 'blocks.0.flows.0.actnorm.loc': not a rosinality/glow-pytorch state_dict (torch.save(model.state_dict()))");
  }
  const int blocks = count_indices(s, "blocks.", ".flows.0.actnorm.loc");
  const int flows = count_indices(s, "blocks.0.flows.", ".actnorm.loc");
  const int64_t c0 = s.get("blocks.0.flows.0.actnorm.loc").size(1);
  if (c0 % 4 != 0 || (c0 / 4 != 1 && c0 / 4 != 3)) {
    s.fail("key 'blocks.0.flows.0.actnorm.loc' has " + std::to_string(c0) + " channels: expected 12 (RGB) or 4 (grey)");
  }
  const auto w1 = s.get("blocks.0.flows.0.coupling.net.0.weight");
  const auto out_w = s.get("blocks.0.flows.0.coupling.net.4.conv.weight");
  const bool lu = s.has("blocks.0.flows.0.invconv.w_p");

  GlowConfig c;
  c.channels = static_cast<int>(c0 / 4);
  c.levels = blocks;
  c.steps = flows;
  c.width = static_cast<int>(w1.size(0));
  c.coupling = out_w.size(0) == c0 ? CouplingType::Affine : CouplingType::Additive;
  // Its last block always uses the LU form; a --no_lu model is imported with every 1x1 conv as a
  // plain matrix (the LU one multiplied out in float64).
  c.permutation = lu || blocks == 1 ? Permutation::LU : Permutation::Plain;
  c.learn_top = true;
  c.top_map = true;
  c.zeroconv_pad_ones = true;
  check_given(s, "levels", o.levels, blocks, "blocks.N");
  check_given(s, "steps", o.steps, flows, "blocks.0.flows.N");
  check_coupling(s, o.coupling, c.coupling, "coupling.net.4.conv.weight has " + std::to_string(out_w.size(0)) +
                                                " output channels for " + std::to_string(c0) + " channels");
  if (!o.image_size) s.fail("--image-size is needed: a rosinality checkpoint does not store it (its train.py default is 64)");
  if (!o.n_bits) s.fail("--n-bits is needed: a rosinality checkpoint does not store it (its train.py default is 5)");
  c.image_size = o.image_size;
  c.n_bits = o.n_bits;
  try {
    c.validate();
  } catch (const Error& e) {
    s.fail(e.what());
  }

  Target t(c);
  int64_t ch = c0;
  for (int i = 0; i < blocks; ++i) {
    for (int k = 0; k < flows; ++k) {
      const std::string src = "blocks." + std::to_string(i) + ".flows." + std::to_string(k) + ".";
      const std::string dst = "level" + std::to_string(i) + ".step" + std::to_string(k) + ".";
      const std::vector<int64_t> vec{1, ch, 1, 1};
      // ActNorm y = scale * (x + loc): logs = log|scale|; a negative scale's sign moves into the
      // 1x1 conv's column (W diag(sign)), so the step computes the same function.
      const auto loc = s.get(src + "actnorm.loc", vec);
      const auto scale = s.get(src + "actnorm.scale", vec).flatten();
      s.ignore(src + "actnorm.initialized");
      if ((scale == 0).any().item<bool>()) s.fail("key '" + src + "actnorm.scale' has a zero: the flow is not invertible");
      const auto sign = scale.sign();
      t.put(dst + "actnorm.loc", loc, src + "actnorm.loc");
      t.put(dst + "actnorm.logs", scale.abs().log(), src + "actnorm.scale");
      if (s.has(src + "invconv.w_p")) {
        const auto p = s.get(src + "invconv.w_p", {ch, ch});
        auto l = s.get(src + "invconv.w_l", {ch, ch});
        auto u = s.get(src + "invconv.w_u", {ch, ch});
        auto log_s = s.get(src + "invconv.w_s", {ch});
        auto s_sign = s.get(src + "invconv.s_sign", {ch});
        const auto strict_upper = at::ones({ch, ch}, at::kDouble).triu(1);
        if (!at::equal(s.get(src + "invconv.u_mask", {ch, ch}), strict_upper) ||
            !at::equal(s.get(src + "invconv.l_mask", {ch, ch}), strict_upper.t()) ||
            !at::equal(s.get(src + "invconv.l_eye", {ch, ch}), at::eye(ch, at::kDouble))) {
          s.fail("the masks of '" + src + "invconv' are not the strictly upper/lower triangles and the identity");
        }
        l = l.tril(-1);
        u = u.triu(1) * sign.unsqueeze(0);  // U diag(sign): columns
        s_sign = s_sign * sign;
        if (c.permutation == Permutation::LU) {
          t.put(dst + "invconv.perm", p, src + "invconv.w_p");
          t.put(dst + "invconv.lower", l, src + "invconv.w_l");
          t.put(dst + "invconv.upper", u, src + "invconv.w_u");
          t.put(dst + "invconv.log_s", log_s, src + "invconv.w_s");
          t.put(dst + "invconv.sign_s", s_sign, src + "invconv.s_sign");
        } else {
          const auto w = p.matmul(l + at::eye(ch, at::kDouble)).matmul(u + at::diag(s_sign * log_s.exp()));
          t.put(dst + "invconv.weight", w, src + "invconv.w_*");
        }
      } else {
        if (c.permutation == Permutation::LU) s.fail("key '" + src + "invconv.w_p' is missing (block 0 uses the LU form)");
        const auto w = s.get(src + "invconv.weight", {ch, ch, 1, 1}).view({ch, ch}) * sign.unsqueeze(0);
        t.put(dst + "invconv.weight", w, src + "invconv.weight");
      }
      const int64_t width = c.width, half = ch / 2, out = c.coupling == CouplingType::Affine ? ch : half;
      put_biased_conv(t, dst + "coupling.conv1_weight", dst + "coupling.actnorm1",
                      s.get(src + "coupling.net.0.weight", {width, half, 3, 3}), s.get(src + "coupling.net.0.bias", {width}),
                      src + "coupling.net.0");
      put_biased_conv(t, dst + "coupling.conv2_weight", dst + "coupling.actnorm2",
                      s.get(src + "coupling.net.2.weight", {width, width, 1, 1}), s.get(src + "coupling.net.2.bias", {width}),
                      src + "coupling.net.2");
      // Affine output: (log_s, t) = chunk(2); GlowLab's is (shift, scale logits): swap the halves.
      const auto order = c.coupling == CouplingType::Affine ? halves_swapped(out) : at::arange(out, at::kLong);
      t.put(dst + "coupling.out.weight", rows(s.get(src + "coupling.net.4.conv.weight", {out, width, 3, 3}), order),
            src + "coupling.net.4.conv.weight");
      t.put(dst + "coupling.out.bias", flat_rows(s.get(src + "coupling.net.4.conv.bias", {out}), order),
            src + "coupling.net.4.conv.bias");
      t.put(dst + "coupling.out.logs", flat_rows(s.get(src + "coupling.net.4.scale", {1, out, 1, 1}), order),
            src + "coupling.net.4.scale");
    }
    const std::string src = "blocks." + std::to_string(i) + ".prior.";
    if (i + 1 < blocks) {
      const std::string dst = "level" + std::to_string(i) + ".prior.";
      t.put(dst + "weight", s.get(src + "conv.weight", {ch, ch / 2, 3, 3}), src + "conv.weight");
      t.put(dst + "bias", s.get(src + "conv.bias", {ch}), src + "conv.bias");
      t.put(dst + "logs", s.get(src + "scale", {1, ch, 1, 1}), src + "scale");
      ch *= 2;
    } else {
      // prior(zeros): a ones-padded conv of zeros, which differs at the borders: a fixed map.
      const int64_t side = c.image_size >> c.levels;
      const auto h = zero_conv(at::zeros({1, ch, side, side}, at::kDouble), s.get(src + "conv.weight", {2 * ch, ch, 3, 3}),
                               s.get(src + "conv.bias", {2 * ch}), s.get(src + "scale", {1, 2 * ch, 1, 1}), true);
      put_top(t, h, c, src + "conv");
    }
  }
  s.check_all_used("a rosinality/glow-pytorch model of " + std::to_string(blocks) + " blocks of " + std::to_string(flows) + " flows");
  out = t.finish();
  r.config = c;
  r.notes.push_back("inferred from the shapes: " + std::to_string(blocks) + " blocks (levels), " + std::to_string(flows) +
                    " flows (steps), width " + std::to_string(c.width) + ", " + to_string(c.coupling) + " coupling, " +
                    (lu ? "LU" : "plain (--no_lu)") + " 1x1 convolutions");
  return r;
}

// ---- y0ast/Glow-PyTorch and chaiyujin/glow-pytorch ----------------------------------------------
// y0ast's code grew out of chaiyujin's: the same model, with different key names, checkpoint
// wrapper, input range and loss divisor (chai = true: chaiyujin).

ImportResult import_y0ast(const ImportOptions& o, Glow& out, bool chai) {
  // chaiyujin's Conv2d/Conv2dZeros/LinearZeros subclass nn.Conv2d/nn.Linear; y0ast's hold them
  // as .conv/.linear.
  const std::string cv = chai ? "" : "conv.", ln = chai ? "" : "linear.";
  const std::string net = chai ? "f." : "block.", top = chai ? "learn_top." : "learn_top_fn.";
  const std::string lower = chai ? "invconv.l" : "invconv.lower", upper = chai ? "invconv.u" : "invconv.upper";
  const std::string who = chai ? "chaiyujin/glow-pytorch" : "y0ast/Glow-PyTorch";
  auto tensors = read_torch_tensors(o.checkpoint);
  ImportResult r;
  // y0ast: ignite's ModelCheckpoint may save {"model": state_dict, "optimizer": ...} (train.py's
  // --saved_model is the state_dict alone); chaiyujin: {"global_step", "graph", "optim", ...}.
  const std::string wrapper = chai ? "graph." : "model.";
  if (tensors.count(wrapper + "prior_h")) {
    std::map<std::string, at::Tensor> model;
    for (auto& [k, v] : tensors) {
      if (k.compare(0, wrapper.size(), wrapper) == 0) model[k.substr(wrapper.size())] = v;
    }
    tensors.swap(model);
    r.notes.push_back("read the '" + wrapper.substr(0, wrapper.size() - 1) + "' entry of the checkpoint (the optimizer state is not needed)");
  }
  if (!strip_prefix(tensors, "module.").empty()) r.notes.push_back("keys start with 'module.' (an nn.DataParallel model)");
  Source s(o.checkpoint, std::move(tensors));
  if (!s.has("prior_h") || !s.has("flow.layers.1.actnorm.bias")) {
    s.fail("has no 'prior_h' and 'flow.layers.1.actnorm.bias': not a " + who + " state_dict");
  }
  nlohmann::json hp = nlohmann::json::object();
  if (!o.hparams.empty()) {
    std::ifstream in(o.hparams);
    if (!in) throw Error(ErrorKind::Io, o.hparams + ": cannot open the file");
    hp = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!hp.is_object()) throw Error(ErrorKind::Format, o.hparams + ": is not a JSON object (" + who + "'s hparams)");
    if (chai && hp.contains("Glow") && hp["Glow"].is_object()) hp = hp["Glow"];  // hparams/celeba.json nests them
  }
  // flow.layers: per level a squeeze (no tensors), K flow steps, then a Split2d (all but the last).
  std::vector<std::vector<int>> step_index;
  std::vector<int> split_index;
  int j = 0;
  while (true) {
    if (!s.has("flow.layers." + std::to_string(j + 1) + ".actnorm.bias")) break;
    ++j;  // the squeeze
    step_index.emplace_back();
    while (s.has("flow.layers." + std::to_string(j) + ".actnorm.bias")) step_index.back().push_back(j++);
    if (s.has("flow.layers." + std::to_string(j) + ".conv." + cv + "weight")) {
      split_index.push_back(j++);
    } else {
      break;
    }
  }
  const int levels = static_cast<int>(step_index.size());
  const int steps = static_cast<int>(step_index.front().size());
  for (const auto& l : step_index) {
    if (static_cast<int>(l.size()) != steps) s.fail("levels with different numbers of flow steps");
  }
  if (static_cast<int>(split_index.size()) != levels - 1) s.fail("the last level has a Split2d (flow.layers." + std::to_string(split_index.back()) + ".conv)");
  const std::string first = "flow.layers.1.";
  const int64_t c0 = s.get(first + "actnorm.bias").size(1);
  if (c0 != 12 && c0 != 4) s.fail("key '" + first + "actnorm.bias' has " + std::to_string(c0) + " channels: expected 12 (RGB) or 4 (grey)");
  auto prior_h = s.get("prior_h");
  if (prior_h.dim() != 4) s.fail("key 'prior_h' has shape " + shape_of(prior_h) + ": expected [1, 2C, S, S]");
  if (chai && prior_h.dim() == 4 && prior_h.size(0) > 1) {
    // chaiyujin's prior_h is a parameter with the training batch size as its first dimension;
    // its prior() asserts it is zero, so every row is the same.
    if (!at::equal(prior_h, prior_h.narrow(0, 0, 1).expand_as(prior_h))) s.fail("the rows of 'prior_h' differ");
    prior_h = prior_h.narrow(0, 0, 1).contiguous();
  }
  GlowConfig c;
  c.channels = static_cast<int>(c0 / 4);
  c.levels = levels;
  c.steps = steps;
  c.width = static_cast<int>(s.get(first + net + "0." + cv + "weight").size(0));
  const int64_t out0 = s.get(first + net + "4." + cv + "weight").size(0);
  c.coupling = out0 == c0 ? CouplingType::Affine : CouplingType::Additive;
  if (s.has(first + "invconv.p")) {
    c.permutation = Permutation::LU;
  } else if (s.has(first + "invconv.weight")) {
    c.permutation = Permutation::Plain;
  } else {
    const std::string perm = hp.contains("flow_permutation") && hp["flow_permutation"].is_string()
                                 ? hp["flow_permutation"].get<std::string>() : std::string();
    if (perm == "shuffle") {
      s.fail("uses the 'shuffle' permutation, whose random channel order is not saved in the checkpoint (Permute2d keeps "
             "it in a plain attribute): it cannot be imported");
    }
    if (perm != "reverse") {
      s.fail("has no 1x1 convolution weights (flow.layers.N.invconv): its permutation is 'reverse' or 'shuffle', which the "
             "checkpoint does not say; pass its --hparams hparams.json");
    }
    c.permutation = Permutation::Reverse;
  }
  c.image_size = static_cast<int>(prior_h.size(2)) << levels;
  if (chai && o.n_bits && o.n_bits != 8) s.fail("chaiyujin's models are 8-bit (its loss uses log 256 and its input p/255)");
  c.n_bits = o.n_bits ? o.n_bits : 8;
  check_given(s, "levels", o.levels, levels, "flow.layers");
  check_given(s, "steps", o.steps, steps, "flow.layers");
  check_given(s, "image-size", o.image_size, c.image_size, "prior_h is " + shape_of(prior_h));
  check_coupling(s, o.coupling, c.coupling, net + "4." + cv + "weight has " + std::to_string(out0) + " output channels for " +
                                                std::to_string(c0) + " channels");
  auto hp_check = [&](const char* key, int64_t found) {
    if (hp.contains(key) && hp[key].is_number_integer() && hp[key].get<int64_t>() != found) {
      s.fail(std::string("its hparams say ") + key + " = " + std::to_string(hp[key].get<int64_t>()) +
             " but the tensors say " + std::to_string(found));
    }
  };
  hp_check("K", steps);
  hp_check("L", levels);
  hp_check("hidden_channels", c.width);
  if (hp.contains("flow_coupling") && hp["flow_coupling"] != std::string(to_string(c.coupling))) {
    s.fail("its hparams say flow_coupling = " + hp["flow_coupling"].dump() + " but the tensors say " + to_string(c.coupling));
  }

  // The top prior: h = learn_top_fn(prior_h) (or prior_h itself) + the class projection.
  const int64_t c_top = c0 << (levels - 1);
  if (prior_h.dim() != 4 || prior_h.size(0) != 1 || prior_h.size(1) != 2 * c_top || prior_h.size(2) != prior_h.size(3)) {
    s.fail("key 'prior_h' has shape " + shape_of(prior_h) + " but this model needs [1, " + std::to_string(2 * c_top) +
           ", S, S] (the top level has " + std::to_string(c_top) + " channels)");
  }
  at::Tensor h = prior_h;
  if (s.has(top + cv + "weight")) {
    h = zero_conv(prior_h, s.get(top + cv + "weight", {2 * c_top, 2 * c_top, 3, 3}), s.get(top + cv + "bias", {2 * c_top}),
                  s.get(top + "logs", {2 * c_top, 1, 1}), false);
  }
  if (s.has("project_ycond." + ln + "weight")) {
    const auto w = s.get("project_ycond." + ln + "weight");
    if (o.y_class < 0 || o.y_class >= w.size(1)) {
      s.fail("is class-conditional (project_ycond, " + std::to_string(w.size(1)) +
             " classes): pass --class K (0.." + std::to_string(w.size(1) - 1) + ") to import it with class K's prior");
    }
    const auto yp = (w.select(1, o.y_class) + s.get("project_ycond." + ln + "bias", {2 * c_top})) *
                    (s.get("project_ycond.logs", {2 * c_top}) * 3.0).exp();
    h = h + yp.view({1, 2 * c_top, 1, 1});
    for (const char* k : {"weight", "bias"}) s.ignore("project_class." + ln + k);
    s.ignore("project_class.logs");
    r.notes.push_back("class-conditional: the top prior is class " + std::to_string(o.y_class) +
                      "'s; the classifier head (project_class) is not imported");
  } else if (o.y_class >= 0) {
    s.fail("--class was given but the model is not class-conditional (no project_ycond)");
  }
  c.learn_top = !at::equal(h, at::zeros_like(h));
  c.top_map = c.learn_top && !constant_over_positions(h);
  try {
    c.validate();
  } catch (const Error& e) {
    s.fail(e.what());
  }

  Target t(c);
  if (c.learn_top) put_top(t, h, c, top + cv + "weight");
  int64_t ch = c0;
  for (int i = 0; i < levels; ++i) {
    for (int k = 0; k < steps; ++k) {
      const std::string src = "flow.layers." + std::to_string(step_index[i][k]) + ".";
      const std::string dst = "level" + std::to_string(i) + ".step" + std::to_string(k) + ".";
      const std::vector<int64_t> vec{1, ch, 1, 1};
      auto bias = s.get(src + "actnorm.bias", vec), logs = s.get(src + "actnorm.logs", vec);
      if (chai && i == 0 && k == 0) {
        // chaiyujin's input is p/255 in [0, 1]; GlowLab's is (p + 0.5)/256 - 0.5 = x. Its first
        // ActNorm, (p/255 + b)·e^l = (x + 0.5 - 1/512 + b·255/256)·e^(l + log(256/255)), takes x.
        bias = bias * (255.0 / 256.0) + (0.5 - 1.0 / 512.0);
        logs = logs + std::log(256.0 / 255.0);
      }
      t.put(dst + "actnorm.loc", bias, src + "actnorm.bias");
      t.put(dst + "actnorm.logs", logs, src + "actnorm.logs");
      if (c.permutation == Permutation::LU) {
        t.put(dst + "invconv.perm", s.get(src + "invconv.p", {ch, ch}), src + "invconv.p");
        t.put(dst + "invconv.lower", s.get(src + lower, {ch, ch}).tril(-1), src + lower);
        t.put(dst + "invconv.upper", s.get(src + upper, {ch, ch}).triu(1), src + upper);
        t.put(dst + "invconv.log_s", s.get(src + "invconv.log_s", {ch}), src + "invconv.log_s");
        t.put(dst + "invconv.sign_s", s.get(src + "invconv.sign_s", {ch}), src + "invconv.sign_s");
      } else if (c.permutation == Permutation::Plain) {
        t.put(dst + "invconv.weight", s.get(src + "invconv.weight", {ch, ch}), src + "invconv.weight");
      }
      const int64_t width = c.width, half = ch / 2, out = c.coupling == CouplingType::Affine ? ch : half;
      const std::string n0 = src + net + "0.", n2 = src + net + "2.", n4 = src + net + "4.";
      t.put(dst + "coupling.conv1_weight", s.get(n0 + cv + "weight", {width, half, 3, 3}), n0 + cv + "weight");
      t.put(dst + "coupling.actnorm1.loc", s.get(n0 + "actnorm.bias", {1, width, 1, 1}), n0 + "actnorm.bias");
      t.put(dst + "coupling.actnorm1.logs", s.get(n0 + "actnorm.logs", {1, width, 1, 1}), n0 + "actnorm.logs");
      t.put(dst + "coupling.conv2_weight", s.get(n2 + cv + "weight", {width, width, 1, 1}), n2 + cv + "weight");
      t.put(dst + "coupling.actnorm2.loc", s.get(n2 + "actnorm.bias", {1, width, 1, 1}), n2 + "actnorm.bias");
      t.put(dst + "coupling.actnorm2.logs", s.get(n2 + "actnorm.logs", {1, width, 1, 1}), n2 + "actnorm.logs");
      // Affine output: shift = even channels, scale = odd ("cross"); GlowLab's: [shift; scale].
      const auto order = c.coupling == CouplingType::Affine ? even_then_odd(out) : at::arange(out, at::kLong);
      t.put(dst + "coupling.out.weight", rows(s.get(n4 + cv + "weight", {out, width, 3, 3}), order), n4 + cv + "weight");
      t.put(dst + "coupling.out.bias", flat_rows(s.get(n4 + cv + "bias", {out}), order), n4 + cv + "bias");
      t.put(dst + "coupling.out.logs", flat_rows(s.get(n4 + "logs", {out, 1, 1}), order), n4 + "logs");
    }
    if (i + 1 < levels) {
      // Split2d's prior: mean = even channels, log-sd = odd ("cross"); GlowLab's: [mean; logs].
      const std::string src = "flow.layers." + std::to_string(split_index[i]) + ".conv.";
      const std::string dst = "level" + std::to_string(i) + ".prior.";
      const auto order = even_then_odd(ch);
      t.put(dst + "weight", rows(s.get(src + cv + "weight", {ch, ch / 2, 3, 3}), order), src + cv + "weight");
      t.put(dst + "bias", flat_rows(s.get(src + cv + "bias", {ch}), order), src + cv + "bias");
      t.put(dst + "logs", flat_rows(s.get(src + "logs", {ch, 1, 1}), order), src + "logs");
      ch *= 2;  // half the channels go on, squeezed x4 by the next level
    }
  }
  s.check_all_used("a " + who + " model of L=" + std::to_string(levels) + ", K=" + std::to_string(steps));
  out = t.finish();
  r.config = c;
  r.notes.push_back("inferred from the shapes: L=" + std::to_string(levels) + ", K=" + std::to_string(steps) + ", width " +
                    std::to_string(c.width) + ", " + to_string(c.coupling) + " coupling, " + to_string(c.permutation) +
                    " permutation, image size " + std::to_string(c.image_size) + " (prior_h), " +
                    (c.learn_top ? "learned top prior" : "standard normal top prior"));
  if (chai) {
    r.notes.push_back("its input p/255 in [0, 1] is folded into the first ActNorm, so bits/dim here is its density's over "
                      "GlowLab's 256 bins of the [-0.5, 0.5] range (p/255 bins); its own reported 'nll' divides by H*W, not "
                      "C*H*W: it equals C*(bits/dim - log2(255)) + 8");
  } else if (!o.n_bits) {
    r.notes.push_back("8 bits per value (y0ast's fixed n_bits); --n-bits changes it");
  }
  return r;
}

}  // namespace

ImportResult import_checkpoint(const ImportOptions& o, const std::string& output) {
  Glow glow{nullptr};
  ImportResult r;
  if (o.format == "rosinality") {
    r = import_rosinality(o, glow);
  } else if (o.format == "y0ast" || o.format == "chaiyujin") {
    r = import_y0ast(o, glow, o.format == "chaiyujin");
  } else {
    throw Error(ErrorKind::InvalidArgument, "import: unknown format '" + o.format + "' (expected rosinality, y0ast or chaiyujin)");
  }
  ModelFile file;
  file.glow = glow;
  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  const auto slash = o.checkpoint.find_last_of('/');
  file.provenance_json = nlohmann::json{{"imported_from", o.format},
                                        {"checkpoint", slash == std::string::npos ? o.checkpoint : o.checkpoint.substr(slash + 1)},
                                        {"notes", r.notes},
                                        {"created", when}}
                             .dump();
  save_model(output, file);
  return r;
}

double centred_bits_per_dim(const std::string& model_path, const std::vector<Image>& images, const std::string& device) {
  if (images.empty()) throw Error(ErrorKind::InvalidArgument, "bits_per_dim: no images");
  auto file = load_model(model_path);
  const auto& c = file.glow->config();
  for (const auto& im : images) {
    if (im.width != c.image_size || im.height != c.image_size || im.channels != c.channels) {
      throw Error(ErrorKind::InvalidArgument, "bits_per_dim: an image is " + std::to_string(im.width) + "x" +
                                                  std::to_string(im.height) + "x" + std::to_string(im.channels) +
                                                  " but the model takes " + std::to_string(c.image_size) + "x" +
                                                  std::to_string(c.image_size) + "x" + std::to_string(c.channels));
    }
  }
  const at::Device dev(resolve_device(device, true));
  file.glow->to(dev);
  c10::InferenceMode guard;
  double total = 0.0;
  constexpr size_t kChunk = 16;
  for (size_t start = 0; start < images.size(); start += kChunk) {
    const size_t end = std::min(images.size(), start + kChunk);
    std::vector<Image> chunk(images.begin() + static_cast<long>(start), images.begin() + static_cast<long>(end));
    const auto x = to_model_input(images_to_uint8(chunk).to(dev), c.n_bits, at::kFloat, std::nullopt);
    total += bits_per_dim(file.glow->encode(x).log_px(), c.dimension(), c.n_bins()).sum().item<double>();
  }
  return total / static_cast<double>(images.size());
}

}  // namespace glowlab
