#include "bundle/recipe.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "bundle/safetensors.h"
#include "core/atomic_file.h"
#include "core/error.h"

namespace glowlab {
namespace {

constexpr std::size_t kMaxRecipeBytes = 1u << 20;

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::Format, path + " is not a usable recipe: " + what);
}

const nlohmann::json* field(const nlohmann::json& o, const char* name) {
  const auto it = o.find(name);
  return it == o.end() || it->is_null() ? nullptr : &*it;
}

double number(const nlohmann::json& v, const std::string& path, const std::string& what) {
  if (!v.is_number()) bad(path, what + " must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) bad(path, what + " must be finite");
  return d;
}

int integer(const nlohmann::json& v, const std::string& path, const std::string& what, long long lo, long long hi) {
  if (!v.is_number_integer()) bad(path, what + " must be a whole number");
  const long long i = v.is_number_unsigned() ? static_cast<long long>(std::min<std::uint64_t>(v.get<std::uint64_t>(), 1ull << 62))
                                             : v.get<long long>();
  if (i < lo || i > hi) bad(path, what + " must be " + std::to_string(lo) + " to " + std::to_string(hi));
  return static_cast<int>(i);
}

std::string text(const nlohmann::json& o, const char* name, const std::string& path, const std::string& what) {
  const auto* v = field(o, name);
  if (!v) return {};
  if (!v->is_string()) bad(path, what + " must be text");
  return v->get<std::string>();
}

}  // namespace

std::string recipe_to_json(const Recipe& r) {
  nlohmann::json o;
  o["format"] = kRecipeFormat;
  nlohmann::json src;
  if (r.is_sample()) {
    src["sample"] = {{"index", r.sample_index},
                     {"count", r.sample_count},
                     {"temperature", r.sample_temperature},
                     {"seed", std::to_string(r.sample_seed)}};
  } else {
    src["path"] = r.source;
    src["sha256"] = r.source_sha256;
    src["crop_transform"] = r.transform;
    if (r.face > 0) src["face"] = r.face;
  }
  o["source"] = src;
  o["model"] = {{"path", r.model}, {"sha256", r.model_sha256}};
  nlohmann::json sliders = nlohmann::json::object();
  for (const auto& [name, value] : r.sliders) sliders[name] = value;
  o["sliders"] = sliders;
  o["detail_finest_level"] = r.finest_level;
  if (!r.locked.empty()) o["locked"] = r.locked;
  return o.dump(4) + "\n";
}

Recipe parse_recipe(const std::string& bytes, const std::string& path) {
  nlohmann::json o;
  try {
    o = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Format, path + " is not a recipe (not valid JSON): " + e.what());
  }
  if (!o.is_object()) bad(path, "the file is not a JSON object");
  const std::string format = text(o, "format", path, "\"format\"");
  if (format != kRecipeFormat) bad(path, "unknown format '" + format + "' (expected " + kRecipeFormat + ")");
  Recipe r;
  const auto* src = field(o, "source");
  if (!src || !src->is_object()) bad(path, "\"source\" must say which photo or sample was edited");
  if (const auto* s = field(*src, "sample")) {
    if (!s->is_object()) bad(path, "\"source.sample\" must be an object");
    const auto* count = field(*s, "count");
    const auto* index = field(*s, "index");
    if (!count || !index) bad(path, "a sample needs its \"index\" and \"count\"");
    r.sample_count = integer(*count, path, "the sample count", 1, 10000);
    r.sample_index = integer(*index, path, "the sample index", 0, r.sample_count - 1);
    if (const auto* t = field(*s, "temperature")) r.sample_temperature = number(*t, path, "the sample temperature");
    if (r.sample_temperature < 0 || r.sample_temperature > 10) bad(path, "the sample temperature must be 0 to 10");
    const std::string seed = text(*s, "seed", path, "the sample seed");
    if (!seed.empty()) {
      if (seed.size() > 20 || !std::all_of(seed.begin(), seed.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        bad(path, "the sample seed must be a whole number written as text");
      }
      try {
        r.sample_seed = std::stoull(seed);
      } catch (const std::exception&) {
        bad(path, "the sample seed is too large");
      }
    }
  } else {
    r.source = text(*src, "path", path, "the photo path");
    r.source_sha256 = text(*src, "sha256", path, "the photo's sha256");
    const auto* t = field(*src, "crop_transform");
    if (r.source.empty() || !t || !t->is_array() || t->size() != 6) bad(path, "the source needs a photo path and a 6-number crop transform");
    for (std::size_t i = 0; i < 6; ++i) r.transform[i] = number((*t)[i], path, "the crop transform");
    const double det = r.transform[0] * r.transform[4] - r.transform[1] * r.transform[3];
    if (!(std::abs(det) > 1e-12) || !std::isfinite(det)) bad(path, "the crop transform cannot be inverted");
    if (const auto* f = field(*src, "face")) r.face = integer(*f, path, "the face number", 1, 1000);
  }
  if (const auto* m = field(o, "model")) {
    if (!m->is_object()) bad(path, "\"model\" must be an object");
    r.model = text(*m, "path", path, "the model path");
    r.model_sha256 = text(*m, "sha256", path, "the model's sha256");
  }
  if (const auto* s = field(o, "sliders")) {
    if (!s->is_object()) bad(path, "\"sliders\" must map attribute names to values");
    for (auto it = s->begin(); it != s->end(); ++it) r.sliders.emplace_back(it.key(), number(it.value(), path, "slider " + it.key()));
  }
  if (const auto* d = field(o, "detail_finest_level")) r.finest_level = integer(*d, path, "\"detail_finest_level\"", 0, 64);
  if (const auto* l = field(o, "locked")) {
    if (!l->is_array()) bad(path, "\"locked\" must list attribute names");
    for (const auto& v : *l) {
      if (!v.is_string()) bad(path, "\"locked\" must list attribute names");
      r.locked.push_back(v.get<std::string>());
    }
  }
  return r;
}

Recipe load_recipe(const std::string& path) { return parse_recipe(read_file(path, kMaxRecipeBytes), path); }

void save_recipe(const std::string& path, const Recipe& recipe) { write_file_atomic(path, recipe_to_json(recipe)); }

std::string file_sha256(const std::string& path) {
  try {
    return sha256_hex(read_file(path, std::size_t{1} << 34));
  } catch (const Error&) {
    return {};
  }
}

}  // namespace glowlab
