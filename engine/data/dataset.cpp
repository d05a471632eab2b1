#include "data/dataset.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/celeba.h"
#include "data/pixels.h"
#include "vision/image_io.h"
#ifdef GLOWLAB_HAVE_OPENCV
#include "vision/face_align.h"
#endif

namespace glowlab {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCacheMagic = "GLOWLAB-PACK-2\n";
// Aligned sets: dlib finds faces on a copy whose longer side is about this (small photos enlarged).
constexpr int kDatasetDetectSide = 400;
constexpr std::size_t kMaxIdxBytes = std::size_t{1} << 31;

// Aligned CelebA is 178x218; the usual crop is its central 148x148 square.
constexpr int kCelebaWidth = 178;
constexpr int kCelebaCrop = 148;

Image celeba_crop(const Image& im, int size) {
  if (im.height > im.width) {
    const int side = std::max(1, im.width * kCelebaCrop / kCelebaWidth);
    return crop_resize(im, (im.width - side) / 2, (im.height - side) / 2, side, side, size);
  }
  return fit_square(im, size);
}

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

// The square a source's photo is cropped to without alignment: aligned CelebA's central 148/178
// of the width, any other photo's centre square. {x0, y0, side} in photo pixels.
std::array<double, 3> plain_square(const Image& im, bool celeba) {
  const int side = celeba && im.height > im.width ? std::max(1, im.width * kCelebaCrop / kCelebaWidth) : std::min(im.width, im.height);
  return {static_cast<double>((im.width - side) / 2), static_cast<double>((im.height - side) / 2), static_cast<double>(side)};
}

// Decodes the entries into crops; `keep` receives the indices kept (unreadable photos, and with
// alignment photos without a face, are skipped).
std::vector<Image> decode_entries(const std::vector<Entry>& entries, const DatasetOptions& o, std::vector<std::size_t>& keep,
                                  std::vector<double>& framing, std::int64_t& no_face) {
  std::vector<Image> images;
  const std::size_t n = entries.size();
  auto progress = [&](std::size_t i, double from, double span) {
    if (o.progress && (i % 500 == 0 || i + 1 == n)) o.progress(from + span * static_cast<double>(i + 1) / n);
  };
  if (!o.align) {
    for (std::size_t i = 0; i < n; ++i) {
      try {
        const Image im = read_image(entries[i].file, o.channels);
        images.push_back(entries[i].celeba ? celeba_crop(im, o.image_size) : fit_square(im, o.image_size));
        keep.push_back(i);
      } catch (const Error& e) {
        if (o.warn) o.warn(std::string("skipped ") + e.what());
      }
      progress(i, 0.0, 1.0);
    }
    return images;
  }
#ifdef GLOWLAB_HAVE_OPENCV
  // Pass 1: every photo's five landmarks (the slow part: dlib's detector), and their mean in each
  // photo's plain square, which frames a new model.
  // One worker per core, each with its own detector (find_face_landmarks is thread-safe); results
  // are kept per photo, so the outcome does not depend on the number of workers.
  enum class Found : std::int8_t { Unread, Face, NoFace };
  std::vector<std::array<double, 10>> all_points(n);
  std::vector<std::array<double, 3>> squares(n);
  std::vector<Found> state(n, Found::Unread);
  std::vector<std::string> errors(n);
  std::atomic<std::size_t> next{0}, done{0};
  auto work = [&](bool reports) {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        const Image im = read_image(entries[i].file, o.channels);
        squares[i] = plain_square(im, entries[i].celeba);
        state[i] = find_face_landmarks(im, all_points[i], errors[i], kDatasetDetectSide) ? Found::Face : Found::NoFace;
      } catch (const Error& e) {
        errors[i] = e.what();
      }
      const std::size_t d = ++done;
      if (reports) progress(d - 1, 0.0, 0.9);
    }
  };
  {
    const unsigned workers = std::clamp(std::thread::hardware_concurrency(), 1u, 16u);
    std::vector<std::thread> pool;
    for (unsigned w = 1; w < workers; ++w) pool.emplace_back(work, false);
    work(true);
    for (auto& t : pool) t.join();
  }
  std::vector<std::array<double, 10>> points;
  std::vector<std::size_t> found;
  std::array<double, 10> sum{};
  std::string first_why;
  for (std::size_t i = 0; i < n; ++i) {
    if (state[i] == Found::Face) {
      const auto& p = all_points[i];
      const auto& sq = squares[i];
      for (std::size_t k = 0; k < 10; ++k) sum[k] += (p[k] + 0.5 - sq[k % 2]) / sq[2];
      points.push_back(p);
      found.push_back(i);
    } else if (state[i] == Found::NoFace) {
      ++no_face;
      if (first_why.empty()) first_why = entries[i].file + ": " + errors[i];
    } else if (o.warn) {
      o.warn("skipped " + errors[i]);
    }
  }
  if (found.empty()) {
    throw Error(ErrorKind::NoFace, "no face found in any of " + std::to_string(n) + " photos" +
                                       (first_why.empty() ? std::string() : " (first: " + first_why + ")"));
  }
  if (framing.empty()) {
    for (std::size_t k = 0; k < 10; ++k) framing.push_back(std::clamp(sum[k] / static_cast<double>(found.size()), 0.0, 1.0));
  }
  // Pass 2: each photo mapped onto the framing, exactly as the window maps a user's photo.
  for (std::size_t j = 0; j < found.size(); ++j) {
    const Image im = read_image(entries[found[j]].file, o.channels);
    images.push_back(align_to_landmarks(im, o.image_size, points[j], framing).crop);
    keep.push_back(found[j]);
    progress(j * n / found.size(), 0.9, 0.1);
  }
  return images;
