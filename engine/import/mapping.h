// Internal to the importers (rosinality.cpp, y0ast.cpp): the checkpoint's tensors as a Source, GlowLab's
// as a Target, and the layout conversions every format needs. Not part of the engine's API.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "flow/config.h"
#include "flow/glow.h"
#include "import/import.h"

namespace glowlab::import_detail {

// "[2, 3, 1, 1]": a shape for messages.
std::string shape_of(const at::Tensor& t);
std::string shape_of(const std::vector<int64_t>& v);

// The checkpoint's tensors under one prefix, with the lookups every importer needs: a missing key
// or a wrong shape is an error naming the file, the key and both shapes; keys never asked for are
// reported as unexpected at the end.
class Source {
 public:
  Source(std::string path, std::map<std::string, at::Tensor> tensors)
      : path_(std::move(path)), tensors_(std::move(tensors)) {}

  // Throws Error(Format) "<checkpoint>: <what>".
  [[noreturn]] void fail(const std::string& what) const;
  const std::string& path() const { return path_; }
  bool has(const std::string& key) const { return tensors_.count(key) != 0; }
  const std::map<std::string, at::Tensor>& all() const { return tensors_; }

  // The tensor at `key` as float64 (exact for the float32 weights), marked used.
  at::Tensor get(const std::string& key);
  // The same, failing unless its shape is `shape`.
  at::Tensor get(const std::string& key, const std::vector<int64_t>& shape);
  // Marks `key` used without reading it (state GlowLab does not need).
  void ignore(const std::string& key) { used_.insert(key); }
  // Fails on the first key never asked for, saying it is not part of `layout`.
  void check_all_used(const std::string& layout) const;

 private:
  std::string path_;
  std::map<std::string, at::Tensor> tensors_;
  std::set<std::string> used_;
};

// GlowLab's tensors by name, checked against the Glow the config builds.
class Target {
 public:
  explicit Target(const GlowConfig& config);
  // `t` (any float dtype) into the slot `name`; `from` names the checkpoint key for the message.
  void put(const std::string& name, const at::Tensor& t, const std::string& from);
  // The Glow, once every slot is filled and finite (ActNorm "initialized" flags are set here).
  Glow finish();

 private:
  Glow glow_;
  std::map<std::string, at::Tensor> slots_;
  std::set<std::string> filled_;
};

// Output channels of a conv (weight [O, ...], bias [O], logs [O] in any shape) reordered by `index`.
at::Tensor rows(const at::Tensor& t, const at::Tensor& index);
at::Tensor flat_rows(const at::Tensor& t, const at::Tensor& index);

// [second half; first half] and [even; odd] channel orders.
at::Tensor halves_swapped(int64_t n);
at::Tensor even_then_odd(int64_t n);

// A 3x3 zero-conv's output times exp(3 logs), applied to `x` with ones- or zeros-padding.
at::Tensor zero_conv(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const at::Tensor& logs, bool pad_ones);

// The top prior h = [mean; logs] ([1, 2C, S, S]) into GlowLab's top_mean/top_logs, per channel
// when h is the same at every position (else the config must have top_map).
void put_top(Target& target, const at::Tensor& h, const GlowConfig& config, const std::string& from);
// Whether h ([N, C, S, S]) is the same at every position.
bool constant_over_positions(const at::Tensor& h);

// The rosinality/hidden-conv convention: conv + bias -> GlowLab's conv + ActNorm(loc = bias, logs = 0).
void put_biased_conv(Target& t, const std::string& name, const std::string& an, const at::Tensor& w, const at::Tensor& b,
                     const std::string& from);

// Drops `prefix` from every key when every key has it: returns it then, else "" (nothing changed).
std::string strip_prefix(std::map<std::string, at::Tensor>& tensors, const std::string& prefix);
// How many keys head + 0.. + tail there are in a row from 0.
int count_indices(const Source& s, const std::string& head, const std::string& tail);

// Fails when an option was given (non-zero / non-empty) and differs from what the checkpoint says;
// `how` says where the checkpoint says it.
void check_given(const Source& s, const char* what, int given, int found, const std::string& how);
void check_coupling(const Source& s, const std::string& given, CouplingType found, const std::string& how);
// config.validate(), its complaint failing as the checkpoint's.
void validate_for(const Source& s, const GlowConfig& config);

// The importers, one per file: fill `out` and say what was inferred.
ImportResult import_rosinality(const ImportOptions& o, Glow& out);
// chai = true: chaiyujin/glow-pytorch, else y0ast/Glow-PyTorch (the same model, other names).
ImportResult import_y0ast(const ImportOptions& o, Glow& out, bool chai);

}  // namespace glowlab::import_detail
