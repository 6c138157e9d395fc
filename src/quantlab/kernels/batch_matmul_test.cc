// BATCH_MATMUL kernel tests: hand-computed products, random cases with
// broadcast batch dimensions against a naive double-precision product
// written here, hybrid bounds, and prepare-time errors.
#include "quantlab/kernels/batch_matmul.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "quantlab/kernels/op_test_runner.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::run_single_op;
using testing::to_bytes;

// Tensor 0 lhs, 1 rhs (constant when rhs_constant), 2 output.
struct BmmGraph {
  Shape lhs_shape, rhs_shape;
  BatchMatMulOptions options;
  DType lhs_type = DType::kFloat32, rhs_type = DType::kFloat32, output_type = DType::kFloat32;
  QuantParams lhs_quant, rhs_quant, output_quant;
  bool rhs_constant = false;
  std::vector<uint8_t> rhs;  // constant data when rhs_constant

  Graph build() const {
    Graph g;
    g.add_activation("lhs", lhs_type, lhs_shape, lhs_quant);
    if (rhs_constant) g.add_constant("rhs", rhs_type, rhs_shape, rhs, rhs_quant);
    else g.add_activation("rhs", rhs_type, rhs_shape, rhs_quant);
    const int32_t out = g.add_activation("output", output_type, {}, output_quant);
    g.ops.push_back(Op{OpKind::kBatchMatMul, {0, 1}, {out}, options});
    return g;
  }
};

struct Reference {
  Shape shape;
  std::vector<double> value, magnitude;
};

// Naive batched product. Operands are padded with leading 1s to a common
// rank; a size-1 batch dimension is broadcast. adj swaps an operand's last two
// dimensions before multiplying.
Reference reference_bmm(Shape ls, Shape rs, bool adj_x, bool adj_y, const std::vector<double>& l,
                        const std::vector<double>& r) {
  const size_t rank = std::max(ls.size(), rs.size());
  while (ls.size() < rank) ls.insert(ls.begin(), 1);
  while (rs.size() < rank) rs.insert(rs.begin(), 1);
  const int m = adj_x ? ls[rank - 1] : ls[rank - 2], k = adj_x ? ls[rank - 2] : ls[rank - 1];
  const int n = adj_y ? rs[rank - 2] : rs[rank - 1];
  Reference ref;
  Shape batch;
  for (size_t d = 0; d + 2 < rank; ++d) batch.push_back(std::max(ls[d], rs[d]));
  ref.shape = batch;
  ref.shape.push_back(m);
  ref.shape.push_back(n);
  std::vector<int> coord(batch.size(), 0);
  for (int64_t b = 0; b < num_elements(batch); ++b) {
    int64_t lb = 0, rb = 0;  // row-major batch offsets with broadcasting
    for (size_t d = 0; d < batch.size(); ++d) {
      lb = lb * ls[d] + (ls[d] == 1 ? 0 : coord[d]);
      rb = rb * rs[d] + (rs[d] == 1 ? 0 : coord[d]);
    }
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double sum = 0, mag = 0;
        for (int t = 0; t < k; ++t) {
          const double a = l[lb * m * k + (adj_x ? t * m + i : i * k + t)];
          const double c = r[rb * k * n + (adj_y ? j * k + t : t * n + j)];
          sum += a * c;
          mag += std::fabs(a * c);
        }
        ref.value.push_back(sum);
        ref.magnitude.push_back(mag);
      }
    for (int d = static_cast<int>(batch.size()) - 1; d >= 0; --d) {
      if (++coord[d] < batch[d]) break;
      coord[d] = 0;
    }
  }
  return ref;
}

