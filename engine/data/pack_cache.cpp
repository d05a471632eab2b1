// The packed cache (pack_cache.h): a magic line, a JSON header with the signature, then the raw
// images, labels, partitions and ages.
#include "data/pack_cache.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "vision/image_io.h"

namespace glowlab::dataset_detail {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCacheMagic = "GLOWLAB-PACK-2\n";

std::string stat_signature(const std::string& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  const auto time = fs::last_write_time(p, ec).time_since_epoch().count();
  return p + ":" + std::to_string(ec ? 0 : size) + ":" + std::to_string(ec ? 0 : time);
}

// FNV-1a, 64 bits: the same name for the same key in every build (std::hash promises no such
// thing). The key itself is stored in the file and compared, so a collision is only a miss.
std::string cache_path(const DatasetOptions& o, const std::string& signature) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : signature) h = (h ^ ch) * 1099511628211ULL;
  std::ostringstream name;
  name << o.cache_dir << "/dataset-" << std::hex << std::setw(16) << std::setfill('0') << h << ".pack";
  return name.str();
}

bool read_cache(const std::string& file, const std::string& signature, Dataset& out) {
  std::string bytes;
  try {
    bytes = read_file(file, std::size_t{16} << 30);
  } catch (const Error&) {
    return false;
  }
  const std::size_t magic = std::strlen(kCacheMagic);
  if (bytes.size() < magic + 8 || bytes.compare(0, magic, kCacheMagic) != 0) return false;
  uint64_t n = 0;
  std::memcpy(&n, bytes.data() + magic, 8);
  if (n > bytes.size() - magic - 8) return false;
  nlohmann::json h = nlohmann::json::parse(bytes.begin() + static_cast<long>(magic + 8),
                                           bytes.begin() + static_cast<long>(magic + 8 + n), nullptr, false);
  if (h.is_discarded() || !h.is_object() || h.value("signature", "") != signature) return false;
  // Everything read is checked: a damaged cache is a miss (and is rebuilt), never a crash.
  auto small = [&](const char* key, int64_t max) {
    return h.contains(key) && h[key].is_number_integer() && h[key].get<int64_t>() >= 0 && h[key].get<int64_t>() <= max;
  };
  if (!small("n", int64_t{1} << 32) || !small("c", 4) || !small("s", 4096) || !small("a", 1024)) return false;
  const int64_t count = h["n"], c = h["c"], s = h["s"], a = h["a"];
  if (!h.contains("names") || !h["names"].is_array() || static_cast<int64_t>(h["names"].size()) != a) return false;
  for (const auto& name : h["names"]) {
    if (!name.is_string()) return false;
  }
  const std::size_t img_bytes = static_cast<std::size_t>(count * c * s * s), lab_bytes = static_cast<std::size_t>(count * a);
  const std::size_t start = magic + 8 + n;
  const std::size_t age_bytes = static_cast<std::size_t>(count) * sizeof(float);
  if (bytes.size() != start + img_bytes + lab_bytes + static_cast<std::size_t>(count) + age_bytes) return false;
  if (!h.contains("framing") || !h["framing"].is_array() || !small("skipped", int64_t{1} << 32)) return false;
  for (const auto& v : h["framing"]) {
    if (!v.is_number()) return false;
  }
  out.images = at::empty({count, c, s, s}, at::kByte);
  // Empty tensors may have no data pointer, and memcpy's must never be null, even for 0 bytes.
  if (img_bytes > 0) std::memcpy(out.images.data_ptr(), bytes.data() + start, img_bytes);
  out.labels = at::empty({count, a}, at::kChar);
  if (lab_bytes > 0) std::memcpy(out.labels.data_ptr(), bytes.data() + start + img_bytes, lab_bytes);
  const std::size_t part_at = start + img_bytes + lab_bytes;
  out.partition.assign(bytes.begin() + static_cast<long>(part_at), bytes.begin() + static_cast<long>(part_at + count));
  out.ages = at::empty({count}, at::kFloat);
  if (age_bytes > 0) std::memcpy(out.ages.data_ptr(), bytes.data() + part_at + count, age_bytes);
  out.attribute_names = h["names"].get<std::vector<std::string>>();
  out.framing = h["framing"].get<std::vector<double>>();
  out.skipped_no_face = h["skipped"].get<int64_t>();
  return true;
}

