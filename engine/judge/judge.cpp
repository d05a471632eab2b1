#include "judge/judge.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "bundle/model_file.h"
#include "bundle/safetensors.h"
#include "core/error.h"
#include "core/named_tensors.h"
#include "core/strings.h"
#include "data/celeba.h"
#include "data/dataset.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "judge/judge_net.h"
#include "vision/image_io.h"

namespace glowlab {
namespace {

constexpr int64_t kChunk = kJudgeChunk;
constexpr double kMaxPositiveWeight = 50.0;

// Frechet distance between Gaussians fitted to feature rows a [N, F] and b [M, F]:
// |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)), the trace of the square root taken as the
// sum of the square roots of the eigenvalues of S_a^(1/2) S_b S_a^(1/2) (symmetric, PSD).
double frechet_distance(const at::Tensor& a, const at::Tensor& b) {
  auto cov = [](const at::Tensor& x) {
    const auto c = x - x.mean(0, /*keepdim=*/true);
    return c.t().matmul(c) / static_cast<double>(std::max<int64_t>(1, x.size(0) - 1));
  };
  const auto sa = cov(a), sb = cov(b);
  auto [ea, va] = at::linalg_eigh(sa);
  const auto root_a = va.matmul(at::diag(ea.clamp_min(0).sqrt())).matmul(va.t());
  const auto inner = root_a.matmul(sb).matmul(root_a);
  const auto ev = at::linalg_eigvalsh((inner + inner.t()) * 0.5).clamp_min(0);
  const double mean_term = (a.mean(0) - b.mean(0)).pow(2).sum().item<double>();
  const double trace_term = (sa.trace() + sb.trace()).item<double>() - 2.0 * ev.sqrt().sum().item<double>();
  return std::max(0.0, mean_term + trace_term);
}

// A judge of attributes (probabilities), not the age judge (years).
LoadedJudge load_attribute_judge(const std::string& path) {
  auto j = load_judge(path);
  if (!j.unit.empty()) throw Error(ErrorKind::InvalidArgument, path + ": an age judge, not a judge of attributes (--age-judge takes it)");
  return j;
}

}  // namespace

void mark_featured(const std::string& model_path, const std::vector<EditScore>& scores, const AgeEditScore* age) {
  auto mf = load_model(model_path);
  for (auto& a : mf.attributes) {
    for (const auto& s : scores) {
      if (s.attribute == a.name) a.featured = s.meets_target();
    }
    if (age && a.name == "Age") a.featured = age->meets_target();
  }
  save_model(model_path, mf);
}

std::vector<JudgeAccuracy> train_judge(const JudgeTrainOptions& o) {
  auto dopt = DatasetOptions::for_images("celeba", o.image_size, 3, o.cache_dir);
  if (!o.align_model.empty()) set_alignment(dopt, load_model(o.align_model).framing, o.align_model);
  const Dataset all = load_dataset(o.data, dopt);
  const Dataset train = all.split(0), test = all.held_out();
  if (train.size() == 0 || test.size() == 0) throw Error(ErrorKind::InvalidArgument, o.data + ": needs training (0) and held-out (2) partitions");
  const int64_t a = static_cast<int64_t>(all.attribute_names.size());
  at::manual_seed(o.seed);
  JudgeNet net(a);
  const auto targets = (train.labels > 0).to(at::kFloat);
  // Class balance (issue 28, 6): a rare attribute's positives weigh as much in the loss as its
  // negatives (pos_weight = negatives / positives, at most kMaxPositiveWeight), so that the judge
  // does not learn to say "no" to Bald or Mustache.
  at::Tensor pos_weight;
  if (o.balanced) {
    const auto pos = targets.sum(0), neg = static_cast<double>(train.size()) - pos;
    pos_weight = (neg / pos.clamp_min(1.0)).clamp(1.0 / kMaxPositiveWeight, kMaxPositiveWeight);
  }
  fit_judge(
      net, train.images,
      [&](const at::Tensor& out, const at::Tensor& idx) {
        return at::binary_cross_entropy_with_logits(out, targets.index_select(0, idx), /*weight=*/{}, pos_weight);
      },
      o.epochs, o.batch, o.lr, o.seed, "judge", o.log);
  const auto p = probabilities(net, test.images);
  const auto said = p > 0.5, truth = test.labels > 0;
  const auto correct = (said == truth).to(at::kDouble).mean(0);
  const auto positives = truth.to(at::kDouble).sum(0), negatives = truth.logical_not().to(at::kDouble).sum(0);
  const auto rate = positives / static_cast<double>(std::max<int64_t>(1, test.size()));
  // Balanced accuracy: the mean of the rates at which positives and negatives are recognised (0.5
  // for a judge that always says the same; a class the held-out photos lack counts as 0.5).
  const auto tpr = at::where(positives > 0, (said & truth).to(at::kDouble).sum(0) / positives.clamp_min(1), at::full_like(positives, 0.5));
  const auto tnr = at::where(negatives > 0, (said.logical_not() & truth.logical_not()).to(at::kDouble).sum(0) / negatives.clamp_min(1),
                             at::full_like(negatives, 0.5));
  const auto balanced = (tpr + tnr) * 0.5;
  std::vector<JudgeAccuracy> out;
  for (int64_t k = 0; k < a; ++k) {
    JudgeAccuracy acc;
    acc.attribute = all.attribute_names[static_cast<size_t>(k)];
    acc.accuracy = correct[k].item<double>();
    acc.positive_rate = rate[k].item<double>();
    acc.balanced_accuracy = balanced[k].item<double>();
    out.push_back(acc);
  }
  save_judge(o.output, net, all.attribute_names, o.image_size);
  return out;
}

namespace {

// The flow on its device, encoding pixels and decoding latents in chunks; decoded pixels come back
// to the CPU for the judge, with a count of the unfit ones (non-finite, runaway or all black).
struct FlowCodec {
  Glow& glow;
  at::Device device;
  int n_bits;

