// The debugger's layer statistics against hand-derived values, the theory of
// uniform rounding noise, and NumPy computing TensorFlow's metric
// definitions (np.std, np.average, ... per sample, then np.nanmean).
#include "quantlab/debug/error_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <vector>

#include "quantlab/data/npy.h"
#include "quantlab/data/test_python.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

TEST(DebugErrorMetrics, OneSampleMatchesHandDerivedValues) {
  // d = f - q = {-0.5, 0, 1, 0}.
  const std::vector<float> f = {1.f, 2.f, 3.f, 4.f};
  const std::vector<float> q = {1.5f, 2.f, 2.f, 4.f};
  LayerErrorAccumulator acc;
  acc.add_sample(f.data(), q.data(), 4, 0.5);
  const LayerErrorStats s = acc.finish();
  EXPECT_EQ(s.num_elements, 4);
  EXPECT_EQ(s.samples, 1);
  EXPECT_DOUBLE_EQ(s.mean_error, 0.125);                           // 0.5 / 4
  EXPECT_DOUBLE_EQ(s.mean_squared_error, 0.3125);                  // (0.25 + 1) / 4
  EXPECT_NEAR(s.stddev, std::sqrt(0.3125 - 0.125 * 0.125), 1e-12);  // population std
  EXPECT_DOUBLE_EQ(s.max_abs_error, 1.0);
  EXPECT_DOUBLE_EQ(s.mean_abs_error, 0.375);                       // 1.5 / 4
  EXPECT_NEAR(s.rmse_over_scale, std::sqrt(0.3125) / 0.5, 1e-12);
  EXPECT_NEAR(s.sqnr_db, 10.0 * std::log10(30.0 / 1.25), 1e-12);   // sum f^2 = 30, sum d^2 = 1.25
  EXPECT_NEAR(s.cosine_similarity, 27.5 / (std::sqrt(30.0) * std::sqrt(26.25)), 1e-12);
}

TEST(DebugErrorMetrics, AveragesPerSampleValuesButPoolsSqnr) {
  LayerErrorAccumulator acc;
  const std::vector<float> f1 = {1.f, 1.f}, q1 = {0.f, 1.f};  // d = {1, 0}: mse 0.5, max 1
  const std::vector<float> f2 = {2.f, 2.f}, q2 = {2.f, 2.f};  // d = 0
  acc.add_sample(f1.data(), q1.data(), 2, 1.0);
  acc.add_sample(f2.data(), q2.data(), 2, 1.0);
  const LayerErrorStats s = acc.finish();
  EXPECT_EQ(s.samples, 2);
  EXPECT_DOUBLE_EQ(s.mean_squared_error, 0.25);   // (0.5 + 0) / 2
  EXPECT_DOUBLE_EQ(s.max_abs_error, 0.5);         // (1 + 0) / 2
  EXPECT_DOUBLE_EQ(s.mean_error, 0.25);           // (0.5 + 0) / 2
  EXPECT_DOUBLE_EQ(s.rmse_over_scale, std::sqrt(0.5) / 2.0);
  // Pooled: signal 1 + 1 + 4 + 4 = 10, noise 1.
  EXPECT_NEAR(s.sqnr_db, 10.0, 1e-12);
}

TEST(DebugErrorMetrics, EdgeCases) {
  LayerErrorAccumulator exact;
  const std::vector<float> zeros = {0.f, 0.f, 0.f}, ones = {1.f, 1.f, 1.f};
  exact.add_sample(ones.data(), ones.data(), 3, 0.0);  // no scale
  LayerErrorStats s = exact.finish();
  EXPECT_TRUE(std::isinf(s.sqnr_db) && s.sqnr_db > 0);
  EXPECT_DOUBLE_EQ(s.cosine_similarity, 1.0);
  EXPECT_TRUE(std::isnan(s.rmse_over_scale));
  EXPECT_DOUBLE_EQ(s.stddev, 0.0);

  LayerErrorAccumulator one_zero;
  one_zero.add_sample(zeros.data(), ones.data(), 3, 1.0);
  EXPECT_DOUBLE_EQ(one_zero.finish().cosine_similarity, 0.0);
  LayerErrorAccumulator both_zero;
  both_zero.add_sample(zeros.data(), zeros.data(), 3, 1.0);
  EXPECT_DOUBLE_EQ(both_zero.finish().cosine_similarity, 1.0);

  const LayerErrorStats none = LayerErrorAccumulator().finish();
  EXPECT_EQ(none.samples, 0);
  EXPECT_TRUE(std::isnan(none.mean_squared_error));
}

