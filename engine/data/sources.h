// Internal to the dataset loader: a dataset folder's kind, and its photos listed with their labels,
// ages and partitions before any is decoded (CelebA, UTKFace, plain folders).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace glowlab::dataset_detail {

// One photo of a source, before decoding.
struct Entry {
  std::string file;                 // full path
  bool celeba = false;              // aligned CelebA: its plain crop is the central 148/178 square
  std::vector<std::int8_t> labels;  // the source's attributes, +1 / -1
  std::int8_t partition = 0;
  float age = std::numeric_limits<float>::quiet_NaN();
};

struct Source {
  std::string path, kind;
  std::vector<std::string> names;  // attribute names
  std::vector<Entry> entries;
};

// The file name of a path, without its folder.
std::string base_name(const std::string& path);

// celeba, fashion-mnist, utkface or folder, by the rules of load_dataset (dataset.h).
std::string detect_kind(const std::string& path);

// A CelebA folder's photos with its attributes, and its partition file's split (else the held-out
// rule); at most options.limit of them.
Source list_celeba(const std::string& dir, const DatasetOptions& o);

// A folder's photos; as UTKFace (`utkface`), each with Male and its age from the name, held out by
// the held-out rule. At most options.limit of them.
Source list_folder(const std::string& dir, const DatasetOptions& o, bool utkface);

}  // namespace glowlab::dataset_detail
