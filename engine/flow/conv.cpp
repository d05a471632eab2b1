#include "flow/conv.h"

#include <atomic>

#include <ATen/Context.h>
#include <c10/core/GradMode.h>
#include <torch/autograd.h>

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

namespace {

// y[n] = W x[n] + b over x viewed [N, C, H*W].
struct ChannelMix : public torch::autograd::Function<ChannelMix> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const at::Tensor& bias) {
    const int64_t n = x.size(0), c = x.size(1);
    const auto x3 = x.view({n, c, -1});
    ctx->save_for_backward({x, weight});
    return at::baddbmm(bias.view({1, c, 1}).expand({n, c, 1}), weight.expand({n, c, c}), x3).view(x.sizes());
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const int64_t n = x.size(0), c = x.size(1);
    const auto g3 = grads[0].contiguous().view({n, c, -1});
    const auto x3 = x.view({n, c, -1});
    at::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) gx = at::bmm(weight.t().expand({n, c, c}), g3).view(x.sizes());
    if (ctx->needs_input_grad(1)) gw = at::bmm(g3, x3.transpose(1, 2)).sum(0);
    if (ctx->needs_input_grad(2)) gb = g3.sum(at::IntArrayRef{0, 2});
    return {gx, gw, gb};
  }
};

}  // namespace

at::Tensor channel_mix(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  const int64_t c = weight.size(0);
  if (c10::GradMode::is_enabled() && x.dim() == 4 && x.scalar_type() == at::kFloat && x.is_contiguous() &&
      x.size(1) == c && weight.dim() == 2 && weight.size(1) == c && bias.defined()) {
    return ChannelMix::apply(x, weight, bias);
  }
  return flow_conv2d(x, weight.view({c, c, 1, 1}), bias);
}

}  // namespace glowlab
