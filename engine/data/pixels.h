// The one place where pixels become tensors and back, with n-bit quantisation and dequantisation.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <ATen/ATen.h>

#include "core/image.h"

namespace glowlab {

// Stacks same-sized images into a uint8 tensor [B, C, H, W] (copies; never aliases the images).
at::Tensor images_to_uint8(const std::vector<Image>& images);
// One image of a uint8 [C, H, W] tensor (copied to the CPU).
Image uint8_to_image(const at::Tensor& chw);

// Quantised bin index of each 8-bit pixel: floor(p * n_bins / 256).
at::Tensor quantize(const at::Tensor& uint8_pixels, int n_bits);
// Model input in [-0.5, 0.5]: bin / n_bins - 0.5 plus either uniform noise in [0, 1/n_bins) drawn
// from `noise_seed` (training, likelihoods) or the bin centre 0.5/n_bins (exact encoding).
at::Tensor to_model_input(const at::Tensor& uint8_pixels, int n_bits, at::ScalarType dtype,
                          std::optional<uint64_t> noise_seed);
// Model output -> 8-bit pixels: bin = clamp(floor((x + 0.5) * n_bins)), pixel = round(bin*255/(n_bins-1)).
// quantize() of the result gives back the bin exactly.
at::Tensor to_pixels(const at::Tensor& x, int n_bits);

// Per image of a decoded batch x [B, ...] (model range [-0.5, 0.5], `n_bins` levels): true when
// every value is finite and almost none lie more than kCleanBinsBeyond bins outside the range (at
// most kCleanShareBeyond of them). to_pixels clamps such values to 0 or 255 channel by channel,
// which paints saturated cyan, magenta and yellow where an edit leaves the images the model knows;
// a runaway inverse fails too. Bool [B] on the CPU.
inline constexpr double kCleanBinsBeyond = 2.0;
inline constexpr double kCleanShareBeyond = 0.002;
at::Tensor clean_decodes(const at::Tensor& x, int n_bins);
// The share of each image's values that lie more than kCleanBinsBeyond bins outside the range
// (non-finite values count as outside): what clean_decodes bounds. Float [B] on the CPU.
at::Tensor share_beyond_range(const at::Tensor& x, int n_bins);

// The colour noise an edit paints: of the change x - base (decoded batches in the model's range,
// both clamped to it, as they are shown), its colour part (the opponent channels R - G and
// (R + G) / 2 - B) minus its 3x3 local mean, as a root mean square over the noisiest 8x8 window
// (stride 4). Real changes of colour (hair, skin, a tint) are smooth and real new detail (a
// glasses frame, teeth) is mostly light and dark; what is left is the rainbow speckle and the
// cyan and magenta an edit paints where it leaves the faces the model knows, even within the
// range. Float [B] on the CPU; zero for grey images. A render is unfit above kCleanColourNoise
// (calibrated by eye on real photos' edits: docs/models/celeba64.md, "The guard").
inline constexpr double kCleanColourNoise = 0.056;
at::Tensor colour_noise(const at::Tensor& x, const at::Tensor& base);

// Decoded images [B, C, H, W] (model range, `n_bits`) not fit to show: not clean (above), all
// but black (no pixel above 8 of 255), or, an edit given the unedited decodes `base`, painting
// colour noise over them, as the guard finds. Bool [B] on the CPU. The judge counts these at the
// ends of the ranges, and `attributes` ends a range before they become common.
at::Tensor unfit_decodes(const at::Tensor& x, int n_bits, const at::Tensor& base = {});

}  // namespace glowlab
