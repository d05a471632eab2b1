#include "judge/judge_net.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "bundle/safetensors.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/named_tensors.h"
#include "core/strings.h"
#include "data/pixels.h"
#include "train/optimizer.h"
#include "vision/image_io.h"

namespace glowlab {

JudgeNet::JudgeNet(int64_t outputs) {
  const int64_t widths[] = {3, 32, 64, 128, 128};
  for (int i = 0; i < 4; ++i) {
    auto w = at::randn({widths[i + 1], widths[i], 3, 3}) * std::sqrt(2.0 / (widths[i] * 9));
    weights_.push_back(register_parameter("conv" + std::to_string(i) + "_weight", w));
    biases_.push_back(register_parameter("conv" + std::to_string(i) + "_bias", at::zeros({widths[i + 1]})));
  }
  fc_w_ = register_parameter("fc_weight", at::randn({outputs, 128}) * std::sqrt(1.0 / 128));
  fc_b_ = register_parameter("fc_bias", at::zeros({outputs}));
}

at::Tensor JudgeNet::forward(const at::Tensor& pixels) { return at::linear(features(pixels), fc_w_, fc_b_); }

at::Tensor JudgeNet::features(const at::Tensor& pixels) { return features_of_unit(pixels.to(at::kFloat) / 255.0 - 0.5); }

at::Tensor JudgeNet::forward_decoded(const at::Tensor& x, int n_bits) {
  const auto seen = to_pixels(x.detach(), n_bits).to(at::kFloat) / 255.0 - 0.5;
  return at::linear(features_of_unit(seen + (x - x.detach())), fc_w_, fc_b_);
}

at::Tensor JudgeNet::features_of_unit(at::Tensor h) {
  for (size_t i = 0; i < weights_.size(); ++i) h = at::conv2d(h, weights_[i], biases_[i], /*stride=*/2, /*padding=*/1).relu_();
  return h.mean({2, 3});
}

LoadedJudge load_judge(const std::string& path) {
  auto c = read_safetensors(path);
  if (c.metadata["format"] != kJudgeFormat) throw Error(ErrorKind::Format, path + ": not a GlowLab judge");
  LoadedJudge j;
  const auto names = nlohmann::json::parse(c.metadata["attributes"], nullptr, /*allow_exceptions=*/false);
  if (!names.is_array() || !std::all_of(names.begin(), names.end(), [](const auto& n) { return n.is_string(); })) {
    throw Error(ErrorKind::Format, path + ": the judge's attributes are not a JSON list of names");
  }
  j.attributes = names.get<std::vector<std::string>>();
  j.unit = c.metadata.count("unit") ? c.metadata["unit"] : std::string();
  j.net = std::make_shared<JudgeNet>(static_cast<int64_t>(j.attributes.size()));
  load_named(*j.net, TensorMap(c.tensors.begin(), c.tensors.end()), path);
  return j;
}

GuideJudges load_guide_judges(const std::vector<std::string>& paths, int n_bits, c10::Device device) {
  if (paths.empty()) throw Error(ErrorKind::InvalidArgument, "no guide named");
  GuideJudges out;
  std::vector<std::shared_ptr<JudgeNet>> nets;
  std::vector<std::string> files;
  for (const auto& path : paths) {
    auto judge = load_judge(path);
    if (!judge.unit.empty()) throw Error(ErrorKind::InvalidArgument, path + ": an age judge, not a judge of attributes (--guide needs one from judge-train)");
    if (nets.empty()) out.attributes = judge.attributes;
    else if (judge.attributes != out.attributes)
      throw Error(ErrorKind::InvalidArgument, path + ": reads other attributes than " + paths.front() + " (guides read together must read the same ones)");
    for (auto& p : judge.net->parameters()) p.set_requires_grad(false);
    judge.net->to(device);
    nets.push_back(judge.net);
    files.push_back(std::filesystem::path(path).filename().string());
  }
  out.name = join(files, "+");
  out.logits = [nets, n_bits](const at::Tensor& x) {
    at::Tensor sum;
    for (const auto& net : nets) {
      auto l = net->forward_decoded(x, n_bits);
      sum = sum.defined() ? sum + l : l;
    }
    return nets.size() == 1 ? sum : sum / static_cast<double>(nets.size());
  };
  return out;
}

void save_judge(const std::string& path, JudgeNet& net, const std::vector<std::string>& outputs, int image_size,
                const std::string& unit) {
  NamedTensors tensors;
  for (const auto& t : net.named_parameters()) tensors.emplace_back(t.key(), t.value());
  std::map<std::string, std::string> meta{{"format", kJudgeFormat},
                                          {"attributes", nlohmann::json(outputs).dump()},
                                          {"image_size", std::to_string(image_size)}};
  if (!unit.empty()) meta["unit"] = unit;
  write_safetensors(path, meta, tensors);
}

at::Tensor judge_outputs(JudgeNet& net, const at::Tensor& pixels) {
  c10::InferenceMode guard;
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < pixels.size(0); i += kJudgeChunk) {
    out.push_back(net.forward(pixels.narrow(0, i, std::min(kJudgeChunk, pixels.size(0) - i))));
  }
  return at::cat(out);
}

at::Tensor probabilities(JudgeNet& net, const at::Tensor& pixels) { return at::sigmoid(judge_outputs(net, pixels)); }

at::Tensor features_of(JudgeNet& net, const at::Tensor& pixels) {
  c10::InferenceMode guard;
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < pixels.size(0); i += kJudgeChunk) {
    out.push_back(net.features(pixels.narrow(0, i, std::min(kJudgeChunk, pixels.size(0) - i))));
  }
  return at::cat(out).to(at::kDouble);
}

