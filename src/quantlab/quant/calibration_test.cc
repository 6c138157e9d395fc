#include "quantlab/quant/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "quantlab/quant/graph_edit.h"

namespace quantlab {
namespace {

// x [1, 4] -> FULLY_CONNECTED (weights [3, 4], bias, RELU) -> h [1, 3] -> SOFTMAX -> y
const std::vector<float> kWeights = {0.5f,  -1.f,  0.25f, 2.f,  //
                                     -0.5f, 0.75f, 1.f,   0.f,  //
                                     1.f,   1.f,   -1.f,  -0.25f};
const std::vector<float> kBias = {0.1f, -0.2f, 0.3f};

Graph dense_softmax() {
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, 4});
  const int32_t w = g.add_constant("w", DType::kFloat32, {3, 4}, to_bytes(kWeights));
  const int32_t b = g.add_constant("b", DType::kFloat32, {3}, to_bytes(kBias));
  const int32_t h = g.add_activation("h", DType::kFloat32, {1, 3});
  const int32_t y = g.add_activation("y", DType::kFloat32, {1, 3});
  FullyConnectedOptions fc;
  fc.activation = Activation::kRelu;
  g.ops.push_back(Op{OpKind::kFullyConnected, {x, w, b}, {h}, fc});
  g.ops.push_back(Op{OpKind::kSoftmax, {h}, {y}, SoftmaxOptions{}});
  g.inputs = {x};
  g.outputs = {y};
  return g;
}

Array samples(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-2.f, 2.f);
  std::vector<float> v(static_cast<size_t>(n) * 4);
  for (float& x : v) x = dist(rng);
  return Array::from_vector<float>({n, 4}, v);
}

// The ranges calibration must find, computed naively in double.
struct NaiveRanges {
  double x_min = 1e30, x_max = -1e30, h_min = 1e30, h_max = -1e30, y_min = 1e30, y_max = -1e30;
};
NaiveRanges naive_ranges(const Array& data, int n) {
  NaiveRanges r;
  const float* x = data.data<float>();
  for (int s = 0; s < n; ++s) {
    double h[3], sum = 0.0, peak = -1e30;
    for (int o = 0; o < 3; ++o) {
      double acc = kBias[o];
      for (int i = 0; i < 4; ++i) acc += double(kWeights[o * 4 + i]) * x[s * 4 + i];
      h[o] = std::max(0.0, acc);
      peak = std::max(peak, h[o]);
    }
    for (int o = 0; o < 3; ++o) sum += std::exp(h[o] - peak);
    for (int o = 0; o < 3; ++o) {
      const double y = std::exp(h[o] - peak) / sum;
      r.h_min = std::min(r.h_min, h[o]);
      r.h_max = std::max(r.h_max, h[o]);
      r.y_min = std::min(r.y_min, y);
      r.y_max = std::max(r.y_max, y);
    }
    for (int i = 0; i < 4; ++i) {
      r.x_min = std::min<double>(r.x_min, x[s * 4 + i]);
      r.x_max = std::max<double>(r.x_max, x[s * 4 + i]);
    }
  }
  return r;
}

TEST(Calibrate, MinMaxRecordsEveryFloatTensorsExtremes) {
  const Array data = samples(40, 1);
  auto table = calibrate(dense_softmax(), {data}, CalibrationOptions{});
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_EQ(table->method, "minmax");
  EXPECT_EQ(table->samples, 40);
  ASSERT_EQ(table->ranges.size(), 3u);  // x, h, y; constants are not observed
  const NaiveRanges r = naive_ranges(data, 40);
  EXPECT_EQ(table->find("x")->min, static_cast<float>(r.x_min));
  EXPECT_EQ(table->find("x")->max, static_cast<float>(r.x_max));
  EXPECT_NEAR(table->find("h")->min, r.h_min, 1e-5);
  EXPECT_NEAR(table->find("h")->max, r.h_max, 1e-5);
  EXPECT_NEAR(table->find("y")->min, r.y_min, 1e-5);
  EXPECT_NEAR(table->find("y")->max, r.y_max, 1e-5);
  for (const auto& [name, range] : table->ranges) {
    EXPECT_EQ(range.min, range.observed_min) << name;
    EXPECT_EQ(range.max, range.observed_max) << name;
  }
}