  at::Tensor encode(const at::Tensor& pixels) const {
    std::vector<at::Tensor> out;
    for (int64_t i = 0; i < pixels.size(0); i += kChunk) {
      const auto chunk = pixels.narrow(0, i, std::min(kChunk, pixels.size(0) - i));
      const auto x = to_model_input(chunk, n_bits, at::kFloat, std::nullopt).to(device);
      out.push_back(glow->flatten(glow->encode(x).eps));
    }
    return at::cat(out);
  }
  // With `unedited` (the latents the edits started from), colour noise painted over their decodes
  // counts as unfit too.
  at::Tensor decode(const at::Tensor& latents, int64_t* unfit_count = nullptr, const at::Tensor& unedited = {}) const {
    std::vector<at::Tensor> out;
    for (int64_t i = 0; i < latents.size(0); i += kChunk) {
      const int64_t len = std::min(kChunk, latents.size(0) - i);
      const auto x = glow->decode(glow->unflatten(latents.narrow(0, i, len)));
      const auto px = to_pixels(x, n_bits);
      if (unfit_count) {
        const auto base = unedited.defined() ? glow->decode(glow->unflatten(unedited.narrow(0, i, len))) : at::Tensor();
        *unfit_count += unfit_decodes(x, n_bits, base).sum().item<int64_t>();
      }
      out.push_back(px.cpu());
    }
    return at::cat(out);
  }
};

// One attribute's edit scores: held-out faces lacking it pushed to the range's top, faces having it
// to its bottom; what the judge says of the named attribute (flipped) and of the others (moved).
EditScore score_attribute(const FlowCodec& flow, LoadedJudge& judge, const Dataset& test, const Attribute& attr,
                          const at::Tensor& direction, int64_t judge_col, int64_t data_col, const EditEvalOptions& o) {
  EditScore s;
  s.attribute = attr.name;
  s.range_min = attr.range_min;
  s.range_max = attr.range_max;
  double others = 0;
  int others_n = 0;
  for (int sign : {+1, -1}) {
    const auto mask = sign > 0 ? test.labels.select(1, data_col) < 0 : test.labels.select(1, data_col) > 0;
    auto idx = mask.nonzero().flatten();
    idx = idx.narrow(0, 0, std::min<int64_t>(o.faces, idx.size(0)));
    if (idx.size(0) == 0) continue;
    const auto latents = flow.encode(test.images.index_select(0, idx));
    const auto before = probabilities(*judge.net, flow.decode(latents));
    const double alpha = o.strength * (sign > 0 ? attr.range_max : attr.range_min);
    int64_t unfit_count = 0;
    const auto after = probabilities(*judge.net, flow.decode(latents + alpha * direction.to(flow.device).unsqueeze(0), &unfit_count, latents));
    s.edits += static_cast<int>(idx.size(0));
    s.unclean += static_cast<int>(unfit_count);
    const auto flipped = sign > 0 ? after.select(1, judge_col) > 0.5 : after.select(1, judge_col) < 0.5;
    const double rate = flipped.to(at::kDouble).mean().item<double>();
    auto other_mask = at::ones({after.size(1)}, at::kBool);
    other_mask[judge_col] = false;
    others += (after - before).abs().index({at::indexing::Slice(), other_mask}).mean().item<double>();
    ++others_n;
    if (sign > 0) {
      s.add_flip = rate;
      s.eligible_add = static_cast<int>(idx.size(0));
    } else {
      s.remove_flip = rate;
      s.eligible_remove = static_cast<int>(idx.size(0));
    }
  }
  s.others_change = others_n ? others / others_n : 0;
  return s;
}

// Up to 8 held-out faces (rows) x every attribute at the bottom, 0 and top of its range.
void write_edit_grid(const std::string& path, const FlowCodec& flow, const ModelFile& mf, const Dataset& test) {
  const int64_t rows = std::min<int64_t>(8, test.size());
  const auto latents = flow.encode(test.images.narrow(0, 0, rows));
  std::vector<Image> cells;
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t k = 0; k < mf.attributes.size(); ++k) {
      for (double f : {-1.0, 0.0, 1.0}) {
        const double alpha = f < 0 ? mf.attributes[k].range_min : f * mf.attributes[k].range_max;
        const auto px = flow.decode(latents.narrow(0, r, 1) + alpha * mf.directions[k].to(flow.device).unsqueeze(0));
        cells.push_back(uint8_to_image(px[0]));
      }
    }
  }
  write_image(path, make_grid(cells, static_cast<int>(mf.attributes.size() * 3), 1));
}

