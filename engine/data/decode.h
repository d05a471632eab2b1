// Internal to the dataset loader: decoding listed photos into one set of crops, aligned onto one
// framing when asked (the window's own alignment, vision/face_align.h).
#pragma once

#include <vector>

#include "data/dataset.h"
#include "data/sources.h"

namespace glowlab::dataset_detail {

// Every source's photos as one set, decoded (and with options.align, aligned) together: attribute
// names merged in order of appearance (0 where a source has no label for one). Unreadable photos,
// and with alignment photos without a face, are skipped. Throws Error naming the sources when
// none is left.
Dataset decode_sources(const std::vector<Source>& sources, const DatasetOptions& o);

}  // namespace glowlab::dataset_detail
