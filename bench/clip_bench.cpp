// Clip-editing benchmark: makes a 640x360 clip from a photo (panned and zoomed over it, written as
// MP4), edits it as `glowlab-cli edit CLIP.mp4` does, and prints where the time went as JSON (both
// clips stay in DIR to look at). A benchmark's tool, not a test.
// It also says how steadily the crop followed the face (track_steadiness): the photo's own five
// landmarks, moved by the known camera, give where each frame's crop should be.
//   glowlab-bench-clip [--model M] [--frames 60] [--set NAME=VALUE] [--no-smooth] [--gif OUT.gif] -o DIR photo
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glowlab.h"
#include "model_path.h"

namespace {

// Frame i of n: a 640x360 window over the photo, panning left to right and zooming in by 30%: the
// camera's transform, photo -> frame (frame = scale * photo - (ox, oy)).
std::array<double, 6> camera(const glowlab::Image& photo, int i, int n) {
  const double t = n > 1 ? static_cast<double>(i) / (n - 1) : 0.0;
  const double zoom = 1.0 + 0.3 * t;
  const double scale = std::max(640.0 / photo.width, 360.0 / photo.height) * 1.15 * zoom;  // photo px -> frame px
  const double span_x = photo.width * scale - 640, span_y = photo.height * scale - 360;
  const double ox = span_x * (0.2 + 0.6 * t), oy = span_y * 0.3;
  return {scale, 0, -ox, 0, scale, -oy};
}
glowlab::Image panned(const glowlab::Image& photo, int i, int n) { return glowlab::crop_with_transform(photo, 640, camera(photo, i, n)).crop; }

glowlab::Image cut(const glowlab::Image& square) {  // the top 640x360 of a 640x640 crop
  glowlab::Image out{640, 360, 3, std::vector<std::uint8_t>(square.bytes.begin(), square.bytes.begin() + 640 * 360 * 3)};
  return out;
}

// Two frames of one size side by side, each at half its size (2x2 means).
glowlab::Image side_by_side_half(const glowlab::Image& a, const glowlab::Image& b) {
  const int w = a.width / 2, h = a.height / 2;
  glowlab::Image out{2 * w, h, 3, std::vector<std::uint8_t>(static_cast<size_t>(4 * w * h * 3))};
  for (int side = 0; side < 2; ++side) {
    const auto& src = side == 0 ? a : b;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        for (int k = 0; k < 3; ++k) {
          auto at = [&](int yy, int xx) { return src.bytes[(static_cast<size_t>(yy) * src.width + xx) * 3 + k]; };
          const int sum = at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1);
          out.bytes[(static_cast<size_t>(y) * out.width + side * w + x) * 3 + k] = static_cast<std::uint8_t>((sum + 2) / 4);
        }
      }
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string model_path, output, photo, set = "Smiling=1.5";
    int frames = 60;
    bool smooth = true;
    std::string gif;  // a before|after GIF at half size, every second frame (the docs' picture)
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw glowlab::Error(glowlab::ErrorKind::InvalidArgument, a + " needs a value");
        return argv[++i];
      };
      if (a == "-m" || a == "--model") model_path = value();
      else if (a == "-o") output = value();
      else if (a == "--frames") frames = std::stoi(value());
      else if (a == "--set") set = value();
      else if (a == "--no-smooth") smooth = false;
      else if (a == "--gif") gif = value();
      else if (a == "-h" || a == "--help") {
        std::cout << "usage: glowlab-bench-clip [--model M] [--frames 60] [--set NAME=VALUE] [--no-smooth] [--gif OUT.gif] -o DIR photo\n";
        return 0;
      } else photo = a;
    }
    if (output.empty() || photo.empty() || frames < 2) throw glowlab::Error(glowlab::ErrorKind::InvalidArgument, "give -o DIR and a photo (see --help)");
    glowlab::init_runtime();
    auto model = glowlab::Model::load(glowlab::model_path_or_default(model_path), "cpu");
    std::filesystem::create_directories(output);
    const auto picture = glowlab::read_image(photo, 3);
    std::vector<glowlab::Image> clip;
    for (int i = 0; i < frames; ++i) clip.push_back(cut(panned(picture, i, frames)));
    const std::string in = output + "/clip.mp4", out = output + "/edited.mp4";
    glowlab::write_mp4(in, clip, 25.0);
    glowlab::ClipEditOptions o;
    const auto sv = glowlab::split_slider_value(set);
    const auto v = glowlab::slider_value(model.attributes(), sv.first, sv.second);
    o.edit.alphas = {{v.name, v.value}};
    o.smooth = smooth;
    const auto start = std::chrono::steady_clock::now();
    const auto r = glowlab::edit_clip(model, in, out, o);
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    nlohmann::json j;
    j["frames"] = r.frames;
    j["frames_with_face"] = r.frames_with_face;
    j["strength"] = r.strength;
    j["size"] = {r.width, r.height};
    j["codec"] = r.codec;
    j["seconds_total"] = total;
    j["frames_per_second"] = r.frames / total;
    j["seconds"] = {{"read", r.seconds.read},     {"landmarks", r.seconds.landmarks}, {"encode", r.seconds.encode},
                    {"guard", r.seconds.guard},   {"render", r.seconds.render},       {"paste", r.seconds.paste},
                    {"write", r.seconds.write}};
    j["edit"] = set;
    // Where the crops should be: the photo's landmarks (found once, at its full size) through each
    // frame's camera, aligned as the clip's frames are.
    std::array<double, 10> points{};
    std::string why;
    if (glowlab::find_face_landmarks(picture, points, why, std::max(picture.width, picture.height), nullptr) && !model.framing().empty()) {
      std::vector<std::array<double, 6>> ideal;
      for (int i = 0; i < frames; ++i) {
        const auto c = camera(picture, i, frames);
        std::array<double, 10> p{};
        for (int k = 0; k < 5; ++k) {  // as the frame was made (cv::warpAffine: pixel centres at whole numbers)
          p[2 * k] = points[2 * k] * c[0] + c[2];
          p[2 * k + 1] = points[2 * k + 1] * c[4] + c[5];
        }
        ideal.push_back(glowlab::align_to_landmarks(clip[static_cast<size_t>(i)], model.config().image_size, p, model.framing()).transform);
      }
      const auto steady = glowlab::track_steadiness(r.transforms, ideal, model.config().image_size);
      j["smoothing"] = smooth;
      j["jitter_px"] = steady.jitter;
      j["lag_px"] = steady.lag;
    }
    if (!gif.empty()) {
      const auto before = glowlab::read_video_frames(in), after = glowlab::read_video_frames(out);
      std::vector<glowlab::Image> sheet;
      for (size_t i = 0; i < std::min(before.size(), after.size()); i += 2) sheet.push_back(side_by_side_half(before[i], after[i]));
      glowlab::write_gif(gif, sheet, 12.5);
      j["gif"] = gif;
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