TEST(Calibrate, UsesAtMostMaxSamplesInChunks) {
  const Array data = samples(50, 2);
  CalibrationOptions options;
  options.max_samples = 7;
  options.samples_per_invoke = 3;  // 3 + 3 + 1
  auto table = calibrate(dense_softmax(), {data}, options);
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_EQ(table->samples, 7);
  const NaiveRanges r = naive_ranges(data, 7);
  EXPECT_EQ(table->find("x")->min, static_cast<float>(r.x_min));
  EXPECT_EQ(table->find("x")->max, static_cast<float>(r.x_max));
  EXPECT_NEAR(table->find("h")->max, r.h_max, 1e-5);
}

TEST(Calibrate, HistogramMethodsKeepTheObservedExtremes) {
  const Array data = samples(60, 3);
  for (const char* method : {"percentile:90", "mse", "kl"}) {
    CalibrationOptions options;
    options.method = *parse_calibration_method(method);
    auto table = calibrate(dense_softmax(), {data}, options);
    ASSERT_TRUE(table.ok()) << table.status().message();
    EXPECT_EQ(table->method, method);
    const NaiveRanges r = naive_ranges(data, 60);
    const TensorRange* x = table->find("x");
    EXPECT_EQ(x->observed_min, static_cast<float>(r.x_min)) << method;
    EXPECT_EQ(x->observed_max, static_cast<float>(r.x_max)) << method;
    EXPECT_GE(x->min, x->observed_min);
    EXPECT_LE(x->max, x->observed_max);
  }
  // 90th percentile of 240 uniform values in [-2, 2] is far inside the extremes.
  CalibrationOptions options;
  options.method = *parse_calibration_method("percentile:90");
  auto table = calibrate(dense_softmax(), {data}, options);
  EXPECT_LT(table->find("x")->max, 1.8f);
  EXPECT_GT(table->find("x")->max, 1.4f);
}

TEST(Calibrate, RejectsNonFiniteDataNamingTheElement) {
  Array data = samples(5, 4);
  data.data<float>()[2 * 4 + 3] = std::numeric_limits<float>::quiet_NaN();
  auto table = calibrate(dense_softmax(), {data}, CalibrationOptions{});
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("element 11 (sample 2) is NaN"), std::string::npos)
      << table.status().message();
  EXPECT_NE(table.status().message().find("'x'"), std::string::npos);
  data.data<float>()[11] = std::numeric_limits<float>::infinity();
  table = calibrate(dense_softmax(), {data}, CalibrationOptions{});
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("is infinite"), std::string::npos) << table.status().message();
}

TEST(Calibrate, RejectsDataOfTheWrongShapeOrCount) {
  const Array wrong = Array::from_vector<float>({2, 3}, {0, 0, 0, 0, 0, 0});
  auto table = calibrate(dense_softmax(), {wrong}, CalibrationOptions{});
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("expected [N, 4]"), std::string::npos) << table.status().message();
  table = calibrate(dense_softmax(), {samples(2, 5), samples(2, 5)}, CalibrationOptions{});
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("1 inputs but 2 arrays"), std::string::npos) << table.status().message();
  table = calibrate(dense_softmax(), {Array::zeros(DType::kFloat32, {0, 4})}, CalibrationOptions{});
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("no samples"), std::string::npos) << table.status().message();
}

