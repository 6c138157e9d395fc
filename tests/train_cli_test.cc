// `quantlab data synth` and `quantlab train` end to end: synthetic data in,
// a trained .tflite out that `quantlab run` executes with the torch
// module's results and `quantlab quantize` converts; fine-tuning with
// --init; zoo architectures fitted to other input shapes; errors.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "quantlab/data/dataset.h"
#include "quantlab/data/test_python.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/train/bridge.h"
#include "support/cli_runner.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;
using test_support::run_cli;

// Outputs of `graph` for x [N, ...] through the torch bridge.
std::vector<float> torch_outputs(const Graph& graph, const Array& x) {
  auto module = train::GraphModule::create(graph);
  EXPECT_TRUE(module.ok()) << module.status().message();
  std::vector<int64_t> sizes(x.shape.begin(), x.shape.end());
  sizes.insert(sizes.begin() + 1, 1);
  torch::Tensor input = torch::empty(sizes, torch::kFloat32);
  std::memcpy(input.data_ptr<float>(), x.bytes.data(), x.bytes.size());
  torch::NoGradGuard no_grad;
  auto out = (*module)->forward({input});
  EXPECT_TRUE(out.ok());
  const torch::Tensor flat = (*out)[0].reshape({-1}).contiguous();
  return std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
}

// The trained model runs in `quantlab run` with torch's results, and
// `quantlab quantize` converts it.
void expect_runs_and_quantizes(const std::string& model, const Array& x, const testing::ScratchDir& dir,
                               const std::string& tag) {
  const std::string x_path = dir.file(tag + "_x.npy"), y_path = dir.file(tag + "_y.npy");
  ASSERT_TRUE(write_npy(x_path, x).ok());
  auto run = run_cli({"run", model, "-i", x_path, "-o", y_path});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto y = read_npy(y_path);
  ASSERT_TRUE(y.ok()) << y.status().message();
  auto graph = read_tflite_file(model);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  const std::vector<float> expected = torch_outputs(*graph, x);
  ASSERT_EQ(static_cast<size_t>(y->num_elements()), expected.size()) << tag;
  const float* got = y->data<float>();
  for (size_t i = 0; i < expected.size(); ++i) ASSERT_NEAR(got[i], expected[i], 1e-4) << tag << " value " << i;
  auto quantize = run_cli({"quantize", model, "--calib", x_path, "-o", dir.file(tag + "_quantized")});
  EXPECT_EQ(quantize.exit_code, 0) << tag << ": " << quantize.out << quantize.err;
}

Array first_samples(const Array& x, int64_t n) {
  Shape shape = x.shape;
  shape[0] = static_cast<int32_t>(std::min<int64_t>(n, shape[0]));
  Array out = Array::zeros(x.dtype, shape);
  std::memcpy(out.bytes.data(), x.bytes.data(), out.bytes.size());
  return out;
}

TEST(TrainCliTest, SynthTrainRunQuantizeAndFineTune) {
  testing::ScratchDir dir;
  const std::string data = dir.file("har");
  auto synth = run_cli({"data", "synth", "--kind", "har", "--seed", "4", "-n", "300", "-o", data});
  ASSERT_EQ(synth.exit_code, 0) << synth.out << synth.err;
  EXPECT_NE(synth.out.find("SYNTHETIC har data"), std::string::npos) << synth.out;
  for (const char* f : {"train.npz", "val.npz", "test.npz", "README.txt"}) EXPECT_TRUE(fs::exists(data + "/" + f)) << f;

  const std::string model = dir.file("sw.tflite");
  auto trained = run_cli({"train", "--arch", "smartwatch-lean", "--data", data, "--epochs", "2", "--threads", "1",
                          "-o", model});
  ASSERT_EQ(trained.exit_code, 0) << trained.out << trained.err;
  EXPECT_NE(trained.out.find("model: smartwatch-lean, input [100, 6, 1], 6 outputs (softmax)"), std::string::npos)
      << trained.out;
  EXPECT_NE(trained.out.find("epoch 2/2"), std::string::npos) << trained.out;
  EXPECT_NE(trained.out.find("test: accuracy"), std::string::npos) << trained.out;

  auto test = read_dataset_npz(data + "/test.npz");
  ASSERT_TRUE(test.ok());
  expect_runs_and_quantizes(model, first_samples(test->x, 16), dir, "sw");

  const std::string tuned = dir.file("sw_tuned.tflite");
  auto fine = run_cli({"train", "--init", model, "--data", data, "--epochs", "1", "--threads", "1", "-o", tuned});
  ASSERT_EQ(fine.exit_code, 0) << fine.out << fine.err;
  EXPECT_NE(fine.out.find("fine-tuning"), std::string::npos) << fine.out;
  auto before = read_tflite_file(model), after = read_tflite_file(tuned);
  ASSERT_TRUE(before.ok() && after.ok());
  const int32_t dense = before->ops[9].inputs[1];
  EXPECT_NE(before->constant_bytes(dense), after->constant_bytes(dense));
}