TEST(BatchMatMulKernel, FloatAdjointsByHand) {
  // [[1, 2], [3, 4]] x [[5, 6], [7, 8]] = [[19, 22], [43, 50]], whichever
  // operands are stored transposed.
  const std::vector<float> a = {1, 2, 3, 4}, a_t = {1, 3, 2, 4}, b = {5, 6, 7, 8}, b_t = {5, 7, 6, 8};
  for (bool adj_x : {false, true})
    for (bool adj_y : {false, true}) {
      BmmGraph m;
      m.lhs_shape = {1, 2, 2};
      m.rhs_shape = {2, 2};
      m.options.adj_x = adj_x;
      m.options.adj_y = adj_y;
      auto run = run_single_op(m.build(), {{0, to_bytes(adj_x ? a_t : a)}, {1, to_bytes(adj_y ? b_t : b)}});
      ASSERT_TRUE(run.status.ok()) << run.status.message();
      EXPECT_EQ(run.output_shape, (Shape{1, 2, 2}));
      EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{19, 22, 43, 50})) << adj_x << adj_y;
    }
}

TEST(BatchMatMulKernel, FloatRandomBroadcastMatchesDoubleReference) {
  std::mt19937 rng(51);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int checked = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int m = pick(1, 6), k = pick(1, 9), n = pick(1, 6);
    BmmGraph g;
    g.options.adj_x = pick(0, 1), g.options.adj_y = pick(0, 1);
    // Batch dimensions: each operand gets 0..3 of them, size 1 (broadcast) or the common size.
    const int batch_rank = pick(0, 3);
    Shape common;
    for (int d = 0; d < batch_rank; ++d) common.push_back(pick(1, 3));
    const int lhs_rank = pick(0, batch_rank), rhs_rank = pick(0, batch_rank);
    for (int d = batch_rank - lhs_rank; d < batch_rank; ++d) g.lhs_shape.push_back(pick(0, 1) ? common[d] : 1);
    for (int d = batch_rank - rhs_rank; d < batch_rank; ++d) g.rhs_shape.push_back(pick(0, 1) ? common[d] : 1);
    g.lhs_shape.push_back(g.options.adj_x ? k : m), g.lhs_shape.push_back(g.options.adj_x ? m : k);
    g.rhs_shape.push_back(g.options.adj_y ? n : k), g.rhs_shape.push_back(g.options.adj_y ? k : n);
    std::vector<float> l(num_elements(g.lhs_shape)), r(num_elements(g.rhs_shape));
    for (float& v : l) v = u(rng);
    for (float& v : r) v = u(rng);
    g.rhs_constant = trial % 2;
    g.rhs = to_bytes(r);
    auto run = run_single_op(g.build(), {{0, to_bytes(l)}, {1, to_bytes(r)}});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    const Reference ref = reference_bmm(g.lhs_shape, g.rhs_shape, g.options.adj_x, g.options.adj_y,
                                        {l.begin(), l.end()}, {r.begin(), r.end()});
    ASSERT_EQ(run.output_shape, ref.shape) << shape_to_string(g.lhs_shape) << " x " << shape_to_string(g.rhs_shape);
    const std::vector<float> got = from_bytes<float>(run.output);
    for (size_t i = 0; i < got.size(); ++i, ++checked)
      ASSERT_NEAR(got[i], ref.value[i], 1e-6 * ref.magnitude[i] + 1e-7) << trial;
  }
  EXPECT_GT(checked, 500);
}

TEST(BatchMatMulKernel, Int8BothVariableByHandInBothRoundings) {
  // lhs scale 0.5, zero point -1: q [5, 1] is (6, 2) steps. rhs scale 0.25,
  // zero point 2: columns (-4, 2) and (1, 1) steps. Multiplier 0.125:
  // column 0: -24 + 4 = -20 -> -2.5 (double rounding -3, single -2);
  // column 1: 6 + 2 = 8 -> 1. Output zero point 3.
  BmmGraph g;
  g.lhs_shape = {1, 2};
  g.rhs_shape = {2, 2};
  g.lhs_type = g.rhs_type = g.output_type = DType::kInt8;
  g.lhs_quant = QuantParams::per_tensor(0.5f, -1);
  g.rhs_quant = QuantParams::per_tensor(0.25f, 2);
  g.output_quant = QuantParams::per_tensor(1.f, 3);
  const auto l = to_bytes(std::vector<int8_t>{5, 1}), r = to_bytes(std::vector<int8_t>{-2, 3, 4, 3});
  auto run = run_single_op(g.build(), {{0, l}, {1, r}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{0, 4}));
  run = run_single_op(g.build(), {{0, l}, {1, r}}, KernelOptions{Rounding::kSingle, KernelSet::kReference});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{1, 4}));
}

