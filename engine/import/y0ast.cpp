// y0ast/Glow-PyTorch's and chaiyujin/glow-pytorch's state_dicts -> GlowLab (docs/import.md).
// y0ast's code grew out of chaiyujin's: the same model, with different key names, checkpoint
// wrapper, input range and loss divisor (chai = true: chaiyujin).
#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "import/mapping.h"
#include "import/torch_pickle.h"

namespace glowlab::import_detail {
namespace {

// The names and conventions in which the two codes differ.
struct Dialect {
  explicit Dialect(bool chaiyujin)
      : chai(chaiyujin),
        cv(chai ? "" : "conv."),
        ln(chai ? "" : "linear."),
        net(chai ? "f." : "block."),
        top(chai ? "learn_top." : "learn_top_fn."),
        lower(chai ? "invconv.l" : "invconv.lower"),
        upper(chai ? "invconv.u" : "invconv.upper"),
        who(chai ? "chaiyujin/glow-pytorch" : "y0ast/Glow-PyTorch"),
        wrapper(chai ? "graph." : "model.") {}

  bool chai;
  // chaiyujin's Conv2d/Conv2dZeros/LinearZeros subclass nn.Conv2d/nn.Linear; y0ast's hold them
  // as .conv/.linear.
  std::string cv, ln;
  std::string net, top, lower, upper, who;
  // y0ast: ignite's ModelCheckpoint may save {"model": state_dict, "optimizer": ...} (train.py's
  // --saved_model is the state_dict alone); chaiyujin: {"global_step", "graph", "optim", ...}.
  std::string wrapper;
};

// flow.layers: per level a squeeze (no tensors), K flow steps, then a Split2d (all but the last).
struct Layers {
  std::vector<std::vector<int>> steps;  // per level, its flow steps' indices in flow.layers
  std::vector<int> splits;              // per level but the last, its Split2d's index
};

// The model's tensors, unwrapped from a training checkpoint and 'module.'; fails unless it looks like `d`'s.
Source read_y0ast(const ImportOptions& o, const Dialect& d, ImportResult& r) {
  auto tensors = read_torch_tensors(o.checkpoint);
  const std::string& wrapper = d.wrapper;
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
    s.fail("has no 'prior_h' and 'flow.layers.1.actnorm.bias': not a " + d.who + " state_dict");
  }
  return s;
}

// The --hparams JSON (an empty object when none was given).
nlohmann::json read_hparams(const ImportOptions& o, const Dialect& d) {
  nlohmann::json hp = nlohmann::json::object();
  if (!o.hparams.empty()) {
    std::ifstream in(o.hparams);
    if (!in) throw Error(ErrorKind::Io, o.hparams + ": cannot open the file");
    hp = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!hp.is_object()) throw Error(ErrorKind::Format, o.hparams + ": is not a JSON object (" + d.who + "'s hparams)");
    if (d.chai && hp.contains("Glow") && hp["Glow"].is_object()) hp = hp["Glow"];  // hparams/celeba.json nests them
  }
  return hp;
}

// Which flow.layers are flow steps and which Split2ds; fails unless every level has as many steps.
Layers find_layers(const Source& s, const Dialect& d) {
  Layers layers;
  int j = 0;
  while (true) {
    if (!s.has("flow.layers." + std::to_string(j + 1) + ".actnorm.bias")) break;
    ++j;  // the squeeze
    layers.steps.emplace_back();
    while (s.has("flow.layers." + std::to_string(j) + ".actnorm.bias")) layers.steps.back().push_back(j++);
    if (s.has("flow.layers." + std::to_string(j) + ".conv." + d.cv + "weight")) {
      layers.splits.push_back(j++);
    } else {
      break;
    }
  }
  const int levels = static_cast<int>(layers.steps.size());
  const int steps = static_cast<int>(layers.steps.front().size());
  for (const auto& l : layers.steps) {
    if (static_cast<int>(l.size()) != steps) s.fail("levels with different numbers of flow steps");
  }
  if (static_cast<int>(layers.splits.size()) != levels - 1) {
    s.fail("the last level has a Split2d (flow.layers." + std::to_string(layers.splits.back()) + ".conv)");
  }
  return layers;
}

// The squeezed input's channels (4C), from the first ActNorm.
int64_t input_channels(Source& s) {
  const std::string first = "flow.layers.1.";
  const int64_t c0 = s.get(first + "actnorm.bias").size(1);
  if (c0 != 12 && c0 != 4) s.fail("key '" + first + "actnorm.bias' has " + std::to_string(c0) + " channels: expected 12 (RGB) or 4 (grey)");
  return c0;
}

// prior_h, [1, 2C, S, S].
at::Tensor read_prior_h(Source& s, bool chai) {
  auto prior_h = s.get("prior_h");
  if (prior_h.dim() != 4) s.fail("key 'prior_h' has shape " + shape_of(prior_h) + ": expected [1, 2C, S, S]");
  if (chai && prior_h.dim() == 4 && prior_h.size(0) > 1) {
    // chaiyujin's prior_h is a parameter with the training batch size as its first dimension;
    // its prior() asserts it is zero, so every row is the same.
    if (!at::equal(prior_h, prior_h.narrow(0, 0, 1).expand_as(prior_h))) s.fail("the rows of 'prior_h' differ");
    prior_h = prior_h.narrow(0, 0, 1).contiguous();
  }
  return prior_h;
}