#else
  (void)framing;
  (void)no_face;
  throw Error(ErrorKind::InvalidArgument, "aligning photos needs OpenCV and dlib, which this build lacks");
#endif
}

// Every source's photos as one set, decoded (and aligned) together.
Dataset decode_sources(const std::vector<Source>& sources, const DatasetOptions& o) {
  std::vector<std::string> names;
  for (const auto& s : sources) {
    for (const auto& a : s.names) {
      if (std::find(names.begin(), names.end(), a) == names.end()) names.push_back(a);
    }
  }
  std::vector<Entry> entries;
  std::vector<std::vector<std::int64_t>> columns;  // per source: its attributes' columns in `names`
  std::vector<std::size_t> source_of;
  for (std::size_t k = 0; k < sources.size(); ++k) {
    std::vector<std::int64_t> cols;
    for (const auto& a : sources[k].names) cols.push_back(std::find(names.begin(), names.end(), a) - names.begin());
    columns.push_back(cols);
    for (const auto& e : sources[k].entries) {
      entries.push_back(e);
      source_of.push_back(k);
    }
  }
  if (entries.empty()) throw Error(ErrorKind::Io, join_sources([&] {
                                     std::vector<std::string> p;
                                     for (const auto& s : sources) p.push_back(s.path);
                                     return p;
                                   }()) + ": no images");
  std::vector<std::size_t> keep;
  Dataset d;
  d.framing = o.framing;
  const auto images = decode_entries(entries, o, keep, d.framing, d.skipped_no_face);
  if (images.empty()) throw Error(ErrorKind::Io, "no readable images among " + std::to_string(entries.size()) + " files");
  if (!o.align) d.framing.clear();
  d.images = images_to_uint8(images);
  d.attribute_names = names;
  const auto a = static_cast<std::int64_t>(names.size());
  d.labels = at::zeros({static_cast<std::int64_t>(keep.size()), a}, at::kChar);
  d.ages = at::empty({static_cast<std::int64_t>(keep.size())}, at::kFloat);
  auto* lab = d.labels.data_ptr<std::int8_t>();
  auto* age = d.ages.data_ptr<float>();
  for (std::size_t r = 0; r < keep.size(); ++r) {
    const auto& e = entries[keep[r]];
    const auto& cols = columns[source_of[keep[r]]];
    for (std::size_t c = 0; c < e.labels.size() && c < cols.size(); ++c) lab[static_cast<std::int64_t>(r) * a + cols[c]] = e.labels[c];
    age[r] = e.age;
    d.partition.push_back(e.partition);
  }
  return d;
}

