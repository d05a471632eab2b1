// The flow's convolutions (stride 1, no dilation, one group).
#pragma once

#include <ATen/ATen.h>

namespace glowlab {

// at::conv2d, except that fp32 and bf16 inference on the CPU always runs on oneDNN: ATen's own choice sends
// a batch-1 convolution of a small input (under 20,480 values, with few threads) to its slow
// im2col path, where a celeba64 decode spent 42% of its time (bench --profile). Training (autograd
// on) and other devices and types go to at::conv2d as before.
at::Tensor flow_conv2d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias = {}, int64_t padding = 0);

}  // namespace glowlab
