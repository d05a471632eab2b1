// Reading the tensors of a torch.save file without Python.
#pragma once

#include <map>
#include <string>

#include <ATen/ATen.h>

namespace glowlab {

// Every tensor of a torch.save file (the zip format of PyTorch >= 1.6), by its path in the saved
// object: dict keys and list indices joined by '.', e.g. "module.blocks.0.prior.scale" or
// "model.flow.layers.1.actnorm.bias". Tensors come back on the CPU, contiguous, in their saved
// dtype.
//
// The container is read with LibTorch's own PyTorchStreamReader; data.pkl with a restricted
// unpickler of the opcodes torch.save writes. No code from the file runs: OrderedDict becomes a
// dict, torch._utils._rebuild_tensor_v2 a tensor, any other class an opaque value. (LibTorch 1.13's
// torch::pickle_load cannot read a state_dict: its unpickler turns every OrderedDict into None.)
// Throws Error(Format) naming the file: not a zip (a pre-1.6 "legacy" torch.save file is refused
// by name), no data.pkl, a truncated or unsupported pickle, a tensor outside its storage.
std::map<std::string, at::Tensor> read_torch_tensors(const std::string& path);

// The container only (its magic and the zip's data.pkl, no pickle read): what read_torch_tensors
// checks first, with the same messages. Cheap for a checkpoint of any size.
void check_torch_file(const std::string& path);

}  // namespace glowlab
