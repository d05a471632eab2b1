#include "data/pixels.h"

#include <algorithm>
#include <cstring>

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"

namespace glowlab {

at::Tensor share_beyond_range(const at::Tensor& x, int n_bins) {
  const double limit = 0.5 + kCleanBinsBeyond / n_bins;
  const auto flat = x.flatten(1);
  // NaN compares false, so it is counted through isfinite.
  return (flat.abs() > limit).logical_or(at::isfinite(flat).logical_not()).to(at::kFloat).mean(1).cpu();
}

at::Tensor clean_decodes(const at::Tensor& x, int n_bins) {
  const auto flat = x.flatten(1);
  const auto finite = at::isfinite(flat).all(1).cpu();
  return finite.logical_and(share_beyond_range(x, n_bins) <= kCleanShareBeyond);
}

at::Tensor colour_noise(const at::Tensor& x, const at::Tensor& base) {
  if (x.size(1) != 3) return at::zeros({x.size(0)}, at::kFloat);
  const auto d = x.to(at::kFloat).clamp(-0.5, 0.5) - base.to(at::kFloat).clamp(-0.5, 0.5);
  const auto rgb = d.unbind(1);
  const auto chroma = at::stack({rgb[0] - rgb[1], (rgb[0] + rgb[1]) * 0.5 - rgb[2]}, 1);
  const auto local_mean = at::avg_pool2d(at::replication_pad2d(chroma, {1, 1, 1, 1}), {3, 3}, {1, 1});
  const auto energy = (chroma - local_mean).pow(2).sum(1, /*keepdim=*/true);
  const int64_t window = std::min<int64_t>({8, energy.size(2), energy.size(3)});
  const auto windows = at::avg_pool2d(energy, {window, window}, {std::max<int64_t>(1, window / 2), std::max<int64_t>(1, window / 2)});
  return std::get<0>(windows.flatten(1).max(1)).sqrt().cpu();
}

at::Tensor unfit_decodes(const at::Tensor& x, int n_bits, const at::Tensor& base) {
  const auto black = to_pixels(x, n_bits).flatten(1).amax(1).cpu() < 8;
  auto out = clean_decodes(x, 1 << n_bits).logical_not().logical_or(black);
  if (base.defined()) out = out.logical_or(colour_noise(x, base) > kCleanColourNoise);
  return out;
}

at::Tensor images_to_uint8(const std::vector<Image>& images) {
  if (images.empty()) throw Error(ErrorKind::InvalidArgument, "no images given");
  const auto& first = images.front();
  auto out = at::empty({static_cast<int64_t>(images.size()), first.height, first.width, first.channels},
                       at::kByte);
  const size_t frame = static_cast<size_t>(first.width) * first.height * first.channels;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto& im = images[i];
    if (im.width != first.width || im.height != first.height || im.channels != first.channels ||
        im.bytes.size() != frame) {
      throw Error(ErrorKind::InvalidArgument,
                  "image " + std::to_string(i) + " is " + std::to_string(im.width) + "x" +
                      std::to_string(im.height) + "x" + std::to_string(im.channels) + ", expected " +
                      std::to_string(first.width) + "x" + std::to_string(first.height) + "x" +
                      std::to_string(first.channels));
    }
    std::memcpy(out.data_ptr<uint8_t>() + i * frame, im.bytes.data(), frame);
  }
  return out.permute({0, 3, 1, 2}).contiguous();
}

Image uint8_to_image(const at::Tensor& chw) {
  const auto hwc = chw.to(at::kCPU).permute({1, 2, 0}).contiguous();
  Image im;
  im.height = static_cast<int>(hwc.size(0));
  im.width = static_cast<int>(hwc.size(1));
  im.channels = static_cast<int>(hwc.size(2));
  im.bytes.resize(static_cast<size_t>(hwc.numel()));
  std::memcpy(im.bytes.data(), hwc.data_ptr<uint8_t>(), im.bytes.size());
  return im;
}

at::Tensor quantize(const at::Tensor& uint8_pixels, int n_bits) {
  return at::floor_divide(uint8_pixels.to(at::kLong), 1 << (8 - n_bits));
}

at::Tensor to_model_input(const at::Tensor& uint8_pixels, int n_bits, at::ScalarType dtype,
                          std::optional<uint64_t> noise_seed) {
  const double n_bins = static_cast<double>(1 << n_bits);
  auto x = quantize(uint8_pixels, n_bits).to(dtype) / n_bins - 0.5;
  if (noise_seed) {
    auto gen = at::detail::createCPUGenerator(*noise_seed);
    auto noise = at::empty(x.sizes(), at::TensorOptions().dtype(dtype)).uniform_(0.0, 1.0 / n_bins, gen);
    return x + noise.to(x.device());
  }
  return x + 0.5 / n_bins;
}

at::Tensor to_pixels(const at::Tensor& x, int n_bits) {
  const double n_bins = static_cast<double>(1 << n_bits);
  auto bins = at::floor((x + 0.5) * n_bins).clamp(0.0, n_bins - 1.0);
  return at::round(bins * (255.0 / (n_bins - 1.0))).to(at::kByte);
}

}  // namespace glowlab
