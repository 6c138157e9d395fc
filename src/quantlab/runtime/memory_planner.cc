#include "quantlab/runtime/memory_planner.h"

#include <algorithm>
#include <numeric>

namespace quantlab {

MemoryPlan plan_memory_greedy(const std::vector<BufferRequest>& requests, int64_t alignment) {
  const size_t n = requests.size();
  MemoryPlan plan;
  plan.offsets.assign(n, 0);
  auto aligned = [alignment](int64_t v) { return (v + alignment - 1) / alignment * alignment; };

  std::vector<size_t> by_size(n);
  std::iota(by_size.begin(), by_size.end(), 0);
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&](size_t a, size_t b) { return requests[a].size > requests[b].size; });

  std::vector<size_t> placed;
  for (size_t r : by_size) {
    const BufferRequest& req = requests[r];
    // Buffers already placed that are alive at the same time as this one.
    std::vector<std::pair<int64_t, int64_t>> busy;  // [begin, end)
    for (size_t p : placed) {
      const BufferRequest& other = requests[p];
      if (other.last_step < req.first_step || other.first_step > req.last_step) continue;
      busy.emplace_back(plan.offsets[p], plan.offsets[p] + other.size);
    }
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (const auto& [begin, end] : busy) {
      if (offset + req.size <= begin) break;
      offset = std::max(offset, aligned(end));
    }
    plan.offsets[r] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + req.size);
    placed.push_back(r);
  }
  plan.arena_bytes = aligned(plan.arena_bytes);
  return plan;
}

}  // namespace quantlab
