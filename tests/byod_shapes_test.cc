// The acceptance grid of "bring your own data": smartwatch-lean and
// bspc-gap-lean on a smartphone HAR window [128, 9, 1] (6 outputs), a small
// image [8, 8, 1] (10 outputs) and a 12-lead ECG strip [250, 12, 1]
// (5 outputs), each as a multiclass and a multilabel task. The combinations
// train_cli_test.cc already trains (smartwatch-lean on the first two shapes
// multiclass, bspc-gap-lean on the image multiclass and the ECG multilabel)
// are not repeated here. Each model is trained briefly through
// `quantlab train`, executed by `quantlab run` (outputs must be
// probabilities: softmax rows summing to 1, sigmoids in [0, 1]) and
// converted by `quantlab quantize` in all five schemes.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "quantlab/data/dataset.h"
#include "quantlab/data/test_python.h"
#include "support/cli_runner.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;
using test_support::run_cli;

// n samples of `sample` shape with values from a fixed integer hash in
// [-1, 1); class labels cycle through all classes, multi-hot labels follow
// a hash too (every label column gets both values over 16+ samples).
Dataset grid_dataset(const Shape& sample, int32_t labels, bool multi_hot, int32_t n, uint32_t seed) {
  Dataset d;
  Shape shape{n};
  shape.insert(shape.end(), sample.begin(), sample.end());
  d.x = Array::zeros(DType::kFloat32, shape);
  uint32_t state = seed * 2654435761u + 1u;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;  // full-period LCG modulo 2^32
    return state >> 8;                       // top 24 bits
  };
  float* x = d.x.data<float>();
  for (int64_t i = 0; i < d.x.num_elements(); ++i) x[i] = static_cast<float>(next()) / 8388608.0f - 1.0f;
  if (multi_hot) {
    d.y = Array::zeros(DType::kUInt8, {n, labels});
    for (int64_t i = 0; i < d.y.num_elements(); ++i) d.y.data<uint8_t>()[i] = static_cast<uint8_t>((next() >> 7) & 1u);
  } else {
    d.y = Array::zeros(DType::kInt32, {n});
    for (int32_t i = 0; i < n; ++i) d.y.data<int32_t>()[i] = i % labels;
  }
  return d;
}

struct GridCase {
  const char* arch;
  Shape sample;
  int32_t labels;
  bool multi_hot;
};

std::string case_name(const GridCase& c) {
  std::string name = std::string(c.arch) + "_";
  for (int32_t dim : c.sample) name += std::to_string(dim) + "x";
  return name + std::to_string(c.labels) + (c.multi_hot ? "_multilabel" : "_multiclass");
}

TEST(ByodShapesTest, FamiliesTrainRunAndQuantizeOnEveryAcceptanceShapeAndTask) {
  const std::vector<GridCase> cases = {
      {"bspc-gap-lean", {128, 9, 1}, 6, false},  {"bspc-gap-lean", {128, 9, 1}, 6, true},
      {"smartwatch-lean", {128, 9, 1}, 6, true}, {"smartwatch-lean", {8, 8, 1}, 10, true},
      {"bspc-gap-lean", {8, 8, 1}, 10, true},    {"smartwatch-lean", {250, 12, 1}, 5, false},
      {"smartwatch-lean", {250, 12, 1}, 5, true}, {"bspc-gap-lean", {250, 12, 1}, 5, false},
  };
  testing::ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  uint32_t seed = 1;
  for (const GridCase& c : cases) {
    const std::string tag = case_name(c);
    const std::string data = dir.file(tag);
    fs::create_directories(data);
    for (const char* split : {"train", "val", "test"}) {
      ASSERT_TRUE(write_dataset_npz(data + "/" + split + ".npz", grid_dataset(c.sample, c.labels, c.multi_hot, 20, seed++))
                      .ok());
    }
    const std::string model = dir.file(tag + ".tflite");
    // Width 0.25 keeps bspc-gap-lean on the ECG strip to a second or two.
    auto trained = run_cli({"train", "--arch", c.arch, "--scale", "0.25", "--data", data, "--epochs", "1",
                            "--threads", "1", "-o", model});
    ASSERT_EQ(trained.exit_code, 0) << tag << ": " << trained.out << trained.err;
    const std::string outputs =
        std::to_string(c.labels) + " outputs (" + (c.multi_hot ? "sigmoid" : "softmax") + ")";
    EXPECT_NE(trained.out.find(outputs), std::string::npos) << tag << ": " << trained.out;

    const Dataset probe = grid_dataset(c.sample, c.labels, c.multi_hot, 4, 1000 + seed);
    const std::string x_path = dir.file(tag + "_x.npy"), y_path = dir.file(tag + "_y.npy");
    ASSERT_TRUE(write_npy(x_path, probe.x).ok());
    auto ran = run_cli({"run", model, "-i", x_path, "-o", y_path});
    ASSERT_EQ(ran.exit_code, 0) << tag << ": " << ran.out << ran.err;
    auto y = read_npy(y_path);
    ASSERT_TRUE(y.ok()) << tag << ": " << y.status().message();
    ASSERT_EQ(y->num_elements(), 4 * c.labels) << tag << " " << shape_to_string(y->shape);
    const float* p = y->data<float>();
    for (int row = 0; row < 4; ++row) {
      double sum = 0.0;
      for (int k = 0; k < c.labels; ++k) {
        const float v = p[row * c.labels + k];
        ASSERT_TRUE(std::isfinite(v) && v >= 0.0f && v <= 1.0f) << tag << " row " << row << ": " << v;
        sum += v;
      }
      if (!c.multi_hot) {
        EXPECT_NEAR(sum, 1.0, 1e-5) << tag << " row " << row;
      }
    }

    auto quantized = run_cli({"quantize", model, "--calib", x_path, "-o", dir.file(tag + "_q")});
    ASSERT_EQ(quantized.exit_code, 0) << tag << ": " << quantized.out << quantized.err;
    for (const char* scheme : {"float", "drq", "fiq-f32", "fiq-int8", "fiq-uint8"})
      EXPECT_TRUE(fs::exists(dir.file(tag + "_q/" + tag + "." + scheme + ".tflite"))) << tag << " " << scheme;
  }
}

}  // namespace
}  // namespace quantlab
