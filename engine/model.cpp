// The facade's Model: a loaded ModelFile on one device, driven in inference mode.
#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <torch/nn/module.h>

#include "bundle/model_file.h"
#include "bundle/safetensors.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "latent/directions.h"

namespace glowlab {
namespace {

constexpr int64_t kChunk = 16;             // images per forward pass in batch work
constexpr int64_t kSyntheticInitBatch = 32;

// Smooth random images (noise upsampled from 1/8 resolution) for ActNorm init without data.
at::Tensor synthetic_images(const GlowConfig& c, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  const int64_t low = std::max(1, c.image_size / 8);
  auto base = at::empty({kSyntheticInitBatch, c.channels, low, low}).uniform_(0.0, 1.0, gen);
  auto up = at::upsample_bilinear2d(base, {c.image_size, c.image_size}, /*align_corners=*/false);
  return (up * 255.0).round().clamp(0, 255).to(at::kByte);
}

void check_image(const Image& im, const GlowConfig& c, const char* what) {
  if (im.width != c.image_size || im.height != c.image_size || im.channels != c.channels) {
    throw Error(ErrorKind::InvalidArgument,
                std::string(what) + ": image is " + std::to_string(im.width) + "x" + std::to_string(im.height) +
                    "x" + std::to_string(im.channels) + " but the model takes " + std::to_string(c.image_size) +
                    "x" + std::to_string(c.image_size) + "x" + std::to_string(c.channels));
  }
}

}  // namespace

struct Model::Impl {
  ModelFile file;
  at::Device device{at::kCPU};

  Glow& glow() { return file.glow; }
  const GlowConfig& config() const { return file.glow->config(); }

