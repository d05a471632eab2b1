// The model file most window and edit tests start from: a tiny untrained flow they give attributes.
#pragma once

#include <cstdint>
#include <vector>

#include "bundle/model_file.h"
#include "data/pixels.h"
#include "flow/glow.h"
#include "testutil.h"

namespace glowlab::test {

// L=2, K=2, width 16 at `size`, weights from `seed`, ActNorm initialised on 8 random images (seeds
// first_image .. first_image + 7); the global torch seed is left where the weights took it.
inline ModelFile tiny_model_file(int size, uint64_t seed, int first_image = 0) {
  at::manual_seed(seed);
  ModelFile mf;
  mf.glow = Glow(tiny_config(size, 2, 2, 16));
  std::vector<Image> init;
  for (int i = 0; i < 8; ++i) init.push_back(random_image(size, 3, static_cast<uint64_t>(first_image + i)));
  mf.glow->initialize(to_model_input(images_to_uint8(init), 8, at::kFloat, 1));
  return mf;
}

}  // namespace glowlab::test
