// A CelebA-layout folder of toy faces made at test time (test_train, test_directions): a smooth
// background and a blob whose colour says attribute "Red"; attribute "Even" by index.
#pragma once

#include <QDir>
#include <QString>
#include <QTemporaryDir>

#include <cstdio>
#include <fstream>

#include "glowlab.h"
#include "testutil.h"

namespace glowlab::test {

// A face-like toy: a smooth background and a blob whose colour says attribute "Red" (+1) or not.
inline Image toy_image(int size, int i, bool red) {
  Image im{size, size, 3, std::vector<std::uint8_t>(static_cast<size_t>(size) * size * 3)};
  const double cx = size * (0.4 + 0.2 * ((i * 7) % 5) / 4.0), cy = size * (0.4 + 0.2 * ((i * 3) % 5) / 4.0);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const double r2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
      const bool in = r2 < size * size / 10.0;
      const int base = 40 + (x + y) * 60 / size + (i % 4) * 10;
      const int v[3] = {in ? (red ? 220 : 60) : base, in ? 80 : base + 20, in ? (red ? 60 : 200) : base + 40};
      for (int c = 0; c < 3; ++c) im.bytes[(static_cast<size_t>(y) * size + x) * 3 + c] = static_cast<std::uint8_t>(v[c]);
    }
  }
  return im;
}

inline void write_text(const QString& path, const std::string& text) {
  std::ofstream(path.toStdString()) << text;
}

// A CelebA-layout folder of n toy images (the last `test` of them held out), attributes Red, Even.
inline QString make_celeba(const QTemporaryDir& dir, int n, int test, int size = 16) {
  const QString root = dir.path() + "/celeba";
  QDir().mkpath(root + "/img_align_celeba");
  std::string attrs = std::to_string(n) + "\nRed Even\n", part;
  for (int i = 0; i < n; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%06d.png", i + 1);
    const bool red = (i * 37) % 3 == 0;
    write_image((root + "/img_align_celeba/" + name).toStdString(), toy_image(size, i, red));
    attrs += std::string(name) + (red ? "  1" : " -1") + (i % 2 == 0 ? "  1" : " -1") + "\n";
    part += std::string(name) + (i >= n - test ? " 2\n" : " 0\n");
  }
  write_text(root + "/list_attr_celeba.txt", attrs);
  write_text(root + "/list_eval_partition.txt", part);
  return root;
}

inline TrainOptions tiny_options(const QString& data, const QString& run) {
  TrainOptions o;
  o.data = {data.toStdString()};
  o.run_dir = run.toStdString();
  o.config = tiny_config(16, 2, 2, 16);
  o.batch = 8;
  o.lr = 2e-3;
  o.warmup_steps = 5;
  o.test_images = 8;
  o.sample_count = 4;
  o.init_batch = 32;
  o.seed = 5;
  o.checkpoint_minutes = 1e9;
  return o;
}

}  // namespace glowlab::test
