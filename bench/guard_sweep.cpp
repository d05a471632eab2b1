// Guard calibration sweep: each photo's face (aligned as the window aligns it) edited along each
// attribute at evenly spaced strengths up to both ends of its range, each raw decode scored as the
// guard scores it (the share of values more than two bins outside the image's range, the colour
// noise of the change, clean or not) and by the likelihood (the 8-bit decode re-encoded, seed 0: its
// bits/dim, and per latent level the most surprising 4x4 window of eps^2), beside the photo's. Writes
// sweep.csv and, per attribute, a contact sheet to look at and label: a row per photo, its crop
// then the strengths from the range's bottom to its top, each tile framed red where the guard
// would limit the edit. A benchmark's tool, not a test.
//   glowlab-bench-guard [--model M] [--attributes A,B,...] [--steps 4] -o DIR photo...
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "glowlab.h"
#include "model_path.h"

namespace {

struct Args {
  std::string model, output;
  std::vector<std::string> attributes, photos;
  int steps = 4;
  int zoom = 2;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw glowlab::Error(glowlab::ErrorKind::InvalidArgument, arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--model" || arg == "-m") a.model = value();
    else if (arg == "-o" || arg == "--output") a.output = value();
    else if (arg == "--attributes") a.attributes = split_commas(value());
    else if (arg == "--steps") a.steps = std::stoi(value());
    else if (arg == "--zoom") a.zoom = std::stoi(value());
    else if (arg == "--help" || arg == "-h") {
      std::cout << "usage: glowlab-bench-guard [--model M] [--attributes A,B,...] [--steps 4] [--zoom 2] -o DIR photo...\n";
      std::exit(0);
    } else a.photos.push_back(arg);
  }
  if (a.output.empty() || a.photos.empty() || a.steps < 1 || a.zoom < 1) {
    throw glowlab::Error(glowlab::ErrorKind::InvalidArgument, "give -o DIR and at least one photo (see --help)");
  }
  return a;
}

// A grid of tiles, each zoomed by nearest neighbour, with a 2-px frame (red: limited by the guard).
struct Sheet {
  int tile, cols, rows, side;
  glowlab::Image image;
  Sheet(int tile_px, int zoom, int c, int r) : tile(tile_px * zoom + 4), cols(c), rows(r), side(tile_px) {
    image = {cols * tile, rows * tile, 3, std::vector<std::uint8_t>(static_cast<size_t>(cols * tile) * rows * tile * 3, 255)};
  }
  void put(int row, int col, const glowlab::Image& im, bool flagged) {
    const int zoom = (tile - 4) / side;
    for (int y = 0; y < tile; ++y) {
      for (int x = 0; x < tile; ++x) {
        const bool frame = x < 2 || y < 2 || x >= tile - 2 || y >= tile - 2;
        std::uint8_t* o = image.bytes.data() + (static_cast<size_t>(row * tile + y) * image.width + col * tile + x) * 3;
        for (int k = 0; k < 3; ++k) {
          if (frame) o[k] = flagged ? (k == 0 ? 230 : 30) : 255;
          else o[k] = im.bytes[(static_cast<size_t>((y - 2) / zoom) * im.width + (x - 2) / zoom) * im.channels + (im.channels == 3 ? k : 0)];
        }
      }
    }
  }
};

// The most surprising window of each latent level: the largest mean of eps^2 over a 4x4 window of
// positions (all channels), per level, finest first. A flow's latent is standard normal where the
// image looks like the training data, so local detail it does not expect shows up here.
std::vector<double> local_surprise(const glowlab::Model& model, const std::vector<float>& latent) {
  std::vector<double> out;
  const auto spans = model.level_spans();
  const auto shapes = model.config().level_shapes();
  for (size_t l = 0; l < shapes.size(); ++l) {
    const int64_t c = shapes[l][0], h = shapes[l][1], w = shapes[l][2];
    const float* e = latent.data() + spans[l].first;
    std::vector<double> m(static_cast<size_t>(h * w), 0.0);
    for (int64_t k = 0; k < c; ++k)
      for (int64_t i = 0; i < h * w; ++i) m[static_cast<size_t>(i)] += double(e[k * h * w + i]) * e[k * h * w + i] / c;
    const int64_t win = std::min<int64_t>(4, std::min(h, w));
    double best = 0.0;
    for (int64_t y = 0; y + win <= h; ++y)
      for (int64_t x = 0; x + win <= w; ++x) {
        double sum = 0.0;
        for (int64_t dy = 0; dy < win; ++dy)
          for (int64_t dx = 0; dx < win; ++dx) sum += m[static_cast<size_t>((y + dy) * w + x + dx)];
        best = std::max(best, sum / double(win * win));
      }
    out.push_back(best);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    glowlab::init_runtime();
    auto model = glowlab::Model::load(glowlab::model_path_or_default(a.model), "cpu");
    const auto& c = model.config();
    std::vector<glowlab::Attribute> attrs;
    for (const auto& at : model.attributes()) {
      if (a.attributes.empty() || std::find(a.attributes.begin(), a.attributes.end(), at.name) != a.attributes.end()) attrs.push_back(at);
    }
    if (attrs.empty()) throw glowlab::Error(glowlab::ErrorKind::InvalidArgument, "none of the attributes asked for is in the model");
    std::filesystem::create_directories(a.output);
    std::ofstream csv(a.output + "/sweep.csv");
    csv << "photo,attribute,alpha,share_beyond,colour_noise,clean,bits_per_dim,photo_bits_per_dim";
    for (size_t l = 0; l < c.level_shapes().size(); ++l) csv << ",surprise" << l + 1 << ",photo_surprise" << l + 1;
    csv << "\n";
    const int cols = 1 + 2 * a.steps;
    std::vector<Sheet> sheets;
    for (size_t k = 0; k < attrs.size(); ++k) sheets.emplace_back(c.image_size, a.zoom, cols, static_cast<int>(a.photos.size()));
    for (size_t p = 0; p < a.photos.size(); ++p) {
      const auto& path = a.photos[p];
      const auto crop = glowlab::align_face(glowlab::read_image(path, c.channels), c.image_size, true, path, model.framing());
      const auto latent = model.encode(crop.crop);
      const double photo_bpd = model.bits_per_dim({crop.crop}, 0);
      const auto photo_surprise = local_surprise(model, latent);
      for (size_t k = 0; k < attrs.size(); ++k) {
        sheets[k].put(static_cast<int>(p), 0, crop.crop, false);
        for (int j = 0; j < 2 * a.steps; ++j) {
          // Columns: the range's bottom .. -1 step, then +1 step .. its top.
          const bool up = j >= a.steps;
          const int step = up ? j - a.steps + 1 : a.steps - j;
          const double alpha = (up ? attrs[k].range_max : attrs[k].range_min) * step / a.steps;
          const auto check = model.check_decode(model.edit(latent, {{attrs[k].name, alpha}}), &latent);
          const double bpd = model.bits_per_dim({check.image}, 0);
          sheets[k].put(static_cast<int>(p), 1 + j, check.image, !check.clean);
          csv << path << "," << attrs[k].name << "," << alpha << "," << check.share_beyond << "," << check.colour_noise << "," << check.clean << "," << bpd << ","
              << photo_bpd;
          const auto surprise = local_surprise(model, model.encode(check.image));
          for (size_t l = 0; l < surprise.size(); ++l) csv << "," << surprise[l] << "," << photo_surprise[l];
          csv << "\n";
        }
      }
      std::cerr << "\r" << p + 1 << "/" << a.photos.size() << " photos" << std::flush;
    }
    std::cerr << "\n";
    for (size_t k = 0; k < attrs.size(); ++k) glowlab::write_image(a.output + "/" + attrs[k].name + ".png", sheets[k].image);
    std::cout << a.output << "/sweep.csv\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
