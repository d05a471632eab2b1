// A cache entry keyed on the identity and version of the tensors it was computed from, so that
// derived weights are recomputed exactly once per weight change (optimiser step, load, .to()).
#pragma once

#include <vector>

#include <ATen/ATen.h>

namespace glowlab {

class WeightKey {
 public:
  // True (and remembers the new key) if any source changed since the last call.
  bool changed(const std::vector<at::Tensor>& sources) {
    std::vector<int64_t> key;
    key.reserve(sources.size() * 3);
    for (const auto& t : sources) {
      key.push_back(reinterpret_cast<int64_t>(t.unsafeGetTensorImpl()));
      key.push_back(reinterpret_cast<int64_t>(t.data_ptr()));
      key.push_back(t.is_inference() ? -1 : t._version());
    }
    if (key == key_) return false;
    key_ = std::move(key);
    return true;
  }
  void reset() { key_.clear(); }

 private:
  std::vector<int64_t> key_;
};

}  // namespace glowlab
