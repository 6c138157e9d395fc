// Adapting user arrays to a model's inputs and outputs: the one place where
// real-valued data meets a quantized model boundary.
//
// Real values fed to an int8/uint8 input are quantized with that input's
// scale and zero point, rounding half away from zero and saturating to the
// type's range. (A plain cast of x / scale + zero_point truncates and wraps
// around, which silently destroys accuracy.) Quantized outputs are
// dequantized before any decision is taken on them.
#pragma once

#include "quantlab/core/status.h"
#include "quantlab/data/npy.h"
#include "quantlab/kernels/kernel.h"

namespace quantlab {

// Converts `data` to the dtype of a model input described by `input`:
//  - same dtype: returned unchanged;
//  - float data for an int8/uint8/int16 input: quantized (round, saturate);
//    an input without quantization parameters is an error;
//  - integer data for a float input: converted to float;
//  - integer data for an integer input of another type: converted if every
//    value fits, else an error naming the first value that does not.
// With `raw`, integer data for an integer input is never rescaled (it must
// already be in the model's quantized domain).
Result<Array> convert_to_input(const Array& data, const TensorInfo& input, bool raw, const std::string& what);

// Real values of a model output: float outputs unchanged (as float32),
// quantized outputs dequantized with the output's parameters.
Result<Array> dequantize_output(const Array& output, const TensorInfo& info);

// Quantizes real values into `dtype` with (scale, zero_point), rounding half
// away from zero and saturating.
Array quantize_array(const Array& real, DType dtype, float scale, int32_t zero_point);

}  // namespace quantlab
