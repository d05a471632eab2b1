#include "flow/conv.h"

#include <ATen/Context.h>
#include <c10/core/GradMode.h>

namespace glowlab {

at::Tensor flow_conv2d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, int64_t padding) {
  static const bool onednn = at::hasMKLDNN();
  if (onednn && !c10::GradMode::is_enabled() && x.is_cpu() && x.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat) {
    return at::mkldnn_convolution(x, weight, bias, {padding, padding}, {1, 1}, {1, 1}, 1);
  }
  return at::conv2d(x, weight, bias, /*stride=*/1, /*padding=*/padding);
}

}  // namespace glowlab
