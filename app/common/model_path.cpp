#include "model_path.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "core/error.h"

namespace glowlab {

std::string default_model_path() {
  namespace fs = std::filesystem;
  std::vector<std::string> tried;
  if (const char* env = std::getenv("GLOWLAB_MODEL"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) tried.push_back((exe.parent_path() / "../share/glowlab/models/faces64.glow").lexically_normal().string());
  tried.push_back(std::string(GLOWLAB_SOURCE_MODELS_DIR) + "/faces64.glow");
  for (const auto& p : tried) {
    if (fs::is_regular_file(p, ec)) return p;
  }
  std::string msg = "no model given and the bundled default model was not found (looked at";
  for (const auto& p : tried) msg += " " + p;
  throw Error(ErrorKind::Io, msg + "); pass --model FILE or set GLOWLAB_MODEL");
}

std::string model_path_or_default(const std::string& given) {
  return given.empty() ? default_model_path() : given;
}

}  // namespace glowlab
