// `quantlab quantize` end to end: the five files, what `quantlab inspect`
// shows in each, that `quantlab run` runs each, the report, range tables
// saved and reloaded, and errors that name their cause while the other
// schemes still complete.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>

#include "quantlab/data/npy.h"
#include "quantlab/data/test_python.h"
#include "support/cli_runner.h"
#include "support/tflite_testdata.h"

namespace quantlab {
namespace {

using test_support::read_json;
using test_support::run_cli;
using test_support::testdata_path;

const char* const kSchemes[] = {"float", "drq", "fiq-f32", "fiq-int8", "fiq-uint8"};

// Uniform samples in [lo, hi) of shape [n, rest...].
Array uniform(Shape shape, float lo, float hi, uint32_t seed) {
  Array a = Array::zeros(DType::kFloat32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < a.num_elements(); ++i) a.data<float>()[i] = dist(rng);
  return a;
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

// The dtype `inspect --json` reports for the tensor called `name`.
std::string inspected_dtype(const nlohmann::json& report, const std::string& name) {
  for (const auto& [dtype, tensors] : report["tensors"].items())
    for (const auto& t : tensors)
      if (t["name"] == name) return dtype;
  return "missing";
}

class QuantizeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(write_npy(dir_.file("wand.npy"), uniform({64, 128, 3, 1}, -1.f, 1.f, 1)).ok());
    ASSERT_TRUE(write_npy(dir_.file("sine.npy"), uniform({100, 1}, 0.f, 6.2831853f, 2)).ok());
  }
  std::string out(const std::string& name) const { return dir_.file("out/" + name); }
  testing::ScratchDir dir_;
};

TEST_F(QuantizeCli, MagicWandFiveWaysWithTheDtypesTheSpecDemands) {
  auto r = run_cli({"quantize", testdata_path("tflite/magic_wand.tflite"), "--calib", dir_.file("wand.npy"), "-o",
                    dir_.file("out")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* scheme : kSchemes) {
    const std::string model = out(std::string("magic_wand.") + scheme + ".tflite");
    ASSERT_TRUE(exists(model)) << model;
    EXPECT_NE(r.out.find(std::string("magic_wand.") + scheme + ".tflite"), std::string::npos) << r.out;

    auto inspect = run_cli({"inspect", "--json", model});
    ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
    const nlohmann::json report = nlohmann::json::parse(inspect.out);
    const std::string io = std::string(scheme) == "fiq-int8"    ? "INT8"
                           : std::string(scheme) == "fiq-uint8" ? "UINT8"
                                                                : "FLOAT32";
    EXPECT_EQ(report["inputs"][0]["dtype"], io) << scheme;
    EXPECT_EQ(report["outputs"][0]["dtype"], io) << scheme;
    const std::string dense = inspected_dtype(report, "sequential/dense/MatMul/ReadVariableOp/transpose");
    const std::string conv = inspected_dtype(report, "sequential/conv2d_1/Conv2D/ReadVariableOp");
    const std::string relu = inspected_dtype(report, "sequential/conv2d/Relu");
    const std::string bias = inspected_dtype(report, "sequential/conv2d_1/Conv2D_bias");
    if (std::string(scheme) == "float") {
      EXPECT_EQ(dense, "FLOAT32");
      EXPECT_EQ(report["tensors"].size(), 1u);  // FLOAT32 only
    } else if (std::string(scheme) == "drq") {
      EXPECT_EQ(dense, "INT8");    // 16 x 224 = 3584 elements
      EXPECT_EQ(conv, "FLOAT32");  // 512 elements
      EXPECT_EQ(inspected_dtype(report, "sequential/conv2d/Conv2D/ReadVariableOp"), "FLOAT32");             // 96
      EXPECT_EQ(inspected_dtype(report, "sequential/dense_1/MatMul/ReadVariableOp/transpose"), "FLOAT32");  // 64
      EXPECT_EQ(relu, "FLOAT32");
      EXPECT_EQ(bias, "FLOAT32");
    } else {
      EXPECT_EQ(dense, "INT8") << scheme;
      EXPECT_EQ(conv, "INT8") << scheme;
      EXPECT_EQ(relu, "INT8") << scheme;
      EXPECT_EQ(bias, "INT32") << scheme;
    }

    auto run = run_cli({"run", model, "--input", dir_.file("wand.npy"), "--output", dir_.file("y.npy")});
    EXPECT_EQ(run.exit_code, 0) << scheme << ": " << run.err;
    auto y = read_npy(dir_.file("y.npy"));
    ASSERT_TRUE(y.ok());
    EXPECT_EQ(y->shape, (Shape{64, 4})) << scheme;
  }
  // The terminal answers "why are float and drq almost identical?".
  EXPECT_NE(r.out.find("3 weights (fewer than 1024 elements)"), std::string::npos) << r.out;

  const nlohmann::json summary = read_json(out("magic_wand.quantize.json"));
  ASSERT_EQ(summary["schemes"].size(), 5u);
  EXPECT_EQ(summary["calibration"]["samples"], 64);
  EXPECT_EQ(summary["calibration"]["method"], "minmax");
  int float_weights = 0, int8_weights = 0;
  for (const auto& t : summary["schemes"][1]["tensors"]) {
    if (t["role"] != "weight") continue;
    if (t["quantized"].get<bool>()) {
      ++int8_weights;
      EXPECT_EQ(t["name"], "sequential/dense/MatMul/ReadVariableOp/transpose");
    } else {
      ++float_weights;
      EXPECT_EQ(t["kept_float_because"], "fewer than 1024 elements");
    }
  }
  EXPECT_EQ(int8_weights, 1);
  EXPECT_EQ(float_weights, 3);
  for (const auto& s : summary["schemes"]) {
    EXPECT_TRUE(s["ok"].get<bool>()) << s["scheme"];
    EXPECT_GT(s["bytes"].get<int64_t>(), 0);
  }
}

TEST_F(QuantizeCli, HelloWorldDrqLeavesEveryWeightFloat) {
  auto r = run_cli({"quantize", testdata_path("tflite/hello_world_float.tflite"), "--calib", dir_.file("sine.npy"),
                    "-o", dir_.file("out")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* scheme : kSchemes)
    EXPECT_TRUE(exists(out(std::string("hello_world_float.") + scheme + ".tflite"))) << scheme;
  auto inspect = run_cli({"inspect", "--json", out("hello_world_float.drq.tflite")});
  const nlohmann::json report = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(report["tensors"].size(), 1u);  // FLOAT32 only
  EXPECT_TRUE(report["tensors"].contains("FLOAT32"));
}

TEST_F(QuantizeCli, SavedRangesReproduceTheSameModel) {
  auto first = run_cli({"quantize", testdata_path("tflite/magic_wand.tflite"), "--calib", dir_.file("wand.npy"),
                        "--calib-method", "percentile:99.9", "--scheme", "fiq-int8", "--save-ranges",
                        dir_.file("ranges.json"), "-o", dir_.file("a")});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const nlohmann::json table = read_json(dir_.file("ranges.json"));
  EXPECT_EQ(table["method"], "percentile:99.9");
  EXPECT_EQ(table["tensors"].size(), 8u);
  auto second = run_cli({"quantize", testdata_path("tflite/magic_wand.tflite"), "--load-ranges",
                         dir_.file("ranges.json"), "--scheme", "fiq-int8", "-o", dir_.file("b")});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(test_support::read_bytes(dir_.file("a/magic_wand.fiq-int8.tflite")),
            test_support::read_bytes(dir_.file("b/magic_wand.fiq-int8.tflite")));
}

TEST_F(QuantizeCli, DeniedOpStaysFloat) {
  auto r = run_cli({"quantize", testdata_path("tflite/magic_wand.tflite"), "--calib", dir_.file("wand.npy"), "--scheme",
                    "fiq-f32", "--deny-op", "FULLY_CONNECTED", "-o", dir_.file("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(FULLY_CONNECTED ops are denied)"), std::string::npos) << r.out;
  auto inspect = run_cli({"inspect", "--json", out("magic_wand.fiq-f32.tflite")});
  const nlohmann::json report = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(inspected_dtype(report, "sequential/dense/MatMul/ReadVariableOp/transpose"), "FLOAT32");
  EXPECT_EQ(inspected_dtype(report, "sequential/conv2d_1/Conv2D/ReadVariableOp"), "INT8");
  auto run = run_cli({"run", out("magic_wand.fiq-f32.tflite"), "--input", dir_.file("wand.npy")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST_F(QuantizeCli, BadCalibrationDataFailsOnlyTheSchemesThatNeedIt) {
  Array data = uniform({8, 128, 3, 1}, -1.f, 1.f, 3);
  data.data<float>()[2 * 384 + 7] = std::numeric_limits<float>::infinity();
  ASSERT_TRUE(write_npy(dir_.file("inf.npy"), data).ok());
  auto r = run_cli(
      {"quantize", testdata_path("tflite/magic_wand.tflite"), "--calib", dir_.file("inf.npy"), "-o", dir_.file("out")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("element 775 (sample 2) is infinite"), std::string::npos) << r.err;
  EXPECT_TRUE(exists(out("magic_wand.float.tflite")));
  EXPECT_TRUE(exists(out("magic_wand.drq.tflite")));
  for (const char* scheme : {"fiq-f32", "fiq-int8", "fiq-uint8"}) {
    EXPECT_FALSE(exists(out(std::string("magic_wand.") + scheme + ".tflite"))) << scheme;
    EXPECT_NE(r.out.find(std::string(scheme) + " "), std::string::npos);
  }
  EXPECT_NE(r.out.find("FAILED, nothing written"), std::string::npos) << r.out;
  const nlohmann::json summary = read_json(out("magic_wand.quantize.json"));
  EXPECT_TRUE(summary["schemes"][1]["ok"].get<bool>());
  EXPECT_FALSE(summary["schemes"][2]["ok"].get<bool>());

  ASSERT_TRUE(write_npy(dir_.file("shape.npy"), uniform({8, 128, 3}, -1.f, 1.f, 4)).ok());
  auto shape = run_cli({"quantize", testdata_path("tflite/magic_wand.tflite"), "--calib", dir_.file("shape.npy"),
                        "--scheme", "fiq-int8", "-o", dir_.file("shape")});
  EXPECT_EQ(shape.exit_code, 1);
  EXPECT_NE(shape.err.find("expected [N, 128, 3, 1] FLOAT32, got [8, 128, 3]"), std::string::npos) << shape.err;

  auto none = run_cli({"quantize", testdata_path("tflite/magic_wand.tflite"), "--scheme", "drq", "--scheme", "fiq-f32",
                       "-o", dir_.file("none")});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_TRUE(exists(dir_.file("none/magic_wand.drq.tflite")));
  EXPECT_NE(none.err.find("fiq-f32: full-integer schemes need calibration data"), std::string::npos) << none.err;
}

TEST_F(QuantizeCli, ModelsThatCannotBeQuantizedAreNamed) {
  auto int8 = run_cli({"quantize", testdata_path("tflite/hello_world_int8.tflite"), "--calib", dir_.file("sine.npy"),
                       "-o", dir_.file("out")});
  EXPECT_EQ(int8.exit_code, 1);
  EXPECT_NE(int8.err.find("'serving_default_dense_input:0' is INT8; quantization needs a float32 model"),
            std::string::npos)
      << int8.err;
  auto lstm = run_cli({"quantize", testdata_path("tflite/trained_lstm_float.tflite"), "-o", dir_.file("out")});
  EXPECT_EQ(lstm.exit_code, 2);
  EXPECT_NE(lstm.err.find("UNIDIRECTIONAL_SEQUENCE_LSTM) has no quantization rule"), std::string::npos) << lstm.err;
  EXPECT_FALSE(exists(out("trained_lstm_float.float.tflite")));
  auto scheme =
      run_cli({"quantize", testdata_path("tflite/magic_wand.tflite"), "--scheme", "int4", "-o", dir_.file("out")});
  EXPECT_EQ(scheme.exit_code, 1);
  EXPECT_NE(scheme.err.find("unknown scheme 'int4'"), std::string::npos) << scheme.err;
  auto deny = run_cli({"quantize", testdata_path("tflite/magic_wand.tflite"), "--scheme", "drq", "--deny-op",
                       "NOT_AN_OP", "-o", dir_.file("out")});
  EXPECT_EQ(deny.exit_code, 1);
  EXPECT_NE(deny.err.find("--deny-op NOT_AN_OP"), std::string::npos) << deny.err;
}

}  // namespace
}  // namespace quantlab