Dataset load_fashion_mnist(const std::string& dir, const DatasetOptions& o) {
  Dataset d;
  std::vector<at::Tensor> images, labels;
  for (const char* prefix : {"train", "t10k"}) {
    auto im = read_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz");
    auto lb = read_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz");
    if (im.size(0) != lb.size(0)) {
      throw Error(ErrorKind::Format, dir + "/" + prefix + "-labels-idx1-ubyte.gz: " + std::to_string(lb.size(0)) +
                                         " labels for " + std::to_string(im.size(0)) + " images");
    }
    d.partition.insert(d.partition.end(), static_cast<std::size_t>(im.size(0)), std::string(prefix) == "train" ? 0 : 2);
    images.push_back(im);
    labels.push_back(lb);
  }
  auto im = at::cat(images).unsqueeze(1);  // [N, 1, 28, 28]
  // 28x28 padded to 32x32 (then resized if the model is another size).
  im = at::constant_pad_nd(im, {2, 2, 2, 2}, 0);
  if (o.image_size != 32) {
    im = at::upsample_bilinear2d(im.to(at::kFloat), {o.image_size, o.image_size}, false).round().clamp(0, 255).to(at::kByte);
  }
  if (o.channels == 3) im = im.expand({-1, 3, -1, -1});
  const auto lab = at::cat(labels).to(at::kLong);
  d.images = im.contiguous();
  d.attribute_names = fashion_mnist_classes();
  d.labels = (at::one_hot(lab, 10) * 2 - 1).to(at::kChar);
  if (o.limit > 0 && d.size() > o.limit) {
    d.images = d.images.narrow(0, 0, o.limit).contiguous();
    d.labels = d.labels.narrow(0, 0, o.limit).contiguous();
    d.partition.resize(static_cast<std::size_t>(o.limit));
  }
  return d;
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

namespace {

// Inflates gzip data in memory (concatenated members too, as gzread does; trailing bytes that are
// not another member are ignored, also as gzread does), refusing output past kMaxIdxBytes.
std::string gunzip_idx(const std::string& gz, const std::string& path) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw Error(ErrorKind::Format, path + ": cannot start gzip decoding");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());  // at most kMaxIdxBytes (2 GiB, parse_idx checks): fits
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > kMaxIdxBytes) {
      inflateEnd(&z);
      throw Error(ErrorKind::Format, path + ": decompresses to more than " + std::to_string(kMaxIdxBytes) +
                                         " bytes, the limit for an IDX file");
    }
    if (rc == Z_STREAM_END) {
      const bool another = z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b;
      if (!another) break;
      inflateReset(&z);  // keeps next_in: the next member follows
    } else if (rc != Z_OK) {
      break;  // Z_BUF_ERROR: the input ends inside a member; others: corrupt data
    }
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw Error(ErrorKind::Format, path + ": corrupt gzip data");
  return out;
}

}  // namespace

// The compressed file is held whole; kMaxIdxBytes bounds it as it bounds the inflated bytes.
at::Tensor read_idx(const std::string& path) { return parse_idx(read_file(path, kMaxIdxBytes), path); }

at::Tensor parse_idx(const std::string& data, const std::string& path) {
  if (data.size() > kMaxIdxBytes) {
    throw Error(ErrorKind::Format, path + ": " + std::to_string(data.size()) + " bytes, more than the limit of " +
                                       std::to_string(kMaxIdxBytes) + " for an IDX file");
  }
  const bool gzipped = data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
                       static_cast<unsigned char>(data[1]) == 0x8b;
  const std::string inflated = gzipped ? gunzip_idx(data, path) : std::string();
  const std::string& bytes = gzipped ? inflated : data;
  auto be32 = [&](std::size_t off) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + off);
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  };
  if (bytes.size() < 8) throw Error(ErrorKind::Format, path + ": too short for an IDX header");
  const uint32_t magic = be32(0);
  const uint32_t n = be32(4);
  if (magic == 2049) {
    if (bytes.size() != 8 + static_cast<std::size_t>(n)) {
      throw Error(ErrorKind::Format, path + ": IDX labels declare " + std::to_string(n) + " items but hold " +
                                         std::to_string(bytes.size() - 8) + " bytes");
    }
    auto t = at::empty({static_cast<int64_t>(n)}, at::kByte);
    if (n == 0) return t;  // an empty tensor has no data pointer to copy to, nor a maximum
    std::memcpy(t.data_ptr(), bytes.data() + 8, n);
    if (t.max().item<int>() > 9) throw Error(ErrorKind::Format, path + ": label above 9");
    return t;
  }
  if (magic == 2051) {
    if (bytes.size() < 16) throw Error(ErrorKind::Format, path + ": too short for an IDX image header");
    const uint32_t rows = be32(8), cols = be32(12);
    if (rows != 28 || cols != 28) {
      throw Error(ErrorKind::Format, path + ": images are " + std::to_string(rows) + "x" + std::to_string(cols) +
                                         ", expected 28x28");
    }
    if (bytes.size() != 16 + static_cast<std::size_t>(n) * rows * cols) {
      throw Error(ErrorKind::Format, path + ": IDX images declare " + std::to_string(n) + " items but hold " +
                                         std::to_string(bytes.size() - 16) + " pixel bytes");
    }
    auto t = at::empty({static_cast<int64_t>(n), 28, 28}, at::kByte);
    if (n > 0) std::memcpy(t.data_ptr(), bytes.data() + 16, static_cast<std::size_t>(n) * 784);
    return t;
  }
  throw Error(ErrorKind::Format, path + ": wrong IDX magic number " + std::to_string(magic) +
                                     " (expected 2051 for images or 2049 for labels)");
}

