#include "edit/edit.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <charconv>
#include <system_error>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "glowlab.h"

namespace glowlab {

void set_alpha(Alphas& alphas, const std::string& name, double value) {
  bool found = false;
  for (auto& a : alphas) {
    if (a.first == name) {
      a.second = value;
      found = true;
    }
  }
  if (!found) alphas.emplace_back(name, value);
}

std::pair<std::string, double> split_slider_value(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw Error(ErrorKind::InvalidArgument, "'" + text + "' is not NAME=VALUE");
  // from_chars: the same in every locale (the window runs under the user's, where 1,5 may be a number).
  const std::string number = text.substr(eq + 1);
  const char* first = number.c_str();
  const char* last = first + number.size();
  if (first != last && *first == '+' && first + 1 != last && first[1] != '-') ++first;
  double v = 0;
  const auto [end, error] = std::from_chars(first, last, v);
  if (first == last || error != std::errc() || end != last || !std::isfinite(v)) {
    throw Error(ErrorKind::InvalidArgument, "'" + text + "': the value is not a number");
  }
  return {text.substr(0, eq), v};
}

SliderValue slider_value(const std::vector<Attribute>& attributes, const std::string& name, double asked) {
  SliderValue s;
  s.index = find_attribute(attributes, name);
  const Attribute& a = attributes[s.index];
  s.name = a.name;
  s.asked = asked;
  s.value = std::clamp(asked, a.range_min, a.range_max);
  return s;
}

std::string slider_text(const Attribute& attribute, double value) {
  char buf[64];
  if (attribute.unit == "years") {
    std::snprintf(buf, sizeof buf, "%+.0f years", value);
  } else {
    std::snprintf(buf, sizeof buf, "%+.2f%s%s", value, attribute.unit.empty() ? "" : " ", attribute.unit.c_str());
  }
  return buf;
}

std::string range_note(const Attribute& attribute, double asked) {
  char typed[32];
  std::snprintf(typed, sizeof typed, "%g", asked);
  return display_name(attribute.name) + " goes from " + slider_text(attribute, attribute.range_min) + " to " +
         slider_text(attribute, attribute.range_max) + ": " + typed + " was set to " +
         slider_text(attribute, std::clamp(asked, attribute.range_min, attribute.range_max));
}

RenderedEdit render_edit(Model& model, const std::vector<float>& base, const SliderEdit& edit) {
  Alphas moved;
  for (const auto& a : edit.alphas) {
    if (a.second != 0.0) moved.push_back(a);
  }
  const auto target = moved.empty() ? base : model.edit(base, moved, edit.finest_level, edit.locked);
  auto guarded = model.decode_guarded(base, target);
  RenderedEdit r;
  r.image = std::move(guarded.image);
  r.strength = guarded.strength;
  if (r.limited()) {
    for (const auto& [name, alpha] : moved) r.limited_to.emplace_back(name, alpha * r.strength);
  }
  return r;
}

Precision draft_precision(Model& model, const std::vector<float>& latent) {
  if (model.device() != "cpu" || !cpu_has_native_bf16()) return Precision::FP32;
  auto decode_ms = [&](Precision p) {
    ThreadPrecision scope(p);
    const auto start = std::chrono::steady_clock::now();
    model.decode(latent);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  decode_ms(Precision::BF16);  // a first decode makes oneDNN's primitives for bf16
  // In turn, so that a machine whose speed drifts meanwhile weighs on both alike; the best of each.
  double fp32 = 1e300, bf16 = 1e300;
  for (int i = 0; i < 4; ++i) {
    fp32 = std::min(fp32, decode_ms(Precision::FP32));
    bf16 = std::min(bf16, decode_ms(Precision::BF16));
  }
  return bf16 <= 0.8 * fp32 ? Precision::BF16 : Precision::FP32;
}

namespace {

std::string provenance_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.8g", v.get<double>());
    return buf;
  }
  return v.dump();
}

}  // namespace

ModelDescription describe_model(const Model& model, const std::string& path) {
  ModelDescription d;
  d.path = path;
  d.name = std::filesystem::path(path).stem().string();
  d.config = model.config();
  d.parameters = model.parameter_count();
  d.latent_size = d.config.dimension();
  d.checksummed = model.checksummed();
  d.framing = model.framing();
  d.device = model.device();
  d.attributes = model.attributes();
  d.provenance_json = model.provenance_json();
  const auto j = nlohmann::json::parse(d.provenance_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      d.provenance.push_back({it.key(), it->is_boolean() ? (it->get<bool>() ? "true" : "false") : provenance_text(*it),
                              it->is_boolean()});
    }
  }
  return d;
}

AppliedRecipe apply_recipe(const Recipe& recipe, const std::string& recipe_path, const std::string& model_override,
                           bool with_photo) {
  AppliedRecipe a;
  a.model = model_override.empty() ? recipe.model : model_override;
  if (model_override.empty() && !recipe.model.empty() && !std::filesystem::exists(recipe.model)) {
    throw Error(ErrorKind::Io, recipe_path + ": its model " + recipe.model + " does not exist");
  }
  a.with_photo = with_photo && !recipe.is_sample();
  if (a.with_photo && !std::filesystem::exists(recipe.source)) {
    throw Error(ErrorKind::Io, recipe_path + ": its photo " + recipe.source + " does not exist");
  }
  a.edit.alphas = recipe.sliders;
  a.edit.finest_level = recipe.finest_level;
  a.edit.locked = recipe.locked;
  return a;
}

void check_recipe(const Recipe& recipe, AppliedRecipe& applied) {
  auto compare = [&](bool photo, const std::string& file, const std::string& saved) {
    if (saved.empty()) {
      applied.warnings.push_back({RecipeWarning::Kind::NoChecksum, photo, file});
    } else if (file_sha256(file) != saved) {
      applied.warnings.push_back({RecipeWarning::Kind::Changed, photo, file});
    }
  };
  // Another model than the recipe's (-m) has nothing to be compared with.
  if (!applied.model.empty() && applied.model == recipe.model) compare(false, recipe.model, recipe.model_sha256);
  if (applied.with_photo) compare(true, recipe.source, recipe.source_sha256);
}

}  // namespace glowlab
