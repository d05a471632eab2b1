#include "bundle/model_file.h"

#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "bundle/safetensors.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/named_tensors.h"

namespace glowlab {
namespace {

constexpr const char* kDirectionPrefix = "direction.";
constexpr std::size_t kMaxModelBytes = std::size_t{4} << 30;

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::Format, path + ": " + what);
}

// A lower bound on the weights a Glow of this config holds (each step's coupling has a
// width x (c/2) x 3 x 3 and a width x width convolution), so that a file whose config declares a
// far larger model than its tensors is refused before that model is allocated.
std::int64_t minimum_weights(const GlowConfig& config) {
  std::int64_t total = 0, c = config.channels;
  for (int i = 0; i < config.levels; ++i) {
    c *= 4;
    total += std::int64_t{config.steps} * config.width * (config.width + c / 2 * 9);
    if (i + 1 < config.levels) c /= 2;
  }
  return total;
}

}  // namespace

void save_model(const std::string& path, const ModelFile& model) {
  if (!model.glow) throw Error(ErrorKind::InvalidArgument, "save_model: no model");
  if (model.directions.size() != model.attributes.size()) {
    throw Error(ErrorKind::InvalidArgument, "save_model: attributes and directions differ in number");
  }
  NamedTensors tensors;
  for (const auto& p : model.glow->named_parameters()) tensors.emplace_back(p.key(), p.value());
  for (const auto& b : model.glow->named_buffers()) tensors.emplace_back(b.key(), b.value());
  for (size_t i = 0; i < model.attributes.size(); ++i) {
    tensors.emplace_back(kDirectionPrefix + model.attributes[i].name, model.directions[i].to(at::kFloat));
  }
  for (const auto& [name, t] : tensors) {
    if (!at::isfinite(t).all().item<bool>()) {
      throw Error(ErrorKind::Numeric, "refusing to write " + path + ": tensor " + name + " is not finite");
    }
  }
  std::map<std::string, std::string> meta{{"format", kBundleFormat},
                                          {"config", model.glow->config().to_json()},
                                          {"attributes", attributes_to_json(model.attributes)},
                                          {"provenance", model.provenance_json}};
  if (!model.framing.empty()) meta["framing"] = nlohmann::json(model.framing).dump();
  write_safetensors(path, meta, tensors);
}

ModelFile load_model(const std::string& path) { return parse_model(read_file(path, kMaxModelBytes), path); }

ModelFile parse_model(const std::string& bytes, const std::string& path) {
  auto contents = parse_safetensors(bytes, path);
  auto& meta = contents.metadata;
  if (!meta.count("format")) bad(path, "no 'format' in the metadata: not a GlowLab model");
  if (meta["format"] != kBundleFormat) {
    bad(path, "unknown format version '" + meta["format"] + "' (this build reads " + kBundleFormat + ")");
  }
  if (!meta.count("config")) bad(path, "no 'config' in the metadata");
  GlowConfig config;
  try {
    config = GlowConfig::from_json(meta["config"], path);
  } catch (const Error& e) {
    throw Error(ErrorKind::Format, e.what());
  }
  ModelFile model;
  model.checksummed = contents.checksummed;
  model.attributes = attributes_from_json(meta.count("attributes") ? meta["attributes"] : "[]", path);
  if (meta.count("provenance")) {
    if (!nlohmann::json::accept(meta["provenance"])) bad(path, "provenance is not valid JSON");
    model.provenance_json = meta["provenance"];
  }
  if (meta.count("framing")) {
    const auto j = nlohmann::json::parse(meta["framing"], nullptr, /*allow_exceptions=*/false);
    if (!j.is_array() || j.size() != 10) bad(path, "framing must be a list of 10 numbers (five landmarks, x and y)");
    for (const auto& v : j) {
      if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0.0 || v.get<double>() > 1.0) {
        bad(path, "framing values must be numbers from 0 to 1 (fractions of the image side)");
      }
      model.framing.push_back(v.get<double>());
    }
  }
  std::int64_t held = 0;
  for (const auto& [name, t] : contents.tensors) held += t.numel();
  if (held < minimum_weights(config)) {
    bad(path, "the config declares a model of at least " + std::to_string(minimum_weights(config)) +
                  " weights but the file holds " + std::to_string(held) + " values");
  }
  model.glow = Glow(config);

  const TensorMap file(contents.tensors.begin(), contents.tensors.end());
  TensorMap expected = named_state(*model.glow);
  for (const auto& a : model.attributes) expected.emplace(kDirectionPrefix + a.name, at::empty({config.dimension()}));
  for (const auto& [name, t] : expected) take_named(file, name, t.sizes(), path);
  for (const auto& [name, t] : file) {
    if (!expected.count(name)) bad(path, "unexpected tensor '" + name + "'");
  }
  load_named(*model.glow, file, path);
  for (const auto& a : model.attributes) model.directions.push_back(file.at(kDirectionPrefix + a.name).to(at::kFloat));
  return model;
}

}  // namespace glowlab
