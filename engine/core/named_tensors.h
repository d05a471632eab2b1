// Where a file's named tensors meet a module's parameters and buffers: the one loader, every key
// and shape checked, so a wrong file is an error naming it and never a silent broadcast.
#pragma once

#include <map>
#include <string>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

namespace glowlab {

using TensorMap = std::map<std::string, at::Tensor>;

// Every parameter and buffer of `module` under prefix + its name (the names files use); the
// tensors are the module's own, not copies.
TensorMap named_state(const torch::nn::Module& module, const std::string& prefix = "");

// tensors[key], checked against `shape`. Throws Error(Format) "WHERE: missing tensor 'KEY'" or
// "WHERE: tensor 'KEY' has shape [..] but the config needs [..]".
const at::Tensor& take_named(const TensorMap& tensors, const std::string& key, at::IntArrayRef shape,
                             const std::string& where);

// Copies tensors[prefix + name] into every parameter and buffer of `module` once all of them are
// found with the module's shapes (take_named); tensors the module has no place for are ignored.
void load_named(torch::nn::Module& module, const TensorMap& tensors, const std::string& where,
                const std::string& prefix = "");

}  // namespace glowlab
