// RELU6: clamping to [0, 6]. The kernel and its reference math are shared
// with RELU (relu.h): clamp_float with bounds [0, 6], and requantize-then-
// clamp for int8 and uint8.
#pragma once

#include "quantlab/kernels/relu.h"
