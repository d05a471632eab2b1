// Fashion-MNIST: its IDX files (gzip-compressed or raw) read with limits, and the set they make.
#include "data/fashion_mnist.h"

#include <cstring>

#include <zlib.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace glowlab {
namespace {

constexpr std::size_t kMaxIdxBytes = std::size_t{1} << 31;

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

namespace dataset_detail {

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

}  // namespace dataset_detail
}  // namespace glowlab
