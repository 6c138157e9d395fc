#include "quantlab/runtime/memory_planner.h"

#include <gtest/gtest.h>

#include <random>

namespace quantlab {
namespace {

bool overlap_in_time(const BufferRequest& a, const BufferRequest& b) {
  return !(a.last_step < b.first_step || b.last_step < a.first_step);
}

TEST(MemoryPlanner, ChainReusesMemory) {
  // A chain a -> b -> c -> d: only neighbours are alive together, so the
  // arena needs room for the two largest neighbours, not for all four.
  std::vector<BufferRequest> chain = {{1000, 0, 1}, {400, 1, 2}, {1000, 2, 3}, {400, 3, 4}};
  MemoryPlan plan = plan_memory_greedy(chain, 64);
  // The 1000-byte buffers share offset 0; the 400-byte ones sit at 1024 (1000
  // aligned to 64); the end, 1424, is rounded up to a multiple of 64.
  EXPECT_EQ(plan.arena_bytes, 1472);
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
}

TEST(MemoryPlanner, RandomPlansNeverOverlapLiveBuffers) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferRequest> reqs;
    const int n = 1 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      const int first = static_cast<int>(rng() % 20);
      reqs.push_back({1 + static_cast<int64_t>(rng() % 5000), first, first + static_cast<int>(rng() % 6)});
    }
    MemoryPlan plan = plan_memory_greedy(reqs, 16);
    int64_t total = 0;
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(plan.offsets[i] % 16, 0);
      EXPECT_LE(plan.offsets[i] + reqs[i].size, plan.arena_bytes);
      total += (reqs[i].size + 15) / 16 * 16;
      for (int j = 0; j < i; ++j) {
        if (!overlap_in_time(reqs[i], reqs[j])) continue;
        const bool disjoint = plan.offsets[i] + reqs[i].size <= plan.offsets[j] ||
                              plan.offsets[j] + reqs[j].size <= plan.offsets[i];
        EXPECT_TRUE(disjoint) << "trial " << trial << " buffers " << i << " and " << j;
      }
    }
    EXPECT_LE(plan.arena_bytes, total);
  }
}

}  // namespace
}  // namespace quantlab
