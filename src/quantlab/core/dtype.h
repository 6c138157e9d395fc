// Element types of tensors. The IR has its own enum; the TFLite module maps
// the file's TensorType codes onto it at the edge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace quantlab {

enum class DType : uint8_t {
  kFloat32,
  kFloat16,
  kFloat64,
  kInt8,
  kUInt8,
  kInt16,
  kUInt16,
  kInt32,
  kUInt32,
  kInt64,
  kUInt64,
  kBool,
  kString,  // variable-length; constant data is kept as raw bytes
};

// Bytes per element; 0 for kString (no fixed size).
size_t dtype_size(DType t);
// Upper-case display name as TFLite prints it ("FLOAT32", "INT8", ...).
const char* dtype_name(DType t);
// Parses a display name, case-insensitive ("float32", "INT8").
std::optional<DType> dtype_from_name(const std::string& name);
bool is_integer(DType t);
bool is_float(DType t);

// Maps a C++ element type to its DType, for typed accessors.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kUInt16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::kUInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::kUInt64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };

}  // namespace quantlab
