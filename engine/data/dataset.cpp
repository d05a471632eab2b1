#include "data/dataset.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/celeba.h"
#include "data/pixels.h"
#include "vision/image_io.h"

namespace glowlab {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCacheMagic = "GLOWLAB-PACK-1\n";
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
  if (bytes.size() != start + img_bytes + lab_bytes + static_cast<std::size_t>(count)) return false;
  out.images = at::empty({count, c, s, s}, at::kByte);
  // Empty tensors may have no data pointer, and memcpy's must never be null, even for 0 bytes.
  if (img_bytes > 0) std::memcpy(out.images.data_ptr(), bytes.data() + start, img_bytes);
  out.labels = at::empty({count, a}, at::kChar);
  if (lab_bytes > 0) std::memcpy(out.labels.data_ptr(), bytes.data() + start + img_bytes, lab_bytes);
  out.partition.assign(bytes.begin() + static_cast<long>(start + img_bytes + lab_bytes), bytes.end());
  out.attribute_names = h["names"].get<std::vector<std::string>>();
  return true;
}

void write_cache(const std::string& file, const std::string& signature, const Dataset& d) {
  nlohmann::json h = {{"signature", signature}, {"n", d.images.size(0)}, {"c", d.images.size(1)},
                      {"s", d.images.size(2)},  {"a", d.labels.size(1)}, {"names", d.attribute_names}};
  const std::string json = h.dump();
  std::string out = kCacheMagic;
  const uint64_t n = json.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  out += json;
  out.append(static_cast<const char*>(d.images.data_ptr()), static_cast<std::size_t>(d.images.numel()));
  out.append(static_cast<const char*>(d.labels.data_ptr()), static_cast<std::size_t>(d.labels.numel()));
  out.append(reinterpret_cast<const char*>(d.partition.data()), d.partition.size());
  std::error_code ec;
  fs::create_directories(fs::path(file).parent_path(), ec);
  write_file_atomic(file, out);
}

// Decodes `files` into a uint8 tensor, skipping unreadable ones; `keep` receives the kept indices.
at::Tensor decode_images(const std::vector<std::string>& files, const DatasetOptions& o, bool celeba,
                         std::vector<std::size_t>& keep) {
  std::vector<Image> images;
  for (std::size_t i = 0; i < files.size(); ++i) {
    try {
      const Image im = read_image(files[i], o.channels);
      images.push_back(celeba ? celeba_crop(im, o.image_size) : fit_square(im, o.image_size));
      keep.push_back(i);
    } catch (const Error& e) {
      if (o.warn) o.warn(std::string("skipped ") + e.what());
    }
    if (o.progress && (i % 500 == 0 || i + 1 == files.size())) o.progress(static_cast<double>(i + 1) / files.size());
  }
  if (images.empty()) throw Error(ErrorKind::Io, "no readable images among " + std::to_string(files.size()) + " files");
  return images_to_uint8(images);
}

Dataset load_celeba(const std::string& dir, const DatasetOptions& o) {
  const std::string attr_file = dir + "/list_attr_celeba.txt";
  const auto attrs = parse_celeba_attributes(attr_file);
  std::map<std::string, int> part;
  const std::string part_file = dir + "/list_eval_partition.txt";
  if (fs::exists(part_file)) part = parse_celeba_partition(part_file);
  std::vector<std::string> files;
  const std::size_t n = o.limit > 0 ? std::min<std::size_t>(attrs.files.size(), static_cast<std::size_t>(o.limit))
                                    : attrs.files.size();
  for (std::size_t i = 0; i < n; ++i) files.push_back(dir + "/img_align_celeba/" + attrs.files[i]);
  std::vector<std::size_t> keep;
  Dataset d;
  d.images = decode_images(files, o, /*celeba=*/true, keep);
  d.attribute_names = attrs.names;
  d.labels = at::empty({static_cast<int64_t>(keep.size()), static_cast<int64_t>(attrs.names.size())}, at::kChar);
  for (std::size_t k = 0; k < keep.size(); ++k) {
    const auto& v = attrs.values[keep[k]];
    std::memcpy(d.labels.data_ptr<int8_t>() + k * attrs.names.size(), v.data(), v.size());
    auto it = part.find(attrs.files[keep[k]]);
    d.partition.push_back(static_cast<int8_t>(it == part.end() ? 0 : it->second));
  }
  return d;
}

Dataset load_folder(const std::string& dir, const DatasetOptions& o) {
  auto files = list_images(dir);
  if (o.limit > 0 && files.size() > static_cast<std::size_t>(o.limit)) files.resize(static_cast<std::size_t>(o.limit));
  std::vector<std::size_t> keep;
  Dataset d;
  d.images = decode_images(files, o, /*celeba=*/false, keep);
  d.labels = at::empty({d.images.size(0), 0}, at::kChar);
  d.partition.assign(static_cast<std::size_t>(d.images.size(0)), 0);
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

Dataset load_dataset(const std::string& path, const DatasetOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) throw Error(ErrorKind::Io, path + ": not a readable directory");
  std::string kind = o.kind;
  if (kind == "auto") {
    if (fs::exists(path + "/list_attr_celeba.txt")) kind = "celeba";
    else if (fs::exists(path + "/train-images-idx3-ubyte.gz")) kind = "fashion-mnist";
    else kind = "folder";
  }
  if (kind != "celeba" && kind != "folder" && kind != "fashion-mnist") {
    throw Error(ErrorKind::InvalidArgument, "unknown dataset kind '" + kind + "' (auto, celeba, folder, fashion-mnist)");
  }
  // The cache is keyed on the source's files (names, sizes, times) and the decoding options.
  std::string signature = kind + "|" + std::to_string(o.image_size) + "|" + std::to_string(o.channels) + "|" +
                          std::to_string(o.limit) + "|" + fs::absolute(path).string();
  if (!o.cache_dir.empty()) {
    if (kind == "celeba") {
      signature += "|" + stat_signature(path + "/list_attr_celeba.txt") + "|" +
                   stat_signature(path + "/list_eval_partition.txt") + "|" + stat_signature(path + "/img_align_celeba");
    } else if (kind == "folder") {
      for (const auto& f : list_images(path)) signature += "|" + stat_signature(f);
    } else {
      for (const char* f : {"/train-images-idx3-ubyte.gz", "/t10k-images-idx3-ubyte.gz"}) signature += "|" + stat_signature(path + f);
    }
    Dataset cached;
    if (read_cache(cache_path(o, signature), signature, cached)) {
      cached.source = path;
      return cached;
    }
  }
  Dataset d = kind == "celeba" ? load_celeba(path, o) : kind == "folder" ? load_folder(path, o) : load_fashion_mnist(path, o);
  d.source = path;
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