int64_t column_of(const std::vector<std::string>& names, const std::string& name) {
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int64_t>(it - names.begin());
}

// EditEvalOptions::only: whether the attribute is to be scored.
bool asked(const EditEvalOptions& o, const std::string& name) {
  return o.only.empty() || std::find(o.only.begin(), o.only.end(), name) != o.only.end();
}

// EditEvalOptions::only names at least one of the model's attributes (said before the long work).
void check_asked(const EditEvalOptions& o, const std::vector<Attribute>& attributes) {
  if (o.only.empty() || std::any_of(attributes.begin(), attributes.end(), [&](const Attribute& a) { return asked(o, a.name); })) return;
  throw Error(ErrorKind::InvalidArgument, "none of the attributes asked for (" + join(o.only, ", ") + ") is in " + o.model);
}

}  // namespace

namespace {

// A held-out CelebA photo as a person would open it: its file and its labels (+1 / -1 per column).
struct HeldOutPhoto {
  std::string path;
  std::vector<std::int8_t> labels;
};

// The held-out photos of a CelebA-layout folder, by load_dataset's rule: list_eval_partition.txt's
// test partition (its validation one when it has no test), else one name in ten by its hash.
std::vector<HeldOutPhoto> held_out_photos(const std::string& folder, std::vector<std::string>& names) {
  const auto attrs = parse_celeba_attributes(folder + "/list_attr_celeba.txt");
  names = attrs.names;
  std::map<std::string, int> part;
  const std::string partition_file = folder + "/list_eval_partition.txt";
  if (std::filesystem::exists(partition_file)) part = parse_celeba_partition(partition_file);
  const bool has_test = std::any_of(part.begin(), part.end(), [](const auto& e) { return e.second == 2; });
  std::vector<HeldOutPhoto> out;
  for (size_t i = 0; i < attrs.files.size(); ++i) {
    const auto& f = attrs.files[i];
    const auto it = part.find(f);
    const bool held = part.empty() ? held_out_by_name(f) : it != part.end() && it->second == (has_test ? 2 : 1);
    if (held) out.push_back({folder + "/img_align_celeba/" + f, attrs.values[i]});
  }
  return out;
}

// A held-out photo framed and encoded once (ExportPath), with the judge's view of it unedited.
struct FramedPhoto {
  bool tried = false, usable = false;
  ExportPath::Photo photo;
  at::Tensor before;  // judge probabilities [A]
  int chip = -1;      // its identity chip (IdentityChips), -1: none
};

// evaluate_edits through the export: what a person who exports an edit gets, as the judge sees it.
std::vector<EditScore> evaluate_exported_edits(const EditEvalOptions& o) {
  auto log = [&](const std::string& s) { if (o.log) o.log(s); };
  auto model = Model::load(o.model, resolve_device(o.device));
  check_asked(o, model.attributes());
  auto judge = load_attribute_judge(o.judge);
  if (model.config().channels != 3) throw Error(ErrorKind::InvalidArgument, o.model + ": the judge takes RGB images, this model is grey");
  std::vector<std::string> names;
  const auto photos = held_out_photos(o.data, names);
  if (photos.empty()) throw Error(ErrorKind::InvalidArgument, o.data + ": no held-out photos");
  const ExportPath path(model);
  IdentityChips chips(o.identity_chips);
  auto judged = [&](const Image& crop) { return probabilities(*judge.net, images_to_uint8({crop}))[0]; };
  std::vector<FramedPhoto> cache(photos.size());
  int skipped = 0;
  auto prepare = [&](size_t i) -> FramedPhoto& {
    auto& p = cache[i];
    if (p.tried) return p;
    p.tried = true;
    try {
      p.photo = path.open(photos[i].path);
      p.before = judged(p.photo.crop.crop);
      p.usable = true;
      p.chip = chips.add_photo(std::filesystem::path(photos[i].path).filename().string(), p.photo.photo, p.photo.crop);
    } catch (const Error& e) {
      ++skipped;
      log("set aside: " + std::string(e.what()));
    }
    return p;
  };
  std::vector<EditScore> scores;
  for (const auto& attr : model.attributes()) {
    if (!asked(o, attr.name)) continue;
    const int64_t jk = column_of(judge.attributes, attr.name), dk = column_of(names, attr.name);
    if (jk < 0 || dk < 0) {
      log("skipped " + attr.name + ": not known to the judge or the data");
      continue;
    }
    EditScore s;
    s.attribute = attr.name;
    s.range_min = attr.range_min;
    s.range_max = attr.range_max;
    double others = 0, strength = 0;
    int others_n = 0;
    auto moved = at::zeros({static_cast<int64_t>(judge.attributes.size())}, at::kDouble);
    for (int sign : {+1, -1}) {
      int eligible = 0, flipped = 0;
      for (size_t i = 0; i < photos.size() && eligible < o.faces; ++i) {
        const int v = photos[i].labels[static_cast<size_t>(dk)];
        if (sign > 0 ? v >= 0 : v <= 0) continue;  // add to those lacking it, remove from those having it
        auto& p = prepare(i);
        if (!p.usable) continue;
        ++eligible;
        SliderEdit edit;
        edit.alphas = {{attr.name, o.strength * (sign > 0 ? attr.range_max : attr.range_min)}};
        const auto out = path.exported(p.photo, edit, photos[i].path);
        chips.add_edit(p.chip, attr.name, edit.alphas.begin()->second * out.strength, out);
        if (out.strength < 1.0) ++s.unclean;
        ++s.edits;
        strength += out.strength;
        const auto after = judged(out.crop);
        flipped += sign > 0 ? (after[jk].item<double>() > 0.5) : (after[jk].item<double>() < 0.5);
        auto other_mask = at::ones({after.size(0)}, at::kBool);
        other_mask[jk] = false;
        others += (after - p.before).abs().index({other_mask}).mean().item<double>();
        moved += (after - p.before).abs().to(at::kDouble);
        ++others_n;
      }
      const double rate = eligible ? static_cast<double>(flipped) / eligible : 0.0;
      if (sign > 0) {
        s.add_flip = rate;
        s.eligible_add = eligible;
      } else {
        s.remove_flip = rate;
        s.eligible_remove = eligible;
      }
    }
    s.others_change = others_n ? others / others_n : 0;
    s.mean_strength = s.edits ? strength / s.edits : 1.0;
    moved[jk] = -1.0;
    const auto top = moved.topk(std::min<int64_t>(3, moved.size(0) - 1));
    for (int64_t t = 0; t < std::get<1>(top).size(0); ++t) {
      const auto k = std::get<1>(top)[t].item<int64_t>();
      s.most_moved.emplace_back(judge.attributes[static_cast<size_t>(k)], std::get<0>(top)[t].item<double>() / std::max(1, others_n));
    }
    s.skipped_photos = skipped;
    log(attr.name + " (through the export): add " + std::to_string(s.add_flip) + ", remove " + std::to_string(s.remove_flip) +
        ", others " + std::to_string(s.others_change) + ", mean strength allowed " + std::to_string(s.mean_strength));
    scores.push_back(s);
  }
  chips.write();
  return scores;
}

}  // namespace

