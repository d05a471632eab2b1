// A safetensors container: 8-byte little-endian header length N, N bytes of JSON, raw tensor data.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

namespace glowlab {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct SafetensorsContents {
  std::map<std::string, std::string> metadata;  // the "__metadata__" object (without "integrity")
  NamedTensors tensors;                         // in file order, CPU, contiguous
  bool checksummed = false;                     // the file carried checksums, and they matched
};

// Integrity: the writer stores, in __metadata__["integrity"], the SHA-256 of the tensor data and
// of the header without that field ({"sha256_data": hex, "sha256_header": hex}). The reader checks
// both before anything else and refuses a changed file with "PATH is damaged (checksum mismatch
// ...)"; files written before checksums existed load with checksummed = false.
inline constexpr const char* kIntegrityField = "integrity";
// SHA-256 of bytes, lowercase hex (OpenSSL).
std::string sha256_hex(std::string_view bytes);

// Writes F32/F64 CPU or device tensors atomically; throws Error(Io) naming the path on failure.
void write_safetensors(const std::string& path, const std::map<std::string, std::string>& metadata,
                       const NamedTensors& tensors);

// Reads and validates the container (header bounds, JSON, dtypes, shapes vs offsets, overlaps,
// finite values). Every failure throws Error(Format) naming the path and the problem.
SafetensorsContents read_safetensors(const std::string& path);
// The same, from bytes already in memory; `path` is used in messages only.
SafetensorsContents parse_safetensors(const std::string& bytes, const std::string& path);

}  // namespace glowlab
