#include "model_path.h"

#include <cstdlib>
#include <filesystem>

#include "glowlab.h"

namespace glowlab {
namespace {

namespace fs = std::filesystem;
constexpr const char* kPreferred[] = {"celeba64.glow", "faces64.glow"};

// The folders a bundled model may be in: the install tree beside the program, then the source tree.
std::vector<fs::path> model_dirs() {
  std::vector<fs::path> dirs;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path() / "../share/glowlab/models").lexically_normal());
  dirs.emplace_back(GLOWLAB_SOURCE_MODELS_DIR);
  return dirs;
}

}  // namespace

// The models of the first folder that has any: an installed program's own (celeba64 only when its
// package is installed too), never the source tree's beside them.
std::vector<std::string> bundled_models() {
  std::error_code ec;
  for (const auto& d : model_dirs()) {
    std::vector<std::string> out;
    for (const char* name : kPreferred) {
      if (fs::is_regular_file(d / name, ec)) out.push_back((d / name).string());
    }
    if (!out.empty()) return out;
  }
  return {};
}

std::string default_model_path() {
  if (const char* env = std::getenv("GLOWLAB_MODEL"); env && *env) return env;
  const auto found = bundled_models();
  if (!found.empty()) return found.front();
  std::string msg = "no model given and no bundled model was found (looked for celeba64.glow and faces64.glow in";
  for (const auto& d : model_dirs()) msg += " " + d.string();
  throw Error(ErrorKind::Io, msg + "); pass --model FILE or set GLOWLAB_MODEL");
}

std::string default_model_note() {
  if (const char* env = std::getenv("GLOWLAB_MODEL"); env && *env) return {};
  const auto found = bundled_models();
  if (found.empty() || fs::path(found.front()).filename() != "faces64.glow") return {};
  return "the real-photo model celeba64 is not installed (package glowlab-model-celeba64): using faces64, which "
         "knows synthetic faces only, so sliders will not work well on photographs";
}

std::string model_path_or_default(const std::string& given) {
  return given.empty() ? default_model_path() : given;
}

}  // namespace glowlab
