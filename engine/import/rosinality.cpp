// rosinality/glow-pytorch's state_dict -> GlowLab (docs/import.md): blocks.I.flows.K.{actnorm,
// invconv,coupling} and blocks.I.prior, mapped one flow step and one prior at a time.
#include <string>
#include <vector>

#include "import/mapping.h"
#include "import/torch_pickle.h"

namespace glowlab::import_detail {
namespace {

// The checkpoint's tensors, with 'module.' dropped; fails unless it looks like rosinality's.
Source read_rosinality(const ImportOptions& o, ImportResult& r) {
  auto tensors = read_torch_tensors(o.checkpoint);
  if (!strip_prefix(tensors, "module.").empty()) r.notes.push_back("keys start with 'module.' (an nn.DataParallel model)");
  Source s(o.checkpoint, std::move(tensors));
  if (!s.has("blocks.0.flows.0.actnorm.loc")) {
    s.fail("has no 'blocks.0.flows.0.actnorm.loc': not a rosinality/glow-pytorch state_dict (torch.save(model.state_dict()))");
  }
  return s;
}

// The config the shapes say, checked against the options; `lu`: block 0 stores its 1x1 convs in LU form.
GlowConfig infer_config(const ImportOptions& o, Source& s, bool& lu) {
  const int blocks = count_indices(s, "blocks.", ".flows.0.actnorm.loc");
  const int flows = count_indices(s, "blocks.0.flows.", ".actnorm.loc");
  const int64_t c0 = s.get("blocks.0.flows.0.actnorm.loc").size(1);
  if (c0 % 4 != 0 || (c0 / 4 != 1 && c0 / 4 != 3)) {
    s.fail("key 'blocks.0.flows.0.actnorm.loc' has " + std::to_string(c0) + " channels: expected 12 (RGB) or 4 (grey)");
  }
  const auto w1 = s.get("blocks.0.flows.0.coupling.net.0.weight");
  const auto out_w = s.get("blocks.0.flows.0.coupling.net.4.conv.weight");
  lu = s.has("blocks.0.flows.0.invconv.w_p");

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
  validate_for(s, c);
  return c;
}

// One step's ActNorm and 1x1 conv. ActNorm y = scale * (x + loc): logs = log|scale|; a negative
// scale's sign moves into the 1x1 conv's column (W diag(sign)), so the step computes the same function.
void map_actnorm_invconv(Source& s, Target& t, const GlowConfig& c, const std::string& src, const std::string& dst, int64_t ch) {
  const std::vector<int64_t> vec{1, ch, 1, 1};
  const auto loc = s.get(src + "actnorm.loc", vec);
  const auto scale = s.get(src + "actnorm.scale", vec).flatten();
  s.ignore(src + "actnorm.initialized");
  if ((scale == 0).any().item<bool>()) s.fail("key '" + src + "actnorm.scale' has a zero: the flow is not invertible");
  const auto sign = scale.sign();
  t.put(dst + "actnorm.loc", loc, src + "actnorm.loc");
  t.put(dst + "actnorm.logs", scale.abs().log(), src + "actnorm.scale");
  if (!s.has(src + "invconv.w_p")) {
    if (c.permutation == Permutation::LU) s.fail("key '" + src + "invconv.w_p' is missing (block 0 uses the LU form)");
    const auto w = s.get(src + "invconv.weight", {ch, ch, 1, 1}).view({ch, ch}) * sign.unsqueeze(0);
    t.put(dst + "invconv.weight", w, src + "invconv.weight");
    return;
  }
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
}

// One step's coupling network: biased hidden convs, then the zero-conv output.
void map_coupling(Source& s, Target& t, const GlowConfig& c, const std::string& src, const std::string& dst, int64_t ch) {
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

// Block i's prior: a split prior (then `ch` doubles for the next level), or for the last block the top prior.
void map_prior(Source& s, Target& t, const GlowConfig& c, int i, int64_t& ch) {
  const std::string src = "blocks." + std::to_string(i) + ".prior.";
  if (i + 1 < c.levels) {
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

}  // namespace

ImportResult import_rosinality(const ImportOptions& o, Glow& out) {
  ImportResult r;
  Source s = read_rosinality(o, r);
  bool lu = false;
  const GlowConfig c = infer_config(o, s, lu);
  Target t(c);
  int64_t ch = int64_t{c.channels} * 4;
  for (int i = 0; i < c.levels; ++i) {
    for (int k = 0; k < c.steps; ++k) {
      const std::string src = "blocks." + std::to_string(i) + ".flows." + std::to_string(k) + ".";
      const std::string dst = "level" + std::to_string(i) + ".step" + std::to_string(k) + ".";
      map_actnorm_invconv(s, t, c, src, dst, ch);
      map_coupling(s, t, c, src, dst, ch);
    }
    map_prior(s, t, c, i, ch);
  }
  const int blocks = c.levels, flows = c.steps;
  s.check_all_used("a rosinality/glow-pytorch model of " + std::to_string(blocks) + " blocks of " + std::to_string(flows) + " flows");
  out = t.finish();
  r.config = c;
  r.notes.push_back("inferred from the shapes: " + std::to_string(blocks) + " blocks (levels), " + std::to_string(flows) +
                    " flows (steps), width " + std::to_string(c.width) + ", " + to_string(c.coupling) + " coupling, " +
                    (lu ? "LU" : "plain (--no_lu)") + " 1x1 convolutions");
  return r;
}

}  // namespace glowlab::import_detail
