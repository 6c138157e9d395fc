// Optimized BATCH_MATMUL against the reference kernel on random shapes:
// every SIMD level this CPU runs, broadcast batch dimensions, adj_x and
// adj_y, a right operand packed at prepare (constant) or per run, zero
// points on both operands, both rounding styles.
#include "quantlab/kernels/optimized/batch_matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "quantlab/kernels/optimized/test_support.h"

namespace quantlab {
namespace {

using testing::uniform_int;

BatchMatMulShape random_shape(std::mt19937& rng) {
  BatchMatMulShape s;
  s.batch_rank = uniform_int(rng, 0, 2);
  for (int d = 0; d < s.batch_rank; ++d) {
    const int n = uniform_int(rng, 1, 3);
    const int which = uniform_int(rng, 0, 2);  // both full, lhs broadcast, rhs broadcast
    s.out_batch[d] = n;
    s.lhs_batch[d] = which == 1 ? 1 : n;
    s.rhs_batch[d] = which == 2 ? 1 : n;
  }
  s.m = uniform_int(rng, 1, 40);
  s.k = uniform_int(rng, 1, 70);
  s.n = uniform_int(rng, 1, 40);
  s.adj_x = uniform_int(rng, 0, 1) == 1;
  s.adj_y = uniform_int(rng, 0, 1) == 1;
  return s;
}

int64_t batches(const int32_t* dims, int rank) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= dims[d];
  return n;
}

std::string describe(const BatchMatMulShape& s) {
  std::string text = "batches";
  for (int d = 0; d < s.batch_rank; ++d)
    text += " " + std::to_string(s.lhs_batch[d]) + "/" + std::to_string(s.rhs_batch[d]);
  return text + " m " + std::to_string(s.m) + " k " + std::to_string(s.k) + " n " + std::to_string(s.n) +
         (s.adj_x ? " adj_x" : "") + (s.adj_y ? " adj_y" : "");
}

TEST(OptimizedBatchMatMul, Int8MatchesReferenceBitForBit) {
  std::mt19937 rng(401);
  for (int trial = 0; trial < 150; ++trial) {
    const BatchMatMulShape s = random_shape(rng);
    const std::vector<int8_t> lhs = testing::random_int8(rng, batches(s.lhs_batch, s.batch_rank) * s.m * s.k);
    const std::vector<int8_t> rhs = testing::random_int8(rng, batches(s.rhs_batch, s.batch_rank) * s.k * s.n);
    const int64_t out_size = batches(s.out_batch, s.batch_rank) * s.m * s.n;
    BatchMatMulInt8Params p;
    p.shape = s;
    p.lhs_zero_point = uniform_int(rng, -128, 127);
    p.rhs_zero_point = trial % 3 == 0 ? 0 : uniform_int(rng, -128, 127);
    p.output_zero_point = uniform_int(rng, -128, 127);
    p.multiplier = testing::random_multipliers(rng, 1)[0];
    for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
      p.rounding = rounding;
      testing::Guarded<int8_t> reference(out_size);
      batch_matmul_int8(p, lhs.data(), rhs.data(), reference.get());
      for (SimdLevel level : supported_simd_levels())
        for (bool constant_rhs : {true, false}) {
          const OptimizedBatchMatMulInt8 bmm(p, constant_rhs ? rhs.data() : nullptr, level);
          testing::Scratch scratch(bmm.scratch_bytes());
          testing::Guarded<int8_t> optimized(out_size);
          bmm.run(lhs.data(), rhs.data(), optimized.get(), scratch.get());
          const std::string what = describe(s) + ", " + testing::level_label(level) + ", " + rounding_name(rounding) +
                                   " rounding, zero points " + std::to_string(p.lhs_zero_point) + "/" +
                                   std::to_string(p.rhs_zero_point) +
                                   (constant_rhs ? ", constant rhs" : ", rhs packed per run");
          testing::expect_identical(optimized.values(), reference.values(), what);
          EXPECT_TRUE(optimized.guard_intact()) << what << ": wrote past the output";
          EXPECT_TRUE(scratch.guard_intact()) << what << ": wrote past its scratch";
        }
    }
  }
}

TEST(OptimizedBatchMatMul, FloatMatchesReferenceWithinRounding) {
  std::mt19937 rng(402);
  auto abs_of = [](std::vector<float> v) {
    for (float& x : v) x = std::fabs(x);
    return v;
  };
  for (int trial = 0; trial < 120; ++trial) {
    const BatchMatMulShape s = random_shape(rng);
    const std::vector<float> lhs = testing::random_floats(rng, batches(s.lhs_batch, s.batch_rank) * s.m * s.k);
    const std::vector<float> rhs = testing::random_floats(rng, batches(s.rhs_batch, s.batch_rank) * s.k * s.n);
    const int64_t out_size = batches(s.out_batch, s.batch_rank) * s.m * s.n;
    testing::Guarded<float> reference(out_size), magnitude(out_size);
    batch_matmul_float(s, lhs.data(), rhs.data(), reference.get());
    batch_matmul_float(s, abs_of(lhs).data(), abs_of(rhs).data(), magnitude.get());
    for (SimdLevel level : supported_simd_levels())
      for (bool constant_rhs : {true, false}) {
        const OptimizedBatchMatMulFloat bmm(s, constant_rhs ? rhs.data() : nullptr, level);
        testing::Scratch scratch(bmm.scratch_bytes());
        testing::Guarded<float> optimized(out_size);
        bmm.run(lhs.data(), rhs.data(), optimized.get(), scratch.get());
        const std::string what = describe(s) + ", " + testing::level_label(level) +
                                 (constant_rhs ? ", constant rhs" : ", rhs packed per run");
        testing::expect_close(optimized.values(), reference.values(), magnitude.values(), what);
        EXPECT_TRUE(optimized.guard_intact()) << what << ": wrote past the output";
        EXPECT_TRUE(scratch.guard_intact()) << what << ": wrote past its scratch";
      }
  }
}

}  // namespace
}  // namespace quantlab
