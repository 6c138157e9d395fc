#include "quantlab/quant/range_estimators.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "quantlab/numerics/choose_params.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

// Mean squared error of quantizing `values` to int8 with the parameters the
// spec gives `range`, computed value by value in double: the independent
// measure the estimators are judged by.
double measured_mse(const std::vector<float>& values, RealRange range) {
  const AffineParams p = choose_activation_params(range.min, range.max);
  double sum = 0.0;
  for (float v : values) {
    const int32_t q = quantize_value(v, p.scale, p.zero_point, -128, 127);
    const double e = double(v) - double(dequantize_value(q, p.scale, p.zero_point));
    sum += e * e;
  }
  return sum / values.size();
}

RealRange observed_range(const std::vector<float>& v) {
  return RealRange{*std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
}

Histogram histogram_of(const std::vector<float>& v, int bins = 4096) {
  const RealRange r = observed_range(v);
  Histogram h(r.min, r.max, bins);
  h.add(v.data(), static_cast<int64_t>(v.size()));
  return h;
}

// Gaussian bulk with a handful of far outliers: the case clipping is for.
std::vector<float> gaussian_with_outliers() {
  std::mt19937 rng(17);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> v(20000);
  for (float& x : v) x = dist(rng);
  for (int i = 0; i < 5; ++i) v[i * 1000] = 40.f;
  v[1] = -30.f;
  return v;
}

TEST(CalibrationMethod, ParsesAndNamesEveryMethod) {
  for (const char* text : {"minmax", "percentile:99.9", "percentile:100", "mse", "kl"}) {
    auto spec = parse_calibration_method(text);
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.status().message();
    EXPECT_EQ(calibration_method_name(*spec), text);
  }
  EXPECT_EQ(parse_calibration_method("percentile:99.99")->percentile, 99.99);
  EXPECT_FALSE(needs_histogram(CalibrationMethod::kMinMax));
  EXPECT_TRUE(needs_histogram(CalibrationMethod::kKl));
  for (const char* bad : {"percentile:", "percentile:abc", "percentile:40", "percentile:101", "entropy", ""}) {
    auto spec = parse_calibration_method(bad);
    EXPECT_FALSE(spec.ok()) << bad;
    EXPECT_NE(spec.status().message().find(bad), std::string::npos) << spec.status().message();
  }
}

TEST(Histogram, PutsZeroOnABinEdge) {
  // [-1, 3] with 8 bins: the wider side (3) gets 4 bins of width 0.75, the
  // negative side ceil(1 / 0.75) = 2 bins.
  Histogram h(-1.f, 3.f, 8);
  EXPECT_EQ(h.num_bins(), 6);
  EXPECT_EQ(h.zero_bin(), 2);
  EXPECT_DOUBLE_EQ(h.width(), 0.75);
  EXPECT_DOUBLE_EQ(h.lower_edge(2), 0.0);
  const std::vector<float> v = {-1.f, -0.1f, 0.f, 0.f, 0.7f, 0.76f, 3.f, 99.f, NAN};
  h.add(v.data(), static_cast<int64_t>(v.size()));
  // -1 -> bin 0 (clamped from -2 + 2 = 0), -0.1 -> 1, zeros -> 2, 0.7 -> 2,
  // 0.76 -> 3, 3 -> 6 clamped to 5, 99 -> 5; NaN is skipped.
  EXPECT_EQ(h.counts(), (std::vector<double>{1, 1, 3, 1, 0, 2}));
  EXPECT_EQ(h.total(), 8.0);
  EXPECT_EQ(h.exact_zeros(), 2.0);
}

TEST(Histogram, AllZeroValuesLeaveNothingToEstimate) {
  Histogram h(0.f, 0.f, 64);
  EXPECT_EQ(h.num_bins(), 0);
  const RealRange zero{0.f, 0.f};
  EXPECT_EQ(percentile_range(h, zero, 99.0).max, 0.f);
  EXPECT_EQ(mse_range(h, zero).max, 0.f);
  EXPECT_EQ(kl_range(h, zero).max, 0.f);
}

TEST(PercentileRange, MatchesSortedDataWithinABin) {
  const std::vector<float> v = gaussian_with_outliers();
  const Histogram h = histogram_of(v);
  std::vector<float> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (double p : {99.0, 99.9}) {
    const RealRange r = percentile_range(h, observed_range(v), p);
    // Naive reference: the order statistics at the two tail fractions.
    const float lo = sorted[static_cast<size_t>((1.0 - p / 100.0) * (sorted.size() - 1))];
    const float hi = sorted[static_cast<size_t>(p / 100.0 * (sorted.size() - 1))];
    EXPECT_NEAR(r.min, lo, 2 * h.width()) << p;
    EXPECT_NEAR(r.max, hi, 2 * h.width()) << p;
  }
  const RealRange all = percentile_range(h, observed_range(v), 100.0);
  EXPECT_FLOAT_EQ(all.max, 40.f);
  EXPECT_FLOAT_EQ(all.min, -30.f);
}

// For int8, clipping an outlier costs its squared distance while it saves
// about range^2 / 780000 per value in rounding, so it pays only when outliers
// are rarer than about one in a million values: two million uniform values
// and one far outlier.
TEST(MseRange, ClipsARareOutlierAndLowersTheMeasuredError) {
  std::mt19937 rng(23);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(2000000);
  for (float& x : v) x = dist(rng);
  v[12345] = 20.f;
  const RealRange observed = observed_range(v);
  const RealRange r = mse_range(histogram_of(v), observed);
  EXPECT_LT(r.max, 0.5f * observed.max);
  EXPECT_GT(r.max, 0.9f);  // still covers the bulk
  EXPECT_LT(measured_mse(v, r), 0.5 * measured_mse(v, observed));
}

// Outliers at a rate of 1 in 4000 are worth keeping, and MSE keeps them: its
// choice is never measurably worse than min/max.
TEST(MseRange, KeepsOutliersThatCostMoreClippedThanRounded) {
  const std::vector<float> v = gaussian_with_outliers();
  const RealRange observed = observed_range(v);
  const RealRange r = mse_range(histogram_of(v), observed);
  EXPECT_LE(measured_mse(v, r), 1.01 * measured_mse(v, observed));
}

TEST(MseRange, KeepsTheFullRangeOfUniformData) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(20000);
  for (float& x : v) x = dist(rng);
  const RealRange observed = observed_range(v);
  const RealRange r = mse_range(histogram_of(v), observed);
  EXPECT_GT(r.max, 0.95f * observed.max);
  EXPECT_LT(r.min, 0.95f * observed.min);
}

