#include "bundle/safetensors.h"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace glowlab {
namespace {

constexpr std::size_t kMaxHeaderBytes = 100u << 20;      // 100 MiB of JSON is never a real model
constexpr std::size_t kMaxFileBytes = std::size_t{8} << 30;  // 8 GiB

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::Format, path + ": " + what);
}

bool little_endian_host() {
  const uint16_t probe = 1;
  uint8_t first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

struct DType {
  const char* name;
  at::ScalarType type;
  std::size_t size;
  bool supported;
};

const DType kDTypes[] = {
    {"F32", at::kFloat, 4, true},    {"F64", at::kDouble, 8, true},   {"F16", at::kHalf, 2, false},
    {"BF16", at::kBFloat16, 2, false}, {"I64", at::kLong, 8, false},  {"I32", at::kInt, 4, false},
    {"I16", at::kShort, 2, false},   {"I8", at::kChar, 1, false},     {"U8", at::kByte, 1, false},
    {"BOOL", at::kBool, 1, false},   {"U16", at::kShort, 2, false},   {"U32", at::kInt, 4, false},
    {"U64", at::kLong, 8, false},    {"F8_E4M3", at::kByte, 1, false}, {"F8_E5M2", at::kByte, 1, false},
};

const DType* find_dtype(const std::string& name) {
  for (const auto& d : kDTypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

const char* dtype_name(at::ScalarType t) {
  if (t == at::kFloat) return "F32";
  if (t == at::kDouble) return "F64";
  return nullptr;
}

// The header's text without the integrity field: what sha256_header covers. nlohmann's objects
// keep their keys sorted, so the text is the same whether the header was built or parsed.
std::string header_without_integrity(nlohmann::json header) {
  if (header.contains("__metadata__") && header["__metadata__"].is_object()) header["__metadata__"].erase(kIntegrityField);
  return header.dump();
}

// The header's declared length, after checking that the file can hold it; a file that is not
// a model at all is named when it is a common kind.
std::size_t header_length(const std::string& bytes, const std::string& path) {
  if (!little_endian_host()) bad(path, "big-endian hosts are not supported");
  if (bytes.empty()) bad(path, "file is empty (0 bytes)");
  if (bytes.size() < 8) {
    bad(path, "file is " + std::to_string(bytes.size()) + " bytes, too short for the 8-byte header length");
  }
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  // A model's header (JSON) starts right after its 8-byte length: anything else is another kind of
  // file, named when it is a common one (a photo opened as a model, a PyTorch checkpoint).
  if (bytes.size() > 8 && bytes[8] != '{') {
    const auto starts = [&](const char* magic) { return bytes.compare(0, std::char_traits<char>::length(magic), magic) == 0; };
    const char* kind = starts("\x89PNG")         ? "a PNG image"
                       : starts("\xFF\xD8\xFF")   ? "a JPEG image"
                       : starts("GIF8")          ? "a GIF image"
                       : starts("RIFF")          ? "a WebP image (or another RIFF file)"
                       : starts("PK\x03\x04")    ? "a zip archive (a PyTorch .pt/.pth checkpoint is one: import it first)"
                                                 : nullptr;
    if (kind) bad(path, std::string("not a GlowLab model (.glow): it is ") + kind);
  }
  if (n > kMaxHeaderBytes) {
    bad(path, "not a GlowLab model (.glow), or a damaged one: declared header length " + std::to_string(n) +
                  " exceeds the limit of " + std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (n > bytes.size() - 8) {
    bad(path, "declared header length " + std::to_string(n) + " runs past the end of the file (" +
                  std::to_string(bytes.size()) + " bytes): the file is truncated or not a model");
  }
  return static_cast<std::size_t>(n);
}

std::map<std::string, std::string> read_metadata(const nlohmann::json& v, const std::string& path) {
  if (!v.is_object()) bad(path, "__metadata__ is not a JSON object");
  std::map<std::string, std::string> out;
  for (auto m = v.begin(); m != v.end(); ++m) {
    if (m.key() == kIntegrityField) continue;
    if (!m.value().is_string()) bad(path, "__metadata__ field '" + m.key() + "' is not a string");
    out[m.key()] = m.value().get<std::string>();
  }
  return out;
}

struct Span {
  std::size_t begin, end;
  std::string name;
};

// One tensor's entry checked (dtype, shape, offsets within `data`) and its bytes copied out;
// `span` gets its offsets.
at::Tensor read_tensor(const std::string& name, const nlohmann::json& v, std::string_view data, const std::string& path,
                       Span& span) {
  const std::string where = "tensor '" + name + "'";
  if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets")) {
    bad(path, where + " needs dtype, shape and data_offsets");
  }
  if (!v["dtype"].is_string()) bad(path, where + ": dtype is not a string");
  const std::string dtype = v["dtype"].get<std::string>();
  const DType* dt = find_dtype(dtype);
  if (!dt) bad(path, where + ": unknown dtype '" + dtype + "'");
  if (!dt->supported) bad(path, where + ": dtype " + dtype + " is not supported (F32 or F64 expected)");
  if (!v["shape"].is_array()) bad(path, where + ": shape is not a list");
  std::vector<int64_t> shape;
  uint64_t numel = 1;
  for (const auto& d : v["shape"]) {
    if (!d.is_number_unsigned()) bad(path, where + ": shape has a negative or non-integer dimension");
    const uint64_t dim = d.get<uint64_t>();
    if (dim > (uint64_t{1} << 40) || __builtin_mul_overflow(numel, dim, &numel)) {
      bad(path, where + ": shape is implausibly large");
    }
    shape.push_back(static_cast<int64_t>(dim));
  }
  const auto& off = v["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
    bad(path, where + ": data_offsets must be two non-negative integers");
  }
  const uint64_t b = off[0].get<uint64_t>();
  const uint64_t e = off[1].get<uint64_t>();
  if (b > e || e > data.size()) {
    bad(path, where + ": data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                  "] lie outside the " + std::to_string(data.size()) + " data bytes (file truncated?)");
  }
  uint64_t expected = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dt->size), &expected) || expected != e - b) {
    bad(path, where + ": shape needs " + std::to_string(numel * dt->size) + " bytes but data_offsets span " +
                  std::to_string(e - b));
  }
  span.begin = b;
  span.end = e;
  auto t = at::empty(shape, at::TensorOptions().dtype(dt->type));
  if (expected > 0) std::memcpy(t.data_ptr(), data.data() + b, expected);
  return t;
}

void check_no_overlap(std::vector<Span> spans, const std::string& path) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].begin < spans[i - 1].end) {
      bad(path, "tensors '" + spans[i - 1].name + "' and '" + spans[i].name + "' overlap in the data");
    }
  }
}

