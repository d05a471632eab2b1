#include "flow/config.h"

#include <atomic>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"

namespace glowlab {
namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::InvalidArgument, where + ": invalid config: " + what);
}

}  // namespace

const char* to_string(CouplingType c) { return c == CouplingType::Affine ? "affine" : "additive"; }

const char* to_string(Permutation p) {
  switch (p) {
    case Permutation::LU: return "lu";
    case Permutation::Plain: return "plain";
    case Permutation::Reverse: return "reverse";
  }
  return "?";
}

std::optional<CouplingType> coupling_from_name(const std::string& name) {
  for (const auto c : {CouplingType::Affine, CouplingType::Additive}) {
    if (name == to_string(c)) return c;
  }
  return std::nullopt;
}

std::optional<Permutation> permutation_from_name(const std::string& name) {
  for (const auto p : {Permutation::LU, Permutation::Plain, Permutation::Reverse}) {
    if (name == to_string(p)) return p;
  }
  return std::nullopt;
}

std::vector<std::string> coupling_names() { return {to_string(CouplingType::Affine), to_string(CouplingType::Additive)}; }

std::vector<std::string> permutation_names() {
  return {to_string(Permutation::LU), to_string(Permutation::Plain), to_string(Permutation::Reverse)};
}

GlowConfig merge_config(const std::string& config_path, const ConfigOverrides& o) {
  GlowConfig c;
  if (config_path.empty()) c.scale_min = kDefaultScaleMin;
  else c = GlowConfig::from_json(read_file(config_path, 1 << 20), config_path);
  auto apply = [](const auto& given, auto& field) {
    if (given) field = *given;
  };
  apply(o.image_size, c.image_size);
  apply(o.channels, c.channels);
  apply(o.levels, c.levels);
  apply(o.steps, c.steps);
  apply(o.width, c.width);
  apply(o.n_bits, c.n_bits);
  apply(o.coupling, c.coupling);
  apply(o.permutation, c.permutation);
  apply(o.learn_top, c.learn_top);
  apply(o.scale_min, c.scale_min);
  try {
    c.validate();
  } catch (const Error& e) {
    if (config_path.empty()) throw;
    std::string what = e.what();
    if (what.rfind("config: ", 0) == 0) what = what.substr(8);
    throw Error(ErrorKind::InvalidArgument, config_path + " and the command line's fields: " + what);
  }
  return c;
}

void GlowConfig::validate() const {
  const std::string where = "config";
  if (channels != 1 && channels != 3) bad(where, "channels must be 1 or 3, got " + std::to_string(channels));
  if (levels < 1 || levels > 8) bad(where, "levels must be 1..8, got " + std::to_string(levels));
  if (steps < 1 || steps > 256) bad(where, "steps must be 1..256, got " + std::to_string(steps));
  if (width < 1 || width > 4096) bad(where, "width must be 1..4096, got " + std::to_string(width));
  if (n_bits < 1 || n_bits > 8) bad(where, "n_bits must be 1..8, got " + std::to_string(n_bits));
  if (image_size < 2 || image_size > 1024) {
    bad(where, "image_size must be 2..1024, got " + std::to_string(image_size));
  }
  if (!(scale_min >= 0.0 && scale_min <= 0.95)) {
    bad(where, "scale_min must be 0 (unbounded) or in (0, 0.95], got " + std::to_string(scale_min));
  }
  if (top_map && !learn_top) bad(where, "top_map needs learn_top");
  if (image_size % (1 << levels) != 0) {
    bad(where, "image_size " + std::to_string(image_size) + " is not divisible by 2^levels = " +
                   std::to_string(1 << levels));
  }
}

std::int64_t GlowConfig::dimension() const {
  return static_cast<std::int64_t>(channels) * image_size * image_size;
}

std::vector<std::vector<std::int64_t>> GlowConfig::level_shapes() const {
  std::vector<std::vector<std::int64_t>> shapes;
  std::int64_t c = channels;
  std::int64_t s = image_size;
  for (int i = 0; i < levels; ++i) {
    c *= 4;
    s /= 2;
    if (i + 1 < levels) {
      shapes.push_back({c / 2, s, s});
      c /= 2;
    } else {
      shapes.push_back({c, s, s});
    }
  }
  return shapes;
}

