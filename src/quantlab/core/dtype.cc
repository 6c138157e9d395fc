#include "quantlab/core/dtype.h"

#include <algorithm>
#include <cctype>

namespace quantlab {
namespace {

struct DTypeInfo {
  DType type;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kFloat32, "FLOAT32", 4}, {DType::kFloat16, "FLOAT16", 2}, {DType::kFloat64, "FLOAT64", 8},
    {DType::kInt8, "INT8", 1},       {DType::kUInt8, "UINT8", 1},     {DType::kInt16, "INT16", 2},
    {DType::kUInt16, "UINT16", 2},   {DType::kInt32, "INT32", 4},     {DType::kUInt32, "UINT32", 4},
    {DType::kInt64, "INT64", 8},     {DType::kUInt64, "UINT64", 8},   {DType::kBool, "BOOL", 1},
    {DType::kString, "STRING", 0},
};

const DTypeInfo& info(DType t) { return kDTypes[static_cast<int>(t)]; }

}  // namespace

size_t dtype_size(DType t) { return info(t).size; }
const char* dtype_name(DType t) { return info(t).name; }

std::optional<DType> dtype_from_name(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  for (const auto& d : kDTypes)
    if (upper == d.name) return d.type;
  return std::nullopt;
}

bool is_integer(DType t) {
  switch (t) {
    case DType::kInt8: case DType::kUInt8: case DType::kInt16: case DType::kUInt16:
    case DType::kInt32: case DType::kUInt32: case DType::kInt64: case DType::kUInt64:
      return true;
    default:
      return false;
  }
}

bool is_float(DType t) { return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64; }

}  // namespace quantlab
