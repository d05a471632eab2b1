#include "train/batches.h"

#include <vector>

#include <ATen/CPUGeneratorImpl.h>

namespace glowlab {

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a * 0x9E3779B97F4A7C15ULL + b + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

at::Tensor BatchOrder::indices(std::int64_t step, std::int64_t batch) {
  std::vector<std::int64_t> idx;
  for (std::int64_t k = 0; k < batch; ++k) {
    const std::int64_t pos = step * batch + k;
    const std::int64_t epoch = pos / n_;
    if (epoch != epoch_) {
      auto gen = at::detail::createCPUGenerator(mix(seed_, static_cast<std::uint64_t>(epoch)));
      perm_ = at::randperm(n_, gen, at::kLong);
      epoch_ = epoch;
    }
    idx.push_back(perm_.data_ptr<std::int64_t>()[pos % n_]);
  }
  return at::tensor(idx, at::kLong);
}

at::Tensor mirror_some(const at::Tensor& u8, std::uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  const auto pick = at::rand({u8.size(0)}, gen) < 0.5;
  return at::where(pick.view({-1, 1, 1, 1}), u8.flip({3}), u8);
}

}  // namespace glowlab
