// The optimized kernels: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and
// BATCH_MATMUL in float32 and int8, and MAX_POOL_2D (which sits between the
// convolutions of the time-series models), registered beside the reference
// kernels (find_kernel picks them unless the reference family is requested).
#pragma once

#include "quantlab/kernels/kernel.h"

namespace quantlab {

const Kernel& optimized_kernel_Conv2D();
const Kernel& optimized_kernel_DepthwiseConv2D();
const Kernel& optimized_kernel_FullyConnected();
const Kernel& optimized_kernel_BatchMatMul();
const Kernel& optimized_kernel_MaxPool2D();

// The optimized kernel for `op` when one exists for its kind and dtypes:
// float32 or int8 throughout (int32 bias for int8), with constant weights
// for the convolutions and FULLY_CONNECTED; MAX_POOL_2D in float32 or int8
// when the CPU has AVX-512 (its only faster form). Null otherwise (hybrid
// ops, other kinds), and the reference kernel runs.
const Kernel* find_optimized_kernel(const Graph& graph, const Op& op);

}  // namespace quantlab