  at::Tensor input_of(const std::vector<Image>& images, std::optional<uint64_t> noise_seed) {
    auto u8 = images_to_uint8(images).to(device);
    return to_model_input(u8, config().n_bits, at::kFloat, noise_seed);
  }
  at::Tensor decode_flat(const std::vector<float>& latent) {
    const int64_t d = config().dimension();
    if (static_cast<int64_t>(latent.size()) != d) {
      throw Error(ErrorKind::InvalidArgument, "decode: latent has " + std::to_string(latent.size()) +
                                                  " values, the model needs " + std::to_string(d));
    }
    auto flat = at::from_blob(const_cast<float*>(latent.data()), {1, d}, at::kFloat)
                    .to(device, /*non_blocking=*/false, /*copy=*/true);
    return glow()->decode(glow()->unflatten(flat));
  }
  // [D] double on the CPU of one attribute's direction, zero on levels finer than finest_level.
  at::Tensor direction_of(const std::string& name, int64_t from) const {
    auto d = file.directions[find_attribute(file.attributes, name)].to(at::kCPU, at::kDouble).clone();
    d.narrow(0, 0, from).zero_();
    return d;
  }
  // The decode of an edit's base, which the guard compares every render of the edit with: kept
  // for the last bases asked for, one per precision (a drag renders many targets from one base,
  // on two threads at once, a bf16 draft beside the exact render).
  struct BaseDecode {
    std::vector<float> latent;
    Precision precision = Precision::FP32;
    at::Tensor x;
    double share_beyond = 0.0;
  };
  std::mutex base_mutex;
  std::vector<std::shared_ptr<const BaseDecode>> bases;
  std::shared_ptr<const BaseDecode> base_decode(const std::vector<float>& latent) {
    const Precision p = precision();
    {
      std::lock_guard<std::mutex> lock(base_mutex);
      for (const auto& b : bases) {
        if (b->precision == p && b->latent == latent) return b;
      }
    }
    auto b = std::make_shared<BaseDecode>();
    b->latent = latent;
    b->precision = p;
    b->x = decode_flat(latent);
    b->share_beyond = share_beyond_range(b->x, config().n_bins())[0].item<double>();
    std::lock_guard<std::mutex> lock(base_mutex);
    bases.insert(bases.begin(), b);
    if (bases.size() > 4) bases.pop_back();
    return b;
  }
  void remember_base(const std::vector<float>& latent, const at::Tensor& x) {
    if (precision() != Precision::FP32) return;
    auto b = std::make_shared<BaseDecode>();
    b->latent = latent;
    b->x = x;
    b->share_beyond = share_beyond_range(x, config().n_bins())[0].item<double>();
    std::lock_guard<std::mutex> lock(base_mutex);
    bases.insert(bases.begin(), b);
    if (bases.size() > 4) bases.pop_back();
  }
  std::vector<Image> images_of(const at::Tensor& x) {
    auto px = to_pixels(x, config().n_bits).cpu();
    std::vector<Image> out;
    for (int64_t i = 0; i < px.size(0); ++i) out.push_back(uint8_to_image(px[i]));
    return out;
  }
};

Model::Model(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Model Model::create(const GlowConfig& config, const std::vector<Image>& init_images, uint64_t seed,
                    const std::string& device) {
  config.validate();
  auto impl = std::make_shared<Impl>();
  impl->device = at::Device(resolve_device(device));
  at::manual_seed(seed);
  impl->file.glow = Glow(config);
  impl->file.glow->to(impl->device);
  at::Tensor x;
  if (init_images.empty()) {
    x = to_model_input(synthetic_images(config, seed).to(impl->device), config.n_bits, at::kFloat, seed);
  } else {
    for (const auto& im : init_images) check_image(im, config, "init");
    x = impl->input_of(init_images, seed);
  }
  impl->file.glow->initialize(x);
  impl->file.provenance_json = "{\"created_by\":\"glowlab init\",\"seed\":" + std::to_string(seed) +
                               ",\"init_images\":" + std::to_string(init_images.size()) + "}";
  return Model(impl);
}

std::vector<Attribute> read_model_attributes(const std::string& path) {
  const auto contents = read_safetensors(path);
  const auto it = contents.metadata.find("attributes");
  return attributes_from_json(it == contents.metadata.end() ? "[]" : it->second, path);
}

Model Model::load(const std::string& path, const std::string& device) {
  auto impl = std::make_shared<Impl>();
  impl->device = at::Device(resolve_device(device));
  impl->file = load_model(path);
  impl->file.glow->to(impl->device);
  for (auto& d : impl->file.directions) d = d.to(impl->device);
  return Model(impl);
}

void Model::save(const std::string& path) { save_model(path, impl_->file); }

const GlowConfig& Model::config() const { return impl_->config(); }

std::int64_t Model::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : impl_->file.glow->parameters()) n += p.numel();
  return n;
}

const std::vector<Attribute>& Model::attributes() const { return impl_->file.attributes; }
const std::string& Model::provenance_json() const { return impl_->file.provenance_json; }
const std::vector<double>& Model::framing() const { return impl_->file.framing; }
bool Model::checksummed() const { return impl_->file.checksummed; }
std::string Model::device() const { return impl_->device.str(); }

std::vector<Image> Model::sample(int n, double temperature, uint64_t seed, std::vector<double>* limits) {
  if (n < 1) throw Error(ErrorKind::InvalidArgument, "sample: n must be at least 1");
  if (!(temperature >= 0.0) || temperature > 10.0) {
    throw Error(ErrorKind::InvalidArgument, "sample: temperature must be in [0, 10]");
  }
  c10::InferenceMode guard;
  auto& glow = impl_->glow();
  auto eps = glow->sample_eps(n, temperature, seed);
  std::vector<Image> out;
  if (limits) limits->assign(static_cast<size_t>(n), 1.0);
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t len = std::min<int64_t>(kChunk, n - start);
    std::vector<at::Tensor> chunk;
    for (const auto& e : eps) chunk.push_back(e.narrow(0, start, len));
    const auto x = glow->decode(chunk);
    auto images = impl_->images_of(x);
    const auto clean = clean_decodes(x, config().n_bins());
    for (int64_t i = 0; i < len; ++i) {
      if (clean[i].item<bool>()) continue;
      // Draw this sample at the largest clean fraction of T: the zero latent (T = 0) is the base.
      const auto flat = glow->flatten(chunk).narrow(0, i, 1).to(at::kCPU).contiguous();
      std::vector<float> target(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
      auto g = decode_guarded(std::vector<float>(target.size(), 0.0f), target, GuardRule::Range);
      images[static_cast<size_t>(i)] = std::move(g.image);
      if (limits) (*limits)[static_cast<size_t>(start + i)] = g.strength;
    }
    out.insert(out.end(), images.begin(), images.end());
  }
  return out;
}