TEST(TrainCliTest, MultilabelEcgWithAScaledArchitecture) {
  testing::ScratchDir dir;
  const std::string data = dir.file("ecg");
  auto synth = run_cli({"data", "synth", "--kind", "ecg", "-n", "60", "--leads", "3", "--length", "250", "-o", data});
  ASSERT_EQ(synth.exit_code, 0) << synth.out << synth.err;
  auto trained = run_cli({"train", "--arch", "bspc-gap-lean", "--scale", "0.25", "--data", data, "--epochs", "1",
                          "--threads", "1", "-o", dir.file("ecg.tflite")});
  ASSERT_EQ(trained.exit_code, 0) << trained.out << trained.err;
  EXPECT_NE(trained.out.find("5 outputs (sigmoid), width scale 0.25"), std::string::npos) << trained.out;
  EXPECT_NE(trained.out.find("test: macro F1"), std::string::npos) << trained.out;
}

// Random data of a given sample shape: class indices, or multi-hot labels.
Dataset random_dataset(const Shape& sample, int labels, bool multi_hot, int n, uint64_t seed) {
  torch::manual_seed(seed);
  Dataset d;
  Shape shape{n};
  shape.insert(shape.end(), sample.begin(), sample.end());
  d.x = Array::zeros(DType::kFloat32, shape);
  const torch::Tensor x = torch::randn({static_cast<int64_t>(d.x.num_elements())});
  std::memcpy(d.x.bytes.data(), x.data_ptr<float>(), d.x.bytes.size());
  if (multi_hot) {
    d.y = Array::zeros(DType::kUInt8, {n, labels});
    const torch::Tensor y = torch::randint(0, 2, {n * labels}, torch::kUInt8);
    std::memcpy(d.y.bytes.data(), y.data_ptr<uint8_t>(), d.y.bytes.size());
  } else {
    std::vector<int32_t> y(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) y[static_cast<size_t>(i)] = i % labels;
    d.y = Array::from_vector<int32_t>({n}, y);
  }
  return d;
}

TEST(TrainCliTest, FamiliesTrainOnOtherInputShapes) {
  testing::ScratchDir dir;
  struct Case {
    Shape sample;
    int labels;
    bool multi_hot;
    std::vector<const char*> archs;
  };
  // A smartphone HAR window, a small image and a 12-lead ECG strip.
  const std::vector<Case> cases = {{{128, 9, 1}, 6, false, {"smartwatch-lean"}},
                                   {{8, 8, 1}, 10, false, {"smartwatch-lean", "bspc-gap-lean"}},
                                   {{250, 12, 1}, 5, true, {"bspc-gap-lean"}}};
  int index = 0;
  for (const Case& c : cases) {
    const std::string data = dir.file("data" + std::to_string(index));
    fs::create_directories(data);
    for (const char* split : {"train", "val", "test"}) {
      const Dataset d = random_dataset(c.sample, c.labels, c.multi_hot, 40, static_cast<uint64_t>(index));
      ASSERT_TRUE(write_dataset_npz(data + "/" + split + ".npz", d).ok());
    }
    for (const char* arch : c.archs) {
      const std::string tag = std::string(arch) + "_" + std::to_string(index);
      const std::string model = dir.file(tag + ".tflite");
      auto trained = run_cli({"train", "--arch", arch, "--data", data, "--epochs", "1", "--threads", "1", "-o", model});
      ASSERT_EQ(trained.exit_code, 0) << tag << ": " << trained.out << trained.err;
      const std::string outputs = std::to_string(c.labels) + " outputs (" + (c.multi_hot ? "sigmoid" : "softmax") + ")";
      EXPECT_NE(trained.out.find(outputs), std::string::npos) << tag << ": " << trained.out;
      const Dataset sample = random_dataset(c.sample, c.labels, c.multi_hot, 4, 99);
      expect_runs_and_quantizes(model, sample.x, dir, tag);
    }
    ++index;
  }
}

TEST(TrainCliTest, ErrorsExitWithAMessage) {
  testing::ScratchDir dir;
  auto unknown = run_cli({"train", "--arch", "resnet50", "--data", dir.path(), "-o", dir.file("m.tflite")});
  EXPECT_NE(unknown.exit_code, 0);
  auto both = run_cli({"train", "--arch", "smartwatch-lean", "--init", "x.tflite", "--data", dir.path(), "-o",
                       dir.file("m.tflite")});
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_NE(both.err.find("exactly one of --arch"), std::string::npos) << both.err;
  auto missing = run_cli({"train", "--arch", "smartwatch-lean", "--data", dir.file("nothing"), "-o",
                          dir.file("m.tflite")});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("nothing"), std::string::npos) << missing.err;
  auto kind = run_cli({"data", "synth", "--kind", "eeg", "-o", dir.path()});
  EXPECT_NE(kind.exit_code, 0);
}

}  // namespace
}  // namespace quantlab
