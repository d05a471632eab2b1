#include "flow/conv.h"

#include <atomic>

#include <ATen/Context.h>
#include <c10/core/GradMode.h>

namespace glowlab {

at::Tensor flow_conv2d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, int64_t padding) {
  static const bool onednn = at::hasMKLDNN();
  // oneDNN's bf16 needs AVX-512 (BW, VL, DQ): where it refuses, at::conv2d from then on.
  static std::atomic<bool> onednn_bf16{true};
  const auto type = x.scalar_type();
  if (onednn && !c10::GradMode::is_enabled() && x.is_cpu() && weight.scalar_type() == type) {
    if (type == at::kFloat) return at::mkldnn_convolution(x, weight, bias, {padding, padding}, {1, 1}, {1, 1}, 1);
    if (type == at::kBFloat16 && onednn_bf16) {
      try {
        return at::mkldnn_convolution(x, weight, bias, {padding, padding}, {1, 1}, {1, 1}, 1);
      } catch (const c10::Error&) {
        onednn_bf16 = false;
      }
    }
  }
  return at::conv2d(x, weight, bias, /*stride=*/1, /*padding=*/padding);
}

}  // namespace glowlab
