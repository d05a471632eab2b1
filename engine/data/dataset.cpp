// Datasets: which kind each source is, the packed cache (pack_cache.cpp) in front of decoding
// (decode.cpp, fashion_mnist.cpp), and the held-out split.
#include "data/dataset.h"

#include <algorithm>
#include <filesystem>
#include <limits>

#include "core/error.h"
#include "core/strings.h"
#include "data/decode.h"
#include "data/fashion_mnist.h"
#include "data/pack_cache.h"
#include "data/sources.h"

namespace glowlab {
namespace fs = std::filesystem;
namespace {

// Each path's kind (options.kind, or detected); throws Error naming a path that is not a folder,
// an unknown kind, or Fashion-MNIST among other sources.
std::vector<std::string> source_kinds(const std::vector<std::string>& paths, const DatasetOptions& o) {
  std::vector<std::string> kinds;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) throw Error(ErrorKind::Io, path + ": not a readable directory");
    const std::string kind = o.kind == "auto" ? dataset_detail::detect_kind(path) : o.kind;
    if (kind != "celeba" && kind != "folder" && kind != "fashion-mnist" && kind != "utkface") {
      throw Error(ErrorKind::InvalidArgument, "unknown dataset kind '" + kind + "' (auto, celeba, utkface, folder, fashion-mnist)");
    }
    if (kind == "fashion-mnist" && paths.size() > 1) {
      throw Error(ErrorKind::InvalidArgument, path + ": Fashion-MNIST cannot be combined with other sources");
    }
    kinds.push_back(kind);
  }
  return kinds;
}

// The sources decoded: Fashion-MNIST alone, or the photo sources as one set.
Dataset load_uncached(const std::vector<std::string>& paths, const std::vector<std::string>& kinds, const DatasetOptions& o) {
  using namespace dataset_detail;
  if (kinds[0] == "fashion-mnist") {
    if (o.align) throw Error(ErrorKind::InvalidArgument, paths[0] + ": Fashion-MNIST has no faces to align");
    Dataset d = load_fashion_mnist(paths[0], o);
    d.ages = at::full({d.size()}, std::numeric_limits<float>::quiet_NaN(), at::kFloat);
    return d;
  }
  std::vector<Source> sources;
  for (std::size_t k = 0; k < paths.size(); ++k) {
    sources.push_back(kinds[k] == "celeba" ? list_celeba(paths[k], o) : list_folder(paths[k], o, kinds[k] == "utkface"));
  }
  return decode_sources(sources, o);
}

}  // namespace

Dataset Dataset::split(int part) const {
  std::vector<int64_t> idx;
  for (std::size_t i = 0; i < partition.size(); ++i) {
    if (partition[i] == part) idx.push_back(static_cast<int64_t>(i));
  }
  Dataset d;
  const auto index = at::tensor(idx, at::kLong);
  d.images = images.index_select(0, index);
  d.labels = labels.index_select(0, index);
  d.attribute_names = attribute_names;
  if (ages.defined()) d.ages = ages.index_select(0, index);
  d.framing = framing;
  d.partition.assign(idx.size(), static_cast<int8_t>(part));
  d.source = source;
  return d;
}

Dataset Dataset::held_out() const {
  const bool has_test = std::find(partition.begin(), partition.end(), 2) != partition.end();
  return split(has_test ? 2 : 1);
}

std::string join_sources(const std::vector<std::string>& paths) { return join(paths, " + "); }

Dataset load_dataset(const std::string& path, const DatasetOptions& o) { return load_datasets({path}, o); }

Dataset load_datasets(const std::vector<std::string>& paths, const DatasetOptions& o) {
  if (paths.empty()) throw Error(ErrorKind::InvalidArgument, "no dataset given");
  const auto kinds = source_kinds(paths, o);
  // The cache is keyed on the sources' files (names, sizes, times) and the decoding options.
  const std::string signature = dataset_detail::cache_signature(paths, kinds, o);
  if (!o.cache_dir.empty()) {
    Dataset cached;
    if (dataset_detail::read_cached(o, signature, cached)) {
      cached.source = join_sources(paths);
      return cached;
    }
  }
  Dataset d = load_uncached(paths, kinds, o);
  d.source = join_sources(paths);
  if (!o.cache_dir.empty()) {
    try {
      dataset_detail::write_cached(o, signature, d);
    } catch (const Error& e) {
      if (o.warn) o.warn(std::string("could not write the dataset cache: ") + e.what());
    }
  }
  return d;
}

}  // namespace glowlab