TEST(BatchMatMulKernel, Int8RandomWithinOneLsbOfDoubleReference) {
  std::mt19937 rng(52);
  std::uniform_int_distribution<int> q8(-128, 127), zp(-40, 40);
  std::uniform_real_distribution<float> scale(0.002f, 0.05f);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int checked = 0, exact = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int m = pick(1, 8), k = pick(1, 16), n = pick(1, 8), batches = pick(1, 3);
    BmmGraph g;
    g.options.adj_x = pick(0, 1), g.options.adj_y = pick(0, 1);
    g.lhs_shape = {batches, g.options.adj_x ? k : m, g.options.adj_x ? m : k};
    g.rhs_shape = {pick(0, 1) ? batches : 1, g.options.adj_y ? n : k, g.options.adj_y ? k : n};
    g.lhs_type = g.rhs_type = g.output_type = DType::kInt8;
    const float s_l = scale(rng), s_r = scale(rng);
    const int32_t zp_l = zp(rng), zp_r = zp(rng);
    g.lhs_quant = QuantParams::per_tensor(s_l, zp_l);
    g.rhs_quant = QuantParams::per_tensor(s_r, zp_r);
    std::vector<int8_t> l(num_elements(g.lhs_shape)), r(num_elements(g.rhs_shape));
    for (int8_t& v : l) v = static_cast<int8_t>(q8(rng));
    for (int8_t& v : r) v = static_cast<int8_t>(q8(rng));
    std::vector<double> lr, rr;
    for (int8_t v : l) lr.push_back(static_cast<double>(s_l) * (v - zp_l));
    for (int8_t v : r) rr.push_back(static_cast<double>(s_r) * (v - zp_r));
    const Reference ref = reference_bmm(g.lhs_shape, g.rhs_shape, g.options.adj_x, g.options.adj_y, lr, rr);
    double lo = 0, hi = 0;
    for (double v : ref.value) lo = std::min(lo, v), hi = std::max(hi, v);
    const double s_out = std::max(hi - lo, 1e-3) / 255.0;
    const int32_t zp_out = static_cast<int32_t>(std::round(-128 - lo / s_out));
    g.output_quant = QuantParams::per_tensor(static_cast<float>(s_out), zp_out);
    g.rhs_constant = trial % 2;
    g.rhs = to_bytes(r);
    for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
      auto run = run_single_op(g.build(), {{0, to_bytes(l)}, {1, to_bytes(r)}},
                               KernelOptions{rounding, KernelSet::kReference});
      ASSERT_TRUE(run.status.ok()) << run.status.message();
      ASSERT_EQ(run.output_shape, ref.shape);
      const std::vector<int8_t> got = from_bytes<int8_t>(run.output);
      for (size_t i = 0; i < got.size(); ++i, ++checked) {
        const int32_t want = testing::reference_int8(ref.value[i], static_cast<float>(s_out), zp_out);
        ASSERT_LE(std::abs(got[i] - want), 1) << "trial " << trial << " index " << i;
        exact += got[i] == want;
      }
    }
  }
  EXPECT_GT(checked, 2000);
  EXPECT_GT(exact, checked * 97 / 100);
}

