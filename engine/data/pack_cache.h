// Internal to the dataset loader: the packed cache, one file per set of sources and decoding options,
// so epochs and later runs never re-decode images.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"

namespace glowlab::dataset_detail {

// The cache key of `paths` (of `kinds`): the decoding options and the sources' folders, and with a
// cache folder every source file's name, size and time.
std::string cache_signature(const std::vector<std::string>& paths, const std::vector<std::string>& kinds,
                            const DatasetOptions& o);

// The set cached under `signature` in options.cache_dir (or, for an aligned set, the one aligned
// onto its own photos' framing when that is options.framing). False: a miss; a damaged file is one.
bool read_cached(const DatasetOptions& o, const std::string& signature, Dataset& out);

// Writes `d` under `signature` in options.cache_dir, atomically. Throws Error on a write failure.
void write_cached(const DatasetOptions& o, const std::string& signature, const Dataset& d);

}  // namespace glowlab::dataset_detail
