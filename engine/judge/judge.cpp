#include "judge/judge.h"

#include <algorithm>
#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "bundle/model_file.h"
#include "bundle/safetensors.h"
#include "core/error.h"
#include "core/named_tensors.h"
#include "data/dataset.h"
#include "data/pixels.h"
#include "train/optimizer.h"
#include "vision/image_io.h"

namespace glowlab {
namespace {

constexpr const char* kJudgeFormat = "glowlab.judge/1";
constexpr int64_t kChunk = 32;

// Four stride-2 3x3 convolutions with ReLU, global average pooling, one linear layer.
class JudgeNet : public torch::nn::Module {
 public:
  explicit JudgeNet(int64_t attributes) {
    const int64_t widths[] = {3, 32, 64, 128, 128};
    for (int i = 0; i < 4; ++i) {
      auto w = at::randn({widths[i + 1], widths[i], 3, 3}) * std::sqrt(2.0 / (widths[i] * 9));
      weights_.push_back(register_parameter("conv" + std::to_string(i) + "_weight", w));
      biases_.push_back(register_parameter("conv" + std::to_string(i) + "_bias", at::zeros({widths[i + 1]})));
    }
    fc_w_ = register_parameter("fc_weight", at::randn({attributes, 128}) * std::sqrt(1.0 / 128));
    fc_b_ = register_parameter("fc_bias", at::zeros({attributes}));
  }
  // uint8 [B, 3, S, S] -> logits [B, A]
  at::Tensor forward(const at::Tensor& pixels) { return at::linear(features(pixels), fc_w_, fc_b_); }
  // uint8 [B, 3, S, S] -> the pooled penultimate features [B, 128]
  at::Tensor features(const at::Tensor& pixels) {
    auto h = pixels.to(at::kFloat) / 255.0 - 0.5;
    for (size_t i = 0; i < weights_.size(); ++i) h = at::conv2d(h, weights_[i], biases_[i], /*stride=*/2, /*padding=*/1).relu_();
    return h.mean({2, 3});
  }

 private:
  std::vector<at::Tensor> weights_, biases_;
  at::Tensor fc_w_, fc_b_;
};

struct LoadedJudge {
  std::shared_ptr<JudgeNet> net;
  std::vector<std::string> attributes;
};

LoadedJudge load_judge(const std::string& path) {
  auto c = read_safetensors(path);
  if (c.metadata["format"] != kJudgeFormat) throw Error(ErrorKind::Format, path + ": not a GlowLab judge");
  LoadedJudge j;
  const auto names = nlohmann::json::parse(c.metadata["attributes"], nullptr, /*allow_exceptions=*/false);
  if (!names.is_array() || !std::all_of(names.begin(), names.end(), [](const auto& n) { return n.is_string(); })) {
    throw Error(ErrorKind::Format, path + ": the judge's attributes are not a JSON list of names");
  }
  j.attributes = names.get<std::vector<std::string>>();
  j.net = std::make_shared<JudgeNet>(static_cast<int64_t>(j.attributes.size()));
  load_named(*j.net, TensorMap(c.tensors.begin(), c.tensors.end()), path);
  return j;
}

at::Tensor probabilities(JudgeNet& net, const at::Tensor& pixels) {
  c10::InferenceMode guard;
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < pixels.size(0); i += kChunk) {
    out.push_back(at::sigmoid(net.forward(pixels.narrow(0, i, std::min(kChunk, pixels.size(0) - i)))));
  }
  return at::cat(out);
}

at::Tensor features_of(JudgeNet& net, const at::Tensor& pixels) {
  c10::InferenceMode guard;
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < pixels.size(0); i += kChunk) {
    out.push_back(net.features(pixels.narrow(0, i, std::min(kChunk, pixels.size(0) - i))));
  }
  return at::cat(out).to(at::kDouble);
}

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

// Decoded images that are not fit to show: a raw decode that is not clean, or all but black.
at::Tensor unfit(const at::Tensor& x, const at::Tensor& pixels) {
  const auto black = pixels.flatten(1).amax(1).cpu() < 8;
  return clean_decodes(x).logical_not().logical_or(black);
}

void set_alignment(DatasetOptions& dopt, const std::vector<double>& framing, const std::string& model) {
  if (framing.empty()) throw Error(ErrorKind::InvalidArgument, model + " has no framing to align the photos onto");
  dopt.align = true;
  dopt.framing = framing;
}

