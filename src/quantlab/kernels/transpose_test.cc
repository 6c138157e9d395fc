#include "quantlab/kernels/transpose.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

TEST(TransposeKernel, MatrixByHand) {
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {2, 3}, {1, 2, 3, 4, 5, 6});
  const int32_t perm = g.constant<int32_t>(DType::kInt32, {2}, {1, 0});
  g.output(DType::kFloat32);
  g.op(OpKind::kTranspose, {in, perm});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{3, 2}));
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

// Every element of a random rank-6 permutation lands where naive index
// arithmetic puts it, for each element size.
TEST(TransposeKernel, Rank6RandomPermutationsMatchNaiveIndexing) {
  std::mt19937 rng(51);
  const Shape shape = {2, 3, 1, 4, 2, 3};
  const int64_t n = num_elements(shape);
  for (int trial = 0; trial < 6; ++trial) {
    std::vector<int32_t> perm(6);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    if (trial == 0) perm[5] -= 6;  // a negative entry counts from the end
    auto plan = plan_transpose(shape, perm);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    std::vector<int64_t> in(n), out(n);
    std::iota(in.begin(), in.end(), 0);
    std::vector<int16_t> in16(in.begin(), in.end()), out16(n);
    ASSERT_TRUE(transpose_elements(*plan, in.data(), out.data(), 8));
    ASSERT_TRUE(transpose_elements(*plan, in16.data(), out16.data(), 2));
    // Output index (o0..o5) reads input index i[perm[k]] = o[k].
    for (int64_t o = 0; o < n; ++o) {
      int64_t rest = o;
      std::vector<int64_t> out_index(6), in_index(6);
      for (int k = 5; k >= 0; --k) {
        out_index[k] = rest % plan->output_shape[k];
        rest /= plan->output_shape[k];
      }
      for (int k = 0; k < 6; ++k) in_index[(perm[k] + 6) % 6] = out_index[k];
      int64_t i = 0;
      for (int d = 0; d < 6; ++d) i = i * shape[d] + in_index[d];
      ASSERT_EQ(out[o], i) << "trial " << trial << " output " << o;
      ASSERT_EQ(out16[o], static_cast<int16_t>(i));
    }
  }
}

TEST(TransposeKernel, Int8KeepsBytes) {
  SingleOpGraph g;
  const QuantParams q = QuantParams::per_tensor(0.3f, 4);
  const int32_t in = g.input<int8_t>(DType::kInt8, {1, 2, 2}, {1, 2, 3, 4}, q);
  const int32_t perm = g.constant<int64_t>(DType::kInt64, {3}, {0, 2, 1});
  g.output(DType::kInt8, q);
  g.op(OpKind::kTranspose, {in, perm});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{1, 3, 2, 4}));
}

TEST(TransposeKernel, RejectsInvalidPermutations) {
  EXPECT_EQ(plan_transpose({2, 3}, {0, 0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(plan_transpose({2, 3}, {0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(plan_transpose({2, 3}, {0, 2}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(plan_transpose({1, 1, 1, 1, 1, 1, 1}, {0, 1, 2, 3, 4, 5, 6}).status().code(), StatusCode::kUnsupported);
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {2, 3}, std::vector<float>(6));
  const int32_t perm = g.constant<int32_t>(DType::kInt32, {2}, {1, 1});
  g.output(DType::kFloat32);
  g.op(OpKind::kTranspose, {in, perm});
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(run.status.message().find("TRANSPOSE"), std::string::npos) << run.status.message();
}

}  // namespace
}  // namespace quantlab