std::vector<float> Model::encode(const Image& image) {
  check_image(image, config(), "encode");
  c10::InferenceMode guard;
  auto& glow = impl_->glow();
  const auto x = impl_->input_of({image}, std::nullopt);
  auto flat = glow->flatten(glow->encode(x).eps).to(at::kCPU).contiguous();
  std::vector<float> latent(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
  // The encoding is exact: this latent decodes to x itself (within 1e-5), so the guard, comparing
  // every edit of it with its decode, need not decode it (a video pays one decode less a frame).
  impl_->remember_base(latent, x);
  return latent;
}

Image Model::quantized(const Image& image) {
  check_image(image, config(), "quantized");
  return impl_->images_of(impl_->input_of({image}, std::nullopt)).front();
}

Image Model::decode(const std::vector<float>& latent) {
  c10::InferenceMode guard;
  return impl_->images_of(impl_->decode_flat(latent)).front();
}

bool Model::decodes_cleanly(const std::vector<float>& latent) {
  c10::InferenceMode guard;
  return clean_decodes(impl_->decode_flat(latent), config().n_bins())[0].item<bool>();
}

namespace {

// What the guard asks of a decode x of an edit from `base` (its decode and share beyond the range):
// finite, no more values beyond the range than allowed, and (an edit) no colour noise painted.
struct GuardTest {
  int n_bins;
  double allowed_share;
  const at::Tensor* base_x;  // null: the range alone

  bool fits(const at::Tensor& x, double* share = nullptr, double* noise = nullptr) const {
    const double beyond = share_beyond_range(x, n_bins)[0].item<double>();
    const double colour = base_x ? colour_noise(x, *base_x)[0].item<double>() : 0.0;
    if (share) *share = beyond;
    if (noise) *noise = colour;
    // NaN fails every comparison; non-finite values count as beyond the range.
    return at::isfinite(x).all().item<bool>() && beyond <= allowed_share && colour <= kCleanColourNoise;
  }
};

}  // namespace

Model::DecodeCheck Model::check_decode(const std::vector<float>& latent, const std::vector<float>* base) {
  c10::InferenceMode guard;
  const auto x = impl_->decode_flat(latent);
  DecodeCheck out;
  out.image = impl_->images_of(x).front();
  if (!base) {
    out.share_beyond = share_beyond_range(x, config().n_bins())[0].item<double>();
    out.clean = clean_decodes(x, config().n_bins())[0].item<bool>();
    return out;
  }
  const auto b = impl_->base_decode(*base);
  const GuardTest test{config().n_bins(), std::max(kCleanShareBeyond, b->share_beyond), &b->x};
  out.clean = test.fits(x, &out.share_beyond, &out.colour_noise);
  return out;
}

GuardedImage Model::decode_guarded(const std::vector<float>& base, const std::vector<float>& target, GuardRule rule,
                                   int search_decodes) {
  if (base.size() != target.size()) throw Error(ErrorKind::InvalidArgument, "decode: base and target latents differ in size");
  c10::InferenceMode guard;
  const int n_bins = config().n_bins();
  auto x = impl_->decode_flat(target);
  // The base itself (no slider moved) changes nothing: the range rule alone, as for any image.
  const bool edit = rule == GuardRule::Edit && base != target;
  if (!edit && clean_decodes(x, n_bins)[0].item<bool>()) return {impl_->images_of(x).front(), 1.0};
  // An image that is itself a little beyond the rule (a sample, say) is not held to more than it
  // gives: an edit of it may not push more values out of range than the unedited image has.
  const auto b = impl_->base_decode(base);
  if (!at::isfinite(b->x).all().item<bool>()) {
    throw Error(ErrorKind::Numeric, "this image does not decode to finite pixels even unedited (the model is damaged?)");
  }
  const GuardTest test{n_bins, std::max(kCleanShareBeyond, b->share_beyond), edit ? &b->x : nullptr};
  if (test.fits(x)) return {impl_->images_of(x).front(), 1.0};
  at::Tensor best = b->x;
  std::vector<float> mix(target.size());
  auto at_strength = [&](double s) {
    for (size_t i = 0; i < mix.size(); ++i) mix[i] = static_cast<float>(base[i] + s * (target[i] - base[i]));
    return impl_->decode_flat(mix);
  };
  // Bisection on the strength: `lo` always fits, `hi` does not.
  double lo = 0.0, hi = 1.0;
  for (int i = 0; i < search_decodes; ++i) {
    const double mid = 0.5 * (lo + hi);
    auto xm = at_strength(mid);
    if (test.fits(xm)) {
      lo = mid;
      best = xm;
    } else {
      hi = mid;
    }
  }
  return {impl_->images_of(best).front(), lo};
}

std::vector<std::pair<std::int64_t, std::int64_t>> Model::level_spans() const {
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;
  std::int64_t offset = 0;
  for (const auto& s : config().level_shapes()) {
    spans.emplace_back(offset, s[0] * s[1] * s[2]);
    offset += s[0] * s[1] * s[2];
  }
  return spans;
}

std::vector<std::vector<float>> Model::sample_latents(int n, double temperature, uint64_t seed) {
  if (n < 1) throw Error(ErrorKind::InvalidArgument, "sample: n must be at least 1");
  c10::InferenceMode guard;
  auto& glow = impl_->glow();
  const auto flat = glow->flatten(glow->sample_eps(n, temperature, seed)).to(at::kCPU).contiguous();
  std::vector<std::vector<float>> out;
  for (int64_t i = 0; i < n; ++i) {
    const float* p = flat.data_ptr<float>() + i * flat.size(1);
    out.emplace_back(p, p + flat.size(1));
  }
  return out;
}

std::vector<float> interpolate(const std::vector<float>& a, const std::vector<float>& b, double t, bool spherical) {
  if (a.size() != b.size()) throw Error(ErrorKind::InvalidArgument, "interpolate: latents differ in size");
  std::vector<float> out(a.size());
  double wa = 1.0 - t, wb = t;
  if (spherical) {
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      dot += static_cast<double>(a[i]) * b[i];
      na += static_cast<double>(a[i]) * a[i];
      nb += static_cast<double>(b[i]) * b[i];
    }
    const double cos = std::clamp(dot / std::sqrt(std::max(na * nb, 1e-30)), -1.0, 1.0);
    const double omega = std::acos(cos);
    if (omega > 1e-4) {
      wa = std::sin((1.0 - t) * omega) / std::sin(omega);
      wb = std::sin(t * omega) / std::sin(omega);
    }
  }
  for (size_t i = 0; i < a.size(); ++i) out[i] = static_cast<float>(wa * a[i] + wb * b[i]);
  return out;
}