// The model's encoder and decoder over batches of any size (in chunks), counting the decodes of
// the last decode() call that are unfit to show.
class ChunkedCodec {
 public:
  explicit ChunkedCodec(Glow& glow) : glow_(glow), n_bits_(glow->config().n_bits) {}
  // uint8 pixels [N, C, S, S] -> latents [N, D] (exact, bin-centre input).
  at::Tensor encode(const at::Tensor& pixels) {
    std::vector<at::Tensor> out;
    for (int64_t i = 0; i < pixels.size(0); i += kChunk) {
      const auto x = to_model_input(pixels.narrow(0, i, std::min(kChunk, pixels.size(0) - i)), n_bits_, at::kFloat, std::nullopt);
      out.push_back(glow_->flatten(glow_->encode(x).eps));
    }
    return at::cat(out);
  }
  // latents [N, D] -> uint8 pixels [N, C, S, S].
  at::Tensor decode(const at::Tensor& latents) {
    std::vector<at::Tensor> out;
    unfit_ = 0;
    for (int64_t i = 0; i < latents.size(0); i += kChunk) {
      const auto x = glow_->decode(glow_->unflatten(latents.narrow(0, i, std::min(kChunk, latents.size(0) - i))));
      out.push_back(to_pixels(x, n_bits_));
      unfit_ += unfit(x, out.back()).sum().item<int64_t>();
    }
    return at::cat(out);
  }
  int64_t unfit_in_last_decode() const { return unfit_; }

 private:
  Glow& glow_;
  int n_bits_;
  int64_t unfit_ = 0;
};

struct Columns {
  int64_t data;   // the attribute's column in the data's labels
  int64_t judge;  // ... and in the judge's outputs
};

// Up to o.faces held-out faces lacking the attribute edited to o.strength x its range's top, and as
// many having it to its bottom, judged before and after: how often it flipped, how much the other
// attributes moved, how many edits decoded unfit.
EditScore score_edits(ChunkedCodec& codec, JudgeNet& judge, const Dataset& test, Columns col, const Attribute& attr,
                      const at::Tensor& direction, const EditEvalOptions& o) {
  EditScore s;
  s.attribute = attr.name;
  s.range_min = attr.range_min;
  s.range_max = attr.range_max;
  double others = 0;
  int others_n = 0;
  for (int sign : {+1, -1}) {
    const auto mask = sign > 0 ? test.labels.select(1, col.data) < 0 : test.labels.select(1, col.data) > 0;
    auto idx = mask.nonzero().flatten();
    idx = idx.narrow(0, 0, std::min<int64_t>(o.faces, idx.size(0)));
    if (idx.size(0) == 0) continue;
    const auto latents = codec.encode(test.images.index_select(0, idx));
    const auto before = probabilities(judge, codec.decode(latents));
    const double alpha = o.strength * (sign > 0 ? attr.range_max : attr.range_min);
    const auto after = probabilities(judge, codec.decode(latents + alpha * direction.unsqueeze(0)));
    s.edits += static_cast<int>(idx.size(0));
    s.unclean += static_cast<int>(codec.unfit_in_last_decode());
    const auto flipped = sign > 0 ? after.select(1, col.judge) > 0.5 : after.select(1, col.judge) < 0.5;
    const double rate = flipped.to(at::kDouble).mean().item<double>();
    auto other_mask = at::ones({after.size(1)}, at::kBool);
    other_mask[col.judge] = false;
    others += (after - before).abs().index({at::indexing::Slice(), other_mask}).mean().item<double>();
    ++others_n;
    if (sign > 0) { s.add_flip = rate; s.eligible_add = static_cast<int>(idx.size(0)); }
    else { s.remove_flip = rate; s.eligible_remove = static_cast<int>(idx.size(0)); }
  }
  s.others_change = others_n ? others / others_n : 0;
  return s;
}

// The edit grid: 8 held-out faces (rows) x every attribute at its range's bottom, 0 and top.
void write_edit_grid(ChunkedCodec& codec, const ModelFile& mf, const Dataset& test, const std::string& path) {
  const int64_t rows = std::min<int64_t>(8, test.size());
  const auto latents = codec.encode(test.images.narrow(0, 0, rows));
  std::vector<Image> cells;
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t k = 0; k < mf.attributes.size(); ++k) {
      for (double f : {-1.0, 0.0, 1.0}) {
        const double alpha = f < 0 ? mf.attributes[k].range_min : f * mf.attributes[k].range_max;
        const auto px = codec.decode(latents.narrow(0, r, 1) + alpha * mf.directions[k].unsqueeze(0));
        cells.push_back(uint8_to_image(px[0]));
      }
    }
  }
  write_image(path, make_grid(cells, static_cast<int>(mf.attributes.size() * 3), 1));
}

}  // namespace

void mark_featured(const std::string& model_path, const std::vector<EditScore>& scores) {
  auto mf = load_model(model_path);
  for (auto& a : mf.attributes) {
    for (const auto& s : scores) {
      if (s.attribute == a.name) a.featured = s.meets_target();
    }
  }
  save_model(model_path, mf);
}

