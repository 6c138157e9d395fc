#include "quantlab/runtime/model_io.h"

#include <cmath>

#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

template <typename T>
void quantize_into(const Array& real, Array& out, float scale, int32_t zero_point) {
  const auto [qmin, qmax] = quantized_range(out.dtype);
  T* dst = out.data<T>();
  for (int64_t i = 0; i < real.num_elements(); ++i)
    dst[i] = static_cast<T>(quantize_value(static_cast<float>(real.value_as_double(i)), scale, zero_point, qmin, qmax));
}

template <typename T>
void store_all(Array& out, const Array& in) {
  T* dst = out.data<T>();
  for (int64_t i = 0; i < in.num_elements(); ++i) dst[i] = static_cast<T>(in.value_as_double(i));
}

// Writes `in`'s values into `out` (same shape), which has an integer or float32 dtype.
void store_values(Array& out, const Array& in) {
  switch (out.dtype) {
    case DType::kFloat32: store_all<float>(out, in); break;
    case DType::kInt8: store_all<int8_t>(out, in); break;
    case DType::kUInt8: store_all<uint8_t>(out, in); break;
    case DType::kInt16: store_all<int16_t>(out, in); break;
    case DType::kInt32: store_all<int32_t>(out, in); break;
    case DType::kInt64: store_all<int64_t>(out, in); break;
    default: break;
  }
}

}  // namespace

Array quantize_array(const Array& real, DType dtype, float scale, int32_t zero_point) {
  Array out = Array::zeros(dtype, real.shape);
  switch (dtype) {
    case DType::kInt8: quantize_into<int8_t>(real, out, scale, zero_point); break;
    case DType::kUInt8: quantize_into<uint8_t>(real, out, scale, zero_point); break;
    case DType::kInt16: quantize_into<int16_t>(real, out, scale, zero_point); break;
    default: break;
  }
  return out;
}

Result<Array> convert_to_input(const Array& data, const TensorInfo& input, bool raw, const std::string& what) {
  if (data.dtype == input.dtype) return data;
  const bool in_float = is_float(data.dtype), want_float = is_float(input.dtype);
  const bool want_quantized = input.dtype == DType::kInt8 || input.dtype == DType::kUInt8 || input.dtype == DType::kInt16;
  if (want_float) {
    if (input.dtype != DType::kFloat32) return unsupported(what + ": model input type " + dtype_name(input.dtype));
    Array out = Array::zeros(DType::kFloat32, data.shape);
    store_values(out, data);
    return out;
  }
  if (in_float) {
    if (!want_quantized)
      return invalid_argument(what + ": float data cannot feed a " + std::string(dtype_name(input.dtype)) + " input");
    if (!input.quant || input.quant->scale.empty())
      return invalid_argument(what + ": the " + std::string(dtype_name(input.dtype)) +
                              " input has no quantization parameters to quantize float data with");
    for (int64_t i = 0; i < data.num_elements(); ++i)
      if (!std::isfinite(data.value_as_double(i)))
        return invalid_argument(what + ": element " + std::to_string(i) + " is not finite");
    return quantize_array(data, input.dtype, input.scale(), input.zero_point());
  }
  // Integer data for an integer input of another width: values must fit.
  (void)raw;
  const auto [lo, hi] = quantized_range(input.dtype);
  for (int64_t i = 0; i < data.num_elements(); ++i) {
    const double v = data.value_as_double(i);
    if (v < lo || v > hi)
      return invalid_argument(what + ": element " + std::to_string(i) + " = " + std::to_string(static_cast<int64_t>(v)) +
                              " does not fit the " + dtype_name(input.dtype) + " input");
  }
  Array out = Array::zeros(input.dtype, data.shape);
  store_values(out, data);
  return out;
}

Result<Array> dequantize_output(const Array& output, const TensorInfo& info) {
  if (output.dtype == DType::kFloat32) return output;
  Array out = Array::zeros(DType::kFloat32, output.shape);
  float* dst = out.data<float>();
  if (is_integer(output.dtype) && info.quant && !info.quant->scale.empty()) {
    const float scale = info.scale();
    const int32_t zp = info.zero_point();
    for (int64_t i = 0; i < output.num_elements(); ++i)
      dst[i] = dequantize_value(static_cast<int32_t>(output.value_as_double(i)), scale, zp);
    return out;
  }
  for (int64_t i = 0; i < output.num_elements(); ++i) dst[i] = static_cast<float>(output.value_as_double(i));
  return out;
}

}  // namespace quantlab
