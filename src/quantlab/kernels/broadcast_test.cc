#include "quantlab/kernels/broadcast.h"

#include <gtest/gtest.h>

#include <vector>

namespace quantlab {
namespace {

struct Visit {
  int64_t out, a, b;
  bool operator==(const Visit& o) const { return out == o.out && a == o.a && b == o.b; }
};

std::vector<Visit> visits(const BroadcastPlan& plan) {
  std::vector<Visit> v;
  for_each_broadcast(plan, [&](int64_t o, int64_t a, int64_t b) { v.push_back({o, a, b}); });
  return v;
}

TEST(Broadcast, OutputShapeAlignsTrailingDimensions) {
  auto plan = plan_broadcast({1, 5, 1, 3}, {4, 1});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->output_shape, (Shape{1, 5, 4, 3}));
  EXPECT_FALSE(plan->same_shape);
  auto scalar = plan_broadcast({2, 3}, {});
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->output_shape, (Shape{2, 3}));
}

TEST(Broadcast, SameShapeWalksFlat) {
  auto plan = plan_broadcast({1, 2, 3}, {2, 3});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->same_shape);
  auto v = visits(*plan);
  ASSERT_EQ(v.size(), 6u);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(v[i], (Visit{i, i, i}));
}

TEST(Broadcast, RowAgainstColumnRepeatsBoth) {
  // a = [2, 1] (a column), b = [3] (a row): out[i][j] reads a[i] and b[j].
  auto plan = plan_broadcast({2, 1}, {3});
  ASSERT_TRUE(plan.ok());
  const std::vector<Visit> want = {{0, 0, 0}, {1, 0, 1}, {2, 0, 2}, {3, 1, 0}, {4, 1, 1}, {5, 1, 2}};
  EXPECT_EQ(visits(*plan), want);
}

TEST(Broadcast, MiddleDimensionBroadcast) {
  // a = [2, 1, 2], b = [2, 3, 2]: a repeats along the middle dimension.
  auto plan = plan_broadcast({2, 1, 2}, {2, 3, 2});
  ASSERT_TRUE(plan.ok());
  auto v = visits(*plan);
  ASSERT_EQ(v.size(), 12u);
  for (int64_t o = 0; o < 12; ++o) {
    const int64_t i = o / 6, k = o % 2;
    EXPECT_EQ(v[o], (Visit{o, i * 2 + k, o})) << o;
  }
}

TEST(Broadcast, RejectsIncompatibleShapes) {
  auto plan = plan_broadcast({1, 4, 3}, {1, 2, 3});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("[1, 4, 3]"), std::string::npos) << plan.status().message();
}

TEST(Broadcast, RejectsRankAboveLimit) {
  auto plan = plan_broadcast({1, 1, 1, 1, 1, 1, 2}, {2});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace quantlab