std::vector<JudgeAccuracy> train_judge(const JudgeTrainOptions& o) {
  auto log = [&](const std::string& s) { if (o.log) o.log(s); };
  auto dopt = DatasetOptions::for_images("celeba", o.image_size, 3, o.cache_dir);
  if (!o.align_model.empty()) set_alignment(dopt, load_model(o.align_model).framing, o.align_model);
  const Dataset all = load_dataset(o.data, dopt);
  const Dataset train = all.split(0), test = all.held_out();
  if (train.size() == 0 || test.size() == 0) throw Error(ErrorKind::InvalidArgument, o.data + ": needs training (0) and held-out (2) partitions");
  const int64_t a = static_cast<int64_t>(all.attribute_names.size());
  at::manual_seed(o.seed);
  JudgeNet net(a);
  FlowOptimizer opt(net.parameters(), "adam");
  const auto targets = (train.labels > 0).to(at::kFloat);
  const int64_t n = train.size();
  int64_t step = 0;
  for (int e = 0; e < o.epochs; ++e) {
    auto gen = at::detail::createCPUGenerator(o.seed * 7919 + static_cast<uint64_t>(e));
    const auto perm = at::randperm(n, gen, at::kLong);
    double total = 0;
    int64_t batches = 0;
    for (int64_t i = 0; i + o.batch <= n; i += o.batch) {
      const auto idx = perm.narrow(0, i, o.batch);
      auto x = train.images.index_select(0, idx);
      // Mirror half the batch: the attributes are symmetric, and it doubles the data.
      if (step % 2) x = x.flip(3);
      opt.zero_grad();
      auto loss = at::binary_cross_entropy_with_logits(net.forward(x), targets.index_select(0, idx));
      loss.backward();
      opt.step(o.lr);
      total += loss.item<double>();
      ++batches;
      ++step;
    }
    log("judge epoch " + std::to_string(e + 1) + "/" + std::to_string(o.epochs) + ": loss " + std::to_string(total / std::max<int64_t>(1, batches)));
  }
  const auto p = probabilities(net, test.images);
  const auto correct = ((p > 0.5) == (test.labels > 0)).to(at::kDouble).mean(0);
  const auto rate = (test.labels > 0).to(at::kDouble).mean(0);
  std::vector<JudgeAccuracy> out;
  for (int64_t k = 0; k < a; ++k) {
    out.push_back({all.attribute_names[static_cast<size_t>(k)], correct[k].item<double>(), rate[k].item<double>()});
  }
  NamedTensors tensors;
  for (const auto& t : net.named_parameters()) tensors.emplace_back(t.key(), t.value());
  write_safetensors(o.output,
                    {{"format", kJudgeFormat}, {"attributes", nlohmann::json(all.attribute_names).dump()},
                     {"image_size", std::to_string(o.image_size)}},
                    tensors);
  return out;
}

std::vector<EditScore> evaluate_edits(const EditEvalOptions& o) {
  auto log = [&](const std::string& s) { if (o.log) o.log(s); };
  auto mf = load_model(o.model);
  auto judge = load_judge(o.judge);
  const auto& c = mf.glow->config();
  auto dopt = DatasetOptions::for_images("celeba", c.image_size, c.channels, o.cache_dir);
  if (o.align) set_alignment(dopt, mf.framing, o.model);
  const Dataset test = load_dataset(o.data, dopt).held_out();
  if (test.size() == 0) throw Error(ErrorKind::InvalidArgument, o.data + ": no held-out partition");
  c10::InferenceMode guard;
  ChunkedCodec codec(mf.glow);
  std::vector<EditScore> scores;
  for (size_t k = 0; k < mf.attributes.size(); ++k) {
    const auto& attr = mf.attributes[k];
    const auto judge_col = std::find(judge.attributes.begin(), judge.attributes.end(), attr.name);
    const auto data_col = std::find(test.attribute_names.begin(), test.attribute_names.end(), attr.name);
    if (judge_col == judge.attributes.end() || data_col == test.attribute_names.end()) {
      log("skipped " + attr.name + ": not known to the judge or the data");
      continue;
    }
    const Columns columns{data_col - test.attribute_names.begin(), judge_col - judge.attributes.begin()};
    const EditScore s = score_edits(codec, *judge.net, test, columns, attr, mf.directions[k], o);
    log(attr.name + ": add " + std::to_string(s.add_flip) + ", remove " + std::to_string(s.remove_flip) + ", others " +
        std::to_string(s.others_change) + ", unfit decodes " + std::to_string(s.unclean) + "/" + std::to_string(s.edits));
    scores.push_back(s);
  }
  if (!o.grid.empty() && !mf.attributes.empty()) write_edit_grid(codec, mf, test, o.grid);
  return scores;
}

FidResult judge_fid(const FidOptions& o) {
  auto log = [&](const std::string& s) { if (o.log) o.log(s); };
  if (o.count < 2) throw Error(ErrorKind::InvalidArgument, "judge-fid: count must be at least 2");
  auto mf = load_model(o.model);
  auto judge = load_judge(o.judge);
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
  auto judge = load_judge(judge_path);
  return frechet_distance(features_of(*judge.net, images_to_uint8(a)), features_of(*judge.net, images_to_uint8(b)));
}

}  // namespace glowlab
