// Whole-file reads and crash-safe writes. Every output quantlab produces goes
// through write_file_atomic: a temporary file in the same directory, flushed,
// then renamed over the target, so a reader never sees a half-written file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "quantlab/core/status.h"

namespace quantlab {

// Reads a whole file. Errors name the path and the system's reason.
// Files larger than `max_bytes` are refused before reading.
Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_bytes = uint64_t{4} << 30);
Result<std::string> read_text_file(const std::string& path, uint64_t max_bytes = uint64_t{1} << 30);

// Writes `data` to `path` atomically (temp file + fsync + rename). Creates
// missing parent directories.
Status write_file_atomic(const std::string& path, const void* data, size_t size);
inline Status write_file_atomic(const std::string& path, const std::vector<uint8_t>& data) {
  return write_file_atomic(path, data.data(), data.size());
}
inline Status write_file_atomic(const std::string& path, std::string_view text) {
  return write_file_atomic(path, text.data(), text.size());
}

}  // namespace quantlab