std::vector<EditScore> evaluate_edits(const EditEvalOptions& o) {
  if (o.through_export) return evaluate_exported_edits(o);
  auto log = [&](const std::string& s) { if (o.log) o.log(s); };
  auto mf = load_model(o.model);
  check_asked(o, mf.attributes);
  auto judge = load_attribute_judge(o.judge);
  // The flow runs on the device asked for (an absent CUDA is an error, not a silent CPU run); the
  // judge reads the decoded pixels on the CPU.
  const FlowCodec flow{mf.glow, at::Device(resolve_device(o.device)), mf.glow->config().n_bits};
  mf.glow->to(flow.device);
  const auto& c = mf.glow->config();
  auto dopt = DatasetOptions::for_images("celeba", c.image_size, c.channels, o.cache_dir);
  if (o.align) set_alignment(dopt, mf.framing, o.model);
  const Dataset test = load_dataset(o.data, dopt).held_out();
  if (test.size() == 0) throw Error(ErrorKind::InvalidArgument, o.data + ": no held-out partition");
  c10::InferenceMode guard;
  std::vector<EditScore> scores;
  for (size_t k = 0; k < mf.attributes.size(); ++k) {
    const auto& attr = mf.attributes[k];
    if (!asked(o, attr.name)) continue;
    const int64_t jk = column_of(judge.attributes, attr.name), dk = column_of(test.attribute_names, attr.name);
    if (jk < 0 || dk < 0) {
      log("skipped " + attr.name + ": not known to the judge or the data");
      continue;
    }
    const auto s = score_attribute(flow, judge, test, attr, mf.directions[k], jk, dk, o);
    log(attr.name + ": add " + std::to_string(s.add_flip) + ", remove " + std::to_string(s.remove_flip) + ", others " +
        std::to_string(s.others_change) + ", unfit decodes " + std::to_string(s.unclean) + "/" + std::to_string(s.edits));
    scores.push_back(s);
  }
  if (!o.grid.empty() && !mf.attributes.empty()) write_edit_grid(o.grid, flow, mf, test);
  return scores;
}

