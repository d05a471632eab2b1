#include "train/run_state.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "bundle/safetensors.h"
#include "core/error.h"
#include "core/named_tensors.h"
#include "train/distributed.h"

namespace glowlab {

std::string absolute_sources(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "" : " + ") + std::filesystem::absolute(p).string();
  return out;
}

namespace fs = std::filesystem;
namespace {

constexpr const char* kCheckpointFormat = "glowlab.checkpoint/1";

// st[key] as a T, `fallback` when absent (files from before the field); a value of another type
// is an Error naming the file and the field, not nlohmann's type_error.
template <typename T>
T field(const nlohmann::json& st, const char* key, T fallback, const std::string& path) {
  if (!st.contains(key)) return fallback;
  try {
    return st.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::Format, path + ": checkpoint state field '" + key + "' has the wrong type");
  }
}

}  // namespace

std::vector<at::Tensor> params_of(Glow& g) { return g->parameters(); }

void copy_weights(Glow& from, Glow& to) {
  at::NoGradGuard g;
  auto a = from->parameters(), b = to->parameters();
  for (size_t i = 0; i < a.size(); ++i) b[i].copy_(a[i]);
  auto ba = from->buffers(), bb = to->buffers();
  for (size_t i = 0; i < ba.size(); ++i) bb[i].copy_(ba[i]);
}

void save_checkpoint(const std::string& path, State& s, const TrainOptions& o) {
  NamedTensors t;
  for (const auto& p : s.glow->named_parameters()) t.emplace_back("model/" + p.key(), p.value());
  for (const auto& b : s.glow->named_buffers()) t.emplace_back("model/" + b.key(), b.value());
  for (const auto& p : s.ema->named_parameters()) t.emplace_back("ema/" + p.key(), p.value());
  for (const auto& b : s.ema->named_buffers()) t.emplace_back("ema/" + b.key(), b.value());
  auto names = s.glow->named_parameters();
  for (size_t i = 0; i < names.size(); ++i) {
    t.emplace_back("opt/m/" + names[i].key(), s.opt->first_moments()[i]);
    t.emplace_back("opt/v/" + names[i].key(), s.opt->second_moments()[i]);
  }
  nlohmann::json state = {{"step", s.step},
                          {"optimizer_steps", s.opt->steps()},
                          {"optimizer", s.opt->kind()},
                          {"lr_scale", s.lr_scale},
                          {"skipped", s.skipped},
                          {"images_seen", s.images_seen},
                          {"train_seconds", s.train_seconds},
                          {"seed", o.seed},
                          {"batch", o.batch},
                          {"world_size", o.distributed.world_size},
                          {"framing", s.framing},
                          {"data", absolute_sources(o.data)}};
  write_safetensors(path, {{"format", kCheckpointFormat}, {"config", s.glow->config().to_json()}, {"state", state.dump()}}, t);
}

void load_checkpoint(const std::string& path, State& s, const TrainOptions& o, GlowConfig& config, const at::Device& device) {
  auto c = read_safetensors(path);
  if (c.metadata["format"] != kCheckpointFormat) {
    throw Error(ErrorKind::Format, path + ": not a GlowLab checkpoint (format '" + c.metadata["format"] + "')");
  }
  config = GlowConfig::from_json(c.metadata["config"], path);
  nlohmann::json st = nlohmann::json::parse(c.metadata["state"], nullptr, false);
  if (st.is_discarded()) throw Error(ErrorKind::Format, path + ": checkpoint state is not valid JSON");
  if (!st.is_object()) throw Error(ErrorKind::Format, path + ": checkpoint state is not a JSON object");
  if (field(st, "seed", uint64_t{0}, path) != o.seed || field(st, "batch", 0, path) != o.batch) {
    throw Error(ErrorKind::InvalidArgument, path + ": checkpoint was made with seed " + std::to_string(field(st, "seed", 0, path)) +
                                                " and batch " + std::to_string(field(st, "batch", 0, path)) +
                                                "; resume with the same --seed and --batch (per rank)");
  }
  if (const int was = field(st, "world_size", 1, path); was != o.distributed.world_size && o.log) {
    o.log("note: " + path + " was trained by " + std::to_string(was) + (was == 1 ? " rank" : " ranks") + " (global batch " +
          std::to_string(was * o.batch) + "); it continues on " + std::to_string(o.distributed.world_size) + " (global batch " +
          std::to_string(o.distributed.world_size * o.batch) + "): the data order and the step size per image change from here");
  }
  s.glow = Glow(config);
  s.ema = Glow(config);
  s.glow->to(device);
  s.ema->to(device);
  const TensorMap file(c.tensors.begin(), c.tensors.end());
  at::NoGradGuard g;
  load_named(*s.glow, file, path, "model/");
  load_named(*s.ema, file, path, "ema/");
  s.opt = std::make_unique<FlowOptimizer>(params_of(s.glow), field(st, "optimizer", std::string("adam"), path));
  auto names = s.glow->named_parameters();
  for (size_t i = 0; i < names.size(); ++i) {
    auto& m = s.opt->first_moments()[i];
    auto& v = s.opt->second_moments()[i];
    m.copy_(take_named(file, "opt/m/" + names[i].key(), m.sizes(), path));
    v.copy_(take_named(file, "opt/v/" + names[i].key(), v.sizes(), path));
  }
  s.opt->set_steps(field(st, "optimizer_steps", int64_t{0}, path));
  s.step = field(st, "step", int64_t{0}, path);
  if (st.contains("framing") && st["framing"].is_array()) s.framing = field(st, "framing", std::vector<double>(), path);
  s.lr_scale = field(st, "lr_scale", 1.0, path);
  s.skipped = field(st, "skipped", 0, path);
  s.images_seen = field(st, "images_seen", int64_t{0}, path);
  s.train_seconds = field(st, "train_seconds", 0.0, path);
}

void broadcast_state(Communicator& comm, State& s) {
  std::vector<at::Tensor> all;
  for (auto* m : {&s.glow, &s.ema}) {
    for (auto& p : (*m)->parameters()) all.push_back(p.detach());
    for (auto& b : (*m)->buffers()) all.push_back(b);
  }
  for (auto& m : s.opt->first_moments()) all.push_back(m);
  for (auto& v : s.opt->second_moments()) all.push_back(v);
  auto counters = at::tensor({static_cast<double>(s.step), s.lr_scale, static_cast<double>(s.skipped), static_cast<double>(s.images_seen),
                              static_cast<double>(s.opt->steps()), s.train_seconds}, at::kDouble);
  all.push_back(counters);
  at::NoGradGuard g;
  comm.broadcast(all);
  s.step = static_cast<int64_t>(counters[0].item<double>());
  s.lr_scale = counters[1].item<double>();
  s.skipped = static_cast<int>(counters[2].item<double>());
  s.images_seen = static_cast<int64_t>(counters[3].item<double>());
  s.opt->set_steps(static_cast<int64_t>(counters[4].item<double>()));
  s.train_seconds = counters[5].item<double>();
}

}  // namespace glowlab
