// Arena planning: buffers whose lifetimes do not overlap share memory.
#pragma once

#include <cstdint>
#include <vector>

namespace quantlab {

struct BufferRequest {
  int64_t size;    // bytes
  int first_step;  // first execution step that uses the buffer
  int last_step;   // last execution step that uses the buffer (inclusive)
};

struct MemoryPlan {
  std::vector<int64_t> offsets;  // one per request
  int64_t arena_bytes = 0;       // peak
};

// Greedy-by-size placement (largest buffers first, each at the lowest offset
// that is free for its whole lifetime). Offsets are multiples of `alignment`.
MemoryPlan plan_memory_greedy(const std::vector<BufferRequest>& requests, int64_t alignment);

}  // namespace quantlab