// LHS rows that quantize exactly (see FULLY_CONNECTED's test): the product
// equals the float product with the dequantized RHS. adj_x makes the rows
// strided, so they are gathered before quantization.
TEST(BatchMatMulKernel, HybridExactOnGridRows) {
  std::mt19937 rng(53);
  for (bool asymmetric : {false, true})
    for (bool adj_x : {false, true}) {
      const int m = 2, k = 12, n = 3;
      BmmGraph g;
      g.options.adj_x = adj_x;
      g.options.adj_y = true;
      g.options.asymmetric_quantize_inputs = asymmetric;
      g.lhs_shape = {2, adj_x ? k : m, adj_x ? m : k};
      g.rhs_shape = {n, k};
      g.rhs_type = DType::kInt8;
      g.rhs_constant = true;
      const float s_r = 1.f / 64;
      g.rhs_quant = QuantParams::per_tensor(s_r, 0);
      std::vector<int8_t> r(n * k);
      for (int8_t& v : r) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-127, 127)(rng));
      g.rhs = to_bytes(r);
      // Rows (batch, i) in logical [m, k] order, then stored per adj_x.
      std::vector<float> rows(2 * m * k);
      for (int row = 0; row < 2 * m; ++row) {
        float* v = rows.data() + row * k;
        if (!asymmetric) {
          const float c = row % 2 ? 1.f / 8 : 1.f / 4;  // max|x| = 127 c
          for (int t = 0; t < k; ++t) v[t] = c * std::uniform_int_distribution<int>(-127, 127)(rng);
          v[row % k] = (row % 3 ? 127 : -127) * c;
        } else if (row % 2) {  // span [0, 63.75]
          for (int t = 0; t < k; ++t) v[t] = 0.25f * std::uniform_int_distribution<int>(0, 255)(rng);
          v[0] = 0.f, v[1] = 63.75f;
        } else {  // span [-32, 31.75]
          for (int t = 0; t < k; ++t) v[t] = 0.25f * std::uniform_int_distribution<int>(-128, 127)(rng);
          v[0] = -32.f, v[1] = 31.75f;
        }
      }
      std::vector<float> lhs(rows.size());
      for (int b = 0; b < 2; ++b)
        for (int i = 0; i < m; ++i)
          for (int t = 0; t < k; ++t)
            lhs[b * m * k + (adj_x ? t * m + i : i * k + t)] = rows[(b * m + i) * k + t];
      auto run = run_single_op(g.build(), {{0, to_bytes(lhs)}});
      ASSERT_TRUE(run.status.ok()) << run.status.message();
      std::vector<double> rr;
      for (int8_t v : r) rr.push_back(static_cast<double>(s_r) * v);
      const Reference ref = reference_bmm(g.lhs_shape, g.rhs_shape, adj_x, true, {lhs.begin(), lhs.end()}, rr);
      ASSERT_EQ(run.output_shape, ref.shape);
      const std::vector<float> got = from_bytes<float>(run.output);
      for (size_t i = 0; i < got.size(); ++i)
        EXPECT_FLOAT_EQ(got[i], static_cast<float>(ref.value[i])) << asymmetric << adj_x << " " << i;
    }
}

TEST(BatchMatMulKernel, HybridRandomWithinInputQuantizationError) {
  std::mt19937 rng(54);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int checked = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const int m = pick(1, 6), k = pick(1, 16), n = pick(1, 6);
    BmmGraph g;
    g.options.adj_x = pick(0, 1), g.options.adj_y = pick(0, 1);
    g.options.asymmetric_quantize_inputs = trial % 2;
    g.lhs_shape = {pick(1, 3), g.options.adj_x ? k : m, g.options.adj_x ? m : k};
    g.rhs_shape = {g.options.adj_y ? n : k, g.options.adj_y ? k : n};
    g.rhs_type = DType::kInt8;
    g.rhs_constant = true;
    const float s_r = 0.01f * (1.5f + u(rng));
    g.rhs_quant = QuantParams::per_tensor(s_r, 0);
    std::vector<int8_t> r(k * n);
    for (int8_t& v : r) v = static_cast<int8_t>(pick(-127, 127));
    g.rhs = to_bytes(r);
    std::vector<float> l(num_elements(g.lhs_shape));
    for (float& v : l) v = 2.f * u(rng) + (trial % 5) * 0.3f;
    auto run = run_single_op(g.build(), {{0, to_bytes(l)}});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    std::vector<double> rr, rabs;
    for (int8_t v : r) rr.push_back(static_cast<double>(s_r) * v), rabs.push_back(std::fabs(rr.back()));
    const Reference ref = reference_bmm(g.lhs_shape, g.rhs_shape, g.options.adj_x, g.options.adj_y,
                                        {l.begin(), l.end()}, rr);
    // Per output: the quantization step of its LHS row times the |rhs| column mass.
    const Reference mass = reference_bmm(g.lhs_shape, g.rhs_shape, g.options.adj_x, g.options.adj_y,
                                         std::vector<double>(l.size(), 1.0), rabs);
    const std::vector<float> got = from_bytes<float>(run.output);
    for (size_t idx = 0; idx < got.size(); ++idx, ++checked) {
      const int64_t row = static_cast<int64_t>(idx) / n;  // (batch, i)
      const int64_t b = row / m, i = row % m;
      float lo = 0, hi = 0, amax = 0;
      for (int t = 0; t < k; ++t) {
        const float v = l[b * m * k + (g.options.adj_x ? t * m + i : i * k + t)];
        lo = std::min(lo, v), hi = std::max(hi, v), amax = std::max(amax, std::fabs(v));
      }
      const double step = g.options.asymmetric_quantize_inputs ? (hi - lo) / 255.0 : 0.5 * amax / 127.0;
      ASSERT_NEAR(got[idx], ref.value[idx], step * mass.value[idx] + 1e-5 * ref.magnitude[idx] + 1e-6) << trial;
    }
  }
  EXPECT_GT(checked, 300);
}