std::vector<float> Model::direction(const std::string& name, int finest_level, const std::vector<std::string>& keep) const {
  const auto spans = level_spans();
  if (finest_level < 0 || finest_level >= static_cast<int>(spans.size())) {
    throw Error(ErrorKind::InvalidArgument, "edit: level " + std::to_string(finest_level) + " does not exist");
  }
  const int64_t from = spans[static_cast<size_t>(finest_level)].first;
  at::Tensor kept;
  std::vector<at::Tensor> cols;
  for (const auto& k : keep) {
    if (k != name) cols.push_back(impl_->direction_of(k, from));
  }
  if (!cols.empty()) kept = at::stack(cols, 1);
  const auto d = project_off(impl_->direction_of(name, from), kept).to(at::kFloat).contiguous();
  return std::vector<float>(d.data_ptr<float>(), d.data_ptr<float>() + d.numel());
}

std::vector<float> Model::edit(const std::vector<float>& latent,
                               const std::vector<std::pair<std::string, double>>& alphas, int finest_level,
                               const std::vector<std::string>& keep) const {
  if (static_cast<int64_t>(latent.size()) != config().dimension()) {
    throw Error(ErrorKind::InvalidArgument, "edit: latent size does not match the model");
  }
  const auto spans = level_spans();
  if (finest_level < 0 || finest_level >= static_cast<int>(spans.size())) {
    throw Error(ErrorKind::InvalidArgument, "edit: level " + std::to_string(finest_level) + " does not exist");
  }
  // Unknown names are refused even at zero strength.
  for (const auto& k : keep) impl_->direction_of(k, 0);
  for (const auto& a : alphas) impl_->direction_of(a.first, 0);
  auto delta = at::zeros({config().dimension()}, at::kDouble);
  for (const auto& [name, alpha] : alphas) {
    if (alpha == 0.0) continue;
    // A kept attribute's own slider moves it as set; every other direction avoids the kept ones.
    const bool kept = std::find(keep.begin(), keep.end(), name) != keep.end();
    const auto d = direction(name, finest_level, kept ? std::vector<std::string>{} : keep);
    delta.add_(at::from_blob(const_cast<float*>(d.data()), {static_cast<int64_t>(d.size())}, at::kFloat).to(at::kDouble),
               alpha);
  }
  const auto base = at::from_blob(const_cast<float*>(latent.data()), {static_cast<int64_t>(latent.size())}, at::kFloat);
  const auto out = (base.to(at::kDouble) + delta).to(at::kFloat).contiguous();
  return std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
}

