// A dataset folder's kind and its photos before decoding (sources.h), and the UTKFace name and
// held-out rules of dataset.h.
#include "data/sources.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "data/celeba.h"
#include "vision/image_io.h"

namespace glowlab {
namespace fs = std::filesystem;

namespace dataset_detail {

std::string base_name(const std::string& path) { return fs::path(path).filename().string(); }

std::string detect_kind(const std::string& path) {
  if (fs::exists(path + "/list_attr_celeba.txt")) return "celeba";
  if (fs::exists(path + "/train-images-idx3-ubyte.gz")) return "fashion-mnist";
  // UTKFace: at least 90% of the names parse (a few of UTKFace's own are malformed, e.g. gender 3).
  const auto files = list_images(path);
  int age = 0, gender = 0;
  const auto named = std::count_if(files.begin(), files.end(), [&](const std::string& f) {
    return parse_utkface_name(base_name(f), age, gender);
  });
  return !files.empty() && 10 * named >= 9 * static_cast<std::int64_t>(files.size()) ? "utkface" : "folder";
}

Source list_celeba(const std::string& dir, const DatasetOptions& o) {
  const auto attrs = parse_celeba_attributes(dir + "/list_attr_celeba.txt");
  std::map<std::string, int> part;
  const std::string part_file = dir + "/list_eval_partition.txt";
  const bool has_partition = fs::exists(part_file);
  if (has_partition) part = parse_celeba_partition(part_file);
  Source s{dir, "celeba", attrs.names, {}};
  const std::size_t n = o.limit > 0 ? std::min<std::size_t>(attrs.files.size(), static_cast<std::size_t>(o.limit))
                                    : attrs.files.size();
  for (std::size_t i = 0; i < n; ++i) {
    Entry e;
    e.file = dir + "/img_align_celeba/" + attrs.files[i];
    e.celeba = true;
    e.labels = attrs.values[i];
    if (has_partition) {
      auto it = part.find(attrs.files[i]);
      e.partition = static_cast<std::int8_t>(it == part.end() ? 0 : it->second);
    } else {
      e.partition = held_out_by_name(attrs.files[i]) ? 2 : 0;
    }
    s.entries.push_back(std::move(e));
  }
  return s;
}

Source list_folder(const std::string& dir, const DatasetOptions& o, bool utkface) {
  auto files = list_images(dir);
  if (o.limit > 0 && files.size() > static_cast<std::size_t>(o.limit)) files.resize(static_cast<std::size_t>(o.limit));
  Source s{dir, utkface ? "utkface" : "folder", {}, {}};
  if (utkface) s.names = {"Male"};
  for (const auto& f : files) {
    Entry e;
    e.file = f;
    int age = 0, gender = 0;
    if (utkface && parse_utkface_name(base_name(f), age, gender)) {
      e.labels = {static_cast<std::int8_t>(gender == 0 ? 1 : -1)};
      e.age = static_cast<float>(age);
      e.partition = held_out_by_name(base_name(f)) ? 2 : 0;
    } else if (utkface) {
      e.labels = {0};  // a malformed name: no label, no age, held out by the same rule
      e.partition = held_out_by_name(base_name(f)) ? 2 : 0;
    }
    s.entries.push_back(std::move(e));
  }
  return s;
}

}  // namespace dataset_detail

bool parse_utkface_name(const std::string& name, int& age, int& gender) {
  // AGE_GENDER_RACE_DATETIME.jpg(.chip.jpg); a few of UTKFace's names lack RACE (AGE_GENDER_DATETIME).
  std::size_t i = 0;
  // Digits, at most max_digits of them (the date and time run to 17: their value is not needed and
  // would not fit an int, so only the first few are accumulated).
  auto number = [&](int& v, std::size_t max_digits) {
    const std::size_t from = i;
    v = 0;
    while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])) && i - from < max_digits) {
      if (i - from < 4) v = v * 10 + (name[i] - '0');
      ++i;
    }
    return i > from;
  };
  if (!number(age, 3) || i >= name.size() || name[i++] != '_' || age < 1 || age > 130) return false;
  if (!number(gender, 1) || gender > 1 || i >= name.size() || name[i++] != '_') return false;
  int rest = 0;
  return number(rest, 17) && i < name.size();
}

std::uint64_t name_hash(const std::string& name) {
  // FNV-1a, then splitmix64's finaliser: FNV's low bits alone follow the names' characters too
  // closely (its lowest bit is the parity of the odd characters) for a fair one-in-ten.
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ULL;
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
  return h ^ (h >> 31);
}

bool held_out_by_name(const std::string& name) { return name_hash(name) % 10 == 0; }

}  // namespace glowlab