// LU or plain from the 1x1 convs' keys; without them, 'reverse' only if the hparams say so.
Permutation infer_permutation(const Source& s, const nlohmann::json& hp, const std::string& first) {
  if (s.has(first + "invconv.p")) return Permutation::LU;
  if (s.has(first + "invconv.weight")) return Permutation::Plain;
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
  return Permutation::Reverse;
}

// Fails where the hparams and the tensors disagree.
void check_hparams(const Source& s, const nlohmann::json& hp, const GlowConfig& c) {
  auto hp_check = [&](const char* key, int64_t found) {
    if (hp.contains(key) && hp[key].is_number_integer() && hp[key].get<int64_t>() != found) {
      s.fail(std::string("its hparams say ") + key + " = " + std::to_string(hp[key].get<int64_t>()) +
             " but the tensors say " + std::to_string(found));
    }
  };
  hp_check("K", c.steps);
  hp_check("L", c.levels);
  hp_check("hidden_channels", c.width);
  if (hp.contains("flow_coupling") && hp["flow_coupling"] != std::string(to_string(c.coupling))) {
    s.fail("its hparams say flow_coupling = " + hp["flow_coupling"].dump() + " but the tensors say " + to_string(c.coupling));
  }
}

// The config the shapes say (all but the top prior), checked against the options and the hparams.
GlowConfig infer_config(const ImportOptions& o, Source& s, const Dialect& d, const nlohmann::json& hp, const Layers& layers,
                        int64_t c0, const at::Tensor& prior_h) {
  const std::string first = "flow.layers.1.";
  GlowConfig c;
  c.channels = static_cast<int>(c0 / 4);
  c.levels = static_cast<int>(layers.steps.size());
  c.steps = static_cast<int>(layers.steps.front().size());
  c.width = static_cast<int>(s.get(first + d.net + "0." + d.cv + "weight").size(0));
  const int64_t out0 = s.get(first + d.net + "4." + d.cv + "weight").size(0);
  c.coupling = out0 == c0 ? CouplingType::Affine : CouplingType::Additive;
  c.permutation = infer_permutation(s, hp, first);
  c.image_size = static_cast<int>(prior_h.size(2)) << c.levels;
  if (d.chai && o.n_bits && o.n_bits != 8) s.fail("chaiyujin's models are 8-bit (its loss uses log 256 and its input p/255)");
  c.n_bits = o.n_bits ? o.n_bits : 8;
  check_given(s, "levels", o.levels, c.levels, "flow.layers");
  check_given(s, "steps", o.steps, c.steps, "flow.layers");
  check_given(s, "image-size", o.image_size, c.image_size, "prior_h is " + shape_of(prior_h));
  check_coupling(s, o.coupling, c.coupling, d.net + "4." + d.cv + "weight has " + std::to_string(out0) + " output channels for " +
                                                std::to_string(c0) + " channels");
  check_hparams(s, hp, c);
  return c;
}

// The top prior: h = learn_top_fn(prior_h) (or prior_h itself) + the class projection.
at::Tensor top_prior(const ImportOptions& o, Source& s, const Dialect& d, const at::Tensor& prior_h, int64_t c_top, ImportResult& r) {
  if (prior_h.dim() != 4 || prior_h.size(0) != 1 || prior_h.size(1) != 2 * c_top || prior_h.size(2) != prior_h.size(3)) {
    s.fail("key 'prior_h' has shape " + shape_of(prior_h) + " but this model needs [1, " + std::to_string(2 * c_top) +
           ", S, S] (the top level has " + std::to_string(c_top) + " channels)");
  }
  at::Tensor h = prior_h;
  if (s.has(d.top + d.cv + "weight")) {
    h = zero_conv(prior_h, s.get(d.top + d.cv + "weight", {2 * c_top, 2 * c_top, 3, 3}), s.get(d.top + d.cv + "bias", {2 * c_top}),
                  s.get(d.top + "logs", {2 * c_top, 1, 1}), false);
  }
  if (s.has("project_ycond." + d.ln + "weight")) {
    const auto w = s.get("project_ycond." + d.ln + "weight");
    if (o.y_class < 0 || o.y_class >= w.size(1)) {
      s.fail("is class-conditional (project_ycond, " + std::to_string(w.size(1)) +
             " classes): pass --class K (0.." + std::to_string(w.size(1) - 1) + ") to import it with class K's prior");
    }
    const auto yp = (w.select(1, o.y_class) + s.get("project_ycond." + d.ln + "bias", {2 * c_top})) *
                    (s.get("project_ycond.logs", {2 * c_top}) * 3.0).exp();
    h = h + yp.view({1, 2 * c_top, 1, 1});
    for (const char* k : {"weight", "bias"}) s.ignore("project_class." + d.ln + k);
    s.ignore("project_class.logs");
    r.notes.push_back("class-conditional: the top prior is class " + std::to_string(o.y_class) +
                      "'s; the classifier head (project_class) is not imported");
  } else if (o.y_class >= 0) {
    s.fail("--class was given but the model is not class-conditional (no project_ycond)");
  }
  return h;
}

