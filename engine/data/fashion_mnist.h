// Internal to the dataset loader: Fashion-MNIST's IDX files as a dataset (read_idx is in dataset.h).
#pragma once

#include <string>

#include "data/dataset.h"

namespace glowlab::dataset_detail {

// The train (partition 0) and t10k (partition 2) sets of `dir`, 28x28 padded to 32x32 and resized to
// options.image_size, grey or repeated to 3 channels; labels one-hot +1 / -1 over the ten classes.
Dataset load_fashion_mnist(const std::string& dir, const DatasetOptions& o);

}  // namespace glowlab::dataset_detail
