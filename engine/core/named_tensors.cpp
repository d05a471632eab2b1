#include "core/named_tensors.h"

#include <vector>

#include "core/error.h"

namespace glowlab {

TensorMap named_state(const torch::nn::Module& module, const std::string& prefix) {
  TensorMap out;
  for (const auto& p : module.named_parameters()) out.emplace(prefix + p.key(), p.value());
  for (const auto& b : module.named_buffers()) out.emplace(prefix + b.key(), b.value());
  return out;
}

const at::Tensor& take_named(const TensorMap& tensors, const std::string& key, at::IntArrayRef shape,
                             const std::string& where) {
  const auto it = tensors.find(key);
  if (it == tensors.end()) throw Error(ErrorKind::Format, where + ": missing tensor '" + key + "'");
  if (!it->second.sizes().equals(shape)) {
    throw Error(ErrorKind::Format, where + ": tensor '" + key + "' has shape " + c10::str(it->second.sizes()) +
                                       " but the config needs " + c10::str(shape));
  }
  return it->second;
}

void load_named(torch::nn::Module& module, const TensorMap& tensors, const std::string& where, const std::string& prefix) {
  TensorMap own = named_state(module);
  std::vector<const at::Tensor*> sources;  // all checked before the first copy: a bad file changes nothing
  for (const auto& [name, t] : own) sources.push_back(&take_named(tensors, prefix + name, t.sizes(), where));
  at::NoGradGuard no_grad;
  size_t i = 0;
  for (auto& [name, t] : own) t.copy_(*sources[i++]);
}

}  // namespace glowlab
