// Importing other Glow implementations' checkpoints: the format's importer (rosinality.cpp,
// y0ast.cpp) maps its tensors, and the ordinary model writer saves them with provenance.
#include "import/import.h"

#include <algorithm>
#include <ctime>

#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "bundle/model_file.h"
#include "core/error.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "import/mapping.h"
#include "import/torch_pickle.h"

namespace glowlab {

void check_checkpoint(const std::string& path) { check_torch_file(path); }

ImportResult import_checkpoint(const ImportOptions& o, const std::string& output) {
  Glow glow{nullptr};
  ImportResult r;
  if (o.format == "rosinality") {
    r = import_detail::import_rosinality(o, glow);
  } else if (o.format == "y0ast" || o.format == "chaiyujin") {
    r = import_detail::import_y0ast(o, glow, o.format == "chaiyujin");
  } else {
    throw Error(ErrorKind::InvalidArgument, "import: unknown format '" + o.format + "' (expected rosinality, y0ast or chaiyujin)");
  }
  ModelFile file;
  file.glow = glow;
  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  const auto slash = o.checkpoint.find_last_of('/');
  file.provenance_json = nlohmann::json{{"imported_from", o.format},
                                        {"checkpoint", slash == std::string::npos ? o.checkpoint : o.checkpoint.substr(slash + 1)},
                                        {"notes", r.notes},
                                        {"created", when}}
                             .dump();
  save_model(output, file);
  return r;
}

double centred_bits_per_dim(const std::string& model_path, const std::vector<Image>& images, const std::string& device) {
  if (images.empty()) throw Error(ErrorKind::InvalidArgument, "bits_per_dim: no images");
  auto file = load_model(model_path);
  const auto& c = file.glow->config();
  for (const auto& im : images) {
    if (im.width != c.image_size || im.height != c.image_size || im.channels != c.channels) {
      throw Error(ErrorKind::InvalidArgument, "bits_per_dim: an image is " + std::to_string(im.width) + "x" +
                                                  std::to_string(im.height) + "x" + std::to_string(im.channels) +
                                                  " but the model takes " + std::to_string(c.image_size) + "x" +
                                                  std::to_string(c.image_size) + "x" + std::to_string(c.channels));
    }
  }
  const at::Device dev(resolve_device(device, true));
  file.glow->to(dev);
  c10::InferenceMode guard;
  double total = 0.0;
  constexpr size_t kChunk = 16;
  for (size_t start = 0; start < images.size(); start += kChunk) {
    const size_t end = std::min(images.size(), start + kChunk);
    std::vector<Image> chunk(images.begin() + static_cast<long>(start), images.begin() + static_cast<long>(end));
    const auto x = to_model_input(images_to_uint8(chunk).to(dev), c.n_bits, at::kFloat, std::nullopt);
    total += bits_per_dim(file.glow->encode(x).log_px(), c.dimension(), c.n_bins()).sum().item<double>();
  }
  return total / static_cast<double>(images.size());
}

}  // namespace glowlab
