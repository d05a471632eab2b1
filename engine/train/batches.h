// The trainer's batches: a fixed order over the training images, seeded mirroring, and the seed
// mixing that makes every batch, its noise and its mirroring a function of (seed, step).
#pragma once

#include <cstdint>

#include <ATen/ATen.h>

namespace glowlab {

// A well-spread 64-bit seed from two (splitmix64 of a and b).
std::uint64_t mix(std::uint64_t a, std::uint64_t b);

// Batches in a fixed order: epoch e visits the training images in randperm(seed, e).
class BatchOrder {
 public:
  BatchOrder(std::int64_t n, std::uint64_t seed) : n_(n), seed_(seed) {}
  // The image indices of batch `step` (of `batch` images) as a Long tensor.
  at::Tensor indices(std::int64_t step, std::int64_t batch);

 private:
  std::int64_t n_;
  std::uint64_t seed_;
  std::int64_t epoch_ = -1;
  at::Tensor perm_;
};

// Each image of a uint8 batch [B, C, H, W] mirrored left-right with probability 1/2 (seeded).
at::Tensor mirror_some(const at::Tensor& u8, std::uint64_t seed);

}  // namespace glowlab
