// Datasets held in memory as uint8 tensors: CelebA layout, image folders, Fashion-MNIST IDX files,
// with a packed cache so epochs never re-decode images.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

namespace glowlab {

struct Dataset {
  at::Tensor images;                     // uint8 [N, C, S, S]
  at::Tensor labels;                     // int8 [N, A], +1 / -1; [N, 0] when there are none
  std::vector<std::string> attribute_names;
  std::vector<std::int8_t> partition;    // per image: 0 train, 1 valid, 2 test
  at::Tensor ages;                       // float [N]: age in years, NaN where unknown (UTKFace names give it)
  std::vector<double> framing;           // aligned sets: the framing every photo was mapped onto (10 fractions)
  std::int64_t skipped_no_face = 0;      // aligned sets: photos skipped because no face was found
  std::string source;                    // where it came from, for messages

  std::int64_t size() const { return images.defined() ? images.size(0) : 0; }
  // The images whose partition is `part` (0, 1 or 2).
  Dataset split(int part) const;
  // The held-out images: the test partition (2), or the validation one (1) when there is no test.
  Dataset held_out() const;
};

struct DatasetOptions {
  std::string kind = "auto";  // auto, celeba, utkface, folder, fashion-mnist
  int image_size = 64;
  int channels = 3;
  std::int64_t limit = 0;     // at most this many images (0: all)
  std::string cache_dir;      // packed cache folder; empty: no cache
  // Frame every photo as the window does: its largest face's five landmarks (dlib) mapped onto
  // `framing` by a similarity transform (vision/face_align.h). Photos without a face are skipped and
  // counted. An empty framing is taken from the photos themselves: the mean of their landmarks in
  // each source's plain crop (aligned CelebA's central square, other photos' centre square).
  bool align = false;
  std::vector<double> framing;
  std::function<void(const std::string&)> warn;      // a skipped file, by name
  std::function<void(double)> progress;              // decoding progress, 0..1

  // Options for a model's input size: `kind`, image_size x image_size x channels.
  static DatasetOptions for_images(const std::string& kind, int image_size, int channels,
                                   const std::string& cache_dir, std::int64_t limit = 0) {
    DatasetOptions o;
    o.kind = kind;
    o.image_size = image_size;
    o.channels = channels;
    o.cache_dir = cache_dir;
    o.limit = limit;
    return o;
  }
};

// Loads `path`. auto: a folder with list_attr_celeba.txt is CelebA; one with
// train-images-idx3-ubyte.gz is Fashion-MNIST; one whose images are (90% or more) named as UTKFace's
// (AGE_GENDER_RACE_DATE.jpg.chip.jpg) is UTKFace (labels: Male, and ages); any other folder is an
// image folder. Unreadable images are reported through warn and skipped. Throws Error naming the path.
// Held-out split: CelebA's list_eval_partition.txt when present; CelebA folders without it and
// UTKFace folders hold out every photo whose name's hash (FNV-1a, mixed) is 0 mod 10 (partition 2, about
// 10%, the same photos whatever the order, limit or other sources); plain folders are all training.
Dataset load_dataset(const std::string& path, const DatasetOptions& options);
// Several sources as one set (CelebA, UTKFace and plain folders; not Fashion-MNIST): their
// attribute names are merged (0 where a source has no label for one), and with options.align all
// share one framing. One cache entry for the whole set.
Dataset load_datasets(const std::vector<std::string>& paths, const DatasetOptions& options);
// "a + b" for messages.
std::string join_sources(const std::vector<std::string>& paths);
// Whether a file name is UTKFace's (AGE_GENDER_RACE_DATE...): its age (years) and gender (0 male,
// 1 female) when it is.
bool parse_utkface_name(const std::string& file_name, int& age, int& gender);
// The held-out rule above for a file name: true for about one name in ten.
bool held_out_by_name(const std::string& file_name);
// The 64-bit hash behind that rule: also a fixed order of files that follows nothing in their
// names (UTKFace's names begin with the age, so their sorted order is by age).
std::uint64_t name_hash(const std::string& file_name);

// Fashion-MNIST's default location (Debian's dataset-fashion-mnist package).
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
inline const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names{"T_shirt_top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle_boot"};
  return names;
}

// Reads a (gzip-compressed or raw) IDX file: magic 2051 images [N, 28, 28] or 2049 labels [N].
// Throws Error(Io) if unreadable, Error(Format) naming the file on a wrong magic number or size,
// corrupt gzip data, or more than 2 GiB once inflated.
at::Tensor read_idx(const std::string& path);
// The same from the file's bytes (raw or gzip); `path` is used in messages only.
at::Tensor parse_idx(const std::string& bytes, const std::string& path);

}  // namespace glowlab