void fit_judge(JudgeNet& net, const at::Tensor& images, const std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>& loss,
               int epochs, int64_t batch, double lr, std::uint64_t seed, const std::string& what,
               const std::function<void(const std::string&)>& log) {
  FlowOptimizer opt(net.parameters(), "adam");
  const int64_t n = images.size(0);
  batch = std::min(batch, n);
  int64_t step = 0;
  for (int e = 0; e < epochs; ++e) {
    auto gen = at::detail::createCPUGenerator(seed * 7919 + static_cast<std::uint64_t>(e));
    const auto perm = at::randperm(n, gen, at::kLong);
    double total = 0;
    int64_t batches = 0;
    for (int64_t i = 0; i + batch <= n; i += batch) {
      const auto idx = perm.narrow(0, i, batch);
      auto x = images.index_select(0, idx);
      if (step % 2) x = x.flip(3);
      opt.zero_grad();
      auto l = loss(net.forward(x), idx);
      l.backward();
      opt.step(lr);
      total += l.item<double>();
      ++batches;
      ++step;
    }
    if (log) log(what + " epoch " + std::to_string(e + 1) + "/" + std::to_string(epochs) + ": loss " +
                 std::to_string(total / std::max<int64_t>(1, batches)));
  }
}

void set_alignment(DatasetOptions& dopt, const std::vector<double>& framing, const std::string& model) {
  if (framing.empty()) throw Error(ErrorKind::InvalidArgument, model + " has no framing to align the photos onto");
  dopt.align = true;
  dopt.framing = framing;
}

ExportPath::ExportPath(Model& model)
    : model_(model), size_(model.config().image_size), landmarks_(!model.framing().empty()) {}

// As the window frames a photo: by its landmarks onto the model's framing (for a model without a
// framing, the centre square is what the window uses).
FaceCrop ExportPath::frame(const Image& photo, const std::string& path) const {
  return align_face(photo, size_, /*centre_fallback=*/true, path, model_.framing());
}

ExportPath::Photo ExportPath::open(const std::string& path) const {
  Photo p;
  p.photo = read_image(path, 3);
  p.crop = frame(p.photo, path);
  if (landmarks_ && !p.crop.landmarks_used) throw Error(ErrorKind::NoFace, path + ": no face found by its landmarks");
  p.latent = model_.encode(p.crop.crop);
  return p;
}

ExportPath::Exported ExportPath::exported(const Photo& p, const SliderEdit& edit, const std::string& path) const {
  // The guarded render decodes the full edit first and limits it exactly when that decode is not
  // clean (the photo's own latent is), so no second decode.
  const auto r = render_edit(model_, p.latent, edit);
  auto pasted = paste_edit(model_, p.photo, p.crop, p.latent, r.image);
  FaceCrop again = frame(pasted.image, path);
  // An edit that loses the face for the aligner is judged where the face was.
  const bool refound = again.landmarks_used;
  if (landmarks_ && !refound) again = crop_with_transform(pasted.image, size_, p.crop.transform);
  return {std::move(again.crop), r.strength, std::move(pasted.image), refound, again.identity_chip};
}

namespace {
void append_chip(std::string& bytes, const Image& chip) {
  if (chip.channels != 3 || chip.width != kIdentityChipSize || chip.height != kIdentityChipSize) {
    throw Error(ErrorKind::InvalidArgument, "identity chip: not a 150-px RGB chip");
  }
  bytes.append(reinterpret_cast<const char*>(chip.bytes.data()), chip.bytes.size());
}
}  // namespace

int IdentityChips::add_photo(const std::string& name, const Image& photo, const FaceCrop& crop) {
  if (!enabled()) return -1;
  if (!crop.landmarks_used) {
    ++without_face_;
    return -1;
  }
  append_chip(bytes_, identity_chip(photo, crop.identity_chip));
  mappings_.push_back(crop.identity_chip);
  chips_.push_back({{"photo", name}, {"attribute", nullptr}, {"value", 0.0}, {"of", nullptr}, {"refound", true}});
  return static_cast<int>(chips_.size()) - 1;
}

void IdentityChips::add_edit(int of, const std::string& attribute, double value, const ExportPath::Exported& exported) {
  if (!enabled() || of < 0) return;
  const auto& where = exported.refound ? exported.identity_chip : mappings_[static_cast<size_t>(of)];
  append_chip(bytes_, identity_chip(exported.photo, where));
  mappings_.push_back(where);
  chips_.push_back({{"photo", chips_[static_cast<size_t>(of)]["photo"]}, {"attribute", attribute}, {"value", value}, {"of", of},
                    {"refound", exported.refound}});
}

void IdentityChips::write() const {
  if (!enabled()) return;
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  if (ec) throw Error(ErrorKind::Io, folder_ + ": cannot make the folder for the identity chips (" + ec.message() + ")");
  // No chips (no photo had a face): the index says so, and no chips.u8 (an empty file is never written).
  if (bytes_.empty()) {
    std::filesystem::remove(folder_ + "/chips.u8", ec);
  } else {
    write_file_atomic(folder_ + "/chips.u8", bytes_);
  }
  const nlohmann::json index{{"format", "glowlab.identity-chips/1"},
                             {"size", kIdentityChipSize},
                             {"channels", 3},
                             {"chips", chips_},
                             {"photos_without_face", without_face_}};
  write_file_atomic(folder_ + "/chips.json", index.dump(1) + "\n");
}

}  // namespace glowlab
