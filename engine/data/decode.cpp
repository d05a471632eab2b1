// Listed photos -> one set of crops (decode.h): plain crops, or with alignment two passes, the
// landmarks of every photo first (which frame a new model), then each photo mapped onto the framing.
#include "data/decode.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <thread>

#include "core/error.h"
#include "data/celeba.h"
#include "data/pixels.h"
#include "vision/image_io.h"
#ifdef GLOWLAB_HAVE_OPENCV
#include "vision/face_align.h"
#endif

namespace glowlab::dataset_detail {
namespace {

// Aligned sets: dlib finds faces on a copy whose longer side is about this (small photos enlarged).
constexpr int kDatasetDetectSide = 400;

Image celeba_crop(const Image& im, int size) {
  if (im.height > im.width) {
    const auto [x0, y0, side] = plain_square(im.width, im.height, true);
    const int s = static_cast<int>(side);
    return crop_resize(im, static_cast<int>(x0), static_cast<int>(y0), s, s, size);
  }
  return fit_square(im, size);
}

// options.progress for photo i of n, as a part [from, from + span) of the whole; every 500 photos.
void report(const DatasetOptions& o, std::size_t i, std::size_t n, double from, double span) {
  if (o.progress && (i % 500 == 0 || i + 1 == n)) o.progress(from + span * static_cast<double>(i + 1) / n);
}

// Without alignment: each photo's plain crop; `keep` receives the indices of those read.
std::vector<Image> decode_plain(const std::vector<Entry>& entries, const DatasetOptions& o, std::vector<std::size_t>& keep) {
  std::vector<Image> images;
  const std::size_t n = entries.size();
  for (std::size_t i = 0; i < n; ++i) {
    try {
      const Image im = read_image(entries[i].file, o.channels);
      images.push_back(entries[i].celeba ? celeba_crop(im, o.image_size) : fit_square(im, o.image_size));
      keep.push_back(i);
    } catch (const Error& e) {
      if (o.warn) o.warn(std::string("skipped ") + e.what());
    }
    report(o, i, n, 0.0, 1.0);
  }
  return images;
}

#ifdef GLOWLAB_HAVE_OPENCV
// Pass 1's outcome, per photo.
struct Landmarks {
  enum class Found : std::int8_t { Unread, Face, NoFace };
  std::vector<std::array<double, 10>> points;  // photo pixels, when Face
  std::vector<std::array<double, 3>> squares;  // its plain_square, when read
  std::vector<Found> state;
  std::vector<std::string> errors;             // why not Face
};

// Every photo's five landmarks (the slow part: dlib's detector). One worker per core, each with its
// own detector (find_face_landmarks is thread-safe); results are kept per photo, so the outcome
// does not depend on the number of workers.
Landmarks find_all_landmarks(const std::vector<Entry>& entries, const DatasetOptions& o) {
  const std::size_t n = entries.size();
  Landmarks l;
  l.points.resize(n);
  l.squares.resize(n);
  l.state.assign(n, Landmarks::Found::Unread);
  l.errors.resize(n);
  std::atomic<std::size_t> next{0}, done{0};
  auto work = [&](bool reports) {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        const Image im = read_image(entries[i].file, o.channels);
        l.squares[i] = plain_square(im.width, im.height, entries[i].celeba);
        l.state[i] = find_face_landmarks(im, l.points[i], l.errors[i], kDatasetDetectSide) ? Landmarks::Found::Face
                                                                                          : Landmarks::Found::NoFace;
      } catch (const Error& e) {
        l.errors[i] = e.what();
      }
      const std::size_t d = ++done;
      if (reports) report(o, d - 1, n, 0.0, 0.9);
    }
  };
  const unsigned workers = std::clamp(std::thread::hardware_concurrency(), 1u, 16u);
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < workers; ++w) pool.emplace_back(work, false);
  work(true);
  for (auto& t : pool) t.join();
  return l;
}

// The photos with a face (`found`, their `points`); the others counted in `no_face` or warned of.
// An empty `framing` becomes the mean of the landmarks in each photo's plain square, which frames a
// new model. Throws Error(NoFace) when no photo has a face.
void choose_faces(const std::vector<Entry>& entries, const DatasetOptions& o, const Landmarks& l,
                  std::vector<std::size_t>& found, std::vector<std::array<double, 10>>& points,
                  std::vector<double>& framing, std::int64_t& no_face) {
  const std::size_t n = entries.size();
  std::array<double, 10> sum{};
  std::string first_why;
  for (std::size_t i = 0; i < n; ++i) {
    if (l.state[i] == Landmarks::Found::Face) {
      const auto& p = l.points[i];
      const auto& sq = l.squares[i];
      for (std::size_t k = 0; k < 10; ++k) sum[k] += (p[k] + 0.5 - sq[k % 2]) / sq[2];
      points.push_back(p);
      found.push_back(i);
    } else if (l.state[i] == Landmarks::Found::NoFace) {
      ++no_face;
      if (first_why.empty()) first_why = entries[i].file + ": " + l.errors[i];
    } else if (o.warn) {
      o.warn("skipped " + l.errors[i]);
    }
  }
  if (found.empty()) {
    throw Error(ErrorKind::NoFace, "no face found in any of " + std::to_string(n) + " photos" +
                                       (first_why.empty() ? std::string() : " (first: " + first_why + ")"));
  }
  if (framing.empty()) {
    for (std::size_t k = 0; k < 10; ++k) framing.push_back(std::clamp(sum[k] / static_cast<double>(found.size()), 0.0, 1.0));
  }
}
#endif

// Decodes the entries into crops; `keep` receives the indices kept (unreadable photos, and with
// alignment photos without a face, are skipped).
std::vector<Image> decode_entries(const std::vector<Entry>& entries, const DatasetOptions& o, std::vector<std::size_t>& keep,
                                  std::vector<double>& framing, std::int64_t& no_face) {
  if (!o.align) return decode_plain(entries, o, keep);
#ifdef GLOWLAB_HAVE_OPENCV
  const std::size_t n = entries.size();
  const Landmarks landmarks = find_all_landmarks(entries, o);
  std::vector<std::size_t> found;
  std::vector<std::array<double, 10>> points;
  choose_faces(entries, o, landmarks, found, points, framing, no_face);
  // Pass 2: each photo mapped onto the framing, exactly as the window maps a user's photo.
  std::vector<Image> images;
  for (std::size_t j = 0; j < found.size(); ++j) {
    const Image im = read_image(entries[found[j]].file, o.channels);
    images.push_back(align_to_landmarks(im, o.image_size, points[j], framing).crop);
    keep.push_back(found[j]);
    report(o, j * n / found.size(), n, 0.9, 0.1);
  }
  return images;
#else
  (void)framing;
  (void)no_face;
  throw Error(ErrorKind::InvalidArgument, "aligning photos needs OpenCV and dlib, which this build lacks");
#endif
}

}  // namespace

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

}  // namespace glowlab::dataset_detail
