#include "bundle/attribute.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace glowlab {

std::string display_name(const std::string& attribute_name) {
  std::string out;
  for (char c : attribute_name) out += (c == '_') ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  // CelebA's 5_o_Clock_Shadow: the apostrophe its name could not hold.
  const auto clock = out.find(" o clock");
  if (clock != std::string::npos) out.replace(clock, 8, " o'clock");
  return out;
}

namespace {

// "Blond hair", "blond-hair" and "BLOND_HAIR" all -> "blond_hair"; "5 o'clock shadow" (the display
// name) and "5_o_Clock_Shadow" -> "5_o_clock_shadow".
std::string loose_key(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == ' ' || c == '-' || c == '_' || c == '\'') {
      if (!out.empty() && out.back() != '_') out += '_';
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

// Levenshtein distance (names are short: two rows suffice).
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string joined_names(const std::vector<Attribute>& attributes, const std::vector<std::size_t>& which) {
  std::string out;
  for (auto i : which) out += (out.empty() ? "" : ", ") + attributes[i].name;
  return out;
}

}  // namespace

std::size_t find_attribute(const std::vector<Attribute>& attributes, const std::string& name) {
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    if (attributes[i].name == name) return i;
  }
  const std::string key = loose_key(name);
  std::vector<std::size_t> loose, all;
  std::size_t closest = attributes.size(), best = 0;
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    all.push_back(i);
    const std::string k = loose_key(attributes[i].name);
    if (!key.empty() && k == key) loose.push_back(i);
    // The nearest name, offered when it is a slip of a letter or two ("Smilng"), or when the name
    // given begins it ("blond" -> Blond_Hair).
    const std::size_t d = edit_distance(key, k);
    const bool near = d <= std::max<std::size_t>(2, key.size() / 4) || (key.size() >= 3 && k.rfind(key + "_", 0) == 0);
    if (near && (closest == attributes.size() || d < best)) {
      closest = i;
      best = d;
    }
  }
  if (loose.size() == 1) return loose.front();
  const std::string asked = "'" + name + "'";
  if (loose.size() > 1) {
    throw Error(ErrorKind::InvalidArgument, asked + " could be any of the model's attributes " + joined_names(attributes, loose) +
                                                ": give the name exactly");
  }
  std::string message = "the model has no attribute " + asked;
  if (closest < attributes.size()) message += " (did you mean " + attributes[closest].name + "?)";
  message += attributes.empty() ? "; it has no attribute directions" : "; its attributes are " + joined_names(attributes, all);
  throw Error(ErrorKind::InvalidArgument, message);
}

std::string attributes_to_json(const std::vector<Attribute>& attributes) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& a : attributes) {
    nlohmann::json e{{"name", a.name},
                     {"positives", a.positives},
                     {"negatives", a.negatives},
                     {"recommended_range", {a.range_min, a.range_max}}};
    if (!a.unit.empty()) e["unit"] = a.unit;
    if (!a.featured) e["featured"] = false;
    if (!a.level_weights.empty()) e["level_weights"] = a.level_weights;
    if (!a.held_off.empty()) e["held_off"] = a.held_off;
    if (!a.guide.empty()) e["guide"] = a.guide;
    j.push_back(std::move(e));
  }
  return j.dump();
}

std::vector<Attribute> attributes_from_json(const std::string& json, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Format, where + ": attributes are not valid JSON: " + e.what());
  }
  if (!j.is_array()) throw Error(ErrorKind::Format, where + ": attributes must be a JSON list");
  std::vector<Attribute> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    const std::string at = where + ": attribute " + std::to_string(i);
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || e["name"].get<std::string>().empty()) {
      throw Error(ErrorKind::Format, at + " needs a non-empty string 'name'");
    }
    Attribute a;
    a.name = e["name"].get<std::string>();
    for (char c : a.name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
        throw Error(ErrorKind::Format, at + ": name '" + a.name + "' may hold only letters, digits, _ and -");
      }
    }
    for (const auto& prev : out) {
      if (prev.name == a.name) throw Error(ErrorKind::Format, at + ": duplicate name '" + a.name + "'");
    }
    if (e.contains("featured")) {
      if (!e["featured"].is_boolean()) throw Error(ErrorKind::Format, at + ": 'featured' must be true or false");
      a.featured = e["featured"].get<bool>();
    }
    if (e.contains("level_weights")) {
      const auto& w = e["level_weights"];
      if (!w.is_array() || w.size() > 8 ||
          !std::all_of(w.begin(), w.end(), [](const auto& v) { return v.is_number() && v.template get<double>() >= 0 && v.template get<double>() <= 1; })) {
        throw Error(ErrorKind::Format, at + ": 'level_weights' must be a list of at most 8 numbers from 0 to 1");
      }
      a.level_weights = w.get<std::vector<double>>();
    }
    if (e.contains("held_off")) {
      const auto& h = e["held_off"];
      if (!h.is_array() || !std::all_of(h.begin(), h.end(), [](const auto& v) { return v.is_string(); })) {
        throw Error(ErrorKind::Format, at + ": 'held_off' must be a list of attribute names");
      }
      a.held_off = h.get<std::vector<std::string>>();
    }
    if (e.contains("guide")) {
      if (!e["guide"].is_string()) throw Error(ErrorKind::Format, at + ": 'guide' must be a file name");
      a.guide = e["guide"].get<std::string>();
    }
    if (e.contains("unit")) {
      if (!e["unit"].is_string() || e["unit"].get<std::string>().size() > 16) throw Error(ErrorKind::Format, at + ": 'unit' must be a short string");
      a.unit = e["unit"].get<std::string>();
    }
    if (e.contains("positives") && e["positives"].is_number_integer()) a.positives = e["positives"].get<int64_t>();
    if (e.contains("negatives") && e["negatives"].is_number_integer()) a.negatives = e["negatives"].get<int64_t>();
    if (e.contains("recommended_range")) {
      const auto& r = e["recommended_range"];
      if (!r.is_array() || r.size() != 2 || !r[0].is_number() || !r[1].is_number() ||
          !(r[0].get<double>() < r[1].get<double>())) {
        throw Error(ErrorKind::Format, at + " ('" + a.name + "'): recommended_range must be [min, max] with min < max");
      }
      a.range_min = r[0].get<double>();
      a.range_max = r[1].get<double>();
    }
    out.push_back(a);
  }
  return out;
}

}  // namespace glowlab