// Entropy calibration matches distribution shapes rather than squared
// error: it cuts the few far outliers and keeps the Gaussian bulk.
TEST(KlRange, ClipsFarOutliersAndKeepsTheBulk) {
  const std::vector<float> v = gaussian_with_outliers();
  const RealRange observed = observed_range(v);
  const RealRange r = kl_range(histogram_of(v), observed);
  EXPECT_LT(r.max, 0.25f * observed.max);
  EXPECT_GT(r.max, 3.f);  // beyond 3 sigma
  EXPECT_LT(r.min, -3.f);
  EXPECT_GT(r.min, 0.25f * observed.min);
}

TEST(KlRange, KeepsTheFullRangeOfUniformData) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(20000);
  for (float& x : v) x = dist(rng);
  const RealRange observed = observed_range(v);
  const RealRange r = kl_range(histogram_of(v), observed);
  EXPECT_GT(r.max, 0.95f * observed.max);
  EXPECT_LT(r.min, 0.95f * observed.min);
}

TEST(KlRange, IgnoresTheSpikeOfExactZerosAfterRelu) {
  // Half exact zeros (a ReLU's output) and an exponential tail. Counted in,
  // the zero spike alone would pull the range to its smallest candidate.
  std::mt19937 rng(5);
  std::exponential_distribution<float> dist(1.f);
  std::vector<float> v(40000, 0.f);
  for (size_t i = 0; i < v.size(); i += 2) v[i] = dist(rng);
  const RealRange observed = observed_range(v);
  const RealRange r = kl_range(histogram_of(v), observed);
  std::vector<float> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_GT(r.max, sorted[static_cast<size_t>(0.99 * sorted.size())]);  // keeps the 99th percentile
  EXPECT_LE(r.max, observed.max);
  EXPECT_EQ(r.min, 0.f);
}

}  // namespace
}  // namespace quantlab