TEST(DebugErrorMetrics, StddevSurvivesALargeConstantOffset) {
  // Every error is 1000 plus or minus 0.001: the spread must not vanish in
  // cancellation.
  std::vector<float> f(1000), q(1000);
  for (int i = 0; i < 1000; ++i) {
    f[i] = 1000.f + (i % 2 ? 0.001f : -0.001f);
    q[i] = 0.f;
  }
  LayerErrorAccumulator acc;
  acc.add_sample(f.data(), q.data(), 1000, 1.0);
  // Half the errors are each stored float, so the population std is half
  // their distance, exactly (about 0.001 after float rounding near 1000).
  const double expected = (static_cast<double>(f[1]) - static_cast<double>(f[0])) / 2;
  EXPECT_NEAR(acc.finish().stddev, expected, 1e-12);
  EXPECT_NEAR(expected, 0.001, 1e-4);
}

TEST(DebugErrorMetrics, RoundingNoiseIsOneOverRootTwelveSteps) {
  // Values spread over many quantization steps, rounded to the nearest step:
  // the error is uniform over [-s/2, s/2], whose RMS is s / sqrt(12).
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  const float scale = 2.f / 255.f;
  LayerErrorAccumulator acc;
  for (int sample = 0; sample < 20; ++sample) {
    std::vector<float> f(2000), q(2000);
    for (size_t i = 0; i < f.size(); ++i) {
      f[i] = dist(rng);
      q[i] = dequantize_value(quantize_value(f[i], scale, 0, -128, 127), scale, 0);
    }
    acc.add_sample(f.data(), q.data(), static_cast<int64_t>(f.size()), scale);
  }
  const LayerErrorStats s = acc.finish();
  EXPECT_NEAR(s.rmse_over_scale, 1.0 / std::sqrt(12.0), 0.01);
  EXPECT_LE(s.max_abs_error, scale / 2 * 1.0001);
  EXPECT_NEAR(s.mean_error, 0.0, scale * 0.05);
}

TEST(DebugErrorMetrics, MatchesNumpyDefinitions) {
  testing::ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  const int samples = 5, n = 37;
  std::mt19937 rng(11);
  std::normal_distribution<float> signal(0.3f, 1.f), noise(0.02f, 0.05f);
  std::vector<float> f(samples * n), q(samples * n);
  for (size_t i = 0; i < f.size(); ++i) {
    f[i] = signal(rng);
    q[i] = f[i] + noise(rng);
  }
  const double scale = 0.04;
  LayerErrorAccumulator acc;
  for (int s = 0; s < samples; ++s) acc.add_sample(f.data() + s * n, q.data() + s * n, n, scale);
  const LayerErrorStats got = acc.finish();

  ASSERT_TRUE(write_npy(dir.file("f.npy"), Array::from_vector<float>({samples, n}, f)).ok());
  ASSERT_TRUE(write_npy(dir.file("q.npy"), Array::from_vector<float>({samples, n}, q)).ok());
  const std::string code =
      "import numpy as np\n"
      "f = np.load(" + testing::python_literal(dir.file("f.npy")) + ").astype(np.float64)\n"
      "q = np.load(" + testing::python_literal(dir.file("q.npy")) + ").astype(np.float64)\n"
      "d = f - q\n"
      "per = lambda fn: np.nanmean([fn(row) for row in d])\n"
      "vals = [per(np.std), per(np.average), per(lambda r: np.max(np.abs(r))), per(lambda r: np.average(r**2)),\n"
      "        per(lambda r: np.average(np.abs(r))), per(lambda r: np.sqrt(np.mean(r**2)) / 0.04),\n"
      "        10 * np.log10(np.sum(f**2) / np.sum(d**2)),\n"
      "        np.mean([a @ b / np.linalg.norm(a) / np.linalg.norm(b) for a, b in zip(f, q)])]\n"
      "print(' '.join(repr(float(v)) for v in vals))\n";
  const testing::CommandResult r = testing::run_python_snippet(code);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::istringstream in(r.output);
  double expected[8];
  for (double& e : expected) in >> e;
  ASSERT_FALSE(in.fail()) << r.output;
  const double got_values[8] = {got.stddev,         got.mean_error,     got.max_abs_error, got.mean_squared_error,
                                got.mean_abs_error, got.rmse_over_scale, got.sqnr_db,      got.cosine_similarity};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(got_values[i], expected[i], 1e-9 * (1 + std::fabs(expected[i]))) << i;
}

TEST(DebugErrorMetrics, MetricListFollowsTensorflowOrder) {
  const std::vector<std::string> expected = {"stddev",         "mean_error", "max_abs_error", "mean_squared_error",
                                             "mean_abs_error", "rmse/scale", "sqnr_db",       "cosine_similarity"};
  ASSERT_EQ(layer_metrics().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(layer_metrics()[i].name, expected[i]);
    EXPECT_EQ(layer_metrics()[i].tensorflow_default, i < 4) << expected[i];
  }
}

}  // namespace
}  // namespace quantlab