std::string GlowConfig::to_json() const {
  nlohmann::json j = {{"image_size", image_size}, {"channels", channels},
                      {"levels", levels},         {"steps", steps},
                      {"width", width},           {"coupling", to_string(coupling)},
                      {"permutation", to_string(permutation)},
                      {"n_bits", n_bits},         {"learn_top", learn_top}};
  // Written only when set, so models with the paper's formula keep their config text unchanged.
  if (scale_min > 0.0) j["scale_min"] = scale_min;
  if (zeroconv_pad_ones) j["zeroconv_pad_ones"] = true;
  if (top_map) j["top_map"] = true;
  return j.dump();
}

GlowConfig GlowConfig::from_json(const std::string& text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    bad(where, std::string("not JSON: ") + e.what());
  }
  if (!j.is_object()) bad(where, "expected a JSON object");
  static const char* kKnown[] = {"image_size", "channels", "levels", "steps",     "width",
                                 "coupling",   "permutation", "n_bits", "learn_top", "scale_min",
                                 "zeroconv_pad_ones", "top_map"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* k : kKnown) known = known || it.key() == k;
    if (!known) bad(where, "unknown field '" + it.key() + "'");
  }
  GlowConfig c;
  auto get_int = [&](const char* key, int& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_number_integer()) bad(where, std::string("field '") + key + "' must be an integer");
    const auto v = j[key].get<std::int64_t>();
    if (v < -1000000 || v > 1000000) bad(where, std::string("field '") + key + "' is out of range");
    out = static_cast<int>(v);
  };
  get_int("image_size", c.image_size);
  get_int("channels", c.channels);
  get_int("levels", c.levels);
  get_int("steps", c.steps);
  get_int("width", c.width);
  get_int("n_bits", c.n_bits);
  if (j.contains("learn_top")) {
    if (!j["learn_top"].is_boolean()) bad(where, "field 'learn_top' must be true or false");
    c.learn_top = j["learn_top"].get<bool>();
  }
  for (const char* key : {"zeroconv_pad_ones", "top_map"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_boolean()) bad(where, std::string("field '") + key + "' must be true or false");
    (std::string(key) == "top_map" ? c.top_map : c.zeroconv_pad_ones) = j[key].get<bool>();
  }
  if (j.contains("scale_min")) {
    if (!j["scale_min"].is_number()) bad(where, "field 'scale_min' must be a number");
    c.scale_min = j["scale_min"].get<double>();
  }
  auto get_name = [&](const char* key) { return j[key].is_string() ? j[key].get<std::string>() : std::string(); };
  if (j.contains("coupling")) {
    const auto v = coupling_from_name(get_name("coupling"));
    if (!v) bad(where, "field 'coupling' must be \"affine\" or \"additive\"");
    c.coupling = *v;
  }
  if (j.contains("permutation")) {
    const auto v = permutation_from_name(get_name("permutation"));
    if (!v) bad(where, "field 'permutation' must be \"lu\", \"plain\" or \"reverse\"");
    c.permutation = *v;
  }
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(ErrorKind::InvalidArgument, where + ": " + e.what());
  }
  return c;
}

namespace {
std::atomic<int> g_precision{static_cast<int>(Precision::FP32)};
thread_local int t_precision = -1;  // -1: the process's setting
}  // namespace

void set_precision(Precision p) { g_precision = static_cast<int>(p); }
Precision precision() { return static_cast<Precision>(t_precision >= 0 ? t_precision : g_precision.load()); }

ThreadPrecision::ThreadPrecision(Precision p) : before_(t_precision) { t_precision = static_cast<int>(p); }
ThreadPrecision::~ThreadPrecision() { t_precision = before_; }
const char* to_string(Precision p) { return p == Precision::BF16 ? "bf16" : "fp32"; }
Precision parse_precision(const std::string& text) {
  if (text == "fp32") return Precision::FP32;
  if (text == "bf16") return Precision::BF16;
  throw Error(ErrorKind::InvalidArgument, "precision '" + text + "' is not fp32 or bf16");
}

}  // namespace glowlab