TEST(BatchMatMulKernel, PrepareRejectsBadGraphs) {
  BmmGraph g;
  g.lhs_shape = {2, 3, 4};
  g.rhs_shape = {2, 4, 5};
  const auto l = to_bytes(std::vector<float>(24, 1.f));
  {
    BmmGraph bad = g;
    bad.rhs_shape = {2, 3, 5};
    auto run = run_single_op(bad.build(), {{0, l}, {1, to_bytes(std::vector<float>(30, 1.f))}});
    EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(run.status.message().find("BATCH_MATMUL"), std::string::npos) << run.status.message();
    EXPECT_NE(run.status.message().find("inner dimensions"), std::string::npos) << run.status.message();
  }
  {
    BmmGraph bad = g;
    bad.rhs_shape = {3, 4, 5};  // batch 2 vs 3
    auto run = run_single_op(bad.build(), {{0, l}, {1, to_bytes(std::vector<float>(60, 1.f))}});
    EXPECT_NE(run.status.message().find("broadcast"), std::string::npos) << run.status.message();
  }
  {
    BmmGraph bad = g;
    bad.rhs_shape = {4};
    auto run = run_single_op(bad.build(), {{0, l}, {1, to_bytes(std::vector<float>(4, 1.f))}});
    EXPECT_NE(run.status.message().find("rank"), std::string::npos) << run.status.message();
  }
  {
    BmmGraph bad = g;  // int8 lhs with a float rhs
    bad.lhs_type = bad.output_type = DType::kInt8;
    bad.lhs_quant = bad.output_quant = QuantParams::per_tensor(0.1f, 0);
    auto run = run_single_op(bad.build(), {{0, std::vector<uint8_t>(24)}, {1, to_bytes(std::vector<float>(40, 1.f))}});
    EXPECT_EQ(run.status.code(), StatusCode::kUnsupported);
  }
  {
    BmmGraph bad = g;  // hybrid needs a constant, per-tensor rhs
    bad.rhs_type = DType::kInt8;
    bad.rhs_quant = QuantParams::per_tensor(0.1f, 0);
    auto run = run_single_op(bad.build(), {{0, l}, {1, std::vector<uint8_t>(40)}});
    EXPECT_NE(run.status.message().find("constant"), std::string::npos) << run.status.message();
    bad.rhs_constant = true;
    bad.rhs = std::vector<uint8_t>(40, 1);
    bad.rhs_shape = {2, 4, 5};
    bad.rhs_quant = testing::per_axis_symmetric({0.1f, 0.2f}, 0);
    run = run_single_op(bad.build(), {{0, l}});
    EXPECT_NE(run.status.message().find("per tensor"), std::string::npos) << run.status.message();
  }
}

}  // namespace
}  // namespace quantlab
