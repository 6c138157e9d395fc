#include "quantlab/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>

namespace quantlab {
namespace {

TEST(ThreadPool, RunsEveryTaskExactlyOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int round = 0; round < 50; ++round) {
      const int64_t n = 1 + round * 7;
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> bad_worker{0};
      pool.run(n, [&](int64_t task, int worker) {
        hits[static_cast<size_t>(task)]++;
        if (worker < 0 || worker >= threads) bad_worker++;
      });
      for (int64_t t = 0; t < n; ++t) EXPECT_EQ(hits[static_cast<size_t>(t)].load(), 1) << "task " << t;
      EXPECT_EQ(bad_worker.load(), 0);
    }
  }
}

}  // namespace
}  // namespace quantlab