// One flow step flow.layers.<src> onto GlowLab's `dst`; `first`: the model's first step.
void map_step(Source& s, Target& t, const Dialect& d, const GlowConfig& c, const std::string& src, const std::string& dst,
              int64_t ch, bool first) {
  const std::vector<int64_t> vec{1, ch, 1, 1};
  auto bias = s.get(src + "actnorm.bias", vec), logs = s.get(src + "actnorm.logs", vec);
  if (d.chai && first) {
    // chaiyujin's input is p/255 in [0, 1]; GlowLab's is (p + 0.5)/256 - 0.5 = x. Its first
    // ActNorm, (p/255 + b)·e^l = (x + 0.5 - 1/512 + b·255/256)·e^(l + log(256/255)), takes x.
    bias = bias * (255.0 / 256.0) + (0.5 - 1.0 / 512.0);
    logs = logs + std::log(256.0 / 255.0);
  }
  t.put(dst + "actnorm.loc", bias, src + "actnorm.bias");
  t.put(dst + "actnorm.logs", logs, src + "actnorm.logs");
  if (c.permutation == Permutation::LU) {
    t.put(dst + "invconv.perm", s.get(src + "invconv.p", {ch, ch}), src + "invconv.p");
    t.put(dst + "invconv.lower", s.get(src + d.lower, {ch, ch}).tril(-1), src + d.lower);
    t.put(dst + "invconv.upper", s.get(src + d.upper, {ch, ch}).triu(1), src + d.upper);
    t.put(dst + "invconv.log_s", s.get(src + "invconv.log_s", {ch}), src + "invconv.log_s");
    t.put(dst + "invconv.sign_s", s.get(src + "invconv.sign_s", {ch}), src + "invconv.sign_s");
  } else if (c.permutation == Permutation::Plain) {
    t.put(dst + "invconv.weight", s.get(src + "invconv.weight", {ch, ch}), src + "invconv.weight");
  }
  const std::string& cv = d.cv;
  const int64_t width = c.width, half = ch / 2, out = c.coupling == CouplingType::Affine ? ch : half;
  const std::string n0 = src + d.net + "0.", n2 = src + d.net + "2.", n4 = src + d.net + "4.";
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

// Level i's Split2d prior, flow.layers.<index>.conv. Its mean = even channels, log-sd = odd
// ("cross"); GlowLab's: [mean; logs].
void map_split_prior(Source& s, Target& t, const Dialect& d, int index, int i, int64_t ch) {
  const std::string src = "flow.layers." + std::to_string(index) + ".conv.";
  const std::string dst = "level" + std::to_string(i) + ".prior.";
  const auto order = even_then_odd(ch);
  t.put(dst + "weight", rows(s.get(src + d.cv + "weight", {ch, ch / 2, 3, 3}), order), src + d.cv + "weight");
  t.put(dst + "bias", flat_rows(s.get(src + d.cv + "bias", {ch}), order), src + d.cv + "bias");
  t.put(dst + "logs", flat_rows(s.get(src + "logs", {ch, 1, 1}), order), src + "logs");
}

}  // namespace

ImportResult import_y0ast(const ImportOptions& o, Glow& out, bool chai) {
  const Dialect d(chai);
  ImportResult r;
  Source s = read_y0ast(o, d, r);
  const nlohmann::json hp = read_hparams(o, d);
  const Layers layers = find_layers(s, d);
  const int64_t c0 = input_channels(s);
  const at::Tensor prior_h = read_prior_h(s, chai);
  GlowConfig c = infer_config(o, s, d, hp, layers, c0, prior_h);
  const int levels = c.levels, steps = c.steps;
  const at::Tensor h = top_prior(o, s, d, prior_h, c0 << (levels - 1), r);
  c.learn_top = !at::equal(h, at::zeros_like(h));
  c.top_map = c.learn_top && !constant_over_positions(h);
  validate_for(s, c);

  Target t(c);
  if (c.learn_top) put_top(t, h, c, d.top + d.cv + "weight");
  int64_t ch = c0;
  for (int i = 0; i < levels; ++i) {
    for (int k = 0; k < steps; ++k) {
      const std::string src = "flow.layers." + std::to_string(layers.steps[i][k]) + ".";
      const std::string dst = "level" + std::to_string(i) + ".step" + std::to_string(k) + ".";
      map_step(s, t, d, c, src, dst, ch, i == 0 && k == 0);
    }
    if (i + 1 < levels) {
      map_split_prior(s, t, d, layers.splits[i], i, ch);
      ch *= 2;  // half the channels go on, squeezed x4 by the next level
    }
  }
  s.check_all_used("a " + d.who + " model of L=" + std::to_string(levels) + ", K=" + std::to_string(steps));
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

}  // namespace glowlab::import_detail