void write_cache(const std::string& file, const std::string& signature, const Dataset& d) {
  nlohmann::json h = {{"signature", signature}, {"n", d.images.size(0)}, {"c", d.images.size(1)},
                      {"s", d.images.size(2)},  {"a", d.labels.size(1)}, {"names", d.attribute_names},
                      {"framing", d.framing}, {"skipped", d.skipped_no_face}};
  const std::string json = h.dump();
  std::string out = kCacheMagic;
  const uint64_t n = json.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  out += json;
  out.append(static_cast<const char*>(d.images.data_ptr()), static_cast<std::size_t>(d.images.numel()));
  out.append(static_cast<const char*>(d.labels.data_ptr()), static_cast<std::size_t>(d.labels.numel()));
  out.append(reinterpret_cast<const char*>(d.partition.data()), d.partition.size());
  const auto ages = d.ages.defined() ? d.ages.contiguous() : at::full({d.size()}, NAN, at::kFloat);
  out.append(static_cast<const char*>(ages.data_ptr()), static_cast<std::size_t>(ages.numel()) * sizeof(float));
  std::error_code ec;
  fs::create_directories(fs::path(file).parent_path(), ec);
  write_file_atomic(file, out);
}

}  // namespace

std::string cache_signature(const std::vector<std::string>& paths, const std::vector<std::string>& kinds,
                            const DatasetOptions& o) {
  // "split2": the held-out rule's version (held_out_by_name), which the cached partition follows.
  std::string signature = "split2|" + std::to_string(o.image_size) + "|" + std::to_string(o.channels) + "|" + std::to_string(o.limit);
  if (o.align) signature += "|align:" + nlohmann::json(o.framing).dump();
  for (std::size_t k = 0; k < paths.size(); ++k) signature += "|" + kinds[k] + "|" + fs::absolute(paths[k]).string();
  if (!o.cache_dir.empty()) {
    for (std::size_t k = 0; k < paths.size(); ++k) {
      const auto& path = paths[k];
      if (kinds[k] == "celeba") {
        signature += "|" + stat_signature(path + "/list_attr_celeba.txt") + "|" +
                     stat_signature(path + "/list_eval_partition.txt") + "|" + stat_signature(path + "/img_align_celeba");
      } else if (kinds[k] == "fashion-mnist") {
        for (const char* f : {"/train-images-idx3-ubyte.gz", "/t10k-images-idx3-ubyte.gz"}) signature += "|" + stat_signature(path + f);
      } else {
        for (const auto& f : list_images(path)) signature += "|" + stat_signature(f);
      }
    }
  }
  return signature;
}

bool read_cached(const DatasetOptions& o, const std::string& signature, Dataset& out) {
  if (read_cache(cache_path(o, signature), signature, out)) return true;
  // A set aligned onto the framing its own photos gave (a new model's) is the same set as one
  // aligned onto that framing given back (the model resumed, or its directions computed).
  if (o.align && !o.framing.empty()) {
    const std::string own = signature.substr(0, signature.find("|align:")) + "|align:[]" +
                            signature.substr(signature.find("|", signature.find("|align:") + 1));
    if (read_cache(cache_path(o, own), own, out) && out.framing == o.framing) return true;
  }
  return false;
}

void write_cached(const DatasetOptions& o, const std::string& signature, const Dataset& d) {
  write_cache(cache_path(o, signature), signature, d);
}

}  // namespace glowlab::dataset_detail
