// A safetensors container: 8-byte little-endian header length N, N bytes of JSON, raw tensor data.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

namespace glowlab {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct SafetensorsContents {
  std::map<std::string, std::string> metadata;  // the "__metadata__" object
  NamedTensors tensors;                         // in file order, CPU, contiguous
};

// Writes F32/F64 CPU or device tensors atomically; throws Error(Io) naming the path on failure.
void write_safetensors(const std::string& path, const std::map<std::string, std::string>& metadata,
                       const NamedTensors& tensors);

// Reads and validates the container (header bounds, JSON, dtypes, shapes vs offsets, overlaps,
// finite values). Every failure throws Error(Format) naming the path and the problem.
SafetensorsContents read_safetensors(const std::string& path);
// The same, from bytes already in memory; `path` is used in messages only.
SafetensorsContents parse_safetensors(const std::string& bytes, const std::string& path);

}  // namespace glowlab
