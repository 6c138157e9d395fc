// NumPy `.npy` arrays: the interchange format for inputs, goldens and
// datasets. An Array is a dense, C-order, little-endian block of elements of
// one DType with a shape; it owns its bytes.
//
// Supported element types (descr -> DType): '<f2' kFloat16, '<f4' kFloat32,
// '<f8' kFloat64 (kept as float64, never narrowed), '|i1' kInt8, '|u1' kUInt8,
// '<i2' kInt16, '<u2' kUInt16, '<i4' kInt32, '<u4' kUInt32, '<i8' kInt64,
// '<u8' kUInt64, '|b1' kBool. Big-endian data, Fortran order, object arrays
// and structured dtypes are refused with an error naming the file and value.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "quantlab/core/dtype.h"
#include "quantlab/core/shape.h"
#include "quantlab/core/status.h"

namespace quantlab {

struct Array {
  DType dtype = DType::kFloat32;
  Shape shape;                 // empty = a scalar (one element)
  std::vector<uint8_t> bytes;  // num_elements(shape) * dtype_size(dtype) bytes, C order

  // Number of elements (1 for a scalar). Precondition: the shape has no
  // negative dimension (true for every Array built by this module).
  int64_t num_elements() const { return quantlab::num_elements(shape); }

  // True if the byte count matches the shape and dtype.
  bool consistent() const {
    return dtype_size(dtype) > 0 &&
           bytes.size() == static_cast<size_t>(num_elements()) * dtype_size(dtype);
  }

  // Typed views of the elements; nullptr if T does not match `dtype`, so a
  // caller cannot reinterpret float bytes as int32 by accident. The buffer
  // comes from operator new, which aligns it for every fundamental type.
  template <typename T>
  const T* data() const {
    return DTypeOf<T>::value == dtype ? reinterpret_cast<const T*>(bytes.data()) : nullptr;
  }
  template <typename T>
  T* data() {
    return DTypeOf<T>::value == dtype ? reinterpret_cast<T*>(bytes.data()) : nullptr;
  }

  // Element `index` converted to double. Preconditions: 0 <= index <
  // num_elements() and dtype is not kString. float16 is widened exactly;
  // int64/uint64 beyond 2^53 round to the nearest double.
  double value_as_double(int64_t index) const;

  // An array of `shape` filled with zero bytes. Precondition: dtype is not
  // kString and `shape` has no negative dimension.
  static Array zeros(DType dtype, const Shape& shape);

  // Copies `values` into an array of `shape`. Precondition:
  // values.size() == num_elements(shape); extra values are ignored and
  // missing ones left zero, so a mismatch never writes out of bounds.
  template <typename T>
  static Array from_vector(const Shape& shape, const std::vector<T>& values) {
    Array a = zeros(DTypeOf<T>::value, shape);
    const size_t bytes_to_copy = std::min(a.bytes.size(), values.size() * sizeof(T));
    if (bytes_to_copy > 0) std::memcpy(a.bytes.data(), values.data(), bytes_to_copy);
    return a;
  }

  // The elements as a vector of T; empty if T does not match `dtype`.
  template <typename T>
  std::vector<T> to_vector() const {
    const T* p = data<T>();
    if (!p) return {};
    return std::vector<T>(p, p + num_elements());
  }
};

// The numpy descr string written for `dtype` ("<f4", "|i1", ...); empty for
// types the format cannot carry here (kString).
std::string npy_descr(DType dtype);

// Parses a whole `.npy` image of `size` bytes at `data` (which must be
// readable for `size` bytes). `source` names the file or archive member in
// error messages. Errors: bad magic/version, malformed or oversize header,
// unsupported descr / byte order / fortran_order, shape overflow, truncated
// or trailing data, bool bytes other than 0/1.
Result<Array> parse_npy(const uint8_t* data, size_t size, const std::string& source);

// Reads and parses the file at `path`.
Result<Array> read_npy(const std::string& path);

// Serializes `array` as format version 1.0 (2.0 if the header would not fit
// in 65535 bytes), header padded so the data starts on a 64-byte boundary.
// Precondition: array.consistent() and dtype is not kString; otherwise the
// result is empty.
std::vector<uint8_t> serialize_npy(const Array& array);

// One-dimensional text arrays, as numpy stores np.array(['cat', 'dog']):
// descr '<U<n>' (n UTF-32 code points per element) or '|S<n>' (n bytes),
// shorter elements padded with NULs. Parsed strings are UTF-8 with the
// trailing NULs removed, as numpy returns them. Errors as for parse_npy, plus
// a non-text descr, a rank other than 1, and invalid code points.
Result<std::vector<std::string>> parse_npy_strings(const uint8_t* data, size_t size, const std::string& source);

// Serializes `strings` (each valid UTF-8) as a '<U<n>' array, n the longest
// string's code point count (at least 1), so np.load reads it without
// pickling. Error if a string is not valid UTF-8.
Result<std::vector<uint8_t>> serialize_npy_strings(const std::vector<std::string>& strings);

// Writes `array` to `path` atomically. Errors if the array is inconsistent
// or of an unsupported dtype, or if the write fails.
Status write_npy(const std::string& path, const Array& array);

}  // namespace quantlab
