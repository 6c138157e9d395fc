// NumPy `.npz` archives: a zip file whose members are `.npy` images named
// `<key>.npy`, as np.savez (stored) and np.savez_compressed (deflated)
// write them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/data/npy.h"

namespace quantlab {

enum class NpzCompression { kStored, kDeflated };

// One archive member: its key (the member name without the ".npy" suffix)
// and its raw `.npy` bytes, which may hold numbers or text.
struct NpzMember {
  std::string key;
  std::vector<uint8_t> npy_bytes;
};

// Every member of the archive at `path`, in archive order. Members whose
// names lack the ".npy" suffix keep their full name as the key. Errors name
// the path and member: not a zip file, unsupported compression, CRC
// mismatch, a duplicate key, a member larger than `max_member_bytes`.
Result<std::vector<NpzMember>> read_npz_members(const std::string& path,
                                                uint64_t max_member_bytes = uint64_t{4} << 30);

// The zip image of `members` (keys non-empty and distinct; each stored as
// "<key>.npy"). Timestamps are fixed at 1980-01-01 so equal inputs give
// equal bytes. Errors on an empty list, an empty or duplicate key.
Result<std::vector<uint8_t>> build_npz(const std::vector<NpzMember>& members, NpzCompression compression);

// Builds the archive and writes it to `path` atomically.
Status write_npz_members(const std::string& path, const std::vector<NpzMember>& members,
                         NpzCompression compression);

// Numeric convenience forms: every member parsed with parse_npy (a text
// member is an error naming it), keyed as above.
Result<std::map<std::string, Array>> read_npz(const std::string& path);
// Precondition: every array is consistent() and not kString.
Status write_npz(const std::string& path, const std::map<std::string, Array>& arrays,
                 NpzCompression compression = NpzCompression::kStored);

}  // namespace quantlab
