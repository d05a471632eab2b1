#include "bundle/attribute.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace glowlab {

std::string display_name(const std::string& attribute_name) {
  std::string out;
  for (char c : attribute_name) out += (c == '_') ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
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