// True when the header carries checksums and they match; a mismatch is an Error calling the file
// damaged. Files written before checksums existed have none (false).
bool verify_checksums(const nlohmann::json& header, std::string_view data, const std::string& path) {
  if (!header.contains("__metadata__") || !header["__metadata__"].is_object() ||
      !header["__metadata__"].contains(kIntegrityField)) {
    return false;
  }
  const auto& field = header["__metadata__"][kIntegrityField];
  const auto sums = field.is_string() ? nlohmann::json::parse(field.get<std::string>(), nullptr, false) : nlohmann::json();
  if (!sums.is_object() || !sums.contains("sha256_data") || !sums.contains("sha256_header") ||
      !sums["sha256_data"].is_string() || !sums["sha256_header"].is_string()) {
    throw Error(ErrorKind::Format, path + " is damaged (its integrity field is unreadable)");
  }
  if (sums["sha256_header"].get<std::string>() != sha256_hex(header_without_integrity(header))) {
    throw Error(ErrorKind::Format, path + " is damaged (checksum mismatch: the header changed after it was written)");
  }
  if (sums["sha256_data"].get<std::string>() != sha256_hex(data)) {
    throw Error(ErrorKind::Format, path + " is damaged (checksum mismatch: the tensor data changed after it was written)");
  }
  return true;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorKind::Io, "SHA-256 failed (OpenSSL)");
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

void write_safetensors(const std::string& path, const std::map<std::string, std::string>& metadata,
                       const NamedTensors& tensors) {
  if (!little_endian_host()) throw Error(ErrorKind::Io, path + ": big-endian hosts are not supported");
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = metadata;
  std::vector<at::Tensor> cpu;
  std::size_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    const char* dt = dtype_name(tensor.scalar_type());
    if (!dt) throw Error(ErrorKind::InvalidArgument, path + ": tensor " + name + " is not F32/F64");
    if (header.contains(name)) throw Error(ErrorKind::InvalidArgument, path + ": duplicate tensor " + name);
    auto t = tensor.detach().to(at::kCPU).contiguous();
    const std::size_t bytes = static_cast<std::size_t>(t.numel()) * t.element_size();
    header[name] = {{"dtype", dt}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    cpu.push_back(t);
  }
  std::string data;
  data.reserve(offset);
  for (const auto& t : cpu) {
    data.append(static_cast<const char*>(t.data_ptr()), static_cast<std::size_t>(t.numel()) * t.element_size());
  }
  header["__metadata__"].erase(kIntegrityField);
  header["__metadata__"][kIntegrityField] =
      nlohmann::json{{"sha256_data", sha256_hex(data)}, {"sha256_header", sha256_hex(header_without_integrity(header))}}.dump();
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // keep the data 8-byte aligned
  std::string out(8, '\0');
  const uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  out += json;
  out += data;
  write_file_atomic(path, out);
}

SafetensorsContents read_safetensors(const std::string& path) {
  return parse_safetensors(read_file(path, kMaxFileBytes), path);
}

SafetensorsContents parse_safetensors(const std::string& bytes, const std::string& path) {
  const std::size_t n = header_length(bytes, path);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
  } catch (const nlohmann::json::exception& e) {
    bad(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) bad(path, "header is not a JSON object");

  SafetensorsContents out;
  const std::string_view data = std::string_view(bytes).substr(8 + n);
  std::vector<Span> spans;
  std::string non_finite;  // the first tensor holding NaN or infinity, reported after the checksums
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      out.metadata = read_metadata(it.value(), path);
      continue;
    }
    spans.push_back({0, 0, it.key()});
    auto t = read_tensor(it.key(), it.value(), data, path, spans.back());
    if (non_finite.empty() && !at::isfinite(t).all().item<bool>()) non_finite = "tensor '" + it.key() + "'";
    out.tensors.emplace_back(it.key(), t);
  }
  check_no_overlap(spans, path);
  // Checksums after the structure (a truncated file gets the precise message) and before the
  // values: a damaged file is called damaged, not "NaN in tensor X" or, worse, accepted.
  out.checksummed = verify_checksums(header, data, path);
  if (!non_finite.empty()) bad(path, non_finite + " contains NaN or infinite values");
  return out;
}

}  // namespace glowlab