FidResult judge_fid(const FidOptions& o) {
  auto log = [&](const std::string& s) { if (o.log) o.log(s); };
  if (o.count < 2) throw Error(ErrorKind::InvalidArgument, "judge-fid: count must be at least 2");
  auto mf = load_model(o.model);
  auto judge = load_attribute_judge(o.judge);
  Glow& glow = mf.glow;
  const at::Device device(o.device);
  glow->to(device);
  const auto& c = glow->config();
  if (c.channels != 3) throw Error(ErrorKind::InvalidArgument, o.model + ": the judge takes RGB images, this model is grey");
  auto dopt = DatasetOptions::for_images("celeba", c.image_size, c.channels, o.cache_dir);
  if (o.align) set_alignment(dopt, mf.framing, o.model);
  const Dataset test = load_dataset(o.data, dopt).held_out();
  if (test.size() < 2) throw Error(ErrorKind::InvalidArgument, o.data + ": no held-out partition");
  c10::InferenceMode guard;
  FidResult r;
  r.references = static_cast<int>(std::min<int64_t>(o.count, test.size()));
  r.samples = o.count;
  const auto reference = features_of(*judge.net, test.images.narrow(0, 0, r.references));
  const auto eps = glow->sample_eps(o.count, o.temperature, o.seed);
  std::vector<at::Tensor> feats;
  for (int64_t i = 0; i < o.count; i += kChunk) {
    std::vector<at::Tensor> chunk;
    for (const auto& e : eps) chunk.push_back(e.narrow(0, i, std::min<int64_t>(kChunk, o.count - i)).to(device));
    feats.push_back(features_of(*judge.net, to_pixels(glow->decode(chunk), c.n_bits).cpu()));
    if ((i / kChunk) % 16 == 0) log("sampled " + std::to_string(std::min<int64_t>(o.count, i + kChunk)) + "/" + std::to_string(o.count));
  }
  r.fid = frechet_distance(at::cat(feats), reference);
  return r;
}

double judge_fid(const std::string& judge_path, const std::vector<Image>& a, const std::vector<Image>& b) {
  if (a.size() < 2 || b.size() < 2) throw Error(ErrorKind::InvalidArgument, "judge-fid: each set needs at least 2 images");
  auto judge = load_attribute_judge(judge_path);
  return frechet_distance(features_of(*judge.net, images_to_uint8(a)), features_of(*judge.net, images_to_uint8(b)));
}

}  // namespace glowlab