TEST(Calibrate, AcceptsFloat64Data) {
  const Array data = samples(10, 6);
  Array wide = Array::zeros(DType::kFloat64, data.shape);
  for (int64_t i = 0; i < data.num_elements(); ++i) wide.data<double>()[i] = data.data<float>()[i];
  auto narrow_table = calibrate(dense_softmax(), {data}, CalibrationOptions{});
  auto wide_table = calibrate(dense_softmax(), {wide}, CalibrationOptions{});
  ASSERT_TRUE(wide_table.ok()) << wide_table.status().message();
  EXPECT_EQ(calibration_table_to_json(*wide_table), calibration_table_to_json(*narrow_table));
}

TEST(CalibrationKeys, FallBackToIndexForMissingOrRepeatedNames) {
  Graph g;
  g.add_activation("a", DType::kFloat32, {1});
  g.add_activation("", DType::kFloat32, {1});
  g.add_activation("twice", DType::kFloat32, {1});
  g.add_activation("twice", DType::kFloat32, {1});
  EXPECT_EQ(calibration_keys(g), (std::vector<std::string>{"a", "#1", "#2", "#3"}));
}

TEST(CalibrationTableJson, RoundTripsEveryFloatExactly) {
  CalibrationTable table;
  table.method = "percentile:99.99";
  table.samples = 123;
  table.ranges["a"] = TensorRange{-0.1f, 0.3f, -0.2f, 0.7f};
  table.ranges["tiny/odd \"name\""] = TensorRange{-1e-30f, 1.17549435e-38f, -3.4028235e38f, 3.4028235e38f};
  table.ranges["b"] = TensorRange{0.f, 1.f / 3.f, 0.f, 2.f / 3.f};
  auto back = calibration_table_from_json(calibration_table_to_json(table), "t.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->method, table.method);
  EXPECT_EQ(back->samples, 123);
  ASSERT_EQ(back->ranges.size(), 3u);
  for (const auto& [name, r] : table.ranges) {
    const TensorRange* got = back->find(name);
    ASSERT_NE(got, nullptr) << name;
    EXPECT_EQ(got->min, r.min) << name;
    EXPECT_EQ(got->max, r.max) << name;
    EXPECT_EQ(got->observed_min, r.observed_min) << name;
    EXPECT_EQ(got->observed_max, r.observed_max) << name;
  }
}

TEST(CalibrationTableJson, ErrorsNameTheSourceAndEntry) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"{", "r.json: not valid JSON"},
      {R"({"format": "other", "tensors": []})", "not a quantlab calibration table"},
      {R"({"format": "quantlab-calibration"})", "\"tensors\" must be an array"},
      {R"({"format": "quantlab-calibration", "tensors": [{"min": 0, "max": 1}]})",
       "tensors[0] needs a string \"name\""},
      {R"({"format": "quantlab-calibration", "tensors": [{"name": "x", "max": 1}]})", "('x') has no \"min\""},
      {R"({"format": "quantlab-calibration", "tensors": [{"name": "x", "min": 2, "max": 1}]})",
       "min 2 exceeds max 1"},
      {R"({"format": "quantlab-calibration", "tensors": [{"name": "x", "min": "a", "max": 1}]})", "is not a number"},
      {R"({"format": "quantlab-calibration", "tensors": [{"name": "x", "min": 0, "max": 1e39}]})", "is not finite"},
      {R"({"format": "quantlab-calibration", "tensors": [{"name": "x", "min": 0, "max": 1},
                                                        {"name": "x", "min": 0, "max": 1}]})",
       "appears twice"},
  };
  for (const Case& c : cases) {
    auto t = calibration_table_from_json(c.text, "r.json");
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_NE(t.status().message().find(c.expected), std::string::npos) << t.status().message();
  }
  // observed_* are optional and default to the range.
  auto minimal = calibration_table_from_json(
      R"({"format": "quantlab-calibration", "tensors": [{"name": "x", "min": -1, "max": 2}]})", "r");
  ASSERT_TRUE(minimal.ok()) << minimal.status().message();
  EXPECT_EQ(minimal->find("x")->observed_max, 2.f);
}

}  // namespace
}  // namespace quantlab