std::string join_sources(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "" : " + ") + p;
  return out;
}

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

bool held_out_by_name(const std::string& name) {
  // FNV-1a, then splitmix64's finaliser: FNV's low bits alone follow the names' characters too
  // closely (its lowest bit is the parity of the odd characters) for a fair one-in-ten.
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ULL;
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
  return (h ^ (h >> 31)) % 10 == 0;
}

Dataset load_dataset(const std::string& path, const DatasetOptions& o) { return load_datasets({path}, o); }

Dataset load_datasets(const std::vector<std::string>& paths, const DatasetOptions& o) {
  if (paths.empty()) throw Error(ErrorKind::InvalidArgument, "no dataset given");
  std::vector<std::string> kinds;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) throw Error(ErrorKind::Io, path + ": not a readable directory");
    const std::string kind = o.kind == "auto" ? detect_kind(path) : o.kind;
    if (kind != "celeba" && kind != "folder" && kind != "fashion-mnist" && kind != "utkface") {
      throw Error(ErrorKind::InvalidArgument, "unknown dataset kind '" + kind + "' (auto, celeba, utkface, folder, fashion-mnist)");
    }
    if (kind == "fashion-mnist" && paths.size() > 1) {
      throw Error(ErrorKind::InvalidArgument, path + ": Fashion-MNIST cannot be combined with other sources");
    }
    kinds.push_back(kind);
  }
  // The cache is keyed on the sources' files (names, sizes, times) and the decoding options.
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
    Dataset cached;
    if (read_cache(cache_path(o, signature), signature, cached)) {
      cached.source = join_sources(paths);
      return cached;
    }
    // A set aligned onto the framing its own photos gave (a new model's) is the same set as one
    // aligned onto that framing given back (the model resumed, or its directions computed).
    if (o.align && !o.framing.empty()) {
      const std::string own = signature.substr(0, signature.find("|align:")) + "|align:[]" +
                              signature.substr(signature.find("|", signature.find("|align:") + 1));
      if (read_cache(cache_path(o, own), own, cached) && cached.framing == o.framing) {
        cached.source = join_sources(paths);
        return cached;
      }
    }
  }
  Dataset d;
  if (kinds[0] == "fashion-mnist") {
    if (o.align) throw Error(ErrorKind::InvalidArgument, paths[0] + ": Fashion-MNIST has no faces to align");
    d = load_fashion_mnist(paths[0], o);
    d.ages = at::full({d.size()}, std::numeric_limits<float>::quiet_NaN(), at::kFloat);
  } else {
    std::vector<Source> sources;
    for (std::size_t k = 0; k < paths.size(); ++k) {
      sources.push_back(kinds[k] == "celeba" ? list_celeba(paths[k], o) : list_folder(paths[k], o, kinds[k] == "utkface"));
    }
    d = decode_sources(sources, o);
  }
  d.source = join_sources(paths);
  if (!o.cache_dir.empty()) {
    try {
      write_cache(cache_path(o, signature), signature, d);
    } catch (const Error& e) {
      if (o.warn) o.warn(std::string("could not write the dataset cache: ") + e.what());
    }
  }
  return d;
}

}  // namespace glowlab
