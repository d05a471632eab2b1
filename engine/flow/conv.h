// The flow's convolutions (stride 1, no dilation, one group).
#pragma once

#include <ATen/ATen.h>

namespace glowlab {

// at::conv2d, except that fp32 and bf16 inference on the CPU always runs on oneDNN: ATen's own choice sends
// a batch-1 convolution of a small input (under 20,480 values, with few threads) to its slow
// im2col path, where a celeba64 decode spent 42% of its time (bench --profile). Training (autograd
// on) and other devices and types go to at::conv2d as before.
at::Tensor flow_conv2d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias = {}, int64_t padding = 0);

// y = W x + b at every pixel (a 1x1 convolution: the flow step's folded ActNorm and invertible
// mix), weight [C, C] and bias [C] on a contiguous NCHW float x [N, C, H, W]. While training, as
// batched matrix products with a backward of its own: the flow's few channels (12 to 48) are
// memory-bound, where ATen's convolution took 4x the forward time of the products and 2.5x the
// forward and backward (config A's level 1; docs/speed.md). Otherwise flow_conv2d.
at::Tensor channel_mix(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace glowlab