Reconstruction Model::reconstruct(const Image& image) {
  check_image(image, config(), "reconstruct");
  c10::InferenceMode guard;
  auto& glow = impl_->glow();
  const auto x = impl_->input_of({image}, std::nullopt);
  auto back = glow->decode(glow->encode(x).eps);
  const int bits = config().n_bits;
  const auto ref = to_pixels(x, bits).to(at::kInt);
  const auto got = to_pixels(back, bits).to(at::kInt);
  Reconstruction r;
  r.image = impl_->images_of(back).front();
  r.max_abs_error = (ref - got).abs().max().item<int>();
  r.bits_per_dim = bits_per_dim(std::vector<Image>{image}, 0);
  return r;
}

double Model::bits_per_dim(const std::vector<Image>& images, uint64_t seed, const ProgressFn& progress) {
  if (images.empty()) throw Error(ErrorKind::InvalidArgument, "bits_per_dim: no images");
  for (const auto& im : images) check_image(im, config(), "bits_per_dim");
  c10::InferenceMode guard;
  auto& glow = impl_->glow();
  double total = 0.0;
  for (size_t start = 0; start < images.size(); start += kChunk) {
    const size_t end = std::min(images.size(), start + kChunk);
    std::vector<Image> chunk(images.begin() + static_cast<long>(start), images.begin() + static_cast<long>(end));
    const auto x = impl_->input_of(chunk, seed + start);
    const auto bpd = glowlab::bits_per_dim(glow->encode(x).log_px(), config().dimension(), config().n_bins());
    total += bpd.sum().item<double>();
    if (progress && !progress(static_cast<double>(end) / images.size())) {
      throw Error(ErrorKind::Cancelled, "evaluation cancelled");
    }
  }
  return total / static_cast<double>(images.size());
}

PastedEdit paste_edit(Model& model, const Image& photo, const FaceCrop& crop, const std::vector<float>& base, const Image& edited,
                      bool whole_face) {
#ifdef GLOWLAB_HAVE_OPENCV
  const Image reconstruction = model.decode(base);
  const int n = model.config().image_size;
  PastedEdit p;
  p.image = whole_face ? paste_back(photo, edited, crop, model.framing()) : paste_change(photo, edited, reconstruction, crop);
  p.coverage = paste_coverage(photo, edited, reconstruction, crop, whole_face ? paste_mask(n, model.framing()) : change_mask(n));
  return p;
#else
  (void)model; (void)photo; (void)crop; (void)base; (void)edited; (void)whole_face;
  throw Error(ErrorKind::InvalidArgument, "pasting into the photo needs OpenCV, which this build lacks");
#endif
}

}  // namespace glowlab
